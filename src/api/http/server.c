/*
 * server.c - libmicrohttpd setup and the life of one request.
 *
 * A request is answered on the handler's last call (upload complete), never on the first:
 * libmicrohttpd closes the connection when a response is queued on the first call, which
 * would break keep-alive (CEILINGS.md). The body is accumulated up to --max-body; a larger
 * Content-Length is refused at once with 413, a larger chunked body at its end.
 *
 * Every request gets a UUID request id, returned as x-amzn-requestid and written in the
 * access log line (one per request, at info level, when the request completes) together with
 * the method, raw path, status and duration. The counters behind /_agentmem/metrics are
 * atomics updated in the completion callback.
 */
#include "api/http/server.h"

#include "api/http/auth.h"
#include "api/http/http.h"
#include "api/http/ratelimit.h"
#include "util/log.h"
#include "util/rand.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Bytes beyond --max-body that are still read (and dropped) before answering 413. */
#define DISCARD_MAX (64ULL * 1024 * 1024)

/* Status codes counted one by one; anything else lands in the last slot. */
static const int metric_codes[] = {200, 201, 202, 204, 400, 401, 402, 403, 404, 405, 409,
                                   413, 429, 500, 503, 0};
#define N_CODES (sizeof metric_codes / sizeof metric_codes[0])
static const double metric_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
#define N_BUCKETS (sizeof metric_buckets / sizeof metric_buckets[0])

struct op_metrics {
    atomic_ullong by_code[N_CODES];
    atomic_ullong bucket[N_BUCKETS + 1]; /* per bucket (not cumulative); last: +Inf */
    atomic_ullong sum_us;
};

struct am_http_server {
    /* set by the starting thread once MHD returns; its workers may already be serving */
    _Atomic(struct MHD_Daemon *) daemon;
    am_db *db;
    struct am_http_options opt;
    char address[96];
    unsigned port;
    int64_t started_ns;
    atomic_int in_flight;
    atomic_bool quiescing;
    MHD_socket quiesced_fd;    /* the listening socket after quiesce; closed after stop */
    atomic_ullong bytes_in, bytes_out, aborted;
    struct op_metrics *ops;    /* am_http_n_routes + 1 (the last: no route) */
    struct am_ratelimit *rl;   /* NULL: no rate limit */
};

static int64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- buffers ------------------------------------------------------------------------ */

int am_http_buf_append(struct am_http_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (b->max && (b->len + n > b->max || b->len + n < b->len))
        return -1;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *d;

        while (cap < b->len + n + 1)
            cap *= 2;
        if (b->max && cap > b->max + 1)
            cap = b->max + 1;
        d = realloc(b->data, cap);
        if (!d)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int am_http_buf_printf(struct am_http_buf *b, const char *fmt, ...)
{
    char small[512];
    char *big = NULL;
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return am_http_buf_append(b, small, (size_t)n);
    big = malloc((size_t)n + 1);
    if (!big)
        return -1;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    rc = am_http_buf_append(b, big, (size_t)n);
    free(big);
    return rc;
}

void am_http_buf_free(struct am_http_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- request accessors -------------------------------------------------------------- */

const char *am_http_label(const struct am_http_req *req, size_t i)
{
    return i < req->n_labels ? req->labels[i] : NULL;
}

const char *am_http_query(const struct am_http_req *req, const char *key)
{
    for (size_t i = 0; i < req->n_query; i++)
        if (strcmp(req->query[i].key, key) == 0)
            return req->query[i].value;
    return NULL;
}

/* ---- replies ------------------------------------------------------------------------ */

int am_http_reply_text(struct am_http_req *req, int status, const char *content_type,
                       char *text, size_t len)
{
    free(req->resp_body);
    req->resp_body = text;
    req->resp_len = len;
    req->resp_type = content_type;
    req->status = status;
    return 0;
}

int am_http_reply_json(struct am_http_req *req, int status, json_t *body)
{
    char *text;

    if (!body)
        text = strdup("{}");
    else
        text = json_dumps(body, AM_HTTP_JSON_FLAGS);
    json_decref(body);
    if (!text) {
        am_log(AM_LOG_ERROR, "http", "out of memory encoding a reply req=%s", req->id);
        req->err_type[0] = '\0';
        snprintf(req->err_type, sizeof req->err_type, "ServiceException");
        am_http_reply_text(req, 500, "application/json", NULL, 0);
        return -1;
    }
    return am_http_reply_text(req, status, "application/json", text, strlen(text));
}

/* ---- request life ------------------------------------------------------------------- */

static struct am_http_req *req_new(struct am_http_server *srv, struct MHD_Connection *conn,
                                   const char *url, const char *method)
{
    struct am_http_req *req = calloc(1, sizeof *req);

    if (!req)
        return NULL;
    req->srv = srv;
    req->conn = conn;
    req->db = srv->db;
    req->method = method;
    req->route = am_http_n_routes;
    req->op = "-";
    req->start_ns = mono_ns();
    req->body.max = srv->opt.max_body;
    am_rand_uuid(req->id);
    req->raw_path = strdup(url ? url : "/");
    if (!req->raw_path) {
        free(req);
        return NULL;
    }
    return req;
}

static void req_free(struct am_http_req *req)
{
    if (!req)
        return;
    for (size_t i = 0; i < req->n_labels; i++)
        free(req->labels[i]);
    for (size_t i = 0; i < req->n_query; i++) {
        free(req->query[i].key);
        free(req->query[i].value);
    }
    json_decref(req->json);
    am_http_buf_free(&req->body);
    free(req->resp_body);
    free(req->raw_path);
    free(req->raw_query);
    free(req);
}

struct query_walk {
    struct am_http_req *req;
    struct am_http_buf raw;
    bool bad;
};

/* libmicrohttpd hands over query items as received (our unescape callback does nothing),
 * except that '+' has become ' '. Rebuild the raw query for SigV4 and decode each item. */
static enum MHD_Result on_query_item(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct query_walk *w = cls;
    struct am_http_req *req = w->req;
    struct am_http_kv *kv;

    (void)kind;
    if (w->raw.len && am_http_buf_append(&w->raw, "&", 1))
        goto fail;
    for (const char *p = key; *p; p++)
        if (am_http_buf_append(&w->raw, *p == ' ' ? "+" : p, 1))
            goto fail;
    if (value) {
        if (am_http_buf_append(&w->raw, "=", 1))
            goto fail;
        for (const char *p = value; *p; p++)
            if (am_http_buf_append(&w->raw, *p == ' ' ? "+" : p, 1))
                goto fail;
    }
    if (req->n_query == AM_HTTP_MAX_QUERY)
        return MHD_YES;        /* more items than any operation takes: ignored */
    kv = &req->query[req->n_query];
    kv->key = am_http_pct_decode(key, strlen(key), false);
    kv->value = am_http_pct_decode(value ? value : "", value ? strlen(value) : 0, false);
    if (!kv->key || !kv->value) {
        free(kv->key);
        free(kv->value);
        kv->key = kv->value = NULL;
        goto fail;
    }
    req->n_query++;
    return MHD_YES;
fail:
    w->bad = true;
    return MHD_NO;
}

static int parse_query(struct am_http_req *req)
{
    struct query_walk w = {.req = req};

    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, on_query_item, &w);
    if (w.raw.len) {
        req->raw_query = w.raw.data;
        w.raw.data = NULL;
    }
    am_http_buf_free(&w.raw);
    return w.bad ? -1 : 0;
}

static void reply_too_big(struct am_http_req *req)
{
    char msg[160];

    snprintf(msg, sizeof msg, "Request body is larger than the server's limit of %zu bytes "
             "(--max-body)", req->srv->opt.max_body);
    am_http_reply_error(req, AM_HTTP_ETOOLARGE, msg);
}

static bool auth_exempt(size_t route)
{
    return route < am_http_n_routes && (am_http_routes[route].fn == am_http_ext_health ||
                                        am_http_routes[route].fn == am_http_ext_metrics);
}

/* The rate limit, per signing key or (without auth) per client address: true when this
 * request is refused with a 429, which the SDKs retry with backoff. */
static bool over_rate(struct am_http_server *srv, struct am_http_req *req)
{
    char client[INET6_ADDRSTRLEN + 8] = "?";
    const char *who = req->access_key;
    if (!who) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = ci ? ci->client_addr : NULL;
        if (sa && sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, client,
                      sizeof client);
        else if (sa && sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, client,
                      sizeof client);
        who = client;
    }
    double wait_s = 0;
    if (am_ratelimit_take(srv->rl, who, mono_ns(), &wait_s))
        return false;
    char msg[256];
    snprintf(msg, sizeof msg, "Rate exceeded: more than %g requests per second from %s; "
             "retry in %.2f s", srv->opt.rate_limit, req->access_key ? "this access key" :
             "this address", wait_s);
    am_http_reply_error_as(req, 429, "ThrottledException", msg);
    return true;
}

static void handle(struct am_http_req *req)
{
    struct am_http_server *srv = req->srv;
    size_t route = am_http_n_routes;
    json_error_t jerr;
    int m;

    if (req->too_big) {
        reply_too_big(req);
        return;
    }
    if (req->conn && parse_query(req)) {     /* am_http_dispatch parsed it already */
        am_http_reply_error(req, AM_HTTP_ECANNOTPARSE, "Malformed percent-encoding in the query");
        return;
    }
    m = am_http_route_find(req, req->method, req->raw_path, &route);
    if (srv->opt.auth && !auth_exempt(route) && am_http_auth_check(srv->opt.auth, req))
        return;
    if (srv->rl && !auth_exempt(route) && over_rate(srv, req))
        return;
    if (m == AM_HTTP_NO_ROUTE || m == AM_HTTP_BAD_METHOD) {
        char msg[600], path[400];

        am_http_clean_text(path, sizeof path, req->raw_path);
        snprintf(msg, sizeof msg, "%s %s", req->method, path);
        am_http_reply_error(req, m == AM_HTTP_NO_ROUTE ? AM_HTTP_EUNKNOWNOP : AM_HTTP_EMETHOD,
                            msg);
        return;
    }
    if (m == AM_HTTP_BAD_PATH) {
        am_http_reply_error(req, AM_HTTP_ECANNOTPARSE,
                            "Malformed percent-encoding in a path label");
        return;
    }
    req->route = route;
    req->op = am_http_routes[route].op;
    if (req->body.len == 0 || strcmp(req->method, "GET") == 0 ||
        strcmp(req->method, "DELETE") == 0) {
        req->json = json_object();
    } else {
        req->json = json_loadb(req->body.data, req->body.len,
                               JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        if (!req->json) {
            char msg[400];

            snprintf(msg, sizeof msg, "Could not parse the request body: %s (line %d, column %d)",
                     jerr.text, jerr.line, jerr.column);
            am_http_reply_error(req, AM_HTTP_ECANNOTPARSE, msg);
            return;
        }
        if (!json_is_object(req->json)) {
            am_http_reply_error(req, AM_HTTP_ECANNOTPARSE,
                                "The request body must be a JSON object");
            return;
        }
    }
    if (!req->json) {
        am_http_reply_error(req, AM_ENOMEM, "out of memory");
        return;
    }
    if (srv->opt.auth && !auth_exempt(route) && am_http_authorize(srv->opt.auth, req))
        return;
    am_http_routes[route].fn(req);
    if (!req->status) {
        am_log(AM_LOG_ERROR, "http", "handler for %s made no reply req=%s", req->op, req->id);
        am_http_reply_error(req, AM_EINTERNAL, "internal error");
    }
}

static enum MHD_Result queue(struct am_http_req *req)
{
    static const char fallback[] =
        "{\"__type\":\"ServiceException\",\"message\":\"out of memory\"}";
    struct MHD_Response *resp;
    enum MHD_Result ret;
    int status = req->status ? req->status : 500;

    if (req->resp_body) {
        resp = MHD_create_response_from_buffer(req->resp_len, req->resp_body,
                                               MHD_RESPMEM_MUST_FREE);
        if (resp)
            req->resp_body = NULL;
    } else if (status >= 500 && !req->resp_len) {
        resp = MHD_create_response_from_buffer(sizeof fallback - 1, (void *)fallback,
                                               MHD_RESPMEM_PERSISTENT);
        req->resp_len = sizeof fallback - 1;
        snprintf(req->err_type, sizeof req->err_type, "ServiceException");
    } else {
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            req->resp_type ? req->resp_type : "application/json");
    MHD_add_response_header(resp, "x-amzn-RequestId", req->id);
    if (req->err_type[0])
        MHD_add_response_header(resp, "x-amzn-ErrorType", req->err_type);
    if (atomic_load(&req->srv->quiescing))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (status == 405 && req->allow[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, req->allow);
    req->status = status;
    ret = MHD_queue_response(req->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct am_http_server *srv = cls;
    struct am_http_req *req = *con_cls;

    (void)version;
    if (!req) {
        const char *cl;

        req = req_new(srv, conn, url, method);
        if (!req)
            return MHD_NO;
        *con_cls = req;
        atomic_fetch_add(&srv->in_flight, 1);
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            unsigned long long n;

            errno = 0;
            n = strtoull(cl, &end, 10);
            if (errno == 0 && end != cl && n > srv->opt.max_body) {
                req->too_big = true;
                /* A body a little over the limit is read and dropped, so that the client
                 * gets its 413 on a healthy connection; a far larger one is refused at
                 * once (libmicrohttpd then closes the connection without reading it). */
                if (n - srv->opt.max_body > DISCARD_MAX) {
                    reply_too_big(req);
                    return queue(req);
                }
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!req->too_big && am_http_buf_append(&req->body, upload_data, *upload_data_size)) {
            req->too_big = true;
            am_http_buf_free(&req->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->status)           /* answered on the first call already */
        return MHD_YES;
    handle(req);
    return queue(req);
}

static size_t op_index(const struct am_http_req *req)
{
    return req->route < am_http_n_routes ? req->route : am_http_n_routes;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct am_http_server *srv = cls;
    struct am_http_req *req = *con_cls;
    struct op_metrics *om;
    double secs;
    size_t b, c;

    (void)conn;
    if (!req)
        return;
    *con_cls = NULL;
    secs = (double)(mono_ns() - req->start_ns) / 1e9;
    om = &srv->ops[op_index(req)];
    for (c = 0; c < N_CODES - 1 && metric_codes[c] != req->status; c++)
        ;
    atomic_fetch_add(&om->by_code[c], 1);
    for (b = 0; b < N_BUCKETS && secs > metric_buckets[b]; b++)
        ;
    atomic_fetch_add(&om->bucket[b], 1);
    atomic_fetch_add(&om->sum_us, (unsigned long long)(secs * 1e6));
    atomic_fetch_add(&srv->bytes_in, req->body.len);
    atomic_fetch_add(&srv->bytes_out, req->resp_len);
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        atomic_fetch_add(&srv->aborted, 1);
    if (srv->opt.access_log || req->status >= 500) {
        char path[512], query[512];

        am_http_clean_text(path, sizeof path, req->raw_path);
        am_http_clean_text(query, sizeof query, req->raw_query ? req->raw_query : "");
        am_log(req->status >= 500 ? AM_LOG_WARN : AM_LOG_INFO, "http",
               "method=%s path=%s%s%s status=%d ms=%.3f in=%zu out=%zu op=%s%s req=%s",
               req->method, path, query[0] ? "?" : "", query, req->status, secs * 1000.0, req->body.len,
               req->resp_len, req->op,
               toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1", req->id);
    }
    req_free(req);
    atomic_fetch_sub(&srv->in_flight, 1);
}

/* Keep the raw path: labels are split on '/' before they are percent-decoded. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    char msg[512];

    (void)cls;
    vsnprintf(msg, sizeof msg, fmt, ap);
    am_log(AM_LOG_WARN, "mhd", "%s", msg);
}

/* ---- listen address ----------------------------------------------------------------- */

static int resolve(const char *listen, struct sockaddr_storage *ss, socklen_t *ss_len,
                   char *err, size_t err_len)
{
    char host[256] = "", port[16] = "";
    const char *colon;
    struct addrinfo hints, *res = NULL;
    int rc;

    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');

        if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof host)
            goto bad;
        memcpy(host, listen + 1, (size_t)(close - listen - 1));
        snprintf(port, sizeof port, "%s", close + 2);
    } else if ((colon = strrchr(listen, ':'))) {
        if ((size_t)(colon - listen) >= sizeof host)
            goto bad;
        memcpy(host, listen, (size_t)(colon - listen));
        snprintf(port, sizeof port, "%s", colon + 1);
    } else {
        snprintf(host, sizeof host, "127.0.0.1");
        snprintf(port, sizeof port, "%s", listen);
    }
    if (!port[0] || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5)
        goto bad;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (host[0] ? 0 : AI_PASSIVE);
    rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (rc || !res) {
        snprintf(err, err_len, "cannot resolve listen address '%s': %s", listen,
                 gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *ss_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
bad:
    snprintf(err, err_len, "bad listen address '%s' (expected HOST:PORT)", listen);
    return -1;
}

/* ---- lifecycle ---------------------------------------------------------------------- */

int am_http_server_start(am_db *db, const struct am_http_options *opt,
                         struct am_http_server **out, char *err, size_t err_len)
{
    struct am_http_server *srv = NULL;
    struct sockaddr_storage ss;
    socklen_t ss_len = 0;
    const union MHD_DaemonInfo *info;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    char host[64] = "?";

    *out = NULL;
    if (resolve(opt->listen, &ss, &ss_len, err, err_len))
        return -1;
    srv = calloc(1, sizeof *srv);
    if (!srv)
        goto oom;
    srv->quiesced_fd = MHD_INVALID_SOCKET;
    srv->ops = calloc(am_http_n_routes + 1, sizeof *srv->ops);
    if (!srv->ops)
        goto oom;
    srv->db = db;
    srv->opt = *opt;
    if (srv->opt.threads < 1)
        srv->opt.threads = 1;
    srv->started_ns = mono_ns();
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (opt->rate_limit > 0) {
        srv->rl = am_ratelimit_create(opt->rate_limit,
                                      opt->rate_burst > 0 ? opt->rate_burst : opt->rate_limit);
        if (!srv->rl)
            goto oom;
    }
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)opt->tls_cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)opt->tls_key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    if (opt->tls_cert_pem || opt->tls_key_pem) {
        if (!opt->tls_cert_pem || !opt->tls_key_pem) {
            snprintf(err, err_len, "TLS needs both a certificate and a key");
            goto fail;
        }
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            snprintf(err, err_len, "this libmicrohttpd was built without TLS support");
            goto fail;
        }
        flags |= MHD_USE_TLS;
    } else {
        tls[0].option = MHD_OPTION_END;
    }
    errno = 0;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv,
        MHD_OPTION_ARRAY, tls,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(srv->opt.threads > 1 ? srv->opt.threads : 0),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)opt->timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(opt->max_connections ? opt->max_connections : 1024),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
        MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(err, err_len, "cannot listen on %s: %s", opt->listen,
                 errno ? strerror(errno) : "libmicrohttpd refused to start (see log)");
        goto fail;
    }
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    if (ss.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
        snprintf(srv->address, sizeof srv->address, "[%s]:%u", host, srv->port);
    } else {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
        snprintf(srv->address, sizeof srv->address, "%s:%u", host, srv->port);
    }
    *out = srv;
    return 0;
oom:
    snprintf(err, err_len, "out of memory");
fail:
    if (srv) {
        free(srv->ops);
        am_ratelimit_free(srv->rl);
    }
    free(srv);
    return -1;
}

unsigned am_http_server_port(const struct am_http_server *srv)
{
    return srv->port;
}

const char *am_http_server_address(const struct am_http_server *srv)
{
    return srv->address;
}

void am_http_server_quiesce(struct am_http_server *srv)
{
    MHD_socket fd;

    if (!srv || atomic_exchange(&srv->quiescing, true))
        return;
    /* MHD's threads may still poll the socket: it is closed only after MHD_stop_daemon
       (libmicrohttpd's rule; closing it here is a race that TSan reports) */
    fd = MHD_quiesce_daemon(srv->daemon);
    srv->quiesced_fd = fd;
}

bool am_http_server_drain(struct am_http_server *srv, int timeout_ms)
{
    int64_t until = mono_ns() + (int64_t)timeout_ms * 1000000;

    while (atomic_load(&srv->in_flight) > 0) {
        struct timespec ts = {0, 5 * 1000000};

        if (mono_ns() >= until)
            return false;
        nanosleep(&ts, NULL);
    }
    return true;
}

void am_http_server_stop(struct am_http_server *srv)
{
    if (!srv)
        return;
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    if (srv->quiesced_fd != MHD_INVALID_SOCKET)
        close(srv->quiesced_fd);
    free(srv->ops);
    am_ratelimit_free(srv->rl);
    free(srv);
}

double am_http_uptime(const struct am_http_server *srv)
{
    return (double)(mono_ns() - srv->started_ns) / 1e9;
}

/* ---- metrics ------------------------------------------------------------------------ */

int am_http_metrics_text(struct am_http_server *srv, struct am_http_buf *b)
{
    const union MHD_DaemonInfo *info;
    int rc = 0;

    rc |= am_http_buf_printf(b, "# HELP agentmem_build_info agentmemd version.\n"
                                "# TYPE agentmem_build_info gauge\n"
                                "agentmem_build_info{version=\"%s\"} 1\n", AM_VERSION);
    rc |= am_http_buf_printf(b, "# HELP agentmem_uptime_seconds Seconds since start.\n"
                                "# TYPE agentmem_uptime_seconds gauge\n"
                                "agentmem_uptime_seconds %.3f\n", am_http_uptime(srv));
    rc |= am_http_buf_printf(b, "# HELP agentmem_http_requests_in_flight Requests being "
                                "served.\n# TYPE agentmem_http_requests_in_flight gauge\n"
                                "agentmem_http_requests_in_flight %d\n",
                             atomic_load(&srv->in_flight));
    struct MHD_Daemon *d = atomic_load(&srv->daemon);
    info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS) : NULL;
    rc |= am_http_buf_printf(b, "# HELP agentmem_http_connections Open connections.\n"
                                "# TYPE agentmem_http_connections gauge\n"
                                "agentmem_http_connections %u\n",
                             info ? info->num_connections : 0);
    rc |= am_http_buf_printf(b, "# HELP agentmem_http_request_bytes_total Request body bytes."
                                "\n# TYPE agentmem_http_request_bytes_total counter\n"
                                "agentmem_http_request_bytes_total %llu\n",
                             atomic_load(&srv->bytes_in));
    rc |= am_http_buf_printf(b, "# HELP agentmem_http_response_bytes_total Response body "
                                "bytes.\n# TYPE agentmem_http_response_bytes_total counter\n"
                                "agentmem_http_response_bytes_total %llu\n",
                             atomic_load(&srv->bytes_out));
    rc |= am_http_buf_printf(b, "# HELP agentmem_http_requests_aborted_total Requests whose "
                                "client went away or timed out.\n"
                                "# TYPE agentmem_http_requests_aborted_total counter\n"
                                "agentmem_http_requests_aborted_total %llu\n",
                             atomic_load(&srv->aborted));
    rc |= am_http_buf_printf(b, "# HELP agentmem_http_requests_total Requests by operation "
                                "and status.\n# TYPE agentmem_http_requests_total counter\n");
    for (size_t i = 0; i <= am_http_n_routes; i++) {
        const char *op = i < am_http_n_routes ? am_http_routes[i].op : "unknown";

        for (size_t c = 0; c < N_CODES; c++) {
            unsigned long long n = atomic_load(&srv->ops[i].by_code[c]);

            if (!n)
                continue;
            if (metric_codes[c])
                rc |= am_http_buf_printf(b, "agentmem_http_requests_total{operation=\"%s\","
                                            "code=\"%d\"} %llu\n", op, metric_codes[c], n);
            else
                rc |= am_http_buf_printf(b, "agentmem_http_requests_total{operation=\"%s\","
                                            "code=\"other\"} %llu\n", op, n);
        }
    }
    rc |= am_http_buf_printf(b, "# HELP agentmem_http_request_duration_seconds Time from "
                                "request headers to completion.\n"
                                "# TYPE agentmem_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= am_http_n_routes; i++) {
        const char *op = i < am_http_n_routes ? am_http_routes[i].op : "unknown";
        unsigned long long cum = 0;

        for (size_t k = 0; k <= N_BUCKETS; k++)
            cum += atomic_load(&srv->ops[i].bucket[k]);
        if (!cum)
            continue;
        cum = 0;
        for (size_t k = 0; k <= N_BUCKETS; k++) {
            cum += atomic_load(&srv->ops[i].bucket[k]);
            if (k < N_BUCKETS)
                rc |= am_http_buf_printf(b, "agentmem_http_request_duration_seconds_bucket{"
                                            "operation=\"%s\",le=\"%g\"} %llu\n", op,
                                         metric_buckets[k], cum);
            else
                rc |= am_http_buf_printf(b, "agentmem_http_request_duration_seconds_bucket{"
                                            "operation=\"%s\",le=\"+Inf\"} %llu\n", op, cum);
        }
        rc |= am_http_buf_printf(b, "agentmem_http_request_duration_seconds_sum{operation="
                                    "\"%s\"} %.6f\n", op,
                                 (double)atomic_load(&srv->ops[i].sum_us) / 1e6);
        rc |= am_http_buf_printf(b, "agentmem_http_request_duration_seconds_count{operation="
                                    "\"%s\"} %llu\n", op, cum);
    }
    return rc ? -1 : 0;
}

/* ---- in-process requests (fuzzers, tests) ------------------------------------------ */

int am_http_dispatch(am_db *db, const char *method, const char *target, const void *body,
                     size_t body_len, size_t max_body, int *out_status, char **out_body)
{
    struct am_http_server srv = {.db = db};
    struct query_walk w;
    int rc = -1;

    *out_status = 0;
    *out_body = NULL;
    srv.opt.max_body = max_body ? max_body : 32u << 20;
    srv.started_ns = mono_ns();
    srv.ops = calloc(am_http_n_routes + 1, sizeof *srv.ops);   /* for /_agentmem/metrics */
    const char *q = strchr(target, '?');
    char *path = strndup(target, q ? (size_t)(q - target) : strlen(target));
    struct am_http_req *req = path && srv.ops ? req_new(&srv, NULL, path, method) : NULL;
    free(path);
    if (!req) {
        free(srv.ops);
        return -1;
    }
    /* the query as libmicrohttpd would hand it over: split on '&' and the first '=' */
    memset(&w, 0, sizeof w);
    w.req = req;
    char *query = q ? strdup(q + 1) : NULL;
    for (char *item = query, *next; item && *item; item = next) {
        next = strchr(item, '&');
        if (next)
            *next++ = '\0';
        char *eq = strchr(item, '=');
        if (eq)
            *eq = '\0';
        for (char *p = item; *p; p++)
            if (*p == '+')
                *p = ' ';
        if (on_query_item(&w, MHD_GET_ARGUMENT_KIND, item, eq ? eq + 1 : NULL) != MHD_YES)
            break;
    }
    free(query);
    if (w.raw.len) {
        req->raw_query = w.raw.data;
        w.raw.data = NULL;
    }
    am_http_buf_free(&w.raw);
    if (w.bad) {
        am_http_reply_error(req, AM_HTTP_ECANNOTPARSE, "Malformed percent-encoding in the query");
    } else {
        if (body_len > srv.opt.max_body || am_http_buf_append(&req->body, body, body_len))
            req->too_big = true;
        handle(req);
    }
    *out_status = req->status;
    *out_body = req->resp_body;
    req->resp_body = NULL;
    rc = req->status ? 0 : -1;
    req_free(req);
    free(srv.ops);
    return rc;
}
