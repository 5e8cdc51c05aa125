/*
 * jobs.c - the durable extraction queue. An event insert marks its session as having new
 * work (one PENDING job per session at a time, created in the same transaction as the
 * event, so no acknowledged event is ever without its job). Workers claim and finish jobs;
 * failed jobs stay visible as FAILED until StartMemoryExtractionJob re-queues them.
 */
#include "store/sqlite/sqlite.h"

#include "core/events.h"
#include "core/result.h"
#include "util/rand.h"

#include <stdio.h>
#include <stdlib.h>
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
    /* a restarted job is RETRYING, not PENDING: it keeps its own range of events even when
       the session already has a pending job for newer ones */
    static const char sql[] =
        "UPDATE jobs SET status = 'RETRYING', failure_reason = NULL, run_after_ms = 0, "
        "attempts = 0, updated_ms = ?3 WHERE memory_id = ?1 AND job_id = ?2 AND "
        "status = 'FAILED'";
    static const char exists[] = "SELECT 1 FROM jobs WHERE memory_id = ? AND job_id = ?";
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
    sqlite3_reset(s);
    if (src == SQLITE_DONE)
        return am_error(db, AM_ENOTFOUND, "Extraction job %s not found", x->job_id);
    if (src != SQLITE_ROW)
        return am_sqlite_fail(db, c, src, "read job");
    if (!(s = am_sqlite_stmt(db, c, sql)))   /* not FAILED: starting it changes nothing */
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, x->job_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, am_now_ms());
    src = sqlite3_step(s);
    sqlite3_reset(s);
    return src == SQLITE_DONE ? AM_OK : am_sqlite_fail(db, c, src, "restart job");
}

int am_sqlite_job_start(am_db *db, struct am_store *st, const char *memory_id,
                        const char *job_id)
{
    struct job_ctx x = {.memory_id = memory_id, .job_id = job_id};
    return am_sqlite_write(db, st, start_fn, &x);
}

/* ---- the extraction pipeline ---- */

struct pipe_ctx {
    int64_t now_ms, lease_ms;
    struct am_job_row *job;
    const struct am_job_row *cjob;
    bool *found;
    bool whole;
    int limit;
    am_events **out;
    const struct am_cand_row *cands;
    size_t n;
    am_decide_fn decide;
    void *arg;
    int *added, *superseded;
    const char *reason;
    int64_t retry_at;
};

static void copy_col(char *dst, size_t cap, sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static int claim_fn(am_db *db, struct am_conn *c, void *arg)
{
    /* a RUNNING job whose lease ran out belonged to a worker that died: take it over */
    static const char sql[] =
        "UPDATE jobs SET status = 'RUNNING', attempts = attempts + 1, run_after_ms = ?1 + ?2, "
        "updated_ms = ?1 WHERE rowid = (SELECT rowid FROM jobs WHERE "
        "status IN ('PENDING', 'RUNNING', 'RETRYING') AND run_after_ms <= ?1 ORDER BY run_after_ms, rowid "
        "LIMIT 1) RETURNING memory_id, job_id, actor_id, session_id, from_seq, to_seq, "
        "attempts";
    struct pipe_ctx *x = arg;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_int64(s, 1, x->now_ms);
    sqlite3_bind_int64(s, 2, x->lease_ms);
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        struct am_job_row *j = x->job;
        copy_col(j->memory_id, sizeof j->memory_id, s, 0);
        copy_col(j->job_id, sizeof j->job_id, s, 1);
        copy_col(j->actor_id, sizeof j->actor_id, s, 2);
        copy_col(j->session_id, sizeof j->session_id, s, 3);
        j->from_seq = sqlite3_column_int64(s, 4);
        j->to_seq = sqlite3_column_int64(s, 5);
        j->attempts = sqlite3_column_int(s, 6);
        *x->found = true;
        src = sqlite3_step(s);
    }
    sqlite3_reset(s);
    return src == SQLITE_DONE ? AM_OK : am_sqlite_fail(db, c, src, "claim job");
}

static int due_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT 1 FROM jobs WHERE status IN ('PENDING', 'RUNNING', 'RETRYING') AND "
        "run_after_ms <= ? LIMIT 1";
    struct pipe_ctx *x = arg;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_int64(s, 1, x->now_ms);
    int src = sqlite3_step(s);
    sqlite3_reset(s);
    if (src == SQLITE_ROW)
        *x->found = true;
    return src == SQLITE_ROW || src == SQLITE_DONE ? AM_OK
                                                   : am_sqlite_fail(db, c, src, "read jobs");
}

int am_sqlite_job_claim(am_db *db, struct am_store *st, int64_t now_ms, int64_t lease_ms,
                        struct am_job_row *out, bool *out_found)
{
    struct pipe_ctx x = {.now_ms = now_ms, .lease_ms = lease_ms, .job = out,
                         .found = out_found};
    /* look first with a reader: an idle worker must not take the write lock (or flush) */
    *out_found = false;
    int rc = am_sqlite_read(db, st, due_fn, &x);
    if (rc || !*out_found)
        return rc;
    *out_found = false;
    return am_sqlite_write(db, st, claim_fn, &x);
}

static int job_events_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char range[] =
        "SELECT event_id, ts_ms, payload FROM events WHERE memory_id = ?1 AND actor_id = ?2 "
        "AND session_id = ?3 AND seq BETWEEN ?4 AND ?5 AND skip_extract = 0 "
        "ORDER BY ts_ms, seq LIMIT ?6";
    static const char whole[] =
        "SELECT event_id, ts_ms, payload FROM (SELECT event_id, ts_ms, payload, seq FROM events "
        "WHERE memory_id = ?1 AND actor_id = ?2 AND session_id = ?3 AND skip_extract = 0 "
        "AND ?4 <= ?5 ORDER BY ts_ms DESC, seq DESC LIMIT ?6) ORDER BY ts_ms, seq";
    struct pipe_ctx *x = arg;
    const struct am_job_row *j = x->cjob;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, x->whole ? whole : range);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, j->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, j->actor_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, j->session_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, j->from_seq);
    sqlite3_bind_int64(s, 5, j->to_seq);
    sqlite3_bind_int(s, 6, x->limit);
    am_events *r = am_events_new((size_t)x->limit);
    int rc = r ? AM_OK : am_error(db, AM_ENOMEM, "out of memory"), src = SQLITE_DONE;
    while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
        struct am_arena *a = am_result_arena(r->priv);
        am_event *e = &r->items[r->n++];
        e->event_id = am_sqlite_col_dup(a, s, 0);
        e->timestamp_ms = sqlite3_column_int64(s, 1);
        e->actor_id = j->actor_id;     /* borrowed: the job outlives the result */
        e->session_id = j->session_id;
        e->memory_id = j->memory_id;
        rc = am_payload_from_json(db, a, (const char *)sqlite3_column_text(s, 2), &e->payload,
                                  &e->n_payload);
    }
    sqlite3_reset(s);
    if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
        rc = am_sqlite_fail(db, c, src, "read job events");
    if (rc) {
        am_events_free(r);
        return rc;
    }
    *x->out = r;
    return AM_OK;
}

int am_sqlite_job_events(am_db *db, struct am_store *st, const struct am_job_row *job,
                         bool whole_session, int limit, am_events **out)
{
    struct pipe_ctx x = {.cjob = job, .whole = whole_session, .limit = limit, .out = out};
    *out = NULL;
    return am_sqlite_read(db, st, job_events_fn, &x);
}

/* The current records of a namespace and strategy: ids, texts and keys, for consolidation. */
struct existing {
    size_t n, cap;
    char **ids, **texts, **keys;
};

static void existing_free(struct existing *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->ids[i]);
        free(e->texts[i]);
        free(e->keys[i]);
    }
    free(e->ids);
    free(e->texts);
    free(e->keys);
    memset(e, 0, sizeof *e);
}

static char *col_strdup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? strdup((const char *)t) : NULL;
}

/* The current records of the candidate's namespace and strategy that it may repeat or
 * update: those with its key, its best FTS matches, the most recent (store.h). */
static int load_existing(am_db *db, struct am_conn *c, const char *memory_id,
                         const struct am_cand_row *cand, struct existing *e)
{
#define PEERS_SCOPE "memory_id = ?1 AND namespace = ?2 AND strategy_id = ?3 AND " \
                    "superseded_by IS NULL"
#define PEERS_BASE                                                                          \
    "SELECT record_id, text, rkey FROM records WHERE rowid IN ("                            \
    "SELECT rowid FROM records WHERE " PEERS_SCOPE " AND rkey = ?4 "                        \
    "UNION SELECT rowid FROM (SELECT rowid FROM records WHERE " PEERS_SCOPE                 \
    " ORDER BY created_ms DESC LIMIT ?5)"
    static const char with_fts[] =
        PEERS_BASE " UNION SELECT rowid FROM (SELECT r.rowid FROM (SELECT rowid, rank FROM "
        "records_fts WHERE records_fts MATCH ?6) f JOIN records r "
        "ON r.rowid = f.rowid WHERE r.memory_id = ?1 AND r.namespace = ?2 AND "
        "r.strategy_id = ?3 AND r.superseded_by IS NULL ORDER BY f.rank LIMIT ?7)) "
        "ORDER BY created_ms DESC";
    static const char without_fts[] = PEERS_BASE ") ORDER BY created_ms DESC";
#undef PEERS_BASE
#undef PEERS_SCOPE
    sqlite3_stmt *s = am_sqlite_stmt(db, c, cand->fts ? with_fts : without_fts);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, cand->namespace_, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, cand->strategy_id ? cand->strategy_id : "", -1, SQLITE_STATIC);
    am_sqlite_bind_text(s, 4, cand->key);
    sqlite3_bind_int(s, 5, AM_CONSOLIDATE_RECENT);
    if (cand->fts) {
        sqlite3_bind_text(s, 6, cand->fts, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 7, AM_CONSOLIDATE_MATCHES);
    }
    int src, rc = AM_OK;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        if (e->n == e->cap) {
            e->cap = e->cap ? e->cap * 2 : 32;
            char **a = realloc(e->ids, e->cap * sizeof *a);
            if (a)
                e->ids = a;
            char **b = realloc(e->texts, e->cap * sizeof *b);
            if (b)
                e->texts = b;
            char **k = realloc(e->keys, e->cap * sizeof *k);
            if (k)
                e->keys = k;
            if (!a || !b || !k) {
                rc = am_error(db, AM_ENOMEM, "out of memory");
                break;
            }
        }
        e->ids[e->n] = col_strdup(s, 0);
        e->texts[e->n] = col_strdup(s, 1);
        e->keys[e->n] = col_strdup(s, 2);
        e->n++;
        if (!e->ids[e->n - 1] || !e->texts[e->n - 1]) {
            rc = am_error(db, AM_ENOMEM, "out of memory");
            break;
        }
    }
    sqlite3_reset(s);
    if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
        rc = am_sqlite_fail(db, c, src, "read records");
    return rc;
}

static int insert_candidate(am_db *db, struct am_conn *c, const struct am_job_row *j,
                            const struct am_cand_row *cand, int64_t now, const char *lineage,
                            char *out_id)
{
    static const char sql[] =
        "INSERT INTO records (memory_id, record_id, text, namespace, strategy_id, created_ms, "
        "updated_ms, actor_id, session_id, source, embedding, embed_model, rkey, kind, "
        "lineage) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,coalesce(?15, ?2))";
    memcpy(out_id, "mem-", 4);
    am_rand_uuid(out_id + 4);
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, j->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, out_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, cand->text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, cand->namespace_, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, cand->strategy_id ? cand->strategy_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, cand->ts_ms > 0 ? cand->ts_ms : now);
    sqlite3_bind_int64(s, 7, now);
    sqlite3_bind_text(s, 8, j->actor_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, j->session_id, -1, SQLITE_STATIC);
    am_sqlite_bind_text(s, 10, cand->sources_json);
    if (cand->embedding)
        sqlite3_bind_blob(s, 11, cand->embedding, cand->dim * (int)sizeof(float),
                          SQLITE_STATIC);
    am_sqlite_bind_text(s, 12, cand->embed_model);
    am_sqlite_bind_text(s, 13, cand->key);
    sqlite3_bind_int(s, 14, cand->kind);
    am_sqlite_bind_text(s, 15, lineage);
    int src = sqlite3_step(s);
    sqlite3_reset(s);
    return src == SQLITE_DONE ? AM_OK : am_sqlite_fail(db, c, src, "insert record");
}

static int complete_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char supersede[] =
        "UPDATE records SET superseded_by = ?3, updated_ms = ?4 WHERE memory_id = ?1 AND "
        "record_id = ?2";
    static const char lineage_of[] =
        "SELECT lineage FROM records WHERE memory_id = ?1 AND record_id = ?2";
    static const char del[] = "DELETE FROM jobs WHERE memory_id = ? AND job_id = ?";
    struct pipe_ctx *x = arg;
    const struct am_job_row *j = x->cjob;
    int64_t now = am_now_ms();
    int rc = AM_OK;

    for (size_t i = 0; i < x->n && !rc; i++) {
        const struct am_cand_row *cand = &x->cands[i];
        struct existing e = {0};
        size_t idx = 0;
        char id[48];
        rc = load_existing(db, c, j->memory_id, cand, &e);
        if (rc) {
            existing_free(&e);
            break;
        }
        int d = x->decide(x->arg, cand, (const char *const *)e.texts,
                          (const char *const *)e.keys, e.n, &idx);
        if (d == 1 /* SKIP */) {
            existing_free(&e);
            continue;
        }
        char *lineage = NULL;
        if (d == 2 /* SUPERSEDE */ && idx < e.n) {
            sqlite3_stmt *s = am_sqlite_stmt(db, c, lineage_of);
            if (!s) {
                existing_free(&e);
                rc = AM_EIO;
                break;
            }
            sqlite3_bind_text(s, 1, j->memory_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 2, e.ids[idx], -1, SQLITE_STATIC);
            if (sqlite3_step(s) == SQLITE_ROW)
                lineage = col_strdup(s, 0);
            sqlite3_reset(s);
        }
        rc = insert_candidate(db, c, j, cand, now, lineage, id);
        free(lineage);
        if (!rc && d == 2 && idx < e.n) {
            sqlite3_stmt *s = am_sqlite_stmt(db, c, supersede);
            if (!s) {
                rc = AM_EIO;
            } else {
                sqlite3_bind_text(s, 1, j->memory_id, -1, SQLITE_STATIC);
                sqlite3_bind_text(s, 2, e.ids[idx], -1, SQLITE_STATIC);
                sqlite3_bind_text(s, 3, id, -1, SQLITE_STATIC);
                sqlite3_bind_int64(s, 4, now);
                int src = sqlite3_step(s);
                sqlite3_reset(s);
                if (src != SQLITE_DONE)
                    rc = am_sqlite_fail(db, c, src, "supersede record");
                else
                    (*x->superseded)++;
            }
        } else if (!rc) {
            (*x->added)++;
        }
        existing_free(&e);
    }
    if (rc)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, del);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, j->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, j->job_id, -1, SQLITE_STATIC);
    int src = sqlite3_step(s);
    sqlite3_reset(s);
    return src == SQLITE_DONE ? AM_OK : am_sqlite_fail(db, c, src, "retire job");
}

int am_sqlite_job_complete(am_db *db, struct am_store *st, const struct am_job_row *job,
                           const struct am_cand_row *c, size_t n, am_decide_fn decide,
                           void *arg, int *out_added, int *out_superseded)
{
    struct pipe_ctx x = {.cjob = job, .cands = c, .n = n, .decide = decide, .arg = arg,
                         .added = out_added, .superseded = out_superseded};
    *out_added = *out_superseded = 0;
    return am_sqlite_write(db, st, complete_fn, &x);
}

static int fail_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "UPDATE jobs SET status = CASE WHEN ?4 = 0 THEN 'FAILED' ELSE 'RETRYING' END, "
        "failure_reason = ?3, run_after_ms = ?4, updated_ms = ?5 "
        "WHERE memory_id = ?1 AND job_id = ?2";
    struct pipe_ctx *x = arg;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->cjob->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, x->cjob->job_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, x->reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, x->retry_at);
    sqlite3_bind_int64(s, 5, am_now_ms());
    int src = sqlite3_step(s);
    sqlite3_reset(s);
    return src == SQLITE_DONE ? AM_OK : am_sqlite_fail(db, c, src, "fail job");
}

int am_sqlite_job_fail(am_db *db, struct am_store *st, const struct am_job_row *job,
                       const char *reason, int64_t retry_at_ms)
{
    struct pipe_ctx x = {.cjob = job, .reason = reason, .retry_at = retry_at_ms};
    return am_sqlite_write(db, st, fail_fn, &x);
}

struct status_ctx {
    const char *memory_id, *actor_id, *session_id, *event_id;
    const char **out;
};

static int status_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char ev[] =
        "SELECT e.skip_extract, e.seq, m.strategies <> '[]' FROM events e JOIN memories m ON "
        "m.id = e.memory_id WHERE e.memory_id = ? AND e.event_id = ? AND e.actor_id = ? AND "
        "e.session_id = ?";
    static const char job[] =
        "SELECT status FROM jobs WHERE memory_id = ? AND actor_id = ? AND session_id = ? AND "
        "? BETWEEN from_seq AND to_seq ORDER BY rowid DESC LIMIT 1";
    static const char *const names[] = {"PENDING", "RUNNING", "RETRYING", "FAILED"};
    struct status_ctx *x = arg;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, ev);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, x->event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, x->actor_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, x->session_id, -1, SQLITE_STATIC);
    int src = sqlite3_step(s);
    if (src != SQLITE_ROW) {
        sqlite3_reset(s);
        return src == SQLITE_DONE ? am_error(db, AM_ENOTFOUND, "Event %s not found",
                                             x->event_id)
                                  : am_sqlite_fail(db, c, src, "read event");
    }
    bool skip = sqlite3_column_int(s, 0) != 0, strategies = sqlite3_column_int(s, 2) != 0;
    int64_t seq = sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    if (!strategies) {
        *x->out = "NONE";
        return AM_OK;
    }
    if (skip) {
        *x->out = "SKIPPED";
        return AM_OK;
    }
    if (!(s = am_sqlite_stmt(db, c, job)))
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, x->actor_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, x->session_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, seq);
    src = sqlite3_step(s);
    *x->out = "DONE";          /* a job is deleted when its records are stored */
    if (src == SQLITE_ROW)
        for (int i = 0; i < 4; i++)
            if (strcmp((const char *)sqlite3_column_text(s, 0), names[i]) == 0)
                *x->out = names[i];
    sqlite3_reset(s);
    return src == SQLITE_ROW || src == SQLITE_DONE ? AM_OK
                                                   : am_sqlite_fail(db, c, src, "read job");
}

int am_sqlite_event_extraction(am_db *db, struct am_store *st, const char *memory_id,
                               const char *actor_id, const char *session_id,
                               const char *event_id, const char **out_status)
{
    struct status_ctx x = {memory_id, actor_id, session_id, event_id, out_status};
    *out_status = NULL;
    return am_sqlite_read(db, st, status_fn, &x);
}
