/*
 * ext.c - agentmem's own operations, under /_agentmem/ where no AgentCore path can reach.
 *
 *   GET    /_agentmem/health                                   liveness + store check
 *   GET    /_agentmem/metrics                                  Prometheus text format
 *   GET    /_agentmem/memories/{m}/sessions                    every session of a memory
 *   GET    /_agentmem/memories/{m}/actors                      actors with counts
 *   DELETE /_agentmem/memories/{m}/actors/{a}                  forget an actor (erasure)
 *   GET    /_agentmem/memories/{m}/actors/{a}/sessions/{s}     view: events + records
 *   DELETE /_agentmem/memories/{m}/actors/{a}/sessions/{s}     delete a whole session
 *
 * Parameters travel in the query string (maxResults, nextToken, ...); replies use the same
 * JSON conventions as the AgentCore operations (timestamps as epoch seconds, nextToken
 * omitted on the last page). docs/http-api.md documents them.
 */
#include "api/http/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int query_int(struct am_http_req *req, const char *key, long min, long max, long def,
                     long *out)
{
    const char *v = am_http_query(req, key);
    char *end;
    long n;

    *out = def;
    if (!v)
        return 0;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max)
        return am_http_verr(req, "FieldValidationFailed", key,
                            "1 validation error detected: Value '%s' at '%s' failed to "
                            "satisfy constraint: Member must be an integer between %ld and %ld",
                            v, key, min, max);
    *out = n;
    return 0;
}

static int query_bool(struct am_http_req *req, const char *key, bool def, bool *out)
{
    const char *v = am_http_query(req, key);

    *out = def;
    if (!v)
        return 0;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = true;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = false;
    else
        return am_http_verr(req, "FieldValidationFailed", key,
                            "Value '%s' at '%s' must be true or false", v, key);
    return 0;
}

static int query_enum(struct am_http_req *req, const char *key, const char *a, const char *b,
                      const char **out)
{
    const char *v = am_http_query(req, key);

    *out = a;
    if (!v)
        return 0;
    if (strcmp(v, a) != 0 && strcmp(v, b) != 0)
        return am_http_verr(req, "FieldValidationFailed", key,
                            "Value '%s' at '%s' must be one of: %s, %s", v, key, a, b);
    *out = v;
    return 0;
}

static const char *query_token(const struct am_http_req *req)
{
    const char *t = am_http_query(req, "nextToken");

    return t && t[0] ? t : NULL;
}

/* Add "nextToken" when there is one, then reply 200. Takes reply. */
static int reply_paged(struct am_http_req *req, json_t *reply, const char *next_token)
{
    if (!reply)
        return am_http_reply_error(req, AM_ENOMEM, NULL);
    if (next_token && json_object_set_new(reply, "nextToken", am_http_str(next_token))) {
        json_decref(reply);
        return am_http_reply_error(req, AM_ENOMEM, NULL);
    }
    return am_http_reply_json(req, 200, reply);
}

int am_http_ext_health(struct am_http_req *req)
{
    am_memories *m = NULL;
    int rc = am_memory_list(req->db, 1, NULL, &m);

    am_memories_free(m);
    if (rc) {
        char msg[600];

        snprintf(msg, sizeof msg, "store check failed: %s", am_errmsg(req->db));
        return am_http_reply_error(req, AM_HTTP_EUNAVAIL, msg);
    }
    return am_http_reply_json(req, 200, json_pack("{s:s,s:s,s:f}", "status", "ok", "version",
                                                  AM_VERSION, "uptimeSeconds",
                                                  am_http_uptime(req->srv)));
}

int am_http_ext_metrics(struct am_http_req *req)
{
    struct am_http_buf b = {0};

    if (am_http_metrics_text(req->srv, &b)) {
        am_http_buf_free(&b);
        return am_http_reply_error(req, AM_ENOMEM, NULL);
    }
    return am_http_reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", b.data,
                              b.len);
}

int am_http_ext_list_sessions(struct am_http_req *req)
{
    const char *order, *actor = am_http_query(req, "actorId");
    am_sessions *out = NULL;
    json_t *list;
    long max;
    int rc;

    if (query_int(req, "maxResults", 1, AM_MAX_RESULTS, 0, &max) ||
        query_enum(req, "order", "recent", "created", &order))
        return am_http_reply_verr(req);
    rc = am_session_list(req->db, am_http_label(req, 0), actor && actor[0] ? actor : NULL,
                         strcmp(order, "recent") == 0, (int)max, query_token(req), &out);
    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    list = json_array();
    for (size_t i = 0; list && i < out->n; i++) {
        const am_session *s = &out->items[i];

        if (json_array_append_new(list, json_pack("{s:o,s:o,s:o,s:o,s:I}",
                                                  "sessionId", am_http_str(s->session_id),
                                                  "actorId", am_http_str(s->actor_id),
                                                  "createdAt", am_http_ts(s->created_ms),
                                                  "lastEventAt", am_http_ts(s->last_ms),
                                                  "eventCount", (json_int_t)s->n_events))) {
            json_decref(list);
            list = NULL;
        }
    }
    rc = reply_paged(req, list ? json_pack("{s:o}", "sessionSummaries", list) : NULL,
                     out->next_token);
    am_sessions_free(out);
    return rc;
}

int am_http_ext_list_actors(struct am_http_req *req)
{
    am_actors *out = NULL;
    json_t *list;
    long max;
    int rc;

    if (query_int(req, "maxResults", 1, AM_MAX_RESULTS, 0, &max))
        return am_http_reply_verr(req);
    rc = am_actor_list(req->db, am_http_label(req, 0), (int)max, query_token(req), &out);
    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    list = json_array();
    for (size_t i = 0; list && i < out->n; i++) {
        const am_actor *a = &out->items[i];

        if (json_array_append_new(list, json_pack("{s:o,s:I,s:I,s:o}",
                                                  "actorId", am_http_str(a->actor_id),
                                                  "sessionCount", (json_int_t)a->n_sessions,
                                                  "eventCount", (json_int_t)a->n_events,
                                                  "lastEventAt", am_http_ts(a->last_ms)))) {
            json_decref(list);
            list = NULL;
        }
    }
    rc = reply_paged(req, list ? json_pack("{s:o}", "actors", list) : NULL, out->next_token);
    am_actors_free(out);
    return rc;
}

int am_http_ext_forget_actor(struct am_http_req *req)
{
    int64_t n_events = 0, n_records = 0;
    int rc = am_actor_forget(req->db, am_http_label(req, 0), am_http_label(req, 1), &n_events,
                             &n_records);

    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    return am_http_reply_json(req, 200, json_pack("{s:o,s:o,s:I,s:I}",
                                                  "memoryId", am_http_str(am_http_label(req, 0)),
                                                  "actorId", am_http_str(am_http_label(req, 1)),
                                                  "deletedEvents", (json_int_t)n_events,
                                                  "deletedRecords", (json_int_t)n_records));
}

int am_http_ext_delete_session(struct am_http_req *req)
{
    int64_t n_events = 0;
    int rc = am_session_delete(req->db, am_http_label(req, 0), am_http_label(req, 1),
                               am_http_label(req, 2), &n_events);

    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    return am_http_reply_json(req, 200,
                              json_pack("{s:o,s:o,s:o,s:I}",
                                        "memoryId", am_http_str(am_http_label(req, 0)),
                                        "actorId", am_http_str(am_http_label(req, 1)),
                                        "sessionId", am_http_str(am_http_label(req, 2)),
                                        "deletedEvents", (json_int_t)n_events));
}

/* The records extracted from one session (first 100), with their provenance. */
static int session_records(struct am_http_req *req, json_t **out_list)
{
    am_record_query q = {0};
    am_records *out = NULL;
    json_t *list;
    int rc;

    *out_list = NULL;
    q.memory_id = am_http_label(req, 0);
    q.actor_id = am_http_label(req, 1);
    q.session_id = am_http_label(req, 2);
    q.max_results = AM_MAX_RESULTS;
    rc = am_record_list(req->db, &q, &out);
    if (rc)
        return rc;
    list = json_array();
    for (size_t i = 0; list && i < out->n; i++) {
        json_t *r = am_http_record_json(&out->items[i], false);

        if (r && out->items[i].actor_id)
            json_object_set_new(r, "actorId", am_http_str(out->items[i].actor_id));
        if (r && out->items[i].session_id)
            json_object_set_new(r, "sessionId", am_http_str(out->items[i].session_id));
        if (json_array_append_new(list, r)) {
            json_decref(list);
            list = NULL;
        }
    }
    am_records_free(out);
    if (!list)
        return AM_ENOMEM;
    *out_list = list;
    return AM_OK;
}

int am_http_ext_view_session(struct am_http_req *req)
{
    am_event_query q = {0};
    am_events *out = NULL;
    json_t *events = NULL, *records = NULL, *reply = NULL;
    const char *order;
    bool with_records;
    long max;
    int rc;

    q.memory_id = am_http_label(req, 0);
    q.actor_id = am_http_label(req, 1);
    q.session_id = am_http_label(req, 2);
    if (query_int(req, "maxResults", 1, AM_MAX_RESULTS, AM_MAX_RESULTS, &max) ||
        query_enum(req, "order", "asc", "desc", &order) ||
        query_bool(req, "includePayloads", true, &q.include_payloads) ||
        query_bool(req, "includeRecords", true, &with_records))
        return am_http_reply_verr(req);
    q.max_results = (int)max;
    q.oldest_first = strcmp(order, "asc") == 0;
    q.next_token = query_token(req);
    rc = am_event_list(req->db, &q, &out);
    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    events = json_array();
    if (!events)
        goto oom;
    for (size_t i = 0; i < out->n; i++)
        if (json_array_append_new(events, am_http_event_json(&out->items[i])))
            goto oom;
    /* Records only with the first page of events. */
    if (with_records && !q.next_token) {
        rc = session_records(req, &records);
        if (rc) {
            rc = am_http_reply_error(req, rc, am_errmsg(req->db));
            goto out;
        }
    }
    if (!q.next_token && out->n == 0 && (!records || json_array_size(records) == 0)) {
        rc = am_http_reply_error(req, AM_ENOTFOUND, "Session not found: no events and no "
                                                    "records");
        goto out;
    }
    reply = json_pack("{s:o,s:o,s:o,s:O}", "memoryId", am_http_str(q.memory_id), "actorId",
                      am_http_str(q.actor_id), "sessionId", am_http_str(q.session_id),
                      "events", events);
    if (!reply)
        goto oom;
    if (records && json_object_set(reply, "memoryRecords", records))
        goto oom;
    rc = reply_paged(req, reply, out->next_token);
    reply = NULL;
    goto out;
oom:
    rc = am_http_reply_error(req, AM_ENOMEM, NULL);
out:
    json_decref(events);
    json_decref(records);
    json_decref(reply);
    am_events_free(out);
    return rc;
}

/* POST /_agentmem/memories/{m}/context {actorId, sessionId?, message, maxTokens?,
   maxTurns?}: what to put in the prompt for a message (am_context_build). */
int am_http_ext_context(struct am_http_req *req)
{
    json_t *b = req->json;
    am_context_query q = {.memory_id = am_http_label(req, 0)};
    long long max_tokens = 0, max_turns = 0;
    char *text = NULL;

    if (am_http_get_str(req, b, "", "actorId", true, &q.actor_id) ||
        am_http_get_str(req, b, "", "sessionId", false, &q.session_id) ||
        am_http_get_str(req, b, "", "message", true, &q.message) ||
        am_http_get_int(req, b, "", "maxTokens", false, 1, 200000, &max_tokens, NULL) ||
        am_http_get_int(req, b, "", "maxTurns", false, 1, 100, &max_turns, NULL))
        return am_http_reply_verr(req);
    q.max_tokens = (int)max_tokens;
    q.max_turns = (int)max_turns;
    int rc = am_context_build(req->db, &q, &text);
    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    json_t *reply = am_http_load(text);
    am_free(text);
    return am_http_reply_json(req, 200, reply);
}

/* POST /_agentmem/memories/{m}/actors/{a}/search {query, sessionId?, topK?}: verbatim
   search over the actor's events (am_event_search), best first. */
int am_http_ext_search_events(struct am_http_req *req)
{
    json_t *b = req->json, *list = NULL;
    const char *query = NULL, *session = NULL;
    long long top_k = 0;
    am_events *ev = NULL;

    if (am_http_get_str(req, b, "", "query", true, &query) ||
        am_http_get_str(req, b, "", "sessionId", false, &session) ||
        am_http_get_int(req, b, "", "topK", false, 1, 100, &top_k, NULL))
        return am_http_reply_verr(req);
    int rc = am_event_search(req->db, am_http_label(req, 0), am_http_label(req, 1), session,
                             query, (int)top_k, &ev);
    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    list = json_array();
    for (size_t i = 0; list && i < ev->n; i++)
        if (json_array_append_new(list, am_http_event_json(&ev->items[i]))) {
            json_decref(list);
            list = NULL;
        }
    am_events_free(ev);
    if (!list)
        return am_http_reply_error(req, AM_ENOMEM, "out of memory");
    return am_http_reply_json(req, 200, json_pack("{s:o}", "events", list));
}

/* GET /_agentmem/memories/{m}/records/{r}/history: every version, oldest first. */
int am_http_ext_record_history(struct am_http_req *req)
{
    am_records *r = NULL;
    int rc = am_record_history(req->db, am_http_label(req, 0), am_http_label(req, 1), &r);
    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    json_t *list = json_array();
    for (size_t i = 0; list && i < r->n; i++)
        if (json_array_append_new(list, am_http_record_json(&r->items[i], false))) {
            json_decref(list);
            list = NULL;
        }
    am_records_free(r);
    if (!list)
        return am_http_reply_error(req, AM_ENOMEM, "out of memory");
    return am_http_reply_json(req, 200, json_pack("{s:o}", "versions", list));
}
