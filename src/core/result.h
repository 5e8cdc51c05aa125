/*
 * result.h - result objects (am_events, am_memories, ...). Each owns an arena (in `priv`)
 * holding its items array and every string reachable from it.
 *
 *   am_events *r = am_events_new(n);     items has room for n, r->n = 0
 *   struct am_arena *a = am_result_arena(r->priv);
 */
#ifndef AM_CORE_RESULT_H
#define AM_CORE_RESULT_H

#include "agentmem.h"
#include "util/arena.h"

#define am_result_arena(priv) ((struct am_arena *)(priv))

am_memories *am_memories_new(size_t cap);
am_events *am_events_new(size_t cap);
am_sessions *am_sessions_new(size_t cap);
am_actors *am_actors_new(size_t cap);
am_records *am_records_new(size_t cap);
am_jobs *am_jobs_new(size_t cap);

#endif
