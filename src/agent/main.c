/*
 * main.c - redshift-migration-agent: one handler (handler.c), three fronts.
 *
 *   redshift-migration-agent serve [--listen HOST:PORT] [--function-name NAME]
 *       a local AWS Lambda API: Invoke, GetFunctionConfiguration, UpdateFunctionConfiguration
 *   redshift-migration-agent invoke --payload JSON
 *       one invocation; prints the envelope
 *   redshift-migration-agent bootstrap   (also: the binary named "bootstrap", or no argument
 *       with AWS_LAMBDA_RUNTIME_API set) - the AWS Lambda custom runtime loop
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <openssl/evp.h>

#include "agent/agent.h"

#define DEFAULT_FUNCTION "redshift-migration-agent"

/* ------------------------------------------------------ function state ---- */

/* The serve front's function configuration. Requests are handled one at a time (a single MHD
 * thread), so the environment map can be mirrored into the process environment the handler
 * reads with getenv(). */
static struct {
    char name[128];
    json_t *vars;       /* Environment.Variables */
    json_int_t timeout, memory_size;
    char description[256];
    char last_modified[40];
    unsigned revision;
} fn;

static const char *region(void)
{
    const char *r = getenv("AWS_REGION");
    if (!r || !*r)
        r = getenv("AWS_DEFAULT_REGION");
    return r && *r ? r : "us-east-1";
}

static void touch(void)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(fn.last_modified, sizeof fn.last_modified, "%.19s.%03d+0000", base,
             (int)(ts.tv_nsec / 1000000) % 1000);
    fn.revision++;
}

static void fn_init(const char *name)
{
    static const char *const keep[] = {"AGENTCORE_MEMORY_ID", "AGENTMEM_ENDPOINT", "AGENTMEM_DB",
                                       "BEDROCK_MODEL_ID", NULL};
    snprintf(fn.name, sizeof fn.name, "%s", name);
    fn.vars = json_object();
    for (const char *const *k = keep; *k; k++) {
        const char *v = getenv(*k);
        if (v)
            json_object_set_new(fn.vars, *k, json_string(v));
    }
    fn.timeout = 900;
    fn.memory_size = 256;
    snprintf(fn.description, sizeof fn.description,
             "Redshift provisioned to Serverless migration agent (agentmem)");
    touch();
}

/* Replaces the whole map, as AWS does, and mirrors it into the environment. */
static void fn_set_vars(json_t *vars)
{
    const char *k;
    json_t *v;
    json_object_foreach(fn.vars, k, v) unsetenv(k);
    json_decref(fn.vars);
    fn.vars = json_object();
    json_object_foreach(vars, k, v) {
        if (!json_is_string(v))
            continue;
        json_object_set_new(fn.vars, k, json_string(json_string_value(v)));
        setenv(k, json_string_value(v), 1);
    }
}

static json_t *fn_config(void)
{
    char arn[512], rev[64];
    snprintf(arn, sizeof arn, "arn:aws:lambda:%s:123456789012:function:%s", region(), fn.name);
    snprintf(rev, sizeof rev, "00000000-0000-4000-8000-%012u", fn.revision);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:I, s:s, s:s, s:s, s:{s:O}, "
                     "s:{s:s}, s:s, s:s, s:s, s:s, s:[s], s:{s:i}}",
                     "FunctionName", fn.name, "FunctionArn", arn, "Runtime", "provided.al2023",
                     "Role", "arn:aws:iam::123456789012:role/redshift-migration-agent", "Handler",
                     "bootstrap", "CodeSize", 0, "Description", fn.description, "Timeout",
                     fn.timeout, "MemorySize", fn.memory_size, "LastModified", fn.last_modified,
                     "CodeSha256", "", "Version", "$LATEST", "Environment", "Variables",
                     fn.vars, "TracingConfig", "Mode", "PassThrough", "RevisionId", rev, "State",
                     "Active", "LastUpdateStatus", "Successful", "PackageType", "Zip",
                     "Architectures", "x86_64", "EphemeralStorage", "Size", 1024);
}

/* ------------------------------------------------------------- serve ---- */

struct conn {
    struct am_xbuf body;
    bool too_big;
};

/* the invocation being answered (requests are served one at a time) */
static struct timespec t_start;
static size_t invoke_len;

/* X-Amz-Log-Type: Tail asks for the last 4 KB of the log, base64: ours is one summary. */
static char *log_tail(const char *rid, double ms, size_t in_len, size_t out_len)
{
    char log[512];
    int n = snprintf(log, sizeof log,
                     "START RequestId: %s Version: $LATEST\n"
                     "redshift-migration-agent: payload %zu bytes, answer %zu bytes\n"
                     "END RequestId: %s\n"
                     "REPORT RequestId: %s\tDuration: %.2f ms\n", rid, in_len, out_len, rid, rid,
                     ms);
    if (n < 0 || (size_t)n >= sizeof log)
        n = (int)strlen(log);
    char *b64 = malloc(4 * ((size_t)n / 3 + 1) + 1);
    if (b64)
        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)log, n);
    return b64;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, const char *text,
                                 const char *error_type, bool invoked)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                                             MHD_RESPMEM_MUST_COPY);
    char rid[64];
    snprintf(rid, sizeof rid, "%08x-0000-4000-8000-%012lx", (unsigned)rand(),
             (unsigned long)time(NULL));
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "x-amzn-RequestId", rid);
    if (error_type)
        MHD_add_response_header(r, "x-amzn-ErrorType", error_type);
    if (invoked) {
        MHD_add_response_header(r, "X-Amz-Executed-Version", "$LATEST");
        if (strstr(text, "\"errorType\"") && strncmp(text, "{\"errorMessage\"", 16) == 0)
            MHD_add_response_header(r, "X-Amz-Function-Error", "Unhandled");
        const char *lt = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Log-Type");
        if (lt && strcmp(lt, "Tail") == 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            double ms = (double)(now.tv_sec - t_start.tv_sec) * 1e3 +
                        (double)(now.tv_nsec - t_start.tv_nsec) / 1e6;
            char *b64 = log_tail(rid, ms, invoke_len, strlen(text));
            if (b64)
                MHD_add_response_header(r, "X-Amz-Log-Result", b64);
            free(b64);
        }
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *type,
                                  const char *msg)
{
    json_t *j = json_pack("{s:s, s:s, s:s}", "Type", "User", "Message", msg, "message", msg);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    enum MHD_Result r = send_json(c, status, s ? s : "{}", type, false);
    free(s);
    return r;
}

/* "/2015-03-31/functions/{name}/{what}" → name (ARN or partial ARN reduced to the name). */
static bool route(const char *url, char *name, size_t cap, const char **what)
{
    static const char pre[] = "/2015-03-31/functions/";
    if (strncmp(url, pre, sizeof pre - 1) != 0)
        return false;
    const char *s = url + sizeof pre - 1;
    const char *slash = strchr(s, '/');
    if (!slash)
        return false;
    *what = slash + 1;
    char full[256];
    snprintf(full, sizeof full, "%.*s", (int)(slash - s), s);
    /* "arn:aws:lambda:r:acct:function:name", "acct:function:name", "name", each with an
       optional ":qualifier" */
    const char *f = strstr(full, "function:");
    snprintf(name, cap, "%s", f ? f + 9 : full);
    char *colon = strchr(name, ':');     /* drop ":qualifier" */
    if (colon)
        *colon = '\0';
    return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    struct conn *cn = *con_cls;
    if (!cn) {
        cn = calloc(1, sizeof *cn);
        if (!cn)
            return MHD_NO;
        am_xbuf_init(&cn->body, AM_AG_MAX_BODY - 1);
        *con_cls = cn;
        return MHD_YES;
    }
    if (*upload_size) {
        if (cn->body.len + *upload_size > AM_AG_MAX_BODY)
            cn->too_big = true;
        else
            am_xbuf_add(&cn->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }

    char name[256];
    const char *what = NULL;
    if (!route(url, name, sizeof name, &what))
        return send_error(c, 404, "UnknownOperationException", "Unknown operation");
    if (strcmp(name, fn.name) != 0 && strcmp(name, "function") != 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "Function not found: arn:aws:lambda:%s:123456789012:function:%s",
                 region(), name);
        return send_error(c, 404, "ResourceNotFoundException", msg);
    }
    if (cn->too_big || cn->body.err)
        return send_error(c, 413, "RequestTooLargeException",
                          "Request must be smaller than 6291456 bytes for the InvokeFunction "
                          "operation");

    if (strcmp(what, "invocations") == 0 && strcmp(method, "POST") == 0) {
        const char *payload = cn->body.p ? cn->body.p : "";
        json_t *probe = json_loadb(payload, cn->body.len, JSON_DECODE_ANY, NULL);
        if (cn->body.len && !probe)
            return send_error(c, 400, "InvalidRequestContentException",
                              "Could not parse request body into json: payload is not JSON");
        json_decref(probe);
        const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Invocation-Type");
        if (type && strcmp(type, "DryRun") == 0)
            return send_json(c, 204, "", NULL, true);
        clock_gettime(CLOCK_MONOTONIC, &t_start);
        invoke_len = cn->body.len;
        char *out = am_ag_handle(payload, cn->body.len);
        enum MHD_Result r;
        if (!out)
            r = send_json(c, 200, "{\"errorMessage\":\"out of memory\",\"errorType\":"
                          "\"Runtime.OutOfMemory\"}", NULL, true);
        else if (type && strcmp(type, "Event") == 0)
            r = send_json(c, 202, "", NULL, true);
        else
            r = send_json(c, 200, out, NULL, true);
        free(out);
        return r;
    }
    if (strcmp(what, "configuration") == 0 && strcmp(method, "GET") == 0) {
        json_t *cfg = fn_config();
        char *s = json_dumps(cfg, JSON_COMPACT);
        json_decref(cfg);
        enum MHD_Result r = send_json(c, 200, s ? s : "{}", NULL, false);
        free(s);
        return r;
    }
    if (strcmp(what, "configuration") == 0 && strcmp(method, "PUT") == 0) {
        json_t *in = json_loadb(cn->body.p ? cn->body.p : "", cn->body.len, 0, NULL);
        if (!json_is_object(in)) {
            json_decref(in);
            return send_error(c, 400, "InvalidParameterValueException",
                              "The request body must be a JSON object");
        }
        json_t *env = json_object_get(in, "Environment");
        if (env && !json_is_object(env)) {
            json_decref(in);
            return send_error(c, 400, "InvalidParameterValueException",
                              "Environment must be an object");
        }
        if (env)
            fn_set_vars(json_object_get(env, "Variables"));
        if (json_is_integer(json_object_get(in, "Timeout")))
            fn.timeout = json_integer_value(json_object_get(in, "Timeout"));
        if (json_is_integer(json_object_get(in, "MemorySize")))
            fn.memory_size = json_integer_value(json_object_get(in, "MemorySize"));
        if (json_is_string(json_object_get(in, "Description")))
            snprintf(fn.description, sizeof fn.description, "%s",
                     json_string_value(json_object_get(in, "Description")));
        json_decref(in);
        touch();
        json_t *cfg = fn_config();
        char *s = json_dumps(cfg, JSON_COMPACT);
        json_decref(cfg);
        enum MHD_Result r = send_json(c, 200, s ? s : "{}", NULL, false);
        free(s);
        return r;
    }
    return send_error(c, 404, "UnknownOperationException", "Unknown operation");
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct conn *cn = *con_cls;
    if (cn) {
        am_xbuf_free(&cn->body);
        free(cn);
        *con_cls = NULL;
    }
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int serve(const char *listen, const char *name)
{
    struct sockaddr_in sa = {0};
    char host[64] = "127.0.0.1";
    const char *colon = strrchr(listen, ':');
    char *end;
    long port;

    if (!colon) {
        fprintf(stderr, "redshift-migration-agent: --listen wants HOST:PORT\n");
        return 2;
    }
    if (colon > listen)
        snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    port = strtol(colon + 1, &end, 10);
    sa.sin_family = AF_INET;
    if (*end || port < 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "redshift-migration-agent: bad --listen %s\n", listen);
        return 2;
    }
    sa.sin_port = htons((uint16_t)port);
    fn_init(name);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "redshift-migration-agent: cannot listen on %s: %s\n", listen,
                strerror(errno));
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "redshift-migration-agent: listening addr=%s:%u function=%s\n", host,
            info ? (unsigned)info->port : (unsigned)port, name);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    json_decref(fn.vars);
    fprintf(stderr, "redshift-migration-agent: stopped\n");
    return 0;
}

/* --------------------------------------------------------- bootstrap ---- */

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
    static const char key[] = "lambda-runtime-aws-request-id:";
    char *id = ud;
    size_t len = size * n;
    if (len > sizeof key - 1 && strncasecmp(buf, key, sizeof key - 1) == 0) {
        const char *v = buf + sizeof key - 1;
        size_t vl = len - (sizeof key - 1);
        while (vl && (*v == ' '))
            v++, vl--;
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        snprintf(id, 128, "%.*s", (int)vl, v);
    }
    return len;
}

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    am_xbuf_add(ud, ptr, size * n);
    return ((struct am_xbuf *)ud)->err ? 0 : size * n;
}

static int post(CURL *c, const char *url, const char *body, const char *error_type)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    char line[160];
    if (error_type) {
        snprintf(line, sizeof line, "Lambda-Runtime-Function-Error-Type: %s", error_type);
        h = curl_slist_append(h, line);
    }
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    if (cc != CURLE_OK || status >= 300) {
        fprintf(stderr, "redshift-migration-agent: POST %s: %s (HTTP %ld)\n", url,
                curl_easy_strerror(cc), status);
        return -1;
    }
    return 0;
}

static int bootstrap(void)
{
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    char url[512];
    if (!api || !*api) {
        fprintf(stderr, "redshift-migration-agent: AWS_LAMBDA_RUNTIME_API is not set\n");
        return 2;
    }
    CURL *c = curl_easy_init();
    if (!c)
        return 1;
    for (;;) {
        struct am_xbuf ev = AM_AG_BUF_INIT;
        char id[128] = "";
        long status = 0;
        curl_easy_reset(c);
        snprintf(url, sizeof url, "http://%s/2018-06-01/runtime/invocation/next", api);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, id);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &ev);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 0L);   /* frozen between events: never time out */
        CURLcode cc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (cc != CURLE_OK || status != 200 || !*id) {
            fprintf(stderr, "redshift-migration-agent: next invocation: %s (HTTP %ld)\n",
                    curl_easy_strerror(cc), status);
            am_xbuf_free(&ev);
            curl_easy_cleanup(c);
            return 1;
        }
        char *out = am_ag_handle(ev.p ? ev.p : "", ev.len);
        am_xbuf_free(&ev);
        if (out) {
            snprintf(url, sizeof url, "http://%s/2018-06-01/runtime/invocation/%s/response", api,
                     id);
            post(c, url, out, NULL);
        } else {
            snprintf(url, sizeof url, "http://%s/2018-06-01/runtime/invocation/%s/error", api, id);
            post(c, url, "{\"errorMessage\":\"out of memory\",\"errorType\":"
                         "\"Runtime.OutOfMemory\"}", "Runtime.OutOfMemory");
        }
        free(out);
    }
}

/* -------------------------------------------------------------- main ---- */

static void help(FILE *f)
{
    fputs("usage: redshift-migration-agent serve [--listen HOST:PORT] [--function-name NAME]\n"
          "       redshift-migration-agent invoke --payload JSON\n"
          "       redshift-migration-agent bootstrap   (AWS Lambda custom runtime)\n"
          "environment: AGENTCORE_MEMORY_ID, AGENTMEM_ENDPOINT (default http://127.0.0.1:8080)\n"
          "  or AGENTMEM_DB (a database file or postgres:// URI used in-process),\n"
          "  AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,\n"
          "  AWS_ENDPOINT_URL_REDSHIFT, AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS\n",
          f);
}

int main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    if (strcmp(base, "bootstrap") == 0 || (argc > 1 && strcmp(argv[1], "bootstrap") == 0) ||
        (argc == 1 && getenv("AWS_LAMBDA_RUNTIME_API"))) {
        rc = bootstrap();
    } else if (argc > 1 && strcmp(argv[1], "serve") == 0) {
        const char *listen = "127.0.0.1:9000", *name = DEFAULT_FUNCTION;
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
                listen = argv[++i];
            else if (strncmp(argv[i], "--listen=", 9) == 0)
                listen = argv[i] + 9;
            else if (strcmp(argv[i], "--function-name") == 0 && i + 1 < argc)
                name = argv[++i];
            else {
                help(stderr);
                return 2;
            }
        }
        rc = serve(listen, name);
    } else if (argc > 1 && strcmp(argv[1], "invoke") == 0) {
        const char *payload = NULL;
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--payload") == 0 && i + 1 < argc)
                payload = argv[++i];
            else if (strncmp(argv[i], "--payload=", 10) == 0)
                payload = argv[i] + 10;
            else {
                help(stderr);
                return 2;
            }
        }
        if (!payload) {
            help(stderr);
            return 2;
        }
        char *out = am_ag_handle(payload, strlen(payload));
        if (!out) {
            fprintf(stderr, "redshift-migration-agent: out of memory\n");
            return 1;
        }
        puts(out);
        free(out);
        rc = 0;
    } else if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        help(stdout);
        rc = 0;
    } else {
        help(stderr);
        rc = 2;
    }
    curl_global_cleanup();
    return rc;
}
