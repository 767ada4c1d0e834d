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

/* The record's fields, in the order both forms write them: the JSON keys
 * and the CSV header are these names. */
typedef enum { RF_TEXT, RF_INT, RF_INDEX, RF_NUM, RF_LIST } rf_type;
enum {
    R_ID, R_NAME, R_DISPLAY, R_KIND, R_PASS, R_J, R_I, R_STEP, R_EXAMPLE,
    R_FORMULA, R_SUBSTITUTED, R_VALUE, R_CARRIED, R_NOTES, R_OPERANDS, R_COUNT
};
static const struct {
    const char *key;
    rf_type     type;     /* RF_INDEX: an index that may be absent (-1) */
    const char *csv_sep;  /* RF_LIST: what joins the items in one CSV cell */
} FIELD[R_COUNT] = {
    [R_ID]          = {.key = "id", .type = RF_INT},
    [R_NAME]        = {.key = "name", .type = RF_TEXT},
    [R_DISPLAY]     = {.key = "display", .type = RF_TEXT},
    [R_KIND]        = {.key = "kind", .type = RF_TEXT},
    [R_PASS]        = {.key = "pass", .type = RF_TEXT},
    [R_J]           = {.key = "j", .type = RF_INT},
    [R_I]           = {.key = "i", .type = RF_INDEX},
    [R_STEP]        = {.key = "step", .type = RF_INT},
    [R_EXAMPLE]     = {.key = "example", .type = RF_INT},
    [R_FORMULA]     = {.key = "formula", .type = RF_TEXT},
    [R_SUBSTITUTED] = {.key = "substituted", .type = RF_TEXT},
    [R_VALUE]       = {.key = "value", .type = RF_NUM},
    [R_CARRIED]     = {.key = "carried", .type = RF_NUM},
    [R_NOTES]       = {.key = "notes", .type = RF_LIST, .csv_sep = "; "},
    [R_OPERANDS]    = {.key = "operands", .type = RF_LIST, .csv_sep = " "},
};

/* One field's value: n (RF_INT, RF_INDEX), x (RF_NUM), s (RF_TEXT; RF_LIST:
 * the items, each ended by '\n', which no name or note holds). */
typedef struct { long n; double x; const char *s; } rf_val;

/* What one record's fields point into, kept from record to record. */
typedef struct {
    char name[96], shown[192];
    strbuf sym, sub, notes, ops;
    unsigned char *reads;
    size_t nreads;
} rf_bufs;

/* The fields of quantity id into v (pointing into rb). 0, or -1 out of memory. */
static int record_fill(rf_bufs *rb, const lesson *l, const trace *tr, size_t id, int digits,
                       int notation, rf_val v[R_COUNT])
{
    const quantity *q = &tr->q[id];
    trace_name(q, rb->name, sizeof rb->name);
    names_render(l, notation, NAMES_ASCII, q, rb->shown, sizeof rb->shown);
    if (record_forms(tr, q, digits, &rb->sym, &rb->sub)) return -1;
    const char *notes[EVAL_MAX_NOTES];
    size_t nn = eval_notes(q->notes, q->spec.act.kind, notes);
    rb->notes.len = rb->ops.len = 0;
    sb_printf(&rb->notes, "%s", "");
    sb_printf(&rb->ops, "%s", "");
    for (size_t k = 0; k < nn; k++) sb_printf(&rb->notes, "%s\n", notes[k]);
    if (record_reads(q, &rb->reads, &rb->nreads)) return -1;
    char op[96];
    for (uint32_t k = 0; k < q->nops; k++) {
        if (!rb->reads[k]) continue;
        trace_name(&tr->q[tr->ops[q->first + k]], op, sizeof op);
        sb_printf(&rb->ops, "%s\n", op);
    }
    if (rb->notes.failed || rb->ops.failed) return -1;
    v[R_ID].n = (long)id;
    v[R_NAME].s = rb->name;
    v[R_DISPLAY].s = rb->shown;
    v[R_KIND].s = trace_kind_name(q->kind);
    v[R_PASS].s = trace_pass_name(q->pass);
    v[R_J].n = q->j;
    v[R_I].n = q->i;
    v[R_STEP].n = q->t;
    v[R_EXAMPLE].n = q->e;
    v[R_FORMULA].s = rb->sym.s;
    v[R_SUBSTITUTED].s = rb->sub.s;
    v[R_VALUE].x = q->value;
    v[R_CARRIED].x = trace_operand_value(tr, (uint32_t)id);
    v[R_NOTES].s = rb->notes.s;
    v[R_OPERANDS].s = rb->ops.s;
    return 0;
}

static void json_record(strbuf *b, const rf_val *v, int last)
{
    strbuf item = {0};
    sb_printf(b, "  {");
    for (int k = 0; k < R_COUNT; k++) {
        sb_printf(b, "%s\"%s\": ", k ? ", " : "", FIELD[k].key);
        switch (FIELD[k].type) {
        case RF_TEXT: json_str(b, v[k].s); break;
        case RF_INT: sb_printf(b, "%ld", v[k].n); break;
        case RF_INDEX: if (v[k].n >= 0) sb_printf(b, "%ld", v[k].n); else sb_printf(b, "null"); break;
        case RF_NUM: json_num(b, v[k].x); break;
        case RF_LIST:
            sb_printf(b, "[");
            for (const char *t = v[k].s; *t; t += strcspn(t, "\n") + 1) {
                item.len = 0;
                sb_printf(&item, "%.*s", (int)strcspn(t, "\n"), t);
                sb_printf(b, "%s", t == v[k].s ? "" : ", ");
                if (item.failed) b->failed = 1; else json_str(b, item.s);
            }
            sb_printf(b, "]");
            break;
        }
    }
    sb_printf(b, "}%s\n", last ? "" : ",");
    sb_free(&item);
}

static void csv_record(strbuf *b, const rf_val *v, int last)
{
    (void)last;
    strbuf cell = {0};
    char num[NUM_SHORTEST_MAX + 8];
    for (int k = 0; k < R_COUNT; k++) {
        if (k) sb_printf(b, ",");
        switch (FIELD[k].type) {
        case RF_TEXT: esc_csv(b, v[k].s); break;
        case RF_INT: sb_printf(b, "%ld", v[k].n); break;
        case RF_INDEX: if (v[k].n >= 0) sb_printf(b, "%ld", v[k].n); break;
        case RF_NUM:
            num_shortest(v[k].x, num, sizeof num);
            sb_printf(b, "%s", num);
            break;
        case RF_LIST:
            cell.len = 0;
            sb_printf(&cell, "%s", "");
            for (const char *t = v[k].s; *t; t += strcspn(t, "\n") + 1)
                sb_printf(&cell, "%s%.*s", t == v[k].s ? "" : FIELD[k].csv_sep, (int)strcspn(t, "\n"), t);
            if (cell.failed) b->failed = 1; else esc_csv(b, cell.s);
            break;
        }
    }
    sb_printf(b, "\n");
    sb_free(&cell);
}

/* Every quantity's record through write, between head and tail. */
static int print_records(FILE *out, const lesson *l, const engine_result *r, int digits, int notation,
                         const char *head, const char *tail,
                         void (*write)(strbuf *b, const rf_val *v, int last))
{
    const trace *tr = r->tr;
    rf_bufs rb = {0};
    strbuf b = {0};
    rf_val v[R_COUNT];
    int rc = fputs(head, out) < 0 ? -1 : 0;
    for (size_t id = 0; id < tr->n && rc == 0; id++) {
        b.len = 0;
        if (record_fill(&rb, l, tr, id, digits, notation, v)) { rc = -1; break; }
        write(&b, v, id + 1 == tr->n);
        if (b.failed || fputs(b.s, out) < 0) rc = -1;
    }
    if (!rc && fputs(tail, out) < 0) rc = -1;
    free(rb.reads);
    sb_free(&rb.sym);
    sb_free(&rb.sub);
    sb_free(&rb.notes);
    sb_free(&rb.ops);
    sb_free(&b);
    return rc;
}

int text_print_json(FILE *out, const lesson *l, const engine_result *r, int digits, int notation)
{
    return print_records(out, l, r, digits, notation, "[\n", "]\n", json_record);
}

int text_print_csv(FILE *out, const lesson *l, const engine_result *r, int digits, int notation)
{
    char header[256] = "";
    for (int k = 0; k < R_COUNT; k++) {
        size_t used = strlen(header);
        snprintf(header + used, sizeof header - used, "%s%s", k ? "," : "", FIELD[k].key);
    }
    size_t used = strlen(header);
    snprintf(header + used, sizeof header - used, "\n");
    return print_records(out, l, r, digits, notation, header, "", csv_record);
}
