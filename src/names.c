/*
 * names.c - canonical names and a hash index over them.
 *
 * The index is open addressing with linear probing over a power-of-two table
 * at most half full; it stores quantity ids and re-derives each name with
 * trace_name on probe, so it holds no strings.
 */
#include "names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A neuron written as a number or a label; -1 if unknown. */
static int neuron(const lesson *l, const char *s, size_t n)
{
    char tok[LESSON_NAME_MAX + 8];
    if (n == 0 || n >= sizeof tok) return -1;
    memcpy(tok, s, n);
    tok[n] = '\0';
    return lesson_neuron(l, tok);
}

static int alias_arc(const lesson *l, const char *s, size_t n)
{
    for (int a = 0; a < l->n_arcs; a++)
        if (l->arcs[a].alias[0] && strlen(l->arcs[a].alias) == n && !strncmp(l->arcs[a].alias, s, n))
            return a;
    return -1;
}

/* "i,j" (numbers or labels) of length n -> "i,j" canonical. */
static int arc_pair(const lesson *l, const char *s, size_t n, int *i, int *j)
{
    const char *comma = memchr(s, ',', n);
    if (!comma) return -1;
    *i = neuron(l, s, (size_t)(comma - s));
    *j = neuron(l, comma + 1, n - (size_t)(comma - s) - 1);
    return (*i < 0 || *j < 0) ? -1 : 0;
}

int names_canonical(const lesson *l, const char *name, char *out, size_t size)
{
    size_t len = strlen(name);
    if (len == 0 || len > 80) return -1;
    /* suffix: ^(t) and/or [e] */
    size_t blen = strcspn(name, "^[");
    const char *suf = name + blen;
    long t = 0, e = 0;
    int used = 0;
    if (*suf == '^') {
        if (sscanf(suf, "^(%ld)%n", &t, &used) != 1 || used == 0 || t < 0) return -1;
        suf += used;
    }
    if (*suf == '[') {
        used = 0;
        if (sscanf(suf, "[%ld]%n", &e, &used) != 1 || used == 0 || e < 1) return -1;
        suf += used;
    }
    if (*suf) return -1;

    char base[64];
    int i, j, a;
    static const struct { const char *in, *out; } PRE[] = {
        {"in_", "in_"}, {"a_", "a_"}, {"x_", "x_"}, {"y_", "y_"}, {"delta_", "delta_"},
        {"Delta_", "delta_"}, {"err_", "err_"}, {"mu_", "mu_"}, {"var_", "var_"}, {"m_", "m_"},
        {"net_", "in_"}, {"out_", "a_"},            /* 002's net/out notation */
        {"sd_", "sd_"}, {"min_", "min_"}, {"max_", "max_"}, {"xn_", "xn_"},   /* normalisation, */
        {"ahat_", "ahat_"}, {"r_", "r_"}, {"ad_", "ad_"},                     /* batch norm, dropout */
    };
    if ((blen == 1 && name[0] == 'J') || (blen == 7 && !strncmp(name, "E_total", 7))) {
        snprintf(base, sizeof base, "J");
    } else if ((a = alias_arc(l, name, blen)) >= 0) {
        snprintf(base, sizeof base, "w_%d,%d", l->arcs[a].i, l->arcs[a].j);
    } else if (blen > 4 && !strncmp(name, "dJ/d", 4) && (a = alias_arc(l, name + 4, blen - 4)) >= 0) {
        snprintf(base, sizeof base, "dJ/dw_%d,%d", l->arcs[a].i, l->arcs[a].j);
    } else if (blen > 6 && !strncmp(name, "dJ/dw_", 6)) {
        if (arc_pair(l, name + 6, blen - 6, &i, &j)) return -1;
        snprintf(base, sizeof base, "dJ/dw_%d,%d", i, j);
    } else if (blen > 2 && !strncmp(name, "w_", 2)) {
        if (arc_pair(l, name + 2, blen - 2, &i, &j)) return -1;
        snprintf(base, sizeof base, "w_%d,%d", i, j);
    } else if (blen > 7 && !strncmp(name, "g'(in_", 6) && name[blen - 1] == ')') {
        if ((j = neuron(l, name + 6, blen - 7)) < 0) return -1;
        snprintf(base, sizeof base, "g'(in_%d)", j);
    } else if (blen > 8 && !strncmp(name, "ad'(in_", 7) && name[blen - 1] == ')') {   /* dropout */
        if ((j = neuron(l, name + 7, blen - 8)) < 0) return -1;
        snprintf(base, sizeof base, "ad'(in_%d)", j);
    } else {
        size_t k, pl = 0;
        for (k = 0; k < sizeof PRE / sizeof PRE[0]; k++) {
            pl = strlen(PRE[k].in);
            if (blen > pl && !strncmp(name, PRE[k].in, pl)) break;
        }
        if (k == sizeof PRE / sizeof PRE[0]) return -1;
        if ((j = neuron(l, name + pl, blen - pl)) < 0) return -1;
        const char *p = PRE[k].out;
        if (!strcmp(p, "a_") && j > 0 && l->layer_of[j] == 0) p = "x_";   /* a_1 is x_1 */
        snprintf(base, sizeof base, "%s%d", p, j);
    }
    char tpart[24] = "", epart[24] = "";
    if (t > 0 && strcmp(base, "a_0") != 0) snprintf(tpart, sizeof tpart, "^(%ld)", t);
    if (e > 0) snprintf(epart, sizeof epart, "[%ld]", e);
    int n = snprintf(out, size, "%s%s%s", base, tpart, epart);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * Hash index
 * ---------------------------------------------------------------------- */

struct names_index {
    const trace *tr;
    long  *slot;      /* quantity id or -1 */
    size_t mask;
};

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603ULL;          /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

names_index *names_index_new(const trace *tr)
{
    names_index *ix = malloc(sizeof *ix);
    if (!ix) return NULL;
    size_t cap = 16;
    while (cap < 2 * tr->n + 2) cap *= 2;
    ix->tr = tr;
    ix->mask = cap - 1;
    ix->slot = malloc(cap * sizeof *ix->slot);
    if (!ix->slot) { free(ix); return NULL; }
    for (size_t s = 0; s < cap; s++) ix->slot[s] = -1;
    char buf[96], other[96];
    for (size_t id = 0; id < tr->n; id++) {
        trace_name(&tr->q[id], buf, sizeof buf);
        size_t s = hash(buf) & ix->mask;
        int dup = 0;
        while (ix->slot[s] >= 0) {
            trace_name(&tr->q[ix->slot[s]], other, sizeof other);
            if (!strcmp(buf, other)) { dup = 1; break; }
            s = (s + 1) & ix->mask;
        }
        if (!dup) ix->slot[s] = (long)id;
    }
    return ix;
}

void names_index_free(names_index *ix)
{
    if (!ix) return;
    free(ix->slot);
    free(ix);
}

long names_index_get(const names_index *ix, const char *canonical)
{
    char other[96];
    for (size_t s = hash(canonical) & ix->mask; ix->slot[s] >= 0; s = (s + 1) & ix->mask) {
        trace_name(&ix->tr->q[ix->slot[s]], other, sizeof other);
        if (!strcmp(other, canonical)) return ix->slot[s];
    }
    return -1;
}

long names_find(const lesson *l, const trace *tr, const names_index *ix, const char *name)
{
    char canon[96];
    if (names_canonical(l, name, canon, sizeof canon)) return -1;
    return ix ? names_index_get(ix, canon) : trace_find(tr, canon);
}
