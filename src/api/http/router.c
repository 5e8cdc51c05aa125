/*
 * router.c - the route table: method + path pattern -> operation.
 *
 * Paths are matched in their raw, percent-encoded form: the raw path is split on '/' first
 * and only then is each label percent-decoded, because the SDKs encode '/' inside a label
 * as %2F (actor ids like "user/alice:dev"). Literal segments must match exactly; "{name}"
 * matches one non-empty segment. A path that matches some route but not with this method is
 * a 405, any other path a 404 (UnknownOperationException).
 *
 * The control-plane and data-plane paths do not collide (memory ids need a 10-character
 * suffix, so "create" cannot be one), and agentmem's own routes live under /_agentmem/,
 * which no AgentCore path can reach: every AgentCore memory path starts with /memories/.
 */
#include "api/http/http.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define M "/memories/{memoryId}"
#define S M "/actor/{actorId}/sessions/{sessionId}"
#define X "/_agentmem/memories/{memoryId}"

const struct am_http_route am_http_routes[] = {
    /* control plane (bedrock-agentcore-control) */
    {"POST", "/memories/create", "CreateMemory", am_http_create_memory},
    {"POST", "/memories/", "ListMemories", am_http_list_memories},
    {"GET", M "/details", "GetMemory", am_http_get_memory},
    {"PUT", M "/update", "UpdateMemory", am_http_update_memory},
    {"DELETE", M "/delete", "DeleteMemory", am_http_delete_memory},
    /* data plane (bedrock-agentcore) */
    {"POST", M "/events", "CreateEvent", am_http_create_event},
    {"GET", S "/events/{eventId}", "GetEvent", am_http_get_event},
    {"DELETE", S "/events/{eventId}", "DeleteEvent", am_http_delete_event},
    {"POST", S, "ListEvents", am_http_list_events},
    {"POST", M "/actor/{actorId}/sessions", "ListSessions", am_http_list_sessions},
    {"POST", M "/actors", "ListActors", am_http_list_actors},
    {"POST", M "/retrieve", "RetrieveMemoryRecords", am_http_retrieve_records},
    {"POST", M "/memoryRecords", "ListMemoryRecords", am_http_list_records},
    {"POST", M "/memoryRecords/batchCreate", "BatchCreateMemoryRecords",
     am_http_batch_create_records},
    {"POST", M "/memoryRecords/batchUpdate", "BatchUpdateMemoryRecords",
     am_http_batch_update_records},
    {"POST", M "/memoryRecords/batchDelete", "BatchDeleteMemoryRecords",
     am_http_batch_delete_records},
    {"GET", M "/memoryRecord/{memoryRecordId}", "GetMemoryRecord", am_http_get_record},
    {"DELETE", M "/memoryRecords/{memoryRecordId}", "DeleteMemoryRecord",
     am_http_delete_record},
    {"POST", M "/extractionJobs/start", "StartMemoryExtractionJob", am_http_start_job},
    {"POST", M "/extractionJobs", "ListMemoryExtractionJobs", am_http_list_jobs},
    /* agentmem extensions */
    {"GET", "/_agentmem/health", "Health", am_http_ext_health},
    {"GET", "/_agentmem/metrics", "Metrics", am_http_ext_metrics},
    {"GET", X "/sessions", "ListAllSessions", am_http_ext_list_sessions},
    {"POST", X "/context", "GetContext", am_http_ext_context},
    {"GET", X "/records/{memoryRecordId}/history", "RecordHistory", am_http_ext_record_history},
    {"POST", X "/actors/{actorId}/search", "SearchEvents", am_http_ext_search_events},
    {"GET", X "/actors", "ListActorDetails", am_http_ext_list_actors},
    {"DELETE", X "/actors/{actorId}", "ForgetActor", am_http_ext_forget_actor},
    {"GET", X "/actors/{actorId}/sessions/{sessionId}", "ViewSession",
     am_http_ext_view_session},
    {"DELETE", X "/actors/{actorId}/sessions/{sessionId}", "DeleteSession",
     am_http_ext_delete_session},
};

const size_t am_http_n_routes = sizeof am_http_routes / sizeof am_http_routes[0];

char *am_http_pct_decode(const char *src, size_t len, bool plus_is_space)
{
    char *out = malloc(len + 1);
    size_t o = 0;

    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '%') {
            int hi, lo;

            if (i + 2 >= len)
                goto bad;
            hi = am_hex_digit(src[i + 1]);
            lo = am_hex_digit(src[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                goto bad;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (src[i] == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = src[i];
        }
    }
    out[o] = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

/* Segment i of a '/'-separated path (without the leading '/'): start and length. */
struct seg {
    const char *p;
    size_t len;
};

static size_t split(const char *path, struct seg *segs, size_t max)
{
    size_t n = 0;
    const char *p = path;

    if (*p == '/')
        p++;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);

        if (n == max)
            return max + 1;
        segs[n].p = p;
        segs[n].len = len;
        n++;
        if (!slash)
            break;
        p = slash + 1;
    }
    return n;
}

static bool match(const char *pattern, const struct seg *segs, size_t n, size_t *labels,
                  size_t *n_labels)
{
    struct seg pat[12];
    size_t np = split(pattern, pat, 12);

    *n_labels = 0;
    if (np != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (pat[i].len && pat[i].p[0] == '{') {
            if (segs[i].len == 0 || *n_labels == AM_HTTP_MAX_LABELS)
                return false;
            labels[(*n_labels)++] = i;
        } else if (pat[i].len != segs[i].len || memcmp(pat[i].p, segs[i].p, pat[i].len)) {
            return false;
        }
    }
    return true;
}

int am_http_route_find(struct am_http_req *req, const char *method, const char *raw_path,
                       size_t *out_route)
{
    struct seg segs[12];
    size_t n, labels[AM_HTTP_MAX_LABELS], n_labels;
    size_t found = am_http_n_routes;
    bool path_known = false;

    *out_route = am_http_n_routes;
    req->allow[0] = '\0';
    if (strcmp(method, "HEAD") == 0)   /* libmicrohttpd drops the body of a HEAD reply */
        method = "GET";
    /* ListMemories is "POST /memories/"; accept it without the slash too. */
    if (strcmp(raw_path, "/memories") == 0)
        raw_path = "/memories/";
    if (raw_path[0] != '/')
        return AM_HTTP_NO_ROUTE;
    n = split(raw_path, segs, 12);
    if (n > 12)
        return AM_HTTP_NO_ROUTE;
    for (size_t r = 0; r < am_http_n_routes; r++) {
        if (!match(am_http_routes[r].pattern, segs, n, labels, &n_labels))
            continue;
        if (strcmp(am_http_routes[r].method, method) == 0) {
            found = r;
            break;
        }
        if (!path_known || !strstr(req->allow, am_http_routes[r].method)) {
            size_t len = strlen(req->allow);

            snprintf(req->allow + len, sizeof req->allow - len, "%s%s", len ? ", " : "",
                     am_http_routes[r].method);
        }
        path_known = true;
    }
    if (found == am_http_n_routes)
        return path_known ? AM_HTTP_BAD_METHOD : AM_HTTP_NO_ROUTE;
    for (size_t i = 0; i < n_labels; i++) {
        const struct seg *s = &segs[labels[i]];

        req->labels[i] = am_http_pct_decode(s->p, s->len, false);
        if (!req->labels[i])
            return AM_HTTP_BAD_PATH;
        req->n_labels = i + 1;
    }
    *out_route = found;
    return AM_HTTP_MATCHED;
}
