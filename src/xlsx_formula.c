/*
 * xlsx_formula.c - the Excel form of every operation of the evaluator.
 *
 * This is the one place that writes spreadsheet math. Each case below is the
 * formula of eval_apply's case of the same name (eval.c), over the operand
 * cells in the same order, so a spreadsheet program that recomputes the cell
 * gets the evaluator's value (the tests check this with gnumeric for every
 * lesson). Numbers are written in the shortest form that reads back exactly;
 * negative numbers are parenthesised. Excel's unary minus binds tighter than
 * '^' (=-2^2 is 4), so no formula below puts a minus directly before a power.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlsx.h"

/* A number literal that reads back as exactly v: "0.5", "1E-05", "(-2)". */
static void num(strbuf *b, double v)
{
    char s[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*G", prec, v);
        if (strtod(s, NULL) == v) break;
    }
    sb_printf(b, v < 0 ? "(%s)" : "%s", s);
}

/* A parameter: its cell when given, else the number. */
static void param(strbuf *b, const char *ref, double v)
{
    if (ref) sb_printf(b, "%s", ref);
    else num(b, v);
}

/* Sum of products r[k]*r[k+1] for k = from, from+2, ... < n ("0" if none). */
static void sumprod(strbuf *b, const char *const *r, size_t from, size_t n)
{
    if (from + 1 >= n) { sb_printf(b, "0"); return; }
    for (size_t k = from; k + 1 < n; k += 2)
        sb_printf(b, "%s%s*%s", k > from ? "+" : "", r[k], r[k + 1]);
}

/* g(in) for one operand cell x (softmax is not a function of one cell). */
static int act_formula_xl(strbuf *b, act_fn f, const char *x)
{
    switch (f.kind) {
    case ACT_IDENTITY: sb_printf(b, "%s", x); return 0;
    case ACT_STEP:     sb_printf(b, "IF(%s>=0,1,0)", x); return 0;
    case ACT_LOGISTIC: sb_printf(b, "1/(1+EXP(-%s))", x); return 0;
    case ACT_TANH:     sb_printf(b, "TANH(%s)", x); return 0;
    case ACT_ARCTAN:   sb_printf(b, "ATAN(%s)", x); return 0;
    case ACT_RELU:     sb_printf(b, "MAX(0,%s)", x); return 0;
    case ACT_LEAKY_RELU:
    case ACT_PRELU:
        sb_printf(b, "IF(%s>=0,%s,", x, x); num(b, f.param); sb_printf(b, "*%s)", x);
        return 0;
    case ACT_ELU:
        sb_printf(b, "IF(%s>=0,%s,", x, x); num(b, f.param); sb_printf(b, "*(EXP(%s)-1))", x);
        return 0;
    case ACT_SOFTPLUS:   /* ln(1 + e^x), written so that large x does not overflow */
        sb_printf(b, "MAX(%s,0)+LN(1+EXP(-ABS(%s)))", x, x);
        return 0;
    default:
        return -1;
    }
}

/* g'(in) from the cells of in (x) and a = g(in) (a), as act_dg takes them. */
static int dact_formula_xl(strbuf *b, act_fn f, const char *x, const char *a)
{
    switch (f.kind) {
    case ACT_IDENTITY: sb_printf(b, "1"); return 0;
    case ACT_STEP:     sb_printf(b, "0"); return 0;
    case ACT_LOGISTIC: sb_printf(b, "%s*(1-%s)", a, a); return 0;     /* g(1-g) */
    case ACT_TANH:     sb_printf(b, "1-%s*%s", a, a); return 0;       /* 1-g^2 */
    case ACT_ARCTAN:   sb_printf(b, "1/(%s*%s+1)", x, x); return 0;
    case ACT_RELU:     sb_printf(b, "IF(%s>=0,1,0)", x); return 0;
    case ACT_LEAKY_RELU:
    case ACT_PRELU:
        sb_printf(b, "IF(%s>=0,1,", x); num(b, f.param); sb_printf(b, ")");
        return 0;
    case ACT_ELU:                                                     /* g + alpha for x < 0 */
        sb_printf(b, "IF(%s>=0,1,%s+", x, a); num(b, f.param); sb_printf(b, ")");
        return 0;
    case ACT_SOFTPLUS: sb_printf(b, "1/(1+EXP(-%s))", x); return 0;
    default:
        return -1;
    }
}

/* ln(v) as the evaluator takes it: clamped to 1e-12 when its note says so. */
static void ln(strbuf *b, const char *v, int guard)
{
    if (guard) sb_printf(b, "LN(MAX(%s,1E-12))", v);
    else sb_printf(b, "LN(%s)", v);
}

static int loss_formula_xl(strbuf *b, loss_kind k, int guard, const char *const *r, size_t n)
{
    if (n % 2) return -1;
    if (n == 0) { sb_printf(b, "0"); return 0; }
    int neg = k == LOSS_BCE || k == LOSS_SOFTMAX_CE;
    if (neg) sb_printf(b, "-(");
    for (size_t p = 0; p + 1 < n; p += 2) {
        const char *y = r[p], *a = r[p + 1];
        if (p) sb_printf(b, "+");
        switch (k) {
        case LOSS_SSE:      sb_printf(b, "(%s-%s)^2", y, a); break;           /* (y-a)^2 */
        case LOSS_HALF_SSE: sb_printf(b, "0.5*(%s-%s)^2", y, a); break;       /* 1/2 (y-a)^2 */
        case LOSS_BCE: {                                   /* y ln a + (1-y) ln(1-a) */
            char one_minus[XLSX_REF_MAX + 4];
            if ((size_t)snprintf(one_minus, sizeof one_minus, "1-%s", a) >= sizeof one_minus) return -1;
            sb_printf(b, "%s*", y); ln(b, a, guard);
            sb_printf(b, "+(1-%s)*", y); ln(b, one_minus, guard);
            break;
        }
        case LOSS_SOFTMAX_CE: sb_printf(b, "%s*", y); ln(b, a, guard); break;  /* y ln a */
        default: return -1;
        }
    }
    if (neg) sb_printf(b, ")");
    return 0;
}

int xlsx_formula(strbuf *b, const op_spec *s, unsigned notes, const char *const *r, size_t n,
                 const char *p1ref, const char *p2ref)
{
    sb_printf(b, "=");
    switch (s->op) {
    case OP_WSUM:                                  /* in_j = sum_i w_ij a_i */
        if (n % 2) return -1;
        sumprod(b, r, 0, n);
        return 0;
    case OP_ACT:
        if (s->act.kind == ACT_SOFTMAX) {          /* exp(in_j) / sum_k exp(in_k) */
            if (n < 2) return -1;
            sb_printf(b, "EXP(%s)/(", r[0]);
            for (size_t k = 1; k < n; k++) sb_printf(b, "%sEXP(%s)", k > 1 ? "+" : "", r[k]);
            sb_printf(b, ")");
            return 0;
        }
        return n == 1 ? act_formula_xl(b, s->act, r[0]) : -1;
    case OP_DACT:
        return n == 2 ? dact_formula_xl(b, s->act, r[0], r[1]) : -1;
    case OP_ERR:                                   /* y_j - a_j */
        if (n != 2) return -1;
        sb_printf(b, "%s-%s", r[0], r[1]);
        return 0;
    case OP_LOSS:
        return loss_formula_xl(b, s->loss, (notes & EVAL_NOTE_LOG_GUARD) != 0, r, n);
    case OP_DELTA_OUT:
        if (n != 2) return -1;
        if (s->loss == LOSS_SSE) sb_printf(b, "-2*%s*%s", r[0], r[1]);        /* -2 err g' */
        else if (s->loss == LOSS_HALF_SSE) sb_printf(b, "-%s*%s", r[0], r[1]); /* -err g' */
        else sb_printf(b, "%s-%s", r[0], r[1]);                               /* a - y */
        return 0;
    case OP_DELTA_HID:                             /* g'(in_j) sum_k w_jk Delta_k */
        if (n < 1 || (n - 1) % 2) return -1;
        sb_printf(b, "%s*(", r[0]);
        sumprod(b, r, 1, n);
        sb_printf(b, ")");
        return 0;
    case OP_PRODUCT:
        if (n != 2) return -1;
        sb_printf(b, "%s*%s", r[0], r[1]);
        return 0;
    case OP_MEAN:
        if (n == 0) return -1;
        sb_printf(b, "(");
        for (size_t k = 0; k < n; k++) sb_printf(b, "%s%s", k ? "+" : "", r[k]);
        sb_printf(b, ")/%zu", n);
        return 0;
    case OP_UPDATE:                                /* w - alpha grad - 2 alpha lambda w */
        if (n != 2) return -1;
        sb_printf(b, "%s-", r[0]); param(b, p1ref, s->p1); sb_printf(b, "*%s", r[1]);
        if (p2ref || s->p2 != 0) {
            sb_printf(b, "-2*"); param(b, p1ref, s->p1);
            sb_printf(b, "*"); param(b, p2ref, s->p2); sb_printf(b, "*%s", r[0]);
        }
        return 0;
    case OP_PERCEPTRON:                            /* w + alpha (y - h) x */
        if (n != 4) return -1;
        sb_printf(b, "%s+", r[0]); param(b, p1ref, s->p1);
        sb_printf(b, "*(%s-%s)*%s", r[1], r[2], r[3]);
        return 0;
    case OP_STEPSUM:
        if (n != 1) return -1;
        sb_printf(b, "IF(%s>=0,1,0)", r[0]);
        return 0;
    case OP_SCALE:
        if (n != 1) return -1;
        num(b, s->p1); sb_printf(b, "*%s", r[0]);
        return 0;
    case OP_NORMALISE:                             /* z-score or min-max, 0 when degenerate */
        if (n != 3) return -1;
        if (s->p1 == 0) sb_printf(b, "IF(%s<>0,(%s-%s)/%s,0)", r[2], r[0], r[1], r[2]);
        else sb_printf(b, "IF(%s<>%s,(%s-%s)/(%s-%s),0)", r[2], r[1], r[0], r[1], r[2], r[1]);
        return 0;
    case OP_BN:                                    /* gamma (z - mu)/sqrt(var + 1e-5) + beta */
        if (n != 3) return -1;
        num(b, s->p1); sb_printf(b, "*(%s-%s)/SQRT(%s+0.00001)+", r[0], r[1], r[2]); num(b, s->p2);
        return 0;
    case OP_VAR:                                   /* mean of (v - mu)^2, mu last */
        if (n < 2) return -1;
        sb_printf(b, "(");
        for (size_t k = 0; k + 1 < n; k++) sb_printf(b, "%s(%s-%s)^2", k ? "+" : "", r[k], r[n - 1]);
        sb_printf(b, ")/%zu", n - 1);
        return 0;
    case OP_SQRT:                                  /* sd_j = sqrt(var_j) */
        if (n != 1) return -1;
        sb_printf(b, "SQRT(%s)", r[0]);
        return 0;
    case OP_MIN:
    case OP_MAX:                                   /* min_j / max_j over the examples */
        if (n == 0) return -1;
        sb_printf(b, "%s(", s->op == OP_MIN ? "MIN" : "MAX");
        for (size_t k = 0; k < n; k++) sb_printf(b, "%s%s", k ? "," : "", r[k]);
        sb_printf(b, ")");
        return 0;
    default:                                       /* OP_CONST has no formula */
        return -1;
    }
}
