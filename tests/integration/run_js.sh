#!/usr/bin/env bash
# tests/integration/run_js.sh [BUILD_DIR] - agentmemd driven by the AWS SDK for JavaScript v3.
#
# Installs the SDK pinned by tests/integration/js/package-lock.json (npm ci, the only network
# access; again whenever the lock file is newer than the install), runs js/*.test.mjs with
# node's own test runner against BUILD_DIR/agentmemd (default build), and ends with the line
# "js: N passed, N failed" that tests/run adds up; exits 1 when anything failed. Without node
# or npm (or with a node older than the SDK's minimum, 20) it reports 0 and 0 and exits 0.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case $BUILD in
    /*) ;;
    *) BUILD=$ROOT/$BUILD ;;
esac
JS=$ROOT/tests/integration/js

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "js: 0 passed, 0 failed (node not installed)"
    exit 0
fi
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
    echo "js: 0 passed, 0 failed (node $(node --version) is older than 20, the SDK's minimum)"
    exit 0
fi
if [ ! -x "$BUILD/agentmemd" ]; then
    echo "js: $BUILD/agentmemd is not built (run make)"
    echo "js: 0 passed, 1 failed"
    exit 1
fi

cd "$JS" || exit 1
export NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_AUDIT=false NPM_CONFIG_FUND=false
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "js: npm ci (package-lock.json)"
    if ! npm ci --no-audit --no-fund --loglevel=error; then
        echo "js: npm ci failed (is the npm registry reachable?)"
        echo "js: 0 passed, 1 failed"
        exit 1
    fi
fi

tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
# The SDK warns once per process that its releases after January 2027 will need node 22;
# node 20 is within the pinned versions' "engines", so the notice is noise here.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
export AGENTMEM_BIN=$BUILD/agentmemd
# spec for people, TAP for the counts
timeout 600 node --test \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" \
    ./*.test.mjs
rc=$?
count() { sed -n "s/^# $1 \([0-9][0-9]*\)\$/\1/p" "$tap" | tail -n 1; }
pass=$(count pass)
fail=$(count fail)
cancelled=$(count cancelled)
if [ -z "$pass" ] || [ -z "$fail" ]; then
    echo "js: node --test ended with status $rc and no summary"
    echo "js: ${pass:-0} passed, $(( ${fail:-0} + 1 )) failed"
    exit 1
fi
fail=$((fail + ${cancelled:-0}))
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
    fail=1                      # e.g. a failing after() hook: agentmemd did not exit 0
    echo "js: node --test ended with status $rc"
fi
echo "js: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
