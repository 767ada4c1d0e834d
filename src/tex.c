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
 * arcs; a_j, then Delta_j, in the neurons, each under its name in the
 * lesson's notation). --fragment writes only the
 * equations. Only amsmath, beamer and tikz are used.
 */
#include "tex.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "formula.h"
#include "names.h"
#include "text.h"
#include "walk.h"

#define TEX_FRAME_ROWS 8      /* equation rows per Beamer frame */
#define TEX_BREAK     72.0    /* a row of a formula is at most this wide (characters shown, token_shown) */
#define TEX_BREAK_DECK 48.0   /* the same on a slide */
#define TEX_PIC_DIGITS 4      /* decimals of the values in the network picture */
#define TEX_NOTES_FRAME 1200  /* characters of notes a deck frame holds at \footnotesize */
#define TEX_KEEP_ROWS 20      /* a quantity of at most this many rows is never split by a page break */

/* ------------------------------------------------------------------------
 * Text
 * ---------------------------------------------------------------------- */

/* Characters beyond ASCII that lecture text carries (pasted titles and
 * notes: Greek letters, arrows, dashes, curly quotes, sub- and
 * superscript digits), as LaTeX that needs no package beyond the
 * preamble's. Latin letters with accents (U+00C0..U+017F but for the
 * multiplication and division signs) go through as UTF-8, which pdflatex
 * reads by default (LaTeX 2018 on) and T1 has glyphs for; any other
 * character is one '?'. */
static const struct { unsigned cp; const char *tex; } TEX_UNICODE[] = {
    {0x00A0, "~"}, {0x00A7, "\\S{}"}, {0x00B0, "$^{\\circ}$"}, {0x00B1, "$\\pm$"}, {0x00B2, "$^{2}$"},
    {0x00B3, "$^{3}$"}, {0x00B5, "$\\mu$"}, {0x00B7, "$\\cdot$"}, {0x00B9, "$^{1}$"},
    {0x00D7, "$\\times$"}, {0x00F7, "$\\div$"},
    {0x0391, "A"}, {0x0392, "B"}, {0x0393, "$\\Gamma$"}, {0x0394, "$\\Delta$"}, {0x0395, "E"},
    {0x0396, "Z"}, {0x0397, "H"}, {0x0398, "$\\Theta$"}, {0x0399, "I"}, {0x039A, "K"},
    {0x039B, "$\\Lambda$"}, {0x039C, "M"}, {0x039D, "N"}, {0x039E, "$\\Xi$"}, {0x039F, "O"},
    {0x03A0, "$\\Pi$"}, {0x03A1, "P"}, {0x03A3, "$\\Sigma$"}, {0x03A4, "T"}, {0x03A5, "$\\Upsilon$"},
    {0x03A6, "$\\Phi$"}, {0x03A7, "X"}, {0x03A8, "$\\Psi$"}, {0x03A9, "$\\Omega$"},
    {0x03B1, "$\\alpha$"}, {0x03B2, "$\\beta$"}, {0x03B3, "$\\gamma$"}, {0x03B4, "$\\delta$"},
    {0x03B5, "$\\epsilon$"}, {0x03B6, "$\\zeta$"}, {0x03B7, "$\\eta$"}, {0x03B8, "$\\theta$"},
    {0x03B9, "$\\iota$"}, {0x03BA, "$\\kappa$"}, {0x03BB, "$\\lambda$"}, {0x03BC, "$\\mu$"},
    {0x03BD, "$\\nu$"}, {0x03BE, "$\\xi$"}, {0x03BF, "o"}, {0x03C0, "$\\pi$"}, {0x03C1, "$\\rho$"},
    {0x03C2, "$\\varsigma$"}, {0x03C3, "$\\sigma$"}, {0x03C4, "$\\tau$"}, {0x03C5, "$\\upsilon$"},
    {0x03C6, "$\\phi$"}, {0x03C7, "$\\chi$"}, {0x03C8, "$\\psi$"}, {0x03C9, "$\\omega$"},
    {0x2009, "\\,"}, {0x2013, "--"}, {0x2014, "---"}, {0x2018, "`"}, {0x2019, "'"}, {0x201C, "``"},
    {0x201D, "''"}, {0x2022, "$\\bullet$"}, {0x2026, "\\ldots{}"}, {0x202F, "\\,"}, {0x2032, "$'$"},
    {0x2070, "$^{0}$"}, {0x2074, "$^{4}$"}, {0x2075, "$^{5}$"}, {0x2076, "$^{6}$"}, {0x2077, "$^{7}$"},
    {0x2078, "$^{8}$"}, {0x2079, "$^{9}$"}, {0x207A, "$^{+}$"}, {0x207B, "$^{-}$"}, {0x207D, "$^{(}$"},
    {0x207E, "$^{)}$"}, {0x2080, "$_{0}$"}, {0x2081, "$_{1}$"}, {0x2082, "$_{2}$"}, {0x2083, "$_{3}$"},
    {0x2084, "$_{4}$"}, {0x2085, "$_{5}$"}, {0x2086, "$_{6}$"}, {0x2087, "$_{7}$"}, {0x2088, "$_{8}$"},
    {0x2089, "$_{9}$"}, {0x2190, "$\\leftarrow$"}, {0x2192, "$\\rightarrow$"}, {0x21D2, "$\\Rightarrow$"},
    {0x2202, "$\\partial$"}, {0x2207, "$\\nabla$"}, {0x2208, "$\\in$"}, {0x2211, "$\\sum$"},
    {0x2212, "$-$"}, {0x221A, "$\\surd$"}, {0x221E, "$\\infty$"}, {0x2248, "$\\approx$"},
    {0x2260, "$\\neq$"}, {0x2264, "$\\le$"}, {0x2265, "$\\ge$"}, {0x22C5, "$\\cdot$"},
    {0x27F6, "$\\longrightarrow$"},
};

/* The character at s[0..avail) beyond ASCII as LaTeX (TEX_UNICODE, an
 * accented Latin letter as itself, else '?'); returns the bytes it took. */
static size_t escape_unicode(strbuf *b, const char *s, size_t avail)
{
    int len;
    long cp = esc_utf8_cp((const unsigned char *)s, &len);
    if (cp < 0 || (size_t)len > avail) { sb_printf(b, "?"); return 1; }
    for (size_t t = 0; t < sizeof TEX_UNICODE / sizeof *TEX_UNICODE; t++)
        if ((long)TEX_UNICODE[t].cp == cp) { sb_printf(b, "%s", TEX_UNICODE[t].tex); return (size_t)len; }
    if (cp >= 0x00C0 && cp <= 0x017F) sb_printf(b, "%.*s", len, s);
    else sb_printf(b, "?");
    return (size_t)len;
}

/* s[0..n) as LaTeX prose (T1 encoding, so '|', '<', '>' and braces are
 * the text glyphs): the specials escaped; a straight quote opens (``, `)
 * at the start or after a space or bracket and closes ('', ') elsewhere; a
 * line break joins the lines with a space, an empty line starts a
 * paragraph; beyond ASCII, escape_unicode. */
static void escape_n(strbuf *b, const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        char c = s[k];
        int opens = k == 0 || strchr(" \n([{", s[k - 1]);
        switch (c) {
        case '\\': sb_printf(b, "\\textbackslash{}"); break;
        case '{': case '}': case '#': case '$': case '%': case '&': case '_':
            sb_printf(b, "\\%c", c); break;
        case '~': sb_printf(b, "\\textasciitilde{}"); break;
        case '^': sb_printf(b, "\\textasciicircum{}"); break;
        case '|': sb_printf(b, "\\textbar{}"); break;
        case '"': sb_printf(b, opens ? "``" : "''"); break;
        case '\'': sb_printf(b, opens ? "`" : "'"); break;
        case '\n':
            if (k + 1 < n && s[k + 1] == '\n') {
                while (k + 1 < n && s[k + 1] == '\n') k++;
                sb_printf(b, "\n\n");
            } else {
                sb_printf(b, " ");
            }
            break;
        case '/': sb_printf(b, "/\\allowbreak{}"); break;      /* long URLs break */
        default:
            if ((unsigned char)c < 0x20) break;
            if ((unsigned char)c < 0x80) sb_printf(b, "%c", c);
            else k += escape_unicode(b, s + k, n - k) - 1;
        }
    }
}

void tex_escape(strbuf *b, const char *s)
{
    escape_n(b, s, strlen(s));
}

/* The LaTeX token at s: its length in *len, and the change in group depth
 * it makes (+1 opens, -1 closes, 0 neither). Groups are braces,
 * parentheses, \left...\right and \begin{env}...\end{env} (a cases or
 * array split, whose rows have their own \\ and &); a control symbol
 * (\{, \\, \,) is one token of no depth, and an environment's name and the
 * delimiter after \left or \right belong to their command's token. */
static int group_token(const char *s, size_t *len)
{
    if (s[0] != '\\') {
        *len = 1;
        return s[0] == '{' || s[0] == '(' ? 1 : s[0] == '}' || s[0] == ')' ? -1 : 0;
    }
    size_t n = 1;
    while (isalpha((unsigned char)s[n])) n++;
    if (n == 1) {                        /* a control symbol, or a lone '\' at the end */
        *len = s[1] ? 2 : 1;
        return 0;
    }
    int env = (n == 6 && !strncmp(s, "\\begin", 6)) - (n == 4 && !strncmp(s, "\\end", 4));
    int delim = (n == 5 && !strncmp(s, "\\left", 5)) - (n == 6 && !strncmp(s, "\\right", 6));
    if (env && s[n] == '{') {            /* \begin{cases}: the name too */
        const char *close = strchr(s + n, '}');
        if (close) n = (size_t)(close - s) + 1;
    } else if (delim && s[n] == '\\') {  /* \left\{, \right\rVert */
        size_t d = n + 1;
        while (isalpha((unsigned char)s[d])) d++;
        n = d > n + 1 ? d : s[n + 1] ? n + 2 : n + 1;
    } else if (delim && s[n]) {          /* \left(, \right. */
        n++;
    }
    *len = n;
    return env + delim;
}

/* About how many characters wide LaTeX sets the token p[0..len): a
 * symbol command (\cdot, \sigma) one, an operator name (\ln, \max) its
 * letters, a delimiter (\left(, \{) one, a space half (the spacing TeX
 * puts around an operator), and nothing for braces, script marks and the
 * commands that only set style (\mathrm, \frac, \displaystyle). Scripts
 * count as full size, so a row is never wider than measured. */
static double token_shown(const char *p, size_t len)
{
    static const char *const style[] = {"mathrm", "frac", "displaystyle", "quad"};
    static const char *const opname[] = {"ln", "exp", "max", "min", "log", "tanh", "sqrt"};
    if (p[0] == ' ') return 0.5;
    if (p[0] != '\\') return strchr("{}_^&", p[0]) ? 0 : 1;
    size_t n = 1;
    while (n < len && isalpha((unsigned char)p[n])) n++;
    for (size_t k = 0; k < sizeof style / sizeof *style; k++)
        if (n - 1 == strlen(style[k]) && !strncmp(p + 1, style[k], n - 1)) return 0;
    for (size_t k = 0; k < sizeof opname / sizeof *opname; k++)
        if (n - 1 == strlen(opname[k]) && !strncmp(p + 1, opname[k], n - 1)) return strcmp(opname[k], "sqrt") ? (double)(n - 1) : 1;
    return 1;
}

/* At p, \frac{NUM}{DEN}? Then *num, *den point at their first characters,
 * *numlen, *denlen are their lengths and the fraction's length is
 * returned; else 0. */
static size_t frac_at(const char *p, const char **num, size_t *numlen, const char **den, size_t *denlen)
{
    const char *part[2], *q = p + 5;
    size_t plen[2], len;
    if (strncmp(p, "\\frac{", 6)) return 0;
    for (int k = 0; k < 2; k++) {
        if (*q != '{') return 0;
        int depth = 0;
        const char *open = q;
        do {
            if (!*q) return 0;
            depth += group_token(q, &len);
            q += len;
        } while (depth > 0);
        if (q[-1] != '}') return 0;
        part[k] = open + 1;
        plen[k] = (size_t)(q - open) - 2;
    }
    *num = part[0], *numlen = plen[0], *den = part[1], *denlen = plen[1];
    return (size_t)(q - p);
}

static double shown_n(const char *s, size_t n);

/* The unit at p, its length in *len and what it does to the group depth in
 * *depth, and about how wide LaTeX sets it: a fraction is one unit as wide
 * as the wider of its numerator and denominator, anything else one token
 * (group_token, token_shown). */
static double unit_at(const char *p, size_t *len, int *depth)
{
    const char *num, *den;
    size_t numlen, denlen;
    if ((*len = frac_at(p, &num, &numlen, &den, &denlen))) {
        double wn = shown_n(num, numlen), wd = shown_n(den, denlen);
        *depth = 0;
        return wn > wd ? wn : wd;
    }
    *depth = group_token(p, len);
    return token_shown(p, *len);
}

/* The width of s[0..n), as set (unit_at). */
static double shown_n(const char *s, size_t n)
{
    double w = 0;
    size_t len;
    int d;
    for (const char *p = s; p < s + n; p += len) w += unit_at(p, &len, &d);
    return w;
}

/* The width of s up to its next top-level " + " or its end. */
static double term_shown(const char *s)
{
    double w = 0;
    int depth = 0, d;
    size_t len;
    for (const char *p = s; *p && !(depth == 0 && !strncmp(p, " + ", 3)); p += len) {
        w += unit_at(p, &len, &d);
        depth += d;
    }
    return w;
}

/* Append s from column col of its row, breaking a long sum into rows at
 * its top-level " + " terms (before a term that would take the row past
 * width): close ends a row, open begins the next. This is the one place a
 * LaTeX formula is broken: only at depth 0 of group_token's groups, so
 * never inside a parenthesis or a cases split (a single term wider than a
 * row stays whole). A formula that is one fraction with a numerator too
 * wide for the row (a batch mean over examples at many digits) is written
 * as the same number, 1/DEN times the numerator in big parentheses, and
 * the numerator's sum is broken. */
static void broken_from(strbuf *b, const char *s, const char *close, const char *open, double width, double col)
{
    const char *num, *den;
    size_t numlen, denlen, len;
    int d;
    if (frac_at(s, &num, &numlen, &den, &denlen) == strlen(s) && col + shown_n(num, numlen) > width) {
        static const char DISPLAY[] = "\\displaystyle ";    /* full size already, on a row of its own */
        if (numlen >= sizeof DISPLAY - 1 && !strncmp(num, DISPLAY, sizeof DISPLAY - 1)) {
            num += sizeof DISPLAY - 1;
            numlen -= sizeof DISPLAY - 1;
        }
        char *inner = malloc(numlen + 1);
        if (!inner) { b->failed = 1; return; }
        memcpy(inner, num, numlen);
        inner[numlen] = '\0';
        sb_printf(b, "\\frac{1}{%.*s}\\Bigl(", (int)denlen, den);
        broken_from(b, inner, close, open, width, col + 1 + shown_n(den, denlen));
        sb_printf(b, "\\Bigr)");
        free(inner);
        return;
    }
    int depth = 0;
    for (const char *p = s; *p; p += len) {
        if (depth == 0 && col > 0 && !strncmp(p, " + ", 3) && col + 2 + term_shown(p + 3) > width) {
            sb_printf(b, "%s \\\\\n%s+ ", close, open);
            len = 3;
            col = 2;                              /* the row opens "\quad + " */
            continue;
        }
        col += unit_at(p, &len, &d);
        depth += d;
        sb_printf(b, "%.*s", (int)len, p);
    }
}

static void broken(strbuf *b, const char *s, const char *close, const char *open, double width)
{
    broken_from(b, s, close, open, width, 0);
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
    if (text_is_constant(tr, q, digits, l, notation)) {
        value_tex(b, tr, q, digits);
        sb_printf(b, "%s\n\\end{align*}\n", m.close);
        if (slide) *slide += 1;
        return;
    }
    strbuf f = {0};
    text_formula_in(&f, tr, q, NULL, digits, l, notation, SYN_LATEX, 0);
    sb_printf(b, "= ");
    snprintf(cont, sizeof cont, "&%s\\quad ", m.open);
    double width = slide ? TEX_BREAK_DECK : TEX_BREAK;
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
    if (v.failed || !f.s || !v.s || !text_says_value(f.s, f.len, v.s + (v.s[0] == '=' ? 2 : 0))) {
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

/* Given values, up to TEX_GIVEN_COLS to a row of one align* block, as many
 * as fit the line: "w_{0,3} &= 5 & w_{1,3} &= 1 ...". n counts the values
 * of the open block (-1: none), cols and chars those of its last row. */
#define TEX_GIVEN_COLS 3
#define TEX_GIVEN_CHARS 84        /* characters a row holds: an article's line */
#define TEX_GIVEN_CHARS_DECK 56   /* the same on a slide, at \small */

typedef struct { int n, cols; size_t chars; } given_block;

/* The characters LaTeX shows for s: no commands, braces or script marks. */
static size_t shown_chars(const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '\\') { while (p[1] && ((p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z'))) p++; continue; }
        if (!strchr("{}_^ &", *p)) n++;
    }
    return n;
}

static void given_tex(strbuf *b, given_block *g, int deck, const lesson *l, const trace *tr, const quantity *q,
                      int notation, int digits)
{
    char name[256], src[256];
    strbuf one = {0};
    names_render(l, notation, NAMES_LATEX, q, name, sizeof name);
    sb_printf(&one, "%s &", name);
    if (names_given_as(l, notation, NAMES_LATEX, q, src, sizeof src) > 0) sb_printf(&one, "= %s ", src);
    value_tex(&one, tr, q, digits);
    size_t chars = shown_chars(one.s ? one.s : "") + 4, fit = deck ? TEX_GIVEN_CHARS_DECK : TEX_GIVEN_CHARS;
    if (g->n < 0) {
        sb_printf(b, "\\begin{align*}\n");
        g->n = 0;
    } else if (g->cols < TEX_GIVEN_COLS && g->chars + chars <= fit) {
        sb_printf(b, " & ");
    } else {
        sb_printf(b, " \\\\\n");
        g->cols = 0;
        g->chars = 0;
    }
    if (one.failed) b->failed = 1;
    sb_printf(b, "%s", one.s ? one.s : "");
    sb_free(&one);
    g->n++;
    g->cols++;
    g->chars += chars;
}

static void given_close(strbuf *b, given_block *g)
{
    if (g->n >= 0) sb_printf(b, "\n\\end{align*}\n");
    *g = (given_block){.n = -1};
}

/* ------------------------------------------------------------------------
 * The network in TikZ
 * ---------------------------------------------------------------------- */

/* The quantity of kind at neuron j in the first iteration and example
 * (what the picture shows), or NULL. */
static const quantity *first_q(const trace *tr, q_kind kind, int j)
{
    for (size_t id = 0; id < tr->n; id++) {
        const quantity *q = &tr->q[id];
        if (q->kind == kind && q->j == j && q->t == 0 && q->e <= 1) return q;
    }
    return NULL;
}

/* The given weight of arc (i, j), or NULL (a tie's later arcs share its
 * first arc's). */
static const quantity *first_weight(const trace *tr, int i, int j)
{
    for (size_t id = 0; id < tr->n; id++) {
        const quantity *q = &tr->q[id];
        if (q->kind == Q_WEIGHT && q->i == i && q->j == j && q->t == 0) return q;
    }
    return NULL;
}

/* q's name in the lesson's notation as LaTeX math (names.h), without the
 * example mark [1] (the caption names the example). */
static void pic_name(const lesson *l, int notation, const quantity *q, char *buf, size_t size)
{
    quantity c = *q;
    c.e = 0;
    names_render(l, notation, NAMES_LATEX, &c, buf, size);
}

/* Where neuron j sits in the picture, in units of the x and y steps:
 * column 0 the inputs (and the bias above them), column c the c-th layer,
 * each column centred on the tallest. */
static void node_xy(const lesson *l, int max_count, int j, double *x, double *y)
{
    *x = 0;
    *y = 1;
    for (int k = 0; k < l->n_in; k++)
        if (l->inputs[k] == j) *y = -(double)k - 0.5 * (max_count - l->n_in);
    int c = j > 0 ? l->layer_of[j] : 0;
    if (c < 1) return;
    const lesson_layer *L = &l->layers[c - 1];
    for (int m = 0; m < L->count; m++)
        if (l->neurons[L->first + m] == j) *y = -(double)m - 0.5 * (max_count - L->count);
    *x = c;
}

/* A weight's label in the picture, a rectangle turned along its arc:
 * centre (cm), the unit vector along the arc, half extents along it and
 * across it (cm). A neuron is an upright square. */
typedef struct { double x, y, ux, uy, hw, hh; } tikz_box;

#define TIKZ_NEURON_CM 0.525                                /* a circle's radius: its name over a value as wide
                                                               as -0.0119 (0.93 cm in \tiny) fit inside */
#define TIKZ_GROW_MAX 1.6                                   /* a small network drawn at most this much larger */
#define TIKZ_LINE_CM 0.14                                   /* half a \tiny line, with inner sep */
#define TIKZ_INNER_CM 0.035                                 /* a label's inner sep=1pt */
#define TIKZ_GAP_CM 0.1                                     /* white space kept between labels */
#define TIKZ_HIT_NEAR 3                                     /* a label within TIKZ_GAP_CM of another costs this
                                                               many arcs behind it, */
#define TIKZ_HIT_LABEL 12                                   /* one on another label more, */
#define TIKZ_HIT_CIRCLE 20                                  /* one on a circle most */
#define TIKZ_ROUNDS 8                                       /* rounds of moving labels to better places, */
#define TIKZ_WORK 20000000L                                 /* while fewer boxes than this were compared; */
#define TIKZ_WORK_MAX 60000000L                             /* past this, a label goes where it is preferred */
/* places along an arc (0 and 1 its two circles' borders), the first preferred */
static const double tikz_pos[] = {0.22, 0.36, 0.5, 0.64, 0.78, 0.3, 0.43, 0.57, 0.7, 0.15, 0.85, 0.26, 0.74};

/* The width (cm) of a number in \tiny math (Latin Modern at 6 pt, as
 * beamer sets \tiny): a digit 3.67 pt, the point 2.28, the minus 5.78, a
 * parenthesis 2.89, anything else as a digit. */
static double tiny_width_cm(const char *s)
{
    double pt = 0;
    for (; *s; s++) pt += *s == '.' ? 2.28 : *s == '-' ? 5.78 : *s == '(' || *s == ')' ? 2.89 : 3.67;
    return pt * 2.54 / 72.27;
}

/* The half length of r's shadow on the unit axis (ax, ay). */
static double shadow(const tikz_box *r, double ax, double ay)
{
    return r->hw * fabs(r->ux * ax + r->uy * ay) + r->hh * fabs(-r->uy * ax + r->ux * ay);
}

/* Do p and q, with gap cm between them, overlap? No axis of either
 * separates them (the separating axis theorem). */
static int boxes_meet(const tikz_box *p, const tikz_box *q, double gap)
{
    double ddx = q->x - p->x, ddy = q->y - p->y, reach = p->hw + p->hh + q->hw + q->hh + gap;
    if (ddx * ddx + ddy * ddy >= reach * reach) return 0;            /* too far apart to meet */
    const double ax[4][2] = {{p->ux, p->uy}, {-p->uy, p->ux}, {q->ux, q->uy}, {-q->uy, q->ux}};
    for (int k = 0; k < 4; k++) {
        double d = fabs((q->x - p->x) * ax[k][0] + (q->y - p->y) * ax[k][1]);
        if (d >= shadow(p, ax[k][0], ax[k][1]) + shadow(q, ax[k][0], ax[k][1]) + gap) return 0;
    }
    return 1;
}

/* The arc from centre (x0, y0) to centre (x1, y1) (cm) as a box of no
 * width, from border to border of the two circles. */
static tikz_box arc_box(double x0, double y0, double x1, double y1)
{
    double len = hypot(x1 - x0, y1 - y0), ux = (x1 - x0) / len, uy = (y1 - y0) / len;
    return (tikz_box){0.5 * (x0 + x1), 0.5 * (y0 + y1), ux, uy, fmax(0.5 * len - TIKZ_NEURON_CM, 0), 0};
}

/* The labels of the picture's arcs: arcs[a] (arc_box) carries label[a]
 * (its half extents set), at pos[a] along it once placed (-1 before). */
typedef struct {
    const tikz_box *arcs, *circles;
    int na, nc;
    tikz_box *label;
    double *pos;
    long work;          /* boxes compared so far */
} tikz_layout;

/* Label a at pos along its arc. */
static tikz_box label_at(const tikz_layout *L, int a, double pos)
{
    const tikz_box *A = &L->arcs[a];
    tikz_box me = L->label[a];
    me.x = A->x + (2 * pos - 1) * A->hw * A->ux;
    me.y = A->y + (2 * pos - 1) * A->hw * A->uy;
    return me;
}

/* What label a costs at me: the circles and the labels placed that it
 * meets or comes within TIKZ_GAP_CM of, and the other arcs it meets (an
 * arc behind a label makes it read as that arc's). */
static int label_cost(tikz_layout *L, int a, const tikz_box *me)
{
    int hits = 0;
    L->work += 2L * L->na + L->nc;
    for (int k = 0; k < L->na; k++) {
        if (k == a) continue;
        if (L->pos[k] >= 0 && boxes_meet(me, &L->label[k], TIKZ_GAP_CM))
            hits += boxes_meet(me, &L->label[k], 0) ? TIKZ_HIT_LABEL : TIKZ_HIT_NEAR;
        hits += boxes_meet(me, &L->arcs[k], 0);
    }
    for (int k = 0; k < L->nc; k++)
        if (boxes_meet(me, &L->circles[k], TIKZ_GAP_CM))
            hits += boxes_meet(me, &L->circles[k], 0) ? TIKZ_HIT_CIRCLE : TIKZ_HIT_NEAR;
    return hits;
}

/* Put label a where it costs least (where it is, or the first of tikz_pos,
 * on a tie), or when it has no place yet and TIKZ_WORK_MAX comparisons
 * were made, at the first of tikz_pos. Returns 1 when it moved. */
static int label_place(tikz_layout *L, int a)
{
    double best = L->pos[a];
    int best_hits = -1;
    if (best < 0 && L->work >= TIKZ_WORK_MAX) {             /* a picture too big to read */
        L->pos[a] = tikz_pos[0];
        L->label[a] = label_at(L, a, tikz_pos[0]);
        return 1;
    }
    if (best >= 0) {
        tikz_box me = label_at(L, a, best);
        best_hits = label_cost(L, a, &me);
    }
    for (size_t c = 0; c < sizeof tikz_pos / sizeof tikz_pos[0]; c++) {
        tikz_box me = label_at(L, a, tikz_pos[c]);
        int hits = label_cost(L, a, &me);
        if (best_hits < 0 || hits < best_hits) { best = tikz_pos[c]; best_hits = hits; }
    }
    int moved = best != L->pos[a];
    L->pos[a] = best;
    L->label[a] = label_at(L, a, best);
    return moved;
}

/* Move labels a and b together to the two places where they cost least
 * between them, when that is less than where they are (a label cannot
 * leave a place where it meets another that cannot leave either). Returns
 * 1 when they moved. */
static int pair_place(tikz_layout *L, int a, int b)
{
    const int np = (int)(sizeof tikz_pos / sizeof tikz_pos[0]);
    double best_a = L->pos[a], best_b = L->pos[b];
    int best = label_cost(L, a, &L->label[a]) + label_cost(L, b, &L->label[b]);
    for (int ca = 0; ca < np; ca++)
        for (int cb = 0; cb < np; cb++) {
            L->label[a] = label_at(L, a, tikz_pos[ca]);
            L->label[b] = label_at(L, b, tikz_pos[cb]);
            int hits = label_cost(L, a, &L->label[a]) + label_cost(L, b, &L->label[b]);
            if (hits < best) { best = hits; best_a = tikz_pos[ca]; best_b = tikz_pos[cb]; }
        }
    int moved = best_a != L->pos[a] || best_b != L->pos[b];
    L->pos[a] = best_a;
    L->pos[b] = best_b;
    L->label[a] = label_at(L, a, best_a);
    L->label[b] = label_at(L, b, best_b);
    return moved;
}

/* Place every label: each in turn where it costs least among those placed
 * before it; then round after round while one moves (a move lowers the
 * total cost, so this ends), each moved where it costs least among all the
 * others, and each two that meet moved together. A network too big to read
 * stops improving after TIKZ_ROUNDS rounds or TIKZ_WORK comparisons, and
 * its later labels are not weighed (label_place). */
static void labels_layout(tikz_layout *L)
{
    for (int a = 0; a < L->na; a++) label_place(L, a);
    for (int round = 0, moved = 1; moved && round < TIKZ_ROUNDS && L->work < TIKZ_WORK; round++) {
        moved = 0;
        for (int a = 0; a < L->na && L->work < TIKZ_WORK; a++) moved |= label_place(L, a);
        for (int a = 0; a < L->na && L->work < TIKZ_WORK; a++)
            for (int b = a + 1; b < L->na && L->work < TIKZ_WORK; b++)
                if (boxes_meet(&L->label[a], &L->label[b], TIKZ_GAP_CM)) moved |= pair_place(L, a, b);
    }
}

/* A circle of the picture: node id at (x, y), and over it its name
 * (LaTeX math; "" for none) on a baseline 1 mm above the centre and its
 * value on one 1.7 mm below, each a node of its own, so that a wide value
 * never grows the circle the arcs and labels are placed around. In \tiny
 * the tallest name (dz^{[1]}_{1}: 2.5 mm high, 0.9 mm deep) ends above
 * the value (1.4 mm high, 0.3 mm deep), and the widest value (-0.0119,
 * 9.3 mm) is inside the circle where it is 9.7 mm wide. */
static void pic_circle(strbuf *b, const char *style, const char *id, int x, double y, const char *name,
                       const char *val)
{
    sb_printf(b, "  \\node[%s] (%s) at (%d, %.3f) {};\n", style, id, x, y);
    if (name[0]) {
        sb_printf(b, "  \\node[v] at ([yshift=1mm]%s.center) {$%s$};\n", id, name);
        sb_printf(b, "  \\node[v] at ([yshift=-1.7mm]%s.center) {$%s$};\n", id, val);
    } else {
        sb_printf(b, "  \\node[v, anchor=center] at (%s) {$%s$};\n", id, val);
    }
}

/* Where arc a starts: its neuron i, or for the bias (i = 0) the bias's copy
 * in the column before its layer, above that column (the bias is drawn
 * once per layer it feeds, so a bias arc spans one column like the others
 * and never runs through a neuron or along another arc). */
static void arc_from_xy(const lesson *l, int max_count, const lesson_arc *A, double *x, double *y)
{
    node_xy(l, max_count, (int)A->i, x, y);
    if (A->i == 0 && l->layer_of[A->j] > 1) *x = l->layer_of[A->j] - 1;
}

/* A number of the picture (text_num_within, TEX_PIC_DIGITS decimals), in
 * math mode: a value that rounds to 0 there is in e-notation, which TeX
 * would set as "4.540e - 05", wider than a circle; it is written
 * 4.5{\cdot}10^{-5} (two significant digits; the dot without the
 * spacing of a binary operator, so it fits its circle). */
static void pic_text(double v, int digits, char *s, size_t size)
{
    text_num_within(v, digits, TEX_PIC_DIGITS, s, size);
    if (!strchr(s, 'e')) return;
    char m[16];
    snprintf(m, sizeof m, "%.1e", v);     /* d.de+XX: mantissa and exponent */
    const char *e = strchr(m, 'e');
    snprintf(s, size, "%.*s{\\cdot}10^{%d}", (int)(e - m), m, atoi(e + 1));
}

/* What circle q shows: its name (pic_name; "" without q) and its value
 * ("?"); *example is set to its example, if it has one. */
static void pic_shown(const lesson *l, int notation, int digits, const quantity *q, char name[256],
                      char val[64], int *example)
{
    name[0] = '\0';
    snprintf(val, 64, "?");
    if (!q) return;
    pic_name(l, notation, q, name, 256);
    pic_text(q->value, digits, val, 64);
    if (q->e > 0) *example = q->e;
}

/* A weight of the picture as the trace writes it as an operand ((-3.5):
 * a minus alone on its arc reads as the arc's line), or bare, within
 * TEX_PIC_DIGITS decimals (pic_text). */
static void pic_number(strbuf *w, double v, int digits, int bare)
{
    char s[64];
    pic_text(v, digits, s, sizeof s);
    fr_numeral(w, s, bare);
}

/* The network picture of the first step: each neuron holds the value
 * of its activation (forward) or Delta (backward), an input its input,
 * each under its name as the lesson's trace names it; each arc its weight
 * as the trace writes an operand (a negative one in parentheses: a minus
 * alone on its arc reads as the arc's line). */
static void network_tikz(strbuf *b, const lesson *l, const trace *tr, int notation, int digits, int backward)
{
    int max_count = l->n_in;
    for (int k = 0; k < l->n_layers; k++) if (l->layers[k].count > max_count) max_count = l->layers[k].count;
    double dy = max_count > 3 ? 5.6 / max_count : 1.5;      /* four rows and a caption of three lines fit */
    double dx = l->n_layers > 3 ? 9.6 / l->n_layers : 3.2;      /* a slide is about 11 cm wide */
    /* a small network is drawn larger, text and all, up to the width and
     * height the largest one takes (9.6 cm of columns, 5.6 cm of rows with
     * its bias, and a circle's diameter more each way) */
    int fed0 = 0;
    for (int a = 0; a < l->n_arcs && !fed0; a++) fed0 = l->arcs[a].i == 0;
    double w_cm = l->n_layers * dx + 2 * TIKZ_NEURON_CM, h_cm = (max_count - 1 + fed0) * dy + 2 * TIKZ_NEURON_CM;
    double grow = floor(100 * fmin(TIKZ_GROW_MAX, fmin((9.6 + 2 * TIKZ_NEURON_CM) / w_cm,
                                                      (5.6 + 2 * TIKZ_NEURON_CM) / h_cm))) / 100;
    int scaled = grow > 1.05;
    sb_printf(b, "\\begin{center}\n");
    if (scaled) sb_printf(b, "\\scalebox{%.2f}{%%\n", grow);
    sb_printf(b, "\\begin{tikzpicture}[x=%.3fcm, y=%.3fcm, >=stealth,\n"
                 "  n/.style={circle, draw, minimum size=%.1fmm, inner sep=0pt},\n"
                 "  v/.style={font=\\tiny, inner sep=0pt, anchor=base}]\n", dx, dy, 20 * TIKZ_NEURON_CM);
    char val[64], name[256], bias[64] = "a_{0}", id[24];
    int nn = 1 + l->n_in + l->n_layers;              /* the inputs, the neurons, a bias for each column */
    for (int c = 0; c < l->n_layers; c++) nn += l->layers[c].count;
    tikz_box *boxes = malloc(((size_t)nn + 2 * (size_t)l->n_arcs) * sizeof *boxes);
    if (!boxes) { b->failed = 1; return; }
    int nb = 0, biases = 0, example = 0, negative = 0;
    const quantity *q = first_q(tr, Q_BIAS, 0);
    if (q) pic_name(l, notation, q, bias, sizeof bias);
    for (int c = 0; c < l->n_layers; c++) {       /* the bias of layer c+1 in column c, if it has arcs */
        int fed = 0;
        for (int a = 0; a < l->n_arcs && !fed; a++) fed = l->arcs[a].i == 0 && l->layer_of[l->arcs[a].j] == c + 1;
        if (!fed) continue;
        snprintf(id, sizeof id, "b%d", c);
        pic_circle(b, "n, dashed", id, c, 1, bias, "1");
        boxes[nb++] = (tikz_box){c * dx, dy, 1, 0, TIKZ_NEURON_CM, TIKZ_NEURON_CM};
        biases++;
    }
    for (int k = 0; k < l->n_in; k++) {           /* the inputs */
        int j = l->inputs[k];
        double x, y;
        node_xy(l, max_count, j, &x, &y);
        q = first_q(tr, Q_XNORM, j);              /* a normalised input is what it feeds */
        pic_shown(l, notation, digits, q ? q : first_q(tr, Q_INPUT, j), name, val, &example);
        snprintf(id, sizeof id, "n%d", j);
        pic_circle(b, "n", id, 0, y, name, val);
        boxes[nb++] = (tikz_box){x * dx, y * dy, 1, 0, TIKZ_NEURON_CM, TIKZ_NEURON_CM};
    }
    for (int c = 0; c < l->n_layers; c++) {
        const lesson_layer *L = &l->layers[c];
        for (int m = 0; m < L->count; m++) {
            int j = l->neurons[L->first + m];
            double x, y;
            node_xy(l, max_count, j, &x, &y);
            pic_shown(l, notation, digits, first_q(tr, backward ? Q_DELTA : Q_ACT, j), name, val, &example);
            snprintf(id, sizeof id, "n%d", j);
            pic_circle(b, "n", id, c + 1, y, name, val);
            boxes[nb++] = (tikz_box){x * dx, y * dy, 1, 0, TIKZ_NEURON_CM, TIKZ_NEURON_CM};
        }
    }
    /* the arcs, then their weights on top, each in a white box on its arc
     * (an arc crossing it passes behind), placed where it meets no other
     * label, no circle and the fewest other arcs (labels_layout) */
    char from[24];
    for (int a = 0; a < l->n_arcs; a++) {
        const lesson_arc *A = &l->arcs[a];
        snprintf(from, sizeof from, A->i == 0 ? "b%d" : "n%d", A->i == 0 ? l->layer_of[A->j] - 1 : (int)A->i);
        sb_printf(b, "  \\draw[->%s] (%s) -- (n%d);\n", A->i == 0 ? ", dashed, gray" : "", from, (int)A->j);
    }
    tikz_box *arcs = boxes + nb;
    tikz_layout L = {.arcs = arcs, .circles = boxes, .na = l->n_arcs, .nc = nb, .label = arcs + l->n_arcs,
                     .pos = malloc(((size_t)l->n_arcs + 1) * sizeof *L.pos)};
    char (*txt)[64] = malloc(((size_t)l->n_arcs + 1) * sizeof *txt);
    strbuf w = {0};
    if (!L.pos || !txt) w.failed = 1;
    for (int a = 0; a < l->n_arcs && !w.failed; a++) {
        double x0, y0, x1, y1;
        arc_from_xy(l, max_count, &l->arcs[a], &x0, &y0);
        node_xy(l, max_count, (int)l->arcs[a].j, &x1, &y1);
        arcs[a] = arc_box(x0 * dx, y0 * dy, x1 * dx, y1 * dy);
        w.len = 0;
        if (w.s) w.s[0] = '\0';
        pic_number(&w, l->arcs[a].w, digits, 0);
        if (w.failed || w.len >= sizeof txt[a]) { w.failed = 1; break; }
        memcpy(txt[a], w.s, w.len + 1);
        negative |= txt[a][0] == '(';
        L.label[a] = (tikz_box){0, 0, arcs[a].ux, arcs[a].uy, 0.5 * tiny_width_cm(txt[a]) + TIKZ_INNER_CM,
                                TIKZ_LINE_CM};
        L.pos[a] = -1;
    }
    if (!w.failed) labels_layout(&L);
    for (int a = 0; a < l->n_arcs && !w.failed; a++) {
        const lesson_arc *A = &l->arcs[a];
        snprintf(from, sizeof from, A->i == 0 ? "b%d" : "n%d", A->i == 0 ? l->layer_of[A->j] - 1 : (int)A->i);
        sb_printf(b, "  \\path (%s) -- node[pos=%.2f, sloped, fill=white, font=\\tiny, inner sep=1pt] {$%s$} (n%d);\n",
                  from, L.pos[a], txt[a], (int)A->j);
    }
    if (w.failed) b->failed = 1;
    free(boxes);
    free(L.pos);
    free(txt);
    /* the caption: the step as the trace heads it (and the example), and
     * two weights by name, so that the names in the circles and the numbers
     * on the arcs read as the formulas of the frames write them */
    char title[128];
    walk_step_title(title, sizeof title, tr, 0);            /* "step 1 (t = 0)", "forward pass" */
    title[0] = (char)toupper((unsigned char)title[0]);
    sb_printf(b, "\\end{tikzpicture}%s\n\\end{center}\n{\\small ", scaled ? "}" : "");
    tex_escape(b, title);
    if (example) sb_printf(b, ", example %d", example);
    sb_printf(b, ": each circle holds a value under its name, each arc its weight");
    const quantity *shown[2] = {NULL, NULL};       /* the first weight of a neuron, the first of the bias */
    for (int a = 0; a < l->n_arcs && !(shown[0] && shown[1]); a++) {
        int k = l->arcs[a].i == 0;
        if (!shown[k]) shown[k] = first_weight(tr, l->arcs[a].i, l->arcs[a].j);
    }
    for (int k = 0; k < 2; k++) {
        if (!shown[k]) continue;
        pic_name(l, notation, shown[k], name, sizeof name);
        w.len = 0;
        if (w.s) w.s[0] = '\0';
        pic_number(&w, shown[k]->value, digits, 1);
        sb_printf(b, "%s$%s = %s$", k && shown[0] ? ", " : " (as ", name, w.failed ? "?" : w.s);
    }
    sb_free(&w);
    sb_printf(b, "%s%s", shown[0] || shown[1] ? ")" : "", negative ? ", a negative one in parentheses" : "");
    if (biases) sb_printf(b, "; the bias $%s = 1$ is dashed, drawn before each layer it feeds", bias);
    sb_printf(b, ".}\n");
}

/* The rows of an align* text: its "\\" line ends. */
static int count_rows(const char *s)
{
    int n = 0;
    for (const char *p = s; p && (p = strstr(p, "\\\\\n")); p += 3) n++;
    return n;
}

/* Append a quantity's align* block (quantity_tex) to a document with its
 * row ends made unbreakable ("\\*"), so that a page break never parts a
 * row from its name: every row end of a block of at most TEX_KEEP_ROWS
 * rows, else the first and the last (a sum too long for a page still
 * breaks between its '+' rows, under \allowdisplaybreaks). */
static void append_kept(strbuf *b, const char *block)
{
    int rows = count_rows(block) + 1, k = 0;
    const char *p = block;
    for (const char *end; (end = strstr(p, "\\\\\n")); p = end + 3, k++) {
        int keep = rows <= TEX_KEEP_ROWS || k == 0 || k == rows - 2;
        sb_printf(b, "%.*s%s\n", (int)(end - p), p, keep ? "\\\\*" : "\\\\");
    }
    sb_printf(b, "%s", p);
}

/* ------------------------------------------------------------------------
 * The document
 * ---------------------------------------------------------------------- */

/* The text font encoding escape_n writes for: T1 has the glyphs of '|',
 * '<', '>' and the braces (OT1 prints them as dashes and inverted marks),
 * and Latin Modern has T1 outlines in every size. */
#define TEX_FONTS "\\usepackage[T1]{fontenc}\n\\usepackage{lmodern}\n"

static void preamble(strbuf *b, const tex_opts *o, const lesson *l)
{
    if (o->beamer)
        sb_printf(b, "\\documentclass{beamer}\n" TEX_FONTS "\\usepackage{amsmath}\n\\usepackage{tikz}\n"
                     "\\usetikzlibrary{positioning}\n\\setbeamertemplate{navigation symbols}{}\n"
                     /* the math in Latin Modern roman throughout: beamer's sans math would
                      * set w_{0,3} in sans italic beside a roman \mathrm{in}_{3} */
                     "\\usefonttheme[onlymath]{serif}\n");
    else
        sb_printf(b, "\\documentclass[a4paper,11pt]{article}\n" TEX_FONTS "\\usepackage{amsmath}\n"
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

/* Where the notes text p (left characters) ends its frame: at the end of
 * a paragraph or sentence nearest the even share of the frames still
 * needed, within TEX_NOTES_FRAME; a space when no sentence ends in reach. */
static size_t notes_cut(const char *p, size_t left)
{
    if (left <= TEX_NOTES_FRAME) return left;
    size_t frames = (left + TEX_NOTES_FRAME - 1) / TEX_NOTES_FRAME, target = left / frames;
    size_t best = 0, space = 0;
    for (size_t k = 1; k < TEX_NOTES_FRAME; k++) {
        if (p[k] == ' ' || p[k] == '\n') space = k;
        int ends = (p[k] == '\n' && p[k - 1] == '\n') ||
                   ((p[k] == ' ' || p[k] == '\n') && (p[k - 1] == '.' || p[k - 1] == ':'));
        if (ends && (!best || (k > target ? k - target : target - k) < (best > target ? best - target : target - best)))
            best = k;
    }
    return best ? best : space ? space : TEX_NOTES_FRAME;
}

/* A deck's notes: as paragraphs (escape_n) at \footnotesize, split over
 * frames of about even length at sentence ends, so no frame holds a word or
 * two (beamer's allowframebreaks splits wherever the page is full). */
static void notes_deck(strbuf *b, const char *notes)
{
    const char *p = notes;
    for (int frame = 0; *p; frame++) {
        while (*p == ' ' || *p == '\n') p++;
        if (!*p) break;
        size_t n = notes_cut(p, strlen(p));
        sb_printf(b, "\\begin{frame}{Notes%s}\n\\footnotesize\n", frame ? " (continued)" : "");
        escape_n(b, p, n);
        sb_printf(b, "\n\\end{frame}\n");
        p += n;
    }
}

int tex_write(strbuf *b, const lesson *l, const engine_result *r, const tex_opts *o)
{
    int notation = o->notation >= 0 ? o->notation : l->notation;
    int digits = o->digits >= 0 ? o->digits : l->digits;
    if (!o->fragment) preamble(b, o, l);
    if (!o->fragment && l->notes) {
        if (o->beamer) {
            notes_deck(b, l->notes);
        } else {
            tex_escape(b, l->notes);
            sb_printf(b, "\n\n");
        }
    }
    if (o->beamer && !o->fragment) {
        sb_printf(b, "\\begin{frame}{The network: forward}\n");
        network_tikz(b, l, r->tr, notation, digits, 0);
        sb_printf(b, "\\end{frame}\n");
    }
    walker w;
    walk_item it;
    walk_start(&w, l, r->tr, o->passes);
    int in_frame = 0, in_frame_rows = 0, slide = 1;
    given_block col = {.n = -1};
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
        if (o->beamer && (!in_frame || (in_frame_rows + rows > TEX_FRAME_ROWS && !(given && col.n >= 0 && col.n < 12)))) {
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
            given_tex(b, &col, o->beamer, l, r->tr, it.q, notation, digits);
        } else {
            if (o->beamer) sb_printf(b, "%s", one.s ? one.s : "");
            else append_kept(b, one.s ? one.s : "");
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
    char why[512];
    if (!o->fragment && walk_not_run(l, r->tr, why, sizeof why)) {   /* traced steps after a perceptron stopped */
        sb_printf(b, o->beamer ? "\\begin{frame}{" : "\\section*{");
        tex_escape(b, why);
        sb_printf(b, o->beamer ? "}\n\\end{frame}\n" : "}\n");
    }
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
