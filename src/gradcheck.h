/*
 * gradcheck.h - backprop's gradient against finite differences, with an
 * error floor that follows from the differences' own noise.
 *
 * For a parameter p (one arc, or a group of tied arcs moved together) with
 * step h = 1e-4 max(1, |w_p|) the check takes the central differences
 *   D(h) = (J(w + h) - J(w - h)) / 2h,   D(h/2)
 * and their Richardson extrapolation num = (4 D(h/2) - D(h)) / 3, whose
 * truncation error is O(h^4). Backprop's b agrees when
 *   |num - b| <= tol max(|num|, |b|) + floor,
 *   floor = |D(h) - D(h/2)| + 3 delta / h,
 * where |D(h) - D(h/2)| estimates what is left of the truncation (and shows
 * the noise of the evaluations too), and delta = 64 eps (max |J| + sum_a
 * |w_a dJ/dw_a|) bounds the round-off of one evaluation of J (its terms and
 * the weighted sums feeding it, each with a relative error of a few eps);
 * Richardson's num carries at most 3 delta / h of it.
 *
 * A kink (ReLU or step at 0) inside [w - h, w + h] makes J not smooth there;
 * the second differences c(h) = (J(w+h) - 2J(w) + J(w-h)) / h satisfy
 * c(h) = 2 c(h/2) + O(h^3) for a smooth J, so a mismatch larger than their
 * noise marks the parameter "not smooth within h": reported, never a
 * failure, because there finite differences cannot tell right from wrong.
 *
 * Bounded work: one evaluation of J costs about (arcs + neurons) x batch
 * operations; a parameter costs 4 of them. When checking every parameter
 * would exceed GRADCHECK_MAX_WORK, an evenly spaced subset is checked one by
 * one and every parameter together along one seeded random direction d
 * (num against b . d), so the work stays linear in the arcs.
 */
#ifndef NNTRACE_GRADCHECK_H
#define NNTRACE_GRADCHECK_H

#include <stddef.h>

#include "engine.h"
#include "lesson.h"

#define GRADCHECK_MAX_WORK 4.0e8   /* operations of J evaluations, about 10 s here */

/* GC_GUARD: backprop and the differences disagree where the loss took a
 * log argument below EVAL_LOG_GUARD as the guard (a saturated logistic or
 * softmax output): J is flat there, backprop's Delta = a - y is not, so
 * the differences cannot judge it (not counted as wrong). */
enum { GC_OK, GC_FAIL, GC_ROUGH, GC_GUARD, GC_NVERDICTS };

typedef struct {
    int    arc;         /* the parameter's first arc (lesson order) */
    double backprop, numeric, diff, floor;
    int    verdict;     /* GC_* */
} gradcheck_row;

typedef struct {
    double tol;                 /* relative tolerance beyond the floor (default 1e-6) */
    const act_fn *dact;         /* test hook: g' of layer ly taken from dact[ly]; NULL = the lesson's */
    double max_work;            /* 0 = GRADCHECK_MAX_WORK */
} gradcheck_opts;

typedef struct {
    gradcheck_row *rows;        /* the parameters checked one by one */
    size_t n_rows;
    size_t n_params;            /* all parameters */
    gradcheck_row dir;          /* every parameter along one random direction (arc -1) */
    int    n_fail, n_rough, n_guard;
    double biggest;             /* max |b| over all parameters: 0 = the check proves nothing */
} gradcheck_result;

/* Why a lesson has nothing to check ("the examples have no targets ..."),
 * or NULL when it has. */
const char *gradcheck_nothing(const lesson *l);

/* Check l's gradient at its initial weights on its first batch, exact
 * arithmetic. Returns ENG_OK and fills *r (free with gradcheck_result_free),
 * or what failed (engine_strerror says it). */
engine_status gradcheck_run(const lesson *l, const gradcheck_opts *o, gradcheck_result *r);
void gradcheck_result_free(gradcheck_result *r);

#endif
