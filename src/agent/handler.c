/*
 * handler.c - one invocation: validate the payload, open memory when the call is stateful,
 * recall, reason, remember, and wrap the answer in the original agent's envelope
 * {"statusCode", "headers", "body": "<JSON string>"} so its users' scripts keep working.
 *
 * Memory is on only when the payload has a session_id, AGENTCORE_MEMORY_ID is set and agentmemd
 * answers GetMemory; the body's memory_enabled says which, and memory_status why.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

#define ERR_CAP 1024

static char *envelope(int status, json_t *body)
{
    char *b = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!b)
        return NULL;
    json_t *env = json_pack("{s:i, s:{s:s, s:s}, s:s}", "statusCode", status, "headers",
                            "Content-Type", "application/json", "Access-Control-Allow-Origin",
                            "*", "body", b);
    free(b);
    char *out = env ? json_dumps(env, JSON_COMPACT) : NULL;
    json_decref(env);
    return out;
}

static char *usage(const char *error)
{
    json_t *body = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:b}", "error", error, "usage", "message",
        "(required) your question or instruction, e.g. \"List my Redshift clusters\"",
        "session_id",
        "(optional) reuse the same id to continue a migration across calls and days; "
        "without it the call is stateless",
        "actor_id", "(optional) who you are; your preferences are kept per actor (default "
        "default_user)",
        "example", "message", "List my Redshift clusters", "session_id",
        "migration-prod-cluster-2024", "actor_id", "dba-alice", "memory_enabled", 0);
    return envelope(400, body);
}

/* session ids as the agent's users were told: letters, digits, '-' and '_' (1..100) */
static bool valid_session(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 100)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return false;
    return true;
}

/* actor ids: AgentCore's ([A-Za-z0-9] then [A-Za-z0-9-_/:]) or an e-mail address */
static bool valid_actor(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255 || !isalnum((unsigned char)s[0]))
        return false;
    const char *at = strchr(s, '@');
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        bool ok = isalnum(c) || c == '-' || c == '_' || c == '/' || c == ':' ||
                  (at && (c == '.' || c == '+' || (c == '@' && p == at)));
        if (!ok)
            return false;
    }
    return !at || (at > s && strchr(at, '.') && at[1] != '.' && s[n - 1] != '.');
}

static bool blank(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s && !blank(s) ? s : NULL;
}

static const char *default_region(void)
{
    const char *r = getenv("AWS_REGION");
    if (!r || !*r)
        r = getenv("AWS_DEFAULT_REGION");
    return r && *r ? r : "us-east-2";
}

char *am_ag_handle(const char *payload, size_t len)
{
    json_error_t jerr;
    json_t *in = json_loadb(payload ? payload : "", len, 0, &jerr);
    json_t *inner = NULL;
    char err[ERR_CAP] = "", note[ERR_CAP + 128] = "";
    struct am_ag_mem mem;
    struct am_ag_turn t = {0};
    char *reply = NULL, *out = NULL;
    char mem_id[256] = "";
    json_t *tool_results = NULL;

    if (!json_is_object(in)) {
        json_decref(in);
        return usage("The payload must be a JSON object with a message");
    }
    /* API Gateway proxy events carry the real payload in "body" (a string or an object) */
    json_t *b = json_object_get(in, "body");
    if (json_is_string(b))
        inner = json_loads(json_string_value(b), 0, NULL);
    else if (json_is_object(b))
        inner = json_incref(b);
    json_t *p = json_is_object(inner) ? inner : in;

    t.message = str(p, "message");
    if (!t.message) {
        out = usage("No message provided");
        goto done;
    }
    t.session_id = str(p, "session_id");
    t.actor_id = str(p, "actor_id");
    if (t.session_id && !valid_session(t.session_id)) {
        out = usage("session_id may contain only letters, digits, hyphens and underscores "
                    "(1 to 100 characters)");
        goto done;
    }
    if (t.actor_id && !valid_actor(t.actor_id)) {
        out = usage("actor_id must be letters, digits and - _ / : (starting with a letter or "
                    "digit), or an e-mail address");
        goto done;
    }
    if (!t.actor_id)
        t.actor_id = "default_user";
    t.region = str(p, "region");
    if (!t.region)
        t.region = default_region();
    t.turns = json_array();
    t.facts = json_array();
    t.prefs = json_array();
    t.summaries = json_array();

    const char *memory_id = getenv("AGENTCORE_MEMORY_ID");
    const char *ep = getenv("AGENTMEM_ENDPOINT");
    const char *dbp = getenv("AGENTMEM_DB");      /* embedded: wins over the endpoint */
    if (!ep || !*ep)
        ep = "http://127.0.0.1:8080";
    if (!t.session_id) {
        snprintf(note, sizeof note, "off: no session_id, the call is stateless");
    } else if (!memory_id || !*memory_id) {
        snprintf(note, sizeof note, "off: AGENTCORE_MEMORY_ID is not set");
    } else if (am_ag_mem_open(&mem, ep, dbp, memory_id, err, sizeof err)) {
        snprintf(note, sizeof note, "off: memory unavailable: %s", err);
    } else {
        t.memory_on = true;
        snprintf(note, sizeof note, "on");
    }

    if (t.memory_on) {
        char ns[1024];
        json_t *v = NULL;
        /* a failed read degrades the answer, not the call: the note says what failed */
        if (am_ag_mem_turns(&mem, t.actor_id, t.session_id, 20, &v, err, sizeof err) == 0) {
            json_decref(t.turns);
            t.turns = v;
        } else {
            snprintf(note, sizeof note, "on (recall failed: %s)", err);
        }
        if (*mem.facts_ns) {
            am_ag_mem_ns(mem.facts_ns, t.actor_id, t.session_id, ns, sizeof ns);
            /* the question ranks the facts; decisions are listed too, so "what did we decide
               yesterday?" finds them whatever its wording */
            if (am_ag_mem_records(&mem, ns, t.message, 10, &v, err, sizeof err) == 0) {
                json_array_extend(t.facts, v);
                json_decref(v);
            }
            if (am_ag_mem_records(&mem, ns, "Decision recorded workgroup snapshot", 10, &v, err,
                                  sizeof err) == 0) {
                json_array_extend(t.facts, v);
                json_decref(v);
            }
        }
        if (*mem.prefs_ns) {
            am_ag_mem_ns(mem.prefs_ns, t.actor_id, t.session_id, ns, sizeof ns);
            if (am_ag_mem_records(&mem, ns, NULL, 50, &v, err, sizeof err) == 0) {
                json_decref(t.prefs);
                t.prefs = v;
            }
        }
        /* the checklist is exact state: without it the turn would act on a guess */
        if (am_ag_mem_checklist_load(&mem, t.actor_id, &v, err, sizeof err) == 0) {
            t.checklist = v;
            t.changed = json_array();
        } else {
            snprintf(note, sizeof note, "on (checklist recall failed: %s)", err);
        }
        if (*mem.summary_ns) {
            am_ag_mem_ns(mem.summary_ns, t.actor_id, t.session_id, ns, sizeof ns);
            if (am_ag_mem_records(&mem, ns, NULL, 5, &v, err, sizeof err) == 0) {
                json_decref(t.summaries);
                t.summaries = v;
            }
        }
    }

    if (t.memory_on)
        snprintf(mem_id, sizeof mem_id, "%s", mem.memory_id);
    tool_results = json_array();
    bool llm = false;
    reply = am_ag_llm_reason(&t, tool_results, &llm);
    if (!llm)
        reply = am_ag_reason(&t);
    if (!reply) {
        out = envelope(500, json_pack("{s:s, s:s}", "error", "out of memory", "type",
                                      "MemoryError"));
        goto done;
    }
    if (t.memory_on) {
        /* tool results are stored too (as TOOL turns): the checklist reads them whatever
           words the model chose for its reply */
        bool ok = am_ag_mem_add(&mem, t.actor_id, t.session_id, "USER", t.message, err,
                                sizeof err) == 0;
        size_t k;
        json_t *tr;
        json_array_foreach(tool_results, k, tr) {
            if (ok)
                ok = am_ag_mem_add(&mem, t.actor_id, t.session_id, "TOOL",
                                   json_string_value(json_object_get(tr, "text")), err,
                                   sizeof err) == 0;
        }
        if (!ok ||
            am_ag_mem_add(&mem, t.actor_id, t.session_id, "ASSISTANT", reply, err, sizeof err)) {
            /* the turn is not remembered: say so rather than claim memory */
            snprintf(note, sizeof note, "off: saving this turn failed: %s", err);
            t.memory_on = false;
        } else if (json_array_size(t.changed) &&
                   am_ag_mem_checklist_save(&mem, t.actor_id, t.checklist, t.changed, err,
                                            sizeof err)) {
            snprintf(note, sizeof note, "on (the checklist was not saved: %s)", err);
        }
    }

    json_t *body = json_pack("{s:s, s:s, s:s, s:b, s:s}", "response", reply, "message", t.message,
                             "actor_id", t.actor_id, "memory_enabled", t.memory_on,
                             "memory_status", note);
    if (body && t.session_id)
        json_object_set_new(body, "session_id", json_string(t.session_id));
    if (body && t.memory_on)
        json_object_set_new(body, "memory", json_pack("{s:s, s:I, s:I, s:I, s:I}", "memory_id",
                                                      mem_id, "recent_turns",
                                                      (json_int_t)json_array_size(t.turns),
                                                      "facts",
                                                      (json_int_t)json_array_size(t.facts),
                                                      "preferences",
                                                      (json_int_t)json_array_size(t.prefs),
                                                      "summaries",
                                                      (json_int_t)json_array_size(t.summaries)));
    if (body)
        json_object_set_new(body, "tip", json_string(
            t.session_id ? "Reuse this session_id to continue the migration later."
                         : "Pass a session_id (and set AGENTCORE_MEMORY_ID) to keep context."));
    out = body ? envelope(200, body) : NULL;
done:
    json_decref(tool_results);
    free(reply);
    json_decref(t.turns);
    json_decref(t.facts);
    json_decref(t.prefs);
    json_decref(t.summaries);
    json_decref(t.checklist);
    json_decref(t.changed);
    json_decref(inner);
    json_decref(in);
    return out;
}
