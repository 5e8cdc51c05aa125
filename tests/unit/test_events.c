/*
 * test_events.c - events: create, get, list, delete, validation, idempotency, branches,
 * metadata filters, pagination (src/core/events.c, src/store/sqlite/events.c).
 */
#include "helpers.h"

#include <pthread.h>
#include <sqlite3.h>

static const int64_t T0 = 1767225600000;   /* 2026-01-01 */

TEST(event_create_get_delete)
{
    am_db *db = th_open();
    char mem[128];
    th_memory(db, "E", 30, mem);
    am_payload p[3] = {
        {.kind = AM_PAYLOAD_CONVERSATIONAL, .role = AM_ROLE_USER, .text = "List my clusters"},
        {.kind = AM_PAYLOAD_CONVERSATIONAL, .role = AM_ROLE_ASSISTANT, .text = "prod-cluster, ünïcode ✓"},
        {.kind = AM_PAYLOAD_BLOB, .text = "{\"any\": [\"json\", 1, true, null]}"},
    };
    am_kv md[1] = {{"location", "NYC"}};
    am_event_in in = {.memory_id = mem, .actor_id = "user/alice:dev", .session_id = "s1",
                      .timestamp_ms = T0 + 123, .payload = p, .n_payload = 3,
                      .metadata = md, .n_metadata = 1};
    am_events *e = NULL;
    ASSERT_OK(am_event_create(db, &in, &e));
    ASSERT_EQ(e->n, 1);
    am_event *x = &e->items[0];
    ASSERT_EQ(strncmp(x->event_id, "0000001767225600123#", 20), 0);
    ASSERT_EQ(strlen(x->event_id), 19 + 1 + 8);
    ASSERT_EQ(x->timestamp_ms, T0 + 123);
    ASSERT_EQ(x->n_payload, 3);
    ASSERT_STR_EQ(x->payload[1].text, "prod-cluster, ünïcode ✓");
    ASSERT_EQ(x->payload[1].role, AM_ROLE_ASSISTANT);
    ASSERT_EQ(x->payload[2].kind, AM_PAYLOAD_BLOB);
    ASSERT_STR_EQ(x->payload[2].text, "{\"any\":[\"json\",1,true,null]}");
    ASSERT_EQ(x->n_metadata, 1);
    ASSERT_STR_EQ(x->metadata[0].value, "NYC");
    ASSERT_NULL(x->branch_name);
    char id[64];
    snprintf(id, sizeof id, "%s", x->event_id);
    am_events_free(e);

    ASSERT_OK(am_event_get(db, mem, "user/alice:dev", "s1", id, &e));
    ASSERT_STR_EQ(e->items[0].payload[0].text, "List my clusters");
    am_events_free(e);
    /* the same event seen from another session or actor does not exist */
    ASSERT_EQ(am_event_get(db, mem, "user/alice:dev", "s2", id, &e), AM_ENOTFOUND);
    ASSERT_EQ(am_event_get(db, mem, "bob", "s1", id, &e), AM_ENOTFOUND);
    ASSERT_EQ(am_event_delete(db, mem, "bob", "s1", id), AM_ENOTFOUND);
    ASSERT_OK(am_event_delete(db, mem, "user/alice:dev", "s1", id));
    ASSERT_EQ(am_event_get(db, mem, "user/alice:dev", "s1", id, &e), AM_ENOTFOUND);
    ASSERT_EQ(am_event_delete(db, mem, "user/alice:dev", "s1", id), AM_ENOTFOUND);
    am_sessions *s = NULL;
    ASSERT_OK(am_session_list(db, mem, "user/alice:dev", false, 0, NULL, &s));
    ASSERT_EQ(s->n, 0);                /* the session went with its last event */
    am_sessions_free(s);
    am_close(db);
}

TEST(event_generated_session_and_unknown_memory)
{
    am_db *db = th_open();
    char mem[128];
    th_memory(db, "E", 30, mem);
    am_payload p = {.kind = AM_PAYLOAD_CONVERSATIONAL, .role = AM_ROLE_USER, .text = "hi"};
    am_event_in in = {.memory_id = mem, .actor_id = "alice", .timestamp_ms = T0,
                      .payload = &p, .n_payload = 1};
    am_events *e = NULL;
    ASSERT_OK(am_event_create(db, &in, &e));
    ASSERT_EQ(strlen(e->items[0].session_id), 36);
    am_events_free(e);
    in.memory_id = "Missing-abcdefghij";
    ASSERT_EQ(am_event_create(db, &in, &e), AM_ENOTFOUND);
    ASSERT_STR_CONTAINS(am_errmsg(db), "Missing-abcdefghij");
    am_close(db);
}

struct bad_case {
    const char *what;
    const char *field;
};

TEST(event_validation)
{
    am_db *db = th_open();
    char mem[128];
    th_memory(db, "E", 30, mem);
    char long_text[100002];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    char long_actor[257];
    memset(long_actor, 'a', 256);
    long_actor[256] = '\0';
    am_payload good = {.kind = AM_PAYLOAD_CONVERSATIONAL, .role = AM_ROLE_USER, .text = "hi"};

    /* actor ids: the pattern, plus e-mail addresses */
    const char *ok_actors[] = {"alice", "user/alice:dev", "tenant-001:agent:user-42",
                               "john.doe@example.com", "a_b-c/d"};
    const char *bad_actors[] = {"", "-alice", "alice::dev", "alice:", "al ice", long_actor,
                                "john@", "@example.com", "x@y", "ali*ce"};
    for (size_t i = 0; i < sizeof ok_actors / sizeof ok_actors[0]; i++)
        ASSERT_OK(th_event(db, mem, ok_actors[i], "s1", T0, "hi", NULL));
    for (size_t i = 0; i < sizeof bad_actors / sizeof bad_actors[0]; i++) {
        ASSERT_EQ(th_event(db, mem, bad_actors[i], "s1", T0, "hi", NULL), AM_EINVAL);
        ASSERT_STR_EQ(am_errfield(db), "actorId");
        ASSERT_STR_CONTAINS(am_errmsg(db), "actorId");
    }
    const char *bad_sessions[] = {"", "_s", "s 1", "s/1", "s:1"};
    for (size_t i = 0; i < sizeof bad_sessions / sizeof bad_sessions[0]; i++) {
        ASSERT_EQ(th_event(db, mem, "alice", bad_sessions[i], T0, "hi", NULL), AM_EINVAL);
        ASSERT_STR_EQ(am_errfield(db), "sessionId");
    }
    ASSERT_EQ(th_event(db, mem, "alice", "s1", 0, "hi", NULL), AM_EINVAL);
    ASSERT_STR_EQ(am_errfield(db), "eventTimestamp");
    ASSERT_EQ(th_event(db, mem, "alice", "s1", T0, "", NULL), AM_EINVAL);
    ASSERT_STR_EQ(am_errfield(db), "payload[0].conversational.content.text");
    ASSERT_EQ(th_event(db, mem, "alice", "s1", T0, long_text, NULL), AM_EINVAL);
    ASSERT_STR_CONTAINS(am_errmsg(db), "less than or equal to 100000");
    long_text[100000 - 1] = '\0';
    ASSERT_OK(th_event(db, mem, "alice", "big", T0, long_text, NULL));
    ASSERT_EQ(th_event(db, mem, "alice", "s1", T0, "bad \xff utf8", NULL), AM_EINVAL);
    ASSERT_EQ(th_event(db, "bad id", "alice", "s1", T0, "hi", NULL), AM_EINVAL);
    ASSERT_STR_EQ(am_errfield(db), "memoryId");

    am_events *e = NULL;
    am_event_in in = {.memory_id = mem, .actor_id = "alice", .session_id = "s1",
                      .timestamp_ms = T0, .payload = &good, .n_payload = 0};
    ASSERT_EQ(am_event_create(db, &in, &e), AM_EINVAL);
    ASSERT_STR_EQ(am_errfield(db), "payload");
    am_payload many[101];
    for (int i = 0; i < 101; i++)
        many[i] = good;
    in.payload = many;
    in.n_payload = 101;
    ASSERT_EQ(am_event_create(db, &in, &e), AM_EINVAL);
    in.n_payload = 100;
    ASSERT_OK(am_event_create(db, &in, &e));
    ASSERT_EQ(e->items[0].n_payload, 100);
    am_events_free(e);
    e = NULL;
    am_payload badrole = {.kind = AM_PAYLOAD_CONVERSATIONAL, .role = 9, .text = "x"};
    in.payload = &badrole;
    in.n_payload = 1;
    ASSERT_EQ(am_event_create(db, &in, &e), AM_EINVAL);
    ASSERT_STR_CONTAINS(am_errmsg(db), "enum value set");
    am_payload badblob = {.kind = AM_PAYLOAD_BLOB, .text = "{not json"};
    in.payload = &badblob;
    ASSERT_EQ(am_event_create(db, &in, &e), AM_EINVAL);
    ASSERT_STR_EQ(am_errfield(db), "payload[0].blob");

    in.payload = &good;
    am_kv md[16];
    char keys[16][16];
    for (int i = 0; i < 16; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        md[i] = (am_kv){keys[i], "v"};
    }
    in.metadata = md;
    in.n_metadata = 16;
    ASSERT_EQ(am_event_create(db, &in, &e), AM_EINVAL);
    in.n_metadata = 15;
    ASSERT_OK(am_event_create(db, &in, &e));
    am_events_free(e);
    e = NULL;
    am_kv badmd[2] = {{"k", "v"}, {"k", "w"}};
    in.metadata = badmd;
    in.n_metadata = 2;
    ASSERT_EQ(am_event_create(db, &in, &e), AM_EINVAL);
    am_kv badval[1] = {{"k", "no\"quotes"}};
    in.metadata = badval;
    in.n_metadata = 1;
    ASSERT_EQ(am_event_create(db, &in, &e), AM_EINVAL);
    ASSERT_STR_EQ(am_errfield(db), "metadata.k");

    /* none of the failures stored anything: the sessions list only the good writes */
    am_sessions *s = NULL;
    ASSERT_OK(am_session_list(db, mem, "alice", false, 0, NULL, &s));
    ASSERT_EQ(s->n, 2);              /* s1 and big */
    int64_t total = s->items[0].n_events + s->items[1].n_events;
    ASSERT_EQ(total, 4);             /* hi, long, 100 items, 15 metadata */
    am_sessions_free(s);
    am_close(db);
}

TEST(event_client_token_idempotent)
{
    am_db *db = th_open();
    char mem[128];
    th_memory(db, "E", 30, mem);
    am_payload p = {.kind = AM_PAYLOAD_CONVERSATIONAL, .role = AM_ROLE_USER, .text = "once"};
    am_event_in in = {.memory_id = mem, .actor_id = "alice", .session_id = "s1",
                      .timestamp_ms = T0, .payload = &p, .n_payload = 1,
                      .client_token = "retry-1"};
    am_events *a = NULL, *b = NULL;
    ASSERT_OK(am_event_create(db, &in, &a));
    ASSERT_OK(am_event_create(db, &in, &b));
    ASSERT_STR_EQ(a->items[0].event_id, b->items[0].event_id);
    am_events_free(b);
    b = NULL;
    p.text = "different";
    ASSERT_EQ(am_event_create(db, &in, &b), AM_ECONFLICT);
    ASSERT_STR_EQ(am_errfield(db), "clientToken");
    /* a generated session id is replayed too */
    p.text = "gen";
    in.session_id = NULL;
    in.client_token = "retry-2";
    ASSERT_OK(am_event_create(db, &in, &b));
    am_events *c = NULL;
    ASSERT_OK(am_event_create(db, &in, &c));
    ASSERT_STR_EQ(b->items[0].session_id, c->items[0].session_id);
    ASSERT_STR_EQ(b->items[0].event_id, c->items[0].event_id);
    am_events_free(a);
    am_events_free(b);
    am_events_free(c);
    am_event_query q = {.memory_id = mem, .actor_id = "alice", .session_id = "s1"};
    ASSERT_OK(am_event_list(db, &q, &a));
    ASSERT_EQ(a->n, 1);
    am_events_free(a);
    am_close(db);
}

/* Page through a session; returns the number of events seen, checking strict order. */
static int page_all(am_db *db, am_event_query *q, int64_t *ts_out, int cap)
{
    char tok[512];
    int n = 0;
    q->next_token = NULL;
    for (;;) {
        am_events *e = NULL;
        ASSERT_OK(am_event_list(db, q, &e));
        ASSERT(e->n > 0 || !e->next_token);
        for (size_t i = 0; i < e->n; i++) {
            if (n < cap)
                ts_out[n] = e->items[i].timestamp_ms;
            n++;
        }
        if (!e->next_token) {
            am_events_free(e);
            break;
        }
        snprintf(tok, sizeof tok, "%s", e->next_token);
        q->next_token = tok;
        am_events_free(e);
    }
    return n;
}

TEST(event_list_order_and_pages)
{
    am_db *db = th_open();
    char mem[128];
    th_memory(db, "E", 30, mem);
    for (int i = 0; i < 45; i++)           /* timestamps out of order, some equal */
        ASSERT_OK(th_event(db, mem, "alice", "s1", T0 + (i * 7919) % 40, "turn", NULL));
    ASSERT_OK(th_event(db, mem, "alice", "other", T0, "elsewhere", NULL));
    int64_t ts[64];
    am_event_query q = {.memory_id = mem, .actor_id = "alice", .session_id = "s1",
                        .max_results = 10, .include_payloads = true};
    ASSERT_EQ(page_all(db, &q, ts, 64), 45);
    for (int i = 1; i < 45; i++)
        ASSERT_LE(ts[i], ts[i - 1]);            /* newest first */
    q.oldest_first = true;
    ASSERT_EQ(page_all(db, &q, ts, 64), 45);
    for (int i = 1; i < 45; i++)
        ASSERT_GE(ts[i], ts[i - 1]);
    q.max_results = 45;                          /* exactly one full page: no token */
    q.next_token = NULL;
    am_events *e = NULL;
    ASSERT_OK(am_event_list(db, &q, &e));
    ASSERT_EQ(e->n, 45);
    ASSERT_NULL(e->next_token);
    am_events_free(e);
    q.include_payloads = false;
    ASSERT_OK(am_event_list(db, &q, &e));
    ASSERT_EQ(e->items[0].n_payload, 0);
    am_events_free(e);
    q.max_results = 0;
    ASSERT_OK(am_event_list(db, &q, &e));
    ASSERT_EQ(e->n, AM_DEFAULT_RESULTS);
    am_events_free(e);
    q.max_results = 101;
    ASSERT_EQ(am_event_list(db, &q, &e), AM_EINVAL);
    q.max_results = 10;
    q.next_token = "bm90IGEgdG9rZW4";
    ASSERT_EQ(am_event_list(db, &q, &e), AM_EINVAL);
    ASSERT_STR_EQ(am_errfield(db), "nextToken");
    q.oldest_first = false;                      /* a token of the other order is refused */
    am_events *first = NULL;
    q.next_token = NULL;
    ASSERT_OK(am_event_list(db, &q, &first));
    q.oldest_first = true;
    q.next_token = first->next_token;
    ASSERT_EQ(am_event_list(db, &q, &e), AM_EINVAL);
    am_events_free(first);
    am_close(db);
}

struct writer_arg {
    am_db *db;
    const char *mem;
    int n;
};

static void *late_writer(void *p)
{
    struct writer_arg *w = p;
    for (int i = 0; i < w->n; i++)
        th_event(w->db, w->mem, "alice", "s1", T0 + 1000 + i, "new", NULL);
    return NULL;
}

TEST(event_pagination_under_concurrent_inserts)
{
    am_db *db = th_open();
    char mem[128];
    th_memory(db, "E", 30, mem);
    for (int i = 0; i < 200; i++)
        ASSERT_OK(th_event(db, mem, "alice", "s1", T0 + i, "old", NULL));
    /* page newest-first while another thread appends newer events: every old event is
       seen exactly once, in order */
    struct writer_arg w = {db, mem, 300};
    pthread_t t;
    pthread_create(&t, NULL, late_writer, &w);
    am_event_query q = {.memory_id = mem, .actor_id = "alice", .session_id = "s1",
                        .max_results = 7, .include_payloads = true};
    char tok[512];
    int old_seen = 0;
    int64_t prev = INT64_MAX;
    bool first = true;
    q.next_token = NULL;
    for (;;) {
        am_events *e = NULL;
        ASSERT_OK(am_event_list(db, &q, &e));
        for (size_t i = 0; i < e->n; i++) {
            ASSERT_LE(e->items[i].timestamp_ms, prev);
            prev = e->items[i].timestamp_ms;
            if (strcmp(e->items[i].payload[0].text, "old") == 0)
                old_seen++;
        }
        (void)first;
        first = false;
        if (!e->next_token) {
            am_events_free(e);
            break;
        }
        snprintf(tok, sizeof tok, "%s", e->next_token);
        q.next_token = tok;
        am_events_free(e);
    }
    pthread_join(t, NULL);
    ASSERT_EQ(old_seen, 200);
    /* and oldest-first paging sees the old events first, in order, then new ones */
    int64_t ts[600];
    q.oldest_first = true;
    ASSERT_EQ(page_all(db, &q, ts, 600), 500);
    for (int i = 0; i < 200; i++)
        ASSERT_EQ(ts[i], T0 + i);
    am_close(db);
}

TEST(event_branches)
{
    am_db *db = th_open();
    char mem[128], e1[64], e2[64], e3[64];
    th_memory(db, "E", 30, mem);
    ASSERT_OK(th_event(db, mem, "alice", "s1", T0 + 1, "main 1", e1));
    ASSERT_OK(th_event(db, mem, "alice", "s1", T0 + 2, "main 2", e2));
    ASSERT_OK(th_event(db, mem, "alice", "s1", T0 + 3, "main 3", e3));
    am_payload p = {.kind = AM_PAYLOAD_CONVERSATIONAL, .role = AM_ROLE_USER, .text = "alt 1"};
    am_event_in in = {.memory_id = mem, .actor_id = "alice", .session_id = "s1",
                      .timestamp_ms = T0 + 4, .payload = &p, .n_payload = 1,
                      .branch_name = "alt", .branch_root_event_id = e2};
    am_events *e = NULL;
    ASSERT_OK(am_event_create(db, &in, &e));
    ASSERT_STR_EQ(e->items[0].branch_name, "alt");
    ASSERT_STR_EQ(e->items[0].branch_root_event_id, e2);
    am_events_free(e);
    in.branch_root_event_id = NULL;           /* continue the branch */
    in.timestamp_ms = T0 + 5;
    p.text = "alt 2";
    ASSERT_OK(am_event_create(db, &in, &e));
    am_events_free(e);
    in.branch_name = "ghost";                 /* a new branch needs a root */
    ASSERT_EQ(am_event_create(db, &in, &e), AM_EINVAL);
    in.branch_root_event_id = "0000001767225600999#abcdef01";
    ASSERT_EQ(am_event_create(db, &in, &e), AM_ENOTFOUND);

    am_event_query q = {.memory_id = mem, .actor_id = "alice", .session_id = "s1",
                        .include_payloads = true, .oldest_first = true};
    ASSERT_OK(am_event_list(db, &q, &e));
    ASSERT_EQ(e->n, 5);                       /* no filter: every branch */
    am_events_free(e);
    q.branch = "alt";
    ASSERT_OK(am_event_list(db, &q, &e));
    ASSERT_EQ(e->n, 2);
    am_events_free(e);
    q.include_parent_branches = true;         /* alt plus main up to the fork point */
    ASSERT_OK(am_event_list(db, &q, &e));
    ASSERT_EQ(e->n, 4);
    ASSERT_STR_EQ(e->items[0].payload[0].text, "main 1");
    ASSERT_STR_EQ(e->items[1].payload[0].text, "main 2");
    ASSERT_STR_EQ(e->items[2].payload[0].text, "alt 1");
    ASSERT_STR_EQ(e->items[3].payload[0].text, "alt 2");
    am_events_free(e);
    q.branch = "main";
    q.include_parent_branches = false;
    ASSERT_OK(am_event_list(db, &q, &e));
    ASSERT_EQ(e->n, 3);
    am_events_free(e);
    (void)e1;
    (void)e3;
    am_close(db);
}

TEST(event_metadata_filters)
{
    am_db *db = th_open();
    char mem[128];
    th_memory(db, "E", 30, mem);
    const char *locs[] = {"NYC", "SFO", NULL, "NYC", NULL};
    for (int i = 0; i < 5; i++) {
        am_payload p = {.kind = AM_PAYLOAD_CONVERSATIONAL, .role = AM_ROLE_USER, .text = "x"};
        am_kv md = {"location", locs[i]};
        am_event_in in = {.memory_id = mem, .actor_id = "alice", .session_id = "s1",
                          .timestamp_ms = T0 + i, .payload = &p, .n_payload = 1,
                          .metadata = locs[i] ? &md : NULL, .n_metadata = locs[i] ? 1 : 0};
        am_events *e = NULL;
        ASSERT_OK(am_event_create(db, &in, &e));
        am_events_free(e);
    }
    am_event_filter f = {"location", AM_FILTER_EQUALS, "NYC"};
    am_event_query q = {.memory_id = mem, .actor_id = "alice", .session_id = "s1",
                        .filters = &f, .n_filters = 1, .max_results = 1};
    int64_t ts[8];
    ASSERT_EQ(page_all(db, &q, ts, 8), 2);     /* full pages even with a filter */
    f.op = AM_FILTER_EXISTS;
    ASSERT_EQ(page_all(db, &q, ts, 8), 3);
    f.op = AM_FILTER_NOT_EXISTS;
    ASSERT_EQ(page_all(db, &q, ts, 8), 2);
    f.op = 42;
    am_events *e = NULL;
    ASSERT_EQ(am_event_list(db, &q, &e), AM_EINVAL);
    am_close(db);
}

TEST(event_search_verbatim)
{
    am_db *db = th_open();
    char mem[128];
    th_memory(db, "E", 30, mem);
    ASSERT_OK(th_event(db, mem, "alice", "d1", T0, "The WLM config has queues etl and adhoc",
                       NULL));
    ASSERT_OK(th_event(db, mem, "alice", "d2", T0 + 1, "Lunch was great today", NULL));
    ASSERT_OK(th_event(db, mem, "bob", "d1", T0 + 2, "Bob's WLM queues are different", NULL));
    am_events *e = NULL;
    ASSERT_OK(am_event_search(db, mem, "alice", NULL, "WLM queues", 5, &e));
    ASSERT_EQ(e->n, 0);                  /* not indexed until the worker step runs */
    am_events_free(e);
    int done = 0;
    ASSERT_OK(am_extract_run(db, 10, &done));
    ASSERT_OK(am_event_search(db, mem, "alice", NULL, "WLM queues", 5, &e));
    ASSERT_EQ(e->n, 1);                  /* alice's only: bob's is another actor */
    ASSERT_STR_CONTAINS(e->items[0].payload[0].text, "etl");
    am_events_free(e);
    ASSERT_OK(am_event_search(db, mem, "alice", "d2", "WLM", 5, &e));
    ASSERT_EQ(e->n, 0);
    am_events_free(e);
    /* deleted events leave the index */
    int64_t n = 0;
    ASSERT_OK(am_session_delete(db, mem, "alice", "d1", &n));
    ASSERT_OK(am_event_search(db, mem, "alice", NULL, "WLM queues", 5, &e));
    ASSERT_EQ(e->n, 0);
    am_events_free(e);
    ASSERT_EQ(am_event_search(db, mem, "alice", NULL, "", 5, &e), AM_EINVAL);
    am_close(db);
}
