/*
 * records.c - long-term memory records: validation, ids, listing and search.
 *
 * Search today is lexical (FTS5 BM25 over the record text, scoped by namespace), with the
 * BM25 score mapped into [0, 1] as s / (s + 1) so that scores are comparable across
 * queries; hybrid fusion with vectors plugs in here.
 */
#include "core/db.h"
#include "core/events.h"
#include "core/result.h"
#include "core/token.h"
#include "core/validate.h"
#include "store/store.h"
#include "util/rand.h"

#include <ctype.h>
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
    rc = db->ops->record_insert(db, db->st, &row);
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
    return db->ops->record_update(db, db->st, &row);
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

/* Free text → an FTS5 expression: OR of quoted alphanumeric words; NULL if none. */
static char *fts_expression(const char *query)
{
    size_t n = strlen(query), o = 0;
    char *out = malloc(n * 3 + 16);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)query;
    while (*p) {
        while (*p && !isalnum(*p) && *p < 0x80)
            p++;
        if (!*p)
            break;
        if (o)
            o += (size_t)snprintf(out + o, 5, " OR ");
        out[o++] = '"';
        while (*p && (isalnum(*p) || *p >= 0x80))
            out[o++] = (char)*p++;
        out[o++] = '"';
    }
    out[o] = '\0';
    if (!o) {
        free(out);
        return NULL;
    }
    return out;
}

int am_record_search(am_db *db, const am_record_query *q, am_records **out)
{
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
    char *expr = fts_expression(q->query);
    am_records *all = NULL;
    if (!expr) {                 /* nothing searchable: an empty result, not an error */
        *out = am_records_new(0);
        return *out ? AM_OK : am_error(db, AM_ENOMEM, "out of memory");
    }
    rc = db->ops->record_search(db, db->st, q, expr, top_k, &all);
    free(expr);
    if (rc)
        return rc;
    for (size_t i = 0; i < all->n; i++)
        all->items[i].score = all->items[i].score / (all->items[i].score + 1.0);
    /* page through the top_k results */
    size_t total = all->n;
    size_t start = (size_t)offset < total ? (size_t)offset : total;
    size_t end = start + (size_t)max < total ? start + (size_t)max : total;
    if (start > 0)
        memmove(all->items, all->items + start, (end - start) * sizeof all->items[0]);
    all->n = end - start;
    if (end < total &&
        !(all->next_token = am_token_encode(am_result_arena(all->priv), 'q', (int64_t)end, 0,
                                            NULL))) {
        am_records_free(all);
        return am_error(db, AM_ENOMEM, "out of memory");
    }
    *out = all;
    return AM_OK;
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
