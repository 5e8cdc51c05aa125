/*
 * helpers.c - see helpers.h.
 */
#include "helpers.h"

am_db *th_open(void)
{
    am_db *db = NULL;
    int rc = am_open(test_path("t.db"), AM_OPEN_NOPURGE, &db);
    if (rc)
        TEST_FAIL_("am_open: %s", am_errmsg(NULL));
    return db;
}

void th_memory(am_db *db, const char *name, int expiry_days, char id[128])
{
    am_memory_in in = {.name = name, .event_expiry_days = expiry_days};
    am_memories *m = NULL;
    int rc = am_memory_create(db, &in, &m);
    if (rc)
        TEST_FAIL_("am_memory_create: %s", am_errmsg(db));
    snprintf(id, 128, "%s", m->items[0].id);
    am_memories_free(m);
}

int th_event(am_db *db, const char *mem, const char *actor, const char *session, int64_t ts,
             const char *text, char *out_id)
{
    am_payload p = {.kind = AM_PAYLOAD_CONVERSATIONAL, .role = AM_ROLE_USER, .text = text};
    am_event_in in = {.memory_id = mem, .actor_id = actor, .session_id = session,
                      .timestamp_ms = ts, .payload = &p, .n_payload = 1};
    am_events *e = NULL;
    int rc = am_event_create(db, &in, &e);
    if (!rc && out_id)
        snprintf(out_id, 64, "%s", e->items[0].event_id);
    am_events_free(e);
    return rc;
}
