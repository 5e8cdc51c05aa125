/*
 * test_records.c - long-term memory records: CRUD, namespaces, listing, lexical search
 * (src/core/records.c, src/store/sqlite/records.c).
 */
#include "helpers.h"


static const int64_t T0 = 1767225600000;

static void add(am_db *db, const char *mem, const char *ns, const char *text, int64_t ts,
                char *out_id)
{
    am_record_in r = {.memory_id = mem, .text = text, .namespace_ = ns, .timestamp_ms = ts,
                      .strategy_id = "facts-Ab12Cd34Ef"};
    char *id = NULL;
    ASSERT_OK(am_record_create(db, &r, &id));
    ASSERT_EQ(strlen(id), 40);
    ASSERT_EQ(strncmp(id, "mem-", 4), 0);
    if (out_id)
        snprintf(out_id, 64, "%s", id);
    am_free(id);
}

TEST(record_crud)
{
    am_db *db = th_open();
    char mem[128], id[64];
    th_memory(db, "R", 30, mem);
    add(db, mem, "/facts/alice", "prod-cluster runs 4 ra3.4xlarge nodes in us-east-2", T0, id);
    am_records *r = NULL;
    ASSERT_OK(am_record_get(db, mem, id, &r));
    ASSERT_STR_EQ(r->items[0].text, "prod-cluster runs 4 ra3.4xlarge nodes in us-east-2");
    ASSERT_STR_EQ(r->items[0].namespace_, "/facts/alice");
    ASSERT_STR_EQ(r->items[0].strategy_id, "facts-Ab12Cd34Ef");
    ASSERT_EQ(r->items[0].created_ms, T0);
    am_records_free(r);
    am_record_in up = {.memory_id = mem, .record_id = id, .text = "prod-cluster runs 6 nodes",
                       .timestamp_ms = T0 + 5, .metadata_json = "{\"priority\":{\"numberValue\":3}}"};
    ASSERT_OK(am_record_update(db, &up));
    ASSERT_OK(am_record_get(db, mem, id, &r));
    ASSERT_STR_EQ(r->items[0].text, "prod-cluster runs 6 nodes");
    ASSERT_STR_EQ(r->items[0].namespace_, "/facts/alice");   /* kept */
    ASSERT_STR_CONTAINS(r->items[0].metadata_json, "numberValue");
    am_records_free(r);
    up.metadata_json = "[1]";
    ASSERT_EQ(am_record_update(db, &up), AM_EINVAL);
    up.metadata_json = NULL;
    up.record_id = "mem-00000000-0000-4000-8000-000000000000";
    ASSERT_EQ(am_record_update(db, &up), AM_ENOTFOUND);
    ASSERT_EQ(am_record_get(db, mem, "nope", &r), AM_EINVAL);
    ASSERT_STR_EQ(am_errfield(db), "memoryRecordId");
    ASSERT_OK(am_record_delete(db, mem, id));
    ASSERT_EQ(am_record_get(db, mem, id, &r), AM_ENOTFOUND);
    ASSERT_EQ(am_record_delete(db, mem, id), AM_ENOTFOUND);
    am_record_in bad = {.memory_id = mem, .text = "", .namespace_ = "/x", .timestamp_ms = T0};
    ASSERT_EQ(am_record_create(db, &bad, NULL), AM_EINVAL);
    ASSERT_STR_EQ(am_errfield(db), "content.text");
    bad.text = "ok";
    bad.namespace_ = "bad namespace";
    ASSERT_EQ(am_record_create(db, &bad, NULL), AM_EINVAL);
    am_close(db);
}

TEST(record_namespaces_and_pages)
{
    am_db *db = th_open();
    char mem[128];
    th_memory(db, "R", 30, mem);
    add(db, mem, "/actors/alice", "a0", T0, NULL);
    add(db, mem, "/actors/alice/prefs", "a1", T0 + 1, NULL);
    add(db, mem, "/actors/alice/facts/x", "a2", T0 + 2, NULL);
    add(db, mem, "/actors/alicex", "not alice", T0 + 3, NULL);
    add(db, mem, "/actors/bob", "b", T0 + 4, NULL);
    am_record_query q = {.memory_id = mem, .namespace_ = "/actors/alice"};
    am_records *r = NULL;
    ASSERT_OK(am_record_list(db, &q, &r));
    ASSERT_EQ(r->n, 3);                            /* '/' boundary: not alicex */
    ASSERT_STR_EQ(r->items[0].text, "a2");         /* newest first */
    am_records_free(r);
    q.namespace_ = "/actors/alice/";
    ASSERT_OK(am_record_list(db, &q, &r));
    ASSERT_EQ(r->n, 3);
    am_records_free(r);
    q.namespace_ = "/";
    ASSERT_OK(am_record_list(db, &q, &r));
    ASSERT_EQ(r->n, 5);
    am_records_free(r);
    q.max_results = 2;
    char tok[256];
    int n = 0;
    for (;;) {
        ASSERT_OK(am_record_list(db, &q, &r));
        n += (int)r->n;
        if (!r->next_token) {
            am_records_free(r);
            break;
        }
        snprintf(tok, sizeof tok, "%s", r->next_token);
        q.next_token = tok;
        am_records_free(r);
    }
    ASSERT_EQ(n, 5);
    q.next_token = NULL;
    q.namespace_path = "/x";
    ASSERT_EQ(am_record_list(db, &q, &r), AM_EINVAL);   /* both given */
    am_close(db);
}

TEST(record_search_lexical)
{
    am_db *db = th_open();
    char mem[128];
    th_memory(db, "R", 30, mem);
    add(db, mem, "/facts/alice", "The WLM configuration has three queues: etl, reporting, adhoc",
        T0, NULL);
    add(db, mem, "/facts/alice", "prod-cluster runs 4 ra3.4xlarge nodes in us-east-2", T0, NULL);
    add(db, mem, "/facts/alice", "Alice prefers a single workgroup", T0, NULL);
    add(db, mem, "/facts/bob", "Bob's WLM queues are unknown", T0, NULL);
    am_record_query q = {.memory_id = mem, .namespace_ = "/facts/alice",
                         .query = "What were the WLM queues we found?", .top_k = 5};
    am_records *r = NULL;
    ASSERT_OK(am_record_search(db, &q, &r));
    ASSERT_GE(r->n, 1);
    ASSERT_STR_CONTAINS(r->items[0].text, "WLM configuration");
    for (size_t i = 0; i < r->n; i++) {
        ASSERT(r->items[i].score > 0 && r->items[i].score <= 1);
        ASSERT_STR_EQ(r->items[i].namespace_, "/facts/alice");
        if (i)
            ASSERT(r->items[i].score <= r->items[i - 1].score);
    }
    am_records_free(r);
    q.query = "\"unbalanced AND (NEAR *";         /* hostile FTS syntax is just words */
    ASSERT_OK(am_record_search(db, &q, &r));
    am_records_free(r);
    q.query = "?!";
    ASSERT_OK(am_record_search(db, &q, &r));
    ASSERT_EQ(r->n, 0);
    am_records_free(r);
    q.query = "";
    ASSERT_EQ(am_record_search(db, &q, &r), AM_EINVAL);
    q.query = "x";
    q.top_k = 101;
    ASSERT_EQ(am_record_search(db, &q, &r), AM_EINVAL);
    am_close(db);
}

TEST(record_search_hybrid_finds_typos)
{
    am_db *db = th_open();
    char mem[128];
    th_memory(db, "R", 30, mem);
    add(db, mem, "/facts/alice", "Always take a snapshot of prod-cluster before a migration", T0,
        NULL);
    add(db, mem, "/facts/alice", "The team meets on Tuesdays", T0, NULL);
    /* a misspelt query shares no FTS term with the record, but its character trigrams do */
    am_record_query q = {.memory_id = mem, .namespace_ = "/facts", .query = "snapshoting",
                         .top_k = 1};
    am_records *r = NULL;
    ASSERT_OK(am_record_search(db, &q, &r));
    ASSERT_EQ(r->n, 1);
    ASSERT_STR_CONTAINS(r->items[0].text, "snapshot");
    ASSERT(r->items[0].score > 0 && r->items[0].score <= 1);
    am_records_free(r);
    /* pages of a top_k result: two pages of one */
    q.query = "snapshot migration Tuesdays team";
    q.top_k = 2;
    q.max_results = 1;
    ASSERT_OK(am_record_search(db, &q, &r));
    ASSERT_EQ(r->n, 1);
    ASSERT_NOT_NULL(r->next_token);
    char tok[128], first[64];
    snprintf(tok, sizeof tok, "%s", r->next_token);
    snprintf(first, sizeof first, "%s", r->items[0].record_id);
    am_records_free(r);
    q.next_token = tok;
    ASSERT_OK(am_record_search(db, &q, &r));
    ASSERT_EQ(r->n, 1);
    ASSERT_NULL(r->next_token);
    ASSERT(strcmp(first, r->items[0].record_id) != 0);
    am_records_free(r);
    am_close(db);
}

TEST(record_vectors_reindexed_after_model_change)
{
    am_db *db = th_open();
    char mem[128];
    th_memory(db, "R", 30, mem);
    for (int i = 0; i < 150; i++) {
        char text[64];
        snprintf(text, sizeof text, "fact number %d about snapshots", i);
        add(db, mem, "/facts/alice", text, T0 + i, NULL);
    }
    /* pretend another embedding model made these vectors */
    th_exec(th_is_pg() ? "UPDATE records SET embed_model = 'old-model', embedding = "
                         "decode(repeat('00', 16), 'hex')"
                       : "UPDATE records SET embed_model = 'old-model', embedding = "
                         "zeroblob(16)");
    /* a typo finds nothing lexically, and no vector of the current model exists yet */
    am_record_query q = {.memory_id = mem, .namespace_ = "/facts", .query = "snapshtos",
                         .top_k = 3};
    am_records *r = NULL;
    ASSERT_OK(am_record_search(db, &q, &r));
    ASSERT_EQ(r->n, 0);
    am_records_free(r);
    int done = 0;
    ASSERT_OK(am_extract_run(db, 10, &done));
    ASSERT_EQ(th_count("records", "embed_model = 'old-model'"), 0);
    ASSERT_OK(am_record_search(db, &q, &r));
    ASSERT_EQ(r->n, 3);                  /* found by their new vectors */
    am_records_free(r);
    am_close(db);
}
