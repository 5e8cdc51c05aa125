/*
 * bench_retrieval.c - retrieval quality and speed of src/search on LoCoMo (dev part).
 *
 * Every turn of a conversation is a document ("Speaker: text", plus the image caption when
 * the turn shares one), timed by its session's date. Each conversation gets its own
 * in-memory SQLite FTS5 table (tokenize='porter unicode61', as the store's records_fts) and
 * its own vector matrix. Each question of categories 1-4 is run as BM25 alone, vectors
 * alone (several built-in embedder settings, and random vectors as the floor), reciprocal
 * rank fusion and a weighted sum of normalized scores (a small grid, a leave-one-
 * conversation-out check of the pick, recency on top), and scored by evidence
 * recall@5/10/20 (the share of its evidence turns in the top k) and MRR (1/rank of the first
 * evidence turn within the candidate depth). The same questions are run again with typos
 * (where character trigrams should earn their place), with random vectors as a control for
 * what fusion gains by mere reordering. Then the latency of one whole query (FTS
 * expression, BM25 top-100, embed, exact top-100, fusion) and the exact scan over 10k/100k
 * random vectors, with a memory-read baseline taken in the same run (see
 * /work/shared/CEILINGS.md: compare ratios, not absolute numbers).
 *
 *   build/bench_retrieval [locomo-dev.json] [-q]   (-q: built-in embedder only, no grid, no scan)
 * or, without the library:
 *   cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -Isrc bench/bench_retrieval.c \
 *      src/search/{text,embed,vector,fusion}.c -lsqlite3 -ljansson -lm -o /tmp/bench_retrieval
 *
 * The held-out conversations (conv-48..50) are not in the file and must not be used here.
 */
#include "search/embed.h"
#include "search/fusion.h"
#include "search/text.h"
#include "search/vector.h"

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_PATH "/work/shared/data/locomo/locomo-dev.json"
#define DEPTH 100           /* candidates taken from each list */
#define MAX_CONV 16
#define MAX_EMB 32
#define MAX_QA_EV 32

struct doc {
    char *dia;              /* "D3:7" */
    char *text;
    int64_t ts_ms;
};

struct qa {
    const char *question;   /* the one being run: orig or typo */
    const char *orig;       /* borrowed from the JSON tree */
    char *typo;             /* orig with typos (see make_typos) */
    int cat;
    size_t ev[MAX_QA_EV];
    int n_ev;
    size_t lex[DEPTH];
    double lex_score[DEPTH];
    int n_lex;
    size_t *vec[MAX_EMB];    /* per embedder: DEPTH ids and scores */
    float *vec_score[MAX_EMB];
    int n_vec[MAX_EMB];
};

struct conv {
    const char *id;
    struct doc *docs;
    size_t n_docs;
    struct qa *qas;
    size_t n_qa;
    int64_t now_ms;
    sqlite3 *db;
};

struct metrics {
    double r5, r10, r20, mrr;
    int n;
};

static struct conv convs[MAX_CONV];
static int n_convs;
static json_t *root;        /* the questions borrow their text from it until cleanup */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_retrieval: %s\n", what);
    exit(1);
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p)
        die("out of memory");
    memcpy(p, s, n);
    return p;
}

/* "1:56 pm on 8 May, 2023" -> ms since the epoch (UTC); -1 if it does not parse */
static int64_t parse_date(const char *s)
{
    static const char *const months[] = {"january", "february", "march", "april", "may",
                                         "june", "july", "august", "september", "october",
                                         "november", "december"};
    int hh, mm, day, year;
    char ampm[3], mon[16];
    struct tm tm;

    if (sscanf(s, "%d:%d %2s on %d %15[A-Za-z], %d", &hh, &mm, ampm, &day, mon, &year) != 6)
        return -1;
    memset(&tm, 0, sizeof tm);
    tm.tm_mon = -1;
    for (int i = 0; i < 12; i++)
        if (strcasecmp(mon, months[i]) == 0)
            tm.tm_mon = i;
    if (tm.tm_mon < 0)
        return -1;
    hh %= 12;
    if (strcasecmp(ampm, "pm") == 0)
        hh += 12;
    tm.tm_year = year - 1900;
    tm.tm_mday = day;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    return (int64_t)timegm(&tm) * 1000;
}

static long find_doc(const struct conv *c, const char *dia)
{
    for (size_t i = 0; i < c->n_docs; i++)
        if (strcmp(c->docs[i].dia, dia) == 0)
            return (long)i;
    return -1;
}

/* One evidence piece -> canonical "D<s>:<t>"; false if it cannot be repaired. */
static bool repair_id(const char *in, char *out, size_t cap)
{
    const char *p = in;
    char *end;
    long s, t;

    if (*p != 'D')
        return false;
    p++;
    if (*p == ':')                       /* "D:11:26" */
        p++;
    s = strtol(p, &end, 10);
    if (end == p || *end != ':')
        return false;
    p = end + 1;
    t = strtol(p, &end, 10);             /* "D30:05": the leading zero goes */
    if (end == p || *end)
        return false;
    snprintf(out, cap, "D%ld:%ld", s, t);
    return true;
}

static void add_evidence(struct conv *c, struct qa *q, const char *raw)
{
    char piece[64], id[64];
    const char *p = raw;

    while (*p) {                         /* split on ';', ',' and spaces */
        size_t len = strcspn(p, "; ,");
        if (len > 0 && len < sizeof piece) {
            memcpy(piece, p, len);
            piece[len] = '\0';
            long d = repair_id(piece, id, sizeof id) ? find_doc(c, id) : -1;
            bool dup = d < 0 || q->n_ev >= MAX_QA_EV;
            for (int k = 0; k < q->n_ev && !dup; k++)
                dup = q->ev[k] == (size_t)d;
            if (!dup)
                q->ev[q->n_ev++] = (size_t)d;
        }
        p += len;
        if (*p)
            p++;
    }
}

static void load(const char *path)
{
    json_error_t err;
    root = json_load_file(path, 0, &err);
    char key[64];
    int n_ev_total = 0, n_ev_dropped = 0;

    if (!root || !json_is_array(root))
        die("cannot read the LoCoMo file");
    for (size_t ci = 0; ci < json_array_size(root) && n_convs < MAX_CONV; ci++) {
        json_t *cj = json_array_get(root, ci);
        json_t *cv = json_object_get(cj, "conversation");
        struct conv *c = &convs[n_convs++];
        size_t cap = 1024;

        c->id = json_string_value(json_object_get(cj, "sample_id"));
        c->docs = calloc(cap, sizeof *c->docs);
        if (!c->docs)
            die("out of memory");
        for (int s = 1; s < 100; s++) {
            snprintf(key, sizeof key, "session_%d", s);
            json_t *turns = json_object_get(cv, key);
            if (!json_is_array(turns) || json_array_size(turns) == 0)
                continue;
            snprintf(key, sizeof key, "session_%d_date_time", s);
            const char *date = json_string_value(json_object_get(cv, key));
            int64_t ts = date ? parse_date(date) : -1;
            if (ts < 0)
                die("bad session date");
            for (size_t t = 0; t < json_array_size(turns); t++) {
                json_t *tj = json_array_get(turns, t);
                const char *sp = json_string_value(json_object_get(tj, "speaker"));
                const char *tx = json_string_value(json_object_get(tj, "text"));
                const char *cap_ = json_string_value(json_object_get(tj, "blip_caption"));
                const char *dia = json_string_value(json_object_get(tj, "dia_id"));
                char *text;
                size_t tl;

                if (!sp || !tx || !dia)
                    continue;
                if (c->n_docs == cap) {
                    cap *= 2;
                    c->docs = realloc(c->docs, cap * sizeof *c->docs);
                    if (!c->docs)
                        die("out of memory");
                }
                tl = strlen(sp) + strlen(tx) + (cap_ ? strlen(cap_) : 0) + 32;
                text = malloc(tl);
                if (!text)
                    die("out of memory");
                if (cap_)
                    snprintf(text, tl, "%s: %s [shares a photo: %s]", sp, tx, cap_);
                else
                    snprintf(text, tl, "%s: %s", sp, tx);
                c->docs[c->n_docs].dia = xstrdup(dia);
                c->docs[c->n_docs].text = text;
                c->docs[c->n_docs].ts_ms = ts + (int64_t)t * 30000;  /* turns 30 s apart */
                if (ts + (int64_t)t * 30000 > c->now_ms)
                    c->now_ms = ts + (int64_t)t * 30000;
                c->n_docs++;
            }
        }
        c->now_ms += 86400000;              /* questions come a day after the last session */

        json_t *qas = json_object_get(cj, "qa");
        c->qas = calloc(json_array_size(qas) + 1, sizeof *c->qas);
        if (!c->qas)
            die("out of memory");
        for (size_t qi = 0; qi < json_array_size(qas); qi++) {
            json_t *qj = json_array_get(qas, qi);
            int cat = (int)json_integer_value(json_object_get(qj, "category"));
            json_t *ev = json_object_get(qj, "evidence");
            struct qa *q = &c->qas[c->n_qa];

            if (cat < 1 || cat > 4)
                continue;
            memset(q, 0, sizeof *q);
            q->question = q->orig = json_string_value(json_object_get(qj, "question"));
            q->cat = cat;
            for (size_t e = 0; e < json_array_size(ev); e++) {
                const char *s = json_string_value(json_array_get(ev, e));
                int before = q->n_ev;
                n_ev_total++;
                if (s)
                    add_evidence(c, q, s);
                if (q->n_ev == before)
                    n_ev_dropped++;
            }
            if (q->question && q->n_ev > 0)
                c->n_qa++;
        }
    }
    size_t nd = 0, nq = 0;
    for (int i = 0; i < n_convs; i++) {
        nd += convs[i].n_docs;
        nq += convs[i].n_qa;
    }
    printf("LoCoMo dev: %d conversations, %zu turns, %zu questions of categories 1-4 with "
           "evidence (%d evidence entries, %d unusable after repair)\n",
           n_convs, nd, nq, n_ev_total, n_ev_dropped);
}

/* ---- lexical ------------------------------------------------------------------------------ */

static void index_fts(struct conv *c)
{
    sqlite3_stmt *st;

    if (sqlite3_open(":memory:", &c->db) != SQLITE_OK)
        die("sqlite open");
    if (sqlite3_exec(c->db, "CREATE VIRTUAL TABLE docs USING fts5(text, "
                            "tokenize='porter unicode61')", NULL, NULL, NULL) != SQLITE_OK)
        die(sqlite3_errmsg(c->db));
    sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
    if (sqlite3_prepare_v2(c->db, "INSERT INTO docs(rowid, text) VALUES (?, ?)", -1, &st,
                           NULL) != SQLITE_OK)
        die(sqlite3_errmsg(c->db));
    for (size_t i = 0; i < c->n_docs; i++) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1);
        sqlite3_bind_text(st, 2, c->docs[i].text, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            die(sqlite3_errmsg(c->db));
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
}

/* BM25 top DEPTH for a question; returns the count. */
static int lex_search(sqlite3 *db, sqlite3_stmt *st, const char *question, size_t *idx,
                      double *score)
{
    char *expr = NULL;
    int n = 0;

    if (am_text_fts_query(question, &expr))
        die("am_text_fts_query");
    if (!expr)
        return 0;
    sqlite3_bind_text(st, 1, expr, -1, SQLITE_TRANSIENT);
    while (n < DEPTH) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW)
            die(sqlite3_errmsg(db));
        idx[n] = (size_t)sqlite3_column_int64(st, 0) - 1;
        score[n] = sqlite3_column_double(st, 1);
        n++;
    }
    sqlite3_reset(st);
    free(expr);
    return n;
}

static sqlite3_stmt *lex_prepare(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT rowid, -bm25(docs) FROM docs WHERE docs MATCH ?1 "
                               "ORDER BY bm25(docs) LIMIT 100", -1, &st, NULL) != SQLITE_OK)
        die(sqlite3_errmsg(db));
    return st;
}

/* ---- embedders ------------------------------------------------------------------------ */

/* Random unit vectors seeded by the text: the floor any embedder must beat. */
static int random_embed(struct am_embedder *e, const char *text, float *out)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = text; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (int i = 0; i < e->dim; i++) {
        h ^= h << 13;
        h ^= h >> 7;
        h ^= h << 17;
        out[i] = (float)((double)(h >> 11) / 9007199254740992.0 - 0.5);
    }
    am_vec_normalize(out, e->dim);
    return 0;
}

static void random_destroy(struct am_embedder *e)
{
    (void)e;
}

struct emb_run {
    char label[64];
    struct am_embedder *e;
    double embed_us;        /* mean per document */
};

static struct emb_run embs[MAX_EMB];
static int n_embs;
static struct am_embedder random_emb = {"random-256", 256, random_embed, random_destroy, NULL};

static void add_hash(const char *label, int dim, double wb, double wt, int sub)
{
    struct am_hash_params p;
    am_hash_params_default(&p);
    p.dim = dim;
    p.w_bigram = wb;
    p.w_trigram = wt;
    p.sublinear = sub;
    struct emb_run *r = &embs[n_embs++];
    snprintf(r->label, sizeof r->label, "%s", label);
    if (am_embedder_hash_create(&p, &r->e))
        die("am_embedder_hash_create");
}

static void run_vectors(int ei)
{
    struct am_embedder *e = embs[ei].e;
    double t_embed = 0;
    size_t n_embedded = 0;

    for (int ci = 0; ci < n_convs; ci++) {
        struct conv *c = &convs[ci];
        float *m = malloc(c->n_docs * (size_t)e->dim * sizeof(float));
        float *q = malloc((size_t)e->dim * sizeof(float));
        if (!m || !q)
            die("out of memory");
        double t0 = now_s();
        for (size_t i = 0; i < c->n_docs; i++)
            if (e->embed(e, c->docs[i].text, m + i * (size_t)e->dim))
                die("embed");
        t_embed += now_s() - t0;
        n_embedded += c->n_docs;
        for (size_t qi = 0; qi < c->n_qa; qi++) {
            struct qa *a = &c->qas[qi];
            if (!a->vec[ei])
                a->vec[ei] = malloc(DEPTH * sizeof(size_t));
            if (!a->vec_score[ei])
                a->vec_score[ei] = malloc(DEPTH * sizeof(float));
            if (!a->vec[ei] || !a->vec_score[ei])
                die("out of memory");
            if (e->embed(e, a->question, q))
                die("embed");
            a->n_vec[ei] = (int)am_vec_topk(q, m, c->n_docs, e->dim, DEPTH, a->vec[ei],
                                            a->vec_score[ei]);
        }
        free(m);
        free(q);
    }
    embs[ei].embed_us = t_embed / (double)n_embedded * 1e6;
}

/* ---- metrics ---------------------------------------------------------------------------- */

static void score_ranking(const struct qa *a, const size_t *rank, int n, struct metrics *m)
{
    int hit5 = 0, hit10 = 0, hit20 = 0;
    double rr = 0;

    for (int i = 0; i < n; i++) {
        bool ev = false;
        for (int k = 0; k < a->n_ev; k++)
            ev |= a->ev[k] == rank[i];
        if (!ev)
            continue;
        if (rr == 0)
            rr = 1.0 / (i + 1);
        hit5 += i < 5;
        hit10 += i < 10;
        hit20 += i < 20;
    }
    m->r5 += (double)hit5 / a->n_ev;
    m->r10 += (double)hit10 / a->n_ev;
    m->r20 += (double)hit20 / a->n_ev;
    m->mrr += rr;
    m->n++;
}

/* A method's ranking of one question into out (up to 2*DEPTH). ei < 0: lexical only;
 * p NULL: vectors only (embedder ei); else fusion with embedder ei. */
static int rank_question(const struct conv *c, const struct qa *a, int ei,
                         const struct am_fuse_params *p, size_t *out, int *slot)
{
    struct am_fuse_item items[2 * DEPTH];
    int n = 0;

    if (ei < 0) {
        memcpy(out, a->lex, (size_t)a->n_lex * sizeof *out);
        return a->n_lex;
    }
    if (!p) {
        memcpy(out, a->vec[ei], (size_t)a->n_vec[ei] * sizeof *out);
        return a->n_vec[ei];
    }
    /* slot[doc] = item index or -1; reset before returning */
    for (int i = 0; i < a->n_lex; i++) {
        struct am_fuse_item *it = &items[n];
        memset(it, 0, sizeof *it);
        it->id = (int64_t)a->lex[i];
        it->bm25 = a->lex_score[i];
        it->lex_rank = i + 1;
        it->ts_ms = c->docs[a->lex[i]].ts_ms;
        slot[a->lex[i]] = n++;
    }
    for (int i = 0; i < a->n_vec[ei]; i++) {
        size_t d = a->vec[ei][i];
        struct am_fuse_item *it;
        if (slot[d] >= 0) {
            it = &items[slot[d]];
        } else {
            it = &items[n];
            memset(it, 0, sizeof *it);
            it->id = (int64_t)d;
            it->ts_ms = c->docs[d].ts_ms;
            slot[d] = n++;
        }
        it->cosine = a->vec_score[ei][i];
        it->vec_rank = i + 1;
    }
    am_fuse(items, (size_t)n, c->now_ms, p);
    for (int i = 0; i < n; i++) {
        out[i] = (size_t)items[i].id;
        slot[items[i].id] = -1;
    }
    return n;
}

/* Evaluate one method over every question: overall, per category, per conversation. */
struct result {
    struct metrics all, cat[5], conv[MAX_CONV];
};

static void evaluate(int ei, const struct am_fuse_params *p, struct result *r)
{
    size_t out[2 * DEPTH];

    memset(r, 0, sizeof *r);
    for (int ci = 0; ci < n_convs; ci++) {
        const struct conv *c = &convs[ci];
        int *slot = malloc(c->n_docs * sizeof(int));
        if (!slot)
            die("out of memory");
        for (size_t i = 0; i < c->n_docs; i++)
            slot[i] = -1;
        for (size_t qi = 0; qi < c->n_qa; qi++) {
            const struct qa *a = &c->qas[qi];
            int n = rank_question(c, a, ei, p, out, slot);
            score_ranking(a, out, n, &r->all);
            score_ranking(a, out, n, &r->cat[a->cat]);
            score_ranking(a, out, n, &r->conv[ci]);
        }
        free(slot);
    }
}

static void print_row(const char *label, const struct metrics *m)
{
    printf("%-44s %6.3f %6.3f %6.3f %6.3f\n", label, m->r5 / m->n, m->r10 / m->n,
           m->r20 / m->n, m->mrr / m->n);
}

static void print_cats(const char *label, const struct result *r)
{
    printf("%-28s", label);
    for (int k = 1; k <= 4; k++)
        printf("  %5.3f/%5.3f", r->cat[k].r10 / r->cat[k].n, r->cat[k].mrr / r->cat[k].n);
    printf("\n");
}

/* ---- the grid ---------------------------------------------------------------------------- */

struct config {
    char label[64];
    struct am_fuse_params p;
    struct result r;
};

static struct config grid[256];
static int n_grid;

static struct config *add_config(const char *label, const struct am_fuse_params *p)
{
    struct config *g = &grid[n_grid++];
    snprintf(g->label, sizeof g->label, "%s", label);
    g->p = *p;
    return g;
}

static void build_grid(void)
{
    struct am_fuse_params p;
    char label[64];
    static const int ks[] = {5, 10, 30, 60};
    static const double wv[] = {0.25, 0.5, 1.0};
    static const double wl[] = {0.3, 0.5, 0.6, 0.7, 0.8, 0.9};
    static const int norms[][2] = {{AM_NORM_MINMAX, AM_NORM_MINMAX},
                                   {AM_NORM_MAX, AM_NORM_MAX},
                                   {AM_NORM_RANK, AM_NORM_RANK},
                                   {AM_NORM_MAX, AM_NORM_RAW},
                                   {AM_NORM_MINMAX, AM_NORM_RAW},
                                   {AM_NORM_RAW, AM_NORM_RAW}};
    static const char *const norm_name[] = {"minmax", "max", "rank", "max/raw", "minmax/raw",
                                            "raw"};

    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
        for (size_t j = 0; j < sizeof wv / sizeof wv[0]; j++) {
            am_fuse_params_default(&p);
            p.method = AM_FUSE_RRF;
            p.rrf_k = ks[i];
            p.w_lex = 1;
            p.w_vec = wv[j];
            p.w_recency = 0;
            snprintf(label, sizeof label, "rrf k=%d lex 1 vec %.2g", ks[i], wv[j]);
            add_config(label, &p);
        }
    for (size_t ni = 0; ni < sizeof norms / sizeof norms[0]; ni++)
        for (size_t j = 0; j < sizeof wl / sizeof wl[0]; j++) {
            am_fuse_params_default(&p);
            p.method = AM_FUSE_WEIGHTED;
            p.lex_norm = norms[ni][0];
            p.vec_norm = norms[ni][1];
            p.w_lex = wl[j];
            p.w_vec = 1 - wl[j];
            p.w_recency = 0;
            snprintf(label, sizeof label, "weighted %s lex %.1f vec %.1f", norm_name[ni], wl[j],
                     1 - wl[j]);
            add_config(label, &p);
        }
}

/* recency on top of a fusion setting */
static void add_recency(const struct am_fuse_params *base, const char *base_label)
{
    static const double wr[] = {0.05, 0.1, 0.2};
    static const double hl[] = {7, 30, 180};
    char label[64];

    for (size_t i = 0; i < sizeof wr / sizeof wr[0]; i++)
        for (size_t j = 0; j < sizeof hl / sizeof hl[0]; j++) {
            struct am_fuse_params p = *base;
            p.w_recency = wr[i] * (p.w_lex + p.w_vec) / (1 - wr[i]);
            p.recency_half_life_days = hl[j];
            snprintf(label, sizeof label, "%.22s +rec %.2f hl %gd", base_label, wr[i], hl[j]);
            add_config(label, &p);
        }
}

static double r10_of(const struct metrics *m)
{
    return m->n ? m->r10 / m->n : 0;
}

/* Leave one conversation out: pick the best config on the others by recall@10, score it
 * on the one left out. An estimate of what the choice is worth on unseen conversations. */
static void cross_validate(int from, int to)
{
    struct metrics cv = {0};
    int picks[MAX_CONV];

    for (int held = 0; held < n_convs; held++) {
        int best = -1;
        double best_r = -1;
        for (int g = from; g < to; g++) {
            struct metrics m = {0};
            for (int ci = 0; ci < n_convs; ci++) {
                if (ci == held)
                    continue;
                m.r5 += grid[g].r.conv[ci].r5;
                m.r10 += grid[g].r.conv[ci].r10;
                m.r20 += grid[g].r.conv[ci].r20;
                m.mrr += grid[g].r.conv[ci].mrr;
                m.n += grid[g].r.conv[ci].n;
            }
            if (r10_of(&m) > best_r) {
                best_r = r10_of(&m);
                best = g;
            }
        }
        picks[held] = best;
        const struct metrics *h = &grid[best].r.conv[held];
        cv.r5 += h->r5;
        cv.r10 += h->r10;
        cv.r20 += h->r20;
        cv.mrr += h->mrr;
        cv.n += h->n;
    }
    print_row("leave-one-conversation-out pick (fusion)", &cv);
    printf("  picks:");
    for (int i = 0; i < n_convs; i++)
        printf(" [%s] %s;", convs[i].id, grid[picks[i]].label);
    printf("\n");
}

/* ---- speed ---------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void latency(struct am_embedder *e, const struct am_fuse_params *p)
{
    size_t nq = 0, nd = 0, k = 0;
    double t_fts = 0, t_emb = 0, t_scan = 0, t_fuse = 0;

    for (int ci = 0; ci < n_convs; ci++) {
        nq += convs[ci].n_qa;
        nd += convs[ci].n_docs;
    }
    double *lat = malloc(nq * sizeof(double));
    if (!lat)
        die("out of memory");
    for (int ci = 0; ci < n_convs; ci++) {
        struct conv *c = &convs[ci];
        float *m = malloc(c->n_docs * (size_t)e->dim * sizeof(float));
        float *q = malloc((size_t)e->dim * sizeof(float));
        if (!m || !q)
            die("out of memory");
        for (size_t i = 0; i < c->n_docs; i++)
            e->embed(e, c->docs[i].text, m + i * (size_t)e->dim);
        sqlite3_stmt *st = lex_prepare(c->db);
        for (size_t qi = 0; qi < c->n_qa; qi++) {
            struct qa *a = &c->qas[qi];
            size_t lex[DEPTH], vec[DEPTH];
            double lex_s[DEPTH];
            float vec_s[DEPTH];
            struct am_fuse_item items[2 * DEPTH];
            double t0 = now_s();
            int nl = lex_search(c->db, st, a->question, lex, lex_s);
            double t1 = now_s();
            e->embed(e, a->question, q);
            double t2 = now_s();
            size_t nv = am_vec_topk(q, m, c->n_docs, e->dim, DEPTH, vec, vec_s);
            double t3 = now_s();
            size_t n = 0;            /* union by linear probing over the short lists */
            for (int i = 0; i < nl; i++) {
                memset(&items[n], 0, sizeof items[n]);
                items[n].id = (int64_t)lex[i];
                items[n].bm25 = lex_s[i];
                items[n].lex_rank = i + 1;
                items[n].ts_ms = c->docs[lex[i]].ts_ms;
                n++;
            }
            for (size_t i = 0; i < nv; i++) {
                size_t j = 0;
                while (j < (size_t)nl && items[j].id != (int64_t)vec[i])
                    j++;
                if (j == (size_t)nl) {
                    j = n++;
                    memset(&items[j], 0, sizeof items[j]);
                    items[j].id = (int64_t)vec[i];
                    items[j].ts_ms = c->docs[vec[i]].ts_ms;
                }
                items[j].cosine = vec_s[i];
                items[j].vec_rank = (int)i + 1;
            }
            am_fuse(items, n, c->now_ms, p);
            double t4 = now_s();
            t_fts += t1 - t0;
            t_emb += t2 - t1;
            t_scan += t3 - t2;
            t_fuse += t4 - t3;
            lat[k++] = (t4 - t0) * 1e6;
        }
        sqlite3_finalize(st);
        free(m);
        free(q);
    }
    qsort(lat, k, sizeof *lat, cmp_double);
    printf("query latency over %zu questions (~%zu turns per conversation, top-%d each list): "
           "p50 %.0f us, p99 %.0f us; mean parts: FTS %.0f us, embed %.1f us, scan %.1f us, "
           "fuse %.1f us\n",
           k, nd / (size_t)(n_convs ? n_convs : 1), DEPTH, lat[k / 2],
           lat[(size_t)((double)k * 0.99)], t_fts / (double)k * 1e6, t_emb / (double)k * 1e6,
           t_scan / (double)k * 1e6, t_fuse / (double)k * 1e6);
    free(lat);
}

#if defined(__GNUC__)
typedef float v8f __attribute__((vector_size(32)));
/* memory-read baseline: sum the matrix with the same vector width and the same
 * AVX2 clone as the scan (src/search/vector.c) */
#if defined(__x86_64__) && !defined(__clang__) && __GNUC__ >= 8
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
static float read_sum(const float *m, size_t n)
{
    v8f a = {0}, b = {0}, c = {0}, d = {0}, x;
    for (size_t i = 0; i + 32 <= n; i += 32) {
        memcpy(&x, m + i, 32);
        a += x;
        memcpy(&x, m + i + 8, 32);
        b += x;
        memcpy(&x, m + i + 16, 32);
        c += x;
        memcpy(&x, m + i + 24, 32);
        d += x;
    }
    a = (a + b) + (c + d);
    return a[0] + a[7];
}
#else
static float read_sum(const float *m, size_t n)
{
    float s = 0;
    for (size_t i = 0; i < n; i++)
        s += m[i];
    return s;
}
#endif

static void scan_speed(void)
{
    static const int dims[] = {256, 384};
    static const size_t ns[] = {10000, 100000};
    uint64_t h = 88172645463325252ULL;

    printf("exact top-10 scan, float32, 1 thread (best / median of repeats; 'read' sums the "
           "same matrix: the memory-speed floor in this run)\n");
    for (size_t di = 0; di < 2; di++)
        for (size_t ni = 0; ni < 2; ni++) {
            int dim = dims[di];
            size_t n = ns[ni], idx[10];
            float sc[10], q[512];
            float *m = malloc(n * (size_t)dim * sizeof(float));
            int reps = n == 10000 ? 201 : 41;
            double *ts = malloc((size_t)reps * sizeof(double)), best_read = 1e9;
            volatile float sink = 0;
            if (!m || !ts)
                die("out of memory");
            for (size_t i = 0; i < n * (size_t)dim; i++) {
                h ^= h << 13;
                h ^= h >> 7;
                h ^= h << 17;
                m[i] = (float)((double)(h >> 11) / 9007199254740992.0 - 0.5);
            }
            for (size_t i = 0; i < n; i++)
                am_vec_normalize(m + i * (size_t)dim, dim);
            memcpy(q, m, (size_t)dim * sizeof(float));
            for (int r = 0; r < reps; r++) {
                double t0 = now_s();
                am_vec_topk(q, m, n, dim, 10, idx, sc);
                ts[r] = now_s() - t0;
                t0 = now_s();
                sink += read_sum(m, n * (size_t)dim);
                t0 = now_s() - t0;
                if (t0 < best_read)
                    best_read = t0;
            }
            qsort(ts, (size_t)reps, sizeof *ts, cmp_double);
            printf("  dim %d, %6zu vectors: %.3f / %.3f ms (%.1f GB/s); read %.3f ms; "
                   "scan/read %.2f\n",
                   dim, n, ts[0] * 1e3, ts[reps / 2] * 1e3,
                   (double)n * dim * 4 / ts[0] / 1e9, best_read * 1e3, ts[0] / best_read);
            (void)sink;
            free(m);
            free(ts);
        }
    printf("  CEILINGS.md (dim 384): 10k 0.12 ms, 100k 3.4 ms; memory read ~41 GB/s\n");
}

/* ---- main ---------------------------------------------------------------------------- */

/* ---- typos ---------------------------------------------------------------------------- */

/* Copy in with one edit in about half the words of 5 letters or more (a swap of two
 * neighbouring letters or a dropped letter, never the first): what people type. */
static char *make_typos(const char *in)
{
    size_t n = strlen(in), o = 0;
    char *out = malloc(n + 1);
    uint64_t h = 0x9e3779b97f4a7c15ULL;

    if (!out)
        die("out of memory");
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && ((in[j] >= 'a' && in[j] <= 'z') || (in[j] >= 'A' && in[j] <= 'Z')))
            j++;
        size_t len = j - i;
        if (len == 0) {
            out[o++] = in[i++];
            continue;
        }
        for (size_t k = i; k < j; k++)
            h = (h ^ (unsigned char)in[k]) * 0x100000001b3ULL;
        h ^= h >> 29;
        memcpy(out + o, in + i, len);
        if (len >= 5 && (h & 1)) {
            size_t at = 1 + (size_t)((h >> 8) % (len - 2));
            if (h & 2) {
                char t = out[o + at];
                out[o + at] = out[o + at + 1];
                out[o + at + 1] = t;
            } else {
                memmove(out + o + at, out + o + at + 1, len - at - 1);
                len--;
            }
        }
        o += len;
        i = j;
    }
    out[o] = '\0';
    return out;
}

/* BM25 lists for every question (typo: the typed variant), then each vector run's lists. */
static void run_lists(bool typo, int from_emb, int to_emb)
{
    for (int ci = 0; ci < n_convs; ci++) {
        struct conv *c = &convs[ci];
        sqlite3_stmt *st = lex_prepare(c->db);
        for (size_t qi = 0; qi < c->n_qa; qi++) {
            struct qa *a = &c->qas[qi];
            if (typo && !a->typo)
                a->typo = make_typos(a->orig);
            a->question = typo ? a->typo : a->orig;
            a->n_lex = lex_search(c->db, st, a->question, a->lex, a->lex_score);
        }
        sqlite3_finalize(st);
    }
    for (int ei = from_emb; ei < to_emb; ei++)
        run_vectors(ei);
}

static void print_header(const char *title)
{
    printf("\n%-44s %6s %6s %6s %6s\n", title, "R@5", "R@10", "R@20", "MRR");
}

/* ---- main ---------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *path = DEFAULT_PATH;
    bool quick = false;
    struct result r, bm25, vec, fused;
    struct am_fuse_params def, p;
    char label[160];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-q") == 0)
            quick = true;
        else
            path = argv[i];
    }
    load(path);
    am_fuse_params_default(&def);

    double t0 = now_s();
    for (int ci = 0; ci < n_convs; ci++)
        index_fts(&convs[ci]);
    printf("FTS5 index of all conversations: %.2f s\n", now_s() - t0);

    embs[n_embs].e = &random_emb;
    snprintf(embs[n_embs++].label, sizeof embs[0].label, "random-256");
    if (!quick) {
        add_hash("hash-256 words", 256, 0, 0, 1);
        add_hash("hash-256 words+bigrams", 256, 0.5, 0, 1);
        add_hash("hash-256 words+bigrams+tri", 256, 0.5, 0.5, 1);
        add_hash("hash-256 words+tri 0.25", 256, 0, 0.25, 1);
        add_hash("hash-256 words+tri 0.5, raw tf", 256, 0, 0.5, 0);
        add_hash("hash-256 words+tri 0.5", 256, 0, 0.5, 1);
        add_hash("hash-256 words+tri 1.0", 256, 0, 1.0, 1);
        add_hash("hash-384 words+bigrams+tri", 384, 0.5, 0.5, 1);
        add_hash("hash-384 words+tri 0.5", 384, 0, 0.5, 1);
        add_hash("hash-1024 words+tri 0.5", 1024, 0, 0.5, 1);
    }
    int builtin = n_embs;   /* the fusion runs use the built-in embedder */
    if (am_embedder_builtin(&embs[n_embs].e))
        die("am_embedder_builtin");
    snprintf(embs[n_embs].label, sizeof embs[0].label, "builtin %.40s", embs[n_embs].e->name);
    n_embs++;
    run_lists(false, 0, n_embs);

    print_header("method (evidence recall@k, MRR@100)");
    evaluate(-1, NULL, &bm25);
    print_row("bm25 (FTS5 porter unicode61)", &bm25.all);
    for (int ei = 0; ei < n_embs; ei++) {
        evaluate(ei, NULL, &r);
        snprintf(label, sizeof label, "vector %.40s (%.0f us/doc)", embs[ei].label,
                 embs[ei].embed_us);
        print_row(label, &r.all);
    }
    printf("-- bm25 fused with each vector run by am_fuse_params_default\n");
    for (int ei = 0; ei < n_embs; ei++) {
        evaluate(ei, &def, &r);
        snprintf(label, sizeof label, "fused %.40s", embs[ei].label);
        print_row(label, &r.all);
    }
    evaluate(builtin, NULL, &vec);
    evaluate(builtin, &def, &fused);
    if (!quick) {
        printf("-- fusion grid (embedder: %s; candidates: top-%d of each list)\n",
               embs[builtin].label, DEPTH);
        build_grid();
        int n_base = n_grid;
        int best = 0;
        for (int g = 0; g < n_base; g++) {
            evaluate(builtin, &grid[g].p, &grid[g].r);
            print_row(grid[g].label, &grid[g].r.all);
            if (r10_of(&grid[g].r.all) > r10_of(&grid[best].r.all))
                best = g;
        }
        printf("-- best in the grid by recall@10: %s\n", grid[best].label);
        cross_validate(0, n_base);
        p = def;
        p.w_recency = 0;
        printf("-- recency added to am_fuse_params_default (weight = share of the total)\n");
        add_recency(&p, "default");
        for (int g = n_base; g < n_grid; g++) {
            evaluate(builtin, &grid[g].p, &grid[g].r);
            print_row(grid[g].label, &grid[g].r.all);
        }
    }
    printf("\nper category, recall@10/MRR:  1 multi-hop   2 temporal    3 open-domain  4 "
           "single-hop\n");
    print_cats("bm25", &bm25);
    print_cats("vector builtin", &vec);
    print_cats("am_fuse_params_default", &fused);

    /* the same questions typed with typos: where character trigrams earn their place */
    run_lists(true, 0, 1);
    run_lists(true, builtin, builtin + 1);
    print_header("questions with typos (half the words >= 5 letters)");
    evaluate(-1, NULL, &r);
    print_row("bm25", &r.all);
    evaluate(builtin, NULL, &r);
    print_row("vector builtin", &r.all);
    evaluate(builtin, &def, &r);
    print_row("am_fuse_params_default", &r.all);
    p = def;
    p.method = AM_FUSE_RRF;
    p.w_lex = p.w_vec = 1;
    p.rrf_k = 60;
    evaluate(builtin, &p, &r);
    print_row("rrf k=60 lex 1 vec 1", &r.all);
    evaluate(0, &def, &r);
    print_row("control: default fusion with random vectors", &r.all);
    run_lists(false, builtin, builtin + 1);

    printf("\n");
    latency(embs[builtin].e, &def);
    if (!quick)
        scan_speed();

    for (int ci = 0; ci < n_convs; ci++) {
        struct conv *c = &convs[ci];
        for (size_t i = 0; i < c->n_docs; i++) {
            free(c->docs[i].dia);
            free(c->docs[i].text);
        }
        for (size_t qi = 0; qi < c->n_qa; qi++) {
            free(c->qas[qi].typo);
            for (int ei = 0; ei < n_embs; ei++) {
                free(c->qas[qi].vec[ei]);
                free(c->qas[qi].vec_score[ei]);
            }
        }
        free(c->docs);
        free(c->qas);
        sqlite3_close(c->db);
    }
    for (int ei = 0; ei < n_embs; ei++)
        if (embs[ei].e != &random_emb)
            am_embedder_destroy(&embs[ei].e);
    json_decref(root);
    return 0;
}
