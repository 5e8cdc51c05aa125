/*
 * fusion.h - one relevance score in [0, 1] from a lexical list, a vector list and recency.
 *
 * The caller runs the lexical search (FTS5 BM25) and the vector search, puts the union of
 * their candidates into an array of am_fuse_item (one per record, with its rank in each list
 * that found it), and calls am_fuse, which scores and sorts them. Each signal becomes a
 * component in [0, 1]:
 *   lexical   RRF: (k + 1) / (k + lex_rank); weighted: bm25 normalized per lex_norm
 *   vector    RRF: (k + 1) / (k + vec_rank); weighted: cosine normalized per vec_norm
 *   recency   0.5 ^ (age in days / recency_half_life_days), for both methods
 * and the score is their weighted mean, sum(w_i * c_i) / sum(w_i). A record missing from a
 * list gets 0 for that list's component. The result is comparable across queries only in
 * that 1 means "first everywhere" (RRF) or "best of this candidate set everywhere"
 * (weighted, min-max): it is a ranking score, not a calibrated probability.
 *
 * Pure functions: no storage, no allocation, safe from any thread.
 */
#ifndef AM_SEARCH_FUSION_H
#define AM_SEARCH_FUSION_H

#include <stddef.h>
#include <stdint.h>

struct am_fuse_item {
    int64_t id;         /* the caller's; only a last tie-breaker here */
    double bm25;        /* lexical score, higher is better (SQLite's -bm25()); read if lex_rank */
    int lex_rank;       /* 1-based rank in the lexical list; 0: not in it */
    double cosine;      /* vector similarity in [-1, 1]; read if vec_rank */
    int vec_rank;       /* 1-based rank in the vector list; 0: not in it */
    int64_t ts_ms;      /* record time (ms since the epoch); <= 0: unknown, recency 0 */
    double score;       /* out: the fused score in [0, 1] */
};

enum { AM_FUSE_RRF = 1, AM_FUSE_WEIGHTED };

/* How the weighted method maps a raw score into [0, 1] over the candidates of one query. */
enum {
    AM_NORM_MINMAX = 1, /* (x - min) / (max - min) over the list; 1 if all equal */
    AM_NORM_MAX,        /* x / max over the list (clipped at 0) */
    AM_NORM_RANK,       /* 1 - (rank - 1) / (longest rank in the list) */
    AM_NORM_RAW,        /* bm25: x / (x + 1); cosine: clipped to [0, 1] */
};

struct am_fuse_params {
    int method;                     /* AM_FUSE_RRF or AM_FUSE_WEIGHTED */
    double w_lex, w_vec, w_recency; /* >= 0; negative counts as 0; all 0 gives score 0 */
    double recency_half_life_days;  /* <= 0: recency component 0 */
    int rrf_k;                      /* RRF's k (60 in Cormack et al. 2009); < 1 counts as 1 */
    int lex_norm, vec_norm;         /* AM_NORM_*, for AM_FUSE_WEIGHTED */
};

/* The defaults, chosen on LoCoMo for the built-in embedder (bench/bench_retrieval.c; the
 * numbers are in fusion.c): weighted, bm25/max 0.8 + raw cosine 0.2, no recency. */
void am_fuse_params_default(struct am_fuse_params *p);

/**
 * Score items[0..n) (fills .score) and sort them best first. Ties go to the better lexical
 * rank, then the better vector rank, then the newer, then the lower id, so the order is
 * deterministic. NaN inputs count as missing.
 * @param now_ms  the reference time for recency (usually the query's time).
 */
void am_fuse(struct am_fuse_item *items, size_t n, int64_t now_ms,
             const struct am_fuse_params *p);

#endif
