/*
 * sigv4.c - AWS Signature Version 4 verification; the contract is in sigv4.h.
 *
 * The verifier rebuilds the canonical request from the request as received, derives the
 * signing key from the secret of the access key named in the credential scope, and compares
 * signatures in constant time. Canonicalisation follows what botocore (auth.py SigV4Auth) and
 * the JS SDK (@smithy/signature-v4) do for non-S3 services, because those are the clients:
 * path segments normalised and encoded once more, query decoded then re-encoded and sorted.
 * The AWS test-suite vectors (awslabs/aws-c-auth tests/aws-signing-test-suite/v4) and
 * requests signed by botocore pin this down in tests/unit/test_sigv4.c.
 *
 * Error names and messages are AWS's own, as seen in real responses:
 *   "Missing Authentication Token", "The security token included in the request is invalid.",
 *   "The request signature we calculated does not match ...", "Signature expired: ...",
 *   "Signature not yet current: ...", "Date in Credential scope does not match ...",
 *   "Credential should be scoped to correct service: '...'. ", "Authorization header requires
 *   '...' parameter.", "'...' not a valid key=value pair (missing equal-sign) ...",
 *   "Credential must have exactly 5 slash-delimited elements ...".
 * Secrets never reach a message, and are wiped with OPENSSL_cleanse when no longer needed.
 */
#include "api/http/sigv4.h"
#include "util/buf.h"
#include "util/sigv4_sign.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SKEW_S          (15 * 60)       /* allowed clock difference, as AWS */
#define MAX_EXPIRES_S   604800          /* one week, as AWS for presigned URLs */
#define CANON_MAX       (1u << 20)      /* ceiling for the canonical request */
#define SB_INIT         {NULL, 0, 0, CANON_MAX - 1, AM_OK}
#define KEYS_FILE_MAX   (1L << 20)      /* ceiling for the credentials file */
#define KEYS_LINE_CAP   8192
#define ALGORITHM       "AWS4-HMAC-SHA256"
#define TERMINATOR      "aws4_request"

static const char T_MISSING[] = "MissingAuthenticationTokenException";
static const char T_INCOMPLETE[] = "IncompleteSignatureException";
static const char T_INVALID[] = "InvalidSignatureException";
static const char T_UNRECOGNIZED[] = "UnrecognizedClientException";
static const char T_DENIED[] = "AccessDeniedException";
static const char T_INTERNAL[] = "ServiceException";

/* ---- the key set ---------------------------------------------------------------------- */

struct key_entry {
    char *access_key;
    char *secret;
    char *token;                /* NULL when the profile has no session token */
    char *profile;              /* the [section] name */
    char *policy;               /* the policy file's path as written, or NULL */
};

struct am_sigv4_keys {
    struct key_entry *v;
    size_t n, cap;
};

static void wipe_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void am_sigv4_keys_free(struct am_sigv4_keys *keys)
{
    if (!keys)
        return;
    for (size_t i = 0; i < keys->n; i++) {
        free(keys->v[i].access_key);
        wipe_free(keys->v[i].secret);
        wipe_free(keys->v[i].token);
        free(keys->v[i].profile);
        free(keys->v[i].policy);
    }
    free(keys->v);
    free(keys);
}

size_t am_sigv4_keys_count(const struct am_sigv4_keys *keys)
{
    return keys ? keys->n : 0;
}

int am_sigv4_key_info(const struct am_sigv4_keys *keys, size_t i, struct am_sigv4_key_info *out)
{
    if (!keys || i >= keys->n || !out)
        return -1;
    out->access_key = keys->v[i].access_key;
    out->profile = keys->v[i].profile;
    out->policy = keys->v[i].policy;
    return 0;
}

static bool eq_slice(const char *a, size_t a_len, const char *b);

static const struct key_entry *key_find(const struct am_sigv4_keys *keys, const char *id,
                                        size_t id_len)
{
    for (size_t i = 0; i < keys->n; i++)
        if (eq_slice(id, id_len, keys->v[i].access_key))
            return &keys->v[i];
    return NULL;
}

/* ---- small string helpers (ASCII only, independent of the locale) ---------------------- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool eq_nocase(const char *a, size_t a_len, const char *b)
{
    size_t b_len = strlen(b);
    if (a_len != b_len)
        return false;
    for (size_t i = 0; i < a_len; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

static bool eq_slice(const char *a, size_t a_len, const char *b)
{
    return strlen(b) == a_len && memcmp(a, b, a_len) == 0;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* ---- time ------------------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

static bool digits_at(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool civil_to_epoch(int y, int mo, int d, int h, int mi, int s, int64_t *out)
{
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
        mi > 59 || s > 60)
        return false;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return true;
}

/* "20150830T123600Z" (ISO 8601 basic, what X-Amz-Date carries) to Unix seconds. */
static bool parse_amz_date(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec;
    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return false;
    if (!digits_at(s, 4, &y) || !digits_at(s + 4, 2, &mo) || !digits_at(s + 6, 2, &d) ||
        !digits_at(s + 9, 2, &h) || !digits_at(s + 11, 2, &mi) || !digits_at(s + 13, 2, &sec))
        return false;
    return civil_to_epoch(y, mo, d, h, mi, sec, out);
}

/* "Sun, 30 Aug 2015 12:36:00 GMT" (RFC 7231 IMF-fixdate) or "... 12:36:00 -0000" (RFC 5322,
 * what botocore writes into Date with email.utils.formatdate). */
static bool parse_http_date(const char *s, int64_t *out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int y, mo = 0, d, h, mi, sec;
    if (strlen(s) < 25 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
        s[16] != ' ' || s[19] != ':' || s[22] != ':')
        return false;
    if (strcmp(s + 25, " GMT") != 0 && strcmp(s + 25, " UTC") != 0 &&
        strcmp(s + 25, " +0000") != 0 && strcmp(s + 25, " -0000") != 0)
        return false;
    for (int i = 0; i < 12; i++)
        if (memcmp(s + 8, months + 3 * i, 3) == 0)
            mo = i + 1;
    if (!mo || !digits_at(s + 5, 2, &d) || !digits_at(s + 12, 4, &y) ||
        !digits_at(s + 17, 2, &h) || !digits_at(s + 20, 2, &mi) || !digits_at(s + 23, 2, &sec))
        return false;
    return civil_to_epoch(y, mo, d, h, mi, sec, out);
}

static void put_digits(char *out, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        out[i] = (char)('0' + v % 10);
}

/* Unix seconds to "20150830T123600Z"; years are taken modulo 10000, times are after 1970. */
static void format_amz_date(int64_t t, char out[17])
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t rem = t - days * 86400, y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0)
        y = 0;
    put_digits(out, y % 10000, 4);
    put_digits(out + 4, m, 2);
    put_digits(out + 6, d, 2);
    out[8] = 'T';
    put_digits(out + 9, rem / 3600, 2);
    put_digits(out + 11, rem / 60 % 60, 2);
    put_digits(out + 13, rem % 60, 2);
    out[15] = 'Z';
    out[16] = '\0';
}

/* ---- the request ----------------------------------------------------------------------- */

struct qparam {
    char *key, *val;            /* decoded, NUL-terminated (may hold inner NULs) */
    size_t key_len, val_len;
    char *ekey, *eval;          /* re-encoded for the canonical query */
    size_t ekey_len, eval_len;
};

struct verify {
    const struct am_sigv4_request *req;
    const char **out_type;
    int *out_status;
    char *msg;
    size_t msg_len;
    struct qparam *q;
    size_t n_q;
};

__attribute__((format(printf, 4, 5)))
static int fail(struct verify *v, const char *type, int status, const char *fmt, ...)
{
    if (v->out_type)
        *v->out_type = type;
    if (v->out_status)
        *v->out_status = status;
    if (v->msg && v->msg_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->msg, v->msg_len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int fail_oom(struct verify *v)
{
    return fail(v, T_INTERNAL, 500, "Internal error while checking the request signature.");
}

static const char *header_first(const struct am_sigv4_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (req->headers[i].name &&
            eq_nocase(req->headers[i].name, strlen(req->headers[i].name), name))
            return req->headers[i].value ? req->headers[i].value : "";
    return NULL;
}

/* Decode %XX (a '%' not followed by two hex digits stays as is; '+' stays a plus). */
static char *pct_decode(const char *s, size_t n, size_t *out_len)
{
    char *p = malloc(n + 1);
    size_t o = 0;
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int hi = s[i] == '%' && i + 2 < n ? am_hex_digit(s[i + 1]) : -1;
        int lo = hi >= 0 ? am_hex_digit(s[i + 2]) : -1;
        if (lo >= 0) {
            p[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            p[o++] = s[i];
        }
    }
    p[o] = '\0';
    *out_len = o;
    return p;
}

static char *pct_encode(const char *s, size_t n, size_t *out_len)
{
    struct am_xbuf b = SB_INIT;
    am_xbuf_add_pct(&b, s, n, false);
    size_t len = b.len;
    char *out = am_xbuf_take(&b);
    if (out)
        *out_len = len;
    return out;
}

static void free_query(struct qparam *q, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(q[i].key);
        free(q[i].val);
        free(q[i].ekey);
        free(q[i].eval);
    }
    free(q);
}

/* Split the raw query on '&' and '='; empty pieces are skipped. */
static int parse_query(struct verify *v, const char *raw)
{
    size_t n_max = 1;
    if (!raw || !*raw)
        return 0;
    for (const char *p = raw; *p; p++)
        n_max += *p == '&';
    v->q = calloc(n_max, sizeof *v->q);
    if (!v->q)
        return -1;
    for (const char *p = raw; *p;) {
        const char *end = strchr(p, '&');
        if (!end)
            end = p + strlen(p);
        if (end > p) {
            struct qparam *qp = &v->q[v->n_q++];
            const char *eq = memchr(p, '=', (size_t)(end - p));
            const char *kend = eq ? eq : end;
            const char *vstart = eq ? eq + 1 : end;
            qp->key = pct_decode(p, (size_t)(kend - p), &qp->key_len);
            qp->val = pct_decode(vstart, (size_t)(end - vstart), &qp->val_len);
            if (!qp->key || !qp->val)
                return -1;
            qp->ekey = pct_encode(qp->key, qp->key_len, &qp->ekey_len);
            qp->eval = pct_encode(qp->val, qp->val_len, &qp->eval_len);
            if (!qp->ekey || !qp->eval)
                return -1;
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* The first query parameter whose decoded key is name, as a C string; NULL if none. */
static const char *query_get(const struct verify *v, const char *name)
{
    for (size_t i = 0; i < v->n_q; i++)
        if (eq_slice(v->q[i].key, v->q[i].key_len, name))
            return v->q[i].val;
    return NULL;
}

static int cmp_slices(const char *a, size_t a_len, const char *b, size_t b_len)
{
    int c = memcmp(a, b, a_len < b_len ? a_len : b_len);
    if (c)
        return c;
    return a_len < b_len ? -1 : a_len > b_len;
}

static int cmp_qparam(const void *pa, const void *pb)
{
    const struct qparam *a = pa, *b = pb;
    int c = cmp_slices(a->ekey, a->ekey_len, b->ekey, b->ekey_len);
    return c ? c : cmp_slices(a->eval, a->eval_len, b->eval, b->eval_len);
}

/* ---- canonical request ----------------------------------------------------------------- */

/* The raw path with empty, "." and ".." segments removed (as botocore's remove_dot_segments
 * and @smithy/signature-v4 do), then percent-encoded once more with '/' kept. */
static int canon_path(struct am_xbuf *b, const char *raw)
{
    struct seg { const char *p; size_t n; } *segs;
    size_t n_max = 1, n = 0, len;

    if (!raw || !*raw)
        raw = "/";
    len = strlen(raw);
    for (const char *p = raw; *p; p++)
        n_max += *p == '/';
    segs = malloc(n_max * sizeof *segs);
    if (!segs)
        return -1;
    for (const char *p = raw; p <= raw + len;) {
        const char *end = strchr(p, '/');
        if (!end)
            end = raw + len;
        size_t sn = (size_t)(end - p);
        if (sn == 2 && p[0] == '.' && p[1] == '.') {
            if (n)
                n--;
        } else if (sn && !(sn == 1 && p[0] == '.')) {
            segs[n].p = p;
            segs[n++].n = sn;
        }
        p = end + 1;
    }
    if (raw[0] == '/')
        am_xbuf_addc(b, '/');
    for (size_t i = 0; i < n; i++) {
        if (i)
            am_xbuf_addc(b, '/');
        am_xbuf_add_pct(b, segs[i].p, segs[i].n, false);
    }
    if (n && raw[len - 1] == '/')
        am_xbuf_addc(b, '/');
    free(segs);
    return 0;
}

/* Every value of header name, each trimmed with inner blank runs collapsed, joined by ','. */
static void canon_header_value(struct am_xbuf *b, const struct am_sigv4_request *req,
                               const char *name, size_t name_len)
{
    bool first = true;
    for (size_t i = 0; i < req->n_headers; i++) {
        const char *hn = req->headers[i].name, *val = req->headers[i].value;
        if (!hn || strlen(hn) != name_len)
            continue;
        bool same = true;
        for (size_t k = 0; k < name_len && same; k++)
            same = lower(hn[k]) == lower(name[k]);
        if (!same)
            continue;
        if (!first)
            am_xbuf_addc(b, ',');
        first = false;
        if (!val)
            continue;
        bool pending_space = false, any = false;
        for (const char *p = val; *p; p++) {
            if (is_blank(*p)) {
                pending_space = any;
                continue;
            }
            if (pending_space)
                am_xbuf_addc(b, ' ');
            pending_space = false;
            any = true;
            am_xbuf_addc(b, *p);
        }
    }
}

struct sigparams {
    char *credential;           /* AKID/YYYYMMDD/region/service/aws4_request */
    char *signed_headers;       /* "host;x-amz-date" */
    char *signature;            /* hex */
    char amz_date[17];
    int64_t date_s;
    int64_t expires_s;          /* presigned URLs only, else -1 */
    const char *token;          /* the request's session token, NULL if none */
    bool presigned;
};

static void free_sigparams(struct sigparams *sp)
{
    free(sp->credential);
    free(sp->signed_headers);
    free(sp->signature);
}

static int build_canonical(struct verify *v, const struct sigparams *sp, struct am_xbuf *b)
{
    const struct am_sigv4_request *req = v->req;
    unsigned char hash[SHA256_DIGEST_LENGTH];
    char hash_hex[2 * SHA256_DIGEST_LENGTH + 1];
    size_t n_sorted = 0;

    am_xbuf_adds(b, req->method ? req->method : "");
    am_xbuf_addc(b, '\n');
    if (canon_path(b, req->raw_path))
        return -1;
    am_xbuf_addc(b, '\n');

    /* Sort a copy so that the parsed order stays available. */
    if (v->n_q) {
        struct qparam *tmp = malloc(v->n_q * sizeof *tmp);
        if (!tmp)
            return -1;
        for (size_t i = 0; i < v->n_q; i++)
            if (!(sp->presigned && eq_slice(v->q[i].key, v->q[i].key_len, "X-Amz-Signature")))
                tmp[n_sorted++] = v->q[i];
        qsort(tmp, n_sorted, sizeof *tmp, cmp_qparam);
        for (size_t i = 0; i < n_sorted; i++) {
            if (i)
                am_xbuf_addc(b, '&');
            am_xbuf_add(b, tmp[i].ekey, tmp[i].ekey_len);
            am_xbuf_addc(b, '=');
            am_xbuf_add(b, tmp[i].eval, tmp[i].eval_len);
        }
        free(tmp);
    }
    am_xbuf_addc(b, '\n');

    for (const char *p = sp->signed_headers; *p;) {
        const char *end = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        for (const char *c = p; c < end; c++)
            am_xbuf_addc(b, lower(*c));
        am_xbuf_addc(b, ':');
        canon_header_value(b, req, p, (size_t)(end - p));
        am_xbuf_addc(b, '\n');
        p = *end ? end + 1 : end;
    }
    am_xbuf_addc(b, '\n');
    for (const char *c = sp->signed_headers; *c; c++)
        am_xbuf_addc(b, lower(*c));
    am_xbuf_addc(b, '\n');

    SHA256(req->body && req->body_len ? req->body : (const unsigned char *)"", req->body_len,
           hash);
    am_hex_encode(hash, sizeof hash, hash_hex);
    am_xbuf_adds(b, hash_hex);
    return 0;
}

/* ---- reading the signature parameters -------------------------------------------------- */

static void msg_append(struct verify *v, const char *s)
{
    if (!v->msg || !v->msg_len)
        return;
    size_t used = strlen(v->msg);
    if (used + 1 < v->msg_len)
        snprintf(v->msg + used, v->msg_len - used, "%s", s);
}

/* Reads the date from X-Amz-Date or, failing that, Date; 1 if neither header is present. */
static int read_header_date(struct verify *v, struct sigparams *sp)
{
    const char *amz = header_first(v->req, "x-amz-date");
    const char *date = header_first(v->req, "date");

    if (amz) {
        if (!parse_amz_date(amz, &sp->date_s))
            return fail(v, T_INCOMPLETE, 400,
                        "X-Amz-Date must be in the ISO8601 Long Format "
                        "\"yyyyMMdd'T'HHmmss'Z'\"");
    } else if (date) {
        if (!parse_http_date(date, &sp->date_s))
            return fail(v, T_INCOMPLETE, 400,
                        "Date must be in the RFC 7231 format \"EEE, dd MMM yyyy HH:mm:ss 'GMT'\"");
    } else {
        return 1;
    }
    format_amz_date(sp->date_s, sp->amz_date);
    return 0;
}

/* Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=... */
static int parse_auth_header(struct verify *v, const char *auth, struct sigparams *sp)
{
    const char *p = auth;
    size_t alg_len = strlen(ALGORITHM);
    int rc;

    while (is_blank(*p))
        p++;
    if (strncmp(p, ALGORITHM, alg_len) == 0 && (p[alg_len] == '\0' || p[alg_len] == ' ')) {
        p += alg_len;
        for (;;) {
            while (*p == ' ' || *p == ',' || *p == '\t')
                p++;
            if (!*p)
                break;
            const char *end = p;
            while (*end && *end != ' ' && *end != ',' && *end != '\t')
                end++;
            const char *eq = memchr(p, '=', (size_t)(end - p));
            if (!eq)
                return fail(v, T_INCOMPLETE, 400,
                            "'%.*s' not a valid key=value pair (missing equal-sign) in "
                            "Authorization header: '%s'.", (int)(end - p), p, auth);
            char **slot = NULL;
            size_t key_len = (size_t)(eq - p);
            if (eq_slice(p, key_len, "Credential"))
                slot = &sp->credential;
            else if (eq_slice(p, key_len, "SignedHeaders"))
                slot = &sp->signed_headers;
            else if (eq_slice(p, key_len, "Signature"))
                slot = &sp->signature;
            if (slot && !*slot) {
                *slot = dup_n(eq + 1, (size_t)(end - eq - 1));
                if (!*slot)
                    return fail_oom(v);
            }
            p = end;
        }
    }
    rc = read_header_date(v, sp);
    if (rc < 0)
        return rc;
    if (!sp->credential || !sp->signature || !sp->signed_headers || rc == 1) {
        fail(v, T_INCOMPLETE, 400, "%s", "");
        if (!sp->credential)
            msg_append(v, "Authorization header requires 'Credential' parameter. ");
        if (!sp->signature)
            msg_append(v, "Authorization header requires 'Signature' parameter. ");
        if (!sp->signed_headers)
            msg_append(v, "Authorization header requires 'SignedHeaders' parameter. ");
        if (rc == 1)
            msg_append(v, "Authorization header requires existence of either a 'X-Amz-Date' "
                          "or a 'Date' header. ");
        msg_append(v, "Authorization=");
        msg_append(v, auth);
        return -1;
    }
    sp->token = header_first(v->req, "x-amz-security-token");
    sp->expires_s = -1;
    return 0;
}

/* ?X-Amz-Algorithm=...&X-Amz-Credential=...&X-Amz-Date=...&X-Amz-Expires=...
 *  &X-Amz-SignedHeaders=...&X-Amz-Signature=... */
static int parse_presigned(struct verify *v, struct sigparams *sp)
{
    const char *alg = query_get(v, "X-Amz-Algorithm");
    const char *cred = query_get(v, "X-Amz-Credential");
    const char *date = query_get(v, "X-Amz-Date");
    const char *expires = query_get(v, "X-Amz-Expires");
    const char *sh = query_get(v, "X-Amz-SignedHeaders");
    const char *sig = query_get(v, "X-Amz-Signature");
    char *end = NULL;

    if (!alg || !cred || !date || !expires || !sh || !sig)
        return fail(v, T_INCOMPLETE, 400,
                    "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                    "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                    "X-Amz-Expires parameters.");
    if (strcmp(alg, ALGORITHM) != 0)
        return fail(v, T_INCOMPLETE, 400,
                    "X-Amz-Algorithm only supports \"" ALGORITHM "\"");
    if (!parse_amz_date(date, &sp->date_s))
        return fail(v, T_INCOMPLETE, 400,
                    "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    format_amz_date(sp->date_s, sp->amz_date);
    errno = 0;
    long long e = strtoll(expires, &end, 10);
    if (errno || end == expires || *end || *expires == '-' || *expires == '+')
        return fail(v, T_INCOMPLETE, 400, "X-Amz-Expires should be a number");
    if (e < 1 || e > MAX_EXPIRES_S)
        return fail(v, T_INCOMPLETE, 400,
                    "X-Amz-Expires must be between 1 and %d seconds (one week)", MAX_EXPIRES_S);
    sp->expires_s = e;
    sp->credential = strdup(cred);
    sp->signed_headers = strdup(sh);
    sp->signature = strdup(sig);
    if (!sp->credential || !sp->signed_headers || !sp->signature)
        return fail_oom(v);
    sp->token = query_get(v, "X-Amz-Security-Token");
    sp->presigned = true;
    return 0;
}

/* ---- verification ---------------------------------------------------------------------- */

int am_sigv4_verify_service(const struct am_sigv4_keys *keys, const struct am_sigv4_request *req,
                            const char *service, int64_t now_ms, const char **out_type,
                            int *out_status, char *msg, size_t msg_len,
                            const char **out_access_key)
{
    struct verify v = {req, out_type, out_status, msg, msg_len, NULL, 0};
    struct sigparams sp = {0};
    struct am_xbuf creq = SB_INIT, sts = SB_INIT;
    const char *auth, *parts[5];
    size_t part_len[5];
    const struct key_entry *key;
    char scope[256], now_s_str[17], bound_str[17];
    char expected[2 * SHA256_DIGEST_LENGTH + 1];
    unsigned char hash[SHA256_DIGEST_LENGTH];
    char hash_hex[2 * SHA256_DIGEST_LENGTH + 1];
    int64_t now_s = now_ms >= 0 ? now_ms / 1000 : -((-now_ms + 999) / 1000);
    int rc = -1;

    if (out_type)
        *out_type = NULL;
    if (out_status)
        *out_status = 0;
    if (msg && msg_len)
        msg[0] = '\0';
    if (out_access_key)
        *out_access_key = NULL;
    if (!keys || !req || !service)
        return fail(&v, T_INTERNAL, 500, "Internal error while checking the request signature.");

    if (parse_query(&v, req->raw_query)) {
        rc = fail_oom(&v);
        goto out;
    }
    auth = header_first(req, "authorization");
    bool presign = query_get(&v, "X-Amz-Algorithm") || query_get(&v, "X-Amz-Credential") ||
                   query_get(&v, "X-Amz-Signature");
    if (auth && presign) {
        rc = fail(&v, T_INCOMPLETE, 400,
                  "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter "
                  "or the Authorization header should be specified");
        goto out;
    }
    if (auth)
        rc = parse_auth_header(&v, auth, &sp);
    else if (presign)
        rc = parse_presigned(&v, &sp);
    else
        rc = fail(&v, T_MISSING, 403, "Missing Authentication Token");
    if (rc)
        goto out;
    rc = -1;

    /* Credential = AKID/YYYYMMDD/region/service/aws4_request */
    {
        const char *p = sp.credential;
        int n = 0;
        for (;;) {
            const char *end = strchr(p, '/');
            if (n < 5) {
                parts[n] = p;
                part_len[n] = end ? (size_t)(end - p) : strlen(p);
            }
            n++;
            if (!end)
                break;
            p = end + 1;
        }
        if (n != 5) {
            fail(&v, T_INCOMPLETE, 400,
                 "Credential must have exactly 5 slash-delimited elements, e.g. "
                 "keyid/date/region/service/term, got '%s'", sp.credential);
            goto out;
        }
    }
    if (!eq_slice(parts[4], part_len[4], TERMINATOR)) {
        fail(&v, T_INVALID, 403,
             "Credential should be scoped with a valid terminator: '" TERMINATOR "', not "
             "'%.*s'. ", (int)part_len[4], parts[4]);
        goto out;
    }
    if (!eq_slice(parts[3], part_len[3], service)) {
        fail(&v, T_INVALID, 403, "Credential should be scoped to correct service: '%s'. ",
             service);
        goto out;
    }
    if (part_len[2] == 0) {
        fail(&v, T_INVALID, 403, "Credential should be scoped to a valid region, not ''. ");
        goto out;
    }
    if (part_len[1] != 8 || memcmp(parts[1], sp.amz_date, 8) != 0) {
        fail(&v, T_INVALID, 403,
             "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
             "from HTTP: '%.*s' != '%.8s', from '%s'.", (int)part_len[1], parts[1],
             sp.amz_date, sp.amz_date);
        goto out;
    }
    if (strlen(parts[1]) >= sizeof scope) {
        fail(&v, T_INCOMPLETE, 400, "Credential scope is too long");
        goto out;
    }
    snprintf(scope, sizeof scope, "%s", parts[1]);

    /* host must be signed, or the signature could be replayed against another host */
    {
        bool host = false;
        for (const char *p = sp.signed_headers; *p;) {
            const char *end = strchr(p, ';');
            if (!end)
                end = p + strlen(p);
            host = host || eq_nocase(p, (size_t)(end - p), "host");
            p = *end ? end + 1 : end;
        }
        if (!host) {
            fail(&v, T_INCOMPLETE, 400,
                 "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
            goto out;
        }
    }

    format_amz_date(now_s, now_s_str);
    if (sp.date_s > now_s + SKEW_S) {
        format_amz_date(now_s + SKEW_S, bound_str);
        fail(&v, T_INVALID, 403,
             "Signature not yet current: %s is still later than %s (%s + 15 min.)",
             sp.amz_date, bound_str, now_s_str);
        goto out;
    }
    if (!sp.presigned && sp.date_s < now_s - SKEW_S) {
        format_amz_date(now_s - SKEW_S, bound_str);
        fail(&v, T_INVALID, 403, "Signature expired: %s is now earlier than %s (%s - 15 min.)",
             sp.amz_date, bound_str, now_s_str);
        goto out;
    }
    if (sp.presigned && now_s > sp.date_s + sp.expires_s) {
        fail(&v, T_DENIED, 403, "Request has expired");
        goto out;
    }

    key = key_find(keys, parts[0], part_len[0]);
    if (!key) {
        fail(&v, T_UNRECOGNIZED, 403, "The security token included in the request is invalid.");
        goto out;
    }
    if ((key->token == NULL) != (sp.token == NULL) ||
        (key->token && (strlen(key->token) != strlen(sp.token) ||
                        CRYPTO_memcmp(key->token, sp.token, strlen(sp.token)) != 0))) {
        fail(&v, T_UNRECOGNIZED, 403, "The security token included in the request is invalid.");
        goto out;
    }

    if (build_canonical(&v, &sp, &creq) || creq.err == AM_ENOMEM) {
        fail_oom(&v);
        goto out;
    }
    if (creq.err) {
        fail(&v, T_INCOMPLETE, 400, "The request is too large to verify its signature.");
        goto out;
    }
    SHA256((const unsigned char *)creq.p, creq.len, hash);
    am_hex_encode(hash, sizeof hash, hash_hex);
    am_xbuf_adds(&sts, ALGORITHM "\n");
    am_xbuf_adds(&sts, sp.amz_date);
    am_xbuf_addc(&sts, '\n');
    am_xbuf_adds(&sts, scope);
    am_xbuf_addc(&sts, '\n');
    am_xbuf_adds(&sts, hash_hex);
    if (sts.err) {
        fail_oom(&v);
        goto out;
    }
    if (am_sigv4_signature(key->secret, scope, sts.p, sts.len, expected) != 0) {
        fail_oom(&v);
        goto out;
    }
    if (strlen(sp.signature) != 2 * SHA256_DIGEST_LENGTH ||
        CRYPTO_memcmp(expected, sp.signature, 2 * SHA256_DIGEST_LENGTH) != 0) {
        fail(&v, T_INVALID, 403,
             "The request signature we calculated does not match the signature you provided. "
             "Check your AWS Secret Access Key and signing method. Consult the service "
             "documentation for details.\n\nThe Canonical String for this request should have "
             "been\n'%s'\n\nThe String-to-Sign should have been\n'%s'\n", creq.p, sts.p);
        goto out;
    }
    if (out_access_key)
        *out_access_key = key->access_key;
    rc = 0;
out:
    OPENSSL_cleanse(expected, sizeof expected);
    am_xbuf_free(&creq);
    am_xbuf_free(&sts);
    free_sigparams(&sp);
    free_query(v.q, v.n_q);
    return rc;
}

int am_sigv4_verify(const struct am_sigv4_keys *keys, const struct am_sigv4_request *req,
                    int64_t now_ms, const char **out_type, int *out_status, char *msg,
                    size_t msg_len, const char **out_access_key)
{
    return am_sigv4_verify_service(keys, req, AM_SIGV4_SERVICE, now_ms, out_type, out_status,
                                   msg, msg_len, out_access_key);
}

/* ---- the credentials file -------------------------------------------------------------- */

struct section {
    char *name;
    char *id, *secret, *token, *policy;
    int line;
};

static void section_clear(struct section *s)
{
    free(s->name);
    free(s->id);
    wipe_free(s->secret);
    wipe_free(s->token);
    free(s->policy);
    memset(s, 0, sizeof *s);
}

__attribute__((format(printf, 3, 4)))
static int load_error(char *err, size_t err_len, const char *fmt, ...)
{
    if (err && err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static bool valid_key_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128)
        return false;
    for (; *s; s++)
        if (*s <= ' ' || *s > '~' || *s == '/' || *s == ',' || *s == ';' || *s == '=')
            return false;
    return true;
}

static bool valid_secret(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 1024)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < ' ' || *s == 0x7f)
            return false;
    return true;
}

/* Ends a section: adds its key when it has one. */
static int section_end(struct am_sigv4_keys *keys, struct section *s, const char *path,
                       char *err, size_t err_len)
{
    const char *name = s->name ? s->name : "";
    if (!s->id && !s->secret) {
        if (s->policy)
            return load_error(err, err_len, "%s:%d: [%s] has a policy but no access key", path,
                              s->line, name);
        return 0;
    }
    if (!s->id || !s->secret)
        return load_error(err, err_len, "%s:%d: [%s] has %s but no %s", path, s->line, name,
                          s->id ? "aws_access_key_id" : "aws_secret_access_key",
                          s->id ? "aws_secret_access_key" : "aws_access_key_id");
    if (!valid_key_id(s->id))
        return load_error(err, err_len,
                          "%s:%d: [%s] aws_access_key_id must be 1 to 128 printable characters "
                          "without blanks, '/', ',', ';' or '='", path, s->line, name);
    if (!valid_secret(s->secret))
        return load_error(err, err_len,
                          "%s:%d: [%s] aws_secret_access_key must be 1 to 1024 printable "
                          "characters", path, s->line, name);
    const struct key_entry *dup = key_find(keys, s->id, strlen(s->id));
    if (dup) {
        bool same = strcmp(dup->secret, s->secret) == 0 &&
                    ((!dup->token && !s->token) ||
                     (dup->token && s->token && strcmp(dup->token, s->token) == 0));
        bool same_policy = (!dup->policy && !s->policy) ||
                           (dup->policy && s->policy && strcmp(dup->policy, s->policy) == 0);
        if (same && !same_policy)
            return load_error(err, err_len,
                              "%s:%d: [%s] access key %s is already defined with another policy",
                              path, s->line, name, s->id);
        if (same)
            return 0;
        return load_error(err, err_len,
                          "%s:%d: [%s] access key %s is already defined with another secret",
                          path, s->line, name, s->id);
    }
    if (keys->n == keys->cap) {
        size_t cap = keys->cap ? keys->cap * 2 : 8;
        struct key_entry *v = realloc(keys->v, cap * sizeof *v);
        if (!v)
            return load_error(err, err_len, "%s: out of memory", path);
        keys->v = v;
        keys->cap = cap;
    }
    char *profile = strdup(name);
    if (!profile)
        return load_error(err, err_len, "%s: out of memory", path);
    keys->v[keys->n++] = (struct key_entry){s->id, s->secret, s->token, profile, s->policy};
    s->id = s->secret = s->token = s->policy = NULL;
    return 0;
}

static char *trim(char *s)
{
    while (is_blank(*s))
        s++;
    size_t n = strlen(s);
    while (n && is_blank(s[n - 1]))
        s[--n] = '\0';
    return s;
}

int am_sigv4_keys_load(const char *path, struct am_sigv4_keys **out, char *err, size_t err_len)
{
    struct am_sigv4_keys *keys = NULL;
    struct section sec = {0};
    char *line = NULL;
    FILE *f = NULL;
    long total = 0;
    int lineno = 0, rc = -1;
    bool in_section = false;

    if (out)
        *out = NULL;
    if (err && err_len)
        err[0] = '\0';
    if (!path || !out)
        return load_error(err, err_len, "no credentials file given");
    f = fopen(path, "r");
    if (!f)
        return load_error(err, err_len, "%s: %s", path, strerror(errno));
    keys = calloc(1, sizeof *keys);
    line = malloc(KEYS_LINE_CAP);
    if (!keys || !line) {
        load_error(err, err_len, "%s: out of memory", path);
        goto out;
    }
    while (fgets(line, KEYS_LINE_CAP, f)) {
        size_t len = strlen(line);
        lineno++;
        total += (long)len;
        if (total > KEYS_FILE_MAX) {
            load_error(err, err_len, "%s: larger than %ld bytes", path, KEYS_FILE_MAX);
            goto out;
        }
        if (len == KEYS_LINE_CAP - 1 && line[len - 1] != '\n') {
            load_error(err, err_len, "%s:%d: line longer than %d bytes", path, lineno,
                       KEYS_LINE_CAP - 2);
            goto out;
        }
        char *s = line;
        if (lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3;                         /* UTF-8 byte order mark */
        if (*s == ' ' || *s == '\t')
            continue;                       /* blank, or a continuation line (s3 = ...) */
        s = trim(s);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            size_t n = strlen(s);
            if (s[n - 1] != ']') {
                load_error(err, err_len, "%s:%d: section header without ']'", path, lineno);
                goto out;
            }
            if (section_end(keys, &sec, path, err, err_len))
                goto out;
            section_clear(&sec);
            s[n - 1] = '\0';
            sec.name = strdup(trim(s + 1));
            sec.line = lineno;
            in_section = true;
            if (!sec.name) {
                load_error(err, err_len, "%s: out of memory", path);
                goto out;
            }
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            load_error(err, err_len, "%s:%d: expected 'key = value' or '[section]'", path,
                       lineno);
            goto out;
        }
        *eq = '\0';
        char *k = trim(s), *val = trim(eq + 1), **slot = NULL;
        if (!in_section) {
            load_error(err, err_len, "%s:%d: '%s' outside a [section]", path, lineno, k);
            goto out;
        }
        if (eq_nocase(k, strlen(k), "aws_access_key_id"))
            slot = &sec.id;
        else if (eq_nocase(k, strlen(k), "aws_secret_access_key"))
            slot = &sec.secret;
        else if (eq_nocase(k, strlen(k), "aws_session_token") ||
                 eq_nocase(k, strlen(k), "aws_security_token"))
            slot = &sec.token;
        else if (eq_nocase(k, strlen(k), "policy"))
            slot = &sec.policy;     /* agentmemd's: an IAM-style policy file for this key */
        if (!slot)
            continue;                       /* region, output, ...: not ours */
        if (*slot) {
            load_error(err, err_len, "%s:%d: '%s' given twice in [%s]", path, lineno, k,
                       sec.name);
            goto out;
        }
        if (!*val && slot == &sec.token)
            continue;
        *slot = strdup(val);
        if (!*slot) {
            load_error(err, err_len, "%s: out of memory", path);
            goto out;
        }
    }
    if (ferror(f)) {
        load_error(err, err_len, "%s: read error", path);
        goto out;
    }
    if (section_end(keys, &sec, path, err, err_len))
        goto out;
    if (keys->n == 0) {
        load_error(err, err_len,
                   "%s: no section with both aws_access_key_id and aws_secret_access_key", path);
        goto out;
    }
    *out = keys;
    keys = NULL;
    rc = 0;
out:
    if (line) {
        OPENSSL_cleanse(line, KEYS_LINE_CAP);
        free(line);
    }
    section_clear(&sec);
    am_sigv4_keys_free(keys);
    if (f)
        fclose(f);
    return rc;
}
