/*
 * test_walk.c - the trace walker and the engine's provenance.
 *
 * For every lesson in lessons/: the engine records where each given value
 * comes from (an input or target names its lesson example, and that
 * example's value is the one in the trace; weights are the lesson's or
 * carried; the bias is the bias), and the headings a student meets stepping
 * through to the end are exactly the text trace's (one walker writes both).
 */
#include "testutil.h"

#include "engine.h"
#include "step.h"
#include "text.h"
#include "walk.h"

typedef struct { char **path; size_t n; } lesson_list;

static lesson_list all_lessons(void)
{
    lesson_list L = {0};
    FILE *ls = popen("ls lessons/*.lesson", "r");
    assert_non_null(ls);
    char line[512];
    while (fgets(line, sizeof line, ls)) {
        line[strcspn(line, "\n")] = '\0';
        L.path = realloc(L.path, (L.n + 1) * sizeof *L.path);
        assert_non_null(L.path);
        L.path[L.n] = strdup(line);
        assert_non_null(L.path[L.n++]);
    }
    pclose(ls);
    assert_true(L.n >= 10);
    return L;
}

static void list_free(lesson_list *L)
{
    for (size_t k = 0; k < L->n; k++) free(L->path[k]);
    free(L->path);
}

static lesson *load_run(const char *path, engine_result *r)
{
    char err[1024];
    lesson *l = lesson_load(path, err, sizeof err);
    if (!l) fail_msg("%s", err);
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    if (engine_run(l, &o, r, err, sizeof err)) fail_msg("%s", err);
    return l;
}

static void test_provenance(void **state)
{
    (void)state;
    lesson_list L = all_lessons();
    size_t checked = 0;
    for (size_t k = 0; k < L.n; k++) {
        engine_result r;
        lesson *l = load_run(L.path[k], &r);
        int n_out;
        const int32_t *out = lesson_outputs(l, &n_out);
        for (size_t id = 0; id < r.tr->n; id++) {
            const quantity *q = &r.tr->q[id];
            if (q->e > 0 && q->ex != q->e)
                fail_msg("%s: %zu: numbered example %d but provenance %d", L.path[k], id, q->e, q->ex);
            if (q->spec.op != OP_CONST) { assert_int_equal(q->why, GIVEN_NOT); continue; }
            switch (q->kind) {
            case Q_BIAS:   assert_int_equal(q->why, GIVEN_BIAS); break;
            case Q_WEIGHT: assert_int_equal(q->why, q->t == 0 ? GIVEN_LESSON : GIVEN_CARRIED); break;
            case Q_MASK:   assert_int_equal(q->why, GIVEN_DRAW); break;
            case Q_INPUT:
            case Q_TARGET: {
                assert_int_equal(q->why, GIVEN_EXAMPLE);
                if (q->ex < 1 || q->ex > l->n_examples) fail_msg("%s: %zu: example %d", L.path[k], id, q->ex);
                double want = NAN;
                if (q->kind == Q_INPUT) {
                    for (int m = 0; m < l->n_in; m++)
                        if (l->inputs[m] == q->j) want = l->ex_x[(size_t)(q->ex - 1) * l->n_in + m];
                } else {
                    for (int m = 0; m < n_out; m++)
                        if (out[m] == q->j) want = l->ex_y[(size_t)(q->ex - 1) * l->n_out + m];
                }
                if (want != q->value)
                    fail_msg("%s: quantity %zu (neuron %d) says example %d, whose value is %g, not %g",
                             L.path[k], id, q->j, q->ex, want, q->value);
                checked++;
                break;
            }
            default:
                fail_msg("%s: a given quantity of kind %s", L.path[k], trace_kind_name(q->kind));
            }
        }
        engine_result_free(&r);
        lesson_free(l);
    }
    assert_true(checked > 100);
    list_free(&L);
}

/* The heading lines of a view: those that are not a quantity's line ("  "),
 * a note ("    ("), or the opening and closing sections. */
static void headings(const char *text, strbuf *out)
{
    for (const char *s = text; *s;) {
        size_t n = strcspn(s, "\n");
        int pass = 0;                         /* " forward", " input normalisation (...)" */
        for (int p = 0; p < PASS_COUNT; p++)
            pass |= n > 1 && s[0] == ' ' && !strncmp(s + 1, trace_pass_name((q_pass)p), strlen(trace_pass_name((q_pass)p)));
        pass |= !strncmp(s, " input normalisation", 20);
        if (pass || !strncmp(s, "given", 5) || !strncmp(s, "step ", 5) || !strncmp(s, "weights after", 13) ||
            !strncmp(s, "forward pass", 12))
            sb_printf(out, "%.*s\n", (int)n, s);
        s += n + (s[n] == '\n');
    }
}

static void test_step_and_text_headings_agree(void **state)
{
    (void)state;
    lesson_list L = all_lessons();
    for (size_t k = 0; k < L.n; k++) {
        engine_result r;
        lesson *l = load_run(L.path[k], &r);
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        assert_non_null(mem);
        text_opts o = {.digits = l->digits, .passes = ~0u};
        assert_int_equal(text_print_trace_n(mem, l, &r, &o, l->notation), 0);
        assert_int_equal(fclose(mem), 0);
        char *stop = strstr(buf, "\nloss by step");            /* the closing sections */
        if (stop) *stop = '\0';
        stop = strstr(buf, "\nmistakes by epoch");
        if (stop) *stop = '\0';
        strbuf want = {0}, got = {0}, screen = {0};
        headings(buf, &want);
        step_style st = {.digits = l->digits, .l = l, .notation = l->notation};
        step_session *s = step_new(l, r.tr, &st);
        assert_non_null(s);
        step_opening(s, &screen);                /* the session as a student drives it: Enter to the end */
        while (!step_at_end(s)) step_do(s, STEP_NEXT, NULL, &screen);
        headings(screen.s ? screen.s : "", &got);
        if (strcmp(want.s ? want.s : "", got.s ? got.s : ""))
            fail_msg("%s: step's headings differ from the text trace's:\n--- text ---\n%.400s\n--- step ---\n%.400s",
                     L.path[k], want.s, got.s);
        step_free(s);
        sb_free(&want);
        sb_free(&got);
        sb_free(&screen);
        free(buf);
        engine_result_free(&r);
        lesson_free(l);
    }
    list_free(&L);
}

/* lessons/perceptron-and.lesson (it converges after step 24 of at most
 * 80) with its `trace` line replaced by trace_line ("" for none), run
 * under trace_all; the sentence of walk_not_run into why. */
static int perceptron_not_run(const char *trace_line, int trace_all, int report, char *why, size_t size)
{
    char *text = slurp("lessons/perceptron-and.lesson", NULL), err[1024];
    assert_non_null(text);
    char *at = strstr(text, "\ntrace ");
    assert_non_null(at);
    size_t end = strcspn(at + 1, "\n") + 1;
    strbuf b = {0};
    sb_printf(&b, "%.*s\n%s%s", (int)(at - text), text, trace_line, at + end);
    lesson *l = lesson_parse(b.s, b.len, "p.lesson", err, sizeof err);
    if (!l) fail_msg("%s", err);
    engine_opts o = {.round = ENGINE_ROUND_LESSON, .trace_all = trace_all};
    engine_result r;
    if (engine_run(l, &o, &r, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(r.steps, 24);
    int said = report ? walk_step_not_run(l, r.tr, report, why, size) : walk_not_run(l, r.tr, why, size);
    engine_result_free(&r);
    lesson_free(l);
    sb_free(&b);
    free(text);
    return said;
}

/* A perceptron that converged has not run the steps after; the one
 * sentence that says so, for the steps a lesson traces and for one step. */
static void test_not_run_sentence(void **state)
{
    (void)state;
    static const struct { const char *trace; int all, report; const char *want; } CASES[] = {
        {"trace 1 2 3 4 21 22 23 24", 0, 0, ""},               /* the lesson as shipped: all ran */
        {"trace 1 24 30", 0, 0, "step 30: not run (training stopped after step 24)"},
        {"trace 30 31", 0, 0, "steps 30 and 31: not run (training stopped after step 24)"},
        {"trace 2 26 27 28 30 40 41 42 43 81", 0, 0,              /* 81: the final forward pass */
         "steps 26 to 28, 30 and 40 to 43: not run (training stopped after step 24)"},
        {"", 0, 0, "step 80: not run (training stopped after step 24)"},    /* the default: 1 and the last */
        {"trace 1 2", 1, 0, "steps 25 to 80: not run (training stopped after step 24)"},   /* --all-steps */
        {"trace 1", 0, 30, "step 30: not run (training stopped after step 24)"},           /* report 30 */
        {"trace 1", 0, 24, ""},
    };
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        char why[512];
        int said = perceptron_not_run(CASES[k].trace, CASES[k].all, CASES[k].report, why, sizeof why);
        if (said != (CASES[k].want[0] != 0) || strcmp(why, CASES[k].want))
            fail_msg("'%s'%s report %d: %d '%s', expected '%s'", CASES[k].trace, CASES[k].all ? " --all-steps" : "",
                     CASES[k].report, said, why, CASES[k].want);
    }
    char tiny[12];                                 /* cut short, never past the buffer */
    assert_int_equal(perceptron_not_run("trace 1 24 30", 0, 0, tiny, sizeof tiny), 1);
    assert_string_equal(tiny, "step 30: no");
}

/* Every view of the trace says it for a traced step the perceptron did not
 * reach, as the `report` view does, in the same words: the text trace,
 * step (and its answer to a name of that step), tex (article and beamer),
 * the workbook, and dot --step; and dot
 * heads the forward pass after the last step run as the trace does. */
static void test_views_say_not_run(void **state)
{
    (void)state;
    char dir[64], cmd[8192], nt[4096];
    assert_int_equal(tmpdir_make(dir, "notrun"), 0);
    bin_abs(nt);
    snprintf(cmd, sizeof cmd,
             "D=%s; NT=%s; sed 's/^trace .*/trace 1 2 23 24 30/; s/^digits .*/&\\nreport 24 30/' "
             "lessons/perceptron-and.lesson > $D/p.lesson\n"
             "echo '== run'; $NT run $D/p.lesson --no-color\n"
             "echo '== step'; yes '' | head -400 | $NT step $D/p.lesson --no-color --ascii\n"
             "echo '== tex'; $NT tex $D/p.lesson\n"
             "echo '== beamer'; $NT tex $D/p.lesson --beamer\n"
             /* a wrapped cell holds its lines (xlsx.c put_wrapped): read as one */
             "echo '== xlsx'; $NT xlsx $D/p.lesson -o $D/p.xlsx >/dev/null && unzip -p $D/p.xlsx xl/sharedStrings.xml "
             "| tr '\\n' ' '; echo\n"
             "echo '== dot'; $NT dot $D/p.lesson --step 30; echo dot-exit=$?\n"
             "echo '== final'; $NT dot $D/p.lesson --step 25 | sed -n 2p\n"
             "echo '== name'; printf 'g a_3^(29)[1]\\nq\\n' | $NT step $D/p.lesson --no-color --ascii 2>&1 | grep stdin\n"
             "echo '== end'\n", dir, nt);
    int rc;
    char *out = run_sh(cmd, &rc);
    static const char S[] = "step 30: not run (training stopped after step 24)";
    static const struct { const char *view, *want; } WANT[] = {
        {"run", "\n\nstep 30: not run (training stopped after step 24)\n\nloss by step\n"},   /* the trace ends */
        {"run", "\n  step 24: J = 0\n  step 30: not run (training stopped after step 24)\n"},   /* report */
        {"step", "\nstep 30: not run (training stopped after step 24)\n(end of the trace"},
        {"tex", "\\section*{step 30: not run (training stopped after step 24)}"},
        {"beamer", "\\begin{frame}{step 30: not run (training stopped after step 24)}"},
        {"xlsx", ">step 30: not run (training stopped after step 24)<"},
        {"dot", "nntrace dot: "},
        {"dot", "p.lesson: step 30: not run (training stopped after step 24)\ndot-exit=2"},
        {"name", "stdin:1: 'a_3^(29)[1]' names no quantity of this lesson's trace: step 30: not run "
                 "(training stopped after step 24); did you mean "},   /* a name in step's prompt */
    };
    /* the forward pass after the last step run has the text trace's heading */
    const char *fin = strstr(out, "== final\n");
    if (!fin || !strstr(fin, "\\nforward pass with the weights after step 24 (t = 24), example 1\""))
        fail_msg("dot --step 25 does not head the final forward pass as the trace does:\n%s", fin ? fin : out);
    for (size_t k = 0; k < sizeof WANT / sizeof WANT[0]; k++) {
        char head[32];
        snprintf(head, sizeof head, "== %s\n", WANT[k].view);
        const char *from = strstr(out, head), *to = from ? strstr(from + 1, "\n== ") : NULL;
        if (!from || !to) fail_msg("no section '%s' in:\n%s", WANT[k].view, out);
        char *part = strndup(from, (size_t)(to - from) + 1);
        assert_non_null(part);
        if (!strstr(part, WANT[k].want)) fail_msg("%s does not say '%s':\n%s", WANT[k].view, WANT[k].want, part);
        if (!strstr(part, S)) fail_msg("%s", part);
        free(part);
    }
    free(out);
    tmpdir_remove(dir);
}

/* walk_next with a pass filter yields exactly the quantities of those passes,
 * in order, and its first item opens with every heading. */
static void test_walk_filter(void **state)
{
    (void)state;
    engine_result r;
    lesson *l = load_run("lessons/sauppe-minibatch.lesson", &r);
    walker w;
    walk_start(&w, l, r.tr, (1u << PASS_GRADIENT) | (1u << PASS_UPDATE));
    walk_item it;
    size_t n = 0, want = 0, last = 0;
    for (size_t id = 0; id < r.tr->n; id++) want += r.tr->q[id].pass == PASS_GRADIENT || r.tr->q[id].pass == PASS_UPDATE;
    while (walk_next(&w, &it)) {
        if (n == 0) {
            assert_non_null(it.step_heading);
            assert_non_null(it.pass_heading);
            assert_true(it.events & WALK_ITER);
        } else {
            assert_true(it.id > last);
        }
        assert_true(it.q->pass == PASS_GRADIENT || it.q->pass == PASS_UPDATE);
        last = it.id;
        n++;
    }
    assert_int_equal(n, want);
    assert_true(n > 0);
    engine_result_free(&r);
    lesson_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_provenance),
        cmocka_unit_test(test_step_and_text_headings_agree),
        cmocka_unit_test(test_walk_filter),
        cmocka_unit_test(test_not_run_sentence),
        cmocka_unit_test(test_views_say_not_run),
    };
    return cmocka_run_group_tests_name("walk", tests, NULL, NULL);
}
