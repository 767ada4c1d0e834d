/*
 * test_notation.c - one trace, four lectures' names (issue 3, "Notations").
 *
 * The names are those the lectures write: in_j, a_j, Delta_j, w_ij (001);
 * z^[l], a^[l], W^[l], b^[l] (000, 003); net_h1, out_h1, w5, E_total (002);
 * z, y, t, zbar, wbar (004). Values must not change with the notation.
 */
#include "testutil.h"

#include "engine.h"
#include "lesson.h"
#include "names.h"
#include "text.h"

typedef struct { lesson *l; engine_result r; } fixture;

static int setup_mazur(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char err[512];
    if (!f || !(f->l = lesson_load("lessons/mazur-2-2-2.lesson", err, sizeof err))) return -1;
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    if (engine_run(f->l, &o, &f->r, err, sizeof err)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    engine_result_free(&f->r);
    lesson_free(f->l);
    free(f);
    return 0;
}

static void expect_name(const fixture *f, const char *canonical, int notation, const char *want)
{
    long id = names_find(f->l, f->r.tr, NULL, canonical);
    if (id < 0) fail_msg("no quantity %s", canonical);
    char got[192];
    text_qname(f->l, notation, &f->r.tr->q[id], got, sizeof got);
    if (strcmp(got, want)) fail_msg("%s in %s: '%s', expected '%s'", canonical,
                                    lesson_notation_name(notation), got, want);
}

/* 002 is written net/out; the same quantities in each notation (va with
 * the lesson's labels for neuron numbers). */
static void test_names(void **state)
{
    const fixture *f = *state;
    static const struct { const char *q, *va, *layer, *netout, *bar; } N[] = {
        {"in_3",       "in_h1",       "z^[1]_1",     "net_h1",          "z_3"},
        {"a_5",        "a_o1",        "a^[2]_1",     "out_o1",          "y_5"},
        {"y_6",        "y_o2",        "y_2",         "target_o2",       "t_6"},
        {"J",          "J",          "L",           "E_total",         "L"},
        {"delta_5",    "delta_o1",    "dz^[2]_1",    "delta_o1",        "zbar_5"},
        {"g'(in_4)",   "g'(in_h2)",   "g'(z^[1]_2)", "dout_h2/dnet_h2", "sigma'(z_4)"},
        {"w_3,5",      "w_h1,o1",      "W^[2]_1,1",   "w5",              "w_3,5"},
        {"w_4,6",      "w_h2,o2",      "W^[2]_2,2",   "w8",              "w_4,6"},
        /* b1 is `tie b1 = w_0,h1 w_0,h2`: one parameter, its name in every notation,
         * and either arc's own name finds it */
        {"b1",         "b1",          "b1",          "b1",              "b1"},
        {"w_0,4",      "b1",          "b1",          "b1",              "b1"},
        {"w_0,3",      "b1",          "b1",          "b1",              "b1"},
        {"dJ/dw_3,5",  "dJ/dw_h1,o1",  "dW^[2]_1,1",  "dE_total/dw5",    "wbar_3,5"},
        {"w_3,5^(1)",  "w_h1,o1^(1)",  "W^[2]_1,1^(1)", "w5^(1)",        "w_3,5^(1)"},
        {"a_3^(1)",    "a_h1^(1)",    "a^[1]_1^(1)", "out_h1^(1)",      "y_3^(1)"},
    };
    for (size_t k = 0; k < sizeof N / sizeof N[0]; k++) {
        expect_name(f, N[k].q, NOTATION_VA, N[k].va);
        expect_name(f, N[k].q, NOTATION_LAYER, N[k].layer);
        expect_name(f, N[k].q, NOTATION_NETOUT, N[k].netout);
        expect_name(f, N[k].q, NOTATION_BAR, N[k].bar);
    }
}

/* A skip arc is no entry of a layer's W: in 1-1-1-1 with the skip arc
 * w_1,4 (input into layer 2), W^[2]_1,1 is w_3,4 alone; the skip arc keeps
 * its va name (w_1,4, dw_1,4), and each name finds its own arc (stress seed
 * 1284: w_4,9 and w_5,9 were both W^[4]_4,1). */
static void test_skip_arc_layer_name(void **state)
{
    (void)state;
    const char *text = "title t\ninput 1\nlayer tanh 2\nlayer tanh 3\nlayer identity 4\nloss sse\n"
                       "nobias 2 3 4\nweight w_1,2 = 0.5\nweight w_2,3 = 0.4\nweight w_3,4 = 0.3\nweight w_1,4 = 0.2\n"
                       "rate 0.1\nsteps 1\nexample 1 -> 0\n";
    char err[512];
    fixture f = {0};
    f.l = lesson_parse(text, strlen(text), "skip.lesson", err, sizeof err);
    if (!f.l) fail_msg("%s", err);
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    if (engine_run(f.l, &o, &f.r, err, sizeof err)) fail_msg("%s", err);
    expect_name(&f, "w_3,4", NOTATION_LAYER, "W^[3]_1,1");
    expect_name(&f, "w_1,4", NOTATION_LAYER, "w_1,4");
    expect_name(&f, "dJ/dw_1,4", NOTATION_LAYER, "dw_1,4");
    expect_name(&f, "dJ/dw_3,4", NOTATION_LAYER, "dW^[3]_1,1");
    names_index *ix = names_index_new(f.l, f.r.tr, NOTATION_LAYER);
    assert_non_null(ix);
    char why[256];
    assert_int_equal(names_resolve(ix, "W^[3]_1,1", why, sizeof why), names_find(f.l, f.r.tr, NULL, "w_3,4"));
    assert_int_equal(names_resolve(ix, "dw_1,4", why, sizeof why), names_find(f.l, f.r.tr, NULL, "dJ/dw_1,4"));
    names_index_free(ix);
    engine_result_free(&f.r);
    lesson_free(f.l);
}

/* The formula of net_h1 in 002's names, and the va default is canonical. */
static void test_formula(void **state)
{
    const fixture *f = *state;
    long id = names_find(f->l, f->r.tr, NULL, "in_3");
    strbuf b = {0};
    text_line_n(&b, f->r.tr, &f->r.tr->q[id], 4, f->l, NOTATION_NETOUT);
    assert_string_equal(b.s, "net_h1 = b1*a_0 + w1*i1 + w2*i2 = 0.35*1 + 0.15*0.05 + 0.2*0.1 = 0.3775");
    b.len = 0;
    text_line(&b, f->r.tr, &f->r.tr->q[id], 4);
    assert_string_equal(b.s, "in_3 = b1*a_0 + w_1,3*a_1 + w_2,3*a_2 = 0.35*1 + 0.15*0.05 + 0.2*0.1 = 0.3775");
    sb_free(&b);
    assert_int_equal(f->l->notation, NOTATION_NETOUT);     /* the lesson's default */
    assert_int_equal(lesson_notation_parse("bar"), NOTATION_BAR);
    assert_int_equal(lesson_notation_parse("vA"), -1);
}

/* The notations every --help lists are the parser's, in its order. */
static void test_notation_choices(void **state)
{
    (void)state;
    char want[64] = "";
    for (int k = 0; k < NOTATION_COUNT; k++) {
        if (k) strcat(want, "|");
        strcat(want, lesson_notation_name(k));
        assert_int_equal(lesson_notation_parse(lesson_notation_name(k)), k);
    }
    assert_string_equal(NOTATION_CHOICES, want);
}

/* The numbers after the last " = " of every trace line, in order (the
 * expectations' lines, which quote the lesson's own spelling, aside). */
static char *values_only(const char *text)
{
    char *out = calloc(strlen(text) + 1, 1);
    const char *line = text;
    while (out && *line) {
        const char *nl = strchr(line, '\n'), *end = nl ? nl : line + strlen(line), *v = NULL;
        for (const char *p = line; p + 3 <= end; p++) if (!strncmp(p, " = ", 3)) v = p + 3;
        int expectation = !strncmp(line, "  ok   ", 7) || !strncmp(line, "  FAIL ", 7);
        if (v && line[0] == ' ' && line[1] == ' ' && line[2] != ' ' && !expectation) {
            strncat(out, v, (size_t)(end - v));
            strcat(out, "\n");
        }
        line = nl ? nl + 1 : end;
    }
    return out;
}

static char *run_cli(const char *args)
{
    const char *bin = getenv("NNTRACE_BIN");
    char cmd[512], path[] = "/tmp/nntrace-notation-XXXXXX";
    int fd = mkstemp(path);
    if (!bin || fd < 0) return NULL;
    snprintf(cmd, sizeof cmd, "%s run --golden %s > %s", bin, args, path);
    int rc = system(cmd);
    char *s = rc == 0 ? slurp(path, NULL) : NULL;
    remove(path);
    return s;
}

/* End to end: each notation prints the same values, and only names differ. */
static void test_values_unchanged(void **state)
{
    (void)state;
    if (!getenv("NNTRACE_BIN")) skip();
    static const char *const L[] = {"lessons/mazur-2-2-2.lesson", "lessons/sauppe-sgd-step.lesson",
                                    "lessons/softmax-3class.lesson"};
    static const char *const N[] = {"va", "layer", "netout", "bar"};
    for (size_t k = 0; k < 3; k++) {
        char args[256], *ref = NULL, *refv = NULL;
        for (size_t n = 0; n < 4; n++) {
            snprintf(args, sizeof args, "--notation %s %s", N[n], L[k]);
            char *t = run_cli(args);
            if (!t) fail_msg("nntrace run %s failed", args);
            char *v = values_only(t);
            assert_non_null(v);
            assert_true(strlen(v) > 100);
            if (!refv) { ref = t; refv = v; continue; }
            if (strcmp(v, refv)) fail_msg("%s: values differ between va and %s", L[k], N[n]);
            if (!strcmp(t, ref)) fail_msg("%s: --notation %s changed no name", L[k], N[n]);
            free(t);
            free(v);
        }
        free(ref);
        free(refv);
    }
    char *t = run_cli("--notation netout lessons/mazur-2-2-2.lesson");
    assert_non_null(t);
    assert_non_null(strstr(t, "  E_total = 1/2*(target_o1 - out_o1)^2 + 1/2*(target_o2 - out_o2)^2"));
    free(t);
    t = run_cli("--notation bar lessons/csc413-logistic-least-squares.lesson");
    assert_non_null(t);
    assert_non_null(strstr(t, "  zbar_2 = -err_2*sigma'(z_2) = -0.5*0.25 = -0.125"));
    free(t);
}

static void test_bad_notation(void **state)
{
    (void)state;
    const char *bin = getenv("NNTRACE_BIN");
    if (!bin) skip();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s run --notation layr lessons/mazur-2-2-2.lesson", bin);
    int st;
    char *out = run_sh(cmd, &st);
    assert_int_equal(st, 2);
    assert_string_equal(out, "nntrace run: --notation takes one of va|layer|netout|bar, not 'layr'\n"
                             "HINT: did you mean layer?\n");
    free(out);
    snprintf(cmd, sizeof cmd, "%s run --notation greek lessons/mazur-2-2-2.lesson >/dev/null 2>&1", bin);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 2);
    const char *text = "title t\ninput 1\nlayer logistic 2\nweight w_0,2 = 1\nweight w_1,2 = 1\n"
                       "example 1\nnotation greek\n";
    char err[512];
    lesson *l = lesson_parse(text, strlen(text), "n.lesson", err, sizeof err);
    assert_null(l);
    assert_string_equal(err, "n.lesson:7: 'notation' takes one of va|layer|netout|bar");
    const char *near = "title t\ninput 1\nlayer logistic 2\nweight w_0,2 = 1\nweight w_1,2 = 1\n"
                       "example 1\nnotation layr\n";
    assert_null(lesson_parse(near, strlen(near), "n.lesson", err, sizeof err));
    assert_string_equal(err, "n.lesson:7: 'notation' takes one of va|layer|netout|bar; did you mean layer?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_formula),
        cmocka_unit_test(test_values_unchanged),
        cmocka_unit_test(test_bad_notation),
        cmocka_unit_test(test_notation_choices),
        cmocka_unit_test(test_skip_arc_layer_name),
    };
    return cmocka_run_group_tests(tests, setup_mazur, teardown);
}
