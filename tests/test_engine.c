/*
 * test_engine.c - the scalar engine: backprop against central differences on
 * seeded random networks for every activation x loss pair, and the training
 * loop's bookkeeping (untraced steps, mini-batch, decay, frozen weights).
 */
#include "testutil.h"

#include "engine.h"
#include "gradcheck.h"
#include "names.h"

static lesson *parse_or_fail(const char *text)
{
    char err[1024];
    lesson *l = lesson_parse(text, strlen(text), "t.lesson", err, sizeof err);
    if (!l) fail_msg("%s\n--- lesson ---\n%s", err, text);
    return l;
}

static double uniform(uint64_t *s)
{
    *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
    return (double)(*s >> 11) * 0x1.0p-53;
}

/* A 3-4-(3|1) network: hidden activation `hid`, output activation and loss
 * as given, 3 examples (batch 3), seeded weights and data. */
static char *random_lesson(const char *hid, const char *out_act, const char *loss, int n_out, uint64_t seed)
{
    static const size_t cap = 4096;
    char *t = malloc(cap);
    uint64_t s = seed * 2654435761u + 1;
    size_t n = (size_t)snprintf(t, cap, "title gradcheck\ninput 1 2 3\nlayer %s 4 5 6 7\nlayer %s", hid, out_act);
    for (int k = 0; k < n_out; k++) n += (size_t)snprintf(t + n, cap - n, " %d", 8 + k);
    n += (size_t)snprintf(t + n, cap - n, "\ninit uniform -1 1 %llu\nloss %s\nrate 0.1\nbatch 3\n",
                          (unsigned long long)seed, loss);
    for (int e = 0; e < 3; e++) {
        n += (size_t)snprintf(t + n, cap - n, "example");
        for (int k = 0; k < 3; k++) n += (size_t)snprintf(t + n, cap - n, " %.6f", 2 * uniform(&s) - 1);
        n += (size_t)snprintf(t + n, cap - n, " ->");
        int hot = (int)(uniform(&s) * n_out);
        for (int k = 0; k < n_out; k++) {
            double y = !strcmp(loss, "softmax-ce") ? (k == hot) : !strcmp(loss, "bce") ? uniform(&s) : 2 * uniform(&s) - 1;
            n += (size_t)snprintf(t + n, cap - n, " %.6f", y);
        }
        n += (size_t)snprintf(t + n, cap - n, "\n");
    }
    return t;
}

/* max over arcs of |num - bp| / max(|num| + |bp|, 1e-6); *biggest = max |bp| */
static double gradcheck(const lesson *l, double *biggest)
{
    size_t na = (size_t)l->n_arcs;
    double *w = malloc(na * sizeof *w), *g = malloc(na * sizeof *g), J, Jp, Jm, worst = 0;
    assert_non_null(w);
    assert_non_null(g);
    for (size_t a = 0; a < na; a++) w[a] = l->arcs[a].w;
    assert_int_equal(engine_loss_grad(l, w, &J, g), 0);
    *biggest = 0;
    for (size_t a = 0; a < na; a++) {
        double w0 = w[a], h = 1e-5;
        w[a] = w0 + h; assert_int_equal(engine_loss_grad(l, w, &Jp, NULL), 0);
        w[a] = w0 - h; assert_int_equal(engine_loss_grad(l, w, &Jm, NULL), 0);
        w[a] = w0;
        double num = (Jp - Jm) / (2 * h);
        worst = fmax(worst, fabs(num - g[a]) / fmax(fabs(num) + fabs(g[a]), 1e-6));
        *biggest = fmax(*biggest, fabs(g[a]));
    }
    free(w);
    free(g);
    return worst;
}

/* Every activation row in the hidden layer x every loss row (its own output
 * activation where it needs one), three seeds each. */
static void test_gradcheck_every_pair(void **state)
{
    (void)state;
    int checked = 0, pairs = 0;
    for (int h = 0; h < ACT_COUNT; h++) {
        if (!ACT_ROWS[h].g) continue;                   /* softmax: output layer only */
        char hid[64];
        act_fn hf = {(act_kind)h, ACT_ROWS[h].param_name ? 0.3 : ACT_ROWS[h].param};
        act_label(hf, hid, sizeof hid);
        for (int k = 0; k < LOSS_COUNT; k++) {
            const loss_row *L = &LOSS_ROWS[k];
            double pair_biggest = 0;      /* all-zero guard over the pair's seeds */
            for (uint64_t seed = 1; seed <= 3; seed++) {
                const char *out = L->needs_out != ACT_COUNT ? act_name(L->needs_out) : hid;
                if (!strcmp(out, "step")) out = "identity";   /* J flat in the output: nothing to check */
                char *t = random_lesson(hid, out, L->name, L->needs_out == ACT_SOFTMAX ? 3 : 2, seed);
                lesson *l = parse_or_fail(t);
                double biggest, err = gradcheck(l, &biggest);
                if (err > 1e-6)
                    fail_msg("hidden %s, output %s, loss %s, seed %llu: max relative error %.3g",
                             hid, out, L->name, (unsigned long long)seed, err);
                pair_biggest = fmax(pair_biggest, biggest);
                lesson_free(l);
                free(t);
                checked++;
            }
            if (pair_biggest < 1e-3)
                fail_msg("hidden %s, loss %s: every gradient ~0, the check proves nothing", hid, L->name);
            pairs++;
        }
    }
    assert_int_equal(pairs, (ACT_COUNT - 1) * LOSS_COUNT);
    assert_int_equal(checked, 3 * pairs);
}

/* gradcheck.h's check: no false alarm on any activation x loss pair (seeds
 * 1..8), and a wrong g' injected through the engine's test hook (each
 * hidden layer's g' taken from another activation) is caught, also when
 * the work bound leaves only the random direction. */
/* A saturated output: sigma(40) is 1 in double, so bce's log(1 - a) takes
 * 0 as the guard 1e-12 and J is flat in w, while backprop's Delta = a - y
 * gives dJ/dw_1,2 = 0.7 * 40. Not a wrong gradient: said as "log guard". */
static void test_gradcheck_log_guard(void **state)
{
    (void)state;
    lesson *l = parse_or_fail("title guard\ninput 1\nlayer logistic 2\nweight w_0,2 = 0\nweight w_1,2 = 1\n"
                              "loss bce\nexample 40 -> 0.3\n");
    gradcheck_result r;
    gradcheck_opts o = {.tol = 1e-6};
    assert_int_equal(gradcheck_run(l, &o, &r), 0);
    assert_int_equal(r.n_fail, 0);
    assert_true(r.n_guard >= 1);
    assert_int_equal(r.rows[1].verdict, GC_GUARD);          /* w_1,2 */
    assert_true(fabs(r.rows[1].backprop - 28.0) < 1e-9);
    assert_true(r.rows[1].numeric == 0.0);
    gradcheck_result_free(&r);
    lesson_free(l);
    /* off the guard (x = 4), the same lesson is checked as usual */
    l = parse_or_fail("title guard\ninput 1\nlayer logistic 2\nweight w_0,2 = 0\nweight w_1,2 = 1\n"
                      "loss bce\nexample 4 -> 0.3\n");
    assert_int_equal(gradcheck_run(l, &o, &r), 0);
    assert_int_equal(r.n_fail + r.n_guard, 0);
    gradcheck_result_free(&r);
    lesson_free(l);
}

/* Two step outputs whose thresholds lie 2e-5 either side of the weights
 * along the direction (x = 0.5, in_2 = in_3 = 2e-5): J jumps up on one side
 * and down on the other, so the even second difference c1 - 2 c2 cancels;
 * the odd one, D1 - D2, is the jump over h. Each weight alone and the
 * direction are "not smooth", never WRONG (stress seed 1284: exit 1 for
 * backprop's right zero gradients). */
static void test_gradcheck_jumps_both_sides(void **state)
{
    (void)state;
    lesson *l = parse_or_fail("title jumps\ninput 1\nlayer step 2 3\nloss sse\nweight w_0,2 = 2e-5\n"
                              "weight w_1,2 = 0\nweight w_0,3 = 2e-5\nweight w_1,3 = 0\nexample 0.5 -> 1 0\n");
    gradcheck_result r;
    gradcheck_opts o = {.tol = 1e-6};
    assert_int_equal(gradcheck_run(l, &o, &r), 0);
    assert_int_equal(r.n_fail, 0);
    assert_int_equal(r.dir.verdict, GC_ROUGH);
    assert_int_equal(r.n_rough, 5);
    gradcheck_result_free(&r);
    lesson_free(l);
}

/* x = 0 puts in_3 = -a_2 and in_4 = a_2 of two leaky ReLUs on their kink;
 * along w_0,2 their slopes swap (0.01 and 1 either way), so a_5 = -1.01 t
 * is straight through the kink while backprop's g'(0) = 1 for both gives
 * -2 t: "not smooth", never WRONG (stress seed 1222, where x = 0 and zero
 * biases put two leaky ReLUs on their kink). */
static void test_gradcheck_two_kinks_at_w(void **state)
{
    (void)state;
    lesson *l = parse_or_fail("title kinks\ninput 1\nlayer tanh 2\nlayer leaky-relu 3 4\nlayer identity 5\n"
                              "nobias 3 4\nloss sse\nweight w_0,2 = 0\nweight w_1,2 = 1\nweight w_2,3 = -1\n"
                              "weight w_2,4 = 1\nweight w_0,5 = 0\nweight w_3,5 = 1\nweight w_4,5 = -1\n"
                              "example 0 -> 1\n");
    gradcheck_result r;
    gradcheck_opts o = {.tol = 1e-6};
    assert_int_equal(gradcheck_run(l, &o, &r), 0);
    assert_int_equal(r.n_fail, 0);
    assert_int_equal(r.rows[0].verdict, GC_ROUGH);          /* w_0,2: backprop 4, differences 2.02 */
    assert_true(fabs(r.rows[0].backprop - 4.0) < 1e-12);
    assert_int_equal(r.rows[4].verdict, GC_OK);             /* w_0,5: -2, off the kinks' path */
    gradcheck_result_free(&r);
    lesson_free(l);
}

/* A softmax output nearly certain: x = 11 gives a_2 = 1 - 2.7e-10 and
 * J = -ln a_2 = 2.7e-10, whose round-off is DBL_EPSILON (that of ln a_2
 * for a_2 near 1), not DBL_EPSILON J: the floor holds it, and the right
 * gradients (about 3e-9) are right, none WRONG (3 were before: stress seed
 * 1257, a 17.5 input into a softmax). */
static void test_gradcheck_certain_softmax(void **state)
{
    (void)state;
    lesson *l = parse_or_fail("title sat\ninput 1\nlayer softmax 2 3\nloss softmax-ce\nweight w_0,2 = 0.3\n"
                              "weight w_1,2 = 1\nweight w_0,3 = -0.2\nweight w_1,3 = -1\nexample 11 -> 1 0\n");
    gradcheck_result r;
    gradcheck_opts o = {.tol = 1e-6};
    assert_int_equal(gradcheck_run(l, &o, &r), 0);
    assert_int_equal(r.n_fail + r.n_rough + r.n_guard, 0);
    assert_true(r.biggest > 1e-9 && r.biggest < 1e-8);
    gradcheck_result_free(&r);
    lesson_free(l);
}

static void test_gradcheck_floor_and_wrong_gprime(void **state)
{
    (void)state;
    /* every activation row with a g' that is not 0 everywhere, x every loss row */
    char acts[ACT_COUNT][64];
    size_t n_acts = 0;
    for (int h = 0; h < ACT_COUNT; h++) {
        if (!ACT_ROWS[h].g || !strcmp(ACT_ROWS[h].dg_form[SYN_ASCII], "0")) continue;
        act_fn f = {(act_kind)h, ACT_ROWS[h].param_name ? 0.3 : ACT_ROWS[h].param};
        act_label(f, acts[n_acts++], sizeof acts[0]);
    }
    struct { const char *loss, *out; int n_out; } losses[LOSS_COUNT];
    for (int k = 0; k < LOSS_COUNT; k++) {
        act_kind need = LOSS_ROWS[k].needs_out;
        losses[k].loss = LOSS_ROWS[k].name;
        losses[k].out = need == ACT_COUNT ? NULL : act_name(need);
        losses[k].n_out = need == ACT_SOFTMAX ? 3 : 2;
    }
    int caught = 0, injected = 0;
    for (size_t h = 0; h < n_acts; h++)
        for (size_t k = 0; k < LOSS_COUNT; k++)
            for (uint64_t seed = 1; seed <= 8; seed++) {
                const char *out = losses[k].out ? losses[k].out : acts[h];
                char *t = random_lesson(acts[h], out, losses[k].loss, losses[k].n_out, seed);
                lesson *l = parse_or_fail(t);
                gradcheck_result r;
                gradcheck_opts o = {.tol = 1e-6};
                assert_int_equal(gradcheck_run(l, &o, &r), 0);
                if (r.n_fail) fail_msg("false alarm: hidden %s, loss %s, seed %llu: %d wrong",
                                       acts[h], losses[k].loss, (unsigned long long)seed, r.n_fail);
                gradcheck_result_free(&r);
                /* the hidden layer's g' from tanh (or logistic when it is tanh) */
                act_fn wrong[2] = {{ACT_TANH, 0}, l->layers[1].act};
                if (l->layers[0].act.kind == ACT_TANH) wrong[0].kind = ACT_LOGISTIC;
                o.dact = wrong;
                /* does the wrong g' change the gradient at all? (a dead ReLU
                 * output, for one, makes every gradient 0 either way) */
                size_t na = (size_t)l->n_arcs;
                double *w = malloc(na * sizeof *w), *g1 = malloc(na * sizeof *g1), *g2 = malloc(na * sizeof *g2), J;
                assert_true(w && g1 && g2);
                for (size_t a = 0; a < na; a++) w[a] = l->arcs[a].w;
                assert_int_equal(engine_loss_grad(l, w, &J, g1), 0);
                assert_int_equal(engine_loss_grad_hook(l, w, wrong, &J, g2), 0);
                double gap = 0, size = 0;
                for (size_t a = 0; a < na; a++) { gap = fmax(gap, fabs(g1[a] - g2[a])); size = fmax(size, fabs(g1[a])); }
                free(w); free(g1); free(g2);
                if (!(gap > 1e-3 * size + 1e-9)) { lesson_free(l); free(t); continue; }
                assert_int_equal(gradcheck_run(l, &o, &r), 0);
                injected++;
                caught += r.n_fail > 0;
                gradcheck_result_free(&r);
                o.max_work = 1;               /* only the direction fits */
                assert_int_equal(gradcheck_run(l, &o, &r), 0);
                assert_int_equal(r.n_rows, 0);
                if (r.dir.verdict != GC_FAIL)
                    fail_msg("direction missed a wrong g': hidden %s, loss %s, seed %llu: "
                             "verdict %d, b.d %.17g, num %.17g, floor %.3g",
                             acts[h], losses[k].loss, (unsigned long long)seed, r.dir.verdict,
                             r.dir.backprop, r.dir.numeric, r.dir.floor);
                gradcheck_result_free(&r);
                lesson_free(l);
                free(t);
            }
    assert_int_equal(caught, injected);
    assert_true(injected > (int)(n_acts * LOSS_COUNT * 8 / 2));   /* most cases do inject a wrong gradient */
}

static const char *MAZUR =
    "title 2-2-2\ninput 1 2\nlayer logistic 3 4\nlayer logistic 5 6\n"
    "weight w_1,3 = 0.15\nweight w_2,3 = 0.20\nweight w_1,4 = 0.25\nweight w_2,4 = 0.30\n"
    "weight w_0,3 = 0.35\nweight w_0,4 = 0.35\nweight w_3,5 = 0.40\nweight w_4,5 = 0.45\n"
    "weight w_3,6 = 0.50\nweight w_4,6 = 0.55\nweight w_0,5 = 0.60\nweight w_0,6 = 0.60\n"
    "freeze w_0,3 w_0,4 w_0,5 w_0,6\nloss half-sse\nrate 0.5\nexample 0.05 0.10 -> 0.01 0.99\n";

static lesson *with_steps(const char *base, const char *extra)
{
    char t[4096];
    snprintf(t, sizeof t, "%s%s", base, extra);
    return parse_or_fail(t);
}

static void test_untraced_steps_match_traced(void **state)
{
    (void)state;
    lesson *l = with_steps(MAZUR, "steps 200\ntrace 1 200\nreport 1 100 200\n");
    engine_opts traced_all = {.round = ENGINE_ROUND_LESSON, .trace_all = 1}, lesson_opts = {.round = ENGINE_ROUND_LESSON};
    engine_result a, b;
    char err[256];
    assert_int_equal(engine_run(l, &traced_all, &a, err, sizeof err), 0);
    assert_int_equal(engine_run(l, &lesson_opts, &b, err, sizeof err), 0);
    assert_true(b.tr->n < a.tr->n / 10);          /* the untraced steps were dropped */
    for (int k = 0; k < l->n_arcs; k++) assert_close(b.weights[k], a.weights[k], 0, 0);
    for (int s = 0; s < 200; s++) assert_close(b.loss[s], a.loss[s], 0, 0);
    assert_true(a.loss[199] < a.loss[0]);          /* training reduces the error */
    /* frozen biases never move */
    assert_close(b.weights[lesson_arc_index(l, 0, 5)], 0.60, 0, 0);
    /* step 200 is traced: its update names carry ^(200) */
    assert_true(trace_find(b.tr, "w_3,5^(200)") >= 0);
    assert_true(trace_find(b.tr, "w_3,5^(100)") < 0);
    engine_result_free(&a);
    engine_result_free(&b);
    lesson_free(l);
}

static void test_mazur_published_first_step(void **state)
{
    (void)state;
    /* 002's worked example, exact arithmetic: E_total and the updated weights */
    lesson *l = with_steps(MAZUR, "steps 1\n");
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    engine_result r;
    char err[256];
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), 0);
    assert_close(r.tr->q[trace_find(r.tr, "a_3")].value, 0.593269992, 5e-10, 0);
    assert_close(r.tr->q[trace_find(r.tr, "a_6")].value, 0.772928465, 5e-10, 0);
    assert_close(r.tr->q[trace_find(r.tr, "J")].value, 0.298371109, 5e-10, 0);
    assert_close(r.weights[lesson_arc_index(l, 3, 5)], 0.35891648, 5e-9, 0);
    assert_close(r.weights[lesson_arc_index(l, 4, 6)], 0.561370121, 5e-10, 0);
    assert_close(r.weights[lesson_arc_index(l, 1, 3)], 0.149780716, 5e-10, 0);
    assert_close(r.weights[lesson_arc_index(l, 2, 4)], 0.29950229, 5e-9, 0);
    engine_result_free(&r);
    lesson_free(l);
}

static void test_minibatch_mean_and_decay(void **state)
{
    (void)state;
    const char *t = "title mb\ninput 1\nlayer identity 2\nweight w_0,2 = 0.5\nweight w_1,2 = -1\n"
                    "loss sse\nrate 0.1\ndecay 0.01\nbatch 2\nsteps 1\n"
                    "example 1 -> 0\nexample 2 -> 1\n";
    lesson *l = parse_or_fail(t);
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    engine_result r;
    char err[256];
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), 0);
    /* by hand: a[1] = 0.5 - 1 = -0.5, Delta[1] = -2 (0 - (-0.5)) = -1;
     *          a[2] = 0.5 - 2 = -1.5, Delta[2] = -2 (1 + 1.5) = -5
     * dJ/dw_1,2 = mean(-1*1, -5*2) = -5.5; w <- -1 + 0.55 - 2*0.1*0.01*(-1) = -0.448 */
    assert_close(r.tr->q[trace_find(r.tr, "dJ/dw_1,2")].value, -5.5, 1e-15, 0);
    assert_close(r.tr->q[trace_find(r.tr, "dJ/dw_1,2[2]")].value, -10, 1e-15, 0);
    assert_close(r.weights[lesson_arc_index(l, 1, 2)], -0.448, 1e-15, 0);
    assert_close(r.loss[0], (0.25 + 6.25) / 2, 1e-15, 0);
    engine_result_free(&r);
    lesson_free(l);
}

static void test_names_resolve(void **state)
{
    (void)state;
    const char *t = "title n\ninput 1 2\nlayer logistic 3\nlabel 3 o1\nalias w5 w_1,3\n"
                    "weight w_0,3 = 0.1\nweight w5 = 0.1\nweight w_2,3 = 0.1\n"
                    "loss sse\nrate 0.5\nsteps 2\nexample 0.4 0.5 -> 1\n";
    lesson *l = parse_or_fail(t);
    char c[96];
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    engine_result r;
    char err[256];
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), 0);
    names_index *ix = names_index_new(l, r.tr, NOTATION_VA);
    assert_non_null(ix);
    for (size_t id = 0; id < r.tr->n; id++) {      /* every name finds its own quantity */
        char n[96];
        trace_name(&r.tr->q[id], n, sizeof n);
        long got = names_index_get(ix, n);
        if (got < 0) fail_msg("%s not in the index", n);
        trace_name(&r.tr->q[got], c, sizeof c);
        assert_string_equal(c, n);
    }
    assert_int_equal(names_find(l, r.tr, ix, "w5^(2)"), trace_find(r.tr, "w_1,3^(2)"));
    /* labels, aliases, a_1 for x_1, Delta, ^(0), suffixes; unknown names */
    static const struct { const char *typed, *canonical; } F[] = {
        {"a_o1", "a_3"}, {"w5^(1)", "w_1,3^(1)"}, {"dJ/dw5", "dJ/dw_1,3"}, {"a_1", "x_1"},
        {"Delta_o1^(0)", "delta_3"}, {"g'(in_o1)^(1)", "g'(in_3)^(1)"},
    };
    for (size_t k = 0; k < sizeof F / sizeof F[0]; k++) {
        long id = names_find(l, r.tr, ix, F[k].typed);
        if (id < 0) fail_msg("'%s' not found", F[k].typed);
        trace_name(&r.tr->q[id], c, sizeof c);
        if (strcmp(c, F[k].canonical)) fail_msg("'%s' is %s, not %s", F[k].typed, c, F[k].canonical);
    }
    assert_true(names_find(l, r.tr, ix, "in_9") < 0);
    assert_true(names_find(l, r.tr, ix, "zz_3") < 0);
    assert_true(names_find(l, r.tr, ix, "in_3^(x)") < 0);
    names_index_free(ix);
    engine_result_free(&r);
    lesson_free(l);
}

/* `trace all` traces every step, however many there are (the default for a
 * lesson without `trace` is every step up to ENGINE_DEFAULT_TRACED, then the
 * first and last only). */
static void test_trace_all_key(void **state)
{
    (void)state;
    lesson *l = with_steps(MAZUR, "steps 30\ntrace all\n");
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    engine_result r;
    char err[256];
    for (int k = 1; k <= 30; k++) assert_true(engine_traced(l, &o, k));
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), 0);
    assert_true(trace_find(r.tr, "w_3,5^(15)") >= 0);
    engine_result_free(&r);
    lesson_free(l);
}

/* [e] names the lesson example (its `example` line, 1-based), not the
 * position inside the batch: batch 2 over 3 examples, step 2 reads examples
 * 3 and 1 (engine.h: (t*B + b) mod n). */
static void test_batch_names_lesson_example(void **state)
{
    (void)state;
    const char *t = "title e\ninput 1\nlayer identity 2\nweight w_0,2 = 0\nweight w_1,2 = 1\n"
                    "loss sse\nrate 0\nbatch 2\nsteps 2\nfinal-forward yes\n"
                    "example 10 -> 0\nexample 20 -> 0\nexample 30 -> 0\n";
    lesson *l = parse_or_fail(t);
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    engine_result r;
    char err[256];
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), 0);
    /* rate 0: a_2 = x_1 of the example it names */
    assert_close(r.tr->q[trace_find(r.tr, "a_2[1]")].value, 10, 0, 0);
    assert_close(r.tr->q[trace_find(r.tr, "a_2[2]")].value, 20, 0, 0);
    assert_true(trace_find(r.tr, "a_2^(1)[2]") < 0);
    assert_close(r.tr->q[trace_find(r.tr, "a_2^(1)[3]")].value, 30, 0, 0);
    assert_close(r.tr->q[trace_find(r.tr, "a_2^(1)[1]")].value, 10, 0, 0);
    /* the final forward pass numbers them the same way */
    assert_close(r.tr->q[trace_find(r.tr, "a_2^(2)[2]")].value, 20, 0, 0);
    engine_result_free(&r);
    lesson_free(l);
}

/* The engine's scratch operand list is sized by the widest operation, not
 * by a formula over arc and neuron counts: a lesson with more output
 * neurons than arcs (J takes 2 operands per output) overflowed it
 * (heap-buffer-overflow under ASan). The parser now refuses a neuron without
 * an incoming arc, so the lesson the parser used to accept is rebuilt here:
 * nine identity outputs, only w_1,2 present. */
static void test_sparse_outputs_scratch(void **state)
{
    (void)state;
    const char *t = "title sparse outputs\ninput 1\nlayer identity 2 3 4 5 6 7 8 9 10\n"
                    "nobias 2 3 4 5 6 7 8 9 10\narcs listed\nweight w_1,2 = 0.5\n"
                    "weight w_1,3 = 0\nweight w_1,4 = 0\nweight w_1,5 = 0\nweight w_1,6 = 0\n"
                    "weight w_1,7 = 0\nweight w_1,8 = 0\nweight w_1,9 = 0\nweight w_1,10 = 0\n"
                    "loss sse\nexample 1 -> 0 0 0 0 0 0 0 0 0\n";
    lesson *l = parse_or_fail(t);
    /* drop the arcs into 3 .. 10: arcs are sorted by (j, i), so w_1,2 stays */
    assert_int_equal(l->n_arcs, 9);
    assert_int_equal(l->arcs[0].i, 1);
    assert_int_equal(l->arcs[0].j, 2);
    l->n_arcs = 1;
    for (int id = 3; id <= l->max_id + 1; id++) l->arc_in[id] = 1;
    for (int id = 2; id <= l->max_id + 1; id++) l->arc_out[id] = 1;
    l->out_idx[0] = 0;
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    engine_result r;
    char err[256];
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), 0);
    /* a_2 = 0.5 * 1, the other outputs have in_j = 0: J = (0 - 0.5)^2 */
    assert_close(r.tr->q[trace_find(r.tr, "a_2")].value, 0.5, 0, 0);
    assert_close(r.tr->q[trace_find(r.tr, "a_10")].value, 0, 0, 0);
    assert_close(r.tr->q[trace_find(r.tr, "J")].value, 0.25, 0, 0);
    engine_result_free(&r);
    lesson_free(l);
}

/* h extended by what q is: kind, step, neuron, value. */
static uint64_t quantity_hash(uint64_t h, const quantity *q)
{
    uint64_t v;
    memcpy(&v, &q->value, sizeof v);
    uint64_t parts[5] = {(uint64_t)q->kind, (uint64_t)(uint32_t)q->t, (uint64_t)(uint32_t)q->i,
                         (uint64_t)(uint32_t)q->j, v};
    for (int k = 0; k < 5; k++) h = (h ^ parts[k]) * UINT64_C(0x100000001B3);
    return h;
}

/* What a watch saw (engine_opts.watch): the ranges of quantities in order,
 * the step of each call, and where to stop (0: never). */
typedef struct {
    size_t next;           /* the next quantity expected: ranges must join */
    uint64_t hash;         /* of every quantity seen, as it was when seen */
    int    calls, last_k, steps_seen, ends, stop_at, bad;
    char   why[160];
} watched;

static int watch_rec(void *ctx, const trace *tr, size_t from, size_t to, int k)
{
    watched *w = ctx;
    w->calls++;
    if (!w->bad && (from != w->next || to < from || to > tr->n || w->ends)) {
        snprintf(w->why, sizeof w->why, "call %d (k = %d): [%zu, %zu) after %zu, trace of %zu%s", w->calls, k,
                 from, to, w->next, tr->n, w->ends ? ", after the end" : "");
        w->bad = 1;
    }
    if (!w->bad && k > 0 && k != w->last_k + 1) {
        snprintf(w->why, sizeof w->why, "step %d after step %d", k, w->last_k);
        w->bad = 1;
    }
    if (k > 0) w->last_k = k; else w->ends++;
    for (size_t id = from; id < to; id++) w->hash = quantity_hash(w->hash, &tr->q[id]);
    w->next = to;
    return w->stop_at > 0 && k == w->stop_at;
}

/* engine_opts.watch sees every quantity of the finished trace once, in
 * order, after every step and at the end (k = 0), also where untraced steps
 * run on values (mazur 200), are built and dropped (the perceptron, which
 * stops early), or come in batches with a final forward pass (xor-mlp);
 * a watch that says stop stops the run with ENG_STOPPED and no result. */
static void test_watch_sees_the_trace(void **state)
{
    (void)state;
    static const char *const LESSONS[] = {
        "lessons/sauppe-sgd-step.lesson", "lessons/perceptron-and.lesson", "lessons/perceptron-xor.lesson",
        "lessons/xor-mlp.lesson", "lessons/mazur-2-2-2-10000.lesson", "lessons/sauppe-forward.lesson",
        "lessons/init-and-normalise.lesson", "lessons/dropout-step.lesson",
    };
    char err[1024];
    for (size_t k = 0; k < sizeof LESSONS / sizeof LESSONS[0]; k++) {
        lesson *l = lesson_load(LESSONS[k], err, sizeof err);
        if (!l) fail_msg("%s", err);
        for (int all = 0; all < 2; all++) {
            watched w = {0};
            engine_opts o = {.round = ENGINE_ROUND_LESSON, .trace_all = all && l->steps <= 100,
                             .watch = watch_rec, .watch_ctx = &w};
            engine_result r, plain;
            if (engine_run(l, &o, &r, err, sizeof err)) fail_msg("%s", err);
            o.watch = NULL;
            if (engine_run(l, &o, &plain, err, sizeof err)) fail_msg("%s", err);
            if (w.bad) fail_msg("%s: %s", LESSONS[k], w.why);
            if (w.next != r.tr->n || w.ends != 1 || w.last_k != r.steps)
                fail_msg("%s: the watch saw %zu of %zu quantities, %d end calls, steps up to %d of %d", LESSONS[k],
                         w.next, r.tr->n, w.ends, w.last_k, r.steps);
            uint64_t h = 0;                                  /* what it saw is what stayed */
            for (size_t id = 0; id < r.tr->n; id++) h = quantity_hash(h, &r.tr->q[id]);
            if (h != w.hash) fail_msg("%s: the watch saw quantities the trace does not keep", LESSONS[k]);
            assert_int_equal(r.tr->n, plain.tr->n);          /* watching changes nothing */
            for (size_t id = 0; id < r.tr->n; id++) assert_close(r.tr->q[id].value, plain.tr->q[id].value, 0, 0);
            engine_result_free(&plain);
            engine_result_free(&r);
        }
        lesson_free(l);
    }
    lesson *l = with_steps(MAZUR, "steps 200\ntrace 1 200\n");
    watched w = {.stop_at = 150};
    engine_opts o = {.round = ENGINE_ROUND_LESSON, .watch = watch_rec, .watch_ctx = &w};
    engine_result r;
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), ENG_STOPPED);
    assert_int_equal(w.last_k, 150);                       /* an untraced step: stopped there */
    assert_int_equal(w.ends, 0);
    assert_null(r.tr);
    lesson_free(l);
}

/* engine_run says what failed: a trace past its limit is ENG_ERR_TRACE_FULL
 * with its own sentence, not "out of memory". */
static void test_status_trace_full(void **state)
{
    (void)state;
    for (int s = 0; s < ENG_STATUS_COUNT; s++) {
        assert_non_null(engine_strerror((engine_status)s));
        for (int m = 0; m < s; m++)
            assert_string_not_equal(engine_strerror((engine_status)s), engine_strerror((engine_status)m));
    }
    assert_string_equal(engine_strerror(ENG_STATUS_COUNT), "unknown engine status");
    lesson *l = with_steps(MAZUR, "steps 100\ntrace all\n");
    engine_opts o = {.round = ENGINE_ROUND_LESSON, .max_quantities = 1000};
    engine_result r;
    char err[512], want[512];
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), ENG_ERR_TRACE_FULL);
    snprintf(want, sizeof want, "%s: %s", l->path, engine_strerror(ENG_ERR_TRACE_FULL));
    assert_string_equal(err, want);
    assert_non_null(strstr(err, "trace is full"));
    assert_null(r.tr);                     /* nothing half-made is handed back */
    o.max_quantities = 0;                  /* the real limit: the same run fits */
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), ENG_OK);
    assert_true(r.tr->n > 1000);
    engine_result_free(&r);
    lesson_free(l);
}

/* Bounded work (engine.h): the audit's lessons are refused before running,
 * with the numbers that multiply to the total; one just inside runs. */
static void test_bounded_work(void **state)
{
    (void)state;
    size_t cap = 1 << 18;
    char *t = malloc(cap), err[512];
    assert_non_null(t);
    /* 315 inputs x 315 hidden + 316 arcs: 99,856 arcs, ten million steps */
    size_t n = (size_t)snprintf(t, cap, "title w\ninput");
    for (int k = 1; k <= 315; k++) n += (size_t)snprintf(t + n, cap - n, " %d", k);
    n += (size_t)snprintf(t + n, cap - n, "\nlayer logistic");
    for (int k = 316; k <= 630; k++) n += (size_t)snprintf(t + n, cap - n, " %d", k);
    n += (size_t)snprintf(t + n, cap - n, "\nlayer logistic 631\ninit uniform -0.1 0.1 1\nloss sse\nrate 0.1\n"
                          "steps 10000000\nexample");
    for (int k = 1; k <= 315; k++) n += (size_t)snprintf(t + n, cap - n, " 0.5");
    snprintf(t + n, cap - n, " -> 1\n");
    lesson *l = parse_or_fail(t);
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    engine_result r;
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), ENG_ERR_TOO_MUCH_WORK);
    assert_non_null(strstr(err, "too much work: steps 10000000 x batch 1 x (arcs 99856 + neurons 316) = 1e+12"));
    l->steps = 400;             /* 400 x 100172 = 4.0e7: inside; 2 traced steps */
    assert_int_equal(engine_check_work(l, &o, err, sizeof err), 0);
    o.trace_all = 1;            /* --all-steps: 400 traced steps of ~200,000 quantities */
    assert_int_equal(engine_check_work(l, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "the trace would be too large: traced steps 400 x about"));
    lesson_free(l);
    /* batch 10000 over 10000 examples, 20 steps, all traced */
    n = (size_t)snprintf(t, cap, "title b\ninput 1 2\nlayer logistic 3\ninit uniform -0.1 0.1 1\nloss sse\n"
                         "rate 0.1\nbatch 10000\nsteps 20\n");
    for (int e = 0; e < 10000; e++) n += (size_t)snprintf(t + n, cap - n, "example 0.1 0.2 -> 1\n");
    l = parse_or_fail(t);
    o.trace_all = 0;
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), ENG_ERR_TOO_MUCH_WORK);
    assert_non_null(strstr(err, "traced steps 20 x about 120006 quantities each (batch 10000"));
    lesson_free(l);
    free(t);
}

/* `update no`: a backward-only lesson -- forward, loss, backward and
 * gradients, no update and no rate; a second step reuses the weights. */
static void test_backward_only(void **state)
{
    (void)state;
    lesson *l = with_steps(MAZUR, "update no\nsteps 2\n");
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    engine_result r;
    char err[256];
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), 0);
    assert_true(trace_find(r.tr, "dJ/dw_3,5") >= 0);
    assert_true(trace_find(r.tr, "delta_3") >= 0);
    for (size_t id = 0; id < r.tr->n; id++) assert_int_not_equal(r.tr->q[id].kind, Q_UPDATE);
    for (int a = 0; a < l->n_arcs; a++) assert_close(r.weights[a], l->arcs[a].w, 0, 0);
    /* step 2 has the same weights, so the same gradient (Mazur's one example) */
    assert_close(r.tr->q[trace_find(r.tr, "dJ/dw_3,5^(1)")].value, r.tr->q[trace_find(r.tr, "dJ/dw_3,5")].value, 0, 0);
    engine_result_free(&r);
    lesson_free(l);
    /* no rate needed; steps default to one */
    const char *t = "title b\ninput 1\nlayer identity 2\nweight w_0,2 = 0.5\nweight w_1,2 = -1\n"
                    "loss sse\nupdate no\nexample 2 -> 1\n";
    l = parse_or_fail(t);
    assert_int_equal(l->steps, 1);
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), 0);
    /* a = 0.5 - 2 = -1.5, Delta = -2 (1 + 1.5) = -5, dJ/dw_1,2 = -5 * 2 = -10 */
    assert_close(r.tr->q[trace_find(r.tr, "dJ/dw_1,2")].value, -10, 0, 0);
    engine_result_free(&r);
    lesson_free(l);
}

/* `update no` with untraced steps: the weights stay the lesson's, so a
 * later traced step reads w_3,5 as every traced step does, not a
 * "carried" w_3,5^(1). `trace 2 3` once named them w_i,j^(1) (from the
 * untraced step 1), so `expect w_3,5^(1) = 0.4` held in `run` and was
 * refused by `run --all-steps` and `dot`, whose traces have no such name. */
static void test_backward_only_untraced_steps(void **state)
{
    (void)state;
    lesson *l = with_steps(MAZUR, "update no\nsteps 3\ntrace 2 3\n");
    engine_opts o = {.round = ENGINE_ROUND_LESSON}, all = {.round = ENGINE_ROUND_LESSON, .trace_all = 1};
    engine_result r, ra;
    char err[256];
    assert_int_equal(engine_run(l, &o, &r, err, sizeof err), 0);
    assert_int_equal(engine_run(l, &all, &ra, err, sizeof err), 0);
    for (size_t id = 0; id < r.tr->n; id++)
        if (r.tr->q[id].kind == Q_WEIGHT && r.tr->q[id].t != 0)
            fail_msg("update no, trace 2 3: a weight of iteration %d", r.tr->q[id].t);
    assert_true(trace_find(r.tr, "w_3,5^(1)") < 0);
    assert_true(trace_find(ra.tr, "w_3,5^(1)") < 0);
    /* step 2's net input reads the lesson's weight in both traces */
    long in2 = trace_find(r.tr, "in_5^(1)"), in2a = trace_find(ra.tr, "in_5^(1)");
    assert_true(in2 >= 0 && in2a >= 0);
    assert_close(r.tr->q[in2].value, ra.tr->q[in2a].value, 0, 0);
    engine_result_free(&r);
    engine_result_free(&ra);
    lesson_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradcheck_every_pair),
        cmocka_unit_test(test_gradcheck_floor_and_wrong_gprime),
        cmocka_unit_test(test_gradcheck_log_guard),
        cmocka_unit_test(test_gradcheck_jumps_both_sides),
        cmocka_unit_test(test_gradcheck_two_kinks_at_w),
        cmocka_unit_test(test_gradcheck_certain_softmax),
        cmocka_unit_test(test_untraced_steps_match_traced),
        cmocka_unit_test(test_mazur_published_first_step),
        cmocka_unit_test(test_minibatch_mean_and_decay),
        cmocka_unit_test(test_names_resolve),
        cmocka_unit_test(test_trace_all_key),
        cmocka_unit_test(test_batch_names_lesson_example),
        cmocka_unit_test(test_bounded_work),
        cmocka_unit_test(test_backward_only),
        cmocka_unit_test(test_backward_only_untraced_steps),
        cmocka_unit_test(test_sparse_outputs_scratch),
        cmocka_unit_test(test_status_trace_full),
        cmocka_unit_test(test_watch_sees_the_trace),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
