/*
 * lesson_net.c - pass 2 of the lesson parser: the network N = (V, A).
 *
 * From the directives of pass 1 (lesson_impl.h) it builds the neurons,
 * layers and arcs, resolves labels and aliases (which may be used before
 * they are declared), draws seeded weights, and checks what only the whole
 * file can tell: every arc forward, every arc with a weight, examples of the
 * right width, settings that fit together. Errors are "path:line: message".
 */
#include <ctype.h>
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "lesson.h"
#include "lesson_impl.h"
#include "names.h"
#include "suggest.h"
#include "trace.h"
#include "variant.h"

/* ------------------------------------------------------------------------
 * Pass 2: the network
 * ---------------------------------------------------------------------- */

int lesson_neuron(const lesson *l, const char *s)
{
    if (isdigit((unsigned char)s[0])) {
        char *end;
        long v = strtol(s, &end, 10);
        return (*end == '\0' && v >= 0 && v <= l->max_id && l->layer_of[v] >= 0) ? (int)v : -1;
    }
    for (int id = 0; id <= l->max_id; id++)
        if (l->labels[id][0] && !strcmp(l->labels[id], s)) return id;
    return -1;
}

int lesson_arc_index(const lesson *l, int i, int j)
{
    if (j < 0 || j > l->max_id || !l->arc_in) return -1;
    for (int a = l->arc_in[j]; a < l->arc_in[j + 1]; a++)
        if (l->arcs[a].i == i) return a;
    return -1;
}

const int32_t *lesson_outputs(const lesson *l, int *count)
{
    const lesson_layer *out = &l->layers[l->n_layers - 1];
    *count = out->count;
    return l->neurons + out->first;
}

/* ------------------------------------------------------------------------
 * Aliases: resolved once, in linear time
 *
 * `alias NAME TARGET` names a weight; TARGET is w_i,j or another alias, and
 * may come later in the file. The table hashes the names (open addressing,
 * FNV-1a, at most half full) and follows each chain once, marking every
 * alias on it with the arc it ends at, so n aliases cost O(n) whatever their
 * chains. A chain that comes back to itself is a cycle: the error names the
 * alias, among those on the cycle, defined last (the one that closes it).
 * ---------------------------------------------------------------------- */

typedef struct {
    int *slot;       /* cap entries: alias index + 1, 0 = empty */
    size_t cap;
    int *i, *j;      /* per alias: the arc it names */
} alias_tab;

static size_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

/* The alias called name, or -1. */
static int alias_find(const alias_tab *t, const pass1 *p, const char *name)
{
    if (!t->cap) return -1;
    for (size_t h = name_hash(name) & (t->cap - 1);; h = (h + 1) & (t->cap - 1)) {
        if (!t->slot[h]) return -1;
        if (!strcmp(p->aliases[t->slot[h] - 1].a, name)) return t->slot[h] - 1;
    }
}

static void alias_tab_free(alias_tab *t)
{
    free(t->slot);
    free(t->i);
    free(t->j);
    memset(t, 0, sizeof *t);
}

/* The neurons a name may give, for a message: "0 (the bias) and 1-3, 5;
 * labels h1, h2, o1" (ids in ranges, at most 8 labels). */
static void neurons_known(const lesson *l, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "0 (the bias)");
    const char *sep = " and ";
    for (int id = 1; id <= l->max_id && n < size; id++) {
        if (l->layer_of[id] < 0) continue;
        int last = id;
        while (last + 1 <= l->max_id && l->layer_of[last + 1] >= 0) last++;
        n += (size_t)snprintf(buf + n, size - n, last > id ? "%s%d-%d" : "%s%d", sep, id, last);
        sep = ", ";
        id = last;
    }
    int shown = 0;
    for (int id = 0; id <= l->max_id && n < size; id++) {
        if (!l->labels[id][0]) continue;
        if (shown == 8) { n += (size_t)snprintf(buf + n, size - n, ", ..."); break; }
        n += (size_t)snprintf(buf + n, size - n, "%s%s", shown ? ", " : "; labels ", l->labels[id]);
        shown++;
    }
}

/* "w_I,J" (ids or labels) to (i, j). Returns 0, 1 when name is not of that
 * form, or -1 with a message in why. */
static int canonical_weight(const lesson *l, const char *name, int *i, int *j, char *why, size_t whysize)
{
    if (strncmp(name, "w_", 2) || !strchr(name, ',')) return 1;
    char a[64], b[64];
    const char *comma = strchr(name, ',');
    size_t na = (size_t)(comma - name - 2);
    if (na == 0 || na >= sizeof a || strlen(comma + 1) == 0 || strlen(comma + 1) >= sizeof b) {
        snprintf(why, whysize, "bad weight name '%s' (expected w_i,j)", name);
        return -1;
    }
    memcpy(a, name + 2, na); a[na] = '\0';
    memcpy(b, comma + 1, strlen(comma + 1) + 1);
    *i = lesson_neuron(l, a);
    *j = lesson_neuron(l, b);
    if (*i < 0 || *j < 0) {
        char known[256];
        neurons_known(l, known, sizeof known);
        if (snprintf(why, whysize, "unknown neuron '%s' in %s (this network's neurons: %s)", *i < 0 ? a : b,
                     name, known) < 0)
            why[0] = '\0';
        return -1;
    }
    return 0;
}

/* What a name line of p->aliases is: an `alias`, or a `tie` name (added
 * by lp_build_network, has_v == RAW_TIE, naming the tie's first weight). */
#define RAW_TIE (-1)
static const char *alias_word(const raw *r) { return r->has_v == RAW_TIE ? "tie" : "alias"; }

/* "unknown weight 'NAME' (...)", with the nearest alias or tie name, or
 * canonical name w_i,j of a bias arc or an arc between neighbouring layers
 * (w1,3 -> w_1,3; the layers are known before the arcs). */
static void unknown_weight(const lesson *l, const pass1 *p, const char *name, char *why, size_t whysize)
{
    char sug[160] = "";
    enum { MAX_CANDS = 1024, CANON = 24 };   /* a did-you-mean over the first names is enough */
    const char *cands[MAX_CANDS];
    char (*canon)[CANON] = malloc(MAX_CANDS * sizeof *canon);   /* none on out of memory */
    size_t n = 0, c = 0;
    for (int k = 0; k < p->n_aliases && n < MAX_CANDS; k++) cands[n++] = p->aliases[k].a;
    for (int ly = 0; canon && ly < l->n_layers; ly++) {
        const lesson_layer *L = &l->layers[ly];
        int from = ly ? l->layers[ly - 1].count : l->n_in;
        for (int m = 0; m < L->count; m++)
            for (int s = -1; s < from && n < MAX_CANDS; s++) {      /* s = -1: the bias */
                int i = s < 0 ? 0 : ly ? l->neurons[l->layers[ly - 1].first + s] : l->inputs[s];
                trace_base_name(Q_WEIGHT, i, l->neurons[L->first + m], canon[c], CANON);
                cands[n++] = canon[c++];
            }
    }
    /* a weight's name in another notation (bar's b_3, layer's W^[1]_1,2 or
     * b^[1]_1): a lesson line names a weight one way, so say which */
    char typed[LESSON_NAME_MAX * 4], other[96];
    for (size_t k = 0; canon && k < c && !names_ascii_spelling(name, typed, sizeof typed); k++) {
        quantity q = {.kind = Q_WEIGHT};
        if (sscanf(canon[k], "w_%d,%d", &q.i, &q.j) != 2) continue;
        for (int nt = 0; nt < NOTATION_COUNT; nt++) {
            names_render(l, nt, NAMES_ASCII, &q, other, sizeof other);
            if (nt == NOTATION_VA || strcmp(other, typed)) continue;
            snprintf(why, whysize, "unknown weight '%s': that is %s's name in the %s notation, and a lesson "
                     "names a weight as w_i,j (ids or labels), an alias or a tie's name; did you mean %s?",
                     name, canon[k], lesson_notation_name(nt), canon[k]);
            free(canon);
            return;
        }
    }
    suggest(name, cands, n, sug, sizeof sug);
    free(canon);
    snprintf(why, whysize, "unknown weight '%s' (expected w_i,j, an alias or a tie's name)%s%s%s", name,
             sug[0] ? "; did you mean " : "", sug, sug[0] ? "?" : "");
}

/* Build t from p's alias lines: every alias resolved to (i, j). Returns 0,
 * or -1 through lp_fail (a name defined twice, a target that is no weight,
 * a cycle). */
static int alias_tab_build(perr *pe, alias_tab *t, const lesson *l, const pass1 *p)
{
    int n = p->n_aliases, rc = 0;
    char why[256];
    memset(t, 0, sizeof *t);
    if (n == 0) return 0;
    t->cap = 4;
    while (t->cap < 2 * (size_t)n) t->cap *= 2;
    t->slot = calloc(t->cap, sizeof *t->slot);
    t->i = malloc((size_t)n * sizeof *t->i);
    t->j = malloc((size_t)n * sizeof *t->j);
    unsigned char *state = calloc((size_t)n, 1);     /* 0 new, 1 on the chain, 2 resolved */
    int *chain = malloc((size_t)n * sizeof *chain);
    if (!t->slot || !t->i || !t->j || !state || !chain) { rc = lp_fail(pe, 0, "out of memory"); goto done; }
    for (int k = 0; k < n; k++) {
        const raw *r = &p->aliases[k];
        if (!strncmp(r->a, "w_", 2) && strchr(r->a, ',')) {
            rc = lp_fail(pe, r->line, "%s '%s' looks like a canonical weight name", alias_word(r), r->a);
            goto done;
        }
        if (lesson_neuron(l, r->a) >= 0)       /* a label: an input's is its name too (x1) */
            for (int m = 0; m < p->n_labels; m++)
                if (!strcmp(p->labels[m].b, r->a)) {   /* told on the later line */
                    if (p->labels[m].line > r->line)
                        rc = lp_fail(pe, p->labels[m].line, "label '%s': the name is already %s %s (line %d)",
                                     r->a, r->has_v == RAW_TIE ? "a" : "an", alias_word(r), r->line);
                    else
                        rc = lp_fail(pe, r->line, "%s '%s': the name is already a label (line %d)", alias_word(r),
                                     r->a, p->labels[m].line);
                    goto done;
                }
        size_t h = name_hash(r->a) & (t->cap - 1);
        for (; t->slot[h]; h = (h + 1) & (t->cap - 1))
            if (!strcmp(p->aliases[t->slot[h] - 1].a, r->a)) {
                const raw *o = &p->aliases[t->slot[h] - 1];
                rc = lp_fail(pe, r->line, "%s '%s': the name is already %s %s (line %d)", alias_word(r), r->a,
                             o->has_v == RAW_TIE ? "a" : "an", alias_word(o), o->line);
                goto done;
            }
        t->slot[h] = k + 1;
    }
    for (int k = 0; k < n; k++) {
        int len = 0, at = k, i = -1, j = -1;
        while (state[at] == 0) {               /* walk the chain of new aliases */
            state[at] = 1;
            chain[len++] = at;
            int c = canonical_weight(l, p->aliases[at].b, &i, &j, why, sizeof why);
            const char *tie = p->aliases[at].has_v == RAW_TIE ? p->aliases[at].a : NULL;
            if (c < 0) { rc = lp_fail(pe, p->aliases[at].line, "%s%s%s%s", tie ? "tie '" : "", tie ? tie : "",
                                      tie ? "': " : "", why); goto done; }
            if (c == 0) break;
            int next = alias_find(t, p, p->aliases[at].b);
            if (next < 0) {
                unknown_weight(l, p, p->aliases[at].b, why, sizeof why);
                rc = lp_fail(pe, p->aliases[at].line, "%s%s%s%s", tie ? "tie '" : "", tie ? tie : "",
                             tie ? "': " : "", why);
                goto done;
            }
            if (state[next] == 1) {            /* back on this chain: a cycle */
                int from = 0, last = next;
                while (chain[from] != next) from++;
                for (int m = from; m < len; m++)
                    if (p->aliases[chain[m]].line > p->aliases[last].line) last = chain[m];
                char cyc[192];
                size_t used = 0;
                cyc[0] = '\0';
                for (int m = from; m <= len && used + 70 < sizeof cyc; m++) {
                    const char *nm = p->aliases[m < len ? chain[m] : next].a;
                    used += (size_t)snprintf(cyc + used, sizeof cyc - used, "%s%s", m > from ? " -> " : "", nm);
                }
                if (len - from > 4 && used + 70 >= sizeof cyc) snprintf(cyc + used, sizeof cyc - used, " -> ...");
                rc = lp_fail(pe, p->aliases[last].line, "alias '%s' closes a cycle of aliases (%s): "
                             "an alias must end at a weight w_i,j", p->aliases[last].a, cyc);
                goto done;
            }
            if (state[next] == 2) { i = t->i[next]; j = t->j[next]; break; }
            at = next;
        }
        for (int m = 0; m < len; m++) {        /* everything on the chain names (i, j) */
            state[chain[m]] = 2;
            t->i[chain[m]] = i;
            t->j[chain[m]] = j;
        }
    }
done:
    free(state);
    free(chain);
    return rc;
}

/* "no arc w_3,1", and when the arc runs the other way, "; did you mean
 * w_1,3? (w_i,j is the arc from neuron i into neuron j)", into buf. */
static const char *no_arc(const lesson *l, int i, int j, char *buf, size_t size)
{
    if (lesson_arc_index(l, j, i) >= 0)
        snprintf(buf, size, "no arc w_%d,%d; did you mean w_%d,%d? (w_i,j is the arc from neuron i into "
                 "neuron j)", i, j, j, i);
    else
        snprintf(buf, size, "no arc w_%d,%d", i, j);
    return buf;
}

/* Resolve "w_I,J" (ids or labels) or an alias to (i, j). Returns 0, or -1
 * with a message for the caller to place. */
static int weight_name(const lesson *l, const alias_tab *t, const pass1 *p, const char *name, int *i, int *j,
                       char *why, size_t whysize)
{
    int c = canonical_weight(l, name, i, j, why, whysize);
    if (c <= 0) return c;
    int k = alias_find(t, p, name);
    if (k >= 0) { *i = t->i[k]; *j = t->j[k]; return 0; }
    unknown_weight(l, p, name, why, whysize);
    return -1;
}

static int arc_cmp(const void *x, const void *y)
{
    const lesson_arc *a = x, *b = y;
    if (a->j != b->j) return a->j < b->j ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* xorshift64* (base/rng.h) and Box-Muller: explicit state, no globals
 * (STYLE rule 9). */
static double rng_uniform(uint64_t *s)
{
    return rng_unit(rng_next(s));
}

static double rng_normal(uint64_t *s)
{
    double u1 = rng_uniform(s), u2 = rng_uniform(s);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

typedef struct { int i, j, line; double w; int has_w; } arcdef;

static int add_arc(perr *pe, lesson *l, arcdef **arcs, int *n, int *cap, int i, int j,
                   int line, const char *name)
{
    if (l->layer_of[j] == 0)
        return lp_fail(pe, line, j == 0 ? "arc %s goes into the bias neuron 0"
                                     : "arc %s goes into input neuron %d", name, j);
    if (l->layer_of[i] >= l->layer_of[j]) {
        /* backward, and the arc forward not given yet: that one is meant (w_i,j is from i into j) */
        char rev[48] = "";
        int given = 0;
        for (int k = 0; k < *n && !given; k++) given = (*arcs)[k].i == j && (*arcs)[k].j == i;
        if (l->layer_of[i] > l->layer_of[j] && !given) snprintf(rev, sizeof rev, "; did you mean w_%d,%d?", j, i);
        return lp_fail(pe, line, "arc %s goes backward or sideways (neuron %d is in layer %d, "
                    "neuron %d in layer %d): arcs must go forward, so no cycle can form%s",
                    name, i, l->layer_of[i], j, l->layer_of[j], rev);
    }
    if (*n >= LESSON_MAX_ARCS) return lp_fail(pe, line, "more than %d arcs", LESSON_MAX_ARCS);
    arcdef a = {i, j, line, 0.0, 0};
    return lp_push((void **)arcs, n, cap, &a, sizeof a) ? lp_fail(pe, line, "out of memory") : 0;
}

static int build_arcs(perr *pe, lesson *l, pass1 *p, const alias_tab *at);

/* The end of every message about a tie given two values. */
#define TIE_ONE_VALUE "tied weights are one parameter with one value: give it once ('weight %s = VALUE')"

/* `tie NAME = W1 W2 ...` lines into l->ties and arcs[].tie: each weight an
 * arc of the network, tied once, at least two per tie. Values: the weights
 * a `weight` line gives (by NAME or by an arc's own name) must agree, and
 * then every arc of the tie has that value (arcs[] is parallel to l->arcs:
 * has_w and w are set on all of them). Returns 0, or -1 through lp_fail. */
static int build_ties(perr *pe, lesson *l, const pass1 *p, const alias_tab *at, arcdef *arcs)
{
    char why[256];
    int n_lines = 0;
    for (int k = 0; k < p->n_ties; k++) n_lines += k == 0 || p->ties[k].line != p->ties[k - 1].line;
    if (!n_lines) return 0;
    l->ties = calloc((size_t)n_lines, sizeof *l->ties);
    if (!l->ties) return lp_fail(pe, 0, "out of memory");
    for (int k = 0; k < p->n_ties; k++) {
        const raw *r = &p->ties[k];
        if (k == 0 || r->line != p->ties[k - 1].line) {
            lesson_tie *T = &l->ties[l->n_ties++];
            memcpy(T->name, r->a, strlen(r->a) + 1);
            T->line = r->line;
            T->first = -1;
        }
        lesson_tie *T = &l->ties[l->n_ties - 1];
        int i, j, a;
        if (weight_name(l, at, p, r->b, &i, &j, why, sizeof why)) return lp_fail(pe, r->line, "tie '%s': %s", r->a, why);
        if ((a = lesson_arc_index(l, i, j)) < 0)
            return lp_fail(pe, r->line, "tie '%s': %s", r->a, no_arc(l, i, j, why, sizeof why));
        if (l->arcs[a].tie == l->n_ties)
            return lp_fail(pe, r->line, "tie '%s' lists w_%d,%d twice", r->a, i, j);
        if (l->arcs[a].tie) {
            const lesson_tie *O = &l->ties[l->arcs[a].tie - 1];
            return lp_fail(pe, r->line, "w_%d,%d is tied twice: to '%s' (line %d) and to '%s'; a weight "
                           "belongs to one tie", i, j, O->name, O->line, r->a);
        }
        l->arcs[a].tie = l->n_ties;
        T->count++;
        if (T->first < 0 || a < T->first) T->first = a;
    }
    /* each tie's arcs, in arc order, one run per tie in tie_arcs */
    int n_tied = 0;
    for (int t = 0; t < l->n_ties; t++) {
        l->ties[t].at = n_tied;
        n_tied += l->ties[t].count;
    }
    l->tie_arcs = malloc((size_t)n_tied * sizeof *l->tie_arcs);
    if (!l->tie_arcs) return lp_fail(pe, 0, "out of memory");
    int *fill = calloc((size_t)l->n_ties, sizeof *fill);
    if (!fill) return lp_fail(pe, 0, "out of memory");
    for (int a = 0; a < l->n_arcs; a++) {
        int t = l->arcs[a].tie - 1;
        if (t >= 0) l->tie_arcs[l->ties[t].at + fill[t]++] = a;
    }
    free(fill);
    /* given[t]: the arc whose `weight` line gives tie t's value, or -1 */
    int *given = malloc((size_t)l->n_ties * sizeof *given);
    if (!given) return lp_fail(pe, 0, "out of memory");
    for (int t = 0; t < l->n_ties; t++) given[t] = -1;
    for (int a = 0; a < l->n_arcs; a++) {
        int t = l->arcs[a].tie - 1;
        if (t < 0 || !arcs[a].has_w) continue;
        if (given[t] < 0) { given[t] = a; continue; }
        if (arcs[a].w == arcs[given[t]].w) continue;
        const arcdef *A = &arcs[given[t]], *B = &arcs[a];
        if (A->line > B->line) { const arcdef *s = A; A = B; B = s; }
        free(given);
        return lp_fail(pe, B->line, "tie '%s': w_%d,%d = %.15g here but w_%d,%d = %.15g (line %d); " TIE_ONE_VALUE,
                       l->ties[t].name, B->i, B->j, B->w, A->i, A->j, A->w, A->line, l->ties[t].name);
    }
    for (int a = 0; a < l->n_arcs; a++) {
        int t = l->arcs[a].tie - 1;
        if (t < 0 || given[t] < 0) continue;
        arcs[a].has_w = 1;
        arcs[a].w = l->arcs[a].w = arcs[given[t]].w;
    }
    free(given);
    return 0;
}

int lp_build_network(perr *pe, lesson *l, pass1 *p)
{
    if (!p->seen[KEY_INPUT]) return lp_fail(pe, 0, "missing 'input' line");

    /* neuron ids: the input line's first, so 'input 1 2 layer ...' (a key
     * run on) is named at its line rather than as a missing layer */
    int max_id = 0;
    long v = 0;
    for (int k = 0; k < p->n_in_toks; k++) {
        if (lp_id_or_fail(pe, p->in_line, p->in_toks[k], 0, &v)) return -1;
        if (v > max_id) max_id = (int)v;
    }
    if (p->n_layers == 0) return lp_fail(pe, 0, "missing 'layer' line");
    for (int k = 0; k < p->n_lneurons; k++) if (p->lneurons[k] > max_id) max_id = p->lneurons[k];
    l->max_id = max_id;
    l->layer_of = malloc((size_t)(max_id + 1) * sizeof *l->layer_of);
    l->labels = calloc((size_t)max_id + 1, sizeof *l->labels);
    l->inputs = malloc((size_t)p->n_in_toks * sizeof *l->inputs);
    int *where = malloc((size_t)(max_id + 1) * sizeof *where);
    if (!l->layer_of || !l->labels || !l->inputs || !where) { free(where); return lp_fail(pe, 0, "out of memory"); }
    for (int id = 0; id <= max_id; id++) { l->layer_of[id] = -1; where[id] = 0; }
    l->layer_of[0] = 0;
    for (int k = 0; k < p->n_in_toks; k++) {
        int id = atoi(p->in_toks[k]);
        if (id == 0) { free(where); return lp_fail(pe, p->in_line, "neuron 0 is the bias; it cannot be an input"); }
        if (l->layer_of[id] == 0) { free(where); return lp_fail(pe, p->in_line, "input neuron %d is listed twice", id); }
        l->layer_of[id] = 0;
        where[id] = p->in_line;
        l->inputs[l->n_in++] = id;
    }
    for (int ly = 0; ly < p->n_layers; ly++)
        for (int k = p->layers[ly].first; k < p->layers[ly].first + p->layers[ly].count; k++) {
            int id = p->lneurons[k], line = p->neuron_line[k];
            if (l->layer_of[id] >= 0) {
                int first = where[id];
                free(where);
                return lp_fail(pe, line, l->layer_of[id] == 0
                            ? "neuron %d is an input (line %d); it cannot be in a layer too"
                            : "neuron %d is already in a layer (line %d)", id, first);
            }
            l->layer_of[id] = ly + 1;
            where[id] = line;
        }
    free(where);
    l->n_layers = p->n_layers;
    l->n_neurons = p->n_lneurons;
    l->layers = malloc((size_t)p->n_layers * sizeof *l->layers);
    l->neurons = malloc((size_t)p->n_lneurons * sizeof *l->neurons);
    if (!l->layers || !l->neurons) return lp_fail(pe, 0, "out of memory");
    memcpy(l->neurons, p->lneurons, (size_t)p->n_lneurons * sizeof *l->neurons);
    for (int ly = 0; ly < p->n_layers; ly++) {
        l->layers[ly].act = p->layers[ly].act;
        l->layers[ly].first = p->layers[ly].first;
        l->layers[ly].count = p->layers[ly].count;
        if (p->layers[ly].act.kind == ACT_SOFTMAX && ly != p->n_layers - 1)
            return lp_fail(pe, p->layers[ly].line, "softmax is only for the output layer");
        if (p->layers[ly].act.kind == ACT_SOFTMAX && p->layers[ly].count == 1)   /* exp(z)/exp(z) */
            return lp_fail(pe, p->layers[ly].line, "softmax over one output neuron is always 1, so nothing "
                           "learns: give it one neuron per class, or use 'layer logistic' with 'loss bce' "
                           "for two classes");
    }

    /* labels */
    for (int k = 0; k < p->n_labels; k++) {
        int id = lesson_neuron(l, p->labels[k].a);
        if (id < 0) {
            char known[256];
            neurons_known(l, known, sizeof known);
            return lp_fail(pe, p->labels[k].line, "unknown neuron '%s' (this network's neurons: %s)",
                           p->labels[k].a, known);
        }
        if (lesson_neuron(l, p->labels[k].b) >= 0)
            return lp_fail(pe, p->labels[k].line, "label '%s' is already used", p->labels[k].b);
        memcpy(l->labels[id], p->labels[k].b, strlen(p->labels[k].b) + 1);
    }

    /* a tie's name stands for its first weight wherever a weight is named
     * (`weight b1 = 0.35`, `freeze b1`): an entry of the alias table */
    for (int k = 0; k < p->n_ties; k++) {
        if (k > 0 && p->ties[k].line == p->ties[k - 1].line) continue;
        raw r = p->ties[k];
        r.has_v = RAW_TIE;
        if (lp_push((void **)&p->aliases, &p->n_aliases, &p->c_aliases, &r, sizeof r))
            return lp_fail(pe, r.line, "out of memory");
    }

    /* aliases, resolved once; then the arcs */
    alias_tab at;
    int rc = alias_tab_build(pe, &at, l, p) ? -1 : build_arcs(pe, l, p, &at);
    alias_tab_free(&at);
    return rc;
}

/* The name of the tie that arc (i, j) belongs to, or NULL (the tie lines
 * are resolved again here: build_ties runs once the arcs exist). */
static const char *tie_of(const lesson *l, const alias_tab *at, const pass1 *p, int i, int j)
{
    char why[256];
    for (int k = 0; k < p->n_ties; k++) {
        int ti, tj;
        if (!weight_name(l, at, p, p->ties[k].b, &ti, &tj, why, sizeof why) && ti == i && tj == j)
            return p->ties[k].a;
    }
    return NULL;
}

/* The arcs and their weights, aliases and frozen flags, once the neurons,
 * labels and aliases are known. Returns 0, or -1 through lp_fail. */
static int build_arcs(perr *pe, lesson *l, pass1 *p, const alias_tab *at)
{
    char why[256], nm[96];
    int max_id = l->max_id;

    /* arcs: bias arcs, full connections, listed weights */
    arcdef *arcs = NULL;
    int n = 0, cap = 0, rc = 0;
    for (int k = 0; k < p->n_nobias && rc == 0; k++)
        if (lesson_neuron(l, p->nobias[k].a) <= 0 || l->layer_of[lesson_neuron(l, p->nobias[k].a)] < 1)
            rc = lp_fail(pe, p->nobias[k].line, "'nobias %s': not a processing neuron", p->nobias[k].a);
    for (int ly = 0; ly < l->n_layers && rc == 0; ly++)
        for (int k = 0; k < l->layers[ly].count && rc == 0; k++) {
            int j = l->neurons[l->layers[ly].first + k], skip = 0;
            for (int b = 0; b < p->n_nobias; b++) skip |= lesson_neuron(l, p->nobias[b].a) == j;
            if (!skip) rc = add_arc(pe, l, &arcs, &n, &cap, 0, j, 0, "bias");
            if (p->arcs_listed || rc) continue;
            if (ly == 0)
                for (int s = 0; s < l->n_in && rc == 0; s++)
                    rc = add_arc(pe, l, &arcs, &n, &cap, l->inputs[s], j, 0, "full");
            else
                for (int s = 0; s < l->layers[ly - 1].count && rc == 0; s++)
                    rc = add_arc(pe, l, &arcs, &n, &cap, l->neurons[l->layers[ly - 1].first + s], j, 0, "full");
        }
    for (int k = 0; k < p->n_weights && rc == 0; k++) {
        raw *w = &p->weights[k];
        int i, j;
        if (weight_name(l, at, p, w->a, &i, &j, why, sizeof why)) { rc = lp_fail(pe, w->line, "%s", why); break; }
        for (int b = 0; b < p->n_nobias && i == 0 && rc == 0; b++)
            if (lesson_neuron(l, p->nobias[b].a) == j)
                rc = lp_fail(pe, w->line, "weight %s is the bias arc of neuron %d, which 'nobias %s' (line %d) "
                             "takes away: drop one of the two lines", w->a, j, p->nobias[b].a, p->nobias[b].line);
        if (rc) break;
        int a;
        for (a = 0; a < n; a++) if (arcs[a].i == i && arcs[a].j == j) break;
        if (a == n) {
            trace_base_name(Q_WEIGHT, i, j, nm, sizeof nm);
            if ((rc = add_arc(pe, l, &arcs, &n, &cap, i, j, w->line, nm))) break;
        }
        if (arcs[a].has_w) {
            /* a tied weight may be given by several lines that agree (docs/lessons.md, "Tied weights") */
            const char *tie = tie_of(l, at, p, i, j);
            if (tie && arcs[a].w == w->v) continue;
            if (tie)
                rc = lp_fail(pe, w->line, "tie '%s': %s = %.15g here but %.15g on line %d; " TIE_ONE_VALUE,
                             tie, w->a, w->v, arcs[a].w, arcs[a].line, tie);
            else
                rc = lp_fail(pe, w->line, "duplicate weight w_%d,%d (first given on line %d)", i, j, arcs[a].line);
            break;
        }
        arcs[a].w = w->v;
        arcs[a].has_w = 1;
        arcs[a].line = w->line;
    }
    if (rc) { free(arcs); return -1; }

    if (n > 1) qsort(arcs, (size_t)n, sizeof *arcs, arc_cmp);   /* never qsort(NULL, 0): no arcs at all */
    l->arcs = calloc((size_t)(n ? n : 1), sizeof *l->arcs);
    l->arc_in = calloc((size_t)max_id + 2, sizeof *l->arc_in);
    l->arc_out = calloc((size_t)max_id + 2, sizeof *l->arc_out);
    l->out_idx = malloc((size_t)(n ? n : 1) * sizeof *l->out_idx);
    if (!l->arcs || !l->arc_in || !l->arc_out || !l->out_idx) { free(arcs); return lp_fail(pe, 0, "out of memory"); }
    l->n_arcs = n;
    uint64_t rng = p->seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
    for (int a = 0; a < n; a++) {
        l->arcs[a].i = arcs[a].i;
        l->arcs[a].j = arcs[a].j;
        l->arcs[a].w = arcs[a].w;
        l->arc_in[arcs[a].j + 1]++;
        l->arc_out[arcs[a].i + 1]++;
    }
    for (int id = 0; id <= max_id; id++) {
        l->arc_in[id + 1] += l->arc_in[id];
        l->arc_out[id + 1] += l->arc_out[id];
    }
    for (int k = 0; k < l->n_neurons; k++) {
        int j = l->neurons[k];
        if (l->arc_in[j + 1] > l->arc_in[j]) continue;
        free(arcs);
        if (l->labels[j][0])
            snprintf(nm, sizeof nm, " (%s)", l->labels[j]);
        else
            nm[0] = '\0';
        return lp_fail(pe, p->neuron_line[k], "neuron %d%s has no incoming arc, so in_%d would be 0 "
                       "whatever the input; give it a weight or drop its 'nobias'", j, nm, j);
    }
    int *fill = calloc((size_t)max_id + 1, sizeof *fill);
    if (!fill) { free(arcs); return lp_fail(pe, 0, "out of memory"); }
    for (int a = 0; a < n; a++) {
        int i = l->arcs[a].i;
        l->out_idx[l->arc_out[i] + fill[i]++] = a;     /* a ascending: (i, j) order */
    }
    free(fill);
    if (build_ties(pe, l, p, at, arcs)) { free(arcs); return -1; }

    /* weights: given, or drawn by `init-layer` (its own seeded stream per
     * layer) or by `init` (one stream over all arcs, in arc order) */
    uint64_t lrng[LESSON_MAX_LAYERS + 1];
    int linit_of[LESSON_MAX_LAYERS + 1];
    for (int ly = 0; ly <= LESSON_MAX_LAYERS; ly++) linit_of[ly] = -1;
    for (int m = 0; m < p->n_linit; m++) {
        if (p->linit[m].layer > l->n_layers) {
            free(arcs);
            return lp_fail(pe, p->linit[m].line, "init-layer %d: the network has %d layer%s",
                        p->linit[m].layer, l->n_layers, l->n_layers == 1 ? "" : "s");
        }
        linit_of[p->linit[m].layer] = m;
        lrng[p->linit[m].layer] = p->linit[m].seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
    }
    /* every arc without a weight or an init, named in one message */
    enum { MISSING_SHOWN = 20 };
    char missing[MISSING_SHOWN * 24 + 64];
    int n_missing = 0;
    size_t used = 0;
    missing[0] = '\0';
    for (int a = 0; a < n; a++) {
        int j = l->arcs[a].j, m = linit_of[l->layer_of[j]];
        if (arcs[a].has_w || (m >= 0 ? p->linit[m].kind : p->init) != INIT_NONE) continue;
        if (n_missing++ < MISSING_SHOWN) {
            int w = snprintf(missing + used, sizeof missing - used, "%sw_%d,%d",
                             n_missing > 1 ? ", " : "", l->arcs[a].i, j);
            if (w > 0 && (size_t)w < sizeof missing - used) used += (size_t)w;
        }
    }
    if (n_missing == 1) {
        free(arcs);
        return lp_fail(pe, 0, "missing weight %s (every arc needs 'weight %s = VALUE', or an 'init' line)",
                       missing, missing);
    }
    if (n_missing > 1) {
        free(arcs);
        return lp_fail(pe, 0, "missing %d weights: %s%s (every arc needs a line 'weight w_i,j = VALUE', "
                       "or an 'init' line; `nntrace new SHAPE` writes them all)", n_missing, missing,
                       n_missing > MISSING_SHOWN ? ", ..." : "");
    }
    for (int a = 0; a < n; a++) {
        if (arcs[a].has_w) continue;
        int i = l->arcs[a].i, j = l->arcs[a].j, m = linit_of[l->layer_of[j]];
        init_kind kind = m >= 0 ? p->linit[m].kind : p->init;
        uint64_t *r = m >= 0 ? &lrng[l->layer_of[j]] : &rng;
        assert(kind != INIT_NONE);      /* reported above */
        double fan_in = l->arc_in[j + 1] - l->arc_in[j] - (lesson_arc_index(l, 0, j) >= 0);
        double fan_out = l->arc_out[j + 1] - l->arc_out[j];
        if (fan_in < 1) fan_in = 1;
        if (fan_out < 1) fan_out = 1;
        if (kind == INIT_UNIFORM)
            l->arcs[a].w = p->init_lo + (p->init_hi - p->init_lo) * rng_uniform(r);
        else if (i == 0)
            l->arcs[a].w = 0.0;                                 /* Xavier/He: biases start at 0 */
        else if (kind == INIT_XAVIER)                           /* U(+-sqrt(6/(fan_in+fan_out))) */
            l->arcs[a].w = sqrt(6.0 / (fan_in + fan_out)) * (2.0 * rng_uniform(r) - 1.0);
        else if (kind == INIT_XAVIER_NORMAL)                    /* 000: randn * sqrt(1/n_{l-1}) */
            l->arcs[a].w = sqrt(1.0 / fan_in) * rng_normal(r);
        else                                                    /* He: N(0, 2/fan_in) */
            l->arcs[a].w = sqrt(2.0 / fan_in) * rng_normal(r);
    }
    free(arcs);
    for (int a = 0; a < n; a++)              /* a tie drawn by `init`: its first arc's draw */
        if (l->arcs[a].tie) l->arcs[a].w = l->arcs[l->ties[l->arcs[a].tie - 1].first].w;

    /* aliases and frozen weights name existing arcs */
    for (int k = 0; k < p->n_aliases && rc == 0; k++) {
        if (p->aliases[k].has_v == RAW_TIE) continue;
        int a = lesson_arc_index(l, at->i[k], at->j[k]);
        if (a < 0)
            rc = lp_fail(pe, p->aliases[k].line, "alias '%s': %s", p->aliases[k].a,
                         no_arc(l, at->i[k], at->j[k], why, sizeof why));
        else
            memcpy(l->arcs[a].alias, p->aliases[k].a, strlen(p->aliases[k].a) + 1);
    }
    for (int k = 0; k < p->n_freezes && rc == 0; k++) {
        int i, j, a;
        if (weight_name(l, at, p, p->freezes[k].a, &i, &j, why, sizeof why))
            rc = lp_fail(pe, p->freezes[k].line, "%s", why);
        else if ((a = lesson_arc_index(l, i, j)) < 0)
            rc = lp_fail(pe, p->freezes[k].line, "freeze: %s", no_arc(l, i, j, why, sizeof why));
        else
            l->arcs[a].frozen = 1;
    }
    /* a tie is one parameter: freezing any of its names freezes all its arcs */
    for (int a = 0; a < n && rc == 0; a++)
        if (l->arcs[a].tie && l->arcs[a].frozen) l->arcs[l->ties[l->arcs[a].tie - 1].first].frozen = 1;
    for (int a = 0; a < n && rc == 0; a++)
        if (l->arcs[a].tie && l->arcs[l->ties[l->arcs[a].tie - 1].first].frozen) l->arcs[a].frozen = 1;
    return rc;
}

/* normalise, dropout and batchnorm against the network and the set-up. */
static int check_extras(perr *pe, lesson *l, pass1 *p)
{
    int ln = p->seen[KEY_NORMALISE], ld = p->seen[KEY_DROPOUT];
    int lb = p->seen[KEY_BATCHNORM];
    if (ln && l->n_examples < 2)
        return lp_fail(pe, ln, "'normalise' needs at least 2 examples (it normalises over them)");
    if ((ln || ld) && l->rule == RULE_PERCEPTRON)
        return lp_fail(pe, ln ? ln : ld, "'%s' is not available with 'rule perceptron'", ln ? "normalise" : "dropout");
    if (ld && l->steps == 0)
        return lp_fail(pe, ld, "dropout masks neurons in training steps only, and the lesson trains none "
                       "(steps 0; a forward pass uses no mask): drop 'dropout' or train");
    if (ld && l->dropout_layer >= l->n_layers)
        return lp_fail(pe, ld, "dropout layer %d: only a hidden layer (1 to %d) can drop neurons",
                    l->dropout_layer, l->n_layers - 1);
    if (lb) {
        if (l->bn_layer > l->n_layers)
            return lp_fail(pe, lb, "batchnorm layer %d: the network has %d layer%s", l->bn_layer,
                        l->n_layers, l->n_layers == 1 ? "" : "s");
        if (l->layers[l->bn_layer - 1].act.kind == ACT_SOFTMAX)
            return lp_fail(pe, lb, "batchnorm of a softmax layer is not supported");
        if (l->steps > 0)
            return lp_fail(pe, lb, "batchnorm is forward-only here: use 'steps 0' (no training through it)");
        if (l->n_examples < 2)
            return lp_fail(pe, lb, "batchnorm needs a mini-batch of at least 2 examples");
        if (ld) return lp_fail(pe, lb, "batchnorm and dropout in one lesson are not supported");
    }
    return 0;
}

int lp_check_setup(perr *pe, lesson *l, pass1 *p)
{
    if (!l->title) return lp_fail(pe, 0, "missing 'title' line");
    if (p->n_exl == 0) return lp_fail(pe, 0, "missing 'example' line");
    int n_out;
    lesson_outputs(l, &n_out);
    l->n_out = n_out;
    l->n_examples = p->n_exl;
    int with_y = p->ex_ny[0] != -1;
    size_t off = 0;
    l->ex_x = malloc((size_t)p->n_exl * (size_t)l->n_in * sizeof *l->ex_x);
    l->ex_y = with_y ? malloc((size_t)p->n_exl * (size_t)n_out * sizeof *l->ex_y) : NULL;
    if (!l->ex_x || (with_y && !l->ex_y)) return lp_fail(pe, 0, "out of memory");
    for (int e = 0; e < p->n_exl; e++) {
        int line = p->ex_line[e];
        if (p->ex_nx[e] != l->n_in)
            return lp_fail(pe, line, "example has %d input value%s, the network has %d input neuron%s",
                        p->ex_nx[e], p->ex_nx[e] == 1 ? "" : "s", l->n_in, l->n_in == 1 ? "" : "s");
        if ((p->ex_ny[e] != -1) != with_y)
            return lp_fail(pe, line, "either every example has targets ('-> y') or none has");
        if (p->ex_ny[e] <= LESSON_CLASS_TARGET(0)) {      /* -> class K (lecture 001, 07-4c: one-hot) */
            int c = LESSON_CLASS_TARGET(0) - p->ex_ny[e];
            if (n_out == 1 ? c > 1 : c < 1 || c > n_out)
                return lp_fail(pe, line, n_out == 1 ? "class %d: a single output neuron takes class 0 or 1"
                                                    : "class %d: the output layer has %d neurons, one per class 1..%d",
                               c, n_out, n_out);
            memcpy(l->ex_x + (size_t)e * l->n_in, p->ex + off, (size_t)l->n_in * sizeof *l->ex_x);
            off += (size_t)l->n_in;
            for (int o = 0; o < n_out; o++)
                l->ex_y[(size_t)e * n_out + o] = n_out == 1 ? c : o + 1 == c;
            continue;
        }
        if (with_y && p->ex_ny[e] != n_out)
            return lp_fail(pe, line, "example has %d target%s, the output layer has %d neuron%s",
                        p->ex_ny[e], p->ex_ny[e] == 1 ? "" : "s", n_out, n_out == 1 ? "" : "s");
        memcpy(l->ex_x + (size_t)e * l->n_in, p->ex + off, (size_t)l->n_in * sizeof *l->ex_x);
        off += (size_t)l->n_in;
        if (with_y) {
            memcpy(l->ex_y + (size_t)e * n_out, p->ex + off, (size_t)n_out * sizeof *l->ex_y);
            off += (size_t)n_out;
        }
    }
    if (l->rule == RULE_PERCEPTRON) {      /* one example per step, epoch by epoch */
        int line_rule = p->seen[KEY_RULE];
        if (!l->epochs) return lp_fail(pe, line_rule, "'rule perceptron' needs 'epochs N' (the epoch limit)");
        if (p->seen[KEY_STEPS])
            return lp_fail(pe, p->seen[KEY_STEPS], "'rule perceptron' counts 'epochs', not 'steps'");
        if (p->seen[KEY_BATCH])
            return lp_fail(pe, p->seen[KEY_BATCH], "'rule perceptron' updates after each example (no 'batch')");
        if (p->seen[KEY_DECAY])
            return lp_fail(pe, p->seen[KEY_DECAY], "'rule perceptron' has no weight decay (its update is "
                           "w <- w + alpha (y - h) x); drop 'decay'");
        if (l->n_layers != 1 || l->layers[0].act.kind != ACT_STEP)
            return lp_fail(pe, line_rule, "'rule perceptron' needs one layer of step (threshold) units");
        if ((long long)l->epochs * l->n_examples > LESSON_MAX_STEPS)
            return lp_fail(pe, p->seen[KEY_EPOCHS], "epochs x examples is more than %d steps", LESSON_MAX_STEPS);
        l->steps = l->epochs * l->n_examples;
        p->seen[KEY_STEPS] = p->seen[KEY_EPOCHS];
        if (l->n_ties)
            return lp_fail(pe, l->ties[0].line, "'tie' is for backprop lessons, not 'rule perceptron' "
                           "(the perceptron rule updates each weight on its own)");
    } else if (l->epochs) {
        return lp_fail(pe, p->seen[KEY_EPOCHS], "'epochs' is for 'rule perceptron'; use 'steps'");
    }
    if (!p->seen[KEY_STEPS]) l->steps = p->seen[KEY_RATE] || l->no_update ? 1 : 0;
    if (l->no_update && l->rule == RULE_PERCEPTRON)
        return lp_fail(pe, p->seen[KEY_UPDATE], "'update no' is for backprop lessons, not 'rule perceptron'");
    if (check_extras(pe, l, p)) return -1;
    if (l->steps > 0) {
        if (!with_y) return lp_fail(pe, p->seen[KEY_STEPS], "the lesson trains (steps %d) but its examples have no targets ('-> y')", l->steps);
        if (!p->seen[KEY_RATE] && !l->no_update) return lp_fail(pe, 0, "missing 'rate' line (the lesson trains)");
    }
    if (with_y && !l->has_loss && l->rule != RULE_PERCEPTRON) return lp_fail(pe, 0, "missing 'loss' line (the examples have targets)");
    act_kind out = l->layers[l->n_layers - 1].act.kind;
    int line_loss = p->seen[KEY_LOSS];
    const loss_row *lr = l->has_loss ? &LOSS_ROWS[l->loss] : NULL;
    if (lr && lr->needs_out == ACT_SOFTMAX && out != ACT_SOFTMAX)
        return lp_fail(pe, line_loss, "%s", lr->needs_msg);
    if (lr && out == ACT_SOFTMAX && lr->needs_out != ACT_SOFTMAX)   /* softmax's delta exists for one loss */
        return lp_fail(pe, line_loss, "a softmax output layer needs loss softmax-ce");
    if (lr && lr->needs_out != ACT_COUNT && out != lr->needs_out)
        return lp_fail(pe, line_loss, "%s", lr->needs_msg);
    if (l->batch > l->n_examples)
        return lp_fail(pe, p->seen[KEY_BATCH], "batch %d is larger than the %d examples",
                    l->batch, l->n_examples);
    for (int k = 0; k < l->n_trace_steps; k++)
        if (l->trace_steps[k] > l->steps && !(l->final_forward && l->trace_steps[k] == l->steps + 1))
            return lp_fail(pe, p->seen[KEY_TRACE], "trace step %d is after the last step %d",
                        l->trace_steps[k], l->steps);
    for (int k = 0; k < l->n_report_steps; k++)
        if (l->report_steps[k] > l->steps)
            return lp_fail(pe, p->seen[KEY_REPORT], "report step %d is after the last step %d",
                        l->report_steps[k], l->steps);
    char why[512];
    int vary_line;
    if (variant_check_lines(l, &vary_line, why, sizeof why)) return lp_fail(pe, vary_line, "%s", why);
    return 0;
}

/* splitmix64 over (seed, t, b, j): one independent draw per mask entry. */
int lesson_dropout_keep(const lesson *l, int t, int b, int j)
{
    uint64_t z = l->dropout_seed * 0x9E3779B97F4A7C15ULL + (uint64_t)(uint32_t)t * 0xD1B54A32D192ED03ULL +
                 (uint64_t)(uint32_t)b * 0xAEF17502108EF2D9ULL + (uint64_t)(uint32_t)j * 0x94D049BB133111EBULL;
    return rng_unit(rng_mix(rng_mix(z))) >= l->dropout_p;
}
