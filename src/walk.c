/*
 * walk.c - the trace walker (walk.h).
 *
 * The trace is in derivation order (trace.h); a view's structure follows
 * from comparing each quantity with the one shown before it: its iteration
 * t, whether it is given, its pass, its example. The headings name the
 * steps as the engine ran them (trace.steps: the perceptron may stop early).
 */
#include "walk.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

static int is_given(const quantity *q) { return q->pass == PASS_GIVEN; }

/* "given", "step 2 (t = 1)", "weights after step 9 (...)", "forward pass ..." */
static void step_heading(char *b, size_t size, const trace *tr, const quantity *q)
{
    if (is_given(q) && q->t == 0) snprintf(b, size, "given");
    else if (is_given(q)) snprintf(b, size, "weights after step %d (steps not traced are run, not shown)", q->t);
    else if (q->t < tr->steps) snprintf(b, size, "step %d (t = %d)", q->t + 1, q->t);
    else if (tr->steps == 0) snprintf(b, size, "forward pass");
    else snprintf(b, size, "forward pass with the weights after step %d (t = %d)", tr->steps, q->t);
}

/* "update (alpha = 0.5, lambda = 0.01)", "forward, example 2", "gradients, mean over the batch" */
static void pass_heading(char *b, size_t size, const lesson *l, const trace *tr, const quantity *q)
{
    int n = snprintf(b, size, "%s", trace_pass_name(q->pass));
    char a[64], d[64];
    if (q->pass == PASS_UPDATE) {
        text_num(l->rate, 12, a, sizeof a);
        text_num(l->decay, 12, d, sizeof d);
        if (l->decay != 0) snprintf(b + n, size - (size_t)n, " (alpha = %s, lambda = %s)", a, d);
        else snprintf(b + n, size - (size_t)n, " (alpha = %s)", a);
    } else if (q->e > 0) {
        snprintf(b + n, size - (size_t)n, ", example %d", q->e);
    } else if (l->batch > 1 && (q->pass == PASS_GRADIENT || (q->pass == PASS_LOSS && q->t < tr->steps))) {
        snprintf(b + n, size - (size_t)n, ", mean over the batch");
    }
}

int walk_notes(const quantity *q, const char *notes[EVAL_MAX_NOTES + 1])
{
    size_t n = eval_notes(q->notes, q->spec.act.kind, notes);      /* the words: eval.h */
    notes[n] = NULL;
    return (int)n;
}

void walk_at(walker *w, size_t id, const quantity *prev, walk_item *it)
{
    const quantity *q = &w->tr->q[id];
    const lesson *l = w->l;
    int given = is_given(q);
    int new_step = !prev || is_given(prev) != given || prev->t != q->t;
    int new_pass = !given && (new_step || prev->pass != q->pass || prev->e != q->e);
    memset(it, 0, sizeof *it);
    it->id = id;
    it->q = q;
    it->events = (!prev || prev->t != q->t ? WALK_ITER : 0) | (new_step ? WALK_STEP : 0) |
                 (new_pass ? WALK_PASS : 0) | (!prev || prev->ex != q->ex ? WALK_EXAMPLE : 0);
    if (new_step) {
        step_heading(w->step_buf, sizeof w->step_buf, w->tr, q);
        it->step_heading = w->step_buf;
    }
    if (id == w->first_raw) {                 /* the lesson's `normalise` */
        snprintf(w->intro_buf, sizeof w->intro_buf, "input normalisation (%s over the %d examples)",
                 l->normalise == LESSON_NORM_MINMAX ? "min-max" : "z-score", l->n_examples);
        it->intro = w->intro_buf;
    }
    if (new_pass) {
        pass_heading(w->pass_buf, sizeof w->pass_buf, l, w->tr, q);
        it->pass_heading = w->pass_buf;
    }
    walk_notes(q, it->notes);
}

void walk_start(walker *w, const lesson *l, const trace *tr, unsigned passes)
{
    memset(w, 0, sizeof *w);
    w->l = l;
    w->tr = tr;
    w->passes = passes ? passes : ~0u;
    w->first_raw = (size_t)-1;                /* the first raw input of a normalised lesson */
    for (size_t id = 0; id < tr->n && is_given(&tr->q[id]) && tr->q[id].t == 0; id++)   /* the opening block */
        if (tr->q[id].kind == Q_INPUT) { w->first_raw = id; break; }
}

int walk_next(walker *w, walk_item *it)
{
    while (w->next < w->tr->n && !(w->passes & (1u << w->tr->q[w->next].pass))) w->next++;
    if (w->next >= w->tr->n) return 0;
    walk_at(w, w->next, w->prev, it);
    w->prev = it->q;
    w->next++;
    return 1;
}
