/*
 * test_tables.c - the descriptor tables, row by row: every activation, every
 * loss and every operation (eval.h), with no hand-kept list of names.
 *
 * For each activation row: g' against central differences of g (with the
 * all-zero guard), its names and aliases parse in any case, g and g' render
 * in every syntax. For each loss row: the output delta against central
 * differences of J through the evaluator's own OP_ACT and OP_LOSS. For each
 * operation row: it renders in every syntax at a fitting operand count and
 * refuses one that does not fit. Then every spreadsheet form is recalculated
 * by gnumeric (ssconvert) and must equal the evaluator, and every LaTeX form
 * must compile with pdflatex. A missing ssconvert or pdflatex FAILS.
 */
#include "testutil.h"

#include <ctype.h>

#include <xlsxwriter.h>

#include "eval.h"
#include "engine.h"
#include "fast/fast_kernel.h"
#include "formula.h"
#include "names.h"
#include "xlsx.h"

static const double POINTS[] = {-2.0, -0.7, -0.1, 0.3, 1.5};
#define N_POINTS (sizeof POINTS / sizeof POINTS[0])

static int is_softmax(int k) { return ACT_ROWS[k].g == NULL; }

/* The parameter a row is tested with: not its default, to catch a row that ignores it. */
static act_fn test_fn(int k)
{
    act_fn f = {(act_kind)k, ACT_ROWS[k].param};
    if (ACT_ROWS[k].param_name) f.param = 0.3;
    return f;
}

/* ------------------------------------------------------------------------
 * Activations
 * ---------------------------------------------------------------------- */

static void test_act_rows_gradient(void **state)
{
    (void)state;
    int checked = 0;
    for (int k = 0; k < ACT_COUNT; k++) {
        if (is_softmax(k)) continue;
        act_fn f = test_fn(k);
        double biggest = 0;
        for (size_t p = 0; p < N_POINTS; p++) {
            double v = POINTS[p], a = act_g(f, v), h = 1e-6;
            double d = act_dg(f, v, a, NULL), num = (act_g(f, v + h) - act_g(f, v - h)) / (2 * h);
            if (fabs(d - num) > 1e-7 * fmax(1, fabs(num)))
                fail_msg("%s: g'(%g) = %.12g, central difference %.12g", ACT_ROWS[k].name, v, d, num);
            biggest = fmax(biggest, fabs(d));
        }
        /* all-zero guard (genann); only a row whose g' is written "0" may be flat */
        if (strcmp(ACT_ROWS[k].dg_form[SYN_ASCII], "0") != 0 && biggest < 0.1)
            fail_msg("%s: g' is ~0 at every point", ACT_ROWS[k].name);
        checked++;
    }
    assert_int_equal(checked, ACT_COUNT - 1);
}

/* 002 writes ELU's g' = g + alpha for x < 0; that cancels for very negative x,
 * so the value is alpha e^x (relative error 3e-7 at -24 before). */
static void test_elu_derivative_precision(void **state)
{
    (void)state;
    act_fn f;
    assert_int_equal(act_parse("elu(1.5)", &f), 0);
    for (double x = -24; x <= -1; x += 23) {
        double exact = 1.5 * exp(x), got = act_dg(f, x, act_g(f, x), NULL);
        assert_close(got, exact, 0, 4e-16);
    }
}

/* "LEAKY-relu" from "leaky-relu": every other letter upper case. */
static void mixed_case(const char *s, char *out, size_t size)
{
    size_t k = 0;
    for (; s[k] && k + 1 < size; k++) out[k] = (char)(k % 2 ? toupper((unsigned char)s[k]) : s[k]);
    out[k] = '\0';
}

static void test_act_rows_parse(void **state)
{
    (void)state;
    for (int k = 0; k < ACT_COUNT; k++) {
        const act_row *r = &ACT_ROWS[k];
        char words[256], buf[160], up[128];
        snprintf(words, sizeof words, "%s %s", r->name, r->aliases);
        char *save = NULL;
        for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
            act_fn f;
            mixed_case(w, up, sizeof up);
            for (int variant = 0; variant < 2; variant++) {
                const char *s = variant ? up : w;
                if (act_parse(s, &f) || f.kind != (act_kind)k || f.param != r->param)
                    fail_msg("'%s' does not parse as %s", s, r->name);
                snprintf(buf, sizeof buf, "%s(0.2)", s);
                int rc = act_parse(buf, &f);
                if (r->param_name ? (rc || f.param != 0.2) : rc == 0)
                    fail_msg("'%s': parameter %s", buf, r->param_name ? "not taken" : "accepted");
            }
        }
        char label[64];
        act_label(test_fn(k), label, sizeof label);         /* the label reads back */
        act_fn back;
        assert_int_equal(act_parse(label, &back), 0);
        assert_int_equal(back.kind, k);
        assert_close(back.param, test_fn(k).param, 0, 0);
    }
    char known[256];
    act_known(known, sizeof known);
    for (int k = 0; k < ACT_COUNT; k++) assert_non_null(strstr(known, ACT_ROWS[k].name));
}

/* A fast-path kernel (src/fast) computes its row's g and g' (float precision). */
static void test_fast_kernels_match_rows(void **state)
{
    (void)state;
    int kernels = 0;
    for (int k = 0; k < ACT_COUNT; k++) {
        fast_act a;
        if (fast_act_of((act_kind)k, &a)) continue;
        assert_int_equal(fast_act_kind(a), k);
        act_fn f = {(act_kind)k, ACT_ROWS[k].param};
        for (size_t p = 0; p < N_POINTS; p++) {
            double v = POINTS[p], g = act_g(f, v), dg = act_dg(f, v, g, NULL);
            assert_close(fast_act_apply(a, (float)v), g, 1e-6, 1e-6);
            assert_close(fast_act_deriv(a, (float)g), dg, 1e-6, 1e-6);
        }
        kernels++;
    }
    assert_true(kernels >= 3);
}

/* A layer written with any case parses (lesson files are typed by hand). */
static void test_layer_any_case(void **state)
{
    (void)state;
    const char *t = "title T\ninput 1 2\nlayer ReLU 3 4 5\nlayer Logistic 6\ninit uniform -1 1 1\n"
                    "loss MSE\nrate 0.1\nexample 1 2 -> 0.5\n";
    char err[512];
    lesson *l = lesson_parse(t, strlen(t), "t.lesson", err, sizeof err);
    if (!l) fail_msg("%s", err);
    assert_int_equal(l->layers[0].act.kind, ACT_RELU);
    assert_int_equal(l->loss, LOSS_MSE);
    lesson_free(l);
}

/* Balanced {} and no template placeholder left. */
static void check_form(const char *what, syntax syn, const char *s)
{
    if (!s || !*s) fail_msg("%s: empty in syntax %d", what, (int)syn);
    if (strchr(s, '%')) fail_msg("%s: placeholder left in '%s'", what, s);
    int depth = 0;
    for (const char *c = s; *c; c++) {
        if (*c == '\\' && (c[1] == '{' || c[1] == '}')) { c++; continue; }
        depth += *c == '{' ? 1 : *c == '}' ? -1 : 0;
        if (depth < 0) break;
    }
    if (depth != 0) fail_msg("%s: unbalanced braces in '%s'", what, s);
}

static void test_act_rows_render(void **state)
{
    (void)state;
    for (int k = 0; k < ACT_COUNT; k++) {
        if (is_softmax(k)) continue;
        for (int syn = 0; syn < SYN_COUNT; syn++)
            for (int dg = 0; dg < 2; dg++) {
                strbuf b = {0};
                fr_act_form(&b, (syntax)syn, test_fn(k), dg, "x", "y", 4);
                assert_false(b.failed);
                char what[96];
                snprintf(what, sizeof what, "%s %s", ACT_ROWS[k].name, dg ? "g'" : "g");
                check_form(what, (syntax)syn, b.s);
                if (ACT_ROWS[k].param_name && !dg && !strstr(b.s, "0.3"))
                    fail_msg("%s: the parameter is missing from '%s'", what, b.s);
                sb_free(&b);
            }
    }
}

/* ------------------------------------------------------------------------
 * Losses: Delta_j = dJ/d in_j through the evaluator, for 3 outputs
 * ---------------------------------------------------------------------- */

#define NO 3

/* The output activation a loss row is tried with. */
static act_fn out_act(int k)
{
    act_fn f = {LOSS_ROWS[k].needs_out == ACT_COUNT ? ACT_TANH : LOSS_ROWS[k].needs_out, 0};
    return f;
}

/* a_m for outputs in[] (softmax: over the layer) */
static double out_value(act_fn f, const double *in, int m)
{
    op_spec s = {.op = OP_ACT, .act = f};
    double x[NO + 1] = {in[m], in[0], in[1], in[2]};
    return eval_apply(&s, x, f.kind == ACT_SOFTMAX ? NO + 1 : 1, NULL);
}

static double loss_at(int k, const double *in, const double *y)
{
    act_fn f = out_act(k);
    double pairs[2 * NO];
    for (int m = 0; m < NO; m++) { pairs[2 * m] = y[m]; pairs[2 * m + 1] = out_value(f, in, m); }
    op_spec s = {.op = OP_LOSS, .loss = (loss_kind)k};
    return eval_apply(&s, pairs, 2 * NO, NULL);
}

static void test_loss_rows_gradient(void **state)
{
    (void)state;
    const double in[NO] = {0.4, -1.1, 0.9};
    const double ys[2][NO] = {{0, 1, 0}, {0.2, 0.7, 0.1}};
    for (int k = 0; k < LOSS_COUNT; k++) {
        act_fn f = out_act(k);
        double biggest = 0;
        for (int yi = 0; yi < 2; yi++)
            for (int m = 0; m < NO; m++) {
                const double *y = ys[yi];
                double hi[NO], lo[NO], h = 1e-6;
                memcpy(hi, in, sizeof hi);
                memcpy(lo, in, sizeof lo);
                hi[m] += h; lo[m] -= h;
                double num = (loss_at(k, hi, y) - loss_at(k, lo, y)) / (2 * h);
                double a = out_value(f, in, m), x[2];
                if (LOSS_ROWS[k].uses_err) { x[0] = y[m] - a; x[1] = act_dg(f, in[m], a, NULL); }
                else { x[0] = a; x[1] = y[m]; }
                op_spec s = {.op = OP_DELTA_OUT, .loss = (loss_kind)k, .p1 = NO};
                double d = eval_apply(&s, x, 2, NULL);
                if (fabs(d - num) > 1e-7 * fmax(1, fabs(num)))
                    fail_msg("%s on %s, output %d: delta %.12g, central difference %.12g",
                             LOSS_ROWS[k].name, act_name(f.kind), m, d, num);
                biggest = fmax(biggest, fabs(d));
            }
        if (biggest < 0.01) fail_msg("%s: every delta ~0", LOSS_ROWS[k].name);
    }
}

/* mse is J = (1/n) sum (y - a)^2 (lesson-level: the trace's J and Delta) */
static void test_mse_lesson(void **state)
{
    (void)state;
    const char *t = "title mse\ninput 1\nlayer identity 2 3\nweight w_0,2 = 0\nweight w_1,2 = 1\n"
                    "weight w_0,3 = 0\nweight w_1,3 = 2\nloss mse\nrate 0.1\nexample 1 -> 0 0\n";
    char err[512];
    lesson *l = lesson_parse(t, strlen(t), "t.lesson", err, sizeof err);
    if (!l) fail_msg("%s", err);
    engine_result r;
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    if (engine_run(l, &o, &r, err, sizeof err)) fail_msg("%s", err);
    long J = trace_find(r.tr, "J"), d3 = trace_find(r.tr, "delta_3");
    assert_true(J >= 0 && d3 >= 0);
    assert_close(r.tr->q[J].value, (1.0 + 4.0) / 2, 1e-15, 0);     /* a = 1, 2; y = 0 */
    assert_close(r.tr->q[d3].value, -(2.0 / 2) * (0 - 2) * 1, 1e-15, 0);
    strbuf b = {0};
    text_line(&b, r.tr, &r.tr->q[d3], 4);
    assert_string_equal(b.s, "delta_3 = -2/2*err_3*g'(in_3) = -2/2*(-2)*1 = 2");
    b.len = 0;
    text_line(&b, r.tr, &r.tr->q[J], 4);
    assert_string_equal(b.s, "J = ((y_2 - a_2)^2 + (y_3 - a_3)^2)/2 = ((0 - 1)^2 + (0 - 2)^2)/2 = 2.5");
    sb_free(&b);
    engine_result_free(&r);
    lesson_free(l);
    /* the loss's own message where it cannot be used */
    const char *sm = "title T\ninput 1\nlayer softmax 2 3\ninit uniform -1 1 1\nloss mse\nrate 0.1\n"
                     "example 1 -> 0 1\n";
    l = lesson_parse(sm, strlen(sm), "t.lesson", err, sizeof err);
    assert_null(l);
    assert_string_equal(err, "t.lesson:5: a softmax output layer needs loss softmax-ce");
}

/* ------------------------------------------------------------------------
 * Operations: every row renders, and refuses an operand count that does not fit
 * ---------------------------------------------------------------------- */

static const double OPERANDS[] = {0.7, -0.4, 1.3, 0.25, 2.1};

/* The largest fitting operand count up to 5, or 0. */
static size_t fitting(op_kind op)
{
    for (size_t n = 5; n >= 1; n--) if (op_arity_ok(op, n)) return n;
    return 0;
}

/* Every case a row is tried with: op, activation or loss, parameters. */
typedef struct { op_spec s; size_t n; double x[6]; } op_case;

static size_t all_cases(op_case *c, size_t cap)
{
    size_t m = 0;
    static const double pts[] = {-24, -2, -0.7, -0.1, 0, 0.3, 1.5};
    for (int k = 0; k < ACT_COUNT; k++) {
        if (is_softmax(k)) {                       /* own input and the layer's three */
            c[m++] = (op_case){{.op = OP_ACT, .act = {ACT_SOFTMAX, 0}}, 4, {0.3, 0.3, -1.2, 2.0}};
            continue;
        }
        for (size_t p = 0; p < sizeof pts / sizeof *pts && m + 2 <= cap; p++) {
            act_fn f = test_fn(k);
            c[m++] = (op_case){{.op = OP_ACT, .act = f}, 1, {pts[p]}};
            c[m++] = (op_case){{.op = OP_DACT, .act = f}, 2, {pts[p], act_g(f, pts[p])}};
        }
    }
    for (int k = 0; k < LOSS_COUNT && m + 3 <= cap; k++) {
        c[m++] = (op_case){{.op = OP_LOSS, .loss = (loss_kind)k}, 6, {0.2, 0.3, 0.7, 0.6, 0.1, 0.8}};
        c[m++] = (op_case){{.op = OP_LOSS, .loss = (loss_kind)k}, 2, {1, 0}};      /* the log guard */
        c[m++] = (op_case){{.op = OP_DELTA_OUT, .loss = (loss_kind)k, .p1 = 3}, 2, {0.35, -0.2}};
    }
    for (int op = 0; op < OP_COUNT; op++) {
        if (op == OP_ACT || op == OP_DACT || op == OP_LOSS || op == OP_DELTA_OUT || !OP_ROWS[op].render) continue;
        for (int v = 0; v < 2 && m < cap; v++) {
            op_case oc = {{.op = (op_kind)op, .p1 = v ? 0.4 : 0, .p2 = v ? 0.125 : 0}, fitting((op_kind)op), {0}};
            memcpy(oc.x, OPERANDS, sizeof OPERANDS);
            c[m++] = oc;
        }
    }
    return m;
}

#define MAX_CASES 256

static void test_op_rows_render(void **state)
{
    (void)state;
    op_case *c = malloc(MAX_CASES * sizeof *c);
    assert_non_null(c);
    size_t m = all_cases(c, MAX_CASES);
    int seen[OP_COUNT] = {0};
    for (size_t k = 0; k < m; k++) {
        seen[c[k].s.op] = 1;
        unsigned notes = 0;
        double v = eval_apply(&c[k].s, c[k].x, c[k].n, &notes);
        if (!isfinite(v)) fail_msg("op %s: value %g", OP_ROWS[c[k].s.op].name, v);
        for (int syn = 0; syn < SYN_COUNT; syn++) {
            strbuf b = {0};
            fr_ctx ctx = {.syn = (syntax)syn, .values = c[k].x, .digits = 4};
            if (fr_render(&b, &ctx, &c[k].s, notes, c[k].n)) fail_msg("op %s: no form in syntax %d", OP_ROWS[c[k].s.op].name, syn);
            check_form(OP_ROWS[c[k].s.op].name, (syntax)syn, b.s);
            sb_free(&b);
        }
        assert_true(isnan(eval_apply(&c[k].s, c[k].x, c[k].n + 7, NULL)) || op_arity_ok(c[k].s.op, c[k].n + 7));
    }
    for (int op = 0; op < OP_COUNT; op++) {       /* every row was tried, or has no formula */
        if (!seen[op] && OP_ROWS[op].render) fail_msg("op %s never tried", OP_ROWS[op].name);
        if (!OP_ROWS[op].eval) assert_true(isnan(eval_apply(&(op_spec){.op = (op_kind)op}, OPERANDS, 0, NULL)));
    }
    strbuf b = {0};                               /* a count that does not fit */
    fr_ctx ctx = {.syn = SYN_ASCII, .values = OPERANDS};
    assert_int_equal(fr_render(&b, &ctx, &(op_spec){.op = OP_WSUM}, 0, 3), -1);
    assert_true(isnan(eval_apply(&(op_spec){.op = OP_UPDATE}, OPERANDS, 3, NULL)));
    sb_free(&b);
    free(c);
}

/* ------------------------------------------------------------------------
 * gnumeric recalculates every spreadsheet form; pdflatex compiles every LaTeX form
 * ---------------------------------------------------------------------- */

static char tmp[64];

static int group_setup(void **state) { (void)state; return tmpdir_make(tmp, "tables"); }
static int group_teardown(void **state) { (void)state; return tmpdir_remove(tmp); }

static void test_rows_recalculate(void **state)
{
    (void)state;
    if (system("command -v ssconvert >/dev/null 2>&1") != 0)
        fail_msg("ssconvert (gnumeric) is not installed\nHINT: sh scripts/deps.sh");
    op_case *c = malloc(MAX_CASES * sizeof *c);
    assert_non_null(c);
    size_t m = all_cases(c, MAX_CASES);
    char path[128], csvp[128], cmd[512];
    snprintf(path, sizeof path, "%s/rows.xlsx", tmp);
    snprintf(csvp, sizeof csvp, "%s/rows.csv", tmp);
    lxw_workbook *wb = workbook_new(path);
    assert_non_null(wb);
    lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);
    assert_non_null(ws);
    double *want = malloc(m * sizeof *want);
    assert_non_null(want);
    for (size_t k = 0; k < m; k++) {              /* row k: operands in A.., the formula in H */
        char refs[6][16];
        const char *rp[6];
        for (size_t j = 0; j < c[k].n; j++) {
            assert_int_equal(worksheet_write_number(ws, (lxw_row_t)k, (lxw_col_t)j, c[k].x[j], NULL), LXW_NO_ERROR);
            lxw_rowcol_to_cell(refs[j], (lxw_row_t)k, (lxw_col_t)j);
            rp[j] = refs[j];
        }
        unsigned notes = 0;
        want[k] = eval_apply(&c[k].s, c[k].x, c[k].n, &notes);
        strbuf f = {0};
        assert_int_equal(xlsx_formula(&f, &c[k].s, notes, rp, c[k].n, NULL, NULL), 0);
        assert_int_equal(worksheet_write_formula(ws, (lxw_row_t)k, 7, f.s, NULL), LXW_NO_ERROR);
        sb_free(&f);
    }
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    snprintf(cmd, sizeof cmd, "ssconvert --recalc -T Gnumeric_stf:stf_assistant -O 'format=raw separator=,' "
             "'%s' '%s' >/dev/null 2>&1", path, csvp);
    assert_int_equal(system(cmd), 0);
    char *text = slurp(csvp, NULL);
    assert_non_null(text);
    char *line = text;
    for (size_t k = 0; k < m; k++) {
        assert_non_null(line);
        char *next = strchr(line, '\n');
        if (next) *next++ = '\0';
        char *field = line;
        for (int col = 0; col < 7 && field; col++) field = strchr(field, ',') ? strchr(field, ',') + 1 : NULL;
        if (!field) fail_msg("row %zu: no formula column in '%s'", k + 1, line);
        double got = strtod(field, NULL);
        if (!(fabs(got - want[k]) <= 1e-12 + 1e-10 * fabs(want[k])))
            fail_msg("row %zu (%s): gnumeric %.17g, evaluator %.17g", k + 1, OP_ROWS[c[k].s.op].name, got, want[k]);
        line = next;
    }
    printf("  %zu forms recalculated by gnumeric, all equal to the evaluator\n", m);
    free(text);
    free(want);
    free(c);
}

static void test_latex_compiles(void **state)
{
    (void)state;
    if (system("command -v pdflatex >/dev/null 2>&1") != 0)
        fail_msg("pdflatex is not installed\nHINT: sh scripts/deps.sh");
    op_case *c = malloc(MAX_CASES * sizeof *c);
    assert_non_null(c);
    size_t m = all_cases(c, MAX_CASES);
    strbuf doc = {0};
    sb_printf(&doc, "\\documentclass{article}\\usepackage{amsmath}\\begin{document}\n");
    for (size_t k = 0; k < m; k++) {
        fr_ctx ctx = {.syn = SYN_LATEX, .values = c[k].x, .digits = 4};
        sb_printf(&doc, "$");
        assert_int_equal(fr_render(&doc, &ctx, &c[k].s, 0, c[k].n), 0);
        sb_printf(&doc, "$\\par\n");
    }
    for (int k = 0; k < ACT_COUNT; k++)
        for (int dg = 0; dg < 2; dg++) {
            sb_printf(&doc, "$");
            fr_act_form(&doc, SYN_LATEX, test_fn(k), dg, "\\mathrm{in}_{3}", "a_{3}", 4);
            sb_printf(&doc, "$\\par\n");
        }
    sb_printf(&doc, "\\end{document}\n");
    assert_false(doc.failed);
    char path[128], cmd[512];
    snprintf(path, sizeof path, "%s/forms.tex", tmp);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(doc.s, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "cd '%s' && pdflatex -interaction=nonstopmode -halt-on-error forms.tex >forms.out 2>&1", tmp);
    if (system(cmd) != 0) {
        snprintf(path, sizeof path, "%s/forms.out", tmp);
        char *log = slurp(path, NULL);
        fail_msg("pdflatex failed on the LaTeX forms:\n%s\n--- log ---\n%s", doc.s, log ? log : "");
    }
    sb_free(&doc);
    free(c);
}

/* Every quantity of every lesson, in every notation, in LaTeX: name = symbolic
 * = substituted, all in one document pdflatex must compile. */
static void test_lessons_in_latex(void **state)
{
    (void)state;
    FILE *ls = popen("ls lessons/*.lesson", "r");
    assert_non_null(ls);
    strbuf doc = {0};
    sb_printf(&doc, "\\documentclass{article}\\usepackage{amsmath}\\begin{document}\n");
    char path[256], err[1024];
    size_t lines = 0;
    while (fgets(path, sizeof path, ls)) {
        path[strcspn(path, "\n")] = '\0';
        lesson *l = lesson_load(path, err, sizeof err);
        if (!l) fail_msg("%s", err);
        engine_result r;
        engine_opts o = {.round = ENGINE_ROUND_LESSON};
        if (engine_run(l, &o, &r, err, sizeof err)) fail_msg("%s", err);
        for (int nt = 0; nt < NOTATION_COUNT; nt++)
            for (size_t id = 0; id < r.tr->n && id < 400; id++) {
                const quantity *q = &r.tr->q[id];
                if (q->spec.op == OP_CONST) continue;
                char name[256];
                double *v = malloc(q->nops * sizeof *v);
                assert_non_null(v);
                text_operand_values(r.tr, q, v);
                names_render(l, nt, NAMES_LATEX, q, name, sizeof name);
                sb_printf(&doc, "$%s = ", name);
                text_formula_in(&doc, r.tr, q, NULL, 4, l, nt, SYN_LATEX, 1);
                sb_printf(&doc, " = ");
                text_formula_in(&doc, r.tr, q, v, 4, l, nt, SYN_LATEX, 0);
                sb_printf(&doc, "$\\par\n");
                free(v);
                lines++;
            }
        engine_result_free(&r);
        lesson_free(l);
    }
    pclose(ls);
    sb_printf(&doc, "\\end{document}\n");
    assert_false(doc.failed);
    assert_true(lines > 500);
    assert_null(strstr(doc.s, "?"));                 /* every operation had a form */
    /* the lecture's symbols, where the names say so */
    assert_non_null(strstr(doc.s, "\\Delta_{"));
    assert_non_null(strstr(doc.s, "\\frac{\\partial "));
    assert_non_null(strstr(doc.s, "\\sigma("));
    assert_non_null(strstr(doc.s, " \\cdot "));
    snprintf(path, sizeof path, "%s/lessons.tex", tmp);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(doc.s, f) >= 0);
    assert_int_equal(fclose(f), 0);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cd '%s' && pdflatex -interaction=nonstopmode -halt-on-error lessons.tex >lessons.out 2>&1", tmp);
    if (system(cmd) != 0) {
        snprintf(path, sizeof path, "%s/lessons.log", tmp);
        char *log = slurp(path, NULL);
        const char *bang = log ? strstr(log, "\n!") : NULL;
        fail_msg("pdflatex failed on the lessons' LaTeX formulas: %.600s", bang ? bang : "(no log)");
    }
    printf("  %zu formulas of every lesson and notation compiled by pdflatex\n", lines);
    sb_free(&doc);
}

/* ------------------------------------------------------------------------
 * README and --help say what the tables say
 * ---------------------------------------------------------------------- */

static void named_operand(strbuf *out, const fr_ctx *c, size_t k, int bare)
{
    (void)bare;
    sb_printf(out, "%s", ((const char *const *)c->user)[k]);
}

/* The README's activation and loss tables, made from the rows. */
static void tables_markdown(strbuf *b)
{
    sb_printf(b, "nntrace knows %d activations and %d losses.\n\n", ACT_COUNT, LOSS_COUNT);
    sb_printf(b, "| activation | also | parameter (default) | g(x) | g'(x), a = g(x) | lecture |\n");
    sb_printf(b, "| --- | --- | --- | --- | --- | --- |\n");
    for (int k = 0; k < ACT_COUNT; k++) {
        const act_row *r = &ACT_ROWS[k];
        act_fn f = {(act_kind)k, r->param};
        sb_printf(b, "| `%s` | %s | ", r->name, r->aliases);
        if (r->param_name) sb_printf(b, "%s (%g)", r->param_name, r->param);
        sb_printf(b, " | `");
        if (r->g) fr_act_form(b, SYN_ASCII, f, 0, "x", "a", 6);
        else sb_printf(b, "exp(x)/sum_k exp(x_k)");
        sb_printf(b, "` | ");
        if (r->g) { sb_printf(b, "`"); fr_act_form(b, SYN_ASCII, f, 1, "x", "a", 6); sb_printf(b, "`"); }
        else sb_printf(b, "(output layer, with softmax-ce)");
        sb_printf(b, " | %s |\n", r->lecture);
    }
    sb_printf(b, "\n| loss | also | J (two outputs) | output Delta_j | lecture |\n| --- | --- | --- | --- | --- |\n");
    static const char *const pairs[4] = {"y_1", "a_1", "y_2", "a_2"};
    static const char *const ops[2][2] = {{"a_j", "y_j"}, {"(y_j - a_j)", "g'(in_j)"}};
    for (int k = 0; k < LOSS_COUNT; k++) {
        const loss_row *r = &LOSS_ROWS[k];
        fr_ctx cj = {.syn = SYN_ASCII, .operand = named_operand, .symbolic = 1, .user = (void *)pairs};
        fr_ctx cd = {.syn = SYN_ASCII, .operand = named_operand, .symbolic = 1, .user = (void *)ops[r->uses_err]};
        op_spec sj = {.op = OP_LOSS, .loss = (loss_kind)k}, sd = {.op = OP_DELTA_OUT, .loss = (loss_kind)k, .p1 = 2};
        sb_printf(b, "| `%s` | %s | `", r->name, r->aliases);
        assert_int_equal(fr_render(b, &cj, &sj, 0, 4), 0);
        sb_printf(b, "` | `");
        assert_int_equal(fr_render(b, &cd, &sd, 0, 2), 0);
        sb_printf(b, "` | %s |\n", r->lecture);
    }
}

static void test_readme_and_help(void **state)
{
    (void)state;
    strbuf b = {0};
    tables_markdown(&b);
    assert_false(b.failed);
    char *readme = slurp("README.md", NULL);
    assert_non_null(readme);
    if (!strstr(readme, b.s)) {
        printf("--- README.md's section 'Activations and losses' should read ---\n%s---\n", b.s);
        fail_msg("README.md does not hold the activation and loss tables of act_table.c and loss_table.c "
                 "(the text it should hold is printed above)");
    }
    free(readme);
    sb_free(&b);
    int status;
    char *help = run_piped("", "--help", &status);
    assert_int_equal(status, 0);
    char want[64];
    snprintf(want, sizeof want, "lesson activations (%d, any case):", ACT_COUNT);
    assert_non_null(strstr(help, want));
    for (int k = 0; k < ACT_COUNT; k++)
        if (!strstr(help, ACT_ROWS[k].name)) fail_msg("--help does not list %s", ACT_ROWS[k].name);
    for (int k = 0; k < LOSS_COUNT; k++)
        if (!strstr(help, LOSS_ROWS[k].name)) fail_msg("--help does not list %s", LOSS_ROWS[k].name);
    free(help);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_act_rows_gradient),
        cmocka_unit_test(test_elu_derivative_precision),
        cmocka_unit_test(test_act_rows_parse),
        cmocka_unit_test(test_layer_any_case),
        cmocka_unit_test(test_fast_kernels_match_rows),
        cmocka_unit_test(test_act_rows_render),
        cmocka_unit_test(test_loss_rows_gradient),
        cmocka_unit_test(test_mse_lesson),
        cmocka_unit_test(test_op_rows_render),
        cmocka_unit_test(test_rows_recalculate),
        cmocka_unit_test(test_latex_compiles),
        cmocka_unit_test(test_lessons_in_latex),
        cmocka_unit_test(test_readme_and_help),
    };
    return cmocka_run_group_tests_name("tables", tests, group_setup, group_teardown);
}
