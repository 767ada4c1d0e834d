/*
 * lesson_keys.h - the keys of a lesson file, one table row each.
 *
 * LESSON_KEYS[] (lesson_keys.c) is the one place a key is defined: its name,
 * whether it may appear once, how many words follow it, the function that
 * parses its line, and its usage and one-line help. The parser looks keys up
 * there, `nntrace keys` (and `nntrace help lesson`) prints it, and the
 * README's key table is generated from it (`nntrace keys --markdown`; a test
 * holds the README to it).
 */
#ifndef NNTRACE_LESSON_KEYS_H
#define NNTRACE_LESSON_KEYS_H

#include <stdio.h>

/* One enumerator per key, in the order `nntrace keys` prints them. Indexes
 * LESSON_KEYS[] and pass1.seen[]. */
typedef enum {
    KEY_TITLE, KEY_SOURCE, KEY_NOTE,
    KEY_INPUT, KEY_LAYER, KEY_LABEL, KEY_WEIGHT, KEY_ALIAS, KEY_TIE, KEY_ARCS, KEY_NOBIAS,
    KEY_INIT, KEY_INIT_LAYER, KEY_FREEZE,
    KEY_LOSS, KEY_RATE, KEY_DECAY, KEY_BATCH, KEY_STEPS, KEY_RULE, KEY_EPOCHS,
    KEY_TRACE, KEY_REPORT, KEY_FINAL_FORWARD, KEY_UPDATE, KEY_EXAMPLE, KEY_DIGITS, KEY_ROUND,
    KEY_EXPECT, KEY_NOTATION, KEY_CHAIN,
    KEY_DROPOUT, KEY_BATCHNORM, KEY_NORMALISE,
    KEY_ASK, KEY_POINTS, KEY_ECF, KEY_TOLERANCE, KEY_ANSWER_DECIMALS,
    KEY_SIGFIGS, KEY_SHORT_CREDIT, KEY_ECF_DEPTH, KEY_FEEDBACK, KEY_VARY, KEY_VARY_LIMIT,
    KEY_COUNT
} lesson_key;

#define KEY_ARGS_ANY (-1)   /* max_args: no upper limit */

struct lesson_keyline;      /* one line being parsed (lesson_impl.h) */

typedef struct {
    const char *key;        /* the first word of the line */
    int once;               /* 1: may appear once; a second is an error */
    int min_args, max_args; /* words after the key (max KEY_ARGS_ANY: any) */
    int (*parse)(struct lesson_keyline *k);   /* 0, or -1 after lp_fail */
    const char *usage;      /* e.g. "weight NAME = VALUE" */
    const char *help;       /* one line for `nntrace keys` and the README */
    const char *arity_error;/* message for a wrong word count; NULL: "expected 'USAGE'" */
    int free_text;          /* 1: the rest of the line is text (title, note): any characters */
    const char *also;       /* words lectures use for it (alpha, eta for rate), blank-separated: an
                               unknown key that is one gets this key as its "did you mean"; or NULL */
} lesson_keydef;

extern const lesson_keydef LESSON_KEYS[];   /* KEY_COUNT rows (asserted in lesson_keys.c) */

/* The row of key, or NULL. */
const lesson_keydef *lesson_key_find(const char *key);

/* Print the key table: plain text for a terminal, or (markdown) the
 * README's table. Returns 0, or -1 if writing failed. */
int lesson_keys_print(FILE *f, int markdown);

#endif
