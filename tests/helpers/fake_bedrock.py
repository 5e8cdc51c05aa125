#!/usr/bin/env python3
"""fake_bedrock.py - a stand-in for Amazon Bedrock Runtime: Converse and Titan embeddings.

Speaks the restJson1 wire format botocore's bedrock-runtime model defines, with the Python
standard library plus botocore (for the checks):
  POST /model/{modelId}/converse   answers the extraction prompts of src/extract/llm.c the
                                   way tests/helpers/fake_openai.py does (same answers);
  POST /model/{modelId}/invoke     amazon.titan-embed-text-v2:0 style embeddings:
                                   {"inputText", "dimensions", "normalize"} ->
                                   {"embedding": [...], "inputTextTokenCount": n}, the vectors
                                   of tests/helpers/fake_embeddings.py.
Every request must be signed with SigV4 for service "bedrock" with the secret FAKE_AWS_SECRET
(default: the harness's wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY); the signature is
recomputed with botocore's own signer and a mismatch is answered 403
InvalidSignatureException, as AWS does. Converse bodies are validated against botocore's
Converse input shape: a body botocore would not send is a 400 ValidationException.

  tests/helpers/fake_bedrock.py [--port N]      first stdout line: "PORT 43121"

Behaviour switches, found anywhere in the prompt or inputText:
  FAIL500     HTTP 500 InternalServerException
  THROTTLE    HTTP 429 ThrottlingException
  BADJSON     a reply whose text is prose, not JSON
  FENCED      the JSON answer wrapped in prose and a ```json fence (must still parse)
  TRUNCATED   the JSON answer cut in half, stopReason "max_tokens"
  SLOWREPLY   wait 3 s before answering
GET /_fake/requests answers the requests seen: [{"path", "signature_ok", "body"}].
"""
import json
import os
import re
import sys
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_embeddings import embed  # noqa: E402
from fake_openai import answer, serve, transcript  # noqa: E402

SECRET = os.environ.get("FAKE_AWS_SECRET", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
REQUESTS = []


def signature_ok(method, path, headers, raw):
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                 r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$",
                 headers.get("Authorization", ""))
    if not m:
        return False
    akid, _, region, service, signed, sig = m.groups()
    if service != "bedrock":
        return False
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    hdrs = {h: headers.get(h, "") for h in signed.split(";")}
    req = AWSRequest(method=method, url="http://%s%s" % (headers.get("Host"), path), data=raw,
                     headers=hdrs)
    req.context["timestamp"] = headers.get("X-Amz-Date", "")
    auth = SigV4Auth(Credentials(akid, SECRET, headers.get("X-Amz-Security-Token")), service,
                     region)
    return auth.signature(auth.string_to_sign(req, auth.canonical_request(req)), req) == sig


def converse_problems(body):
    """What botocore's validator says about a Converse body (modelId comes from the path)."""
    import botocore.session
    from botocore.validate import ParamValidator
    shape = botocore.session.get_session().get_service_model(
        "bedrock-runtime").operation_model("Converse").input_shape
    params = dict(body)
    params["modelId"] = "m"
    report = ParamValidator().validate(params, shape)
    return report.generate_report() if report.has_errors() else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, status, obj, err_type=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-amzn-RequestId", "fake-%d" % len(REQUESTS))
        if err_type:
            self.send_header("x-amzn-ErrorType", err_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def fail(self, status, err_type, message):
        self.send_json(status, {"message": message}, err_type)

    def do_GET(self):
        if self.path == "/_fake/requests":
            return self.send_json(200, REQUESTS)
        self.fail(404, "UnknownOperationException", "Unknown path " + self.path)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ok = signature_ok("POST", self.path, self.headers, raw)
        REQUESTS.append({"path": self.path, "signature_ok": ok,
                         "body": raw.decode("utf-8", "replace")})
        if not ok:
            return self.fail(403, "InvalidSignatureException",
                             "The request signature we calculated does not match the "
                             "signature you provided.")
        m = re.match(r"^/model/([^/]+)/(converse|invoke)$", self.path)
        if not m:
            return self.fail(404, "UnknownOperationException", "Unknown path " + self.path)
        model, op = unquote(m.group(1)), m.group(2)
        try:
            body = json.loads(raw)
        except ValueError:
            return self.fail(400, "ValidationException", "Malformed input request")
        if op == "invoke":
            return self.invoke(model, body)
        return self.converse(model, body)

    def invoke(self, model, body):
        if not model.startswith("amazon.titan-embed"):
            return self.fail(400, "ValidationException", "model %s is not served here" % model)
        text = body.get("inputText")
        if not isinstance(text, str) or not text or set(body) - {"inputText", "dimensions",
                                                                 "normalize", "embeddingTypes"}:
            return self.fail(400, "ValidationException",
                             "Malformed input request: inputText required")
        dim = body.get("dimensions", 1024)
        if dim not in (256, 512, 1024):
            return self.fail(400, "ValidationException",
                             "Malformed input request: dimensions must be 256, 512 or 1024")
        if "FAIL500" in text:
            return self.fail(500, "InternalServerException", "internal error")
        if "THROTTLE" in text:
            return self.fail(429, "ThrottlingException", "Too many requests")
        self.send_json(200, {"embedding": embed(text, dim),
                             "inputTextTokenCount": len(text.split())})

    def converse(self, model, body):
        problems = converse_problems(body)
        if problems:
            return self.fail(400, "ValidationException", problems)
        prompt = "\n".join(block.get("text", "") for msg in body["messages"]
                           if msg["role"] == "user" for block in msg["content"])
        system = " ".join(block.get("text", "") for block in body.get("system", []))
        if not system:
            return self.fail(400, "ValidationException", "the extractor always sends a system")
        if "FAIL500" in prompt:
            return self.fail(500, "InternalServerException", "internal error")
        if "THROTTLE" in prompt:
            return self.fail(429, "ThrottlingException", "Too many requests, please wait")
        if "SLOWREPLY" in prompt:
            time.sleep(3)
        m = re.search(r"TASK: (\w+)", prompt)
        task = m.group(1) if m else "facts"
        m = re.search(r"under (\d+) characters", prompt)
        limit = int(m.group(1)) if m else 2000
        text = json.dumps(answer(task, transcript(prompt), limit))
        stop = "end_turn"
        if "BADJSON" in prompt:
            text = "Sure! Here are the facts you asked for."
        elif "FENCED" in prompt:
            text = "Here is the JSON:\n```json\n%s\n```\nAnything else?" % text
        elif "TRUNCATED" in prompt:
            text, stop = text[:len(text) // 2], "max_tokens"
        self.send_json(200, {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": stop,
            "usage": {"inputTokens": len(prompt) // 4, "outputTokens": len(text) // 4,
                      "totalTokens": (len(prompt) + len(text)) // 4},
            "metrics": {"latencyMs": 1},
        })


if __name__ == "__main__":
    serve(Handler)
