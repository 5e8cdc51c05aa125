/*
 * vector.h - exact dense-vector search: a dot product and a top-k scan.
 *
 * Vectors are float32 and L2-normalized by the embedder, so the dot product is the cosine.
 * The scan is brute force over a contiguous n*dim matrix: at agentmem's scale (thousands to
 * about a hundred thousand records per namespace) it runs near memory bandwidth and needs no
 * index to build or keep in step (see bench/bench_retrieval.c for the figures).
 */
#ifndef AM_SEARCH_VECTOR_H
#define AM_SEARCH_VECTOR_H

#include <stddef.h>

/* Dot product of a[dim] and b[dim]; 0 when dim <= 0. Summed with independent accumulators,
 * so the result may differ from a sequential sum in the last bits. */
float am_vec_dot(const float *a, const float *b, int dim);

/* Scale v[dim] to unit L2 length; a zero vector stays zero. Returns the old length. */
float am_vec_normalize(float *v, int dim);

/**
 * Exact top-k of matrix rows by dot product with query.
 * @param query      dim floats.
 * @param matrix     n rows of dim floats, contiguous (row i at matrix + i * dim).
 * @param k          how many to return; out_idx and out_score hold at least k entries.
 * @param out_idx    row numbers, best first; ties go to the lower row number.
 * @param out_score  their dot products (NaN counts as -infinity).
 * @return the number of entries written, min(n, k). Allocates nothing.
 */
size_t am_vec_topk(const float *query, const float *matrix, size_t n, int dim, size_t k,
                   size_t *out_idx, float *out_score);

#endif
