/*
 * test_policy.c - IAM-style policy documents (src/api/http/policy.c): parsing errors, and
 * evaluation table-driven over requests, including the three examples of docs/security.md.
 */
#include "test.h"

#include "api/http/policy.h"

#include <stdbool.h>

/* the request tables leave trailing members out */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define MEM_ARN "arn:aws:bedrock-agentcore:us-east-1:123456789012:memory/Agent-abcdefghij"
#define OTHER_ARN "arn:aws:bedrock-agentcore:us-east-1:123456789012:memory/Other-abcdefghij"

static struct am_policy *parse(const char *text)
{
    struct am_policy *p = NULL;
    char err[256];
    if (am_policy_parse(text, &p, err, sizeof err) != 0)
        TEST_FAIL_("policy does not parse: %s\n%s", err, text);
    return p;
}

struct req {
    const char *action, *resource, *actor, *session, *ns1, *ns2, *user;
};

static int eval(const struct am_policy *p, const struct req *q)
{
    struct am_policy_key keys[4];
    const char *ns[2] = {q->ns1, q->ns2};
    size_t n = 0;
    if (q->actor)
        keys[n++] = (struct am_policy_key){"bedrock-agentcore:actorId", &q->actor, 1};
    if (q->session)
        keys[n++] = (struct am_policy_key){"bedrock-agentcore:sessionId", &q->session, 1};
    if (q->ns1)
        keys[n++] = (struct am_policy_key){"bedrock-agentcore:namespace", ns, q->ns2 ? 2 : 1};
    struct am_policy_request r = {q->action, q->resource ? q->resource : MEM_ARN, keys, n,
                                  q->user};
    return am_policy_eval(p, &r);
}

#define ALLOW AM_POLICY_ALLOW
#define DENY AM_POLICY_IMPLICIT_DENY
#define XDENY AM_POLICY_EXPLICIT_DENY

/* docs/security.md, example 1: an agent that writes and reads its own users' memory */
static const char agent_policy[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":["
    "{\"Sid\":\"Events\",\"Effect\":\"Allow\",\"Action\":[\"bedrock-agentcore:CreateEvent\","
    "\"bedrock-agentcore:ListEvents\",\"bedrock-agentcore:GetEvent\","
    "\"bedrock-agentcore:ListSessions\"],\"Resource\":\"" MEM_ARN "\","
    "\"Condition\":{\"StringLike\":{\"bedrock-agentcore:actorId\":\"user-*\"}}},"
    "{\"Sid\":\"Records\",\"Effect\":\"Allow\",\"Action\":["
    "\"bedrock-agentcore:RetrieveMemoryRecords\",\"bedrock-agentcore:ListMemoryRecords\"],"
    "\"Resource\":\"" MEM_ARN "\",\"Condition\":{\"StringLike\":"
    "{\"bedrock-agentcore:namespace\":\"/actors/user-*\"}}}]}";

TEST(policy_agent_key_example)
{
    struct am_policy *p = parse(agent_policy);
    static const struct {
        struct req q;
        int want;
    } cases[] = {
        {{"bedrock-agentcore:CreateEvent", NULL, "user-42", "s1"}, ALLOW},
        {{"bedrock-agentcore:createevent", NULL, "user-42", "s1"}, ALLOW},  /* any case */
        {{"bedrock-agentcore:CreateEvent", NULL, "admin", "s1"}, DENY},     /* other actor */
        {{"bedrock-agentcore:CreateEvent", NULL, NULL, "s1"}, DENY},        /* no actor */
        {{"bedrock-agentcore:CreateEvent", OTHER_ARN, "user-42", "s1"}, DENY},
        {{"bedrock-agentcore:DeleteEvent", NULL, "user-42", "s1"}, DENY},   /* not granted */
        {{"bedrock-agentcore:RetrieveMemoryRecords", NULL, NULL, NULL, "/actors/user-42/facts"},
         ALLOW},
        {{"bedrock-agentcore:RetrieveMemoryRecords", NULL, NULL, NULL, "/actors/bob/facts"},
         DENY},
        {{"bedrock-agentcore:RetrieveMemoryRecords", NULL, NULL, NULL, NULL}, DENY},
        /* several namespaces: every one must match */
        {{"bedrock-agentcore:ListMemoryRecords", NULL, NULL, NULL, "/actors/user-1/a",
          "/actors/user-2/b"}, ALLOW},
        {{"bedrock-agentcore:ListMemoryRecords", NULL, NULL, NULL, "/actors/user-1/a",
          "/actors/bob/b"}, DENY},
        {{"bedrock-agentcore:CreateMemory", "*"}, DENY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (eval(p, &cases[i].q) != cases[i].want)
            TEST_FAIL_("case %zu (%s actor=%s ns=%s): got %d, want %d", i, cases[i].q.action,
                       cases[i].q.actor ? cases[i].q.actor : "-",
                       cases[i].q.ns1 ? cases[i].q.ns1 : "-", eval(p, &cases[i].q),
                       cases[i].want);
    am_policy_free(p);
}

TEST(policy_readonly_and_admin_examples)
{
    struct am_policy *ro = parse(
        "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":["
        "\"bedrock-agentcore:Get*\",\"bedrock-agentcore:List*\","
        "\"bedrock-agentcore:RetrieveMemoryRecords\",\"agentmem:View*\"],\"Resource\":\"*\"}}");
    struct am_policy *admin = parse(
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
        "\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":\"bedrock-agentcore:DeleteMemory\","
        "\"Resource\":\"" MEM_ARN "\"}]}");
    struct req get = {"bedrock-agentcore:GetMemory"}, list = {"bedrock-agentcore:ListMemories",
                                                              "*"};
    struct req del = {"bedrock-agentcore:DeleteMemory"}, other_del = {
        "bedrock-agentcore:DeleteMemory", OTHER_ARN};
    struct req create = {"bedrock-agentcore:CreateEvent", NULL, "a", "s"};
    ASSERT_EQ(eval(ro, &get), ALLOW);
    ASSERT_EQ(eval(ro, &list), ALLOW);
    ASSERT_EQ(eval(ro, &create), DENY);
    ASSERT_EQ(eval(ro, &del), DENY);
    ASSERT_EQ(eval(admin, &create), ALLOW);
    ASSERT_EQ(eval(admin, &other_del), ALLOW);
    ASSERT_EQ(eval(admin, &del), XDENY);        /* deny wins over the Allow * */
    ASSERT_EQ(am_policy_eval(NULL, &(struct am_policy_request){"x", "*", NULL, 0, NULL}),
              ALLOW);
    am_policy_free(ro);
    am_policy_free(admin);
}

TEST(policy_operators_variables_and_absent_keys)
{
    struct am_policy *p = parse(
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
        "\"NotResource\":\"" OTHER_ARN "\",\"Condition\":{"
        "\"StringEquals\":{\"bedrock-agentcore:actorId\":\"${aws:username}\"},"
        "\"StringNotLikeIfExists\":{\"bedrock-agentcore:sessionId\":\"tmp-*\"}}}]}");
    struct req mine = {"bedrock-agentcore:ListEvents", NULL, "alice", "s1", NULL, NULL, "alice"};
    struct req theirs = {"bedrock-agentcore:ListEvents", NULL, "bob", "s1", NULL, NULL, "alice"};
    struct req tmp = {"bedrock-agentcore:ListEvents", NULL, "alice", "tmp-1", NULL, NULL,
                      "alice"};
    struct req nosess = {"bedrock-agentcore:ListSessions", NULL, "alice", NULL, NULL, NULL,
                         "alice"};
    struct req other = {"bedrock-agentcore:ListEvents", OTHER_ARN, "alice", "s1", NULL, NULL,
                        "alice"};
    struct req nouser = {"bedrock-agentcore:ListEvents", NULL, "alice", "s1"};
    ASSERT_EQ(eval(p, &mine), ALLOW);
    ASSERT_EQ(eval(p, &theirs), DENY);
    ASSERT_EQ(eval(p, &tmp), DENY);
    ASSERT_EQ(eval(p, &nosess), ALLOW);         /* IfExists: an absent key passes */
    ASSERT_EQ(eval(p, &other), DENY);           /* NotResource */
    ASSERT_EQ(eval(p, &nouser), DENY);          /* an unresolved variable matches nothing */
    am_policy_free(p);

    p = parse("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\","
              "\"Resource\":\"*\",\"Condition\":{\"Null\":{\"bedrock-agentcore:actorId\":"
              "\"true\"}}},{\"Effect\":\"Allow\",\"Action\":\"bedrock-agentcore:*Event?\","
              "\"Resource\":\"*\",\"Condition\":{\"ForAnyValue:StringEquals\":"
              "{\"bedrock-agentcore:namespace\":[\"/a\",\"/b\"]}}}]}");
    struct req none = {"bedrock-agentcore:ListEvents", NULL, NULL, NULL, "/a"};
    struct req any = {"bedrock-agentcore:ListEvents", NULL, "x", NULL, "/z", "/b"};
    struct req nomatch = {"bedrock-agentcore:ListEvents", NULL, "x", NULL, "/z"};
    struct req singular = {"bedrock-agentcore:ListEvent", NULL, "x", NULL, "/a"};
    ASSERT_EQ(eval(p, &none), XDENY);
    ASSERT_EQ(eval(p, &any), ALLOW);
    ASSERT_EQ(eval(p, &nomatch), DENY);
    ASSERT_EQ(eval(p, &singular), DENY);        /* '?' needs one character */
    am_policy_free(p);
}

TEST(policy_parse_errors_name_the_problem)
{
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"not json", "line 1"},
        {"[]", "must be a JSON object"},
        {"{\"Statement\":[]}", "Version"},
        {"{\"Version\":\"2012-10-17\",\"Statement\":[]}", "Statement"},
        {"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Maybe\",\"Action\":\"*\","
         "\"Resource\":\"*\"}}", "Effect"},
        {"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Resource\":\"*\"}}",
         "Action and NotAction"},
        {"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\"}}",
         "Resource and NotResource"},
        {"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
         "\"Resource\":\"*\",\"Condition\":{\"NumericLessThan\":{\"k\":\"1\"}}}}",
         "unsupported condition operator NumericLessThan"},
        {"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
         "\"Resource\":\"*\",\"Principal\":\"*\"}}", "unsupported element Principal"},
        {"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":[1],"
         "\"Resource\":\"*\"}}", "Action must be"},
        {"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
         "\"Resource\":\"*\",\"Condition\":{\"Null\":{\"k\":\"maybe\"}}}}", "\"true\" or"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct am_policy *p = (struct am_policy *)1;
        char err[256] = "";
        ASSERT_EQ(am_policy_parse(bad[i].text, &p, err, sizeof err), -1);
        ASSERT_NULL(p);
        if (!strstr(err, bad[i].msg))
            TEST_FAIL_("case %zu: \"%s\" does not name \"%s\"", i, err, bad[i].msg);
    }
    struct am_policy *p = NULL;
    char err[256];
    ASSERT_EQ(am_policy_load("/nonexistent/policy.json", &p, err, sizeof err), -1);
    ASSERT_STR_CONTAINS(err, "/nonexistent/policy.json");
}
