/*
 * conn.c - connections, the pool, transactions and the error boundary.
 *
 * The pool keeps up to MAX_IDLE idle connections; a connection that failed at the socket
 * level is closed rather than pooled. SQLSTATE classes are translated here and nowhere
 * else: 23505 -> AM_ECONFLICT, 40001/40P01 -> AM_EBUSY (write ops retry first), 08xxx and a
 * broken connection -> AM_EUNAVAIL.
 *
 * Several servers may share the database. The core keeps record vectors cached until
 * db->write_gen moves; a trigger NOTIFYs am_records on every change to records, and each
 * op first reads (without a round trip) what the LISTEN connection received, so a write
 * through another server invalidates this server's cache too.
 */
#include "store/postgres/pg.h"

#include "util/arena.h"
#include "util/log.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_IDLE    16
#define NOTIFY_CHANNEL "am_records"
#define MAX_RETRIES 8

struct am_store {
    char *uri;
    bool readonly;
    pthread_mutex_t lock;
    struct am_pg_conn *idle[MAX_IDLE];
    int n_idle;
    /* LISTEN am_records: other servers' record writes invalidate this one's caches */
    pthread_mutex_t nlock;
    struct am_pg_conn *listener;
    int64_t listen_retry_ms;
};

void am_pg_text(struct am_pgp *p, const char *v)
{
    if (p->n >= AM_PG_MAXP)          /* callers check; the server then reports the gap */
        return;
    p->v[p->n] = v;
    p->len[p->n] = 0;
    p->fmt[p->n] = 0;
    p->n++;
}

void am_pg_int(struct am_pgp *p, int64_t v)
{
    if (p->n >= AM_PG_MAXP)
        return;
    snprintf(p->num[p->n], sizeof p->num[0], "%" PRId64, v);
    am_pg_text(p, p->num[p->n]);
}

void am_pg_bool(struct am_pgp *p, bool v)
{
    am_pg_text(p, v ? "t" : "f");
}

void am_pg_blob(struct am_pgp *p, const void *v, int len)
{
    if (p->n >= AM_PG_MAXP)
        return;
    p->v[p->n] = v;
    p->len[p->n] = v ? len : 0;
    p->fmt[p->n] = v ? 1 : 0;
    p->n++;
}

int am_pg_fail(am_db *db, struct am_pg_conn *c, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : NULL;
    char clean[400];

    if (!msg || !*msg)
        msg = c && c->h ? PQerrorMessage(c->h) : "no connection";
    snprintf(clean, sizeof clean, "%s", msg);
    for (char *p = clean; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    am_log(AM_LOG_WARN, "postgres", "%s: %s (%s)", what, clean, state ? state : "-");
    if (!c || !c->h || PQstatus(c->h) != CONNECTION_OK || (state && strncmp(state, "08", 2) == 0))
        return am_error(db, AM_EUNAVAIL, "%s: the database is unavailable: %s", what, clean);
    if (!state)
        return am_error(db, AM_EIO, "%s: %s", what, clean);
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
        strcmp(state, "55P03") == 0)
        return am_error(db, AM_EBUSY, "%s: database is busy, retry", what);
    if (strcmp(state, "23505") == 0)
        return am_error(db, AM_ECONFLICT, "%s: %s", what, clean);
    if (strcmp(state, "53200") == 0)
        return am_error(db, AM_ENOMEM, "%s: out of memory", what);
    if (strncmp(state, "57P", 3) == 0 || strcmp(state, "53300") == 0)
        return am_error(db, AM_EUNAVAIL, "%s: the database is unavailable: %s", what, clean);
    if (strcmp(state, "25006") == 0)
        return am_error(db, AM_EIO, "%s: the database is read-only", what);
    return am_error(db, AM_EIO, "%s: %s", what, clean);
}

/* The prepared statement for sql on c (its name in name), or false to run it unprepared. */
static int prepared(am_db *db, struct am_pg_conn *c, const char *sql, const struct am_pgp *p,
                    const char *what, char name[16], bool *out_ok)
{
    *out_ok = false;
    for (int i = 0; i < c->n_cache; i++)
        if (c->cache[i] == sql) {
            snprintf(name, 16, "s%d", i);
            *out_ok = true;
            return AM_OK;
        }
    if (c->n_cache == AM_PG_CACHE)
        return AM_OK;                /* full: run it unprepared */
    snprintf(name, 16, "s%d", c->n_cache);
    PGresult *r = PQprepare(c->h, name, sql, p ? p->n : 0, NULL);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
        int rc = am_pg_fail(db, c, r, what);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    c->cache[c->n_cache++] = sql;
    *out_ok = true;
    return AM_OK;
}

static int run(am_db *db, struct am_pg_conn *c, const char *sql, const struct am_pgp *p,
               const char *what, PGresult **out, int64_t *out_changes, bool cache)
{
    PGresult *r;
    char name[16];
    bool ok = false;

    if (out)
        *out = NULL;
    if (cache) {
        int rc = prepared(db, c, sql, p, what, name, &ok);
        if (rc)
            return rc;
    }
    if (ok)
        r = PQexecPrepared(c->h, name, p ? p->n : 0, p ? p->v : NULL, p ? p->len : NULL,
                           p ? p->fmt : NULL, 0);
    else
        r = PQexecParams(c->h, sql, p ? p->n : 0, NULL, p ? p->v : NULL, p ? p->len : NULL,
                         p ? p->fmt : NULL, 0);
    ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        int rc = am_pg_fail(db, c, r, what);
        PQclear(r);
        return rc;
    }
    if (out_changes) {
        const char *n = PQcmdTuples(r);
        *out_changes = n && *n ? strtoll(n, NULL, 10) : 0;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return AM_OK;
}

int am_pg_query(am_db *db, struct am_pg_conn *c, const char *sql, const struct am_pgp *p,
                const char *what, PGresult **out, int64_t *out_changes)
{
    return run(db, c, sql, p, what, out, out_changes, true);
}

int am_pg_query_once(am_db *db, struct am_pg_conn *c, const char *sql, const struct am_pgp *p,
                     const char *what, PGresult **out, int64_t *out_changes)
{
    return run(db, c, sql, p, what, out, out_changes, false);
}

int am_pg_exec(am_db *db, struct am_pg_conn *c, const char *sql)
{
    /* the simple protocol: sql may hold several statements (migrations) */
    PGresult *r = PQexec(c->h, sql);
    ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int rc = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK ? AM_OK : am_pg_fail(db, c, r, sql);
    PQclear(r);
    return rc;
}

char *am_pg_dup(struct am_arena *a, const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    return am_arena_strndup(a, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

int64_t am_pg_i64(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

char *am_pg_strdup(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

static void notice_quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;               /* "relation already exists, skipping" and the like */
}

static void conn_free(struct am_pg_conn *c)
{
    if (!c)
        return;
    if (c->h)
        PQfinish(c->h);
    free(c);
}

static int conn_open(am_db *db, struct am_store *st, struct am_pg_conn **out)
{
    struct am_pg_conn *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return am_error(db, AM_ENOMEM, "out of memory");
    c->h = PQconnectdb(st->uri);
    if (!c->h || PQstatus(c->h) != CONNECTION_OK) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s", c->h ? PQerrorMessage(c->h) : "out of memory");
        for (char *p = msg; *p; p++)
            if (*p == '\n' || *p == '\r' || *p == '\t')
                *p = ' ';
        conn_free(c);
        return am_error(db, AM_EUNAVAIL, "cannot connect to PostgreSQL: %s", msg);
    }
    PQsetNoticeProcessor(c->h, notice_quiet, NULL);
    int rc = am_pg_exec(db, c, "SET synchronous_commit = on; SET client_min_messages = warning;"
                               " SET TIME ZONE 'UTC'; SET client_encoding = 'UTF8'");
    if (rc) {
        conn_free(c);
        return rc;
    }
    *out = c;
    return AM_OK;
}

/* A connection from the pool (or a new one) inside a transaction begun with begin_sql. A
   pooled connection whose server went away (restart, failover) fails its BEGIN; it is
   dropped and a fresh connection tried once, so callers see AM_EUNAVAIL only when the
   database itself is unreachable. */
static int conn_begin(am_db *db, struct am_store *st, const char *begin_sql,
                      struct am_pg_conn **out)
{
    struct am_pg_conn *c = NULL;
    int rc;

    *out = NULL;
    pthread_mutex_lock(&st->lock);
    if (st->n_idle > 0)
        c = st->idle[--st->n_idle];
    pthread_mutex_unlock(&st->lock);
    if (c) {
        if (PQstatus(c->h) == CONNECTION_OK && am_pg_exec(db, c, begin_sql) == AM_OK) {
            *out = c;
            return AM_OK;
        }
        am_log(AM_LOG_WARN, "postgres", "dropping a broken pooled connection");
        conn_free(c);
    }
    rc = conn_open(db, st, &c);
    if (!rc)
        rc = am_pg_exec(db, c, begin_sql);
    if (rc) {
        conn_free(c);
        return rc;
    }
    *out = c;
    return AM_OK;
}

static void conn_put(struct am_store *st, struct am_pg_conn *c)
{
    if (!c)
        return;
    if (PQstatus(c->h) != CONNECTION_OK || PQtransactionStatus(c->h) != PQTRANS_IDLE) {
        conn_free(c);
        return;
    }
    pthread_mutex_lock(&st->lock);
    if (st->n_idle < MAX_IDLE) {
        st->idle[st->n_idle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&st->lock);
    conn_free(c);
}

/* (Re)open the listener connection; false when the database is unreachable. */
static bool listen_open(am_db *db, struct am_store *st)
{
    struct am_errstate e;
    bool ok;

    am_error_save(&e);
    conn_free(st->listener);
    st->listener = NULL;
    ok = conn_open(db, st, &st->listener) == AM_OK &&
         am_pg_exec(db, st->listener, "LISTEN " NOTIFY_CHANNEL) == AM_OK &&
         PQsetnonblocking(st->listener->h, 1) == 0;
    if (!ok) {
        conn_free(st->listener);
        st->listener = NULL;
    }
    am_error_restore(&e);
    return ok;
}

/* Before each op: when a change to records was committed since the last look, bump
   db->write_gen so that the core's vector cache rereads its scope. Only what already
   arrived on the listener's socket is read. A lost listener is reopened at most once a
   second, and its return counts as a change (notifications may have been missed). */
static void poll_changes(am_db *db, struct am_store *st)
{
    bool changed = false;

    if (pthread_mutex_trylock(&st->nlock) != 0)
        return;                      /* another thread is looking right now */
    if (st->listener && PQconsumeInput(st->listener->h) == 1) {
        PGnotify *n;
        while ((n = PQnotifies(st->listener->h))) {
            changed = true;
            PQfreemem(n);
        }
    } else if (am_now_ms() >= st->listen_retry_ms) {
        st->listen_retry_ms = am_now_ms() + 1000;
        if (st->listener)
            am_log(AM_LOG_WARN, "postgres", "change listener lost, reconnecting");
        changed = listen_open(db, st);
    }
    pthread_mutex_unlock(&st->nlock);
    if (changed)
        db->write_gen++;
}

int am_pg_open(am_db *db, const char *uri, unsigned flags, struct am_store **out)
{
    struct am_store *st = calloc(1, sizeof *st);
    struct am_pg_conn *c = NULL;
    int rc;

    *out = NULL;
    if (!st)
        return am_error(db, AM_ENOMEM, "out of memory");
    pthread_mutex_init(&st->lock, NULL);
    pthread_mutex_init(&st->nlock, NULL);
    st->readonly = (flags & AM_OPEN_READONLY) != 0;
    st->uri = strdup(uri);
    if (!st->uri) {
        rc = am_error(db, AM_ENOMEM, "out of memory");
        goto out;
    }
    rc = conn_open(db, st, &c);
    if (rc)
        goto out;
    if (!st->readonly) {
        rc = am_pg_migrate(db, c);
        if (rc)
            goto out;
    }
    conn_put(st, c);
    c = NULL;
    listen_open(db, st);             /* retried later if it fails */
    *out = st;
    st = NULL;
out:
    conn_free(c);
    if (st)
        am_pg_close(st);
    return rc;
}

void am_pg_close(struct am_store *st)
{
    if (!st)
        return;
    for (int i = 0; i < st->n_idle; i++)
        conn_free(st->idle[i]);
    conn_free(st->listener);
    pthread_mutex_destroy(&st->nlock);
    pthread_mutex_destroy(&st->lock);
    free(st->uri);
    free(st);
}

static void backoff(int attempt)
{
    struct timespec ts = {0, (long)(1 + (rand() % 5) * (attempt + 1)) * 2000000L};
    nanosleep(&ts, NULL);
}

int am_pg_write(am_db *db, struct am_store *st, am_pg_fn fn, void *arg)
{
    struct am_pg_conn *c = NULL;
    int rc;

    if (st->readonly)
        return am_error(db, AM_EINVAL, "the database was opened read-only");
    poll_changes(db, st);
    for (int attempt = 0;; attempt++) {
        rc = conn_begin(db, st, "BEGIN", &c);
        if (rc)
            return rc;
        rc = fn(db, c, arg);
        if (!rc)
            rc = am_pg_exec(db, c, "COMMIT");
        if (rc) {
            struct am_errstate e;
            am_error_save(&e);
            PQclear(PQexec(c->h, "ROLLBACK"));
            am_error_restore(&e);
        } else {
            db->write_gen++;         /* invalidates caches of what the store holds */
        }
        conn_put(st, c);
        c = NULL;
        /* 40001/40P01: nothing was written, run the whole op again */
        if (rc != AM_EBUSY || attempt >= MAX_RETRIES)
            break;
        am_log(AM_LOG_WARN, "postgres", "write conflict, retry %d", attempt + 1);
        backoff(attempt);
    }
    return rc;
}

int am_pg_read(am_db *db, struct am_store *st, am_pg_fn fn, void *arg)
{
    struct am_pg_conn *c = NULL;
    poll_changes(db, st);
    int rc = conn_begin(db, st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", &c);
    if (rc)
        return rc;
    rc = fn(db, c, arg);
    struct am_errstate e;
    am_error_save(&e);
    PQclear(PQexec(c->h, rc ? "ROLLBACK" : "COMMIT"));
    am_error_restore(&e);
    conn_put(st, c);
    return rc;
}
