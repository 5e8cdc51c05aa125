/*
 * buf.c - the bounded growable string and the small encoders shared by the library, the
 * HTTP layer and the SigV4 signer and verifier (see buf.h).
 */
#include "util/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void am_xbuf_init(struct am_xbuf *b, size_t max)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->err = AM_OK;
}

void am_xbuf_free(struct am_xbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->err = AM_OK;
}

static int xbuf_fail(struct am_xbuf *b, int rc)
{
    am_xbuf_free(b);
    b->err = rc;
    return rc;
}

static int xbuf_reserve(struct am_xbuf *b, size_t extra)
{
    if (b->err)
        return b->err;
    if (extra > b->max || b->len > b->max - extra)
        return xbuf_fail(b, AM_EINVAL);
    if (b->len + extra + 1 <= b->cap)
        return AM_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return xbuf_fail(b, AM_ENOMEM);
    b->p = p;
    b->cap = cap;
    return AM_OK;
}

int am_xbuf_add(struct am_xbuf *b, const char *s, size_t n)
{
    int rc = xbuf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return AM_OK;
}

int am_xbuf_adds(struct am_xbuf *b, const char *s)
{
    return am_xbuf_add(b, s, strlen(s));
}

int am_xbuf_addc(struct am_xbuf *b, char c)
{
    return am_xbuf_add(b, &c, 1);
}

int am_xbuf_addf(struct am_xbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    if (b->err)
        return b->err;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return xbuf_fail(b, AM_EINVAL);
    if ((size_t)n < sizeof tmp)
        return am_xbuf_add(b, tmp, (size_t)n);
    int rc = xbuf_reserve(b, (size_t)n);      /* long: format in place */
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return AM_OK;
}

/* Length of a valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t u8valid(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

int am_xbuf_add_json(struct am_xbuf *b, const char *s, size_t n)
{
    int rc = am_xbuf_addc(b, '"');
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (!rc && i < n) {
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            rc = am_xbuf_add(b, e, 2);
            i++;
        } else if (c < 0x20) {
            if (c == '\n')
                rc = am_xbuf_add(b, "\\n", 2);
            else if (c == '\t')
                rc = am_xbuf_add(b, "\\t", 2);
            else if (c == '\r')
                rc = am_xbuf_add(b, "\\r", 2);
            else
                rc = am_xbuf_addf(b, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            rc = am_xbuf_addc(b, (char)c);
            i++;
        } else {
            size_t l = u8valid(u + i, n - i);
            if (l) {
                rc = am_xbuf_add(b, s + i, l);
                i += l;
            } else {
                rc = am_xbuf_add(b, "\xEF\xBF\xBD", 3);
                i++;
            }
        }
    }
    if (!rc)
        rc = am_xbuf_addc(b, '"');
    return rc;
}

int am_xbuf_add_xml(struct am_xbuf *b, const char *s, size_t n)
{
    int rc = AM_OK;
    size_t start = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const char *e = NULL;
        switch (s[i]) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = "&quot;"; break;
        default: break;
        }
        if (!e)
            continue;
        rc = am_xbuf_add(b, s + start, i - start);
        if (!rc)
            rc = am_xbuf_adds(b, e);
        start = i + 1;
    }
    if (!rc)
        rc = am_xbuf_add(b, s + start, n - start);
    return rc;
}

char *am_xbuf_take(struct am_xbuf *b)
{
    char *p = b->p;
    if (b->err) {
        am_xbuf_free(b);
        return NULL;
    }
    if (!p) {
        p = malloc(1);
        if (p)
            p[0] = '\0';
    }
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

char *am_xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

int am_xbuf_add_pct(struct am_xbuf *b, const char *s, size_t n, bool keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";
    int rc = AM_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            rc = am_xbuf_addc(b, (char)c);
        } else {
            char e[3] = {'%', digits[c >> 4], digits[c & 15]};
            rc = am_xbuf_add(b, e, 3);
        }
    }
    return rc;
}

int am_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void am_hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}
