/*
 * netdraw.c - the network as a terminal drawing and as Graphviz DOT.
 *
 * Columns of the terminal drawing: column 0 holds the bias neuron 0 (row 0)
 * and the inputs (rows 1..), column c >= 1 holds processing layer c (rows
 * 1..). Every cell is built in ASCII and padded to its column's width before
 * any Unicode replacement, so the columns stay aligned either way.
 *
 * DOT: one node per neuron (n<id>), one edge per arc; the weight on arc
 * (i, j) at iteration t is the operand in_j^(t) was computed from, found in
 * the trace, so the picture shows exactly what the trace used.
 */
#include "netdraw.h"

#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "walk.h"
#include "wrap.h"

/* ------------------------------------------------------------------------
 * Terminal drawing
 * ---------------------------------------------------------------------- */

/* "0-2" / "0,3,4": the sorted sources of the arcs into j, runs of three or
 * more as ranges, cut at about 32 characters. */
static void sources(strbuf *b, const lesson *l, int j)
{
    int lo = l->arc_in[j], hi = l->arc_in[j + 1];
    size_t start = b->len;
    if (lo == hi) { sb_printf(b, "-"); return; }
    for (int a = lo; a < hi;) {
        int run = a;
        while (run + 1 < hi && l->arcs[run + 1].i == l->arcs[run].i + 1) run++;
        if (a > lo) sb_printf(b, ",");
        if (b->len - start > 32) { sb_printf(b, "..."); return; }
        if (run - a >= 2) { sb_printf(b, "%d-%d", l->arcs[a].i, l->arcs[run].i); a = run + 1; }
        else { sb_printf(b, "%d", l->arcs[a].i); a++; }
    }
}

/* "(3)" or "(3 h1)". */
static void neuron_tag(strbuf *b, const lesson *l, int j)
{
    if (l->labels[j][0]) sb_printf(b, "(%d %s)", j, l->labels[j]);
    else sb_printf(b, "(%d)", j);
}

typedef struct { char **cell; int rows; size_t width; } column;

static char *sb_take(strbuf *b)
{
    char *s = b->failed ? NULL : b->s ? b->s : calloc(1, 1);
    if (b->failed) sb_free(b);
    memset(b, 0, sizeof *b);
    return s;
}

int netdraw_terminal(strbuf *out, const lesson *l, int unicode, int width)
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
        if (!(head[c] = sb_take(&b))) goto cleanup;
        col[c].width = strlen(head[c]);

        /* the widest source list, so that the arrows of a column line up */
        size_t sw = 0;
        for (int k = 0; c > 0 && k < shown; k++) {
            sources(&b, l, l->neurons[l->layers[c - 1].first + k]);
            if (b.len > sw) sw = b.len;
            sb_free(&b);
        }
        if (c == 0) sb_printf(&b, "(0) bias, a_0 = 1");
        if (c == 0 && !(col[c].cell[0] = sb_take(&b))) goto cleanup;
        for (int k = 0; k < shown; k++) {
            if (c == 0) {
                int i = l->inputs[k];
                neuron_tag(&b, l, i);
                sb_printf(&b, " x_%d", i);
            } else {
                int j = l->neurons[l->layers[c - 1].first + k];
                strbuf s = {0};
                sources(&s, l, j);
                sb_printf(&b, "%*s -> ", (int)sw, s.s ? s.s : "");
                if (s.failed) b.failed = 1;
                sb_free(&s);
                neuron_tag(&b, l, j);
            }
            if (!(col[c].cell[1 + k] = sb_take(&b))) goto cleanup;
        }
        if (shown < n) {
            sb_printf(&b, "... %d more", n - shown);
            if (!(col[c].cell[1 + shown] = sb_take(&b))) goto cleanup;
        }
        for (int r = 0; r < col[c].rows; r++)
            if (col[c].cell[r] && strlen(col[c].cell[r]) > col[c].width) col[c].width = strlen(col[c].cell[r]);
        if (col[c].rows > height) height = col[c].rows;
    }

    sb_printf(out, "network: ");
    wrap_words(out, "neuron 0 is the bias (a_0 = 1); beside each neuron, the neurons its arcs come from",
               9, 9, width > 0 ? (size_t)width : 0);
    sb_printf(out, "\n\n");
    for (int r = -1; r < height; r++) {
        b.len = 0;
        if (b.s) b.s[0] = '\0';
        for (int c = 0; c < ncol; c++) {
            const char *s = r < 0 ? head[c] : r < col[c].rows && col[c].cell[r] ? col[c].cell[r] : "";
            sb_printf(&b, "%s%-*s", c ? "   " : "  ", (int)col[c].width, s);
        }
        if (b.failed) goto cleanup;
        while (b.len && b.s[b.len - 1] == ' ') b.s[--b.len] = '\0';
        if (!unicode) { sb_printf(out, "%s\n", b.s); continue; }
        for (const char *s = b.s; *s; s++) {
            if (s[0] == '-' && s[1] == '>') { sb_printf(out, "─▶"); s++; }
            else sb_printf(out, "%c", *s);
        }
        sb_printf(out, "\n");
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
    long *tgrad;                  /* [n_ties]: a tie's gradient dJ/dNAME, shown for all its arcs */
    long *dndw, *term;           /* [n_arcs] chain factors din_j/dw_ij, dJ_j/da_i, or -1 */
} dot_ids;

static void ids_free(dot_ids *d)
{
    free(d->in); free(d->act); free(d->del); free(d->x); free(d->grad); free(d->tgrad);
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
    d->tgrad = malloc(((size_t)l->n_ties + 1) * sizeof *d->tgrad);
    d->dndw = malloc(na * sizeof *d->dndw);
    d->term = malloc(na * sizeof *d->term);
    if (!d->in || !d->act || !d->del || !d->x || !d->grad || !d->tgrad || !d->djda || !d->der || !d->dndw ||
        !d->term)
        return -1;
    for (size_t k = 0; k < n; k++) d->in[k] = d->act[k] = d->del[k] = d->x[k] = d->djda[k] = d->der[k] = -1;
    for (size_t k = 0; k < na; k++) d->grad[k] = d->dndw[k] = d->term[k] = -1;
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
            sb_printf(out, "  y%d [shape=box, style=\"rounded,filled\", fillcolor=\"#fff0f0\", color=\"#b43c3c\", "
                           "label=\"target\\n", j);
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
