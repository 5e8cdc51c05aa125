/*
 * checklist.c - the migration checklist, one per actor and cluster, kept from tool results.
 *
 * The reasoner marks a step done only after its AWS call succeeded (DescribeClusterParameters
 * for the assessment, CreateClusterSnapshot, CreateNamespace, ...); a decision marks the plan.
 * handler.c loads the actor's checklists before reasoning and saves the entries the turn
 * changed afterwards, as memory records written directly (memory.c). So "where were we?" and
 * "let us proceed" read exact state from any session of the actor, whatever the extractors
 * made of the conversation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent.h"

static const struct step {
    const char *key, *label, *next;
} steps[] = {
    {"assess", "assessed", "show the WLM queues of the cluster to assess it"},
    {"plan", "target decided", "decide between a single workgroup and several"},
    {"snapshot", "snapshot taken", "take the snapshot"},
    {"namespace", "namespace created", "create the namespace and workgroup"},
    {"workgroup", "workgroup created", "create the namespace and workgroup"},
    {"restore", "restore started", "restore the snapshot"},
    {"available", "restored and AVAILABLE", "ask whether the restore is done"},
};
#define N_STEPS (sizeof steps / sizeof steps[0])

static void now_iso(char *out, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, cap - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

json_t *am_ag_step_done(const struct am_ag_turn *t, const char *cluster, const char *step,
                        const char *fmt, ...)
{
    char at[40], detail[768];
    va_list ap;

    if (!t->checklist || !cluster || !*cluster)
        return NULL;
    json_t *e = json_object_get(t->checklist, cluster);
    if (!e) {
        e = json_pack("{s:s, s:s, s:s, s:{}}", "checklist", "redshift-migration", "cluster",
                      cluster, "region", t->region ? t->region : "", "steps");
        if (!e || json_object_set_new(t->checklist, cluster, e))
            return NULL;
    }
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    now_iso(at, sizeof at);
    json_object_set_new(json_object_get(e, "steps"), step,
                        json_pack("{s:s, s:s, s:s}", "at", at, "session",
                                  t->session_id ? t->session_id : "", "detail", detail));
    json_object_set_new(e, "updatedAt", json_string(at));
    size_t i;
    json_t *v;
    json_array_foreach(t->changed, i, v) if (strcmp(json_string_value(v), cluster) == 0)
        return e;
    json_array_append_new(t->changed, json_string(cluster));
    return e;
}

bool am_ag_step_is_done(json_t *entry, const char *step)
{
    return json_object_get(json_object_get(entry, "steps"), step) != NULL;
}

static const char *updated(json_t *e)
{
    const char *s = json_string_value(json_object_get(e, "updatedAt"));
    return s ? s : "";
}

json_t *am_ag_checklist_current(const struct am_ag_turn *t)
{
    const char *k;
    json_t *e, *best = NULL;
    json_object_foreach(t->checklist, k, e) {
        if (t->message && am_ag_icontains(t->message, k))
            return e;
        if (!best || strcmp(updated(e), updated(best)) > 0)
            best = e;
    }
    return best;
}

void am_ag_checklist_render(json_t *e, struct am_xbuf *b)
{
    json_t *st = json_object_get(e, "steps");
    const struct step *next = NULL;
    am_xbuf_addf(b, " Checklist for %s (kept from AWS results, across your sessions):",
                 json_string_value(json_object_get(e, "cluster")) ?: "?");
    for (size_t i = 0; i < N_STEPS; i++) {
        json_t *s = json_object_get(st, steps[i].key);
        const char *d = json_string_value(json_object_get(s, "detail"));
        am_xbuf_addf(b, "%s [%s] %s", i ? "," : "", s ? "x" : " ", steps[i].label);
        if (d && *d)
            am_xbuf_addf(b, " (%s)", d);
        if (!s && !next)
            next = &steps[i];
    }
    am_xbuf_adds(b, ", [ ] endpoint cut-over.");
    if (next) {
        am_xbuf_addf(b, " Next: %s.", next->next);
    } else {
        const char *wg = json_string_value(json_object_get(json_object_get(e, "target"),
                                                           "workgroup"));
        am_xbuf_addf(b, " Left: repoint clients to the endpoint of workgroup %s, validate "
                        "queries and loads, then retire the cluster (I do not cut over).",
                     wg ? wg : "?");
    }
}

/* Merges b into a: steps and fields that a lacks, or that b has newer. */
static void merge(json_t *a, json_t *b)
{
    bool newer = strcmp(updated(b), updated(a)) > 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(b, "steps"), k, v) {
        json_t *mine = json_object_get(json_object_get(a, "steps"), k);
        const char *at_b = json_string_value(json_object_get(v, "at")) ?: "";
        const char *at_a = json_string_value(json_object_get(mine, "at")) ?: "";
        if (!mine || strcmp(at_b, at_a) > 0)
            json_object_set(json_object_get(a, "steps"), k, v);
    }
    static const char *const fields[] = {"target", "snapshotArn", "updatedAt", "region",
                                         "queues", "targets"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if ((newer || !json_object_get(a, fields[i])) && json_object_get(b, fields[i]))
            json_object_set(a, fields[i], json_object_get(b, fields[i]));
}

json_t *am_ag_checklist_parse(json_t *summaries)
{
    json_t *out = json_object(), *rec;
    size_t i;
    if (!out)
        return NULL;
    json_array_foreach(summaries, i, rec) {
        const char *text = json_string_value(json_object_get(json_object_get(rec, "content"),
                                                             "text"));
        const char *id = json_string_value(json_object_get(rec, "memoryRecordId"));
        json_t *e = text ? json_loads(text, 0, NULL) : NULL;
        const char *cluster = json_string_value(json_object_get(e, "cluster"));
        const char *kind = json_string_value(json_object_get(e, "checklist"));
        if (!cluster || !kind || strcmp(kind, "redshift-migration") != 0 || !id ||
            !json_is_object(json_object_get(e, "steps"))) {
            json_decref(e);
            continue;
        }
        json_t *have = json_object_get(out, cluster);
        if (have) {
            /* two records of one cluster (two first steps at once): keep the newer id */
            if (strcmp(updated(e), updated(have)) > 0)
                json_object_set_new(have, "_id", json_string(id));
            merge(have, e);
            json_decref(e);
        } else {
            json_object_set_new(e, "_id", json_string(id));
            json_object_set_new(out, cluster, e);
        }
    }
    return out;
}
