/*
 * text.h - the text side of retrieval: one tokenizer shared by the built-in embedder and the
 * lexical query builder, so that a query and a document are cut the same way.
 *
 * Tokens are lowercase; Latin-1 and Latin Extended-A letters are folded to ASCII (é -> e,
 * ß -> ss, œ -> oe), Greek and Cyrillic capitals are lowercased, other letters (CJK, ...)
 * pass through as UTF-8. Words are split on anything that is not a letter or digit; words
 * joined by one of . - _ / : @ + (ra3.4xlarge, us-east-2, 10:30) are emitted once whole and
 * once per part. English clitics ('s 't 're 've 'll 'd 'm, also with U+2019) are dropped.
 * A small English stop-word list and single letters are dropped (parts of joined words are
 * kept whole), and plain ASCII words get a light suffix stemmer (Porter steps 1a and 1b:
 * painting, painted, paints -> paint; hiking -> hike; parties -> party).
 *
 * Pure functions: no storage, no global state, safe from any thread.
 */
#ifndef AM_SEARCH_TEXT_H
#define AM_SEARCH_TEXT_H

#include <stddef.h>

/* Longest token handed to a callback, in bytes; longer words are cut to this length. */
#define AM_TEXT_MAX_TOKEN 64

/* Flags for am_text_tokenize_ex. */
#define AM_TEXT_STEM      0x1u  /* light suffix stemming of plain ASCII words */
#define AM_TEXT_STOP      0x2u  /* drop stop words and single letters */
#define AM_TEXT_COMPOUND  0x4u  /* also emit joined words (us-east-2) whole */
#define AM_TEXT_RAW       0x8u  /* emit the words as written, ASCII lowercased, unfolded
                                   (for FTS5, whose unicode61 tokenizer folds on its own);
                                   words over AM_TEXT_MAX_TOKEN bytes are skipped, not cut */
#define AM_TEXT_DEFAULT   (AM_TEXT_STEM | AM_TEXT_STOP | AM_TEXT_COMPOUND)

typedef void am_text_cb(const char *tok, size_t len, void *arg);

/**
 * Cut text (UTF-8, NUL-terminated; invalid bytes count as separators) into tokens with
 * AM_TEXT_DEFAULT and call cb once per token in text order; a joined word comes right after
 * its parts. tok is NUL-terminated, at most AM_TEXT_MAX_TOKEN bytes, and valid only during
 * the call. Allocates nothing.
 * @return 0, or AM_EINVAL when text or cb is NULL.
 */
int am_text_tokenize(const char *text, am_text_cb *cb, void *arg);

/* The same with explicit AM_TEXT_* flags. */
int am_text_tokenize_ex(const char *text, unsigned flags, am_text_cb *cb, void *arg);

/**
 * Stem one lowercase ASCII word in place (Porter steps 1a and 1b, with ies -> y).
 * Words that are not all a..z, or shorter than 4 bytes, are left alone.
 * @return the new length (never longer than len).
 */
size_t am_text_stem(char *w, size_t len);

/* true if the lowercase word is on the stop-word list. */
int am_text_is_stop(const char *w, size_t len);

/* At most this many terms go into an FTS expression (a bound on query cost). */
#define AM_TEXT_FTS_MAX_TERMS 32

/**
 * Turn free text into an SQLite FTS5 MATCH expression: the OR of double-quoted words
 * ("paint" OR "sunrise" OR "us-east-2"), ASCII lowercased and unstemmed (the FTS table's
 * porter tokenizer stems), stop words removed unless nothing else is left, duplicates
 * removed, at most AM_TEXT_FTS_MAX_TERMS terms. Joined words are given whole (FTS5 reads a
 * quoted "us-east-2" as the phrase us east 2) and by parts. Every term is quoted with inner
 * quotes doubled, so FTS5 operators in the input (AND, NEAR, *, ^, :, parentheses) are
 * plain words and the expression never raises a syntax error.
 * @param query  NUL-terminated UTF-8, read only.
 * @param out    on success the expression, freed by the caller with free(); NULL when the
 *               query holds no searchable word (an empty result, not an error) or on failure.
 * @return 0, AM_EINVAL (query or out NULL) or AM_ENOMEM.
 */
int am_text_fts_query(const char *query, char **out);

#endif
