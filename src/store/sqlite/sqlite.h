/*
 * sqlite.h - internals shared by the files of the SQLite backend.
 *
 * One writer connection, used only by the current group-commit leader, and a pool of reader
 * connections. WAL mode with synchronous=FULL: a commit that returned is on disk.
 */
#ifndef AM_STORE_SQLITE_H
#define AM_STORE_SQLITE_H

#include "core/db.h"
#include "store/store.h"

#include <sqlite3.h>

#define AM_SQLITE_CACHE 48

struct am_conn {
    sqlite3 *h;
    int n_cache;
    struct {
        const char *sql;         /* compared by address: SQL lives in static strings */
        sqlite3_stmt *stmt;
    } cache[AM_SQLITE_CACHE];
};

int am_sqlite_open(am_db *db, const char *path, unsigned flags, struct am_store **out);

/* A prepared statement for sql on c, reset and unbound; owned by the connection. */
sqlite3_stmt *am_sqlite_stmt(am_db *db, struct am_conn *c, const char *sql);
/* Translate a SQLite failure on c into an AM_ code with the driver's message. */
int am_sqlite_fail(am_db *db, struct am_conn *c, int src, const char *what);
/* Run sql (no result rows) on c. */
int am_sqlite_exec(am_db *db, struct am_conn *c, const char *sql);

typedef int (*am_sqlite_fn)(am_db *db, struct am_conn *c, void *arg);
/* Run fn inside a write transaction shared with concurrent writers (group commit). */
int am_sqlite_write(am_db *db, struct am_store *st, am_sqlite_fn fn, void *arg);
/* Run fn on a reader connection inside a read transaction (one snapshot). */
int am_sqlite_read(am_db *db, struct am_store *st, am_sqlite_fn fn, void *arg);
int am_sqlite_check(am_db *db, struct am_store *st, char *out, size_t cap);

/* Binding helpers: bind text or NULL. */
void am_sqlite_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Column as text copied into an arena; NULL stays NULL. */
struct am_arena;
char *am_sqlite_col_dup(struct am_arena *a, sqlite3_stmt *s, int i);

int am_sqlite_migrate(am_db *db, struct am_conn *c);

/* The backend's operations (ops.c puts them in am_store_sqlite). */
void am_sqlite_close(struct am_store *st);
int am_sqlite_visible_since(am_db *db, struct am_conn *c, const char *memory_id,
                            int64_t now_ms, int64_t *out_min);
int am_sqlite_enqueue_extraction(am_db *db, struct am_conn *c, const char *memory_id,
                                 const char *actor_id, const char *session_id,
                                 const char *event_id, int64_t seq, bool skip, int64_t now_ms);
int am_sqlite_memory_insert(am_db *db, struct am_store *st, const struct am_memory_row *row,
                            am_memories **out);
int am_sqlite_memory_get(am_db *db, struct am_store *st, const char *id, const char *name,
                         am_memories **out);
int am_sqlite_memory_list(am_db *db, struct am_store *st, int limit, int64_t after_rowid,
                          am_memories **out, bool *out_more, int64_t *out_last_rowid);
int am_sqlite_memory_replace(am_db *db, struct am_store *st, const struct am_memory_row *row);
int am_sqlite_memory_delete(am_db *db, struct am_store *st, const char *id);
int am_sqlite_event_insert(am_db *db, struct am_store *st, const struct am_event_row *row,
                           am_events **out);
int am_sqlite_event_get(am_db *db, struct am_store *st, const char *memory_id,
                        const char *actor_id, const char *session_id, const char *event_id,
                        int64_t now_ms, am_events **out);
int am_sqlite_event_delete(am_db *db, struct am_store *st, const char *memory_id,
                           const char *actor_id, const char *session_id, const char *event_id);
int am_sqlite_event_list(am_db *db, struct am_store *st, const am_event_query *q,
                         const struct am_branch_step *steps, size_t n_steps, int64_t now_ms,
                         const struct am_cursor *cur, int limit, am_events **out,
                         bool *out_more, int64_t *out_last_ts, int64_t *out_last_seq);
int am_sqlite_event_locate(am_db *db, struct am_store *st, const char *memory_id,
                           const char *actor_id, const char *session_id, const char *event_id,
                           char **out_branch, int64_t *out_ts, int64_t *out_seq);
int am_sqlite_branch_root(am_db *db, struct am_store *st, const char *memory_id,
                          const char *actor_id, const char *session_id, const char *branch,
                          char **out_root);
int am_sqlite_session_list(am_db *db, struct am_store *st, const char *memory_id,
                           const char *actor_id, bool newest_first, int64_t now_ms, int limit,
                           int64_t offset, am_sessions **out, bool *out_more);
int am_sqlite_session_delete(am_db *db, struct am_store *st, const char *memory_id,
                             const char *actor_id, const char *session_id, int64_t *out_n);
int am_sqlite_actor_list(am_db *db, struct am_store *st, const char *memory_id, int64_t now_ms,
                         int limit, const char *after_actor, am_actors **out, bool *out_more);
int am_sqlite_actor_forget(am_db *db, struct am_store *st, const char *memory_id,
                           const char *actor_id, int64_t *out_events, int64_t *out_records);
int am_sqlite_purge_expired(am_db *db, struct am_store *st, int64_t now_ms, int64_t *out_n);
int am_sqlite_record_insert(am_db *db, struct am_store *st, const struct am_record_row *row);
int am_sqlite_record_update(am_db *db, struct am_store *st, const struct am_record_row *row);
int am_sqlite_record_get(am_db *db, struct am_store *st, const char *memory_id,
                         const char *record_id, am_records **out);
int am_sqlite_record_delete(am_db *db, struct am_store *st, const char *memory_id,
                            const char *record_id);
int am_sqlite_record_list(am_db *db, struct am_store *st, const am_record_query *q,
                          const struct am_cursor *cur, int limit, am_records **out,
                          bool *out_more, int64_t *out_last_ts, int64_t *out_last_rowid);
int am_sqlite_record_search(am_db *db, struct am_store *st, const am_record_query *q,
                            const char *fts_expr, int limit, am_records **out);
int am_sqlite_job_list(am_db *db, struct am_store *st, const am_job_query *q, int limit,
                       int64_t offset, am_jobs **out, bool *out_more);
int am_sqlite_job_start(am_db *db, struct am_store *st, const char *memory_id,
                        const char *job_id);
int am_sqlite_job_claim(am_db *db, struct am_store *st, int64_t now_ms, int64_t lease_ms,
                        struct am_job_row *out, bool *out_found);
int am_sqlite_job_events(am_db *db, struct am_store *st, const struct am_job_row *job,
                         bool whole_session, int limit, am_events **out);
int am_sqlite_job_complete(am_db *db, struct am_store *st, const struct am_job_row *job,
                           const struct am_cand_row *c, size_t n, am_decide_fn decide,
                           void *arg, int *out_added, int *out_superseded);
int am_sqlite_job_fail(am_db *db, struct am_store *st, const struct am_job_row *job,
                       const char *reason, int64_t retry_at_ms);
int am_sqlite_record_history(am_db *db, struct am_store *st, const char *memory_id,
                             const char *record_id, am_records **out);
int am_sqlite_record_vectors(am_db *db, struct am_store *st, const am_record_query *q,
                             const char *model, struct am_vec_set *out);
int am_sqlite_events_index(am_db *db, struct am_store *st, int batch, int *out_n);
int am_sqlite_event_search(am_db *db, struct am_store *st, const char *memory_id,
                           const char *actor_id, const char *session_id, const char *fts_expr,
                           int limit, am_events **out);
int am_sqlite_record_stale(am_db *db, struct am_store *st, const char *model, int limit,
                           am_records **out);
int am_sqlite_record_set_vectors(am_db *db, struct am_store *st, const char *const *ids,
                                 const float *vecs, size_t n, int dim, const char *model);
int am_sqlite_event_extraction(am_db *db, struct am_store *st, const char *memory_id,
                               const char *actor_id, const char *session_id,
                               const char *event_id, const char **out_status);

#endif
