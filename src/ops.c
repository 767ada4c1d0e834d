/*
 * ops.c - one row per operation (eval.h: op_row): its arity, how it is
 * evaluated and how it is written, side by side (micrograd keeps a value's
 * backward rule beside its forward rule; we keep a formula's text beside its
 * arithmetic). eval_apply (eval.c) and fr_render (formula.c) both read these
 * rows, so each formula exists once.
 *
 * Every render writes the syntax-independent structure through the
 * primitives of formula.h; where a syntax needs a different structure (the
 * spreadsheet guards a division with IF) the render says so explicitly.
 * Excel's unary minus binds tighter than '^' (=-2^2 is 4), so no form below
 * puts a minus directly before a power.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "eval.h"
#include "formula.h"

/* ------------------------------------------------------------------------
 * Weighted sums, activations, losses, deltas (lecture 001)
 * ---------------------------------------------------------------------- */

/* in_j = sum_i w_ij a_i */
static double wsum_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)s; (void)notes;
    return eval_wsum(x, n);
}
static void wsum_render(fr *f) { fr_sumprod(f, 0); }

/* a_j = g(in_j); softmax a_k = exp(in_k - m) / sum exp(in - m), m the largest */
static double act_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)notes;
    if (s->act.kind != ACT_SOFTMAX) return n == 1 ? act_g(s->act, x[0]) : NAN;
    if (n < 2) return NAN;
    double m = x[1], sum = 0.0;
    for (size_t p = 1; p < n; p++) m = fmax(m, x[p]);
    for (size_t p = 1; p < n; p++) sum += exp(x[p] - m);
    return exp(x[0] - m) / sum;
}

static void act_render(fr *f)
{
    const act_row *r = &ACT_ROWS[f->s->act.kind];
    if (f->s->act.kind == ACT_SOFTMAX) {        /* exp(in_j)/(exp(in_1) + ...) */
        fr_frac_open(f, 0);
        fr_open(f, FN_EXP); fr_op(f, 0); fr_close(f, FN_EXP);
        fr_frac_mid(f, 0, 1);
        for (size_t k = 1; k < f->n; k++) {
            if (k > 1) fr_bin(f, '+');
            fr_open(f, FN_EXP); fr_op(f, k); fr_close(f, FN_EXP);
        }
        fr_frac_close(f, 1);
        return;
    }
    const char *form = r->g_form[f->c->syn];
    if (!f->c->symbolic) { fr_template(f, form, 0, 0, f->s->act.param); return; }
    fr_lit(f, f->c->syn == SYN_LATEX && r->tex_name ? r->tex_name : "g");
    fr_lit(f, "("); fr_op(f, 0); fr_lit(f, ")");                  /* g(in_3), \sigma(\mathrm{in}_{3}) */
    if (f->c->expand_g && strcmp(r->g_form[SYN_ASCII], "%x") != 0) {
        fr_lit(f, " = ");
        fr_template(f, form, 0, 0, f->s->act.param);             /* = 1/(1+exp(-in_3)) */
    }
}

/* g'(in_j) from in_j and a_j */
static double dact_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)n;
    return act_dg(s->act, x[0], x[1], notes);
}
static void dact_render(fr *f) { fr_template(f, ACT_ROWS[f->s->act.kind].dg_form[f->c->syn], 0, 1, f->s->act.param); }

/* err_j = y_j - a_j */
static double err_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)s; (void)n; (void)notes;
    return eval_diff(x[0], x[1]);
}
static void err_render(fr *f) { fr_op(f, 0); fr_bin(f, '-'); fr_op(f, 1); }

static double loss_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    return (unsigned)s->loss < LOSS_COUNT ? LOSS_ROWS[s->loss].value(x, n, notes) : NAN;
}
static void loss_render(fr *f)
{
    if (f->n == 0) fr_lit(f, "0");
    else LOSS_ROWS[f->s->loss].render_value(f);
}

static double delta_out_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)n; (void)notes;
    return (unsigned)s->loss < LOSS_COUNT ? LOSS_ROWS[s->loss].delta(s, x) : NAN;
}
static void delta_out_render(fr *f) { LOSS_ROWS[f->s->loss].render_delta(f); }

/* Delta_j = g'(in_j) sum_k w_jk Delta_k */
static double delta_hid_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    return x[0] * wsum_eval(s, x + 1, n - 1, notes);
}
static void delta_hid_render(fr *f)
{
    fr_op(f, 0); fr_bin(f, '*'); fr_lit(f, "("); fr_sumprod(f, 1); fr_lit(f, ")");
}

/* ------------------------------------------------------------------------
 * Products, means, updates
 * ---------------------------------------------------------------------- */

static double product_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)s; (void)n; (void)notes;
    return eval_product(x[0], x[1]);
}
static void product_render(fr *f) { fr_op(f, 0); fr_bin(f, '*'); fr_op(f, 1); }

static double mean_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)s; (void)notes;
    return eval_mean(x, n);
}

/* (v_1 + ... + v_n)/n over operands [0, to) */
static void mean_of(fr *f, size_t to, size_t n)
{
    char d[24];
    snprintf(d, sizeof d, "%zu", n);
    fr_frac_open(f, 1);
    fr_list(f, 0, to, '+');
    fr_frac_mid(f, 1, 0);
    fr_lit(f, d);
    fr_frac_close(f, 0);
}
static void mean_render(fr *f) { mean_of(f, f->n, f->n); }

/* w - alpha grad - 2 alpha lambda w */
static double update_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)n; (void)notes;
    return eval_update(x[0], x[1], s->p1, s->p2);
}
static void update_render(fr *f)
{
    fr_op(f, 0); fr_bin(f, '-'); fr_param_sym(f, FR_ALPHA, f->s->p1); fr_bin(f, '*'); fr_op(f, 1);
    if (f->s->p2 == 0) return;
    fr_bin(f, '-'); fr_lit(f, "2"); fr_bin(f, '*'); fr_param_sym(f, FR_ALPHA, f->s->p1);
    fr_bin(f, '*'); fr_param_sym(f, FR_LAMBDA, f->s->p2); fr_bin(f, '*'); fr_op(f, 0);
}

/* w + alpha (y - h) x (lecture 001, the perceptron rule) */
static double perceptron_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)n; (void)notes;
    double step = s->p1 * eval_diff(x[1], x[2]) * x[3];
    return eval_cancel(x[0] + step, fabs(x[0]) + fabs(step));
}
static void perceptron_render(fr *f)
{
    fr_op(f, 0); fr_bin(f, '+'); fr_param_sym(f, FR_ALPHA, f->s->p1); fr_bin(f, '*');
    fr_lit(f, "("); fr_op(f, 1); fr_bin(f, '-'); fr_op(f, 2); fr_lit(f, ")"); fr_bin(f, '*'); fr_op(f, 3);
}

/* h = step(in): the threshold activation's own row */
static double stepsum_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)s; (void)n; (void)notes;
    return ACT_ROWS[ACT_STEP].g(x[0], 0);
}
static void stepsum_render(fr *f) { fr_template(f, ACT_ROWS[ACT_STEP].g_form[f->c->syn], 0, 0, 0); }

/* p1 u (dropout: mask or keep factor) */
static double scale_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)n; (void)notes;
    return s->p1 * x[0];
}
static void scale_render(fr *f) { fr_num(f, f->s->p1); fr_bin(f, '*'); fr_op(f, 0); }

/* ------------------------------------------------------------------------
 * Chain-rule factors (002's step-by-step example): dJ/da_j of an output by
 * its loss, dJ/da_j of a hidden neuron as the sum of its outputs' terms, and
 * din_j/dw_ij = a_i; the sum is also a tied parameter's gradient (its arcs')
 * ---------------------------------------------------------------------- */

static double sum_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)s; (void)notes;
    return eval_sum(x, n);
}
static void sum_render(fr *f) { fr_list(f, 0, f->n, '+'); }

static double copy_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)s; (void)n; (void)notes;
    return x[0];
}
static void copy_render(fr *f) { fr_op(f, 0); }

static double dloss_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)n;
    return (unsigned)s->loss < LOSS_COUNT ? LOSS_ROWS[s->loss].dout(s, x, notes) : NAN;
}
static void dloss_render(fr *f) { LOSS_ROWS[f->s->loss].render_dout(f); }

/* ------------------------------------------------------------------------
 * Normalisation (input z-score / min-max, batch norm)
 * ---------------------------------------------------------------------- */

/* z-score (v - mean)/sd or min-max (v - min)/(max - min); 0, with the note,
 * when the feature is constant (sd 0, max = min) */
static double normalise_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)n;
    double den = s->p1 == 0 ? x[2] : x[2] - x[1];
    if (den != 0) return eval_diff(x[0], x[1]) / den;
    if (notes) *notes |= EVAL_NOTE_CONSTANT;
    return 0.0;
}
static void normalise_render(fr *f)
{
    int minmax = f->s->p1 != 0, xl = f->c->syn == SYN_XLSX;
    if (xl) {                           /* IF(sd<>0, ..., 0) / IF(max<>min, ..., 0) */
        fr_lit(f, "IF("); fr_op(f, 2); fr_lit(f, "<>");
        if (minmax) fr_op(f, 1); else fr_lit(f, "0");
        fr_lit(f, ",");
    }
    fr_frac_open(f, 1);
    fr_op(f, 0); fr_bin(f, '-'); fr_op(f, 1);
    fr_frac_mid(f, 1, minmax);
    if (minmax) { fr_op(f, 2); fr_bin(f, '-'); fr_op(f, 1); }
    else fr_op(f, 2);
    fr_frac_close(f, minmax);
    if (xl) fr_lit(f, ",0)");
}

/* gamma (z - mu)/sqrt(var + EVAL_BN_EPS) + beta */
static double bn_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)n; (void)notes;
    double z = s->p1 * eval_diff(x[0], x[1]) / sqrt(x[2] + EVAL_BN_EPS);
    return eval_cancel(z + s->p2, fabs(z) + fabs(s->p2));
}
static void bn_render(fr *f)
{
    char eps[32];
    snprintf(eps, sizeof eps, "%.5f", EVAL_BN_EPS);     /* 0.00001, as the lecture writes it */
    fr_num(f, f->s->p1); fr_bin(f, '*');
    fr_frac_open(f, 1);
    fr_op(f, 0); fr_bin(f, '-'); fr_op(f, 1);
    fr_frac_mid(f, 1, 0);
    fr_open(f, FN_SQRT); fr_op(f, 2); fr_bin(f, '+'); fr_lit(f, eps); fr_close(f, FN_SQRT);
    fr_frac_close(f, 0);
    fr_bin(f, '+'); fr_num(f, f->s->p2);
}

/* population variance: mean of (v - mu)^2, mu the last operand */
static double var_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)s; (void)notes;
    double v = 0.0, mu = x[n - 1];
    for (size_t p = 0; p + 1 < n; p++) { double d = eval_diff(x[p], mu); v += d * d; }
    return v / (double)(n - 1);
}
static void var_render(fr *f)
{
    size_t mu = f->n - 1;
    if (f->c->syn == SYN_ASCII || f->c->syn == SYN_UNICODE) {   /* mean of (v - mu)^2 over a, b */
        fr_lit(f, "mean of (v - "); fr_op(f, mu);
        fr_lit(f, f->c->syn == SYN_UNICODE ? ")² over " : ")^2 over ");
        fr_list(f, 0, mu, ',');
        return;
    }
    char d[24];
    snprintf(d, sizeof d, "%zu", mu);
    fr_frac_open(f, 1);
    for (size_t k = 0; k < mu; k++) {
        if (k) fr_bin(f, '+');
        fr_lit(f, "("); fr_op(f, k); fr_bin(f, '-'); fr_op(f, mu);
        fr_lit(f, f->c->syn == SYN_LATEX ? ")^{2}" : ")^2");
    }
    fr_frac_mid(f, 1, 0);
    fr_lit(f, d);
    fr_frac_close(f, 0);
}

static double sqrt_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)s; (void)n; (void)notes;
    return sqrt(x[0]);
}
static void sqrt_render(fr *f) { fr_open(f, FN_SQRT); fr_op(f, 0); fr_close(f, FN_SQRT); }

static double minmax_eval(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    (void)notes;
    double v = x[0];
    for (size_t p = 1; p < n; p++)
        if (s->op == OP_MIN ? x[p] < v : x[p] > v) v = x[p];
    return v;
}
static void minmax_render(fr *f)
{
    fr_fn fn = f->s->op == OP_MIN ? FN_MIN : FN_MAX;
    fr_open(f, fn); fr_list(f, 0, f->n, ','); fr_close(f, fn);
}

/* ------------------------------------------------------------------------
 * The rows
 * ---------------------------------------------------------------------- */

const op_row OP_ROWS[OP_COUNT] = {
    [OP_CONST]      = {"const", 0, 0, 1, 0, NULL, NULL},         /* a given value: no formula */
    [OP_WSUM]       = {"wsum", 0, -1, 2, 0, wsum_eval, wsum_render},
    [OP_ACT]        = {"act", 1, -1, 1, 0, act_eval, act_render},
    [OP_DACT]       = {"dact", 2, 2, 1, 0, dact_eval, dact_render},
    [OP_ERR]        = {"err", 2, 2, 1, 0, err_eval, err_render},
    [OP_LOSS]       = {"loss", 0, -1, 2, 0, loss_eval, loss_render},
    [OP_DELTA_OUT]  = {"delta-out", 2, 2, 1, 0, delta_out_eval, delta_out_render},
    [OP_DELTA_HID]  = {"delta-hidden", 1, -1, 2, 1, delta_hid_eval, delta_hid_render},
    [OP_PRODUCT]    = {"product", 2, 2, 1, 0, product_eval, product_render},
    [OP_MEAN]       = {"mean", 1, -1, 1, 0, mean_eval, mean_render},
    [OP_UPDATE]     = {"update", 2, 2, 1, 0, update_eval, update_render},
    [OP_PERCEPTRON] = {"perceptron", 4, 4, 1, 0, perceptron_eval, perceptron_render},
    [OP_STEPSUM]    = {"step", 1, 1, 1, 0, stepsum_eval, stepsum_render},
    [OP_SCALE]      = {"scale", 1, 1, 1, 0, scale_eval, scale_render},
    [OP_NORMALISE]  = {"normalise", 3, 3, 1, 0, normalise_eval, normalise_render},
    [OP_BN]         = {"batch-norm", 3, 3, 1, 0, bn_eval, bn_render},
    [OP_VAR]        = {"variance", 2, -1, 1, 0, var_eval, var_render},
    [OP_SQRT]       = {"sqrt", 1, 1, 1, 0, sqrt_eval, sqrt_render},
    [OP_MIN]        = {"min", 1, -1, 1, 0, minmax_eval, minmax_render},
    [OP_MAX]        = {"max", 1, -1, 1, 0, minmax_eval, minmax_render},
    [OP_SUM]        = {"sum", 1, -1, 1, 0, sum_eval, sum_render},
    [OP_COPY]       = {"copy", 1, 1, 1, 0, copy_eval, copy_render},
    [OP_DLOSS]      = {"dloss", 2, 2, 1, 0, dloss_eval, dloss_render},
};
