/*
 * arena.c - see arena.h. Blocks of at least 8 KiB chained in a list; large requests get a
 * block of their own.
 */
#include "util/arena.h"

#include <stdlib.h>
#include <string.h>

struct block {
    struct block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

struct am_arena {
    struct block *head;
};

struct am_arena *am_arena_create(void)
{
    return calloc(1, sizeof(struct am_arena));
}

void am_arena_destroy(struct am_arena *a)
{
    if (!a)
        return;
    for (struct block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

void *am_arena_alloc(struct am_arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (!size)
        size = 16;
    struct block *b = a->head;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > 8192 ? size : 8192;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->cap = cap;
        b->used = 0;
        if (a->head && size > 8192) {   /* keep the current block for small requests */
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *am_arena_strndup(struct am_arena *a, const char *s, size_t len)
{
    if (!s)
        return NULL;
    char *p = am_arena_alloc(a, len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

char *am_arena_strdup(struct am_arena *a, const char *s)
{
    return s ? am_arena_strndup(a, s, strlen(s)) : NULL;
}
