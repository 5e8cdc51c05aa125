/*
 * db.h - the handle behind am_db and the error funnel every layer reports through.
 *
 * Errors: am_error() records a message (and, for validation failures, the API field name)
 * in thread-local storage and returns its code, so an error exit is one statement:
 *     return am_error(db, AM_EINVAL, "...");
 * am_errmsg()/am_errfield() read it back in the same thread.
 */
#ifndef AM_CORE_DB_H
#define AM_CORE_DB_H

#include "agentmem.h"

#include <pthread.h>
#include <stdbool.h>

struct am_store;
struct am_store_ops;
struct am_embedder;
struct am_extractor;
struct am_vcache;

struct am_db {
    const struct am_store_ops *ops;
    struct am_store *st;
    unsigned flags;
    char region[32];
    char account[16];
    struct am_embedder *embedder;   /* vectors for records (built-in unless configured) */
    struct am_extractor *extractor; /* long-term memory extraction */
    struct am_vcache *vcache;       /* record vectors per search scope (records.c) */
    _Atomic unsigned long long write_gen; /* bumped by every committed write */
    /* background threads: expiry purge, extraction worker */
    pthread_t purge_thread, worker_thread;
    bool purge_started, worker_started;
    bool stopping;
    bool kicked;
    pthread_mutex_t lock;
    pthread_cond_t wake;            /* stop: wakes every background thread */
    pthread_cond_t work;            /* new events: wakes the extraction worker */
};

int am_error(am_db *db, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int am_error_field(am_db *db, int rc, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Report a bug: logs file:line and returns AM_EINTERNAL. */
#define AM_BUG(db, msg) am_bug((db), __FILE__, __LINE__, (msg))
int am_bug(am_db *db, const char *file, int line, const char *msg);
void am_error_clear(void);

/* Moving an error between threads (group commit runs other threads' writes). */
struct am_errstate {
    char msg[512];
    char field[128];
};
void am_error_save(struct am_errstate *s);
void am_error_restore(const struct am_errstate *s);

/* The search scope cache (records.c). */
int am_vcache_create(struct am_vcache **out);
void am_vcache_destroy(struct am_vcache *vc);

/* Wake the extraction worker (after an event was stored). */
void am_db_kick(am_db *db);

#endif
