/*
 * memory.c - the agent's side of agentmem: the AgentCore Memory data plane, served by
 * agentmemd (AGENTMEM_ENDPOINT, docs/http-api.md) or by the library in this process on a
 * database file or PostgreSQL URI (AGENTMEM_DB): the same requests either way, handed to the
 * HTTP layer in-process (am_http_dispatch) instead of over a socket. GetMemory gives the namespaces of the memory's strategies
 * (summary, user preference, semantic); each turn is written with CreateEvent, the last turns
 * come back with ListEvents and long-term records with RetrieveMemoryRecords or
 * ListMemoryRecords. Requests are SigV4-signed (service bedrock-agentcore) when credentials are
 * set, so a daemon started with --auth sigv4 works too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <curl/curl.h>

#include "agent/agent.h"
#include "agentmem.h"
#include "api/http/http.h"

static const char *region(void)
{
    const char *r = getenv("AWS_REGION");
    if (!r || !*r)
        r = getenv("AWS_DEFAULT_REGION");
    return r && *r ? r : "us-east-1";
}

static char *esc(const char *s)
{
    return curl_easy_escape(NULL, s, 0);
}

/* method + path (already encoded) + optional JSON body → parsed reply in *out. */
static int call(const struct am_ag_mem *m, const char *method, const char *path, json_t *req,
                json_t **out, char *err, size_t err_cap)
{
    char url[2048], *body = NULL, *js = NULL;
    long status;
    int rc;

    *out = NULL;
    snprintf(url, sizeof url, "%s%s", m->endpoint, path);
    if (req) {
        js = json_dumps(req, JSON_COMPACT);
        if (!js) {
            snprintf(err, err_cap, "out of memory");
            return -1;
        }
    }
    if (m->db) {
        int st = 0;
        rc = am_http_dispatch(m->db, method, path, js ? js : "", js ? strlen(js) : 0, 0, &st,
                              &body);
        status = st;
        if (rc == 0 && !body)
            body = strdup("{}");
        if (rc || !body)
            snprintf(err, err_cap, "agentmem %s %s: out of memory", method, path);
    } else {
        struct am_ag_http_req rq = {.method = method, .url = url, .body = js,
                                    .body_len = js ? strlen(js) : 0,
                                    .content_type = js ? "application/json" : NULL,
                                    .service = "bedrock-agentcore", .region = region()};
        rc = am_ag_http(&rq, &status, &body, err, err_cap);
    }
    free(js);
    if (rc || !body)
        return -1;
    json_t *j = json_loads(body, 0, NULL);
    free(body);
    if (status < 200 || status > 299) {
        const char *msg = json_string_value(json_object_get(j, "message"));
        const char *type = json_string_value(json_object_get(j, "__type"));
        snprintf(err, err_cap, "agentmem %s %s: HTTP %ld %s: %s", method, path, status,
                 type ? type : "", msg ? msg : "");
        json_decref(j);
        return -1;
    }
    if (!j) {
        snprintf(err, err_cap, "agentmem %s: reply is not JSON", path);
        return -1;
    }
    *out = j;
    return 0;
}

/* The embedded store, opened once per process and kept across invocations. */
static am_db *embedded;
static char embedded_path[1024];

void am_ag_mem_shutdown(void)
{
    if (!embedded)
        return;
    /* a one-shot process ends right after its answer: extract what it wrote first */
    int done = 0;
    for (int i = 0; i < 50 && am_extract_run(embedded, 16, &done) == AM_OK && done > 0; i++)
        ;
    am_close(embedded);
    embedded = NULL;
}

int am_ag_mem_open(struct am_ag_mem *m, const char *ep, const char *db_path,
                   const char *memory_id, char *err, size_t err_cap)
{
    char path[1024];
    json_t *r;
    size_t i;
    json_t *s;

    memset(m, 0, sizeof *m);
    if (db_path && *db_path) {
        if (embedded && strcmp(embedded_path, db_path) != 0)
            am_ag_mem_shutdown();
        if (!embedded) {
            if (am_open(db_path, 0, &embedded) != AM_OK) {
                snprintf(err, err_cap, "cannot open AGENTMEM_DB %s: %s", db_path,
                         am_errmsg(NULL));
                embedded = NULL;
                return -1;
            }
            snprintf(embedded_path, sizeof embedded_path, "%s", db_path);
            atexit(am_ag_mem_shutdown);
        }
        m->db = embedded;
        snprintf(m->endpoint, sizeof m->endpoint, "%s", db_path);
    } else {
        snprintf(m->endpoint, sizeof m->endpoint, "%s", ep);
    }
    size_t n = strlen(m->endpoint);
    while (n > 0 && m->endpoint[n - 1] == '/')
        m->endpoint[--n] = '\0';
    snprintf(m->memory_id, sizeof m->memory_id, "%s", memory_id);
    char *id = esc(memory_id);
    snprintf(path, sizeof path, "/memories/%s/details", id ? id : "");
    curl_free(id);
    if (call(m, "GET", path, NULL, &r, err, err_cap))
        return -1;
    json_t *strategies = json_object_get(json_object_get(r, "memory"), "strategies");
    json_array_foreach(strategies, i, s) {
        const char *type = json_string_value(json_object_get(s, "type"));
        const char *ns = json_string_value(json_array_get(json_object_get(s, "namespaces"), 0));
        if (!type || !ns)
            continue;
        if (strcmp(type, "SEMANTIC") == 0 && !*m->facts_ns)
            snprintf(m->facts_ns, sizeof m->facts_ns, "%s", ns);
        else if (strcmp(type, "USER_PREFERENCE") == 0 && !*m->prefs_ns)
            snprintf(m->prefs_ns, sizeof m->prefs_ns, "%s", ns);
        else if (strcmp(type, "SUMMARIZATION") == 0 && !*m->summary_ns)
            snprintf(m->summary_ns, sizeof m->summary_ns, "%s", ns);
    }
    json_decref(r);
    return 0;
}

void am_ag_mem_ns(const char *tmpl, const char *actor, const char *session, char *out, size_t cap)
{
    struct am_xbuf b = AM_AG_BUF_INIT;
    static const char *const keys[] = {"{actorId}", "{sessionId}", "{memoryStrategyId}"};
    while (*tmpl) {
        size_t k;
        for (k = 0; k < 3; k++)
            if (strncmp(tmpl, keys[k], strlen(keys[k])) == 0)
                break;
        if (k < 3) {
            if (k == 0)
                am_xbuf_adds(&b, actor);
            else if (k == 1)
                am_xbuf_adds(&b, session ? session : "");
            tmpl += strlen(keys[k]);
            continue;
        }
        am_xbuf_add(&b, tmpl++, 1);
    }
    /* a template cut at {memoryStrategyId} leaves "//"; the prefix still selects the records */
    char *s = am_xbuf_take(&b);
    snprintf(out, cap, "%s", s ? s : "");
    free(s);
}

int am_ag_mem_turns(const struct am_ag_mem *m, const char *actor, const char *session,
                    int max_turns, json_t **out, char *err, size_t err_cap)
{
    char path[2048];
    json_t *r, *ev, *turns;
    size_t i;

    *out = NULL;
    char *mi = esc(m->memory_id), *a = esc(actor), *s = esc(session);
    snprintf(path, sizeof path, "/memories/%s/actor/%s/sessions/%s", mi ? mi : "", a ? a : "",
             s ? s : "");
    curl_free(mi);
    curl_free(a);
    curl_free(s);
    json_t *req = json_pack("{s:i, s:b}", "maxResults", max_turns, "includePayloads", 1);
    int rc = call(m, "POST", path, req, &r, err, err_cap);
    json_decref(req);
    if (rc)
        return -1;
    turns = json_array();
    json_t *events = json_object_get(r, "events");
    /* ListEvents is newest first: walk backwards to get the oldest first */
    for (i = json_array_size(events); i-- > 0;) {
        ev = json_array_get(events, i);
        json_t *conv = json_object_get(json_array_get(json_object_get(ev, "payload"), 0),
                                       "conversational");
        const char *role = json_string_value(json_object_get(conv, "role"));
        const char *text =
            json_string_value(json_object_get(json_object_get(conv, "content"), "text"));
        if (role && text)
            json_array_append_new(turns, json_pack("{s:s, s:s}", "role", role, "text", text));
    }
    json_decref(r);
    *out = turns;
    return 0;
}

int am_ag_mem_records(const struct am_ag_mem *m, const char *ns, const char *q, int top_k,
                      json_t **out, char *err, size_t err_cap)
{
    char path[1024];
    json_t *r, *req, *rec;
    size_t i;
    int rc;

    *out = NULL;
    char *mi = esc(m->memory_id);
    if (q) {
        snprintf(path, sizeof path, "/memories/%s/retrieve", mi ? mi : "");
        req = json_pack("{s:s, s:{s:s, s:i}}", "namespace", ns, "searchCriteria", "searchQuery",
                        q, "topK", top_k);
    } else {
        snprintf(path, sizeof path, "/memories/%s/memoryRecords", mi ? mi : "");
        req = json_pack("{s:s, s:i}", "namespace", ns, "maxResults", top_k);
    }
    curl_free(mi);
    rc = call(m, "POST", path, req, &r, err, err_cap);
    json_decref(req);
    if (rc)
        return -1;
    json_t *texts = json_array();
    json_array_foreach(json_object_get(r, "memoryRecordSummaries"), i, rec) {
        const char *t = json_string_value(json_object_get(json_object_get(rec, "content"), "text"));
        if (t)
            json_array_append_new(texts, json_string(t));
    }
    json_decref(r);
    *out = texts;
    return 0;
}

int am_ag_mem_add(const struct am_ag_mem *m, const char *actor, const char *session,
                  const char *role, const char *text, char *err, size_t err_cap)
{
    char path[1024];
    struct timeval tv;
    json_t *r;

    gettimeofday(&tv, NULL);
    char *mi = esc(m->memory_id);
    snprintf(path, sizeof path, "/memories/%s/events", mi ? mi : "");
    curl_free(mi);
    json_t *req = json_pack("{s:s, s:s, s:f, s:[{s:{s:{s:s}, s:s}}], s:{s:{s:s}}}", "actorId",
                            actor, "sessionId", session, "eventTimestamp",
                            (double)tv.tv_sec + tv.tv_usec / 1e6, "payload", "conversational",
                            "content", "text", text, "role", role, "metadata", "agent",
                            "stringValue", "redshift-migration-agent");
    if (!req) {
        snprintf(err, err_cap, "cannot build CreateEvent request");
        return -1;
    }
    int rc = call(m, "POST", path, req, &r, err, err_cap);
    json_decref(req);
    json_decref(r);
    return rc;
}

static void checklist_ns(const char *actor, char *out, size_t cap)
{
    snprintf(out, cap, AM_AG_CHECKLIST_NS, actor);
}

int am_ag_mem_checklist_load(const struct am_ag_mem *m, const char *actor, json_t **out,
                             char *err, size_t err_cap)
{
    char path[1024], ns[600];
    json_t *r;

    *out = NULL;
    checklist_ns(actor, ns, sizeof ns);
    char *mi = esc(m->memory_id);
    snprintf(path, sizeof path, "/memories/%s/memoryRecords", mi ? mi : "");
    curl_free(mi);
    json_t *req = json_pack("{s:s, s:i}", "namespace", ns, "maxResults", 100);
    int rc = call(m, "POST", path, req, &r, err, err_cap);
    json_decref(req);
    if (rc)
        return -1;
    *out = am_ag_checklist_parse(json_object_get(r, "memoryRecordSummaries"));
    json_decref(r);
    if (!*out) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    return 0;
}

int am_ag_mem_checklist_save(const struct am_ag_mem *m, const char *actor, json_t *checklist,
                             json_t *changed, char *err, size_t err_cap)
{
    char path[1024], ns[600];
    struct timeval tv;
    size_t i;
    json_t *c;

    checklist_ns(actor, ns, sizeof ns);
    gettimeofday(&tv, NULL);
    double now = (double)tv.tv_sec + tv.tv_usec / 1e6;
    json_array_foreach(changed, i, c) {
        json_t *e = json_object_get(checklist, json_string_value(c)), *r = NULL;
        if (!e)
            continue;
        json_t *copy = json_deep_copy(e);
        const char *id = json_string_value(json_object_get(e, "_id"));
        json_object_del(copy, "_id");
        char *text = copy ? json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(copy);
        char *mi = esc(m->memory_id);
        snprintf(path, sizeof path, "/memories/%s/memoryRecords/%s", mi ? mi : "",
                 id ? "batchUpdate" : "batchCreate");
        curl_free(mi);
        json_t *req = !text ? NULL
                      : id  ? json_pack("{s:[{s:s, s:f, s:{s:s}, s:[s]}]}", "records",
                                        "memoryRecordId", id, "timestamp", now, "content", "text",
                                        text, "namespaces", ns)
                            : json_pack("{s:[{s:s, s:f, s:{s:s}, s:[s]}]}", "records",
                                        "requestIdentifier", "checklist", "timestamp", now,
                                        "content", "text", text, "namespaces", ns);
        free(text);
        if (!req) {
            snprintf(err, err_cap, "out of memory");
            return -1;
        }
        int rc = call(m, "POST", path, req, &r, err, err_cap);
        json_decref(req);
        if (rc)
            return -1;
        json_t *failed = json_array_get(json_object_get(r, "failedRecords"), 0);
        if (failed) {
            snprintf(err, err_cap, "saving the checklist of %s failed: %s",
                     json_string_value(c),
                     json_string_value(json_object_get(failed, "errorMessage")) ?: "?");
            json_decref(r);
            return -1;
        }
        const char *new_id = json_string_value(json_object_get(
            json_array_get(json_object_get(r, "successfulRecords"), 0), "memoryRecordId"));
        if (!id && new_id)      /* a later save in this process updates it */
            json_object_set_new(e, "_id", json_string(new_id));
        json_decref(r);
    }
    return 0;
}
