/*
 * token.c - see token.h.
 */
#include "core/token.h"

#include "core/db.h"
#include "util/arena.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *am_token_encode(struct am_arena *a, char kind, int64_t x, int64_t y, const char *s)
{
    size_t slen = s ? strlen(s) : 0;
    size_t cap = 64 + slen * 2;
    char *raw = malloc(cap);
    if (!raw)
        return NULL;
    int n = snprintf(raw, cap, "am1|%c|%" PRId64 "|%" PRId64 "|", kind, x, y);
    for (size_t i = 0; i < slen; i++)
        n += snprintf(raw + n, cap - (size_t)n, "%02x", (unsigned char)s[i]);
    size_t olen = ((size_t)n + 2) / 3 * 4;
    char *out = am_arena_alloc(a, olen + 1);
    if (out) {
        size_t o = 0;
        for (int i = 0; i < n; i += 3) {
            uint32_t v = (uint32_t)(unsigned char)raw[i] << 16;
            if (i + 1 < n)
                v |= (uint32_t)(unsigned char)raw[i + 1] << 8;
            if (i + 2 < n)
                v |= (unsigned char)raw[i + 2];
            out[o++] = b64[(v >> 18) & 63];
            out[o++] = b64[(v >> 12) & 63];
            if (i + 1 < n)
                out[o++] = b64[(v >> 6) & 63];
            if (i + 2 < n)
                out[o++] = b64[v & 63];
        }
        out[o] = '\0';
    }
    free(raw);
    return out;
}

static int b64val(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

static int bad(am_db *db)
{
    return am_error_field(db, AM_EINVAL, "nextToken",
                          "Invalid nextToken: it was not returned by this listing");
}

int am_token_decode(am_db *db, struct am_arena *a, const char *token, char kind,
                    int64_t *out_x, int64_t *out_y, char **out_s)
{
    size_t n = strlen(token);
    if (n == 0 || n > 4096 || n % 4 == 1)
        return bad(db);
    char *raw = am_arena_alloc(a, n);
    if (!raw)
        return am_error(db, AM_ENOMEM, "out of memory");
    size_t r = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val(token[i]);
        if (v < 0)
            return bad(db);
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            raw[r++] = (char)((acc >> bits) & 0xff);
        }
    }
    raw[r] = '\0';
    if (strlen(raw) != r || strncmp(raw, "am1|", 4) != 0 || raw[4] != kind || raw[5] != '|')
        return bad(db);
    char *p = raw + 6, *end;
    errno = 0;
    long long x = strtoll(p, &end, 10);
    if (errno || end == p || *end != '|')
        return bad(db);
    p = end + 1;
    long long y = strtoll(p, &end, 10);
    if (errno || end == p || *end != '|')
        return bad(db);
    p = end + 1;
    size_t hl = strlen(p);
    if (hl % 2)
        return bad(db);
    char *s = NULL;
    if (hl) {
        s = am_arena_alloc(a, hl / 2 + 1);
        if (!s)
            return am_error(db, AM_ENOMEM, "out of memory");
        for (size_t i = 0; i < hl / 2; i++) {
            unsigned v;
            if (sscanf(p + 2 * i, "%2x", &v) != 1 || v == 0)
                return bad(db);
            s[i] = (char)v;
        }
    }
    *out_x = x;
    *out_y = y;
    if (out_s)
        *out_s = s;
    else if (s)
        return bad(db);
    return AM_OK;
}
