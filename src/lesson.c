/*
 * lesson.c - the lesson file parser and network validator.
 *
 * Parsing is two passes. The first reads lines into directives (keeping each
 * line number) and checks what a single line can tell: known key, number
 * syntax, no duplicates of one-off keys. The second builds the network from
 * all of them (labels and aliases may be used before they are declared) and
 * checks what only the whole file can tell: every arc forward, every arc with
 * a weight, examples of the right width.
 *
 * Every error is "path:line: message" in the caller's buffer; nothing exits.
 */
#include "lesson.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */

typedef struct {
    const char *path;
    char *err;
    size_t errsize;
    int failed;
} perr;

static int fail(perr *pe, int line, const char *fmt, ...)
{
    if (pe->failed) return -1;
    pe->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0) snprintf(pe->err, pe->errsize, "%s:%d: %s", pe->path, line, msg);
    else snprintf(pe->err, pe->errsize, "%s: %s", pe->path, msg);
    return -1;
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Strict decimal: [+-]digits[.digits][(e|E)[+-]digits], or [+-].digits.
 * Returns 0 and the value, -1 for not a number, -2 for not finite. */
static int parse_number(const char *s, double *v, int *decimals)
{
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    int intd = 0, fracd = 0;
    while (isdigit((unsigned char)*p)) { p++; intd++; }
    if (*p == '.') { p++; while (isdigit((unsigned char)*p)) { p++; fracd++; } }
    int exp = 0;
    if (intd + fracd > 0 && (*p == 'e' || *p == 'E')) {
        p++;
        int sign = 1, expd = 0;
        if (*p == '+' || *p == '-') { if (*p == '-') sign = -1; p++; }
        while (isdigit((unsigned char)*p)) { if (exp < 10000) exp = exp * 10 + (*p - '0'); p++; expd++; }
        if (!expd) return -1;
        exp *= sign;
    }
    if (*p != '\0' || intd + fracd == 0) {
        const char *q = s + (*s == '+' || *s == '-');
        if (!strncmp(q, "nan", 3) || !strncmp(q, "NaN", 3) || !strncmp(q, "NAN", 3) ||
            !strncmp(q, "inf", 3) || !strncmp(q, "Inf", 3) || !strncmp(q, "INF", 3))
            return -2;
        return -1;
    }
    errno = 0;
    *v = strtod(s, NULL);
    if (!isfinite(*v)) return -2;
    if (decimals) { int d = fracd - exp; *decimals = d > 0 ? d : 0; }
    return 0;
}

static int number_or_fail(perr *pe, int line, const char *tok, double *v, int *dec)
{
    int rc = parse_number(tok, v, dec);
    if (rc == -2) return fail(pe, line, "'%s' is not a finite number", tok);
    if (rc) return fail(pe, line, "'%s' is not a number", tok);
    return 0;
}

static int int_or_fail(perr *pe, int line, const char *tok, long lo, long hi, long *v)
{
    char *end;
    errno = 0;
    long x = strtol(tok, &end, 10);
    if (*tok == '\0' || *end != '\0' || errno)
        return fail(pe, line, "'%s' is not a whole number", tok);
    if (x < lo || x > hi)
        return fail(pe, line, "%ld is out of range (%ld to %ld)", x, lo, hi);
    *v = x;
    return 0;
}

/* Growable array push: *arr has *n elements, room for *cap. */
static int push(void **arr, int *n, int *cap, const void *elem, size_t size)
{
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 16;
        void *p = realloc(*arr, (size_t)c * size);
        if (!p) return -1;
        *arr = p;
        *cap = c;
    }
    memcpy((char *)*arr + (size_t)*n * size, elem, size);
    (*n)++;
    return 0;
}

/* ------------------------------------------------------------------------
 * Pass 1: lines into directives
 * ---------------------------------------------------------------------- */

#define MAX_TOKS 4096

typedef struct {       /* a weight/alias/label/freeze/... line kept for pass 2 */
    int line;
    char a[64], b[64];
    double v;
    int has_v;
} raw;

typedef struct {
    raw  *weights;  int n_weights, c_weights;
    raw  *aliases;  int n_aliases, c_aliases;
    raw  *labels;   int n_labels, c_labels;
    raw  *freezes;  int n_freezes, c_freezes;
    raw  *nobias;   int n_nobias, c_nobias;
    char **in_toks; int n_in_toks, in_line;
    struct { int line; act_fn act; int first, count; } *layers;
    int   n_layers, c_layers;
    int32_t *lneurons; int n_lneurons, c_lneurons;
    int   *neuron_line; int n_nl, c_nl;
    double *ex; int n_ex, c_ex;          /* flattened x then y per example */
    int   *ex_line; int n_exl, c_exl;
    int   *ex_nx, *ex_ny; int n_exn, c_exn, n_exn2, c_exn2;
    int   arcs_listed, arcs_line;
    init_kind init; double init_lo, init_hi; unsigned long long seed; int init_line;
    struct { int line, layer; init_kind kind; unsigned long long seed; } *linit;
    int   n_linit, c_linit;                /* `init-layer L KIND SEED` lines */
    int   seen[32];                        /* line of each one-off key, 0 = unseen */
} pass1;

static const char *const ONEOFF[] = {
    "title", "source", "input", "loss", "rate", "decay", "batch", "steps",
    "digits", "round", "trace", "report", "arcs", "init", "final-forward",
    "notation", "rule", "epochs", "ecf", "tolerance",
    "normalise", "dropout", "batchnorm", NULL,
};

static int oneoff_index(const char *key)
{
    for (int k = 0; ONEOFF[k]; k++) if (!strcmp(ONEOFF[k], key)) return k;
    return -1;
}

static void pass1_free(pass1 *p)
{
    free(p->weights); free(p->aliases); free(p->labels); free(p->freezes); free(p->nobias);
    for (int k = 0; k < p->n_in_toks; k++) free(p->in_toks[k]);
    free(p->in_toks); free(p->layers); free(p->lneurons); free(p->neuron_line);
    free(p->ex); free(p->ex_line); free(p->ex_nx); free(p->ex_ny);
    free(p->linit);
}

static int copy_name(perr *pe, int line, char *dst, size_t size, const char *src)
{
    if (strlen(src) >= size) return fail(pe, line, "name '%.40s...' is too long", src);
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

/* "name = value" or "name value" starting at toks[1]. */
static int name_value(perr *pe, int line, char **toks, int nt, raw *r)
{
    if (nt == 4 && strcmp(toks[2], "=") == 0) { toks[2] = toks[3]; nt = 3; }
    if (nt != 3) return fail(pe, line, "expected '%s NAME = VALUE'", toks[0]);
    if (copy_name(pe, line, r->a, sizeof r->a, toks[1])) return -1;
    r->has_v = 1;
    return number_or_fail(pe, line, toks[2], &r->v, NULL);
}

static int int_list(perr *pe, int line, char **toks, int nt, int **out, int *n, long lo, long hi)
{
    if (nt < 2) return fail(pe, line, "'%s' needs at least one value", toks[0]);
    *out = malloc((size_t)(nt - 1) * sizeof **out);
    if (!*out) return fail(pe, line, "out of memory");
    for (int k = 1; k < nt; k++) {
        long v = 0;
        if (int_or_fail(pe, line, toks[k], lo, hi, &v)) return -1;
        (*out)[k - 1] = (int)v;
    }
    *n = nt - 1;
    return 0;
}

static int directive(perr *pe, lesson *l, pass1 *p, int line, char *rest, char **toks, int nt)
{
    const char *key = toks[0];
    int once = oneoff_index(key);
    if (once >= 0) {
        if (p->seen[once])
            return fail(pe, line, "duplicate '%s' (first given on line %d)", key, p->seen[once]);
        p->seen[once] = line;
    }
    long v = 0;
    double d;
    raw r = {0};
    r.line = line;

    if (!strcmp(key, "title") || !strcmp(key, "source") || !strcmp(key, "note")) {
        if (!*rest) return fail(pe, line, "'%s' needs text", key);
        if (!strcmp(key, "note")) {
            size_t old = l->notes ? strlen(l->notes) : 0;
            char *n = realloc(l->notes, old + strlen(rest) + 2);
            if (!n) return fail(pe, line, "out of memory");
            if (old) n[old++] = '\n';
            memcpy(n + old, rest, strlen(rest) + 1);
            l->notes = n;
            return 0;
        }
        char **dst = !strcmp(key, "title") ? &l->title : &l->source;
        if (!(*dst = dupstr(rest))) return fail(pe, line, "out of memory");
        return 0;
    }
    if (!strcmp(key, "input")) {
        if (nt < 2) return fail(pe, line, "'input' needs at least one neuron");
        p->in_toks = calloc((size_t)nt, sizeof *p->in_toks);
        if (!p->in_toks) return fail(pe, line, "out of memory");
        for (int k = 1; k < nt; k++)
            if (!(p->in_toks[p->n_in_toks++] = dupstr(toks[k]))) return fail(pe, line, "out of memory");
        p->in_line = line;
        return 0;
    }
    if (!strcmp(key, "layer")) {
        if (nt < 2) return fail(pe, line, "'layer' needs an activation and its neurons");
        if (nt < 3) return fail(pe, line, "layer with no neurons");
        if (p->n_layers >= LESSON_MAX_LAYERS)
            return fail(pe, line, "more than %d layers", LESSON_MAX_LAYERS);
        act_fn act;
        if (act_parse(toks[1], &act))
            return fail(pe, line, "unknown activation '%s' (known: identity, step, logistic, "
                        "tanh, arctan, relu, leaky-relu(s), prelu(s), elu(a), softplus, softmax)",
                        toks[1]);
        struct { int line; act_fn act; int first, count; } ly = {line, act, p->n_lneurons, nt - 2};
        if (push((void **)&p->layers, &p->n_layers, &p->c_layers, &ly, sizeof ly))
            return fail(pe, line, "out of memory");
        for (int k = 2; k < nt; k++) {
            if (int_or_fail(pe, line, toks[k], 1, LESSON_MAX_ID, &v)) return -1;
            int32_t id = (int32_t)v;
            if (push((void **)&p->lneurons, &p->n_lneurons, &p->c_lneurons, &id, sizeof id) ||
                push((void **)&p->neuron_line, &p->n_nl, &p->c_nl, &line, sizeof line))
                return fail(pe, line, "out of memory");
        }
        return 0;
    }
    if (!strcmp(key, "weight")) {
        if (name_value(pe, line, toks, nt, &r)) return -1;
        if (p->n_weights >= LESSON_MAX_ARCS) return fail(pe, line, "more than %d weights", LESSON_MAX_ARCS);
        return push((void **)&p->weights, &p->n_weights, &p->c_weights, &r, sizeof r)
               ? fail(pe, line, "out of memory") : 0;
    }
    if (!strcmp(key, "alias") || !strcmp(key, "label")) {
        if (nt != 3) return fail(pe, line, "expected '%s %s'", key,
                                 !strcmp(key, "alias") ? "NAME w_i,j" : "NEURON NAME");
        if (copy_name(pe, line, r.a, LESSON_NAME_MAX, toks[1]) ||
            copy_name(pe, line, r.b, LESSON_NAME_MAX, toks[2])) return -1;
        const char *nm = !strcmp(key, "alias") ? r.a : r.b;
        if (!isalpha((unsigned char)nm[0]))
            return fail(pe, line, "name '%s' must start with a letter", nm);
        for (const char *c = nm; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_')
                return fail(pe, line, "name '%s' may hold only letters, digits and '_'", nm);
        if (!strcmp(key, "alias"))
            return push((void **)&p->aliases, &p->n_aliases, &p->c_aliases, &r, sizeof r)
                   ? fail(pe, line, "out of memory") : 0;
        return push((void **)&p->labels, &p->n_labels, &p->c_labels, &r, sizeof r)
               ? fail(pe, line, "out of memory") : 0;
    }
    if (!strcmp(key, "freeze") || !strcmp(key, "nobias")) {
        if (nt < 2) return fail(pe, line, "'%s' needs at least one name", key);
        for (int k = 1; k < nt; k++) {
            raw f = {0};
            f.line = line;
            if (copy_name(pe, line, f.a, sizeof f.a, toks[k])) return -1;
            int rc = !strcmp(key, "freeze")
                ? push((void **)&p->freezes, &p->n_freezes, &p->c_freezes, &f, sizeof f)
                : push((void **)&p->nobias, &p->n_nobias, &p->c_nobias, &f, sizeof f);
            if (rc) return fail(pe, line, "out of memory");
        }
        return 0;
    }
    if (!strcmp(key, "loss")) {
        if (nt != 2 || loss_parse(toks[1], &l->loss))
            return fail(pe, line, "unknown loss '%s' (known: sse, half-sse, bce, softmax-ce)",
                        nt > 1 ? toks[1] : "");
        l->has_loss = 1;
        return 0;
    }
    if (!strcmp(key, "rate") || !strcmp(key, "decay")) {
        if (nt != 2) return fail(pe, line, "'%s' takes one number", key);
        if (number_or_fail(pe, line, toks[1], &d, NULL)) return -1;
        if (d < 0) return fail(pe, line, "'%s' must not be negative", key);
        *(!strcmp(key, "rate") ? &l->rate : &l->decay) = d;
        return 0;
    }
    if (!strcmp(key, "batch") || !strcmp(key, "steps") || !strcmp(key, "digits") ||
        !strcmp(key, "round")) {
        if (nt != 2) return fail(pe, line, "'%s' takes one whole number", key);
        long lo = !strcmp(key, "batch") ? 1 : 0;
        long hi = !strcmp(key, "steps") ? LESSON_MAX_STEPS
                : !strcmp(key, "batch") ? LESSON_MAX_EXAMPLES : 12;
        if (int_or_fail(pe, line, toks[1], lo, hi, &v)) return -1;
        if (!strcmp(key, "batch")) l->batch = (int)v;
        else if (!strcmp(key, "steps")) l->steps = (int)v;
        else if (!strcmp(key, "digits")) l->digits = (int)v;
        else l->round = (int)v;
        return 0;
    }
    if (!strcmp(key, "notation")) {
        if (nt != 2 || (l->notation = lesson_notation_parse(toks[1])) < 0)
            return fail(pe, line, "'notation' takes va, layer, netout or bar");
        return 0;
    }
    if (!strcmp(key, "rule")) {
        if (nt != 2 || (strcmp(toks[1], "backprop") && strcmp(toks[1], "perceptron")))
            return fail(pe, line, "'rule' takes backprop or perceptron");
        l->rule = !strcmp(toks[1], "perceptron") ? RULE_PERCEPTRON : RULE_BACKPROP;
        return 0;
    }
    if (!strcmp(key, "epochs")) {
        if (nt != 2) return fail(pe, line, "'epochs' takes one whole number");
        if (int_or_fail(pe, line, toks[1], 1, 100000, &v)) return -1;
        l->epochs = (int)v;
        return 0;
    }
    if (!strcmp(key, "final-forward")) {
        if (nt != 2 || (strcmp(toks[1], "yes") && strcmp(toks[1], "no")))
            return fail(pe, line, "'final-forward' takes yes or no");
        l->final_forward = !strcmp(toks[1], "yes");
        return 0;
    }
    if (!strcmp(key, "trace")) {
        if (nt == 2 && !strcmp(toks[1], "all")) return 0;
        if (nt == 2 && !strcmp(toks[1], "none")) {
            l->trace_steps = malloc(sizeof *l->trace_steps);
            if (!l->trace_steps) return fail(pe, line, "out of memory");
            return 0;
        }
        return int_list(pe, line, toks, nt, &l->trace_steps, &l->n_trace_steps, 1, LESSON_MAX_STEPS);
    }
    if (!strcmp(key, "report"))
        return int_list(pe, line, toks, nt, &l->report_steps, &l->n_report_steps, 1, LESSON_MAX_STEPS);
    if (!strcmp(key, "arcs")) {
        if (nt != 2 || (strcmp(toks[1], "full") && strcmp(toks[1], "listed")))
            return fail(pe, line, "'arcs' takes full or listed");
        p->arcs_listed = !strcmp(toks[1], "listed");
        return 0;
    }
    if (!strcmp(key, "init")) {
        long seed;
        p->init_line = line;
        if (nt == 5 && !strcmp(toks[1], "uniform")) {
            p->init = INIT_UNIFORM;
            if (number_or_fail(pe, line, toks[2], &p->init_lo, NULL) ||
                number_or_fail(pe, line, toks[3], &p->init_hi, NULL) ||
                int_or_fail(pe, line, toks[4], 0, 2147483647L, &seed)) return -1;
            if (p->init_lo >= p->init_hi) return fail(pe, line, "init uniform needs LOW < HIGH");
        } else if (nt == 3 && (!strcmp(toks[1], "xavier") || !strcmp(toks[1], "he") ||
                               !strcmp(toks[1], "xavier-normal"))) {
            p->init = !strcmp(toks[1], "xavier") ? INIT_XAVIER
                    : !strcmp(toks[1], "he") ? INIT_HE : INIT_XAVIER_NORMAL;
            if (int_or_fail(pe, line, toks[2], 0, 2147483647L, &seed)) return -1;
        } else {
            return fail(pe, line, "expected 'init uniform LOW HIGH SEED', 'init xavier SEED', "
                        "'init xavier-normal SEED' or 'init he SEED'");
        }
        p->seed = (unsigned long long)seed;
        return 0;
    }
    if (!strcmp(key, "init-layer")) {     /* init-layer L xavier|xavier-normal|he SEED */
        long layer, seed;
        if (nt != 4) return fail(pe, line, "expected 'init-layer LAYER xavier|xavier-normal|he SEED'");
        if (int_or_fail(pe, line, toks[1], 1, LESSON_MAX_LAYERS, &layer) ||
            int_or_fail(pe, line, toks[3], 0, 2147483647L, &seed)) return -1;
        init_kind k = !strcmp(toks[2], "xavier") ? INIT_XAVIER : !strcmp(toks[2], "he") ? INIT_HE
                    : !strcmp(toks[2], "xavier-normal") ? INIT_XAVIER_NORMAL : INIT_NONE;
        if (k == INIT_NONE)
            return fail(pe, line, "unknown initialisation '%s' (known: xavier, xavier-normal, he)", toks[2]);
        for (int m = 0; m < p->n_linit; m++)
            if (p->linit[m].layer == layer)
                return fail(pe, line, "layer %ld already has an 'init-layer' (line %d)", layer, p->linit[m].line);
        struct { int line, layer; init_kind kind; unsigned long long seed; } li =
            {line, (int)layer, k, (unsigned long long)seed};
        return push((void **)&p->linit, &p->n_linit, &p->c_linit, &li, sizeof li)
               ? fail(pe, line, "out of memory") : 0;
    }
    if (!strcmp(key, "normalise")) {
        if (nt != 2 || (strcmp(toks[1], "zscore") && strcmp(toks[1], "minmax")))
            return fail(pe, line, "'normalise' takes zscore or minmax");
        l->normalise = !strcmp(toks[1], "zscore") ? LESSON_NORM_ZSCORE : LESSON_NORM_MINMAX;
        return 0;
    }
    if (!strcmp(key, "dropout")) {        /* dropout LAYER P SEED */
        long layer, seed;
        if (nt != 4) return fail(pe, line, "expected 'dropout LAYER P SEED' (P the probability of a drop)");
        if (int_or_fail(pe, line, toks[1], 1, LESSON_MAX_LAYERS, &layer) ||
            number_or_fail(pe, line, toks[2], &d, NULL) ||
            int_or_fail(pe, line, toks[3], 0, 2147483647L, &seed)) return -1;
        if (!(d >= 0 && d < 1)) return fail(pe, line, "dropout probability must be at least 0 and below 1");
        l->dropout_layer = (int)layer;
        l->dropout_p = d;
        l->dropout_seed = (unsigned long long)seed;
        return 0;
    }
    if (!strcmp(key, "batchnorm")) {      /* batchnorm LAYER GAMMA BETA */
        long layer;
        if (nt != 4) return fail(pe, line, "expected 'batchnorm LAYER GAMMA BETA'");
        if (int_or_fail(pe, line, toks[1], 1, LESSON_MAX_LAYERS, &layer) ||
            number_or_fail(pe, line, toks[2], &l->bn_gamma, NULL) ||
            number_or_fail(pe, line, toks[3], &l->bn_beta, NULL)) return -1;
        l->bn_layer = (int)layer;
        return 0;
    }
    if (!strcmp(key, "example")) {
        if (p->n_exl >= LESSON_MAX_EXAMPLES)
            return fail(pe, line, "more than %d examples", LESSON_MAX_EXAMPLES);
        int nx = 0, ny = -1;
        for (int k = 1; k < nt; k++) {
            if (!strcmp(toks[k], "->")) {
                if (ny >= 0) return fail(pe, line, "more than one '->' in example");
                ny = 0;
                continue;
            }
            if (number_or_fail(pe, line, toks[k], &d, NULL)) return -1;
            if (push((void **)&p->ex, &p->n_ex, &p->c_ex, &d, sizeof d))
                return fail(pe, line, "out of memory");
            if (ny >= 0) ny++; else nx++;
        }
        if (nx == 0) return fail(pe, line, "example has no input values");
        if (push((void **)&p->ex_line, &p->n_exl, &p->c_exl, &line, sizeof line) ||
            push((void **)&p->ex_nx, &p->n_exn, &p->c_exn, &nx, sizeof nx) ||
            push((void **)&p->ex_ny, &p->n_exn2, &p->c_exn2, &ny, sizeof ny))
            return fail(pe, line, "out of memory");
        return 0;
    }
    if (!strcmp(key, "expect")) {
        lesson_expect e = {0};
        if (nt == 4 && !strcmp(toks[2], "=")) { toks[2] = toks[3]; nt = 3; }
        if (nt != 3) return fail(pe, line, "expected 'expect NAME = VALUE'");
        if (strlen(toks[1]) >= sizeof e.name) return fail(pe, line, "name '%.40s...' is too long", toks[1]);
        memcpy(e.name, toks[1], strlen(toks[1]) + 1);
        if (isalpha((unsigned char)toks[2][0]) && parse_number(toks[2], &d, NULL) == -1) {
            if (strlen(toks[2]) >= sizeof e.same)   /* a fact: A equals B */
                return fail(pe, line, "name '%.40s...' is too long", toks[2]);
            memcpy(e.same, toks[2], strlen(toks[2]) + 1);
        } else if (number_or_fail(pe, line, toks[2], &e.value, &e.decimals)) {
            return -1;
        }
        e.line = line;
        int cap = l->n_expects;   /* grow by one: expectations are few */
        lesson_expect *ne = realloc(l->expects, (size_t)(cap + 1) * sizeof *ne);
        if (!ne) return fail(pe, line, "out of memory");
        l->expects = ne;
        l->expects[l->n_expects++] = e;
        return 0;
    }
    if (!strcmp(key, "ask")) {            /* grading: the asked quantities */
        if (nt < 2) return fail(pe, line, "'ask' needs at least one name or pattern");
        size_t old = l->ask ? strlen(l->ask) : 0, add = 0;
        for (int k = 1; k < nt; k++) add += strlen(toks[k]) + 1;
        if (old + add > 4000) return fail(pe, line, "'ask' lists are at most 4000 characters");
        char *a = realloc(l->ask, old + add + 1);
        if (!a) return fail(pe, line, "out of memory");
        l->ask = a;
        for (int k = 1; k < nt; k++) {
            if (old) a[old++] = ' ';
            memcpy(a + old, toks[k], strlen(toks[k]));
            old += strlen(toks[k]);
        }
        a[old] = '\0';
        return 0;
    }
    if (!strcmp(key, "ecf")) {            /* grading: carried-forward credit */
        if (nt != 2) return fail(pe, line, "'ecf' takes full, half or none");
        if (!strcmp(toks[1], "full")) l->ecf = LESSON_ECF_FULL;
        else if (!strcmp(toks[1], "half")) l->ecf = LESSON_ECF_HALF;
        else if (!strcmp(toks[1], "none")) l->ecf = LESSON_ECF_NONE;
        else return fail(pe, line, "'ecf' takes full, half or none, not '%s'", toks[1]);
        return 0;
    }
    if (!strcmp(key, "tolerance")) {      /* grading: absolute tolerance */
        if (nt != 2) return fail(pe, line, "'tolerance' takes one number");
        if (number_or_fail(pe, line, toks[1], &d, NULL)) return -1;
        if (!(d > 0)) return fail(pe, line, "'tolerance' must be positive");
        l->tolerance = d;
        return 0;
    }
    if (!strcmp(key, "points")) {         /* grading: points PATTERN = W */
        lesson_points pt = {0};
        if (nt == 4 && !strcmp(toks[2], "=")) { toks[2] = toks[3]; nt = 3; }
        if (nt != 3) return fail(pe, line, "expected 'points NAME-OR-PATTERN = NUMBER'");
        if (copy_name(pe, line, pt.pattern, sizeof pt.pattern, toks[1])) return -1;
        if (number_or_fail(pe, line, toks[2], &pt.points, NULL)) return -1;
        if (pt.points < 0 || pt.points > 1e6) return fail(pe, line, "points must be from 0 to 1000000");
        pt.line = line;
        if (l->n_points >= 10000) return fail(pe, line, "more than 10000 'points' lines");
        lesson_points *np = realloc(l->points, (size_t)(l->n_points + 1) * sizeof *np);
        if (!np) return fail(pe, line, "out of memory");
        l->points = np;
        l->points[l->n_points++] = pt;
        return 0;
    }
    return fail(pe, line, "unknown key '%s'", key);
}

/* Split a line into tokens in place; returns the count. `rest` is the text
 * after the first token (trimmed), for free-text keys. */
static int tokenize(char *s, char **toks, char **rest)
{
    int nt = 0;
    *rest = s + strlen(s);
    while (*s && nt < MAX_TOKS) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        toks[nt++] = s;
        while (*s && *s != ' ' && *s != '\t') s++;
        if (*s) *s++ = '\0';
        if (nt == 1) {
            while (*s == ' ' || *s == '\t') s++;
            *rest = s;
        }
    }
    return nt;
}

static int pass_lines(perr *pe, lesson *l, pass1 *p, const char *text, size_t len)
{
    char *buf = malloc(LESSON_MAX_LINE + 1);
    char **toks = malloc(MAX_TOKS * sizeof *toks);
    char *freetext = malloc(LESSON_MAX_LINE + 1);
    if (!buf || !toks || !freetext) {
        free(buf); free(toks); free(freetext);
        return fail(pe, 0, "out of memory");
    }
    int line = 0, rc = 0;
    size_t pos = 0;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) pos = 3;   /* UTF-8 BOM */
    while (pos < len && rc == 0) {
        line++;
        size_t start = pos;
        while (pos < len && text[pos] != '\n') pos++;
        size_t n = pos - start;
        if (pos < len) pos++;                       /* skip '\n' */
        if (n > 0 && text[start + n - 1] == '\r') n--;
        if (n > LESSON_MAX_LINE) { rc = fail(pe, line, "line longer than %d characters", LESSON_MAX_LINE); break; }
        for (size_t k = 0; k < n; k++) {
            unsigned char c = (unsigned char)text[start + k];
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                rc = fail(pe, line, "binary byte 0x%02x at column %zu: not a text file", c, k + 1);
                break;
            }
        }
        if (rc) break;
        memcpy(buf, text + start, n);
        buf[n] = '\0';
        char *hash = strchr(buf, '#');
        if (hash) *hash = '\0';
        size_t m = strlen(buf);
        while (m && (buf[m - 1] == ' ' || buf[m - 1] == '\t')) buf[--m] = '\0';
        char *rest;
        memcpy(freetext, buf, m + 1);     /* tokenize cuts buf; keep the free text */
        int nt = tokenize(buf, toks, &rest);
        if (nt == 0) continue;
        if (nt == MAX_TOKS) { rc = fail(pe, line, "more than %d words on one line", MAX_TOKS - 1); break; }
        rc = directive(pe, l, p, line, freetext + (rest - buf), toks, nt);
    }
    free(buf); free(toks); free(freetext);
    if (rc == 0 && line == 0) return fail(pe, 0, "empty lesson (no lines)");
    return rc;
}

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

/* Resolve "w_I,J" (ids or labels) or an alias to (i, j). Returns 0, or -1
 * with a message for the caller to place. Before arcs exist aliases are
 * looked up in the raw alias lines. */
static int weight_name(const lesson *l, const pass1 *p, const char *name, int *i, int *j,
                       char *why, size_t whysize)
{
    if (!strncmp(name, "w_", 2) && strchr(name, ',')) {
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
            snprintf(why, whysize, "unknown neuron '%s' in %s", *i < 0 ? a : b, name);
            return -1;
        }
        return 0;
    }
    for (int k = 0; k < p->n_aliases; k++)
        if (!strcmp(p->aliases[k].a, name)) {
            if (!strcmp(p->aliases[k].b, name)) break;      /* self-reference */
            return weight_name(l, p, p->aliases[k].b, i, j, why, whysize);
        }
    snprintf(why, whysize, "unknown weight '%s' (expected w_i,j or an alias)", name);
    return -1;
}

static int arc_cmp(const void *x, const void *y)
{
    const lesson_arc *a = x, *b = y;
    if (a->j != b->j) return a->j < b->j ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* xorshift64* and Box-Muller: explicit state, no globals (STYLE rule 9). */
static double rng_uniform(uint64_t *s)
{
    *s ^= *s >> 12; *s ^= *s << 25; *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ULL) >> 11) * 0x1.0p-53;
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
        return fail(pe, line, j == 0 ? "arc %s goes into the bias neuron 0"
                                     : "arc %s goes into input neuron %d", name, j);
    if (l->layer_of[i] >= l->layer_of[j])
        return fail(pe, line, "arc %s goes backward or sideways (neuron %d is in layer %d, "
                    "neuron %d in layer %d): arcs must go forward, so no cycle can form",
                    name, i, l->layer_of[i], j, l->layer_of[j]);
    if (*n >= LESSON_MAX_ARCS) return fail(pe, line, "more than %d arcs", LESSON_MAX_ARCS);
    arcdef a = {i, j, line, 0.0, 0};
    return push((void **)arcs, n, cap, &a, sizeof a) ? fail(pe, line, "out of memory") : 0;
}

static int build_network(perr *pe, lesson *l, pass1 *p)
{
    char why[256], nm[96];
    if (!p->seen[oneoff_index("input")]) return fail(pe, 0, "missing 'input' line");
    if (p->n_layers == 0) return fail(pe, 0, "missing 'layer' line");

    /* neuron ids */
    int max_id = 0;
    for (int k = 0; k < p->n_lneurons; k++) if (p->lneurons[k] > max_id) max_id = p->lneurons[k];
    long v = 0;
    for (int k = 0; k < p->n_in_toks; k++) {
        if (int_or_fail(pe, p->in_line, p->in_toks[k], 0, LESSON_MAX_ID, &v)) return -1;
        if (v > max_id) max_id = (int)v;
    }
    l->max_id = max_id;
    l->layer_of = malloc((size_t)(max_id + 1) * sizeof *l->layer_of);
    l->labels = calloc((size_t)max_id + 1, sizeof *l->labels);
    l->inputs = malloc((size_t)p->n_in_toks * sizeof *l->inputs);
    int *where = malloc((size_t)(max_id + 1) * sizeof *where);
    if (!l->layer_of || !l->labels || !l->inputs || !where) { free(where); return fail(pe, 0, "out of memory"); }
    for (int id = 0; id <= max_id; id++) { l->layer_of[id] = -1; where[id] = 0; }
    l->layer_of[0] = 0;
    for (int k = 0; k < p->n_in_toks; k++) {
        int id = atoi(p->in_toks[k]);
        if (id == 0) { free(where); return fail(pe, p->in_line, "neuron 0 is the bias; it cannot be an input"); }
        if (l->layer_of[id] == 0) { free(where); return fail(pe, p->in_line, "input neuron %d is listed twice", id); }
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
                return fail(pe, line, l->layer_of[id] == 0
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
    if (!l->layers || !l->neurons) return fail(pe, 0, "out of memory");
    memcpy(l->neurons, p->lneurons, (size_t)p->n_lneurons * sizeof *l->neurons);
    for (int ly = 0; ly < p->n_layers; ly++) {
        l->layers[ly].act = p->layers[ly].act;
        l->layers[ly].first = p->layers[ly].first;
        l->layers[ly].count = p->layers[ly].count;
        if (p->layers[ly].act.kind == ACT_SOFTMAX && ly != p->n_layers - 1)
            return fail(pe, p->layers[ly].line, "softmax is only for the output layer");
    }

    /* labels */
    for (int k = 0; k < p->n_labels; k++) {
        int id = lesson_neuron(l, p->labels[k].a);
        if (id < 0) return fail(pe, p->labels[k].line, "unknown neuron '%s'", p->labels[k].a);
        if (lesson_neuron(l, p->labels[k].b) >= 0)
            return fail(pe, p->labels[k].line, "label '%s' is already used", p->labels[k].b);
        memcpy(l->labels[id], p->labels[k].b, strlen(p->labels[k].b) + 1);
    }

    /* arcs: bias arcs, full connections, listed weights */
    arcdef *arcs = NULL;
    int n = 0, cap = 0, rc = 0;
    for (int k = 0; k < p->n_nobias && rc == 0; k++)
        if (lesson_neuron(l, p->nobias[k].a) <= 0 || l->layer_of[lesson_neuron(l, p->nobias[k].a)] < 1)
            rc = fail(pe, p->nobias[k].line, "'nobias %s': not a processing neuron", p->nobias[k].a);
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
        if (weight_name(l, p, w->a, &i, &j, why, sizeof why)) { rc = fail(pe, w->line, "%s", why); break; }
        int a;
        for (a = 0; a < n; a++) if (arcs[a].i == i && arcs[a].j == j) break;
        if (a == n) {
            snprintf(nm, sizeof nm, "w_%d,%d", i, j);
            if ((rc = add_arc(pe, l, &arcs, &n, &cap, i, j, w->line, nm))) break;
        }
        if (arcs[a].has_w) { rc = fail(pe, w->line, "duplicate weight w_%d,%d (first given on line %d)", i, j, arcs[a].line); break; }
        arcs[a].w = w->v;
        arcs[a].has_w = 1;
        arcs[a].line = w->line;
    }
    if (rc) { free(arcs); return -1; }

    qsort(arcs, (size_t)n, sizeof *arcs, arc_cmp);
    l->arcs = calloc((size_t)(n ? n : 1), sizeof *l->arcs);
    l->arc_in = calloc((size_t)max_id + 2, sizeof *l->arc_in);
    l->arc_out = calloc((size_t)max_id + 2, sizeof *l->arc_out);
    l->out_idx = malloc((size_t)(n ? n : 1) * sizeof *l->out_idx);
    if (!l->arcs || !l->arc_in || !l->arc_out || !l->out_idx) { free(arcs); return fail(pe, 0, "out of memory"); }
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
    int *fill = calloc((size_t)max_id + 1, sizeof *fill);
    if (!fill) { free(arcs); return fail(pe, 0, "out of memory"); }
    for (int a = 0; a < n; a++) {
        int i = l->arcs[a].i;
        l->out_idx[l->arc_out[i] + fill[i]++] = a;     /* a ascending: (i, j) order */
    }
    free(fill);

    /* weights: given, or drawn by `init-layer` (its own seeded stream per
     * layer) or by `init` (one stream over all arcs, in arc order) */
    uint64_t lrng[LESSON_MAX_LAYERS + 1];
    int linit_of[LESSON_MAX_LAYERS + 1];
    for (int ly = 0; ly <= LESSON_MAX_LAYERS; ly++) linit_of[ly] = -1;
    for (int m = 0; m < p->n_linit; m++) {
        if (p->linit[m].layer > l->n_layers) {
            free(arcs);
            return fail(pe, p->linit[m].line, "init-layer %d: the network has %d layer%s",
                        p->linit[m].layer, l->n_layers, l->n_layers == 1 ? "" : "s");
        }
        linit_of[p->linit[m].layer] = m;
        lrng[p->linit[m].layer] = p->linit[m].seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
    }
    for (int a = 0; a < n; a++) {
        if (arcs[a].has_w) continue;
        int i = l->arcs[a].i, j = l->arcs[a].j, m = linit_of[l->layer_of[j]];
        init_kind kind = m >= 0 ? p->linit[m].kind : p->init;
        uint64_t *r = m >= 0 ? &lrng[l->layer_of[j]] : &rng;
        if (kind == INIT_NONE) {
            free(arcs);
            return fail(pe, 0, "missing weight w_%d,%d (every arc needs 'weight w_%d,%d = VALUE', "
                        "or an 'init' line)", i, j, i, j);
        }
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

    /* aliases and frozen weights name existing arcs */
    for (int k = 0; k < p->n_aliases; k++) {
        int i, j, a;
        if (!strncmp(p->aliases[k].a, "w_", 2) && strchr(p->aliases[k].a, ','))
            return fail(pe, p->aliases[k].line, "alias '%s' looks like a canonical weight name", p->aliases[k].a);
        if (weight_name(l, p, p->aliases[k].b, &i, &j, why, sizeof why))
            return fail(pe, p->aliases[k].line, "%s", why);
        if ((a = lesson_arc_index(l, i, j)) < 0)
            return fail(pe, p->aliases[k].line, "alias '%s': no arc w_%d,%d", p->aliases[k].a, i, j);
        for (int m = 0; m < k; m++)
            if (!strcmp(p->aliases[m].a, p->aliases[k].a))
                return fail(pe, p->aliases[k].line, "alias '%s' is defined twice (line %d)",
                            p->aliases[k].a, p->aliases[m].line);
        memcpy(l->arcs[a].alias, p->aliases[k].a, strlen(p->aliases[k].a) + 1);
    }
    for (int k = 0; k < p->n_freezes; k++) {
        int i, j, a;
        if (weight_name(l, p, p->freezes[k].a, &i, &j, why, sizeof why))
            return fail(pe, p->freezes[k].line, "%s", why);
        if ((a = lesson_arc_index(l, i, j)) < 0)
            return fail(pe, p->freezes[k].line, "freeze: no arc w_%d,%d", i, j);
        l->arcs[a].frozen = 1;
    }
    return 0;
}

/* normalise, dropout and batchnorm against the network and the set-up. */
static int check_extras(perr *pe, lesson *l, pass1 *p)
{
    int ln = p->seen[oneoff_index("normalise")], ld = p->seen[oneoff_index("dropout")];
    int lb = p->seen[oneoff_index("batchnorm")];
    if (ln && l->n_examples < 2)
        return fail(pe, ln, "'normalise' needs at least 2 examples (it normalises over them)");
    if ((ln || ld) && l->rule == RULE_PERCEPTRON)
        return fail(pe, ln ? ln : ld, "'%s' is not available with 'rule perceptron'", ln ? "normalise" : "dropout");
    if (ld && l->dropout_layer >= l->n_layers)
        return fail(pe, ld, "dropout layer %d: only a hidden layer (1 to %d) can drop neurons",
                    l->dropout_layer, l->n_layers - 1);
    if (lb) {
        if (l->bn_layer > l->n_layers)
            return fail(pe, lb, "batchnorm layer %d: the network has %d layer%s", l->bn_layer,
                        l->n_layers, l->n_layers == 1 ? "" : "s");
        if (l->layers[l->bn_layer - 1].act.kind == ACT_SOFTMAX)
            return fail(pe, lb, "batchnorm of a softmax layer is not supported");
        if (l->steps > 0)
            return fail(pe, lb, "batchnorm is forward-only here: use 'steps 0' (no training through it)");
        if (l->n_examples < 2)
            return fail(pe, lb, "batchnorm needs a mini-batch of at least 2 examples");
        if (ld) return fail(pe, lb, "batchnorm and dropout in one lesson are not supported");
    }
    return 0;
}

static int check_setup(perr *pe, lesson *l, pass1 *p)
{
    if (!l->title) return fail(pe, 0, "missing 'title' line");
    if (p->n_exl == 0) return fail(pe, 0, "missing 'example' line");
    int n_out;
    lesson_outputs(l, &n_out);
    l->n_out = n_out;
    l->n_examples = p->n_exl;
    int with_y = p->ex_ny[0] >= 0;
    size_t off = 0;
    l->ex_x = malloc((size_t)p->n_exl * (size_t)l->n_in * sizeof *l->ex_x);
    l->ex_y = with_y ? malloc((size_t)p->n_exl * (size_t)n_out * sizeof *l->ex_y) : NULL;
    if (!l->ex_x || (with_y && !l->ex_y)) return fail(pe, 0, "out of memory");
    for (int e = 0; e < p->n_exl; e++) {
        int line = p->ex_line[e];
        if (p->ex_nx[e] != l->n_in)
            return fail(pe, line, "example has %d input value%s, the network has %d input neuron%s",
                        p->ex_nx[e], p->ex_nx[e] == 1 ? "" : "s", l->n_in, l->n_in == 1 ? "" : "s");
        if ((p->ex_ny[e] >= 0) != with_y)
            return fail(pe, line, "either every example has targets ('-> y') or none has");
        if (with_y && p->ex_ny[e] != n_out)
            return fail(pe, line, "example has %d target%s, the output layer has %d neuron%s",
                        p->ex_ny[e], p->ex_ny[e] == 1 ? "" : "s", n_out, n_out == 1 ? "" : "s");
        memcpy(l->ex_x + (size_t)e * l->n_in, p->ex + off, (size_t)l->n_in * sizeof *l->ex_x);
        off += (size_t)l->n_in;
        if (with_y) {
            memcpy(l->ex_y + (size_t)e * n_out, p->ex + off, (size_t)n_out * sizeof *l->ex_y);
            off += (size_t)n_out;
        }
    }
    if (l->rule == RULE_PERCEPTRON) {      /* one example per step, epoch by epoch */
        int line_rule = p->seen[oneoff_index("rule")];
        if (!l->epochs) return fail(pe, line_rule, "'rule perceptron' needs 'epochs N' (the epoch limit)");
        if (p->seen[oneoff_index("steps")])
            return fail(pe, p->seen[oneoff_index("steps")], "'rule perceptron' counts 'epochs', not 'steps'");
        if (p->seen[oneoff_index("batch")])
            return fail(pe, p->seen[oneoff_index("batch")], "'rule perceptron' updates after each example (no 'batch')");
        if (l->n_layers != 1 || l->layers[0].act.kind != ACT_STEP)
            return fail(pe, line_rule, "'rule perceptron' needs one layer of step (threshold) units");
        if ((long long)l->epochs * l->n_examples > LESSON_MAX_STEPS)
            return fail(pe, p->seen[oneoff_index("epochs")], "epochs x examples is more than %d steps", LESSON_MAX_STEPS);
        l->steps = l->epochs * l->n_examples;
        p->seen[oneoff_index("steps")] = p->seen[oneoff_index("epochs")];
    } else if (l->epochs) {
        return fail(pe, p->seen[oneoff_index("epochs")], "'epochs' is for 'rule perceptron'; use 'steps'");
    }
    if (!p->seen[oneoff_index("steps")]) l->steps = p->seen[oneoff_index("rate")] ? 1 : 0;
    if (check_extras(pe, l, p)) return -1;
    if (l->steps > 0) {
        if (!with_y) return fail(pe, p->seen[oneoff_index("steps")], "the lesson trains (steps %d) but its examples have no targets ('-> y')", l->steps);
        if (!p->seen[oneoff_index("rate")]) return fail(pe, 0, "missing 'rate' line (the lesson trains)");
    }
    if (with_y && !l->has_loss && l->rule != RULE_PERCEPTRON) return fail(pe, 0, "missing 'loss' line (the examples have targets)");
    act_kind out = l->layers[l->n_layers - 1].act.kind;
    int line_loss = p->seen[oneoff_index("loss")];
    if (l->has_loss && l->loss == LOSS_SOFTMAX_CE && out != ACT_SOFTMAX)
        return fail(pe, line_loss, "loss softmax-ce needs a softmax output layer");
    if (l->has_loss && out == ACT_SOFTMAX && l->loss != LOSS_SOFTMAX_CE)
        return fail(pe, line_loss, "a softmax output layer needs loss softmax-ce");
    if (l->has_loss && l->loss == LOSS_BCE && out != ACT_LOGISTIC)
        return fail(pe, line_loss, "loss bce needs a logistic output layer (its delta is a - y only there)");
    if (l->batch > l->n_examples)
        return fail(pe, p->seen[oneoff_index("batch")], "batch %d is larger than the %d examples",
                    l->batch, l->n_examples);
    for (int k = 0; k < l->n_trace_steps; k++)
        if (l->trace_steps[k] > l->steps && !(l->final_forward && l->trace_steps[k] == l->steps + 1))
            return fail(pe, p->seen[oneoff_index("trace")], "trace step %d is after the last step %d",
                        l->trace_steps[k], l->steps);
    for (int k = 0; k < l->n_report_steps; k++)
        if (l->report_steps[k] > l->steps)
            return fail(pe, p->seen[oneoff_index("report")], "report step %d is after the last step %d",
                        l->report_steps[k], l->steps);
    return 0;
}

/* ------------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------- */

lesson *lesson_parse(const char *text, size_t len, const char *path, char *err, size_t errsize)
{
    perr pe = {path, err, errsize, 0};
    if (errsize) err[0] = '\0';
    if (len > LESSON_MAX_BYTES) {
        fail(&pe, 0, "lesson is larger than %u bytes", LESSON_MAX_BYTES);
        return NULL;
    }
    lesson *l = calloc(1, sizeof *l);
    pass1 p;
    memset(&p, 0, sizeof p);
    if (!l || !(l->path = dupstr(path))) {
        free(l);
        fail(&pe, 0, "out of memory");
        return NULL;
    }
    l->digits = 4;
    l->round = -1;
    l->batch = 1;
    int rc = pass_lines(&pe, l, &p, text, len);
    if (!rc) rc = build_network(&pe, l, &p);
    if (!rc) rc = check_setup(&pe, l, &p);
    pass1_free(&p);
    if (rc) {
        lesson_free(l);
        return NULL;
    }
    return l;
}

lesson *lesson_load(const char *path, char *err, size_t errsize)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsize, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(LESSON_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errsize, "%s: out of memory", path);
        return NULL;
    }
    size_t n = fread(buf, 1, LESSON_MAX_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    lesson *l = NULL;
    if (bad) snprintf(err, errsize, "%s: cannot read (is it a directory?)", path);
    else l = lesson_parse(buf, n, path, err, errsize);
    free(buf);
    return l;
}

void lesson_free(lesson *l)
{
    if (!l) return;
    free(l->path); free(l->title); free(l->source); free(l->notes);
    free(l->layer_of); free(l->labels); free(l->inputs); free(l->layers); free(l->neurons);
    free(l->arcs); free(l->arc_in); free(l->arc_out); free(l->out_idx);
    free(l->trace_steps); free(l->report_steps);
    free(l->ex_x); free(l->ex_y); free(l->expects);
    free(l->ask); free(l->points);
    free(l);
}

/* splitmix64 over (seed, t, b, j): one independent draw per mask entry. */
int lesson_dropout_keep(const lesson *l, int t, int b, int j)
{
    uint64_t z = l->dropout_seed * 0x9E3779B97F4A7C15ULL + (uint64_t)(uint32_t)t * 0xD1B54A32D192ED03ULL +
                 (uint64_t)(uint32_t)b * 0xAEF17502108EF2D9ULL + (uint64_t)(uint32_t)j * 0x94D049BB133111EBULL;
    for (int k = 0; k < 2; k++) {
        z += 0x9E3779B97F4A7C15ULL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
    }
    return (double)(z >> 11) * 0x1.0p-53 >= l->dropout_p;
}

static const char *const NOTATIONS[NOTATION_COUNT] = {"va", "layer", "netout", "bar"};

int lesson_notation_parse(const char *s)
{
    for (int k = 0; k < NOTATION_COUNT; k++) if (!strcmp(s, NOTATIONS[k])) return k;
    return -1;
}

const char *lesson_notation_name(int notation)
{
    return notation >= 0 && notation < NOTATION_COUNT ? NOTATIONS[notation] : "?";
}

void lesson_basename(const char *path, char *buf, size_t size)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 7 && !strcmp(b + n - 7, ".lesson")) n -= 7;
    if (n >= size) n = size - 1;
    memcpy(buf, b, n);
    buf[n] = '\0';
}
