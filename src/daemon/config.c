/*
 * config.c - the option table of agentmemd and everything it drives.
 *
 * Each option is declared once: name, environment variable, type, default, bounds and a
 * one-line doc. From the table come the flag parser (--name=value and --name value), the
 * AGENTMEM_<NAME> overrides, the config file (--config FILE, lines "name = value", '#'
 * comments), --help and --print-config (each value with its source). Precedence:
 * default < config file < environment < flag. Values are validated once, at the end, so an
 * error names the option and where the bad value came from.
 */
#include "daemon/config.h"

#include "util/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum opt_type { T_STR, T_INT, T_SIZE, T_SECS, T_BOOL, T_ENUM };

struct option {
    const char *name;
    const char *env;
    int type;
    const char *def;
    long long min, max;        /* T_INT, T_SIZE, T_SECS */
    const char *choices;       /* T_ENUM: "a|b|c" */
    const char *arg;           /* placeholder in --help */
    const char *doc;
};

enum {
    O_LISTEN, O_DB, O_THREADS, O_MAX_BODY, O_TIMEOUT, O_MAX_CONNECTIONS, O_SHUTDOWN_TIMEOUT,
    O_LOG_LEVEL, O_ACCESS_LOG, O_AUTH, O_CREDENTIALS, O_TLS_CERT, O_TLS_KEY, O_RATE_LIMIT,
    O_RATE_BURST, O_REGION, O_ACCOUNT, O_CONFIG, N_OPTIONS
};

static const struct option options[N_OPTIONS] = {
    [O_LISTEN] = {"listen", "AGENTMEM_LISTEN", T_STR, "127.0.0.1:8080", 0, 0, NULL, "HOST:PORT",
                  "address to serve on ([::1]:8080 for IPv6, :8080 for every address, port 0 "
                  "picks a free port)"},
    [O_DB] = {"db", "AGENTMEM_DB", T_STR, "./agentmem.db", 0, 0, NULL, "PATH",
              "SQLite store (created if missing); one agentmemd per file"},
    [O_THREADS] = {"threads", "AGENTMEM_THREADS", T_INT, "16", 1, 1024, NULL, "N",
                   "worker threads; handlers wait on the store's group commit, so more than "
                   "the cores"},
    [O_MAX_BODY] = {"max-body", "AGENTMEM_MAX_BODY", T_SIZE, "32MiB", 1024, 1LL << 30, NULL,
                    "SIZE", "largest request body (bytes, or with KiB/MiB/GiB); larger is 413"},
    [O_TIMEOUT] = {"timeout", "AGENTMEM_TIMEOUT", T_SECS, "60", 1, 86400, NULL, "SECONDS",
                   "close a connection idle (or stalled mid-request) this long"},
    [O_MAX_CONNECTIONS] = {"max-connections", "AGENTMEM_MAX_CONNECTIONS", T_INT, "1024", 1,
                           100000, NULL, "N", "open connections at most"},
    [O_SHUTDOWN_TIMEOUT] = {"shutdown-timeout", "AGENTMEM_SHUTDOWN_TIMEOUT", T_SECS, "30", 0,
                            3600, NULL, "SECONDS",
                            "on SIGTERM, wait this long for requests in flight"},
    [O_LOG_LEVEL] = {"log-level", "AGENTMEM_LOG_LEVEL", T_ENUM, "info", 0, 0,
                     "debug|info|warn|error", "LEVEL", "least severe level logged to stderr"},
    [O_ACCESS_LOG] = {"access-log", "AGENTMEM_ACCESS_LOG", T_BOOL, "on", 0, 0, NULL, "on|off",
                      "one info line per request (method, path, status, ms, request id)"},
    [O_AUTH] = {"auth", "AGENTMEM_AUTH", T_ENUM, "none", 0, 0, "none|sigv4", "MODE",
                "none: accept any (signed or unsigned) request; sigv4: verify signatures"},
    [O_CREDENTIALS] = {"credentials", "AGENTMEM_CREDENTIALS", T_STR, "", 0, 0, NULL, "FILE",
                       "access keys for --auth sigv4 (the ~/.aws/credentials format)"},
    [O_TLS_CERT] = {"tls-cert", "AGENTMEM_TLS_CERT", T_STR, "", 0, 0, NULL, "FILE",
                    "serve HTTPS: the certificate chain, PEM (needs --tls-key)"},
    [O_TLS_KEY] = {"tls-key", "AGENTMEM_TLS_KEY", T_STR, "", 0, 0, NULL, "FILE",
                   "the certificate's private key, PEM, unencrypted (needs --tls-cert)"},
    [O_RATE_LIMIT] = {"rate-limit", "AGENTMEM_RATE_LIMIT", T_INT, "0", 0, 1000000, NULL, "N",
                      "requests per second per access key (per client address without "
                      "--auth); over it: 429 ThrottledException; 0: no limit"},
    [O_RATE_BURST] = {"rate-burst", "AGENTMEM_RATE_BURST", T_INT, "0", 0, 10000000, NULL, "N",
                      "requests a client may send at once before the rate applies; "
                      "0: the rate"},
    [O_REGION] = {"region", "AGENTMEM_REGION", T_STR, "us-east-1", 0, 0, NULL, "REGION",
                  "region in memory ARNs"},
    [O_ACCOUNT] = {"account", "AGENTMEM_ACCOUNT", T_STR, "123456789012", 0, 0, NULL, "ID",
                   "12-digit account id in memory ARNs"},
    [O_CONFIG] = {"config", "AGENTMEM_CONFIG", T_STR, "", 0, 0, NULL, "FILE",
                  "read options from FILE (lines \"name = value\")"},
};

static int find_option(const char *name, size_t len)
{
    for (int i = 0; i < N_OPTIONS; i++)
        if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
            return i;
    return -1;
}

static bool parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"on", "true", "yes", "1"};
    static const char *const no[] = {"off", "false", "no", "0"};

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* Integer with an optional unit: sizes take K/KiB/M/MiB/G/GiB (powers of 1024), durations
 * s/m/h. */
static bool parse_number(const char *v, int type, long long *out)
{
    char *end;
    long long n, mul = 1;

    errno = 0;
    n = strtoll(v, &end, 10);
    if (errno || end == v || n < 0)
        return false;
    while (*end == ' ')
        end++;
    if (type == T_SIZE && *end) {
        if (strcasecmp(end, "k") == 0 || strcasecmp(end, "kib") == 0 || strcasecmp(end, "kb") == 0)
            mul = 1024;
        else if (strcasecmp(end, "m") == 0 || strcasecmp(end, "mib") == 0 ||
                 strcasecmp(end, "mb") == 0)
            mul = 1024 * 1024;
        else if (strcasecmp(end, "g") == 0 || strcasecmp(end, "gib") == 0 ||
                 strcasecmp(end, "gb") == 0)
            mul = 1024LL * 1024 * 1024;
        else if (strcasecmp(end, "b") != 0)
            return false;
    } else if (type == T_SECS && *end) {
        if (strcmp(end, "s") == 0)
            mul = 1;
        else if (strcmp(end, "m") == 0)
            mul = 60;
        else if (strcmp(end, "h") == 0)
            mul = 3600;
        else
            return false;
    } else if (*end) {
        return false;
    }
    if (n > INT64_MAX / mul)
        return false;
    *out = n * mul;
    return true;
}

static bool enum_ok(const char *choices, const char *v)
{
    size_t len = strlen(v);
    const char *p = choices;

    while (*p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);

        if (n == len && strncmp(p, v, n) == 0)
            return true;
        if (!bar)
            break;
        p = bar + 1;
    }
    return false;
}

/* Check one value against its option; 0 or -1 with err. */
static int check_value(int i, const char *v, const char *source, char *err, size_t err_len)
{
    const struct option *o = &options[i];
    long long n;
    bool b;

    switch (o->type) {
    case T_INT:
    case T_SIZE:
    case T_SECS:
        if (!parse_number(v, o->type, &n)) {
            snprintf(err, err_len, "%s: '%s' is not a valid %s (from %s)", o->name, v,
                     o->type == T_SIZE ? "size" : o->type == T_SECS ? "duration" : "number",
                     source);
            return -1;
        }
        if (n < o->min || n > o->max) {
            snprintf(err, err_len, "%s: %s is out of range %lld..%lld (from %s)", o->name, v,
                     o->min, o->max, source);
            return -1;
        }
        return 0;
    case T_BOOL:
        if (!parse_bool(v, &b)) {
            snprintf(err, err_len, "%s: '%s' is not on/off (from %s)", o->name, v, source);
            return -1;
        }
        return 0;
    case T_ENUM:
        if (!enum_ok(o->choices, v)) {
            snprintf(err, err_len, "%s: '%s' is not one of %s (from %s)", o->name, v,
                     o->choices, source);
            return -1;
        }
        return 0;
    default:
        return 0;
    }
}

static char *trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int load_file(struct am_config *cfg, const char *path, char *err, size_t err_len)
{
    static char sources[N_OPTIONS][32];
    FILE *f = fopen(path, "r");
    char line[4096];
    int lineno = 0, rc = 0;

    if (!f) {
        snprintf(err, err_len, "cannot read config file %s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        char *p = trim(line), *eq, *name, *value;
        size_t vlen;
        int i;

        lineno++;
        if (!*p || *p == '#' || *p == ';')
            continue;
        eq = strchr(p, '=');
        if (!eq) {
            snprintf(err, err_len, "%s:%d: expected \"name = value\"", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        name = trim(p);
        value = trim(eq + 1);
        vlen = strlen(value);
        if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
            value[vlen - 1] = '\0';
            value++;
        }
        i = find_option(name, strlen(name));
        if (i < 0 || i == O_CONFIG) {
            snprintf(err, err_len, "%s:%d: unknown option '%s'", path, lineno, name);
            rc = -1;
            break;
        }
        free(cfg->owned[i]);
        cfg->owned[i] = strdup(value);
        if (!cfg->owned[i]) {
            snprintf(err, err_len, "out of memory");
            rc = -1;
            break;
        }
        cfg->values[i] = cfg->owned[i];
        snprintf(sources[i], sizeof sources[i], "file line %d", lineno);
        cfg->sources[i] = sources[i];
    }
    fclose(f);
    return rc;
}

static long long number_of(const struct am_config *cfg, int i)
{
    long long n = 0;

    parse_number(cfg->values[i], options[i].type, &n);
    return n;
}

int am_config_load(struct am_config *cfg, int argc, char **argv, char *err, size_t err_len)
{
    const char *config_path = NULL;
    bool b = true;

    memset(cfg, 0, sizeof *cfg);
    for (int i = 0; i < N_OPTIONS; i++) {
        cfg->values[i] = options[i].def;
        cfg->sources[i] = "default";
    }
    /* The config file comes first in precedence, so find it before the other flags. */
    config_path = getenv(options[O_CONFIG].env);
    for (int a = 1; a < argc; a++) {
        if (strncmp(argv[a], "--config=", 9) == 0)
            config_path = argv[a] + 9;
        else if (strcmp(argv[a], "--config") == 0 && a + 1 < argc)
            config_path = argv[++a];
    }
    if (config_path && config_path[0]) {
        cfg->values[O_CONFIG] = config_path;
        cfg->sources[O_CONFIG] = "flag or environment";
        if (load_file(cfg, config_path, err, err_len))
            return -1;
    }
    for (int i = 0; i < N_OPTIONS; i++) {
        const char *v = i == O_CONFIG ? NULL : getenv(options[i].env);

        if (v) {
            cfg->values[i] = v;
            cfg->sources[i] = options[i].env;
        }
    }
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a], *eq, *value;
        int i;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cfg->help = true;
            continue;
        }
        if (strcmp(arg, "--version") == 0) {
            cfg->version = true;
            continue;
        }
        if (strcmp(arg, "--print-config") == 0) {
            cfg->print_config = true;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(err, err_len, "unexpected argument '%s'", arg);
            return -1;
        }
        arg += 2;
        eq = strchr(arg, '=');
        i = find_option(arg, eq ? (size_t)(eq - arg) : strlen(arg));
        if (i < 0) {
            snprintf(err, err_len, "unknown option '--%.*s'",
                     (int)(eq ? (size_t)(eq - arg) : strlen(arg)), arg);
            return -1;
        }
        if (eq) {
            value = eq + 1;
        } else if (options[i].type == T_BOOL &&
                   (a + 1 >= argc || !parse_bool(argv[a + 1], &b))) {
            value = "on";      /* a bare boolean flag turns it on */
        } else if (a + 1 < argc) {
            value = argv[++a];
        } else {
            snprintf(err, err_len, "option '--%s' needs a value", options[i].name);
            return -1;
        }
        if (i == O_CONFIG)
            continue;          /* already read */
        cfg->values[i] = value;
        cfg->sources[i] = "flag";
    }
    if (cfg->help || cfg->version)
        return 0;
    for (int i = 0; i < N_OPTIONS; i++)
        if (check_value(i, cfg->values[i], cfg->sources[i], err, err_len))
            return -1;
    cfg->listen = cfg->values[O_LISTEN];
    cfg->db = cfg->values[O_DB];
    cfg->threads = (unsigned)number_of(cfg, O_THREADS);
    cfg->max_body = (size_t)number_of(cfg, O_MAX_BODY);
    cfg->timeout_s = (unsigned)number_of(cfg, O_TIMEOUT);
    cfg->max_connections = (unsigned)number_of(cfg, O_MAX_CONNECTIONS);
    cfg->shutdown_timeout_s = (unsigned)number_of(cfg, O_SHUTDOWN_TIMEOUT);
    cfg->log_level = am_log_parse_level(cfg->values[O_LOG_LEVEL]);
    parse_bool(cfg->values[O_ACCESS_LOG], &cfg->access_log);
    cfg->auth_sigv4 = strcmp(cfg->values[O_AUTH], "sigv4") == 0;
    cfg->credentials = cfg->values[O_CREDENTIALS];
    cfg->tls_cert = cfg->values[O_TLS_CERT];
    cfg->tls_key = cfg->values[O_TLS_KEY];
    cfg->rate_limit = (unsigned)number_of(cfg, O_RATE_LIMIT);
    cfg->rate_burst = (unsigned)number_of(cfg, O_RATE_BURST);
    cfg->region = cfg->values[O_REGION];
    cfg->account = cfg->values[O_ACCOUNT];
    cfg->config_file = cfg->values[O_CONFIG];
    if (!cfg->db[0]) {
        snprintf(err, err_len, "db: a store path is required (from %s)", cfg->sources[O_DB]);
        return -1;
    }
    if (strlen(cfg->account) != 12 || strspn(cfg->account, "0123456789") != 12) {
        snprintf(err, err_len, "account: '%s' is not a 12-digit account id (from %s)",
                 cfg->account, cfg->sources[O_ACCOUNT]);
        return -1;
    }
    if (!cfg->region[0] || strspn(cfg->region, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
                               strlen(cfg->region)) {
        snprintf(err, err_len, "region: '%s' is not a region name like us-east-1 (from %s)",
                 cfg->region, cfg->sources[O_REGION]);
        return -1;
    }
    if (!cfg->tls_cert[0] != !cfg->tls_key[0]) {
        snprintf(err, err_len, "tls: --tls-cert and --tls-key go together");
        return -1;
    }
    if (cfg->auth_sigv4 && !cfg->credentials[0]) {
        snprintf(err, err_len, "auth: sigv4 needs --credentials FILE");
        return -1;
    }
    return 0;
}

void am_config_free(struct am_config *cfg)
{
    for (int i = 0; i < N_OPTIONS; i++) {
        free(cfg->owned[i]);
        cfg->owned[i] = NULL;
    }
}

void am_config_usage(FILE *f)
{
    fprintf(f, "Usage: agentmemd [--name value | --name=value]...\n"
               "Serve the AWS Bedrock AgentCore Memory API (data and control plane) over "
               "HTTP,\nbacked by an agentmem SQLite store.\n\n"
               "Options (each also settable by its environment variable, or in --config "
               "FILE;\nprecedence: default < file < environment < flag):\n");
    for (int i = 0; i < N_OPTIONS; i++) {
        char head[64];

        snprintf(head, sizeof head, "--%s %s", options[i].name, options[i].arg);
        fprintf(f, "  %-28s %s\n  %-28s [env %s%s%s]\n", head, options[i].doc, "",
                options[i].env, options[i].def[0] ? ", default " : "", options[i].def);
    }
    fprintf(f, "  %-28s %s\n  %-28s %s\n  %-28s %s\n", "--print-config",
            "print every option with its value and source, then exit", "--version",
            "print the version and exit", "--help", "this text");
    fprintf(f, "\nSIGTERM or SIGINT: stop accepting, finish the requests in flight, exit 0.\n"
               "Point the AWS SDKs at it with AWS_ENDPOINT_URL_BEDROCK_AGENTCORE and\n"
               "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL (both to the same URL).\n"
               "See docs/http-api.md.\n");
}

void am_config_print(const struct am_config *cfg, FILE *f)
{
    for (int i = 0; i < N_OPTIONS; i++)
        fprintf(f, "%s = %s  # %s\n", options[i].name, cfg->values[i], cfg->sources[i]);
}
