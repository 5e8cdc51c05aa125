/*
 * client.c - HTTP to agentmemd with libcurl, and the in-process server for --db.
 */
#include "cli.h"

#include "agentmem.h"
#include "api/http/server.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct body {
    char *data;
    size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    size_t add = size * n;
    if (b->len + add > (64u << 20))        /* replies are bounded: 64 MiB */
        return 0;
    char *d = realloc(b->data, b->len + add + 1);
    if (!d)
        return 0;
    memcpy(d + b->len, p, add);
    b->data = d;
    b->len += add;
    d[b->len] = '\0';
    return add;
}

int cli_connect(struct cli *c)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (c->db) {
        am_db *db = NULL;
        if (am_open(c->db, AM_OPEN_MANUAL, &db) != AM_OK) {
            fprintf(stderr, "agentmem: cannot open %s: %s\n", c->db, am_errmsg(NULL));
            return CLI_EUNREACHABLE;
        }
        struct am_http_options opt = {.listen = "127.0.0.1:0", .threads = 2,
                                      .max_body = 64u << 20, .timeout_s = 60,
                                      .max_connections = 16};
        struct am_http_server *srv = NULL;
        char err[256];
        if (am_http_server_start(db, &opt, &srv, err, sizeof err)) {
            fprintf(stderr, "agentmem: cannot serve %s: %s\n", c->db, err);
            am_close(db);
            return CLI_EUNREACHABLE;
        }
        c->embedded = srv;
        c->dbh = db;
        snprintf(c->url, sizeof c->url, "http://127.0.0.1:%u", am_http_server_port(srv));
    } else {
        snprintf(c->url, sizeof c->url, "%s", c->endpoint);
        size_t n = strlen(c->url);
        while (n > 0 && c->url[n - 1] == '/')
            c->url[--n] = '\0';
    }
    return CLI_OK;
}

void cli_disconnect(struct cli *c)
{
    if (c->embedded) {
        /* --db: run what extraction is pending before closing, so records appear */
        int done = 0;
        am_extract_run(c->dbh, 1000, &done);
        am_http_server_stop(c->embedded);
        am_close(c->dbh);
    }
    curl_global_cleanup();
}

int cli_call(struct cli *c, const char *method, const char *path, json_t *body, json_t **out)
{
    struct body reply = {0};
    char url[2048];
    char *text = NULL;
    long status = -1;

    *out = NULL;
    CURL *h = curl_easy_init();
    if (!h) {
        json_decref(body);
        return -1;
    }
    snprintf(url, sizeof url, "%s%s", c->url, path);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
    if (body) {
        text = json_dumps(body, JSON_COMPACT);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, text ? text : "{}");
    }
    if (curl_easy_perform(h) == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (reply.data)
            *out = json_loads(reply.data, JSON_DECODE_ANY, NULL);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    free(reply.data);
    free(text);
    json_decref(body);
    return (int)status;
}

const char *cli_esc(const char *s)
{
    static char bufs[4][1024];
    static int slot;
    char *b = bufs[slot++ & 3];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 4 < sizeof bufs[0]; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-_.~", *p))
            b[o++] = (char)*p;
        else
            o += (size_t)snprintf(b + o, 4, "%%%02X", *p);
    }
    b[o] = '\0';
    return b;
}

int cli_fail(int status, json_t *reply, const char *what)
{
    if (status < 0) {
        fprintf(stderr, "agentmem: %s: cannot reach the server\n", what);
        return CLI_EUNREACHABLE;
    }
    const char *msg = json_string_value(json_object_get(reply, "message"));
    const char *type = json_string_value(json_object_get(reply, "__type"));
    fprintf(stderr, "agentmem: %s: %s%s%s\n", what, type ? type : "HTTP error",
            msg ? ": " : "", msg ? msg : "");
    return status == 404 ? CLI_ENOTFOUND : CLI_EFAIL;
}

int cli_need_memory(struct cli *c)
{
    if (c->memory_id && *c->memory_id)
        return CLI_OK;
    fprintf(stderr, "agentmem: no memory id: pass --memory-id ID or set AGENTCORE_MEMORY_ID "
                    "(agentmem setup --name NAME prints it)\n");
    return CLI_EUSAGE;
}

void cli_print_json(json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (s)
        puts(s);
    free(s);
}

const char *cli_time(json_t *ts)
{
    static char bufs[4][32];
    static int slot;
    char *b = bufs[slot++ & 3];
    if (!json_is_number(ts))
        return "-";
    time_t t = (time_t)json_number_value(ts);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(b, 32, "%Y-%m-%d %H:%M:%S", &tm);
    return b;
}
