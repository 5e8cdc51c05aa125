/*
 * commands.c - the command table and every command of agentmem.
 *
 * Each command parses its own options (getopt_long on the words after the command name),
 * calls agentmemd, and prints a table (or the JSON with --json).
 */
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OPT_END {0, 0, 0, 0}

static bool confirm(struct cli *c, const char *what)
{
    if (c->yes)
        return true;
    if (!isatty(STDIN_FILENO)) {
        fprintf(stderr, "agentmem: %s: not a terminal, pass --yes to confirm\n", what);
        return false;
    }
    fprintf(stderr, "%s? [y/N] ", what);
    char line[16];
    return fgets(line, sizeof line, stdin) && (line[0] == 'y' || line[0] == 'Y');
}

/* Parse the command's options: --actor --session --namespace --top --name --description
   --strategies --expiry-days --file; unknown ones are a usage error. */
struct args {
    const char *actor, *session, *namespace_, *name, *description, *strategies, *file;
    int top, expiry_days;
    int argc;
    char **argv;              /* positional words */
};

static int parse(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {
        {"actor", required_argument, 0, 'a'},      {"session", required_argument, 0, 's'},
        {"namespace", required_argument, 0, 'n'},  {"top", required_argument, 0, 't'},
        {"name", required_argument, 0, 'N'},       {"description", required_argument, 0, 'd'},
        {"strategies", required_argument, 0, 'S'}, {"expiry-days", required_argument, 0, 'e'},
        {"file", required_argument, 0, 'f'},       OPT_END,
    };
    memset(a, 0, sizeof *a);
    a->top = 10;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end = NULL;
        switch (ch) {
        case 'a': a->actor = optarg; break;
        case 's': a->session = optarg; break;
        case 'n': a->namespace_ = optarg; break;
        case 'N': a->name = optarg; break;
        case 'd': a->description = optarg; break;
        case 'S': a->strategies = optarg; break;
        case 'f': a->file = optarg; break;
        case 't':
            a->top = (int)strtol(optarg, &end, 10);
            if (*end || a->top < 1 || a->top > 100) {
                fprintf(stderr, "agentmem: --top must be 1..100\n");
                return CLI_EUSAGE;
            }
            break;
        case 'e':
            a->expiry_days = (int)strtol(optarg, &end, 10);
            if (*end || a->expiry_days < 3 || a->expiry_days > 365) {
                fprintf(stderr, "agentmem: --expiry-days must be 3..365\n");
                return CLI_EUSAGE;
            }
            break;
        default:
            fprintf(stderr, "agentmem: unknown option %s\n", argv[optind - 1]);
            return CLI_EUSAGE;
        }
    }
    a->argc = argc - optind;
    a->argv = argv + optind;
    return CLI_OK;
}

static int need(const char *v, const char *opt)
{
    if (v)
        return CLI_OK;
    fprintf(stderr, "agentmem: %s is required\n", opt);
    return CLI_EUSAGE;
}

/* ---- memories ---- */

static int find_memory_by_name(struct cli *c, const char *name, char *out_id, size_t cap)
{
    char *token = NULL;
    int found = 0;
    do {
        json_t *body = json_pack("{s:i}", "maxResults", 100), *r = NULL;
        if (token)
            json_object_set_new(body, "nextToken", json_string(token));
        free(token);
        token = NULL;
        int st = cli_call(c, "POST", "/memories/", body, &r);
        if (st != 200) {
            int rc = cli_fail(st, r, "list memories");
            json_decref(r);
            return -rc;
        }
        size_t i;
        json_t *m;
        size_t n = strlen(name);
        json_array_foreach(json_object_get(r, "memories"), i, m) {
            const char *id = json_string_value(json_object_get(m, "id"));
            if (id && strncmp(id, name, n) == 0 && id[n] == '-' && strlen(id + n + 1) == 10) {
                snprintf(out_id, cap, "%s", id);
                found = 1;
            }
        }
        const char *t = json_string_value(json_object_get(r, "nextToken"));
        token = t && !found ? strdup(t) : NULL;
        json_decref(r);
    } while (token);
    return found;
}

static json_t *strategy_json(const char *kind)
{
    if (!strcmp(kind, "summary"))
        return json_pack("{s:{s:s,s:[s]}}", "summaryMemoryStrategy", "name", "SessionSummary",
                         "namespaces", "/actors/{actorId}/sessions/{sessionId}/summary");
    if (!strcmp(kind, "preference"))
        return json_pack("{s:{s:s,s:[s]}}", "userPreferenceMemoryStrategy", "name",
                         "Preferences", "namespaces", "/actors/{actorId}/preferences");
    if (!strcmp(kind, "semantic"))
        return json_pack("{s:{s:s,s:[s]}}", "semanticMemoryStrategy", "name", "Facts",
                         "namespaces", "/actors/{actorId}/facts");
    return NULL;
}

static int cmd_setup(struct cli *c, int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a);
    if (rc || (rc = need(a.name, "--name")))
        return rc;
    char id[160];
    int found = find_memory_by_name(c, a.name, id, sizeof id);
    if (found < 0)
        return -found;
    json_t *r = NULL;
    int st;
    if (!found) {
        json_t *strategies = json_array();
        char list[256];
        snprintf(list, sizeof list, "%s", a.strategies ? a.strategies : "summary,preference,semantic");
        for (char *k = list, *comma; k && *k; k = comma ? comma + 1 : NULL) {
            comma = strchr(k, ',');
            if (comma)
                *comma = '\0';
            json_t *s = strategy_json(k);
            if (!s) {
                json_decref(strategies);
                fprintf(stderr, "agentmem: unknown strategy %s (summary, preference, semantic)\n", k);
                return CLI_EUSAGE;
            }
            json_array_append_new(strategies, s);
        }
        json_t *body = json_pack("{s:s,s:i,s:o}", "name", a.name, "eventExpiryDuration",
                                 a.expiry_days, "memoryStrategies", strategies);
        if (a.description)
            json_object_set_new(body, "description", json_string(a.description));
        st = cli_call(c, "POST", "/memories/create", body, &r);
        if (st != 202) {
            rc = cli_fail(st, r, "create memory");
            json_decref(r);
            return rc;
        }
        snprintf(id, sizeof id, "%s", json_string_value(json_object_get(json_object_get(r, "memory"), "id")));
        json_decref(r);
    }
    char path[256];
    snprintf(path, sizeof path, "/memories/%s/details", cli_esc(id));
    for (int i = 0; i < 150; i++) {                   /* wait until ACTIVE (30 s) */
        r = NULL;
        st = cli_call(c, "GET", path, NULL, &r);
        const char *status = json_string_value(json_object_get(json_object_get(r, "memory"), "status"));
        if (st == 200 && status && !strcmp(status, "ACTIVE"))
            break;
        if (st != 200 || (status && !strcmp(status, "FAILED"))) {
            rc = cli_fail(st, r, "memory is not ACTIVE");
            json_decref(r);
            return rc;
        }
        json_decref(r);
        r = NULL;
        usleep(200000);
    }
    if (c->json) {
        cli_print_json(json_object_get(r, "memory"));
    } else {
        printf("%s memory %s\n", found ? "Found existing" : "Created", id);
        printf("export AGENTCORE_MEMORY_ID=%s\n", id);
    }
    json_decref(r);
    return CLI_OK;
}

static int cmd_memories_list(struct cli *c, int argc, char **argv)
{
    (void)argc, (void)argv;
    json_t *r = NULL;
    int st = cli_call(c, "POST", "/memories/", json_pack("{s:i}", "maxResults", 100), &r);
    if (st != 200) {
        int rc = cli_fail(st, r, "list memories");
        json_decref(r);
        return rc;
    }
    if (c->json) {
        cli_print_json(json_object_get(r, "memories"));
    } else {
        printf("%-50s %-8s %s\n", "MEMORY ID", "STATUS", "CREATED");
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(r, "memories"), i, m)
            printf("%-50s %-8s %s\n", json_string_value(json_object_get(m, "id")),
                   json_string_value(json_object_get(m, "status")),
                   cli_time(json_object_get(m, "createdAt")));
    }
    json_decref(r);
    return CLI_OK;
}

static int cmd_memories_show(struct cli *c, int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc;
    const char *id = a.argc ? a.argv[0] : c->memory_id;
    if (!id)
        return cli_need_memory(c);
    char path[256];
    snprintf(path, sizeof path, "/memories/%s/details", cli_esc(id));
    json_t *r = NULL;
    int st = cli_call(c, "GET", path, NULL, &r);
    if (st != 200) {
        rc = cli_fail(st, r, "show memory");
        json_decref(r);
        return rc;
    }
    json_t *m = json_object_get(r, "memory");
    if (c->json) {
        cli_print_json(m);
    } else {
        printf("id:          %s\nname:        %s\nstatus:      %s\n",
               json_string_value(json_object_get(m, "id")),
               json_string_value(json_object_get(m, "name")),
               json_string_value(json_object_get(m, "status")));
        json_int_t days = json_integer_value(json_object_get(m, "eventExpiryDuration"));
        if (days)
            printf("expiry:      %" JSON_INTEGER_FORMAT " days\n", days);
        else
            printf("expiry:      never (events kept until deleted)\n");
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(m, "strategies"), i, s)
            printf("strategy:    %-16s %-30s %s\n", json_string_value(json_object_get(s, "type")),
                   json_string_value(json_object_get(s, "strategyId")),
                   json_string_value(json_array_get(json_object_get(s, "namespaces"), 0)));
    }
    json_decref(r);
    return CLI_OK;
}

static int cmd_memories_delete(struct cli *c, int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc;
    const char *id = a.argc ? a.argv[0] : c->memory_id;
    if (!id)
        return cli_need_memory(c);
    char what[256];
    snprintf(what, sizeof what, "Delete memory %s with all its events and records", id);
    if (!confirm(c, what))
        return CLI_EUSAGE;
    char path[256];
    snprintf(path, sizeof path, "/memories/%s/delete", cli_esc(id));
    json_t *r = NULL;
    int st = cli_call(c, "DELETE", path, NULL, &r);
    rc = st == 202 ? CLI_OK : cli_fail(st, r, "delete memory");
    if (!rc && !c->json)
        printf("Deleted memory %s\n", id);
    else if (!rc)
        cli_print_json(r);
    json_decref(r);
    return rc;
}

/* ---- sessions and actors ---- */

static int cmd_sessions_list(struct cli *c, int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a);
    if (rc || (rc = cli_need_memory(c)))
        return rc;
    char path[1024];
    snprintf(path, sizeof path, "/_agentmem/memories/%s/sessions?order=recent&maxResults=100%s%s",
             cli_esc(c->memory_id), a.actor ? "&actorId=" : "", a.actor ? cli_esc(a.actor) : "");
    json_t *r = NULL;
    int st = cli_call(c, "GET", path, NULL, &r);
    if (st != 200) {
        rc = cli_fail(st, r, "list sessions");
        json_decref(r);
        return rc;
    }
    if (c->json) {
        cli_print_json(json_object_get(r, "sessionSummaries"));
    } else {
        printf("%-30s %-30s %7s %-19s %s\n", "ACTOR", "SESSION", "EVENTS", "LAST ACTIVITY", "CREATED");
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(r, "sessionSummaries"), i, s)
            printf("%-30s %-30s %7" JSON_INTEGER_FORMAT " %-19s %s\n",
                   json_string_value(json_object_get(s, "actorId")),
                   json_string_value(json_object_get(s, "sessionId")),
                   json_integer_value(json_object_get(s, "eventCount")),
                   cli_time(json_object_get(s, "lastEventAt")),
                   cli_time(json_object_get(s, "createdAt")));
    }
    json_decref(r);
    return CLI_OK;
}

static int cmd_sessions_show(struct cli *c, int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a);
    if (rc || (rc = cli_need_memory(c)) || (rc = need(a.actor, "--actor")) ||
        (rc = need(a.session, "--session")))
        return rc;
    char path[1024];
    snprintf(path, sizeof path, "/_agentmem/memories/%s/actors/%s/sessions/%s?includeRecords=true&maxResults=100",
             cli_esc(c->memory_id), cli_esc(a.actor), cli_esc(a.session));
    json_t *r = NULL;
    int st = cli_call(c, "GET", path, NULL, &r);
    if (st != 200) {
        rc = cli_fail(st, r, "show session");
        json_decref(r);
        return rc;
    }
    if (c->json) {
        cli_print_json(r);
        json_decref(r);
        return CLI_OK;
    }
    printf("Session %s of %s\n\n", a.session, a.actor);
    size_t i, k;
    json_t *e, *p, *rec;
    json_array_foreach(json_object_get(r, "events"), i, e) {
        json_array_foreach(json_object_get(e, "payload"), k, p) {
            json_t *cv = json_object_get(p, "conversational");
            if (cv)
                printf("[%s] %s: %s\n", cli_time(json_object_get(e, "eventTimestamp")),
                       json_string_value(json_object_get(cv, "role")),
                       json_string_value(json_object_get(json_object_get(cv, "content"), "text")));
            else
                printf("[%s] (blob)\n", cli_time(json_object_get(e, "eventTimestamp")));
        }
    }
    bool any = false;
    json_array_foreach(json_object_get(r, "memoryRecords"), i, rec) {
        const char *ns = json_string_value(json_array_get(json_object_get(rec, "namespaces"), 0));
        const char *text = json_string_value(json_object_get(json_object_get(rec, "content"), "text"));
        if (!any)
            printf("\nRecords from this session:\n");
        any = true;
        printf("  %s  %s\n    %s\n", json_string_value(json_object_get(rec, "memoryRecordId")),
               ns ? ns : "", text ? text : "");
    }
    if (!any)
        printf("\nNo records from this session yet (no summary yet).\n");
    json_decref(r);
    return CLI_OK;
}

static int cmd_sessions_delete(struct cli *c, int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a);
    if (rc || (rc = cli_need_memory(c)) || (rc = need(a.actor, "--actor")) ||
        (rc = need(a.session, "--session")))
        return rc;
    char what[512];
    snprintf(what, sizeof what, "Delete session %s of %s with its events and records", a.session, a.actor);
    if (!confirm(c, what))
        return CLI_EUSAGE;
    char path[1024];
    snprintf(path, sizeof path, "/_agentmem/memories/%s/actors/%s/sessions/%s",
             cli_esc(c->memory_id), cli_esc(a.actor), cli_esc(a.session));
    json_t *r = NULL;
    int st = cli_call(c, "DELETE", path, NULL, &r);
    rc = st == 200 ? CLI_OK : cli_fail(st, r, "delete session");
    if (!rc && c->json)
        cli_print_json(r);
    else if (!rc)
        printf("Deleted session %s of %s (%" JSON_INTEGER_FORMAT " events)\n", a.session, a.actor,
               json_integer_value(json_object_get(r, "deletedEvents")));
    json_decref(r);
    return rc;
}

static int cmd_actors_list(struct cli *c, int argc, char **argv)
{
    (void)argc, (void)argv;
    int rc = cli_need_memory(c);
    if (rc)
        return rc;
    char path[512];
    snprintf(path, sizeof path, "/_agentmem/memories/%s/actors?maxResults=100", cli_esc(c->memory_id));
    json_t *r = NULL;
    int st = cli_call(c, "GET", path, NULL, &r);
    if (st != 200) {
        rc = cli_fail(st, r, "list actors");
        json_decref(r);
        return rc;
    }
    if (c->json) {
        cli_print_json(json_object_get(r, "actors"));
    } else {
        printf("%-40s %8s %7s %s\n", "ACTOR", "SESSIONS", "EVENTS", "LAST ACTIVITY");
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(r, "actors"), i, x)
            printf("%-40s %8" JSON_INTEGER_FORMAT " %7" JSON_INTEGER_FORMAT " %s\n",
                   json_string_value(json_object_get(x, "actorId")),
                   json_integer_value(json_object_get(x, "sessionCount")),
                   json_integer_value(json_object_get(x, "eventCount")),
                   cli_time(json_object_get(x, "lastEventAt")));
    }
    json_decref(r);
    return CLI_OK;
}

static int cmd_actors_forget(struct cli *c, int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a);
    if (rc || (rc = cli_need_memory(c)) || (rc = need(a.actor, "--actor")))
        return rc;
    char what[512];
    snprintf(what, sizeof what, "Erase every event and record of %s", a.actor);
    if (!confirm(c, what))
        return CLI_EUSAGE;
    char path[768];
    snprintf(path, sizeof path, "/_agentmem/memories/%s/actors/%s", cli_esc(c->memory_id), cli_esc(a.actor));
    json_t *r = NULL;
    int st = cli_call(c, "DELETE", path, NULL, &r);
    rc = st == 200 ? CLI_OK : cli_fail(st, r, "forget actor");
    if (!rc && c->json)
        cli_print_json(r);
    else if (!rc)
        printf("Forgot %s: %" JSON_INTEGER_FORMAT " events, %" JSON_INTEGER_FORMAT " records deleted\n",
               a.actor, json_integer_value(json_object_get(r, "deletedEvents")),
               json_integer_value(json_object_get(r, "deletedRecords")));
    json_decref(r);
    return rc;
}

/* ---- records and search ---- */

static const char *or_dash(const char *s)
{
    return s ? s : "-";
}

static void print_record(json_t *rec, bool score)
{
    json_t *ext = json_object_get(rec, "agentmem");
    printf("%s", json_string_value(json_object_get(rec, "memoryRecordId")));
    if (score)
        printf("  score %.3f", json_real_value(json_object_get(rec, "score")));
    printf("  %s", json_string_value(json_array_get(json_object_get(rec, "namespaces"), 0)));
    if (ext)
        printf("  from %s/%s", or_dash(json_string_value(json_object_get(ext, "actorId"))),
               or_dash(json_string_value(json_object_get(ext, "sessionId"))));
    printf("\n    %s\n", json_string_value(json_object_get(json_object_get(rec, "content"), "text")));
}

static int cmd_search(struct cli *c, int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a);
    if (rc || (rc = cli_need_memory(c)))
        return rc;
    if (a.argc != 1) {
        fprintf(stderr, "agentmem: search takes one query\n");
        return CLI_EUSAGE;
    }
    char ns[512];
    snprintf(ns, sizeof ns, "%s", a.namespace_ ? a.namespace_ : "/");
    json_t *body = json_pack("{s:s,s:{s:s,s:i},s:i}", "namespace", ns, "searchCriteria",
                             "searchQuery", a.argv[0], "topK", 100, "maxResults", 100);
    char path[256];
    snprintf(path, sizeof path, "/memories/%s/retrieve", cli_esc(c->memory_id));
    json_t *r = NULL;
    int st = cli_call(c, "POST", path, body, &r);
    if (st != 200) {
        rc = cli_fail(st, r, "search");
        json_decref(r);
        return rc;
    }
    json_t *out = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(r, "memoryRecordSummaries"), i, rec) {
        const char *actor = json_string_value(json_object_get(json_object_get(rec, "agentmem"), "actorId"));
        const char *ns0 = json_string_value(json_array_get(json_object_get(rec, "namespaces"), 0));
        if (a.actor && !(actor && !strcmp(actor, a.actor)) && !(ns0 && strstr(ns0, a.actor)))
            continue;
        if ((int)json_array_size(out) < a.top)
            json_array_append(out, rec);
    }
    if (c->json) {
        cli_print_json(out);
    } else {
        if (!json_array_size(out))
            printf("No records match.\n");
        json_array_foreach(out, i, rec)
            print_record(rec, true);
    }
    json_decref(out);
    json_decref(r);
    return CLI_OK;
}

static int cmd_records_list(struct cli *c, int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a);
    if (rc || (rc = cli_need_memory(c)))
        return rc;
    json_t *body = json_pack("{s:s,s:i}", "namespace", a.namespace_ ? a.namespace_ : "/", "maxResults", 100);
    char path[256];
    snprintf(path, sizeof path, "/memories/%s/memoryRecords", cli_esc(c->memory_id));
    json_t *r = NULL;
    int st = cli_call(c, "POST", path, body, &r);
    if (st != 200) {
        rc = cli_fail(st, r, "list records");
        json_decref(r);
        return rc;
    }
    if (c->json) {
        cli_print_json(json_object_get(r, "memoryRecordSummaries"));
    } else {
        size_t i;
        json_t *rec;
        json_array_foreach(json_object_get(r, "memoryRecordSummaries"), i, rec)
            print_record(rec, false);
    }
    json_decref(r);
    return CLI_OK;
}

static int cmd_records_show(struct cli *c, int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a);
    if (rc || (rc = cli_need_memory(c)))
        return rc;
    if (a.argc != 1) {
        fprintf(stderr, "agentmem: records show takes a record id\n");
        return CLI_EUSAGE;
    }
    char path[512];
    snprintf(path, sizeof path, "/_agentmem/memories/%s/records/%s/history", cli_esc(c->memory_id),
             cli_esc(a.argv[0]));
    json_t *r = NULL;
    int st = cli_call(c, "GET", path, NULL, &r);
    if (st != 200) {
        rc = cli_fail(st, r, "show record");
        json_decref(r);
        return rc;
    }
    if (c->json) {
        cli_print_json(r);
    } else {
        size_t i;
        json_t *rec;
        json_array_foreach(json_object_get(r, "versions"), i, rec) {
            const char *by = json_string_value(json_object_get(json_object_get(rec, "agentmem"), "supersededBy"));
            printf("%s (%s)\n", by ? "superseded version" : "current version", cli_time(json_object_get(rec, "createdAt")));
            print_record(rec, false);
        }
    }
    json_decref(r);
    return CLI_OK;
}

static int cmd_records_delete(struct cli *c, int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a);
    if (rc || (rc = cli_need_memory(c)))
        return rc;
    if (a.argc != 1) {
        fprintf(stderr, "agentmem: records delete takes a record id\n");
        return CLI_EUSAGE;
    }
    char path[512];
    snprintf(path, sizeof path, "/memories/%s/memoryRecords/%s", cli_esc(c->memory_id), cli_esc(a.argv[0]));
    json_t *r = NULL;
    int st = cli_call(c, "DELETE", path, NULL, &r);
    rc = st == 200 ? CLI_OK : cli_fail(st, r, "delete record");
    if (!rc && !c->json)
        printf("Deleted record %s\n", a.argv[0]);
    json_decref(r);
    return rc;
}


const struct cli_command cli_commands[] = {
    {"setup", "--name NAME [--description TEXT] [--strategies summary,preference,semantic] [--expiry-days N]",
     "create the memory (or find it by name), wait until ACTIVE, print its id", cmd_setup},
    {"memories list", "", "list memories", cmd_memories_list},
    {"memories show", "[ID]", "show a memory and its strategies", cmd_memories_show},
    {"memories delete", "[ID] [--yes]", "delete a memory with all it holds", cmd_memories_delete},
    {"sessions list", "[--actor ID]", "sessions, newest activity first, with event counts", cmd_sessions_list},
    {"sessions show", "--actor ID --session ID", "a session's transcript and its records", cmd_sessions_show},
    {"sessions delete", "--actor ID --session ID [--yes]", "delete a session, its events and records", cmd_sessions_delete},
    {"actors list", "", "actors with their session and event counts", cmd_actors_list},
    {"actors forget", "--actor ID [--yes]", "erase everything about one actor", cmd_actors_forget},
    {"search", "QUERY [--actor ID] [--namespace NS] [--top N]", "search records, with scores and provenance", cmd_search},
    {"records list", "[--namespace NS]", "list current records", cmd_records_list},
    {"records show", "RECORD_ID", "a record with its history", cmd_records_show},
    {"records delete", "RECORD_ID", "delete a record", cmd_records_delete},
    {"export", "[--actor ID] [--session ID] [--file PATH]", "JSON Lines of events and records (stdout by default)", cmd_export},
    {"import", "--file PATH", "load JSON Lines; idempotent, resumable", cmd_import},
    {"doctor", "", "check the setup and say how to fix what is wrong", cmd_doctor},
    {NULL, NULL, NULL, NULL},
};
