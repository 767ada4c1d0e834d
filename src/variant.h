/*
 * variant.h - a student's own numbers for a lesson (graded homework).
 *
 * A lesson says which givens vary and how, one `vary` line each:
 *
 *     vary w_*,*  uniform -1 1 step 0.1     # every weight on a 0.1 grid in [-1, 1]
 *     vary x_1    choice 0.2 0.4 0.6        # one of these
 *     vary y_*    choice 0 1
 *     vary rate   choice 0.1 0.5 1
 *     vary-limit  4                         # |in_j| <= 4 in every variant
 *
 * Patterns are globs over the canonical names of the givens (w_i,j or a
 * weight's alias, x_k, y_k) or the word `rate`. A variant is drawn from a
 * 40-bit seed; the seed follows from a keyed hash of (assignment id, student
 * id), so a student's variant can be regenerated at grading time and for a
 * printed exam. A draw is kept only when it is teachable: no net input
 * beyond the limit (default 4 when a layer saturates: logistic, tanh,
 * arctan), no net input on an activation's kink, no value of the trace on a
 * hand-rounding tie. Otherwise the next draw of the same seed is tried, so
 * the variant is still a function of the seed alone.
 *
 * A variant has a code, 8 characters of base 32 in two groups ("K7Q2-M9XA"),
 * which is the seed itself: sheets carry it in their header.
 *
 * Ownership: variant_apply changes the lesson it is given (its weights,
 * examples and rate) and owns nothing.
 */
#ifndef NNTRACE_VARIANT_H
#define NNTRACE_VARIANT_H

#include <stddef.h>
#include <stdint.h>

#include "lesson.h"

#define VARIANT_TRIES     1000      /* draws tried before a lesson is declared unsatisfiable */
#define VARIANT_CODE_SIZE 10        /* "XXXX-XXXX" and its NUL */
#define VARIANT_SEED_MASK ((UINT64_C(1) << 40) - 1)

/* Parse the arguments of a `vary` line (tokens after the key) into *v.
 * Returns 0, or -1 with a message (no file or line) in err. */
int variant_parse_vary(lesson_vary *v, char **tok, int ntok, char *err, size_t errsize);

/* The seed of (assignment, student): a keyed hash, 40 bits. Either may be
 * "" (no assignment id: the lesson's title stands in). */
uint64_t variant_seed(const lesson *l, const char *assignment, const char *student);

/* The code of a seed, and back: 0, or -1 for text that is not a code. */
void variant_code(uint64_t seed, char code[VARIANT_CODE_SIZE]);
int variant_code_parse(const char *text, uint64_t *seed);

/* Every `vary` line of l draws a given (a weight, an input, a target or the
 * rate the lesson uses) that no earlier line draws. Returns 0, or -1 with
 * the first line that draws nothing and why (no file or line) in err. */
int variant_check_lines(const lesson *l, int *line, char *err, size_t errsize);

/* Draw the variant of seed into l (weights, examples, rate), retrying
 * until it is teachable. Returns 0, or -1 with a message in err (no `vary`
 * lines match anything, no teachable draw, out of memory). */
int variant_apply(lesson *l, uint64_t seed, char *err, size_t errsize);

#endif
