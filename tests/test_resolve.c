/*
 * test_resolve.c - a lesson's own names (`expect`, `ask`) are checked once,
 * where the engine builds the trace: a misspelt one stops every command
 * that runs the lesson with file:line, the names module's "did you mean"
 * (the nearest neuron: a_6 -> a_5, not the bias a_0) and exit status 2,
 * on stderr; it is never a failed expectation (exit 1) or a dropped blank.
 */
#include "testutil.h"

#include "engine.h"
#include "lesson.h"
#include "resolve.h"

static char dir[64];

static int setup(void **state) { (void)state; return tmpdir_make(dir, "resolve"); }
static int teardown(void **state) { (void)state; return tmpdir_remove(dir); }

/* Lecture 001's 07-2c forward pass (lessons/sauppe-forward.lesson) with
 * `extra` as its line 18. */
static void write_lesson(const char *path, const char *extra)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "title forward pass\ninput 1 2\nlayer logistic 3 4\nlayer logistic 5\n"
               "weight w_0,3 = 5\nweight w_1,3 = 1\nweight w_2,3 = -2\nweight w_0,4 = 3\n"
               "weight w_1,4 = -4\nweight w_2,4 = 2\nweight w_0,5 = -1\nweight w_3,5 = 4\n"
               "weight w_4,5 = 2\nloss sse\nexample 3 4 -> 1\ndigits 2\nround 2\n%s\n", extra);
    assert_int_equal(fclose(f), 0);
}

/* Every command that runs the lesson at path says want on stderr and
 * exits 2, with nothing on stdout. */
static void every_command(const char *path, const char *want)
{
    const char *cmds[] = {"run %s", "run %s --exact", "xlsx %s --exercise -o %s.x.xlsx", "xlsx %s -o %s.xlsx",
                          "tex %s", "dot %s", "template %s", "quiz %s", "step %s"};
    for (size_t k = 0; k < sizeof cmds / sizeof *cmds; k++) {
        char args[1024], cmd[2 * 4096 + 2 * 1024 + 128];
        snprintf(args, sizeof args, cmds[k], path, path);
        char nt[4096];
        snprintf(cmd, sizeof cmd, "%s %s 2>/dev/null </dev/null | wc -c; %s %s 2>&1 >/dev/null </dev/null; echo rc=$?",
                 bin_abs(nt), args, nt, args);
        int rc;
        char *out = run_sh(cmd, &rc);
        if (atoi(out) != 0 || !strstr(out, want) || !strstr(out, "rc=2"))
            fail_msg("nntrace %s: wanted \"%s\" on stderr only, exit 2; got\n%s", args, want, out);
        free(out);
    }
}

/* Each case: the lesson's extra lines, its bad line and the message. */
static const struct { const char *extra; int line; const char *why; } cases[] = {
    {"expect a_5 = 0.82\nexpect a_6 = 0.82", 19, "'a_6' names no quantity of this lesson; did you mean a_5"},
    /* a lesson in the layer notation written with the va names: the
     * nearest neuron, not the bias a_0 that both notations name so */
    {"notation layer\nexpect a_6 = 0.82", 19, "'a_6' names no quantity of this lesson; did you mean a_5 (a"},
    {"expect in_3 = in_33", 18, "'in_33' names no quantity of this lesson; did you mean in_3"},   /* a fact A = B */
    {"ask a_5\nask in5 a_5", 19, "'in5' names no quantity of this lesson; did you mean in_5"},
    {"ask a_5\n\nask zz_*", 20, ""},                 /* a pattern that matches nothing, at its line */
    /* a points line's name or pattern is checked as an ask pattern is */
    {"points a_5 = 2\npoints a_6 = 2", 19, "'a_6' names no quantity of this lesson; did you mean a_5"},
    {"points zz_* = 2", 18, "'zz_*' matches no computed quantity"},
};

static void test_misspelt(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char path[128], want[512];
        snprintf(path, sizeof path, "%s/e%zu.lesson", dir, k);
        write_lesson(path, cases[k].extra);
        snprintf(want, sizeof want, "%s:%d: %s", path, cases[k].line, cases[k].why);
        every_command(path, want);
    }
}

/* The lessons as shipped: every name resolves, so every run succeeds. */
static void test_lessons_resolve(void **state)
{
    (void)state;
    char err[512];
    lesson *l = lesson_load("lessons/mazur-2-2-2.lesson", err, sizeof err);
    assert_non_null(l);
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    engine_result r;
    assert_int_equal(engine_run(l, &eo, &r, err, sizeof err), ENG_OK);
    assert_int_equal(lesson_names_check(l, r.tr, err, sizeof err), 0);
    engine_result_free(&r);
    lesson_free(l);
}

/* An ask pattern's line is the line it is on, also after a LaTeX name
 * whose blanks inside braces made one pattern of three words. */
static void test_ask_line_after_latex_name(void **state)
{
    (void)state;
    char *src = slurp("lessons/mazur-2-2-2.lesson", NULL);
    assert_non_null(src);
    int lines = 0;
    for (const char *c = src; *c; c++) lines += *c == '\n';
    char path[128], want[512];
    snprintf(path, sizeof path, "%s/latex-ask.lesson", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%sask \\frac{\\partial E_{total}}{\\partial w_5} out_o1\nask outo1\n", src);
    assert_int_equal(fclose(f), 0);
    free(src);
    snprintf(want, sizeof want, "%s:%d: 'outo1' names no quantity of this lesson; did you mean out_o1",
             path, lines + 2);
    every_command(path, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_misspelt),
        cmocka_unit_test(test_lessons_resolve),
        cmocka_unit_test(test_ask_line_after_latex_name),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
