/*
 * suggest.h - "did you mean": the nearest known words to a misspelt one.
 *
 * Distance is the optimal string alignment distance (Levenshtein plus the
 * swap of two neighbours, so "froward" is one edit from "forward"), with
 * letters compared case-insensitively. Every "did you mean" of nntrace goes
 * through suggest(), so they all judge nearness the same way.
 */
#ifndef NNTRACE_SUGGEST_H
#define NNTRACE_SUGGEST_H

#include <stddef.h>

/* Edits (insert, delete, substitute, swap neighbours) from a to b. */
size_t suggest_distance(const char *a, const char *b);

/* The candidates nearest to word, at most 3, joined as "a", "a or b" or
 * "a, b or c" into buf (always NUL-terminated). A candidate counts when it is
 * within 1 edit (words up to 4 characters), 2 (up to 8) or 3, or else, when
 * none is, when it begins with word (3 or more characters). A candidate equal
 * to word is never suggested. Returns how many were written (0: buf is ""). */
int suggest(const char *word, const char *const *cands, size_t n, char *buf, size_t size);

#endif
