/*
 * config.h - agentmemd's options: one table (config.c) drives the flags, the
 * AGENTMEM_<NAME> environment variables, the optional config file, --help and
 * --print-config. Precedence: default < config file < environment < flag.
 */
#ifndef AM_DAEMON_CONFIG_H
#define AM_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum { AM_CONFIG_MAX_OPTIONS = 24 };

struct am_config {
    /* typed values, valid after am_config_load() */
    const char *listen;
    const char *db;
    unsigned threads;
    size_t max_body;
    unsigned timeout_s;
    unsigned max_connections;
    unsigned shutdown_timeout_s;
    int log_level;              /* AM_LOG_* */
    bool access_log;
    bool auth_sigv4;
    const char *credentials;    /* "" when unset */
    const char *tls_cert, *tls_key;  /* PEM files; "" when unset */
    unsigned rate_limit, rate_burst; /* 0: none / the rate */
    const char *region;
    const char *account;
    const char *config_file;    /* "" when none */
    /* what to do instead of serving */
    bool help, version, print_config;
    /* raw values and where each came from, by option index */
    const char *values[AM_CONFIG_MAX_OPTIONS];
    const char *sources[AM_CONFIG_MAX_OPTIONS];
    char *owned[AM_CONFIG_MAX_OPTIONS];  /* values read from the config file */
};

/* Parse defaults, file, environment and argv. 0, or -1 with a message in err. */
int am_config_load(struct am_config *cfg, int argc, char **argv, char *err, size_t err_len);
void am_config_free(struct am_config *cfg);
/* --help text, generated from the table. */
void am_config_usage(FILE *f);
/* Every option as "name = value  # source" (a valid config file). */
void am_config_print(const struct am_config *cfg, FILE *f);

#endif
