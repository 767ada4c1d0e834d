/*
 * loss_table.c - one row per loss (eval.h: loss_row): J over the output
 * pairs (y_k, a_k), the output delta Delta_j = dJ/d in_j, which output
 * activation the delta rule needs, and how J and Delta are written (formula.h).
 *
 *   sse         J = sum (y - a)^2              Delta = -2 (y - a) g'(in)    (001, no 1/2)
 *   half-sse    J = sum 1/2 (y - a)^2          Delta = -(y - a) g'(in)      (002, E_total)
 *   mse         J = (1/n) sum (y - a)^2        Delta = -(2/n) (y - a) g'(in) (n outputs)
 *   bce         J = -sum y ln a + (1-y) ln(1-a)  Delta = a - y on a logistic output
 *   softmax-ce  J = -sum y ln a                Delta = a - y on a softmax output
 *
 * and the chain factor dJ/da_j of each (002's dE_total/dout_o1): -2 (y - a),
 * -(y - a), -(2/n) (y - a), -(y/a - (1 - y)/(1 - a)), -y/a.
 */
#include "eval.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "formula.h"
#include "suggest.h"

/* A log's argument (and so a cross-entropy's divisor) below EVAL_LOG_GUARD
 * is taken as EVAL_LOG_GUARD, with the note. */
static double guarded(double v, unsigned *notes)
{
    if (v < EVAL_LOG_GUARD) {
        if (notes) *notes |= EVAL_NOTE_LOG_GUARD;
        v = EVAL_LOG_GUARD;
    }
    return v;
}

static double guarded_log(double v, unsigned *notes) { return log(guarded(v, notes)); }

/* ------------------------------------------------------------------------
 * Values (x = y_1 a_1 y_2 a_2 ...) and deltas (x as the row's uses_err says)
 * ---------------------------------------------------------------------- */

static double sse_value(const double *x, size_t n, unsigned *notes)
{
    (void)notes;
    double J = 0.0;
    for (size_t p = 0; p + 1 < n; p += 2) { double e = eval_diff(x[p], x[p + 1]); J += e * e; }
    return J;
}

static double half_value(const double *x, size_t n, unsigned *notes) { return 0.5 * sse_value(x, n, notes); }

static double mse_value(const double *x, size_t n, unsigned *notes)
{
    return n ? sse_value(x, n, notes) / (double)(n / 2) : 0.0;
}

static double bce_value(const double *x, size_t n, unsigned *notes)
{
    double J = 0.0;
    for (size_t p = 0; p + 1 < n; p += 2)
        J -= x[p] * guarded_log(x[p + 1], notes) + (1 - x[p]) * guarded_log(1 - x[p + 1], notes);
    return J;
}

static double ce_value(const double *x, size_t n, unsigned *notes)
{
    double J = 0.0;
    for (size_t p = 0; p + 1 < n; p += 2) J -= x[p] * guarded_log(x[p + 1], notes);
    return J;
}

/* dJ/da of an output from its error err = y - a: the factor of the delta
 * rule before g', so Delta = dout(err) * g' (and the chain factor
 * dJ/da_j = dout(y - a) is bit for bit the delta's own factor) */
static double sse_dout_err(const op_spec *s, double err) { (void)s; return -2.0 * err; }
static double half_dout_err(const op_spec *s, double err) { (void)s; return -err; }
static double mse_dout_err(const op_spec *s, double err) { return -2.0 / s->p1 * err; }

static double sse_delta(const op_spec *s, const double *x) { return sse_dout_err(s, x[0]) * x[1]; }
static double half_delta(const op_spec *s, const double *x) { return half_dout_err(s, x[0]) * x[1]; }
static double mse_delta(const op_spec *s, const double *x) { return mse_dout_err(s, x[0]) * x[1]; }
static double a_minus_y(const op_spec *s, const double *x) { (void)s; return eval_diff(x[0], x[1]); }

/* dJ/da_j from (y_j, a_j) */
static double sse_dout(const op_spec *s, const double *x, unsigned *notes)
{
    (void)notes;
    return sse_dout_err(s, eval_diff(x[0], x[1]));
}
static double half_dout(const op_spec *s, const double *x, unsigned *notes)
{
    (void)notes;
    return half_dout_err(s, eval_diff(x[0], x[1]));
}
static double mse_dout(const op_spec *s, const double *x, unsigned *notes)
{
    (void)notes;
    return mse_dout_err(s, eval_diff(x[0], x[1]));
}
/* bce: -(y/a - (1 - y)/(1 - a)); softmax-ce: -y/a; a and 1 - a guarded as
 * J's logs are, so an a of 0 or 1 (hand-rounded or underflowed) gives J's
 * slope there (-1 for y = 1, a = 1), not 0/0 */
static double bce_dout(const op_spec *s, const double *x, unsigned *notes)
{
    (void)s;
    return -(x[0] / guarded(x[1], notes) - (1 - x[0]) / guarded(1 - x[1], notes));
}
static double ce_dout(const op_spec *s, const double *x, unsigned *notes)
{
    (void)s;
    return -x[0] / guarded(x[1], notes);
}

/* ------------------------------------------------------------------------
 * Rendering
 * ---------------------------------------------------------------------- */

/* (y_1 - a_1)^2 + (y_2 - a_2)^2 ..., each term after `coef` */
static void squares(fr *f, const char *coef)
{
    for (size_t k = 0; k + 1 < f->n; k += 2) {
        if (k) fr_bin(f, '+');
        if (coef) fr_lit(f, coef);
        fr_lit(f, "(");
        fr_op(f, k); fr_bin(f, '-'); fr_op(f, k + 1);
        fr_lit(f, f->c->syn == SYN_LATEX ? ")^{2}" : f->c->syn == SYN_UNICODE ? ")²" : ")^2");
    }
}

static void sse_render(fr *f) { squares(f, NULL); }

static void half_render(fr *f)
{
    static const char *const HALF[SYN_COUNT] = {"1/2*", "½·", "0.5*", "\\frac{1}{2}"};
    squares(f, HALF[f->c->syn]);
}

static void mse_render(fr *f)          /* (sum of squares)/n */
{
    fr_frac_open(f, 1);
    squares(f, NULL);
    fr_frac_mid(f, 1, 0);
    char n[24];
    snprintf(n, sizeof n, "%zu", f->n / 2);
    fr_lit(f, n);
    fr_frac_close(f, 0);
}

/* -(y ln a + (1 - y) ln(1 - a) + ...) or -(y ln a + ...) */
static void cross_entropy(fr *f, int binary)
{
    fr_lit(f, f->c->syn == SYN_LATEX ? "-\\left(" : "-(");
    for (size_t k = 0; k + 1 < f->n; k += 2) {
        if (k) fr_bin(f, '+');
        fr_op(f, k); fr_bin(f, '*'); fr_ln_op(f, k + 1, 0);
        if (!binary) continue;
        fr_bin(f, '+');
        fr_lit(f, "(1"); fr_bin(f, '-'); fr_op(f, k); fr_lit(f, ")");
        fr_bin(f, '*'); fr_ln_op(f, k + 1, 1);
    }
    fr_lit(f, f->c->syn == SYN_LATEX ? "\\right)" : ")");
}

static void bce_render(fr *f) { cross_entropy(f, 1); }
static void ce_render(fr *f) { cross_entropy(f, 0); }

/* coef*err*g' */
static void err_times_dg(fr *f, const char *coef)
{
    fr_lit(f, coef);
    fr_op(f, 0); fr_bin(f, '*'); fr_op(f, 1);
}

static void sse_delta_render(fr *f) { fr_lit(f, "-2"); fr_bin(f, '*'); err_times_dg(f, ""); }
static void half_delta_render(fr *f) { err_times_dg(f, "-"); }

static void mse_coef(fr *f)            /* -2/n */
{
    char n[24];
    snprintf(n, sizeof n, "%.0f", f->s->p1);
    fr_lit(f, "-");
    fr_frac_open(f, 0);
    fr_lit(f, "2");
    fr_frac_mid(f, 0, 0);
    fr_lit(f, n);
    fr_frac_close(f, 0);
}

static void mse_delta_render(fr *f)    /* -2/n*err*g' */
{
    mse_coef(f);
    fr_bin(f, '*');
    err_times_dg(f, "");
}

/* (y - a) */
static void y_minus_a(fr *f) { fr_lit(f, "("); fr_op(f, 0); fr_bin(f, '-'); fr_op(f, 1); fr_lit(f, ")"); }

static void sse_dout_render(fr *f) { fr_lit(f, "-2"); fr_bin(f, '*'); y_minus_a(f); }
static void half_dout_render(fr *f) { fr_lit(f, "-"); y_minus_a(f); }
static void mse_dout_render(fr *f) { mse_coef(f); fr_bin(f, '*'); y_minus_a(f); }

static void bce_dout_render(fr *f)     /* -(y/a - (1 - y)/(1 - a)) */
{
    fr_lit(f, f->c->syn == SYN_LATEX ? "-\\left(" : "-(");
    fr_frac_open(f, 0);
    fr_op(f, 0);
    fr_frac_mid(f, 0, 0);
    fr_guarded_op(f, 1, 0);
    fr_frac_close(f, 0);
    fr_bin(f, '-');
    fr_frac_open(f, 1);
    fr_lit(f, "1"); fr_bin(f, '-'); fr_op(f, 0);
    fr_frac_mid(f, 1, 1);
    fr_guarded_op(f, 1, 1);
    fr_frac_close(f, 1);
    fr_lit(f, f->c->syn == SYN_LATEX ? "\\right)" : ")");
}

static void ce_dout_render(fr *f)      /* -y/a */
{
    fr_lit(f, "-");
    fr_frac_open(f, 0);
    fr_op(f, 0);
    fr_frac_mid(f, 0, 0);
    fr_guarded_op(f, 1, 0);
    fr_frac_close(f, 0);
}

static void a_minus_y_render(fr *f) { fr_op(f, 0); fr_bin(f, '-'); fr_op(f, 1); }

/* ------------------------------------------------------------------------
 * The rows
 * ---------------------------------------------------------------------- */

const loss_row LOSS_ROWS[LOSS_COUNT] = {
    [LOSS_SSE] = {
        .name = "sse", .aliases = "squared-error", .lecture = "CS 457/557 Lecture 07 (no 1/2)",
        .uses_err = 1, .needs_out = ACT_COUNT,
        .value = sse_value, .delta = sse_delta, .render_value = sse_render, .render_delta = sse_delta_render,
        .dout = sse_dout, .render_dout = sse_dout_render,
    },
    [LOSS_HALF_SSE] = {
        .name = "half-sse", .aliases = "", .lecture = "CMSC 389A Lecture 3 (E_total)",
        .uses_err = 1, .needs_out = ACT_COUNT,
        .value = half_value, .delta = half_delta, .render_value = half_render, .render_delta = half_delta_render,
        .dout = half_dout, .render_dout = half_dout_render,
    },
    [LOSS_MSE] = {
        .name = "mse", .aliases = "", .lecture = "the mean over the n outputs",
        .uses_err = 1, .needs_out = ACT_COUNT,
        .value = mse_value, .delta = mse_delta, .render_value = mse_render, .render_delta = mse_delta_render,
        .dout = mse_dout, .render_dout = mse_dout_render,
    },
    [LOSS_BCE] = {
        .name = "bce", .aliases = "cross-entropy", .lecture = "COMP 5630/6630 Lecture 7 (logistic output)",
        .uses_err = 0, .logs = 1, .needs_out = ACT_LOGISTIC,
        .needs_msg = "loss bce needs a logistic output layer (its delta is a - y only there)",
        .value = bce_value, .delta = a_minus_y, .render_value = bce_render, .render_delta = a_minus_y_render,
        .dout = bce_dout, .render_dout = bce_dout_render,
    },
    [LOSS_SOFTMAX_CE] = {
        .name = "softmax-ce", .aliases = "", .lecture = "CSE 575, CSC413 Lecture 2 (softmax output)",
        .uses_err = 0, .logs = 1, .needs_out = ACT_SOFTMAX,
        .needs_msg = "loss softmax-ce needs a softmax output layer",
        .value = ce_value, .delta = a_minus_y, .render_value = ce_render, .render_delta = a_minus_y_render,
        .dout = ce_dout, .render_dout = ce_dout_render,
    },
};

/* ------------------------------------------------------------------------
 * Names
 * ---------------------------------------------------------------------- */

const char *loss_name(loss_kind k) { return (unsigned)k < LOSS_COUNT ? LOSS_ROWS[k].name : "?"; }

static int same_word(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if ((*a >= 'A' && *a <= 'Z' ? *a + 32 : *a) != *b) return 0;
    return *a == *b;
}

int loss_parse(const char *s, loss_kind *k)
{
    for (int i = 0; i < LOSS_COUNT; i++)
        if (same_word(s, LOSS_ROWS[i].name) || (LOSS_ROWS[i].aliases[0] && same_word(s, LOSS_ROWS[i].aliases))) {
            *k = (loss_kind)i;
            return 0;
        }
    return -1;
}

int loss_known(char *buf, size_t size)
{
    int len = 0;
    for (int k = 0; k < LOSS_COUNT; k++) {
        int fits = buf && (size_t)len < size;
        int n = snprintf(fits ? buf + len : NULL, fits ? size - (size_t)len : 0, "%s%s",
                         k ? ", " : "", LOSS_ROWS[k].name);
        if (n < 0) return n;
        len += n;
    }
    return len;
}

int loss_suggest(const char *word, char *buf, size_t size)
{
    const char *names[LOSS_COUNT];
    for (int k = 0; k < LOSS_COUNT; k++) names[k] = LOSS_ROWS[k].name;
    return suggest(word, names, LOSS_COUNT, buf, size);
}
