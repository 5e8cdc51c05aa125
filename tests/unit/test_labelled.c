/*
 * test_labelled.c - the built-in extractors on hand-labelled conversations: a two-day
 * Redshift migration and two everyday chats, each with the facts, preferences and summary
 * points it should yield. Prints precision and recall per strategy and fails when they fall
 * below the floors measured when this set was written (a regression guard; the labels and
 * the rules come from the same team, so these are not independent figures).
 *
 * An expected item is a few keywords that must all appear (case-insensitively) in one
 * extracted record; an extracted fact or preference is correct when it matches an expected
 * item or an "also acceptable" one.
 */
#include "test.h"

#include "agentmem.h"
#include "extract/extract.h"

#include <ctype.h>
#include <stdbool.h>

/* floors: set below the values measured when the set was written (see the note) */
#define FACT_RECALL_FLOOR 0.90
#define FACT_PRECISION_FLOOR 0.85
#define PREF_RECALL_FLOOR 0.80
#define PREF_PRECISION_FLOOR 0.80
#define SUMMARY_RECALL_FLOOR 0.80

struct line {
    int role;
    const char *text;
};

struct labelled {
    const char *name;
    const char *speaker;
    struct line lines[16];
    const char *facts[12];       /* "kw1|kw2|kw3" */
    const char *ok_facts[12];    /* also acceptable, not required */
    const char *prefs[6];
    const char *summary[8];
};

static const struct labelled set[] = {
    {"redshift day 1", NULL,
     {{AM_ROLE_USER, "We need to move prod-cluster to Redshift Serverless this month."},
      {AM_ROLE_ASSISTANT, "prod-cluster runs 4 ra3.4xlarge nodes in us-east-2."},
      {AM_ROLE_USER, "The WLM configuration has three queues: etl, reporting and adhoc."},
      {AM_ROLE_USER, "I prefer a single workgroup for all the queues."},
      {AM_ROLE_USER, "Always take a snapshot before any change."},
      {AM_ROLE_ASSISTANT, "The snapshot prod-cluster-pre-migration was created at 10:42."},
      {AM_ROLE_USER, "We decided to use 128 RPUs as the base capacity."},
      {AM_ROLE_USER, "Don't touch prod on Fridays."},
      {AM_ROLE_USER, "Thanks, that's all for today."}},
     {"prod-cluster|serverless", "prod-cluster|4|ra3.4xlarge", "wlm|etl|reporting|adhoc",
      "snapshot|prod-cluster-pre-migration", "128 rpu"},
     {"workgroup", "snapshot", "friday"},
     {"single workgroup", "snapshot|before", "friday"},
     {"prod-cluster", "wlm", "snapshot", "128"}},
    {"redshift day 2", NULL,
     {{AM_ROLE_USER, "Restore the snapshot into the analytics-wg workgroup."},
      {AM_ROLE_ASSISTANT, "The restore into analytics-wg finished and it is AVAILABLE."},
      {AM_ROLE_USER, "The BI dashboards now point to the analytics-wg endpoint."},
      {AM_ROLE_USER, "I'd rather keep dev-cluster provisioned until next quarter."},
      {AM_ROLE_USER, "dev-cluster has 2 dc2.large nodes."},
      {AM_ROLE_USER, "How long will the cutover take?"},
      {AM_ROLE_ASSISTANT, "About two hours, mostly validation queries."}},
     {"restore|analytics-wg", "dashboards|analytics-wg", "dev-cluster|2|dc2.large"},
     {"two hours", "dev-cluster|provisioned", "analytics-wg"},
     {"dev-cluster|provisioned"},
     {"analytics-wg", "restore", "dev-cluster"}},
    {"everyday", "Caroline",
     {{AM_ROLE_USER, "I adopted a rescue dog named Max last week."},
      {AM_ROLE_USER, "I love hiking in the mountains on weekends."},
      {AM_ROLE_USER, "My sister Anna lives in Lisbon."},
      {AM_ROLE_USER, "I can't stand horror movies."},
      {AM_ROLE_USER, "Yesterday I finished my first pottery class."},
      {AM_ROLE_USER, "How are you doing?"}},
     {"dog|max", "sister|anna|lisbon", "pottery"},
     {"hiking", "horror"},
     {"hiking", "horror"},
     {"max", "lisbon", "pottery"}},
};

static bool has_all(const char *text, const char *spec)
{
    char lower[4096];
    size_t n = 0;
    for (const char *p = text; *p && n + 1 < sizeof lower; p++)
        lower[n++] = (char)tolower((unsigned char)*p);
    lower[n] = '\0';
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *kw = buf, *bar; kw; kw = bar ? bar + 1 : NULL) {
        bar = strchr(kw, '|');
        if (bar)
            *bar = '\0';
        if (!strstr(lower, kw))
            return false;
    }
    return true;
}

struct score {
    int tp, fp, expected, found;
};

static void score(const struct am_candidates *c, const char *const *want,
                  const char *const *ok, struct score *s)
{
    for (size_t w = 0; w < 12 && want[w]; w++) {
        s->expected++;
        for (size_t i = 0; i < c->n; i++)
            if (has_all(c->items[i].text, want[w])) {
                s->found++;
                break;
            }
    }
    for (size_t i = 0; i < c->n; i++) {
        bool good = false;
        for (size_t w = 0; w < 12 && want[w] && !good; w++)
            good = has_all(c->items[i].text, want[w]);
        for (size_t w = 0; ok && w < 12 && ok[w] && !good; w++)
            good = has_all(c->items[i].text, ok[w]);
        if (good)
            s->tp++;
        else
            s->fp++;
    }
}

TEST(labelled_extraction_quality)
{
    struct score facts = {0}, prefs = {0}, summ = {0};
    for (size_t k = 0; k < sizeof set / sizeof set[0]; k++) {
        const struct labelled *l = &set[k];
        struct am_turn turns[16];
        size_t n = 0;
        for (; n < 16 && l->lines[n].text; n++)
            turns[n] = (struct am_turn){.role = l->lines[n].role, .text = l->lines[n].text,
                                        .speaker = l->speaker,
                                        .ts_ms = 1767225600000 + (int64_t)n * 60000,
                                        .event_id = "e", .index = (int)n};
        struct am_candidates f = {0}, p = {0}, s = {0};
        ASSERT_OK(am_extract_facts(turns, n, &f));
        ASSERT_OK(am_extract_preferences(turns, n, &p));
        ASSERT_OK(am_extract_summary(turns, n, 2000, &s));
        score(&f, l->facts, l->ok_facts, &facts);
        score(&p, l->prefs, NULL, &prefs);
        /* summary: recall of the points over the whole summary text */
        for (size_t w = 0; w < 8 && l->summary[w]; w++) {
            summ.expected++;
            summ.found += s.n && has_all(s.items[0].text, l->summary[w]);
        }
        am_candidates_free(&f);
        am_candidates_free(&p);
        am_candidates_free(&s);
    }
    double fp_ = facts.tp + facts.fp ? (double)facts.tp / (facts.tp + facts.fp) : 0;
    double fr = (double)facts.found / facts.expected;
    double pp = prefs.tp + prefs.fp ? (double)prefs.tp / (prefs.tp + prefs.fp) : 0;
    double pr = (double)prefs.found / prefs.expected;
    double sr = (double)summ.found / summ.expected;
    fprintf(stderr, "labelled set: facts precision %.2f recall %.2f (%d/%d); preferences "
                    "precision %.2f recall %.2f (%d/%d); summary point recall %.2f (%d/%d)\n",
            fp_, fr, facts.found, facts.expected, pp, pr, prefs.found, prefs.expected, sr,
            summ.found, summ.expected);
    ASSERT(fr >= FACT_RECALL_FLOOR);
    ASSERT(fp_ >= FACT_PRECISION_FLOOR);
    ASSERT(pr >= PREF_RECALL_FLOOR);
    ASSERT(pp >= PREF_PRECISION_FLOOR);
    ASSERT(sr >= SUMMARY_RECALL_FLOOR);
}
