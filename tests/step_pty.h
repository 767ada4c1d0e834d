/*
 * step_pty.h - run $NNTRACE_BIN on a pseudo-terminal and read its screen
 * (for test_step.c and test_quiz.c).
 *
 * posix_openpt + fork + exec (no forkpty, which would need -lutil). The
 * child gets the slave as its controlling terminal on stdin, stdout and
 * stderr. pty_expect reads the master until the output, with ANSI escape
 * sequences and carriage returns taken out, contains a string after the
 * current mark; pty_mark moves the mark to the end, so each expectation is
 * about what the screen got after the last keys.
 *
 * Include after defining _XOPEN_SOURCE 700 (posix_openpt, grantpt).
 */
#ifndef NNTRACE_STEP_PTY_H
#define NNTRACE_STEP_PTY_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PTY_BUF (1 << 17)
#define PTY_WAIT_MS 30000     /* generous: the machine may be busy */

typedef struct {
    int    master;
    pid_t  pid;
    char   raw[PTY_BUF];      /* everything read, as written */
    size_t rawlen;
    char   screen[PTY_BUF];   /* without escape sequences and '\r' */
    size_t len, mark;
    int    status;            /* exit status once reaped, -1 before */
} pty_session;

/* Start bin with args (argv[0] first, NULL-terminated) on a new pty.
 * env: "NAME=value" strings set in the child (NULL-terminated, may be NULL);
 * NO_COLOR is unset unless env sets it. Returns 0, or -1. */
static inline int pty_start_size(pty_session *p, const char *bin, char *const argv[], const char *const env[],
                                 unsigned short rows, unsigned short cols);
static inline int pty_start(pty_session *p, const char *bin, char *const argv[], const char *const env[])
{
    return pty_start_size(p, bin, argv, env, 40, 200);
}

/* The same on a terminal of rows x cols. */
static inline int pty_start_size(pty_session *p, const char *bin, char *const argv[], const char *const env[],
                                 unsigned short rows, unsigned short cols)
{
    memset(p, 0, sizeof *p);
    p->status = -1;
    p->master = posix_openpt(O_RDWR | O_NOCTTY);
    if (p->master < 0 || grantpt(p->master) || unlockpt(p->master)) return -1;
    const char *sn = ptsname(p->master);
    if (!sn) return -1;
    char slave[256];
    snprintf(slave, sizeof slave, "%s", sn);
    struct winsize ws = {rows, cols, 0, 0};
    (void)ioctl(p->master, TIOCSWINSZ, &ws);
    p->pid = fork();
    if (p->pid < 0) return -1;
    if (p->pid == 0) {
        setsid();
        int fd = open(slave, O_RDWR);
        if (fd < 0) _exit(126);
        (void)ioctl(fd, TIOCSCTTY, 0);
        dup2(fd, 0); dup2(fd, 1); dup2(fd, 2);
        if (fd > 2) close(fd);
        close(p->master);
        unsetenv("NO_COLOR");
        setenv("TERM", "xterm", 1);
        setenv("LC_ALL", "C", 1);
        for (int k = 0; env && env[k]; k++) putenv((char *)env[k]);
        execv(bin, argv);
        _exit(127);
    }
    return 0;
}

/* Read what is there (waiting up to ms); returns bytes read, -1 at EOF. */
static inline int pty_pump(pty_session *p, int ms)
{
    struct pollfd pf = {p->master, POLLIN, 0};
    if (poll(&pf, 1, ms) <= 0) return 0;
    char b[4096];
    ssize_t n = read(p->master, b, sizeof b);
    if (n <= 0) return -1;                 /* EIO once the child has gone */
    for (ssize_t k = 0; k < n; k++) {
        if (p->rawlen + 1 < PTY_BUF) p->raw[p->rawlen++] = b[k];
    }
    p->raw[p->rawlen] = '\0';
    /* rebuild the screen text from raw: drop ESC [ ... final and '\r' */
    p->len = 0;
    for (size_t k = 0; k < p->rawlen && p->len + 1 < PTY_BUF; k++) {
        char c = p->raw[k];
        if (c == '\033' && k + 1 < p->rawlen && p->raw[k + 1] == '[') {
            k += 2;
            while (k < p->rawlen && !(p->raw[k] >= '@' && p->raw[k] <= '~')) k++;
            continue;
        }
        if (c == '\r') continue;
        p->screen[p->len++] = c;
    }
    p->screen[p->len] = '\0';
    return (int)n;
}

/* Wait until the screen after the mark contains needle (1), or ms pass (0). */
static inline int pty_expect(pty_session *p, const char *needle, int ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (strstr(p->screen + p->mark, needle)) return 1;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long el = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (el >= ms) return 0;
        if (pty_pump(p, (int)(ms - el)) < 0 && !strstr(p->screen + p->mark, needle)) return 0;
    }
}

static inline void pty_mark(pty_session *p) { p->mark = p->len; }

static inline int pty_send(pty_session *p, const char *keys)
{
    size_t n = strlen(keys);
    return write(p->master, keys, n) == (ssize_t)n ? 0 : -1;
}

/* Wait for the child to end (reading its output); kill it after ms.
 * Returns its exit status, or -1 when it had to be killed. */
static inline int pty_finish(pty_session *p, int ms)
{
    int st = 0;
    struct timespec t0, t, nap = {0, 10 * 1000000L};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            while (pty_pump(p, 10) > 0) {}
            close(p->master);
            p->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
            if (!WIFEXITED(st)) fprintf(stderr, "pty child: signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
            return p->status;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms) break;
        if (pty_pump(p, 10) <= 0) nanosleep(&nap, NULL);   /* EOF polls at once */
    }
    fprintf(stderr, "pty child: still running after %d ms, killed; screen ends:\n%s\n", ms,
            p->len > 400 ? p->screen + p->len - 400 : p->screen);
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &st, 0);
    close(p->master);
    return -1;
}

#endif
