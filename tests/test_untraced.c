/*
 * test_untraced.c - steps nobody is shown are computed on values alone
 * (engine.c, vtrain_step, vperceptron_step); they must give the traced computation's numbers
 * to the last bit. Every lesson in lessons/ and seeded random networks (every
 * activation and loss row, mini-batches, weight decay, dropout, frozen
 * weights, tied weights, hand rounding, input normalisation) are run twice: with only some
 * steps traced, and with `trace all`; the weights after the last step and J
 * of every step must be equal bit for bit.
 */
#include "testutil.h"


#include "engine.h"
#include "random_lesson.h"

/* Run l with its own trace steps and with every step traced; compare. */
static void assert_untraced_equals_traced(const lesson *l, const char *what)
{
    engine_opts own = {.round = ENGINE_ROUND_LESSON}, all = {.round = ENGINE_ROUND_LESSON, .trace_all = 1};
    engine_result a, b;
    char err[256];
    if (engine_run(l, &own, &a, err, sizeof err)) fail_msg("%s: %s", what, err);
    if (engine_run(l, &all, &b, err, sizeof err)) fail_msg("%s: %s", what, err);
    assert_int_equal(a.steps, b.steps);
    if (l->n_arcs && memcmp(a.weights, b.weights, sizeof *a.weights * (size_t)l->n_arcs))
        fail_msg("%s: weights after %d steps differ", what, a.steps);
    for (int s = 0; s < a.steps; s++) {
        int same = memcmp(&a.loss[s], &b.loss[s], sizeof a.loss[s]) == 0 ||
                   (isnan(a.loss[s]) && isnan(b.loss[s]));
        if (!same) fail_msg("%s: J of step %d: %.17g untraced, %.17g traced", what, s + 1,
                            a.loss[s], b.loss[s]);
    }
    assert_int_equal(a.n_epochs, b.n_epochs);       /* the perceptron's epochs and stop */
    assert_int_equal(a.converged, b.converged);
    for (int e = 0; e < a.n_epochs; e++) assert_int_equal(a.epoch_mistakes[e], b.epoch_mistakes[e]);
    int untraced = 0;                  /* steps run but not traced (a perceptron may stop early) */
    for (int k = 1; k <= a.steps; k++) untraced += !engine_traced(l, &own, k);
    if (untraced) assert_true(a.tr->n < b.tr->n);    /* they really were not traced */
    engine_result_free(&a);
    engine_result_free(&b);
}

/* Trace only the lesson's step 1 (at most 300 steps, at least 6). */
static void only_first_traced(lesson *l)
{
    int *one = malloc(sizeof *one);
    assert_non_null(one);
    *one = 1;
    free(l->trace_steps);
    l->trace_steps = one;
    l->n_trace_steps = 1;
    l->trace_all = 0;
    if (l->steps > 0 && l->steps < 6) l->steps = 6;
    if (l->steps > 300) l->steps = 300;
    l->n_expects = 0;          /* not the lecture's run any more: its expectations name other steps */
}

static void one_lesson(lesson *l, const char *path, void *ctx)
{
    (void)ctx;
    only_first_traced(l);
    assert_untraced_equals_traced(l, path);
}

static void test_every_lesson(void **state)
{
    (void)state;
    assert_true(each_lesson(one_lesson, NULL) >= 10);
}

static void test_random_networks(void **state)
{
    (void)state;
    int runs = 0;
    for (int h = 0; h < ACT_COUNT; h++) {
        if (h == ACT_SOFTMAX) continue;
        for (int loss = 0; loss < LOSS_COUNT; loss++)
            for (uint64_t seed = 1; seed <= 4; seed++) {
                char *text = random_lesson(h, loss, seed * 131 + (uint64_t)(h * 7 + loss)), err[1024];
                lesson *l = lesson_parse(text, strlen(text), "random.lesson", err, sizeof err);
                if (!l) fail_msg("%s\n--- lesson ---\n%s", err, text);
                assert_untraced_equals_traced(l, text);
                lesson_free(l);
                free(text);
                runs++;
            }
    }
    assert_true(runs >= 100);
}

/* The perceptron rule's untraced steps (vperceptron_step): random
 * perceptrons, converging or not, with the stopping epoch, each epoch's
 * mistakes and the weights equal to the traced run's. */
static void test_random_perceptrons(void **state)
{
    (void)state;
    int converged = 0, limit = 0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        char *text = random_perceptron(seed), err[1024];
        lesson *l = lesson_parse(text, strlen(text), "random.lesson", err, sizeof err);
        if (!l) fail_msg("%s\n--- lesson ---\n%s", err, text);
        assert_untraced_equals_traced(l, text);
        engine_result r;
        if (engine_run(l, NULL, &r, err, sizeof err)) fail_msg("%s", err);
        if (r.converged) converged++;
        else limit++;
        engine_result_free(&r);
        lesson_free(l);
        free(text);
    }
    assert_true(converged >= 20 && limit >= 20);    /* both ends of training are covered */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_lesson),
        cmocka_unit_test(test_random_networks),
        cmocka_unit_test(test_random_perceptrons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
