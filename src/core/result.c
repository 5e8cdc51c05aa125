/*
 * result.c - constructors and destructors of the result objects; see result.h.
 */
#include "core/result.h"

#include <stdlib.h>

#define RESULT_FNS(type, item)                                         \
    type *type##_new(size_t cap)                                       \
    {                                                                  \
        type *r = calloc(1, sizeof *r);                                \
        struct am_arena *a = am_arena_create();                        \
        if (!r || !a)                                                  \
            goto fail;                                                 \
        r->priv = a;                                                   \
        r->items = am_arena_alloc(a, (cap ? cap : 1) * sizeof(item));  \
        if (!r->items)                                                 \
            goto fail;                                                 \
        return r;                                                      \
    fail:                                                              \
        am_arena_destroy(a);                                           \
        free(r);                                                       \
        return NULL;                                                   \
    }                                                                  \
    void type##_free(type *r)                                          \
    {                                                                  \
        if (!r)                                                        \
            return;                                                    \
        am_arena_destroy(r->priv);                                     \
        free(r);                                                       \
    }

RESULT_FNS(am_memories, am_memory)
RESULT_FNS(am_events, am_event)
RESULT_FNS(am_sessions, am_session)
RESULT_FNS(am_actors, am_actor)
RESULT_FNS(am_records, am_record)
RESULT_FNS(am_jobs, am_job)
