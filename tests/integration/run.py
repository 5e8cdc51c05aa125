#!/usr/bin/env python3
"""run.py - run agentmemd's integration tests (boto3 against a real agentmemd).

    python3 tests/integration/run.py [--bin build/agentmemd] [-v] [PATTERN...]

Runs every tests/integration/test_*.py with unittest (PATTERN selects modules, classes or
tests whose id contains it), prints one line per failure, then a final line
"integration: N passed, N failed" and exits 1 when anything failed.
"""
import argparse
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", help="agentmemd binary (default build/agentmemd)")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("patterns", nargs="*")
    args = ap.parse_args()
    if args.bin:
        os.environ["AGENTMEM_BIN"] = os.path.abspath(args.bin)
    sys.path.insert(0, HERE)
    import harness
    if not os.access(harness.binary(), os.X_OK):
        print("integration: %s is not built (run make)" % harness.binary())
        print("integration: 0 passed, 1 failed")
        return 1

    loader = unittest.TestLoader()
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    if args.patterns:
        keep = unittest.TestSuite()
        for t in iter_tests(suite):
            if any(p in t.id() for p in args.patterns):
                keep.addTest(t)
        suite = keep
    start = time.time()
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=2 if args.verbose else 1)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - len(result.failures) - len(result.errors) - len(result.skipped)
    for t, _ in result.failures + result.errors:
        print("FAILED %s" % t.id())
    print("integration: %d skipped, %.1fs" % (len(result.skipped), time.time() - start))
    print("integration: %d passed, %d failed" % (passed, failed))
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
