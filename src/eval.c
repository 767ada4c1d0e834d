/*
 * eval.c - the one evaluator (see eval.h for the operand layout): every
 * operation is computed through its row (ops.c), whose activations and
 * losses are the rows of act_table.c and loss_table.c. Also the
 * calculator's rounding.
 */
#include "eval.h"

#include <float.h>
#include <math.h>

/* ------------------------------------------------------------------------
 * Operations: each through its row (ops.c)
 * ---------------------------------------------------------------------- */

int op_arity_ok(op_kind op, size_t n)
{
    if ((unsigned)op >= OP_COUNT) return 0;
    const op_row *r = &OP_ROWS[op];
    if (n < (size_t)r->min || (r->max >= 0 && n > (size_t)r->max)) return 0;
    return (n - (size_t)r->skip) % (size_t)r->stride == 0;
}

double eval_apply(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    if (!op_arity_ok(s->op, n) || !OP_ROWS[s->op].eval) return NAN;   /* a constant has no formula */
    if ((s->op == OP_ACT || s->op == OP_DACT) && (unsigned)s->act.kind >= ACT_COUNT) return NAN;
    if ((s->op == OP_LOSS || s->op == OP_DELTA_OUT) && (unsigned)s->loss >= LOSS_COUNT) return NAN;
    return OP_ROWS[s->op].eval(s, x, n, notes);
}

/* ------------------------------------------------------------------------
 * Calculator rounding
 * ---------------------------------------------------------------------- */

double round_dp(double x, int d)
{
    if (d < 0 || !isfinite(x)) return x;
    double p = pow(10.0, d), s = x * p;
    if (!isfinite(s)) return x;
    double lo = floor(fabs(s)), frac = fabs(s) - lo;
    /* a tie within representation error counts as a tie: away from zero.
     * x*p carries a relative error of a few ulps, so the slack scales with
     * |s| in units of DBL_EPSILON (a fixed 1e-9 |s| would swallow the whole
     * fraction once |s| nears 5e8, i.e. 9 decimals). */
    _Static_assert(DBL_MANT_DIG - 1 - 6 == ROUND_DP_SLACK_LOG2, "the slack is 64 DBL_EPSILON");
    const double slack = ldexp(1.0, -ROUND_DP_SLACK_LOG2);
    /* ... but never more than ROUND_DP_WINDOW of a unit: from |s| = 2^45 on
     * (150 at 12 decimals) 64 DBL_EPSILON of |s| is half a unit or more, and
     * every value, 150 itself, would round up (150.000000000001) */
    double window = fmin(slack * fmax(1.0, fabs(s)), ROUND_DP_WINDOW);
    double r = (frac >= 0.5 - window) ? lo + 1 : lo;
    return copysign(r, x) / p;
}
