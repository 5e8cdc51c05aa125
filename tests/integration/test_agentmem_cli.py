"""build/agentmem, the command line, run for real: against an agentmemd (--endpoint) and
straight on a database file (--db), every command, exit codes, --json, export/import."""
import json
import os
import sqlite3
import re
import subprocess
import tempfile
import time
import unittest

from harness import ROOT, ServerTestCase, sqlite_only

CLI = os.environ.get("AGENTMEM_CLI_BIN") or os.path.join(ROOT, "build", "agentmem")


def conv(text, role="USER"):
    return [{"conversational": {"content": {"text": text}, "role": role}}]


class CliMixin:
    def run_cli(self, *args, memory_id=None, expect=0, stdin=None):
        env = dict(os.environ)
        env.pop("AGENTCORE_MEMORY_ID", None)
        if memory_id:
            env["AGENTCORE_MEMORY_ID"] = memory_id
        r = subprocess.run([CLI] + self.where() + list(args), capture_output=True, text=True,
                           env=env, timeout=120, input=stdin)
        if expect is not None:
            self.assertEqual(r.returncode, expect, "agentmem %s\nstdout: %s\nstderr: %s"
                             % (" ".join(args), r.stdout, r.stderr))
        return r

    def setup_memory(self, name):
        r = self.run_cli("setup", "--name", name, "--description", "cli test")
        m = re.search(r"export AGENTCORE_MEMORY_ID=(\S+)", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        return m.group(1)

    def check_every_command(self, write_event):
        name = "Cli_%d" % int(time.time() * 1000)
        mid = self.setup_memory(name)
        self.assertEqual(self.setup_memory(name), mid)          # found, not created again
        shown = json.loads(self.run_cli("--json", "memories", "show", memory_id=mid).stdout)
        self.assertEqual([s["type"] for s in shown["strategies"]],
                         ["SUMMARIZATION", "USER_PREFERENCE", "SEMANTIC"])
        self.assertEqual(shown["eventExpiryDuration"], 0)          # kept until deleted
        listed = json.loads(self.run_cli("--json", "memories", "list").stdout)
        self.assertIn(mid, [m["id"] for m in listed])

        write_event(mid, "alice", "day1", "prod-cluster runs 4 ra3.4xlarge nodes in us-east-2.")
        write_event(mid, "alice", "day1", "I prefer a single workgroup for all queues.")
        write_event(mid, "alice", "day2", "Restore the snapshot into analytics-wg.")
        write_event(mid, "bob", "b1", "Bob likes dashboards.")

        sessions = json.loads(self.run_cli("--json", "sessions", "list", "--actor", "alice",
                                           memory_id=mid).stdout)
        self.assertEqual(sorted(s["sessionId"] for s in sessions), ["day1", "day2"])
        self.assertEqual({s["sessionId"]: s["eventCount"] for s in sessions}["day1"], 2)
        table = self.run_cli("sessions", "list", memory_id=mid).stdout
        self.assertIn("LAST ACTIVITY", table)
        self.assertIn("b1", table)
        show = self.run_cli("sessions", "show", "--actor", "alice", "--session", "day1",
                            memory_id=mid).stdout
        self.assertIn("USER: prod-cluster runs 4 ra3.4xlarge nodes", show)
        actors = json.loads(self.run_cli("--json", "actors", "list", memory_id=mid).stdout)
        self.assertEqual(sorted(a["actorId"] for a in actors), ["alice", "bob"])

        # records appear from background extraction (--db runs pending extraction on exit)
        deadline = time.time() + 20
        found = []
        while time.time() < deadline and not found:
            found = json.loads(self.run_cli("--json", "search", "how many nodes",
                                            "--actor", "alice", memory_id=mid).stdout)
            time.sleep(0.2)
        self.assertTrue(found)
        self.assertIn("ra3.4xlarge", found[0]["content"]["text"])
        self.assertTrue(0 < found[0]["score"] <= 1)
        out = self.run_cli("search", "how many nodes", "--actor", "alice", memory_id=mid).stdout
        self.assertIn("from alice/day1", out)
        rid = found[0]["memoryRecordId"]
        hist = json.loads(self.run_cli("--json", "records", "show", rid, memory_id=mid).stdout)
        self.assertEqual(hist["versions"][-1]["memoryRecordId"], rid)
        recs = json.loads(self.run_cli("--json", "records", "list", memory_id=mid).stdout)
        self.assertIn(rid, [r["memoryRecordId"] for r in recs])

        # export, then import into a fresh memory, twice: the same content, no duplicates
        tmp = tempfile.mkdtemp(prefix="agentmem-cli-")
        dump = os.path.join(tmp, "dump.jsonl")
        self.run_cli("export", "--file", dump, memory_id=mid)
        lines = [json.loads(l) for l in open(dump)]
        self.assertEqual(sum(1 for l in lines if l["type"] == "event"), 4)
        n_records = sum(1 for l in lines if l["type"] == "record")
        self.assertGreater(n_records, 0)
        mid2 = self.setup_memory(name + "_copy")
        for _ in range(2):
            r = self.run_cli("import", "--file", dump, memory_id=mid2)
            self.assertIn("0 rejected", r.stdout)
        sessions2 = json.loads(self.run_cli("--json", "sessions", "list", memory_id=mid2).stdout)
        self.assertEqual(sum(s["eventCount"] for s in sessions2), 4)
        self.run_cli("export", "--file", dump + "2", memory_id=mid2)
        lines2 = [json.loads(l) for l in open(dump + "2")]
        texts = lambda ls: sorted(l["event"]["payload"][0]["conversational"]["content"]["text"]
                                  for l in ls if l["type"] == "event")
        self.assertEqual(texts(lines), texts(lines2))
        self.assertGreaterEqual(sum(1 for l in lines2 if l["type"] == "record"), n_records)
        # a malformed line is reported by number, the good ones still go in
        bad = os.path.join(tmp, "bad.jsonl")
        with open(bad, "w") as f:
            f.write(open(dump).readline())
            f.write("{not json\n")
            f.write(json.dumps({"type": "event", "actorId": "x"}) + "\n")
        r = self.run_cli("import", "--file", bad, memory_id=mid2, expect=1)
        self.assertIn("line 2:", r.stderr)
        self.assertIn("line 3:", r.stderr)

        # deletes: refused without --yes off a terminal, done with it
        r = self.run_cli("sessions", "delete", "--actor", "alice", "--session", "day2",
                         memory_id=mid, expect=2)
        self.assertIn("--yes", r.stderr)
        self.run_cli("--yes", "sessions", "delete", "--actor", "alice", "--session", "day2",
                     memory_id=mid)
        self.run_cli("sessions", "show", "--actor", "alice", "--session", "day2",
                     memory_id=mid, expect=3)
        r = self.run_cli("--yes", "--json", "actors", "forget", "--actor", "bob", memory_id=mid)
        self.assertEqual(json.loads(r.stdout)["deletedEvents"], 1)
        self.run_cli("--yes", "records", "delete", rid, memory_id=mid)
        self.run_cli("records", "show", rid, memory_id=mid, expect=3)
        self.assertEqual(self.run_cli("doctor", memory_id=mid).returncode, 0)
        self.run_cli("--yes", "memories", "delete", mid2)
        self.run_cli("memories", "show", mid2, expect=3)
        return mid


class TestCliAgainstServer(CliMixin, ServerTestCase):
    def where(self):
        return ["--endpoint", self.server.url]

    def test_every_command(self):
        def write(mid, actor, session, text):
            self.dp.create_event(memoryId=mid, actorId=actor, sessionId=session,
                                 eventTimestamp=time.time(), payload=conv(text))
        self.check_every_command(write)

    def test_doctor_finds_problems(self):
        r = self.run_cli("doctor", expect=5)
        self.assertIn("FAIL AGENTCORE_MEMORY_ID", r.stdout)
        self.assertIn("agentmem setup --name", r.stdout)
        r = self.run_cli("doctor", memory_id="Missing-abcdefghij", expect=5)
        self.assertIn("FAIL memory exists and is ACTIVE", r.stdout)
        r = subprocess.run([CLI, "--endpoint", "http://127.0.0.1:9", "doctor"],
                           capture_output=True, text=True,
                           env=dict(os.environ, AGENTCORE_MEMORY_ID="Missing-abcdefghij"))
        self.assertEqual(r.returncode, 5)
        self.assertIn("FAIL server reachable", r.stdout)
        r = subprocess.run([CLI, "--endpoint", "http://127.0.0.1:9", "memories", "list"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 4)
        self.assertIn("agentmem: ", r.stderr)

    def test_usage_and_help(self):
        self.assertEqual(subprocess.run([CLI], capture_output=True).returncode, 2)
        self.assertEqual(subprocess.run([CLI, "nope"], capture_output=True).returncode, 2)
        self.run_cli("sessions", "show", "--actor", "a", memory_id="Mem-abcdefghij", expect=2)
        help_text = subprocess.run([CLI, "--help"], capture_output=True, text=True).stdout
        man = open(os.path.join(ROOT, "man", "agentmem.1")).read()
        names = re.findall(r"^  (\S+(?: [a-z]+)?) {2,}", help_text, re.M)
        self.assertGreaterEqual(len(names), 16)
        for name in names:                    # every command in --help is in the man page
            self.assertIn(".SS " + name, man, name)
        r = subprocess.run([CLI, "help", "sessions", "show"], capture_output=True, text=True)
        self.assertIn("--actor ID --session ID", r.stdout)


class TestCliOnFile(CliMixin, unittest.TestCase):
    """The same commands on a database file, through the library."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="agentmem-cli-db-")
        self.db = os.path.join(self.tmp, "cli.db")

    def where(self):
        return ["--db", self.db]

    def test_every_command(self):

        def write(mid, actor, session, text):
            line = json.dumps({"type": "event", "actorId": actor, "sessionId": session,
                               "event": {"eventTimestamp": time.time(), "payload": conv(text)}})
            path = os.path.join(self.tmp, "one.jsonl")
            with open(path, "w") as f:
                f.write(line + "\n")
            self.run_cli("import", "--file", path, memory_id=mid)
        self.check_every_command(write)

    @sqlite_only
    def test_doctor_checks_integrity(self):
        mid = json.loads(self.run_cli("--json", "setup", "--name", "Integrity").stdout)["id"]
        r = self.run_cli("doctor", memory_id=mid)
        self.assertIn("ok   database integrity: ok", r.stdout)
        con = sqlite3.connect(self.db)        # an index entry for a row that does not exist
        con.execute("INSERT INTO records_fts(rowid, text) VALUES (4242, 'ghost')")
        con.commit()
        con.close()
        r = self.run_cli("doctor", memory_id=mid, expect=5)
        self.assertIn("FAIL database integrity: records_fts", r.stdout)
        self.assertIn("agentmem export", r.stdout)


if __name__ == "__main__":
    unittest.main()
