/*
 * lesson.c - the lesson file parser: pass 1 (lines into directives) and the
 * entry points. Pass 2, the network, is lesson_net.c; what they share is
 * lesson_impl.h.
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
#include "lesson_impl.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */


int lp_fail(perr *pe, int line, const char *fmt, ...)
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
    if (rc == -2) return lp_fail(pe, line, "'%s' is not a finite number", tok);
    if (rc) return lp_fail(pe, line, "'%s' is not a number", tok);
    return 0;
}

int lp_int_or_fail(perr *pe, int line, const char *tok, long lo, long hi, long *v)
{
    char *end;
    errno = 0;
    long x = strtol(tok, &end, 10);
    if (*tok == '\0' || *end != '\0' || errno)
        return lp_fail(pe, line, "'%s' is not a whole number", tok);
    if (x < lo || x > hi)
        return lp_fail(pe, line, "%ld is out of range (%ld to %ld)", x, lo, hi);
    *v = x;
    return 0;
}

/* Growable array push: *arr has *n elements, room for *cap. */
int lp_push(void **arr, int *n, int *cap, const void *elem, size_t size)
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


static const char *const ONEOFF[] = {
    "title", "source", "input", "loss", "rate", "decay", "batch", "steps",
    "digits", "round", "trace", "report", "arcs", "init", "final-forward",
    "notation", "rule", "epochs", "ecf", "tolerance",
    "normalise", "dropout", "batchnorm", "answer-decimals", NULL,
};

int lp_oneoff_index(const char *key)
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
    if (strlen(src) >= size) return lp_fail(pe, line, "name '%.40s...' is too long", src);
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

/* "name = value" or "name value" starting at toks[1]. */
static int name_value(perr *pe, int line, char **toks, int nt, raw *r)
{
    if (nt == 4 && strcmp(toks[2], "=") == 0) { toks[2] = toks[3]; nt = 3; }
    if (nt != 3) return lp_fail(pe, line, "expected '%s NAME = VALUE'", toks[0]);
    if (copy_name(pe, line, r->a, sizeof r->a, toks[1])) return -1;
    r->has_v = 1;
    return number_or_fail(pe, line, toks[2], &r->v, NULL);
}

static int int_list(perr *pe, int line, char **toks, int nt, int **out, int *n, long lo, long hi)
{
    if (nt < 2) return lp_fail(pe, line, "'%s' needs at least one value", toks[0]);
    *out = malloc((size_t)(nt - 1) * sizeof **out);
    if (!*out) return lp_fail(pe, line, "out of memory");
    for (int k = 1; k < nt; k++) {
        long v = 0;
        if (lp_int_or_fail(pe, line, toks[k], lo, hi, &v)) return -1;
        (*out)[k - 1] = (int)v;
    }
    *n = nt - 1;
    return 0;
}

static int directive(perr *pe, lesson *l, pass1 *p, int line, char *rest, char **toks, int nt)
{
    const char *key = toks[0];
    int once = lp_oneoff_index(key);
    if (once >= 0) {
        if (p->seen[once])
            return lp_fail(pe, line, "duplicate '%s' (first given on line %d)", key, p->seen[once]);
        p->seen[once] = line;
    }
    long v = 0;
    double d;
    raw r = {0};
    r.line = line;

    if (!strcmp(key, "title") || !strcmp(key, "source") || !strcmp(key, "note")) {
        if (!*rest) return lp_fail(pe, line, "'%s' needs text", key);
        if (!strcmp(key, "note")) {
            size_t old = l->notes ? strlen(l->notes) : 0;
            char *n = realloc(l->notes, old + strlen(rest) + 2);
            if (!n) return lp_fail(pe, line, "out of memory");
            if (old) n[old++] = '\n';
            memcpy(n + old, rest, strlen(rest) + 1);
            l->notes = n;
            return 0;
        }
        char **dst = !strcmp(key, "title") ? &l->title : &l->source;
        if (!(*dst = dupstr(rest))) return lp_fail(pe, line, "out of memory");
        return 0;
    }
    if (!strcmp(key, "input")) {
        if (nt < 2) return lp_fail(pe, line, "'input' needs at least one neuron");
        p->in_toks = calloc((size_t)nt, sizeof *p->in_toks);
        if (!p->in_toks) return lp_fail(pe, line, "out of memory");
        for (int k = 1; k < nt; k++)
            if (!(p->in_toks[p->n_in_toks++] = dupstr(toks[k]))) return lp_fail(pe, line, "out of memory");
        p->in_line = line;
        return 0;
    }
    if (!strcmp(key, "layer")) {
        if (nt < 2) return lp_fail(pe, line, "'layer' needs an activation and its neurons");
        if (nt < 3) return lp_fail(pe, line, "layer with no neurons");
        if (p->n_layers >= LESSON_MAX_LAYERS)
            return lp_fail(pe, line, "more than %d layers", LESSON_MAX_LAYERS);
        act_fn act;
        char known[256];
        if (act_parse(toks[1], &act)) {
            act_known(known, sizeof known);
            return lp_fail(pe, line, "unknown activation '%s' (known: %s)", toks[1], known);
        }
        struct { int line; act_fn act; int first, count; } ly = {line, act, p->n_lneurons, nt - 2};
        if (lp_push((void **)&p->layers, &p->n_layers, &p->c_layers, &ly, sizeof ly))
            return lp_fail(pe, line, "out of memory");
        for (int k = 2; k < nt; k++) {
            if (lp_int_or_fail(pe, line, toks[k], 1, LESSON_MAX_ID, &v)) return -1;
            int32_t id = (int32_t)v;
            if (lp_push((void **)&p->lneurons, &p->n_lneurons, &p->c_lneurons, &id, sizeof id) ||
                lp_push((void **)&p->neuron_line, &p->n_nl, &p->c_nl, &line, sizeof line))
                return lp_fail(pe, line, "out of memory");
        }
        return 0;
    }
    if (!strcmp(key, "weight")) {
        if (name_value(pe, line, toks, nt, &r)) return -1;
        if (p->n_weights >= LESSON_MAX_ARCS) return lp_fail(pe, line, "more than %d weights", LESSON_MAX_ARCS);
        return lp_push((void **)&p->weights, &p->n_weights, &p->c_weights, &r, sizeof r)
               ? lp_fail(pe, line, "out of memory") : 0;
    }
    if (!strcmp(key, "alias") || !strcmp(key, "label")) {
        if (nt != 3) return lp_fail(pe, line, "expected '%s %s'", key,
                                 !strcmp(key, "alias") ? "NAME w_i,j" : "NEURON NAME");
        if (copy_name(pe, line, r.a, LESSON_NAME_MAX, toks[1]) ||
            copy_name(pe, line, r.b, LESSON_NAME_MAX, toks[2])) return -1;
        const char *nm = !strcmp(key, "alias") ? r.a : r.b;
        if (!isalpha((unsigned char)nm[0]))
            return lp_fail(pe, line, "name '%s' must start with a letter", nm);
        for (const char *c = nm; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_')
                return lp_fail(pe, line, "name '%s' may hold only letters, digits and '_'", nm);
        if (!strcmp(key, "alias"))
            return lp_push((void **)&p->aliases, &p->n_aliases, &p->c_aliases, &r, sizeof r)
                   ? lp_fail(pe, line, "out of memory") : 0;
        return lp_push((void **)&p->labels, &p->n_labels, &p->c_labels, &r, sizeof r)
               ? lp_fail(pe, line, "out of memory") : 0;
    }
    if (!strcmp(key, "freeze") || !strcmp(key, "nobias")) {
        if (nt < 2) return lp_fail(pe, line, "'%s' needs at least one name", key);
        for (int k = 1; k < nt; k++) {
            raw f = {0};
            f.line = line;
            if (copy_name(pe, line, f.a, sizeof f.a, toks[k])) return -1;
            int rc = !strcmp(key, "freeze")
                ? lp_push((void **)&p->freezes, &p->n_freezes, &p->c_freezes, &f, sizeof f)
                : lp_push((void **)&p->nobias, &p->n_nobias, &p->c_nobias, &f, sizeof f);
            if (rc) return lp_fail(pe, line, "out of memory");
        }
        return 0;
    }
    if (!strcmp(key, "loss")) {
        char known[128];
        loss_known(known, sizeof known);
        if (nt != 2 || loss_parse(toks[1], &l->loss))
            return lp_fail(pe, line, "unknown loss '%s' (known: %s)", nt > 1 ? toks[1] : "", known);
        l->has_loss = 1;
        return 0;
    }
    if (!strcmp(key, "rate") || !strcmp(key, "decay")) {
        if (nt != 2) return lp_fail(pe, line, "'%s' takes one number", key);
        if (number_or_fail(pe, line, toks[1], &d, NULL)) return -1;
        if (d < 0) return lp_fail(pe, line, "'%s' must not be negative", key);
        *(!strcmp(key, "rate") ? &l->rate : &l->decay) = d;
        return 0;
    }
    if (!strcmp(key, "batch") || !strcmp(key, "steps") || !strcmp(key, "digits") ||
        !strcmp(key, "round") || !strcmp(key, "answer-decimals")) {
        if (nt != 2) return lp_fail(pe, line, "'%s' takes one whole number", key);
        long lo = !strcmp(key, "batch") ? 1 : 0;
        long hi = !strcmp(key, "steps") ? LESSON_MAX_STEPS
                : !strcmp(key, "batch") ? LESSON_MAX_EXAMPLES : 12;
        if (lp_int_or_fail(pe, line, toks[1], lo, hi, &v)) return -1;
        if (!strcmp(key, "batch")) l->batch = (int)v;
        else if (!strcmp(key, "steps")) l->steps = (int)v;
        else if (!strcmp(key, "digits")) l->digits = (int)v;
        else if (!strcmp(key, "answer-decimals")) l->answer_digits = (int)v;
        else l->round = (int)v;
        return 0;
    }
    if (!strcmp(key, "notation")) {
        if (nt != 2 || (l->notation = lesson_notation_parse(toks[1])) < 0)
            return lp_fail(pe, line, "'notation' takes va, layer, netout or bar");
        return 0;
    }
    if (!strcmp(key, "rule")) {
        if (nt != 2 || (strcmp(toks[1], "backprop") && strcmp(toks[1], "perceptron")))
            return lp_fail(pe, line, "'rule' takes backprop or perceptron");
        l->rule = !strcmp(toks[1], "perceptron") ? RULE_PERCEPTRON : RULE_BACKPROP;
        return 0;
    }
    if (!strcmp(key, "epochs")) {
        if (nt != 2) return lp_fail(pe, line, "'epochs' takes one whole number");
        if (lp_int_or_fail(pe, line, toks[1], 1, 100000, &v)) return -1;
        l->epochs = (int)v;
        return 0;
    }
    if (!strcmp(key, "final-forward")) {
        if (nt != 2 || (strcmp(toks[1], "yes") && strcmp(toks[1], "no")))
            return lp_fail(pe, line, "'final-forward' takes yes or no");
        l->final_forward = !strcmp(toks[1], "yes");
        return 0;
    }
    if (!strcmp(key, "trace")) {
        if (nt == 2 && !strcmp(toks[1], "all")) { l->trace_all = 1; return 0; }
        if (nt == 2 && !strcmp(toks[1], "none")) {
            l->trace_steps = malloc(sizeof *l->trace_steps);
            if (!l->trace_steps) return lp_fail(pe, line, "out of memory");
            return 0;
        }
        return int_list(pe, line, toks, nt, &l->trace_steps, &l->n_trace_steps, 1, LESSON_MAX_STEPS);
    }
    if (!strcmp(key, "report"))
        return int_list(pe, line, toks, nt, &l->report_steps, &l->n_report_steps, 1, LESSON_MAX_STEPS);
    if (!strcmp(key, "arcs")) {
        if (nt != 2 || (strcmp(toks[1], "full") && strcmp(toks[1], "listed")))
            return lp_fail(pe, line, "'arcs' takes full or listed");
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
                lp_int_or_fail(pe, line, toks[4], 0, 2147483647L, &seed)) return -1;
            if (p->init_lo >= p->init_hi) return lp_fail(pe, line, "init uniform needs LOW < HIGH");
        } else if (nt == 3 && (!strcmp(toks[1], "xavier") || !strcmp(toks[1], "he") ||
                               !strcmp(toks[1], "xavier-normal"))) {
            p->init = !strcmp(toks[1], "xavier") ? INIT_XAVIER
                    : !strcmp(toks[1], "he") ? INIT_HE : INIT_XAVIER_NORMAL;
            if (lp_int_or_fail(pe, line, toks[2], 0, 2147483647L, &seed)) return -1;
        } else {
            return lp_fail(pe, line, "expected 'init uniform LOW HIGH SEED', 'init xavier SEED', "
                        "'init xavier-normal SEED' or 'init he SEED'");
        }
        p->seed = (unsigned long long)seed;
        return 0;
    }
    if (!strcmp(key, "init-layer")) {     /* init-layer L xavier|xavier-normal|he SEED */
        long layer, seed;
        if (nt != 4) return lp_fail(pe, line, "expected 'init-layer LAYER xavier|xavier-normal|he SEED'");
        if (lp_int_or_fail(pe, line, toks[1], 1, LESSON_MAX_LAYERS, &layer) ||
            lp_int_or_fail(pe, line, toks[3], 0, 2147483647L, &seed)) return -1;
        init_kind k = !strcmp(toks[2], "xavier") ? INIT_XAVIER : !strcmp(toks[2], "he") ? INIT_HE
                    : !strcmp(toks[2], "xavier-normal") ? INIT_XAVIER_NORMAL : INIT_NONE;
        if (k == INIT_NONE)
            return lp_fail(pe, line, "unknown initialisation '%s' (known: xavier, xavier-normal, he)", toks[2]);
        for (int m = 0; m < p->n_linit; m++)
            if (p->linit[m].layer == layer)
                return lp_fail(pe, line, "layer %ld already has an 'init-layer' (line %d)", layer, p->linit[m].line);
        struct { int line, layer; init_kind kind; unsigned long long seed; } li =
            {line, (int)layer, k, (unsigned long long)seed};
        return lp_push((void **)&p->linit, &p->n_linit, &p->c_linit, &li, sizeof li)
               ? lp_fail(pe, line, "out of memory") : 0;
    }
    if (!strcmp(key, "normalise")) {
        if (nt != 2 || (strcmp(toks[1], "zscore") && strcmp(toks[1], "minmax")))
            return lp_fail(pe, line, "'normalise' takes zscore or minmax");
        l->normalise = !strcmp(toks[1], "zscore") ? LESSON_NORM_ZSCORE : LESSON_NORM_MINMAX;
        return 0;
    }
    if (!strcmp(key, "dropout")) {        /* dropout LAYER P SEED */
        long layer, seed;
        if (nt != 4) return lp_fail(pe, line, "expected 'dropout LAYER P SEED' (P the probability of a drop)");
        if (lp_int_or_fail(pe, line, toks[1], 1, LESSON_MAX_LAYERS, &layer) ||
            number_or_fail(pe, line, toks[2], &d, NULL) ||
            lp_int_or_fail(pe, line, toks[3], 0, 2147483647L, &seed)) return -1;
        if (!(d >= 0 && d < 1)) return lp_fail(pe, line, "dropout probability must be at least 0 and below 1");
        l->dropout_layer = (int)layer;
        l->dropout_p = d;
        l->dropout_seed = (unsigned long long)seed;
        return 0;
    }
    if (!strcmp(key, "batchnorm")) {      /* batchnorm LAYER GAMMA BETA */
        long layer;
        if (nt != 4) return lp_fail(pe, line, "expected 'batchnorm LAYER GAMMA BETA'");
        if (lp_int_or_fail(pe, line, toks[1], 1, LESSON_MAX_LAYERS, &layer) ||
            number_or_fail(pe, line, toks[2], &l->bn_gamma, NULL) ||
            number_or_fail(pe, line, toks[3], &l->bn_beta, NULL)) return -1;
        l->bn_layer = (int)layer;
        return 0;
    }
    if (!strcmp(key, "example")) {
        if (p->n_exl >= LESSON_MAX_EXAMPLES)
            return lp_fail(pe, line, "more than %d examples", LESSON_MAX_EXAMPLES);
        int nx = 0, ny = -1;
        for (int k = 1; k < nt; k++) {
            if (!strcmp(toks[k], "->")) {
                if (ny >= 0) return lp_fail(pe, line, "more than one '->' in example");
                ny = 0;
                continue;
            }
            if (number_or_fail(pe, line, toks[k], &d, NULL)) return -1;
            if (lp_push((void **)&p->ex, &p->n_ex, &p->c_ex, &d, sizeof d))
                return lp_fail(pe, line, "out of memory");
            if (ny >= 0) ny++; else nx++;
        }
        if (nx == 0) return lp_fail(pe, line, "example has no input values");
        if (lp_push((void **)&p->ex_line, &p->n_exl, &p->c_exl, &line, sizeof line) ||
            lp_push((void **)&p->ex_nx, &p->n_exn, &p->c_exn, &nx, sizeof nx) ||
            lp_push((void **)&p->ex_ny, &p->n_exn2, &p->c_exn2, &ny, sizeof ny))
            return lp_fail(pe, line, "out of memory");
        return 0;
    }
    if (!strcmp(key, "expect")) {
        lesson_expect e = {0};
        if (nt == 4 && !strcmp(toks[2], "=")) { toks[2] = toks[3]; nt = 3; }
        if (nt != 3) return lp_fail(pe, line, "expected 'expect NAME = VALUE'");
        if (strlen(toks[1]) >= sizeof e.name) return lp_fail(pe, line, "name '%.40s...' is too long", toks[1]);
        memcpy(e.name, toks[1], strlen(toks[1]) + 1);
        if (isalpha((unsigned char)toks[2][0]) && parse_number(toks[2], &d, NULL) == -1) {
            if (strlen(toks[2]) >= sizeof e.same)   /* a fact: A equals B */
                return lp_fail(pe, line, "name '%.40s...' is too long", toks[2]);
            memcpy(e.same, toks[2], strlen(toks[2]) + 1);
        } else if (number_or_fail(pe, line, toks[2], &e.value, &e.decimals)) {
            return -1;
        }
        e.line = line;
        int cap = l->n_expects;   /* grow by one: expectations are few */
        lesson_expect *ne = realloc(l->expects, (size_t)(cap + 1) * sizeof *ne);
        if (!ne) return lp_fail(pe, line, "out of memory");
        l->expects = ne;
        l->expects[l->n_expects++] = e;
        return 0;
    }
    if (!strcmp(key, "ask")) {            /* grading: the asked quantities */
        if (nt < 2) return lp_fail(pe, line, "'ask' needs at least one name or pattern");
        size_t old = l->ask ? strlen(l->ask) : 0, add = 0;
        for (int k = 1; k < nt; k++) add += strlen(toks[k]) + 1;
        if (old + add > 4000) return lp_fail(pe, line, "'ask' lists are at most 4000 characters");
        char *a = realloc(l->ask, old + add + 1);
        if (!a) return lp_fail(pe, line, "out of memory");
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
        if (nt != 2) return lp_fail(pe, line, "'ecf' takes full, half or none");
        if (!strcmp(toks[1], "full")) l->ecf = LESSON_ECF_FULL;
        else if (!strcmp(toks[1], "half")) l->ecf = LESSON_ECF_HALF;
        else if (!strcmp(toks[1], "none")) l->ecf = LESSON_ECF_NONE;
        else return lp_fail(pe, line, "'ecf' takes full, half or none, not '%s'", toks[1]);
        return 0;
    }
    if (!strcmp(key, "tolerance")) {      /* grading: absolute tolerance */
        if (nt != 2) return lp_fail(pe, line, "'tolerance' takes one number");
        if (number_or_fail(pe, line, toks[1], &d, NULL)) return -1;
        if (!(d > 0)) return lp_fail(pe, line, "'tolerance' must be positive");
        l->tolerance = d;
        return 0;
    }
    if (!strcmp(key, "points")) {         /* grading: points PATTERN = W */
        lesson_points pt = {0};
        if (nt == 4 && !strcmp(toks[2], "=")) { toks[2] = toks[3]; nt = 3; }
        if (nt != 3) return lp_fail(pe, line, "expected 'points NAME-OR-PATTERN = NUMBER'");
        if (copy_name(pe, line, pt.pattern, sizeof pt.pattern, toks[1])) return -1;
        if (number_or_fail(pe, line, toks[2], &pt.points, NULL)) return -1;
        if (pt.points < 0 || pt.points > 1e6) return lp_fail(pe, line, "points must be from 0 to 1000000");
        pt.line = line;
        if (l->n_points >= 10000) return lp_fail(pe, line, "more than 10000 'points' lines");
        lesson_points *np = realloc(l->points, (size_t)(l->n_points + 1) * sizeof *np);
        if (!np) return lp_fail(pe, line, "out of memory");
        l->points = np;
        l->points[l->n_points++] = pt;
        return 0;
    }
    return lp_fail(pe, line, "unknown key '%s'", key);
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
        return lp_fail(pe, 0, "out of memory");
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
        if (n > LESSON_MAX_LINE) { rc = lp_fail(pe, line, "line longer than %d characters", LESSON_MAX_LINE); break; }
        for (size_t k = 0; k < n; k++) {
            unsigned char c = (unsigned char)text[start + k];
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                rc = lp_fail(pe, line, "binary byte 0x%02x at column %zu: not a text file", c, k + 1);
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
        if (nt == MAX_TOKS) { rc = lp_fail(pe, line, "more than %d words on one line", MAX_TOKS - 1); break; }
        rc = directive(pe, l, p, line, freetext + (rest - buf), toks, nt);
    }
    free(buf); free(toks); free(freetext);
    if (rc == 0 && line == 0) return lp_fail(pe, 0, "empty lesson (no lines)");
    return rc;
}

/* ------------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------- */

lesson *lesson_parse(const char *text, size_t len, const char *path, char *err, size_t errsize)
{
    perr pe = {path, err, errsize, 0};
    if (errsize) err[0] = '\0';
    if (len > LESSON_MAX_BYTES) {
        lp_fail(&pe, 0, "lesson is larger than %u bytes", LESSON_MAX_BYTES);
        return NULL;
    }
    lesson *l = calloc(1, sizeof *l);
    pass1 p;
    memset(&p, 0, sizeof p);
    if (!l || !(l->path = dupstr(path))) {
        free(l);
        lp_fail(&pe, 0, "out of memory");
        return NULL;
    }
    l->digits = 4;
    l->round = -1;
    l->answer_digits = -1;
    l->feedback = -1;
    l->short_credit = -1;
    l->batch = 1;
    int rc = pass_lines(&pe, l, &p, text, len);
    if (!rc) rc = lp_build_network(&pe, l, &p);
    if (!rc) rc = lp_check_setup(&pe, l, &p);
    pass1_free(&p);
    if (rc) {
        lesson_free(l);
        return NULL;
    }
    return l;
}

lesson *lesson_load(const char *path, char *err, size_t errsize)
{
    /* O_NONBLOCK: a FIFO named x.lesson must not block the open; only a
     * regular file is read */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errsize, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        if (fstat(fd, &st) != 0) snprintf(err, errsize, "%s: cannot read: %s", path, strerror(e));
        else if (S_ISDIR(st.st_mode)) snprintf(err, errsize, "%s: cannot read (is it a directory?)", path);
        else snprintf(err, errsize, "%s: not a regular file (a lesson is a text file)", path);
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        snprintf(err, errsize, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
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
    if (bad) snprintf(err, errsize, "%s: cannot read: %s", path, strerror(errno));
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

int lesson_answer_digits(const lesson *l)
{
    return l->answer_digits >= 0 ? l->answer_digits : l->digits;
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
