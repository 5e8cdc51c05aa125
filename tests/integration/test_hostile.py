"""Hostile input over HTTP: every bad request gets a clear 4xx in the API's error format, the
server stays up, and nothing in the store changes (the SQLite file is dumped before and after
and compared). Valid but nasty data (SQL metacharacters, quotes, NUL-free control text) is
stored and returned byte for byte."""
import json
import socket
import sqlite3
import threading
import time
import unittest

from harness import PG_URI, ServerTestCase, sqlite_only

T0 = 1767225600


def conv(text):
    return [{"conversational": {"content": {"text": text}, "role": "USER"}}]


class TestHostileInput(ServerTestCase):
    maxDiff = None
    server_args = ("--max-body", "1MiB", "--timeout", "3", "--max-connections", "200")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mid = cls.cp.create_memory(name=cls.unique("Hostile"), eventExpiryDuration=30)[
            "memory"]["id"]
        cls.dp.create_event(memoryId=cls.mid, actorId="alice", sessionId="s1",
                            eventTimestamp=T0, payload=conv("seed"))

    def dump(self):
        """The whole store as SQL, once the background worker has indexed every event for
        verbatim search (it does so on its own schedule, which is not a change to compare)."""
        if PG_URI:
            return None
        con = sqlite3.connect(self.server.db)
        try:
            deadline = time.time() + 20
            while time.time() < deadline and not con.execute(
                    "SELECT (SELECT CAST(value AS INTEGER) FROM meta WHERE key = "
                    "'events_indexed_seq') >= (SELECT coalesce(max(seq), 0) FROM events)"
            ).fetchone()[0]:
                time.sleep(0.05)
            return "\n".join(con.iterdump())
        finally:
            con.close()

    def assert_api_error(self, status, hdrs, body, want_status=None):
        self.assertTrue(400 <= status < 500, (status, body))
        if want_status:
            self.assertEqual(status, want_status, body)
        self.assertTrue(hdrs.get("x-amzn-errortype"), hdrs)
        self.assertIsInstance(body, dict, body)
        self.assertTrue(body.get("message"), body)

    def raw(self, method, path, data, headers=None):
        return self.server.request(method, path, data, headers=headers)

    def test_bad_requests_change_nothing(self):
        m = self.mid
        ev = "/memories/%s/events" % m
        good = {"actorId": "a", "sessionId": "s", "eventTimestamp": T0, "payload": conv("x")}
        cases = [
            ("POST", ev, b"{not json"),
            ("POST", ev, b"[1,2,3]"),
            ("POST", ev, b'{"actorId": "a", "actorId": "b"}'),
            ("POST", ev, json.dumps(dict(good, actorId=12)).encode()),
            ("POST", ev, json.dumps(dict(good, payload="text")).encode()),
            ("POST", ev, json.dumps({k: v for k, v in good.items() if k != "actorId"}).encode()),
            ("POST", ev, json.dumps({k: v for k, v in good.items() if k != "payload"}).encode()),
            ("POST", ev, json.dumps(dict(good, eventTimestamp=1e300)).encode()),
            ("POST", ev, json.dumps(dict(good, eventTimestamp=-5)).encode()),
            ("POST", ev, json.dumps(dict(good, actorId="x" * 300)).encode()),
            ("POST", ev, json.dumps(dict(good, actorId="")).encode()),
            ("POST", ev, json.dumps(dict(good, actorId="../../etc/passwd")).encode()),
            ("POST", ev, json.dumps(dict(good, sessionId="s" * 101)).encode()),
            ("POST", ev, json.dumps(dict(good, payload=[])).encode()),
            ("POST", ev, json.dumps(dict(good, payload=conv("x") * 101)).encode()),
            ("POST", ev, json.dumps(dict(good, metadata={"k%d" % i: {"stringValue": "v"}
                                                         for i in range(16)})).encode()),
            ("POST", ev, b'{"actorId": "\xff\xfe", "sessionId": "s", "eventTimestamp": 1,'
                         b' "payload": []}'),
            ("POST", ev, b'{"actorId": "a\\ud800", "sessionId": "s", "eventTimestamp": 1}'),
            ("POST", ev, b"[" * 100000),
            ("POST", ev, b'{"a":' * 50000),
            ("POST", "/memories/%s/actor/a/sessions/s" % m, json.dumps({"maxResults": 0}).encode()),
            ("POST", "/memories/%s/actor/a/sessions/s" % m, json.dumps({"maxResults": 10 ** 12}).encode()),
            ("POST", "/memories/%s/actor/a/sessions/s" % m, json.dumps({"nextToken": "' OR 1=1 --"}).encode()),
            ("POST", "/memories/%s/actor/a/sessions/s" % m, json.dumps({"nextToken": "A" * 5000}).encode()),
            ("POST", "/memories/%s/retrieve" % m, json.dumps({"namespace": "/", "searchCriteria": {
                "searchQuery": "", "topK": -1}}).encode()),
            ("GET", "/memories/..%2F..%2Fetc%2Fpasswd/details", None),
            ("GET", "/memories/%s/actor/..%%2F/sessions/s/events/x" % m, None),
            ("GET", "/memories/%s/actor/a%%ZZ/sessions/s/events/x" % m, None),
            ("GET", "/memories/%s/memoryRecord/..%%2F..%%2Frecords" % m, None),
            ("DELETE", "/memories/%s/memoryRecords/%%27%%3B%%20DROP%%20TABLE%%20records" % m, None),
            ("POST", "/memories/create", json.dumps({"name": "x'; DROP TABLE memories; --",
                                                      "eventExpiryDuration": 30}).encode()),
            ("POST", "/memories/create", json.dumps({"name": "ok", "eventExpiryDuration": 366 * 10}).encode()),
            ("PUT", "/memories/%s/update" % m, json.dumps({"eventExpiryDuration": "7"}).encode()),
            ("POST", "/memories/%s/memoryRecords/batchCreate" % m, json.dumps({"records": [
                {"requestIdentifier": "r", "namespaces": ["no-slash"], "content": {"text": "t"},
                 "timestamp": T0}] * 101}).encode()),
        ]
        before = self.dump()
        for method, path, data in cases:
            with self.subTest(method=method, path=path[:80], data=(data or b"")[:60]):
                status, hdrs, body = self.raw(method, path, data)
                self.assert_api_error(status, hdrs, body)
        self.assertEqual(self.raw("GET", "/_agentmem/health", None)[0], 200)
        if before is not None:
            self.assertEqual(self.dump(), before)

    def test_oversized_body_is_413(self):
        before = self.dump()
        big = json.dumps({"actorId": "a", "sessionId": "s", "eventTimestamp": T0,
                          "payload": conv("x" * (10 << 20))}).encode()
        status, hdrs, body = self.raw("POST", "/memories/%s/events" % self.mid, big)
        self.assert_api_error(status, hdrs, body, 413)
        if before is not None:
            self.assertEqual(self.dump(), before)

    def test_sql_metacharacters_are_data(self):
        nasty = "a'; DROP TABLE events; -- %_\\ \" ` $(rm -rf /) <script>x</script> ✓"
        actor = "o.brien@example.com"
        r = self.dp.create_event(memoryId=self.mid, actorId=actor, sessionId="s_1",
                                 eventTimestamp=T0, payload=conv(nasty),
                                 metadata={"k1": {"stringValue": "a = b + c @ d"}})
        got = self.dp.get_event(memoryId=self.mid, actorId=actor, sessionId="s_1",
                                eventId=r["event"]["eventId"])["event"]
        self.assertEqual(got["payload"][0]["conversational"]["content"]["text"], nasty)
        self.assertEqual(got["metadata"]["k1"]["stringValue"], "a = b + c @ d")
        # '_' and '%' in ids match only themselves (no LIKE anywhere)
        try:
            other = self.dp.list_events(memoryId=self.mid, actorId="o_brien@example.com",
                                        sessionId="s%1".replace("%", "_"))["events"]
        except self.dp.exceptions.ResourceNotFoundException:
            other = []
        self.assertEqual(other, [])
        # FTS operators in a query are words, not syntax
        hits = self.dp.retrieve_memory_records(
            memoryId=self.mid, namespace="/",
            searchCriteria={"searchQuery": 'DROP" OR 1=1 NEAR(x) * ^a:b'})
        self.assertIsInstance(hits["memoryRecordSummaries"], list)
        found = self.server.request("POST", "/_agentmem/memories/%s/actors/%s/search"
                                    % (self.mid, actor), {"query": "DROP TABLE events"})
        self.assertEqual(found[0], 200, found[2])

    def test_slow_client_does_not_block_others(self):
        s = socket.create_connection(("127.0.0.1", self.server.port))
        try:
            s.sendall(b"POST /memories/%s/events HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 100000\r\n\r\n{" % self.mid.encode())
            start = time.time()
            for _ in range(5):          # others are served meanwhile
                self.assertEqual(self.raw("GET", "/_agentmem/health", None)[0], 200)
            self.assertLess(time.time() - start, 30)
            # the stalled connection is closed after --timeout (3 s)
            s.settimeout(20)
            deadline = time.time() + 20
            closed = False
            while time.time() < deadline and not closed:
                try:
                    closed = s.recv(4096) == b""
                except (ConnectionResetError, socket.timeout):
                    closed = True
            self.assertTrue(closed, "a stalled upload was never cut off")
        finally:
            s.close()

    def test_many_connections(self):
        socks = []
        try:
            for _ in range(300):        # more than --max-connections 200
                try:
                    socks.append(socket.create_connection(("127.0.0.1", self.server.port),
                                                          timeout=5))
                except OSError:
                    break
            # the server stays up; once the idle ones go, it serves again
            for s in socks:
                s.close()
            socks = []
            deadline = time.time() + 20
            while time.time() < deadline:
                try:
                    if self.raw("GET", "/_agentmem/health", None)[0] == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            self.assertEqual(self.raw("GET", "/_agentmem/health", None)[0], 200)
        finally:
            for s in socks:
                s.close()

    def test_concurrent_garbage(self):
        errors = []

        def worker(n):
            try:
                for i in range(20):
                    status, _, _ = self.raw("POST", "/memories/%s/events" % self.mid,
                                            b'{"actorId": %d}' % i)
                    if not 400 <= status < 500:
                        errors.append(status)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.raw("GET", "/_agentmem/health", None)[0], 200)


if __name__ == "__main__":
    unittest.main()
