/*
 * token.h - opaque pagination tokens.
 *
 * A token is base64url("am1|<kind>|<a>|<b>|<s>") : a listing kind letter, two integers and
 * one optional string (hex-encoded inside). Tokens carry a keyset position, not an offset,
 * where the listing allows it, so rows added between pages do not shift the pages. A token
 * of another kind, or one that does not decode, is AM_EINVAL naming "nextToken".
 */
#ifndef AM_CORE_TOKEN_H
#define AM_CORE_TOKEN_H

#include "agentmem.h"

#include <stdint.h>

struct am_arena;

/* Encode into the arena; NULL when out of memory. */
char *am_token_encode(struct am_arena *a, char kind, int64_t x, int64_t y, const char *s);
/* Decode; *out_s points into the arena (NULL when the token has no string). */
int am_token_decode(am_db *db, struct am_arena *a, const char *token, char kind,
                    int64_t *out_x, int64_t *out_y, char **out_s);

#endif
