/*
 * tex.c - `nntrace tex`: a lesson's derivation as LaTeX, for printouts and
 * slides.
 *
 * The document reads the trace through the one walker (walk.h), so its
 * sections are the text trace's headings, and writes every formula through
 * the one renderer in its LaTeX syntax (text_formula_in, SYN_LATEX), so no
 * formula is written here. Each quantity is an align* block:
 *
 *     name &= symbolic             (the lecture's formula, names in the notation)
 *          &= substituted          (the operands' values; hand-rounded lessons
 *                                   show the rounded operands, as the slide did)
 *          &= value                (\approx for a value rounded before use)
 *
 * A substituted form longer than a line breaks at its top-level '+' terms.
 * --beamer writes a deck instead: a frame per pass (split every
 * TEX_FRAME_ROWS equation rows), each row of a quantity revealed by its own
 * overlay, and two frames with the network drawn in TikZ (weights on the
 * arcs; a_j, then Delta_j, on the neurons). --fragment writes only the
 * equations. Only amsmath, beamer and tikz are used.
 */
#include "tex.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "text.h"
#include "walk.h"

#define TEX_FRAME_ROWS 8      /* equation rows per Beamer frame */
#define TEX_BREAK     70      /* formulas longer than this (characters) break at '+' */
#define TEX_BREAK_DECK 38     /* the same on a slide */
#define TEX_PIC_DIGITS 4      /* decimals of the values in the network picture */

/* ------------------------------------------------------------------------
 * Text
 * ---------------------------------------------------------------------- */

void tex_escape(strbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '\\': sb_printf(b, "\\textbackslash{}"); break;
        case '{': case '}': case '#': case '$': case '%': case '&': case '_':
            sb_printf(b, "\\%c", *s); break;
        case '~': sb_printf(b, "\\textasciitilde{}"); break;
        case '^': sb_printf(b, "\\textasciicircum{}"); break;
        case '\n': sb_printf(b, "\\\\\n"); break;
        case '/': sb_printf(b, "/\\allowbreak{}"); break;      /* long URLs break */
        default:
            if ((unsigned char)*s < 0x20) break;
            if ((unsigned char)*s < 0x80) sb_printf(b, "%c", *s);
            else sb_printf(b, "?");   /* no inputenc beyond ASCII is assumed */
        }
    }
}

/* Append s, breaking a long sum into rows at its top-level " + " terms:
 * close ends a row, open begins the next. */
static void broken(strbuf *b, const char *s, const char *close, const char *open, size_t width)
{
    size_t n = strlen(s), col = 0;
    int depth = 0;
    for (size_t k = 0; k < n; k++) {
        char c = s[k];
        if (c == '{' || c == '(') depth++;
        if (c == '}' || c == ')') depth--;
        if (depth == 0 && col > width && !strncmp(s + k, " + ", 3)) {
            sb_printf(b, "%s \\\\\n%s+ ", close, open);
            k += 2;
            col = 0;
            continue;
        }
        sb_printf(b, "%c", c);
        col++;
    }
}

/* The value as the LaTeX row shows it: "0.19", "\approx 0.5474",
 * "0.21215 \approx 0.2122". */
static void value_tex(strbuf *b, const trace *tr, const quantity *q, int digits)
{
    char val[160];
    text_value(tr, q, digits, val, sizeof val);
    char *tilde = strchr(val, '~');
    if (!tilde) { sb_printf(b, "= %s", val); return; }
    *tilde = '\0';
    if (val[0]) sb_printf(b, "= %s", val);
    sb_printf(b, "\\approx %s", tilde + 1 + (tilde[1] == ' '));
}

/* Row markers: in a deck, row k of a quantity is uncovered on slide
 * *slide + k (every continuation row of it too); else nothing. */
typedef struct { char open[48], close[4]; } row_mark;

static row_mark mark(const int *slide, int k)
{
    row_mark m = {"", ""};
    if (slide) {
        snprintf(m.open, sizeof m.open, "\\uncover<%d->{{}", *slide + k);
        snprintf(m.close, sizeof m.close, "}");
    }
    return m;
}

/* One quantity: an align* block of three rows (symbolic, substituted,
 * value); slide (decks only, else NULL) is the frame's next overlay and
 * moves past the three this quantity uses. */
static void quantity_tex(strbuf *b, int *slide, const lesson *l, const trace *tr, const quantity *q,
                         int notation, int digits)
{
    char name[256], src[256], cont[96];
    names_render(l, notation, NAMES_LATEX, q, name, sizeof name);
    sb_printf(b, "\\begin{align*}\n%s &", name);
    row_mark m = mark(slide, 0);
    sb_printf(b, "%s", m.open);
    if (names_given_as(l, notation, NAMES_LATEX, q, src, sizeof src) > 0) sb_printf(b, "= %s ", src);
    if (q->spec.op == OP_CONST) {
        value_tex(b, tr, q, digits);
        sb_printf(b, "%s\n\\end{align*}\n", m.close);
        if (slide) *slide += 1;
        return;
    }
    strbuf f = {0};
    text_formula_in(&f, tr, q, NULL, digits, l, notation, SYN_LATEX, 0);
    sb_printf(b, "= ");
    snprintf(cont, sizeof cont, "&%s\\quad ", m.open);
    size_t width = slide ? TEX_BREAK_DECK : TEX_BREAK;
    broken(b, f.s ? f.s : "", m.close, cont, width);
    double stack[64], *vals = q->nops <= 64 ? stack : malloc(q->nops * sizeof *vals);
    if (!vals) { b->failed = 1; sb_free(&f); return; }
    text_operand_values(tr, q, vals);
    f.len = 0;
    if (f.s) f.s[0] = '\0';
    text_formula_in(&f, tr, q, vals, tr->round >= 0 ? tr->round : digits, l, notation, SYN_LATEX, 0);
    if (vals != stack) free(vals);
    strbuf v = {0};
    value_tex(&v, tr, q, digits);
    if (v.failed || !f.s || !v.s || strcmp(f.s, v.s + (v.s[0] == '=' ? 2 : 0))) {
        m = mark(slide, 1);
        sb_printf(b, "%s \\\\\n&%s= ", mark(slide, 0).close, m.open);
        snprintf(cont, sizeof cont, "&%s\\quad ", m.open);
        broken(b, f.s ? f.s : "", m.close, cont, width);
        sb_printf(b, "%s \\\\\n&%s", m.close, mark(slide, 2).open);
    } else {               /* a substituted form that is the value (din_j/dw_ij = a_i) is said once */
        sb_printf(b, "%s \\\\\n&%s", mark(slide, 0).close, mark(slide, 2).open);
    }
    if (v.failed) b->failed = 1;
    else sb_printf(b, "%s", v.s ? v.s : "");      /* the value, rendered once above */
    sb_free(&v);
    sb_printf(b, "%s\n\\end{align*}\n", mark(slide, 2).close);
    if (slide) *slide += 3;
    if (f.failed) b->failed = 1;
    sb_free(&f);
}

/* Given values, TEX_GIVEN_COLS to a row of one align* block: "w_{0,3} &= 5
 * & w_{1,3} &= 1 ...". *col counts the values of the open block (-1: none). */
#define TEX_GIVEN_COLS 3

static void given_tex(strbuf *b, int *col, const lesson *l, const trace *tr, const quantity *q, int notation,
                      int digits)
{
    char name[256], src[256];
    names_render(l, notation, NAMES_LATEX, q, name, sizeof name);
    if (*col < 0) { sb_printf(b, "\\begin{align*}\n"); *col = 0; }
    else sb_printf(b, *col % TEX_GIVEN_COLS ? " & " : " \\\\\n");
    sb_printf(b, "%s &", name);
    if (names_given_as(l, notation, NAMES_LATEX, q, src, sizeof src) > 0) sb_printf(b, "= %s ", src);
    value_tex(b, tr, q, digits);
    (*col)++;
}

static void given_close(strbuf *b, int *col)
{
    if (*col >= 0) sb_printf(b, "\n\\end{align*}\n");
    *col = -1;
}

/* ------------------------------------------------------------------------
 * The network in TikZ
 * ---------------------------------------------------------------------- */

/* The value of kind at neuron j in the first iteration and example, or NaN. */
static double first_value(const trace *tr, q_kind kind, int j)
{
    for (size_t id = 0; id < tr->n; id++) {
        const quantity *q = &tr->q[id];
        if (q->kind == kind && q->j == j && q->t == 0 && q->e <= 1) return q->value;
    }
    return NAN;
}

static void network_tikz(strbuf *b, const lesson *l, const trace *tr, int notation, int digits, int backward)
{
    int max_count = l->n_in;
    for (int k = 0; k < l->n_layers; k++) if (l->layers[k].count > max_count) max_count = l->layers[k].count;
    double dy = max_count > 4 ? 5.6 / max_count : 1.5;
    if (digits > TEX_PIC_DIGITS) digits = TEX_PIC_DIGITS;
    double dx = l->n_layers > 3 ? 9.6 / l->n_layers : 3.2;      /* a slide is about 11 cm wide */
    sb_printf(b, "\\begin{center}\n\\begin{tikzpicture}[x=%.3fcm, y=%.3fcm, >=stealth,\n"
                 "  n/.style={circle, draw, minimum size=9mm, inner sep=1pt, font=\\tiny}]\n", dx, dy);
    /* neurons: column 0 the inputs (and the bias), column c the c-th layer */
    char val[64];
    for (int k = 0; k < l->n_in; k++) {
        int j = l->inputs[k];
        double v = first_value(tr, Q_INPUT, j);
        text_num(v, digits, val, sizeof val);
        sb_printf(b, "  \\node[n] (n%d) at (0, %.3f) {$%s$};\n", j, -(double)k - 0.5 * (max_count - l->n_in), val);
    }
    sb_printf(b, "  \\node[n, dashed] (n0) at (0, 1) {$1$};\n");
    for (int c = 0; c < l->n_layers; c++) {
        const lesson_layer *L = &l->layers[c];
        for (int m = 0; m < L->count; m++) {
            int j = l->neurons[L->first + m];
            double v = first_value(tr, backward ? Q_DELTA : Q_ACT, j);
            if (isnan(v)) snprintf(val, sizeof val, "%d", j);
            else text_num(v, digits, val, sizeof val);
            sb_printf(b, "  \\node[n] (n%d) at (%d, %.3f) {$%s$};\n", j, c + 1,
                      -(double)m - 0.5 * (max_count - L->count), val);
            sb_printf(b, "  \\node[font=\\tiny, above=0pt of n%d] {$%d$};\n", j, j);
        }
    }
    /* arcs with their weights, a quarter of the way along */
    for (int a = 0; a < l->n_arcs; a++) {
        const lesson_arc *A = &l->arcs[a];
        text_num(A->w, digits, val, sizeof val);
        sb_printf(b, "  \\draw[->%s] (n%d) -- node[pos=0.25, sloped, above, font=\\tiny, inner sep=1pt] {$%s$} (n%d);\n",
                  A->i == 0 ? ", dashed, gray" : "", (int)A->i, val, (int)A->j);
    }
    const char *what = backward ? "\\Delta_j" : "a_j";
    sb_printf(b, "\\end{tikzpicture}\n\\end{center}\n{\\small neurons show $%s$ of the first step, arcs $w_{i,j}$.}\n",
              what);
    (void)notation;
}

/* The rows of an align* text: its "\\" line ends. */
static int count_rows(const char *s)
{
    int n = 0;
    for (const char *p = s; p && (p = strstr(p, "\\\\\n")); p += 3) n++;
    return n;
}

/* ------------------------------------------------------------------------
 * The document
 * ---------------------------------------------------------------------- */

static void preamble(strbuf *b, const tex_opts *o, const lesson *l)
{
    if (o->beamer)
        sb_printf(b, "\\documentclass{beamer}\n\\usepackage{amsmath}\n\\usepackage{tikz}\n"
                     "\\usetikzlibrary{positioning}\n\\setbeamertemplate{navigation symbols}{}\n");
    else
        sb_printf(b, "\\documentclass[a4paper,11pt]{article}\n\\usepackage{amsmath}\n"
                     "\\usepackage[margin=2cm]{geometry}\n\\allowdisplaybreaks\n");
    sb_printf(b, "\\title{");
    tex_escape(b, l->title ? l->title : "");
    sb_printf(b, "}\n\\date{}\n\\author{");
    if (o->beamer) tex_escape(b, l->source ? l->source : "");   /* a deck's title page wraps it */
    sb_printf(b, "}\n\\begin{document}\n");
    if (o->beamer) {
        sb_printf(b, "\\begin{frame}\n\\titlepage\n\\end{frame}\n");
    } else {
        sb_printf(b, "\\maketitle\n");
        if (l->source) {                 /* the article's \\author would not wrap */
            sb_printf(b, "\\begin{center}\\small ");
            tex_escape(b, l->source);
            sb_printf(b, "\\end{center}\n");
        }
    }
}

int tex_write(strbuf *b, const lesson *l, const engine_result *r, const tex_opts *o)
{
    int notation = o->notation >= 0 ? o->notation : l->notation;
    int digits = o->digits >= 0 ? o->digits : l->digits;
    if (!o->fragment) preamble(b, o, l);
    if (!o->fragment && l->notes) {
        if (o->beamer) sb_printf(b, "\\begin{frame}[allowframebreaks]{Notes}\n\\footnotesize\n");
        tex_escape(b, l->notes);
        sb_printf(b, o->beamer ? "\n\\end{frame}\n" : "\n\n");
    }
    if (o->beamer && !o->fragment) {
        sb_printf(b, "\\begin{frame}{The network: forward}\n");
        network_tikz(b, l, r->tr, notation, digits, 0);
        sb_printf(b, "\\end{frame}\n");
    }
    walker w;
    walk_item it;
    walk_start(&w, l, r->tr, o->passes);
    int in_frame = 0, in_frame_rows = 0, slide = 1, col = -1;
    char heading[400] = "";
    while (walk_next(&w, &it)) {
        int given = it.q->spec.op == OP_CONST;
        if (it.step_heading || it.pass_heading || it.intro || !given) given_close(b, &col);
        if (it.step_heading || it.pass_heading) {
            strbuf h = {0};
            if (it.step_heading) tex_escape(&h, it.step_heading);
            if (it.step_heading && it.pass_heading) sb_printf(&h, ": ");
            if (it.pass_heading) tex_escape(&h, it.pass_heading);
            snprintf(heading, sizeof heading, "%s", h.s ? h.s : "");
            sb_free(&h);
            if (o->beamer) {
                if (in_frame) sb_printf(b, "\\end{frame}\n");
                in_frame = 0;
            } else if (!o->fragment) {
                if (it.step_heading) {
                    sb_printf(b, "\\section*{");
                    tex_escape(b, it.step_heading);
                    sb_printf(b, "}\n");
                }
                if (it.pass_heading) {
                    sb_printf(b, "\\subsection*{");
                    tex_escape(b, it.pass_heading);
                    sb_printf(b, "}\n");
                }
            }
        }
        /* a deck: render the quantity first, to see whether it still fits the frame */
        strbuf one = {0};
        if (!given) {
            int probe = slide;
            quantity_tex(&one, o->beamer ? &probe : NULL, l, r->tr, it.q, notation, digits);
        }
        int rows = given ? 1 : 1 + count_rows(one.s);
        if (o->beamer && (!in_frame || (in_frame_rows + rows > TEX_FRAME_ROWS && !(given && col >= 0 && col < 12)))) {
            given_close(b, &col);
            if (in_frame) sb_printf(b, "\\end{frame}\n");
            sb_printf(b, "\\begin{frame}{%s}\\small\n", heading[0] ? heading : "given");
            in_frame = 1;
            in_frame_rows = 0;
            if (slide != 1 && !given) {        /* the overlays of the new frame start at 1 */
                slide = 1;
                one.len = 0;
                if (one.s) one.s[0] = '\0';
                int probe = slide;
                quantity_tex(&one, &probe, l, r->tr, it.q, notation, digits);
            }
            slide = 1;
        }
        in_frame_rows += rows;
        if (it.intro && !o->fragment) {
            tex_escape(b, it.intro);
            sb_printf(b, "\n");
        }
        if (given) {
            given_tex(b, &col, l, r->tr, it.q, notation, digits);
        } else {
            sb_printf(b, "%s", one.s ? one.s : "");
            if (o->beamer) slide += 3;
        }
        if (one.failed) b->failed = 1;
        sb_free(&one);
        for (int k = 0; it.notes[k] && !o->fragment; k++) {
            given_close(b, &col);
            sb_printf(b, "{\\small ");
            tex_escape(b, it.notes[k]);
            sb_printf(b, "}\n\n");
        }
    }
    given_close(b, &col);
    if (in_frame) sb_printf(b, "\\end{frame}\n");
    if (o->beamer && !o->fragment) {
        int has_delta = 0;
        for (size_t id = 0; id < r->tr->n && !has_delta; id++) has_delta = r->tr->q[id].kind == Q_DELTA;
        if (has_delta) {
            sb_printf(b, "\\begin{frame}{The network: backward}\n");
            network_tikz(b, l, r->tr, notation, digits, 1);
            sb_printf(b, "\\end{frame}\n");
        }
    }
    if (!o->fragment) sb_printf(b, "\\end{document}\n");
    return b->failed ? -1 : 0;
}
