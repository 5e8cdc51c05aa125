/*
 * jobs.c - the durable extraction queue. An event insert marks its session as having new
 * work (one PENDING job per session at a time, created in the same transaction as the
 * event, so no acknowledged event is ever without its job). Workers claim and finish jobs;
 * failed jobs stay visible as FAILED until StartMemoryExtractionJob re-queues them.
 */
#include "store/sqlite/sqlite.h"

#include "core/result.h"
#include "util/rand.h"

#include <stdio.h>
#include <string.h>

int am_sqlite_enqueue_extraction(am_db *db, struct am_conn *c, const char *memory_id,
                                 const char *actor_id, const char *session_id,
                                 const char *event_id, int64_t seq, bool skip, int64_t now_ms)
{
    /* a job covers the session's events with from_seq <= seq <= to_seq; appending an event
       only moves to_seq, so the cost per event is constant */
    static const char sql[] =
        "INSERT INTO jobs (memory_id, job_id, status, actor_id, session_id, from_seq, to_seq, "
        "created_ms, updated_ms) "
        "SELECT ?1, ?2, 'PENDING', ?3, ?4, ?5, ?5, ?6, ?6 FROM memories "
        "WHERE id = ?1 AND strategies <> '[]' "
        "ON CONFLICT (memory_id, actor_id, session_id) WHERE status = 'PENDING' DO UPDATE SET "
        "to_seq = max(to_seq, ?5), updated_ms = ?6";
    char job_id[48];
    (void)event_id;
    if (skip)
        return AM_OK;
    memcpy(job_id, "job-", 4);
    am_rand_uuid(job_id + 4);
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, job_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, actor_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, session_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, seq);
    sqlite3_bind_int64(s, 6, now_ms);
    int src = sqlite3_step(s);
    sqlite3_reset(s);
    return src == SQLITE_DONE ? AM_OK : am_sqlite_fail(db, c, src, "enqueue extraction");
}

struct job_ctx {
    const am_job_query *q;
    const char *memory_id, *job_id;
    int limit;
    int64_t offset;
    am_jobs **out;
    bool *more;
};

static int list_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT job_id, status, failure_reason, strategy_id, actor_id, session_id, "
        "(SELECT json_group_array(json_object('eventId', e.event_id, 'messageIndex', 0)) "
        " FROM (SELECT event_id FROM events WHERE memory_id = jobs.memory_id AND "
        " actor_id = jobs.actor_id AND session_id = jobs.session_id AND seq BETWEEN "
        " jobs.from_seq AND jobs.to_seq ORDER BY seq LIMIT 100) e), "
        "attempts, created_ms FROM jobs WHERE memory_id = ?1 AND (?2 IS NULL OR status = ?2) "
        "AND (?3 IS NULL OR strategy_id = ?3) AND (?4 IS NULL OR actor_id = ?4) "
        "AND (?5 IS NULL OR session_id = ?5) ORDER BY rowid LIMIT ?6 OFFSET ?7";
    struct job_ctx *x = arg;
    const am_job_query *q = x->q;
    int64_t min_created;
    int rc = am_sqlite_visible_since(db, c, x->memory_id, am_now_ms(), &min_created);
    if (rc)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->memory_id, -1, SQLITE_STATIC);
    am_sqlite_bind_text(s, 2, q->status);
    am_sqlite_bind_text(s, 3, q->strategy_id);
    am_sqlite_bind_text(s, 4, q->actor_id);
    am_sqlite_bind_text(s, 5, q->session_id);
    sqlite3_bind_int(s, 6, x->limit + 1);
    sqlite3_bind_int64(s, 7, x->offset);
    am_jobs *r = am_jobs_new((size_t)x->limit);
    int src = SQLITE_DONE;
    rc = r ? AM_OK : am_error(db, AM_ENOMEM, "out of memory");
    while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
        if (r->n == (size_t)x->limit) {
            *x->more = true;
            break;
        }
        struct am_arena *a = am_result_arena(r->priv);
        am_job *j = &r->items[r->n++];
        j->job_id = am_sqlite_col_dup(a, s, 0);
        j->status = am_sqlite_col_dup(a, s, 1);
        j->failure_reason = am_sqlite_col_dup(a, s, 2);
        j->strategy_id = am_sqlite_col_dup(a, s, 3);
        j->actor_id = am_sqlite_col_dup(a, s, 4);
        j->session_id = am_sqlite_col_dup(a, s, 5);
        j->messages_json = am_sqlite_col_dup(a, s, 6);
        j->attempts = sqlite3_column_int(s, 7);
        j->created_ms = sqlite3_column_int64(s, 8);
        if (!j->job_id || !j->status || !j->messages_json)
            rc = am_error(db, AM_ENOMEM, "out of memory");
    }
    sqlite3_reset(s);
    if (!rc && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = am_sqlite_fail(db, c, src, "list jobs");
    if (rc) {
        am_jobs_free(r);
        return rc;
    }
    *x->out = r;
    return AM_OK;
}

int am_sqlite_job_list(am_db *db, struct am_store *st, const am_job_query *q, int limit,
                       int64_t offset, am_jobs **out, bool *out_more)
{
    struct job_ctx x = {.q = q, .memory_id = q->memory_id, .limit = limit, .offset = offset,
                        .out = out, .more = out_more};
    *out = NULL;
    *out_more = false;
    return am_sqlite_read(db, st, list_fn, &x);
}

static int start_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "UPDATE jobs SET status = 'PENDING', failure_reason = NULL, run_after_ms = 0, "
        "updated_ms = ?3 WHERE memory_id = ?1 AND job_id = ?2 AND status = 'FAILED'";
    static const char exists[] = "SELECT status FROM jobs WHERE memory_id = ? AND job_id = ?";
    struct job_ctx *x = arg;
    int64_t min_created;
    int rc = am_sqlite_visible_since(db, c, x->memory_id, am_now_ms(), &min_created);
    if (rc)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, exists);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, x->job_id, -1, SQLITE_STATIC);
    int src = sqlite3_step(s);
    bool failed = src == SQLITE_ROW &&
                  strcmp((const char *)sqlite3_column_text(s, 0), "FAILED") == 0;
    sqlite3_reset(s);
    if (src == SQLITE_DONE)
        return am_error(db, AM_ENOTFOUND, "Extraction job %s not found", x->job_id);
    if (src != SQLITE_ROW)
        return am_sqlite_fail(db, c, src, "read job");
    if (!failed)        /* already pending or running: starting it again changes nothing */
        return AM_OK;
    if (!(s = am_sqlite_stmt(db, c, sql)))
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, x->job_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, am_now_ms());
    src = sqlite3_step(s);
    sqlite3_reset(s);
    if (src == SQLITE_CONSTRAINT_UNIQUE || (src & 0xff) == SQLITE_CONSTRAINT) {
        /* the session already has a pending job, which will cover these events too */
        static const char del[] = "DELETE FROM jobs WHERE memory_id = ? AND job_id = ?";
        if (!(s = am_sqlite_stmt(db, c, del)))
            return AM_EIO;
        sqlite3_bind_text(s, 1, x->memory_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, x->job_id, -1, SQLITE_STATIC);
        src = sqlite3_step(s);
        sqlite3_reset(s);
    }
    return src == SQLITE_DONE ? AM_OK : am_sqlite_fail(db, c, src, "restart job");
}

int am_sqlite_job_start(am_db *db, struct am_store *st, const char *memory_id,
                        const char *job_id)
{
    struct job_ctx x = {.memory_id = memory_id, .job_id = job_id};
    return am_sqlite_write(db, st, start_fn, &x);
}
