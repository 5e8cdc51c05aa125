/*
 * semantic.c - the built-in fact extractor (semanticMemoryStrategy) and the sentence
 * rewriting it shares with the summary.
 *
 * A fact must stand on its own when it is read months later in another session, so each
 * informative sentence is rewritten in the third person ("I adopted a dog" said by Caroline
 * becomes "Caroline adopted a dog"), relative dates get their absolute date, and a sentence
 * that leans on the previous one ("It's downtown") is joined to it. Greetings, questions,
 * reactions ("That's so cool!") and requests to the assistant are not facts.
 *
 * Facts about a recognised subject/attribute pair carry a key ("prod-cluster node count",
 * "caroline residence") so that a later, changed value supersedes the old record.
 */
#include "extract/text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- people and voices ------------------------------------------------------------------ */

void am_people_collect(const struct am_turn *turns, size_t n, struct am_people *p)
{
    p->n = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = turns[i].speaker;
        if (!s || !*s)
            continue;
        bool seen = false;
        for (size_t k = 0; k < p->n && !seen; k++)
            seen = strcmp(p->names[k], s) == 0;
        if (!seen && p->n < sizeof p->names / sizeof p->names[0])
            p->names[p->n++] = s;
    }
}

static void label_of(const struct am_turn *tu, char *first, size_t fcap, char *mid, size_t mcap)
{
    if (tu->speaker && *tu->speaker) {
        snprintf(first, fcap, "%.80s", tu->speaker);
        snprintf(mid, mcap, "%.80s", tu->speaker);
        return;
    }
    const char *who = tu->role == AM_ROLE_ASSISTANT ? "assistant"
                      : tu->role == AM_ROLE_USER    ? "user"
                      : tu->role == AM_ROLE_TOOL    ? "tool"
                                                    : "speaker";
    snprintf(first, fcap, "The %s", who);
    snprintf(mid, mcap, "the %s", who);
}

static bool same_voice(const struct am_turn *a, const struct am_turn *b)
{
    if (a->speaker && b->speaker)
        return strcmp(a->speaker, b->speaker) == 0;
    if (a->speaker || b->speaker)
        return false;
    return a->role == b->role;
}

static bool mentions_family(const char *s)
{
    static const char *const fam[] = {"kids", "kid ", "children", "family", "husband",
                                      "wife", "son", "daughter", "parents", "mom", "dad",
                                      "partner", NULL};
    for (size_t i = 0; fam[i]; i++)
        if (strcasestr(s, fam[i]))
            return true;
    return false;
}

void am_voice_for(const struct am_turn *turns, size_t n, size_t i, struct am_voice *v)
{
    const struct am_turn *tu = &turns[i];
    char dummy[96];
    label_of(tu, v->self, sizeof v->self, v->self_mid, sizeof v->self_mid);
    v->ts_ms = tu->ts_ms;
    v->other[0] = '\0';
    v->it_ref[0] = '\0';
    for (size_t k = i; k-- > 0 && !v->other[0];)
        if (!same_voice(&turns[k], tu) && turns[k].role != AM_ROLE_TOOL)
            label_of(&turns[k], dummy, sizeof dummy, v->other, sizeof v->other);
    for (size_t k = i + 1; k < n && !v->other[0]; k++)
        if (!same_voice(&turns[k], tu) && turns[k].role != AM_ROLE_TOOL)
            label_of(&turns[k], dummy, sizeof dummy, v->other, sizeof v->other);
    if (!v->other[0])
        snprintf(v->other, sizeof v->other, "%s",
                 tu->role == AM_ROLE_ASSISTANT ? "the user"
                 : tu->role == AM_ROLE_USER    ? "the assistant"
                                               : "the other person");
    if (tu->speaker && *tu->speaker) {
        if (tu->text && mentions_family(tu->text))
            snprintf(v->we, sizeof v->we, "%.80s's family", tu->speaker);
        else
            snprintf(v->we, sizeof v->we, "%.80s and others", tu->speaker);
    } else if (tu->role == AM_ROLE_ASSISTANT) {
        snprintf(v->we, sizeof v->we, "the assistant and the user");
    } else {
        snprintf(v->we, sizeof v->we, "%s's team", v->self_mid);
    }
}

/* ---- discourse ---------------------------------------------------------------------------- */

static const char *const interjections[] = {
    "yea", "absolutely", "actually", "also", "basically", "besides", "anyhow", "agreed", "ah", "aha", "alright", "anyway", "anyways", "aw", "awesome", "aww",
    "awww", "btw", "cheers", "congrats", "congratulations", "cool", "damn", "dang", "dear",
    "definitely", "exactly", "gosh", "great", "ha", "haha", "hahaha", "hehe", "hello", "hey",
    "hi", "hiya", "hmm", "honestly", "hooray", "indeed", "lol", "man", "nice", "no", "nope",
    "oh", "ok", "okay", "omg", "ooh", "oops", "right", "so", "sure", "sweet", "thanks", "true",
    "totally", "uh", "um", "wait", "well", "whoa", "wow", "yay", "yeah", "yes", "yep", "yup",
    NULL};
/* Interjections that may be dropped even without a following comma ("Yeah I went..."). */
static const char *const loose_interjections[] = {
    "ah", "and", "anyway", "aw", "aww", "btw", "but", "haha", "hahaha", "hey", "hmm", "lol",
    "oh", "ok", "okay", "omg", "plus", "so", "um", "uh", "well", "wow", "yeah", "yep", "yes",
    NULL};
static const char *const generic_vocatives[] = {"bro", "buddy", "dude", "everyone", "folks",
                                                "friend", "guys", "mate", "team", NULL};

static bool is_name(const struct am_toks *t, size_t i, const struct am_people *pp)
{
    if (!am_tok_word(t, i))
        return false;
    if (am_tok_in(t, i, generic_vocatives) >= 0)
        return true;
    if (!(t->v[i].flags & AM_TF_CAP) || am_tok_is(t, i, "i"))
        return false;
    const char *w = t->s + t->v[i].off;
    size_t n = t->v[i].len;
    for (size_t k = 0; pp && k < pp->n; k++) {
        size_t nl = strlen(pp->names[k]);
        if (n == nl && strncasecmp(w, pp->names[k], n) == 0)
            return true;
        if (n >= 3 && n < nl && strncasecmp(w, pp->names[k], n) == 0)
            return true;   /* "Mel" for Melanie */
    }
    return false;
}

static bool soft_punct(const struct am_toks *t, size_t i)
{
    return am_tok_punct(t, i, ',') || am_tok_punct(t, i, '!') || am_tok_punct(t, i, '.') ||
           am_tok_punct(t, i, '-') || am_tok_punct(t, i, ':') || am_tok_punct(t, i, ';');
}

size_t am_skip_discourse(const struct am_toks *t, size_t from, size_t to,
                         const struct am_people *pp)
{
    static const char *const multi[][5] = {
        {"by", "the", "way", NULL}, {"to", "be", "honest", NULL}, {"in", "fact", NULL},
        {"of", "course", NULL},     {"oh", "my", "gosh", NULL},   {"oh", "my", "god", NULL},
        {"thank", "you", "so", "much", NULL}, {"thank", "you", NULL},
        {"you", "know", NULL},      {"i", "mean", NULL},          {"good", "to", "hear", NULL},
        {"thanks", "so", "much", NULL}, {"thanks", "a", "lot", NULL}, {"that", "said", NULL},
        {"fun", "fact", NULL},
    };
    size_t i = from;
    for (int guard = 0; guard < 12 && i < to; guard++) {
        size_t before = i;
        /* stray symbols and emoji at the start */
        while (i < to && t->v[i].type == AM_TK_PUNCT)
            i++;
        for (size_t m = 0; m < sizeof multi / sizeof multi[0]; m++) {
            size_t k = 0;
            while (multi[m][k] && am_tok_is(t, i + k, multi[m][k]))
                k++;
            if (!multi[m][k] && k > 0 && (soft_punct(t, i + k) || i + k >= to)) {
                i += k;
                break;
            }
        }
        if (am_tok_in(t, i, interjections) >= 0) {
            if (soft_punct(t, i + 1) || i + 1 >= to) {
                i += 1;
            } else if (is_name(t, i + 1, pp)) {
                i += 2;   /* "Hey Mel!" */
            } else if (am_tok_in(t, i, loose_interjections) >= 0) {
                i += 1;
            }
        } else if (am_tok_in(t, i, loose_interjections) >= 0) {
            i += 1;
        } else if (is_name(t, i, pp) && (soft_punct(t, i + 1) || i + 1 >= to)) {
            i += 1;   /* "Caroline, ..." */
        }
        while (i < to && t->v[i].type == AM_TK_PUNCT)
            i++;
        if (i == before)
            break;
    }
    return i;
}

size_t am_trim_tail(const struct am_toks *t, size_t from, size_t to, const struct am_people *pp)
{
    size_t e = to;
    for (int guard = 0; guard < 6 && e > from; guard++) {
        size_t before = e;
        while (e > from && t->v[e - 1].type == AM_TK_PUNCT && !am_tok_punct(t, e - 1, ')') &&
               !am_tok_punct(t, e - 1, '"') && !am_tok_punct(t, e - 1, '%') &&
               !am_tok_punct(t, e - 1, '$'))
            e--;
        /* ", Caroline" / "great Jon" at the end */
        if (e > from + 1 && is_name(t, e - 1, pp) &&
            (am_tok_punct(t, e - 2, ',') || !(t->v[e - 2].flags & AM_TF_CAP)) &&
            !am_tok_is(t, e - 2, "with") && !am_tok_is(t, e - 2, "to") &&
            !am_tok_is(t, e - 2, "and") && !am_tok_is(t, e - 2, "for") &&
            !am_tok_is(t, e - 2, "about") && !am_tok_is(t, e - 2, "met") &&
            !am_tok_is(t, e - 2, "saw") && !am_tok_is(t, e - 2, "told")) {
            e--;
        }
        if (e == before)
            break;
    }
    return e;
}

bool am_sentence_is_question(const struct am_toks *t, size_t from, size_t to)
{
    static const char *const wh[] = {"how", "how's", "what", "what's", "where", "where's",
                                     "which", "who", "who's", "whose", "why", NULL};
    static const char *const aux[] = {"are", "aren't", "can", "could", "did", "didn't", "do",
                                      "does", "doesn't", "don't", "has", "have", "is",
                                      "isn't", "shall", "should", "was", "were", "will",
                                      "would", "wanna", NULL};
    static const char *const subj[] = {"anyone", "he", "it", "she", "that", "there", "they",
                                       "this", "u", "we", "you", "your", "ya", NULL};
    for (size_t i = from; i < to; i++)
        if (am_tok_punct(t, i, '?'))
            return true;
    if (from < t->n && to < t->n && am_tok_punct(t, to, '?'))
        return true;
    size_t i = from;
    while (i < to && t->v[i].type == AM_TK_PUNCT)
        i++;
    if (am_tok_in(t, i, wh) >= 0 && !am_tok_is(t, i + 1, "i") && !am_tok_is(t, i + 1, "we") &&
        !am_tok_is(t, i + 1, "my") && !am_tok_is(t, i + 1, "a"))
        return true;
    if (am_tok_in(t, i, aux) >= 0 && am_tok_in(t, i + 1, subj) >= 0)
        return true;
    return false;
}

/* ---- inflection ------------------------------------------------------------------------------ */

static bool ends_with(const char *w, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && memcmp(w + n - k, suf, k) == 0;
}

static bool is_past(const char *w, size_t n)
{
    /* present tense verbs that end in -ed */
    static const char *const not_past[] = {"bleed", "breed", "embed", "exceed", "feed",
                                           "need", "proceed", "seed", "shed", "speed",
                                           "succeed", NULL};
    for (size_t k = 0; not_past[k]; k++)
        if (strlen(not_past[k]) == n && memcmp(w, not_past[k], n) == 0)
            return false;
    return am_lex_has(AM_LEX_PAST, w, n) || (n > 3 && ends_with(w, n, "ed"));
}

/* Third person singular of a verb that followed "I" or "you"; into out. false: unchanged. */
static bool third_person(const char *w, size_t n, bool past, char *out, size_t cap)
{
    /* past tense that looks like the present: "yesterday I put this dress on" */
    static const char *const same_past[] = {"bet", "cost", "cut", "hit", "hurt", "let", "put",
                                            "quit", "read", "set", "shut", "split", "spread",
                                            "upset", NULL};
    for (size_t k = 0; past && same_past[k]; k++)
        if (strlen(same_past[k]) == n && memcmp(w, same_past[k], n) == 0)
            return false;
    static const char *const irregular[][2] = {
        {"am", "is"},          {"are", "is"},          {"aren't", "isn't"}, {"have", "has"},
        {"haven't", "hasn't"}, {"do", "does"},         {"don't", "doesn't"}, {"were", "was"},
        {"weren't", "wasn't"}, {"'m", "is"},          {"wanna", "wants to"},
        {"gonna", "is going to"}, {"gotta", "has to"},
    };
    for (size_t k = 0; k < sizeof irregular / sizeof irregular[0]; k++)
        if (strlen(irregular[k][0]) == n && memcmp(w, irregular[k][0], n) == 0) {
            snprintf(out, cap, "%s", irregular[k][1]);
            return true;
        }
    /* stop words that are verbs after "I" */
    static const char *const stop_verbs[] = {"get", "know", "like", "mean", "seem", NULL};
    bool stop_verb = false;
    for (size_t k = 0; stop_verbs[k] && !stop_verb; k++)
        stop_verb = strlen(stop_verbs[k]) == n && memcmp(w, stop_verbs[k], n) == 0;
    if (n < 2 || n > 30 || am_lex_has(AM_LEX_MODAL, w, n) || is_past(w, n) ||
        ends_with(w, n, "ing") || ends_with(w, n, "n't") ||
        (am_lex_has(AM_LEX_STOP, w, n) && !stop_verb))
        return false;
    for (size_t k = 0; k < n; k++)
        if (!islower((unsigned char)w[k]))
            return false;
    if (ends_with(w, n, "s") || ends_with(w, n, "x") || ends_with(w, n, "z") ||
        ends_with(w, n, "ch") || ends_with(w, n, "sh") || ends_with(w, n, "o"))
        snprintf(out, cap, "%.*ses", (int)n, w);
    else if (n > 2 && w[n - 1] == 'y' && !strchr("aeiou", w[n - 2]))
        snprintf(out, cap, "%.*sies", (int)(n - 1), w);
    else
        snprintf(out, cap, "%.*ss", (int)n, w);
    return true;
}

/* ---- rewriting ---------------------------------------------------------------------------- */

struct emitter {
    struct am_xbuf *out;
    const struct am_toks *t;
    size_t prev_end;
    bool first;       /* nothing emitted yet: capitalise */
    bool started;
    bool space;       /* put a space before the next token whatever the source says */
};

static int emit_raw(struct emitter *e, const char *s, size_t n, size_t tok_off, size_t tok_end)
{
    int rc = AM_OK;
    if (e->started && (tok_off > e->prev_end || e->space))
        rc = am_xbuf_addc(e->out, ' ');
    e->space = false;
    /* identifiers keep their case at the start of a sentence: "prod-cluster runs …" */
    bool ident = false;
    for (size_t k = 0; k < n && s[k] != ' '; k++)
        if (strchr("-_.:/0123456789", s[k]))
            ident = true;
    if (!rc && n) {
        if (e->first && isalpha((unsigned char)s[0]) && !ident) {
            rc = am_xbuf_addc(e->out, (char)toupper((unsigned char)s[0]));
            if (!rc)
                rc = am_xbuf_add(e->out, s + 1, n - 1);
        } else {
            rc = am_xbuf_add(e->out, s, n);
        }
        e->first = false;
    }
    e->started = true;
    e->prev_end = tok_end;
    return rc;
}

static int emit_tok(struct emitter *e, size_t i)
{
    const struct am_tok *k = &e->t->v[i];
    return emit_raw(e, e->t->s + k->off, k->len, k->off, k->off + k->len);
}

static int emit_str(struct emitter *e, size_t i, const char *s)
{
    const struct am_tok *k = &e->t->v[i];
    return emit_raw(e, s, strlen(s), k->off, k->off + k->len);
}

static void possessive(const char *x, char *out, size_t cap)
{
    size_t n = strlen(x);
    snprintf(out, cap, "%s%s", x, n && x[n - 1] == 's' ? "'" : "'s");
}

/* Index of the next non-adverb word after i (for verb agreement). */
static size_t next_verb(const struct am_toks *t, size_t i, size_t to)
{
    size_t j = i + 1;
    while (j < to && am_tok_word(t, j) &&
           am_lex_has(AM_LEX_ADVERB, am_tok_low(t, j), t->v[j].len) && !am_tok_is(t, j, "think"))
        j++;
    return j;
}

static bool sentence_past(const struct am_toks *t, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (!am_tok_word(t, i))
            continue;
        const char *w = am_tok_low(t, i);
        size_t n = t->v[i].len;
        if (is_past(w, n) || am_tok_is(t, i, "ago") || am_tok_is(t, i, "yesterday") ||
            am_tok_is(t, i, "last"))
            return true;
    }
    return false;
}

/* Subjectless first-person openers: "Gonna continue my edu" -> "<self> is going to ...". */
static const char *const subjectless_words[] = {
    "adopted", "been",     "bought",   "currently", "decided", "finished", "found",
    "going",   "gonna",   "got",      "gotta",    "had",       "hoping",  "joined",   "just",
    "learned", "made",    "met",      "need",     "planning",  "saw",     "signed",   "spent",
    "started", "thinking", "took",     "tried",     "trying",  "visited",  "wanna",
    "want",    "went",    "working",  NULL};

static const char *subjectless_verb(const struct am_toks *t, size_t i)
{
    static const char *const map[][2] = {
        {"gonna", "is going to"}, {"going", "is going"},   {"planning", "is planning"},
        {"hoping", "is hoping"},  {"trying", "is trying"}, {"thinking", "is thinking"},
        {"working", "is working"}, {"been", "has been"},   {"gotta", "has to"},
        {"need", "needs"},        {"want", "wants"},       {"wanna", "wants to"},
    };
    for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
        if (am_tok_is(t, i, map[k][0]))
            return map[k][1];
    return NULL;
}

int am_rewrite(const struct am_toks *t, size_t from, size_t to, const struct am_voice *v,
               bool subjectless, struct am_xbuf *out)
{
    struct emitter e = {out, t, 0, true, false, false};
    char tmp[160], poss_self[128], poss_other[128];
    bool past = sentence_past(t, from, to);
    size_t conj_at = (size_t)-1;   /* token index whose verb must agree with a 3rd person */
    int rc = AM_OK;

    possessive(v->self_mid, poss_self, sizeof poss_self);
    possessive(v->other, poss_other, sizeof poss_other);
    if (subjectless && from < to) {
        rc = emit_raw(&e, v->self, strlen(v->self), t->v[from].off, t->v[from].off);
        e.space = true;
        const char *vb = subjectless_verb(t, from);
        if (!rc && vb) {
            rc = emit_str(&e, from, vb);
            from++;
        } else if (!rc) {
            conj_at = next_verb(t, from - 1, to);
        }
        if (!rc && from < to && (t->v[from].flags & AM_TF_CAP) && !(t->v[from].flags & AM_TF_ACRO) &&
            am_tok_word(t, from) && from != conj_at) {
            /* "Just got back" -> "Caroline just got back" */
            rc = emit_raw(&e, am_tok_low(t, from), t->v[from].len, t->v[from].off,
                          t->v[from].off + t->v[from].len);
            from++;
        }
    }
    for (size_t i = from; i < to && !rc; i++) {
        const char *self = e.first ? v->self : v->self_mid;
        char note[64];
        size_t dend;
        if (am_tok_word(t, i) && v->ts_ms > 0 &&
            am_date_match(t, i, to, v->ts_ms, past, &dend, note, sizeof note)) {
            for (size_t k = i; k < dend && !rc; k++)
                rc = emit_tok(&e, k);
            if (!rc && !am_tok_punct(t, dend, '(')) {
                snprintf(tmp, sizeof tmp, "(%s)", note);
                rc = emit_raw(&e, tmp, strlen(tmp), e.prev_end + 1, e.prev_end + 1);
                e.prev_end = t->v[dend - 1].off + t->v[dend - 1].len;
            }
            i = dend - 1;
            continue;
        }
        if (!am_tok_word(t, i)) {
            rc = emit_tok(&e, i);
            continue;
        }
        if (i == from && v->it_ref[0] &&
            (am_tok_is(t, i, "it") || am_tok_is(t, i, "it's") || am_tok_is(t, i, "its"))) {
            if (am_tok_is(t, i, "its"))
                possessive(v->it_ref, tmp, sizeof tmp);
            else
                snprintf(tmp, sizeof tmp, "%s%s", v->it_ref, am_tok_is(t, i, "it's") ? " is" : "");
            rc = emit_str(&e, i, tmp);
            continue;
        }
        if (i == conj_at) {
            if (third_person(am_tok_low(t, i), t->v[i].len, past, tmp, sizeof tmp))
                rc = emit_str(&e, i, tmp);
            else
                rc = emit_tok(&e, i);
            continue;
        }
        if (am_tok_is(t, i, "i") || am_tok_is(t, i, "you") || am_tok_is(t, i, "u")) {
            bool me = am_tok_is(t, i, "i");
            /* "you" after a verb or preposition is an object; it agrees with nothing */
            rc = emit_str(&e, i, me ? self : (e.first ? v->other : v->other));
            if (!rc && e.prev_end && i + 1 < to) {
                size_t vi = next_verb(t, i, to);
                if (me || i == from || !am_tok_word(t, i - 1) ||
                    am_tok_is(t, i - 1, "and") || am_tok_is(t, i - 1, "but") ||
                    am_tok_is(t, i - 1, "if") || am_tok_is(t, i - 1, "that") ||
                    am_tok_is(t, i - 1, "because") || am_tok_is(t, i - 1, "when"))
                    conj_at = vi;
            }
            continue;
        }
        static const char *const contr_self[][2] = {
            {"i'm", "is"}, {"im", "is"}, {"i've", "has"}, {"i'll", "will"},
        };
        bool done = false;
        for (size_t k = 0; k < sizeof contr_self / sizeof contr_self[0] && !done; k++)
            if (am_tok_is(t, i, contr_self[k][0]) &&
                (k != 1 || (t->v[i].flags & AM_TF_CAP))) {
                snprintf(tmp, sizeof tmp, "%s %s", self, contr_self[k][1]);
                rc = emit_str(&e, i, tmp);
                done = true;
            }
        if (done)
            continue;
        if (am_tok_is(t, i, "i'd")) {
            size_t vi = next_verb(t, i, to);
            bool had = vi < to && am_tok_word(t, vi) &&
                       (is_past(am_tok_low(t, vi), t->v[vi].len) || am_tok_is(t, vi, "better"));
            snprintf(tmp, sizeof tmp, "%s %s", self, had ? "had" : "would");
            rc = emit_str(&e, i, tmp);
            continue;
        }
        static const char *const contr_you[][2] = {
            {"you're", "is"}, {"you've", "has"}, {"you'll", "will"}, {"you'd", "would"},
        };
        for (size_t k = 0; k < sizeof contr_you / sizeof contr_you[0] && !done; k++)
            if (am_tok_is(t, i, contr_you[k][0])) {
                snprintf(tmp, sizeof tmp, "%s %s", v->other, contr_you[k][1]);
                rc = emit_str(&e, i, tmp);
                done = true;
            }
        if (done)
            continue;
        if (am_tok_is(t, i, "me")) {
            rc = emit_str(&e, i, v->self_mid);
        } else if (am_tok_is(t, i, "my") || am_tok_is(t, i, "mine") || am_tok_is(t, i, "our") ||
                   am_tok_is(t, i, "ours")) {
            if (e.first) {
                possessive(v->self, tmp, sizeof tmp);
                rc = emit_str(&e, i, tmp);
            } else {
                rc = emit_str(&e, i, poss_self);
            }
        } else if (am_tok_is(t, i, "myself") || am_tok_is(t, i, "yourself")) {
            rc = emit_str(&e, i, "themself");
        } else if (am_tok_is(t, i, "ourselves")) {
            rc = emit_str(&e, i, "themselves");
        } else if (am_tok_is(t, i, "your") || am_tok_is(t, i, "yours") || am_tok_is(t, i, "ur")) {
            rc = emit_str(&e, i, poss_other);
        } else if (am_tok_is(t, i, "we") || am_tok_is(t, i, "us")) {
            rc = emit_str(&e, i, v->we);
        } else if (am_tok_is(t, i, "we're") || am_tok_is(t, i, "we've") ||
                   am_tok_is(t, i, "we'll") || am_tok_is(t, i, "we'd")) {
            const char *aux = am_tok_is(t, i, "we're")   ? "are"
                              : am_tok_is(t, i, "we've") ? "have"
                              : am_tok_is(t, i, "we'll") ? "will"
                                                         : "would";
            snprintf(tmp, sizeof tmp, "%s %s", v->we, aux);
            rc = emit_str(&e, i, tmp);
        } else {
            rc = emit_tok(&e, i);
        }
    }
    if (!rc)
        rc = am_xbuf_addc(out, '.');
    return rc;
}

/* ---- informativeness ------------------------------------------------------------------------ */

static const char *const reaction_starts[] = {
    "amazing", "awesome", "beautiful", "bye", "can't", "cant", "catch", "congrats",
    "congratulations", "cool", "enjoy", "fantastic", "glad", "good", "great", "happy", "have",
    "hope", "how", "incredible", "keep", "let", "looks", "love", "lovely", "nice", "see",
    "seems", "so", "sorry", "sounds", "stay", "such", "take", "talk", "thank", "thanks",
    "what", "wonderful", "wow", NULL};
static const char *const pronoun_starts[] = {"he", "he's", "her", "his", "it", "it'll",
                                             "it's", "its", "she", "she's", "that",
                                             "that's", "thats", "these", "they", "they're",
                                             "this", "those", "there", "there's", NULL};
static const char *const second_person[] = {"u", "ur", "you", "you'd", "you'll", "you're",
                                            "you've", "your", "yours", NULL};
static const char *const request_starts[] = {
    "add", "call", "can", "cancel", "change", "check", "could", "create", "delete", "describe",
    "don't", "email", "explain", "find", "give", "go", "help", "hold", "if", "let's", "list",
    "look", "make", "message", "migrate", "move", "pause", "ping", "please", "remind", "remove",
    "restore", "run", "schedule", "send", "set", "share", "show", "start", "stop", "tell",
    "text", "try", "unless", "update", "use", "wait", "will", "would", NULL};
static const char *const first_person[] = {"i", "i'd", "i'll", "i'm", "i've", "me", "mine",
                                           "my", "our", "ours", "us", "we", "we'd", "we'll",
                                           "we're", "we've", NULL};
/* "I'm so glad for you", "I agree": a reaction, not a fact about the speaker. */
static const char *const first_person_reactions[] = {
    "admire", "agree", "appreciate", "bet", "can't", "couldn't", "excited", "feel", "get",
    "glad", "guess", "happy", "hope", "imagine", "impressed", "know", "love", "loved", "mean",
    "proud", "see", "sorry", "thankful", "think", "thought", "totally", "understand", "wish",
    NULL};

static bool has_second_person(const struct am_toks *t, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (am_tok_in(t, i, second_person) >= 0)
            return true;
    return false;
}

/* Words that carry mood but no information: "John will give it a try", "so stoked". */
static const char *const vague_words[] = {
    "amazing", "appreciate", "awesome", "best", "bit", "cool", "day", "definitely", "excited",
    "fun", "give", "glad", "going", "good", "great", "happy", "hard", "keep", "let", "look",
    "lot", "love", "lucky", "make", "making", "mean", "much", "need", "nice", "posted",
    "pumped", "see", "special", "stoked", "stuff", "super", "support", "sure", "take", "thing",
    "think", "time", "touch", "try", "want", "wanted", "work", "worth", NULL};

static size_t count_content(const struct am_toks *t, size_t from, size_t to)
{
    size_t c = 0;
    for (size_t i = from; i < to; i++)
        if (am_tok_word(t, i) && !(t->v[i].flags & AM_TF_STOP) &&
            (t->v[i].len > 1 || (t->v[i].flags & AM_TF_NUM)) && am_tok_in(t, i, vague_words) < 0)
            c++;
    return c;
}

int am_informative(const struct am_toks *t, size_t *from, size_t to,
                   const struct am_people *pp, bool *subjectless)
{
    static const char *const leadins[][5] = {
        {"remember", "that", NULL}, {"note", "that", NULL}, {"fyi", NULL},
        {"just", "so", "you", "know", NULL}, {"for", "the", "record", NULL},
        {"for", "context", NULL}, {"note", NULL}, {"heads", "up", NULL},
        {"keep", "in", "mind", "that", NULL}, {"please", "note", "that", NULL},
        {"please", "remember", "that", NULL}, {"update", NULL}, {"status", NULL},
    };
    size_t f = *from;
    *subjectless = false;
    if (am_sentence_is_question(t, f, to))
        return 0;
    for (size_t m = 0; m < sizeof leadins / sizeof leadins[0]; m++) {
        size_t k = 0;
        while (leadins[m][k] && am_tok_is(t, f + k, leadins[m][k]))
            k++;
        if (!leadins[m][k] && k > 0 && (k > 1 || am_tok_punct(t, f + k, ':') ||
                                        am_tok_punct(t, f + k, ','))) {
            f += k;
            while (f < to && t->v[f].type == AM_TK_PUNCT)
                f++;
            break;
        }
    }
    *from = f;
    /* decisions and completed steps are what a work conversation should remember */
    static const char *const outcome_verbs[] = {
        "agreed", "booked", "chose", "completed", "created", "decided", "deleted", "deployed",
        "done", "failed", "finished", "migrated", "moved", "picked", "planned", "resized",
        "restored", "scheduled", "settled", "signed", "started", "succeeded", "switched",
        "upgraded", NULL};
    size_t n_words = 0;
    bool fp = false, we_only = true, ident = false, entity = false, when = false;
    bool outcome = false;
    for (size_t i = f; i < to; i++) {
        if (!am_tok_word(t, i))
            continue;
        n_words++;
        unsigned fl = t->v[i].flags;
        if (am_tok_in(t, i, first_person) >= 0 || (am_tok_is(t, i, "im") && (fl & AM_TF_CAP))) {
            fp = true;
            if (!am_tok_is(t, i, "we") && !am_tok_is(t, i, "us") && !am_tok_is(t, i, "we're") &&
                !am_tok_is(t, i, "we've") && !am_tok_is(t, i, "we'll") &&
                !am_tok_is(t, i, "we'd") && !am_tok_is(t, i, "our"))
                we_only = false;
        }
        if (am_tok_in(t, i, outcome_verbs) >= 0)
            outcome = true;
        if (fl & (AM_TF_IDENT | AM_TF_NUM))
            ident = true;
        if (i > f && (fl & (AM_TF_CAP | AM_TF_ACRO)) && !am_tok_is(t, i, "i") &&
            !am_tok_is(t, i, "i'm") && !am_tok_is(t, i, "i've") && !am_tok_is(t, i, "i'd") &&
            !am_tok_is(t, i, "i'll") && !is_name(t, i, pp))
            entity = true;
        char note[64];
        size_t de;
        if (am_date_match(t, i, to, 1, true, &de, note, sizeof note))
            when = true;
    }
    if (n_words < 3)
        return 0;
    size_t content = count_content(t, f, to);
    size_t w0 = f;
    if (!am_tok_word(t, w0))
        return 0;

    if (am_tok_in(t, w0, second_person) >= 0)
        return ident ? 2 : 0;
    /* "Email me the list", "Send us the ARN": a request, whatever the verb */
    if ((am_tok_is(t, w0 + 1, "me") || am_tok_is(t, w0 + 1, "us")) &&
        am_tok_in(t, w0, first_person) < 0 && !(t->v[w0].flags & AM_TF_CAP && w0 > *from))
        return 0;
    /* "Just got back" is first person; "Just my fur babies" is not */
    if (am_tok_is(t, w0, "just") && !(w0 + 1 < to && am_tok_word(t, w0 + 1) &&
                                      (is_past(am_tok_low(t, w0 + 1), t->v[w0 + 1].len) ||
                                       am_tok_in(t, w0 + 1, subjectless_words) >= 0)))
        return 0;
    /* "Been painting a lot" is first person; "Been a long road" is "it has been" */
    bool impersonal_been = am_tok_is(t, w0, "been") &&
                           !(w0 + 1 < to && (ends_with(am_tok_low(t, w0 + 1), t->v[w0 + 1].len, "ing") ||
                                             am_tok_is(t, w0 + 1, "busy") || am_tok_is(t, w0 + 1, "to")));
    if (!impersonal_been && am_tok_in(t, w0, subjectless_words) >= 0 && !am_tok_is(t, w0 + 1, "i") &&
        !am_tok_is(t, w0 + 1, "we") && !(am_tok_is(t, w0, "just") && am_tok_in(t, w0 + 1, first_person) >= 0)) {
        /* "Got any..." was caught as a question; "Going to the store" is first person */
        *subjectless = true;
        fp = true;
    } else if (am_tok_in(t, w0, reaction_starts) >= 0) {
        return 0;
    } else if (am_tok_in(t, w0, request_starts) >= 0) {
        return 0;
    } else if (am_tok_in(t, w0, pronoun_starts) >= 0) {
        return content >= 2 ? -1 : 0;   /* leans on the previous sentence */
    }
    if (am_tok_is(t, w0, "i") || am_tok_is(t, w0, "i'm") || am_tok_is(t, w0, "im")) {
        size_t j = w0 + 1;
        while (j < to && (am_tok_is(t, j, "so") || am_tok_is(t, j, "really") ||
                          am_tok_is(t, j, "just") || am_tok_is(t, j, "totally") ||
                          am_tok_is(t, j, "very") || am_tok_is(t, j, "also") ||
                          am_tok_is(t, j, "do") || am_tok_is(t, j, "still")))
            j++;
        if (am_tok_in(t, j, first_person_reactions) >= 0) {
            size_t rest = count_content(t, j + 1, to);
            if (rest < 3 || has_second_person(t, j + 1, to))
                return 0;
        }
    }
    if (!fp && !ident && !entity && !outcome)
        return 0;
    /* short identity statements: "I'm a nurse", "My name is Ana", "I live in Lisbon" */
    bool identity = (am_tok_is(t, w0, "i'm") && (am_tok_is(t, w0 + 1, "a") || am_tok_is(t, w0 + 1, "an"))) ||
                    (am_tok_is(t, w0, "my") && am_tok_is(t, w0 + 1, "name")) ||
                    (am_tok_is(t, w0, "i") && (am_tok_is(t, w0 + 1, "live") ||
                                               am_tok_is(t, w0 + 1, "work")));
    if (identity && content >= 1)
        return 2 + (entity ? 1 : 0) + (ident ? 1 : 0);
    if (content < 2)
        return 0;
    /* "we" alone is weaker than "I": in chat it is mostly "we can do it!" */
    int score = (fp ? (we_only && !*subjectless ? 1 : 2) : 0) + (ident ? 2 : 0) +
                (entity ? 1 : 0) + (when ? 1 : 0) + (outcome ? 1 : 0) + (content >= 4 ? 1 : 0) +
                (content >= 7 ? 1 : 0);
    return score;
}

/* ---- fact keys ----------------------------------------------------------------------------- */

static const char *const number_words[] = {"one", "two", "three", "four", "five", "six",
                                           "seven", "eight", "nine", "ten", "eleven",
                                           "twelve", "twenty", "hundred", NULL};
static const char *const state_before_count[] = {
    "has", "have", "had", "run", "runs", "running", "use", "uses", "using", "with", "to",
    "is", "are", "was", "were", "contains", "own", "owns", "needs", "need", "at", "now",
    "currently", "of", "from", "keep", "keeps", "be", NULL};
static const char *const time_units[] = {
    "am", "day", "days", "hour", "hours", "minute", "minutes", "month", "months", "pm",
    "second", "seconds", "time", "times", "week", "weeks", "year", "years", "o'clock", NULL};

static void key_word(const struct am_toks *t, size_t i, char *out, size_t cap)
{
    const char *w = am_tok_low(t, i);
    size_t n = t->v[i].len < 60 ? t->v[i].len : 60;
    const char *orig = t->s + t->v[i].off;
    if (t->v[i].flags & (AM_TF_IDENT | AM_TF_NUM)) {
        snprintf(out, cap, "%.*s", (int)n, w);
        return;
    }
    bool acro_plural = n > 2 && orig[n - 1] == 's' && isupper((unsigned char)orig[n - 2]);
    /* a readable singular: nodes -> node, queues -> queue, RPUs -> rpu; not status, class */
    if (acro_plural || (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u' &&
                        w[n - 2] != 'i'))
        n--;
    snprintf(out, cap, "%.*s", (int)n, w);
}

static bool is_countable_noun(const struct am_toks *t, size_t i)
{
    return am_tok_word(t, i) && !(t->v[i].flags & (AM_TF_STOP | AM_TF_NUM)) &&
           am_tok_in(t, i, time_units) < 0 && t->v[i].len > 1;
}

static bool is_number(const struct am_toks *t, size_t i)
{
    return am_tok_word(t, i) &&
           ((t->v[i].flags & AM_TF_NUM) || am_tok_in(t, i, number_words) >= 0);
}

static bool is_entity_ident(const struct am_toks *t, size_t i)
{
    return am_tok_word(t, i) && (t->v[i].flags & AM_TF_IDENT) &&
           !(t->v[i].flags & (AM_TF_NODETYPE | AM_TF_REGION | AM_TF_NUM)) && t->v[i].len < 64;
}

/* Attributes that hold one value at a time ("my favorite color is", "the cut-over date is");
 * "my kids are excited" names no attribute. */
static bool attribute_noun(const char *phrase)
{
    static const char *const heads[] = {
        "address", "age", "birthday", "budget", "capacity", "city", "color", "colour",
        "date", "deadline", "email", "endpoint", "goal", "hometown", "job", "limit", "manager",
        "name", "owner", "phone", "plan", "region", "role", "schedule", "size", "status",
        "target", "team", "timezone", "title", "type", "version", "window", "zone", NULL};
    if (strstr(phrase, "favorite") || strstr(phrase, "favourite"))
        return true;
    const char *last = strrchr(phrase, ' ');
    last = last ? last + 1 : phrase;
    for (size_t k = 0; heads[k]; k++)
        if (strcmp(last, heads[k]) == 0)
            return true;
    return false;
}

/* Subject/attribute key of a fact, or "" when none is recognised. The attribute is found
 * first; its subject is the nearest identifier before it (prod-cluster in "prod-cluster now
 * has 6 nodes"), else the speaker for a first-person statement. */
static void fact_key(const struct am_toks *t, size_t from, size_t to, const struct am_voice *v,
                     bool fp, char *out, size_t cap)
{
    static const char *const measure_nouns[] = {"capacity", "count", "limit", "maximum",
                                                "minimum", "number", "size", "total", NULL};
    char ent[96] = "", attr[96] = "";
    size_t at = to;   /* where the attribute was found */
    out[0] = '\0';
    /* a count: "<state verb> [now] 6 [ra3.4xlarge] nodes", or "capacity of 256 RPUs" */
    for (size_t i = from; i < to; i++) {
        if (!is_number(t, i))
            continue;
        size_t b = i;
        while (b > from && (am_tok_is(t, b - 1, "now") || am_tok_is(t, b - 1, "currently") ||
                            am_tok_is(t, b - 1, "only") || am_tok_is(t, b - 1, "just")))
            b--;
        if (b == from || am_tok_in(t, b - 1, state_before_count) < 0)
            continue;
        if (attr[0])
            break;   /* the first count names the key: "4 nodes and 3 queues" */
        if (am_tok_is(t, b - 1, "of") && b >= from + 2 && am_tok_in(t, b - 2, measure_nouns) >= 0) {
            snprintf(attr, sizeof attr, "%.*s", (int)t->v[b - 2].len, am_tok_low(t, b - 2));
            at = b - 2;
            continue;
        }
        size_t j = i + 1;
        while (j < to && j < i + 3 && am_tok_word(t, j) &&
               (t->v[j].flags & (AM_TF_IDENT | AM_TF_ACRO | AM_TF_NODETYPE)) &&
               !(j + 1 < to && !am_tok_word(t, j + 1)))
            j++;
        if (j < to && is_countable_noun(t, j) && !attr[0]) {
            char w[64];
            key_word(t, j, w, sizeof w);
            snprintf(attr, sizeof attr, "%s count", w);
            at = i;
        }
    }
    if (!attr[0]) {
        for (size_t i = from; i < to && !attr[0]; i++) {
            if (!am_tok_word(t, i))
                continue;
            if (t->v[i].flags & AM_TF_NODETYPE)
                snprintf(attr, sizeof attr, "node type");
            else if (t->v[i].flags & AM_TF_REGION)
                snprintf(attr, sizeof attr, "region");
            at = i;
        }
    }
    if (!attr[0] && fp) {
        static const char *const verbs[][3] = {
            {"lives", "in", "residence"},   {"live", "in", "residence"},
            {"moved", "to", "residence"},   {"relocated", "to", "residence"},
            {"works", "at", "employer"},    {"work", "at", "employer"},
            {"works", "for", "employer"},   {"work", "for", "employer"},
        };
        for (size_t i = from; i < to && !attr[0]; i++)
            for (size_t k = 0; k < sizeof verbs / sizeof verbs[0] && !attr[0]; k++)
                if (am_tok_is(t, i, verbs[k][0]) && am_tok_is(t, i + 1, verbs[k][1])) {
                    snprintf(attr, sizeof attr, "%s", verbs[k][2]);
                    at = i;
                }
    }
    if (!attr[0]) {
        /* "<my|the|ident> <up to 3 words> is|are <value>": "my favorite color is blue" */
        for (size_t i = from + 1; i < to && i < from + 7 && !attr[0]; i++) {
            if (!(am_tok_is(t, i, "is") || am_tok_is(t, i, "are") || am_tok_is(t, i, "=")))
                continue;
            size_t a = from;
            if (am_tok_is(t, a, "my") || am_tok_is(t, a, "our") || am_tok_is(t, a, "the") ||
                am_tok_is(t, a, "their") || is_entity_ident(t, a))
                a++;
            else
                break;
            size_t nw = 0;
            char buf[96] = "";
            for (size_t k = a; k < i; k++) {
                if (!am_tok_word(t, k) || (t->v[k].flags & AM_TF_STOP) || is_entity_ident(t, k))
                    continue;
                char w[64];
                key_word(t, k, w, sizeof w);
                size_t bl = strlen(buf);
                snprintf(buf + bl, sizeof buf - bl, "%s%.60s", bl ? " " : "", w);
                nw++;
            }
            if (nw >= 1 && nw <= 3 && attribute_noun(buf)) {
                snprintf(attr, sizeof attr, "%s", buf);
                at = i;
            }
            break;
        }
    }
    if (!attr[0])
        return;
    for (size_t i = from; i < at && i < to; i++)
        if (is_entity_ident(t, i))
            snprintf(ent, sizeof ent, "%.*s", (int)t->v[i].len, am_tok_low(t, i));
    if (!ent[0] && v->it_ref[0] && am_tok_is(t, from, "it"))
        snprintf(ent, sizeof ent, "%s", v->it_ref);
    if (!ent[0] && fp) {
        const char *sname = v->self_mid;
        if (strncmp(sname, "the ", 4) == 0)
            sname += 4;
        snprintf(ent, sizeof ent, "%s", sname);
        for (char *p = ent; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    if (ent[0] && strcmp(ent, attr) != 0)
        snprintf(out, cap, "%s %s", ent, attr);
    else
        snprintf(out, cap, "%s", attr);
}

/* ---- candidates helpers ------------------------------------------------------------------- */

void am_candidates_free(struct am_candidates *c)
{
    if (!c)
        return;
    am_candidates_truncate(c, 0);
    free(c->items);
    c->items = NULL;
    c->n = c->cap = 0;
}

void am_candidates_truncate(struct am_candidates *c, size_t n)
{
    while (c->n > n) {
        struct am_candidate *x = &c->items[--c->n];
        free(x->text);
        free(x->topic);
        free(x->key);
        free(x->sources_json);
        memset(x, 0, sizeof *x);
    }
}

int am_candidates_push(struct am_candidates *c, int kind, char *text, char *topic, char *key,
                       int64_t ts_ms, char *sources_json)
{
    int rc = AM_OK;
    if (!text || !topic || !sources_json) {
        rc = AM_ENOMEM;
        goto out;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        struct am_candidate *v = realloc(c->items, cap * sizeof *v);
        if (!v) {
            rc = AM_ENOMEM;
            goto out;
        }
        c->items = v;
        c->cap = cap;
    }
    c->items[c->n++] = (struct am_candidate){kind, text, topic, key, ts_ms, sources_json};
    return AM_OK;
out:
    free(text);
    free(topic);
    free(key);
    free(sources_json);
    return rc;
}

char *am_sources_json(const struct am_turn *turns, const size_t *idx, size_t n_idx)
{
    struct am_xbuf b;
    int rc;
    am_xbuf_init(&b, AM_EXTRACT_MAX_TEXT * 4);
    rc = am_xbuf_addc(&b, '[');
    size_t n_out = 0;
    for (size_t k = 0; k < n_idx && !rc; k++) {
        bool dup = false;
        for (size_t m = 0; m < k && !dup; m++)
            dup = idx[m] == idx[k];
        if (dup)
            continue;
        const struct am_turn *tu = &turns[idx[k]];
        const char *ev = tu->event_id ? tu->event_id : "";
        if (n_out++)
            rc = am_xbuf_addc(&b, ',');
        if (!rc)
            rc = am_xbuf_adds(&b, "{\"eventId\":");
        if (!rc)
            rc = am_xbuf_add_json(&b, ev, strlen(ev));
        if (!rc)
            rc = am_xbuf_addf(&b, ",\"messageIndex\":%d}", tu->index);
    }
    if (!rc)
        rc = am_xbuf_addc(&b, ']');
    if (rc)
        return NULL;
    return am_xbuf_take(&b);
}

/* ---- the fact extractor --------------------------------------------------------------------- */

/* Minimum am_informative score for a fact (tuned with bench/bench_extract on LoCoMo dev). */
#ifndef FACT_MIN_SCORE
#define FACT_MIN_SCORE 2
#endif
/* Facts of a batch compared with the last DEDUP_WINDOW ones for repeats. */
#define DEDUP_WINDOW 64
/* Longest sentence considered, bytes; longer ones are run-ons or pasted data. */
#define FACT_MAX_SENTENCE 600

static int push_fact(struct am_candidates *out, struct am_recent *recent,
                     const struct am_turn *turns, size_t ti, char *text,
                     const struct am_toks *t, size_t from, size_t to, const char *key)
{
    const char *cats[AM_MAX_CATEGORIES];
    if (!text)
        return AM_ENOMEM;
    /* the same fact twice in one batch (repeated sentences); a window keeps it linear */
    if (am_recent_seen(recent, text)) {
        free(text);
        return AM_OK;
    }
    size_t nc = am_categorize(t, from, to, cats, AM_MAX_CATEGORIES);
    char *topic = am_xstrndup(nc ? cats[0] : "general", strlen(nc ? cats[0] : "general"));
    char *k = key && key[0] ? am_xstrndup(key, strlen(key)) : NULL;
    if (key && key[0] && !k) {
        free(text);
        free(topic);
        return AM_ENOMEM;
    }
    return am_candidates_push(out, AM_CAND_FACT, text, topic, k, turns[ti].ts_ms,
                              am_sources_json(turns, &ti, 1));
}

/* Append ", <dependent sentence>" to the fact at out->items[idx]. */
static int join_fact(struct am_candidate *c, const char *more)
{
    size_t a = strlen(c->text), b = strlen(more);
    if (a + b + 3 > 400)
        return AM_OK;
    char *p = malloc(a + b + 3);
    if (!p)
        return AM_ENOMEM;
    memcpy(p, c->text, a);
    size_t k = a;
    if (k && p[k - 1] == '.')
        k--;
    p[k++] = ';';
    p[k++] = ' ';
    memcpy(p + k, more, b);
    p[k + b] = '\0';
    if (isupper((unsigned char)p[k]) && !(p[k] == 'I' && (p[k + 1] == ' ' || p[k + 1] == '\'')))
        if (!(b > 1 && isupper((unsigned char)p[k + 1])))
            p[k] = (char)tolower((unsigned char)p[k]);
    free(c->text);
    c->text = p;
    return AM_OK;
}

bool am_has_ident(const struct am_toks *t, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (am_tok_word(t, i) && (t->v[i].flags & (AM_TF_IDENT | AM_TF_NUM)))
            return true;
    return false;
}

void am_note_entity(const struct am_toks *t, size_t from, size_t to, char *ent, size_t cap)
{
    for (size_t i = from; i < to; i++)
        if (is_entity_ident(t, i) && !(t->v[i].flags & AM_TF_NUM) &&
            strchr(am_tok_low(t, i), '-'))
            snprintf(ent, cap, "%.*s", (int)t->v[i].len, t->s + t->v[i].off);
}

static bool mentions(const struct am_toks *t, size_t from, size_t to, const char *w)
{
    size_t n = strlen(w);
    for (size_t i = from; i < to; i++)
        if (t->v[i].len == n && strncasecmp(t->s + t->v[i].off, w, n) == 0)
            return true;
    return false;
}

bool am_resolve_it(const struct am_toks *t, size_t from, size_t to, const char *last_entity,
                   struct am_voice *v)
{
    bool it = am_tok_is(t, from, "it") || am_tok_is(t, from, "it's") || am_tok_is(t, from, "its");
    v->it_ref[0] = '\0';
    if (!it || !last_entity[0] || mentions(t, from, to, last_entity))
        return false;
    snprintf(v->it_ref, sizeof v->it_ref, "%s", last_entity);
    return true;
}

/* last_entity carries the latest identifier across sentences and turns, so that
 * "It runs 4 ra3.4xlarge nodes" after "It's prod-cluster in us-east-2" names prod-cluster. */
static int facts_of_turn(const struct am_turn *turns, size_t n, size_t ti,
                         const struct am_people *pp, struct am_candidates *out,
                         struct am_recent *recent, char *last_entity, size_t le_cap)
{
    const struct am_turn *tu = &turns[ti];
    char *norm = NULL;
    size_t norm_len = 0;
    struct am_spans sp = {0};
    struct am_voice v;
    int rc;

    rc = am_text_normalize(tu->text, AM_MAX_TEXT_LEN, &norm, &norm_len);
    if (rc)
        return rc;
    rc = am_split_sentences(norm, norm_len, &sp);
    if (rc)
        goto out;
    am_voice_for(turns, n, ti, &v);
    size_t last_fact = (size_t)-1;   /* candidate index of the previous accepted sentence */
    for (size_t s = 0; s < sp.n && !rc; s++) {
        struct am_toks t;
        size_t prev = last_fact;
        last_fact = (size_t)-1;
        if (sp.v[s].len > FACT_MAX_SENTENCE)
            continue;
        rc = am_toks_init(&t, norm + sp.v[s].off, sp.v[s].len);
        if (rc)
            break;
        size_t from = am_skip_discourse(&t, 0, t.n, pp);
        size_t to = am_trim_tail(&t, from, t.n, pp);
        bool subjectless = false;
        bool question = am_sentence_is_question(&t, 0, t.n);
        int score = question ? 0 : am_informative(&t, &from, to, pp, &subjectless);
        bool join = false;
        v.it_ref[0] = '\0';
        if (score == -1) {
            /* a sentence that leans on an earlier one: name what "it" is, join it to the
             * previous fact, or keep it when it carries identifiers */
            if (am_resolve_it(&t, from, to, last_entity, &v))
                score = FACT_MIN_SCORE;
            else if (prev != (size_t)-1)
                join = true;
            else if (am_has_ident(&t, from, to))
                score = FACT_MIN_SCORE;
        }
        if (score >= FACT_MIN_SCORE || join) {
            struct am_xbuf b;
            am_xbuf_init(&b, AM_EXTRACT_MAX_TEXT);
            rc = am_rewrite(&t, from, to, &v, subjectless, &b);
            if (!rc && join) {
                char *more = am_xbuf_take(&b);
                rc = more ? join_fact(&out->items[prev], more) : AM_ENOMEM;
                free(more);
                last_fact = prev;
            } else if (!rc) {
                bool fp = subjectless;
                for (size_t i = from; i < to && !fp; i++)
                    fp = am_tok_in(&t, i, first_person) >= 0;
                char key[192];
                fact_key(&t, from, to, &v, fp, key, sizeof key);
                size_t before = out->n;
                rc = push_fact(out, recent, turns, ti, am_xbuf_take(&b), &t, from, to, key);
                if (!rc && out->n > before)
                    last_fact = out->n - 1;
            }
            am_xbuf_free(&b);
        }
        am_note_entity(&t, 0, t.n, last_entity, le_cap);
        am_toks_free(&t);
    }
out:
    am_spans_free(&sp);
    free(norm);
    return rc;
}

int am_extract_facts(const struct am_turn *turns, size_t n, struct am_candidates *out)
{
    char last_entity[96] = "";
    struct am_people pp;
    struct am_recent recent;
    int rc = AM_OK;
    if (!out || (n && !turns))
        return AM_EINVAL;
    size_t first_new = out->n;
    if (am_recent_init(&recent, DEDUP_WINDOW))
        return AM_ENOMEM;
    am_people_collect(turns, n, &pp);
    for (size_t i = 0; i < n && !rc; i++) {
        if (!turns[i].text || (turns[i].role != AM_ROLE_USER &&
                               turns[i].role != AM_ROLE_ASSISTANT && turns[i].role != AM_ROLE_TOOL))
            continue;
        rc = facts_of_turn(turns, n, i, &pp, out, &recent, last_entity, sizeof last_entity);
    }
    am_recent_free(&recent);
    if (rc)
        am_candidates_truncate(out, first_new);
    return rc;
}
