/*
 * netdraw.h - pictures of a lesson's network: a terminal drawing and
 * Graphviz DOT.
 *
 * The terminal drawing puts each layer in a column (the bias and the
 * inputs first, then the processing layers in order) and writes beside
 * every processing neuron the neurons its arcs come from, every neuron
 * named as its trace names it in the notation (names.h; here va):
 *
 *     input              layer 1: logistic        output layer 2: logistic
 *     bias a_0 = 1
 *     a_1 = x_1          a_0, a_1, a_2 -> a_3     a_0, a_3, a_4 -> a_5
 *     a_2 = x_2          a_0, a_1, a_2 -> a_4
 *
 * (Mazur's net/out: i1, then a_0, i1, i2 -> out_h1; the layer notation:
 * x_1, then a_0, x_1 -> a^[1]_1). Three or more neurons in a row of one
 * column are first..last. Columns too wide for the terminal are put one
 * below the other instead.
 *
 * The DOT picture labels every neuron with its activation, in_j and a_j
 * (and Delta_j on the backward pass) and every arc with w_ij (and
 * dJ/dw_ij), taken from one iteration of a trace: the values come from the
 * trace, never recomputed, and every name from names.h in the chosen
 * notation (net_h1, z^[1]_1), so no node carries a neuron number its trace
 * does not write.
 * Layers run left to right (rankdir=LR, one rank=same group per layer, in
 * lesson order, ordering=out); the bias is a dashed box and its arcs are
 * dashed. An arc's label is a small box ON the arc (the arc is drawn
 * through it: i -> label -> j), in a rank of its own between the two
 * layers, so a label can never sit beside another arc; dot orders the
 * label boxes to reduce crossings. Frozen arcs from one neuron into one
 * layer that carry the same value (a bias the lecture shares, 002's b1)
 * share one label box that names them all. Without edge labels the arcs go
 * straight from neuron to neuron.
 *
 * Both append to a strbuf (text.h); neither prints.
 */
#ifndef NNTRACE_NETDRAW_H
#define NNTRACE_NETDRAW_H

#include <stddef.h>

#include "lesson.h"
#include "text.h"
#include "trace.h"

/* Rows shown per column before "... N more" (big layers). */
#define NETDRAW_MAX_ROWS 12

/* The terminal drawing of l's network (ends with a newline), its neurons
 * named in notation (NOTATION_*). unicode: names as text_unicode writes
 * them and arrows as box-drawing characters; width: a terminal's columns,
 * to which the heading's words are broken and past which the columns are
 * stacked (0: one line, side by side). Returns 0, or -1 when out of
 * memory. */
int netdraw_terminal(strbuf *out, const lesson *l, int notation, int unicode, int width);

typedef struct {
    int    step;       /* 1-based: the iteration t = step - 1 */
    int    backward;   /* also Delta_j and dJ/dw_ij */
    int    example;    /* lesson example inside a mini-batch, 1-based; 0 = the first there is */
    int    digits;     /* decimals shown */
    int    unicode;    /* in₃, Δ₃, ∂J/∂w₁,₃ instead of ASCII names */
    int    notation;   /* names of NOTATION_* (names.h); -1 = the lesson's */
    int    no_edge_labels;   /* arcs without their weight labels */
} netdraw_dot_opts;

/* DOT of l's network with the values of trace tr at o->step. Returns 0, or
 * -1 with a message in err (a step or pass the trace does not hold, out of
 * memory). */
int netdraw_dot(strbuf *out, const lesson *l, const trace *tr, const netdraw_dot_opts *o,
                char *err, size_t errsize);

#endif
