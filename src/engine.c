/*
 * engine.c - forward, loss, backward, gradients and update as a trace.
 *
 * Per neuron id the engine keeps the id of the quantity that currently holds
 * in_j, a_j, g'(in_j) and Delta_j for the example being processed, and per
 * arc the id of the current weight w_ij^(t). Quantities are added in the
 * order the lecture derives them, which is also a valid evaluation order.
 *
 * out_id[j] is what neuron j passes on to the arcs out of it: a_j itself,
 * or under dropout (001 07-5a) the rescaled kept activation ad_j = r_j a_j,
 * or under batch normalisation (001 07-5b) ahat_j. With `normalise` (000)
 * the inputs are the traced xn_j[e] made once before the first step.
 */
#include "engine.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolve.h"

typedef struct {
    const lesson *l;
    trace    *tr;
    uint32_t  a0;                  /* the bias a_0 = 1 */
    uint32_t *wid;                 /* [n_arcs] current weight */
    uint32_t *in_id, *act_id, *der_id, *del_id;   /* [max_id+1] */
    uint32_t *out_id, *keep_id;    /* [max_id+1] passed-on output; dropout r_j */
    uint32_t *xn;                  /* [n_examples * n_in] normalised inputs, or NULL */
    int       training;            /* dropout acts only in a training step */
    int       b;                   /* position inside the batch (0-based): dropout's draw */
    int       ex;                  /* provenance: the lesson example (1-based) being computed, 0 none */
    uint32_t *gid;                 /* [batch * n_arcs] per-example gradients */
    uint32_t *ops;                 /* scratch operand list, filled by ops_push */
    size_t    opscap;              /* its size: ops_needed(l), the widest operation */
    uint32_t  J_id;
    engine_status status;          /* why the last failing call failed (NOMEM unless set) */
    int       all_grads;           /* gradients of frozen arcs too (gradcheck) */
    int       untied;              /* every arc its own weight (engine_loss_grad's w[]) */
    uint32_t *tgid;                /* [n_ties] a tie's gradient dJ/dNAME of this step */
    const act_fn *dact;            /* test hook: g' of layer ly from dact[ly], or NULL */
    int       chain;               /* add the chain-rule factors (lesson key `chain`, --chain) */
} eng;

static quantity proto(q_kind k, q_pass p, int i, int j, int t, int e, op_kind op)
{
    quantity q;
    memset(&q, 0, sizeof q);
    q.kind = k; q.pass = p; q.i = i; q.j = j; q.t = t; q.e = e;
    q.spec.op = op;
    return q;
}

/* Put id at ops[*n] and advance *n; the scratch was sized by ops_needed,
 * so running past it is a programming error. */
static void ops_push(eng *g, size_t *n, uint32_t id)
{
    assert(*n < g->opscap);
    g->ops[(*n)++] = id;
}

/* Add a quantity and store its id; -1 on failure, with the reason in
 * g->status (a failed malloc elsewhere leaves it ENG_ERR_NOMEM). */
static int eng_add(eng *g, const quantity *q, const uint32_t *ops, size_t n, uint32_t *id)
{
    quantity stamped = *q;
    if (stamped.ex == 0) stamped.ex = q->e > 0 ? q->e : g->ex;       /* provenance */
    long r = trace_add(g->tr, &stamped, ops, n);
    if (r < 0) {
        g->status = r == TRACE_ERR_FULL ? ENG_ERR_TRACE_FULL : ENG_ERR_NOMEM;
        return -1;
    }
    *id = (uint32_t)r;
    return 0;
}

static int add_const(eng *g, q_kind k, q_pass p, int i, int j, int t, int e, double v, uint32_t *id)
{
    quantity q = proto(k, p, i, j, t, e, OP_CONST);
    q.value = v;
    switch (k) {                                   /* why it is given */
    case Q_BIAS:   q.why = GIVEN_BIAS; break;
    case Q_WEIGHT: q.why = t == 0 ? GIVEN_LESSON : GIVEN_CARRIED; break;
    case Q_MASK:   q.why = GIVEN_DRAW; break;
    default:       q.why = GIVEN_EXAMPLE; break;   /* inputs and targets */
    }
    return eng_add(g, &q, NULL, 0, id);
}

/* Is arc a a tie's arc other than its first (so it shares the first's
 * weight, gradient and update)? */
static int tied_follower(const eng *g, int a)
{
    const lesson_arc *A = &g->l->arcs[a];
    return A->tie && !g->untied && g->l->ties[A->tie - 1].first != a;
}

/* The weight quantity of arc a at iteration t with value v (given, or
 * carried over untraced steps): for a tie, one quantity named by the tie
 * that all its arcs read. Arcs go in ascending order, so a tie's first arc
 * (its lowest) has its quantity before the others share it. */
static int add_weight(eng *g, int a, int t, double v)
{
    const lesson_arc *A = &g->l->arcs[a];
    if (tied_follower(g, a)) {
        g->wid[a] = g->wid[g->l->ties[A->tie - 1].first];
        return 0;
    }
    quantity q = proto(Q_WEIGHT, PASS_GIVEN, A->i, A->j, t, 0, OP_CONST);
    q.value = v;
    q.why = t == 0 ? GIVEN_LESSON : GIVEN_CARRIED;
    if (A->tie && !g->untied) q.tie = g->l->ties[A->tie - 1].name;
    return eng_add(g, &q, NULL, 0, &g->wid[a]);
}

/* ------------------------------------------------------------------------
 * Forward and loss for one example: in_j = sum_i w_ij a_i, a_j = g(in_j),
 * then J over the outputs (lecture 001, FORWARDPROPAGATE).
 * ---------------------------------------------------------------------- */

/* The inputs of example ex (0-based): given x_j, or the traced xn_j[e]. */
static int forward_inputs(eng *g, int t, int e, int ex)
{
    const lesson *l = g->l;
    const double *x = l->ex_x + (size_t)ex * l->n_in;
    for (int k = 0; k < l->n_in; k++) {
        int j = l->inputs[k];
        if (g->xn) g->act_id[j] = g->xn[(size_t)ex * l->n_in + k];
        else if (add_const(g, Q_INPUT, PASS_FORWARD, -1, j, t, e, x[k], &g->act_id[j])) return -1;
        g->out_id[j] = g->act_id[j];
    }
    g->act_id[0] = g->out_id[0] = g->a0;
    return 0;
}

/* Dropout on neuron j after a_j (001 07-5a, inverted dropout):
 *   m_j  = 1 kept / 0 dropped (seeded draw, probability p of a drop)
 *   r_j  = 1/(1-p) * m_j     (survivors rescaled to keep the expected output)
 *   ad_j = r_j * a_j         (what the arcs out of j carry) */
static int dropout_forward(eng *g, int t, int e, int j)
{
    const lesson *l = g->l;
    uint32_t m;
    int keep = lesson_dropout_keep(l, t, g->b, j);
    if (add_const(g, Q_MASK, PASS_FORWARD, -1, j, t, e, keep ? 1.0 : 0.0, &m)) return -1;
    quantity q = proto(Q_KEEP, PASS_FORWARD, -1, j, t, e, OP_SCALE);
    q.spec.p1 = 1.0 / (1.0 - l->dropout_p);
    if (eng_add(g, &q, &m, 1, &g->keep_id[j])) return -1;
    uint32_t two[2] = {g->keep_id[j], g->act_id[j]};
    q = proto(Q_DROP, PASS_FORWARD, -1, j, t, e, OP_PRODUCT);
    return eng_add(g, &q, two, 2, &g->out_id[j]);
}

/* in_j = sum over arcs (i, j) of w_ij a_i, with a_i read from src[i]
 * (the activations, or what dropout/batch norm put in their place). */
static int add_in(eng *g, int j, int t, int e, const uint32_t *src)
{
    const lesson *l = g->l;
    size_t n = 0;
    for (int a = l->arc_in[j]; a < l->arc_in[j + 1]; a++) {
        ops_push(g, &n, g->wid[a]);
        ops_push(g, &n, src[l->arcs[a].i]);
    }
    quantity q = proto(Q_IN, PASS_FORWARD, -1, j, t, e, OP_WSUM);
    return eng_add(g, &q, g->ops, n, &g->in_id[j]);
}

/* Layers lo .. hi-1 (0-based) of one example. */
static int forward_layers(eng *g, int t, int e, int lo, int hi)
{
    const lesson *l = g->l;
    for (int ly = lo; ly < hi; ly++) {
        const lesson_layer *L = &l->layers[ly];
        int drop = g->training && l->dropout_layer == ly + 1;
        for (int k = 0; k < L->count; k++) {
            int j = l->neurons[L->first + k];
            if (add_in(g, j, t, e, g->out_id)) return -1;
            if (L->act.kind == ACT_SOFTMAX) continue;
            quantity q = proto(Q_ACT, PASS_FORWARD, -1, j, t, e, OP_ACT);
            q.spec.act = L->act;
            if (eng_add(g, &q, &g->in_id[j], 1, &g->act_id[j])) return -1;
            g->out_id[j] = g->act_id[j];
            if (drop && dropout_forward(g, t, e, j)) return -1;
        }
        if (L->act.kind != ACT_SOFTMAX) continue;
        for (int k = 0; k < L->count; k++) {        /* a_k = exp(in_k) / sum_m exp(in_m) */
            int j = l->neurons[L->first + k];
            size_t n = 0;
            ops_push(g, &n, g->in_id[j]);
            for (int m = 0; m < L->count; m++) ops_push(g, &n, g->in_id[l->neurons[L->first + m]]);
            quantity q = proto(Q_ACT, PASS_FORWARD, -1, j, t, e, OP_ACT);
            q.spec.act = L->act;
            if (eng_add(g, &q, g->ops, n, &g->act_id[j])) return -1;
            g->out_id[j] = g->act_id[j];
        }
    }
    return 0;
}

/* Targets, err_j (squared errors) and J of one example. */
static int forward_loss(eng *g, int t, int e, const double *y)
{
    const lesson *l = g->l;
    int n_out;
    const int32_t *out = lesson_outputs(l, &n_out);
    uint32_t *yid = g->der_id;      /* targets parked in der_id until backward */
    for (int k = 0; k < n_out; k++)
        if (add_const(g, Q_TARGET, PASS_LOSS, -1, out[k], t, e, y[k], &yid[out[k]])) return -1;
    size_t n = 0;
    for (int k = 0; k < n_out; k++) {
        int j = out[k];
        if (LOSS_ROWS[l->loss].uses_err) {   /* err_j = y_j - a_j */
            uint32_t two[2] = {yid[j], g->act_id[j]};
            quantity q = proto(Q_ERR, PASS_LOSS, -1, j, t, e, OP_ERR);
            if (eng_add(g, &q, two, 2, &g->del_id[j])) return -1;   /* parked too */
        }
        ops_push(g, &n, yid[j]);
        ops_push(g, &n, g->act_id[j]);
    }
    quantity q = proto(Q_LOSS, PASS_LOSS, -1, -1, t, e, OP_LOSS);
    q.spec.loss = l->loss;
    return eng_add(g, &q, g->ops, n, &g->J_id);
}

/* Example ex (0-based) forward, and its loss when y is given. */
static int forward(eng *g, int t, int e, int ex, const double *y)
{
    if (forward_inputs(g, t, e, ex) || forward_layers(g, t, e, 0, g->l->n_layers)) return -1;
    return y ? forward_loss(g, t, e, y) : 0;
}

/* ------------------------------------------------------------------------
 * Backward for one example (lecture 001, BACKPROPAGATE):
 *   output:  Delta_j = -2 (y_j - a_j) g'(in_j)   (sse; half-sse without 2;
 *            a_j - y_j for bce on logistic and softmax-ce)
 *   hidden:  Delta_j = g'(in_j) sum_k w_jk Delta_k, layers in reverse
 *   then dJ/dw_ij = Delta_j a_i for every arc that is not frozen.
 * ---------------------------------------------------------------------- */
/* The chain-rule factors of a hidden neuron j (lesson key `chain`, 002's
 * step-by-step example): dJ/da_j = sum over the arcs (j, k) of w_jk Delta_k.
 * When every arc out of j ends at an output of a loss that is a sum of one
 * term per output (not softmax), each w_jk Delta_k is output k's own term
 * dJ_k/da_j (002: dE_o1/dout_h1 = delta_o1 * w5) and dJ/da_j is their sum;
 * else one weighted sum. Both are eval_wsum's arithmetic in its order, so
 * dJ/da_j is bit for bit the sum inside the delta rule. Under dropout the
 * arcs carry ad_j = r_j a_j, so dJ/da_j = r_j sum_k w_jk Delta_k: the
 * delta-hidden operation with r_j in place of g'. */
static int chain_hidden(eng *g, int j, int t, int e, int dropped, uint32_t *djda)
{
    const lesson *l = g->l;
    int terms = !dropped && l->layers[l->n_layers - 1].act.kind != ACT_SOFTMAX;
    for (int o = l->arc_out[j]; o < l->arc_out[j + 1] && terms; o++)
        terms = l->layer_of[l->arcs[l->out_idx[o]].j] == l->n_layers;
    size_t n = 0;
    if (dropped) ops_push(g, &n, g->keep_id[j]);
    for (int o = l->arc_out[j]; o < l->arc_out[j + 1]; o++) {
        int a = l->out_idx[o], k = l->arcs[a].j;
        if (!terms) {
            ops_push(g, &n, g->wid[a]);
            ops_push(g, &n, g->del_id[k]);
            continue;
        }
        uint32_t two[2] = {g->del_id[k], g->wid[a]}, id;    /* dE_o1/dnet_o1 * dnet_o1/dout_h1 */
        quantity q = proto(Q_DJDA_TERM, PASS_BACKWARD, j, k, t, e, OP_PRODUCT);
        if (eng_add(g, &q, two, 2, &id)) return -1;
        ops_push(g, &n, id);
    }
    quantity q = proto(Q_DJDA, PASS_BACKWARD, -1, j, t, e, dropped ? OP_DELTA_HID : terms ? OP_SUM : OP_WSUM);
    if (terms && n == 0) q.spec.op = OP_WSUM;          /* no arc out: the empty sum 0 */
    return eng_add(g, &q, g->ops, n, djda);
}

static int backward(eng *g, int t, int e, uint32_t *grads)
{
    const lesson *l = g->l;
    int n_out;
    lesson_outputs(l, &n_out);
    for (int ly = l->n_layers - 1; ly >= 0; ly--) {
        const lesson_layer *L = &l->layers[ly];
        int is_out = ly == l->n_layers - 1;
        int dropped = !is_out && g->training && l->dropout_layer == ly + 1;
        for (int k = 0; k < L->count; k++) {
            int j = l->neurons[L->first + k];
            uint32_t parked_y = g->der_id[j], parked_err = g->del_id[j], gp = 0, djda = 0;
            int ce = is_out && !LOSS_ROWS[l->loss].uses_err;        /* Delta = a - y */
            /* chain factors: dJ/da_j first; then Delta_j = dJ/da_j * g'(in_j)
             * where that is the delta rule's own arithmetic: exact operands,
             * not the a - y of a cross-entropy output, not under dropout
             * (where Delta_j = (r_j g'(in_j)) sum_k w_jk Delta_k) */
            int chain = g->chain;
            if (chain && is_out) {
                uint32_t two[2] = {parked_y, g->act_id[j]};
                quantity q = proto(Q_DJDA, PASS_BACKWARD, -1, j, t, e, OP_DLOSS);
                q.spec.loss = l->loss;
                q.spec.p1 = n_out;
                if (eng_add(g, &q, two, 2, &djda)) return -1;
            } else if (chain && chain_hidden(g, j, t, e, dropped, &djda)) {
                return -1;
            }
            if (!ce || (chain && L->act.kind != ACT_SOFTMAX)) {
                uint32_t two[2] = {g->in_id[j], g->act_id[j]};
                quantity q = proto(Q_DERIV, PASS_BACKWARD, -1, j, t, e, OP_DACT);
                q.spec.act = g->dact ? g->dact[ly] : L->act;
                if (eng_add(g, &q, two, 2, &gp)) return -1;
            }
            uint32_t gfac = gp;        /* the factor in front of sum_k w_jk Delta_k */
            if (dropped) {
                /* forward: ad_j = r_j g(in_j); so d ad_j / d in_j = r_j g'(in_j) */
                uint32_t two[2] = {g->keep_id[j], gp};
                quantity dq = proto(Q_DDERIV, PASS_BACKWARD, -1, j, t, e, OP_PRODUCT);
                if (eng_add(g, &dq, two, 2, &gfac)) return -1;
            }
            quantity q = proto(Q_DELTA, PASS_BACKWARD, -1, j, t, e, is_out ? OP_DELTA_OUT : OP_DELTA_HID);
            q.spec.loss = l->loss;
            q.spec.p1 = is_out ? n_out : 0;                       /* mse's 1/n */
            size_t n = 0;
            if (chain && !ce && !dropped && g->tr->round < 0) {
                q.spec.op = OP_PRODUCT;                           /* dJ/da_j * da_j/din_j */
                ops_push(g, &n, djda);
                ops_push(g, &n, gp);
            } else if (is_out && ce) {
                ops_push(g, &n, g->act_id[j]);
                ops_push(g, &n, parked_y);
            } else if (is_out) {
                ops_push(g, &n, parked_err);
                ops_push(g, &n, gp);
            } else {
                ops_push(g, &n, gfac);
                for (int o = l->arc_out[j]; o < l->arc_out[j + 1]; o++) {
                    int a = l->out_idx[o];
                    ops_push(g, &n, g->wid[a]);
                    ops_push(g, &n, g->del_id[l->arcs[a].j]);
                }
            }
            g->der_id[j] = gp;
            if (eng_add(g, &q, g->ops, n, &g->del_id[j])) return -1;
        }
    }
    for (int a = 0; a < l->n_arcs; a++) {
        if (l->arcs[a].frozen && !g->all_grads) continue;
        uint32_t two[2] = {g->del_id[l->arcs[a].j], g->out_id[l->arcs[a].i]};
        if (g->chain) {                                /* din_j/dw_ij = a_i, then Delta_j * din_j/dw_ij */
            quantity dq = proto(Q_DNDW, PASS_GRADIENT, l->arcs[a].i, l->arcs[a].j, t, e, OP_COPY);
            if (eng_add(g, &dq, &two[1], 1, &two[1])) return -1;
        }
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
    free(g->out_id); free(g->keep_id); free(g->xn);
    free(g->tgid);
}

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

/* The most operands one quantity of this lesson takes, over every operation
 * the engine builds: the size of the scratch list g->ops.
 *   in_j            (w_ij, a_i) per arc into j           2 fan-in(j)
 *   hidden Delta_j  g', then (w_jk, Delta_k) per arc out  1 + 2 fan-out(j)
 *   output Delta_j  two; J and the perceptron's J        2 n_out
 *   softmax a_j     in_j, then every in_k of its layer   1 + layer size
 *   mean dJ/dw      one per example of the batch         B
 *   mu_j, var_j     every example, then mu_j             n_examples + 1
 *                   (input normalisation and batch norm) */
static size_t ops_needed(const lesson *l)
{
    int n_out;
    lesson_outputs(l, &n_out);
    size_t need = max_size(2 * (size_t)n_out, (size_t)l->batch);
    need = max_size(need, 2);
    for (int j = 0; j <= l->max_id; j++) {
        need = max_size(need, 2 * (size_t)(l->arc_in[j + 1] - l->arc_in[j]));
        need = max_size(need, 1 + 2 * (size_t)(l->arc_out[j + 1] - l->arc_out[j]));
    }
    for (int ly = 0; ly < l->n_layers; ly++)
        if (l->layers[ly].act.kind == ACT_SOFTMAX) need = max_size(need, 1 + (size_t)l->layers[ly].count);
    if (l->normalise || l->bn_layer) need = max_size(need, (size_t)l->n_examples + 1);
    for (int t = 0; t < l->n_ties; t++) need = max_size(need, (size_t)l->ties[t].count);   /* dJ/dNAME */
    return need;
}

static int eng_init(eng *g, const lesson *l, trace *tr, const double *w)
{
    memset(g, 0, sizeof *g);
    g->l = l;
    g->tr = tr;
    size_t nid = (size_t)l->max_id + 1, na = (size_t)(l->n_arcs ? l->n_arcs : 1);
    g->opscap = ops_needed(l);
    g->wid = calloc(na, sizeof *g->wid);
    g->in_id = calloc(nid, sizeof *g->in_id);
    g->act_id = calloc(nid, sizeof *g->act_id);
    g->der_id = calloc(nid, sizeof *g->der_id);
    g->del_id = calloc(nid, sizeof *g->del_id);
    g->gid = calloc(na * (size_t)l->batch, sizeof *g->gid);
    g->ops = malloc(g->opscap * sizeof *g->ops);
    g->out_id = calloc(nid, sizeof *g->out_id);
    g->keep_id = calloc(nid, sizeof *g->keep_id);
    if (!g->wid || !g->in_id || !g->act_id || !g->der_id || !g->del_id || !g->gid || !g->ops ||
        !g->out_id || !g->keep_id)
        return -1;
    g->untied = w != NULL;
    if (l->n_ties && !g->untied && !(g->tgid = calloc((size_t)l->n_ties, sizeof *g->tgid))) return -1;
    if (add_const(g, Q_BIAS, PASS_GIVEN, -1, 0, 0, 0, 1.0, &g->a0)) return -1;
    for (int a = 0; a < l->n_arcs; a++)
        if (add_weight(g, a, 0, w ? w[a] : l->arcs[a].w)) return -1;
    return 0;
}

int engine_chain(const lesson *l, const engine_opts *opts)
{
    return l->chain || (opts && opts->chain);
}

int engine_next_traced(const lesson *l, const engine_opts *opts, int k)
{
    if (k < 1) k = 1;
    if (k > l->steps) return 0;
    if ((opts && opts->trace_all) || l->trace_all) return k;
    if (!l->trace_steps) return l->steps <= ENGINE_DEFAULT_TRACED || k == 1 ? k : l->steps;
    int next = 0;
    for (int s = 0; s < l->n_trace_steps; s++) {
        int ts = l->trace_steps[s];
        if (ts >= k && ts <= l->steps && (!next || ts < next)) next = ts;
    }
    return next;
}

int engine_traced(const lesson *l, const engine_opts *opts, int k)
{
    return k >= 1 && engine_next_traced(l, opts, k) == k;
}

/* ------------------------------------------------------------------------
 * Input normalisation (lecture 000, "Normalizing Input"), once, before the
 * first step, over all n examples, for each input neuron j:
 *   z-score:  mu_j = mean_e x_j[e], var_j = mean_e (x_j[e] - mu_j)^2,
 *             sd_j = sqrt(var_j),  xn_j[e] = (x_j[e] - mu_j) / sd_j
 *   min-max:  min_j, max_j over e,  xn_j[e] = (x_j[e] - min_j) / (max_j - min_j)
 * (a feature with sd 0 or max = min becomes 0). The forward pass then reads
 * xn_j[e] as its input a_j.
 * ---------------------------------------------------------------------- */
static int normalise_inputs(eng *g)
{
    const lesson *l = g->l;
    size_t nx = (size_t)l->n_examples * (size_t)l->n_in;
    uint32_t *raw = malloc(nx * sizeof *raw), *stat = malloc((size_t)l->n_in * 2 * sizeof *stat);
    g->xn = malloc(nx * sizeof *g->xn);
    int rc = -1, z = l->normalise == LESSON_NORM_ZSCORE;
    if (!raw || !stat || !g->xn) goto done;
    for (int k = 0; k < l->n_in; k++) {
        int j = l->inputs[k];
        size_t n = 0;
        for (int ex = 0; ex < l->n_examples; ex++) {
            uint32_t *id = &raw[(size_t)ex * l->n_in + k];
            if (add_const(g, Q_INPUT, PASS_GIVEN, -1, j, 0, ex + 1, l->ex_x[(size_t)ex * l->n_in + k], id))
                goto done;
            ops_push(g, &n, *id);
        }
        quantity q = proto(z ? Q_MEAN : Q_MIN, PASS_GIVEN, -1, j, 0, 0, z ? OP_MEAN : OP_MIN);
        if (eng_add(g, &q, g->ops, n, &stat[2 * k])) goto done;
        if (z) {
            uint32_t var;
            ops_push(g, &n, stat[2 * k]);
            q = proto(Q_VAR, PASS_GIVEN, -1, j, 0, 0, OP_VAR);
            if (eng_add(g, &q, g->ops, n, &var)) goto done;
            q = proto(Q_SD, PASS_GIVEN, -1, j, 0, 0, OP_SQRT);
            if (eng_add(g, &q, &var, 1, &stat[2 * k + 1])) goto done;
        } else {
            q = proto(Q_MAX, PASS_GIVEN, -1, j, 0, 0, OP_MAX);
            if (eng_add(g, &q, g->ops, n, &stat[2 * k + 1])) goto done;
        }
    }
    for (int ex = 0; ex < l->n_examples; ex++)
        for (int k = 0; k < l->n_in; k++) {
            size_t at = (size_t)ex * l->n_in + k;
            uint32_t three[3] = {raw[at], stat[2 * k], stat[2 * k + 1]};
            quantity q = proto(Q_XNORM, PASS_GIVEN, -1, l->inputs[k], 0, ex + 1, OP_NORMALISE);
            q.spec.p1 = z ? 0 : 1;
            if (eng_add(g, &q, three, 3, &g->xn[at])) goto done;
        }
    rc = 0;
done:
    free(raw);
    free(stat);
    return rc;
}

/* One training step at iteration t: every example of the batch forward,
 * loss, backward, then mean gradients (batch > 1) and the update. */
static int train_step(eng *g, int t, double *J)
{
    const lesson *l = g->l;
    g->training = 1;
    int B = l->batch;
    size_t na = (size_t)l->n_arcs;
    double Jsum = 0.0;
    for (int b = 0; b < B; b++) {
        /* e names the lesson example (its `example` line), not the position b */
        int ex = (int)(((long long)t * B + b) % l->n_examples), e = B > 1 ? ex + 1 : 0;
        g->b = b;
        g->ex = ex + 1;
        if (forward(g, t, e, ex, l->ex_y + (size_t)ex * l->n_out) ||
            backward(g, t, e, g->gid + (size_t)b * na))
            return -1;
        Jsum += g->tr->q[g->J_id].value;
    }
    g->ex = 0;                                     /* batch means and updates: no example */
    *J = Jsum / B;
    uint32_t *grad = g->gid;
    if (B > 1) {                                   /* dJ/dw = mean_e dJ/dw[e] */
        for (int a = 0; a < l->n_arcs; a++) {
            if (l->arcs[a].frozen) continue;
            size_t n = 0;
            for (int b = 0; b < B; b++) ops_push(g, &n, g->gid[(size_t)b * na + a]);
            quantity q = proto(Q_GRAD, PASS_GRADIENT, l->arcs[a].i, l->arcs[a].j, t, 0, OP_MEAN);
            if (eng_add(g, &q, g->ops, n, &grad[a])) return -1;
        }
    }
    for (int k = 0; k < l->n_ties; k++) {          /* a tie: dJ/dNAME = sum over its arcs of dJ/dw_ij */
        const lesson_tie *T = &l->ties[k];
        if (l->arcs[T->first].frozen) continue;
        size_t n = 0;
        for (int m = T->at; m < T->at + T->count; m++) ops_push(g, &n, grad[l->tie_arcs[m]]);
        quantity q = proto(Q_GRAD, PASS_GRADIENT, l->arcs[T->first].i, l->arcs[T->first].j, t, 0, OP_SUM);
        q.tie = T->name;
        if (eng_add(g, &q, g->ops, n, &g->tgid[k])) return -1;
    }
    if (l->no_update) return 0;                    /* backward-only: gradients, no update */
    for (int a = 0; a < l->n_arcs; a++) {          /* w <- w - alpha dJ/dw - 2 alpha lambda w */
        const lesson_arc *A = &l->arcs[a];
        if (A->frozen) continue;
        if (tied_follower(g, a)) { g->wid[a] = g->wid[l->ties[A->tie - 1].first]; continue; }
        uint32_t two[2] = {g->wid[a], A->tie ? g->tgid[A->tie - 1] : grad[a]};
        quantity q = proto(Q_UPDATE, PASS_UPDATE, A->i, A->j, t, 0, OP_UPDATE);
        q.spec.p1 = l->rate;
        q.spec.p2 = l->decay;
        if (A->tie) q.tie = l->ties[A->tie - 1].name;
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
    g->ex = ex + 1;
    for (int k = 0; k < l->n_in; k++)
        if (add_const(g, Q_INPUT, PASS_FORWARD, -1, l->inputs[k], t, 0, x[k], &g->act_id[l->inputs[k]]))
            return -1;
    g->act_id[0] = g->a0;
    const lesson_layer *L = &l->layers[0];
    for (int k = 0; k < L->count; k++) {
        int j = l->neurons[L->first + k];
        if (add_in(g, j, t, 0, g->act_id)) return -1;
        quantity q = proto(Q_ACT, PASS_FORWARD, -1, j, t, 0, OP_STEPSUM);
        if (eng_add(g, &q, &g->in_id[j], 1, &g->act_id[j])) return -1;
    }
    size_t n = 0;
    for (int k = 0; k < L->count; k++) {
        int j = l->neurons[L->first + k];
        if (add_const(g, Q_TARGET, PASS_LOSS, -1, j, t, 0, y[k], &g->der_id[j])) return -1;
        ops_push(g, &n, g->der_id[j]);
        ops_push(g, &n, g->act_id[j]);
    }
    quantity q = proto(Q_LOSS, PASS_LOSS, -1, -1, t, 0, OP_LOSS);
    q.spec.loss = LOSS_SSE;
    if (eng_add(g, &q, g->ops, n, &g->J_id)) return -1;
    *J = g->tr->q[g->J_id].value;
    g->ex = 0;
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

/* Batch normalisation of layer L over all n examples (the mini-batch B,
 * lecture 001 07-5b), forward only: every example up to layer L, then for
 * each neuron j of it
 *   mu_j  = mean_e a_j[e],  var_j = mean_e (a_j[e] - mu_j)^2,
 * then per example ahat_j[e] = gamma (a_j[e] - mu_j)/sqrt(var_j + 1e-5) + beta,
 * which the later layers read in place of a_j[e]. */
static int evaluate_bn(eng *g, int t)
{
    const lesson *l = g->l;
    const lesson_layer *L = &l->layers[l->bn_layer - 1];
    size_t nid = (size_t)l->max_id + 1;
    uint32_t *save = malloc((size_t)l->n_examples * nid * sizeof *save);
    uint32_t *stat = malloc((size_t)L->count * 2 * sizeof *stat);
    int rc = -1;
    if (!save || !stat) goto done;
    for (int ex = 0; ex < l->n_examples; ex++) {
        if (forward_inputs(g, t, ex + 1, ex) || forward_layers(g, t, ex + 1, 0, l->bn_layer)) goto done;
        memcpy(save + (size_t)ex * nid, g->out_id, nid * sizeof *save);
    }
    for (int k = 0; k < L->count; k++) {
        int j = l->neurons[L->first + k];
        size_t n = 0;
        for (int ex = 0; ex < l->n_examples; ex++) ops_push(g, &n, save[(size_t)ex * nid + j]);
        quantity q = proto(Q_MEAN, PASS_FORWARD, -1, j, t, 0, OP_MEAN);
        if (eng_add(g, &q, g->ops, n, &stat[2 * k])) goto done;
        ops_push(g, &n, stat[2 * k]);
        q = proto(Q_VAR, PASS_FORWARD, -1, j, t, 0, OP_VAR);
        if (eng_add(g, &q, g->ops, n, &stat[2 * k + 1])) goto done;
    }
    for (int ex = 0; ex < l->n_examples; ex++) {
        memcpy(g->out_id, save + (size_t)ex * nid, nid * sizeof *save);
        for (int k = 0; k < L->count; k++) {
            int j = l->neurons[L->first + k];
            uint32_t three[3] = {save[(size_t)ex * nid + j], stat[2 * k], stat[2 * k + 1]};
            quantity q = proto(Q_BN, PASS_FORWARD, -1, j, t, ex + 1, OP_BN);
            q.spec.p1 = l->bn_gamma;
            q.spec.p2 = l->bn_beta;
            if (eng_add(g, &q, three, 3, &g->out_id[j])) goto done;
        }
        if (forward_layers(g, t, ex + 1, l->bn_layer, l->n_layers) ||
            (l->ex_y && forward_loss(g, t, ex + 1, l->ex_y + (size_t)ex * l->n_out)))
            goto done;
    }
    rc = 0;
done:
    free(save);
    free(stat);
    return rc;
}

/* Forward (and loss) over every example with the current weights. */
static int evaluate_all(eng *g, int t)
{
    const lesson *l = g->l;
    g->training = 0;                    /* no dropout when predicting */
    if (l->bn_layer) return evaluate_bn(g, t);
    for (int ex = 0; ex < l->n_examples; ex++) {
        int e = l->n_examples > 1 ? ex + 1 : 0;
        g->ex = ex + 1;
        if (forward(g, t, e, ex, l->ex_y ? l->ex_y + (size_t)ex * l->n_out : NULL))
            return -1;
    }
    g->ex = 0;
    return 0;
}

/* ------------------------------------------------------------------------
 * Untraced steps on values alone. A step nobody is shown is computed
 * without quantities: the same operations as train_step, forward and
 * backward above, in the same order, each through eval_apply on the same
 * operand values (rounded as trace_operand_value rounds them), so every
 * number, and so the weights after the step, are bit-identical to a traced
 * step's. Only the quantities (kinds, names, operand ids) are not made.
 * ---------------------------------------------------------------------- */
typedef struct {
    double *w;                          /* [n_arcs] current weights */
    double *in, *act, *out, *der, *del, *err, *y, *keep;   /* [max_id+1] */
    double *grad;                       /* [batch * n_arcs] per-example dJ/dw */
    double *gm;                         /* [n_arcs] each arc's dJ/dw of the step */
    double *x;                          /* operand values, opscap */
} vstep;

static void vstep_free(vstep *v)
{
    free(v->w); free(v->in); free(v->act); free(v->out); free(v->der); free(v->del);
    free(v->err); free(v->y); free(v->keep); free(v->grad); free(v->gm); free(v->x);
}

static int vstep_init(vstep *v, const eng *g)
{
    const lesson *l = g->l;
    size_t nid = (size_t)l->max_id + 1, na = (size_t)(l->n_arcs ? l->n_arcs : 1);
    memset(v, 0, sizeof *v);
    v->w = malloc(na * sizeof *v->w);
    v->in = calloc(nid, sizeof *v->in);
    v->act = calloc(nid, sizeof *v->act);
    v->out = calloc(nid, sizeof *v->out);
    v->der = calloc(nid, sizeof *v->der);
    v->del = calloc(nid, sizeof *v->del);
    v->err = calloc(nid, sizeof *v->err);
    v->y = calloc(nid, sizeof *v->y);
    v->keep = calloc(nid, sizeof *v->keep);
    v->grad = malloc(na * (size_t)l->batch * sizeof *v->grad);
    v->gm = malloc(na * sizeof *v->gm);
    v->x = malloc(g->opscap * sizeof *v->x);
    return v->w && v->in && v->act && v->out && v->der && v->del && v->err && v->y &&
           v->keep && v->grad && v->gm && v->x ? 0 : -1;
}

/* An operand's value as trace_add uses it (rounded in hand-calculation mode). */
static inline double vop(const eng *g, double value)
{
    return g->tr->round < 0 ? value : round_dp(value, g->tr->round);
}
static inline double vround(int round, double value)
{
    return round < 0 ? value : round_dp(value, round);
}

static double vapply(const eng *g, op_spec *s, op_kind op, const double *x, size_t n)
{
    unsigned notes = 0;
    (void)g;
    s->op = op;
    return eval_apply(s, x, n, &notes);
}

/* in_j = sum_i w_ij a_i on values (add_in's operands, in its order) */
static double vin(const eng *g, vstep *v, int j)
{
    const lesson *l = g->l;
    const int R = g->tr->round;
    size_t n = 0;
    for (int a = l->arc_in[j]; a < l->arc_in[j + 1]; a++) {
        v->x[n++] = vround(R, v->w[a]);
        v->x[n++] = vround(R, v->out[l->arcs[a].i]);
    }
    return eval_wsum(v->x, n);
}

/* forward, then forward_loss, of example ex on values; returns J */
static double vforward(eng *g, vstep *v, int t, int ex, const double *y)
{
    const lesson *l = g->l;
    const double *xin = l->ex_x + (size_t)ex * l->n_in;
    double *x = v->x;
    op_spec s;
    memset(&s, 0, sizeof s);
    for (int k = 0; k < l->n_in; k++) {
        int j = l->inputs[k];
        v->act[j] = g->xn ? g->tr->q[g->xn[(size_t)ex * l->n_in + k]].value : xin[k];
        v->out[j] = v->act[j];
    }
    v->act[0] = v->out[0] = g->tr->q[g->a0].value;
    for (int ly = 0; ly < l->n_layers; ly++) {
        const lesson_layer *L = &l->layers[ly];
        int drop = l->dropout_layer == ly + 1;
        s.act = L->act;
        for (int k = 0; k < L->count; k++) {
            int j = l->neurons[L->first + k];
            v->in[j] = vin(g, v, j);
            if (L->act.kind == ACT_SOFTMAX) continue;
            x[0] = vop(g, v->in[j]);
            v->act[j] = v->out[j] = vapply(g, &s, OP_ACT, x, 1);
            if (drop) {                       /* dropout_forward */
                x[0] = vop(g, lesson_dropout_keep(l, t, g->b, j) ? 1.0 : 0.0);
                s.p1 = 1.0 / (1.0 - l->dropout_p);
                v->keep[j] = vapply(g, &s, OP_SCALE, x, 1);
                s.p1 = 0;
                x[0] = vop(g, v->keep[j]);
                x[1] = vop(g, v->act[j]);
                v->out[j] = vapply(g, &s, OP_PRODUCT, x, 2);
            }
        }
        if (L->act.kind != ACT_SOFTMAX) continue;
        for (int k = 0; k < L->count; k++) {
            int j = l->neurons[L->first + k];
            size_t n = 0;
            x[n++] = vop(g, v->in[j]);
            for (int m = 0; m < L->count; m++) x[n++] = vop(g, v->in[l->neurons[L->first + m]]);
            v->act[j] = v->out[j] = vapply(g, &s, OP_ACT, x, n);
        }
    }
    int n_out;
    const int32_t *out = lesson_outputs(l, &n_out);
    size_t n = 0;
    for (int k = 0; k < n_out; k++) {
        int j = out[k];
        v->y[j] = y[k];
        if (LOSS_ROWS[l->loss].uses_err) {
            double two[2] = {vop(g, v->y[j]), vop(g, v->act[j])};
            v->err[j] = vapply(g, &s, OP_ERR, two, 2);
        }
        x[n++] = vop(g, v->y[j]);
        x[n++] = vop(g, v->act[j]);
    }
    s.loss = l->loss;
    return vapply(g, &s, OP_LOSS, x, n);
}

/* dJ/dw_ij = Delta_j a_i into grad[n_arcs], arcs into each neuron in turn */
static void vgrads(const eng *g, const vstep *v, double *grad)
{
    const lesson *l = g->l;
    const int R = g->tr->round;
    for (int ly = 0; ly < l->n_layers; ly++)
        for (int k = 0; k < l->layers[ly].count; k++) {
            int j = l->neurons[l->layers[ly].first + k];
            double dj = vround(R, v->del[j]);
            for (int a = l->arc_in[j]; a < l->arc_in[j + 1]; a++)
                if (!l->arcs[a].frozen) grad[a] = eval_product(dj, vround(R, v->out[l->arcs[a].i]));
        }
}

/* backward on values: deltas, then (grad != NULL) dJ/dw into grad[n_arcs] */
static void vbackward(eng *g, vstep *v, double *grad)
{
    const lesson *l = g->l;
    double *x = v->x;
    int n_out;
    lesson_outputs(l, &n_out);
    op_spec s;
    memset(&s, 0, sizeof s);
    for (int ly = l->n_layers - 1; ly >= 0; ly--) {
        const lesson_layer *L = &l->layers[ly];
        int is_out = ly == l->n_layers - 1;
        for (int k = 0; k < L->count; k++) {
            int j = l->neurons[L->first + k];
            int ce = is_out && !LOSS_ROWS[l->loss].uses_err;
            double gp = 0.0, gfac;
            s.act = L->act;
            s.p1 = 0;
            if (!ce) {
                double two[2] = {vop(g, v->in[j]), vop(g, v->act[j])};
                gp = vapply(g, &s, OP_DACT, two, 2);
            }
            gfac = gp;
            if (!is_out && l->dropout_layer == ly + 1) {
                double two[2] = {vop(g, v->keep[j]), vop(g, gp)};
                gfac = vapply(g, &s, OP_PRODUCT, two, 2);
            }
            s.loss = l->loss;
            s.p1 = is_out ? n_out : 0;
            size_t n = 0;
            if (is_out && ce) {
                x[n++] = vop(g, v->act[j]);
                x[n++] = vop(g, v->y[j]);
            } else if (is_out) {
                x[n++] = vop(g, v->err[j]);
                x[n++] = vop(g, gp);
            } else {
                x[n++] = vop(g, gfac);
                for (int o = l->arc_out[j]; o < l->arc_out[j + 1]; o++) {
                    int a = l->out_idx[o];
                    x[n++] = vop(g, v->w[a]);
                    x[n++] = vop(g, v->del[l->arcs[a].j]);
                }
            }
            v->der[j] = gp;
            v->del[j] = vapply(g, &s, is_out ? OP_DELTA_OUT : OP_DELTA_HID, x, n);
        }
    }
    if (grad) vgrads(g, v, grad);
}

/* train_step on values: v->w from w^(t) to w^(t+1); *J the batch mean */
static void vtrain_step(eng *g, vstep *v, int t, double *J)
{
    const lesson *l = g->l;
    const int B = l->batch;
    const size_t na = (size_t)l->n_arcs;
    double Jsum = 0.0, *x = v->x;
    for (int b = 0; b < B; b++) {
        int ex = (int)(((long long)t * B + b) % l->n_examples);
        g->b = b;
        Jsum += vforward(g, v, t, ex, l->ex_y + (size_t)ex * l->n_out);
        vbackward(g, v, B > 1 ? v->grad + (size_t)b * na : NULL);
    }
    *J = Jsum / B;
    const int R = g->tr->round;
    if (l->no_update) return;  /* backward-only: the weights stay */
    /* dJ/dw of every arc into gm (nothing reads a weight any more this
     * step), then one update per arc that is not frozen or tied, as train_step */
    if (B == 1) {              /* one example: delta times input */
        for (int ly = 0; ly < l->n_layers; ly++)
            for (int k = 0; k < l->layers[ly].count; k++) {
                int j = l->neurons[l->layers[ly].first + k];
                double dj = vround(R, v->del[j]);
                for (int a = l->arc_in[j]; a < l->arc_in[j + 1]; a++)
                    if (!l->arcs[a].frozen) v->gm[a] = eval_product(dj, vround(R, v->out[l->arcs[a].i]));
            }
    } else {
        for (int a = 0; a < l->n_arcs; a++) {
            if (l->arcs[a].frozen) continue;
            for (int b = 0; b < B; b++) x[b] = vround(R, v->grad[(size_t)b * na + a]);
            v->gm[a] = eval_mean(x, (size_t)B);         /* dJ/dw = mean_e dJ/dw[e] */
        }
    }
    for (int a = 0; a < l->n_arcs; a++)
        if (!l->arcs[a].frozen && !l->arcs[a].tie)
            v->w[a] = eval_update(vround(R, v->w[a]), vround(R, v->gm[a]), l->rate, l->decay);
    for (int k = 0; k < l->n_ties; k++) {   /* train_step: dJ/dNAME = sum of its arcs', one update */
        const lesson_tie *T = &l->ties[k];
        if (l->arcs[T->first].frozen) continue;
        size_t n = 0;
        for (int m = T->at; m < T->at + T->count; m++) x[n++] = vround(R, v->gm[l->tie_arcs[m]]);
        double w = eval_update(vround(R, v->w[T->first]), vround(R, eval_sum(x, n)), l->rate, l->decay);
        for (int m = T->at; m < T->at + T->count; m++) v->w[l->tie_arcs[m]] = w;
    }
}

/* perceptron_step on values: v->w from w^(t) to w^(t+1); *J the mistakes
 * on the step's example */
static void vperceptron_step(eng *g, vstep *v, int t, double *J)
{
    const lesson *l = g->l;
    const int ex = t % l->n_examples, R = g->tr->round;
    const double *xin = l->ex_x + (size_t)ex * l->n_in, *y = l->ex_y + (size_t)ex * l->n_out;
    const lesson_layer *L = &l->layers[0];
    double *x = v->x;
    op_spec s;
    memset(&s, 0, sizeof s);
    for (int k = 0; k < l->n_in; k++) v->out[l->inputs[k]] = xin[k];
    v->out[0] = g->tr->q[g->a0].value;
    for (int k = 0; k < L->count; k++) {
        int j = l->neurons[L->first + k];
        v->in[j] = vin(g, v, j);
        x[0] = vop(g, v->in[j]);
        v->out[j] = vapply(g, &s, OP_STEPSUM, x, 1);
    }
    size_t n = 0;
    for (int k = 0; k < L->count; k++) {
        int j = l->neurons[L->first + k];
        v->y[j] = y[k];
        x[n++] = vop(g, v->y[j]);
        x[n++] = vop(g, v->out[j]);
    }
    s.loss = LOSS_SSE;
    *J = vapply(g, &s, OP_LOSS, x, n);
    s.p1 = l->rate;
    for (int a = 0; a < l->n_arcs; a++) {          /* w + alpha (y - h) a_i */
        if (l->arcs[a].frozen) continue;
        int i = l->arcs[a].i, j = l->arcs[a].j;
        double four[4] = {vround(R, v->w[a]), vop(g, v->y[j]), vop(g, v->out[j]), vop(g, v->out[i])};
        v->w[a] = vapply(g, &s, OP_PERCEPTRON, four, 4);
    }
}

/* After perceptron step k, whose example had J mistakes: at the end of an
 * epoch, its mistakes are recorded and out->steps is k; 1 when it made none
 * (003's stopping rule: the weights no longer change, so training stops). */
static int epoch_end(engine_result *out, int k, int n_examples, int *mistakes, double J)
{
    *mistakes += J != 0.0;
    if (k % n_examples) return 0;
    out->epoch_mistakes[out->n_epochs++] = *mistakes;
    out->steps = k;
    out->converged = *mistakes == 0;
    *mistakes = 0;
    return out->converged;
}

static const char *const ENGINE_STATUS[] = {
    [ENG_OK] = "no error",
    [ENG_ERR_NOMEM] = "out of memory while running the lesson",
    [ENG_ERR_TRACE_FULL] = ("the trace is full (at most 16777216 quantities): trace fewer steps "
                            "('trace K...' or 'trace none')"),
    [ENG_ERR_TOO_MUCH_WORK] = "too much work (beyond the limits of engine_check_work)",
    [ENG_ERR_NAME] = "an expect or ask line names no quantity of the lesson",
    [ENG_STOPPED] = "the run was stopped by its caller (engine_opts.watch)",
};
_Static_assert(sizeof ENGINE_STATUS / sizeof ENGINE_STATUS[0] == ENG_STATUS_COUNT,
               "one ENGINE_STATUS sentence per engine_status");
_Static_assert(TRACE_MAX_QUANTITIES == 16777216, "ENGINE_STATUS names the trace limit");

const char *engine_strerror(engine_status s)
{
    return (unsigned)s < ENG_STATUS_COUNT ? ENGINE_STATUS[s] : "unknown engine status";
}

/* ------------------------------------------------------------------------
 * Bounded work (engine.h)
 * ---------------------------------------------------------------------- */

/* Steps traced under opts, counted without walking ten million steps. */
static double traced_steps(const lesson *l, const engine_opts *opts)
{
    if ((opts && opts->trace_all) || l->trace_all) return l->steps;
    if (!l->trace_steps) return l->steps <= ENGINE_DEFAULT_TRACED ? l->steps : l->steps >= 2 ? 2 : l->steps;
    double n = 0;
    for (int s = 0; s < l->n_trace_steps; s++) n += l->trace_steps[s] <= l->steps;
    return n;
}

int engine_check_work(const lesson *l, const engine_opts *opts, char *err, size_t errsize)
{
    double units = (double)l->n_arcs + l->n_neurons;
    double work = (double)l->steps * l->batch * units;
    if (work > ENGINE_MAX_WORK) {
        snprintf(err, errsize, "%s: too much work: steps %d x batch %d x (arcs %d + neurons %d) = %.3g "
                 "operations; the limit is %.0e (about 8 s of CPU here): lower 'steps' or the network",
                 l->path, l->steps, l->batch, l->n_arcs, l->n_neurons, work, ENGINE_MAX_WORK);
        return -1;
    }
    /* one traced step: per example x, in, a, g', delta, targets, err, J and
     * a gradient per arc; then the batch means and an update per arc */
    int n_out;
    lesson_outputs(l, &n_out);
    double per_ex = (double)l->n_in + 4.0 * l->n_neurons + 2.0 * n_out + 1 + l->n_arcs;
    if (engine_chain(l, opts)) per_ex += 2.0 * l->n_neurons + 2.0 * l->n_arcs;   /* dJ/da, terms, din/dw */
    double per_step = l->batch * per_ex + 2.0 * l->n_arcs;
    double ts = traced_steps(l, opts), q = ts * per_step;
    if (l->steps == 0 || l->final_forward) q += (double)l->n_examples * per_ex;
    if (q > ENGINE_MAX_TRACED) {
        if (ts > 0)
            snprintf(err, errsize, "%s: the trace would be too large: traced steps %.0f x about %.0f quantities "
                     "each (batch %d x (arcs %d + ...)) = %.3g quantities; the limit is %.0e: trace fewer steps "
                     "('trace 1 %d'), a smaller batch or network", l->path, ts, per_step, l->batch, l->n_arcs, q,
                     ENGINE_MAX_TRACED, l->steps);
        else
            snprintf(err, errsize, "%s: the trace would be too large: examples %d x about %.0f quantities each "
                     "= %.3g quantities; the limit is %.0e: fewer examples or a smaller network",
                     l->path, l->n_examples, per_ex, q, ENGINE_MAX_TRACED);
        return -1;
    }
    return 0;
}

/* opts->watch after step k, or at the end (k = 0) (engine_opts): the
 * quantities final since its last call are [*checked, to). -1 when it
 * stops the run (g->status). */
static int watch(eng *g, const engine_opts *opts, size_t *checked, size_t to, int k)
{
    if (!opts || !opts->watch) return 0;
    size_t from = *checked;
    *checked = to;
    if (!opts->watch(opts->watch_ctx, g->tr, from, to, k)) return 0;
    g->status = ENG_STOPPED;
    return -1;
}

engine_status engine_run(const lesson *l, const engine_opts *opts, engine_result *out, char *err, size_t errsize)
{
    memset(out, 0, sizeof *out);
    if (engine_check_work(l, opts, err, errsize)) return ENG_ERR_TOO_MUCH_WORK;
    int round = (!opts || opts->round == ENGINE_ROUND_LESSON) ? l->round : opts->round;
    eng g;
    vstep vs;                      /* untraced steps on values */
    memset(&g, 0, sizeof g);
    memset(&vs, 0, sizeof vs);
    engine_status rc = ENG_ERR_NOMEM;
    out->tr = trace_new(round);
    out->steps = l->steps;
    out->loss = malloc((size_t)(l->steps ? l->steps : 1) * sizeof *out->loss);
    out->weights = malloc((size_t)(l->n_arcs ? l->n_arcs : 1) * sizeof *out->weights);
    if (out->tr && opts && opts->max_quantities) out->tr->max_q = opts->max_quantities;
    if (!out->tr || !out->loss || !out->weights || eng_init(&g, l, out->tr, NULL) ||
        (l->normalise && normalise_inputs(&g)))
        goto cleanup;
    g.chain = engine_chain(l, opts);

    /* the watch has seen [0, checked) */
    size_t checked = 0;
    int perceptron = l->rule == RULE_PERCEPTRON, mistakes = 0;
    if (perceptron && !(out->epoch_mistakes = calloc((size_t)l->epochs, sizeof *out->epoch_mistakes)))
        goto cleanup;
    /* untraced training steps run on values (vtrain_step, vperceptron_step)
     * from w^(t) read off the trace, and hand w^(k) back as given weights
     * before the next traced step (or the end) */
    int on_values = 0;
    if (vstep_init(&vs, &g)) goto cleanup;
    for (int k = 1; k <= l->steps; k++) {
        int t = k - 1, traced = engine_traced(l, opts, k);
        if (opts && opts->progress && (k & 255) == 0) opts->progress(opts->progress_ctx, k, l->steps);
        if (!traced) {
            if (!on_values)
                for (int a = 0; a < l->n_arcs; a++) vs.w[a] = out->tr->q[g.wid[a]].value;
            on_values = 1;
            g.training = 1;
            if (perceptron) vperceptron_step(&g, &vs, t, &out->loss[t]);
            else vtrain_step(&g, &vs, t, &out->loss[t]);
        } else if (perceptron ? perceptron_step(&g, t, &out->loss[t]) : train_step(&g, t, &out->loss[t])) {
            goto cleanup;
        }
        int stop = perceptron && epoch_end(out, k, l->n_examples, &mistakes, out->loss[t]);
        if (watch(&g, opts, &checked, out->tr->n, k)) goto cleanup;
        if (on_values && (stop || k == l->steps || engine_traced(l, opts, k + 1))) {
            on_values = 0;
            for (int a = 0; a < l->n_arcs; a++) {
                if (l->arcs[a].frozen || l->no_update) continue;   /* still the given weight */
                if (add_weight(&g, a, k, vs.w[a])) goto cleanup;
            }
        }
        if (stop) break;
    }
    if (l->steps == 0 || l->final_forward)
        if (evaluate_all(&g, out->steps)) goto cleanup;
    if (watch(&g, opts, &checked, out->tr->n, 0)) goto cleanup;     /* the end: k = 0 */
    for (int a = 0; a < l->n_arcs; a++) out->weights[a] = out->tr->q[g.wid[a]].value;
    out->tr->steps = out->steps;
    out->tr->trace_all = opts && opts->trace_all;
    /* the lesson's own names (expect, ask), checked once for every command */
    int names = opts && opts->names_checked ? 0 : lesson_names_check(l, out->tr, err, errsize);
    rc = names > 0 ? ENG_ERR_NAME : names < 0 ? ENG_ERR_NOMEM : ENG_OK;

cleanup:
    if (rc != ENG_OK) {
        if (g.status != ENG_OK) rc = g.status;
        if (rc != ENG_ERR_NAME) snprintf(err, errsize, "%s: %s", l->path, engine_strerror(rc));
        engine_result_free(out);
    }
    eng_free(&g);
    vstep_free(&vs);
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

engine_status engine_loss_grad(const lesson *l, const double *w, double *J, double *grad)
{
    return engine_loss_grad_hook(l, w, NULL, J, grad);
}

engine_status engine_loss_grad_hook(const lesson *l, const double *w, const act_fn *dact, double *J, double *grad)
{
    return engine_loss_grad_notes(l, w, dact, J, grad, NULL);
}

engine_status engine_loss_grad_notes(const lesson *l, const double *w, const act_fn *dact, double *J, double *grad,
                                     unsigned *notes)
{
    eng g;
    memset(&g, 0, sizeof g);
    engine_status rc = ENG_ERR_NOMEM;
    trace *tr = l->ex_y && !l->bn_layer ? trace_new(-1) : NULL;   /* batchnorm: forward only */
    if (!tr || eng_init(&g, l, tr, w) || (l->normalise && normalise_inputs(&g))) goto cleanup;
    g.all_grads = 1;
    g.training = 1;
    g.dact = dact;
    int B = l->batch;
    size_t na = (size_t)l->n_arcs;
    double Jsum = 0.0;
    for (int b = 0; b < B; b++) {
        int ex = b % l->n_examples;
        g.b = b;
        if (forward(&g, 0, ex + 1, ex, l->ex_y + (size_t)ex * l->n_out))
            goto cleanup;
        Jsum += tr->q[g.J_id].value;
        if (grad && backward(&g, 0, ex + 1, g.gid)) goto cleanup;
        for (size_t a = 0; grad && a < na; a++)
            grad[a] = (b ? grad[a] : 0.0) + tr->q[g.gid[a]].value / B;
    }
    *J = Jsum / B;
    if (notes)
        for (size_t id = 0; id < tr->n; id++) *notes |= tr->q[id].notes;
    rc = ENG_OK;
cleanup:
    if (rc != ENG_OK && g.status != ENG_OK) rc = g.status;
    eng_free(&g);
    trace_free(tr);
    return rc;
}

/* ------------------------------------------------------------------------
 * Values that are not numbers
 * ---------------------------------------------------------------------- */

size_t engine_nonfinite(const lesson *l, const engine_result *r, char *first, size_t size)
{
    size_t count = 0;
    char name[96];
    if (size) first[0] = '\0';
    for (size_t id = 0; id < r->tr->n; id++)
        if (!isfinite(r->tr->q[id].value) && count++ == 0 && size) {
            trace_name(&r->tr->q[id], name, sizeof name);
            snprintf(first, size, "%s = %s", name, isnan(r->tr->q[id].value) ? "nan" : "inf");
        }
    for (int k = 0; l->ex_y && k < r->steps; k++)     /* without targets the loss is NaN by design */
        if (!isfinite(r->loss[k]) && count++ == 0 && size)
            snprintf(first, size, "the loss J of step %d = %s", k + 1, isnan(r->loss[k]) ? "nan" : "inf");
    for (int a = 0; r->weights && a < l->n_arcs; a++)
        if (!isfinite(r->weights[a]) && count++ == 0 && size) {
            char w[48];
            trace_base_name(Q_WEIGHT, l->arcs[a].i, l->arcs[a].j, w, sizeof w);
            snprintf(first, size, "%s after the last step = %s", w, isnan(r->weights[a]) ? "nan" : "inf");
        }
    return count;
}
