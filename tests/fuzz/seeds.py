#!/usr/bin/env python3
"""seeds.py - write the hand-made seed inputs of tests/fuzz/corpus/ (rerun after editing).

The corpus directories also hold inputs that libFuzzer found adding coverage
(`make fuzz-run fuzz-merge`); this script only (re)writes the seed-*.txt files.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
T = 1767225600


def conv(text, role="USER"):
    return {"conversational": {"content": {"text": text}, "role": role}}


HTTP = {
    "create_memory": ("POST /memories/create", {"name": "Seed", "eventExpiryDuration": 30,
                      "memoryStrategies": [{"semanticMemoryStrategy": {"name": "F"}},
                                           {"customMemoryStrategy": {"name": "C", "configuration": {
                                               "semanticOverride": {"extraction": {
                                                   "appendToPrompt": "x", "modelId": "m"}}}}}]}),
    "list_memories": ("POST /memories/", {"maxResults": 2}),
    "get_memory": ("GET /memories/{MID}/details?view=full", None),
    "update_memory": ("PUT /memories/{MID}/update", {"description": "d", "eventExpiryDuration": 7}),
    "delete_memory": ("DELETE /memories/Other-abcdefghij/delete?clientToken=t1", None),
    "create_event": ("POST /memories/{MID}/events", {
        "actorId": "user/alice:dev", "sessionId": "s1", "eventTimestamp": T,
        "payload": [conv("prod-cluster runs 4 ra3.4xlarge nodes. I prefer a single workgroup."),
                    {"blob": {"k": [1, 2, {"x": None}]}}],
        "metadata": {"k": {"stringValue": "v"}}, "clientToken": "tok-1",
        "branch": {"name": "b1", "rootEventId": "0000001767225600000#abcdef12"}}),
    "list_events": ("POST /memories/{MID}/actor/user%2Falice%3Adev/sessions/s1", {
        "maxResults": 1, "includePayloads": True, "nextToken": "AAAA",
        "filter": {"branch": {"name": "main", "includeParentBranches": True},
                   "eventMetadata": [{"left": {"metadataKey": "k"}, "operator": "EQUALS_TO",
                                      "right": {"metadataValue": {"stringValue": "v"}}}]}}),
    "get_event": ("GET /memories/{MID}/actor/a/sessions/s1/events/0000001767225600000%23abcdef12", None),
    "delete_event": ("DELETE /memories/{MID}/actor/a/sessions/s1/events/0000001767225600000%23abcdef12", None),
    "list_sessions": ("POST /memories/{MID}/actor/a/sessions", {"maxResults": 5}),
    "list_actors": ("POST /memories/{MID}/actors", {}),
    "retrieve": ("POST /memories/{MID}/retrieve", {
        "namespace": "/", "searchCriteria": {"searchQuery": "nodes \"quoted\" OR NEAR(", "topK": 5,
                                             "memoryStrategyId": "x",
                                             "metadataFilters": []}}),
    "list_records": ("POST /memories/{MID}/memoryRecords", {"namespace": "/", "maxResults": 3}),
    "batch_create": ("POST /memories/{MID}/memoryRecords/batchCreate", {"records": [
        {"requestIdentifier": "r1", "namespaces": ["/facts/a"], "content": {"text": "t"},
         "timestamp": T}]}),
    "batch_update": ("POST /memories/{MID}/memoryRecords/batchUpdate", {"records": [
        {"memoryRecordId": "mem-x", "timestamp": T, "content": {"text": "u"}}]}),
    "batch_delete": ("POST /memories/{MID}/memoryRecords/batchDelete", {"records": [
        {"memoryRecordId": "mem-x"}]}),
    "get_record": ("GET /memories/{MID}/memoryRecord/mem-x?namespace=%2Ffacts", None),
    "delete_record": ("DELETE /memories/{MID}/memoryRecords/mem-x", None),
    "start_job": ("POST /memories/{MID}/extractionJobs/start", {"extractionJob": {"jobId": "j"}}),
    "list_jobs": ("POST /memories/{MID}/extractionJobs", {"filter": {"status": "FAILED"}}),
    "context": ("POST /_agentmem/memories/{MID}/context", {
        "actorId": "a", "sessionId": "s1", "message": "what nodes?", "maxTokens": 500}),
    "search_events": ("POST /_agentmem/memories/{MID}/actors/a/search", {"query": "nodes"}),
    "view_session": ("GET /_agentmem/memories/{MID}/actors/a/sessions/s1", None),
    "delete_session": ("DELETE /_agentmem/memories/{MID}/actors/a/sessions/s9", None),
    "forget_actor": ("DELETE /_agentmem/memories/{MID}/actors/nobody", None),
    "history": ("GET /_agentmem/memories/{MID}/records/mem-x/history", None),
    "all_sessions": ("GET /_agentmem/memories/{MID}/sessions?maxResults=2", None),
    "metrics": ("GET /_agentmem/metrics", None),
}
HTTP_RAW = {
    "bad_json": "POST /memories/{MID}/events\n{\"actorId\": ",
    "deep": "POST /memories/{MID}/events\n" + "[" * 2000,
    "traversal": "GET /memories/..%2F..%2Fetc%2Fpasswd/details\n",
    "bad_pct": "GET /memories/{MID}/actor/a%ZZ/sessions/s/events/x%\n",
    "sql": "POST /memories/{MID}/events\n" + json.dumps({
        "actorId": "a'; DROP TABLE events; --", "sessionId": "s%_\\", "eventTimestamp": T,
        "payload": [conv("'); DELETE FROM records; --")]}),
    "nul": "POST /memories/{MID}/events\n{\"actorId\":\"a\\u0000b\",\"sessionId\":\"s\","
           "\"eventTimestamp\":1,\"payload\":[]}",
    "bad_utf8": b"POST /memories/{MID}/events\n{\"actorId\":\"\xff\xfe\",\"payload\":[]}",
    "huge_number": "POST /memories/{MID}/events\n{\"actorId\":\"a\",\"sessionId\":\"s\","
                   "\"eventTimestamp\":1e309,\"payload\":[]}",
}

SIGV4 = {
    "header": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-2/bedrock-agentcore/"
              "aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="
              + "0" * 64 + "\n20261124T141500Z\n\n/memories/m-1/events\n{}",
    "presigned": "\n20261124T141500Z\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
                 "AKIDEXAMPLE%2F20261124%2Fus-east-2%2Fbedrock-agentcore%2Faws4_request&"
                 "X-Amz-Date=20261124T141500Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&"
                 "X-Amz-Signature=" + "a" * 64 + "\n/memories/m-1/details\n",
    "garbage": "AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;;;, Signature=zz\n2026\n"
               "%%%&&==\n/./../a//b/\n",
    "token": "AWS4-HMAC-SHA256 Credential=UNKNOWN/20261124/us-east-2/bedrock-agentcore/"
             "aws4_request,SignedHeaders=host,Signature=" + "f" * 64 + "\n19991231T000000Z\n"
             "a=1&a=2&b\n/%E2%9C%93\nbody",
}

LLM = {
    "openai_facts": b"\x00" + json.dumps({"choices": [{"message": {"content": json.dumps(
        {"facts": [{"text": "prod-cluster has 4 nodes", "turns": [0, 99, -1], "key": "k",
                    "topic": "t"}]})}, "finish_reason": "stop"}]}).encode(),
    "bedrock_prefs": b"\x03" + json.dumps({"output": {"message": {"content": [{"text": "x ```json " + json.dumps(
        {"preferences": [{"context": "c", "preference": "p", "categories": ["a", 1],
                          "turns": [1]}]}) + "```"}]}}, "stopReason": "end_turn"}).encode(),
    "openai_summary": b"\x04" + json.dumps({"choices": [{"message": {"content": json.dumps(
        {"topics": [{"name": "<&>", "text": "s" * 600, "turns": [0]},
                    {"name": "n", "text": "short", "turns": [1]}]})}}]}).encode(),
    "truncated": b"\x01" + json.dumps({"output": {"message": {"content": [{"text": "{\"facts\": [{"}]}},
                                      "stopReason": "max_tokens"}).encode(),
    "not_json": b"\x00not json at all",
}


def write(name, files):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for k, v in files.items():
        with open(os.path.join(d, "seed-%s.txt" % k), "wb") as f:
            f.write(v if isinstance(v, bytes) else v.encode())


def main():
    http = {k: line + "\n" + (json.dumps(body) if body is not None else "")
            for k, (line, body) in HTTP.items()}
    http.update({k: v for k, v in HTTP_RAW.items()})
    write("http", http)
    write("sigv4", SIGV4)
    policies = {}
    for p in ("agent", "readonly", "admin"):
        with open(os.path.join(HERE, "..", "..", "docs", "policies", p + ".json")) as f:
            policies[p] = f.read()
    policies["operators"] = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "NotAction": ["a*?"], "NotResource": "*", "Condition": {
            "ForAllValues:StringNotLikeIfExists": {"bedrock-agentcore:namespace": ["${aws:username}/*"]},
            "Null": {"k": "true"}, "StringEqualsIgnoreCase": {"bedrock-agentcore:actorId": "USER-1"}}}]})
    policies["bad"] = '{"Version":"2012-10-17","Statement":{"Effect":"Allow"}}'
    write("policy", policies)
    write("llm_reply", LLM)


if __name__ == "__main__":
    main()
