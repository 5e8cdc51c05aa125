#!/usr/bin/env bash
# bench/http/run.sh - agentmemd's HTTP throughput and latency, against its own ceiling.
#
#   make && bench/http/run.sh [SECONDS]        (SECONDS per run, default 5)
#
# Builds bench/http/loadgen.c and mhd_floor.c (cc -O2, into BUILD), starts BUILD/agentmemd on
# a fresh database in a temp directory (--access-log off, otherwise the defaults), and
# measures, over keep-alive connections with one request in flight each, at concurrency 1, 16
# and 64:
#   libmicrohttpd  bench/http/mhd_floor: libmicrohttpd alone with a static 40-byte reply, the
#                setup CEILINGS.md measured at ~136k req/s on a quiet machine, measured again
#                here because the shared machines drift
#   ceiling      GET /_agentmem/health: the same server answering a trivial request
#   CreateEvent  POST /memories/{id}/events, a ~310-byte body with a unique clientToken each,
#                one actor and session per connection
#   ListEvents   POST /memories/{id}/actor/reader/sessions/s1, newest page of 20 events with
#                payloads, on a session of 1,000 events
# Runs are interleaved (libmicrohttpd, ceiling, CreateEvent, ListEvents, three times at each
# concurrency) so that the shared machine's drift hits all four alike. It prints a markdown
# table: for each cell the median of the 3 runs' req/s, p50 and p99 (each metric's own
# median), and req/s as a ratio to the ceiling at that concurrency. Any non-2xx response or
# failed connection aborts the run.
# Environment: RUNS (3), CONCURRENCY ("1 16 64"), WARMUP seconds (1), BUILD (build),
# DBDIR (where the temp database goes; default $TMPDIR, keep it off tmpfs: fsync is the cost
# of CreateEvent), AGENTMEMD_ARGS (more flags for agentmemd, e.g. "--threads 4").
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-5}
RUNS=${RUNS:-3}
CONCURRENCY=${CONCURRENCY:-1 16 64}
WARMUP=${WARMUP:-1}
BUILD=${BUILD:-build}
AGENTMEMD_ARGS=${AGENTMEMD_ARGS:-}
LOADGEN=$BUILD/bench_http_loadgen
FLOOR=$BUILD/bench_http_mhd_floor

die() { echo "bench/http: $*" >&2; exit 1; }
[ -x "$BUILD/agentmemd" ] || die "$BUILD/agentmemd is not built (run make)"
command -v curl >/dev/null || die "needs curl"
CFLAGS_BENCH="-O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes"
CFLAGS_BENCH="$CFLAGS_BENCH -Wmissing-prototypes -pthread"
if [ ! -x "$LOADGEN" ] || [ bench/http/loadgen.c -nt "$LOADGEN" ]; then
    # shellcheck disable=SC2086
    ${CC:-cc} $CFLAGS_BENCH -o "$LOADGEN" bench/http/loadgen.c
fi
if [ ! -x "$FLOOR" ] || [ bench/http/mhd_floor.c -nt "$FLOOR" ]; then
    # shellcheck disable=SC2086
    ${CC:-cc} $CFLAGS_BENCH -o "$FLOOR" bench/http/mhd_floor.c -lmicrohttpd
fi

TMP=$(mktemp -d "${DBDIR:-${TMPDIR:-/tmp}}/agentmem-bench-http.XXXXXX")
PID=
FLOOR_PID=
cleanup() {
    for p in $PID $FLOOR_PID; do
        kill -TERM "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
# shellcheck disable=SC2086
"$BUILD/agentmemd" --listen 127.0.0.1:0 --db "$TMP/bench.db" --access-log off $AGENTMEMD_ARGS \
    >"$TMP/agentmemd.log" 2>&1 &
PID=$!
PORT=
for _ in $(seq 200); do
    PORT=$(sed -n 's/.*listening addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/agentmemd.log" |
           head -n 1)
    [ -n "$PORT" ] && break
    kill -0 "$PID" 2>/dev/null || die "agentmemd exited: $(cat "$TMP/agentmemd.log")"
    sleep 0.05
done
[ -n "$PORT" ] || die "agentmemd did not start: $(cat "$TMP/agentmemd.log")"
URL=http://127.0.0.1:$PORT
for _ in $(seq 100); do
    curl -sf "$URL/_agentmem/health" >/dev/null && break
    sleep 0.05
done
"$FLOOR" >"$TMP/floor.log" 2>&1 &
FLOOR_PID=$!
FLOOR_PORT=
for _ in $(seq 100); do
    FLOOR_PORT=$(sed -n 's/^listening port=\([0-9][0-9]*\)$/\1/p' "$TMP/floor.log")
    [ -n "$FLOOR_PORT" ] && break
    sleep 0.05
done
[ -n "$FLOOR_PORT" ] || die "mhd_floor did not start: $(cat "$TMP/floor.log")"
THREADS=$(sed -n 's/.*listening .* threads=\([0-9]*\).*/\1/p' "$TMP/agentmemd.log" | head -n 1)
VERSION=$(sed -n 's/.*listening .* version=\([^ ]*\).*/\1/p' "$TMP/agentmemd.log" | head -n 1)

MEM=$(curl -sf -X POST "$URL/memories/create" -H 'Content-Type: application/json' \
      -d '{"name":"HttpBench","eventExpiryDuration":30}' |
      sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
[ -n "$MEM" ] || die "CreateMemory failed"

TEXT="Let us snapshot prod-cluster first, then restore it into the serverless workgroup"
TEXT="$TEXT analytics-wg in us-east-2 with 128 RPUs."
# event_json ACTOR SESSION: a CreateEvent body; loadgen fills in {ts}, {uniq} and {conn}
event_json() {
    printf '{"actorId":"%s","sessionId":"%s","eventTimestamp":{ts},"clientToken":"{uniq}",' \
        "$1" "$2"
    printf '"payload":[{"conversational":{"content":{"text":"%s"},"role":"USER"}}]}' "$TEXT"
}
event_json 'user-{conn}' 'bench-{conn}' >"$TMP/create.json"
event_json reader s1 >"$TMP/fill.json"
printf '%s' '{"maxResults":20}' >"$TMP/list.json"

# the session ListEvents reads: 1,000 events
"$LOADGEN" -u "$URL" -m POST -p "/memories/$MEM/events" -f "$TMP/fill.json" -c 4 -n 1000 \
    >/dev/null || die "filling the session failed"
COUNT=$(curl -sf "$URL/_agentmem/memories/$MEM/sessions?actorId=reader" |
        sed -n 's/.*"eventCount":\([0-9]*\).*/\1/p')
[ "$COUNT" = 1000 ] || die "the ListEvents session holds ${COUNT:-no} events, not 1000"

# measure NAME CONC: one run; appends "NAME CONC rps p50 p99 requests" to $TMP/results
measure() {
    local name=$1 conc=$2 line
    local args=(-c "$conc" -d "$DURATION" -w "$WARMUP")
    case $name in
        libmicrohttpd) args=(-u "http://127.0.0.1:$FLOOR_PORT" -p / "${args[@]}") ;;
        *) args+=(-u "$URL") ;;
    esac
    case $name in
        ceiling) args+=(-p /_agentmem/health) ;;
        CreateEvent) args+=(-m POST -p "/memories/$MEM/events" -f "$TMP/create.json") ;;
        ListEvents)
            args+=(-m POST -p "/memories/$MEM/actor/reader/sessions/s1" -f "$TMP/list.json") ;;
    esac
    line=$("$LOADGEN" "${args[@]}") || die "$name at concurrency $conc failed: $line"
    echo "$line" | awk -v n="$name" -v c="$conc" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        print n, c, v["rps"], v["p50_us"], v["p99_us"], v["requests"] }' >>"$TMP/results"
}

: >"$TMP/results"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for c in $CONCURRENCY; do
    for r in $(seq "$RUNS"); do
        for name in libmicrohttpd ceiling CreateEvent ListEvents; do
            measure "$name" "$c"
        done
        echo "bench/http: concurrency $c, run $r of $RUNS done" >&2
    done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# every CreateEvent counted must have written a new event (a repeated clientToken would
# have been a cheaper replay): the actors' event counts, less the 1,000 of the read session
STORED=$(curl -sf "$URL/_agentmem/memories/$MEM/actors?maxResults=100" |
         grep -o '"eventCount":[0-9]*' | awk -F: '{ s += $2 } END { print s - 1000 }')
COUNTED=$(awk '$1 == "CreateEvent" { s += $6 } END { print s + 0 }' "$TMP/results")
[ "$STORED" -ge "$COUNTED" ] || die "CreateEvent: $COUNTED answered but only $STORED events stored"

# median NAME CONC FIELD (3=rps 4=p50 5=p99)
median() {
    awk -v n="$1" -v c="$2" -v f="$3" '$1 == n && $2 == c { print $f }' "$TMP/results" |
        sort -g | awk '{ v[NR] = $1 } END {
            if (NR % 2) print v[(NR + 1) / 2]; else print ((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
us() {
    awk -v x="$1" 'BEGIN { if (x >= 1000) printf "%.2f ms", x / 1000; else printf "%.0f µs", x }'
}

FS=$(df -PT "$TMP" | awk 'NR == 2 { print $2 }')
echo "agentmemd $VERSION over HTTP/1.1 keep-alive: $(nproc) cores shared with the client" \
     "(bench/http/loadgen, 1 thread), agentmemd --threads ${THREADS:-?} --access-log off" \
     "${AGENTMEMD_ARGS:+$AGENTMEMD_ARGS }(SQLite on $FS)," \
     "${DURATION}s runs after ${WARMUP}s" \
     "warm-up, median of $RUNS; load average $LOAD_BEFORE before, $LOAD_AFTER after."
echo
echo "| request | concurrency | req/s | p50 | p99 | req/s vs ceiling |"
echo "|---|---:|---:|---:|---:|---:|"
for c in $CONCURRENCY; do
    ceil=$(median ceiling "$c" 3)
    for name in libmicrohttpd ceiling CreateEvent ListEvents; do
        rps=$(median "$name" "$c" 3)
        label=$name
        case $name in
            libmicrohttpd) label="(libmicrohttpd alone, static reply: mhd_floor)" ;;
            ceiling) label="ceiling: GET /_agentmem/health" ;;
            CreateEvent) label="CreateEvent (~310 B body, new clientToken)" ;;
            ListEvents) label="ListEvents (page of 20 of 1,000 events)" ;;
        esac
        printf '| %s | %s | %.0f | %s | %s | %.3f |\n' "$label" "$c" "$rps" \
            "$(us "$(median "$name" "$c" 4)")" "$(us "$(median "$name" "$c" 5)")" \
            "$(awk -v a="$rps" -v b="$ceil" 'BEGIN { print (b > 0 ? a / b : 0) }')"
    done
done
echo
echo "For scale (/work/shared/CEILINGS.md: minimal C servers, this machine class, quiet, wrk" \
     "-t1 -c32): libmicrohttpd ~136k req/s for a 40-byte GET, ~80k req/s for a 1 KiB JSON" \
     "POST parsed with jansson; SQLite WAL one row per transaction, synchronous=FULL ~10k" \
     "rows/s. The libmicrohttpd row above is that first setup, measured in this run."
