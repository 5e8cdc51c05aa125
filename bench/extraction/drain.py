#!/usr/bin/env python3
"""bench/extraction/drain.py - ingest with extraction on, one namespace growing large.

Starts each given agentmemd on a fresh SQLite file, creates a memory with a semantic
strategy, and has WRITERS threads CreateEvent N facts each (all about one actor, so every
fact lands in one namespace). It prints how long the writes took and how long the
extraction queue needed to drain after the last write, the median of --runs runs.
Consolidation runs inside the write transaction, so its cost shows up as lower write
throughput.

    python3 bench/extraction/drain.py [--events 3000] [--runs 3] BIN [BIN...]
e.g. compare a baseline build with the current one in the same run:
    make BUILD=/tmp/build-base (on the baseline commit); make
    python3 bench/extraction/drain.py /tmp/build-base/agentmemd build/agentmemd
"""
import argparse
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time

import boto3
from botocore.config import Config

WRITERS = 4


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def one_run(binary, events):
    tmp = tempfile.mkdtemp(prefix="am-drain-")
    port = free_port()
    proc = subprocess.Popen([binary, "--listen", "127.0.0.1:%d" % port, "--db",
                             os.path.join(tmp, "a.db")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    kw = dict(endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
              aws_access_key_id="a", aws_secret_access_key="b",
              config=Config(retries={"max_attempts": 1}))
    cp = boto3.client("bedrock-agentcore-control", **kw)
    dp = boto3.client("bedrock-agentcore", **kw)
    for _ in range(100):
        try:
            mid = cp.create_memory(name="Drain", eventExpiryDuration=30, memoryStrategies=[
                {"semanticMemoryStrategy": {"name": "Facts",
                                            "namespaces": ["/facts/{actorId}"]}}])["memory"]["id"]
            break
        except Exception:  # noqa: BLE001 - not listening yet
            time.sleep(0.05)
    per = events // WRITERS

    def writer(n):
        for i in range(per):
            dp.create_event(memoryId=mid, actorId="ops", sessionId="w%d" % n,
                            eventTimestamp=time.time(), payload=[{"conversational": {
                                "content": {"text": "Cluster k%dx%d runs %d ra3.xlplus nodes."
                                            % (n, i, i % 9 + 2)}, "role": "USER"}}])

    t0 = time.time()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t1 = time.time()
    while dp.list_memory_extraction_jobs(memoryId=mid)["jobs"]:
        time.sleep(0.05)
    t2 = time.time()
    proc.terminate()
    proc.wait()
    subprocess.run(["rm", "-rf", tmp])
    return t1 - t0, t2 - t1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("binaries", nargs="+")
    a = ap.parse_args()
    print("%-40s %14s %12s %14s" % ("agentmemd", "writes (s)", "events/s", "drain (s)"))
    results = {b: [] for b in a.binaries}
    for _ in range(a.runs):                # interleaved, so machine noise hits all alike
        for b in a.binaries:
            results[b].append(one_run(b, a.events))
    for b, rs in results.items():
        w = statistics.median(r[0] for r in rs)
        d = statistics.median(r[1] for r in rs)
        print("%-40s %14.1f %12.0f %14.2f" % (b, w, a.events / w, d))


if __name__ == "__main__":
    main()
