/*
 * text.h - the small English toolkit under the built-in extractors: text normalisation, sentence splitting, tokenisation, lexicons, light stemming,
 * token sets for similarity, relative-date resolution and keyword categories.
 *
 * Internal to src/extract/. Nothing here allocates behind the caller's back except the
 * buffers and token arrays that the caller frees with the matching _free.
 */
#ifndef AM_EXTRACT_TEXT_H
#define AM_EXTRACT_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "extract/extract.h"
#include "util/buf.h"

/* ---- normalisation and sentences ----------------------------------------------------- */

/* Copy text with typographic quotes and dashes folded to ASCII, control characters and
 * runs of spaces collapsed to one space, newlines kept; at most max input bytes are read. */
int am_text_normalize(const char *in, size_t max, char **out, size_t *out_len);

struct am_span {
    size_t off, len;
};
struct am_spans {
    struct am_span *v;
    size_t n, cap;
};
/* Sentences of s (not across newlines; abbreviations, decimals and identifiers such as
 * ra3.4xlarge do not end a sentence). Spans exclude surrounding spaces. */
int am_split_sentences(const char *s, size_t len, struct am_spans *out);
void am_spans_free(struct am_spans *sp);

/* ---- tokens ---------------------------------------------------------------------------- */

enum { AM_TK_WORD = 1, AM_TK_PUNCT };
#define AM_TF_CAP      0x001u  /* starts with an upper-case letter */
#define AM_TF_NUM      0x002u  /* a number: 4, 3.5, 2,000 */
#define AM_TF_IDENT    0x004u  /* a technical identifier: prod-cluster, ra3.4xlarge, arn:... */
#define AM_TF_ACRO     0x008u  /* all capitals, 2+ letters: WLM, RPU */
#define AM_TF_STOP     0x010u  /* stop word */
#define AM_TF_NODETYPE 0x020u  /* Redshift node type: ra3.4xlarge, dc2.large */
#define AM_TF_REGION   0x040u  /* AWS region: us-east-2 */

struct am_tok {
    size_t off, len;   /* in the tokenized text (and in its lower-case copy) */
    int type;          /* AM_TK_* */
    unsigned flags;    /* AM_TF_* */
};
struct am_toks {
    const char *s;     /* borrowed text */
    char *lc;          /* owned lower-case copy, same offsets */
    size_t s_len;
    struct am_tok *v;
    size_t n, cap;
};
int am_toks_init(struct am_toks *t, const char *s, size_t len);
void am_toks_free(struct am_toks *t);
/* Lower-case text of token i (not NUL-terminated; length v[i].len). */
static inline const char *am_tok_low(const struct am_toks *t, size_t i)
{
    return t->lc + t->v[i].off;
}
bool am_tok_is(const struct am_toks *t, size_t i, const char *w);  /* false when i >= n */
/* Index of the first word of a NULL-terminated list equal to token i, or -1. */
int am_tok_in(const struct am_toks *t, size_t i, const char *const *list);
bool am_tok_punct(const struct am_toks *t, size_t i, char c);
bool am_tok_word(const struct am_toks *t, size_t i);

/* ---- lexicons -------------------------------------------------------------------------- */

enum am_lex {
    AM_LEX_STOP = 0,      /* stop words (pronouns, auxiliaries, fillers...) */
    AM_LEX_PAST,          /* irregular past tense and participles */
    AM_LEX_ADVERB,        /* adverbs that sit between a subject and its verb */
    AM_LEX_MODAL,         /* modals and negated auxiliaries that do not inflect */
    AM_LEX_NEGATION,
    AM_LEX_COUNT_
};
bool am_lex_has(enum am_lex which, const char *w, size_t n);
/* 0 when every lexicon is sorted and unique (checked by the unit tests). */
int am_lex_selfcheck(void);

/* ---- stems and token sets --------------------------------------------------------------- */

/* Light English stem of a lower-case word into out (NUL-terminated); returns its length. */
size_t am_stem(const char *w, size_t n, char *out, size_t cap);
uint64_t am_hash(const char *s, size_t n);

#define AM_TOKSET_MAX 256
#define AM_TS_VALUE 0x1u   /* number or identifier: a value that may change */
#define AM_TS_DATE  0x2u   /* a date or year: 2023-05-07, 2022 (names an occasion) */
struct am_tokset {
    uint64_t h[AM_TOKSET_MAX];   /* sorted, unique hashes of stemmed content tokens */
    unsigned char f[AM_TOKSET_MAX];
    size_t n;
    int negations;               /* count of negation words (polarity) */
    uint64_t subject;            /* hash of the first identifier (prod-cluster), 0: none */
};
/* Build without allocating; tokens past AM_TOKSET_MAX are ignored. */
void am_tokset_build(const char *s, size_t len, struct am_tokset *ts);
size_t am_tokset_common(const struct am_tokset *a, const struct am_tokset *b);

/* ---- dates ------------------------------------------------------------------------------ */

/* If tokens [i, to) start with a relative time expression ("yesterday", "last week",
 * "next Friday", "in 2 days", "3 weeks ago"...), set *out_end (exclusive) and write the
 * absolute form ("on 2023-05-07", "the week of 2023-05-01", "in April 2023") into note.
 * past: the sentence is in the past tense (decides "on Friday"). */
bool am_date_match(const struct am_toks *t, size_t i, size_t to, int64_t ts_ms, bool past,
                   size_t *out_end, char *note, size_t note_cap);
/* "2023-05-08" for a timestamp (UTC). */
void am_date_format(int64_t ts_ms, char *out, size_t cap);

/* ---- categories --------------------------------------------------------------------------- */

#define AM_MAX_CATEGORIES 3
/* Up to AM_MAX_CATEGORIES keyword-derived categories of tokens [from, to), best first
 * (static strings: "infrastructure", "scheduling", "safety", "food", ...); returns the count. */
size_t am_categorize(const struct am_toks *t, size_t from, size_t to, const char **out,
                     size_t cap);

/* ---- shared rewriting (semantic.c) ------------------------------------------------------- */

/* Who speaks and to whom, for first/second person resolution. */
struct am_voice {
    char self[96];      /* sentence-initial form: "Caroline", "The user" */
    char self_mid[96];  /* mid-sentence form: "Caroline", "the user" */
    char other[96];     /* addressee, mid-sentence form: "Melanie", "the assistant" */
    char we[128];       /* "Caroline's family", "the user's team" */
    char it_ref[96];    /* what a leading "it" stands for ("prod-cluster"), or "" */
    int64_t ts_ms;
};
/* Participants of a batch of turns, for vocative detection ("Hey Mel!"). */
struct am_people {
    const char *names[16];
    size_t n;
};
void am_people_collect(const struct am_turn *turns, size_t n, struct am_people *p);
void am_voice_for(const struct am_turn *turns, size_t n, size_t i, struct am_voice *v);

/* Skip leading interjections and vocatives ("Wow, Caroline! ..."); returns the new start. */
size_t am_skip_discourse(const struct am_toks *t, size_t from, size_t to,
                         const struct am_people *pp);
/* Drop a trailing vocative and closing punctuation; returns the new end. */
size_t am_trim_tail(const struct am_toks *t, size_t from, size_t to, const struct am_people *pp);
bool am_sentence_is_question(const struct am_toks *t, size_t from, size_t to);
/* Third-person rewrite of tokens [from, to) into out; dates resolved when v->ts_ms > 0. */
int am_rewrite(const struct am_toks *t, size_t from, size_t to, const struct am_voice *v,
               bool subjectless, struct am_xbuf *out);
/* Light sentence check shared by facts and summaries: 0 reject, else a score (higher is
 * more informative); *from may move past "remember that" and similar lead-ins, and
 * *subjectless says that the sentence starts with a bare verb said in the first person. */
int am_informative(const struct am_toks *t, size_t *from, size_t to,
                   const struct am_people *pp, bool *subjectless);

/* The latest identifier with a hyphen in [from, to) (prod-cluster), into ent. */
void am_note_entity(const struct am_toks *t, size_t from, size_t to, char *ent, size_t cap);
bool am_has_ident(const struct am_toks *t, size_t from, size_t to);
/* A sentence opening with "it" that does not name last_entity: set v->it_ref to it. */
bool am_resolve_it(const struct am_toks *t, size_t from, size_t to, const char *last_entity,
                   struct am_voice *v);

/* The last few candidates of a batch, to drop repeats without re-tokenising them. */
struct am_recent {
    struct am_tokset *v;
    size_t n, next, cap;
};
int am_recent_init(struct am_recent *r, size_t cap);
void am_recent_free(struct am_recent *r);
/* true if text is a near-duplicate of a recent one; otherwise it is remembered */
bool am_recent_seen(struct am_recent *r, const char *text);

/* ---- candidates ------------------------------------------------------------------------- */

/* Append a candidate taking ownership of text/topic/key/sources (all freed on failure). */
int am_candidates_push(struct am_candidates *c, int kind, char *text, char *topic, char *key,
                       int64_t ts_ms, char *sources_json);
/* Release the items at index >= n (rollback of a failed extractor call). */
void am_candidates_truncate(struct am_candidates *c, size_t n);
/* [{"eventId":…,"messageIndex":…},…] for the given turn indexes (duplicates removed). */
char *am_sources_json(const struct am_turn *turns, const size_t *idx, size_t n_idx);

#endif
