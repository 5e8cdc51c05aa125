/*
 * test_memories.c - memories and strategies (src/core/memories.c).
 */
#include "helpers.h"

#include <jansson.h>

TEST(memory_create_get_list_delete)
{
    am_db *db = th_open();
    am_memory_in in = {.name = "RedshiftMigrationMemory", .description = "migrations",
                       .event_expiry_days = 90};
    am_memories *m = NULL;
    ASSERT_OK(am_memory_create(db, &in, &m));
    ASSERT_EQ(m->n, 1);
    const am_memory *x = &m->items[0];
    ASSERT_EQ(strncmp(x->id, "RedshiftMigrationMemory-", 24), 0);
    ASSERT_EQ(strlen(x->id), 24 + 10);
    ASSERT_STR_CONTAINS(x->arn, ":memory/RedshiftMigrationMemory-");
    ASSERT_STR_EQ(x->status, "ACTIVE");
    ASSERT_STR_EQ(x->description, "migrations");
    ASSERT_EQ(x->event_expiry_days, 90);
    ASSERT_STR_EQ(x->strategies_json, "[]");
    char id[128];
    snprintf(id, sizeof id, "%s", x->id);
    char arn[256];
    snprintf(arn, sizeof arn, "%s", x->arn);
    am_memories_free(m);

    ASSERT_OK(am_memory_get(db, id, &m));
    ASSERT_STR_EQ(m->items[0].name, "RedshiftMigrationMemory");
    am_memories_free(m);
    ASSERT_OK(am_memory_get(db, arn, &m));     /* an ARN names the memory too */
    ASSERT_STR_EQ(m->items[0].id, id);
    am_memories_free(m);
    ASSERT_OK(am_memory_find(db, "RedshiftMigrationMemory", &m));
    ASSERT_STR_EQ(m->items[0].id, id);
    am_memories_free(m);

    ASSERT_OK(am_memory_delete(db, id));
    ASSERT_EQ(am_memory_get(db, id, &m), AM_ENOTFOUND);
    ASSERT_NULL(m);
    ASSERT_EQ(am_memory_delete(db, id), AM_ENOTFOUND);
    am_close(db);
}

TEST(memory_duplicate_name_and_client_token)
{
    am_db *db = th_open();
    am_memory_in in = {.name = "Dup", .event_expiry_days = 30, .client_token = "tok-1"};
    am_memories *a = NULL, *b = NULL;
    ASSERT_OK(am_memory_create(db, &in, &a));
    ASSERT_OK(am_memory_create(db, &in, &b));          /* same token: same memory */
    ASSERT_STR_EQ(a->items[0].id, b->items[0].id);
    am_memories_free(b);
    b = NULL;
    in.client_token = "tok-2";
    ASSERT_EQ(am_memory_create(db, &in, &b), AM_EINVAL);
    ASSERT_STR_CONTAINS(am_errmsg(db), "already exists");
    ASSERT_STR_EQ(am_errfield(db), "name");
    am_memories *l = NULL;
    ASSERT_OK(am_memory_list(db, 0, NULL, &l));
    ASSERT_EQ(l->n, 1);
    am_memories_free(l);
    am_memories_free(a);
    am_close(db);
}

TEST(memory_validation)
{
    am_db *db = th_open();
    am_memories *m = NULL;
    const char *bad_names[] = {"", "1abc", "has-hyphen", "with space",
                               "a234567890123456789012345678901234567890123456789"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        am_memory_in in = {.name = bad_names[i], .event_expiry_days = 30};
        ASSERT_EQ(am_memory_create(db, &in, &m), AM_EINVAL);
        ASSERT_STR_EQ(am_errfield(db), "name");
    }
    int bad_days[] = {-1, 1, 2, 366};
    for (size_t i = 0; i < 4; i++) {
        am_memory_in in = {.name = "ok", .event_expiry_days = bad_days[i]};
        ASSERT_EQ(am_memory_create(db, &in, &m), AM_EINVAL);
        ASSERT_STR_EQ(am_errfield(db), "eventExpiryDuration");
    }
    am_memory_in forever = {.name = "Forever", .event_expiry_days = 0};
    ASSERT_OK(am_memory_create(db, &forever, &m));
    ASSERT_EQ(m->items[0].event_expiry_days, 0);
    am_memories_free(m);
    ASSERT_EQ(am_memory_get(db, "short", &m), AM_EINVAL);
    ASSERT_EQ(am_memory_get(db, "Nope-abcdefghij", &m), AM_ENOTFOUND);
    /* nothing was created by the failures */
    am_memories *l = NULL;
    ASSERT_OK(am_memory_list(db, 0, NULL, &l));
    ASSERT_EQ(l->n, 1);
    am_memories_free(l);
    am_close(db);
}

TEST(memory_strategies)
{
    am_db *db = th_open();
    am_memory_in in = {
        .name = "S", .event_expiry_days = 30,
        .strategies_json =
            "[{\"summaryMemoryStrategy\":{\"name\":\"SessionSummarizer\","
            "\"namespaces\":[\"/summaries/{actorId}/{sessionId}\"]}},"
            "{\"userPreferenceMemoryStrategy\":{\"name\":\"Prefs\"}},"
            "{\"semanticMemoryStrategy\":{\"name\":\"Facts\",\"namespaceTemplates\":[\"/facts/{actorId}\"]}},"
            "{\"customMemoryStrategy\":{\"name\":\"Custom\",\"configuration\":{\"semanticOverride\":"
            "{\"extraction\":{\"appendToPrompt\":\"be brief\",\"modelId\":\"m1\"}}}}}]",
    };
    am_memories *m = NULL;
    ASSERT_OK(am_memory_create(db, &in, &m));
    json_t *s = json_loads(m->items[0].strategies_json, 0, NULL);
    ASSERT_EQ(json_array_size(s), 4);
    json_t *sum = json_array_get(s, 0), *pref = json_array_get(s, 1);
    json_t *cust = json_array_get(s, 3);
    ASSERT_STR_EQ(json_string_value(json_object_get(sum, "type")), "SUMMARIZATION");
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(sum, "namespaces"), 0)),
                  "/summaries/{actorId}/{sessionId}");
    ASSERT_EQ(strncmp(json_string_value(json_object_get(sum, "strategyId")),
                      "SessionSummarizer-", 18), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(pref, "type")), "USER_PREFERENCE");
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(pref, "namespaceTemplates"), 0)),
                  "/strategy/{memoryStrategyId}/actors/{actorId}");
    ASSERT_STR_EQ(json_string_value(json_object_get(cust, "type")), "CUSTOM");
    json_t *cfg = json_object_get(cust, "configuration");
    ASSERT_STR_EQ(json_string_value(json_object_get(cfg, "type")), "SEMANTIC_OVERRIDE");
    ASSERT_NOT_NULL(json_object_get(json_object_get(json_object_get(cfg, "extraction"),
                                                    "customExtractionConfiguration"),
                                    "semanticExtractionOverride"));
    char sid[128], id[128];
    snprintf(sid, sizeof sid, "%s", json_string_value(json_object_get(pref, "strategyId")));
    snprintf(id, sizeof id, "%s", m->items[0].id);
    json_decref(s);
    am_memories_free(m);

    /* update: delete one, modify one, add a duplicate type (refused, nothing changes) */
    char patch[512];
    snprintf(patch, sizeof patch,
             "{\"addMemoryStrategies\":[{\"semanticMemoryStrategy\":{\"name\":\"Facts2\"}}]}");
    am_memory_update upd = {.event_expiry_days = -1, .strategies_json = patch};
    ASSERT_EQ(am_memory_update_apply(db, id, &upd, &m), AM_EINVAL);
    ASSERT_STR_CONTAINS(am_errmsg(db), "only one SEMANTIC");
    snprintf(patch, sizeof patch,
             "{\"deleteMemoryStrategies\":[{\"memoryStrategyId\":\"%s\"}],"
             "\"modifyMemoryStrategies\":[]}", sid);
    upd.strategies_json = patch;
    upd.description = "now with fewer strategies";
    upd.event_expiry_days = 7;
    ASSERT_OK(am_memory_update_apply(db, id, &upd, &m));
    s = json_loads(m->items[0].strategies_json, 0, NULL);
    ASSERT_EQ(json_array_size(s), 3);
    ASSERT_EQ(m->items[0].event_expiry_days, 7);
    ASSERT_STR_EQ(m->items[0].description, "now with fewer strategies");
    json_decref(s);
    am_memories_free(m);

    /* too many strategies */
    am_memory_in many = {.name = "Many", .event_expiry_days = 30,
                         .strategies_json = "[{\"customMemoryStrategy\":{\"name\":\"a\"}},"
                                            "{\"customMemoryStrategy\":{\"name\":\"b\"}},"
                                            "{\"customMemoryStrategy\":{\"name\":\"c\"}},"
                                            "{\"customMemoryStrategy\":{\"name\":\"d\"}},"
                                            "{\"customMemoryStrategy\":{\"name\":\"e\"}},"
                                            "{\"customMemoryStrategy\":{\"name\":\"f\"}},"
                                            "{\"customMemoryStrategy\":{\"name\":\"g\"}}]"};
    ASSERT_EQ(am_memory_create(db, &many, &m), AM_EQUOTA);
    am_memory_in bad = {.name = "Bad", .event_expiry_days = 30,
                        .strategies_json = "[{\"nopeStrategy\":{\"name\":\"a\"}}]"};
    ASSERT_EQ(am_memory_create(db, &bad, &m), AM_EINVAL);
    am_close(db);
}

TEST(memory_list_pagination)
{
    am_db *db = th_open();
    char id[128], name[32];
    for (int i = 0; i < 7; i++) {
        snprintf(name, sizeof name, "m%d", i);
        th_memory(db, name, 30, id);
    }
    const char *tok = NULL;
    char tokbuf[256];
    int seen = 0, pages = 0;
    do {
        am_memories *m = NULL;
        ASSERT_OK(am_memory_list(db, 3, tok, &m));
        seen += (int)m->n;
        pages++;
        if (m->next_token) {
            snprintf(tokbuf, sizeof tokbuf, "%s", m->next_token);
            tok = tokbuf;
        } else {
            tok = NULL;
        }
        am_memories_free(m);
    } while (tok);
    ASSERT_EQ(seen, 7);
    ASSERT_EQ(pages, 3);
    am_memories *m = NULL;
    ASSERT_EQ(am_memory_list(db, 3, "garbage!", &m), AM_EINVAL);
    ASSERT_STR_EQ(am_errfield(db), "nextToken");
    ASSERT_EQ(am_memory_list(db, 101, NULL, &m), AM_EINVAL);
    am_close(db);
}
