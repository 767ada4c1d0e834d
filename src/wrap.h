/*
 * wrap.h - long trace lines broken at operator boundaries to a width.
 *
 * A trace line "name = symbolic = substituted = value" may be wider than the
 * terminal. It is broken only before a spaced operator (" = ", " + ", " - ",
 * " ~ ") or after ", ", or, where a line has none, after a product's '*',
 * so never inside a number or a name, and each
 * continuation line is indented to stand under the first " = " (or by four
 * columns when that is more than half the width). Columns count UTF-8
 * characters, not bytes.
 */
#ifndef NNTRACE_WRAP_H
#define NNTRACE_WRAP_H

#include <stddef.h>

#include "text.h"

/* Append s to out, broken into lines of at most width columns where it can
 * be (a piece with no break point stays whole). lead: columns already used
 * on the first line (the trace's indent), which continuation lines repeat
 * before their own indentation. width 0: s unchanged. */
void wrap_line(strbuf *out, const char *s, size_t lead, size_t width);

/* Append prose text broken at its spaces into lines of at most width
 * columns: the first line after `first` columns already used, the others
 * indented by `indent` spaces; runs of blanks are one space, a word longer
 * than a line stays whole, and no newline ends it. width 0: one line. */
void wrap_words(strbuf *out, const char *text, size_t first, size_t indent, size_t width);

/* Append label, then text broken at its spaces into lines of at most width
 * columns, the lines after the first under the text ("source: CS 457/557
 * ...\n        Predictions ..."), or four columns in when the label takes
 * more than half the width (the text then starts on the next line if its
 * first word does not fit after the label); width 0: one line. No newline
 * ends it. */
void wrap_labelled(strbuf *out, const char *label, const char *text, size_t width);

/* The width to wrap standard output to: --width when given (>= 0), else the
 * terminal's (TIOCGWINSZ) when fd is one, else $COLUMNS, else 0 (no wrap). */
int wrap_width(int fd, int given);

#endif
