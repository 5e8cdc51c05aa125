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
        self.assertRegex(text, r"agentmem_http_requests_in_flight 1\n")  # this request
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
