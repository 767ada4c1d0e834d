/*
 * engine.h - the scalar (V, A) engine: builds a lesson's trace.
 *
 * The engine walks lecture 001's algorithms (FORWARDPROPAGATE, BACKPROPAGATE,
 * NEURALNETTRAIN) one neuron at a time and records every number as a
 * quantity of a trace (trace.h); the values themselves come from the
 * evaluator through trace_add, never from the engine.
 *
 * Step k (1-based) uses iteration t = k - 1: weights w^(t), the examples
 * (t*B + b) mod n for b < B (B = batch), and produces w^(t+1). Inside a
 * batch a quantity's e is the lesson example it belongs to (1-based), so
 * a_3[3] is a_3 of the third `example` line whatever its place in the
 * batch. A step that is not traced makes no quantities: it is computed on
 * values through the same evaluator (engine.c, vtrain_step and
 * vperceptron_step), keeping only its new weights, so long runs cost no
 * memory and run at the speed of plain numbers.
 */
#ifndef NNTRACE_ENGINE_H
#define NNTRACE_ENGINE_H

#include <stddef.h>

#include "lesson.h"
#include "trace.h"

#define ENGINE_ROUND_LESSON (-2)   /* engine_opts.round: use the lesson's setting */
#define ENGINE_DEFAULT_TRACED 20   /* lessons without `trace` trace all steps up to this */

/* What engine_run and engine_loss_grad report; engine_strerror says it in
 * words. ENG_STATUS_COUNT is not a status. */
typedef enum {
    ENG_OK = 0,
    ENG_ERR_NOMEM,          /* an allocation failed */
    ENG_ERR_TRACE_FULL,     /* the traced steps need more than TRACE_MAX_QUANTITIES */
    ENG_ERR_TOO_MUCH_WORK,  /* beyond ENGINE_MAX_WORK or ENGINE_MAX_TRACED (engine_check_work) */
    ENG_ERR_NAME,           /* an `expect` or `ask` line names no quantity (lesson_names_check);
                               err is "path:line: what, did you mean" */
    ENG_STOPPED,            /* engine_opts.watch asked the run to stop */
    ENG_STATUS_COUNT
} engine_status;

/* A static sentence for s (never NULL; "unknown engine status" if s is not one). */
const char *engine_strerror(engine_status s);
/* Bounded work: a lesson's run is refused before it starts (engine_run's
 * message says which numbers multiply to what) when
 *   steps x batch x (arcs + neurons)           > ENGINE_MAX_WORK   (time), or
 *   traced steps x quantities of one step      > ENGINE_MAX_TRACED (memory:
 *                                                 the trace, and every view's
 *                                                 copy of it: text, xlsx, json)
 * The README's robustness table gives the worst case measured at these. */
#define ENGINE_MAX_WORK   5.0e7
#define ENGINE_MAX_TRACED 1.0e6

typedef struct {
    int round;          /* ENGINE_ROUND_LESSON, -1 exact, or decimals */
    int trace_all;      /* trace every step, whatever the lesson says */
    size_t max_quantities;  /* 0: TRACE_MAX_QUANTITIES; a test may lower it */
    /* progress of a long run (added; keep at the end): called now and then
     * with the steps done and the steps in all; NULL = none */
    void (*progress)(void *ctx, long done, long all);
    void *progress_ctx;
    /* 1: add the chain-rule factors to the trace (--chain), whatever the
     * lesson's `chain` key says; 0: as the lesson says */
    int chain;
    /* a caller's watch over the run (added; keep at the end), NULL = none.
     * Called after every step k (1-based) with the quantities that became
     * final since its last call, ids [from, to) of tr: a traced step's, and
     * the weights carried into it; none after an untraced step (k still
     * counts it). Called once more at the end, with k = 0, with the rest
     * (the final forward pass; every quantity of a lesson with no steps).
     * Over all calls it sees every quantity of the finished trace once, in
     * order, and no other. A nonzero
     * return stops the run: engine_run returns ENG_STOPPED and no result,
     * so a caller that only judges the trace (variant.c) can stop at the
     * first quantity it rejects instead of running the lesson to its end. */
    int (*watch)(void *ctx, const trace *tr, size_t from, size_t to, int k);
    void *watch_ctx;
    /* 1: a second arithmetic of a lesson whose first run checked its names
     * (the grader's hand-rounded trace): the lesson's expect and ask names
     * are not checked against this trace, whose steps may differ (a
     * perceptron rounded to the answer's decimals can take more updates,
     * so w^(6) of the lesson's trace is w^(9) here). (added; keep at the end) */
    int names_checked;
} engine_opts;

typedef struct {
    trace  *tr;         /* owned */
    double *loss;       /* [steps]: J of each step (batch mean); NaN without targets */
    double *weights;    /* [n_arcs]: weights after the last step, in arc order */
    int     steps;      /* steps run (the perceptron may stop early) */
    /* rule perceptron (added; keep at the end) */
    int    *epoch_mistakes;   /* [n_epochs]: examples misclassified in each epoch */
    int     n_epochs;         /* epochs run */
    int     converged;        /* 1: the last epoch made no mistake */
} engine_result;

/* Run the lesson. On success returns ENG_OK and fills *out (free it with
 * engine_result_free); on failure returns the status with
 * "path: engine_strerror(status)" in err (ENG_ERR_NAME: "path:line: ..."). */
engine_status engine_run(const lesson *l, const engine_opts *opts, engine_result *out,
               char *err, size_t errsize);
void engine_result_free(engine_result *r);

/* How many values of the run are not finite numbers (an overflow to inf, or
 * nan after it): traced quantities, the loss of every step (when the lesson
 * has targets) and the final weights. The first of them is described in
 * first ("in_3^(2) = inf"; size bytes, empty when none). Views note them in
 * the trace and refuse to write them where a number must go (xlsx). */
size_t engine_nonfinite(const lesson *l, const engine_result *r, char *first, size_t size);

/* Is the lesson's work within the bounds above under these options? 0, or
 * -1 with "path: ..." saying which numbers multiply to what. */
int engine_check_work(const lesson *l, const engine_opts *opts, char *err, size_t errsize);

/* Does the trace carry the chain-rule factors (lesson key `chain` or
 * opts->chain)? dJ/da_j of every processing neuron (002: dE_total/dout_h1;
 * a hidden neuron's as the sum of its outputs' own terms dJ_k/da_j,
 * dE_o1/dout_h1, when its arcs all end at outputs), da_j/din_j = g'(in_j)
 * (also on a bce output), and din_j/dw_ij = a_i before each gradient, which
 * then reads Delta_j * din_j/dw_ij. Delta_j reads dJ/da_j * g'(in_j) where
 * that is bit for bit the delta rule (exact operands; not the a - y of a
 * cross-entropy output; not under dropout, where dJ/da_j = r_j sum_k
 * w_jk Delta_k), so the factors never change a Delta, a gradient or a weight. */
int engine_chain(const lesson *l, const engine_opts *opts);

/* Is 1-based step k traced under these options? */
int engine_traced(const lesson *l, const engine_opts *opts, int k);
/* The first traced step >= k (and <= the lesson's steps), or 0 when none:
 * the one place the rule is written (`trace`, `trace all`, the default). */
int engine_next_traced(const lesson *l, const engine_opts *opts, int k);

/* For gradient checking: with weights w[n_arcs] in place of the lesson's,
 * exact arithmetic, the first batch: J, and (if grad != NULL) backprop's
 * dJ/dw for every arc (frozen arcs too). Returns ENG_OK or what failed. */
engine_status engine_loss_grad(const lesson *l, const double *w, double *J, double *grad);

/* engine_loss_grad with a test hook: when dact != NULL, g'(in_j) of layer ly
 * (0-based) is evaluated as activation dact[ly]'s derivative, so a test can
 * inject a wrong g' and see the gradient check catch it. */
engine_status engine_loss_grad_hook(const lesson *l, const double *w, const act_fn *dact, double *J, double *grad);

/* engine_loss_grad_hook that also ORs into *notes every EVAL_NOTE_* of the
 * batch's quantities (EVAL_NOTE_LOG_GUARD: a log argument was clamped, so
 * J is flat there while backprop's Delta = a - y is not). */
engine_status engine_loss_grad_notes(const lesson *l, const double *w, const act_fn *dact, double *J, double *grad,
                                     unsigned *notes);

#endif
