/*
 * trace.h - a trace is a graph of quantities.
 *
 * Every number the scalar engine computes is one `quantity`: its kind, its
 * indices (neuron j, source neuron i of an arc, iteration t, and e, the
 * lesson example it belongs to when several are in play), the operation that made it (eval.h) and the ids of its
 * operands, and its value. Operand ids always point backwards (a quantity is
 * added after its operands), so the array order is a valid evaluation order.
 *
 * Values are computed only by trace_add, through eval_apply. When the trace
 * rounds (hand-calculation mode), each operand is rounded to `round` decimals
 * before it is used, and the quantity itself is exact over those operands.
 *
 * Ownership: the trace owns its two arrays; trace_free releases everything.
 */
#ifndef NNTRACE_TRACE_H
#define NNTRACE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "eval.h"

typedef enum {
    Q_INPUT, Q_BIAS, Q_TARGET, Q_WEIGHT, Q_IN, Q_ACT, Q_DERIV, Q_ERR, Q_LOSS,
    Q_DELTA, Q_GRAD, Q_UPDATE, Q_MEAN, Q_VAR, Q_MASK,
    /* added (keep at the end): input normalisation, batch norm, dropout */
    Q_SD, Q_MIN, Q_MAX, Q_XNORM, Q_BN, Q_KEEP, Q_DROP, Q_DDERIV,
    /* added (keep at the end): the chain-rule factors of the backward pass
     * (lesson key `chain`): dJ/da_j; output k's own term dJ_k/da_j of a
     * hidden j (i = j, j = k: the arc j -> k); din_j/dw_ij = a_i (i, j) */
    Q_DJDA, Q_DJDA_TERM, Q_DNDW,
    Q_KIND_COUNT
} q_kind;

typedef enum {
    PASS_GIVEN, PASS_FORWARD, PASS_LOSS, PASS_BACKWARD, PASS_GRADIENT,
    PASS_UPDATE, PASS_COUNT
} q_pass;

/* Why a constant is given (provenance the engine records; views read it). */
typedef enum {
    GIVEN_NOT = 0,      /* computed by its operation */
    GIVEN_BIAS,         /* the bias a_0 = 1 */
    GIVEN_LESSON,       /* a weight w^(0) of the lesson (a `weight` line or `init`) */
    GIVEN_CARRIED,      /* a weight after steps that were run but not traced */
    GIVEN_EXAMPLE,      /* an input x_j or target y_j of lesson example `ex` */
    GIVEN_DRAW,         /* a seeded dropout draw */
} q_given;

typedef struct {
    q_kind   kind;
    q_pass   pass;
    int32_t  i, j;       /* neurons: j the quantity's neuron, i the arc source (-1) */
    int32_t  t;          /* iteration whose weights it uses (0 = first) */
    int32_t  e;          /* provenance: the lesson example (its `example` line,
                            1-based) inside a mini-batch or a forward pass over
                            several examples; 0 = one example, not numbered */
    int32_t  ex;         /* provenance: the lesson example (1-based) the quantity
                            was computed from, also outside a batch; 0 = none
                            (weights, updates, batch means and statistics) */
    q_given  why;        /* provenance of a constant: why it is given */
    op_spec  spec;       /* operation and parameters */
    uint32_t first;      /* operand ids are ops[first .. first + nops) */
    uint32_t nops;
    unsigned notes;      /* EVAL_NOTE_* */
    double   value;
    const char *tie;     /* a tied parameter's weight, gradient or update: the
                            tie's name (lesson.h lesson_tie; borrowed from the
                            lesson, which outlives its traces); i, j are its
                            first arc. NULL for everything else */
} quantity;

typedef struct {
    quantity *q;    size_t n, cap;
    uint32_t *ops;  size_t nops, opscap;
    int round;      /* decimals operands are rounded to; -1 = exact */
    int steps;      /* training steps the engine ran (the perceptron may stop early) */
    size_t max_q;   /* at most this many quantities (trace_new: TRACE_MAX_QUANTITIES) */
    int trace_all;  /* the run was asked to trace every step (engine_opts.trace_all,
                       --all-steps): which steps it traced is engine_traced's answer */
} trace;

/* A new empty trace; NULL when out of memory. Free with trace_free. */
trace *trace_new(int round_digits);
void trace_free(trace *tr);    /* NULL is a no-op */

/* A trace holds at most this many quantities and operand ids (1.6 GB and
 * 256 MB): a lesson that traces more steps gets TRACE_ERR_FULL, a clear
 * error, instead of exhausting the machine's memory. */
#define TRACE_MAX_QUANTITIES (1u << 24)
#define TRACE_MAX_OPERANDS   (1u << 26)
enum { TRACE_ERR_NOMEM = -1, TRACE_ERR_FULL = -2 };

/* Append a quantity shaped like proto (its first/nops/notes are ignored)
 * with the given operand ids, all < tr->n (asserted). OP_CONST keeps
 * proto->value; any other op is evaluated over the (rounded) operand values.
 * Returns the new id, TRACE_ERR_NOMEM when out of memory, or TRACE_ERR_FULL
 * past tr->max_q quantities or TRACE_MAX_OPERANDS operand ids. */
long trace_add(trace *tr, const quantity *proto, const uint32_t *operands, size_t n);

/* The value quantity id contributes when used as an operand: its value,
 * rounded to tr->round decimals in hand-calculation mode. */
double trace_operand_value(const trace *tr, uint32_t id);

/* Canonical ASCII name (DESIGN.md): x_1 a_0 y_5 w_1,3 in_3 a_3 g'(in_3) J
 * err_3 delta_3 dJ/dw_1,3 (chain factors: dJ/da_3 dJ_5/da_3 din_5/dw_3,5), with ^(t) for t > 0 and [e] inside a batch;
 * a tied parameter is its tie's name: b1, dJ/db1, b1^(1).
 * Writes at most size bytes; returns the length it needed (snprintf rules). */
int trace_name(const quantity *q, char *buf, size_t size);
/* The canonical base of a quantity of this kind with indices i, j, without
 * tie, ^(t) or [e]: w_1,3 for (Q_WEIGHT, 1, 3), y_5 for (Q_TARGET, -, 5).
 * The one place each base is spelt; snprintf rules. */
int trace_base_name(q_kind kind, int i, int j, char *buf, size_t size);

/* Is q a tied parameter's weight, gradient or update (named by its tie)? */
static inline int trace_tied(const quantity *q)
{
    return q->tie && (q->kind == Q_WEIGHT || q->kind == Q_GRAD || q->kind == Q_UPDATE);
}

const char *trace_kind_name(q_kind k);
const char *trace_pass_name(q_pass p);

/* First quantity with this canonical name, or -1. Linear: for small traces. */
long trace_find(const trace *tr, const char *name);

/* Does tr (may be NULL) hold a quantity of this kind? (Q_DJDA: the
 * chain-rule factors are in it.) */
int trace_has_kind(const trace *tr, q_kind kind);

#endif
