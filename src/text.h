/*
 * text.h - the text views of a trace: the student's trace, JSON and CSV,
 * and the report of a lesson's expectations.
 *
 * Every line is built from the trace alone: a quantity's symbolic form comes
 * from its operation and operand names, its substituted form from its operand
 * values as the evaluator used them, its value from the trace. Nothing here
 * computes the math again.
 */
#ifndef NNTRACE_TEXT_H
#define NNTRACE_TEXT_H

#include <stdio.h>

#include "base/strbuf.h"
#include "engine.h"
#include "lesson.h"
#include "trace.h"

/* strbuf, the growable string, is the base layer's (base/strbuf.h). */

/* The header line of a hand-rounded trace, in every view that prints one
 * (printf format; its one argument is the decimals, an int). */
#define TEXT_ROUND_NOTE \
    "hand-rounded: every operand is rounded to %d decimals before use, as on a calculator\n"

/* TEXT_ROUND_NOTE for round decimals, broken at its spaces to width columns
 * under its text after "hand-rounded: " (wrap_labelled; 0: one line),
 * without the newline. */
void text_round_note(strbuf *out, int round, size_t width);

/* A number as the lecture prints it: rounded to `digits` decimals as a
 * calculator does (round_dp, eval.h: a tie such as -0.11215 goes away from
 * zero, to -0.1122), trailing zeros cut, "-0" as "0", tiny non-zero values
 * in e-notation. Every view prints a rounded value through this function. */
void text_num(double v, int digits, char *buf, size_t size);

/* A number for a view with room for `most` decimals (the network
 * picture): text_num's at `digits` when it has no more decimals or is no
 * wider than "-0." and `most` decimals (0.00005, 0.99995 at 5 digits
 * within 4: the trace's own text), else rounded to `most` decimals with
 * its trailing zeros kept, so that a rounded value reads as rounded:
 * 0.009954255 at 9 digits within 4 is "0.0100" beside 0.008771355's
 * "0.0088" (text_num at 4 would write "0.01", as if exact), while 0.05
 * stays "0.05" and 0.35 "0.35"; a value that rounds to 0 there is in
 * e-notation (4.540e-05), as text_num writes one. */
void text_num_within(double v, int digits, int most, char *buf, size_t size);

/* For a number that must round-trip (records, spreadsheets) use
 * num_shortest (base/numfmt.h). */

/* The formula of quantity q: symbolic (vals == NULL: operand names) or with
 * the n operand values vals[] substituted. Constants give "". The grader
 * passes a student's own values here. Appends to b. */
void text_formula(strbuf *b, const trace *tr, const quantity *q, const double *vals, int digits);

/* The operand values q was computed from (rounded in hand mode) into vals
 * (room for q->nops). */
void text_operand_values(const trace *tr, const quantity *q, double *vals);

/* The value as shown: "0.19", "~ 0.5474" (hand mode, rounded when carried),
 * "0.21215 ~ 0.2122" (hand mode, short exact value then the carried one). */
void text_value(const trace *tr, const quantity *q, int digits, char *buf, size_t size);

/* One full line "name = symbolic = substituted = value" (ASCII). */
void text_line(strbuf *b, const trace *tr, const quantity *q, int digits);

typedef struct {
    int digits;        /* display decimals (the lesson's unless overridden) */
    int unicode;       /* subscripts, Delta, middle dot */
    int color;         /* ANSI colour */
    unsigned passes;   /* bit (1u << q_pass) for each pass shown */
    int width;         /* wrap quantity lines to this many columns (wrap.h); 0: never */
} text_opts;

/* The name of q in a lecture's notation (NOTATION_*, lesson.h): va is the
 * canonical trace_name; layer z^[l]_k, a^[l]_k, W^[l]_k,m, b^[l]_k, dz, dW,
 * L; netout net_h1, out_h1, target_o1, delta_o1, aliases, E_total; bar z_j,
 * y_j, t_j, zbar_j, wbar_i,j, bbar_j, L. l may be NULL (canonical). Same
 * return as snprintf. */
int text_qname(const lesson *l, int notation, const quantity *q, char *buf, size_t size);

/* text_print_trace with the names of a notation (NOTATION_*). */
int text_print_trace_n(FILE *out, const lesson *l, const engine_result *r, const text_opts *o, int notation);

/* text_formula and text_line with the names of a notation. */
void text_formula_n(strbuf *b, const trace *tr, const quantity *q, const double *vals, int digits,
                    const lesson *l, int notation);
/* text_formula_n; with expand_g the symbolic form of an activation also shows
 * the activation's own form: "g(in_3) = 1/(1+exp(-in_3))" (step, xlsx). */
void text_formula_x(strbuf *b, const trace *tr, const quantity *q, const double *vals, int digits,
                    const lesson *l, int notation, int expand_g);
/* The same in a syntax (eval.h SYN_ASCII, SYN_UNICODE, SYN_LATEX): the operand
 * names in the notation's script of that syntax, numbers as the syntax writes
 * them (LaTeX: \cdot, \frac, e^{...}, names such as \Delta_{3}). */
void text_formula_in(strbuf *b, const trace *tr, const quantity *q, const double *vals, int digits,
                     const lesson *l, int notation, syntax syn, int expand_g);
void text_line_n(strbuf *b, const trace *tr, const quantity *q, int digits, const lesson *l, int notation);
/* text_formula_n with some operands substituted: vals[k] as a number, or
 * operand k's name where vals[k] is NaN (a hint shows only the numbers a
 * student wrote). */
void text_formula_some(strbuf *b, const trace *tr, const quantity *q, const double *vals, int digits,
                       const lesson *l, int notation);

/* The student's trace of a whole run. Returns 0, or -1 on a write error. */
int text_print_trace(FILE *out, const lesson *l, const engine_result *r, const text_opts *o);

/* Every quantity as a JSON array of objects / CSV rows with a header: the
 * canonical name, and as `display` its name in the notation (NOTATION_*).
 * Returns 0, or -1 on a write or memory error. */
int text_print_json(FILE *out, const lesson *l, const engine_result *r, int digits, int notation);
int text_print_csv(FILE *out, const lesson *l, const engine_result *r, int digits, int notation);

/* Whether a substituted form (len bytes at sub) says no more than the
 * value printed after it: the same text, or that in parentheses (a
 * negative operand, din_3/dw_1,3 = a_1 = (-0.3)). Then the line says the
 * value once. */
int text_says_value(const char *sub, size_t len, const char *val);

/* Whether q is a constant: a given, or a formula that is its value whatever
 * the operands (the identity's g'(in_j) = 1). Every view then shows the
 * value alone, in one stage. */
int text_is_constant(const trace *tr, const quantity *q, int digits, const lesson *l, int notation);

/* Whether q's substituted form, at digits, says no more than its value
 * (text_says_value): then every view shows the value once. */
int text_sub_says_value(const trace *tr, const quantity *q, int digits, const lesson *l, int notation);

/* Check the lesson's `expect` lines against the trace, each to half a unit
 * of its last printed digit, and report them. Returns the number that fail
 * (a name not in the trace fails), or -1 when out of memory (nothing is
 * written then). */
int text_check_expectations(FILE *out, const lesson *l, const engine_result *r, int color);

/* The same for the expectations whose quantity is in one of o->passes (a
 * mask of 1 << q_pass), coloured by o->color and broken at spaces to
 * o->width as the trace is (0: not); the count line says how many
 * were left out. A name not in the trace is always checked (it fails).
 * Each quantity is named as the trace above names it (in `notation`),
 * with the lesson's own spelling after it where that differs. */
int text_check_expectations_in(FILE *out, const lesson *l, const engine_result *r, const text_opts *o,
                               int notation);

/* ASCII line to its Unicode form (in_3 -> in₃, delta_3 -> Δ₃, * -> ·) in
 * a notation (NOTATION_*): its delta is text_delta's letter (Mazur's
 * delta_o1 -> δ_o1). */
void text_unicode(strbuf *out, const char *ascii, int notation);

/* The letter a notation writes a delta with, in Unicode or (latex) LaTeX:
 * 001's Delta_j (Δ, \Delta) in va, Mazur's delta_o1 (δ, \delta) in the
 * others. The one place every script's delta comes from. */
const char *text_delta(int notation, int latex);

#endif
