/*
 * test_eval.c - the evaluator: activation values and kinks, softmax with
 * cross-entropy, the log guard, calculator rounding, the operations. (Every
 * row's g' and output delta against central differences: test_tables.c.)
 */
#include "testutil.h"

#include "eval.h"

static void test_activation_values_and_kinks(void **state)
{
    (void)state;
    act_fn f;
    assert_int_equal(act_parse("logistic", &f), 0);
    assert_close(act_g(f, 0.19), 0.54735762, 5e-9, 0);     /* 07-2a: ~0.5474 */
    assert_int_equal(act_parse("leaky-relu(0.1)", &f), 0);
    assert_close(act_g(f, -2), -0.2, 1e-15, 0);
    assert_int_equal(act_parse("elu(2)", &f), 0);
    assert_close(act_g(f, -1), 2 * (exp(-1) - 1), 1e-15, 0);
    assert_int_equal(act_parse("leaky-relu", &f), 0);
    assert_close(f.param, 0.01, 0, 0);
    assert_int_equal(act_parse("relu(2)", &f), -1);          /* no parameter */
    assert_int_equal(act_parse("elu(x)", &f), -1);
    assert_int_equal(act_parse("swish", &f), -1);
    unsigned notes = 0;
    assert_int_equal(act_parse("relu", &f), 0);
    assert_close(act_dg(f, 0, 0, &notes), 1.0, 0, 0);        /* 002's table: 1 for x >= 0 */
    assert_true(notes & EVAL_NOTE_KINK);
    notes = 0;
    act_dg(f, 0.5, 0.5, &notes);
    assert_int_equal(notes, 0);
}

static void test_softmax_ce_delta(void **state)
{
    (void)state;
    double in[3] = {0.5, -1.2, 2.0}, y[3] = {0, 1, 0};
    act_fn sm = {ACT_SOFTMAX, 0};
    op_spec act = {OP_ACT, sm, LOSS_SOFTMAX_CE, 0, 0}, loss = {OP_LOSS, sm, LOSS_SOFTMAX_CE, 0, 0};
    op_spec del = {OP_DELTA_OUT, sm, LOSS_SOFTMAX_CE, 0, 0};
    double biggest = 0;
    for (int k = 0; k < 3; k++) {
        double grad_num, Jp = 0, Jm = 0, h = 1e-6;
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            double v[3] = {in[0], in[1], in[2]}, pairs[6];
            v[k] += sgn * h;
            for (int m = 0; m < 3; m++) {
                double x[4] = {v[m], v[0], v[1], v[2]};
                pairs[2 * m] = y[m];
                pairs[2 * m + 1] = eval_apply(&act, x, 4, NULL);
            }
            *(sgn < 0 ? &Jm : &Jp) = eval_apply(&loss, pairs, 6, NULL);
        }
        grad_num = (Jp - Jm) / (2 * h);
        double x[4] = {in[k], in[0], in[1], in[2]};
        double a = eval_apply(&act, x, 4, NULL), two[2] = {a, y[k]};
        double d = eval_apply(&del, two, 2, NULL);
        assert_close(d, grad_num, 1e-7, 1e-6);
        biggest = fmax(biggest, fabs(d));
    }
    assert_true(biggest > 0.1);
}

static void test_log_guard(void **state)
{
    (void)state;
    op_spec s = {OP_LOSS, {ACT_LOGISTIC, 0}, LOSS_BCE, 0, 0};
    double x[2] = {1.0, 0.0};         /* y = 1, a = 0: -ln 0 */
    unsigned notes = 0;
    double J = eval_apply(&s, x, 2, &notes);
    assert_true(isfinite(J));
    assert_close(J, -log(1e-12), 1e-9, 0);
    assert_true(notes & EVAL_NOTE_LOG_GUARD);
}

static void test_round_dp(void **state)
{
    (void)state;
    /* ties in decimal that binary stores just below: 07-2a's 0.21215 -> 0.2122 */
    assert_close(round_dp(0.1 - 0.5 * -0.2243, 4), 0.2122, 1e-15, 0);
    assert_close(round_dp(-0.11215, 4), -0.1122, 1e-15, 0);   /* half away from zero */
    assert_close(round_dp(2.5, 0), 3, 0, 0);
    assert_close(round_dp(-2.5, 0), -3, 0, 0);
    assert_close(round_dp(0.268941421, 2), 0.27, 1e-15, 0);   /* 07-2c */
    assert_close(round_dp(1.005, 2), 1.01, 1e-15, 0);
    assert_close(round_dp(0.5473576, 4), 0.5474, 1e-15, 0);
    assert_close(round_dp(0.24775324, 4), 0.2478, 1e-15, 0);
    assert_close(round_dp(0.12344, 4), 0.1234, 1e-15, 0);
    assert_close(round_dp(0.3, -1), 0.3, 0, 0);                /* off */
    /* where 64 DBL_EPSILON of s = |x| 10^d reaches half a unit (s >= 2^45),
     * a whole number stays whole and a value well below a tie rounds down
     * (150 at 12 decimals was 150.000000000001: the normalised input of
     * lessons/init-and-normalise.lesson, run --digits 12) */
    assert_close(round_dp(150, 12), 150, 0, 0);
    assert_close(round_dp(-180, 12), -180, 0, 0);
    assert_close(round_dp(227.8125, 12), 227.8125, 0, 0);   /* deep-linear-exploding J */
    assert_close(round_dp(150.0000000000003, 12), 150, 0, 0);  /* 0.3 of a unit: down */
    assert_close(round_dp(150.0000000000005, 12), 150.000000000001, 0, 0);   /* the tie: up */
}

static void test_operations(void **state)
{
    (void)state;
    op_spec s = {OP_WSUM, {0, 0}, 0, 0, 0};
    double w[6] = {5, 1, 1, 3, -2, 4};                        /* 07-2c: in_3 = 0 */
    assert_close(eval_apply(&s, w, 6, NULL), 0, 0, 0);
    assert_true(isnan(eval_apply(&s, w, 5, NULL)));            /* odd operand count */
    s.op = OP_UPDATE; s.p1 = 0.5; s.p2 = 0.01;
    double u[2] = {0.1, -0.2243};                             /* w - a g - 2 a l w */
    assert_close(eval_apply(&s, u, 2, NULL), 0.1 + 0.5 * 0.2243 - 2 * 0.5 * 0.01 * 0.1, 1e-15, 0);
    s.op = OP_DELTA_HID;
    double h[5] = {0.25, 0.4, -0.1, 0.5, 0.2};                /* g' (w Delta + w Delta) */
    assert_close(eval_apply(&s, h, 5, NULL), 0.25 * (0.4 * -0.1 + 0.5 * 0.2), 1e-15, 0);
    s.op = OP_MEAN;
    double m[3] = {1, 2, 6};
    assert_close(eval_apply(&s, m, 3, NULL), 3, 0, 0);
    s.op = OP_PERCEPTRON; s.p1 = 0.1;
    double pr[4] = {0.2, 1, 0, 0.5};                          /* w + a (y - h) x */
    assert_close(eval_apply(&s, pr, 4, NULL), 0.25, 1e-15, 0);
    s.op = OP_CONST;
    assert_true(isnan(eval_apply(&s, m, 0, NULL)));
}

/* A sum or difference that is exactly 0 in decimals is exactly 0, not the
 * binary rounding error (-0.9 + 0.8 + 0.1 is 2.8e-17 in doubles), in every
 * operation that adds or subtracts; a small value that is no rounding
 * error (a vanishing gradient's 3.2e-06) stays. */
static void test_cancellation(void **state)
{
    (void)state;
    static const struct { op_spec s; double x[8]; size_t n; double want; } CASES[] = {
        {{OP_WSUM, {0, 0}, 0, 0, 0}, {-0.9, 1, 0.8, 1, 0.1, 1}, 6, 0},           /* in_4 of a variant */
        {{OP_WSUM, {0, 0}, 0, 0, 0}, {0.1, 1, 0.2, 1, -0.3, 1}, 6, 0},
        {{OP_DELTA_HID, {0, 0}, 0, 0, 0}, {0.25, 0.1, 1, 0.2, 1, -0.3, 1}, 7, 0},
        {{OP_SUM, {0, 0}, 0, 0, 0}, {0.1, 0.2, -0.3}, 3, 0},
        {{OP_MEAN, {0, 0}, 0, 0, 0}, {0.1, 0.2, -0.3}, 3, 0},
        {{OP_ERR, {0, 0}, 0, 0, 0}, {0.3, 0.1 + 0.2}, 2, 0},                     /* y - a */
        {{OP_UPDATE, {0, 0}, 0, 0.1, 0}, {0.3, 3}, 2, 0},                        /* 0.3 - 0.1*3 */
        {{OP_PERCEPTRON, {0, 0}, 0, 0.1, 0}, {-0.3, 1, 0, 3}, 4, 0},             /* -0.3 + 0.1*1*3 */
        {{OP_LOSS, {0, 0}, LOSS_SSE, 0, 0}, {0.3, 0.1 + 0.2}, 2, 0},
        {{OP_DELTA_OUT, {0, 0}, LOSS_BCE, 0, 0}, {0.1 + 0.2, 0.3}, 2, 0},        /* a - y */
        {{OP_WSUM, {0, 0}, 0, 0, 0}, {3.2e-6, 1, 0.5, 0}, 4, 3.2e-6},            /* a real small value */
        {{OP_ERR, {0, 0}, 0, 0, 0}, {1, 0.99999}, 2, 1e-5},
        {{OP_ERR, {0, 0}, 0, 0, 0}, {1.5e308, -1e308}, 2, INFINITY},           /* overflow stays */
        {{OP_WSUM, {0, 0}, 0, 0, 0}, {1e308, 3, 1, 1}, 4, INFINITY},
        {{OP_WSUM, {0, 0}, 0, 0, 0}, {1.5e308, 1, -1e308, 1}, 4, 0.5e308},      /* a huge scale: not 0 */
    };
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        double v = eval_apply(&CASES[k].s, CASES[k].x, CASES[k].n, NULL);
        if (CASES[k].want == 0 && v != 0.0) fail_msg("case %zu: %g, not 0", k, v);
        if (isinf(CASES[k].want) && v != CASES[k].want) fail_msg("case %zu: %g, not inf", k, v);
        if (CASES[k].want != 0 && isfinite(CASES[k].want)) assert_close(v, CASES[k].want, 1e-15, 1e-15);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activation_values_and_kinks),
        cmocka_unit_test(test_softmax_ce_delta),
        cmocka_unit_test(test_log_guard),
        cmocka_unit_test(test_round_dp),
        cmocka_unit_test(test_operations),
        cmocka_unit_test(test_cancellation),
    };
    return cmocka_run_group_tests_name("eval", tests, NULL, NULL);
}
