/*
 * eval.c - the one evaluator (see eval.h for the operand layout).
 *
 * Activations and losses follow the lecture tables: 001 (logistic, squared
 * error without 1/2) and 002 (the activation table with derivatives). Where
 * g' is undefined (binary step and ReLU at 0) we take the 002 table's value
 * for x >= 0 and flag EVAL_NOTE_KINK so the trace can say so.
 */
#include "eval.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOG_GUARD 1e-12

/* ------------------------------------------------------------------------
 * Activations
 * ---------------------------------------------------------------------- */

static const struct {
    const char *name, *g, *dg, *kink;
    double default_param;
} ACTS[ACT_COUNT] = {
    [ACT_IDENTITY]   = {"identity", "%s", "1", NULL, 0},
    [ACT_STEP]       = {"step", "step(%s)", "0",
                        "g'(0) of the step is undefined; taken as 0", 0},
    [ACT_LOGISTIC]   = {"logistic", "1/(1+exp(-%s))", "%a*(1-%a)", NULL, 0},
    [ACT_TANH]       = {"tanh", "tanh(%s)", "1-%a^2", NULL, 0},
    [ACT_ARCTAN]     = {"arctan", "atan(%s)", "1/(%s^2+1)", NULL, 0},
    [ACT_RELU]       = {"relu", "max(0,%s)", "(%s>=0 ? 1 : 0)",
                        "g'(0) of ReLU is undefined; taken as 1 (x >= 0)", 0},
    [ACT_LEAKY_RELU] = {"leaky-relu", "(%s>=0 ? %s : %p*%s)", "(%s>=0 ? 1 : %p)",
                        "g'(0) of leaky ReLU is undefined; taken as 1 (x >= 0)", 0.01},
    [ACT_PRELU]      = {"prelu", "(%s>=0 ? %s : %p*%s)", "(%s>=0 ? 1 : %p)",
                        "g'(0) of PReLU is undefined; taken as 1 (x >= 0)", 0.25},
    [ACT_ELU]        = {"elu", "(%s>=0 ? %s : %p*(exp(%s)-1))", "(%s>=0 ? 1 : %a+%p)", NULL, 1.0},
    [ACT_SOFTPLUS]   = {"softplus", "ln(1+exp(%s))", "1/(1+exp(-%s))", NULL, 0},
    [ACT_SOFTMAX]    = {"softmax", "exp(%s)/sum_k exp(in_k)", "-", NULL, 0},
};

const char *act_name(act_kind k) { return (unsigned)k < ACT_COUNT ? ACTS[k].name : "?"; }
const char *act_formula(act_kind k) { return (unsigned)k < ACT_COUNT ? ACTS[k].g : "?"; }
const char *act_dformula(act_kind k) { return (unsigned)k < ACT_COUNT ? ACTS[k].dg : "?"; }
const char *act_kink_note(act_kind k) { return (unsigned)k < ACT_COUNT ? ACTS[k].kink : NULL; }

int act_parse(const char *s, act_fn *f)
{
    static const struct { const char *alias; act_kind k; } aliases[] = {
        {"sigmoid", ACT_LOGISTIC}, {"linear", ACT_IDENTITY}, {"threshold", ACT_STEP},
        {"atan", ACT_ARCTAN}, {"leaky_relu", ACT_LEAKY_RELU}, {"lrelu", ACT_LEAKY_RELU},
    };
    size_t len = strcspn(s, "(");
    int kind = -1;
    for (int k = 0; k < ACT_COUNT; k++)
        if (strlen(ACTS[k].name) == len && strncmp(s, ACTS[k].name, len) == 0) kind = k;
    for (size_t a = 0; kind < 0 && a < sizeof aliases / sizeof aliases[0]; a++)
        if (strlen(aliases[a].alias) == len && strncmp(s, aliases[a].alias, len) == 0)
            kind = (int)aliases[a].k;
    if (kind < 0) return -1;
    f->kind = (act_kind)kind;
    f->param = ACTS[kind].default_param;
    if (s[len] == '\0') return 0;
    /* "(number)" only for the parameterised kinds */
    if (kind != ACT_LEAKY_RELU && kind != ACT_PRELU && kind != ACT_ELU) return -1;
    char *end;
    double p = strtod(s + len + 1, &end);
    if (end == s + len + 1 || strcmp(end, ")") != 0 || !isfinite(p)) return -1;
    f->param = p;
    return 0;
}

double act_g(act_fn f, double v)
{
    switch (f.kind) {
    case ACT_IDENTITY:   return v;
    case ACT_STEP:       return v >= 0 ? 1.0 : 0.0;
    case ACT_LOGISTIC:   return 1.0 / (1.0 + exp(-v));
    case ACT_TANH:       return tanh(v);
    case ACT_ARCTAN:     return atan(v);
    case ACT_RELU:       return v >= 0 ? v : 0.0;
    case ACT_LEAKY_RELU:
    case ACT_PRELU:      return v >= 0 ? v : f.param * v;
    case ACT_ELU:        return v >= 0 ? v : f.param * expm1(v);
    case ACT_SOFTPLUS:   return v > 30 ? v + log1p(exp(-v)) : log1p(exp(v));
    default:             return NAN;
    }
}

double act_dg(act_fn f, double v, double a, unsigned *notes)
{
    int kink = (v == 0.0) && ACTS[f.kind].kink != NULL;
    if (kink && notes) *notes |= EVAL_NOTE_KINK;
    switch (f.kind) {
    case ACT_IDENTITY:   return 1.0;
    case ACT_STEP:       return 0.0;
    case ACT_LOGISTIC:   return a * (1.0 - a);     /* g' = g(1-g), from a_j as 001 does */
    case ACT_TANH:       return 1.0 - a * a;       /* g' = 1 - g^2 */
    case ACT_ARCTAN:     return 1.0 / (v * v + 1.0);
    case ACT_RELU:       return v >= 0 ? 1.0 : 0.0;
    case ACT_LEAKY_RELU:
    case ACT_PRELU:      return v >= 0 ? 1.0 : f.param;
    case ACT_ELU:        return v >= 0 ? 1.0 : a + f.param;  /* g' = g + alpha for x < 0 */
    case ACT_SOFTPLUS:   return 1.0 / (1.0 + exp(-v));
    default:             return NAN;
    }
}

/* ------------------------------------------------------------------------
 * Losses
 * ---------------------------------------------------------------------- */

static const char *const LOSS_NAMES[LOSS_COUNT] = {
    [LOSS_SSE] = "sse", [LOSS_HALF_SSE] = "half-sse",
    [LOSS_BCE] = "bce", [LOSS_SOFTMAX_CE] = "softmax-ce",
};

const char *loss_name(loss_kind k) { return (unsigned)k < LOSS_COUNT ? LOSS_NAMES[k] : "?"; }

int loss_parse(const char *s, loss_kind *k)
{
    for (int i = 0; i < LOSS_COUNT; i++)
        if (strcmp(s, LOSS_NAMES[i]) == 0) { *k = (loss_kind)i; return 0; }
    if (strcmp(s, "squared-error") == 0) { *k = LOSS_SSE; return 0; }
    if (strcmp(s, "cross-entropy") == 0) { *k = LOSS_BCE; return 0; }
    return -1;
}

static double guarded_log(double v, unsigned *notes)
{
    if (v < LOG_GUARD) {
        if (notes) *notes |= EVAL_NOTE_LOG_GUARD;
        v = LOG_GUARD;
    }
    return log(v);
}

/* J over pairs (y_k, a_k):
 *   sse:        sum (y - a)^2          (001, no 1/2)
 *   half-sse:   sum 1/2 (y - a)^2      (002, E_total)
 *   bce:        -sum y ln a + (1-y) ln(1-a)
 *   softmax-ce: -sum y ln a */
static double loss_value(loss_kind k, const double *x, size_t n, unsigned *notes)
{
    double J = 0.0;
    for (size_t p = 0; p + 1 < n; p += 2) {
        double y = x[p], a = x[p + 1], d = y - a;
        switch (k) {
        case LOSS_SSE:        J += d * d; break;
        case LOSS_HALF_SSE:   J += 0.5 * d * d; break;
        case LOSS_BCE:        J -= y * guarded_log(a, notes) + (1 - y) * guarded_log(1 - a, notes); break;
        case LOSS_SOFTMAX_CE: J -= y * guarded_log(a, notes); break;
        default:              return NAN;
        }
    }
    return J;
}

/* ------------------------------------------------------------------------
 * Operations
 * ---------------------------------------------------------------------- */

double eval_apply(const op_spec *s, const double *x, size_t n, unsigned *notes)
{
    double v = 0.0;
    switch (s->op) {
    case OP_CONST:
        return NAN;                            /* a constant has no formula */
    case OP_WSUM:                              /* in_j = sum_i w_ij a_i */
        if (n % 2) return NAN;
        for (size_t p = 0; p < n; p += 2) v += x[p] * x[p + 1];
        return v;
    case OP_ACT:
        if (n < 1) return NAN;
        if (s->act.kind == ACT_SOFTMAX) {      /* a_k = exp(in_k - m) / sum exp(in - m) */
            double m = x[1 % n];
            for (size_t p = 1; p < n; p++) m = fmax(m, x[p]);
            double sum = 0.0;
            for (size_t p = 1; p < n; p++) sum += exp(x[p] - m);
            return n < 2 ? NAN : exp(x[0] - m) / sum;
        }
        return n == 1 ? act_g(s->act, x[0]) : NAN;
    case OP_DACT:
        return n == 2 ? act_dg(s->act, x[0], x[1], notes) : NAN;
    case OP_ERR:
        return n == 2 ? x[0] - x[1] : NAN;
    case OP_LOSS:
        return n % 2 ? NAN : loss_value(s->loss, x, n, notes);
    case OP_DELTA_OUT:
        if (n != 2) return NAN;
        switch (s->loss) {
        case LOSS_SSE:      return -2.0 * x[0] * x[1];   /* -2 (y - a) g'(in) */
        case LOSS_HALF_SSE: return -x[0] * x[1];         /* -(y - a) g'(in) */
        default:            return x[0] - x[1];          /* a - y */
        }
    case OP_DELTA_HID:                         /* g'(in_j) sum_k w_jk Delta_k */
        if (n < 1 || (n - 1) % 2) return NAN;
        for (size_t p = 1; p < n; p += 2) v += x[p] * x[p + 1];
        return x[0] * v;
    case OP_PRODUCT:
        return n == 2 ? x[0] * x[1] : NAN;
    case OP_MEAN:
        if (n == 0) return NAN;
        for (size_t p = 0; p < n; p++) v += x[p];
        return v / (double)n;
    case OP_UPDATE:                            /* w - alpha grad - 2 alpha lambda w */
        return n == 2 ? x[0] - s->p1 * x[1] - 2.0 * s->p1 * s->p2 * x[0] : NAN;
    case OP_PERCEPTRON:                        /* w + alpha (y - h) x */
        return n == 4 ? x[0] + s->p1 * (x[1] - x[2]) * x[3] : NAN;
    case OP_STEPSUM:
        return n == 1 ? (x[0] >= 0 ? 1.0 : 0.0) : NAN;
    case OP_SCALE:
        return n == 1 ? s->p1 * x[0] : NAN;
    case OP_NORMALISE:
        if (n != 3) return NAN;
        if (s->p1 == 0) return x[2] != 0 ? (x[0] - x[1]) / x[2] : 0.0;
        return x[2] != x[1] ? (x[0] - x[1]) / (x[2] - x[1]) : 0.0;
    case OP_BN:                                /* gamma (z - mu)/sqrt(var + 1e-5) + beta */
        return n == 3 ? s->p1 * (x[0] - x[1]) / sqrt(x[2] + 1e-5) + s->p2 : NAN;
    case OP_VAR:                               /* mean of (v - mu)^2, mu last */
        if (n < 2) return NAN;
        for (size_t p = 0; p + 1 < n; p++) v += (x[p] - x[n - 1]) * (x[p] - x[n - 1]);
        return v / (double)(n - 1);
    case OP_SQRT:                              /* sd = sqrt(var) */
        return n == 1 ? sqrt(x[0]) : NAN;
    case OP_MIN:
    case OP_MAX:
        if (n == 0) return NAN;
        v = x[0];
        for (size_t p = 1; p < n; p++)
            if (s->op == OP_MIN ? x[p] < v : x[p] > v) v = x[p];
        return v;
    default:
        return NAN;
    }
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
    double r = (frac >= 0.5 - 64.0 * DBL_EPSILON * fmax(1.0, fabs(s))) ? lo + 1 : lo;
    return copysign(r, x) / p;
}
