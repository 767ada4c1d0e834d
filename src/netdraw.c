/*
 * netdraw.c - the network as a terminal drawing and as Graphviz DOT.
 *
 * Columns of the terminal drawing: column 0 holds the bias neuron 0 (row 0)
 * and the inputs (rows 1..), column c >= 1 holds processing layer c (rows
 * 1..). Every neuron is named by names.h, as its trace names it; a cell is
 * built in ASCII, put in the script (text_unicode), and padded by the
 * columns it takes on a terminal, so the columns stay aligned either way.
 *
 * DOT: one node per neuron (n<id>), one edge per arc; the weight on arc
 * (i, j) at iteration t is the operand in_j^(t) was computed from, found in
 * the trace, so the picture shows exactly what the trace used.
 */
#include "netdraw.h"

#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "names.h"
#include "walk.h"
#include "wrap.h"

/* ------------------------------------------------------------------------
 * Terminal drawing
 * ---------------------------------------------------------------------- */

/* Column of neuron j: 0 for the bias and the inputs, else its layer. */
static int column_of(const lesson *l, int j) { return j > 0 ? l->layer_of[j] : 0; }

/* The name the trace gives neuron j's output, in the notation: the bias
 * a_0, an input a_1 (va) or x_1, i1, a processing neuron a_3, out_h1,
 * a^[1]_1, y_3 (names.h, as every view names it). */
static void neuron_name(strbuf *b, const lesson *l, int notation, int j)
{
    char name[192];
    int c = column_of(l, j);
    quantity q = {.kind = j == 0 ? Q_BIAS : c == 0 ? Q_INPUT : Q_ACT, .pass = j == 0 ? PASS_GIVEN : PASS_FORWARD,
                  .i = -1, .j = j};
    text_qname(l, notation, &q, name, sizeof name);
    sb_printf(b, "%s", name);
}

/* "a_0, a_1, a_2" / "a_0, out_h1, out_h2" / "a_0, a_1..a_784": the sources
 * of the arcs into j by name, in id order, the bias alone and a run of
 * three or more consecutive neurons of one column as first..last, cut at
 * about NETDRAW_SOURCES_MAX characters. */
#define NETDRAW_SOURCES_MAX 40
static void sources(strbuf *b, const lesson *l, int notation, int j)
{
    int lo = l->arc_in[j], hi = l->arc_in[j + 1];
    size_t start = b->len;
    if (lo == hi) { sb_printf(b, "-"); return; }
    for (int a = lo; a < hi;) {
        int run = a, i = l->arcs[a].i;
        while (i > 0 && run + 1 < hi && l->arcs[run + 1].i == l->arcs[run].i + 1 &&
               column_of(l, l->arcs[run + 1].i) == column_of(l, i))
            run++;
        if (a > lo) sb_printf(b, ", ");
        if (b->len - start > NETDRAW_SOURCES_MAX) { sb_printf(b, "..."); return; }
        neuron_name(b, l, notation, i);
        if (run - a >= 2) {
            sb_printf(b, "..");
            neuron_name(b, l, notation, l->arcs[run].i);
            a = run + 1;
        } else {
            a++;
        }
    }
}

typedef struct { char **cell; int rows; size_t width; } column;

/* b's text as a cell of its own, in the script (Unicode names as the
 * trace writes them, text_unicode), so that widths are measured on what the
 * terminal shows. Empties b; NULL when out of memory. */
static char *take_cell(strbuf *b, int notation, int unicode)
{
    char *s = NULL;
    if (!b->failed && unicode) {
        strbuf u = {0};
        text_unicode(&u, b->s ? b->s : "", notation);
        if (!u.failed) s = u.s ? u.s : calloc(1, 1);
        else sb_free(&u);
    } else if (!b->failed) {
        s = b->s ? b->s : calloc(1, 1);
        memset(b, 0, sizeof *b);
    }
    sb_free(b);
    return s;
}

static size_t cols(const char *s) { return esc_cols(s, strlen(s)); }

int netdraw_terminal(strbuf *out, const lesson *l, int notation, int unicode, int width)
{
    int ncol = 1 + l->n_layers, rc = -1, height = 0;
    column *col = calloc((size_t)ncol, sizeof *col);
    char **head = calloc((size_t)ncol, sizeof *head);
    strbuf b = {0};
    if (!col || !head) goto cleanup;

    for (int c = 0; c < ncol; c++) {
        int n = c == 0 ? l->n_in : l->layers[c - 1].count;
        int shown = n > NETDRAW_MAX_ROWS ? NETDRAW_MAX_ROWS - 1 : n;
        col[c].rows = 1 + shown + (shown < n);
        if (!(col[c].cell = calloc((size_t)col[c].rows, sizeof *col[c].cell))) goto cleanup;
        if (c == 0) sb_printf(&b, "input");
        else sb_printf(&b, "%s %d: %s", c == ncol - 1 ? "output layer" : "layer", c,
                       act_name(l->layers[c - 1].act.kind));
        if (!(head[c] = take_cell(&b, notation, 0))) goto cleanup;
        col[c].width = cols(head[c]);

        /* the widest source list, so that the arrows of a column line up */
        size_t sw = 0;
        for (int k = 0; c > 0 && k < shown; k++) {
            sources(&b, l, notation, l->neurons[l->layers[c - 1].first + k]);
            char *t = take_cell(&b, notation, unicode);
            if (!t) goto cleanup;
            if (cols(t) > sw) sw = cols(t);
            free(t);
        }
        if (c == 0) {                         /* "bias a_0 = 1", as the trace gives it */
            sb_printf(&b, "bias ");
            neuron_name(&b, l, notation, 0);
            sb_printf(&b, " = 1");
            if (!(col[c].cell[0] = take_cell(&b, notation, unicode))) goto cleanup;
        }
        for (int k = 0; k < shown; k++) {
            if (c == 0) {                     /* "a_1 = x_1" in va (001), else "x_1", "i1" */
                int i = l->inputs[k];
                char src[192];
                quantity q = {.kind = Q_INPUT, .pass = PASS_FORWARD, .i = -1, .j = i};
                neuron_name(&b, l, notation, i);
                if (names_given_as(l, notation, NAMES_ASCII, &q, src, sizeof src) > 0) sb_printf(&b, " = %s", src);
            } else {                          /* "a_0, a_1, a_2 -> a_3", the arrows in line */
                int j = l->neurons[l->layers[c - 1].first + k];
                strbuf t = {0};
                sources(&t, l, notation, j);
                char *src = take_cell(&t, notation, unicode);
                neuron_name(&t, l, notation, j);
                char *name = take_cell(&t, notation, unicode);
                if (src && name)
                    sb_printf(&b, "%*s%s %s %s", (int)(sw - cols(src)), "", src, unicode ? "─▶" : "->", name);
                free(src);
                free(name);
                if (!src || !name) goto cleanup;
            }
            if (!(col[c].cell[1 + k] = take_cell(&b, notation, unicode && c == 0))) goto cleanup;
        }
        if (shown < n) {
            sb_printf(&b, "... %d more", n - shown);
            if (!(col[c].cell[1 + shown] = take_cell(&b, notation, 0))) goto cleanup;
        }
        for (int r = 0; r < col[c].rows; r++)
            if (col[c].cell[r] && cols(col[c].cell[r]) > col[c].width) col[c].width = cols(col[c].cell[r]);
        if (col[c].rows > height) height = col[c].rows;
    }

    /* side by side when the columns fit the terminal, else one below the other */
    size_t total = 0;
    for (int c = 0; c < ncol; c++) total += (c ? 3 : 2) + col[c].width;
    int stacked = width > 0 && total > (size_t)width;
    sb_printf(out, "network: ");
    wrap_words(out, stacked ? "each layer; beside each neuron, the neurons its arcs come from"
                            : "layers as columns; beside each neuron, the neurons its arcs come from",
               9, 9, width > 0 ? (size_t)width : 0);
    sb_printf(out, "\n\n");
    if (stacked) {
        for (int c = 0; c < ncol; c++) {
            sb_printf(out, "  %s\n", head[c]);
            for (int r = 0; r < col[c].rows; r++)
                if (col[c].cell[r]) sb_printf(out, "    %s\n", col[c].cell[r]);
        }
    } else {
        for (int r = -1; r < height; r++) {
            b.len = 0;
            if (b.s) b.s[0] = '\0';
            for (int c = 0; c < ncol; c++) {
                const char *s = r < 0 ? head[c] : r < col[c].rows && col[c].cell[r] ? col[c].cell[r] : "";
                sb_printf(&b, "%s%s%*s", c ? "   " : "  ", s, (int)(col[c].width - cols(s)), "");
            }
            if (b.failed) goto cleanup;
            while (b.len && b.s[b.len - 1] == ' ') b.s[--b.len] = '\0';
            sb_printf(out, "%s\n", b.s);
        }
    }
    rc = out->failed ? -1 : 0;

cleanup:
    for (int c = 0; col && c < ncol; c++) {
        for (int r = 0; col[c].cell && r < col[c].rows; r++) free(col[c].cell[r]);
        free(col[c].cell);
        if (head) free(head[c]);
    }
    free(col);
    free(head);
    sb_free(&b);
    return rc;
}

/* ------------------------------------------------------------------------
 * DOT
 * ---------------------------------------------------------------------- */

/* A DOT string body: quotes and backslashes escaped, newlines as \n. */
static void dot_esc(strbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') sb_printf(b, "\\%c", *s);
        else if (*s == '\n') sb_printf(b, "\\n");
        else sb_printf(b, "%c", *s);
    }
}

/* "name = value" (or "name ~ value" when hand rounding carried it) of
 * quantity id, the name in the chosen notation and script (names.h),
 * appended to b. */
static void dot_quantity(strbuf *b, const lesson *l, const trace *tr, long id,
                         const netdraw_dot_opts *o)
{
    char name[512], src[128], val[160];
    const quantity *q = &tr->q[id];
    int n = o->notation >= 0 ? o->notation : l->notation;
    names_script sc = o->unicode ? NAMES_UNICODE : NAMES_ASCII;
    names_render(l, n, sc, q, name, sizeof name);
    text_value(tr, q, o->digits, val, sizeof val);
    dot_esc(b, name);
    if (names_given_as(l, n, sc, q, src, sizeof src) > 0) {     /* a_1 = x_1 = 3 (001) */
        dot_esc(b, " = ");
        dot_esc(b, src);
    }
    dot_esc(b, val[0] == '~' ? " " : " = ");
    dot_esc(b, val);
}

typedef struct {
    long *in, *act, *del, *x;    /* [max_id+1] quantity ids or -1 */
    long *djda, *der;            /* [max_id+1] chain factors dJ/da_j, g'(in_j), or -1 */
    long *grad;                   /* [n_arcs] */
    long *mgrad;                  /* [n_arcs]: the batch mean dJ/dw_ij beside an example's own, or -1 */
    long *tgrad;                  /* [n_ties]: a tie's gradient dJ/dNAME, shown for all its arcs */
    long *dndw, *term;           /* [n_arcs] chain factors din_j/dw_ij, dJ_j/da_i, or -1 */
} dot_ids;

static void ids_free(dot_ids *d)
{
    free(d->in); free(d->act); free(d->del); free(d->x); free(d->grad); free(d->mgrad); free(d->tgrad);
    free(d->djda); free(d->der); free(d->dndw); free(d->term);
}

static int ids_alloc(dot_ids *d, const lesson *l)
{
    size_t n = (size_t)l->max_id + 1, na = (size_t)(l->n_arcs ? l->n_arcs : 1);
    d->in = malloc(n * sizeof *d->in);
    d->act = malloc(n * sizeof *d->act);
    d->del = malloc(n * sizeof *d->del);
    d->x = malloc(n * sizeof *d->x);
    d->djda = malloc(n * sizeof *d->djda);
    d->der = malloc(n * sizeof *d->der);
    d->grad = malloc(na * sizeof *d->grad);
    d->mgrad = malloc(na * sizeof *d->mgrad);
    d->tgrad = malloc(((size_t)l->n_ties + 1) * sizeof *d->tgrad);
    d->dndw = malloc(na * sizeof *d->dndw);
    d->term = malloc(na * sizeof *d->term);
    if (!d->in || !d->act || !d->del || !d->x || !d->grad || !d->mgrad || !d->tgrad || !d->djda || !d->der || !d->dndw ||
        !d->term)
        return -1;
    for (size_t k = 0; k < n; k++) d->in[k] = d->act[k] = d->del[k] = d->x[k] = d->djda[k] = d->der[k] = -1;
    for (size_t k = 0; k < na; k++) d->grad[k] = d->mgrad[k] = d->dndw[k] = d->term[k] = -1;
    for (int k = 0; k < l->n_ties; k++) d->tgrad[k] = -1;
    return 0;
}

/* The traced iterations, "1, 2, 5", for messages. */
static void traced_steps(char *buf, size_t size, const trace *tr)
{
    size_t len = 0;
    int last = -1;
    buf[0] = '\0';
    for (size_t id = 0; id < tr->n && len + 16 < size; id++) {
        const quantity *q = &tr->q[id];
        if (q->kind != Q_IN || q->t <= last) continue;
        last = q->t;
        len += (size_t)snprintf(buf + len, size - len, "%s%d", len ? ", " : "", q->t + 1);
    }
    if (!len) snprintf(buf, size, "none");
}

int netdraw_dot(strbuf *out, const lesson *l, const trace *tr, const netdraw_dot_opts *o,
                char *err, size_t errsize)
{
    int t = o->step - 1, e = o->example, rc = -1;
    int *lab = NULL, *tbox = NULL;
    long *wid = NULL;
    dot_ids d;
    memset(&d, 0, sizeof d);
    if (ids_alloc(&d, l)) { snprintf(err, errsize, "out of memory"); goto cleanup; }

    if (e == 0)    /* the first example of the iteration: 0 when not batched */
        for (size_t id = 0; id < tr->n; id++)
            if (tr->q[id].kind == Q_IN && tr->q[id].t == t) { e = tr->q[id].e; break; }
    int have_in = 0, have_delta = 0;
    for (size_t id = 0; id < tr->n; id++) {
        const quantity *q = &tr->q[id];
        /* normalised inputs (computed once, given) are what the inputs feed */
        if (q->kind == Q_XNORM && q->e == e && q->j >= 0 && q->j <= l->max_id) { d.x[q->j] = (long)id; continue; }
        if (q->t != t || q->pass == PASS_GIVEN) continue;
        if (q->kind == Q_GRAD) {          /* this example's own, else the batch mean */
            int a = lesson_arc_index(l, q->i, q->j);
            if (trace_tied(q)) {          /* a tie's: the sum over its arcs */
                if (a >= 0 && l->arcs[a].tie) d.tgrad[l->arcs[a].tie - 1] = (long)id;
                continue;
            }
            if (a >= 0 && (q->e == e || (q->e == 0 && d.grad[a] < 0))) d.grad[a] = (long)id;
            if (a >= 0 && q->e == 0 && e != 0) d.mgrad[a] = (long)id;    /* the mean the update uses */
            continue;
        }
        if (q->e != e || q->j < 0 || q->j > l->max_id) continue;
        if (q->kind == Q_DNDW || q->kind == Q_DJDA_TERM) {   /* chain factors of arc (i, j) */
            int a = lesson_arc_index(l, q->i, q->j);
            if (a >= 0) (q->kind == Q_DNDW ? d.dndw : d.term)[a] = (long)id;
            continue;
        }
        switch (q->kind) {
        case Q_INPUT: d.x[q->j] = (long)id; break;
        case Q_IN:    d.in[q->j] = (long)id; have_in = 1; break;
        case Q_ACT:   d.act[q->j] = (long)id; break;
        case Q_DELTA: d.del[q->j] = (long)id; have_delta = 1; break;
        case Q_DJDA:  d.djda[q->j] = (long)id; break;
        case Q_DERIV: d.der[q->j] = (long)id; break;
        default: break;
        }
    }
    if (!have_in) {
        char steps[256], why[256];
        traced_steps(steps, sizeof steps, tr);
        if (walk_step_not_run(l, tr, o->step, why, sizeof why))       /* after a perceptron stopped */
            snprintf(err, errsize, "%s: %s", l->path, why);
        else if (o->example > 0)
            snprintf(err, errsize, "%s: step %d has no example %d in the trace (traced steps: %s)",
                     l->path, o->step, o->example, steps);
        else
            snprintf(err, errsize, "%s: step %d is not in the trace (traced steps: %s)", l->path, o->step, steps);
        goto cleanup;
    }
    if (o->backward && !have_delta) {
        snprintf(err, errsize, "%s: step %d has no backward pass (%s)", l->path, o->step,
                 !l->ex_y ? "the examples have no targets" :
                 t >= tr->steps ? "it is the forward pass after the last step" : "not traced");
        goto cleanup;
    }

    char base[128];
    lesson_basename(l->path, base, sizeof base);
    sb_printf(out, "digraph \"");
    dot_esc(out, base);
    sb_printf(out, "\" {\n  graph [rankdir=LR, ranksep=%s, nodesep=0.25, ordering=out, "
                   "fontname=\"DejaVu Sans\", fontsize=18, labelloc=t, label=\"", o->no_edge_labels ? "1.4" : "0.5");
    dot_esc(out, l->title);
    if (l->source) { sb_printf(out, "\\n"); dot_esc(out, l->source); }
    char title[96];
    walk_step_title(title, sizeof title, tr, t);
    sb_printf(out, "\\n%s", title);
    if (t < tr->steps) sb_printf(out, ", %s pass", o->backward ? "backward" : "forward");
    if (e > 0) sb_printf(out, ", example %d", e);
    if (tr->round >= 0) sb_printf(out, "; operands rounded to %d decimals", tr->round);
    sb_printf(out, "\"];\n"
                   "  node [shape=ellipse, style=filled, fillcolor=\"#e8f0fe\", color=\"#3c6eb4\", "
                   "fontname=\"DejaVu Sans\", fontsize=14];\n"
                   "  edge [color=\"#555555\", arrowsize=0.8];\n");

    /* column 0: the bias and the inputs */
    sb_printf(out, "  n0 [shape=box, style=\"rounded,dashed,filled\", fillcolor=\"#eeeeee\", "
                   "color=\"#777777\", label=\"bias");
    for (size_t id = 0; id < tr->n; id++)            /* a_0 = 1, named as the trace names it */
        if (tr->q[id].kind == Q_BIAS) { sb_printf(out, "\\n"); dot_quantity(out, l, tr, (long)id, o); break; }
    sb_printf(out, "\"];\n");
    for (int k = 0; k < l->n_in; k++) {
        int i = l->inputs[k];
        sb_printf(out, "  n%d [fillcolor=\"#fff4d6\", color=\"#b48a3c\", label=\"", i);
        if (d.x[i] >= 0) dot_quantity(out, l, tr, d.x[i], o);
        else sb_printf(out, "input");
        sb_printf(out, "\"];\n");
    }
    for (int ly = 0; ly < l->n_layers; ly++) {
        const lesson_layer *L = &l->layers[ly];
        int is_out = ly == l->n_layers - 1;
        for (int k = 0; k < L->count; k++) {
            int j = l->neurons[L->first + k];
            sb_printf(out, "  n%d [%slabel=\"", j, is_out ? "fillcolor=\"#e6f4ea\", color=\"#3c8c50\", " : "");
            sb_printf(out, "%s", act_name(L->act.kind));
            /* backward: Delta_j, after its chain factors dJ/da_j and g'(in_j) when the trace has them */
            int chain = o->backward && d.djda[j] >= 0;
            long show[5] = {d.in[j], d.act[j], chain ? d.djda[j] : -1, chain ? d.der[j] : -1,
                            o->backward ? d.del[j] : -1};
            for (int s = 0; s < 5; s++)
                if (show[s] >= 0) { sb_printf(out, "\\n"); dot_quantity(out, l, tr, show[s], o); }
            sb_printf(out, "\"];\n");
        }
    }

    /* the targets and the loss, right of the outputs (when the lesson has them) */
    const lesson_layer *OUT = &l->layers[l->n_layers - 1];
    long loss = -1;
    for (size_t id = 0; id < tr->n && loss < 0; id++)
        if (tr->q[id].kind == Q_LOSS && tr->q[id].t == t && (tr->q[id].e == e || tr->q[id].e == 0)) loss = (long)id;
    if (loss >= 0) {
        sb_printf(out, "  J [shape=doubleoctagon, fillcolor=\"#fde8e8\", color=\"#b43c3c\", label=\"loss (%s)\\n",
                  loss_name(l->loss));
        dot_quantity(out, l, tr, loss, o);
        sb_printf(out, "\"];\n");
        for (int k = 0; k < OUT->count; k++) {
            int j = l->neurons[OUT->first + k];
            long y = -1;
            for (size_t id = 0; id < tr->n && y < 0; id++)
                if (tr->q[id].kind == Q_TARGET && tr->q[id].j == j && (tr->q[id].e == e || tr->q[id].e == 0))
                    y = (long)id;
            if (y < 0) continue;
            /* its name and value alone, as the trace gives it (t_2 = 1)
             * and as an input is drawn: a heading "target" over it said
             * the word twice in Mazur's target_o1 */
            sb_printf(out, "  y%d [shape=box, style=\"rounded,filled\", fillcolor=\"#fff0f0\", color=\"#b43c3c\", "
                           "label=\"", j);
            dot_quantity(out, l, tr, y, o);
            sb_printf(out, "\"];\n  n%d -> J [color=\"#b43c3c\"];\n  y%d -> J [color=\"#b43c3c\", style=dashed];\n",
                      j, j);
        }
        sb_printf(out, "  { rank=sink; J; }\n");
    }

    /* layers left to right, each one rank; an invisible chain keeps each
     * rank in lesson order from the top (dot would otherwise reverse it) */
    sb_printf(out, "  { rank=same; n0");
    for (int k = 0; k < l->n_in; k++) sb_printf(out, " -> n%d", l->inputs[k]);
    sb_printf(out, " [style=invis]; }\n");
    for (int ly = 0; ly < l->n_layers; ly++) {
        const lesson_layer *L = &l->layers[ly];
        sb_printf(out, "  { rank=same; ");
        for (int k = 0; k < L->count; k++) sb_printf(out, "%sn%d", k ? " -> " : "", l->neurons[L->first + k]);
        sb_printf(out, L->count > 1 ? " [style=invis]; }\n" : "; }\n");
    }

    /* arcs: the weight in_j was computed from (its operand at the arc's
     * place: in_j takes (w_ij, a_i) in arc order), and its gradient, in a
     * label box on the arc; the arcs of a tie into the layer of its first
     * drawn arc share that arc's box (lab[a]: the arc whose box arc a goes
     * through; tbox[t]: tie t's shared box, -1 none yet) */
    lab = malloc((size_t)(l->n_arcs ? l->n_arcs : 1) * sizeof *lab);
    wid = malloc((size_t)(l->n_arcs ? l->n_arcs : 1) * sizeof *wid);
    tbox = malloc(((size_t)l->n_ties + 1) * sizeof *tbox);
    if (!lab || !wid || !tbox) { snprintf(err, errsize, "out of memory"); goto cleanup; }
    for (int t = 0; t < l->n_ties; t++) tbox[t] = -1;
    for (int a = 0; a < l->n_arcs; a++) {
        const lesson_arc *A = &l->arcs[a];
        long in = d.in[A->j];
        uint32_t k = 2 * (uint32_t)(a - l->arc_in[A->j]);
        wid[a] = in >= 0 && k + 1 < tr->q[in].nops ? (long)tr->ops[tr->q[in].first + k] : -1;
        lab[a] = a;
        if (!A->tie || wid[a] < 0) continue;
        int *box = &tbox[A->tie - 1];
        if (*box < 0) *box = a;
        else if (l->layer_of[l->arcs[*box].j] == l->layer_of[A->j]) lab[a] = *box;
    }
    for (int a = 0; a < l->n_arcs && !o->no_edge_labels; a++) {
        if (lab[a] != a) continue;
        const lesson_arc *A = &l->arcs[a];
        sb_printf(out, "  l%d [shape=box, style=\"rounded,filled\", fillcolor=\"white\", "
                       "color=\"%s\", fontsize=12, margin=\"0.06,0.03\", height=0.2, label=\"",
                  a, A->i == 0 ? "#bbbbbb" : "#888888");
        int names = 0;
        char seen[1024] = "";
        for (int b = a; b < l->n_arcs; b++) {       /* every arc sharing this box, each name once */
            if (lab[b] != a || wid[b] < 0) continue;
            char name[512], key[520];
            int n = o->notation >= 0 ? o->notation : l->notation;
            names_render(l, n, o->unicode ? NAMES_UNICODE : NAMES_ASCII, &tr->q[wid[b]], name, sizeof name);
            snprintf(key, sizeof key, "\n%s\n", name);
            if (strstr(seen, key)) continue;
            if (strlen(seen) + strlen(key) < sizeof seen) strcat(seen, key + (seen[0] ? 1 : 0));
            if (names++) dot_esc(out, " = ");
            dot_esc(out, name);
        }
        if (wid[a] >= 0) {
            char val[160];
            text_value(tr, &tr->q[wid[a]], o->digits, val, sizeof val);
            dot_esc(out, val[0] == '~' ? " " : " = ");
            dot_esc(out, val);
        }
        if (o->backward) {
            long g = A->tie ? d.tgrad[A->tie - 1] : d.grad[a];
            if (g >= 0 && names <= 1) { sb_printf(out, "\\n"); dot_quantity(out, l, tr, g, o); }
            else if (A->frozen) sb_printf(out, "\\n(frozen)");
            if (g >= 0 && names <= 1 && !A->tie && d.mgrad[a] >= 0 && d.mgrad[a] != g) {
                sb_printf(out, "\\n");                  /* a batch: the mean, as the update uses it */
                dot_quantity(out, l, tr, d.mgrad[a], o);
                dot_esc(out, " (mean)");
            }
            /* the chain factors on the arc (--chain): din_j/dw_ij, and the term
             * dJ_j/da_i that the arc carries back to its source */
            long fac[2] = {names <= 1 ? d.dndw[a] : -1, d.term[a]};
            for (int f = 0; f < 2; f++)
                if (fac[f] >= 0) { sb_printf(out, "\\n"); dot_quantity(out, l, tr, fac[f], o); }
        }
        sb_printf(out, "\"];\n");
    }
    /* label boxes between the layers they join: one rank per gap */
    for (int ly = 0; ly < l->n_layers && !o->no_edge_labels; ly++) {
        int any = 0;
        for (int a = 0; a < l->n_arcs; a++) {
            if (lab[a] != a || l->layer_of[l->arcs[a].j] != ly + 1) continue;
            sb_printf(out, any++ ? " l%d" : "  { rank=same; l%d", a);
        }
        if (any) sb_printf(out, "; }\n");
    }
    for (int a = 0; a < l->n_arcs; a++) {
        const lesson_arc *A = &l->arcs[a];
        const char *bias = A->i == 0 ? "style=dashed, color=\"#999999\"" : "";
        const char *open = *bias ? " [" : "", *close = *bias ? "]" : "";
        if (o->no_edge_labels) {
            sb_printf(out, "  n%d -> n%d%s%s%s;\n", A->i, A->j, open, bias, close);
            continue;
        }
        if (lab[a] == a) sb_printf(out, "  n%d -> l%d [arrowhead=none%s%s];\n", A->i, a, *bias ? ", " : "", bias);
        sb_printf(out, "  l%d -> n%d%s%s%s;\n", lab[a], A->j, open, bias, close);
    }
    sb_printf(out, "}\n");
    if (out->failed) { snprintf(err, errsize, "out of memory"); goto cleanup; }
    rc = 0;

cleanup:
    free(lab);
    free(wid);
    free(tbox);
    ids_free(&d);
    return rc;
}
