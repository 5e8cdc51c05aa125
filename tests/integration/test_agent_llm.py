"""The agent reasoning with a language model (src/agent/llm.c): tool calling in the OpenAI
chat-completions format and in Bedrock's Converse format (SigV4 and body checked with
botocore by tests/helpers/fake_llm_agent.py), tools answered from the (fake) AWS, the memory
context in the system prompt, consent before mutating, and 429 / 500 / garbage replies.
Driven through `aws lambda invoke` like a user would."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import uuid

import harness

sys.path.insert(0, os.path.join(harness.ROOT, "tests", "helpers"))
from fake_redshift import FakeRedshift  # noqa: E402

from test_agent import AGENT, STRATEGIES, agent_env, lambda_invoke, spawn_agent  # noqa: E402,E501


class LlmAgent:
    provider = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="agent-llm-")
        harness._TMPDIRS.append(cls.tmp)
        cls.server = harness.Server().start()
        cls.dp = cls.server.dp()
        cls.memory_id = cls.server.cp().create_memory(
            name="RedshiftMigrationMemory_%s" % uuid.uuid4().hex[:6], eventExpiryDuration=30,
            memoryStrategies=STRATEGIES)["memory"]["id"]
        cls.redshift = FakeRedshift(secret=os.environ["AWS_SECRET_ACCESS_KEY"]).start()
        cls.llm = subprocess.Popen([sys.executable, os.path.join(
            harness.ROOT, "tests", "helpers", "fake_llm_agent.py")], stdout=subprocess.PIPE,
            text=True)
        cls.llm_url = "http://127.0.0.1:%d" % int(cls.llm.stdout.readline().split()[1])
        env = {"AGENTCORE_MEMORY_ID": cls.memory_id, "AGENTMEM_ENDPOINT": cls.server.url,
               "AWS_ENDPOINT_URL_REDSHIFT": cls.redshift.url,
               "AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS": cls.redshift.url,
               "AGENT_LLM_PROVIDER": cls.provider}
        if cls.provider == "openai":
            env.update(AGENT_LLM_URL=cls.llm_url + "/v1", AGENT_LLM_MODEL="gpt-test",
                       AGENT_LLM_API_KEY="sk-test")
        else:
            env.update(AWS_ENDPOINT_URL_BEDROCK_RUNTIME=cls.llm_url,
                       AGENT_LLM_MODEL="anthropic.claude-3-5-sonnet-20240620-v1:0")
        cls.agent, cls.agent_log, cls.url = spawn_agent(agent_env(env),
                                                         os.path.join(cls.tmp, "agent.log"))

    @classmethod
    def tearDownClass(cls):
        cls.agent.terminate()
        cls.agent.wait(10)
        cls.agent_log.close()
        cls.llm.terminate()
        cls.llm.wait(10)
        cls.redshift.stop()
        assert cls.server.stop() == 0

    def ask(self, message, **kw):
        return lambda_invoke(self, self.url, self.tmp, dict(kw, message=message))

    def llm_requests(self):
        with urllib.request.urlopen(self.llm_url + "/_fake/requests") as r:
            return json.loads(r.read())

    def test_tool_call_answered_from_aws_with_memory_in_the_prompt(self):
        actor = "llm-%s" % uuid.uuid4().hex[:6]
        self.dp.batch_create_memory_records(memoryId=self.memory_id, records=[{
            "requestIdentifier": "p1", "namespaces": ["/preferences/%s/" % actor],
            "content": {"text": "Prefers a single workgroup for every migration"},
            "timestamp": time.time()}])
        n_before = len(self.llm_requests())
        body = self.ask("List my Redshift clusters", session_id="s-%s" % actor, actor_id=actor)
        self.assertTrue(body["response"].startswith("Model says: In us-east-2 the account "
                                                    "has 1 Redshift cluster: prod-cluster"),
                        body["response"])
        self.assertTrue(any(r["operation"] == "DescribeClusters" for r in self.redshift.requests))
        reqs = self.llm_requests()[n_before:]
        self.assertEqual(len(reqs), 2)          # ask, tool result, answer
        first, second = (json.loads(r["body"]) for r in reqs)
        text_of_first = json.dumps(first)
        self.assertIn("Prefers a single workgroup for every migration", text_of_first)
        self.assertIn("list_clusters", text_of_first)           # the tools were offered
        self.assertIn("prod-cluster", json.dumps(second))        # the tool result went back
        if self.provider == "bedrock":
            self.assertTrue(all(r["signature_ok"] for r in reqs))
            self.assertIn("toolResult", json.dumps(second))
        else:
            self.assertEqual([m for m in second["messages"] if m["role"] == "tool"][0]
                             ["tool_call_id"], "call_1")
        # the tool result is remembered as a TOOL turn: the checklist sees the inventory
        body = self.ask("Where were we?", session_id="s-%s" % actor, actor_id=actor)
        self.assertIn("prod-cluster", body["response"])

    def test_mutating_tool_needs_consent(self):
        actor = "llm-%s" % uuid.uuid4().hex[:6]
        n = sum(r["operation"] == "CreateClusterSnapshot" for r in self.redshift.requests)
        body = self.ask("Please snapshot prod-cluster", session_id="s-%s" % actor,
                        actor_id=actor)
        self.assertIn("Model says: Dry run: I would call CreateClusterSnapshot",
                      body["response"])
        self.assertEqual(sum(r["operation"] == "CreateClusterSnapshot"
                             for r in self.redshift.requests), n)
        body = self.ask("Yes, go ahead and snapshot prod-cluster", session_id="s-%s" % actor,
                        actor_id=actor)
        self.assertIn("Model says: Snapshot prod-cluster-migration-", body["response"])
        self.assertEqual(sum(r["operation"] == "CreateClusterSnapshot"
                             for r in self.redshift.requests), n + 1)

    def test_throttled_once_then_answers(self):
        body = self.ask("THROTTLE_ONCE %s list my clusters" % uuid.uuid4().hex[:6],
                        session_id="s-throttle", actor_id="llm-throttle")
        self.assertTrue(body["response"].startswith("Model says:"), body["response"])

    def test_failing_model_falls_back_to_the_workflow(self):
        for switch in ("FAIL500", "GARBAGE"):
            if switch == "GARBAGE" and self.provider == "bedrock":
                continue
            body = self.ask("%s List my Redshift clusters" % switch, session_id="s-fail",
                            actor_id="llm-fail")
            self.assertIn("The language model could not answer", body["response"])
            self.assertIn("prod-cluster", body["response"])     # the workflow's answer


@unittest.skipUnless(os.access(AGENT, os.X_OK), "build/redshift-migration-agent not built")
class TestAgentOpenAI(LlmAgent, unittest.TestCase):
    provider = "openai"


@unittest.skipUnless(os.access(AGENT, os.X_OK), "build/redshift-migration-agent not built")
class TestAgentBedrock(LlmAgent, unittest.TestCase):
    provider = "bedrock"


if __name__ == "__main__":
    unittest.main()
