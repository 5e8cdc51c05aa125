/*
 * policy.h - IAM-style policy documents for agentmemd's access keys.
 *
 * A key's policy says which operations it may call, on which memories, for which actors,
 * sessions, namespaces and strategies. The documents are IAM's JSON:
 *
 *   {"Version": "2012-10-17",
 *    "Statement": [{"Sid": "...", "Effect": "Allow" | "Deny",
 *                   "Action" | "NotAction": "bedrock-agentcore:CreateEvent" | [...],
 *                   "Resource" | "NotResource": "arn:aws:bedrock-agentcore:...:memory/ID" | [...],
 *                   "Condition": {"StringLike": {"bedrock-agentcore:actorId": "user-*"}}}]}
 *
 * Evaluation is IAM's: an explicit Deny wins; otherwise any Allow allows; otherwise the
 * request is denied. Action and resource patterns take '*' and '?' (actions match without
 * regard to case). Condition operators: StringEquals, StringNotEquals,
 * StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike, StringNotLike, each also
 * with the IfExists suffix and the ForAnyValue: / ForAllValues: prefixes, and Null. Within
 * one operator the keys are ANDed and a key's values ORed; operators are ANDed.
 *
 * Context keys may be absent or carry several values (BatchCreateMemoryRecords names one
 * namespace per record). An absent key fails a positive operator (true with IfExists) and
 * passes a negated one, as in IAM. A key with several values must match with every value
 * (ForAnyValue: with at least one; ForAllValues: with every one, and an empty set passes).
 * Policy variables ${aws:username} (the key's profile name) and ${bedrock-agentcore:...}
 * context keys are substituted in condition values and resources.
 *
 * Pure: no I/O but the file read in am_policy_load, no globals; a parsed policy is read only
 * and may serve many threads.
 */
#ifndef AM_API_HTTP_POLICY_H
#define AM_API_HTTP_POLICY_H

#include <stddef.h>

struct am_policy;

/* Parse a policy document. 0, or -1 with the problem (naming the statement) in err. */
int am_policy_parse(const char *json_text, struct am_policy **out, char *err, size_t err_len);
/* Read and parse a policy file; err names the file. */
int am_policy_load(const char *path, struct am_policy **out, char *err, size_t err_len);
void am_policy_free(struct am_policy *p);

/* One context key and its values (n_values 0: present with no value, e.g. an empty list). */
struct am_policy_key {
    const char *name;          /* e.g. "bedrock-agentcore:actorId" */
    const char *const *values;
    size_t n_values;
};

struct am_policy_request {
    const char *action;        /* "bedrock-agentcore:CreateEvent" */
    const char *resource;      /* the memory's ARN, or "*" for operations on no memory */
    const struct am_policy_key *keys;
    size_t n_keys;
    const char *username;      /* for ${aws:username}; may be NULL */
};

enum { AM_POLICY_IMPLICIT_DENY = 0, AM_POLICY_ALLOW, AM_POLICY_EXPLICIT_DENY };

/* Evaluate; returns one of the AM_POLICY_* values. A NULL policy allows everything. */
int am_policy_eval(const struct am_policy *p, const struct am_policy_request *r);

#endif
