/*
 * fuzz.h - what every fuzz target of tests/fuzz/ defines: libFuzzer's entry point.
 *
 * Built two ways (Makefile):
 *   make fuzz       clang -fsanitize=fuzzer,address,undefined into build-fuzz/fuzz_<name>,
 *                   to search for new inputs (make fuzz-run FUZZ_SECONDS=60);
 *   make test       with the normal compiler and replay.c as main, into
 *                   $(BUILD)/fuzz/replay_<name>, which feeds every file of
 *                   tests/fuzz/corpus/<name>/ to the target once (tests/integration/run_fuzz.sh).
 */
#ifndef AM_TEST_FUZZ_H
#define AM_TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
