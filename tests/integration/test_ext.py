"""agentmem's own routes (src/api/http/ext.c): health, Prometheus metrics, every session of
a memory, actor details, view a session, delete a session, forget an actor."""
import re
import time
import unittest
import urllib.parse

from harness import ServerTestCase

T0 = 1767225600


def conv(text, role="USER"):
    return [{"conversational": {"content": {"text": text}, "role": role}}]


def q(s):
    return urllib.parse.quote(s, safe="")


class TestHealthMetrics(ServerTestCase):
    def test_health(self):
        status, hdrs, body = self.server.request("GET", "/_agentmem/health")
        self.assertEqual(status, 200)
        self.assertEqual(body["status"], "ok")
        self.assertRegex(body["version"], r"^\d+\.\d+\.\d+$")
        self.assertGreaterEqual(body["uptimeSeconds"], 0)
        self.assertTrue(hdrs["x-amzn-requestid"])

    def test_metrics(self):
        mid = self.make_memory("Met")
        for i in range(3):
            self.add_event(mid, text="m%d" % i)
        self.server.request("GET", "/no/such/route")
        status, hdrs, body = self.server.request("GET", "/_agentmem/metrics", raw=True)
        self.assertEqual(status, 200)
        self.assertTrue(hdrs["content-type"].startswith("text/plain; version=0.0.4"))
        text = body.decode()
        self.assertIn('agentmem_http_requests_total{operation="CreateEvent",code="201"} 3', text)
        self.assertIn('agentmem_http_requests_total{operation="CreateMemory",code="202"} 1', text)
        self.assertIn('agentmem_http_requests_total{operation="unknown",code="404"} 1', text)
        self.assertRegex(text, r'agentmem_http_request_duration_seconds_count\{operation="CreateEvent"\} 3\n')
        self.assertRegex(text, r'agentmem_http_request_duration_seconds_bucket\{operation="CreateEvent",le="\+Inf"\} 3\n')
        self.assertIn("# TYPE agentmem_http_requests_total counter", text)
        # this request at least (a request of another client may still be finishing)
        self.assertRegex(text, r"agentmem_http_requests_in_flight [1-9][0-9]*\n")
        for line in text.splitlines():
            if line and not line.startswith("#"):
                self.assertRegex(line, r'^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$', line)

    def test_unknown_ext_route_and_method(self):
        status, hdrs, body = self.server.request("GET", "/_agentmem/nope")
        self.assertEqual(status, 404)
        self.assertEqual(hdrs["x-amzn-errortype"], "UnknownOperationException")
        status, hdrs, _ = self.server.request("POST", "/_agentmem/health", {})
        self.assertEqual(status, 405)
        self.assertEqual(hdrs["allow"], "GET")


class TestSessionExtensions(ServerTestCase):
    def setUp(self):
        self.mid = self.make_memory("Ext")
        for i in range(3):
            self.dp.create_event(memoryId=self.mid, actorId="user/alice:dev", sessionId="a1",
                                 eventTimestamp=T0 + i, payload=conv("alice a1 %d" % i))
        self.dp.create_event(memoryId=self.mid, actorId="user/alice:dev", sessionId="a2",
                             eventTimestamp=T0 + 50, payload=conv("alice a2"))
        self.dp.create_event(memoryId=self.mid, actorId="bob", sessionId="b1",
                             eventTimestamp=T0 + 20, payload=conv("bob b1"))
        self.base = "/_agentmem/memories/%s" % self.mid

    def test_list_all_sessions(self):
        status, _, body = self.server.request("GET", self.base + "/sessions")
        self.assertEqual(status, 200, body)
        got = [(s["actorId"], s["sessionId"]) for s in body["sessionSummaries"]]
        self.assertEqual(got, [("user/alice:dev", "a2"), ("bob", "b1"), ("user/alice:dev", "a1")])
        a1 = body["sessionSummaries"][2]
        self.assertEqual((a1["createdAt"], a1["lastEventAt"], a1["eventCount"]), (T0, T0 + 2, 3))
        self.assertNotIn("nextToken", body)
        status, _, body = self.server.request("GET", self.base + "/sessions?order=created")
        self.assertEqual([s["sessionId"] for s in body["sessionSummaries"]], ["a1", "b1", "a2"])
        status, _, body = self.server.request("GET", self.base + "/sessions?actorId=bob")
        self.assertEqual([s["sessionId"] for s in body["sessionSummaries"]], ["b1"])
        # paging
        seen, token = [], None
        while True:
            path = self.base + "/sessions?maxResults=1" + ("&nextToken=" + q(token) if token else "")
            status, _, body = self.server.request("GET", path)
            self.assertEqual(status, 200)
            seen += [s["sessionId"] for s in body["sessionSummaries"]]
            token = body.get("nextToken")
            if not token:
                break
        self.assertEqual(seen, ["a2", "b1", "a1"])
        status, _, body = self.server.request("GET", self.base + "/sessions?order=random")
        self.assertEqual(status, 400)
        self.assertEqual(body["fieldList"][0]["name"], "order")

    def test_actor_details(self):
        status, _, body = self.server.request("GET", self.base + "/actors")
        self.assertEqual(status, 200)
        got = {a["actorId"]: a for a in body["actors"]}
        self.assertEqual(got["user/alice:dev"]["sessionCount"], 2)
        self.assertEqual(got["user/alice:dev"]["eventCount"], 4)
        self.assertEqual(got["bob"]["lastEventAt"], T0 + 20)

    def test_view_session(self):
        path = "%s/actors/%s/sessions/a1" % (self.base, q("user/alice:dev"))
        status, _, body = self.server.request("GET", path)
        self.assertEqual(status, 200, body)
        self.assertEqual((body["memoryId"], body["actorId"], body["sessionId"]),
                         (self.mid, "user/alice:dev", "a1"))
        texts = [e["payload"][0]["conversational"]["content"]["text"] for e in body["events"]]
        self.assertEqual(texts, ["alice a1 0", "alice a1 1", "alice a1 2"])  # chronological
        self.assertIsInstance(body["memoryRecords"], list)
        status, _, body = self.server.request("GET", path + "?order=desc&maxResults=2&includePayloads=false")
        self.assertEqual([e["payload"] for e in body["events"]], [[], []])
        self.assertEqual(body["events"][0]["eventTimestamp"], T0 + 2)
        status, _, body2 = self.server.request("GET", path + "?order=desc&maxResults=2&nextToken=" +
                                               q(body["nextToken"]))
        self.assertEqual([e["eventTimestamp"] for e in body2["events"]], [T0])
        self.assertNotIn("nextToken", body2)
        status, _, body = self.server.request("GET", "%s/actors/bob/sessions/none" % self.base)
        self.assertEqual(status, 404)
        self.assertEqual(body["__type"], "ResourceNotFoundException")

    def test_delete_session(self):
        path = "%s/actors/%s/sessions/a1" % (self.base, q("user/alice:dev"))
        status, _, body = self.server.request("DELETE", path)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["deletedEvents"], 3)
        self.assertEqual(self.dp.list_events(memoryId=self.mid, actorId="user/alice:dev",
                                             sessionId="a1")["events"], [])
        sessions = self.dp.list_sessions(memoryId=self.mid, actorId="user/alice:dev")["sessionSummaries"]
        self.assertEqual([s["sessionId"] for s in sessions], ["a2"])
        status, _, body = self.server.request("DELETE", path)
        self.assertEqual(status, 404)

    def test_forget_actor(self):
        self.dp.batch_create_memory_records(memoryId=self.mid, records=[{
            "requestIdentifier": "r", "namespaces": ["/facts/bob"], "content": {"text": "bob fact"},
            "timestamp": T0}])
        status, _, body = self.server.request("DELETE", "%s/actors/%s" % (self.base, q("user/alice:dev")))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["deletedEvents"], 4)
        self.assertEqual(body["actorId"], "user/alice:dev")
        actors = [a["actorId"] for a in self.dp.list_actors(memoryId=self.mid)["actorSummaries"]]
        self.assertEqual(actors, ["bob"])
        status, _, body = self.server.request("DELETE", "%s/actors/nobody" % self.base)
        self.assertEqual((status, body["deletedEvents"], body["deletedRecords"]), (200, 0, 0))
        status, _, body = self.server.request("DELETE", "/_agentmem/memories/Nope-abcdefghij/actors/x")
        self.assertEqual(status, 404)


if __name__ == "__main__":
    unittest.main()


class TestMemoryFeatures(ServerTestCase):
    """Long-term memory end to end over HTTP: background extraction with provenance,
    history, context for a message, and verbatim event search."""

    STRATEGIES = [
        {"userPreferenceMemoryStrategy": {"name": "Prefs",
                                          "namespaces": ["/actors/{actorId}/preferences"]}},
        {"semanticMemoryStrategy": {"name": "Facts", "namespaces": ["/actors/{actorId}/facts"]}},
    ]

    def wait_records(self, mid, namespace, needle, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            recs = self.dp.list_memory_records(memoryId=mid, namespace=namespace,
                                               maxResults=100)["memoryRecordSummaries"]
            hits = [r for r in recs if needle in r["content"]["text"]]
            if hits:
                return hits
            time.sleep(0.05)
        self.fail("no record with %r in %s after %ss" % (needle, namespace, timeout))

    def test_extraction_context_and_search(self):
        mid = self.make_memory("Ltm", memoryStrategies=self.STRATEGIES)
        ev = self.add_event(mid, actor="alice", session="day1",
                            text="prod-cluster runs 4 ra3.4xlarge nodes in us-east-2.")
        self.add_event(mid, actor="alice", session="day1",
                       text="I prefer a single workgroup for every WLM queue.")
        self.add_event(mid, actor="alice", session="day1", role="ASSISTANT",
                       text="Thanks, we continue with the snapshot tomorrow morning?")
        facts = self.wait_records(mid, "/actors/alice/facts", "ra3.4xlarge")
        # provenance travels in the 'agentmem' member of the raw JSON (boto3 drops it)
        status, _, body = self.server.request(
            "POST", "/memories/%s/memoryRecords" % mid, {"namespace": "/actors/alice/facts"})
        self.assertEqual(status, 200)
        rec = [r for r in body["memoryRecordSummaries"] if "ra3.4xlarge" in r["content"]["text"]][0]
        self.assertEqual(rec["agentmem"]["actorId"], "alice")
        self.assertEqual(rec["agentmem"]["sessionId"], "day1")
        self.assertEqual(rec["agentmem"]["sources"][0]["eventId"], ev["eventId"])
        self.assertEqual(facts[0]["memoryRecordId"], rec["memoryRecordId"])
        self.wait_records(mid, "/actors/alice/preferences", "workgroup")
        # retrieval finds the fact
        res = self.dp.retrieve_memory_records(
            memoryId=mid, namespace="/actors/alice",
            searchCriteria={"searchQuery": "how many nodes does prod-cluster have", "topK": 3})
        self.assertIn("ra3.4xlarge", res["memoryRecordSummaries"][0]["content"]["text"])
        self.assertTrue(0 < res["memoryRecordSummaries"][0]["score"] <= 1)
        # context for a message
        status, _, ctx = self.server.request(
            "POST", "/_agentmem/memories/%s/context" % mid,
            {"actorId": "alice", "sessionId": "day1", "message": "Which node type do we run?",
             "maxTokens": 300})
        self.assertEqual(status, 200)
        self.assertLessEqual(ctx["usedTokens"], 300)
        kinds = {i["kind"] for i in ctx["items"]}
        self.assertTrue({"preference", "fact", "turn"} <= kinds, kinds)
        # turns already said by a fact or preference are not repeated
        texts = [i["text"] for i in ctx["items"] if i["kind"] == "turn"]
        self.assertNotIn("prod-cluster runs 4 ra3.4xlarge nodes in us-east-2.", texts)
        status, hdrs, err = self.server.request(
            "POST", "/_agentmem/memories/%s/context" % mid, {"actorId": "alice"})
        self.assertEqual(status, 400)
        self.assertEqual(hdrs["x-amzn-errortype"], "ValidationException")
        self.assertIn("message", err["message"])
        # verbatim search over events
        deadline = time.time() + 10
        while time.time() < deadline:
            status, _, found = self.server.request(
                "POST", "/_agentmem/memories/%s/actors/alice/search" % mid,
                {"query": "ra3.4xlarge nodes", "topK": 5})
            self.assertEqual(status, 200)
            if found["events"]:
                break
            time.sleep(0.05)
        self.assertEqual(found["events"][0]["eventId"], ev["eventId"])

    def test_changed_fact_supersedes_with_history(self):
        mid = self.make_memory("Hist", memoryStrategies=self.STRATEGIES)
        self.add_event(mid, session="s1", text="prod-cluster runs 4 ra3.4xlarge nodes.")
        old = self.wait_records(mid, "/actors/alice/facts", "4 ra3")[0]
        self.add_event(mid, session="s2", text="prod-cluster now runs 6 ra3.4xlarge nodes.")
        new = self.wait_records(mid, "/actors/alice/facts", "6 ra3")[0]
        recs = self.dp.list_memory_records(memoryId=mid, namespace="/actors/alice/facts",
                                           maxResults=100)["memoryRecordSummaries"]
        self.assertNotIn(old["memoryRecordId"], [r["memoryRecordId"] for r in recs])
        # the old version is still there, pointing at its successor
        status, _, body = self.server.request(
            "GET", "/memories/%s/memoryRecord/%s" % (mid, old["memoryRecordId"]))
        self.assertEqual(status, 200)
        self.assertEqual(body["memoryRecord"]["agentmem"]["supersededBy"], new["memoryRecordId"])
        # the history shows both versions, the old one with its validity interval
        status, _, hist = self.server.request(
            "GET", "/_agentmem/memories/%s/records/%s/history" % (mid, new["memoryRecordId"]))
        self.assertEqual(status, 200)
        ids = [v["memoryRecordId"] for v in hist["versions"]]
        self.assertEqual(ids, [old["memoryRecordId"], new["memoryRecordId"]])
        first, last = hist["versions"]
        self.assertLessEqual(first["agentmem"]["validFrom"], first["agentmem"]["validUntil"])
        self.assertLessEqual(first["agentmem"]["validUntil"], time.time() + 1)
        self.assertNotIn("validUntil", last.get("agentmem", {}))
