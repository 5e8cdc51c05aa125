/*
 * log.h - one-line structured logging to stderr.
 *
 * am_log(AM_LOG_WARN, "store", "busy for %d ms req=%s", ms, id) writes
 * "2026-11-24T18:00:00.123Z WARN store: busy for 12 ms req=..." on one line.
 * Record text and payloads are logged only at debug level.
 */
#ifndef AM_UTIL_LOG_H
#define AM_UTIL_LOG_H

enum { AM_LOG_DEBUG = 0, AM_LOG_INFO, AM_LOG_WARN, AM_LOG_ERROR };

/* Messages below this level are dropped (default AM_LOG_INFO; AGENTMEM_LOG_LEVEL=debug). */
void am_log_set_level(int level);
int am_log_level(void);
/* Parse "debug", "info", "warn", "error"; -1 if unknown. */
int am_log_parse_level(const char *name);

void am_log(int level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
