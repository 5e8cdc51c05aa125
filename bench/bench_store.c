/*
 * bench_store.c - the engine's hot paths against a raw SQLite baseline, in one run.
 *
 *   build/bench_store [DIR] [SECONDS]
 *
 * 1. Appends per second through am_event_create with 1 and 8 writer threads.
 * 2. The baseline: a raw SQLite loop inserting the same rows into a table with the same
 *    index, one transaction per row, WAL and synchronous=FULL (the same durability: every
 *    acknowledged row survives a crash), with 1 thread and with 8 threads each on its own
 *    connection.
 * 3. ListEvents latency (first page of 20, newest first) on sessions of 10, 1,000 and
 *    100,000 events: p50 and p99 over many calls.
 * The machine is shared and noisy: compare the ratios, not the absolute numbers.
 */
#include "agentmem.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const int64_t T0 = 1767225600000;
static const char *TEXT =
    "Let's snapshot prod-cluster first, then restore it into the serverless workgroup "
    "analytics-wg in us-east-2 with 128 RPUs.";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct worker {
    am_db *db;
    const char *mem;
    const char *path;
    int id;
    double until;
    long n;
};

static void *append_main(void *p)
{
    struct worker *w = p;
    char session[32];
    snprintf(session, sizeof session, "bench-%d", w->id);
    am_payload pl = {.kind = AM_PAYLOAD_CONVERSATIONAL, .role = AM_ROLE_USER, .text = TEXT};
    while (now_s() < w->until) {
        am_event_in in = {.memory_id = w->mem, .actor_id = "alice", .session_id = session,
                          .timestamp_ms = T0 + w->n, .payload = &pl, .n_payload = 1};
        if (am_event_create(w->db, &in, NULL) == AM_OK)
            w->n++;
    }
    return NULL;
}

static void *raw_main(void *p)
{
    struct worker *w = p;
    sqlite3 *h = NULL;
    sqlite3_stmt *s = NULL;
    char session[32];
    snprintf(session, sizeof session, "raw-%d", w->id);
    sqlite3_open(w->path, &h);
    sqlite3_busy_timeout(h, 10000);
    sqlite3_exec(h, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    sqlite3_prepare_v2(h,
                       "INSERT INTO events (memory_id, actor_id, session_id, event_id, ts_ms, "
                       "payload, created_ms) VALUES ('m', 'alice', ?, ?, ?, ?, ?)",
                       -1, &s, NULL);
    char payload[512], id[64];
    snprintf(payload, sizeof payload,
             "[{\"conversational\":{\"content\":{\"text\":\"%s\"},\"role\":\"USER\"}}]", TEXT);
    while (now_s() < w->until) {
        snprintf(id, sizeof id, "%019lld#%08lx", (long long)(T0 + w->n), (long)w->n);
        sqlite3_bind_text(s, 1, session, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, T0 + w->n);
        sqlite3_bind_text(s, 4, payload, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, T0);
        if (sqlite3_step(s) == SQLITE_DONE)   /* autocommit: one transaction per row */
            w->n++;
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    sqlite3_close(h);
    return NULL;
}

static double run_threads(void *(*fn)(void *), int n, am_db *db, const char *mem,
                          const char *path, double secs)
{
    pthread_t t[64];
    struct worker w[64];
    double start = now_s();
    for (int i = 0; i < n; i++) {
        w[i] = (struct worker){db, mem, path, i, start + secs, 0};
        pthread_create(&t[i], NULL, fn, &w[i]);
    }
    long total = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        total += w[i].n;
    }
    return (double)total / (now_s() - start);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct fill {
    am_db *db;
    const char *mem, *session;
    long from, to;
};

static void *fill_main(void *p)
{
    struct fill *f = p;
    am_payload pl = {.kind = AM_PAYLOAD_CONVERSATIONAL, .role = AM_ROLE_USER, .text = TEXT};
    for (long i = f->from; i < f->to; i++) {
        am_event_in in = {.memory_id = f->mem, .actor_id = "alice", .session_id = f->session,
                          .timestamp_ms = T0 + i, .payload = &pl, .n_payload = 1};
        am_event_create(f->db, &in, NULL);
    }
    return NULL;
}

static void list_latency(am_db *db, const char *mem, long size)
{
    char session[32];
    snprintf(session, sizeof session, "list-%ld", size);
    pthread_t t[16];
    struct fill f[16];
    for (int i = 0; i < 16; i++) {
        f[i] = (struct fill){db, mem, session, size * i / 16, size * (i + 1) / 16};
        pthread_create(&t[i], NULL, fill_main, &f[i]);
    }
    for (int i = 0; i < 16; i++)
        pthread_join(t[i], NULL);
    enum { N = 2000 };
    static double lat[N];
    for (int i = 0; i < N; i++) {
        am_event_query q = {.memory_id = mem, .actor_id = "alice", .session_id = session,
                            .include_payloads = true, .max_results = 20};
        am_events *e = NULL;
        double t0 = now_s();
        if (am_event_list(db, &q, &e) != AM_OK || e->n != (size_t)(size < 20 ? size : 20))
            fprintf(stderr, "list failed: %s\n", am_errmsg(db));
        lat[i] = (now_s() - t0) * 1e6;
        am_events_free(e);
    }
    qsort(lat, N, sizeof lat[0], cmp_double);
    printf("| ListEvents, session of %7ld events, page of 20 | p50 %6.1f us | p99 %6.1f us |\n",
           size, lat[N / 2], lat[N * 99 / 100]);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    double secs = argc > 2 ? atof(argv[2]) : 3.0;
    char path[512], raw[512];
    snprintf(path, sizeof path, "%s/bench-store-%d.db", dir, (int)getpid());
    snprintf(raw, sizeof raw, "%s/bench-raw-%d.db", dir, (int)getpid());
    setenv("AGENTMEM_LOG_LEVEL", "warn", 0);

    am_db *db = NULL;
    if (am_open(path, AM_OPEN_NOPURGE, &db)) {
        fprintf(stderr, "open: %s\n", am_errmsg(NULL));
        return 1;
    }
    am_memory_in min = {.name = "Bench", .event_expiry_days = 0,
                        .strategies_json = "[{\"semanticMemoryStrategy\":{\"name\":\"F\"}}]"};
    am_memories *m = NULL;
    am_memory_create(db, &min, &m);
    char mem[128];
    snprintf(mem, sizeof mem, "%s", m->items[0].id);
    am_memories_free(m);

    sqlite3 *h = NULL;
    sqlite3_open(raw, &h);
    sqlite3_exec(h,
                 "PRAGMA journal_mode=WAL; CREATE TABLE events (seq INTEGER PRIMARY KEY, "
                 "memory_id TEXT, actor_id TEXT, session_id TEXT, event_id TEXT, ts_ms INTEGER,"
                 " payload TEXT, created_ms INTEGER); CREATE INDEX ev ON events(memory_id, "
                 "actor_id, session_id, ts_ms, seq);", NULL, NULL, NULL);
    sqlite3_close(h);

    printf("agentmem bench_store: %.1f s per measurement, files in %s\n\n", secs, dir);
    printf("| measurement | result | vs raw SQLite |\n|---|---|---|\n");
    double raw1 = run_threads(raw_main, 1, NULL, NULL, raw, secs);
    double am1 = run_threads(append_main, 1, db, mem, NULL, secs);
    double raw8 = run_threads(raw_main, 8, NULL, NULL, raw, secs);
    double am8 = run_threads(append_main, 8, db, mem, NULL, secs);
    printf("| raw SQLite insert, 1 thread (WAL, FULL, 1 row/txn) | %8.0f rows/s | 1.00 |\n",
           raw1);
    printf("| am_event_create, 1 thread | %8.0f events/s | %.2f |\n", am1, am1 / raw1);
    printf("| raw SQLite insert, 8 threads (own connections) | %8.0f rows/s | 1.00 |\n", raw8);
    printf("| am_event_create, 8 threads (group commit) | %8.0f events/s | %.2f |\n\n", am8,
           am8 / raw8);
    printf("| measurement | p50 | p99 |\n|---|---|---|\n");
    list_latency(db, mem, 10);
    list_latency(db, mem, 1000);
    list_latency(db, mem, 100000);
    am_close(db);
    unlink(path);
    unlink(raw);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-wal", raw);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", raw);
    unlink(side);
    return 0;
}
