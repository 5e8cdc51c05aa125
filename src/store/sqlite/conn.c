/*
 * conn.c - connections, statement cache, group commit.
 *
 * Group commit: a writer appends its op to a queue. If no leader is running, it becomes the
 * leader: it takes the whole queue, runs every op in one transaction (each inside its own
 * SAVEPOINT, so one failing op rolls back alone), commits once (one WAL flush) and wakes
 * the waiters. Writers arriving meanwhile queue up for the next batch. Under load a single
 * fdatasync acknowledges many writes; alone, a writer pays exactly one.
 */
#include "store/sqlite/sqlite.h"

#include "util/arena.h"
#include "util/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_READERS 64

struct wop {
    am_sqlite_fn fn;
    void *arg;
    int rc;
    bool done;
    struct am_errstate err;
    struct wop *next;
};

struct am_store {
    char *path;
    bool readonly;
    /* writers */
    pthread_mutex_t wlock;
    pthread_cond_t wdone;
    struct wop *head, *tail;
    bool leader;
    struct am_conn writer;
    /* readers */
    pthread_mutex_t rlock;
    struct am_conn *idle[MAX_READERS];
    int n_idle;
};

void am_sqlite_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

char *am_sqlite_col_dup(struct am_arena *a, sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    if (!t)
        return NULL;
    return am_arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(s, i));
}

int am_sqlite_fail(am_db *db, struct am_conn *c, int src, const char *what)
{
    const char *msg = c && c->h ? sqlite3_errmsg(c->h) : sqlite3_errstr(src);
    int prim = src & 0xff;
    am_log(AM_LOG_WARN, "sqlite", "%s: %s (%d)", what, msg, src);
    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        return am_error(db, AM_EBUSY, "%s: database is busy, retry", what);
    if (prim == SQLITE_CONSTRAINT)
        return am_error(db, AM_ECONFLICT, "%s: %s", what, msg);
    if (prim == SQLITE_NOMEM)
        return am_error(db, AM_ENOMEM, "%s: out of memory", what);
    if (prim == SQLITE_READONLY)
        return am_error(db, AM_EIO, "%s: the database is read-only", what);
    return am_error(db, AM_EIO, "%s: %s", what, msg);
}

sqlite3_stmt *am_sqlite_stmt(am_db *db, struct am_conn *c, const char *sql)
{
    for (int i = 0; i < c->n_cache; i++)
        if (c->cache[i].sql == sql) {
            sqlite3_reset(c->cache[i].stmt);
            sqlite3_clear_bindings(c->cache[i].stmt);
            return c->cache[i].stmt;
        }
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
    if (src != SQLITE_OK) {
        am_sqlite_fail(db, c, src, "prepare");
        return NULL;
    }
    if (c->n_cache < AM_SQLITE_CACHE) {
        c->cache[c->n_cache].sql = sql;
        c->cache[c->n_cache].stmt = s;
        c->n_cache++;
    } else {
        /* cache full: evict the oldest entry */
        sqlite3_finalize(c->cache[0].stmt);
        memmove(&c->cache[0], &c->cache[1], sizeof c->cache[0] * (AM_SQLITE_CACHE - 1));
        c->cache[AM_SQLITE_CACHE - 1].sql = sql;
        c->cache[AM_SQLITE_CACHE - 1].stmt = s;
    }
    return s;
}

int am_sqlite_exec(am_db *db, struct am_conn *c, const char *sql)
{
    int src = sqlite3_exec(c->h, sql, NULL, NULL, NULL);
    return src == SQLITE_OK ? AM_OK : am_sqlite_fail(db, c, src, sql);
}

static void conn_close(struct am_conn *c)
{
    if (!c || !c->h)
        return;
    for (int i = 0; i < c->n_cache; i++)
        sqlite3_finalize(c->cache[i].stmt);
    c->n_cache = 0;
    sqlite3_close(c->h);
    c->h = NULL;
}

static int conn_open(am_db *db, struct am_store *st, struct am_conn *c, bool writer)
{
    int oflags = SQLITE_OPEN_NOMUTEX;
    oflags |= st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    memset(c, 0, sizeof *c);
    int src = sqlite3_open_v2(st->path, &c->h, oflags, NULL);
    if (src != SQLITE_OK) {
        int rc = am_error(db, AM_EIO, "cannot open database %s: %s", st->path,
                          c->h ? sqlite3_errmsg(c->h) : sqlite3_errstr(src));
        conn_close(c);
        return rc;
    }
    sqlite3_busy_timeout(c->h, 10000);
    sqlite3_extended_result_codes(c->h, 1);
    int rc = am_sqlite_exec(db, c,
                            "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;"
                            "PRAGMA cache_size=-16384; PRAGMA temp_store=MEMORY;");
    if (!rc && writer && !st->readonly)
        rc = am_sqlite_exec(db, c, "PRAGMA journal_mode=WAL;");
    if (rc)
        conn_close(c);
    return rc;
}

int am_sqlite_open(am_db *db, const char *path, unsigned flags, struct am_store **out)
{
    struct am_store *st = calloc(1, sizeof *st);
    int rc;

    *out = NULL;
    if (!st)
        return am_error(db, AM_ENOMEM, "out of memory");
    st->path = strdup(path);
    st->readonly = (flags & AM_OPEN_READONLY) != 0;
    pthread_mutex_init(&st->wlock, NULL);
    pthread_cond_init(&st->wdone, NULL);
    pthread_mutex_init(&st->rlock, NULL);
    if (!st->path) {
        rc = am_error(db, AM_ENOMEM, "out of memory");
        goto out;
    }
    rc = conn_open(db, st, &st->writer, true);
    if (rc)
        goto out;
    if (!st->readonly) {
        rc = am_sqlite_migrate(db, &st->writer);
        if (rc)
            goto out;
        /* nobody else uses the file: a RUNNING job is one that died with its process */
        if ((flags & AM_OPEN_EXCLUSIVE) &&
            (rc = am_sqlite_exec(db, &st->writer,
                                 "UPDATE jobs SET status = 'RETRYING', run_after_ms = 0 "
                                 "WHERE status = 'RUNNING'")))
            goto out;
    }
    *out = st;
    st = NULL;
out:
    if (st)
        am_sqlite_close(st);
    return rc;
}

void am_sqlite_close(struct am_store *st)
{
    if (!st)
        return;
    pthread_mutex_lock(&st->wlock);           /* wait for a running batch */
    while (st->leader)
        pthread_cond_wait(&st->wdone, &st->wlock);
    pthread_mutex_unlock(&st->wlock);
    for (int i = 0; i < st->n_idle; i++) {
        conn_close(st->idle[i]);
        free(st->idle[i]);
    }
    if (st->writer.h && !st->readonly)
        sqlite3_exec(st->writer.h, "PRAGMA optimize;", NULL, NULL, NULL);
    conn_close(&st->writer);
    pthread_mutex_destroy(&st->wlock);
    pthread_cond_destroy(&st->wdone);
    pthread_mutex_destroy(&st->rlock);
    free(st->path);
    free(st);
}

/* Run a batch of ops in one transaction on the writer connection. */
static void run_batch(am_db *db, struct am_store *st, struct wop *batch)
{
    struct am_conn *c = &st->writer;
    int rc = am_sqlite_exec(db, c, "BEGIN IMMEDIATE");
    struct am_errstate begin_err;

    if (rc) {
        am_error_save(&begin_err);
        for (struct wop *o = batch; o; o = o->next) {
            o->rc = rc;
            o->err = begin_err;
        }
        return;
    }
    for (struct wop *o = batch; o; o = o->next) {
        am_error_clear();
        if (o->next || o != batch)
            sqlite3_exec(c->h, "SAVEPOINT op", NULL, NULL, NULL);
        o->rc = o->fn(db, c, o->arg);
        am_error_save(&o->err);
        if (o->next || o != batch) {
            if (o->rc)
                sqlite3_exec(c->h, "ROLLBACK TO op", NULL, NULL, NULL);
            sqlite3_exec(c->h, "RELEASE op", NULL, NULL, NULL);
        } else if (o->rc) {
            /* a batch of one: roll the whole transaction back */
            sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
            return;
        }
    }
    rc = am_sqlite_exec(db, c, "COMMIT");
    if (rc) {
        struct am_errstate e;
        am_error_save(&e);
        sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
        for (struct wop *o = batch; o; o = o->next)
            if (o->rc == AM_OK) {
                o->rc = rc;
                o->err = e;
            }
    }
}

int am_sqlite_write(am_db *db, struct am_store *st, am_sqlite_fn fn, void *arg)
{
    struct wop op = {.fn = fn, .arg = arg};

    if (st->readonly)
        return am_error(db, AM_EINVAL, "the database was opened read-only");
    pthread_mutex_lock(&st->wlock);
    if (st->tail)
        st->tail->next = &op;
    else
        st->head = &op;
    st->tail = &op;
    while (!op.done) {
        if (!st->leader) {
            struct wop *batch = st->head;
            st->head = st->tail = NULL;
            st->leader = true;
            pthread_mutex_unlock(&st->wlock);
            run_batch(db, st, batch);
            db->write_gen++;          /* invalidates caches of what the store holds */
            pthread_mutex_lock(&st->wlock);
            for (struct wop *o = batch, *next; o; o = next) {
                next = o->next;      /* o may be gone once done is set */
                o->done = true;
            }
            st->leader = false;
            pthread_cond_broadcast(&st->wdone);
        } else {
            pthread_cond_wait(&st->wdone, &st->wlock);
        }
    }
    pthread_mutex_unlock(&st->wlock);
    am_error_restore(&op.err);
    return op.rc;
}

int am_sqlite_read(am_db *db, struct am_store *st, am_sqlite_fn fn, void *arg)
{
    struct am_conn *c = NULL;
    int rc;

    pthread_mutex_lock(&st->rlock);
    if (st->n_idle > 0)
        c = st->idle[--st->n_idle];
    pthread_mutex_unlock(&st->rlock);
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c)
            return am_error(db, AM_ENOMEM, "out of memory");
        rc = conn_open(db, st, c, false);
        if (rc) {
            free(c);
            return rc;
        }
    }
    rc = am_sqlite_exec(db, c, "BEGIN");
    if (!rc) {
        rc = fn(db, c, arg);
        struct am_errstate e;
        am_error_save(&e);
        sqlite3_exec(c->h, "COMMIT", NULL, NULL, NULL);
        am_error_restore(&e);
    }
    pthread_mutex_lock(&st->rlock);
    if (st->n_idle < MAX_READERS) {
        st->idle[st->n_idle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&st->rlock);
    if (c) {
        conn_close(c);
        free(c);
    }
    return rc;
}

/* ---- consistency check (am_check) ---- */

struct check_ctx {
    char *out;
    size_t cap, len;
    int problems;
};

static void check_add(struct check_ctx *x, const char *what, const char *line)
{
    if (strcmp(line, "ok") == 0)
        return;
    int n = snprintf(x->out + x->len, x->cap - x->len, "%s%s: %s", x->problems ? "\n" : "",
                     what, line);
    if (n > 0 && (size_t)n < x->cap - x->len)
        x->len += (size_t)n;
    x->problems++;
}

static int check_fn(am_db *db, struct am_conn *c, void *arg)
{
    struct check_ctx *x = arg;
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(c->h, "PRAGMA quick_check(20)", -1, &s, NULL);
    if (src == SQLITE_OK)
        while ((src = sqlite3_step(s)) == SQLITE_ROW) {
            const unsigned char *t = sqlite3_column_text(s, 0);
            check_add(x, "quick_check", t ? (const char *)t : "?");
        }
    sqlite3_finalize(s);
    if (src != SQLITE_DONE)
        return am_sqlite_fail(db, c, src, "quick_check");
    /* FTS5's own check compares each index with its content (read-only: it writes nothing) */
    static const char *const fts[] = {"records_fts", "events_fts"};
    for (size_t i = 0; i < sizeof fts / sizeof fts[0]; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO %s(%s, rank) VALUES('integrity-check', 1)", fts[i],
                 fts[i]);
        if (sqlite3_exec(c->h, sql, NULL, NULL, NULL) != SQLITE_OK)
            check_add(x, fts[i], sqlite3_errmsg(c->h));
    }
    return AM_OK;
}

int am_sqlite_check(am_db *db, struct am_store *st, char *out, size_t cap)
{
    struct check_ctx x = {out, cap, 0, 0};
    out[0] = '\0';
    int rc = am_sqlite_write(db, st, check_fn, &x);
    if (!rc && !x.problems)
        snprintf(out, cap, "ok");
    return rc;
}
