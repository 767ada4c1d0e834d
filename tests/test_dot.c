/*
 * test_dot.c - `nntrace dot`: the labels of the lecture's networks, the
 * layer ranks and the bias, errors, and Graphviz accepting every lesson.
 *
 * Values from lecture 001, 07-2c: in_3 = 0, a_3 = 0.5, in_4 = -1,
 * a_4 ~ 0.27, in_5 = 1.54, a_5 ~ 0.82 with w_2,3 = -2, w_0,5 = -1; and
 * Mazur's 2-2-2 example (lecture 003's step-by-step backpropagation):
 * dE/dw5 = 0.082167041, out_o1 = 0.75136507.
 */
#include "testutil.h"

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "lesson.h"
#include "netdraw.h"

#define assert_has(hay, needle) do { \
        if (!strstr((hay), (needle))) fail_msg("expected \"%s\" in:\n%s", (needle), (hay)); \
    } while (0)

/* DOT of a lesson through the library; NULL with err on failure. */
static char *dot_of(const char *path, int step, int backward, int unicode, char *err, size_t errsize)
{
    lesson *l = lesson_load(path, err, errsize);
    if (!l) fail_msg("%s", err);
    engine_result r;
    engine_opts eo = {ENGINE_ROUND_LESSON, 0};
    assert_int_equal(engine_run(l, &eo, &r, err, errsize), 0);
    netdraw_dot_opts o = {.step = step, .backward = backward, .digits = l->digits, .unicode = unicode,
                         .notation = -1};
    strbuf b = {0};
    int rc = netdraw_dot(&b, l, r.tr, &o, err, errsize);
    engine_result_free(&r);
    lesson_free(l);
    if (rc) { sb_free(&b); return NULL; }
    return b.s;
}

static void test_forward_labels_from_the_slide(void **state)
{
    (void)state;
    char err[512];
    char *d = dot_of("lessons/sauppe-forward.lesson", 1, 0, 0, err, sizeof err);
    assert_non_null(d);
    assert_has(d, "digraph \"sauppe-forward\" {");
    assert_has(d, "rankdir=LR");
    assert_has(d, "n3 [label=\"(3) logistic\\nin_3 = 0\\na_3 = 0.5\"];");
    assert_has(d, "n4 [label=\"(4) logistic\\nin_4 = -1\\na_4 ~ 0.27\"];");
    assert_has(d, "label=\"(5) logistic\\nin_5 = 1.54\\na_5 ~ 0.82\"];");
    assert_has(d, "n1 [fillcolor=\"#fff4d6\", color=\"#b48a3c\", label=\"(1)\\na_1 = x_1 = 3\"];");
    /* layers: one rank each, in order; the bias a dashed box, its arcs dashed */
    assert_has(d, "{ rank=same; n0 -> n1 -> n2 [style=invis]; }");
    assert_has(d, "{ rank=same; n3 -> n4 [style=invis]; }");
    assert_has(d, "{ rank=same; n5; }");
    assert_has(d, "n0 [shape=box, style=\"rounded,dashed,filled\"");
    assert_has(d, "n0 -> n5 [style=dashed, color=\"#999999\", label=\"w_0,5 = -1\"];");
    assert_has(d, "n2 -> n3 [label=\"w_2,3 = -2\"];");
    assert_null(strstr(d, "delta"));            /* forward only */
    free(d);
    d = dot_of("lessons/sauppe-forward.lesson", 1, 0, 1, err, sizeof err);
    assert_has(d, "in\xe2\x82\x83 = 0");          /* in₃ */
    free(d);
}

static void test_backward_adds_deltas_and_gradients(void **state)
{
    (void)state;
    char err[512];
    char *d = dot_of("lessons/mazur-2-2-2.lesson", 1, 1, 0, err, sizeof err);
    assert_non_null(d);
    /* the lesson's net/out notation: o1 is neuron 5, w5 is w_3,5 */
    assert_has(d, "o1 (5) logistic\\nnet_o1 = 1.105905967\\nout_o1 = 0.75136507\\ndelta_o1 = ");
    assert_has(d, "n3 -> n5 [label=\"w5 = 0.4\\ndE_total/dw5 = 0.082167041\"];");
    assert_has(d, "(frozen)");                  /* the shared biases b1, b2 */
    free(d);
}

static void test_errors(void **state)
{
    (void)state;
    char err[512];
    /* 07-2c has no targets: no backward pass */
    assert_null(dot_of("lessons/sauppe-forward.lesson", 1, 1, 0, err, sizeof err));
    assert_has(err, "no backward pass (the examples have no targets)");
    assert_null(dot_of("lessons/sauppe-sgd-step.lesson", 7, 0, 0, err, sizeof err));
    assert_has(err, "step 7 is not in the trace (traced steps: 1, 2)");
    /* step 2 of a 1-step lesson with final-forward: the forward pass after */
    char *d = dot_of("lessons/sauppe-sgd-step.lesson", 2, 0, 0, err, sizeof err);
    assert_non_null(d);
    assert_has(d, "in_3^(1) = 0.34821 ~ 0.3482");   /* 07-2a: in_3 = 0.34821 */
    free(d);
}


static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Graphviz accepts the DOT of every lesson, forward and (when there is
 * one) backward; the CLI refuses a missing backward pass with exit 2. */
static void test_graphviz_accepts_every_lesson(void **state)
{
    (void)state;
    if (sh("command -v dot > /dev/null 2>&1") != 0) skip();
    DIR *dir = opendir("lessons");
    assert_non_null(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        size_t len = strlen(e->d_name);
        if (len <= 7 || strcmp(e->d_name + len - 7, ".lesson")) continue;
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "%s dot lessons/%s > /tmp/nntrace-dot-%d.dot && "
                 "dot -Tsvg /tmp/nntrace-dot-%d.dot > /dev/null", bin(), e->d_name, (int)getpid(), (int)getpid());
        if (sh(cmd) != 0) fail_msg("forward DOT of %s is not accepted: %s", e->d_name, cmd);
        snprintf(cmd, sizeof cmd, "%s dot lessons/%s --pass backward > /tmp/nntrace-dot-%d.dot 2>/dev/null",
                 bin(), e->d_name, (int)getpid());
        int rc = sh(cmd);
        if (rc != 0 && rc != 2) fail_msg("backward DOT of %s: exit %d", e->d_name, rc);
        snprintf(cmd, sizeof cmd, "dot -Tsvg /tmp/nntrace-dot-%d.dot > /dev/null", (int)getpid());
        if (rc == 0 && sh(cmd) != 0) fail_msg("backward DOT of %s is not accepted", e->d_name);
        n++;
    }
    closedir(dir);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/nntrace-dot-%d.dot", (int)getpid());
    unlink(tmp);
    assert_true(n >= 2);
}

static void test_cli_output_file_and_usage(void **state)
{
    (void)state;
    char cmd[512], out[64];
    snprintf(out, sizeof out, "/tmp/nntrace-dot-o-%d.dot", (int)getpid());
    snprintf(cmd, sizeof cmd, "%s dot lessons/sauppe-forward.lesson --ascii -o %s", bin(), out);
    assert_int_equal(sh(cmd), 0);
    char *d = slurp(out, NULL);
    assert_non_null(d);
    assert_has(d, "a_5 ~ 0.82");
    free(d);
    unlink(out);
    snprintf(cmd, sizeof cmd, "%s dot lessons/sauppe-forward.lesson --pass sideways 2>/dev/null", bin());
    assert_int_equal(sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s dot lessons/sauppe-forward.lesson --pass backward >/dev/null 2>&1", bin());
    assert_int_equal(sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s dot 2>/dev/null", bin());
    assert_int_equal(sh(cmd), 2);
    /* a failed run leaves no file */
    snprintf(cmd, sizeof cmd, "%s dot lessons/sauppe-forward.lesson --step 9 -o %s 2>/dev/null", bin(), out);
    assert_int_equal(sh(cmd), 2);
    assert_int_equal(access(out, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_labels_from_the_slide),
        cmocka_unit_test(test_backward_adds_deltas_and_gradients),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_graphviz_accepts_every_lesson),
        cmocka_unit_test(test_cli_output_file_and_usage),
    };
    return cmocka_run_group_tests_name("dot", tests, NULL, NULL);
}
