/*
 * text.c - the retrieval tokenizer and the FTS5 query builder (see text.h).
 *
 * The scanner reads UTF-8 one code point at a time and sorts each into a word character
 * (kept, folded), an ignorable one (combining marks, variation selectors: skipped inside a
 * word, so a decomposed "e\u0301" reads as "e") or a separator. A word is a run of word
 * characters; a group is a run of words joined by single connector characters
 * (". - _ / : @ +"). Each word of a group is emitted as it ends and the group, when it has
 * two words or more, right after its last word. Everything works on fixed buffers: a word
 * longer than the buffer is cut (folded output) or skipped (raw output, where a cut word
 * could never match the FTS index).
 */
#include "search/text.h"

#include "agentmem.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { C_SEP, C_WORD, C_SKIP };

/* ---- UTF-8 and character classes ----------------------------------------------------- */

/* Decode one code point; returns the bytes used (1 on an invalid byte, with *cp = 0xFFFD
 * which classifies as a separator). p points at a non-NUL byte. */
static size_t utf8_next(const unsigned char *p, uint32_t *cp)
{
    uint32_t c = p[0];
    size_t n, i;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        c &= 0x07;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {   /* also stops at the NUL terminator */
            *cp = 0xFFFD;
            return 1;
        }
        c = (c << 6) | (p[i] & 0x3F);
    }
    /* overlong forms, surrogates and code points past U+10FFFF */
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = c;
    return n;
}

static size_t utf8_put(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* U+00C0..U+00FF; '*' marks the two signs (multiplication, division), which separate. */
static const char latin1_fold[] = "aaaaaaAceeeeiiiidnooooo*ouuuuyTS"
                                  "aaaaaaAceeeeiiiidnooooo*ouuuuyTy";
/* U+0100..U+017F; I = ij, O = oe. */
static const char latin_a_fold[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii"
                                   "IIjjkkkllllllllllnnnnnnnnnooooooOOrrrrrrsssssssstttttt"
                                   "uuuuuuuuuuuuwwyyyzzzzzzs";
_Static_assert(sizeof latin1_fold == 65, "latin1_fold covers U+00C0..U+00FF");
_Static_assert(sizeof latin_a_fold == 129, "latin_a_fold covers U+0100..U+017F");

/* Class of a code point; for C_WORD also its folded form in fold[] (1..4 bytes). */
static int classify(uint32_t c, char fold[4], size_t *fold_len)
{
    char f = 0;

    if (c < 0x80) {
        if (c >= 'A' && c <= 'Z')
            f = (char)(c + 32);
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            f = (char)c;
        else
            return C_SEP;
    } else if (c < 0xC0) {
        return C_SEP;                          /* C1 controls, Latin-1 punctuation, signs */
    } else if (c < 0x100) {
        f = latin1_fold[c - 0xC0];
    } else if (c < 0x180) {
        f = latin_a_fold[c - 0x100];
    } else if (c >= 0x2B0 && c < 0x300) {
        return C_SEP;                          /* spacing modifiers (U+02BC apostrophe) */
    } else if (c >= 0x300 && c < 0x370) {
        return C_SKIP;                         /* combining diacritics */
    } else if (c == 0x37E || c == 0x387) {
        return C_SEP;                          /* Greek question mark, ano teleia */
    } else if (c >= 0x483 && c <= 0x489) {
        return C_SKIP;                         /* Cyrillic combining marks */
    } else if ((c >= 0x2000 && c < 0x2C00) || (c >= 0x2E00 && c < 0x2E80) ||
               (c >= 0x3000 && c < 0x3040) || (c >= 0xE000 && c < 0xF900) ||
               (c >= 0xFE10 && c < 0xFE20) || (c >= 0xFE30 && c < 0xFE70) || c == 0xFEFF ||
               (c >= 0xFF00 && c < 0xFF10) || (c >= 0xFF1A && c < 0xFF21) ||
               (c >= 0xFF3B && c < 0xFF41) || (c >= 0xFF5B && c < 0xFF66) ||
               (c >= 0xFFF0 && c < 0x10000)) {
        return C_SEP;            /* punctuation, symbols, arrows, CJK punctuation, private */
    } else if ((c >= 0x1F000 && c < 0x1FB00) || c >= 0xE0000) {
        return C_SEP;                          /* emoji, pictographs, tags */
    } else if ((c >= 0xFE00 && c < 0xFE10) || (c >= 0xFE20 && c < 0xFE30)) {
        return C_SKIP;                         /* variation selectors, half marks */
    } else {
        /* other letters pass through, with Greek, Cyrillic and fullwidth case folded */
        if ((c >= 0x391 && c <= 0x3A9) || (c >= 0x410 && c <= 0x42F))
            c += 0x20;
        else if (c >= 0x400 && c <= 0x40F)
            c += 0x50;
        else if (c >= 0xFF21 && c <= 0xFF3A)
            c = c - 0xFF21 + 'a';
        else if (c >= 0xFF41 && c <= 0xFF5A)
            c = c - 0xFF41 + 'a';
        else if (c >= 0xFF10 && c <= 0xFF19)
            c = c - 0xFF10 + '0';
        *fold_len = utf8_put(c, fold);
        return C_WORD;
    }
    if (f == '*')
        return C_SEP;
    switch (f) {
    case 'A': memcpy(fold, "ae", 2); *fold_len = 2; break;
    case 'T': memcpy(fold, "th", 2); *fold_len = 2; break;
    case 'S': memcpy(fold, "ss", 2); *fold_len = 2; break;
    case 'I': memcpy(fold, "ij", 2); *fold_len = 2; break;
    case 'O': memcpy(fold, "oe", 2); *fold_len = 2; break;
    default: fold[0] = f; *fold_len = 1; break;
    }
    return C_WORD;
}

static int class_at(const unsigned char *p)
{
    uint32_t c;
    char fold[4];
    size_t fl;

    if (!*p)
        return C_SEP;
    utf8_next(p, &c);
    return classify(c, fold, &fl);
}

static bool is_connector(unsigned char c)
{
    return c == '.' || c == '-' || c == '_' || c == '/' || c == ':' || c == '@' || c == '+';
}

/* ---- stop words and stemming ---------------------------------------------------------- */

static const char *const stop_words[] = {   /* sorted for bsearch */
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and",
    "any", "are", "aren", "as", "at", "be", "because", "been", "before", "being", "below",
    "between", "both", "but", "by", "can", "could", "couldn", "did", "didn", "do", "does",
    "doesn", "doing", "don", "down", "during", "each", "few", "for", "from", "further", "had",
    "hadn", "has", "hasn", "have", "haven", "having", "he", "her", "here", "hers", "herself",
    "him", "himself", "his", "how", "i", "if", "in", "into", "is", "isn", "it", "its",
    "itself", "just", "ll", "me", "more", "most", "my", "myself", "no", "nor", "not", "now",
    "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out",
    "over", "own", "re", "same", "she", "should", "shouldn", "so", "some", "such", "than",
    "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they",
    "this", "those", "through", "to", "too", "under", "until", "up", "us", "ve", "very",
    "was", "wasn", "we", "were", "weren", "what", "when", "where", "which", "while", "who",
    "whom", "why", "will", "with", "would", "wouldn", "you", "your", "yours", "yourself",
    "yourselves",
};

struct word_key {
    const char *w;
    size_t len;
};

static int cmp_stop(const void *key, const void *elem)
{
    const struct word_key *k = key;
    const char *s = *(const char *const *)elem;
    size_t sl = strlen(s);
    int c = memcmp(k->w, s, k->len < sl ? k->len : sl);
    if (c)
        return c;
    return k->len < sl ? -1 : k->len > sl;
}

int am_text_is_stop(const char *w, size_t len)
{
    struct word_key k = {w, len};
    if (len == 0 || len > 10)
        return 0;
    return bsearch(&k, stop_words, sizeof stop_words / sizeof stop_words[0],
                   sizeof stop_words[0], cmp_stop) != NULL;
}

/* Porter's consonant: not a vowel, and y only after a vowel (or first). */
static bool cons(const char *w, size_t i)
{
    switch (w[i]) {
    case 'a': case 'e': case 'i': case 'o': case 'u':
        return false;
    case 'y':
        return i == 0 || !cons(w, i - 1);
    default:
        return true;
    }
}

/* Porter's m: the number of vowel-consonant sequences in w[0..len). */
static int measure(const char *w, size_t len)
{
    int m = 0;
    size_t i = 0;
    while (i < len && cons(w, i))
        i++;
    while (i < len) {
        while (i < len && !cons(w, i))
            i++;
        if (i >= len)
            break;
        m++;
        while (i < len && cons(w, i))
            i++;
    }
    return m;
}

static bool has_vowel(const char *w, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!cons(w, i))
            return true;
    return false;
}

/* consonant-vowel-consonant at the end, the last not w, x or y (hop, hik) */
static bool ends_cvc(const char *w, size_t len)
{
    if (len < 3 || !cons(w, len - 1) || cons(w, len - 2) || !cons(w, len - 3))
        return false;
    return w[len - 1] != 'w' && w[len - 1] != 'x' && w[len - 1] != 'y';
}

static bool ends(const char *w, size_t len, const char *suf)
{
    size_t sl = strlen(suf);
    return len >= sl && memcmp(w + len - sl, suf, sl) == 0;
}

size_t am_text_stem(char *w, size_t len)
{
    size_t i;

    if (len < 4)
        return len;
    for (i = 0; i < len; i++)
        if (w[i] < 'a' || w[i] > 'z')
            return len;

    /* step 1a: plurals */
    if (ends(w, len, "sses")) {
        len -= 2;
    } else if (ends(w, len, "ies")) {
        if (len > 4) {
            len -= 2;
            w[len - 1] = 'y';                     /* parties -> party */
        } else {
            len -= 1;                             /* ties -> tie */
        }
    } else if (ends(w, len, "xes") || ends(w, len, "ches") || ends(w, len, "shes")) {
        len -= 2;                                 /* boxes, beaches, dishes */
    } else if (ends(w, len, "ss") || ends(w, len, "us") || ends(w, len, "is")) {
        /* class, bus, analysis: not plurals */
    } else if (w[len - 1] == 's' && has_vowel(w, len - 1)) {
        len -= 1;
    }

    /* step 1b: -eed, -ed, -ing */
    if (ends(w, len, "eed")) {
        if (measure(w, len - 3) > 0)
            len -= 1;                             /* agreed -> agree */
        return len;
    }
    size_t cut = 0;
    if (ends(w, len, "ed") && has_vowel(w, len - 2))
        cut = 2;
    else if (ends(w, len, "ing") && has_vowel(w, len - 3))
        cut = 3;
    if (!cut)
        return len;
    len -= cut;
    if (ends(w, len, "at") || ends(w, len, "bl") || ends(w, len, "iz")) {
        w[len++] = 'e';                           /* created -> create */
    } else if (len >= 2 && w[len - 1] == w[len - 2] && cons(w, len - 1) &&
               w[len - 1] != 'l' && w[len - 1] != 's' && w[len - 1] != 'z') {
        len -= 1;                                 /* running -> run */
    } else if (measure(w, len) == 1 && ends_cvc(w, len)) {
        w[len++] = 'e';                           /* hiking -> hike */
    }
    return len;
}

/* ---- the scanner ----------------------------------------------------------------------- */

#define WORD_CAP 128        /* folded bytes kept per word; more is cut */

struct scan {
    unsigned flags;
    am_text_cb *cb;
    void *arg;
    /* the current word */
    char fold[WORD_CAP + 4];
    size_t fold_len;
    bool cut;                  /* the word was longer than WORD_CAP */
    bool ascii_alpha;          /* folded form is all a..z: may be stemmed */
    const unsigned char *start, *end;
    /* the current group */
    char group[AM_TEXT_MAX_TOKEN + 1];
    size_t group_len;
    bool group_long;
    int n_parts;
    const unsigned char *group_start;
};

/* Read one word starting at p (a word character); returns the position after it. */
static const unsigned char *read_word(struct scan *s, const unsigned char *p)
{
    s->fold_len = 0;
    s->cut = false;
    s->ascii_alpha = true;
    s->start = p;
    while (*p) {
        uint32_t c;
        char f[4];
        size_t fl = 0;
        size_t n = utf8_next(p, &c);
        int cls = classify(c, f, &fl);
        if (cls == C_SEP)
            break;
        p += n;
        if (cls == C_SKIP)
            continue;
        for (size_t i = 0; i < fl; i++)
            if (f[i] < 'a' || f[i] > 'z')
                s->ascii_alpha = false;
        if (s->fold_len + fl <= WORD_CAP) {
            memcpy(s->fold + s->fold_len, f, fl);
            s->fold_len += fl;
        } else {
            s->cut = true;
        }
    }
    s->end = p;
    return p;
}

/* After a word: skip an English clitic ('s 't 're 've 'll 'd 'm, ASCII or U+2019
 * apostrophe) that ends the word; returns the new position, or p if there is none. */
static const unsigned char *skip_clitic(const unsigned char *p)
{
    const unsigned char *q;
    size_t n = 0;
    char l[3];

    if (p[0] == '\'')
        q = p + 1;
    else if (p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0x99)
        q = p + 3;
    else
        return p;
    while (n < 3 && ((q[n] >= 'a' && q[n] <= 'z') || (q[n] >= 'A' && q[n] <= 'Z'))) {
        l[n] = (char)(q[n] | 0x20);
        n++;
    }
    if (n == 0 || n == 3 || class_at(q + n) == C_WORD)
        return p;
    if (n == 1 && (l[0] == 's' || l[0] == 't' || l[0] == 'd' || l[0] == 'm'))
        return q + n;
    if (n == 2 && ((l[0] == 'r' && l[1] == 'e') || (l[0] == 'v' && l[1] == 'e') ||
                   (l[0] == 'l' && l[1] == 'l')))
        return q + n;
    return p;
}

/* Emit the current word as one part of the group. */
static void emit_word(struct scan *s, bool in_group)
{
    char tok[AM_TEXT_MAX_TOKEN + 1];
    size_t len;

    if (s->fold_len == 0)
        return;
    if ((s->flags & AM_TEXT_STOP) && !in_group) {
        if (s->fold_len == 1 && s->fold[0] >= 'a' && s->fold[0] <= 'z')
            return;
        if (am_text_is_stop(s->fold, s->fold_len))
            return;
    }
    if (s->flags & AM_TEXT_RAW) {
        len = (size_t)(s->end - s->start);
        if (len > AM_TEXT_MAX_TOKEN)
            return;
        for (size_t i = 0; i < len; i++) {
            char c = (char)s->start[i];
            tok[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
    } else {
        len = s->fold_len < AM_TEXT_MAX_TOKEN ? s->fold_len : AM_TEXT_MAX_TOKEN;
        /* never cut inside a UTF-8 sequence */
        while (len > 0 && len < s->fold_len && ((unsigned char)s->fold[len] & 0xC0) == 0x80)
            len--;
        memcpy(tok, s->fold, len);
        if ((s->flags & AM_TEXT_STEM) && s->ascii_alpha && !s->cut)
            len = am_text_stem(tok, len);
    }
    tok[len] = '\0';
    s->cb(tok, len, s->arg);
}

static void group_add(struct scan *s, const unsigned char *connector)
{
    size_t need = s->fold_len + (connector ? 1 : 0);

    if (s->n_parts == 0)
        s->group_start = s->start;
    s->n_parts++;
    if (s->cut || s->group_len + need > AM_TEXT_MAX_TOKEN) {
        s->group_long = true;
        return;
    }
    if (connector)
        s->group[s->group_len++] = (char)*connector;
    memcpy(s->group + s->group_len, s->fold, s->fold_len);
    s->group_len += s->fold_len;
}

static void group_end(struct scan *s)
{
    char tok[AM_TEXT_MAX_TOKEN + 1];
    size_t len;

    if (s->n_parts >= 2 && (s->flags & AM_TEXT_COMPOUND) && !s->group_long) {
        if (s->flags & AM_TEXT_RAW) {
            len = (size_t)(s->end - s->group_start);
            if (len <= AM_TEXT_MAX_TOKEN) {
                for (size_t i = 0; i < len; i++) {
                    char c = (char)s->group_start[i];
                    tok[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
                }
                tok[len] = '\0';
                s->cb(tok, len, s->arg);
            }
        } else {
            memcpy(tok, s->group, s->group_len);
            tok[s->group_len] = '\0';
            s->cb(tok, s->group_len, s->arg);
        }
    }
    s->n_parts = 0;
    s->group_len = 0;
    s->group_long = false;
}

int am_text_tokenize_ex(const char *text, unsigned flags, am_text_cb *cb, void *arg)
{
    struct scan s;
    const unsigned char *p = (const unsigned char *)text;
    const unsigned char *connector = NULL;

    if (!text || !cb)
        return AM_EINVAL;
    memset(&s, 0, sizeof s);
    s.flags = flags;
    s.cb = cb;
    s.arg = arg;
    while (*p) {
        uint32_t c;
        char f[4];
        size_t fl;
        size_t n = utf8_next(p, &c);
        if (classify(c, f, &fl) != C_WORD) {
            p += n;             /* a separator, or a mark with no word to attach to */
            continue;
        }
        p = read_word(&s, p);
        const unsigned char *after = skip_clitic(p);
        bool clitic = after != p;
        p = after;
        /* is this word joined to the next one? */
        bool joined = !clitic && is_connector(*p) && class_at(p + 1) == C_WORD;
        bool in_group = joined || s.n_parts > 0;
        group_add(&s, s.n_parts ? connector : NULL);
        emit_word(&s, in_group);
        if (joined) {
            connector = p;
            p++;
        } else {
            group_end(&s);
            connector = NULL;
        }
    }
    return 0;
}

int am_text_tokenize(const char *text, am_text_cb *cb, void *arg)
{
    return am_text_tokenize_ex(text, AM_TEXT_DEFAULT, cb, arg);
}

/* ---- FTS5 expressions ------------------------------------------------------------------ */

struct fts_terms {
    char term[AM_TEXT_FTS_MAX_TERMS][AM_TEXT_MAX_TOKEN + 1];
    size_t len[AM_TEXT_FTS_MAX_TERMS];
    int n;
};

static void collect_term(const char *tok, size_t len, void *arg)
{
    struct fts_terms *t = arg;

    if (t->n >= AM_TEXT_FTS_MAX_TERMS)
        return;
    for (int i = 0; i < t->n; i++)
        if (t->len[i] == len && memcmp(t->term[i], tok, len) == 0)
            return;
    memcpy(t->term[t->n], tok, len + 1);
    t->len[t->n] = len;
    t->n++;
}

int am_text_fts_query(const char *query, char **out)
{
    struct fts_terms *t = NULL;
    char *expr = NULL;
    size_t cap = 1, o = 0;
    int rc = 0;

    if (out)
        *out = NULL;
    if (!query || !out)
        return AM_EINVAL;
    t = calloc(1, sizeof *t);
    if (!t)
        return AM_ENOMEM;
    am_text_tokenize_ex(query, AM_TEXT_RAW | AM_TEXT_STOP | AM_TEXT_COMPOUND, collect_term, t);
    if (t->n == 0)      /* only stop words ("who is she?"): search them rather than nothing */
        am_text_tokenize_ex(query, AM_TEXT_RAW | AM_TEXT_COMPOUND, collect_term, t);
    if (t->n == 0)
        goto out;
    for (int i = 0; i < t->n; i++)
        cap += 4 + 2 + 2 * t->len[i];                 /* " OR ", quotes, doubled quotes */
    expr = malloc(cap);
    if (!expr) {
        rc = AM_ENOMEM;
        goto out;
    }
    for (int i = 0; i < t->n; i++) {
        if (i) {
            memcpy(expr + o, " OR ", 4);
            o += 4;
        }
        expr[o++] = '"';
        for (size_t j = 0; j < t->len[i]; j++) {
            if (t->term[i][j] == '"')
                expr[o++] = '"';
            expr[o++] = t->term[i][j];
        }
        expr[o++] = '"';
    }
    expr[o] = '\0';
    *out = expr;
out:
    free(t);
    return rc;
}
