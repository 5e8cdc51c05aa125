/*
 * log.c - see log.h. One fprintf per line, so concurrent threads never interleave
 * within a line (stdio locks the stream for the call).
 */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int log_level = -1;

static const char *level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

int am_log_parse_level(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && strcasecmp(name, level_names[i]) == 0)
            return i;
    if (name && strcasecmp(name, "warning") == 0)
        return AM_LOG_WARN;
    return -1;
}

int am_log_level(void)
{
    if (log_level < 0) {
        int l = am_log_parse_level(getenv("AGENTMEM_LOG_LEVEL"));
        log_level = l < 0 ? AM_LOG_INFO : l;
    }
    return log_level;
}

void am_log_set_level(int level)
{
    log_level = level;
}

void am_log(int level, const char *module, const char *fmt, ...)
{
    char msg[2048], ts[32];
    struct timespec now;
    struct tm tm;
    va_list ap;

    if (level < am_log_level())
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)        /* one event, one line */
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %s %s: %s\n", ts, now.tv_nsec / 1000000L,
            level_names[level < 0 ? 0 : level > 3 ? 3 : level], module, msg);
}
