/*
 * text.c - bounded buffers, text normalisation, sentence splitting, tokenisation, lexicons,
 * stemming and token sets for the built-in extractors.
 *
 * The tokenizer keeps technical identifiers whole (prod-cluster, ra3.4xlarge, us-east-2,
 * arn:aws:redshift:...), because for our first users those identifiers are the facts.
 * Lexicon tables are sorted so that lookups are a binary search; am_lex_selfcheck() lets
 * the unit tests catch an unsorted edit.
 */
#include "extract/text.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- normalisation -------------------------------------------------------------------- */

int am_text_normalize(const char *in, size_t max, char **out, size_t *out_len)
{
    size_t n = strnlen(in, max);
    char *o = malloc(n + 1);
    size_t k = 0;
    bool space = false;

    *out = NULL;
    *out_len = 0;
    if (!o)
        return AM_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        const unsigned char *u = (const unsigned char *)in + i;
        char rep = 0;
        if (c == 0xE2 && i + 2 < n && u[1] == 0x80) {
            switch (u[2]) {
            case 0x98: case 0x99: case 0xB2: rep = '\''; break;   /* ' ' ′ */
            case 0x9C: case 0x9D: case 0xB3: rep = '"'; break;    /* " " ″ */
            case 0x93: case 0x94: case 0x95: rep = '-'; break;    /* – — ― */
            case 0xA6: rep = '.'; break;                          /* … */
            default: break;
            }
            if (rep) {
                if (space && k > 0)
                    o[k++] = ' ';
                space = false;
                /* an ellipsis becomes "..." so that the splitter sees a sentence end */
                if (u[2] == 0xA6 && k + 2 <= n) {
                    o[k++] = '.';
                    o[k++] = '.';
                }
                o[k++] = rep;
                i += 2;
                continue;
            }
        }
        if (c == 0xC2 && i + 1 < n && u[1] == 0xA0) {   /* no-break space */
            space = true;
            i += 1;
            continue;
        }
        if (c == '\n') {
            while (k > 0 && o[k - 1] == ' ')
                k--;
            if (k > 0 && o[k - 1] != '\n')
                o[k++] = '\n';
            space = false;
            continue;
        }
        if (c < 0x20 || c == 0x7F || c == ' ') {
            space = true;
            continue;
        }
        if (space && k > 0 && o[k - 1] != '\n')
            o[k++] = ' ';
        space = false;
        o[k++] = (char)c;
    }
    o[k] = '\0';
    *out = o;
    *out_len = k;
    return AM_OK;
}

/* ---- sentences ----------------------------------------------------------------------- */

static const char *const abbrevs[] = {
    "approx", "apr", "aug", "ave", "co", "corp", "dec", "dept", "dr", "e.g", "eg", "est",
    "etc", "feb", "fig", "i.e", "ie", "inc", "jan", "jr", "jul", "jun", "lt", "ltd", "mar",
    "min", "mr", "mrs", "ms", "mt", "nov", "oct", "p.m", "a.m", "prof", "sep", "sept",
    "sr", "st", "vs", NULL};

static int spans_push(struct am_spans *sp, size_t off, size_t len)
{
    if (sp->n == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 16;
        struct am_span *v = realloc(sp->v, cap * sizeof *v);
        if (!v)
            return AM_ENOMEM;
        sp->v = v;
        sp->cap = cap;
    }
    sp->v[sp->n].off = off;
    sp->v[sp->n].len = len;
    sp->n++;
    return AM_OK;
}

void am_spans_free(struct am_spans *sp)
{
    free(sp->v);
    sp->v = NULL;
    sp->n = sp->cap = 0;
}

static bool is_abbrev_before(const char *s, size_t dot)
{
    size_t b = dot;
    while (b > 0 && (isalpha((unsigned char)s[b - 1]) || s[b - 1] == '.'))
        b--;
    size_t n = dot - b;
    if (n == 0 || n > 8)
        return false;
    if (n == 1 && isupper((unsigned char)s[b]))
        return true;   /* an initial: "J. Smith" */
    char w[10];
    for (size_t i = 0; i < n; i++)
        w[i] = (char)tolower((unsigned char)s[b + i]);
    w[n] = '\0';
    for (size_t i = 0; abbrevs[i]; i++)
        if (strcmp(w, abbrevs[i]) == 0)
            return true;
    return false;
}

static int emit_span(struct am_spans *sp, const char *s, size_t a, size_t e)
{
    while (a < e && (s[a] == ' ' || s[a] == '\n'))
        a++;
    while (e > a && (s[e - 1] == ' ' || s[e - 1] == '\n'))
        e--;
    if (e <= a)
        return AM_OK;
    return spans_push(sp, a, e - a);
}

int am_split_sentences(const char *s, size_t len, struct am_spans *out)
{
    size_t start = 0;
    int rc = AM_OK;

    for (size_t i = 0; i < len && !rc; i++) {
        char c = s[i];
        if (c == '\n') {
            rc = emit_span(out, s, start, i);
            start = i + 1;
            continue;
        }
        if (c != '.' && c != '!' && c != '?' && c != ';')
            continue;
        size_t j = i;
        while (j + 1 < len && strchr(".!?\")'", s[j + 1]))
            j++;
        if (j + 1 < len && s[j + 1] != ' ' && s[j + 1] != '\n')
            continue;   /* ra3.4xlarge, 3.5, e.g. inside a word */
        if (c == '.' && j == i && is_abbrev_before(s, i)) {
            size_t k = j + 1;
            while (k < len && s[k] == ' ')
                k++;
            /* "etc." may end a sentence; other abbreviations do not */
            bool etc_end = i >= 3 && strncasecmp(s + i - 3, "etc", 3) == 0 && k < len &&
                           isupper((unsigned char)s[k]);
            if (!etc_end)
                continue;
        }
        rc = emit_span(out, s, start, j + 1);
        start = j + 1;
        i = j;
    }
    if (!rc)
        rc = emit_span(out, s, start, len);
    if (rc)
        am_spans_free(out);
    return rc;
}

/* ---- tokens ---------------------------------------------------------------------------- */

/* Byte length of the UTF-8 sequence starting with c (1 for ASCII and stray bytes). */
static size_t u8len(unsigned char c)
{
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    if (c >= 0xE0)
        return 3;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    return 1;
}

/* Letters outside ASCII: Latin-1 and other 2-byte scripts, CJK; not the 0xE2 block
 * (punctuation, symbols) nor 4-byte sequences (emoji). */
static bool u8letter(unsigned char c)
{
    return (c >= 0xC3 && c <= 0xDF) || (c >= 0xE3 && c <= 0xEF) || c == 0xE0 || c == 0xE1;
}

static bool wordstart(unsigned char c)
{
    return isalnum(c) || u8letter(c);
}

/* End of the word starting at i. Inner joiners (- _ . : / @ ' & +) continue a word when an
 * alphanumeric follows; digit groups ("2,000") stay whole. */
static size_t scan_word(const char *s, size_t len, size_t i)
{
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c)) {
            i++;
        } else if (c >= 0x80 && u8letter(c)) {
            size_t l = u8len(c);
            i = i + l <= len ? i + l : len;
        } else if (i + 1 < len && strchr("-_.:/@'&+", (char)c) && c != 0 &&
                   isalnum((unsigned char)s[i + 1]) && i > 0 &&
                   isalnum((unsigned char)s[i - 1])) {
            i++;
        } else if (c == ',' && i + 3 < len && i > 0 && isdigit((unsigned char)s[i - 1]) &&
                   isdigit((unsigned char)s[i + 1]) && isdigit((unsigned char)s[i + 2]) &&
                   isdigit((unsigned char)s[i + 3]) &&
                   (i + 4 >= len || !isdigit((unsigned char)s[i + 4]))) {
            i++;
        } else if (c == ':' && i + 2 < len && s[i + 1] == '/' && s[i + 2] == '/') {
            i += 3;   /* s3://bucket/key, https://... */
        } else {
            break;
        }
    }
    return i;
}

static const char *const tech_parts[] = {
    "analytics", "bi", "cluster", "db", "dev", "dw", "etl", "lake", "migration", "ns", "prod",
    "qa", "queue", "redshift", "reporting", "serverless", "snap", "snapshot", "staging", "stg",
    "test", "uat", "warehouse", "wg", "workgroup", "wlm", NULL};

static bool is_node_type(const char *w, size_t n)
{
    static const char *const fams[] = {"ra3.", "dc2.", "dc1.", "ds2.", NULL};
    for (size_t f = 0; fams[f]; f++) {
        size_t fl = strlen(fams[f]);
        if (n > fl && strncmp(w, fams[f], fl) == 0) {
            const char *r = w + fl;
            size_t rn = n - fl;
            return (rn == 5 && strncmp(r, "large", 5) == 0) ||
                   (rn == 6 && strncmp(r, "xlplus", 6) == 0) ||
                   (rn >= 6 && strncmp(r + rn - 6, "xlarge", 6) == 0);
        }
    }
    return false;
}

static bool is_region(const char *w, size_t n)
{
    static const char *const pre[] = {"af-", "ap-", "ca-", "cn-", "eu-", "il-", "me-",
                                      "mx-", "sa-", "us-", "us-gov-", NULL};
    static const char *const dirs[] = {"central-", "east-", "north-", "northeast-",
                                       "northwest-", "south-", "southeast-", "southwest-",
                                       "west-", NULL};
    for (size_t p = 0; pre[p]; p++) {
        size_t pl = strlen(pre[p]);
        if (n <= pl || strncmp(w, pre[p], pl) != 0)
            continue;
        for (size_t d = 0; dirs[d]; d++) {
            size_t dl = strlen(dirs[d]);
            if (n == pl + dl + 1 && strncmp(w + pl, dirs[d], dl) == 0 &&
                isdigit((unsigned char)w[n - 1]))
                return true;
        }
    }
    return false;
}

static unsigned word_flags(const char *s, const char *lc, size_t n)
{
    unsigned f = 0;
    size_t alpha = 0, upper = 0, digit = 0, joiners = 0, hyphens = 0, apos = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalpha(c))
            alpha++;
        if (isupper(c))
            upper++;
        if (isdigit(c))
            digit++;
        if (strchr("_.:/@", (char)c) && c)
            joiners++;
        if (c == '-')
            hyphens++;
        if (c == '\'')
            apos++;
    }
    if (isupper((unsigned char)s[0]))
        f |= AM_TF_CAP;
    if (digit && !alpha)
        f |= AM_TF_NUM;
    if (alpha >= 2 && upper == alpha && !apos)
        f |= AM_TF_ACRO;
    if (is_node_type(lc, n))
        f |= AM_TF_NODETYPE | AM_TF_IDENT;
    if (is_region(lc, n))
        f |= AM_TF_REGION | AM_TF_IDENT;
    if (alpha && (digit || joiners))
        f |= AM_TF_IDENT;
    if (alpha && hyphens && !(f & AM_TF_IDENT)) {
        size_t a = 0;
        for (size_t i = 0; i <= n && !(f & AM_TF_IDENT); i++) {
            if (i == n || lc[i] == '-') {
                for (size_t k = 0; tech_parts[k]; k++)
                    if (strlen(tech_parts[k]) == i - a && strncmp(lc + a, tech_parts[k], i - a) == 0)
                        f |= AM_TF_IDENT;
                a = i + 1;
            }
        }
    }
    if (am_lex_has(AM_LEX_STOP, lc, n))
        f |= AM_TF_STOP;
    return f;
}

static int toks_push(struct am_toks *t, size_t off, size_t len, int type, unsigned flags)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        struct am_tok *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return AM_ENOMEM;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n].off = off;
    t->v[t->n].len = len;
    t->v[t->n].type = type;
    t->v[t->n].flags = flags;
    t->n++;
    return AM_OK;
}

int am_toks_init(struct am_toks *t, const char *s, size_t len)
{
    int rc = AM_OK;
    memset(t, 0, sizeof *t);
    t->s = s;
    t->s_len = len;
    t->lc = malloc(len + 1);
    if (!t->lc)
        return AM_ENOMEM;
    for (size_t i = 0; i < len; i++)
        t->lc[i] = (char)tolower((unsigned char)s[i]);
    t->lc[len] = '\0';

    size_t i = 0;
    while (i < len && !rc) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\n') {
            i++;
            continue;
        }
        if (wordstart(c)) {
            size_t e = scan_word(s, len, i);
            if (e == i)
                e = i + 1;
            rc = toks_push(t, i, e - i, AM_TK_WORD, word_flags(s + i, t->lc + i, e - i));
            i = e;
        } else {
            size_t l = u8len(c);
            if (i + l > len)
                l = len - i;
            rc = toks_push(t, i, l, AM_TK_PUNCT, 0);
            i += l;
        }
    }
    if (rc)
        am_toks_free(t);
    return rc;
}

void am_toks_free(struct am_toks *t)
{
    free(t->lc);
    free(t->v);
    t->lc = NULL;
    t->v = NULL;
    t->n = t->cap = 0;
}

bool am_tok_is(const struct am_toks *t, size_t i, const char *w)
{
    if (i >= t->n)
        return false;
    size_t n = strlen(w);
    return t->v[i].len == n && memcmp(am_tok_low(t, i), w, n) == 0;
}

int am_tok_in(const struct am_toks *t, size_t i, const char *const *list)
{
    if (i >= t->n)
        return -1;
    for (int k = 0; list[k]; k++)
        if (am_tok_is(t, i, list[k]))
            return k;
    return -1;
}

bool am_tok_punct(const struct am_toks *t, size_t i, char c)
{
    return i < t->n && t->v[i].type == AM_TK_PUNCT && t->v[i].len == 1 && t->s[t->v[i].off] == c;
}

bool am_tok_word(const struct am_toks *t, size_t i)
{
    return i < t->n && t->v[i].type == AM_TK_WORD;
}

/* ---- lexicons (each sorted, byte order) -------------------------------------------------- */

static const char *const lex_stop[] = {
    "'s", "a", "about", "above", "actually", "after", "again", "ah", "ain't", "all", "almost",
    "also", "always", "am", "an", "and", "another", "any", "anyone", "anything", "anyway",
    "are", "aren't", "around", "as", "at", "aw", "aww", "awww", "back", "basically", "be",
    "because", "been", "before", "being", "below", "between", "both", "but", "by", "can",
    "can't", "cannot", "cause", "could", "couldn't", "currently", "def", "definitely", "did",
    "didn't", "do", "does", "doesn't", "doing", "don't", "done", "down", "during", "each",
    "either", "else", "enough", "especially", "even", "ever", "every", "everything", "for",
    "from", "further", "get", "gets", "getting", "gonna", "got", "gotta", "had", "hadn't",
    "has", "hasn't", "have", "haven't", "having", "he", "he'd", "he'll", "he's", "hehe", "her",
    "here", "here's", "hers", "herself", "hey", "hi", "him", "himself", "his", "hmm", "how",
    "how's", "i", "i'd", "i'll", "i'm", "i've", "if", "im", "in", "into", "is", "isn't", "it",
    "it'd", "it'll", "it's", "its", "itself", "just", "kind", "kinda", "know", "let's", "like",
    "lol", "lot", "lots", "made", "many", "may", "maybe", "me", "might", "mine", "more",
    "most", "much", "must", "my", "myself", "no", "nor", "not", "now", "of", "off", "oh", "ok",
    "okay", "on", "once", "one", "only", "or", "other", "our", "ours", "ourselves", "out",
    "over", "own", "pretty", "quite", "rather", "really", "right", "same", "seem", "seems",
    "shall", "she", "she'd", "she'll", "she's", "should", "shouldn't", "since", "so", "some",
    "something", "sort", "still", "such", "sure", "than", "that", "that'll", "that's", "thats",
    "the", "their", "theirs", "them", "themselves", "then", "there", "there's", "these",
    "they", "they'd", "they'll", "they're", "they've", "thing", "things", "this", "those",
    "though", "through", "to", "too", "totally", "truly", "u", "uh", "um", "under", "until",
    "up", "upon", "us", "very", "was", "wasn't", "way", "we", "we'd", "we'll", "we're",
    "we've", "well", "were", "weren't", "what", "what's", "whatever", "when", "where", "which",
    "while", "who", "who's", "whom", "why", "will", "with", "won't", "would", "wouldn't",
    "wow", "ya", "yeah", "yep", "yes", "yet", "you", "you'd", "you'll", "you're", "you've",
    "your", "yours", "yourself", NULL};

static const char *const lex_past[] = {
    "ate", "awoke", "been", "began", "begun", "bent", "bought", "brought", "built", "burnt",
    "came", "caught", "chose", "chosen", "dealt", "did", "done", "drank", "drawn", "dreamt",
    "drew", "driven", "drove", "dug", "eaten", "fed", "fell", "felt", "flew", "flown",
    "forgot", "forgotten", "fought", "found", "froze", "gave", "given", "gone", "got",
    "gotten", "grew", "grown", "had", "heard", "held", "hid", "hung", "kept", "knew", "known",
    "laid", "led", "left", "lent", "lost", "made", "meant", "met", "overcame", "paid", "ran",
    "rang", "rode", "rose", "said", "sang", "sat", "saw", "seen", "sent", "shook", "shot",
    "showed", "shown", "slept", "sold", "sought", "spent", "spoke", "spoken", "stole", "stood",
    "struck", "stuck", "sung", "swam", "swum", "taken", "taught", "thought", "threw", "told",
    "took", "tore", "understood", "was", "went", "were", "woke", "won", "wore", "written",
    "wrote", NULL};

static const char *const lex_adverb[] = {
    "absolutely", "actually", "already", "also", "always", "basically", "certainly",
    "completely", "def", "definitely", "even", "eventually", "finally", "first", "fully",
    "generally", "genuinely", "honestly", "just", "kinda", "literally", "mostly", "never",
    "normally", "now", "officially", "often", "only", "originally", "personally", "probably",
    "rarely", "really", "recently", "seriously", "simply", "sometimes", "still", "strongly",
    "sure", "think", "totally", "truly", "typically", "ultimately", "usually", NULL};

static const char *const lex_modal[] = {
    "am", "are", "aren't", "can", "can't", "cannot", "could", "couldn't", "did", "didn't",
    "had", "hadn't", "may", "might", "must", "mustn't", "ought", "shall", "should",
    "shouldn't", "was", "wasn't", "were", "weren't", "will", "won't", "would", "wouldn't", NULL};

static const char *const lex_negation[] = {
    "aren't", "can't", "cannot", "couldn't", "didn't", "doesn't", "don't", "hasn't",
    "haven't", "isn't", "never", "no", "nobody", "none", "not", "nothing", "shouldn't",
    "wasn't", "weren't", "won't", "wouldn't", "dislike", "dislikes", "hate", "hates", NULL};

static const char *const *const lexicons[AM_LEX_COUNT_] = {
    [AM_LEX_STOP] = lex_stop, [AM_LEX_PAST] = lex_past, [AM_LEX_ADVERB] = lex_adverb,
    [AM_LEX_MODAL] = lex_modal, [AM_LEX_NEGATION] = lex_negation};

#define LEX_N(a) (sizeof(a) / sizeof(a)[0] - 1)   /* without the NULL */
static const size_t lexicon_sizes[AM_LEX_COUNT_] = {
    [AM_LEX_STOP] = LEX_N(lex_stop), [AM_LEX_PAST] = LEX_N(lex_past),
    [AM_LEX_ADVERB] = LEX_N(lex_adverb), [AM_LEX_MODAL] = LEX_N(lex_modal),
    [AM_LEX_NEGATION] = LEX_N(lex_negation)};

static int cmp_word(const char *w, size_t n, const char *x)
{
    size_t xn = strlen(x);
    int c = memcmp(w, x, n < xn ? n : xn);
    if (c)
        return c;
    return n < xn ? -1 : n > xn ? 1 : 0;
}

bool am_lex_has(enum am_lex which, const char *w, size_t n)
{
    const char *const *l = lexicons[which];
    if (which == AM_LEX_NEGATION) {   /* short and unsorted: a linear scan */
        for (size_t i = 0; l[i]; i++)
            if (cmp_word(w, n, l[i]) == 0)
                return true;
        return false;
    }
    size_t lo = 0, hi = lexicon_sizes[which];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = cmp_word(w, n, l[mid]);
        if (c == 0)
            return true;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
}

int am_lex_selfcheck(void)
{
    for (int k = 0; k < AM_LEX_COUNT_; k++) {
        const char *const *l = lexicons[k];
        if (k == AM_LEX_NEGATION)
            continue;
        for (size_t i = 1; l[i]; i++)
            if (strcmp(l[i - 1], l[i]) >= 0) {
                fprintf(stderr, "lexicon %d: \"%s\" >= \"%s\"\n", k, l[i - 1], l[i]);
                return -1;
            }
    }
    return 0;
}

/* ---- stems, hashes, token sets ----------------------------------------------------------- */

static bool vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

size_t am_stem(const char *w, size_t n, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, w, n);
    out[n] = '\0';
    if (n > 2 && out[n - 2] == '\'' && out[n - 1] == 's')
        n -= 2;   /* possessive */
    bool plain = true;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)out[i]))
            plain = false;   /* identifiers, numbers and non-ASCII words stay whole */
    if (plain) {
        if (n > 4 && strncmp(out + n - 3, "ies", 3) == 0) {
            n -= 2;
            out[n - 1] = 'y';
        } else if (n > 4 && strncmp(out + n - 4, "sses", 4) == 0) {
            n -= 2;
        } else if (n > 3 && out[n - 1] == 's' && out[n - 2] != 's' && out[n - 2] != 'u' &&
                   out[n - 2] != 'i') {
            n -= 1;
        }
        if (n > 5 && strncmp(out + n - 3, "ing", 3) == 0) {
            n -= 3;
        } else if (n > 4 && strncmp(out + n - 2, "ed", 2) == 0 && out[n - 3] != 'e') {
            n -= 2;
        }
        /* swimming -> swimm -> swim; stopped -> stopp -> stop */
        if (n > 3 && out[n - 1] == out[n - 2] && !vowel(out[n - 1]) && out[n - 1] != 'l' &&
            out[n - 1] != 's' && out[n - 1] != 'z')
            n -= 1;
        if (n > 3 && out[n - 1] == 'e' && !vowel(out[n - 2]))
            n -= 1;   /* "hike"/"hiking" both -> "hik" */
    }
    out[n] = '\0';
    return n;
}

uint64_t am_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* 2023-05-07, 2023-05, or a year 1900..2099 */
static bool looks_like_date(const char *w, size_t n)
{
    if (n < 4 || !isdigit((unsigned char)w[0]) || !isdigit((unsigned char)w[1]) ||
        !isdigit((unsigned char)w[2]) || !isdigit((unsigned char)w[3]))
        return false;
    if (n == 4)
        return (w[0] == '1' && w[1] == '9') || (w[0] == '2' && w[1] == '0');
    return w[4] == '-' && (n == 7 || n == 10);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void am_tokset_build(const char *s, size_t len, struct am_tokset *ts)
{
    struct {
        uint64_t h;
        unsigned char f;
    } tmp[AM_TOKSET_MAX];
    size_t n = 0;

    ts->n = 0;
    ts->negations = 0;
    ts->subject = 0;
    size_t i = 0;
    while (i < len && n < AM_TOKSET_MAX) {
        unsigned char c = (unsigned char)s[i];
        if (!wordstart(c)) {
            i += c >= 0x80 ? u8len(c) : 1;
            continue;
        }
        size_t e = scan_word(s, len, i);
        if (e == i)
            e = i + 1;
        char w[64], st[64];
        size_t wn = e - i < sizeof w - 1 ? e - i : sizeof w - 1;
        for (size_t k = 0; k < wn; k++)
            w[k] = (char)tolower((unsigned char)s[i + k]);
        w[wn] = '\0';
        unsigned fl = word_flags(s + i, w, wn);
        if (e - i >= sizeof w - 1)
            fl |= AM_TF_IDENT;   /* long tokens (ARNs) are identifiers; hash them whole */
        if (am_lex_has(AM_LEX_NEGATION, w, wn) || (wn > 3 && strcmp(w + wn - 3, "n't") == 0))
            ts->negations++;
        if (!(fl & AM_TF_STOP)) {
            uint64_t h;
            if (e - i >= sizeof w - 1) {
                h = am_hash(s + i, e - i);
            } else {
                size_t sn = am_stem(w, wn, st, sizeof st);
                h = am_hash(st, sn);
            }
            tmp[n].h = h;
            if ((fl & AM_TF_IDENT) && !ts->subject)
                ts->subject = h | 1;      /* never 0 */
            tmp[n].f = (fl & (AM_TF_NUM | AM_TF_IDENT)) ? AM_TS_VALUE : 0;
            if ((fl & AM_TF_NUM) && looks_like_date(w, wn))
                tmp[n].f = AM_TS_DATE;
            n++;
        }
        i = e;
    }
    for (size_t k = 0; k < n; k++)
        ts->h[k] = tmp[k].h;
    qsort(ts->h, n, sizeof ts->h[0], cmp_u64);
    size_t u = 0;
    for (size_t k = 0; k < n; k++)
        if (u == 0 || ts->h[u - 1] != ts->h[k])
            ts->h[u++] = ts->h[k];
    ts->n = u;
    for (size_t k = 0; k < u; k++) {
        ts->f[k] = 0;
        for (size_t m = 0; m < n; m++)
            if (tmp[m].h == ts->h[k])
                ts->f[k] |= tmp[m].f;
    }
}

size_t am_tokset_common(const struct am_tokset *a, const struct am_tokset *b)
{
    size_t i = 0, j = 0, c = 0;
    while (i < a->n && j < b->n) {
        if (a->h[i] == b->h[j]) {
            c++;
            i++;
            j++;
        } else if (a->h[i] < b->h[j]) {
            i++;
        } else {
            j++;
        }
    }
    return c;
}
