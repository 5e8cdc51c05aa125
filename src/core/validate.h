/*
 * validate.h - the AgentCore service model's constraints, checked by hand-written matchers
 * (no regex engine): ids, names, lengths, enums. Each am_check_* returns AM_OK or AM_EINVAL
 * with an AWS-style message naming the field:
 *   "1 validation error detected: Value 'x y' at 'actorId' failed to satisfy constraint:
 *    Member must satisfy regular expression pattern: ..."
 */
#ifndef AM_CORE_VALIDATE_H
#define AM_CORE_VALIDATE_H

#include "agentmem.h"

#include <stdbool.h>
#include <stddef.h>

/* Number of UTF-8 code points in s, or -1 when s is not valid UTF-8. */
long am_utf8_len(const char *s);

int am_check_required(am_db *db, const char *field, const void *v);
int am_check_memory_id(am_db *db, const char *field, const char *v);
int am_check_actor_id(am_db *db, const char *field, const char *v);
int am_check_session_id(am_db *db, const char *field, const char *v); /* also branch names */
int am_check_event_id(am_db *db, const char *field, const char *v);
int am_check_name(am_db *db, const char *field, const char *v);       /* memory/strategy name */
int am_check_meta_key(am_db *db, const char *field, const char *v);
int am_check_meta_value(am_db *db, const char *field, const char *v, size_t max);
int am_check_namespace(am_db *db, const char *field, const char *v);
int am_check_ns_template(am_db *db, const char *field, const char *v);
int am_check_strategy_id(am_db *db, const char *field, const char *v);
int am_check_record_id(am_db *db, const char *field, const char *v);
int am_check_text(am_db *db, const char *field, const char *v, long min, long max);
int am_check_range(am_db *db, const char *field, long long v, long long min, long long max);

/* The memory id inside an id or a memory ARN (pointer into v). */
const char *am_memory_id_of(const char *v);

#endif
