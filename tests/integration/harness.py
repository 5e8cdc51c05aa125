"""harness.py - start a real agentmemd on a loopback port and drive it with boto3.

Server(...) starts build/agentmemd (or $AGENTMEM_BIN) with --listen 127.0.0.1:0 and a temp
--db, reads the bound port from the startup log line, waits for GET /_agentmem/health and,
on stop(), sends SIGTERM and returns the exit status (tests assert 0).

ServerTestCase starts one server per test class (setUpClass) and checks that it exits 0 on
SIGTERM (tearDownClass). Clients use fake credentials and region us-east-1, like any AWS
user pointing the SDK at a local endpoint.
"""
import atexit
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import unittest
import uuid

import boto3
from botocore.config import Config

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

os.environ.setdefault("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
for _v in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
    os.environ.pop(_v, None)


_TMPDIRS = []


@atexit.register
def _cleanup():
    """Remove the temp dirs (set AGENTMEM_KEEP_TMP=1 to keep stores and logs)."""
    if os.environ.get("AGENTMEM_KEEP_TMP"):
        return
    for d in _TMPDIRS:
        shutil.rmtree(d, ignore_errors=True)


def binary():
    return os.environ.get("AGENTMEM_BIN") or os.path.join(ROOT, "build", "agentmemd")


# AGENTMEM_TEST_DB_URI=postgres://user@host:port/postgres runs every server on PostgreSQL:
# each store path stands for its own database there (the same path, the same database), so
# restarts and two servers on one store behave as with SQLite files.
PG_URI = os.environ.get("AGENTMEM_TEST_DB_URI") or None
sqlite_only = unittest.skipIf(PG_URI, "inspects or locks the SQLite file itself")


def store_uri(path):
    """The --db value for a store path: the path itself, or its PostgreSQL database."""
    if not PG_URI or "://" in path:
        return path
    import hashlib
    name = "it_" + hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:16]
    base, _, query = PG_URI.partition("?")
    uri = base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")
    exists = subprocess.run(["psql", "-XAtq", PG_URI, "-c",
                             "SELECT 1 FROM pg_database WHERE datname = '%s'" % name],
                            capture_output=True, text=True, check=True).stdout.strip()
    if not exists:
        subprocess.run(["psql", "-Xq", PG_URI, "-c", "CREATE DATABASE " + name],
                       capture_output=True, check=True)
    return uri


class Server:
    def __init__(self, args=(), db=None, env=None, tmpdir=None):
        self.tmp = tmpdir or tempfile.mkdtemp(prefix="agentmemd-it-")
        _TMPDIRS.append(self.tmp)
        self.db = db or os.path.join(self.tmp, "agentmem.db")
        self.args = list(args)
        self.env = env
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.tmp, "agentmemd-%s.log" % uuid.uuid4().hex[:8])

    @property
    def tls(self):
        """Serving HTTPS (started with --tls-cert)."""
        return "--tls-cert" in self.args

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    def start(self, timeout=15.0):
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("AGENTMEM_") and k != "AGENTMEM_BIN":
                del env[k]
        if self.env:
            env.update(self.env)
        cmd = [binary(), "--listen", "127.0.0.1:0", "--db", store_uri(self.db)] + self.args
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log, env=env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("agentmemd exited with %d:\n%s" % (self.proc.returncode,
                                                                      self.log_text()))
            m = re.search(r"listening addr=127\.0\.0\.1:(\d+)", self.log_text())
            if m:
                self.port = int(m.group(1))
                break
            time.sleep(0.02)
        else:
            self.kill()
            raise RuntimeError("agentmemd did not start:\n" + self.log_text())
        while time.time() < deadline:
            try:
                status, _, _ = self.request("GET", "/_agentmem/health")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.02)
        self.kill()
        raise RuntimeError("agentmemd is not healthy:\n" + self.log_text())

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, timeout=30.0):
        """SIGTERM, wait, return the exit status."""
        if not self.proc:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = -9
        self.log.close()
        self.proc = None
        return rc

    def kill(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.log.close()
            self.proc = None

    # ---- clients ----

    def client(self, service, retries=1, **kw):
        cfg = Config(retries={"max_attempts": retries, "mode": "standard"},
                     connect_timeout=5, read_timeout=60, **kw)
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1",
                            config=cfg)

    def dp(self, **kw):
        return self.client("bedrock-agentcore", **kw)

    def cp(self, **kw):
        return self.client("bedrock-agentcore-control", **kw)

    def request(self, method, path, body=None, headers=None, raw=False):
        """A plain HTTP request: (status, headers dict (lower-case), parsed JSON or bytes)."""
        if self.tls:   # the tests' self-signed certificates: not verified here
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=60,
                                               context=ssl._create_unverified_context())
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            h = {"Content-Type": "application/json"} if body is not None else {}
            h.update(headers or {})
            if body is not None and not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            if not raw and data and hdrs.get("content-type", "").startswith("application/json"):
                data = json.loads(data)
            return resp.status, hdrs, data
        finally:
            conn.close()


class ServerTestCase(unittest.TestCase):
    server_args = ()
    server_env = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(cls.server_args, env=cls.server_env).start()
        cls.dp = cls.server.dp()
        cls.cp = cls.server.cp()

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        if rc != 0:
            raise AssertionError("agentmemd exited with %r on SIGTERM:\n%s"
                                 % (rc, cls.server.log_text()[-4000:]))

    # ---- helpers ----

    _seq = 0

    @classmethod
    def unique(cls, prefix):
        ServerTestCase._seq += 1
        return "%s%d_%s" % (prefix, ServerTestCase._seq, uuid.uuid4().hex[:6])

    def make_memory(self, prefix="Mem", **kw):
        kw.setdefault("eventExpiryDuration", 30)
        m = self.cp.create_memory(name=self.unique(prefix), **kw)["memory"]
        return m["id"]

    def add_event(self, memory_id, actor="alice", session="s1", text="hello", role="USER",
                  ts=None, **kw):
        return self.dp.create_event(
            memoryId=memory_id, actorId=actor, sessionId=session,
            eventTimestamp=ts if ts is not None else time.time(),
            payload=[{"conversational": {"content": {"text": text}, "role": role}}],
            **kw)["event"]

    def assertError(self, ctx, status, code=None, contains=None):
        """Check a botocore ClientError: HTTP status, error code and message text."""
        err = ctx.exception.response
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status, err)
        if code:
            self.assertEqual(err["Error"]["Code"], code, err)
        if contains:
            self.assertIn(contains, err["Error"]["Message"], err)
        return err
