/*
 * records.c - the PostgreSQL side of long-term memory records. Text is indexed by the
 * generated column tsv (to_tsvector('english', text)) under a GIN index; the lexical score
 * is ts_rank_cd, higher is better, as SQLite's -bm25. Vectors are float32 bytea.
 *
 * Namespace scoping: a query namespace N selects records whose namespace is N or lies below
 * N at a '/' boundary; trailing slashes are ignored on both sides ("/a/b/" == "/a/b").
 */
#include "store/postgres/pg.h"

#include "core/result.h"
#include "core/validate.h"

#include <stdlib.h>
#include <string.h>

#define RECORD_COLS "r.record_id, r.text, r.namespace, r.strategy_id, r.created_ms, " \
                    "r.updated_ms, r.metadata, r.actor_id, r.session_id, r.source, r.rowid, " \
                    "r.superseded_by"

/* parameters $1..$6: memory, namespace, strategy, actor, session, include superseded */
#define SCOPE_SQL                                                                 \
    " r.memory_id = $1"                                                           \
    " AND ($2::text IS NULL OR rtrim($2, '/') = '' OR rtrim(r.namespace, '/') = rtrim($2, '/')" \
    "      OR substr(r.namespace, 1, length(rtrim($2, '/')) + 1) = rtrim($2, '/') || '/')" \
    " AND ($3::text IS NULL OR r.strategy_id = $3)"                               \
    " AND ($4::text IS NULL OR r.actor_id = $4)"                                  \
    " AND ($5::text IS NULL OR r.session_id = $5)"                                \
    " AND ($6::boolean OR r.superseded_by IS NULL)"

static int row_to_record(am_db *db, struct am_arena *a, const PGresult *s, int i, am_record *r)
{
    r->record_id = am_pg_dup(a, s, i, 0);
    r->text = am_pg_dup(a, s, i, 1);
    r->namespace_ = am_pg_dup(a, s, i, 2);
    r->strategy_id = am_pg_dup(a, s, i, 3);
    r->created_ms = am_pg_i64(s, i, 4);
    r->updated_ms = am_pg_i64(s, i, 5);
    r->metadata_json = am_pg_dup(a, s, i, 6);
    r->actor_id = am_pg_dup(a, s, i, 7);
    r->session_id = am_pg_dup(a, s, i, 8);
    r->source_json = am_pg_dup(a, s, i, 9);
    r->superseded_by = am_pg_dup(a, s, i, 11);
    if (!r->record_id || !r->text || !r->namespace_ || !r->strategy_id)
        return am_error(db, AM_ENOMEM, "out of memory");
    return AM_OK;
}

static void bind_scope(struct am_pgp *p, const am_record_query *q, bool superseded)
{
    am_pg_text(p, am_memory_id_of(q->memory_id));
    am_pg_text(p, q->namespace_ ? q->namespace_ : q->namespace_path);
    am_pg_text(p, q->strategy_id);
    am_pg_text(p, q->actor_id);
    am_pg_text(p, q->session_id);
    am_pg_bool(p, superseded);
}

struct rec_ctx {
    const struct am_record_row *row;
    const char *memory_id, *record_id;
    const am_record_query *q;
    const struct am_cursor *cur;
    const char *fts;
    int limit;
    am_records **out;
    bool *more;
    int64_t *last_ts, *last_rowid;
};

static int insert_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char sql[] =
        "INSERT INTO records (memory_id, record_id, text, namespace, strategy_id, created_ms, "
        "updated_ms, metadata, actor_id, session_id, source, embedding, embed_model, lineage) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$2)";
    struct rec_ctx *x = arg;
    const struct am_record_row *row = x->row;
    const am_record_in *in = row->in;
    const char *memory_id = am_memory_id_of(in->memory_id);
    int64_t min_created;
    int rc = am_pg_visible_since(db, c, memory_id, row->now_ms, &min_created);
    if (rc)
        return rc;
    struct am_pgp p = {0};
    am_pg_text(&p, memory_id);
    am_pg_text(&p, row->record_id);
    am_pg_text(&p, in->text);
    am_pg_text(&p, in->namespace_);
    am_pg_text(&p, in->strategy_id ? in->strategy_id : "");
    am_pg_int(&p, in->timestamp_ms);
    am_pg_int(&p, row->now_ms);
    am_pg_text(&p, in->metadata_json);
    am_pg_text(&p, in->actor_id);
    am_pg_text(&p, in->session_id);
    am_pg_text(&p, in->source_json);
    am_pg_blob(&p, row->embedding, row->dim * (int)sizeof(float));
    am_pg_text(&p, row->embed_model);
    return am_pg_query(db, c, sql, &p, "insert record", NULL, NULL);
}

int am_pg_record_insert(am_db *db, struct am_store *st, const struct am_record_row *row)
{
    struct rec_ctx x = {.row = row};
    return am_pg_write(db, st, insert_fn, &x);
}

static int update_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char sql[] =
        "UPDATE records SET text = coalesce($3, text), namespace = coalesce($4, namespace), "
        "strategy_id = coalesce($5, strategy_id), metadata = coalesce($6, metadata), "
        "created_ms = $7, updated_ms = $8, "
        "embedding = CASE WHEN $3::text IS NULL THEN embedding ELSE $9::bytea END, "
        "embed_model = CASE WHEN $3::text IS NULL THEN embed_model ELSE $10::text END "
        "WHERE memory_id = $1 AND record_id = $2";
    struct rec_ctx *x = arg;
    const struct am_record_row *row = x->row;
    const am_record_in *in = row->in;
    const char *memory_id = am_memory_id_of(in->memory_id);
    int64_t min_created, n = 0;
    int rc = am_pg_visible_since(db, c, memory_id, row->now_ms, &min_created);
    if (rc)
        return rc;
    struct am_pgp p = {0};
    am_pg_text(&p, memory_id);
    am_pg_text(&p, in->record_id);
    am_pg_text(&p, in->text);
    am_pg_text(&p, in->namespace_);
    am_pg_text(&p, in->strategy_id);
    am_pg_text(&p, in->metadata_json);
    am_pg_int(&p, in->timestamp_ms);
    am_pg_int(&p, row->now_ms);
    am_pg_blob(&p, row->embedding, row->dim * (int)sizeof(float));
    am_pg_text(&p, row->embed_model);
    rc = am_pg_query(db, c, sql, &p, "update record", NULL, &n);
    if (rc)
        return rc;
    if (n == 0)
        return am_error(db, AM_ENOTFOUND, "Memory record %s not found", in->record_id);
    return AM_OK;
}

int am_pg_record_update(am_db *db, struct am_store *st, const struct am_record_row *row)
{
    struct rec_ctx x = {.row = row};
    return am_pg_write(db, st, update_fn, &x);
}

/* Rows of s (RECORD_COLS, then the score if scored) into *x->out. */
static int collect(am_db *db, const PGresult *s, struct rec_ctx *x, bool scored)
{
    am_records *r = am_records_new((size_t)x->limit);
    int rc = r ? AM_OK : am_error(db, AM_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < PQntuples(s); i++) {
        if (r->n == (size_t)x->limit) {
            if (x->more)
                *x->more = true;
            break;
        }
        am_record *e = &r->items[r->n++];
        rc = row_to_record(db, am_result_arena(r->priv), s, i, e);
        if (scored)
            e->score = strtod(PQgetvalue(s, i, 12), NULL);
        if (x->last_ts) {
            *x->last_ts = e->created_ms;
            *x->last_rowid = am_pg_i64(s, i, 10);
        }
    }
    if (rc) {
        am_records_free(r);
        return rc;
    }
    *x->out = r;
    return AM_OK;
}

/* Run sql with p and collect the rows. */
static int query_records(am_db *db, struct am_pg_conn *c, const char *sql, const struct am_pgp *p,
                         struct rec_ctx *x, bool scored, const char *what)
{
    PGresult *s = NULL;
    int rc = am_pg_query(db, c, sql, p, what, &s, NULL);
    if (rc)
        return rc;
    rc = collect(db, s, x, scored);
    PQclear(s);
    return rc;
}

static int get_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT " RECORD_COLS " FROM records r WHERE r.memory_id = $1 AND r.record_id = $2";
    struct rec_ctx *x = arg;
    int64_t min_created;
    int rc = am_pg_visible_since(db, c, x->memory_id, am_now_ms(), &min_created);
    if (rc)
        return rc;
    struct am_pgp p = {0};
    am_pg_text(&p, x->memory_id);
    am_pg_text(&p, x->record_id);
    x->limit = 1;
    rc = query_records(db, c, sql, &p, x, false, "read record");
    if (!rc && (*x->out)->n == 0) {
        am_records_free(*x->out);
        *x->out = NULL;
        rc = am_error(db, AM_ENOTFOUND, "Memory record %s not found", x->record_id);
    }
    return rc;
}

int am_pg_record_get(am_db *db, struct am_store *st, const char *memory_id,
                     const char *record_id, am_records **out)
{
    struct rec_ctx x = {.memory_id = memory_id, .record_id = record_id, .out = out};
    *out = NULL;
    return am_pg_read(db, st, get_fn, &x);
}

static int delete_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char sql[] = "DELETE FROM records WHERE memory_id = $1 AND record_id = $2";
    struct rec_ctx *x = arg;
    int64_t min_created, n = 0;
    int rc = am_pg_visible_since(db, c, x->memory_id, am_now_ms(), &min_created);
    if (rc)
        return rc;
    struct am_pgp p = {0};
    am_pg_text(&p, x->memory_id);
    am_pg_text(&p, x->record_id);
    rc = am_pg_query(db, c, sql, &p, "delete record", NULL, &n);
    if (rc)
        return rc;
    if (n == 0)
        return am_error(db, AM_ENOTFOUND, "Memory record %s not found", x->record_id);
    return AM_OK;
}

int am_pg_record_delete(am_db *db, struct am_store *st, const char *memory_id,
                        const char *record_id)
{
    struct rec_ctx x = {.memory_id = memory_id, .record_id = record_id};
    return am_pg_write(db, st, delete_fn, &x);
}

static int list_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT " RECORD_COLS " FROM records r WHERE" SCOPE_SQL
        " AND (r.created_ms < $7 OR (r.created_ms = $7 AND r.rowid < $8))"
        " ORDER BY r.created_ms DESC, r.rowid DESC LIMIT $9";
    struct rec_ctx *x = arg;
    int64_t min_created;
    int rc = am_pg_visible_since(db, c, am_memory_id_of(x->q->memory_id), am_now_ms(),
                                 &min_created);
    if (rc)
        return rc;
    struct am_pgp p = {0};
    bind_scope(&p, x->q, x->q->include_superseded);
    am_pg_int(&p, x->cur->set ? x->cur->a : INT64_MAX);
    am_pg_int(&p, x->cur->set ? x->cur->b : INT64_MAX);
    am_pg_int(&p, x->limit + 1);
    return query_records(db, c, sql, &p, x, false, "list records");
}

int am_pg_record_list(am_db *db, struct am_store *st, const am_record_query *q,
                      const struct am_cursor *cur, int limit, am_records **out,
                      bool *out_more, int64_t *out_last_ts, int64_t *out_last_rowid)
{
    struct rec_ctx x = {.q = q, .cur = cur, .limit = limit, .out = out, .more = out_more,
                        .last_ts = out_last_ts, .last_rowid = out_last_rowid};
    *out = NULL;
    *out_more = false;
    return am_pg_read(db, st, list_fn, &x);
}

static int search_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    /* the core's FTS5 expression ("a" OR "b") is valid websearch_to_tsquery syntax; the
       score is ts_rank_cd, higher is better, as SQLite's -bm25 */
    static const char sql[] =
        "SELECT " RECORD_COLS ", ts_rank_cd(r.tsv, q) AS score FROM records r, "
        "websearch_to_tsquery('english', $7) q WHERE r.tsv @@ q AND" SCOPE_SQL
        " ORDER BY score DESC, r.rowid LIMIT $8";
    struct rec_ctx *x = arg;
    int64_t min_created;
    int rc = am_pg_visible_since(db, c, am_memory_id_of(x->q->memory_id), am_now_ms(),
                                 &min_created);
    if (rc)
        return rc;
    struct am_pgp p = {0};
    bind_scope(&p, x->q, x->q->include_superseded);
    am_pg_text(&p, x->fts);
    am_pg_int(&p, x->limit);
    return query_records(db, c, sql, &p, x, true, "search records");
}

int am_pg_record_search(am_db *db, struct am_store *st, const am_record_query *q,
                        const char *fts_expr, int limit, am_records **out)
{
    struct rec_ctx x = {.q = q, .fts = fts_expr, .limit = limit, .out = out};
    *out = NULL;
    return am_pg_read(db, st, search_fn, &x);
}

static int history_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT " RECORD_COLS " FROM records r WHERE r.memory_id = $1 AND r.lineage = "
        "(SELECT lineage FROM records WHERE memory_id = $1 AND record_id = $2) "
        "ORDER BY r.created_ms, r.rowid";
    struct rec_ctx *x = arg;
    int64_t min_created;
    int rc = am_pg_visible_since(db, c, x->memory_id, am_now_ms(), &min_created);
    if (rc)
        return rc;
    struct am_pgp p = {0};
    am_pg_text(&p, x->memory_id);
    am_pg_text(&p, x->record_id);
    rc = query_records(db, c, sql, &p, x, false, "read record history");
    if (!rc && (*x->out)->n == 0) {
        am_records_free(*x->out);
        *x->out = NULL;
        rc = am_error(db, AM_ENOTFOUND, "Memory record %s not found", x->record_id);
    }
    return rc;
}

int am_pg_record_history(am_db *db, struct am_store *st, const char *memory_id,
                         const char *record_id, am_records **out)
{
    struct rec_ctx x = {.memory_id = memory_id, .record_id = record_id, .limit = 1000,
                        .out = out};
    *out = NULL;
    return am_pg_read(db, st, history_fn, &x);
}

struct vec_ctx {
    const am_record_query *q;
    const char *model;
    struct am_vec_set *out;
};

static int vectors_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT r.record_id, r.created_ms, r.embedding FROM records r WHERE" SCOPE_SQL
        " AND r.embed_model = $7 AND r.embedding IS NOT NULL";
    struct vec_ctx *x = arg;
    struct am_vec_set *v = x->out;
    struct am_pgp p = {0};
    PGresult *s = NULL;
    bind_scope(&p, x->q, false);
    am_pg_text(&p, x->model);
    /* binary results: the bytea arrives as its raw bytes */
    s = PQexecParams(c->h, sql, p.n, NULL, p.v, p.len, p.fmt, 1);
    if (!s || PQresultStatus(s) != PGRES_TUPLES_OK) {
        int rc = am_pg_fail(db, c, s, "read vectors");
        PQclear(s);
        return rc;
    }
    int rc = AM_OK, rows = PQntuples(s);
    size_t cap = 0;
    for (int i = 0; i < rows; i++) {
        int bytes = PQgetlength(s, i, 2);
        if (v->dim == 0)
            v->dim = bytes / (int)sizeof(float);
        if (bytes != v->dim * (int)sizeof(float) || v->dim == 0)
            continue;                         /* a vector of another shape: skip it */
        if (v->n == cap) {
            cap = cap ? cap * 2 : 256;
            char **ids = realloc(v->ids, cap * sizeof *ids);
            if (ids)
                v->ids = ids;
            int64_t *ts = realloc(v->ts, cap * sizeof *ts);
            if (ts)
                v->ts = ts;
            float *vecs = realloc(v->vecs, cap * (size_t)v->dim * sizeof *vecs);
            if (vecs)
                v->vecs = vecs;
            if (!ids || !ts || !vecs) {
                rc = am_error(db, AM_ENOMEM, "out of memory");
                break;
            }
        }
        v->ids[v->n] = strndup(PQgetvalue(s, i, 0), (size_t)PQgetlength(s, i, 0));
        if (!v->ids[v->n]) {
            rc = am_error(db, AM_ENOMEM, "out of memory");
            break;
        }
        /* created_ms arrives as a big-endian int8 */
        const unsigned char *b = (const unsigned char *)PQgetvalue(s, i, 1);
        uint64_t ts = 0;
        for (int k = 0; k < 8; k++)
            ts = ts << 8 | b[k];
        v->ts[v->n] = (int64_t)ts;
        memcpy(v->vecs + v->n * (size_t)v->dim, PQgetvalue(s, i, 2), (size_t)bytes);
        v->n++;
    }
    PQclear(s);
    return rc;
}

int am_pg_record_vectors(am_db *db, struct am_store *st, const am_record_query *q,
                         const char *model, struct am_vec_set *out)
{
    struct vec_ctx x = {q, model, out};
    memset(out, 0, sizeof *out);
    int rc = am_pg_read(db, st, vectors_fn, &x);
    if (rc)
        am_vec_set_free(out);
    return rc;
}

struct stale_ctx {
    const char *model;
    int limit;
    am_records **out;
    const char *const *ids;
    const float *vecs;
    size_t n;
    int dim;
};

static int stale_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT " RECORD_COLS " FROM records r WHERE r.embed_model IS DISTINCT FROM $1 "
        "LIMIT $2";
    struct stale_ctx *x = arg;
    struct rec_ctx rx = {.limit = x->limit, .out = x->out};
    struct am_pgp p = {0};
    am_pg_text(&p, x->model);
    am_pg_int(&p, x->limit);
    return query_records(db, c, sql, &p, &rx, false, "read stale records");
}

int am_pg_record_stale(am_db *db, struct am_store *st, const char *model, int limit,
                       am_records **out)
{
    struct stale_ctx x = {.model = model, .limit = limit, .out = out};
    *out = NULL;
    return am_pg_read(db, st, stale_fn, &x);
}

static int set_vectors_fn(am_db *db, struct am_pg_conn *c, void *arg)
{
    static const char sql[] =
        "UPDATE records SET embedding = $1, embed_model = $2 WHERE record_id = $3";
    struct stale_ctx *x = arg;
    for (size_t i = 0; i < x->n; i++) {
        struct am_pgp p = {0};
        am_pg_blob(&p, x->vecs + i * (size_t)x->dim, x->dim * (int)sizeof(float));
        am_pg_text(&p, x->model);
        am_pg_text(&p, x->ids[i]);
        int rc = am_pg_query(db, c, sql, &p, "store vector", NULL, NULL);
        if (rc)
            return rc;
    }
    return AM_OK;
}

int am_pg_record_set_vectors(am_db *db, struct am_store *st, const char *const *ids,
                             const float *vecs, size_t n, int dim, const char *model)
{
    struct stale_ctx x = {.model = model, .ids = ids, .vecs = vecs, .n = n, .dim = dim};
    return am_pg_write(db, st, set_vectors_fn, &x);
}
