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

void variant_code(uint64_t seed, char code[VARIANT_CODE_SIZE])
{
    for (int k = 0, c = 0; k < 8; k++) {
        if (k == 4) code[c++] = '-';
        code[c++] = B32[(seed >> (35 - 5 * k)) & 31];
    }
    code[9] = '\0';
}

int variant_code_parse(const char *text, uint64_t *seed)
{
    uint64_t s = 0;
    int digits = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '-' && digits == 4) continue;
        char c = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
        const char *at = c ? strchr(B32, c) : NULL;
        if (!at || digits == 8) return -1;
        s = (s << 5) | (uint64_t)(at - B32);
        digits++;
    }
    if (digits != 8) return -1;
    *seed = s;
    return 0;
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

/* Draw every varied given of the base lesson into l. Returns the number of
 * givens drawn. */
static int draw_all(lesson *l, const lesson *base, uint64_t rng)
{
    int drawn = 0;
    char name[64];
    for (int a = 0; a < l->n_arcs; a++) {
        const lesson_arc *A = &l->arcs[a];
        if (A->tie) {                    /* a tie is one given, NAME: drawn at its first arc */
            const lesson_tie *T = &l->ties[A->tie - 1];
            if (T->first != a) { l->arcs[a].w = l->arcs[T->first].w; continue; }
            const lesson_vary *v = vary_of(base, T->name, NULL);
            if (v) { l->arcs[a].w = draw(v, &rng); drawn++; }
            continue;
        }
        trace_base_name(Q_WEIGHT, l->arcs[a].i, l->arcs[a].j, name, sizeof name);
        const lesson_vary *v = vary_of(base, name, l->arcs[a].alias);
        if (v) { l->arcs[a].w = draw(v, &rng); drawn++; }
    }
    for (int e = 0; e < l->n_examples; e++) {
        for (int k = 0; k < l->n_in; k++) {
            trace_base_name(Q_INPUT, 0, l->inputs[k], name, sizeof name);
            const lesson_vary *v = vary_of(base, name, NULL);
            if (v) { l->ex_x[(size_t)e * (size_t)l->n_in + (size_t)k] = draw(v, &rng); drawn++; }
        }
        for (int k = 0; l->ex_y && k < l->n_out; k++) {
            const lesson_layer *out = &l->layers[l->n_layers - 1];
            trace_base_name(Q_TARGET, 0, l->neurons[out->first + k], name, sizeof name);
            const lesson_vary *v = vary_of(base, name, NULL);
            if (v) { l->ex_y[(size_t)e * (size_t)l->n_out + (size_t)k] = draw(v, &rng); drawn++; }
        }
    }
    const lesson_vary *v = vary_of(base, "rate", NULL);
    if (v) { l->rate = draw(v, &rng); drawn++; }
    return drawn;
}

/* Does a layer saturate (logistic, tanh, arctan), or have a kink at 0 (act_table.c)? */
static int saturates(act_kind k) { return ACT_ROWS[k].saturates; }   /* the activation rows say */
static int kinked(act_kind k) { return ACT_ROWS[k].kinked; }

/* Is the traced run of l teachable? 1 yes, 0 no, -1 the engine failed. */
static int teachable(const lesson *l, double limit, char *err, size_t errsize)
{
    engine_result r;
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    if (engine_run(l, &o, &r, err, errsize)) return -1;
    int ok = 1, d = l->round >= 0 ? l->round : l->digits;
    double scale = pow(10.0, d);
    for (size_t id = 0; id < r.tr->n && ok; id++) {
        const quantity *q = &r.tr->q[id];
        if (!isfinite(q->value) || (q->notes & EVAL_NOTE_KINK)) ok = 0;
        if (q->kind == Q_IN) {
            int layer = l->layer_of[q->j] - 1;
            act_kind ak = l->layers[layer].act.kind;
            if (fabs(q->value) > limit && limit > 0) ok = 0;
            if (kinked(ak) && fabs(q->value) < 0.5 / scale) ok = 0;
        }
        /* a tie at the printed digits (0.21215 to 4) rounds by convention,
         * not by arithmetic: keep such values off the sheet */
        double f = fabs(q->value) * scale;
        if (q->spec.op != OP_CONST && fabs(f - floor(f) - 0.5) < 1e-6) ok = 0;
    }
    engine_result_free(&r);
    return ok;
}

int variant_apply(lesson *l, uint64_t seed, char *err, size_t errsize)
{
    if (!l->n_vary) { snprintf(err, errsize, "the lesson has no 'vary' lines"); return -1; }
    double limit = l->vary_limit;
    if (limit <= 0)
        for (int k = 0; k < l->n_layers; k++)
            if (saturates(l->layers[k].act.kind)) limit = 4.0;
    for (int t = 0; t < VARIANT_TRIES; t++) {
        int drawn = draw_all(l, l, rng_mix(seed ^ rng_mix((uint64_t)t)));
        if (!drawn) { snprintf(err, errsize, "no 'vary' line names a weight, input, target or the rate"); return -1; }
        int ok = teachable(l, limit, err, errsize);
        if (ok < 0) return -1;
        if (ok) { l->n_expects = 0; return 0; }   /* the lecture's printed values are not this variant's */
    }
    snprintf(err, errsize, "no teachable variant in %d draws (|in_j| <= %g, no kink, no rounding tie); "
             "widen the 'vary' ranges or raise 'vary-limit'", VARIANT_TRIES, limit);
    return -1;
}
