/*
 * walk.h - the one trace walker: the quantities of a trace in order, each
 * with the events that begin at it, the headings those events show, and the
 * quantity's own notes. The text trace, step, the quiz and the workbook read
 * their structure from here, so a heading is written once.
 *
 * Events, relative to the quantity shown before (prev):
 *   WALK_ITER     a new iteration t (the workbook starts a sheet)
 *   WALK_STEP     a new heading block: "given", "step 2 (t = 1)",
 *                 "weights after step 9 (...)", "forward pass ..."
 *   WALK_PASS     a new pass, or a new example inside it: "forward, example 2"
 *   WALK_EXAMPLE  another lesson example (quantity.ex, the engine's provenance)
 * An intro line ("input normalisation (z-score over the 4 examples)") comes
 * with the first given input of a normalised lesson.
 *
 * Ownership: the walker borrows the lesson and the trace; the texts of an
 * item live in the walker until its next call.
 */
#ifndef NNTRACE_WALK_H
#define NNTRACE_WALK_H

#include <stddef.h>

#include "lesson.h"
#include "trace.h"

enum { WALK_ITER = 1, WALK_STEP = 2, WALK_PASS = 4, WALK_EXAMPLE = 8 };

typedef struct {
    size_t          id;
    const quantity *q;
    unsigned        events;         /* WALK_* that begin at q */
    const char     *step_heading;   /* with WALK_STEP, else NULL */
    const char     *intro;          /* a line before the quantity, or NULL */
    const char     *pass_heading;   /* a pass heading (given blocks have none), or NULL */
    const char     *notes[EVAL_MAX_NOTES + 1];  /* the quantity's notes (kink convention, log guard), NULL-ended */
} walk_item;

typedef struct {
    const lesson   *l;
    const trace    *tr;
    unsigned        passes;         /* bit (1u << q_pass) of each pass walked */
    size_t          next;
    const quantity *prev;           /* the quantity walked last, NULL at the start */
    size_t          first_raw;      /* id of the first raw input of a normalised lesson, or -1 */
    char            step_buf[192], pass_buf[192], intro_buf[160];
} walker;

/* A walker at the start of tr, over the passes in `passes` (0: all). */
void walk_start(walker *w, const lesson *l, const trace *tr, unsigned passes);

/* The next quantity with its events into *it: 1, or 0 at the end. */
int walk_next(walker *w, walk_item *it);

/* The item of quantity id as it follows prev (NULL: it opens the view, so
 * every heading shows): for views that jump (step's go-to, the quiz). */
void walk_at(walker *w, size_t id, const quantity *prev, walk_item *it);

/* The notes of q (NULL-ended, at most 2): the kink convention its
 * activation row states, the log guard. Returns how many. */
int walk_notes(const quantity *q, const char *notes[EVAL_MAX_NOTES + 1]);

/* The heading of iteration t's quantities (not the givens), as every view
 * writes it: "step 3 (t = 2)"; after the last step run, "forward pass with
 * the weights after step 24 (t = 24)" (the steps run, tr->steps: a
 * perceptron may stop before the lesson's last); "forward pass" in a
 * lesson without steps. */
void walk_step_title(char *buf, size_t size, const trace *tr, int t);

/* Steps asked for that training never reached. The perceptron rule stops
 * after an epoch without mistakes, so a step the lesson traces (`trace K`,
 * the default last step, every step under --all-steps) or reports
 * (`report K`) may come after its last step. Every view says so in the one
 * sentence written here:
 *   "step 30: not run (training stopped after step 24)"
 *   "steps 25 to 80: not run (training stopped after step 24)"
 *   "steps 28, 30 and 40 to 44: not run (training stopped after step 24)"
 * walk_not_run: the steps traced (engine_traced, with tr->trace_all) that
 * did not run; walk_step_not_run: step k alone. 1 with the sentence in buf
 * (size bytes, cut short if need be), 0 when every such step ran (buf ""). */
int walk_not_run(const lesson *l, const trace *tr, char *buf, size_t size);
int walk_step_not_run(const lesson *l, const trace *tr, int k, char *buf, size_t size);

#endif
