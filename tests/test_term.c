/*
 * test_term.c - terminal manners: colour only on a terminal whose TERM is
 * not "dumb" and with NO_COLOR unset (--color forces it, --no-color stops
 * it), checked byte for byte through a pseudo-terminal.
 */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include "step_pty.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colour_rules),
    };
    return cmocka_run_group_tests_name("term", tests, NULL, NULL);
}
