#!/usr/bin/env bash
# run_fuzz.sh BUILD - replay every fuzz target over its corpus (tests/fuzz/corpus/<name>/):
# each input once, through $BUILD/fuzz/replay_<name>. Under `make SAN=1` that is AddressSanitizer
# and UBSan on every stored input. Prints "fuzz: N passed, N failed", one per target.
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
pass=0
fail=0
for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    name=${name#fuzz_}
    bin="$BUILD/fuzz/replay_$name"
    if [ ! -x "$bin" ]; then
        echo "fuzz: $bin is not built (run make)"
        fail=$((fail + 1))
        continue
    fi
    if out=$("$bin" "tests/fuzz/corpus/$name" 2>&1); then
        echo "ok     fuzz_$name: $(echo "$out" | grep -E '^replay:' | tail -n 1)"
        pass=$((pass + 1))
    else
        echo "$out" | tail -n 30
        echo "FAILED fuzz_$name"
        fail=$((fail + 1))
    fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
