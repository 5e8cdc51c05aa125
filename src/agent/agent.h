/*
 * agent.h - the Redshift migration agent built on agentmem (issue 7).
 *
 * One handler (handler.c) answers a payload {"message", "session_id"?, "actor_id"?, "region"?}
 * with the envelope of the original public agent ({"statusCode", "headers", "body": "<JSON>"}).
 * It is served three ways by main.c: a local AWS Lambda Invoke API, the Lambda Runtime API
 * (custom runtime "bootstrap") and a one-shot command. memory.c talks to agentmemd, aws.c to
 * Redshift and Redshift Serverless, reasoning.c is the offline rule-based reasoner.
 */
#ifndef AM_AGENT_H
#define AM_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/buf.h"

#define AM_AG_MAX_BODY (6u * 1024 * 1024)   /* Lambda's synchronous payload limit */

/* ---- strings: util/buf.h's bounded buffer, capped at the Lambda payload size ---- */
#define AM_AG_BUF_INIT {NULL, 0, 0, AM_AG_MAX_BODY - 1, AM_OK}
/* buf.c: case-insensitive substring test (NULL hay: false) */
bool am_ag_icontains(const char *hay, const char *needle);

/* ---- aws.c: HTTP, SigV4, Redshift (awsQuery) and Redshift Serverless (awsJson1_1) ---- */
struct am_ag_http_req {
    const char *method, *url, *body, *content_type, *target; /* target: X-Amz-Target */
    size_t body_len;
    const char *service, *region;                          /* for SigV4; NULL = unsigned */
    const char *bearer;                                    /* "Bearer …" for Authorization */
};
/* Performs one request. *out is the NUL-terminated body (caller frees). Returns 0, or -1 with
 * err filled when no HTTP answer came. */
int am_ag_http(const struct am_ag_http_req *rq, long *out_status, char **out, char *err,
               size_t err_cap);

struct am_ag_cluster {
    char id[128], node_type[64], status[64], az[64], pgroup[256], endpoint[256], version[32];
    int nodes, port;
    long long storage_mb;
};
int am_ag_describe_clusters(const char *region, struct am_ag_cluster **out, size_t *n_out,
                            char *err, size_t err_cap);
/* The value of one parameter of a cluster parameter group (all pages); *out NULL if absent. */
int am_ag_cluster_parameter(const char *region, const char *group, const char *name, char **out,
                            char *err, size_t err_cap);
/* CreateClusterSnapshot; *out_arn receives the snapshot ARN (caller frees). */
int am_ag_create_snapshot(const char *region, const char *cluster, const char *snapshot,
                          char **out_arn, char **out_status, char *err, size_t err_cap);
/* DescribeClusterSnapshots for one snapshot id: its status (caller frees). */
int am_ag_snapshot_status(const char *region, const char *snapshot, char **out_status, char *err,
                          size_t err_cap);
/* One awsJson1_1 call: op is e.g. "ListWorkgroups"; req is borrowed; *out is owned. */
int am_ag_serverless(const char *region, const char *op, json_t *req, json_t **out, char *err,
                     size_t err_cap);
/* Node RAM in GiB for sizing (base RPU ~ RAM / 16); 0 when unknown. */
int am_ag_node_ram_gib(const char *node_type);

/* ---- memory.c: agentmemd over HTTP (AgentCore data plane) ---- */
struct am_db;
struct am_ag_mem {
    struct am_db *db;             /* embedded store (AGENTMEM_DB), or NULL: agentmemd */
    char endpoint[512];           /* agentmemd's URL, or the store's path */
    char memory_id[256];
    char facts_ns[512], prefs_ns[512], summary_ns[512]; /* templates from GetMemory */
};
/* Memory through agentmemd at endpoint, or, when db_path is set, through the library on that
 * SQLite file or postgres:// URI (opened once per process; am_ag_mem_shutdown, registered
 * with atexit, runs the pending extraction and closes it). */
int am_ag_mem_open(struct am_ag_mem *m, const char *endpoint, const char *db_path,
                   const char *memory_id, char *err, size_t err_cap);
void am_ag_mem_shutdown(void);
/* The session's last max_turns conversational turns, oldest first: [{role, text}]. */
int am_ag_mem_turns(const struct am_ag_mem *m, const char *actor, const char *session,
                    int max_turns, json_t **out, char *err, size_t err_cap);
/* Record texts of a namespace: retrieved by query when query != NULL, else listed. */
int am_ag_mem_records(const struct am_ag_mem *m, const char *ns, const char *query, int top_k,
                      json_t **out, char *err, size_t err_cap);
int am_ag_mem_add(const struct am_ag_mem *m, const char *actor, const char *session,
                  const char *role, const char *text, char *err, size_t err_cap);
/* The actor's checklists (am_ag_checklist_parse), and saving the entries named in changed
 * (BatchUpdateMemoryRecords for an entry with "_id", else BatchCreateMemoryRecords). */
int am_ag_mem_checklist_load(const struct am_ag_mem *m, const char *actor, json_t **out,
                             char *err, size_t err_cap);
int am_ag_mem_checklist_save(const struct am_ag_mem *m, const char *actor, json_t *checklist,
                             json_t *changed, char *err, size_t err_cap);
/* Expands {actorId}, {sessionId}, {memoryStrategyId} in a namespace template. */
void am_ag_mem_ns(const char *tmpl, const char *actor, const char *session, char *out,
                  size_t cap);

/* ---- reasoning.c ---- */
struct am_ag_turn {
    const char *message, *session_id, *actor_id, *region;
    bool memory_on;
    json_t *turns;      /* [{role, text}] oldest first, or empty */
    json_t *facts;      /* [text] */
    json_t *prefs;      /* [text] (preference records, JSON content as stored) */
    json_t *summaries;  /* [text] */
    json_t *checklist;  /* {cluster: entry}: the actor's migration checklists (checklist.c);
                           NULL when memory is off, and then nothing is recorded */
    json_t *changed;    /* [cluster]: the entries this turn changed, saved after the reply */
};
/* The reply text (caller frees); NULL only when out of memory. */
char *am_ag_reason(const struct am_ag_turn *t);

/* What a message asks for, by keywords (the reasoner's dispatch), and a name for it. */
enum {
    AM_AG_HELP, AM_AG_PREFS_QUERY, AM_AG_PREF_STATEMENT, AM_AG_DECISION, AM_AG_CHECK,
    AM_AG_RECALL, AM_AG_RESTORE, AM_AG_CREATE_TARGET, AM_AG_SNAPSHOT, AM_AG_WLM, AM_AG_PLAN,
    AM_AG_CLUSTERS, AM_AG_SERVERLESS
};
int am_ag_intent(const char *message);
const char *am_ag_intent_name(int intent);
/* Whether the message agrees to a change: 1 ("now", "go ahead", ...), -1 (asks for a dry
 * run), 0 (says neither: the stored preferences decide, else a dry run). */
int am_ag_consents(const struct am_ag_turn *t);

/* ---- checklist.c: the per-actor, per-cluster migration checklist ----
 * Kept from tool results only (a step is done when its AWS call succeeded), so "where were
 * we?" never depends on extraction. One entry per cluster:
 *   {"checklist": "redshift-migration", "cluster", "region", "updatedAt",
 *    "steps": {step: {"at", "session", "detail"}}, "target": {"workgroup", "namespace",
 *    "rpu", "multiple"}, "snapshotArn", "queues": [{"name", "memory"}] (the assessed WLM
 *    queues), "targets": [{"queue", "namespace", "workgroup", "rpu"}] (one per queue when
 *    several workgroups were decided and created)}
 * stored as one memory record per actor and cluster under AM_AG_CHECKLIST_NS. */
#define AM_AG_CHECKLIST_NS "/actors/%s/migrations"
/* Marks step ("assess", "plan", "snapshot", "namespace", "workgroup", "restore",
 * "available") of cluster done with a detail; creates the entry. Returns the entry
 * (borrowed), or NULL when the turn keeps no checklist. */
json_t *am_ag_step_done(const struct am_ag_turn *t, const char *cluster, const char *step,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The entry the turn is about: the cluster named in the message, else the most recently
 * updated one; NULL if none (borrowed). */
json_t *am_ag_checklist_current(const struct am_ag_turn *t);
bool am_ag_step_is_done(json_t *entry, const char *step);
/* " Checklist for <cluster> (...): [x] assessed (detail), ... Next: ..." */
void am_ag_checklist_render(json_t *entry, struct am_xbuf *b);
/* {cluster: entry} from ListMemoryRecords summaries (new reference); records that are not
 * checklists are ignored, and two records of one cluster are merged. Entries keep their
 * record id in "_id". */
json_t *am_ag_checklist_parse(json_t *record_summaries);

/* ---- llm.c ---- */
/* With AGENT_LLM_PROVIDER set, the reply of a language model that used the workflow's steps
 * as tools (caller frees; *used true); each tool result is appended to tool_results as
 * {tool, text}. Unset: NULL and *used false. A failing model gives the workflow's answer
 * with a note. */
char *am_ag_llm_reason(const struct am_ag_turn *t, json_t *tool_results, bool *used);

/* ---- handler.c ---- */
/* Answers one invocation payload with the envelope JSON (caller frees; NULL on OOM). */
char *am_ag_handle(const char *payload, size_t len);

#endif
