"""test_agent.py - the Redshift migration agent (build/redshift-migration-agent, docs/agent.md)
end to end: a real agentmemd (harness.Server), the fake Redshift / Redshift Serverless of
tests/helpers/fake_redshift.py, and the agent's local Lambda API driven with the real
`aws lambda` CLI. Memory waits poll ListMemoryRecords until the extractors have run.
"""
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import harness

sys.path.insert(0, os.path.join(harness.ROOT, "tests", "helpers"))
from fake_redshift import FakeRedshift  # noqa: E402

AGENT = (os.environ.get("AGENT_BIN")
         or os.path.join(harness.ROOT, "build", "redshift-migration-agent"))
STRATEGIES = [  # the original project's scripts/setup_memory.py
    {"summaryMemoryStrategy": {"name": "MigrationSummarizer",
                               "namespaces": ["/summaries/{actorId}/{sessionId}/"]}},
    {"userPreferenceMemoryStrategy": {"name": "UserPreferences",
                                      "namespaces": ["/preferences/{actorId}/"]}},
    {"semanticMemoryStrategy": {"name": "MigrationFacts", "namespaces": ["/facts/{actorId}/"]}},
]


def agent_env(extra):
    env = dict(os.environ)
    env.update({"AWS_REGION": "us-east-2"})
    env.update(extra)
    return env


def spawn_agent(env, log_path):
    """Start `redshift-migration-agent serve` on a free port: (process, open log, url)."""
    log = open(log_path, "wb+")
    proc = subprocess.Popen([AGENT, "serve", "--listen", "127.0.0.1:0"], stdout=log,
                            stderr=log, env=env)
    deadline = time.time() + 10
    while time.time() < deadline:
        with open(log_path, "rb") as f:
            m = re.search(rb"listening addr=127\.0\.0\.1:(\d+)", f.read())
        if m:
            return proc, log, "http://127.0.0.1:%d" % int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    raise RuntimeError("agent did not start: %s" % open(log_path).read())


def lambda_invoke(test, url, tmpdir, payload):
    """`aws lambda invoke` against the agent; asserts statusCode 200, returns the body."""
    out = os.path.join(tmpdir, "r-%s.json" % uuid.uuid4().hex[:8])
    p = subprocess.run(["aws", "--endpoint-url", url, "lambda", "invoke", "--function-name",
                        "redshift-migration-agent", "--payload", json.dumps(payload), out],
                       capture_output=True, text=True, timeout=120)
    test.assertEqual(p.returncode, 0, p.stderr)
    with open(out) as f:
        env = json.load(f)
    test.assertEqual(env["statusCode"], 200, env)
    return json.loads(env["body"])


def credentials_file():
    """agentmemd --auth sigv4 accepts the test's fake keys, so the agent's signed agentmem
    requests are verified by the real server."""
    d = tempfile.mkdtemp(prefix="agent-creds-")
    harness._TMPDIRS.append(d)
    path = os.path.join(d, "credentials")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("[test]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                % (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]))
    return path


@unittest.skipUnless(os.access(AGENT, os.X_OK), "build/redshift-migration-agent not built")
class TestAgent(harness.ServerTestCase):
    server_args = ("--auth", "sigv4", "--credentials", credentials_file())

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeRedshift(secret=os.environ["AWS_SECRET_ACCESS_KEY"]).start()
        cls.memory_id = cls.cp.create_memory(name="RedshiftMigrationMemory_%s" % uuid.uuid4().hex[:6],
                                             eventExpiryDuration=30,
                                             memoryStrategies=STRATEGIES)["memory"]["id"]
        cls.env = agent_env({
            "AGENTCORE_MEMORY_ID": cls.memory_id,
            "AGENTMEM_ENDPOINT": cls.server.url,
            "AWS_ENDPOINT_URL_REDSHIFT": cls.fake.url,
            "AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS": cls.fake.url,
        })
        cls.tmp = tempfile.mkdtemp(prefix="agent-it-")
        harness._TMPDIRS.append(cls.tmp)
        cls.agent_log = open(os.path.join(cls.tmp, "agent.log"), "wb+")
        cls.agent = subprocess.Popen([AGENT, "serve", "--listen", "127.0.0.1:0"],
                                     stdout=cls.agent_log, stderr=cls.agent_log, env=cls.env)
        deadline = time.time() + 10
        cls.port = None
        while time.time() < deadline and cls.port is None:
            with open(cls.agent_log.name, "rb") as f:
                m = re.search(rb"listening addr=127\.0\.0\.1:(\d+)", f.read())
            if m:
                cls.port = int(m.group(1))
            elif cls.agent.poll() is not None:
                break
            time.sleep(0.02)
        if cls.port is None:
            raise RuntimeError("agent did not start")
        cls.url = "http://127.0.0.1:%d" % cls.port

    @classmethod
    def tearDownClass(cls):
        cls.agent.terminate()
        rc = cls.agent.wait(10)
        cls.agent_log.close()
        cls.fake.stop()
        super().tearDownClass()
        if rc != 0:
            raise AssertionError("agent exited with %r" % rc)

    # ---- helpers ----

    def aws(self, *args, check=True):
        p = subprocess.run(["aws", "--endpoint-url", self.url] + list(args),
                           capture_output=True, text=True, timeout=120)
        if check:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def invoke(self, payload):
        """`aws lambda invoke` as in the memory guide; returns (CLI output, envelope, body)."""
        out = os.path.join(self.tmp, "response-%s.json" % uuid.uuid4().hex[:8])
        raw = payload if isinstance(payload, str) else json.dumps(payload)
        p = self.aws("lambda", "invoke", "--function-name", "redshift-migration-agent",
                     "--payload", raw, out)
        cli = json.loads(p.stdout)
        with open(out) as f:
            env = json.load(f)
        return cli, env, json.loads(env["body"])

    def ask(self, message, **kw):
        kw["message"] = message
        cli, env, body = self.invoke(kw)
        self.assertEqual(env["statusCode"], 200, body)
        return body

    def wait_record(self, namespace, needle, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            recs = self.dp.list_memory_records(memoryId=self.memory_id, namespace=namespace,
                                               maxResults=100)["memoryRecordSummaries"]
            hits = [r for r in recs if needle.lower() in r["content"]["text"].lower()]
            if hits:
                return hits
            time.sleep(0.1)
        self.fail("no record with %r in %s after %ss" % (needle, namespace, timeout))

    # ---- tests ----

    def test_list_clusters_envelope(self):
        cli, env, body = self.invoke({"message": "List my Redshift clusters",
                                      "session_id": "migration-prod-cluster-2024"})
        self.assertEqual(cli["StatusCode"], 200)
        self.assertEqual(cli["ExecutedVersion"], "$LATEST")
        self.assertEqual(env["statusCode"], 200)
        self.assertEqual(env["headers"]["Content-Type"], "application/json")
        self.assertIsInstance(env["body"], str)
        self.assertIn("prod-cluster (4 x ra3.4xlarge, available, us-east-2a)", body["response"])
        self.assertEqual(body["session_id"], "migration-prod-cluster-2024")
        self.assertIs(body["memory_enabled"], True)
        self.assertEqual(body["memory"]["memory_id"], self.memory_id)
        # the turn is stored as two events of the session
        events = self.dp.list_events(memoryId=self.memory_id, actorId="default_user",
                                     sessionId="migration-prod-cluster-2024")["events"]
        texts = [e["payload"][0]["conversational"]["content"]["text"] for e in events]
        self.assertIn("List my Redshift clusters", texts)
        # the Redshift call was a SigV4-signed awsQuery request for us-east-2
        reqs = [r for r in self.fake.requests if r["operation"] == "DescribeClusters"]
        self.assertTrue(reqs)
        self.assertIn("Action=DescribeClusters&Version=2012-12-01", reqs[-1]["body"])
        self.assertTrue(all(r["signature_ok"] for r in self.fake.requests), self.fake.requests)
        self.assertRegex(reqs[-1]["authorization"],
                         r"^AWS4-HMAC-SHA256 Credential=\S+/\d{8}/us-east-2/redshift/aws4_request, "
                         r"SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$")

    def test_stateless_without_session(self):
        actor = "stateless-%s" % uuid.uuid4().hex[:6]
        body = self.ask("List my Redshift clusters", actor_id=actor)
        self.assertIn("prod-cluster", body["response"])
        self.assertIs(body["memory_enabled"], False)
        self.assertNotIn("session_id", body)
        self.assertIn("no session_id", body["memory_status"])
        sessions = self.dp.list_sessions(memoryId=self.memory_id, actorId=actor)
        self.assertEqual(sessions["sessionSummaries"], [])
        body = self.ask("What did we decide?", actor_id=actor)
        self.assertIn("no memory", body["response"])

    def test_memory_enabled_is_truthful(self):
        # a memory that does not exist: the agent still answers, says memory is off and why
        env = dict(self.env, AGENTCORE_MEMORY_ID="Missing-abcdefghij")
        p = subprocess.run([AGENT, "invoke", "--payload", json.dumps(
            {"message": "List my Redshift clusters", "session_id": "s-1"})],
            capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        body = json.loads(json.loads(p.stdout)["body"])
        self.assertIs(body["memory_enabled"], False)
        self.assertIn("off: memory unavailable", body["memory_status"])
        self.assertIn("ResourceNotFoundException", body["memory_status"])
        self.assertIn("prod-cluster", body["response"])
        # and agentmemd going away between calls: the turn is not claimed as remembered
        env = dict(self.env, AGENTMEM_ENDPOINT="http://127.0.0.1:9")
        p = subprocess.run([AGENT, "invoke", "--payload", json.dumps(
            {"message": "List my Redshift clusters", "session_id": "s-1"})],
            capture_output=True, text=True, env=env, timeout=60)
        body = json.loads(json.loads(p.stdout)["body"])
        self.assertIs(body["memory_enabled"], False)
        self.assertIn("off: memory unavailable", body["memory_status"])

    def test_decision_recalled_next_day_and_in_new_session(self):
        actor = "dba-%s" % uuid.uuid4().hex[:6]
        day1 = "migration-prod-cluster-%s" % uuid.uuid4().hex[:6]
        body = self.ask("let's use a single workgroup analytics-wg with 128 RPUs",
                        session_id=day1, actor_id=actor)
        self.assertIn("Decision recorded for prod-cluster", body["response"])
        self.assertIn("analytics-wg with 128 RPUs", body["response"])
        self.wait_record("/facts/%s/" % actor, "analytics-wg")
        # day 2, same session: the decision comes back
        body = self.ask("What did we decide yesterday?", session_id=day1, actor_id=actor)
        self.assertIn("analytics-wg", body["response"])
        self.assertIn("128 RPUs", body["response"])
        self.assertGreaterEqual(body["memory"]["facts"], 1)
        # a new session of the same actor has no turns, only the long-term facts
        other = "migration-followup-%s" % uuid.uuid4().hex[:6]
        body = self.ask("What did we decide?", session_id=other, actor_id=actor)
        self.assertEqual(body["memory"]["recent_turns"], 0)
        self.assertIn("analytics-wg", body["response"])
        # another actor does not see it
        body = self.ask("What did we decide?", session_id=other,
                        actor_id="someone-else-%s" % uuid.uuid4().hex[:6])
        self.assertNotIn("analytics-wg", body["response"])
        self.assertIn("no decision is recorded yet", body["response"])

    def test_preference_across_sessions(self):
        actor = "pref-%s" % uuid.uuid4().hex[:6]
        body = self.ask("I prefer dry runs before any change", session_id="s-one", actor_id=actor)
        self.assertIn("Noted your preference", body["response"])
        self.wait_record("/preferences/%s/" % actor, "dry run")
        body = self.ask("What are my preferences?", session_id="s-two", actor_id=actor)
        self.assertIn("dry run", body["response"].lower())
        # the preference changes what the agent does in the other session
        n = len(self.fake.state["snapshots"])
        body = self.ask("Take a snapshot of prod-cluster", session_id="s-two", actor_id=actor)
        self.assertIn("Dry run", body["response"])
        self.assertEqual(len(self.fake.state["snapshots"]), n)

    def test_migration_flow_uses_memory(self):
        actor = "flow-%s" % uuid.uuid4().hex[:6]
        sid = "migration-flow-%s" % uuid.uuid4().hex[:6]
        wg = "flow%s-wg" % uuid.uuid4().hex[:4]
        self.ask("List my Redshift clusters", session_id=sid, actor_id=actor)
        body = self.ask("Show the WLM queues of prod-cluster", session_id=sid, actor_id=actor)
        self.assertIn("has 3 WLM queues", body["response"])
        self.assertIn("etl (user_groups etl_users, concurrency 5, memory 40%)", body["response"])
        self.ask("let's use a single workgroup %s with 64 RPUs" % wg, session_id=sid,
                 actor_id=actor)
        body = self.ask("take the snapshot now", session_id=sid, actor_id=actor)
        self.assertIn("arn:aws:redshift:us-east-2:123456789012:snapshot:prod-cluster/",
                      body["response"])
        body = self.ask("is the snapshot ready?", session_id=sid, actor_id=actor)
        self.assertRegex(body["response"], r"^Snapshot prod-cluster-migration-\d{8}-\d{6} is "
                                           r"available\. Next step")
        body = self.ask("create the namespace and workgroup now", session_id=sid, actor_id=actor)
        self.assertIn("workgroup %s (64 RPUs base" % wg, body["response"])
        wgs = self.fake.state["workgroups"]
        self.assertEqual(wgs[wg]["baseCapacity"], 64)
        self.assertEqual(wgs[wg]["namespaceName"], wg[:-3] + "-ns")
        body = self.ask("restore the snapshot now", session_id=sid, actor_id=actor)
        self.assertIn("Restore of arn:aws:redshift", body["response"])
        self.assertEqual(self.fake.state["namespaces"][wg[:-3] + "-ns"]["status"], "MODIFYING")
        body = self.ask("is the restore done?", session_id=sid, actor_id=actor)
        self.assertIn("is MODIFYING; the restore is still running", body["response"])
        body = self.ask("is the restore done?", session_id=sid, actor_id=actor)
        self.assertIn("Restore complete: namespace %s-ns is AVAILABLE" % wg[:-3], body["response"])
        req = [r for r in self.fake.requests if r["operation"] == "RestoreFromSnapshot"][-1]
        self.assertIn("/us-east-2/redshift-serverless/aws4_request", req["authorization"])
        body = self.ask("Where were we?", session_id=sid, actor_id=actor)
        ns = wg[:-3] + "-ns"
        self.assertIn("Checklist for prod-cluster (kept from AWS results, across your sessions): "
                      "[x] assessed (4 x ra3.4xlarge, 512 GB storage, 3 WLM queues: etl, "
                      "dashboards, default), [x] target decided (single workgroup %s, 64 RPUs), "
                      "[x] snapshot taken (prod-cluster-migration-" % wg, body["response"])
        self.assertIn(", available), [x] namespace created (%s), [x] workgroup created (%s, 64 "
                      "RPUs), [x] restore started (into %s), [x] restored and AVAILABLE "
                      "(namespace %s), [ ] endpoint cut-over. Left: repoint clients to the "
                      "endpoint of workgroup %s" % (ns, wg, ns, ns, wg), body["response"])
        # the checklist is one record per actor and cluster, written directly by the agent
        recs = self.dp.list_memory_records(memoryId=self.memory_id,
                                           namespace="/actors/%s/migrations" % actor,
                                           maxResults=100)["memoryRecordSummaries"]
        self.assertEqual(len(recs), 1, recs)
        entry = json.loads(recs[0]["content"]["text"])
        self.assertEqual(entry["cluster"], "prod-cluster")
        self.assertEqual(sorted(entry["steps"]), ["assess", "available", "namespace", "plan",
                                                 "restore", "snapshot", "workgroup"])
        self.assertEqual(entry["target"]["workgroup"], wg)
        self.assertEqual({s["session"] for s in entry["steps"].values()}, {sid})
        self.assertIn("%s with 64 RPUs" % wg, body["response"])

    def test_empty_message_is_400_with_usage(self):
        for payload in ({"message": ""}, {"message": "   ", "session_id": "x"}, {}):
            cli, env, body = self.invoke(payload)
            self.assertEqual(cli["StatusCode"], 200)
            self.assertEqual(env["statusCode"], 400)
            self.assertEqual(body["error"], "No message provided")
            self.assertIn("message", body["usage"])
            self.assertIn("session_id", body["usage"])
            self.assertIs(body["memory_enabled"], False)

    def test_session_and_actor_id_rules(self):
        for sid in ("has space", "semi;colon", "dot.ted", "x" * 101, "ünïcode"):
            cli, env, body = self.invoke({"message": "List my Redshift clusters",
                                          "session_id": sid})
            self.assertEqual(env["statusCode"], 400, sid)
            self.assertIn("letters, digits, hyphens and underscores", body["error"])
            self.assertIs(body["memory_enabled"], False)
        cli, env, body = self.invoke({"message": "hi", "session_id": "ok", "actor_id": "a b"})
        self.assertEqual(env["statusCode"], 400)
        self.assertIn("e-mail address", body["error"])
        # e-mail actors are welcome, and their turns are remembered
        body = self.ask("List my Redshift clusters", session_id="Mixed_Case-1",
                        actor_id="jane.doe+dba@example.com")
        self.assertTrue(body["memory_enabled"], body)
        events = self.dp.list_events(memoryId=self.memory_id, actorId="jane.doe+dba@example.com",
                                     sessionId="Mixed_Case-1")["events"]
        self.assertEqual(len(events), 2)

    def test_log_tail(self):
        out = os.path.join(self.tmp, "tail.json")
        p = self.aws("lambda", "invoke", "--function-name", "redshift-migration-agent",
                     "--log-type", "Tail", "--payload", '{"message": "hello"}', out)
        log = base64.b64decode(json.loads(p.stdout)["LogResult"]).decode()
        self.assertRegex(log, r"^START RequestId: \S+ Version: \$LATEST\n")
        self.assertIn("REPORT RequestId:", log)

    def test_invoke_errors(self):
        p = self.aws("lambda", "invoke", "--function-name", "other-function", "--payload",
                     '{"message": "hi"}', os.path.join(self.tmp, "x.json"), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("ResourceNotFoundException", p.stderr)
        p = self.aws("lambda", "invoke", "--function-name", "redshift-migration-agent",
                     "--payload", "not json", os.path.join(self.tmp, "x.json"), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("InvalidRequestContentException", p.stderr)

    def test_function_configuration_round_trip(self):
        get = ["lambda", "get-function-configuration", "--function-name",
               "redshift-migration-agent"]
        p = self.aws(*get, "--query", "Environment.Variables.AGENTCORE_MEMORY_ID",
                     "--output", "text")
        self.assertEqual(p.stdout.strip(), self.memory_id)
        try:
            # UpdateFunctionConfiguration replaces the whole map, as on AWS
            p = self.aws("lambda", "update-function-configuration", "--function-name",
                         "redshift-migration-agent", "--environment",
                         "Variables={AGENTCORE_MEMORY_ID=no-such-memory}")
            cfg = json.loads(p.stdout)
            self.assertEqual(cfg["Environment"]["Variables"],
                             {"AGENTCORE_MEMORY_ID": "no-such-memory"})
            p = self.aws(*get, "--query", "Environment.Variables.AGENTCORE_MEMORY_ID",
                         "--output", "text")
            self.assertEqual(p.stdout.strip(), "no-such-memory")
            # the handler reads the new value: memory is off, and says why
            body = self.ask("List my Redshift clusters", session_id="cfg-session")
            self.assertIs(body["memory_enabled"], False)
            self.assertIn("memory unavailable", body["memory_status"])
            self.assertEqual(body["session_id"], "cfg-session")
        finally:
            self.aws("lambda", "update-function-configuration", "--function-name",
                     "redshift-migration-agent", "--environment",
                     json.dumps({"Variables": {"AGENTCORE_MEMORY_ID": self.memory_id,
                                               "AGENTMEM_ENDPOINT": self.server.url}}))
        body = self.ask("List my Redshift clusters", session_id="cfg-session")
        self.assertIs(body["memory_enabled"], True)

    def test_one_shot_invoke(self):
        p = subprocess.run([AGENT, "invoke", "--payload",
                            '{"message": "Plan the migration of prod-cluster"}'],
                           capture_output=True, text=True, env=self.env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        env = json.loads(p.stdout)
        self.assertEqual(env["statusCode"], 200)
        body = json.loads(env["body"])
        self.assertIn("24 RPU base capacity", body["response"])
        self.assertIs(body["memory_enabled"], False)
        # an API Gateway proxy event is unwrapped
        p = subprocess.run([AGENT, "invoke", "--payload",
                            json.dumps({"body": json.dumps({"message": "List my clusters"})})],
                           capture_output=True, text=True, env=self.env, timeout=60)
        body = json.loads(json.loads(p.stdout)["body"])
        self.assertIn("prod-cluster", body["response"])

    def test_bootstrap_runtime_api(self):
        """The custom-runtime loop: next invocation → response, against a fake Runtime API."""
        got = {}
        event = json.dumps({"message": "List my Redshift clusters"}).encode()

        class RuntimeAPI(BaseHTTPRequestHandler):
            calls = 0

            def log_message(self, *a):
                pass

            def do_GET(self):
                RuntimeAPI.calls += 1
                if self.path == "/2018-06-01/runtime/invocation/next" and RuntimeAPI.calls == 1:
                    self.send_response(200)
                    self.send_header("Lambda-Runtime-Aws-Request-Id", "req-1")
                    self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60000))
                    self.send_header("Content-Length", str(len(event)))
                    self.end_headers()
                    self.wfile.write(event)
                else:  # no more events: the runtime must give up
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                got[self.path] = self.rfile.read(n)
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        api = ThreadingHTTPServer(("127.0.0.1", 0), RuntimeAPI)
        threading.Thread(target=api.serve_forever, daemon=True).start()
        try:
            env = dict(self.env, AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % api.server_address[1])
            p = subprocess.run([AGENT, "bootstrap"], capture_output=True, text=True, env=env,
                               timeout=60)
        finally:
            api.shutdown()
            api.server_close()
        self.assertEqual(p.returncode, 1, p.stderr)   # exits when /next fails
        resp = json.loads(got["/2018-06-01/runtime/invocation/req-1/response"])
        self.assertEqual(resp["statusCode"], 200)
        self.assertIn("prod-cluster", json.loads(resp["body"])["response"])

    def test_fake_speaks_the_wire_formats(self):
        """botocore itself parses the fake's replies, so the agent is tested against the
        formats AWS uses."""
        kw = dict(endpoint_url=self.fake.url, region_name="us-east-2")
        rs = harness.boto3.client("redshift", **kw)
        c = rs.describe_clusters()["Clusters"][0]
        self.assertEqual((c["ClusterIdentifier"], c["NodeType"], c["NumberOfNodes"]),
                         ("prod-cluster", "ra3.4xlarge", 4))
        pg = c["ClusterParameterGroups"][0]["ParameterGroupName"]
        params = rs.describe_cluster_parameters(ParameterGroupName=pg)["Parameters"]
        wlm = [p for p in params if p["ParameterName"] == "wlm_json_configuration"][0]
        queues = [q for q in json.loads(wlm["ParameterValue"]) if "short_query_queue" not in q]
        self.assertEqual(len(queues), 3)
        with self.assertRaises(rs.exceptions.ClusterNotFoundFault):
            rs.describe_clusters(ClusterIdentifier="nope")
        sl = harness.boto3.client("redshift-serverless", **kw)
        ns = sl.create_namespace(namespaceName="wire-ns")["namespace"]
        self.assertEqual(ns["status"], "AVAILABLE")
        wg = sl.create_workgroup(workgroupName="wire-wg", namespaceName="wire-ns",
                                 baseCapacity=32)["workgroup"]
        self.assertEqual(wg["endpoint"]["port"], 5439)
        with self.assertRaises(sl.exceptions.ConflictException):
            sl.create_workgroup(workgroupName="wire-wg2", namespaceName="wire-ns")
        with self.assertRaises(sl.exceptions.ResourceNotFoundException):
            sl.get_workgroup(workgroupName="missing-wg")


if __name__ == "__main__":
    unittest.main()
