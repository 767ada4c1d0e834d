/*
 * fast.h - status codes shared by the fast path (src/fast).
 *
 * Every library function of the fast path returns a fast_status and, where a
 * caller needs context, fills an optional `char *err` buffer of `errlen`
 * bytes with a one-line message (file name, offending value). Nothing in
 * src/fast prints or exits except fast_mnist_main (fast_cli.c).
 */
#ifndef NNTRACE_FAST_H
#define NNTRACE_FAST_H

#include <stddef.h>

typedef enum {
    FAST_OK = 0,
    FAST_ERR_NOMEM,    /* an allocation failed */
    FAST_ERR_IO,       /* open/read/write/rename failed (errno text in err) */
    FAST_ERR_FORMAT,   /* a file is malformed: bad magic, sizes, checksum */
    FAST_ERR_ARG,      /* a bad argument: layer sizes, options */
    FAST_ERR_XLSX      /* libxlsxwriter reported an error (its text in err) */
} fast_status;

/* A static English text for st; never NULL. */
const char *fast_strerror(fast_status st);

/* printf into err (if err != NULL and errlen > 0), truncating; returns st. */
fast_status fast_fail(fast_status st, char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#endif
