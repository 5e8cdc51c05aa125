/*
 * context.c - context for a message: one call that gathers what an agent should put in its
 * prompt, within a token budget.
 *
 * Priority, highest first: the session summary (where the conversation stands), the actor's
 * preferences (how to answer; at most a quarter of the budget), the records most relevant to
 * the message (what is known), then the session's last turns (newest first, shown oldest
 * first). Items are deduplicated
 * by normalized text and added greedily while they fit; an item too large for what is left
 * is skipped and smaller ones after it may still fit. Tokens are estimated as characters/4.
 */
#include "core/db.h"
#include "core/validate.h"
#include "store/store.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

enum { K_SUMMARY, K_PREFERENCE, K_FACT, K_TURN };
static const char *const kind_names[] = {"summary", "preference", "fact", "turn"};

struct packer {
    json_t *items;
    int used, budget;
    char **seen;              /* normalized texts already added */
    size_t n_seen, cap_seen;
};

static int estimate_tokens(const char *text)
{
    size_t n = strlen(text);
    return (int)((n + 3) / 4);
}

/* Lowercase alphanumerics only: "Prefers tea." and "prefers tea" are the same item. */
static char *normalize(const char *text)
{
    size_t n = strlen(text), o = 0;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (isalnum((unsigned char)text[i]) || (unsigned char)text[i] >= 0x80)
            out[o++] = (char)tolower((unsigned char)text[i]);
    out[o] = '\0';
    return out;
}

/* Add an item if it is new and fits; returns AM_OK either way, AM_ENOMEM on failure. */
static int pack(struct packer *p, int kind, const char *text, const char *src_key,
                const char *src_id, double score)
{
    int tokens = estimate_tokens(text);
    if (p->used + tokens > p->budget)
        return AM_OK;
    char *norm = normalize(text);
    if (!norm)
        return AM_ENOMEM;
    for (size_t i = 0; i < p->n_seen; i++)
        if (strcmp(p->seen[i], norm) == 0 || (strlen(norm) > 24 && strstr(p->seen[i], norm))) {
            free(norm);
            return AM_OK;
        }
    if (p->n_seen == p->cap_seen) {
        size_t cap = p->cap_seen ? p->cap_seen * 2 : 32;
        char **s = realloc(p->seen, cap * sizeof *s);
        if (!s) {
            free(norm);
            return AM_ENOMEM;
        }
        p->seen = s;
        p->cap_seen = cap;
    }
    p->seen[p->n_seen++] = norm;
    json_t *src = json_pack("{s:s}", src_key, src_id);
    if (src && score > 0)
        json_object_set_new(src, "score", json_real(score));
    json_t *item = json_pack("{s:s,s:s,s:i,s:o}", "kind", kind_names[kind], "text", text,
                             "tokens", tokens, "source", src);
    if (!item || json_array_append_new(p->items, item))
        return AM_ENOMEM;
    p->used += tokens;
    return AM_OK;
}

/* Records of the actor from strategies whose type starts with prefix. */
static int strategy_ids(am_db *db, const char *memory_id, const char *prefix, char ids[][128],
                        int max)
{
    am_memories *m = NULL;
    int n = 0;
    if (db->ops->memory_get(db, db->st, memory_id, NULL, &m))
        return -1;
    json_t *arr = json_loads(m->items[0].strategies_json, 0, NULL), *s;
    size_t i;
    json_array_foreach(arr, i, s) {
        const char *type = json_string_value(json_object_get(s, "type"));
        if (type && !strcmp(type, "CUSTOM"))
            type = json_string_value(json_object_get(json_object_get(s, "configuration"),
                                                     "type"));
        if (type && !strncmp(type, prefix, strlen(prefix)) && n < max)
            snprintf(ids[n++], 128, "%s", json_string_value(json_object_get(s, "strategyId")));
    }
    json_decref(arr);
    am_memories_free(m);
    return n;
}

int am_context_build(am_db *db, const am_context_query *q, char **out_json)
{
    struct packer p = {0};
    am_records *r = NULL;
    am_events *ev = NULL;
    char sids[AM_MAX_STRATEGIES][128];
    int rc, n;

    *out_json = NULL;
    am_error_clear();
    if (!q)
        return am_error(db, AM_EINVAL, "no query given");
    if ((rc = am_check_memory_id(db, "memoryId", q->memory_id)) ||
        (rc = am_check_actor_id(db, "actorId", q->actor_id)) ||
        (q->session_id && (rc = am_check_session_id(db, "sessionId", q->session_id))) ||
        (rc = am_check_text(db, "message", q->message, 1, 10000)))
        return rc;
    int budget = q->max_tokens ? q->max_tokens : 1000;
    int max_turns = q->max_turns ? q->max_turns : 10;
    if ((rc = am_check_range(db, "maxTokens", budget, 1, 200000)) ||
        (rc = am_check_range(db, "maxTurns", max_turns, 1, 100)))
        return rc;
    const char *mem = am_memory_id_of(q->memory_id);
    p.items = json_array();
    p.budget = budget;
    if (!p.items) {
        rc = am_error(db, AM_ENOMEM, "out of memory");
        goto out;
    }

    /* 1. the session summary */
    n = q->session_id ? strategy_ids(db, mem, "SUMMAR", sids, AM_MAX_STRATEGIES) : 0;
    if (n < 0) {
        rc = am_error(db, AM_ENOTFOUND, "Memory %s not found", mem);
        goto out;
    }
    for (int i = 0; i < n && !rc; i++) {
        am_record_query rq = {.memory_id = mem, .strategy_id = sids[i],
                              .actor_id = q->actor_id, .session_id = q->session_id,
                              .max_results = 1};
        if ((rc = am_record_list(db, &rq, &r)))
            goto out;
        for (size_t k = 0; k < r->n && !rc; k++)
            rc = pack(&p, K_SUMMARY, r->items[k].text, "memoryRecordId", r->items[k].record_id,
                      0);
        am_records_free(r);
        r = NULL;
    }
    /* 2. the actor's preferences, newest first, in at most a quarter of the budget: the
       records relevant to the message matter more (preferences that are relevant come
       back in step 3 too) */
    p.budget = p.used + budget / 4 < budget ? p.used + budget / 4 : budget;
    n = strategy_ids(db, mem, "USER_PREFERENCE", sids, AM_MAX_STRATEGIES);
    if (n < 0) {
        rc = am_error(db, AM_ENOTFOUND, "Memory %s not found", mem);
        goto out;
    }
    for (int i = 0; i < n && !rc; i++) {
        am_record_query rq = {.memory_id = mem, .strategy_id = sids[i],
                              .actor_id = q->actor_id, .max_results = 20};
        if ((rc = am_record_list(db, &rq, &r)))
            goto out;
        for (size_t k = 0; k < r->n && !rc; k++)
            rc = pack(&p, K_PREFERENCE, r->items[k].text, "memoryRecordId",
                      r->items[k].record_id, 0);
        am_records_free(r);
        r = NULL;
    }
    p.budget = budget;
    /* 3. the records most relevant to the message */
    am_record_query sq = {.memory_id = mem, .actor_id = q->actor_id, .query = q->message,
                          .top_k = 30, .max_results = 30};
    if ((rc = am_record_search(db, &sq, &r)))
        goto out;
    for (size_t k = 0; k < r->n && !rc; k++)
        rc = pack(&p, K_FACT, r->items[k].text, "memoryRecordId", r->items[k].record_id,
                  r->items[k].score);
    am_records_free(r);
    r = NULL;
    /* 4. the session's last turns (packed newest first, listed oldest first) */
    if (!rc && q->session_id) {
        am_event_query eq = {.memory_id = mem, .actor_id = q->actor_id,
                             .session_id = q->session_id, .include_payloads = true,
                             .max_results = max_turns};
        if ((rc = am_event_list(db, &eq, &ev)))
            goto out;
        size_t first_turn = json_array_size(p.items);
        for (size_t k = 0; k < ev->n && !rc; k++)
            for (size_t j = 0; j < ev->items[k].n_payload && !rc; j++) {
                const am_payload *pl = &ev->items[k].payload[j];
                if (pl->kind == AM_PAYLOAD_CONVERSATIONAL)
                    rc = pack(&p, K_TURN, pl->text, "eventId", ev->items[k].event_id, 0);
            }
        /* reverse the turns into chronological order */
        size_t last = json_array_size(p.items);
        for (size_t a = first_turn, b = last; a + 1 < b; a++, b--) {
            json_t *x = json_incref(json_array_get(p.items, a));
            json_array_set(p.items, a, json_array_get(p.items, b - 1));
            json_array_set_new(p.items, b - 1, x);
        }
    }
    if (rc) {
        rc = rc == AM_ENOMEM ? am_error(db, AM_ENOMEM, "out of memory") : rc;
        goto out;
    }
    json_t *o = json_pack("{s:O,s:i,s:i}", "items", p.items, "usedTokens", p.used, "maxTokens",
                          budget);
    *out_json = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!*out_json)
        rc = am_error(db, AM_ENOMEM, "out of memory");
out:
    am_records_free(r);
    am_events_free(ev);
    json_decref(p.items);
    for (size_t i = 0; i < p.n_seen; i++)
        free(p.seen[i]);
    free(p.seen);
    return rc;
}
