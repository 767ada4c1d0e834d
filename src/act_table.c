/*
 * act_table.c - one row per activation (eval.h: act_row).
 *
 * The lectures' tables: CS 457/557 Lecture 07 (binary threshold, logistic,
 * ReLU, softplus), CMSC 389A Lecture 3 (identity, binary step, logistic,
 * tanh, arctan, ReLU, PReLU, ELU, softplus, each with its derivative),
 * CSE 575 (leaky ReLU max(eps z, z)), COMP 5630/6630 Lecture 7 (softmax).
 * Where g' is undefined (binary step and ReLU at 0) we take the CMSC 389A
 * table's value for x >= 0 and the row's `kink` note says so in the trace.
 *
 * Each row holds g and g' as C functions and as the lecture writes them in
 * every syntax (templates: %x the argument, %a the activation g(x), %p the
 * parameter). Adding an activation is one row here and one name in act_kind
 * (eval.h); the parser, the "known" list, help, Settings sheet, renderer and
 * the completeness test (test_tables.c) all read the row.
 */
#include "eval.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suggest.h"

/* ------------------------------------------------------------------------
 * g and g' (x the argument in_j, a = g(x), p the parameter)
 * ---------------------------------------------------------------------- */

static double identity_g(double x, double p) { (void)p; return x; }
static double identity_dg(double x, double a, double p) { (void)x; (void)a; (void)p; return 1.0; }
static double step_g(double x, double p) { (void)p; return x >= 0 ? 1.0 : 0.0; }
static double step_dg(double x, double a, double p) { (void)x; (void)a; (void)p; return 0.0; }
static double logistic_g(double x, double p) { (void)p; return 1.0 / (1.0 + exp(-x)); }
/* g' = g(1 - g), from a_j as 001 does */
static double logistic_dg(double x, double a, double p) { (void)x; (void)p; return a * (1.0 - a); }
static double tanh_g(double x, double p) { (void)p; return tanh(x); }
static double tanh_dg(double x, double a, double p) { (void)x; (void)p; return 1.0 - a * a; }
static double arctan_g(double x, double p) { (void)p; return atan(x); }
static double arctan_dg(double x, double a, double p) { (void)a; (void)p; return 1.0 / (x * x + 1.0); }
static double relu_g(double x, double p) { (void)p; return x >= 0 ? x : 0.0; }
static double relu_dg(double x, double a, double p) { (void)a; (void)p; return x >= 0 ? 1.0 : 0.0; }
static double leaky_g(double x, double p) { return x >= 0 ? x : p * x; }
static double leaky_dg(double x, double a, double p) { (void)a; return x >= 0 ? 1.0 : p; }
static double elu_g(double x, double p) { return x >= 0 ? x : p * expm1(x); }
/* 002 writes g' = g(x) + alpha for x < 0; a + alpha cancels for very negative
 * x (relative error 3e-7 at x = -24), so the value is alpha e^x, exactly the
 * same quantity. The trace still shows the lecture's form. */
static double elu_dg(double x, double a, double p) { (void)a; return x >= 0 ? 1.0 : p * exp(x); }
static double softplus_g(double x, double p) { (void)p; return x > 30 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static double softplus_dg(double x, double a, double p) { (void)a; (void)p; return 1.0 / (1.0 + exp(-x)); }

/* ------------------------------------------------------------------------
 * The rows. Forms per syntax: {ASCII, Unicode, spreadsheet, LaTeX}.
 * ---------------------------------------------------------------------- */

#define PIECEWISE_TEX(pos, neg) "\\begin{cases} " pos " & %x \\ge 0 \\\\ " neg " & %x < 0 \\end{cases}"

/* leaky ReLU and PReLU: the same function, a fixed slope for x < 0 */
#define LEAKY .g = leaky_g, .dg = leaky_dg, \
    .g_form = {"(%x>=0 ? %x : %p*%x)", "(%x≥0 ? %x : %p·%x)", "IF(%x>=0,%x,%p*%x)", \
               PIECEWISE_TEX("%x", "%p \\cdot %x")}, \
    .dg_form = {"(%x>=0 ? 1 : %p)", "(%x≥0 ? 1 : %p)", "IF(%x>=0,1,%p)", PIECEWISE_TEX("1", "%p")}

const act_row ACT_ROWS[ACT_COUNT] = {
    [ACT_IDENTITY] = {
        .name = "identity", .aliases = "linear", .lecture = "CMSC 389A Lecture 3",
        .g = identity_g, .dg = identity_dg,
        .g_form = {"%x", "%x", "%x", "%x"},
        .dg_form = {"1", "1", "1", "1"},
    },
    [ACT_STEP] = {
        .name = "step", .aliases = "threshold", .lecture = "CS 457/557 Lecture 07 (binary threshold), CMSC 389A Lecture 3",
        .g = step_g, .dg = step_dg,
        .g_form = {"step(%x)", "step(%x)", "IF(%x>=0,1,0)", PIECEWISE_TEX("1", "0")},
        .dg_form = {"0", "0", "0", "0"},
        .kink = "g'(0) of the step is undefined; taken as 0",
        .kinked = 1,
    },
    [ACT_LOGISTIC] = {
        .name = "logistic", .aliases = "sigmoid", .lecture = "CS 457/557 Lecture 07, CMSC 389A Lecture 3",
        .g = logistic_g, .dg = logistic_dg,
        .g_form = {"1/(1+exp(-%x))", "1/(1+exp(-%x))", "1/(1+EXP(-%x))", "\\frac{1}{1+e^{-%x}}"},
        .dg_form = {"%a*(1-%a)", "%a·(1-%a)", "%a*(1-%a)", "%a \\cdot (1-%a)"},
        .tex_name = "\\sigma",                           /* CS 457/557: g(in_j) = sigma(in_j) */
        .saturates = 1,
    },
    [ACT_TANH] = {
        .name = "tanh", .aliases = "", .lecture = "CMSC 389A Lecture 3, CSE 575",
        .g = tanh_g, .dg = tanh_dg,
        .g_form = {"tanh(%x)", "tanh(%x)", "TANH(%x)", "\\tanh(%x)"},
        .dg_form = {"1-%a^2", "1-%a²", "1-%a*%a", "1-%a^{2}"},
        .saturates = 1,
    },
    [ACT_ARCTAN] = {
        .name = "arctan", .aliases = "atan", .lecture = "CMSC 389A Lecture 3",
        .g = arctan_g, .dg = arctan_dg,
        .g_form = {"atan(%x)", "atan(%x)", "ATAN(%x)", "\\tan^{-1}(%x)"},
        .dg_form = {"1/(%x^2+1)", "1/(%x²+1)", "1/(%x*%x+1)", "\\frac{1}{%x^{2}+1}"},
        .saturates = 1,
    },
    [ACT_RELU] = {
        .name = "relu", .aliases = "", .lecture = "CS 457/557 Lecture 07, CMSC 389A Lecture 3",
        .g = relu_g, .dg = relu_dg,
        .g_form = {"max(0,%x)", "max(0,%x)", "MAX(0,%x)", "\\max\\{0, %x\\}"},
        .dg_form = {"(%x>=0 ? 1 : 0)", "(%x≥0 ? 1 : 0)", "IF(%x>=0,1,0)", PIECEWISE_TEX("1", "0")},
        .kink = "g'(0) of ReLU is undefined; taken as 1 (x >= 0)",
        .kinked = 1,
    },
    [ACT_LEAKY_RELU] = {
        .name = "leaky-relu", .aliases = "leaky_relu lrelu", .lecture = "CSE 575 (max(eps z, z))",
        .param_name = "slope", .param = 0.01,
        LEAKY,
        .kink = "g'(0) of leaky ReLU is undefined; taken as 1 (x >= 0)",
        .kinked = 1,
    },
    [ACT_PRELU] = {
        .name = "prelu", .aliases = "", .lecture = "CMSC 389A Lecture 3",
        .param_name = "slope", .param = 0.25,
        LEAKY,
        .kink = "g'(0) of PReLU is undefined; taken as 1 (x >= 0)",
        .kinked = 1,
    },
    [ACT_ELU] = {
        .name = "elu", .aliases = "", .lecture = "CMSC 389A Lecture 3",
        .param_name = "alpha", .param = 1.0,
        .g = elu_g, .dg = elu_dg,
        .g_form = {"(%x>=0 ? %x : %p*(exp(%x)-1))", "(%x≥0 ? %x : %p·(exp(%x)-1))",
                   "IF(%x>=0,%x,%p*(EXP(%x)-1))", PIECEWISE_TEX("%x", "%p (e^{%x}-1)")},
        /* the spreadsheet computes alpha e^x as elu_dg does, not the cancelling a + alpha */
        .dg_form = {"(%x>=0 ? 1 : %a+%p)", "(%x≥0 ? 1 : %a+%p)", "IF(%x>=0,1,%p*EXP(%x))",
                    PIECEWISE_TEX("1", "%a + %p")},
        .kinked = 1,                   /* g'(0-) = alpha, g'(0+) = 1 */
    },
    [ACT_SOFTPLUS] = {
        .name = "softplus", .aliases = "", .lecture = "CS 457/557 Lecture 07, CMSC 389A Lecture 3",
        .g = softplus_g, .dg = softplus_dg,
        /* the spreadsheet form does not overflow for large x */
        .g_form = {"ln(1+exp(%x))", "ln(1+exp(%x))", "MAX(%x,0)+LN(1+EXP(-ABS(%x)))", "\\ln(1+e^{%x})"},
        .dg_form = {"1/(1+exp(-%x))", "1/(1+exp(-%x))", "1/(1+EXP(-%x))", "\\frac{1}{1+e^{-%x}}"},
    },
    [ACT_SOFTMAX] = {              /* layer-wide: OP_ACT's row writes it (ops.c) */
        .name = "softmax", .aliases = "", .lecture = "COMP 5630/6630 Lecture 7, CSE 575 (output layer only)",
        .g_form = {"exp(%x)/sum_k exp(in_k)", "exp(%x)/Σ_k exp(in_k)", "", "\\frac{e^{%x}}{\\sum_k e^{in_k}}"},
        .dg_form = {"-", "-", "", "-"},
    },
};

/* ------------------------------------------------------------------------
 * Evaluation
 * ---------------------------------------------------------------------- */

double act_g(act_fn f, double v)
{
    if ((unsigned)f.kind >= ACT_COUNT || !ACT_ROWS[f.kind].g) return NAN;
    return ACT_ROWS[f.kind].g(v, f.param);
}

double act_dg(act_fn f, double v, double a, unsigned *notes)
{
    if ((unsigned)f.kind >= ACT_COUNT || !ACT_ROWS[f.kind].dg) return NAN;
    if (v == 0.0 && ACT_ROWS[f.kind].kink && notes) *notes |= EVAL_NOTE_KINK;
    return ACT_ROWS[f.kind].dg(v, a, f.param);
}

/* ------------------------------------------------------------------------
 * Names
 * ---------------------------------------------------------------------- */

const char *act_name(act_kind k) { return (unsigned)k < ACT_COUNT ? ACT_ROWS[k].name : "?"; }
const char *act_kink_note(act_kind k) { return (unsigned)k < ACT_COUNT ? ACT_ROWS[k].kink : NULL; }

size_t eval_notes(unsigned notes, act_kind k, const char *out[EVAL_MAX_NOTES])
{
    size_t n = 0;
    if ((notes & EVAL_NOTE_KINK) && act_kink_note(k)) out[n++] = act_kink_note(k);
    if (notes & EVAL_NOTE_LOG_GUARD) out[n++] = "a log argument below 1e-12 was taken as 1e-12";
    if (notes & EVAL_NOTE_CONSTANT) out[n++] = "the input is the same in every example, so its normalised value is taken as 0";
    return n;
}

/* Is s[0..len) one of the space-separated words of list, ignoring case? */
static int word_in(const char *list, const char *s, size_t len)
{
    while (*list) {
        size_t w = strcspn(list, " ");
        if (w == len) {
            size_t k = 0;
            while (k < len && tolower((unsigned char)s[k]) == list[k]) k++;
            if (k == len) return 1;
        }
        list += w + (list[w] == ' ');
    }
    return 0;
}

int act_parse(const char *s, act_fn *f)
{
    size_t len = strcspn(s, "(");
    int kind = -1;
    for (int k = 0; k < ACT_COUNT && kind < 0; k++)
        if (word_in(ACT_ROWS[k].name, s, len) || word_in(ACT_ROWS[k].aliases, s, len)) kind = k;
    if (kind < 0) return -1;
    f->kind = (act_kind)kind;
    f->param = ACT_ROWS[kind].param;
    if (s[len] == '\0') return 0;
    if (!ACT_ROWS[kind].param_name) return -1;        /* "(number)" only where the row takes one */
    char *end;
    double p = strtod(s + len + 1, &end);
    if (end == s + len + 1 || strcmp(end, ")") != 0 || !isfinite(p)) return -1;
    f->param = p;
    return 0;
}

int act_param_problem(const char *s, char *buf, size_t size)
{
    size_t len = strcspn(s, "(");
    int kind = -1;
    for (int k = 0; k < ACT_COUNT && kind < 0; k++)
        if (word_in(ACT_ROWS[k].name, s, len) || word_in(ACT_ROWS[k].aliases, s, len)) kind = k;
    if (kind < 0 || s[len] == '\0') return 0;
    const act_row *r = &ACT_ROWS[kind];
    if (!r->param_name) {
        char with[128] = "";
        int n = 0;
        for (int k = 0; k < ACT_COUNT; k++) {
            if (!ACT_ROWS[k].param_name) continue;
            int w = snprintf(with + n, sizeof with - (size_t)n, "%s%s(%c)", n ? ", " : "",
                             ACT_ROWS[k].name, ACT_ROWS[k].param_name[0]);
            if (w < 0 || (size_t)w >= sizeof with - (size_t)n) break;
            n += w;
        }
        snprintf(buf, size, "%s takes no parameter (these do: %s)", r->name, with);
    } else {
        snprintf(buf, size, "the %s of %s is a number in parentheses, as %s(%g), not '%s'",
                 r->param_name, r->name, r->name, r->param, s + len);
    }
    return 1;
}

void act_label(act_fn f, char *buf, size_t size)
{
    if ((unsigned)f.kind < ACT_COUNT && ACT_ROWS[f.kind].param_name)
        snprintf(buf, size, "%s(%g)", act_name(f.kind), f.param);
    else
        snprintf(buf, size, "%s", act_name(f.kind));
}

int act_known(char *buf, size_t size)
{
    int len = 0;
    for (int k = 0; k < ACT_COUNT; k++) {
        const act_row *r = &ACT_ROWS[k];
        int fits = buf && (size_t)len < size;
        char par[8] = "";
        if (r->param_name) snprintf(par, sizeof par, "(%c)", r->param_name[0]);   /* (s), (a) */
        int n = snprintf(fits ? buf + len : NULL, fits ? size - (size_t)len : 0, "%s%s%s",
                         k ? ", " : "", r->name, par);
        if (n < 0) return n;
        len += n;
    }
    return len;
}

int act_suggest(const char *word, char *buf, size_t size)
{
    const char *names[ACT_COUNT];
    for (int k = 0; k < ACT_COUNT; k++) names[k] = ACT_ROWS[k].name;
    char w[64];
    snprintf(w, sizeof w, "%.*s", (int)strcspn(word, "("), word);    /* leaky-rleu(0.1): its name */
    return suggest(w, names, ACT_COUNT, buf, size);
}
