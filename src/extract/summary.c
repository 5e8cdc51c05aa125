/*
 * summary.c - the built-in session summary (summaryMemoryStrategy): extractive, TextRank.
 *
 * 1. Candidate sentences: every informative sentence of the USER and ASSISTANT turns
 *    (questions, greetings and reactions are dropped), rewritten in the third person with
 *    dates resolved, so that the summary reads on its own ("Caroline went to an LGBTQ
 *    support group yesterday (on 2023-05-07)").
 * 2. TextRank (Mihalcea & Tarau 2004): a graph whose edge weights are the shared normalised
 *    content tokens of two sentences divided by log(|Si|) + log(|Sj|); PageRank with damping
 *    0.85 by power iteration. The rank is nudged by the sentence's informativeness (names,
 *    identifiers, dates), because in chat the most "central" sentence is often small talk.
 * 3. Greedy selection by rank within max_chars, skipping near-duplicates of chosen sentences.
 * 4. Topics: chosen sentences join the topic they overlap most (or open a new one, at most
 *    AM_SUMMARY_MAX_TOPICS); a topic is named by its most distinctive words (tf-idf over the
 *    session). Output: <topic name="…">sentences in conversation order</topic>, one per line,
 *    topics in order of first appearance.
 */
#include "extract/text.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef AM_SUMMARY_MAX_TOPICS
#define AM_SUMMARY_MAX_TOPICS 6
#endif
#define MAX_SENTENCES 800        /* the graph is dense: n^2 floats */
#define MAX_CHOSEN 64
#define DAMPING 0.85
#define ITERATIONS 60
#ifndef TOPIC_CHARS
#define TOPIC_CHARS 450
#endif
#ifndef INFO_WEIGHT
#define INFO_WEIGHT 0.15
#endif
#ifndef TOPIC_JOIN
#define TOPIC_JOIN 0.12
#endif
         /* overlap coefficient to join an existing topic */

struct sent {
    char *text;                  /* rewritten, owned */
    size_t text_len;
    struct am_tokset ts;
    size_t turn;                 /* index into turns */
    size_t order;
    int info;                    /* am_informative score */
    double rank;
};

struct topic {
    size_t members[MAX_CHOSEN];
    size_t n;
    uint64_t h[AM_TOKSET_MAX];   /* union of member token hashes (unsorted) */
    size_t nh;
    char name[96];
};

struct summ {
    struct sent *s;
    size_t n, cap;
    /* hash -> display word, for topic names */
    struct word {
        uint64_t h;
        char w[40];
        int df;
    } *words;
    size_t n_words, cap_words;
};

static void summ_free(struct summ *sm)
{
    for (size_t i = 0; i < sm->n; i++)
        free(sm->s[i].text);
    free(sm->s);
    free(sm->words);
    memset(sm, 0, sizeof *sm);
}

static struct word *word_find(struct summ *sm, uint64_t h)
{
    for (size_t i = 0; i < sm->n_words; i++)
        if (sm->words[i].h == h)
            return &sm->words[i];
    return NULL;
}

/* Remember a display form for each content token hash, and its document frequency. */
static int words_note(struct summ *sm, const struct am_toks *t, size_t from, size_t to)
{
    uint64_t seen[128];
    size_t n_seen = 0;
    for (size_t i = from; i < to; i++) {
        if (!am_tok_word(t, i) || (t->v[i].flags & AM_TF_STOP) || t->v[i].len < 3 ||
            t->v[i].len >= 40)
            continue;
        char st[64];
        size_t sn = am_stem(am_tok_low(t, i), t->v[i].len, st, sizeof st);
        uint64_t h = am_hash(st, sn);
        bool dup = false;
        for (size_t k = 0; k < n_seen && !dup; k++)
            dup = seen[k] == h;
        if (dup)
            continue;
        if (n_seen < 128)
            seen[n_seen++] = h;
        struct word *w = word_find(sm, h);
        if (!w) {
            if (sm->n_words == sm->cap_words) {
                size_t cap = sm->cap_words ? sm->cap_words * 2 : 64;
                struct word *v = realloc(sm->words, cap * sizeof *v);
                if (!v)
                    return AM_ENOMEM;
                sm->words = v;
                sm->cap_words = cap;
            }
            w = &sm->words[sm->n_words++];
            w->h = h;
            w->df = 0;
            const char *src = (t->v[i].flags & (AM_TF_CAP | AM_TF_IDENT | AM_TF_ACRO))
                                  ? t->s + t->v[i].off
                                  : am_tok_low(t, i);
            snprintf(w->w, sizeof w->w, "%.*s", (int)t->v[i].len, src);
        }
        w->df++;
    }
    return AM_OK;
}

static int sent_push(struct summ *sm, char *text, const struct am_toks *t, size_t from,
                     size_t to, size_t turn, int info)
{
    if (sm->n == sm->cap) {
        size_t cap = sm->cap ? sm->cap * 2 : 32;
        struct sent *v = realloc(sm->s, cap * sizeof *v);
        if (!v) {
            free(text);
            return AM_ENOMEM;
        }
        sm->s = v;
        sm->cap = cap;
    }
    struct sent *s = &sm->s[sm->n];
    s->text = text;
    s->text_len = strlen(text);
    s->turn = turn;
    s->order = sm->n;
    s->info = info;
    s->rank = 0;
    size_t a = t->v[from].off, b = t->v[to - 1].off + t->v[to - 1].len;
    am_tokset_build(t->s + a, b - a, &s->ts);
    sm->n++;
    return words_note(sm, t, from, to);
}

static int collect(const struct am_turn *turns, size_t n, struct summ *sm)
{
    char last_entity[96] = "";
    struct am_people pp;
    int rc = AM_OK;
    am_people_collect(turns, n, &pp);
    for (size_t ti = 0; ti < n && !rc && sm->n < MAX_SENTENCES; ti++) {
        const struct am_turn *tu = &turns[ti];
        if (!tu->text || (tu->role != AM_ROLE_USER && tu->role != AM_ROLE_ASSISTANT))
            continue;
        char *norm = NULL;
        size_t norm_len = 0;
        struct am_spans sp = {0};
        struct am_voice v;
        rc = am_text_normalize(tu->text, AM_MAX_TEXT_LEN, &norm, &norm_len);
        if (rc)
            break;
        rc = am_split_sentences(norm, norm_len, &sp);
        am_voice_for(turns, n, ti, &v);
        for (size_t k = 0; k < sp.n && !rc && sm->n < MAX_SENTENCES; k++) {
            struct am_toks t;
            if (sp.v[k].len > 600)
                continue;
            rc = am_toks_init(&t, norm + sp.v[k].off, sp.v[k].len);
            if (rc)
                break;
            size_t from = am_skip_discourse(&t, 0, t.n, &pp);
            size_t to = am_trim_tail(&t, from, t.n, &pp);
            bool subjectless = false;
            int info = am_sentence_is_question(&t, 0, t.n)
                           ? 0
                           : am_informative(&t, &from, to, &pp, &subjectless);
            v.it_ref[0] = '\0';
            if (info == -1 && (am_resolve_it(&t, from, to, last_entity, &v) ||
                               am_has_ident(&t, from, to)))
                info = 2;   /* "It runs 4 nodes" after "prod-cluster ..." */
            if (info >= 2 && to > from) {
                struct am_xbuf b;
                am_xbuf_init(&b, 2000);
                rc = am_rewrite(&t, from, to, &v, subjectless, &b);
                if (!rc) {
                    char *text = am_xbuf_take(&b);
                    rc = text ? sent_push(sm, text, &t, from, to, ti, info) : AM_ENOMEM;
                }
                am_xbuf_free(&b);
            }
            am_note_entity(&t, 0, t.n, last_entity, sizeof last_entity);
            am_toks_free(&t);
        }
        am_spans_free(&sp);
        free(norm);
    }
    return rc;
}

static int textrank(struct summ *sm)
{
    size_t n = sm->n;
    float *w = calloc(n * n, sizeof *w);
    double *out_sum = calloc(n, sizeof *out_sum);
    double *r = malloc(n * sizeof *r), *nr = malloc(n * sizeof *nr);
    int rc = AM_OK;
    if (!w || !out_sum || !r || !nr) {
        rc = AM_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            const struct am_tokset *a = &sm->s[i].ts, *b = &sm->s[j].ts;
            if (a->n < 1 || b->n < 1)
                continue;
            size_t c = am_tokset_common(a, b);
            if (!c)
                continue;
            double x = (double)c / (log(1.0 + (double)a->n) + log(1.0 + (double)b->n));
            w[i * n + j] = w[j * n + i] = (float)x;
            out_sum[i] += x;
            out_sum[j] += x;
        }
    for (size_t i = 0; i < n; i++)
        r[i] = 1.0;
    for (int it = 0; it < ITERATIONS; it++) {
        double delta = 0;
        for (size_t i = 0; i < n; i++) {
            double s = 0;
            for (size_t j = 0; j < n; j++)
                if (w[j * n + i] > 0 && out_sum[j] > 0)
                    s += w[j * n + i] / out_sum[j] * r[j];
            nr[i] = (1.0 - DAMPING) + DAMPING * s;
            delta += fabs(nr[i] - r[i]);
        }
        memcpy(r, nr, n * sizeof *r);
        if (delta < 1e-6 * (double)n)
            break;
    }
    for (size_t i = 0; i < n; i++) {
        int info = sm->s[i].info > 6 ? 6 : sm->s[i].info;
        sm->s[i].rank = r[i] * (1.0 + INFO_WEIGHT * info);
    }
out:
    free(w);
    free(out_sum);
    free(r);
    free(nr);
    return rc;
}

/* ---- topics and layout --------------------------------------------------------------------- */

static bool topic_has(const struct topic *tp, uint64_t h)
{
    for (size_t i = 0; i < tp->nh; i++)
        if (tp->h[i] == h)
            return true;
    return false;
}

static void topic_add(struct topic *tp, const struct sent *s, size_t idx)
{
    tp->members[tp->n++] = idx;
    for (size_t i = 0; i < s->ts.n && tp->nh < AM_TOKSET_MAX; i++)
        if (!topic_has(tp, s->ts.h[i]))
            tp->h[tp->nh++] = s->ts.h[i];
}

static double topic_overlap(const struct topic *tp, const struct sent *s)
{
    size_t c = 0;
    for (size_t i = 0; i < s->ts.n; i++)
        if (topic_has(tp, s->ts.h[i]))
            c++;
    size_t m = s->ts.n < tp->nh ? s->ts.n : tp->nh;
    return m ? (double)c / (double)m : 0.0;
}

static void topic_name(const struct summ *sm, struct topic *tp)
{
    /* the two words with the highest tf-idf inside the topic */
    const struct word *best[2] = {NULL, NULL};
    double score[2] = {0, 0};
    for (size_t i = 0; i < tp->nh; i++) {
        const struct word *w = NULL;
        for (size_t k = 0; k < sm->n_words && !w; k++)
            if (sm->words[k].h == tp->h[i])
                w = &sm->words[k];
        if (!w)
            continue;
        int tf = 0;
        for (size_t m = 0; m < tp->n; m++) {
            const struct am_tokset *ts = &sm->s[tp->members[m]].ts;
            for (size_t q = 0; q < ts->n; q++)
                if (ts->h[q] == w->h)
                    tf++;
        }
        double idf = log(1.0 + (double)sm->n / (double)w->df);
        double sc = (double)tf * idf;
        if (isupper((unsigned char)w->w[0]) || strchr(w->w, '-') || strchr(w->w, '.'))
            sc *= 1.3;   /* names and identifiers make the clearest labels */
        if (sc > score[0]) {
            best[1] = best[0];
            score[1] = score[0];
            best[0] = w;
            score[0] = sc;
        } else if (sc > score[1]) {
            best[1] = w;
            score[1] = sc;
        }
    }
    if (!best[0])
        snprintf(tp->name, sizeof tp->name, "conversation");
    else if (!best[1])
        snprintf(tp->name, sizeof tp->name, "%s", best[0]->w);
    else
        snprintf(tp->name, sizeof tp->name, "%s, %s", best[0]->w, best[1]->w);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Group chosen sentences (rank order) into topics; returns the number of topics. Names are
 * computed only when asked (they cost a pass over the vocabulary); otherwise the size
 * estimate uses NAME_BOUND. */
#define NAME_BOUND 84
static size_t layout(const struct summ *sm, const size_t *chosen, size_t n_chosen,
                     struct topic *tp, size_t max_topics, bool names)
{
    size_t n_tp = 0;
    for (size_t c = 0; c < n_chosen; c++) {
        const struct sent *s = &sm->s[chosen[c]];
        size_t best = (size_t)-1;
        double bo = 0;
        for (size_t k = 0; k < n_tp; k++) {
            double o = topic_overlap(&tp[k], s);
            if (o > bo) {
                bo = o;
                best = k;
            }
        }
        if ((best == (size_t)-1 || bo < TOPIC_JOIN) && n_tp < max_topics) {
            memset(&tp[n_tp], 0, sizeof tp[n_tp]);
            best = n_tp++;
        } else if (best == (size_t)-1) {
            best = n_tp - 1;
        }
        topic_add(&tp[best], s, chosen[c]);
    }
    for (size_t k = 0; k < n_tp; k++) {
        qsort(tp[k].members, tp[k].n, sizeof tp[k].members[0], cmp_size);
        if (names)
            topic_name(sm, &tp[k]);
        else
            tp[k].name[0] = '\0';
    }
    /* topics in order of their first sentence */
    for (size_t a = 1; a < n_tp; a++)
        for (size_t b = a; b > 0 && tp[b].members[0] < tp[b - 1].members[0]; b--) {
            struct topic tmp = tp[b];
            tp[b] = tp[b - 1];
            tp[b - 1] = tmp;
        }
    return n_tp;
}

static size_t xml_len(const char *s, size_t n)
{
    size_t l = 0;
    for (size_t i = 0; i < n; i++)
        l += s[i] == '&' ? 5 : s[i] == '<' || s[i] == '>' ? 4 : s[i] == '"' ? 6 : 1;
    return l;
}

static size_t rendered_len(const struct summ *sm, const struct topic *tp, size_t n_tp)
{
    size_t l = 0;
    for (size_t k = 0; k < n_tp; k++) {
        size_t nl = tp[k].name[0] ? xml_len(tp[k].name, strlen(tp[k].name)) : NAME_BOUND;
        l += strlen("<topic name=\"\">") + nl +
             strlen("</topic>") + (k ? 1 : 0);
        for (size_t m = 0; m < tp[k].n; m++)
            l += xml_len(sm->s[tp[k].members[m]].text, sm->s[tp[k].members[m]].text_len) +
                 (m ? 1 : 0);
    }
    return l;
}

static int render(const struct summ *sm, const struct topic *tp, size_t n_tp, size_t max,
                  struct am_xbuf *b)
{
    int rc = AM_OK;
    for (size_t k = 0; k < n_tp && !rc; k++) {
        if (k)
            rc = am_xbuf_addc(b, '\n');
        if (!rc)
            rc = am_xbuf_adds(b, "<topic name=\"");
        if (!rc)
            rc = am_xbuf_add_xml(b, tp[k].name, strlen(tp[k].name));
        if (!rc)
            rc = am_xbuf_adds(b, "\">");
        for (size_t m = 0; m < tp[k].n && !rc; m++) {
            const struct sent *s = &sm->s[tp[k].members[m]];
            if (m)
                rc = am_xbuf_addc(b, ' ');
            size_t room = max > b->len + 8 ? max - b->len - 8 : 0;
            if (!rc && xml_len(s->text, s->text_len) > room) {
                /* only when even the best sentence does not fit: cut at a word */
                size_t fit = room > 3 ? room - 3 : 0;
                size_t cut = fit < s->text_len ? fit : s->text_len;
                while (cut > 0 && xml_len(s->text, cut) > fit)
                    cut--;
                while (cut > 0 && s->text[cut] != ' ')
                    cut--;
                rc = am_xbuf_add_xml(b, s->text, cut);
                if (!rc)
                    rc = am_xbuf_adds(b, "...");
            } else if (!rc) {
                rc = am_xbuf_add_xml(b, s->text, s->text_len);
            }
        }
        if (!rc)
            rc = am_xbuf_adds(b, "</topic>");
    }
    return rc;
}

static int cmp_rank(const void *a, const void *b, void *ctx)
{
    const struct summ *sm = ctx;
    double x = sm->s[*(const size_t *)a].rank, y = sm->s[*(const size_t *)b].rank;
    if (x != y)
        return x > y ? -1 : 1;
    return cmp_size(a, b);
}

int am_extract_summary(const struct am_turn *turns, size_t n, size_t max_chars,
                       struct am_candidates *out)
{
    struct summ sm = {0};
    size_t *by_rank = NULL;
    struct topic *tp = NULL;
    size_t chosen[MAX_CHOSEN], n_chosen = 0, n_tp = 0, misses = 0;
    struct am_xbuf b;
    int rc;

    if (!out || (n && !turns))
        return AM_EINVAL;
    if (max_chars == 0)
        max_chars = AM_SUMMARY_DEFAULT_CHARS;
    if (max_chars < AM_SUMMARY_MIN_CHARS)
        return AM_EINVAL;
    if (max_chars > AM_EXTRACT_MAX_TEXT)
        max_chars = AM_EXTRACT_MAX_TEXT;
    am_xbuf_init(&b, max_chars + 16);
    /* every topic costs its tags and name (~45 bytes): about one topic per
     * TOPIC_CHARS of budget keeps most of the budget for content */
    size_t max_topics = max_chars / TOPIC_CHARS;
    if (max_topics < 1)
        max_topics = 1;
    if (max_topics > AM_SUMMARY_MAX_TOPICS)
        max_topics = AM_SUMMARY_MAX_TOPICS;
    rc = collect(turns, n, &sm);
    if (rc || sm.n == 0)
        goto out;
    rc = textrank(&sm);
    if (rc)
        goto out;
    by_rank = malloc(sm.n * sizeof *by_rank);
    tp = malloc(AM_SUMMARY_MAX_TOPICS * sizeof *tp);
    if (!by_rank || !tp) {
        rc = AM_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < sm.n; i++)
        by_rank[i] = i;
    qsort_r(by_rank, sm.n, sizeof *by_rank, cmp_rank, &sm);

    for (size_t r = 0; r < sm.n && n_chosen < MAX_CHOSEN; r++) {
        const struct sent *s = &sm.s[by_rank[r]];
        bool redundant = false;
        for (size_t c = 0; c < n_chosen && !redundant; c++) {
            const struct sent *o = &sm.s[chosen[c]];
            size_t common = am_tokset_common(&s->ts, &o->ts);
            size_t uni = s->ts.n + o->ts.n - common;
            redundant = uni && (double)common / (double)uni >= AM_CONSOLIDATE_DUP_JACCARD;
        }
        if (redundant)
            continue;
        chosen[n_chosen] = by_rank[r];
        size_t k = layout(&sm, chosen, n_chosen + 1, tp, max_topics, false);
        if (rendered_len(&sm, tp, k) <= max_chars)
            n_chosen++;
        else if (++misses > 40)
            break;   /* full: the remaining sentences are unlikely to fit */
    }
    bool forced = n_chosen == 0;
    if (forced)
        chosen[n_chosen++] = by_rank[0];   /* render() cuts it to fit */
    n_tp = layout(&sm, chosen, n_chosen, tp, max_topics, true);
    if (forced) {
        /* a tight budget: the name may take at most a quarter of it */
        size_t cap = (max_chars - strlen("<topic name=\"\"></topic>")) / 4;
        size_t nl = strlen(tp[0].name);
        while (nl > 0 && (xml_len(tp[0].name, nl) > cap ||
                          ((unsigned char)tp[0].name[nl] & 0xC0) == 0x80))
            nl--;
        tp[0].name[nl] = '\0';
    }
    while (n_chosen > 1 && rendered_len(&sm, tp, n_tp) > max_chars)
        n_tp = layout(&sm, chosen, --n_chosen, tp, max_topics, true);
    rc = render(&sm, tp, n_tp, max_chars, &b);
    if (rc)
        goto out;

    size_t idx[MAX_CHOSEN];
    int64_t ts = 0;
    size_t n_idx = 0;
    for (size_t k = 0; k < n_tp; k++)
        for (size_t m = 0; m < tp[k].n; m++)
            idx[n_idx++] = sm.s[tp[k].members[m]].turn;
    qsort(idx, n_idx, sizeof idx[0], cmp_size);
    for (size_t k = 0; k < n_idx; k++)
        if (turns[idx[k]].ts_ms > ts)
            ts = turns[idx[k]].ts_ms;
    char *text = am_xbuf_take(&b);
    rc = am_candidates_push(out, AM_CAND_SUMMARY, text, am_xstrndup(tp[0].name, strlen(tp[0].name)),
                            NULL, ts, am_sources_json(turns, idx, n_idx));
out:
    am_xbuf_free(&b);
    free(by_rank);
    free(tp);
    summ_free(&sm);
    return rc;
}
