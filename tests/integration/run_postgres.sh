#!/usr/bin/env bash
# tests/integration/run_postgres.sh BUILD_DIR - the engine's unit tests and the boto3 suite
# again, on a throwaway PostgreSQL cluster (SQLite's permutations, STYLE.md section 9.3).
#
# initdb into a temp dir, pg_ctl start on a free loopback port (socket in the temp dir), as
# the postgres user when run as root; then
#   AGENTMEM_TEST_STORE=postgres://...  BUILD_DIR/unit-tests       (a database per test)
#   AGENTMEM_TEST_DB_URI=postgres://... tests/integration/run.py    (a database per store)
# and stop the cluster. The last line is "postgres: N passed, N failed" for tests/run.
# Without PostgreSQL's server binaries it says so and counts nothing.
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "postgres: no build dir $1"; echo "postgres: 0 passed, 1 failed"; exit 1; }
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || ! command -v psql >/dev/null; then
    echo "postgres: skipped: no PostgreSQL server (apt-get install -y postgresql)"
    echo "postgres: 0 passed, 0 failed"
    exit 0
fi

tmp=$(mktemp -d /tmp/agentmem-pg.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then          # initdb refuses root
    id postgres >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin postgres
    chown postgres "$tmp"
    as_pg=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URI="postgres://agentmem@127.0.0.1:$port/postgres"

stop() {
    "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
# a watchdog in its own session stops the cluster if this script is killed outright
# (SIGKILL, or a kill of the whole process group), so no postgres outlives the run
setsid bash -c 'while kill -0 '$$' 2>/dev/null; do sleep 2; done
    [ -d "$2/data" ] && $1 "$3/pg_ctl" -D "$2/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$2"' watchdog "${as_pg[*]}" "$tmp" "$PGBIN" </dev/null >/dev/null 2>&1 &

# fsync=off: a throwaway cluster that never crashes; the server keeps synchronous_commit on
if ! (cd "$tmp" && "${as_pg[@]}" "$PGBIN/initdb" -D "$tmp/data" -U agentmem -A trust -E UTF8 \
        --locale=C --no-sync >"$tmp/initdb.log" 2>&1) ||
   ! (cd "$tmp" && "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -o \
        "-p $port -k $tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" \
        start >/dev/null); then
    cat "$tmp/initdb.log" "$tmp/server.log" 2>/dev/null | tail -n 20
    echo "postgres: cannot start a cluster"
    echo "postgres: 0 passed, 1 failed"
    exit 1
fi
echo "postgres: cluster on $URI"

pass=0
fail=0
# add_counts PREFIX LOG: adds the last "PREFIX: N passed, N failed" line of LOG
add_counts() {
    local line
    line=$(grep -E "^$1: [0-9]+ passed, [0-9]+ failed" "$2" | tail -n 1)
    if [ -z "$line" ]; then
        fail=$((fail + 1))
        return
    fi
    pass=$((pass + $(echo "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/')))
    fail=$((fail + $(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
}

echo "== postgres unit: AGENTMEM_TEST_STORE=$URI $BUILD/unit-tests"
AGENTMEM_TEST_STORE="$URI" "$BUILD/unit-tests" 2>&1 | tee "$tmp/unit.log" | grep -E '^(FAILED|  |unit:)'
add_counts unit "$tmp/unit.log"

echo "== postgres integration: AGENTMEM_TEST_DB_URI=$URI tests/integration/run.py"
AGENTMEM_TEST_DB_URI="$URI" python3 tests/integration/run.py --bin "$BUILD/agentmemd" 2>&1 |
    tee "$tmp/it.log" | grep -E '^(FAILED|integration:)'
add_counts integration "$tmp/it.log"

if [ "$fail" -gt 0 ]; then
    # the failures themselves (the lines above were filtered), then the server's log
    grep -E -A30 '^(ERROR|FAIL): ' "$tmp/it.log" | head -n 300
    tail -n 30 "$tmp/server.log"
fi
echo "postgres: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
