/*
 * sigv4.h - AWS Signature Version 4 verification for `agentmemd --auth sigv4`.
 *
 * agentmemd speaks the AgentCore Memory wire protocol, so the official SDKs sign every request
 * with SigV4 (service `bedrock-agentcore` for both the data and the control plane). This module
 * checks such a signature against a file of access keys. It does not look at the body beyond
 * hashing it and never talks to the network; it links against OpenSSL's libcrypto only.
 *
 * Credentials file
 * ----------------
 * The format of ~/.aws/credentials, so an existing file can be reused as is:
 *
 *     # comment (also ';')
 *     [alice]
 *     aws_access_key_id     = AKIAEXAMPLEALICE
 *     aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
 *     [ci]
 *     aws_access_key_id     = AKIAEXAMPLECI
 *     aws_secret_access_key = ...
 *     aws_session_token     = ...      (optional; see below)
 *     region                = us-east-2  (any other key is ignored)
 *     policy                = agent-policy.json  (agentmemd: the key's IAM-style policy,
 *                                                 relative to this file; see policy.h)
 *
 * - Each `[section]` that has both aws_access_key_id and aws_secret_access_key adds one key;
 *   the section name is only a label. A section with exactly one of the two is an error, a
 *   section with neither (e.g. only `region`) is skipped. Key names are case-insensitive,
 *   blanks around `=` and at the ends of a line are ignored, there are no inline comments, and
 *   indented continuation lines are skipped. `[profile x]` headers (~/.aws/config) also work.
 * - The same access key id twice with different secrets is an error.
 * - aws_session_token (or the legacy aws_security_token): when set, requests with this key must
 *   carry exactly that X-Amz-Security-Token; when not set, a request that carries a token is
 *   rejected. This lets a profile of temporary credentials be used unchanged.
 * - Keep the file mode 0600: it holds secrets. Secrets never appear in any message of this
 *   module and are wiped from memory by am_sigv4_keys_free().
 *
 * What is verified
 * ----------------
 * Authorization-header requests (what boto3 and the JS SDK send) and presigned URLs
 * (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and
 * X-Amz-Signature in the query). The canonical request is rebuilt the way the SDKs build it
 * for a non-S3 service: the raw path with empty, "." and ".." segments removed and then
 * percent-encoded once more (so `%2F` becomes `%252F`); each query key and value decoded and
 * re-encoded per RFC 3986 (space as %20, `+` is a literal plus) and sorted by key then value;
 * the headers named in SignedHeaders, matched case-insensitively, repeated ones joined with
 * ',', values trimmed with inner runs of blanks collapsed. The payload hash is always the
 * SHA-256 of the body received (an x-amz-content-sha256 header, which the JS SDK signs, must
 * therefore be the true hash; UNSIGNED-PAYLOAD is not accepted). The date is X-Amz-Date, or
 * the Date header when X-Amz-Date is absent (botocore signs Date when a request has one), and
 * must lie within 15 minutes of now; a presigned URL is also refused after X-Amz-Expires.
 * The credential scope must name the day of that date, the expected service and
 * `aws4_request`; any region is accepted. `host` must be a signed header. Signatures are
 * compared in constant time.
 */
#ifndef AM_API_HTTP_SIGV4_H
#define AM_API_HTTP_SIGV4_H

#include <stddef.h>
#include <stdint.h>

/* The service name in the credential scope that am_sigv4_verify() expects. */
#define AM_SIGV4_SERVICE "bedrock-agentcore"

/* One request header as received (value untrimmed); a repeated header appears once per line. */
struct am_sigv4_header {
    const char *name;
    const char *value;
};

/* The request as received, nothing decoded. Read only, not kept after the call. */
struct am_sigv4_request {
    const char *method;                     /* "GET", "POST", ... as on the request line */
    const char *raw_path;                   /* as on the request line, before '?' */
    const char *raw_query;                  /* without '?', NULL if none */
    const struct am_sigv4_header *headers;  /* every header, repeats included, in order */
    size_t n_headers;
    const unsigned char *body;              /* may be NULL when body_len is 0 */
    size_t body_len;
};

struct am_sigv4_keys;

/**
 * Load a credentials file (format above).
 * @param path     the file; read once, not kept.
 * @param out      on success the key set, freed with am_sigv4_keys_free(); NULL on failure.
 * @param err      on failure a one-line reason with the line number (never a secret).
 * @return 0 on success, -1 on failure (unreadable file, syntax error, no key at all).
 */
int am_sigv4_keys_load(const char *path, struct am_sigv4_keys **out, char *err, size_t err_len);

/* Wipe the secrets and free the key set. NULL is fine. */
void am_sigv4_keys_free(struct am_sigv4_keys *keys);

/* The keys of a set, for attaching what else their profiles say (no secrets given out). */
struct am_sigv4_key_info {
    const char *access_key;
    const char *profile;       /* the [section] name */
    const char *policy;        /* the profile's `policy = FILE` as written, or NULL */
};
size_t am_sigv4_keys_count(const struct am_sigv4_keys *keys);
/* 0, or -1 when i is out of range. The strings live as long as keys. */
int am_sigv4_key_info(const struct am_sigv4_keys *keys, size_t i, struct am_sigv4_key_info *out);

/**
 * Verify the SigV4 signature of a request for service AM_SIGV4_SERVICE.
 * @param keys            from am_sigv4_keys_load(); only read, so one set can serve threads.
 * @param req             the request as received.
 * @param now_ms          the current time, Unix epoch milliseconds.
 * @param out_type        error name for x-amzn-errortype, a static string; NULL on success.
 * @param out_status      403 or 400 (500 if out of memory); 0 on success.
 * @param msg             AWS's error message for that case (may quote request values, so it
 *                        must be JSON-escaped; it never contains a secret); "" on success.
 *                        The signature mismatch message includes the canonical request and
 *                        string to sign, as AWS's does, and is truncated to msg_len.
 * @param out_access_key  on success the access key id that signed, owned by keys (valid until
 *                        am_sigv4_keys_free); NULL on failure.
 * Every out parameter may be NULL.
 * @return 0 when the signature is valid, else -1. Errors, as AWS names them:
 *   403 MissingAuthenticationTokenException  no Authorization header and no presigned query
 *   400 IncompleteSignatureException          malformed Authorization header or query
 *                                             parameters, bad date format, host not signed
 *   403 UnrecognizedClientException           unknown access key or wrong session token
 *   403 InvalidSignatureException             signature mismatch, date outside +-15 min,
 *                                             credential scope with the wrong day, service
 *                                             or terminator
 *   403 AccessDeniedException                 presigned URL past X-Amz-Expires
 */
int am_sigv4_verify(const struct am_sigv4_keys *keys, const struct am_sigv4_request *req,
                    int64_t now_ms, const char **out_type, int *out_status, char *msg,
                    size_t msg_len, const char **out_access_key);

/* am_sigv4_verify() with another expected service name, for the AWS test-suite vectors
 * (service "service"). */
int am_sigv4_verify_service(const struct am_sigv4_keys *keys, const struct am_sigv4_request *req,
                            const char *service, int64_t now_ms, const char **out_type,
                            int *out_status, char *msg, size_t msg_len,
                            const char **out_access_key);

#endif
