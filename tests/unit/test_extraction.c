/*
 * test_extraction.c - the long-term memory pipeline (src/core/extraction.c and the job
 * queue in src/store/sqlite/jobs.c): jobs from events, strategies to records in their
 * namespaces, consolidation with supersession and history, summaries past a threshold,
 * retries and FAILED jobs.
 */
#include "helpers.h"

#include <jansson.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static const int64_t T0 = 1767225600000;

static const char *STRATEGIES =
    "[{\"summaryMemoryStrategy\":{\"name\":\"Summary\","
    "\"namespaceTemplates\":[\"/summaries/{actorId}/{sessionId}\"]}},"
    "{\"userPreferenceMemoryStrategy\":{\"name\":\"Prefs\","
    "\"namespaceTemplates\":[\"/preferences/{actorId}\"]}},"
    "{\"semanticMemoryStrategy\":{\"name\":\"Facts\","
    "\"namespaceTemplates\":[\"/facts/{actorId}\"]}}]";

static void make_memory(am_db *db, const char *strategies, char mem[128])
{
    am_memory_in in = {.name = "LTM", .event_expiry_days = 0, .strategies_json = strategies};
    am_memories *m = NULL;
    ASSERT_OK(am_memory_create(db, &in, &m));
    snprintf(mem, 128, "%s", m->items[0].id);
    am_memories_free(m);
}

static void turn(am_db *db, const char *mem, const char *actor, const char *session, int64_t ts,
                 int role, const char *text)
{
    am_payload p = {.kind = AM_PAYLOAD_CONVERSATIONAL, .role = role, .text = text};
    am_event_in in = {.memory_id = mem, .actor_id = actor, .session_id = session,
                      .timestamp_ms = ts, .payload = &p, .n_payload = 1};
    ASSERT_OK(am_event_create(db, &in, NULL));
}

static int run_all(am_db *db)
{
    int total = 0, done = 0;
    do {
        ASSERT_OK(am_extract_run(db, 100, &done));
        total += done;
    } while (done > 0);
    return total;
}

static am_records *list_ns(am_db *db, const char *mem, const char *ns)
{
    am_record_query q = {.memory_id = mem, .namespace_ = ns, .max_results = 100};
    am_records *r = NULL;
    ASSERT_OK(am_record_list(db, &q, &r));
    return r;
}

static bool any_contains(const am_records *r, const char *needle)
{
    for (size_t i = 0; i < r->n; i++)
        if (strstr(r->items[i].text, needle))
            return true;
    return false;
}

TEST(extraction_facts_and_preferences)
{
    am_db *db = th_open();
    char mem[128];
    make_memory(db, STRATEGIES, mem);
    turn(db, mem, "alice", "day1", T0, AM_ROLE_USER,
         "Our prod-cluster runs 4 ra3.4xlarge nodes in us-east-2.");
    turn(db, mem, "alice", "day1", T0 + 1000, AM_ROLE_USER,
         "I prefer a single workgroup for all the WLM queues.");
    turn(db, mem, "alice", "day1", T0 + 2000, AM_ROLE_ASSISTANT,
         "Understood, I will plan one workgroup.");
    ASSERT_GE(run_all(db), 1);

    am_records *facts = list_ns(db, mem, "/facts/alice");
    ASSERT_GE(facts->n, 1);
    ASSERT(any_contains(facts, "ra3.4xlarge"));
    for (size_t i = 0; i < facts->n; i++) {
        ASSERT_STR_EQ(facts->items[i].actor_id, "alice");
        ASSERT_STR_EQ(facts->items[i].session_id, "day1");
        ASSERT_STR_CONTAINS(facts->items[i].source_json, "eventId");
        ASSERT_EQ(strncmp(facts->items[i].strategy_id, "Facts-", 6), 0);
    }
    am_records_free(facts);
    am_records *prefs = list_ns(db, mem, "/preferences/alice");
    ASSERT_GE(prefs->n, 1);
    ASSERT(any_contains(prefs, "workgroup"));
    ASSERT_STR_CONTAINS(prefs->items[0].text, "\"preference\"");
    am_records_free(prefs);
    /* three turns are below the summary threshold */
    am_records *sum = list_ns(db, mem, "/summaries/alice/day1");
    ASSERT_EQ(sum->n, 0);
    am_records_free(sum);

    /* the queue is empty and running again changes nothing */
    am_job_query jq = {.memory_id = mem};
    am_jobs *j = NULL;
    ASSERT_OK(am_job_list(db, &jq, &j));
    ASSERT_EQ(j->n, 0);
    am_jobs_free(j);
    ASSERT_EQ(run_all(db), 0);

    /* the same fact stated again on day 2 is not duplicated */
    turn(db, mem, "alice", "day2", T0 + 86400000, AM_ROLE_USER,
         "Our prod-cluster runs 4 ra3.4xlarge nodes in us-east-2.");
    ASSERT_EQ(run_all(db), 1);
    facts = list_ns(db, mem, "/facts/alice");
    int n_ra3 = 0;
    for (size_t i = 0; i < facts->n; i++)
        n_ra3 += strstr(facts->items[i].text, "ra3.4xlarge") != NULL;
    ASSERT_EQ(n_ra3, 1);
    am_records_free(facts);
    am_close(db);
}

TEST(extraction_supersedes_and_keeps_history)
{
    am_db *db = th_open();
    char mem[128];
    make_memory(db, STRATEGIES, mem);
    turn(db, mem, "alice", "s1", T0, AM_ROLE_USER, "prod-cluster runs 4 ra3.4xlarge nodes.");
    run_all(db);
    turn(db, mem, "alice", "s2", T0 + 86400000, AM_ROLE_USER,
         "prod-cluster now runs 6 ra3.4xlarge nodes.");
    run_all(db);
    am_records *facts = list_ns(db, mem, "/facts/alice");
    int current = 0;
    const char *id = NULL;
    for (size_t i = 0; i < facts->n; i++)
        if (strstr(facts->items[i].text, "ra3.4xlarge")) {
            current++;
            id = facts->items[i].record_id;
        }
    ASSERT_EQ(current, 1);                       /* only the new value is current */
    ASSERT_NOT_NULL(id);
    am_records *h = NULL;
    ASSERT_OK(am_record_history(db, mem, id, &h));
    ASSERT_EQ(h->n, 2);                          /* the old one stays in the history */
    ASSERT_STR_CONTAINS(h->items[0].text, "4");
    ASSERT_STR_EQ(h->items[0].superseded_by, id);
    ASSERT_STR_CONTAINS(h->items[1].text, "6");
    ASSERT_NULL(h->items[1].superseded_by);
    am_records_free(h);
    am_records_free(facts);
    am_close(db);
}

TEST(extraction_summary_after_threshold)
{
    setenv("AGENTMEM_SUMMARY_TURNS", "6", 1);
    am_db *db = th_open();
    char mem[128];
    make_memory(db, STRATEGIES, mem);
    const char *lines[] = {
        "List my Redshift clusters in us-east-2.",
        "You have prod-cluster with 4 ra3.4xlarge nodes and dev-cluster with 2 dc2.large nodes.",
        "Show the WLM configuration of prod-cluster.",
        "prod-cluster has three WLM queues: etl with 40 percent memory, reporting with 35 "
        "percent and adhoc with 25 percent.",
        "Take a snapshot of prod-cluster before anything else.",
        "The snapshot prod-cluster-pre-migration is being created.",
        "Create a serverless namespace and a workgroup called analytics-wg with 128 RPUs.",
    };
    for (int i = 0; i < 7; i++) {
        turn(db, mem, "alice", "mig", T0 + i * 1000, i % 2 ? AM_ROLE_ASSISTANT : AM_ROLE_USER,
             lines[i]);
        if (i == 3)
            run_all(db);               /* 4 turns: no summary yet */
    }
    am_records *sum = list_ns(db, mem, "/summaries/alice/mig");
    ASSERT_EQ(sum->n, 0);
    am_records_free(sum);
    run_all(db);
    sum = list_ns(db, mem, "/summaries/alice/mig");
    ASSERT_EQ(sum->n, 1);
    ASSERT_STR_CONTAINS(sum->items[0].text, "<topic");
    char first[64];
    snprintf(first, sizeof first, "%s", sum->items[0].record_id);
    am_records_free(sum);
    /* the conversation grows: the summary is refreshed, the old version kept */
    const char *more[] = {
        "Restore the snapshot prod-cluster-pre-migration into analytics-wg now.",
        "The restore into analytics-wg finished and the workgroup is AVAILABLE.",
        "Repoint the BI dashboards to the analytics-wg endpoint for the cutover.",
        "The cutover is done: dashboards use analytics-wg and prod-cluster is paused.",
    };
    for (int i = 0; i < 4; i++)
        turn(db, mem, "alice", "mig", T0 + 9000 + i * 1000,
             i % 2 ? AM_ROLE_ASSISTANT : AM_ROLE_USER, more[i]);
    run_all(db);
    sum = list_ns(db, mem, "/summaries/alice/mig");
    ASSERT_EQ(sum->n, 1);
    ASSERT(strcmp(sum->items[0].record_id, first) != 0);
    am_records *h = NULL;
    ASSERT_OK(am_record_history(db, mem, sum->items[0].record_id, &h));
    ASSERT_EQ(h->n, 2);
    am_records_free(h);
    am_records_free(sum);
    am_close(db);
}

TEST(extraction_tool_results_are_facts_not_conversation)
{
    setenv("AGENTMEM_SUMMARY_TURNS", "4", 1);
    am_db *db = th_open();
    char mem[128];
    make_memory(db, STRATEGIES, mem);
    /* an agent's turn: the request, what its tools returned, a reply that does not repeat it */
    turn(db, mem, "alice", "t1", T0, AM_ROLE_USER, "Look at prod-cluster for me.");
    turn(db, mem, "alice", "t1", T0 + 1000, AM_ROLE_TOOL,
         "Cluster prod-cluster (parameter group prod-params) has 3 WLM queues: etl, "
         "dashboards and default.");
    turn(db, mem, "alice", "t1", T0 + 2000, AM_ROLE_TOOL,
         "Snapshot prod-cluster-snap-1 of prod-cluster is available.");
    turn(db, mem, "alice", "t1", T0 + 3000, AM_ROLE_ASSISTANT, "Done, see above.");
    run_all(db);
    am_records *f = list_ns(db, mem, "/facts/alice");
    ASSERT(any_contains(f, "has 3 WLM queues: etl, dashboards and default"));
    ASSERT(any_contains(f, "prod-cluster-snap-1"));
    am_records_free(f);
    /* two conversation turns and two tool results: below 4 turns, no summary yet */
    am_records *sum = list_ns(db, mem, "/summaries/alice/t1");
    ASSERT_EQ(sum->n, 0);
    am_records_free(sum);
    turn(db, mem, "alice", "t1", T0 + 4000, AM_ROLE_USER, "Thanks, take the snapshot now.");
    turn(db, mem, "alice", "t1", T0 + 5000, AM_ROLE_ASSISTANT, "Snapshot started for prod-cluster.");
    run_all(db);
    sum = list_ns(db, mem, "/summaries/alice/t1");
    ASSERT_EQ(sum->n, 1);
    am_records_free(sum);
    unsetenv("AGENTMEM_SUMMARY_TURNS");
    am_close(db);
}

TEST(extraction_skip_and_no_strategies)
{
    am_db *db = th_open();
    char mem[128], plain[128];
    make_memory(db, STRATEGIES, mem);
    th_memory(db, "Plain", 30, plain);
    turn(db, plain, "alice", "s1", T0, AM_ROLE_USER, "I prefer Python for scripts.");
    am_payload p = {.kind = AM_PAYLOAD_CONVERSATIONAL, .role = AM_ROLE_USER,
                    .text = "I prefer tea over coffee."};
    am_event_in in = {.memory_id = mem, .actor_id = "alice", .session_id = "s1",
                      .timestamp_ms = T0, .payload = &p, .n_payload = 1,
                      .skip_extraction = true};
    ASSERT_OK(am_event_create(db, &in, NULL));
    ASSERT_EQ(run_all(db), 0);           /* no job for SKIP, none without strategies */
    am_records *r = list_ns(db, mem, "/");
    ASSERT_EQ(r->n, 0);
    am_records_free(r);
    am_close(db);
}

TEST(extraction_failure_retries_then_fails)
{
    am_db *db = th_open();
    char mem[128], actor[251];
    /* a template that resolves past the 1024-character namespace limit for a long actor */
    make_memory(db, "[{\"semanticMemoryStrategy\":{\"name\":\"Facts\",\"namespaceTemplates\":"
                    "[\"/{actorId}/{actorId}/{actorId}/{actorId}/{actorId}\"]}}]", mem);
    memset(actor, 'a', 250);
    actor[250] = '\0';
    turn(db, mem, actor, "s1", T0, AM_ROLE_USER, "prod-cluster runs 4 ra3.4xlarge nodes.");
    int done = 0;
    ASSERT_OK(am_extract_run(db, 10, &done));
    ASSERT_EQ(done, 1);
    am_job_query jq = {.memory_id = mem};
    am_jobs *j = NULL;
    ASSERT_OK(am_job_list(db, &jq, &j));
    ASSERT_EQ(j->n, 1);
    ASSERT_STR_EQ(j->items[0].status, "RETRYING");     /* backoff: not due yet */
    ASSERT_STR_CONTAINS(j->items[0].failure_reason, "namespace");
    am_jobs_free(j);
    ASSERT_OK(am_extract_run(db, 10, &done));
    ASSERT_EQ(done, 0);
    for (int attempt = 0; attempt < 3; attempt++) {    /* make the retries due now */
        char sql[] = "UPDATE jobs SET run_after_ms = 0";
        th_exec(sql);
        ASSERT_OK(am_extract_run(db, 10, &done));
    }
    jq.status = "FAILED";
    ASSERT_OK(am_job_list(db, &jq, &j));
    ASSERT_EQ(j->n, 1);
    ASSERT_GE(j->items[0].attempts, 3);
    ASSERT_STR_CONTAINS(j->items[0].messages_json, "eventId");
    char job_id[64];
    snprintf(job_id, sizeof job_id, "%s", j->items[0].job_id);
    am_jobs_free(j);
    ASSERT_OK(am_job_start(db, mem, job_id));          /* StartMemoryExtractionJob */
    jq.status = NULL;
    ASSERT_OK(am_job_list(db, &jq, &j));
    ASSERT_STR_EQ(j->items[0].status, "RETRYING");
    am_jobs_free(j);
    ASSERT_EQ(am_job_start(db, mem, "job-nope"), AM_ENOTFOUND);
    am_close(db);
}

TEST(extraction_background_worker)
{
    am_db *db = NULL;
    ASSERT_OK(am_open(th_store(), 0, &db));     /* with the worker thread */
    char mem[128];
    make_memory(db, STRATEGIES, mem);
    turn(db, mem, "bob", "s1", T0, AM_ROLE_USER, "I always want a snapshot before changes.");
    am_records *r = NULL;
    for (int i = 0; i < 100; i++) {
        r = list_ns(db, mem, "/preferences/bob");
        if (r->n > 0)
            break;
        am_records_free(r);
        r = NULL;
        usleep(50000);
    }
    ASSERT_NOT_NULL(r);
    ASSERT(any_contains(r, "snapshot"));
    am_records_free(r);
    am_close(db);
}

TEST(extraction_speaker_prefix_names_the_subject)
{
    am_db *db = th_open();
    char mem[128];
    make_memory(db, STRATEGIES, mem);
    turn(db, mem, "conv-1", "s1", T0, AM_ROLE_USER,
         "Caroline: I adopted a rescue dog named Max last week.");
    run_all(db);
    am_records *facts = list_ns(db, mem, "/facts/conv-1");
    ASSERT_GE(facts->n, 1);
    ASSERT(any_contains(facts, "Caroline"));
    ASSERT(!any_contains(facts, "Caroline:"));
    am_records_free(facts);
    am_close(db);
}

TEST(context_for_a_message)
{
    setenv("AGENTMEM_SUMMARY_TURNS", "4", 1);
    am_db *db = th_open();
    char mem[128];
    make_memory(db, STRATEGIES, mem);
    turn(db, mem, "alice", "day1", T0, AM_ROLE_USER, "I prefer a single workgroup.");
    turn(db, mem, "alice", "day1", T0 + 1000, AM_ROLE_USER,
         "prod-cluster has three WLM queues: etl, reporting and adhoc.");
    turn(db, mem, "alice", "day1", T0 + 2000, AM_ROLE_ASSISTANT,
         "Noted the three WLM queues of prod-cluster.");
    turn(db, mem, "alice", "day1", T0 + 3000, AM_ROLE_USER,
         "Take a snapshot of prod-cluster before the migration.");
    run_all(db);
    am_context_query q = {.memory_id = mem, .actor_id = "alice", .session_id = "day1",
                          .message = "What were the WLM queues we found?", .max_tokens = 400};
    char *text = NULL;
    ASSERT_OK(am_context_build(db, &q, &text));
    json_t *o = json_loads(text, 0, NULL);
    ASSERT_NOT_NULL(o);
    json_t *items = json_object_get(o, "items");
    ASSERT_GT(json_array_size(items), 0);
    int used = (int)json_integer_value(json_object_get(o, "usedTokens"));
    ASSERT_LE(used, 400);
    bool has_pref = false, has_queues = false, has_summary = false;
    int sum = 0;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        const char *kind = json_string_value(json_object_get(it, "kind"));
        const char *t = json_string_value(json_object_get(it, "text"));
        sum += (int)json_integer_value(json_object_get(it, "tokens"));
        ASSERT_NOT_NULL(json_object_get(it, "source"));
        has_pref |= !strcmp(kind, "preference") && strstr(t, "workgroup");
        has_queues |= strstr(t, "etl") != NULL;
        has_summary |= !strcmp(kind, "summary");
    }
    ASSERT_EQ(sum, used);
    ASSERT(has_pref);
    ASSERT(has_queues);
    ASSERT(has_summary);
    json_decref(o);
    am_free(text);
    /* a tiny budget packs less and never overflows */
    q.max_tokens = 20;
    ASSERT_OK(am_context_build(db, &q, &text));
    o = json_loads(text, 0, NULL);
    ASSERT_LE(json_integer_value(json_object_get(o, "usedTokens")), 20);
    json_decref(o);
    am_free(text);
    q.message = "";
    ASSERT_EQ(am_context_build(db, &q, &text), AM_EINVAL);
    am_close(db);
}

TEST_T(extraction_restart_mid_backlog_runs_each_job_once, 120)
{
    setenv("AGENTMEM_JOB_LEASE_MS", "300", 1);
    am_db *db = th_open();
    char mem[128];
    make_memory(db, STRATEGIES, mem);
    for (int s = 0; s < 30; s++) {
        char session[16], text[128];
        snprintf(session, sizeof session, "s%d", s);
        snprintf(text, sizeof text, "Cluster c%d runs %d ra3.xlplus nodes in us-west-2.", s,
                 s + 2);
        turn(db, mem, "ops", session, T0 + s, AM_ROLE_USER, text);
    }
    am_close(db);
    /* a worker process is killed in the middle of the backlog */
    pid_t pid = fork();
    if (pid == 0) {
        am_db *cdb = NULL;
        if (am_open(th_store(), AM_OPEN_MANUAL, &cdb))
            _exit(2);
        for (;;) {
            int done = 0;
            am_extract_run(cdb, 1, &done);
            usleep(2000);
        }
    }
    usleep(60000);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    usleep(400000);                  /* let the dead worker's lease run out */
    ASSERT_OK(am_open(th_store(), AM_OPEN_MANUAL, &db));
    run_all(db);
    am_job_query jq = {.memory_id = mem};
    am_jobs *j = NULL;
    ASSERT_OK(am_job_list(db, &jq, &j));
    ASSERT_EQ(j->n, 0);
    am_jobs_free(j);
    am_records *facts = list_ns(db, mem, "/facts/ops");
    for (int s = 0; s < 30; s++) {     /* every session's fact exactly once */
        char needle[16];
        snprintf(needle, sizeof needle, "c%d ", s);
        int n = 0;
        for (size_t i = 0; i < facts->n; i++)
            n += strstr(facts->items[i].text, needle) != NULL;
        if (n != 1)
            TEST_FAIL_("fact of session s%d stored %d times", s, n);
    }
    am_records_free(facts);
    am_close(db);
}

TEST(extraction_different_subjects_are_both_kept)
{
    am_db *db = th_open();
    char mem[128];
    make_memory(db, STRATEGIES, mem);
    turn(db, mem, "alice", "s1", T0, AM_ROLE_USER, "prod-cluster runs 4 ra3.4xlarge nodes.");
    turn(db, mem, "alice", "s1", T0 + 1, AM_ROLE_USER, "dev-cluster runs 2 ra3.4xlarge nodes.");
    run_all(db);
    am_records *facts = list_ns(db, mem, "/facts/alice");
    ASSERT(any_contains(facts, "prod-cluster"));
    ASSERT(any_contains(facts, "dev-cluster"));
    am_records_free(facts);
    am_close(db);
}

TEST(extraction_status_per_event)
{
    am_db *db = th_open();
    char mem[128], plain[128];
    make_memory(db, STRATEGIES, mem);
    th_memory(db, "Plain", 30, plain);
    am_payload p = {.kind = AM_PAYLOAD_CONVERSATIONAL, .role = AM_ROLE_USER,
                    .text = "prod-cluster runs 4 nodes."};
    am_event_in in = {.memory_id = mem, .actor_id = "alice", .session_id = "s1",
                      .timestamp_ms = T0, .payload = &p, .n_payload = 1};
    am_events *e = NULL;
    ASSERT_OK(am_event_create(db, &in, &e));
    char id[64];
    snprintf(id, sizeof id, "%s", e->items[0].event_id);
    am_events_free(e);
    const char *st = NULL;
    ASSERT_OK(am_event_extraction(db, mem, "alice", "s1", id, &st));
    ASSERT_STR_EQ(st, "PENDING");
    run_all(db);
    ASSERT_OK(am_event_extraction(db, mem, "alice", "s1", id, &st));
    ASSERT_STR_EQ(st, "DONE");
    in.skip_extraction = true;
    ASSERT_OK(am_event_create(db, &in, &e));
    ASSERT_OK(am_event_extraction(db, mem, "alice", "s1", e->items[0].event_id, &st));
    ASSERT_STR_EQ(st, "SKIPPED");
    am_events_free(e);
    in.memory_id = plain;
    in.skip_extraction = false;
    ASSERT_OK(am_event_create(db, &in, &e));
    ASSERT_OK(am_event_extraction(db, plain, "alice", "s1", e->items[0].event_id, &st));
    ASSERT_STR_EQ(st, "NONE");
    am_events_free(e);
    ASSERT_EQ(am_event_extraction(db, mem, "bob", "s1", id, &st), AM_ENOTFOUND);
    am_close(db);
}

/* A job left RUNNING by a process that died: an exclusive opener takes it over at once,
 * anyone else waits for its lease. */
TEST(extraction_exclusive_open_takes_over_dead_jobs)
{
    if (th_is_pg())
        return;                      /* AM_OPEN_EXCLUSIVE is SQLite's; PG keeps leases */
    unsetenv("AGENTMEM_JOB_LEASE_MS");
    am_db *db = th_open();
    char mem[128];
    make_memory(db, STRATEGIES, mem);
    turn(db, mem, "ops", "s1", T0, AM_ROLE_USER, "Cluster c7 runs 4 ra3.xlplus nodes.");
    am_close(db);
    /* what a worker killed mid-job leaves: RUNNING, leased for the next two minutes */
    th_exec("UPDATE jobs SET status = 'RUNNING', attempts = 1, "
            "run_after_ms = CAST(strftime('%s','now') AS INTEGER) * 1000 + 120000");
    ASSERT_OK(am_open(th_store(), AM_OPEN_MANUAL, &db));
    ASSERT_EQ(run_all(db), 0);               /* still leased */
    am_close(db);
    ASSERT_OK(am_open(th_store(), AM_OPEN_MANUAL | AM_OPEN_EXCLUSIVE, &db));
    ASSERT_EQ(run_all(db), 1);               /* taken over without waiting */
    am_records *facts = list_ns(db, mem, "/facts/ops");
    ASSERT_EQ(facts->n, 1);
    ASSERT(any_contains(facts, "c7"));
    am_records_free(facts);
    am_close(db);
}

/* Consolidation looks for the records a candidate repeats by key and by text, not only among
 * the most recent: a restatement of the first of 300 facts is still a duplicate, and an
 * update of it still supersedes it. */
TEST(extraction_consolidates_against_old_records)
{
    am_db *db = th_open();
    char mem[128];
    make_memory(db, STRATEGIES, mem);
    turn(db, mem, "ops", "s0", T0, AM_ROLE_USER,
         "Cluster zephyr runs 11 ra3.4xlarge nodes in eu-west-1.");
    for (int i = 1; i < 300; i++) {
        char text[128], session[16];
        snprintf(session, sizeof session, "s%d", i % 7);
        snprintf(text, sizeof text, "Cluster c%d runs %d ra3.xlplus nodes in us-west-2.", i,
                 i % 9 + 2);
        turn(db, mem, "ops", session, T0 + i, AM_ROLE_USER, text);
    }
    run_all(db);
    static const char current[] = "namespace = '/facts/ops' AND superseded_by IS NULL";
    long long before = th_count("records", current);
    ASSERT_GE(before, 290);
    long long zephyr = th_count("records", "text LIKE '%zephyr%'");
    ASSERT_GE(zephyr, 1);
    turn(db, mem, "ops", "later", T0 + 1000, AM_ROLE_USER,
         "Cluster zephyr runs 11 ra3.4xlarge nodes in eu-west-1.");
    run_all(db);
    ASSERT_EQ(th_count("records", current), before);   /* the restatement added nothing */
    ASSERT_EQ(th_count("records", "text LIKE '%zephyr%'"), zephyr);
    am_close(db);
}
