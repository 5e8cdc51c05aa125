/*
 * test_sessions.c - sessions, actors, delete session, forget actor, expiry
 * (src/core/sessions.c, src/store/sqlite/events.c).
 */
#include "helpers.h"

#include <stdlib.h>
#include <unistd.h>

static const int64_t T0 = 1767225600000;

/* Count rows of a table straight from the store (what is left on disk). */
static long long count_rows(const char *table, const char *where)
{
    return th_count(table, where);
}

static void exec_sql(const char *sql)
{
    th_exec(sql);
}

TEST(session_and_actor_listing)
{
    am_db *db = th_open();
    char mem[128];
    th_memory(db, "S", 30, mem);
    ASSERT_OK(th_event(db, mem, "alice", "day1", T0 + 100, "a", NULL));
    ASSERT_OK(th_event(db, mem, "alice", "day1", T0 + 50, "b", NULL));
    ASSERT_OK(th_event(db, mem, "alice", "day2", T0 + 86400000, "c", NULL));
    ASSERT_OK(th_event(db, mem, "bob", "b1", T0 + 10, "d", NULL));
    ASSERT_OK(th_event(db, mem, "carol@example.com", "c1", T0 + 20, "e", NULL));

    am_sessions *s = NULL;
    ASSERT_OK(am_session_list(db, mem, "alice", false, 0, NULL, &s));
    ASSERT_EQ(s->n, 2);
    ASSERT_STR_EQ(s->items[0].session_id, "day1");
    ASSERT_EQ(s->items[0].created_ms, T0 + 50);      /* its first event */
    ASSERT_EQ(s->items[0].last_ms, T0 + 100);
    ASSERT_EQ(s->items[0].n_events, 2);
    am_sessions_free(s);
    ASSERT_OK(am_session_list(db, mem, NULL, true, 0, NULL, &s));   /* all, newest first */
    ASSERT_EQ(s->n, 4);
    ASSERT_STR_EQ(s->items[0].session_id, "day2");
    am_sessions_free(s);
    /* paging one at a time visits every session once */
    char tok[256];
    const char *t = NULL;
    int n = 0;
    do {
        ASSERT_OK(am_session_list(db, mem, NULL, false, 1, t, &s));
        n += (int)s->n;
        if (s->next_token) {
            snprintf(tok, sizeof tok, "%s", s->next_token);
            t = tok;
        } else {
            t = NULL;
        }
        am_sessions_free(s);
    } while (t);
    ASSERT_EQ(n, 4);

    am_actors *a = NULL;
    ASSERT_OK(am_actor_list(db, mem, 2, NULL, &a));
    ASSERT_EQ(a->n, 2);
    ASSERT_STR_EQ(a->items[0].actor_id, "alice");
    ASSERT_EQ(a->items[0].n_sessions, 2);
    ASSERT_EQ(a->items[0].n_events, 3);
    ASSERT_NOT_NULL(a->next_token);
    snprintf(tok, sizeof tok, "%s", a->next_token);
    am_actors_free(a);
    ASSERT_OK(am_actor_list(db, mem, 2, tok, &a));
    ASSERT_EQ(a->n, 1);
    ASSERT_STR_EQ(a->items[0].actor_id, "carol@example.com");
    ASSERT_NULL(a->next_token);
    am_actors_free(a);
    ASSERT_EQ(am_session_list(db, "Nope-abcdefghij", NULL, false, 0, NULL, &s), AM_ENOTFOUND);
    am_close(db);
}

TEST(session_delete_leaves_nothing)
{
    am_db *db = th_open();
    char mem[128];
    am_memory_in in = {.name = "S", .event_expiry_days = 30,
                       .strategies_json = "[{\"semanticMemoryStrategy\":{\"name\":\"Facts\"}}]"};
    am_memories *m = NULL;
    ASSERT_OK(am_memory_create(db, &in, &m));
    snprintf(mem, sizeof mem, "%s", m->items[0].id);
    am_memories_free(m);
    for (int i = 0; i < 5; i++)
        ASSERT_OK(th_event(db, mem, "alice", "gone", T0 + i, "x", NULL));
    ASSERT_OK(th_event(db, mem, "alice", "kept", T0, "y", NULL));
    am_record_in r = {.memory_id = mem, .text = "fact from gone", .namespace_ = "/facts/alice",
                      .timestamp_ms = T0, .actor_id = "alice", .session_id = "gone"};
    ASSERT_OK(am_record_create(db, &r, NULL));
    r.session_id = "kept";
    ASSERT_OK(am_record_create(db, &r, NULL));
    ASSERT_EQ(count_rows("jobs", "session_id = 'gone'"), 1);   /* extraction was queued */

    int64_t n = 0;
    ASSERT_OK(am_session_delete(db, mem, "alice", "gone", &n));
    ASSERT_EQ(n, 5);
    ASSERT_EQ(count_rows("events", "session_id = 'gone'"), 0);
    ASSERT_EQ(count_rows("sessions", "session_id = 'gone'"), 0);
    ASSERT_EQ(count_rows("records", "session_id = 'gone'"), 0);
    ASSERT_EQ(count_rows("jobs", "session_id = 'gone'"), 0);
    ASSERT_EQ(count_rows("events", "session_id = 'kept'"), 1);
    ASSERT_EQ(count_rows("records", "session_id = 'kept'"), 1);
    ASSERT_EQ(am_session_delete(db, mem, "alice", "gone", &n), AM_ENOTFOUND);
    am_close(db);
}

TEST(actor_forget_erases_everything)
{
    am_db *db = th_open();
    char mem[128];
    th_memory(db, "S", 30, mem);
    for (int i = 0; i < 4; i++)
        ASSERT_OK(th_event(db, mem, "john.doe@example.com", i % 2 ? "s1" : "s2", T0 + i, "x",
                           NULL));
    ASSERT_OK(th_event(db, mem, "jane", "s1", T0, "keep me", NULL));
    am_record_in r = {.memory_id = mem, .text = "John prefers one workgroup",
                      .namespace_ = "/prefs/john.doe@example.com", .timestamp_ms = T0};
    ASSERT_OK(am_record_create(db, &r, NULL));          /* found by its namespace */
    r.namespace_ = "/facts";
    r.actor_id = "john.doe@example.com";
    ASSERT_OK(am_record_create(db, &r, NULL));          /* found by its provenance */
    r.actor_id = "jane";
    r.text = "Jane fact";
    ASSERT_OK(am_record_create(db, &r, NULL));
    int64_t ne = 0, nr = 0;
    ASSERT_OK(am_actor_forget(db, mem, "john.doe@example.com", &ne, &nr));
    ASSERT_EQ(ne, 4);
    ASSERT_EQ(nr, 2);
    ASSERT_EQ(count_rows("events", "actor_id = 'john.doe@example.com'"), 0);
    ASSERT_EQ(count_rows("sessions", "actor_id = 'john.doe@example.com'"), 0);
    ASSERT_EQ(count_rows("records", "text LIKE 'John%'"), 0);
    if (!th_is_pg())      /* PostgreSQL indexes the records row itself (tsv) */
        ASSERT_EQ(count_rows("records_fts", "records_fts MATCH 'workgroup'"), 0);
    ASSERT_EQ(count_rows("events", "actor_id = 'jane'"), 1);
    ASSERT_EQ(count_rows("records", "actor_id = 'jane'"), 1);
    ASSERT_OK(am_actor_forget(db, mem, "nobody", &ne, &nr));   /* unknown actor: zero */
    ASSERT_EQ(ne, 0);
    am_close(db);
}

TEST(expiry_hides_and_purges)
{
    am_db *db = th_open();
    char mem[128], forever[128], old_id[64];
    th_memory(db, "Short", 3, mem);
    th_memory(db, "Forever", 0, forever);
    ASSERT_OK(th_event(db, mem, "alice", "s1", T0, "old", old_id));
    ASSERT_OK(th_event(db, mem, "alice", "s1", T0 + 1, "fresh", NULL));
    ASSERT_OK(th_event(db, forever, "alice", "s1", T0, "kept forever", NULL));
    /* age the first event and the forever memory's event by 10 days on disk */
    exec_sql("UPDATE events SET created_ms = created_ms - 10 * 86400000 "
             "WHERE payload LIKE '%old%' OR payload LIKE '%forever%'");
    am_events *e = NULL;
    ASSERT_EQ(am_event_get(db, mem, "alice", "s1", old_id, &e), AM_ENOTFOUND);
    am_event_query q = {.memory_id = mem, .actor_id = "alice", .session_id = "s1",
                        .include_payloads = true};
    ASSERT_OK(am_event_list(db, &q, &e));
    ASSERT_EQ(e->n, 1);
    ASSERT_STR_EQ(e->items[0].payload[0].text, "fresh");
    am_events_free(e);
    int64_t n = 0;
    ASSERT_OK(am_purge_expired(db, am_now_ms(), &n));
    ASSERT_EQ(n, 1);
    ASSERT_EQ(count_rows("events", "1"), 2);
    am_sessions *s = NULL;
    ASSERT_OK(am_session_list(db, mem, "alice", false, 0, NULL, &s));
    ASSERT_EQ(s->items[0].n_events, 1);
    ASSERT_EQ(s->items[0].created_ms, T0 + 1);
    am_sessions_free(s);
    /* a purge far in the future removes everything of the 3-day memory, nothing forever */
    ASSERT_OK(am_purge_expired(db, am_now_ms() + 400LL * 86400000, &n));
    ASSERT_EQ(n, 1);
    ASSERT_EQ(count_rows("events", "1"), 1);
    ASSERT_EQ(count_rows("sessions", "1"), 1);
    am_close(db);
}

TEST(background_purge_runs)
{
    setenv("AGENTMEM_PURGE_INTERVAL", "1", 1);
    am_db *db = NULL;
    ASSERT_OK(am_open(th_store(), 0, &db));
    char mem[128];
    th_memory(db, "Short", 3, mem);
    ASSERT_OK(th_event(db, mem, "alice", "s1", T0, "old", NULL));
    exec_sql("UPDATE events SET created_ms = created_ms - 10 * 86400000");
    for (int i = 0; i < 50 && count_rows("events", "1") > 0; i++)
        usleep(100000);
    ASSERT_EQ(count_rows("events", "1"), 0);
    am_close(db);
}
