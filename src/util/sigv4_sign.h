/*
 * sigv4_sign.h - AWS Signature Version 4, the client side: signing requests that agentmem
 * sends to AWS (Bedrock Runtime for LLM extraction and Titan embeddings, Redshift and
 * Redshift Serverless for the agent).
 *
 * The server side (checking signatures of requests agentmemd receives) is
 * src/api/http/sigv4.c; the unit tests hold the two against each other, against requests
 * signed by botocore and against the AWS test-suite vectors.
 *
 * The canonical request is built as botocore builds it for every service but S3: the path
 * as sent on the wire, with empty, "." and ".." segments removed, percent-encoded once more;
 * the query decoded and re-encoded, sorted by name then value; header names in lower case,
 * values trimmed with inner runs of blanks collapsed, repeated headers joined with ",".
 *
 * Needs libcrypto only. am_sigv4_curl_headers() is there when built with AM_HAVE_CURL.
 * Secrets are never logged or copied beyond the stack of one call.
 */
#ifndef AM_UTIL_SIGV4_SIGN_H
#define AM_UTIL_SIGV4_SIGN_H

#include <stddef.h>
#include <time.h>

struct am_aws_creds {
    const char *access_key;
    const char *secret;
    const char *token;       /* session token, or NULL */
};

/* Credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
 * 0, or -1 when the key or the secret is missing (c is then zeroed). The strings are
 * the environment's: valid until the environment changes. */
int am_aws_creds_from_env(struct am_aws_creds *c);

/* The region from AWS_REGION, else AWS_DEFAULT_REGION, else fallback. */
const char *am_aws_region_from_env(const char *fallback);

struct am_sigv4_hdr {
    const char *name;
    const char *value;
};

struct am_sigv4_sign_req {
    const char *method;                 /* "POST" */
    const char *path;                   /* as sent: percent-encoded, without the query */
    const char *query;                  /* as sent, without '?', or NULL */
    const struct am_sigv4_hdr *headers; /* every header to sign, host and x-amz-date included */
    size_t n_headers;
    const void *body;
    size_t body_len;
    const char *region, *service;
    const char *amz_date;               /* "YYYYMMDDTHHMMSSZ", the X-Amz-Date value */
};

/*
 * Computes the Authorization header value ("AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
 * Signature=…") into auth[cap].
 * @return 0; -1 when an argument is missing or malformed (no amz_date, a header without a
 *         name), the result does not fit in cap, or memory runs out.
 */
int am_sigv4_sign(const struct am_sigv4_sign_req *r, const struct am_aws_creds *c, char *auth,
                  size_t cap);

/*
 * The signature of a string to sign: HMAC-SHA256 chained over "AWS4" + secret, the four
 * elements of scope ("date/region/service/aws4_request") and sts; 64 lower-case hex digits
 * and a NUL into out. The one implementation of the chain, for the signer and for
 * agentmemd's verifier. Returns 0, or -1 (a scope without '/', no memory). Keys are wiped.
 */
int am_sigv4_signature(const char *secret, const char *scope, const char *sts, size_t sts_len,
                       char out[65]);

/* X-Amz-Date for a time: "YYYYMMDDTHHMMSSZ" (UTC). */
void am_sigv4_amz_date(time_t t, char out[17]);

#ifdef AM_HAVE_CURL
#include <curl/curl.h>
/*
 * Signs a request libcurl is about to send and returns h with X-Amz-Date,
 * X-Amz-Security-Token (when c has a token) and Authorization appended. Signed headers:
 * host (from url), content-type and x-amz-target when given, x-amz-date and the token.
 * On failure h is returned unchanged and the request will be refused by AWS, which is
 * reported there. url is "scheme://host[:port]/path[?query]".
 */
struct curl_slist *am_sigv4_curl_headers(struct curl_slist *h, const char *method,
                                         const char *url, const void *body, size_t body_len,
                                         const char *content_type, const char *target,
                                         const char *region, const char *service,
                                         const struct am_aws_creds *c);
#endif

#endif
