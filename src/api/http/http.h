/*
 * http.h - internals of agentmemd's HTTP layer, shared by the files of src/api/http/.
 *
 * One request is one struct am_http_req. server.c owns it (libmicrohttpd callbacks, body
 * accumulation, response queueing, access log, metrics); router.c finds the route and
 * decodes the path labels and the query; a handler (memories.c, events.c, sessions.c,
 * records.c, jobs.c, ext.c) decodes the JSON body into the structs of agentmem.h, calls the
 * engine and answers with exactly one am_http_reply_* call. errors.c holds the one table
 * that maps result codes to HTTP statuses and AgentCore error names.
 *
 * Ownership: every string reachable from a request is owned by the request and freed when
 * libmicrohttpd reports the request completed. A reply function takes ownership of the JSON
 * body it is given (json_decref happens inside, also on failure).
 */
#ifndef AM_API_HTTP_HTTP_H
#define AM_API_HTTP_HTTP_H

#include "agentmem.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Connection;
struct am_http_server;
struct am_http_req;

/* ---- buffers ------------------------------------------------------------------------ */

/* A growable byte buffer with a ceiling (max 0: no ceiling). A failed append leaves the
 * buffer as it was and returns -1. */
struct am_http_buf {
    char *data;
    size_t len, cap, max;
};

int am_http_buf_append(struct am_http_buf *b, const void *p, size_t n);
int am_http_buf_printf(struct am_http_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void am_http_buf_free(struct am_http_buf *b);

/* ---- routes ------------------------------------------------------------------------- */

typedef int (*am_http_handler)(struct am_http_req *req);

enum { AM_HTTP_MAX_LABELS = 6, AM_HTTP_MAX_QUERY = 32 };

struct am_http_route {
    const char *method;        /* "GET", "POST", "PUT", "DELETE" */
    const char *pattern;       /* "/memories/{memoryId}/events"; "{x}" is one path label */
    const char *op;            /* operation name for logs, metrics and the error table */
    am_http_handler fn;
};

/* The route table and its length (router.c). Index n_routes is "no route". */
extern const struct am_http_route am_http_routes[];
extern const size_t am_http_n_routes;

enum am_http_match { AM_HTTP_MATCHED = 0, AM_HTTP_NO_ROUTE, AM_HTTP_BAD_METHOD, AM_HTTP_BAD_PATH };

/* Match method + raw path (percent-encoded, without the query). On AM_HTTP_MATCHED sets
 * *out_route and fills req's labels with the percent-decoded path labels. */
int am_http_route_find(struct am_http_req *req, const char *method, const char *raw_path,
                       size_t *out_route);

/* Percent-decode src[0..len) into a new string (free with free()). Returns NULL on a
 * malformed escape, an encoded NUL or out of memory. plus_is_space for query strings. */
char *am_http_pct_decode(const char *src, size_t len, bool plus_is_space);

/* ---- requests ----------------------------------------------------------------------- */

struct am_http_kv {
    char *key;
    char *value;               /* "" when the query item had no '=' */
};

struct am_http_req {
    struct am_http_server *srv;
    struct MHD_Connection *conn;
    am_db *db;
    const char *method;        /* borrowed from libmicrohttpd, valid during the request */
    char *raw_path;            /* as received, percent-encoded */
    char *raw_query;           /* rebuilt from the parsed arguments, NULL when none */
    char id[40];               /* request id, sent as x-amzn-requestid */
    int64_t start_ns;          /* CLOCK_MONOTONIC */
    size_t route;              /* index into am_http_routes, or am_http_n_routes */
    const char *op;            /* operation name, "-" before routing */
    char *labels[AM_HTTP_MAX_LABELS];
    size_t n_labels;
    struct am_http_kv query[AM_HTTP_MAX_QUERY];
    size_t n_query;
    struct am_http_buf body;
    bool too_big;
    json_t *json;              /* the parsed body object ({} when there was none) */
    const char *access_key;    /* the key that signed it (--auth sigv4), else NULL */
    int status;                /* of the queued response, 0 until then */
    size_t resp_len;
    char *resp_body;           /* owned until queued */
    const char *resp_type;     /* content type */
    char allow[40];            /* methods of the path, for a 405 */
    char err_type[64];         /* x-amzn-errortype, "" on success */
    /* validation error of the JSON decoders (json.c) */
    char verr_field[160];
    char verr_msg[600];
    const char *verr_reason;   /* "CannotParse" or "FieldValidationFailed" */
};

/*
 * Serve one request in-process, without a socket: route, parse, validate, run, reply, as
 * agentmemd does (no auth, no rate limit). target is the path with an optional "?query",
 * both percent-encoded as sent. For the fuzzers (tests/fuzz/) and tests. *out_body is the
 * reply body (caller frees, may be NULL). 0, or -1 when no reply was made (out of memory).
 */
int am_http_dispatch(am_db *db, const char *method, const char *target, const void *body,
                     size_t body_len, size_t max_body, int *out_status, char **out_body);

/* Path label by index ("{memoryId}" of "/memories/{memoryId}/events" is 0). */
const char *am_http_label(const struct am_http_req *req, size_t i);
/* First value of a query parameter, or NULL. */
const char *am_http_query(const struct am_http_req *req, const char *key);

/* ---- replies (exactly one per request) -------------------------------------------- */

/* 2xx with a JSON body; takes ownership of body (NULL: "{}"). Returns 0, -1 if out of
 * memory (a 500 is then sent). */
int am_http_reply_json(struct am_http_req *req, int status, json_t *body);
/* Any body with a content type; takes ownership of the malloc'ed text. */
int am_http_reply_text(struct am_http_req *req, int status, const char *content_type,
                       char *text, size_t len);

/* Codes of the HTTP layer itself, beside the AM_* codes; see the table in errors.c. */
enum {
    AM_HTTP_ECANNOTPARSE = 1000, /* 400 ValidationException reason CannotParse */
    AM_HTTP_EUNKNOWNOP,          /* 404 UnknownOperationException */
    AM_HTTP_EMETHOD,             /* 405 UnknownOperationException */
    AM_HTTP_ETOOLARGE,           /* 413 ValidationException */
    AM_HTTP_EUNAVAIL,            /* 503 ServiceUnavailableException (health check) */
};

/* Error reply for a result code (AM_* or AM_HTTP_*) through the table of errors.c. For
 * AM_EINVAL, am_errfield(req->db) names the field of the fieldList. msg may be NULL. */
int am_http_reply_error(struct am_http_req *req, int rc, const char *msg);
/* Error reply with an explicit type and status (authentication errors of sigv4). */
int am_http_reply_error_as(struct am_http_req *req, int status, const char *type,
                           const char *msg);
/* ValidationException from req->verr_* (filled by the json.c decoders). */
int am_http_reply_verr(struct am_http_req *req);
/* Fill req->verr_* and return -1, so decoders can `return am_http_verr(...)`. */
int am_http_verr(struct am_http_req *req, const char *reason, const char *field,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Status, type and reason for a code: the error table lookup (errors.c). */
void am_http_error_lookup(int rc, const char *op, const char *msg, int *out_status,
                          const char **out_type, const char **out_reason);
/* Copy msg to out, replacing control characters and invalid UTF-8 by ' ' / '?'. */
void am_http_clean_text(char *out, size_t out_len, const char *msg);

/* ---- JSON (json.c) ------------------------------------------------------------------ */

/* Serialization flags of every reply: compact, timestamps keep their milliseconds. */
#define AM_HTTP_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* Timestamps out: epoch seconds with a millisecond fraction, as a JSON number. */
json_t *am_http_ts(int64_t ms);
/* A JSON string of s, repairing invalid UTF-8 (never NULL unless out of memory). */
json_t *am_http_str(const char *s);
/* Serialize any JSON value compactly (free with free()). */
char *am_http_dump(const json_t *v);
/* Parse stored JSON text (any value); NULL if text is NULL or does not parse. */
json_t *am_http_load(const char *text);

/* Decoders. parent is the field path of obj ("" at top level, "payload[2]"...). Each returns
 * 0 when the member is absent (out untouched, *present false if given) or valid, and -1 after
 * filling req->verr_* otherwise. Borrowed results live as long as obj. */
int am_http_get_str(struct am_http_req *req, json_t *obj, const char *parent,
                    const char *key, bool required, const char **out);
int am_http_get_int(struct am_http_req *req, json_t *obj, const char *parent,
                    const char *key, bool required, long long min, long long max,
                    long long *out, bool *present);
int am_http_get_bool(struct am_http_req *req, json_t *obj, const char *parent,
                     const char *key, bool *out, bool *present);
int am_http_get_double(struct am_http_req *req, json_t *obj, const char *parent,
                       const char *key, bool required, double *out, bool *present);
int am_http_get_ts(struct am_http_req *req, json_t *obj, const char *parent,
                   const char *key, bool required, int64_t *out_ms);
int am_http_get_obj(struct am_http_req *req, json_t *obj, const char *parent,
                    const char *key, bool required, json_t **out);
int am_http_get_arr(struct am_http_req *req, json_t *obj, const char *parent,
                    const char *key, bool required, size_t min, size_t max, json_t **out);
/* Member that may be any JSON value (a document); required means present and not null. */
int am_http_get_any(struct am_http_req *req, json_t *obj, const char *parent,
                    const char *key, bool required, json_t **out);
/* The common paging members: maxResults (1..max) and nextToken ("" reads as absent). */
int am_http_get_paging(struct am_http_req *req, json_t *obj, int max, int *out_max,
                       const char **out_token);
/* "parent.key" / "parent[i]" into out. */
void am_http_path(char *out, size_t out_len, const char *parent, const char *key);
void am_http_path_index(char *out, size_t out_len, const char *parent, size_t i);

/* Record metadata (MemoryRecordMetadataValue unions): check a map, normalizing
 * dateTimeValue to epoch seconds; *out is a new reference or NULL when absent. */
int am_http_get_record_metadata(struct am_http_req *req, json_t *obj, const char *parent,
                                const char *key, json_t **out);

/* ---- shared encoders --------------------------------------------------------------- */

json_t *am_http_event_json(const am_event *e);
json_t *am_http_record_json(const am_record *r, bool with_score);
json_t *am_http_memory_json(const am_memory *m);

/* Record metadata filters (evaluated by the HTTP layer: the engine has none). */
struct am_http_mfilter {
    const char *key;
    const char *op;            /* EQUALS_TO, EXISTS, ... */
    json_t *value;             /* borrowed MemoryRecordMetadataValue, NULL for (NOT_)EXISTS */
};
int am_http_get_mfilters(struct am_http_req *req, json_t *obj, const char *parent,
                         const char *key, struct am_http_mfilter *out, size_t *out_n);
bool am_http_mfilters_match(const struct am_http_mfilter *f, size_t n,
                            const char *metadata_json);

/* ---- idempotent replay (idem.c) ----------------------------------------------------- */

uint64_t am_http_idem_hash(const void *p, size_t n);
/* 0: first use of key (it is now pending: call am_http_idem_finish exactly once);
 * 1: replay, *out_status and *out_text (free()) hold the first answer;
 * -1: key seen with another hash (different parameters). Waits while key is pending. */
int am_http_idem_begin(const char *key, uint64_t hash, int *out_status, char **out_text);
/* Remember the answer of a pending key; text NULL forgets the key (failed request). */
void am_http_idem_finish(const char *key, int status, const char *text);

/* ---- handlers ----------------------------------------------------------------------- */

/* memories.c: control plane */
int am_http_create_memory(struct am_http_req *req);
int am_http_get_memory(struct am_http_req *req);
int am_http_list_memories(struct am_http_req *req);
int am_http_update_memory(struct am_http_req *req);
int am_http_delete_memory(struct am_http_req *req);
/* events.c */
int am_http_create_event(struct am_http_req *req);
int am_http_get_event(struct am_http_req *req);
int am_http_list_events(struct am_http_req *req);
int am_http_delete_event(struct am_http_req *req);
/* sessions.c */
int am_http_list_sessions(struct am_http_req *req);
int am_http_list_actors(struct am_http_req *req);
/* records.c */
int am_http_retrieve_records(struct am_http_req *req);
int am_http_list_records(struct am_http_req *req);
int am_http_get_record(struct am_http_req *req);
int am_http_delete_record(struct am_http_req *req);
int am_http_batch_create_records(struct am_http_req *req);
int am_http_batch_update_records(struct am_http_req *req);
int am_http_batch_delete_records(struct am_http_req *req);
/* jobs.c */
int am_http_start_job(struct am_http_req *req);
int am_http_list_jobs(struct am_http_req *req);
/* ext.c: /_agentmem/... */
int am_http_ext_health(struct am_http_req *req);
int am_http_ext_metrics(struct am_http_req *req);
int am_http_ext_list_sessions(struct am_http_req *req);
int am_http_ext_view_session(struct am_http_req *req);
int am_http_ext_delete_session(struct am_http_req *req);
int am_http_ext_list_actors(struct am_http_req *req);
int am_http_ext_forget_actor(struct am_http_req *req);
int am_http_ext_context(struct am_http_req *req);
int am_http_ext_record_history(struct am_http_req *req);
int am_http_ext_search_events(struct am_http_req *req);

/* ---- server internals used by ext.c ----------------------------------------------- */

/* Prometheus text exposition of the server's counters, appended to b. */
int am_http_metrics_text(struct am_http_server *srv, struct am_http_buf *b);
/* Seconds since the server started. */
double am_http_uptime(const struct am_http_server *srv);

#endif
