/*
 * outfile.h - output files: atomic for files, written through for streams.
 *
 * What the target is decides how it is written:
 *
 * - a regular file, or a path that does not exist yet: the output goes to a
 *   hidden temporary file beside it (".NAME.tmp-XXXXXX") and is renamed over
 *   the target only when complete and flushed to disk, so a failed or killed
 *   run never leaves a truncated file and never destroys an existing one. A
 *   symbolic link to a regular file is followed: the file it names is
 *   replaced and the link kept. A new file gets mode 0666 minus the umask; an
 *   existing file keeps its mode (and, where the system allows, its owner);
 * - a character device (/dev/null, a terminal), a FIFO, or "-" (standard
 *   output): written through, never replaced;
 * - anything else (a directory, a block device, a socket, a dangling
 *   symbolic link): refused with a message.
 *
 * SIGINT, SIGTERM and SIGHUP remove the temporaries of outputs still open,
 * then end the process as the signal would have (unless the signal was
 * ignored when the first output was opened: then it stays ignored).
 */
#ifndef NNTRACE_OUTFILE_H
#define NNTRACE_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    char *target;     /* the path as given ("-": standard output) */
    char *dest;       /* what is renamed over or written through: the
                         target, or the file a symbolic link names */
    char *tmp;        /* temporary path, NULL when streaming straight through */
    FILE *f;          /* open for writing (outfile_open with open_stream) */
    int through;      /* 1: a device, FIFO or "-": written through, no rename */
    int slot;         /* signal-registry slot of tmp + 1; 0: none */
} outfile;

/* Prepare an output to `path` as described above. With open_stream, out->f
 * is open for writing (on the temporary file, or straight on the device or
 * standard output). Without it, out->tmp names an empty file for another
 * writer (libxlsxwriter) to fill; commit then moves or copies it into place.
 * Returns 0, or -1 with a message naming the path in err. */
int outfile_open(outfile *out, const char *path, int open_stream, char *err, size_t errsize);

/* Flush, fsync and rename the temporary file over the target (or finish
 * writing through). Returns 0, or -1 with a message naming the target (the
 * temporary file is removed and an existing target is left as it was). */
int outfile_commit(outfile *out, char *err, size_t errsize);

/* Remove the temporary file and forget it. Safe after commit, and twice. */
void outfile_abort(outfile *out);

/* 1 when path is written through (see above): "-", a character device or
 * a FIFO (following symbolic links); else 0. */
int outfile_is_stream(const char *path);

/* -1 with a message when the output path `out` is the same file (device
 * and inode) as the input `in`, which writing would destroy; else 0.
 * "-" and paths that do not exist are never the same file. */
int outfile_not_input(const char *out, const char *in, char *err, size_t errsize);

#endif
