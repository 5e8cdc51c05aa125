/*
 * buf.c - the agent's bounded growable string. A failed allocation or a string over
 * AM_AG_MAX_BODY marks the buffer (oom) and later appends do nothing, so callers check once,
 * at am_ag_buf_take().
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/agent.h"

void am_ag_buf_add(struct am_ag_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > AM_AG_MAX_BODY) {
        b->oom = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void am_ag_buf_puts(struct am_ag_buf *b, const char *s)
{
    am_ag_buf_add(b, s, strlen(s));
}

void am_ag_buf_printf(struct am_ag_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        am_ag_buf_add(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    am_ag_buf_add(b, big, (size_t)n);
    free(big);
}

char *am_ag_buf_take(struct am_ag_buf *b)
{
    char *p;
    if (b->oom) {
        am_ag_buf_free(b);
        return NULL;
    }
    if (!b->p)
        return strdup("");
    p = b->p;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void am_ag_buf_free(struct am_ag_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

bool am_ag_icontains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (!hay)
        return false;
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}
