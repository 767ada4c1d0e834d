/*
 * lesson_impl.h - what the two passes of the lesson parser share (internal:
 * only lesson.c and lesson_net.c include it).
 *
 * Pass 1 (lesson.c) reads lines into a pass1 record of directives, each with
 * its line number; pass 2 (lesson_net.c) builds the network from it. Every
 * error goes through lp_fail, which writes "path:line: message" once.
 */
#ifndef NNTRACE_LESSON_IMPL_H
#define NNTRACE_LESSON_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "lesson.h"
#include "lesson_keys.h"

typedef struct {
    const char *path;
    char *err;
    size_t errsize;
    int failed;
} perr;

#define MAX_TOKS 4096

typedef struct {       /* a weight/alias/label/freeze/... line kept for pass 2 */
    int line;
    char a[64], b[64];
    double v;
    int has_v;
} raw;

typedef struct {       /* a `layer ACT ID...` line */
    int line;
    act_fn act;
    int first, count;  /* its neurons are pass1.lneurons[first .. first+count) */
} layer_line;

typedef struct {       /* an `init-layer L KIND SEED` line */
    int line, layer;
    init_kind kind;
    unsigned long long seed;
} init_layer_line;

typedef struct {
    raw  *weights;  int n_weights, c_weights;
    raw  *aliases;  int n_aliases, c_aliases;
    raw  *labels;   int n_labels, c_labels;
    raw  *freezes;  int n_freezes, c_freezes;
    raw  *nobias;   int n_nobias, c_nobias;
    raw  *ties;     int n_ties, c_ties;     /* one per weight of a `tie` line: a = NAME, b = weight */
    char **in_toks; int n_in_toks, in_line;
    layer_line *layers;
    int   n_layers, c_layers;
    int32_t *lneurons; int n_lneurons, c_lneurons;
    int   *neuron_line; int n_nl, c_nl;
    double *ex; int n_ex, c_ex;          /* flattened x then y per example */
    int   *ex_line; int n_exl, c_exl;
    int   *ex_nx, *ex_ny; int n_exn, c_exn, n_exn2, c_exn2;
    int   arcs_listed;
    init_kind init; double init_lo, init_hi; unsigned long long seed; int init_line;
    init_layer_line *linit;
    int   n_linit, c_linit;                /* `init-layer L KIND SEED` lines */
    int   seen[KEY_COUNT];                 /* first line of each key, 0 = unseen */
} pass1;

/* pass1.ex_ny of an example: -1 no targets, n >= 0 target values, or
 * LESSON_CLASS_TARGET(K) <= -2 for "-> class K" (no values stored). */
#define LESSON_CLASS_TARGET(k) (-2 - (int)(k))

/* Record the first error as "path:line: message" (line 0: no line) and
 * return -1; later calls change nothing. */
int lp_fail(perr *pe, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* A whole number token in [lo, hi] into *v, or lp_fail. */
int lp_int_or_fail(perr *pe, int line, const char *tok, long lo, long hi, long *v);
/* A neuron id in [lo, LESSON_MAX_ID] into *v, or lp_fail; a name where
 * the id belongs (input x1 x2) is told it wants a label. */
int lp_id_or_fail(perr *pe, int line, const char *tok, long lo, long *v);
/* Why tok, written where a number (whole: a whole number) belongs, is not
 * one, as a clause to put after "'TOK' is not a number" (buf is "" when
 * there is nothing to say):
 * the lesson's spelling of a number an author wrote another way (a decimal
 * comma, the Unicode minus U+2212, a fraction, a percentage, as an answer
 * sheet may: "0,5", "1/2", "50%" get "; did you mean 0.5?"), or a key's
 * name ("; 'layer' is a key: each key starts a line of its own"). */
void lp_number_hint(const char *tok, int whole, char *buf, size_t size);
/* Append elem (size bytes) to the growable array *arr of *n elements and
 * room for *cap. Returns 0, or -1 out of memory. */
int lp_push(void **arr, int *n, int *cap, const void *elem, size_t size);
/* A copy of s in malloc'd memory (the caller owns it), or NULL. */
char *lp_strdup(const char *s);

/* One line of pass 1, as the key's parse function sees it. */
typedef struct lesson_keyline {
    perr *pe;
    lesson *l;
    pass1 *p;
    int line;
    const lesson_keydef *def;  /* the key's row */
    char *rest;                /* the text after the key, trimmed (free-text keys) */
    char **toks;               /* toks[0] the key, toks[1 .. nt) its words */
    int nt;
} lesson_keyline;

/* Pass 1, one line: look the key up (unknown: "did you mean"), check
 * once-only keys and the word count, then call the key's parse function. */
int lp_directive(lesson_keyline *k);

/* Pass 2: the network, then the training set-up and examples. */
int lp_build_network(perr *pe, lesson *l, pass1 *p);
int lp_check_setup(perr *pe, lesson *l, pass1 *p);

#endif
