/*
 * outfile.h - atomic output files.
 *
 * An output is written to a temporary file in the target's directory and
 * renamed over the target only when complete and flushed to disk, so a
 * failed or killed run never leaves a truncated file and never destroys an
 * existing one.
 */
#ifndef NNTRACE_OUTFILE_H
#define NNTRACE_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    char *target;     /* final path */
    char *tmp;        /* temporary path in the same directory */
    FILE *f;          /* open on tmp (outfile_open only) */
} outfile;

/* Check `path` can be a regular output file (not a directory, its directory
 * exists and is writable) and choose a temporary name beside it. When
 * open_stream, also open the temporary file for writing in out->f.
 * Returns 0, or -1 with a message in err. */
int outfile_open(outfile *out, const char *path, int open_stream, char *err, size_t errsize);

/* Flush, fsync and rename the temporary file over the target.
 * Returns 0, or -1 with a message (the temporary file is removed). */
int outfile_commit(outfile *out, char *err, size_t errsize);

/* Remove the temporary file and forget it. Safe after commit, and twice. */
void outfile_abort(outfile *out);

#endif
