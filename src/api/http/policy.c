/*
 * policy.c - IAM-style policy documents: parsing and evaluation (see policy.h).
 */
#include "api/http/policy.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define POLICY_MAX_BYTES (64 * 1024)

enum set_mode { SET_NONE, SET_ANY, SET_ALL };

struct cond {
    bool null_op;              /* Null */
    bool negated, like, ignore_case, if_exists;
    int set;                   /* enum set_mode */
    char *key;
    char **vals;
    size_t n_vals;
};

struct stmt {
    bool deny;
    bool not_action, not_resource;
    char **actions, **resources;
    size_t n_actions, n_resources;
    struct cond *conds;
    size_t n_conds;
};

struct am_policy {
    struct stmt *s;
    size_t n;
};

/* ---- parsing ---- */

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* A string or a non-empty array of strings into *out. */
static int strings(json_t *j, char ***out, size_t *n)
{
    size_t cnt = json_is_string(j) ? 1 : json_is_array(j) ? json_array_size(j) : 0;
    *out = NULL;
    *n = 0;
    if (cnt == 0)
        return -1;
    char **v = calloc(cnt, sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < cnt; i++) {
        json_t *e = json_is_string(j) ? j : json_array_get(j, i);
        const char *s = json_string_value(e);
        if (!s || !(v[i] = strdup(s))) {
            free_strs(v, i);
            return -1;
        }
    }
    *out = v;
    *n = cnt;
    return 0;
}

static void stmt_free(struct stmt *s)
{
    free_strs(s->actions, s->n_actions);
    free_strs(s->resources, s->n_resources);
    for (size_t i = 0; i < s->n_conds; i++) {
        free(s->conds[i].key);
        free_strs(s->conds[i].vals, s->conds[i].n_vals);
    }
    free(s->conds);
}

void am_policy_free(struct am_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        stmt_free(&p->s[i]);
    free(p->s);
    free(p);
}

/* "ForAnyValue:StringLikeIfExists" -> flags; false for an unknown operator. */
static bool parse_op(const char *op, struct cond *c)
{
    static const struct {
        const char *name;
        bool negated, like, ignore_case;
    } ops[] = {
        {"StringEquals", false, false, false},
        {"StringNotEquals", true, false, false},
        {"StringEqualsIgnoreCase", false, false, true},
        {"StringNotEqualsIgnoreCase", true, false, true},
        {"StringLike", false, true, false},
        {"StringNotLike", true, true, false},
    };
    if (strncmp(op, "ForAnyValue:", 12) == 0) {
        c->set = SET_ANY;
        op += 12;
    } else if (strncmp(op, "ForAllValues:", 13) == 0) {
        c->set = SET_ALL;
        op += 13;
    }
    if (strcmp(op, "Null") == 0 && c->set == SET_NONE) {
        c->null_op = true;
        return true;
    }
    size_t n = strlen(op);
    if (n > 8 && strcmp(op + n - 8, "IfExists") == 0) {
        c->if_exists = true;
        n -= 8;
    }
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strlen(ops[i].name) == n && strncmp(op, ops[i].name, n) == 0) {
            c->negated = ops[i].negated;
            c->like = ops[i].like;
            c->ignore_case = ops[i].ignore_case;
            return true;
        }
    return false;
}

static int parse_conditions(json_t *j, struct stmt *s, size_t si, char *err, size_t len)
{
    const char *op, *key;
    json_t *keys, *vals;
    size_t total = 0;
    if (!json_is_object(j))
        return fail(err, len, "statement %zu: Condition must be an object", si);
    json_object_foreach(j, op, keys) {
        if (!json_is_object(keys))
            return fail(err, len, "statement %zu: Condition %s must map keys to values", si, op);
        total += json_object_size(keys);
    }
    s->conds = calloc(total ? total : 1, sizeof *s->conds);
    if (!s->conds)
        return fail(err, len, "out of memory");
    json_object_foreach(j, op, keys) {
        json_object_foreach(keys, key, vals) {
            struct cond *c = &s->conds[s->n_conds];
            if (!parse_op(op, c))
                return fail(err, len, "statement %zu: unsupported condition operator %s "
                                      "(StringEquals, StringNotEquals, StringEqualsIgnoreCase, "
                                      "StringNotEqualsIgnoreCase, StringLike, StringNotLike, "
                                      "Null, with IfExists / ForAnyValue: / ForAllValues:)",
                            si, op);
            c->key = strdup(key);
            s->n_conds++;
            if (!c->key || strings(vals, &c->vals, &c->n_vals))
                return fail(err, len, "statement %zu: %s %s needs a string or a list of "
                                      "strings", si, op, key);
            if (c->null_op)
                for (size_t i = 0; i < c->n_vals; i++)
                    if (strcmp(c->vals[i], "true") && strcmp(c->vals[i], "false"))
                        return fail(err, len, "statement %zu: Null %s takes \"true\" or "
                                              "\"false\"", si, key);
        }
    }
    return 0;
}

static int parse_statement(json_t *j, struct stmt *s, size_t si, char *err, size_t len)
{
    static const char *const known[] = {"Sid", "Effect", "Action", "NotAction", "Resource",
                                        "NotResource", "Condition"};
    const char *k;
    json_t *v;
    if (!json_is_object(j))
        return fail(err, len, "statement %zu is not an object", si);
    json_object_foreach(j, k, v) {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            ok |= strcmp(k, known[i]) == 0;
        if (!ok)
            return fail(err, len, "statement %zu: unsupported element %s (Principal belongs "
                                  "to resource policies; agentmemd attaches policies to keys)",
                        si, k);
    }
    const char *effect = json_string_value(json_object_get(j, "Effect"));
    if (!effect || (strcmp(effect, "Allow") && strcmp(effect, "Deny")))
        return fail(err, len, "statement %zu: Effect must be \"Allow\" or \"Deny\"", si);
    s->deny = strcmp(effect, "Deny") == 0;
    json_t *a = json_object_get(j, "Action"), *na = json_object_get(j, "NotAction");
    if (!a == !na)
        return fail(err, len, "statement %zu needs exactly one of Action and NotAction", si);
    s->not_action = na != NULL;
    if (strings(a ? a : na, &s->actions, &s->n_actions))
        return fail(err, len, "statement %zu: %s must be a string or a list of strings", si,
                    a ? "Action" : "NotAction");
    json_t *r = json_object_get(j, "Resource"), *nr = json_object_get(j, "NotResource");
    if (!r == !nr)
        return fail(err, len, "statement %zu needs exactly one of Resource and NotResource",
                    si);
    s->not_resource = nr != NULL;
    if (strings(r ? r : nr, &s->resources, &s->n_resources))
        return fail(err, len, "statement %zu: %s must be a string or a list of strings", si,
                    r ? "Resource" : "NotResource");
    json_t *c = json_object_get(j, "Condition");
    return c ? parse_conditions(c, s, si, err, len) : 0;
}

int am_policy_parse(const char *text, struct am_policy **out, char *err, size_t len)
{
    json_error_t je;
    *out = NULL;
    if (!text || strlen(text) > POLICY_MAX_BYTES)
        return fail(err, len, "a policy must be at most %d bytes", POLICY_MAX_BYTES);
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return doc ? fail(err, len, "a policy must be a JSON object")
                   : fail(err, len, "line %d: %s", je.line, je.text);
    }
    const char *version = json_string_value(json_object_get(doc, "Version"));
    json_t *st = json_object_get(doc, "Statement");
    size_t n = json_is_array(st) ? json_array_size(st) : json_is_object(st) ? 1 : 0;
    struct am_policy *p = calloc(1, sizeof *p);
    int rc = 0;
    if (!p) {
        rc = fail(err, len, "out of memory");
    } else if (!version || strcmp(version, "2012-10-17") != 0) {
        rc = fail(err, len, "Version must be \"2012-10-17\"");
    } else if (n == 0) {
        rc = fail(err, len, "Statement must be a statement or a non-empty list of them");
    } else if (!(p->s = calloc(n, sizeof *p->s))) {
        rc = fail(err, len, "out of memory");
    } else {
        for (size_t i = 0; i < n && rc == 0; i++) {
            rc = parse_statement(json_is_array(st) ? json_array_get(st, i) : st, &p->s[i], i,
                                 err, len);
            p->n = i + 1;
        }
    }
    json_decref(doc);
    if (rc) {
        am_policy_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

int am_policy_load(const char *path, struct am_policy **out, char *err, size_t len)
{
    char msg[400];
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return fail(err, len, "%s: cannot read the policy file", path);
    char *buf = malloc(POLICY_MAX_BYTES + 2);
    size_t n = buf ? fread(buf, 1, POLICY_MAX_BYTES + 1, f) : 0;
    fclose(f);
    if (!buf)
        return fail(err, len, "%s: out of memory", path);
    buf[n] = '\0';
    int rc = n > POLICY_MAX_BYTES ? fail(msg, sizeof msg, "larger than %d bytes",
                                         POLICY_MAX_BYTES)
                                  : am_policy_parse(buf, out, msg, sizeof msg);
    free(buf);
    return rc ? fail(err, len, "%s: %s", path, msg) : 0;
}

/* ---- evaluation ---- */

static int fold(int c, bool ic)
{
    return ic && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* '*' any run (also empty), '?' one byte; iterative with one backtrack point. */
static bool glob(const char *pat, const char *s, bool ic)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*pat == '*') {
            star = pat++;
            resume = s;
        } else if (*pat == '?' || (*pat && fold((unsigned char)*pat, ic) ==
                                               fold((unsigned char)*s, ic))) {
            pat++;
            s++;
        } else if (star) {
            pat = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == '\0';
}

static const struct am_policy_key *find_key(const struct am_policy_request *r, const char *name)
{
    for (size_t i = 0; i < r->n_keys; i++)
        if (strcasecmp(r->keys[i].name, name) == 0)
            return &r->keys[i];
    return NULL;
}

/* Substitute ${aws:username} and ${<context key>}; NULL when a variable has no value. */
static char *expand(const char *v, const struct am_policy_request *r)
{
    if (!strstr(v, "${"))
        return strdup(v);
    size_t cap = strlen(v) + 1, len = 0;
    char *out = malloc(cap);
    while (out && *v) {
        const char *add = v, *end;
        size_t n = 1;
        if (v[0] == '$' && v[1] == '{' && (end = strchr(v, '}'))) {
            char name[128];
            size_t nl = (size_t)(end - v - 2);
            if (nl >= sizeof name) {
                free(out);
                return NULL;
            }
            memcpy(name, v + 2, nl);
            name[nl] = '\0';
            const struct am_policy_key *k = NULL;
            if (strcmp(name, "aws:username") == 0)
                add = r->username;
            else if ((k = find_key(r, name)) && k->n_values == 1)
                add = k->values[0];
            else
                add = NULL;
            if (!add) {
                free(out);
                return NULL;
            }
            n = strlen(add);
            v = end + 1;
        } else {
            v++;
        }
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *p = realloc(out, cap);
            if (!p) {
                free(out);
                return NULL;
            }
            out = p;
        }
        memcpy(out + len, add, n);
        len += n;
    }
    if (out)
        out[len] = '\0';
    return out;
}

/* Whether one context value satisfies the condition's list (before negation). */
static bool value_matches(const struct cond *c, const char *ctx, const struct am_policy_request *r)
{
    for (size_t i = 0; i < c->n_vals; i++) {
        char *pv = expand(c->vals[i], r);
        bool m = false;
        if (pv)
            m = c->like ? glob(pv, ctx, c->ignore_case)
                        : (c->ignore_case ? strcasecmp(pv, ctx) : strcmp(pv, ctx)) == 0;
        free(pv);
        if (m)
            return true;
    }
    return false;
}

static bool cond_holds(const struct cond *c, const struct am_policy_request *r)
{
    const struct am_policy_key *k = find_key(r, c->key);
    if (c->null_op) {
        bool absent = k == NULL;
        for (size_t i = 0; i < c->n_vals; i++)
            if ((strcmp(c->vals[i], "true") == 0) == absent)
                return true;
        return false;
    }
    if (!k)
        return c->set == SET_ALL || c->if_exists || (c->set == SET_NONE && c->negated);
    if (k->n_values == 0)
        return c->set != SET_ANY && (c->set == SET_ALL || c->negated);
    size_t ok = 0;
    for (size_t i = 0; i < k->n_values; i++)
        ok += value_matches(c, k->values[i], r) != c->negated;
    return c->set == SET_ANY ? ok > 0 : ok == k->n_values;
}

static bool any_matches(char **pats, size_t n, const char *s, bool ic,
                        const struct am_policy_request *r)
{
    for (size_t i = 0; i < n; i++) {
        char *p = expand(pats[i], r);
        bool m = p && glob(p, s, ic);
        free(p);
        if (m)
            return true;
    }
    return false;
}

int am_policy_eval(const struct am_policy *p, const struct am_policy_request *r)
{
    int verdict = AM_POLICY_IMPLICIT_DENY;
    if (!p)
        return AM_POLICY_ALLOW;
    for (size_t i = 0; i < p->n; i++) {
        const struct stmt *s = &p->s[i];
        if (any_matches(s->actions, s->n_actions, r->action, true, r) == s->not_action)
            continue;
        if (any_matches(s->resources, s->n_resources, r->resource, false, r) ==
            s->not_resource)
            continue;
        bool all = true;
        for (size_t c = 0; c < s->n_conds && all; c++)
            all = cond_holds(&s->conds[c], r);
        if (!all)
            continue;
        if (s->deny)
            return AM_POLICY_EXPLICIT_DENY;
        verdict = AM_POLICY_ALLOW;
    }
    return verdict;
}
