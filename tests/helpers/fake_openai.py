#!/usr/bin/env python3
"""fake_openai.py - a stand-in for an OpenAI-compatible chat completions endpoint.

Speaks the OpenAI wire format for POST /v1/chat/completions (and GET /v1/models), using the
Python standard library only. It does not think: it answers the extraction prompts of
src/extract/llm.c from the transcript lines it is sent, so that tests can check the
request, the parsing of the reply and the fallback paths.

  tests/helpers/fake_openai.py [--port N]     (0 or absent: any free port)

The first line on stdout is the port ("PORT 43121"); then it serves until killed.
Behaviour switches, found anywhere in the user message:
  FAIL500      reply HTTP 500 with an OpenAI error object
  BADJSON      reply 200 whose message content is not JSON
  SLOWREPLY    wait 3 s before answering (client timeouts)
Requests are checked like the real service: a missing model or messages gives HTTP 400, and a
wrong or missing bearer token gives 401 when FAKE_OPENAI_KEY is set in the environment.
"""
import json
import os
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LINE = re.compile(r"^\[(\d+)\] ([^(]*) \((USER|ASSISTANT|OTHER), ([^)]*)\): (.*)$")


def error(status, message, kind="invalid_request_error"):
    return status, {"error": {"message": message, "type": kind, "param": None, "code": None}}


def transcript(user_text):
    out = []
    for line in user_text.split("\n"):
        m = LINE.match(line)
        if m:
            out.append((int(m.group(1)), m.group(2).strip(), m.group(3), m.group(5)))
    return out


def answer(task, lines, limit):
    if task == "facts":
        return {"facts": [{"text": "FAKE: %s said %s" % (who, text), "turns": [i],
                           "key": "fake %d" % i if "node" in text else None,
                           "topic": "test"} for i, who, role, text in lines]}
    if task == "preferences":
        return {"preferences": [{"context": text, "preference": "FAKE prefers: " + text,
                                 "categories": ["test", "fake"], "turns": [i], "key": None}
                                for i, who, role, text in lines
                                if role == "USER" and "prefer" in text]}
    topics = [{"name": "turn %d" % i, "text": "FAKE: " + text, "turns": [i]}
              for i, who, role, text in lines]
    return {"topics": topics[:max(1, limit // 200)]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def send_json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.rstrip("/") == "/v1/models":
            self.send_json(200, {"object": "list", "data": [
                {"id": "fake-model", "object": "model", "created": 0, "owned_by": "agentmem"}]})
        else:
            self.send_json(*error(404, "Unknown path " + self.path))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self.send_json(*error(404, "Unknown path " + self.path))
        key = os.environ.get("FAKE_OPENAI_KEY")
        if key and self.headers.get("Authorization") != "Bearer " + key:
            return self.send_json(*error(401, "Incorrect API key provided.",
                                         "invalid_api_key"))
        try:
            req = json.loads(raw)
        except ValueError:
            return self.send_json(*error(400, "We could not parse the JSON body of your request."))
        if not req.get("model") or not isinstance(req.get("messages"), list):
            return self.send_json(*error(400, "you must provide a model parameter"))
        user = "\n".join(m.get("content", "") for m in req["messages"] if m.get("role") == "user")
        if "FAIL500" in user:
            return self.send_json(*error(500, "The server had an error.", "server_error"))
        if "SLOWREPLY" in user:
            time.sleep(3)
        m = re.search(r"TASK: (\w+)", user)
        task = m.group(1) if m else "facts"
        m = re.search(r"under (\d+) characters", user)
        limit = int(m.group(1)) if m else 2000
        if "BADJSON" in user:
            content = "Sure! Here are the facts you asked for."
        else:
            content = json.dumps(answer(task, transcript(user), limit))
        self.send_json(200, {
            "id": "chatcmpl-fake%d" % int(time.time() * 1000),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": req["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(user) // 4, "completion_tokens": len(content) // 4,
                      "total_tokens": (len(user) + len(content)) // 4},
            "system_fingerprint": "fp_fake",
        })


def serve(handler):
    """Serve handler on 127.0.0.1:[--port N] after printing "PORT n"; until killed."""
    port = 0
    if len(sys.argv) == 3 and sys.argv[1] == "--port":
        port = int(sys.argv[2])
    srv = ThreadingHTTPServer(("127.0.0.1", port), handler)
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    serve(Handler)
