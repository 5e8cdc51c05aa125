/*
 * vector.c - dot product and exact top-k scan (see vector.h).
 *
 * A dot product summed into one variable is a chain of dependent additions: each waits for
 * the last (4 cycles on current x86), far below what the loads could feed. Eight separate
 * accumulators break the chain and let gcc -O2 pack them into SIMD registers (two SSE or
 * one AVX register). The scan goes further: 32 lanes in four vectors, and on x86-64 a second
 * copy built for AVX2+FMA that the loader picks when the CPU has it, so a build without
 * -march=native still runs at memory speed. (Four rows at a time against one query was
 * slower: gcc -O3 turned it into shuffles.)
 * The top-k is a min-heap of the best k kept in the caller's output arrays, so the scan
 * allocates nothing; a row enters only if it beats the worst kept one.
 */
#include "search/vector.h"

#include <math.h>
#include <string.h>

float am_vec_dot(const float *a, const float *b, int dim)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    int i = 0;

    for (; i + 8 <= dim; i += 8) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
        s4 += a[i + 4] * b[i + 4];
        s5 += a[i + 5] * b[i + 5];
        s6 += a[i + 6] * b[i + 6];
        s7 += a[i + 7] * b[i + 7];
    }
    for (; i < dim; i++)
        s0 += a[i] * b[i];
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}

float am_vec_normalize(float *v, int dim)
{
    double ss = 0;
    for (int i = 0; i < dim; i++)
        ss += (double)v[i] * v[i];
    double len = sqrt(ss);
    if (len > 0) {
        float inv = (float)(1.0 / len);
        for (int i = 0; i < dim; i++)
            v[i] *= inv;
    }
    return (float)len;
}

/* The scan's dot product: 32 lanes in four 8-float vectors (GCC vector extension; two SSE
 * or one AVX register each), loaded with memcpy since rows need not be aligned. */
#if defined(__GNUC__)
#define HAVE_VEC 1
typedef float v8f __attribute__((vector_size(32)));

static inline float dot_row(const float *q, const float *r, int dim)
{
    v8f a = {0}, b = {0}, c = {0}, d = {0}, x, y;
    int i = 0;
    float s = 0;

    for (; i + 32 <= dim; i += 32) {
        memcpy(&x, q + i, 32);
        memcpy(&y, r + i, 32);
        a += x * y;
        memcpy(&x, q + i + 8, 32);
        memcpy(&y, r + i + 8, 32);
        b += x * y;
        memcpy(&x, q + i + 16, 32);
        memcpy(&y, r + i + 16, 32);
        c += x * y;
        memcpy(&x, q + i + 24, 32);
        memcpy(&y, r + i + 24, 32);
        d += x * y;
    }
    for (; i + 8 <= dim; i += 8) {
        memcpy(&x, q + i, 32);
        memcpy(&y, r + i, 32);
        a += x * y;
    }
    a = (a + b) + (c + d);
    for (; i < dim; i++)
        s += q[i] * r[i];
    return s + (((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])));
}
#else
#define dot_row am_vec_dot
#endif

/* Heap order: a is worse than b (lower score, or the same score and a later row). */
static int worse(float sa, size_t ia, float sb, size_t ib)
{
    return sa < sb || (sa == sb && ia > ib);
}

static void sift_down(size_t *idx, float *score, size_t n, size_t at)
{
    for (;;) {
        size_t l = 2 * at + 1, r = l + 1, m = at;
        if (l < n && worse(score[l], idx[l], score[m], idx[m]))
            m = l;
        if (r < n && worse(score[r], idx[r], score[m], idx[m]))
            m = r;
        if (m == at)
            return;
        float ts = score[at];
        size_t ti = idx[at];
        score[at] = score[m];
        idx[at] = idx[m];
        score[m] = ts;
        idx[m] = ti;
        at = m;
    }
}

static void heap_push(size_t *idx, float *score, size_t *n, size_t k, float s, size_t i)
{
    if (s != s)
        s = -INFINITY;
    if (*n < k) {                      /* not full yet: sift up */
        size_t at = (*n)++;
        while (at > 0) {
            size_t up = (at - 1) / 2;
            if (!worse(s, i, score[up], idx[up]))
                break;
            score[at] = score[up];
            idx[at] = idx[up];
            at = up;
        }
        score[at] = s;
        idx[at] = i;
    } else if (s > score[0]) {         /* rows come in order: a tie never beats the root */
        score[0] = s;
        idx[0] = i;
        sift_down(idx, score, k, 0);
    }
}

/* The scan, built twice on x86-64 with GCC: for AVX2 and FMA (chosen at load time on CPUs
 * that have them: about twice as fast from cache) and for the baseline. Not under
 * ThreadSanitizer: the ifunc resolver would run before its runtime is up. */
#if defined(HAVE_VEC) && defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    __GNUC__ >= 8 && !defined(__SANITIZE_THREAD__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
static size_t scan(const float *query, const float *matrix, size_t n, int dim, size_t k,
                   size_t *out_idx, float *out_score)
{
    size_t kept = 0;

    for (size_t i = 0; i < n; i++) {
        float s = dot_row(query, matrix + i * (size_t)dim, dim);
        if (kept < k || s > out_score[0])     /* most rows lose to the worst kept one */
            heap_push(out_idx, out_score, &kept, k, s, i);
    }
    return kept;
}

size_t am_vec_topk(const float *query, const float *matrix, size_t n, int dim, size_t k,
                   size_t *out_idx, float *out_score)
{
    size_t kept;

    if (k == 0 || n == 0 || dim <= 0)
        return 0;
    kept = scan(query, matrix, n, dim, k, out_idx, out_score);
    /* heap sort: move the worst to the end until the array runs best first */
    for (size_t m = kept; m > 1; m--) {
        float ts = out_score[0];
        size_t ti = out_idx[0];
        out_score[0] = out_score[m - 1];
        out_idx[0] = out_idx[m - 1];
        out_score[m - 1] = ts;
        out_idx[m - 1] = ti;
        sift_down(out_idx, out_score, m - 1, 0);
    }
    return kept;
}
