/*
 * embed.h - the embedder interface: text in, one L2-normalized float vector out.
 *
 * The store keeps each vector with the embedder's name, so vectors of different embedders
 * are never compared; changing what an embedder computes means a new name.
 *
 * The built-in embedder needs no weights and no network. It hashes features of the text
 * (the stemmed words of am_text_tokenize and the character trigrams of each word; pairs of
 * neighbouring words as an option) into 256 signed buckets (the "hashing trick":
 * Weinberger et al. 2009), with sublinear term frequency and no IDF, then L2-normalizes.
 * Cosine similarity between two such vectors is a fuzzy word-overlap score: it knows no
 * synonyms, but it matches inflections and near spellings that exact terms miss. On LoCoMo
 * it is far above random but below BM25, and adds little to BM25 in fusion (numbers in
 * bench/bench_retrieval.c's output); a semantic model behind am_embedder_openai is the way
 * to better recall.
 */
#ifndef AM_SEARCH_EMBED_H
#define AM_SEARCH_EMBED_H

#include <stddef.h>

struct am_embedder {
    const char *name;   /* stored with each vector, e.g. "agentmem-hash-256-v1" */
    int dim;
    /* Embed NUL-terminated UTF-8 text into out[dim], L2-normalized (all zeros for text with
     * no token). Safe to call from several threads at once. 0 ok, else an AM_E* code. */
    int (*embed)(struct am_embedder *e, const char *text, float *out);
    /* Release the embedder; the struct itself is freed too. */
    void (*destroy)(struct am_embedder *e);
    void *priv;
};

/**
 * Create the built-in hashing embedder ("agentmem-hash-256-v1", dim 256).
 * @param out  on success the embedder, released with am_embedder_destroy(); NULL on failure.
 * @return 0 or AM_ENOMEM.
 */
int am_embedder_builtin(struct am_embedder **out);

/* Release *e (NULL-safe) and set it to NULL. */
void am_embedder_destroy(struct am_embedder **e);

/* Knobs of the hashing embedder, for experiments (bench/bench_retrieval.c). */
struct am_hash_params {
    int dim;                /* buckets, 16..4096 */
    double w_word;          /* weight of a stemmed word (and of a joined word) */
    double w_bigram;        /* weight of a pair of neighbouring words; 0: none */
    double w_trigram;       /* weight of a character trigram of a word; 0: none */
    int sublinear;          /* 1: a feature seen tf times weighs 1 + ln(tf); 0: tf */
};
void am_hash_params_default(struct am_hash_params *p);

/**
 * Create a hashing embedder with other knobs. Its name carries the dimension and a digest
 * of the knobs, so that vectors from different settings never mix; the defaults give
 * "agentmem-hash-<dim>-v1".
 * @return 0, AM_EINVAL (knobs out of range) or AM_ENOMEM; *out NULL on failure.
 */
int am_embedder_hash_create(const struct am_hash_params *p, struct am_embedder **out);

/* An embedder calling an OpenAI-compatible POST {base_url}/embeddings (embed_openai.c). */
struct am_embed_openai_config {
    const char *base_url;   /* e.g. "https://api.openai.com/v1" (a trailing '/' is fine) */
    const char *api_key;    /* NULL or "": no Authorization header */
    const char *model;      /* NULL: "text-embedding-3-small" */
    int dim;                /* > 0: the expected length; 0: learn it from one request now */
    int send_dimensions;    /* 1: send "dimensions": dim (text-embedding-3 models only) */
    long timeout_ms;        /* per request; 0: 30000 */
    int retries;            /* extra tries on 429, 5xx and transport errors; 0: 2, < 0: none */
};

/**
 * Create an embedder backed by an OpenAI-compatible embeddings endpoint. Its name is
 * "openai:<model>:<dim>". embed() returns AM_EUNAVAIL when the provider cannot be reached,
 * answers with an error after the retries, or answers with something that is not a vector
 * of dim numbers (the detail goes to the log at warn level); an empty text gives a zero
 * vector without a request. Vectors are L2-normalized again on arrival.
 * Needs libcurl: built without AM_HAVE_CURL this returns AM_EUNAVAIL.
 * @param cfg  read only; the strings are copied.
 * @param out  on success the embedder, released with am_embedder_destroy(); NULL on failure.
 * @return 0, AM_EINVAL (no base_url, bad dim), AM_ENOMEM, AM_EUNAVAIL (no libcurl, or the
 *         probe for the dimension failed).
 */
int am_embedder_openai(const struct am_embed_openai_config *cfg, struct am_embedder **out);

/* An embedder calling Amazon Bedrock's InvokeModel with a Titan text embeddings model
 * (embed_http.c), signed with SigV4 (service "bedrock") from AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, read at each request. */
struct am_embed_bedrock_config {
    const char *endpoint;   /* NULL: https://bedrock-runtime.{region}.amazonaws.com */
    const char *region;     /* NULL: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1 */
    const char *model;      /* NULL: "amazon.titan-embed-text-v2:0" */
    int dim;                /* v2: 256, 512 or 1024 (sent with "normalize": true);
                               0: learn it from one request now (v1: 1536) */
    long timeout_ms;        /* per request; 0: 30000 */
    int retries;            /* as for OpenAI */
};

/**
 * Create a Bedrock Titan embedder named "bedrock:<model>:<dim>"; errors as for
 * am_embedder_openai (AM_EUNAVAIL also when no AWS credentials are set at the probe).
 */
int am_embedder_bedrock(const struct am_embed_bedrock_config *cfg, struct am_embedder **out);

#endif
