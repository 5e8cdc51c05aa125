/*
 * records.c - long-term memory records: validation, ids, listing and search.
 *
 * Search is hybrid: up to 100 lexical candidates (FTS5 BM25 over the record text) and the
 * 100 nearest vectors (an exact scan of the scope's vectors, made by the embedder that the
 * handle uses) are fused by am_fuse into one score in [0, 1]; see src/search/fusion.c for
 * the weights and bench/bench_retrieval.c for why.
 */
#include "core/db.h"
#include "core/events.h"
#include "core/result.h"
#include "core/token.h"
#include "core/validate.h"
#include "search/embed.h"
#include "search/fusion.h"
#include "search/text.h"
#include "search/vector.h"
#include "store/store.h"
#include "util/rand.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int check_metadata(am_db *db, const char *text)
{
    if (!text)
        return AM_OK;
    json_t *m = json_loads(text, 0, NULL);
    int rc = AM_OK;
    if (!json_is_object(m) || json_object_size(m) < 1 || json_object_size(m) > 20) {
        rc = am_error_field(db, AM_EINVAL, "metadata",
                            "metadata must be an object of 1 to 20 entries");
    } else {
        const char *k;
        json_t *v;
        json_object_foreach(m, k, v) {
            if ((rc = am_check_meta_key(db, "metadata.key", k)))
                break;
            if (!json_is_object(v) || json_object_size(v) != 1) {
                rc = am_error_field(db, AM_EINVAL, "metadata",
                                    "metadata value for %s must hold exactly one of "
                                    "stringValue, stringListValue, numberValue, dateTimeValue",
                                    k);
                break;
            }
        }
    }
    json_decref(m);
    return rc;
}

static int validate_record(am_db *db, const am_record_in *in, bool create)
{
    int rc;
    if (!in)
        return am_error(db, AM_EINVAL, "no record given");
    if ((rc = am_check_memory_id(db, "memoryId", in->memory_id)))
        return rc;
    if (!create && (rc = am_check_record_id(db, "memoryRecordId", in->record_id)))
        return rc;
    if ((create || in->text) && (rc = am_check_text(db, "content.text", in->text, 1,
                                                    AM_MAX_RECORD_TEXT)))
        return rc;
    if ((create || in->namespace_) && (rc = am_check_namespace(db, "namespaces",
                                                               in->namespace_)))
        return rc;
    if (in->strategy_id && (rc = am_check_strategy_id(db, "memoryStrategyId", in->strategy_id)))
        return rc;
    if (in->timestamp_ms <= 0)
        return am_error_field(db, AM_EINVAL, "timestamp",
                              "1 validation error detected: Value at 'timestamp' failed to "
                              "satisfy constraint: Member must be a positive epoch timestamp");
    if (in->actor_id && (rc = am_check_actor_id(db, "actorId", in->actor_id)))
        return rc;
    if (in->session_id && (rc = am_check_session_id(db, "sessionId", in->session_id)))
        return rc;
    return check_metadata(db, in->metadata_json);
}

/* The record's vector into row (NULL when the embedder fails: the record is still stored,
   and found lexically). The caller frees the returned buffer. */
static float *embed_text(am_db *db, const char *text, struct am_record_row *row)
{
    if (!db->embedder)
        return NULL;
    float *v = malloc((size_t)db->embedder->dim * sizeof *v);
    if (v && db->embedder->embed(db->embedder, text, v) == AM_OK) {
        row->embedding = v;
        row->dim = db->embedder->dim;
        row->embed_model = db->embedder->name;
    }
    return v;
}

int am_record_create(am_db *db, const am_record_in *in, char **out_id)
{
    char id[48];
    int rc;
    if (out_id)
        *out_id = NULL;
    am_error_clear();
    if ((rc = validate_record(db, in, true)))
        return rc;
    memcpy(id, "mem-", 4);
    am_rand_uuid(id + 4);
    struct am_record_row row = {.in = in, .record_id = id, .now_ms = am_now_ms()};
    float *vec = embed_text(db, in->text, &row);
    rc = db->ops->record_insert(db, db->st, &row);
    free(vec);
    if (!rc && out_id && !(*out_id = strdup(id)))
        rc = am_error(db, AM_ENOMEM, "out of memory");
    return rc;
}

int am_record_update(am_db *db, const am_record_in *in)
{
    int rc;
    am_error_clear();
    if ((rc = validate_record(db, in, false)))
        return rc;
    struct am_record_row row = {.in = in, .record_id = in->record_id, .now_ms = am_now_ms()};
    float *vec = in->text ? embed_text(db, in->text, &row) : NULL;
    rc = db->ops->record_update(db, db->st, &row);
    free(vec);
    return rc;
}

int am_record_get(am_db *db, const char *memory_id, const char *record_id, am_records **out)
{
    int rc;
    *out = NULL;
    am_error_clear();
    if ((rc = am_check_memory_id(db, "memoryId", memory_id)) ||
        (rc = am_check_record_id(db, "memoryRecordId", record_id)))
        return rc;
    return db->ops->record_get(db, db->st, am_memory_id_of(memory_id), record_id, out);
}

int am_record_delete(am_db *db, const char *memory_id, const char *record_id)
{
    int rc;
    am_error_clear();
    if ((rc = am_check_memory_id(db, "memoryId", memory_id)) ||
        (rc = am_check_record_id(db, "memoryRecordId", record_id)))
        return rc;
    return db->ops->record_delete(db, db->st, am_memory_id_of(memory_id), record_id);
}

static int validate_query(am_db *db, const am_record_query *q, int *max)
{
    int rc;
    if (!q)
        return am_error(db, AM_EINVAL, "no query given");
    if ((rc = am_check_memory_id(db, "memoryId", q->memory_id)))
        return rc;
    if (q->namespace_ && (rc = am_check_namespace(db, "namespace", q->namespace_)))
        return rc;
    if (q->namespace_path && (rc = am_check_namespace(db, "namespacePath", q->namespace_path)))
        return rc;
    if (q->namespace_ && q->namespace_path)
        return am_error_field(db, AM_EINVAL, "namespacePath",
                              "give either namespace or namespacePath, not both");
    if (q->strategy_id && (rc = am_check_strategy_id(db, "memoryStrategyId", q->strategy_id)))
        return rc;
    if (q->actor_id && (rc = am_check_actor_id(db, "actorId", q->actor_id)))
        return rc;
    if (q->session_id && (rc = am_check_session_id(db, "sessionId", q->session_id)))
        return rc;
    *max = q->max_results;
    return am_check_max_results(db, max, AM_MAX_RESULTS);
}

int am_record_list(am_db *db, const am_record_query *q, am_records **out)
{
    struct am_cursor cur = {0};
    struct am_arena *tmp = NULL;
    int64_t last_ts = 0, last_rowid = 0;
    bool more = false;
    int max, rc;

    *out = NULL;
    am_error_clear();
    if ((rc = validate_query(db, q, &max)))
        return rc;
    if (q->next_token) {
        if (!(tmp = am_arena_create()))
            return am_error(db, AM_ENOMEM, "out of memory");
        rc = am_token_decode(db, tmp, q->next_token, 'r', &cur.a, &cur.b, NULL);
        am_arena_destroy(tmp);
        if (rc)
            return rc;
        cur.set = true;
    }
    rc = db->ops->record_list(db, db->st, q, &cur, max, out, &more, &last_ts, &last_rowid);
    if (!rc && more &&
        !((*out)->next_token = am_token_encode(am_result_arena((*out)->priv), 'r', last_ts,
                                               last_rowid, NULL))) {
        am_records_free(*out);
        *out = NULL;
        rc = am_error(db, AM_ENOMEM, "out of memory");
    }
    return rc;
}

#define LEX_CANDIDATES 100
#define VEC_CANDIDATES 100

static void copy_record(struct am_arena *a, am_record *dst, const am_record *src)
{
    *dst = *src;
    dst->record_id = am_arena_strdup(a, src->record_id);
    dst->text = am_arena_strdup(a, src->text);
    dst->namespace_ = am_arena_strdup(a, src->namespace_);
    dst->strategy_id = am_arena_strdup(a, src->strategy_id);
    dst->metadata_json = am_arena_strdup(a, src->metadata_json);
    dst->actor_id = am_arena_strdup(a, src->actor_id);
    dst->session_id = am_arena_strdup(a, src->session_id);
    dst->source_json = am_arena_strdup(a, src->source_json);
    dst->superseded_by = am_arena_strdup(a, src->superseded_by);
}

/* Candidates of one query: the lexical list, the nearest vectors, their union fused. */
struct cands {
    am_records *lex;
    struct am_vec_set vs;
    size_t *vec_idx;
    float *vec_score;
    size_t n_vec;
    struct am_fuse_item *items;
    const char **ids;          /* per item: its record id (borrowed) */
    size_t n;
};

/*
 * The vector cache. Searching reads every vector of its scope; reading 10,000 blobs from
 * SQLite per query cost ~30 ms, so the sets are kept in memory per scope and embedder,
 * valid while no write has been committed since they were read (db->write_gen). A write
 * by another process is not seen until this one writes: a record deleted meanwhile is
 * skipped when fetched, one added is still found lexically.
 */
#define VCACHE_SLOTS 4

struct am_vcache {
    pthread_mutex_t lock;
    struct {
        char *key;
        unsigned long long gen;
        unsigned long long used;
        struct am_vec_set vs;
    } slot[VCACHE_SLOTS];
    unsigned long long tick;
};

int am_vcache_create(struct am_vcache **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return AM_ENOMEM;
    pthread_mutex_init(&(*out)->lock, NULL);
    return AM_OK;
}

void am_vcache_destroy(struct am_vcache *vc)
{
    if (!vc)
        return;
    for (int i = 0; i < VCACHE_SLOTS; i++) {
        free(vc->slot[i].key);
        am_vec_set_free(&vc->slot[i].vs);
    }
    pthread_mutex_destroy(&vc->lock);
    free(vc);
}

static int sprintf_safe(char *p, size_t cap, const char *part)
{
    return snprintf(p, cap, "%s\x1f", part ? part : "");
}

static char *scope_key(const am_record_query *q, const char *model)
{
    const char *parts[] = {am_memory_id_of(q->memory_id), q->namespace_, q->namespace_path,
                           q->strategy_id, q->actor_id, q->session_id, model};
    size_t n = 0;
    for (size_t i = 0; i < 7; i++)
        n += (parts[i] ? strlen(parts[i]) : 0) + 2;
    char *k = malloc(n + 1), *p = k;
    if (!k)
        return NULL;
    for (size_t i = 0; i < 7; i++)
        p += sprintf_safe(p, n + 1 - (size_t)(p - k), parts[i]);
    return k;
}

/* Top vectors of the scope into c (ids and timestamps copied: the cache may change). */
static int vector_candidates(am_db *db, const am_record_query *q, const float *qv,
                             struct cands *c)
{
    struct am_vcache *vc = db->vcache;
    char *key = scope_key(q, db->embedder->name);
    int rc = AM_OK, s = -1;
    if (!key)
        return am_error(db, AM_ENOMEM, "out of memory");
    pthread_mutex_lock(&vc->lock);
    unsigned long long gen = db->write_gen;
    for (int i = 0; i < VCACHE_SLOTS; i++)
        if (vc->slot[i].key && vc->slot[i].gen == gen && strcmp(vc->slot[i].key, key) == 0)
            s = i;
    if (s < 0) {                      /* read the scope into the least recently used slot */
        s = 0;
        for (int i = 1; i < VCACHE_SLOTS; i++)
            if (vc->slot[i].used < vc->slot[s].used)
                s = i;
        free(vc->slot[s].key);
        vc->slot[s].key = NULL;
        am_vec_set_free(&vc->slot[s].vs);
        rc = db->ops->record_vectors(db, db->st, q, db->embedder->name, &vc->slot[s].vs);
        if (!rc) {
            vc->slot[s].key = key;
            key = NULL;
            vc->slot[s].gen = gen;
        }
    }
    struct am_vec_set *vs = &vc->slot[s].vs;
    vc->slot[s].used = ++vc->tick;
    if (!rc && vs->n && vs->dim == db->embedder->dim) {
        c->vec_idx = malloc(VEC_CANDIDATES * sizeof *c->vec_idx);
        c->vec_score = malloc(VEC_CANDIDATES * sizeof *c->vec_score);
        c->vs.ids = calloc(VEC_CANDIDATES, sizeof *c->vs.ids);
        c->vs.ts = calloc(VEC_CANDIDATES, sizeof *c->vs.ts);
        if (!c->vec_idx || !c->vec_score || !c->vs.ids || !c->vs.ts) {
            rc = am_error(db, AM_ENOMEM, "out of memory");
        } else {
            c->n_vec = am_vec_topk(qv, vs->vecs, vs->n, vs->dim, VEC_CANDIDATES, c->vec_idx,
                                   c->vec_score);
            for (size_t i = 0; i < c->n_vec && !rc; i++) {
                c->vs.ids[i] = strdup(vs->ids[c->vec_idx[i]]);
                c->vs.ts[i] = vs->ts[c->vec_idx[i]];
                c->vs.n = i + 1;
                c->vec_idx[i] = i;    /* now an index into c->vs */
                if (!c->vs.ids[i])
                    rc = am_error(db, AM_ENOMEM, "out of memory");
            }
        }
    }
    pthread_mutex_unlock(&vc->lock);
    free(key);
    return rc;
}

static size_t find_id(const struct cands *c, const char *id)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->ids[i], id) == 0)
            return i;
    return (size_t)-1;
}

static int gather(am_db *db, const am_record_query *q, struct cands *c)
{
    char *expr = NULL;
    int rc = am_text_fts_query(q->query, &expr);
    if (rc)
        return am_error(db, rc, "out of memory");
    if (expr) {
        rc = db->ops->record_search(db, db->st, q, expr, LEX_CANDIDATES, &c->lex);
        free(expr);
        if (rc)
            return rc;
    }
    if (db->embedder) {
        float *qv = malloc((size_t)db->embedder->dim * sizeof *qv);
        if (!qv)
            return am_error(db, AM_ENOMEM, "out of memory");
        rc = db->embedder->embed(db->embedder, q->query, qv);
        if (rc == AM_OK && am_vec_dot(qv, qv, db->embedder->dim) > 0)
            rc = vector_candidates(db, q, qv, c);
        else
            rc = AM_OK;          /* no query vector: lexical only */
        free(qv);
        if (rc)
            return rc;
    }
    size_t cap = (c->lex ? c->lex->n : 0) + c->n_vec + 1;
    c->items = calloc(cap, sizeof *c->items);
    c->ids = calloc(cap, sizeof *c->ids);
    if (!c->items || !c->ids)
        return am_error(db, AM_ENOMEM, "out of memory");
    for (size_t i = 0; c->lex && i < c->lex->n; i++) {
        const am_record *r = &c->lex->items[i];
        c->ids[c->n] = r->record_id;
        c->items[c->n] = (struct am_fuse_item){.id = (int64_t)c->n, .bm25 = r->score,
                                               .lex_rank = (int)i + 1, .ts_ms = r->created_ms};
        c->n++;
    }
    for (size_t i = 0; i < c->n_vec; i++) {
        const char *id = c->vs.ids[c->vec_idx[i]];
        size_t k = find_id(c, id);
        if (k == (size_t)-1) {
            k = c->n++;
            c->ids[k] = id;
            c->items[k] = (struct am_fuse_item){.id = (int64_t)k,
                                                .ts_ms = c->vs.ts[c->vec_idx[i]]};
        }
        c->items[k].cosine = c->vec_score[i];
        c->items[k].vec_rank = (int)i + 1;
    }
    return AM_OK;
}

static void cands_free(struct cands *c)
{
    am_records_free(c->lex);
    am_vec_set_free(&c->vs);
    free(c->vec_idx);
    free(c->vec_score);
    free(c->items);
    free(c->ids);
}

int am_record_search(am_db *db, const am_record_query *q, am_records **out)
{
    struct cands c = {0};
    am_records *r = NULL;
    int64_t offset = 0, unused;
    int max, rc, top_k;

    *out = NULL;
    am_error_clear();
    if ((rc = validate_query(db, q, &max)))
        return rc;
    if ((rc = am_check_text(db, "searchCriteria.searchQuery", q->query, 1, 10000)))
        return rc;
    top_k = q->top_k ? q->top_k : 10;
    if ((rc = am_check_range(db, "searchCriteria.topK", top_k, 1, 100)))
        return rc;
    if (q->next_token) {
        struct am_arena *tmp = am_arena_create();
        if (!tmp)
            return am_error(db, AM_ENOMEM, "out of memory");
        rc = am_token_decode(db, tmp, q->next_token, 'q', &offset, &unused, NULL);
        am_arena_destroy(tmp);
        if (rc)
            return rc;
        if (offset < 0 || offset >= top_k)
            return am_error_field(db, AM_EINVAL, "nextToken", "Invalid nextToken");
    }
    if ((rc = gather(db, q, &c)))
        goto out;
    struct am_fuse_params fp;
    am_fuse_params_default(&fp);
    am_fuse(c.items, c.n, am_now_ms(), &fp);
    /* the page [offset, offset + max) of the best top_k */
    size_t total = 0;          /* results with some relevance, at most top_k */
    while (total < c.n && total < (size_t)top_k && c.items[total].score > 0)
        total++;
    size_t start = (size_t)offset < total ? (size_t)offset : total;
    size_t end = start + (size_t)max < total ? start + (size_t)max : total;
    r = am_records_new(end - start);
    if (!r) {
        rc = am_error(db, AM_ENOMEM, "out of memory");
        goto out;
    }
    struct am_arena *a = am_result_arena(r->priv);
    for (size_t i = start; i < end; i++) {
        size_t k = (size_t)c.items[i].id;
        am_record *dst = &r->items[r->n];
        if (c.items[i].lex_rank) {
            copy_record(a, dst, &c.lex->items[c.items[i].lex_rank - 1]);
        } else {
            am_records *one = NULL;
            rc = db->ops->record_get(db, db->st, am_memory_id_of(q->memory_id), c.ids[k], &one);
            if (rc == AM_ENOTFOUND) {   /* deleted since the scan */
                rc = AM_OK;
                continue;
            }
            if (rc)
                goto out;
            copy_record(a, dst, &one->items[0]);
            am_records_free(one);
        }
        dst->score = c.items[i].score;
        r->n++;
    }
    if (end < total &&
        !(r->next_token = am_token_encode(a, 'q', (int64_t)end, 0, NULL))) {
        rc = am_error(db, AM_ENOMEM, "out of memory");
        goto out;
    }
    *out = r;
    r = NULL;
out:
    am_records_free(r);
    cands_free(&c);
    return rc;
}

int am_record_history(am_db *db, const char *memory_id, const char *record_id,
                      am_records **out)
{
    int rc;
    *out = NULL;
    am_error_clear();
    if ((rc = am_check_memory_id(db, "memoryId", memory_id)) ||
        (rc = am_check_record_id(db, "memoryRecordId", record_id)))
        return rc;
    return db->ops->record_history(db, db->st, am_memory_id_of(memory_id), record_id, out);
}
