"""test_cli.py - agentmemd driven by the real `aws` CLI (v1), both planes, one command at a time.

Each test runs `aws bedrock-agentcore[-control] OP --endpoint-url http://127.0.0.1:PORT --output
json` as a user would, with fake credentials and a private, empty CLI config (so a developer's
~/.aws cannot change the outcome), and checks three things the boto3 tests cannot: the CLI's
own argument parsing of our shapes (JSON lists, documents, timestamps), its pagination
(--page-size pages behind the scenes, --max-items/--starting-token hand out its own
NextToken), and how it reports our errors ("An error occurred (Type) when calling the Op
operation: message" on stderr, exit status 255 in v1, 254 in v2). Fixtures that are not the
point of a test are made with boto3, which is ~50 times faster than starting the CLI. The
server's own request counters (GET /_agentmem/metrics) show how many pages the CLI fetched.
The suite is skipped when `aws` is not installed.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import ServerTestCase


def find_aws():
    """The aws executable; behind a pyenv shim, the real script (saves ~0.15 s a command)."""
    path = shutil.which("aws")
    if path and os.sep + os.path.join(".pyenv", "shims") + os.sep in path:
        try:
            real = subprocess.run(["pyenv", "which", "aws"], capture_output=True, text=True,
                                  timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            real = ""
        if real and os.access(real, os.X_OK):
            return real
    return path


AWS = find_aws()
CP, DP = "bedrock-agentcore-control", "bedrock-agentcore"
EVENT_ID = r"^\d{19}#[0-9a-f]{8}$"


def conv(text, role="USER"):
    return {"conversational": {"content": {"text": text}, "role": role}}


def cli_env(tmp):
    """The environment of every CLI run: fake keys, no profile, no retries, no IMDS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.path.join(tmp, "config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(tmp, "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
        "AWS_PAGER": "",
    })
    return env


@unittest.skipUnless(AWS, "the aws CLI is not installed")
class CliTestCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cli_tmp = tempfile.mkdtemp(prefix="agentmem-cli-", dir=cls.server.tmp)
        cls.env = cli_env(cls.cli_tmp)

    def run_cli(self, service, op, *args, env=None):
        cmd = [AWS, service, op, "--endpoint-url", self.server.url, "--output", "json"]
        cmd += [str(a) for a in args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env or self.env,
                              timeout=120)

    def aws(self, service, op, *args, env=None):
        """Run one command that must succeed; return its parsed JSON output ({} if none)."""
        r = self.run_cli(service, op, *args, env=env)
        self.assertEqual(r.returncode, 0, "aws %s %s failed:\n%s" % (service, op, r.stderr))
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def aws_error(self, service, op, *args, error, operation, contains=None, env=None):
        """Run one command that must fail with `error`; return the message after the colon."""
        r = self.run_cli(service, op, *args, env=env)
        self.assertNotEqual(r.returncode, 0, "aws %s %s succeeded:\n%s" % (service, op, r.stdout))
        self.assertIn(r.returncode, (254, 255), r.stderr)
        self.assertEqual(r.stdout.strip(), "")
        # v1 adds " (reached max retries: 0)" after the operation, since retries are off
        head = (r"An error occurred \(%s\) when calling the %s operation"
                r"(?: \(reached max retries: \d+\))?: " % (error, operation))
        m = re.search(head, r.stderr)
        self.assertTrue(m, "want %s from %s, got:\n%s" % (error, operation, r.stderr))
        msg = r.stderr[m.end():].strip()
        if contains:
            self.assertIn(contains, msg)
        return msg

    def ops(self, operation):
        """How many requests of `operation` the server has answered (any status)."""
        status, _, text = self.server.request("GET", "/_agentmem/metrics", raw=True)
        self.assertEqual(status, 200)
        pat = r'^agentmem_http_requests_total\{operation="%s",code="\d+"\} (\d+)$' % operation
        return sum(int(n) for n in re.findall(pat, text.decode(), re.M))

    def memory(self, prefix="Cli", **kw):
        kw.setdefault("eventExpiryDuration", 30)
        return self.cp.create_memory(name=self.unique(prefix), **kw)["memory"]["id"]


class TestCliMemories(CliTestCase):
    """Control plane: create-memory, get-memory, list-memories, update-memory, delete-memory."""

    def test_create_with_strategies_get_and_wait(self):
        name = self.unique("CliStrategies")
        strategies = [
            {"semanticMemoryStrategy": {"name": "Facts", "description": "facts",
                                        "namespaces": ["/facts/{actorId}"]}},
            {"summaryMemoryStrategy": {"name": "Summary",
                                       "namespaces": ["/summaries/{actorId}/{sessionId}"]}},
            {"userPreferenceMemoryStrategy": {"name": "Prefs",
                                              "namespaces": ["/prefs/{actorId}"]}}]
        mem = self.aws(CP, "create-memory", "--name", name, "--description", "via the CLI ✓",
                       "--event-expiry-duration", 90, "--memory-strategies",
                       json.dumps(strategies))["memory"]
        self.assertRegex(mem["id"], "^%s-[A-Za-z0-9]{10}$" % name)
        self.assertEqual(mem["arn"].split(":memory/")[1], mem["id"])
        self.assertEqual(mem["eventExpiryDuration"], 90)
        self.assertIn(mem["status"], ("CREATING", "ACTIVE"))
        self.assertIsInstance(mem["createdAt"], (int, float))   # v1 prints the wire value
        self.assertEqual([s["type"] for s in mem["strategies"]],
                         ["SEMANTIC", "SUMMARIZATION", "USER_PREFERENCE"])
        self.assertEqual([s["namespaces"] for s in mem["strategies"]],
                         [["/facts/{actorId}"], ["/summaries/{actorId}/{sessionId}"],
                          ["/prefs/{actorId}"]])
        for s, want in zip(mem["strategies"], ("Facts", "Summary", "Prefs")):
            self.assertRegex(s["strategyId"], "^%s-[A-Za-z0-9]{10}$" % want)
        # the CLI's waiter polls GetMemory until ACTIVE
        self.aws(CP, "wait", "memory-created", "--memory-id", mem["id"])
        got = self.aws(CP, "get-memory", "--memory-id", mem["id"])["memory"]
        self.assertEqual(got["status"], "ACTIVE")
        self.assertEqual(got["description"], "via the CLI ✓")
        self.assertEqual([s["strategyId"] for s in got["strategies"]],
                         [s["strategyId"] for s in mem["strategies"]])
        # a memory ARN works wherever a memory id does
        by_arn = self.aws(CP, "get-memory", "--memory-id", mem["arn"])["memory"]
        self.assertEqual(by_arn["id"], mem["id"])

    def test_list_memories_pages(self):
        mine = [self.memory("CliList") for _ in range(4)]
        n0 = self.ops("ListMemories")
        every = self.aws(CP, "list-memories", "--page-size", 2)
        self.assertNotIn("NextToken", every)
        ids = [m["id"] for m in every["memories"]]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertTrue(set(mine) <= set(ids))
        # pages of 2, fetched by the CLI; other test methods may have added memories since
        self.assertGreaterEqual(self.ops("ListMemories") - n0, (len(ids) + 1) // 2)
        for m in every["memories"]:
            self.assertTrue(set(m) >= {"id", "arn", "status", "createdAt", "updatedAt"}, m)
        # --max-items: the CLI stops early and hands out its own token to resume with
        first = self.aws(CP, "list-memories", "--max-items", 3, "--page-size", 2)
        self.assertEqual(len(first["memories"]), 3)
        self.assertTrue(first["NextToken"])
        rest = self.aws(CP, "list-memories", "--starting-token", first["NextToken"],
                        "--page-size", 2)
        self.assertEqual([m["id"] for m in first["memories"] + rest["memories"]], ids)

    def test_update_memory(self):
        mid = self.memory("CliUpdate", memoryStrategies=[
            {"semanticMemoryStrategy": {"name": "Facts"}}])
        old = self.cp.get_memory(memoryId=mid)["memory"]
        upd = self.aws(CP, "update-memory", "--memory-id", mid, "--description", "second",
                       "--event-expiry-duration", 45, "--memory-strategies", json.dumps({
                           "addMemoryStrategies": [{"summaryMemoryStrategy": {
                               "name": "Sum", "namespaces": ["/sum/{actorId}/{sessionId}"]}}],
                           "deleteMemoryStrategies": [
                               {"memoryStrategyId": old["strategies"][0]["strategyId"]}]}))
        mem = upd["memory"]
        self.assertEqual(mem["description"], "second")
        self.assertEqual(mem["eventExpiryDuration"], 45)
        self.assertEqual([(s["name"], s["type"]) for s in mem["strategies"]],
                         [("Sum", "SUMMARIZATION")])
        self.assertGreaterEqual(mem["updatedAt"], old["updatedAt"].timestamp())
        got = self.aws(CP, "get-memory", "--memory-id", mid)["memory"]
        self.assertEqual(got["eventExpiryDuration"], 45)
        self.assertEqual([s["name"] for s in got["strategies"]], ["Sum"])

    def test_delete_memory(self):
        mid = self.memory("CliDelete")
        self.dp.create_event(memoryId=mid, actorId="a", sessionId="s", eventTimestamp=time.time(),
                             payload=[conv("bye")])
        gone = self.aws(CP, "delete-memory", "--memory-id", mid)
        self.assertEqual(gone, {"memoryId": mid, "status": "DELETING"})
        self.aws_error(CP, "get-memory", "--memory-id", mid, error="ResourceNotFoundException",
                       operation="GetMemory")
        self.aws_error(DP, "list-events", "--memory-id", mid, "--actor-id", "a", "--session-id",
                       "s", error="ResourceNotFoundException", operation="ListEvents")
        self.aws_error(CP, "delete-memory", "--memory-id", mid, error="ResourceNotFoundException",
                       operation="DeleteMemory")

    def test_errors(self):
        name = self.unique("CliTaken")
        self.cp.create_memory(name=name, eventExpiryDuration=30)
        self.aws_error(CP, "create-memory", "--name", name, "--event-expiry-duration", 30,
                       error="ValidationException", operation="CreateMemory",
                       contains="already exists")
        # botocore checks minimums, never maximums or patterns: those are the server's
        msg = self.aws_error(CP, "create-memory", "--name", self.unique("CliLong"),
                             "--event-expiry-duration", 366, error="ValidationException",
                             operation="CreateMemory")
        self.assertIn("eventExpiryDuration", msg)
        self.aws_error(CP, "create-memory", "--name", "bad name!", "--event-expiry-duration", 30,
                       error="ValidationException", operation="CreateMemory", contains="name")
        seven = [{"semanticMemoryStrategy": {"name": "S%d" % i}} for i in range(7)]
        self.aws_error(CP, "create-memory", "--name", self.unique("CliSeven"),
                       "--event-expiry-duration", 30, "--memory-strategies", json.dumps(seven),
                       error="ServiceQuotaExceededException", operation="CreateMemory")
        for op, extra in (("get-memory", ()), ("update-memory", ("--description", "x")),
                          ("delete-memory", ())):
            self.aws_error(CP, op, "--memory-id", "Missing-abcdefghij", *extra,
                           error="ResourceNotFoundException",
                           operation="".join(w.title() for w in op.split("-")))

    def test_client_side_validation_sends_nothing(self):
        n0 = self.ops("CreateMemory")
        r = self.run_cli(CP, "create-memory", "--name", self.unique("CliMin"),
                         "--event-expiry-duration", 1)
        self.assertEqual(r.returncode, 255, r.stderr)
        self.assertIn("Parameter validation failed", r.stderr)
        self.assertEqual(self.ops("CreateMemory"), n0)


class TestCliEvents(CliTestCase):
    """Data plane, short-term memory: create-event, get-event, list-events, list-sessions,
    list-actors, delete-event."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mid = cls.cp.create_memory(name=cls.unique("CliEvents"),
                                       eventExpiryDuration=30)["memory"]["id"]

    def create(self, actor, session, payload, *extra, ts="1767225600.123"):
        return self.aws(DP, "create-event", "--memory-id", self.mid, "--actor-id", actor,
                        "--session-id", session, "--event-timestamp", ts,
                        "--payload", json.dumps(payload), *extra)["event"]

    def get(self, actor, session, event_id):
        return self.aws(DP, "get-event", "--memory-id", self.mid, "--actor-id", actor,
                        "--session-id", session, "--event-id", event_id)["event"]

    def test_conversational_unicode_metadata(self):
        texts = ["Grüße aus Köln – naïve café", "你好，世界 / こんにちは",
                 "مرحبا بالعالم", "emoji 🎉👩‍💻 and e\u0301 combining",
                 'quotes "q" \\ back\tslash\nnewline']
        payload = [conv(t, role) for t, role in zip(texts, ("USER", "ASSISTANT", "TOOL", "OTHER",
                                                          "USER"))]
        # metadata values are ASCII by the model's pattern [a-zA-Z0-9\s._:/=+@-]*
        meta = {"location": {"stringValue": "Zurich HQ/floor 3"}, "step": {"stringValue": "1"}}
        ev = self.create("user/alice:dev", "unicode-1", payload, "--metadata", json.dumps(meta))
        self.assertRegex(ev["eventId"], EVENT_ID)
        self.assertTrue(ev["eventId"].startswith("0000001767225600123#"))
        self.assertEqual(ev["eventTimestamp"], 1767225600.123)
        self.assertEqual(ev["actorId"], "user/alice:dev")
        self.assertEqual(ev["payload"], payload)
        self.assertEqual(ev["metadata"], meta)
        self.assertEqual(ev["branch"], {"name": "main"})
        # get-event percent-encodes "user/alice:dev" and the "#" of the event id in the path
        got = self.get("user/alice:dev", "unicode-1", ev["eventId"])
        for k in ("eventId", "eventTimestamp", "payload", "metadata", "sessionId", "memoryId"):
            self.assertEqual(got[k], ev[k], k)

    def test_blob_payloads(self):
        payload = [{"blob": {"tool": "snapshot", "args": {"cluster": "prod", "n": [1, 2.5, None,
                                                                             True]}}},
                   {"blob": "a plain string ✓"}, {"blob": [1, "two", {"3": 3}]},
                   conv("and a turn")]
        ev = self.create("bob", "blobs", payload)
        self.assertEqual(ev["payload"], payload)
        self.assertEqual(self.get("bob", "blobs", ev["eventId"])["payload"], payload)

    def test_event_timestamp_forms(self):
        # the CLI takes epoch seconds or ISO 8601 and sends epoch seconds
        a = self.create("ts", "forms", [conv("a")], ts="2026-01-01T00:00:01.250Z")
        self.assertEqual(a["eventTimestamp"], 1767225601.25)
        b = self.create("ts", "forms", [conv("b")], ts="1767225602")
        self.assertEqual(b["eventTimestamp"], 1767225602)
        self.assertTrue(b["eventId"].startswith("0000001767225602000#"))

    def test_client_token_is_idempotent(self):
        tok = "cli-token-%s" % self.unique("t")
        a = self.create("carol", "idem", [conv("once")], "--client-token", tok)
        b = self.create("carol", "idem", [conv("once")], "--client-token", tok)
        self.assertEqual(a["eventId"], b["eventId"])
        self.aws_error(DP, "create-event", "--memory-id", self.mid, "--actor-id", "carol",
                       "--session-id", "idem", "--event-timestamp", "1767225600.123",
                       "--payload", json.dumps([conv("other text")]), "--client-token", tok,
                       error="ConflictException", operation="CreateEvent")
        listed = self.dp.list_events(memoryId=self.mid, actorId="carol", sessionId="idem")
        self.assertEqual([e["eventId"] for e in listed["events"]], [a["eventId"]])

    def test_list_events_pagination(self):
        ids = []
        for i in range(7):
            ev = self.dp.create_event(
                memoryId=self.mid, actorId="dave", sessionId="paged",
                eventTimestamp=1767225600 + i, payload=[conv("turn %d" % i)],
                metadata={"parity": {"stringValue": "odd" if i % 2 else "even"}})["event"]
            ids.append(ev["eventId"])
        newest_first = ids[::-1]
        args = ("--memory-id", self.mid, "--actor-id", "dave", "--session-id", "paged")
        n0 = self.ops("ListEvents")
        every = self.aws(DP, "list-events", *args, "--page-size", 2)
        self.assertEqual(self.ops("ListEvents") - n0, 4)      # 2+2+2+1, fetched by the CLI
        self.assertEqual([e["eventId"] for e in every["events"]], newest_first)
        self.assertNotIn("NextToken", every)
        self.assertEqual(every["events"][0]["payload"], [conv("turn 6")])
        # --max-items stops early and resumes with --starting-token, at any page size
        seen, token, calls = [], None, 0
        while True:
            extra = ("--starting-token", token) if token else ()
            page = self.aws(DP, "list-events", *args, "--max-items", 3, "--page-size", 2, *extra)
            calls += 1
            seen += [e["eventId"] for e in page["events"]]
            token = page.get("NextToken")
            if not token:
                break
        self.assertEqual(seen, newest_first)
        self.assertEqual(calls, 3)
        # one page of the server's own size, without payloads
        one = self.aws(DP, "list-events", *args, "--max-results", 5, "--no-paginate",
                       "--no-include-payloads")
        self.assertEqual(len(one["events"]), 5)
        self.assertTrue(one["nextToken"])
        self.assertTrue(all(e.get("payload", []) == [] for e in one["events"]))
        odd = self.aws(DP, "list-events", *args, "--filter", json.dumps({"eventMetadata": [
            {"left": {"metadataKey": "parity"}, "operator": "EQUALS_TO",
             "right": {"metadataValue": {"stringValue": "odd"}}}]}))
        self.assertEqual([e["eventId"] for e in odd["events"]], [ids[5], ids[3], ids[1]])

    def test_sessions_and_actors(self):
        mid = self.memory("CliSessions")
        for actor, n in (("erin", 5), ("frank", 1), ("team/gwen:ops", 2)):
            for s in range(n):
                self.dp.create_event(memoryId=mid, actorId=actor, sessionId="sess-%d" % s,
                                     eventTimestamp=1767225600 + s, payload=[conv("hi")])
        n0 = self.ops("ListSessions")
        sessions = self.aws(DP, "list-sessions", "--memory-id", mid, "--actor-id", "erin",
                            "--page-size", 2)
        self.assertEqual(self.ops("ListSessions") - n0, 3)
        got = sessions["sessionSummaries"]
        self.assertEqual(sorted(s["sessionId"] for s in got), ["sess-%d" % i for i in range(5)])
        self.assertTrue(all(s["actorId"] == "erin" for s in got))
        self.assertTrue(all(isinstance(s["createdAt"], (int, float)) for s in got))
        two = self.aws(DP, "list-sessions", "--memory-id", mid, "--actor-id", "erin",
                       "--max-items", 2)
        self.assertEqual(len(two["sessionSummaries"]), 2)
        self.assertTrue(two["NextToken"])
        gwen = self.aws(DP, "list-sessions", "--memory-id", mid, "--actor-id", "team/gwen:ops")
        self.assertEqual(sorted(s["sessionId"] for s in gwen["sessionSummaries"]),
                         ["sess-0", "sess-1"])
        actors = self.aws(DP, "list-actors", "--memory-id", mid, "--page-size", 1)
        self.assertEqual(sorted(a["actorId"] for a in actors["actorSummaries"]),
                         ["erin", "frank", "team/gwen:ops"])
        one = self.aws(DP, "list-actors", "--memory-id", mid, "--max-items", 1)
        self.assertEqual(len(one["actorSummaries"]), 1)
        self.assertTrue(one["NextToken"])
        nobody = self.aws(DP, "list-sessions", "--memory-id", mid, "--actor-id", "nobody")
        self.assertEqual(nobody["sessionSummaries"], [])

    def test_delete_event(self):
        keep = self.create("hank", "del", [conv("keep")], ts="1767225600")
        drop = self.create("hank", "del", [conv("drop")], ts="1767225601")
        out = self.aws(DP, "delete-event", "--memory-id", self.mid, "--actor-id", "hank",
                       "--session-id", "del", "--event-id", drop["eventId"])
        self.assertEqual(out, {"eventId": drop["eventId"]})
        self.aws_error(DP, "get-event", "--memory-id", self.mid, "--actor-id", "hank",
                       "--session-id", "del", "--event-id", drop["eventId"],
                       error="ResourceNotFoundException", operation="GetEvent")
        self.aws_error(DP, "delete-event", "--memory-id", self.mid, "--actor-id", "hank",
                       "--session-id", "del", "--event-id", drop["eventId"],
                       error="ResourceNotFoundException", operation="DeleteEvent")
        left = self.aws(DP, "list-events", "--memory-id", self.mid, "--actor-id", "hank",
                        "--session-id", "del")
        self.assertEqual([e["eventId"] for e in left["events"]], [keep["eventId"]])

    def test_errors(self):
        base = ("--memory-id", self.mid, "--session-id", "errs", "--event-timestamp",
                "1767225600")
        msg = self.aws_error(DP, "create-event", *base, "--actor-id", "ivy", "--payload",
                             json.dumps([conv("x", "ROBOT")]), error="ValidationException",
                             operation="CreateEvent")
        self.assertIn("payload[0].conversational.role", msg)
        self.assertIn("ROBOT", msg)
        self.aws_error(DP, "create-event", *base, "--actor-id", "bad actor", "--payload",
                       json.dumps([conv("x")]), error="ValidationException",
                       operation="CreateEvent", contains="actorId")
        self.aws_error(DP, "create-event", *base, "--actor-id", "ivy", "--payload", "[]",
                       error="ValidationException", operation="CreateEvent", contains="payload")
        self.aws_error(DP, "create-event", "--memory-id", "Missing-abcdefghij", "--actor-id",
                       "ivy", "--session-id", "s", "--event-timestamp", "1767225600",
                       "--payload", json.dumps([conv("x")]), error="ResourceNotFoundException",
                       operation="CreateEvent")
        self.aws_error(DP, "list-events", "--memory-id", self.mid, "--actor-id", "ivy",
                       "--session-id", "errs", "--max-results", 1000, "--no-paginate",
                       error="ValidationException", operation="ListEvents",
                       contains="maxResults")
        self.aws_error(DP, "get-event", "--memory-id", self.mid, "--actor-id", "ivy",
                       "--session-id", "errs", "--event-id", "0000001767225600000#00000000",
                       error="ResourceNotFoundException", operation="GetEvent")
        self.aws_error(DP, "list-actors", "--memory-id", "Missing-abcdefghij",
                       error="ResourceNotFoundException", operation="ListActors")
        # a nextToken the server never issued
        self.aws_error(DP, "list-events", "--memory-id", self.mid, "--actor-id", "ivy",
                       "--session-id", "errs", "--next-token", "not-a-token", "--no-paginate",
                       error="ValidationException", operation="ListEvents")


class TestCliRecords(CliTestCase):
    """Data plane, long-term memory: batch-create/update/delete-memory-records,
    list-memory-records, retrieve-memory-records, get/delete-memory-record, extraction jobs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mid = cls.cp.create_memory(name=cls.unique("CliRecords"),
                                       eventExpiryDuration=30)["memory"]["id"]

    def batch_create(self, records, *extra, mid=None):
        return self.aws(DP, "batch-create-memory-records", "--memory-id", mid or self.mid,
                        "--records", json.dumps(records), *extra)

    def test_records_lifecycle(self):
        texts = ["The prod-cluster WLM queue has 5 slots", "Alice prefers dark mode ✓",
                 "Snapshots of prod-cluster run nightly at 02:00 UTC",
                 "Bob's team owns the analytics workgroup", "Zürich office uses eu-central-1"]
        records = [{"requestIdentifier": "r%d" % i, "namespaces": ["/notes/alice"],
                    "content": {"text": t}, "timestamp": 1767225600 + i}
                   for i, t in enumerate(texts)]
        tok = "batch-%s" % self.unique("t")
        created = self.batch_create(records, "--client-token", tok)
        self.assertEqual(created["failedRecords"], [])
        ok = created["successfulRecords"]
        self.assertEqual([r["requestIdentifier"] for r in ok], ["r0", "r1", "r2", "r3", "r4"])
        self.assertTrue(all(r["status"] == "SUCCEEDED" for r in ok))
        rids = [r["memoryRecordId"] for r in ok]
        # the same token with the same records is a replay, not five more records
        again = self.batch_create(records, "--client-token", tok)
        self.assertEqual([r["memoryRecordId"] for r in again["successfulRecords"]], rids)
        self.batch_create([{"requestIdentifier": "o", "namespaces": ["/notes/bob"],
                            "content": {"text": "elsewhere"}, "timestamp": 1767225600}])

        n0 = self.ops("ListMemoryRecords")
        listed = self.aws(DP, "list-memory-records", "--memory-id", self.mid,
                          "--namespace", "/notes/alice", "--page-size", 2)
        self.assertEqual(self.ops("ListMemoryRecords") - n0, 3)
        summaries = listed["memoryRecordSummaries"]
        self.assertEqual(sorted(r["memoryRecordId"] for r in summaries), sorted(rids))
        self.assertTrue(all(r["namespaces"] == ["/notes/alice"] for r in summaries))
        self.assertTrue(all(isinstance(r["createdAt"], (int, float)) for r in summaries))
        first = self.aws(DP, "list-memory-records", "--memory-id", self.mid,
                         "--namespace", "/notes/alice", "--max-items", 2)
        rest = self.aws(DP, "list-memory-records", "--memory-id", self.mid,
                        "--namespace", "/notes/alice", "--starting-token", first["NextToken"])
        self.assertEqual(sorted(r["memoryRecordId"] for r in first["memoryRecordSummaries"] +
                                rest["memoryRecordSummaries"]), sorted(rids))
        under = self.aws(DP, "list-memory-records", "--memory-id", self.mid, "--namespace",
                         "/notes")
        self.assertEqual(len(under["memoryRecordSummaries"]), 6)

        found = self.aws(DP, "retrieve-memory-records", "--memory-id", self.mid, "--namespace",
                         "/notes/alice", "--search-criteria",
                         json.dumps({"searchQuery": "prod-cluster snapshots nightly", "topK": 3}))
        hits = found["memoryRecordSummaries"]
        self.assertTrue(1 <= len(hits) <= 3, hits)
        self.assertEqual(hits[0]["memoryRecordId"], rids[2])
        scores = [h["score"] for h in hits]
        self.assertTrue(all(0 < s <= 1 for s in scores), scores)
        self.assertEqual(scores, sorted(scores, reverse=True))

        rec = self.aws(DP, "get-memory-record", "--memory-id", self.mid, "--memory-record-id",
                       rids[1])["memoryRecord"]
        self.assertEqual(rec["content"]["text"], texts[1])
        self.assertEqual(rec["namespaces"], ["/notes/alice"])
        upd = self.aws(DP, "batch-update-memory-records", "--memory-id", self.mid, "--records",
                       json.dumps([{"memoryRecordId": rids[1], "timestamp": 1767225700,
                                    "content": {"text": "Alice prefers light mode"}}]))
        self.assertEqual(upd["failedRecords"], [])
        self.assertEqual(upd["successfulRecords"][0]["status"], "SUCCEEDED")
        rec = self.aws(DP, "get-memory-record", "--memory-id", self.mid, "--memory-record-id",
                       rids[1])["memoryRecord"]
        self.assertEqual(rec["content"]["text"], "Alice prefers light mode")

        out = self.aws(DP, "delete-memory-record", "--memory-id", self.mid,
                       "--memory-record-id", rids[0])
        self.assertEqual(out, {"memoryRecordId": rids[0]})
        self.aws_error(DP, "get-memory-record", "--memory-id", self.mid, "--memory-record-id",
                       rids[0], error="ResourceNotFoundException", operation="GetMemoryRecord")
        self.aws_error(DP, "delete-memory-record", "--memory-id", self.mid,
                       "--memory-record-id", rids[0], error="ResourceNotFoundException",
                       operation="DeleteMemoryRecord")
        dele = self.aws(DP, "batch-delete-memory-records", "--memory-id", self.mid, "--records",
                        json.dumps([{"memoryRecordId": rids[3]}, {"memoryRecordId": rids[0]}]))
        self.assertEqual([r["memoryRecordId"] for r in dele["successfulRecords"]], [rids[3]])
        self.assertEqual([r["memoryRecordId"] for r in dele["failedRecords"]], [rids[0]])
        self.assertEqual(dele["failedRecords"][0]["errorCode"], 404)
        left = self.aws(DP, "list-memory-records", "--memory-id", self.mid,
                        "--namespace", "/notes/alice")
        self.assertEqual(sorted(r["memoryRecordId"] for r in left["memoryRecordSummaries"]),
                         sorted([rids[1], rids[2], rids[4]]))

    def test_batch_reports_each_record(self):
        good = {"requestIdentifier": "good", "namespaces": ["/mixed"],
                "content": {"text": "fine"}, "timestamp": 1767225600}
        long = {"requestIdentifier": "long", "namespaces": ["/mixed"],
                "content": {"text": "x" * 16001}, "timestamp": 1767225600}
        upd = self.aws(DP, "batch-update-memory-records", "--memory-id", self.mid, "--records",
                       json.dumps([{"memoryRecordId": "mem-00000000-0000-4000-8000-000000000000",
                                    "timestamp": 1767225600, "content": {"text": "x"}}]))
        self.assertEqual(upd["successfulRecords"], [])
        self.assertEqual(upd["failedRecords"][0]["errorCode"], 404)
        created = self.batch_create([good, long])
        self.assertEqual([r["requestIdentifier"] for r in created["successfulRecords"]], ["good"])
        bad = created["failedRecords"]
        self.assertEqual([(r["requestIdentifier"], r["status"], r["errorCode"]) for r in bad],
                         [("long", "FAILED", 400)])
        self.assertIn("content.text", bad[0]["errorMessage"])

    def test_errors(self):
        self.aws_error(DP, "retrieve-memory-records", "--memory-id", self.mid, "--namespace",
                       "/a", "--namespace-path", "/a", "--search-criteria",
                       json.dumps({"searchQuery": "x"}), error="ValidationException",
                       operation="RetrieveMemoryRecords")
        self.aws_error(DP, "retrieve-memory-records", "--memory-id", "Missing-abcdefghij",
                       "--namespace", "/a", "--search-criteria", json.dumps({"searchQuery": "x"}),
                       error="ResourceNotFoundException", operation="RetrieveMemoryRecords")
        self.aws_error(DP, "list-memory-records", "--memory-id", self.mid, "--namespace", "/a",
                       "--max-results", 101, "--no-paginate", error="ValidationException",
                       operation="ListMemoryRecords", contains="maxResults")
        # over 100 records is the whole request's fault (one bad record is reported alone)
        self.aws_error(DP, "batch-create-memory-records", "--memory-id", self.mid, "--records",
                       json.dumps([{"requestIdentifier": "r%d" % i, "namespaces": ["/a"],
                                    "content": {"text": "x"}, "timestamp": 1767225600}
                                   for i in range(101)]),
                       error="ValidationException", operation="BatchCreateMemoryRecords")
        listed = self.dp.list_memory_records(memoryId=self.mid, namespace="/a")
        self.assertEqual(listed["memoryRecordSummaries"], [])
        self.aws_error(DP, "get-memory-record", "--memory-id", self.mid, "--memory-record-id",
                       "mem-00000000-0000-4000-8000-000000000000",
                       error="ResourceNotFoundException", operation="GetMemoryRecord")

    def test_extraction_jobs(self):
        mid = self.memory("CliJobs", memoryStrategies=[
            {"semanticMemoryStrategy": {"name": "Facts"}}])
        for i in range(3):
            self.dp.create_event(memoryId=mid, actorId="alice", sessionId="s%d" % i,
                                 eventTimestamp=time.time(),
                                 payload=[conv("I run prod-cluster in us-east-%d" % (i + 1))])
        jobs = self.aws(DP, "list-memory-extraction-jobs", "--memory-id", mid, "--page-size", 1)
        self.assertIsInstance(jobs["jobs"], list)
        for j in jobs["jobs"]:
            self.assertTrue(j["jobID"])
            self.assertIn(j["status"], ("FAILED", "PENDING", "RUNNING"))
            for m in j["messages"]["messagesList"]:
                self.assertRegex(m["eventId"], EVENT_ID)
        failed = self.aws(DP, "list-memory-extraction-jobs", "--memory-id", mid, "--filter",
                          json.dumps({"status": "FAILED"}))
        self.assertTrue(all(j["status"] == "FAILED" for j in failed["jobs"]))
        # Jobs finish within milliseconds with the built-in extractor and none can be made to
        # stay FAILED from outside: a job listed a moment ago restarts or is already gone.
        if jobs["jobs"]:
            job_id = jobs["jobs"][0]["jobID"]
            r = self.run_cli(DP, "start-memory-extraction-job", "--memory-id", mid,
                             "--extraction-job", json.dumps({"jobId": job_id}))
            if r.returncode == 0:
                self.assertEqual(json.loads(r.stdout)["jobId"], job_id)
            else:
                self.assertIn("(ResourceNotFoundException)", r.stderr)
                self.assertIn(job_id, r.stderr)
        self.aws_error(DP, "start-memory-extraction-job", "--memory-id", mid,
                       "--extraction-job", json.dumps({"jobId": "job-none"}),
                       error="ResourceNotFoundException", operation="StartMemoryExtractionJob")
        self.aws_error(DP, "list-memory-extraction-jobs", "--memory-id", mid, "--filter",
                       json.dumps({"status": "DONE"}), error="ValidationException",
                       operation="ListMemoryExtractionJobs", contains="filter.status")
        self.aws_error(DP, "list-memory-extraction-jobs", "--memory-id", "Missing-abcdefghij",
                       error="ResourceNotFoundException", operation="ListMemoryExtractionJobs")



class TestCliSigV4(CliTestCase):
    """agentmemd --auth sigv4: the CLI signs with keys from the environment or a profile."""
    KEY_ID, SECRET = "AKIACLIEXAMPLE000001", "cli/Secret+Key=0001"

    @classmethod
    def setUpClass(cls):
        cls.keys_dir = tempfile.mkdtemp(prefix="agentmem-cli-keys-")
        cls.creds = os.path.join(cls.keys_dir, "credentials")
        with open(cls.creds, "w") as f:
            f.write("[cli]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                    % (cls.KEY_ID, cls.SECRET))
        os.chmod(cls.creds, 0o600)
        cls.server_args = ("--auth", "sigv4", "--credentials", cls.creds)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.keys_dir, ignore_errors=True)

    def keys(self, key_id, secret):
        return dict(self.env, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret)

    def test_signed_commands(self):
        env = self.keys(self.KEY_ID, self.SECRET)
        mid = self.aws(CP, "create-memory", "--name", self.unique("CliSigned"),
                       "--event-expiry-duration", 30, env=env)["memory"]["id"]
        for i in range(3):
            self.aws(DP, "create-event", "--memory-id", mid, "--actor-id", "user/alice:dev",
                     "--session-id", "s-1", "--event-timestamp", 1767225600 + i,
                     "--payload", json.dumps([conv("signed %d ✓" % i)]), env=env)
        listed = self.aws(DP, "list-events", "--memory-id", mid, "--actor-id", "user/alice:dev",
                          "--session-id", "s-1", "--page-size", 1, env=env)
        self.assertEqual(len(listed["events"]), 3)
        # the keys of an existing credentials file, by profile, as a user would have them
        profile = dict(self.env, AWS_SHARED_CREDENTIALS_FILE=self.creds, AWS_PROFILE="cli")
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            profile.pop(k)
        got = self.aws(CP, "get-memory", "--memory-id", mid, env=profile)
        self.assertEqual(got["memory"]["id"], mid)
        gone = self.aws(CP, "delete-memory", "--memory-id", mid, env=profile)   # ?clientToken=
        self.assertEqual(gone["status"], "DELETING")

    def test_refused(self):
        self.aws_error(CP, "list-memories", error="InvalidSignatureException",
                       operation="ListMemories", env=self.keys(self.KEY_ID, "not-the-secret"))
        self.aws_error(DP, "list-actors", "--memory-id", "Missing-abcdefghij",
                       error="UnrecognizedClientException", operation="ListActors",
                       env=self.keys("AKIAUNKNOWNKEY000000", "x"))


if __name__ == "__main__":
    unittest.main()
