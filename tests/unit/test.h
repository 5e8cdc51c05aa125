/*
 * test.h - the unit test framework (after libuv's test/task.h).
 *
 * A test is `TEST(name) { ... }` in any tests/unit/test_*.c file; the runner (runner.c) finds
 * it through a constructor that registers it, runs each test in a forked child with a
 * timeout, and prints "N passed, N failed" at the end.
 *   build/unit-tests              run all
 *   build/unit-tests event_       run the tests whose name starts with "event_"
 *   build/unit-tests -n NAME      run one test in-process (for gdb and valgrind)
 * ASSERT_* print the expression and both values, then fail the test.
 * test_tmpdir() is a fresh directory per test, removed after it passes.
 */
#ifndef AM_TEST_H
#define AM_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn, int timeout_s);
const char *test_tmpdir(void);
/* A path inside test_tmpdir(); returns a static buffer per call slot (4 slots rotate). */
const char *test_path(const char *name);

#define TEST_T(name, timeout)                                                   \
    static void test_##name(void);                                              \
    __attribute__((constructor)) static void test_reg_##name(void)              \
    {                                                                           \
        test_register(#name, test_##name, timeout);                             \
    }                                                                           \
    static void test_##name(void)
#define TEST(name) TEST_T(name, 60)

#define TEST_FAIL_(...)                                                         \
    do {                                                                        \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                         \
        fprintf(stderr, __VA_ARGS__);                                           \
        fputc('\n', stderr);                                                    \
        abort();                                                                \
    } while (0)

#define ASSERT(e)                                                               \
    do { if (!(e)) TEST_FAIL_("assertion failed: %s", #e); } while (0)
#define ASSERT_INT_(a, op, b)                                                   \
    do {                                                                        \
        long long a_ = (long long)(a), b_ = (long long)(b);                     \
        if (!(a_ op b_))                                                        \
            TEST_FAIL_("%s %s %s: %lld vs %lld", #a, #op, #b, a_, b_);          \
    } while (0)
#define ASSERT_EQ(a, b) ASSERT_INT_(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_INT_(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_INT_(a, <, b)
#define ASSERT_LE(a, b) ASSERT_INT_(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_INT_(a, >, b)
#define ASSERT_GE(a, b) ASSERT_INT_(a, >=, b)
#define ASSERT_OK(rc) ASSERT_EQ(rc, 0)
#define ASSERT_NULL(p) do { if ((p) != NULL) TEST_FAIL_("%s is not NULL", #p); } while (0)
#define ASSERT_NOT_NULL(p) do { if ((p) == NULL) TEST_FAIL_("%s is NULL", #p); } while (0)
#define ASSERT_STR_EQ(a, b)                                                     \
    do {                                                                        \
        const char *a_ = (a), *b_ = (b);                                        \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                  \
            TEST_FAIL_("%s == %s: \"%s\" vs \"%s\"", #a, #b, a_ ? a_ : "(null)", \
                       b_ ? b_ : "(null)");                                     \
    } while (0)
#define ASSERT_STR_CONTAINS(hay, needle)                                        \
    do {                                                                        \
        const char *h_ = (hay), *n_ = (needle);                                 \
        if (!h_ || !strstr(h_, n_))                                             \
            TEST_FAIL_("%s does not contain \"%s\": \"%s\"", #hay, n_,          \
                       h_ ? h_ : "(null)");                                     \
    } while (0)

#endif
