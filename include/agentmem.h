/*
 * agentmem.h - the public API of libagentmem, persistent memory for AI agents.
 *
 * This header is the manual. Anything not declared here is not API.
 *
 * The model follows AWS Bedrock AgentCore Memory: a *memory* holds short-term *events*
 * (conversation turns and JSON blobs) grouped by actor and session, and long-term *memory
 * records* that strategies extract from those events. Names, limits and validation rules are
 * the ones of the AgentCore service model; where agentmem goes beyond AgentCore the
 * documentation says so.
 *
 * Conventions
 * - Every fallible call returns an int result code (AM_OK on success). The detail of the last
 *   failure is available from am_errmsg(db) in the calling thread.
 * - An am_db handle is thread-safe: one handle may be shared by all threads of a process.
 * - Inputs are borrowed for the duration of the call and never kept.
 * - Outputs are returned through out-parameters, which are set to NULL on failure. A result
 *   object (am_events, am_memories, ...) owns every string reachable from it and is released
 *   with its own _free function, which accepts NULL.
 * - Timestamps are milliseconds since the Unix epoch (int64_t).
 */
#ifndef AGENTMEM_H
#define AGENTMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define AM_API __attribute__((visibility("default")))
#else
#define AM_API
#endif

#define AM_VERSION "0.1.0"

/* Result codes. The numbers are API: append only. */
enum {
    AM_OK = 0,
    AM_EINVAL,     /* invalid input; am_errmsg names the field */
    AM_ENOTFOUND,  /* no such memory, event, record, session or job */
    AM_ECONFLICT,  /* conflicts with existing state (name taken, token reused differently) */
    AM_EBUSY,      /* the store is busy; retry */
    AM_ENOMEM,     /* out of memory */
    AM_EIO,        /* storage failure */
    AM_EUNAVAIL,   /* backend or provider not available */
    AM_EINTERNAL,  /* a bug in agentmem; see the log */
    AM_EQUOTA,     /* a count limit was reached */
};

/* Limits (AgentCore's, unless marked as agentmem's own). */
#define AM_MAX_PAYLOAD_ITEMS   100
#define AM_MAX_TEXT_LEN        100000   /* conversational text, characters */
#define AM_MAX_BLOB_LEN        (1 << 20) /* agentmem: serialized blob document, bytes */
#define AM_MAX_EVENT_METADATA  15
#define AM_MAX_RECORD_TEXT     16000
#define AM_MAX_RESULTS         100
#define AM_DEFAULT_RESULTS     20
#define AM_MAX_STRATEGIES      6

typedef struct am_db am_db;

/* ---------------------------------------------------------------------------------------
 * Handles and errors
 * ------------------------------------------------------------------------------------- */

/* Flags for am_open. */
#define AM_OPEN_READONLY  0x1u  /* refuse every write */
#define AM_OPEN_MANUAL    0x2u  /* start no background threads (expiry purge, extraction
                                   worker); call am_purge_expired and am_extract_run yourself */
#define AM_OPEN_NOPURGE   AM_OPEN_MANUAL  /* the former name */
#define AM_OPEN_EXCLUSIVE 0x4u  /* SQLite: this process is the file's only user (agentmemd
                                   holds a lock on it), so extraction jobs left RUNNING by a
                                   process that died are taken over at once rather than when
                                   their lease (AGENTMEM_JOB_LEASE_MS, 120 s) runs out.
                                   Ignored by PostgreSQL, where other servers may be working */

/**
 * Open (creating if needed) a store and migrate its schema to the current version.
 * @param uri    a SQLite file path ("agentmem.db", "sqlite:/var/lib/agentmem.db"); the
 *               PostgreSQL backend will accept "postgres://..." URIs.
 * @param flags  AM_OPEN_* bits.
 * @param out    on success the handle, closed with am_close(); NULL on failure.
 * @return AM_OK, AM_EINVAL (bad uri), AM_EIO (cannot open or migrate; see am_errmsg(NULL)),
 *         AM_EBUSY (another process holds the store exclusively), AM_ENOMEM.
 */
AM_API int am_open(const char *uri, unsigned flags, am_db **out);

/** Close a handle. Waits for in-flight writes. Accepts NULL. */
AM_API void am_close(am_db *db);

/** Fixed English text for a result code. Never NULL. */
AM_API const char *am_strerror(int rc);

/**
 * The message of the last failure in the calling thread (on this handle or, for am_open,
 * on any). Valid until the next agentmem call in this thread. Never NULL.
 */
AM_API const char *am_errmsg(am_db *db);

/**
 * For AM_EINVAL: the API name of the offending field ("actorId", "payload[2].role"), or ""
 * when the failure is not about one field. Valid until the next call in this thread.
 */
AM_API const char *am_errfield(am_db *db);

/** Free memory that a call documented as "free with am_free". Accepts NULL. */
AM_API void am_free(void *p);

/** Current wall-clock time in milliseconds since the epoch. */
AM_API int64_t am_now_ms(void);

/* ---------------------------------------------------------------------------------------
 * Memories (the AgentCore control plane)
 * ------------------------------------------------------------------------------------- */

typedef struct am_memory_in {
    const char *name;          /* required; [a-zA-Z][a-zA-Z0-9_]{0,47}, unique */
    const char *description;   /* optional; 1..4096 characters */
    int event_expiry_days;     /* 3..365 as in AgentCore, or 0: keep events until deleted
                                  (agentmem extension) */
    const char *strategies_json; /* optional JSON array of MemoryStrategyInput unions exactly
                                    as CreateMemory's memoryStrategies; NULL or "[]" for none */
    const char *extra_json;    /* optional JSON object of the other CreateMemory members,
                                  stored and echoed: encryptionKeyArn, memoryExecutionRoleArn,
                                  indexedKeys, streamDeliveryResources, tags */
    const char *client_token;  /* optional; the same token returns the same memory */
} am_memory_in;

typedef struct am_memory {
    const char *id;            /* <name>-<10 alphanumerics> */
    const char *arn;           /* arn:aws:bedrock-agentcore:<region>:<account>:memory/<id> */
    const char *name;
    const char *description;   /* NULL when unset */
    const char *status;        /* "ACTIVE", "DELETING", ... */
    int event_expiry_days;     /* 0 = events are kept until deleted */
    int64_t created_ms;
    int64_t updated_ms;
    const char *strategies_json; /* JSON array of MemoryStrategy output shapes, never NULL */
    const char *extra_json;      /* JSON object, never NULL */
} am_memory;

typedef struct am_memories {
    am_memory *items;
    size_t n;
    const char *next_token;    /* NULL on the last page */
    void *priv;
} am_memories;

AM_API void am_memories_free(am_memories *m);

/**
 * Create a memory. Strategies get ids "<strategy name>-<10 alphanumerics>", a type and their
 * default namespace template when none is given.
 * The same client_token replays the creation and returns the same memory.
 * @return AM_OK, AM_EINVAL (also for a name that already exists: the message says "already
 *         exists", as AgentCore's ValidationException does), AM_EQUOTA (too many
 *         strategies), AM_EIO.
 */
AM_API int am_memory_create(am_db *db, const am_memory_in *in, am_memories **out);

/** Get one memory by id or ARN. @return AM_OK, AM_EINVAL, AM_ENOTFOUND. */
AM_API int am_memory_get(am_db *db, const char *memory_id, am_memories **out);

/** Find a memory by its exact name. @return AM_OK, AM_ENOTFOUND. */
AM_API int am_memory_find(am_db *db, const char *name, am_memories **out);

/** List memories, oldest first. max_results 0 means AM_DEFAULT_RESULTS. */
AM_API int am_memory_list(am_db *db, int max_results, const char *next_token,
                          am_memories **out);

typedef struct am_memory_update {
    const char *description;     /* NULL: unchanged */
    int event_expiry_days;       /* -1: unchanged; 0 or 3..365 */
    const char *strategies_json; /* NULL, or a ModifyMemoryStrategies JSON object:
                                    {addMemoryStrategies, modifyMemoryStrategies,
                                     deleteMemoryStrategies} */
    const char *extra_json;      /* NULL, or members merged into extra_json
                                    (memoryExecutionRoleArn, addIndexedKeys, ...) */
} am_memory_update;

/** Update a memory. @return AM_OK, AM_EINVAL, AM_ENOTFOUND, AM_EQUOTA. */
AM_API int am_memory_update_apply(am_db *db, const char *memory_id,
                                  const am_memory_update *upd, am_memories **out);

/**
 * Delete a memory with all its events, records and jobs.
 * @return AM_OK, AM_EINVAL, AM_ENOTFOUND.
 */
AM_API int am_memory_delete(am_db *db, const char *memory_id);

/* ---------------------------------------------------------------------------------------
 * Events (short-term memory)
 * ------------------------------------------------------------------------------------- */

enum am_payload_kind { AM_PAYLOAD_CONVERSATIONAL = 1, AM_PAYLOAD_BLOB, AM_PAYLOAD_JSON };
enum am_role { AM_ROLE_USER = 1, AM_ROLE_ASSISTANT, AM_ROLE_TOOL, AM_ROLE_OTHER };

/** Role names as on the wire ("USER"...), and back (0 when unknown). */
AM_API const char *am_role_name(int role);
AM_API int am_role_parse(const char *name);

typedef struct am_payload {
    int kind;          /* enum am_payload_kind */
    int role;          /* enum am_role; conversational only */
    const char *text;  /* conversational: the text (UTF-8); blob and json: the document
                          serialized as JSON text */
} am_payload;

typedef struct am_kv {
    const char *key;
    const char *value;
} am_kv;

typedef struct am_event_in {
    const char *memory_id;     /* required */
    const char *actor_id;      /* required; AgentCore ActorId pattern or an e-mail address */
    const char *session_id;    /* optional; generated when NULL */
    int64_t timestamp_ms;      /* required (> 0) */
    const am_payload *payload; /* 1..100 items */
    size_t n_payload;
    const char *branch_name;          /* NULL: main branch */
    const char *branch_root_event_id; /* required to start a branch */
    const am_kv *metadata;     /* 0..15 entries, distinct keys */
    size_t n_metadata;
    const char *client_token;  /* optional; same token and content returns the same event */
    bool skip_extraction;      /* extractionMode SKIP */
} am_event_in;

typedef struct am_event {
    const char *memory_id;
    const char *actor_id;
    const char *session_id;
    const char *event_id;      /* 19-digit epoch ms of the timestamp, '#', 8 hex digits */
    int64_t timestamp_ms;
    am_payload *payload;       /* NULL with n_payload 0 when payloads were not requested */
    size_t n_payload;
    const char *branch_name;   /* NULL on the main branch */
    const char *branch_root_event_id;
    am_kv *metadata;
    size_t n_metadata;
} am_event;

typedef struct am_events {
    am_event *items;
    size_t n;
    const char *next_token;    /* NULL on the last page */
    void *priv;
} am_events;

AM_API void am_events_free(am_events *e);

/**
 * Append one event. Durable when AM_OK returns. Concurrent appends share one disk flush
 * (group commit).
 * @param out  on success a one-item am_events holding the stored event (or, for a replayed
 *             client token, the original event); may be NULL if the caller needs nothing.
 * @return AM_OK, AM_EINVAL, AM_ENOTFOUND (no such memory, or the branch root event does not
 *         exist), AM_ECONFLICT (client token reused with different content), AM_EIO.
 */
AM_API int am_event_create(am_db *db, const am_event_in *in, am_events **out);

/** Get one event. @return AM_OK, AM_EINVAL, AM_ENOTFOUND. */
AM_API int am_event_get(am_db *db, const char *memory_id, const char *actor_id,
                        const char *session_id, const char *event_id, am_events **out);

/** Delete one event. @return AM_OK, AM_EINVAL, AM_ENOTFOUND. */
AM_API int am_event_delete(am_db *db, const char *memory_id, const char *actor_id,
                           const char *session_id, const char *event_id);

enum am_filter_op { AM_FILTER_EQUALS = 1, AM_FILTER_EXISTS, AM_FILTER_NOT_EXISTS };

typedef struct am_event_filter {
    const char *key;
    int op;                    /* enum am_filter_op */
    const char *value;         /* AM_FILTER_EQUALS only */
} am_event_filter;

typedef struct am_event_query {
    const char *memory_id, *actor_id, *session_id; /* all required */
    const char *branch;        /* NULL: every branch; "main" or a branch name */
    bool include_parent_branches; /* with branch: also the ancestors' events up to the fork */
    const am_event_filter *filters; /* 0..5, all must hold */
    size_t n_filters;
    bool include_payloads;
    bool oldest_first;         /* agentmem extension; AgentCore order is newest first */
    int max_results;           /* 0: AM_DEFAULT_RESULTS; at most AM_MAX_RESULTS */
    const char *next_token;    /* from the previous page, or NULL */
} am_event_query;

/**
 * List a session's events, newest first (ties broken by insertion order). Pages are cut by a
 * keyset token, so events appended while a client pages through are neither repeated nor
 * skipped among the events that existed when the first page was read.
 * @return AM_OK, AM_EINVAL (including a malformed next_token), AM_ENOTFOUND (memory).
 */
AM_API int am_event_list(am_db *db, const am_event_query *q, am_events **out);

/**
 * Where an event stands in long-term extraction (agentmem extension), so a caller can wait
 * for its records: "PENDING", "RUNNING", "RETRYING", "FAILED", "DONE", "SKIPPED"
 * (extractionMode SKIP) or "NONE" (the memory has no strategies). *out_status is a static
 * string. @return AM_OK, AM_EINVAL, AM_ENOTFOUND.
 */
AM_API int am_event_extraction(am_db *db, const char *memory_id, const char *actor_id,
                               const char *session_id, const char *event_id,
                               const char **out_status);

/**
 * Verbatim search over an actor's events (agentmem extension): the events whose
 * conversational text best matches query (FTS5 BM25), best first, at most top_k (0: 10,
 * at most 100), optionally within one session. Events become searchable once the
 * background worker (or am_extract_run) has indexed them, normally well under a second.
 * @return AM_OK, AM_EINVAL, AM_ENOTFOUND (memory).
 */
AM_API int am_event_search(am_db *db, const char *memory_id, const char *actor_id,
                           const char *session_id, const char *query, int top_k,
                           am_events **out);

/* ---------------------------------------------------------------------------------------
 * Sessions and actors
 * ------------------------------------------------------------------------------------- */

typedef struct am_session {
    const char *actor_id;
    const char *session_id;
    int64_t created_ms;        /* timestamp of its first event */
    int64_t last_ms;           /* timestamp of its last event */
    int64_t n_events;
} am_session;

typedef struct am_sessions {
    am_session *items;
    size_t n;
    const char *next_token;
    void *priv;
} am_sessions;

AM_API void am_sessions_free(am_sessions *s);

/**
 * List sessions that have events: of one actor (AgentCore ListSessions), or of every actor
 * when actor_id is NULL (agentmem extension). Newest activity first when newest_first, else
 * by creation time, oldest first (AgentCore's order).
 */
AM_API int am_session_list(am_db *db, const char *memory_id, const char *actor_id,
                           bool newest_first, int max_results, const char *next_token,
                           am_sessions **out);

/**
 * Delete a session with all its events and the records extracted from it (agentmem
 * extension). @param out_n_events  if not NULL, the number of events deleted.
 * @return AM_OK, AM_EINVAL, AM_ENOTFOUND (memory, or a session with no events).
 */
AM_API int am_session_delete(am_db *db, const char *memory_id, const char *actor_id,
                             const char *session_id, int64_t *out_n_events);

typedef struct am_actor {
    const char *actor_id;
    int64_t n_sessions;
    int64_t n_events;
    int64_t last_ms;
} am_actor;

typedef struct am_actors {
    am_actor *items;
    size_t n;
    const char *next_token;
    void *priv;
} am_actors;

AM_API void am_actors_free(am_actors *a);

/** List the actors that have events, in actor id order. */
AM_API int am_actor_list(am_db *db, const char *memory_id, int max_results,
                         const char *next_token, am_actors **out);

/**
 * Forget an actor (agentmem extension, for erasure requests): delete every event, session,
 * record and pending job of the actor. The counts of what was deleted are returned when the
 * pointers are not NULL. Forgetting an unknown actor succeeds with zero counts.
 */
AM_API int am_actor_forget(am_db *db, const char *memory_id, const char *actor_id,
                           int64_t *out_n_events, int64_t *out_n_records);

/* ---------------------------------------------------------------------------------------
 * Memory records (long-term memory)
 * ------------------------------------------------------------------------------------- */

typedef struct am_record_in {
    const char *memory_id;     /* required */
    const char *record_id;     /* update: required; create: NULL (generated) */
    const char *text;          /* create: required, 1..16000 characters; update: NULL keeps */
    const char *namespace_;    /* create: required; update: NULL keeps */
    const char *strategy_id;   /* optional */
    int64_t timestamp_ms;      /* required (> 0) */
    const char *metadata_json; /* optional JSON object of MemoryRecordMetadataValue unions */
    const char *actor_id;      /* provenance (optional) */
    const char *session_id;    /* provenance (optional) */
    const char *source_json;   /* provenance: optional JSON array of source event ids */
} am_record_in;

typedef struct am_record {
    const char *record_id;     /* "mem-" + UUID */
    const char *text;
    const char *namespace_;
    const char *strategy_id;   /* "" when none */
    int64_t created_ms;        /* the record's timestamp */
    int64_t updated_ms;
    const char *metadata_json; /* NULL when none */
    const char *actor_id;      /* provenance; NULL when unknown */
    const char *session_id;
    const char *source_json;   /* JSON array of {eventId, messageIndex} it came from, or NULL */
    double score;              /* search results only: relevance in [0, 1] */
    const char *superseded_by; /* the id of the record that replaced this one, or NULL */
} am_record;

typedef struct am_records {
    am_record *items;
    size_t n;
    const char *next_token;
    void *priv;
} am_records;

AM_API void am_records_free(am_records *r);

/**
 * Create a record. @param out_id  on success the new id, free with am_free; may be NULL.
 * @return AM_OK, AM_EINVAL, AM_ENOTFOUND (memory).
 */
AM_API int am_record_create(am_db *db, const am_record_in *in, char **out_id);

/** Update a record's text, namespace, strategy or metadata. AM_ENOTFOUND if absent. */
AM_API int am_record_update(am_db *db, const am_record_in *in);

AM_API int am_record_get(am_db *db, const char *memory_id, const char *record_id,
                         am_records **out);

AM_API int am_record_delete(am_db *db, const char *memory_id, const char *record_id);

typedef struct am_record_query {
    const char *memory_id;     /* required */
    const char *namespace_;    /* records in this namespace or below it ('/' boundary) */
    const char *namespace_path;/* same, the AgentCore namespacePath reading */
    const char *strategy_id;   /* optional */
    const char *actor_id;      /* optional provenance filter (agentmem) */
    const char *session_id;    /* optional provenance filter (agentmem) */
    const char *query;         /* search only: the text to search for */
    int top_k;                 /* search only: 0 means 10 */
    int max_results;
    const char *next_token;
    bool include_superseded;   /* also records replaced by newer versions (list only) */
} am_record_query;

/**
 * Every version of a record, oldest first: the records it superseded, itself, and those that
 * superseded it. @return AM_OK, AM_EINVAL, AM_ENOTFOUND.
 */
AM_API int am_record_history(am_db *db, const char *memory_id, const char *record_id,
                             am_records **out);

/** List current records (not superseded ones unless asked), newest first. */
AM_API int am_record_list(am_db *db, const am_record_query *q, am_records **out);

/**
 * Search records by relevance to q->query; each result carries a score in [0, 1], best
 * first. At most top_k results, paged by max_results.
 */
AM_API int am_record_search(am_db *db, const am_record_query *q, am_records **out);

/* ---------------------------------------------------------------------------------------
 * Context for a message (agentmem extension)
 * ------------------------------------------------------------------------------------- */

typedef struct am_context_query {
    const char *memory_id;     /* required */
    const char *actor_id;      /* required */
    const char *session_id;    /* optional: adds the session summary and its last turns */
    const char *message;       /* required: the message the agent is about to answer */
    int max_tokens;            /* budget; 0: 1000. Tokens are estimated as characters / 4 */
    int max_turns;             /* last turns of the session to consider; 0: 10 */
} am_context_query;

/**
 * What an agent should put in its prompt for a message: the session summary, the actor's
 * preferences, the records most relevant to the message and the session's last turns,
 * deduplicated and packed, in that order of priority, within the token budget.
 * @param out_json  on success a JSON object, free with am_free:
 *   {"items":[{"kind":"summary|preference|fact|turn","text":...,"tokens":N,
 *              "source":{"memoryRecordId"|"eventId":...,"score":...}}],
 *    "usedTokens":N,"maxTokens":N}
 * @return AM_OK, AM_EINVAL, AM_ENOTFOUND (memory).
 */
AM_API int am_context_build(am_db *db, const am_context_query *q, char **out_json);

/* ---------------------------------------------------------------------------------------
 * Extraction jobs (the durable queue behind long-term memory)
 * ------------------------------------------------------------------------------------- */

typedef struct am_job {
    const char *job_id;
    const char *status;        /* "PENDING", "RUNNING", "FAILED" */
    const char *failure_reason;/* NULL unless FAILED */
    const char *strategy_id;   /* NULL: every strategy of the memory */
    const char *actor_id;
    const char *session_id;
    const char *messages_json; /* JSON array of {eventId, messageIndex} */
    int attempts;
    int64_t created_ms;
} am_job;

typedef struct am_jobs {
    am_job *items;
    size_t n;
    const char *next_token;
    void *priv;
} am_jobs;

AM_API void am_jobs_free(am_jobs *j);

typedef struct am_job_query {
    const char *memory_id;     /* required */
    const char *status;        /* optional: "FAILED" (AgentCore's only value), "PENDING"... */
    const char *strategy_id, *actor_id, *session_id; /* optional filters */
    int max_results;           /* 0: AM_DEFAULT_RESULTS; at most 50 */
    const char *next_token;
} am_job_query;

/**
 * Run up to max_jobs pending extraction jobs now, in the calling thread: read the new events
 * of a session, run the memory's strategies (built-in offline extractors by default),
 * consolidate the candidates into records and retire the job, all records of a job in one
 * transaction. Failures are retried with backoff and end as FAILED jobs.
 * It first indexes new events for am_event_search.
 * The background worker (started by am_open unless AM_OPEN_MANUAL) calls this.
 * Summaries are made once a session has AGENTMEM_SUMMARY_TURNS turns (default 8) or
 * AGENTMEM_SUMMARY_CHARS characters (default 3000), and refreshed as it grows.
 * @param out_done  if not NULL, the number of jobs completed (succeeded or failed).
 */
AM_API int am_extract_run(am_db *db, int max_jobs, int *out_done);

/** List extraction jobs, oldest first. */
AM_API int am_job_list(am_db *db, const am_job_query *q, am_jobs **out);

/**
 * Re-queue a failed job (StartMemoryExtractionJob).
 * @return AM_OK, AM_EINVAL, AM_ENOTFOUND (no such job in the memory).
 */
AM_API int am_job_start(am_db *db, const char *memory_id, const char *job_id);

/* ---------------------------------------------------------------------------------------
 * Maintenance
 * ------------------------------------------------------------------------------------- */

/**
 * Delete events older than their memory's expiry (by the time they were stored). The
 * background purge calls this; tests and tools may call it directly.
 * @param now_ms  the current time (am_now_ms()) or a time in the future, for tests.
 * @param out_n   if not NULL, the number of events deleted.
 */
AM_API int am_purge_expired(am_db *db, int64_t now_ms, int64_t *out_n);

/**
 * Check the store's consistency. SQLite: PRAGMA quick_check and the full-text indexes'
 * integrity checks. PostgreSQL (which checks its own storage): the schema version and that
 * no record points at a missing successor.
 * @param out_report  on AM_OK, "ok" or the problems found, one per line; free with am_free.
 * @return AM_OK (the report says whether the store is sound), AM_EIO, AM_ENOMEM.
 */
AM_API int am_check(am_db *db, char **out_report);

/**
 * The ARN of a memory, as GetMemory reports it: arn:aws:bedrock-agentcore:REGION:ACCOUNT:
 * memory/ID (REGION and ACCOUNT from AGENTMEM_REGION / AGENTMEM_ACCOUNT at am_open). An ARN
 * given as memory_id is normalized the same way. Does not check that the memory exists.
 * @return AM_OK, or AM_EINVAL when out is too small.
 */
AM_API int am_memory_arn(am_db *db, const char *memory_id, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* AGENTMEM_H */
