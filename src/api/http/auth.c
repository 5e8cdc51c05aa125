/*
 * auth.c - SigV4 verification through sigv4.h, and authorization by each key's IAM-style
 * policy (policy.h): the request's action, memory ARN and condition keys are gathered here.
 *
 * When sigv4.h is present it is used; its functions are referenced weakly, so agentmemd still
 * links while sigv4.c is not part of the build, and then refuses `--auth sigv4` with a clear
 * message instead of accepting unsigned requests.
 */
#include "api/http/auth.h"

#include "api/http/http.h"
#include "api/http/policy.h"
#include "util/log.h"

#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include("api/http/sigv4.h")
#include "api/http/sigv4.h"
#define HAVE_SIGV4 1
#endif
#endif

#ifdef HAVE_SIGV4
#pragma weak am_sigv4_keys_load
#pragma weak am_sigv4_keys_free
#pragma weak am_sigv4_verify

struct am_http_auth {
    struct am_sigv4_keys *keys;
    struct am_policy **policies;    /* per key, in the key set's order; NULL: full access */
    size_t n;
};

bool am_http_auth_available(void)
{
    return am_sigv4_keys_load != NULL && am_sigv4_verify != NULL;
}

int am_http_auth_load(const char *credentials_path, struct am_http_auth **out, char *err,
                      size_t err_len)
{
    struct am_http_auth *a;

    *out = NULL;
    if (!am_http_auth_available()) {
        snprintf(err, err_len, "SigV4 verification is not compiled into this agentmemd");
        return -1;
    }
    if (!credentials_path || !credentials_path[0]) {
        snprintf(err, err_len, "--auth sigv4 needs --credentials FILE");
        return -1;
    }
    a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    if (am_sigv4_keys_load(credentials_path, &a->keys, err, err_len) != 0) {
        free(a);
        return -1;
    }
    /* each profile's `policy = FILE`, relative to the credentials file */
    a->n = am_sigv4_keys_count(a->keys);
    a->policies = calloc(a->n ? a->n : 1, sizeof *a->policies);
    if (!a->policies) {
        am_http_auth_free(a);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    const char *slash = strrchr(credentials_path, '/');
    int dir_len = slash ? (int)(slash - credentials_path + 1) : 0;
    size_t with = 0;
    for (size_t i = 0; i < a->n; i++) {
        struct am_sigv4_key_info ki;
        char path[4096];
        if (am_sigv4_key_info(a->keys, i, &ki) || !ki.policy)
            continue;
        if (ki.policy[0] == '/')
            snprintf(path, sizeof path, "%s", ki.policy);
        else
            snprintf(path, sizeof path, "%.*s%s", dir_len, credentials_path, ki.policy);
        char perr[600];
        if (am_policy_load(path, &a->policies[i], perr, sizeof perr)) {
            snprintf(err, err_len, "[%s] policy: %s", ki.profile, perr);
            am_http_auth_free(a);
            return -1;
        }
        with++;
    }
    if (with && with < a->n)
        am_log(AM_LOG_WARN, "auth", "%zu of %zu keys have no policy: they may call every "
               "operation on every memory", a->n - with, a->n);
    *out = a;
    return 0;
}

void am_http_auth_free(struct am_http_auth *auth)
{
    if (!auth)
        return;
    if (am_sigv4_keys_free)
        am_sigv4_keys_free(auth->keys);
    for (size_t i = 0; auth->policies && i < auth->n; i++)
        am_policy_free(auth->policies[i]);
    free(auth->policies);
    free(auth);
}

struct header_vec {
    struct am_sigv4_header *items;
    size_t n, cap;
    bool oom;
};

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    struct header_vec *v = cls;

    (void)kind;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 32;
        struct am_sigv4_header *p = realloc(v->items, cap * sizeof *p);

        if (!p) {
            v->oom = true;
            return MHD_NO;
        }
        v->items = p;
        v->cap = cap;
    }
    v->items[v->n].name = key;
    v->items[v->n].value = value ? value : "";
    v->n++;
    return MHD_YES;
}

int am_http_auth_check(const struct am_http_auth *auth, struct am_http_req *req)
{
    struct header_vec hv = {0};
    struct am_sigv4_request r;
    const char *type = NULL, *access_key = NULL;
    char msg[512] = "";
    int status = 403, rc;

    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, on_header, &hv);
    if (hv.oom) {
        free(hv.items);
        am_http_reply_error(req, AM_ENOMEM, NULL);
        return -1;
    }
    r.method = req->method;
    r.raw_path = req->raw_path;
    r.raw_query = req->raw_query;
    r.headers = hv.items;
    r.n_headers = hv.n;
    r.body = (const unsigned char *)(req->body.data ? req->body.data : "");
    r.body_len = req->body.len;
    rc = am_sigv4_verify(auth->keys, &r, am_now_ms(), &type, &status, msg, sizeof msg,
                         &access_key);
    free(hv.items);
    if (rc == 0) {
        am_log(AM_LOG_DEBUG, "http", "signed by %s req=%s", access_key ? access_key : "?",
               req->id);
        req->access_key = access_key;
        return 0;
    }
    am_http_reply_error_as(req, status ? status : 403,
                           type ? type : "AccessDeniedException", msg);
    return -1;
}

/* ---- authorization ---- */

/* The value of the path label named name ("actorId" of ".../actor/{actorId}/..."). */
static const char *label_named(const struct am_http_req *req, const char *name)
{
    const char *p = am_http_routes[req->route].pattern;
    size_t i = 0, n = strlen(name);
    for (; (p = strchr(p, '{')); p++, i++)
        if (strncmp(p + 1, name, n) == 0 && p[1 + n] == '}')
            return am_http_label(req, i);
    return NULL;
}

#define MAX_NS 128

struct context {
    const char *actor, *session, *strategy;
    const char *ns[MAX_NS];
    size_t n_ns;
    struct am_policy_key keys[4];
    size_t n_keys;
};

static void add_ns(struct context *c, json_t *v)
{
    if (json_is_string(v) && c->n_ns < MAX_NS)
        c->ns[c->n_ns++] = json_string_value(v);
}

/* The condition keys AgentCore defines, as this request gives them (path, body, query). */
static void gather(const struct am_http_req *req, struct context *c)
{
    json_t *b = req->json, *v;
    size_t i, j;
    memset(c, 0, sizeof *c);
    c->actor = label_named(req, "actorId");
    if (!c->actor)
        c->actor = json_string_value(json_object_get(b, "actorId"));
    c->session = label_named(req, "sessionId");
    if (!c->session)
        c->session = json_string_value(json_object_get(b, "sessionId"));
    c->strategy = json_string_value(json_object_get(b, "memoryStrategyId"));
    if (!c->strategy)
        c->strategy = json_string_value(json_object_get(json_object_get(b, "searchCriteria"),
                                                        "memoryStrategyId"));
    add_ns(c, json_object_get(b, "namespace"));
    add_ns(c, json_object_get(b, "namespacePath"));
    const char *qns = am_http_query(req, "namespace");
    if (qns && c->n_ns < MAX_NS)
        c->ns[c->n_ns++] = qns;
    json_array_foreach(json_object_get(b, "sourceNamespaces"), i, v)
        add_ns(c, v);
    json_t *rec;
    json_array_foreach(json_object_get(b, "records"), i, rec) {
        add_ns(c, json_object_get(rec, "namespace"));
        json_array_foreach(json_object_get(rec, "namespaces"), j, v)
            add_ns(c, v);
    }
    if (c->actor)
        c->keys[c->n_keys++] = (struct am_policy_key){"bedrock-agentcore:actorId", &c->actor, 1};
    if (c->session)
        c->keys[c->n_keys++] = (struct am_policy_key){"bedrock-agentcore:sessionId",
                                                      &c->session, 1};
    if (c->strategy)
        c->keys[c->n_keys++] = (struct am_policy_key){"bedrock-agentcore:strategyId",
                                                      &c->strategy, 1};
    if (c->n_ns)
        c->keys[c->n_keys++] = (struct am_policy_key){"bedrock-agentcore:namespace", c->ns,
                                                      c->n_ns};
}

int am_http_authorize(const struct am_http_auth *auth, struct am_http_req *req)
{
    size_t k = 0;
    while (k < auth->n) {
        struct am_sigv4_key_info ki;
        if (am_sigv4_key_info(auth->keys, k, &ki) == 0 && req->access_key &&
            strcmp(ki.access_key, req->access_key) == 0)
            break;
        k++;
    }
    if (k == auth->n || !auth->policies[k])
        return 0;                      /* a key without a policy may do everything */
    struct am_sigv4_key_info ki;
    am_sigv4_key_info(auth->keys, k, &ki);
    char action[128], resource[512];
    const char *mem = label_named(req, "memoryId");
    bool ext = strncmp(am_http_routes[req->route].pattern, "/_agentmem/", 11) == 0;
    snprintf(action, sizeof action, "%s:%s", ext ? "agentmem" : "bedrock-agentcore", req->op);
    if (!mem || am_memory_arn(req->db, mem, resource, sizeof resource) != AM_OK)
        snprintf(resource, sizeof resource, "*");
    struct context c;
    gather(req, &c);
    struct am_policy_request pr = {action, resource, c.keys, c.n_keys, ki.profile};
    int verdict = am_policy_eval(auth->policies[k], &pr);
    if (verdict == AM_POLICY_ALLOW)
        return 0;
    char msg[1024];
    snprintf(msg, sizeof msg, "User: %s is not authorized to perform: %s on resource: %s %s",
             ki.profile, action, resource,
             verdict == AM_POLICY_EXPLICIT_DENY
                 ? "with an explicit deny in an identity-based policy"
                 : "because no identity-based policy allows the action");
    am_log(AM_LOG_INFO, "auth", "denied %s on %s to key %s req=%s", action, resource,
           ki.access_key, req->id);
    am_http_reply_error_as(req, 403, "AccessDeniedException", msg);
    return -1;
}

#else /* !HAVE_SIGV4 */

struct am_http_auth {
    int unused;
};

bool am_http_auth_available(void)
{
    return false;
}

int am_http_auth_load(const char *credentials_path, struct am_http_auth **out, char *err,
                      size_t err_len)
{
    (void)credentials_path;
    *out = NULL;
    snprintf(err, err_len, "SigV4 verification is not compiled into this agentmemd "
                           "(src/api/http/sigv4.h is missing)");
    return -1;
}

void am_http_auth_free(struct am_http_auth *auth)
{
    free(auth);
}

int am_http_auth_check(const struct am_http_auth *auth, struct am_http_req *req)
{
    (void)auth;
    am_http_reply_error_as(req, 403, "AccessDeniedException",
                           "SigV4 verification is not available");
    return -1;
}

int am_http_authorize(const struct am_http_auth *auth, struct am_http_req *req)
{
    (void)auth;
    (void)req;
    return 0;
}

#endif
