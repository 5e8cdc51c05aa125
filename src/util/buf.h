/*
 * buf.h - a growable string with a ceiling, and the encoders built on it.
 *
 * A failed append (AM_ENOMEM, or AM_EINVAL past the ceiling or for an oversized format)
 * frees the text and sticks: later appends return the same code and am_xbuf_take() returns
 * NULL, so a caller may check every append or only the end, and never gets a half-built
 * result. am_xbuf_free() empties the buffer and clears the error.
 */
#ifndef AM_UTIL_BUF_H
#define AM_UTIL_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "agentmem.h"

struct am_xbuf {
    char *p;         /* NUL-terminated when not NULL */
    size_t len, cap, max;
    int err;         /* AM_OK, or the code of the first failed append */
};
void am_xbuf_init(struct am_xbuf *b, size_t max);
int am_xbuf_add(struct am_xbuf *b, const char *s, size_t n);
int am_xbuf_adds(struct am_xbuf *b, const char *s);
int am_xbuf_addc(struct am_xbuf *b, char c);
int am_xbuf_addf(struct am_xbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal (quotes included); invalid UTF-8 becomes U+FFFD. */
int am_xbuf_add_json(struct am_xbuf *b, const char *s, size_t n);
/* Text escaped for XML content and attribute values (& < > "). */
int am_xbuf_add_xml(struct am_xbuf *b, const char *s, size_t n);
/* RFC 3986 percent-encoding (upper-case hex): unreserved bytes kept, '/' kept when
 * keep_slash. What SigV4 canonical paths and queries use. */
int am_xbuf_add_pct(struct am_xbuf *b, const char *s, size_t n, bool keep_slash);
/* Hand over the string (NUL-terminated, "" when empty); the buffer is left empty. NULL after
 * a failed append or on allocation failure. */
char *am_xbuf_take(struct am_xbuf *b);
void am_xbuf_free(struct am_xbuf *b);

char *am_xstrndup(const char *s, size_t n);

/* The value of a hex digit, or -1. */
int am_hex_digit(char c);
/* n bytes as 2n lower-case hex digits and a NUL into out. */
void am_hex_encode(const unsigned char *in, size_t n, char *out);

#endif
