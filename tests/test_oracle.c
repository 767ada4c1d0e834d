/*
 * test_oracle.c - a randomised differential test of the scalar engine.
 *
 * A generator writes random VALID lessons to a file (random shapes, sparse
 * and skip arcs, outputs fed by their bias alone, scrambled neuron ids,
 * labels and aliases, every activation, every loss, frozen arcs, nobias,
 * seeded initialisations, batches, weight decay, untraced steps, final
 * forward passes, backward-only steps, input normalisation, dropout, batch normalisation, the
 * perceptron rule, and the keys that only grading or display read); the
 * real parser loads the file and the engine runs it. An independent
 * reference computation, written from the lecture formulas (DESIGN.md,
 * "Scalar engine semantics"; 001 for forward/backward/update, 000 for
 * normalisation, 001 07-5 for dropout and batch norm, 000/003 for the
 * perceptron rule) in long double, computes the same quantities, and every
 * quantity of the trace is compared with it; every quantity the reference
 * expects in a traced step must be in the trace.
 *
 * Tolerance (from conditioning): the reference carries, beside each value
 * v, a first-order bound e on the error a double evaluation of the same
 * formula can make (running error analysis): a sum of n terms adds
 * n u sum|terms|, a product |x| e_y + |y| e_x + u|xy|, an activation the
 * spread of g (and g') over [in - e_in, in + e_in] (which also covers a
 * kink or a jump inside it) plus 8 u |g|, with u = 2^-53. The engine's
 * value must lie within 2 e + 4 u |v| + DBL_MIN of the reference (the 2
 * covers second-order terms); a looser tolerance would hide real errors,
 * a tighter one would fail on correct round-off.
 *
 * Long runs: these bounds compound over training steps as if every error
 * pushed every weight the same way, so after 20 steps they mean nothing
 * (the training map's own conditioning is far better: gradient descent
 * with a small rate damps perturbations). So each step is checked from
 * the engine's own weights w^(t) at its start (shadowing; the engine's
 * untraced steps are read from a second run that traces everything, which
 * computes the same numbers): every quantity of every step is then held to
 * the round-off of its own formula, and a run whose every step is right to
 * its own round-off is the double-precision run of the lecture algorithm.
 *
 * Tied weights (`tie`): one value, read by all its arcs; its gradient the
 * sum of theirs; one update (the reference keys a tie's weight, gradient and
 * update apart from its first arc's own).
 *
 * Hand rounding (`round R`, 000/001: every operand rounded to R decimals,
 * half away from zero, before it is used): the reference rounds each
 * operand of each operation likewise. Rounding is exact except where the
 * operand's error interval reaches a rounding boundary; there the engine may
 * round either way, and the operand carries its error plus one unit 10^-R,
 * which the later bounds propagate (so the check stays honest, if looser,
 * right there). g'(in_j) of the logistic and tanh is the lecture's form in
 * a_j (a(1-a), 1-a^2), as it must be once a_j is rounded. `round` is drawn
 * for backprop lessons without normalisation, dropout or batch norm.
 */
#include "testutil.h"

#include <float.h>

#include "engine.h"
#include "lesson.h"

#define N_LESSONS   1200
#define MAXL        5            /* processing layers */
#define MAXN        8            /* neurons per layer */
#define MAXID       80
#define MAXARC      400
#define MAXEX       5
#define MAXSTEP     26
#define U           ((long double)DBL_EPSILON / 2)
#define KIND_TIE    64           /* entry kind of a tie's weight, gradient, update: + q_kind */

typedef struct { long double v, e; } num;

/* ------------------------------------------------------------------------
 * Random numbers (xorshift64, explicit state)
 * ---------------------------------------------------------------------- */

static uint64_t rnext(uint64_t *s) { *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17; return *s; }
static int rint_(uint64_t *s, int lo, int hi) { return lo + (int)(rnext(s) % (uint64_t)(hi - lo + 1)); }
static int chance(uint64_t *s, int percent) { return rint_(s, 1, 100) <= percent; }
/* a number with 4 decimals in [lo, hi], exactly as the lesson file prints it */
static double rdec(uint64_t *s, double lo, double hi, char *txt)
{
    long k = lo * 10000 + (long)(rnext(s) % (uint64_t)((hi - lo) * 10000 + 1));
    sprintf(txt, "%.4f", (double)k / 10000);
    return strtod(txt, NULL);
}

/* ------------------------------------------------------------------------
 * The generated network (the reference reads this, never the engine)
 * ---------------------------------------------------------------------- */

typedef struct { int i, j; double w; int has_w, frozen, tie; } garc;   /* tie: 1 + its tie, 0 none */

typedef struct {
    int n_in, in_ids[MAXN];
    int n_layers, count[MAXL], ids[MAXL][MAXN];
    act_fn act[MAXL];
    int layer_of[MAXID + 1];        /* -1 unused, 0 input/bias, 1.. layer */
    garc arcs[MAXARC];
    int n_arcs;
    int has_y, n_ex;
    double x[MAXEX][MAXN], y[MAXEX][MAXN];
    loss_kind loss;
    double rate, decay;
    int batch, steps, final_forward, perceptron, epochs, no_update;
    int trace_mode;                 /* 0 default, 1 all, 2 none, 3 list */
    int trace_list[MAXSTEP + 2], n_trace_list;
    int normalise;                  /* LESSON_NORM_* */
    int dropout_layer;              /* 1-based, 0 none */
    int bn_layer;
    double bn_gamma, bn_beta;
    int n_ties;                     /* `tie tK = ...`: arcs with arcs[a].tie == K + 1 */
    int round;                      /* `round R`: operands rounded to R decimals; -1 exact */
} gnet;

static const char *act_text(act_fn f, char *buf)
{
    if (f.kind == ACT_LEAKY_RELU || f.kind == ACT_PRELU || f.kind == ACT_ELU)
        sprintf(buf, "%s(%g)", act_name(f.kind), f.param);
    else
        sprintf(buf, "%s", act_name(f.kind));
    return buf;
}

static act_fn random_hidden(uint64_t *s)
{
    static const act_kind K[] = {ACT_IDENTITY, ACT_STEP, ACT_LOGISTIC, ACT_TANH, ACT_ARCTAN, ACT_RELU,
                                 ACT_LEAKY_RELU, ACT_PRELU, ACT_ELU, ACT_SOFTPLUS};
    act_fn f = {K[rint_(s, 0, 9)], 0};
    if (f.kind == ACT_LEAKY_RELU) f.param = rint_(s, 1, 30) / 100.0;
    if (f.kind == ACT_PRELU) f.param = rint_(s, 5, 50) / 100.0;
    if (f.kind == ACT_ELU) f.param = rint_(s, 5, 20) / 10.0;
    return f;
}

/* A name for neuron id: its number, or its label "nID" when labelled. */
static const char *nname(const int *labelled, int id, char *buf)
{
    if (id > 0 && labelled[id]) sprintf(buf, "n%d", id);
    else sprintf(buf, "%d", id);
    return buf;
}

/* Generate a random valid lesson into g and its text into t. */
static void generate(uint64_t seed, gnet *g, char *t, size_t cap)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 12345;
    rnext(&s);
    memset(g, 0, sizeof *g);
    size_t n = 0;
#define EMIT(...) (n += (size_t)snprintf(t + n, cap - n, __VA_ARGS__))
    char b1[64], b2[64], b3[64];
    int kind = rint_(&s, 0, 99);     /* < 8 perceptron, < 16 batchnorm, < 22 no targets, else training */
    g->perceptron = kind < 8;
    int bn = kind >= 8 && kind < 16, no_y = kind >= 16 && kind < 22;
    g->has_y = !no_y || chance(&s, 30);
    if (bn) g->has_y = chance(&s, 60);

    /* scrambled ids: a random permutation of 1..MAXID */
    int perm[MAXID];
    for (int k = 0; k < MAXID; k++) perm[k] = k + 1;
    for (int k = MAXID - 1; k > 0; k--) { int r = rint_(&s, 0, k), x = perm[k]; perm[k] = perm[r]; perm[r] = x; }
    int used = 0;
    for (int id = 0; id <= MAXID; id++) g->layer_of[id] = -1;
    g->layer_of[0] = 0;
    g->n_in = rint_(&s, 1, 4);
    for (int k = 0; k < g->n_in; k++) { g->in_ids[k] = perm[used++]; g->layer_of[g->in_ids[k]] = 0; }
    g->n_layers = g->perceptron ? 1 : rint_(&s, 1, MAXL);
    for (int ly = 0; ly < g->n_layers; ly++) {
        int out = ly == g->n_layers - 1;
        g->count[ly] = rint_(&s, 1, out ? 6 : 5);
        g->act[ly] = random_hidden(&s);
        for (int k = 0; k < g->count[ly]; k++) { g->ids[ly][k] = perm[used++]; g->layer_of[g->ids[ly][k]] = ly + 1; }
    }
    int L = g->n_layers - 1;
    static const loss_kind LOSSES[] = {LOSS_SSE, LOSS_HALF_SSE, LOSS_BCE, LOSS_SOFTMAX_CE};
    g->loss = LOSSES[rint_(&s, 0, 3)];
    if (g->perceptron) {
        g->act[0] = (act_fn){ACT_STEP, 0};
        g->loss = LOSS_SSE;
    } else if (g->loss == LOSS_BCE) {
        g->act[L] = (act_fn){ACT_LOGISTIC, 0};
    } else if (g->loss == LOSS_SOFTMAX_CE) {
        g->act[L] = (act_fn){ACT_SOFTMAX, 0};
        if (g->count[L] < 2) { g->count[L] = 2; g->ids[L][1] = perm[used++]; g->layer_of[g->ids[L][1]] = L + 1; }
    }
    int labelled[MAXID + 1] = {0};
    for (int id = 1; id <= MAXID; id++) labelled[id] = g->layer_of[id] >= 0 && chance(&s, 30);

    /* arcs: bias (unless nobias), the previous layer (full) or a random
     * subset, plus skip arcs from any earlier layer */
    int listed = chance(&s, 50), nobias[MAXID + 1] = {0};
    for (int ly = 0; ly < g->n_layers; ly++)
        for (int k = 0; k < g->count[ly]; k++) {
            int j = g->ids[ly][k], fed = 0;
            nobias[j] = chance(&s, 15);
            if (!nobias[j]) { g->arcs[g->n_arcs++] = (garc){0, j, 0, 0, 0, 0}; fed = 1; }
            const int *prev = ly == 0 ? g->in_ids : g->ids[ly - 1];
            int np = ly == 0 ? g->n_in : g->count[ly - 1];
            for (int p = 0; p < np; p++)
                if (!listed || chance(&s, 50)) { g->arcs[g->n_arcs++] = (garc){prev[p], j, 0, 0, 0, 0}; fed = 1; }
            for (int e = 0; e < ly; e++) {       /* skip arcs from the inputs (e = 0) or layer e */
                const int *src = e == 0 ? g->in_ids : g->ids[e - 1];
                int ns = e == 0 ? g->n_in : g->count[e - 1];
                for (int p = 0; p < ns; p++)
                    if (chance(&s, 12)) { g->arcs[g->n_arcs++] = (garc){src[p], j, 0, 0, 0, 0}; fed = 1; }
            }
            if (!fed) { nobias[j] = 0; g->arcs[g->n_arcs++] = (garc){0, j, 0, 0, 0, 0}; }
        }

    /* weights: given (4 decimals), or drawn by init for some of the arcs
     * that exist without a weight line (bias arcs; the previous layer's in
     * `arcs full`) */
    int init = chance(&s, 25);
    for (int a = 0; a < g->n_arcs; a++) {
        int i = g->arcs[a].i, j = g->arcs[a].j;
        int implicit = i == 0 || (!listed && g->layer_of[i] == g->layer_of[j] - 1);
        if (init && implicit && chance(&s, 50)) continue;
        g->arcs[a].has_w = 1;
        g->arcs[a].w = rdec(&s, -1, 1, b3);
    }
    for (int a = 0; a < g->n_arcs; a++) g->arcs[a].frozen = chance(&s, 10);

    /* ties (not for the perceptron rule): disjoint groups of 2 or 3 arcs,
     * anywhere in the network; one value (a member's given value, else the
     * lesson's draw), frozen together when any member is */
    if (!g->perceptron && g->n_arcs >= 2 && chance(&s, 30)) {
        int want = rint_(&s, 1, 3);
        for (int k = 0; k < want; k++) {
            int size = rint_(&s, 2, 3), mem[3], m = 0;
            for (int tries = 0; tries < 30 && m < size; tries++) {
                int a = rint_(&s, 0, g->n_arcs - 1), dup = g->arcs[a].tie != 0;
                for (int q = 0; q < m; q++) dup |= mem[q] == a;
                if (!dup) mem[m++] = a;
            }
            if (m < 2) continue;
            int given = -1, frozen = 0;
            for (int q = 0; q < m; q++) {
                g->arcs[mem[q]].tie = g->n_ties + 1;
                if (g->arcs[mem[q]].has_w && given < 0) given = mem[q];
                frozen |= g->arcs[mem[q]].frozen;
            }
            for (int q = 0; q < m; q++) {
                if (given >= 0) { g->arcs[mem[q]].has_w = 1; g->arcs[mem[q]].w = g->arcs[given].w; }
                g->arcs[mem[q]].frozen = frozen;
            }
            g->n_ties++;
        }
    }

    /* examples */
    g->n_ex = rint_(&s, bn ? 2 : 1, MAXEX);
    for (int e = 0; e < g->n_ex; e++) {
        for (int k = 0; k < g->n_in; k++) g->x[e][k] = rdec(&s, -2, 2, b3);
        int hot = rint_(&s, 0, g->count[L] - 1);
        for (int k = 0; k < g->count[L]; k++) {
            if (g->perceptron) g->y[e][k] = rint_(&s, 0, 1);
            else if (g->loss == LOSS_SOFTMAX_CE) g->y[e][k] = k == hot;
            else if (g->loss == LOSS_BCE) g->y[e][k] = rdec(&s, 0, 1, b3);
            else g->y[e][k] = rdec(&s, -1, 1, b3);
        }
    }
    if (g->perceptron) {
        g->epochs = rint_(&s, 1, 4);
        g->steps = g->epochs * g->n_ex;
        g->rate = rint_(&s, 1, 10) / 10.0;
    } else if (bn || !g->has_y) {
        g->steps = 0;
    } else {
        g->steps = rint_(&s, 0, 10) == 0 ? 0 : chance(&s, 15) ? rint_(&s, 21, MAXSTEP) : rint_(&s, 1, 6);
        g->rate = rint_(&s, 0, 50) / 100.0;
        g->decay = chance(&s, 30) ? rint_(&s, 1, 10) / 100.0 : 0;
        g->batch = rint_(&s, 1, g->n_ex);
        g->no_update = g->steps > 0 && chance(&s, 10);
    }
    if (!g->batch) g->batch = 1;
    g->final_forward = g->steps > 0 && chance(&s, 40);
    g->trace_mode = rint_(&s, 0, 3);
    if (g->trace_mode == 3) {
        int last = g->steps + (g->final_forward ? 1 : 0);
        if (last == 0) g->trace_mode = 0;
        for (int k = 1; k <= last && g->trace_mode == 3; k++)
            if (chance(&s, 40)) g->trace_list[g->n_trace_list++] = k;
        if (g->trace_mode == 3 && !g->n_trace_list) g->trace_list[g->n_trace_list++] = last;
    }
    if (!g->perceptron && g->n_ex >= 2 && chance(&s, 15))
        g->normalise = chance(&s, 50) ? LESSON_NORM_ZSCORE : LESSON_NORM_MINMAX;
    if (bn) {
        g->bn_layer = rint_(&s, 1, g->n_layers);
        if (g->act[g->bn_layer - 1].kind == ACT_SOFTMAX) g->bn_layer = 1;
        if (g->act[g->bn_layer - 1].kind == ACT_SOFTMAX) g->bn_layer = 0;
        g->bn_gamma = rdec(&s, 0.5, 2, b3);
        g->bn_beta = rdec(&s, -1, 1, b3);
    }
    if (!g->perceptron && !g->bn_layer && g->steps > 0 && g->n_layers > 1 && chance(&s, 15))
        g->dropout_layer = rint_(&s, 1, g->n_layers - 1);
    /* hand rounding, for backprop lessons without normalisation, dropout or
     * batch norm (the reference rounds the operands of the operations those
     * use: in_j, g, g', losses, deltas, gradients, means, tie sums, updates) */
    g->round = -1;
    if (!g->perceptron && !g->normalise && !g->dropout_layer && !g->bn_layer && chance(&s, 20))
        g->round = rint_(&s, 2, 6);

    /* the file: lines in an order the parser must accept */
    EMIT("# generated by test_oracle.c, seed %llu\ntitle oracle %llu\n", (unsigned long long)seed,
         (unsigned long long)seed);
    if (chance(&s, 50)) EMIT("source  random\nnote    a generated lesson\n");
    EMIT("input  ");
    for (int k = 0; k < g->n_in; k++) EMIT(" %d", g->in_ids[k]);
    EMIT("\n");
    for (int ly = 0; ly < g->n_layers; ly++) {
        EMIT("layer   %s", act_text(g->act[ly], b1));
        for (int k = 0; k < g->count[ly]; k++) EMIT(" %d", g->ids[ly][k]);
        EMIT("\n");
    }
    if (listed) EMIT("arcs listed\n");
    else if (chance(&s, 30)) EMIT("arcs full\n");
    for (int id = 1; id <= MAXID; id++)
        if (nobias[id]) EMIT("nobias %s\n", nname(labelled, id, b1));
    int aliased[MAXARC] = {0}, by_tie[MAXARC] = {0}, tie_freeze[MAXARC] = {0};
    for (int k = 0; k < g->n_ties; k++) {
        by_tie[k] = chance(&s, 50);         /* its value as 'weight tK = V' once, when every */
        for (int a = 0; a < g->n_arcs; a++) /* arc of it exists without its own weight line */
            if (g->arcs[a].tie == k + 1 && g->arcs[a].i != 0 &&
                (listed || g->layer_of[g->arcs[a].i] != g->layer_of[g->arcs[a].j] - 1))
                by_tie[k] = 0;
        tie_freeze[k] = rint_(&s, 0, 2);    /* frozen as tK, through one arc, or every arc */
    }
    for (int a = 0; a < g->n_arcs; a++) {
        garc *r = &g->arcs[a];
        aliased[a] = chance(&s, 15);
        if (r->has_w && r->tie && by_tie[r->tie - 1]) { /* the tie's weight line, below */ }
        else if (r->has_w && aliased[a] && chance(&s, 50)) EMIT("weight  q%d = %.4f\n", a, r->w);
        else if (r->has_w) EMIT("weight  w_%s,%s = %.4f\n", nname(labelled, r->i, b1), nname(labelled, r->j, b2), r->w);
        if (!r->has_w) r->w = NAN;         /* drawn by init: read back from the lesson */
        if (aliased[a]) EMIT("alias   q%d w_%s,%s\n", a, nname(labelled, r->i, b1), nname(labelled, r->j, b2));
    }
    for (int k = 0; k < g->n_ties; k++) {
        int first = -1;
        EMIT("tie     t%d =", k);
        for (int a = 0; a < g->n_arcs; a++) {
            if (g->arcs[a].tie != k + 1) continue;
            if (first < 0) first = a;
            if (aliased[a]) EMIT(" q%d", a);
            else EMIT(" w_%s,%s", nname(labelled, g->arcs[a].i, b1), nname(labelled, g->arcs[a].j, b2));
        }
        EMIT("\n");
        if (g->arcs[first].has_w && by_tie[k]) EMIT("weight  t%d = %.4f\n", k, g->arcs[first].w);
    }
    int tie_frozen_said[MAXARC] = {0};
    for (int a = 0; a < g->n_arcs; a++) {
        if (!g->arcs[a].frozen) continue;
        int k = g->arcs[a].tie - 1;
        if (k >= 0 && tie_freeze[k] < 2) {  /* one line freezes the whole tie */
            if (tie_frozen_said[k]++) continue;
            if (tie_freeze[k] == 0) { EMIT("freeze  t%d\n", k); continue; }
        }
        if (aliased[a]) EMIT("freeze  q%d\n", a);
        else EMIT("freeze  w_%s,%s\n", nname(labelled, g->arcs[a].i, b1), nname(labelled, g->arcs[a].j, b2));
    }
    for (int id = 1; id <= MAXID; id++)
        if (labelled[id]) EMIT("label   %d n%d\n", id, id);
    if (init) {
        int k = rint_(&s, 0, 3);
        if (k == 0) EMIT("init uniform -0.5 0.5 %d\n", rint_(&s, 0, 1000));
        else EMIT("init %s %d\n", k == 1 ? "xavier" : k == 2 ? "he" : "xavier-normal", rint_(&s, 0, 1000));
        if (g->n_layers > 1 && chance(&s, 30)) EMIT("init-layer %d he %d\n", rint_(&s, 1, g->n_layers), rint_(&s, 0, 99));
    }
    if (g->has_y && !g->perceptron) EMIT("loss    %s\n", loss_name(g->loss));
    if (g->perceptron) {
        EMIT("rule perceptron\nepochs %d\nrate %g\n", g->epochs, g->rate);
    } else if (g->steps > 0) {
        EMIT("rate    %g\nsteps   %d\n", g->rate, g->steps);
        if (g->decay > 0) EMIT("decay   %g\n", g->decay);
        if (g->batch > 1 || chance(&s, 20)) EMIT("batch   %d\n", g->batch);
    } else if (chance(&s, 50)) {
        EMIT("steps 0\n");
    }
    if (g->no_update) EMIT("update no\n");
    if (g->final_forward) EMIT("final-forward yes\n");
    else if (chance(&s, 10)) EMIT("final-forward no\n");
    if (g->trace_mode == 1) EMIT("trace all\n");
    if (g->trace_mode == 2) EMIT("trace none\n");
    if (g->trace_mode == 3) {
        EMIT("trace");
        for (int k = 0; k < g->n_trace_list; k++) EMIT(" %d", g->trace_list[k]);
        EMIT("\n");
    }
    if (g->steps > 0 && chance(&s, 20)) EMIT("report %d\n", g->steps);
    if (g->normalise) EMIT("normalise %s\n", g->normalise == LESSON_NORM_ZSCORE ? "zscore" : "minmax");
    if (g->dropout_layer) EMIT("dropout %d 0.%d %d\n", g->dropout_layer, rint_(&s, 1, 6), rint_(&s, 0, 999));
    if (g->bn_layer) EMIT("batchnorm %d %.4f %.4f\n", g->bn_layer, g->bn_gamma, g->bn_beta);
    if (chance(&s, 30)) EMIT("digits %d\n", rint_(&s, 2, 9));
    if (g->round >= 0) EMIT("round %d\n", g->round);
    if (chance(&s, 20)) EMIT("notation %s\n", lesson_notation_name(rint_(&s, 0, NOTATION_COUNT - 1)));
    if (chance(&s, 15)) EMIT("ask in_* a_*\necf half\ntolerance 0.01\npoints a_* = 2\n");
    for (int e = 0; e < g->n_ex; e++) {
        EMIT("example");
        for (int k = 0; k < g->n_in; k++) EMIT(" %.4f", g->x[e][k]);
        if (g->has_y) {
            EMIT(" ->");
            for (int k = 0; k < g->count[L]; k++) EMIT(" %.4f", g->y[e][k]);
        }
        EMIT("\n");
    }
#undef EMIT
}

/* ------------------------------------------------------------------------
 * Error-bounded long double arithmetic (see the tolerance in the header)
 * ---------------------------------------------------------------------- */

static long double labs_(long double x) { return x < 0 ? -x : x; }
static num nc(long double v) { return (num){v, 0}; }
static num nadd(num a, num b) { long double v = a.v + b.v; return (num){v, a.e + b.e + U * labs_(v)}; }
static num nsub(num a, num b) { long double v = a.v - b.v; return (num){v, a.e + b.e + U * labs_(v)}; }
static num nmul(num a, num b)
{
    long double v = a.v * b.v;
    return (num){v, labs_(a.v) * b.e + labs_(b.v) * a.e + a.e * b.e + U * labs_(v)};
}
static num nscale(long double c, num a) { return (num){c * a.v, labs_(c) * a.e + U * labs_(c * a.v)}; }
/* x_0 + ... + x_{n-1} in any order: sum of errors + n u sum |x| */
static num nsum(const num *x, int n)
{
    num r = {0, 0};
    long double mag = 0;
    for (int k = 0; k < n; k++) { r.v += x[k].v; r.e += x[k].e; mag += labs_(x[k].v); }
    r.e += (n + 1) * U * mag;
    return r;
}
static num ndiv(num a, num b)
{
    long double v = a.v / b.v, ab = labs_(b.v);
    if (b.e >= ab) return (num){v, INFINITY};          /* the divisor may be 0: unconstrained */
    return (num){v, (a.e + labs_(v) * b.e) / (ab - b.e) + U * labs_(v)};
}

/* g and g' from lecture 002's table (001 for the logistic), from in_j */
static long double g_of(act_fn f, long double x)
{
    switch (f.kind) {
    case ACT_IDENTITY:   return x;
    case ACT_STEP:       return x >= 0 ? 1 : 0;
    case ACT_LOGISTIC:   return 1 / (1 + expl(-x));
    case ACT_TANH:       return tanhl(x);
    case ACT_ARCTAN:     return atanl(x);
    case ACT_RELU:       return x >= 0 ? x : 0;
    case ACT_LEAKY_RELU:
    case ACT_PRELU:      return x >= 0 ? x : f.param * x;
    case ACT_ELU:        return x >= 0 ? x : f.param * (expl(x) - 1);
    case ACT_SOFTPLUS:   return log1pl(expl(x));        /* ln(1 + e^x), accurately */
    default:             return NAN;
    }
}
static long double dg_of(act_fn f, long double x)
{
    long double s;
    switch (f.kind) {
    case ACT_IDENTITY:   return 1;
    case ACT_STEP:       return 0;
    case ACT_LOGISTIC:   s = g_of(f, x); return s * (1 - s);
    case ACT_TANH:       s = tanhl(x); return 1 - s * s;
    case ACT_ARCTAN:     return 1 / (x * x + 1);
    case ACT_RELU:       return x >= 0 ? 1 : 0;
    case ACT_LEAKY_RELU:
    case ACT_PRELU:      return x >= 0 ? 1 : f.param;
    case ACT_ELU:        return x >= 0 ? 1 : g_of(f, x) + f.param;   /* g' = g + alpha, x < 0 */
    case ACT_SOFTPLUS:   return 1 / (1 + expl(-x));
    default:             return NAN;
    }
}
/* max |fn(x) - fn(v)| over x in [v - e, v + e] (ends, and 0 when inside:
 * the kinks and the logistic's peak) */
static long double spread(long double (*fn)(act_fn, long double), act_fn f, num in)
{
    long double v = fn(f, in.v), m = 0, pts[3] = {in.v - in.e, in.v + in.e, 0};
    int np = (in.v - in.e <= 0 && 0 <= in.v + in.e) ? 3 : 2;
    if (isinf(in.e)) return INFINITY;
    for (int k = 0; k < np; k++) { long double d = labs_(fn(f, pts[k]) - v); if (d > m) m = d; }
    return m;
}
static num nact(act_fn f, num in)
{
    long double v = g_of(f, in.v);
    return (num){v, spread(g_of, f, in) + 8 * U * labs_(v)};
}
/* g'(in_j): the spread over in's error, plus the round-off of evaluating
 * the lecture's form (a(1-a), 1 - a^2, a + alpha), whose terms can be
 * larger than the result */
static num ndact(act_fn f, num in, num a)
{
    long double v = dg_of(f, in.v), e = spread(dg_of, f, in) + 8 * U * labs_(v);
    if (f.kind == ACT_TANH) e += 2 * U * a.v * a.v;
    if (f.kind == ACT_ELU && in.v < 0) e += 2 * U * (labs_(a.v) + f.param);
    if (f.kind == ACT_LOGISTIC) e += 2 * U * labs_(a.v);
    return (num){v, e};
}

/* ------------------------------------------------------------------------
 * The expected quantities: (kind, i, j, t, e) -> value with its bound
 * ---------------------------------------------------------------------- */

typedef struct {
    int kind, i, j, t, e, gen, must, seen;
    num v;
} entry;

#define TABBITS 18
typedef struct {
    entry *tab;
    int gen, n;
} etab;

static entry *eget(etab *T, int kind, int i, int j, int t, int e, int create)
{
    uint64_t h = ((((uint64_t)kind * 1000003u + (uint64_t)(i + 2)) * 1000003u + (uint64_t)(j + 2)) * 1000003u +
                  (uint64_t)t) * 1000003u + (uint64_t)e;
    h *= 0x9E3779B97F4A7C15ULL;
    size_t mask = ((size_t)1 << TABBITS) - 1;
    for (size_t p = (size_t)(h >> (64 - TABBITS));; p = (p + 1) & mask) {
        entry *x = &T->tab[p];
        if (x->gen != T->gen) {
            if (!create) return NULL;
            assert_true(T->n < (1 << (TABBITS - 1)));     /* the generator stays small */
            T->n++;
            *x = (entry){kind, i, j, t, e, T->gen, 0, 0, {0, 0}};
            return x;
        }
        if (x->kind == kind && x->i == i && x->j == j && x->t == t && x->e == e) {
            if (create) fail_msg("reference: quantity kind %d (%d,%d) t %d e %d recorded twice", kind, i, j, t, e);
            return x;
        }
    }
}

/* ------------------------------------------------------------------------
 * The reference computation
 * ---------------------------------------------------------------------- */

typedef struct {
    const gnet *g;
    const lesson *l;            /* only for init-drawn weights and the dropout mask */
    etab *T;
    int must;                   /* quantities of this step must be in the trace */
    long double big;            /* the largest |value|: a diverged run is skipped */
    num w[MAXARC];              /* current weights */
    num in[MAXID + 1], a[MAXID + 1], out[MAXID + 1], gp[MAXID + 1], r[MAXID + 1], d[MAXID + 1];
    num xn[MAXEX][MAXN];        /* normalised inputs */
    const double (*W)[MAXARC];  /* [t][a]: the engine's weights w^(t) (shadowing) */
    int tfirst[MAXARC];         /* tie k's first arc in the lesson's order (by j, then i):
                                   its name's (i, j) */
    long double p10;            /* 10^round, or 0 when exact */
} orc;

/* A tie's quantity kind (its weight, gradient, update) in the table. */
static int tkind(const gnet *g, int a, q_kind k) { return g->arcs[a].tie ? KIND_TIE + (int)k : (int)k; }

/* Operand x as an operation uses it: rounded to `round` decimals, half
 * away from zero (a decimal tie within representation error counts as a
 * tie), or x itself when exact. Exact, apart from the double the result is
 * stored in, unless x's error reaches a rounding boundary: then the engine
 * may round either way, and the result carries one unit 10^-R. */
static num rnd(const orc *o, num x)
{
    if (o->p10 == 0) return x;
    if (!isfinite(x.v) || isinf(x.e)) return (num){x.v, INFINITY};
    long double s = labs_(x.v) * o->p10, lo = floorl(s), frac = s - lo;
    long double slack = x.e * o->p10 + 64 * 2 * U * (s > 1 ? s : 1);
    long double r = frac >= 0.5L - slack ? lo + 1 : lo;
    long double v = (x.v < 0 ? -r : r) / o->p10;
    long double e = U * labs_(v);
    if (labs_(frac - 0.5L) <= slack && x.e > 0) e += x.e + 1 / o->p10;   /* |R(a) - R(b)| <= |a - b| + 1 unit */
    return (num){v, e};
}

/* g'(in_j) from its operands in_j and a_j: exact, from in_j; rounding,
 * from the rounded operands in the lecture's form, which for the logistic
 * and tanh reads a_j: a(1-a), 1-a^2. */
static num o_dact(const orc *o, act_fn f, num in, num a)
{
    if (o->p10 == 0) return ndact(f, in, a);
    num ra = rnd(o, a), ri = rnd(o, in);
    if (f.kind == ACT_LOGISTIC) return nmul(ra, nsub(nc(1), ra));
    if (f.kind == ACT_TANH) return nsub(nc(1), nmul(ra, ra));
    return ndact(f, ri, nc(g_of(f, ri.v)));
}

static num rec(orc *o, q_kind k, int i, int j, int t, int e, num v)
{
    entry *x = eget(o->T, k, i, j, t, e, 1);
    x->v = v;
    x->must = o->must;
    if (labs_(v.v) > o->big) o->big = labs_(v.v);
    return v;
}

static int out_layer(const gnet *g) { return g->n_layers - 1; }

/* Forward of example ex (0-based) at iteration t, named e; dropout in
 * training steps (b: the position inside the batch, the mask's draw);
 * layers lo..hi-1 only (batch norm splits the pass). */
static void o_forward(orc *o, int t, int e, int ex, int training, int b, int lo, int hi)
{
    const gnet *g = o->g;
    if (lo == 0) {
        o->a[0] = o->out[0] = nc(1);
        for (int k = 0; k < g->n_in; k++) {
            int j = g->in_ids[k];
            o->a[j] = g->normalise ? o->xn[ex][k] : rec(o, Q_INPUT, -1, j, t, e, nc(g->x[ex][k]));
            o->out[j] = o->a[j];
        }
    }
    for (int ly = lo; ly < hi; ly++) {
        int drop = training && g->dropout_layer == ly + 1;
        for (int k = 0; k < g->count[ly]; k++) {       /* in_j = sum_i w_ij a_i */
            int j = g->ids[ly][k], n = 0;
            num terms[MAXARC];
            for (int a = 0; a < g->n_arcs; a++)
                if (g->arcs[a].j == j) terms[n++] = nmul(rnd(o, o->w[a]), rnd(o, o->out[g->arcs[a].i]));
            o->in[j] = rec(o, Q_IN, -1, j, t, e, nsum(terms, n));
            if (g->act[ly].kind == ACT_SOFTMAX) continue;
            o->a[j] = o->out[j] = rec(o, Q_ACT, -1, j, t, e, nact(g->act[ly], rnd(o, o->in[j])));
            if (drop) {                                /* 001 07-5a: r = m/(1-p), ad = r a */
                int m = lesson_dropout_keep(o->l, t, b, j);
                rec(o, Q_MASK, -1, j, t, e, nc(m));
                long double r = m / (1 - (long double)o->l->dropout_p);
                o->r[j] = rec(o, Q_KEEP, -1, j, t, e, (num){r, 3 * U * r});
                o->out[j] = rec(o, Q_DROP, -1, j, t, e, nmul(o->r[j], o->a[j]));
            }
        }
        if (g->act[ly].kind != ACT_SOFTMAX) continue;
        long double mx = -INFINITY, sum = 0, far = 0;
        num in[MAXN];                                  /* the operands: in_k, rounded when rounding */
        for (int k = 0; k < g->count[ly]; k++) in[k] = rnd(o, o->in[g->ids[ly][k]]);
        for (int k = 0; k < g->count[ly]; k++) if (in[k].v > mx) mx = in[k].v;
        for (int k = 0; k < g->count[ly]; k++) sum += expl(in[k].v);
        for (int k = 0; k < g->count[ly]; k++) far = fmaxl(far, mx - in[k].v);
        for (int k = 0; k < g->count[ly]; k++) {       /* a_k = exp(in_k) / sum_m exp(in_m) */
            int j = g->ids[ly][k];
            long double v = expl(in[k].v) / sum, spread_in = in[k].e;
            for (int m = 0; m < g->count[ly]; m++) spread_in += (expl(in[m].v) / sum) * in[m].e;
            num a = {v, v * spread_in * 2 + U * v * (g->count[ly] + 6 + 4 * far)};
            o->a[j] = o->out[j] = rec(o, Q_ACT, -1, j, t, e, a);
        }
    }
}

/* Targets, err_j and J of example ex (lecture losses, DESIGN.md) */
static num o_loss(orc *o, int t, int e, int ex)
{
    const gnet *g = o->g;
    int L = out_layer(g), n = 0;
    num terms[MAXN];
    for (int k = 0; k < g->count[L]; k++) rec(o, Q_TARGET, -1, g->ids[L][k], t, e, nc(g->y[ex][k]));
    for (int k = 0; k < g->count[L]; k++) {
        int j = g->ids[L][k];
        num y = rnd(o, nc(g->y[ex][k])), a = rnd(o, o->a[j]);
        if (g->loss == LOSS_SSE || g->loss == LOSS_HALF_SSE) {
            num d = rec(o, Q_ERR, -1, j, t, e, nsub(y, a));            /* y_j - a_j */
            o->d[j] = d;
            terms[n++] = g->loss == LOSS_SSE ? nmul(d, d) : nscale(0.5L, nmul(d, d));
            continue;
        }
        /* -y ln a (- (1-y) ln(1-a) for bce); ln's argument is guarded at
         * 1e-12, the engine's stated convention */
        num la = a, l1 = nsub(nc(1), a);
        if (la.v < 1e-12L) la = nc(1e-12L);
        if (l1.v < 1e-12L) l1 = nc(1e-12L);
        num ln_a = {logl(la.v), la.e / la.v + 2 * U * labs_(logl(la.v))};
        num t1 = nmul(y, ln_a);
        if (g->loss == LOSS_BCE) {
            num ln_1a = {logl(l1.v), l1.e / l1.v + 2 * U * labs_(logl(l1.v))};
            t1 = nadd(t1, nmul(nsub(nc(1), y), ln_1a));
        }
        terms[n++] = nscale(-1, t1);
    }
    return rec(o, Q_LOSS, -1, -1, t, e, nsum(terms, n));
}

/* Backward of the example just forwarded, then its gradients into gr[a]
 * (recorded as dJ/dw_ij named e). */
static void o_backward(orc *o, int t, int e, int training, num *gr)
{
    const gnet *g = o->g;
    int L = out_layer(g);
    for (int ly = L; ly >= 0; ly--)
        for (int k = 0; k < g->count[ly]; k++) {
            int j = g->ids[ly][k];
            int ce = ly == L && (g->loss == LOSS_BCE || g->loss == LOSS_SOFTMAX_CE);
            num gp = {0, 0}, delta;
            if (!ce) gp = o->gp[j] = rec(o, Q_DERIV, -1, j, t, e, o_dact(o, g->act[ly], o->in[j], o->a[j]));
            gp = rnd(o, gp);                                              /* as an operand */
            if (ly == L) {
                if (ce) {
                    entry *y = eget(o->T, Q_TARGET, -1, j, t, e, 0);
                    delta = nsub(rnd(o, o->a[j]), rnd(o, y->v));          /* a_j - y_j */
                } else if (g->loss == LOSS_SSE) {
                    delta = nmul(nscale(-2, rnd(o, o->d[j])), gp);        /* -2 (y - a) g' */
                } else {
                    delta = nscale(-1, nmul(rnd(o, o->d[j]), gp));        /* -(y - a) g' */
                }
            } else {                                                      /* g' sum_k w_jk Delta_k */
                num fac = gp, terms[MAXARC];
                int n = 0;
                if (training && g->dropout_layer == ly + 1)
                    fac = rec(o, Q_DDERIV, -1, j, t, e, nmul(o->r[j], gp));   /* r_j g'(in_j) */
                for (int a = 0; a < g->n_arcs; a++)
                    if (g->arcs[a].i == j) terms[n++] = nmul(rnd(o, o->w[a]), rnd(o, o->d[g->arcs[a].j]));
                delta = nmul(fac, nsum(terms, n));
            }
            o->d[j] = rec(o, Q_DELTA, -1, j, t, e, delta);
        }
    for (int a = 0; a < g->n_arcs; a++) {                                 /* dJ/dw_ij = Delta_j a_i */
        if (g->arcs[a].frozen) continue;
        gr[a] = rec(o, Q_GRAD, g->arcs[a].i, g->arcs[a].j, t, e,
                    nmul(rnd(o, o->d[g->arcs[a].j]), rnd(o, o->out[g->arcs[a].i])));
    }
}

static void o_train_step(orc *o, int t)
{
    const gnet *g = o->g;
    int B = g->batch;
    static num gr[MAXEX][MAXARC];
    for (int b = 0; b < B; b++) {
        int ex = (t * B + b) % g->n_ex, e = B > 1 ? ex + 1 : 0;    /* step t+1: examples tB .. tB+B-1 cycling */
        o_forward(o, t, e, ex, 1, b, 0, g->n_layers);
        o_loss(o, t, e, ex);
        o_backward(o, t, e, 1, gr[b]);
    }
    static num grad[MAXARC], tgrad[MAXARC];
    for (int a = 0; a < g->n_arcs; a++) {
        if (g->arcs[a].frozen) continue;
        grad[a] = gr[0][a];
        if (B > 1) {                                       /* mean over the batch */
            num col[MAXEX];
            for (int b = 0; b < B; b++) col[b] = rnd(o, gr[b][a]);
            num s = nsum(col, B);
            grad[a] = rec(o, Q_GRAD, g->arcs[a].i, g->arcs[a].j, t, 0, (num){s.v / B, s.e / B + U * labs_(s.v / B)});
        }
    }
    for (int k = 0; k < g->n_ties; k++) {                  /* a tie: dJ/dt = the sum of its arcs' dJ/dw */
        int f = o->tfirst[k], n = 0;
        if (g->arcs[f].frozen) continue;
        num terms[MAXARC];
        for (int a = 0; a < g->n_arcs; a++) if (g->arcs[a].tie == k + 1) terms[n++] = rnd(o, grad[a]);
        tgrad[k] = rec(o, KIND_TIE + Q_GRAD, g->arcs[f].i, g->arcs[f].j, t, 0, nsum(terms, n));
    }
    if (g->no_update) return;                              /* backward-only */
    for (int a = 0; a < g->n_arcs; a++) {
        int k = g->arcs[a].tie - 1;
        if (g->arcs[a].frozen || (k >= 0 && a != o->tfirst[k])) continue;
        /* w <- w - alpha dJ/dw - 2 alpha lambda w (a tie: once, with its dJ/dt) */
        num w = rnd(o, o->w[a]), dw = rnd(o, k >= 0 ? tgrad[k] : grad[a]);
        long double al = g->rate, lam = g->decay, v = w.v - al * dw.v - 2 * al * lam * w.v;
        long double e = w.e * (1 + 2 * al * lam) + al * dw.e +
                        4 * U * (labs_(w.v) + labs_(al * dw.v) + labs_(2 * al * lam * w.v));
        o->w[a] = rec(o, tkind(g, a, Q_UPDATE), g->arcs[a].i, g->arcs[a].j, t, 0, (num){v, e});
    }
    for (int a = 0; a < g->n_arcs; a++)                    /* every arc of a tie: its one value */
        if (g->arcs[a].tie) o->w[a] = o->w[o->tfirst[g->arcs[a].tie - 1]];
}

/* w_ij <- w_ij + alpha (y_j - h_j) a_i (000, 003); returns the mistakes */
static int o_perceptron_step(orc *o, int t)
{
    const gnet *g = o->g;
    int ex = t % g->n_ex, mistakes = 0;
    num terms[MAXN * 2];
    o->a[0] = nc(1);
    for (int k = 0; k < g->n_in; k++) o->a[g->in_ids[k]] = rec(o, Q_INPUT, -1, g->in_ids[k], t, 0, nc(g->x[ex][k]));
    for (int k = 0; k < g->count[0]; k++) {
        int j = g->ids[0][k], n = 0;
        num tm[MAXARC];
        for (int a = 0; a < g->n_arcs; a++) if (g->arcs[a].j == j) tm[n++] = nmul(o->w[a], o->a[g->arcs[a].i]);
        o->in[j] = rec(o, Q_IN, -1, j, t, 0, nsum(tm, n));
        o->a[j] = rec(o, Q_ACT, -1, j, t, 0, nact((act_fn){ACT_STEP, 0}, o->in[j]));
    }
    for (int k = 0; k < g->count[0]; k++) {
        int j = g->ids[0][k];
        rec(o, Q_TARGET, -1, j, t, 0, nc(g->y[ex][k]));
        num d = nsub(nc(g->y[ex][k]), o->a[j]);
        terms[k] = nmul(d, d);
    }
    num J = rec(o, Q_LOSS, -1, -1, t, 0, nsum(terms, g->count[0]));
    mistakes = J.v != 0;
    for (int a = 0; a < g->n_arcs; a++) {
        if (g->arcs[a].frozen) continue;
        int i = g->arcs[a].i, j = g->arcs[a].j, k = 0;
        while (g->ids[0][k] != j) k++;
        num d = nsub(nc(g->y[ex][k]), o->a[j]);
        o->w[a] = rec(o, Q_UPDATE, i, j, t, 0, nadd(o->w[a], nscale(g->rate, nmul(d, o->a[i]))));
    }
    return mistakes;
}

/* The input normalisation (000), once, over all examples */
static void o_normalise(orc *o)
{
    const gnet *g = o->g;
    int n = g->n_ex;
    for (int k = 0; k < g->n_in; k++) {
        int j = g->in_ids[k];
        num x[MAXEX] = {{0, 0}}, lo, hi;
        for (int ex = 0; ex < n; ex++) x[ex] = rec(o, Q_INPUT, -1, j, 0, ex + 1, nc(g->x[ex][k]));
        if (g->normalise == LESSON_NORM_ZSCORE) {       /* mu, var (population), sd */
            num s = nsum(x, n), sq[MAXEX];
            num mu = rec(o, Q_MEAN, -1, j, 0, 0, (num){s.v / n, s.e / n + U * labs_(s.v / n)});
            for (int ex = 0; ex < n; ex++) { num d = nsub(x[ex], mu); sq[ex] = nmul(d, d); }
            num vs = nsum(sq, n);
            num var = rec(o, Q_VAR, -1, j, 0, 0, (num){vs.v / n, vs.e / n + U * labs_(vs.v / n)});
            long double sd = sqrtl(var.v);
            num sdn = {sd, sd > 0 ? var.e / (2 * sd) + U * sd : sqrtl(var.e)};
            if (sd > 0 && sd * sd <= 4 * var.e) sdn.e = INFINITY;    /* var within its error of 0 */
            rec(o, Q_SD, -1, j, 0, 0, sdn);
            lo = mu;
            hi = sdn;
        } else {                                        /* min, max: exact selections */
            lo = x[0]; hi = x[0];
            for (int ex = 1; ex < n; ex++) { if (x[ex].v < lo.v) lo = x[ex]; if (x[ex].v > hi.v) hi = x[ex]; }
            rec(o, Q_MIN, -1, j, 0, 0, lo);
            rec(o, Q_MAX, -1, j, 0, 0, hi);
        }
        for (int ex = 0; ex < n; ex++) {
            num v;
            if (g->normalise == LESSON_NORM_ZSCORE)
                v = hi.v == 0 ? nc(0) : isinf(hi.e) ? (num){0, INFINITY} : ndiv(nsub(x[ex], lo), hi);
            else
                v = hi.v == lo.v ? nc(0) : ndiv(nsub(x[ex], lo), nsub(hi, lo));
            o->xn[ex][k] = v;
        }
    }
    for (int ex = 0; ex < n; ex++)
        for (int k = 0; k < g->n_in; k++) rec(o, Q_XNORM, -1, g->in_ids[k], 0, ex + 1, o->xn[ex][k]);
}

/* Forward over every example after training (or instead of it) */
static void o_evaluate(orc *o, int t)
{
    const gnet *g = o->g;
    if (!g->bn_layer) {
        for (int ex = 0; ex < g->n_ex; ex++) {
            int e = g->n_ex > 1 ? ex + 1 : 0;
            o_forward(o, t, e, ex, 0, 0, 0, g->n_layers);
            if (g->has_y) o_loss(o, t, e, ex);
        }
        return;
    }
    /* batch norm of layer Lb over the examples (001 07-5b):
     * ahat_j[e] = gamma (a_j[e] - mu_j)/sqrt(var_j + 1e-5) + beta */
    int Lb = g->bn_layer - 1;
    static num save[MAXEX][MAXID + 1];
    for (int ex = 0; ex < g->n_ex; ex++) {
        o_forward(o, t, ex + 1, ex, 0, 0, 0, Lb + 1);
        memcpy(save[ex], o->out, sizeof o->out);
    }
    num mu[MAXN], var[MAXN];
    for (int k = 0; k < g->count[Lb]; k++) {
        int j = g->ids[Lb][k];
        num col[MAXEX], sq[MAXEX];
        for (int ex = 0; ex < g->n_ex; ex++) col[ex] = save[ex][j];
        num s = nsum(col, g->n_ex);
        mu[k] = rec(o, Q_MEAN, -1, j, t, 0, (num){s.v / g->n_ex, s.e / g->n_ex + U * labs_(s.v / g->n_ex)});
        for (int ex = 0; ex < g->n_ex; ex++) { num d = nsub(col[ex], mu[k]); sq[ex] = nmul(d, d); }
        num vs = nsum(sq, g->n_ex);
        var[k] = rec(o, Q_VAR, -1, j, t, 0, (num){vs.v / g->n_ex, vs.e / g->n_ex + U * labs_(vs.v / g->n_ex)});
    }
    for (int ex = 0; ex < g->n_ex; ex++) {
        memcpy(o->out, save[ex], sizeof o->out);
        for (int k = 0; k < g->count[Lb]; k++) {
            int j = g->ids[Lb][k];
            num s = nadd(var[k], nc(1e-5L));
            long double sq = sqrtl(s.v);
            num den = {sq, s.e / (2 * sq) + 2 * U * sq};
            num q = ndiv(nsub(save[ex][j], mu[k]), den);
            o->out[j] = rec(o, Q_BN, -1, j, t, ex + 1, nadd(nscale(g->bn_gamma, q), nc(g->bn_beta)));
        }
        o_forward(o, t, ex + 1, ex, 0, 0, Lb + 1, g->n_layers);
        if (g->has_y) o_loss(o, t, ex + 1, ex);
    }
}

static int traced(const gnet *g, int k)
{
    if (g->trace_mode == 1) return 1;
    if (g->trace_mode == 2) return 0;
    if (g->trace_mode == 3) {
        for (int s = 0; s < g->n_trace_list; s++) if (g->trace_list[s] == k) return 1;
        return 0;
    }
    return g->steps <= 20 || k == 1 || k == g->steps;
}

/* The whole lesson: given, normalisation, steps, final forward. */
static void o_run(orc *o)
{
    const gnet *g = o->g;
    o->must = 1;
    rec(o, Q_BIAS, -1, 0, 0, 0, nc(1));
    for (int k = 0; k < g->n_ties; k++) o->tfirst[k] = -1;    /* a tie's first arc: lowest (j, i) */
    for (int a = 0; a < g->n_arcs; a++) {
        int k = g->arcs[a].tie - 1, f = k >= 0 ? o->tfirst[k] : 0;
        if (k >= 0 && (f < 0 || g->arcs[a].j < g->arcs[f].j || (g->arcs[a].j == g->arcs[f].j && g->arcs[a].i < g->arcs[f].i)))
            o->tfirst[k] = a;
    }
    for (int a = 0; a < g->n_arcs; a++) {
        double w = g->arcs[a].has_w ? g->arcs[a].w : o->l->arcs[lesson_arc_index(o->l, g->arcs[a].i, g->arcs[a].j)].w;
        int k = g->arcs[a].tie - 1;
        o->w[a] = nc(w);
        if (k < 0 || a == o->tfirst[k]) rec(o, tkind(g, a, Q_WEIGHT), g->arcs[a].i, g->arcs[a].j, 0, 0, nc(w));
    }
    if (g->normalise) o_normalise(o);
    int run = g->steps, mistakes = 0;
    for (int k = 1; k <= g->steps; k++) {
        int t = k - 1;
        for (int a = 0; a < g->n_arcs; a++) o->w[a] = nc(o->W[t][a]);     /* shadowing */
        o->must = traced(g, k);
        if (g->perceptron) mistakes += o_perceptron_step(o, t);
        else o_train_step(o, t);
        int stop = 0;
        if (g->perceptron && k % g->n_ex == 0) {
            stop = mistakes == 0;
            mistakes = 0;
            run = k;
        }
        /* an untraced step leaves its new weights as given quantities */
        o->must = 0;
        if (!traced(g, k))
            for (int a = 0; a < g->n_arcs; a++)
                if (!g->arcs[a].frozen && (!g->arcs[a].tie || a == o->tfirst[g->arcs[a].tie - 1]))
                    rec(o, tkind(g, a, Q_WEIGHT), g->arcs[a].i, g->arcs[a].j, k, 0, o->w[a]);
        if (stop) break;
    }
    o->must = 1;
    for (int a = 0; a < g->n_arcs; a++) o->w[a] = nc(o->W[run][a]);
    if (g->steps == 0 || g->final_forward) o_evaluate(o, run);
}

/* ------------------------------------------------------------------------
 * The test
 * ---------------------------------------------------------------------- */

static char tmpdir[64];
static int make_tmp(void **state) { (void)state; return tmpdir_make(tmpdir, "oracle"); }
static int rm_tmp(void **state) { (void)state; return tmpdir_remove(tmpdir); }

/* Run lesson seed through file, parser and engine, and compare; returns
 * the number of quantities compared (0: diverged, skipped). */
static size_t one(uint64_t seed, etab *T, char *text, size_t cap, int *tied, int *rounded)
{
    static gnet g;
    generate(seed, &g, text, cap);
    *tied += g.n_ties > 0 && g.steps > 0;
    *rounded += g.round >= 0;
    char path[128], err[1024];
    snprintf(path, sizeof path, "%s/l%llu.lesson", tmpdir, (unsigned long long)seed);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    const char *dump = getenv("ORACLE_DUMP");     /* ORACLE_DUMP=FILE keeps the last lesson whole */
    FILE *df = dump && *dump ? fopen(dump, "w") : NULL;
    if (df) { fputs(text, df); fclose(df); }
    lesson *l = lesson_load(path, err, sizeof err);
    if (!l) fail_msg("generated lesson does not load: %s\n--- lesson ---\n%s", err, text);
    assert_int_equal(unlink(path), 0);
    engine_opts eo = {.round = ENGINE_ROUND_LESSON}, all = {.round = ENGINE_ROUND_LESSON, .trace_all = 1};
    engine_result r, ra;
    if (engine_run(l, &eo, &r, err, sizeof err) || engine_run(l, &all, &ra, err, sizeof err)) fail_msg("%s", err);
    /* the engine's weights w^(t) of every step, for shadowing */
    static double W[MAXSTEP + 2][MAXARC];
    static int gen_of[MAXARC];                /* lesson arc -> generated arc */
    for (int a = 0; a < g.n_arcs; a++) {
        int la = lesson_arc_index(l, g.arcs[a].i, g.arcs[a].j);
        assert_true(la >= 0);
        gen_of[la] = a;
        for (int t = 0; t <= g.steps; t++) W[t][a] = l->arcs[la].w;
    }
    for (size_t id = 0; id < ra.tr->n; id++) {
        const quantity *q = &ra.tr->q[id];
        if (q->kind != Q_UPDATE) continue;
        int a = gen_of[lesson_arc_index(l, q->i, q->j)];
        for (int b = 0; b < g.n_arcs; b++)     /* a tie's update is every one of its arcs' */
            if (b == a || (q->tie && g.arcs[a].tie && g.arcs[b].tie == g.arcs[a].tie))
                for (int t = q->t + 1; t <= g.steps; t++) W[t][b] = q->value;
    }

    static orc o;
    memset(&o, 0, sizeof o);
    o.g = &g;
    o.l = l;
    o.T = T;
    o.W = (const double (*)[MAXARC])W;
    o.p10 = g.round >= 0 ? powl(10, g.round) : 0;
    T->gen++;
    T->n = 0;
    o_run(&o);
    size_t compared = 0;
    if (o.big > 1e100L) goto done;            /* diverged training: no finite reference */
    for (size_t id = 0; id < r.tr->n; id++) {
        const quantity *q = &r.tr->q[id];
        char name[96];
        trace_name(q, name, sizeof name);
        entry *x = eget(T, (q->tie ? KIND_TIE : 0) + (int)q->kind, q->i, q->j, q->t, q->e, 0);
        if (!x) fail_msg("seed %llu: the trace has %s (kind %s), the reference does not\n--- lesson ---\n%s",
                         (unsigned long long)seed, name, trace_kind_name(q->kind), text);
        long double tol = 2 * x->v.e + 4 * U * labs_(x->v.v) + DBL_MIN;
        if (!(labs_((long double)q->value - x->v.v) <= tol))
            fail_msg("seed %llu: %s = %.17g, reference %.21Lg (|diff| %.3Lg > tolerance %.3Lg)\n--- lesson ---\n%s",
                     (unsigned long long)seed, name, q->value, x->v.v, labs_((long double)q->value - x->v.v), tol, text);
        x->seen = 1;
        compared++;
    }
    size_t mask = ((size_t)1 << TABBITS) - 1;
    for (size_t p = 0; p <= mask; p++) {
        entry *x = &T->tab[p];
        if (x->gen == T->gen && x->must && !x->seen)
            fail_msg("seed %llu: the reference expects kind %s%s (%d,%d) t %d e %d in the trace; it is missing\n"
                     "--- lesson ---\n%s", (unsigned long long)seed, x->kind >= KIND_TIE ? "tie " : "",
                     trace_kind_name((q_kind)(x->kind % KIND_TIE)),
                     x->i, x->j, x->t, x->e, text);
    }
done:
    engine_result_free(&r);
    engine_result_free(&ra);
    lesson_free(l);
    return compared;
}

static void test_random_lessons_against_reference(void **state)
{
    (void)state;
    etab T = {calloc((size_t)1 << TABBITS, sizeof(entry)), 0, 0};
    assert_non_null(T.tab);
    size_t cap = 1 << 16, total = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    int skipped = 0, tied = 0, rounded = 0;
    const char *env = getenv("ORACLE_LESSONS");
    long count = env && *env ? strtol(env, NULL, 10) : N_LESSONS;
    for (long seed = 1; seed <= count; seed++) {
        size_t c = one((uint64_t)seed, &T, text, cap, &tied, &rounded);
        if (!c) skipped++;
        total += c;
    }
    printf("oracle: %ld random lessons (%d training with ties, %d hand-rounded), %zu quantities compared, "
           "%d skipped (diverged)\n", count, tied, rounded, total, skipped);
    assert_true(skipped * 20 < count);        /* at most 5% diverge */
    assert_true(count < 200 || (tied * 10 > count && rounded * 10 > count));   /* both are really drawn */
    free(text);
    free(T.tab);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_lessons_against_reference),
    };
    return cmocka_run_group_tests(tests, make_tmp, rm_tmp);
}
