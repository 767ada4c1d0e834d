/*
 * names.h - the one naming module: a quantity's name in every notation and
 * script, and the quantity a typed name denotes.
 *
 * Every quantity has one canonical ASCII name (trace_name: in_3, a_3,
 * delta_3, w_1,3, dJ/dw_1,3, w_1,3^(1), a_3[2]), kept in JSON, CSV and
 * every file a tool reads back. People see and type it in a notation
 * (lesson.h NOTATION_*):
 *
 *   va      in_3   a_3     delta_3   w_1,3      dJ/dw_1,3     J        (001)
 *   layer   z^[1]_1 a^[1]_1 dz^[1]_1 W^[1]_1,1  dW^[1]_1,1   L        (000, 003)
 *   netout  net_h1 out_h1  delta_h1  w1         dE_total/dw1 E_total  (002)
 *   bar     z_3    y_3     zbar_3    w_1,3      wbar_1,3     L        (004)
 *
 * and in a script: ASCII (above), Unicode (in₃, Δ₃, ∂J/∂w₁,₃, w₁,₃⁽¹⁾) or
 * LaTeX (\mathrm{in}_{3}, \Delta_{3}, \frac{\partial J}{\partial w_{1,3}}).
 * An input neuron's output is a_1 in va (001: "a_1 = x_1 = 3") and x_1 in
 * the other notations, in its own line and in every formula alike; inputs,
 * targets and the bias a_0 carry no iteration mark ^(t).
 *
 * A names_index resolves what people type: any notation, any script,
 * canonical names, the lesson's labels and aliases in canonical names
 * (a_h1, w_h1,o1, dJ/dw5), Delta_3, E for E_total, ^(0) for the first
 * iteration, spaces anywhere. A reading in the index's own notation wins;
 * otherwise a name with two different readings in other notations is
 * refused with both, and a near miss gets "did you mean" (edit distance).
 */
#ifndef NNTRACE_NAMES_H
#define NNTRACE_NAMES_H

#include <stddef.h>

#include "lesson.h"
#include "trace.h"

typedef enum { NAMES_ASCII, NAMES_UNICODE, NAMES_LATEX, NAMES_SCRIPT_COUNT } names_script;

/* The name of q in a notation (NOTATION_*) and script, into buf[size].
 * l NULL means va with neuron numbers (the canonical name, but a_1 for an
 * input and no iteration mark on inputs and targets). Returns the length
 * it needed (snprintf rules). */
int names_render(const lesson *l, int notation, names_script script, const quantity *q,
                 char *buf, size_t size);

/* Where a given value enters under another name: in va an input's output
 * a_1 is given as x_1 ("a_1 = x_1 = 3"). Writes that source name and
 * returns its length, or returns 0 (buf "") when there is none. */
int names_given_as(const lesson *l, int notation, names_script script, const quantity *q,
                   char *buf, size_t size);

/* An ASCII name in another script (the notation picks Delta or delta in
 * LaTeX). Same return as snprintf. */
int names_script_of(const char *ascii, int notation, names_script script, char *buf, size_t size);

typedef struct names_index names_index;

/* An index of the quantities of tr, resolving names typed against the
 * lesson l in the given notation. NULL when out of memory. Borrows l and
 * tr: both must outlive it. The table of every notation's names is built
 * on the first lookup that needs it. */
names_index *names_index_new(const lesson *l, const trace *tr, int notation);
void names_index_free(names_index *ix);      /* NULL is a no-op */

int names_index_notation(const names_index *ix);
/* Read names in notation first (a sheet written in it); returns the
 * notation preferred before, to restore. Names shown in messages follow. */
int names_index_prefer(names_index *ix, int notation);

/* 1 when building the index ran out of memory (names_resolve then fails
 * for every name), else 0. */
int names_index_failed(const names_index *ix);

/* Id of the quantity with this exact canonical name (the first of equal
 * names), or -1. */
long names_index_get(const names_index *ix, const char *canonical);

/* The quantity a person's name denotes, or -1 with a message in err, e.g.
 * "'a3' names no quantity of this lesson; did you mean a_3 (a₃)?" or
 * "'y_5' is ambiguous: ...". err may be NULL. */
long names_resolve(names_index *ix, const char *typed, char *err, size_t errsize);

/* The ASCII spelling of a name as a person typed it, as names_resolve
 * reads it (α -> alpha, h₁ -> h_1, \Delta -> delta), into out: 0, or -1
 * when it does not fit. */
int names_ascii_spelling(const char *typed, char *out, size_t size);

/* Is nm, a name a lesson gives (a label, an alias, a tie; `role` says
 * which, for the message), shaped like a quantity's name? A label stands
 * for its neuron's number inside names (a_h1, w_h1,o1) and an input's label
 * for the input itself (x1), so a label in_3 would print in_in_3 and a_in_3
 * and one called a_0 or J would be a second quantity's name: traces,
 * answer sheets and the grader could not tell them apart. Refused: a name
 * that begins with the stem of a quantity's name and '_' (a_, x_, y_, in_,
 * out_, delta_, zbar_, dJ_, ... in any notation; Delta_3 as delta_3 reads),
 * and a quantity's whole name (J, L, E, alpha, lambda). Returns 0, or 1
 * with the reason in why ("label 'in_3' is shaped like a quantity's name
 * ...; did you mean in3?"). */
int names_given_problem(const char *nm, const char *role, char *why, size_t size);

/* names_resolve without a message; ix NULL builds an index in the va
 * notation for this one look-up (for tests and one-off queries). */
long names_find(const lesson *l, const trace *tr, names_index *ix, const char *name);

#endif
