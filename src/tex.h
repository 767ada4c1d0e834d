/*
 * tex.h - a lesson's derivation as LaTeX: an article, a Beamer deck, or the
 * equations alone (see tex.c).
 */
#ifndef NNTRACE_TEX_H
#define NNTRACE_TEX_H

#include "engine.h"
#include "lesson.h"
#include "text.h"

typedef struct {
    int beamer;        /* a deck: frames, overlays, the network in TikZ */
    int fragment;      /* only the equations, to paste into a document */
    int notation;      /* NOTATION_*, -1: the lesson's */
    int digits;        /* decimals, -1: the lesson's */
    unsigned passes;   /* bit (1u << q_pass) of each pass written; 0: all */
} tex_opts;

/* Append the document for the run r of lesson l to b. Returns 0, or -1
 * when out of memory. */
int tex_write(strbuf *b, const lesson *l, const engine_result *r, const tex_opts *o);

/* Text as LaTeX prose: the special characters escaped. */
void tex_escape(strbuf *b, const char *s);

#endif
