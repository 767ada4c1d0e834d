/*
 * eval.h - the one evaluator, and the descriptor tables every formula and
 * every activation and loss name comes from.
 *
 * Three tables, one row per thing:
 *   act_row   one per activation (act_table.c): names, parameter, g, g',
 *             the lecture's form of each in every syntax, the kink rule;
 *   loss_row  one per loss (loss_table.c): J, the output delta, which
 *             output activation it needs, and how both are written;
 *   op_row    one per operation (ops.c): arity, evaluation, rendering.
 * eval_apply computes an operation through its row; the formula renderer
 * (formula.h) writes it through the same row, so a formula exists once.
 * Parsers, "known: ..." messages, help texts and the spreadsheet's Settings
 * sheet read the rows; tests loop over them.
 *
 * Operand layout per operation (x[] are operand values, n their count):
 *   OP_CONST       -                      value given
 *   OP_WSUM        w_0,j a_0 w_1,j a_1 ... in_j = sum over pairs w*a
 *   OP_ACT         in_j [in_k ... softmax] a_j = g(in_j); softmax: x[0] own, x[1..] layer
 *   OP_DACT        in_j a_j               g'(in_j) (logistic/tanh read a_j)
 *   OP_ERR         y_j a_j                y_j - a_j
 *   OP_LOSS        y_1 a_1 y_2 a_2 ...    J by loss kind
 *   OP_DELTA_OUT   uses_err: err_j g'     by loss kind (p1: number of outputs)
 *                  else:     a_j y_j      a - y
 *   OP_DELTA_HID   g' w_j,k1 D_k1 ...     g' * sum w*D
 *   OP_PRODUCT     u v                    u*v
 *   OP_MEAN        v_1 ... v_n            mean
 *   OP_UPDATE      w grad                 w - alpha*grad - 2*alpha*lambda*w
 *   OP_PERCEPTRON  w y h x                w + alpha*(y - h)*x
 *   OP_STEPSUM     in                     h = step(in) (perceptron output)
 *   OP_SCALE       u                      p1 * u (dropout mask/keep)
 *   OP_NORMALISE   v mean sd | v min max  z-score or min-max (p1 selects)
 *   OP_BN          z mean var             gamma*(z-mean)/sqrt(var+eps)+beta
 *   OP_VAR         v_1 ... v_n mean       population variance
 *   OP_SQRT        v                      sqrt(v) (standard deviation from a variance)
 *   OP_MIN         v_1 ... v_n            smallest value
 *   OP_MAX         v_1 ... v_n            largest value
 *   OP_SUM         v_1 ... v_n            v_1 + ... + v_n (dJ/da_j from its terms;
 *                                         a tie's gradient, the sum over its arcs)
 *   OP_COPY        v                      v (din_j/dw_ij = a_i)
 *   OP_DLOSS       y_j a_j                dJ/da_j of an output, by loss kind (p1: outputs)
 */
#ifndef NNTRACE_EVAL_H
#define NNTRACE_EVAL_H

#include <float.h>
#include <math.h>
#include <stddef.h>

/* The batch-norm epsilon: BN(z) = gamma (z - mu)/sqrt(var + EVAL_BN_EPS) + beta. */
#define EVAL_BN_EPS 1e-5
/* A log argument below this is taken as this (the note EVAL_NOTE_LOG_GUARD). */
#define EVAL_LOG_GUARD 1e-12

/* The syntaxes a formula is written in (formula.h). */
typedef enum { SYN_ASCII, SYN_UNICODE, SYN_XLSX, SYN_LATEX, SYN_COUNT } syntax;

typedef enum {
    ACT_IDENTITY, ACT_STEP, ACT_LOGISTIC, ACT_TANH, ACT_ARCTAN, ACT_RELU,
    ACT_LEAKY_RELU, ACT_PRELU, ACT_ELU, ACT_SOFTPLUS, ACT_SOFTMAX, ACT_COUNT
} act_kind;

typedef enum { LOSS_SSE, LOSS_HALF_SSE, LOSS_MSE, LOSS_BCE, LOSS_SOFTMAX_CE, LOSS_COUNT } loss_kind;

typedef enum {
    OP_CONST, OP_WSUM, OP_ACT, OP_DACT, OP_ERR, OP_LOSS, OP_DELTA_OUT,
    OP_DELTA_HID, OP_PRODUCT, OP_MEAN, OP_UPDATE, OP_PERCEPTRON, OP_STEPSUM,
    OP_SCALE, OP_NORMALISE, OP_BN, OP_VAR,
    OP_SQRT, OP_MIN, OP_MAX,        /* added for input normalisation */
    OP_SUM, OP_COPY, OP_DLOSS,      /* added for the chain-rule factors */
    OP_COUNT
} op_kind;

/* An activation: kind plus its parameter (leaky/PReLU slope, ELU alpha). */
typedef struct { act_kind kind; double param; } act_fn;

/* Everything an operation needs besides its operand values. */
typedef struct {
    op_kind   op;
    act_fn    act;     /* OP_ACT, OP_DACT */
    loss_kind loss;    /* OP_LOSS, OP_DELTA_OUT */
    double    p1, p2;  /* OP_UPDATE: alpha, lambda; OP_PERCEPTRON: alpha;
                          OP_SCALE: factor; OP_NORMALISE: 0 z-score, 1 min-max;
                          OP_BN: gamma, beta; OP_DELTA_OUT, OP_DLOSS: number of outputs */
} op_spec;

/* Notes an evaluation attaches to its result (bit flags). */
enum {
    EVAL_NOTE_LOG_GUARD = 1,  /* a log argument was clamped to EVAL_LOG_GUARD */
    EVAL_NOTE_KINK      = 2,  /* g' taken at a point where it is undefined */
    EVAL_NOTE_CONSTANT  = 4,  /* a normalised input of a feature with sd 0 (max = min): taken as 0 */
};

/* The notes of a result as sentences, in bit order: the activation's kink
 * convention for EVAL_NOTE_KINK (k: the quantity's activation; none when it
 * has no kink), "a log argument below 1e-12 was taken as 1e-12" for
 * EVAL_NOTE_LOG_GUARD, and the constant feature's convention for
 * EVAL_NOTE_CONSTANT. Fills out[] and returns how many (at most
 * EVAL_MAX_NOTES). The text trace, step, the spreadsheet and the records
 * all say a note with these words. */
#define EVAL_MAX_NOTES 3
size_t eval_notes(unsigned notes, act_kind k, const char *out[EVAL_MAX_NOTES]);

/* ------------------------------------------------------------------------
 * The rows
 * ---------------------------------------------------------------------- */

struct fr;   /* the renderer's state (formula.h) */

/* One activation. Templates: %x the argument in_j, %a the activation
 * a_j = g(in_j) (g' only), %p the parameter; an operand that a template puts
 * alone in parentheses, as in "step(%x)", is not parenthesised again. */
typedef struct {
    const char *name;             /* the lesson's word, lower case */
    const char *aliases;          /* other accepted words, space separated, or "" */
    const char *lecture;          /* where the lectures define it */
    const char *param_name;       /* "slope", "alpha"; NULL: takes no parameter */
    double      param;            /* the parameter's default */
    double    (*g)(double x, double p);             /* NULL: layer-wide (softmax) */
    double    (*dg)(double x, double a, double p);  /* a = g(x) */
    const char *g_form[SYN_COUNT];
    const char *dg_form[SYN_COUNT];
    const char *kink;             /* note when g'(0) is undefined and a convention is taken */
    const char *tex_name;         /* the lecture's letter for g in LaTeX ("\\sigma"); NULL: g */
    int         saturates;        /* g flattens out for large |x| (g' -> 0): logistic, tanh, arctan */
    int         kinked;           /* g' jumps at 0 (a hand calculation should not sit there) */
} act_row;

/* One loss over output pairs (y_k, a_k). */
typedef struct {
    const char *name, *aliases, *lecture;
    int         uses_err;         /* delta from err_j = y_j - a_j and g'(in_j); else from a_j, y_j */
    act_kind    needs_out;        /* the output activation it requires; ACT_COUNT: any but softmax */
    const char *needs_msg;        /* the message when that is broken */
    int         logs;             /* J sums y ln a: each a near 1 leaves J an absolute round-off
                                   * of about DBL_EPSILON, however small J is (gradcheck's floor) */
    double    (*value)(const double *x, size_t n, unsigned *notes);
    double    (*delta)(const op_spec *s, const double *x);
    void      (*render_value)(struct fr *f);
    void      (*render_delta)(struct fr *f);
    /* dJ/da_j of an output from (y_j, a_j), the chain factor before g'; for
     * a uses_err loss delta(err, g') is exactly dout(y, a) * g' (one formula) */
    double    (*dout)(const op_spec *s, const double *x, unsigned *notes);
    void      (*render_dout)(struct fr *f);
} loss_row;

/* One operation: n operands fit when n >= min, n <= max (max < 0: any) and
 * (n - skip) is a multiple of stride. */
typedef struct {
    const char *name;
    int         min, max, stride, skip;
    double    (*eval)(const op_spec *s, const double *x, size_t n, unsigned *notes);
    void      (*render)(struct fr *f);
} op_row;

extern const act_row  ACT_ROWS[ACT_COUNT];
extern const loss_row LOSS_ROWS[LOSS_COUNT];
extern const op_row   OP_ROWS[OP_COUNT];

/* ------------------------------------------------------------------------
 * Evaluation
 * ---------------------------------------------------------------------- */

/* A sum or difference whose terms cancel to within the rounding error of
 * binary arithmetic is 0: the decimal sum -0.9 + 0.8 + 0.1 is exactly 0,
 * but in binary it is 2.8e-17, which every view would print as a number
 * of its own and `check` would hold against a student's 0. scale is the
 * sum of the terms' magnitudes; no value this close to 0 relative to its
 * terms is known to any digit, so nothing real is lost. Every operation
 * that adds or subtracts (below, ops.c, loss_table.c) goes through here.
 * An overflow (v or scale not finite) is left as it is, for the trace to
 * report. */
#define EVAL_CANCEL_ULPS 16.0
static inline double eval_cancel(double v, double scale)
{
    return isfinite(v) && isfinite(scale) && fabs(v) <= EVAL_CANCEL_ULPS * DBL_EPSILON * scale ? 0.0 : v;
}
/* a - b, 0 when the two agree to rounding error */
static inline double eval_diff(double a, double b) { return eval_cancel(a - b, fabs(a) + fabs(b)); }

/* v_1 + ... + v_n, from 0, in order: eval_wsum's summation, so a sum of
 * the products w*v is bit for bit their eval_wsum */
static inline double eval_sum(const double *x, size_t n)
{
    double v = 0.0, scale = 0.0;
    for (size_t p = 0; p < n; p++) { v += x[p]; scale += fabs(x[p]); }
    return eval_cancel(v, scale);
}

/* The formulas of the operations a training step applies per weight, once
 * for the rows of ops.c and for the engine's untraced steps (engine.c),
 * which call them in loops without building operand lists:
 *   OP_WSUM    sum over pairs x[0]*x[1] + x[2]*x[3] + ..., from 0, in order
 *   OP_PRODUCT u*v
 *   OP_MEAN    (v_1 + ... + v_n)/n
 *   OP_SUM     v_1 + ... + v_n, from 0, in order
 *   OP_UPDATE  w - alpha*grad - 2*alpha*lambda*w */
static inline double eval_wsum(const double *x, size_t n)
{
    double v = 0.0, scale = 0.0;
    for (size_t p = 0; p + 1 < n; p += 2) { v += x[p] * x[p + 1]; scale += fabs(x[p] * x[p + 1]); }
    return eval_cancel(v, scale);
}
static inline double eval_product(double u, double v) { return u * v; }
static inline double eval_mean(const double *x, size_t n) { return eval_sum(x, n) / (double)n; }
static inline double eval_update(double w, double grad, double alpha, double lambda)
{
    double step = alpha * grad, decay = 2.0 * alpha * lambda * w;
    return eval_cancel(w - step - decay, fabs(w) + fabs(step) + fabs(decay));
}

/* Apply spec to the n operand values x. *notes (may be NULL) gets EVAL_NOTE_*.
 * Returns the value; NaN when the operand count does not fit the operation. */
double eval_apply(const op_spec *spec, const double *x, size_t n, unsigned *notes);

/* Does an operation take n operands (its row's arity rule)? */
int op_arity_ok(op_kind op, size_t n);

/* g(v) and g'(v) given v = in and a = g(in) (softmax: not defined, NaN). */
double act_g(act_fn f, double v);
double act_dg(act_fn f, double v, double a, unsigned *notes);

/* Parse "logistic", "ReLU", "leaky-relu", "leaky-relu(0.1)", "elu(1)" ...
 * (names and aliases, any case) into *f. Returns 0 on success, -1 on an
 * unknown name or a bad parameter. */
int act_parse(const char *s, act_fn *f);
const char *act_name(act_kind k);
/* Why act_parse refused s when it names an activation but its parameter is
 * wrong ("relu takes no parameter (these do: ...)", "the slope of
 * leaky-relu is a number in parentheses, as leaky-relu(0.01), not
 * '(0,1)'"): 1 with the reason in buf; 0 when the name itself is unknown. */
int act_param_problem(const char *s, char *buf, size_t size);
/* Convention note for g' at its kink, or NULL when g' is defined everywhere. */
const char *act_kink_note(act_kind k);
/* "leaky-relu(0.01)" / "logistic": the activation as a lesson writes it. */
void act_label(act_fn f, char *buf, size_t size);
/* "identity, step, logistic, ..., softmax": every row, parameters shown as
 * "leaky-relu(s)". Same return as snprintf. */
int act_known(char *buf, size_t size);
/* "did you mean": the activation names nearest the misspelt word (its
 * parameter, "(0.1)", aside) into buf, as suggest() joins them; returns how
 * many (0: buf is ""). */
int act_suggest(const char *word, char *buf, size_t size);

int loss_parse(const char *s, loss_kind *k);
const char *loss_name(loss_kind k);
int loss_known(char *buf, size_t size);    /* "sse, half-sse, ..." */
int loss_suggest(const char *word, char *buf, size_t size);   /* as act_suggest */

/* Round x to d decimals, half away from zero, as a calculator does. A value
 * that is a decimal tie up to binary representation error (0.21215 stored as
 * 0.21214999...) rounds as the tie it stands for. d < 0 returns x.
 * In real arithmetic, with s = |x| 10^d, the result is
 * sign(x) floor(s + 1/2 + min(e max(1, s), ROUND_DP_WINDOW)) / 10^d,
 * e = 2^-ROUND_DP_SLACK_LOG2 = 64 DBL_EPSILON (the spreadsheet writes the same
 * formula without the cap, xlsx.c round_units: they differ only from
 * s = 2^42 on, where a double holds under 4 bits below the unit). */
#define ROUND_DP_SLACK_LOG2 46
#define ROUND_DP_WINDOW 0.0625
double round_dp(double x, int d);

#endif
