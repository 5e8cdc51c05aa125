/*
 * helpers.h - shared fixtures for the engine's unit tests.
 */
#ifndef AM_TEST_HELPERS_H
#define AM_TEST_HELPERS_H

#include "agentmem.h"
#include "test.h"

#include <stdbool.h>

/* The store under test: a SQLite file in the test's temp dir, or a fresh PostgreSQL
   database when AGENTMEM_TEST_STORE names a postgres:// maintenance database. The same
   URI for the whole test; call it before forking so that children share it. */
const char *th_store(void);
/* Whether the tests run against PostgreSQL (for tests of SQLite internals). */
bool th_is_pg(void);
/* Open the test's store (no background purge). */
am_db *th_open(void);
/* SELECT count(*) FROM table WHERE where, and plain SQL, on the store under test. */
long long th_count(const char *table, const char *where);
void th_exec(const char *sql);
/* Create a memory named name (no strategies, expiry days) and copy its id into id[128]. */
void th_memory(am_db *db, const char *name, int expiry_days, char id[128]);
/* Append a one-turn USER event; returns the new event id in out_id[64] if not NULL. */
int th_event(am_db *db, const char *mem, const char *actor, const char *session, int64_t ts,
             const char *text, char *out_id);

/* Start python3 tests/helpers/<script> [args...] (NULL-terminated), a fake provider that
   prints "PORT n" (or "listening port=n") first; returns its pid and sets *port. It dies with this process.
   env_name/env_value: one variable set for it (NULL: none). */
#include <sys/types.h>
pid_t th_start_helper(int *port, const char *env_name, const char *env_value,
                      const char *script, ...);

#endif
