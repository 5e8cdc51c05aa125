"""Policies per access key (agentmemd --auth sigv4, src/api/http/policy.c and auth.c): the
three example policies of docs/security.md (docs/policies/*.json), attached to keys in the
credentials file, checked with boto3 clients signed by each key."""
import os
import shutil
import subprocess
import tempfile
import time

import boto3
from botocore.config import Config

from harness import ROOT, ServerTestCase, binary

POLICIES = os.path.join(ROOT, "docs", "policies")
KEYS = {  # profile: (access key, secret, policy file or None)
    "admin": ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "admin.json"),
    "agent": ("AKIAAGENTKEY00000001", "agent/Secret+0001", "agent.json"),
    "operator": ("AKIAOPERATOR00000001", "operator/Secret+0001", "readonly.json"),
    "legacy": ("AKIALEGACY0000000001", "legacy/Secret+0001", None),
}


def conv(text):
    return [{"conversational": {"content": {"text": text}, "role": "USER"}}]


def write_credentials(path, keys):
    with open(path, "w") as f:
        for profile, (key, secret, policy) in keys.items():
            f.write("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                    % (profile, key, secret))
            if policy:
                f.write("policy = %s\n" % policy)
    os.chmod(path, 0o600)


class TestPolicies(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="agentmem-policy-")
        for name in ("admin.json", "agent.json", "readonly.json"):
            shutil.copy(os.path.join(POLICIES, name), cls.dir)   # relative to the file
        cls.creds = os.path.join(cls.dir, "credentials")
        write_credentials(cls.creds, KEYS)
        cls.server_args = ("--auth", "sigv4", "--credentials", cls.creds)
        super().setUpClass()
        cls.mid = cls.cp.create_memory(name=cls.unique("RedshiftMigrationMemory"),
                                       eventExpiryDuration=30)["memory"]["id"]
        cls.other = cls.cp.create_memory(name=cls.unique("Other"),
                                         eventExpiryDuration=30)["memory"]["id"]

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.dir, ignore_errors=True)

    def as_key(self, profile, service="bedrock-agentcore"):
        key, secret, _ = KEYS[profile]
        return boto3.client(service, endpoint_url=self.server.url, region_name="us-east-1",
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            config=Config(retries={"max_attempts": 1}))

    def denied(self, call, *args, **kw):
        with self.assertRaises(Exception) as ctx:
            call(*args, **kw)
        err = ctx.exception.response["Error"]
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertEqual(err["Code"], "AccessDeniedException")
        return err["Message"]

    def n_events(self, mid, actor, session):
        try:
            return len(self.dp.list_events(memoryId=mid, actorId=actor, sessionId=session,
                                           maxResults=100)["events"])
        except self.dp.exceptions.ResourceNotFoundException:
            return 0

    def test_agent_key_only_its_users(self):
        agent = self.as_key("agent")
        ev = agent.create_event(memoryId=self.mid, actorId="user-42", sessionId="s1",
                                eventTimestamp=time.time(), payload=conv("hi"))["event"]
        got = agent.get_event(memoryId=self.mid, actorId="user-42", sessionId="s1",
                              eventId=ev["eventId"])["event"]
        self.assertEqual(got["eventId"], ev["eventId"])
        # another actor, another memory, an operation not granted: 403, nothing written
        before = self.n_events(self.mid, "admin", "s1")
        msg = self.denied(agent.create_event, memoryId=self.mid, actorId="admin",
                          sessionId="s1", eventTimestamp=time.time(), payload=conv("x"))
        self.assertIn("User: agent is not authorized to perform: "
                      "bedrock-agentcore:CreateEvent on resource: arn:aws:bedrock-agentcore:",
                      msg)
        self.assertIn("because no identity-based policy allows the action", msg)
        self.assertEqual(self.n_events(self.mid, "admin", "s1"), before)
        self.denied(agent.create_event, memoryId=self.other, actorId="user-42",
                    sessionId="s1", eventTimestamp=time.time(), payload=conv("x"))
        self.assertEqual(self.n_events(self.other, "user-42", "s1"), 0)
        self.denied(agent.delete_event, memoryId=self.mid, actorId="user-42", sessionId="s1",
                    eventId=ev["eventId"])
        self.assertEqual(self.n_events(self.mid, "user-42", "s1"), 1)
        # records: only in its users' namespaces
        agent.retrieve_memory_records(memoryId=self.mid, namespace="/actors/user-42/",
                                      searchCriteria={"searchQuery": "hi"})
        self.denied(agent.retrieve_memory_records, memoryId=self.mid, namespace="/actors/bob/",
                    searchCriteria={"searchQuery": "hi"})
        # the migration agent's checklist records: written directly, in its users' namespaces
        rec = {"requestIdentifier": "c1", "timestamp": 1.7e9,
               "content": {"text": "checklist"}, "namespaces": ["/actors/user-42/migrations"]}
        out = agent.batch_create_memory_records(memoryId=self.mid, records=[rec])
        self.assertEqual(len(out["successfulRecords"]), 1, out)
        self.denied(agent.batch_create_memory_records, memoryId=self.mid,
                    records=[dict(rec, namespaces=["/actors/bob/migrations"])])
        self.denied(agent.batch_delete_memory_records, memoryId=self.mid, records=[
            {"memoryRecordId": out["successfulRecords"][0]["memoryRecordId"]}])
        self.denied(self.as_key("agent", "bedrock-agentcore-control").create_memory,
                    name=self.unique("Nope"), eventExpiryDuration=30)

    def test_operator_reads_only(self):
        self.dp.create_event(memoryId=self.mid, actorId="user-7", sessionId="s1",
                             eventTimestamp=time.time(), payload=conv("read me"))
        ops, ops_cp = self.as_key("operator"), self.as_key("operator",
                                                           "bedrock-agentcore-control")
        self.assertEqual(ops_cp.get_memory(memoryId=self.mid)["memory"]["id"], self.mid)
        self.assertTrue(ops_cp.list_memories()["memories"])
        self.assertEqual(len(ops.list_events(memoryId=self.mid, actorId="user-7",
                                             sessionId="s1")["events"]), 1)
        self.denied(ops.create_event, memoryId=self.mid, actorId="user-7", sessionId="s1",
                    eventTimestamp=time.time(), payload=conv("write"))
        self.denied(ops_cp.delete_memory, memoryId=self.other)
        self.assertEqual(self.cp.get_memory(memoryId=self.other)["memory"]["status"], "ACTIVE")
        self.assertEqual(self.n_events(self.mid, "user-7", "s1"), 1)

    def test_admin_deny_wins_and_legacy_key(self):
        admin_cp = self.as_key("admin", "bedrock-agentcore-control")
        msg = self.denied(admin_cp.delete_memory, memoryId=self.mid)
        self.assertIn("with an explicit deny in an identity-based policy", msg)
        self.assertEqual(self.cp.get_memory(memoryId=self.mid)["memory"]["status"], "ACTIVE")
        doomed = admin_cp.create_memory(name=self.unique("Doomed"),
                                        eventExpiryDuration=30)["memory"]["id"]
        self.assertEqual(admin_cp.delete_memory(memoryId=doomed)["status"], "DELETING")
        # a key without a policy keeps full access, and the server said so at start
        legacy = self.as_key("legacy")
        legacy.create_event(memoryId=self.other, actorId="anyone", sessionId="s1",
                            eventTimestamp=time.time(), payload=conv("ok"))
        log = self.server.log_text()
        self.assertIn("1 of 4 keys have no policy", log)
        for _, secret, _ in KEYS.values():
            self.assertNotIn(secret, log)


class TestBadPolicy(ServerTestCase):
    """A broken policy stops agentmemd at start, naming the profile, the file and the fault."""
    server_args = ()

    def test_refused_at_start(self):
        d = tempfile.mkdtemp(prefix="agentmem-policy-bad-")
        try:
            with open(os.path.join(d, "bad.json"), "w") as f:
                f.write('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                        '"Action": "*", "Resource": "*", '
                        '"Condition": {"NumericLessThan": {"k": "1"}}}]}')
            creds = os.path.join(d, "credentials")
            write_credentials(creds, {"broken": ("AKIABROKEN0000000001", "s/1", "bad.json"),
                                      "missing": ("AKIAMISSING000000001", "s/2", None)})
            r = subprocess.run([binary(), "--listen", "127.0.0.1:0", "--db",
                                os.path.join(d, "a.db"), "--auth", "sigv4",
                                "--credentials", creds], capture_output=True, text=True,
                               timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("[broken] policy: %s/bad.json: statement 0: unsupported condition "
                          "operator NumericLessThan" % d, r.stderr)
            os.remove(os.path.join(d, "bad.json"))
            r = subprocess.run([binary(), "--listen", "127.0.0.1:0", "--db",
                                os.path.join(d, "a.db"), "--auth", "sigv4",
                                "--credentials", creds], capture_output=True, text=True,
                               timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("bad.json: cannot read the policy file", r.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)
