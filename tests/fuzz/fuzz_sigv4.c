/*
 * fuzz_sigv4.c - the SigV4 verifier (src/api/http/sigv4.c) on hostile Authorization
 * headers, X-Amz-Date values, presigned queries and paths, and the signer
 * (src/util/sigv4_sign.c) on the same inputs.
 *
 * Input lines: Authorization value, X-Amz-Date value, raw query, raw path; the rest is the
 * body. A verification must never succeed (the input cannot know the secret) and must
 * answer one of AWS's error names with 400 or 403.
 */
#include "fuzz.h"

#include "api/http/sigv4.h"
#include "util/sigv4_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct am_sigv4_keys *keys;

static void init(void)
{
    char path[64], err[256];
    snprintf(path, sizeof path, "/tmp/am-fuzz-sigv4-%ld", (long)getpid());
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs("[fuzz]\naws_access_key_id = AKIDEXAMPLE\n"
          "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n", f);
    fclose(f);
    if (am_sigv4_keys_load(path, &keys, err, sizeof err) != 0)
        abort();
    unlink(path);
}

/* The next line of [*p, end) as a fresh string; *p moves past it. */
static char *next_line(const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, *p, n);
    s[n] = '\0';
    *p = nl ? nl + 1 : end;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!keys)
        init();
    const char *p = (const char *)data, *end = p + size;
    char *auth = next_line(&p, end), *date = next_line(&p, end);
    char *query = next_line(&p, end), *path = next_line(&p, end);
    struct am_sigv4_header h[] = {{"Host", "127.0.0.1:8080"}, {"X-Amz-Date", date},
                                  {"Authorization", auth}, {"Content-Type", "application/json"}};
    struct am_sigv4_request r = {"POST", *path ? path : "/", *query ? query : NULL, h,
                                 *auth ? 4 : 2, (const unsigned char *)p, (size_t)(end - p)};
    const char *type = NULL, *who = NULL;
    int status = 0;
    char msg[2048];
    if (am_sigv4_verify(keys, &r, INT64_C(1795529700000), &type, &status, msg, sizeof msg,
                        &who) == 0)
        abort();                          /* a signature the input could not have made */
    if (!type || (status != 400 && status != 403 && status != 500))
        abort();
    /* the signer on the same hostile parts */
    struct am_aws_creds c = {"AKIDEXAMPLE", "secret", NULL};
    struct am_sigv4_hdr sh[] = {{"host", "h"}, {"x-amz-date", date}, {"x-fuzz", auth}};
    struct am_sigv4_sign_req sr = {.method = "POST", .path = path, .query = query,
                                   .headers = sh, .n_headers = 3, .body = p,
                                   .body_len = (size_t)(end - p), .region = "us-east-1",
                                   .service = "bedrock-agentcore", .amz_date = date};
    char out[1024];
    am_sigv4_sign(&sr, &c, out, sizeof out);
    free(auth);
    free(date);
    free(query);
    free(path);
    return 0;
}
