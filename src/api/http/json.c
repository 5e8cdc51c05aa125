/*
 * json.c - JSON decoding with field paths, and the encoders shared by several handlers.
 *
 * Timestamps: on the wire they are JSON numbers of epoch seconds. In, an integer or a float
 * (milliseconds from botocore and the JS SDK, microseconds from the Python SDK's session
 * manager) becomes llround(x * 1000) ms. Out, ms / 1000.0 as a real; replies are dumped with
 * JSON_REAL_PRECISION(15), enough to print 1767225600.123 exactly (the default 17 digits
 * would print 1767225600.1229999).
 *
 * Decoders never change anything: a wrong type is ValidationException reason CannotParse, a
 * missing member or a value out of range reason FieldValidationFailed, each naming the
 * field by its path ("payload[2].conversational.role").
 */
#include "api/http/http.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- paths and types ---------------------------------------------------------------- */

/* out = a + b + c, truncated to out_len; out may alias a. */
static void join3(char *out, size_t out_len, const char *a, const char *b, const char *c)
{
    char tmp[256];
    size_t n = 0;
    const char *parts[3] = {a, b, c};

    for (size_t i = 0; i < 3; i++)
        for (const char *p = parts[i]; p && *p && n + 1 < sizeof tmp; p++)
            tmp[n++] = *p;
    if (!out_len)
        return;
    if (n >= out_len)
        n = out_len - 1;
    memcpy(out, tmp, n);
    out[n] = '\0';
}

void am_http_path(char *out, size_t out_len, const char *parent, const char *key)
{
    if (parent && parent[0])
        join3(out, out_len, parent, ".", key);
    else
        join3(out, out_len, key, NULL, NULL);
}

void am_http_path_index(char *out, size_t out_len, const char *parent, size_t i)
{
    char idx[32];

    snprintf(idx, sizeof idx, "[%zu]", i);
    join3(out, out_len, parent, idx, NULL);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* The member, or NULL when absent or null; a missing required member is an error. */
static int member(struct am_http_req *req, json_t *obj, const char *parent, const char *key,
                  bool required, json_t **out, char *path, size_t path_len)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;

    am_http_path(path, path_len, parent, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return am_http_verr(req, "FieldValidationFailed", path,
                                "1 validation error detected: Value at '%s' failed to "
                                "satisfy constraint: Member must not be null", path);
        return 0;
    }
    *out = v;
    return 0;
}

static int wrong_type(struct am_http_req *req, const char *path, const char *want,
                      const json_t *got)
{
    return am_http_verr(req, "CannotParse", path, "Cannot parse '%s': expected %s, got %s",
                        path, want, type_name(got));
}

/* ---- decoders ----------------------------------------------------------------------- */

int am_http_get_str(struct am_http_req *req, json_t *obj, const char *parent,
                    const char *key, bool required, const char **out)
{
    char path[160];
    json_t *v;

    if (member(req, obj, parent, key, required, &v, path, sizeof path))
        return -1;
    if (!v)
        return 0;
    if (!json_is_string(v))
        return wrong_type(req, path, "a string", v);
    *out = json_string_value(v);
    return 0;
}

int am_http_get_int(struct am_http_req *req, json_t *obj, const char *parent,
                    const char *key, bool required, long long min, long long max,
                    long long *out, bool *present)
{
    char path[160];
    json_t *v;
    long long n;

    if (present)
        *present = false;
    if (member(req, obj, parent, key, required, &v, path, sizeof path))
        return -1;
    if (!v)
        return 0;
    if (json_is_integer(v)) {
        n = json_integer_value(v);
    } else if (json_is_real(v) && isfinite(json_real_value(v)) &&
               json_real_value(v) == floor(json_real_value(v)) &&
               fabs(json_real_value(v)) < 9e15) {
        n = (long long)json_real_value(v);
    } else {
        return wrong_type(req, path, "an integer", v);
    }
    if (n < min)
        return am_http_verr(req, "FieldValidationFailed", path,
                            "1 validation error detected: Value '%lld' at '%s' failed to "
                            "satisfy constraint: Member must have value greater than or "
                            "equal to %lld", n, path, min);
    if (n > max)
        return am_http_verr(req, "FieldValidationFailed", path,
                            "1 validation error detected: Value '%lld' at '%s' failed to "
                            "satisfy constraint: Member must have value less than or equal "
                            "to %lld", n, path, max);
    *out = n;
    if (present)
        *present = true;
    return 0;
}

int am_http_get_bool(struct am_http_req *req, json_t *obj, const char *parent,
                     const char *key, bool *out, bool *present)
{
    char path[160];
    json_t *v;

    if (present)
        *present = false;
    if (member(req, obj, parent, key, false, &v, path, sizeof path))
        return -1;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return wrong_type(req, path, "a boolean", v);
    *out = json_is_true(v);
    if (present)
        *present = true;
    return 0;
}

int am_http_get_double(struct am_http_req *req, json_t *obj, const char *parent,
                       const char *key, bool required, double *out, bool *present)
{
    char path[160];
    json_t *v;

    if (present)
        *present = false;
    if (member(req, obj, parent, key, required, &v, path, sizeof path))
        return -1;
    if (!v)
        return 0;
    if (!json_is_number(v))
        return wrong_type(req, path, "a number", v);
    *out = json_number_value(v);
    if (present)
        *present = true;
    return 0;
}

/* A timestamp value (epoch seconds) to ms; -1 on a wrong type or an absurd value. */
static int ts_value(struct am_http_req *req, const char *path, const json_t *v, int64_t *ms)
{
    double x;

    if (json_is_integer(v)) {
        json_int_t s = json_integer_value(v);

        if (s < -9000000000000LL || s > 9000000000000LL)
            goto range;
        *ms = (int64_t)s * 1000;
        return 0;
    }
    if (!json_is_real(v))
        return wrong_type(req, path, "a timestamp (epoch seconds as a number)", v);
    x = json_real_value(v);
    if (!isfinite(x) || fabs(x) > 9e12)
        goto range;
    *ms = (int64_t)llround(x * 1000.0);
    return 0;
range:
    return am_http_verr(req, "FieldValidationFailed", path,
                        "1 validation error detected: Value at '%s' is not a valid timestamp",
                        path);
}

int am_http_get_ts(struct am_http_req *req, json_t *obj, const char *parent,
                   const char *key, bool required, int64_t *out_ms)
{
    char path[160];
    json_t *v;

    if (member(req, obj, parent, key, required, &v, path, sizeof path))
        return -1;
    if (!v)
        return 0;
    return ts_value(req, path, v, out_ms);
}

int am_http_get_obj(struct am_http_req *req, json_t *obj, const char *parent,
                    const char *key, bool required, json_t **out)
{
    char path[160];
    json_t *v;

    if (member(req, obj, parent, key, required, &v, path, sizeof path))
        return -1;
    if (!v)
        return 0;
    if (!json_is_object(v))
        return wrong_type(req, path, "an object", v);
    *out = v;
    return 0;
}

int am_http_get_arr(struct am_http_req *req, json_t *obj, const char *parent,
                    const char *key, bool required, size_t min, size_t max, json_t **out)
{
    char path[160];
    json_t *v;

    if (member(req, obj, parent, key, required, &v, path, sizeof path))
        return -1;
    if (!v)
        return 0;
    if (!json_is_array(v))
        return wrong_type(req, path, "an array", v);
    if (json_array_size(v) < min)
        return am_http_verr(req, "FieldValidationFailed", path,
                            "1 validation error detected: Value at '%s' failed to satisfy "
                            "constraint: Member must have length greater than or equal to %zu",
                            path, min);
    if (json_array_size(v) > max)
        return am_http_verr(req, "FieldValidationFailed", path,
                            "1 validation error detected: Value at '%s' failed to satisfy "
                            "constraint: Member must have length less than or equal to %zu",
                            path, max);
    *out = v;
    return 0;
}

int am_http_get_any(struct am_http_req *req, json_t *obj, const char *parent,
                    const char *key, bool required, json_t **out)
{
    char path[160];

    return member(req, obj, parent, key, required, out, path, sizeof path);
}

int am_http_get_paging(struct am_http_req *req, json_t *obj, int max, int *out_max,
                       const char **out_token)
{
    long long n = 0;
    const char *tok = NULL;

    if (am_http_get_int(req, obj, "", "maxResults", false, 1, max, &n, NULL) ||
        am_http_get_str(req, obj, "", "nextToken", false, &tok))
        return -1;
    *out_max = (int)n;
    *out_token = tok && tok[0] ? tok : NULL;
    return 0;
}

/* ---- record metadata ---------------------------------------------------------------- */

static const char *const mvalue_members[] = {"stringValue", "stringListValue", "numberValue",
                                             "dateTimeValue"};

/* Check one MemoryRecordMetadataValue union; *out is a normalized copy. */
static int metadata_value(struct am_http_req *req, const char *path, json_t *v, json_t **out)
{
    const char *which = NULL;
    json_t *m, *copy = NULL;
    char sub[160];
    size_t n_set = 0;

    *out = NULL;
    if (!json_is_object(v))
        return wrong_type(req, path, "an object (MemoryRecordMetadataValue)", v);
    for (size_t i = 0; i < 4; i++) {
        m = json_object_get(v, mvalue_members[i]);
        if (m && !json_is_null(m)) {
            which = mvalue_members[i];
            n_set++;
        }
    }
    if (n_set != 1)
        return am_http_verr(req, "FieldValidationFailed", path,
                            "1 validation error detected: Value at '%s' must set exactly one "
                            "of stringValue, stringListValue, numberValue, dateTimeValue", path);
    m = json_object_get(v, which);
    am_http_path(sub, sizeof sub, path, which);
    if (strcmp(which, "stringValue") == 0) {
        if (!json_is_string(m))
            return wrong_type(req, sub, "a string", m);
        copy = json_pack("{s:O}", which, m);
    } else if (strcmp(which, "stringListValue") == 0) {
        size_t i;
        json_t *item;

        if (!json_is_array(m))
            return wrong_type(req, sub, "an array of strings", m);
        if (json_array_size(m) < 1 || json_array_size(m) > 5)
            return am_http_verr(req, "FieldValidationFailed", sub,
                                "1 validation error detected: Value at '%s' failed to satisfy "
                                "constraint: Member must have length between 1 and 5", sub);
        json_array_foreach(m, i, item) {
            if (!json_is_string(item)) {
                char ip[160];

                am_http_path_index(ip, sizeof ip, sub, i);
                return wrong_type(req, ip, "a string", item);
            }
        }
        copy = json_pack("{s:O}", which, m);
    } else if (strcmp(which, "numberValue") == 0) {
        if (!json_is_number(m))
            return wrong_type(req, sub, "a number", m);
        copy = json_pack("{s:O}", which, m);
    } else {
        int64_t ms;

        if (ts_value(req, sub, m, &ms))
            return -1;
        copy = json_pack("{s:o}", which, am_http_ts(ms));
    }
    if (!copy)
        return am_http_verr(req, "FieldValidationFailed", path, "out of memory");
    *out = copy;
    return 0;
}

int am_http_get_record_metadata(struct am_http_req *req, json_t *obj, const char *parent,
                                const char *key, json_t **out)
{
    char path[160], sub[300];
    json_t *map = NULL, *copy, *v;
    const char *k;

    *out = NULL;
    if (am_http_get_obj(req, obj, parent, key, false, &map))
        return -1;
    if (!map)
        return 0;
    am_http_path(path, sizeof path, parent, key);
    if (json_object_size(map) < 1 || json_object_size(map) > 20)
        return am_http_verr(req, "FieldValidationFailed", path,
                            "1 validation error detected: Value at '%s' failed to satisfy "
                            "constraint: Member must have between 1 and 20 entries", path);
    copy = json_object();
    if (!copy)
        return am_http_verr(req, "FieldValidationFailed", path, "out of memory");
    json_object_foreach(map, k, v) {
        json_t *nv;

        snprintf(sub, sizeof sub, "%s.%s", path, k);
        if (metadata_value(req, sub, v, &nv)) {
            json_decref(copy);
            return -1;
        }
        json_object_set_new(copy, k, nv);
    }
    *out = copy;
    return 0;
}

static const char *const mfilter_ops[] = {
    "EQUALS_TO", "EXISTS",   "NOT_EXISTS",   "BEFORE",    "AFTER",
    "CONTAINS",  "GREATER_THAN", "GREATER_THAN_OR_EQUALS", "LESS_THAN", "LESS_THAN_OR_EQUALS",
};

int am_http_get_mfilters(struct am_http_req *req, json_t *obj, const char *parent,
                         const char *key, struct am_http_mfilter *out, size_t *out_n)
{
    json_t *list = NULL, *item;
    char path[160], ip[200];
    size_t i;

    *out_n = 0;
    if (am_http_get_arr(req, obj, parent, key, false, 1, 5, &list))
        return -1;
    if (!list)
        return 0;
    am_http_path(path, sizeof path, parent, key);
    json_array_foreach(list, i, item) {
        json_t *left = NULL, *right = NULL;
        const char *op = NULL, *mkey = NULL;
        bool known = false;

        am_http_path_index(ip, sizeof ip, path, i);
        if (!json_is_object(item))
            return wrong_type(req, ip, "an object", item);
        if (am_http_get_obj(req, item, ip, "left", true, &left) ||
            am_http_get_str(req, left, ip, "metadataKey", true, &mkey) ||
            am_http_get_str(req, item, ip, "operator", true, &op) ||
            am_http_get_obj(req, item, ip, "right", false, &right))
            return -1;
        for (size_t k = 0; k < sizeof mfilter_ops / sizeof mfilter_ops[0]; k++)
            known |= strcmp(op, mfilter_ops[k]) == 0;
        if (!known) {
            char opp[240];

            am_http_path(opp, sizeof opp, ip, "operator");
            return am_http_verr(req, "FieldValidationFailed", opp,
                                "1 validation error detected: Value '%s' at '%s' failed to "
                                "satisfy constraint: Member must satisfy enum value set: "
                                "[EQUALS_TO, EXISTS, NOT_EXISTS, BEFORE, AFTER, CONTAINS, "
                                "GREATER_THAN, GREATER_THAN_OR_EQUALS, LESS_THAN, "
                                "LESS_THAN_OR_EQUALS]", op, opp);
        }
        out[i].key = mkey;
        out[i].op = op;
        out[i].value = NULL;
        if (strcmp(op, "EXISTS") != 0 && strcmp(op, "NOT_EXISTS") != 0) {
            json_t *mv = NULL, *norm = NULL;
            char rp[240];

            am_http_path(rp, sizeof rp, ip, "right");
            if (am_http_get_obj(req, item, ip, "right", true, &right) ||
                am_http_get_obj(req, right, rp, "metadataValue", true, &mv))
                return -1;
            am_http_path(rp, sizeof rp, rp, "metadataValue");
            if (metadata_value(req, rp, mv, &norm))
                return -1;
            /* Keep the normalized value alive with the request body. */
            json_object_set_new(item, "_agentmem_norm", norm);
            out[i].value = norm;
        }
        *out_n = i + 1;
    }
    return 0;
}

static bool mfilter_one(const struct am_http_mfilter *f, json_t *meta)
{
    json_t *v = meta ? json_object_get(meta, f->key) : NULL;
    json_t *ls, *ll, *ln, *ld, *rs, *rn, *rd;
    const char *op = f->op;
    double a, b;

    if (strcmp(op, "EXISTS") == 0)
        return v != NULL;
    if (strcmp(op, "NOT_EXISTS") == 0)
        return v == NULL;
    if (!v || !f->value)
        return false;
    ls = json_object_get(v, "stringValue");
    ll = json_object_get(v, "stringListValue");
    ln = json_object_get(v, "numberValue");
    ld = json_object_get(v, "dateTimeValue");
    rs = json_object_get(f->value, "stringValue");
    rn = json_object_get(f->value, "numberValue");
    rd = json_object_get(f->value, "dateTimeValue");
    if (strcmp(op, "EQUALS_TO") == 0) {
        if (ld && rd)
            return fabs(json_number_value(ld) - json_number_value(rd)) < 0.0005;
        return json_equal(v, f->value);
    }
    if (strcmp(op, "CONTAINS") == 0) {
        if (!rs)
            return false;
        if (ls)
            return strstr(json_string_value(ls), json_string_value(rs)) != NULL;
        if (ll) {
            size_t i;
            json_t *item;

            json_array_foreach(ll, i, item)
                if (json_equal(item, rs))
                    return true;
        }
        return false;
    }
    if (strcmp(op, "BEFORE") == 0 || strcmp(op, "AFTER") == 0) {
        if (!ld || !rd)
            return false;
        a = json_number_value(ld);
        b = json_number_value(rd);
        return op[0] == 'B' ? a < b : a > b;
    }
    /* numeric comparisons */
    if (!ln || !rn)
        return false;
    a = json_number_value(ln);
    b = json_number_value(rn);
    if (strcmp(op, "GREATER_THAN") == 0)
        return a > b;
    if (strcmp(op, "GREATER_THAN_OR_EQUALS") == 0)
        return a >= b;
    if (strcmp(op, "LESS_THAN") == 0)
        return a < b;
    if (strcmp(op, "LESS_THAN_OR_EQUALS") == 0)
        return a <= b;
    return false;
}

bool am_http_mfilters_match(const struct am_http_mfilter *f, size_t n,
                            const char *metadata_json)
{
    json_t *meta;
    bool ok = true;

    if (n == 0)
        return true;
    meta = am_http_load(metadata_json);
    for (size_t i = 0; i < n && ok; i++)
        ok = mfilter_one(&f[i], meta);
    json_decref(meta);
    return ok;
}

/* ---- encoders ----------------------------------------------------------------------- */

json_t *am_http_ts(int64_t ms)
{
    return json_real((double)ms / 1000.0);
}

json_t *am_http_str(const char *s)
{
    json_t *v;
    char *clean;
    size_t len;

    if (!s)
        return NULL;
    v = json_string(s);
    if (v)
        return v;
    /* invalid UTF-8: repair byte by byte (control characters are legal JSON, keep them) */
    len = strlen(s);
    clean = malloc(len + 1);
    if (!clean)
        return NULL;
    am_http_clean_text(clean, len + 1, s);
    v = json_string(clean);
    free(clean);
    return v;
}

char *am_http_dump(const json_t *v)
{
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
}

json_t *am_http_load(const char *text)
{
    if (!text)
        return NULL;
    return json_loads(text, JSON_DECODE_ANY, NULL);
}

/* Set a member, treating a NULL value as a failure (jansson ignores it silently). */
static int put(json_t *o, const char *key, json_t *v)
{
    if (!v)
        return -1;
    return json_object_set_new(o, key, v);
}

static json_t *payload_json(const am_payload *p)
{
    json_t *doc;

    switch (p->kind) {
    case AM_PAYLOAD_CONVERSATIONAL:
        return json_pack("{s:{s:{s:o},s:s}}", "conversational", "content", "text",
                         am_http_str(p->text ? p->text : ""), "role",
                         am_role_name(p->role) ? am_role_name(p->role) : "OTHER");
    case AM_PAYLOAD_BLOB:
        doc = am_http_load(p->text);
        if (!doc)
            doc = am_http_str(p->text ? p->text : "");
        return json_pack("{s:o}", "blob", doc);
    case AM_PAYLOAD_JSON:
        doc = am_http_load(p->text);
        if (!doc)
            doc = am_http_str(p->text ? p->text : "");
        return json_pack("{s:{s:o}}", "json", "content", doc);
    default:
        return json_object();
    }
}

json_t *am_http_event_json(const am_event *e)
{
    json_t *o = json_object(), *payload = json_array(), *branch = json_object();
    json_t *meta = NULL;

    if (!o || !payload || !branch)
        goto fail;
    for (size_t i = 0; i < e->n_payload; i++)
        if (json_array_append_new(payload, payload_json(&e->payload[i])))
            goto fail;
    if (put(branch, "name", am_http_str(e->branch_name ? e->branch_name : "main")))
        goto fail;
    if (e->branch_root_event_id && put(branch, "rootEventId",
                                       am_http_str(e->branch_root_event_id)))
        goto fail;
    if (put(o, "memoryId", am_http_str(e->memory_id)) ||
        put(o, "actorId", am_http_str(e->actor_id)) ||
        put(o, "sessionId", am_http_str(e->session_id)) ||
        put(o, "eventId", am_http_str(e->event_id)) ||
        put(o, "eventTimestamp", am_http_ts(e->timestamp_ms)))
        goto fail;
    if (put(o, "payload", payload))
        goto fail_steal_p;
    payload = NULL;
    if (put(o, "branch", branch))
        goto fail_steal_b;
    branch = NULL;
    if (e->n_metadata) {
        meta = json_object();
        if (!meta)
            goto fail;
        for (size_t i = 0; i < e->n_metadata; i++)
            if (put(meta, e->metadata[i].key,
                    json_pack("{s:o}", "stringValue", am_http_str(e->metadata[i].value))))
                goto fail;
        if (put(o, "metadata", meta)) {
            meta = NULL;
            goto fail;
        }
    }
    return o;
fail_steal_p:
    payload = NULL;
    goto fail;
fail_steal_b:
    branch = NULL;
fail:
    json_decref(o);
    json_decref(payload);
    json_decref(branch);
    json_decref(meta);
    return NULL;
}

json_t *am_http_record_json(const am_record *r, bool with_score)
{
    json_t *o = json_pack("{s:o,s:{s:o},s:o,s:[o],s:o}",
                          "memoryRecordId", am_http_str(r->record_id),
                          "content", "text", am_http_str(r->text ? r->text : ""),
                          "memoryStrategyId", am_http_str(r->strategy_id ? r->strategy_id : ""),
                          "namespaces", am_http_str(r->namespace_ ? r->namespace_ : ""),
                          "createdAt", am_http_ts(r->created_ms));

    if (!o)
        return NULL;
    if (with_score && put(o, "score", json_real(isfinite(r->score) ? r->score : 0.0)))
        goto fail;
    /* agentmem extension: provenance and history, in one member the SDKs ignore */
    if (r->actor_id || r->session_id || r->source_json || r->superseded_by) {
        json_t *ext = json_object();
        if (!ext || put(o, "agentmem", ext))
            goto fail;
        if ((r->actor_id && put(ext, "actorId", am_http_str(r->actor_id))) ||
            (r->session_id && put(ext, "sessionId", am_http_str(r->session_id))) ||
            (r->superseded_by && put(ext, "supersededBy", am_http_str(r->superseded_by))))
            goto fail;
        /* the validity interval of a replaced version: from its statement to its
           replacement (updated_ms is set when a newer version supersedes it) */
        if (r->superseded_by &&
            (put(ext, "validFrom", am_http_ts(r->created_ms)) ||
             put(ext, "validUntil", am_http_ts(r->updated_ms))))
            goto fail;
        if (r->source_json) {
            json_t *src = am_http_load(r->source_json);
            if (src && put(ext, "sources", src))
                goto fail;
        }
    }
    if (r->metadata_json) {
        json_t *meta = am_http_load(r->metadata_json);

        if (meta && json_is_object(meta) && json_object_size(meta) > 0) {
            if (put(o, "metadata", meta))
                goto fail;
        } else {
            json_decref(meta);
        }
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

json_t *am_http_memory_json(const am_memory *m)
{
    json_t *o = json_object(), *strategies, *extra;
    const char *k;
    json_t *v;

    if (!o)
        return NULL;
    if (put(o, "arn", am_http_str(m->arn)) || put(o, "id", am_http_str(m->id)) ||
        put(o, "name", am_http_str(m->name)) ||
        (m->description && put(o, "description", am_http_str(m->description))) ||
        put(o, "eventExpiryDuration", json_integer(m->event_expiry_days)) ||
        put(o, "status", am_http_str(m->status ? m->status : "ACTIVE")) ||
        put(o, "createdAt", am_http_ts(m->created_ms)) ||
        put(o, "updatedAt", am_http_ts(m->updated_ms)))
        goto fail;
    strategies = am_http_load(m->strategies_json);
    if (!json_is_array(strategies)) {
        json_decref(strategies);
        strategies = json_array();
    }
    if (put(o, "strategies", strategies))
        goto fail;
    /* Echo the other CreateMemory members, except tags (not part of the Memory shape). */
    extra = am_http_load(m->extra_json);
    if (json_is_object(extra)) {
        json_object_foreach(extra, k, v) {
            if (strcmp(k, "tags") == 0 || json_object_get(o, k))
                continue;
            json_object_set(o, k, v);
        }
    }
    json_decref(extra);
    return o;
fail:
    json_decref(o);
    return NULL;
}
