/*
 * test_new.c - `nntrace new SHAPE`: for several shapes, activations, losses
 * and initialisations the lesson it prints loads, runs, and passes
 * `nntrace gradcheck` (its gradients are right), has a weight line for every
 * arc and a comment for every key it uses; each bad option has its message.
 */
#include "testutil.h"

static char tmp[64];

static int setup(void **state)
{
    (void)state;
    return tmpdir_make(tmp, "new");
}

static int teardown(void **state)
{
    (void)state;
    return tmpdir_remove(tmp);
}

/* Arcs of a layered shape with a bias arc into every processing neuron. */
static int arcs_of(const char *shape)
{
    int prev = -1, arcs = 0;
    for (const char *p = shape; *p;) {
        int v = atoi(p);
        if (prev > 0) arcs += (prev + 1) * v;
        prev = v;
        p += strcspn(p, "-");
        if (*p) p++;
    }
    return arcs;
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++) n++;
    return n;
}

static void test_shapes_run_and_gradcheck(void **state)
{
    (void)state;
    struct { const char *shape, *opts; int init; } cases[] = {
        {"1-1", "", 0},
        {"2-3-2", "", 0},
        {"3-4-4-2", "", 0},
        {"2-2-1", "--act tanh --out identity --loss mse", 0},
        {"4-5-3", "--act relu --out softmax", 0},
        {"2-3-1", "--loss bce", 0},
        {"2-2-2", "--act ReLU --out Logistic --loss HALF-SSE", 0},
        {"5-3-3-3", "--act 'elu(1)' --out softmax", 0},
        {"3-2", "--init he 3", 1},
        {"2-3-2", "--init uniform -0.5 0.5 1", 1},
        {"2-4-1", "--act 'leaky-relu(0.1)' --init xavier 2", 1},
    };
    char cmd[1024], path[256];
    snprintf(path, sizeof path, "%s/n.lesson", tmp);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        int st;
        snprintf(cmd, sizeof cmd, "%s new %s %s -o %s", bin(), cases[k].shape, cases[k].opts, path);
        char *out = run_sh(cmd, &st);
        if (st != 0) fail_msg("new %s %s: exit %d: %s", cases[k].shape, cases[k].opts, st, out);
        free(out);
        char *text = slurp(path, NULL);
        assert_non_null(text);
        int arcs = arcs_of(cases[k].shape);
        int lines = count(text, "\nweight  w_"), commented = count(text, "\n# weight  w_");
        if (cases[k].init ? (commented != arcs || lines != 0) : (lines != arcs || commented != 0))
            fail_msg("new %s %s: %d weight lines and %d commented for %d arcs", cases[k].shape,
                     cases[k].opts, lines, commented, arcs);
        const char *keys[] = {"\n# title TEXT: ", "\n# source TEXT: ", "\n# input ID...: ", "\n# layer ACT ID...: ",
                              "\n# weight NAME = VALUE: ", "\n# loss KIND: ", "\n# rate A: ", "\n# steps N: ",
                              "\n# example X... [-> Y... | -> class K]: ", "\n# digits N: ", "\n# expect NAME = VALUE: "};
        for (size_t m = 0; m < sizeof keys / sizeof *keys; m++)
            if (!strstr(text, keys[m])) fail_msg("new %s: no comment %s", cases[k].shape, keys[m] + 1);
        if (cases[k].init) assert_non_null(strstr(text, "\ninit    "));
        free(text);
        snprintf(cmd, sizeof cmd, "%s run %s", bin(), path);
        out = run_sh(cmd, &st);
        if (st != 0) fail_msg("run of new %s %s: exit %d: %.500s", cases[k].shape, cases[k].opts, st, out);
        free(out);
        snprintf(cmd, sizeof cmd, "%s gradcheck %s", bin(), path);
        out = run_sh(cmd, &st);
        if (st != 0 || !strstr(out, "0 wrong"))
            fail_msg("gradcheck of new %s %s: exit %d: %s", cases[k].shape, cases[k].opts, st, out);
        free(out);
    }
}

/* Standard output by default; the same text as -o. */
static void test_stdout(void **state)
{
    (void)state;
    int st;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s new 2-3-2", bin());
    char *out = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "title   A 2-3-2 network\n"));
    assert_non_null(strstr(out, "\ninput   1 2\n"));
    assert_non_null(strstr(out, "\nlayer   logistic 3 4 5\nlayer   logistic 6 7    # the output layer\n"));
    assert_non_null(strstr(out, "\nexample 0.5 -0.3 -> 1 0\n"));
    free(out);
    snprintf(cmd, sizeof cmd, "%s new 2-3 --out softmax", bin());   /* a class label for softmax */
    out = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "\nexample 0.5 -0.3 -> class 1\n"));
    free(out);
}

static void test_errors(void **state)
{
    (void)state;
    struct { const char *args, *msg; } cases[] = {
        {"", "nntrace new: which shape?\nHINT: nntrace new 2-3-2 > my.lesson\n"},
        {"2", "nntrace new: SHAPE is two or more layer sizes (1 to 9999) joined by '-', inputs first, such as 2-3-2; not '2'\n"},
        {"2-x-2", "not '2-x-2'\n"},
        {"0-1", "not '0-1'\n"},
        {"2--3", "not '2--3'\n"},
        {"5000-5000", "nntrace new: shape '5000-5000' is too large (at most 9999 neurons and 100000 arcs)\n"},
        {"2-3 --act rleu", "nntrace new: --act: unknown activation 'rleu' (known: "},
        {"2-3 --act rleu", "\nHINT: did you mean relu?\n"},
        {"2-3 --out softmx", "\nHINT: did you mean softmax?\n"},
        {"2-3 --act 'relu(0.1)'", "nntrace new: --act: activation 'relu(0.1)': relu takes no parameter "
                                  "(these do: leaky-relu(s), prelu(s), elu(a))\n"},
        {"2-3 --out 'elu()'", "nntrace new: --out: activation 'elu()': the alpha of elu is a number in "
                              "parentheses, as elu(1), not '()'\n"},
        {"2-3-2 --act softmax", "nntrace new: --act softmax: softmax is for the output layer only (--out softmax)\n"},
        {"2-3 --loss mes", "nntrace new: --loss: unknown loss 'mes' (known: "},
        {"2-3 --loss mes", "\nHINT: did you mean mse?\n"},
        {"2-3 --out identity --loss bce", "nntrace new: loss bce needs a logistic output layer"},
        {"2-3 --out softmax --loss sse", "nntrace new: a softmax output layer needs loss softmax-ce\n"},
        {"2-3 --init he", "nntrace new: --init takes 'uniform LO HI SEED', 'xavier SEED', 'xavier-normal SEED' or 'he SEED'\n"},
        {"2-3 --init foo 1", "nntrace new: expected 'init uniform LOW HIGH SEED'"},
        {"2-3 --init uniform 1 0 3", "nntrace new: init uniform needs LOW < HIGH\n"},
        {"2-3 --bogus", "nntrace new: unknown option '--bogus'\nHINT: nntrace new --help\n"},
        {"2-3 4-5", "nntrace new: one shape at a time ('2-3' and '4-5')\n"},
        /* a shape as a paper writes it gets the '-' form */
        {"2,3,2", "such as 2-3-2; not '2,3,2'; did you mean 2-3-2?\n"},
        {"2x3x1", "such as 2-3-2; not '2x3x1'; did you mean 2-3-1?\n"},
        {"'4\xC3\x97" "5\xC3\x97" "3'", "; did you mean 4-5-3?\n"},
        {"2 3 2", "nntrace new: a shape is one word, its layer sizes joined by '-'; did you mean 2-3-2?\n"},
        {"2,0", "such as 2-3-2; not '2,0'\n"},
        {"2-3-1 --out softmax", "nntrace new: softmax over one output neuron is always 1, so nothing learns"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        int st;
        char cmd[512];
        snprintf(cmd, sizeof cmd, "%s new %s", bin(), cases[k].args);
        char *out = run_sh(cmd, &st);
        if (st != 2 || !strstr(out, cases[k].msg))
            fail_msg("new %s: exit %d, output:\n%s\nwanted:\n%s", cases[k].args, st, out, cases[k].msg);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes_run_and_gradcheck),
        cmocka_unit_test(test_stdout),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("new", tests, setup, teardown);
}
