/*
 * lesson.h - a lesson file: a lecture's worked example as data.
 *
 * A lesson holds the network N = (V, A) of lecture 001: neuron 0 is the bias
 * (a_0 = 1), then input neurons, then processing layers in order, each with
 * its activation; arcs (i, j) carry weights. It also holds the training set-up
 * (loss, rate, steps, batch, decay, frozen weights, hand rounding), the
 * examples, and the values the lecture printed (`expect`).
 *
 * Invariants after lesson_parse succeeds: every arc goes from a neuron of an
 * earlier layer (or the bias) into a processing neuron of a later layer, so
 * the layer order is a topological order; arcs are sorted by (j, i); every arc
 * has a weight; arc_in[j] .. arc_in[j+1] are the arcs into j and out_idx[
 * arc_out[i] .. arc_out[i+1]] index the arcs out of i.
 *
 * The format is documented in README.md ("Lesson files").
 */
#ifndef NNTRACE_LESSON_H
#define NNTRACE_LESSON_H

#include <stddef.h>
#include <stdint.h>

#include "eval.h"

#define LESSON_MAX_BYTES   (1u << 20)   /* 1 MiB */
#define LESSON_MAX_LINE    4096
#define LESSON_MAX_ID      9999
#define LESSON_MAX_ARCS    100000
#define LESSON_MAX_LAYERS  64
#define LESSON_MAX_STEPS   10000000
#define LESSON_MAX_EXAMPLES 10000
#define LESSON_NAME_MAX    24

typedef struct {
    int32_t i, j;
    double  w;            /* initial weight w_ij^(0) */
    int     frozen;       /* never updated (e.g. 002's shared biases) */
    char    alias[LESSON_NAME_MAX];   /* lecture name such as "w5", or "" */
    int     tie;          /* 1 + index into lesson.ties when the arc is tied, 0 = not */
} lesson_arc;

/* `tie NAME = W1 W2 ...`: several arcs that are ONE parameter (002's shared
 * bias b1). Its arcs carry one value (all their w equal), one gradient (the
 * sum of the arcs' gradients), one update, and all freeze together. */
typedef struct {
    char   name[LESSON_NAME_MAX];
    int    line;
    int    first;         /* its first arc (lesson order): the parameter's (i, j) */
    int    count;         /* its arcs (>= 2): those with tie == this index + 1 */
    int    at;            /* they are lesson.tie_arcs[at .. at+count), in arc order */
} lesson_tie;

typedef struct {
    act_fn  act;
    int     first, count; /* neurons are lesson.neurons[first .. first+count) */
} lesson_layer;

typedef struct {
    char   name[64];      /* as written: canonical, label or alias form */
    double value;
    int    decimals;      /* printed decimals: checked to half a unit of the last */
    int    line;
    char   same[64];      /* "expect A = B": a fact A equals B to the lesson's
                             digits (value/decimals unused); "" otherwise */
} lesson_expect;

typedef enum { INIT_NONE, INIT_UNIFORM, INIT_XAVIER, INIT_HE,
               INIT_XAVIER_NORMAL   /* added: lecture 000's randn * sqrt(1/n_{l-1}) */
} init_kind;

typedef struct {
    char   pattern[64];   /* a quantity name or a glob over canonical names */
    double points;        /* what an answer to it is worth (>= 0) */
    int    line;
} lesson_points;

/* `vary PATTERN uniform LO HI step S` or `vary PATTERN choice V...`
 * (variant.h): which givens a student's variant draws, and from what. */
typedef enum { VARY_UNIFORM, VARY_CHOICE } vary_kind;
#define LESSON_VARY_CHOICES 16
typedef struct {
    char      pattern[64];   /* a glob over given names, or "rate" */
    vary_kind kind;
    double    lo, hi, step;  /* uniform: lo + k*step for k = 0 .. (hi-lo)/step */
    double    choice[LESSON_VARY_CHOICES];
    int       n_choice;
    int       line;
} lesson_vary;

typedef struct lesson {
    char  *path;                 /* as given, for messages */
    char  *title, *source, *notes;   /* notes: lines joined with '\n', or NULL */

    /* network */
    int    max_id;               /* neuron ids are 0..max_id */
    int   *layer_of;             /* [max_id+1]: -1 unused, 0 bias/input, l >= 1 layer */
    char (*labels)[LESSON_NAME_MAX];  /* [max_id+1]: "" or a label such as "h1" */
    int    n_in;                 /* input neurons, in `input` order */
    int32_t *inputs;
    int    n_layers;             /* processing layers; the last is the output */
    lesson_layer *layers;
    int32_t *neurons;            /* processing neurons, layer by layer */
    int    n_neurons;
    lesson_arc *arcs;            /* sorted by (j, i) */
    int    n_arcs;
    int   *arc_in;               /* [max_id+2] */
    int   *arc_out;              /* [max_id+2] */
    int   *out_idx;              /* [n_arcs]: arc indices sorted by (i, j) */

    /* training */
    loss_kind loss;
    int    has_loss;
    double rate, decay;
    int    batch, steps, final_forward;
    int    digits, round;        /* display decimals; hand rounding (-1 off) */
    int   *trace_steps;          /* 1-based steps to trace; NULL = default */
    int    n_trace_steps;
    int   *report_steps;         /* steps whose J is printed untraced */
    int    n_report_steps;

    /* examples: x[n_examples][n_in], y[n_examples][n_out] (y NULL if none) */
    int    n_examples, n_out;
    double *ex_x, *ex_y;

    lesson_expect *expects;
    int    n_expects;

    /* added after the first release (keep at the end) */
    int    notation;             /* default notation of the text trace (NOTATION_*) */
    int    rule;                 /* RULE_BACKPROP or RULE_PERCEPTRON */
    int    epochs;               /* perceptron: epoch limit (steps = epochs * n) */

    /* grading (nntrace template / check / quiz): */
    char  *ask;                  /* `ask` patterns joined by spaces, or NULL = all */
    int    ecf;                  /* `ecf`: LESSON_ECF_* (UNSET means full) */
    double tolerance;            /* `tolerance X`: absolute; 0 = half a unit of digits */
    double tolerance_rel;        /* `tolerance X%`: relative share of |value|; 0 = none */
    int    sigfigs;              /* `sigfigs N`: right to N significant figures; 0 = none */
    int    ecf_depth;            /* `ecf-depth N`: carries that earn credit; 0 = none; -1 = no limit */
    double ecf_credit;           /* `ecf`: the share a carried answer earns, -1 = unset (full) */
    int    feedback;             /* `feedback verdict|hint|full` (GRADE_FB_*), -1 = unset */
    double short_credit;         /* `short-credit X`: share for too few decimals, -1 = unset (0.5) */
    lesson_vary *vary;           /* `vary` lines (variant.h), in file order */
    int    n_vary;
    double vary_limit;           /* `vary-limit X`: |in_j| bound of a variant; 0 = default */
    lesson_points *points;       /* `points PATTERN = W`, in file order */
    int    n_points;

    /* preprocessing and regularisation (001 07-5, 000); added, keep at the end */
    int    normalise;            /* `normalise`: LESSON_NORM_* over all examples */
    int    dropout_layer;        /* `dropout L P SEED`: 1-based hidden layer, 0 = none */
    double dropout_p;            /* probability that a neuron of that layer is dropped */
    unsigned long long dropout_seed;
    int    bn_layer;             /* `batchnorm L GAMMA BETA`: 1-based layer, 0 = none */
    double bn_gamma, bn_beta;

    /* added (keep at the end) */
    int    trace_all;            /* `trace all`: every step traced, however many */
    int    no_update;            /* `update no`: backward-only steps (forward, loss,
                                    backward, gradients; the weights stay) */

    /* grading, added: `answer-decimals N`, the decimals a student's answers
     * are asked to (quiz, check); -1 = the display `digits` */
    int    answer_digits;

    /* `chain yes`: the trace carries the chain-rule factors (engine_chain) */
    int    chain;

    /* tied parameters (added; keep at the end) */
    lesson_tie *ties;            /* `tie` lines, in file order */
    int    n_ties;
    int   *tie_arcs;             /* every tied arc, by tie (lesson_tie.at), in arc order */

    /* the line of each `ask` pattern, in the order of ask's words (added;
     * keep at the end), so a pattern that names nothing is reported at its
     * line (lesson_names_check) */
    int   *ask_lines;
    int    n_ask_lines;
} lesson;

/* The lesson's notes as paragraphs: the next one from *p (l->notes at
 * first) into *out (malloc'd, the caller frees), its `note` lines joined by
 * a space (an empty `note` line ends a paragraph); *p moves past it.
 * Returns 1, 0 when none is left (*out NULL), -1 when out of memory. */
int lesson_note_paragraph(const char **p, char **out);

/* The decimals a student is asked for: `answer-decimals`, else `digits`. */
int lesson_answer_digits(const lesson *l);

/* Input normalisation of lesson.normalise (lecture 000, "Normalizing Input"). */
enum { LESSON_NORM_NONE, LESSON_NORM_ZSCORE, LESSON_NORM_MINMAX };

/* Dropout mask of neuron j for iteration t and example b (0-based inside
 * the batch): 1 = kept, 0 = dropped, drawn from the lesson's seed with
 * probability dropout_p of a drop. A pure function of its arguments, so a
 * gradient check sees the same (fixed) mask as the training step. */
int lesson_dropout_keep(const lesson *l, int t, int b, int j);

/* Carried-forward credit of lesson.ecf. */
enum { LESSON_ECF_UNSET, LESSON_ECF_FULL, LESSON_ECF_HALF, LESSON_ECF_NONE };

/* Notations of lesson.notation (names and formulas, never values), and
 * their names in that order as every --help writes them (test_notation
 * checks that they are lesson_notation_name's). */
enum { NOTATION_VA, NOTATION_LAYER, NOTATION_NETOUT, NOTATION_BAR, NOTATION_COUNT };
#define NOTATION_CHOICES "va|layer|netout|bar"
/* Training rules of lesson.rule. */
enum { RULE_BACKPROP, RULE_PERCEPTRON };

/* The notations' names by NOTATION_*, then NULL. */
extern const char *const LESSON_NOTATIONS[NOTATION_COUNT + 1];
/* "va", "layer", "netout", "bar" -> NOTATION_*, or -1. */
int lesson_notation_parse(const char *s);
const char *lesson_notation_name(int notation);

/* Parse lesson text (len bytes, need not be NUL-terminated). `path` is used
 * in messages. On error returns NULL and writes "path:line: message" into
 * err (errsize bytes). The caller owns the result; free with lesson_free. */
lesson *lesson_parse(const char *text, size_t len, const char *path, char *err, size_t errsize);

/* Read and parse a file (at most LESSON_MAX_BYTES). Same contract. */
lesson *lesson_load(const char *path, char *err, size_t errsize);

void lesson_free(lesson *l);    /* NULL is a no-op */

/* Index of arc (i, j) or -1. */
int lesson_arc_index(const lesson *l, int i, int j);

/* Neuron id for a number or a label ("3", "h1"), or -1. */
int lesson_neuron(const lesson *l, const char *s);

/* The output layer's neurons. */
const int32_t *lesson_outputs(const lesson *l, int *count);

/* Short name of a lesson file: "lessons/mazur-2-2-2.lesson" -> "mazur-2-2-2". */
void lesson_basename(const char *path, char *buf, size_t size);

#endif
