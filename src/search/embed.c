/*
 * embed.c - the embedder interface and the built-in hashing embedder (see embed.h).
 *
 * Features of a text, each hashed (64-bit FNV-1a with a per-kind seed, then the splitmix64
 * finalizer) to one of dim buckets with a sign taken from another bit of the hash, so that
 * collisions cancel on average instead of piling up:
 *   - every token of am_text_tokenize (stemmed words, and joined words such as us-east-2);
 *   - every character trigram of every word, with '^' and '$' marking its ends, so that
 *     inflections the stemmer misses and near spellings still share most features;
 *   - optionally every pair of neighbouring words (joined words are left out of pairs).
 * The default weights are the best of bench/bench_retrieval.c on LoCoMo: words 1, trigrams
 * 0.5, no pairs (pairs cost 1.3 points of recall@10 alone; trigrams add 2.5; 384 buckets add
 * 2, 1024 add 5, but none of these moves the fused result by more than 0.3).
 * Counts are gathered per feature in a small open-addressing table first, so that
 * sublinear term frequency (1 + ln tf) applies to features, not to buckets; a text with
 * more distinct features than the table holds is flushed into the vector in batches.
 * There is no IDF (nothing is learned); stop words are already gone.
 */
#include "search/embed.h"

#include "agentmem.h"
#include "search/text.h"
#include "search/vector.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FEAT_CAP 4096       /* most slots of the per-call feature table (power of two) */

enum { K_WORD = 1, K_BIGRAM, K_TRIGRAM };

struct hash_embedder {
    struct am_embedder e;
    struct am_hash_params p;
    char name[64];
};

struct feat {
    uint64_t h;             /* 0: empty slot */
    float w;                /* weight of one occurrence */
    float tf;
};

struct embed_state {
    const struct am_hash_params *p;
    struct feat *tab;
    uint32_t cap;           /* slots, a power of two sized to the text */
    uint32_t n_used;
    float *out;
    int dim;
    char prev[AM_TEXT_MAX_TOKEN + 1];
    size_t prev_len;
};

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t hash_bytes(uint64_t seed, const char *s, size_t len, const char *s2,
                           size_t len2)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ (seed * 0x9e3779b97f4a7c15ULL);
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    if (s2) {
        h ^= 0xff;                  /* a separator no UTF-8 text contains */
        h *= 0x100000001b3ULL;
        for (size_t i = 0; i < len2; i++) {
            h ^= (unsigned char)s2[i];
            h *= 0x100000001b3ULL;
        }
    }
    h = mix64(h);
    return h ? h : 1;
}

static void flush(struct embed_state *st)
{
    for (uint32_t i = 0; i < st->cap; i++) {
        struct feat *f = &st->tab[i];
        if (!f->h)
            continue;
        float tf = st->p->sublinear ? 1.0f + logf(f->tf) : f->tf;
        /* bucket from the high half (Lemire's multiply-shift), sign from the lowest bit */
        uint32_t b = (uint32_t)(((f->h >> 32) * (uint64_t)st->dim) >> 32);
        st->out[b] += (f->h & 1) ? f->w * tf : -f->w * tf;
        f->h = 0;
    }
    st->n_used = 0;
}

static void add_feature(struct embed_state *st, uint64_t h, double w)
{
    uint32_t i = (uint32_t)h & (st->cap - 1);
    for (;;) {
        struct feat *f = &st->tab[i];
        if (f->h == h) {
            f->tf += 1;
            return;
        }
        if (!f->h) {
            f->h = h;
            f->w = (float)w;
            f->tf = 1;
            if (++st->n_used >= st->cap / 4 * 3)      /* keep probes short */
                flush(st);
            return;
        }
        i = (i + 1) & (st->cap - 1);
    }
}

static bool is_joined(const char *tok, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (tok[i] == '.' || tok[i] == '-' || tok[i] == '_' || tok[i] == '/' || tok[i] == ':' ||
            tok[i] == '@' || tok[i] == '+')
            return true;
    return false;
}

static void on_token(const char *tok, size_t len, void *arg)
{
    struct embed_state *st = arg;
    const struct am_hash_params *p = st->p;

    add_feature(st, hash_bytes(K_WORD, tok, len, NULL, 0), p->w_word);
    if (is_joined(tok, len))
        return;
    if (p->w_bigram > 0 && st->prev_len)
        add_feature(st, hash_bytes(K_BIGRAM, st->prev, st->prev_len, tok, len), p->w_bigram);
    memcpy(st->prev, tok, len + 1);
    st->prev_len = len;
    if (p->w_trigram > 0 && len >= 2) {
        /* trigrams of "^tok$" (a two-letter word gives "^ab" and "ab$") */
        char pad[AM_TEXT_MAX_TOKEN + 3];
        pad[0] = '^';
        memcpy(pad + 1, tok, len);
        pad[len + 1] = '$';
        for (size_t i = 0; i + 3 <= len + 2; i++)
            add_feature(st, hash_bytes(K_TRIGRAM, pad + i, 3, NULL, 0), p->w_trigram);
    }
}

static int hash_embed(struct am_embedder *e, const char *text, float *out)
{
    struct hash_embedder *he = e->priv;
    struct embed_state st;
    int rc;

    if (!text || !out)
        return AM_EINVAL;
    memset(&st, 0, sizeof st);
    /* about one feature per byte (a word's trigrams), at 3/4 load */
    size_t want = strlen(text) * 2 + 16;
    st.cap = 64;
    while (st.cap < want && st.cap < FEAT_CAP)
        st.cap *= 2;
    st.tab = calloc(st.cap, sizeof *st.tab);
    if (!st.tab)
        return AM_ENOMEM;
    st.p = &he->p;
    st.out = out;
    st.dim = e->dim;
    memset(out, 0, sizeof(float) * (size_t)e->dim);
    rc = am_text_tokenize(text, on_token, &st);
    if (rc)
        goto out;
    flush(&st);
    am_vec_normalize(out, e->dim);
out:
    free(st.tab);
    return rc;
}

static void hash_destroy(struct am_embedder *e)
{
    free(e ? e->priv : NULL);
}

void am_hash_params_default(struct am_hash_params *p)
{
    p->dim = 256;
    p->w_word = 1.0;
    p->w_bigram = 0;        /* measured: pairs cost 1.3 points of recall@10 on LoCoMo */
    p->w_trigram = 0.5;
    p->sublinear = 1;
}

int am_embedder_hash_create(const struct am_hash_params *p, struct am_embedder **out)
{
    struct am_hash_params def;
    struct hash_embedder *he;

    *out = NULL;
    if (p->dim < 16 || p->dim > 4096 || !(p->w_word >= 0) || !(p->w_bigram >= 0) ||
        !(p->w_trigram >= 0) || p->w_word + p->w_bigram + p->w_trigram <= 0)
        return AM_EINVAL;
    he = calloc(1, sizeof *he);
    if (!he)
        return AM_ENOMEM;
    he->p = *p;
    am_hash_params_default(&def);
    if (p->w_word == def.w_word && p->w_bigram == def.w_bigram &&
        p->w_trigram == def.w_trigram && p->sublinear == def.sublinear) {
        snprintf(he->name, sizeof he->name, "agentmem-hash-%d-v1", p->dim);
    } else {
        char knobs[128];
        snprintf(knobs, sizeof knobs, "%.6g/%.6g/%.6g/%d", p->w_word, p->w_bigram,
                 p->w_trigram, p->sublinear);
        snprintf(he->name, sizeof he->name, "agentmem-hash-%d-v1-%08x", p->dim,
                 (unsigned)(hash_bytes(0, knobs, strlen(knobs), NULL, 0) >> 32));
    }
    he->e.name = he->name;
    he->e.dim = p->dim;
    he->e.embed = hash_embed;
    he->e.destroy = hash_destroy;
    he->e.priv = he;
    *out = &he->e;
    return 0;
}

int am_embedder_builtin(struct am_embedder **out)
{
    struct am_hash_params p;
    am_hash_params_default(&p);
    return am_embedder_hash_create(&p, out);
}

void am_embedder_destroy(struct am_embedder **e)
{
    if (e && *e) {
        (*e)->destroy(*e);
        *e = NULL;
    }
}
