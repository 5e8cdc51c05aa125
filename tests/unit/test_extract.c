/*
 * test_extract.c - the built-in extractors (facts, preferences, summary) and the
 * consolidation decision, on real sentences from the Redshift migration domain and from
 * everyday conversation, with negative cases. Two tests print measurements:
 * extract_pref_precision_recall (hand-labelled sentences) and
 * extract_consolidate_threshold_sweep (hand-labelled pairs).
 */
#include "test.h"
#include "helpers.h"

#include <jansson.h>

#include "extract/extract.h"
#include "extract/text.h"

/* Monday 8 May 2023, 13:56 UTC (LoCoMo conv-26 session 1). */
#define TS_MAY8 1683554160000LL

static struct am_turn turn(int role, const char *speaker, const char *text)
{
    static int idx;
    struct am_turn t = {role, text, speaker, TS_MAY8, "event-1", idx++};
    return t;
}

static struct am_turn user(const char *text)
{
    return turn(AM_ROLE_USER, NULL, text);
}

static struct am_turn assistant(const char *text)
{
    return turn(AM_ROLE_ASSISTANT, NULL, text);
}

/* Facts of one turn said by `speaker` (NULL: the user). */
static void facts_of(const char *speaker, const char *text, struct am_candidates *c)
{
    struct am_turn t = turn(AM_ROLE_USER, speaker, text);
    am_candidates_free(c);
    ASSERT_OK(am_extract_facts(&t, 1, c));
}

static void prefs_of(const char *text, struct am_candidates *c)
{
    struct am_turn t = user(text);
    am_candidates_free(c);
    ASSERT_OK(am_extract_preferences(&t, 1, c));
}

static const struct am_candidate *find_text(const struct am_candidates *c, const char *needle)
{
    for (size_t i = 0; i < c->n; i++)
        if (strstr(c->items[i].text, needle))
            return &c->items[i];
    return NULL;
}

/* The "preference" member of a preference candidate (static buffer). */
static const char *pref_field(const struct am_candidate *x)
{
    static char buf[1024];
    json_error_t err;
    json_t *j = json_loads(x->text, 0, &err);
    buf[0] = '\0';
    if (j) {
        const char *p = json_string_value(json_object_get(j, "preference"));
        snprintf(buf, sizeof buf, "%s", p ? p : "");
        json_decref(j);
    }
    return buf;
}

/* ---- text toolkit ---------------------------------------------------------------------- */

TEST(extract_lexicons_sorted)
{
    ASSERT_OK(am_lex_selfcheck());
}

TEST(extract_sentences_and_identifiers)
{
    const char *s = "prod-cluster runs 4 ra3.4xlarge nodes. It lives in us-east-2, e.g. near "
                    "Ohio! Is it arn:aws:redshift:us-east-2:123456789012:cluster:prod-cluster? Yes";
    struct am_spans sp = {0};
    ASSERT_OK(am_split_sentences(s, strlen(s), &sp));
    ASSERT_EQ(sp.n, 4);
    ASSERT_EQ(strncmp(s + sp.v[1].off, "It lives in us-east-2, e.g. near Ohio!", sp.v[1].len), 0);
    am_spans_free(&sp);

    struct am_toks t;
    ASSERT_OK(am_toks_init(&t, s, strlen(s)));
    ASSERT(am_tok_is(&t, 0, "prod-cluster"));
    ASSERT(t.v[0].flags & AM_TF_IDENT);
    ASSERT(am_tok_is(&t, 3, "ra3.4xlarge"));
    ASSERT(t.v[3].flags & AM_TF_NODETYPE);
    bool region = false, arn = false;
    for (size_t i = 0; i < t.n; i++) {
        if (am_tok_is(&t, i, "us-east-2"))
            region = (t.v[i].flags & AM_TF_REGION) != 0;
        if (t.v[i].len > 40 && strncmp(t.s + t.v[i].off, "arn:aws:redshift", 16) == 0)
            arn = (t.v[i].flags & AM_TF_IDENT) != 0;
    }
    ASSERT(region);
    ASSERT(arn);
    am_toks_free(&t);
}

TEST(extract_json_escaping_and_invalid_utf8)
{
    struct am_xbuf b;
    am_xbuf_init(&b, 100);
    ASSERT_OK(am_xbuf_add_json(&b, "say \"hi\"\n\x01 caf\xc3\xa9 \xff", 18));
    ASSERT_STR_EQ(b.p, "\"say \\\"hi\\\"\\n\\u0001 caf\xc3\xa9 \xef\xbf\xbd\"");
    am_xbuf_free(&b);
    /* the ceiling: a failed append frees the buffer */
    am_xbuf_init(&b, 4);
    ASSERT_EQ(am_xbuf_adds(&b, "12345"), AM_EINVAL);
    ASSERT_NULL(b.p);
}

/* ---- facts ------------------------------------------------------------------------------- */

TEST(extract_facts_first_person_resolved_to_speaker)
{
    struct am_candidates c = {0};
    facts_of("Caroline", "I adopted a dog named Max from the shelter.", &c);
    ASSERT_EQ(c.n, 1);
    ASSERT_STR_EQ(c.items[0].text, "Caroline adopted a dog named Max from the shelter.");
    ASSERT_EQ(c.items[0].kind, AM_CAND_FACT);
    ASSERT_EQ(c.items[0].ts_ms, TS_MAY8);

    facts_of("Melanie", "Yeah, I painted that lake sunrise last year! It's special to me.", &c);
    ASSERT_EQ(c.n, 1);
    ASSERT_STR_EQ(c.items[0].text, "Melanie painted that lake sunrise last year (in 2022).");

    facts_of("Caroline", "Gonna continue my edu and check out career options.", &c);
    ASSERT_EQ(c.n, 1);
    ASSERT_STR_EQ(c.items[0].text,
                  "Caroline is going to continue Caroline's edu and check out career options.");

    facts_of("Jon", "I'm a nurse.", &c);
    ASSERT_EQ(c.n, 1);
    ASSERT_STR_EQ(c.items[0].text, "Jon is a nurse.");

    /* verb agreement, "we", "my" */
    facts_of("Gina", "I love dancing and my studio opens in June. We need a new floor for it.", &c);
    ASSERT_NOT_NULL(find_text(&c, "Gina loves dancing and Gina's studio opens in June."));
    am_candidates_free(&c);
}

TEST(extract_facts_relative_dates)
{
    static const struct {
        const char *said, *expect;
    } cases[] = {
        {"I went to a support group yesterday.", "(on 2023-05-07)"},
        {"We migrated prod-cluster last week.", "(the week of 2023-05-01)"},
        {"I'm flying to Paris next Friday.", "(on 2023-05-12)"},
        {"I start my new job at Amazon in 2 days.", "(on 2023-05-10)"},
        {"I quit my job at the bank 3 weeks ago.", "(the week of 2023-04-17)"},
        {"I ran a charity race last Saturday.", "(on 2023-05-06)"},
        {"I visited my parents in Denver last month.", "(in April 2023)"},
        {"I painted my first landscape last year.", "(in 2022)"},
        {"My sister got married the day before yesterday.", "(on 2023-05-06)"},
        {"I adopted a kitten a few days ago.", "(a few days before 2023-05-08)"},
        {"We went camping last weekend with the kids.", "(the weekend of 2023-05-06)"},
    };
    struct am_candidates c = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        facts_of("Sam", cases[i].said, &c);
        if (c.n != 1)
            TEST_FAIL_("\"%s\": %zu facts", cases[i].said, c.n);
        ASSERT_STR_CONTAINS(c.items[0].text, cases[i].expect);
    }
    /* no time: no resolution */
    struct am_turn t = turn(AM_ROLE_USER, "Sam", "I went to a support group yesterday.");
    t.ts_ms = 0;
    am_candidates_free(&c);
    ASSERT_OK(am_extract_facts(&t, 1, &c));
    ASSERT_EQ(c.n, 1);
    ASSERT_STR_EQ(c.items[0].text, "Sam went to a support group yesterday.");
    am_candidates_free(&c);
}

TEST(extract_facts_skip_greetings_questions_chitchat)
{
    static const char *const chat[] = {
        "Hey Mel! Good to see you! How have you been?",
        "Wow, that's so cool, Caroline!",
        "Thanks, Melanie! That's really sweet.",
        "Sounds great! Talk to you soon!",
        "I'm so happy for you!",
        "What kinda jobs are you thinkin' of?",
        "Can you check the WLM configuration of prod-cluster?",
        "Do you want one workgroup per queue or a single workgroup?",
        "You'd be a great counselor!",
        "Totally agree, Mel.",
        "Never give up!",
        "Sure, I can help with that.",
    };
    struct am_candidates c = {0};
    for (size_t i = 0; i < sizeof chat / sizeof chat[0]; i++) {
        facts_of("Caroline", chat[i], &c);
        if (c.n != 0)
            TEST_FAIL_("\"%s\" gave a fact: %s", chat[i], c.items[0].text);
    }
    am_candidates_free(&c);
}

TEST(extract_facts_redshift_session)
{
    struct am_turn turns[] = {
        user("Hi! I need help migrating our Redshift cluster to Serverless."),
        assistant("Sure, I can help with that. Which cluster and region are we talking about?"),
        user("It's prod-cluster in us-east-2. It runs 4 ra3.4xlarge nodes and has 3 WLM "
             "queues: etl, bi and adhoc."),
        assistant("I created snapshot prod-cluster-migration-20261124 of prod-cluster. Your "
                  "cluster prod-cluster has automated snapshots every 8 hours."),
        user("Great. We decided to cut over next Tuesday."),
        assistant("The restore from the snapshot finished yesterday. What else can I do?"),
    };
    struct am_candidates c = {0};
    ASSERT_OK(am_extract_facts(turns, sizeof turns / sizeof turns[0], &c));

    const struct am_candidate *x = find_text(&c, "prod-cluster runs 4 ra3.4xlarge nodes");
    ASSERT_NOT_NULL(x);
    ASSERT_STR_EQ(x->text, "prod-cluster runs 4 ra3.4xlarge nodes and has 3 WLM queues: etl, "
                           "bi and adhoc.");   /* "It" resolved to the cluster named before */
    ASSERT_STR_EQ(x->key, "prod-cluster node count");
    ASSERT_STR_EQ(x->topic, "infrastructure");
    char want[96];
    snprintf(want, sizeof want, "[{\"eventId\":\"event-1\",\"messageIndex\":%d}]",
             turns[2].index);
    ASSERT_STR_EQ(x->sources_json, want);
    ASSERT_EQ(x->ts_ms, TS_MAY8);

    x = find_text(&c, "snapshot prod-cluster-migration-20261124");
    ASSERT_NOT_NULL(x);
    ASSERT_STR_EQ(x->text, "The assistant created snapshot prod-cluster-migration-20261124 of "
                           "prod-cluster.");
    ASSERT_NOT_NULL(find_text(&c, "The user's cluster prod-cluster has automated snapshots"));
    ASSERT_NOT_NULL(find_text(&c, "The user needs help migrating the user's Redshift cluster"));
    ASSERT_NOT_NULL(find_text(&c, "decided to cut over next Tuesday (on 2023-05-09)"));
    ASSERT_NOT_NULL(find_text(&c, "The restore from the snapshot finished yesterday (on 2023-05-07)."));
    ASSERT_NULL(find_text(&c, "Which cluster"));
    ASSERT_NULL(find_text(&c, "What else"));
    ASSERT_NULL(find_text(&c, "I can help"));
    am_candidates_free(&c);
}

TEST(extract_facts_roles_and_keys)
{
    struct am_turn turns[] = {
        turn(AM_ROLE_TOOL, NULL, "prod-cluster has 4 nodes in us-east-2."),
        user("analytics-wg has a max capacity of 256 RPUs."),
        user("I live in Lisbon."),
        user("My favorite color is teal."),
    };
    struct am_candidates c = {0};
    ASSERT_OK(am_extract_facts(turns, 4, &c));
    ASSERT_EQ(c.n, 4);   /* a tool's result is a fact like the others */
    ASSERT_STR_EQ(c.items[0].text, "prod-cluster has 4 nodes in us-east-2.");
    ASSERT_STR_EQ(c.items[1].key, "analytics-wg capacity");
    ASSERT_STR_EQ(c.items[2].text, "The user lives in Lisbon.");
    ASSERT_STR_EQ(c.items[2].key, "user residence");
    ASSERT_STR_EQ(c.items[3].text, "The user's favorite color is teal.");
    ASSERT_STR_EQ(c.items[3].key, "user favorite color");
    /* appends, and EINVAL on bad arguments */
    ASSERT_OK(am_extract_facts(turns + 2, 1, &c));
    ASSERT_EQ(c.n, 5);
    ASSERT_EQ(am_extract_facts(NULL, 1, &c), AM_EINVAL);
    ASSERT_EQ(am_extract_facts(turns, 1, NULL), AM_EINVAL);
    am_candidates_free(&c);
    ASSERT_EQ(c.n, 0);
    ASSERT_NULL(c.items);
    am_candidates_free(NULL);
}

/* ---- preferences ------------------------------------------------------------------------ */

TEST(extract_prefs_shapes)
{
    static const struct {
        const char *said, *pref, *category, *key;
    } cases[] = {
        {"I prefer a single workgroup.", "Prefers a single workgroup", "infrastructure",
         "workgroup"},
        {"Also, please always take a snapshot before any change.",
         "Always take a snapshot before any change", "safety", "snapshot"},
        {"And don't touch prod on Fridays.", "Do not touch prod on Fridays", "safety",
         "touch prod"},
        {"Let's go with ra3.4xlarge instead of dc2.large.",
         "Prefers ra3.4xlarge instead of dc2.large", "infrastructure", "dc2.large|ra3.4xlarge"},
        {"I'd rather restore from a snapshot than resize in place.",
         "Would rather restore from a snapshot than resize in place", "safety", NULL},
        {"I hate cilantro.", "Hates cilantro", "general", "cilantro"},
        {"I love hiking with my dog on weekends.", "Loves hiking with their dog on weekends",
         "hobbies", "hiking"},
        {"I'm vegetarian.", "Is vegetarian", "food", "is vegetarian"},
        {"I prefer tea over coffee in the morning.", "Prefers tea over coffee in the morning",
         "food", "coffee|tea"},
        {"I don't want to pay for more than 128 RPUs.",
         "Does not want to pay for more than 128 RPUs", "infrastructure", NULL},
    };
    struct am_candidates c = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        prefs_of(cases[i].said, &c);
        if (c.n != 1)
            TEST_FAIL_("\"%s\": %zu preferences", cases[i].said, c.n);
        ASSERT_STR_EQ(pref_field(&c.items[0]), cases[i].pref);
        ASSERT_EQ(c.items[0].kind, AM_CAND_PREFERENCE);
        ASSERT_STR_EQ(c.items[0].topic, cases[i].category);
        if (cases[i].key)
            ASSERT_STR_EQ(c.items[0].key, cases[i].key);
        /* the record is the documented JSON: context, preference, categories */
        json_error_t err;
        json_t *j = json_loads(c.items[0].text, 0, &err);
        ASSERT_NOT_NULL(j);
        ASSERT(json_is_string(json_object_get(j, "context")));
        ASSERT(json_is_array(json_object_get(j, "categories")));
        ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(j, "categories"), 0)),
                      cases[i].category);
        ASSERT_STR_CONTAINS(c.items[0].text, "{\"context\":");
        json_decref(j);
    }
    am_candidates_free(&c);
}

TEST(extract_prefs_not_every_i_sentence)
{
    static const char *const not_prefs[] = {
        "I'd like to know how many nodes prod-cluster has.",
        "I love that!",
        "I loved the last migration report.",
        "Don't delete that snapshot yet.",
        "I want to migrate prod-cluster next week.",
        "Do you prefer one workgroup or several?",
        "If I prefer multiple workgroups, how would WLM map?",
        "I'd love to see the cost estimate.",
        "Use the snapshot from yesterday.",
        "My manager likes weekly reports.",
        "They brighten up our day and always make us smile.",
        "Let's keep going and chase our dreams!",
        "I used to love camping.",
    };
    struct am_candidates c = {0};
    for (size_t i = 0; i < sizeof not_prefs / sizeof not_prefs[0]; i++) {
        prefs_of(not_prefs[i], &c);
        if (c.n != 0)
            TEST_FAIL_("\"%s\" gave a preference: %s", not_prefs[i], c.items[0].text);
    }
    /* assistant turns are not the user's preferences */
    struct am_turn t = assistant("I prefer to be careful, so I always take a snapshot first.");
    ASSERT_OK(am_extract_preferences(&t, 1, &c));
    ASSERT_EQ(c.n, 0);
    am_candidates_free(&c);
}

/* Hand-labelled Redshift-style sentences: is it a preference of the speaker? */
static const struct labelled {
    const char *text;
    int is_pref;
} pref_labels[] = {
    {"I prefer a single workgroup.", 1},
    {"Please always take a snapshot before any change.", 1},
    {"Don't touch prod on Fridays.", 1},
    {"Let's go with ra3.4xlarge instead of dc2.large.", 1},
    {"I'd rather restore from a snapshot than do an in-place resize.", 1},
    {"Never run VACUUM during business hours.", 1},
    {"I like concise answers with the exact CLI commands.", 1},
    {"I hate surprise downtime.", 1},
    {"Use us-east-2 for everything.", 1},
    {"From now on, send me a summary after each step.", 1},
    {"I want a dry run before any real migration.", 1},
    {"We decided to go with one workgroup per WLM queue.", 1},
    {"I don't want to pay for more than 128 RPUs.", 1},
    {"I always check the WLM queues first.", 1},
    {"Keep the max capacity at 256 RPUs going forward.", 1},
    {"I prefer Terraform over the console for new workgroups.", 1},
    {"Do not delete snapshots without asking me.", 1},
    {"I'd prefer to migrate on weekends.", 1},
    {"Let's stick with the default price-performance target.", 1},
    {"I really dislike long explanations.", 1},
    {"I'm not a fan of multiple workgroups.", 1},
    {"I usually run migrations at night.", 1},
    {"Weekends work best for our maintenance windows.", 1},
    {"I'm more comfortable with a blue/green cutover.", 1},
    {"Avoid dc2 nodes, they are too slow for us.", 1},
    {"Snapshots before every change, no exceptions.", 1},
    {"I'd like to know how many nodes prod-cluster has.", 0},
    {"Can you list my clusters in us-east-2?", 0},
    {"I love that!", 0},
    {"prod-cluster runs 4 ra3.4xlarge nodes.", 0},
    {"I migrated the analytics cluster last week.", 0},
    {"Don't delete that snapshot yet.", 0},
    {"I want to migrate prod-cluster next week.", 0},
    {"I think the restore is done.", 0},
    {"Do you prefer one workgroup or several?", 0},
    {"I loved the last migration report.", 0},
    {"Thanks, that's great.", 0},
    {"If I prefer multiple workgroups, how would WLM map?", 0},
    {"I need the endpoint of analytics-wg.", 0},
    {"We have three WLM queues: etl, bi and adhoc.", 0},
    {"I'd love to see the cost estimate.", 0},
    {"Use the snapshot from yesterday.", 0},
    {"I'm checking the parameter group now.", 0},
    {"My manager likes weekly reports.", 0},
    {"Never mind, I found it.", 0},
    {"Always the same error with that query.", 0},
    {"I prefer not to say.", 0},
};

TEST(extract_pref_precision_recall)
{
    size_t tp = 0, fp = 0, fn = 0, tn = 0;
    struct am_candidates c = {0};
    for (size_t i = 0; i < sizeof pref_labels / sizeof pref_labels[0]; i++) {
        prefs_of(pref_labels[i].text, &c);
        int got = c.n > 0;
        if (got && pref_labels[i].is_pref)
            tp++;
        else if (got)
            fp++;
        else if (pref_labels[i].is_pref)
            fn++;
        else
            tn++;
        if (got != pref_labels[i].is_pref)
            printf("  pref %s: \"%s\"%s%s\n", got ? "false positive" : "missed",
                   pref_labels[i].text, got ? " -> " : "", got ? pref_field(&c.items[0]) : "");
    }
    am_candidates_free(&c);
    double precision = tp + fp ? (double)tp / (double)(tp + fp) : 0;
    double recall = tp + fn ? (double)tp / (double)(tp + fn) : 0;
    printf("  preferences on %zu labelled sentences: tp=%zu fp=%zu fn=%zu tn=%zu "
           "precision=%.2f recall=%.2f\n",
           sizeof pref_labels / sizeof pref_labels[0], tp, fp, fn, tn, precision, recall);
    fflush(stdout);
    ASSERT_GE(precision * 100, 90);
    ASSERT_GE(recall * 100, 80);
}

/* ---- consolidation -------------------------------------------------------------------------- */

static int decide(int kind, const char *cand_text, const char *cand_key, const char *old_text,
                  const char *old_key, size_t *idx)
{
    struct am_candidate c = {kind, (char *)cand_text, (char *)"t", (char *)cand_key, 0, NULL};
    const char *texts[] = {"Melanie ran a charity race for mental health.", old_text};
    const char *keys[] = {NULL, old_key};
    return am_consolidate_decide(&c, texts, keys, 2, idx);
}

TEST(extract_consolidate_decisions)
{
    size_t idx = 99;
    /* the same subject key with a changed value supersedes */
    ASSERT_EQ(decide(AM_CAND_FACT, "prod-cluster now has 6 nodes.", "prod-cluster node count",
                     "prod-cluster runs 4 ra3.4xlarge nodes.", "prod-cluster node count", &idx),
              AM_CONSOLIDATE_SUPERSEDE);
    ASSERT_EQ(idx, 1);
    /* without keys: the same statement with a changed number */
    ASSERT_EQ(decide(AM_CAND_FACT, "prod-cluster has 6 nodes in us-east-2.", NULL,
                     "prod-cluster has 4 nodes in us-east-2.", NULL, &idx),
              AM_CONSOLIDATE_SUPERSEDE);
    /* polarity */
    ASSERT_EQ(decide(AM_CAND_FACT, "The user does not want to touch prod on Fridays.", NULL,
                     "The user wants to touch prod on Fridays.", NULL, &idx),
              AM_CONSOLIDATE_SUPERSEDE);
    /* near-duplicates are skipped */
    ASSERT_EQ(decide(AM_CAND_FACT, "Caroline adopted a dog called Max.", NULL,
                     "Caroline adopted a dog named Max.", NULL, &idx),
              AM_CONSOLIDATE_SKIP);
    ASSERT_EQ(idx, 1);
    ASSERT_EQ(decide(AM_CAND_FACT, "prod-cluster has 4 ra3.4xlarge nodes.", NULL,
                     "prod-cluster has 4 ra3.4xlarge nodes in us-east-2.", NULL, &idx),
              AM_CONSOLIDATE_SKIP);
    /* a richer restatement replaces the record it contains */
    ASSERT_EQ(decide(AM_CAND_FACT, "prod-cluster has 4 ra3.4xlarge nodes in us-east-2.", NULL,
                     "prod-cluster has 4 ra3.4xlarge nodes.", NULL, &idx),
              AM_CONSOLIDATE_SUPERSEDE);
    /* unrelated, and the same kind of event on another date: add */
    ASSERT_EQ(decide(AM_CAND_FACT, "Caroline went to a pride parade.", NULL,
                     "Caroline adopted a dog named Max.", NULL, &idx),
              AM_CONSOLIDATE_ADD);
    ASSERT_EQ(idx, (size_t)-1);
    ASSERT_EQ(decide(AM_CAND_FACT, "Melanie went camping last week (the week of 2023-07-10).",
                     NULL, "Melanie went camping last week (the week of 2023-06-19).", NULL,
                     &idx),
              AM_CONSOLIDATE_ADD);
    /* preferences compare their "preference" member and keys */
    ASSERT_EQ(decide(AM_CAND_PREFERENCE,
                     "{\"context\":\"x\",\"preference\":\"Prefers multiple workgroups\","
                     "\"categories\":[\"infrastructure\"]}",
                     "workgroup",
                     "{\"context\":\"y\",\"preference\":\"Prefers a single workgroup\","
                     "\"categories\":[\"infrastructure\"]}",
                     "workgroup", &idx),
              AM_CONSOLIDATE_SUPERSEDE);
    ASSERT_EQ(decide(AM_CAND_PREFERENCE,
                     "{\"context\":\"I like hiking a lot\",\"preference\":\"Likes hiking\","
                     "\"categories\":[\"hobbies\"]}",
                     "hiking",
                     "{\"context\":\"Hiking is my thing\",\"preference\":\"Likes hiking\","
                     "\"categories\":[\"hobbies\"]}",
                     "hiking", &idx),
              AM_CONSOLIDATE_SKIP);
    /* degenerate inputs */
    struct am_candidate empty = {AM_CAND_FACT, (char *)"", (char *)"t", NULL, 0, NULL};
    ASSERT_EQ(am_consolidate_decide(&empty, NULL, NULL, 0, &idx), AM_CONSOLIDATE_SKIP);
    ASSERT_EQ(am_consolidate_decide(NULL, NULL, NULL, 0, NULL), AM_CONSOLIDATE_SKIP);
    struct am_candidate one = {AM_CAND_FACT, (char *)"Caroline adopted a dog.", (char *)"t",
                               NULL, 0, NULL};
    ASSERT_EQ(am_consolidate_decide(&one, NULL, NULL, 5, &idx), AM_CONSOLIDATE_ADD);
}

TEST(extract_consolidate_with_extracted_keys)
{
    /* end to end: what the extractor says, then what consolidation decides */
    struct am_candidates a = {0}, b = {0};
    facts_of(NULL, "prod-cluster runs 4 ra3.4xlarge nodes.", &a);
    facts_of(NULL, "Actually, prod-cluster now has 6 nodes.", &b);
    ASSERT_EQ(a.n, 1);
    ASSERT_EQ(b.n, 1);
    const char *texts[] = {a.items[0].text};
    const char *keys[] = {a.items[0].key};
    size_t idx;
    ASSERT_EQ(am_consolidate_decide(&b.items[0], texts, keys, 1, &idx), AM_CONSOLIDATE_SUPERSEDE);
    ASSERT_EQ(idx, 0);
    ASSERT_EQ(am_consolidate_decide(&a.items[0], texts, keys, 1, &idx), AM_CONSOLIDATE_SKIP);

    prefs_of("I prefer a single workgroup.", &a);
    prefs_of("Actually, let's go with multiple workgroups.", &b);
    ASSERT_EQ(a.n, 1);
    ASSERT_EQ(b.n, 1);
    texts[0] = a.items[0].text;
    keys[0] = a.items[0].key;
    ASSERT_EQ(am_consolidate_decide(&b.items[0], texts, keys, 1, &idx), AM_CONSOLIDATE_SUPERSEDE);
    am_candidates_free(&a);
    am_candidates_free(&b);
}

/* Hand-labelled pairs (candidate, existing) for the similarity thresholds. */
static const struct pair {
    const char *cand, *cand_key, *old, *old_key;
    int expect;
} pairs[] = {
    {"Caroline adopted a dog called Max.", NULL, "Caroline adopted a dog named Max.", NULL, 1},
    {"The user prefers one single workgroup.", NULL, "The user prefers a single workgroup.", NULL, 1},
    {"prod-cluster has 4 ra3.4xlarge nodes.", NULL,
     "prod-cluster has 4 ra3.4xlarge nodes in us-east-2.", NULL, 1},
    /* the same statement with a new value (a resolved date) is an update */
    {"Melanie painted that lake sunrise last year (in 2022).", NULL,
     "Melanie painted a lake sunrise last year.", NULL, 2},
    {"The assistant created the snapshot snap-1 of prod-cluster.", NULL,
     "The assistant created snapshot snap-1 of prod-cluster.", NULL, 1},
    {"Jon is starting his own dance studio.", NULL, "Jon is starting a dance studio.", NULL, 1},
    {"The user wants a daily summary.", NULL, "The user wants daily summaries.", NULL, 1},
    {"Caroline is going to a transgender conference this month (in July 2023).", NULL,
     "Caroline is going to a transgender conference this month.", NULL, 2},
    {"The user's team decided to do the cutover on Tuesday.", NULL,
     "The user's team decided to cut over on Tuesday.", NULL, 1},
    {"Gina launched her online clothing store.", NULL, "Gina opened an online clothing store.",
     NULL, 1},
    {"Caroline went to a pride parade (on 2023-06-30).", NULL,
     "Caroline went to a pride parade (on 2023-06-30).", NULL, 1},
    {"The user wants concise answers.", NULL, "The user prefers concise answers.", NULL, 1},
    {"Melanie signed up for a pottery class yesterday.", NULL,
     "Yesterday Melanie signed up for a pottery class.", NULL, 1},
    {"John's dog Max loves the beach.", NULL, "John's dog Max really loves the beach.", NULL, 1},
    {"prod-cluster has 6 nodes.", NULL, "prod-cluster has 4 nodes.", NULL, 2},
    {"The user does not want to touch prod on Fridays.", NULL,
     "The user wants to touch prod on Fridays.", NULL, 2},
    {"The max capacity of analytics-wg is 128 RPUs.", NULL,
     "The max capacity of analytics-wg is 256 RPUs.", NULL, 2},
    {"prod-cluster is in us-west-2.", NULL, "prod-cluster is in us-east-2.", NULL, 2},
    {"Caroline has 3 kids.", NULL, "Caroline has 2 kids.", NULL, 2},
    {"The user does not like hiking.", NULL, "The user likes hiking.", NULL, 2},
    {"The cutover of prod-cluster moved to 2026-12-08 with 6 nodes.", NULL,
     "The cutover of prod-cluster moved to 2026-12-08 with 4 nodes.", NULL, 2},
    {"prod-cluster now has 6 nodes.", "prod-cluster node count",
     "prod-cluster runs 4 ra3.4xlarge nodes.", "prod-cluster node count", 2},
    {"Caroline moved to Denver.", "caroline residence", "Caroline lives in Boston.",
     "caroline residence", 2},
    {"Caroline went to a support group.", NULL, "Caroline adopted a dog named Max.", NULL, 0},
    {"analytics-wg has a max capacity of 256 RPUs.", NULL, "prod-cluster has 4 nodes.", NULL, 0},
    {"The user prefers Terraform over the console.", NULL, "The user prefers a single workgroup.",
     NULL, 0},
    {"Melanie ran a charity race.", NULL, "Melanie painted a lake sunrise.", NULL, 0},
    {"Jon is starting a dance studio.", NULL, "Jon lost his job as a banker.", NULL, 0},
    {"The assistant created namespace analytics-ns.", NULL,
     "The assistant created snapshot snap-1 of prod-cluster.", NULL, 0},
    {"Caroline went to a pride parade yesterday.", NULL,
     "Caroline went to a support group yesterday.", NULL, 0},
    {"Melanie went camping last week (the week of 2023-07-10).", NULL,
     "Melanie went camping last week (the week of 2023-06-19).", NULL, 0},
    {"Joanna is allergic to most reptiles and animals with fur.", NULL,
     "Joanna is allergic to nuts.", NULL, 0},
    {"Caroline's kids love the beach.", NULL, "Caroline's kids love the museum.", NULL, 0},
    {"Melanie took the kids to the museum.", NULL, "Melanie took the kids to the beach.", NULL, 0},
    {"The user's team uses Terraform for networking.", NULL,
     "The user's team uses Python for ETL jobs.", NULL, 0},
};

TEST(extract_consolidate_threshold_sweep)
{
    static const double js[] = {0.4, 0.5, 0.6, 0.7, 0.8};
    static const double cs[] = {0.6, 0.7, 0.8, 0.9, 1.01};
    static const double ch[] = {0.2, 0.3, 0.4, 0.5, 0.6};
    size_t n = sizeof pairs / sizeof pairs[0];
    size_t best = 0, at_default = 0;
    printf("  change Jaccard (with dup %.2f/%.2f):", AM_CONSOLIDATE_DUP_JACCARD,
           AM_CONSOLIDATE_DUP_CONTAIN);
    for (size_t k = 0; k < sizeof ch / sizeof ch[0]; k++) {
        struct am_consolidate_params p = {AM_CONSOLIDATE_DUP_JACCARD, AM_CONSOLIDATE_DUP_CONTAIN,
                                          ch[k]};
        size_t ok = 0;
        for (size_t i = 0; i < n; i++) {
            struct am_candidate cand = {AM_CAND_FACT, (char *)pairs[i].cand, (char *)"t",
                                        (char *)pairs[i].cand_key, 0, NULL};
            const char *texts[] = {pairs[i].old};
            const char *keys[] = {pairs[i].old_key};
            size_t idx;
            ok += am_consolidate_decide_with(&cand, texts, keys, 1, &p, &idx) == pairs[i].expect;
        }
        printf(" %.2f:%zu", ch[k], ok);
    }
    printf("\n");
    printf("  consolidation on %zu labelled pairs (correct decisions), rows dup Jaccard, "
           "columns containment:\n        ", n);
    for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++)
        printf(" %5.2f", cs[c]);
    printf("\n");
    for (size_t j = 0; j < sizeof js / sizeof js[0]; j++) {
        printf("   %4.2f ", js[j]);
        for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++) {
            struct am_consolidate_params p = {js[j], cs[c], AM_CONSOLIDATE_CHANGE_JACCARD};
            size_t ok = 0;
            for (size_t i = 0; i < n; i++) {
                struct am_candidate cand = {AM_CAND_FACT, (char *)pairs[i].cand, (char *)"t",
                                            (char *)pairs[i].cand_key, 0, NULL};
                const char *texts[] = {pairs[i].old};
                const char *keys[] = {pairs[i].old_key};
                size_t idx;
                ok += am_consolidate_decide_with(&cand, texts, keys, 1, &p, &idx) ==
                      pairs[i].expect;
            }
            printf(" %5zu", ok);
            if (ok > best)
                best = ok;
        }
        printf("\n");
    }
    for (size_t i = 0; i < n; i++) {
        struct am_candidate cand = {AM_CAND_FACT, (char *)pairs[i].cand, (char *)"t",
                                    (char *)pairs[i].cand_key, 0, NULL};
        const char *texts[] = {pairs[i].old};
        const char *keys[] = {pairs[i].old_key};
        size_t idx;
        int got = am_consolidate_decide(&cand, texts, keys, 1, &idx);
        if (got == pairs[i].expect)
            at_default++;
        else
            printf("  pair %zu: expected %d got %d: \"%s\" vs \"%s\"\n", i, pairs[i].expect, got,
                   pairs[i].cand, pairs[i].old);
    }
    printf("  defaults (Jaccard %.2f, containment %.2f, change %.2f): %zu/%zu correct\n",
           AM_CONSOLIDATE_DUP_JACCARD, AM_CONSOLIDATE_DUP_CONTAIN,
           AM_CONSOLIDATE_CHANGE_JACCARD, at_default, n);
    fflush(stdout);
    ASSERT_EQ(at_default, best);   /* the defaults are a best setting on the labels */
}

/* ---- summary --------------------------------------------------------------------------------- */

static struct am_turn redshift_session[] = {
    {AM_ROLE_USER, "Hi! I need help migrating our Redshift cluster to Serverless.", NULL,
     TS_MAY8, "e1", 0},
    {AM_ROLE_ASSISTANT, "Sure. Which cluster and region are we talking about?", NULL, TS_MAY8,
     "e2", 0},
    {AM_ROLE_USER, "It's prod-cluster in us-east-2. It runs 4 ra3.4xlarge nodes and has 3 WLM "
                   "queues: etl, bi and adhoc.", NULL, TS_MAY8, "e3", 0},
    {AM_ROLE_ASSISTANT, "I checked prod-cluster: it has 4 ra3.4xlarge nodes, 3 WLM queues and a "
                        "snapshot schedule every 8 hours. Do you want one workgroup per queue?",
     NULL, TS_MAY8, "e4", 0},
    {AM_ROLE_USER, "I prefer a single workgroup. Please always take a snapshot before any "
                   "change. And don't touch prod on Fridays.", NULL, TS_MAY8, "e5", 0},
    {AM_ROLE_ASSISTANT, "I created snapshot prod-cluster-migration-20261124 of prod-cluster. "
                        "The snapshot is available.", NULL, TS_MAY8, "e6", 0},
    {AM_ROLE_USER, "Great. We decided to cut over next Tuesday. The new workgroup should be "
                   "called analytics-wg with a max capacity of 256 RPUs & no usage limit.",
     NULL, TS_MAY8 + 60000, "e7", 0},
    {AM_ROLE_ASSISTANT, "I created namespace analytics-ns and workgroup analytics-wg with a max "
                        "capacity of 256 RPUs in us-east-2.", NULL, TS_MAY8 + 120000, "e8", 0},
    {AM_ROLE_USER, "Thanks, that's all for today!", NULL, TS_MAY8 + 180000, "e9", 0},
};

TEST(extract_summary_topics_and_budget)
{
    struct am_candidates c = {0};
    size_t n = sizeof redshift_session / sizeof redshift_session[0];
    ASSERT_OK(am_extract_summary(redshift_session, n, 1200, &c));
    ASSERT_EQ(c.n, 1);
    const struct am_candidate *s = &c.items[0];
    ASSERT_EQ(s->kind, AM_CAND_SUMMARY);
    ASSERT_LE(strlen(s->text), 1200);
    ASSERT_EQ(strncmp(s->text, "<topic name=\"", 13), 0);
    ASSERT_STR_CONTAINS(s->text, "</topic>");
    ASSERT_STR_CONTAINS(s->text, "prod-cluster");
    ASSERT_STR_CONTAINS(s->text, "The user prefers a single workgroup.");
    ASSERT_STR_CONTAINS(s->text, "256 RPUs &amp; no usage limit");   /* XML-escaped */
    ASSERT_NULL(strstr(s->text, "Which cluster"));
    ASSERT_NULL(strstr(s->text, "that's all for today"));
    ASSERT_NULL(s->key);
    ASSERT_EQ(s->ts_ms, TS_MAY8 + 120000);
    ASSERT_STR_CONTAINS(s->sources_json, "{\"eventId\":\"e3\",\"messageIndex\":0}");
    /* every budget is respected, and small budgets hold the best sentences */
    for (size_t budget = 64; budget <= 2000; budget += 97) {
        am_candidates_free(&c);
        ASSERT_OK(am_extract_summary(redshift_session, n, budget, &c));
        ASSERT_EQ(c.n, 1);
        if (strlen(c.items[0].text) > budget)
            TEST_FAIL_("budget %zu: %zu bytes", budget, strlen(c.items[0].text));
        ASSERT_STR_CONTAINS(c.items[0].text, "</topic>");
    }
    am_candidates_free(&c);
    ASSERT_EQ(am_extract_summary(redshift_session, n, 10, &c), AM_EINVAL);
    ASSERT_OK(am_extract_summary(redshift_session, 0, 0, &c));
    ASSERT_EQ(c.n, 0);   /* nothing to summarise: no candidate */
    struct am_turn hello[] = {{AM_ROLE_USER, "Hi there! How are you?", "Ann", TS_MAY8, "x", 0}};
    ASSERT_OK(am_extract_summary(hello, 1, 0, &c));
    ASSERT_EQ(c.n, 0);
}

TEST(extract_summary_everyday)
{
    struct am_turn turns[] = {
        {AM_ROLE_USER, "Hey Mel! I went to a LGBTQ support group yesterday and it was so "
                       "powerful.", "Caroline", TS_MAY8, "D1:3", 0},
        {AM_ROLE_USER, "Wow, that's cool, Caroline! What happened?", "Melanie", TS_MAY8,
         "D1:4", 0},
        {AM_ROLE_USER, "The support group has made me feel accepted and given me courage.",
         "Caroline", TS_MAY8, "D1:7", 0},
        {AM_ROLE_USER, "I painted that lake sunrise last year! Painting is my way to relax.",
         "Melanie", TS_MAY8, "D1:14", 0},
        {AM_ROLE_USER, "I'm off to go swimming with the kids. Talk to you soon!", "Melanie",
         TS_MAY8, "D1:18", 0},
    };
    struct am_candidates c = {0};
    ASSERT_OK(am_extract_summary(turns, 5, 0, &c));
    ASSERT_EQ(c.n, 1);
    ASSERT_STR_CONTAINS(c.items[0].text,
                        "Caroline went to a LGBTQ support group yesterday (on 2023-05-07)");
    ASSERT_STR_CONTAINS(c.items[0].text, "Melanie painted that lake sunrise last year (in 2022)");
    ASSERT_NULL(strstr(c.items[0].text, "What happened"));
    am_candidates_free(&c);
}

/* ---- the extractor interface ------------------------------------------------------------------ */

TEST(extract_builtin_extractor)
{
    struct am_extractor *x = NULL;
    struct am_candidates c = {0};
    ASSERT_OK(am_extractor_builtin(&x));
    ASSERT_STR_EQ(x->name, "builtin");
    size_t n = sizeof redshift_session / sizeof redshift_session[0];
    ASSERT_OK(x->facts(x, NULL, redshift_session, n, &c));
    size_t n_facts = c.n;
    ASSERT_GE(n_facts, 4);
    ASSERT_OK(x->preferences(x, NULL, redshift_session, n, &c));
    ASSERT_EQ(c.n, n_facts + 3);
    ASSERT_OK(x->summary(x, NULL, redshift_session, n, 800, &c));
    ASSERT_EQ(c.n, n_facts + 4);
    ASSERT_EQ(c.items[c.n - 1].kind, AM_CAND_SUMMARY);
    am_candidates_free(&c);
    x->destroy(x);
    ASSERT_EQ(am_extractor_builtin(NULL), AM_EINVAL);
}

/* ---- the OpenAI-compatible extractor (src/extract/llm.c) ------------------------------- */

#ifdef AM_HAVE_CURL
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t start_fake(const char *name, int *port)
{
    return th_start_helper(port, NULL, NULL, name, (char *)NULL);
}

static const struct am_turn llm_turns[] = {
    {AM_ROLE_USER, "prod-cluster has 4 nodes and I prefer a single workgroup.", NULL, TS_MAY8,
     "ev-a", 0},
    {AM_ROLE_ASSISTANT, "Noted: \"single\" workgroup \xff.", NULL, TS_MAY8 + 1000, "ev-b", 3},
};

/* The answers both fakes give (tests/helpers/fake_openai.py answer()). */
static void check_fake_answers(struct am_extractor *x)
{
    struct am_candidates c = {0};
    ASSERT_OK(x->facts(x, NULL, llm_turns, 2, &c));
    ASSERT_EQ(c.n, 2);
    ASSERT_STR_EQ(c.items[0].text,
                  "FAKE: USER said prod-cluster has 4 nodes and I prefer a single workgroup.");
    ASSERT_STR_EQ(c.items[0].key, "fake 0");
    ASSERT_STR_EQ(c.items[0].topic, "test");
    ASSERT_STR_EQ(c.items[1].sources_json, "[{\"eventId\":\"ev-b\",\"messageIndex\":3}]");
    ASSERT_EQ(c.items[1].ts_ms, TS_MAY8 + 1000);
    ASSERT_NULL(c.items[1].key);
    am_candidates_free(&c);
    ASSERT_OK(x->preferences(x, NULL, llm_turns, 2, &c));
    ASSERT_EQ(c.n, 1);
    ASSERT_STR_CONTAINS(c.items[0].text, "\"preference\":\"FAKE prefers: prod-cluster");
    ASSERT_STR_CONTAINS(c.items[0].text, "\"categories\":[\"test\",\"fake\"]");
    am_candidates_free(&c);
    ASSERT_OK(x->summary(x, NULL, llm_turns, 2, 300, &c));
    ASSERT_EQ(c.n, 1);
    ASSERT_EQ(strncmp(c.items[0].text, "<topic name=\"turn 0\">FAKE: ", 27), 0);
    ASSERT_LE(strlen(c.items[0].text), 300);
    am_candidates_free(&c);
}

/* A turn that makes the fake misbehave: the call fails and appends nothing. */
static void expect_failure(struct am_extractor *x, const char *text, const char *why)
{
    struct am_turn bad[] = {{AM_ROLE_USER, text, NULL, TS_MAY8, "ev-c", 0}};
    struct am_candidates c = {0};
    ASSERT_OK(am_candidates_push(&c, AM_CAND_FACT, am_xstrndup("kept", 4),
                                 am_xstrndup("t", 1), NULL, 0, am_xstrndup("[]", 2)));
    ASSERT_EQ(x->facts(x, NULL, bad, 1, &c), AM_EUNAVAIL);
    ASSERT_EQ(c.n, 1);                         /* what was there stays, nothing is added */
    ASSERT_STR_EQ(c.items[0].text, "kept");
    ASSERT_STR_CONTAINS(am_extract_errmsg(), why);
    am_candidates_free(&c);
}

TEST(extract_llm_openai_wire_and_errors)
{
    int port = 0;
    pid_t pid = start_fake("fake_openai.py", &port);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/", port);
    struct am_llm_config cfg = {.base_url = url, .api_key = "sk-test", .model = "fake-model",
                                .timeout_ms = 5000, .retries = -1};
    struct am_extractor *x = NULL;
    ASSERT_OK(am_extractor_openai(&cfg, &x));
    ASSERT_STR_EQ(x->name, "openai");
    check_fake_answers(x);

    /* provider errors and unusable replies fail the call: the job will be retried */
    expect_failure(x, "FAIL500 prod-cluster runs 4 ra3.4xlarge nodes.", "HTTP 500");
    expect_failure(x, "BADJSON prod-cluster runs 4 ra3.4xlarge nodes.", "not a JSON object");
    x->destroy(x);

    /* with fallback, the built-in rules answer instead */
    cfg.fallback = 1;
    ASSERT_OK(am_extractor_openai(&cfg, &x));
    struct am_turn bad[] = {{AM_ROLE_USER, "FAIL500 prod-cluster runs 4 ra3.4xlarge nodes.",
                             NULL, TS_MAY8, "ev-c", 0}};
    struct am_candidates c = {0};
    ASSERT_OK(x->facts(x, NULL, bad, 1, &c));
    ASSERT_EQ(c.n, 1);
    ASSERT_STR_EQ(c.items[0].text, "FAIL500 prod-cluster runs 4 ra3.4xlarge nodes.");
    ASSERT_STR_EQ(c.items[0].key, "prod-cluster node count");
    ASSERT_STR_EQ(am_extract_errmsg(), "");
    am_candidates_free(&c);
    x->destroy(x);

    /* a reply over the ceiling, a timeout, and nobody listening */
    cfg.fallback = 0;
    cfg.max_reply = 64;
    ASSERT_OK(am_extractor_openai(&cfg, &x));
    expect_failure(x, "prod-cluster runs 4 ra3.4xlarge nodes.", "over the ceiling");
    x->destroy(x);
    cfg.max_reply = 0;
    cfg.timeout_ms = 500;
    ASSERT_OK(am_extractor_openai(&cfg, &x));
    expect_failure(x, "SLOWREPLY prod-cluster runs 4 ra3.4xlarge nodes.", "request failed");
    x->destroy(x);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    ASSERT_OK(am_extractor_openai(&cfg, &x));
    expect_failure(x, "prod-cluster runs 4 ra3.4xlarge nodes.", "request failed");
    x->destroy(x);

    ASSERT_EQ(am_extractor_openai(NULL, &x), AM_EINVAL);
    cfg.base_url = "";
    ASSERT_EQ(am_extractor_openai(&cfg, &x), AM_EINVAL);
}

/* The same extractions through Bedrock Converse; the fake checks every SigV4 signature with
 * botocore and every body against botocore's Converse input shape. */
TEST(extract_llm_bedrock_converse)
{
    int port = 0;
    pid_t pid = start_fake("fake_bedrock.py", &port);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    unsetenv("AWS_SESSION_TOKEN");
    struct am_llm_config cfg = {.base_url = url, .model = "anthropic.claude-3-haiku-20240307-v1:0",
                                .region = "us-west-2", .timeout_ms = 5000, .retries = 1};
    struct am_extractor *x = NULL;
    ASSERT_OK(am_extractor_bedrock(&cfg, &x));
    ASSERT_STR_EQ(x->name, "bedrock");
    check_fake_answers(x);

    /* prose around the JSON is tolerated; a truncated answer, prose only, 5xx and 429 after
       the retries are failures */
    struct am_turn fenced[] = {{AM_ROLE_USER, "FENCED prod-cluster has 4 nodes.", NULL, TS_MAY8,
                                "ev-f", 0}};
    struct am_candidates c = {0};
    ASSERT_OK(x->facts(x, NULL, fenced, 1, &c));
    ASSERT_EQ(c.n, 1);
    ASSERT_STR_EQ(c.items[0].text, "FAKE: USER said FENCED prod-cluster has 4 nodes.");
    am_candidates_free(&c);
    expect_failure(x, "TRUNCATED prod-cluster has 4 nodes.", "max_tokens");
    expect_failure(x, "BADJSON prod-cluster has 4 nodes.", "not a JSON object");
    expect_failure(x, "FAIL500 prod-cluster has 4 nodes.", "HTTP 500");
    expect_failure(x, "THROTTLE prod-cluster has 4 nodes.", "HTTP 429");

    /* a custom strategy's appendToPrompt reaches the model */
    struct am_extract_ctx ctx = {"Only keep facts about clusters.", NULL};
    ASSERT_OK(x->facts(x, &ctx, llm_turns, 1, &c));
    am_candidates_free(&c);

    /* a wrong secret: AWS's answer is a 403, a failure for the job */
    setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret", 1);
    expect_failure(x, "prod-cluster has 4 nodes.", "HTTP 403");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    expect_failure(x, "prod-cluster has 4 nodes.", "no AWS credentials");
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    x->destroy(x);

    /* what the fake saw: every request signed (but the wrong-secret one), the instructions */
    char cmd[160];
    snprintf(cmd, sizeof cmd, "python3 -c \"import urllib.request,sys;sys.stdout.write("
             "urllib.request.urlopen('http://127.0.0.1:%d/_fake/requests').read().decode())\"",
             port);
    FILE *f = popen(cmd, "r");
    ASSERT_NOT_NULL(f);
    static char seen[1 << 20];
    size_t n = fread(seen, 1, sizeof seen - 1, f);
    seen[n] = '\0';
    pclose(f);
    ASSERT_STR_CONTAINS(seen, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse");
    ASSERT_STR_CONTAINS(seen, "ADDITIONAL INSTRUCTIONS");
    ASSERT_STR_CONTAINS(seen, "Only keep facts about clusters.");
    int n_bad = 0;
    for (const char *p = seen; (p = strstr(p, "\"signature_ok\": false")); p++)
        n_bad++;
    ASSERT_EQ(n_bad, 1);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);

    cfg.model = NULL;
    ASSERT_EQ(am_extractor_bedrock(&cfg, &x), AM_EINVAL);
}
#else
TEST(extract_llm_openai_unavailable_without_curl)
{
    struct am_llm_config cfg = {.base_url = "http://127.0.0.1:1/v1"};
    struct am_extractor *x = (struct am_extractor *)&cfg;
    ASSERT_EQ(am_extractor_openai(&cfg, &x), AM_EUNAVAIL);
    ASSERT_NULL(x);
}
#endif
