/*
 * test_search.c - the pure retrieval blocks of src/search: tokenizer, FTS5 query builder
 * (checked against a real SQLite FTS5 table), built-in embedder, exact top-k and fusion.
 * Run alone with: build/unit-tests search_
 */
#include "test.h"
#include "helpers.h"

#include "agentmem.h"
#include "search/embed.h"
#include "search/fusion.h"
#include "search/text.h"
#include "search/vector.h"

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>

/* ---- helpers ------------------------------------------------------------------------- */

struct toks {
    char buf[4096];
    size_t len;
    int n;
};

/* Tokens joined by '|', e.g. "caroline|paint". */
static void collect(const char *tok, size_t len, void *arg)
{
    struct toks *t = arg;
    ASSERT_EQ(strlen(tok), len);
    ASSERT_LE(len, AM_TEXT_MAX_TOKEN);
    ASSERT_GT(len, 0);
    if (t->len + len + 2 >= sizeof t->buf)
        return;
    if (t->n++)
        t->buf[t->len++] = '|';
    memcpy(t->buf + t->len, tok, len);
    t->len += len;
    t->buf[t->len] = '\0';
}

static const char *tokens(const char *text)
{
    static struct toks t;
    memset(&t, 0, sizeof t);
    ASSERT_OK(am_text_tokenize(text, collect, &t));
    return t.buf;
}

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static float rnd_float(void)
{
    return (float)((double)(rnd() >> 11) / 9007199254740992.0 - 0.5);
}

static double cosine(const float *a, const float *b, int dim)
{
    double s = 0;
    for (int i = 0; i < dim; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* ---- tokenizer ------------------------------------------------------------------------ */

TEST(search_text_basic)
{
    ASSERT_STR_EQ(tokens("Hello, World! The paintings of SUNRISES."), "hello|world|paint|sunrise");
    ASSERT_STR_EQ(tokens(""), "");
    ASSERT_STR_EQ(tokens("   ...!?  "), "");
    ASSERT_STR_EQ(tokens("I am a the of"), "");          /* stop words and single letters */
    ASSERT_STR_EQ(tokens("3 kids, 2 dogs"), "3|kid|2|dog"); /* digits are kept */
    ASSERT_EQ(am_text_tokenize(NULL, collect, NULL), AM_EINVAL);
}

TEST(search_text_joined_words)
{
    ASSERT_STR_EQ(tokens("ra3.4xlarge in us-east-2"), "ra3|4xlarge|ra3.4xlarge|us|east|2|us-east-2");
    ASSERT_STR_EQ(tokens("at 10:30, e-mail me@example.com"),
                  "10|30|10:30|e|mail|e-mail|me|example|com|me@example.com");
    /* a connector at a word's edge joins nothing */
    ASSERT_STR_EQ(tokens("end. -start trailing- ab--cd"), "end|start|trail|ab|cd");
    /* sentence ends glued to the next word still give the words */
    ASSERT_STR_EQ(tokens("done.Next"), "done|next|done.next");
}

TEST(search_text_accents)
{
    ASSERT_STR_EQ(tokens("Café naïve Straße Œuvre Ångström façade Łódź"),
                  "cafe|naive|strasse|oeuvre|angstrom|facade|lodz");
    /* decomposed: e + U+0301 combining acute */
    ASSERT_STR_EQ(tokens("re\xcc\x81sume\xcc\x81"), "resume");
    ASSERT_STR_EQ(tokens("RÉSUMÉ"), "resume");
}

TEST(search_text_clitics_and_quotes)
{
    ASSERT_STR_EQ(tokens("Caroline's dog"), "caroline|dog");
    ASSERT_STR_EQ(tokens("Caroline\xe2\x80\x99s dog"), "caroline|dog");   /* U+2019 */
    ASSERT_STR_EQ(tokens("I don't know, they're here, we'll go"), "know|go");
    ASSERT_STR_EQ(tokens("O'Brien said \"hi\""), "brien|said|hi");
}

TEST(search_text_other_scripts)
{
    ASSERT_STR_EQ(tokens("Привет МИР"), "привет|мир");
    ASSERT_STR_EQ(tokens("ΑΒΓ"), "αβγ");
    ASSERT_STR_EQ(tokens("東京タワー、すごい"), "東京タワー|すごい");    /* U+3001 separates */
    ASSERT_STR_EQ(tokens("fun\xf0\x9f\x98\x80times"), "fun|time");      /* emoji separates */
    ASSERT_STR_EQ(tokens("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3"), "abc"); /* fullwidth */
    /* invalid UTF-8: stray continuation, truncated sequence, overlong, surrogate */
    ASSERT_STR_EQ(tokens("ab\x80" "cd \xc3 ef \xc0\xaf gh \xed\xa0\x80 ij"),
                  "ab|cd|ef|gh|ij");
}

TEST(search_text_long_word)
{
    char w[300];
    memset(w, 'x', sizeof w - 1);
    w[sizeof w - 1] = '\0';
    const char *t = tokens(w);
    ASSERT_EQ(strlen(t), AM_TEXT_MAX_TOKEN);
    /* a joined word longer than the limit is given by parts only */
    char j[200];
    snprintf(j, sizeof j, "%.40s-%.40s", w, w);
    ASSERT_EQ(strlen(tokens(j)), 81);   /* two parts and the '|' */
}

TEST(search_text_stem)
{
    static const struct { const char *in, *out; } cases[] = {
        {"paintings", "paint"}, {"painted", "paint"}, {"painting", "paint"},
        {"hiking", "hike"},     {"hiked", "hike"},    {"parties", "party"},
        {"ties", "tie"},        {"boxes", "box"},     {"beaches", "beach"},
        {"classes", "class"},   {"class", "class"},   {"bus", "bus"},
        {"analysis", "analysis"}, {"agreed", "agree"}, {"feed", "feed"},
        {"running", "run"},     {"falling", "fall"},  {"created", "create"},
        {"sing", "sing"},       {"thing", "thing"},   {"cats", "cat"},
        {"was", "was"},         {"x2s", "x2s"},       {"hopping", "hop"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char w[64];
        size_t n = strlen(cases[i].in);
        memcpy(w, cases[i].in, n + 1);
        n = am_text_stem(w, n);
        w[n] = '\0';
        ASSERT_STR_EQ(w, cases[i].out);
    }
    ASSERT(am_text_is_stop("the", 3));
    ASSERT(!am_text_is_stop("them!", 5));
    ASSERT(!am_text_is_stop("paint", 5));
}

TEST(search_text_raw_flags)
{
    struct toks t;
    memset(&t, 0, sizeof t);
    ASSERT_OK(am_text_tokenize_ex("Café PAINTINGS the us-east-2", AM_TEXT_RAW, collect, &t));
    ASSERT_STR_EQ(t.buf, "café|paintings|the|us|east|2");
    memset(&t, 0, sizeof t);
    ASSERT_OK(am_text_tokenize_ex("Café PAINTINGS the us-east-2",
                                  AM_TEXT_RAW | AM_TEXT_STOP | AM_TEXT_COMPOUND, collect, &t));
    ASSERT_STR_EQ(t.buf, "café|paintings|us|east|2|us-east-2");
}

/* ---- FTS5 expressions ------------------------------------------------------------------ */

static char *fts(const char *q)
{
    char *out = (char *)"(unset)";
    ASSERT_OK(am_text_fts_query(q, &out));
    return out;
}

TEST(search_fts_query_shape)
{
    char *e = fts("What did Caroline's paintings show?");
    ASSERT_STR_EQ(e, "\"caroline\" OR \"paintings\" OR \"show\"");
    free(e);
    e = fts("ra3.4xlarge in US-East-2, ra3.4xlarge again");   /* duplicates go */
    ASSERT_STR_EQ(e, "\"ra3\" OR \"4xlarge\" OR \"ra3.4xlarge\" OR \"us\" OR \"east\" OR \"2\" "
                     "OR \"us-east-2\"");
    free(e);
    e = fts("who is she?");                 /* only stop words: search them anyway */
    ASSERT_STR_EQ(e, "\"who\" OR \"is\" OR \"she\"");
    free(e);
    e = fts("Crème brûlée");                /* accents kept for FTS5's own folding */
    ASSERT_STR_EQ(e, "\"crème\" OR \"brûlée\"");
    free(e);
    ASSERT_NULL(fts(""));
    ASSERT_NULL(fts("?!... -- \"\" ()"));
    char *out = (char *)"x";
    ASSERT_EQ(am_text_fts_query(NULL, &out), AM_EINVAL);
    ASSERT_NULL(out);
}

TEST(search_fts_query_bounded)
{
    char q[8000];
    size_t o = 0;
    for (int i = 0; o + 16 < sizeof q; i++)
        o += (size_t)snprintf(q + o, sizeof q - o, "word%d ", i);
    char *e = fts(q);
    int n_or = 0;
    for (const char *p = e; (p = strstr(p, " OR ")); p++)
        n_or++;
    ASSERT_EQ(n_or, AM_TEXT_FTS_MAX_TERMS - 1);
    free(e);
}

static sqlite3 *fts_db(void)
{
    sqlite3 *db = NULL;
    static const char *const docs[] = {
        "Caroline: I painted a sunrise over the lake last week",
        "Melanie: we went camping with the kids AND the dog",
        "Caroline: the cluster runs on ra3.4xlarge nodes in us-east-2",
        "Melanie: NEAR the café there is a crème brûlée place",
        "Caroline: \"quoted\" words (with parentheses) and a * star",
    };
    ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE VIRTUAL TABLE d USING fts5(text, "
                               "tokenize='porter unicode61')", NULL, NULL, NULL), SQLITE_OK);
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        sqlite3_stmt *st;
        ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO d(rowid, text) VALUES (?, ?)", -1, &st,
                                     NULL), SQLITE_OK);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1);
        sqlite3_bind_text(st, 2, docs[i], -1, SQLITE_STATIC);
        ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
    }
    return db;
}

/* Run the expression for q; returns the best rowid (0: none). Fails on any SQLite error. */
static int64_t fts_run(sqlite3 *db, const char *q)
{
    char *e = fts(q);
    sqlite3_stmt *st;
    int64_t best = 0;
    int rc;

    if (!e)
        return 0;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT rowid FROM d WHERE d MATCH ? ORDER BY bm25(d)", -1,
                                 &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, e, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (!best)
            best = sqlite3_column_int64(st, 0);
    if (rc != SQLITE_DONE)
        TEST_FAIL_("query %s -> %s: %s", q, e, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    free(e);
    return best;
}

TEST(search_fts_query_hostile_inputs)
{
    static const char *const hostile[] = {
        "\"", "\"\"", "\"unterminated", "a\"b\"c", "NEAR(a b, 2)", "NEAR", "near/3",
        "AND", "OR", "NOT", "a AND", "OR b", "NOT NOT", "(", ")", "((a)", "a)", "*", "a*",
        "*a", "^start", "col:val", "text:caroline", "{text}: x", "-x", "+y", "a - b",
        "\\\"", "'", "''", "caroline'", "%", "_", ":", "::", "NEAR(\"a\" \"b\")",
        "ra3.4xlarge", "us-east-2", "e.g.", "...", "a.b.c.d.e.f.g.h", "1e10", "-1",
        "東京", "\xe2\x80\x9cquotes\xe2\x80\x9d", "\xf0\x9f\x98\x80", "\xff\xfe",
        "\xc3", "e\xcc\x81", "\xd8\x8c", "\xe3\x80\x81", "ÆØÅ", "a\tb\nc\rd",
        "SELECT * FROM d; DROP TABLE d", "\"caroline\" OR", "OR OR OR", "AND AND",
        "@@@", "a@b", "x:y:z", "---", "__init__", "C++", "c#", "$100", "100%",
        "'; --", "\\", "/", "//a//", "a/b", "?", "~", "`", "[x]", "{", "}",
    };
    sqlite3 *db = fts_db();
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
        fts_run(db, hostile[i]);
    /* random strings over an alphabet rich in FTS5 syntax and UTF-8 fragments */
    static const char *const pieces[] = {
        "\"", "'", "(", ")", "*", "^", ":", "-", "+", " ", " ", " AND ", " OR ", " NOT ",
        "NEAR", ",", ".", "/", "{", "}", "a", "caroline", "2", "é", "\xc3", "\x80",
        "\xe2\x80\x99", "\xf0\x9f\x98", "東", "\t", "_", "@",
    };
    for (int n = 0; n < 3000; n++) {
        char q[256];
        size_t o = 0;
        int parts = 1 + (int)(rnd() % 12);
        for (int k = 0; k < parts; k++) {
            const char *p = pieces[rnd() % (sizeof pieces / sizeof pieces[0])];
            size_t pl = strlen(p);
            if (o + pl + 1 >= sizeof q)
                break;
            memcpy(q + o, p, pl);
            o += pl;
        }
        q[o] = '\0';
        fts_run(db, q);
    }
    sqlite3_close(db);
}

TEST(search_fts_query_finds)
{
    sqlite3 *db = fts_db();
    ASSERT_EQ(fts_run(db, "What did Caroline paint?"), 1);        /* porter: paint ~ painted */
    ASSERT_EQ(fts_run(db, "camping with kids"), 2);
    ASSERT_EQ(fts_run(db, "which nodes? ra3.4xlarge"), 3);
    ASSERT_EQ(fts_run(db, "us-east-2"), 3);
    ASSERT_EQ(fts_run(db, "CREME BRULEE"), 4);                    /* unicode61 folds */
    ASSERT_EQ(fts_run(db, "NEAR"), 4);                            /* a word, not an operator */
    ASSERT_EQ(fts_run(db, "\"quoted\" (parentheses)"), 5);
    ASSERT_EQ(fts_run(db, "zebra"), 0);
    sqlite3_close(db);
}

/* ---- embedder ------------------------------------------------------------------------- */

TEST(search_embed_builtin)
{
    struct am_embedder *e = NULL;
    ASSERT_OK(am_embedder_builtin(&e));
    ASSERT_NOT_NULL(e);
    ASSERT_STR_EQ(e->name, "agentmem-hash-256-v1");
    ASSERT_EQ(e->dim, 256);

    float a[256], b[256], c[256], d[256], z[256];
    ASSERT_OK(e->embed(e, "Caroline painted a beautiful sunrise over the lake", a));
    ASSERT_OK(e->embed(e, "Caroline painted a beautiful sunrise over the lake", b));
    ASSERT_EQ(memcmp(a, b, sizeof a), 0);                          /* deterministic */
    ASSERT(fabs(cosine(a, a, 256) - 1.0) < 1e-5);                  /* normalized */
    ASSERT_OK(e->embed(e, "the sunrise Caroline paints at the lake is beautiful", c));
    ASSERT_OK(e->embed(e, "quarterly revenue projections for the sales department", d));
    ASSERT(fabs(cosine(c, c, 256) - 1.0) < 1e-5);
    ASSERT(cosine(a, c, 256) > 0.5);
    ASSERT(cosine(a, c, 256) > cosine(a, d, 256) + 0.3);
    /* a typo keeps most character trigrams */
    ASSERT_OK(e->embed(e, "pottery", c));
    ASSERT_OK(e->embed(e, "potery", d));
    ASSERT(cosine(c, d, 256) > 0.3);
    /* nothing to embed: a zero vector, not NaN */
    ASSERT_OK(e->embed(e, "the of and !!", z));
    for (int i = 0; i < 256; i++)
        ASSERT(z[i] == 0);
    am_embedder_destroy(&e);
    ASSERT_NULL(e);
    am_embedder_destroy(&e);                                      /* NULL-safe */
}

TEST(search_embed_long_text)
{
    struct am_embedder *e = NULL;
    size_t n = 200000;
    char *text = malloc(n + 1);
    float v[256];
    ASSERT_NOT_NULL(text);
    for (size_t i = 0; i < n; i++)   /* many distinct words: the feature table flushes */
        text[i] = (i % 7 == 6) ? ' ' : (char)('a' + (rnd() % 26));
    text[n] = '\0';
    ASSERT_OK(am_embedder_builtin(&e));
    ASSERT_OK(e->embed(e, text, v));
    ASSERT(fabs(cosine(v, v, 256) - 1.0) < 1e-4);
    free(text);
    am_embedder_destroy(&e);
}

TEST(search_embed_hash_params)
{
    struct am_hash_params p;
    struct am_embedder *e = (struct am_embedder *)&p;
    am_hash_params_default(&p);
    p.dim = 8;
    ASSERT_EQ(am_embedder_hash_create(&p, &e), AM_EINVAL);
    ASSERT_NULL(e);
    am_hash_params_default(&p);
    p.w_word = p.w_bigram = p.w_trigram = 0;
    ASSERT_EQ(am_embedder_hash_create(&p, &e), AM_EINVAL);
    am_hash_params_default(&p);
    p.dim = 384;
    ASSERT_OK(am_embedder_hash_create(&p, &e));
    ASSERT_STR_EQ(e->name, "agentmem-hash-384-v1");
    am_embedder_destroy(&e);
    am_hash_params_default(&p);
    p.w_bigram = 0.5;                     /* other knobs: another name */
    ASSERT_OK(am_embedder_hash_create(&p, &e));
    ASSERT_STR_CONTAINS(e->name, "agentmem-hash-256-v1-");
    float v[256];
    ASSERT_OK(e->embed(e, "red apples and green pears", v));
    ASSERT(fabs(cosine(v, v, 256) - 1.0) < 1e-5);
    am_embedder_destroy(&e);
}

/* ---- vectors ---------------------------------------------------------------------------- */

TEST(search_vec_dot)
{
    float a[389], b[389];
    for (int i = 0; i < 389; i++) {
        a[i] = rnd_float();
        b[i] = rnd_float();
    }
    static const int dims[] = {0, 1, 7, 8, 9, 16, 31, 255, 256, 384, 389};
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++) {
        double want = cosine(a, b, dims[k]);
        ASSERT(fabs(am_vec_dot(a, b, dims[k]) - want) < 1e-4);
    }
    float v[5] = {3, 4, 0, 0, 0}, zero[5] = {0};
    ASSERT(fabs(am_vec_normalize(v, 5) - 5) < 1e-6);
    ASSERT(fabs(v[0] - 0.6f) < 1e-6 && fabs(v[1] - 0.8f) < 1e-6);
    ASSERT(am_vec_normalize(zero, 5) == 0 && zero[0] == 0);
}

static int cmp_score_desc(const void *pa, const void *pb)
{
    const double *a = pa, *b = pb;     /* [score, index] pairs */
    if (a[0] != b[0])
        return a[0] > b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : 1;
}

TEST(search_vec_topk_vs_naive)
{
    static const int dims[] = {3, 64, 67, 256};
    static const size_t ks[] = {1, 5, 10, 999, 1000, 5000};
    size_t n = 1000;
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        int dim = dims[di];
        float *m = malloc(n * (size_t)dim * sizeof(float)), *q = malloc((size_t)dim * 4);
        double *naive = malloc(n * 2 * sizeof(double));
        size_t *idx = malloc(5000 * sizeof(size_t));
        float *sc = malloc(5000 * sizeof(float));
        ASSERT(m && q && naive && idx && sc);
        for (size_t i = 0; i < n * (size_t)dim; i++)
            m[i] = rnd_float();
        for (int i = 0; i < dim; i++)
            q[i] = rnd_float();
        for (size_t i = 0; i < n; i++) {
            naive[2 * i] = cosine(q, m + i * (size_t)dim, dim);
            naive[2 * i + 1] = (double)i;
        }
        qsort(naive, n, 2 * sizeof(double), cmp_score_desc);
        for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
            size_t k = ks[ki], got = am_vec_topk(q, m, n, dim, k, idx, sc);
            ASSERT_EQ(got, k < n ? k : n);
            for (size_t i = 0; i < got; i++) {
                ASSERT(fabs(sc[i] - naive[2 * i]) < 1e-4);             /* same scores */
                if (i > 0)
                    ASSERT(sc[i] <= sc[i - 1]);                         /* best first */
                /* same rows, unless two naive scores are too close to order */
                bool close = (i > 0 && naive[2 * i - 2] - naive[2 * i] < 1e-5) ||
                             (i + 1 < n && naive[2 * i] - naive[2 * i + 2] < 1e-5);
                if (!close)
                    ASSERT_EQ(idx[i], (size_t)naive[2 * i + 1]);
                ASSERT(fabs(sc[i] - am_vec_dot(q, m + idx[i] * (size_t)dim, dim)) < 1e-4);
            }
        }
        free(m);
        free(q);
        free(naive);
        free(idx);
        free(sc);
    }
}

TEST(search_vec_topk_ties_and_edges)
{
    float m[6 * 4] = {
        1, 0, 0, 0,   /* 0 */
        0, 1, 0, 0,   /* 1 */
        1, 0, 0, 0,   /* 2: ties with 0 */
        NAN, 0, 0, 0, /* 3: NaN counts as -inf */
        1, 0, 0, 0,   /* 4: ties with 0 */
        -1, 0, 0, 0,  /* 5 */
    };
    float q[4] = {1, 0, 0, 0}, sc[6];
    size_t idx[6];
    ASSERT_EQ(am_vec_topk(q, m, 6, 4, 6, idx, sc), 6);
    ASSERT_EQ(idx[0], 0);
    ASSERT_EQ(idx[1], 2);
    ASSERT_EQ(idx[2], 4);
    ASSERT_EQ(idx[3], 1);
    ASSERT_EQ(idx[4], 5);
    ASSERT_EQ(idx[5], 3);
    ASSERT(isinf(sc[5]) && sc[5] < 0);
    ASSERT_EQ(am_vec_topk(q, m, 6, 4, 2, idx, sc), 2);
    ASSERT_EQ(idx[0], 0);
    ASSERT_EQ(idx[1], 2);
    ASSERT_EQ(am_vec_topk(q, m, 6, 4, 0, idx, sc), 0);
    ASSERT_EQ(am_vec_topk(q, m, 0, 4, 3, idx, sc), 0);
    ASSERT_EQ(am_vec_topk(q, m, 6, 0, 3, idx, sc), 0);
}

/* ---- fusion ----------------------------------------------------------------------------- */

static struct am_fuse_item item(int64_t id, double bm25, int lr, double cos, int vr, int64_t ts)
{
    struct am_fuse_item it = {id, bm25, lr, cos, vr, ts, -1};
    return it;
}

static void check_scores(const struct am_fuse_item *it, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ASSERT(it[i].score >= 0 && it[i].score <= 1);
        if (i)
            ASSERT(it[i].score <= it[i - 1].score);
    }
}

TEST(search_fuse_rrf)
{
    struct am_fuse_params p;
    am_fuse_params_default(&p);
    p.method = AM_FUSE_RRF;
    p.w_lex = p.w_vec = 1;
    p.w_recency = 0;
    p.rrf_k = 60;
    struct am_fuse_item it[] = {
        item(10, 5.0, 2, 0.1, 0, 1),     /* lexical only, rank 2 */
        item(11, 9.0, 1, 0.9, 1, 1),     /* first in both */
        item(12, 0, 0, 0.5, 2, 1),       /* vector only, rank 2 */
        item(13, 1.0, 3, 0.4, 3, 1),     /* third in both */
    };
    am_fuse(it, 4, 1000, &p);
    check_scores(it, 4);
    ASSERT_EQ(it[0].id, 11);
    ASSERT(fabs(it[0].score - 1.0) < 1e-12);
    ASSERT_EQ(it[1].id, 13);             /* in both lists beats one list */
    ASSERT_EQ(it[2].id, 10);             /* ties with 12; the lexical rank decides */
    ASSERT_EQ(it[3].id, 12);
    ASSERT(fabs(it[2].score - it[3].score) < 1e-12);
}

TEST(search_fuse_weighted)
{
    struct am_fuse_params p;
    am_fuse_params_default(&p);
    p.method = AM_FUSE_WEIGHTED;
    p.w_lex = 0.5;
    p.w_vec = 0.5;
    p.w_recency = 0;
    p.lex_norm = AM_NORM_MINMAX;
    p.vec_norm = AM_NORM_MINMAX;
    struct am_fuse_item it[] = {
        item(1, 10.0, 1, 0.20, 3, 1),
        item(2, 2.0, 3, 0.90, 1, 1),
        item(3, 6.0, 2, 0.80, 2, 1),
    };
    am_fuse(it, 3, 1000, &p);
    check_scores(it, 3);
    /* minmax: 1 -> (1 + 0)/2, 2 -> (0 + 1)/2, 3 -> (0.5 + 0.857)/2 */
    ASSERT_EQ(it[0].id, 3);
    ASSERT(fabs(it[0].score - (0.5 + 0.6 / 0.7) / 2) < 1e-9);
    ASSERT_EQ(it[1].id, 1);              /* 1 and 2 tie at 0.5: the lexical rank decides */
    ASSERT_EQ(it[2].id, 2);

    /* lexical only */
    p.w_vec = 0;
    am_fuse(it, 3, 1000, &p);
    ASSERT_EQ(it[0].id, 1);
    ASSERT(fabs(it[0].score - 1) < 1e-12);
    ASSERT_EQ(it[2].id, 2);
    ASSERT(it[2].score == 0);

    /* max / raw: absolute strengths survive */
    p.w_lex = p.w_vec = 1;
    p.lex_norm = AM_NORM_MAX;
    p.vec_norm = AM_NORM_RAW;
    struct am_fuse_item w[] = {item(1, 4.0, 1, -0.3, 2, 1), item(2, 0, 0, 0.6, 1, 1)};
    am_fuse(w, 2, 1000, &p);
    ASSERT_EQ(w[0].id, 1);
    ASSERT(fabs(w[0].score - 0.5) < 1e-12);   /* (1 + clip(-0.3)) / 2 */
    ASSERT(fabs(w[1].score - 0.3) < 1e-6);    /* (0 + 0.6) / 2 */

    /* rank and raw bm25 */
    p.lex_norm = AM_NORM_RANK;
    struct am_fuse_item r[] = {item(1, 4.0, 1, 0, 0, 1), item(2, 3.0, 2, 0, 0, 1)};
    am_fuse(r, 2, 1000, &p);
    ASSERT(fabs(r[0].score - 0.5) < 1e-12 && fabs(r[1].score - 0.25) < 1e-12);
    p.lex_norm = AM_NORM_RAW;
    am_fuse(r, 2, 1000, &p);
    ASSERT(fabs(r[0].score - 0.4) < 1e-12);   /* 4/5 / 2 */
}

TEST(search_fuse_recency)
{
    struct am_fuse_params p;
    int64_t day = 86400000, now = 1700000000000LL;
    am_fuse_params_default(&p);
    p.w_lex = p.w_vec = 0;
    p.w_recency = 1;
    p.recency_half_life_days = 10;
    struct am_fuse_item it[] = {
        item(1, 1, 1, 0.5, 1, now - 20 * day),
        item(2, 1, 1, 0.5, 1, now - 10 * day),
        item(3, 1, 1, 0.5, 1, now + day),    /* future: as new */
        item(4, 1, 1, 0.5, 1, 0),            /* unknown time */
    };
    am_fuse(it, 4, now, &p);
    check_scores(it, 4);
    ASSERT_EQ(it[0].id, 3);
    ASSERT(fabs(it[0].score - 1) < 1e-12);
    ASSERT_EQ(it[1].id, 2);
    ASSERT(fabs(it[1].score - 0.5) < 1e-12);
    ASSERT_EQ(it[2].id, 1);
    ASSERT(fabs(it[2].score - 0.25) < 1e-12);
    ASSERT_EQ(it[3].id, 4);
    ASSERT(it[3].score == 0);

    /* as a tie-breaker on top of equal relevance */
    am_fuse_params_default(&p);
    p.w_recency = 0.1;
    struct am_fuse_item t[] = {item(1, 3, 1, 0.5, 1, now - 30 * day),
                               item(2, 3, 1, 0.5, 1, now - day)};
    am_fuse(t, 2, now, &p);
    ASSERT_EQ(t[0].id, 2);
    ASSERT(t[0].score > t[1].score);
}

TEST(search_fuse_edges)
{
    struct am_fuse_params p;
    am_fuse_params_default(&p);
    am_fuse(NULL, 0, 0, &p);                     /* nothing to do */
    ASSERT(p.w_lex >= 0 && p.w_vec >= 0 && p.w_recency >= 0);
    ASSERT(p.method == AM_FUSE_RRF || p.method == AM_FUSE_WEIGHTED);

    /* NaN scores count as missing; all weights zero gives 0; order stays deterministic */
    struct am_fuse_item it[] = {
        item(7, NAN, 1, NAN, 1, 5), item(3, 2.0, 2, 0.5, 2, 5), item(5, 2.0, 2, 0.5, 2, 9),
    };
    am_fuse(it, 3, 10, &p);
    check_scores(it, 3);
    ASSERT(it[2].id == 7);
    ASSERT_EQ(it[0].id, 5);                      /* tie with 3: the newer first */
    p.w_lex = p.w_vec = p.w_recency = -1;
    am_fuse(it, 3, 10, &p);
    for (int i = 0; i < 3; i++)
        ASSERT(it[i].score == 0);
    ASSERT_EQ(it[0].id, 7);                      /* then by lexical rank */
    ASSERT_EQ(it[1].id, 5);
    ASSERT_EQ(it[2].id, 3);
}

/* ---- the OpenAI-compatible embedder (src/search/embed_openai.c) ------------------------ */

#ifdef AM_HAVE_CURL
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Start tests/helpers/fake_embeddings.py; returns its pid and port (it dies with us). */
static pid_t start_fake_embeddings(int *port)
{
    return th_start_helper(port, "FAKE_OPENAI_KEY", "sk-test", "fake_embeddings.py", "--dim",
                           "64", (char *)NULL);
}

static size_t stats_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    char *buf = arg;
    size_t n = size * nmemb, have = strlen(buf);
    if (have + n < 256) {
        memcpy(buf + have, ptr, n);
        buf[have + n] = '\0';
    }
    return n;
}

/* How many embeddings requests the fake has served. */
static int fake_requests(int port)
{
    char url[64], body[256] = "";
    int n = -1;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/_stats", port);
    CURL *c = curl_easy_init();
    ASSERT_NOT_NULL(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stats_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    ASSERT_EQ(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    ASSERT_EQ(sscanf(body, "{\"requests\": %d}", &n), 1);
    return n;
}

struct embed_job {
    struct am_embedder *e;
    int rc;
    float first[64];
    bool same;
};

static void *embed_thread(void *arg)
{
    struct embed_job *j = arg;
    float v[64];
    j->same = true;
    for (int i = 0; i < 20 && !j->rc; i++) {
        j->rc = j->e->embed(j->e, "threads share one connection cache", i ? v : j->first);
        if (i && memcmp(v, j->first, sizeof v) != 0)
            j->same = false;
    }
    return NULL;
}

TEST(search_embed_openai_wire)
{
    int port = 0, n0;
    pid_t pid = start_fake_embeddings(&port);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/", port);
    struct am_embed_openai_config cfg = {url, "sk-test", "fake-embed", 0, 0, 5000, 0};
    struct am_embedder *e = NULL;
    float a[64], b[64], c[64], d[64];

    ASSERT_OK(am_embedder_openai(&cfg, &e));          /* dim 0: learned from a probe */
    ASSERT_EQ(e->dim, 64);
    ASSERT_STR_EQ(e->name, "openai:fake-embed:64");
    ASSERT_OK(e->embed(e, "red apples and green pears", a));
    ASSERT_OK(e->embed(e, "red apples and green pears", b));
    ASSERT_EQ(memcmp(a, b, sizeof a), 0);
    ASSERT(fabs(cosine(a, a, 64) - 1) < 1e-5);
    ASSERT_OK(e->embed(e, "green pears, red apples \xc3\xa9t\xc3\xa9 \"quoted\"", c));
    ASSERT_OK(e->embed(e, "quarterly revenue projections", d));
    ASSERT(cosine(a, c, 64) > cosine(a, d, 64));

    n0 = fake_requests(port);
    ASSERT_OK(e->embed(e, "", d));                     /* no request for empty text */
    for (int i = 0; i < 64; i++)
        ASSERT(d[i] == 0);
    ASSERT_EQ(fake_requests(port), n0);
    ASSERT_OK(e->embed(e, "FAIL429ONCE then fine", d)); /* 429 is retried */
    ASSERT_EQ(fake_requests(port), n0 + 2);
    ASSERT(fabs(cosine(d, d, 64) - 1) < 1e-5);
    ASSERT_EQ(e->embed(e, "FAIL500", d), AM_EUNAVAIL);  /* 5xx: 1 try + 2 retries */
    ASSERT_EQ(fake_requests(port), n0 + 5);
    ASSERT_EQ(e->embed(e, "BADJSON", d), AM_EUNAVAIL);  /* bad replies are not retried */
    ASSERT_EQ(e->embed(e, "WRONGDIM", d), AM_EUNAVAIL);
    ASSERT_EQ(e->embed(e, "NOTNUMBER", d), AM_EUNAVAIL);
    ASSERT_EQ(fake_requests(port), n0 + 8);

    /* two threads at once through the shared connection cache */
    struct embed_job j1 = {e, 0, {0}, false}, j2 = {e, 0, {0}, false};
    pthread_t t1, t2;
    ASSERT_OK(pthread_create(&t1, NULL, embed_thread, &j1));
    ASSERT_OK(pthread_create(&t2, NULL, embed_thread, &j2));
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    ASSERT_OK(j1.rc);
    ASSERT_OK(j2.rc);
    ASSERT(j1.same && j2.same);
    ASSERT_EQ(memcmp(j1.first, j2.first, sizeof j1.first), 0);
    am_embedder_destroy(&e);

    /* a wrong key: 401, not retried */
    cfg.api_key = "sk-wrong";
    cfg.dim = 64;
    ASSERT_OK(am_embedder_openai(&cfg, &e));
    n0 = fake_requests(port);
    ASSERT_EQ(e->embed(e, "hello", a), AM_EUNAVAIL);
    ASSERT_EQ(fake_requests(port), n0 + 1);
    am_embedder_destroy(&e);

    /* "dimensions" asks for shorter vectors; without it the length must match */
    cfg.api_key = "sk-test";
    cfg.dim = 16;
    cfg.send_dimensions = 1;
    ASSERT_OK(am_embedder_openai(&cfg, &e));
    ASSERT_STR_EQ(e->name, "openai:fake-embed:16");
    ASSERT_OK(e->embed(e, "hello world", a));
    ASSERT(fabs(cosine(a, a, 16) - 1) < 1e-5);
    am_embedder_destroy(&e);
    cfg.send_dimensions = 0;
    ASSERT_OK(am_embedder_openai(&cfg, &e));
    ASSERT_EQ(e->embed(e, "hello world", a), AM_EUNAVAIL);
    am_embedder_destroy(&e);

    /* a timeout, then nobody listening */
    cfg.dim = 64;
    cfg.timeout_ms = 300;
    cfg.retries = -1;
    ASSERT_OK(am_embedder_openai(&cfg, &e));
    ASSERT_EQ(e->embed(e, "SLOWREPLY", a), AM_EUNAVAIL);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    ASSERT_EQ(e->embed(e, "hello", a), AM_EUNAVAIL);
    am_embedder_destroy(&e);
    cfg.dim = 0;                                       /* the probe fails: no embedder */
    ASSERT_EQ(am_embedder_openai(&cfg, &e), AM_EUNAVAIL);
    ASSERT_NULL(e);

    /* configuration errors */
    cfg.base_url = NULL;
    ASSERT_EQ(am_embedder_openai(&cfg, &e), AM_EINVAL);
    cfg.base_url = url;
    cfg.send_dimensions = 1;                           /* needs a dim */
    ASSERT_EQ(am_embedder_openai(&cfg, &e), AM_EINVAL);
    cfg.send_dimensions = 0;
    cfg.dim = -1;
    ASSERT_EQ(am_embedder_openai(&cfg, &e), AM_EINVAL);
    ASSERT_NULL(e);
}

/* Titan embeddings over Bedrock InvokeModel (tests/helpers/fake_bedrock.py checks every
 * SigV4 signature with botocore and answers the vectors of fake_embeddings.py). */
TEST(search_embed_bedrock_titan)
{
    int port = 0;
    pid_t pid = th_start_helper(&port, NULL, NULL, "fake_bedrock.py", (char *)NULL);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    unsetenv("AWS_SESSION_TOKEN");
    struct am_embed_bedrock_config cfg = {.endpoint = url, .region = "eu-west-1", .dim = 256,
                                          .timeout_ms = 5000, .retries = -1};
    struct am_embedder *e = NULL;
    static float a[256], b[256], c[256];

    ASSERT_OK(am_embedder_bedrock(&cfg, &e));
    ASSERT_EQ(e->dim, 256);
    ASSERT_STR_EQ(e->name, "bedrock:amazon.titan-embed-text-v2:0:256");
    ASSERT_OK(e->embed(e, "red apples and green pears", a));
    ASSERT_OK(e->embed(e, "green pears, red apples", b));
    ASSERT_OK(e->embed(e, "quarterly revenue projections", c));
    ASSERT(fabs(cosine(a, a, 256) - 1) < 1e-5);
    ASSERT(cosine(a, b, 256) > cosine(a, c, 256));
    ASSERT_EQ(e->embed(e, "FAIL500 apples", c), AM_EUNAVAIL);
    ASSERT_EQ(e->embed(e, "THROTTLE apples", c), AM_EUNAVAIL);
    setenv("AWS_SECRET_ACCESS_KEY", "wrong", 1);               /* AWS answers 403 */
    ASSERT_EQ(e->embed(e, "red apples and green pears", c), AM_EUNAVAIL);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    am_embedder_destroy(&e);

    /* dim 0: learned from one request; a size Titan v2 does not offer is refused by it */
    cfg.dim = 0;
    ASSERT_OK(am_embedder_bedrock(&cfg, &e));
    ASSERT_EQ(e->dim, 1024);
    am_embedder_destroy(&e);
    cfg.dim = 300;
    ASSERT_EQ(am_embedder_bedrock(&cfg, &e), AM_OK);
    static float v300[300];
    ASSERT_EQ(e->embed(e, "apples", v300), AM_EUNAVAIL);
    am_embedder_destroy(&e);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

#else

TEST(search_embed_openai_unavailable)
{
    struct am_embed_openai_config cfg = {"http://127.0.0.1:9/v1", NULL, NULL, 0, 0, 0, 0};
    struct am_embedder *e = (struct am_embedder *)&cfg;
    ASSERT_EQ(am_embedder_openai(&cfg, &e), AM_EUNAVAIL);   /* built without libcurl */
    ASSERT_NULL(e);
}

#endif
