/*
 * judge.c - one student answer against the trace: correct, carried forward,
 * wrong. See judge.h for the rule; the ECF value comes from eval_apply over
 * the quantity's own op_spec, so this file holds no formula of a network.
 */
#include "judge.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

/* ------------------------------------------------------------------------
 * Numbers
 * ---------------------------------------------------------------------- */

#define JNUM_MAX_TEXT 400      /* longer "numbers" are not hand calculations */

static int is_blank(char c) { return c == ' ' || c == '\t'; }
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

judge_num_status judge_parse_number(const char *s, size_t len, double *value, int *decimals)
{
    size_t a = 0, b = len;
    while (a < b && is_blank(s[a])) a++;
    while (b > a && is_blank(s[b - 1])) b--;
    if (a == b) return JNUM_EMPTY;
    if (s[b - 1] == '%') return JNUM_PERCENT;

    /* nan / inf spelled out, with a sign */
    size_t w = a + ((s[a] == '+' || s[a] == '-') ? 1 : 0);
    if (lower_eq(s + w, b - w, "nan") || lower_eq(s + w, b - w, "inf") ||
        lower_eq(s + w, b - w, "infinity"))
        return JNUM_NONFINITE;
    if (b - a > JNUM_MAX_TEXT) return JNUM_SYNTAX;

    /* [+-] digits [. digits] [(e|E) [+-] digits] */
    size_t p = w, int_digits = 0, frac_digits = 0;
    while (p < b && is_digit(s[p])) { p++; int_digits++; }
    if (p < b && s[p] == ',' && int_digits && p + 1 < b && is_digit(s[p + 1])) {
        size_t q = p + 1;
        while (q < b && is_digit(s[q])) q++;
        if (q == b) return JNUM_COMMA;
    }
    if (p < b && s[p] == '.') {
        p++;
        while (p < b && is_digit(s[p])) { p++; frac_digits++; }
    }
    if (int_digits + frac_digits == 0) return JNUM_SYNTAX;
    long expo = 0;
    if (p < b && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        int neg = 0;
        if (p < b && (s[p] == '+' || s[p] == '-')) neg = s[p++] == '-';
        size_t d0 = p;
        while (p < b && is_digit(s[p])) {
            if (expo < 100000) expo = expo * 10 + (s[p] - '0');
            p++;
        }
        if (p == d0) return JNUM_SYNTAX;
        if (neg) expo = -expo;
    }
    if (p != b) return JNUM_SYNTAX;

    /* validated: strtod on a NUL-terminated copy (the C locale's '.') */
    char buf[JNUM_MAX_TEXT + 1];
    memcpy(buf, s + a, b - a);
    buf[b - a] = '\0';
    errno = 0;
    char *end;
    double v = strtod(buf, &end);
    if (*end != '\0') return JNUM_SYNTAX;
    if (!isfinite(v)) return JNUM_RANGE;
    if (errno == ERANGE && fabs(v) >= 1.0) return JNUM_RANGE;
    if (v == 0) v = 0.0;                         /* -0 is 0 */
    *value = v;
    if (decimals) {
        long d = (long)frac_digits - expo;
        *decimals = d < 0 ? 0 : d > 1000 ? 1000 : (int)d;
    }
    return JNUM_OK;
}

const char *judge_num_strerror(judge_num_status st)
{
    switch (st) {
    case JNUM_OK:        return "ok";
    case JNUM_EMPTY:     return "no number";
    case JNUM_SYNTAX:    return "not a decimal number";
    case JNUM_PERCENT:   return "a trailing % is not a number here; write 0.5474, not 54.74%";
    case JNUM_NONFINITE: return "nan and inf are not answers";
    case JNUM_RANGE:     return "too large for a number (more than about 1.8e308)";
    case JNUM_COMMA:     return "a decimal comma; write a point: 0.5474";
    }
    return "?";
}

/* ------------------------------------------------------------------------
 * Matching
 * ---------------------------------------------------------------------- */

const char *judge_verdict_name(judge_verdict v)
{
    switch (v) {
    case JUDGE_MISSING: return "missing";
    case JUDGE_CORRECT: return "correct";
    case JUDGE_CARRIED: return "carried forward";
    case JUDGE_WRONG:   return "wrong";
    }
    return "?";
}

double judge_tolerance(const judge_rule *rule, double r)
{
    if (rule->tol > 0) return rule->tol;
    int d = rule->digits < 0 ? 0 : rule->digits > 15 ? 15 : rule->digits;
    double unit = pow(10.0, -d);
    double ar = fabs(r);
    if (!isfinite(ar) || ar == 0 || ar >= 0.5 * unit) return 0.5 * unit;
    /* shown as d.ddd e-N with D significant digits (text_num) */
    double e = floor(log10(ar));
    return 0.5 * pow(10.0, e - (d > 1 ? d - 1 : 1));
}

int judge_match(const judge_rule *rule, double s, double r)
{
    if (!isfinite(s) || !isfinite(r)) return 0;
    return fabs(s - r) <= judge_tolerance(rule, r) * (1 + 1e-9);
}

/* ------------------------------------------------------------------------
 * Sheets and verdicts
 * ---------------------------------------------------------------------- */

judge_sheet *judge_sheet_new(const trace *tr)
{
    judge_sheet *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    size_t n = tr->n;
    s->n = n;
    s->value = calloc(n + 1, sizeof *s->value);
    s->given = calloc(n + 1, 1);
    s->verdict = calloc(n + 1, 1);
    if (!s->value || !s->given || !s->verdict) {
        judge_sheet_free(s);
        return NULL;
    }
    return s;
}

void judge_sheet_free(judge_sheet *s)
{
    if (!s) return;
    free(s->value);
    free(s->given);
    free(s->verdict);
    free(s);
}

void judge_record(judge_sheet *sheet, size_t id, double value, judge_verdict v)
{
    if (id >= sheet->n) return;
    sheet->value[id] = value;
    sheet->given[id] = 1;
    sheet->verdict[id] = (unsigned char)v;
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

int judge_answer(const trace *tr, const judge_sheet *sheet, size_t id, double value,
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
    }
    res->ecf_differs = differs;
    res->first_bad = bad;
    const trace *h = rule->hand;
    if (h && h->n == tr->n && h->q[id].kind == q->kind && h->q[id].nops == q->nops)
        res->hand = h->q[id].value;
    if (judge_match(rule, value, q->value) || judge_match(rule, value, res->hand) ||
        (!differs && judge_match(rule, value, res->ecf)))
        res->verdict = JUDGE_CORRECT;
    else if (differs && judge_match(rule, value, res->ecf))
        res->verdict = JUDGE_CARRIED;
    else
        res->verdict = JUDGE_WRONG;
    return 0;
}

int judge_and_record(const trace *tr, judge_sheet *sheet, size_t id, double value,
                     const judge_rule *rule, judge_result *res)
{
    if (judge_answer(tr, sheet, id, value, rule, res)) return -1;
    judge_record(sheet, id, value, res->verdict);
    return 0;
}
