#!/usr/bin/env python3
"""bench/locomo/run.py - retrieval quality of agentmem on LoCoMo, through the real API.

    python3 bench/locomo/run.py [--bin build/agentmemd] [--data PATH] [--conversations N]

Starts a real agentmemd on a temp database, creates a memory with the summary, preference
and semantic strategies, ingests every LoCoMo conversation with boto3 CreateEvent (one actor
per conversation, one session per LoCoMo session, one event per turn written "Speaker:
text", timestamps from the session dates), waits until the background extraction has
finished, then asks RetrieveMemoryRecords (namespace /actors/<conversation>) every question
of categories 1-4 and reports evidence recall@5/@10/@20: the share of the question's
evidence turns (dia_id) covered by the provenance of the retrieved records (the
"agentmem.sources" member of each record). Data: ../shared/data/locomo (CC BY-NC 4.0; read
in place, never copied into the repo).
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_DATA = os.path.join(ROOT, "..", "shared", "data", "locomo", "locomo-dev.json")

STRATEGIES = [
    {"summaryMemoryStrategy": {"name": "Summary",
                               "namespaces": ["/actors/{actorId}/sessions/{sessionId}/summary"]}},
    {"userPreferenceMemoryStrategy": {"name": "Preferences",
                                      "namespaces": ["/actors/{actorId}/preferences"]}},
    {"semanticMemoryStrategy": {"name": "Facts", "namespaces": ["/actors/{actorId}/facts"]}},
]


def parse_date(s):
    """'1:56 pm on 8 May, 2023' -> epoch ms (UTC)."""
    d = datetime.strptime(s.strip(), "%I:%M %p on %d %B, %Y").replace(tzinfo=timezone.utc)
    return int(d.timestamp() * 1000)


def repair_evidence(ev, valid):
    out = []
    for item in ev:
        for part in re.split(r"[;\s]+", item):
            part = part.strip()
            if not part:
                continue
            part = part.replace("D:", "D")
            m = re.match(r"^D(\d+):(\d+)$", part)
            if not m:
                continue
            dia = "D%d:%d" % (int(m.group(1)), int(m.group(2)))
            if dia in valid:
                out.append(dia)
    return sorted(set(out))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def post(port, path, body):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "agentmemd"))
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--conversations", type=int, default=0)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    import boto3
    from botocore.config import Config

    data = json.load(open(args.data))
    if args.conversations:
        data = data[:args.conversations]
    tmp = tempfile.mkdtemp(prefix="am-locomo-")
    port = free_port()
    log = open(os.path.join(tmp, "agentmemd.log"), "w")
    env = dict(os.environ, AGENTMEM_LOG_LEVEL="warn")
    srv = subprocess.Popen([args.bin, "--listen", "127.0.0.1:%d" % port, "--db",
                            os.path.join(tmp, "locomo.db"), "--access-log", "off"],
                           stdout=log, stderr=log, env=env)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/_agentmem/health" % port, timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
        cfg = Config(region_name="us-east-1", retries={"max_attempts": 3})
        url = "http://127.0.0.1:%d" % port
        cp = boto3.client("bedrock-agentcore-control", endpoint_url=url, config=cfg)
        dp = boto3.client("bedrock-agentcore", endpoint_url=url, config=cfg)
        mem = cp.create_memory(name="LoCoMo", eventExpiryDuration=365,
                               memoryStrategies=STRATEGIES)["memory"]["id"]

        event_to_dia = {}
        n_turns = 0
        t0 = time.time()
        for conv in data:
            actor = conv["sample_id"]
            c = conv["conversation"]
            sessions = sorted(int(k.split("_")[1]) for k in c
                              if re.match(r"^session_\d+$", k) and c[k])
            for sn in sessions:
                base = parse_date(c["session_%d_date_time" % sn])
                for i, turn in enumerate(c["session_%d" % sn]):
                    text = "%s: %s" % (turn["speaker"], turn["text"])
                    if turn.get("blip_caption"):
                        text += " [shares a photo: %s]" % turn["blip_caption"]
                    role = "USER" if turn["speaker"] == c["speaker_a"] else "ASSISTANT"
                    ev = dp.create_event(memoryId=mem, actorId=actor,
                                         sessionId="session-%d" % sn,
                                         eventTimestamp=(base + i * 30000) / 1000.0,
                                         payload=[{"conversational": {"content": {"text": text},
                                                                      "role": role}}])
                    event_to_dia[ev["event"]["eventId"]] = turn["dia_id"]
                    n_turns += 1
        t_ingest = time.time() - t0

        t0 = time.time()
        while True:        # wait for the background extraction to drain the queue
            jobs = dp.list_memory_extraction_jobs(memoryId=mem, maxResults=50)["jobs"]
            if all(j.get("status") == "FAILED" for j in jobs):
                break
            time.sleep(0.5)
        t_extract = time.time() - t0
        n_failed = len(jobs)

        ks = (5, 10, 20)
        # the baseline, in the same run: plain BM25 (SQLite FTS5) over the raw turns
        base_sums = {k: 0.0 for k in ks}
        n_base = 0
        for conv in data:
            fts = sqlite3.connect(":memory:")
            fts.execute("CREATE VIRTUAL TABLE t USING fts5(dia, text, "
                        "tokenize='porter unicode61')")
            c = conv["conversation"]
            valid = set()
            for k, v in c.items():
                if re.match(r"^session_\d+$", k) and isinstance(v, list):
                    for turn in v:
                        text = "%s: %s" % (turn["speaker"], turn["text"])
                        if turn.get("blip_caption"):
                            text += " [shares a photo: %s]" % turn["blip_caption"]
                        fts.execute("INSERT INTO t VALUES (?, ?)", (turn["dia_id"], text))
                        valid.add(turn["dia_id"])
            for qa in conv["qa"]:
                if qa["category"] not in (1, 2, 3, 4):
                    continue
                evidence = repair_evidence(qa.get("evidence", []), valid)
                if not evidence:
                    continue
                words = re.findall(r"[A-Za-z0-9]+", qa["question"])
                expr = " OR ".join('"%s"' % w for w in words)
                rows = [r[0] for r in fts.execute(
                    "SELECT dia FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT 20", (expr,))]
                n_base += 1
                for k in ks:
                    base_sums[k] += len(set(rows[:k]) & set(evidence)) / len(evidence)
            fts.close()

        sums = {k: 0.0 for k in ks}
        per_cat = {}
        lat = []
        n_q = 0
        n_records = 0
        for conv in data:
            actor = conv["sample_id"]
            valid = {t["dia_id"] for k, v in conv["conversation"].items()
                     if re.match(r"^session_\d+$", k) and isinstance(v, list) for t in v}
            r = post(port, "/memories/%s/memoryRecords" % mem,
                     {"namespace": "/actors/%s" % actor, "maxResults": 100})
            while True:
                n_records += len(r["memoryRecordSummaries"])
                if not r.get("nextToken"):
                    break
                r = post(port, "/memories/%s/memoryRecords" % mem,
                         {"namespace": "/actors/%s" % actor, "maxResults": 100,
                          "nextToken": r["nextToken"]})
            for qa in conv["qa"]:
                if qa["category"] not in (1, 2, 3, 4):
                    continue
                evidence = repair_evidence(qa.get("evidence", []), valid)
                if not evidence:
                    continue
                q0 = time.time()
                res = post(port, "/memories/%s/retrieve" % mem,
                           {"namespace": "/actors/%s" % actor, "maxResults": 20,
                            "searchCriteria": {"searchQuery": qa["question"], "topK": 20}})
                lat.append((time.time() - q0) * 1000)
                recs = res["memoryRecordSummaries"]
                n_q += 1
                for k in ks:
                    covered = set()
                    for rec in recs[:k]:
                        for s in rec.get("agentmem", {}).get("sources", []):
                            d = event_to_dia.get(s.get("eventId"))
                            if d:
                                covered.add(d)
                    rec_k = len(covered & set(evidence)) / len(evidence)
                    sums[k] += rec_k
                    per_cat.setdefault(qa["category"], {kk: [] for kk in ks})[k].append(rec_k)

        # context for a message: is the answer inside what the agent would be given?
        budgets = (500, 1000, 2000)
        contain = {b: [] for b in budgets}
        overlap = {b: [] for b in budgets}
        used = {b: [] for b in budgets}

        def norm(t):
            return re.sub(r"[^a-z0-9 ]+", " ", str(t).lower()).split()

        for conv in data:
            actor = conv["sample_id"]
            for qa in conv["qa"]:
                if qa["category"] not in (1, 2, 3, 4) or "answer" not in qa:
                    continue
                ans = norm(qa["answer"])
                if not ans:
                    continue
                for b in budgets:
                    ctx = post(port, "/_agentmem/memories/%s/context" % mem,
                               {"actorId": actor, "message": qa["question"], "maxTokens": b})
                    words = norm(" ".join(it["text"] for it in ctx["items"]))
                    text = " " + " ".join(words) + " "
                    contain[b].append(1.0 if " " + " ".join(ans) + " " in text else 0.0)
                    ws = set(words)
                    overlap[b].append(sum(1 for w in ans if w in ws) / len(ans))
                    used[b].append(ctx["usedTokens"])

        # time to memory: how long after CreateEvent a new fact is searchable
        lags = []
        for i in range(40):
            city = "Zanzibar%d" % i
            t_sent = time.time()
            ev = dp.create_event(memoryId=mem, actorId="lag-probe", sessionId="probe-%d" % i,
                                 eventTimestamp=time.time(),
                                 payload=[{"conversational": {"content": {
                                     "text": "Dana: I moved to %s last month." % city},
                                     "role": "USER"}}])
            eid = ev["event"]["eventId"]
            while time.time() - t_sent < 30:
                res = post(port, "/memories/%s/retrieve" % mem,
                           {"namespace": "/actors/lag-probe",
                            "searchCriteria": {"searchQuery": city, "topK": 5}})
                if any(s.get("eventId") == eid for r in res["memoryRecordSummaries"]
                       for s in r.get("agentmem", {}).get("sources", [])):
                    lags.append((time.time() - t_sent) * 1000)
                    break
                time.sleep(0.005)
        lags.sort()

        lat.sort()
        print("agentmem on LoCoMo dev (%d conversations, %d turns, %d questions of cat 1-4)"
              % (len(data), n_turns, n_q))
        print()
        print("| step | figure |")
        print("|---|---|")
        print("| ingest through CreateEvent (boto3, 1 client) | %.1f s, %.0f events/s |"
              % (t_ingest, n_turns / t_ingest))
        print("| extraction finished after ingest | %.1f s later (%d failed jobs) |"
              % (t_extract, n_failed))
        print("| records extracted (facts, preferences, summaries) | %d |" % n_records)
        print("| RetrieveMemoryRecords latency (HTTP, topK 20) | p50 %.1f ms, p99 %.1f ms |"
              % (lat[len(lat) // 2], lat[int(len(lat) * 0.99)]))
        if lags:
            print("| time to memory: CreateEvent to searchable record (%d probes) | p50 %.0f ms,"
                  " p95 %.0f ms |" % (len(lags), lags[len(lags) // 2],
                                      lags[int(len(lags) * 0.95)]))
        print()
        print("| evidence recall | @5 | @10 | @20 |")
        print("|---|---|---|---|")
        print("| baseline: BM25 over raw turns (FTS5) | %.3f | %.3f | %.3f |"
              % tuple(base_sums[k] / n_base for k in ks))
        print("| agentmem records, all (cat 1-4) | %.3f | %.3f | %.3f |"
              % tuple(sums[k] / n_q for k in ks))
        names = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
        for cat in sorted(per_cat):
            v = per_cat[cat]
            print("| cat %d %s (%d) | %.3f | %.3f | %.3f |"
                  % (cat, names[cat], len(v[5]), *(statistics.mean(v[k]) for k in ks)))
        print()
        print("| context for a message (cat 1-4, %d questions) | answer contained | answer words "
              "present | tokens used (mean) |" % len(contain[500]))
        print("|---|---|---|---|")
        for b in budgets:
            print("| budget %d tokens | %.3f | %.3f | %.0f |"
                  % (b, statistics.mean(contain[b]), statistics.mean(overlap[b]),
                     statistics.mean(used[b])))
    finally:
        srv.send_signal(signal.SIGTERM)
        srv.wait(timeout=60)
        if args.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
