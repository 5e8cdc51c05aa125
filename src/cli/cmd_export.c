/*
 * cmd_export.c - export and import as JSON Lines, and doctor.
 *
 * Export writes one JSON object per line: {"type":"event","actorId","sessionId","event":{...}}
 * and {"type":"record","record":{...}} (events oldest first). Import validates each line,
 * reports bad ones by line number, and writes events with a clientToken derived from the
 * line, and records only when no current record has the same namespace and text, so running
 * it twice (or again after an interruption) adds nothing.
 */
#include "agentmem.h"
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int opts(int argc, char **argv, const char **actor, const char **session,
                const char **file)
{
    static const struct option o[] = {{"actor", required_argument, 0, 'a'},
                                      {"session", required_argument, 0, 's'},
                                      {"file", required_argument, 0, 'f'},
                                      {0, 0, 0, 0}};
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
        if (ch == 'a')
            *actor = optarg;
        else if (ch == 's')
            *session = optarg;
        else if (ch == 'f')
            *file = optarg;
        else {
            fprintf(stderr, "agentmem: unknown option %s\n", argv[optind - 1]);
            return CLI_EUSAGE;
        }
    }
    return CLI_OK;
}

static void emit(FILE *f, json_t *line)
{
    char *s = json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(15));
    if (s)
        fprintf(f, "%s\n", s);
    free(s);
    json_decref(line);
}

/* Export one session's events, oldest first (ListEvents newest first, reversed per page
   set: all pages are collected, then written in reverse). */
static int export_session(struct cli *c, FILE *f, const char *actor, const char *session,
                          int *n)
{
    json_t *all = json_array();
    char *token = NULL;
    char path[1024];
    snprintf(path, sizeof path, "/memories/%s/actor/%s/sessions/%s", cli_esc(c->memory_id),
             cli_esc(actor), cli_esc(session));
    do {
        json_t *body = json_pack("{s:i,s:b}", "maxResults", 100, "includePayloads", 1), *r = NULL;
        if (token)
            json_object_set_new(body, "nextToken", json_string(token));
        free(token);
        token = NULL;
        int st = cli_call(c, "POST", path, body, &r);
        if (st != 200) {
            int rc = cli_fail(st, r, "list events");
            json_decref(r);
            json_decref(all);
            return rc;
        }
        json_array_extend(all, json_object_get(r, "events"));
        const char *t = json_string_value(json_object_get(r, "nextToken"));
        token = t ? strdup(t) : NULL;
        json_decref(r);
    } while (token);
    for (size_t i = json_array_size(all); i-- > 0;) {
        json_t *ev = json_array_get(all, i);
        emit(f, json_pack("{s:s,s:s,s:s,s:O}", "type", "event", "actorId", actor, "sessionId",
                          session, "event", ev));
        (*n)++;
    }
    json_decref(all);
    return CLI_OK;
}

int cmd_export(struct cli *c, int argc, char **argv)
{
    const char *actor = NULL, *session = NULL, *file = NULL;
    int rc = opts(argc, argv, &actor, &session, &file);
    if (rc || (rc = cli_need_memory(c)))
        return rc;
    FILE *f = file ? fopen(file, "w") : stdout;
    if (!f) {
        fprintf(stderr, "agentmem: cannot write %s\n", file);
        return CLI_EFAIL;
    }
    int n_events = 0, n_records = 0;
    char path[1024];
    snprintf(path, sizeof path, "/_agentmem/memories/%s/sessions?order=created&maxResults=100%s%s",
             cli_esc(c->memory_id), actor ? "&actorId=" : "", actor ? cli_esc(actor) : "");
    char *token = NULL;
    do {
        char full[1400];
        snprintf(full, sizeof full, "%s%s%s", path, token ? "&nextToken=" : "",
                 token ? cli_esc(token) : "");
        free(token);
        token = NULL;
        json_t *r = NULL;
        int st = cli_call(c, "GET", full, NULL, &r);
        if (st != 200) {
            rc = cli_fail(st, r, "list sessions");
            json_decref(r);
            goto out;
        }
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(r, "sessionSummaries"), i, s) {
            const char *a = json_string_value(json_object_get(s, "actorId"));
            const char *sid = json_string_value(json_object_get(s, "sessionId"));
            if (session && strcmp(session, sid))
                continue;
            if ((rc = export_session(c, f, a, sid, &n_events))) {
                json_decref(r);
                goto out;
            }
        }
        const char *t = json_string_value(json_object_get(r, "nextToken"));
        token = t ? strdup(t) : NULL;
        json_decref(r);
    } while (token);
    /* records of the memory, filtered by provenance when an actor or session is given */
    snprintf(path, sizeof path, "/memories/%s/memoryRecords", cli_esc(c->memory_id));
    do {
        json_t *body = json_pack("{s:s,s:i}", "namespace", "/", "maxResults", 100), *r = NULL;
        if (token)
            json_object_set_new(body, "nextToken", json_string(token));
        free(token);
        token = NULL;
        int st = cli_call(c, "POST", path, body, &r);
        if (st != 200) {
            rc = cli_fail(st, r, "list records");
            json_decref(r);
            goto out;
        }
        size_t i;
        json_t *rec;
        json_array_foreach(json_object_get(r, "memoryRecordSummaries"), i, rec) {
            json_t *ext = json_object_get(rec, "agentmem");
            const char *ra = json_string_value(json_object_get(ext, "actorId"));
            const char *rs = json_string_value(json_object_get(ext, "sessionId"));
            if ((actor && !(ra && !strcmp(ra, actor))) || (session && !(rs && !strcmp(rs, session))))
                continue;
            emit(f, json_pack("{s:s,s:O}", "type", "record", "record", rec));
            n_records++;
        }
        const char *t = json_string_value(json_object_get(r, "nextToken"));
        token = t ? strdup(t) : NULL;
        json_decref(r);
    } while (token);
    if (file || !c->tty)
        fprintf(stderr, "exported %d events and %d records\n", n_events, n_records);
out:
    if (f != stdout)
        fclose(f);
    return rc;
}

/* FNV-1a of a line: the clientToken that makes re-imports idempotent. */
static void line_token(const char *line, char out[40])
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)line; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    snprintf(out, 40, "import-%016" PRIx64, h);
}

/* The current records of the memory, as "namespace\ntext" keys, to skip what exists. */
static json_t *existing_records(struct cli *c)
{
    json_t *keys = json_object();
    char *token = NULL;
    char path[512];
    snprintf(path, sizeof path, "/memories/%s/memoryRecords", cli_esc(c->memory_id));
    do {
        json_t *body = json_pack("{s:s,s:i}", "namespace", "/", "maxResults", 100), *r = NULL;
        if (token)
            json_object_set_new(body, "nextToken", json_string(token));
        free(token);
        token = NULL;
        if (cli_call(c, "POST", path, body, &r) != 200) {
            json_decref(r);
            break;
        }
        size_t i;
        json_t *rec;
        json_array_foreach(json_object_get(r, "memoryRecordSummaries"), i, rec) {
            char *k = NULL;
            const char *ns = json_string_value(json_array_get(json_object_get(rec, "namespaces"), 0));
            const char *tx = json_string_value(json_object_get(json_object_get(rec, "content"), "text"));
            size_t len = (ns ? strlen(ns) : 0) + (tx ? strlen(tx) : 0) + 2;
            if ((k = malloc(len))) {
                snprintf(k, len, "%s\n%s", ns ? ns : "", tx ? tx : "");
                json_object_set_new(keys, k, json_true());
                free(k);
            }
        }
        const char *t = json_string_value(json_object_get(r, "nextToken"));
        token = t ? strdup(t) : NULL;
        json_decref(r);
    } while (token);
    return keys;
}

static int import_line(struct cli *c, const char *line, json_t *v, json_t *existing,
                       const char **why)
{
    const char *type = json_string_value(json_object_get(v, "type"));
    char path[512];
    json_t *r = NULL;
    int st;
    if (type && !strcmp(type, "event")) {
        json_t *ev = json_object_get(v, "event");
        const char *actor = json_string_value(json_object_get(v, "actorId"));
        const char *session = json_string_value(json_object_get(v, "sessionId"));
        if (!json_is_object(ev) || !actor || !session || !json_object_get(ev, "payload") ||
            !json_is_number(json_object_get(ev, "eventTimestamp"))) {
            *why = "an event line needs actorId, sessionId and event {eventTimestamp, payload}";
            return CLI_EUSAGE;
        }
        char token[40];
        line_token(line, token);
        json_t *body = json_pack("{s:s,s:s,s:O,s:O,s:s}", "actorId", actor, "sessionId", session,
                                 "eventTimestamp", json_object_get(ev, "eventTimestamp"),
                                 "payload", json_object_get(ev, "payload"), "clientToken", token);
        json_t *md = json_object_get(ev, "metadata"), *br = json_object_get(ev, "branch");
        if (md)
            json_object_set(body, "metadata", md);
        if (br && strcmp(json_string_value(json_object_get(br, "name")) ? json_string_value(json_object_get(br, "name")) : "main", "main"))
            json_object_set(body, "branch", br);
        snprintf(path, sizeof path, "/memories/%s/events", cli_esc(c->memory_id));
        st = cli_call(c, "POST", path, body, &r);
    } else if (type && !strcmp(type, "record")) {
        json_t *rec = json_object_get(v, "record");
        const char *ns = json_string_value(json_array_get(json_object_get(rec, "namespaces"), 0));
        const char *tx = json_string_value(json_object_get(json_object_get(rec, "content"), "text"));
        if (!ns || !tx || !json_is_number(json_object_get(rec, "createdAt"))) {
            *why = "a record line needs record {namespaces, content.text, createdAt}";
            return CLI_EUSAGE;
        }
        char *key = malloc(strlen(ns) + strlen(tx) + 2);
        if (!key)
            return CLI_EFAIL;
        snprintf(key, strlen(ns) + strlen(tx) + 2, "%s\n%s", ns, tx);
        bool have = json_object_get(existing, key) != NULL;
        if (!have)
            json_object_set_new(existing, key, json_true());
        free(key);
        if (have)
            return CLI_OK;
        json_t *item = json_pack("{s:s,s:[s],s:{s:s},s:O}", "requestIdentifier", "r1",
                                 "namespaces", ns, "content", "text", tx, "timestamp",
                                 json_object_get(rec, "createdAt"));
        json_t *sid = json_object_get(rec, "memoryStrategyId");
        if (json_string_length(sid))
            json_object_set(item, "memoryStrategyId", sid);
        snprintf(path, sizeof path, "/memories/%s/memoryRecords/batchCreate", cli_esc(c->memory_id));
        st = cli_call(c, "POST", path, json_pack("{s:[o]}", "records", item), &r);
        if (st == 201 && json_array_size(json_object_get(r, "failedRecords"))) {
            *why = json_string_value(json_object_get(json_array_get(json_object_get(r, "failedRecords"), 0), "errorMessage"));
            json_decref(r);
            return CLI_EFAIL;
        }
    } else {
        *why = "unknown line type (expected \"event\" or \"record\")";
        return CLI_EUSAGE;
    }
    int rc = st >= 200 && st < 300 ? CLI_OK : CLI_EFAIL;
    if (rc) {
        static char msg[512];
        snprintf(msg, sizeof msg, "%s", st < 0 ? "cannot reach the server" :
                 json_string_value(json_object_get(r, "message")) ? json_string_value(json_object_get(r, "message")) : "rejected");
        *why = msg;
        if (st < 0)
            rc = CLI_EUNREACHABLE;
    }
    json_decref(r);
    return rc;
}

int cmd_import(struct cli *c, int argc, char **argv)
{
    const char *actor = NULL, *session = NULL, *file = NULL;
    int rc = opts(argc, argv, &actor, &session, &file);
    if (rc || (rc = cli_need_memory(c)))
        return rc;
    if (!file) {
        fprintf(stderr, "agentmem: --file is required\n");
        return CLI_EUSAGE;
    }
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "agentmem: cannot read %s\n", file);
        return CLI_EFAIL;
    }
    long total = 0;
    int ch;
    while ((ch = fgetc(f)) != EOF)
        total += ch == '\n';
    rewind(f);
    json_t *existing = existing_records(c);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long n = 0, ok = 0, bad = 0;
    bool progress = isatty(STDERR_FILENO) && !c->json;
    while ((len = getline(&line, &cap, f)) != -1) {
        n++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        json_error_t jerr;
        json_t *v = json_loads(line, 0, &jerr);
        const char *why = NULL;
        int lrc = v ? import_line(c, line, v, existing, &why) : CLI_EUSAGE;
        if (!v)
            why = jerr.text;
        json_decref(v);
        if (lrc == CLI_EUNREACHABLE) {
            fprintf(stderr, "agentmem: line %ld: %s; run the same import again to resume\n", n, why);
            rc = lrc;
            break;
        }
        if (lrc) {
            fprintf(stderr, "%sagentmem: line %ld: %s\n", progress ? "\n" : "", n, why ? why : "rejected");
            bad++;
        } else {
            ok++;
        }
        if (progress)
            fprintf(stderr, "\rimporting: %ld/%ld lines", n, total);
    }
    if (progress)
        fputc('\n', stderr);
    free(line);
    fclose(f);
    json_decref(existing);
    if (c->json)
        printf("{\"lines\":%ld,\"imported\":%ld,\"rejected\":%ld}\n", n, ok, bad);
    else
        printf("imported %ld lines, %ld rejected\n", ok, bad);
    return rc ? rc : bad ? CLI_EFAIL : CLI_OK;
}

/* ---- doctor ---- */

static int check(bool ok, const char *what, const char *detail, const char *fix)
{
    printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", what, detail ? ": " : "", detail ? detail : "");
    if (!ok && fix)
        printf("     fix: %s\n", fix);
    return ok ? 0 : 1;
}

static bool well_formed(const char *id)
{
    size_t n = strlen(id);
    if (n < 12 || id[n - 11] != '-')
        return false;
    for (size_t i = n - 10; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z')))
            return false;
    return (id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z');
}

int cmd_doctor(struct cli *c, int argc, char **argv)
{
    (void)argc, (void)argv;
    int bad = 0;
    char detail[512];
    bool have_id = c->memory_id && *c->memory_id;
    bad += check(have_id && well_formed(c->memory_id), "AGENTCORE_MEMORY_ID set and well-formed",
                 have_id ? c->memory_id : "not set",
                 "agentmem setup --name NAME, then export the AGENTCORE_MEMORY_ID line it prints");
    json_t *r = NULL;
    int st = cli_call(c, "GET", "/_agentmem/health", NULL, &r);
    snprintf(detail, sizeof detail, "%s%s", c->db ? "in-process over " : "", c->db ? c->db : c->url);
    bad += check(st == 200, "server reachable", detail,
                 "start it: build/agentmemd --listen 127.0.0.1:8080 --db ./agentmem.db (or pass --endpoint URL)");
    json_decref(r);
    if (st != 200) {
        printf("stopping: the remaining checks need the server\n");
        return CLI_EDOCTOR;
    }
    if (!have_id)
        return CLI_EDOCTOR;
    char path[512];
    snprintf(path, sizeof path, "/memories/%s/details", cli_esc(c->memory_id));
    st = cli_call(c, "GET", path, NULL, &r);
    json_t *m = json_object_get(r, "memory");
    const char *status = json_string_value(json_object_get(m, "status"));
    bad += check(st == 200 && status && !strcmp(status, "ACTIVE"), "memory exists and is ACTIVE",
                 st == 200 ? status : "not found", "agentmem setup --name NAME (then use the id it prints)");
    size_t n_strategies = json_array_size(json_object_get(m, "strategies"));
    snprintf(detail, sizeof detail, "%zu", n_strategies);
    bad += check(n_strategies > 0, "strategies configured", detail,
                 "recreate with agentmem setup (summary, preference and semantic by default)");
    json_decref(r);
    if (st == 200) {
        snprintf(path, sizeof path, "/memories/%s/extractionJobs", cli_esc(c->memory_id));
        r = NULL;
        int pending = 0, failed = 0;
        if (cli_call(c, "POST", path, json_pack("{s:i}", "maxResults", 50), &r) == 200) {
            size_t i;
            json_t *j;
            json_array_foreach(json_object_get(r, "jobs"), i, j) {
                const char *js = json_string_value(json_object_get(j, "status"));
                if (js && !strcmp(js, "FAILED"))
                    failed++;
                else
                    pending++;
            }
        }
        json_decref(r);
        snprintf(detail, sizeof detail, "%d pending, %d failed", pending, failed);
        bad += check(failed == 0, "extraction backlog and failed jobs", detail,
                     "see the failure reasons with: aws bedrock-agentcore list-memory-extraction-jobs "
                     "--memory-id ID --endpoint-url URL; restart one with start-memory-extraction-job");
    }
    if (c->db) {
        struct stat sb;
        bool writable = access(c->db, W_OK) == 0;
        snprintf(detail, sizeof detail, "%s, %lld bytes", c->db,
                 stat(c->db, &sb) == 0 ? (long long)sb.st_size : 0LL);
        bad += check(writable, "database file writable", detail, "check the file's owner and permissions");
        am_db *db = NULL;
        char *report = NULL;
        int rc = am_open(c->db, AM_OPEN_MANUAL, &db);
        if (rc == AM_OK)
            rc = am_check(db, &report);
        bad += check(rc == AM_OK && report && strcmp(report, "ok") == 0, "database integrity",
                     rc ? am_errmsg(db) : report,
                     "stop the server, copy the file aside, then rebuild it: agentmem export "
                     "--db OLD > dump.jsonl && agentmem import --db NEW < dump.jsonl");
        am_free(report);
        am_close(db);
    }
    return bad ? CLI_EDOCTOR : CLI_OK;
}
