/*
 * auth.h - SigV4 verification glue between the server and sigv4.c (written separately).
 *
 * auth.c compiles whether or not sigv4.c is part of the build: when it is not, loading keys
 * fails with a clear message and agentmemd refuses `--auth sigv4`.
 */
#ifndef AM_API_HTTP_AUTH_H
#define AM_API_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct am_http_auth;
struct am_http_req;

/* True when SigV4 verification is compiled in. */
bool am_http_auth_available(void);

/* Load the credentials file. 0, or -1 with a message in err. */
int am_http_auth_load(const char *credentials_path, struct am_http_auth **out, char *err,
                      size_t err_len);
void am_http_auth_free(struct am_http_auth *auth);

/* Verify req's signature. 0 when valid (req->access_key is then the key that signed);
 * otherwise the error reply is made and -1 returned. */
int am_http_auth_check(const struct am_http_auth *auth, struct am_http_req *req);

/* Authorize a verified, routed request whose body is parsed: the signing key's policy must
 * allow its action on its memory with its condition keys. 0 when allowed; otherwise a 403
 * AccessDeniedException reply is made and -1 returned. Keys without a policy may do all. */
int am_http_authorize(const struct am_http_auth *auth, struct am_http_req *req);

#endif
