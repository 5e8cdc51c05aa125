/*
 * events.h - helpers shared by the core and the store for event payloads.
 */
#ifndef AM_CORE_EVENTS_H
#define AM_CORE_EVENTS_H

#include "agentmem.h"

#include <stddef.h>

struct am_arena;

/* Serialize a payload to the AgentCore wire JSON array; *out freed with free(). */
int am_payload_to_json(am_db *db, const am_payload *p, size_t n, char **out);
/* Parse a stored payload array into arena-owned items. */
int am_payload_from_json(am_db *db, struct am_arena *a, const char *text, am_payload **out,
                         size_t *out_n);
/* Parse stored metadata {"k":"v"} into arena-owned pairs; NULL text gives none. */
int am_metadata_from_json(am_db *db, struct am_arena *a, const char *text, am_kv **out,
                          size_t *out_n);
/* The conversational text of a stored payload, joined by spaces; *out freed with free()
   ("" when the payload has none). Backends index it for am_event_search. */
int am_payload_text(am_db *db, const char *payload_json, char **out);
/* Default (0 → AM_DEFAULT_RESULTS) and check maxResults against 1..limit. */
int am_check_max_results(am_db *db, int *max_results, int limit);

#endif
