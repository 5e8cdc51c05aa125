"""Transport: HTTPS (--tls-cert/--tls-key, libmicrohttpd's own TLS) checked with boto3 and the
aws CLI against a certificate made for the test; rate limits per access key and per address
(--rate-limit/--rate-burst); the loud warnings for exposed addresses."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import boto3
from botocore.config import Config

from harness import ServerTestCase, binary


def conv(text):
    return [{"conversational": {"content": {"text": text}, "role": "USER"}}]


def make_cert(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


class TestTls(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="agentmem-tls-")
        cls.cert, cls.key = make_cert(cls.dir)
        cls.server_args = ("--tls-cert", cls.cert, "--tls-key", cls.key)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.dir, ignore_errors=True)

    def test_boto3_verifies_the_certificate(self):
        self.assertTrue(self.server.url.startswith("https://"))
        cp = boto3.client("bedrock-agentcore-control", endpoint_url=self.server.url,
                          region_name="us-east-1", verify=self.cert)
        dp = boto3.client("bedrock-agentcore", endpoint_url=self.server.url,
                          region_name="us-east-1", verify=self.cert)
        mid = cp.create_memory(name=self.unique("Tls"), eventExpiryDuration=30)["memory"]["id"]
        dp.create_event(memoryId=mid, actorId="a", sessionId="s", eventTimestamp=time.time(),
                        payload=conv("over TLS"))
        events = dp.list_events(memoryId=mid, actorId="a", sessionId="s")["events"]
        self.assertEqual(events[0]["payload"][0]["conversational"]["content"]["text"],
                         "over TLS")
        # a client that does not trust the certificate is refused by its own check
        untrusting = boto3.client("bedrock-agentcore-control", endpoint_url=self.server.url,
                                  region_name="us-east-1",
                                  config=Config(retries={"max_attempts": 1}))
        with self.assertRaises(Exception) as ctx:
            untrusting.list_memories()
        self.assertIn("SSL", type(ctx.exception).__name__ + str(ctx.exception))
        self.assertIn("tls=on", self.server.log_text())

    def test_aws_cli_with_ca_bundle(self):
        r = subprocess.run(["aws", "bedrock-agentcore-control", "list-memories",
                            "--endpoint-url", self.server.url, "--ca-bundle", self.cert,
                            "--region", "us-east-1", "--output", "json"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("memories", json.loads(r.stdout))

    def test_plain_http_is_not_served(self):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        with self.assertRaises(Exception):
            conn.request("GET", "/_agentmem/health")
            resp = conn.getresponse()
            if resp.status == 200:   # pragma: no cover - would be a plaintext leak
                raise AssertionError("plain HTTP answered")
            raise ConnectionError("refused as expected: %d" % resp.status)
        conn.close()


class TestTlsOptions(unittest.TestCase):
    def run_daemon(self, *args):
        d = tempfile.mkdtemp(prefix="agentmem-tls-opt-")
        try:
            return subprocess.run([binary(), "--listen", "127.0.0.1:0", "--db",
                                   os.path.join(d, "a.db")] + list(args),
                                  capture_output=True, text=True, timeout=30)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_cert_without_key_and_bad_files(self):
        r = self.run_daemon("--tls-cert", "/etc/hostname")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--tls-cert and --tls-key go together", r.stderr)
        r = self.run_daemon("--tls-cert", "/etc/hostname", "--tls-key", "/etc/hostname")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not a PEM file", r.stderr)
        r = self.run_daemon("--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.pem")
        self.assertIn("No such file", r.stderr)

    def test_exposed_address_warnings(self):
        d = tempfile.mkdtemp(prefix="agentmem-tls-opt-")
        proc = subprocess.Popen([binary(), "--listen", "0.0.0.0:0", "--db",
                                 os.path.join(d, "a.db")], stderr=subprocess.PIPE, text=True)
        try:
            lines = []
            for line in proc.stderr:
                lines.append(line)
                if "WARNING" in line or len(lines) > 20:
                    break
            log = "".join(lines)
            self.assertIn("WARNING: serving 0.0.0.0:", log)
            self.assertIn("without --auth sigv4", log)
        finally:
            proc.terminate()
            proc.wait()
            shutil.rmtree(d, ignore_errors=True)


class TestRateLimit(ServerTestCase):
    # 2 per second: slow enough that even a sanitizer build outruns it
    server_args = ("--rate-limit", "2", "--rate-burst", "5")

    def test_burst_then_429_then_recovers(self):
        dp = self.server.dp(retries=1)
        mid = self.make_memory("Rate")
        time.sleep(3)               # the bucket refills after make_memory's calls
        ok = throttled = 0
        for i in range(30):
            try:
                dp.create_event(memoryId=mid, actorId="a", sessionId="s",
                                eventTimestamp=time.time(), payload=conv("e%d" % i))
                ok += 1
            except dp.exceptions.ThrottledException as e:
                throttled += 1
                self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 429)
                self.assertIn("Rate exceeded", e.response["Error"]["Message"])
        self.assertGreaterEqual(ok, 5)           # the burst, plus what refilled meanwhile
        self.assertGreater(throttled, 0)
        # refused writes stored nothing: exactly the acknowledged ones are there
        time.sleep(3)
        n = len(dp.list_events(memoryId=mid, actorId="a", sessionId="s",
                               maxResults=100)["events"])
        self.assertEqual(n, ok)
        # health and metrics are never limited (probes must see a throttled server)
        for _ in range(30):
            self.assertEqual(self.server.request("GET", "/_agentmem/health")[0], 200)
