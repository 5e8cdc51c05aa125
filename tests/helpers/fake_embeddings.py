#!/usr/bin/env python3
"""fake_embeddings.py - a stand-in for an OpenAI-compatible embeddings endpoint.

Speaks the OpenAI wire format for POST /v1/embeddings (and GET /v1/models), with the Python
standard library only, so that tests can check src/search/embed_openai.c: the request it
sends, the parsing of the reply, retries and error paths.

  tests/helpers/fake_embeddings.py [--port N] [--dim D]   (port 0 or absent: any free port;
                                                          dim: default 64)

The first line on stdout is the port ("PORT 43121"); then it serves until killed.

Vectors are deterministic and not semantic: each word of the input (lowercased, split on
non-alphanumerics) adds a pseudo-random unit vector seeded by the word's SHA-256, and the
sum is L2-normalized, so equal texts give equal vectors and texts sharing words are closer.
"dimensions" in the request shortens the vector, as text-embedding-3 models do; "input" may
be a string or a list of strings; "encoding_format" may be "float" or "base64".

Requests are checked like the real service: an unknown field, a missing model, an empty or
wrongly typed input, or a bad dimensions value gives HTTP 400 with an OpenAI error object; a
wrong or missing bearer token gives 401 when FAKE_OPENAI_KEY is set in the environment.
Behaviour switches, found anywhere in an input string:
  FAIL500       HTTP 500 with an OpenAI error object
  FAIL429ONCE   HTTP 429 the first time this exact input is seen, then a normal answer
  BADJSON       HTTP 200 with a body that is not JSON
  WRONGDIM      HTTP 200 with one number too many
  NOTNUMBER     HTTP 200 with a string inside the embedding
  SLOWREPLY     wait 3 s before answering (client timeouts)
GET /v1/_stats answers {"requests": N}: the embeddings requests served so far.
"""
import base64
import hashlib
import json
import math
import os
import random
import re
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ALLOWED = {"model", "input", "encoding_format", "dimensions", "user"}
DIM = 64
STATE = {"requests": 0, "seen429": set()}
LOCK = threading.Lock()


def error(status, message, kind="invalid_request_error", param=None, code=None):
    return status, {"error": {"message": message, "type": kind, "param": param, "code": code}}


def embed(text, dim):
    v = [0.0] * dim
    for word in re.findall(r"[0-9a-z]+", text.lower()):
        rnd = random.Random(hashlib.sha256(word.encode()).digest())
        w = [rnd.gauss(0, 1) for _ in range(dim)]
        n = math.sqrt(sum(x * x for x in w)) or 1.0
        v = [a + b / n for a, b in zip(v, w)]
    n = math.sqrt(sum(x * x for x in v))
    if n == 0:
        v[0], n = 1.0, 1.0
    return [x / n for x in v]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def send_body(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status, obj):
        self.send_body(status, json.dumps(obj).encode())

    def do_GET(self):
        path = self.path.rstrip("/")
        if path == "/v1/models":
            self.send_json(200, {"object": "list", "data": [
                {"id": "fake-embed", "object": "model", "created": 0, "owned_by": "agentmem"}]})
        elif path == "/v1/_stats":
            with LOCK:
                self.send_json(200, {"requests": STATE["requests"]})
        else:
            self.send_json(*error(404, "Unknown path " + self.path))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") != "/v1/embeddings":
            return self.send_json(*error(404, "Unknown path " + self.path))
        with LOCK:
            STATE["requests"] += 1
        key = os.environ.get("FAKE_OPENAI_KEY")
        if key and self.headers.get("Authorization") != "Bearer " + key:
            return self.send_json(*error(401, "Incorrect API key provided.",
                                         code="invalid_api_key"))
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            return self.send_json(*error(400, "Content-Type must be application/json"))
        try:
            req = json.loads(raw)
        except ValueError:
            return self.send_json(*error(400, "We could not parse the JSON body of your request."))
        if not isinstance(req, dict):
            return self.send_json(*error(400, "The request body must be a JSON object."))
        for k in req:
            if k not in ALLOWED:
                return self.send_json(*error(400, "Unrecognized request argument supplied: " + k,
                                             param=k))
        if not isinstance(req.get("model"), str) or not req["model"]:
            return self.send_json(*error(400, "you must provide a model parameter",
                                         param="model"))
        inputs = req.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if (not isinstance(inputs, list) or not inputs
                or not all(isinstance(x, str) and x for x in inputs)):
            return self.send_json(*error(400, "'input' must be a non-empty string or a list of "
                                         "non-empty strings", param="input"))
        fmt = req.get("encoding_format", "float")
        if fmt not in ("float", "base64"):
            return self.send_json(*error(400, "encoding_format must be float or base64",
                                         param="encoding_format"))
        dim = DIM
        if "dimensions" in req:
            d = req["dimensions"]
            if not isinstance(d, int) or isinstance(d, bool) or d < 1 or d > DIM:
                return self.send_json(*error(400, "dimensions must be between 1 and %d" % DIM,
                                             param="dimensions"))
            dim = d
        text = "\n".join(inputs)
        if "FAIL500" in text:
            return self.send_json(*error(500, "The server had an error while processing your "
                                         "request.", "server_error"))
        if "FAIL429ONCE" in text:
            with LOCK:
                first = text not in STATE["seen429"]
                STATE["seen429"].add(text)
            if first:
                return self.send_json(*error(429, "Rate limit reached.", "requests",
                                             code="rate_limit_exceeded"))
        if "SLOWREPLY" in text:
            time.sleep(3)
        if "BADJSON" in text:
            return self.send_body(200, b'{"object": "list", "data": [{"embedding": [0.1, ')
        data = []
        for i, s in enumerate(inputs):
            v = embed(s, dim)
            if "WRONGDIM" in s:
                v.append(0.5)
            if fmt == "base64":
                emb = base64.b64encode(struct.pack("<%df" % len(v), *v)).decode()
            else:
                emb = v
                if "NOTNUMBER" in s:
                    emb = v[:-1] + ["0.5"]
            data.append({"object": "embedding", "index": i, "embedding": emb})
        tokens = sum(len(s.split()) for s in inputs)
        self.send_json(200, {"object": "list", "data": data, "model": req["model"],
                             "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


def main():
    global DIM
    port = 0
    args = sys.argv[1:]
    while args:
        if args[0] == "--port" and len(args) > 1:
            port = int(args[1])
        elif args[0] == "--dim" and len(args) > 1:
            DIM = int(args[1])
        else:
            sys.exit("usage: fake_embeddings.py [--port N] [--dim D]")
        args = args[2:]
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
