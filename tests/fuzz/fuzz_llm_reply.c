/*
 * fuzz_llm_reply.c - provider replies (src/extract/llm.c am_llm_parse_reply): any bytes as
 * an OpenAI chat completion or a Bedrock Converse reply, for each strategy. A reply gives
 * candidates within AgentCore's limits, or an error; never garbage.
 */
#include "fuzz.h"

#include "extract/extract.h"
#include "extract/text.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct am_turn turns[] = {
        {AM_ROLE_USER, "prod-cluster has 4 nodes.", NULL, 1683500000000, "ev-1", 0},
        {AM_ROLE_ASSISTANT, "Noted.", NULL, 1683500001000, "ev-2", 0},
    };
    if (size < 1)
        return 0;
    char *reply = malloc(size);
    if (!reply)
        abort();
    memcpy(reply, data + 1, size - 1);
    reply[size - 1] = '\0';
    const char *provider = data[0] & 1 ? "bedrock" : "openai";
    int kind = data[0] & 2 ? AM_CAND_PREFERENCE : data[0] & 4 ? AM_CAND_SUMMARY : AM_CAND_FACT;
    struct am_candidates c = {0};
    int rc = am_llm_parse_reply(provider, reply, kind, turns, 2, 500, &c);
    if (rc != AM_OK && c.n)
        abort();
    for (size_t i = 0; i < c.n; i++) {
        const struct am_candidate *k = &c.items[i];
        if (!k->text || !*k->text || strlen(k->text) > AM_EXTRACT_MAX_TEXT || !k->topic ||
            !k->sources_json || k->kind != kind)
            abort();
        if (kind == AM_CAND_SUMMARY && strlen(k->text) > 500)
            abort();
    }
    am_candidates_free(&c);
    free(reply);
    return 0;
}
