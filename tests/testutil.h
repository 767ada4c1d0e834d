/*
 * testutil.h - what every nntrace test binary shares.
 *
 * cmocka 1.1.5's assert_float_equal works in single precision, so doubles
 * are compared with assert_close, which fails with %.17g values and the
 * difference (STYLE.md rule 13).
 */
#ifndef NNTRACE_TESTUTIL_H
#define NNTRACE_TESTUTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* cmocka's fail_msg with a location of our choosing. */
static inline void _fail_msg_at(const char *file, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_error("%s:%d: %s\n", file, line, msg);
    _fail(file, line);
}

/* |actual - expected| <= atol + rtol * |expected|, NaN never close. */
#define assert_close(actual, expected, atol, rtol) \
    assert_close_at((actual), (expected), (atol), (rtol), #actual, __FILE__, __LINE__)

static inline void assert_close_at(double a, double e, double atol, double rtol,
                                   const char *what, const char *file, int line)
{
    double diff = fabs(a - e);
    if (!(diff <= atol + rtol * fabs(e)))
        _fail_msg_at(file, line, "%s = %.17g, expected %.17g (diff %.3g, atol %.3g, rtol %.3g)",
                     what, a, e, diff, atol, rtol);
}

/* The whole text of a file (NUL-terminated, caller frees), or NULL. */
static inline char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    for (size_t got; s && (got = fread(s + n, 1, cap - n - 1, f)) > 0;) {
        n += got;
        if (n + 1 == cap) {
            char *t = realloc(s, cap *= 2);
            if (!t) { free(s); s = NULL; }
            else s = t;
        }
    }
    fclose(f);
    if (s) s[n] = '\0';
    if (len) *len = n;
    return s;
}

/* The nntrace binary under test: $NNTRACE_BIN (make check sets it), else
 * build/nntrace. */
static inline const char *bin(void)
{
    const char *b = getenv("NNTRACE_BIN");
    return b && *b ? b : "build/nntrace";
}

/* Run `nntrace ARGS < input` (stdout and stderr together); its output
 * (caller frees) and exit status. */
static inline char *run_piped(const char *input, const char *args, int *status)
{
    char in[] = "/tmp/nntrace-test-XXXXXX";
    int fd = mkstemp(in);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, input, strlen(input)), (ssize_t)strlen(input));
    close(fd);
    char cmdline[1024], outp[64];
    snprintf(outp, sizeof outp, "%s.out", in);
    /* a hang is a failure (status 124), not a stuck suite */
    snprintf(cmdline, sizeof cmdline, "timeout 60 %s %s < %s > %s 2>&1", bin(), args, in, outp);
    int st = system(cmdline);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    char *out = slurp(outp, NULL);
    unlink(in);
    unlink(outp);
    assert_non_null(out);
    return out;
}

/* Run a shell command line (sh -c) with stdout and stderr together; its
 * output (caller frees) and exit status (-1 when killed by a signal). */
static inline char *run_sh(const char *cmdline, int *status)
{
    char outp[] = "/tmp/nntrace-sh-XXXXXX";
    int fd = mkstemp(outp);
    assert_true(fd >= 0);
    close(fd);
    size_t n = strlen(cmdline) + strlen(outp) + 32;
    char *full = malloc(n);
    assert_non_null(full);
    snprintf(full, n, "( %s ) > %s 2>&1", cmdline, outp);
    int st = system(full);
    free(full);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    char *out = slurp(outp, NULL);
    unlink(outp);
    assert_non_null(out);
    return out;
}

/* The absolute path of the binary under test (for runs in other
 * directories), into buf (room for 4096 bytes). */
static inline const char *bin_abs(char *buf)
{
    char cwd[2048];
    if (bin()[0] == '/' || !getcwd(cwd, sizeof cwd)) snprintf(buf, 4096, "%s", bin());
    else snprintf(buf, 4096, "%s/%s", cwd, bin());
    return buf;
}

/* A scratch directory for a test group: "/tmp/nntrace-TAG-XXXXXX" made in
 * dir (room for 64 bytes) / removed with everything in it. Both return 0,
 * or -1, as cmocka's group fixtures do. */
static inline int tmpdir_make(char *dir, const char *tag)
{
    snprintf(dir, 64, "/tmp/nntrace-%s-XXXXXX", tag);
    return mkdtemp(dir) ? 0 : -1;
}

static inline int tmpdir_remove(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
