"""The Redshift migration story end to end, through `aws lambda invoke` against
`redshift-migration-agent serve`, with the agent process restarted between day 1 and day 2.
It runs twice: with memory in agentmemd (AGENTMEM_ENDPOINT), and embedded in the agent
process on a database file (AGENTMEM_DB, no server at all).

AWS is build/redshift-sim --demo (prod-cluster with three WLM queues), restarted with the
agent on the same state file, checking every SigV4 signature the agent sends
(--credentials), and checked with boto3.

Day 1: "I want to migrate my prod-cluster to serverless", then "What were the WLM queues we
found?", a decision and a preference. The agent is stopped and started again. Day 2: "Let us
proceed with the migration now" picks up the remembered cluster and decision and creates the
serverless resources in the fake AWS. Another session of the same actor sees the
preference, and a call without a session_id writes nothing.
"""
import json
import os
import sqlite3
import subprocess
import tempfile
import time
import unittest
import uuid

import harness

from test_agent import AGENT, STRATEGIES, agent_env, lambda_invoke, spawn_agent  # noqa: E402,E501
from test_redshift_sim import SIM, Sim, credentials_file  # noqa: E402

CLI = os.path.join(os.path.dirname(harness.binary()), "agentmem")


class Story:
    """The story; subclasses say where the memory lives."""

    @classmethod
    def memory_env(cls):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="agent-story-")
        harness._TMPDIRS.append(cls.tmp)
        cls.sim_state = os.path.join(cls.tmp, "aws.json")
        cls.sim_keys = credentials_file(cls.tmp)
        cls.sim = Sim(cls.sim_state, "--demo", "--credentials", cls.sim_keys)
        cls.env = agent_env(dict(cls.memory_env(), **{
            "AWS_ENDPOINT_URL_REDSHIFT": cls.sim.url,
            "AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS": cls.sim.url}))
        cls.agent = None
        cls.start_agent()

    @classmethod
    def tearDownClass(cls):
        cls.stop_agent()
        assert cls.sim.stop() == 0

    @classmethod
    def start_agent(cls):
        cls.agent, cls.agent_log, cls.url = spawn_agent(
            cls.env, os.path.join(cls.tmp, "agent-%s.log" % uuid.uuid4().hex[:6]))

    @classmethod
    def stop_agent(cls):
        if cls.agent:
            cls.agent.terminate()
            rc = cls.agent.wait(20)
            cls.agent_log.close()
            cls.agent = None
            if rc != 0:
                raise AssertionError("agent exited with %r" % rc)

    def ask(self, message, **kw):
        return lambda_invoke(self, self.url, self.tmp, dict(kw, message=message))

    def wait_for(self, message, needle, timeout=30, **kw):
        """Ask until the answer holds needle: extraction runs in the background."""
        deadline = time.time() + timeout
        while True:
            body = self.ask(message, **kw)
            if needle.lower() in body["response"].lower() or time.time() > deadline:
                return body
            time.sleep(0.5)

    def test_one_workgroup_per_queue(self):
        """A "multiple workgroups" decision: one namespace and workgroup per WLM queue, the
        decided RPUs split by each queue's memory share, then a restored copy in each."""
        actor = "dba-%s" % uuid.uuid4().hex[:6]
        sid = "multi-%s" % uuid.uuid4().hex[:6]
        body = self.ask("Show the WLM queues of prod-cluster", session_id=sid, actor_id=actor)
        self.assertIn("has 3 WLM queues", body["response"])
        body = self.ask("We'll use multiple workgroups, one per queue, with 128 RPUs",
                        session_id=sid, actor_id=actor)
        self.assertIn("Serverless namespace and workgroup per WLM queue", body["response"])
        body = self.ask("create the namespaces and workgroups", session_id=sid, actor_id=actor)
        self.assertIn("Dry run: I would create 3 namespace and workgroup pairs, one per WLM "
                      "queue of prod-cluster: etl (CreateNamespace prod-cluster-etl-ns, "
                      "CreateWorkgroup prod-cluster-etl-wg with 56 RPUs)", body["response"])
        self.ask("take the snapshot now", session_id=sid, actor_id=actor)
        body = self.ask("create them now", session_id=sid, actor_id=actor)
        self.assertIn("Created 3 Serverless namespaces and workgroups for prod-cluster",
                      body["response"])
        sl = self.sim.client("redshift-serverless")
        got = {w["workgroupName"]: (w["namespaceName"], w["baseCapacity"])
               for w in sl.list_workgroups()["workgroups"]
               if w["workgroupName"].startswith("prod-cluster-")}
        self.assertEqual(got, {"prod-cluster-etl-wg": ("prod-cluster-etl-ns", 56),
                               "prod-cluster-dashboards-wg": ("prod-cluster-dashboards-ns", 48),
                               "prod-cluster-default-wg": ("prod-cluster-default-ns", 32)})
        body = self.ask("restore the snapshot now", session_id=sid, actor_id=actor)
        self.assertIn("started into 3 of 3 namespaces of prod-cluster", body["response"])
        body = self.ask("is the restore done?", session_id=sid, actor_id=actor)
        self.assertIn("the restore is still running", body["response"])
        body = self.ask("is the restore done?", session_id=sid, actor_id=actor)
        self.assertIn("Restore complete: all 3 namespaces are AVAILABLE", body["response"])
        body = self.ask("Where were we?", session_id=sid, actor_id=actor)
        self.assertIn("[x] namespace created (3 namespaces, one per WLM queue)", body["response"])
        self.assertIn("[x] restored and AVAILABLE (3 namespaces), [ ] endpoint cut-over",
                      body["response"])

    def test_story_across_a_restart(self):
        actor = "dba-%s" % uuid.uuid4().hex[:6]
        day1 = "migration-prod-cluster-%s" % uuid.uuid4().hex[:6]
        wg = "story%s-wg" % uuid.uuid4().hex[:4]

        # day 1: analysis, from the real (fake AWS) tool results
        body = self.ask("I want to migrate my prod-cluster to serverless", session_id=day1,
                        actor_id=actor)
        self.assertTrue(body["memory_enabled"], body)
        self.assertEqual(body["session_id"], day1)
        self.assertIn("prod-cluster", body["response"])
        self.assertIn("ra3.4xlarge", body["response"])
        body = self.ask("Show the WLM queues of prod-cluster", session_id=day1, actor_id=actor)
        self.assertIn("has 3 WLM queues", body["response"])
        body = self.ask("What were the WLM queues we found?", session_id=day1, actor_id=actor)
        for q in ("etl", "dashboards"):
            self.assertIn(q, body["response"])
        self.ask("I prefer dry runs before any change", session_id=day1, actor_id=actor)
        body = self.ask("let's use a single workgroup %s with 64 RPUs" % wg, session_id=day1,
                        actor_id=actor)
        self.assertIn("Decision recorded for prod-cluster", body["response"])
        # let extraction store the decision before the process goes away
        self.wait_for("What did we decide?", wg, session_id=day1, actor_id=actor)

        # the agent process restarts (a new Lambda container, or the next day's run), and so
        # does the simulated AWS, on its state file
        self.stop_agent()
        self.assertEqual(self.sim.stop(), 0)
        type(self).sim = Sim(self.sim_state, "--credentials", self.sim_keys)
        self.env["AWS_ENDPOINT_URL_REDSHIFT"] = self.sim.url
        self.env["AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS"] = self.sim.url
        self.start_agent()

        # day 2, a new session of the same actor: the checklist kept from the AWS results
        # says where the migration stands, with no extraction involved
        day2 = "migration-day2-%s" % uuid.uuid4().hex[:6]
        body = self.ask("Where were we with prod-cluster?", session_id=day2, actor_id=actor)
        self.assertIn("Checklist for prod-cluster", body["response"])
        self.assertIn("[x] assessed (4 x ra3.4xlarge", body["response"])
        self.assertIn("[x] target decided (single workgroup %s, 64 RPUs), [ ] snapshot taken"
                      % wg, body["response"])
        self.assertIn("Next: take the snapshot.", body["response"])

        # day 2: the same session resumes with the cluster and the decision
        body = self.ask("Where were we?", session_id=day1, actor_id=actor)
        self.assertIn("%s with 64 RPUs" % wg, body["response"])
        body = self.ask("Let us proceed with the migration now", session_id=day1,
                        actor_id=actor)
        self.assertIn("prod-cluster", body["response"])
        body = self.ask("take the snapshot now", session_id=day1, actor_id=actor)
        self.assertIn("arn:aws:redshift:us-east-2:123456789012:snapshot:prod-cluster/",
                      body["response"])
        self.ask("is the snapshot ready?", session_id=day1, actor_id=actor)
        body = self.ask("create the namespace and workgroup now", session_id=day1,
                        actor_id=actor)
        self.assertIn("workgroup %s (64 RPUs base" % wg, body["response"])
        sl = self.sim.client("redshift-serverless")
        got = sl.get_workgroup(workgroupName=wg)["workgroup"]
        self.assertEqual((got["baseCapacity"], got["namespaceName"]), (64, wg[:-3] + "-ns"))
        self.assertEqual(sl.get_namespace(namespaceName=wg[:-3] + "-ns")["namespace"]
                         ["namespaceName"], wg[:-3] + "-ns")

        # the checklist followed every step, in whichever session it was taken
        body = self.ask("Where were we?", session_id=day2, actor_id=actor)
        self.assertIn("[x] snapshot taken (prod-cluster-migration-", body["response"])
        self.assertIn("[x] namespace created (%s), [x] workgroup created (%s, 64 RPUs), "
                      "[ ] restore started" % (wg[:-3] + "-ns", wg), body["response"])
        self.assertIn("Next: restore the snapshot.", body["response"])

        # another session of the same actor: the preference is there
        other = "followup-%s" % uuid.uuid4().hex[:6]
        body = self.wait_for("What are my preferences?", "dry run", session_id=other,
                             actor_id=actor)
        self.assertIn("dry run", body["response"].lower())

        # no session_id: stateless, and nothing is written
        before = self.count_events(), self.checklists(actor)
        self.assertEqual(len(before[1]), 1)
        body = self.ask("Show the WLM queues of prod-cluster", actor_id=actor)
        self.assertIn("has 3 WLM queues", body["response"])
        self.assertFalse(body["memory_enabled"])
        self.assertNotIn("session_id", body)
        self.assertEqual((self.count_events(), self.checklists(actor)), before)


@unittest.skipUnless(os.access(AGENT, os.X_OK) and os.access(SIM, os.X_OK),
                     "build/redshift-migration-agent or build/redshift-sim not built")
class TestStoryWithAgentmemd(Story, unittest.TestCase):
    @classmethod
    def memory_env(cls):
        cls.server = harness.Server().start()
        dp = cls.server.dp()
        cls.dp = dp
        cls.memory_id = cls.server.cp().create_memory(
            name="RedshiftMigrationMemory_%s" % uuid.uuid4().hex[:6], eventExpiryDuration=30,
            memoryStrategies=STRATEGIES)["memory"]["id"]
        return {"AGENTCORE_MEMORY_ID": cls.memory_id, "AGENTMEM_ENDPOINT": cls.server.url}

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        assert cls.server.stop() == 0

    def count_events(self):
        n = 0
        for a in self.dp.list_actors(memoryId=self.memory_id, maxResults=100)["actorSummaries"]:
            for s in self.dp.list_sessions(memoryId=self.memory_id, actorId=a["actorId"],
                                           maxResults=100)["sessionSummaries"]:
                n += len(self.dp.list_events(memoryId=self.memory_id, actorId=a["actorId"],
                                             sessionId=s["sessionId"], maxResults=100)["events"])
        return n

    def checklists(self, actor):
        return sorted(r["content"]["text"] for r in self.dp.list_memory_records(
            memoryId=self.memory_id, namespace="/actors/%s/migrations" % actor,
            maxResults=100)["memoryRecordSummaries"])


@unittest.skipUnless(os.access(AGENT, os.X_OK) and os.access(CLI, os.X_OK) and
                     os.access(SIM, os.X_OK), "the agent, agentmem or redshift-sim not built")
@unittest.skipIf(harness.PG_URI, "the embedded run uses a SQLite file")
class TestStoryEmbedded(Story, unittest.TestCase):
    @classmethod
    def memory_env(cls):
        d = tempfile.mkdtemp(prefix="agent-story-db-")
        harness._TMPDIRS.append(d)
        cls.db = os.path.join(d, "agent.db")
        out = subprocess.run([CLI, "--db", cls.db, "--json", "setup", "--name",
                              "RedshiftMigrationMemory"], capture_output=True, text=True,
                             check=True)
        cls.memory_id = json.loads(out.stdout)["id"]
        return {"AGENTCORE_MEMORY_ID": cls.memory_id, "AGENTMEM_DB": cls.db,
                "AGENTMEM_ENDPOINT": "http://127.0.0.1:9"}   # unused: AGENTMEM_DB wins

    def count_events(self):
        con = sqlite3.connect(self.db)
        try:
            return con.execute("SELECT count(*) FROM events").fetchone()[0]
        finally:
            con.close()

    def checklists(self, actor):
        con = sqlite3.connect(self.db)
        try:
            return sorted(r[0] for r in con.execute(
                "SELECT text FROM records WHERE namespace LIKE ?",
                ("/actors/%s/migrations%%" % actor,)))
        finally:
            con.close()


if __name__ == "__main__":
    unittest.main()
