/*
 * extract.h - long-term memory extraction: the built-in offline extractors and the
 * consolidation decision.
 *
 * Strategies turn conversation turns into candidate memory records:
 *   - facts (semanticMemoryStrategy): one self-contained sentence each, first person resolved
 *     to the speaker, relative dates resolved against the turn time;
 *   - preferences (userPreferenceMemoryStrategy): JSON text
 *     {"context":…,"preference":…,"categories":[…]};
 *   - summary (summaryMemoryStrategy): XML <topic name="…">…</topic> chunks built from
 *     TextRank-ranked key sentences.
 * am_consolidate_decide() then compares one candidate with the existing records of its
 * namespace and says whether to add it, skip it (near-duplicate) or let it supersede a record.
 *
 * Everything here is pure: no storage, no threads, no globals that change. The built-in
 * extractors are rule-based English (no model); struct am_extractor lets an LLM-backed
 * extractor plug in with the same contract.
 *
 * Ownership: every string of a candidate is owned by the candidate and released by
 * am_candidates_free(). Inputs (turns) are borrowed for the duration of a call.
 * Result codes are those of agentmem.h (AM_OK, AM_EINVAL, AM_ENOMEM, ...).
 */
#ifndef AM_EXTRACT_EXTRACT_H
#define AM_EXTRACT_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "agentmem.h"

struct am_turn {
    int role;               /* enum am_role from agentmem.h */
    const char *text;       /* UTF-8 */
    const char *speaker;    /* optional display name of who said it (e.g. "Caroline"), else NULL */
    int64_t ts_ms;          /* when it was said (event timestamp); <= 0: unknown */
    const char *event_id;   /* provenance; NULL is written as "" */
    int index;              /* message index inside the event */
};

enum am_cand_kind { AM_CAND_FACT = 1, AM_CAND_PREFERENCE, AM_CAND_SUMMARY };

struct am_candidate {
    int kind;               /* enum am_cand_kind */
    char *text;             /* FACT: one self-contained sentence; PREFERENCE: JSON
                               {"context","preference","categories"}; SUMMARY: XML
                               <topic name="...">...</topic>... */
    char *topic;            /* a short category/topic label (never NULL) */
    char *key;              /* FACT/PREFERENCE: normalized subject key used for supersession
                               (e.g. "prod-cluster node count"), or NULL */
    int64_t ts_ms;          /* when it was stated (latest source turn) */
    char *sources_json;     /* JSON array of {"eventId":…,"messageIndex":…} of the source turns */
};

struct am_candidates {
    struct am_candidate *items;
    size_t n, cap;
};

/* Longest text of one candidate, bytes (AgentCore's record text limit). */
#define AM_EXTRACT_MAX_TEXT AM_MAX_RECORD_TEXT
/* Summary budget used when max_chars is 0. */
#define AM_SUMMARY_DEFAULT_CHARS 2000
/* Smallest budget that can hold one topic with a few words. */
#define AM_SUMMARY_MIN_CHARS 64

/** Free every item and its strings; leaves c empty (n = cap = 0). Accepts NULL. */
void am_candidates_free(struct am_candidates *c);

/*
 * The extractors append to *out. On failure nothing is appended (items added by the failing
 * call are released) and *out keeps what it held before. They return AM_OK, AM_EINVAL (NULL
 * out, or turns NULL with n > 0) or AM_ENOMEM. Turns with a NULL text are ignored.
 */

/**
 * Facts from USER, ASSISTANT and TOOL turns: one candidate per informative sentence (greetings,
 * questions, reactions and chit-chat are skipped). First person is resolved to the speaker
 * ("The user"/"The assistant" when speaker is NULL); relative dates get an absolute date
 * appended, e.g. "yesterday (on 2023-05-07)". key is set when a subject/attribute pair is
 * recognised ("prod-cluster node count", "prod-cluster region").
 */
int am_extract_facts(const struct am_turn *turns, size_t n, struct am_candidates *out);

/**
 * Preferences from USER turns: likes and dislikes, "I'd rather X than Y", standing rules
 * ("always …", "never …", "don't … on Fridays"), choices ("let's go with X instead of Y").
 * text is {"context":…,"preference":…,"categories":[…]}; key names the preference's subject.
 */
int am_extract_preferences(const struct am_turn *turns, size_t n, struct am_candidates *out);

/**
 * One SUMMARY candidate (none when nothing is worth summarising): the key sentences of the
 * turns, ranked with TextRank over token overlap, grouped into <topic name="…"> blocks in
 * conversation order. The text is at most max_chars bytes (0: AM_SUMMARY_DEFAULT_CHARS);
 * AM_EINVAL when 0 < max_chars < AM_SUMMARY_MIN_CHARS.
 */
int am_extract_summary(const struct am_turn *turns, size_t n, size_t max_chars,
                       struct am_candidates *out);

/*
 * Consolidation. Decide what to do with a candidate given the existing records of the same
 * namespace (existing_keys may be NULL, and any entry may be NULL):
 *   AM_CONSOLIDATE_SKIP       a near-duplicate of existing record *out_index (the candidate
 *                             adds nothing);
 *   AM_CONSOLIDATE_SUPERSEDE  the candidate replaces record *out_index: same subject key with
 *                             a changed value, the same statement with changed numbers,
 *                             identifiers or polarity, or a richer restatement of it;
 *   AM_CONSOLIDATE_ADD        a new record (*out_index = (size_t)-1).
 * Never fails and never allocates; a NULL or empty candidate is SKIP with index (size_t)-1.
 * Similarity is over normalized content tokens (lower case, stop words removed, light
 * stemming); for preference JSON the "preference" member is compared.
 */
enum { AM_CONSOLIDATE_ADD = 0, AM_CONSOLIDATE_SKIP, AM_CONSOLIDATE_SUPERSEDE };

/* Thresholds, chosen by the sweep over the hand-labelled pairs in tests/unit/test_extract.c
 * (extract_consolidate_threshold_sweep prints the table). Jaccard 0.6 merges "kids love the
 * beach" with "kids love the museum"; 0.7 keeps them apart and still joins paraphrases. */
#define AM_CONSOLIDATE_DUP_JACCARD    0.70 /* token Jaccard at or above: same statement */
#define AM_CONSOLIDATE_DUP_CONTAIN    0.80 /* share of the candidate inside the record */
#define AM_CONSOLIDATE_CHANGE_JACCARD 0.30 /* with differing values: the same, updated */

int am_consolidate_decide(const struct am_candidate *cand, const char *const *existing_texts,
                          const char *const *existing_keys, size_t n_existing,
                          size_t *out_index);

/* Token-set similarity as used by am_consolidate_decide (for measurement and tests). */
struct am_similarity {
    double jaccard;          /* |A∩B| / |A∪B| */
    double contain_a;        /* |A∩B| / |A|: how much of a is inside b */
    double contain_b;        /* |A∩B| / |B| */
    int value_conflict;      /* numbers/identifiers or polarity differ */
    int date_conflict;       /* both name a date the other lacks: two occasions */
};
void am_text_similarity(const char *a, const char *b, struct am_similarity *out);

/* am_consolidate_decide with explicit thresholds (for measuring them). */
struct am_consolidate_params {
    double dup_jaccard, dup_contain, change_jaccard;
};
int am_consolidate_decide_with(const struct am_candidate *cand,
                               const char *const *existing_texts,
                               const char *const *existing_keys, size_t n_existing,
                               const struct am_consolidate_params *p, size_t *out_index);

/*
 * What a strategy adds to an extraction: a custom strategy's override
 * (customMemoryStrategy.configuration.*Override.extraction or .consolidation: appendToPrompt
 * and modelId). The built-in rules ignore it; LLM extractors append the instructions to the
 * task and, on Bedrock, use the model id. NULL or zeroed: none.
 */
struct am_extract_ctx {
    const char *instructions;   /* appendToPrompt, or NULL */
    const char *model_id;       /* modelId, or NULL: the configured model */
};

/*
 * An extractor: the built-in rules, or an LLM behind the same contract. Each method follows
 * the am_extract_* contract above (ctx may be NULL); destroy releases x itself (accepts NULL).
 * An LLM extractor whose provider fails (no answer, HTTP error after retries, a reply that
 * is not the asked JSON, a truncated reply) returns AM_EUNAVAIL and appends nothing, so the
 * job fails and the queue retries it with backoff; am_extract_errmsg() then says why.
 */
struct am_extractor {
    const char *name;   /* "builtin", "openai", "bedrock" */
    int (*facts)(struct am_extractor *x, const struct am_extract_ctx *ctx,
                 const struct am_turn *t, size_t n, struct am_candidates *out);
    int (*preferences)(struct am_extractor *x, const struct am_extract_ctx *ctx,
                       const struct am_turn *t, size_t n, struct am_candidates *out);
    int (*summary)(struct am_extractor *x, const struct am_extract_ctx *ctx,
                   const struct am_turn *t, size_t n, size_t max_chars,
                   struct am_candidates *out);
    void (*destroy)(struct am_extractor *x);
    void *priv;
};

/* Why the last extractor call of this thread failed ("" when it did not). */
const char *am_extract_errmsg(void);

/** The built-in offline extractor. @param out on success, freed with (*out)->destroy(*out). */
int am_extractor_builtin(struct am_extractor **out);

/*
 * LLM extractors: one request per strategy and batch of turns, the answer asked as JSON
 * ({"facts":[…]}, {"preferences":[…]}, {"topics":[…]}) citing transcript line numbers.
 *   am_extractor_openai   POST {base_url}/chat/completions (JSON mode), bearer api_key;
 *   am_extractor_bedrock  POST {base_url}/model/{model}/converse, SigV4 (service "bedrock")
 *                         with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 *                         read at each call; base_url NULL: https://bedrock-runtime.{region}
 *                         .amazonaws.com; region NULL: AWS_REGION, AWS_DEFAULT_REGION, us-east-1.
 * 429, 5xx and transport errors are retried `retries` times (0: 2, < 0: none) with backoff.
 * With fallback set, a failed call is answered by the built-in rules instead of failing.
 * Return AM_EINVAL (no base_url for OpenAI, no model for Bedrock), AM_ENOMEM, or AM_EUNAVAIL
 * when agentmem was built without libcurl (AM_HAVE_CURL undefined).
 */
struct am_llm_config {
    const char *base_url;
    const char *api_key;     /* OpenAI only; may be NULL */
    const char *model;       /* e.g. "gpt-4o-mini", "anthropic.claude-3-haiku-20240307-v1:0" */
    long timeout_ms;         /* whole request; 0: 30000 */
    size_t max_reply;        /* reply ceiling in bytes; 0: 1 MiB */
    const char *region;      /* Bedrock only */
    int retries;
    int fallback;            /* 1: use the built-in rules when the provider fails */
};
int am_extractor_openai(const struct am_llm_config *cfg, struct am_extractor **out);
int am_extractor_bedrock(const struct am_llm_config *cfg, struct am_extractor **out);

/* For tests and the fuzzers: turn a provider's HTTP reply body ("openai" chat completion or
 * "bedrock" Converse) into candidates of kind (enum am_cand_kind) as the extractor would.
 * AM_EUNAVAIL when the reply is not usable (am_extract_errmsg() says why). */
int am_llm_parse_reply(const char *provider, const char *reply, int kind,
                       const struct am_turn *t, size_t n, size_t max_chars,
                       struct am_candidates *out);

#endif
