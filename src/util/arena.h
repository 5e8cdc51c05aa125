/*
 * arena.h - a bump allocator that owns every string of a result object.
 *
 * Result objects of the public API (am_events, am_memories, ...) carry one arena in their
 * `priv` member; freeing the result frees the arena, so no field is freed on its own.
 * Every function returns NULL when memory runs out; the arena stays valid.
 */
#ifndef AM_UTIL_ARENA_H
#define AM_UTIL_ARENA_H

#include <stddef.h>

struct am_arena;

struct am_arena *am_arena_create(void);
void am_arena_destroy(struct am_arena *a);               /* accepts NULL */
void *am_arena_alloc(struct am_arena *a, size_t size);   /* zeroed, 16-byte aligned */
char *am_arena_strdup(struct am_arena *a, const char *s); /* NULL in, NULL out */
char *am_arena_strndup(struct am_arena *a, const char *s, size_t len);

#endif
