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
#include "fast/fast_model.h"
#include "fast/fast_net.h"

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

/* Absolute path of a lesson of the repository (valid until the 8th call
 * after this one). */
static const char *lesson(const char *name)
{
    static char p[8][4400];
    static int next;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    next = (next + 1) % 8;
    snprintf(p[next], sizeof p[next], "%s/lessons/%s", cwd, name);
    return p[next];
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
        signal(sig, ignored ? SIG_IGN : SIG_DFL);   /* whatever the test runner had */
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

/* ------------------------------------------------------------------------
 * Lessons: alias cycles and chains
 * ---------------------------------------------------------------------- */

/* Write the mazur-2-2-2 lesson plus extra lines to name in the scratch dir. */
static void lesson_plus(const char *name, const char *extra)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    char *base = slurp(lesson("mazur-2-2-2.lesson"), NULL);
    assert_non_null(base);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(base, f) >= 0 && fputs(extra, f) >= 0);
    assert_int_equal(fclose(f), 0);
    free(base);
}

static int count_lines(const char *path)
{
    char *s = slurp(path, NULL);
    int n = 0;
    for (char *c = s; c && *c; c++) n += *c == '\n';
    free(s);
    return n;
}

/* A cycle of aliases is an error at the line of the alias that closes it,
 * for every command; it once hung them all (or overflowed the stack). */
static void test_alias_cycles(void **state)
{
    (void)state;
    char path[256], want[128];
    lesson_plus("cycle.lesson", "alias p q\nalias q p\n");
    snprintf(path, sizeof path, "%s/cycle.lesson", tmpdir);
    int last = count_lines(path);
    snprintf(want, sizeof want, "cycle.lesson:%d: alias 'q' closes a cycle of aliases (p -> q -> p)", last);
    const char *cmds[] = {"run", "template", "xlsx -o c.xlsx", "dot", "check cycle.lesson /dev/null --quiet",
                          "gradcheck", "quiz"};
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        char *out = sh("timeout 20 $NT %s cycle.lesson < /dev/null; echo rc=$?",
                       !strncmp(cmds[k], "check", 5) ? "check" : cmds[k]);
        if (!strncmp(cmds[k], "check", 5)) { free(out); out = sh("timeout 20 $NT %s; echo rc=$?", cmds[k]); }
        if (!strstr(out, want) || !strstr(out, "rc=2")) fail_msg("%s: expected '%s' and rc=2:\n%s", cmds[k], want, out);
        free(out);
    }
    /* a longer cycle closed on its first line; an alias of itself */
    lesson_plus("cycle3.lesson", "alias c a\nalias a b\nalias b c\n");
    snprintf(path, sizeof path, "%s/cycle3.lesson", tmpdir);
    last = count_lines(path);
    snprintf(want, sizeof want, "cycle3.lesson:%d: alias 'b' closes a cycle of aliases", last);
    char *out = sh("timeout 20 $NT run cycle3.lesson; echo rc=$?");
    EXPECT_IN(out, want);
    EXPECT_IN(out, "rc=2");
    free(out);
    lesson_plus("self.lesson", "alias zz zz\n");
    out = sh("timeout 20 $NT run self.lesson; echo rc=$?");
    EXPECT_IN(out, "alias 'zz' closes a cycle of aliases (zz -> zz)");
    EXPECT_IN(out, "rc=2");
    free(out);
}

/* A chain of aliases is resolved in linear time: 40,000 aliases (800 KB,
 * each naming the next, the last a weight) load at once (they once took
 * hours), and a weight given through the chain's head reaches its arc. */
static void test_alias_chain_is_linear(void **state)
{
    (void)state;
    enum { N = 40000 };
    size_t cap = (size_t)N * 32 + 256, len = 0;
    char *extra = malloc(cap);
    assert_non_null(extra);
    for (int k = 0; k < N; k++) len += (size_t)snprintf(extra + len, cap - len, "alias c%d c%d\n", k, k + 1);
    snprintf(extra + len, cap - len, "alias c%d w_0,h1\n", N);
    lesson_plus("chain.lesson", extra);
    free(extra);
    char *out = sh("timeout 20 $NT run chain.lesson --passes given | grep -c 'w_0,h1\\|c0 = 0.35\\|= 0.35'; echo rc=$?");
    if (!strstr(out, "rc=0") || atoi(out) < 1) fail_msg("chain of %d aliases:\n%s", N, out);
    free(out);
    /* a weight line through an alias declared later, two links away */
    lesson_plus("fwd.lesson", "alias head mid\nalias mid w_0,h1\n");
    out = sh("sed -i 's/^weight  b1 = 0.35/weight head = 0.35/' fwd.lesson && grep -c '^weight head' fwd.lesson && "
             "$NT run fwd.lesson > /dev/null; echo rc=$?");
    EXPECT_IN(out, "1\n");
    EXPECT_IN(out, "rc=0");
    free(out);
}

/* ------------------------------------------------------------------------
 * Answer sheets: links, devices, CR line ends, what is echoed, paths
 * ---------------------------------------------------------------------- */

/* A sheet that is a symbolic link is not read (it could name any file of
 * the grader's); a link to /proc/kmsg or a FIFO does not block; what a
 * foreign file's lines are echoed as is a short excerpt at most. */
static void test_sheet_links_and_echo(void **state)
{
    (void)state;
    const char *L = lesson("sauppe-forward.lesson");
    char *out = sh("ln -sf %s key.txt && timeout 20 $NT check %s key.txt --gradescope results.json; echo rc=$?; "
                   "cat results.json", lesson("sauppe-sgd-step.lesson"), L);
    EXPECT_IN(out, "a symbolic link; an answer sheet must be a regular file");
    if (strstr(out, "expect")) fail_msg("the lesson's lines reached the report:\n%s", out);
    free(out);
    out = sh("ln -sf /proc/kmsg kmsg.txt; rm -f fifo.txt; mkfifo fifo.txt; "
             "timeout 20 $NT check %s kmsg.txt fifo.txt --json; echo rc=$?", L);
    EXPECT_IN(out, "rc=2");              /* refused as unreadable (0 marks), not hung (124) */
    EXPECT_IN(out, "not a regular file");
    free(out);
    /* a copy of the answer key (or of any file) is graded, but its lines
     * are repeated only as excerpts: no value of an expect line leaks */
    out = sh("cp %s copy.txt && $NT check %s copy.txt --quiet --gradescope r2.json; cat r2.json",
             lesson("sauppe-sgd-step.lesson"), L);
    if (strstr(out, "0.5474") || strstr(out, "0.4526") || strstr(out, "One SGD step"))
        fail_msg("the copied file's contents reached the report:\n%s", out);
    EXPECT_IN(out, "'expect  in_3...': no quantity");
    free(out);
}

/* Old Mac editors end lines in CR alone: the sheet (and a lesson) reads
 * the same as with LF. */
static void test_cr_line_ends(void **state)
{
    (void)state;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char *out = sh("tr '\\n' '\\r' < %s/tests/grade/sauppe-forward/correct.txt > cr.txt && "
                   "$NT check %s cr.txt; echo rc=$?", cwd, lesson("sauppe-forward.lesson"));
    EXPECT_IN(out, "every answer is correct");
    EXPECT_IN(out, "rc=0");
    free(out);
    out = sh("tr '\\n' '\\r' < %s > cr.lesson && $NT run cr.lesson | tail -1; echo rc=$?",
             lesson("sauppe-sgd-step.lesson"));
    EXPECT_IN(out, "expectations hold");
    EXPECT_IN(out, "rc=0");
    free(out);
}

/* A sheet's file name with escape sequences reaches neither the terminal
 * nor the CSV raw. */
static void test_sheet_path_escapes(void **state)
{
    (void)state;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char *out = sh("f=\"$(printf 'e\\033]0;pwn\\007\\033[2Jx\\302\\233.txt')\"; "
                   "cp %s/tests/grade/sauppe-forward/correct.txt \"$f\" && "
                   "$NT check %s \"$f\" missing-$f --csv class.csv; cat class.csv",
                   cwd, lesson("sauppe-forward.lesson"));
    if (strchr(out, '\033') || strchr(out, '\007') || strstr(out, "\302\233"))
        fail_msg("control bytes reached the output:\n%s", out);
    EXPECT_IN(out, "e<U+001B>]0;pwn<U+0007><U+001B>[2Jx<U+009B>.txt");   /* shown by esc_visible */
    free(out);
}

/* ------------------------------------------------------------------------
 * Interactive input, standard output
 * ---------------------------------------------------------------------- */

/* A line of 100 MB costs step and quiz a few megabytes, not its size (it
 * once cost 2.9 GB in quiz for 1 GB); ten million blanks between keys do
 * not exhaust step's stack. */
static void test_unbounded_input_lines(void **state)
{
    (void)state;
    const char *L = lesson("sauppe-forward.lesson");
    char *out = sh("head -c 100000000 /dev/zero | tr '\\0' x > long.txt; "
                   "/usr/bin/time -f 'maxrss %%M' $NT quiz %s < long.txt > /dev/null 2> rss.txt; echo rc=$?; "
                   "tail -1 rss.txt; rm -f long.txt", L);
    EXPECT_IN(out, "rc=1");                /* the quiz was stopped, not crashed */
    const char *m = strstr(out, "maxrss ");
    assert_non_null(m);
    if (atol(m + 7) > 64 * 1024) fail_msg("quiz kept a 100 MB line: %s", out);
    free(out);
    out = sh("python3 -c \"import sys; sys.stdout.write('n' + ' ' * 10000000 + 'n\\\\n' + ' ' * 10000000 + '\\\\n')\" | "
             "$NT step %s > step.txt; echo rc=$?; grep -c 'in_3' step.txt", L);
    EXPECT_IN(out, "rc=0");
    free(out);
}

/* Every command exits 2 when standard output cannot take its output. */
static void test_stdout_full(void **state)
{
    (void)state;
    const char *L = lesson("sauppe-forward.lesson");
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char *out = sh("export NNTRACE_PATH=%s/lessons; "       /* list finds lessons whatever the build */
                   "for c in '--help' '--version' 'run --help' 'list' 'gradcheck %s' 'run %s' 'template %s' "
                   "'dot %s'; do $NT $c > /dev/full 2>/dev/null; echo \"$c rc=$?\"; done", cwd, L, L, L, L);
    for (const char *c = out; (c = strstr(c, "rc=")); c += 3)
        if (c[3] != '2') fail_msg("not every command failed on a full stdout:\n%s", out);
    free(out);
}

/* ------------------------------------------------------------------------
 * The fast path: models, outputs
 * ---------------------------------------------------------------------- */

/* A model whose CRC is right but whose weights hold a NaN or an infinity
 * (a diverged run saved, or a file edited) is refused on loading. */
static void test_model_with_nan(void **state)
{
    (void)state;
    const int sizes[] = {4, 3, 2};
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/nan.model", tmpdir);
    const float bad[] = {NAN, INFINITY, -INFINITY};
    for (int k = 0; k < 3; k++) {
        fast_net *net = fast_net_new(sizes, 3, FAST_ACT_LOGISTIC, FAST_LOSS_SSE, 1, 0);
        assert_non_null(net);
        if (k < 2) *fast_w(net, 2, 1, 2) = bad[k];
        else net->b[1][0] = bad[k];
        assert_int_equal(fast_model_save(net, path, err, sizeof err), FAST_OK);
        fast_net_free(net);
        fast_net *back = NULL;
        fast_status st = fast_model_load(&back, path, 1, 0, err, sizeof err);
        fast_net_free(back);
        if (st != FAST_ERR_FORMAT || !strstr(err, "not a finite number"))
            fail_msg("a model with %g loaded (status %d): %s", (double)bad[k], st, err);
    }
}

/* mnist's outputs may not be its data files or the model it loads. */
static void test_mnist_output_is_input(void **state)
{
    (void)state;
    char *out = sh("mkdir -p d && python3 -c \"\nimport struct\nn=20\n"
                   "for p in ('train','t10k'):\n"
                   "  open('d/%%s-images-idx3-ubyte'%%p,'wb').write(struct.pack('>IIII',0x803,n,2,2)+bytes((i*7)%%256 for i in range(n*4)))\n"
                   "  open('d/%%s-labels-idx1-ubyte'%%p,'wb').write(struct.pack('>II',0x801,n)+bytes(i%%10 for i in range(n)))\n\" && "
                   "cp d/train-labels-idx1-ubyte labels.bak && "
                   "$NT mnist --data d --layers 4-10 --epochs 1 --batch 4 --save d/train-labels-idx1-ubyte; echo rc=$?; "
                   "cmp d/train-labels-idx1-ubyte labels.bak && echo labels-intact; "
                   "$NT mnist --data d --layers 4-10 --epochs 1 --batch 4 --save m.bin > /dev/null && "
                   "$NT mnist --data d --load m.bin --xlsx m.bin; echo rc=$?; "
                   "$NT mnist --data d --load m.bin --epochs 1 --save m.bin > /dev/null; echo update-rc=$?");
    EXPECT_IN(out, "is the input d/train-labels-idx1-ubyte; writing it would destroy it");
    EXPECT_IN(out, "labels-intact");
    EXPECT_IN(out, "m.bin: is the input m.bin");
    EXPECT_IN(out, "update-rc=0");           /* --load M --save M updates M, on purpose */
    free(out);
}

/* ------------------------------------------------------------------------
 * Overflow
 * ---------------------------------------------------------------------- */

/* A lesson whose numbers overflow: the trace says so (exit 1, not 0); JSON
 * holds no inf or nan as a number; a workbook has no INF/NAN number cell
 * (no spreadsheet reads one), only the text inf or nan. */
static void test_nonfinite_values(void **state)
{
    (void)state;
    char *out = sh("grep -v '^expect\\|^final\\|^example\\|^weight  w_1,3\\|^steps' %s | "
                   "sed 's/^layer .*/layer identity 3/' > over.lesson && "
                   "printf 'weight w_1,3 = 1e308\\nexample 3 4 -> 1\\nsteps 3\\n' >> over.lesson && "
                   "$NT run over.lesson > over.txt; echo rc=$?; tail -1 over.txt",
                   lesson("sauppe-sgd-step.lesson"));
    EXPECT_IN(out, "rc=1");
    EXPECT_IN(out, "not a finite number (the first: in_3 = inf)");
    free(out);
    out = sh("$NT run over.lesson --format json > over.json; echo rc=$?; python3 -c \"\nimport json\n"
             "def bad(c): raise ValueError(c)\njson.load(open('over.json'), parse_constant=bad)\nprint('strict-json')\"");
    EXPECT_IN(out, "rc=1");
    EXPECT_IN(out, "strict-json");
    free(out);
    /* every cell of this run is a formula (the Summary's J too: its steps
     * are live): a formula over an overflowed value has no cached number */
    out = sh("$NT xlsx over.lesson -o over.xlsx; echo rc=$?; unzip -p over.xlsx 'xl/worksheets/*.xml' | "
             "grep -o '<c [^>]*>\\(<f>[^<]*</f>\\)\\?<v>[^<]*</v>' | grep -c '<v>[-]*\\(INF\\|NAN\\|inf\\|nan\\)'");
    EXPECT_IN(out, "rc=1");
    EXPECT_IN(out, "\n0\n");
    free(out);
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
        cmocka_unit_test(test_alias_cycles),
        cmocka_unit_test(test_alias_chain_is_linear),
        cmocka_unit_test(test_sheet_links_and_echo),
        cmocka_unit_test(test_cr_line_ends),
        cmocka_unit_test(test_sheet_path_escapes),
        cmocka_unit_test(test_unbounded_input_lines),
        cmocka_unit_test(test_stdout_full),
        cmocka_unit_test(test_model_with_nan),
        cmocka_unit_test(test_nonfinite_values),
        cmocka_unit_test(test_mnist_output_is_input),
    };
    return cmocka_run_group_tests_name("hostile", tests, setup, teardown);
}
