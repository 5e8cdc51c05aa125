"""Extraction jobs (src/api/http/jobs.c): ListMemoryExtractionJobs, StartMemoryExtractionJob."""
import time
import unittest

from harness import ServerTestCase


def conv(text):
    return [{"conversational": {"content": {"text": text}, "role": "USER"}}]


class TestJobs(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mid = cls.cp.create_memory(
            name=cls.unique("Jobs"), eventExpiryDuration=30,
            memoryStrategies=[{"semanticMemoryStrategy": {"name": "Facts"}}])["memory"]["id"]
        cls.plain = cls.cp.create_memory(name=cls.unique("NoJobs"), eventExpiryDuration=30)["memory"]["id"]
        for i in range(3):
            cls.dp.create_event(memoryId=cls.mid, actorId="alice", sessionId="s%d" % i,
                                eventTimestamp=time.time(), payload=conv("I like tea %d" % i))

    def test_list_shape(self):
        r = self.dp.list_memory_extraction_jobs(memoryId=self.mid)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertIsInstance(r["jobs"], list)
        for j in r["jobs"]:
            self.assertTrue(j["jobID"])
            self.assertIsInstance(j["messages"]["messagesList"], list)
            for m in j["messages"]["messagesList"]:
                self.assertRegex(m["eventId"], r"^\d{19}#[0-9a-f]{8}$")
                self.assertIsInstance(m["messageIndex"], int)
            self.assertIn(j["status"], ("FAILED", "PENDING", "RUNNING", "RETRYING"))

    def test_no_strategies_no_jobs(self):
        self.dp.create_event(memoryId=self.plain, actorId="alice", sessionId="s",
                             eventTimestamp=time.time(), payload=conv("x"))
        r = self.dp.list_memory_extraction_jobs(memoryId=self.plain)
        self.assertEqual(r["jobs"], [])
        self.assertNotIn("nextToken", r)

    def test_filters_and_paginator(self):
        all_jobs = [j for p in self.dp.get_paginator("list_memory_extraction_jobs").paginate(
            memoryId=self.mid, PaginationConfig={"PageSize": 1}) for j in p["jobs"]]
        self.assertEqual(len({j["jobID"] for j in all_jobs}), len(all_jobs))
        r = self.dp.list_memory_extraction_jobs(memoryId=self.mid, filter={"sessionId": "s1"})
        self.assertTrue(all(j.get("sessionId") == "s1" for j in r["jobs"]))
        r = self.dp.list_memory_extraction_jobs(memoryId=self.mid, filter={"status": "FAILED"})
        self.assertTrue(all(j["status"] == "FAILED" for j in r["jobs"]))
        status, _, body = self.server.request("POST", "/memories/%s/extractionJobs" % self.mid,
                                              {"filter": {"status": "DONE"}})
        self.assertEqual(status, 400)
        self.assertEqual(body["fieldList"][0]["name"], "filter.status")
        status, _, body = self.server.request("POST", "/memories/%s/extractionJobs" % self.mid,
                                              {"maxResults": 51})
        self.assertEqual(status, 400)
        self.assertEqual(body["fieldList"][0]["name"], "maxResults")

    def test_failed_job_listed_and_restarted(self):
        # a namespace template that resolves past 1,024 characters for a long actor id makes
        # extraction fail for real: retried with backoff (2 s, 4 s), then FAILED
        mid = self.cp.create_memory(
            name=self.unique("Fail"), eventExpiryDuration=30,
            memoryStrategies=[{"semanticMemoryStrategy": {
                "name": "Facts",
                "namespaces": ["/{actorId}/{actorId}/{actorId}/{actorId}/{actorId}"]}}])["memory"]["id"]
        actor = "a" * 250
        ev = self.dp.create_event(memoryId=mid, actorId=actor, sessionId="s1",
                                  eventTimestamp=time.time(),
                                  payload=conv("prod-cluster runs 4 nodes"))["event"]
        deadline = time.time() + 30
        failed = []
        while time.time() < deadline and not failed:
            failed = self.dp.list_memory_extraction_jobs(
                memoryId=mid, filter={"status": "FAILED"})["jobs"]
            time.sleep(0.2)
        self.assertEqual(len(failed), 1)
        job = failed[0]
        self.assertEqual(job["actorId"], actor)
        self.assertIn("namespace", job["failureReason"])
        self.assertEqual(job["messages"]["messagesList"][0]["eventId"], ev["eventId"])
        r = self.dp.start_memory_extraction_job(memoryId=mid,
                                                extractionJob={"jobId": job["jobID"]})
        self.assertEqual(r["jobId"], job["jobID"])
        again = self.dp.list_memory_extraction_jobs(memoryId=mid)["jobs"]
        self.assertEqual([j["jobID"] for j in again], [job["jobID"]])
        self.assertIn(again[0]["status"], ("RETRYING", "RUNNING", "FAILED"))

    def test_start_unknown(self):
        with self.assertRaises(self.dp.exceptions.ResourceNotFoundException) as ctx:
            self.dp.start_memory_extraction_job(memoryId=self.mid, extractionJob={"jobId": "job-nope"})
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        status, _, body = self.server.request("POST", "/memories/%s/extractionJobs/start" % self.mid, {})
        self.assertEqual(status, 400)
        self.assertEqual(body["fieldList"][0]["name"], "extractionJob")

    def test_unknown_memory(self):
        with self.assertRaises(self.dp.exceptions.ResourceNotFoundException):
            self.dp.list_memory_extraction_jobs(memoryId="Nope-abcdefghij")


if __name__ == "__main__":
    unittest.main()
