/*
 * categories.c - keyword-derived categories for preferences and fact topics.
 *
 * A small hand-made table: each keyword votes for one category; the categories with the most
 * votes win. Redshift and cloud words come first because they are our first users' domain;
 * everyday categories (food, hobbies, family, travel...) cover personal assistants.
 * A keyword matches a token exactly, with a plural or verb ending (s, es, ing, ed, er, ers),
 * or as a prefix when the keyword has 5 letters or more ("snapshot" matches "snapshots").
 */
#include "extract/text.h"

#include <string.h>

struct kw {
    const char *word;
    const char *cat;
};

static const struct kw keywords[] = {
    /* infrastructure */
    {"cluster", "infrastructure"}, {"node", "infrastructure"}, {"workgroup", "infrastructure"},
    {"namespace", "infrastructure"}, {"serverless", "infrastructure"},
    {"redshift", "infrastructure"}, {"rpu", "infrastructure"}, {"capacity", "infrastructure"},
    {"region", "infrastructure"}, {"vpc", "infrastructure"}, {"subnet", "infrastructure"},
    {"instance", "infrastructure"}, {"database", "infrastructure"}, {"schema", "infrastructure"},
    {"table", "infrastructure"}, {"wlm", "infrastructure"}, {"queue", "infrastructure"},
    {"endpoint", "infrastructure"}, {"storage", "infrastructure"}, {"compute", "infrastructure"},
    {"server", "infrastructure"}, {"aws", "infrastructure"}, {"s3", "infrastructure"},
    {"lambda", "infrastructure"}, {"kubernetes", "infrastructure"}, {"docker", "infrastructure"},
    {"terraform", "infrastructure"}, {"warehouse", "infrastructure"},
    {"concurrency", "infrastructure"}, {"scaling", "infrastructure"}, {"resize", "infrastructure"},
    {"parameter", "infrastructure"}, {"vacuum", "infrastructure"}, {"cpu", "infrastructure"},
    /* migration */
    {"migrate", "migration"}, {"migration", "migration"}, {"cutover", "migration"},
    {"cut-over", "migration"}, {"repoint", "migration"},
    /* safety */
    {"snapshot", "safety"}, {"backup", "safety"}, {"rollback", "safety"}, {"prod", "safety"},
    {"production", "safety"}, {"dry-run", "safety"}, {"staging", "safety"},
    {"approval", "safety"}, {"approve", "safety"}, {"confirm", "safety"}, {"delete", "safety"},
    {"risk", "safety"}, {"risky", "safety"}, {"safe", "safety"}, {"safety", "safety"},
    {"restore", "safety"}, {"encrypt", "safety"}, {"encryption", "safety"},
    {"permission", "safety"}, {"iam", "safety"}, {"downtime", "safety"}, {"outage", "safety"},
    {"careful", "safety"}, {"touch", "safety"},
    /* scheduling */
    {"monday", "scheduling"}, {"tuesday", "scheduling"}, {"wednesday", "scheduling"},
    {"thursday", "scheduling"}, {"friday", "scheduling"}, {"saturday", "scheduling"},
    {"sunday", "scheduling"}, {"weekend", "scheduling"}, {"morning", "scheduling"},
    {"evening", "scheduling"}, {"night", "scheduling"}, {"hours", "scheduling"},
    {"schedule", "scheduling"}, {"window", "scheduling"}, {"maintenance", "scheduling"},
    {"deadline", "scheduling"}, {"weekly", "scheduling"}, {"daily", "scheduling"},
    {"calendar", "scheduling"}, {"meeting", "scheduling"}, {"business", "scheduling"},
    /* cost */
    {"cost", "cost"}, {"budget", "cost"}, {"price", "cost"}, {"pricing", "cost"},
    {"cheap", "cost"}, {"expensive", "cost"}, {"dollar", "cost"}, {"spend", "cost"},
    {"billing", "cost"}, {"savings", "cost"}, {"money", "cost"}, {"reserved", "cost"},
    /* communication */
    {"email", "communication"}, {"slack", "communication"}, {"message", "communication"},
    {"notify", "communication"}, {"notification", "communication"}, {"updates", "communication"},
    {"summary", "communication"}, {"summaries", "communication"}, {"concise", "communication"},
    {"verbose", "communication"}, {"detail", "communication"}, {"explain", "communication"},
    {"explanation", "communication"}, {"format", "communication"}, {"bullet", "communication"},
    {"tone", "communication"}, {"reply", "communication"}, {"respond", "communication"},
    {"report", "communication"}, {"brief", "communication"}, {"ask", "communication"},
    {"call", "communication"}, {"text", "communication"}, {"answers", "communication"},
    /* programming */
    {"python", "programming"}, {"sql", "programming"}, {"java", "programming"},
    {"javascript", "programming"}, {"code", "programming"}, {"script", "programming"},
    {"cli", "programming"}, {"api", "programming"}, {"sdk", "programming"},
    {"boto3", "programming"}, {"cdk", "programming"}, {"rust", "programming"},
    {"typescript", "programming"}, {"bash", "programming"}, {"query", "programming"},
    {"queries", "programming"}, {"programming", "programming"},
    /* food */
    {"food", "food"}, {"eat", "food"}, {"coffee", "food"}, {"tea", "food"}, {"pizza", "food"},
    {"vegetarian", "food"}, {"vegan", "food"}, {"cook", "food"}, {"restaurant", "food"},
    {"meal", "food"}, {"dinner", "food"}, {"lunch", "food"}, {"breakfast", "food"},
    {"spicy", "food"}, {"chocolate", "food"}, {"cake", "food"}, {"bake", "food"},
    {"baking", "food"}, {"recipe", "food"}, {"drink", "food"}, {"wine", "food"},
    {"beer", "food"}, {"sushi", "food"}, {"pasta", "food"}, {"dessert", "food"},
    {"fruit", "food"}, {"allergic", "food"}, {"snack", "food"}, {"bbq", "food"},
    {"meat", "food"}, {"cookies", "food"},
    /* hobbies */
    {"paint", "hobbies"}, {"painting", "hobbies"}, {"music", "hobbies"}, {"guitar", "hobbies"},
    {"piano", "hobbies"}, {"violin", "hobbies"}, {"reading", "hobbies"}, {"book", "hobbies"},
    {"novel", "hobbies"}, {"hiking", "hobbies"}, {"hike", "hobbies"}, {"camping", "hobbies"},
    {"swim", "hobbies"}, {"swimming", "hobbies"}, {"running", "hobbies"}, {"sport", "hobbies"},
    {"game", "hobbies"}, {"gaming", "hobbies"}, {"art", "hobbies"}, {"photography", "hobbies"},
    {"dance", "hobbies"}, {"dancing", "hobbies"}, {"garden", "hobbies"}, {"pottery", "hobbies"},
    {"knitting", "hobbies"}, {"writing", "hobbies"}, {"poetry", "hobbies"}, {"sing", "hobbies"},
    {"yoga", "hobbies"}, {"chess", "hobbies"}, {"fishing", "hobbies"}, {"surfing", "hobbies"},
    {"skiing", "hobbies"}, {"climbing", "hobbies"}, {"drawing", "hobbies"}, {"craft", "hobbies"},
    {"hobby", "hobbies"}, {"instrument", "hobbies"}, {"concert", "hobbies"},
    /* travel */
    {"travel", "travel"}, {"trip", "travel"}, {"vacation", "travel"}, {"flight", "travel"},
    {"beach", "travel"}, {"mountains", "travel"}, {"abroad", "travel"}, {"hotel", "travel"},
    {"tour", "travel"},
    /* family */
    {"family", "family"}, {"kids", "family"}, {"children", "family"}, {"son", "family"},
    {"daughter", "family"}, {"husband", "family"}, {"wife", "family"}, {"mom", "family"},
    {"dad", "family"}, {"mother", "family"}, {"father", "family"}, {"parents", "family"},
    {"sister", "family"}, {"brother", "family"}, {"grandma", "family"}, {"baby", "family"},
    /* pets */
    {"dog", "pets"}, {"cat", "pets"}, {"puppy", "pets"}, {"kitten", "pets"}, {"pet", "pets"},
    {"horse", "pets"},
    /* health */
    {"health", "health"}, {"doctor", "health"}, {"therapy", "health"}, {"mental", "health"},
    {"exercise", "health"}, {"gym", "health"}, {"workout", "health"}, {"fitness", "health"},
    {"sleep", "health"}, {"diet", "health"}, {"meditation", "health"}, {"hospital", "health"},
    {"injury", "health"},
    /* career and education */
    {"job", "career"}, {"career", "career"}, {"boss", "career"}, {"office", "career"},
    {"company", "career"}, {"store", "career"}, {"startup", "career"}, {"promotion", "career"},
    {"interview", "career"}, {"colleague", "career"}, {"counseling", "career"},
    {"counselor", "career"}, {"studio", "career"},
    {"school", "education"}, {"education", "education"}, {"class", "education"},
    {"course", "education"}, {"degree", "education"}, {"study", "education"},
    {"university", "education"}, {"college", "education"},
    /* entertainment */
    {"movie", "entertainment"}, {"film", "entertainment"}, {"show", "entertainment"},
    {"series", "entertainment"}, {"netflix", "entertainment"}, {"band", "entertainment"},
    {"album", "entertainment"}, {"song", "entertainment"},
    /* community */
    {"friends", "community"}, {"community", "community"}, {"lgbtq", "community"},
    {"transgender", "community"}, {"church", "community"}, {"volunteer", "community"},
    {"charity", "community"}, {"activism", "community"},
};

static bool kw_match(const char *w, size_t n, const char *k)
{
    static const char *const endings[] = {"", "s", "es", "ing", "ed", "er", "ers", NULL};
    size_t kn = strlen(k);
    if (n < kn || memcmp(w, k, kn) != 0)
        return false;
    if (kn >= 5)
        return true;
    for (size_t e = 0; endings[e]; e++)
        if (n - kn == strlen(endings[e]) && memcmp(w + kn, endings[e], n - kn) == 0)
            return true;
    return false;
}

size_t am_categorize(const struct am_toks *t, size_t from, size_t to, const char **out,
                     size_t cap)
{
    const char *cats[32];
    int votes[32];
    size_t order[32];
    size_t n_cats = 0;

    for (size_t i = from; i < to && i < t->n; i++) {
        if (!am_tok_word(t, i))
            continue;
        const char *hit = NULL;
        if (t->v[i].flags & (AM_TF_NODETYPE | AM_TF_REGION))
            hit = "infrastructure";
        for (size_t k = 0; !hit && k < sizeof keywords / sizeof keywords[0]; k++)
            if (kw_match(am_tok_low(t, i), t->v[i].len, keywords[k].word))
                hit = keywords[k].cat;
        if (!hit)
            continue;
        size_t c = 0;
        while (c < n_cats && strcmp(cats[c], hit) != 0)
            c++;
        if (c == n_cats) {
            if (n_cats == 32)
                continue;
            cats[n_cats] = hit;
            votes[n_cats] = 0;
            order[n_cats] = n_cats;
            n_cats++;
        }
        votes[c]++;
    }
    /* stable sort by votes, descending */
    for (size_t a = 1; a < n_cats; a++)
        for (size_t b = a; b > 0 && votes[order[b]] > votes[order[b - 1]]; b--) {
            size_t tmp = order[b];
            order[b] = order[b - 1];
            order[b - 1] = tmp;
        }
    size_t n_out = 0;
    for (size_t k = 0; k < n_cats && n_out < cap; k++)
        out[n_out++] = cats[order[k]];
    return n_out;
}
