/*
 * random_lesson.h - seeded random valid lessons for the engine tests
 * (test_untraced, test_chain): every activation and loss row, mini-batches,
 * weight decay, dropout, frozen weights, tied weights, hand rounding, input
 * normalisation; and each lesson of lessons/, loaded, for the same checks.
 */
#ifndef NNTRACE_RANDOM_LESSON_H
#define NNTRACE_RANDOM_LESSON_H

#include "testutil.h"

#include <dirent.h>

#include "eval.h"
#include "lesson.h"

/* fn on every .lesson file in lessons/, loaded (freed after); how many. */
static inline int each_lesson(void (*fn)(lesson *l, const char *path, void *ctx), void *ctx)
{
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
        fn(l, path, ctx);
        lesson_free(l);
        n++;
    }
    closedir(d);
    return n;
}

static inline double uniform(uint64_t *s)
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
static inline char *random_lesson(int act_h, int loss, uint64_t seed)
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
    if (n_hid >= 2 && uniform(&s) < 0.5)            /* tied weights: one parameter, summed gradient */
        ADD("tie tb = w_0,%d w_0,%d\n", first_hidden, first_hidden + 1);
    if (uniform(&s) < 0.4) ADD("tie tx = w_1,%d w_0,%d\n", first_hidden + n_hid - 1, id - 1);
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

/* A random perceptron lesson for seed: 1-5 inputs, 1-3 threshold units,
 * 2-8 examples of 0/1 or real inputs and 0/1 targets (so it may converge,
 * or run to its epoch limit), given or drawn weights, a traced subset of
 * its steps, and at times a frozen weight, hand rounding and the final
 * forward pass. */
static inline char *random_perceptron(uint64_t seed)
{
    char *t = malloc(CAP);
    size_t n = 0;
    uint64_t s = seed * 6364136223846793005ull + 1442695040888963407ull;
    assert_non_null(t);
    int n_in = 1 + (int)(uniform(&s) * 5), n_out = 1 + (int)(uniform(&s) * 3);
    int ex = 2 + (int)(uniform(&s) * 7), binary = uniform(&s) < 0.5, id = 1;
    static const double rates[] = {1, 0.5, 0.3, 0.1};
    ADD("title random perceptron %llu\ninput", (unsigned long long)seed);
    for (int k = 0; k < n_in; k++) ADD(" %d", id++);
    ADD("\nlayer step");
    for (int k = 0; k < n_out; k++) ADD(" %d", id++);
    const int epochs = 1 + (int)(uniform(&s) * 30);
    ADD("\nrule perceptron\nrate %g\nepochs %d\n", rates[(int)(uniform(&s) * 4)], epochs);
    if (uniform(&s) < 0.5) {
        ADD("init uniform -1 1 %llu\n", (unsigned long long)seed);
    } else {
        for (int j = n_in + 1; j <= n_in + n_out; j++)
            for (int i = 0; i <= n_in; i++) ADD("weight w_%d,%d = %.2f\n", i, j, 2 * uniform(&s) - 1);
    }
    static const char *traces[] = {"1", "1 2", "none", "3 10"};
    const int tr = (int)(uniform(&s) * 4);
    ADD("trace %s\n", tr == 3 && epochs * ex < 10 ? "1" : traces[tr]);   /* steps: epochs x ex */
    if (uniform(&s) < 0.3) ADD("freeze w_0,%d\n", n_in + 1);
    if (uniform(&s) < 0.2) ADD("round %d\n", 1 + (int)(uniform(&s) * 3));
    if (uniform(&s) < 0.3) ADD("final-forward yes\n");
    for (int e = 0; e < ex; e++) {
        ADD("example");
        for (int k = 0; k < n_in; k++)
            ADD(binary ? " %.0f" : " %.2f", binary ? (double)(uniform(&s) < 0.5) : 4 * uniform(&s) - 2);
        ADD(" ->");
        for (int k = 0; k < n_out; k++) ADD(" %d", uniform(&s) < 0.5);
        ADD("\n");
    }
    return t;
}

#undef ADD
#undef CAP

#endif
