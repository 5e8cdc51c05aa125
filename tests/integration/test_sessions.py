"""Sessions and actors (src/api/http/sessions.c): ListSessions, ListActors."""
import datetime
import unittest

from harness import ServerTestCase

T0 = 1767225600


def conv(text):
    return [{"conversational": {"content": {"text": text}, "role": "USER"}}]


class TestSessionsActors(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mid = cls.cp.create_memory(name=cls.unique("Sess"), eventExpiryDuration=30)["memory"]["id"]
        # alice: 12 sessions created in order; bob: 1; 15 actors in total
        for i in range(12):
            for j in range(2):
                cls.dp.create_event(memoryId=cls.mid, actorId="alice", sessionId="sess-%02d" % i,
                                    eventTimestamp=T0 + 10 * i + j, payload=conv("m"))
        cls.dp.create_event(memoryId=cls.mid, actorId="bob", sessionId="only", eventTimestamp=T0,
                            payload=conv("b"))
        for k in range(13):
            cls.dp.create_event(memoryId=cls.mid, actorId="tenant-001:agent:user-%02d" % k,
                                sessionId="x", eventTimestamp=T0, payload=conv("t"))

    def test_list_sessions_oldest_first_with_paginator(self):
        pages = list(self.dp.get_paginator("list_sessions").paginate(
            memoryId=self.mid, actorId="alice", PaginationConfig={"PageSize": 5}))
        self.assertEqual([len(p["sessionSummaries"]) for p in pages], [5, 5, 2])
        got = [s["sessionId"] for p in pages for s in p["sessionSummaries"]]
        self.assertEqual(got, ["sess-%02d" % i for i in range(12)])
        first = pages[0]["sessionSummaries"][0]
        self.assertEqual(first["actorId"], "alice")
        self.assertEqual(first["createdAt"], datetime.datetime.fromtimestamp(T0, datetime.timezone.utc))
        self.assertNotIn("nextToken", pages[-1])

    def test_list_sessions_filter_and_other_actor(self):
        r = self.dp.list_sessions(memoryId=self.mid, actorId="bob", filter={"eventFilter": "HAS_EVENTS"})
        self.assertEqual([s["sessionId"] for s in r["sessionSummaries"]], ["only"])
        r = self.dp.list_sessions(memoryId=self.mid, actorId="nobody")
        self.assertEqual(r["sessionSummaries"], [])
        self.assertNotIn("nextToken", r)
        status, _, body = self.server.request(
            "POST", "/memories/%s/actor/bob/sessions" % self.mid, {"filter": {"eventFilter": "ALL"}})
        self.assertEqual(status, 400)
        self.assertEqual(body["fieldList"][0]["name"], "filter.eventFilter")

    def test_list_actors_paginator(self):
        pages = list(self.dp.get_paginator("list_actors").paginate(
            memoryId=self.mid, PaginationConfig={"PageSize": 4}))
        got = [a["actorId"] for p in pages for a in p["actorSummaries"]]
        self.assertEqual(len(got), 15)
        self.assertEqual(got, sorted(got))
        self.assertIn("tenant-001:agent:user-07", got)
        self.assertNotIn("nextToken", pages[-1])

    def test_unknown_memory(self):
        with self.assertRaises(self.dp.exceptions.ResourceNotFoundException):
            self.dp.list_actors(memoryId="Nope-abcdefghij")
        with self.assertRaises(self.dp.exceptions.ResourceNotFoundException):
            self.dp.list_sessions(memoryId="Nope-abcdefghij", actorId="alice")


if __name__ == "__main__":
    unittest.main()
