/*
 * fuzz_policy.c - IAM-style policy documents (src/api/http/policy.c): any text is parsed
 * and, when it parses, evaluated against a few requests; a verdict is one of three values.
 */
#include "fuzz.h"

#include "api/http/policy.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    struct am_policy *p = NULL;
    char err[256];
    if (am_policy_parse(text, &p, err, sizeof err) == 0) {
        static const char *const actor[] = {"user-1"};
        static const char *const ns[] = {"/actors/user-1/", "/actors/*/x?", ""};
        struct am_policy_key keys[] = {{"bedrock-agentcore:actorId", actor, 1},
                                       {"bedrock-agentcore:namespace", ns, 3},
                                       {"bedrock-agentcore:sessionId", NULL, 0}};
        static const char *const actions[] = {"bedrock-agentcore:CreateEvent", "x", ""};
        for (size_t i = 0; i < 3; i++) {
            struct am_policy_request r = {actions[i],
                                          i ? "*" : "arn:aws:bedrock-agentcore:us-east-1:"
                                                    "123456789012:memory/M-abcdefghij",
                                          keys, i == 2 ? 0 : 3, i == 1 ? NULL : "fuzz"};
            int v = am_policy_eval(p, &r);
            if (v != AM_POLICY_ALLOW && v != AM_POLICY_IMPLICIT_DENY &&
                v != AM_POLICY_EXPLICIT_DENY)
                abort();
        }
        am_policy_free(p);
    } else if (p || !err[0]) {
        abort();                          /* a refusal says why and returns nothing */
    }
    free(text);
    return 0;
}
