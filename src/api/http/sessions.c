/*
 * sessions.c - ListSessions and ListActors. (agentmem's own session and actor operations,
 * which AgentCore lacks, are in ext.c.)
 *
 * ListSessions keeps AgentCore's order, by creation time, oldest first; a session exists
 * while it has events, so filter.eventFilter HAS_EVENTS is accepted and changes nothing.
 */
#include "api/http/http.h"

#include <string.h>

/* {"<key>": list, "nextToken"?: token}; takes list. */
static int reply_page(struct am_http_req *req, const char *key, json_t *list,
                      const char *next_token)
{
    json_t *reply;

    if (!list)
        return am_http_reply_error(req, AM_ENOMEM, NULL);
    reply = json_pack("{s:o}", key, list);
    if (!reply)
        return am_http_reply_error(req, AM_ENOMEM, NULL);
    if (next_token && json_object_set_new(reply, "nextToken", am_http_str(next_token))) {
        json_decref(reply);
        return am_http_reply_error(req, AM_ENOMEM, NULL);
    }
    return am_http_reply_json(req, 200, reply);
}

int am_http_list_sessions(struct am_http_req *req)
{
    json_t *filter = NULL, *list = NULL;
    const char *token, *cond = NULL;
    am_sessions *out = NULL;
    int max, rc;

    if (am_http_get_paging(req, req->json, AM_MAX_RESULTS, &max, &token) ||
        am_http_get_obj(req, req->json, "", "filter", false, &filter) ||
        am_http_get_str(req, filter, "filter", "eventFilter", false, &cond))
        return am_http_reply_verr(req);
    if (cond && strcmp(cond, "HAS_EVENTS") != 0) {
        am_http_verr(req, "FieldValidationFailed", "filter.eventFilter",
                     "1 validation error detected: Value '%s' at 'filter.eventFilter' failed "
                     "to satisfy constraint: Member must satisfy enum value set: [HAS_EVENTS]",
                     cond);
        return am_http_reply_verr(req);
    }
    rc = am_session_list(req->db, am_http_label(req, 0), am_http_label(req, 1), false, max,
                         token, &out);
    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    list = json_array();
    for (size_t i = 0; list && i < out->n; i++) {
        const am_session *s = &out->items[i];

        if (json_array_append_new(list, json_pack("{s:o,s:o,s:o}",
                                                  "sessionId", am_http_str(s->session_id),
                                                  "actorId", am_http_str(s->actor_id),
                                                  "createdAt", am_http_ts(s->created_ms)))) {
            json_decref(list);
            list = NULL;
        }
    }
    rc = reply_page(req, "sessionSummaries", list, out->next_token);
    am_sessions_free(out);
    return rc;
}

int am_http_list_actors(struct am_http_req *req)
{
    json_t *list = NULL;
    const char *token;
    am_actors *out = NULL;
    int max, rc;

    if (am_http_get_paging(req, req->json, AM_MAX_RESULTS, &max, &token))
        return am_http_reply_verr(req);
    rc = am_actor_list(req->db, am_http_label(req, 0), max, token, &out);
    if (rc)
        return am_http_reply_error(req, rc, am_errmsg(req->db));
    list = json_array();
    for (size_t i = 0; list && i < out->n; i++) {
        if (json_array_append_new(list, json_pack("{s:o}", "actorId",
                                                  am_http_str(out->items[i].actor_id)))) {
            json_decref(list);
            list = NULL;
        }
    }
    rc = reply_page(req, "actorSummaries", list, out->next_token);
    am_actors_free(out);
    return rc;
}
