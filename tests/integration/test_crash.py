"""Crash safety under load: agentmemd is killed with SIGKILL at random moments during a
concurrent CreateEvent load, many times over, and restarted on the same store (a SQLite
file, or a PostgreSQL database under tests/integration/run_postgres.sh). Afterwards:

- every acknowledged CreateEvent is there, byte for byte;
- a clientToken acknowledged before a crash still names the same event after it;
- the extraction queue resumes: every event's extraction ends DONE, and each fact is stored
  exactly once (no job lost, none run twice to duplicate records);
- the store passes its integrity check (SQLite: PRAGMA integrity_check).

The kill moments are random but the seed is printed, so a failure can be replayed with
AGENTMEM_CRASH_SEED=<seed>.
"""
import os
import random
import re
import sqlite3
import threading
import time
import unittest
import uuid

from harness import PG_URI, Server


def conv(text, role="USER"):
    return [{"conversational": {"content": {"text": text}, "role": role}}]


ROUNDS = int(os.environ.get("AGENTMEM_CRASH_ROUNDS", "8"))
WRITERS = 4
# A SQLite agentmemd owns its file and takes over a dead run's jobs at once. On PostgreSQL
# other servers may be working, so a dead server's job waits for its lease (120 s by
# default): the test shortens it, as an operator would to trade duplicate work for latency.
ENV = {"AGENTMEM_JOB_LEASE_MS": "3000"} if PG_URI else None


class TestCrashUnderLoad(unittest.TestCase):
    def test_sigkill_during_load_loses_no_acknowledged_write(self):
        seed = int(os.environ.get("AGENTMEM_CRASH_SEED", str(int(time.time()))))
        rnd = random.Random(seed)
        print("\ncrash seed %d, %d rounds" % (seed, ROUNDS))
        first = Server(env=ENV).start()
        db = first.db
        mid = first.cp().create_memory(
            name="Crash_%s" % uuid.uuid4().hex[:6], eventExpiryDuration=30,
            memoryStrategies=[{"semanticMemoryStrategy": {"name": "Facts",
                                                          "namespaces": ["/facts/{actorId}"]}}],
        )["memory"]["id"]
        first.stop()

        acked = []             # (session, eventId, text)
        tokens = {}            # clientToken -> eventId
        lock = threading.Lock()
        for rnd_no in range(ROUNDS):
            srv = Server(db=db, env=ENV).start()
            stop = threading.Event()

            def writer(n, srv=srv, stop=stop, rnd_no=rnd_no):
                dp = srv.dp()
                i = 0
                while not stop.is_set():
                    text = "Cluster k%dx%dx%d runs %d ra3.xlplus nodes." % (rnd_no, n, i, i + 2)
                    token = "tok-%d-%d-%d" % (rnd_no, n, i)
                    ts = round(time.time(), 3)
                    try:
                        r = dp.create_event(memoryId=mid, actorId="ops", sessionId="w%d" % n,
                                            eventTimestamp=ts, payload=conv(text),
                                            clientToken=token)
                    except Exception:  # noqa: BLE001 - the server died: this write is unknown
                        return
                    with lock:
                        acked.append(("w%d" % n, r["event"]["eventId"], text))
                        tokens[token] = ("w%d" % n, r["event"]["eventId"], text, ts)
                    i += 1

            threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
            for t in threads:
                t.start()
            time.sleep(rnd.uniform(0.2, 1.5))
            srv.proc.kill()                    # SIGKILL: no chance to flush or finish
            srv.proc.wait()
            srv.kill()
            stop.set()
            for t in threads:
                t.join()
        self.assertGreater(len(acked), ROUNDS * WRITERS)

        t0 = time.time()
        final = Server(db=db, env=ENV).start()
        try:
            dp = final.dp()
            for session, eid, text in acked:
                ev = dp.get_event(memoryId=mid, actorId="ops", sessionId=session,
                                  eventId=eid)["event"]
                self.assertEqual(ev["payload"][0]["conversational"]["content"]["text"], text)
            # a retried request with an acknowledged clientToken: the same event, no new one
            for token, (session, eid, text, ts) in list(tokens.items())[
                    :: max(1, len(tokens) // 20)]:
                r = dp.create_event(memoryId=mid, actorId="ops", sessionId=session,
                                    eventTimestamp=ts, payload=conv(text), clientToken=token)
                self.assertEqual(r["event"]["eventId"], eid)

            t1 = time.time()
            # the queue resumes and drains: no job left, one fact per acknowledged sentence
            deadline = time.time() + 120
            while time.time() < deadline:
                jobs = dp.list_memory_extraction_jobs(memoryId=mid)["jobs"]
                if not jobs:
                    break
                self.assertFalse([j for j in jobs if j["status"] == "FAILED"], jobs)
                time.sleep(0.3)
            self.assertEqual(dp.list_memory_extraction_jobs(memoryId=mid)["jobs"], [])
            texts = [r["content"]["text"] for p in dp.get_paginator("list_memory_records")
                     .paginate(memoryId=mid, namespace="/facts/ops")
                     for r in p["memoryRecordSummaries"]]
            for _, _, text in acked:
                key = re.search(r"k\d+x\d+x\d+", text).group(0)
                hits = [t for t in texts if re.search(r"\b%s\b" % key, t)]
                self.assertEqual(len(hits), 1, "%s: %r" % (key, hits))
            print("crash: %d rounds, %d acknowledged writes, all present (checked in %.1f s); "
                  "queue drained in %.1f s; %d records"
                  % (ROUNDS, len(acked), t1 - t0, time.time() - t1, len(texts)))
        finally:
            self.assertEqual(final.stop(), 0)
        if not PG_URI:
            con = sqlite3.connect(db)
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            con.close()


if __name__ == "__main__":
    unittest.main()
