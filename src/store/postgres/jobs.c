/*
 * jobs.c - the durable extraction queue, shared by every server on the database. An event
 * insert marks its session as having new work (one PENDING job per session at a time, in
 * the event's transaction). Workers claim with FOR UPDATE SKIP LOCKED, so servers never
 * wait on each other's claims and a job runs on one worker at a time; a RUNNING job's lease
 * (run_after_ms) lets another worker take over from one that died. Completing checks that
 * the job is still the claimant's, so a job taken over is not consolidated twice.
 */
#include "store/postgres/pg.h"

#include "core/events.h"
#include "core/result.h"
#include "util/rand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int am_pg_enqueue_extraction(am_db *db, struct am_pg_conn *c, const char *memory_id,
                             const char *actor_id, const char *session_id, int64_t seq,
                             bool skip, int64_t now_ms)
{
    /* a job covers the session's events with from_seq <= seq <= to_seq; appending an event
       only moves to_seq, so the cost per event is constant */
    static const char sql[] =
        "INSERT INTO jobs (memory_id, job_id, status, actor_id, session_id, from_seq, to_seq, "
        "created_ms, updated_ms) "
        "SELECT $1::text, $2::text, 'PENDING', $3::text, $4::text, $5::bigint, $5::bigint, "
        "$6::bigint, $6::bigint FROM memories WHERE id = $1 AND strategies <> '[]' "
        "ON CONFLICT (memory_id, actor_id, session_id) WHERE status = 'PENDING' DO UPDATE SET "
        "to_seq = GREATEST(jobs.to_seq, EXCLUDED.to_seq), updated_ms = EXCLUDED.updated_ms";
    char job_id[48];
    if (skip)
        return AM_OK;
    memcpy(job_id, "job-", 4);
    am_rand_uuid(job_id + 4);
    struct am_pgp p = {0};
    am_pg_text(&p, memory_id);
    am_pg_text(&p, job_id);
    am_pg_text(&p, actor_id);
    am_pg_text(&p, session_id);
    am_pg_int(&p, seq);
    am_pg_int(&p, now_ms);
    return am_pg_query(db, c, sql, &p, "enqueue extraction", NULL, NULL);
}

struct job_ctx {
    const am_job_query *q;
    const char *memory_id, *job_id;
    int limit;
    int64_t offset;
    am_jobs **out;
    bool *more;
};

static int list_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT job_id, status, failure_reason, strategy_id, actor_id, session_id, "
        "coalesce((SELECT json_agg(json_build_object('eventId', e.event_id, 'messageIndex', 0)"
        " ORDER BY e.seq)::text FROM (SELECT event_id, seq FROM events WHERE "
        " memory_id = jobs.memory_id AND actor_id = jobs.actor_id AND "
        " session_id = jobs.session_id AND seq BETWEEN jobs.from_seq AND jobs.to_seq "
        " ORDER BY seq LIMIT 100) e), '[]'), "
        "attempts, created_ms FROM jobs WHERE memory_id = $1 AND ($2::text IS NULL OR "
        "status = $2) AND ($3::text IS NULL OR strategy_id = $3) AND ($4::text IS NULL OR "
        "actor_id = $4) AND ($5::text IS NULL OR session_id = $5) ORDER BY rowid "
        "LIMIT $6 OFFSET $7";
    struct job_ctx *x = arg;
    const am_job_query *q = x->q;
    int64_t min_created;
    int rc = am_pg_visible_since(db, c, x->memory_id, am_now_ms(), &min_created);
    if (rc)
        return rc;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_text(&p, x->memory_id);
    am_pg_text(&p, q->status);
    am_pg_text(&p, q->strategy_id);
    am_pg_text(&p, q->actor_id);
    am_pg_text(&p, q->session_id);
    am_pg_int(&p, x->limit + 1);
    am_pg_int(&p, x->offset);
    rc = am_pg_query(db, c, sql, &p, "list jobs", &s, NULL);
    if (rc)
        return rc;
    am_jobs *r = am_jobs_new((size_t)x->limit);
    rc = r ? AM_OK : am_error(db, AM_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < PQntuples(s); i++) {
        if (r->n == (size_t)x->limit) {
            *x->more = true;
            break;
        }
        struct am_arena *a = am_result_arena(r->priv);
        am_job *j = &r->items[r->n++];
        j->job_id = am_pg_dup(a, s, i, 0);
        j->status = am_pg_dup(a, s, i, 1);
        j->failure_reason = am_pg_dup(a, s, i, 2);
        j->strategy_id = am_pg_dup(a, s, i, 3);
        j->actor_id = am_pg_dup(a, s, i, 4);
        j->session_id = am_pg_dup(a, s, i, 5);
        j->messages_json = am_pg_dup(a, s, i, 6);
        j->attempts = (int)am_pg_i64(s, i, 7);
        j->created_ms = am_pg_i64(s, i, 8);
        if (!j->job_id || !j->status || !j->messages_json)
            rc = am_error(db, AM_ENOMEM, "out of memory");
    }
    PQclear(s);
    if (rc) {
        am_jobs_free(r);
        return rc;
    }
    *x->out = r;
    return AM_OK;
}

int am_pg_job_list(am_db *db, struct am_store *st, const am_job_query *q, int limit,
                   int64_t offset, am_jobs **out, bool *out_more)
{
    struct job_ctx x = {.q = q, .memory_id = q->memory_id, .limit = limit, .offset = offset,
                        .out = out, .more = out_more};
    *out = NULL;
    *out_more = false;
    return am_pg_read(db, st, list_fn, &x);
}

static int start_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    /* a restarted job is RETRYING, not PENDING: it keeps its own range of events even when
       the session already has a pending job for newer ones */
    static const char sql[] =
        "UPDATE jobs SET status = 'RETRYING', failure_reason = NULL, run_after_ms = 0, "
        "attempts = 0, updated_ms = $3 WHERE memory_id = $1 AND job_id = $2 AND "
        "status = 'FAILED'";
    static const char exists[] = "SELECT 1 FROM jobs WHERE memory_id = $1 AND job_id = $2";
    struct job_ctx *x = arg;
    int64_t min_created;
    int rc = am_pg_visible_since(db, c, x->memory_id, am_now_ms(), &min_created);
    if (rc)
        return rc;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_text(&p, x->memory_id);
    am_pg_text(&p, x->job_id);
    rc = am_pg_query(db, c, exists, &p, "read job", &s, NULL);
    if (rc)
        return rc;
    int n = PQntuples(s);
    PQclear(s);
    if (n == 0)
        return am_error(db, AM_ENOTFOUND, "Extraction job %s not found", x->job_id);
    am_pg_int(&p, am_now_ms());          /* not FAILED: starting it changes nothing */
    return am_pg_query(db, c, sql, &p, "restart job", NULL, NULL);
}

int am_pg_job_start(am_db *db, struct am_store *st, const char *memory_id, const char *job_id)
{
    struct job_ctx x = {.memory_id = memory_id, .job_id = job_id};
    return am_pg_write(db, st, start_fn, &x);
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

static void copy_col(char *dst, size_t cap, const PGresult *s, int i)
{
    snprintf(dst, cap, "%s", PQgetisnull(s, 0, i) ? "" : PQgetvalue(s, 0, i));
}

static int claim_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    /* a RUNNING job whose lease ran out belonged to a worker that died: take it over.
       SKIP LOCKED: a job another server is claiming right now is passed over, not waited
       for; the re-check of the WHERE clause after locking keeps a job from being claimed
       twice */
    static const char sql[] =
        "UPDATE jobs SET status = 'RUNNING', attempts = attempts + 1, "
        "run_after_ms = $1::bigint + $2::bigint, updated_ms = $1 WHERE rowid = "
        "(SELECT rowid FROM jobs WHERE status IN ('PENDING', 'RUNNING', 'RETRYING') AND "
        "run_after_ms <= $1 ORDER BY run_after_ms, rowid LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "RETURNING memory_id, job_id, actor_id, session_id, from_seq, to_seq, attempts";
    struct pipe_ctx *x = arg;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_int(&p, x->now_ms);
    am_pg_int(&p, x->lease_ms);
    *x->found = false;
    int rc = am_pg_query(db, c, sql, &p, "claim job", &s, NULL);
    if (rc)
        return rc;
    if (PQntuples(s) == 1) {
        struct am_job_row *j = x->job;
        copy_col(j->memory_id, sizeof j->memory_id, s, 0);
        copy_col(j->job_id, sizeof j->job_id, s, 1);
        copy_col(j->actor_id, sizeof j->actor_id, s, 2);
        copy_col(j->session_id, sizeof j->session_id, s, 3);
        j->from_seq = am_pg_i64(s, 0, 4);
        j->to_seq = am_pg_i64(s, 0, 5);
        j->attempts = (int)am_pg_i64(s, 0, 6);
        *x->found = true;
    }
    PQclear(s);
    return AM_OK;
}

static int due_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT 1 FROM jobs WHERE status IN ('PENDING', 'RUNNING', 'RETRYING') AND "
        "run_after_ms <= $1 LIMIT 1";
    struct pipe_ctx *x = arg;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_int(&p, x->now_ms);
    int rc = am_pg_query(db, c, sql, &p, "read jobs", &s, NULL);
    if (rc)
        return rc;
    *x->found = PQntuples(s) > 0;
    PQclear(s);
    return AM_OK;
}

int am_pg_job_claim(am_db *db, struct am_store *st, int64_t now_ms, int64_t lease_ms,
                    struct am_job_row *out, bool *out_found)
{
    struct pipe_ctx x = {.now_ms = now_ms, .lease_ms = lease_ms, .job = out,
                         .found = out_found};
    /* look first with a read: an idle worker must not write */
    *out_found = false;
    int rc = am_pg_read(db, st, due_fn, &x);
    if (rc || !*out_found)
        return rc;
    *out_found = false;
    return am_pg_write(db, st, claim_fn, &x);
}

static int job_events_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char range[] =
        "SELECT event_id, ts_ms, payload FROM events WHERE memory_id = $1 AND actor_id = $2 "
        "AND session_id = $3 AND seq BETWEEN $4 AND $5 AND NOT skip_extract "
        "ORDER BY ts_ms, seq LIMIT $6";
    static const char whole[] =
        "SELECT event_id, ts_ms, payload FROM (SELECT event_id, ts_ms, payload, seq FROM events "
        "WHERE memory_id = $1 AND actor_id = $2 AND session_id = $3 AND NOT skip_extract "
        "AND $4::bigint <= $5::bigint ORDER BY ts_ms DESC, seq DESC LIMIT $6) e "
        "ORDER BY ts_ms, seq";
    struct pipe_ctx *x = arg;
    const struct am_job_row *j = x->cjob;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_text(&p, j->memory_id);
    am_pg_text(&p, j->actor_id);
    am_pg_text(&p, j->session_id);
    am_pg_int(&p, j->from_seq);
    am_pg_int(&p, j->to_seq);
    am_pg_int(&p, x->limit);
    int rc = am_pg_query(db, c, x->whole ? whole : range, &p, "read job events", &s, NULL);
    if (rc)
        return rc;
    am_events *r = am_events_new((size_t)x->limit);
    rc = r ? AM_OK : am_error(db, AM_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < PQntuples(s) && r->n < (size_t)x->limit; i++) {
        struct am_arena *a = am_result_arena(r->priv);
        am_event *e = &r->items[r->n++];
        e->event_id = am_pg_dup(a, s, i, 0);
        e->timestamp_ms = am_pg_i64(s, i, 1);
        e->actor_id = j->actor_id;     /* borrowed: the job outlives the result */
        e->session_id = j->session_id;
        e->memory_id = j->memory_id;
        rc = am_payload_from_json(db, a, PQgetvalue(s, i, 2), &e->payload, &e->n_payload);
    }
    PQclear(s);
    if (rc) {
        am_events_free(r);
        return rc;
    }
    *x->out = r;
    return AM_OK;
}

int am_pg_job_events(am_db *db, struct am_store *st, const struct am_job_row *job,
                     bool whole_session, int limit, am_events **out)
{
    struct pipe_ctx x = {.cjob = job, .whole = whole_session, .limit = limit, .out = out};
    *out = NULL;
    return am_pg_read(db, st, job_events_fn, &x);
}

/* The current records of a namespace and strategy: ids, texts and keys, for consolidation. */
struct existing {
    size_t n;
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

/* The current records the candidate may repeat or update. */
static int load_existing(am_db *db, struct am_pg_conn *c, const char *memory_id,
                         const struct am_cand_row *cand, struct existing *e)
{
    /* as SQLite's: those with the candidate's key, its best full-text matches (the core's
       FTS5 expression is websearch_to_tsquery syntax), the most recent (store.h) */
#define PEERS_SCOPE "memory_id = $1 AND namespace = $2 AND strategy_id = $3 AND " \
                    "superseded_by IS NULL"
    static const char sql[] =
        "SELECT record_id, text, rkey FROM records WHERE " PEERS_SCOPE " AND record_id IN ("
        "SELECT record_id FROM records WHERE " PEERS_SCOPE " AND rkey = $4 "
        "UNION (SELECT record_id FROM records WHERE " PEERS_SCOPE
        " ORDER BY created_ms DESC LIMIT $5) "
        "UNION (SELECT record_id FROM records, websearch_to_tsquery('english', $6) q WHERE "
        PEERS_SCOPE " AND $6 IS NOT NULL AND tsv @@ q ORDER BY ts_rank_cd(tsv, q) DESC "
        "LIMIT $7)) ORDER BY created_ms DESC";
#undef PEERS_SCOPE
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_text(&p, memory_id);
    am_pg_text(&p, cand->namespace_);
    am_pg_text(&p, cand->strategy_id ? cand->strategy_id : "");
    am_pg_text(&p, cand->key);
    am_pg_int(&p, AM_CONSOLIDATE_RECENT);
    am_pg_text(&p, cand->fts);
    am_pg_int(&p, AM_CONSOLIDATE_MATCHES);
    int rc = am_pg_query(db, c, sql, &p, "read records", &s, NULL);
    if (rc)
        return rc;
    size_t rows = (size_t)PQntuples(s);
    e->ids = calloc(rows + 1, sizeof *e->ids);
    e->texts = calloc(rows + 1, sizeof *e->texts);
    e->keys = calloc(rows + 1, sizeof *e->keys);
    if (!e->ids || !e->texts || !e->keys)
        rc = am_error(db, AM_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < rows; i++) {
        e->ids[i] = am_pg_strdup(s, (int)i, 0);
        e->texts[i] = am_pg_strdup(s, (int)i, 1);
        e->keys[i] = am_pg_strdup(s, (int)i, 2);
        e->n++;
        if (!e->ids[i] || !e->texts[i])
            rc = am_error(db, AM_ENOMEM, "out of memory");
    }
    PQclear(s);
    return rc;
}

static int insert_candidate(am_db *db, struct am_pg_conn *c, const struct am_job_row *j,
                            const struct am_cand_row *cand, int64_t now, const char *lineage,
                            char *out_id)
{
    static const char sql[] =
        "INSERT INTO records (memory_id, record_id, text, namespace, strategy_id, created_ms, "
        "updated_ms, actor_id, session_id, source, embedding, embed_model, rkey, kind, "
        "lineage) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,coalesce($15, $2))";
    memcpy(out_id, "mem-", 4);
    am_rand_uuid(out_id + 4);
    struct am_pgp p = {0};
    am_pg_text(&p, j->memory_id);
    am_pg_text(&p, out_id);
    am_pg_text(&p, cand->text);
    am_pg_text(&p, cand->namespace_);
    am_pg_text(&p, cand->strategy_id ? cand->strategy_id : "");
    am_pg_int(&p, cand->ts_ms > 0 ? cand->ts_ms : now);
    am_pg_int(&p, now);
    am_pg_text(&p, j->actor_id);
    am_pg_text(&p, j->session_id);
    am_pg_text(&p, cand->sources_json);
    am_pg_blob(&p, cand->embedding, cand->dim * (int)sizeof(float));
    am_pg_text(&p, cand->embed_model);
    am_pg_text(&p, cand->key);
    am_pg_int(&p, cand->kind);
    am_pg_text(&p, lineage);
    return am_pg_query(db, c, sql, &p, "insert record", NULL, NULL);
}

/* Lock the job; *out_mine is false when it was retired or taken over meanwhile. */
static int lock_job(am_db *db, struct am_pg_conn *c, const struct am_job_row *j, bool *out_mine)
{
    static const char sql[] =
        "SELECT attempts FROM jobs WHERE memory_id = $1 AND job_id = $2 AND "
        "status = 'RUNNING' FOR UPDATE";
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_text(&p, j->memory_id);
    am_pg_text(&p, j->job_id);
    int rc = am_pg_query(db, c, sql, &p, "lock job", &s, NULL);
    if (rc)
        return rc;
    *out_mine = PQntuples(s) == 1 && am_pg_i64(s, 0, 0) == j->attempts;
    PQclear(s);
    return AM_OK;
}

static int complete_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char supersede[] =
        "UPDATE records SET superseded_by = $3, updated_ms = $4 WHERE memory_id = $1 AND "
        "record_id = $2";
    static const char lineage_of[] =
        "SELECT lineage FROM records WHERE memory_id = $1 AND record_id = $2";
    static const char del[] = "DELETE FROM jobs WHERE memory_id = $1 AND job_id = $2";
    struct pipe_ctx *x = arg;
    const struct am_job_row *j = x->cjob;
    int64_t now = am_now_ms();
    bool mine = false;

    *x->added = *x->superseded = 0;        /* a retried transaction counts afresh */
    int rc = lock_job(db, c, j, &mine);
    if (rc || !mine)
        return rc;
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
            struct am_pgp p = {0};
            PGresult *s = NULL;
            am_pg_text(&p, j->memory_id);
            am_pg_text(&p, e.ids[idx]);
            rc = am_pg_query(db, c, lineage_of, &p, "read lineage", &s, NULL);
            if (!rc && PQntuples(s) == 1)
                lineage = am_pg_strdup(s, 0, 0);
            PQclear(s);
        }
        if (!rc)
            rc = insert_candidate(db, c, j, cand, now, lineage, id);
        free(lineage);
        if (!rc && d == 2 && idx < e.n) {
            struct am_pgp p = {0};
            am_pg_text(&p, j->memory_id);
            am_pg_text(&p, e.ids[idx]);
            am_pg_text(&p, id);
            am_pg_int(&p, now);
            rc = am_pg_query(db, c, supersede, &p, "supersede record", NULL, NULL);
            if (!rc)
                (*x->superseded)++;
        } else if (!rc) {
            (*x->added)++;
        }
        existing_free(&e);
    }
    if (rc)
        return rc;
    struct am_pgp p = {0};
    am_pg_text(&p, j->memory_id);
    am_pg_text(&p, j->job_id);
    return am_pg_query(db, c, del, &p, "retire job", NULL, NULL);
}

int am_pg_job_complete(am_db *db, struct am_store *st, const struct am_job_row *job,
                       const struct am_cand_row *c, size_t n, am_decide_fn decide, void *arg,
                       int *out_added, int *out_superseded)
{
    struct pipe_ctx x = {.cjob = job, .cands = c, .n = n, .decide = decide, .arg = arg,
                         .added = out_added, .superseded = out_superseded};
    *out_added = *out_superseded = 0;
    return am_pg_write(db, st, complete_fn, &x);
}

static int fail_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char sql[] =
        "UPDATE jobs SET status = CASE WHEN $4::bigint = 0 THEN 'FAILED' ELSE 'RETRYING' END, "
        "failure_reason = $3, run_after_ms = $4, updated_ms = $5 "
        "WHERE memory_id = $1 AND job_id = $2";
    struct pipe_ctx *x = arg;
    struct am_pgp p = {0};
    am_pg_text(&p, x->cjob->memory_id);
    am_pg_text(&p, x->cjob->job_id);
    am_pg_text(&p, x->reason);
    am_pg_int(&p, x->retry_at);
    am_pg_int(&p, am_now_ms());
    return am_pg_query(db, c, sql, &p, "fail job", NULL, NULL);
}

int am_pg_job_fail(am_db *db, struct am_store *st, const struct am_job_row *job,
                   const char *reason, int64_t retry_at_ms)
{
    struct pipe_ctx x = {.cjob = job, .reason = reason, .retry_at = retry_at_ms};
    return am_pg_write(db, st, fail_fn, &x);
}

struct status_ctx {
    const char *memory_id, *actor_id, *session_id, *event_id;
    const char **out;
};

static int status_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char ev[] =
        "SELECT e.skip_extract, e.seq, m.strategies <> '[]' FROM events e JOIN memories m ON "
        "m.id = e.memory_id WHERE e.memory_id = $1 AND e.event_id = $2 AND e.actor_id = $3 "
        "AND e.session_id = $4";
    static const char job[] =
        "SELECT status FROM jobs WHERE memory_id = $1 AND actor_id = $2 AND session_id = $3 "
        "AND $4::bigint BETWEEN from_seq AND to_seq ORDER BY rowid DESC LIMIT 1";
    static const char *const names[] = {"PENDING", "RUNNING", "RETRYING", "FAILED"};
    struct status_ctx *x = arg;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    am_pg_text(&p, x->memory_id);
    am_pg_text(&p, x->event_id);
    am_pg_text(&p, x->actor_id);
    am_pg_text(&p, x->session_id);
    int rc = am_pg_query(db, c, ev, &p, "read event", &s, NULL);
    if (rc)
        return rc;
    if (PQntuples(s) == 0) {
        PQclear(s);
        return am_error(db, AM_ENOTFOUND, "Event %s not found", x->event_id);
    }
    bool skip = strcmp(PQgetvalue(s, 0, 0), "t") == 0;
    bool strategies = strcmp(PQgetvalue(s, 0, 2), "t") == 0;
    int64_t seq = am_pg_i64(s, 0, 1);
    PQclear(s);
    if (!strategies) {
        *x->out = "NONE";
        return AM_OK;
    }
    if (skip) {
        *x->out = "SKIPPED";
        return AM_OK;
    }
    struct am_pgp q = {0};
    am_pg_text(&q, x->memory_id);
    am_pg_text(&q, x->actor_id);
    am_pg_text(&q, x->session_id);
    am_pg_int(&q, seq);
    rc = am_pg_query(db, c, job, &q, "read job", &s, NULL);
    if (rc)
        return rc;
    *x->out = "DONE";          /* a job is deleted when its records are stored */
    if (PQntuples(s) == 1)
        for (int i = 0; i < 4; i++)
            if (strcmp(PQgetvalue(s, 0, 0), names[i]) == 0)
                *x->out = names[i];
    PQclear(s);
    return AM_OK;
}

int am_pg_event_extraction(am_db *db, struct am_store *st, const char *memory_id,
                           const char *actor_id, const char *session_id,
                           const char *event_id, const char **out_status)
{
    struct status_ctx x = {memory_id, actor_id, session_id, event_id, out_status};
    *out_status = NULL;
    return am_pg_read(db, st, status_fn, &x);
}
