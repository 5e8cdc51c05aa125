/*
 * test_durability.c - crash safety and concurrency of the SQLite store.
 *
 * The crash test forks a writer that appends events from 4 threads and reports each
 * acknowledged event id through a pipe, kills it with SIGKILL at a random moment, then
 * reopens the file: every acknowledged event must be there and the integrity check clean.
 */
#include "helpers.h"

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const int64_t T0 = 1767225600000;

struct crash_writer {
    am_db *db;
    const char *mem;
    int fd;
    int thread;
};

static void *crash_writer_main(void *p)
{
    struct crash_writer *w = p;
    char id[64], session[16], line[96];
    snprintf(session, sizeof session, "t%d", w->thread);
    for (int i = 0;; i++) {
        if (th_event(w->db, w->mem, "alice", session, T0 + i, "durable?", id) != AM_OK)
            continue;
        int n = snprintf(line, sizeof line, "%s %s\n", session, id);
        if (write(w->fd, line, (size_t)n) != n)   /* PIPE_BUF-sized lines are atomic */
            _exit(3);
    }
    return NULL;
}

static void check_integrity(const char *path)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *s = NULL;
    if (th_is_pg())             /* PostgreSQL checks its own pages; nothing to ask here */
        return;
    ASSERT_EQ(sqlite3_open(path, &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    ASSERT_STR_EQ((const char *)sqlite3_column_text(s, 0), "ok");
    sqlite3_finalize(s);
    sqlite3_close(h);
}

TEST_T(crash_kill9_keeps_acknowledged_events, 120)
{
    char mem[128];
    am_db *db = th_open();
    th_memory(db, "Crash", 30, mem);
    am_close(db);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());

    for (int round = 0; round < 5; round++) {
        int fds[2];
        ASSERT_EQ(pipe(fds), 0);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            am_db *cdb = NULL;
            if (am_open(th_store(), AM_OPEN_NOPURGE, &cdb))
                _exit(2);
            pthread_t t[4];
            struct crash_writer w[4];
            for (int i = 0; i < 4; i++) {
                w[i] = (struct crash_writer){cdb, mem, fds[1], round * 4 + i};
                pthread_create(&t[i], NULL, crash_writer_main, &w[i]);
            }
            pause();
            _exit(0);
        }
        close(fds[1]);
        FILE *f = fdopen(fds[0], "r");
        char session[16], id[64], first[96];
        /* wait for the first acknowledgement (slow under valgrind), then let it write on */
        ASSERT_NOT_NULL(fgets(first, sizeof first, f));
        usleep(50000 + (useconds_t)(rand() % 250000));    /* 50..300 ms of writes */
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        ASSERT(WIFSIGNALED(status));

        int acked = 1;
        ASSERT_OK(am_open(th_store(), AM_OPEN_NOPURGE, &db));
        ASSERT_EQ(sscanf(first, "%15s %63s", session, id), 2);
        am_events *e0 = NULL;
        if (am_event_get(db, mem, "alice", session, id, &e0))
            TEST_FAIL_("round %d: first acknowledged event %s lost", round, id);
        am_events_free(e0);
        while (fscanf(f, "%15s %63s", session, id) == 2) {
            am_events *e = NULL;
            int rc = am_event_get(db, mem, "alice", session, id, &e);
            if (rc)
                TEST_FAIL_("round %d: acknowledged event %s/%s lost: %s", round, session, id,
                           am_errmsg(db));
            am_events_free(e);
            acked++;
        }
        fclose(f);
        am_close(db);
        check_integrity(th_store());
    }
}

struct rw_arg {
    am_db *db;
    const char *mem;
    int id;
    int n;
    int errors;
};

static void *rw_writer(void *p)
{
    struct rw_arg *a = p;
    char session[16];
    snprintf(session, sizeof session, "w%d", a->id);
    for (int i = 0; i < a->n; i++)
        if (th_event(a->db, a->mem, "alice", session, T0 + i, "concurrent", NULL))
            a->errors++;
    return NULL;
}

static void *rw_reader(void *p)
{
    struct rw_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        am_event_query q = {.memory_id = a->mem, .actor_id = "alice", .session_id = "w0",
                            .max_results = 10, .include_payloads = true};
        am_events *e = NULL;
        am_sessions *s = NULL;
        if (am_event_list(a->db, &q, &e) || am_session_list(a->db, a->mem, NULL, true, 50,
                                                            NULL, &s))
            a->errors++;
        am_events_free(e);
        am_sessions_free(s);
    }
    return NULL;
}

TEST(concurrent_writers_and_readers)
{
    am_db *db = th_open();
    char mem[128];
    th_memory(db, "Conc", 30, mem);
    pthread_t t[12];
    struct rw_arg a[12];
    for (int i = 0; i < 12; i++) {
        a[i] = (struct rw_arg){db, mem, i, 200, 0};
        pthread_create(&t[i], NULL, i < 8 ? rw_writer : rw_reader, &a[i]);
    }
    for (int i = 0; i < 12; i++) {
        pthread_join(t[i], NULL);
        ASSERT_EQ(a[i].errors, 0);
    }
    am_sessions *s = NULL;
    ASSERT_OK(am_session_list(db, mem, "alice", false, 100, NULL, &s));
    ASSERT_EQ(s->n, 8);
    for (size_t i = 0; i < s->n; i++)
        ASSERT_EQ(s->items[i].n_events, 200);
    am_sessions_free(s);
    am_close(db);
    check_integrity(th_store());
}

/* am_check: a sound store says "ok"; a damaged one names the damage. */
TEST(durability_check_reports_damage)
{
    am_db *db = th_open();
    char mem[128], *report = NULL, *id = NULL;
    th_memory(db, "Check", 0, mem);
    am_record_in r = {.memory_id = mem, .text = "prod-cluster runs 4 nodes",
                      .namespace_ = "/facts/ops", .timestamp_ms = 1700000000000};
    ASSERT_OK(am_record_create(db, &r, &id));
    ASSERT_OK(am_check(db, &report));
    ASSERT_STR_EQ(report, "ok");
    am_free(report);
    if (th_is_pg()) {
        th_exec("UPDATE records SET superseded_by = 'mem-gone'");
        ASSERT_OK(am_check(db, &report));
        ASSERT_STR_CONTAINS(report, "1 records point at a missing successor");
    } else {
        /* an index entry for a row that is not in the table */
        th_exec("INSERT INTO records_fts(rowid, text) VALUES (424242, 'ghost entry')");
        ASSERT_OK(am_check(db, &report));
        ASSERT_STR_CONTAINS(report, "records_fts");
    }
    am_free(report);
    am_free(id);
    ASSERT_EQ(am_check(db, NULL), AM_EINVAL);
    am_close(db);
}
