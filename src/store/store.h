/*
 * store.h - the storage interface. Every SQL statement of agentmem lives behind this table
 * of functions; src/core calls nothing else. A backend (sqlite/, later postgres/) fills one
 * struct am_store_ops. The ops take am_db only to report errors with am_error(); they
 * receive input the core has already validated, and they build result objects (am_events,
 * ...) whose strings live in the result's arena.
 *
 * Writes are durable when an op returns AM_OK. The SQLite backend batches concurrent
 * writers into one transaction and one flush (group commit), so a write op's cost is
 * mostly its SQL.
 */
#ifndef AM_STORE_H
#define AM_STORE_H

#include "agentmem.h"

#include <stdbool.h>
#include <stdint.h>

struct am_store;

#define AM_STORE_FTS     0x1u   /* full-text search over records */
#define AM_STORE_VECTOR  0x2u   /* stores record vectors */
#define AM_STORE_SHARED  0x4u   /* several servers may share the store */

/* A memory as the store keeps it (the core builds it; the store copies what it keeps). */
struct am_memory_row {
    const char *id, *arn, *name, *description, *status;
    int event_expiry_days;
    int64_t created_ms, updated_ms;
    const char *strategies_json, *extra_json;
    const char *client_token;
};

/* An event ready to store: the validated input plus what the core derived from it. */
struct am_event_row {
    const am_event_in *in;
    const char *event_id;
    const char *session_id;      /* in->session_id or a generated one */
    const char *branch_name;     /* NULL on main */
    const char *fingerprint;     /* hash of the content, for client token replays */
    const char *payload_json;    /* serialized payload */
    const char *metadata_json;   /* serialized metadata or NULL */
    int64_t created_ms;
};

/* One step of a branch's ancestry for ListEvents includeParentBranches. */
struct am_branch_step {
    const char *branch;          /* NULL: main */
    int64_t max_ts_ms;           /* INT64_MAX: the whole branch */
    int64_t max_seq;             /* with max_ts_ms: the fork point */
};

struct am_record_row {
    const am_record_in *in;
    const char *record_id;
    int64_t now_ms;
    const float *embedding;      /* may be NULL */
    int dim;
    const char *embed_model;
};

/* A claimed extraction job: the session's events with from_seq <= seq <= to_seq. */
struct am_job_row {
    char memory_id[128];
    char job_id[48];
    char actor_id[256];
    char session_id[128];
    int64_t from_seq, to_seq;
    int attempts;
};

/* A candidate record from extraction, ready to consolidate and store. */
struct am_cand_row {
    int kind;                    /* enum am_cand_kind (src/extract/extract.h) */
    const char *text, *key, *namespace_, *strategy_id, *sources_json;
    const char *fts;             /* the records holding all of text's words, as a lexical
                                    query (FTS5 syntax, also valid for websearch_to_tsquery),
                                    or NULL */
    int64_t ts_ms;
    const float *embedding;
    int dim;
    const char *embed_model;
};

/* Consolidation: given the current records of the candidate's namespace (and strategy) that
   it may repeat or update, return AM_CONSOLIDATE_ADD, _SKIP or _SUPERSEDE (with *out_index).
   The store passes those with the candidate's key, the best matches of c->fts (older
   restatements, however old) and the AM_CONSOLIDATE_RECENT most recent ones (paraphrases
   and updates), never the whole namespace, so the cost per candidate does not grow with
   it. A paraphrase of a record older than that window is not seen. */
#define AM_CONSOLIDATE_RECENT 200
#define AM_CONSOLIDATE_MATCHES 20
typedef int (*am_decide_fn)(void *arg, const struct am_cand_row *c, const char *const *texts,
                            const char *const *keys, size_t n, size_t *out_index);

/* The vectors of the current records in a query's scope, for exact scoring. */
struct am_vec_set {
    size_t n;
    int dim;
    char **ids;                  /* record ids */
    int64_t *ts;                 /* record timestamps */
    float *vecs;                 /* n * dim, contiguous */
};
void am_vec_set_free(struct am_vec_set *v);

/* Page cursors, decoded from the opaque tokens by the core. */
struct am_cursor {
    bool set;
    int64_t a, b;                /* meaning depends on the listing */
    const char *s1, *s2;         /* string keys, borrowed */
};

struct am_store_ops {
    int version;
    const char *name;
    unsigned caps;

    void (*close)(struct am_store *st);

    /* memories */
    int (*memory_insert)(am_db *db, struct am_store *st, const struct am_memory_row *row,
                         am_memories **out);
    int (*memory_get)(am_db *db, struct am_store *st, const char *id, const char *name,
                      am_memories **out);
    int (*memory_list)(am_db *db, struct am_store *st, int limit, int64_t after_rowid,
                       am_memories **out, bool *out_more, int64_t *out_last_rowid);
    int (*memory_replace)(am_db *db, struct am_store *st, const struct am_memory_row *row);
    int (*memory_delete)(am_db *db, struct am_store *st, const char *id);

    /* events */
    int (*event_insert)(am_db *db, struct am_store *st, const struct am_event_row *row,
                        am_events **out);
    int (*event_get)(am_db *db, struct am_store *st, const char *memory_id,
                     const char *actor_id, const char *session_id, const char *event_id,
                     int64_t now_ms, am_events **out);
    int (*event_delete)(am_db *db, struct am_store *st, const char *memory_id,
                        const char *actor_id, const char *session_id, const char *event_id);
    int (*event_list)(am_db *db, struct am_store *st, const am_event_query *q,
                      const struct am_branch_step *steps, size_t n_steps, int64_t now_ms,
                      const struct am_cursor *cur, int limit, am_events **out,
                      bool *out_more, int64_t *out_last_ts, int64_t *out_last_seq);
    /* the branch name and timestamp/seq of an event, for branch ancestry */
    int (*event_locate)(am_db *db, struct am_store *st, const char *memory_id,
                        const char *actor_id, const char *session_id, const char *event_id,
                        char **out_branch, int64_t *out_ts, int64_t *out_seq);
    /* the root event id of a branch (from its first event), NULL if none */
    int (*branch_root)(am_db *db, struct am_store *st, const char *memory_id,
                       const char *actor_id, const char *session_id, const char *branch,
                       char **out_root);

    /* sessions and actors */
    int (*session_list)(am_db *db, struct am_store *st, const char *memory_id,
                        const char *actor_id, bool newest_first, int64_t now_ms,
                        int limit, int64_t offset, am_sessions **out, bool *out_more);
    int (*session_delete)(am_db *db, struct am_store *st, const char *memory_id,
                          const char *actor_id, const char *session_id, int64_t *out_n);
    int (*actor_list)(am_db *db, struct am_store *st, const char *memory_id,
                      int64_t now_ms, int limit, const char *after_actor,
                      am_actors **out, bool *out_more);
    int (*actor_forget)(am_db *db, struct am_store *st, const char *memory_id,
                        const char *actor_id, int64_t *out_events, int64_t *out_records);
    int (*purge_expired)(am_db *db, struct am_store *st, int64_t now_ms, int64_t *out_n);

    /* records */
    int (*record_insert)(am_db *db, struct am_store *st, const struct am_record_row *row);
    int (*record_update)(am_db *db, struct am_store *st, const struct am_record_row *row);
    int (*record_get)(am_db *db, struct am_store *st, const char *memory_id,
                      const char *record_id, am_records **out);
    int (*record_delete)(am_db *db, struct am_store *st, const char *memory_id,
                         const char *record_id);
    int (*record_list)(am_db *db, struct am_store *st, const am_record_query *q,
                       const struct am_cursor *cur, int limit, am_records **out,
                       bool *out_more, int64_t *out_last_ts, int64_t *out_last_rowid);
    /* lexical candidates: records matching an FTS expression, best first, with bm25 */
    int (*record_search)(am_db *db, struct am_store *st, const am_record_query *q,
                         const char *fts_expr, int limit, am_records **out);

    /* extraction jobs */
    int (*job_list)(am_db *db, struct am_store *st, const am_job_query *q, int limit,
                    int64_t offset, am_jobs **out, bool *out_more);
    int (*job_start)(am_db *db, struct am_store *st, const char *memory_id,
                     const char *job_id);

    /* extraction pipeline */
    int (*job_claim)(am_db *db, struct am_store *st, int64_t now_ms, int64_t lease_ms,
                     struct am_job_row *out, bool *out_found);
    /* the job's events (whole_session: the session's last `limit` events), oldest first */
    int (*job_events)(am_db *db, struct am_store *st, const struct am_job_row *job,
                      bool whole_session, int limit, am_events **out);
    /* consolidate and store the candidates, then retire the job: one transaction */
    int (*job_complete)(am_db *db, struct am_store *st, const struct am_job_row *job,
                        const struct am_cand_row *c, size_t n, am_decide_fn decide, void *arg,
                        int *out_added, int *out_superseded);
    /* record a failure: retry at retry_at_ms, or FAILED for good when it is 0 */
    int (*job_fail)(am_db *db, struct am_store *st, const struct am_job_row *job,
                    const char *reason, int64_t retry_at_ms);

    /* an event's extraction status (see am_event_extraction) */
    int (*event_extraction)(am_db *db, struct am_store *st, const char *memory_id,
                            const char *actor_id, const char *session_id,
                            const char *event_id, const char **out_status);
    /* verbatim event search: index new events' text (a background step), then search */
    int (*events_index)(am_db *db, struct am_store *st, int batch, int *out_n);
    int (*event_search)(am_db *db, struct am_store *st, const char *memory_id,
                        const char *actor_id, const char *session_id, const char *fts_expr,
                        int limit, am_events **out);

    /* re-indexing after the embedder changed: records whose vector was made by another
       model (at most limit of them), and storing their new vectors */
    int (*record_stale)(am_db *db, struct am_store *st, const char *model, int limit,
                        am_records **out);
    int (*record_set_vectors)(am_db *db, struct am_store *st, const char *const *ids,
                              const float *vecs, size_t n, int dim, const char *model);

    int (*record_history)(am_db *db, struct am_store *st, const char *memory_id,
                          const char *record_id, am_records **out);
    int (*record_vectors)(am_db *db, struct am_store *st, const am_record_query *q,
                          const char *model, struct am_vec_set *out);

    /* consistency check (am_check): "ok", or one problem per line, into out[cap] */
    int (*check)(am_db *db, struct am_store *st, char *out, size_t cap);
};

/* Open the backend that the uri names; fills the ops table and the store. */
int am_store_open(am_db *db, const char *uri, unsigned flags,
                  const struct am_store_ops **out_ops, struct am_store **out_st);

extern const struct am_store_ops am_store_sqlite;

#endif
