/*
 * test_chain.c - the chain-rule factors of the backward pass (lesson key
 * `chain`, --chain; engine.h engine_chain).
 *
 * Against central differences, on every lesson of lessons/ and on seeded
 * random networks (every activation and loss row), in exact arithmetic:
 *   dJ/da_j      J differenced with a_j moved and everything downstream of
 *                it re-evaluated (a_j itself is not recomputed from in_j);
 *   dJ_k/da_j    the same with every output but k held at its value, so
 *                only output k's own term of J moves;
 *   din_j/dw_ij  in_j differenced with w_ij moved.
 * The re-evaluation walks the trace's own operand graph through the one
 * evaluator's forward operations (weighted sums, activations, the loss),
 * never through the chain factors' formulas.
 *
 * And the factors change nothing: with and without them every Delta, every
 * gradient, every updated weight and J of every step are equal bit for bit,
 * and steps run on values alone (untraced) still equal traced ones.
 */
#include "testutil.h"


#include "engine.h"
#include "random_lesson.h"

typedef struct { size_t djda, terms, dndw; } counts;

/* Re-evaluate ids (over, to] of tr with quantity `over` set to v and the
 * ids marked in frozen[] kept at their values; vals[] is scratch [tr->n]. */
static double reeval(const trace *tr, uint32_t over, double v, size_t to, const unsigned char *frozen,
                     double *vals)
{
    for (size_t id = 0; id <= to; id++) vals[id] = tr->q[id].value;
    vals[over] = v;
    double x[512];
    for (size_t id = (size_t)over + 1; id <= to; id++) {
        const quantity *q = &tr->q[id];
        if (q->spec.op == OP_CONST || (frozen && frozen[id])) continue;
        assert_true(q->nops <= sizeof x / sizeof x[0]);
        for (uint32_t k = 0; k < q->nops; k++) x[k] = vals[tr->ops[q->first + k]];
        vals[id] = eval_apply(&q->spec, x, q->nops, NULL);
    }
    return vals[to];
}

/* The latest quantity before id of this kind, neuron j (-2: any), t and e. */
static long before(const trace *tr, size_t id, q_kind kind, int j, int t, int e)
{
    for (size_t k = id; k-- > 0;) {
        const quantity *q = &tr->q[k];
        if (q->kind == kind && (j == -2 || q->j == j) && q->t == t && q->e == e) return (long)k;
    }
    return -1;
}

static int is_output(const lesson *l, int j)
{
    int n_out;
    const int32_t *out = lesson_outputs(l, &n_out);
    for (int k = 0; k < n_out; k++) if (out[k] == j) return 1;
    return 0;
}

/* Central difference of vals[to] in quantity `over` (value a). */
static double central(const trace *tr, uint32_t over, size_t to, const unsigned char *frozen, double *vals)
{
    double a = tr->q[over].value, h = 1e-6 * fmax(fabs(a), 1e-2);
    double up = reeval(tr, over, a + h, to, frozen, vals);
    double down = reeval(tr, over, a - h, to, frozen, vals);
    return (up - down) / (2 * h);
}

static void check_close(const trace *tr, size_t id, double fd, double scale, const char *what)
{
    char name[128];
    double v = tr->q[id].value;
    if (!isfinite(v) || !isfinite(fd)) return;       /* an overflow: nothing to compare */
    if (fabs(v - fd) > 1e-6 * (1 + scale) + 1e-5 * fabs(fd)) {
        trace_name(&tr->q[id], name, sizeof name);
        fail_msg("%s: %s = %.12g, central difference %.12g", what, name, v, fd);
    }
}

/* Every chain factor of l's first traced step against central differences. */
static counts check_factors(const lesson *l, const char *what)
{
    engine_opts eo = {.round = -1, .chain = 1};
    engine_result r;
    char err[512];
    if (engine_run(l, &eo, &r, err, sizeof err)) fail_msg("%s: %s", what, err);
    const trace *tr = r.tr;
    double *vals = malloc(tr->n * sizeof *vals);
    unsigned char *frozen = calloc(tr->n, 1);
    assert_non_null(vals);
    assert_non_null(frozen);
    counts c = {0, 0, 0};
    for (size_t id = 0; id < tr->n; id++) {
        const quantity *q = &tr->q[id];
        if (q->kind == Q_DJDA || q->kind == Q_DJDA_TERM) {
            int j = q->kind == Q_DJDA ? q->j : q->i;
            long a = before(tr, id, Q_ACT, j, q->t, q->e), J = before(tr, id, Q_LOSS, -2, q->t, q->e);
            assert_true(a >= 0 && J > a);
            memset(frozen, 0, tr->n);
            if (q->kind == Q_DJDA_TERM) {           /* only output k's own term moves */
                for (long k = a + 1; k < J; k++)
                    if (tr->q[k].kind == Q_ACT && tr->q[k].j != q->j && is_output(l, tr->q[k].j)) frozen[k] = 1;
                c.terms++;
            } else {
                c.djda++;
            }
            check_close(tr, id, central(tr, (uint32_t)a, (size_t)J, frozen, vals), fabs(tr->q[J].value), what);
        } else if (q->kind == Q_DNDW) {
            long in = before(tr, id, Q_IN, q->j, q->t, q->e), w = -1;
            assert_true(in >= 0);
            const quantity *n = &tr->q[in];
            /* in_j takes (w_ij, a_i) in arc order. A tied arc's weight is its
             * tie's, which moves every arc of the tie at once: its difference
             * is not this one arc's partial din_j/dw_ij, so it is not checked */
            int a = lesson_arc_index(l, q->i, q->j);
            if (a >= 0 && l->arcs[a].tie) continue;
            uint32_t k = 2 * (uint32_t)(a - l->arc_in[q->j]);
            if (a >= 0 && k + 1 < n->nops) w = tr->ops[n->first + k];
            assert_true(w >= 0);
            check_close(tr, id, central(tr, (uint32_t)w, (size_t)in, NULL, vals), 0, what);
            c.dndw++;
        }
    }
    free(vals);
    free(frozen);
    engine_result_free(&r);
    return c;
}

/* With the factors and without: the same Delta, gradients, updates, J and
 * weights, bit for bit; and untraced steps (on values) equal traced ones
 * with the factors on. */
static void check_unchanged(lesson *l, const char *what)
{
    int own = l->chain;
    engine_opts off = {.round = ENGINE_ROUND_LESSON}, on = {.round = ENGINE_ROUND_LESSON, .chain = 1},
                all = {.round = ENGINE_ROUND_LESSON, .chain = 1, .trace_all = 1};
    engine_result a, b, c;
    char err[512], name[128];
    int n_expects = l->n_expects;
    l->chain = 0;                                   /* off: whatever the lesson says */
    l->n_expects = 0;                               /* (its expectations may name factors) */
    if (engine_run(l, &off, &a, err, sizeof err)) fail_msg("%s: %s", what, err);
    l->chain = own;
    l->n_expects = n_expects;
    if (engine_run(l, &on, &b, err, sizeof err) || engine_run(l, &all, &c, err, sizeof err))
        fail_msg("%s: %s", what, err);
    assert_int_equal(a.steps, b.steps);
    if (l->n_arcs && (memcmp(a.weights, b.weights, sizeof *a.weights * (size_t)l->n_arcs) ||
                      memcmp(a.weights, c.weights, sizeof *a.weights * (size_t)l->n_arcs)))
        fail_msg("%s: the weights after the last step differ with the chain factors", what);
    for (int s = 0; s < a.steps; s++)
        if (memcmp(&a.loss[s], &b.loss[s], sizeof a.loss[s]) && !(isnan(a.loss[s]) && isnan(b.loss[s])))
            fail_msg("%s: J of step %d differs with the chain factors", what, s + 1);
    /* the traces without and with: the same quantities, in order, but for the factors */
    size_t k = 0;
    for (size_t id = 0; id < a.tr->n; id++, k++) {
        while (k < b.tr->n && (b.tr->q[k].kind == Q_DJDA || b.tr->q[k].kind == Q_DJDA_TERM ||
                               b.tr->q[k].kind == Q_DNDW || (b.tr->q[k].kind == Q_DERIV &&
                               a.tr->q[id].kind != Q_DERIV)))
            k++;
        assert_true(k < b.tr->n);
        const quantity *p = &a.tr->q[id], *q = &b.tr->q[k];
        trace_name(p, name, sizeof name);
        if (p->kind != q->kind || p->i != q->i || p->j != q->j || p->t != q->t || p->e != q->e)
            fail_msg("%s: quantity %zu (%s) has no twin with the chain factors", what, id, name);
        if (memcmp(&p->value, &q->value, sizeof p->value) && !(isnan(p->value) && isnan(q->value)))
            fail_msg("%s: %s = %.17g without the chain factors, %.17g with them", what, name, p->value, q->value);
    }
    engine_result_free(&a);
    engine_result_free(&b);
    engine_result_free(&c);
}

/* At most 300 steps, so the whole suite stays fast (a shortened lesson's
 * expectations of later steps name nothing, so they go). */
static void shorten(lesson *l)
{
    if (l->steps > 300) l->steps = 300, l->n_expects = 0;
}

static void one_lesson(lesson *l, const char *path, void *ctx)
{
    counts *all = ctx;
    shorten(l);
    counts c = check_factors(l, path);
    check_unchanged(l, path);
    all->djda += c.djda;
    all->terms += c.terms;
    all->dndw += c.dndw;
}

static void test_every_lesson(void **state)
{
    (void)state;
    counts all = {0, 0, 0};
    int n = each_lesson(one_lesson, &all);
    assert_true(n >= 10);
    printf("  %d lessons: %zu dJ/da_j, %zu terms dJ_k/da_j, %zu din_j/dw_ij within their central differences\n",
           n, all.djda, all.terms, all.dndw);
    /* every lesson with a backward pass has them; mazur-2-2-2 alone has 6, 4 and 8 */
    assert_true(all.djda >= 40);
    assert_true(all.terms >= 8);
    assert_true(all.dndw >= 60);
}

static void test_random_networks(void **state)
{
    (void)state;
    counts all = {0, 0, 0};
    int runs = 0;
    for (int h = 0; h < ACT_COUNT; h++) {
        if (h == ACT_SOFTMAX) continue;
        for (int loss = 0; loss < LOSS_COUNT; loss++)
            for (uint64_t seed = 1; seed <= 3; seed++) {
                char *text = random_lesson(h, loss, seed * 977 + (uint64_t)(h * 11 + loss)), err[1024];
                lesson *l = lesson_parse(text, strlen(text), "random.lesson", err, sizeof err);
                if (!l) fail_msg("%s\n--- lesson ---\n%s", err, text);
                counts c = check_factors(l, text);
                check_unchanged(l, text);
                all.djda += c.djda;
                all.terms += c.terms;
                all.dndw += c.dndw;
                lesson_free(l);
                free(text);
                runs++;
            }
    }
    assert_true(runs >= 100);
    printf("  %d random networks: %zu dJ/da_j, %zu terms dJ_k/da_j, %zu din_j/dw_ij within their central "
           "differences\n", runs, all.djda, all.terms, all.dndw);
    assert_true(all.djda >= 500);
    assert_true(all.terms >= 200);
    assert_true(all.dndw >= 1000);
}

/* Mazur's own figures are the lesson's expect lines (test_lessons); here
 * the shape: the hidden neuron's dJ/da_j is the sum of one term per output,
 * each Delta_k w_jk, and Delta_j and dJ/dw_ij read as products of factors. */
static void test_mazur_shape(void **state)
{
    (void)state;
    char err[512];
    lesson *l = lesson_load("lessons/mazur-2-2-2.lesson", err, sizeof err);
    if (!l) fail_msg("%s", err);
    assert_int_equal(l->chain, 1);
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    engine_result r;
    if (engine_run(l, &eo, &r, err, sizeof err)) fail_msg("%s", err);
    long h1 = trace_find(r.tr, "dJ/da_3"), t1 = trace_find(r.tr, "dJ_5/da_3"), t2 = trace_find(r.tr, "dJ_6/da_3");
    long d = trace_find(r.tr, "delta_3"), g = trace_find(r.tr, "dJ/dw_1,3"), x = trace_find(r.tr, "din_3/dw_1,3");
    assert_true(h1 > t2 && t2 > t1 && t1 > 0 && d > h1 && g > x && x > d);
    const quantity *q = &r.tr->q[h1];
    assert_int_equal(q->spec.op, OP_SUM);
    assert_int_equal(q->nops, 2);
    assert_int_equal(r.tr->ops[q->first], (uint32_t)t1);
    assert_int_equal(r.tr->ops[q->first + 1], (uint32_t)t2);
    assert_int_equal(r.tr->q[d].spec.op, OP_PRODUCT);
    assert_int_equal(r.tr->ops[r.tr->q[d].first], (uint32_t)h1);
    assert_int_equal(r.tr->ops[r.tr->q[g].first + 1], (uint32_t)x);
    engine_result_free(&r);
    lesson_free(l);
}

/* The chain factor of a cross-entropy at an a hand-rounded to 0 or 1 is the
 * slope of J (whose logs are guarded): -y/a with y = 0 is 0 whatever a, and
 * bce's -(y/a - (1 - y)/(1 - a)) with y = 1, a = 1 is -1/1 = -1 -- not 0/0. */
static void test_cross_entropy_at_rounded_extremes(void **state)
{
    (void)state;
    static const struct { const char *text, *name; double want; } CASES[] = {
        {"title t\ninput 1\nlayer softmax 2 3\nweight w_0,2 = 0\nweight w_1,2 = 3\nweight w_0,3 = 0\n"
         "weight w_1,3 = -3\nloss softmax-ce\nrate 0.1\nround 2\nchain yes\nexample 1 -> class 1\n",
         "dJ/da_3", 0},       /* a_3 = 0.0025 rounds to 0, y_3 = 0 */
        {"title t\ninput 1\nlayer logistic 2\nweight w_0,2 = 0\nweight w_1,2 = 6\nloss bce\nrate 0.1\n"
         "round 2\nchain yes\nexample 1 -> 1\n",
         "dJ/da_2", -1},      /* a_2 = 0.9975 rounds to 1, y_2 = 1 */
    };
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        char err[512];
        lesson *l = lesson_parse(CASES[k].text, strlen(CASES[k].text), "t", err, sizeof err);
        if (!l) fail_msg("%s", err);
        engine_opts eo = {.round = ENGINE_ROUND_LESSON};
        engine_result r;
        if (engine_run(l, &eo, &r, err, sizeof err)) fail_msg("%s", err);
        long id = trace_find(r.tr, CASES[k].name);
        assert_true(id >= 0);
        const quantity *q = &r.tr->q[id];
        if (!(q->value == CASES[k].want)) fail_msg("%s = %g, expected %g", CASES[k].name, q->value, CASES[k].want);
        assert_true(q->notes & EVAL_NOTE_LOG_GUARD);       /* the guard is said on the line */
        engine_result_free(&r);
        lesson_free(l);
    }
}

/* Run nntrace with args (stdin empty unless input); its output must hold
 * every string of want[] (NULL-terminated) and exit with status. */
static void shows(const char *input, const char *args, int status, const char *const *want)
{
    int st;
    char *out = run_piped(input ? input : "", args, &st);
    assert_non_null(out);
    if (st != status) fail_msg("nntrace %s: exit %d, not %d:\n%s", args, st, status, out);
    for (const char *const *w = want; *w; w++)
        if (!strstr(out, *w)) fail_msg("nntrace %s: no '%s' in:\n%s", args, *w, out);
    free(out);
}

/* Every view shows the factors, in Mazur's names (ASCII, Unicode, LaTeX). */
static void test_every_view_shows_them(void **state)
{
    (void)state;
    const char *const text[] = {
        "  dE_total/dout_o1 = -(target_o1 - out_o1) = -(0.01 - 0.75136507) = 0.74136507\n",
        "  delta_o1 = dE_total/dout_o1*dout_o1/dnet_o1 = 0.74136507*0.186815602 = 0.138498562\n",
        "  dE_o1/dout_h1 = delta_o1*w5 = 0.138498562*0.4 = 0.055399425\n",
        "  dE_total/dout_h1 = dE_o1/dout_h1 + dE_o2/dout_h1 = 0.055399425 + (-0.019049118) = 0.036350306\n",
        "  dnet_o1/dw5 = out_h1 = 0.593269992\n",
        "  dE_total/dw5 = delta_o1*dnet_o1/dw5 = 0.138498562*0.593269992 = 0.082167041\n", NULL};
    shows(NULL, "run --golden lessons/mazur-2-2-2.lesson", 0, text);
    const char *const uni[] = {"  ∂E_total/∂out_h1 = ∂E_o1/∂out_h1 + ∂E_o2/∂out_h1 = ",
                               "  ∂E_total/∂w1 = δ_h1·∂net_h1/∂w1 = 0.008771355·0.05 = 0.000438568\n", NULL};
    shows(NULL, "run --unicode --no-color --width 0 lessons/mazur-2-2-2.lesson", 0, uni);
    /* --chain on a lesson without the key, in its own notation (va); exact, since a
     * hand-rounded Delta keeps the lecture's formula */
    const char *const va[] = {"  dJ/da_3 = -2*(y_3 - a_3) = ", "  delta_3 = dJ/da_3*g'(in_3) = ",
                              "  din_3/dw_1,3 = a_1 = ", NULL};
    shows(NULL, "run --golden --chain --exact lessons/sauppe-sgd-step.lesson", 0, va);
    const char *const bar[] = {"  ybar_3 = -2*(t_3 - y_3) = ", NULL};
    shows(NULL, "run --golden --chain --notation bar lessons/sauppe-sgd-step.lesson", 0, bar);
    /* records: the canonical name and the shown one */
    const char *const json[] = {"\"name\": \"dJ/da_3\", \"display\": \"dE_total/dout_h1\"",
                                "\"name\": \"dJ_5/da_3\", \"display\": \"dE_o1/dout_h1\"",
                                "\"name\": \"din_5/dw_3,5\", \"display\": \"dnet_o1/dw5\"", NULL};
    shows(NULL, "run --format json lessons/mazur-2-2-2.lesson", 0, json);
    /* step goes to a factor by any of its names; quiz asks one */
    const char *const step[] = {"  dE_total/dout_h1 = dE_o1/dout_h1 + dE_o2/dout_h1", NULL};
    shows("g ∂E_total/∂out_h1\nq\n", "step --no-color --ascii lessons/mazur-2-2-2.lesson", 0, step);
    const char *const quiz[] = {"dE_o1/dout_h1 = ?", "right", NULL};
    shows("0.0554\nq\n", "quiz --no-color --ascii --ask dE_o1/dout_h1 lessons/mazur-2-2-2.lesson", 0, quiz);
    /* LaTeX */
    const char *const tex[] = {
        "\\frac{\\partial E_{total}}{\\partial \\mathrm{out}_{h1}} &= \\frac{\\partial E_{o1}}{\\partial "
        "\\mathrm{out}_{h1}} + \\frac{\\partial E_{o2}}{\\partial \\mathrm{out}_{h1}}",
        "\\frac{\\partial \\mathrm{net}_{o1}}{\\partial w_{5}} &= \\mathrm{out}_{h1} \\\\*\n&= 0.593269992\n",
        NULL};
    shows(NULL, "tex --fragment lessons/mazur-2-2-2.lesson", 0, tex);
    /* DOT: the factors on the arcs and at the neurons */
    const char *const dot[] = {"label=\"w5 = 0.4\\ndE_total/dw5 = 0.082167041\\ndnet_o1/dw5 = 0.593269992"
                               "\\ndE_o1/dout_h1 = 0.055399425\"",
                               "\\ndE_total/dout_h1 = 0.036350306\\ndout_h1/dnet_h1 = 0.241300709\\n", NULL};
    shows(NULL, "dot --ascii --pass backward lessons/mazur-2-2-2.lesson", 0, dot);
    const char *const dotc[] = {"\\ndin_3/dw_1,3 = ", NULL};
    shows(NULL, "dot --ascii --pass backward --chain lessons/sauppe-sgd-step.lesson", 0, dotc);
    /* every command that builds a trace takes --chain */
    static const char *const CMDS[] = {"run", "step", "quiz", "xlsx", "tex", "dot", "template", "check"};
    const char *const help[] = {"  --chain ", NULL};
    char args[64];
    for (size_t k = 0; k < sizeof CMDS / sizeof CMDS[0]; k++) {
        snprintf(args, sizeof args, "%s --help", CMDS[k]);
        shows(NULL, args, 0, help);
    }
}

/* The grader: the factors are on the answer sheet, and a factor computed
 * from the student's own wrong term is carried forward (the one evaluator). */
static void test_template_and_check(void **state)
{
    (void)state;
    const char *const sheet[] = {"\ndE_o1/dout_h1 = \n", "\ndE_total/dout_h1 = \n", "\ndnet_h1/dw1 = \n", NULL};
    shows(NULL, "template lessons/mazur-2-2-2.lesson", 0, sheet);
    const char *const va[] = {"\ndJ/da_3 = \n", "\ndin_3/dw_1,3 = \n",
                              "# Check it with: nntrace check --chain lessons/sauppe-sgd-step.lesson THIS_FILE\n",
                              NULL};
    shows(NULL, "template --chain lessons/sauppe-sgd-step.lesson", 0, va);
    char path[] = "/tmp/nntrace-chain-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char ANSWERS[] = "dE_o1/dout_h1 = 0.0600\ndE_o2/dout_h1 = -0.0191\ndE_total/dout_h1 = 0.0409\n";
    assert_int_equal(write(fd, ANSWERS, sizeof ANSWERS - 1), (ssize_t)(sizeof ANSWERS - 1));
    close(fd);
    char args[256];
    snprintf(args, sizeof args, "check --no-color --ask 'dE_o1/dout_h1 dE_o2/dout_h1 dE_total/dout_h1' "
             "lessons/mazur-2-2-2.lesson %s", path);
    const char *const graded[] = {"dE_o1/dout_h1  0.0600       wrong", "dE_o2/dout_h1  -0.0191      correct",
                                  "carried forward", "follows from your dE_o1/dout_h1 = 0.06", NULL};
    shows(NULL, args, 1, graded);
    unlink(path);
}

/* A bad `chain` line: file, line, what was wrong, exit 2. */
static void test_bad_key(void **state)
{
    (void)state;
    static const char *const LINES[][2] = {
        {"chain maybe", ":7: 'chain' takes yes or no"},
        {"chain", ":7: 'chain' takes yes or no"},
        {"chain yes yes", ":7: 'chain' takes yes or no"},
        {"chian yes", ":7: unknown key 'chian'; did you mean chain?"},
        {"chain yes\nchain no", ":8: "},
    };
    for (size_t k = 0; k < sizeof LINES / sizeof LINES[0]; k++) {
        char path[] = "/tmp/nntrace-chain-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        char text[256], args[128];
        int n = snprintf(text, sizeof text, "input 1\nlayer logistic 2\nweight w_1,2 = 0.5\nloss sse\n"
                         "rate 0.1\nexample 1 -> 0\n%s\n", LINES[k][0]);
        assert_int_equal(write(fd, text, (size_t)n), n);
        close(fd);
        snprintf(args, sizeof args, "run %s", path);
        const char *const want[] = {LINES[k][1], NULL};
        shows(NULL, args, 2, want);
        unlink(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_lesson),
        cmocka_unit_test(test_random_networks),
        cmocka_unit_test(test_mazur_shape),
        cmocka_unit_test(test_cross_entropy_at_rounded_extremes),
        cmocka_unit_test(test_every_view_shows_them),
        cmocka_unit_test(test_template_and_check),
        cmocka_unit_test(test_bad_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
