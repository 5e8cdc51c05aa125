/*
 * bench_extract.c - measure the built-in extractors on LoCoMo (dev part).
 *
 *   build/bench_extract [/work/shared/data/locomo/locomo-dev.json] [--dump]
 *
 * Each session of each conversation is one extraction batch: one turn per dia_id, both
 * speakers as USER turns with their names (LoCoMo has two people, no assistant), the event
 * id set to the dia_id so that a candidate's sources name the turns it came from, and the
 * timestamp from session_N_date_time. Reported:
 *   - facts and preferences extracted, per turn;
 *   - observation coverage: share of gpt-3.5 `observation` facts whose source dia_id is a
 *     source of at least one extracted fact (recall of fact-bearing turns);
 *   - fact precision proxy: share of extracted facts whose source turn has an observation;
 *   - QA evidence coverage: share of evidence turns of QA categories 1-4 that are a source
 *     of an extracted fact or preference (unique turns);
 *   - ROUGE-1 recall (and precision) of the summary against session_summary, for TextRank
 *     and for a lead baseline (the first sentences, same budget);
 *   - time per 1,000 turns for each extractor.
 * The observations and summaries are machine-made (gpt-3.5), so they are a yardstick, not
 * ground truth. --dump prints every fact for inspection.
 */
#include "extract/extract.h"

#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TURNS 1024
#define MAX_IDS 8192

struct idset {
    char *v[MAX_IDS];
    size_t n;
};

static bool idset_has(const struct idset *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], id) == 0)
            return true;
    return false;
}

static void idset_add(struct idset *s, const char *id)
{
    if (s->n < MAX_IDS && !idset_has(s, id))
        s->v[s->n++] = strdup(id);
}

static void idset_clear(struct idset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    s->n = 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "1:56 pm on 8 May, 2023" -> ms since the epoch (UTC); 0 if it does not parse. */
static int64_t parse_locomo_date(const char *s)
{
    static const char *const months[] = {"January", "February", "March", "April", "May",
                                         "June", "July", "August", "September", "October",
                                         "November", "December"};
    int hh, mm, day, year;
    char ampm[3], mon[16];
    if (sscanf(s, "%d:%d %2s on %d %15[^,], %d", &hh, &mm, ampm, &day, mon, &year) != 6)
        return 0;
    struct tm tm = {0};
    for (int i = 0; i < 12; i++)
        if (strcmp(mon, months[i]) == 0)
            tm.tm_mon = i + 1;
    if (!tm.tm_mon)
        return 0;
    tm.tm_mon -= 1;
    if (hh == 12)
        hh = 0;
    if (ampm[0] == 'p')
        hh += 12;
    tm.tm_year = year - 1900;
    tm.tm_mday = day;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    return (int64_t)timegm(&tm) * 1000;
}

/* Repair an evidence or observation id list ("D8:6; D9:17", "D:11:26", "D30:05") and add
 * the ids that exist in `valid` to out. */
static void add_ids(const char *raw, const struct idset *valid, struct idset *out)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", raw);
    for (char *p = buf; *p; p++)
        if (*p == ';' || *p == ',')
            *p = ' ';
    char *next = buf;
    while (*next) {
        while (*next == ' ')
            next++;
        if (!*next)
            break;
        char *tok = next;
        while (*next && *next != ' ')
            next++;
        if (*next)
            *next++ = '\0';
        char id[64];
        size_t k = 0;
        for (const char *p = tok; *p && k < sizeof id - 1; p++) {
            if (*p == ':' && k > 0 && id[k - 1] == 'D')
                continue;   /* "D:11:26" */
            id[k++] = *p;
        }
        id[k] = '\0';
        char *colon = strchr(id, ':');
        if (!colon || id[0] != 'D')
            continue;
        char *num = colon + 1;
        while (num[0] == '0' && num[1])
            memmove(num, num + 1, strlen(num));
        if (idset_has(valid, id))
            idset_add(out, id);
    }
}

static void add_json_ids(json_t *v, const struct idset *valid, struct idset *out)
{
    if (json_is_string(v)) {
        add_ids(json_string_value(v), valid, out);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) add_json_ids(x, valid, out);
    }
}

/* Sources of a candidate: the eventIds of its sources_json. */
static void add_sources(const char *sources_json, struct idset *out)
{
    json_error_t err;
    json_t *a = json_loads(sources_json, 0, &err);
    size_t i;
    json_t *x;
    if (!a)
        return;
    json_array_foreach(a, i, x) {
        const char *id = json_string_value(json_object_get(x, "eventId"));
        if (id)
            idset_add(out, id);
    }
    json_decref(a);
}

/* ---- ROUGE-1 ----------------------------------------------------------------------------- */

#define MAX_WORDS 4096
struct bag {
    char *w[MAX_WORDS];
    int c[MAX_WORDS];
    size_t n;
    int total;
};

static void bag_add_text(struct bag *b, const char *s)
{
    bool in_tag = false;
    char word[64];
    size_t k = 0;
    for (const char *p = s;; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '<')
            in_tag = true;
        bool alnum = !in_tag && ch && (isalnum(ch) || ch >= 0x80);
        if (alnum && k < sizeof word - 1) {
            word[k++] = (char)tolower(ch);
        } else if (!alnum && k) {
            word[k] = '\0';
            k = 0;
            size_t i = 0;
            while (i < b->n && strcmp(b->w[i], word) != 0)
                i++;
            if (i == b->n && b->n < MAX_WORDS) {
                b->w[b->n] = strdup(word);
                b->c[b->n++] = 0;
            }
            if (i < b->n) {
                b->c[i]++;
                b->total++;
            }
        }
        if (ch == '>')
            in_tag = false;
        if (!ch)
            break;
    }
}

static void bag_free(struct bag *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->w[i]);
    b->n = 0;
    b->total = 0;
}

/* Clipped unigram overlap of hyp against ref. */
static int bag_overlap(const struct bag *hyp, const struct bag *ref)
{
    int o = 0;
    for (size_t i = 0; i < ref->n; i++)
        for (size_t j = 0; j < hyp->n; j++)
            if (strcmp(ref->w[i], hyp->w[j]) == 0) {
                o += ref->c[i] < hyp->c[j] ? ref->c[i] : hyp->c[j];
                break;
            }
    return o;
}

/* ---- the run ------------------------------------------------------------------------------- */

struct totals {
    size_t turns, sessions, facts, prefs, summaries, fact_keys;
    size_t obs, obs_covered, facts_with_obs, turns_with_obs;
    size_t ev, ev_covered, ev_covered_facts_only;
    double t_facts, t_prefs, t_summary;
    double r1_overlap[3], r1_ref[3], r1_hyp[3];   /* textrank@1000, textrank@2000, lead@1000 */
};

static char *lead_baseline(const struct am_turn *turns, size_t n, size_t max)
{
    char *s = calloc(1, max + 1);
    size_t len = 0;
    for (size_t i = 0; s && i < n; i++) {
        size_t l = strlen(turns[i].text) + strlen(turns[i].speaker) + 3;
        if (len + l > max)
            break;
        len += (size_t)snprintf(s + len, max + 1 - len, "%s: %s ", turns[i].speaker,
                                turns[i].text);
    }
    return s;
}

static void score_summary(struct totals *T, int slot, const char *hyp, const char *ref)
{
    struct bag h = {0}, r = {0};
    bag_add_text(&h, hyp);
    bag_add_text(&r, ref);
    T->r1_overlap[slot] += bag_overlap(&h, &r);
    T->r1_ref[slot] += r.total;
    T->r1_hyp[slot] += h.total;
    bag_free(&h);
    bag_free(&r);
}

static int run_conversation(json_t *conv_item, struct totals *T, bool dump)
{
    json_t *conv = json_object_get(conv_item, "conversation");
    json_t *obs = json_object_get(conv_item, "observation");
    json_t *sums = json_object_get(conv_item, "session_summary");
    json_t *qa = json_object_get(conv_item, "qa");
    static struct am_turn turns[MAX_TURNS];
    static struct idset valid, fact_src, pref_src, obs_ids, ev_ids;
    char key[64];

    idset_clear(&valid);
    idset_clear(&fact_src);
    idset_clear(&pref_src);
    idset_clear(&ev_ids);
    for (int sn = 1; sn < 100; sn++) {
        snprintf(key, sizeof key, "session_%d", sn);
        json_t *sess = json_object_get(conv, key);
        if (!json_is_array(sess) || json_array_size(sess) == 0)
            continue;
        snprintf(key, sizeof key, "session_%d_date_time", sn);
        const char *when = json_string_value(json_object_get(conv, key));
        int64_t ts = parse_locomo_date(when ? when : "");
        size_t n = 0, i;
        json_t *t;
        json_array_foreach(sess, i, t) {
            if (n == MAX_TURNS)
                break;
            turns[n].role = AM_ROLE_USER;
            turns[n].speaker = json_string_value(json_object_get(t, "speaker"));
            turns[n].text = json_string_value(json_object_get(t, "text"));
            turns[n].event_id = json_string_value(json_object_get(t, "dia_id"));
            turns[n].ts_ms = ts;
            turns[n].index = 0;
            if (!turns[n].text || !turns[n].event_id)
                continue;
            idset_add(&valid, turns[n].event_id);
            n++;
        }
        T->turns += n;
        T->sessions++;

        struct am_candidates facts = {0}, prefs = {0}, sum = {0}, sum2 = {0};
        double t0 = now_s();
        if (am_extract_facts(turns, n, &facts))
            return -1;
        double t1 = now_s();
        if (am_extract_preferences(turns, n, &prefs))
            return -1;
        double t2 = now_s();
        if (am_extract_summary(turns, n, 1000, &sum))
            return -1;
        double t3 = now_s();
        if (am_extract_summary(turns, n, 2000, &sum2))
            return -1;
        T->t_facts += t1 - t0;
        T->t_prefs += t2 - t1;
        T->t_summary += t3 - t2;
        T->facts += facts.n;
        T->prefs += prefs.n;
        T->summaries += sum.n;

        /* observations of this session */
        idset_clear(&obs_ids);
        snprintf(key, sizeof key, "session_%d_observation", sn);
        json_t *so = json_object_get(obs, key);
        const char *spk;
        json_t *list;
        struct idset sess_fact_src = {0};
        for (size_t k = 0; k < facts.n; k++)
            add_sources(facts.items[k].sources_json, &sess_fact_src);
        json_object_foreach(so, spk, list) {
            size_t j;
            json_t *o;
            json_array_foreach(list, j, o) {
                struct idset one = {0};
                add_json_ids(json_array_get(o, 1), &valid, &one);
                bool cov = false;
                for (size_t q = 0; q < one.n; q++) {
                    cov = cov || idset_has(&sess_fact_src, one.v[q]);
                    idset_add(&obs_ids, one.v[q]);
                }
                T->obs++;
                T->obs_covered += cov;
                idset_clear(&one);
            }
        }
        for (size_t k = 0; k < n; k++)
            T->turns_with_obs += idset_has(&obs_ids, turns[k].event_id);
        for (size_t k = 0; k < facts.n; k++) {
            struct idset one = {0};
            add_sources(facts.items[k].sources_json, &one);
            bool has = false;
            for (size_t q = 0; q < one.n; q++)
                has = has || idset_has(&obs_ids, one.v[q]);
            T->facts_with_obs += has;
            T->fact_keys += facts.items[k].key != NULL;
            if (dump)
                printf("%s %-8s %s%s%s\n", one.n ? one.v[0] : "?", has ? "[obs]" : "", facts.items[k].text,
                       facts.items[k].key ? "  key=" : "", facts.items[k].key ? facts.items[k].key : "");
            idset_clear(&one);
        }
        if (dump)
            for (size_t k = 0; k < prefs.n; k++)
                printf("PREF %s\n", prefs.items[k].text);
        for (size_t k = 0; k < facts.n; k++)
            add_sources(facts.items[k].sources_json, &fact_src);
        for (size_t k = 0; k < prefs.n; k++)
            add_sources(prefs.items[k].sources_json, &pref_src);
        idset_clear(&sess_fact_src);

        snprintf(key, sizeof key, "session_%d_summary", sn);
        const char *ref = json_string_value(json_object_get(sums, key));
        if (ref) {
            char *lead = lead_baseline(turns, n, 1000);
            score_summary(T, 0, sum.n ? sum.items[0].text : "", ref);
            score_summary(T, 1, sum2.n ? sum2.items[0].text : "", ref);
            score_summary(T, 2, lead ? lead : "", ref);
            if (dump && sum.n)
                printf("SUMMARY %s\n%s\nREF %s\n", key, sum.items[0].text, ref);
            free(lead);
        }
        am_candidates_free(&facts);
        am_candidates_free(&prefs);
        am_candidates_free(&sum);
        am_candidates_free(&sum2);
    }
    /* QA evidence, categories 1-4, unique turns */
    size_t i;
    json_t *q;
    json_array_foreach(qa, i, q) {
        json_int_t cat = json_integer_value(json_object_get(q, "category"));
        if (cat < 1 || cat > 4)
            continue;
        add_json_ids(json_object_get(q, "evidence"), &valid, &ev_ids);
    }
    for (size_t k = 0; k < ev_ids.n; k++) {
        bool f = idset_has(&fact_src, ev_ids.v[k]);
        bool p = idset_has(&pref_src, ev_ids.v[k]);
        T->ev++;
        T->ev_covered += f || p;
        T->ev_covered_facts_only += f;
    }
    return 0;
}

static double pct(double a, double b)
{
    return b > 0 ? 100.0 * a / b : 0.0;
}

int main(int argc, char **argv)
{
    const char *path = "/work/shared/data/locomo/locomo-dev.json";
    bool dump = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dump") == 0)
            dump = true;
        else
            path = argv[i];
    }
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!json_is_array(root)) {
        fprintf(stderr, "bench_extract: cannot read %s: %s\n", path, err.text);
        return 1;
    }
    struct totals T = {0};
    size_t i;
    json_t *c;
    json_array_foreach(root, i, c) {
        if (run_conversation(c, &T, dump)) {
            fprintf(stderr, "bench_extract: extraction failed\n");
            return 1;
        }
    }
    json_decref(root);

    double k = T.turns ? 1000.0 / (double)T.turns : 0;
    printf("LoCoMo dev: %zu conversations, %zu sessions, %zu turns\n", i, T.sessions, T.turns);
    printf("%-52s %10s\n", "measure", "value");
    printf("%-52s %10zu\n", "facts extracted", T.facts);
    printf("%-52s %10.2f\n", "facts per turn", (double)T.facts / (double)T.turns);
    printf("%-52s %9.1f%%\n", "facts with a subject key", pct((double)T.fact_keys, (double)T.facts));
    printf("%-52s %10zu\n", "preferences extracted", T.prefs);
    printf("%-52s %9.1f%%\n", "observation coverage (gpt facts' turns covered)",
           pct((double)T.obs_covered, (double)T.obs));
    printf("%-52s %9.1f%%\n", "fact precision proxy (fact turn has an observation)",
           pct((double)T.facts_with_obs, (double)T.facts));
    printf("%-52s %9.1f%%\n", "  base rate: turns that have an observation",
           pct((double)T.turns_with_obs, (double)T.turns));
    printf("%-52s %9.1f%%\n", "QA evidence turns (cat 1-4) covered, facts+prefs",
           pct((double)T.ev_covered, (double)T.ev));
    printf("%-52s %9.1f%%\n", "QA evidence turns (cat 1-4) covered, facts only",
           pct((double)T.ev_covered_facts_only, (double)T.ev));
    printf("%-52s %10zu\n", "  (unique evidence turns)", T.ev);
    printf("%-52s %10.3f\n", "ROUGE-1 recall, TextRank summary @1000 chars",
           T.r1_ref[0] ? T.r1_overlap[0] / T.r1_ref[0] : 0);
    printf("%-52s %10.3f\n", "ROUGE-1 precision, TextRank summary @1000 chars",
           T.r1_hyp[0] ? T.r1_overlap[0] / T.r1_hyp[0] : 0);
    printf("%-52s %10.3f\n", "ROUGE-1 recall, TextRank summary @2000 chars",
           T.r1_ref[1] ? T.r1_overlap[1] / T.r1_ref[1] : 0);
    printf("%-52s %10.3f\n", "ROUGE-1 recall, lead baseline @1000 chars",
           T.r1_ref[2] ? T.r1_overlap[2] / T.r1_ref[2] : 0);
    printf("%-52s %10.3f\n", "ROUGE-1 precision, lead baseline @1000 chars",
           T.r1_hyp[2] ? T.r1_overlap[2] / T.r1_hyp[2] : 0);
    printf("%-52s %8.1f ms\n", "time per 1,000 turns: facts", T.t_facts * k * 1000);
    printf("%-52s %8.1f ms\n", "time per 1,000 turns: preferences", T.t_prefs * k * 1000);
    printf("%-52s %8.1f ms\n", "time per 1,000 turns: summary (1000 chars)", T.t_summary * k * 1000);
    return 0;
}
