"""Model providers behind agentmemd: extraction by Amazon Bedrock's Converse API and Titan
embeddings, both signed with SigV4, against tests/helpers/fake_bedrock.py (which recomputes
every signature with botocore and validates Converse bodies against botocore's model).

The server runs with AGENTMEM_LLM_PROVIDER=bedrock and AGENTMEM_EMBED_PROVIDER=bedrock;
AWS_ENDPOINT_URL_BEDROCK_RUNTIME points both at the fake, as users would point it at a VPC
endpoint.
"""
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.request

from harness import ROOT, ServerTestCase


def conv(text, role="USER"):
    return [{"conversational": {"content": {"text": text}, "role": role}}]


class TestBedrockModels(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tests", "helpers", "fake_bedrock.py")],
            stdout=subprocess.PIPE, text=True)
        port = int(cls.fake.stdout.readline().split()[1])
        cls.fake_url = "http://127.0.0.1:%d" % port
        cls.server_env = {
            "AGENTMEM_LLM_PROVIDER": "bedrock",
            "AGENTMEM_LLM_MODEL": "anthropic.claude-3-haiku-20240307-v1:0",
            "AGENTMEM_EMBED_PROVIDER": "bedrock",
            "AGENTMEM_EMBED_DIM": "256",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": cls.fake_url,
            "AWS_REGION": "us-west-2",
        }
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.fake.terminate()
        cls.fake.wait()

    def seen(self):
        with urllib.request.urlopen(self.fake_url + "/_fake/requests") as r:
            return json.loads(r.read())

    def wait_extracted(self, mid, actor, session, event_id, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            ev = self.dp.get_event(memoryId=mid, actorId=actor, sessionId=session,
                                   eventId=event_id)
            status, _, body = self.server.request(
                "GET", "/memories/%s/actor/%s/sessions/%s/events/%s" % (
                    mid, actor, session, event_id.replace("#", "%23")))
            state = body["event"].get("agentmem", {}).get("extraction")
            if state in ("DONE", "FAILED"):
                return state
            time.sleep(0.2)
        self.fail("event %s not extracted in %d s" % (event_id, timeout))

    def test_extraction_and_search_through_bedrock(self):
        mid = self.cp.create_memory(
            name=self.unique("Bedrock"), eventExpiryDuration=30,
            memoryStrategies=[
                {"semanticMemoryStrategy": {"name": "Facts", "namespaces": ["/facts/{actorId}"]}},
                {"customMemoryStrategy": {
                    "name": "ClusterFacts", "namespaces": ["/clusters/{actorId}"],
                    "configuration": {"semanticOverride": {"extraction": {
                        "appendToPrompt": "Only keep facts about Redshift clusters.",
                        "modelId": "anthropic.claude-3-5-sonnet-20240620-v1:0"}}}}},
            ])["memory"]["id"]
        ev = self.dp.create_event(memoryId=mid, actorId="alice", sessionId="s1",
                                  eventTimestamp=time.time(),
                                  payload=conv("prod-cluster has 4 ra3.4xlarge nodes"))["event"]
        self.assertEqual(self.wait_extracted(mid, "alice", "s1", ev["eventId"]), "DONE")
        recs = self.dp.list_memory_records(memoryId=mid, namespace="/facts/alice")
        texts = [r["content"]["text"] for r in recs["memoryRecordSummaries"]]
        self.assertEqual(texts, ["FAKE: USER said prod-cluster has 4 ra3.4xlarge nodes"])
        custom = self.dp.list_memory_records(memoryId=mid, namespace="/clusters/alice")
        self.assertEqual(len(custom["memoryRecordSummaries"]), 1)
        # retrieval embeds the query with Titan through the fake too
        hits = self.dp.retrieve_memory_records(
            memoryId=mid, namespace="/facts/alice",
            searchCriteria={"searchQuery": "how many nodes does prod-cluster have", "topK": 3})
        self.assertEqual([h["content"]["text"] for h in hits["memoryRecordSummaries"]], texts)

        seen = self.seen()
        self.assertTrue(seen)
        self.assertTrue(all(r["signature_ok"] for r in seen), [r["path"] for r in seen])
        converse = [r for r in seen if r["path"].endswith("/converse")]
        # the custom strategy's model and appendToPrompt reach Bedrock; the built-in
        # semantic strategy uses the configured model without extra instructions
        custom_calls = [r for r in converse
                        if "anthropic.claude-3-5-sonnet-20240620-v1%3A0" in r["path"]]
        self.assertEqual(len(custom_calls), 1)
        self.assertIn("Only keep facts about Redshift clusters.", custom_calls[0]["body"])
        plain = [r for r in converse if "claude-3-haiku" in r["path"]]
        self.assertTrue(plain)
        self.assertTrue(all("ADDITIONAL INSTRUCTIONS" not in r["body"] for r in plain))
        self.assertTrue(any(r["path"] == "/model/amazon.titan-embed-text-v2%3A0/invoke"
                            for r in seen))

    def test_provider_failure_fails_the_job_visibly(self):
        mid = self.cp.create_memory(
            name=self.unique("BedrockFail"), eventExpiryDuration=30,
            memoryStrategies=[{"semanticMemoryStrategy": {"name": "Facts"}}])["memory"]["id"]
        ev = self.dp.create_event(memoryId=mid, actorId="bob", sessionId="s1",
                                  eventTimestamp=time.time(),
                                  payload=conv("FAIL500 prod-cluster has 4 nodes"))["event"]
        # retried with backoff (1 s, 2 s, 4 s between attempts), then FAILED with the reason
        self.assertEqual(self.wait_extracted(mid, "bob", "s1", ev["eventId"], timeout=60),
                         "FAILED")
        jobs = self.dp.list_memory_extraction_jobs(memoryId=mid,
                                                   filter={"status": "FAILED"})["jobs"]
        self.assertEqual(len(jobs), 1)
        self.assertIn("bedrock", jobs[0]["failureReason"])
        self.assertIn("HTTP 500", jobs[0]["failureReason"])
        self.assertEqual(self.dp.list_memory_records(memoryId=mid, namespace="/")
                         ["memoryRecordSummaries"], [])


if __name__ == "__main__":
    unittest.main()
