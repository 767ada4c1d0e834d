/*
 * test_hostile.c - what files and environments written by strangers can do.
 *
 * One test per finding of the hostile-input audit: outputs onto devices,
 * FIFOs, symbolic links and standard output; output permissions; long file
 * names; a full disk; signals during a write; an output that is an input;
 * alias cycles; symlinked and CR-only answer sheets; escape sequences in
 * sheet paths; unbounded input lines; a full standard output; non-finite
 * values. Each ran red before its fix. Everything happens in a scratch
 * directory; the real /dev nodes are reached only through symbolic links
 * made there, so a regression can never replace a device of the machine.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "outfile.h"

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    return tmpdir_make(tmpdir, "hostile");
}

static int teardown(void **state)
{
    (void)state;
    return tmpdir_remove(tmpdir);
}

/* Run a shell command line in the scratch directory (NT is the binary);
 * its stdout and stderr together (caller frees) and its exit status. */
static char *sh(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static int sh_status;

static char *sh(const char *fmt, ...)
{
    char cmd[8192], line[12800], outp[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(outp, sizeof outp, "%s.out", tmpdir);
    snprintf(line, sizeof line, "cd %s && NT=%s%s%s; export NT; ( %s ) >%s 2>&1", tmpdir,
             bin()[0] == '/' ? "" : cwd, bin()[0] == '/' ? "" : "/", bin(), cmd, outp);
    int st = system(line);
    sh_status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    char *out = slurp(outp, NULL);
    unlink(outp);
    assert_non_null(out);
    return out;
}

#define EXPECT_STATUS(out, want) do { \
        if (sh_status != (want)) fail_msg("exit %d, expected %d; output:\n%s", sh_status, (want), (out)); \
    } while (0)
#define EXPECT_IN(out, needle) do { \
        if (!strstr((out), (needle))) fail_msg("expected '%s' in:\n%s", (needle), (out)); \
    } while (0)

/* Absolute path of a lesson of the repository. */
static const char *lesson(const char *name)
{
    static char p[4400];
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(p, sizeof p, "%s/lessons/%s", cwd, name);
    return p;
}

/* No hidden temporary (".NAME.tmp-XXXXXX") left in the scratch directory. */
static void no_temporaries(void)
{
    char *out = sh("ls -a | grep '\\.tmp-' || true");
    if (*out) fail_msg("temporaries left behind:\n%s", out);
    free(out);
}

/* ------------------------------------------------------------------------
 * Outputs: devices, FIFOs, links, standard output, modes, names
 * ---------------------------------------------------------------------- */

/* -o onto a character device (through a link to /dev/null) writes through:
 * the link and the device stay; onto /dev/full it fails naming the path. */
static void test_output_onto_devices(void **state)
{
    (void)state;
    const char *L = lesson("sauppe-forward.lesson");
    char *out = sh("ln -sf /dev/null nul && $NT run %s -o nul && test -L nul && test -c nul && echo kept", L);
    EXPECT_STATUS(out, 0);
    EXPECT_IN(out, "kept");
    free(out);
    out = sh("$NT xlsx %s -o nul && test -L nul && test -c nul && echo kept", L);
    EXPECT_STATUS(out, 0);
    EXPECT_IN(out, "kept");
    free(out);
    out = sh("ln -sf /dev/full full; $NT run %s -o full", L);
    EXPECT_STATUS(out, 2);
    EXPECT_IN(out, "full: write failed: No space left on device");
    free(out);
    out = sh("$NT check %s /dev/null --csv full --quiet", L);
    EXPECT_STATUS(out, 2);
    EXPECT_IN(out, "full: write failed");
    free(out);
    out = sh("test -L full && test -c full && echo kept");
    EXPECT_IN(out, "kept");
    free(out);
    no_temporaries();
}

/* A FIFO is written through (a reader gets the trace), never replaced. */
static void test_output_onto_fifo(void **state)
{
    (void)state;
    char *out = sh("rm -f ff got && mkfifo ff && { timeout 20 cat ff > got & } && $NT run %s -o ff && "
                   "wait; test -p ff && echo still-fifo; grep -q 'in_3 =' got && echo reader-got-it",
                   lesson("sauppe-forward.lesson"));
    EXPECT_STATUS(out, 0);
    EXPECT_IN(out, "still-fifo");
    EXPECT_IN(out, "reader-got-it");
    free(out);
}

/* "-" is standard output, for every writer; no file named "-" appears. */
static void test_output_dash_is_stdout(void **state)
{
    (void)state;
    const char *L = lesson("sauppe-forward.lesson");
    char *out = sh("$NT run %s -o - | head -1; $NT template %s -o - | grep -c ' = $'; "
                   "$NT xlsx %s -o - | head -c 2; echo; test -e ./- && echo DASH-FILE || echo no-dash-file",
                   L, L, L);
    EXPECT_IN(out, "sauppe-forward: Forward propagation");
    EXPECT_IN(out, "PK");
    EXPECT_IN(out, "no-dash-file");
    free(out);
}

/* A link to a regular file: the file is replaced, the link kept. A dangling
 * link, a directory or a socket: refused, exit 2. */
static void test_output_links_and_refusals(void **state)
{
    (void)state;
    const char *L = lesson("sauppe-forward.lesson");
    char *out = sh("echo old > real.txt && ln -sf real.txt link.txt && $NT run %s -o link.txt && "
                   "test -L link.txt && grep -c in_3 real.txt", L);
    EXPECT_STATUS(out, 0);
    free(out);
    out = sh("ln -sf nowhere dangling; $NT run %s -o dangling; test -L dangling && echo link-kept", L);
    EXPECT_IN(out, "a symbolic link to a missing file");
    EXPECT_IN(out, "link-kept");
    free(out);
    out = sh("python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.bind('sock')\"; "
             "$NT run %s -o sock; echo rc=$?; test -S sock && echo socket-kept", L);
    EXPECT_IN(out, "is a socket");
    EXPECT_IN(out, "rc=2");
    EXPECT_IN(out, "socket-kept");
    free(out);
    no_temporaries();
}

/* New files follow the umask; an existing file keeps its mode. */
static void test_output_modes(void **state)
{
    (void)state;
    const char *L = lesson("sauppe-forward.lesson");
    char *out = sh("rm -f m1 m2 m3.xlsx; umask 077; $NT run %s -o m1; $NT xlsx %s -o m3.xlsx 2>/dev/null; "
                   "umask 022; $NT run %s -o m2; stat -c '%%n %%a' m1 m2 m3.xlsx", L, L, L);
    EXPECT_IN(out, "m1 600");
    EXPECT_IN(out, "m2 644");
    EXPECT_IN(out, "m3.xlsx 600");
    free(out);
    out = sh("chmod 640 m2; umask 022; $NT run %s -o m2; $NT check %s /dev/null --quiet --csv m2; "
             "stat -c '%%n %%a' m2", L, L);
    EXPECT_IN(out, "m2 640");
    free(out);
}

/* A 250-byte file name is valid: accepted (its temporary is shortened). */
static void test_output_long_names(void **state)
{
    (void)state;
    char name[256];
    memset(name, 'n', 250);
    memcpy(name + 250, ".txt", 5);         /* 254 bytes */
    char *out = sh("$NT run %s -o %s && test -s %s && echo ok", lesson("sauppe-forward.lesson"), name, name);
    EXPECT_STATUS(out, 0);
    EXPECT_IN(out, "ok");
    free(out);
    name[250] = '\0';
    memcpy(name + 250, ".xlsx", 6);        /* 255 bytes */
    out = sh("$NT xlsx %s -o %s && test -s %s && echo ok; rm -f nnnnn*", lesson("sauppe-forward.lesson"), name, name);
    EXPECT_STATUS(out, 0);
    EXPECT_IN(out, "ok");
    free(out);
    no_temporaries();
}

/* A write that fails part way (here: the file size limit, as a full disk
 * would) names the path and keeps the old file. */
static void test_output_full_disk(void **state)
{
    (void)state;
    char *out = sh("echo precious > big.txt; trap '' XFSZ; ulimit -f 2; $NT run %s --all-steps -o big.txt; "
                   "echo rc=$?; cat big.txt", lesson("mazur-2-2-2-10000.lesson"));
    EXPECT_IN(out, "big.txt: write failed");
    EXPECT_IN(out, "rc=2");
    EXPECT_IN(out, "precious");
    free(out);
    no_temporaries();
}

/* ------------------------------------------------------------------------
 * Signals remove temporaries
 * ---------------------------------------------------------------------- */

/* A child opens an output and is killed by sig before committing: it dies
 * of sig and its temporary is gone. With the signal ignored beforehand it
 * stays ignored (nohup), and the output completes. */
static void signal_case(int sig, int ignored)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/sig-%d.txt", tmpdir, sig);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (ignored) signal(sig, SIG_IGN);
        outfile of, of2;
        if (outfile_open(&of, path, 1, err, sizeof err)) _exit(10);
        if (outfile_open(&of2, "-", 1, err, sizeof err)) _exit(10);   /* no temporary */
        fputs("partial\n", of.f);
        fflush(of.f);
        kill(getpid(), sig);
        if (outfile_commit(&of, err, sizeof err)) _exit(11);
        _exit(12);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (ignored) {
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 12) fail_msg("ignored signal %d: status %#x", sig, st);
        assert_int_equal(access(path, F_OK), 0);
        unlink(path);
    } else {
        if (!WIFSIGNALED(st) || WTERMSIG(st) != sig) fail_msg("signal %d: status %#x", sig, st);
        assert_int_equal(access(path, F_OK), -1);
    }
    no_temporaries();
}

static void test_signals_remove_temporaries(void **state)
{
    (void)state;
    signal_case(SIGINT, 0);
    signal_case(SIGTERM, 0);
    signal_case(SIGHUP, 0);
    signal_case(SIGHUP, 1);
}

/* ------------------------------------------------------------------------
 * An output that is an input
 * ---------------------------------------------------------------------- */

static void test_output_is_input(void **state)
{
    (void)state;
    const char *L = lesson("sauppe-sgd-step.lesson");
    char *out = sh("cp %s x.lesson && ln -f x.lesson hard.lesson && $NT template x.lesson -o sheet.txt", L);
    EXPECT_STATUS(out, 0);
    free(out);
    const char *cmds[] = {
        "$NT run x.lesson -o x.lesson",
        "$NT run x.lesson -o hard.lesson",
        "$NT xlsx x.lesson -o x.lesson",
        "$NT dot x.lesson -o x.lesson",
        "$NT template x.lesson -o x.lesson",
        "$NT check x.lesson sheet.txt --quiet --gradescope sheet.txt",
        "$NT check x.lesson sheet.txt --quiet --csv x.lesson",
        "$NT quiz x.lesson --transcript x.lesson < /dev/null",
    };
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        out = sh("%s; echo rc=$?; cmp -s x.lesson %s && cmp -s sheet.txt.bak sheet.txt 2>/dev/null; "
                 "cmp -s x.lesson %s && echo lesson-intact", cmds[k], L, L);
        if (!strstr(out, "rc=2") || !strstr(out, "lesson-intact") || !strstr(out, "writing it would destroy it"))
            fail_msg("%s:\n%s", cmds[k], out);
        free(out);
        out = sh("grep -c ' = ' sheet.txt");
        if (atoi(out) < 5) fail_msg("%s destroyed the sheet:\n%s", cmds[k], out);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_onto_devices),
        cmocka_unit_test(test_output_onto_fifo),
        cmocka_unit_test(test_output_dash_is_stdout),
        cmocka_unit_test(test_output_links_and_refusals),
        cmocka_unit_test(test_output_modes),
        cmocka_unit_test(test_output_long_names),
        cmocka_unit_test(test_output_full_disk),
        cmocka_unit_test(test_signals_remove_temporaries),
        cmocka_unit_test(test_output_is_input),
    };
    return cmocka_run_group_tests_name("hostile", tests, setup, teardown);
}
