/*
 * walk.c - the trace walker (walk.h).
 *
 * The trace is in derivation order (trace.h); a view's structure follows
 * from comparing each quantity with the one shown before it: its iteration
 * t, whether it is given, its pass, its example. The headings name the
 * steps as the engine ran them (trace.steps: the perceptron may stop early).
 */
#include "walk.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "text.h"

static int is_given(const quantity *q) { return q->pass == PASS_GIVEN; }

void walk_step_title(char *b, size_t size, const trace *tr, int t)
{
    if (t < tr->steps) snprintf(b, size, "step %d (t = %d)", t + 1, t);
    else if (tr->steps == 0) snprintf(b, size, "forward pass");
    else snprintf(b, size, "forward pass with the weights after step %d (t = %d)", tr->steps, t);
}

/* "given", "step 2 (t = 1)", "weights after step 9 (...)", "forward pass ..." */
static void step_heading(char *b, size_t size, const trace *tr, const quantity *q)
{
    if (is_given(q) && q->t == 0) snprintf(b, size, "given");
    else if (is_given(q)) snprintf(b, size, "weights after step %d (steps not traced are run, not shown)", q->t);
    else walk_step_title(b, size, tr, q->t);
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

/* ------------------------------------------------------------------------
 * Steps that did not run (walk.h)
 * ---------------------------------------------------------------------- */

/* The first step >= k asked for (at most the lesson's last): step `only`
 * when it is > 0, else the next traced step. 0 when none. */
static int next_asked(const lesson *l, const trace *tr, int only, int k)
{
    engine_opts o = {.trace_all = tr->trace_all};
    if (only > 0) return only >= k && only <= l->steps ? only : 0;
    return engine_next_traced(l, &o, k);
}

/* The first run [*a, *b] of consecutive asked steps from step k: 1, or 0 none. */
static int next_run(const lesson *l, const trace *tr, int only, int k, int *a, int *b)
{
    if (!(*a = next_asked(l, tr, only, k))) return 0;
    for (*b = *a; next_asked(l, tr, only, *b + 1) == *b + 1; (*b)++) {}
    return 1;
}

/* Append to buf (size bytes, n used; cut short when full). */
static void put(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
    if (*n + 1 >= size) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *n, size - *n, fmt, ap);
    va_end(ap);
    if (w > 0) *n = *n + (size_t)w < size ? *n + (size_t)w : size - 1;
}

/* The asked steps after the last one run, as one sentence: runs of three
 * or more as "A to B", the others one by one, joined by ", " and a last
 * " and ". */
static int not_run(const lesson *l, const trace *tr, int only, char *buf, size_t size)
{
    int a, b, steps = 0, items = 0;
    if (size) buf[0] = '\0';
    for (int k = tr->steps + 1; next_run(l, tr, only, k, &a, &b); k = b + 1) {
        steps += b - a + 1;
        items += b - a >= 2 ? 1 : b - a + 1;
    }
    if (!steps) return 0;
    size_t n = 0;
    put(buf, size, &n, "step%s ", steps > 1 ? "s" : "");
    int item = 0;
    for (int k = tr->steps + 1; next_run(l, tr, only, k, &a, &b); k = b + 1) {
        int one = b - a >= 2;                             /* "A to B" is one item */
        for (int m = a; m <= (one ? a : b); m++, item++) {
            const char *sep = item == 0 ? "" : item == items - 1 ? " and " : ", ";
            if (one) put(buf, size, &n, "%s%d to %d", sep, a, b);
            else put(buf, size, &n, "%s%d", sep, m);
        }
    }
    put(buf, size, &n, ": not run (training stopped after step %d)", tr->steps);
    return 1;
}

int walk_not_run(const lesson *l, const trace *tr, char *buf, size_t size)
{
    return not_run(l, tr, 0, buf, size);
}

int walk_step_not_run(const lesson *l, const trace *tr, int k, char *buf, size_t size)
{
    if (k <= 0) {
        if (size) buf[0] = '\0';
        return 0;
    }
    return not_run(l, tr, k, buf, size);
}
