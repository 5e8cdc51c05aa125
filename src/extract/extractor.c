/*
 * extractor.c - the built-in extractor behind struct am_extractor.
 *
 * The worker that runs strategies holds a struct am_extractor and never calls the rules
 * directly, so that an LLM-backed extractor (llm.c) can take its place.
 */
#include "extract/text.h"

#include <stdlib.h>

static int builtin_facts(struct am_extractor *x, const struct am_extract_ctx *ctx,
                         const struct am_turn *t, size_t n, struct am_candidates *out)
{
    (void)x;
    (void)ctx;
    return am_extract_facts(t, n, out);
}

static int builtin_preferences(struct am_extractor *x, const struct am_extract_ctx *ctx,
                               const struct am_turn *t, size_t n, struct am_candidates *out)
{
    (void)x;
    (void)ctx;
    return am_extract_preferences(t, n, out);
}

static int builtin_summary(struct am_extractor *x, const struct am_extract_ctx *ctx,
                           const struct am_turn *t, size_t n, size_t max_chars,
                           struct am_candidates *out)
{
    (void)x;
    (void)ctx;
    return am_extract_summary(t, n, max_chars, out);
}

static void builtin_destroy(struct am_extractor *x)
{
    free(x);
}

int am_extractor_builtin(struct am_extractor **out)
{
    struct am_extractor *x;
    if (!out)
        return AM_EINVAL;
    *out = NULL;
    x = calloc(1, sizeof *x);
    if (!x)
        return AM_ENOMEM;
    x->name = "builtin";
    x->facts = builtin_facts;
    x->preferences = builtin_preferences;
    x->summary = builtin_summary;
    x->destroy = builtin_destroy;
    *out = x;
    return AM_OK;
}
