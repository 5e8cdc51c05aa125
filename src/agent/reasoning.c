/*
 * reasoning.c - the agent's offline, rule-based reasoner. No model is reachable here, so the
 * turn is matched to an intent (preferences, recall, decision, WLM, snapshot, create target,
 * restore, plan, list clusters, list serverless, help) by keywords; the answer comes from the
 * AWS calls of aws.c and from what memory.c recalled. Answers that state a fact are written as
 * one self-contained sentence naming the cluster, so agentmem's extractors turn them into
 * clean long-term records ("Decision recorded for prod-cluster: ...").
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agent/agent.h"

#define ERR_CAP 1024

static bool has(const char *msg, const char *w)
{
    return am_ag_icontains(msg, w);
}

static bool has_any(const char *msg, const char *const *words)
{
    for (; *words; words++)
        if (has(msg, *words))
            return true;
    return false;
}

static bool is_question(const char *msg)
{
    static const char *const q[] = {"?", "what ", "which ", "show ", "list ", "tell me", "remind",
                                    "recall", NULL};
    return has_any(msg, q);
}

/* Copies the [a-z0-9-] word after `after` (e.g. "workgroup ") into out; false if none. */
static bool word_after(const char *msg, const char *after, char *out, size_t cap)
{
    size_t n = strlen(after);
    for (const char *p = msg; *p; p++) {
        if (strncasecmp(p, after, n) != 0)
            continue;
        const char *w = p + n;
        while (*w == ' ' || *w == '"' || *w == '\'')
            w++;
        size_t len = 0;
        while ((isalnum((unsigned char)w[len]) || w[len] == '-' || w[len] == '_') && len + 1 < cap)
            len++;
        if (len >= 3) {
            for (size_t i = 0; i < len; i++)
                out[i] = (char)tolower((unsigned char)w[i]);
            out[len] = '\0';
            static const char *const skip[] = {"with", "for", "and", "the", "that", "per", "each",
                                               "named", "called", "now", "into", "from",
                                               "them", "it", NULL};
            bool bad = false;
            for (const char *const *s = skip; *s; s++)
                if (strcmp(out, *s) == 0)
                    bad = true;
            if (!bad)
                return true;
            /* "workgroup named analytics-wg": skip the filler word */
            return word_after(w + len, " ", out, cap);
        }
    }
    return false;
}

/* The number just before "rpu" ("128 RPUs", "128-RPU"); 0 if none. */
static int rpus(const char *msg)
{
    for (const char *p = msg; *p; p++) {
        if (strncasecmp(p, "rpu", 3) != 0)
            continue;
        const char *q = p;
        while (q > msg && (q[-1] == ' ' || q[-1] == '-'))
            q--;
        const char *e = q;
        while (q > msg && isdigit((unsigned char)q[-1]))
            q--;
        if (q < e)
            return (int)strtol(q, NULL, 10);
    }
    return 0;
}

/* A workgroup's namespace: "analytics-wg" → "analytics-ns", "etl" → "etl-ns". */
static void namespace_for(const char *wg, char *ns, size_t cap)
{
    size_t n = strlen(wg);
    if (n > 3 && strcmp(wg + n - 3, "-wg") == 0)
        snprintf(ns, cap, "%.*s-ns", (int)(n - 3), wg);
    else
        snprintf(ns, cap, "%s-ns", wg);
}

/* Every remembered text (facts, summaries, turns) in one array, borrowed references. */
static void each_text(const struct am_ag_turn *t, void (*fn)(const char *, void *), void *ud)
{
    size_t i;
    json_t *v;
    json_array_foreach(t->facts, i, v) fn(json_string_value(v), ud);
    json_array_foreach(t->summaries, i, v) fn(json_string_value(v), ud);
    json_array_foreach(t->turns, i, v) fn(json_string_value(json_object_get(v, "text")), ud);
}

struct find_cluster {
    struct am_ag_cluster *cl;
    size_t n;
    int hit;
};

static void find_cluster_fn(const char *text, void *ud)
{
    struct find_cluster *f = ud;
    for (size_t i = 0; f->hit < 0 && text && i < f->n; i++)
        if (has(text, f->cl[i].id))
            f->hit = (int)i;
}

/* The cluster the turn is about: named in the message, else in memory, else the only one. */
static int pick_cluster(const struct am_ag_turn *t, struct am_ag_cluster *cl, size_t n)
{
    struct find_cluster f = {cl, n, -1};
    find_cluster_fn(t->message, &f);
    if (f.hit < 0)
        each_text(t, find_cluster_fn, &f);
    if (f.hit < 0)              /* the migration the actor is in, from any session */
        find_cluster_fn(json_string_value(json_object_get(am_ag_checklist_current(t),
                                                          "cluster")), &f);
    if (f.hit < 0 && n == 1)
        f.hit = 0;
    return f.hit;
}

/* Preference texts: the "preference" member of the JSON records, else the text itself. */
static json_t *preference_list(const struct am_ag_turn *t)
{
    json_t *out = json_array(), *v;
    size_t i;
    json_array_foreach(t->prefs, i, v) {
        const char *s = json_string_value(v);
        json_t *j = s ? json_loads(s, 0, NULL) : NULL;
        const char *p = json_string_value(json_object_get(j, "preference"));
        json_array_append_new(out, json_string(p ? p : s ? s : ""));
        json_decref(j);
    }
    return out;
}

static bool prefers(const struct am_ag_turn *t, const char *needle)
{
    json_t *p = preference_list(t), *v;
    size_t i;
    bool yes = false;
    json_array_foreach(p, i, v) yes = yes || has(json_string_value(v), needle);
    json_decref(p);
    return yes;
}

static void memory_off_note(const struct am_ag_turn *t, struct am_xbuf *b)
{
    if (!t->memory_on)
        am_xbuf_adds(b, " (Memory is off for this call: pass a session_id, and set "
                        "AGENTCORE_MEMORY_ID, to keep context across calls.)");
}

/* ------------------------------------------------------------ intents ---- */

static void reply_help(const struct am_ag_turn *t, struct am_xbuf *b)
{
    (void)t;
    am_xbuf_adds(b,
        "I am the Redshift migration agent. I can: list your Redshift clusters; describe a "
        "cluster's WLM queues; plan a provisioned-to-Serverless migration (sizing, topology); "
        "record decisions (\"let's use a single workgroup analytics-wg with 128 RPUs\"); take a "
        "snapshot; create the Serverless namespace and workgroup; restore the snapshot; list "
        "Serverless namespaces and workgroups; and, with a session_id, recall decisions, progress "
        "and your preferences across days.");
}

static void reply_clusters(const struct am_ag_turn *t, struct am_xbuf *b)
{
    struct am_ag_cluster *cl;
    size_t n;
    char err[ERR_CAP];
    if (am_ag_describe_clusters(t->region, &cl, &n, err, sizeof err)) {
        am_xbuf_addf(b, "I could not list the Redshift clusters in %s: %s", t->region, err);
        return;
    }
    if (n == 0) {
        am_xbuf_addf(b, "In %s the account has no Redshift clusters.", t->region);
    } else {
        am_xbuf_addf(b, "In %s the account has %zu Redshift cluster%s: ", t->region, n,
                     n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++)
            am_xbuf_addf(b, "%s%s (%d x %s, %s%s%s)", i ? "; " : "", cl[i].id, cl[i].nodes,
                         cl[i].node_type, cl[i].status, *cl[i].az ? ", " : "", cl[i].az);
        am_xbuf_adds(b, ". Next step: ask me for the WLM queues of a cluster before planning.");
    }
    free(cl);
}

static void reply_wlm(const struct am_ag_turn *t, struct am_xbuf *b)
{
    struct am_ag_cluster *cl;
    size_t n, i;
    char err[ERR_CAP];
    char *wlm = NULL;
    if (am_ag_describe_clusters(t->region, &cl, &n, err, sizeof err)) {
        am_xbuf_addf(b, "I could not read the clusters in %s: %s", t->region, err);
        return;
    }
    int k = pick_cluster(t, cl, n);
    if (k < 0) {
        am_xbuf_addf(b, "Which cluster? In %s I see %zu clusters; name one of them.",
                     t->region, n);
        free(cl);
        return;
    }
    struct am_ag_cluster *c = &cl[k];
    if (am_ag_cluster_parameter(t->region, c->pgroup, "wlm_json_configuration", &wlm, err,
                                sizeof err)) {
        am_xbuf_addf(b, "I could not read parameter group %s of %s: %s", c->pgroup, c->id,
                     err);
        free(cl);
        return;
    }
    json_t *q = wlm ? json_loads(wlm, 0, NULL) : NULL;
    if (json_is_string(q)) {           /* tolerate a doubly encoded value */
        json_t *inner = json_loads(json_string_value(q), 0, NULL);
        json_decref(q);
        q = inner;
    }
    if (!json_is_array(q)) {
        am_xbuf_addf(b, "%s (parameter group %s) uses the default WLM configuration (%s).",
                     c->id, c->pgroup, wlm ? "unparsed value" : "automatic WLM");
        am_ag_step_done(t, c->id, "assess", "%d x %s, %lld GB storage, default WLM", c->nodes,
                        c->node_type, c->storage_mb / 1024);
        json_decref(q);
        free(wlm);
        free(cl);
        return;
    }
    json_t *e;
    size_t n_q = 0;
    bool sqa = false;
    json_array_foreach(q, i, e) {
        if (json_is_true(json_object_get(e, "short_query_queue")) && json_object_size(e) <= 2)
            sqa = true;
        else
            n_q++;
    }
    am_xbuf_addf(b, "Cluster %s (parameter group %s) has %zu WLM queue%s: ", c->id, c->pgroup,
                 n_q, n_q == 1 ? "" : "s");
    size_t idx = 0;
    struct am_xbuf names = AM_AG_BUF_INIT;
    json_t *queues = json_array();          /* [{name, memory}] for the checklist */
    json_array_foreach(q, i, e) {
        if (json_is_true(json_object_get(e, "short_query_queue")) && json_object_size(e) <= 2)
            continue;
        idx++;
        const char *name = json_string_value(json_object_get(e, "name"));
        char def[32];
        snprintf(def, sizeof def, "queue-%zu", idx);
        am_xbuf_addf(&names, "%s%s", idx > 1 ? ", " : "", name ? name : def);
        json_t *mp = json_object_get(e, "memory_percent_to_use");
        json_array_append_new(queues, json_pack("{s:s, s:f}", "name", name ? name : def,
                                                "memory", json_is_number(mp) ?
                                                json_number_value(mp) : 0.0));
        am_xbuf_addf(b, "%s%s%s (", idx > 1 ? "; " : "", name ? name : def,
                     idx == n_q && (!name || strcmp(name, "default") != 0) ?
                         " [default queue]" : "");
        bool first = true;
        static const char *const groups[] = {"user_group", "query_group"};
        for (int g = 0; g < 2; g++) {
            json_t *v = json_object_get(e, groups[g]);
            if (json_is_string(v) && *json_string_value(v)) {
                am_xbuf_addf(b, "%s%ss %s", first ? "" : ", ", groups[g],
                             json_string_value(v));
                first = false;
            } else if (json_is_array(v) && json_array_size(v)) {
                am_xbuf_addf(b, "%s%ss ", first ? "" : ", ", groups[g]);
                size_t j;
                json_t *s;
                json_array_foreach(v, j, s) am_xbuf_addf(b, "%s%s", j ? "+" : "",
                                                         json_string_value(s) ?
                                                         json_string_value(s) : "?");
                first = false;
            }
        }
        json_t *cc = json_object_get(e, "query_concurrency");
        if (json_is_integer(cc)) {
            am_xbuf_addf(b, "%sconcurrency %lld", first ? "" : ", ",
                         (long long)json_integer_value(cc));
            first = false;
        }
        json_t *mem = json_object_get(e, "memory_percent_to_use");
        if (json_is_number(mem)) {
            am_xbuf_addf(b, "%smemory %g%%", first ? "" : ", ", json_number_value(mem));
            first = false;
        }
        if (first)
            am_xbuf_adds(b, "no routing");
        am_xbuf_adds(b, ")");
    }
    am_xbuf_addf(b, ". Short query acceleration is %s. ", sqa ? "on" : "off");
    json_t *entry = am_ag_step_done(t, c->id, "assess", "%d x %s, %lld GB storage, %zu WLM "
                                    "queues: %s", c->nodes, c->node_type, c->storage_mb / 1024,
                                    n_q, names.p ? names.p : "");
    if (entry)
        json_object_set(entry, "queues", queues);
    json_decref(queues);
    am_xbuf_free(&names);
    if (n_q > 1)
        am_xbuf_adds(b,
            "Before migrating, choose: (A) a single Serverless workgroup; (B) a single workgroup "
            "that keeps the queues through its wlm_json_configuration parameter; (C) one namespace "
            "and workgroup per queue sharing data with datashares; or (D) independent restored "
            "copies. A Serverless namespace can have only one workgroup, so several workgroups "
            "always mean several namespaces.");
    json_decref(q);
    free(wlm);
    free(cl);
}

static void reply_plan(const struct am_ag_turn *t, struct am_xbuf *b)
{
    struct am_ag_cluster *cl;
    size_t n;
    char err[ERR_CAP];
    if (am_ag_describe_clusters(t->region, &cl, &n, err, sizeof err)) {
        am_xbuf_addf(b, "I could not read the clusters in %s: %s", t->region, err);
        return;
    }
    int k = pick_cluster(t, cl, n);
    if (k < 0) {
        am_xbuf_addf(b, "Which cluster should I plan for? %zu clusters are in %s.", n,
                     t->region);
        free(cl);
        return;
    }
    struct am_ag_cluster *c = &cl[k];
    int ram = am_ag_node_ram_gib(c->node_type) * c->nodes;
    int base = ram / 16;
    base = (base + 7) / 8 * 8;
    if (base < 8)
        base = 8;
    am_xbuf_addf(b, "Migration plan for %s (%d x %s in %s): ", c->id, c->nodes, c->node_type,
                 t->region);
    if (ram)
        am_xbuf_addf(b, "sizing starts at %d RPU base capacity (%d GiB of node memory / 16 "
                        "GiB per RPU), max capacity 512 RPU. ", base, ram);
    am_xbuf_adds(b, "Steps: 1. check the WLM queues and decide single vs multiple workgroups; "
                    "2. take a manual snapshot (CreateClusterSnapshot); 3. create the namespace "
                    "and workgroup (CreateNamespace, CreateWorkgroup); 4. restore the snapshot "
                    "by ARN (RestoreFromSnapshot) and wait until AVAILABLE; 5. apply settings and "
                    "usage limits; 6. repoint clients to the workgroup endpoint and validate; "
                    "7. cut over only after your explicit yes.");
    if (prefers(t, "dry run") || prefers(t, "dry-run"))
        am_xbuf_adds(b, " Per your preference, every changing step runs as a dry run first.");
    free(cl);
}

static void reply_decision(const struct am_ag_turn *t, struct am_xbuf *b)
{
    char wg[128] = "", cluster[128] = "the cluster";
    struct am_ag_cluster *cl;
    size_t n;
    char err[ERR_CAP];
    if (am_ag_describe_clusters(t->region, &cl, &n, err, sizeof err) == 0) {
        int k = pick_cluster(t, cl, n);
        if (k >= 0)
            snprintf(cluster, sizeof cluster, "%s", cl[k].id);
        free(cl);
    }
    bool multi = has(t->message, "multiple") || has(t->message, "per queue") ||
                 has(t->message, "one workgroup per");
    int r = rpus(t->message);
    word_after(t->message, "workgroup ", wg, sizeof wg);
    json_t *e = strcmp(cluster, "the cluster") == 0 ? NULL
                : multi ? am_ag_step_done(t, cluster, "plan", "one namespace and workgroup per "
                                                              "WLM queue")
                : *wg   ? am_ag_step_done(t, cluster, "plan", "single workgroup %s, %d RPUs", wg,
                                          r ? r : 128)
                        : am_ag_step_done(t, cluster, "plan", "single workgroup");
    if (e) {
        char ns[160];
        namespace_for(*wg ? wg : "migration-wg", ns, sizeof ns);
        json_object_set_new(e, "target", json_pack("{s:s, s:s, s:i, s:b}", "workgroup",
                                                   *wg ? wg : "migration-wg", "namespace", ns,
                                                   "rpu", r ? r : 128, "multiple", multi));
    }
    if (multi) {
        am_xbuf_addf(b, "Decision recorded for %s: migrate to one Redshift Serverless "
                        "namespace and workgroup per WLM queue", cluster);
    } else {
        am_xbuf_addf(b, "Decision recorded for %s: migrate to a single Redshift Serverless "
                        "workgroup", cluster);
        if (*wg)
            am_xbuf_addf(b, " %s", wg);
    }
    if (r && multi)
        am_xbuf_addf(b, ", splitting %d RPUs base capacity by each queue's memory share", r);
    else if (r)
        am_xbuf_addf(b, " with %d RPUs base capacity", r);
    am_xbuf_adds(b, ".");
    if (*wg && !multi) {
        char ns[160];
        namespace_for(wg, ns, sizeof ns);
        am_xbuf_addf(b, " Its namespace will be %s.", ns);
    }
    am_xbuf_adds(b, " Next step: take a snapshot of the cluster.");
    memory_off_note(t, b);
}

struct collect {
    json_t *seen;
    struct am_xbuf *b;
    const char *needle;
    int n;
    bool at_start;             /* the needle must open its sentence */
};

/* The end of the sentence at s: a '.' that ends a word ("ra3.4xlarge" and "1.5" go on). */
static const char *sentence_end(const char *s)
{
    for (; *s; s++)
        if (*s == '.' && (s[1] == '\0' || s[1] == ' ' || s[1] == '\n'))
            return s;
    return NULL;
}

static void collect_fn(const char *text, void *ud)
{
    struct collect *c = ud;
    /* case-sensitive: the markers are the agent's own wording; a dry run did nothing */
    const char *s = text && !strstr(text, "Dry run") ? strstr(text, c->needle) : NULL;
    if (!s)
        return;
    /* keep the sentence that holds the needle */
    const char *start = s;
    while (start > text && !(start[-1] == '\n' || (start - text >= 2 && start[-1] == ' ' &&
                                                     start[-2] == '.')))
        start--;
    while (*start == ' ')
        start++;
    if (c->at_start && start != s)
        return;                        /* the marker must open the sentence */
    const char *end = sentence_end(s);
    size_t len = end ? (size_t)(end - start) : strlen(start);
    char *one = strndup(start, len);
    if (!one)
        return;
    if (!json_object_get(c->seen, one)) {
        json_object_set_new(c->seen, one, json_true());
        am_xbuf_addf(c->b, "%s%s", c->n ? "; " : " ", one);
        c->n++;
    }
    free(one);
}

/* The migration checklist, derived from what the agent said earlier (its own sentences are
 * stable markers), so "where were we?" does not depend on extraction quality. */
static const struct step {
    const char *label, *marker;
} steps[] = {
    {"inventory", "Redshift cluster"},
    {"WLM reviewed", "WLM queue"},
    {"target decided", "Decision recorded"},
    {"snapshot taken", "Snapshot "},
    {"namespace and workgroup created", "Created Serverless namespace"},
    {"restore started", "Restore of "},
};

struct progress_state {
    bool done[sizeof steps / sizeof steps[0]];
};

static void progress_fn(const char *text, void *ud)
{
    struct progress_state *ps = ud;
    for (size_t i = 0; text && i < sizeof steps / sizeof steps[0]; i++)
        if (strstr(text, steps[i].marker) && !strstr(text, "Dry run") &&
            !strstr(text, "failed") && !strstr(text, "could not"))
            ps->done[i] = true;
}

static void progress(const struct am_ag_turn *t, struct am_xbuf *b)
{
    struct progress_state ps = {{false}};
    size_t i;
    json_t *v;
    json_array_foreach(t->facts, i, v) progress_fn(json_string_value(v), &ps);
    json_array_foreach(t->turns, i, v) {
        const char *role = json_string_value(json_object_get(v, "role")) ?: "";
        if (strcmp(role, "ASSISTANT") == 0 || strcmp(role, "TOOL") == 0)
            progress_fn(json_string_value(json_object_get(v, "text")), &ps);
    }
    am_xbuf_adds(b, " Progress:");
    const char *next = NULL;
    for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        am_xbuf_addf(b, "%s [%s] %s", i ? "," : "", ps.done[i] ? "x" : " ", steps[i].label);
        if (!ps.done[i] && !next)
            next = steps[i].label;
    }
    am_xbuf_addf(b, ". Next: %s.", next ? next : "wait for the restore to be AVAILABLE, then "
                                               "repoint clients and validate");
}

static void reply_recall(const struct am_ag_turn *t, struct am_xbuf *b)
{
    if (!t->memory_on) {
        am_xbuf_adds(b, "I have no memory in this call, so I cannot recall earlier decisions.");
        memory_off_note(t, b);
        return;
    }
    struct collect c = {json_object(), b, "Decision recorded", 0, false};
    am_xbuf_addf(b, "From memory of session %s:", t->session_id);
    /* long-term records first: they survive after the events expire */
    size_t i;
    json_t *v;
    json_array_foreach(t->facts, i, v) collect_fn(json_string_value(v), &c);
    json_array_foreach(t->summaries, i, v) collect_fn(json_string_value(v), &c);
    json_array_foreach(t->turns, i, v) collect_fn(json_string_value(json_object_get(v, "text")),
                                                  &c);
    if (c.n == 0)
        am_xbuf_adds(b, " no decision is recorded yet.");
    else
        am_xbuf_adds(b, ".");
    int n_dec = c.n;
    /* snapshots taken, then the clusters and WLM queues seen ("What clusters did we discuss
       yesterday?"), from the agent's own answers */
    static const char *const seen_markers[] = {"Snapshot ", "Redshift cluster", "WLM queue"};
    for (size_t k = 0; k < 3; k++) {
        c.needle = seen_markers[k];
        c.at_start = k == 0;
        c.n = 0;
        json_array_foreach(t->facts, i, v) collect_fn(json_string_value(v), &c);
        json_array_foreach(t->turns, i, v) {
            const char *role = json_string_value(json_object_get(v, "role")) ?: "";
            if (strcmp(role, "ASSISTANT") == 0 || strcmp(role, "TOOL") == 0)
                collect_fn(json_string_value(json_object_get(v, "text")), &c);
        }
        if (c.n)
            am_xbuf_adds(b, ".");
    }
    json_t *cur = am_ag_checklist_current(t);
    if (cur) {
        const char *k;
        json_t *e;
        am_ag_checklist_render(cur, b);
        json_object_foreach(t->checklist, k, e) if (e != cur) am_ag_checklist_render(e, b);
    } else {
        progress(t, b);
    }
    if (json_array_size(t->summaries))
        am_xbuf_addf(b, " Session summary: %s", json_string_value(json_array_get(t->summaries,
                                                                                 0)));
    am_xbuf_addf(b, " (%zu long-term records and %zu recent turns recalled; %d decisions.)",
                 json_array_size(t->facts) + json_array_size(t->summaries) +
                     json_array_size(t->prefs),
                 json_array_size(t->turns), n_dec);
    json_decref(c.seen);
}

static void reply_prefs(const struct am_ag_turn *t, struct am_xbuf *b)
{
    if (!t->memory_on) {
        am_xbuf_adds(b, "I have no memory in this call, so I know no preferences of yours.");
        memory_off_note(t, b);
        return;
    }
    json_t *p = preference_list(t), *v;
    size_t i;
    if (json_array_size(p) == 0) {
        am_xbuf_addf(b, "I have no preferences recorded for %s yet.", t->actor_id);
    } else {
        am_xbuf_addf(b, "Your preferences (%s):", t->actor_id);
        json_array_foreach(p, i, v) am_xbuf_addf(b, "%s %s", i ? ";" : "",
                                                  json_string_value(v));
        am_xbuf_adds(b, ".");
    }
    json_decref(p);
}

static void reply_pref_statement(const struct am_ag_turn *t, struct am_xbuf *b)
{
    am_xbuf_addf(b, "Noted your preference: \"%s\". I will apply it in your future sessions.",
                 t->message);
    memory_off_note(t, b);
}

/* Mutating steps run only when the user agreed: in this message ("now", "go ahead", ...)
 * or by a stored preference ("run changes without asking"). Asking for a dry run, or a
 * stored preference for dry runs, wins over a stored "without asking"; anything else is a
 * dry run that says how to run it for real. */
int am_ag_consents(const struct am_ag_turn *t)
{
    static const char *const agree[] = {"now", "for real", "go ahead", "do it", "yes",
                                        "confirm", "approved", NULL};
    if (has(t->message, "dry run") || has(t->message, "dry-run"))
        return -1;
    return has_any(t->message, agree) ? 1 : 0;
}

static bool dry_run(const struct am_ag_turn *t)
{
    int said = am_ag_consents(t);
    if (said)
        return said < 0;
    if (prefers(t, "dry run") || prefers(t, "dry-run"))
        return true;
    return !(prefers(t, "without asking") || prefers(t, "without confirmation") ||
             prefers(t, "no dry run"));
}

static void reply_snapshot(const struct am_ag_turn *t, struct am_xbuf *b)
{
    struct am_ag_cluster *cl;
    size_t n;
    char err[ERR_CAP], snap[192], ts[32];
    if (am_ag_describe_clusters(t->region, &cl, &n, err, sizeof err)) {
        am_xbuf_addf(b, "I could not read the clusters in %s: %s", t->region, err);
        return;
    }
    int k = pick_cluster(t, cl, n);
    if (k < 0) {
        am_xbuf_adds(b, "Which cluster should I snapshot?");
        free(cl);
        return;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y%m%d-%H%M%S", &tm);
    snprintf(snap, sizeof snap, "%s-migration-%s", cl[k].id, ts);
    if (dry_run(t)) {
        am_xbuf_addf(b, "Dry run: I would call CreateClusterSnapshot for %s with snapshot id "
                        "%s. Say \"take the snapshot now\" to run it.", cl[k].id, snap);
        free(cl);
        return;
    }
    char *arn, *status;
    if (am_ag_create_snapshot(t->region, cl[k].id, snap, &arn, &status, err, sizeof err))
        am_xbuf_addf(b, "Snapshot of %s failed: %s", cl[k].id, err);
    else {
        am_xbuf_addf(b, "Snapshot %s of %s started (status %s, ARN %s). Next step: create the "
                        "Serverless namespace and workgroup.", snap, cl[k].id,
                     status ? status : "?", arn ? arn : "?");
        json_t *e = am_ag_step_done(t, cl[k].id, "snapshot", "%s, %s", snap,
                                    status ? status : "?");
        if (e && arn)
            json_object_set_new(e, "snapshotArn", json_string(arn));
    }
    free(arn);
    free(status);
    free(cl);
}

struct decided {
    char wg[128];
    int rpu;
    char arn[512];
};

static void decided_fn(const char *text, void *ud)
{
    struct decided *d = ud;
    if (!text)
        return;
    if (has(text, "Decision recorded")) {
        char wg[128];
        const char *s = strcasestr(text, "Decision recorded");
        if (word_after(s, "workgroup ", wg, sizeof wg))
            snprintf(d->wg, sizeof d->wg, "%s", wg);
        int r = rpus(s);
        if (r)
            d->rpu = r;
    }
    const char *a = strstr(text, "arn:aws:redshift:");
    if (a && strstr(a, ":snapshot:")) {
        size_t len = strcspn(a, " ,;)\"");
        if (len > 0 && a[len - 1] == '.')
            len--;
        snprintf(d->arn, sizeof d->arn, "%.*s", (int)len, a);
    }
}

static void target_names(const struct am_ag_turn *t, struct decided *d, char *ns, size_t cap)
{
    memset(d, 0, sizeof *d);
    each_text(t, decided_fn, d);
    /* the checklist is exact where the texts are recalled by relevance */
    json_t *e = am_ag_checklist_current(t), *tg = json_object_get(e, "target");
    const char *v = json_string_value(json_object_get(tg, "workgroup"));
    if (v && !json_is_true(json_object_get(tg, "multiple")))
        snprintf(d->wg, sizeof d->wg, "%s", v);
    if (json_integer_value(json_object_get(tg, "rpu")) > 0)
        d->rpu = (int)json_integer_value(json_object_get(tg, "rpu"));
    if ((v = json_string_value(json_object_get(e, "snapshotArn"))))
        snprintf(d->arn, sizeof d->arn, "%s", v);
    decided_fn(t->message, d);
    char wg[128];
    if (word_after(t->message, "workgroup ", wg, sizeof wg))
        snprintf(d->wg, sizeof d->wg, "%s", wg);
    if (!*d->wg)
        snprintf(d->wg, sizeof d->wg, "migration-wg");
    namespace_for(d->wg, ns, cap);
    if (!d->rpu)
        d->rpu = 128;
}

/* ---- the Serverless steps, shared by the one-workgroup and the per-queue paths ---- */

/* CreateNamespace (manageAdminPassword), then CreateWorkgroup in it. 0, or -1 with the failed
 * call said in b. *ns_made tells whether the namespace exists; *wg_status (when not NULL)
 * receives the new workgroup's status (caller frees). */
static int create_pair(const struct am_ag_turn *t, const char *ns, const char *wg, int rpu,
                       bool *ns_made, char **wg_status, struct am_xbuf *b)
{
    char err[ERR_CAP];
    json_t *out = NULL, *req = json_pack("{s:s, s:b}", "namespaceName", ns,
                                         "manageAdminPassword", 1);
    *ns_made = false;
    int rc = am_ag_serverless(t->region, "CreateNamespace", req, &out, err, sizeof err);
    json_decref(req);
    json_decref(out);
    if (rc) {
        am_xbuf_addf(b, "CreateNamespace %s failed: %s", ns, err);
        return -1;
    }
    *ns_made = true;
    req = json_pack("{s:s, s:s, s:i, s:i}", "workgroupName", wg, "namespaceName", ns,
                    "baseCapacity", rpu, "maxCapacity", rpu > 512 ? rpu : 512);
    rc = am_ag_serverless(t->region, "CreateWorkgroup", req, &out, err, sizeof err);
    json_decref(req);
    if (rc) {
        am_xbuf_addf(b, "Namespace %s created, but CreateWorkgroup %s failed: %s", ns, wg, err);
        return -1;
    }
    if (wg_status) {
        const char *st = json_string_value(json_object_get(json_object_get(out, "workgroup"),
                                                           "status"));
        *wg_status = strdup(st ? st : "?");
    }
    json_decref(out);
    return 0;
}

/* RestoreFromSnapshot into ns/wg, or GetNamespace of ns (wg NULL): 0 with *status (the
 * namespace's, caller frees), or -1 with err. */
static int namespace_call(const struct am_ag_turn *t, const char *ns, const char *wg,
                          const char *arn, char **status, char *err, size_t cap)
{
    json_t *out = NULL, *req = wg ? json_pack("{s:s, s:s, s:s}", "namespaceName", ns,
                                              "workgroupName", wg, "snapshotArn", arn)
                                  : json_pack("{s:s}", "namespaceName", ns);
    int rc = am_ag_serverless(t->region, wg ? "RestoreFromSnapshot" : "GetNamespace", req, &out,
                              err, cap);
    json_decref(req);
    if (rc == 0) {
        const char *st = json_string_value(json_object_get(json_object_get(out, "namespace"),
                                                           "status"));
        *status = strdup(st ? st : "?");
    }
    json_decref(out);
    return rc;
}

/* ---- several workgroups: one namespace and workgroup per WLM queue -------------------
 * A Serverless namespace has one workgroup, so "one workgroup per queue" means one namespace
 * per queue; each gets its own restored copy of the snapshot (option D). Sharing data between
 * them with datashares (option C) is left to people. */

/* [{queue, namespace, workgroup, rpu}] for the entry's multiple decision (new reference), or
 * NULL when it has none or no assessed queues. The decided RPUs are split by each queue's
 * memory share (evenly when unknown), in steps of 8, at least 8. */
static json_t *queue_targets(json_t *e, int total_rpu)
{
    json_t *queues = json_object_get(e, "queues"), *q;
    size_t i, n = json_array_size(queues);
    if (!json_is_true(json_object_get(json_object_get(e, "target"), "multiple")) || !n)
        return NULL;
    const char *cluster = json_string_value(json_object_get(e, "cluster")) ?: "cluster";
    json_t *out = json_array();
    json_array_foreach(queues, i, q) {
        const char *name = json_string_value(json_object_get(q, "name")) ?: "queue";
        double mem = json_number_value(json_object_get(q, "memory"));
        char base[64], wg[72], ns[72];
        size_t k = 0;
        /* Serverless names: lower-case letters, digits and hyphens, 3 to 64 */
        for (const char *p = cluster; *p && k < 40; p++)
            base[k++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '-';
        base[k++] = '-';
        for (const char *p = name; *p && k < 60; p++)
            base[k++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '-';
        base[k] = '\0';
        snprintf(wg, sizeof wg, "%s-wg", base);
        snprintf(ns, sizeof ns, "%s-ns", base);
        int rpu = mem > 0 ? (int)(total_rpu * mem / 100.0) : total_rpu / (int)n;
        rpu = (rpu + 7) / 8 * 8;
        if (rpu < 8)
            rpu = 8;
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:i}", "queue", name,
                                             "namespace", ns, "workgroup", wg, "rpu", rpu));
    }
    return out;
}

static void reply_create_multi(const struct am_ag_turn *t, json_t *e, const struct decided *d,
                               struct am_xbuf *b)
{
    const char *cluster = json_string_value(json_object_get(e, "cluster"));
    json_t *tq = queue_targets(e, d->rpu), *q;
    size_t i, done = 0;
    if (!tq) {
        am_xbuf_addf(b, "You decided on one workgroup per WLM queue for %s, but I have not read "
                        "its queues yet: ask me to show the WLM queues of %s first.",
                     cluster ? cluster : "the cluster", cluster ? cluster : "the cluster");
        return;
    }
    if (dry_run(t)) {
        am_xbuf_addf(b, "Dry run: I would create %zu namespace and workgroup pairs, one per WLM "
                        "queue of %s:", json_array_size(tq), cluster);
        json_array_foreach(tq, i, q) am_xbuf_addf(
            b, "%s %s (CreateNamespace %s, CreateWorkgroup %s with %lld RPUs)", i ? ";" : "",
            json_string_value(json_object_get(q, "queue")),
            json_string_value(json_object_get(q, "namespace")),
            json_string_value(json_object_get(q, "workgroup")),
            (long long)json_integer_value(json_object_get(q, "rpu")));
        am_xbuf_adds(b, ". Say \"create them now\" to run it.");
        json_decref(tq);
        return;
    }
    struct am_xbuf made = AM_AG_BUF_INIT;
    json_array_foreach(tq, i, q) {
        const char *ns = json_string_value(json_object_get(q, "namespace"));
        const char *wg = json_string_value(json_object_get(q, "workgroup"));
        int rpu = (int)json_integer_value(json_object_get(q, "rpu"));
        bool ns_made;
        if (create_pair(t, ns, wg, rpu, &ns_made, NULL, b))
            break;
        am_xbuf_addf(&made, "%s%s: namespace %s and workgroup %s (%d RPUs base)",
                     done ? "; " : "", json_string_value(json_object_get(q, "queue")), ns, wg,
                     rpu);
        done++;
    }
    if (done == json_array_size(tq)) {
        am_xbuf_addf(b, "Created %zu Serverless namespaces and workgroups for %s, one per WLM "
                        "queue: %s. Next step: restore the snapshot into each of them "
                        "(independent copies; use datashares if they must share live data).",
                     done, cluster, made.p ? made.p : "");
        json_object_set(e, "targets", tq);
        am_ag_step_done(t, cluster, "namespace", "%zu namespaces, one per WLM queue", done);
        am_ag_step_done(t, cluster, "workgroup", "%s", made.p ? made.p : "");
    } else if (done) {
        am_xbuf_addf(b, " Created before that: %s.", made.p);
    }
    am_xbuf_free(&made);
    json_decref(tq);
}

static void reply_restore_multi(const struct am_ag_turn *t, json_t *e, const struct decided *d,
                                struct am_xbuf *b)
{
    const char *cluster = json_string_value(json_object_get(e, "cluster"));
    json_t *tq = json_object_get(e, "targets"), *q;
    char err[ERR_CAP];
    size_t i, done = 0;
    if (dry_run(t)) {
        am_xbuf_addf(b, "Dry run: I would call RestoreFromSnapshot from %s into each of the %zu "
                        "namespaces of %s. Say \"restore the snapshot now\" to run it.", d->arn,
                     json_array_size(tq), cluster);
        return;
    }
    json_array_foreach(tq, i, q) {
        char *st = NULL;
        int rc = namespace_call(t, json_string_value(json_object_get(q, "namespace")),
                                json_string_value(json_object_get(q, "workgroup")), d->arn, &st,
                                err, sizeof err);
        free(st);
        if (rc) {
            am_xbuf_addf(b, "RestoreFromSnapshot into %s failed: %s. ",
                         json_string_value(json_object_get(q, "namespace")), err);
            break;
        }
        done++;
    }
    am_xbuf_addf(b, "Restore of %s started into %zu of %zu namespaces of %s. Ask for the status "
                    "until they are AVAILABLE.", d->arn, done, json_array_size(tq), cluster);
    if (done == json_array_size(tq))
        am_ag_step_done(t, cluster, "restore", "into %zu namespaces", done);
}

static void reply_check_multi(const struct am_ag_turn *t, json_t *e, struct am_xbuf *b)
{
    const char *cluster = json_string_value(json_object_get(e, "cluster"));
    json_t *tq = json_object_get(e, "targets"), *q;
    char err[ERR_CAP];
    size_t i, available = 0;
    am_xbuf_addf(b, "Namespaces of %s:", cluster);
    json_array_foreach(tq, i, q) {
        const char *ns = json_string_value(json_object_get(q, "namespace"));
        char *st = NULL;
        int rc = namespace_call(t, ns, NULL, NULL, &st, err, sizeof err);
        am_xbuf_addf(b, "%s %s %s", i ? "," : "", ns, rc ? "unreadable" : st);
        available += !rc && strcmp(st, "AVAILABLE") == 0;
        free(st);
    }
    if (available == json_array_size(tq) && am_ag_step_is_done(e, "restore")) {
        am_xbuf_addf(b, ". Restore complete: all %zu namespaces are AVAILABLE. Next step: repoint "
                        "each queue's users to its workgroup and validate.", available);
        am_ag_step_done(t, cluster, "available", "%zu namespaces", available);
    } else {
        am_xbuf_addf(b, ". %zu of %zu are AVAILABLE%s.", available, json_array_size(tq),
                     am_ag_step_is_done(e, "restore") ? "; the restore is still running, ask "
                                                        "again later" : "");
    }
}

static bool multiple_decided(json_t *e)
{
    return json_is_true(json_object_get(json_object_get(e, "target"), "multiple"));
}

static void reply_create_target(const struct am_ag_turn *t, struct am_xbuf *b)
{
    struct decided d;
    char ns[160];
    target_names(t, &d, ns, sizeof ns);
    if (multiple_decided(am_ag_checklist_current(t))) {
        reply_create_multi(t, am_ag_checklist_current(t), &d, b);
        return;
    }
    if (dry_run(t)) {
        am_xbuf_addf(b, "Dry run: I would call CreateNamespace %s (manageAdminPassword) and "
                        "CreateWorkgroup %s with %d RPUs base capacity. Say \"create them "
                        "now\" to run it.", ns, d.wg, d.rpu);
        return;
    }
    const char *cluster = json_string_value(json_object_get(am_ag_checklist_current(t),
                                                            "cluster"));
    bool ns_made;
    char *st = NULL;
    int rc = create_pair(t, ns, d.wg, d.rpu, &ns_made, &st, b);
    if (ns_made)
        am_ag_step_done(t, cluster, "namespace", "%s", ns);
    if (rc)
        return;
    am_xbuf_addf(b, "Created Serverless namespace %s and workgroup %s (%d RPUs base, status "
                    "%s). Next step: restore the snapshot into it.", ns, d.wg, d.rpu,
                 st ? st : "?");
    am_ag_step_done(t, cluster, "workgroup", "%s, %d RPUs", d.wg, d.rpu);
    free(st);
}

static void reply_restore(const struct am_ag_turn *t, struct am_xbuf *b)
{
    struct decided d;
    char ns[160], err[ERR_CAP];
    target_names(t, &d, ns, sizeof ns);
    if (!*d.arn) {
        am_xbuf_adds(b, "I need the snapshot ARN to restore: take a snapshot first (\"take the "
                        "snapshot now\") or give me its ARN.");
        return;
    }
    json_t *e = am_ag_checklist_current(t);
    if (multiple_decided(e) && json_array_size(json_object_get(e, "targets"))) {
        reply_restore_multi(t, e, &d, b);
        return;
    }
    if (dry_run(t)) {
        am_xbuf_addf(b, "Dry run: I would call RestoreFromSnapshot into namespace %s and "
                        "workgroup %s from %s.", ns, d.wg, d.arn);
        return;
    }
    char *st = NULL;
    if (namespace_call(t, ns, d.wg, d.arn, &st, err, sizeof err)) {
        am_xbuf_addf(b, "RestoreFromSnapshot failed: %s", err);
        return;
    }
    am_xbuf_addf(b, "Restore of %s into namespace %s started (status %s). Ask for the status "
                    "until it is AVAILABLE.", d.arn, ns, st);
    am_ag_step_done(t, json_string_value(json_object_get(e, "cluster")), "restore", "into %s",
                    ns);
    free(st);
}

/* "Is the snapshot ready?", "is the restore done?": live status of the latest step taken. */
static void reply_check(const struct am_ag_turn *t, struct am_xbuf *b)
{
    struct decided d;
    char ns[160], err[ERR_CAP];
    struct progress_state ps = {{false}};
    size_t i;
    json_t *v;

    target_names(t, &d, ns, sizeof ns);
    json_array_foreach(t->turns, i, v) {
        const char *role = json_string_value(json_object_get(v, "role")) ?: "";
        if (strcmp(role, "ASSISTANT") == 0 || strcmp(role, "TOOL") == 0)
            progress_fn(json_string_value(json_object_get(v, "text")), &ps);
    }
    json_t *e = am_ag_checklist_current(t);
    const char *cluster = json_string_value(json_object_get(e, "cluster"));
    if (multiple_decided(e) && json_array_size(json_object_get(e, "targets")) &&
        !has(t->message, "snapshot")) {
        reply_check_multi(t, e, b);
        return;
    }
    ps.done[5] = ps.done[5] || am_ag_step_is_done(e, "restore");
    ps.done[4] = ps.done[4] || am_ag_step_is_done(e, "namespace");
    if (ps.done[5] || ps.done[4]) {          /* restore started, or the target exists */
        char *st = NULL;
        if (namespace_call(t, ns, NULL, NULL, &st, err, sizeof err)) {
            am_xbuf_addf(b, "I could not read namespace %s: %s", ns, err);
            return;
        }
        if (ps.done[5] && strcmp(st, "AVAILABLE") == 0) {
            am_xbuf_addf(b, "Restore complete: namespace %s is AVAILABLE. Next step: repoint "
                            "clients to workgroup %s and validate.", ns, d.wg);
            am_ag_step_done(t, cluster, "available", "namespace %s", ns);
        } else {
            am_xbuf_addf(b, "Namespace %s is %s%s.", ns, st,
                         ps.done[5] ? "; the restore is still running, ask again later" : "");
        }
        free(st);
        return;
    }
    if (*d.arn) {
        const char *id = strrchr(d.arn, '/');
        char *st = NULL;
        if (am_ag_snapshot_status(t->region, id ? id + 1 : d.arn, &st, err, sizeof err)) {
            am_xbuf_addf(b, "I could not read the snapshot status: %s", err);
            return;
        }
        am_xbuf_addf(b, "Snapshot %s is %s.%s", id ? id + 1 : d.arn, st ? st : "?",
                     st && strcmp(st, "available") == 0 ?
                         " Next step: create the Serverless namespace and workgroup." : "");
        if (st && strcmp(st, "available") == 0 && am_ag_step_is_done(e, "snapshot"))
            am_ag_step_done(t, cluster, "snapshot", "%s, available", id ? id + 1 : d.arn);
        free(st);
        return;
    }
    am_xbuf_adds(b, "Nothing is running yet: no snapshot or restore was started in this "
                    "session.");
    memory_off_note(t, b);
}

static void reply_serverless(const struct am_ag_turn *t, struct am_xbuf *b)
{
    char err[ERR_CAP];
    json_t *ns = NULL, *wg = NULL, *req = json_object(), *v;
    size_t i;
    if (am_ag_serverless(t->region, "ListNamespaces", req, &ns, err, sizeof err) ||
        am_ag_serverless(t->region, "ListWorkgroups", req, &wg, err, sizeof err)) {
        am_xbuf_addf(b, "I could not list Redshift Serverless resources in %s: %s", t->region,
                     err);
        goto out;
    }
    am_xbuf_addf(b, "In %s Redshift Serverless has %zu namespace(s)", t->region,
                 json_array_size(json_object_get(ns, "namespaces")));
    json_array_foreach(json_object_get(ns, "namespaces"), i, v) am_xbuf_addf(
        b, "%s%s (%s)", i ? ", " : ": ",
        json_string_value(json_object_get(v, "namespaceName")) ?: "?",
        json_string_value(json_object_get(v, "status")) ?: "?");
    am_xbuf_addf(b, " and %zu workgroup(s)", json_array_size(json_object_get(wg,
                                                                             "workgroups")));
    json_array_foreach(json_object_get(wg, "workgroups"), i, v) am_xbuf_addf(
        b, "%s%s (%s, %lld RPUs)", i ? ", " : ": ",
        json_string_value(json_object_get(v, "workgroupName")) ?: "?",
        json_string_value(json_object_get(v, "status")) ?: "?",
        (long long)json_integer_value(json_object_get(v, "baseCapacity")));
    am_xbuf_adds(b, ".");
out:
    json_decref(req);
    json_decref(ns);
    json_decref(wg);
}

const char *am_ag_intent_name(int intent)
{
    static const char *const names[] = {
        [AM_AG_HELP] = "help", [AM_AG_PREFS_QUERY] = "preferences?",
        [AM_AG_PREF_STATEMENT] = "preference", [AM_AG_DECISION] = "decision",
        [AM_AG_CHECK] = "check", [AM_AG_RECALL] = "recall", [AM_AG_RESTORE] = "restore",
        [AM_AG_CREATE_TARGET] = "create target", [AM_AG_SNAPSHOT] = "snapshot",
        [AM_AG_WLM] = "wlm", [AM_AG_PLAN] = "plan", [AM_AG_CLUSTERS] = "clusters",
        [AM_AG_SERVERLESS] = "serverless"};
    return intent >= 0 && intent <= AM_AG_SERVERLESS ? names[intent] : "?";
}

int am_ag_intent(const char *m)
{
    static const char *const pref_q[] = {"my preference", "what do i prefer", "what did i prefer",
                                         "preferences", NULL};
    static const char *const pref_s[] = {"i prefer", "i always", "i like", "please always",
                                         "my preference is", "i want every", NULL};
    static const char *const recall[] = {"decide", "decision", "where were we", "remember",
                                         "progress", "recap", "status", "so far", "discuss",
                                         "we found", "what did we", NULL};
    static const char *const decide[] = {"let's use", "lets use", "let us use", "we will use",
                                         "we'll use", "go with", "decided to use", "choose a",
                                         "we choose", NULL};
    static const char *const create[] = {"create the namespace", "create the workgroup",
                                         "create namespace", "create workgroup",
                                         "create the serverless", "create them", NULL};
    static const char *const check[] = {"ready", "done", "finished", "complete", "is the ",
                                        "status of", NULL};

    if (has_any(m, pref_q) && is_question(m))
        return AM_AG_PREFS_QUERY;
    if (has_any(m, pref_s))
        return AM_AG_PREF_STATEMENT;
    if (has_any(m, decide))
        return AM_AG_DECISION;
    if (has_any(m, check) && (has(m, "snapshot") || has(m, "restore")))
        return AM_AG_CHECK;
    if ((has(m, "wlm") || has(m, "queue")) && is_question(m) && has(m, "we "))
        return AM_AG_WLM;            /* "What were the WLM queues we found?": look again */
    if (has_any(m, recall))
        return AM_AG_RECALL;
    if (has(m, "restore"))
        return AM_AG_RESTORE;
    if (has_any(m, create))
        return AM_AG_CREATE_TARGET;
    if (has(m, "snapshot"))
        return AM_AG_SNAPSHOT;
    if (has(m, "wlm") || has(m, "queue"))
        return AM_AG_WLM;
    if (has(m, "plan") || has(m, "migrat") || has(m, "sizing") || has(m, "size ") ||
        has(m, "proceed"))
        return AM_AG_PLAN;
    if (has(m, "cluster"))
        return AM_AG_CLUSTERS;
    if (has(m, "workgroup") || has(m, "namespace") || has(m, "serverless"))
        return AM_AG_SERVERLESS;
    return AM_AG_HELP;
}

char *am_ag_reason(const struct am_ag_turn *t)
{
    static void (*const reply[])(const struct am_ag_turn *, struct am_xbuf *) = {
        [AM_AG_HELP] = reply_help, [AM_AG_PREFS_QUERY] = reply_prefs,
        [AM_AG_PREF_STATEMENT] = reply_pref_statement, [AM_AG_DECISION] = reply_decision,
        [AM_AG_CHECK] = reply_check, [AM_AG_RECALL] = reply_recall,
        [AM_AG_RESTORE] = reply_restore, [AM_AG_CREATE_TARGET] = reply_create_target,
        [AM_AG_SNAPSHOT] = reply_snapshot, [AM_AG_WLM] = reply_wlm, [AM_AG_PLAN] = reply_plan,
        [AM_AG_CLUSTERS] = reply_clusters, [AM_AG_SERVERLESS] = reply_serverless};
    struct am_xbuf b = AM_AG_BUF_INIT;
    reply[am_ag_intent(t->message)](t, &b);
    return am_xbuf_take(&b);
}
