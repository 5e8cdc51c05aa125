/*
 * main.c - agentmem, the command line: global options, the command table lookup, help.
 */
#include "cli.h"

#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "Usage: agentmem [--endpoint URL | --db PATH] [--memory-id ID] [--json] [--yes]"
               " COMMAND [ARGS]\n\n"
               "Set up, inspect and maintain agentmem memories, through an agentmemd\n"
               "(--endpoint, or AGENTMEM_ENDPOINT; default http://127.0.0.1:8080) or straight\n"
               "on a database file (--db PATH). The memory id comes from --memory-id or\n"
               "AGENTCORE_MEMORY_ID.\n\nCommands:\n");
    for (const struct cli_command *k = cli_commands; k->name; k++)
        fprintf(f, "  %-16s %s\n  %-16s   %s\n", k->name, k->help, "", k->usage);
    fprintf(f, "  %-16s %s\n", "help COMMAND", "help on one command");
    fprintf(f, "\nExit status: 0 ok, 1 the operation failed, 2 usage error, 3 not found,\n"
               "4 cannot reach the server or open the database, 5 doctor found problems.\n"
               "See man/agentmem.1.\n");
}

/* The command whose (one- or two-word) name starts argv; *used is the words it took. */
static const struct cli_command *lookup(int argc, char **argv, int *used)
{
    for (const struct cli_command *k = cli_commands; k->name; k++) {
        const char *sp = strchr(k->name, ' ');
        if (!sp && argc >= 1 && !strcmp(argv[0], k->name)) {
            *used = 1;
            return k;
        }
        if (sp && argc >= 2 && !strncmp(argv[0], k->name, (size_t)(sp - k->name)) &&
            argv[0][sp - k->name] == '\0' && !strcmp(argv[1], sp + 1)) {
            *used = 2;
            return k;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct cli c = {0};
    int i = 1;

    if (!getenv("AGENTMEM_LOG_LEVEL"))
        am_log_set_level(AM_LOG_WARN);       /* the CLI's output is its answer */
    c.endpoint = getenv("AGENTMEM_ENDPOINT") ? getenv("AGENTMEM_ENDPOINT") : "http://127.0.0.1:8080";
    c.memory_id = getenv("AGENTCORE_MEMORY_ID");
    c.tty = isatty(STDOUT_FILENO);
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "--endpoint") || !strcmp(a, "--db") || !strcmp(a, "--memory-id")) &&
            i + 1 >= argc) {
            fprintf(stderr, "agentmem: %s needs a value\n", a);
            return CLI_EUSAGE;
        }
        if (!strcmp(a, "--endpoint"))
            c.endpoint = argv[++i];
        else if (!strcmp(a, "--db"))
            c.db = argv[++i];
        else if (!strcmp(a, "--memory-id"))
            c.memory_id = argv[++i];
        else if (!strcmp(a, "--json"))
            c.json = true;
        else if (!strcmp(a, "--yes") || !strcmp(a, "-y"))
            c.yes = true;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "--version")) {
            printf("agentmem %s\n", AM_CLI_VERSION);
            return CLI_OK;
        } else {
            fprintf(stderr, "agentmem: unknown option %s (see agentmem --help)\n", a);
            return CLI_EUSAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return CLI_EUSAGE;
    }
    if (!strcmp(argv[i], "help")) {
        int used = 0;
        const struct cli_command *k = i + 1 < argc ? lookup(argc - i - 1, argv + i + 1, &used) : NULL;
        if (!k) {
            usage(stdout);
            return i + 1 < argc ? CLI_EUSAGE : CLI_OK;
        }
        printf("agentmem %s %s\n  %s\n", k->name, k->usage, k->help);
        return CLI_OK;
    }
    int used = 0;
    const struct cli_command *k = lookup(argc - i, argv + i, &used);
    if (!k) {
        fprintf(stderr, "agentmem: unknown command '%s' (see agentmem --help)\n", argv[i]);
        return CLI_EUSAGE;
    }
    /* the command sees its own words, with its name as argv[0] for getopt */
    int rc = cli_connect(&c);
    if (rc)
        return rc;
    rc = k->fn(&c, argc - i - used + 1, argv + i + used - 1);
    cli_disconnect(&c);
    return rc;
}
