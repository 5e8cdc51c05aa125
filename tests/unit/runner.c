/*
 * runner.c - runs the unit tests registered with TEST(); see test.h.
 */
#include "test.h"

#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct test_entry {
    const char *name;
    test_fn fn;
    int timeout_s;
};

static struct test_entry tests[1024];
static int n_tests;
static char tmpdir[256];

void test_register(const char *name, test_fn fn, int timeout_s)
{
    if (n_tests < (int)(sizeof tests / sizeof tests[0]))
        tests[n_tests++] = (struct test_entry){name, fn, timeout_s};
}

const char *test_tmpdir(void)
{
    return tmpdir;
}

const char *test_path(const char *name)
{
    static char bufs[4][512];
    static int slot;
    char *b = bufs[slot++ & 3];
    snprintf(b, 512, "%s/%s", tmpdir, name);
    return b;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct test_entry *)a)->name, ((const struct test_entry *)b)->name);
}

static void make_tmpdir(const char *name)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/am-unit-%s-%d", base, name, (int)getpid());
    mkdir(tmpdir, 0700);
}

static void remove_tmpdir(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", tmpdir);
}

/* Run one test in a child; returns true when it passed. */
static bool run_forked(const struct test_entry *t)
{
    pid_t pid = fork();
    if (pid == 0) {
        make_tmpdir(t->name);
        alarm((unsigned)t->timeout_s);
        t->fn();
        remove_tmpdir();
        exit(0);        /* not _exit: LeakSanitizer checks at exit */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    if (WIFSIGNALED(status))
        fprintf(stderr, "  %s: killed by signal %d%s\n", t->name, WTERMSIG(status),
                WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
    return false;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;

    setenv("AGENTMEM_LOG_LEVEL", "warn", 0);
    qsort(tests, (size_t)n_tests, sizeof tests[0], cmp_entry);
    if (argc == 3 && strcmp(argv[1], "-n") == 0) {
        for (int i = 0; i < n_tests; i++)
            if (strcmp(tests[i].name, argv[2]) == 0) {
                make_tmpdir(tests[i].name);
                tests[i].fn();
                remove_tmpdir();
                printf("ok %s\n", tests[i].name);
                return 0;
            }
        fprintf(stderr, "no test named %s\n", argv[2]);
        return 2;
    }
    for (int i = 0; i < n_tests; i++) {
        const char *name = tests[i].name;
        bool selected = argc < 2;
        for (int a = 1; a < argc && !selected; a++)
            selected = strncmp(name, argv[a], strlen(argv[a])) == 0;
        if (!selected)
            continue;
        fflush(stdout);
        if (run_forked(&tests[i])) {
            printf("ok     %s\n", name);
            passed++;
        } else {
            printf("FAILED %s\n", name);
            failed++;
        }
    }
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
