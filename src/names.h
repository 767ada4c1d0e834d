/*
 * names.h - from the names people type to the quantities of a trace.
 *
 * Every quantity has one canonical ASCII name (trace_name). People also write
 * a lecture's labels and aliases ("a_h1", "w5^(1)"), "a_1" for the input x_1,
 * "Delta_3" for delta_3, and "^(0)" for the first iteration. names_canonical
 * rewrites all of these into the canonical form, and a names_index finds the
 * quantity with a canonical name in O(1).
 */
#ifndef NNTRACE_NAMES_H
#define NNTRACE_NAMES_H

#include <stddef.h>

#include "lesson.h"
#include "trace.h"

/* Rewrite `name` into canonical form in out[size]. Returns 0, or -1 when the
 * name does not have the shape of any quantity or names an unknown neuron. */
int names_canonical(const lesson *l, const char *name, char *out, size_t size);

typedef struct names_index names_index;

/* A hash index of every quantity of tr by canonical name (the first of equal
 * names wins). NULL when out of memory. The index borrows tr: rebuild it if
 * the trace changes. */
names_index *names_index_new(const trace *tr);
void names_index_free(names_index *ix);      /* NULL is a no-op */

/* Id of the quantity with this canonical name, or -1. */
long names_index_get(const names_index *ix, const char *canonical);

/* Both steps: the quantity a user's name denotes, or -1. ix may be NULL
 * (then a linear search). */
long names_find(const lesson *l, const trace *tr, const names_index *ix, const char *name);

#endif
