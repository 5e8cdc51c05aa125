/*
 * errors.c - the one table from result codes to HTTP errors, and the error replies.
 *
 * restJson1 clients find the error type in the x-amzn-ErrorType header, or else in the
 * body's __type; we send both, plus "message" (and for ValidationException "reason" and,
 * when one field is at fault, "fieldList": [{name, message}]). The status of each AgentCore
 * error name is fixed by the service model (ServiceQuotaExceededException is 402, not 429).
 * Handlers never build error JSON themselves; they end with am_http_reply_error().
 */
#include "api/http/http.h"

#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct http_error {
    int rc;
    const char *op;            /* NULL: every operation */
    const char *contains;      /* NULL: every message */
    int status;
    const char *type;
    const char *reason;        /* ValidationException reason */
} http_errors[] = {
    /* A taken memory name: AgentCore answers ValidationException "... already exists" and the
     * Python SDK's create_or_get_memory relies on that text. */
    {AM_ECONFLICT, "CreateMemory", "already exists", 400, "ValidationException", "ResourceConflict"},
    {AM_EINVAL, NULL, NULL, 400, "ValidationException", "FieldValidationFailed"},
    {AM_ENOTFOUND, NULL, NULL, 404, "ResourceNotFoundException", NULL},
    {AM_ECONFLICT, NULL, NULL, 409, "ConflictException", NULL},
    {AM_EQUOTA, NULL, NULL, 402, "ServiceQuotaExceededException", NULL},
    {AM_EBUSY, NULL, NULL, 429, "ThrottledException", NULL},
    {AM_EUNAVAIL, NULL, NULL, 503, "ServiceException", NULL},
    {AM_ENOMEM, NULL, NULL, 500, "ServiceException", NULL},
    {AM_EIO, NULL, NULL, 500, "ServiceException", NULL},
    {AM_EINTERNAL, NULL, NULL, 500, "ServiceException", NULL},
    /* the HTTP layer's own */
    {AM_HTTP_ECANNOTPARSE, NULL, NULL, 400, "ValidationException", "CannotParse"},
    {AM_HTTP_EUNKNOWNOP, NULL, NULL, 404, "UnknownOperationException", NULL},
    {AM_HTTP_EMETHOD, NULL, NULL, 405, "UnknownOperationException", NULL},
    {AM_HTTP_ETOOLARGE, NULL, NULL, 413, "ValidationException", "FieldValidationFailed"},
    {AM_HTTP_EUNAVAIL, NULL, NULL, 503, "ServiceUnavailableException", NULL},
    /* anything else */
    {-1, NULL, NULL, 500, "ServiceException", NULL},
};

void am_http_error_lookup(int rc, const char *op, const char *msg, int *out_status,
                          const char **out_type, const char **out_reason)
{
    const struct http_error *e = http_errors;

    for (; e->rc != -1; e++) {
        if (e->rc != rc)
            continue;
        if (e->op && (!op || strcmp(e->op, op) != 0))
            continue;
        if (e->contains && (!msg || !strstr(msg, e->contains)))
            continue;
        break;
    }
    *out_status = e->status;
    *out_type = e->type;
    *out_reason = e->reason;
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_seq(const unsigned char *s)
{
    size_t n;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0) {
        n = 2;
        cp = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3;
        cp = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void am_http_clean_text(char *out, size_t out_len, const char *msg)
{
    const unsigned char *s = (const unsigned char *)(msg ? msg : "");
    size_t o = 0;

    if (!out_len)
        return;
    while (*s) {
        size_t n = utf8_seq(s);

        if (n == 0) {
            if (o + 1 >= out_len)
                break;
            out[o++] = '?';
            s++;
        } else if (n == 1) {
            if (o + 1 >= out_len)
                break;
            out[o++] = (*s < 0x20 || *s == 0x7f) ? ' ' : (char)*s;
            s++;
        } else {
            if (o + n >= out_len)
                break;
            memcpy(out + o, s, n);
            o += n;
            s += n;
        }
    }
    out[o] = '\0';
}

static const char *default_message(int rc)
{
    switch (rc) {
    case AM_HTTP_ECANNOTPARSE:
        return "Could not parse the request";
    case AM_HTTP_EUNKNOWNOP:
        return "Unknown operation";
    case AM_HTTP_EMETHOD:
        return "Method not allowed for this path";
    case AM_HTTP_ETOOLARGE:
        return "Request body is larger than the server's limit (--max-body)";
    case AM_HTTP_EUNAVAIL:
        return "Service unavailable";
    default:
        return am_strerror(rc);
    }
}

/* Build and send an error body. field may be NULL. */
static int send_error(struct am_http_req *req, int status, const char *type,
                      const char *reason, const char *msg, const char *field)
{
    json_t *body = json_object();
    int rc;

    if (!body)
        goto oom;
    if (json_object_set_new(body, "__type", json_string(type)) ||
        json_object_set_new(body, "message", json_string(msg)))
        goto oom;
    if (reason && json_object_set_new(body, "reason", json_string(reason)))
        goto oom;
    if (reason && field && field[0]) {
        json_t *item = json_pack("{s:s,s:s}", "name", field, "message", msg);

        if (!item || json_object_set_new(body, "fieldList", json_pack("[o]", item)))
            goto oom;
    }
    snprintf(req->err_type, sizeof req->err_type, "%s", type);
    if (status >= 500)
        am_log(AM_LOG_ERROR, "http", "%s %s: %s req=%s", req->op, type, msg, req->id);
    else
        am_log(AM_LOG_DEBUG, "http", "%s %s: %s req=%s", req->op, type, msg, req->id);
    rc = am_http_reply_json(req, status, body);
    return rc;
oom:
    json_decref(body);
    snprintf(req->err_type, sizeof req->err_type, "ServiceException");
    am_http_reply_text(req, 500, "application/json", NULL, 0);
    return -1;
}

int am_http_reply_error(struct am_http_req *req, int rc, const char *msg)
{
    char clean[1024], field[160];
    const char *type, *reason;
    int status;

    /* Copy first: msg is often am_errmsg(), valid only until the next engine call. */
    am_http_clean_text(clean, sizeof clean, msg && *msg ? msg : default_message(rc));
    field[0] = '\0';
    if (rc == AM_EINVAL && req->db)
        am_http_clean_text(field, sizeof field, am_errfield(req->db));
    am_http_error_lookup(rc, req->op, clean, &status, &type, &reason);
    return send_error(req, status, type, reason, clean, field);
}

int am_http_reply_error_as(struct am_http_req *req, int status, const char *type,
                           const char *msg)
{
    char clean[1024];

    am_http_clean_text(clean, sizeof clean, msg && *msg ? msg : type);
    return send_error(req, status, type, NULL, clean, NULL);
}

int am_http_verr(struct am_http_req *req, const char *reason, const char *field,
                 const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(req->verr_msg, sizeof req->verr_msg, fmt, ap);
    va_end(ap);
    snprintf(req->verr_field, sizeof req->verr_field, "%s", field ? field : "");
    req->verr_reason = reason;
    return -1;
}

int am_http_reply_verr(struct am_http_req *req)
{
    char clean[1024], field[160];

    am_http_clean_text(clean, sizeof clean,
                       req->verr_msg[0] ? req->verr_msg : "Invalid request");
    am_http_clean_text(field, sizeof field, req->verr_field);
    return send_error(req, 400, "ValidationException",
                      req->verr_reason ? req->verr_reason : "FieldValidationFailed", clean,
                      field);
}
