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

/* The width to wrap standard output to: --width when given (>= 0), else the
 * terminal's (TIOCGWINSZ) when fd is one, else $COLUMNS, else 0 (no wrap). */
int wrap_width(int fd, int given);

#endif
