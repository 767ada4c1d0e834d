/*
 * outfile.c - temporary file, fsync, rename (see outfile.h).
 */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int outfile_open(outfile *out, const char *path, int open_stream, char *err, size_t errsize)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (!*path) { snprintf(err, errsize, "empty output path"); return -1; }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errsize, "%s: is a directory, not a file", path);
        return -1;
    }
    size_t n = strlen(path);
    out->target = dupstr(path);
    out->tmp = malloc(n + 32);
    if (!out->target || !out->tmp) {
        free(out->tmp);                 /* not yet a file name: nothing to unlink */
        out->tmp = NULL;
        snprintf(err, errsize, "out of memory");
        outfile_abort(out);
        return -1;
    }
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    /* ".name.tmp-XXXXXX" beside the target */
    snprintf(out->tmp, n + 32, "%.*s.%s.tmp-XXXXXX", (int)dirlen, path, path + dirlen);
    int fd = mkstemp(out->tmp);
    if (fd < 0) {
        snprintf(err, errsize, "%s: cannot write in %s%.*s: %s", path, dirlen ? "" : "the current directory",
                 (int)(dirlen ? dirlen - 1 : 0), path, strerror(errno));
        free(out->tmp);
        out->tmp = NULL;
        outfile_abort(out);
        return -1;
    }
    if (fchmod(fd, 0644) != 0) { /* keep mkstemp's 0600 if this fails */ }
    if (!open_stream) {
        if (close(fd) != 0) { snprintf(err, errsize, "%s: %s", out->tmp, strerror(errno)); outfile_abort(out); return -1; }
        return 0;
    }
    out->f = fdopen(fd, "wb");
    if (!out->f) {
        snprintf(err, errsize, "%s: %s", out->tmp, strerror(errno));
        close(fd);
        outfile_abort(out);
        return -1;
    }
    return 0;
}

int outfile_commit(outfile *out, char *err, size_t errsize)
{
    int rc = 0;
    if (out->f) {
        if (fflush(out->f) != 0 || ferror(out->f) || fsync(fileno(out->f)) != 0) {
            snprintf(err, errsize, "%s: write failed: %s", out->target, strerror(errno));
            rc = -1;
        }
        if (fclose(out->f) != 0 && rc == 0) {
            snprintf(err, errsize, "%s: write failed: %s", out->target, strerror(errno));
            rc = -1;
        }
        out->f = NULL;
    } else {
        int fd = open(out->tmp, O_RDONLY);
        if (fd < 0 || fsync(fd) != 0) {
            snprintf(err, errsize, "%s: cannot sync: %s", out->target, strerror(errno));
            rc = -1;
        }
        if (fd >= 0) close(fd);
    }
    if (rc == 0 && rename(out->tmp, out->target) != 0) {
        snprintf(err, errsize, "%s: cannot rename into place: %s", out->target, strerror(errno));
        rc = -1;
    }
    if (rc == 0) { free(out->tmp); out->tmp = NULL; }
    outfile_abort(out);
    return rc;
}

void outfile_abort(outfile *out)
{
    if (out->f) { fclose(out->f); out->f = NULL; }
    if (out->tmp) { unlink(out->tmp); free(out->tmp); out->tmp = NULL; }
    free(out->target);
    out->target = NULL;
}
