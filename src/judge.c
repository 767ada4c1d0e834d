/*
 * judge.c - one student answer against the trace: correct, carried forward,
 * wrong. See judge.h for the rule; the ECF value comes from eval_apply over
 * the quantity's own op_spec, so this file holds no formula of a network.
 */
#include "judge.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/blank.h"
#include "base/numfmt.h"
#include "eval.h"

/* ------------------------------------------------------------------------
 * Numbers
 * ---------------------------------------------------------------------- */

#define JNUM_MAX_TEXT 400      /* longer "numbers" are not hand calculations */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int lower_eq(const char *s, size_t n, const char *word)
{
    if (strlen(word) != n) return 0;
    for (size_t k = 0; k < n; k++) {
        char c = s[k];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != word[k]) return 0;
    }
    return 1;
}

/* Copy s[a..b) into buf as plain ASCII for the grammar below: a Unicode
 * minus (U+2212) becomes '-', a decimal comma becomes '.'. A comma is a
 * decimal comma only when it is the one separator in the mantissa: no
 * thousands separators are accepted, so "1,234.5" and "1,2,3" are refused.
 * Returns the length, or -1 (with *st) when the text cannot be a number. */
static long normalise(const char *s, size_t a, size_t b, char *buf, size_t size, judge_num_status *st)
{
    size_t n = 0, commas = 0, points = 0;
    for (size_t k = a; k < b; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c == 0xE2 && k + 2 < b && (unsigned char)s[k + 1] == 0x88 && (unsigned char)s[k + 2] == 0x92) {
            c = '-';
            k += 2;
        } else if (c == ',') {
            commas++;
        } else if (c == '.') {
            points++;
        }
        if (n + 1 >= size) { *st = JNUM_SYNTAX; return -1; }
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    if (commas && (commas > 1 || points)) { *st = JNUM_COMMA; return -1; }
    char *comma = strchr(buf, ',');
    if (comma) *comma = '.';
    return (long)n;
}

/* One plain decimal buf[0..n): [+-] digits [. digits] [(e|E) [+-] digits].
 * Stores the value and the decimals written (counting the exponent). */
static judge_num_status plain_decimal(const char *buf, size_t n, double *value, long *decimals)
{
    size_t p = (n && (buf[0] == '+' || buf[0] == '-')) ? 1 : 0, int_digits = 0, frac_digits = 0;
    while (p < n && is_digit(buf[p])) { p++; int_digits++; }
    if (p < n && buf[p] == '.') {
        p++;
        while (p < n && is_digit(buf[p])) { p++; frac_digits++; }
    }
    if (int_digits + frac_digits == 0) return JNUM_SYNTAX;
    long expo = 0;
    if (p < n && (buf[p] == 'e' || buf[p] == 'E')) {
        p++;
        int neg = 0;
        if (p < n && (buf[p] == '+' || buf[p] == '-')) neg = buf[p++] == '-';
        size_t d0 = p;
        while (p < n && is_digit(buf[p])) {
            if (expo < 100000) expo = expo * 10 + (buf[p] - '0');
            p++;
        }
        if (p == d0) return JNUM_SYNTAX;
        if (neg) expo = -expo;
    }
    if (p != n) return JNUM_SYNTAX;
    char tmp[JNUM_MAX_TEXT + 1];
    memcpy(tmp, buf, n);
    tmp[n] = '\0';
    errno = 0;
    char *end;
    double v = strtod(tmp, &end);     /* validated above; the C locale's '.' */
    if (*end != '\0') return JNUM_SYNTAX;
    if (!isfinite(v) || (errno == ERANGE && fabs(v) >= 1.0)) return JNUM_RANGE;
    if (errno == ERANGE) return JNUM_TINY;          /* 1e-400: not silently 0 */
    *value = v;
    *decimals = (long)frac_digits - expo;
    return JNUM_OK;
}

judge_num_status judge_parse_number(const char *s, size_t len, double *value, int *decimals)
{
    size_t a = 0, b = len;
    blank_trim(s, &a, &b);     /* a no-break space pasted from a PDF too */
    if (a == b) return JNUM_EMPTY;
    if (s[b - 1] == '%') return JNUM_PERCENT;
    if (b - a > JNUM_MAX_TEXT) return JNUM_LONG;
    if (memchr(s + a, '\0', b - a)) return JNUM_SYNTAX;

    judge_num_status st = JNUM_SYNTAX;
    char buf[JNUM_MAX_TEXT + 1];
    long n = normalise(s, a, b, buf, sizeof buf, &st);
    if (n < 0) return st;

    /* nan / inf spelled out, with a sign */
    size_t w = (buf[0] == '+' || buf[0] == '-') ? 1 : 0;
    if (lower_eq(buf + w, (size_t)n - w, "nan") || lower_eq(buf + w, (size_t)n - w, "inf") ||
        lower_eq(buf + w, (size_t)n - w, "infinity"))
        return JNUM_NONFINITE;

    double v, den = 1.0;
    long d, dd;
    char *slash = memchr(buf, '/', (size_t)n);
    if (slash) {   /* a fraction a/b of two plain decimals: exact as written */
        size_t nn = (size_t)(slash - buf), nd = (size_t)n - nn - 1;
        if (nd && (slash[1] == '+' || slash[1] == '-')) return JNUM_SYNTAX;
        if ((st = plain_decimal(buf, nn, &v, &d)) || (st = plain_decimal(slash + 1, nd, &den, &dd)))
            return st;
        if (den == 0) return JNUM_ZERO_DIV;
        const int was_zero = v == 0;
        v /= den;
        if (!isfinite(v)) return JNUM_RANGE;
        if (v == 0 && !was_zero) return JNUM_TINY;   /* 1e-300/1e300: not silently 0 */
        d = JUDGE_EXACT_DECIMALS;
    } else if ((st = plain_decimal(buf, (size_t)n, &v, &d))) {
        return st;
    }
    if (v == 0) v = 0.0;                         /* -0 is 0 */
    *value = v;
    if (decimals) *decimals = d < 0 ? 0 : d > JUDGE_EXACT_DECIMALS ? JUDGE_EXACT_DECIMALS : (int)d;
    return JNUM_OK;
}

const char *judge_num_strerror(judge_num_status st)
{
    switch (st) {
    case JNUM_OK:        return "ok";
    case JNUM_EMPTY:     return "no number";
    case JNUM_SYNTAX:    return "not a number (write " JUDGE_NUMBER_FORMS ")";
    case JNUM_PERCENT:   return "a trailing % is not a number here; write 0.5474, not 54.74%";
    case JNUM_NONFINITE: return "nan and inf are not answers";
    case JNUM_RANGE:     return "too large for a number (more than about 1.8e308)";
    case JNUM_COMMA:     return "more than one separator: write one decimal point or comma and no "
                                "thousands separators (1234.5, not 1,234.5)";
    case JNUM_ZERO_DIV:  return "a fraction with denominator 0";
    case JNUM_TINY:      return "out of range: nearer 0 than a number can be (about 2.2e-308); write 0 if you mean 0";
    case JNUM_LONG:      return "too many digits for a number (more than 400 characters)";
    }
    return "?";
}

/* ------------------------------------------------------------------------
 * Matching
 * ---------------------------------------------------------------------- */

static const struct { const char *name; char letter; } VERDICT[] = {
    [JUDGE_MISSING] = {"missing", 'M'},
    [JUDGE_CORRECT] = {"correct", 'C'},
    [JUDGE_CARRIED] = {"carried forward", 'E'},
    [JUDGE_WRONG]   = {"wrong", 'W'},
    [JUDGE_SHORT]   = {"too few decimals", 'S'},
    [JUDGE_DEGENERATE] = {"degenerate carry", 'D'},
};
_Static_assert(sizeof VERDICT / sizeof VERDICT[0] == JUDGE_NVERDICTS, "one VERDICT row per verdict");

const char *judge_verdict_name(judge_verdict v)
{
    return (unsigned)v < JUDGE_NVERDICTS ? VERDICT[v].name : "?";
}

char judge_verdict_letter(judge_verdict v)
{
    return (unsigned)v < JUDGE_NVERDICTS ? VERDICT[v].letter : '?';
}

/* Half a unit of the d-th decimal. */
static double half_unit(int d) { return 0.5 * pow(10.0, -d); }

/* The tolerance rules of a judge_rule, in the order tol(r) tries them: the
 * first that applies to r gives tol(r). REL and SIGFIGS apply only to a
 * finite r != 0; ABS and DIGITS always apply. judge_tolerance evaluates
 * this list in C and judge_match_formula writes it as a spreadsheet
 * formula, so the two cannot try the rules in different orders. */
typedef enum { JT_ABS, JT_REL, JT_SIGFIGS, JT_DIGITS } jt_kind;

static int tol_rules(const judge_rule *rule, jt_kind out[4])
{
    int n = 0;
    if (rule->tol > 0) { out[n++] = JT_ABS; return n; }
    if (rule->rel > 0) out[n++] = JT_REL;
    if (rule->sigfigs > 0) out[n++] = JT_SIGFIGS;
    out[n++] = JT_DIGITS;
    return n;
}

/* The decade of ar > 0, floor(log10 ar), with a nudge of 1e-12 so that an
 * exact power of ten is its own decade wherever LOG10 is an ulp low
 * (gnumeric's LOG10(1e-7) is -7.000000000000001); the spreadsheet formula
 * writes the same nudge (DECADE_XL). */
#define DECADE_NUDGE 1e-12
#define DECADE_XL(r) "INT(LOG10(ABS(" r "))+1E-12)"
static double decade(double ar) { return floor(log10(ar) + DECADE_NUDGE); }

static int rule_digits(const judge_rule *rule)
{
    return rule->digits < 0 ? 0 : rule->digits > 15 ? 15 : rule->digits;
}

double judge_tolerance(const judge_rule *rule, double r)
{
    double ar = fabs(r);
    int nonzero = isfinite(ar) && ar > 0;
    jt_kind k[4];
    int n = tol_rules(rule, k);
    for (int m = 0; m < n; m++) {
        switch (k[m]) {
        case JT_ABS:
            return rule->tol;
        case JT_REL:
            if (nonzero) return rule->rel * ar;
            break;
        case JT_SIGFIGS:
            if (nonzero) return 0.5 * pow(10.0, decade(ar) - (rule->sigfigs - 1));
            break;
        case JT_DIGITS: {
            int d = rule_digits(rule);
            if (!nonzero || ar >= half_unit(d)) return half_unit(d);
            /* shown as d.ddd e-N with D significant digits (text_num) */
            return 0.5 * pow(10.0, decade(ar) - (d > 1 ? d - 1 : 1));
        }
        }
    }
    return half_unit(rule_digits(rule));    /* not reached: DIGITS always applies */
}

int judge_match(const judge_rule *rule, double s, double r)
{
    if (!isfinite(s) || !isfinite(r)) return 0;
    return fabs(s - r) <= judge_tolerance(rule, r) * JUDGE_MATCH_SLACK;
}

/* A number as a formula reads it back exactly. */
static void put_num(strbuf *b, double v)
{
    char t[NUM_SHORTEST_MAX];
    if (num_shortest(v, t, sizeof t)) snprintf(t, sizeof t, "%.17g", v);
    sb_printf(b, "%s", t);
}

void judge_match_formula(strbuf *b, const judge_rule *rule, const char *s, const char *r)
{
    jt_kind k[4];
    int n = tol_rules(rule, k), open = 0;
    sb_printf(b, "ABS(%s-%s)<=(", s, r);
    for (int m = 0; m < n; m++) {
        switch (k[m]) {
        case JT_ABS:
            put_num(b, rule->tol);
            break;
        case JT_REL:
            sb_printf(b, "IF(ABS(%s)>0,", r);
            put_num(b, rule->rel);
            sb_printf(b, "*ABS(%s),", r);
            open++;
            break;
        case JT_SIGFIGS:
            sb_printf(b, "IF(ABS(%s)>0,0.5*10^(" DECADE_XL("%s") "-%d),", r, r, rule->sigfigs - 1);
            open++;
            break;
        case JT_DIGITS: {
            int d = rule_digits(rule);
            sb_printf(b, "IF(OR(ABS(%s)=0,ABS(%s)>=0.5*10^-%d),0.5*10^-%d,0.5*10^(" DECADE_XL("%s") "-%d))",
                      r, r, d, d, r, d > 1 ? d - 1 : 1);
            break;
        }
        }
    }
    for (; open > 0; open--) sb_printf(b, ")");
    sb_printf(b, ")*");
    put_num(b, JUDGE_MATCH_SLACK);
}

/* ------------------------------------------------------------------------
 * Sheets and verdicts
 * ---------------------------------------------------------------------- */

/* Is quantity b the same as a one iteration earlier (same kind, neurons
 * and example, t - 1)? */
static uint64_t earlier_key(const quantity *q, int dt)
{
    uint64_t k = (uint64_t)q->kind;
    k = k * 1000003u + (uint32_t)q->i;
    k = k * 1000003u + (uint32_t)q->j;
    k = k * 1000003u + (uint32_t)q->e;
    k = k * 1000003u + (uint32_t)(q->t - dt);
    return k;
}

static int same_but_t(const quantity *a, const quantity *b)
{
    return a->kind == b->kind && a->i == b->i && a->j == b->j && a->e == b->e && a->t == b->t + 1;
}

/* earlier[id]: the same quantity at iteration t - 1, by one hash of the
 * trace (open addressing over ids). Returns 0, or -1 out of memory. */
static int link_earlier(const trace *tr, long *earlier)
{
    size_t n = tr->n, cap = 16;
    while (cap < 2 * n + 2) cap *= 2;
    long *slot = malloc(cap * sizeof *slot);
    if (!slot) return -1;
    for (size_t k = 0; k < cap; k++) slot[k] = -1;
    for (size_t id = 0; id < n; id++) {
        const quantity *q = &tr->q[id];
        earlier[id] = -1;
        if (q->t > 0)
            for (size_t h = earlier_key(q, 1) & (cap - 1); slot[h] >= 0; h = (h + 1) & (cap - 1))
                if (same_but_t(q, &tr->q[slot[h]])) { earlier[id] = slot[h]; break; }
        size_t h = earlier_key(q, 0) & (cap - 1);
        while (slot[h] >= 0) h = (h + 1) & (cap - 1);
        slot[h] = (long)id;
    }
    free(slot);
    return 0;
}

judge_sheet *judge_sheet_new(const trace *tr)
{
    judge_sheet *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    size_t n = tr->n;
    s->n = n;
    s->value = calloc(n + 1, sizeof *s->value);
    s->given = calloc(n + 1, 1);
    s->verdict = calloc(n + 1, 1);
    s->depth = calloc(n + 1, sizeof *s->depth);
    s->world = calloc(n + 1, sizeof *s->world);
    s->hworld = calloc(n + 1, sizeof *s->hworld);
    s->origin = calloc(n + 1, sizeof *s->origin);
    s->earlier = calloc(n + 1, sizeof *s->earlier);
    s->taint = calloc(n + 1, 1);
    s->err_of = malloc((n + 1) * sizeof *s->err_of);
    if (!s->value || !s->given || !s->verdict || !s->depth || !s->world || !s->hworld || !s->origin || !s->earlier ||
        !s->taint || !s->err_of || link_earlier(tr, s->earlier)) {
        judge_sheet_free(s);
        return NULL;
    }
    for (size_t id = 0; id < n; id++) s->err_of[id] = -1;
    for (size_t id = 0; id < n; id++) {          /* err_j = y_j - a_j reads a_j second */
        const quantity *q = &tr->q[id];
        if (q->spec.op == OP_ERR && q->nops == 2) s->err_of[tr->ops[q->first + 1]] = (long)id;
    }
    return s;
}

void judge_sheet_free(judge_sheet *s)
{
    if (!s) return;
    free(s->value);
    free(s->given);
    free(s->verdict);
    free(s->depth);
    free(s->world);
    free(s->hworld);
    free(s->origin);
    free(s->earlier);
    free(s->taint);
    free(s->err_of);
    free(s);
}

void judge_record(judge_sheet *sheet, size_t id, double value, judge_verdict v)
{
    if (id >= sheet->n) return;
    sheet->value[id] = value;
    sheet->given[id] = 1;
    sheet->verdict[id] = (unsigned char)v;
    sheet->depth[id] = 0;
    if (sheet->world_upto > id) sheet->world_upto = id;   /* later world values change */
}

void judge_record_result(judge_sheet *sheet, size_t id, double value, const judge_result *res)
{
    judge_record(sheet, id, value, res->verdict);
    if (id < sheet->n) sheet->depth[id] = (uint16_t)(res->depth > 65535 ? 65535 : res->depth);
}

/* Bring the student's world up to (not including) id: each quantity's
 * value from the student's answers, through eval_apply; and the hand world,
 * the same with each value rounded to hand_digits (< 0: none) as it is
 * computed. Returns 0, or -1 out of memory. */
static int world_upto(const trace *tr, judge_sheet *sheet, size_t id, int hand_digits)
{
    double stack[128], *x = stack, *h = stack + 64;
    size_t cap = 64;
    for (size_t k = sheet->world_upto; k < id; k++) {
        const quantity *q = &tr->q[k];
        sheet->taint[k] = 0;
        sheet->origin[k] = -1;
        if (sheet->given[k]) {
            sheet->world[k] = sheet->hworld[k] = sheet->value[k];
            sheet->taint[k] = sheet->verdict[k] == JUDGE_DEGENERATE;
            if (sheet->verdict[k] != JUDGE_CORRECT) sheet->origin[k] = (long)k;
            continue;
        }
        if (q->spec.op == OP_CONST) {
            sheet->world[k] = sheet->hworld[k] = trace_operand_value(tr, (uint32_t)k);
            continue;
        }
        sheet->depth[k] = 0;
        if (q->nops > cap) {
            double *y = realloc(x == stack ? NULL : x, 2 * q->nops * sizeof *y);
            if (!y) { if (x != stack) free(x); return -1; }
            x = y;
            h = y + q->nops;
            cap = q->nops;
        }
        for (uint32_t m = 0; m < q->nops; m++) {
            uint32_t op = tr->ops[q->first + m];
            x[m] = sheet->world[op];
            h[m] = sheet->hworld[op];
            sheet->taint[k] |= sheet->taint[op];
            if (sheet->origin[k] < 0) sheet->origin[k] = sheet->origin[op];
            if (sheet->depth[op] > sheet->depth[k]) sheet->depth[k] = sheet->depth[op];
        }
        sheet->world[k] = eval_apply(&q->spec, x, q->nops, NULL);
        if (tr->round >= 0) sheet->world[k] = round_dp(sheet->world[k], tr->round);
        sheet->hworld[k] = sheet->world[k];
        if (hand_digits >= 0) sheet->hworld[k] = round_dp(eval_apply(&q->spec, h, q->nops, NULL), hand_digits);
    }
    if (x != stack) free(x);
    if (sheet->world_upto < id) sheet->world_upto = id;
    return 0;
}

void judge_operand_values(const trace *tr, const judge_sheet *sheet, size_t id, double *vals)
{
    const quantity *q = &tr->q[id];
    for (uint32_t k = 0; k < q->nops; k++) {
        uint32_t op = tr->ops[q->first + k];
        vals[k] = (op < sheet->n && sheet->given[op]) ? sheet->value[op] : trace_operand_value(tr, op);
    }
}

double judge_ecf_value(const trace *tr, const judge_sheet *sheet, size_t id, int *differs,
                       unsigned *first_bad)
{
    if (differs) *differs = 0;
    if (id >= tr->n || id >= sheet->n) return NAN;
    const quantity *q = &tr->q[id];
    if (q->spec.op == OP_CONST) return NAN;
    double stack[64] = {0}, *x = stack;
    if (q->nops > 64 && !(x = malloc(q->nops * sizeof *x))) return NAN;
    int diff = 0;
    for (uint32_t k = 0; k < q->nops; k++) {
        uint32_t op = tr->ops[q->first + k];
        if (op < sheet->n && sheet->given[op]) {
            x[k] = sheet->value[op];
            if (sheet->verdict[op] != JUDGE_CORRECT && !diff) {
                diff = 1;
                if (first_bad) *first_bad = op;
            }
        } else {
            x[k] = trace_operand_value(tr, op);
        }
    }
    double v = eval_apply(&q->spec, x, q->nops, NULL);
    if (x != stack) free(x);
    if (differs) *differs = diff;
    return v;
}

/* The forms of a quantity a lecture may compute a carried answer by, each
 * through eval_apply over the quantity's own operation:
 *   FORM_OWN    operands the student gave, the engine's values for the rest;
 *   FORM_WORLD  every operand from the student's world (an operand the
 *               student skipped is recomputed from their answers: a delta
 *               from y, a and g' as well as from err and g');
 *   FORM_ERR    each activation a_j replaced by the y_j - err_j the
 *               student's own err_j stands for (J from err_j as well as from
 *               y_j and a_j), the inverse of err's own operation;
 *   FORM_HAND   FORM_WORLD with every recomputed operand rounded to the
 *               printed digits, as the sheet tells the student to carry
 *               them (delta_3 from a g'(in_3) = a_3 (1 - a_3) that the
 *               student rounded and the sheet does not ask). */
enum { FORM_OWN, FORM_WORLD, FORM_ERR, FORM_HAND, FORM_COUNT };

/* Operand values of quantity id in the given form into x[nops]; *src
 * collects (up to max) the ids the values came from that are off the
 * engine's: the sources of the carry. Returns the count of sources, or -1
 * when the form does not apply. */
static int form_operands(const trace *tr, const judge_sheet *sheet, const judge_rule *rule, size_t id,
                         int form, double *x, uint32_t *src, int max)
{
    const quantity *q = &tr->q[id];
    int n_src = 0, used = 0;
    for (uint32_t k = 0; k < q->nops; k++) {
        uint32_t op = tr->ops[q->first + k];
        double engine = trace_operand_value(tr, op);
        uint32_t from = op;
        x[k] = engine;
        if (form == FORM_OWN) {
            if (sheet->given[op]) x[k] = sheet->value[op];
        } else if (form == FORM_WORLD) {
            x[k] = sheet->world[op];
        } else if (form == FORM_HAND) {
            x[k] = sheet->hworld[op];
        } else {
            long e = sheet->err_of[op];
            if (sheet->given[op]) x[k] = sheet->value[op];
            if (e >= 0 && sheet->given[e] && sheet->verdict[e] != JUDGE_CORRECT && (size_t)e < id) {
                /* solve err(y, a) = the student's err for a: err is affine in a */
                const quantity *E = &tr->q[e];
                double v[2] = {trace_operand_value(tr, tr->ops[E->first]), 0};
                double f0 = eval_apply(&E->spec, v, 2, NULL);
                v[1] = 1;
                double slope = eval_apply(&E->spec, v, 2, NULL) - f0;
                if (slope != 0 && isfinite(slope)) {
                    x[k] = (sheet->value[e] - f0) / slope;
                    from = (uint32_t)e;
                    used = 1;
                }
            }
        }
        int off = sheet->given[from] ? sheet->verdict[from] != JUDGE_CORRECT
                                     : !judge_match(rule, x[k], engine);
        if (off && n_src < max) src[n_src++] = from;
    }
    if (form == FORM_ERR && !used) return -1;
    return n_src;
}

/* Does every operand matter to the carried value? x[nops] are the operand
 * values the carry was computed from (a form_operands form). Operand k is
 * left out when the operation over x with x[k] = 0 still gives value,
 * although over the engine's operands setting operand k to 0 changes the
 * true value beyond its tolerance: a made-up number so large that the
 * others are absorbed by rounding (w - alpha * 1e20 is -alpha * 1e20
 * whatever w is), or a zero factor such as a bare 0 written for a nonzero
 * quantity. A carried value of 0 is left to the rules below (a ReLU of a
 * wrong negative net input is an honest 0). Returns the first such
 * operand's id, or -1 (also when out of memory: no verdict is harsher
 * for it). Evaluates through eval_apply only. */
static long operand_left_out(const trace *tr, const judge_rule *rule, size_t id, double value, double *x)
{
    const quantity *q = &tr->q[id];
    if (judge_match(rule, value, 0) || !isfinite(value)) return -1;
    double stack[64], *e = q->nops <= 64 ? stack : malloc(q->nops * sizeof *e);
    if (!e) return -1;
    for (uint32_t k = 0; k < q->nops; k++) e[k] = trace_operand_value(tr, tr->ops[q->first + k]);
    long out = -1;
    for (uint32_t k = 0; k < q->nops && out < 0; k++) {
        double xk = x[k], ek = e[k];
        x[k] = 0;
        e[k] = 0;
        double mine = eval_apply(&q->spec, x, q->nops, NULL), truth = eval_apply(&q->spec, e, q->nops, NULL);
        x[k] = xk;
        e[k] = ek;
        if (judge_match(rule, value, mine) && !judge_match(rule, truth, q->value)) out = tr->ops[q->first + k];
    }
    if (e != stack) free(e);
    return out;
}

/* Is the carry that gives value (from operand values x, sources src[])
 * degenerate? Sets res->why and why_id. */
static void degenerate(const trace *tr, const judge_sheet *sheet, const judge_rule *rule, size_t id,
                       double value, double *x, const uint32_t *src, int n_src, judge_result *res)
{
    const quantity *q = &tr->q[id];
    for (int k = 0; k < n_src && !res->why; k++) {
        uint32_t s = src[k];
        double sv = sheet->given[s] ? sheet->value[s] : sheet->world[s];
        double truth = trace_operand_value(tr, s);
        if (sheet->taint[s] || (sheet->given[s] && sheet->verdict[s] == JUDGE_DEGENERATE)) {
            res->why = JDEG_FROM;
            res->why_id = s;
        } else if (sheet->given[s] && sheet->verdict[s] == JUDGE_WRONG && judge_match(rule, sv, 0) &&
                   !judge_match(rule, truth, 0)) {
            res->why = JDEG_ZERO;                /* a bare 0 written for a nonzero quantity */
            res->why_id = s;
        }
    }
    /* a copy: of an operand, or of the same quantity one iteration earlier,
     * whose true value differs from this one's */
    for (uint32_t k = 0; k <= q->nops && !res->why; k++) {
        long c = k < q->nops ? (long)tr->ops[q->first + k] : sheet->earlier[id];
        if (c < 0) continue;
        double cv = sheet->given[c] ? sheet->value[c] : sheet->world[c];
        if (judge_match(rule, value, cv) && !judge_match(rule, q->value, tr->q[c].value)) {
            res->why = JDEG_COPY;
            res->why_id = (unsigned)c;
        }
    }
    long out = res->why ? -1 : operand_left_out(tr, rule, id, value, x);
    if (out >= 0) {
        res->why = JDEG_IGNORED;
        res->why_id = (unsigned)out;
    }
}

/* Is the tolerance half a unit of the rule's digits (no tol, rel or sigfigs)? */
static int half_unit_rule(const judge_rule *rule)
{
    return !(rule->tol > 0) && !(rule->rel > 0) && rule->sigfigs <= 0;
}

int judge_short_allowed(const judge_rule *rule, int decimals)
{
    return half_unit_rule(rule) && decimals >= 1 && decimals >= rule->digits - 1 && decimals < rule->digits;
}

int judge_answer_d(const trace *tr, judge_sheet *sheet, size_t id, double value, int decimals,
                   const judge_rule *rule, judge_result *res)
{
    memset(res, 0, sizeof *res);
    res->verdict = JUDGE_MISSING;
    res->truth = res->ecf = res->hand = NAN;
    if (id >= tr->n || id >= sheet->n) return -1;
    const quantity *q = &tr->q[id];
    res->truth = q->value;
    res->tol = judge_tolerance(rule, q->value);
    int differs = 0;
    unsigned bad = 0;
    if (q->spec.op != OP_CONST) {
        res->ecf = judge_ecf_value(tr, sheet, id, &differs, &bad);
        if (isnan(res->ecf) && q->nops > 64) return -1;   /* allocation failed */
        if (world_upto(tr, sheet, id, rule->hand ? rule->digits : -1)) return -1;
    }
    res->ecf_differs = differs;
    res->first_bad = bad;
    const trace *h = rule->hand;
    if (h && h->n == tr->n && h->q[id].kind == q->kind && h->q[id].nops == q->nops)
        res->hand = h->q[id].value;
    if (judge_match(rule, value, q->value) || judge_match(rule, value, res->hand) ||
        (!differs && judge_match(rule, value, res->ecf))) {
        res->verdict = JUDGE_CORRECT;
        return 0;
    }
    res->verdict = JUDGE_WRONG;
    if (q->spec.op != OP_CONST) {
        double stack[64], *x = q->nops <= 64 ? stack : malloc(q->nops * sizeof *x);
        uint32_t src[16];
        if (!x) return -1;
        for (int form = 0; form < FORM_COUNT && res->verdict == JUDGE_WRONG; form++) {
            int n_src = form_operands(tr, sheet, rule, id, form, x, src, 16);
            if (n_src <= 0) continue;
            double ecf = eval_apply(&q->spec, x, q->nops, NULL);
            if (!judge_match(rule, value, ecf)) continue;
            res->verdict = JUDGE_CARRIED;
            res->ecf = ecf;
            res->ecf_differs = 1;
            /* the student's own answer it follows from, not a quantity the
             * sheet does not ask that was recomputed from it */
            res->first_bad = src[0];
            if (!sheet->given[src[0]] && sheet->origin[src[0]] >= 0) res->first_bad = (unsigned)sheet->origin[src[0]];
            for (int k = 0; k < n_src; k++)
                if (sheet->depth[src[k]] + 1 > res->depth) res->depth = sheet->depth[src[k]] + 1;
            res->too_deep = rule->ecf_depth_set && res->depth > rule->ecf_depth;
            degenerate(tr, sheet, rule, id, value, x, src, n_src, res);
            if (res->why) res->verdict = JUDGE_DEGENERATE;
            /* carried from answers whose only fault was too few decimals,
             * and itself written with too few: the same fault */
            int short_only = judge_short_allowed(rule, decimals);
            for (int k = 0; short_only && k < n_src; k++)
                if (!sheet->given[src[k]] || sheet->verdict[src[k]] != JUDGE_SHORT) short_only = 0;
            if (short_only && !res->why) { res->verdict = JUDGE_SHORT; res->decimals = decimals; }
        }
        if (x != stack) free(x);
    }
    if (res->verdict == JUDGE_WRONG && judge_short_allowed(rule, decimals)) {
        /* right to the student's own last digit, but fewer digits than asked */
        judge_rule own = {.digits = decimals};
        if (judge_match(&own, value, q->value) || judge_match(&own, value, res->hand)) {
            res->verdict = JUDGE_SHORT;
            res->decimals = decimals;
        }
    }
    if (res->verdict == JUDGE_WRONG && half_unit_rule(rule) && decimals >= 0 && decimals < rule->digits) {
        res->few_decimals = 1;
        res->decimals = decimals;
    }
    return 0;
}

int judge_answer(const trace *tr, judge_sheet *sheet, size_t id, double value,
                 const judge_rule *rule, judge_result *res)
{
    return judge_answer_d(tr, sheet, id, value, -1, rule, res);
}

int judge_and_record(const trace *tr, judge_sheet *sheet, size_t id, double value,
                     const judge_rule *rule, judge_result *res)
{
    if (judge_answer(tr, sheet, id, value, rule, res)) return -1;
    judge_record_result(sheet, id, value, res);
    return 0;
}
