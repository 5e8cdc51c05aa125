#!/usr/bin/env python3
"""fake_llm_agent.py - a scripted model with tool calling, for the agent's LLM path
(src/agent/llm.c), in both wire formats:
  POST /v1/chat/completions          OpenAI: tools, tool_calls, role "tool" results;
  POST /model/{modelId}/converse     Bedrock Converse: toolConfig, toolUse, toolResult,
                                     SigV4-checked and validated against botocore's model
                                     (tests/helpers/fake_bedrock.py's checks).
The script: while no tool result is in the conversation, ask for a tool (create_snapshot
when the user's message mentions a snapshot, else list_clusters); then answer
"Model says: " + the first tool result. Switches in the user's message: FAIL500 (HTTP 500
always), THROTTLE_ONCE (HTTP 429 the first time that message is seen), GARBAGE (a 200 whose
body is not JSON). GET /_fake/requests lists the requests: {path, body, signature_ok}.

    tests/helpers/fake_llm_agent.py [--port N]      first stdout line: "PORT n"
"""
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_bedrock import converse_problems, signature_ok  # noqa: E402
from fake_openai import serve  # noqa: E402

REQUESTS = []
SEEN = set()
LOCK = threading.Lock()


def tool_for(user_text):
    if "snapshot" in user_text.lower():
        return "create_snapshot", {"cluster": "prod-cluster"}
    return "list_clusters", {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, obj, raw=None, err_type=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if err_type:
            self.send_header("x-amzn-ErrorType", err_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with LOCK:
            self.send(200, REQUESTS)

    def switches(self, user):
        """An error reply for the switches, or None."""
        if "FAIL500" in user:
            return 500
        if "THROTTLE_ONCE" in user:
            with LOCK:
                first = user not in SEEN
                SEEN.add(user)
            if first:
                return 429
        return None

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ok = signature_ok("POST", self.path, self.headers, raw) if "/model/" in self.path else None
        with LOCK:
            REQUESTS.append({"path": self.path, "body": raw.decode("utf-8", "replace"),
                             "signature_ok": ok})
        body = json.loads(raw)
        if self.path == "/v1/chat/completions":
            return self.openai(body)
        m = re.match(r"^/model/([^/]+)/converse$", self.path)
        if not m:
            return self.send(404, {"message": "unknown path"})
        if not ok:
            return self.send(403, {"message": "bad signature"}, err_type="InvalidSignatureException")
        problems = converse_problems(body)
        if problems:
            return self.send(400, {"message": problems}, err_type="ValidationException")
        return self.converse(body)

    def openai(self, body):
        msgs = body["messages"]
        user = [m for m in msgs if m["role"] == "user"][-1]["content"]
        err = self.switches(user)
        if err:
            return self.send(err, {"error": {"message": "scripted %d" % err}})
        if "GARBAGE" in user:
            return self.send(200, None, raw=b"<html>not json</html>")
        results = [m for m in msgs if m["role"] == "tool"]
        if not results:
            name, args = tool_for(user)
            msg = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": name, "arguments": json.dumps(args)}}]}
            finish = "tool_calls"
        else:
            msg = {"role": "assistant", "content": "Model says: " + results[0]["content"][:300]}
            finish = "stop"
        self.send(200, {"id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
                        "choices": [{"index": 0, "message": msg, "finish_reason": finish}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1,
                                  "total_tokens": 2}})

    def converse(self, body):
        msgs = body["messages"]
        user = " ".join(b.get("text", "") for b in msgs[-1]["content"]) if msgs else ""
        first_user = next((" ".join(b.get("text", "") for b in m["content"])
                           for m in reversed(msgs) if m["role"] == "user"
                           and any("text" in b for b in m["content"])), "")
        err = self.switches(first_user)
        if err:
            return self.send(err, {"message": "scripted %d" % err},
                             err_type="ThrottlingException" if err == 429 else
                             "InternalServerException")
        results = [b["toolResult"] for m in msgs for b in m["content"] if "toolResult" in b]
        if not results:
            name, args = tool_for(user)
            content = [{"text": "Let me look."},
                       {"toolUse": {"toolUseId": "tooluse_1", "name": name, "input": args}}]
            stop = "tool_use"
        else:
            content = [{"text": "Model says: " + results[0]["content"][0]["text"][:300]}]
            stop = "end_turn"
        self.send(200, {"output": {"message": {"role": "assistant", "content": content}},
                        "stopReason": stop, "usage": {"inputTokens": 1, "outputTokens": 1,
                                                      "totalTokens": 2},
                        "metrics": {"latencyMs": 1}})


if __name__ == "__main__":
    serve(Handler)
