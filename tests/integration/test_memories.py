"""Control plane (src/api/http/memories.c): CreateMemory, GetMemory, ListMemories,
UpdateMemory, DeleteMemory through boto3's bedrock-agentcore-control client."""
import datetime
import json
import shutil
import subprocess
import unittest

from harness import ServerTestCase

ALL_STRATEGIES = [
    {"semanticMemoryStrategy": {"name": "Facts", "namespaces": ["/facts/{actorId}"]}},
    {"summaryMemoryStrategy": {"name": "Summaries", "description": "per session",
                               "namespaces": ["/summaries/{actorId}/{sessionId}"]}},
    {"userPreferenceMemoryStrategy": {"name": "Prefs"}},
    {"customMemoryStrategy": {"name": "Custom", "configuration": {"semanticOverride": {
        "extraction": {"appendToPrompt": "Extract facts about databases.",
                       "modelId": "anthropic.claude-3-haiku"}}}}},
    {"episodicMemoryStrategy": {"name": "Episodes", "namespaces": ["/episodes/{actorId}"],
                                "reflectionConfiguration": {"namespaces": ["/episodes"]}}},
]


class TestCreateMemory(ServerTestCase):
    def test_create_returns_202_and_memory_shape(self):
        name = self.unique("Create")
        r = self.cp.create_memory(name=name, description="a test memory",
                                  eventExpiryDuration=90)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 202)
        m = r["memory"]
        self.assertTrue(m["id"].startswith(name + "-"))
        self.assertRegex(m["id"], r"^%s-[a-zA-Z0-9]{10}$" % name)
        self.assertEqual(m["arn"],
                         "arn:aws:bedrock-agentcore:us-east-1:123456789012:memory/" + m["id"])
        self.assertEqual(m["name"], name)
        self.assertEqual(m["description"], "a test memory")
        self.assertEqual(m["eventExpiryDuration"], 90)
        self.assertIn(m["status"], ("CREATING", "ACTIVE"))
        self.assertIsInstance(m["createdAt"], datetime.datetime)
        self.assertIsInstance(m["updatedAt"], datetime.datetime)
        self.assertEqual(m["strategies"], [])
        self.assertTrue(r["ResponseMetadata"]["RequestId"])

    def test_all_strategy_kinds(self):
        r = self.cp.create_memory(name=self.unique("Strat"), eventExpiryDuration=30,
                                  memoryStrategies=ALL_STRATEGIES)
        got = {s["name"]: s for s in r["memory"]["strategies"]}
        self.assertEqual(set(got), {"Facts", "Summaries", "Prefs", "Custom", "Episodes"})
        types = {n: s["type"] for n, s in got.items()}
        self.assertEqual(types, {"Facts": "SEMANTIC", "Summaries": "SUMMARIZATION",
                                 "Prefs": "USER_PREFERENCE", "Custom": "CUSTOM",
                                 "Episodes": "EPISODIC"})
        for name, s in got.items():
            self.assertRegex(s["strategyId"], r"^%s-[a-zA-Z0-9]{10}$" % name)
            self.assertEqual(len(s["namespaces"]), 1)
            self.assertEqual(s["namespaces"], s["namespaceTemplates"])
        self.assertEqual(got["Facts"]["namespaces"], ["/facts/{actorId}"])
        self.assertEqual(got["Summaries"]["description"], "per session")
        # defaults applied when no namespace was given
        self.assertIn("{actorId}", got["Prefs"]["namespaces"][0])
        self.assertEqual(got["Custom"]["configuration"]["type"], "SEMANTIC_OVERRIDE")
        # GetMemory echoes the same strategies
        again = self.cp.get_memory(memoryId=r["memory"]["id"])["memory"]["strategies"]
        self.assertEqual([s["strategyId"] for s in again],
                         [s["strategyId"] for s in r["memory"]["strategies"]])

    def test_extra_members_are_echoed(self):
        r = self.cp.create_memory(
            name=self.unique("Extra"), eventExpiryDuration=30,
            memoryExecutionRoleArn="arn:aws:iam::123456789012:role/agentcore",
            encryptionKeyArn="arn:aws:kms:us-east-1:123456789012:key/abc",
            indexedKeys=[{"key": "priority", "type": "NUMBER"}],
            tags={"team": "data"})
        m = self.cp.get_memory(memoryId=r["memory"]["id"])["memory"]
        self.assertEqual(m["memoryExecutionRoleArn"], "arn:aws:iam::123456789012:role/agentcore")
        self.assertEqual(m["encryptionKeyArn"], "arn:aws:kms:us-east-1:123456789012:key/abc")
        self.assertEqual(m["indexedKeys"], [{"key": "priority", "type": "NUMBER"}])
        self.assertNotIn("tags", m)

    def test_duplicate_name_is_validation_already_exists(self):
        name = self.unique("Dup")
        self.cp.create_memory(name=name, eventExpiryDuration=30)
        with self.assertRaises(self.cp.exceptions.ValidationException) as ctx:
            self.cp.create_memory(name=name, eventExpiryDuration=30)
        self.assertError(ctx, 400, "ValidationException", "already exists")

    def test_client_token_replay_returns_same_memory(self):
        name = self.unique("Tok")
        a = self.cp.create_memory(name=name, eventExpiryDuration=30, clientToken="tok-" + name)
        b = self.cp.create_memory(name=name, eventExpiryDuration=30, clientToken="tok-" + name)
        self.assertEqual(a["memory"]["id"], b["memory"]["id"])

    def test_expiry_zero_keeps_events_forever(self):
        # boto3 refuses 0 client-side (model minimum 3): agentmem's extension, sent raw.
        status, hdrs, body = self.server.request(
            "POST", "/memories/create", {"name": self.unique("Forever"), "eventExpiryDuration": 0})
        self.assertEqual(status, 202, body)
        self.assertEqual(body["memory"]["eventExpiryDuration"], 0)

    def test_bad_expiry_and_name(self):
        status, hdrs, body = self.server.request(
            "POST", "/memories/create", {"name": self.unique("Exp"), "eventExpiryDuration": 2})
        self.assertEqual(status, 400)
        self.assertEqual(hdrs["x-amzn-errortype"], "ValidationException")
        self.assertIn("eventExpiryDuration", body["message"])
        with self.assertRaises(self.cp.exceptions.ValidationException) as ctx:
            self.cp.create_memory(name="9starts_with_digit", eventExpiryDuration=30)
        self.assertError(ctx, 400, contains="name")

    def test_too_many_strategies_is_quota(self):
        strategies = [{"customMemoryStrategy": {"name": "C%d" % i}} for i in range(7)]
        with self.assertRaises(self.cp.exceptions.ServiceQuotaExceededException) as ctx:
            self.cp.create_memory(name=self.unique("Quota"), eventExpiryDuration=30,
                                  memoryStrategies=strategies)
        self.assertError(ctx, 402, "ServiceQuotaExceededException", "6")

    def test_waiter_memory_created(self):
        mid = self.make_memory("Wait")
        self.cp.get_waiter("memory_created").wait(memoryId=mid,
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 5})


class TestGetListMemories(ServerTestCase):
    def test_get_by_id_and_arn(self):
        mid = self.make_memory("Get")
        m = self.cp.get_memory(memoryId=mid)["memory"]
        self.assertEqual(m["id"], mid)
        by_arn = self.dp.list_actors(memoryId=m["arn"])  # DP accepts the ARN as memoryId
        self.assertEqual(by_arn["actorSummaries"], [])
        m2 = self.cp.get_memory(memoryId=mid, view="without_decryption")["memory"]
        self.assertEqual(m2["id"], mid)

    def test_get_unknown_is_not_found(self):
        with self.assertRaises(self.cp.exceptions.ResourceNotFoundException) as ctx:
            self.cp.get_memory(memoryId="Nope-abcdefghij")
        self.assertError(ctx, 404, "ResourceNotFoundException")

    def test_bad_view(self):
        mid = self.make_memory("View")
        status, hdrs, body = self.server.request("GET", "/memories/%s/details?view=all" % mid)
        self.assertEqual(status, 400)
        self.assertEqual(body["reason"], "FieldValidationFailed")
        self.assertEqual(body["fieldList"][0]["name"], "view")

    def test_list_paginates(self):
        ids = {self.make_memory("Page") for _ in range(7)}
        pages = list(self.cp.get_paginator("list_memories").paginate(
            PaginationConfig={"PageSize": 3}))
        self.assertGreaterEqual(len(pages), 3)
        seen = [m["id"] for p in pages for m in p["memories"]]
        self.assertEqual(len(seen), len(set(seen)), "no memory twice")
        self.assertTrue(ids <= set(seen))
        self.assertNotIn("nextToken", pages[-1])
        for p in pages:
            for m in p["memories"]:
                self.assertIn("arn", m)
                self.assertIsInstance(m["createdAt"], datetime.datetime)

    def test_list_max_results_bounds(self):
        status, _, body = self.server.request("POST", "/memories/", {"maxResults": 0})
        self.assertEqual(status, 400)
        self.assertEqual(body["fieldList"][0]["name"], "maxResults")
        status, _, body = self.server.request("POST", "/memories/", {"maxResults": 101})
        self.assertEqual(status, 400)
        status, _, body = self.server.request("POST", "/memories", {})
        self.assertEqual(status, 200)


class TestUpdateDeleteMemory(ServerTestCase):
    def test_update_fields(self):
        mid = self.make_memory("Upd")
        r = self.cp.update_memory(memoryId=mid, description="new", eventExpiryDuration=120)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 202)
        self.assertEqual(r["memory"]["description"], "new")
        self.assertEqual(r["memory"]["eventExpiryDuration"], 120)
        m = self.cp.get_memory(memoryId=mid)["memory"]
        self.assertEqual(m["description"], "new")
        self.assertGreaterEqual(m["updatedAt"], m["createdAt"])

    def test_update_strategies_add_modify_delete(self):
        mid = self.cp.create_memory(name=self.unique("UpdS"), eventExpiryDuration=30,
                                    memoryStrategies=ALL_STRATEGIES[:2])["memory"]["id"]
        cur = {s["name"]: s["strategyId"]
               for s in self.cp.get_memory(memoryId=mid)["memory"]["strategies"]}
        r = self.cp.update_memory(memoryId=mid, memoryStrategies={
            "addMemoryStrategies": [{"userPreferenceMemoryStrategy": {"name": "Prefs2"}}],
            "modifyMemoryStrategies": [{"memoryStrategyId": cur["Facts"],
                                        "description": "modified",
                                        "namespaces": ["/facts2/{actorId}"]}],
            "deleteMemoryStrategies": [{"memoryStrategyId": cur["Summaries"]}]})
        got = {s["name"]: s for s in r["memory"]["strategies"]}
        self.assertEqual(set(got), {"Facts", "Prefs2"})
        self.assertEqual(got["Facts"]["description"], "modified")
        self.assertEqual(got["Facts"]["namespaces"], ["/facts2/{actorId}"])
        self.assertEqual(got["Prefs2"]["type"], "USER_PREFERENCE")

    def test_update_add_indexed_keys(self):
        mid = self.cp.create_memory(name=self.unique("Idx"), eventExpiryDuration=30,
                                    indexedKeys=[{"key": "a", "type": "STRING"}])["memory"]["id"]
        r = self.cp.update_memory(memoryId=mid, addIndexedKeys=[{"key": "b", "type": "NUMBER"},
                                                               {"key": "a", "type": "STRING"}])
        self.assertEqual([k["key"] for k in r["memory"]["indexedKeys"]], ["a", "b"])

    def test_update_unknown_strategy(self):
        mid = self.make_memory("UpdX")
        with self.assertRaises(self.cp.exceptions.ValidationException) as ctx:
            self.cp.update_memory(memoryId=mid, memoryStrategies={
                "deleteMemoryStrategies": [{"memoryStrategyId": "Gone-abcdefghij"}]})
        self.assertError(ctx, 400, contains="Gone-abcdefghij")

    def test_update_unknown_memory(self):
        with self.assertRaises(self.cp.exceptions.ResourceNotFoundException):
            self.cp.update_memory(memoryId="Nope-abcdefghij", description="x")

    def test_delete_then_gone(self):
        mid = self.make_memory("Del")
        self.add_event(mid)
        r = self.cp.delete_memory(memoryId=mid)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 202)
        self.assertEqual(r["memoryId"], mid)
        self.assertEqual(r["status"], "DELETING")
        with self.assertRaises(self.cp.exceptions.ResourceNotFoundException):
            self.cp.get_memory(memoryId=mid)
        with self.assertRaises(self.dp.exceptions.ResourceNotFoundException):
            self.dp.list_events(memoryId=mid, actorId="alice", sessionId="s1")
        with self.assertRaises(self.cp.exceptions.ResourceNotFoundException):
            self.cp.delete_memory(memoryId=mid)

    def test_delete_retry_with_same_token_is_202(self):
        mid = self.make_memory("DelTok")
        a = self.cp.delete_memory(memoryId=mid, clientToken="del-" + mid)
        b = self.cp.delete_memory(memoryId=mid, clientToken="del-" + mid)
        self.assertEqual(b["ResponseMetadata"]["HTTPStatusCode"], 202)
        self.assertEqual((a["memoryId"], a["status"]), (b["memoryId"], b["status"]))


@unittest.skipUnless(shutil.which("aws"), "the aws CLI is not installed")
class TestAwsCli(ServerTestCase):
    def aws(self, *args):
        return subprocess.run(["aws", "--endpoint-url", self.server.url, "--output", "json"] + list(args),
                              capture_output=True, text=True, timeout=60)

    def test_cli_round_trip(self):
        name = self.unique("Cli")
        r = self.aws("bedrock-agentcore-control", "create-memory", "--name", name,
                     "--event-expiry-duration", "30")
        self.assertEqual(r.returncode, 0, r.stderr)
        mid = json.loads(r.stdout)["memory"]["id"]
        r = self.aws("bedrock-agentcore", "create-event", "--memory-id", mid, "--actor-id", "user/alice:dev",
                     "--session-id", "s1", "--event-timestamp", "2026-01-01T00:00:00.123Z", "--payload",
                     json.dumps([{"conversational": {"content": {"text": "from the CLI"}, "role": "USER"}}]))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(json.loads(r.stdout)["event"]["eventId"].startswith("0000001767225600123#"))
        r = self.aws("bedrock-agentcore", "list-events", "--memory-id", mid, "--actor-id", "user/alice:dev",
                     "--session-id", "s1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["events"][0]["payload"][0]["conversational"]["content"]["text"],
                         "from the CLI")
        r = self.aws("bedrock-agentcore", "list-actors", "--memory-id", "Nope-abcdefghij")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("(ResourceNotFoundException)", r.stderr)


if __name__ == "__main__":
    unittest.main()
