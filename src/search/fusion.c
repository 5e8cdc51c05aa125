/*
 * fusion.c - hybrid score fusion (see fusion.h).
 *
 * The defaults were picked with bench/bench_retrieval.c on the LoCoMo dev conversations
 * (1,033 questions, evidence recall@10): BM25 alone 0.601, built-in vectors alone 0.395,
 * RRF k=60 1:1 0.517, this weighted sum 0.603, the grid's best 0.603 (leave-one-conversation-
 * out 0.598). With the hashing embedder the vector side is nearly redundant with BM25, so
 * every setting that weights it like BM25 loses recall and the best ones keep it small;
 * bm25 / max keeps the strength of the lexical evidence, and the raw cosine lets a weak
 * vector match count for little instead of being stretched to 1 as min-max would. Recency
 * is off: on LoCoMo any weight above 0.1 costs recall and MRR (questions are not about the
 * latest turns). A semantic embedder deserves a larger w_vec: measure it with the bench.
 */
#include "search/fusion.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

void am_fuse_params_default(struct am_fuse_params *p)
{
    p->method = AM_FUSE_WEIGHTED;
    p->w_lex = 0.8;
    p->w_vec = 0.2;
    p->w_recency = 0.0;
    p->recency_half_life_days = 30.0;
    p->rrf_k = 60;
    p->lex_norm = AM_NORM_MAX;
    p->vec_norm = AM_NORM_RAW;
}

struct range {
    double min, max;
    int max_rank;
    bool any;
};

static bool present(double x, int rank)
{
    return rank > 0 && x == x;
}

static void range_add(struct range *r, double x, int rank)
{
    if (!present(x, rank))
        return;
    if (!r->any || x < r->min)
        r->min = x;
    if (!r->any || x > r->max)
        r->max = x;
    if (rank > r->max_rank)
        r->max_rank = rank;
    r->any = true;
}

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* A raw score in [0, 1] per the normalization; is_lex picks the RAW mapping. */
static double normalize(int norm, const struct range *r, double x, int rank, bool is_lex)
{
    if (!present(x, rank))
        return 0;
    switch (norm) {
    case AM_NORM_MAX:
        return r->max > 0 ? clamp01(x / r->max) : 0;
    case AM_NORM_RANK:
        return clamp01(1.0 - (double)(rank - 1) / r->max_rank);
    case AM_NORM_RAW:
        if (is_lex)
            return x > 0 ? x / (x + 1) : 0;
        return clamp01(x);
    case AM_NORM_MINMAX:
    default:
        return r->max > r->min ? clamp01((x - r->min) / (r->max - r->min)) : 1;
    }
}

static double recency(int64_t ts_ms, int64_t now_ms, double half_life_days)
{
    if (ts_ms <= 0 || !(half_life_days > 0))
        return 0;
    double age_days = (double)(now_ms - ts_ms) / 86400000.0;
    if (age_days < 0)
        age_days = 0;               /* from the future (clock skew): as new */
    return pow(0.5, age_days / half_life_days);
}

/* a before b? (a better lexical or vector rank counts when the scores tie) */
static int rank_cmp(int ra, int rb)
{
    if (ra == rb)
        return 0;
    if (ra <= 0)
        return 1;
    if (rb <= 0)
        return -1;
    return ra < rb ? -1 : 1;
}

static int cmp_item(const void *pa, const void *pb)
{
    const struct am_fuse_item *a = pa, *b = pb;
    int c;

    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    if ((c = rank_cmp(a->lex_rank, b->lex_rank)))
        return c;
    if ((c = rank_cmp(a->vec_rank, b->vec_rank)))
        return c;
    if (a->ts_ms != b->ts_ms)
        return a->ts_ms > b->ts_ms ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

void am_fuse(struct am_fuse_item *items, size_t n, int64_t now_ms,
             const struct am_fuse_params *p)
{
    struct range lex = {0, 0, 0, false}, vec = {0, 0, 0, false};
    double w_lex = p->w_lex > 0 ? p->w_lex : 0;
    double w_vec = p->w_vec > 0 ? p->w_vec : 0;
    double w_rec = p->w_recency > 0 ? p->w_recency : 0;
    double w_sum = w_lex + w_vec + w_rec;
    double k = p->rrf_k >= 1 ? p->rrf_k : 1;

    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        range_add(&lex, items[i].bm25, items[i].lex_rank);
        range_add(&vec, items[i].cosine, items[i].vec_rank);
    }
    for (size_t i = 0; i < n; i++) {
        struct am_fuse_item *it = &items[i];
        double c_lex, c_vec, c_rec;

        if (p->method == AM_FUSE_WEIGHTED) {
            c_lex = normalize(p->lex_norm, &lex, it->bm25, it->lex_rank, true);
            c_vec = normalize(p->vec_norm, &vec, it->cosine, it->vec_rank, false);
        } else {
            c_lex = it->lex_rank > 0 ? (k + 1) / (k + it->lex_rank) : 0;
            c_vec = it->vec_rank > 0 ? (k + 1) / (k + it->vec_rank) : 0;
        }
        c_rec = w_rec > 0 ? recency(it->ts_ms, now_ms, p->recency_half_life_days) : 0;
        it->score = w_sum > 0 ? clamp01((w_lex * c_lex + w_vec * c_vec + w_rec * c_rec) / w_sum)
                              : 0;
    }
    qsort(items, n, sizeof *items, cmp_item);
}
