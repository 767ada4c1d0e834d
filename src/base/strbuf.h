/*
 * strbuf.h - a growable string (base layer: no project dependencies).
 *
 * Zero-initialise (strbuf b = {0}); append with sb_printf; free with
 * sb_free. After an allocation failure `failed` is set and later appends
 * are ignored, so a caller checks once at the end.
 */
#ifndef NNTRACE_BASE_STRBUF_H
#define NNTRACE_BASE_STRBUF_H

#include <stddef.h>

typedef struct { char *s; size_t len, cap; int failed; } strbuf;

void sb_printf(strbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void sb_free(strbuf *b);

#endif
