/*
 * fuzz_http.c - whole requests through agentmemd's handlers, in-process (am_http_dispatch):
 * routing and path labels, query parsing, JSON bodies of every operation, validation,
 * pagination tokens, the SQLite store, and now and then the extraction pipeline.
 *
 * Input: "METHOD TARGET\n" then the body. "{MID}" anywhere stands for a memory created at
 * start (with the three built-in strategies), so inputs can reach past the memory lookup.
 * Every reply must be a status the API uses, and an error reply must be the API's JSON.
 */
#include "fuzz.h"

#include "agentmem.h"
#include "api/http/http.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static am_db *db;
static char mid[128];
static char dir[64];

static void cleanup(void)
{
    char cmd[128];
    am_close(db);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_http: could not remove %s\n", dir);
}

static void init(void)
{
    static const char strategies[] =
        "[{\"summaryMemoryStrategy\":{\"name\":\"S\"}},"
        "{\"userPreferenceMemoryStrategy\":{\"name\":\"P\"}},"
        "{\"semanticMemoryStrategy\":{\"name\":\"F\"}}]";
    char path[128];
    snprintf(dir, sizeof dir, "/tmp/am-fuzz-http-%ld", (long)getpid());
    snprintf(path, sizeof path, "%s/f.db", dir);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    if (system(cmd) != 0 || am_open(path, AM_OPEN_MANUAL, &db) != AM_OK)
        abort();
    am_memory_in in = {.name = "Fuzz", .event_expiry_days = 0, .strategies_json = strategies};
    am_memories *m = NULL;
    if (am_memory_create(db, &in, &m) != AM_OK)
        abort();
    snprintf(mid, sizeof mid, "%s", m->items[0].id);
    am_memories_free(m);
    atexit(cleanup);
}

/* s with every "{MID}" replaced (caller frees). */
static char *with_mid(const char *s, size_t n, size_t *out_n)
{
    size_t cap = n + 1, len = 0;
    for (size_t i = 0; i + 5 <= n; i++)
        cap += memcmp(s + i, "{MID}", 5) == 0 ? strlen(mid) : 0;
    char *out = malloc(cap);
    if (!out)
        abort();
    for (size_t i = 0; i < n;) {
        if (i + 5 <= n && memcmp(s + i, "{MID}", 5) == 0) {
            memcpy(out + len, mid, strlen(mid));
            len += strlen(mid);
            i += 5;
        } else {
            out[len++] = s[i++];
        }
    }
    out[len] = '\0';
    *out_n = len;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned long runs;
    if (!db)
        init();
    const char *nl = memchr(data, '\n', size);
    size_t head = nl ? (size_t)(nl - (const char *)data) : size;
    if (head == 0 || head > 4096)
        return 0;
    size_t line_n, body_n;
    char *line = with_mid((const char *)data, head, &line_n);
    char *body = nl ? with_mid(nl + 1, size - head - 1, &body_n) : NULL;
    if (!nl)
        body_n = 0;
    char *sp = strchr(line, ' ');
    if (sp && !memchr(line, '\0', line_n)) {
        *sp = '\0';
        int status = 0;
        char *reply = NULL;
        if (am_http_dispatch(db, line, sp + 1, body ? body : "", body_n, 1 << 20, &status,
                             &reply) == 0) {
            if (status < 200 || status > 599)
                abort();
            if (status >= 400) {          /* the API's error format */
                json_t *j = reply ? json_loads(reply, 0, NULL) : NULL;
                if (!json_is_string(json_object_get(j, "message")))
                    abort();
                json_decref(j);
            }
        }
        free(reply);
    }
    free(line);
    free(body);
    if (++runs % 8 == 0)
        am_extract_run(db, 2, NULL);
    return 0;
}
