/*
 * pg.h - internals shared by the files of the PostgreSQL backend.
 *
 * A small pool of libpq connections (mutex + idle list), each with its prepared statements
 * (keyed by the address of their static SQL, like SQLite's cache). Every write op runs in one
 * READ COMMITTED transaction (synchronous_commit on: a commit that returned is durable) and
 * is retried when the server reports a serialization failure or a deadlock; every read op
 * runs in one REPEATABLE READ READ ONLY transaction (one snapshot). Parameters are passed as
 * text, except vectors, which go as binary bytea (float32 little-endian, as in SQLite).
 */
#ifndef AM_STORE_PG_H
#define AM_STORE_PG_H

#include "core/db.h"
#include "store/store.h"

#include <libpq-fe.h>

#define AM_PG_MAXP  32
#define AM_PG_CACHE 96

extern const struct am_store_ops am_store_postgres;

struct am_pg_conn {
    PGconn *h;
    int n_cache;
    const char *cache[AM_PG_CACHE];  /* prepared as "s<index>"; compared by address */
};

/* Statement parameters, bound in order as $1, $2, ... */
struct am_pgp {
    int n;
    const char *v[AM_PG_MAXP];
    int len[AM_PG_MAXP];
    int fmt[AM_PG_MAXP];
    char num[AM_PG_MAXP][24];
};

void am_pg_text(struct am_pgp *p, const char *v);          /* NULL binds NULL */
void am_pg_int(struct am_pgp *p, int64_t v);
void am_pg_bool(struct am_pgp *p, bool v);
void am_pg_blob(struct am_pgp *p, const void *v, int len); /* NULL binds NULL */

/* Run sql with p (may be NULL). On success *out (if not NULL) holds the result, to PQclear;
   *out_changes (if not NULL) the number of rows the command touched. sql must live in a
   static string: it is prepared once per connection and found again by its address. */
int am_pg_query(am_db *db, struct am_pg_conn *c, const char *sql, const struct am_pgp *p,
                const char *what, PGresult **out, int64_t *out_changes);
/* The same for SQL built at run time (not prepared). */
int am_pg_query_once(am_db *db, struct am_pg_conn *c, const char *sql, const struct am_pgp *p,
                     const char *what, PGresult **out, int64_t *out_changes);
/* Translate a failed result (or a connection failure when res is NULL) into an AM_ code. */
int am_pg_fail(am_db *db, struct am_pg_conn *c, const PGresult *res, const char *what);
int am_pg_exec(am_db *db, struct am_pg_conn *c, const char *sql);

typedef int (*am_pg_fn)(am_db *db, struct am_pg_conn *c, void *arg);
/* Run fn inside a write transaction; retried on 40001/40P01. */
int am_pg_write(am_db *db, struct am_store *st, am_pg_fn fn, void *arg);
/* Run fn inside a read-only snapshot. */
int am_pg_read(am_db *db, struct am_store *st, am_pg_fn fn, void *arg);

struct am_arena;
/* Cell as text copied into an arena; NULL stays NULL. */
char *am_pg_dup(struct am_arena *a, const PGresult *r, int row, int col);
int64_t am_pg_i64(const PGresult *r, int row, int col);
/* Cell as a malloc'd string; NULL stays NULL. */
char *am_pg_strdup(const PGresult *r, int row, int col);

int am_pg_open(am_db *db, const char *uri, unsigned flags, struct am_store **out);
int am_pg_migrate(am_db *db, struct am_pg_conn *c);
int am_pg_check(am_db *db, struct am_store *st, char *out, size_t cap);

void am_pg_close(struct am_store *st);
int am_pg_visible_since(am_db *db, struct am_pg_conn *c, const char *memory_id, int64_t now_ms,
                        int64_t *out_min);
int am_pg_enqueue_extraction(am_db *db, struct am_pg_conn *c, const char *memory_id,
                             const char *actor_id, const char *session_id, int64_t seq,
                             bool skip, int64_t now_ms);

int am_pg_memory_insert(am_db *db, struct am_store *st, const struct am_memory_row *row,
                        am_memories **out);
int am_pg_memory_get(am_db *db, struct am_store *st, const char *id, const char *name,
                     am_memories **out);
int am_pg_memory_list(am_db *db, struct am_store *st, int limit, int64_t after_rowid,
                      am_memories **out, bool *out_more, int64_t *out_last_rowid);
int am_pg_memory_replace(am_db *db, struct am_store *st, const struct am_memory_row *row);
int am_pg_memory_delete(am_db *db, struct am_store *st, const char *id);
int am_pg_event_insert(am_db *db, struct am_store *st, const struct am_event_row *row,
                       am_events **out);
int am_pg_event_get(am_db *db, struct am_store *st, const char *memory_id,
                    const char *actor_id, const char *session_id, const char *event_id,
                    int64_t now_ms, am_events **out);
int am_pg_event_delete(am_db *db, struct am_store *st, const char *memory_id,
                       const char *actor_id, const char *session_id, const char *event_id);
int am_pg_event_list(am_db *db, struct am_store *st, const am_event_query *q,
                     const struct am_branch_step *steps, size_t n_steps, int64_t now_ms,
                     const struct am_cursor *cur, int limit, am_events **out,
                     bool *out_more, int64_t *out_last_ts, int64_t *out_last_seq);
int am_pg_event_locate(am_db *db, struct am_store *st, const char *memory_id,
                       const char *actor_id, const char *session_id, const char *event_id,
                       char **out_branch, int64_t *out_ts, int64_t *out_seq);
int am_pg_branch_root(am_db *db, struct am_store *st, const char *memory_id,
                      const char *actor_id, const char *session_id, const char *branch,
                      char **out_root);
int am_pg_session_list(am_db *db, struct am_store *st, const char *memory_id,
                       const char *actor_id, bool newest_first, int64_t now_ms, int limit,
                       int64_t offset, am_sessions **out, bool *out_more);
int am_pg_session_delete(am_db *db, struct am_store *st, const char *memory_id,
                         const char *actor_id, const char *session_id, int64_t *out_n);
int am_pg_actor_list(am_db *db, struct am_store *st, const char *memory_id, int64_t now_ms,
                     int limit, const char *after_actor, am_actors **out, bool *out_more);
int am_pg_actor_forget(am_db *db, struct am_store *st, const char *memory_id,
                       const char *actor_id, int64_t *out_events, int64_t *out_records);
int am_pg_purge_expired(am_db *db, struct am_store *st, int64_t now_ms, int64_t *out_n);
int am_pg_events_index(am_db *db, struct am_store *st, int batch, int *out_n);
int am_pg_event_search(am_db *db, struct am_store *st, const char *memory_id,
                       const char *actor_id, const char *session_id, const char *fts_expr,
                       int limit, am_events **out);
int am_pg_record_insert(am_db *db, struct am_store *st, const struct am_record_row *row);
int am_pg_record_update(am_db *db, struct am_store *st, const struct am_record_row *row);
int am_pg_record_get(am_db *db, struct am_store *st, const char *memory_id,
                     const char *record_id, am_records **out);
int am_pg_record_delete(am_db *db, struct am_store *st, const char *memory_id,
                        const char *record_id);
int am_pg_record_list(am_db *db, struct am_store *st, const am_record_query *q,
                      const struct am_cursor *cur, int limit, am_records **out,
                      bool *out_more, int64_t *out_last_ts, int64_t *out_last_rowid);
int am_pg_record_search(am_db *db, struct am_store *st, const am_record_query *q,
                        const char *fts_expr, int limit, am_records **out);
int am_pg_record_history(am_db *db, struct am_store *st, const char *memory_id,
                         const char *record_id, am_records **out);
int am_pg_record_vectors(am_db *db, struct am_store *st, const am_record_query *q,
                         const char *model, struct am_vec_set *out);
int am_pg_job_list(am_db *db, struct am_store *st, const am_job_query *q, int limit,
                   int64_t offset, am_jobs **out, bool *out_more);
int am_pg_job_start(am_db *db, struct am_store *st, const char *memory_id, const char *job_id);
int am_pg_job_claim(am_db *db, struct am_store *st, int64_t now_ms, int64_t lease_ms,
                    struct am_job_row *out, bool *out_found);
int am_pg_job_events(am_db *db, struct am_store *st, const struct am_job_row *job,
                     bool whole_session, int limit, am_events **out);
int am_pg_job_complete(am_db *db, struct am_store *st, const struct am_job_row *job,
                       const struct am_cand_row *c, size_t n, am_decide_fn decide, void *arg,
                       int *out_added, int *out_superseded);
int am_pg_event_extraction(am_db *db, struct am_store *st, const char *memory_id,
                           const char *actor_id, const char *session_id,
                           const char *event_id, const char **out_status);
int am_pg_record_stale(am_db *db, struct am_store *st, const char *model, int limit,
                       am_records **out);
int am_pg_record_set_vectors(am_db *db, struct am_store *st, const char *const *ids,
                             const float *vecs, size_t n, int dim, const char *model);
int am_pg_job_fail(am_db *db, struct am_store *st, const struct am_job_row *job,
                   const char *reason, int64_t retry_at_ms);

#endif
