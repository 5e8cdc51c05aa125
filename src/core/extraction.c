/*
 * extraction.c - the long-term memory pipeline: from a claimed job to consolidated records.
 *
 *   claim job (lease) → read its events → turns → for each strategy of the memory:
 *   extract candidates → resolve the namespace → embed → consolidate and store + retire the
 *   job in one transaction.
 * A job that fails is retried after 2^attempts seconds and becomes FAILED after
 * AM_EXTRACT_ATTEMPTS attempts; a worker that dies mid-job leaves a RUNNING job whose lease
 * runs out, and the next worker takes it over. Records commit with the job's retirement, so
 * a job is applied once even when it runs twice. With spare capacity it also re-indexes
 * records whose vectors another embedding model made.
 */
#include "core/db.h"
#include "core/validate.h"
#include "extract/extract.h"
#include "search/text.h"
#include "search/embed.h"
#include "store/store.h"
#include "util/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AM_EXTRACT_ATTEMPTS 3
#define MAX_JOB_EVENTS 2000
#define MAX_SUMMARY_EVENTS 400

enum { USE_FACTS = 1, USE_PREFS, USE_SUMMARY };

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);
    char *end;
    long x = v ? strtol(v, &end, 10) : def;
    return v && (*end || x <= 0) ? def : x;
}

/* What a strategy asks for, from its type (or its custom override's type). */
static int strategy_use(json_t *s)
{
    const char *type = json_string_value(json_object_get(s, "type"));
    if (type && strcmp(type, "CUSTOM") == 0)
        type = json_string_value(json_object_get(json_object_get(s, "configuration"), "type"));
    if (!type)
        return 0;
    if (!strncmp(type, "SEMANTIC", 8))
        return USE_FACTS;
    if (!strncmp(type, "USER_PREFERENCE", 15))
        return USE_PREFS;
    if (!strncmp(type, "SUMMAR", 6))
        return USE_SUMMARY;
    return 0;        /* EPISODIC and SELF_MANAGED are not extracted by agentmem yet */
}

/* A custom strategy's override for the extractor: configuration.extraction (or, for
 * summaries, .consolidation) .custom*Configuration.<override>.{appendToPrompt, modelId}. */
static void strategy_ctx(json_t *s, struct am_extract_ctx *ctx)
{
    static const char *const steps[][2] = {{"extraction", "customExtractionConfiguration"},
                                           {"consolidation", "customConsolidationConfiguration"}};
    json_t *cfg = json_object_get(s, "configuration");
    memset(ctx, 0, sizeof *ctx);
    for (size_t i = 0; i < 2 && !ctx->instructions; i++) {
        json_t *wrap = json_object_get(json_object_get(cfg, steps[i][0]), steps[i][1]);
        const char *k;
        json_t *o;
        json_object_foreach(wrap, k, o) {
            ctx->instructions = json_string_value(json_object_get(o, "appendToPrompt"));
            ctx->model_id = json_string_value(json_object_get(o, "modelId"));
            break;
        }
    }
}

/* Resolve a namespace template for a job: {actorId}, {sessionId}, {memoryStrategyId}. */
static char *resolve_namespace(const char *tmpl, const struct am_job_row *job,
                               const char *strategy_id)
{
    size_t longest = strlen(job->actor_id), n_vars = 0;
    if (strlen(job->session_id) > longest)
        longest = strlen(job->session_id);
    if (strlen(strategy_id) > longest)
        longest = strlen(strategy_id);
    for (const char *p = tmpl; *p; p++)
        n_vars += *p == '{';
    size_t cap = strlen(tmpl) + n_vars * (longest + 8) + 1;   /* 8: "default" */
    char *out = malloc(cap);
    size_t o = 0;
    if (!out)
        return NULL;
    for (const char *p = tmpl; *p && o + 1 < cap;) {
        const char *val = NULL;
        size_t skip = 0;
        if (!strncmp(p, "{actorId}", 9))
            val = job->actor_id, skip = 9;
        else if (!strncmp(p, "{sessionId}", 11))
            val = job->session_id, skip = 11;
        else if (!strncmp(p, "{memoryStrategyId}", 18))
            val = strategy_id, skip = 18;
        else if (*p == '{' && strchr(p, '}'))     /* a variable we have no value for */
            val = "default", skip = (size_t)(strchr(p, '}') - p) + 1;
        if (val) {
            o += (size_t)snprintf(out + o, cap - o, "%s", val);
            p += skip;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return out;
}

/*
 * A transcript line "Name: text" names its speaker: a capitalised word of at most 24
 * letters, then ": ". Multi-party transcripts (and our LoCoMo benchmark) write turns so.
 * Returns the length of the name, or 0.
 */
static size_t speaker_prefix(const char *text)
{
    size_t n = 0;
    if (text[0] < 'A' || text[0] > 'Z')
        return 0;
    while (n < 25 && ((text[n] >= 'a' && text[n] <= 'z') || (text[n] >= 'A' && text[n] <= 'Z')))
        n++;
    return n <= 24 && text[n] == ':' && text[n + 1] == ' ' ? n : 0;
}

/* Turns from the conversational payloads of USER, ASSISTANT and TOOL messages (tool results
   are facts too: the cluster an agent described, the snapshot it took); speaker names are
   copied into names (freed by the caller). *out_talk and *out_chars count the USER and
   ASSISTANT turns only: the conversation's length, which decides when to summarise. */
static struct am_turn *build_turns(const am_events *ev, size_t *out_n, size_t *out_talk,
                                   size_t *out_chars, char **names)
{
    size_t n = 0, talk = 0, chars = 0;
    for (size_t i = 0; i < ev->n; i++)
        n += ev->items[i].n_payload;
    struct am_turn *t = calloc(n ? n : 1, sizeof *t);
    if (!t)
        return NULL;
    n = 0;
    for (size_t i = 0; i < ev->n; i++) {
        const am_event *e = &ev->items[i];
        for (size_t k = 0; k < e->n_payload; k++) {
            const am_payload *p = &e->payload[k];
            if (p->kind != AM_PAYLOAD_CONVERSATIONAL ||
                (p->role != AM_ROLE_USER && p->role != AM_ROLE_ASSISTANT &&
                 p->role != AM_ROLE_TOOL))
                continue;
            t[n] = (struct am_turn){.role = p->role, .text = p->text, .ts_ms = e->timestamp_ms,
                                    .event_id = e->event_id, .index = (int)k};
            size_t sp = speaker_prefix(p->text);
            if (sp && names) {
                names[n] = strndup(p->text, sp);
                t[n].speaker = names[n];
                if (names[n])
                    t[n].text = p->text + sp + 2;
            }
            if (p->role != AM_ROLE_TOOL) {
                chars += strlen(p->text);
                talk++;
            }
            n++;
        }
    }
    *out_n = n;
    *out_talk = talk;
    *out_chars = chars;
    return t;
}

static size_t count_payloads(const am_events *ev)
{
    size_t n = 0;
    for (size_t i = 0; i < ev->n; i++)
        n += ev->items[i].n_payload;
    return n;
}

static void free_names(char **names, const am_events *ev)
{
    if (!names)
        return;
    size_t n = ev ? count_payloads(ev) : 0;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

struct pending {
    struct am_cand_row *rows;
    char **owned;             /* namespaces and summary keys */
    float *vecs;
    size_t n, cap, n_owned, owned_cap;
};

static int keep(struct pending *p, char *s)
{
    if (p->n_owned == p->owned_cap) {
        size_t cap = p->owned_cap ? p->owned_cap * 2 : 16;
        char **o = realloc(p->owned, cap * sizeof *o);
        if (!o)
            return AM_ENOMEM;
        p->owned = o;
        p->owned_cap = cap;
    }
    p->owned[p->n_owned++] = s;
    return AM_OK;
}

static void pending_free(struct pending *p)
{
    for (size_t i = 0; i < p->n_owned; i++)
        free(p->owned[i]);
    free(p->owned);
    free(p->rows);
    free(p->vecs);
}

/* Add the candidates of one strategy, with their namespace and vectors. */
static int add_candidates(am_db *db, struct pending *p, struct am_candidates *c,
                          const char *ns, const char *strategy_id)
{
    int dim = db->embedder ? db->embedder->dim : 0;
    if (p->n + c->n > p->cap) {
        size_t cap = (p->n + c->n) * 2;
        struct am_cand_row *r = realloc(p->rows, cap * sizeof *r);
        if (!r)
            return am_error(db, AM_ENOMEM, "out of memory");
        p->rows = r;
        if (dim) {
            float *v = realloc(p->vecs, cap * (size_t)dim * sizeof *v);
            if (!v)
                return am_error(db, AM_ENOMEM, "out of memory");
            p->vecs = v;
        }
        p->cap = cap;
    }
    for (size_t i = 0; i < c->n; i++) {
        struct am_candidate *k = &c->items[i];
        struct am_cand_row *r = &p->rows[p->n];
        *r = (struct am_cand_row){.kind = k->kind, .text = k->text, .key = k->key,
                                  .namespace_ = ns, .strategy_id = strategy_id,
                                  .sources_json = k->sources_json, .ts_ms = k->ts_ms};
        /* the lexical query that finds older records holding every word of this one: the
           OR of am_text_fts_query made an AND (juxtaposition, in FTS5 and in
           websearch_to_tsquery), which the index answers without scoring every match */
        char *fts = NULL;
        if (k->kind != AM_CAND_SUMMARY && am_text_fts_query(k->text, &fts) == AM_OK && fts) {
            char *w = fts;
            for (char *rd = fts; *rd;) {
                if (strncmp(rd, "\" OR \"", 6) == 0) {
                    memcpy(w, "\" \"", 3);
                    w += 3;
                    rd += 6;
                } else {
                    *w++ = *rd++;
                }
            }
            *w = '\0';
            if (keep(p, fts)) {
                free(fts);
                return am_error(db, AM_ENOMEM, "out of memory");
            }
            r->fts = fts;
        }
        if (dim) {
            float *v = p->vecs + p->n * (size_t)dim;
            if (db->embedder->embed(db->embedder, k->text, v) == AM_OK) {
                r->dim = dim;        /* embedding is set by pending_fix: vecs may move */
                r->embed_model = db->embedder->name;
            }
        }
        p->n++;
    }
    return AM_OK;
}

/* Point each row at its vector, once the vector buffer has stopped growing. */
static void pending_fix(struct pending *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->rows[i].dim)
            p->rows[i].embedding = p->vecs + i * (size_t)p->rows[i].dim;
}

static int decide(void *arg, const struct am_cand_row *c, const char *const *texts,
                  const char *const *keys, size_t n, size_t *out_index)
{
    (void)arg;
    if (c->kind == AM_CAND_SUMMARY) {
        /* one summary per session: a new one replaces the last, unless it is the same */
        for (size_t i = 0; i < n; i++)
            if (keys[i] && c->key && strcmp(keys[i], c->key) == 0) {
                *out_index = i;
                return strcmp(texts[i], c->text) == 0 ? AM_CONSOLIDATE_SKIP
                                                      : AM_CONSOLIDATE_SUPERSEDE;
            }
        return AM_CONSOLIDATE_ADD;
    }
    struct am_candidate cand = {.kind = c->kind, .text = (char *)c->text,
                                .key = (char *)c->key, .ts_ms = c->ts_ms};
    return am_consolidate_decide(&cand, texts, keys, n, out_index);
}

static int process_job(am_db *db, const struct am_job_row *job, int *out_added,
                       int *out_superseded)
{
    am_memories *mem = NULL;
    am_events *ev = NULL, *whole = NULL;
    struct am_turn *turns = NULL, *all_turns = NULL;
    char **names = NULL, **all_names = NULL;
    struct am_candidates cands[AM_MAX_STRATEGIES] = {{0}};
    struct pending p = {0};
    json_t *strategies = NULL, *s;
    size_t n_turns = 0, n_talk = 0, chars = 0, idx, sum_n = 0, sum_talk = 0, sum_chars = 0;
    int rc;

    rc = db->ops->memory_get(db, db->st, job->memory_id, NULL, &mem);
    if (rc)
        goto out;
    strategies = json_loads(mem->items[0].strategies_json, 0, NULL);
    rc = db->ops->job_events(db, db->st, job, false, MAX_JOB_EVENTS, &ev);
    if (rc)
        goto out;
    names = calloc(count_payloads(ev) + 1, sizeof *names);
    turns = names ? build_turns(ev, &n_turns, &n_talk, &chars, names) : NULL;
    if (!turns) {
        rc = am_error(db, AM_ENOMEM, "out of memory");
        goto out;
    }
    json_array_foreach(strategies, idx, s) {
        if (idx >= AM_MAX_STRATEGIES)
            break;
        int use = strategy_use(s);
        const char *sid = json_string_value(json_object_get(s, "strategyId"));
        const char *tmpl = json_string_value(json_array_get(json_object_get(s,
                                                            "namespaceTemplates"), 0));
        if (!use || !sid || !tmpl || n_turns == 0)
            continue;
        struct am_extractor *x = db->extractor;
        struct am_extract_ctx ctx;
        strategy_ctx(s, &ctx);
        if (use == USE_FACTS) {
            rc = x->facts(x, &ctx, turns, n_turns, &cands[idx]);
        } else if (use == USE_PREFS) {
            rc = x->preferences(x, &ctx, turns, n_turns, &cands[idx]);
        } else {
            /* summaries cover the whole session once it is long enough */
            size_t n_all = 0, all_talk = 0, all_chars = 0;
            if (!whole) {
                rc = db->ops->job_events(db, db->st, job, true, MAX_SUMMARY_EVENTS, &whole);
                if (rc)
                    goto out;
                free(all_turns);
                all_names = calloc(count_payloads(whole) + 1, sizeof *all_names);
                all_turns = all_names ? build_turns(whole, &n_all, &all_talk, &all_chars,
                                                    all_names)
                                      : NULL;
                if (!all_turns) {
                    rc = am_error(db, AM_ENOMEM, "out of memory");
                    goto out;
                }
                sum_n = n_all;
                sum_talk = all_talk;
                sum_chars = all_chars;
            }
            n_all = sum_n;
            all_talk = sum_talk;
            all_chars = sum_chars;
            if ((long)all_talk < env_long("AGENTMEM_SUMMARY_TURNS", 8) &&
                (long)all_chars < env_long("AGENTMEM_SUMMARY_CHARS", 3000))
                continue;
            rc = x->summary(x, &ctx, all_turns, n_all, 0, &cands[idx]);
            for (size_t i = 0; !rc && i < cands[idx].n; i++) {
                char key[300];
                snprintf(key, sizeof key, "summary:%s", job->session_id);
                free(cands[idx].items[i].key);
                cands[idx].items[i].key = strdup(key);
            }
        }
        if (rc) {
            const char *why = am_extract_errmsg();
            rc = am_error(db, rc, "extraction (%s) failed for session %s%s%s", x->name,
                          job->session_id, *why ? ": " : "", why);
            goto out;
        }
        char *ns = resolve_namespace(tmpl, job, sid);
        if (!ns || keep(&p, ns)) {
            free(ns);
            rc = am_error(db, AM_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = am_check_namespace(db, "namespace", ns)))
            goto out;
        if ((rc = add_candidates(db, &p, &cands[idx], ns, sid)))
            goto out;
    }
    pending_fix(&p);
    rc = db->ops->job_complete(db, db->st, job, p.rows, p.n, decide, NULL, out_added,
                               out_superseded);
out:
    for (size_t i = 0; i < AM_MAX_STRATEGIES; i++)
        am_candidates_free(&cands[i]);
    pending_free(&p);
    free_names(names, ev);
    free_names(all_names, whole);
    free(turns);
    free(all_turns);
    json_decref(strategies);
    am_events_free(ev);
    am_events_free(whole);
    am_memories_free(mem);
    return rc;
}

/*
 * Re-index: records whose vector another model made (after the embedder was changed, or
 * written before vectors existed) get a new one, a batch at a time, embedded outside any
 * transaction. Until then they are still found lexically.
 */
static int reembed_batch(am_db *db, int *out_n)
{
    am_records *r = NULL;
    float *vecs = NULL;
    const char **ids = NULL;
    size_t n = 0;
    int dim = db->embedder->dim;
    int rc = db->ops->record_stale(db, db->st, db->embedder->name, 100, &r);

    *out_n = 0;
    if (rc || r->n == 0)
        goto out;
    vecs = malloc(r->n * (size_t)dim * sizeof *vecs);
    ids = malloc(r->n * sizeof *ids);
    if (!vecs || !ids) {
        rc = am_error(db, AM_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < r->n; i++) {
        if (db->embedder->embed(db->embedder, r->items[i].text, vecs + n * (size_t)dim))
            continue;                     /* the provider failed: try again next round */
        ids[n++] = r->items[i].record_id;
    }
    if (n)
        rc = db->ops->record_set_vectors(db, db->st, ids, vecs, n, dim, db->embedder->name);
    if (!rc) {
        *out_n = (int)n;
        if (n)
            am_log(AM_LOG_INFO, "search", "re-indexed %zu records with %s", n,
                   db->embedder->name);
    }
out:
    free(vecs);
    free(ids);
    am_records_free(r);
    return rc;
}

int am_extract_run(am_db *db, int max_jobs, int *out_done)
{
    int done = 0, rc = AM_OK;

    am_error_clear();
    int n_indexed = 0;
    do {                                  /* new events' text, for am_event_search */
        rc = db->ops->events_index(db, db->st, 500, &n_indexed);
    } while (!rc && n_indexed == 500);
    if (rc)
        return rc;
    for (int i = 0; i < max_jobs; i++) {
        struct am_job_row job;
        bool found = false;
        /* a worker that dies mid-job leaves it RUNNING; another takes it over after this */
        rc = db->ops->job_claim(db, db->st, am_now_ms(),
                                env_long("AGENTMEM_JOB_LEASE_MS", 120000), &job, &found);
        if (rc || !found)
            break;
        int added = 0, superseded = 0;
        rc = process_job(db, &job, &added, &superseded);
        if (rc == AM_ENOTFOUND) {        /* the memory went away: nothing left to do */
            rc = AM_OK;
        } else if (rc) {
            char reason[600];
            snprintf(reason, sizeof reason, "%s: %s", am_strerror(rc), am_errmsg(db));
            int64_t retry = job.attempts >= AM_EXTRACT_ATTEMPTS
                                ? 0
                                : am_now_ms() + (1000LL << job.attempts);
            am_log(AM_LOG_WARN, "extract", "job %s attempt %d failed%s: %s", job.job_id,
                   job.attempts, retry ? ", will retry" : ", giving up", reason);
            rc = db->ops->job_fail(db, db->st, &job, reason, retry);
            if (rc)
                break;
        } else {
            am_log(AM_LOG_DEBUG, "extract", "job %s: %d records added, %d superseded",
                   job.job_id, added, superseded);
        }
        done++;
    }
    if (!rc && done < max_jobs) {         /* spare capacity: re-index stale vectors */
        int n = 0, rounds = 0;
        do
            rc = reembed_batch(db, &n);
        while (!rc && n == 100 && ++rounds < 20);
    }
    if (out_done)
        *out_done = done;
    return rc;
}
