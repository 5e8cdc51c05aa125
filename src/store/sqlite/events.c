/*
 * events.c - the SQLite side of events, sessions and actors.
 *
 * The sessions table is a summary kept in step with events on every insert and delete
 * (first and last timestamp, count), so that ListSessions and ListActors never scan events.
 * Expired events are hidden by comparing their storage time (created_ms) with the memory's
 * expiry, and purged later by purge_expired.
 */
#include "store/sqlite/sqlite.h"

#include "core/events.h"
#include "core/result.h"
#include "core/validate.h"
#include "util/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

/* The oldest storage time still visible in a memory, or ENOTFOUND. */
int am_sqlite_visible_since(am_db *db, struct am_conn *c, const char *memory_id,
                            int64_t now_ms, int64_t *out_min)
{
    static const char sql[] = "SELECT expiry_days FROM memories WHERE id = ?";
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_STATIC);
    int src = sqlite3_step(s);
    if (src == SQLITE_DONE)
        return am_error(db, AM_ENOTFOUND, "Memory %s not found", memory_id);
    if (src != SQLITE_ROW)
        return am_sqlite_fail(db, c, src, "read memory");
    int64_t days = sqlite3_column_int64(s, 0);
    *out_min = days > 0 ? now_ms - days * DAY_MS : INT64_MIN;
    sqlite3_reset(s);
    return AM_OK;
}

#define EVENT_COLS "memory_id, actor_id, session_id, event_id, ts_ms, branch, root_event_id, " \
                   "payload, metadata, seq"

/* Fill e from a row selected with EVENT_COLS. */
static int row_to_event(am_db *db, struct am_arena *a, sqlite3_stmt *s, bool payloads,
                        am_event *e)
{
    e->memory_id = am_sqlite_col_dup(a, s, 0);
    e->actor_id = am_sqlite_col_dup(a, s, 1);
    e->session_id = am_sqlite_col_dup(a, s, 2);
    e->event_id = am_sqlite_col_dup(a, s, 3);
    e->timestamp_ms = sqlite3_column_int64(s, 4);
    e->branch_name = am_sqlite_col_dup(a, s, 5);
    e->branch_root_event_id = am_sqlite_col_dup(a, s, 6);
    if (!e->memory_id || !e->actor_id || !e->session_id || !e->event_id)
        return am_error(db, AM_ENOMEM, "out of memory");
    int rc = AM_OK;
    if (payloads)
        rc = am_payload_from_json(db, a, (const char *)sqlite3_column_text(s, 7), &e->payload,
                                  &e->n_payload);
    if (!rc)
        rc = am_metadata_from_json(db, a, (const char *)sqlite3_column_text(s, 8),
                                   &e->metadata, &e->n_metadata);
    return rc;
}

static int event_by_seq(am_db *db, struct am_conn *c, int64_t seq, am_events **out)
{
    static const char sql[] = "SELECT " EVENT_COLS " FROM events WHERE seq = ?";
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_int64(s, 1, seq);
    int src = sqlite3_step(s);
    if (src != SQLITE_ROW)
        return src == SQLITE_DONE ? AM_BUG(db, "event vanished")
                                  : am_sqlite_fail(db, c, src, "read event");
    am_events *r = am_events_new(1);
    if (!r)
        return am_error(db, AM_ENOMEM, "out of memory");
    int rc = row_to_event(db, am_result_arena(r->priv), s, true, &r->items[0]);
    sqlite3_reset(s);
    if (rc) {
        am_events_free(r);
        return rc;
    }
    r->n = 1;
    *out = r;
    return AM_OK;
}

struct root_ctx {
    const char *memory_id, *actor_id, *session_id, *branch;
    char **out;
};

static int root_fn(am_db *db, struct am_conn *c, void *arg);

struct insert_ctx {
    const struct am_event_row *row;
    am_events **out;
};

static int insert_fn(am_db *db, struct am_conn *c, void *arg)
{
    struct insert_ctx *x = arg;
    const struct am_event_row *row = x->row;
    const am_event_in *in = row->in;
    const char *memory_id = am_memory_id_of(in->memory_id);
    int64_t min_created;
    sqlite3_stmt *s;
    int rc, src;

    rc = am_sqlite_visible_since(db, c, memory_id, row->created_ms, &min_created);
    if (rc)
        return rc;
    if (in->client_token) {
        static const char q[] =
            "SELECT seq, fingerprint FROM events WHERE memory_id = ? AND client_token = ?";
        if (!(s = am_sqlite_stmt(db, c, q)))
            return AM_EIO;
        sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, in->client_token, -1, SQLITE_STATIC);
        if ((src = sqlite3_step(s)) == SQLITE_ROW) {
            int64_t seq = sqlite3_column_int64(s, 0);
            bool same = strcmp((const char *)sqlite3_column_text(s, 1), row->fingerprint) == 0;
            sqlite3_reset(s);
            if (!same)
                return am_error_field(db, AM_ECONFLICT, "clientToken",
                                      "clientToken %s was already used for a different event",
                                      in->client_token);
            return x->out ? event_by_seq(db, c, seq, x->out) : AM_OK;
        }
        sqlite3_reset(s);
        if (src != SQLITE_DONE)
            return am_sqlite_fail(db, c, src, "read client token");
    }
    if (in->branch_root_event_id) {
        static const char q[] =
            "SELECT 1 FROM events WHERE memory_id = ? AND event_id = ? AND actor_id = ? "
            "AND session_id = ?";
        if (!(s = am_sqlite_stmt(db, c, q)))
            return AM_EIO;
        sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, in->branch_root_event_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, in->actor_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, row->session_id, -1, SQLITE_STATIC);
        src = sqlite3_step(s);
        sqlite3_reset(s);
        if (src == SQLITE_DONE)
            return am_error_field(db, AM_ENOTFOUND, "branch.rootEventId",
                                  "Root event %s not found in session %s",
                                  in->branch_root_event_id, row->session_id);
        if (src != SQLITE_ROW)
            return am_sqlite_fail(db, c, src, "read root event");
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
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)";
    if (!(s = am_sqlite_stmt(db, c, ins)))
        return AM_EIO;
    sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, in->actor_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, row->session_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, row->event_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, in->timestamp_ms);
    am_sqlite_bind_text(s, 6, row->branch_name);
    am_sqlite_bind_text(s, 7, in->branch_root_event_id);
    sqlite3_bind_text(s, 8, row->payload_json, -1, SQLITE_STATIC);
    am_sqlite_bind_text(s, 9, row->metadata_json);
    am_sqlite_bind_text(s, 10, in->client_token);
    sqlite3_bind_text(s, 11, row->fingerprint, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 12, row->created_ms);
    sqlite3_bind_int(s, 13, in->skip_extraction ? 1 : 0);
    src = sqlite3_step(s);
    sqlite3_reset(s);
    if (src != SQLITE_DONE)
        return am_sqlite_fail(db, c, src, "insert event");
    int64_t seq = sqlite3_last_insert_rowid(c->h);

    static const char up[] =
        "INSERT INTO sessions (memory_id, actor_id, session_id, created_ms, last_ms, "
        "last_write_ms, n_events) VALUES (?1, ?2, ?3, ?4, ?4, ?5, 1) "
        "ON CONFLICT (memory_id, actor_id, session_id) DO UPDATE SET "
        "created_ms = min(created_ms, ?4), last_ms = max(last_ms, ?4), "
        "last_write_ms = ?5, n_events = n_events + 1";
    if (!(s = am_sqlite_stmt(db, c, up)))
        return AM_EIO;
    sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, in->actor_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, row->session_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, in->timestamp_ms);
    sqlite3_bind_int64(s, 5, row->created_ms);
    src = sqlite3_step(s);
    sqlite3_reset(s);
    if (src != SQLITE_DONE)
        return am_sqlite_fail(db, c, src, "update session");
    rc = am_sqlite_enqueue_extraction(db, c, memory_id, in->actor_id, row->session_id,
                                      row->event_id, seq, in->skip_extraction, row->created_ms);
    if (rc)
        return rc;
    return x->out ? event_by_seq(db, c, seq, x->out) : AM_OK;
}

int am_sqlite_event_insert(am_db *db, struct am_store *st, const struct am_event_row *row,
                           am_events **out)
{
    struct insert_ctx x = {row, out};
    if (out)
        *out = NULL;
    return am_sqlite_write(db, st, insert_fn, &x);
}

struct get_ctx {
    const char *memory_id, *actor_id, *session_id, *event_id;
    int64_t now_ms;
    am_events **out;
    char **out_branch;
    int64_t *out_ts, *out_seq;
};

static int get_fn(am_db *db, struct am_conn *c, void *arg)
{
    struct get_ctx *x = arg;
    static const char sql[] =
        "SELECT " EVENT_COLS ", created_ms FROM events WHERE memory_id = ? AND event_id = ?";
    int64_t min_created;
    int rc = am_sqlite_visible_since(db, c, x->memory_id, x->now_ms, &min_created);
    if (rc)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, x->event_id, -1, SQLITE_STATIC);
    int src = sqlite3_step(s);
    if (src != SQLITE_ROW) {
        sqlite3_reset(s);
        if (src != SQLITE_DONE)
            return am_sqlite_fail(db, c, src, "read event");
        return am_error(db, AM_ENOTFOUND, "Event %s not found", x->event_id);
    }
    if (strcmp((const char *)sqlite3_column_text(s, 1), x->actor_id) != 0 ||
        strcmp((const char *)sqlite3_column_text(s, 2), x->session_id) != 0 ||
        sqlite3_column_int64(s, 10) < min_created) {
        sqlite3_reset(s);
        return am_error(db, AM_ENOTFOUND, "Event %s not found in session %s of actor %s",
                        x->event_id, x->session_id, x->actor_id);
    }
    if (x->out_ts) {           /* event_locate */
        *x->out_ts = sqlite3_column_int64(s, 4);
        *x->out_seq = sqlite3_column_int64(s, 9);
        const unsigned char *b = sqlite3_column_text(s, 5);
        *x->out_branch = b ? strdup((const char *)b) : NULL;
        sqlite3_reset(s);
        return b && !*x->out_branch ? am_error(db, AM_ENOMEM, "out of memory") : AM_OK;
    }
    am_events *r = am_events_new(1);
    rc = r ? row_to_event(db, am_result_arena(r->priv), s, true, &r->items[0])
           : am_error(db, AM_ENOMEM, "out of memory");
    sqlite3_reset(s);
    if (rc) {
        am_events_free(r);
        return rc;
    }
    r->n = 1;
    *x->out = r;
    return AM_OK;
}

int am_sqlite_event_get(am_db *db, struct am_store *st, const char *memory_id,
                        const char *actor_id, const char *session_id, const char *event_id,
                        int64_t now_ms, am_events **out)
{
    struct get_ctx x = {memory_id, actor_id, session_id, event_id, now_ms, out, NULL, NULL,
                        NULL};
    *out = NULL;
    return am_sqlite_read(db, st, get_fn, &x);
}

int am_sqlite_event_locate(am_db *db, struct am_store *st, const char *memory_id,
                           const char *actor_id, const char *session_id, const char *event_id,
                           char **out_branch, int64_t *out_ts, int64_t *out_seq)
{
    struct get_ctx x = {memory_id, actor_id, session_id, event_id, am_now_ms(), NULL,
                        out_branch, out_ts, out_seq};
    *out_branch = NULL;
    return am_sqlite_read(db, st, get_fn, &x);
}

/* Recompute a session's summary row after deletions; drop it when it has no events. */
static int refresh_session(am_db *db, struct am_conn *c, const char *memory_id,
                           const char *actor_id, const char *session_id)
{
    static const char sql[] =
        "UPDATE sessions SET (created_ms, last_ms, n_events) = "
        "(SELECT min(ts_ms), max(ts_ms), count(*) FROM events WHERE memory_id = ?1 AND "
        " actor_id = ?2 AND session_id = ?3) "
        "WHERE memory_id = ?1 AND actor_id = ?2 AND session_id = ?3";
    static const char del[] =
        "DELETE FROM sessions WHERE memory_id = ?1 AND actor_id = ?2 AND session_id = ?3 "
        "AND NOT EXISTS (SELECT 1 FROM events WHERE memory_id = ?1 AND actor_id = ?2 AND "
        "session_id = ?3)";
    const char *const stmts[] = {del, sql};
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *s = am_sqlite_stmt(db, c, stmts[i]);
        if (!s)
            return AM_EIO;
        sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, actor_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, session_id, -1, SQLITE_STATIC);
        int src = sqlite3_step(s);
        sqlite3_reset(s);
        if (src != SQLITE_DONE)
            return am_sqlite_fail(db, c, src, "update session");
    }
    return AM_OK;
}

static int delete_fn(am_db *db, struct am_conn *c, void *arg)
{
    struct get_ctx *x = arg;
    static const char sql[] =
        "DELETE FROM events WHERE memory_id = ? AND event_id = ? AND actor_id = ? AND "
        "session_id = ? AND created_ms >= ?";
    int64_t min_created;
    int rc = am_sqlite_visible_since(db, c, x->memory_id, x->now_ms, &min_created);
    if (rc)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, x->event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, x->actor_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, x->session_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, min_created);
    int src = sqlite3_step(s);
    sqlite3_reset(s);
    if (src != SQLITE_DONE)
        return am_sqlite_fail(db, c, src, "delete event");
    if (sqlite3_changes(c->h) == 0)
        return am_error(db, AM_ENOTFOUND, "Event %s not found in session %s of actor %s",
                        x->event_id, x->session_id, x->actor_id);
    return refresh_session(db, c, x->memory_id, x->actor_id, x->session_id);
}

int am_sqlite_event_delete(am_db *db, struct am_store *st, const char *memory_id,
                           const char *actor_id, const char *session_id, const char *event_id)
{
    struct get_ctx x = {memory_id, actor_id, session_id, event_id, am_now_ms(), NULL, NULL,
                        NULL, NULL};
    return am_sqlite_write(db, st, delete_fn, &x);
}

static int root_fn(am_db *db, struct am_conn *c, void *arg)
{
    struct root_ctx *x = arg;
    static const char sql[] =
        "SELECT root_event_id FROM events WHERE memory_id = ? AND actor_id = ? AND "
        "session_id = ? AND branch = ? ORDER BY root_event_id IS NULL, seq LIMIT 1";
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, x->actor_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, x->session_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, x->branch, -1, SQLITE_STATIC);
    int src = sqlite3_step(s), rc = AM_OK;
    if (src == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        if (t && !(*x->out = strdup((const char *)t)))
            rc = am_error(db, AM_ENOMEM, "out of memory");
    } else if (src == SQLITE_DONE) {
        rc = am_error(db, AM_ENOTFOUND, "Branch %s not found", x->branch);
    } else {
        rc = am_sqlite_fail(db, c, src, "read branch");
    }
    sqlite3_reset(s);
    return rc;
}

int am_sqlite_branch_root(am_db *db, struct am_store *st, const char *memory_id,
                          const char *actor_id, const char *session_id, const char *branch,
                          char **out_root)
{
    struct root_ctx x = {memory_id, actor_id, session_id, branch, out_root};
    *out_root = NULL;
    return am_sqlite_read(db, st, root_fn, &x);
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
    "SELECT " EVENT_COLS " FROM events WHERE memory_id = ?1 AND actor_id = ?2 AND "
    "session_id = ?3 AND created_ms >= ?4 AND (ts_ms < ?5 OR (ts_ms = ?5 AND seq < ?6)) "
    "ORDER BY ts_ms DESC, seq DESC LIMIT ?7";
static const char list_asc[] =
    "SELECT " EVENT_COLS " FROM events WHERE memory_id = ?1 AND actor_id = ?2 AND "
    "session_id = ?3 AND created_ms >= ?4 AND (ts_ms > ?5 OR (ts_ms = ?5 AND seq > ?6)) "
    "ORDER BY ts_ms, seq LIMIT ?7";

/* Build the SQL for a query with branch or metadata filters (not cached). */
static char *list_sql(const struct list_ctx *x)
{
    const am_event_query *q = x->q;
    size_t cap = 1024 + 160 * (x->n_steps + q->n_filters);
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
                          "%s(branch IS ?%d AND (ts_ms < ?%d OR (ts_ms = ?%d AND seq <= ?%d)))",
                          i ? " OR " : "", p, p + 1, p + 1, p + 2);
            p += 3;
        }
        n += snprintf(sql + n, cap - (size_t)n, ")");
    }
    for (size_t i = 0; i < q->n_filters; i++) {
        /* keys cannot hold '"' (validated), so quoting the JSON path is safe */
        switch (q->filters[i].op) {
        case AM_FILTER_EQUALS:
            n += snprintf(sql + n, cap - (size_t)n,
                          " AND json_extract(metadata, '$.\"' || ?%d || '\"') = ?%d", p, p + 1);
            p += 2;
            break;
        case AM_FILTER_EXISTS:
            n += snprintf(sql + n, cap - (size_t)n,
                          " AND json_extract(metadata, '$.\"' || ?%d || '\"') IS NOT NULL", p);
            p += 1;
            break;
        default:
            n += snprintf(sql + n, cap - (size_t)n,
                          " AND json_extract(metadata, '$.\"' || ?%d || '\"') IS NULL", p);
            p += 1;
            break;
        }
    }
    snprintf(sql + n, cap - (size_t)n, "%s", order);
    return sql;
}

static int list_fn(am_db *db, struct am_conn *c, void *arg)
{
    struct list_ctx *x = arg;
    const am_event_query *q = x->q;
    const char *memory_id = am_memory_id_of(q->memory_id);
    bool dynamic = x->n_steps || q->n_filters;
    sqlite3_stmt *s = NULL;
    char *sql = NULL;
    am_events *r = NULL;
    int64_t min_created;
    int rc, src;

    rc = am_sqlite_visible_since(db, c, memory_id, x->now_ms, &min_created);
    if (rc)
        return rc;
    if (dynamic) {
        sql = list_sql(x);
        if (!sql)
            return am_error(db, AM_ENOMEM, "out of memory");
        src = sqlite3_prepare_v2(c->h, sql, -1, &s, NULL);
        free(sql);
        if (src != SQLITE_OK)
            return am_sqlite_fail(db, c, src, "prepare event list");
    } else if (!(s = am_sqlite_stmt(db, c, q->oldest_first ? list_asc : list_desc))) {
        return AM_EIO;
    }
    sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, q->actor_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, q->session_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, min_created);
    if (x->cur->set) {
        sqlite3_bind_int64(s, 5, x->cur->a);
        sqlite3_bind_int64(s, 6, x->cur->b);
    } else {
        sqlite3_bind_int64(s, 5, q->oldest_first ? INT64_MIN : INT64_MAX);
        sqlite3_bind_int64(s, 6, q->oldest_first ? INT64_MIN : INT64_MAX);
    }
    sqlite3_bind_int(s, 7, x->limit + 1);
    int p = 8;
    for (size_t i = 0; i < x->n_steps; i++) {
        am_sqlite_bind_text(s, p, x->steps[i].branch);
        sqlite3_bind_int64(s, p + 1, x->steps[i].max_ts_ms);
        sqlite3_bind_int64(s, p + 2, x->steps[i].max_seq);
        p += 3;
    }
    for (size_t i = 0; i < q->n_filters; i++) {
        sqlite3_bind_text(s, p++, q->filters[i].key, -1, SQLITE_STATIC);
        if (q->filters[i].op == AM_FILTER_EQUALS)
            sqlite3_bind_text(s, p++, q->filters[i].value, -1, SQLITE_STATIC);
    }
    r = am_events_new((size_t)x->limit);
    if (!r) {
        rc = am_error(db, AM_ENOMEM, "out of memory");
        goto out;
    }
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        if (r->n == (size_t)x->limit) {
            *x->more = true;
            break;
        }
        rc = row_to_event(db, am_result_arena(r->priv), s, q->include_payloads,
                          &r->items[r->n]);
        if (rc)
            goto out;
        *x->last_ts = sqlite3_column_int64(s, 4);
        *x->last_seq = sqlite3_column_int64(s, 9);
        r->n++;
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE) {
        rc = am_sqlite_fail(db, c, src, "list events");
        goto out;
    }
    *x->out = r;
    r = NULL;
out:
    if (dynamic)
        sqlite3_finalize(s);
    else
        sqlite3_reset(s);
    am_events_free(r);
    return rc;
}

int am_sqlite_event_list(am_db *db, struct am_store *st, const am_event_query *q,
                         const struct am_branch_step *steps, size_t n_steps, int64_t now_ms,
                         const struct am_cursor *cur, int limit, am_events **out,
                         bool *out_more, int64_t *out_last_ts, int64_t *out_last_seq)
{
    struct list_ctx x = {q, steps, n_steps, now_ms, cur, limit, out, out_more, out_last_ts,
                         out_last_seq};
    *out = NULL;
    *out_more = false;
    return am_sqlite_read(db, st, list_fn, &x);
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

static int session_list_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char by_created[] =
        "SELECT actor_id, session_id, created_ms, last_ms, n_events FROM sessions "
        "WHERE memory_id = ?1 AND (?2 IS NULL OR actor_id = ?2) AND last_write_ms >= ?3 "
        "ORDER BY created_ms, actor_id, session_id LIMIT ?4 OFFSET ?5";
    static const char by_last[] =
        "SELECT actor_id, session_id, created_ms, last_ms, n_events FROM sessions "
        "WHERE memory_id = ?1 AND (?2 IS NULL OR actor_id = ?2) AND last_write_ms >= ?3 "
        "ORDER BY last_ms DESC, actor_id, session_id LIMIT ?4 OFFSET ?5";
    struct sess_ctx *x = arg;
    int64_t min_created;
    int rc = am_sqlite_visible_since(db, c, x->memory_id, x->now_ms, &min_created);
    if (rc)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, x->newest_first ? by_last : by_created);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->memory_id, -1, SQLITE_STATIC);
    am_sqlite_bind_text(s, 2, x->actor_id);
    sqlite3_bind_int64(s, 3, min_created);
    sqlite3_bind_int(s, 4, x->limit + 1);
    sqlite3_bind_int64(s, 5, x->offset);
    am_sessions *r = am_sessions_new((size_t)x->limit);
    if (!r) {
        sqlite3_reset(s);
        return am_error(db, AM_ENOMEM, "out of memory");
    }
    struct am_arena *a = am_result_arena(r->priv);
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        if (r->n == (size_t)x->limit) {
            *x->more = true;
            break;
        }
        am_session *e = &r->items[r->n++];
        e->actor_id = am_sqlite_col_dup(a, s, 0);
        e->session_id = am_sqlite_col_dup(a, s, 1);
        e->created_ms = sqlite3_column_int64(s, 2);
        e->last_ms = sqlite3_column_int64(s, 3);
        e->n_events = sqlite3_column_int64(s, 4);
        if (!e->actor_id || !e->session_id) {
            rc = am_error(db, AM_ENOMEM, "out of memory");
            break;
        }
    }
    sqlite3_reset(s);
    if (!rc && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = am_sqlite_fail(db, c, src, "list sessions");
    if (rc) {
        am_sessions_free(r);
        return rc;
    }
    *(am_sessions **)x->out = r;
    return AM_OK;
}

int am_sqlite_session_list(am_db *db, struct am_store *st, const char *memory_id,
                           const char *actor_id, bool newest_first, int64_t now_ms, int limit,
                           int64_t offset, am_sessions **out, bool *out_more)
{
    struct sess_ctx x = {.memory_id = memory_id, .actor_id = actor_id,
                         .newest_first = newest_first, .now_ms = now_ms, .limit = limit,
                         .offset = offset, .out = out, .more = out_more};
    *out = NULL;
    *out_more = false;
    return am_sqlite_read(db, st, session_list_fn, &x);
}

static int actor_list_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT actor_id, count(*), sum(n_events), max(last_ms) FROM sessions "
        "WHERE memory_id = ?1 AND last_write_ms >= ?2 AND actor_id > ?3 "
        "GROUP BY actor_id ORDER BY actor_id LIMIT ?4";
    struct sess_ctx *x = arg;
    int64_t min_created;
    int rc = am_sqlite_visible_since(db, c, x->memory_id, x->now_ms, &min_created);
    if (rc)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, min_created);
    sqlite3_bind_text(s, 3, x->after ? x->after : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, x->limit + 1);
    am_actors *r = am_actors_new((size_t)x->limit);
    if (!r) {
        sqlite3_reset(s);
        return am_error(db, AM_ENOMEM, "out of memory");
    }
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        if (r->n == (size_t)x->limit) {
            *x->more = true;
            break;
        }
        am_actor *e = &r->items[r->n++];
        e->actor_id = am_sqlite_col_dup(am_result_arena(r->priv), s, 0);
        e->n_sessions = sqlite3_column_int64(s, 1);
        e->n_events = sqlite3_column_int64(s, 2);
        e->last_ms = sqlite3_column_int64(s, 3);
        if (!e->actor_id) {
            rc = am_error(db, AM_ENOMEM, "out of memory");
            break;
        }
    }
    sqlite3_reset(s);
    if (!rc && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = am_sqlite_fail(db, c, src, "list actors");
    if (rc) {
        am_actors_free(r);
        return rc;
    }
    *(am_actors **)x->out = r;
    return AM_OK;
}

int am_sqlite_actor_list(am_db *db, struct am_store *st, const char *memory_id, int64_t now_ms,
                         int limit, const char *after_actor, am_actors **out, bool *out_more)
{
    struct sess_ctx x = {.memory_id = memory_id, .now_ms = now_ms, .limit = limit,
                         .after = after_actor, .out = out, .more = out_more};
    *out = NULL;
    *out_more = false;
    return am_sqlite_read(db, st, actor_list_fn, &x);
}

/* Run one DELETE with up to three text parameters; adds the changes to *n if given. */
static int run_delete(am_db *db, struct am_conn *c, const char *sql, const char *p1,
                      const char *p2, const char *p3, int64_t *n)
{
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, p1, -1, SQLITE_STATIC);
    if (p2)
        sqlite3_bind_text(s, 2, p2, -1, SQLITE_STATIC);
    if (p3)
        sqlite3_bind_text(s, 3, p3, -1, SQLITE_STATIC);
    int src = sqlite3_step(s);
    sqlite3_reset(s);
    if (src != SQLITE_DONE)
        return am_sqlite_fail(db, c, src, "delete");
    if (n)
        *n += sqlite3_changes(c->h);
    return AM_OK;
}

static int session_delete_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char ev[] =
        "DELETE FROM events WHERE memory_id = ?1 AND actor_id = ?2 AND session_id = ?3";
    static const char rec[] =
        "DELETE FROM records WHERE memory_id = ?1 AND actor_id = ?2 AND session_id = ?3";
    static const char job[] =
        "DELETE FROM jobs WHERE memory_id = ?1 AND actor_id = ?2 AND session_id = ?3";
    static const char ses[] =
        "DELETE FROM sessions WHERE memory_id = ?1 AND actor_id = ?2 AND session_id = ?3";
    struct sess_ctx *x = arg;
    int64_t min_created, n = 0;
    int rc = am_sqlite_visible_since(db, c, x->memory_id, x->now_ms, &min_created);
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

int am_sqlite_session_delete(am_db *db, struct am_store *st, const char *memory_id,
                             const char *actor_id, const char *session_id, int64_t *out_n)
{
    struct sess_ctx x = {.memory_id = memory_id, .actor_id = actor_id,
                         .session_id = session_id, .now_ms = am_now_ms(), .n1 = out_n};
    *out_n = 0;
    return am_sqlite_write(db, st, session_delete_fn, &x);
}

static int actor_forget_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char ev[] = "DELETE FROM events WHERE memory_id = ?1 AND actor_id = ?2";
    static const char ses[] = "DELETE FROM sessions WHERE memory_id = ?1 AND actor_id = ?2";
    static const char job[] = "DELETE FROM jobs WHERE memory_id = ?1 AND actor_id = ?2";
    /* records extracted from the actor, and records filed under a namespace segment that is
       the actor id (e.g. /actors/alice/... written with BatchCreateMemoryRecords) */
    static const char rec[] =
        "DELETE FROM records WHERE memory_id = ?1 AND (actor_id = ?2 OR "
        "instr(namespace || '/', '/' || ?2 || '/') > 0)";
    struct sess_ctx *x = arg;
    int64_t min_created;
    int rc = am_sqlite_visible_since(db, c, x->memory_id, x->now_ms, &min_created);
    if (rc)
        return rc;
    if ((rc = run_delete(db, c, ev, x->memory_id, x->actor_id, NULL, x->n1)) ||
        (rc = run_delete(db, c, rec, x->memory_id, x->actor_id, NULL, x->n2)) ||
        (rc = run_delete(db, c, ses, x->memory_id, x->actor_id, NULL, NULL)) ||
        (rc = run_delete(db, c, job, x->memory_id, x->actor_id, NULL, NULL)))
        return rc;
    return AM_OK;
}

int am_sqlite_actor_forget(am_db *db, struct am_store *st, const char *memory_id,
                           const char *actor_id, int64_t *out_events, int64_t *out_records)
{
    struct sess_ctx x = {.memory_id = memory_id, .actor_id = actor_id, .now_ms = am_now_ms(),
                         .n1 = out_events, .n2 = out_records};
    *out_events = *out_records = 0;
    return am_sqlite_write(db, st, actor_forget_fn, &x);
}

static int purge_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sessions_sql[] =
        "SELECT DISTINCT e.memory_id, e.actor_id, e.session_id FROM events e "
        "JOIN memories m ON m.id = e.memory_id "
        "WHERE m.expiry_days > 0 AND e.created_ms < ?1 - m.expiry_days * 86400000";
    static const char del_sql[] =
        "DELETE FROM events WHERE seq IN (SELECT e.seq FROM events e "
        "JOIN memories m ON m.id = e.memory_id "
        "WHERE m.expiry_days > 0 AND e.created_ms < ?1 - m.expiry_days * 86400000)";
    struct sess_ctx *x = arg;
    sqlite3_stmt *s = NULL;
    int rc = AM_OK, src;

    /* collect the affected sessions first; refresh them after the delete */
    if (sqlite3_prepare_v2(c->h, sessions_sql, -1, &s, NULL) != SQLITE_OK)
        return am_sqlite_fail(db, c, SQLITE_ERROR, "prepare purge");
    sqlite3_bind_int64(s, 1, x->now_ms);
    size_t n = 0, cap = 0;
    char **keys = NULL;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        if (n + 3 > cap) {
            cap = cap ? cap * 2 : 48;
            char **k = realloc(keys, cap * sizeof *k);
            if (!k) {
                rc = am_error(db, AM_ENOMEM, "out of memory");
                break;
            }
            keys = k;
        }
        for (int i = 0; i < 3; i++)
            keys[n++] = strdup((const char *)sqlite3_column_text(s, i));
    }
    sqlite3_finalize(s);
    if (!rc) {
        sqlite3_stmt *d = am_sqlite_stmt(db, c, del_sql);
        if (!d) {
            rc = AM_EIO;
        } else {
            sqlite3_bind_int64(d, 1, x->now_ms);
            src = sqlite3_step(d);
            sqlite3_reset(d);
            if (src != SQLITE_DONE)
                rc = am_sqlite_fail(db, c, src, "purge events");
            else
                *x->n1 = sqlite3_changes(c->h);
        }
    }
    for (size_t i = 0; i + 2 < n && !rc; i += 3)
        if (keys[i] && keys[i + 1] && keys[i + 2])
            rc = refresh_session(db, c, keys[i], keys[i + 1], keys[i + 2]);
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    return rc;
}

int am_sqlite_purge_expired(am_db *db, struct am_store *st, int64_t now_ms, int64_t *out_n)
{
    struct sess_ctx x = {.now_ms = now_ms, .n1 = out_n};
    *out_n = 0;
    return am_sqlite_write(db, st, purge_fn, &x);
}

/* ---- verbatim search over events ---- */

struct index_ctx {
    int batch;
    int *out_n;
};

static int index_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char next[] =
        "SELECT seq, payload FROM events WHERE seq > (SELECT value FROM meta WHERE key = "
        "'events_indexed_seq') ORDER BY seq LIMIT ?";
    static const char ins[] = "INSERT INTO events_fts (rowid, text) VALUES (?, ?)";
    static const char mark[] = "UPDATE meta SET value = ? WHERE key = 'events_indexed_seq'";
    struct index_ctx *x = arg;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, next);
    int64_t last = -1;
    int rc = AM_OK, src;
    if (!s)
        return AM_EIO;
    sqlite3_bind_int(s, 1, x->batch);
    while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(s, 0);
        char *text = NULL;
        rc = am_payload_text(db, (const char *)sqlite3_column_text(s, 1), &text);
        if (!rc && *text) {
            sqlite3_stmt *w = am_sqlite_stmt(db, c, ins);
            if (!w) {
                rc = AM_EIO;
            } else {
                sqlite3_bind_int64(w, 1, seq);
                sqlite3_bind_text(w, 2, text, -1, SQLITE_STATIC);
                int wsrc = sqlite3_step(w);
                sqlite3_reset(w);
                if (wsrc != SQLITE_DONE)
                    rc = am_sqlite_fail(db, c, wsrc, "index event");
            }
        }
        free(text);
        last = seq;
        (*x->out_n)++;
    }
    sqlite3_reset(s);
    if (rc || last < 0)
        return rc;
    if (!(s = am_sqlite_stmt(db, c, mark)))
        return AM_EIO;
    sqlite3_bind_int64(s, 1, last);
    src = sqlite3_step(s);
    sqlite3_reset(s);
    return src == SQLITE_DONE ? AM_OK : am_sqlite_fail(db, c, src, "mark indexed");
}

static int index_due_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT (SELECT max(seq) FROM events) > (SELECT value FROM meta WHERE key = "
        "'events_indexed_seq')";
    bool *due = arg;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    int src = sqlite3_step(s);
    *due = src == SQLITE_ROW && sqlite3_column_int(s, 0) == 1;
    sqlite3_reset(s);
    return src == SQLITE_ROW ? AM_OK : am_sqlite_fail(db, c, src, "read index state");
}

int am_sqlite_events_index(am_db *db, struct am_store *st, int batch, int *out_n)
{
    struct index_ctx x = {batch, out_n};
    bool due = false;
    *out_n = 0;
    int rc = am_sqlite_read(db, st, index_due_fn, &due);   /* no write lock when idle */
    if (rc || !due)
        return rc;
    return am_sqlite_write(db, st, index_fn, &x);
}

struct esearch_ctx {
    const char *memory_id, *actor_id, *session_id, *fts;
    int64_t now_ms;
    int limit;
    am_events **out;
};

static int esearch_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT e.memory_id, e.actor_id, e.session_id, e.event_id, e.ts_ms, e.branch, "
        "e.root_event_id, e.payload, e.metadata, e.seq FROM (SELECT rowid, rank FROM "
        "events_fts WHERE events_fts MATCH ?1 ORDER BY rank LIMIT 5000) f "
        "JOIN events e ON e.seq = f.rowid WHERE e.memory_id = ?2 AND e.actor_id = ?3 AND "
        "(?4 IS NULL OR e.session_id = ?4) AND e.created_ms >= ?5 ORDER BY f.rank LIMIT ?6";
    struct esearch_ctx *x = arg;
    int64_t min_created;
    int rc = am_sqlite_visible_since(db, c, x->memory_id, x->now_ms, &min_created);
    if (rc)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->fts, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, x->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, x->actor_id, -1, SQLITE_STATIC);
    am_sqlite_bind_text(s, 4, x->session_id);
    sqlite3_bind_int64(s, 5, min_created);
    sqlite3_bind_int(s, 6, x->limit);
    am_events *r = am_events_new((size_t)x->limit);
    int src = SQLITE_DONE;
    rc = r ? AM_OK : am_error(db, AM_ENOMEM, "out of memory");
    while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW)
        rc = row_to_event(db, am_result_arena(r->priv), s, true, &r->items[r->n++]);
    sqlite3_reset(s);
    if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
        rc = am_sqlite_fail(db, c, src, "search events");
    if (rc) {
        am_events_free(r);
        return rc;
    }
    *x->out = r;
    return AM_OK;
}

int am_sqlite_event_search(am_db *db, struct am_store *st, const char *memory_id,
                           const char *actor_id, const char *session_id, const char *fts_expr,
                           int limit, am_events **out)
{
    struct esearch_ctx x = {memory_id, actor_id, session_id, fts_expr, am_now_ms(), limit, out};
    *out = NULL;
    return am_sqlite_read(db, st, esearch_fn, &x);
}
