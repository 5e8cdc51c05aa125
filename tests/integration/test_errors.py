"""Errors (src/api/http/errors.c, router.c, server.c): every error type arrives as the
right boto3 exception with its status, the x-amzn-errortype header, __type/message/reason/
fieldList in the body; body limits; SigV4 verification errors."""
import http.client
import os
import sqlite3
import threading
import time
import unittest
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import Server, ServerTestCase, sqlite_only

T0 = 1767225600


def conv(text):
    return [{"conversational": {"content": {"text": text}, "role": "USER"}}]


class TestErrorShapes(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mid = cls.cp.create_memory(name=cls.unique("Err"), eventExpiryDuration=30)["memory"]["id"]

    def test_validation_shape(self):
        status, hdrs, body = self.server.request(
            "POST", "/memories/%s/events" % self.mid,
            {"actorId": "bad actor", "eventTimestamp": T0, "payload": conv("x")})
        self.assertEqual(status, 400)
        self.assertEqual(hdrs["x-amzn-errortype"], "ValidationException")
        self.assertEqual(hdrs["content-type"], "application/json")
        self.assertTrue(hdrs["x-amzn-requestid"])
        self.assertEqual(body["__type"], "ValidationException")
        self.assertEqual(body["reason"], "FieldValidationFailed")
        self.assertEqual(body["fieldList"][0]["name"], "actorId")
        self.assertIn("actorId", body["message"])
        self.assertEqual(body["fieldList"][0]["message"], body["message"])

    def test_boto3_sees_reason_and_request_id(self):
        with self.assertRaises(self.dp.exceptions.ValidationException) as ctx:
            self.dp.create_event(memoryId=self.mid, actorId="bad actor", sessionId="s",
                                 eventTimestamp=T0, payload=conv("x"))
        r = ctx.exception.response
        self.assertEqual(r["Error"]["Code"], "ValidationException")
        self.assertEqual(r["reason"], "FieldValidationFailed")
        self.assertEqual(r["fieldList"][0]["name"], "actorId")
        self.assertEqual(r["ResponseMetadata"]["RequestId"],
                         r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])

    def test_cannot_parse(self):
        for raw, why in ((b"{not json", "parse"), (b"[1,2]", "object"), (b'"x"', "object"),
                         (b'{"actorId":"a","actorId":"b"}', "duplicate")):
            status, hdrs, body = self.server.request("POST", "/memories/%s/events" % self.mid, raw)
            self.assertEqual(status, 400, raw)
            self.assertEqual(body["reason"], "CannotParse", raw)
            self.assertEqual(hdrs["x-amzn-errortype"], "ValidationException")
            self.assertIn(why, body["message"].lower(), raw)
        status, _, body = self.server.request("POST", "/memories/%s/events" % self.mid,
                                              {"actorId": ["a"], "eventTimestamp": T0, "payload": conv("x")})
        self.assertEqual((status, body["reason"]), (400, "CannotParse"))
        self.assertIn("expected a string", body["message"])

    def test_not_found_names_the_resource(self):
        with self.assertRaises(self.dp.exceptions.ResourceNotFoundException) as ctx:
            self.dp.list_events(memoryId="Missing-abcdefghij", actorId="a", sessionId="s")
        self.assertError(ctx, 404, "ResourceNotFoundException", "Missing-abcdefghij")

    def test_conflict_client_token_reused_with_other_content(self):
        tok = str(uuid.uuid4())
        self.dp.create_event(memoryId=self.mid, actorId="c", sessionId="s", eventTimestamp=T0,
                             payload=conv("first"), clientToken=tok)
        with self.assertRaises(self.dp.exceptions.ConflictException) as ctx:
            self.dp.create_event(memoryId=self.mid, actorId="c", sessionId="s", eventTimestamp=T0,
                                 payload=conv("second"), clientToken=tok)
        self.assertError(ctx, 409, "ConflictException")

    def test_quota(self):
        mid = self.cp.create_memory(name=self.unique("Q"), eventExpiryDuration=30, memoryStrategies=[
            {"customMemoryStrategy": {"name": "C%d" % i}} for i in range(6)])["memory"]["id"]
        with self.assertRaises(self.cp.exceptions.ServiceQuotaExceededException) as ctx:
            self.cp.update_memory(memoryId=mid, memoryStrategies={
                "addMemoryStrategies": [{"customMemoryStrategy": {"name": "C6"}}]})
        self.assertError(ctx, 402, "ServiceQuotaExceededException")

    def test_unknown_operation_and_method(self):
        status, hdrs, body = self.server.request("GET", "/nothing/here")
        self.assertEqual(status, 404)
        self.assertEqual(hdrs["x-amzn-errortype"], "UnknownOperationException")
        self.assertEqual(body["__type"], "UnknownOperationException")
        self.assertIn("/nothing/here", body["message"])
        status, hdrs, body = self.server.request("PUT", "/memories/%s/events" % self.mid, {})
        self.assertEqual(status, 405)
        self.assertEqual(hdrs["allow"], "POST")
        self.assertEqual(hdrs["x-amzn-errortype"], "UnknownOperationException")
        status, hdrs, _ = self.server.request("GET", "/memories/%s/memoryRecords/mem-x" % self.mid)
        self.assertEqual(status, 405)
        self.assertIn("DELETE", hdrs["allow"])

    def test_path_labels_are_decoded_per_segment(self):
        ev = self.dp.create_event(memoryId=self.mid, actorId="user/alice:dev", sessionId="s",
                                  eventTimestamp=T0, payload=conv("x"))["event"]
        enc = ev["eventId"].replace("#", "%23")
        status, _, body = self.server.request(
            "GET", "/memories/%s/actor/user%%2Falice%%3Adev/sessions/s/events/%s" % (self.mid, enc))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["event"]["actorId"], "user/alice:dev")
        status, _, body = self.server.request(
            "GET", "/memories/%s/actor/user/alice/sessions/s/events/%s" % (self.mid, enc))
        self.assertEqual(status, 404)  # an unencoded '/' is a different path
        status, _, body = self.server.request(
            "GET", "/memories/%s/actor/a%%ZZ/sessions/s/events/%s" % (self.mid, enc))
        self.assertEqual((status, body["reason"]), (400, "CannotParse"))

    def test_control_characters_stripped_from_messages(self):
        status, _, body = self.server.request(
            "POST", "/memories/%s/events" % self.mid,
            {"actorId": "evil\r\nX-Injected: 1\u0007", "eventTimestamp": T0, "payload": conv("x")})
        self.assertEqual(status, 400)
        self.assertFalse(any(ord(c) < 32 for c in body["message"]), body["message"])

    def test_request_ids_unique(self):
        ids = {self.server.request("GET", "/_agentmem/health")[1]["x-amzn-requestid"] for _ in range(5)}
        self.assertEqual(len(ids), 5)


class TestThrottled(ServerTestCase):
    @sqlite_only
    def test_busy_store_is_throttled(self):
        mid = self.make_memory("Busy")
        self.add_event(mid)
        # the server's own background writers (extraction, purge) may hold the lock for a
        # moment: wait for them, then keep the lock ourselves
        hold = sqlite3.connect(self.server.db, timeout=30, isolation_level=None)
        hold.execute("BEGIN EXCLUSIVE")
        try:
            # no timing assertion: the store waits out its busy timeout (10 s), and background
            # writes queued before this one may each wait too
            with self.assertRaises(self.dp.exceptions.ThrottledException) as ctx:
                self.add_event(mid, text="blocked")
            self.assertError(ctx, 429, "ThrottledException")
        finally:
            hold.execute("ROLLBACK")
            hold.close()
        self.add_event(mid, text="fine again")


class TestBodyLimit(ServerTestCase):
    server_args = ("--max-body", "64KiB")

    def test_413_and_keep_alive(self):
        mid = self.make_memory("Big")
        with self.assertRaises(self.dp.exceptions.ValidationException) as ctx:
            self.dp.create_event(memoryId=mid, actorId="a", sessionId="s", eventTimestamp=T0,
                                 payload=conv("x" * 70000))
        self.assertError(ctx, 413, "ValidationException", "65536")
        # the same keep-alive connection still works
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        body = '{"actorId":"a","eventTimestamp":%d,"payload":[{"conversational":{"content":{"text":"%s"},"role":"USER"}}]}'
        conn.request("POST", "/memories/%s/events" % mid, body=body % (T0, "y" * 70000),
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        self.assertEqual(r.status, 413)
        conn.request("POST", "/memories/%s/events" % mid, body=body % (T0, "small"),
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        self.assertEqual(r.status, 201)
        conn.close()


class TestSigV4(unittest.TestCase):
    KEY, SECRET = "AKIDAGENTMEMTEST", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"

    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        creds = os.path.join(cls.server.tmp, "credentials")
        with open(creds, "w") as f:
            f.write("[test]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (cls.KEY, cls.SECRET))
        os.chmod(creds, 0o600)
        cls.server.args = ["--auth", "sigv4", "--credentials", creds]
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop() == 0

    def client(self, service, key, secret):
        return boto3.client(service, endpoint_url=self.server.url, region_name="us-east-2",
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            config=Config(retries={"max_attempts": 1}))

    def test_valid_signature_both_planes(self):
        cp = self.client("bedrock-agentcore-control", self.KEY, self.SECRET)
        dp = self.client("bedrock-agentcore", self.KEY, self.SECRET)
        mid = cp.create_memory(name="Signed_%s" % uuid.uuid4().hex[:6], eventExpiryDuration=30)["memory"]["id"]
        ev = dp.create_event(memoryId=mid, actorId="user/alice:dev", sessionId="s", eventTimestamp=T0,
                             payload=conv("signed"))["event"]
        got = dp.get_event(memoryId=mid, actorId="user/alice:dev", sessionId="s", eventId=ev["eventId"])
        self.assertEqual(got["event"]["eventId"], ev["eventId"])
        cp.delete_memory(memoryId=mid)

    def test_wrong_secret(self):
        cp = self.client("bedrock-agentcore-control", self.KEY, "wrong-secret")
        with self.assertRaises(ClientError) as ctx:
            cp.list_memories()
        self.assertEqual(ctx.exception.response["Error"]["Code"], "InvalidSignatureException")
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)

    def test_unknown_key(self):
        cp = self.client("bedrock-agentcore-control", "AKIDUNKNOWN", self.SECRET)
        with self.assertRaises(ClientError) as ctx:
            cp.list_memories()
        self.assertEqual(ctx.exception.response["Error"]["Code"], "UnrecognizedClientException")

    def test_unsigned_refused_health_open(self):
        status, hdrs, body = self.server.request("POST", "/memories/", {})
        self.assertEqual(status, 403)
        self.assertEqual(hdrs["x-amzn-errortype"], "MissingAuthenticationTokenException")
        status, _, _ = self.server.request("GET", "/_agentmem/health")
        self.assertEqual(status, 200)

    def test_default_server_accepts_any_signature(self):
        srv = Server().start()
        try:
            cp = boto3.client("bedrock-agentcore-control", endpoint_url=srv.url, region_name="us-east-1",
                              aws_access_key_id="ANYTHING", aws_secret_access_key="whatever")
            self.assertEqual(cp.list_memories()["memories"], [])
        finally:
            self.assertEqual(srv.stop(), 0)


if __name__ == "__main__":
    unittest.main()
