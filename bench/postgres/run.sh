#!/usr/bin/env bash
# bench/postgres/run.sh [SECONDS] - CreateEvent throughput over HTTP: one agentmemd on
# SQLite, one agentmemd on PostgreSQL, and two agentmemd sharing that PostgreSQL database,
# in one run. 32 keep-alive connections in total (wrk), ~300-byte bodies, a unique
# clientToken each; median of 3 runs. Durability is the same everywhere: SQLite WAL with
# synchronous=FULL, PostgreSQL with fsync and synchronous_commit on (a throwaway cluster in a
# temp dir, started and stopped here). Needs: make, postgresql, wrk.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-5}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
tmp=$(mktemp -d /tmp/agentmem-pgbench.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin postgres
    chown postgres "$tmp"
    as_pg=(runuser -u postgres --)
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pgport=$(free_port)
pids=()
cleanup() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$tmp/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
(cd "$tmp" && "${as_pg[@]}" "$PGBIN/initdb" -D "$tmp/data" -U agentmem -A trust -E UTF8 \
    --locale=C >/dev/null)
(cd "$tmp" && "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$tmp/data" -l "$tmp/pg.log" -w -o \
    "-p $pgport -k $tmp -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null)
URI="postgres://agentmem@127.0.0.1:$pgport/postgres"

start_server() {     # start_server DB VAR: sets VAR to the URL (not in a subshell, so the
    local port       # pid reaches the cleanup)
    port=$(free_port)
    AGENTMEM_LOG_LEVEL=warn build/agentmemd --listen 127.0.0.1:$port --db "$1" \
        --access-log off >>"$tmp/agentmemd.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/_agentmem/health >/dev/null && break; sleep 0.1; done
    printf -v "$2" '%s' "http://127.0.0.1:$port"
}
make_memory() {      # make_memory URL NAME -> prints the id
    curl -sf -X POST "$1/memories/create" -H 'Content-Type: application/json' \
        -d "{\"name\":\"$2\",\"eventExpiryDuration\":0}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["memory"]["id"])'
}
lua() {              # lua MEMORY_ID TAG -> a wrk script
    cat > "$tmp/create-$2.lua" <<LUA
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"actorId":"user-%d","sessionId":"s","eventTimestamp":1767225600.123,"clientToken":"$2-%s-%d","payload":[{"conversational":{"content":{"text":"Let us snapshot prod-cluster first, then restore it into the serverless workgroup analytics-wg in us-east-2 with 128 RPUs."},"role":"USER"}}]}', counter % 50, tostring(math.random(1, 1e9)), counter)
  return wrk.format("POST", "/memories/$1/events", {["Content-Type"]="application/json"}, body)
end
LUA
    echo "$tmp/create-$2.lua"
}
rps() { awk '/Requests\/sec/ {print $2}'; }
median() { sort -n | sed -n 2p; }

start_server "$tmp/bench.db" SQ
start_server "$URI" PA
start_server "$URI" PB
SQM=$(make_memory "$SQ" Sq)
PGM=$(make_memory "$PA" Pg)
LS=$(lua "$SQM" sq)
LA=$(lua "$PGM" pa)
LB=$(lua "$PGM" pb)

sqlite=$(for r in 1 2 3; do wrk -t2 -c32 -d${SECS}s -s "$LS" "$SQ" | rps; done | median)
pg1=$(for r in 1 2 3; do wrk -t2 -c32 -d${SECS}s -s "$LA" "$PA" | rps; done | median)
pg2=$(for r in 1 2 3; do
    wrk -t1 -c16 -d${SECS}s -s "$LA" "$PA" | rps > "$tmp/a" &
    wrk -t1 -c16 -d${SECS}s -s "$LB" "$PB" | rps > "$tmp/b"
    wait
    python3 -c "print(float(open('$tmp/a').read()) + float(open('$tmp/b').read()))"
done | median)
echo "CreateEvent over HTTP, 32 connections in total, ${SECS}s per run, median of 3 (2 shared cores)"
echo
echo "| setup | events/s | vs SQLite |"
echo "|---|---|---|"
echo "| 1 agentmemd, SQLite (WAL, synchronous=FULL, group commit) | $sqlite | 1.00 |"
echo "| 1 agentmemd, PostgreSQL 15 (fsync, synchronous_commit on) | $pg1 | $(python3 -c "print('%.2f' % ($pg1/$sqlite))") |"
echo "| 2 agentmemd, one PostgreSQL database | $pg2 | $(python3 -c "print('%.2f' % ($pg2/$sqlite))") |"
