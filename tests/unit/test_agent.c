/*
 * test_agent.c - the Redshift migration agent's reasoning (src/agent/reasoning.c): which
 * intent each way of asking maps to, the checklist kept from earlier answers, and consent
 * before mutating AWS (against tests/helpers/fake_redshift.py, which records every call).
 */
#include "test.h"
#include "helpers.h"

#include "agent/agent.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

TEST(agent_intents)
{
    static const struct {
        const char *message;
        int intent;
    } cases[] = {
        {"List my Redshift clusters", AM_AG_CLUSTERS},
        {"what clusters do I have?", AM_AG_CLUSTERS},
        {"I want to migrate my prod-cluster to serverless", AM_AG_PLAN},
        {"Let us proceed with the migration now", AM_AG_PLAN},
        {"analyse prod-cluster and size it for serverless", AM_AG_PLAN},
        {"Show the WLM queues of prod-cluster", AM_AG_WLM},
        {"What were the WLM queues we found?", AM_AG_WLM},
        {"let's use a single workgroup analytics-wg with 128 RPUs", AM_AG_DECISION},
        {"We'll use multiple workgroups, one per queue", AM_AG_DECISION},
        {"take the snapshot now", AM_AG_SNAPSHOT},
        {"is the snapshot ready?", AM_AG_CHECK},
        {"is the restore done?", AM_AG_CHECK},
        {"create the namespace and workgroup now", AM_AG_CREATE_TARGET},
        {"restore the snapshot now", AM_AG_RESTORE},
        {"Where were we?", AM_AG_RECALL},
        {"What did we decide yesterday?", AM_AG_RECALL},
        {"What clusters did we discuss yesterday?", AM_AG_RECALL},
        {"what's the status?", AM_AG_RECALL},
        {"I prefer dry runs before any change", AM_AG_PREF_STATEMENT},
        {"What are my preferences?", AM_AG_PREFS_QUERY},
        {"list the serverless workgroups", AM_AG_SERVERLESS},
        {"hello", AM_AG_HELP},
        {"", AM_AG_HELP},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = am_ag_intent(cases[i].message);
        if (got != cases[i].intent)
            TEST_FAIL_("\"%s\": %s, expected %s", cases[i].message, am_ag_intent_name(got),
                       am_ag_intent_name(cases[i].intent));
    }
}

static struct am_ag_turn turn(const char *message, json_t *turns, json_t *facts, json_t *prefs)
{
    return (struct am_ag_turn){.message = message, .session_id = "s1", .actor_id = "dba",
                               .region = "us-east-2", .memory_on = true,
                               .turns = turns ? turns : json_array(),
                               .facts = facts ? facts : json_array(),
                               .prefs = prefs ? prefs : json_array(),
                               .summaries = json_array()};
}

static void turn_free(struct am_ag_turn *t)
{
    json_decref(t->turns);
    json_decref(t->facts);
    json_decref(t->prefs);
    json_decref(t->summaries);
}

TEST(agent_checklist_from_earlier_answers)
{
    /* the agent's own sentences mark the steps; a dry run or a failure marks nothing */
    json_t *turns = json_pack(
        "[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s}]",
        "role", "ASSISTANT", "text", "In us-east-2 the account has 1 Redshift cluster: "
                                     "prod-cluster (4 x ra3.4xlarge, available).",
        "role", "ASSISTANT", "text", "prod-cluster has 3 WLM queues: etl, dashboards, default.",
        "role", "ASSISTANT", "text", "Dry run: I would call CreateClusterSnapshot for "
                                     "prod-cluster.",
        "role", "USER", "text", "Snapshot everything please");
    json_t *facts = json_pack("[s]", "Decision recorded for prod-cluster: a single workgroup "
                                     "wg1 with 64 RPUs.");
    struct am_ag_turn t = turn("Where were we?", turns, facts, NULL);
    char *r = am_ag_reason(&t);
    ASSERT_NOT_NULL(r);
    ASSERT_STR_CONTAINS(r, "Progress: [x] inventory, [x] WLM reviewed, [x] target decided, "
                           "[ ] snapshot taken, [ ] namespace and workgroup created, "
                           "[ ] restore started. Next: snapshot taken.");
    ASSERT_STR_CONTAINS(r, "wg1 with 64 RPUs");
    ASSERT_STR_CONTAINS(r, "prod-cluster (4 x ra3.4xlarge");     /* clusters discussed */
    free(r);
    turn_free(&t);

    /* without memory the agent says it cannot recall rather than invent */
    t = turn("What did we decide yesterday?", NULL, NULL, NULL);
    t.memory_on = false;
    t.session_id = NULL;
    r = am_ag_reason(&t);
    ASSERT_STR_CONTAINS(r, "I have no memory in this call");
    free(r);
    turn_free(&t);
}

TEST(agent_checklist_kept_from_tool_results)
{
    struct am_ag_turn t = turn("Where were we?", NULL, NULL, NULL);
    t.checklist = json_object();
    t.changed = json_array();

    json_t *e = am_ag_step_done(&t, "prod-cluster", "assess", "4 x %s", "ra3.4xlarge");
    ASSERT_NOT_NULL(e);
    ASSERT_NOT_NULL(am_ag_step_done(&t, "prod-cluster", "plan", "single workgroup wg1, 64 RPUs"));
    json_object_set_new(e, "target", json_pack("{s:s, s:s, s:i}", "workgroup", "wg1",
                                               "namespace", "wg1-ns", "rpu", 64));
    ASSERT_EQ(json_array_size(t.changed), 1);           /* one entry changed, listed once */
    ASSERT(am_ag_step_is_done(e, "plan"));
    ASSERT(!am_ag_step_is_done(e, "snapshot"));

    /* the reasoner answers from it: the recall renders it, the next step acts on its target
       (a dry run here, so no AWS call) although no text of the session names the target */
    char *r = am_ag_reason(&t);
    ASSERT_STR_CONTAINS(r, "Checklist for prod-cluster (kept from AWS results, across your "
                           "sessions): [x] assessed (4 x ra3.4xlarge), [x] target decided "
                           "(single workgroup wg1, 64 RPUs), [ ] snapshot taken,");
    ASSERT_STR_CONTAINS(r, "[ ] endpoint cut-over. Next: take the snapshot.");
    ASSERT(strstr(r, "Progress:") == NULL);
    free(r);
    t.message = "create the namespace and workgroup";
    r = am_ag_reason(&t);
    ASSERT_STR_CONTAINS(r, "Dry run: I would call CreateNamespace wg1-ns (manageAdminPassword) "
                           "and CreateWorkgroup wg1 with 64 RPUs");
    free(r);

    /* stored records back to entries: two records of one cluster merge (newer step wins,
       newer record id kept), other records and broken JSON are skipped */
    json_t *recs = json_pack(
        "[{s:s, s:{s:s}}, {s:s, s:{s:s}}, {s:s, s:{s:s}}, {s:s, s:{s:s}}]",
        "memoryRecordId", "mem-a", "content", "text",
        "{\"checklist\":\"redshift-migration\",\"cluster\":\"prod-cluster\","
        "\"updatedAt\":\"2026-12-01T10:00:00.000Z\",\"steps\":{\"assess\":{\"at\":"
        "\"2026-12-01T10:00:00.000Z\",\"detail\":\"old\"}}}",
        "memoryRecordId", "mem-b", "content", "text",
        "{\"checklist\":\"redshift-migration\",\"cluster\":\"prod-cluster\","
        "\"updatedAt\":\"2026-12-02T10:00:00.000Z\",\"steps\":{\"assess\":{\"at\":"
        "\"2026-12-02T10:00:00.000Z\",\"detail\":\"new\"},\"plan\":{\"at\":"
        "\"2026-12-02T10:00:00.000Z\",\"detail\":\"p\"}}}",
        "memoryRecordId", "mem-c", "content", "text", "The user prefers dry runs.",
        "memoryRecordId", "mem-d", "content", "text", "{\"checklist\":");
    json_t *parsed = am_ag_checklist_parse(recs);
    ASSERT_EQ(json_object_size(parsed), 1);
    json_t *pc = json_object_get(parsed, "prod-cluster");
    ASSERT_STR_EQ(json_string_value(json_object_get(pc, "_id")), "mem-b");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(json_object_get(pc, "steps"),
                                                                    "assess"), "detail")), "new");
    ASSERT(am_ag_step_is_done(pc, "plan"));
    json_decref(recs);

    /* the entry a turn is about: the cluster it names, else the newest */
    json_object_set_new(parsed, "dev-cluster", json_pack("{s:s, s:s, s:{}}", "cluster",
                                                         "dev-cluster", "updatedAt",
                                                         "2026-11-01T00:00:00.000Z", "steps"));
    struct am_ag_turn u = t;
    u.checklist = parsed;
    u.message = "where are we?";
    ASSERT_STR_EQ(json_string_value(json_object_get(am_ag_checklist_current(&u), "cluster")),
                  "prod-cluster");
    u.message = "and dev-cluster?";
    ASSERT_STR_EQ(json_string_value(json_object_get(am_ag_checklist_current(&u), "cluster")),
                  "dev-cluster");
    json_decref(parsed);

    /* a stateless turn keeps no checklist: nothing is recorded */
    struct am_ag_turn st = turn("Show the WLM queues", NULL, NULL, NULL);
    st.memory_on = false;
    ASSERT(am_ag_step_done(&st, "prod-cluster", "assess", "x") == NULL);
    ASSERT(am_ag_checklist_current(&st) == NULL);
    turn_free(&st);

    json_decref(t.checklist);
    json_decref(t.changed);
    turn_free(&t);
}

static int snapshot_calls(int port)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "python3 -c \"import json,urllib.request;print(sum(r['operation']"
             "=='CreateClusterSnapshot' for r in json.load(urllib.request.urlopen("
             "'http://127.0.0.1:%d/_fake/requests'))))\"", port);
    FILE *f = popen(cmd, "r");
    int n = -1;
    ASSERT_NOT_NULL(f);
    ASSERT_EQ(fscanf(f, "%d", &n), 1);
    pclose(f);
    return n;
}

TEST(agent_mutations_need_consent)
{
    int port = 0;
    pid_t pid = th_start_helper(&port, NULL, NULL, "fake_redshift.py", (char *)NULL);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    setenv("AWS_ENDPOINT_URL_REDSHIFT", url, 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    static const struct {
        const char *message, *pref;
        bool runs;
    } cases[] = {
        {"Take a snapshot of prod-cluster", NULL, false},          /* no consent: dry run */
        {"take the snapshot of prod-cluster now", NULL, true},     /* agreed in the message */
        {"Take a snapshot of prod-cluster", "Prefers to run changes without asking", true},
        {"Take a snapshot of prod-cluster", "Prefers dry runs before any change", false},
        {"take a dry run snapshot of prod-cluster now", NULL, false},
        {"yes, go ahead and snapshot prod-cluster", "Prefers dry runs before any change", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *prefs = cases[i].pref ? json_pack("[s]", cases[i].pref) : NULL;
        struct am_ag_turn t = turn(cases[i].message, NULL, NULL, prefs);
        int before = snapshot_calls(port);
        char *r = am_ag_reason(&t);
        ASSERT_NOT_NULL(r);
        int after = snapshot_calls(port);
        if ((after > before) != cases[i].runs || (strstr(r, "Dry run") != NULL) == cases[i].runs)
            TEST_FAIL_("\"%s\" (preference %s): %s\nreply: %s", cases[i].message,
                       cases[i].pref ? cases[i].pref : "none",
                       cases[i].runs ? "should have run" : "should have been a dry run", r);
        free(r);
        turn_free(&t);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unsetenv("AWS_ENDPOINT_URL_REDSHIFT");
}
