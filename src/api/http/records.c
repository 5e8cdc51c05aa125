/*
 * records.c - long-term memory records: RetrieveMemoryRecords, ListMemoryRecords,
 * GetMemoryRecord, DeleteMemoryRecord and the three Batch* operations.
 *
 * Batch operations validate the shape of the whole request first (a malformed request is a
 * 400 and changes nothing), then apply record by record: each record lands in
 * successfulRecords or failedRecords {memoryRecordId, status, requestIdentifier, errorCode,
 * errorMessage}, and the call itself succeeds, as AgentCore's does.
 *
 * metadataFilters are evaluated here, on each page the engine returns (the engine's query has
 * no metadata filter); a page may therefore hold fewer than maxResults records, as with
 * AgentCore's ListEvents filters, but never zero records together with a nextToken.
 */
#include "api/http/http.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_BATCH = 100, MAX_PAGES = 100 };

/* One page of records (search or list), filtered, as {memoryRecordSummaries, nextToken}. */
static int reply_records(struct am_http_req *req, am_record_query *q, bool search,
                         const struct am_http_mfilter *mf, size_t n_mf)
{
    json_t *list = json_array(), *reply = NULL;
    am_records *out = NULL;
    char *tok = NULL;
    int rc;

    if (!list)
        goto oom;
    for (int pages = 0;; pages++) {
        rc = search ? am_record_search(req->db, q, &out) : am_record_list(req->db, q, &out);
        if (rc) {
            rc = am_http_reply_error(req, rc, am_errmsg(req->db));
            goto out;
        }
        for (size_t i = 0; i < out->n; i++) {
            if (!am_http_mfilters_match(mf, n_mf, out->items[i].metadata_json))
                continue;
            if (json_array_append_new(list, am_http_record_json(&out->items[i], search)))
                goto oom;
        }
        if (json_array_size(list) || !out->next_token || pages == MAX_PAGES)
            break;
        free(tok);
        tok = strdup(out->next_token);
        am_records_free(out);
        out = NULL;
        if (!tok)
            goto oom;
        q->next_token = tok;
    }
    reply = json_pack("{s:o}", "memoryRecordSummaries", list);
    list = NULL;
    if (!reply)
        goto oom;
    if (out->next_token &&
        json_object_set_new(reply, "nextToken", am_http_str(out->next_token)))
        goto oom;
    rc = am_http_reply_json(req, 200, reply);
    reply = NULL;
    goto out;
oom:
    rc = am_http_reply_error(req, AM_ENOMEM, NULL);
out:
    json_decref(list);
    json_decref(reply);
    am_records_free(out);
    free(tok);
    return rc;
}

int am_http_retrieve_records(struct am_http_req *req)
{
    json_t *b = req->json, *crit = NULL;
    struct am_http_mfilter mf[5];
    size_t n_mf = 0;
    am_record_query q = {0};
    long long top_k = 0;

    q.memory_id = am_http_label(req, 0);
    if (am_http_get_str(req, b, "", "namespace", false, &q.namespace_) ||
        am_http_get_str(req, b, "", "namespacePath", false, &q.namespace_path) ||
        am_http_get_obj(req, b, "", "searchCriteria", true, &crit) ||
        am_http_get_str(req, crit, "searchCriteria", "searchQuery", true, &q.query) ||
        am_http_get_str(req, crit, "searchCriteria", "memoryStrategyId", false,
                        &q.strategy_id) ||
        am_http_get_int(req, crit, "searchCriteria", "topK", false, 1, 100, &top_k, NULL) ||
        am_http_get_mfilters(req, crit, "searchCriteria", "metadataFilters", mf, &n_mf) ||
        am_http_get_paging(req, b, AM_MAX_RESULTS, &q.max_results, &q.next_token))
        return am_http_reply_verr(req);
    q.top_k = (int)top_k;
    return reply_records(req, &q, true, mf, n_mf);
}

int am_http_list_records(struct am_http_req *req)
{
    json_t *b = req->json;
    struct am_http_mfilter mf[5];
    size_t n_mf = 0;
    am_record_query q = {0};

    q.memory_id = am_http_label(req, 0);
    if (am_http_get_str(req, b, "", "namespace", false, &q.namespace_) ||
        am_http_get_str(req, b, "", "namespacePath", false, &q.namespace_path) ||
        am_http_get_str(req, b, "", "memoryStrategyId", false, &q.strategy_id) ||
        am_http_get_mfilters(req, b, "", "metadataFilters", mf, &n_mf) ||
        am_http_get_paging(req, b, AM_MAX_RESULTS, &q.max_results, &q.next_token))
        return am_http_reply_verr(req);
    return reply_records(req, &q, false, mf, n_mf);
}

int am_http_get_record(struct am_http_req *req)
{
    am_records *out = NULL;
    json_t *rec;
    int rc;

    rc = am_record_get(req->db, am_http_label(req, 0), am_http_label(req, 1), &out);
    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    if (!out || out->n < 1) {
        am_records_free(out);
        return am_http_reply_error(req, AM_ENOTFOUND, "Memory record not found");
    }
    rec = am_http_record_json(&out->items[0], false);
    am_records_free(out);
    if (!rec)
        return am_http_reply_error(req, AM_ENOMEM, NULL);
    return am_http_reply_json(req, 200, json_pack("{s:o}", "memoryRecord", rec));
}

int am_http_delete_record(struct am_http_req *req)
{
    int rc = am_record_delete(req->db, am_http_label(req, 0), am_http_label(req, 1));

    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    return am_http_reply_json(req, 200, json_pack("{s:o}", "memoryRecordId",
                                                  am_http_str(am_http_label(req, 1))));
}

/* ---- batches ------------------------------------------------------------------------ */

struct batch_item {
    am_record_in in;
    const char *request_id;    /* requestIdentifier (create only) */
    char *metadata;            /* owned serialized metadata */
};

struct batch {
    struct batch_item *items;
    size_t n;
    json_t *ok, *failed;
    const char *token;         /* clientToken (create only) */
    char idem_key[600];        /* "" unless the token is being replayed-protected */
    uint64_t hash;
};

static void batch_free(struct batch *bt)
{
    for (size_t i = 0; bt->items && i < bt->n; i++)
        free(bt->items[i].metadata);
    free(bt->items);
    json_decref(bt->ok);
    json_decref(bt->failed);
}

/* Shape of records[i] for create (mode 'c'), update ('u') or delete ('d'). */
static int decode_record(struct am_http_req *req, json_t *rec, size_t i, char mode,
                         struct batch_item *it)
{
    char path[64], sub[160];
    json_t *ns = NULL, *content = NULL, *meta = NULL;

    am_http_path_index(path, sizeof path, "records", i);
    if (!json_is_object(rec))
        return am_http_verr(req, "CannotParse", path, "Cannot parse '%s': expected an object",
                            path);
    if (mode == 'c' && am_http_get_str(req, rec, path, "requestIdentifier", true,
                                       &it->request_id))
        return -1;
    if (mode != 'c' && am_http_get_str(req, rec, path, "memoryRecordId", true,
                                       &it->in.record_id))
        return -1;
    if (mode == 'd')
        return 0;
    if (am_http_get_arr(req, rec, path, "namespaces", mode == 'c', 0, 1, &ns) ||
        am_http_get_obj(req, rec, path, "content", mode == 'c', &content) ||
        am_http_get_ts(req, rec, path, "timestamp", true, &it->in.timestamp_ms) ||
        am_http_get_str(req, rec, path, "memoryStrategyId", false, &it->in.strategy_id) ||
        am_http_get_record_metadata(req, rec, path, "metadata", &meta))
        return -1;
    am_http_path(sub, sizeof sub, path, "content");
    if (content && am_http_get_str(req, content, sub, "text", true, &it->in.text)) {
        json_decref(meta);
        return -1;
    }
    if (ns && json_array_size(ns) == 1) {
        json_t *v = json_array_get(ns, 0);

        am_http_path(sub, sizeof sub, path, "namespaces[0]");
        if (!json_is_string(v)) {
            json_decref(meta);
            return am_http_verr(req, "CannotParse", sub,
                                "Cannot parse '%s': expected a string", sub);
        }
        it->in.namespace_ = json_string_value(v);
    }
    if (meta) {
        it->metadata = am_http_dump(meta);
        json_decref(meta);
        if (!it->metadata)
            return am_http_verr(req, "FieldValidationFailed", path, "out of memory");
        it->in.metadata_json = it->metadata;
    }
    return 0;
}

static int batch_decode(struct am_http_req *req, char mode, struct batch *bt)
{
    json_t *records = NULL, *rec;
    size_t i;

    memset(bt, 0, sizeof *bt);
    if (am_http_get_arr(req, req->json, "", "records", true, 0, MAX_BATCH, &records) ||
        (mode == 'c' && am_http_get_str(req, req->json, "", "clientToken", false, &bt->token)))
        return -1;
    if (bt->token && bt->token[0]) {
        char *canon = json_dumps(records, JSON_COMPACT | JSON_SORT_KEYS);

        if (!canon)
            return am_http_verr(req, "FieldValidationFailed", "records", "out of memory");
        bt->hash = am_http_idem_hash(canon, strlen(canon));
        free(canon);
    }
    bt->n = json_array_size(records);
    bt->items = calloc(bt->n ? bt->n : 1, sizeof *bt->items);
    bt->ok = json_array();
    bt->failed = json_array();
    if (!bt->items || !bt->ok || !bt->failed)
        return am_http_verr(req, "FieldValidationFailed", "records", "out of memory");
    json_array_foreach(records, i, rec) {
        bt->items[i].in.memory_id = am_http_label(req, 0);
        if (decode_record(req, rec, i, mode, &bt->items[i]))
            return -1;
    }
    return 0;
}

/* Record one outcome. id may be NULL (a create that failed). */
static int batch_result(struct am_http_req *req, struct batch *bt, const struct batch_item *it,
                        const char *id, int rc, const char *msg)
{
    json_t *o = json_object();

    if (!o)
        return -1;
    if (id && json_object_set_new(o, "memoryRecordId", am_http_str(id)))
        goto fail;
    if (json_object_set_new(o, "status", json_string(rc ? "FAILED" : "SUCCEEDED")))
        goto fail;
    if (it->request_id &&
        json_object_set_new(o, "requestIdentifier", am_http_str(it->request_id)))
        goto fail;
    if (rc) {
        char clean[512];
        const char *type, *reason;
        int status;

        am_http_clean_text(clean, sizeof clean, msg);
        am_http_error_lookup(rc, req->op, clean, &status, &type, &reason);
        if (json_object_set_new(o, "errorCode", json_integer(status)) ||
            json_object_set_new(o, "errorMessage", json_string(clean)))
            goto fail;
    }
    return json_array_append_new(rc ? bt->failed : bt->ok, o);
fail:
    json_decref(o);
    return -1;
}

static int batch_reply(struct am_http_req *req, struct batch *bt, int status)
{
    json_t *reply = json_pack("{s:O,s:O}", "successfulRecords", bt->ok, "failedRecords",
                              bt->failed);
    char *text = reply ? json_dumps(reply, AM_HTTP_JSON_FLAGS) : NULL;

    json_decref(reply);
    if (!text)
        return am_http_reply_error(req, AM_ENOMEM, NULL);
    if (bt->idem_key[0]) {
        am_http_idem_finish(bt->idem_key, status, text);
        bt->idem_key[0] = '\0';
    }
    return am_http_reply_text(req, status, "application/json", text, strlen(text));
}

/* Replay protection by clientToken: 1 when the reply is made (a replay or a conflict). */
static int batch_replay(struct am_http_req *req, struct batch *bt)
{
    char key[600], *text = NULL;
    int status, r;

    if (!bt->token || !bt->token[0])
        return 0;
    snprintf(key, sizeof key, "%s\n%s\n%s", req->op, am_http_label(req, 0), bt->token);
    r = am_http_idem_begin(key, bt->hash, &status, &text);
    if (r == 1) {
        am_http_reply_text(req, status, "application/json", text, strlen(text));
        return 1;
    }
    if (r < 0) {
        am_http_reply_error(req, AM_ECONFLICT, "clientToken was already used with other records");
        return 1;
    }
    memcpy(bt->idem_key, key, sizeof key);
    return 0;
}

/* The memory must exist: a missing one fails the whole call with 404. */
static int memory_exists(struct am_http_req *req)
{
    am_memories *m = NULL;
    int rc = am_memory_get(req->db, am_http_label(req, 0), &m);

    am_memories_free(m);
    return rc;
}

static int batch_run(struct am_http_req *req, char mode, int status)
{
    struct batch bt;
    int rc;

    if (batch_decode(req, mode, &bt)) {
        rc = am_http_reply_verr(req);
        goto out;
    }
    if (batch_replay(req, &bt)) {
        rc = 0;
        goto out;
    }
    rc = memory_exists(req);
    if (rc) {
        rc = am_http_reply_error(req, rc, am_errmsg(req->db));
        goto out;
    }
    for (size_t i = 0; i < bt.n; i++) {
        struct batch_item *it = &bt.items[i];
        char *id = NULL;
        int r;

        if (mode == 'c')
            r = am_record_create(req->db, &it->in, &id);
        else if (mode == 'u')
            r = am_record_update(req->db, &it->in);
        else
            r = am_record_delete(req->db, it->in.memory_id, it->in.record_id);
        if (batch_result(req, &bt, it, mode == 'c' ? id : it->in.record_id, r,
                         r ? am_errmsg(req->db) : NULL)) {
            am_free(id);
            rc = am_http_reply_error(req, AM_ENOMEM, NULL);
            goto out;
        }
        am_free(id);
    }
    rc = batch_reply(req, &bt, status);
out:
    if (bt.idem_key[0])        /* not answered with success: a retry runs again */
        am_http_idem_finish(bt.idem_key, 0, NULL);
    batch_free(&bt);
    return rc;
}

int am_http_batch_create_records(struct am_http_req *req)
{
    return batch_run(req, 'c', 201);
}

int am_http_batch_update_records(struct am_http_req *req)
{
    return batch_run(req, 'u', 200);
}

int am_http_batch_delete_records(struct am_http_req *req)
{
    return batch_run(req, 'd', 200);
}
