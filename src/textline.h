/*
 * textline.h - one line of a text held in memory, whatever its line ends.
 *
 * Lessons and answer sheets come from every kind of editor: lines end in
 * LF (Unix), CR LF (Windows) or a lone CR (old Mac editors); the last line
 * may have no end at all. Both parsers walk their text with this one rule.
 */
#ifndef NNTRACE_TEXTLINE_H
#define NNTRACE_TEXTLINE_H

#include <stddef.h>

/* The line at text[*pos] of a len-byte text: its start and its length n
 * without the line end; *pos moves past the line end (LF, CR LF or CR).
 * Returns 0 when *pos is at the end (no line). */
static inline int textline_next(const char *text, size_t len, size_t *pos, size_t *start, size_t *n)
{
    size_t p = *pos;
    if (p >= len) return 0;
    *start = p;
    while (p < len && text[p] != '\n' && text[p] != '\r') p++;
    *n = p - *start;
    if (p < len && text[p] == '\r') {
        p++;
        if (p < len && text[p] == '\n') p++;
    } else if (p < len) {
        p++;                                     /* '\n' */
    }
    *pos = p;
    return 1;
}

#endif
