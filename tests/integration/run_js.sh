#!/usr/bin/env bash
# tests/integration/run_js.sh BUILD_DIR - agentmemd driven by the AWS SDK for JavaScript v3.
# Installs the pinned SDK (npm ci, from package-lock.json) when needed, runs node --test, and
# prints "js: N passed, N failed".
set -u
cd "$(dirname "$0")/js"
BUILD=${1:-build}
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "js: node is not installed; skipped"
    echo "js: 0 passed, 0 failed"
    exit 0
fi
if [ ! -d node_modules ]; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 || {
        echo "js: npm ci failed (is the npm registry reachable?)"
        echo "js: 0 passed, 1 failed"
        exit 1
    }
fi
out=$(AGENTMEM_BIN="$(cd ../../.. && pwd)/$BUILD/agentmemd" node --test 2>&1)
rc=$?
echo "$out" | grep -vE '^# (tests|suites|cancelled|skipped|todo|duration_ms)'
pass=$(echo "$out" | sed -n 's/^# pass \([0-9]*\)/\1/p')
failn=$(echo "$out" | sed -n 's/^# fail \([0-9]*\)/\1/p')
echo "js: ${pass:-0} passed, ${failn:-1} failed"
exit $rc
