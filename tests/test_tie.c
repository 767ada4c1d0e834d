/*
 * test_tie.c - tied weights: `tie NAME = W1 W2 ...` makes several arcs ONE
 * parameter (lecture 002's shared bias b1 of h1 and h2).
 *
 * Checked here: the key's parsing and every error it can give (file:line,
 * "did you mean", exit status 2 from the CLI); the engine's semantics (one
 * given value named NAME, the arcs reading one quantity, its gradient
 * dJ/dNAME the sum of the arcs' own gradients, traced through OP_SUM, one
 * update, a frozen tie never updated); the gradient of a tie against
 * Richardson-extrapolated central differences of J when the shared
 * parameter moves (gradcheck) on seeded random networks; and the names
 * every view uses (text, JSON, the resolver).
 */
#define _DEFAULT_SOURCE    /* mkstemps */
#include "testutil.h"

#include "engine.h"
#include "gradcheck.h"
#include "names.h"
#include "netdraw.h"
#include "text.h"

/* Lecture 002's 2-2-2 network (Mazur's example) with the biases tied and
 * NOT frozen, so the ties have gradients and updates. extra is appended. */
static const char *const NET =
    "title tied\n"
    "input 1 2\nlayer logistic 3 4\nlayer logistic 5 6\n"
    "label 3 h1\nlabel 4 h2\nlabel 5 o1\nlabel 6 o2\n"
    "weight w_1,3 = 0.15\nweight w_2,3 = 0.20\nweight w_1,4 = 0.25\nweight w_2,4 = 0.30\n"
    "weight w_3,5 = 0.40\nweight w_4,5 = 0.45\nweight w_3,6 = 0.50\nweight w_4,6 = 0.55\n"
    "loss half-sse\nrate 0.5\nsteps 1\n"
    "example 0.05 0.10 -> 0.01 0.99\n";

static lesson *parse_with(const char *extra, char *err, size_t errsize)
{
    size_t n = strlen(NET) + strlen(extra) + 1;
    char *text = malloc(n);
    assert_non_null(text);
    snprintf(text, n, "%s%s", NET, extra);
    lesson *l = lesson_parse(text, strlen(text), "t.lesson", err, errsize);
    free(text);
    return l;
}

static lesson *parse_ok(const char *extra)
{
    char err[512];
    lesson *l = parse_with(extra, err, sizeof err);
    if (!l) fail_msg("%s", err);
    return l;
}

/* The lesson must be refused with a message containing want. */
static void parse_fails(const char *extra, const char *want)
{
    char err[512] = "";
    lesson *l = parse_with(extra, err, sizeof err);
    if (l) { lesson_free(l); fail_msg("accepted:\n%s", extra); }
    if (!strstr(err, want)) fail_msg("for\n%s\nexpected '%s' in:\n%s", extra, want, err);
}

static const char *const TIES =
    "tie b1 = w_0,h1 w_0,h2\nweight b1 = 0.35\n"
    "tie b2 = w_0,5 w_0,o2\nweight w_0,o2 = 0.60\n";

static void test_parse(void **state)
{
    (void)state;
    lesson *l = parse_ok(TIES);
    assert_int_equal(l->n_ties, 2);
    assert_string_equal(l->ties[0].name, "b1");
    assert_int_equal(l->ties[0].count, 2);
    assert_int_equal(l->ties[0].line, 21);
    int a3 = lesson_arc_index(l, 0, 3), a4 = lesson_arc_index(l, 0, 4);
    int a5 = lesson_arc_index(l, 0, 5), a6 = lesson_arc_index(l, 0, 6);
    assert_int_equal(l->arcs[a3].tie, 1);
    assert_int_equal(l->arcs[a4].tie, 1);
    assert_int_equal(l->arcs[a5].tie, 2);
    assert_int_equal(l->arcs[a6].tie, 2);
    assert_int_equal(l->ties[0].first, a3);
    assert_int_equal(l->ties[1].first, a5);
    /* one value, given once by the tie's name or by any of its arcs' */
    assert_true(l->arcs[a3].w == 0.35 && l->arcs[a4].w == 0.35);
    assert_true(l->arcs[a5].w == 0.60 && l->arcs[a6].w == 0.60);
    assert_int_equal(l->arcs[lesson_arc_index(l, 1, 3)].tie, 0);
    lesson_free(l);

    /* the same value through two names is one value, not a conflict */
    l = parse_ok("tie b1 = w_0,3 w_0,4\nweight w_0,3 = 0.35\nweight w_0,h2 = 0.35\n"
                 "weight w_0,5 = 0.6\nweight w_0,6 = 0.6\n");
    lesson_free(l);
    /* ... also when the two names are the tie's and its first arc's, or one name twice */
    static const char *const AGREE[] = {"weight b1 = 0.35\nweight w_0,h1 = 0.35\n",
                                        "weight w_0,3 = 0.35\nweight b1 = 0.35\n",
                                        "weight b1 = 0.35\nweight b1 = 0.35\n"};
    for (size_t k = 0; k < sizeof AGREE / sizeof AGREE[0]; k++) {
        char extra[256];
        snprintf(extra, sizeof extra, "tie b1 = w_0,3 w_0,4\n%sweight w_0,5 = 0.6\nweight w_0,6 = 0.6\n", AGREE[k]);
        l = parse_ok(extra);
        assert_true(l->arcs[lesson_arc_index(l, 0, 3)].w == 0.35 && l->arcs[lesson_arc_index(l, 0, 4)].w == 0.35);
        lesson_free(l);
    }
    /* aliases as the tied weights; a tie across layers */
    l = parse_ok("alias bh1 w_0,h1\nalias bo2 w_0,o2\ntie s = bh1 bo2\nweight s = 0.1\n"
                 "weight w_0,4 = 0.2\nweight w_0,5 = 0.3\n");
    assert_true(l->arcs[lesson_arc_index(l, 0, 6)].w == 0.1);
    lesson_free(l);
    /* init draws a tie once: every arc of it has its first arc's draw */
    l = parse_ok("tie b1 = w_0,3 w_0,4 w_0,5\ninit uniform -1 1 7\nweight w_0,6 = 0.6\n");
    double w = l->arcs[lesson_arc_index(l, 0, 3)].w;
    assert_true(l->arcs[lesson_arc_index(l, 0, 4)].w == w && l->arcs[lesson_arc_index(l, 0, 5)].w == w);
    lesson_free(l);
    /* freezing any name of a tie freezes all its arcs */
    static const char *const FREEZE[] = {"freeze b1\n", "freeze w_0,h2\n", "freeze w_0,3\n"};
    for (size_t k = 0; k < sizeof FREEZE / sizeof FREEZE[0]; k++) {
        char extra[256];
        snprintf(extra, sizeof extra, "%s%s", TIES, FREEZE[k]);
        l = parse_ok(extra);
        assert_true(l->arcs[lesson_arc_index(l, 0, 3)].frozen && l->arcs[lesson_arc_index(l, 0, 4)].frozen);
        assert_false(l->arcs[lesson_arc_index(l, 0, 5)].frozen);
        lesson_free(l);
    }
}

static void test_errors(void **state)
{
    (void)state;
    const char *B2 = "weight w_0,5 = 0.6\nweight w_0,6 = 0.6\n";
    char x[512];
#define FAILS(extra, want) do { snprintf(x, sizeof x, "%s%s", extra, B2); parse_fails(x, want); } while (0)
    FAILS("tie b1 = w_0,3\nweight w_0,3 = 1\nweight w_0,4 = 1\n",
          "t.lesson:21: tie 'b1' names one weight (w_0,3); a tie makes two or more weights one parameter");
    FAILS("tie b1 w_0,3 w_0,4\nweight b1 = 1\n", "t.lesson:21: expected 'tie NAME = W1 W2...'");
    FAILS("tie b1 =\nweight w_0,3 = 1\nweight w_0,4 = 1\n", "t.lesson:21: expected 'tie NAME = W1 W2...'");
    FAILS("tie b1 = w_0,3 w_0,h9\nweight b1 = 1\n", "t.lesson:21: tie 'b1': unknown neuron 'h9' in w_0,h9");
    FAILS("alias bh1 w_0,3\ntie b1 = bh2 w_0,4\nweight b1 = 1\n",
          "t.lesson:22: tie 'b1': unknown weight 'bh2' (expected w_i,j, an alias or a tie's name); did you mean bh1?");
    FAILS("tie b1 = w_0,3 w_0,4\ntie c1 = w_0,4 w_1,3\nweight b1 = 1\n",
          "t.lesson:22: w_0,4 is tied twice: to 'b1' (line 21) and to 'c1'; a weight belongs to one tie");
    FAILS("tie b1 = w_0,3 w_0,h1\nweight b1 = 1\n", "t.lesson:21: tie 'b1' lists w_0,3 twice");
    FAILS("tie b1 = w_0,3 w_0,4\nweight w_0,3 = 0.35\nweight w_0,4 = 0.36\n",
          "t.lesson:23: tie 'b1': w_0,4 = 0.36 here but w_0,3 = 0.35 (line 22); tied weights are one parameter "
          "with one value: give it once ('weight b1 = VALUE')");
    FAILS("tie b1 = w_0,3 w_0,4\nweight b1 = 0.35\nweight w_0,h1 = 0.36\n",
          "t.lesson:23: tie 'b1': w_0,h1 = 0.36 here but 0.35 on line 22; tied weights are one parameter "
          "with one value: give it once ('weight b1 = VALUE')");
    FAILS("weight w_1,3 = 0.15\n", "t.lesson:21: duplicate weight w_1,3 (first given on line 9)");
    FAILS("tie b1 = w_0,3 w_0,4\ntie b1 = w_0,5 w_0,6\nweight w_0,3 = 1\n",
          "t.lesson:22: tie 'b1': the name is already a tie (line 21)");
    FAILS("alias b1 w_1,3\ntie b1 = w_0,3 w_0,4\nweight w_0,3 = 1\n",
          "t.lesson:22: tie 'b1': the name is already an alias (line 21)");
    FAILS("tie b1 = b1 w_0,4\nweight w_0,3 = 1\n", "t.lesson:21: tie 'b1' lists its own name");
    FAILS("tie w_x = w_0,3 w_0,4\nweight w_0,3 = 1\n", "t.lesson:21: tie 'w_x' begins like a quantity's name (w_...)");
    FAILS("tie 1b = w_0,3 w_0,4\nweight w_0,3 = 1\n", "t.lesson:21: name '1b' must start with a letter");
    FAILS("tie b1 = w_0,3 w_0,4\nweight w_0,3 = 1\narcs listed\ntie c = w_1,5 w_2,5\n",
          "t.lesson:24: tie 'c': no arc w_1,5");
    /* a tie's arcs still need a value: none given, no init */
    FAILS("tie b1 = w_0,3 w_0,4\n", "missing 2 weights: w_0,3, w_0,4");
#undef FAILS
    /* the perceptron updates each weight on its own */
    char err[512];
    const char *perc = "title p\ninput 1 2\nlayer step 3 4\nrule perceptron\nepochs 2\nrate 1\n"
                       "tie b = w_0,3 w_0,4\nweight b = 0\nweight w_1,3 = 0\nweight w_2,3 = 0\n"
                       "weight w_1,4 = 0\nweight w_2,4 = 0\nexample 0 1 -> 1 0\n";
    assert_null(lesson_parse(perc, strlen(perc), "p.lesson", err, sizeof err));
    assert_non_null(strstr(err, "p.lesson:7: 'tie' is for backprop lessons, not 'rule perceptron'"));
}

/* The CLI refuses a bad tie with file:line and exit status 2. */
static void test_cli_exit(void **state)
{
    (void)state;
    char path[] = "/tmp/nntrace-tie-XXXXXX.lesson";
    int fd = mkstemps(path, 7);
    assert_true(fd >= 0);
    const char *extra = "tie b1 = w_0,3 w_0,4\nweight w_0,3 = 0.35\nweight w_0,4 = 0.36\n"
                        "weight w_0,5 = 0.6\nweight w_0,6 = 0.6\n";
    assert_true(write(fd, NET, strlen(NET)) == (ssize_t)strlen(NET));
    assert_true(write(fd, extra, strlen(extra)) == (ssize_t)strlen(extra));
    close(fd);
    char args[256];
    int st;
    snprintf(args, sizeof args, "run %s", path);
    char *out = run_piped("", args, &st);
    assert_int_equal(st, 2);
    if (!strstr(out, ".lesson:23: tie 'b1': w_0,4 = 0.36 here but w_0,3 = 0.35 (line 22)")) fail_msg("%s", out);
    free(out);
    unlink(path);
}

/* The grader carries a mistake forward through the tie: a wrong arc
 * gradient makes dJ/db1 (their sum) and b1^(1) right from it (ECF). */
static void test_grader_ecf(void **state)
{
    (void)state;
    char dir[64], path[128], sheet[128], args[512];
    assert_int_equal(tmpdir_make(dir, "tie"), 0);
    snprintf(path, sizeof path, "%s/t.lesson", dir);
    snprintf(sheet, sizeof sheet, "%s/answers.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(NET, f) >= 0 && fputs(TIES, f) >= 0 && fputs("digits 4\n", f) >= 0);
    assert_int_equal(fclose(f), 0);
    /* dJ/dw_0,4 is 0.0100 (Delta_h2 a_0); 0.0200 is wrong, and 0.0088 + 0.02 = 0.0288,
     * 0.35 - 0.5*0.0288 = 0.3356 follow from it */
    f = fopen(sheet, "w");
    assert_non_null(f);
    assert_true(fputs("dJ/dw_0,h1 = 0.0088\ndJ/dw_0,h2 = 0.0200\ndJ/db1 = 0.0288\nb1^(1) = 0.3356\n", f) >= 0);
    assert_int_equal(fclose(f), 0);
    int st;
    snprintf(args, sizeof args, "check %s %s", path, sheet);
    char *out = run_piped("", args, &st);
    if (!strstr(out, "dJ/db1") || !strstr(out, "follows from your dJ/dw_0,h2 = 0.02") ||
        !strstr(out, "follows from your dJ/db1 = 0.0288"))
        fail_msg("%s", out);
    free(out);
    assert_int_equal(tmpdir_remove(dir), 0);
}

/* Run l as the lesson asks (its own rounding) into r, or fail. */
static void run_ok(const lesson *l, engine_result *r)
{
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    char err[256];
    assert_int_equal(engine_run(l, &o, r, err, sizeof err), ENG_OK);
}

/* The quantity called name (canonical), or fail. */
static const quantity *find(const engine_result *r, const char *name)
{
    long id = trace_find(r->tr, name);
    if (id < 0) fail_msg("no quantity %s", name);
    return &r->tr->q[id];
}

/* One step of the tied 2-2-2 network: one given b1, both net inputs read
 * it, dJ/db1 = dJ/dw_0,3 + dJ/dw_0,4 through OP_SUM, one update b1^(1). */
static void test_engine(void **state)
{
    (void)state;
    lesson *l = parse_ok(TIES);
    engine_result r;
    run_ok(l, &r);
    int given = 0;
    for (size_t id = 0; id < r.tr->n; id++) {
        const quantity *q = &r.tr->q[id];
        if (q->kind == Q_WEIGHT && q->i == 0) given++;
    }
    assert_int_equal(given, 2);                     /* b1 and b2, once each */
    const quantity *b1 = find(&r, "b1"), *in3 = find(&r, "in_3"), *in4 = find(&r, "in_4");
    assert_true(b1->value == 0.35);
    assert_int_equal(b1->i, 0);
    assert_int_equal(b1->j, 3);
    uint32_t b1id = (uint32_t)(b1 - r.tr->q);
    assert_int_equal(r.tr->ops[in3->first], b1id);  /* w_0,3 a_0: the first pair */
    assert_int_equal(r.tr->ops[in4->first], b1id);
    /* the arcs' own gradients, and the tie's: their sum, in arc order */
    const quantity *g3 = find(&r, "dJ/dw_0,3"), *g4 = find(&r, "dJ/dw_0,4"), *gb = find(&r, "dJ/db1");
    assert_int_equal(gb->spec.op, OP_SUM);
    assert_int_equal(gb->nops, 2);
    assert_int_equal(r.tr->ops[gb->first], (uint32_t)(g3 - r.tr->q));
    assert_int_equal(r.tr->ops[gb->first + 1], (uint32_t)(g4 - r.tr->q));
    assert_true(gb->value == g3->value + g4->value);
    assert_true(g3->value != 0 && g4->value != 0 && g3->value != g4->value);
    /* Delta_h1 a_0 and Delta_h2 a_0 (a_0 = 1) */
    assert_true(g3->value == find(&r, "delta_3")->value && g4->value == find(&r, "delta_4")->value);
    /* one update of the one parameter; every tied arc's weight is it */
    int updates = 0;
    for (size_t id = 0; id < r.tr->n; id++)
        updates += r.tr->q[id].kind == Q_UPDATE && r.tr->q[id].tie && !strcmp(r.tr->q[id].tie, "b1");
    assert_int_equal(updates, 1);
    const quantity *b1n = find(&r, "b1^(1)");
    assert_true(b1n->value == 0.35 - 0.5 * gb->value);
    assert_int_equal(trace_find(r.tr, "w_0,3^(1)"), -1);
    assert_int_equal(trace_find(r.tr, "w_0,4^(1)"), -1);
    assert_true(r.weights[lesson_arc_index(l, 0, 3)] == b1n->value);
    assert_true(r.weights[lesson_arc_index(l, 0, 4)] == b1n->value);
    /* the text view: the sum by name, then the arcs' values and their sum */
    strbuf b = {0};
    text_line(&b, r.tr, gb, 9);
    const char *pre = "dJ/db1 = dJ/dw_0,3 + dJ/dw_0,4 = ";
    if (strncmp(b.s, pre, strlen(pre))) fail_msg("%s", b.s);
    double v3, v4, vs;
    if (sscanf(b.s + strlen(pre), "%lf + %lf = %lf", &v3, &v4, &vs) != 3) fail_msg("%s", b.s);
    assert_close(v3, g3->value, 6e-10, 0);
    assert_close(v4, g4->value, 6e-10, 0);
    assert_close(vs, v3 + v4, 2e-9, 0);
    b.len = 0;
    text_line(&b, r.tr, b1n, 9);
    pre = "b1^(1) = b1 - alpha*dJ/db1 = 0.35 - 0.5*";
    if (strncmp(b.s, pre, strlen(pre))) fail_msg("%s", b.s);
    b.len = 0;
    text_line_n(&b, r.tr, in3, 4, l, NOTATION_NETOUT);
    assert_string_equal(b.s, "net_h1 = b1*a_0 + w_1,3*x_1 + w_2,3*x_2 = 0.35*1 + 0.15*0.05 + 0.2*0.1 = 0.3775");
    sb_free(&b);
    /* every notation names it b1; a person may type b1, w_0,h2 or dJ/db1 */
    char nm[128];
    for (int n = 0; n < NOTATION_COUNT; n++) {
        names_render(l, n, NAMES_ASCII, b1, nm, sizeof nm);
        assert_string_equal(nm, "b1");
    }
    names_render(l, NOTATION_NETOUT, NAMES_ASCII, gb, nm, sizeof nm);
    assert_string_equal(nm, "dE_total/db1");
    assert_int_equal(names_find(l, r.tr, NULL, "b1"), (long)b1id);
    assert_int_equal(names_find(l, r.tr, NULL, "w_0,h2"), (long)b1id);
    assert_int_equal(names_find(l, r.tr, NULL, "dJ/db1"), (long)(gb - r.tr->q));
    assert_int_equal(names_find(l, r.tr, NULL, "dJ/dw_0,h2"), (long)(g4 - r.tr->q));
    engine_result_free(&r);
    lesson_free(l);

    /* frozen: no tie gradient, no update, the given value stays */
    l = parse_ok("tie b1 = w_0,h1 w_0,h2\nweight b1 = 0.35\ntie b2 = w_0,5 w_0,o2\nweight b2 = 0.6\nfreeze b1 b2\n");
    run_ok(l, &r);
    assert_int_equal(trace_find(r.tr, "dJ/db1"), -1);
    assert_int_equal(trace_find(r.tr, "b1^(1)"), -1);
    assert_true(r.weights[lesson_arc_index(l, 0, 3)] == 0.35 && r.weights[lesson_arc_index(l, 0, 4)] == 0.35);
    engine_result_free(&r);
    lesson_free(l);
}

/* DOT: the tie's arcs into one layer share one label box, named b1, with
 * the tie's gradient dJ/db1 (not an arc's own). */
static void test_dot(void **state)
{
    (void)state;
    lesson *l = parse_ok(TIES);
    engine_result r;
    run_ok(l, &r);
    char err[256];
    netdraw_dot_opts o = {.step = 1, .backward = 1, .digits = 9, .notation = NOTATION_VA};
    strbuf b = {0};
    assert_int_equal(netdraw_dot(&b, l, r.tr, &o, err, sizeof err), 0);
    char want[160];
    snprintf(want, sizeof want, "label=\"b1 = 0.35\\ndJ/db1 = %.9f\"", find(&r, "dJ/db1")->value);
    if (!strstr(b.s, want)) fail_msg("no '%s' in:\n%s", want, b.s);
    int a3 = lesson_arc_index(l, 0, 3);
    char edge[64];
    snprintf(edge, sizeof edge, "l%d -> n3 ", a3);
    assert_non_null(strstr(b.s, edge));
    snprintf(edge, sizeof edge, "l%d -> n4 ", a3);       /* w_0,4 goes through w_0,3's box */
    assert_non_null(strstr(b.s, edge));
    snprintf(edge, sizeof edge, "  l%d [", lesson_arc_index(l, 0, 4));
    assert_null(strstr(b.s, edge));
    sb_free(&b);
    engine_result_free(&r);
    lesson_free(l);
}

/* ------------------------------------------------------------------------
 * Random networks: the tie's gradient against finite differences
 * ---------------------------------------------------------------------- */

static double uniform(uint64_t *s)
{
    *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
    return (double)(*s >> 11) * 0x1.0p-53;
}

#define CAP 8192
#define ADD(...) (n += (size_t)snprintf(t + n, CAP - n, __VA_ARGS__))

/* A seeded random lesson with 1 to 3 ties over random arcs (any layers,
 * biases or not), smooth activations, a batch of 1 to 3. */
static char *random_tied(uint64_t seed, int *n_ties)
{
    static const char *const ACT[] = {"logistic", "tanh", "arctan", "softplus", "identity", "elu(0.7)"};
    char *t = malloc(CAP);
    size_t n = 0;
    uint64_t s = seed * 6364136223846793005ull + 1442695040888963407ull;
    assert_non_null(t);
    int n_in = 1 + (int)(uniform(&s) * 3), n_hid = 2 + (int)(uniform(&s) * 3), n_out = 1 + (int)(uniform(&s) * 2);
    int ex = 2 + (int)(uniform(&s) * 3), batch = 1 + (int)(uniform(&s) * 2);
    ADD("title tied %llu\ninput", (unsigned long long)seed);
    for (int k = 1; k <= n_in; k++) ADD(" %d", k);
    ADD("\nlayer %s", ACT[(int)(uniform(&s) * 6)]);
    for (int k = 0; k < n_hid; k++) ADD(" %d", n_in + 1 + k);
    ADD("\nlayer %s", ACT[(int)(uniform(&s) * 6)]);
    for (int k = 0; k < n_out; k++) ADD(" %d", n_in + n_hid + 1 + k);
    /* the arcs, (i, j): bias and inputs into hidden, bias and hidden into output */
    int arcs[64][2], na = 0;
    for (int j = n_in + 1; j <= n_in + n_hid; j++)
        for (int i = 0; i <= n_in; i++) { arcs[na][0] = i == 0 ? 0 : i; arcs[na][1] = j; na++; }
    for (int j = n_in + n_hid + 1; j <= n_in + n_hid + n_out; j++) {
        arcs[na][0] = 0; arcs[na][1] = j; na++;
        for (int i = n_in + 1; i <= n_in + n_hid; i++) { arcs[na][0] = i; arcs[na][1] = j; na++; }
    }
    /* shuffle, then ties over consecutive runs of 2 or 3 arcs */
    for (int k = na - 1; k > 0; k--) {
        int m = (int)(uniform(&s) * (k + 1));
        int a = arcs[k][0], b = arcs[k][1];
        arcs[k][0] = arcs[m][0]; arcs[k][1] = arcs[m][1];
        arcs[m][0] = a; arcs[m][1] = b;
    }
    int want = 1 + (int)(uniform(&s) * 3), at = 0;
    *n_ties = 0;
    ADD("\n");
    while (*n_ties < want && at + 2 <= na) {
        int size = at + 3 <= na && uniform(&s) < 0.4 ? 3 : 2;
        ADD("tie t%d =", *n_ties);
        for (int m = 0; m < size; m++) ADD(" w_%d,%d", arcs[at + m][0], arcs[at + m][1]);
        ADD("\n");
        at += size;
        (*n_ties)++;
    }
    ADD("init uniform -1 1 %llu\nloss %s\nrate 0.3\nbatch %d\nsteps 2\n", (unsigned long long)seed,
        uniform(&s) < 0.5 ? "sse" : "half-sse", batch);
    for (int e = 0; e < ex; e++) {
        ADD("example");
        for (int k = 0; k < n_in; k++) ADD(" %.4f", 4 * uniform(&s) - 2);
        ADD(" ->");
        for (int k = 0; k < n_out; k++) ADD(" %.4f", 2 * uniform(&s) - 1);
        ADD("\n");
    }
    return t;
}

/* On 300 random networks: dJ/dNAME of the first step is the sum of its
 * arcs' traced gradients, and agrees with the central differences of J
 * when the one shared parameter moves (gradcheck, its own noise floor);
 * the update moves every arc of the tie to one value. */
static void test_random_tie_gradients(void **state)
{
    (void)state;
    int checked = 0;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        int nt;
        char *text = random_tied(seed, &nt), err[512];
        lesson *l = lesson_parse(text, strlen(text), "random.lesson", err, sizeof err);
        if (!l) fail_msg("%s\n%s", err, text);
        assert_int_equal(l->n_ties, nt);
        engine_result r;
        run_ok(l, &r);
        gradcheck_result g;
        assert_int_equal(gradcheck_run(l, NULL, &g), ENG_OK);
        assert_int_equal(g.n_fail, 0);
        int tied = 0;
        for (int t = 0; t < nt; t++) tied += l->ties[t].count - 1;
        assert_int_equal(g.n_params, (size_t)(l->n_arcs - tied));  /* every tie is one parameter */
        for (int t = 0; t < nt; t++) {
            const lesson_tie *T = &l->ties[t];
            char name[64];
            snprintf(name, sizeof name, "dJ/d%s", T->name);
            const quantity *q = find(&r, name);
            /* the sum of the arcs' gradients dJ/dw_ij of the step */
            double sum = 0;
            int seen = 0;
            for (uint32_t k = 0; k < q->nops; k++) {
                const quantity *p = &r.tr->q[r.tr->ops[q->first + k]];
                assert_int_equal(p->kind, Q_GRAD);
                assert_null(p->tie);
                assert_int_equal(l->arcs[lesson_arc_index(l, p->i, p->j)].tie, t + 1);
                sum += p->value;
                seen++;
            }
            assert_int_equal(seen, T->count);
            assert_true(q->value == sum);
            /* against the finite differences: the row of the tie */
            const gradcheck_row *row = NULL;
            for (size_t k = 0; k < g.n_rows; k++) if (g.rows[k].arc == T->first) row = &g.rows[k];
            assert_non_null(row);
            assert_int_equal(row->verdict, GC_OK);
            assert_close(q->value, row->backprop, 1e-12, 1e-9);
            assert_close(q->value, row->numeric, row->floor + 1e-6 * fabs(q->value), 0);
            /* one update: every arc of the tie ends at one value */
            double w = r.weights[T->first];
            for (int a = 0; a < l->n_arcs; a++)
                if (l->arcs[a].tie == t + 1) assert_true(r.weights[a] == w);
            checked++;
        }
        gradcheck_result_free(&g);
        engine_result_free(&r);
        lesson_free(l);
        free(text);
    }
    assert_true(checked >= 400);
}

/* A wrong tie gradient is caught: gradcheck compares the sum of the arcs'
 * gradients with J moved along the shared parameter, so checking one arc
 * alone (half the sum) would fail. */
static void test_gradcheck_moves_the_shared_parameter(void **state)
{
    (void)state;
    lesson *l = parse_ok(TIES);
    gradcheck_result g;
    assert_int_equal(gradcheck_run(l, NULL, &g), ENG_OK);
    assert_int_equal(g.n_fail, 0);
    assert_int_equal(g.n_params, (size_t)l->n_arcs - 2);
    const gradcheck_row *b1 = NULL;
    for (size_t k = 0; k < g.n_rows; k++) if (g.rows[k].arc == l->ties[0].first) b1 = &g.rows[k];
    assert_non_null(b1);
    double J, *w = malloc((size_t)l->n_arcs * sizeof *w), *grad = malloc((size_t)l->n_arcs * sizeof *grad);
    assert_non_null(w);
    assert_non_null(grad);
    for (int a = 0; a < l->n_arcs; a++) w[a] = l->arcs[a].w;
    assert_int_equal(engine_loss_grad(l, w, &J, grad), ENG_OK);
    double g3 = grad[lesson_arc_index(l, 0, 3)], g4 = grad[lesson_arc_index(l, 0, 4)];
    assert_close(b1->numeric, g3 + g4, 1e-9, 1e-6);
    assert_true(fabs(b1->numeric - g3) > 1e-3 && fabs(b1->numeric - g4) > 1e-3);
    free(w);
    free(grad);
    gradcheck_result_free(&g);
    lesson_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_cli_exit),
        cmocka_unit_test(test_grader_ecf),
        cmocka_unit_test(test_engine),
        cmocka_unit_test(test_dot),
        cmocka_unit_test(test_random_tie_gradients),
        cmocka_unit_test(test_gradcheck_moves_the_shared_parameter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
