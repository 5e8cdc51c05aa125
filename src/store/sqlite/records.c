/*
 * records.c - the SQLite side of long-term memory records. Text is indexed by the FTS5
 * table records_fts (kept in step by triggers); vectors are stored as float32 blobs.
 *
 * Namespace scoping: a query namespace N selects records whose namespace is N or lies below
 * N at a '/' boundary; trailing slashes are ignored on both sides ("/a/b/" == "/a/b").
 */
#include "store/sqlite/sqlite.h"

#include "core/result.h"
#include "core/validate.h"

#include <stdlib.h>
#include <string.h>

#define RECORD_COLS "r.record_id, r.text, r.namespace, r.strategy_id, r.created_ms, " \
                    "r.updated_ms, r.metadata, r.actor_id, r.session_id, r.source, r.rowid, " \
                    "r.superseded_by"

#define SCOPE_SQL                                                                 \
    " r.memory_id = ?1"                                                           \
    " AND (?2 IS NULL OR rtrim(?2, '/') = '' OR rtrim(r.namespace, '/') = rtrim(?2, '/')" \
    "      OR substr(r.namespace, 1, length(rtrim(?2, '/')) + 1) = rtrim(?2, '/') || '/')" \
    " AND (?3 IS NULL OR r.strategy_id = ?3)"                                     \
    " AND (?4 IS NULL OR r.actor_id = ?4)"                                        \
    " AND (?5 IS NULL OR r.session_id = ?5)"                                      \
    " AND (?10 OR r.superseded_by IS NULL)"

static int row_to_record(am_db *db, struct am_arena *a, sqlite3_stmt *s, am_record *r)
{
    r->record_id = am_sqlite_col_dup(a, s, 0);
    r->text = am_sqlite_col_dup(a, s, 1);
    r->namespace_ = am_sqlite_col_dup(a, s, 2);
    r->strategy_id = am_sqlite_col_dup(a, s, 3);
    r->created_ms = sqlite3_column_int64(s, 4);
    r->updated_ms = sqlite3_column_int64(s, 5);
    r->metadata_json = am_sqlite_col_dup(a, s, 6);
    r->actor_id = am_sqlite_col_dup(a, s, 7);
    r->session_id = am_sqlite_col_dup(a, s, 8);
    r->source_json = am_sqlite_col_dup(a, s, 9);
    r->superseded_by = am_sqlite_col_dup(a, s, 11);
    if (!r->record_id || !r->text || !r->namespace_ || !r->strategy_id)
        return am_error(db, AM_ENOMEM, "out of memory");
    return AM_OK;
}

static void bind_scope(sqlite3_stmt *s, const am_record_query *q)
{
    sqlite3_bind_text(s, 1, am_memory_id_of(q->memory_id), -1, SQLITE_STATIC);
    am_sqlite_bind_text(s, 2, q->namespace_ ? q->namespace_ : q->namespace_path);
    am_sqlite_bind_text(s, 3, q->strategy_id);
    am_sqlite_bind_text(s, 4, q->actor_id);
    am_sqlite_bind_text(s, 5, q->session_id);
    sqlite3_bind_int(s, 10, q->include_superseded ? 1 : 0);
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

static int insert_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "INSERT INTO records (memory_id, record_id, text, namespace, strategy_id, created_ms, "
        "updated_ms, metadata, actor_id, session_id, source, embedding, embed_model, lineage) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?2)";
    struct rec_ctx *x = arg;
    const struct am_record_row *row = x->row;
    const am_record_in *in = row->in;
    const char *memory_id = am_memory_id_of(in->memory_id);
    int64_t min_created;
    int rc = am_sqlite_visible_since(db, c, memory_id, row->now_ms, &min_created);
    if (rc)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, row->record_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, in->text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, in->namespace_, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, in->strategy_id ? in->strategy_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, in->timestamp_ms);
    sqlite3_bind_int64(s, 7, row->now_ms);
    am_sqlite_bind_text(s, 8, in->metadata_json);
    am_sqlite_bind_text(s, 9, in->actor_id);
    am_sqlite_bind_text(s, 10, in->session_id);
    am_sqlite_bind_text(s, 11, in->source_json);
    if (row->embedding)
        sqlite3_bind_blob(s, 12, row->embedding, row->dim * (int)sizeof(float), SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 12);
    am_sqlite_bind_text(s, 13, row->embed_model);
    int src = sqlite3_step(s);
    sqlite3_reset(s);
    return src == SQLITE_DONE ? AM_OK : am_sqlite_fail(db, c, src, "insert record");
}

int am_sqlite_record_insert(am_db *db, struct am_store *st, const struct am_record_row *row)
{
    struct rec_ctx x = {.row = row};
    return am_sqlite_write(db, st, insert_fn, &x);
}

static int update_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "UPDATE records SET text = coalesce(?3, text), namespace = coalesce(?4, namespace), "
        "strategy_id = coalesce(?5, strategy_id), metadata = coalesce(?6, metadata), "
        "created_ms = ?7, updated_ms = ?8, "
        "embedding = CASE WHEN ?3 IS NULL THEN embedding ELSE ?9 END, "
        "embed_model = CASE WHEN ?3 IS NULL THEN embed_model ELSE ?10 END "
        "WHERE memory_id = ?1 AND record_id = ?2";
    struct rec_ctx *x = arg;
    const struct am_record_row *row = x->row;
    const am_record_in *in = row->in;
    const char *memory_id = am_memory_id_of(in->memory_id);
    int64_t min_created;
    int rc = am_sqlite_visible_since(db, c, memory_id, row->now_ms, &min_created);
    if (rc)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, in->record_id, -1, SQLITE_STATIC);
    am_sqlite_bind_text(s, 3, in->text);
    am_sqlite_bind_text(s, 4, in->namespace_);
    am_sqlite_bind_text(s, 5, in->strategy_id);
    am_sqlite_bind_text(s, 6, in->metadata_json);
    sqlite3_bind_int64(s, 7, in->timestamp_ms);
    sqlite3_bind_int64(s, 8, row->now_ms);
    if (row->embedding)
        sqlite3_bind_blob(s, 9, row->embedding, row->dim * (int)sizeof(float), SQLITE_STATIC);
    am_sqlite_bind_text(s, 10, row->embed_model);
    int src = sqlite3_step(s);
    sqlite3_reset(s);
    if (src != SQLITE_DONE)
        return am_sqlite_fail(db, c, src, "update record");
    if (sqlite3_changes(c->h) == 0)
        return am_error(db, AM_ENOTFOUND, "Memory record %s not found", in->record_id);
    return AM_OK;
}

int am_sqlite_record_update(am_db *db, struct am_store *st, const struct am_record_row *row)
{
    struct rec_ctx x = {.row = row};
    return am_sqlite_write(db, st, update_fn, &x);
}

static int get_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT " RECORD_COLS " FROM records r WHERE r.memory_id = ? AND r.record_id = ?";
    struct rec_ctx *x = arg;
    int64_t min_created;
    int rc = am_sqlite_visible_since(db, c, x->memory_id, am_now_ms(), &min_created);
    if (rc)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, x->record_id, -1, SQLITE_STATIC);
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        am_records *r = am_records_new(1);
        rc = r ? row_to_record(db, am_result_arena(r->priv), s, &r->items[0])
               : am_error(db, AM_ENOMEM, "out of memory");
        if (rc) {
            am_records_free(r);
        } else {
            r->n = 1;
            *x->out = r;
        }
    } else if (src == SQLITE_DONE) {
        rc = am_error(db, AM_ENOTFOUND, "Memory record %s not found", x->record_id);
    } else {
        rc = am_sqlite_fail(db, c, src, "read record");
    }
    sqlite3_reset(s);
    return rc;
}

int am_sqlite_record_get(am_db *db, struct am_store *st, const char *memory_id,
                         const char *record_id, am_records **out)
{
    struct rec_ctx x = {.memory_id = memory_id, .record_id = record_id, .out = out};
    *out = NULL;
    return am_sqlite_read(db, st, get_fn, &x);
}

static int delete_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] = "DELETE FROM records WHERE memory_id = ? AND record_id = ?";
    struct rec_ctx *x = arg;
    int64_t min_created;
    int rc = am_sqlite_visible_since(db, c, x->memory_id, am_now_ms(), &min_created);
    if (rc)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, x->record_id, -1, SQLITE_STATIC);
    int src = sqlite3_step(s);
    sqlite3_reset(s);
    if (src != SQLITE_DONE)
        return am_sqlite_fail(db, c, src, "delete record");
    if (sqlite3_changes(c->h) == 0)
        return am_error(db, AM_ENOTFOUND, "Memory record %s not found", x->record_id);
    return AM_OK;
}

int am_sqlite_record_delete(am_db *db, struct am_store *st, const char *memory_id,
                            const char *record_id)
{
    struct rec_ctx x = {.memory_id = memory_id, .record_id = record_id};
    return am_sqlite_write(db, st, delete_fn, &x);
}

/* Map a record row for the history and vector readers (RECORD_COLS, scope-free). */
static int history_fn(am_db *db, struct am_conn *c, void *arg);
static int collect(am_db *db, struct am_conn *c, sqlite3_stmt *s, struct rec_ctx *x,
                   bool scored)
{
    am_records *r = am_records_new((size_t)x->limit);
    int rc = r ? AM_OK : am_error(db, AM_ENOMEM, "out of memory"), src = SQLITE_DONE;
    while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
        if (r->n == (size_t)x->limit) {
            if (x->more)
                *x->more = true;
            break;
        }
        am_record *e = &r->items[r->n++];
        rc = row_to_record(db, am_result_arena(r->priv), s, e);
        if (scored)
            e->score = sqlite3_column_double(s, 12);
        if (x->last_ts) {
            *x->last_ts = e->created_ms;
            *x->last_rowid = sqlite3_column_int64(s, 10);
        }
    }
    sqlite3_reset(s);
    if (!rc && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = am_sqlite_fail(db, c, src, "list records");
    if (rc) {
        am_records_free(r);
        return rc;
    }
    *x->out = r;
    return AM_OK;
}

static int list_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT " RECORD_COLS " FROM records r WHERE" SCOPE_SQL
        " AND (r.created_ms < ?6 OR (r.created_ms = ?6 AND r.rowid < ?7))"
        " ORDER BY r.created_ms DESC, r.rowid DESC LIMIT ?8";
    struct rec_ctx *x = arg;
    int64_t min_created;
    int rc = am_sqlite_visible_since(db, c, am_memory_id_of(x->q->memory_id), am_now_ms(),
                                     &min_created);
    if (rc)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    bind_scope(s, x->q);
    sqlite3_bind_int64(s, 6, x->cur->set ? x->cur->a : INT64_MAX);
    sqlite3_bind_int64(s, 7, x->cur->set ? x->cur->b : INT64_MAX);
    sqlite3_bind_int(s, 8, x->limit + 1);
    return collect(db, c, s, x, false);
}

int am_sqlite_record_list(am_db *db, struct am_store *st, const am_record_query *q,
                          const struct am_cursor *cur, int limit, am_records **out,
                          bool *out_more, int64_t *out_last_ts, int64_t *out_last_rowid)
{
    struct rec_ctx x = {.q = q, .cur = cur, .limit = limit, .out = out, .more = out_more,
                        .last_ts = out_last_ts, .last_rowid = out_last_rowid};
    *out = NULL;
    *out_more = false;
    return am_sqlite_read(db, st, list_fn, &x);
}

static int search_fn(am_db *db, struct am_conn *c, void *arg)
{
    /* bm25() is negative, lower is better; the score column carries -bm25 */
    /* FTS5 ranks inside the index first (ORDER BY rank LIMIT is its fast path), then the
       best 2,000 are scoped; a scope holding only a sliver of a large memory may lose
       matches ranked below that */
    static const char sql[] =
        "SELECT " RECORD_COLS ", -f.rank FROM (SELECT rowid, rank FROM records_fts "
        "WHERE records_fts MATCH ?6 ORDER BY rank LIMIT 2000) f "
        "JOIN records r ON r.rowid = f.rowid WHERE" SCOPE_SQL
        " ORDER BY f.rank LIMIT ?7";
    struct rec_ctx *x = arg;
    int64_t min_created;
    int rc = am_sqlite_visible_since(db, c, am_memory_id_of(x->q->memory_id), am_now_ms(),
                                     &min_created);
    if (rc)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    bind_scope(s, x->q);
    sqlite3_bind_text(s, 6, x->fts, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 7, x->limit);
    return collect(db, c, s, x, true);
}

int am_sqlite_record_search(am_db *db, struct am_store *st, const am_record_query *q,
                            const char *fts_expr, int limit, am_records **out)
{
    struct rec_ctx x = {.q = q, .fts = fts_expr, .limit = limit, .out = out};
    *out = NULL;
    return am_sqlite_read(db, st, search_fn, &x);
}

static int history_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT " RECORD_COLS " FROM records r WHERE r.memory_id = ?1 AND r.lineage = "
        "(SELECT lineage FROM records WHERE memory_id = ?1 AND record_id = ?2) "
        "ORDER BY r.created_ms, r.rowid";
    struct rec_ctx *x = arg;
    int64_t min_created;
    int rc = am_sqlite_visible_since(db, c, x->memory_id, am_now_ms(), &min_created);
    if (rc)
        return rc;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->memory_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, x->record_id, -1, SQLITE_STATIC);
    rc = collect(db, c, s, x, false);
    if (!rc && (*x->out)->n == 0) {
        am_records_free(*x->out);
        *x->out = NULL;
        rc = am_error(db, AM_ENOTFOUND, "Memory record %s not found", x->record_id);
    }
    return rc;
}

int am_sqlite_record_history(am_db *db, struct am_store *st, const char *memory_id,
                             const char *record_id, am_records **out)
{
    struct rec_ctx x = {.memory_id = memory_id, .record_id = record_id, .limit = 1000,
                        .out = out};
    *out = NULL;
    return am_sqlite_read(db, st, history_fn, &x);
}

void am_vec_set_free(struct am_vec_set *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++)
        free(v->ids[i]);
    free(v->ids);
    free(v->ts);
    free(v->vecs);
    memset(v, 0, sizeof *v);
}

struct vec_ctx {
    const am_record_query *q;
    const char *model;
    struct am_vec_set *out;
};

static int vectors_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT r.record_id, r.created_ms, r.embedding FROM records r WHERE" SCOPE_SQL
        " AND r.embed_model = ?6";
    struct vec_ctx *x = arg;
    struct am_vec_set *v = x->out;
    size_t cap = 0;
    int rc = AM_OK, src;
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    bind_scope(s, x->q);
    sqlite3_bind_int(s, 10, 0);
    sqlite3_bind_text(s, 6, x->model, -1, SQLITE_STATIC);
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        int bytes = sqlite3_column_bytes(s, 2);
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
        v->ids[v->n] = strdup((const char *)sqlite3_column_text(s, 0));
        if (!v->ids[v->n]) {
            rc = am_error(db, AM_ENOMEM, "out of memory");
            break;
        }
        v->ts[v->n] = sqlite3_column_int64(s, 1);
        memcpy(v->vecs + v->n * (size_t)v->dim, sqlite3_column_blob(s, 2), (size_t)bytes);
        v->n++;
    }
    sqlite3_reset(s);
    if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
        rc = am_sqlite_fail(db, c, src, "read vectors");
    return rc;
}

int am_sqlite_record_vectors(am_db *db, struct am_store *st, const am_record_query *q,
                             const char *model, struct am_vec_set *out)
{
    struct vec_ctx x = {q, model, out};
    memset(out, 0, sizeof *out);
    int rc = am_sqlite_read(db, st, vectors_fn, &x);
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

static int stale_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "SELECT " RECORD_COLS " FROM records r WHERE r.embed_model IS NOT ?1 LIMIT ?2";
    struct stale_ctx *x = arg;
    struct rec_ctx rx = {.limit = x->limit, .out = x->out};
    sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
    if (!s)
        return AM_EIO;
    sqlite3_bind_text(s, 1, x->model, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, x->limit);
    return collect(db, c, s, &rx, false);
}

int am_sqlite_record_stale(am_db *db, struct am_store *st, const char *model, int limit,
                           am_records **out)
{
    struct stale_ctx x = {.model = model, .limit = limit, .out = out};
    *out = NULL;
    return am_sqlite_read(db, st, stale_fn, &x);
}

static int set_vectors_fn(am_db *db, struct am_conn *c, void *arg)
{
    static const char sql[] =
        "UPDATE records SET embedding = ?1, embed_model = ?2 WHERE record_id = ?3";
    struct stale_ctx *x = arg;
    for (size_t i = 0; i < x->n; i++) {
        sqlite3_stmt *s = am_sqlite_stmt(db, c, sql);
        if (!s)
            return AM_EIO;
        sqlite3_bind_blob(s, 1, x->vecs + i * (size_t)x->dim, x->dim * (int)sizeof(float),
                          SQLITE_STATIC);
        sqlite3_bind_text(s, 2, x->model, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, x->ids[i], -1, SQLITE_STATIC);
        int src = sqlite3_step(s);
        sqlite3_reset(s);
        if (src != SQLITE_DONE)
            return am_sqlite_fail(db, c, src, "store vector");
    }
    return AM_OK;
}

int am_sqlite_record_set_vectors(am_db *db, struct am_store *st, const char *const *ids,
                                 const float *vecs, size_t n, int dim, const char *model)
{
    struct stale_ctx x = {.model = model, .ids = ids, .vecs = vecs, .n = n, .dim = dim};
    return am_sqlite_write(db, st, set_vectors_fn, &x);
}
