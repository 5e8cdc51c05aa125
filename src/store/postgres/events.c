/*
 * events.c - the PostgreSQL side of events, sessions and actors.
 *
 * As in SQLite, the sessions table is a summary kept in step with events on every insert
 * and delete, and expired events are hidden by comparing their storage time (created_ms)
 * with the memory's expiry. A clientToken holds across servers: the unique index
 * events_by_token arbitrates, the insert is ON CONFLICT DO NOTHING, and the loser re-reads
 * the winner's event.
 */
#include "store/postgres/pg.h"

#include "core/events.h"
#include "core/result.h"
#include "core/validate.h"
#include "util/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

/* The oldest storage time still visible in a memory, or ENOTFOUND. */
int am_pg_visible_since(am_db *db, struct am_pg_conn *c, const char *memory_id, int64_t now_ms,
                        int64_t *out_min)
{
    static const char sql[] = "SELECT expiry_days FROM memories WHERE id = $1";
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_text(&p, memory_id);
    int rc = am_pg_query(db, c, sql, &p, "read memory", &s, NULL);
    if (rc)
        return rc;
    if (PQntuples(s) == 0) {
        PQclear(s);
        return am_error(db, AM_ENOTFOUND, "Memory %s not found", memory_id);
    }
    int64_t days = am_pg_i64(s, 0, 0);
    PQclear(s);
    *out_min = days > 0 ? now_ms - days * DAY_MS : INT64_MIN;
    return AM_OK;
}

#define EVENT_COLS "memory_id, actor_id, session_id, event_id, ts_ms, branch, root_event_id, " \
                   "payload, metadata, seq"

/* Fill e from row i of a result selected with EVENT_COLS. */
static int row_to_event(am_db *db, struct am_arena *a, const PGresult *s, int i, bool payloads,
                        am_event *e)
{
    e->memory_id = am_pg_dup(a, s, i, 0);
    e->actor_id = am_pg_dup(a, s, i, 1);
    e->session_id = am_pg_dup(a, s, i, 2);
    e->event_id = am_pg_dup(a, s, i, 3);
    e->timestamp_ms = am_pg_i64(s, i, 4);
    e->branch_name = am_pg_dup(a, s, i, 5);
    e->branch_root_event_id = am_pg_dup(a, s, i, 6);
    if (!e->memory_id || !e->actor_id || !e->session_id || !e->event_id)
        return am_error(db, AM_ENOMEM, "out of memory");
    int rc = AM_OK;
    if (payloads)
        rc = am_payload_from_json(db, a, PQgetvalue(s, i, 7), &e->payload, &e->n_payload);
    if (!rc)
        rc = am_metadata_from_json(db, a, PQgetisnull(s, i, 8) ? NULL : PQgetvalue(s, i, 8),
                                   &e->metadata, &e->n_metadata);
    return rc;
}

/* Rows of s (EVENT_COLS) into a new am_events. */
static int collect_events(am_db *db, const PGresult *s, size_t cap, bool payloads,
                          am_events **out)
{
    am_events *r = am_events_new(cap ? cap : 1);
    int rc = r ? AM_OK : am_error(db, AM_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < PQntuples(s) && r->n < cap; i++)
        rc = row_to_event(db, am_result_arena(r->priv), s, i, payloads, &r->items[r->n++]);
    if (rc) {
        am_events_free(r);
        return rc;
    }
    *out = r;
    return AM_OK;
}

static int event_by_seq(am_db *db, struct am_pg_conn *c, int64_t seq, am_events **out)
{
    static const char sql[] = "SELECT " EVENT_COLS " FROM events WHERE seq = $1";
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_int(&p, seq);
    int rc = am_pg_query(db, c, sql, &p, "read event", &s, NULL);
    if (rc)
        return rc;
    if (PQntuples(s) != 1) {
        PQclear(s);
        return AM_BUG(db, "event vanished");
    }
    rc = collect_events(db, s, 1, true, out);
    PQclear(s);
    return rc;
}

struct root_ctx {
    const char *memory_id, *actor_id, *session_id, *branch;
    char **out;
};

static int root_fn(am_db *db, struct am_pg_conn *c, void *arg);

struct insert_ctx {
    const struct am_event_row *row;
    am_events **out;
};

/* The event holding in->client_token: replay it (same content) or ECONFLICT. *found is
   false when there is none. */
static int replay(am_db *db, struct am_pg_conn *c, struct insert_ctx *x, const char *memory_id,
                  bool *found)
{
    static const char q[] =
        "SELECT seq, fingerprint FROM events WHERE memory_id = $1 AND client_token = $2";
    const am_event_in *in = x->row->in;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_text(&p, memory_id);
    am_pg_text(&p, in->client_token);
    *found = false;
    int rc = am_pg_query(db, c, q, &p, "read client token", &s, NULL);
    if (rc)
        return rc;
    if (PQntuples(s) == 0) {
        PQclear(s);
        return AM_OK;
    }
    *found = true;
    int64_t seq = am_pg_i64(s, 0, 0);
    bool same = !PQgetisnull(s, 0, 1) && strcmp(PQgetvalue(s, 0, 1), x->row->fingerprint) == 0;
    PQclear(s);
    if (!same)
        return am_error_field(db, AM_ECONFLICT, "clientToken",
                              "clientToken %s was already used for a different event",
                              in->client_token);
    return x->out ? event_by_seq(db, c, seq, x->out) : AM_OK;
}

static int insert_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    struct insert_ctx *x = arg;
    const struct am_event_row *row = x->row;
    const am_event_in *in = row->in;
    const char *memory_id = am_memory_id_of(in->memory_id);
    int64_t min_created;
    bool found;
    int rc;

    if (x->out && *x->out) {         /* a retried transaction: start afresh */
        am_events_free(*x->out);
        *x->out = NULL;
    }
    rc = am_pg_visible_since(db, c, memory_id, row->created_ms, &min_created);
    if (rc)
        return rc;
    if (in->client_token) {
        rc = replay(db, c, x, memory_id, &found);
        if (rc || found)
            return rc;
    }
    if (in->branch_root_event_id) {
        static const char q[] =
            "SELECT 1 FROM events WHERE memory_id = $1 AND event_id = $2 AND actor_id = $3 "
            "AND session_id = $4";
        struct am_pgp p = {0};
        PGresult *s = NULL;
        am_pg_text(&p, memory_id);
        am_pg_text(&p, in->branch_root_event_id);
        am_pg_text(&p, in->actor_id);
        am_pg_text(&p, row->session_id);
        rc = am_pg_query(db, c, q, &p, "read root event", &s, NULL);
        if (rc)
            return rc;
        int n = PQntuples(s);
        PQclear(s);
        if (n == 0)
            return am_error_field(db, AM_ENOTFOUND, "branch.rootEventId",
                                  "Root event %s not found in session %s",
                                  in->branch_root_event_id, row->session_id);
    } else if (row->branch_name) {
        char *root = NULL;
        struct root_ctx rx = {memory_id, in->actor_id, row->session_id, row->branch_name, &root};
        rc = root_fn(db, c, &rx);
        if (rc == AM_ENOTFOUND)
            return am_error_field(db, AM_EINVAL, "branch.rootEventId",
                                  "Branch %s does not exist in session %s: give "
                                  "branch.rootEventId to create it", row->branch_name,
                                  row->session_id);
        free(root);
        if (rc)
            return rc;
    }
    static const char ins[] =
        "INSERT INTO events (memory_id, actor_id, session_id, event_id, ts_ms, branch, "
        "root_event_id, payload, metadata, client_token, fingerprint, created_ms, skip_extract)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) ON CONFLICT DO NOTHING "
        "RETURNING " EVENT_COLS;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_text(&p, memory_id);
    am_pg_text(&p, in->actor_id);
    am_pg_text(&p, row->session_id);
    am_pg_text(&p, row->event_id);
    am_pg_int(&p, in->timestamp_ms);
    am_pg_text(&p, row->branch_name);
    am_pg_text(&p, in->branch_root_event_id);
    am_pg_text(&p, row->payload_json);
    am_pg_text(&p, row->metadata_json);
    am_pg_text(&p, in->client_token);
    am_pg_text(&p, row->fingerprint);
    am_pg_int(&p, row->created_ms);
    am_pg_bool(&p, in->skip_extraction);
    rc = am_pg_query(db, c, ins, &p, "insert event", &s, NULL);
    if (rc)
        return rc;
    if (PQntuples(s) == 0) {
        /* another server stored this client token first: the winner's event decides */
        PQclear(s);
        if (in->client_token) {
            rc = replay(db, c, x, memory_id, &found);
            if (rc || found)
                return rc;
        }
        return am_error(db, AM_ECONFLICT, "Event %s already exists", row->event_id);
    }
    int64_t seq = am_pg_i64(s, 0, 9);
    am_events *r = NULL;
    if (x->out && (rc = collect_events(db, s, 1, true, &r))) {   /* the stored row itself */
        PQclear(s);
        return rc;
    }
    PQclear(s);

    static const char up[] =
        "INSERT INTO sessions (memory_id, actor_id, session_id, created_ms, last_ms, "
        "last_write_ms, n_events) VALUES ($1, $2, $3, $4, $4, $5, 1) "
        "ON CONFLICT (memory_id, actor_id, session_id) DO UPDATE SET "
        "created_ms = LEAST(sessions.created_ms, EXCLUDED.created_ms), "
        "last_ms = GREATEST(sessions.last_ms, EXCLUDED.last_ms), "
        "last_write_ms = EXCLUDED.last_write_ms, n_events = sessions.n_events + 1";
    struct am_pgp u = {0};
    am_pg_text(&u, memory_id);
    am_pg_text(&u, in->actor_id);
    am_pg_text(&u, row->session_id);
    am_pg_int(&u, in->timestamp_ms);
    am_pg_int(&u, row->created_ms);
    rc = am_pg_query(db, c, up, &u, "update session", NULL, NULL);
    if (!rc)
        rc = am_pg_enqueue_extraction(db, c, memory_id, in->actor_id, row->session_id, seq,
                                      in->skip_extraction, row->created_ms);
    if (rc) {
        am_events_free(r);
        return rc;
    }
    if (x->out)
        *x->out = r;
    return AM_OK;
}

int am_pg_event_insert(am_db *db, struct am_store *st, const struct am_event_row *row,
                       am_events **out)
{
    struct insert_ctx x = {row, out};
    if (out)
        *out = NULL;
    int rc = am_pg_write(db, st, insert_fn, &x);
    if (rc && out) {                 /* built, then the COMMIT failed */
        am_events_free(*out);
        *out = NULL;
    }
    return rc;
}

struct get_ctx {
    const char *memory_id, *actor_id, *session_id, *event_id;
    int64_t now_ms;
    am_events **out;
    char **out_branch;
    int64_t *out_ts, *out_seq;
};

static int get_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    struct get_ctx *x = arg;
    static const char sql[] =
        "SELECT " EVENT_COLS ", created_ms FROM events WHERE memory_id = $1 AND event_id = $2";
    int64_t min_created;
    int rc = am_pg_visible_since(db, c, x->memory_id, x->now_ms, &min_created);
    if (rc)
        return rc;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_text(&p, x->memory_id);
    am_pg_text(&p, x->event_id);
    rc = am_pg_query(db, c, sql, &p, "read event", &s, NULL);
    if (rc)
        return rc;
    if (PQntuples(s) == 0) {
        PQclear(s);
        return am_error(db, AM_ENOTFOUND, "Event %s not found", x->event_id);
    }
    if (strcmp(PQgetvalue(s, 0, 1), x->actor_id) != 0 ||
        strcmp(PQgetvalue(s, 0, 2), x->session_id) != 0 || am_pg_i64(s, 0, 10) < min_created) {
        PQclear(s);
        return am_error(db, AM_ENOTFOUND, "Event %s not found in session %s of actor %s",
                        x->event_id, x->session_id, x->actor_id);
    }
    if (x->out_ts) {           /* event_locate */
        *x->out_ts = am_pg_i64(s, 0, 4);
        *x->out_seq = am_pg_i64(s, 0, 9);
        bool has = !PQgetisnull(s, 0, 5);
        *x->out_branch = am_pg_strdup(s, 0, 5);
        PQclear(s);
        return has && !*x->out_branch ? am_error(db, AM_ENOMEM, "out of memory") : AM_OK;
    }
    rc = collect_events(db, s, 1, true, x->out);
    PQclear(s);
    return rc;
}

int am_pg_event_get(am_db *db, struct am_store *st, const char *memory_id,
                    const char *actor_id, const char *session_id, const char *event_id,
                    int64_t now_ms, am_events **out)
{
    struct get_ctx x = {memory_id, actor_id, session_id, event_id, now_ms, out, NULL, NULL,
                        NULL};
    *out = NULL;
    return am_pg_read(db, st, get_fn, &x);
}

int am_pg_event_locate(am_db *db, struct am_store *st, const char *memory_id,
                       const char *actor_id, const char *session_id, const char *event_id,
                       char **out_branch, int64_t *out_ts, int64_t *out_seq)
{
    struct get_ctx x = {memory_id, actor_id, session_id, event_id, am_now_ms(), NULL,
                        out_branch, out_ts, out_seq};
    *out_branch = NULL;
    return am_pg_read(db, st, get_fn, &x);
}

/* Recompute a session's summary row after deletions; drop it when it has no events. */
static int refresh_session(am_db *db, struct am_pg_conn *c, const char *memory_id,
                           const char *actor_id, const char *session_id)
{
    static const char sql[] =
        "UPDATE sessions SET (created_ms, last_ms, n_events) = "
        "(SELECT min(ts_ms), max(ts_ms), count(*) FROM events WHERE memory_id = $1 AND "
        " actor_id = $2 AND session_id = $3) "
        "WHERE memory_id = $1 AND actor_id = $2 AND session_id = $3";
    static const char del[] =
        "DELETE FROM sessions WHERE memory_id = $1 AND actor_id = $2 AND session_id = $3 "
        "AND NOT EXISTS (SELECT 1 FROM events WHERE memory_id = $1 AND actor_id = $2 AND "
        "session_id = $3)";
    /* lock the summary first: the recount below then runs in a snapshot taken after any
       concurrent insert into the session committed (READ COMMITTED: one per statement) */
    static const char lock[] =
        "SELECT 1 FROM sessions WHERE memory_id = $1 AND actor_id = $2 AND session_id = $3 "
        "FOR UPDATE";
    const char *const stmts[] = {lock, del, sql};
    for (int i = 0; i < 3; i++) {
        struct am_pgp p = {0};
        am_pg_text(&p, memory_id);
        am_pg_text(&p, actor_id);
        am_pg_text(&p, session_id);
        int rc = am_pg_query(db, c, stmts[i], &p, "update session", NULL, NULL);
        if (rc)
            return rc;
    }
    return AM_OK;
}

static int delete_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    struct get_ctx *x = arg;
    static const char sql[] =
        "DELETE FROM events WHERE memory_id = $1 AND event_id = $2 AND actor_id = $3 AND "
        "session_id = $4 AND created_ms >= $5";
    int64_t min_created, n = 0;
    int rc = am_pg_visible_since(db, c, x->memory_id, x->now_ms, &min_created);
    if (rc)
        return rc;
    struct am_pgp p = {0};
    am_pg_text(&p, x->memory_id);
    am_pg_text(&p, x->event_id);
    am_pg_text(&p, x->actor_id);
    am_pg_text(&p, x->session_id);
    am_pg_int(&p, min_created);
    rc = am_pg_query(db, c, sql, &p, "delete event", NULL, &n);
    if (rc)
        return rc;
    if (n == 0)
        return am_error(db, AM_ENOTFOUND, "Event %s not found in session %s of actor %s",
                        x->event_id, x->session_id, x->actor_id);
    return refresh_session(db, c, x->memory_id, x->actor_id, x->session_id);
}

int am_pg_event_delete(am_db *db, struct am_store *st, const char *memory_id,
                       const char *actor_id, const char *session_id, const char *event_id)
{
    struct get_ctx x = {memory_id, actor_id, session_id, event_id, am_now_ms(), NULL, NULL,
                        NULL, NULL};
    return am_pg_write(db, st, delete_fn, &x);
}

static int root_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    struct root_ctx *x = arg;
    static const char sql[] =
        "SELECT root_event_id FROM events WHERE memory_id = $1 AND actor_id = $2 AND "
        "session_id = $3 AND branch = $4 ORDER BY root_event_id IS NULL, seq LIMIT 1";
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_text(&p, x->memory_id);
    am_pg_text(&p, x->actor_id);
    am_pg_text(&p, x->session_id);
    am_pg_text(&p, x->branch);
    int rc = am_pg_query(db, c, sql, &p, "read branch", &s, NULL);
    if (rc)
        return rc;
    if (PQntuples(s) == 0)
        rc = am_error(db, AM_ENOTFOUND, "Branch %s not found", x->branch);
    else if (!PQgetisnull(s, 0, 0) && !(*x->out = am_pg_strdup(s, 0, 0)))
        rc = am_error(db, AM_ENOMEM, "out of memory");
    PQclear(s);
    return rc;
}

int am_pg_branch_root(am_db *db, struct am_store *st, const char *memory_id,
                      const char *actor_id, const char *session_id, const char *branch,
                      char **out_root)
{
    struct root_ctx x = {memory_id, actor_id, session_id, branch, out_root};
    *out_root = NULL;
    return am_pg_read(db, st, root_fn, &x);
}

struct list_ctx {
    const am_event_query *q;
    const struct am_branch_step *steps;
    size_t n_steps;
    int64_t now_ms;
    const struct am_cursor *cur;
    int limit;
    am_events **out;
    bool *more;
    int64_t *last_ts, *last_seq;
};

static const char list_desc[] =
    "SELECT " EVENT_COLS " FROM events WHERE memory_id = $1 AND actor_id = $2 AND "
    "session_id = $3 AND created_ms >= $4 AND (ts_ms < $5 OR (ts_ms = $5 AND seq < $6)) "
    "ORDER BY ts_ms DESC, seq DESC LIMIT $7";
static const char list_asc[] =
    "SELECT " EVENT_COLS " FROM events WHERE memory_id = $1 AND actor_id = $2 AND "
    "session_id = $3 AND created_ms >= $4 AND (ts_ms > $5 OR (ts_ms = $5 AND seq > $6)) "
    "ORDER BY ts_ms, seq LIMIT $7";

/* Build the SQL for a query with branch or metadata filters. */
static char *list_sql(const struct list_ctx *x)
{
    const am_event_query *q = x->q;
    size_t cap = 1024 + 200 * (x->n_steps + q->n_filters);
    char *sql = malloc(cap);
    if (!sql)
        return NULL;
    const char *base = q->oldest_first ? list_asc : list_desc;
    const char *order = strstr(base, " ORDER BY");
    int n = snprintf(sql, cap, "%.*s", (int)(order - base), base);
    int p = 8;                        /* next parameter number */
    if (x->n_steps) {
        n += snprintf(sql + n, cap - (size_t)n, " AND (");
        for (size_t i = 0; i < x->n_steps; i++) {
            n += snprintf(sql + n, cap - (size_t)n,
                          "%s(branch IS NOT DISTINCT FROM $%d::text AND (ts_ms < $%d::bigint OR "
                          "(ts_ms = $%d::bigint AND seq <= $%d::bigint)))",
                          i ? " OR " : "", p, p + 1, p + 1, p + 2);
            p += 3;
        }
        n += snprintf(sql + n, cap - (size_t)n, ")");
    }
    for (size_t i = 0; i < q->n_filters; i++) {
        switch (q->filters[i].op) {
        case AM_FILTER_EQUALS:
            n += snprintf(sql + n, cap - (size_t)n,
                          " AND (metadata::jsonb ->> $%d::text) = $%d::text", p, p + 1);
            p += 2;
            break;
        case AM_FILTER_EXISTS:
            n += snprintf(sql + n, cap - (size_t)n,
                          " AND (metadata::jsonb ->> $%d::text) IS NOT NULL", p);
            p += 1;
            break;
        default:
            n += snprintf(sql + n, cap - (size_t)n,
                          " AND (metadata::jsonb ->> $%d::text) IS NULL", p);
            p += 1;
            break;
        }
    }
    snprintf(sql + n, cap - (size_t)n, "%s", order);
    return sql;
}

static int list_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    struct list_ctx *x = arg;
    const am_event_query *q = x->q;
    const char *memory_id = am_memory_id_of(q->memory_id);
    bool dynamic = x->n_steps || q->n_filters;
    struct am_pgp *p = NULL;
    PGresult *s = NULL;
    char *sql = NULL;
    am_events *r = NULL;
    int64_t min_created;
    int rc;

    rc = am_pg_visible_since(db, c, memory_id, x->now_ms, &min_created);
    if (rc)
        return rc;
    if (7 + 3 * x->n_steps + 2 * q->n_filters > AM_PG_MAXP)
        return am_error(db, AM_EINVAL, "too many branch steps and metadata filters");
    p = calloc(1, sizeof *p);
    if (!p)
        return am_error(db, AM_ENOMEM, "out of memory");
    if (dynamic && !(sql = list_sql(x))) {
        rc = am_error(db, AM_ENOMEM, "out of memory");
        goto out;
    }
    am_pg_text(p, memory_id);
    am_pg_text(p, q->actor_id);
    am_pg_text(p, q->session_id);
    am_pg_int(p, min_created);
    if (x->cur->set) {
        am_pg_int(p, x->cur->a);
        am_pg_int(p, x->cur->b);
    } else {
        am_pg_int(p, q->oldest_first ? INT64_MIN : INT64_MAX);
        am_pg_int(p, q->oldest_first ? INT64_MIN : INT64_MAX);
    }
    am_pg_int(p, x->limit + 1);
    for (size_t i = 0; i < x->n_steps; i++) {
        am_pg_text(p, x->steps[i].branch);
        am_pg_int(p, x->steps[i].max_ts_ms);
        am_pg_int(p, x->steps[i].max_seq);
    }
    for (size_t i = 0; i < q->n_filters; i++) {
        am_pg_text(p, q->filters[i].key);
        if (q->filters[i].op == AM_FILTER_EQUALS)
            am_pg_text(p, q->filters[i].value);
    }
    if (dynamic)
        rc = am_pg_query_once(db, c, sql, p, "list events", &s, NULL);
    else
        rc = am_pg_query(db, c, q->oldest_first ? list_asc : list_desc, p, "list events", &s,
                         NULL);
    if (rc)
        goto out;
    r = am_events_new((size_t)x->limit);
    if (!r) {
        rc = am_error(db, AM_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < PQntuples(s); i++) {
        if (r->n == (size_t)x->limit) {
            *x->more = true;
            break;
        }
        rc = row_to_event(db, am_result_arena(r->priv), s, i, q->include_payloads,
                          &r->items[r->n]);
        if (rc)
            goto out;
        *x->last_ts = am_pg_i64(s, i, 4);
        *x->last_seq = am_pg_i64(s, i, 9);
        r->n++;
    }
    *x->out = r;
    r = NULL;
out:
    PQclear(s);
    free(sql);
    free(p);
    am_events_free(r);
    return rc;
}

int am_pg_event_list(am_db *db, struct am_store *st, const am_event_query *q,
                     const struct am_branch_step *steps, size_t n_steps, int64_t now_ms,
                     const struct am_cursor *cur, int limit, am_events **out,
                     bool *out_more, int64_t *out_last_ts, int64_t *out_last_seq)
{
    struct list_ctx x = {q, steps, n_steps, now_ms, cur, limit, out, out_more, out_last_ts,
                         out_last_seq};
    *out = NULL;
    *out_more = false;
    return am_pg_read(db, st, list_fn, &x);
}

/* ---- sessions and actors ---- */

struct sess_ctx {
    const char *memory_id, *actor_id, *session_id;
    bool newest_first;
    int64_t now_ms;
    int limit;
    int64_t offset;
    const char *after;
    void *out;
    bool *more;
    int64_t *n1, *n2;
};

static int session_list_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char by_created[] =
        "SELECT actor_id, session_id, created_ms, last_ms, n_events FROM sessions "
        "WHERE memory_id = $1 AND ($2::text IS NULL OR actor_id = $2) AND last_write_ms >= $3 "
        "ORDER BY created_ms, actor_id, session_id LIMIT $4 OFFSET $5";
    static const char by_last[] =
        "SELECT actor_id, session_id, created_ms, last_ms, n_events FROM sessions "
        "WHERE memory_id = $1 AND ($2::text IS NULL OR actor_id = $2) AND last_write_ms >= $3 "
        "ORDER BY last_ms DESC, actor_id, session_id LIMIT $4 OFFSET $5";
    struct sess_ctx *x = arg;
    int64_t min_created;
    int rc = am_pg_visible_since(db, c, x->memory_id, x->now_ms, &min_created);
    if (rc)
        return rc;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_text(&p, x->memory_id);
    am_pg_text(&p, x->actor_id);
    am_pg_int(&p, min_created);
    am_pg_int(&p, x->limit + 1);
    am_pg_int(&p, x->offset);
    rc = am_pg_query(db, c, x->newest_first ? by_last : by_created, &p, "list sessions", &s,
                     NULL);
    if (rc)
        return rc;
    am_sessions *r = am_sessions_new((size_t)x->limit);
    rc = r ? AM_OK : am_error(db, AM_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < PQntuples(s); i++) {
        if (r->n == (size_t)x->limit) {
            *x->more = true;
            break;
        }
        struct am_arena *a = am_result_arena(r->priv);
        am_session *e = &r->items[r->n++];
        e->actor_id = am_pg_dup(a, s, i, 0);
        e->session_id = am_pg_dup(a, s, i, 1);
        e->created_ms = am_pg_i64(s, i, 2);
        e->last_ms = am_pg_i64(s, i, 3);
        e->n_events = am_pg_i64(s, i, 4);
        if (!e->actor_id || !e->session_id)
            rc = am_error(db, AM_ENOMEM, "out of memory");
    }
    PQclear(s);
    if (rc) {
        am_sessions_free(r);
        return rc;
    }
    *(am_sessions **)x->out = r;
    return AM_OK;
}

int am_pg_session_list(am_db *db, struct am_store *st, const char *memory_id,
                       const char *actor_id, bool newest_first, int64_t now_ms, int limit,
                       int64_t offset, am_sessions **out, bool *out_more)
{
    struct sess_ctx x = {.memory_id = memory_id, .actor_id = actor_id,
                         .newest_first = newest_first, .now_ms = now_ms, .limit = limit,
                         .offset = offset, .out = out, .more = out_more};
    *out = NULL;
    *out_more = false;
    return am_pg_read(db, st, session_list_fn, &x);
}

static int actor_list_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    /* COLLATE "C": byte order, as SQLite compares, so the actor cursor pages alike */
    static const char sql[] =
        "SELECT actor_id, count(*), sum(n_events), max(last_ms) FROM sessions "
        "WHERE memory_id = $1 AND last_write_ms >= $2 AND actor_id COLLATE \"C\" > $3 "
        "GROUP BY actor_id ORDER BY actor_id COLLATE \"C\" LIMIT $4";
    struct sess_ctx *x = arg;
    int64_t min_created;
    int rc = am_pg_visible_since(db, c, x->memory_id, x->now_ms, &min_created);
    if (rc)
        return rc;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_text(&p, x->memory_id);
    am_pg_int(&p, min_created);
    am_pg_text(&p, x->after ? x->after : "");
    am_pg_int(&p, x->limit + 1);
    rc = am_pg_query(db, c, sql, &p, "list actors", &s, NULL);
    if (rc)
        return rc;
    am_actors *r = am_actors_new((size_t)x->limit);
    rc = r ? AM_OK : am_error(db, AM_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < PQntuples(s); i++) {
        if (r->n == (size_t)x->limit) {
            *x->more = true;
            break;
        }
        am_actor *e = &r->items[r->n++];
        e->actor_id = am_pg_dup(am_result_arena(r->priv), s, i, 0);
        e->n_sessions = am_pg_i64(s, i, 1);
        e->n_events = am_pg_i64(s, i, 2);
        e->last_ms = am_pg_i64(s, i, 3);
        if (!e->actor_id)
            rc = am_error(db, AM_ENOMEM, "out of memory");
    }
    PQclear(s);
    if (rc) {
        am_actors_free(r);
        return rc;
    }
    *(am_actors **)x->out = r;
    return AM_OK;
}

int am_pg_actor_list(am_db *db, struct am_store *st, const char *memory_id, int64_t now_ms,
                     int limit, const char *after_actor, am_actors **out, bool *out_more)
{
    struct sess_ctx x = {.memory_id = memory_id, .now_ms = now_ms, .limit = limit,
                         .after = after_actor, .out = out, .more = out_more};
    *out = NULL;
    *out_more = false;
    return am_pg_read(db, st, actor_list_fn, &x);
}

/* Run one DELETE with up to three text parameters; adds the changes to *n if given. */
static int run_delete(am_db *db, struct am_pg_conn *c, const char *sql, const char *p1,
                      const char *p2, const char *p3, int64_t *n)
{
    struct am_pgp p = {0};
    int64_t changes = 0;
    am_pg_text(&p, p1);
    if (p2)
        am_pg_text(&p, p2);
    if (p3)
        am_pg_text(&p, p3);
    int rc = am_pg_query(db, c, sql, &p, "delete", NULL, &changes);
    if (!rc && n)
        *n += changes;
    return rc;
}

static int session_delete_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char ev[] =
        "DELETE FROM events WHERE memory_id = $1 AND actor_id = $2 AND session_id = $3";
    static const char rec[] =
        "DELETE FROM records WHERE memory_id = $1 AND actor_id = $2 AND session_id = $3";
    static const char job[] =
        "DELETE FROM jobs WHERE memory_id = $1 AND actor_id = $2 AND session_id = $3";
    static const char ses[] =
        "DELETE FROM sessions WHERE memory_id = $1 AND actor_id = $2 AND session_id = $3";
    struct sess_ctx *x = arg;
    int64_t min_created, n = 0;
    int rc = am_pg_visible_since(db, c, x->memory_id, x->now_ms, &min_created);
    if (rc)
        return rc;
    if ((rc = run_delete(db, c, ev, x->memory_id, x->actor_id, x->session_id, &n)))
        return rc;
    if (n == 0)
        return am_error(db, AM_ENOTFOUND, "Session %s of actor %s not found", x->session_id,
                        x->actor_id);
    if ((rc = run_delete(db, c, rec, x->memory_id, x->actor_id, x->session_id, NULL)) ||
        (rc = run_delete(db, c, job, x->memory_id, x->actor_id, x->session_id, NULL)) ||
        (rc = run_delete(db, c, ses, x->memory_id, x->actor_id, x->session_id, NULL)))
        return rc;
    *x->n1 = n;
    return AM_OK;
}

int am_pg_session_delete(am_db *db, struct am_store *st, const char *memory_id,
                         const char *actor_id, const char *session_id, int64_t *out_n)
{
    struct sess_ctx x = {.memory_id = memory_id, .actor_id = actor_id,
                         .session_id = session_id, .now_ms = am_now_ms(), .n1 = out_n};
    *out_n = 0;
    return am_pg_write(db, st, session_delete_fn, &x);
}

static int actor_forget_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char ev[] = "DELETE FROM events WHERE memory_id = $1 AND actor_id = $2";
    static const char ses[] = "DELETE FROM sessions WHERE memory_id = $1 AND actor_id = $2";
    static const char job[] = "DELETE FROM jobs WHERE memory_id = $1 AND actor_id = $2";
    /* records extracted from the actor, and records filed under a namespace segment that is
       the actor id (e.g. /actors/alice/... written with BatchCreateMemoryRecords) */
    static const char rec[] =
        "DELETE FROM records WHERE memory_id = $1 AND (actor_id = $2 OR "
        "strpos(namespace || '/', '/' || $2 || '/') > 0)";
    struct sess_ctx *x = arg;
    int64_t min_created;
    int rc = am_pg_visible_since(db, c, x->memory_id, x->now_ms, &min_created);
    if (rc)
        return rc;
    *x->n1 = *x->n2 = 0;                 /* a retried transaction counts afresh */
    if ((rc = run_delete(db, c, ev, x->memory_id, x->actor_id, NULL, x->n1)) ||
        (rc = run_delete(db, c, rec, x->memory_id, x->actor_id, NULL, x->n2)) ||
        (rc = run_delete(db, c, ses, x->memory_id, x->actor_id, NULL, NULL)) ||
        (rc = run_delete(db, c, job, x->memory_id, x->actor_id, NULL, NULL)))
        return rc;
    return AM_OK;
}

int am_pg_actor_forget(am_db *db, struct am_store *st, const char *memory_id,
                       const char *actor_id, int64_t *out_events, int64_t *out_records)
{
    struct sess_ctx x = {.memory_id = memory_id, .actor_id = actor_id, .now_ms = am_now_ms(),
                         .n1 = out_events, .n2 = out_records};
    *out_events = *out_records = 0;
    return am_pg_write(db, st, actor_forget_fn, &x);
}

static int purge_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    /* delete, then refresh the summary of every session that lost events */
    static const char sql[] =
        "WITH d AS (DELETE FROM events e USING memories m WHERE m.id = e.memory_id AND "
        "m.expiry_days > 0 AND e.created_ms < $1 - m.expiry_days::bigint * 86400000 "
        "RETURNING e.memory_id, e.actor_id, e.session_id) "
        "SELECT memory_id, actor_id, session_id, count(*) FROM d GROUP BY 1, 2, 3";
    struct sess_ctx *x = arg;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_int(&p, x->now_ms);
    int rc = am_pg_query(db, c, sql, &p, "purge events", &s, NULL);
    if (rc)
        return rc;
    *x->n1 = 0;
    for (int i = 0; !rc && i < PQntuples(s); i++) {
        *x->n1 += am_pg_i64(s, i, 3);
        rc = refresh_session(db, c, PQgetvalue(s, i, 0), PQgetvalue(s, i, 1),
                             PQgetvalue(s, i, 2));
    }
    PQclear(s);
    return rc;
}

int am_pg_purge_expired(am_db *db, struct am_store *st, int64_t now_ms, int64_t *out_n)
{
    struct sess_ctx x = {.now_ms = now_ms, .n1 = out_n};
    *out_n = 0;
    return am_pg_write(db, st, purge_fn, &x);
}

/* ---- verbatim search over events ---- */

struct index_ctx {
    int batch;
    int *out_n;
};

static int index_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    /* SKIP LOCKED: several servers index side by side without waiting for each other.
       The text is cut at 256 KiB: a tsvector holds at most 1 MB, and one event over it
       would stop the indexer for good */
    static const char next[] =
        "SELECT seq, payload FROM events WHERE NOT fts_done ORDER BY seq LIMIT $1 "
        "FOR UPDATE SKIP LOCKED";
    static const char ins[] =
        "INSERT INTO events_fts (seq, tsv) VALUES ($1, to_tsvector('english', left($2, 262144))) "
        "ON CONFLICT (seq) DO UPDATE SET tsv = EXCLUDED.tsv";
    static const char mark[] = "UPDATE events SET fts_done = true WHERE seq = $1";
    struct index_ctx *x = arg;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_int(&p, x->batch);
    int rc = am_pg_query(db, c, next, &p, "read events to index", &s, NULL);
    if (rc)
        return rc;
    *x->out_n = 0;
    for (int i = 0; !rc && i < PQntuples(s); i++) {
        char *text = NULL;
        rc = am_payload_text(db, PQgetvalue(s, i, 1), &text);
        if (!rc && *text) {
            struct am_pgp w = {0};
            am_pg_text(&w, PQgetvalue(s, i, 0));
            am_pg_text(&w, text);
            rc = am_pg_query(db, c, ins, &w, "index event", NULL, NULL);
        }
        free(text);
        if (!rc) {
            struct am_pgp m = {0};
            am_pg_text(&m, PQgetvalue(s, i, 0));
            rc = am_pg_query(db, c, mark, &m, "mark indexed", NULL, NULL);
        }
        (*x->out_n)++;
    }
    PQclear(s);
    return rc;
}

static int index_due_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char sql[] = "SELECT EXISTS (SELECT 1 FROM events WHERE NOT fts_done)";
    bool *due = arg;
    PGresult *s = NULL;
    int rc = am_pg_query(db, c, sql, NULL, "read index state", &s, NULL);
    if (rc)
        return rc;
    *due = strcmp(PQgetvalue(s, 0, 0), "t") == 0;
    PQclear(s);
    return AM_OK;
}

int am_pg_events_index(am_db *db, struct am_store *st, int batch, int *out_n)
{
    struct index_ctx x = {batch, out_n};
    bool due = false;
    *out_n = 0;
    int rc = am_pg_read(db, st, index_due_fn, &due);   /* no write when idle */
    if (rc || !due)
        return rc;
    return am_pg_write(db, st, index_fn, &x);
}

struct esearch_ctx {
    const char *memory_id, *actor_id, *session_id, *fts;
    int64_t now_ms;
    int limit;
    am_events **out;
};

static int esearch_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    /* the core's FTS5 expression ("a" OR "b") is valid websearch syntax */
    static const char sql[] =
        "SELECT e.memory_id, e.actor_id, e.session_id, e.event_id, e.ts_ms, e.branch, "
        "e.root_event_id, e.payload, e.metadata, e.seq FROM events_fts f "
        "JOIN events e ON e.seq = f.seq, websearch_to_tsquery('english', $1) q "
        "WHERE f.tsv @@ q AND e.memory_id = $2 AND e.actor_id = $3 AND "
        "($4::text IS NULL OR e.session_id = $4) AND e.created_ms >= $5 "
        "ORDER BY ts_rank_cd(f.tsv, q) DESC, e.seq LIMIT $6";
    struct esearch_ctx *x = arg;
    int64_t min_created;
    int rc = am_pg_visible_since(db, c, x->memory_id, x->now_ms, &min_created);
    if (rc)
        return rc;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_text(&p, x->fts);
    am_pg_text(&p, x->memory_id);
    am_pg_text(&p, x->actor_id);
    am_pg_text(&p, x->session_id);
    am_pg_int(&p, min_created);
    am_pg_int(&p, x->limit);
    rc = am_pg_query(db, c, sql, &p, "search events", &s, NULL);
    if (rc)
        return rc;
    rc = collect_events(db, s, (size_t)x->limit, true, x->out);
    PQclear(s);
    return rc;
}

int am_pg_event_search(am_db *db, struct am_store *st, const char *memory_id,
                       const char *actor_id, const char *session_id, const char *fts_expr,
                       int limit, am_events **out)
{
    struct esearch_ctx x = {memory_id, actor_id, session_id, fts_expr, am_now_ms(), limit, out};
    *out = NULL;
    return am_pg_read(db, st, esearch_fn, &x);
}
