/*
 * outfile.c - temporary file, fsync, rename; or straight through to a
 * device, a FIFO or standard output (see outfile.h).
 *
 * The one piece of global mutable state in nntrace lives here, because a
 * signal handler can reach nothing else: a registry of the temporary files
 * now open (OUTFILE_SLOTS fixed buffers, each published by a volatile
 * sig_atomic_t flag set after its name is written, with a signal fence
 * between), read by the SIGINT/SIGTERM/SIGHUP handler, which only calls
 * unlink, sigaction and raise (all async-signal-safe). A temporary whose
 * name does not fit a slot is still removed on every ordinary path; only a
 * signal could then leave it behind.
 */
#define _XOPEN_SOURCE 700     /* realpath */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * The signal registry of temporary names
 * ---------------------------------------------------------------------- */

#define OUTFILE_SLOTS 8
#define OUTFILE_PATH 4096

static volatile sig_atomic_t reg_used[OUTFILE_SLOTS];
static char reg_path[OUTFILE_SLOTS][OUTFILE_PATH];

static const int CAUGHT[] = {SIGINT, SIGTERM, SIGHUP};
#define N_CAUGHT (sizeof CAUGHT / sizeof CAUGHT[0])

/* Remove every registered temporary, then die of the signal as if it had
 * not been caught (it is blocked while this runs, so raise takes effect on
 * return, with the default action). */
static void on_signal(int sig)
{
    atomic_signal_fence(memory_order_seq_cst);
    for (int k = 0; k < OUTFILE_SLOTS; k++)
        if (reg_used[k]) (void)unlink(reg_path[k]);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    (void)sigaction(sig, &dfl, NULL);
    (void)raise(sig);
}

/* Install on_signal for each caught signal still at its default action
 * (an ignored signal stays ignored: nohup keeps working). */
static void install_handlers(void)
{
    for (size_t k = 0; k < N_CAUGHT; k++) {
        struct sigaction old, sa;
        if (sigaction(CAUGHT[k], NULL, &old) != 0 || old.sa_handler != SIG_DFL) continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        for (size_t m = 0; m < N_CAUGHT; m++) sigaddset(&sa.sa_mask, CAUGHT[m]);
        (void)sigaction(CAUGHT[k], &sa, NULL);
    }
}

/* Block (how = SIG_BLOCK) or unblock the caught signals. */
static void mask_caught(int how)
{
    sigset_t s;
    sigemptyset(&s);
    for (size_t k = 0; k < N_CAUGHT; k++) sigaddset(&s, CAUGHT[k]);
    (void)sigprocmask(how, &s, NULL);
}

/* A slot now holding name, or -1 when the registry is full or the name too
 * long. Called with the caught signals blocked. */
static int reg_add(const char *name)
{
    size_t n = strlen(name);
    if (n >= OUTFILE_PATH) return -1;
    for (int k = 0; k < OUTFILE_SLOTS; k++)
        if (!reg_used[k]) {
            memcpy(reg_path[k], name, n + 1);
            atomic_signal_fence(memory_order_seq_cst);
            reg_used[k] = 1;
            install_handlers();
            return k;
        }
    return -1;
}

static void reg_drop(outfile *out)
{
    if (out->slot > 0) reg_used[out->slot - 1] = 0;
    out->slot = 0;
}

/* mkstemp(tmp), registered for the signal handler in the same breath. */
static int make_temp(outfile *out)
{
    mask_caught(SIG_BLOCK);
    int fd = mkstemp(out->tmp);
    if (fd >= 0) out->slot = reg_add(out->tmp) + 1;
    int e = errno;
    mask_caught(SIG_UNBLOCK);
    errno = e;
    return fd;
}

/* ------------------------------------------------------------------------
 * Opening
 * ---------------------------------------------------------------------- */

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* The kind of a non-regular file, for a refusal. */
static const char *kind_name(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* The longest file name component; ".NAME.tmp-XXXXXX" is 12 bytes longer
 * than NAME, so NAME is shortened in the temporary's name when needed. */
#ifndef NAME_MAX
#define NAME_MAX 255
#endif
#define TMP_EXTRA 12

/* A mode for a new file: 0666 less the umask (read without changing it). */
static mode_t new_file_mode(void)
{
    mode_t m = umask(0);
    umask(m);
    return 0666 & ~m;
}

static int fail_open(outfile *out, char *err, size_t errsize, const char *fmt, const char *a, const char *b)
{
    snprintf(err, errsize, fmt, a, b);
    outfile_abort(out);
    return -1;
}

int outfile_open(outfile *out, const char *path, int open_stream, char *err, size_t errsize)
{
    memset(out, 0, sizeof *out);
    if (!*path) { snprintf(err, errsize, "empty output path"); return -1; }
    struct stat st, lst;
    int exists = 0;
    if (!(out->target = dupstr(path))) return fail_open(out, err, errsize, "%s%s", "out of memory", "");
    if (!strcmp(path, "-")) {
        out->through = 1;
    } else if (lstat(path, &lst) == 0) {
        if (stat(path, &st) != 0)
            return fail_open(out, err, errsize, "%s: a symbolic link to a missing file (%s); not replaced",
                             path, strerror(errno));
        if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) out->through = 1;
        else if (!S_ISREG(st.st_mode))
            return fail_open(out, err, errsize, "%s: is %s; outputs go to regular files, character "
                             "devices, FIFOs or - (standard output)", path, kind_name(st.st_mode));
        exists = 1;
        if (S_ISLNK(lst.st_mode) && S_ISREG(st.st_mode)) {
            if (!(out->dest = realpath(path, NULL)))
                return fail_open(out, err, errsize, "%s: cannot follow the symbolic link: %s", path, strerror(errno));
        }
    }
    if (!out->dest && !(out->dest = dupstr(path))) return fail_open(out, err, errsize, "%s%s", "out of memory", "");

    if (out->through && open_stream) {           /* straight to the stream */
        if (!strcmp(path, "-")) { out->f = stdout; return 0; }
        int fd = open(out->dest, O_WRONLY | O_NOCTTY);
        if (fd < 0) return fail_open(out, err, errsize, "%s: cannot open: %s", path, strerror(errno));
        if (!(out->f = fdopen(fd, "wb"))) {
            close(fd);
            return fail_open(out, err, errsize, "%s: %s", path, strerror(errno));
        }
        return 0;
    }

    /* a temporary: beside the destination, or (written through at commit)
     * in $TMPDIR */
    const char *dest = out->dest, *dir = dest, *base;
    size_t dirlen;
    if (out->through) {
        const char *t = getenv("TMPDIR");
        dir = t && *t == '/' ? t : "/tmp";
        dirlen = strlen(dir);
        base = "nntrace-out";
    } else {
        const char *slash = strrchr(dest, '/');
        dirlen = slash ? (size_t)(slash - dest) + 1 : 0;
        base = dest + dirlen;
    }
    size_t blen = strlen(base);
    if (blen > NAME_MAX - TMP_EXTRA) blen = NAME_MAX - TMP_EXTRA;
    size_t n = dirlen + blen + TMP_EXTRA + 2;
    if (!(out->tmp = malloc(n))) return fail_open(out, err, errsize, "%s%s", "out of memory", "");
    snprintf(out->tmp, n, "%.*s%s.%.*s.tmp-XXXXXX", (int)dirlen, dir,
             out->through && dir[dirlen - 1] != '/' ? "/" : "", (int)blen, base);
    int fd = make_temp(out);
    if (fd < 0) {
        int e = errno;
        free(out->tmp);
        out->tmp = NULL;                    /* no file was made: nothing to unlink */
        snprintf(err, errsize, "%s: cannot write in %s%.*s: %s", path,
                 out->through ? "" : dirlen ? "" : "the current directory",
                 (int)(out->through ? strlen(dir) : dirlen ? dirlen - 1 : 0), out->through ? dir : dest,
                 strerror(e));
        outfile_abort(out);
        return -1;
    }
    if (exists && !out->through) {            /* keep the old file's mode and owner */
        struct stat now;
        if (fstat(fd, &now) == 0 && (now.st_uid != st.st_uid || now.st_gid != st.st_gid))
            (void)fchown(fd, st.st_uid, st.st_gid);     /* allowed only to root: else ours */
        (void)fchmod(fd, st.st_mode & 0777);
    } else if (!out->through) {
        (void)fchmod(fd, new_file_mode());            /* if this fails: mkstemp's 0600 */
    }
    if (!open_stream) {
        if (close(fd) != 0) return fail_open(out, err, errsize, "%s: %s", path, strerror(errno));
        return 0;
    }
    if (!(out->f = fdopen(fd, "wb"))) {
        int e = errno;
        close(fd);
        return fail_open(out, err, errsize, "%s: %s", path, strerror(e));
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Committing
 * ---------------------------------------------------------------------- */

/* Copy the temporary into the device, FIFO or standard output. */
static int copy_through(outfile *out, char *err, size_t errsize)
{
    int in = open(out->tmp, O_RDONLY);
    if (in < 0) { snprintf(err, errsize, "%s: %s", out->target, strerror(errno)); return -1; }
    int to_stdout = !strcmp(out->target, "-");
    int fd = to_stdout ? STDOUT_FILENO : open(out->dest, O_WRONLY | O_NOCTTY);
    int rc = 0;
    if (fd < 0) { snprintf(err, errsize, "%s: cannot open: %s", out->target, strerror(errno)); close(in); return -1; }
    if (to_stdout && fflush(stdout) != 0) rc = -1;
    char buf[65536];
    for (ssize_t got; rc == 0 && (got = read(in, buf, sizeof buf)) != 0;) {
        if (got < 0) { if (errno == EINTR) continue; rc = -1; break; }
        for (ssize_t off = 0; off < got;) {
            ssize_t w = write(fd, buf + off, (size_t)(got - off));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) { rc = -1; break; }
            off += w;
        }
    }
    if (rc) snprintf(err, errsize, "%s: write failed: %s", out->target, strerror(errno));
    close(in);
    if (!to_stdout && close(fd) != 0 && rc == 0) {
        snprintf(err, errsize, "%s: write failed: %s", out->target, strerror(errno));
        rc = -1;
    }
    return rc;
}

int outfile_commit(outfile *out, char *err, size_t errsize)
{
    int rc = 0;
    if (out->f) {
        int e = 0;
        if (fflush(out->f) != 0 || ferror(out->f)) e = errno ? errno : EIO;
        else if (!out->through && fsync(fileno(out->f)) != 0) e = errno;
        if (out->f != stdout && fclose(out->f) != 0 && !e) e = errno;
        out->f = NULL;
        if (e) { snprintf(err, errsize, "%s: write failed: %s", out->target, strerror(e)); rc = -1; }
    } else if (out->tmp && !out->through) {
        int fd = open(out->tmp, O_RDONLY);
        if (fd < 0 || fsync(fd) != 0) {
            snprintf(err, errsize, "%s: cannot sync: %s", out->target, strerror(errno));
            rc = -1;
        }
        if (fd >= 0) close(fd);
    }
    if (rc == 0 && out->tmp && out->through) rc = copy_through(out, err, errsize);
    else if (rc == 0 && out->tmp) {
        if (rename(out->tmp, out->dest) != 0) {
            snprintf(err, errsize, "%s: cannot rename into place: %s", out->target, strerror(errno));
            rc = -1;
        } else {
            reg_drop(out);
            free(out->tmp);
            out->tmp = NULL;
        }
    }
    outfile_abort(out);
    return rc;
}

void outfile_abort(outfile *out)
{
    if (out->f && out->f != stdout) fclose(out->f);
    out->f = NULL;
    if (out->tmp) { unlink(out->tmp); reg_drop(out); free(out->tmp); out->tmp = NULL; }
    free(out->target);
    free(out->dest);
    out->target = out->dest = NULL;
}

int outfile_is_stream(const char *path)
{
    struct stat st;
    return !strcmp(path, "-") || (stat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)));
}

int outfile_not_input(const char *out, const char *in, char *err, size_t errsize)
{
    struct stat so, si;
    if (!strcmp(out, "-") || !strcmp(in, "-") || stat(out, &so) != 0 || stat(in, &si) != 0) return 0;
    if (!S_ISREG(si.st_mode) || so.st_dev != si.st_dev || so.st_ino != si.st_ino) return 0;
    snprintf(err, errsize, "%s: is the input %s; writing it would destroy it (choose another output)", out, in);
    return -1;
}
