/*
 * memories.c - the control plane: CreateMemory, GetMemory, ListMemories, UpdateMemory,
 * DeleteMemory (bedrock-agentcore-control, served on the same port as the data plane).
 *
 * Strategies travel as JSON text: the request's memoryStrategies array (CreateMemory) or
 * ModifyMemoryStrategies object (UpdateMemory) goes to the engine verbatim, and the engine
 * returns the output MemoryStrategy array. The other CreateMemory members (tags, indexedKeys,
 * encryptionKeyArn, memoryExecutionRoleArn, streamDeliveryResources) are kept as extra_json
 * and echoed in Memory (tags excepted: they are not part of that shape).
 */
#include "api/http/http.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* AgentCore's clientToken limit on the control plane (0..500). */
#define CP_TOKEN_MAX 500

static int check_token(struct am_http_req *req, const char *field, const char *token)
{
    if (token && strlen(token) > CP_TOKEN_MAX)
        return am_http_verr(req, "FieldValidationFailed", field,
                            "1 validation error detected: Value at '%s' failed to satisfy "
                            "constraint: Member must have length less than or equal to %d",
                            field, CP_TOKEN_MAX);
    return 0;
}

/* Copy the members listed in keys from src to dst when present (not null). */
static int copy_members(json_t *dst, json_t *src, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(src, keys[i]);

        if (v && !json_is_null(v) && json_object_set(dst, keys[i], v))
            return -1;
    }
    return 0;
}

static int reply_memory(struct am_http_req *req, int status, const am_memories *m)
{
    json_t *mem;

    if (!m || m->n < 1)
        return am_http_reply_error(req, AM_EINTERNAL, "the engine returned no memory");
    mem = am_http_memory_json(&m->items[0]);
    if (!mem)
        return am_http_reply_error(req, AM_ENOMEM, NULL);
    return am_http_reply_json(req, status, json_pack("{s:o}", "memory", mem));
}

int am_http_create_memory(struct am_http_req *req)
{
    static const char *const extra_keys[] = {"encryptionKeyArn", "memoryExecutionRoleArn",
                                             "indexedKeys", "streamDeliveryResources", "tags"};
    json_t *b = req->json, *strategies = NULL, *obj = NULL, *extra = NULL;
    const char *s = NULL;
    long long expiry = 0;
    char *strategies_txt = NULL, *extra_txt = NULL;
    am_memories *out = NULL;
    am_memory_in in = {0};
    int rc;

    if (am_http_get_str(req, b, "", "name", true, &in.name) ||
        am_http_get_str(req, b, "", "description", false, &in.description) ||
        am_http_get_int(req, b, "", "eventExpiryDuration", true, INT32_MIN, INT32_MAX, &expiry,
                        NULL) ||
        am_http_get_str(req, b, "", "clientToken", false, &in.client_token) ||
        check_token(req, "clientToken", in.client_token) ||
        am_http_get_arr(req, b, "", "memoryStrategies", false, 0, SIZE_MAX, &strategies) ||
        am_http_get_str(req, b, "", "encryptionKeyArn", false, &s) ||
        am_http_get_str(req, b, "", "memoryExecutionRoleArn", false, &s) ||
        am_http_get_arr(req, b, "", "indexedKeys", false, 1, 10, &obj) ||
        am_http_get_obj(req, b, "", "streamDeliveryResources", false, &obj) ||
        am_http_get_obj(req, b, "", "tags", false, &obj))
        return am_http_reply_verr(req);
    in.event_expiry_days = (int)expiry;
    extra = json_object();
    if (!extra || copy_members(extra, b, extra_keys, 5))
        goto oom;
    extra_txt = am_http_dump(extra);
    if (!extra_txt)
        goto oom;
    in.extra_json = extra_txt;
    if (strategies) {
        strategies_txt = am_http_dump(strategies);
        if (!strategies_txt)
            goto oom;
        in.strategies_json = strategies_txt;
    }
    rc = am_memory_create(req->db, &in, &out);
    if (rc)
        rc = am_http_reply_error(req, rc, am_errmsg(req->db));
    else
        rc = reply_memory(req, 202, out);
    goto out;
oom:
    rc = am_http_reply_error(req, AM_ENOMEM, NULL);
out:
    am_memories_free(out);
    json_decref(extra);
    free(strategies_txt);
    free(extra_txt);
    return rc;
}

int am_http_get_memory(struct am_http_req *req)
{
    const char *view = am_http_query(req, "view");
    am_memories *out = NULL;
    int rc;

    if (view && strcmp(view, "full") != 0 && strcmp(view, "without_decryption") != 0) {
        am_http_verr(req, "FieldValidationFailed", "view",
                     "1 validation error detected: Value '%s' at 'view' failed to satisfy "
                     "constraint: Member must satisfy enum value set: [full, "
                     "without_decryption]", view);
        return am_http_reply_verr(req);
    }
    rc = am_memory_get(req->db, am_http_label(req, 0), &out);
    if (rc)
        rc = am_http_reply_error(req, rc, am_errmsg(req->db));
    else
        rc = reply_memory(req, 200, out);
    am_memories_free(out);
    return rc;
}

int am_http_list_memories(struct am_http_req *req)
{
    am_memories *out = NULL;
    json_t *list = NULL, *reply = NULL;
    const char *token;
    int max, rc;

    if (am_http_get_paging(req, req->json, 100, &max, &token))
        return am_http_reply_verr(req);
    rc = am_memory_list(req->db, max, token, &out);
    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    list = json_array();
    if (!list)
        goto oom;
    for (size_t i = 0; i < out->n; i++) {
        const am_memory *m = &out->items[i];

        if (json_array_append_new(list, json_pack("{s:o,s:o,s:o,s:o,s:o}",
                                                  "arn", am_http_str(m->arn),
                                                  "id", am_http_str(m->id),
                                                  "status", am_http_str(m->status),
                                                  "createdAt", am_http_ts(m->created_ms),
                                                  "updatedAt", am_http_ts(m->updated_ms))))
            goto oom;
    }
    reply = json_pack("{s:o}", "memories", list);
    list = NULL;
    if (!reply)
        goto oom;
    if (out->next_token && json_object_set_new(reply, "nextToken", am_http_str(out->next_token)))
        goto oom;
    rc = am_http_reply_json(req, 200, reply);
    reply = NULL;
    goto out;
oom:
    rc = am_http_reply_error(req, AM_ENOMEM, NULL);
out:
    json_decref(list);
    json_decref(reply);
    am_memories_free(out);
    return rc;
}

/* indexedKeys of the stored memory plus addIndexedKeys, without repeating a key. */
static json_t *merged_indexed_keys(const am_memory *m, json_t *add)
{
    json_t *extra = am_http_load(m->extra_json);
    json_t *keys = extra ? json_object_get(extra, "indexedKeys") : NULL;
    json_t *out = json_is_array(keys) ? json_deep_copy(keys) : json_array();
    size_t i, j;
    json_t *a, *k;

    json_decref(extra);
    if (!out)
        return NULL;
    json_array_foreach(add, i, a) {
        bool dup = false;

        json_array_foreach(out, j, k)
            if (json_equal(json_object_get(k, "key"), json_object_get(a, "key")))
                dup = true;
        if (!dup && json_array_append(out, a)) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

int am_http_update_memory(struct am_http_req *req)
{
    json_t *b = req->json, *strategies = NULL, *add_keys = NULL, *obj = NULL, *extra = NULL;
    const char *s = NULL, *token = NULL;
    long long expiry = -1;
    bool has_expiry = false;
    char *strategies_txt = NULL, *extra_txt = NULL;
    am_memories *cur = NULL, *out = NULL;
    am_memory_update upd = {0};
    int rc;

    if (am_http_get_str(req, b, "", "description", false, &upd.description) ||
        am_http_get_int(req, b, "", "eventExpiryDuration", false, INT32_MIN, INT32_MAX,
                        &expiry, &has_expiry) ||
        am_http_get_str(req, b, "", "clientToken", false, &token) ||
        check_token(req, "clientToken", token) ||
        am_http_get_str(req, b, "", "memoryExecutionRoleArn", false, &s) ||
        am_http_get_obj(req, b, "", "memoryStrategies", false, &strategies) ||
        am_http_get_arr(req, b, "", "addIndexedKeys", false, 1, 10, &add_keys) ||
        am_http_get_obj(req, b, "", "streamDeliveryResources", false, &obj))
        return am_http_reply_verr(req);
    if (has_expiry && expiry < 0) {
        /* -1 means "unchanged" to the engine; a negative value on the wire is an error. */
        am_http_verr(req, "FieldValidationFailed", "eventExpiryDuration",
                     "1 validation error detected: Value '%lld' at 'eventExpiryDuration' "
                     "failed to satisfy constraint: Member must have value greater than or "
                     "equal to 3", expiry);
        return am_http_reply_verr(req);
    }
    upd.event_expiry_days = has_expiry ? (int)expiry : -1;
    extra = json_object();
    if (!extra)
        goto oom;
    if (s && json_object_set_new(extra, "memoryExecutionRoleArn", json_string(s)))
        goto oom;
    if (obj && json_object_set(extra, "streamDeliveryResources", obj))
        goto oom;
    if (add_keys) {
        json_t *merged;

        rc = am_memory_get(req->db, am_http_label(req, 0), &cur);
        if (rc) {
            rc = am_http_reply_error(req, rc, am_errmsg(req->db));
            goto out;
        }
        merged = merged_indexed_keys(&cur->items[0], add_keys);
        if (!merged || json_object_set_new(extra, "indexedKeys", merged))
            goto oom;
    }
    if (json_object_size(extra)) {
        extra_txt = am_http_dump(extra);
        if (!extra_txt)
            goto oom;
        upd.extra_json = extra_txt;
    }
    if (strategies) {
        strategies_txt = am_http_dump(strategies);
        if (!strategies_txt)
            goto oom;
        upd.strategies_json = strategies_txt;
    }
    rc = am_memory_update_apply(req->db, am_http_label(req, 0), &upd, &out);
    if (rc)
        rc = am_http_reply_error(req, rc, am_errmsg(req->db));
    else
        rc = reply_memory(req, 202, out);
    goto out;
oom:
    rc = am_http_reply_error(req, AM_ENOMEM, NULL);
out:
    am_memories_free(cur);
    am_memories_free(out);
    json_decref(extra);
    free(strategies_txt);
    free(extra_txt);
    return rc;
}

int am_http_delete_memory(struct am_http_req *req)
{
    const char *id = am_http_label(req, 0), *token = am_http_query(req, "clientToken");
    const char *slash;
    char key[700], *text = NULL;
    bool idem = false;
    json_t *reply;
    int rc, status;

    if (check_token(req, "clientToken", token))
        return am_http_reply_verr(req);
    if (token && token[0]) {
        /* An SDK retry of a delete that succeeded must not turn into a 404. */
        snprintf(key, sizeof key, "DeleteMemory\n%s\n%s", id, token);
        if (am_http_idem_begin(key, 0, &status, &text) == 1)
            return am_http_reply_text(req, status, "application/json", text, strlen(text));
        idem = true;
    }
    rc = am_memory_delete(req->db, id);
    if (rc) {
        rc = am_http_reply_error(req, rc, am_errmsg(req->db));
        goto out;
    }
    /* An ARN names the memory too; the reply carries the bare id. */
    slash = strncmp(id, "arn:", 4) == 0 ? strrchr(id, '/') : NULL;
    reply = json_pack("{s:o,s:s}", "memoryId", am_http_str(slash ? slash + 1 : id), "status",
                      "DELETING");
    text = reply ? json_dumps(reply, AM_HTTP_JSON_FLAGS) : NULL;
    json_decref(reply);
    if (!text) {
        rc = am_http_reply_error(req, AM_ENOMEM, NULL);
        goto out;
    }
    if (idem) {
        am_http_idem_finish(key, 202, text);
        idem = false;
    }
    rc = am_http_reply_text(req, 202, "application/json", text, strlen(text));
out:
    if (idem)
        am_http_idem_finish(key, 0, NULL);
    return rc;
}
