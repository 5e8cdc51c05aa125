"""Short-term memory (src/api/http/events.c): CreateEvent, GetEvent, ListEvents,
DeleteEvent; unicode, large payloads, branches, metadata filters, concurrent clients."""
import datetime
import threading
import time
import unittest
import uuid

from harness import ServerTestCase

T0 = 1767225600.123  # 2026-01-01T00:00:00.123Z


def conv(text, role="USER"):
    return {"conversational": {"content": {"text": text}, "role": role}}


class TestCreateGetEvent(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mid = cls.cp.create_memory(name=cls.unique("Ev"), eventExpiryDuration=30)["memory"]["id"]

    def test_create_201_and_round_trip(self):
        r = self.dp.create_event(
            memoryId=self.mid, actorId="user/alice:dev", sessionId="migration-prod-1",
            eventTimestamp=T0,
            payload=[conv("hi"), conv("hello!", "ASSISTANT"), {"blob": {"any": ["json", 1, True, None]}},
                     conv("tool out", "TOOL"), conv("other", "OTHER")],
            metadata={"location": {"stringValue": "NYC"}})
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 201)
        ev = r["event"]
        self.assertRegex(ev["eventId"], r"^0000001767225600123#[0-9a-f]{8}$")
        self.assertEqual(ev["eventTimestamp"],
                         datetime.datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=datetime.timezone.utc))
        self.assertEqual(ev["actorId"], "user/alice:dev")
        self.assertEqual(ev["branch"], {"name": "main"})
        got = self.dp.get_event(memoryId=self.mid, actorId="user/alice:dev",
                                sessionId="migration-prod-1", eventId=ev["eventId"])["event"]
        self.assertEqual(got["payload"], ev["payload"])
        self.assertEqual(got["payload"][2], {"blob": {"any": ["json", 1, True, None]}})
        self.assertEqual([p["conversational"]["role"] for p in got["payload"] if "conversational" in p],
                         ["USER", "ASSISTANT", "TOOL", "OTHER"])
        self.assertEqual(got["metadata"], {"location": {"stringValue": "NYC"}})
        self.assertEqual(got["memoryId"], self.mid)

    def test_timestamp_exact_on_the_wire(self):
        status, _, body = self.server.request(
            "POST", "/memories/%s/events" % self.mid,
            {"actorId": "wire", "sessionId": "s", "eventTimestamp": 1767225600.123,
             "payload": [conv("x")]}, raw=True)
        self.assertEqual(status, 201)
        self.assertIn(b'"eventTimestamp":1767225600.123', body)
        # integer seconds and microseconds (Python SDK) are accepted too
        for ts, want in ((1767225600, "0000001767225600000#"), (1767225600.123456, "0000001767225600123#")):
            status, _, body = self.server.request(
                "POST", "/memories/%s/events" % self.mid,
                {"actorId": "wire", "sessionId": "s", "eventTimestamp": ts, "payload": [conv("x")]})
            self.assertEqual(status, 201)
            self.assertTrue(body["event"]["eventId"].startswith(want), body)

    def test_blob_given_as_string_stays_string(self):
        ev = self.dp.create_event(memoryId=self.mid, actorId="blob", sessionId="s",
                                  eventTimestamp=T0, payload=[{"blob": '{"k": 1}'}])["event"]
        got = self.dp.get_event(memoryId=self.mid, actorId="blob", sessionId="s",
                                eventId=ev["eventId"])["event"]
        self.assertEqual(got["payload"], [{"blob": '{"k": 1}'}])

    def test_json_payload_and_extraction_mode(self):
        # newer than this botocore: send raw, as the JS SDK does
        status, _, body = self.server.request(
            "POST", "/memories/%s/events" % self.mid,
            {"actorId": "js", "eventTimestamp": 1767225600, "payload": [{"json": {"content": {"a": [1, "é"]}}}],
             "clientToken": "tok-json-1", "extractionMode": "SKIP",
             "extractionConfig": {"namespaceVariables": {"team": "blue"}}})
        self.assertEqual(status, 201, body)
        self.assertEqual(body["event"]["payload"], [{"json": {"content": {"a": [1, "é"]}}}])
        self.assertTrue(body["event"]["sessionId"], "a session id is generated")
        status, _, body = self.server.request(
            "POST", "/memories/%s/events" % self.mid,
            {"actorId": "js", "eventTimestamp": 1767225600, "payload": [conv("x")],
             "extractionMode": "ALWAYS"})
        self.assertEqual(status, 400)
        self.assertEqual(body["fieldList"][0]["name"], "extractionMode")

    def test_unicode(self):
        texts = ["héllo wörld", "日本語のテキスト", "مرحبا بالعالم", "emoji 🧠🚀 ok", "nul-free \t tab\nnewline",
                 "quotes \" and \\ backslash"]
        ev = self.dp.create_event(memoryId=self.mid, actorId="uni", sessionId="s", eventTimestamp=T0,
                                  payload=[conv(t) for t in texts],
                                  metadata={"k": {"stringValue": "plain value"}})["event"]
        got = self.dp.get_event(memoryId=self.mid, actorId="uni", sessionId="s",
                                eventId=ev["eventId"])["event"]
        self.assertEqual([p["conversational"]["content"]["text"] for p in got["payload"]], texts)

    def test_large_payload_about_1mb(self):
        big = ["%d:" % i + "x" * 99990 for i in range(10)]  # 10 items x ~100,000 chars
        ev = self.dp.create_event(memoryId=self.mid, actorId="big", sessionId="s", eventTimestamp=T0,
                                  payload=[conv(t) for t in big])["event"]
        got = self.dp.get_event(memoryId=self.mid, actorId="big", sessionId="s",
                                eventId=ev["eventId"])["event"]
        self.assertEqual([p["conversational"]["content"]["text"] for p in got["payload"]], big)
        blob = {"rows": ["y" * 1000 for _ in range(1000)]}  # ~1 MB JSON document
        ev = self.dp.create_event(memoryId=self.mid, actorId="big", sessionId="s2", eventTimestamp=T0,
                                  payload=[{"blob": blob}])["event"]
        got = self.dp.get_event(memoryId=self.mid, actorId="big", sessionId="s2",
                                eventId=ev["eventId"])["event"]
        self.assertEqual(got["payload"][0]["blob"], blob)

    def test_text_over_limit(self):
        with self.assertRaises(self.dp.exceptions.ValidationException) as ctx:
            self.dp.create_event(memoryId=self.mid, actorId="big", sessionId="s", eventTimestamp=T0,
                                 payload=[conv("z" * 100001)])
        err = self.assertError(ctx, 400, "ValidationException")
        self.assertIn("payload", err["Error"]["Message"])

    def test_client_token_replay(self):
        tok = str(uuid.uuid4())
        a = self.dp.create_event(memoryId=self.mid, actorId="tok", sessionId="s", eventTimestamp=T0,
                                 payload=[conv("once")], clientToken=tok)["event"]
        b = self.dp.create_event(memoryId=self.mid, actorId="tok", sessionId="s", eventTimestamp=T0,
                                 payload=[conv("once")], clientToken=tok)["event"]
        self.assertEqual(a["eventId"], b["eventId"])
        events = self.dp.list_events(memoryId=self.mid, actorId="tok", sessionId="s")["events"]
        self.assertEqual(len(events), 1)

    def test_validation_names_the_field(self):
        with self.assertRaises(self.dp.exceptions.ValidationException) as ctx:
            self.dp.create_event(memoryId=self.mid, actorId="bad actor!", sessionId="s",
                                 eventTimestamp=T0, payload=[conv("x")])
        self.assertError(ctx, 400, contains="actorId")
        status, _, body = self.server.request(
            "POST", "/memories/%s/events" % self.mid,
            {"actorId": "a", "eventTimestamp": T0, "payload": [{"conversational": {
                "content": {"text": "x"}, "role": "ROBOT"}}]})
        self.assertEqual(status, 400)
        self.assertEqual(body["reason"], "FieldValidationFailed")
        self.assertEqual(body["fieldList"][0]["name"], "payload[0].conversational.role")
        self.assertIn("ROBOT", body["message"])
        status, _, body = self.server.request(
            "POST", "/memories/%s/events" % self.mid,
            {"actorId": 42, "eventTimestamp": T0, "payload": [conv("x")]})
        self.assertEqual(status, 400)
        self.assertEqual(body["reason"], "CannotParse")
        self.assertEqual(body["fieldList"][0]["name"], "actorId")
        status, _, body = self.server.request(
            "POST", "/memories/%s/events" % self.mid,
            {"actorId": "a", "eventTimestamp": "yesterday", "payload": [conv("x")]})
        self.assertEqual(status, 400)
        self.assertEqual(body["fieldList"][0]["name"], "eventTimestamp")
        status, _, body = self.server.request(
            "POST", "/memories/%s/events" % self.mid,
            {"actorId": "a", "eventTimestamp": T0, "payload": []})
        self.assertEqual(status, 400, body)
        # nothing of the above was stored
        self.assertEqual(self.dp.list_events(memoryId=self.mid, actorId="a", sessionId="s")["events"], [])

    def test_unknown_memory(self):
        with self.assertRaises(self.dp.exceptions.ResourceNotFoundException):
            self.dp.create_event(memoryId="Nope-abcdefghij", actorId="a", sessionId="s",
                                 eventTimestamp=T0, payload=[conv("x")])

    def test_delete_event(self):
        ev = self.add_event(self.mid, actor="del", session="s")
        r = self.dp.delete_event(memoryId=self.mid, actorId="del", sessionId="s", eventId=ev["eventId"])
        self.assertEqual(r["eventId"], ev["eventId"])
        with self.assertRaises(self.dp.exceptions.ResourceNotFoundException):
            self.dp.get_event(memoryId=self.mid, actorId="del", sessionId="s", eventId=ev["eventId"])
        with self.assertRaises(self.dp.exceptions.ResourceNotFoundException):
            self.dp.delete_event(memoryId=self.mid, actorId="del", sessionId="s", eventId=ev["eventId"])

    def test_get_event_in_other_session_not_found(self):
        ev = self.add_event(self.mid, actor="other", session="s1")
        with self.assertRaises(self.dp.exceptions.ResourceNotFoundException):
            self.dp.get_event(memoryId=self.mid, actorId="other", sessionId="s2", eventId=ev["eventId"])


class TestListEvents(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mid = cls.cp.create_memory(name=cls.unique("List"), eventExpiryDuration=30)["memory"]["id"]
        cls.ids = []
        for i in range(25):
            ev = cls.dp.create_event(
                memoryId=cls.mid, actorId="alice", sessionId="s1", eventTimestamp=T0 + i,
                payload=[conv("turn %d" % i)],
                metadata={"parity": {"stringValue": "even" if i % 2 == 0 else "odd"}}
                if i % 5 else {})["event"]
            cls.ids.append(ev["eventId"])

    def test_newest_first_default_page(self):
        r = self.dp.list_events(memoryId=self.mid, actorId="alice", sessionId="s1")
        self.assertEqual([e["eventId"] for e in r["events"]], list(reversed(self.ids))[:20])
        self.assertIn("nextToken", r)
        self.assertEqual(r["events"][0]["payload"][0]["conversational"]["content"]["text"], "turn 24")

    def test_paginator_covers_everything_once(self):
        pages = list(self.dp.get_paginator("list_events").paginate(
            memoryId=self.mid, actorId="alice", sessionId="s1", PaginationConfig={"PageSize": 7}))
        self.assertEqual([len(p["events"]) for p in pages], [7, 7, 7, 4])
        got = [e["eventId"] for p in pages for e in p["events"]]
        self.assertEqual(got, list(reversed(self.ids)))
        self.assertNotIn("nextToken", pages[-1])

    def test_include_payloads_false(self):
        r = self.dp.list_events(memoryId=self.mid, actorId="alice", sessionId="s1",
                                includePayloads=False, maxResults=3)
        self.assertEqual([e["payload"] for e in r["events"]], [[], [], []])

    def test_metadata_filters(self):
        r = self.dp.list_events(memoryId=self.mid, actorId="alice", sessionId="s1", maxResults=100,
                                filter={"eventMetadata": [{
                                    "left": {"metadataKey": "parity"}, "operator": "EQUALS_TO",
                                    "right": {"metadataValue": {"stringValue": "even"}}}]})
        want = [i for i in range(25) if i % 5 and i % 2 == 0]
        self.assertEqual([e["eventId"] for e in r["events"]], [self.ids[i] for i in reversed(want)])
        r = self.dp.list_events(memoryId=self.mid, actorId="alice", sessionId="s1", maxResults=100,
                                filter={"eventMetadata": [{"left": {"metadataKey": "parity"},
                                                           "operator": "NOT_EXISTS"}]})
        self.assertEqual(len(r["events"]), 5)
        r = self.dp.list_events(memoryId=self.mid, actorId="alice", sessionId="s1", maxResults=100,
                                filter={"eventMetadata": [{"left": {"metadataKey": "parity"},
                                                           "operator": "EXISTS"}]})
        self.assertEqual(len(r["events"]), 20)

    def test_branches(self):
        sess = "branchy"
        base = [self.dp.create_event(memoryId=self.mid, actorId="alice", sessionId=sess,
                                     eventTimestamp=T0 + i, payload=[conv("main %d" % i)])["event"]["eventId"]
                for i in range(4)]
        root = base[1]
        fork = self.dp.create_event(memoryId=self.mid, actorId="alice", sessionId=sess,
                                    eventTimestamp=T0 + 100, payload=[conv("on a branch")],
                                    branch={"name": "alt", "rootEventId": root})["event"]
        self.assertEqual(fork["branch"], {"name": "alt", "rootEventId": root})
        more = self.dp.create_event(memoryId=self.mid, actorId="alice", sessionId=sess,
                                    eventTimestamp=T0 + 101, payload=[conv("still on it")],
                                    branch={"name": "alt"})["event"]
        self.assertEqual(more["branch"]["name"], "alt")
        only = self.dp.list_events(memoryId=self.mid, actorId="alice", sessionId=sess,
                                   filter={"branch": {"name": "alt"}})["events"]
        self.assertEqual([e["eventId"] for e in only], [more["eventId"], fork["eventId"]])
        with_parents = self.dp.list_events(
            memoryId=self.mid, actorId="alice", sessionId=sess, maxResults=100,
            filter={"branch": {"name": "alt", "includeParentBranches": True}})["events"]
        ids = [e["eventId"] for e in with_parents]
        self.assertEqual(ids, [more["eventId"], fork["eventId"], base[1], base[0]])
        main = self.dp.list_events(memoryId=self.mid, actorId="alice", sessionId=sess, maxResults=100,
                                   filter={"branch": {"name": "main"}})["events"]
        self.assertEqual([e["eventId"] for e in main], list(reversed(base)))
        everything = self.dp.list_events(memoryId=self.mid, actorId="alice", sessionId=sess,
                                         maxResults=100)["events"]
        self.assertEqual(len(everything), 6)
        with self.assertRaises(self.dp.exceptions.ResourceNotFoundException):
            self.dp.create_event(memoryId=self.mid, actorId="alice", sessionId=sess,
                                 eventTimestamp=T0, payload=[conv("x")],
                                 branch={"name": "b2", "rootEventId": "0000001767225600000#deadbeef"})

    def test_bad_next_token(self):
        with self.assertRaises(self.dp.exceptions.ValidationException) as ctx:
            self.dp.list_events(memoryId=self.mid, actorId="alice", sessionId="s1", nextToken="garbage!")
        self.assertError(ctx, 400, contains="nextToken")

    def test_empty_session(self):
        r = self.dp.list_events(memoryId=self.mid, actorId="nobody", sessionId="none")
        self.assertEqual(r["events"], [])
        self.assertNotIn("nextToken", r)


class TestConcurrentClients(ServerTestCase):
    def test_eight_threads(self):
        mid = self.make_memory("Conc")
        n_threads, per_thread = 8, 40
        errors, created = [], {}

        def worker(k):
            try:
                dp = self.server.dp(retries=3)  # one client per thread, as boto3 recommends
                ids = []
                for i in range(per_thread):
                    ev = dp.create_event(memoryId=mid, actorId="actor%d" % k, sessionId="s",
                                         eventTimestamp=T0 + i, payload=[conv("t%d-%d" % (k, i))])["event"]
                    ids.append(ev["eventId"])
                    if i % 10 == 0:
                        dp.list_events(memoryId=mid, actorId="actor%d" % k, sessionId="s", maxResults=5)
                created[k] = ids
            except Exception as e:  # reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        for k in range(n_threads):
            got = [e["eventId"] for p in self.dp.get_paginator("list_events").paginate(
                memoryId=mid, actorId="actor%d" % k, sessionId="s") for e in p["events"]]
            self.assertEqual(sorted(got), sorted(created[k]))
        actors = [a["actorId"] for p in self.dp.get_paginator("list_actors").paginate(memoryId=mid)
                  for a in p["actorSummaries"]]
        self.assertEqual(sorted(actors), sorted("actor%d" % k for k in range(n_threads)))


if __name__ == "__main__":
    unittest.main()
