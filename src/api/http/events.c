/*
 * events.c - short-term memory: CreateEvent, GetEvent, ListEvents, DeleteEvent.
 *
 * Payload items are unions: {"conversational":{"content":{"text"},"role"}}, {"blob": any
 * JSON} and the newer {"json":{"content": any JSON}}. The engine keeps blob and json documents
 * as JSON text, so they are serialized here and parsed back on the way out. Events on the
 * main branch are returned with "branch":{"name":"main"}, as the service does today (older
 * replies had no branch; the SDKs accept both), and a CreateEvent naming branch "main"
 * without a root event writes to the main branch.
 */
#include "api/http/http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int enum_error(struct am_http_req *req, const char *field, const char *value,
                      const char *set)
{
    return am_http_verr(req, "FieldValidationFailed", field,
                        "1 validation error detected: Value '%s' at '%s' failed to satisfy "
                        "constraint: Member must satisfy enum value set: [%s]", value, field,
                        set);
}

/* Decode payload[i]; a blob or json document is serialized into *text_out (caller frees). */
static int decode_payload_item(struct am_http_req *req, json_t *item, size_t i,
                               am_payload *p, char **text_out)
{
    static const char *const kinds[] = {"conversational", "blob", "json"};
    char path[64], sub[160];
    const char *which = NULL;
    size_t n_set = 0;
    json_t *v, *content = NULL, *doc = NULL;

    am_http_path_index(path, sizeof path, "payload", i);
    if (!json_is_object(item))
        return am_http_verr(req, "CannotParse", path, "Cannot parse '%s': expected an object",
                            path);
    for (size_t k = 0; k < 3; k++) {
        v = json_object_get(item, kinds[k]);
        if (v && !json_is_null(v)) {
            which = kinds[k];
            n_set++;
        }
    }
    if (n_set != 1)
        return am_http_verr(req, "FieldValidationFailed", path,
                            "1 validation error detected: Value at '%s' must set exactly one "
                            "of conversational, blob, json", path);
    if (strcmp(which, "conversational") == 0) {
        const char *role = NULL;

        am_http_path(sub, sizeof sub, path, "conversational");
        if (am_http_get_obj(req, item, path, "conversational", true, &v) ||
            am_http_get_obj(req, v, sub, "content", true, &content) ||
            am_http_get_str(req, v, sub, "role", true, &role))
            return -1;
        am_http_path(sub, sizeof sub, sub, "content");
        if (am_http_get_str(req, content, sub, "text", true, &p->text))
            return -1;
        p->kind = AM_PAYLOAD_CONVERSATIONAL;
        p->role = am_role_parse(role);
        if (!p->role) {
            am_http_path(sub, sizeof sub, path, "conversational.role");
            return enum_error(req, sub, role, "ASSISTANT, USER, TOOL, OTHER");
        }
        return 0;
    }
    if (strcmp(which, "blob") == 0) {
        doc = json_object_get(item, "blob");
        p->kind = AM_PAYLOAD_BLOB;
    } else {
        am_http_path(sub, sizeof sub, path, "json");
        if (am_http_get_obj(req, item, path, "json", true, &v) ||
            am_http_get_any(req, v, sub, "content", true, &doc))
            return -1;
        p->kind = AM_PAYLOAD_JSON;
    }
    *text_out = am_http_dump(doc);
    if (!*text_out)
        return am_http_verr(req, "FieldValidationFailed", path, "out of memory");
    p->text = *text_out;
    return 0;
}

int am_http_create_event(struct am_http_req *req)
{
    json_t *b = req->json, *payload = NULL, *branch = NULL, *meta = NULL, *cfg = NULL;
    const char *mode = NULL, *k;
    am_payload *items = NULL;
    char **texts = NULL;
    am_kv *kvs = NULL;
    am_events *out = NULL;
    am_event_in in = {0};
    size_t n = 0, i;
    json_t *v, *ev;
    int rc;

    in.memory_id = am_http_label(req, 0);
    if (am_http_get_str(req, b, "", "actorId", true, &in.actor_id) ||
        am_http_get_str(req, b, "", "sessionId", false, &in.session_id) ||
        am_http_get_ts(req, b, "", "eventTimestamp", true, &in.timestamp_ms) ||
        am_http_get_arr(req, b, "", "payload", true, 0, SIZE_MAX, &payload) ||
        am_http_get_obj(req, b, "", "branch", false, &branch) ||
        am_http_get_str(req, b, "", "clientToken", false, &in.client_token) ||
        am_http_get_obj(req, b, "", "metadata", false, &meta) ||
        am_http_get_str(req, b, "", "extractionMode", false, &mode) ||
        am_http_get_obj(req, b, "", "extractionConfig", false, &cfg))
        return am_http_reply_verr(req);
    if (mode && strcmp(mode, "SKIP") != 0) {
        enum_error(req, "extractionMode", mode, "SKIP");
        return am_http_reply_verr(req);
    }
    in.skip_extraction = mode != NULL;
    if (branch) {
        if (am_http_get_str(req, branch, "branch", "name", true, &in.branch_name) ||
            am_http_get_str(req, branch, "branch", "rootEventId", false,
                            &in.branch_root_event_id))
            return am_http_reply_verr(req);
        if (strcmp(in.branch_name, "main") == 0 && !in.branch_root_event_id)
            in.branch_name = NULL;
    }
    n = json_array_size(payload);
    items = calloc(n ? n : 1, sizeof *items);
    texts = calloc(n ? n : 1, sizeof *texts);
    if (!items || !texts)
        goto oom;
    json_array_foreach(payload, i, v) {
        if (decode_payload_item(req, v, i, &items[i], &texts[i])) {
            rc = am_http_reply_verr(req);
            goto out;
        }
    }
    in.payload = items;
    in.n_payload = n;
    if (meta) {
        size_t m = 0;

        kvs = calloc(json_object_size(meta) ? json_object_size(meta) : 1, sizeof *kvs);
        if (!kvs)
            goto oom;
        json_object_foreach(meta, k, v) {
            char path[200];

            snprintf(path, sizeof path, "metadata.%s", k);
            if (!json_is_object(v)) {
                am_http_verr(req, "CannotParse", path,
                             "Cannot parse '%s': expected an object (MetadataValue)", path);
                rc = am_http_reply_verr(req);
                goto out;
            }
            if (am_http_get_str(req, v, path, "stringValue", true, &kvs[m].value)) {
                rc = am_http_reply_verr(req);
                goto out;
            }
            kvs[m++].key = k;
        }
        in.metadata = kvs;
        in.n_metadata = m;
    }
    rc = am_event_create(req->db, &in, &out);
    if (rc) {
        rc = am_http_reply_error(req, rc, am_errmsg(req->db));
        goto out;
    }
    if (!out || out->n < 1) {
        rc = am_http_reply_error(req, AM_EINTERNAL, "the engine returned no event");
        goto out;
    }
    ev = am_http_event_json(&out->items[0]);
    if (!ev)
        goto oom;
    rc = am_http_reply_json(req, 201, json_pack("{s:o}", "event", ev));
    goto out;
oom:
    rc = am_http_reply_error(req, AM_ENOMEM, NULL);
out:
    if (texts)
        for (i = 0; i < n; i++)
            free(texts[i]);
    free(texts);
    free(items);
    free(kvs);
    am_events_free(out);
    return rc;
}

int am_http_get_event(struct am_http_req *req)
{
    am_events *out = NULL;
    json_t *ev;
    int rc;

    rc = am_event_get(req->db, am_http_label(req, 0), am_http_label(req, 1),
                      am_http_label(req, 2), am_http_label(req, 3), &out);
    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    if (!out || out->n < 1) {
        am_events_free(out);
        return am_http_reply_error(req, AM_ENOTFOUND, "Event not found");
    }
    ev = am_http_event_json(&out->items[0]);
    am_events_free(out);
    if (!ev)
        return am_http_reply_error(req, AM_ENOMEM, NULL);
    /* agentmem extension: where the event stands in long-term extraction */
    const char *status = NULL;
    if (am_event_extraction(req->db, am_http_label(req, 0), am_http_label(req, 1),
                            am_http_label(req, 2), am_http_label(req, 3), &status) == AM_OK)
        json_object_set_new(ev, "agentmem", json_pack("{s:s}", "extraction", status));
    return am_http_reply_json(req, 200, json_pack("{s:o}", "event", ev));
}

int am_http_delete_event(struct am_http_req *req)
{
    int rc = am_event_delete(req->db, am_http_label(req, 0), am_http_label(req, 1),
                             am_http_label(req, 2), am_http_label(req, 3));

    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    return am_http_reply_json(req, 200,
                              json_pack("{s:o}", "eventId", am_http_str(am_http_label(req, 3))));
}

/* filter.eventMetadata[i] -> am_event_filter */
static int decode_event_filter(struct am_http_req *req, json_t *item, const char *path,
                               am_event_filter *f)
{
    json_t *left = NULL, *right = NULL, *mv = NULL;
    const char *op = NULL;
    char sub[200];

    if (!json_is_object(item))
        return am_http_verr(req, "CannotParse", path, "Cannot parse '%s': expected an object",
                            path);
    am_http_path(sub, sizeof sub, path, "left");
    if (am_http_get_obj(req, item, path, "left", true, &left) ||
        am_http_get_str(req, left, sub, "metadataKey", true, &f->key) ||
        am_http_get_str(req, item, path, "operator", true, &op) ||
        am_http_get_obj(req, item, path, "right", false, &right))
        return -1;
    if (strcmp(op, "EQUALS_TO") == 0)
        f->op = AM_FILTER_EQUALS;
    else if (strcmp(op, "EXISTS") == 0)
        f->op = AM_FILTER_EXISTS;
    else if (strcmp(op, "NOT_EXISTS") == 0)
        f->op = AM_FILTER_NOT_EXISTS;
    else {
        am_http_path(sub, sizeof sub, path, "operator");
        return enum_error(req, sub, op, "EQUALS_TO, EXISTS, NOT_EXISTS");
    }
    if (f->op == AM_FILTER_EQUALS) {
        am_http_path(sub, sizeof sub, path, "right");
        if (am_http_get_obj(req, item, path, "right", true, &right) ||
            am_http_get_obj(req, right, sub, "metadataValue", true, &mv))
            return -1;
        am_http_path(sub, sizeof sub, sub, "metadataValue");
        if (am_http_get_str(req, mv, sub, "stringValue", true, &f->value))
            return -1;
    }
    return 0;
}

int am_http_list_events(struct am_http_req *req)
{
    json_t *b = req->json, *filter = NULL, *branch = NULL, *exprs = NULL, *list = NULL;
    json_t *reply = NULL, *item;
    am_event_filter filters[5];
    am_event_query q = {0};
    am_events *out = NULL;
    bool include = true;
    char *tok = NULL;
    size_t i;
    int rc;

    q.memory_id = am_http_label(req, 0);
    q.actor_id = am_http_label(req, 1);
    q.session_id = am_http_label(req, 2);
    if (am_http_get_bool(req, b, "", "includePayloads", &include, NULL) ||
        am_http_get_obj(req, b, "", "filter", false, &filter) ||
        am_http_get_paging(req, b, AM_MAX_RESULTS, &q.max_results, &q.next_token))
        return am_http_reply_verr(req);
    q.include_payloads = include;
    if (filter) {
        if (am_http_get_obj(req, filter, "filter", "branch", false, &branch) ||
            am_http_get_arr(req, filter, "filter", "eventMetadata", false, 1, 5, &exprs))
            return am_http_reply_verr(req);
        if (branch && (am_http_get_str(req, branch, "filter.branch", "name", true, &q.branch) ||
                       am_http_get_bool(req, branch, "filter.branch", "includeParentBranches",
                                        &q.include_parent_branches, NULL)))
            return am_http_reply_verr(req);
        json_array_foreach(exprs, i, item) {
            char path[64];

            am_http_path_index(path, sizeof path, "filter.eventMetadata", i);
            if (decode_event_filter(req, item, path, &filters[i]))
                return am_http_reply_verr(req);
            q.n_filters = i + 1;
        }
        q.filters = filters;
    }
    list = json_array();
    if (!list)
        goto oom;
    /* Never answer an empty page that carries a token (SDK helpers stop on empty pages). */
    for (int pages = 0;; pages++) {
        rc = am_event_list(req->db, &q, &out);
        if (rc) {
            rc = am_http_reply_error(req, rc, am_errmsg(req->db));
            goto out;
        }
        if (out->n || !out->next_token || pages == 100)
            break;
        free(tok);
        tok = strdup(out->next_token);
        am_events_free(out);
        out = NULL;
        if (!tok)
            goto oom;
        q.next_token = tok;
    }
    for (i = 0; i < out->n; i++)
        if (json_array_append_new(list, am_http_event_json(&out->items[i])))
            goto oom;
    reply = json_pack("{s:o}", "events", list);
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
    am_events_free(out);
    free(tok);
    return rc;
}
