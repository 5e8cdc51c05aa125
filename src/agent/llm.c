/*
 * llm.c - the agent reasoning with a language model and tool calling.
 *
 * Configured by AGENT_LLM_PROVIDER:
 *   openai   POST {AGENT_LLM_URL}/chat/completions (Ollama, vLLM, llama.cpp server,
 *            OpenAI), model AGENT_LLM_MODEL, bearer AGENT_LLM_API_KEY (optional);
 *   bedrock  POST {endpoint}/model/{AGENT_LLM_MODEL}/converse, SigV4 (service "bedrock")
 *            with the usual AWS variables; endpoint AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else
 *            https://bedrock-runtime.{region}.amazonaws.com.
 * Unset: the deterministic workflow of reasoning.c answers (the default).
 *
 * The memory context (session summary, the actor's preferences, the relevant facts, the last
 * turns) goes into the system prompt. The tools are the workflow's own steps: each tool
 * call is answered by the deterministic reasoner from real AWS results, so a tool result is
 * grounded in AWS. The same consent rule applies: a mutating tool runs only when the user
 * agreed in this message or a stored preference says so; otherwise its result is a dry run
 * that says so. The results are handed back to the caller, which stores them in memory
 * (TOOL events), so the checklist does not depend on how the model words its reply.
 *
 * A provider that fails (after two retries of a 429 or 5xx, or a malformed reply) does not
 * fail the call: the deterministic workflow answers, and the reply says why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agent/agent.h"

#define MAX_ROUNDS 6

static const char *const system_intro =
    "You are a migration assistant that helps move provisioned Amazon Redshift clusters to "
    "Redshift Serverless. Use the tools to look at the real clusters, WLM queues and "
    "resources; never invent identifiers, sizes or results. Mutating tools (snapshot, create, "
    "restore) only run when the user agreed; otherwise they return a dry run: tell the user "
    "what would happen and how to confirm. Answer briefly.";

static const struct tool {
    const char *name, *description, *params, *message_fmt;
} tools[] = {
    {"list_clusters", "List the provisioned Redshift clusters of the account.",
     "{\"type\":\"object\",\"properties\":{}}", "List my Redshift clusters"},
    {"show_wlm_queues", "Show the WLM queues of a cluster (from its parameter group).",
     "{\"type\":\"object\",\"properties\":{\"cluster\":{\"type\":\"string\"}},"
     "\"required\":[\"cluster\"]}", "Show the WLM queues of %s"},
    {"plan_migration", "Assess a cluster and propose a Serverless plan (base RPU, topology).",
     "{\"type\":\"object\",\"properties\":{\"cluster\":{\"type\":\"string\"}},"
     "\"required\":[\"cluster\"]}", "Plan the migration of %s"},
    {"create_snapshot", "Take a manual snapshot of a cluster (mutating).",
     "{\"type\":\"object\",\"properties\":{\"cluster\":{\"type\":\"string\"}},"
     "\"required\":[\"cluster\"]}", "take a snapshot of %s"},
    {"check_progress", "Check the status of the last snapshot or restore.",
     "{\"type\":\"object\",\"properties\":{\"what\":{\"type\":\"string\","
     "\"enum\":[\"snapshot\",\"restore\"]}},\"required\":[\"what\"]}", "is the %s ready?"},
    {"create_namespace_and_workgroup",
     "Create the Serverless namespace and workgroup decided for the migration (mutating).",
     "{\"type\":\"object\",\"properties\":{}}", "create the namespace and workgroup"},
    {"restore_snapshot", "Restore the migration snapshot into the namespace (mutating).",
     "{\"type\":\"object\",\"properties\":{}}", "restore the snapshot"},
    {"list_serverless", "List the Redshift Serverless workgroups.",
     "{\"type\":\"object\",\"properties\":{}}", "list the serverless workgroups"},
};
#define N_TOOLS (sizeof tools / sizeof tools[0])

struct llm_cfg {
    bool bedrock;
    char url[1024];
    const char *model, *key, *region;
};

static bool configured(struct llm_cfg *c, const char *region)
{
    const char *p = getenv("AGENT_LLM_PROVIDER");
    memset(c, 0, sizeof *c);
    if (!p || !*p)
        return false;
    c->bedrock = strcasecmp(p, "bedrock") == 0;
    c->model = getenv("AGENT_LLM_MODEL");
    c->key = getenv("AGENT_LLM_API_KEY");
    c->region = region;
    const char *url = c->bedrock ? getenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME")
                                 : getenv("AGENT_LLM_URL");
    if (c->bedrock && (!url || !*url)) {
        snprintf(c->url, sizeof c->url, "https://bedrock-runtime.%s.amazonaws.com", region);
    } else {
        snprintf(c->url, sizeof c->url, "%s", url ? url : "");
    }
    size_t n = strlen(c->url);
    while (n && c->url[n - 1] == '/')
        c->url[--n] = '\0';
    return true;
}

/* ---- the prompt ---- */

static char *system_prompt(const struct am_ag_turn *t)
{
    struct am_xbuf b = AM_AG_BUF_INIT;
    size_t i;
    json_t *v;
    am_xbuf_addf(&b, "%s\nRegion: %s. Actor: %s.", system_intro, t->region, t->actor_id);
    if (!t->memory_on) {
        am_xbuf_adds(&b, "\nMemory is off for this call: you know nothing from before.");
        return am_xbuf_take(&b);
    }
    am_xbuf_addf(&b, "\nMemory of session %s (from agentmem):", t->session_id);
    json_array_foreach(t->summaries, i, v) am_xbuf_addf(&b, "\n[summary] %s",
                                                        json_string_value(v));
    json_array_foreach(t->prefs, i, v) am_xbuf_addf(&b, "\n[preference] %s",
                                                    json_string_value(v));
    json_array_foreach(t->facts, i, v) am_xbuf_addf(&b, "\n[fact] %s", json_string_value(v));
    return am_xbuf_take(&b);
}

/* ---- tools ---- */

static bool mutating(const char *name)
{
    return strcmp(name, "create_snapshot") == 0 ||
           strcmp(name, "create_namespace_and_workgroup") == 0 ||
           strcmp(name, "restore_snapshot") == 0;
}

/* A tool call answered by the deterministic workflow; the consent words of the user's own
 * message are passed on, so the workflow's consent rule decides. */
static char *run_tool(const struct am_ag_turn *t, const char *name, json_t *args)
{
    const struct tool *tool = NULL;
    for (size_t i = 0; i < N_TOOLS; i++)
        if (strcmp(tools[i].name, name) == 0)
            tool = &tools[i];
    if (!tool)
        return strdup("Unknown tool.");
    const char *arg = json_string_value(json_object_get(args, "cluster"));
    if (!arg)
        arg = json_string_value(json_object_get(args, "what"));
    char msg[512];
    snprintf(msg, sizeof msg, tool->message_fmt, arg ? arg : "");
    if (mutating(name)) {
        struct am_ag_turn probe = *t;   /* did the user agree in this message? */
        char with[700];
        int said = am_ag_consents(t);
        snprintf(with, sizeof with, "%s%s", msg, said > 0 ? " now" : said < 0 ? " (dry run)" : "");
        probe.message = with;
        return am_ag_reason(&probe);
    }
    struct am_ag_turn sub = *t;
    sub.message = msg;
    return am_ag_reason(&sub);
}

/* ---- the two wire formats ---- */

static json_t *tools_openai(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < N_TOOLS; i++)
        json_array_append_new(a, json_pack("{s:s, s:{s:s, s:s, s:o}}", "type", "function",
                                           "function", "name", tools[i].name, "description",
                                           tools[i].description, "parameters",
                                           json_loads(tools[i].params, 0, NULL)));
    return a;
}

static json_t *tools_converse(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < N_TOOLS; i++)
        json_array_append_new(a, json_pack("{s:{s:s, s:s, s:{s:o}}}", "toolSpec", "name",
                                           tools[i].name, "description", tools[i].description,
                                           "inputSchema", "json",
                                           json_loads(tools[i].params, 0, NULL)));
    return a;
}

/* One request; *out the parsed reply. 0, or -1 with err. Retries 429 and 5xx twice. */
static int post(const struct llm_cfg *c, json_t *body, json_t **out, char *err, size_t cap)
{
    char url[2048], *js = json_dumps(body, JSON_COMPACT), *reply = NULL, auth[600];
    long status = 0;
    int rc = -1;
    *out = NULL;
    if (!js) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    if (c->bedrock) {
        char model[512] = "";
        size_t o = 0;
        for (const unsigned char *p = (const unsigned char *)(c->model ? c->model : "");
             *p && o + 4 < sizeof model; p++) {
            if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                (*p >= '0' && *p <= '9') || strchr("-_.~", *p))
                model[o++] = (char)*p;
            else
                o += (size_t)snprintf(model + o, sizeof model - o, "%%%02X", *p);
        }
        model[o] = '\0';
        snprintf(url, sizeof url, "%s/model/%s/converse", c->url, model);
    } else {
        snprintf(url, sizeof url, "%s/chat/completions", c->url);
    }
    snprintf(auth, sizeof auth, "Bearer %s", c->key ? c->key : "");
    struct am_ag_http_req rq = {.method = "POST", .url = url, .body = js,
                                .body_len = strlen(js), .content_type = "application/json",
                                .service = c->bedrock ? "bedrock" : NULL,
                                .region = c->region,
                                .bearer = !c->bedrock && c->key && *c->key ? auth : NULL};
    for (int attempt = 0; attempt < 3; attempt++) {
        free(reply);
        reply = NULL;
        if (attempt) {
            struct timespec ts = {0, 300000000L * attempt};
            nanosleep(&ts, NULL);
        }
        if (am_ag_http(&rq, &status, &reply, err, cap) != 0)
            continue;                    /* no answer: try again */
        if (status == 429 || status >= 500) {
            snprintf(err, cap, "%.900s: HTTP %ld", url, status);
            continue;
        }
        break;
    }
    if (reply && status == 200) {
        *out = json_loads(reply, 0, NULL);
        if (*out)
            rc = 0;
        else
            snprintf(err, cap, "the model's reply is not JSON");
    } else if (reply && status != 429 && status < 500) {
        snprintf(err, cap, "%.600s: HTTP %ld: %.200s", url, status, reply);
    }
    free(reply);
    free(js);
    return rc;
}

/* ---- the loop ---- */

static void add_result(json_t *results, const char *name, const char *text)
{
    json_array_append_new(results, json_pack("{s:s, s:s}", "tool", name, "text", text));
}

static char *loop_openai(const struct llm_cfg *c, const struct am_ag_turn *t, json_t *results,
                         char *err, size_t cap)
{
    char *sys = system_prompt(t);
    json_t *msgs = json_pack("[{s:s, s:s}]", "role", "system", "content", sys ? sys : "");
    free(sys);
    size_t i;
    json_t *v;
    json_array_foreach(t->turns, i, v) {
        const char *role = json_string_value(json_object_get(v, "role"));
        if (role && (!strcmp(role, "USER") || !strcmp(role, "ASSISTANT")))
            json_array_append_new(msgs, json_pack("{s:s, s:O}", "role",
                                                  !strcmp(role, "USER") ? "user" : "assistant",
                                                  "content", json_object_get(v, "text")));
    }
    json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "user", "content", t->message));
    char *answer = NULL;
    for (int round = 0; round < MAX_ROUNDS && !answer; round++) {
        json_t *body = json_pack("{s:s, s:O, s:o, s:f}", "model", c->model ? c->model : "",
                                 "messages", msgs, "tools", tools_openai(), "temperature", 0.0);
        json_t *r = NULL;
        int rc = post(c, body, &r, err, cap);
        json_decref(body);
        if (rc)
            break;
        json_t *msg = json_object_get(json_array_get(json_object_get(r, "choices"), 0),
                                      "message");
        json_t *calls = json_object_get(msg, "tool_calls");
        if (json_array_size(calls)) {
            json_array_append(msgs, msg);
            json_t *call;
            json_array_foreach(calls, i, call) {
                const char *id = json_string_value(json_object_get(call, "id"));
                json_t *fn = json_object_get(call, "function");
                const char *name = json_string_value(json_object_get(fn, "name"));
                json_t *args = json_loads(json_string_value(json_object_get(fn, "arguments"))
                                              ?: "{}", 0, NULL);
                char *out = run_tool(t, name ? name : "", args);
                json_decref(args);
                add_result(results, name ? name : "?", out ? out : "");
                json_array_append_new(msgs, json_pack("{s:s, s:s, s:s}", "role", "tool",
                                                      "tool_call_id", id ? id : "",
                                                      "content", out ? out : ""));
                free(out);
            }
        } else if (json_string_value(json_object_get(msg, "content"))) {
            answer = strdup(json_string_value(json_object_get(msg, "content")));
        } else {
            snprintf(err, cap, "the model's reply has neither text nor tool calls");
            json_decref(r);
            break;
        }
        json_decref(r);
    }
    if (!answer && !*err)
        snprintf(err, cap, "no answer after %d rounds of tool calls", MAX_ROUNDS);
    json_decref(msgs);
    return answer;
}

static char *loop_converse(const struct llm_cfg *c, const struct am_ag_turn *t, json_t *results,
                           char *err, size_t cap)
{
    char *sys = system_prompt(t);
    json_t *system = json_pack("[{s:s}]", "text", sys ? sys : "");
    free(sys);
    json_t *msgs = json_array();
    size_t i;
    json_t *v;
    const char *last = NULL;
    json_array_foreach(t->turns, i, v) {         /* Converse wants user/assistant alternating */
        const char *role = json_string_value(json_object_get(v, "role"));
        const char *r = role && !strcmp(role, "USER") ? "user"
                        : role && !strcmp(role, "ASSISTANT") ? "assistant" : NULL;
        if (!r || (!last && strcmp(r, "user")) || (last && !strcmp(last, r)))
            continue;
        json_array_append_new(msgs, json_pack("{s:s, s:[{s:O}]}", "role", r, "content", "text",
                                              json_object_get(v, "text")));
        last = r;
    }
    if (last && !strcmp(last, "user"))
        json_array_remove(msgs, json_array_size(msgs) - 1);
    json_array_append_new(msgs, json_pack("{s:s, s:[{s:s}]}", "role", "user", "content", "text",
                                          t->message));
    char *answer = NULL;
    for (int round = 0; round < MAX_ROUNDS && !answer; round++) {
        json_t *body = json_pack("{s:O, s:O, s:{s:o}, s:{s:i, s:f}}", "system", system,
                                 "messages", msgs, "toolConfig", "tools", tools_converse(),
                                 "inferenceConfig", "maxTokens", 2048, "temperature", 0.0);
        json_t *r = NULL;
        int rc = post(c, body, &r, err, cap);
        json_decref(body);
        if (rc)
            break;
        json_t *msg = json_object_get(json_object_get(r, "output"), "message");
        json_t *content = json_object_get(msg, "content");
        const char *stop = json_string_value(json_object_get(r, "stopReason"));
        json_t *results_msg = json_pack("{s:s, s:[]}", "role", "user", "content");
        struct am_xbuf text = AM_AG_BUF_INIT;
        json_t *part;
        json_array_foreach(content, i, part) {
            json_t *use = json_object_get(part, "toolUse");
            const char *pt = json_string_value(json_object_get(part, "text"));
            if (pt)
                am_xbuf_adds(&text, pt);
            if (!use)
                continue;
            const char *name = json_string_value(json_object_get(use, "name"));
            char *out = run_tool(t, name ? name : "", json_object_get(use, "input"));
            add_result(results, name ? name : "?", out ? out : "");
            json_array_append_new(json_object_get(results_msg, "content"),
                                  json_pack("{s:{s:O, s:[{s:s}], s:s}}", "toolResult",
                                            "toolUseId", json_object_get(use, "toolUseId"),
                                            "content", "text", out ? out : "", "status",
                                            "success"));
            free(out);
        }
        if (stop && !strcmp(stop, "tool_use") && json_array_size(json_object_get(results_msg,
                                                                                 "content"))) {
            json_array_append(msgs, msg);
            json_array_append(msgs, results_msg);
        } else if (text.len) {
            answer = am_xbuf_take(&text);
        } else {
            snprintf(err, cap, "the model's reply has neither text nor tool use (stopReason %s)",
                     stop ? stop : "none");
            json_decref(results_msg);
            am_xbuf_free(&text);
            json_decref(r);
            break;
        }
        am_xbuf_free(&text);
        json_decref(results_msg);
        json_decref(r);
    }
    if (!answer && !*err)
        snprintf(err, cap, "no answer after %d rounds of tool use", MAX_ROUNDS);
    json_decref(msgs);
    json_decref(system);
    return answer;
}

char *am_ag_llm_reason(const struct am_ag_turn *t, json_t *tool_results, bool *used)
{
    struct llm_cfg c;
    char err[1024] = "";
    *used = false;
    if (!configured(&c, t->region))
        return NULL;
    *used = true;
    char *answer = c.bedrock ? loop_converse(&c, t, tool_results, err, sizeof err)
                             : loop_openai(&c, t, tool_results, err, sizeof err);
    if (answer)
        return answer;
    /* the model failed: the deterministic workflow answers, and says why */
    fprintf(stderr, "agent: language model failed, using the built-in workflow: %s\n", err);
    char *fallback = am_ag_reason(t);
    struct am_xbuf b = AM_AG_BUF_INIT;
    am_xbuf_addf(&b, "%s (The language model could not answer: %s. This answer comes from "
                     "the built-in workflow.)", fallback ? fallback : "", err);
    free(fallback);
    return am_xbuf_take(&b);
}
