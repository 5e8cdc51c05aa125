/*
 * auth.c - SigV4 verification through sigv4.h (written separately, see auth.h).
 *
 * When sigv4.h is present it is used; its functions are referenced weakly, so agentmemd still
 * links while sigv4.c is not part of the build, and then refuses `--auth sigv4` with a clear
 * message instead of accepting unsigned requests.
 */
#include "api/http/auth.h"

#include "api/http/http.h"
#include "util/log.h"

#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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
    *out = a;
    return 0;
}

void am_http_auth_free(struct am_http_auth *auth)
{
    if (!auth)
        return;
    if (am_sigv4_keys_free)
        am_sigv4_keys_free(auth->keys);
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
        return 0;
    }
    am_http_reply_error_as(req, status ? status : 403,
                           type ? type : "AccessDeniedException", msg);
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

#endif
