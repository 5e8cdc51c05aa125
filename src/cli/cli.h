/*
 * cli.h - agentmem, the command line: shared state of the commands.
 *
 * Every command talks HTTP to an agentmemd: the one at --endpoint, or, with --db PATH, one
 * started inside this process on a loopback port over the library (the same code path
 * either way, so both give the same answers).
 */
#ifndef AM_CLI_H
#define AM_CLI_H

#include <jansson.h>

#define AM_CLI_VERSION "0.1.0"
#include <stdbool.h>

/* Exit statuses (documented in --help and man/agentmem.1). */
enum {
    CLI_OK = 0,
    CLI_EFAIL = 1,       /* the operation failed (the server said no) */
    CLI_EUSAGE = 2,      /* bad command line */
    CLI_ENOTFOUND = 3,   /* no such memory, session, record... */
    CLI_EUNREACHABLE = 4,/* cannot reach the server or open the database */
    CLI_EDOCTOR = 5,     /* doctor found problems */
};

struct cli {
    const char *endpoint;    /* base URL, without a trailing slash */
    const char *db;          /* --db PATH: serve it in-process */
    const char *memory_id;   /* --memory-id or AGENTCORE_MEMORY_ID */
    bool json;               /* --json: machine-readable output */
    bool yes;                /* --yes: no confirmation */
    bool tty;                /* stdout is a terminal */
    char url[256];           /* the endpoint in use */
    void *embedded;          /* the in-process server, if any */
    void *dbh;
};

/* Start talking: to --endpoint, or to an in-process server over --db. */
int cli_connect(struct cli *c);
void cli_disconnect(struct cli *c);

/* One request. body may be NULL (stolen otherwise). On a reply, *out is its JSON (or NULL)
 * and the return value the HTTP status; -1 when the server cannot be reached. */
int cli_call(struct cli *c, const char *method, const char *path, json_t *body, json_t **out);

/* Percent-encode one path segment into a static rotating buffer. */
const char *cli_esc(const char *s);
/* Print an error reply or transport failure as "agentmem: ..." and map it to an exit code. */
int cli_fail(int status, json_t *reply, const char *what);
/* Require a memory id; prints the fix when missing. */
int cli_need_memory(struct cli *c);
/* Print JSON (with --json) compactly, or pretty. */
void cli_print_json(json_t *v);
/* Seconds since the epoch as "2026-11-24 18:00:00". */
const char *cli_time(json_t *ts);

typedef int (*cli_fn)(struct cli *c, int argc, char **argv);

struct cli_command {
    const char *name;        /* "sessions list" */
    const char *usage;       /* "[--actor ID]" */
    const char *help;        /* one line */
    cli_fn fn;
};
extern const struct cli_command cli_commands[];

/* cmd_export.c */
int cmd_export(struct cli *c, int argc, char **argv);
int cmd_import(struct cli *c, int argc, char **argv);
int cmd_doctor(struct cli *c, int argc, char **argv);

#endif
