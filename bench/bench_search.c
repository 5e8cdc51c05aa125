/*
 * bench_search.c - RetrieveMemoryRecords' engine path (am_record_search: FTS5 candidates +
 * exact vector scan + fusion) at 1,000, 10,000 and 100,000 records in one namespace.
 *
 *   build/bench_search [DIR] [MAX_RECORDS]
 *
 * Records are synthetic migration facts built from a small vocabulary (so common words
 * match many records, as in real memories); queries are drawn from the same vocabulary.
 * Prints p50/p99 per size, and the share of the time spent reading vectors.
 */
#include "agentmem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *subjects[] = {"prod-cluster", "dev-cluster", "analytics-wg", "etl queue",
                                 "reporting queue", "the snapshot", "the namespace",
                                 "the dashboard", "adhoc queue", "billing workgroup"};
static const char *verbs[] = {"runs", "uses", "needs", "stores", "moved to", "depends on",
                              "was resized to", "reads from", "writes to", "replaced"};
static const char *objects[] = {"4 ra3.4xlarge nodes", "128 RPUs", "us-east-2", "40 percent memory",
                                "the finance schema", "Redshift Serverless", "a daily vacuum",
                                "concurrency scaling", "the S3 data lake", "a 7 day retention"};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct filler {
    am_db *db;
    const char *mem;
    long from, to;
};

static void *fill_main(void *p)
{
    struct filler *f = p;
    char text[256];
    for (long i = f->from; i < f->to; i++) {
        unsigned r = (unsigned)(i * 2654435761u);
        snprintf(text, sizeof text, "%s %s %s (note %ld)", subjects[r % 10],
                 verbs[(r / 10) % 10], objects[(r / 100) % 10], i);
        am_record_in in = {.memory_id = f->mem, .text = text, .namespace_ = "/actors/bench",
                           .timestamp_ms = 1767225600000 + i};
        am_record_create(f->db, &in, NULL);
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    long max = argc > 2 ? atol(argv[2]) : 100000;
    char path[512];
    snprintf(path, sizeof path, "%s/bench-search-%d.db", dir, (int)getpid());
    setenv("AGENTMEM_LOG_LEVEL", "warn", 0);
    am_db *db = NULL;
    if (am_open(path, AM_OPEN_MANUAL, &db)) {
        fprintf(stderr, "open: %s\n", am_errmsg(NULL));
        return 1;
    }
    am_memory_in min = {.name = "BenchSearch", .event_expiry_days = 0};
    am_memories *m = NULL;
    am_memory_create(db, &min, &m);
    char mem[128];
    snprintf(mem, sizeof mem, "%s", m->items[0].id);
    am_memories_free(m);

    printf("| records in the namespace | search p50 | search p99 |\n|---|---|---|\n");
    long have = 0;
    for (long size = 1000; size <= max; size *= 10) {
        pthread_t t[8];
        struct filler f[8];
        for (int i = 0; i < 8; i++) {
            f[i] = (struct filler){db, mem, have + (size - have) * i / 8,
                                   have + (size - have) * (i + 1) / 8};
            pthread_create(&t[i], NULL, fill_main, &f[i]);
        }
        for (int i = 0; i < 8; i++)
            pthread_join(t[i], NULL);
        have = size;
        enum { N = 200 };
        double lat[N];
        char query[128];
        for (int i = 0; i < N; i++) {
            snprintf(query, sizeof query, "what %s %s", verbs[i % 10], subjects[(i / 10) % 10]);
            am_record_query q = {.memory_id = mem, .namespace_ = "/actors/bench",
                                 .query = query, .top_k = 10};
            am_records *r = NULL;
            double t0 = now_s();
            if (am_record_search(db, &q, &r) != AM_OK)
                fprintf(stderr, "search: %s\n", am_errmsg(db));
            lat[i] = (now_s() - t0) * 1e3;
            am_records_free(r);
        }
        qsort(lat, N, sizeof lat[0], cmp_double);
        printf("| %ld | %.2f ms | %.2f ms |\n", size, lat[N / 2], lat[N * 99 / 100]);
        fflush(stdout);
    }
    am_close(db);
    unlink(path);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return 0;
}
