/*
 * embed_http.c - embedders behind an HTTP API: an OpenAI-compatible POST /v1/embeddings,
 * and Amazon Bedrock's Titan text embeddings (InvokeModel, signed with SigV4).
 *
 * OpenAI:  {"model": M, "input": TEXT, "encoding_format": "float"[, "dimensions": D]}
 *          -> {"object": "list", "data": [{"object": "embedding", "index": 0,
 *              "embedding": [floats]}], "model": M, "usage": {...}}
 * Bedrock: POST {endpoint}/model/{M}/invoke {"inputText": TEXT[, "dimensions": D,
 *          "normalize": true]} -> {"embedding": [floats], "inputTextTokenCount": n}
 * One request per text, each on its own curl handle (embed() may run on several threads at
 * once); the handles share one connection and DNS cache, so a busy embedder keeps its
 * TLS connections open instead of shaking hands per record. 429, 5xx and transport errors
 * are retried with a doubling pause (100 ms, 200 ms, ...); anything else fails at once. The
 * reply has a ceiling (MAX_REPLY), so a misbehaving server cannot make us buffer without
 * bound.
 *
 * libcurl is optional, as in src/extract/llm.c: without AM_HAVE_CURL this file only
 * provides constructors that return AM_EUNAVAIL. Build with -DAM_HAVE_CURL, link -lcurl.
 */
#include "search/embed.h"

#include "agentmem.h"

#include <stdlib.h>

#ifndef AM_HAVE_CURL

int am_embedder_openai(const struct am_embed_openai_config *cfg, struct am_embedder **out)
{
    (void)cfg;
    if (out)
        *out = NULL;
    return AM_EUNAVAIL;
}

int am_embedder_bedrock(const struct am_embed_bedrock_config *cfg, struct am_embedder **out)
{
    (void)cfg;
    if (out)
        *out = NULL;
    return AM_EUNAVAIL;
}

#else

#include "search/vector.h"
#include "util/log.h"
#include "util/sigv4_sign.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DEFAULT_MODEL "text-embedding-3-small"
#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_RETRIES 2
#define MAX_DIM 16384
#define MAX_REPLY (8u << 20)   /* 16k floats as JSON text are ~400 KiB: plenty of room */

struct openai {
    struct am_embedder e;
    bool bedrock;              /* Titan over InvokeModel, SigV4 */
    char *region;              /* Bedrock */
    char *url;                 /* base_url + "/embeddings", or {endpoint}/model/{M}/invoke */
    char *auth;                /* "Authorization: Bearer ..." or NULL */
    char *model;
    char name[160];
    bool send_dimensions;
    long timeout_ms;
    int retries;
    CURLSH *share;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
    bool locks_ready;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *userptr)
{
    struct openai *o = userptr;
    (void)h;
    (void)access;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&o->locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *userptr)
{
    struct openai *o = userptr;
    (void)h;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&o->locks[data]);
}

/* ---- HTTP ----------------------------------------------------------------------------- */

struct reply {
    char *p;
    size_t len, cap;
    bool too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct reply *r = userdata;
    size_t n = size * nmemb;

    if (r->len + n + 1 > MAX_REPLY) {
        r->too_big = true;
        return 0;                       /* curl fails with CURLE_WRITE_ERROR */
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *p = realloc(r->p, cap);
        if (!p)
            return 0;
        r->p = p;
        r->cap = cap;
    }
    memcpy(r->p + r->len, ptr, n);
    r->len += n;
    r->p[r->len] = '\0';
    return n;
}

/* One POST. *status is the HTTP status (0: transport error); *out the body on any status
 * (caller frees). Returns 0 or AM_ENOMEM / AM_EUNAVAIL (transport). */
static int post_once(struct openai *o, const char *body, long *status, char **out)
{
    struct reply r = {NULL, 0, 0, false};
    struct curl_slist *hdr = NULL, *h2;
    CURL *c = NULL;
    int rc = AM_ENOMEM;

    *status = 0;
    *out = NULL;
    c = curl_easy_init();
    if (!c)
        goto out;
    hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (!hdr)
        goto out;
    if (o->auth) {
        h2 = curl_slist_append(hdr, o->auth);
        if (!h2)
            goto out;
        hdr = h2;
    }
    if (o->bedrock) {
        struct am_aws_creds cr;
        if (am_aws_creds_from_env(&cr) != 0) {
            am_log(AM_LOG_WARN, "embed", "%s: no AWS credentials (set AWS_ACCESS_KEY_ID and "
                   "AWS_SECRET_ACCESS_KEY)", o->name);
            rc = AM_EUNAVAIL;
            goto out;
        }
        hdr = am_sigv4_curl_headers(hdr, "POST", o->url, body, strlen(body), "application/json",
                                    NULL, o->region, "bedrock", &cr);
    }
    curl_easy_setopt(c, CURLOPT_URL, o->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    if (o->share)
        curl_easy_setopt(c, CURLOPT_SHARE, o->share);
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        am_log(AM_LOG_WARN, "embed", "%s: request failed: %s%s", o->name,
               curl_easy_strerror(cc), r.too_big ? " (reply over the ceiling)" : "");
        rc = AM_EUNAVAIL;
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    *out = r.p ? r.p : dup_str("");
    r.p = NULL;
    rc = *out ? 0 : AM_ENOMEM;
out:
    free(r.p);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return rc;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The "error.message" of an OpenAI error body, for the log. */
static void log_http_error(struct openai *o, long status, const char *reply)
{
    json_t *j = json_loads(reply, 0, NULL);
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    if (!msg)
        msg = json_string_value(json_object_get(j, "message"));     /* Bedrock */
    am_log(AM_LOG_WARN, "embed", "%s: HTTP %ld: %.200s", o->name, status, msg ? msg : "");
    json_decref(j);
}

/* POST with retries; *out is the 200 reply body (caller frees). */
static int post(struct openai *o, const char *body, char **out)
{
    int rc = AM_EUNAVAIL;

    *out = NULL;
    for (int attempt = 0; attempt <= o->retries; attempt++) {
        long status = 0;
        char *reply = NULL;
        if (attempt)
            pause_ms(100L << (attempt - 1 < 6 ? attempt - 1 : 6));
        rc = post_once(o, body, &status, &reply);
        if (rc == AM_ENOMEM)
            return rc;
        if (!rc && status == 200) {
            *out = reply;
            return 0;
        }
        if (!rc)
            log_http_error(o, status, reply);
        free(reply);
        rc = AM_EUNAVAIL;
        if (status != 0 && status != 429 && status < 500)
            break;                      /* a 4xx will not get better by asking again */
    }
    return rc;
}

/* ---- the embedder ------------------------------------------------------------------- */

/* Request one vector; out has room for cap floats; *n_out is the length received. */
static int request(struct openai *o, const char *text, int dim, float *out, int cap,
                   int *n_out)
{
    json_t *req = NULL, *rep = NULL;
    char *body = NULL, *reply = NULL;
    int rc = AM_ENOMEM;

    *n_out = 0;
    if (o->bedrock)
        req = json_pack("{s:s}", "inputText", text);
    else
        req = json_pack("{s:s, s:s, s:s}", "model", o->model, "input", text, "encoding_format",
                        "float");
    if (!req)
        goto out;           /* also for text that is not UTF-8 */
    if (o->send_dimensions && dim > 0 &&
        json_object_set_new(req, "dimensions", json_integer(dim)))
        goto out;
    if (o->bedrock && o->send_dimensions && json_object_set_new(req, "normalize", json_true()))
        goto out;
    body = json_dumps(req, JSON_COMPACT);
    if (!body)
        goto out;
    rc = post(o, body, &reply);
    if (rc)
        goto out;
    rc = AM_EUNAVAIL;
    rep = json_loads(reply, 0, NULL);
    json_t *vec = o->bedrock ? json_object_get(rep, "embedding")
                             : json_object_get(json_array_get(json_object_get(rep, "data"), 0),
                                               "embedding");
    if (!json_is_array(vec) || json_array_size(vec) == 0) {
        am_log(AM_LOG_WARN, "embed", "%s: reply holds no embedding", o->name);
        goto out;
    }
    if (json_array_size(vec) > (size_t)cap) {
        am_log(AM_LOG_WARN, "embed", "%s: got %zu numbers, expected %d", o->name,
               json_array_size(vec), dim > 0 ? dim : cap - 1);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(vec); i++) {
        json_t *x = json_array_get(vec, i);
        if (!json_is_number(x)) {
            am_log(AM_LOG_WARN, "embed", "%s: embedding holds a non-number", o->name);
            goto out;
        }
        out[i] = (float)json_number_value(x);
    }
    *n_out = (int)json_array_size(vec);
    rc = 0;
out:
    if (rc == AM_ENOMEM && !req)
        rc = AM_EINVAL;     /* json_pack refuses invalid UTF-8 */
    json_decref(req);
    json_decref(rep);
    free(body);
    free(reply);
    return rc;
}

static int openai_embed(struct am_embedder *e, const char *text, float *out)
{
    struct openai *o = e->priv;
    float *tmp;
    int n = 0, rc;

    if (!text || !out)
        return AM_EINVAL;
    memset(out, 0, sizeof(float) * (size_t)e->dim);
    if (!*text)
        return 0;           /* the API refuses empty input; a zero vector, as built-in */
    tmp = malloc(sizeof(float) * ((size_t)e->dim + 1));
    if (!tmp)
        return AM_ENOMEM;
    rc = request(o, text, e->dim, tmp, e->dim + 1, &n);
    if (!rc && n != e->dim) {
        am_log(AM_LOG_WARN, "embed", "%s: got %d numbers, expected %d", o->name, n, e->dim);
        rc = AM_EUNAVAIL;
    }
    if (!rc) {
        memcpy(out, tmp, sizeof(float) * (size_t)e->dim);
        am_vec_normalize(out, e->dim);
    }
    free(tmp);
    return rc;
}

static void openai_destroy(struct am_embedder *e)
{
    struct openai *o = e ? e->priv : NULL;
    if (!o)
        return;
    if (o->share)
        curl_share_cleanup(o->share);
    if (o->locks_ready)
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
            pthread_mutex_destroy(&o->locks[i]);
    free(o->url);
    free(o->auth);
    free(o->model);
    free(o->region);
    free(o);
    curl_global_cleanup();      /* balances the init of the constructor */
}

/* The shared part of the constructors: o->url, model, auth and bedrock are set. */
static int finish(struct openai *o, const char *kind, int dim, int send_dimensions,
                  long timeout_ms, int retries, struct am_embedder **out)
{
    int rc;
    o->e.priv = o;
    o->e.embed = openai_embed;
    o->e.destroy = openai_destroy;
    o->e.name = o->name;
    o->send_dimensions = send_dimensions != 0;
    o->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
    o->retries = retries == 0 ? DEFAULT_RETRIES : retries < 0 ? 0 : retries;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&o->locks[i], NULL);
    o->locks_ready = true;
    o->share = curl_share_init();           /* without it: no shared cache, still works */
    if (o->share) {
        curl_share_setopt(o->share, CURLSHOPT_LOCKFUNC, share_lock);
        curl_share_setopt(o->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
        curl_share_setopt(o->share, CURLSHOPT_USERDATA, o);
        curl_share_setopt(o->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(o->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    }
    snprintf(o->name, sizeof o->name, "%s:%s", kind, o->model);
    o->e.dim = dim;
    if (dim == 0) {                         /* ask once how long the vectors are */
        float *probe = malloc(sizeof(float) * (MAX_DIM + 1));
        int n = 0;
        if (!probe)
            return AM_ENOMEM;
        rc = request(o, "dimension probe", 0, probe, MAX_DIM + 1, &n);
        free(probe);
        if (rc)
            return rc;
        if (n > MAX_DIM)
            return AM_EUNAVAIL;
        o->e.dim = n;
    }
    snprintf(o->name, sizeof o->name, "%s:%s:%d", kind, o->model, o->e.dim);
    *out = &o->e;
    return 0;
}

int am_embedder_openai(const struct am_embed_openai_config *cfg, struct am_embedder **out)
{
    struct openai *o = NULL;
    int rc = AM_ENOMEM;

    if (out)
        *out = NULL;
    if (!cfg || !out || !cfg->base_url || !*cfg->base_url || strlen(cfg->base_url) > 2000 ||
        cfg->dim < 0 || cfg->dim > MAX_DIM || (cfg->send_dimensions && cfg->dim == 0) ||
        (cfg->model && strlen(cfg->model) > 100))
        return AM_EINVAL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return AM_EUNAVAIL;
    o = calloc(1, sizeof *o);
    if (!o) {
        curl_global_cleanup();
        return AM_ENOMEM;
    }
    size_t bl = strlen(cfg->base_url);
    while (bl > 0 && cfg->base_url[bl - 1] == '/')
        bl--;
    o->url = malloc(bl + sizeof "/embeddings");
    if (!o->url)
        goto out;
    memcpy(o->url, cfg->base_url, bl);
    memcpy(o->url + bl, "/embeddings", sizeof "/embeddings");
    o->model = dup_str(cfg->model && *cfg->model ? cfg->model : DEFAULT_MODEL);
    if (!o->model)
        goto out;
    if (cfg->api_key && *cfg->api_key) {
        size_t n = strlen(cfg->api_key) + sizeof "Authorization: Bearer ";
        o->auth = malloc(n);
        if (!o->auth)
            goto out;
        snprintf(o->auth, n, "Authorization: Bearer %s", cfg->api_key);
    }
    rc = finish(o, "openai", cfg->dim, cfg->send_dimensions, cfg->timeout_ms, cfg->retries, out);
    if (rc == 0)
        o = NULL;
out:
    if (o)
        openai_destroy(&o->e);
    return rc;
}

int am_embedder_bedrock(const struct am_embed_bedrock_config *cfg, struct am_embedder **out)
{
    struct openai *o = NULL;
    int rc = AM_ENOMEM;
    char endpoint[512];

    if (out)
        *out = NULL;
    if (!cfg || !out || cfg->dim < 0 || cfg->dim > MAX_DIM ||
        (cfg->model && strlen(cfg->model) > 100) ||
        (cfg->endpoint && strlen(cfg->endpoint) > 2000))
        return AM_EINVAL;
    const char *model = cfg->model && *cfg->model ? cfg->model : "amazon.titan-embed-text-v2:0";
    const char *region = cfg->region && *cfg->region ? cfg->region
                                                     : am_aws_region_from_env("us-east-1");
    const char *base = cfg->endpoint;
    if (!base || !*base) {
        snprintf(endpoint, sizeof endpoint, "https://bedrock-runtime.%s.amazonaws.com", region);
        base = endpoint;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return AM_EUNAVAIL;
    o = calloc(1, sizeof *o);
    if (!o) {
        curl_global_cleanup();
        return AM_ENOMEM;
    }
    o->bedrock = true;
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    o->url = malloc(bl + sizeof "/model/" + 3 * strlen(model) + sizeof "/invoke");
    o->model = dup_str(model);
    o->region = dup_str(region);
    if (!o->url || !o->model || !o->region)
        goto out;
    char *u = o->url;
    memcpy(u, base, bl);
    u += bl;
    memcpy(u, "/model/", 7);
    u += 7;
    for (const unsigned char *p = (const unsigned char *)model; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            *u++ = (char)*p;
        } else {
            snprintf(u, 4, "%%%02X", *p);
            u += 3;
        }
    }
    memcpy(u, "/invoke", sizeof "/invoke");
    /* Titan v2 takes "dimensions" (256, 512, 1024) and "normalize"; v1 takes neither */
    int send_dim = cfg->dim > 0 && strstr(model, "titan-embed-text-v1") == NULL;
    rc = finish(o, "bedrock", cfg->dim, send_dim, cfg->timeout_ms, cfg->retries, out);
    if (rc == 0)
        o = NULL;
out:
    if (o)
        openai_destroy(&o->e);
    return rc;
}

#endif
