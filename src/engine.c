/*
 * engine.c - forward, loss, backward, gradients and update as a trace.
 *
 * Per neuron id the engine keeps the id of the quantity that currently holds
 * in_j, a_j, g'(in_j) and Delta_j for the example being processed, and per
 * arc the id of the current weight w_ij^(t). Quantities are added in the
 * order the lecture derives them, which is also a valid evaluation order.
 */
#include "engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const lesson *l;
    trace    *tr;
    uint32_t  a0;                  /* the bias a_0 = 1 */
    uint32_t *wid;                 /* [n_arcs] current weight */
    uint32_t *in_id, *act_id, *der_id, *del_id;   /* [max_id+1] */
    uint32_t *gid;                 /* [batch * n_arcs] per-example gradients */
    uint32_t *ops;                 /* scratch operand list */
    size_t    opscap;
    uint32_t  J_id;
    int       all_grads;           /* gradients of frozen arcs too (gradcheck) */
} eng;

static quantity proto(q_kind k, q_pass p, int i, int j, int t, int e, op_kind op)
{
    quantity q;
    memset(&q, 0, sizeof q);
    q.kind = k; q.pass = p; q.i = i; q.j = j; q.t = t; q.e = e;
    q.spec.op = op;
    return q;
}

/* Add a quantity; -1 (out of memory) is turned into a sticky failure by the
 * callers checking eng_ok. Returns the id. */
static int eng_add(eng *g, const quantity *q, const uint32_t *ops, size_t n, uint32_t *id)
{
    long r = trace_add(g->tr, q, ops, n);
    if (r < 0) return -1;
    *id = (uint32_t)r;
    return 0;
}

static int add_const(eng *g, q_kind k, q_pass p, int i, int j, int t, int e, double v, uint32_t *id)
{
    quantity q = proto(k, p, i, j, t, e, OP_CONST);
    q.value = v;
    return eng_add(g, &q, NULL, 0, id);
}

/* ------------------------------------------------------------------------
 * Forward and loss for one example: in_j = sum_i w_ij a_i, a_j = g(in_j),
 * then J over the outputs (lecture 001, FORWARDPROPAGATE).
 * ---------------------------------------------------------------------- */
static int forward(eng *g, int t, int e, const double *x, const double *y)
{
    const lesson *l = g->l;
    for (int k = 0; k < l->n_in; k++)
        if (add_const(g, Q_INPUT, PASS_FORWARD, -1, l->inputs[k], t, e, x[k], &g->act_id[l->inputs[k]]))
            return -1;
    g->act_id[0] = g->a0;
    for (int ly = 0; ly < l->n_layers; ly++) {
        const lesson_layer *L = &l->layers[ly];
        for (int k = 0; k < L->count; k++) {
            int j = l->neurons[L->first + k];
            size_t n = 0;
            for (int a = l->arc_in[j]; a < l->arc_in[j + 1]; a++) {
                g->ops[n++] = g->wid[a];
                g->ops[n++] = g->act_id[l->arcs[a].i];
            }
            quantity q = proto(Q_IN, PASS_FORWARD, -1, j, t, e, OP_WSUM);
            if (eng_add(g, &q, g->ops, n, &g->in_id[j])) return -1;
            if (L->act.kind == ACT_SOFTMAX) continue;
            q = proto(Q_ACT, PASS_FORWARD, -1, j, t, e, OP_ACT);
            q.spec.act = L->act;
            if (eng_add(g, &q, &g->in_id[j], 1, &g->act_id[j])) return -1;
        }
        if (L->act.kind != ACT_SOFTMAX) continue;
        for (int k = 0; k < L->count; k++) {        /* a_k = exp(in_k) / sum_m exp(in_m) */
            int j = l->neurons[L->first + k];
            size_t n = 0;
            g->ops[n++] = g->in_id[j];
            for (int m = 0; m < L->count; m++) g->ops[n++] = g->in_id[l->neurons[L->first + m]];
            quantity q = proto(Q_ACT, PASS_FORWARD, -1, j, t, e, OP_ACT);
            q.spec.act = L->act;
            if (eng_add(g, &q, g->ops, n, &g->act_id[j])) return -1;
        }
    }
    if (!y) return 0;

    int n_out;
    const int32_t *out = lesson_outputs(l, &n_out);
    uint32_t *yid = g->der_id;      /* targets parked in der_id until backward */
    for (int k = 0; k < n_out; k++)
        if (add_const(g, Q_TARGET, PASS_LOSS, -1, out[k], t, e, y[k], &yid[out[k]])) return -1;
    size_t n = 0;
    for (int k = 0; k < n_out; k++) {
        int j = out[k];
        if (l->loss == LOSS_SSE || l->loss == LOSS_HALF_SSE) {   /* err_j = y_j - a_j */
            uint32_t two[2] = {yid[j], g->act_id[j]};
            quantity q = proto(Q_ERR, PASS_LOSS, -1, j, t, e, OP_ERR);
            if (eng_add(g, &q, two, 2, &g->del_id[j])) return -1;   /* parked too */
        }
        g->ops[n++] = yid[j];
        g->ops[n++] = g->act_id[j];
    }
    quantity q = proto(Q_LOSS, PASS_LOSS, -1, -1, t, e, OP_LOSS);
    q.spec.loss = l->loss;
    return eng_add(g, &q, g->ops, n, &g->J_id);
}

/* ------------------------------------------------------------------------
 * Backward for one example (lecture 001, BACKPROPAGATE):
 *   output:  Delta_j = -2 (y_j - a_j) g'(in_j)   (sse; half-sse without 2;
 *            a_j - y_j for bce on logistic and softmax-ce)
 *   hidden:  Delta_j = g'(in_j) sum_k w_jk Delta_k, layers in reverse
 *   then dJ/dw_ij = Delta_j a_i for every arc that is not frozen.
 * ---------------------------------------------------------------------- */
static int backward(eng *g, int t, int e, uint32_t *grads)
{
    const lesson *l = g->l;
    for (int ly = l->n_layers - 1; ly >= 0; ly--) {
        const lesson_layer *L = &l->layers[ly];
        int is_out = ly == l->n_layers - 1;
        for (int k = 0; k < L->count; k++) {
            int j = l->neurons[L->first + k];
            uint32_t parked_y = g->der_id[j], parked_err = g->del_id[j], gp = 0;
            int ce = is_out && (l->loss == LOSS_BCE || l->loss == LOSS_SOFTMAX_CE);
            if (!ce) {
                uint32_t two[2] = {g->in_id[j], g->act_id[j]};
                quantity q = proto(Q_DERIV, PASS_BACKWARD, -1, j, t, e, OP_DACT);
                q.spec.act = L->act;
                if (eng_add(g, &q, two, 2, &gp)) return -1;
            }
            quantity q = proto(Q_DELTA, PASS_BACKWARD, -1, j, t, e, is_out ? OP_DELTA_OUT : OP_DELTA_HID);
            q.spec.loss = l->loss;
            size_t n = 0;
            if (is_out && ce) {
                g->ops[n++] = g->act_id[j];
                g->ops[n++] = parked_y;
            } else if (is_out) {
                g->ops[n++] = parked_err;
                g->ops[n++] = gp;
            } else {
                g->ops[n++] = gp;
                for (int o = l->arc_out[j]; o < l->arc_out[j + 1]; o++) {
                    int a = l->out_idx[o];
                    g->ops[n++] = g->wid[a];
                    g->ops[n++] = g->del_id[l->arcs[a].j];
                }
            }
            g->der_id[j] = gp;
            if (eng_add(g, &q, g->ops, n, &g->del_id[j])) return -1;
        }
    }
    for (int a = 0; a < l->n_arcs; a++) {
        if (l->arcs[a].frozen && !g->all_grads) continue;
        uint32_t two[2] = {g->del_id[l->arcs[a].j], g->act_id[l->arcs[a].i]};
        quantity q = proto(Q_GRAD, PASS_GRADIENT, l->arcs[a].i, l->arcs[a].j, t, e, OP_PRODUCT);
        if (eng_add(g, &q, two, 2, &grads[a])) return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Set-up
 * ---------------------------------------------------------------------- */

static void eng_free(eng *g)
{
    free(g->wid); free(g->in_id); free(g->act_id); free(g->der_id); free(g->del_id);
    free(g->gid); free(g->ops);
}

static int eng_init(eng *g, const lesson *l, trace *tr, const double *w)
{
    memset(g, 0, sizeof *g);
    g->l = l;
    g->tr = tr;
    size_t nid = (size_t)l->max_id + 1, na = (size_t)(l->n_arcs ? l->n_arcs : 1);
    size_t widest = (size_t)l->n_arcs * 2 + (size_t)l->n_neurons + (size_t)l->batch + 4;
    g->opscap = widest;
    g->wid = calloc(na, sizeof *g->wid);
    g->in_id = calloc(nid, sizeof *g->in_id);
    g->act_id = calloc(nid, sizeof *g->act_id);
    g->der_id = calloc(nid, sizeof *g->der_id);
    g->del_id = calloc(nid, sizeof *g->del_id);
    g->gid = calloc(na * (size_t)l->batch, sizeof *g->gid);
    g->ops = malloc(widest * sizeof *g->ops);
    if (!g->wid || !g->in_id || !g->act_id || !g->der_id || !g->del_id || !g->gid || !g->ops)
        return -1;
    if (add_const(g, Q_BIAS, PASS_GIVEN, -1, 0, 0, 0, 1.0, &g->a0)) return -1;
    for (int a = 0; a < l->n_arcs; a++)
        if (add_const(g, Q_WEIGHT, PASS_GIVEN, l->arcs[a].i, l->arcs[a].j, 0, 0,
                      w ? w[a] : l->arcs[a].w, &g->wid[a]))
            return -1;
    return 0;
}

int engine_traced(const lesson *l, const engine_opts *opts, int k)
{
    if (opts && opts->trace_all) return 1;
    if (!l->trace_steps) return l->steps <= ENGINE_DEFAULT_TRACED || k == 1 || k == l->steps;
    for (int s = 0; s < l->n_trace_steps; s++) if (l->trace_steps[s] == k) return 1;
    return 0;
}

/* One training step at iteration t: every example of the batch forward,
 * loss, backward, then mean gradients (batch > 1) and the update. */
static int train_step(eng *g, int t, double *J)
{
    const lesson *l = g->l;
    int B = l->batch;
    size_t na = (size_t)l->n_arcs;
    double Jsum = 0.0;
    for (int b = 0; b < B; b++) {
        int ex = (int)(((long long)t * B + b) % l->n_examples), e = B > 1 ? b + 1 : 0;
        if (forward(g, t, e, l->ex_x + (size_t)ex * l->n_in, l->ex_y + (size_t)ex * l->n_out) ||
            backward(g, t, e, g->gid + (size_t)b * na))
            return -1;
        Jsum += g->tr->q[g->J_id].value;
    }
    *J = Jsum / B;
    uint32_t *grad = g->gid;
    if (B > 1) {                                   /* dJ/dw = mean_e dJ/dw[e] */
        for (int a = 0; a < l->n_arcs; a++) {
            if (l->arcs[a].frozen) continue;
            for (int b = 0; b < B; b++) g->ops[b] = g->gid[(size_t)b * na + a];
            quantity q = proto(Q_GRAD, PASS_GRADIENT, l->arcs[a].i, l->arcs[a].j, t, 0, OP_MEAN);
            if (eng_add(g, &q, g->ops, (size_t)B, &grad[a])) return -1;
        }
    }
    for (int a = 0; a < l->n_arcs; a++) {          /* w <- w - alpha dJ/dw - 2 alpha lambda w */
        if (l->arcs[a].frozen) continue;
        uint32_t two[2] = {g->wid[a], grad[a]};
        quantity q = proto(Q_UPDATE, PASS_UPDATE, l->arcs[a].i, l->arcs[a].j, t, 0, OP_UPDATE);
        q.spec.p1 = l->rate;
        q.spec.p2 = l->decay;
        if (eng_add(g, &q, two, 2, &g->wid[a])) return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * The perceptron rule (lecture 000, 003): one example per step,
 *   in_j = sum_i w_ij a_i,  h = step(in_j),
 *   w_ij <- w_ij + alpha (y_j - h) a_i   for every arc into j (a_0 = 1),
 * and J = sum_j (y_j - h_j)^2, the number of mistakes on the example.
 * ---------------------------------------------------------------------- */
static int perceptron_step(eng *g, int t, double *J)
{
    const lesson *l = g->l;
    int ex = t % l->n_examples;
    const double *x = l->ex_x + (size_t)ex * l->n_in, *y = l->ex_y + (size_t)ex * l->n_out;
    for (int k = 0; k < l->n_in; k++)
        if (add_const(g, Q_INPUT, PASS_FORWARD, -1, l->inputs[k], t, 0, x[k], &g->act_id[l->inputs[k]]))
            return -1;
    g->act_id[0] = g->a0;
    const lesson_layer *L = &l->layers[0];
    for (int k = 0; k < L->count; k++) {
        int j = l->neurons[L->first + k];
        size_t n = 0;
        for (int a = l->arc_in[j]; a < l->arc_in[j + 1]; a++) {
            g->ops[n++] = g->wid[a];
            g->ops[n++] = g->act_id[l->arcs[a].i];
        }
        quantity q = proto(Q_IN, PASS_FORWARD, -1, j, t, 0, OP_WSUM);
        if (eng_add(g, &q, g->ops, n, &g->in_id[j])) return -1;
        q = proto(Q_ACT, PASS_FORWARD, -1, j, t, 0, OP_STEPSUM);
        if (eng_add(g, &q, &g->in_id[j], 1, &g->act_id[j])) return -1;
    }
    size_t n = 0;
    for (int k = 0; k < L->count; k++) {
        int j = l->neurons[L->first + k];
        if (add_const(g, Q_TARGET, PASS_LOSS, -1, j, t, 0, y[k], &g->der_id[j])) return -1;
        g->ops[n++] = g->der_id[j];
        g->ops[n++] = g->act_id[j];
    }
    quantity q = proto(Q_LOSS, PASS_LOSS, -1, -1, t, 0, OP_LOSS);
    q.spec.loss = LOSS_SSE;
    if (eng_add(g, &q, g->ops, n, &g->J_id)) return -1;
    *J = g->tr->q[g->J_id].value;
    for (int a = 0; a < l->n_arcs; a++) {          /* w + alpha (y - h) a_i */
        if (l->arcs[a].frozen) continue;
        int i = l->arcs[a].i, j = l->arcs[a].j;
        uint32_t four[4] = {g->wid[a], g->der_id[j], g->act_id[j], g->act_id[i]};
        q = proto(Q_UPDATE, PASS_UPDATE, i, j, t, 0, OP_PERCEPTRON);
        q.spec.p1 = l->rate;
        if (eng_add(g, &q, four, 4, &g->wid[a])) return -1;
    }
    return 0;
}

/* Forward (and loss) over every example with the current weights. */
static int evaluate_all(eng *g, int t)
{
    const lesson *l = g->l;
    for (int ex = 0; ex < l->n_examples; ex++) {
        int e = l->n_examples > 1 ? ex + 1 : 0;
        if (forward(g, t, e, l->ex_x + (size_t)ex * l->n_in,
                    l->ex_y ? l->ex_y + (size_t)ex * l->n_out : NULL))
            return -1;
    }
    return 0;
}

int engine_run(const lesson *l, const engine_opts *opts, engine_result *out, char *err, size_t errsize)
{
    memset(out, 0, sizeof *out);
    int round = (!opts || opts->round == ENGINE_ROUND_LESSON) ? l->round : opts->round;
    eng g;
    memset(&g, 0, sizeof g);
    int rc = -1;
    out->tr = trace_new(round);
    out->steps = l->steps;
    out->loss = malloc((size_t)(l->steps ? l->steps : 1) * sizeof *out->loss);
    out->weights = malloc((size_t)(l->n_arcs ? l->n_arcs : 1) * sizeof *out->weights);
    double *carry = malloc((size_t)(l->n_arcs ? l->n_arcs : 1) * sizeof *carry);
    if (!out->tr || !out->loss || !out->weights || !carry || eng_init(&g, l, out->tr, NULL))
        goto cleanup;

    /* A run of untraced steps keeps one block of carried weights alive:
     * `block` is where it starts, or 0 when the last step was traced. */
    size_t block = 0;
    int perceptron = l->rule == RULE_PERCEPTRON, n_ex = l->n_examples, mistakes = 0;
    if (perceptron && !(out->epoch_mistakes = calloc((size_t)l->epochs, sizeof *out->epoch_mistakes)))
        goto cleanup;
    for (int k = 1; k <= l->steps; k++) {
        int t = k - 1, traced = engine_traced(l, opts, k);
        size_t mark = block ? block : out->tr->n;
        if (perceptron) {
            if (perceptron_step(&g, t, &out->loss[t])) goto cleanup;
            mistakes += out->loss[t] != 0.0;
        } else if (train_step(&g, t, &out->loss[t])) {
            goto cleanup;
        }
        int stop = 0;
        if (perceptron && k % n_ex == 0) {      /* an epoch ends: stop once it made no mistake */
            out->epoch_mistakes[out->n_epochs++] = mistakes;
            stop = out->converged = mistakes == 0;
            mistakes = 0;
            out->steps = k;
        }
        if (stop && !traced) {
            for (int a = 0; a < l->n_arcs; a++) carry[a] = out->tr->q[g.wid[a]].value;
            trace_truncate(out->tr, mark);
            for (int a = 0; a < l->n_arcs; a++)
                if (!(l->arcs[a].frozen && g.wid[a] < mark) &&
                    add_const(&g, Q_WEIGHT, PASS_GIVEN, l->arcs[a].i, l->arcs[a].j, k, 0, carry[a], &g.wid[a]))
                    goto cleanup;
        }
        if (stop) break;
        if (traced) { block = 0; continue; }
        for (int a = 0; a < l->n_arcs; a++) carry[a] = out->tr->q[g.wid[a]].value;
        trace_truncate(out->tr, mark);
        block = mark;
        for (int a = 0; a < l->n_arcs; a++) {
            if (l->arcs[a].frozen && g.wid[a] < mark) continue;   /* still the given weight */
            if (add_const(&g, Q_WEIGHT, PASS_GIVEN, l->arcs[a].i, l->arcs[a].j, k, 0, carry[a], &g.wid[a]))
                goto cleanup;
        }
    }
    if (l->steps == 0 || l->final_forward)
        if (evaluate_all(&g, out->steps)) goto cleanup;
    for (int a = 0; a < l->n_arcs; a++) out->weights[a] = out->tr->q[g.wid[a]].value;
    rc = 0;

cleanup:
    if (rc) {
        snprintf(err, errsize, "%s: out of memory while running the lesson", l->path);
        engine_result_free(out);
    }
    eng_free(&g);
    free(carry);
    return rc;
}

void engine_result_free(engine_result *r)
{
    if (!r) return;
    trace_free(r->tr);
    free(r->epoch_mistakes);
    free(r->loss);
    free(r->weights);
    memset(r, 0, sizeof *r);
}

int engine_loss_grad(const lesson *l, const double *w, double *J, double *grad)
{
    eng g;
    memset(&g, 0, sizeof g);
    int rc = -1;
    trace *tr = l->ex_y ? trace_new(-1) : NULL;
    if (!tr || eng_init(&g, l, tr, w)) goto cleanup;
    g.all_grads = 1;
    int B = l->batch;
    size_t na = (size_t)l->n_arcs;
    double Jsum = 0.0;
    for (int b = 0; b < B; b++) {
        int ex = b % l->n_examples;
        if (forward(&g, 0, b + 1, l->ex_x + (size_t)ex * l->n_in, l->ex_y + (size_t)ex * l->n_out))
            goto cleanup;
        Jsum += tr->q[g.J_id].value;
        if (grad && backward(&g, 0, b + 1, g.gid)) goto cleanup;
        for (size_t a = 0; grad && a < na; a++)
            grad[a] = (b ? grad[a] : 0.0) + tr->q[g.gid[a]].value / B;
    }
    *J = Jsum / B;
    rc = 0;
cleanup:
    eng_free(&g);
    trace_free(tr);
    return rc;
}
