/*
 * step.h - `nntrace step` as a state machine: reveal a trace one quantity at
 * a time, in the order the lecture derives it.
 *
 * The trace (trace.h) is cut into items in array order, which is the
 * derivation order: a run of given quantities (the weights of iteration t)
 * is one item; every other quantity is one item. An item with a formula is
 * revealed in three stages, each on its own line, as a lecture writes it:
 *
 *     in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2      stage 1: symbolic
 *          = 5*1 + 1*3 + (-2)*4                      stage 2: substituted
 *          = 0                                       stage 3: value
 *
 * A constant (an input x_j, a target y_j) or a block of given weights has
 * one stage. The session's position is (item, stages revealed), 1 <= stages
 * revealed <= the item's stages. Every command appends what the screen gets
 * to a strbuf and never prints: the terminal loop lives in cmd_step.c, and
 * tests drive the session directly. All text comes from text.h (text_formula,
 * text_value), so nothing is computed here.
 *
 * Ownership: step_new borrows the lesson and the trace; both must outlive
 * the session, which owns only its item array and name index.
 */
#ifndef NNTRACE_STEP_H
#define NNTRACE_STEP_H

#include <stddef.h>

#include "lesson.h"
#include "names.h"
#include "text.h"
#include "trace.h"

/* How lines look. */
typedef struct {
    int digits;    /* display decimals */
    int unicode;   /* in₃, Δ₃, · (text_unicode) */
    int color;     /* ANSI: names cyan, values bold, headers bold */
    const lesson *l;   /* names: the lesson (borrowed; NULL = canonical) */
    int notation;      /* and its notation (NOTATION_*) */
    int width;         /* a terminal's columns: formulas broken at their
                          operators to fit (wrap.h); 0 (a pipe): never */
} step_style;

typedef struct {
    size_t first, count;   /* quantities [first, first + count) */
    int    stages;         /* 1 (constant, given block), 3, or 2 when the
                              numbers substituted are the value itself */
} step_item;

typedef struct {
    const lesson *l;
    const trace  *tr;
    names_index  *ix;          /* owned */
    step_item    *items;       /* owned, [n_items] */
    size_t        n_items;
    size_t        start;       /* the first item after the opening's given block */
    size_t        cur;         /* current item */
    int           stage;       /* stages of items[cur] revealed, >= 1 */
    long          shown;       /* item whose lines the screen shows last, -1 none */
    int           end_said;    /* "(end of the trace ...)" shown since the last move */
    char          err[512];    /* why the last command failed (STEP_BAD), else "" */
    step_style    st;
} step_session;

typedef enum {
    STEP_NEXT, STEP_BACK, STEP_GOTO, STEP_PASS, STEP_RESTART, STEP_HELP, STEP_QUIT,
    STEP_REDRAW,     /* the screen again, at the current position (Ctrl-L) */
    STEP_SUSPEND,    /* the terminal's Ctrl-Z: done by the terminal loop */
} step_cmd;

/* The keys, one row per command: the single bytes that give it, the final
 * bytes of the arrow keys that give it (ESC [ C), and the help line. The
 * help, the terminal loop and the piped loop all read this table. */
typedef struct {
    step_cmd    cmd;
    const char *bytes;     /* single-byte keys ("" none) */
    const char *arrows;    /* ESC [ X final bytes ("" none) */
    const char *shown;     /* as the help names them */
    const char *what;
} step_key;

extern const step_key STEP_KEYS[];
extern const size_t STEP_N_KEYS;

/* The command of a single key byte (*known 0: none), or of an arrow key's
 * final byte when arrow is set. */
step_cmd step_key_cmd(int c, int arrow, int *known);

/* What step_do asks of the terminal loop. */
enum { STEP_GO_ON = 0, STEP_QUITS = 1, STEP_REDRAWS = 2, STEP_BAD = 3 };

/* A session at the start; NULL when out of memory. */
step_session *step_new(const lesson *l, const trace *tr, const step_style *st);
void step_free(step_session *s);      /* NULL is a no-op */

/* The opening screen: title, source, notes, the network drawing, the given
 * weights, the keys, and the first stage of the first item. */
void step_opening(step_session *s, strbuf *out);

/* Carry out one command (name: the quantity for STEP_GOTO, any name
 * names_resolve knows: any notation or script, label, alias). Appends the new lines to out
 * (for a pipe, a transcript). Returns STEP_QUITS for STEP_QUIT;
 * STEP_REDRAWS when a terminal should redraw its screen with step_screen
 * (after STEP_BACK, which appends only "(back to in_3)"; STEP_REDRAW,
 * which appends nothing; and STEP_GOTO, whose lines, the quantity with its
 * heading, a pipe's transcript keeps, while a terminal shows the trace up
 * to the quantity instead); STEP_BAD when the command could not be carried
 * out (g with an unknown name or none): s->err says why, and out gets it in
 * parentheses; else STEP_GO_ON. Past the end of the trace the
 * end is said once, until the position moves again. */
int step_do(step_session *s, step_cmd c, const char *name, strbuf *out);

/* The terminal's width changed (or is first known): formulas are broken
 * to width columns from now on (0: never). */
void step_set_width(step_session *s, int width);

/* The whole screen at the current position, as if stepped there from the
 * start: the last rows - 1 terminal rows (cols wide; a longer line takes
 * several) of the opening and the items up to the current stage, each item
 * with its headings. The terminal loop clears the screen and writes this
 * after `b`, a resize, Ctrl-L and a resume, so `b` rewinds instead of
 * appending copies. Later commands continue from it. */
void step_screen(step_session *s, strbuf *out, int rows, int cols);

/* 1-based number of the current item and the number of items, not counting
 * the given block of the opening (which is item 0 when back there). */
void step_progress(const step_session *s, size_t *k, size_t *n);

/* Is the session at the last stage of the last item? */
int step_at_end(const step_session *s);

/* One line of prose (label, then text; ansi: its colour, or NULL): with a
 * width (a terminal) broken at its spaces, the lines after the first under
 * the text; else as written. */
void step_prose(strbuf *out, const step_style *st, const char *label, const char *text,
                const char *ansi);

/* The hand-rounding note (TEXT_ROUND_NOTE) as step_prose writes it, under
 * its "hand-rounded: ". */
void step_round_note(strbuf *out, const step_style *st, int round);

/* The key help, a row per key (STEP_KEYS), within a terminal of width
 * columns (0: an 80-column one). */
void step_help(strbuf *out, int width);

/* ---- pieces shared with the quiz (quiz.h) ---- */

/* The heading lines of quantity id's place in the trace ("step 1 (t = 0)",
 * " forward"), from the trace walker (walk.h), each only when it differs
 * from prev's (prev NULL: all of them). */
void step_context(strbuf *out, const lesson *l, const trace *tr, size_t id, const quantity *prev,
                  const step_style *st);

/* ASCII text in the style: Unicode when asked, wrapped in colour `ansi`
 * (e.g. "36" cyan, "1" bold; NULL none) when colour is on. */
void step_put(strbuf *out, const step_style *st, const char *ascii, const char *ansi);

/* Display width of UTF-8 text (code points; no colour codes inside). */
size_t step_width(const char *utf8);

/* "  in_3 = " with the name in colour; returns the display width of
 * "  in_3", where continuation lines put their '='. */
size_t step_name(strbuf *out, const trace *tr, const quantity *q, const step_style *st);

/* A formula line: "  in_3 = " + the symbolic form (vals NULL), or the
 * continuation "       = " + the form with vals[] (q->nops values)
 * substituted, when indent > 0 (the width step_name returned). */
void step_formula(strbuf *out, const trace *tr, const quantity *q, const double *vals,
                  size_t indent, const step_style *st);

#endif
