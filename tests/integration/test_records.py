"""Long-term memory records (src/api/http/records.c): BatchCreate/Update/Delete,
ListMemoryRecords, RetrieveMemoryRecords, GetMemoryRecord, DeleteMemoryRecord."""
import datetime
import unittest

from harness import ServerTestCase

T0 = 1767225600


def rec(rid, ns, text, **kw):
    r = {"requestIdentifier": rid, "namespaces": [ns], "content": {"text": text}, "timestamp": T0}
    r.update(kw)
    return r


class TestBatch(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mid = cls.cp.create_memory(name=cls.unique("Rec"), eventExpiryDuration=30)["memory"]["id"]

    def test_batch_create_201_per_record_results(self):
        r = self.dp.batch_create_memory_records(memoryId=self.mid, records=[
            rec("ok1", "/facts/alice", "Alice prefers tea over coffee"),
            rec("ok2", "/facts/alice", "Alice works on Redshift migrations",
                memoryStrategyId="Facts-abcdefghij",
                metadata={"priority": {"numberValue": 3}, "tags": {"stringListValue": ["a", "b"]},
                          "when": {"dateTimeValue": T0}, "src": {"stringValue": "chat"}}),
            rec("bad", "/facts/alice", "x" * 16001),
        ])
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        ok = {x["requestIdentifier"]: x for x in r["successfulRecords"]}
        self.assertEqual(set(ok), {"ok1", "ok2"})
        for x in ok.values():
            self.assertEqual(x["status"], "SUCCEEDED")
            self.assertRegex(x["memoryRecordId"], r"^mem-[a-zA-Z0-9_-]{36,46}$")
        self.assertEqual(len(r["failedRecords"]), 1)
        bad = r["failedRecords"][0]
        self.assertEqual((bad["requestIdentifier"], bad["status"], bad["errorCode"]), ("bad", "FAILED", 400))
        self.assertIn("content.text", bad["errorMessage"])
        got = self.dp.get_memory_record(memoryId=self.mid, memoryRecordId=ok["ok2"]["memoryRecordId"])
        m = got["memoryRecord"]
        self.assertEqual(m["content"], {"text": "Alice works on Redshift migrations"})
        self.assertEqual(m["namespaces"], ["/facts/alice"])
        self.assertEqual(m["memoryStrategyId"], "Facts-abcdefghij")
        self.assertEqual(m["createdAt"], datetime.datetime.fromtimestamp(T0, datetime.timezone.utc))
        self.assertEqual(m["metadata"]["priority"], {"numberValue": 3.0})
        self.assertEqual(m["metadata"]["tags"], {"stringListValue": ["a", "b"]})
        self.assertEqual(m["metadata"]["when"]["dateTimeValue"],
                         datetime.datetime.fromtimestamp(T0, datetime.timezone.utc))

    def test_batch_update_and_delete(self):
        ids = [x["memoryRecordId"] for x in self.dp.batch_create_memory_records(
            memoryId=self.mid, records=[rec("u%d" % i, "/upd", "text %d" % i) for i in range(3)]
        )["successfulRecords"]]
        missing = "mem-00000000-0000-4000-8000-000000000000"
        r = self.dp.batch_update_memory_records(memoryId=self.mid, records=[
            {"memoryRecordId": ids[0], "timestamp": T0 + 5, "content": {"text": "updated text"}},
            {"memoryRecordId": ids[1], "timestamp": T0 + 5, "namespaces": ["/upd/moved"]},
            {"memoryRecordId": missing, "timestamp": T0 + 5, "content": {"text": "x"}},
        ])
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(sorted(x["memoryRecordId"] for x in r["successfulRecords"]), sorted(ids[:2]))
        self.assertEqual([(x["memoryRecordId"], x["errorCode"]) for x in r["failedRecords"]],
                         [(missing, 404)])
        got = self.dp.get_memory_record(memoryId=self.mid, memoryRecordId=ids[0])["memoryRecord"]
        self.assertEqual(got["content"]["text"], "updated text")
        got = self.dp.get_memory_record(memoryId=self.mid, memoryRecordId=ids[1])["memoryRecord"]
        self.assertEqual(got["namespaces"], ["/upd/moved"])
        self.assertEqual(got["content"]["text"], "text 1")
        r = self.dp.batch_delete_memory_records(memoryId=self.mid, records=[
            {"memoryRecordId": ids[0]}, {"memoryRecordId": missing}])
        self.assertEqual([x["memoryRecordId"] for x in r["successfulRecords"]], [ids[0]])
        self.assertEqual([x["status"] for x in r["failedRecords"]], ["FAILED"])
        with self.assertRaises(self.dp.exceptions.ResourceNotFoundException):
            self.dp.get_memory_record(memoryId=self.mid, memoryRecordId=ids[0])

    def test_batch_shape_errors_change_nothing(self):
        before = self.dp.list_memory_records(memoryId=self.mid, namespace="/shape", maxResults=100)
        status, _, body = self.server.request(
            "POST", "/memories/%s/memoryRecords/batchCreate" % self.mid,
            {"records": [rec("a", "/shape", "fine"), {"requestIdentifier": "b", "namespaces": ["/shape"],
                                                      "content": "not an object", "timestamp": T0}]})
        self.assertEqual(status, 400)
        self.assertEqual(body["fieldList"][0]["name"], "records[1].content")
        after = self.dp.list_memory_records(memoryId=self.mid, namespace="/shape", maxResults=100)
        self.assertEqual(before["memoryRecordSummaries"], after["memoryRecordSummaries"])
        status, _, body = self.server.request(
            "POST", "/memories/%s/memoryRecords/batchCreate" % self.mid,
            {"records": [rec("r%d" % i, "/shape", "t") for i in range(101)]})
        self.assertEqual(status, 400)
        self.assertEqual(body["fieldList"][0]["name"], "records")

    def test_batch_create_client_token_replay(self):
        tok = "tok-" + self.unique("r")
        recs = [rec("x1", "/replay", "replayed fact")]
        a = self.dp.batch_create_memory_records(memoryId=self.mid, records=recs, clientToken=tok)
        b = self.dp.batch_create_memory_records(memoryId=self.mid, records=recs, clientToken=tok)
        self.assertEqual(b["ResponseMetadata"]["HTTPStatusCode"], 201)
        self.assertEqual(a["successfulRecords"], b["successfulRecords"])
        listed = self.dp.list_memory_records(memoryId=self.mid, namespace="/replay")["memoryRecordSummaries"]
        self.assertEqual(len(listed), 1)
        with self.assertRaises(self.dp.exceptions.ConflictException) as ctx:
            self.dp.batch_create_memory_records(memoryId=self.mid, clientToken=tok,
                                                records=[rec("x1", "/replay", "other fact")])
        self.assertError(ctx, 409, "ConflictException", "clientToken")

    def test_batch_unknown_memory(self):
        with self.assertRaises(self.dp.exceptions.ResourceNotFoundException):
            self.dp.batch_create_memory_records(memoryId="Nope-abcdefghij",
                                                records=[rec("a", "/x", "t")])

    def test_get_with_namespace_query_and_delete(self):
        rid = self.dp.batch_create_memory_records(memoryId=self.mid, records=[
            rec("g", "/actors/alice:dev", "colon namespace")])["successfulRecords"][0]["memoryRecordId"]
        status, _, body = self.server.request(
            "GET", "/memories/%s/memoryRecord/%s?namespace=%%2Factors%%2Falice%%3Adev" % (self.mid, rid))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["memoryRecord"]["memoryRecordId"], rid)
        r = self.dp.delete_memory_record(memoryId=self.mid, memoryRecordId=rid)
        self.assertEqual(r["memoryRecordId"], rid)
        with self.assertRaises(self.dp.exceptions.ResourceNotFoundException):
            self.dp.delete_memory_record(memoryId=self.mid, memoryRecordId=rid)


class TestListRetrieve(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mid = cls.cp.create_memory(name=cls.unique("Ret"), eventExpiryDuration=30)["memory"]["id"]
        recs = [rec("a%d" % i, "/prefs/alice", "alice likes item %d and green tea" % i,
                    timestamp=T0 + i, metadata={"n": {"numberValue": i},
                                                "kind": {"stringValue": "even" if i % 2 == 0 else "odd"}})
                for i in range(30)]
        recs += [rec("b%d" % i, "/prefs/bob", "bob likes coffee %d" % i, timestamp=T0 + i) for i in range(5)]
        recs += [rec("c", "/prefs/alicex", "sibling namespace, not below /prefs/alice", timestamp=T0)]
        cls.dp.batch_create_memory_records(memoryId=cls.mid, records=recs[:100])

    def test_list_paginator_newest_first(self):
        pages = list(self.dp.get_paginator("list_memory_records").paginate(
            memoryId=self.mid, namespace="/prefs/alice", PaginationConfig={"PageSize": 8}))
        self.assertEqual([len(p["memoryRecordSummaries"]) for p in pages], [8, 8, 8, 6])
        texts = [r["content"]["text"] for p in pages for r in p["memoryRecordSummaries"]]
        self.assertEqual(texts[0], "alice likes item 29 and green tea")
        self.assertEqual(len(set(texts)), 30)
        self.assertNotIn("nextToken", pages[-1])
        for p in pages:
            for r in p["memoryRecordSummaries"]:
                self.assertEqual(r["namespaces"], ["/prefs/alice"])
                self.assertNotIn("score", r)

    def test_namespace_prefix_at_slash_boundary(self):
        r = self.dp.list_memory_records(memoryId=self.mid, namespace="/prefs", maxResults=100)
        self.assertEqual(len(r["memoryRecordSummaries"]), 36)
        r = self.dp.list_memory_records(memoryId=self.mid, namespacePath="/prefs/alice", maxResults=100)
        self.assertEqual(len(r["memoryRecordSummaries"]), 30)

    def test_metadata_filters(self):
        r = self.dp.list_memory_records(memoryId=self.mid, namespace="/prefs/alice", maxResults=100,
                                        metadataFilters=[{"left": {"metadataKey": "n"},
                                                          "operator": "GREATER_THAN_OR_EQUALS",
                                                          "right": {"metadataValue": {"numberValue": 25}}}])
        self.assertEqual(len(r["memoryRecordSummaries"]), 5)
        r = self.dp.list_memory_records(memoryId=self.mid, namespace="/prefs", maxResults=100,
                                        metadataFilters=[{"left": {"metadataKey": "kind"},
                                                          "operator": "EQUALS_TO",
                                                          "right": {"metadataValue": {"stringValue": "odd"}}},
                                                         {"left": {"metadataKey": "n"},
                                                          "operator": "LESS_THAN",
                                                          "right": {"metadataValue": {"numberValue": 10}}}])
        self.assertEqual(sorted(int(x["metadata"]["n"]["numberValue"]) for x in r["memoryRecordSummaries"]),
                         [1, 3, 5, 7, 9])
        r = self.dp.list_memory_records(memoryId=self.mid, namespace="/prefs", maxResults=100,
                                        metadataFilters=[{"left": {"metadataKey": "kind"},
                                                          "operator": "NOT_EXISTS"}])
        self.assertEqual(len(r["memoryRecordSummaries"]), 6)
        # a selective filter over small pages never yields an empty page carrying a token
        pages = list(self.dp.get_paginator("list_memory_records").paginate(
            memoryId=self.mid, namespace="/prefs", PaginationConfig={"PageSize": 2},
            metadataFilters=[{"left": {"metadataKey": "n"}, "operator": "EQUALS_TO",
                              "right": {"metadataValue": {"numberValue": 0}}}]))
        got = [x for p in pages for x in p["memoryRecordSummaries"]]
        self.assertEqual(len(got), 1)
        for p in pages:
            if "nextToken" in p:
                self.assertTrue(p["memoryRecordSummaries"])

    def test_retrieve_scores(self):
        r = self.dp.retrieve_memory_records(memoryId=self.mid, namespace="/prefs",
                                            searchCriteria={"searchQuery": "coffee", "topK": 3})
        got = r["memoryRecordSummaries"]
        self.assertEqual(len(got), 3)
        for x in got:
            self.assertIn("coffee", x["content"]["text"])
            self.assertIsInstance(x["score"], float)
            self.assertGreaterEqual(x["score"], 0.0)
            self.assertLessEqual(x["score"], 1.0)
        scores = [x["score"] for x in got]
        self.assertEqual(scores, sorted(scores, reverse=True))

    def test_retrieve_paginator_and_filters(self):
        pages = list(self.dp.get_paginator("retrieve_memory_records").paginate(
            memoryId=self.mid, namespace="/prefs/alice",
            searchCriteria={"searchQuery": "green tea", "topK": 12}, PaginationConfig={"PageSize": 5}))
        got = [x["memoryRecordId"] for p in pages for x in p["memoryRecordSummaries"]]
        self.assertEqual(len(got), 12)
        self.assertEqual(len(set(got)), 12)
        r = self.dp.retrieve_memory_records(
            memoryId=self.mid, namespace="/prefs/alice",
            searchCriteria={"searchQuery": "tea", "topK": 100, "metadataFilters": [
                {"left": {"metadataKey": "kind"}, "operator": "EQUALS_TO",
                 "right": {"metadataValue": {"stringValue": "even"}}}]}, maxResults=100)
        self.assertEqual(len(r["memoryRecordSummaries"]), 15)

    def test_retrieve_validation(self):
        status, _, body = self.server.request("POST", "/memories/%s/retrieve" % self.mid,
                                              {"namespace": "/prefs"})
        self.assertEqual(status, 400)
        self.assertEqual(body["fieldList"][0]["name"], "searchCriteria")
        status, _, body = self.server.request(
            "POST", "/memories/%s/retrieve" % self.mid,
            {"searchCriteria": {"searchQuery": "x", "topK": 0}})
        self.assertEqual(status, 400)
        self.assertEqual(body["fieldList"][0]["name"], "searchCriteria.topK")
        status, _, body = self.server.request(
            "POST", "/memories/%s/retrieve" % self.mid,
            {"searchCriteria": {"searchQuery": "x", "metadataFilters": [
                {"left": {"metadataKey": "n"}, "operator": "ABOUT"}]}})
        self.assertEqual(status, 400)
        self.assertEqual(body["fieldList"][0]["name"], "searchCriteria.metadataFilters[0].operator")
        with self.assertRaises(self.dp.exceptions.ValidationException):
            self.dp.retrieve_memory_records(memoryId=self.mid, namespace="/a", namespacePath="/b",
                                            searchCriteria={"searchQuery": "x"})


if __name__ == "__main__":
    unittest.main()
