/*
 * preference.c - the built-in user preference extractor (userPreferenceMemoryStrategy).
 *
 * A preference is a stable like or dislike, a standing rule, or a choice between options:
 *   "I prefer a single workgroup"              -> Prefers a single workgroup
 *   "I'd rather restore from a snapshot than…" -> Would rather restore from a snapshot over …
 *   "Please always snapshot first"             -> Always snapshot first
 *   "Don't touch prod on Fridays"              -> Do not touch prod on Fridays
 *   "Let's go with ra3.4xlarge instead of dc2" -> Prefers ra3.4xlarge instead of dc2
 *   "I hate cilantro"                          -> Hates cilantro
 * and not every "I" sentence is one: "I'd like to know the node count" is a request, "I love
 * that!" a reaction, "I loved the movie" a past event, "Don't delete that snapshot" a
 * one-off instruction (a negative imperative is a rule only with a recurring marker such as
 * "on Fridays", "ever", "in the future"). Precision and recall on labelled sentences are
 * measured in tests/unit/test_extract.c.
 *
 * Each record is {"context": the sentence, "preference": the normalised statement,
 * "categories": keyword-derived}; its key names the subject ("workgroup", "touch prod",
 * "coffee|tea") so that a changed preference supersedes the old one.
 */
#include "extract/text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum pref_style {
    STYLE_STATE = 0,   /* "Prefers X", "Dislikes X" */
    STYLE_RULE,        /* "Always X", "Do not X" (imperative, kept as said) */
};

struct pref {
    const char *lead;          /* "Prefers", "Always", ... */
    size_t obj_from, obj_to;   /* the object */
    size_t alt_from, alt_to;   /* "over Y" / "instead of Y"; alt_from == alt_to: none */
    const char *alt_word;      /* "over", "instead of", "than" */
    int style;
    bool third_person_verb;    /* conjugate the first word of the object (habits) */
};

static const char *const object_pronouns[] = {"her", "him", "it", "it's", "its", "them",
                                              "those", "these", "you", "your", "how", "what",
                                              "when", "where", "why", NULL};
static const char *const request_verbs[] = {
    "add", "ask", "check", "clarify", "confirm", "discuss", "find", "get", "hear", "know",
    "learn", "look", "mention", "point", "say", "see", "share", "show", "start", "talk",
    "tell", "thank", "think", "try", "understand", "visit", "meet", "go", "do", "give",
    "help", "read", "believe", NULL};
static const char *const constraint_verbs[] = {"avoid", "have", "keep", "limit", "maximize",
                                               "minimize", "stay", "stick", "use", "ensure",
                                               "run", "get", NULL};
static const char *const np_starters[] = {"a", "an", "all", "daily", "each", "every", "just",
                                          "monthly", "multiple", "no", "one", "only",
                                          "separate", "single", "the", "two", "weekly", NULL};
static const char *const recurring[] = {"again", "anymore", "during", "ever", "future",
                                        "mondays", "tuesdays", "wednesdays", "thursdays",
                                        "fridays", "saturdays", "sundays", "weekends",
                                        "nights", "without", "unless", "until", "before",
                                        "weekdays", "mornings", "evenings", "prod",
                                        "production", "everything", "default", NULL};
/* Subjects that start a new clause after "and" or ", ". */
static const char *const clause_subjects[] = {"he", "i", "i'm", "it", "it'd", "it'll",
                                              "it's", "she", "that", "that's", "they",
                                              "this", "we", "you", NULL};
/* Words that follow "always"/"never" without being a verb ("Always good to hear!"). */
static const char *const not_verbs[] = {"amazing", "awesome", "fun", "full", "glad", "good",
                                        "great", "happy", "here", "nice", "so", "there",
                                        "too", NULL};
static const char *const clause_breaks[] = {"although", "because", "but", "cause", "cuz",
                                            "since", "though", "whereas", "while", NULL};
static const char *const subject_adverbs[] = {
    "absolutely", "actually", "also", "always", "definitely", "do", "generally", "honestly",
    "just", "kinda", "much", "normally", "personally", "really", "still", "strongly", "sure",
    "totally", "truly", "typically", "usually", "mostly", "often", "would", "'d", NULL};
static const char *const value_words[] = {
    "a", "all", "always", "an", "any", "big", "different", "each", "every", "few", "first",
    "five", "four", "large", "many", "more", "multiple", "my", "never", "new", "one", "only",
    "our", "own", "per", "same", "separate", "several", "single", "small", "the", "their",
    "three", "two", "to", "less", "fewer", "lot", "lots", "of", "some", "just", "your", NULL};

/* End of the object: the clause ends at a break word, a dash, or ", and I". */
static size_t object_end(const struct am_toks *t, size_t a, size_t to)
{
    size_t e = a;
    while (e < to && e < a + 30) {
        if (am_tok_in(t, e, clause_breaks) >= 0)
            break;
        if (am_tok_punct(t, e, ';') || am_tok_punct(t, e, ':') || am_tok_punct(t, e, '-') ||
            am_tok_punct(t, e, '.') || am_tok_punct(t, e, '!') || am_tok_punct(t, e, '('))
            break;
        if (am_tok_punct(t, e, ',') &&
            (am_tok_in(t, e + 1, clause_breaks) >= 0 || am_tok_is(t, e + 1, "so") ||
             am_tok_is(t, e + 1, "which") || am_tok_in(t, e + 1, clause_subjects) >= 0 ||
             (am_tok_is(t, e + 1, "and") && am_tok_in(t, e + 2, clause_subjects) >= 0)))
            break;
        if (am_tok_is(t, e, "and") && am_tok_in(t, e + 1, clause_subjects) >= 0)
            break;
        if (am_tok_is(t, e, "so") && !am_tok_is(t, e + 1, "much") &&
            !am_tok_is(t, e + 1, "many") && !am_tok_is(t, e + 1, "far") &&
            !am_tok_is(t, e + 1, "long"))
            break;
        e++;
    }
    while (e > a && t->v[e - 1].type == AM_TK_PUNCT && !am_tok_punct(t, e - 1, ')') &&
           !am_tok_punct(t, e - 1, '%') && !am_tok_punct(t, e - 1, '"'))
        e--;
    return e;
}

static const char *const comparatives[] = {
    "better", "bigger", "cheaper", "faster", "fewer", "greater", "higher", "larger", "less",
    "longer", "lower", "more", "other", "shorter", "slower", "smaller", "worse", NULL};

static bool is_quantity(const struct am_toks *t, size_t i)
{
    return am_tok_word(t, i) && ((t->v[i].flags & AM_TF_NUM) || am_tok_punct(t, i, '$'));
}

/* Split "X over Y" / "X instead of Y" / "X rather than Y" / "X than Y" inside [a, e). */
static void split_alternative(const struct am_toks *t, struct pref *p, bool allow_to)
{
    for (size_t i = p->obj_from + 1; i < p->obj_to; i++) {
        size_t alt = 0;
        const char *w = NULL;
        if (am_tok_is(t, i, "instead") && am_tok_is(t, i + 1, "of")) {
            alt = i + 2;
            w = "instead of";
        } else if (am_tok_is(t, i, "rather") && am_tok_is(t, i + 1, "than")) {
            alt = i + 2;
            w = "over";
        } else if ((am_tok_is(t, i, "than") || am_tok_is(t, i, "over")) &&
                   (am_tok_in(t, i - 1, comparatives) >= 0 || is_quantity(t, i + 1))) {
            continue;   /* "more than 128 RPUs", "over 5 nodes": a quantity, not an option */
        } else if (am_tok_is(t, i, "over") || am_tok_is(t, i, "than") ||
                   am_tok_is(t, i, "vs") || am_tok_is(t, i, "versus") ||
                   (allow_to && am_tok_is(t, i, "to"))) {
            alt = i + 1;
            w = am_tok_is(t, i, "than") ? "than" : "over";
        } else if (am_tok_punct(t, i, ',') && am_tok_is(t, i + 1, "not")) {
            alt = i + 2;
            w = "instead of";
        } else if (am_tok_is(t, i, "not") && i > p->obj_from + 1) {
            alt = i + 1;
            w = "instead of";
        }
        if (alt && alt < p->obj_to) {
            p->alt_from = alt;
            p->alt_to = p->obj_to;
            p->alt_word = w;
            p->obj_to = i;
            while (p->obj_to > p->obj_from && am_tok_punct(t, p->obj_to - 1, ','))
                p->obj_to--;
            return;
        }
    }
}

static bool content_in(const struct am_toks *t, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++)
        if (am_tok_word(t, i) && !(t->v[i].flags & AM_TF_STOP))
            return true;
    return false;
}

static bool bad_object(const struct am_toks *t, size_t a, size_t b)
{
    if (a >= b || !content_in(t, a, b))
        return true;
    if (am_tok_in(t, a, object_pronouns) >= 0)
        return true;
    if (am_tok_is(t, a, "the") && am_tok_is(t, a + 1, "way"))
        return true;   /* "I love the way it turned out": a reaction */
    if ((am_tok_is(t, a, "that") || am_tok_is(t, a, "this")) &&
        !(am_tok_is(t, a + 1, "we") || am_tok_is(t, a + 1, "the") ||
          am_tok_is(t, a + 1, "all") || am_tok_is(t, a + 1, "our") ||
          am_tok_is(t, a + 1, "every") || am_tok_is(t, a + 1, "each")))
        return true;
    return false;
}

/* A rule needs substance: two content words besides always/never/ever ("Never give up!" is
 * encouragement, "Never touch prod on Fridays" a rule), and no "you" (said to a friend). */
static bool weak_rule(const struct am_toks *t, size_t a, size_t b)
{
    size_t content = 0;
    for (size_t i = a; i < b; i++) {
        if (am_tok_is(t, i, "you") || am_tok_is(t, i, "your"))
            return true;
        if (am_tok_word(t, i) && (t->v[i].flags & (AM_TF_IDENT | AM_TF_NUM)))
            content += 2;
        else if (am_tok_word(t, i) && !(t->v[i].flags & AM_TF_STOP) && !am_tok_is(t, i, "never") &&
                 !am_tok_is(t, i, "ever") && !am_tok_is(t, i, "give") && !am_tok_is(t, i, "say"))
            content++;
    }
    return content < 2;
}

static bool has_recurring(const struct am_toks *t, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++) {
        if (am_tok_in(t, i, recurring) >= 0)
            return true;
        if ((am_tok_is(t, i, "from") && am_tok_is(t, i + 1, "now")) ||
            (am_tok_is(t, i, "going") && am_tok_is(t, i + 1, "forward")))
            return true;
    }
    return false;
}

static bool is_present_verb(const struct am_toks *t, size_t i)
{
    if (!am_tok_word(t, i) || (t->v[i].flags & (AM_TF_CAP | AM_TF_IDENT | AM_TF_NUM)))
        return false;
    const char *w = am_tok_low(t, i);
    size_t n = t->v[i].len;
    if (am_lex_has(AM_LEX_PAST, w, n) || am_lex_has(AM_LEX_MODAL, w, n) ||
        am_tok_in(t, i, not_verbs) >= 0)
        return false;
    if (n > 3 && memcmp(w + n - 2, "ed", 2) == 0)
        return false;
    if (am_lex_has(AM_LEX_STOP, w, n) && !am_tok_is(t, i, "do") && !am_tok_is(t, i, "get") &&
        !am_tok_is(t, i, "have") && !am_tok_is(t, i, "keep") && !am_tok_is(t, i, "go"))
        return false;
    return true;
}

/* Try the patterns at clause start c. */
static bool match_at(const struct am_toks *t, size_t c, size_t to, struct pref *p)
{
    memset(p, 0, sizeof *p);
    size_t i = c;
    while (am_tok_is(t, i, "please") || am_tok_is(t, i, "also") || am_tok_is(t, i, "and") ||
           am_tok_is(t, i, "so") || am_tok_is(t, i, "just") || am_tok_punct(t, i, ','))
        i++;

    /* standing rules: "from now on, …", "going forward, …" */
    if ((am_tok_is(t, i, "from") && am_tok_is(t, i + 1, "now") && am_tok_is(t, i + 2, "on")) ||
        (am_tok_is(t, i, "going") && am_tok_is(t, i + 1, "forward")) ||
        (am_tok_is(t, i, "moving") && am_tok_is(t, i + 1, "forward")) ||
        (am_tok_is(t, i, "in") && am_tok_is(t, i + 1, "the") && am_tok_is(t, i + 2, "future"))) {
        size_t j = i + (am_tok_is(t, i, "from") || am_tok_is(t, i, "in") ? 3 : 2);
        while (am_tok_punct(t, j, ','))
            j++;
        if (match_at(t, j, to, p))
            return true;
        if (j < to && is_present_verb(t, j) && am_tok_in(t, j, object_pronouns) < 0 &&
            !am_tok_is(t, j, "i") && !am_tok_is(t, j, "we")) {
            p->lead = "";
            p->style = STYLE_RULE;
            p->obj_from = j;
            p->obj_to = object_end(t, j, to);
            return !bad_object(t, p->obj_from, p->obj_to);
        }
        return false;
    }
    /* "make sure to always …" */
    if (am_tok_is(t, i, "make") && am_tok_is(t, i + 1, "sure")) {
        size_t j = i + 2;
        if (am_tok_is(t, j, "to") || am_tok_is(t, j, "you"))
            j++;
        if (am_tok_is(t, j, "always") || am_tok_is(t, j, "never"))
            return match_at(t, j, to, p);
        return false;
    }
    /* "always X", "never X" */
    if ((am_tok_is(t, i, "always") || am_tok_is(t, i, "never")) && is_present_verb(t, i + 1)) {
        p->lead = am_tok_is(t, i, "always") ? "Always" : "Never";
        p->style = STYLE_RULE;
        p->obj_from = i + 1;
        p->obj_to = object_end(t, i + 1, to);
        return !bad_object(t, p->obj_from, p->obj_to) && !weak_rule(t, p->obj_from, p->obj_to);
    }
    /* "don't [ever] X …" with a recurring marker */
    if (am_tok_is(t, i, "don't") || am_tok_is(t, i, "dont") ||
        (am_tok_is(t, i, "do") && am_tok_is(t, i + 1, "not"))) {
        size_t j = i + (am_tok_is(t, i, "do") ? 2 : 1);
        bool ever = am_tok_is(t, j, "ever");
        if (ever)
            j++;
        if (!is_present_verb(t, j) || am_tok_is(t, j, "forget") || am_tok_is(t, j, "worry"))
            return false;
        size_t e = object_end(t, j, to);
        if (!ever && !has_recurring(t, j, e))
            return false;
        p->lead = ever ? "Never" : "Do not";
        p->style = STYLE_RULE;
        p->obj_from = j;
        p->obj_to = e;
        return !bad_object(t, p->obj_from, p->obj_to) && !weak_rule(t, p->obj_from, p->obj_to);
    }
    /* "use X instead of Y" */
    if (am_tok_is(t, i, "use") || am_tok_is(t, i, "prefer") || am_tok_is(t, i, "stick") ||
        am_tok_is(t, i, "keep")) {
        size_t j = i + 1;
        if (am_tok_is(t, i, "stick") && (am_tok_is(t, j, "with") || am_tok_is(t, j, "to")))
            j++;
        p->obj_from = j;
        p->obj_to = object_end(t, j, to);
        split_alternative(t, p, false);
        if (!p->alt_word && !has_recurring(t, j, p->obj_to) && !am_tok_is(t, i, "prefer"))
            return false;   /* "Use the snapshot from yesterday": a one-off instruction */
        p->lead = am_tok_is(t, i, "use")     ? "Use"
                  : am_tok_is(t, i, "stick") ? "Stick with"
                  : am_tok_is(t, i, "keep")  ? "Keep"
                                             : "Prefers";
        p->style = am_tok_is(t, i, "prefer") ? STYLE_STATE : STYLE_RULE;
        return !bad_object(t, p->obj_from, p->obj_to);
    }
    /* "let's go with X [instead of Y]" */
    if (am_tok_is(t, i, "let's") || (am_tok_is(t, i, "let") && am_tok_is(t, i + 1, "us"))) {
        size_t j = i + (am_tok_is(t, i, "let") ? 2 : 1);
        static const char *const choice[][3] = {
            {"go", "with", "Prefers"},       {"stick", "with", "Prefers to stick with"},
            {"stay", "with", "Prefers to stay with"}, {"use", "", "Prefers to use"},
            {"keep", "", "Prefers to keep"}, {"choose", "", "Chose"}, {"pick", "", "Chose"},
            {"opt", "for", "Prefers"},       {"switch", "to", "Prefers to switch to"},
            {"do", "", "Prefers to do"},     {"stick", "to", "Prefers to stick to"},
        };
        for (size_t k = 0; k < sizeof choice / sizeof choice[0]; k++) {
            if (!am_tok_is(t, j, choice[k][0]))
                continue;
            size_t a = j + 1;
            if (choice[k][1][0]) {
                if (!am_tok_is(t, a, choice[k][1]))
                    continue;
                a++;
            }
            p->obj_from = a;
            p->obj_to = object_end(t, a, to);
            split_alternative(t, p, false);
            /* "let's do it", "let's keep going": encouragement, unless an alternative is named */
            if ((am_tok_is(t, j, "do") || am_tok_is(t, j, "keep")) && !p->alt_word)
                return false;
            p->lead = choice[k][2];
            p->style = STYLE_STATE;
            return !bad_object(t, p->obj_from, p->obj_to);
        }
        return false;
    }
    /* "my favorite X is Y" */
    if ((am_tok_is(t, i, "my") || am_tok_is(t, i, "our")) &&
        (am_tok_is(t, i + 1, "favorite") || am_tok_is(t, i + 1, "favourite"))) {
        size_t j = i + 2;
        while (j < to && j < i + 6 && !am_tok_is(t, j, "is") && !am_tok_is(t, j, "are") &&
               !am_tok_is(t, j, "was"))
            j++;
        if (j >= to || am_tok_is(t, j, "was"))
            return false;
        p->lead = "Favorite";
        p->style = STYLE_STATE;
        p->obj_from = i + 2;
        p->obj_to = object_end(t, i + 2, to);
        return !bad_object(t, j + 1, p->obj_to);
    }

    /* subject forms: I …, we …, I'm …, I'd … */
    bool would = false, neg = false, habit = false, am = false;
    const char *habit_word = NULL;
    if (am_tok_is(t, i, "i'd") || am_tok_is(t, i, "we'd")) {
        would = true;
        i++;
    } else if (am_tok_is(t, i, "i'm") || am_tok_is(t, i, "we're") ||
               (am_tok_is(t, i, "im") && (t->v[i].flags & AM_TF_CAP))) {
        am = true;
        i++;
    } else if (am_tok_is(t, i, "i") || am_tok_is(t, i, "we")) {
        i++;
        if (am_tok_is(t, i, "am") || am_tok_is(t, i, "are")) {
            am = true;
            i++;
        }
    } else {
        return false;
    }
    if (am) {
        static const char *const states[][4] = {
            {"a", "big", "fan", "Is a big fan of"}, {"a", "huge", "fan", "Is a huge fan of"},
            {"a", "fan", "", "Is a fan of"},        {"not", "a", "fan", "Is not a fan of"},
            {"into", "", "", "Is into"},            {"not", "into", "", "Is not into"},
            {"keen", "on", "", "Is keen on"},       {"fond", "of", "", "Is fond of"},
            {"crazy", "about", "", "Is crazy about"}, {"passionate", "about", "", "Is passionate about"},
            {"obsessed", "with", "", "Is obsessed with"}, {"allergic", "to", "", "Is allergic to"},
            {"vegetarian", "", "", "Is vegetarian"}, {"vegan", "", "", "Is vegan"},
            {"lactose", "intolerant", "", "Is lactose intolerant"},
            {"a", "morning", "person", "Is a morning person"},
            {"a", "night", "owl", "Is a night owl"},
        };
        while (am_tok_is(t, i, "really") || am_tok_is(t, i, "so") || am_tok_is(t, i, "totally") ||
               am_tok_is(t, i, "definitely") || am_tok_is(t, i, "also") ||
               am_tok_is(t, i, "just") || am_tok_is(t, i, "very"))
            i++;
        for (size_t k = 0; k < sizeof states / sizeof states[0]; k++) {
            size_t m = 0;
            while (m < 3 && states[k][m][0] && am_tok_is(t, i + m, states[k][m]))
                m++;
            if (m < 3 && states[k][m][0])
                continue;
            size_t a = i + m;
            if (am_tok_is(t, a, "of") && strstr(states[k][3], " of"))
                a++;
            p->lead = states[k][3];
            p->style = STYLE_STATE;
            p->obj_from = a;
            p->obj_to = object_end(t, a, to);
            /* "I'm vegan" needs no object */
            if (!strstr(states[k][3], " of") && !strstr(states[k][3], " to") &&
                !strstr(states[k][3], " on") && !strstr(states[k][3], " about") &&
                !strstr(states[k][3], " with") && !strstr(states[k][3], " into")) {
                p->obj_to = p->obj_from;
                return true;
            }
            return !bad_object(t, p->obj_from, p->obj_to);
        }
        /* "I'm going with X", "we're going with X" */
        if (am_tok_is(t, i, "going") && am_tok_is(t, i + 1, "with")) {
            p->lead = "Prefers";
            p->style = STYLE_STATE;
            p->obj_from = i + 2;
            p->obj_to = object_end(t, i + 2, to);
            split_alternative(t, p, false);
            return !bad_object(t, p->obj_from, p->obj_to);
        }
        return false;
    }
    for (int guard = 0; guard < 5; guard++) {
        if (am_tok_is(t, i, "would") || am_tok_is(t, i, "'d")) {
            would = true;
            i++;
        } else if (am_tok_is(t, i, "don't") || am_tok_is(t, i, "never") ||
                   am_tok_is(t, i, "can't") || am_tok_is(t, i, "cannot") ||
                   am_tok_is(t, i, "wouldn't") || (am_tok_is(t, i, "do") && am_tok_is(t, i + 1, "not"))) {
            if (am_tok_is(t, i, "never")) {
                habit = true;
                habit_word = "Never";
            }
            neg = true;
            i += am_tok_is(t, i, "do") ? 2 : 1;
        } else if (am_tok_is(t, i, "always") || am_tok_is(t, i, "usually") ||
                   am_tok_is(t, i, "typically") || am_tok_is(t, i, "generally") ||
                   am_tok_is(t, i, "normally")) {
            habit = true;
            habit_word = am_tok_is(t, i, "always")      ? "Always"
                         : am_tok_is(t, i, "usually")   ? "Usually"
                         : am_tok_is(t, i, "typically") ? "Typically"
                         : am_tok_is(t, i, "generally") ? "Generally"
                                                        : "Normally";
            i++;
        } else if (am_tok_in(t, i, subject_adverbs) >= 0) {
            i++;
        } else {
            break;
        }
    }
    if (am_tok_is(t, i, "used") || am_tok_is(t, i, "wanted") || am_tok_is(t, i, "liked") ||
        am_tok_is(t, i, "loved") || am_tok_is(t, i, "enjoyed") || am_tok_is(t, i, "hated"))
        return false;   /* past: an event or a former taste */

    static const char *const like_verbs[][3] = {
        /* verb, positive lead, negative lead */
        {"prefer", "Prefers", "Does not prefer"}, {"like", "Likes", "Does not like"},
        {"love", "Loves", "Does not love"},       {"enjoy", "Enjoys", "Does not enjoy"},
        {"adore", "Adores", ""},                  {"hate", "Hates", ""},
        {"dislike", "Dislikes", ""},              {"detest", "Detests", ""},
        {"loathe", "Loathes", ""},                {"care", "", "Does not care for"},
        {"stand", "", "Cannot stand"},            {"mind", "", "Does not mind"},
        {"want", "Wants", "Does not want"},       {"need", "Needs", "Does not need"},
        {"rather", "Would rather", "Would rather not"},
    };
    for (size_t k = 0; k < sizeof like_verbs / sizeof like_verbs[0]; k++) {
        if (!am_tok_is(t, i, like_verbs[k][0]))
            continue;
        const char *lead = neg ? like_verbs[k][2] : like_verbs[k][1];
        if (!lead[0])
            return false;
        size_t a = i + 1;
        if (am_tok_is(t, i, "care") && am_tok_is(t, a, "for"))
            a++;
        bool want = am_tok_is(t, i, "want") || am_tok_is(t, i, "need");
        bool pos_like = !neg && (am_tok_is(t, i, "like") || am_tok_is(t, i, "love"));
        if (would && pos_like && am_tok_is(t, a, "to"))
            return false;   /* "I'd like to know", "I'd love to visit": a request or a wish */
        if (!neg && am_tok_is(t, a, "to") && am_tok_in(t, a + 1, request_verbs) >= 0)
            return false;   /* "I like to think", "I want to know" */
        if (want && !neg) {
            /* "I want a single workgroup", "I want to keep costs low"; not "I want to
             * migrate prod" (a task) */
            bool np = am_tok_in(t, a, np_starters) >= 0 && am_tok_is(t, i, "want");
            bool constraint = am_tok_is(t, a, "to") && am_tok_in(t, a + 1, constraint_verbs) >= 0;
            if (!np && !constraint)
                return false;
            if (am_tok_is(t, a, "you"))
                return false;
        }
        if (want && neg && am_tok_is(t, a, "you") && !has_recurring(t, a, to))
            return false;   /* "I don't want you to worry" */
        if (would && am_tok_is(t, i, "like") && !neg && am_tok_is(t, a, "you"))
            return false;
        p->lead = lead;
        p->style = STYLE_STATE;
        p->obj_from = a;
        p->obj_to = object_end(t, a, to);
        split_alternative(t, p, am_tok_is(t, i, "prefer"));
        if (p->alt_word && strcmp(p->alt_word, "than") == 0 && !am_tok_is(t, i, "rather"))
            p->alt_word = "over";
        return !bad_object(t, p->obj_from, p->obj_to);
    }
    /* choices: "we decided to go with X", "I chose X", "we'll go with X" */
    if (am_tok_is(t, i, "decided") && am_tok_is(t, i + 1, "to"))
        i += 2;
    if ((am_tok_is(t, i, "go") || am_tok_is(t, i, "went")) && am_tok_is(t, i + 1, "with")) {
        p->lead = "Prefers";
        p->obj_from = i + 2;
    } else if (am_tok_is(t, i, "chose") || am_tok_is(t, i, "choose") || am_tok_is(t, i, "pick") ||
               am_tok_is(t, i, "picked")) {
        p->lead = "Chose";
        p->obj_from = i + 1;
    } else if ((am_tok_is(t, i, "stick") || am_tok_is(t, i, "stay")) &&
               am_tok_is(t, i + 1, "with")) {
        p->lead = "Prefers to stick with";
        p->obj_from = i + 2;
    } else if (am_tok_is(t, i, "opted") && am_tok_is(t, i + 1, "for")) {
        p->lead = "Prefers";
        p->obj_from = i + 2;
    } else if (habit && is_present_verb(t, i) && !am_tok_is(t, i, "feel") &&
               !am_tok_is(t, i, "think") && !am_tok_is(t, i, "know") &&
               !am_tok_is(t, i, "thought") && !am_tok_is(t, i, "wish")) {
        /* "I always snapshot first", "I usually run VACUUM at night", "I never eat meat" */
        p->lead = habit_word;
        p->obj_from = i;
        p->third_person_verb = true;
        p->style = STYLE_STATE;
        p->obj_to = object_end(t, i, to);
        return !bad_object(t, p->obj_from, p->obj_to);
    } else {
        return false;
    }
    p->style = STYLE_STATE;
    p->obj_to = object_end(t, p->obj_from, to);
    split_alternative(t, p, false);
    return !bad_object(t, p->obj_from, p->obj_to);
}

/* ---- output ----------------------------------------------------------------------------- */

/* Tokens [a, b) with first person turned into a neutral third person. */
static int emit_object(const struct am_toks *t, size_t a, size_t b, bool conj_first,
                       struct am_xbuf *out)
{
    static const char *const map[][2] = {
        {"i", "they"},          {"i'm", "they are"},   {"i've", "they have"},
        {"i'd", "they would"},  {"i'll", "they will"}, {"me", "them"},
        {"my", "their"},        {"mine", "theirs"},    {"myself", "themself"},
        {"we", "they"},         {"we're", "they are"}, {"we've", "they have"},
        {"we'll", "they will"}, {"us", "them"},        {"our", "their"},
        {"ours", "theirs"},     {"ourselves", "themselves"}, {"you", "the assistant"},
        {"your", "the assistant's"},
    };
    int rc = AM_OK;
    size_t prev_end = a < t->n ? t->v[a].off : 0;
    for (size_t i = a; i < b && !rc; i++) {
        const struct am_tok *k = &t->v[i];
        if (i > a && k->off > prev_end)
            rc = am_xbuf_addc(out, ' ');
        prev_end = k->off + k->len;
        if (rc)
            break;
        const char *rep = NULL;
        char tmp[64];
        if (am_tok_word(t, i)) {
            for (size_t m = 0; m < sizeof map / sizeof map[0] && !rep; m++)
                if (am_tok_is(t, i, map[m][0]))
                    rep = map[m][1];
            if (!rep && i == a && conj_first && k->len < 40) {
                /* "snapshot first" after "Always" stays imperative-looking; habits read
                 * better in the third person: "Always takes a snapshot first" */
                const char *w = am_tok_low(t, i);
                size_t n = k->len;
                if (n > 1 && strchr("sxzo", w[n - 1]))
                    snprintf(tmp, sizeof tmp, "%.*ses", (int)n, w);
                else if (n > 2 && w[n - 1] == 'h' && (w[n - 2] == 'c' || w[n - 2] == 's'))
                    snprintf(tmp, sizeof tmp, "%.*ses", (int)n, w);
                else if (n > 2 && w[n - 1] == 'y' && !strchr("aeiou", w[n - 2]))
                    snprintf(tmp, sizeof tmp, "%.*sies", (int)(n - 1), w);
                else if (am_tok_is(t, i, "have"))
                    snprintf(tmp, sizeof tmp, "has");
                else
                    snprintf(tmp, sizeof tmp, "%.*ss", (int)n, w);
                rep = tmp;
            }
        }
        if (rep)
            rc = am_xbuf_adds(out, rep);
        else
            rc = am_xbuf_add(out, t->s + k->off, k->len);
    }
    return rc;
}

static int pref_text(const struct am_toks *t, const struct pref *p, struct am_xbuf *out)
{
    int rc = AM_OK;
    if (strcmp(p->lead, "Favorite") == 0) {
        rc = am_xbuf_adds(out, "Favorite ");
    } else if (p->lead[0]) {
        rc = am_xbuf_adds(out, p->lead);
        if (!rc && p->obj_to > p->obj_from)
            rc = am_xbuf_addc(out, ' ');
    }
    size_t text_start = out->len;
    if (!rc)
        rc = emit_object(t, p->obj_from, p->obj_to, p->third_person_verb, out);
    if (!rc && !p->lead[0] && out->len > text_start)
        out->p[text_start] = (char)toupper((unsigned char)out->p[text_start]);
    if (!rc && p->alt_word && p->alt_to > p->alt_from) {
        rc = am_xbuf_addc(out, ' ');
        if (!rc)
            rc = am_xbuf_adds(out, p->alt_word);
        if (!rc)
            rc = am_xbuf_addc(out, ' ');
        if (!rc)
            rc = emit_object(t, p->alt_from, p->alt_to, false, out);
    }
    return rc;
}

static bool is_value_word(const struct am_toks *t, size_t i)
{
    return !am_tok_word(t, i) || (t->v[i].flags & (AM_TF_STOP | AM_TF_NUM)) ||
           am_tok_in(t, i, value_words) >= 0;
}

static void key_token(const struct am_toks *t, size_t i, char *out, size_t cap)
{
    const char *w = am_tok_low(t, i);
    size_t n = t->v[i].len;
    if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && !(t->v[i].flags & AM_TF_IDENT))
        n--;   /* workgroups -> workgroup, fridays -> friday */
    snprintf(out, cap, "%.*s", (int)(n < 60 ? n : 60), w);
}

/* Up to max_words content words of [a, b), skipping value words; "" if none. */
static void head_words(const struct am_toks *t, size_t a, size_t b, size_t max_words,
                       char *out, size_t cap)
{
    static const char *const light_verbs[] = {"ask", "choose", "do", "get", "go", "have",
                                              "keep", "make", "pick", "run", "send", "stay",
                                              "stick", "switch", "take", "use", NULL};
    size_t nw = 0;
    out[0] = '\0';
    static const char *const preps[] = {"after", "at", "before", "by", "during", "for",
                                        "from", "in", "instead", "on", "over", "than",
                                        "until", "with", "without", NULL};
    for (size_t i = a; i < b && nw < max_words; i++) {
        if (nw > 0 && am_tok_in(t, i, preps) >= 0)
            break;   /* the head ends at its first preposition */
        if (is_value_word(t, i))
            continue;
        if (nw == 0 && am_tok_in(t, i, light_verbs) >= 0 && i + 1 < b)
            continue;   /* "take a snapshot" -> "snapshot" */
        char w[64];
        key_token(t, i, w, sizeof w);
        size_t l = strlen(out);
        snprintf(out + l, cap - l, "%s%s", l ? " " : "", w);
        nw++;
    }
}

static void pref_key(const struct am_toks *t, const struct pref *p, char *out, size_t cap)
{
    char h[128] = "", alt[128] = "";
    out[0] = '\0';
    /* "Python for development": the purpose names the subject */
    for (size_t i = p->obj_from; i + 1 < p->obj_to; i++)
        if (am_tok_is(t, i, "for") && i > p->obj_from) {
            head_words(t, i + 1, p->obj_to, 2, h, sizeof h);
            if (h[0]) {
                snprintf(out, cap, "for %s", h);
                return;
            }
        }
    if (strcmp(p->lead, "Favorite") == 0) {
        size_t j = p->obj_from;
        while (j < p->obj_to && !am_tok_is(t, j, "is") && !am_tok_is(t, j, "are"))
            j++;
        head_words(t, p->obj_from, j, 2, h, sizeof h);
        snprintf(out, cap, "favorite %s", h);
        return;
    }
    if (!p->obj_to || p->obj_to <= p->obj_from) {
        snprintf(out, cap, "%s", p->lead);   /* "Is vegan" */
        for (char *c = out; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        return;
    }
    head_words(t, p->obj_from, p->obj_to, 2, h, sizeof h);
    if (p->alt_word && p->alt_to > p->alt_from) {
        char h1[128];
        head_words(t, p->obj_from, p->obj_to, 1, h1, sizeof h1);
        head_words(t, p->alt_from, p->alt_to, 1, alt, sizeof alt);
        if (alt[0] && h1[0] && strcmp(alt, h1) != 0) {
            bool lt = strcmp(h1, alt) < 0;
            snprintf(out, cap, "%.70s|%.70s", lt ? h1 : alt, lt ? alt : h1);
            return;
        }
    }
    snprintf(out, cap, "%s", h);
}

/* ---- the extractor ------------------------------------------------------------------------- */

static int push_pref(struct am_candidates *out, struct am_recent *recent, const struct am_turn *turns,
                     size_t ti, const char *sentence, size_t sentence_len,
                     const struct am_toks *t, const struct pref *p)
{
    struct am_xbuf pb, jb;
    const char *cats[AM_MAX_CATEGORIES];
    char key[160];
    char *pref = NULL;
    int rc;

    am_xbuf_init(&pb, 2000);
    am_xbuf_init(&jb, AM_EXTRACT_MAX_TEXT);
    rc = pref_text(t, p, &pb);
    if (rc)
        goto out;
    pref = am_xbuf_take(&pb);
    if (!pref) {
        rc = AM_ENOMEM;
        goto out;
    }
    size_t nc = am_categorize(t, p->obj_from, p->alt_to > p->obj_to ? p->alt_to : p->obj_to,
                              cats, AM_MAX_CATEGORIES);
    if (!nc)
        nc = am_categorize(t, 0, t->n, cats, AM_MAX_CATEGORIES);
    if (!nc) {
        cats[0] = "general";
        nc = 1;
    }
    rc = am_xbuf_adds(&jb, "{\"context\":");
    if (!rc)
        rc = am_xbuf_add_json(&jb, sentence, sentence_len);
    if (!rc)
        rc = am_xbuf_adds(&jb, ",\"preference\":");
    if (!rc)
        rc = am_xbuf_add_json(&jb, pref, strlen(pref));
    if (!rc)
        rc = am_xbuf_adds(&jb, ",\"categories\":[");
    for (size_t k = 0; k < nc && !rc; k++) {
        if (k)
            rc = am_xbuf_addc(&jb, ',');
        if (!rc)
            rc = am_xbuf_add_json(&jb, cats[k], strlen(cats[k]));
    }
    if (!rc)
        rc = am_xbuf_adds(&jb, "]}");
    if (rc)
        goto out;
    char *text = am_xbuf_take(&jb);
    if (!text) {
        rc = AM_ENOMEM;
        goto out;
    }
    if (am_recent_seen(recent, text)) {
        free(text);   /* said twice in this batch */
        goto out;
    }
    pref_key(t, p, key, sizeof key);
    char *k = key[0] ? am_xstrndup(key, strlen(key)) : NULL;
    if (key[0] && !k) {
        free(text);
        rc = AM_ENOMEM;
        goto out;
    }
    rc = am_candidates_push(out, AM_CAND_PREFERENCE, text, am_xstrndup(cats[0], strlen(cats[0])),
                            k, turns[ti].ts_ms, am_sources_json(turns, &ti, 1));
out:
    free(pref);
    am_xbuf_free(&pb);
    am_xbuf_free(&jb);
    return rc;
}

/* Clause starts in [from, to): the sentence start and each ", but I …" style restart. */
static bool clause_start(const struct am_toks *t, size_t i, size_t from)
{
    /* imperatives ("always", "never", "don't") count only at the sentence start: "… and
     * always make us smile" is a description, not a rule */
    static const char *const starters[] = {"i", "i'd", "i'm", "let's", "we", "we'd", "we're",
                                           NULL};
    if (i == from)
        return true;
    if (am_tok_in(t, i, starters) < 0)
        return false;
    return am_tok_punct(t, i - 1, ',') || am_tok_punct(t, i - 1, ';') ||
           am_tok_punct(t, i - 1, '-') || am_tok_in(t, i - 1, clause_breaks) >= 0 ||
           am_tok_is(t, i - 1, "and") || am_tok_is(t, i - 1, "so") ||
           am_tok_is(t, i - 1, "actually");
}

static int prefs_of_turn(const struct am_turn *turns, size_t ti, const struct am_people *pp,
                         struct am_candidates *out, struct am_recent *recent)
{
    char *norm = NULL;
    size_t norm_len = 0;
    struct am_spans sp = {0};
    int rc;

    rc = am_text_normalize(turns[ti].text, AM_MAX_TEXT_LEN, &norm, &norm_len);
    if (rc)
        return rc;
    rc = am_split_sentences(norm, norm_len, &sp);
    for (size_t s = 0; s < sp.n && !rc; s++) {
        struct am_toks t;
        if (sp.v[s].len > 600)
            continue;
        rc = am_toks_init(&t, norm + sp.v[s].off, sp.v[s].len);
        if (rc)
            break;
        size_t from = am_skip_discourse(&t, 0, t.n, pp);
        size_t to = am_trim_tail(&t, from, t.n, pp);
        bool conditional = am_tok_is(&t, from, "if") || am_tok_is(&t, from, "when") ||
                           am_tok_is(&t, from, "unless");
        if (!am_sentence_is_question(&t, 0, t.n) && !conditional) {
            for (size_t c = from; c < to && !rc; c++) {
                struct pref p;
                if (!clause_start(&t, c, from) || !match_at(&t, c, to, &p))
                    continue;
                rc = push_pref(out, recent, turns, ti, norm + sp.v[s].off, sp.v[s].len, &t, &p);
                c = p.alt_to > p.obj_to ? p.alt_to : p.obj_to;
            }
        }
        am_toks_free(&t);
    }
    am_spans_free(&sp);
    free(norm);
    return rc;
}

int am_extract_preferences(const struct am_turn *turns, size_t n, struct am_candidates *out)
{
    struct am_people pp;
    struct am_recent recent;
    int rc = AM_OK;
    if (!out || (n && !turns))
        return AM_EINVAL;
    size_t first_new = out->n;
    if (am_recent_init(&recent, 64))
        return AM_ENOMEM;
    am_people_collect(turns, n, &pp);
    for (size_t i = 0; i < n && !rc; i++) {
        if (!turns[i].text || turns[i].role != AM_ROLE_USER)
            continue;
        rc = prefs_of_turn(turns, i, &pp, out, &recent);
    }
    am_recent_free(&recent);
    if (rc)
        am_candidates_truncate(out, first_new);
    return rc;
}
