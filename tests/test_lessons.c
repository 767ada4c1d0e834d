/*
 * test_lessons.c - the lecture lessons and the hand-rounding mode.
 *
 * Every expected number below is printed in a lecture (or in issue 3, which
 * quotes them) or is a hand calculation of the rule the lecture states; none
 * is copied from nntrace's own output.
 */
#include "testutil.h"

#include <dirent.h>

#include "engine.h"
#include "lesson.h"
#include "names.h"
#include "text.h"

/* Run lesson `path` with rounding `round` (ENGINE_ROUND_LESSON, -1, N). */
static lesson *run(const char *path, int round, engine_result *r)
{
    char err[1024];
    lesson *l = lesson_load(path, err, sizeof err);
    if (!l) fail_msg("%s", err);
    engine_opts o = {.round = round};
    if (engine_run(l, &o, r, err, sizeof err)) fail_msg("%s", err);
    return l;
}

static double value(const lesson *l, const engine_result *r, const char *name)
{
    long id = names_find(l, r->tr, NULL, name);
    if (id < 0) fail_msg("no quantity '%s'", name);
    return r->tr->q[id].value;
}

/* ------------------------------------------------------------------------
 * Hand rounding
 * ---------------------------------------------------------------------- */

/* 07-2a: g ~ 0.5474, g' ~ 0.2478, w_0,3^(1) ~ 0.2122, in_3^(1) = 0.2122 +
 * 0.1449*0.4 + 0.1561*0.5 = 0.34821 as printed; exact: 0.21214543...,
 * 0.3481250... (issue 3). */
static void test_sgd_step_rounded_vs_exact(void **state)
{
    (void)state;
    engine_result r;
    lesson *l = run("lessons/sauppe-sgd-step.lesson", ENGINE_ROUND_LESSON, &r);
    assert_int_equal(r.tr->round, 4);
    assert_close(value(l, &r, "in_3"), 0.19, 1e-15, 0);
    assert_close(trace_operand_value(r.tr, (uint32_t)names_find(l, r.tr, NULL, "a_3")), 0.5474, 1e-15, 0);
    assert_close(trace_operand_value(r.tr, (uint32_t)names_find(l, r.tr, NULL, "g'(in_3)")), 0.2478, 1e-15, 0);
    assert_close(value(l, &r, "err_3"), 0.4526, 1e-15, 0);          /* 1 - 0.5474 */
    assert_close(value(l, &r, "w_0,3^(1)"), 0.21215, 1e-15, 0);     /* 0.1 + 0.5*0.2243 */
    assert_close(round_dp(value(l, &r, "w_0,3^(1)"), 4), 0.2122, 1e-15, 0);
    assert_close(value(l, &r, "in_3^(1)"), 0.34821, 1e-15, 0);      /* the slide, exactly */
    engine_result_free(&r);
    lesson_free(l);

    l = run("lessons/sauppe-sgd-step.lesson", -1, &r);
    assert_int_equal(r.tr->round, -1);
    /* "0.21214543..." and "0.3481250...": the printed digits, then more */
    assert_in_range((long long)(value(l, &r, "w_0,3^(1)") * 1e8), 21214543, 21214543);
    assert_in_range((long long)(value(l, &r, "in_3^(1)") * 1e7), 3481250, 3481250);
    assert_true(fabs(value(l, &r, "in_3^(1)") - 0.34821) > 5e-5);   /* exact does not reproduce it */
    engine_result_free(&r);
    lesson_free(l);
}

/* 07-2c: a_4 is rounded to 0.27 and in_5 = 1.54 (exact 1.5379). */
static void test_forward_rounded_to_two(void **state)
{
    (void)state;
    engine_result r;
    lesson *l = run("lessons/sauppe-forward.lesson", ENGINE_ROUND_LESSON, &r);
    assert_close(value(l, &r, "in_5"), -1 + 4 * 0.5 + 2 * 0.27, 1e-15, 0);
    assert_close(round_dp(value(l, &r, "a_5"), 2), 0.82, 1e-15, 0);
    engine_result_free(&r);
    lesson_free(l);
    l = run("lessons/sauppe-forward.lesson", -1, &r);
    assert_close(round_dp(value(l, &r, "in_5"), 4), 1.5379, 1e-15, 0);
    engine_result_free(&r);
    lesson_free(l);
}

/* Half away from zero, as on a calculator; a 9-decimal print is not
 * rounded up (0.511301270, 0.561370121 are 002's w7+, w8+). */
static void test_round_half_away(void **state)
{
    (void)state;
    assert_close(round_dp(0.21215, 4), 0.2122, 1e-15, 0);
    assert_close(round_dp(-0.11215, 4), -0.1122, 1e-15, 0);
    assert_close(round_dp(0.14485, 4), 0.1449, 1e-15, 0);
    assert_close(round_dp(0.5113012702387, 9), 0.511301270, 1e-17, 0);
    assert_close(round_dp(0.561370121108, 9), 0.561370121, 1e-17, 0);
    assert_close(round_dp(0.2689414, 2), 0.27, 1e-15, 0);
}

/* ------------------------------------------------------------------------
 * Lessons
 * ---------------------------------------------------------------------- */

/* 002 (issue 3's published values), with the lecture's net/out names. */
static void test_mazur_published(void **state)
{
    (void)state;
    static const struct { const char *name; double v; } P[] = {
        {"out_h1", 0.593269992}, {"out_h2", 0.596884378}, {"out_o1", 0.75136507},
        {"out_o2", 0.772928465}, {"E_total", 0.298371109}, {"w5^(1)", 0.35891648},
        {"w6^(1)", 0.408666186}, {"w7^(1)", 0.511301270}, {"w8^(1)", 0.561370121},
        {"w1^(1)", 0.149780716}, {"w2^(1)", 0.19956143}, {"w3^(1)", 0.24975114},
        {"w4^(1)", 0.29950229},
    };
    engine_result r;
    lesson *l = run("lessons/mazur-2-2-2.lesson", ENGINE_ROUND_LESSON, &r);
    for (size_t k = 0; k < sizeof P / sizeof P[0]; k++)
        assert_close(value(l, &r, P[k].name), P[k].v, 5.01e-9, 0);
    /* biases are frozen: no update quantity for b1 */
    assert_true(names_find(l, r.tr, NULL, "b1^(1)") < 0);
    assert_close(value(l, &r, "b1"), 0.35, 0, 0);
    engine_result_free(&r);
    lesson_free(l);
}

/* 10,000 steps untraced: the error the example publishes after 10,000
 * rounds, 0.0000351085, with only step 1 kept in the trace. (Its speed is a
 * benchmark, `make bench-scalar`, not a timed test.) */
static void test_mazur_10000_fast(void **state)
{
    (void)state;
    engine_result r;
    lesson *l = run("lessons/mazur-2-2-2-10000.lesson", ENGINE_ROUND_LESSON, &r);
    assert_int_equal(r.steps, 10000);
    assert_close(r.loss[9999], 0.0000351085, 5e-11, 0);
    assert_close(r.loss[0], 0.298371109, 5e-10, 0);
    assert_true(r.tr->n < 2000);            /* only step 1 is kept */
    engine_result_free(&r);
    lesson_free(l);
}

/* The perceptron rule by hand from w = 0, alpha = 1, h(0) = 1: AND makes
 * 2, 3, 3, 2, 1, 0 mistakes; XOR never reaches 0 (not linearly separable). */
static void test_perceptron(void **state)
{
    (void)state;
    static const int and_mistakes[] = {2, 3, 3, 2, 1, 0};
    engine_result r;
    lesson *l = run("lessons/perceptron-and.lesson", ENGINE_ROUND_LESSON, &r);
    assert_true(r.converged);
    assert_int_equal(r.n_epochs, 6);
    assert_int_equal(r.steps, 24);
    for (int k = 0; k < 6; k++) assert_int_equal(r.epoch_mistakes[k], and_mistakes[k]);
    assert_close(value(l, &r, "w_0,3^(24)"), -3, 0, 0);
    assert_close(value(l, &r, "w_1,3^(24)"), 2, 0, 0);
    assert_close(value(l, &r, "w_2,3^(24)"), 1, 0, 0);
    engine_result_free(&r);
    lesson_free(l);

    l = run("lessons/perceptron-xor.lesson", ENGINE_ROUND_LESSON, &r);
    assert_false(r.converged);
    assert_int_equal(r.n_epochs, 10);
    for (int k = 0; k < 10; k++) assert_true(r.epoch_mistakes[k] > 0);
    engine_result_free(&r);
    lesson_free(l);
}

/* "expect A = B" is a fact checked to the lesson's digits; it can fail. */
static void test_expect_fact(void **state)
{
    (void)state;
    const char *text =
        "title t\ninput 1 2\nlayer logistic 3 4\nlayer logistic 5\n"
        "weight w_0,3 = 0.1\nweight w_1,3 = 0.1\nweight w_2,3 = 0.1\n"
        "weight w_0,4 = 0.1\nweight w_1,4 = 0.2\nweight w_2,4 = 0.1\n"
        "weight w_0,5 = 0.1\nweight w_3,5 = 0.1\nweight w_4,5 = 0.1\n"
        "loss sse\nrate 0.5\nexample 0.4 0.5 -> 1\n"
        "expect in_3 = in_4\nexpect a_5 = a_5\n";
    char err[512];
    lesson *l = lesson_parse(text, strlen(text), "fact.lesson", err, sizeof err);
    assert_non_null(l);
    assert_int_equal(l->n_expects, 2);
    assert_string_equal(l->expects[0].same, "in_4");
    engine_result r;
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), 0);
    FILE *null = fopen("/dev/null", "w");
    assert_non_null(null);
    assert_int_equal(text_check_expectations(null, l, &r, 0), 1);   /* 0.24 vs 0.28 */
    fclose(null);
    engine_result_free(&r);
    lesson_free(l);
}

/* Every lesson loads, runs and meets its expectations; each names its source. */
static void test_every_lesson(void **state)
{
    (void)state;
    DIR *d = opendir("lessons");
    assert_non_null(d);
    int n = 0;
    FILE *null = fopen("/dev/null", "w");
    assert_non_null(null);
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len <= 7 || strcmp(e->d_name + len - 7, ".lesson")) continue;
        char path[512];
        snprintf(path, sizeof path, "lessons/%s", e->d_name);
        engine_result r;
        lesson *l = run(path, ENGINE_ROUND_LESSON, &r);
        if (!l->source) fail_msg("%s has no source", path);
        int failed = text_check_expectations(null, l, &r, 0);
        if (failed) fail_msg("%s: %d expectation(s) fail", path, failed);
        engine_result_free(&r);
        lesson_free(l);
        n++;
    }
    closedir(d);
    fclose(null);
    assert_true(n >= 18);
}

/* README.md's table under "### The lessons" lists exactly the lessons in
 * lessons/, each once: a new lesson gets its row, a removed one loses it. */
static void test_readme_lists_every_lesson(void **state)
{
    (void)state;
    char *readme = slurp("README.md", NULL);
    assert_non_null(readme);
    const char *sec = strstr(readme, "\n### The lessons\n");
    if (!sec) fail_msg("README.md has no section '### The lessons'");
    const char *end = strstr(sec + 1, "\n#");
    size_t listed = 0;
    char names[128][64];
    for (const char *p = strstr(sec, "\n| `"); p && (!end || p < end); p = strstr(p + 1, "\n| `")) {
        const char *q = strchr(p + 4, '`');
        assert_non_null(q);
        if (listed == 128 || q - p - 4 >= 64) fail_msg("README.md's lesson table is too long for this test");
        snprintf(names[listed], sizeof names[listed], "%.*s", (int)(q - p - 4), p + 4);
        for (size_t k = 0; k < listed; k++)
            if (!strcmp(names[k], names[listed])) fail_msg("README.md lists lesson '%s' twice", names[k]);
        char path[128];
        snprintf(path, sizeof path, "lessons/%s.lesson", names[listed]);
        FILE *f = fopen(path, "r");
        if (!f) fail_msg("README.md lists lesson '%s', but there is no %s", names[listed], path);
        fclose(f);
        listed++;
    }
    DIR *d = opendir("lessons");
    assert_non_null(d);
    size_t files = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len <= 7 || strcmp(e->d_name + len - 7, ".lesson")) continue;
        files++;
        size_t k = 0;
        while (k < listed && (strlen(names[k]) != len - 7 || strncmp(names[k], e->d_name, len - 7))) k++;
        if (k == listed) fail_msg("lessons/%s has no row in README.md's table under '### The lessons'", e->d_name);
    }
    closedir(d);
    assert_int_equal(files, listed);
    free(readme);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_step_rounded_vs_exact),
        cmocka_unit_test(test_forward_rounded_to_two),
        cmocka_unit_test(test_round_half_away),
        cmocka_unit_test(test_mazur_published),
        cmocka_unit_test(test_mazur_10000_fast),
        cmocka_unit_test(test_perceptron),
        cmocka_unit_test(test_expect_fact),
        cmocka_unit_test(test_every_lesson),
        cmocka_unit_test(test_readme_lists_every_lesson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
