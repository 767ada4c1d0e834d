/*
 * names.c - names of quantities in every notation and script, and the
 * resolver of typed names.
 *
 * Rendering: a name is built in ASCII from per-notation rules (a base such
 * as out_h1, then the suffixes ^(t) and [e] of trace_name), then converted
 * to a script. The Unicode conversion is text_unicode's, so a name looks the
 * same in a Unicode trace and in a message.
 *
 * Resolving: the index holds
 *   - the canonical names: open addressing with linear probing over quantity
 *     ids (a table at most half full), names re-derived with trace_name on
 *     probe, so it holds no strings;
 *   - built on first need, the key table: for each *reading* (a distinct
 *     (kind, i, j) of the trace; an update is a weight) and each notation,
 *     its base name in ASCII, Unicode and LaTeX, each normalised (below) to
 *     a key, plus the lesson's label and alias forms. Records live in one
 *     array, key strings in one arena, found by an open-addressing table of
 *     record numbers.
 * A typed name is normalised the same way, its suffixes split off, its base
 * looked up; the reading and the suffixes give a canonical name, and the
 * canonical index the quantity. So every name a view prints is accepted
 * back, whatever its notation or script, by construction.
 *
 * Normalisation: LaTeX (\frac{\partial A}{\partial B} -> dA/dB, \Delta ->
 * delta, \mathrm{out} -> out, \bar{z} -> zbar, braces and $ dropped),
 * Unicode (Δ -> delta, ∂ -> d, a₃ -> a_3, w₁,₃ -> w_1,3, ⁽¹⁾ -> ^(1), z̄ ->
 * zbar), "Delta" -> "delta", and no blanks.
 */
#include "names.h"

#include <assert.h>
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "suggest.h"
#include "text.h"
#include "walk.h"

#define NAME_MAX_LEN 192

/* ------------------------------------------------------------------------
 * Rendering in ASCII
 * ---------------------------------------------------------------------- */

static int has_neuron(const lesson *l, int j) { return l && j >= 0 && j <= l->max_id; }

/* Position (1-based) of neuron j inside its layer; inputs are layer 0. */
static int layer_pos(const lesson *l, int j, int *layer)
{
    *layer = has_neuron(l, j) ? l->layer_of[j] : -1;
    if (*layer == 0) {
        for (int k = 0; k < l->n_in; k++) if (l->inputs[k] == j) return k + 1;
        return 0;
    }
    if (*layer < 1) return 0;
    const lesson_layer *L = &l->layers[*layer - 1];
    for (int k = 0; k < L->count; k++) if (l->neurons[L->first + k] == j) return k + 1;
    return 0;
}

/* A neuron as the netout notation writes it: its label, or its number. */
static void neuron_label(const lesson *l, int j, char *buf, size_t size)
{
    if (has_neuron(l, j) && l->labels[j][0]) snprintf(buf, size, "%s", l->labels[j]);
    else snprintf(buf, size, "%d", j);
}

/* The weight (i, j) under notation n, without suffixes. */
static void weight_base(const lesson *l, int n, int i, int j, char *buf, size_t size)
{
    int li, lj, pi = layer_pos(l, i, &li), pj = layer_pos(l, j, &lj);
    int a = lesson_arc_index(l, i, j);
    switch (n) {
    case NOTATION_LAYER:
        if (i == 0) snprintf(buf, size, "b^[%d]_%d", lj, pj);
        else if (li == lj - 1) snprintf(buf, size, "W^[%d]_%d,%d", lj, pj, pi);
        /* a skip arc is no entry of W^[lj], whose columns are layer lj-1's
         * neurons: W^[4]_4,1 would name w_5,9 and the skip arc w_4,9 alike */
        else snprintf(buf, size, "w_%d,%d", i, j);
        return;
    case NOTATION_NETOUT:
        if (a >= 0 && l->arcs[a].alias[0]) { snprintf(buf, size, "%s", l->arcs[a].alias); return; }
        snprintf(buf, size, "w_%d,%d", i, j);
        return;
    case NOTATION_BAR:
        if (i == 0) snprintf(buf, size, "b_%d", j);
        else snprintf(buf, size, "w_%d,%d", i, j);
        return;
    default:
        snprintf(buf, size, "w_%d,%d", i, j);
        return;
    }
}

/* An update is named as its weight: w_1,3^(t+1) is the update of step t+1
 * and the weight of iteration t+1 alike. named_kind is the kind a name
 * stands for; named_t the iteration its ^(t) shows. */
static q_kind named_kind(q_kind k) { return k == Q_UPDATE ? Q_WEIGHT : k; }
static int named_t(const quantity *q) { return q->kind == Q_UPDATE ? q->t + 1 : q->t; }

/* The canonical base (trace_name without ^(t) and [e]; an update is its
 * weight). */
static void canonical_base(const quantity *q, char *buf, size_t size)
{
    quantity c = *q;
    c.t = 0;
    c.e = 0;
    c.kind = named_kind(c.kind);
    trace_name(&c, buf, size);
}

/* Does q take an iteration mark? Inputs, targets and the bias do not: they
 * are the same in every iteration (001 writes a_1 and y, never a_1^(t)). */
static int has_iteration(const quantity *q)
{
    return q->kind != Q_INPUT && q->kind != Q_TARGET && q->kind != Q_BIAS;
}

static int labelled(const lesson *l, const char *canon, char *out, size_t size);

/* The chain-rule factors (engine_chain) in notation n (not va, which
 * labels the canonical dJ/da_3, dJ_5/da_3, din_5/dw_3,5): 002 writes
 * dE_total/dout_h1, dE_o1/dout_h1, dnet_o1/dw5; layer (000) da^[1]_1 (its
 * dA is dL/dA), dL_1/da^[1]_1, dz^[2]_1/dW^[2]_1,1; bar (004) ybar_3 (the
 * error signal of y_3), dL_5/dy_3, dz_5/dw_3,5. Returns 1 when q is one. */
static int chain_name(const lesson *l, int n, const quantity *q, char *base, size_t size)
{
    if (q->kind != Q_DJDA && q->kind != Q_DJDA_TERM && q->kind != Q_DNDW) return 0;
    int a = q->kind == Q_DJDA ? q->j : q->i, k = q->j;     /* the neuron a_a; the output or in_k */
    int la, lk, pa = layer_pos(l, a, &la), pk = layer_pos(l, k, &lk);
    char na[LESSON_NAME_MAX + 8], nk[LESSON_NAME_MAX + 8], w[96];
    neuron_label(l, a, na, sizeof na);
    neuron_label(l, k, nk, sizeof nk);
    if (q->kind == Q_DNDW) weight_base(l, n, q->i, q->j, w, sizeof w);
    switch (n * 100 + (int)q->kind) {
    case NOTATION_LAYER * 100 + Q_DJDA:       snprintf(base, size, "da^[%d]_%d", la, pa); return 1;
    case NOTATION_LAYER * 100 + Q_DJDA_TERM:  snprintf(base, size, "dL_%d/da^[%d]_%d", pk, la, pa); return 1;
    case NOTATION_LAYER * 100 + Q_DNDW:       snprintf(base, size, "dz^[%d]_%d/d%s", lk, pk, w); return 1;
    case NOTATION_NETOUT * 100 + Q_DJDA:      snprintf(base, size, "dE_total/dout_%s", na); return 1;
    case NOTATION_NETOUT * 100 + Q_DJDA_TERM: snprintf(base, size, "dE_%s/dout_%s", nk, na); return 1;
    case NOTATION_NETOUT * 100 + Q_DNDW:      snprintf(base, size, "dnet_%s/d%s", nk, w); return 1;
    case NOTATION_BAR * 100 + Q_DJDA:         snprintf(base, size, "ybar_%d", a); return 1;
    case NOTATION_BAR * 100 + Q_DJDA_TERM:    snprintf(base, size, "dL_%d/dy_%d", k, a); return 1;
    case NOTATION_BAR * 100 + Q_DNDW:         snprintf(base, size, "dz_%d/d%s", k, w); return 1;
    default:                                  return 0;
    }
}

/* The gradient of the weight named w in notation n (not va): dw (layer),
 * dE_total/dw (net/out), or w with "bar" after its first split bytes
 * (bar: w_1,2 -> wbar_1,2, b_2 -> bbar_2, a tie's b1 -> b1bar). */
static void grad_base(int n, const char *w, size_t split, char *base, size_t size)
{
    if (n == NOTATION_LAYER) snprintf(base, size, "d%s", w);
    else if (n == NOTATION_NETOUT) snprintf(base, size, "dE_total/d%s", w);
    else snprintf(base, size, "%.*sbar%s", (int)split, w, w + split);
}

/* The base name of q in notation n, without suffixes. */
static void base_name(const lesson *l, int n, const quantity *q, char *base, size_t size)
{
    char lab[LESSON_NAME_MAX + 8], w[96];
    if (n == NOTATION_VA) {
        /* va (001): an input's output is a_j ("a_1 = x_1 = 3"), except a raw
         * given x_j that only the input normalisation reads; the lesson's
         * labels stand for neuron numbers (a_h1, w_x1,h1: the lecture's
         * names, as the lesson's own expect lines write them) */
        char c[NAME_MAX_LEN];
        if (q->kind == Q_INPUT) snprintf(c, sizeof c, "%s_%d", q->pass == PASS_GIVEN ? "x" : "a", q->j);
        else canonical_base(q, c, sizeof c);
        if (!l || trace_tied(q) || q->j > l->max_id || q->i > l->max_id || !labelled(l, c, base, size))
            snprintf(base, size, "%s", c);
        return;
    }
    if (!l || n <= NOTATION_VA || n >= NOTATION_COUNT || q->j > l->max_id || q->i > l->max_id) {
        canonical_base(q, base, size);
        return;
    }
    if (trace_tied(q)) {                  /* a tie: its own name in every notation */
        if (q->kind != Q_GRAD) snprintf(base, size, "%s", q->tie);
        else grad_base(n, q->tie, strlen(q->tie), base, size);
        return;
    }
    int ly, pos = layer_pos(l, q->j, &ly);
    int logistic = ly >= 1 && l->layers[ly - 1].act.kind == ACT_LOGISTIC;
    neuron_label(l, q->j, lab, sizeof lab);
    switch (n * 100 + (int)q->kind) {
    /* layer (000, 003) */
    case NOTATION_LAYER * 100 + Q_INPUT:  snprintf(base, size, "x_%d", pos); return;
    case NOTATION_LAYER * 100 + Q_TARGET: snprintf(base, size, "y_%d", pos); return;
    case NOTATION_LAYER * 100 + Q_IN:     snprintf(base, size, "z^[%d]_%d", ly, pos); return;
    case NOTATION_LAYER * 100 + Q_ACT:    snprintf(base, size, "a^[%d]_%d", ly, pos); return;
    case NOTATION_LAYER * 100 + Q_DERIV:  snprintf(base, size, "g'(z^[%d]_%d)", ly, pos); return;
    case NOTATION_LAYER * 100 + Q_ERR:    snprintf(base, size, "err_%d", pos); return;
    case NOTATION_LAYER * 100 + Q_LOSS:   snprintf(base, size, "L"); return;
    case NOTATION_LAYER * 100 + Q_DELTA:  snprintf(base, size, "dz^[%d]_%d", ly, pos); return;
    /* net/out (002) */
    case NOTATION_NETOUT * 100 + Q_INPUT:
        if (l->labels[q->j][0]) snprintf(base, size, "%s", lab);
        else snprintf(base, size, "x_%d", q->j);
        return;
    case NOTATION_NETOUT * 100 + Q_TARGET: snprintf(base, size, "target_%s", lab); return;
    case NOTATION_NETOUT * 100 + Q_IN:     snprintf(base, size, "net_%s", lab); return;
    case NOTATION_NETOUT * 100 + Q_ACT:    snprintf(base, size, "out_%s", lab); return;
    case NOTATION_NETOUT * 100 + Q_DERIV:  snprintf(base, size, "dout_%s/dnet_%s", lab, lab); return;
    case NOTATION_NETOUT * 100 + Q_ERR:    snprintf(base, size, "err_%s", lab); return;
    case NOTATION_NETOUT * 100 + Q_LOSS:   snprintf(base, size, "E_total"); return;
    case NOTATION_NETOUT * 100 + Q_DELTA:  snprintf(base, size, "delta_%s", lab); return;
    /* error signals (004) */
    case NOTATION_BAR * 100 + Q_INPUT:  snprintf(base, size, "x_%d", q->j); return;
    case NOTATION_BAR * 100 + Q_TARGET: snprintf(base, size, "t_%d", q->j); return;
    case NOTATION_BAR * 100 + Q_IN:     snprintf(base, size, "z_%d", q->j); return;
    case NOTATION_BAR * 100 + Q_ACT:    snprintf(base, size, "y_%d", q->j); return;
    case NOTATION_BAR * 100 + Q_DERIV:  snprintf(base, size, "%s'(z_%d)", logistic ? "sigma" : "g", q->j); return;
    case NOTATION_BAR * 100 + Q_ERR:    snprintf(base, size, "err_%d", q->j); return;
    case NOTATION_BAR * 100 + Q_LOSS:   snprintf(base, size, "L"); return;
    case NOTATION_BAR * 100 + Q_DELTA:  snprintf(base, size, "zbar_%d", q->j); return;
    default:
        break;
    }
    if (chain_name(l, n, q, base, size)) return;
    if (n != NOTATION_VA && (q->kind == Q_WEIGHT || q->kind == Q_UPDATE)) {
        weight_base(l, n, q->i, q->j, base, size);
    } else if (n != NOTATION_VA && q->kind == Q_GRAD) {
        weight_base(l, n, q->i, q->j, w, sizeof w);
        grad_base(n, w, 1, base, size);
    } else {
        canonical_base(q, base, size);     /* a_0, and kinds every notation names alike */
    }
}

/* base + ^(t) + [e] as q carries them. */
static int with_suffix(const quantity *q, const char *base, char *buf, size_t size)
{
    char tpart[24] = "", epart[24] = "";
    int t = named_t(q);
    if (t > 0 && has_iteration(q)) snprintf(tpart, sizeof tpart, "^(%d)", t);
    if (q->e > 0) snprintf(epart, sizeof epart, "[%d]", q->e);
    return snprintf(buf, size, "%s%s%s", base, tpart, epart);
}

/* ------------------------------------------------------------------------
 * Scripts
 * ---------------------------------------------------------------------- */

typedef struct { char *s; size_t len, size; int over; } obuf;

static void put(obuf *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->size) { o->over = 1; n = o->len + 1 < o->size ? o->size - o->len - 1 : 0; }
    memcpy(o->s + o->len, s, n);
    o->len += n;
    o->s[o->len] = '\0';
}
static void puts_(obuf *o, const char *s) { put(o, s, strlen(s)); }

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* Unicode: text_unicode's conversion of a trace line itself (Δ, ∂J/∂w₁,₃,
 * ∂E_total/∂out_h1, subscripts, ⁽¹⁾), so a name looks the same in a
 * Unicode trace and in a message. */
static void to_unicode(obuf *o, const char *s, int notation)
{
    strbuf u = {0};
    text_unicode(&u, s, notation);
    if (u.failed) o->over = 1;
    else if (u.s) puts_(o, u.s);
    sb_free(&u);
}

/* A stem in LaTeX: Greek letters, bars and hats, single letters as they
 * are, longer words upright. */
static void latex_stem(obuf *o, const char *s, size_t n, int notation)
{
    static const struct { const char *ascii, *tex; } STEM[] = {
        {"sigma", "\\sigma"}, {"mu", "\\mu"}, {"zbar", "\\bar{z}"}, {"wbar", "\\bar{w}"},
        {"bbar", "\\bar{b}"}, {"ybar", "\\bar{y}"}, {"ahat", "\\hat{a}"}, {"dz", "dz"}, {"dW", "dW"}, {"da", "da"},
        {"db", "db"},
    };
    if (n == 5 && !strncmp(s, "delta", 5)) { puts_(o, text_delta(notation, 1)); return; }
    for (size_t k = 0; k < sizeof STEM / sizeof STEM[0]; k++)
        if (strlen(STEM[k].ascii) == n && !strncmp(STEM[k].ascii, s, n)) { puts_(o, STEM[k].tex); return; }
    if (n <= 1) { put(o, s, n); return; }
    puts_(o, "\\mathrm{");
    put(o, s, n);
    puts_(o, "}");
}

/* An atom: stem [^[l]] [_sub], or a letter stem with a number (w5). */
static void latex_atom(obuf *o, const char *s, size_t n, int notation)
{
    size_t k = 0;
    while (k < n && s[k] != '_' && s[k] != '^') k++;
    size_t stem = k;
    if (k == n) {                                   /* w5, i1, b1: the number as a subscript */
        size_t d = n;
        while (d > 0 && is_digit(s[d - 1])) d--;
        if (d > 0 && d < n && is_alpha(s[d - 1])) {
            latex_stem(o, s, d, notation);
            puts_(o, "_{");
            put(o, s + d, n - d);
            puts_(o, "}");
            return;
        }
    }
    latex_stem(o, s, stem, notation);
    if (k + 1 < n && s[k] == '^' && s[k + 1] == '[') {
        size_t c = k;
        while (c < n && s[c] != ']') c++;
        puts_(o, "^{");
        put(o, s + k + 1, c < n ? c - k : n - k - 1);
        puts_(o, "}");
        k = c < n ? c + 1 : n;
    }
    if (k < n && s[k] == '_') {
        puts_(o, "_{");
        put(o, s + k + 1, n - k - 1);
        puts_(o, "}");
    } else if (k < n) {
        put(o, s + k, n - k);
    }
}

static void to_latex(obuf *o, const char *s, int notation)
{
    size_t n = strlen(s);
    long t = -1, e = -1;
    /* suffixes: [e] (not a layer's ^[l]) and ^(t) */
    for (int pass = 0; pass < 2; pass++) {
        if (n > 2 && s[n - 1] == ']') {
            size_t b = n - 1;
            while (b > 0 && is_digit(s[b - 1])) b--;
            if (b > 1 && s[b - 1] == '[' && s[b - 2] != '^' && b < n - 1) { e = atol(s + b); n = b - 1; }
        }
        if (n > 3 && s[n - 1] == ')') {
            size_t b = n - 1;
            while (b > 0 && is_digit(s[b - 1])) b--;
            if (b > 2 && s[b - 1] == '(' && s[b - 2] == '^' && b < n - 1) { t = atol(s + b); n = b - 2; }
        }
    }
    const char *slash = NULL;
    for (size_t k = 1; k + 1 < n; k++) if (s[k] == '/' && s[k + 1] == 'd') { slash = s + k; break; }
    int wrap = t >= 0 && (slash || memchr(s, '^', n));   /* a second superscript needs a group */
    if (wrap) puts_(o, "{");
    if (s[0] == 'd' && slash) {
        puts_(o, "\\frac{\\partial ");
        latex_atom(o, s + 1, (size_t)(slash - s) - 1, notation);
        puts_(o, "}{\\partial ");
        latex_atom(o, slash + 2, n - (size_t)(slash - s) - 2, notation);
        puts_(o, "}");
    } else if (n > 3 && s[n - 1] == ')' && memchr(s, '\'', n)) {
        const char *q = memchr(s, '\'', n);
        latex_stem(o, s, (size_t)(q - s), notation);
        puts_(o, "'(");
        if (q[1] == '(') latex_atom(o, q + 2, n - (size_t)(q - s) - 3, notation);
        puts_(o, ")");
    } else {
        latex_atom(o, s, n, notation);
    }
    if (wrap) puts_(o, "}");
    char num[32];
    if (t >= 0) { snprintf(num, sizeof num, "^{(%ld)}", t); puts_(o, num); }
    if (e >= 0) { snprintf(num, sizeof num, "[%ld]", e); puts_(o, num); }
}

/* The canonical base with each neuron number after '_' or ',' written as
 * the neuron's label where it has one (a_h1, w_i1,h1, dJ/dw_h1,o1). */
static int labelled(const lesson *l, const char *canon, char *out, size_t size)
{
    obuf o = {out, 0, size, 0};
    int changed = 0;
    out[0] = '\0';
    for (const char *s = canon; *s;) {
        if ((*s == '_' || *s == ',') && is_digit(s[1])) {
            put(&o, s, 1);
            char *end;
            long j = strtol(s + 1, &end, 10);
            if (has_neuron(l, (int)j) && l->labels[j][0]) { puts_(&o, l->labels[j]); changed = 1; }
            else put(&o, s + 1, (size_t)(end - s - 1));
            s = end;
            continue;
        }
        put(&o, s++, 1);
    }
    return changed && !o.over;
}

int names_script_of(const char *ascii, int notation, names_script script, char *buf, size_t size)
{
    char tmp[4 * NAME_MAX_LEN];
    obuf o = {size ? buf : tmp, 0, size ? size : sizeof tmp, 0};
    o.s[0] = '\0';
    if (script == NAMES_UNICODE) to_unicode(&o, ascii, notation);
    else if (script == NAMES_LATEX) to_latex(&o, ascii, notation);
    else puts_(&o, ascii);
    if (!o.over) return (int)o.len;
    /* too small: the length it needs */
    obuf big = {tmp, 0, sizeof tmp, 0};
    tmp[0] = '\0';
    if (script == NAMES_UNICODE) to_unicode(&big, ascii, notation);
    else if (script == NAMES_LATEX) to_latex(&big, ascii, notation);
    else puts_(&big, ascii);
    return (int)big.len;
}

int names_render(const lesson *l, int notation, names_script script, const quantity *q,
                 char *buf, size_t size)
{
    char base[NAME_MAX_LEN], ascii[NAME_MAX_LEN + 48];
    base_name(l, l ? notation : NOTATION_VA, q, base, sizeof base);
    with_suffix(q, base, ascii, sizeof ascii);
    return names_script_of(ascii, notation, script, buf, size);
}

int names_given_as(const lesson *l, int notation, names_script script, const quantity *q,
                   char *buf, size_t size)
{
    if (size) buf[0] = '\0';
    if (!l || notation != NOTATION_VA || q->kind != Q_INPUT || q->pass == PASS_GIVEN) return 0;
    char ascii[64], x[LESSON_NAME_MAX + 16];
    if (q->j <= l->max_id && l->labels[q->j][0]) snprintf(x, sizeof x, "%s", l->labels[q->j]);   /* x1 */
    else snprintf(x, sizeof x, "x_%d", q->j);
    if (q->e > 0) snprintf(ascii, sizeof ascii, "%s[%d]", x, q->e);
    else snprintf(ascii, sizeof ascii, "%s", x);
    return names_script_of(ascii, notation, script, buf, size);
}

/* ------------------------------------------------------------------------
 * Normalising what people type
 * ---------------------------------------------------------------------- */

/* Index of the brace matching s[k] == '{' in s[0..n), or n. */
static size_t match_brace(const char *s, size_t n, size_t k)
{
    int depth = 0;
    for (; k < n; k++) {
        if (s[k] == '{') depth++;
        else if (s[k] == '}' && --depth == 0) return k;
    }
    return n;
}

/* One Unicode sequence at s (UTF-8), its ASCII meaning. */
typedef struct { const char *utf8, *ascii; } uni_map;
static const uni_map UNI[] = {
    {"Δ", "delta"}, {"δ", "delta"}, {"∂", "d"}, {"σ", "sigma"}, {"μ", "mu"}, {"µ", "mu"},
    {"α", "alpha"}, {"λ", "lambda"}, {"·", "*"}, {"⋅", "*"}, {"′", "'"}, {"⁽", "^("}, {"⁾", ")"},
    {"⁰", "0"}, {"¹", "1"}, {"²", "2"}, {"³", "3"}, {"⁴", "4"}, {"⁵", "5"}, {"⁶", "6"},
    {"⁷", "7"}, {"⁸", "8"}, {"⁹", "9"}, {"−", "-"},
};

/* Normalise a typed name (n bytes) into out. Returns 0, or -1 if too long. */
static int normalise(const char *in, char *out, size_t size)
{
    size_t n = strlen(in);
    if (n >= NAME_MAX_LEN * 2) return -1;
    char s[NAME_MAX_LEN * 2];
    memcpy(s, in, n + 1);
    /* \frac{A}{B} -> A/B: the command blanked, the "}{" between made "/" */
    for (char *f = strstr(s, "\\frac"); f; f = strstr(f, "\\frac")) {
        memset(f, ' ', 5);
        size_t k = (size_t)(f - s) + 5;
        while (k < n && s[k] == ' ') k++;
        if (k < n && s[k] == '{') {
            size_t m = match_brace(s, n, k);
            if (m + 1 < n && s[m + 1] == '{') { s[m] = '/'; s[m + 1] = ' '; }
        }
    }
    obuf o = {out, 0, size, 0};
    out[0] = '\0';
    int in_sub = 0;
    for (size_t k = 0; k < n;) {
        unsigned char c = (unsigned char)s[k];
        if (c == ' ' || c == '\t' || c == '$' || c == '{' || c == '}') { k++; in_sub = 0; continue; }
        if (c == '\\') {
            size_t w = k + 1;
            while (w < n && is_alpha(s[w])) w++;
            size_t wl = w - k - 1;
            const char *cmd = s + k + 1;
            k = w;
            in_sub = 0;
            if (wl == 0) { if (k < n) k++; continue; }          /* \, \; \! */
            if ((wl == 3 && !strncmp(cmd, "bar", 3)) || (wl == 8 && !strncmp(cmd, "overline", 8)) ||
                (wl == 3 && !strncmp(cmd, "hat", 3))) {
                while (k < n && s[k] == ' ') k++;
                size_t m = k < n && s[k] == '{' ? match_brace(s, n, k) : k;
                if (m >= n) continue;
                if (s[k] == '{') put(&o, s + k + 1, m - k - 1); else put(&o, s + k, 1);
                puts_(&o, cmd[0] == 'h' ? "hat" : "bar");
                k = m + 1;
                continue;
            }
            static const struct { const char *cmd, *ascii; } TEX[] = {
                {"partial", "d"}, {"Delta", "delta"}, {"delta", "delta"}, {"sigma", "sigma"},
                {"mu", "mu"}, {"prime", "'"}, {"cdot", "*"}, {"left", ""}, {"right", ""},
                {"mathrm", ""}, {"text", ""}, {"mathit", ""}, {"operatorname", ""}, {"mathbf", ""},
            };
            size_t t;
            for (t = 0; t < sizeof TEX / sizeof TEX[0]; t++)
                if (strlen(TEX[t].cmd) == wl && !strncmp(TEX[t].cmd, cmd, wl)) break;
            if (t < sizeof TEX / sizeof TEX[0]) puts_(&o, TEX[t].ascii);
            else put(&o, cmd, wl);
            continue;
        }
        if (c >= 0x80) {
            /* subscript digits ₀..₉: E2 82 80..89 */
            if (c == 0xE2 && k + 2 < n && (unsigned char)s[k + 1] == 0x82 &&
                (unsigned char)s[k + 2] >= 0x80 && (unsigned char)s[k + 2] <= 0x89) {
                if (!in_sub && !(o.len && out[o.len - 1] == '_')) puts_(&o, "_");
                char d = (char)('0' + ((unsigned char)s[k + 2] - 0x80));
                put(&o, &d, 1);
                in_sub = 1;
                k += 3;
                continue;
            }
            /* a combining macron (U+0304) bars the letter before it */
            if (c == 0xCC && k + 1 < n && (unsigned char)s[k + 1] == 0x84) {
                puts_(&o, "bar");
                k += 2;
                continue;
            }
            size_t u;
            for (u = 0; u < sizeof UNI / sizeof UNI[0]; u++)
                if (!strncmp(s + k, UNI[u].utf8, strlen(UNI[u].utf8))) break;
            in_sub = 0;
            if (u < sizeof UNI / sizeof UNI[0]) {
                puts_(&o, UNI[u].ascii);
                k += strlen(UNI[u].utf8);
            } else {
                put(&o, s + k, 1);
                k++;
            }
            continue;
        }
        if (c == ',' && in_sub && k + 3 < n && (unsigned char)s[k + 1] == 0xE2 &&
            (unsigned char)s[k + 2] == 0x82) {
            puts_(&o, ",");
            k++;
            continue;                                /* w₁,₃: one subscript */
        }
        in_sub = 0;
        put(&o, s + k, 1);
        k++;
    }
    if (o.over) return -1;
    for (char *d = strstr(out, "Delta"); d; d = strstr(d, "Delta")) *d = 'd';
    return 0;
}

int names_ascii_spelling(const char *typed, char *out, size_t size)
{
    return normalise(typed, out, size);
}

/* The stems of the quantities' names, in every notation (what comes before
 * the '_' of a_3, in_3, out_h1, zbar_3, target_o1, E_total, dJ_5/da_3,
 * dE_o1/dout_h1, the d of a gradient's dw_1,3 after its '/'), and the
 * names that are whole (J, L, E; alpha and lambda of the update lines).
 * test_names checks every name every lesson's trace prints against them. */
static const char *const NAME_STEMS[] = {
    "a", "x", "y", "t", "w", "b", "W", "z", "in", "net", "out", "target", "err", "delta",
    "zbar", "wbar", "bbar", "ybar", "mu", "var", "sd", "min", "max", "xn", "ahat", "m", "r", "ad",
    "E", "dJ", "dE", "dL", "din", "dnet", "dout", "dz", "da", "dw", "dy", "dW", "db",
};
static const struct { const char *name, *what; } WHOLE_NAMES[] = {
    {"J", "the loss"}, {"L", "the loss (layer and bar notations)"}, {"E", "the loss (E_total)"},
    {"alpha", "the learning rate"}, {"lambda", "the weight decay"},
};

int names_given_problem(const char *nm, const char *role, char *why, size_t size)
{
    char key[NAME_MAX_LEN * 2];
    if (normalise(nm, key, sizeof key)) return 0;       /* too long to be a name: copy_name says so */
    for (size_t k = 0; k < sizeof WHOLE_NAMES / sizeof *WHOLE_NAMES; k++)
        if (!strcmp(key, WHOLE_NAMES[k].name)) {
            snprintf(why, size, "%s '%s' is the name of %s in the trace: call it something else",
                     role, nm, WHOLE_NAMES[k].what);
            return 1;
        }
    const char *u = strchr(key, '_');
    if (!u) return 0;
    size_t stem = (size_t)(u - key);
    for (size_t k = 0; k < sizeof NAME_STEMS / sizeof *NAME_STEMS; k++) {
        if (strlen(NAME_STEMS[k]) != stem || strncmp(key, NAME_STEMS[k], stem)) continue;
        /* the suggestion: stem and number run together (x_1 -> x1), as 002 and 004 name neurons */
        char near[NAME_MAX_LEN * 2] = "";
        const char *nu = strchr(nm, '_');
        if (nu && nu[1] && strspn(nu + 1, "0123456789") == strlen(nu + 1))
            snprintf(near, sizeof near, "%.*s%s", (int)(nu - nm), nm, nu + 1);
        char shown[2 * NAME_MAX_LEN + 64];
        if (!strcmp(role, "label"))
            snprintf(shown, sizeof shown, "its neuron's names would be a_%s and in_%s, which read as two", nm, nm);
        else
            snprintf(shown, sizeof shown, "traces and answer sheets could not tell it from one");
        snprintf(why, size, "%s '%s' begins like a quantity's name (%.*s_...): %s%s%s%s", role, nm, (int)stem, key,
                 shown, near[0] ? "; did you mean " : "", near, near[0] ? "?" : "");
        return 1;
    }
    return 0;
}

/* Split "base^(t)[e]" (either order): t and e -1 when absent. */
static void split_suffix(char *s, long *t, long *e)
{
    *t = *e = -1;
    size_t n = strlen(s);
    for (int pass = 0; pass < 2; pass++) {
        if (n > 2 && s[n - 1] == ']') {
            size_t b = n - 1;
            while (b > 0 && is_digit(s[b - 1])) b--;
            if (b > 1 && s[b - 1] == '[' && s[b - 2] != '^' && b < n - 1 && n - b < 9) {
                *e = atol(s + b);
                n = b - 1;
            }
        }
        if (n > 3 && s[n - 1] == ')') {
            size_t b = n - 1;
            while (b > 0 && is_digit(s[b - 1])) b--;
            if (b > 2 && s[b - 1] == '(' && s[b - 2] == '^' && b < n - 1 && n - b < 9) {
                *t = atol(s + b);
                n = b - 2;
            }
        }
    }
    s[n] = '\0';
}

/* F(X^(t)[e]) -> F(X)^(t)[e]: a formula writes an activation's operand
 * with its marks inside, a_3^(1) = g(in_3^(1)), its name has them outside
 * (g'(in_3)^(1)); both read the same. */
static void hoist_suffix(char *s, size_t size)
{
    size_t n = strlen(s), open = 0;
    while (open < n && (s[open] != '(' || (open > 0 && s[open - 1] == '^'))) open++;
    if (open == 0 || open >= n || s[n - 1] != ')') return;
    int depth = 0;
    for (size_t k = open; k < n; k++) {
        depth += s[k] == '(' ? 1 : s[k] == ')' ? -1 : 0;
        if (depth == 0 && k != n - 1) return;                /* F(X) is not the whole name */
    }
    char inner[NAME_MAX_LEN * 2];
    if (n - open - 2 >= sizeof inner) return;
    memcpy(inner, s + open + 1, n - open - 2);
    inner[n - open - 2] = '\0';
    long t, e;
    split_suffix(inner, &t, &e);
    if (t < 0 && e < 0) return;
    char tail[48] = "";
    if (t >= 0) snprintf(tail, sizeof tail, "^(%ld)", t);
    if (e >= 0) snprintf(tail + strlen(tail), sizeof tail - strlen(tail), "[%ld]", e);
    size_t il = strlen(inner), tl = strlen(tail);
    if (open + 1 + il + 1 + tl + 1 > size) return;
    memcpy(s + open + 1, inner, il);
    s[open + 1 + il] = ')';
    memcpy(s + open + 2 + il, tail, tl + 1);
}

/* ------------------------------------------------------------------------
 * The index
 * ---------------------------------------------------------------------- */

typedef struct { uint32_t reading, key; uint8_t notation; } nrec;

struct names_index {
    const lesson *l;
    const trace *tr;
    int notation;
    long  *slot;      /* canonical: quantity id or -1 */
    size_t mask;
    /* key table (built on first need) */
    int built, failed;
    quantity *rd;     /* readings: kind (an update is a weight), i, j, first pass */
    size_t n_rd;
    char  *kbuf;      /* NUL-terminated keys */
    size_t klen, kcap;
    nrec  *rec;
    size_t n_rec, rec_cap;
    uint32_t *kslot;  /* record number + 1, 0 empty */
    size_t kmask;
};

static size_t hash(const char *s)
{
    size_t h = (size_t)1469598103934665603ULL;          /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
    return h;
}

names_index *names_index_new(const lesson *l, const trace *tr, int notation)
{
    names_index *ix = calloc(1, sizeof *ix);
    if (!ix) return NULL;
    size_t cap = 16;
    while (cap < 2 * tr->n + 2) cap *= 2;
    ix->l = l;
    ix->tr = tr;
    ix->notation = notation >= 0 && notation < NOTATION_COUNT ? notation : NOTATION_VA;
    ix->mask = cap - 1;
    ix->slot = malloc(cap * sizeof *ix->slot);
    if (!ix->slot) { free(ix); return NULL; }
    for (size_t s = 0; s < cap; s++) ix->slot[s] = -1;
    char buf[NAME_MAX_LEN], other[NAME_MAX_LEN];
    for (size_t id = 0; id < tr->n; id++) {
        trace_name(&tr->q[id], buf, sizeof buf);
        size_t s = hash(buf) & ix->mask;
        int dup = 0;
        while (ix->slot[s] >= 0) {
            trace_name(&tr->q[ix->slot[s]], other, sizeof other);
            if (!strcmp(buf, other)) { dup = 1; break; }
            s = (s + 1) & ix->mask;
        }
        if (!dup) ix->slot[s] = (long)id;
    }
    return ix;
}

void names_index_free(names_index *ix)
{
    if (!ix) return;
    free(ix->slot);
    free(ix->rd);
    free(ix->kbuf);
    free(ix->rec);
    free(ix->kslot);
    free(ix);
}

int names_index_notation(const names_index *ix) { return ix->notation; }

int names_index_prefer(names_index *ix, int notation)
{
    int before = ix->notation;
    assert(notation >= 0 && notation < NOTATION_COUNT);
    ix->notation = notation;
    return before;
}

int names_index_failed(const names_index *ix) { return ix->failed; }

long names_index_get(const names_index *ix, const char *canonical)
{
    char other[NAME_MAX_LEN];
    for (size_t s = hash(canonical) & ix->mask; ix->slot[s] >= 0; s = (s + 1) & ix->mask) {
        trace_name(&ix->tr->q[ix->slot[s]], other, sizeof other);
        if (!strcmp(other, canonical)) return ix->slot[s];
    }
    return -1;
}

/* Add key (a name in any script, normalised here) for a reading. */
static void add_key(names_index *ix, uint32_t reading, int notation, const char *name)
{
    char key[NAME_MAX_LEN * 2];
    if (ix->failed || normalise(name, key, sizeof key) || !key[0]) return;
    size_t kl = strlen(key) + 1;
    if (ix->klen + kl > ix->kcap) {
        size_t cap = ix->kcap ? ix->kcap * 2 : 4096;
        while (cap < ix->klen + kl) cap *= 2;
        char *b = realloc(ix->kbuf, cap);
        if (!b) { ix->failed = 1; return; }
        ix->kbuf = b;
        ix->kcap = cap;
    }
    if (ix->n_rec == ix->rec_cap) {
        size_t cap = ix->rec_cap ? ix->rec_cap * 2 : 256;
        nrec *r = realloc(ix->rec, cap * sizeof *r);
        if (!r) { ix->failed = 1; return; }
        ix->rec = r;
        ix->rec_cap = cap;
    }
    memcpy(ix->kbuf + ix->klen, key, kl);
    ix->rec[ix->n_rec++] = (nrec){reading, (uint32_t)ix->klen, (uint8_t)notation};
    ix->klen += kl;
}

/* A name and its Unicode and LaTeX forms, as keys. */
static void add_scripts(names_index *ix, uint32_t r, int n, const char *ascii)
{
    char buf[4 * NAME_MAX_LEN];
    add_key(ix, r, n, ascii);
    for (int s = NAMES_UNICODE; s < NAMES_SCRIPT_COUNT; s++) {
        names_script_of(ascii, n, (names_script)s, buf, sizeof buf);
        add_key(ix, r, n, buf);
    }
}

static int build_keys(names_index *ix)
{
    if (ix->built) return ix->failed ? -1 : 0;
    ix->built = 1;
    const trace *tr = ix->tr;
    const lesson *l = ix->l;
    /* readings: distinct (kind, i, j), in trace order */
    size_t cap = 16;
    while (cap < 2 * tr->n + 2) cap *= 2;
    uint64_t *seen = malloc(cap * sizeof *seen);
    ix->rd = malloc((tr->n + 1) * sizeof *ix->rd);
    if (!seen || !ix->rd) { free(seen); ix->failed = 1; return -1; }
    for (size_t s = 0; s < cap; s++) seen[s] = UINT64_MAX;
    for (size_t id = 0; id < tr->n; id++) {
        quantity c = tr->q[id];
        c.kind = named_kind(c.kind);
        uint64_t k = ((uint64_t)c.kind << 42) ^ ((uint64_t)(uint32_t)(c.i + 1) << 21) ^ (uint64_t)(uint32_t)(c.j + 1) ^
                     ((uint64_t)trace_tied(&c) << 63);    /* a tie is not its first arc */
        size_t s = (size_t)((k * 0x9E3779B97F4A7C15ULL) >> 20) & (cap - 1);
        while (seen[s] != UINT64_MAX && seen[s] != k) s = (s + 1) & (cap - 1);
        if (seen[s] == k) continue;
        seen[s] = k;
        c.t = 0;
        c.e = 0;
        ix->rd[ix->n_rd++] = c;
    }
    free(seen);
    char ascii[NAME_MAX_LEN], canon[NAME_MAX_LEN], lab[NAME_MAX_LEN + 64];
    for (size_t r = 0; r < ix->n_rd && !ix->failed; r++) {
        const quantity *q = &ix->rd[r];
        uint32_t ri = (uint32_t)r;
        for (int n = 0; n < NOTATION_COUNT; n++) {
            base_name(l, n, q, ascii, sizeof ascii);
            add_scripts(ix, ri, n, ascii);
        }
        /* va: the canonical name, its label forms, an input as x_j and a_j,
         * an alias for its weight (w5, dJ/dw5) */
        canonical_base(q, canon, sizeof canon);
        add_scripts(ix, ri, NOTATION_VA, canon);
        if (l && labelled(l, canon, lab, sizeof lab)) add_scripts(ix, ri, NOTATION_VA, lab);
        if (q->kind == Q_INPUT) {
            if (l && q->j <= l->max_id && l->labels[q->j][0])      /* given as x1 (names_given_as) */
                add_scripts(ix, ri, NOTATION_VA, l->labels[q->j]);
            snprintf(ascii, sizeof ascii, "a_%d", q->j);
            add_scripts(ix, ri, NOTATION_VA, ascii);
            if (l && labelled(l, ascii, lab, sizeof lab)) add_scripts(ix, ri, NOTATION_VA, lab);
        }
        int a = l && !trace_tied(q) && (q->kind == Q_WEIGHT || q->kind == Q_GRAD) ? lesson_arc_index(l, q->i, q->j) : -1;
        if (a >= 0 && l->arcs[a].alias[0]) {
            snprintf(ascii, sizeof ascii, "%s%s", q->kind == Q_GRAD ? "dJ/d" : "", l->arcs[a].alias);
            add_scripts(ix, ri, NOTATION_VA, ascii);
        }
        /* an activation as the lectures write it, g of its net input:
         * g(in_3) ~ 0.5474 (001), sigma(z_3) (004), in each notation's
         * own net input (and in va its label form, g(in_h1)); the ASCII
         * key is enough, as g(in₃), σ(z₃) and \sigma(z_{3}) normalise to it */
        if (q->kind == Q_ACT) {
            quantity in = *q;
            in.kind = Q_IN;
            for (int n = 0; n < NOTATION_COUNT; n++) {
                base_name(l, n, &in, canon, sizeof canon);
                for (int f = 0; f < 2; f++) {
                    snprintf(lab, sizeof lab, "%s(%s)", f ? "sigma" : "g", canon);
                    add_key(ix, ri, n, lab);
                }
            }
            trace_base_name(Q_IN, 0, q->j, canon, sizeof canon);
            snprintf(lab, sizeof lab, "g(%s)", canon);
            add_key(ix, ri, NOTATION_VA, lab);
        }
        /* netout: 002 also writes E and dE/dw5 */
        if (l && (q->kind == Q_LOSS || q->kind == Q_GRAD)) {
            base_name(l, NOTATION_NETOUT, q, ascii, sizeof ascii);
            if (q->kind == Q_LOSS) add_scripts(ix, ri, NOTATION_NETOUT, "E");
            else if (!strncmp(ascii, "dE_total/", 9)) {
                snprintf(lab, sizeof lab, "dE/%s", ascii + 9);
                add_scripts(ix, ri, NOTATION_NETOUT, lab);
            }
        }
    }
    /* a tie's weight is also every one of its arcs' weights: w_0,4, w_0,h2
     * and an arc's alias name the tie (its gradient is the arc's own) */
    long *tie_rd = l && l->n_ties ? malloc((size_t)l->n_ties * sizeof *tie_rd) : NULL;
    if (l && l->n_ties && !tie_rd) ix->failed = 1;
    for (int t = 0; tie_rd && t < l->n_ties; t++) tie_rd[t] = -1;
    for (size_t r = 0; tie_rd && r < ix->n_rd; r++) {
        const quantity *q = &ix->rd[r];
        int a = trace_tied(q) && q->kind == Q_WEIGHT ? lesson_arc_index(l, q->i, q->j) : -1;
        if (a >= 0 && l->arcs[a].tie) tie_rd[l->arcs[a].tie - 1] = (long)r;
    }
    for (int a = 0; tie_rd && a < l->n_arcs && !ix->failed; a++) {
        long r = l->arcs[a].tie ? tie_rd[l->arcs[a].tie - 1] : -1;
        if (r < 0) continue;
        snprintf(canon, sizeof canon, "w_%d,%d", l->arcs[a].i, l->arcs[a].j);
        add_scripts(ix, (uint32_t)r, NOTATION_VA, canon);
        if (labelled(l, canon, lab, sizeof lab)) add_scripts(ix, (uint32_t)r, NOTATION_VA, lab);
        if (l->arcs[a].alias[0]) add_scripts(ix, (uint32_t)r, NOTATION_VA, l->arcs[a].alias);
    }
    free(tie_rd);
    if (ix->failed) return -1;
    size_t kc = 16;
    while (kc < 2 * ix->n_rec + 2) kc *= 2;
    ix->kslot = calloc(kc, sizeof *ix->kslot);
    if (!ix->kslot) { ix->failed = 1; return -1; }
    ix->kmask = kc - 1;
    for (size_t r = 0; r < ix->n_rec; r++) {
        const nrec *R = &ix->rec[r];
        const char *key = ix->kbuf + R->key;
        size_t s = hash(key) & ix->kmask;
        int dup = 0;
        for (; ix->kslot[s]; s = (s + 1) & ix->kmask) {
            const nrec *O = &ix->rec[ix->kslot[s] - 1];
            if (O->reading == R->reading && O->notation == R->notation && !strcmp(ix->kbuf + O->key, key)) {
                dup = 1;
                break;
            }
        }
        if (!dup) ix->kslot[s] = (uint32_t)(r + 1);
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Resolving
 * ---------------------------------------------------------------------- */

/* The quantity shaped like reading r with the typed suffixes. */
static quantity with_t_e(const quantity *r, long t, long e)
{
    quantity c = *r;
    c.t = t > 0 ? (int32_t)t : 0;
    c.e = e > 0 ? (int32_t)e : 0;
    return c;
}

/* "a_3 (a₃)": a name in ASCII, then its Unicode form when that differs. */
static void both_scripts(const names_index *ix, int notation, const quantity *q, char *buf, size_t size)
{
    char a[NAME_MAX_LEN + 48], u[4 * NAME_MAX_LEN];
    names_render(ix->l, notation, NAMES_ASCII, q, a, sizeof a);
    names_render(ix->l, notation, NAMES_UNICODE, q, u, sizeof u);
    obuf o = {buf, 0, size, 0};
    buf[0] = '\0';
    puts_(&o, a);
    if (strcmp(a, u)) { puts_(&o, " ("); puts_(&o, u); puts_(&o, ")"); }
}

/* The code point of the UTF-8 sequence at c, its length in *len; -1 (and
 * *len 1) for a control byte or broken UTF-8. */
static long utf8_at(const unsigned char *c, int *len)
{
    long cp = esc_utf8_cp(c, len);
    return cp < 0x20 || cp == 0x7f ? -1 : cp;
}

/* Is the character (UTF-8, len bytes) one of the notation's own: printable
 * ASCII, a subscript digit, a combining macron, or a UNI[] sequence? */
static int notation_char(const char *c, int len, long cp)
{
    if (cp >= 0x20 && cp < 0x7f) return 1;
    if ((cp >= 0x2080 && cp <= 0x2089) || cp == 0x304) return 1;
    for (size_t u = 0; u < sizeof UNI / sizeof UNI[0]; u++)
        if ((int)strlen(UNI[u].utf8) == len && !memcmp(c, UNI[u].utf8, (size_t)len)) return 1;
    return 0;
}

/* A typed name fit for a message: control bytes and broken UTF-8 as '?',
 * every other character outside the notation's alphabet (a Cyrillic a, a
 * zero-width space, a right-to-left override, a fullwidth digit) shown
 * visibly as <U+0430>, so nothing in a message looks like what it is not;
 * at most about 48 bytes. */
static void echo(const char *s, char *out, size_t size)
{
    obuf o = {out, 0, size, 0};
    out[0] = '\0';
    for (const unsigned char *c = (const unsigned char *)s; *c && o.len < 48;) {
        int len;
        long cp = utf8_at(c, &len);
        if (cp < 0) puts_(&o, "?");
        else if (notation_char((const char *)c, len, cp)) put(&o, (const char *)c, (size_t)len);
        else {
            char u[24];
            snprintf(u, sizeof u, "<U+%04lX>", (unsigned long)cp);
            puts_(&o, u);
        }
        c += len;
        if (o.len >= 48 && *c) puts_(&o, "...");
    }
}

/* The ASCII a look-alike stands for: Cyrillic and Greek letters that look
 * like Latin ones, fullwidth ASCII; 0 for an invisible or bidi control
 * character (dropped); -1 for any other. */
static int lookalike(long cp)
{
    static const struct { unsigned short cp; char ascii; } LIKE[] = {
        {0x0430, 'a'}, {0x0435, 'e'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0443, 'y'},
        {0x0445, 'x'}, {0x0456, 'i'}, {0x0458, 'j'}, {0x0455, 's'}, {0x0501, 'd'}, {0x04BB, 'h'},
        {0x051D, 'w'}, {0x0410, 'A'}, {0x0412, 'B'}, {0x0415, 'E'}, {0x041A, 'K'}, {0x041C, 'M'},
        {0x041D, 'H'}, {0x041E, 'O'}, {0x0420, 'P'}, {0x0421, 'C'}, {0x0422, 'T'}, {0x0425, 'X'},
        {0x0406, 'I'}, {0x0408, 'J'}, {0x03BF, 'o'}, {0x03B9, 'i'}, {0x03BA, 'k'}, {0x03C1, 'p'},
        {0x03C5, 'u'}, {0x03C7, 'x'}, {0x03BD, 'v'}, {0x0391, 'A'}, {0x0392, 'B'}, {0x0395, 'E'},
        {0x0396, 'Z'}, {0x0397, 'H'}, {0x0399, 'I'}, {0x039A, 'K'}, {0x039C, 'M'}, {0x039D, 'N'},
        {0x039F, 'O'}, {0x03A1, 'P'}, {0x03A4, 'T'}, {0x03A5, 'Y'}, {0x03A7, 'X'}, {0x2010, '-'},
        {0x2011, '-'}, {0x2032, '\''}, {0x2019, '\''}, {0x02BC, '\''}, {0x2215, '/'}, {0x2044, '/'},
    };
    if (cp >= 0xFF01 && cp <= 0xFF5E) return (int)(cp - 0xFEE0);           /* fullwidth ASCII */
    if ((cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2064) ||
        (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF || cp == 0xAD || cp == 0x34F)
        return 0;
    for (size_t k = 0; k < sizeof LIKE / sizeof LIKE[0]; k++)
        if (LIKE[k].cp == cp) return LIKE[k].ascii;
    return -1;
}

/* typed with look-alikes folded to ASCII and invisible characters dropped
 * (the notation's own characters kept) into out; 1 when anything was
 * folded, 0 when nothing was (or it does not fit). */
static int fold_lookalikes(const char *typed, char *out, size_t size)
{
    obuf o = {out, 0, size, 0};
    int folded = 0;
    out[0] = '\0';
    for (const unsigned char *c = (const unsigned char *)typed; *c;) {
        int len;
        long cp = utf8_at(c, &len);
        int a = cp < 0 || notation_char((const char *)c, len, cp) ? -1 : lookalike(cp);
        if (a < 0) put(&o, (const char *)c, (size_t)len);
        else if (a > 0) { char ch = (char)a; put(&o, &ch, 1); folded = 1; }
        else folded = 1;
        c += len;
    }
    return folded && !o.over;
}

static void say(char *err, size_t errsize, const char *fmt, const char *a, const char *b)
{
    if (err && errsize) snprintf(err, errsize, fmt, a, b);
}

/* When `alt`, what the typed name (shown) was meant to be, names a
 * quantity: fmt says so with it in both scripts; 1. Else 0, nothing said. */
static int meant(names_index *ix, const char *alt, const char *fmt, const char *shown, char *err,
                 size_t errsize)
{
    long id = names_resolve(ix, alt, NULL, 0);
    if (id < 0) return 0;
    char sug[2 * NAME_MAX_LEN + 128];
    both_scripts(ix, ix->notation, &ix->tr->q[id], sug, sizeof sug);
    say(err, errsize, fmt, shown, sug);
    return 1;
}

/* A bare stem typed (z, as the lecture names a one-neuron model's only
 * z): "'z' names no quantity ...; did you mean z_2 (z₂)?", or up to four
 * names of the lesson's notation that begin with it and a subscript.
 * Returns 1 when it said so, 0 when no name begins so. */
static int bare_stem(names_index *ix, const char *key, long t, long e, const char *shown, char *err,
                     size_t errsize)
{
    size_t kl = strlen(key), n = 0, more = 0;
    uint32_t rd[4];
    for (size_t r = 0; r < ix->n_rec; r++) {
        const nrec *R = &ix->rec[r];
        const char *k = ix->kbuf + R->key;
        if (R->notation != ix->notation || strncmp(k, key, kl) || k[kl] != '_') continue;
        size_t f;
        for (f = 0; f < n && rd[f] != R->reading; f++) {}
        if (f < n) continue;
        if (n == sizeof rd / sizeof rd[0]) { more = 1; break; }
        rd[n++] = R->reading;
    }
    if (n == 0) return 0;
    char list[4 * (2 * NAME_MAX_LEN + 128) + 32], one[2 * NAME_MAX_LEN + 128];
    obuf o = {list, 0, sizeof list, 0};
    list[0] = '\0';
    for (size_t f = 0; f < n; f++) {       /* one name in both scripts, several in ASCII (as the iterations) */
        quantity c = with_t_e(&ix->rd[rd[f]], t, e);
        names_render(ix->l, ix->notation, NAMES_ASCII, &c, one, sizeof one);
        if (names_resolve(ix, one, NULL, 0) < 0) c = with_t_e(&ix->rd[rd[f]], 0, 0);   /* no such ^(t) or [e] */
        if (n == 1) both_scripts(ix, ix->notation, &c, one, sizeof one);
        else names_render(ix->l, ix->notation, NAMES_ASCII, &c, one, sizeof one);
        if (f) puts_(&o, ", ");
        puts_(&o, one);
    }
    if (more) puts_(&o, ", ...");
    say(err, errsize, "'%s' names no quantity of this lesson; did you mean %s?", shown, list);
    return 1;
}

/* How far apart the last numbers of two keys are ("a6", "a5": 1); LONG_MAX
 * when either has none. */
static long number_gap(const char *a, const char *b)
{
    long n[2];
    const char *s[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        const char *p = s[k] + strlen(s[k]);
        while (p > s[k] && !isdigit((unsigned char)p[-1])) p--;
        const char *e = p;
        while (p > s[k] && isdigit((unsigned char)p[-1]) && e - p < 9) p--;
        if (p == e) return LONG_MAX;
        n[k] = strtol(p, NULL, 10);
    }
    return labs(n[0] - n[1]);
}

/* A name the trace has, for the did-you-mean list of names_resolve: how
 * far its iteration and example are from the ones typed (dt, then de), and
 * where it is in the trace. */
typedef struct { char name[NAME_MAX_LEN + 48]; long dt, de; size_t k; } near_name;

/* Is (dt, de) nearer than b: a smaller dt, or the same and a smaller de? */
static int nearer(const near_name *b, long dt, long de)
{
    return dt < b->dt || (dt == b->dt && de < b->de);
}

long names_resolve(names_index *ix, const char *typed, char *err, size_t errsize)
{
    if (err && errsize) err[0] = '\0';
    if (ix->notation == NOTATION_VA) {               /* the canonical name, at once */
        long id = names_index_get(ix, typed);
        if (id >= 0) return id;
    }
    char key[NAME_MAX_LEN * 2];
    if (normalise(typed, key, sizeof key)) {
        char shown[80];
        echo(typed, shown, sizeof shown);
        say(err, errsize, "'%s' is too long to be a name%s", shown, "");
        return -1;
    }
    long t, e;
    hoist_suffix(key, sizeof key);
    split_suffix(key, &t, &e);
    if (build_keys(ix)) {
        say(err, errsize, "out of memory%s%s", "", "");
        return -1;
    }
    /* every reading of the base, in record order */
    uint32_t found[8];
    uint8_t fmask[8];
    size_t nf = 0;
    if (key[0]) {
        for (size_t s = hash(key) & ix->kmask; ix->kslot[s]; s = (s + 1) & ix->kmask) {
            const nrec *R = &ix->rec[ix->kslot[s] - 1];
            if (strcmp(ix->kbuf + R->key, key)) continue;
            size_t f;
            for (f = 0; f < nf && found[f] != R->reading; f++) {}
            if (f == nf) {
                if (nf == sizeof found / sizeof found[0]) continue;
                found[nf] = R->reading;
                fmask[nf++] = 0;
            }
            fmask[f] |= (uint8_t)(1u << R->notation);
        }
    }
    char shown[80];
    echo(typed, shown, sizeof shown);
    char plain[NAME_MAX_LEN * 2];
    if (nf == 0 && err && fold_lookalikes(typed, plain, sizeof plain)) {
        /* a name with look-alike or invisible characters: what it looks like */
        if (meant(ix, plain, "'%s' names no quantity of this lesson (a look-alike or invisible character); "
                  "did you mean %s?", shown, err, errsize))
            return -1;
        if (normalise(plain, key, sizeof key) == 0) split_suffix(key, &t, &e);
    }
    char *sym = strstr(key, "^(t");
    if (nf == 0 && err && sym && (!strcmp(sym, "^(t)") || !strcmp(sym, "^(t+1)"))) {
        /* 001's symbolic iteration, w_0,3^(t+1): the first one is meant */
        char num[NAME_MAX_LEN * 2 + 8];
        snprintf(num, sizeof num, "%.*s%s", (int)(sym - key), key, sym[3] == '+' ? "^(1)" : "");
        if (meant(ix, num, "'%s' names no quantity: an iteration is a number here (^(1) after the first "
                  "update, none before it); did you mean %s?", shown, err, errsize))
            return -1;
    }
    if (nf == 0 && err && key[0] && !strchr(key, '_') && bare_stem(ix, key, t, e, shown, err, errsize))
        return -1;
    if (nf == 0) {
        /* a near miss: the closest key, its own notation's name */
        size_t kl = strlen(key), limit = kl <= 4 ? 1 : kl <= 8 ? 2 : 3;   /* as suggest() judges */
        size_t best = limit + 1, br = 0;
        long bgap = 0;
        int bn = -1;
        for (size_t r = 0; r < ix->n_rec && key[0] && err; r++) {
            const nrec *R = &ix->rec[r];
            size_t ol = strlen(ix->kbuf + R->key);
            if (ol > kl + limit || kl > ol + limit) continue;
            size_t d = suggest_distance(key, ix->kbuf + R->key);
            if (d > limit) continue;
            /* on a tie: the nearest neuron (a_6 in a net of 5 neurons: a_5,
             * not the bias a_0; a_9 in a layer-notation lesson of 8: a_8,
             * though a_0 is the layer notation's name too), then the
             * lesson's notation */
            long gap = number_gap(key, ix->kbuf + R->key);
            int mine = R->notation == ix->notation, bmine = bn == ix->notation;
            if (d < best || (d == best && (gap < bgap || (gap == bgap && mine > bmine)))) {
                best = d;
                br = R->reading;
                bn = R->notation;
                bgap = gap;
            }
        }
        if (bn < 0) {
            say(err, errsize, "'%s' names no quantity of this lesson%s", shown,
                strchr(typed, '/') && !trace_has_kind(ix->tr, Q_DJDA)
                    ? " (the chain-rule factors dJ/da_j, g'(in_j), din_j/dw_i,j are in the trace "
                      "only with --chain or the lesson's 'chain yes')" : "");
        } else {
            char sug[2 * NAME_MAX_LEN + 128];
            quantity c = with_t_e(&ix->rd[br], t, e);
            both_scripts(ix, bn, &c, sug, sizeof sug);
            say(err, errsize, "'%s' names no quantity of this lesson; did you mean %s?", shown, sug);
        }
        return -1;
    }
    size_t pick = nf;
    for (size_t f = 0; f < nf && pick == nf; f++) if (fmask[f] & (1u << ix->notation)) pick = f;
    if (pick == nf && nf == 1) pick = 0;
    if (pick == nf) {
        char list[1024] = "";
        size_t len = 0;
        for (size_t f = 0; f < nf && len < sizeof list - 1; f++) {
            char nm[2 * NAME_MAX_LEN + 128];
            int n0 = 0;
            while (!(fmask[f] & (1u << n0))) n0++;
            quantity c = with_t_e(&ix->rd[found[f]], t, e);
            both_scripts(ix, ix->notation, &c, nm, sizeof nm);
            int w = snprintf(list + len, sizeof list - len, "%s%s (%s in the %s notation)",
                             f == 0 ? "" : f + 1 == nf ? " or " : ", ", nm, shown, lesson_notation_name(n0));
            if (w < 0) break;
            len += (size_t)w < sizeof list - len ? (size_t)w : sizeof list - len - 1;
        }
        say(err, errsize, "'%s' is ambiguous in this lesson: %s; write the name you mean", shown, list);
        return -1;
    }
    quantity c = with_t_e(&ix->rd[found[pick]], t, e);
    char canon[NAME_MAX_LEN + 48];
    trace_name(&c, canon, sizeof canon);
    long id = names_index_get(ix, canon);
    if (id < 0 && t < 0 && !has_iteration(&c))
        /* an input or target is shown without ^(t): the first there is */
        for (size_t k = 0; k < ix->tr->n && id < 0; k++) {
            const quantity *o = &ix->tr->q[k];
            if (o->kind == c.kind && o->i == c.i && o->j == c.j && o->e == c.e) id = (long)k;
        }
    if (id < 0 && err) {
        /* the same quantity at the iterations and examples the trace has:
         * the SHOWN nearest to the ones typed (a_3^(29) in a 25-step run:
         * a_3^(23), a_3^(24), a_3^(25)), listed in trace order */
        enum { SHOWN = 3 };
        near_name best[SHOWN];
        char list[SHOWN * (NAME_MAX_LEN + 50) + 8] = "";
        size_t nn = 0, more = 0, len = 0;
        for (size_t k = 0; k < ix->tr->n; k++) {
            const quantity *o = &ix->tr->q[k];
            if (named_kind(o->kind) != named_kind(c.kind) || o->i != c.i || o->j != c.j) continue;
            long ot = named_t(o), dt = t < 0 ? ot : labs(ot - t), de = e < 0 ? o->e : labs(o->e - e);
            size_t w = 0;                    /* the entry to replace: the worst, when full */
            for (size_t f = 1; f < nn; f++)
                if (nearer(&best[f], best[w].dt, best[w].de)) w = f;
            if (nn == SHOWN && !nearer(&best[w], dt, de)) { more = 1; continue; }
            char nm[NAME_MAX_LEN + 48];
            names_render(ix->l, ix->notation, NAMES_ASCII, o, nm, sizeof nm);
            size_t f;
            for (f = 0; f < nn && strcmp(best[f].name, nm); f++) {}
            if (f < nn) {                    /* the same name (an input at every step): the nearest */
                if (nearer(&best[f], dt, de)) {
                    best[f].dt = dt;
                    best[f].de = de;
                }
                continue;
            }
            if (nn == SHOWN) more = 1;
            else w = nn++;
            memcpy(best[w].name, nm, sizeof nm);
            best[w].dt = dt;
            best[w].de = de;
            best[w].k = k;
        }
        for (size_t a = 1; a < nn; a++)      /* trace order */
            for (size_t b = a; b > 0 && best[b - 1].k > best[b].k; b--) {
                near_name tmp = best[b];
                best[b] = best[b - 1];
                best[b - 1] = tmp;
            }
        for (size_t f = 0; f < nn; f++) {
            int w = snprintf(list + len, sizeof list - len, "%s%s", f ? ", " : "", best[f].name);
            if (w > 0) len += (size_t)w < sizeof list - len ? (size_t)w : sizeof list - len - 1;
        }
        if (more) snprintf(list + len, sizeof list - len, ", ...");
        char why[160];
        if (t > ix->tr->steps && walk_step_not_run(ix->l, ix->tr, t + 1, why, sizeof why))
            /* a traced step after a perceptron stopped */
            snprintf(err, errsize, "'%s' names no quantity of this lesson's trace: %s; did you mean %s?",
                     shown, why, list);
        else
            say(err, errsize, "'%s' names no quantity of this lesson's trace at this iteration ^(t) or "
                "example [e]; did you mean %s?", shown, list);
    }
    return id;
}

long names_find(const lesson *l, const trace *tr, names_index *ix, const char *name)
{
    if (ix) return names_resolve(ix, name, NULL, 0);
    names_index *own = names_index_new(l, tr, NOTATION_VA);
    if (!own) return -1;
    long id = names_resolve(own, name, NULL, 0);
    names_index_free(own);
    return id;
}
