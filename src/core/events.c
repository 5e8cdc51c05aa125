/*
 * events.c - short-term memory: validating, identifying and listing events.
 *
 * The store keeps a payload as the AgentCore wire JSON array, so that an export, a second
 * backend or a debugging sqlite3 shell sees exactly what clients sent. Event ids are the
 * 19-digit epoch milliseconds of the event's timestamp, '#', and 8 random hex digits, so
 * they sort like timestamps.
 */
#include "core/db.h"
#include "core/events.h"
#include "core/result.h"
#include "core/token.h"
#include "core/validate.h"
#include "search/text.h"
#include "store/store.h"
#include "util/rand.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = {NULL, "USER", "ASSISTANT", "TOOL", "OTHER"};

const char *am_role_name(int role)
{
    return role >= AM_ROLE_USER && role <= AM_ROLE_OTHER ? role_names[role] : "OTHER";
}

int am_role_parse(const char *name)
{
    for (int r = AM_ROLE_USER; r <= AM_ROLE_OTHER; r++)
        if (name && strcmp(name, role_names[r]) == 0)
            return r;
    return 0;
}

int am_payload_to_json(am_db *db, const am_payload *p, size_t n, char **out)
{
    json_t *arr = json_array();
    int rc = AM_OK;

    *out = NULL;
    if (!arr)
        return am_error(db, AM_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *item = NULL;
        if (p[i].kind == AM_PAYLOAD_CONVERSATIONAL) {
            item = json_pack("{s:{s:{s:s},s:s}}", "conversational", "content", "text",
                             p[i].text, "role", am_role_name(p[i].role));
        } else {
            json_error_t jerr;
            json_t *doc = json_loads(p[i].text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
            if (!doc) {
                char field[48];
                snprintf(field, sizeof field, "payload[%zu].%s", i,
                         p[i].kind == AM_PAYLOAD_BLOB ? "blob" : "json");
                rc = am_error_field(db, AM_EINVAL, field, "%s is not valid JSON: %s", field,
                                    jerr.text);
                break;
            }
            if (p[i].kind == AM_PAYLOAD_BLOB)
                item = json_pack("{s:o}", "blob", doc);
            else
                item = json_pack("{s:{s:o}}", "json", "content", doc);
        }
        if (!item || json_array_append_new(arr, item))
            rc = am_error(db, AM_ENOMEM, "out of memory");
    }
    if (!rc) {
        *out = json_dumps(arr, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!*out)
            rc = am_error(db, AM_ENOMEM, "out of memory");
    }
    json_decref(arr);
    return rc;
}

int am_payload_from_json(am_db *db, struct am_arena *a, const char *text, am_payload **out,
                         size_t *out_n)
{
    json_error_t jerr;
    json_t *arr = json_loads(text, JSON_ALLOW_NUL, &jerr);
    int rc = AM_OK;

    *out = NULL;
    *out_n = 0;
    if (!json_is_array(arr)) {
        json_decref(arr);
        return AM_BUG(db, "stored payload is not a JSON array");
    }
    size_t n = json_array_size(arr);
    am_payload *p = am_arena_alloc(a, (n ? n : 1) * sizeof *p);
    if (!p) {
        rc = am_error(db, AM_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(arr, i), *v;
        char *s = NULL;
        if ((v = json_object_get(item, "conversational"))) {
            p[i].kind = AM_PAYLOAD_CONVERSATIONAL;
            p[i].role = am_role_parse(json_string_value(json_object_get(v, "role")));
            json_t *t = json_object_get(json_object_get(v, "content"), "text");
            p[i].text = am_arena_strndup(a, json_string_value(t), json_string_length(t));
        } else {
            bool blob = (v = json_object_get(item, "blob")) != NULL;
            if (!blob)
                v = json_object_get(json_object_get(item, "json"), "content");
            p[i].kind = blob ? AM_PAYLOAD_BLOB : AM_PAYLOAD_JSON;
            s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            p[i].text = am_arena_strdup(a, s);
            free(s);
        }
        if (!p[i].text) {
            rc = am_error(db, AM_ENOMEM, "out of memory");
            goto out;
        }
    }
    *out = p;
    *out_n = n;
out:
    json_decref(arr);
    return rc;
}

int am_payload_text(am_db *db, const char *payload_json, char **out)
{
    struct am_arena *a = am_arena_create();
    am_payload *pl = NULL;
    size_t n = 0, len = 0;
    char *text = NULL;
    int rc;

    *out = NULL;
    if (!a)
        return am_error(db, AM_ENOMEM, "out of memory");
    rc = am_payload_from_json(db, a, payload_json, &pl, &n);
    for (size_t i = 0; !rc && i < n; i++)
        if (pl[i].kind == AM_PAYLOAD_CONVERSATIONAL)
            len += strlen(pl[i].text) + 1;
    if (!rc && !(text = calloc(len + 1, 1)))
        rc = am_error(db, AM_ENOMEM, "out of memory");
    for (size_t i = 0, o = 0; !rc && i < n; i++)
        if (pl[i].kind == AM_PAYLOAD_CONVERSATIONAL)
            o += (size_t)snprintf(text + o, len + 1 - o, "%s%s", o ? " " : "", pl[i].text);
    am_arena_destroy(a);
    if (!rc)
        *out = text;
    return rc;
}

int am_metadata_from_json(am_db *db, struct am_arena *a, const char *text, am_kv **out,
                          size_t *out_n)
{
    *out = NULL;
    *out_n = 0;
    if (!text)
        return AM_OK;
    json_t *obj = json_loads(text, 0, NULL);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return AM_BUG(db, "stored metadata is not a JSON object");
    }
    size_t n = json_object_size(obj), i = 0;
    am_kv *kv = am_arena_alloc(a, (n ? n : 1) * sizeof *kv);
    const char *k;
    json_t *v;
    int rc = kv ? AM_OK : am_error(db, AM_ENOMEM, "out of memory");
    json_object_foreach(obj, k, v) {
        if (rc)
            break;
        kv[i].key = am_arena_strdup(a, k);
        kv[i].value = am_arena_strdup(a, json_string_value(v));
        if (!kv[i].key || !kv[i].value)
            rc = am_error(db, AM_ENOMEM, "out of memory");
        i++;
    }
    json_decref(obj);
    if (!rc) {
        *out = kv;
        *out_n = n;
    }
    return rc;
}

static int validate_event(am_db *db, const am_event_in *in)
{
    char field[64];
    int rc;

    if (!in)
        return am_error(db, AM_EINVAL, "no event given");
    if ((rc = am_check_memory_id(db, "memoryId", in->memory_id)) ||
        (rc = am_check_actor_id(db, "actorId", in->actor_id)))
        return rc;
    if (in->session_id && (rc = am_check_session_id(db, "sessionId", in->session_id)))
        return rc;
    if (in->timestamp_ms <= 0)
        return am_error_field(db, AM_EINVAL, "eventTimestamp",
                              "1 validation error detected: Value at 'eventTimestamp' failed to "
                              "satisfy constraint: Member must be a positive epoch timestamp");
    if (in->n_payload == 0 || !in->payload)
        return am_error_field(db, AM_EINVAL, "payload",
                              "1 validation error detected: Value at 'payload' failed to satisfy "
                              "constraint: Member must have length greater than or equal to 1");
    if ((rc = am_check_range(db, "payload.length", (long long)in->n_payload, 1,
                             AM_MAX_PAYLOAD_ITEMS)))
        return rc;
    for (size_t i = 0; i < in->n_payload; i++) {
        const am_payload *p = &in->payload[i];
        if (p->kind == AM_PAYLOAD_CONVERSATIONAL) {
            snprintf(field, sizeof field, "payload[%zu].conversational.role", i);
            if (p->role < AM_ROLE_USER || p->role > AM_ROLE_OTHER)
                return am_error_field(db, AM_EINVAL, field,
                                      "1 validation error detected: Value at '%s' failed to "
                                      "satisfy constraint: Member must satisfy enum value set: "
                                      "[ASSISTANT, USER, TOOL, OTHER]", field);
            snprintf(field, sizeof field, "payload[%zu].conversational.content.text", i);
            if ((rc = am_check_text(db, field, p->text, 1, AM_MAX_TEXT_LEN)))
                return rc;
        } else if (p->kind == AM_PAYLOAD_BLOB || p->kind == AM_PAYLOAD_JSON) {
            snprintf(field, sizeof field, "payload[%zu].%s", i,
                     p->kind == AM_PAYLOAD_BLOB ? "blob" : "json");
            if ((rc = am_check_required(db, field, p->text)))
                return rc;
            if (strlen(p->text) > AM_MAX_BLOB_LEN)
                return am_error_field(db, AM_EINVAL, field, "%s is larger than %d bytes",
                                      field, AM_MAX_BLOB_LEN);
        } else {
            snprintf(field, sizeof field, "payload[%zu]", i);
            return am_error_field(db, AM_EINVAL, field,
                                  "%s must hold exactly one of conversational, blob or json",
                                  field);
        }
    }
    if (in->branch_name && (rc = am_check_session_id(db, "branch.name", in->branch_name)))
        return rc;
    if (in->branch_root_event_id &&
        (rc = am_check_event_id(db, "branch.rootEventId", in->branch_root_event_id)))
        return rc;
    if (in->branch_root_event_id && !in->branch_name)
        return am_check_required(db, "branch.name", NULL);
    if (in->n_metadata > AM_MAX_EVENT_METADATA)
        return am_check_range(db, "metadata.length", (long long)in->n_metadata, 0,
                              AM_MAX_EVENT_METADATA);
    for (size_t i = 0; i < in->n_metadata; i++) {
        snprintf(field, sizeof field, "metadata.%s", in->metadata[i].key ? in->metadata[i].key : "");
        if ((rc = am_check_meta_key(db, "metadata.key", in->metadata[i].key)) ||
            (rc = am_check_meta_value(db, field, in->metadata[i].value, 256)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(in->metadata[i].key, in->metadata[j].key) == 0)
                return am_error_field(db, AM_EINVAL, "metadata",
                                      "metadata key '%s' appears more than once",
                                      in->metadata[i].key);
    }
    if (in->client_token && (strlen(in->client_token) < 1 || strlen(in->client_token) > 500))
        return am_error_field(db, AM_EINVAL, "clientToken",
                              "1 validation error detected: Value at 'clientToken' failed to "
                              "satisfy constraint: Member must have length between 1 and 500");
    return AM_OK;
}

/* FNV-1a over the parts, twice with different seeds: a 128-bit content fingerprint. */
static void fingerprint(const char *const *parts, size_t n, char out[33])
{
    uint64_t h1 = 0xcbf29ce484222325ULL, h2 = 0x84222325cbf29ce4ULL;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = (const unsigned char *)(parts[i] ? parts[i] : "\x01");
        for (; *p; p++) {
            h1 = (h1 ^ *p) * 0x100000001b3ULL;
            h2 = (h2 ^ *p) * 0x100000001b3ULL + 1;
        }
        h1 = (h1 ^ 0xff) * 0x100000001b3ULL;   /* separator */
        h2 = (h2 ^ 0xfe) * 0x100000001b3ULL;
    }
    snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, h1, h2);
}

int am_event_create(am_db *db, const am_event_in *in, am_events **out)
{
    char *payload_json = NULL, *metadata_json = NULL;
    char event_id[40], session_id[40], fp[33], ts[24];
    const char *branch;
    int rc;

    if (out)
        *out = NULL;
    am_error_clear();
    if ((rc = validate_event(db, in)))
        return rc;
    rc = am_payload_to_json(db, in->payload, in->n_payload, &payload_json);
    if (rc)
        goto out;
    if (in->n_metadata) {
        json_t *m = json_object();
        for (size_t i = 0; m && i < in->n_metadata; i++)
            json_object_set_new(m, in->metadata[i].key, json_string(in->metadata[i].value));
        metadata_json = m ? json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(m);
        if (!metadata_json) {
            rc = am_error(db, AM_ENOMEM, "out of memory");
            goto out;
        }
    }
    unsigned char r[4];
    am_rand_bytes(r, sizeof r);
    snprintf(event_id, sizeof event_id, "%019" PRId64 "#%02x%02x%02x%02x", in->timestamp_ms,
             r[0], r[1], r[2], r[3]);
    if (!in->session_id)
        am_rand_uuid(session_id);
    branch = in->branch_name && strcmp(in->branch_name, "main") != 0 ? in->branch_name : NULL;
    snprintf(ts, sizeof ts, "%" PRId64, in->timestamp_ms);
    const char *parts[] = {in->actor_id, in->session_id, ts, payload_json, branch,
                           in->branch_root_event_id, metadata_json,
                           in->skip_extraction ? "skip" : "extract"};
    fingerprint(parts, sizeof parts / sizeof parts[0], fp);

    struct am_event_row row = {
        .in = in,
        .event_id = event_id,
        .session_id = in->session_id ? in->session_id : session_id,
        .branch_name = branch,
        .fingerprint = fp,
        .payload_json = payload_json,
        .metadata_json = metadata_json,
        .created_ms = am_now_ms(),
    };
    rc = db->ops->event_insert(db, db->st, &row, out);
    if (!rc && !in->skip_extraction)
        am_db_kick(db);
out:
    free(payload_json);
    free(metadata_json);
    return rc;
}

static int check_path_ids(am_db *db, const char *memory_id, const char *actor_id,
                          const char *session_id)
{
    int rc;
    if ((rc = am_check_memory_id(db, "memoryId", memory_id)) ||
        (rc = am_check_actor_id(db, "actorId", actor_id)) ||
        (rc = am_check_session_id(db, "sessionId", session_id)))
        return rc;
    return AM_OK;
}

int am_event_get(am_db *db, const char *memory_id, const char *actor_id,
                 const char *session_id, const char *event_id, am_events **out)
{
    int rc;
    *out = NULL;
    am_error_clear();
    if ((rc = check_path_ids(db, memory_id, actor_id, session_id)) ||
        (rc = am_check_event_id(db, "eventId", event_id)))
        return rc;
    return db->ops->event_get(db, db->st, am_memory_id_of(memory_id), actor_id, session_id,
                              event_id, am_now_ms(), out);
}

int am_event_delete(am_db *db, const char *memory_id, const char *actor_id,
                    const char *session_id, const char *event_id)
{
    int rc;
    am_error_clear();
    if ((rc = check_path_ids(db, memory_id, actor_id, session_id)) ||
        (rc = am_check_event_id(db, "eventId", event_id)))
        return rc;
    return db->ops->event_delete(db, db->st, am_memory_id_of(memory_id), actor_id, session_id,
                                 event_id);
}

int am_check_max_results(am_db *db, int *max_results, int limit)
{
    if (*max_results == 0) {
        *max_results = AM_DEFAULT_RESULTS < limit ? AM_DEFAULT_RESULTS : limit;
        return AM_OK;
    }
    return am_check_range(db, "maxResults", *max_results, 1, limit);
}

#define MAX_BRANCH_DEPTH 16

/* Resolve the ancestry of q->branch into steps (see struct am_branch_step). */
static int branch_steps(am_db *db, const am_event_query *q, const char *memory_id,
                        struct am_branch_step *steps, char **owned, size_t *out_n)
{
    const char *branch = strcmp(q->branch, "main") == 0 ? NULL : q->branch;
    size_t n = 0;
    int rc = AM_OK;

    steps[n++] = (struct am_branch_step){branch, INT64_MAX, INT64_MAX};
    while (q->include_parent_branches && branch && n < MAX_BRANCH_DEPTH) {
        char *root = NULL, *parent = NULL;
        int64_t ts, seq;
        rc = db->ops->branch_root(db, db->st, memory_id, q->actor_id, q->session_id, branch,
                                  &root);
        if (rc || !root)
            break;
        rc = db->ops->event_locate(db, db->st, memory_id, q->actor_id, q->session_id, root,
                                   &parent, &ts, &seq);
        free(root);
        if (rc == AM_ENOTFOUND) {     /* the fork point was deleted: stop at this branch */
            rc = AM_OK;
            break;
        }
        if (rc)
            break;
        owned[n] = parent;
        steps[n++] = (struct am_branch_step){parent, ts, seq};
        branch = parent;
    }
    *out_n = n;
    return rc;
}

int am_event_list(am_db *db, const am_event_query *q, am_events **out)
{
    struct am_branch_step steps[MAX_BRANCH_DEPTH];
    char *owned[MAX_BRANCH_DEPTH] = {0};
    struct am_arena *tmp = NULL;
    struct am_cursor cur = {0};
    size_t n_steps = 0;
    bool more = false;
    int64_t last_ts = 0, last_seq = 0;
    int max, rc;

    *out = NULL;
    am_error_clear();
    if (!q)
        return am_error(db, AM_EINVAL, "no query given");
    if ((rc = check_path_ids(db, q->memory_id, q->actor_id, q->session_id)))
        return rc;
    max = q->max_results;
    if ((rc = am_check_max_results(db, &max, AM_MAX_RESULTS)))
        return rc;
    if (q->branch && (rc = am_check_session_id(db, "filter.branch.name", q->branch)))
        return rc;
    if (q->n_filters > 5)
        return am_check_range(db, "filter.eventMetadata.length", (long long)q->n_filters, 1, 5);
    for (size_t i = 0; i < q->n_filters; i++) {
        const am_event_filter *f = &q->filters[i];
        if ((rc = am_check_meta_key(db, "filter.eventMetadata.left.metadataKey", f->key)))
            return rc;
        if (f->op < AM_FILTER_EQUALS || f->op > AM_FILTER_NOT_EXISTS)
            return am_error_field(db, AM_EINVAL, "filter.eventMetadata.operator",
                                  "1 validation error detected: Value at "
                                  "'filter.eventMetadata.operator' failed to satisfy constraint: "
                                  "Member must satisfy enum value set: [EQUALS_TO, EXISTS, "
                                  "NOT_EXISTS]");
        if (f->op == AM_FILTER_EQUALS &&
            (rc = am_check_meta_value(db, "filter.eventMetadata.right.metadataValue.stringValue",
                                      f->value, 256)))
            return rc;
    }
    tmp = am_arena_create();
    if (!tmp)
        return am_error(db, AM_ENOMEM, "out of memory");
    if (q->next_token) {
        rc = am_token_decode(db, tmp, q->next_token, q->oldest_first ? 'E' : 'e', &cur.a,
                             &cur.b, NULL);
        if (rc)
            goto out;
        cur.set = true;
    }
    const char *memory_id = am_memory_id_of(q->memory_id);
    if (q->branch) {
        rc = branch_steps(db, q, memory_id, steps, owned, &n_steps);
        if (rc)
            goto out;
    }
    rc = db->ops->event_list(db, db->st, q, steps, n_steps, am_now_ms(), &cur, max, out, &more,
                             &last_ts, &last_seq);
    if (!rc && more) {
        (*out)->next_token = am_token_encode(am_result_arena((*out)->priv),
                                             q->oldest_first ? 'E' : 'e', last_ts, last_seq,
                                             NULL);
        if (!(*out)->next_token) {
            am_events_free(*out);
            *out = NULL;
            rc = am_error(db, AM_ENOMEM, "out of memory");
        }
    }
out:
    for (size_t i = 0; i < MAX_BRANCH_DEPTH; i++)
        free(owned[i]);
    am_arena_destroy(tmp);
    return rc;
}

int am_event_search(am_db *db, const char *memory_id, const char *actor_id,
                    const char *session_id, const char *query, int top_k, am_events **out)
{
    char *expr = NULL;
    int rc;

    *out = NULL;
    am_error_clear();
    if ((rc = am_check_memory_id(db, "memoryId", memory_id)) ||
        (rc = am_check_actor_id(db, "actorId", actor_id)) ||
        (session_id && (rc = am_check_session_id(db, "sessionId", session_id))) ||
        (rc = am_check_text(db, "query", query, 1, 10000)))
        return rc;
    if (top_k == 0)
        top_k = 10;
    if ((rc = am_check_range(db, "topK", top_k, 1, 100)))
        return rc;
    if ((rc = am_text_fts_query(query, &expr)))
        return am_error(db, rc, "out of memory");
    if (!expr) {                 /* nothing searchable: no results */
        *out = am_events_new(0);
        return *out ? AM_OK : am_error(db, AM_ENOMEM, "out of memory");
    }
    rc = db->ops->event_search(db, db->st, am_memory_id_of(memory_id), actor_id, session_id,
                               expr, top_k, out);
    free(expr);
    return rc;
}

int am_event_extraction(am_db *db, const char *memory_id, const char *actor_id,
                        const char *session_id, const char *event_id, const char **out_status)
{
    int rc;
    *out_status = NULL;
    am_error_clear();
    if ((rc = check_path_ids(db, memory_id, actor_id, session_id)) ||
        (rc = am_check_event_id(db, "eventId", event_id)))
        return rc;
    return db->ops->event_extraction(db, db->st, am_memory_id_of(memory_id), actor_id,
                                     session_id, event_id, out_status);
}
