"""Every AgentCore Memory operation through the real `aws` CLI (v1 on these machines)
against agentmemd, with the CLI's own pagination and error reporting."""
import json
import shutil
import subprocess
import unittest

from harness import ServerTestCase


@unittest.skipUnless(shutil.which("aws"), "the aws CLI is not installed")
class TestAwsCliEveryOperation(ServerTestCase):
    def aws(self, *args, ok=True):
        r = subprocess.run(["aws", "--endpoint-url", self.server.url, "--output", "json"]
                           + list(args), capture_output=True, text=True, timeout=120)
        if ok:
            self.assertEqual(r.returncode, 0, "aws %s: %s" % (" ".join(args[:2]), r.stderr))
            return json.loads(r.stdout) if r.stdout.strip() else {}
        self.assertNotEqual(r.returncode, 0, r.stdout)
        return r.stderr

    def test_every_operation(self):
        cp, dp = "bedrock-agentcore-control", "bedrock-agentcore"
        strategies = json.dumps([
            {"semanticMemoryStrategy": {"name": "Facts", "namespaces": ["/facts/{actorId}"]}},
            {"summaryMemoryStrategy": {"name": "Summary",
                                       "namespaces": ["/summaries/{actorId}/{sessionId}"]}}])
        name = self.unique("Cli")
        mem = self.aws(cp, "create-memory", "--name", name, "--description", "via the CLI",
                       "--event-expiry-duration", "90", "--memory-strategies", strategies)
        mid = mem["memory"]["id"]
        self.assertEqual([s["type"] for s in mem["memory"]["strategies"]],
                         ["SEMANTIC", "SUMMARIZATION"])
        got = self.aws(cp, "get-memory", "--memory-id", mid)
        self.assertEqual(got["memory"]["description"], "via the CLI")
        listed = self.aws(cp, "list-memories")
        self.assertIn(mid, [m["id"] for m in listed["memories"]])
        upd = self.aws(cp, "update-memory", "--memory-id", mid, "--event-expiry-duration", "30")
        self.assertEqual(upd["memory"]["eventExpiryDuration"], 30)

        ids = []
        for i in range(7):
            ev = self.aws(dp, "create-event", "--memory-id", mid, "--actor-id", "alice",
                          "--session-id", "day1", "--event-timestamp", str(1767225600 + i),
                          "--payload", json.dumps([{"conversational": {
                              "content": {"text": "turn %d – prod-cluster ✓" % i},
                              "role": "USER"}}]),
                          "--metadata", json.dumps({"step": {"stringValue": "s%d" % (i % 2)}}))
            ids.append(ev["event"]["eventId"])
        blob = self.aws(dp, "create-event", "--memory-id", mid, "--actor-id", "alice",
                        "--session-id", "day2", "--event-timestamp", "1767312000",
                        "--payload", json.dumps([{"blob": {"k": [1, 2]}}]))
        self.assertEqual(blob["event"]["payload"][0]["blob"], {"k": [1, 2]})
        one = self.aws(dp, "get-event", "--memory-id", mid, "--actor-id", "alice",
                       "--session-id", "day1", "--event-id", ids[3])
        self.assertEqual(one["event"]["payload"][0]["conversational"]["content"]["text"],
                         "turn 3 – prod-cluster ✓")
        # the CLI pages by itself (--page-size 2) and returns every event, newest first
        allev = self.aws(dp, "list-events", "--memory-id", mid, "--actor-id", "alice",
                         "--session-id", "day1", "--page-size", "2")
        self.assertEqual([e["eventId"] for e in allev["events"]], ids[::-1])
        some = self.aws(dp, "list-events", "--memory-id", mid, "--actor-id", "alice",
                        "--session-id", "day1", "--max-items", "3")
        self.assertEqual(len(some["events"]), 3)
        self.assertIn("NextToken", some)
        filt = self.aws(dp, "list-events", "--memory-id", mid, "--actor-id", "alice",
                        "--session-id", "day1", "--filter", json.dumps({"eventMetadata": [
                            {"left": {"metadataKey": "step"}, "operator": "EQUALS_TO",
                             "right": {"metadataValue": {"stringValue": "s1"}}}]}))
        self.assertEqual(len(filt["events"]), 3)
        sessions = self.aws(dp, "list-sessions", "--memory-id", mid, "--actor-id", "alice")
        self.assertEqual(sorted(s["sessionId"] for s in sessions["sessionSummaries"]),
                         ["day1", "day2"])
        actors = self.aws(dp, "list-actors", "--memory-id", mid)
        self.assertEqual([a["actorId"] for a in actors["actorSummaries"]], ["alice"])
        self.aws(dp, "delete-event", "--memory-id", mid, "--actor-id", "alice",
                 "--session-id", "day1", "--event-id", ids[0])
        err = self.aws(dp, "get-event", "--memory-id", mid, "--actor-id", "alice",
                       "--session-id", "day1", "--event-id", ids[0], ok=False)
        self.assertIn("(ResourceNotFoundException)", err)

        created = self.aws(dp, "batch-create-memory-records", "--memory-id", mid, "--records",
                           json.dumps([{"requestIdentifier": "r%d" % i,
                                        "namespaces": ["/notes/alice"],
                                        "content": {"text": "note %d about WLM queues" % i},
                                        "timestamp": 1767225600 + i} for i in range(3)]))
        rids = [r["memoryRecordId"] for r in created["successfulRecords"]]
        self.assertEqual(len(rids), 3)
        recs = self.aws(dp, "list-memory-records", "--memory-id", mid, "--namespace",
                        "/notes/alice", "--page-size", "1")
        self.assertEqual(sorted(r["memoryRecordId"] for r in recs["memoryRecordSummaries"]),
                         sorted(rids))
        found = self.aws(dp, "retrieve-memory-records", "--memory-id", mid, "--namespace",
                         "/notes", "--search-criteria",
                         json.dumps({"searchQuery": "WLM queues", "topK": 2}))
        self.assertEqual(len(found["memoryRecordSummaries"]), 2)
        self.assertTrue(all(0 < r["score"] <= 1 for r in found["memoryRecordSummaries"]))
        upd = self.aws(dp, "batch-update-memory-records", "--memory-id", mid, "--records",
                       json.dumps([{"memoryRecordId": rids[0], "timestamp": 1767225700,
                                    "content": {"text": "note 0, corrected"}}]))
        self.assertEqual(upd["successfulRecords"][0]["status"], "SUCCEEDED")
        rec = self.aws(dp, "get-memory-record", "--memory-id", mid, "--memory-record-id", rids[0])
        self.assertEqual(rec["memoryRecord"]["content"]["text"], "note 0, corrected")
        self.aws(dp, "delete-memory-record", "--memory-id", mid, "--memory-record-id", rids[0])
        dele = self.aws(dp, "batch-delete-memory-records", "--memory-id", mid, "--records",
                        json.dumps([{"memoryRecordId": rids[1]}, {"memoryRecordId": rids[0]}]))
        self.assertEqual(len(dele["successfulRecords"]), 1)
        self.assertEqual(len(dele["failedRecords"]), 1)
        jobs = self.aws(dp, "list-memory-extraction-jobs", "--memory-id", mid)
        self.assertIn("jobs", jobs)
        err = self.aws(dp, "start-memory-extraction-job", "--memory-id", mid,
                       "--extraction-job", json.dumps({"jobId": "job-none"}), ok=False)
        self.assertIn("(ResourceNotFoundException)", err)

        err = self.aws(dp, "create-event", "--memory-id", mid, "--actor-id", "bad actor",
                       "--event-timestamp", "1767225600", "--payload", json.dumps(
                           [{"conversational": {"content": {"text": "x"}, "role": "USER"}}]),
                       ok=False)
        self.assertIn("(ValidationException)", err)
        self.assertIn("actorId", err)
        err = self.aws(cp, "create-memory", "--name", name, "--event-expiry-duration", "30",
                       ok=False)
        self.assertIn("(ValidationException)", err)
        self.assertIn("already exists", err)
        gone = self.aws(cp, "delete-memory", "--memory-id", mid)
        self.assertEqual(gone["status"], "DELETING")
        err = self.aws(cp, "get-memory", "--memory-id", mid, ok=False)
        self.assertIn("(ResourceNotFoundException)", err)


if __name__ == "__main__":
    import unittest as _u
    _u.main()
