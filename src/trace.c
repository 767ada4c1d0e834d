/*
 * trace.c - the quantity graph: storage, evaluation through eval.c, names.
 *
 * Storage is two growable arrays (quantities, operand ids) doubled on demand,
 * so appending is amortised O(1). (Steps that are not traced make no
 * quantities at all: engine.c computes them on values.)
 */
#include "trace.h"

#include <stdio.h>
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define OPS_STACK 64

trace *trace_new(int round_digits)
{
    trace *tr = calloc(1, sizeof *tr);
    if (!tr) return NULL;
    tr->round = round_digits;
    tr->max_q = TRACE_MAX_QUANTITIES;
    return tr;
}

void trace_free(trace *tr)
{
    if (!tr) return;
    free(tr->q);
    free(tr->ops);
    free(tr);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *np = realloc(*p, c * elem);
    if (!np) return -1;
    *p = np;
    *cap = c;
    return 0;
}

double trace_operand_value(const trace *tr, uint32_t id)
{
    return round_dp(tr->q[id].value, tr->round);
}

long trace_add(trace *tr, const quantity *proto, const uint32_t *operands, size_t n)
{
    if (tr->n >= tr->max_q || tr->n >= TRACE_MAX_QUANTITIES || n > TRACE_MAX_OPERANDS - tr->nops)
        return TRACE_ERR_FULL;
    if (grow((void **)&tr->q, &tr->cap, tr->n + 1, sizeof *tr->q) ||
        grow((void **)&tr->ops, &tr->opscap, tr->nops + n, sizeof *tr->ops))
        return TRACE_ERR_NOMEM;
    quantity *q = &tr->q[tr->n];
    *q = *proto;
    q->first = (uint32_t)tr->nops;
    q->nops = (uint32_t)n;
    q->notes = 0;
    for (size_t k = 0; k < n; k++)   /* operands point backwards: the trace stays a DAG in order */
        assert(operands[k] < tr->n);
    if (n) memcpy(tr->ops + tr->nops, operands, n * sizeof *operands);
    tr->nops += n;

    if (q->spec.op != OP_CONST) {
        double stack[OPS_STACK], *x = stack;
        if (n > OPS_STACK && !(x = malloc(n * sizeof *x))) {
            tr->nops -= n;
            return TRACE_ERR_NOMEM;
        }
        for (size_t k = 0; k < n; k++) x[k] = trace_operand_value(tr, operands[k]);
        q->value = eval_apply(&q->spec, x, n, &q->notes);
        if (x != stack) free(x);
    }
    return (long)tr->n++;
}

/* Each kind: its name in the records, and its canonical base name (DESIGN.md):
 * a format over the indices, taken in the order `idx` says. */
typedef enum { IDX_NONE, IDX_J, IDX_IJ, IDX_JI, IDX_JIJ } name_idx;
static const struct { const char *kind, *base; name_idx idx; } KIND[] = {
    [Q_INPUT]     = {"input", "x_%d", IDX_J},
    [Q_BIAS]      = {"bias", "a_0", IDX_NONE},
    [Q_TARGET]    = {"target", "y_%d", IDX_J},
    [Q_WEIGHT]    = {"weight", "w_%d,%d", IDX_IJ},
    [Q_IN]        = {"in", "in_%d", IDX_J},
    [Q_ACT]       = {"act", "a_%d", IDX_J},
    [Q_DERIV]     = {"deriv", "g'(in_%d)", IDX_J},
    [Q_ERR]       = {"err", "err_%d", IDX_J},
    [Q_LOSS]      = {"loss", "J", IDX_NONE},
    [Q_DELTA]     = {"delta", "delta_%d", IDX_J},
    [Q_GRAD]      = {"grad", "dJ/dw_%d,%d", IDX_IJ},
    [Q_UPDATE]    = {"update", "w_%d,%d", IDX_IJ},
    [Q_MEAN]      = {"mean", "mu_%d", IDX_J},
    [Q_VAR]       = {"var", "var_%d", IDX_J},
    [Q_MASK]      = {"mask", "m_%d", IDX_J},
    [Q_SD]        = {"sd", "sd_%d", IDX_J},
    [Q_MIN]       = {"min", "min_%d", IDX_J},
    [Q_MAX]       = {"max", "max_%d", IDX_J},
    [Q_XNORM]     = {"xnorm", "xn_%d", IDX_J},
    [Q_BN]        = {"bn", "ahat_%d", IDX_J},
    [Q_KEEP]      = {"keep", "r_%d", IDX_J},
    [Q_DROP]      = {"drop", "ad_%d", IDX_J},
    [Q_DDERIV]    = {"dderiv", "ad'(in_%d)", IDX_J},
    [Q_DJDA]      = {"djda", "dJ/da_%d", IDX_J},
    [Q_DJDA_TERM] = {"djda-term", "dJ_%d/da_%d", IDX_JI},
    [Q_DNDW]      = {"dndw", "din_%d/dw_%d,%d", IDX_JIJ},
};
_Static_assert(sizeof KIND / sizeof KIND[0] == Q_KIND_COUNT, "one entry per q_kind");
static const char *const PASS_NAMES[] = {
    [PASS_GIVEN] = "given", [PASS_FORWARD] = "forward", [PASS_LOSS] = "loss",
    [PASS_BACKWARD] = "backward", [PASS_GRADIENT] = "gradients", [PASS_UPDATE] = "update",
};
_Static_assert(sizeof PASS_NAMES / sizeof PASS_NAMES[0] == PASS_COUNT, "one name per q_pass");

const char *trace_kind_name(q_kind k) { return (unsigned)k < Q_KIND_COUNT ? KIND[k].kind : "?"; }
const char *trace_pass_name(q_pass p) { return (unsigned)p < PASS_COUNT ? PASS_NAMES[p] : "?"; }

int trace_base_name(q_kind kind, int i, int j, char *buf, size_t size)
{
    if ((unsigned)kind >= Q_KIND_COUNT) return snprintf(buf, size, "?");
    const char *f = KIND[kind].base;
    switch (KIND[kind].idx) {
    case IDX_NONE: return snprintf(buf, size, "%s", f);
    case IDX_J:    return snprintf(buf, size, f, j);
    case IDX_IJ:   return snprintf(buf, size, f, i, j);
    case IDX_JI:   return snprintf(buf, size, f, j, i);
    case IDX_JIJ:  return snprintf(buf, size, f, j, i, j);
    }
    return snprintf(buf, size, "?");
}

int trace_name(const quantity *q, char *buf, size_t size)
{
    char base[48];
    int t = q->t + (q->kind == Q_UPDATE);                   /* an update is the next iteration's weight */
    if (trace_tied(q))                                      /* a tied parameter: its name */
        snprintf(base, sizeof base, "%s%s", q->kind == Q_GRAD ? "dJ/d" : "", q->tie);
    else
        trace_base_name(q->kind, q->i, q->j, base, sizeof base);
    char tpart[24] = "", epart[24] = "";
    if (t > 0 && q->kind != Q_BIAS)
        snprintf(tpart, sizeof tpart, "^(%d)", t);
    if (q->e > 0) snprintf(epart, sizeof epart, "[%d]", q->e);
    return snprintf(buf, size, "%s%s%s", base, tpart, epart);
}

int trace_has_kind(const trace *tr, q_kind kind)
{
    for (size_t k = 0; tr && k < tr->n; k++)
        if (tr->q[k].kind == kind) return 1;
    return 0;
}

long trace_find(const trace *tr, const char *name)
{
    char buf[96];
    for (size_t id = 0; id < tr->n; id++) {
        trace_name(&tr->q[id], buf, sizeof buf);
        if (strcmp(buf, name) == 0) return (long)id;
    }
    return -1;
}
