/*
 * consolidate.c - the consolidation decision: add, skip (near-duplicate) or supersede.
 *
 * AgentCore asks an LLM whether a candidate adds, updates or duplicates the most similar
 * records of its namespace. Offline we decide with two signals:
 *   - the subject key the extractor derived ("prod-cluster node count"): the same key with
 *     a different statement means the value changed, so the new record supersedes;
 *   - token-set similarity over normalised content tokens (lower case, stop words removed,
 *     light stemming). High Jaccard or containment is a duplicate, unless the "value"
 *     tokens (numbers, identifiers) or the polarity (negations) differ: then the same
 *     statement changed, and it supersedes. A candidate that contains an existing record
 *     and says more replaces it (a merge).
 * Thresholds are in extract.h with the measurement that chose them.
 */
#include "extract/text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* For preference JSON, the "preference" member; otherwise the whole text. */
static void comparable(const char *text, const char **s, size_t *n)
{
    *s = text;
    *n = strlen(text);
    if (text[0] != '{')
        return;
    const char *p = strstr(text, "\"preference\"");
    if (!p)
        return;
    p += strlen("\"preference\"");
    while (*p == ' ' || *p == ':')
        p++;
    if (*p != '"')
        return;
    p++;
    const char *e = p;
    while (*e && *e != '"') {
        if (*e == '\\' && e[1])
            e++;
        e++;
    }
    *s = p;
    *n = (size_t)(e - p);
}

static void tokset_of(const char *text, struct am_tokset *ts)
{
    const char *s;
    size_t n;
    comparable(text, &s, &n);
    am_tokset_build(s, n, ts);
}

/* Does a hold a token flagged `which` that b lacks? */
static bool flagged_only(const struct am_tokset *a, const struct am_tokset *b, unsigned which)
{
    size_t j = 0;
    for (size_t i = 0; i < a->n; i++) {
        while (j < b->n && b->h[j] < a->h[i])
            j++;
        if ((a->f[i] & which) && (j >= b->n || b->h[j] != a->h[i]))
            return true;
    }
    return false;
}

/* Tokens with flag `which` present on one side only, on both sides: for values (numbers,
 * identifiers) a changed value, for dates another occasion. */
static bool flagged_conflict(const struct am_tokset *a, const struct am_tokset *b,
                             unsigned which)
{
    bool a_only = false, b_only = false;
    size_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        if (i < a->n && j < b->n && a->h[i] == b->h[j]) {
            i++;
            j++;
        } else if (j >= b->n || (i < a->n && a->h[i] < b->h[j])) {
            if (a->f[i] & which)
                a_only = true;
            i++;
        } else {
            if (b->f[j] & which)
                b_only = true;
            j++;
        }
    }
    return a_only && b_only;
}

static void similarity(const struct am_tokset *a, const struct am_tokset *b,
                       struct am_similarity *out)
{
    size_t common = am_tokset_common(a, b);
    size_t uni = a->n + b->n - common;
    out->jaccard = uni ? (double)common / (double)uni : 1.0;
    out->contain_a = a->n ? (double)common / (double)a->n : 0.0;
    out->contain_b = b->n ? (double)common / (double)b->n : 0.0;
    out->value_conflict = flagged_conflict(a, b, AM_TS_VALUE) ||
                          (a->negations & 1) != (b->negations & 1);
    out->date_conflict = flagged_conflict(a, b, AM_TS_DATE);
}

void am_text_similarity(const char *a, const char *b, struct am_similarity *out)
{
    struct am_tokset ta, tb;
    tokset_of(a ? a : "", &ta);
    tokset_of(b ? b : "", &tb);
    similarity(&ta, &tb, out);
}

int am_recent_init(struct am_recent *r, size_t cap)
{
    r->v = malloc(cap * sizeof *r->v);
    r->n = r->next = 0;
    r->cap = r->v ? cap : 0;
    return r->v ? AM_OK : AM_ENOMEM;
}

void am_recent_free(struct am_recent *r)
{
    free(r->v);
    r->v = NULL;
    r->n = r->next = r->cap = 0;
}

bool am_recent_seen(struct am_recent *r, const char *text)
{
    struct am_tokset ts;
    tokset_of(text, &ts);
    for (size_t i = 0; i < r->n; i++) {
        struct am_similarity s;
        similarity(&ts, &r->v[i], &s);
        if (!s.value_conflict && !s.date_conflict && s.jaccard >= AM_CONSOLIDATE_DUP_JACCARD)
            return true;
    }
    if (r->cap) {
        r->v[r->next] = ts;
        r->next = (r->next + 1) % r->cap;
        if (r->n < r->cap)
            r->n++;
    }
    return false;
}

static bool key_equal(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    while (*a == ' ')
        a++;
    while (*b == ' ')
        b++;
    if (!*a || !*b)
        return false;
    while (*a && *b) {
        if (*a == ' ' || *b == ' ') {
            if (*a != ' ' || *b != ' ')
                return false;
            while (*a == ' ')
                a++;
            while (*b == ' ')
                b++;
            continue;
        }
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
        a++;
        b++;
    }
    while (*a == ' ')
        a++;
    while (*b == ' ')
        b++;
    return !*a && !*b;
}

int am_consolidate_decide(const struct am_candidate *cand, const char *const *existing_texts,
                          const char *const *existing_keys, size_t n_existing,
                          size_t *out_index)
{
    static const struct am_consolidate_params defaults = {
        AM_CONSOLIDATE_DUP_JACCARD, AM_CONSOLIDATE_DUP_CONTAIN, AM_CONSOLIDATE_CHANGE_JACCARD};
    return am_consolidate_decide_with(cand, existing_texts, existing_keys, n_existing, &defaults,
                                      out_index);
}

int am_consolidate_decide_with(const struct am_candidate *cand,
                               const char *const *existing_texts,
                               const char *const *existing_keys, size_t n_existing,
                               const struct am_consolidate_params *p, size_t *out_index)
{
    struct am_tokset c, e;
    size_t dup = (size_t)-1, by_key = (size_t)-1, changed = (size_t)-1;
    double dup_score = -1, key_score = -1, changed_score = -1;

    if (out_index)
        *out_index = (size_t)-1;
    if (!cand || !cand->text || !cand->text[0])
        return AM_CONSOLIDATE_SKIP;
    if (!existing_texts)
        n_existing = 0;
    tokset_of(cand->text, &c);
    for (size_t i = 0; i < n_existing; i++) {
        const char *x = existing_texts[i];
        if (!x)
            continue;
        if (cand->kind == AM_CAND_SUMMARY) {
            if (strcmp(x, cand->text) == 0) {
                dup = i;
                break;
            }
            continue;
        }
        struct am_similarity s;
        tokset_of(x, &e);
        similarity(&c, &e, &s);
        bool same_key = cand->key && existing_keys && key_equal(cand->key, existing_keys[i]);
        /* statements about two different named things (prod-cluster, dev-cluster) are
           neither duplicates nor versions of each other, whatever else they share */
        if (!same_key && c.subject && e.subject && c.subject != e.subject)
            continue;
        /* the candidate holds all of the record and adds values (us-east-2, 4 nodes):
         * a richer version, which replaces it rather than being dropped */
        bool richer = !s.value_conflict && s.contain_b >= 1.0 && c.n > e.n &&
                      flagged_only(&c, &e, AM_TS_VALUE | AM_TS_DATE);
        if (!s.value_conflict && !s.date_conflict && !richer &&
            (s.jaccard >= p->dup_jaccard || (c.n >= 2 && s.contain_a >= p->dup_contain))) {
            if (s.jaccard > dup_score) {
                dup_score = s.jaccard;
                dup = i;
            }
            continue;
        }
        if (same_key && s.jaccard + 1.0 >= key_score) {
            key_score = s.jaccard + 1.0;   /* later records win ties */
            by_key = i;
        }
        if (s.date_conflict)
            continue;   /* the same kind of event on another date: both stay */
        double score = -1;
        if (s.value_conflict && s.jaccard >= p->change_jaccard)
            score = s.jaccard;
        else if (!s.value_conflict && e.n >= 2 && c.n > e.n && s.contain_b >= p->dup_contain)
            score = s.contain_b;   /* the candidate says the same and more */
        if (score >= 0 && score >= changed_score) {
            changed_score = score;
            changed = i;
        }
    }
    if (dup != (size_t)-1) {
        if (out_index)
            *out_index = dup;
        return AM_CONSOLIDATE_SKIP;
    }
    if (by_key != (size_t)-1 || changed != (size_t)-1) {
        if (out_index)
            *out_index = by_key != (size_t)-1 ? by_key : changed;
        return AM_CONSOLIDATE_SUPERSEDE;
    }
    return AM_CONSOLIDATE_ADD;
}
