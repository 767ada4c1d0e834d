/*
 * text.c - trace, JSON and CSV views, expectations, Unicode rendering.
 *
 * A line is "name = symbolic = substituted = value", e.g.
 *   in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2 = 5*1 + 1*3 + (-2)*4 = 0
 * (lecture 001, 07-2c). Negative numbers are parenthesised in the
 * substituted form so that "- (-2)" reads unambiguously.
 */
#include "text.h"

#include "base/numfmt.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "formula.h"
#include "names.h"
#include "wrap.h"
#include "walk.h"

/* ------------------------------------------------------------------------
 * strbuf
 * ---------------------------------------------------------------------- */

/* ------------------------------------------------------------------------
 * Numbers and names
 * ---------------------------------------------------------------------- */

/* text_num, with its trailing zeros cut when trim is set, else kept. */
static void num_rounded(double v, int digits, int trim, char *buf, size_t size)
{
    if (!isfinite(v)) { snprintf(buf, size, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"); return; }
    double unit = pow(10.0, -digits);
    if (v != 0 && fabs(v) < 0.5 * unit) {        /* would print as 0: keep its digits */
        snprintf(buf, size, "%.*e", digits > 1 ? digits - 1 : 1, v);
        return;
    }
    /* calculator rounding (round_dp: ties away from zero, a tie stored a
     * hair below still a tie), never printf's rounding of the binary value:
     * every printed rounding of a value goes through here */
    int n = snprintf(buf, size, "%.*f", digits, round_dp(v, digits));
    if (n < 0 || (size_t)n >= size) {      /* too long to show in full: never cut digits off */
        num_shortest(v, buf, size);
        return;
    }
    char *dot = strchr(buf, '.');
    if (dot && trim) {
        char *end = buf + strlen(buf) - 1;
        while (end > dot && *end == '0') *end-- = '\0';
        if (end == dot) *end = '\0';
    }
    if (!strcmp(buf, "-0")) snprintf(buf, size, "0");
}

void text_num(double v, int digits, char *buf, size_t size)
{
    num_rounded(v, digits, 1, buf, size);
}

void text_num_within(double v, int digits, int most, char *buf, size_t size)
{
    text_num(v, digits, buf, size);
    if (digits <= most) return;
    const char *dot = strchr(buf, '.');
    const size_t room = (size_t)most + 3;      /* "-0." and `most` decimals */
    if (strchr(buf, 'e') || (dot && strlen(dot + 1) > (size_t)most && strlen(buf) > room))
        num_rounded(v, most, 0, buf, size);
}

/* ------------------------------------------------------------------------
 * Names: names.h renders every notation; here only the operand names.
 * ---------------------------------------------------------------------- */

int text_qname(const lesson *l, int notation, const quantity *q, char *buf, size_t size)
{
    return names_render(l, notation, NAMES_ASCII, q, buf, size);
}

void text_operand_values(const trace *tr, const quantity *q, double *vals)
{
    for (uint32_t k = 0; k < q->nops; k++) vals[k] = trace_operand_value(tr, tr->ops[q->first + k]);
}

/* The renderer's operand callback: operand k of the quantity by its name in
 * the notation and the syntax's script (an input is a_i in va, 001). */
typedef struct { const lesson *l; int notation; const trace *tr; const quantity *q; } fctx;

static void formula_operand(strbuf *out, const fr_ctx *c, size_t k, int bare)
{
    const fctx *x = c->user;
    static const names_script SCRIPT[] = {
        [SYN_ASCII] = NAMES_ASCII, [SYN_UNICODE] = NAMES_UNICODE, [SYN_XLSX] = NAMES_ASCII, [SYN_LATEX] = NAMES_LATEX,
    };
    _Static_assert(sizeof SCRIPT / sizeof SCRIPT[0] == SYN_COUNT, "one script per syntax");
    char n[256];
    (void)bare;
    names_render(x->l, x->l ? x->notation : NOTATION_VA, SCRIPT[c->syn], &x->tr->q[x->tr->ops[x->q->first + k]],
                 n, sizeof n);
    sb_printf(out, "%s", n);
}

/* formula_operand where the value is NaN, else the value as a number. */
static void formula_operand_or_value(strbuf *out, const fr_ctx *c, size_t k, int bare)
{
    if (isnan(c->values[k])) formula_operand(out, c, k, bare);
    else fr_number(out, c->syn, c->values[k], c->digits, bare);
}

void text_formula_some(strbuf *b, const trace *tr, const quantity *q, const double *v, int d,
                       const lesson *l, int notation)
{
    fctx x = {l, notation, tr, q};
    fr_ctx c = {.syn = SYN_ASCII, .operand = formula_operand_or_value, .values = v, .digits = d, .user = &x};
    if (q->spec.op == OP_CONST) return;
    if (fr_render(b, &c, &q->spec, q->notes, q->nops)) sb_printf(b, "?");
}

void text_formula_in(strbuf *b, const trace *tr, const quantity *q, const double *v, int d,
                     const lesson *l, int notation, syntax syn, int expand_g)
{
    fctx x = {l, notation, tr, q};
    fr_ctx c = {.syn = syn, .operand = v ? NULL : formula_operand, .values = v, .digits = d,
                .symbolic = !v, .expand_g = expand_g, .user = &x};
    if (q->spec.op == OP_CONST) return;
    if (fr_render(b, &c, &q->spec, q->notes, q->nops)) sb_printf(b, "?");
}

void text_formula_x(strbuf *b, const trace *tr, const quantity *q, const double *v, int d,
                    const lesson *l, int notation, int expand_g)
{
    text_formula_in(b, tr, q, v, d, l, notation, SYN_ASCII, expand_g);
}

void text_formula_n(strbuf *b, const trace *tr, const quantity *q, const double *v, int d,
                    const lesson *l, int notation)
{
    text_formula_x(b, tr, q, v, d, l, notation, 0);
}

void text_formula(strbuf *b, const trace *tr, const quantity *q, const double *v, int d)
{
    text_formula_n(b, tr, q, v, d, NULL, NOTATION_VA);
}

void text_value(const trace *tr, const quantity *q, int digits, char *buf, size_t size)
{
    char exact[64], carried[64];
    if (tr->round < 0 || q->spec.op == OP_CONST) {
        text_num(q->value, digits, buf, size);
        return;
    }
    double r = round_dp(q->value, tr->round);
    text_num(r, tr->round, carried, sizeof carried);
    if (fabs(q->value - r) <= 1e-12 * fmax(1.0, fabs(r))) {
        snprintf(buf, size, "%s", carried);
        return;
    }
    /* a short exact decimal (0.21215) is shown before the value carried on */
    int extra = tr->round + 3;
    double s = round_dp(q->value, extra);
    if (fabs(q->value - s) <= 1e-12 * fmax(1.0, fabs(s))) {
        text_num(s, extra, exact, sizeof exact);
        snprintf(buf, size, "%s ~ %s", exact, carried);
    } else {
        snprintf(buf, size, "~ %s", carried);
    }
}

void text_line(strbuf *b, const trace *tr, const quantity *q, int digits)
{
    text_line_n(b, tr, q, digits, NULL, NOTATION_VA);
}

int text_says_value(const char *sub, size_t len, const char *val)
{
    size_t n = strlen(val);
    if (len == n) return !memcmp(sub, val, n);
    return len == n + 2 && sub[0] == '(' && sub[len - 1] == ')' && !memcmp(sub + 1, val, n);
}

int text_sub_says_value(const trace *tr, const quantity *q, int digits, const lesson *l, int notation)
{
    if (q->spec.op == OP_CONST || q->nops != 1) return 0;   /* two operands need an operator */
    double val1;
    strbuf f = {0};
    char val[160];
    text_operand_values(tr, q, &val1);
    text_formula_n(&f, tr, q, &val1, tr->round >= 0 ? tr->round : digits, l, notation);
    text_value(tr, q, digits, val, sizeof val);
    int says = !f.failed && f.s && text_says_value(f.s, f.len, val);
    sb_free(&f);
    return says;
}

int text_is_constant(const trace *tr, const quantity *q, int digits, const lesson *l, int notation)
{
    if (q->spec.op == OP_CONST) return 1;
    strbuf f = {0};
    char val[160];
    text_formula_n(&f, tr, q, NULL, digits, l, notation);
    text_value(tr, q, digits, val, sizeof val);
    int says = !f.failed && f.s && text_says_value(f.s, f.len, val);
    sb_free(&f);
    return says;
}

void text_line_n(strbuf *b, const trace *tr, const quantity *q, int digits, const lesson *l, int notation)
{
    char name[192], val[160];
    text_qname(l, notation, q, name, sizeof name);
    text_value(tr, q, digits, val, sizeof val);
    sb_printf(b, "%s = ", name);
    char src[96];
    if (names_given_as(l, notation, NAMES_ASCII, q, src, sizeof src) > 0) sb_printf(b, "%s = ", src);
    if (!text_is_constant(tr, q, digits, l, notation)) {
        double stack[64], *vals = q->nops <= 64 ? stack : malloc(q->nops * sizeof *vals);
        if (!vals) { b->failed = 1; return; }
        text_formula_n(b, tr, q, NULL, digits, l, notation);
        size_t mark = b->len;
        sb_printf(b, " = ");
        size_t at = b->len;
        text_operand_values(tr, q, vals);
        text_formula_n(b, tr, q, vals, tr->round >= 0 ? tr->round : digits, l, notation);
        if (vals != stack) free(vals);
        /* a substituted form that is the value itself (din_3/dw_1,3 = a_1 = 0.05) is said once */
        if (!b->failed && text_says_value(b->s + at, b->len - at, val)) {
            b->len = mark;
            b->s[mark] = '\0';
        }
        sb_printf(b, val[0] == '~' ? " " : " = ");
    }
    sb_printf(b, "%s", val);
}

/* ------------------------------------------------------------------------
 * Unicode
 * ---------------------------------------------------------------------- */

static int uni_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int uni_word(char c) { return uni_alpha(c) || (c >= '0' && c <= '9') || c == '_'; }

/* At s (a word's start), a partial derivative dA/dB: A a name (letters,
 * digits, _ , ^ [ ]) and B starting with a letter. The '/' or NULL. */
static const char *partial_at(const char *s)
{
    if (s[0] != 'd' || !uni_alpha(s[1])) return NULL;
    const char *e = s + 1;
    while (uni_word(*e) || *e == ',' || *e == '^' || *e == '[' || *e == ']') e++;
    return e[0] == '/' && e[1] == 'd' && uni_alpha(e[2]) ? e : NULL;
}

const char *text_delta(int notation, int latex)
{
    static const char *const DELTA[NOTATION_COUNT][2] = {
        [NOTATION_VA] = {"Δ", "\\Delta"}, [NOTATION_LAYER] = {"δ", "\\delta"},
        [NOTATION_NETOUT] = {"δ", "\\delta"}, [NOTATION_BAR] = {"δ", "\\delta"},
    };
    return DELTA[notation >= 0 && notation < NOTATION_COUNT ? notation : NOTATION_VA][latex != 0];
}

void text_unicode(strbuf *out, const char *s, int notation)
{
    static const char *const SUB[10] = {"₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"};
    static const char *const SUP[10] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
    const char *start = s, *slash = NULL;
    while (*s) {
        if (!strncmp(s, "delta_", 6)) { sb_printf(out, "%s", text_delta(notation, 0)); s += 5; continue; }   /* keep '_' */
        /* a note's capital Delta_3 (001's letter, in any notation) as the trace's Δ₃ */
        if (!strncmp(s, "Delta_", 6) && (s == start || !uni_word(s[-1]))) { sb_printf(out, "Δ"); s += 5; continue; }
        if (!strncmp(s, "alpha", 5)) { sb_printf(out, "α"); s += 5; continue; }
        if (!strncmp(s, "lambda", 6)) { sb_printf(out, "λ"); s += 6; continue; }
        /* dJ/dw_1,3 -> ∂J/∂w₁,₃, dE_total/dout_h1 -> ∂E_total/∂out_h1 */
        if (s == slash) { sb_printf(out, "/∂"); s += 2; slash = NULL; continue; }
        if ((s == start || !uni_word(s[-1])) && (slash = partial_at(s))) { sb_printf(out, "∂"); s++; continue; }
        if (*s == '_' && s[1] >= '0' && s[1] <= '9') {
            const char *e = s + 1;
            while ((*e >= '0' && *e <= '9') || (*e == ',' && e[1] >= '0' && e[1] <= '9')) e++;
            if (uni_word(*e) || (*e == ',' && uni_word(e[1]))) {
                /* a label in the subscript (w_0,h1): all of it as written,
                 * not half lowered (w₀,h1 beside a_h1) */
                for (; uni_word(*s) || (*s == ',' && uni_word(s[1])); s++) sb_printf(out, "%c", *s);
                continue;
            }
            for (s++; s < e; s++)
                sb_printf(out, "%s", *s == ',' ? "," : SUB[*s - '0']);
            continue;
        }
        if (s[0] == '^' && s[1] == '(') {
            const char *c = s + 2;
            while (*c >= '0' && *c <= '9') c++;
            if (*c == ')' && c > s + 2) {
                sb_printf(out, "⁽");
                for (s += 2; s < c; s++) sb_printf(out, "%s", SUP[*s - '0']);
                sb_printf(out, "⁾");
                s = c + 1;
                continue;
            }
        }
        if (*s == '*') { sb_printf(out, "·"); s++; continue; }
        sb_printf(out, "%c", *s++);
    }
}

/* ------------------------------------------------------------------------
 * The trace
 * ---------------------------------------------------------------------- */

/* One line of the trace: a quantity's line (`name`: its name, up to the
 * first " = ", in cyan) or a heading (bold), when colour is on. */
static int emit(FILE *out, const text_opts *o, int notation, const char *indent, strbuf *line, int name)
{
    if (line->failed) return -1;
    const char *s = line->s ? line->s : "";
    strbuf u = {0};
    if (o->unicode) {
        text_unicode(&u, s, notation);
        if (u.failed) { sb_free(&u); return -1; }
        s = u.s ? u.s : "";
    }
    strbuf w = {0};
    if (o->width > 0) {     /* a long quantity line broken at its operators, a heading at its spaces */
        if (name) wrap_line(&w, s, strlen(indent), (size_t)o->width);
        else wrap_words(&w, s, strlen(indent), strlen(indent) + 2, (size_t)o->width);
        if (w.failed) { sb_free(&w); sb_free(&u); return -1; }
        s = w.s ? w.s : "";
    }
    int rc;
    const char *eq = o->color && name ? strstr(s, " = ") : NULL;
    if (eq)   /* the name in cyan, the rest plain */
        rc = fprintf(out, "%s\033[36m%.*s\033[0m%s\n", indent, (int)(eq - s), s, eq);
    else if (o->color && !name)
        rc = fprintf(out, "%s\033[1m%s\033[0m\n", indent, s);
    else
        rc = fprintf(out, "%s%s\n", indent, s);
    sb_free(&w);
    sb_free(&u);
    line->len = 0;
    if (line->s) line->s[0] = '\0';
    return rc < 0 ? -1 : 0;
}

void text_round_note(strbuf *out, int round, size_t width)
{
    char line[256], label[32];
    snprintf(line, sizeof line, TEXT_ROUND_NOTE, round);
    line[strcspn(line, "\n")] = '\0';
    const char *text = strstr(line, ": ");      /* "hand-rounded: " is its label */
    text = text ? text + 2 : line;
    snprintf(label, sizeof label, "%.*s", (int)(text - line), line);
    wrap_labelled(out, label, text, width);
}

/* The title, the source and the rounding note: prose, broken at its spaces
 * under its text when o->width is set (a terminal), as step writes them. */
static int opening(FILE *out, const text_opts *o, const char *base, const lesson *l, const trace *tr)
{
    const size_t width = o->width > 0 ? (size_t)o->width : 0;
    char label[272];
    strbuf b = {0};
    snprintf(label, sizeof label, "%s: ", base);
    wrap_labelled(&b, label, l->title, width);
    sb_printf(&b, "\n");
    if (l->source) {
        wrap_labelled(&b, "source: ", l->source, width);
        sb_printf(&b, "\n");
    }
    if (tr->round >= 0) {
        text_round_note(&b, tr->round, width);
        sb_printf(&b, "\n");
    }
    int rc = b.failed || fputs(b.s ? b.s : "", out) == EOF ? -1 : 0;
    sb_free(&b);
    return rc;
}

int text_print_trace(FILE *out, const lesson *l, const engine_result *r, const text_opts *o)
{
    return text_print_trace_n(out, l, r, o, NOTATION_VA);
}

int text_print_trace_n(FILE *out, const lesson *l, const engine_result *r, const text_opts *o, int notation)
{
    const trace *tr = r->tr;
    char base[256];
    strbuf b = {0};
    int rc = 0;
    lesson_basename(l->path, base, sizeof base);
    if (opening(out, o, base, l, tr)) return -1;
    walker w;
    walk_start(&w, l, tr, o->passes);
    for (walk_item it; rc == 0 && walk_next(&w, &it);) {
        if (it.step_heading) {
            if (fprintf(out, "\n") < 0) { rc = -1; break; }
            sb_printf(&b, "%s", it.step_heading);
            if ((rc = emit(out, o, notation, "", &b, 0))) break;
        }
        if (it.intro) {
            sb_printf(&b, "%s", it.intro);
            if ((rc = emit(out, o, notation, " ", &b, 0))) break;
        }
        if (it.pass_heading) {
            sb_printf(&b, "%s", it.pass_heading);
            if ((rc = emit(out, o, notation, " ", &b, 0))) break;
        }
        text_line_n(&b, tr, it.q, o->digits, l, notation);
        rc = emit(out, o, notation, "  ", &b, 1);
        for (int k = 0; rc == 0 && it.notes[k]; k++)
            rc = fprintf(out, "    (%s)\n", it.notes[k]) < 0 ? -1 : 0;
    }
    char why[512];
    if (rc == 0 && walk_not_run(l, tr, why, sizeof why)) {       /* traced steps after a perceptron stopped */
        if (fprintf(out, "\n") < 0) rc = -1;
        sb_printf(&b, "%s", why);
        if (rc == 0) rc = emit(out, o, notation, "", &b, 0);
    }
    for (int k = 0; k < l->n_report_steps && rc == 0; k++) {
        int s = l->report_steps[k];
        char v[64];
        if (k == 0 && fprintf(out, "\nloss by step\n") < 0) rc = -1;
        if (walk_step_not_run(l, tr, s, why, sizeof why)) {
            if (!rc && fprintf(out, "  %s\n", why) < 0) rc = -1;
            continue;
        }
        text_num(r->loss[s - 1], o->digits + 4, v, sizeof v);
        if (!rc && fprintf(out, "  step %d: J = %s\n", s, v) < 0) rc = -1;
    }
    if (l->rule == RULE_PERCEPTRON && rc == 0) {   /* the stopping rule, epoch by epoch */
        if (fprintf(out, "\nmistakes by epoch (%d examples each)\n", l->n_examples) < 0) rc = -1;
        for (int k = 0; k < r->n_epochs && rc == 0; k++)
            if (fprintf(out, "  epoch %d: %d\n", k + 1, r->epoch_mistakes[k]) < 0) rc = -1;
        if (rc == 0) {   /* broken at its spaces to the width, as the headings are */
            sb_printf(&b, r->converged ? "converged: epoch %d made no mistake, so training stops"
                                       : "stopped at the epoch limit (%d) with mistakes left",
                      r->converged ? r->n_epochs : l->epochs);
            rc = emit(out, o, notation, "", &b, 0);
        }
    }
    sb_free(&b);
    return rc;
}

/* ------------------------------------------------------------------------
 * Expectations
 * ---------------------------------------------------------------------- */

/* "expect A = B": a fact the lecture argues (Delta_3 = Delta_4), checked to
 * the lesson's digits: both values round to the same print. Returns 1 if
 * it fails. */
/* The quantity an expect line names; without an index (out of memory),
 * canonical names only, by a linear search. */
static long expect_find(names_index *ix, const trace *tr, const char *name, char *why, size_t size)
{
    if (ix) return names_resolve(ix, name, why, size);
    long id = trace_find(tr, name);
    if (id < 0) snprintf(why, size, "'%s' is not a canonical name (out of memory for the others)", name);
    return id;
}

/* Quantity id as the trace names it in `notation`; *differs set when the
 * lesson's line spells it otherwise. */
static void expect_shown(const lesson *l, const trace *tr, int notation, long id,
                         const char *written, char *buf, size_t size, int *differs)
{
    int n = names_render(l, notation, NAMES_ASCII, &tr->q[id], buf, size);
    if (n < 0 || (size_t)n >= size)
        snprintf(buf, size, "%s", written);
    if (strcmp(buf, written)) *differs = 1;
}

/* One line of the expectation report: "  ok   " or "  FAIL " (coloured on
 * a terminal) and the text, broken at its spaces under the text when width
 * is set. */
static void expect_line(strbuf *b, const text_opts *o, int ok, const char *text)
{
    const int c = o->color;
    sb_printf(b, "  %s%s%s ", c ? (ok ? "\033[32m" : "\033[31m") : "", ok ? "ok  " : "FAIL", c ? "\033[0m" : "");
    wrap_words(b, text, 7, 7, o->width > 0 ? (size_t)o->width : 0);
    sb_printf(b, "\n");
}

static int check_same(strbuf *out, const lesson *l, const engine_result *r, names_index *ix,
                      const lesson_expect *e, const text_opts *o, int notation)
{
    char why[512];
    strbuf t = {0};
    long a = expect_find(ix, r->tr, e->name, why, sizeof why);
    long b = a < 0 ? -1 : expect_find(ix, r->tr, e->same, why, sizeof why);
    if (a < 0 || b < 0) {
        sb_printf(&t, "%s = %s: line %d: %s", e->name, e->same, e->line, why);
        expect_line(out, o, 0, t.s ? t.s : "");
        if (t.failed) out->failed = 1;
        sb_free(&t);
        return 1;
    }
    double va = r->tr->q[a].value, vb = r->tr->q[b].value;
    int ok = round_dp(va, l->digits) == round_dp(vb, l->digits);
    char sa[64], sb[64], na[160], nb[160];
    int differs = 0;
    text_num(va, l->digits, sa, sizeof sa);
    text_num(vb, l->digits, sb, sizeof sb);
    expect_shown(l, r->tr, notation, a, e->name, na, sizeof na, &differs);
    expect_shown(l, r->tr, notation, b, e->same, nb, sizeof nb, &differs);
    sb_printf(&t, "%s = %s (trace: %s and %s, to %d decimals%s%s%s%s)", na, nb, sa, sb, l->digits,
              differs ? "; the lesson writes " : "", differs ? e->name : "", differs ? " = " : "",
              differs ? e->same : "");
    expect_line(out, o, ok, t.s ? t.s : "");
    if (t.failed) out->failed = 1;
    sb_free(&t);
    return !ok;
}

int text_check_expectations(FILE *out, const lesson *l, const engine_result *r, int color)
{
    const text_opts o = {.color = color, .passes = ~0u};
    return text_check_expectations_in(out, l, r, &o, l->notation);
}

int text_check_expectations_in(FILE *out, const lesson *l, const engine_result *r, const text_opts *o,
                               int notation)
{
    if (l->n_expects == 0) return 0;
    int failed = 0, shown = 0;
    strbuf b = {0}, t = {0};
    names_index *ix = names_index_new(l, r->tr, l->notation);
    /* what the lecture gave: numbers it printed, facts its formulas state
     * ("expect A = B"), or both */
    int facts = 0;
    for (int k = 0; k < l->n_expects; k++) facts += l->expects[k].same[0] != '\0';
    static const char *const HEADING[] = {
        "expectations (the lecture's printed values, each to its last digit)",
        "expectations (the lecture's printed values, each to its last digit, and the equalities it states)",
        "expectations (equalities the lecture states, to the lesson's digits)",
    };
    sb_printf(&b, "\n");
    wrap_words(&b, HEADING[facts == 0 ? 0 : facts < l->n_expects ? 1 : 2], 0, 0,
               o->width > 0 ? (size_t)o->width : 0);
    sb_printf(&b, "\n");
    for (int k = 0; k < l->n_expects; k++) {
        const lesson_expect *e = &l->expects[k];
        char why[512];
        long id = expect_find(ix, r->tr, e->name, why, sizeof why);
        if (id >= 0 && !(o->passes & (1u << r->tr->q[id].pass))) continue;   /* a pass not shown */
        shown++;
        if (e->same[0]) {
            failed += check_same(&b, l, r, ix, e, o, notation);
            continue;
        }
        char want[64], got[64];
        text_num(e->value, e->decimals, want, sizeof want);
        t.len = 0;
        if (id < 0) {
            failed++;
            sb_printf(&t, "%s = %s: line %d: %s", e->name, want, e->line, why);
            expect_line(&b, o, 0, t.s ? t.s : "");
            continue;
        }
        double v = r->tr->q[id].value;
        /* the value, rounded as the lecture printed it, equals the print */
        int ok = fabs(round_dp(v, e->decimals) - e->value) <= 1e-9 * pow(10.0, -e->decimals);
        text_num(v, e->decimals + 4, got, sizeof got);
        if (!ok) failed++;
        char shown_as[160];
        int differs = 0;
        expect_shown(l, r->tr, notation, id, e->name, shown_as, sizeof shown_as, &differs);
        sb_printf(&t, "%s = %s (trace: %s%s%s)", shown_as, want, got,
                  differs ? "; the lesson writes " : "", differs ? e->name : "");
        expect_line(&b, o, ok, t.s ? t.s : "");
    }
    names_index_free(ix);
    sb_printf(&b, "%d of %d expectations hold", shown - failed, shown);
    if (shown < l->n_expects)
        sb_printf(&b, " (%d more in passes not shown: run without --passes to check them)",
                  l->n_expects - shown);
    sb_printf(&b, "\n");
    /* a failed write shows on the stream (ferror), which the command checks */
    if (b.failed || t.failed) failed = -1;
    else fputs(b.s, out);
    sb_free(&t);
    sb_free(&b);
    return failed;
}

