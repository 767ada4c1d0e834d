/*
 * test_term.c - terminal manners: colour only on a terminal whose TERM is
 * not "dumb" and with NO_COLOR unset (--color forces it, --no-color stops
 * it), checked byte for byte through a pseudo-terminal; `run` wraps long
 * lines at operator boundaries to the terminal's width (TIOCGWINSZ), else
 * $COLUMNS, else not at all, and never inside a number.
 */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include "step_pty.h"

#include <dirent.h>

/* Run bin with args on a pty with extra env entries; the raw bytes it wrote
 * (caller frees) and its exit status. */
static char *pty_run(const char *const args[], const char *const env[], int *status)
{
    pty_session *p = malloc(sizeof *p);
    assert_non_null(p);
    char *argv[16];
    int n = 0;
    argv[n++] = (char *)"nntrace";
    for (int k = 0; args[k] && n < 15; k++) argv[n++] = (char *)args[k];
    argv[n] = NULL;
    assert_int_equal(pty_start(p, bin(), argv, env), 0);
    *status = pty_finish(p, PTY_WAIT_MS);
    char *raw = malloc(p->rawlen + 1);
    assert_non_null(raw);
    memcpy(raw, p->raw, p->rawlen + 1);
    free(p);
    return raw;
}

static void test_colour_rules(void **state)
{
    (void)state;
    const char *run[] = {"run", "lessons/sauppe-forward.lesson", NULL};
    const char *run_forced[] = {"run", "--color", "lessons/sauppe-forward.lesson", NULL};
    const char *run_off[] = {"run", "--no-color", "lessons/sauppe-forward.lesson", NULL};
    const char *check[] = {"check", "lessons/sauppe-forward.lesson",
                           "tests/grade/sauppe-forward/slip-and-mistake.txt", NULL};
    const char *xterm[] = {"TERM=xterm", NULL};
    const char *dumb[] = {"TERM=dumb", NULL};
    const char *nocolor[] = {"NO_COLOR=1", NULL};
    const char *empty_nc[] = {"NO_COLOR=", NULL};
    struct { const char *const *args, *const *env; int escapes; const char *what; } cases[] = {
        {run, xterm, 1, "run on an xterm"},
        {run, dumb, 0, "run with TERM=dumb"},
        {run, nocolor, 0, "run with NO_COLOR=1"},
        {run, empty_nc, 1, "run with NO_COLOR empty (unset, as no-color.org says)"},
        {run_forced, dumb, 1, "run --color with TERM=dumb"},
        {run_forced, nocolor, 1, "run --color with NO_COLOR"},
        {run_off, xterm, 0, "run --no-color"},
        {check, xterm, 1, "check on an xterm"},
        {check, dumb, 0, "check with TERM=dumb"},
        {check, nocolor, 0, "check with NO_COLOR=1"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        int st;
        char *raw = pty_run(cases[k].args, cases[k].env, &st);
        assert_true(st == 0 || st == 1);
        if (!!strchr(raw, '\033') != cases[k].escapes)
            fail_msg("%s: escape bytes %s expected; got:\n%.300s", cases[k].what,
                     cases[k].escapes ? "were" : "were not", raw);
        free(raw);
    }
}

/* Without blanks and newlines: what wrapping may not change. */
static void squeeze(char *s)
{
    char *d = s;
    for (char *p = s; *p; p++)
        if (*p != ' ' && *p != '\n') *d++ = *p;
    *d = '\0';
}

static int numeric(char c) { return (c >= '0' && c <= '9') || c == '.'; }

/* No line break falls inside a number: a line ending in a digit or '.' is
 * never followed by a line starting (after its indent) with one. */
static void no_split_number(const char *w)
{
    for (const char *p = strchr(w, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
        const char *q = p + 1;
        while (*q == ' ') q++;
        if (p > w && numeric(p[-1]) && numeric(*q))
            fail_msg("a number split across lines near:\n%.80s", p > w + 40 ? p - 40 : w);
    }
}

/* The longest line, in columns, that could have been broken: a line that is
 * one word after its indent (the source's long address) cannot be. */
static size_t longest_line(const char *s)
{
    size_t best = 0;
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, "\n"), lead = strspn(p, " "), c = 0;
        for (size_t k = 0; k < n; k++) c += ((unsigned char)p[k] & 0xC0) != 0x80;
        const char *blank = memchr(p + lead, ' ', n - lead);
        if (c > best && blank) best = c;
        p += n + (p[n] == '\n');
    }
    return best;
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* Wrapping only breaks lines at blanks (so never inside a number), keeps
 * every line within the width, and happens only where it should. */
static void test_wrap(void **state)
{
    (void)state;
    int st;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "NO_COLOR=1 %s run --ascii --width 0 lessons/mazur-2-2-2.lesson", bin());
    char *flat = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    assert_true(longest_line(flat) > 100);
    struct { const char *how; int width; } cases[] = {
        {"--width 60", 60}, {"--width 40", 40}, {"COLUMNS=72 _", 72},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        if (!strncmp(cases[k].how, "COLUMNS", 7))
            snprintf(cmd, sizeof cmd, "NO_COLOR=1 COLUMNS=%d %s run --ascii lessons/mazur-2-2-2.lesson",
                     cases[k].width, bin());
        else
            snprintf(cmd, sizeof cmd, "NO_COLOR=1 %s run --ascii %s lessons/mazur-2-2-2.lesson", bin(), cases[k].how);
        char *w = run_sh(cmd, &st);
        assert_int_equal(st, 0);
        if (longest_line(w) > (size_t)cases[k].width)
            fail_msg("%s: a line of %zu columns:\n%s", cases[k].how, longest_line(w), w);
        assert_true(lines(w) > lines(flat));
        assert_true(strstr(w, "\n         + ") || strstr(w, "\n         = "));   /* under the first '=' */
        no_split_number(w);
        char *a = strdup(flat);
        assert_non_null(a);
        squeeze(a);
        squeeze(w);
        assert_string_equal(w, a);                                        /* only blanks changed */
        free(a);
        free(w);
    }
    /* where it breaks: before a " = " that leaves the line half full, as a
     * lecture sets a long line, and never inside parentheses when a break
     * outside them is there; the title, source and expectation report at
     * their spaces, under their text */
    static const struct { const char *lesson, *want; } WHERE[] = {
        {"sauppe-forward", "\n  in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2\n       = 5*1 + 1*3 + (-2)*4 = 0\n"},
        {"perceptron-xor", "\n  w_0,3^(1) = w_0,3 + alpha*(y_3 - a_3)*a_0\n            = 0 + 1*(0 - 1)*1 = -1\n"},
        {"perceptron-xor", "perceptron-xor: The perceptron rule on XOR never converges:\n"
                           "                it stops at the epoch limit\n"},
        {"bce-3layer", "\n  ok   dz^[3]_1 = a^[3]_1 (trace: 0.4866 and 0.4866, to 4\n"
                       "       decimals; the lesson writes delta_4 = a_4)\n"},
    };
    for (size_t k = 0; k < sizeof WHERE / sizeof WHERE[0]; k++) {
        snprintf(cmd, sizeof cmd, "NO_COLOR=1 %s run --ascii --width 60 lessons/%s.lesson", bin(), WHERE[k].lesson);
        char *w = run_sh(cmd, &st);
        if (!strstr(w, WHERE[k].want)) fail_msg("%s at 60 columns, no\n%s\nin\n%s", WHERE[k].lesson, WHERE[k].want, w);
        free(w);
    }
    /* list: each lesson's title and source in their column, at their spaces */
    snprintf(cmd, sizeof cmd, "COLUMNS=60 %s list", bin());
    char *ls = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    if (longest_line(ls) > 60) fail_msg("list at 60 columns, a line of %zu:\n%s", longest_line(ls), ls);
    assert_non_null(strstr(ls, "\nmazur-2-2-2                      Step-by-step\n"
                               "                                 backpropagation on a 2-2-2\n"
                               "                                 network (net/out, E_total)\n"));
    free(ls);
    snprintf(cmd, sizeof cmd, "env -u COLUMNS %s list", bin());
    ls = run_sh(cmd, &st);
    assert_true(longest_line(ls) > 100);
    free(ls);
    /* no terminal and no COLUMNS, --golden, or a file: never wrapped */
    snprintf(cmd, sizeof cmd, "env -u COLUMNS NO_COLOR=1 %s run --ascii lessons/mazur-2-2-2.lesson", bin());
    char *w = run_sh(cmd, &st);
    assert_string_equal(w, flat);
    free(w);
    snprintf(cmd, sizeof cmd, "COLUMNS=40 %s run --golden lessons/mazur-2-2-2.lesson", bin());
    w = run_sh(cmd, &st);
    assert_string_equal(w, flat);
    free(w);
    snprintf(cmd, sizeof cmd, "COLUMNS=40 NO_COLOR=1 %s run --ascii lessons/mazur-2-2-2.lesson -o /dev/stdout", bin());
    w = run_sh(cmd, &st);
    assert_string_equal(w, flat);
    free(w);
    free(flat);
}

/* Every lesson's run at 40 columns fits, to its last line: the perceptron's
 * "converged: epoch 6 made no mistake, so training stops" too, and a title
 * whose lesson name takes most of the line
 * ("sauppe-multiclass-regression: Regression: ..."). */
static void test_every_lesson_fits(void **state)
{
    (void)state;
    DIR *d = opendir("lessons");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 8 || strcmp(e->d_name + len - 7, ".lesson")) continue;
        char cmd[1024];
        int st;
        snprintf(cmd, sizeof cmd, "NO_COLOR=1 %s run --unicode --width 40 lessons/%s", bin(), e->d_name);
        char *w = run_sh(cmd, &st);
        assert_true(st == 0 || st == 1);
        if (longest_line(w) > 40) fail_msg("%s: a line of %zu columns:\n%s", e->d_name, longest_line(w), w);
        free(w);
        n++;
    }
    closedir(d);
    assert_true(n >= 20);
}

/* On a terminal the width is the terminal's own (TIOCGWINSZ, here 64). */
static void test_wrap_terminal(void **state)
{
    (void)state;
    char shcmd[1024];
    snprintf(shcmd, sizeof shcmd, "stty cols 64 && exec %s run --ascii lessons/mazur-2-2-2.lesson", bin());
    const char *args[] = {"-c", shcmd, NULL};
    pty_session *p = malloc(sizeof *p);
    assert_non_null(p);
    char *argv[] = {(char *)"sh", (char *)args[0], (char *)args[1], NULL};
    const char *env[] = {"NO_COLOR=1", "COLUMNS=300", NULL};   /* the terminal wins over COLUMNS */
    assert_int_equal(pty_start(p, "/bin/sh", argv, env), 0);
    int st = pty_finish(p, PTY_WAIT_MS);
    assert_int_equal(st, 0);
    if (longest_line(p->screen) > 64) fail_msg("a line wider than the terminal:\n%s", p->screen);
    assert_true(strstr(p->screen, "\n         + ") || strstr(p->screen, "\n         = "));
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colour_rules),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_wrap_terminal),
        cmocka_unit_test(test_every_lesson_fits),
    };
    return cmocka_run_group_tests_name("term", tests, NULL, NULL);
}
