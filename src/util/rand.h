/*
 * rand.h - identifiers from the kernel's random generator.
 */
#ifndef AM_UTIL_RAND_H
#define AM_UTIL_RAND_H

#include <stddef.h>
#include <stdint.h>

void am_rand_bytes(void *buf, size_t len);
/* Fill out[0..n) with random [A-Za-z0-9] and terminate it (out holds n + 1 bytes). */
void am_rand_alnum(char *out, size_t n);
/* A lower-case UUIDv4 into out (37 bytes). */
void am_rand_uuid(char out[37]);

#endif
