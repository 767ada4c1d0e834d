/*
 * eval.h - the one evaluator: every formula nntrace knows lives here.
 *
 * A quantity of the trace (trace.h) names an operation and its operands; this
 * module computes the operation from operand values, writes its symbolic and
 * substituted text, and knows the activations and losses. The engine builds
 * the trace with it, the grader re-applies it to a student's own numbers, and
 * the spreadsheet view asks it for an Excel formula. Nothing else does math.
 *
 * Operand layout per operation (x[] are operand values, n their count):
 *   OP_CONST       -                      value given
 *   OP_WSUM        w_0,j a_0 w_1,j a_1 ... in_j = sum over pairs w*a
 *   OP_ACT         in_j [in_k ... softmax] a_j = g(in_j); softmax: x[0] own, x[1..] layer
 *   OP_DACT        in_j a_j               g'(in_j) (logistic/tanh read a_j)
 *   OP_ERR         y_j a_j                y_j - a_j
 *   OP_LOSS        y_1 a_1 y_2 a_2 ...    J by loss kind
 *   OP_DELTA_OUT   sse/half: err_j g'     -2 err g' / -err g'
 *                  bce/ce:   a_j y_j      a - y
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
 */
#ifndef NNTRACE_EVAL_H
#define NNTRACE_EVAL_H

#include <stddef.h>

typedef enum {
    ACT_IDENTITY, ACT_STEP, ACT_LOGISTIC, ACT_TANH, ACT_ARCTAN, ACT_RELU,
    ACT_LEAKY_RELU, ACT_PRELU, ACT_ELU, ACT_SOFTPLUS, ACT_SOFTMAX, ACT_COUNT
} act_kind;

typedef enum { LOSS_SSE, LOSS_HALF_SSE, LOSS_BCE, LOSS_SOFTMAX_CE, LOSS_COUNT } loss_kind;

typedef enum {
    OP_CONST, OP_WSUM, OP_ACT, OP_DACT, OP_ERR, OP_LOSS, OP_DELTA_OUT,
    OP_DELTA_HID, OP_PRODUCT, OP_MEAN, OP_UPDATE, OP_PERCEPTRON, OP_STEPSUM,
    OP_SCALE, OP_NORMALISE, OP_BN, OP_VAR,
    OP_SQRT, OP_MIN, OP_MAX,        /* added for input normalisation */
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
                          OP_BN: gamma, beta */
} op_spec;

/* Notes an evaluation attaches to its result (bit flags). */
enum {
    EVAL_NOTE_LOG_GUARD = 1,  /* a log argument was clamped to 1e-12 */
    EVAL_NOTE_KINK      = 2,  /* g' taken at a point where it is undefined */
};

/* Apply spec to the n operand values x. *notes (may be NULL) gets EVAL_NOTE_*.
 * Returns the value; NaN when the operand count does not fit the operation. */
double eval_apply(const op_spec *spec, const double *x, size_t n, unsigned *notes);

/* g(v) and g'(v) given v = in and a = g(in) (softmax: not defined, NaN). */
double act_g(act_fn f, double v);
double act_dg(act_fn f, double v, double a, unsigned *notes);

/* Parse "logistic", "leaky-relu", "leaky-relu(0.1)", "elu(1)" ... into *f.
 * Returns 0 on success, -1 on an unknown name or a bad parameter. */
int act_parse(const char *s, act_fn *f);
const char *act_name(act_kind k);
/* Text of g and g' with %s standing for the argument, e.g. "1/(1+exp(-%s))". */
const char *act_formula(act_kind k);
const char *act_dformula(act_kind k);
/* Convention note for g' at its kink, or NULL when g' is defined everywhere. */
const char *act_kink_note(act_kind k);

int loss_parse(const char *s, loss_kind *k);
const char *loss_name(loss_kind k);

/* Round x to d decimals, half away from zero, as a calculator does. A value
 * that is a decimal tie up to binary representation error (0.21215 stored as
 * 0.21214999...) rounds as the tie it stands for. d < 0 returns x. */
double round_dp(double x, int d);

#endif
