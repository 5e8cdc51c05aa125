/*
 * rand.c - see rand.h. getrandom(2) never fails for small requests once the pool is
 * initialised; the loop handles interruption.
 */
#include "util/rand.h"

#include <stdio.h>
#include <sys/random.h>

void am_rand_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n <= 0)
            continue;
        p += n;
        len -= (size_t)n;
    }
}

void am_rand_alnum(char *out, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[64];
    for (size_t i = 0; i < n; i++) {
        if (i % sizeof r == 0)
            am_rand_bytes(r, sizeof r);
        unsigned char c;
        do {                       /* rejection sampling: 62 * 4 = 248 */
            c = r[i % sizeof r];
            if (c >= 248)
                am_rand_bytes(&r[i % sizeof r], 1);
        } while (c >= 248);
        out[i] = alphabet[c % 62];
    }
    out[n] = '\0';
}

void am_rand_uuid(char out[37])
{
    unsigned char b[16];
    am_rand_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}
