/*
 * test_untraced.c - steps nobody is shown are computed on values alone
 * (engine.c, vtrain_step); they must give the traced computation's numbers
 * to the last bit. Every lesson in lessons/ and seeded random networks (every
 * activation and loss row, mini-batches, weight decay, dropout, frozen
 * weights, hand rounding, input normalisation) are run twice: with only some
 * steps traced, and with `trace all`; the weights after the last step and J
 * of every step must be equal bit for bit.
 */
#include "testutil.h"

#include <dirent.h>

#include "engine.h"

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
    if (l->steps > 2 && !l->trace_all)
        assert_true(a.tr->n < b.tr->n);    /* some steps really were not traced */
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
}

static void test_every_lesson(void **state)
{
    (void)state;
    DIR *d = opendir("lessons");
    struct dirent *de;
    int n = 0;
    assert_non_null(d);
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 8 || strcmp(de->d_name + len - 7, ".lesson")) continue;
        char path[512], err[1024];
        snprintf(path, sizeof path, "lessons/%s", de->d_name);
        lesson *l = lesson_load(path, err, sizeof err);
        if (!l) fail_msg("%s", err);
        only_first_traced(l);
        assert_untraced_equals_traced(l, path);
        lesson_free(l);
        n++;
    }
    closedir(d);
    assert_true(n >= 10);
}

static double uniform(uint64_t *s)
{
    *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
    return (double)(*s >> 11) * 0x1.0p-53;
}

#define CAP 16384
#define ADD(...) (n += (size_t)snprintf(t + n, CAP - n, __VA_ARGS__))

/* A seeded random valid lesson: 2 or 3 layers of 1..5 neurons, hidden
 * activation act_h, the loss row `loss` with an output activation it
 * accepts, and per seed: batch, decay, dropout, frozen biases, rounding,
 * normalisation and which steps are traced. */
static char *random_lesson(int act_h, int loss, uint64_t seed)
{
    char *t = malloc(CAP);
    size_t n = 0;
    uint64_t s = seed * 6364136223846793005ull + 1442695040888963407ull;
    assert_non_null(t);
    int n_in = 1 + (int)(uniform(&s) * 3), n_hid = 1 + (int)(uniform(&s) * 5);
    int deep = uniform(&s) < 0.4, n_hid2 = 1 + (int)(uniform(&s) * 4);
    act_kind out = LOSS_ROWS[loss].needs_out;
    if (out == ACT_COUNT) {                          /* any but softmax: draw one */
        do out = (act_kind)(uniform(&s) * ACT_SOFTMAX); while (out == ACT_SOFTMAX);
    }
    int n_out = out == ACT_SOFTMAX ? 2 + (int)(uniform(&s) * 3) : 1 + (int)(uniform(&s) * 3);
    int id = 1, ex = 3 + (int)(uniform(&s) * 3), batch = 1 + (int)(uniform(&s) * 3);
    ADD("title random %llu\ninput", (unsigned long long)seed);
    for (int k = 0; k < n_in; k++) ADD(" %d", id++);
    int first_hidden = id;
    ADD("\nlayer %s", ACT_ROWS[act_h].name);
    for (int k = 0; k < n_hid; k++) ADD(" %d", id++);
    if (deep) {
        ADD("\nlayer %s", ACT_ROWS[act_h].name);
        for (int k = 0; k < n_hid2; k++) ADD(" %d", id++);
    }
    ADD("\nlayer %s", ACT_ROWS[out].name);
    for (int k = 0; k < n_out; k++) ADD(" %d", id++);
    ADD("\ninit uniform -1 1 %llu\nloss %s\nrate %.3f\nbatch %d\nsteps 25\n",
        (unsigned long long)seed, LOSS_ROWS[loss].name, 0.05 + 0.5 * uniform(&s), batch);
    static const char *traces[] = {"1", "1 25", "none", "3 10"};
    ADD("trace %s\n", traces[(int)(uniform(&s) * 4)]);
    if (uniform(&s) < 0.3) ADD("decay %.3f\n", 0.1 * uniform(&s));
    if (uniform(&s) < 0.3) ADD("dropout 1 %.2f %d\n", 0.5 * uniform(&s), (int)(uniform(&s) * 100));
    if (uniform(&s) < 0.3) ADD("freeze w_0,%d\n", first_hidden);
    if (uniform(&s) < 0.2) ADD("round %d\n", 3 + (int)(uniform(&s) * 3));
    if (uniform(&s) < 0.2) ADD("normalise %s\n", uniform(&s) < 0.5 ? "zscore" : "minmax");
    if (uniform(&s) < 0.3) ADD("final-forward yes\n");
    for (int e = 0; e < ex; e++) {
        ADD("example");
        for (int k = 0; k < n_in; k++) ADD(" %.4f", 4 * uniform(&s) - 2);
        ADD(" ->");
        int hot = (int)(uniform(&s) * n_out);
        for (int k = 0; k < n_out; k++) {
            double y = out == ACT_SOFTMAX ? (k == hot)
                     : loss == LOSS_BCE ? uniform(&s) : 2 * uniform(&s) - 1;
            ADD(" %.4f", y);
        }
        ADD("\n");
    }
    return t;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_lesson),
        cmocka_unit_test(test_random_networks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
