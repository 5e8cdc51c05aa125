#!/usr/bin/env bash
# bench/http/run.sh - agentmemd over HTTP under wrk (Debian's wrk), keep-alive connections.
#
#   bench/http/run.sh [SECONDS]      (after make; installs wrk with apt-get if missing)
#
# Starts build/agentmemd on a temp database, then for concurrency 1, 16 and 64 measures:
#   ceiling     GET /_agentmem/health (the same server answering a trivial request)
#   CreateEvent POST /memories/{id}/events, ~300-byte body, a unique clientToken each
#   ListEvents  POST /memories/{id}/actor/a/sessions/s on a session of 1,000 events
# Each cell is the median of 3 runs; latency p50/p99 from wrk's --latency output.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-5}
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
TMP=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
AGENTMEM_LOG_LEVEL=warn build/agentmemd --listen 127.0.0.1:$PORT --db $TMP/bench.db \
    --access-log off > $TMP/agentmemd.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf $TMP' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/_agentmem/health >/dev/null && break; sleep 0.1; done
URL=http://127.0.0.1:$PORT
MEM=$(curl -sf -X POST $URL/memories/create -H 'Content-Type: application/json' \
      -d '{"name":"HttpBench","eventExpiryDuration":0}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["memory"]["id"])')
python3 - "$URL" "$MEM" <<'PY'
import json, sys, urllib.request
url, mem = sys.argv[1], sys.argv[2]
for i in range(1000):
    body = {"actorId": "a", "sessionId": "s", "eventTimestamp": 1767225600 + i,
            "payload": [{"conversational": {"content": {"text": "turn %d about prod-cluster" % i},
                                            "role": "USER"}}]}
    req = urllib.request.Request("%s/memories/%s/events" % (url, mem), json.dumps(body).encode(),
                                 {"Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(req).read()
PY
cat > $TMP/create.lua <<LUA
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"actorId":"user-%d","sessionId":"bench-session","eventTimestamp":1767225600.123,"clientToken":"%s-%d-%d","payload":[{"conversational":{"content":{"text":"Let us snapshot prod-cluster first, then restore it into the serverless workgroup analytics-wg in us-east-2 with 128 RPUs."},"role":"USER"}}]}', counter % 50, tostring(math.random(1, 1e9)), counter, os.time())
  return wrk.format("POST", "/memories/$MEM/events", {["Content-Type"]="application/json"}, body)
end
LUA
cat > $TMP/list.lua <<LUA
request = function()
  return wrk.format("POST", "/memories/$MEM/actor/a/sessions/s", {["Content-Type"]="application/json"}, '{"maxResults":20}')
end
LUA
# run NAME CONC ARGS...: prints "req/s p50 p99" (median run by req/s)
run() {
    local conc=$1; shift
    local threads=$(( conc < 2 ? 1 : 2 ))
    for r in 1 2 3; do
        wrk -t$threads -c$conc -d${SECS}s --latency "$@" 2>/dev/null | awk '
            /Requests\/sec/ {rps=$2}
            /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
            END {print rps, p50, p99}'
    done | sort -n | sed -n 2p
}
echo "agentmemd over HTTP, wrk keep-alive, ${SECS}s per run, median of 3 (2 shared cores)"
echo
echo "| request | concurrency | req/s | p50 | p99 | vs ceiling |"
echo "|---|---|---|---|---|---|"
for c in 1 16 64; do
    read -r hr hp50 hp99 <<<"$(run $c $URL/_agentmem/health)"
    read -r cr cp50 cp99 <<<"$(run $c -s $TMP/create.lua $URL)"
    read -r lr lp50 lp99 <<<"$(run $c -s $TMP/list.lua $URL)"
    echo "| ceiling: GET /_agentmem/health | $c | $hr | $hp50 | $hp99 | 1.00 |"
    echo "| CreateEvent | $c | $cr | $cp50 | $cp99 | $(python3 -c "print('%.2f' % ($cr/$hr))") |"
    echo "| ListEvents (1,000-event session, page of 20) | $c | $lr | $lp50 | $lp99 | $(python3 -c "print('%.2f' % ($lr/$hr))") |"
done
