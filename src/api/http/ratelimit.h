/*
 * ratelimit.h - token buckets per client: an access key (with --auth sigv4) or an address.
 *
 * Each client has a bucket of `burst` tokens that refills at `rate` per second; a request
 * takes one token or is refused (429). Buckets are kept in a hash table, at most
 * AM_RL_MAX_CLIENTS of them; when it is full, the buckets that are full again (idle
 * clients) are dropped. Thread-safe; one mutex, held for a few hundred nanoseconds.
 */
#ifndef AM_API_HTTP_RATELIMIT_H
#define AM_API_HTTP_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define AM_RL_MAX_CLIENTS 65536

struct am_ratelimit;

/* rate: tokens per second (> 0); burst: bucket size (>= 1). NULL when out of memory. */
struct am_ratelimit *am_ratelimit_create(double rate, double burst);
void am_ratelimit_free(struct am_ratelimit *rl);

/* Take a token for client at now_ns (CLOCK_MONOTONIC). true: go ahead; false: over the
 * limit, and *retry_after_s says when a token will be there. */
bool am_ratelimit_take(struct am_ratelimit *rl, const char *client, int64_t now_ns,
                       double *retry_after_s);

#endif
