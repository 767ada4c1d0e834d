/*
 * formula.c - the formula renderer (formula.h): the syntaxes and the
 * primitives the rows of ops.c, act_table.c and loss_table.c write with.
 *
 * A syntax differs only in tokens and in two structures: a fraction
 * ("(a + b)/2" or "\frac{a + b}{2}") and a function call ("exp(x)",
 * "EXP(x)", "e^{x}"). Spacing: the text syntaxes put spaces around + and -
 * ("w_1,3*a_1 + w_2,3*a_2"), the spreadsheet none.
 */
#include "formula.h"

#include "base/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Tokens per syntax: {ASCII, Unicode, spreadsheet, LaTeX}
 * ---------------------------------------------------------------------- */

static const char *const PLUS[SYN_COUNT]  = {" + ", " + ", "+", " + "};
static const char *const MINUS[SYN_COUNT] = {" - ", " - ", "-", " - "};
static const char *const TIMES[SYN_COUNT] = {"*", "·", "*", " \\cdot "};
static const char *const COMMA[SYN_COUNT] = {", ", ", ", ",", ", "};

static const struct { const char *open[SYN_COUNT], *close[SYN_COUNT]; } FN[FN_COUNT] = {
    [FN_EXP]  = {{"exp(", "exp(", "EXP(", "e^{"}, {")", ")", ")", "}"}},
    [FN_LN]   = {{"ln(", "ln(", "LN(", "\\ln("}, {")", ")", ")", ")"}},
    [FN_SQRT] = {{"sqrt(", "√(", "SQRT(", "\\sqrt{"}, {")", ")", ")", "}"}},
    [FN_MIN]  = {{"min(", "min(", "MIN(", "\\min("}, {")", ")", ")", ")"}},
    [FN_MAX]  = {{"max(", "max(", "MAX(", "\\max("}, {")", ")", ")", ")"}},
    [FN_STEP] = {{"step(", "step(", "IF(", "\\mathrm{step}("}, {")", ")", ">=0,1,0)", ")"}},
};

static const char *const PARAM_SYM[2][SYN_COUNT] = {
    [FR_ALPHA]  = {"alpha", "α", "alpha", "\\alpha"},
    [FR_LAMBDA] = {"lambda", "λ", "lambda", "\\lambda"},
};

/* ------------------------------------------------------------------------
 * Numbers
 * ---------------------------------------------------------------------- */

void fr_number(strbuf *out, syntax syn, double v, int digits, int bare)
{
    char s[64];
    if (syn == SYN_XLSX) {            /* the shortest form that reads back exactly: "0.5", "1E-05" */
        num_shortest(v, s, sizeof s);
        for (char *e = s; *e; e++) if (*e == 'e') *e = 'E';
    } else {
        text_num(v, digits, s, sizeof s);
    }
    fr_numeral(out, s, bare);
}

void fr_numeral(strbuf *out, const char *num, int bare)
{
    if (num[0] == '-' && !bare) sb_printf(out, "(%s)", num);
    else sb_printf(out, "%s", num);
}

/* ------------------------------------------------------------------------
 * Primitives
 * ---------------------------------------------------------------------- */

/* fr_render_text's marks around an operand: MARK_OPEN expression MARK_MID
 * value text MARK_CLOSE; control characters no formula text contains. */
#define MARK_OPEN  "\x01"
#define MARK_MID   "\x03"
#define MARK_CLOSE "\x02"

static void operand(fr *f, size_t k, int bare)
{
    if (k >= f->n) { sb_printf(f->out, "?"); return; }
    if (f->marked) {
        sb_printf(f->out, MARK_OPEN);
        f->c->operand(f->out, f->c, k, bare);
        sb_printf(f->out, MARK_MID);
        fr_number(f->out, f->c->syn, f->c->values ? f->c->values[k] : NAN, f->c->digits, bare);
        sb_printf(f->out, MARK_CLOSE);
        return;
    }
    if (f->c->operand) f->c->operand(f->out, f->c, k, bare);
    else if (f->c->values) fr_number(f->out, f->c->syn, f->c->values[k], f->c->digits, bare);
    else sb_printf(f->out, "?");
}

void fr_op(fr *f, size_t k) { operand(f, k, 0); }
void fr_op_bare(fr *f, size_t k) { operand(f, k, 1); }
/* A constant of the operation (a rate, a decay, an activation's slope, a
 * batch-norm scale) as the lesson gives it: to c->digits decimals, or as
 * many more, up to FR_CONST_DIGITS, as show it exactly. A hand-rounded
 * trace shows its operands to `round` decimals, the numbers it carries, but
 * computes with the lesson's rate 0.24 (never 0.2, whose line 0.8 -
 * 0.2*(-0.6) = 0.944 no one could follow: stress seed 36). A constant no
 * short decimal shows (1/0.7, the keep scale of dropout 0.3) stays at
 * c->digits. */
#define FR_CONST_DIGITS 12
void fr_num(fr *f, double v)
{
    int d = f->c->digits;
    for (int e = d < 0 ? 0 : d; e <= FR_CONST_DIGITS && isfinite(v); e++)
        if (round_dp(v, e) == v) { d = e; break; }
    fr_number(f->out, f->c->syn, v, d, 0);
}
void fr_lit(fr *f, const char *s) { sb_printf(f->out, "%s", s); }

void fr_bin(fr *f, char op)
{
    switch (op) {
    case '+': fr_lit(f, PLUS[f->c->syn]); break;
    case '-': fr_lit(f, MINUS[f->c->syn]); break;
    case '*': fr_lit(f, TIMES[f->c->syn]); break;
    default:  sb_printf(f->out, "%c", op); break;
    }
}

void fr_open(fr *f, fr_fn fn) { fr_lit(f, FN[fn].open[f->c->syn]); }
void fr_close(fr *f, fr_fn fn) { fr_lit(f, FN[fn].close[f->c->syn]); }

void fr_frac_open(fr *f, int paren_num)
{
    if (f->c->syn == SYN_LATEX) fr_lit(f, "\\frac{");
    else if (paren_num) fr_lit(f, "(");
}

/* LaTeX: a numerator that holds a fraction itself (the batch mean of
 * dJ/dw_ij[e]) is set \displaystyle, or its fractions shrink to script
 * size, too small to read on a slide. The numerator is the group from the
 * last unmatched '{' (after "\frac") to the end of the output. */
static void frac_num_display(strbuf *o)
{
    static const char ds[] = "\\displaystyle ";
    if (o->failed || !o->s) return;
    size_t k = o->len;
    int depth = 0;
    while (k > 0) {
        char c = o->s[--k];
        if (k > 0 && o->s[k - 1] == '\\') continue;          /* \{ and \} are delimiters */
        if (c == '}') depth++;
        else if (c == '{' && depth-- == 0) break;
    }
    if (k < 5 || o->s[k] != '{' || strncmp(o->s + k - 5, "\\frac", 5) || !strstr(o->s + k + 1, "\\frac")) return;
    size_t at = k + 1, tail = o->len - at, n = sizeof ds - 1;
    sb_printf(o, "%s", ds);                                   /* room for it */
    if (o->failed) return;
    memmove(o->s + at + n, o->s + at, tail);
    memcpy(o->s + at, ds, n);
}

void fr_frac_mid(fr *f, int paren_num, int paren_den)
{
    if (f->c->syn == SYN_LATEX) { frac_num_display(f->out); fr_lit(f, "}{"); return; }
    sb_printf(f->out, "%s/%s", paren_num ? ")" : "", paren_den ? "(" : "");
}

void fr_frac_close(fr *f, int paren_den)
{
    if (f->c->syn == SYN_LATEX) fr_lit(f, "}");
    else if (paren_den) fr_lit(f, ")");
}

void fr_param_sym(fr *f, fr_param p, double v)
{
    size_t at = f->out->len;
    if (f->marked && f->c->param) sb_printf(f->out, MARK_OPEN);
    if (f->c->param && f->c->param(f->out, f->c, p)) {
        if (f->marked) {
            sb_printf(f->out, MARK_MID);
            fr_num(f, v);
            sb_printf(f->out, MARK_CLOSE);
        }
        return;
    }
    if (f->out->s && at < f->out->len) f->out->s[f->out->len = at] = '\0';
    if (f->c->symbolic) fr_lit(f, PARAM_SYM[p][f->c->syn]);
    else fr_num(f, v);
}

void fr_guarded_op(fr *f, size_t k, int one_minus)
{
    int guard = f->c->syn == SYN_XLSX && (f->notes & EVAL_NOTE_LOG_GUARD);
    if (guard) fr_lit(f, "MAX(");
    if (one_minus) { fr_lit(f, "1"); fr_bin(f, '-'); }
    fr_op(f, k);
    if (guard) fr_lit(f, ",1E-12)");              /* EVAL_LOG_GUARD, as the evaluator clamps */
}

void fr_ln_op(fr *f, size_t k, int one_minus)
{
    fr_open(f, FN_LN);
    fr_guarded_op(f, k, one_minus);
    fr_close(f, FN_LN);
}

void fr_template(fr *f, const char *tpl, size_t arg, size_t act, double param)
{
    for (const char *c = tpl; *c; c++) {
        if (c[0] == '%' && (c[1] == 'x' || c[1] == 'a')) {
            int alone = c > tpl && c[-1] == '(' && c[2] == ')';
            operand(f, c[1] == 'x' ? arg : act, alone);
            c++;
        } else if (c[0] == '%' && c[1] == 'p') {
            fr_num(f, param);
            c++;
        } else {
            sb_printf(f->out, "%c", *c);
        }
    }
}

void fr_sumprod(fr *f, size_t from)
{
    if (from + 1 >= f->n) { fr_lit(f, "0"); return; }
    for (size_t k = from; k + 1 < f->n; k += 2) {
        if (k > from) fr_bin(f, '+');
        fr_op(f, k); fr_bin(f, '*'); fr_op(f, k + 1);
    }
}

void fr_list(fr *f, size_t from, size_t to, char sep)
{
    for (size_t k = from; k < to; k++) {
        if (k > from) {
            if (sep == ',') fr_lit(f, COMMA[f->c->syn]);
            else fr_bin(f, sep);
        }
        fr_op(f, k);
    }
}

/* ------------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------- */

static int render(strbuf *out, const fr_ctx *c, const op_spec *s, unsigned notes, size_t n, int marked)
{
    if ((unsigned)s->op >= OP_COUNT || !OP_ROWS[s->op].render || !op_arity_ok(s->op, n)) return -1;
    if ((s->op == OP_ACT || s->op == OP_DACT) && (unsigned)s->act.kind >= ACT_COUNT) return -1;
    if ((s->op == OP_LOSS || s->op == OP_DELTA_OUT) && (unsigned)s->loss >= LOSS_COUNT) return -1;
    if (s->op == OP_ACT && (s->act.kind == ACT_SOFTMAX) != (n >= 2)) return -1;
    fr f = {.out = out, .c = c, .s = s, .notes = notes, .n = n, .marked = marked};
    OP_ROWS[s->op].render(&f);
    return 0;
}

int fr_render(strbuf *out, const fr_ctx *c, const op_spec *s, unsigned notes, size_t n)
{
    return render(out, c, s, notes, n, 0);
}

/* Where a cut may go: before a " + " of the text, with the outputs' lengths,
 * the parentheses open there and whether a quoted literal is open. */
typedef struct { size_t flen, tlen; int depth, in_lit, pieces; } cut_at;

/* The marked render m as a text formula into fo and its shown text into tx
 * (fr_render_text). */
static int assemble(const char *m, strbuf *fo, strbuf *tx, size_t max_len, int *cut)
{
    static const char ELLIPSIS[] = " + ...";
    size_t f0 = fo->len;
    cut_at now = {0}, best = {0};
    int have = 0, only_operand = 0;
    now.flen = f0;
    for (const char *p = m; *p;) {
        if (*p == MARK_OPEN[0]) {                  /* an operand: its expression, its value text */
            const char *mid = strchr(p, MARK_MID[0]), *end = mid ? strchr(mid, MARK_CLOSE[0]) : NULL;
            if (!end) return -1;
            if (now.in_lit) { sb_printf(fo, "\""); now.in_lit = 0; }
            sb_printf(fo, "%s%.*s", now.pieces++ ? "&" : "", (int)(mid - p - 1), p + 1);
            sb_printf(tx, "%.*s", (int)(end - mid - 1), mid + 1);
            only_operand = now.pieces == 1;
            p = end + 1;
        } else {
            if (!strncmp(p, ELLIPSIS, 3)) {         /* " + ": a cut may end the text here */
                now.flen = fo->len;
                now.tlen = tx->len;
                size_t fin = (now.in_lit ? 0 : now.pieces ? 2 : 1) + sizeof ELLIPSIS - 1 + (size_t)now.depth + 1;
                if (now.flen - f0 + fin <= max_len) { best = now; have = 1; }
            }
            if (!now.in_lit) { sb_printf(fo, "%s\"", now.pieces++ ? "&" : ""); now.in_lit = 1; }
            sb_printf(fo, "%s%c", *p == '"' ? "\"" : "", *p);     /* " doubled inside a string */
            sb_printf(tx, "%c", *p);
            now.depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
            only_operand = 0;
            p++;
        }
        if (fo->len - f0 > max_len) {             /* too long: end at the last cut that fits */
            if (!have || best.depth > 32) return -1;
            if (fo->s) fo->s[fo->len = best.flen] = '\0';
            if (tx->s) tx->s[tx->len = best.tlen] = '\0';
            if (!best.in_lit) sb_printf(fo, "%s\"", best.pieces ? "&" : "");
            sb_printf(fo, "%s%.*s\"", ELLIPSIS, best.depth, "))))))))))))))))))))))))))))))))");
            sb_printf(tx, "%s%.*s", ELLIPSIS, best.depth, "))))))))))))))))))))))))))))))))");
            *cut = 1;
            return 0;
        }
    }
    if (now.in_lit) sb_printf(fo, "\"");
    if (only_operand) sb_printf(fo, "&\"\"");     /* a lone operand: still text */
    if (!now.pieces) sb_printf(fo, "\"\"");
    return 0;
}

int fr_render_text(strbuf *formula, strbuf *text, const fr_ctx *c, const op_spec *s, unsigned notes, size_t n,
                   size_t max_len, int *cut)
{
    strbuf m = {0};
    *cut = 0;
    if (!c->operand || (c->syn != SYN_ASCII && c->syn != SYN_UNICODE)) return -1;
    int rc = render(&m, c, s, notes, n, 1);
    if (!rc && m.failed) rc = -1;
    if (!rc) rc = assemble(m.s ? m.s : "", formula, text, max_len, cut);
    sb_free(&m);
    return rc;
}

/* Which operands a formula reads: it is rendered, and each operand it asks
 * for is marked. */
static void mark_operand(strbuf *out, const fr_ctx *c, size_t k, int bare)
{
    (void)out;
    (void)bare;
    ((unsigned char *)c->user)[k] = 1;
}

int fr_reads(const op_spec *s, unsigned notes, size_t n, unsigned char *reads)
{
    strbuf sink = {0};
    if (n) memset(reads, 0, n);
    fr_ctx c = {.syn = SYN_ASCII, .operand = mark_operand, .symbolic = 1, .user = reads};
    int rc = fr_render(&sink, &c, s, notes, n);
    sb_free(&sink);
    return rc;
}

/* Operands given as texts: user points at two strings, x and a. */
static void text_operand(strbuf *out, const fr_ctx *c, size_t k, int bare)
{
    (void)bare;
    sb_printf(out, "%s", ((const char *const *)c->user)[k ? 1 : 0]);
}

void fr_act_form(strbuf *out, syntax syn, act_fn f, int dg, const char *x, const char *a, int digits)
{
    const char *texts[2] = {x, a ? a : x};
    fr_ctx c = {.syn = syn, .operand = text_operand, .digits = digits, .symbolic = 1, .user = (void *)texts};
    op_spec s = {.op = dg ? OP_DACT : OP_ACT, .act = f};
    fr r = {.out = out, .c = &c, .s = &s, .n = 2};
    if ((unsigned)f.kind >= ACT_COUNT) return;
    const act_row *row = &ACT_ROWS[f.kind];
    fr_template(&r, dg ? row->dg_form[syn] : row->g_form[syn], 0, 1, f.param);
}
