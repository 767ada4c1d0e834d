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
 * The search is bounded in work, never in time (so a seed gives the same
 * variant on every machine): a draw is run only until its first value that
 * is not teachable (engine_opts.watch), all draws together may do at most
 * the work of four runs at the engine's limit (VARIANT_MAX_WORK), and at
 * most VARIANT_TRIES draws are tried.
 *
 * A variant has a code: the seed itself, 8 characters of base 32 in two
 * groups, and a check character ("K7Q2-M9XA-Z"), so that a typo (one
 * character changed, two neighbours swapped) or an invented code is
 * refused rather than graded against some other numbers. Sheets carry it
 * in their header.
 *
 * Ownership: variant_apply changes the lesson it is given (its weights,
 * examples and rate) and owns nothing.
 */
#ifndef NNTRACE_VARIANT_H
#define NNTRACE_VARIANT_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "lesson.h"

#define VARIANT_TRIES     1000      /* draws tried before a lesson is declared unsatisfiable */
/* What all draws of one search may spend together: the operations of the
 * steps they ran (steps x batch x (arcs + neurons), engine_check_work's
 * measure) plus the quantities of their traces, one each. Four runs at the
 * engine's work limit: room for every draw of a 2000-step lesson such as
 * xor-mlp (1000 draws of 9.6e4 operations), a few seconds of CPU at most. */
#define VARIANT_MAX_WORK   (4 * ENGINE_MAX_WORK)
#define VARIANT_CODE_SIZE 12        /* "XXXX-XXXX-C" and its NUL */
#define VARIANT_SEED_MASK ((UINT64_C(1) << 40) - 1)

/* Parse the arguments of a `vary` line (tokens after the key) into *v.
 * Returns 0, or -1 with a message (no file or line) in err. */
int variant_parse_vary(lesson_vary *v, char **tok, int ntok, char *err, size_t errsize);

/* The seed of (assignment, student): a keyed hash, 40 bits. Either may be
 * "" (no assignment id: the lesson's title stands in). */
uint64_t variant_seed(const lesson *l, const char *assignment, const char *student);

/* The code of a seed, and back. variant_code_parse takes letters in
 * either case, the dashes optional; it returns 0 and *seed, or one of
 * (NO_CHECK and MISMATCH with *seed as the 8 characters say): */
enum {
    VARIANT_CODE_BAD = -1,       /* not the shape of a code */
    VARIANT_CODE_NO_CHECK = -2,  /* 8 characters: the check character is missing */
    VARIANT_CODE_MISMATCH = -3,  /* the check character does not match: a typo */
};
void variant_code(uint64_t seed, char code[VARIANT_CODE_SIZE]);
int variant_code_parse(const char *text, uint64_t *seed);
/* What was wrong, after "'CODE' ": a static sentence for a status above. */
const char *variant_code_strerror(int rc);

/* Every `vary` line of l draws a given (a weight, an input, a target or the
 * rate the lesson uses) that no earlier line draws. Returns 0, or -1 with
 * the first line that draws nothing and why (no file or line) in err. */
int variant_check_lines(const lesson *l, int *line, char *err, size_t errsize);

/* Does a `vary` line of l draw the given q of one of its traces (a weight
 * w^(0), a tie, an input x_k or a target y_k of an example)? And the rate
 * (only when the lesson uses it)? 1 or 0. */
int variant_draws(const lesson *l, const quantity *q);
int variant_draws_rate(const lesson *l);

/* What variant_apply reports; variant_hint says what to change. */
typedef enum {
    VARIANT_OK = 0,
    VARIANT_ERR_NO_VARY,       /* no `vary` lines, or they draw nothing */
    VARIANT_ERR_UNTEACHABLE,   /* VARIANT_TRIES draws, none teachable */
    VARIANT_ERR_BUDGET,        /* the draws spent VARIANT_MAX_WORK first */
    VARIANT_ERR_ENGINE,        /* the engine failed (out of memory, a bad name, too much work) */
    VARIANT_STATUS_COUNT
} variant_status;

/* The HINT for a status: a static sentence, "" when the message says it all. */
const char *variant_hint(variant_status s);

/* Draw the variant of seed into l (weights, examples, rate), retrying
 * until it is teachable; the lesson's `expect` lines are dropped (the
 * lecture's printed values are not a variant's). Returns VARIANT_OK, or a
 * status with "path:line: what was wrong" in err (the line of the first
 * `vary` line; the engine's own message for VARIANT_ERR_ENGINE). */
variant_status variant_apply(lesson *l, uint64_t seed, char *err, size_t errsize);

/* variant_apply with a test hook: the search may spend max_work in place
 * of VARIANT_MAX_WORK. */
variant_status variant_apply_budget(lesson *l, uint64_t seed, double max_work, char *err, size_t errsize);

#endif
