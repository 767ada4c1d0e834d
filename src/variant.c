/*
 * variant.c - a student's own numbers: `vary` lines, the seed of a student,
 * the draw and its teachability checks. See variant.h.
 *
 * The draw visits the givens in one fixed order (arcs in the lesson's (j, i)
 * order, then each example's inputs and targets, then the rate) and, for
 * each, the first `vary` line whose pattern names it; so a lesson's variants
 * change only when its `vary` lines or its network do.
 */
#include "variant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "engine.h"
#include "grade.h"
#include "judge.h"
#include "suggest.h"

/* ------------------------------------------------------------------------
 * Parsing a `vary` line
 * ---------------------------------------------------------------------- */

static int number(const char *s, double *v)
{
    return judge_parse_number(s, strlen(s), v, NULL) == JNUM_OK ? 0 : -1;
}

int variant_parse_vary(lesson_vary *v, char **tok, int ntok, char *err, size_t errsize)
{
    memset(v, 0, sizeof *v);
    if (ntok < 3) {
        snprintf(err, errsize, "expected 'vary PATTERN uniform LO HI step S' or 'vary PATTERN choice V...'");
        return -1;
    }
    if (strlen(tok[0]) >= sizeof v->pattern) { snprintf(err, errsize, "pattern too long"); return -1; }
    snprintf(v->pattern, sizeof v->pattern, "%s", tok[0]);
    if (!strcmp(tok[1], "uniform")) {
        v->kind = VARY_UNIFORM;
        if (ntok != 6 || strcmp(tok[4], "step") || number(tok[2], &v->lo) || number(tok[3], &v->hi) ||
            number(tok[5], &v->step)) {
            snprintf(err, errsize, "expected 'vary %s uniform LO HI step S' with three numbers", tok[0]);
            return -1;
        }
        if (!(v->hi >= v->lo) || !(v->step > 0) || (v->hi - v->lo) / v->step > 1e6) {
            snprintf(err, errsize, "'vary %s': needs LO <= HI and 0 < S, at most 10^6 steps", tok[0]);
            return -1;
        }
        return 0;
    }
    if (!strcmp(tok[1], "choice")) {
        v->kind = VARY_CHOICE;
        if (ntok - 2 > LESSON_VARY_CHOICES) {
            snprintf(err, errsize, "'vary %s choice': at most %d values", tok[0], LESSON_VARY_CHOICES);
            return -1;
        }
        for (int k = 2; k < ntok; k++)
            if (number(tok[k], &v->choice[v->n_choice++])) {
                snprintf(err, errsize, "'vary %s choice': '%s' is not a number", tok[0], tok[k]);
                return -1;
            }
        return 0;
    }
    snprintf(err, errsize, "'vary %s': unknown distribution '%s'; known: uniform, choice", tok[0], tok[1]);
    return -1;
}

/* ------------------------------------------------------------------------
 * Seeds and codes
 * ---------------------------------------------------------------------- */


static uint64_t hash_str(uint64_t h, const char *s)
{
    for (; *s; s++) h = rng_mix(h ^ (unsigned char)*s);
    return rng_mix(h ^ 0xFF);            /* a separator no text byte equals */
}

uint64_t variant_seed(const lesson *l, const char *assignment, const char *student)
{
    uint64_t h = UINT64_C(0x6E6E7472616365);     /* "nntrace": the key of the hash */
    h = hash_str(h, assignment && *assignment ? assignment : (l->title ? l->title : ""));
    h = hash_str(h, student ? student : "");
    return h & VARIANT_SEED_MASK;
}

static const char B32[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";   /* no I, O, 0, 1 */

/* a * b in GF(32) = GF(2)[x] / (x^5 + x^2 + 1). */
static unsigned gf32_mul(unsigned a, unsigned b)
{
    unsigned p = 0;
    for (; b; b >>= 1) {
        if (b & 1) p ^= a;
        a <<= 1;
        if (a & 32) a ^= 0x25;
    }
    return p;
}

/* The check symbol of the 8 seed symbols v[]: sum over k of v_k x^(k+1) in
 * GF(32), plus a constant (so AAAA-AAAA-A is not a code). The weights are
 * distinct nonzero powers of a primitive element, so a changed symbol
 * always changes the sum, and so does swapping two different neighbours
 * ((a + b) x^(k+1) (1 + x) != 0). */
static unsigned code_check(const unsigned v[8])
{
    unsigned sum = 0, w = 2;            /* w = x^(k+1) */
    for (int k = 0; k < 8; k++) {
        sum ^= gf32_mul(v[k], w);
        w = gf32_mul(w, 2);
    }
    return sum ^ 0x0B;
}

void variant_code(uint64_t seed, char code[VARIANT_CODE_SIZE])
{
    unsigned v[8];
    int c = 0;
    for (int k = 0; k < 8; k++) {
        v[k] = (unsigned)(seed >> (35 - 5 * k)) & 31;
        if (k == 4) code[c++] = '-';
        code[c++] = B32[v[k]];
    }
    code[c++] = '-';
    code[c++] = B32[code_check(v)];
    code[c] = '\0';
}

int variant_code_parse(const char *text, uint64_t *seed)
{
    unsigned v[9];
    int digits = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '-' && (digits == 4 || digits == 8) && p[1] != '-') continue;
        char c = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
        const char *at = c ? strchr(B32, c) : NULL;
        if (!at || digits == 9) return VARIANT_CODE_BAD;
        v[digits++] = (unsigned)(at - B32);
    }
    if (digits != 8 && digits != 9) return VARIANT_CODE_BAD;
    uint64_t s = 0;
    for (int k = 0; k < 8; k++) s = (s << 5) | v[k];
    *seed = s;                            /* also for an old code without its check */
    if (digits == 8) return VARIANT_CODE_NO_CHECK;
    return code_check(v) != v[8] ? VARIANT_CODE_MISMATCH : 0;
}

const char *variant_code_strerror(int rc)
{
    switch (rc) {
    case VARIANT_CODE_NO_CHECK:
        return "has no check character (a variant code is 9 letters and digits, as K7Q2-M9XA-Z)";
    case VARIANT_CODE_MISMATCH:
        return "fails its check character (a typo? copy the code from the sheet as it was handed out)";
    default:
        return "is not a variant code (9 letters and digits, as K7Q2-M9XA-Z)";
    }
}

/* ------------------------------------------------------------------------
 * The draw
 * ---------------------------------------------------------------------- */

/* The first `vary` line naming name, or NULL. */
static const lesson_vary *vary_of(const lesson *l, const char *name, const char *alias)
{
    for (int k = 0; k < l->n_vary; k++) {
        const char *p = l->vary[k].pattern;
        if (grade_glob(p, name) || (alias && alias[0] && grade_glob(p, alias))) return &l->vary[k];
    }
    return NULL;
}

/* One value of v from the generator state *rng. */
static double draw(const lesson_vary *v, uint64_t *rng)
{
    *rng = rng_mix(*rng);
    if (v->kind == VARY_CHOICE) return v->choice[*rng % (uint64_t)v->n_choice];
    uint64_t n = (uint64_t)floor((v->hi - v->lo) / v->step + 1e-9) + 1;
    double x = v->lo + (double)(*rng % n) * v->step;
    return round_dp(x, 12);              /* 0.1 * 3 is 0.3, as written */
}

/* The `vary` line drawing each given, by the given's name as patterns see
 * it: an arc's w_i,j or alias (a tie's arcs are one given, its NAME), an
 * input's x_k, an output's y_k. NULL: the given is not varied. */
static const lesson_vary *vary_of_arc(const lesson *l, int a)
{
    const lesson_arc *A = &l->arcs[a];
    char name[64];
    if (A->tie) return vary_of(l, l->ties[A->tie - 1].name, NULL);
    trace_base_name(Q_WEIGHT, A->i, A->j, name, sizeof name);
    return vary_of(l, name, A->alias);
}

static const lesson_vary *vary_of_neuron(const lesson *l, q_kind kind, int id)
{
    char name[64];
    trace_base_name(kind, 0, id, name, sizeof name);
    return vary_of(l, name, NULL);
}

/* The id of output neuron k. */
static int output_id(const lesson *l, int k)
{
    return (int)l->neurons[l->layers[l->n_layers - 1].first + k];
}

/* Does the lesson use its rate (an update)? */
static int uses_rate(const lesson *l) { return l->steps > 0 && !l->no_update; }

int variant_draws(const lesson *l, const quantity *q)
{
    if (q->spec.op != OP_CONST || q->t != 0) return 0;
    switch (q->kind) {
    case Q_WEIGHT:
        if (q->tie) return vary_of(l, q->tie, NULL) != NULL;
        for (int a = 0; a < l->n_arcs; a++)
            if (l->arcs[a].i == q->i && l->arcs[a].j == q->j) return vary_of_arc(l, a) != NULL;
        return 0;
    case Q_INPUT:
    case Q_TARGET:
        return vary_of_neuron(l, q->kind, q->j) != NULL;
    default:
        return 0;
    }
}

int variant_draws_rate(const lesson *l) { return uses_rate(l) && vary_of(l, "rate", NULL) != NULL; }

/* Draw every varied given of the base lesson into l. Returns the number of
 * givens drawn. */
static int draw_all(lesson *l, const lesson *base, uint64_t rng)
{
    int drawn = 0;
    for (int a = 0; a < l->n_arcs; a++) {
        const lesson_arc *A = &l->arcs[a];
        if (A->tie && l->ties[A->tie - 1].first != a) {   /* a tie is one given: drawn at its first arc */
            l->arcs[a].w = l->arcs[l->ties[A->tie - 1].first].w;
            continue;
        }
        const lesson_vary *v = vary_of_arc(base, a);
        if (v) { l->arcs[a].w = draw(v, &rng); drawn++; }
    }
    for (int e = 0; e < l->n_examples; e++) {
        for (int k = 0; k < l->n_in; k++) {
            const lesson_vary *v = vary_of_neuron(base, Q_INPUT, (int)l->inputs[k]);
            if (v) { l->ex_x[(size_t)e * (size_t)l->n_in + (size_t)k] = draw(v, &rng); drawn++; }
        }
        for (int k = 0; l->ex_y && k < l->n_out; k++) {
            const lesson_vary *v = vary_of_neuron(base, Q_TARGET, output_id(l, k));
            if (v) { l->ex_y[(size_t)e * (size_t)l->n_out + (size_t)k] = draw(v, &rng); drawn++; }
        }
    }
    const lesson_vary *v = vary_of(base, "rate", NULL);
    if (v) { l->rate = draw(v, &rng); drawn++; }
    return drawn;
}

/* Every given's name as `vary` patterns see it, with the line that draws
 * it: an arc's w_i,j and its alias (a tie's arcs: the tie's NAME, once),
 * each input's x_k, each target's y_k, and the rate when the lesson uses
 * it. */
typedef struct {
    size_t n;
    char (*name)[64];
    const lesson_vary **by;    /* the first line naming that given, or NULL */
} givens;

static void givens_free(givens *g)
{
    free(g->name);
    free(g->by);
}

/* 0, or -1 out of memory (g empty). */
static int givens_list(const lesson *l, givens *g)
{
    const size_t most = (size_t)l->n_arcs * 2 + (size_t)l->n_in + (size_t)l->n_out + 1;
    g->n = 0;
    g->name = malloc(most * sizeof *g->name);
    g->by = malloc(most * sizeof *g->by);
    if (!g->name || !g->by) { givens_free(g); return -1; }
    for (int a = 0; a < l->n_arcs; a++) {
        const lesson_arc *A = &l->arcs[a];
        if (A->tie && l->ties[A->tie - 1].first != a) continue;     /* a tie is one name */
        const lesson_vary *v = vary_of_arc(l, a);
        g->by[g->n] = v;
        if (A->tie) snprintf(g->name[g->n++], sizeof g->name[0], "%s", l->ties[A->tie - 1].name);
        else trace_base_name(Q_WEIGHT, A->i, A->j, g->name[g->n++], sizeof g->name[0]);
        if (A->alias[0] && !A->tie) { g->by[g->n] = v; snprintf(g->name[g->n++], sizeof g->name[0], "%s", A->alias); }
    }
    for (int j = 0; j < l->n_in; j++) {
        g->by[g->n] = vary_of_neuron(l, Q_INPUT, (int)l->inputs[j]);
        trace_base_name(Q_INPUT, 0, l->inputs[j], g->name[g->n++], sizeof g->name[0]);
    }
    for (int j = 0; l->ex_y && j < l->n_out; j++) {
        g->by[g->n] = vary_of_neuron(l, Q_TARGET, output_id(l, j));
        trace_base_name(Q_TARGET, 0, output_id(l, j), g->name[g->n++], sizeof g->name[0]);
    }
    if (uses_rate(l)) {
        g->by[g->n] = vary_of(l, "rate", NULL);
        snprintf(g->name[g->n++], sizeof g->name[0], "rate");
    }
    return 0;
}

/* Why line k draws nothing, into err: it names only givens an earlier line
 * draws, a tied arc (vary the tie's NAME), or nothing (with a "did you mean"
 * over the givens' names). -1 out of memory. */
static int unused_why(const lesson *l, const givens *g, int k, char *err, size_t errsize)
{
    const char *p = l->vary[k].pattern;
    const lesson_vary *first = NULL;
    for (size_t c = 0; c < g->n && !first; c++)
        if (grade_glob(p, g->name[c])) first = g->by[c];
    if (first) {
        snprintf(err, errsize, "'vary %s' draws nothing: every given it names is drawn by line %d "
                 "('vary %s'), the first line naming it", p, first->line, first->pattern);
        return 0;
    }
    char name[64];
    for (int a = 0; a < l->n_arcs; a++) {
        const lesson_arc *A = &l->arcs[a];
        trace_base_name(Q_WEIGHT, A->i, A->j, name, sizeof name);
        if (A->tie && (grade_glob(p, name) || (A->alias[0] && grade_glob(p, A->alias)))) {
            const lesson_tie *T = &l->ties[A->tie - 1];
            snprintf(err, errsize, "'vary %s' names %s, an arc of tie '%s' (line %d), which is one given: "
                     "vary %s", p, A->alias[0] && grade_glob(p, A->alias) ? A->alias : name, T->name, T->line,
                     T->name);
            return 0;
        }
    }
    if (!uses_rate(l) && grade_glob(p, "rate")) {
        snprintf(err, errsize, "'vary %s' draws nothing: the lesson %s, so it never uses its rate", p,
                 l->steps == 0 ? "trains no step ('steps 0')" : "updates no weight ('update no')");
        return 0;
    }
    const char **cands = malloc((g->n ? g->n : 1) * sizeof *cands);
    if (!cands) return -1;
    char near[192];
    for (size_t c = 0; c < g->n; c++) cands[c] = g->name[c];
    int sn = suggest(p, cands, g->n, near, sizeof near);
    snprintf(err, errsize, "'vary %s' names no given of this lesson (a weight w_i,j, alias or tie, "
             "an input x_k, a target y_k%s)%s%s%s", p, uses_rate(l) ? " or the rate" : "",
             sn ? "; did you mean " : "", sn ? near : "", sn ? "?" : "");
    free(cands);
    return 0;
}

int variant_check_lines(const lesson *l, int *line, char *err, size_t errsize)
{
    if (!l->n_vary) return 0;
    givens g;
    char *used = calloc((size_t)l->n_vary, 1);
    if (!used || givens_list(l, &g)) {
        free(used);
        snprintf(err, errsize, "out of memory");
        *line = 0;
        return -1;
    }
    for (size_t c = 0; c < g.n; c++)
        if (g.by[c]) used[g.by[c] - l->vary] = 1;
    int rc = 0;
    for (int k = 0; k < l->n_vary && !rc; k++)
        if (!used[k]) {
            *line = l->vary[k].line;
            if (unused_why(l, &g, k, err, errsize)) { snprintf(err, errsize, "out of memory"); *line = 0; }
            rc = -1;
        }
    givens_free(&g);
    free(used);
    return rc;
}

/* ------------------------------------------------------------------------
 * The search for a teachable draw, bounded in work
 * ---------------------------------------------------------------------- */

/* Does a layer saturate (logistic, tanh, arctan), or have a kink at 0 (act_table.c)? */
static int saturates(act_kind k) { return ACT_ROWS[k].saturates; }   /* the activation rows say */
static int kinked(act_kind k) { return ACT_ROWS[k].kinked; }

/* One search over the draws of a seed: what a teachable value is, what the
 * draws have spent (VARIANT_MAX_WORK: operations and quantities), and the
 * last value that kept a draw from being taught, for the message. */
typedef struct {
    const lesson *l;
    double limit;          /* |in_j| <= limit; 0: no limit */
    double scale;          /* 10^d, d the decimals printed: a tie is f.5 units of 1/scale */
    double step_ops;       /* one step: batch x (arcs + neurons) operations */
    double ops, ops_before;/* operations of every draw so far; of the draws before this one */
    double quantities;     /* quantities of every draw's trace checked so far */
    double max_work;       /* what ops + quantities may reach: VARIANT_MAX_WORK */
    int    spent;          /* the budget is spent: the search stops */
    char   last[192];      /* the last rejected value: "in_3^(2) = 4.2 (beyond the limit on |in_j|)" */
} search;

/* Why q keeps a draw from being taught (a few words), or NULL: a value
 * that is not a number, a net input beyond the limit or on its
 * activation's kink, a g' taken on a kink, a computed value on a
 * hand-rounding tie at the printed digits. */
static const char *untaught(const search *s, const quantity *q)
{
    const lesson *l = s->l;
    if (!isfinite(q->value)) return "not a number";
    if (q->notes & EVAL_NOTE_KINK) return "taken on a kink";
    if (q->kind == Q_IN) {
        act_kind ak = l->layers[l->layer_of[q->j] - 1].act.kind;
        if (s->limit > 0 && fabs(q->value) > s->limit) return "beyond the limit on |in_j|";
        if (kinked(ak) && fabs(q->value) < 0.5 / s->scale) return "on its activation's kink";
    }
    /* a tie at the printed digits (0.21215 to 4) rounds by convention,
     * not by arithmetic: keep such values off the sheet */
    double f = fabs(q->value) * s->scale;
    if (q->spec.op != OP_CONST && fabs(f - floor(f) - 0.5) < 1e-6) return "on a rounding tie";
    return NULL;
}

/* engine_opts.watch: check the quantities [from, to) as the engine makes
 * them; stop the run at the first one that is not teachable, or when the
 * search has spent its budget (after step k; never at the end, k = 0, when
 * every value of the draw has been checked). */
static int search_watch(void *ctx, const trace *tr, size_t from, size_t to, int k)
{
    search *s = ctx;
    if (k > 0) s->ops = s->ops_before + (double)k * s->step_ops;
    s->quantities += (double)(to - from);
    for (size_t id = from; id < to; id++) {
        const char *why = untaught(s, &tr->q[id]);
        if (!why) continue;
        char name[96];
        trace_name(&tr->q[id], name, sizeof name);
        snprintf(s->last, sizeof s->last, "%s = %.6g (%s)", name, tr->q[id].value, why);
        return 1;
    }
    if (k > 0 && s->ops + s->quantities > s->max_work) {
        s->spent = 1;
        return 1;
    }
    return 0;
}

/* Is the traced run of l teachable? 1 yes, 0 no (or the budget is spent:
 * s->spent), -1 the engine failed (its message in err). */
static int teachable(const lesson *l, search *s, char *err, size_t errsize)
{
    engine_result r;
    engine_opts o = {.round = ENGINE_ROUND_LESSON, .watch = search_watch, .watch_ctx = s};
    s->ops_before = s->ops;
    engine_status rc = engine_run(l, &o, &r, err, errsize);
    if (rc == ENG_STOPPED) return 0;
    if (rc != ENG_OK) return -1;
    engine_result_free(&r);
    return 1;
}

static const char *const VARIANT_HINT[] = {
    [VARIANT_OK] = "",
    [VARIANT_ERR_NO_VARY] = "add e.g. 'vary w_*,* uniform -1 1 step 0.1' (see nntrace keys)",
    [VARIANT_ERR_UNTEACHABLE] = "widen the 'vary' ranges or raise 'vary-limit'",
    [VARIANT_ERR_BUDGET] = ("widen the 'vary' ranges or raise 'vary-limit' so that a draw is teachable "
                            "sooner, or make each draw cheaper: fewer 'steps', fewer traced steps "
                            "('trace K...'), a smaller network"),
    [VARIANT_ERR_ENGINE] = "",
};
_Static_assert(sizeof VARIANT_HINT / sizeof VARIANT_HINT[0] == VARIANT_STATUS_COUNT,
               "one VARIANT_HINT per variant_status");

const char *variant_hint(variant_status s)
{
    return (unsigned)s < VARIANT_STATUS_COUNT ? VARIANT_HINT[s] : "";
}

variant_status variant_apply(lesson *l, uint64_t seed, char *err, size_t errsize)
{
    return variant_apply_budget(l, seed, VARIANT_MAX_WORK, err, errsize);
}

variant_status variant_apply_budget(lesson *l, uint64_t seed, double max_work, char *err, size_t errsize)
{
    int line = l->n_vary ? l->vary[0].line : 0;
    if (!l->n_vary) { snprintf(err, errsize, "%s: the lesson has no 'vary' lines", l->path); return VARIANT_ERR_NO_VARY; }
    search s = {.l = l, .scale = pow(10.0, l->round >= 0 ? l->round : l->digits),
                .step_ops = (double)l->batch * ((double)l->n_arcs + l->n_neurons), .max_work = max_work};
    s.limit = l->vary_limit;
    if (s.limit <= 0)
        for (int k = 0; k < l->n_layers; k++)
            if (saturates(l->layers[k].act.kind)) s.limit = 4.0;
    l->n_expects = 0;           /* the lecture's printed values are not this variant's */
    char rules[96];
    if (s.limit > 0) snprintf(rules, sizeof rules, "|in_j| <= %g, no kink, no rounding tie", s.limit);
    else snprintf(rules, sizeof rules, "no kink, no rounding tie");
    int t;
    for (t = 0; t < VARIANT_TRIES && !s.spent; t++) {
        int drawn = draw_all(l, l, rng_mix(seed ^ rng_mix((uint64_t)t)));
        if (!drawn) {
            snprintf(err, errsize, "%s:%d: no 'vary' line names a weight, input, target or the rate", l->path, line);
            return VARIANT_ERR_NO_VARY;
        }
        int ok = teachable(l, &s, err, errsize);
        if (ok < 0) return VARIANT_ERR_ENGINE;
        if (ok) return VARIANT_OK;
    }
    if (s.spent) {
        snprintf(err, errsize, "%s:%d: no teachable variant (%s) in the %d draws the search can afford: "
                 "together they ran %.3g operations (steps x batch %d x (arcs %d + neurons %d)) and traced "
                 "%.3g quantities, the limit of the sum being %.0e%s%s", l->path, line, rules, t, s.ops,
                 l->batch, l->n_arcs, l->n_neurons, s.quantities, max_work,
                 s.last[0] ? "; the last value rejected: " : "", s.last);
        return VARIANT_ERR_BUDGET;
    }
    snprintf(err, errsize, "%s:%d: no teachable variant (%s) in %d draws; the last value rejected: %s",
             l->path, line, rules, VARIANT_TRIES, s.last);
    return VARIANT_ERR_UNTEACHABLE;
}
