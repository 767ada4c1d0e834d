/*
 * text_records.c - the trace as records: JSON and CSV (text.h).
 *
 * One record per quantity: id, canonical name, the name shown in the
 * notation (display, names.h), kind, pass, indices, step,
 * example, symbolic formula, substituted formula, then
 *   value     the exact value the engine computed;
 *   carried   the value its dependents used: rounded to the lesson's
 *             decimals in a hand-rounded trace (trace_operand_value), equal
 *             to value otherwise;
 *   notes     what the text trace says under it (eval_notes: a kink
 *             convention, a guarded log);
 *   operands  the names of the operands its formula reads (fr_reads: g'(in_3)
 *             = a_3*(1-a_3) reads a_3 only), in the formula's order.
 * So eval_apply over the operands' `carried` values gives `value`, bit for
 * bit (tests/test_records.c). Numbers are in the shortest form that reads
 * back as the same double (num_shortest, base/numfmt.h). Read by other tools, so the names
 * are always the canonical ones, whatever the notation.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formula.h"
#include "names.h"
#include "text.h"

#include "base/escape.h"
#include "base/numfmt.h"

static void json_str(strbuf *b, const char *s) { esc_json(b, s); }

static void json_num(strbuf *b, double v)
{
    char e[40];
    num_shortest(v, e, sizeof e);
    sb_printf(b, "%s", isfinite(v) ? e : "null");
}

/* The operands quantity q's formula reads, as flags over its operand list
 * in *reads (grown to q->nops; *cap its size); a constant reads none.
 * Returns 0, or -1 out of memory. */
static int record_reads(const quantity *q, unsigned char **reads, size_t *cap)
{
    if (q->nops > *cap) {
        unsigned char *nr = realloc(*reads, q->nops);
        if (!nr) return -1;
        *reads = nr;
        *cap = q->nops;
    }
    if (q->spec.op == OP_CONST) { if (q->nops) memset(*reads, 0, q->nops); return 0; }
    return fr_reads(&q->spec, q->notes, q->nops, *reads);
}

/* The symbolic and substituted forms of q into sym and sub (both reset
 * first; "" for a constant). Returns 0, or -1 out of memory. */
static int record_forms(const trace *tr, const quantity *q, int digits, strbuf *sym, strbuf *sub)
{
    sym->len = sub->len = 0;
    sb_printf(sym, "%s", "");
    sb_printf(sub, "%s", "");
    if (q->spec.op == OP_CONST) return sym->failed || sub->failed ? -1 : 0;
    double *vals = malloc((q->nops ? q->nops : 1) * sizeof *vals);
    if (!vals) return -1;
    text_formula(sym, tr, q, NULL, digits);
    text_operand_values(tr, q, vals);
    text_formula(sub, tr, q, vals, tr->round >= 0 ? tr->round : digits);
    free(vals);
    return sym->failed || sub->failed ? -1 : 0;
}

int text_print_json(FILE *out, const lesson *l, const engine_result *r, int digits, int notation)
{
    const trace *tr = r->tr;
    strbuf b = {0}, f = {0}, g = {0};
    char name[96], shown[192];
    if (fprintf(out, "[\n") < 0) return -1;
    int rc = 0;
    unsigned char *reads = NULL;
    size_t nreads = 0;
    for (size_t id = 0; id < tr->n && rc == 0; id++) {
        const quantity *q = &tr->q[id];
        trace_name(q, name, sizeof name);
        sb_printf(&b, "  {\"id\": %zu, \"name\": ", id);
        json_str(&b, name);
        names_render(l, notation, NAMES_ASCII, q, shown, sizeof shown);
        sb_printf(&b, ", \"display\": ");
        json_str(&b, shown);
        sb_printf(&b, ", \"kind\": \"%s\", \"pass\": \"%s\", \"j\": %d, \"i\": ",
                  trace_kind_name(q->kind), trace_pass_name(q->pass), q->j);
        if (q->i >= 0) sb_printf(&b, "%d", q->i); else sb_printf(&b, "null");
        sb_printf(&b, ", \"step\": %d, \"example\": %d, \"formula\": ", q->t, q->e);
        if (record_forms(tr, q, digits, &f, &g)) { rc = -1; break; }
        json_str(&b, f.s);
        sb_printf(&b, ", \"substituted\": ");
        json_str(&b, g.s);
        sb_printf(&b, ", \"value\": ");
        json_num(&b, q->value);
        sb_printf(&b, ", \"carried\": ");
        json_num(&b, trace_operand_value(tr, (uint32_t)id));
        const char *notes[EVAL_MAX_NOTES];
        size_t nn = eval_notes(q->notes, q->spec.act.kind, notes);
        sb_printf(&b, ", \"notes\": [");
        for (size_t k = 0; k < nn; k++) {
            if (k) sb_printf(&b, ", ");
            json_str(&b, notes[k]);
        }
        sb_printf(&b, "], \"operands\": [");
        if (record_reads(q, &reads, &nreads)) { rc = -1; break; }
        for (uint32_t k = 0, shown = 0; k < q->nops; k++) {
            if (!reads[k]) continue;
            trace_name(&tr->q[tr->ops[q->first + k]], name, sizeof name);
            if (shown++) sb_printf(&b, ", ");
            json_str(&b, name);
        }
        sb_printf(&b, "]}%s\n", id + 1 < tr->n ? "," : "");
        if (b.failed || f.failed || fputs(b.s, out) < 0) rc = -1;
        b.len = 0;
    }
    if (!rc && fprintf(out, "]\n") < 0) rc = -1;
    free(reads);
    sb_free(&b);
    sb_free(&f);
    sb_free(&g);
    return rc;
}


int text_print_csv(FILE *out, const lesson *l, const engine_result *r, int digits, int notation)
{
    const trace *tr = r->tr;
    strbuf b = {0}, f = {0}, g = {0};
    char name[96], shown[192], num[40];
    if (fprintf(out, "id,name,display,kind,pass,j,i,step,example,formula,substituted,value,carried,notes,operands\n") < 0)
        return -1;
    int rc = 0;
    unsigned char *reads = NULL;
    size_t nreads = 0;
    for (size_t id = 0; id < tr->n && rc == 0; id++) {
        const quantity *q = &tr->q[id];
        trace_name(q, name, sizeof name);
        sb_printf(&b, "%zu,", id);
        esc_csv(&b, name);
        sb_printf(&b, ",");
        names_render(l, notation, NAMES_ASCII, q, shown, sizeof shown);
        esc_csv(&b, shown);
        sb_printf(&b, ",%s,%s,%d,", trace_kind_name(q->kind), trace_pass_name(q->pass), q->j);
        if (q->i >= 0) sb_printf(&b, "%d", q->i);
        sb_printf(&b, ",%d,%d,", q->t, q->e);
        if (record_forms(tr, q, digits, &f, &g)) { rc = -1; break; }
        esc_csv(&b, f.s);
        sb_printf(&b, ",");
        esc_csv(&b, g.s);
        sb_printf(&b, ",");
        num_shortest(q->value, num, sizeof num);
        sb_printf(&b, "%s,", num);
        num_shortest(trace_operand_value(tr, (uint32_t)id), num, sizeof num);
        sb_printf(&b, "%s,", num);
        const char *notes[EVAL_MAX_NOTES];
        size_t nn = eval_notes(q->notes, q->spec.act.kind, notes);
        f.len = 0;
        sb_printf(&f, "%s", "");
        for (size_t k = 0; k < nn; k++) sb_printf(&f, "%s%s", k ? "; " : "", notes[k]);
        esc_csv(&b, f.s);
        sb_printf(&b, ",");
        if (record_reads(q, &reads, &nreads)) { rc = -1; break; }
        f.len = 0;
        sb_printf(&f, "%s", "");
        for (uint32_t k = 0, shown = 0; k < q->nops; k++) {
            if (!reads[k]) continue;
            trace_name(&tr->q[tr->ops[q->first + k]], name, sizeof name);
            sb_printf(&f, "%s%s", shown++ ? " " : "", name);
        }
        esc_csv(&b, f.s);
        sb_printf(&b, "\n");
        if (b.failed || f.failed || fputs(b.s, out) < 0) rc = -1;
        b.len = 0;
    }
    free(reads);
    sb_free(&b);
    sb_free(&f);
    sb_free(&g);
    return rc;
}

