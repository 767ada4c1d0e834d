/*
 * test_lessons2.c - dropout, batch normalisation, input normalisation and
 * Xavier/He initialisation (lectures 001 07-5 and 000), and the text view's
 * parentheses around a negative argument.
 *
 * Expected numbers are hand calculations of the rules the lectures state
 * (the slides print none here): 1/(1-p) = 2, the mean and variance of
 * 1, 2, 3, 6, the z-score of 150..180, central differences of J. None is
 * copied from nntrace's own output.
 */
#include "testutil.h"

#include "engine.h"
#include "lesson.h"
#include "names.h"
#include "text.h"

static lesson *run(const char *path, engine_result *r)
{
    char err[1024];
    lesson *l = lesson_load(path, err, sizeof err);
    if (!l) fail_msg("%s", err);
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    if (engine_run(l, &o, r, err, sizeof err)) fail_msg("%s", err);
    return l;
}

static lesson *parse(const char *text)
{
    char err[1024];
    lesson *l = lesson_parse(text, strlen(text), "mem.lesson", err, sizeof err);
    if (!l) fail_msg("%s", err);
    return l;
}

static double value(const lesson *l, const engine_result *r, const char *name)
{
    long id = names_find(l, r->tr, NULL, name);
    if (id < 0) fail_msg("no quantity '%s'", name);
    return r->tr->q[id].value;
}

static double logistic(double v) { return 1.0 / (1.0 + exp(-v)); }

/* Every expectation of the lesson holds (returns the number failing). */
static int expectations_fail(const lesson *l, const engine_result *r)
{
    FILE *devnull = fopen("/dev/null", "w");
    assert_non_null(devnull);
    int failed = text_check_expectations(devnull, l, r, 0);
    fclose(devnull);
    return failed;
}

/* ------------------------------------------------------------------------
 * Dropout (001 07-5a)
 * ---------------------------------------------------------------------- */

/* Forward: m_3 = 1 kept, m_4 = 0 dropped (seed 1), r = m/(1-p) = 2m,
 * ad_j = r_j a_j, and in_5 reads ad_j. Backward: the dropped neuron has
 * Delta_4 = 0, so its weights do not move; dJ/dw_3,5 = Delta_5 ad_3. */
static void test_dropout_forward_backward(void **state)
{
    (void)state;
    engine_result r;
    lesson *l = run("lessons/dropout-step.lesson", &r);
    assert_int_equal(expectations_fail(l, &r), 0);
    double a3 = logistic(0.1 + 0.2 * 0.4 + 0.3 * 0.5);
    assert_close(value(l, &r, "m_3"), 1, 0, 0);
    assert_close(value(l, &r, "m_4"), 0, 0, 0);
    assert_close(value(l, &r, "r_3"), 2, 1e-15, 0);
    assert_close(value(l, &r, "ad_3"), 2 * a3, 1e-15, 0);
    assert_close(value(l, &r, "ad_4"), 0, 0, 0);
    assert_close(value(l, &r, "in_5"), 0.1 + 0.5 * 2 * a3 - 0.3 * 0, 1e-15, 0);
    double a5 = logistic(0.1 + a3);
    double d5 = -2 * (1 - a5) * a5 * (1 - a5);
    assert_close(value(l, &r, "delta_5"), d5, 1e-15, 0);
    /* Delta_3 = r_3 g'(in_3) w_3,5 Delta_5 */
    assert_close(value(l, &r, "delta_3"), 2 * a3 * (1 - a3) * 0.5 * d5, 1e-15, 0);
    assert_close(value(l, &r, "delta_4"), 0, 0, 0);
    assert_close(value(l, &r, "dJ/dw_3,5"), d5 * 2 * a3, 1e-15, 0);
    assert_close(value(l, &r, "w_1,4^(1)"), 0.4, 0, 0);
    /* the operands of ad_3 are r_3 and a_3 (what every view reads) */
    long id = names_find(l, r.tr, NULL, "ad_3");
    const quantity *q = &r.tr->q[id];
    assert_int_equal(q->spec.op, OP_PRODUCT);
    assert_int_equal(q->nops, 2);
    assert_int_equal(r.tr->ops[q->first], (uint32_t)names_find(l, r.tr, NULL, "r_3"));
    assert_int_equal(r.tr->ops[q->first + 1], (uint32_t)names_find(l, r.tr, NULL, "a_3"));
    engine_result_free(&r);
    lesson_free(l);
}

/* With the mask fixed (same seed, same step and example), central
 * differences of J agree with backprop through the mask, for a batch of 3
 * with tanh hidden units and several masks; the gradient is not all zero. */
static void test_dropout_gradient_check(void **state)
{
    (void)state;
    lesson *l = parse(
        "title dropout gradcheck\n"
        "input 1 2\nlayer tanh 3 4 5 6\nlayer logistic 7\n"
        "init uniform -1 1 3\ndropout 1 0.4 11\nloss sse\nrate 0.1\nbatch 3\n"
        "example 0.4 0.5 -> 1\nexample -0.3 0.8 -> 0\nexample 0.9 -0.2 -> 1\n");
    int kept = 0, dropped = 0;
    for (int b = 0; b < 3; b++)
        for (int j = 3; j <= 6; j++) {
            int k = lesson_dropout_keep(l, 0, b, j);
            assert_int_equal(k, lesson_dropout_keep(l, 0, b, j));   /* a fixed mask */
            kept += k;
            dropped += !k;
        }
    assert_true(kept > 0 && dropped > 0);          /* the check covers both paths */
    int na = l->n_arcs;
    double *w = malloc((size_t)na * sizeof *w), *g = malloc((size_t)na * sizeof *g);
    assert_non_null(w);
    assert_non_null(g);
    for (int a = 0; a < na; a++) w[a] = l->arcs[a].w;
    double J, Jp, Jm, h = 1e-6, maxerr = 0, gnorm = 0;
    assert_int_equal(engine_loss_grad(l, w, &J, g), 0);
    for (int a = 0; a < na; a++) {
        double w0 = w[a];
        w[a] = w0 + h; assert_int_equal(engine_loss_grad(l, w, &Jp, NULL), 0);
        w[a] = w0 - h; assert_int_equal(engine_loss_grad(l, w, &Jm, NULL), 0);
        w[a] = w0;
        double num = (Jp - Jm) / (2 * h), err = fabs(num - g[a]) / fmax(1e-8, fabs(num) + fabs(g[a]));
        if (fabs(num) + fabs(g[a]) > 1e-9 && err > maxerr) maxerr = err;
        gnorm += fabs(g[a]);
    }
    printf("dropout gradcheck: %d arcs, max relative error %.3g\n", na, maxerr);
    assert_true(gnorm > 1e-3);                     /* genann's all-zero guard */
    assert_true(maxerr < 1e-6);
    /* the engine's step uses the same mask: its batch-mean gradient is g */
    engine_result r;
    char err[256];
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), 0);
    assert_close(value(l, &r, "dJ/dw_3,7"), g[lesson_arc_index(l, 3, 7)], 1e-15, 1e-12);
    assert_close(value(l, &r, "dJ/dw_1,4"), g[lesson_arc_index(l, 1, 4)], 1e-15, 1e-12);
    engine_result_free(&r);
    free(w);
    free(g);
    lesson_free(l);
}

/* Predictions after training use no mask: final-forward has no m_j. */
static void test_dropout_not_at_prediction(void **state)
{
    (void)state;
    lesson *l = parse(
        "title t\ninput 1\nlayer logistic 2 3\nlayer logistic 4\ninit uniform -1 1 1\n"
        "dropout 1 0.5 2\nloss sse\nrate 0.5\nsteps 1\nfinal-forward yes\nexample 0.5 -> 1\n");
    engine_result r;
    char err[256];
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), 0);
    assert_true(names_find(l, r.tr, NULL, "m_2") >= 0);
    assert_true(names_find(l, r.tr, NULL, "m_2^(1)") < 0);
    /* in_4^(1) = w_0,4^(1) + w_2,4^(1) a_2^(1) + w_3,4^(1) a_3^(1), no rescaling */
    double want = value(l, &r, "w_0,4^(1)") + value(l, &r, "w_2,4^(1)") * value(l, &r, "a_2^(1)") +
                  value(l, &r, "w_3,4^(1)") * value(l, &r, "a_3^(1)");
    assert_close(value(l, &r, "in_4^(1)"), want, 1e-15, 1e-14);
    engine_result_free(&r);
    lesson_free(l);
}

/* ------------------------------------------------------------------------
 * Batch normalisation (001 07-5b)
 * ---------------------------------------------------------------------- */

/* a_2 = 1, 2, 3, 6: mu = 3, sigma^2 = 14/4 = 3.5; a_3 = 1 - 2x: mu = -5,
 * sigma^2 = 14. ahat = 2 (a - mu)/sqrt(var + 1e-5) + 0.5; over the batch
 * its mean is beta and its variance gamma^2 var/(var + eps). */
static void test_batchnorm(void **state)
{
    (void)state;
    engine_result r;
    lesson *l = run("lessons/batchnorm-forward.lesson", &r);
    assert_int_equal(expectations_fail(l, &r), 0);
    assert_close(value(l, &r, "mu_2"), 3, 1e-15, 0);
    assert_close(value(l, &r, "var_2"), 3.5, 1e-15, 0);
    assert_close(value(l, &r, "mu_3"), -5, 1e-15, 0);
    assert_close(value(l, &r, "var_3"), 14, 1e-14, 0);
    const double x[4] = {1, 2, 3, 6};
    const char *n2[4] = {"ahat_2[1]", "ahat_2[2]", "ahat_2[3]", "ahat_2[4]"};
    const char *n3[4] = {"ahat_3[1]", "ahat_3[2]", "ahat_3[3]", "ahat_3[4]"};
    const char *in4[4] = {"in_4[1]", "in_4[2]", "in_4[3]", "in_4[4]"};
    double m2 = 0, m3 = 0, v2 = 0;
    for (int e = 0; e < 4; e++) {
        double h2 = value(l, &r, n2[e]), h3 = value(l, &r, n3[e]);
        assert_close(h2, 2 * (x[e] - 3) / sqrt(3.5 + 1e-5) + 0.5, 1e-14, 0);
        assert_close(value(l, &r, in4[e]), h2 + h3, 1e-14, 0);   /* layer 2 reads ahat */
        m2 += h2 / 4;
        m3 += h3 / 4;
    }
    for (int e = 0; e < 4; e++) v2 += pow(value(l, &r, n2[e]) - m2, 2) / 4;
    assert_close(m2, 0.5, 1e-14, 0);
    assert_close(m3, 0.5, 1e-14, 0);
    assert_close(v2, 4 * 3.5 / (3.5 + 1e-5), 1e-12, 0);
    engine_result_free(&r);
    lesson_free(l);
}

/* ------------------------------------------------------------------------
 * Input normalisation and initialisation (000)
 * ---------------------------------------------------------------------- */

static void test_zscore_inputs(void **state)
{
    (void)state;
    engine_result r;
    lesson *l = run("lessons/init-and-normalise.lesson", &r);
    assert_int_equal(expectations_fail(l, &r), 0);
    assert_close(value(l, &r, "mu_1"), 165, 1e-12, 0);
    assert_close(value(l, &r, "var_1"), 125, 1e-12, 0);
    assert_close(value(l, &r, "sd_1"), sqrt(125), 1e-12, 0);
    assert_close(value(l, &r, "xn_1[2]"), -5 / sqrt(125), 1e-14, 0);
    const char *nm[2][4] = {{"xn_1[1]", "xn_1[2]", "xn_1[3]", "xn_1[4]"},
                            {"xn_2[1]", "xn_2[2]", "xn_2[3]", "xn_2[4]"}};
    for (int k = 0; k < 2; k++) {       /* normalised: mean 0, standard deviation 1 */
        double m = 0, v = 0;
        for (int e = 0; e < 4; e++) m += value(l, &r, nm[k][e]) / 4;
        for (int e = 0; e < 4; e++) v += pow(value(l, &r, nm[k][e]) - m, 2) / 4;
        assert_close(m, 0, 1e-14, 0);
        assert_close(v, 1, 1e-14, 0);
    }
    /* the forward pass reads xn: in_3[1] = w_1,3 xn_1[1] + w_2,3 xn_2[1] (biases 0) */
    assert_close(value(l, &r, "in_3[1]"),
                 value(l, &r, "w_1,3") * value(l, &r, "xn_1[1]") + value(l, &r, "w_2,3") * value(l, &r, "xn_2[1]"),
                 1e-15, 1e-14);
    long id = names_find(l, r.tr, NULL, "in_3[1]");
    assert_int_equal(r.tr->ops[r.tr->q[id].first + 3], (uint32_t)names_find(l, r.tr, NULL, "xn_1[1]"));
    engine_result_free(&r);
    lesson_free(l);
}

/* min-max: (160 - 150)/(180 - 150) = 1/3; the smallest becomes 0, the largest 1;
 * and the gradient check holds through normalised inputs with training. */
static void test_minmax_inputs(void **state)
{
    (void)state;
    lesson *l = parse(
        "title t\ninput 1 2\nlayer logistic 3\nweight w_0,3 = 0.1\nweight w_1,3 = -0.2\n"
        "weight w_2,3 = 0.3\nnormalise minmax\nloss sse\nrate 0.5\nsteps 2\nbatch 2\n"
        "example 150 0.2 -> 1\nexample 160 0.4 -> 0\nexample 170 0.6 -> 1\nexample 180 1.0 -> 0\n");
    engine_result r;
    char err[256];
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), 0);
    assert_close(value(l, &r, "min_1"), 150, 0, 0);
    assert_close(value(l, &r, "max_1"), 180, 0, 0);
    assert_close(value(l, &r, "xn_1[1]"), 0, 0, 0);
    assert_close(value(l, &r, "xn_1[2]"), 1.0 / 3, 1e-15, 0);
    assert_close(value(l, &r, "xn_1[4]"), 1, 1e-15, 0);
    assert_close(value(l, &r, "xn_2[3]"), 0.5, 1e-15, 0);     /* (0.6 - 0.2)/0.8 */
    /* step 2 uses examples 3 and 4 (named [3] and [4]), normalised once before step 1 */
    assert_close(value(l, &r, "in_3^(1)[4]"), value(l, &r, "w_0,3^(1)") + value(l, &r, "w_1,3^(1)") * 1 +
                 value(l, &r, "w_2,3^(1)") * 1, 1e-15, 1e-14);
    engine_result_free(&r);
    double w[3] = {0.1, -0.2, 0.3}, g[3], Jp, Jm, J;
    assert_int_equal(engine_loss_grad(l, w, &J, g), 0);
    for (int a = 0; a < 3; a++) {
        double w0 = w[a];
        w[a] = w0 + 1e-6; assert_int_equal(engine_loss_grad(l, w, &Jp, NULL), 0);
        w[a] = w0 - 1e-6; assert_int_equal(engine_loss_grad(l, w, &Jm, NULL), 0);
        w[a] = w0;
        assert_close(g[a], (Jp - Jm) / 2e-6, 1e-9, 1e-6);
    }
    assert_true(fabs(g[0]) > 1e-3);
    lesson_free(l);
}

/* A constant input (sd 0, max = min) normalises to 0, and the line says why:
 * (1 - 1)/0 is no number, so the trace must not just print "= 0". */
static void test_constant_input_noted(void **state)
{
    (void)state;
    for (int minmax = 0; minmax < 2; minmax++) {
        char text[512];
        snprintf(text, sizeof text,
                 "title t\ninput 1 2\nlayer logistic 3\nweight w_0,3 = 0.1\nweight w_1,3 = 0.2\n"
                 "weight w_2,3 = 0.3\nnormalise %s\nsteps 0\nexample 1 2\nexample 1 3\n",
                 minmax ? "minmax" : "zscore");
        lesson *l = parse(text);
        engine_result r;
        char err[256];
        engine_opts o = {.round = ENGINE_ROUND_LESSON};
        assert_int_equal(engine_run(l, &o, &r, err, sizeof err), 0);
        long id = names_find(l, r.tr, NULL, "xn_1[2]");
        assert_true(id >= 0);
        assert_close(r.tr->q[id].value, 0, 0, 0);
        const char *notes[EVAL_MAX_NOTES];
        size_t n = eval_notes(r.tr->q[id].notes, ACT_COUNT, notes);
        assert_int_equal(n, 1);
        assert_non_null(strstr(notes[0], "same in every example"));
        /* x_2 varies: no note */
        id = names_find(l, r.tr, NULL, "xn_2[2]");
        assert_int_equal(r.tr->q[id].notes, 0);
        engine_result_free(&r);
        lesson_free(l);
    }
}

/* He: N(0, 2/n); the lecture's sigmoid rule (xavier-normal): N(0, 1/n);
 * biases 0; each init-layer its own seeded stream. n = 400 inputs into 50
 * neurons: 20,000 draws, sample variance within 5% of the rule. */
static void test_init_statistics(void **state)
{
    (void)state;
    char *text = malloc(8000);
    assert_non_null(text);
    int n = snprintf(text, 8000, "title t\ninput");
    for (int k = 1; k <= 400; k++) n += snprintf(text + n, 8000 - (size_t)n, " %d", k);
    n += snprintf(text + n, 8000 - (size_t)n, "\nlayer relu");
    for (int k = 401; k <= 450; k++) n += snprintf(text + n, 8000 - (size_t)n, " %d", k);
    snprintf(text + n, 8000 - (size_t)n, "\nlayer logistic 451\ninit-layer 1 %%s 5\n"
             "init-layer 2 he 9\nexample");
    const char *kinds[2] = {"he", "xavier-normal"};
    const double var[2] = {2.0 / 400, 1.0 / 400};
    double first[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        char *full = malloc(12000);
        assert_non_null(full);
        int m = snprintf(full, 12000, text, kinds[k]);
        for (int x = 0; x < 400; x++) m += snprintf(full + m, 12000 - (size_t)m, " 0");
        snprintf(full + m, 12000 - (size_t)m, "\n");
        lesson *l = parse(full);
        double s = 0, s2 = 0;
        int cnt = 0;
        for (int a = 0; a < l->n_arcs; a++) {
            if (l->layer_of[l->arcs[a].j] != 1) continue;
            if (l->arcs[a].i == 0) { assert_close(l->arcs[a].w, 0, 0, 0); continue; }
            s += l->arcs[a].w;
            s2 += l->arcs[a].w * l->arcs[a].w;
            cnt++;
        }
        assert_int_equal(cnt, 20000);
        double mean = s / cnt, v = s2 / cnt - mean * mean;
        printf("init %s: %d weights, mean %.5f, variance %.6f (rule %.6f)\n", kinds[k], cnt, mean, v, var[k]);
        assert_true(fabs(v - var[k]) < 0.05 * var[k]);
        assert_true(fabs(mean) < 4 * sqrt(var[k] / cnt));
        first[k] = l->arcs[lesson_arc_index(l, 401, 451)].w;   /* layer 2: 'he 9' both times */
        lesson_free(l);
        free(full);
    }
    assert_close(first[0], first[1], 0, 0);       /* layer 1's rule does not move layer 2's stream */
    free(text);
}

/* ------------------------------------------------------------------------
 * Views and errors
 * ---------------------------------------------------------------------- */

/* Every view reads the new quantities from the trace: JSON names them with
 * their operands; the text line substitutes their operand values. */
static void test_views(void **state)
{
    (void)state;
    engine_result r;
    lesson *l = run("lessons/init-and-normalise.lesson", &r);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(text_print_json(f, l, &r, 4, l->notation), 0);
    fclose(f);
    assert_non_null(strstr(buf, "\"name\": \"xn_1[1]\", \"display\": \"xn_1[1]\", \"kind\": \"xnorm\""));
    assert_non_null(strstr(buf, "\"operands\": [\"x_1[1]\", \"mu_1\", \"sd_1\"]"));
    assert_non_null(strstr(buf, "\"name\": \"sd_1\", \"display\": \"sd_1\", \"kind\": \"sd\""));
    free(buf);
    strbuf b = {0};
    text_line(&b, r.tr, &r.tr->q[names_find(l, r.tr, NULL, "sd_1")], 4);
    assert_string_equal(b.s, "sd_1 = sqrt(var_1) = sqrt(125) = 11.1803");
    sb_free(&b);
    engine_result_free(&r);
    lesson_free(l);
}

/* A negative argument the template puts alone in parentheses is not
 * parenthesised again: step(-0.5), not step((-0.5)); where it is not alone
 * the parentheses stay: max(0,(-1)), exp(-(-1)) reads as written. */
static void test_step_parentheses(void **state)
{
    (void)state;
    engine_result r;
    lesson *l = run("lessons/csc413-xor-threshold.lesson", &r);
    strbuf b = {0};
    text_line(&b, r.tr, &r.tr->q[names_find(l, r.tr, NULL, "a_3[1]")], 4);
    assert_non_null(strstr(b.s, "= step(-0.5) = 0"));     /* h1 = step(0 + 0 - 0.5) */
    assert_null(strstr(b.s, "(("));
    sb_free(&b);
    engine_result_free(&r);
    lesson_free(l);
    l = run("lessons/perceptron-and.lesson", &r);
    for (size_t id = 0; id < r.tr->n; id++) {
        if (r.tr->q[id].spec.op != OP_STEPSUM) continue;
        text_line(&b, r.tr, &r.tr->q[id], 4);
        assert_null(strstr(b.s, "step(("));
        b.len = 0;
    }
    sb_free(&b);
    engine_result_free(&r);
    lesson_free(l);
}

/* A hand-rounded trace (round 1) carries its operands to 1 decimal, but
 * computes with the lesson's constants, and shows them as given: the slope
 * 0.25 (0.25*(-0.2) = -0.05, carried as -0.1), the rate 0.24 and the decay
 * 0.016 of w - alpha dJ/dw - 2 alpha lambda w, never 0.3, 0.2 and 1.6e-02
 * (stress seeds 14 and 36: 0.8 - 0.2*(-0.6) = 0.944). */
static void test_rounded_constants(void **state)
{
    (void)state;
    lesson *l = parse("title t\ninput 1\nlayer leaky-relu(0.25) 2\nloss half-sse\nrate 0.24\ndecay 0.016\n"
                      "round 1\nsteps 1\nweight w_0,2 = 0.8\nweight w_1,2 = -1\nexample 1 -> 0\n");
    engine_result r;
    char err[256];
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), 0);
    strbuf b = {0};
    text_line(&b, r.tr, &r.tr->q[names_find(l, r.tr, NULL, "a_2")], 4);
    assert_non_null(strstr(b.s, " = ((-0.2)>=0 ? (-0.2) : 0.25*(-0.2)) = -0.05 ~ -0.1"));
    b.len = 0;
    text_line(&b, r.tr, &r.tr->q[names_find(l, r.tr, NULL, "w_1,2^(1)")], 4);
    assert_non_null(strstr(b.s, " = (-1) - 0.24*0 - 2*0.24*0.016*(-1) ~ -1"));
    sb_free(&b);
    engine_result_free(&r);
    lesson_free(l);
}

static void expect_error(const char *text, const char *want)
{
    char err[512];
    lesson *l = lesson_parse(text, strlen(text), "bad.lesson", err, sizeof err);
    if (l) { lesson_free(l); fail_msg("accepted: %s", text); }
    if (!strstr(err, want)) fail_msg("message '%s' lacks '%s'", err, want);
}

static void test_errors(void **state)
{
    (void)state;
    const char *net = "title t\ninput 1\nlayer logistic 2\nlayer logistic 3\ninit uniform -1 1 1\n";
    char buf[1024];
    snprintf(buf, sizeof buf, "%sdropout 2 0.5 1\nloss sse\nrate 1\nexample 1 -> 1\n", net);
    expect_error(buf, "bad.lesson:6: dropout layer 2: only a hidden layer");
    snprintf(buf, sizeof buf, "%sdropout 1 1 1\n", net);
    expect_error(buf, "bad.lesson:6: dropout probability must be at least 0 and below 1");
    snprintf(buf, sizeof buf, "%sbatchnorm 1 1 0\nloss sse\nrate 1\nexample 1 -> 1\nexample 2 -> 0\n", net);
    expect_error(buf, "bad.lesson:6: batchnorm is forward-only here");
    snprintf(buf, sizeof buf, "%sbatchnorm 3 1 0\nsteps 0\nexample 1\nexample 2\n", net);
    expect_error(buf, "bad.lesson:6: batchnorm layer 3: the network has 2 layers");
    snprintf(buf, sizeof buf, "%snormalise zscore\nsteps 0\nexample 1\n", net);
    expect_error(buf, "bad.lesson:6: 'normalise' needs at least 2 examples");
    snprintf(buf, sizeof buf, "%snormalise l2\n", net);
    expect_error(buf, "bad.lesson:6: 'normalise' takes zscore or minmax");
    expect_error("title t\ninput 1\nlayer logistic 2\ninit-layer 1 glorot 3\nexample 1\n",
                 "bad.lesson:4: unknown initialisation 'glorot'");
    expect_error("title t\ninput 1\nlayer logistic 2\ninit-layer 2 he 3\nexample 1\n",
                 "bad.lesson:4: init-layer 2: the network has 1 layer");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dropout_forward_backward),
        cmocka_unit_test(test_dropout_gradient_check),
        cmocka_unit_test(test_dropout_not_at_prediction),
        cmocka_unit_test(test_batchnorm),
        cmocka_unit_test(test_zscore_inputs),
        cmocka_unit_test(test_minmax_inputs),
        cmocka_unit_test(test_constant_input_noted),
        cmocka_unit_test(test_init_statistics),
        cmocka_unit_test(test_views),
        cmocka_unit_test(test_step_parentheses),
        cmocka_unit_test(test_rounded_constants),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("lessons2", tests, NULL, NULL);
}
