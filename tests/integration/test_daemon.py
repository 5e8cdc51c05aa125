"""The daemon (src/daemon/main.c, config.c, and server.c's lifecycle): options from flags,
environment and config file, refusal of a second start, SIGTERM under load and with a
request in flight, access log lines."""
import os
import re
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

from harness import Server, binary, sqlite_only

T0 = 1767225600


def conv(text):
    return [{"conversational": {"content": {"text": text}, "role": "USER"}}]


def run(args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("AGENTMEM_")}
    e.update(env or {})
    return subprocess.run([binary()] + args, capture_output=True, text=True, env=e, timeout=30)


class TestOptions(unittest.TestCase):
    def test_help_lists_every_option(self):
        r = run(["--help"])
        self.assertEqual(r.returncode, 0)
        for name in ("listen", "db", "threads", "max-body", "timeout", "max-connections",
                     "shutdown-timeout", "log-level", "access-log", "auth", "credentials",
                     "region", "account", "config"):
            self.assertIn("--" + name, r.stdout)
            self.assertIn("AGENTMEM_" + name.upper().replace("-", "_"), r.stdout)
        self.assertIn("127.0.0.1:8080", r.stdout)
        self.assertIn("./agentmem.db", r.stdout)

    def test_version(self):
        r = run(["--version"])
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^agentmemd \d+\.\d+\.\d+\n$")

    def test_precedence_default_file_env_flag(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write("# agentmemd options\nthreads = 3\ntimeout = 5\nmax-body = 1MiB\n"
                    "region = \"eu-west-1\"\n")
        try:
            r = run(["--config", f.name, "--print-config", "--timeout=7"],
                    env={"AGENTMEM_THREADS": "9"})
            self.assertEqual(r.returncode, 0, r.stderr)
            cfg = {m[0]: (m[1], m[2]) for m in re.findall(r"^(\S+) = (.*?)  # (.*)$", r.stdout, re.M)}
            self.assertEqual(cfg["threads"], ("9", "AGENTMEM_THREADS"))
            self.assertEqual(cfg["timeout"], ("7", "flag"))
            self.assertEqual(cfg["max-body"][0], "1MiB")
            self.assertTrue(cfg["max-body"][1].startswith("file line"))
            self.assertEqual(cfg["region"][0], "eu-west-1")
            self.assertEqual(cfg["listen"], ("127.0.0.1:8080", "default"))
        finally:
            os.unlink(f.name)

    def test_bad_options_exit_2(self):
        for args, needle in ((["--nope"], "unknown option"), (["--threads", "0"], "threads"),
                             (["--max-body", "12 parsecs"], "max-body"), (["--auth", "basic"], "auth"),
                             (["--auth", "sigv4"], "credentials"), (["--account", "12"], "account"),
                             (["--threads"], "needs a value")):
            r = run(args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(needle, r.stderr, args)
        r = run(["--print-config"], env={"AGENTMEM_TIMEOUT": "soon"})
        self.assertEqual(r.returncode, 2)
        self.assertIn("AGENTMEM_TIMEOUT", r.stderr)

    def test_env_and_region_in_arns(self):
        srv = Server(env={"AGENTMEM_THREADS": "5", "AGENTMEM_REGION": "eu-west-1"},
                     args=["--account", "111122223333"]).start()
        try:
            self.assertIn("threads=5", srv.log_text())
            m = srv.cp().create_memory(name="Arn_%s" % uuid.uuid4().hex[:6], eventExpiryDuration=30)
            self.assertTrue(m["memory"]["arn"].startswith("arn:aws:bedrock-agentcore:eu-west-1:111122223333:memory/"))
        finally:
            self.assertEqual(srv.stop(), 0)


class TestLifecycle(unittest.TestCase):
    @sqlite_only  # a PostgreSQL database is meant to be shared by servers
    def test_second_start_on_same_db_refused(self):
        a = Server().start()
        try:
            r = run(["--listen", "127.0.0.1:0", "--db", a.db])
            self.assertEqual(r.returncode, 1)
            self.assertIn("already served by another agentmemd", r.stderr)
            self.assertEqual(a.request("GET", "/_agentmem/health")[0], 200)
        finally:
            self.assertEqual(a.stop(), 0)
        b = Server(db=a.db).start()  # free again once the first has stopped
        self.assertEqual(b.stop(), 0)

    def test_port_in_use(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        try:
            tmp = Server().tmp
            r = run(["--listen", "127.0.0.1:%d" % s.getsockname()[1], "--db", os.path.join(tmp, "x.db")])
            self.assertEqual(r.returncode, 1)
            self.assertIn("cannot listen on 127.0.0.1:%d" % s.getsockname()[1], r.stderr)
        finally:
            s.close()

    def test_access_log_line(self):
        srv = Server().start()
        try:
            status, hdrs, _ = srv.request("POST", "/memories/", {})
            rid = hdrs["x-amzn-requestid"]
        finally:
            self.assertEqual(srv.stop(), 0)
        line = [l for l in srv.log_text().splitlines() if rid in l][0]
        self.assertRegex(line, r"INFO http: method=POST path=/memories/ status=200 ms=[0-9.]+ .*op=ListMemories req=" + rid)
        self.assertRegex(srv.log_text(), r"listening addr=127\.0\.0\.1:\d+ db=\S+ threads=16")
        self.assertIn("SIGTERM: stopping", srv.log_text())
        self.assertIn("agentmemd: stopped", srv.log_text())

    @sqlite_only
    def test_sigterm_finishes_request_in_flight(self):
        srv = Server().start()
        cp, dp = srv.cp(), srv.dp()
        mid = cp.create_memory(name="Inflight_%s" % uuid.uuid4().hex[:6], eventExpiryDuration=30)["memory"]["id"]
        hold = sqlite3.connect(srv.db, timeout=0, isolation_level=None)
        hold.execute("BEGIN EXCLUSIVE")  # the next write waits on the store
        result = {}

        def slow():
            try:
                result["event"] = dp.create_event(memoryId=mid, actorId="a", sessionId="s",
                                                  eventTimestamp=T0, payload=conv("in flight"))["event"]
            except Exception as e:  # reported below
                result["error"] = repr(e)

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.5)
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        self.assertIsNone(srv.proc.poll(), "must wait for the request in flight")
        hold.execute("ROLLBACK")
        hold.close()
        t.join(30)
        rc = srv.stop()
        self.assertEqual(rc, 0)
        self.assertIn("event", result, result)
        srv2 = Server(db=srv.db).start()
        try:
            got = srv2.dp().get_event(memoryId=mid, actorId="a", sessionId="s",
                                      eventId=result["event"]["eventId"])
            self.assertEqual(got["event"]["payload"][0]["conversational"]["content"]["text"], "in flight")
        finally:
            self.assertEqual(srv2.stop(), 0)

    def test_sigterm_under_load_loses_no_acknowledged_write(self):
        srv = Server().start()
        mid = srv.cp().create_memory(name="Load_%s" % uuid.uuid4().hex[:6], eventExpiryDuration=30)["memory"]["id"]
        acked, stop = [], threading.Event()
        lock = threading.Lock()

        def worker(k):
            dp = srv.dp()
            i = 0
            while not stop.is_set():
                try:
                    ev = dp.create_event(memoryId=mid, actorId="w%d" % k, sessionId="s",
                                         eventTimestamp=T0 + i, payload=conv("w%d-%d" % (k, i)))["event"]
                    with lock:
                        acked.append((k, ev["eventId"]))
                except Exception:
                    time.sleep(0.01)  # refused or cut while shutting down: not acknowledged
                i += 1

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        rc = srv.stop()
        stop.set()
        for t in threads:
            t.join(30)
        self.assertEqual(rc, 0, srv.log_text()[-3000:])
        self.assertGreater(len(acked), 20)
        srv2 = Server(db=srv.db).start()
        try:
            dp = srv2.dp()
            for k in range(8):
                stored = {e["eventId"] for p in dp.get_paginator("list_events").paginate(
                    memoryId=mid, actorId="w%d" % k, sessionId="s") for e in p["events"]}
                for kk, eid in acked:
                    if kk == k:
                        self.assertIn(eid, stored)
        finally:
            self.assertEqual(srv2.stop(), 0)

    def test_sigint_also_stops_cleanly(self):
        srv = Server().start()
        srv.proc.send_signal(signal.SIGINT)
        self.assertEqual(srv.proc.wait(20), 0)
        srv.proc = None
        srv.log.close()
        self.assertIn("SIGINT: stopping", srv.log_text())


if __name__ == "__main__":
    unittest.main()
