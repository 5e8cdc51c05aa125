/*
 * sigv4_sign.c - AWS Signature Version 4 for outgoing requests (see sigv4_sign.h).
 */
#include "util/sigv4_sign.h"
#include "util/buf.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

/* Canonical strings are bounded far above anything AWS accepts (8 KiB of headers, etc.). */
#define SIGN_MAX (4u << 20)
#define SB_INIT {NULL, 0, 0, SIGN_MAX, AM_OK}

/* Decodes %XX into b ('+' stays '+', as in the verifier and the SDKs' own encoding). */
static void sb_decode(struct am_xbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = am_hex_digit(s[i + 1])) >= 0 &&
            (lo = am_hex_digit(s[i + 2])) >= 0) {
            am_xbuf_addc(b, (char)(hi << 4 | lo));
            i += 2;
        } else {
            am_xbuf_addc(b, s[i]);
        }
    }
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(p, n, md);
    am_hex_encode(md, sizeof md, out);
}

static bool hmac(const void *key, size_t klen, const char *msg, size_t mlen, unsigned char out[32])
{
    unsigned int n = 32;
    return HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, mlen, out, &n) != NULL;
}

/* ---- canonical parts ---- */

/* The wire path without empty, "." and ".." segments, encoded once more ('/' kept). */
static void canon_path(struct am_xbuf *b, const char *path)
{
    if (!path || !*path) {
        am_xbuf_addc(b, '/');
        return;
    }
    size_t n = strlen(path), nseg = 0;
    const char **seg = malloc((n / 2 + 2) * sizeof *seg);
    size_t *seglen = malloc((n / 2 + 2) * sizeof *seglen);
    if (!seg || !seglen) {
        free(seg);
        free(seglen);
        b->err = AM_ENOMEM;
        return;
    }
    for (const char *p = path; p <= path + n;) {
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == 0 || (l == 1 && p[0] == '.')) {
            /* skip */
        } else if (l == 2 && p[0] == '.' && p[1] == '.') {
            if (nseg)
                nseg--;
        } else {
            seg[nseg] = p;
            seglen[nseg++] = l;
        }
        if (!e)
            break;
        p = e + 1;
    }
    if (path[0] == '/')
        am_xbuf_addc(b, '/');
    for (size_t i = 0; i < nseg; i++) {
        if (i)
            am_xbuf_addc(b, '/');
        am_xbuf_add_pct(b, seg[i], seglen[i], false);
    }
    if (nseg && path[n - 1] == '/')
        am_xbuf_addc(b, '/');
    if (path[0] != '/' && !nseg)
        am_xbuf_addc(b, '/');
    free(seg);
    free(seglen);
}

struct qp {
    char *k, *v;
};

static int qp_cmp(const void *a, const void *b)
{
    const struct qp *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    return c ? c : strcmp(x->v, y->v);
}

/* Each name and value decoded, re-encoded, sorted by name then value. */
static void canon_query(struct am_xbuf *b, const char *q)
{
    if (!q || !*q)
        return;
    size_t n = 1;
    for (const char *p = q; *p; p++)
        n += *p == '&';
    struct qp *v = calloc(n, sizeof *v);
    if (!v) {
        b->err = AM_ENOMEM;
        return;
    }
    size_t k = 0;
    for (const char *p = q; p;) {
        const char *e = strchr(p, '&');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l) {
            const char *eq = memchr(p, '=', l);
            size_t kl = eq ? (size_t)(eq - p) : l;
            struct am_xbuf dk = SB_INIT, dv = SB_INIT, ek = SB_INIT, ev = SB_INIT;
            sb_decode(&dk, p, kl);
            if (eq)
                sb_decode(&dv, eq + 1, l - kl - 1);
            am_xbuf_add_pct(&ek, dk.p ? dk.p : "", dk.len, false);
            am_xbuf_add_pct(&ev, dv.p ? dv.p : "", dv.len, false);
            bool bad = dk.err || dv.err;
            am_xbuf_free(&dk);
            am_xbuf_free(&dv);
            char *ks = am_xbuf_take(&ek), *vs = am_xbuf_take(&ev);
            if (bad || !ks || !vs) {
                b->err = AM_ENOMEM;
                free(ks);
                free(vs);
            } else {
                v[k].k = ks;
                v[k++].v = vs;
            }
        }
        p = e ? e + 1 : NULL;
    }
    qsort(v, k, sizeof *v, qp_cmp);
    for (size_t i = 0; i < k; i++) {
        if (i)
            am_xbuf_addc(b, '&');
        am_xbuf_adds(b, v[i].k);
        am_xbuf_addc(b, '=');
        am_xbuf_adds(b, v[i].v);
        free(v[i].k);
        free(v[i].v);
    }
    free(v);
}

struct hv {
    char *name;             /* lower case */
    const char *value;
    size_t order;
};

static int hv_cmp(const void *a, const void *b)
{
    const struct hv *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* value trimmed, inner runs of blanks (and folded lines) made one space */
static void canon_value(struct am_xbuf *b, const char *v)
{
    bool space = false, any = false;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
            space = any;
            continue;
        }
        if (space)
            am_xbuf_addc(b, ' ');
        am_xbuf_addc(b, *v);
        space = false;
        any = true;
    }
}

/* Appends the canonical headers block to b and the signed-header list to sh. */
static int canon_headers(struct am_xbuf *b, struct am_xbuf *sh, const struct am_sigv4_hdr *h, size_t n)
{
    struct hv *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (!h[i].name || !*h[i].name || !h[i].value) {
            rc = -1;
            break;
        }
        v[i].name = strdup(h[i].name);
        if (!v[i].name) {
            rc = -1;
            break;
        }
        for (char *p = v[i].name; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        v[i].value = h[i].value;
        v[i].order = i;
    }
    if (rc == 0) {
        qsort(v, n, sizeof *v, hv_cmp);
        for (size_t i = 0; i < n; i++) {
            bool same = i && strcmp(v[i].name, v[i - 1].name) == 0;
            if (same) {
                am_xbuf_addc(b, ',');
            } else {
                if (i) {
                    am_xbuf_addc(b, '\n');
                    am_xbuf_addc(sh, ';');
                }
                am_xbuf_adds(b, v[i].name);
                am_xbuf_addc(b, ':');
                am_xbuf_adds(sh, v[i].name);
            }
            canon_value(b, v[i].value);
        }
        if (n)
            am_xbuf_addc(b, '\n');
    }
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
    return rc;
}

int am_sigv4_signature(const char *secret, const char *scope, const char *sts, size_t sts_len,
                       char out[65])
{
    unsigned char k[32], k2[32];
    size_t secret_len = strlen(secret);
    char *ksecret = malloc(secret_len + 5);
    int rc = -1;

    if (!ksecret)
        return -1;
    memcpy(ksecret, "AWS4", 4);
    memcpy(ksecret + 4, secret, secret_len + 1);
    /* scope is "date/region/service/aws4_request": one HMAC per element */
    const char *p = scope, *end = strchr(p, '/');
    if (!end || !hmac(ksecret, secret_len + 4, p, (size_t)(end - p), k))
        goto out;
    for (int i = 0; i < 3; i++) {
        p = end + 1;
        end = strchr(p, '/');
        if (!end)
            end = p + strlen(p);
        if (!hmac(k, sizeof k, p, (size_t)(end - p), k2))
            goto out;
        memcpy(k, k2, sizeof k);
    }
    if (!hmac(k, sizeof k, sts, sts_len, k2))
        goto out;
    am_hex_encode(k2, sizeof k2, out);
    rc = 0;
out:
    OPENSSL_cleanse(ksecret, secret_len + 4);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(k2, sizeof k2);
    free(ksecret);
    return rc;
}

int am_sigv4_sign(const struct am_sigv4_sign_req *r, const struct am_aws_creds *c, char *auth,
                  size_t cap)
{
    if (!r || !c || !auth || !cap || !r->method || !r->region || !r->service || !c->access_key ||
        !c->secret || !r->amz_date || strlen(r->amz_date) != 16 || (r->n_headers && !r->headers))
        return -1;
    struct am_xbuf creq = SB_INIT, sh = SB_INIT;
    char body_hash[65], creq_hash[65], date[9];
    int rc = -1;

    sha256_hex(r->body ? r->body : "", r->body ? r->body_len : 0, body_hash);
    am_xbuf_adds(&creq, r->method);
    am_xbuf_addc(&creq, '\n');
    canon_path(&creq, r->path);
    am_xbuf_addc(&creq, '\n');
    canon_query(&creq, r->query);
    am_xbuf_addc(&creq, '\n');
    if (canon_headers(&creq, &sh, r->headers, r->n_headers) != 0)
        goto out;
    am_xbuf_addc(&creq, '\n');
    am_xbuf_adds(&creq, sh.p ? sh.p : "");
    am_xbuf_addc(&creq, '\n');
    am_xbuf_adds(&creq, body_hash);
    if (creq.err || sh.err)
        goto out;
    sha256_hex(creq.p, creq.len, creq_hash);

    memcpy(date, r->amz_date, 8);
    date[8] = '\0';
    char scope[512], sts[768];
    int ns = snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", date, r->region, r->service);
    int nt = snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", r->amz_date, scope,
                      creq_hash);
    if (ns < 0 || (size_t)ns >= sizeof scope || nt < 0 || (size_t)nt >= sizeof sts)
        goto out;

    char sig_hex[65];
    if (am_sigv4_signature(c->secret, scope, sts, (size_t)nt, sig_hex) != 0)
        goto out;
    int na = snprintf(auth, cap,
                      "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                      c->access_key, scope, sh.p ? sh.p : "", sig_hex);
    rc = na < 0 || (size_t)na >= cap ? -1 : 0;
out:
    am_xbuf_free(&creq);
    am_xbuf_free(&sh);
    return rc;
}

void am_sigv4_amz_date(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

int am_aws_creds_from_env(struct am_aws_creds *c)
{
    const char *k = getenv("AWS_ACCESS_KEY_ID"), *s = getenv("AWS_SECRET_ACCESS_KEY");
    const char *t = getenv("AWS_SESSION_TOKEN");
    memset(c, 0, sizeof *c);
    if (!k || !*k || !s || !*s)
        return -1;
    c->access_key = k;
    c->secret = s;
    c->token = t && *t ? t : NULL;
    return 0;
}

const char *am_aws_region_from_env(const char *fallback)
{
    const char *r = getenv("AWS_REGION");
    if (!r || !*r)
        r = getenv("AWS_DEFAULT_REGION");
    return r && *r ? r : fallback;
}

#ifdef AM_HAVE_CURL
struct curl_slist *am_sigv4_curl_headers(struct curl_slist *h, const char *method,
                                         const char *url, const void *body, size_t body_len,
                                         const char *content_type, const char *target,
                                         const char *region, const char *service,
                                         const struct am_aws_creds *c)
{
    if (!url || !c || !c->access_key)
        return h;
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t hl = strcspn(p, "/?#");
    char host[512], amzdate[17], auth[1024], path[4096];
    if (hl == 0 || hl >= sizeof host)
        return h;
    memcpy(host, p, hl);
    host[hl] = '\0';
    const char *rest = p + hl;
    size_t pl = strcspn(rest, "?#");
    if (pl >= sizeof path)
        return h;
    memcpy(path, rest, pl);
    path[pl] = '\0';
    const char *query = rest[pl] == '?' ? rest + pl + 1 : NULL;
    char qbuf[4096];
    if (query) {
        size_t ql = strcspn(query, "#");
        if (ql >= sizeof qbuf)
            return h;
        memcpy(qbuf, query, ql);
        qbuf[ql] = '\0';
        query = qbuf;
    }
    am_sigv4_amz_date(time(NULL), amzdate);

    struct am_sigv4_hdr hs[5];
    size_t n = 0;
    hs[n++] = (struct am_sigv4_hdr){"host", host};
    hs[n++] = (struct am_sigv4_hdr){"x-amz-date", amzdate};
    if (content_type)
        hs[n++] = (struct am_sigv4_hdr){"content-type", content_type};
    if (target)
        hs[n++] = (struct am_sigv4_hdr){"x-amz-target", target};
    if (c->token)
        hs[n++] = (struct am_sigv4_hdr){"x-amz-security-token", c->token};
    struct am_sigv4_sign_req r = {.method = method, .path = path, .query = query, .headers = hs,
                                  .n_headers = n, .body = body, .body_len = body_len,
                                  .region = region, .service = service, .amz_date = amzdate};
    if (am_sigv4_sign(&r, c, auth, sizeof auth) != 0)
        return h;

    char line[1100];
    struct curl_slist *t;
    snprintf(line, sizeof line, "X-Amz-Date: %s", amzdate);
    if (!(t = curl_slist_append(h, line)))
        return h;
    h = t;
    if (c->token) {
        struct am_xbuf tok = SB_INIT;
        am_xbuf_adds(&tok, "X-Amz-Security-Token: ");
        am_xbuf_adds(&tok, c->token);
        if (!tok.err && (t = curl_slist_append(h, tok.p)))
            h = t;
        am_xbuf_free(&tok);
    }
    snprintf(line, sizeof line, "Authorization: %s", auth);
    if ((t = curl_slist_append(h, line)))
        h = t;
    return h;
}
#endif
