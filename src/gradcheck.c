/*
 * gradcheck.c - backprop against Richardson-extrapolated central
 * differences, with a noise floor (the method and its bounds: gradcheck.h).
 *
 * A parameter is a group of arcs that share one value: one arc, or the
 * arcs of a `tie`. groups[] lists the arcs of parameter p at
 * groups[start[p] .. start[p+1]); moving p moves all of them, and its
 * backprop gradient is the sum of theirs.
 */
#include "gradcheck.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "engine.h"

#define GC_H       1e-4     /* relative step: h = GC_H max(1, |w|) */
#define GC_EVAL_EPS (64 * DBL_EPSILON)   /* round-off of one J, relative to its scale */

const char *gradcheck_nothing(const lesson *l)
{
    return !l->ex_y ? "the examples have no targets, so there is no loss to differentiate"
         : l->rule == RULE_PERCEPTRON ? "the perceptron rule uses no gradient"
         : l->bn_layer ? "batch-normalisation lessons are forward only"
         : l->n_arcs == 0 ? "the network has no arcs"
         : NULL;
}

typedef struct {
    const lesson *l;
    double *w;             /* [n_arcs] the point, moved and restored */
    const double *w0;      /* [n_arcs] the lesson's weights */
    int    *start, *arcs;  /* parameter groups (see the file header) */
    size_t  n_params;
    double  jmax, wg;      /* max |J| seen, sum_a |w_a dJ/dw_a|: round-off is relative to their sum */
    engine_status status;  /* why the engine failed, if it did */
    unsigned notes;        /* EVAL_NOTE_* of the J evaluations of the row being checked */
} gc;

/* J with parameter p (or, when dir != NULL, every parameter q by dir[q])
 * moved by s; the weights are restored afterwards. */
static int moved_J(gc *c, long p, const double *dir, double s, double *J)
{
    size_t lo = p >= 0 ? (size_t)p : 0, hi = p >= 0 ? (size_t)p + 1 : c->n_params;
    for (size_t q = lo; q < hi; q++)
        for (int k = c->start[q]; k < c->start[q + 1]; k++)
            c->w[c->arcs[k]] = c->w0[c->arcs[k]] + s * (dir ? dir[q] : 1.0);
    engine_status rc = engine_loss_grad_notes(c->l, c->w, NULL, J, NULL, &c->notes);
    if (rc != ENG_OK) c->status = rc;
    for (size_t q = lo; q < hi; q++)
        for (int k = c->start[q]; k < c->start[q + 1]; k++) c->w[c->arcs[k]] = c->w0[c->arcs[k]];
    if (!rc && fabs(*J) > c->jmax) c->jmax = fabs(*J);
    return rc;
}

/* One check along parameter p (or direction dir) with step h: the row's
 * numeric value, floor and verdict against backprop's b (bscale: the size
 * the relative tolerance applies to). */
static int check_one(gc *c, long p, const double *dir, double h, double J0, unsigned notes0, double b,
                     double bscale, double tol, gradcheck_row *row)
{
    double Jp1, Jm1, Jp2, Jm2;
    c->notes = notes0;
    if (moved_J(c, p, dir, h, &Jp1) || moved_J(c, p, dir, -h, &Jm1) ||
        moved_J(c, p, dir, h / 2, &Jp2) || moved_J(c, p, dir, -h / 2, &Jm2))
        return -1;
    double D1 = (Jp1 - Jm1) / (2 * h), D2 = (Jp2 - Jm2) / h;
    double num = (4 * D2 - D1) / 3;
    /* (a log loss: the round-off of each ln a_k for a_k near 1, about
     * DBL_EPSILON, stays when J itself is 3.5e-10: stress seed 1257) */
    double logs = LOSS_ROWS[c->l->loss].logs ? (double)c->l->n_out : 0.0;
    double delta = GC_EVAL_EPS * (c->jmax + c->wg + logs);
    double c1 = (Jp1 - 2 * J0 + Jm1) / h, c2 = (Jp2 - 2 * J0 + Jm2) / (h / 2);
    double rough = fabs(c1 - 2 * c2), rough_noise = 24 * delta / h;
    /* the odd part: D1 - D2 is O(h^2) J''' where J is smooth, but the size
     * of a jump over h where J jumps within the step; two jumps on either
     * side of w (a direction through two step outputs' thresholds) cancel
     * in c1 - 2 c2 and show only here */
    double odd = fabs(D1 - D2);
    row->backprop = b;
    row->numeric = num;
    row->diff = fabs(num - b);
    row->floor = fabs(D1 - D2) + 3 * delta / h;
    double allowed = tol * fmax(fmax(fabs(num), fabs(b)), bscale) + row->floor;
    if (row->diff <= allowed) row->verdict = GC_OK;
    else if ((rough > rough_noise && rough >= 0.5 * (row->diff - allowed)) ||
             (odd > rough_noise && odd >= 0.5 * (row->diff - allowed))) row->verdict = GC_ROUGH;
    else if (c->notes & EVAL_NOTE_LOG_GUARD) row->verdict = GC_GUARD;   /* J flat where it was clamped */
    /* g' taken on a kink (in_j exactly 0): backprop's value is the kink's
     * convention, g'(0) = 1 for every such neuron at once, which need be
     * neither one-sided derivative of J; two kinks whose slopes change
     * oppositely leave J straight through w, so no difference shows it */
    else if (c->notes & EVAL_NOTE_KINK) row->verdict = GC_ROUGH;
    else row->verdict = GC_FAIL;
    return 0;
}

engine_status gradcheck_run(const lesson *l, const gradcheck_opts *o, gradcheck_result *r)
{
    memset(r, 0, sizeof *r);
    size_t na = (size_t)l->n_arcs;
    double tol = o && o->tol > 0 ? o->tol : 1e-6;
    double max_work = o && o->max_work > 0 ? o->max_work : GRADCHECK_MAX_WORK;
    gc c = {.l = l, .status = ENG_OK};
    double *w0 = malloc((na + 1) * sizeof *w0), *grad = malloc((na + 1) * sizeof *grad);
    double *pgrad = malloc((na + 1) * sizeof *pgrad), *dir = malloc((na + 1) * sizeof *dir);
    c.w = malloc((na + 1) * sizeof *c.w);
    c.start = malloc((na + 2) * sizeof *c.start);
    c.arcs = malloc((na + 1) * sizeof *c.arcs);
    engine_status rc = ENG_ERR_NOMEM;
    if (!w0 || !grad || !pgrad || !dir || !c.w || !c.start || !c.arcs) goto done;
    for (size_t a = 0; a < na; a++) w0[a] = c.w[a] = l->arcs[a].w;
    c.w0 = w0;
    /* parameter groups: every untied arc its own, then each tie's arcs
     * together (arcs[] in that order; the lesson keeps each tie's arcs) */
    {
        size_t used = 0;
        for (size_t a = 0; a < na; a++)
            if (!l->arcs[a].tie) { c.start[c.n_params++] = (int)used; c.arcs[used++] = (int)a; }
        for (int t = 0; t < l->n_ties; t++) {
            c.start[c.n_params++] = (int)used;
            memcpy(c.arcs + used, l->tie_arcs + l->ties[t].at, (size_t)l->ties[t].count * sizeof *c.arcs);
            used += (size_t)l->ties[t].count;
        }
        c.start[c.n_params] = (int)na;
    }
    r->n_params = c.n_params;

    double J0;
    unsigned notes0 = 0;
    if ((c.status = engine_loss_grad_notes(l, w0, o ? o->dact : NULL, &J0, grad, &notes0)) != ENG_OK) goto done;
    c.jmax = fabs(J0);
    for (size_t a = 0; a < na; a++) c.wg += fabs(w0[a] * grad[a]);
    for (size_t p = 0; p < c.n_params; p++) {
        pgrad[p] = 0.0;
        for (int k = c.start[p]; k < c.start[p + 1]; k++) pgrad[p] += grad[c.arcs[k]];
        if (fabs(pgrad[p]) > r->biggest) r->biggest = fabs(pgrad[p]);
    }

    /* how many parameters one by one: 4 evaluations each, within max_work
     * after the base evaluation (about 3) and the direction (4) */
    double cost = ((double)na + 2.0 * l->n_neurons + l->n_in) * l->batch + (double)na;
    double room = max_work / cost - 7.0;
    size_t K = room <= 0 ? 0 : room / 4 >= (double)c.n_params ? c.n_params : (size_t)(room / 4);
    r->rows = calloc(K ? K : 1, sizeof *r->rows);
    if (!r->rows) goto done;
    for (size_t k = 0; k < K; k++) {
        size_t p = K == c.n_params ? k : (size_t)((double)k * (double)c.n_params / (double)K);
        int a = c.arcs[c.start[p]];
        gradcheck_row *row = &r->rows[r->n_rows++];
        row->arc = a;
        if (check_one(&c, (long)p, NULL, GC_H * fmax(1.0, fabs(w0[a])), J0, notes0, pgrad[p], 0.0, tol, row))
            goto done;
        r->n_fail += row->verdict == GC_FAIL;
        r->n_rough += row->verdict == GC_ROUGH;
        r->n_guard += row->verdict == GC_GUARD;
    }

    /* every parameter along one seeded direction: num against b . d */
    uint64_t s = 0x9E3779B97F4A7C15ULL;
    double bd = 0.0, bd_abs = 0.0;
    for (size_t p = 0; p < c.n_params; p++) {
        double m = fmax(1.0, fabs(w0[c.arcs[c.start[p]]]));
        dir[p] = (rng_next(&s) >> 63 ? 1.0 : -1.0) * m;
        bd += pgrad[p] * dir[p];
        bd_abs += fabs(pgrad[p] * dir[p]);
    }
    r->dir.arc = -1;
    if (check_one(&c, -1, dir, GC_H, J0, notes0, bd, bd_abs, tol, &r->dir)) goto done;
    r->n_fail += r->dir.verdict == GC_FAIL;
    r->n_rough += r->dir.verdict == GC_ROUGH;
    r->n_guard += r->dir.verdict == GC_GUARD;
    rc = ENG_OK;
done:
    free(w0); free(grad); free(pgrad); free(dir);
    free(c.w); free(c.start); free(c.arcs);
    if (rc != ENG_OK && c.status != ENG_OK) rc = c.status;
    if (rc != ENG_OK) gradcheck_result_free(r);
    return rc;
}

void gradcheck_result_free(gradcheck_result *r)
{
    if (!r) return;
    free(r->rows);
    memset(r, 0, sizeof *r);
}
