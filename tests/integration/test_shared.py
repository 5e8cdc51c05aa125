"""Two agentmemd on one PostgreSQL database (src/store/postgres): what one server writes the
other reads, a clientToken holds across servers, and concurrent extraction workers process
every job once. Runs only with AGENTMEM_TEST_DB_URI (tests/integration/run_postgres.sh):
a SQLite file is served by one agentmemd at a time."""
import re
import threading
import time
import unittest
import uuid

from harness import PG_URI, Server


def conv(text, role="USER"):
    return [{"conversational": {"content": {"text": text}, "role": role}}]


@unittest.skipUnless(PG_URI, "needs a shared store (AGENTMEM_TEST_DB_URI=postgres://...)")
class TestTwoServers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = Server().start()
        cls.b = Server(db=cls.a.db).start()       # the same path: the same database

    @classmethod
    def tearDownClass(cls):
        rc_a, rc_b = cls.a.stop(), cls.b.stop()
        if rc_a or rc_b:
            raise AssertionError("agentmemd exit statuses %r %r" % (rc_a, rc_b))

    def test_write_through_one_read_through_other(self):
        mid = self.a.cp().create_memory(name="Shared_%s" % uuid.uuid4().hex[:6],
                                        eventExpiryDuration=30)["memory"]["id"]
        self.assertEqual(self.b.cp().get_memory(memoryId=mid)["memory"]["id"], mid)
        ev = self.a.dp().create_event(memoryId=mid, actorId="alice", sessionId="s1",
                                      eventTimestamp=time.time(), payload=conv("hello from a"))
        got = self.b.dp().get_event(memoryId=mid, actorId="alice", sessionId="s1",
                                    eventId=ev["event"]["eventId"])["event"]
        self.assertEqual(got["payload"][0]["conversational"]["content"]["text"], "hello from a")
        self.b.dp().create_event(memoryId=mid, actorId="alice", sessionId="s1",
                                 eventTimestamp=time.time() + 1, payload=conv("hello from b"))
        evs = self.a.dp().list_events(memoryId=mid, actorId="alice", sessionId="s1")["events"]
        self.assertEqual(len(evs), 2)
        sessions = self.b.dp().list_sessions(memoryId=mid, actorId="alice")["sessionSummaries"]
        self.assertEqual([s["sessionId"] for s in sessions], ["s1"])

    def test_client_token_across_servers(self):
        mid = self.a.cp().create_memory(name="Token_%s" % uuid.uuid4().hex[:6],
                                        eventExpiryDuration=30)["memory"]["id"]
        ts = time.time()
        ids, errors = [], []

        def put(srv):
            try:
                r = srv.dp().create_event(memoryId=mid, actorId="alice", sessionId="s",
                                          eventTimestamp=ts, payload=conv("once"),
                                          clientToken="tok-shared-0001")
                ids.append(r["event"]["eventId"])
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=put, args=(s,)) for s in (self.a, self.b) * 4]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(set(ids)), 1, ids)
        evs = self.b.dp().list_events(memoryId=mid, actorId="alice", sessionId="s")["events"]
        self.assertEqual(len(evs), 1)

    def test_search_sees_records_written_through_the_other(self):
        # a typo matches only by vector: the searching server's cache of the scope's vectors
        # must not hide a record the other server added after it was read
        mid = self.a.cp().create_memory(name="Vec_%s" % uuid.uuid4().hex[:6],
                                        eventExpiryDuration=30)["memory"]["id"]

        def put(srv, rid, text):
            srv.dp().batch_create_memory_records(memoryId=mid, records=[{
                "requestIdentifier": rid, "namespaces": ["/facts/alice"],
                "content": {"text": text}, "timestamp": time.time()}])

        def search():
            r = self.b.dp().retrieve_memory_records(
                memoryId=mid, namespace="/facts", searchCriteria={"searchQuery": "snapshtos",
                                                                  "topK": 3})
            return [x["content"]["text"] for x in r["memoryRecordSummaries"]]

        put(self.b, "r1", "The team deploys on Tuesdays")
        search()                                   # b reads the scope's vectors
        put(self.a, "r2", "Take nightly snapshots of the cluster")
        deadline = time.time() + 5
        while "Take nightly snapshots of the cluster" not in search():
            self.assertLess(time.time(), deadline, "b never saw a's record: %r" % search())
            time.sleep(0.05)

    def test_concurrent_extraction_runs_each_job_once(self):
        mid = self.a.cp().create_memory(
            name="Extract_%s" % uuid.uuid4().hex[:6], eventExpiryDuration=30,
            memoryStrategies=[{"semanticMemoryStrategy": {"name": "Facts"}}])["memory"]["id"]
        n = 24
        for i in range(n):
            srv = self.a if i % 2 else self.b
            srv.dp().create_event(
                memoryId=mid, actorId="ops", sessionId="s%d" % i, eventTimestamp=time.time(),
                payload=conv("Cluster c%d runs %d ra3.xlplus nodes in us-west-2." % (i, i + 2)))
        deadline = time.time() + 60
        while time.time() < deadline:
            jobs = self.a.dp().list_memory_extraction_jobs(memoryId=mid)["jobs"]
            if not jobs:
                break
            time.sleep(0.2)
        self.assertEqual(self.b.dp().list_memory_extraction_jobs(memoryId=mid)["jobs"], [])
        texts = [r["content"]["text"] for p in self.b.dp().get_paginator(
            "list_memory_records").paginate(memoryId=mid, namespace="/")
            for r in p["memoryRecordSummaries"]]
        for i in range(n):
            hits = [t for t in texts if re.search(r"\bc%d\b" % i, t)]
            self.assertEqual(len(hits), 1, "session s%d: %r" % (i, hits))


if __name__ == "__main__":
    unittest.main()


@unittest.skipUnless(PG_URI, "needs a shared store (AGENTMEM_TEST_DB_URI=postgres://...)")
class TestServerKilledUnderLoad(unittest.TestCase):
    def test_acknowledged_writes_survive_sigkill(self):
        a = Server().start()
        b = Server(db=a.db).start()
        try:
            mid = a.cp().create_memory(name="Kill_%s" % uuid.uuid4().hex[:6],
                                       eventExpiryDuration=30)["memory"]["id"]
            acked, lock = [], threading.Lock()
            stop = threading.Event()

            def writer(n):
                dp = a.dp()
                i = 0
                while not stop.is_set():
                    try:
                        r = dp.create_event(memoryId=mid, actorId="alice", sessionId="w%d" % n,
                                            eventTimestamp=time.time(), payload=conv("w%d-%d" % (n, i)))
                    except Exception:  # noqa: BLE001 - the server died: stop writing
                        return
                    with lock:
                        acked.append(("w%d" % n, r["event"]["eventId"]))
                    i += 1

            threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
            for t in threads:
                t.start()
            time.sleep(1.5)
            a.proc.kill()                      # SIGKILL in the middle of the load
            a.proc.wait()
            stop.set()
            for t in threads:
                t.join()
            self.assertGreater(len(acked), 0)
            dp = b.dp()
            for session, eid in acked:         # every acknowledged write, through the other
                ev = dp.get_event(memoryId=mid, actorId="alice", sessionId=session, eventId=eid)
                self.assertEqual(ev["event"]["eventId"], eid)
        finally:
            if a.proc.poll() is None:
                a.stop()
            self.assertEqual(b.stop(), 0)
