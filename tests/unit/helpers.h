/*
 * helpers.h - shared fixtures for the engine's unit tests.
 */
#ifndef AM_TEST_HELPERS_H
#define AM_TEST_HELPERS_H

#include "agentmem.h"
#include "test.h"

/* Open a fresh store in the test's temp dir (no background purge). */
am_db *th_open(void);
/* Create a memory named name (no strategies, expiry days) and copy its id into id[128]. */
void th_memory(am_db *db, const char *name, int expiry_days, char id[128]);
/* Append a one-turn USER event; returns the new event id in out_id[64] if not NULL. */
int th_event(am_db *db, const char *mem, const char *actor, const char *session, int64_t ts,
             const char *text, char *out_id);

#endif
