/*
 * trace.c - the quantity graph: storage, evaluation through eval.c, names.
 *
 * Storage is two growable arrays (quantities, operand ids) doubled on demand,
 * so appending is amortised O(1) and a step that is not traced is dropped
 * with trace_truncate without freeing anything.
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

void trace_truncate(trace *tr, size_t n)
{
    if (n >= tr->n) return;
    tr->nops = tr->q[n].first;
    tr->n = n;
}

static const char *const KIND_NAMES[] = {
    [Q_INPUT] = "input", [Q_BIAS] = "bias", [Q_TARGET] = "target", [Q_WEIGHT] = "weight",
    [Q_IN] = "in", [Q_ACT] = "act", [Q_DERIV] = "deriv", [Q_ERR] = "err", [Q_LOSS] = "loss",
    [Q_DELTA] = "delta", [Q_GRAD] = "grad", [Q_UPDATE] = "update", [Q_MEAN] = "mean",
    [Q_VAR] = "var", [Q_MASK] = "mask", [Q_SD] = "sd", [Q_MIN] = "min", [Q_MAX] = "max",
    [Q_XNORM] = "xnorm", [Q_BN] = "bn", [Q_KEEP] = "keep", [Q_DROP] = "drop", [Q_DDERIV] = "dderiv",
    [Q_DJDA] = "djda", [Q_DJDA_TERM] = "djda-term", [Q_DNDW] = "dndw",
};
_Static_assert(sizeof KIND_NAMES / sizeof KIND_NAMES[0] == Q_KIND_COUNT, "one name per q_kind");
static const char *const PASS_NAMES[] = {
    [PASS_GIVEN] = "given", [PASS_FORWARD] = "forward", [PASS_LOSS] = "loss",
    [PASS_BACKWARD] = "backward", [PASS_GRADIENT] = "gradients", [PASS_UPDATE] = "update",
};
_Static_assert(sizeof PASS_NAMES / sizeof PASS_NAMES[0] == PASS_COUNT, "one name per q_pass");

const char *trace_kind_name(q_kind k) { return (unsigned)k < Q_KIND_COUNT ? KIND_NAMES[k] : "?"; }
const char *trace_pass_name(q_pass p) { return (unsigned)p < PASS_COUNT ? PASS_NAMES[p] : "?"; }

int trace_name(const quantity *q, char *buf, size_t size)
{
    char base[48];
    int t = q->t;
    if (trace_tied(q)) {                                    /* a tied parameter: its name */
        snprintf(base, sizeof base, "%s%s", q->kind == Q_GRAD ? "dJ/d" : "", q->tie);
        if (q->kind == Q_UPDATE) t = q->t + 1;
    } else switch (q->kind) {
    case Q_INPUT:  snprintf(base, sizeof base, "x_%d", q->j); break;
    case Q_BIAS:   snprintf(base, sizeof base, "a_0"); break;
    case Q_TARGET: snprintf(base, sizeof base, "y_%d", q->j); break;
    case Q_WEIGHT: snprintf(base, sizeof base, "w_%d,%d", q->i, q->j); break;
    case Q_IN:     snprintf(base, sizeof base, "in_%d", q->j); break;
    case Q_ACT:    snprintf(base, sizeof base, "a_%d", q->j); break;
    case Q_DERIV:  snprintf(base, sizeof base, "g'(in_%d)", q->j); break;
    case Q_ERR:    snprintf(base, sizeof base, "err_%d", q->j); break;
    case Q_LOSS:   snprintf(base, sizeof base, "J"); break;
    case Q_DELTA:  snprintf(base, sizeof base, "delta_%d", q->j); break;
    case Q_GRAD:   snprintf(base, sizeof base, "dJ/dw_%d,%d", q->i, q->j); break;
    case Q_UPDATE: snprintf(base, sizeof base, "w_%d,%d", q->i, q->j); t = q->t + 1; break;
    case Q_MEAN:   snprintf(base, sizeof base, "mu_%d", q->j); break;
    case Q_VAR:    snprintf(base, sizeof base, "var_%d", q->j); break;
    case Q_MASK:   snprintf(base, sizeof base, "m_%d", q->j); break;
    case Q_SD:     snprintf(base, sizeof base, "sd_%d", q->j); break;
    case Q_MIN:    snprintf(base, sizeof base, "min_%d", q->j); break;
    case Q_MAX:    snprintf(base, sizeof base, "max_%d", q->j); break;
    case Q_XNORM:  snprintf(base, sizeof base, "xn_%d", q->j); break;
    case Q_BN:     snprintf(base, sizeof base, "ahat_%d", q->j); break;
    case Q_KEEP:   snprintf(base, sizeof base, "r_%d", q->j); break;
    case Q_DROP:   snprintf(base, sizeof base, "ad_%d", q->j); break;
    case Q_DDERIV: snprintf(base, sizeof base, "ad'(in_%d)", q->j); break;
    case Q_DJDA:   snprintf(base, sizeof base, "dJ/da_%d", q->j); break;
    case Q_DJDA_TERM: snprintf(base, sizeof base, "dJ_%d/da_%d", q->j, q->i); break;
    case Q_DNDW:   snprintf(base, sizeof base, "din_%d/dw_%d,%d", q->j, q->i, q->j); break;
    default:       snprintf(base, sizeof base, "?"); break;
    }
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
