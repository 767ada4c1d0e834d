/*
 * test_grade.c - answer sheets: patterns, the untrusted parser, grading of
 * the fabricated sheets in tests/grade/, the Gradescope results.json, and
 * hostile inputs end to end (1 GB sparse file, FIFO, 10^6 lines).
 *
 * Each tests/grade/<dir>/<case>.txt is a student sheet written by hand from
 * the lecture's numbers (its comments show the arithmetic); <case>.expect
 * lists the verdict each asked quantity must get, then
 *   score S M      points earned and possible
 *   first NAME     the first mistake ('-' for none)
 *   bad N          lines reported as not graded
 *   exit N         nntrace check's exit status
 * The lesson of <dir> is <dir>/lesson.lesson when present, else
 * lessons/<dir>.lesson.
 */
#include "testutil.h"
#include "csvread.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "grade.h"
#include "lesson.h"
#include "names.h"
#include "base/escape.h"

static const char *const DIRS[] = {"sauppe-sgd-step", "sgd-exact", "sauppe-forward", "sgd-asked"};

/* ------------------------------------------------------------------------
 * A lesson with its traces and plan
 * ---------------------------------------------------------------------- */

typedef struct {
    char path[512];
    lesson *l;
    engine_result r, hand;
    int has_hand;
    names_index *ix;
    grade_plan plan;
    grade_opts o;
} graded_lesson;

static void gl_free(graded_lesson *g)
{
    grade_plan_free(&g->plan);
    names_index_free(g->ix);
    engine_result_free(&g->r);
    if (g->has_hand) engine_result_free(&g->hand);
    lesson_free(g->l);
}

static void gl_load(graded_lesson *g, const char *path)
{
    char err[768];
    memset(g, 0, sizeof *g);
    snprintf(g->path, sizeof g->path, "%s", path);
    g->l = lesson_load(path, err, sizeof err);
    if (!g->l) fail_msg("%s", err);
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    if (engine_run(g->l, &eo, &g->r, err, sizeof err)) fail_msg("%s", err);
    if (g->l->round < 0) {
        engine_opts ho = {.round = g->l->digits};
        if (engine_run(g->l, &ho, &g->hand, err, sizeof err)) fail_msg("%s", err);
        g->has_hand = 1;
    }
    g->ix = names_index_new(g->l, g->r.tr, g->l->notation);
    assert_non_null(g->ix);
    if (grade_plan_lesson(&g->plan, g->l, g->r.tr, g->ix, NULL, 0, err, sizeof err)) fail_msg("%s", err);
    grade_opts_lesson(&g->o, g->l, g->has_hand ? g->hand.tr : NULL);
}

static void lesson_of(const char *dir, char *out, size_t size)
{
    struct stat st;
    snprintf(out, size, "tests/grade/%s/lesson.lesson", dir);
    if (stat(out, &st) != 0) snprintf(out, size, "lessons/%s.lesson", dir);
}

/* ------------------------------------------------------------------------
 * Patterns and the plan
 * ---------------------------------------------------------------------- */

static void test_glob(void **state)
{
    (void)state;
    assert_true(grade_glob("in_*", "in_3"));
    assert_true(grade_glob("in_*", "in_3^(1)"));
    assert_true(grade_glob("w_*^(1)", "w_0,3^(1)"));
    assert_false(grade_glob("w_*^(1)", "w_0,3^(2)"));
    assert_false(grade_glob("w_*^(1)", "w_0,3"));
    assert_true(grade_glob("delta_?", "delta_3"));
    assert_false(grade_glob("delta_?", "delta_13"));
    assert_true(grade_glob("*", ""));
    assert_false(grade_glob("a_3", "a_3^(1)"));
    assert_true(grade_glob("**a**", "xay"));

    char buf[64];
    const char *p[4];
    assert_int_equal(grade_split_patterns("in_*  delta_*;w_*^(1)", buf, sizeof buf, p, 4), 3);
    assert_string_equal(p[0], "in_*");
    assert_string_equal(p[1], "delta_*");
    assert_string_equal(p[2], "w_*^(1)");
    assert_int_equal(grade_split_patterns("a b c d e", buf, sizeof buf, p, 4), -1);
    assert_int_equal(grade_split_patterns("   ", buf, sizeof buf, p, 4), 0);
    /* the README's LaTeX name: blanks inside braces do not separate */
    char big[128];
    assert_int_equal(grade_split_patterns("a_3 \\frac{\\partial E_{total}}{\\partial w_5};J",
                                          big, sizeof big, p, 4), 3);
    assert_string_equal(p[0], "a_3");
    assert_string_equal(p[1], "\\frac{\\partial E_{total}}{\\partial w_5}");
    assert_string_equal(p[2], "J");
    assert_int_equal(grade_split_patterns("x} y", buf, sizeof buf, p, 4), 2);   /* a stray } */
}

/* A sheet written in another notation (template --notation) and filled
 * with the true values gets full marks from the lesson's own index: its
 * "# notation:" line makes names that two notations give different
 * quantities (the bar notation's y_3, the layer notation's err_2) read in
 * the sheet's. Before, every such answer was "missing" (sauppe-multiclass
 * in bar: 31 of 34). A bad "# notation:" line is a problem of the sheet. */
static void test_sheet_in_another_notation(void **state)
{
    (void)state;
    static const char *const LESSONS[] = {"lessons/sauppe-multiclass.lesson", "lessons/mazur-2-2-2.lesson"};
    for (size_t k = 0; k < sizeof LESSONS / sizeof *LESSONS; k++)
        for (int nt = 0; nt < NOTATION_COUNT; nt++) {
            graded_lesson g;
            char err[256];
            gl_load(&g, LESSONS[k]);
            names_index *ix = names_index_new(g.l, g.r.tr, nt);
            grade_plan p;
            assert_non_null(ix);
            assert_int_equal(grade_plan_lesson(&p, g.l, g.r.tr, ix, NULL, 0, err, sizeof err), 0);
            strbuf b = {0};
            grade_template(&b, g.l, g.r.tr, &p, NULL, NULL);
            assert_false(b.failed);
            assert_true((strstr(b.s, "\n# notation: ") != NULL) == (nt != g.l->notation));
            strbuf filled = {0};
            for (const char *ln = b.s; *ln;) {          /* each "name = " line gets its true value */
                const char *e = strchr(ln, '\n');
                size_t n = (size_t)(e - ln);
                sb_printf(&filled, "%.*s", (int)n, ln);
                for (size_t q = 0; q < p.n; q++)
                    if (ln[0] != '#' && n == strlen(p.shown[q]) + 3 && !strncmp(ln, p.shown[q], n - 3))
                        sb_printf(&filled, "%.17g", g.r.tr->q[p.ids[q]].value);
                sb_printf(&filled, "\n");
                ln = e + 1;
            }
            grade_answers a;
            grade_report rep;
            assert_int_equal(grade_parse_answers(&a, filled.s, filled.len, g.l, g.ix, &g.plan), 0);
            assert_int_equal(grade_sheet(&rep, g.r.tr, &g.plan, &a, &g.o), 0);
            if (rep.count[JUDGE_CORRECT] != g.plan.n || a.n_problems_total)
                fail_msg("%s in %s: %zu of %zu correct, %zu problems", LESSONS[k], LESSON_NOTATIONS[nt],
                         rep.count[JUDGE_CORRECT], g.plan.n, a.n_problems_total);
            assert_int_equal(names_index_notation(g.ix), g.l->notation);   /* restored */
            grade_report_free(&rep);
            grade_answers_free(&a);
            sb_free(&filled);
            sb_free(&b);
            grade_plan_free(&p);
            names_index_free(ix);
            gl_free(&g);
        }
    graded_lesson g;
    gl_load(&g, "lessons/sauppe-sgd-step.lesson");
    static const char BAD[] = "# notation: lyaer\nin_3 = 0.19\n";
    grade_answers a;
    assert_int_equal(grade_parse_answers(&a, BAD, sizeof BAD - 1, g.l, g.ix, &g.plan), 0);
    assert_int_equal(a.n_problems_total, 1);
    assert_int_equal(a.problems[0].line, 1);
    assert_non_null(strstr(a.problems[0].msg, "names no notation (va|layer|netout|bar)"));
    grade_answers_free(&a);
    gl_free(&g);
}

static void test_plan(void **state)
{
    (void)state;
    graded_lesson g;
    char err[256];
    gl_load(&g, "lessons/sauppe-sgd-step.lesson");
    /* default: the 16 computed quantities of one step plus the final forward pass */
    assert_int_equal(g.plan.n, 16);
    assert_string_equal(g.plan.names[0], "in_3");
    assert_string_equal(g.plan.names[15], "J^(1)");
    grade_plan p;
    const char *pats[] = {"w_*^(1)", "delta_*", "Delta_3", "w_0,3"};
    assert_int_equal(grade_plan_make(&p, g.l, g.r.tr, g.ix, pats, 4, NULL, 0, err, sizeof err), 0);
    /* w_0,3 (given) first, delta_3 once although asked twice, three updates */
    assert_int_equal(p.n, 5);
    assert_string_equal(p.names[0], "w_0,3");
    assert_string_equal(p.names[1], "delta_3");
    assert_string_equal(p.names[4], "w_2,3^(1)");
    grade_plan_free(&p);
    const char *bad[] = {"in_9"};
    assert_int_equal(grade_plan_make(&p, g.l, g.r.tr, g.ix, bad, 1, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "in_9"));
    const char *none[] = {"zz_*"};
    assert_int_equal(grade_plan_make(&p, g.l, g.r.tr, g.ix, none, 1, NULL, 0, err, sizeof err), -1);
    grade_points pts[] = {{"w_*^(1)", 2}, {"w_1,3^(1)", 5}};
    assert_int_equal(grade_plan_make(&p, g.l, g.r.tr, g.ix, pats, 1, pts, 2, err, sizeof err), 0);
    assert_close(p.points[0], 2, 0, 0);
    assert_close(p.points[1], 5, 0, 0);     /* the last matching rule wins */
    grade_plan_free(&p);
    gl_free(&g);
}

/* ------------------------------------------------------------------------
 * The parser
 * ---------------------------------------------------------------------- */

static void test_parse_forms(void **state)
{
    (void)state;
    graded_lesson g;
    grade_answers a;
    gl_load(&g, "lessons/sauppe-sgd-step.lesson");
    static const char text[] =
        "\xEF\xBB\xBF" "in_3 = 0.19\r\n"
        "a_3 = g(in_3) = 1/(1+exp(-0.19)) = 0.5474  # copied derivation\r\n"
        "  err_3 : 0.4526\n"
        "J =\n"
        "J = 0.2048\n"                      /* blank then a value: the value counts */
        "delta_3 = -0.2243\n"
        "delta_3 = -0.2243\n"               /* duplicate */
        "a_3^(0) = 0.1\n"                   /* ^(0) is a_3 again: duplicate */
        "\n# comment\n"
        "w_0,3^(1) = 0.2122";               /* no final newline */
    assert_int_equal(grade_parse_answers(&a, text, sizeof text - 1, g.l, g.ix, &g.plan), 0);
    assert_int_equal(a.n_lines, 11);
    assert_int_equal(a.given[0], 1);
    assert_close(a.value[0], 0.19, 0, 0);
    assert_int_equal(a.line[1], 2);
    assert_close(a.value[1], 0.5474, 0, 0);
    assert_close(a.value[2], 0.4526, 0, 0);
    assert_int_equal(a.line[3], 5);
    assert_int_equal(a.n_problems_total, 2);
    assert_int_equal(a.problems[0].line, 7);
    assert_non_null(strstr(a.problems[0].msg, "given again (first on line 6)"));
    assert_int_equal(a.problems[1].line, 8);
    assert_int_equal(a.line[9], 11);
    grade_answers_free(&a);

    /* Unicode blanks (pasted from a PDF) are blanks between the words; one
     * inside a name is still no blank: the name is refused, shown with it */
    static const char pasted[] =
        "\xE3\x80\x80" "in_3\xC2\xA0=\xE2\x80\x89" "0.19\xC2\xA0\n"
        "err_3 = g(in_3)\xE2\x80\xAF=\xC2\xA0" "0.4526\xC2\xA0#\xC2\xA0note\n"
        "a\xC2\xA0_3 = 0.5474\n";
    assert_int_equal(grade_parse_answers(&a, pasted, sizeof pasted - 1, g.l, g.ix, &g.plan), 0);
    assert_int_equal(a.given[0], 1);
    assert_close(a.value[0], 0.19, 0, 0);
    assert_string_equal(a.written[0], "0.19");
    assert_int_equal(a.given[2], 1);
    assert_string_equal(a.written[2], "0.4526");
    assert_int_equal(a.given[1], 0);
    assert_int_equal(a.n_problems_total, 1);
    assert_int_equal(a.problems[0].line, 3);
    assert_non_null(strstr(a.problems[0].msg, "'a<U+00A0>_3' names no quantity"));
    grade_answers_free(&a);

    /* two cells pasted from a spreadsheet: the name, a tab (or two, past an
     * empty cell), the number as the spreadsheet wrote it (a decimal comma,
     * a Unicode minus); a third cell is not a number */
    static const char cells[] =
        "in_3\t0,19\n"
        "a_3\t\t0.5474\n"
        "delta_3\t\xE2\x88\x92" "0,2243\n"
        "J\t0.2048\tmy note\n";
    assert_int_equal(grade_parse_answers(&a, cells, sizeof cells - 1, g.l, g.ix, &g.plan), 0);
    assert_close(a.value[0], 0.19, 0, 0);
    assert_string_equal(a.written[0], "0,19");
    assert_close(a.value[1], 0.5474, 0, 0);
    size_t d3 = 0, j = 0;
    while (d3 < g.plan.n && strcmp(g.plan.names[d3], "delta_3")) d3++;
    while (j < g.plan.n && strcmp(g.plan.names[j], "J")) j++;
    assert_true(d3 < g.plan.n && j < g.plan.n);
    assert_int_equal(a.given[d3], 1);
    assert_close(a.value[d3], -0.2243, 0, 0);
    assert_int_equal(a.given[j], 0);
    assert_int_equal(a.n_problems_total, 1);
    assert_int_equal(a.problems[0].line, 4);
    assert_non_null(strstr(a.problems[0].msg, "not a number"));
    grade_answers_free(&a);

    /* and in the header's lines, which name the student and the variant */
    static const char header[] = "# student:\xC2\xA0" "Ada@example.edu\xE2\x80\xAF\n"
                                 "# variant:\xE2\x80\x89" "8MW8-GCZQ-8\xC2\xA0\n";
    grade_who who;
    grade_sheet_who(header, sizeof header - 1, &who);
    assert_string_equal(who.student, "ada@example.edu");
    assert_string_equal(who.code, "8MW8-GCZQ-8");

    /* NUL bytes and an escape sequence are never echoed raw */
    static const char hostile[] = "a_3\0 = 1\n\x1b]0;pwned\x07 = 2\n";
    assert_int_equal(grade_parse_answers(&a, hostile, sizeof hostile - 1, g.l, g.ix, &g.plan), 0);
    assert_int_equal(a.n_problems_total, 2);
    for (size_t k = 0; k < a.n_problems; k++)
        for (const char *c = a.problems[k].msg; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) fail_msg("raw byte in '%s'", a.problems[k].msg);
    grade_answers_free(&a);
    gl_free(&g);
}

/* ------------------------------------------------------------------------
 * The fabricated sheets
 * ---------------------------------------------------------------------- */

static int run_cmd(const char *cmd)
{
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc)) return -1;
    return WEXITSTATUS(rc);
}


/* ---- a small JSON reader, enough to check results.json's shape ---- */

typedef struct { const char *s; int bad; } jp;

static void jws(jp *p) { while (*p->s == ' ' || *p->s == '\n' || *p->s == '\t' || *p->s == '\r') p->s++; }

/* A string into out (escapes kept simple: \uXXXX becomes '?'). */
static void jstr(jp *p, char *out, size_t size)
{
    size_t n = 0;
    jws(p);
    if (*p->s != '"') { p->bad = 1; return; }
    for (p->s++; *p->s && *p->s != '"'; p->s++) {
        char c = *p->s;
        if ((unsigned char)c < 0x20) { p->bad = 1; return; }
        if (c == '\\') {
            p->s++;
            if (*p->s == 'u') {
                for (int k = 1; k <= 4; k++) if (!isxdigit((unsigned char)p->s[k])) { p->bad = 1; return; }
                p->s += 4;
                c = '?';
            } else if (strchr("\"\\/bfnrt", *p->s) && *p->s) {
                c = *p->s == 'n' ? '\n' : *p->s == 't' ? '\t' : *p->s;
            } else { p->bad = 1; return; }
        }
        if (out && n + 1 < size) out[n++] = c;
    }
    if (*p->s != '"') { p->bad = 1; return; }
    p->s++;
    if (out) out[n] = '\0';
}

static double jnum(jp *p)
{
    jws(p);
    char *end;
    if (!(*p->s == '-' || isdigit((unsigned char)*p->s))) { p->bad = 1; return NAN; }
    double v = strtod(p->s, &end);
    p->s = end;
    return v;
}

static void jexpect(jp *p, char c)
{
    jws(p);
    if (*p->s != c) p->bad = 1; else p->s++;
}

static int jnext(jp *p, char close)     /* after a member: ',' -> 1, close -> 0 */
{
    jws(p);
    if (*p->s == ',') { p->s++; return 1; }
    if (*p->s == close) { p->s++; return 0; }
    p->bad = 1;
    return 0;
}

/* Validate Gradescope's format: top-level score, output, tests; each test
 * exactly name, score, max_score, status, output, visibility. Returns the
 * number of tests, fills the sums; fails the test on any deviation. */
static int check_gradescope(const char *file, double *score, double *sum, double *max_sum)
{
    char *text = slurp(file, NULL);
    if (!text) fail_msg("no %s", file);
    jp p = {text, 0};
    int ntests = 0, seen_score = 0, seen_output = 0, seen_tests = 0, seen_format = 0;
    char key[64], val[4096];
    *sum = *max_sum = 0;
    jexpect(&p, '{');
    do {
        jstr(&p, key, sizeof key);
        jexpect(&p, ':');
        if (!strcmp(key, "score")) { *score = jnum(&p); seen_score++; }
        else if (!strcmp(key, "output")) { jstr(&p, val, sizeof val); seen_output++; }
        else if (!strcmp(key, "output_format") || !strcmp(key, "test_output_format") ||
                 !strcmp(key, "test_name_format")) {
            /* "text": shown as written (the default "simple_format" of the
             * top-level output is HTML: blanks collapse, <...> is a tag) */
            jstr(&p, val, sizeof val);
            if (strcmp(val, "text")) fail_msg("%s: %s '%s', not \"text\"", file, key, val);
            seen_format++;
        }
        else if (!strcmp(key, "stdout_visibility") || !strcmp(key, "visibility")) {
            jstr(&p, val, sizeof val);
            if (strcmp(val, "visible") && strcmp(val, "hidden") && strcmp(val, "after_due_date") &&
                strcmp(val, "after_published"))
                fail_msg("%s: %s '%s'", file, key, val);
        }
        else if (!strcmp(key, "tests")) {
            seen_tests++;
            jexpect(&p, '[');
            jws(&p);
            if (*p.s == ']') { p.s++; continue; }
            do {
                int have[7] = {0};
                double s = NAN, m = NAN;
                char status[32] = "";
                jexpect(&p, '{');
                do {
                    jstr(&p, key, sizeof key);
                    jexpect(&p, ':');
                    if (!strcmp(key, "name")) { jstr(&p, val, sizeof val); have[0]++; }
                    else if (!strcmp(key, "score")) { s = jnum(&p); have[1]++; }
                    else if (!strcmp(key, "max_score")) { m = jnum(&p); have[2]++; }
                    else if (!strcmp(key, "status")) { jstr(&p, status, sizeof status); have[3]++; }
                    else if (!strcmp(key, "output")) { jstr(&p, val, sizeof val); have[4]++; }
                    else if (!strcmp(key, "output_format")) {
                        jstr(&p, val, sizeof val);
                        have[6]++;
                        if (strcmp(val, "text")) fail_msg("%s: test output_format '%s'", file, val);
                    }
                    else if (!strcmp(key, "visibility")) {
                        jstr(&p, val, sizeof val);
                        have[5]++;
                        if (strcmp(val, "visible") && strcmp(val, "hidden") && strcmp(val, "after_due_date") &&
                            strcmp(val, "after_published"))
                            fail_msg("%s: visibility '%s'", file, val);
                    } else fail_msg("%s: unexpected test key '%s'", file, key);
                } while (!p.bad && jnext(&p, '}'));
                if (have[0] != 1 || have[4] != 1 || have[5] != 1 || have[6] != 1)
                    fail_msg("%s: test %d lacks name, output, output_format or visibility", file, ntests);
                if (!have[1] && !have[2] && !have[3]) continue;   /* an unscored (information) test */
                for (int k = 0; k < 6; k++) if (have[k] != 1) fail_msg("%s: test %d lacks field %d", file, ntests, k);
                if (strcmp(status, "passed") && strcmp(status, "failed")) fail_msg("%s: status '%s'", file, status);
                if ((!strcmp(status, "passed")) != (s >= m)) fail_msg("%s: status %s with %g/%g", file, status, s, m);
                if (!(s >= 0 && s <= m)) fail_msg("%s: score %g of %g", file, s, m);
                *sum += s;
                *max_sum += m;
                ntests++;
            } while (!p.bad && jnext(&p, ']'));
        } else fail_msg("%s: unexpected top-level key '%s'", file, key);
    } while (!p.bad && jnext(&p, '}'));
    jws(&p);
    if (p.bad || *p.s) fail_msg("%s: not valid JSON near '%.20s'", file, p.s);
    if (seen_score != 1 || seen_output != 1 || seen_tests != 1 || seen_format != 3)
        fail_msg("%s: top level lacks score/output/tests or the three formats", file);
    free(text);
    return ntests;
}

static judge_verdict verdict_of(const char *w)
{
    if (!strcmp(w, "correct")) return JUDGE_CORRECT;
    if (!strcmp(w, "carried")) return JUDGE_CARRIED;
    if (!strcmp(w, "wrong")) return JUDGE_WRONG;
    if (!strcmp(w, "missing")) return JUDGE_MISSING;
    if (!strcmp(w, "short")) return JUDGE_SHORT;
    if (!strcmp(w, "degenerate")) return JUDGE_DEGENERATE;
    fail_msg("unknown verdict '%s'", w);
    return JUDGE_MISSING;
}

static void check_case(const char *dir, const char *lpath, graded_lesson *g, const char *name)
{
    char sheet[600], expect[600];
    snprintf(sheet, sizeof sheet, "tests/grade/%s/%s.txt", dir, name);
    snprintf(expect, sizeof expect, "tests/grade/%s/%s.expect", dir, name);
    char *text = NULL, why[256];
    size_t len;
    if (grade_read_file(sheet, &text, &len, why, sizeof why)) fail_msg("%s: %s", sheet, why);
    grade_answers a;
    grade_report rep;
    assert_int_equal(grade_parse_answers(&a, text, len, g->l, g->ix, &g->plan), 0);
    assert_int_equal(grade_sheet(&rep, g->r.tr, &g->plan, &a, &g->o), 0);
    free(text);

    char *ex = slurp(expect, NULL);
    if (!ex) fail_msg("no %s", expect);
    double want_score = -1, want_max = -1;
    long want_bad = -1;
    int want_exit = -1, n_verdicts = 0;
    char want_first[96] = "?";
    for (char *ln = strtok(ex, "\n"); ln; ln = strtok(NULL, "\n")) {
        char k[96], v[96];
        if (ln[0] == '#' || sscanf(ln, "%95s %95s", k, v) != 2) continue;
        if (!strcmp(k, "score")) { if (sscanf(ln, "score %lf %lf", &want_score, &want_max) != 2) fail_msg("%s: bad score", expect); }
        else if (!strcmp(k, "first")) snprintf(want_first, sizeof want_first, "%s", v);
        else if (!strcmp(k, "bad")) want_bad = atol(v);
        else if (!strcmp(k, "exit")) want_exit = atoi(v);
        else {
            size_t slot = g->plan.n;
            for (size_t s = 0; s < g->plan.n; s++) if (!strcmp(g->plan.names[s], k)) slot = s;
            if (slot == g->plan.n) fail_msg("%s: %s is not asked", expect, k);
            judge_verdict w = verdict_of(v);
            if (rep.items[slot].res.verdict != w)
                fail_msg("%s: %s is %s, expected %s (truth %.9g, ecf %.9g)", sheet, k,
                         judge_verdict_name(rep.items[slot].res.verdict), judge_verdict_name(w),
                         rep.items[slot].res.truth, rep.items[slot].res.ecf);
            n_verdicts++;
        }
    }
    free(ex);
    if ((size_t)n_verdicts != g->plan.n) fail_msg("%s: %d verdicts for %zu asked", expect, n_verdicts, g->plan.n);
    assert_close(rep.score, want_score, 1e-9, 0);
    assert_close(rep.max_score, want_max, 1e-9, 0);
    if (rep.first_mistake < 0 ? strcmp(want_first, "-") : strcmp(want_first, g->plan.names[rep.first_mistake]))
        fail_msg("%s: first mistake %s, expected %s", sheet,
                 rep.first_mistake < 0 ? "-" : g->plan.names[rep.first_mistake], want_first);
    if ((long)a.n_problems_total != want_bad) fail_msg("%s: %zu bad lines, expected %ld", sheet, a.n_problems_total, want_bad);
    grade_report_free(&rep);
    grade_answers_free(&a);

    /* end to end: exit status and a valid results.json with the same score */
    char out[64] = "/tmp/nntrace-test-grade-XXXXXX", cmd[2048];
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof cmd, "%s check '%s' '%s' --quiet --gradescope %s 2>/dev/null", bin(), lpath, sheet, out);
    int rc = run_cmd(cmd);
    if (rc != want_exit) fail_msg("%s: exit %d, expected %d", cmd, rc, want_exit);
    double score = -1, sum, max_sum;
    int nt = check_gradescope(out, &score, &sum, &max_sum);
    assert_int_equal(nt, (int)g->plan.n);
    assert_close(score, want_score, 1e-9, 0);
    assert_close(sum, want_score, 1e-9, 0);
    assert_close(max_sum, want_max, 1e-9, 0);
    unlink(out);
}

static void test_fabricated_sheets(void **state)
{
    (void)state;
    int cases = 0;
    for (size_t d = 0; d < sizeof DIRS / sizeof DIRS[0]; d++) {
        char lpath[512], dpath[512];
        graded_lesson g;
        lesson_of(DIRS[d], lpath, sizeof lpath);
        gl_load(&g, lpath);
        snprintf(dpath, sizeof dpath, "tests/grade/%s", DIRS[d]);
        DIR *dir = opendir(dpath);
        if (!dir) fail_msg("no %s", dpath);
        for (struct dirent *e; (e = readdir(dir));) {
            size_t n = strlen(e->d_name);
            if (n < 8 || strcmp(e->d_name + n - 7, ".expect")) continue;
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(n - 7), e->d_name);
            check_case(DIRS[d], lpath, &g, name);
            cases++;
        }
        closedir(dir);
        gl_free(&g);
    }
    /* 30 sheets in all: a lost fixture directory must not pass silently */
    assert_int_equal(cases, 30);
}

/* ------------------------------------------------------------------------
 * Hostile files, end to end
 * ---------------------------------------------------------------------- */

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static char *run_capture(const char *args, int *rc)
{
    char out[64] = "/tmp/nntrace-test-grade-XXXXXX", cmd[2048];
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>&1", bin(), args, out);
    *rc = run_cmd(cmd);
    char *text = slurp(out, NULL);
    unlink(out);
    assert_non_null(text);
    return text;
}

/* `nntrace check ARGS SHEET --no-color` over a scratch sheet holding
 * text[0..len): its output (caller frees) and exit status. */
static char *check_text(const char *text, size_t len, const char *args, int *rc)
{
    char path[] = "/tmp/nntrace-test-sheet-XXXXXX", cmd[1024];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    snprintf(cmd, sizeof cmd, "check %s %s --no-color", args, path);
    char *out = run_capture(cmd, rc);
    unlink(path);
    return out;
}

static void test_huge_and_special_files(void **state)
{
    (void)state;
    char big[64] = "/tmp/nntrace-test-big-XXXXXX", args[512];
    int fd = mkstemp(big), rc;
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)1 << 30), 0);     /* 1 GB, sparse */
    close(fd);
    double t0 = now();
    snprintf(args, sizeof args, "check lessons/sauppe-sgd-step.lesson %s --no-color", big);
    char *out = run_capture(args, &rc);
    assert_int_equal(rc, 2);            /* a sheet that cannot be read: 2, as a missing one */
    assert_non_null(strstr(out, "larger than the 1048576-byte limit"));
    assert_true(now() - t0 < 5.0);
    free(out);
    unlink(big);

    /* a FIFO nobody writes to: refused at once, no hang */
    char fifo[] = "/tmp/nntrace-test-fifo-XXXXXX";
    fd = mkstemp(fifo);
    assert_true(fd >= 0);
    close(fd);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(args, sizeof args, "check lessons/sauppe-sgd-step.lesson %s --no-color", fifo);
    out = run_capture(args, &rc);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "not a regular file"));
    free(out);
    unlink(fifo);

    /* a directory: the same */
    out = run_capture("check lessons/sauppe-sgd-step.lesson tests/grade --no-color", &rc);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "not a regular file"));
    free(out);

    /* UTF-16 (an editor's "Unicode"): said once, not a NUL byte a line */
    out = check_text("\xFF\xFEi\0n\0_\0003\0 \0=\0 \0000\0.\0001\0009\0\n\0", 26,
                     "lessons/sauppe-sgd-step.lesson", &rc);
    assert_int_equal(rc, 2);
    if (!strstr(out, "looks like UTF-16 text") || !strstr(out, "save it as UTF-8") || strstr(out, "holds a NUL byte"))
        fail_msg("%s", out);
    free(out);
    /* UTF-32, with its byte-order mark or without (little-endian): named so */
    out = check_text("\xFF\xFE\0\0i\0\0\0n\0\0\0_\0\0\0003\0\0\0", 20, "lessons/sauppe-sgd-step.lesson", &rc);
    assert_int_equal(rc, 2);
    if (!strstr(out, "looks like UTF-32 text")) fail_msg("%s", out);
    free(out);
    out = check_text("i\0\0\0n\0\0\0_\0\0\0003\0\0\0", 16, "lessons/sauppe-sgd-step.lesson", &rc);
    assert_int_equal(rc, 2);
    if (!strstr(out, "looks like UTF-32 text")) fail_msg("%s", out);
    free(out);

    /* an empty upload says so, not only that it holds no answer */
    static const struct { const char *text, *want; } EMPTY[] = {
        {"", "the answer sheet is empty (0 bytes): there is no answer to grade"},
        {"\n \r\n\t\xC2\xA0\n", "the answer sheet is empty (only blank lines)"},
        {"# only a comment\n", "no answers to grade"},      /* not empty: something was written */
        {"in_3 =\n", "no answers to grade"},
    };
    for (size_t k = 0; k < sizeof EMPTY / sizeof EMPTY[0]; k++) {
        out = check_text(EMPTY[k].text, strlen(EMPTY[k].text), "lessons/sauppe-forward.lesson", &rc);
        assert_int_equal(rc, 1);
        if (!strstr(out, EMPTY[k].want) || (k < 2) != !strstr(out, "no answers to grade"))
            fail_msg("sheet '%s': %s", EMPTY[k].text, out);
        free(out);
    }

    /* two answers on a line: refused, not graded as the second */
    out = check_text("in_3 = 0.19; a_3 = 0.5474\n", 26, "lessons/sauppe-sgd-step.lesson --ask 'in_3 a_3'", &rc);
    if (!strstr(out, "line 1: 'in_3 = 0.19;...': one answer a line") || !strstr(out, "0 correct")) fail_msg("%s", out);
    free(out);

    /* Gradescope metadata that is not JSON, or has no student: the file named */
    out = run_capture("check lessons/sauppe-sgd-step.lesson tests/grade/sauppe-sgd-step/correct.txt "
                      "--metadata tests/grade/sauppe-sgd-step/correct.txt", &rc);
    assert_int_equal(rc, 2);
    if (!strstr(out, "tests/grade/sauppe-sgd-step/correct.txt: not valid JSON")) fail_msg("%s", out);
    free(out);

    /* a sheet that does not exist: bad usage, 2 */
    out = run_capture("check lessons/sauppe-sgd-step.lesson /nonexistent/answers.txt", &rc);
    assert_int_equal(rc, 2);
    free(out);
}

/* The grader's hand-rounded reference is a second run of the lesson at the
 * answer's decimals; a perceptron there can take other updates (w_3,6's
 * last is ^(9) with operands rounded to 2 decimals, ^(6) exactly). The
 * lesson's expect line names the exact trace's w_3,6^(6): check and quiz
 * refused the lesson (exit 2, "names no quantity ... at this iteration")
 * while run held the expectation. Now it is graded. */
static void test_hand_run_keeps_lesson_names(void **state)
{
    (void)state;
    static const char LESSON[] =
        "title perceptron rounded\ninput 1 2 3\nlayer threshold 4 5 6\n"
        "weight w_0,4 = 0.9226\nweight w_1,4 = -0.51\nweight w_2,4 = 0.2576\nweight w_3,4 = -0.391\n"
        "weight w_0,5 = -0.42\nweight w_1,5 = 0.774\nweight w_2,5 = 1.1\nweight w_3,5 = 0.09\n"
        "weight w_0,6 = 1.3618\nweight w_1,6 = -0.6\nweight w_2,6 = 1.2287\nweight w_3,6 = -1.2339\n"
        "rule perceptron\nepochs 7\nrate 0.5\nexample -1 1 1 -> 1 1 1\nexample 1.6 -1.4 1.035 -> 0 1 1\n"
        "example 0.187 -1 -1 -> 1 0 1\nanswer-decimals 2\nexpect w_3,6^(6) = -0.7164\n";
    char lpath[] = "/tmp/nntrace-test-hand-XXXXXX", args[256];
    int fd = mkstemp(lpath), rc;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, LESSON, sizeof LESSON - 1), (ssize_t)(sizeof LESSON - 1));
    close(fd);
    snprintf(args, sizeof args, "%s --ask 'w_3,6^(1)'", lpath);
    char *out = check_text("w_3,6^(1) = -1.2339\n", 20, args, &rc);
    if (rc != 0 || !strstr(out, "every answer is correct")) fail_msg("rc %d: %s", rc, out);
    free(out);
    unlink(lpath);
}

/* Every printed rounding goes through text_num, which rounds as a
 * calculator does: the expected value and the derivation line agree on a
 * tie (-0.11215 is -0.1122 in both), and a student's answer is quoted as
 * written (0.30, not 0.3). */
static void test_ties_and_written_answers(void **state)
{
    (void)state;
    char buf[64];
    text_num(-0.11215, 4, buf, sizeof buf);
    assert_string_equal(buf, "-0.1122");
    text_num(1.001953125, 8, buf, sizeof buf);
    assert_string_equal(buf, "1.00195313");
    static const struct { const char *sheet, *args, *want, *unwanted; } CASES[] = {
        {"dJ/dw_2,3 = 0.5\n", "lessons/sauppe-sgd-step.lesson --ask dJ/dw_2,3 --feedback full",
         "expected -0.1122\n       dJ/dw_2,3 = delta_3*a_2 = (-0.2243)*0.5 = -0.1122\n", "0.1121"},
        {"w_1,2^(1) = 1.5\n", "lessons/sauppe-vanishing.lesson --ask 'w_1,2^(1)' --feedback full",
         "expected 1.00195313\n", "1.00195312"},
        {"in_3 = 0.19\na_3 = 0.30\n", "lessons/sauppe-sgd-step.lesson --ask 'in_3 a_3' --feedback full",
         "you wrote 0.30,", "you wrote 0.3,"},
        {"in_3 = 0.19\na_3 = 0.30\n", "lessons/sauppe-sgd-step.lesson --ask 'in_3 a_3'",
         "2  a_3            0.30 ", NULL},
    };
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        int rc;
        char *out = check_text(CASES[k].sheet, strlen(CASES[k].sheet), CASES[k].args, &rc);
        if (!strstr(out, CASES[k].want)) fail_msg("%s: no '%s' in\n%s", CASES[k].args, CASES[k].want, out);
        if (CASES[k].unwanted && strstr(out, CASES[k].unwanted))
            fail_msg("%s: '%s' in\n%s", CASES[k].args, CASES[k].unwanted, out);
        free(out);
    }
}

/* check --help names every option check takes, with its real default. */
static void test_check_help(void **state)
{
    (void)state;
    int rc;
    char *out = run_capture("check --help", &rc);
    assert_int_equal(rc, 0);
    static const char *const WANT[] = {
        "--student ID", "--assignment A", "--metadata FILE", "--student-field F", "--gradebook FILE",
        "--roster FILE", "--column NAME", "(default: lesson's, else 0.5)", "0: no carried answer earns",
        "2 bad usage",
    };
    for (size_t k = 0; k < sizeof WANT / sizeof WANT[0]; k++)
        if (!strstr(out, WANT[k])) fail_msg("no '%s' in check --help:\n%s", WANT[k], out);
    free(out);
}

static void test_million_lines(void **state)
{
    (void)state;
    char path[64] = "/tmp/nntrace-test-lines-XXXXXX", args[512];
    int fd = mkstemp(path), rc;
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    /* 10^6 lines: 5000 copies of one answer, the rest empty (1,025,000 bytes) */
    for (long k = 0; k < 1000000; k++) fputs(k % 200 == 0 ? "a_3=1\n" : "\n", f);
    assert_int_equal(fclose(f), 0);
    double t0 = now();
    snprintf(args, sizeof args, "check lessons/sauppe-sgd-step.lesson %s --no-color", path);
    char *out = run_capture(args, &rc);
    double dt = now() - t0;
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "lines not graded (4999)"));
    assert_non_null(strstr(out, "... and 4979 more"));
    assert_null(strstr(out, "line 999801"));          /* not listed: only the first 20 */
    free(out);
    unlink(path);
    if (dt > 5.0) fail_msg("a 10^6-line sheet took %.2f s", dt);
}

static void test_template_and_usage(void **state)
{
    (void)state;
    int rc;
    char *out = run_capture("template tests/grade/sgd-asked/lesson.lesson", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "\na_3 = \nerr_3 = \ng'(in_3) = \ndelta_3 = \ndJ/dw_0,3 = \n"));
    assert_null(strstr(out, "in_3 = \n" "a_3"));
    free(out);
    out = run_capture("template lessons/sauppe-forward.lesson --ask 'in_*'", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "\nin_3 = \nin_4 = \nin_5 = \n"));
    assert_null(strstr(out, "a_3 = "));
    free(out);
    out = run_capture("template lessons/sauppe-forward.lesson --ask 'nothing_*'", &rc);
    assert_int_equal(rc, 2);
    free(out);
    out = run_capture("check lessons/sauppe-forward.lesson", &rc);
    assert_int_equal(rc, 2);
    free(out);
    out = run_capture("check lessons/sauppe-forward.lesson a b --gradescope /tmp/x.json", &rc);
    assert_int_equal(rc, 2);
    free(out);
    out = run_capture("check lessons/sauppe-forward.lesson tests/grade/sauppe-forward/slip.txt --ecf most", &rc);
    assert_int_equal(rc, 2);
    free(out);
    /* --ecf none: the slip sheet loses the carried answers' points */
    out = run_capture("check lessons/sauppe-forward.lesson tests/grade/sauppe-forward/slip.txt --ecf none --no-color", &rc);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "score: 2 / 6"));
    assert_non_null(strstr(out, "first mistake: in_4 (line 6): you wrote 1, the value is -1"));
    free(out);
}

/* "expected 0.19" in text, or NULL ("expected 'name = number'" is fine). */
static const char *shows_expected(const char *text)
{
    for (const char *e = text; (e = strstr(e, "expected ")); e++)
        if (isdigit((unsigned char)e[9]) || strchr("-.(", e[9])) return e;
    return NULL;
}

/* The numbers a report may not show under `verdict`: every asked
 * quantity's value as the lesson prints it and to 17 digits, and the value
 * from the student's own answers. */
static void assert_no_expected_value(const char *text, graded_lesson *g, const grade_report *rep,
                                     const grade_answers *a, const char *sheet, size_t sheet_len,
                                     const char *what)
{
    for (size_t k = 0; k < g->plan.n; k++) {
        const judge_result *r = &rep->items[k].res;
        double vals[2] = {r->truth, r->ecf};
        for (int m = 0; m < 2; m++) {
            if (!isfinite(vals[m])) continue;
            /* a number the student wrote (or one that matches it) is theirs to see */
            if (a->given[k] && fabs(a->value[k] - vals[m]) <= r->tol * (1 + 1e-9)) continue;
            char forms[3][64];
            text_num(round_dp(vals[m], g->l->digits), g->l->digits, forms[0], sizeof forms[0]);
            snprintf(forms[1], sizeof forms[1], "%.17g", vals[m]);
            snprintf(forms[2], sizeof forms[2], "%.9g", vals[m]);
            for (int f = 0; f < 3; f++) {
                /* a bare 0 or 1 is a score, not a leak */
                if (!strcmp(forms[f], "0") || !strcmp(forms[f], "1") || !strcmp(forms[f], "-0")) continue;
                size_t fl = strlen(forms[f]), at = 0;
                while (at + fl <= sheet_len && memcmp(sheet + at, forms[f], fl)) at++;
                if (at + fl <= sheet_len) continue;   /* the student's own text, echoed */
                if (strstr(text, forms[f]))
                    fail_msg("%s shows %s (%s of %s)", what, forms[f], m ? "ecf" : "value", g->plan.names[k]);
            }
        }
    }
    static const char *const WORDS[] = {"the value is", "exp(", "from your own earlier"};
    for (size_t w = 0; w < sizeof WORDS / sizeof WORDS[0]; w++)
        if (strstr(text, WORDS[w])) fail_msg("%s contains '%s'", what, WORDS[w]);
    if (shows_expected(text)) fail_msg("%s: '%.30s'", what, shows_expected(text));
}

/* --reveal: a worked answer for each quantity not answered correctly (none
 * for a correct one, which would only repeat its verdict), with the
 * derivation in the lecture's numbers (07-2c: a_4 = 0.27, in_5 = 1.54,
 * a_5 = 0.82); the total of max_score is the sheet's points, unchanged. */
static void test_worked_answers(void **state)
{
    (void)state;
    static const struct { const char *sheet; int worked; const char *want[3]; } CASES[] = {
        {"correct", 0, {NULL}},
        {"slip-and-mistake", 4, {
            "\"a_4 (worked answer)\", \"output\": \"carried forward: you wrote 0.73 (line 5)\\n"
            "follows from your in_4 = 1 (the value is 0.27)\\nworked answer: a_4 = g(in_4) = 1/(1+exp(-(-1))) = 0.27\\n\"",
            /* in_4's operands are the givens: its derivation is the worked one, shown once */
            "\"in_4 (worked answer)\", \"output\": \"wrong: you wrote 1 (line 6)\\n2 decimals are asked; this answer "
            "has 0\\nexpected -1\\nin_4 = w_0,4*a_0 + w_1,4*a_1 + w_2,4*a_2 = 3*1 + (-4)*3 + 2*4 = -1\\n\"",
            "a_5 = g(in_5) = 1/(1+exp(-2.46)) = 0.92\\nworked answer: a_5 = g(in_5) = 1/(1+exp(-1.54)) = 0.82\\n"}},
        {"blank", 6, {
            "\"in_5 (worked answer)\", \"output\": \"missing: no answer for in_5\\nworked answer: in_5 = "
            "w_0,5*a_0 + w_3,5*a_3 + w_4,5*a_4 = (-1)*1 + 4*0.5 + 2*0.27 = 1.54\\n\"", NULL}},
    };
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        char out[64] = "/tmp/nntrace-test-worked-XXXXXX", cmd[1024];
        int fd = mkstemp(out);
        assert_true(fd >= 0);
        close(fd);
        snprintf(cmd, sizeof cmd, "%s check lessons/sauppe-forward.lesson tests/grade/sauppe-forward/%s.txt "
                 "--quiet --gradescope %s --reveal after_due_date 2>/dev/null", bin(), CASES[c].sheet, out);
        run_cmd(cmd);
        double score, sum, max_sum;
        assert_int_equal(check_gradescope(out, &score, &sum, &max_sum), 6);
        assert_close(max_sum, 6, 0, 0);
        char *json = slurp(out, NULL);
        assert_non_null(json);
        int worked = 0;
        for (const char *at = json; (at = strstr(at, " (worked answer)\", \"output\": ")); at++) {
            worked++;
            const char *end = strstr(at, "\"visibility\": \"after_due_date\"}");
            if (!end || strstr(at, "\n") < end) fail_msg("%s: a worked answer without its visibility", cmd);
        }
        if (worked != CASES[c].worked) fail_msg("%s: %d worked answers, expected %d:\n%s", cmd, worked, CASES[c].worked, json);
        for (size_t w = 0; w < 3 && CASES[c].want[w]; w++)
            if (!strstr(json, CASES[c].want[w])) fail_msg("%s: no '%s' in:\n%s", cmd, CASES[c].want[w], json);
        free(json);
        unlink(out);
    }
    /* the text report at full shows a missing answer's worked line too, the
     * one the Gradescope test above shows; hint and verdict never do */
    static const char WORKED[] = "in_5                        missing          0/1\n"
        "       worked answer: in_5 = w_0,5*a_0 + w_3,5*a_3 + w_4,5*a_4 = (-1)*1 + 4*0.5 + 2*0.27 = 1.54\n";
    static const char *const LEVEL[] = {"full", "hint", "verdict"};
    for (size_t k = 0; k < 3; k++) {
        char args[256];
        int rc;
        snprintf(args, sizeof args, "check lessons/sauppe-forward.lesson tests/grade/sauppe-forward/blank.txt "
                 "--no-color --feedback %s", LEVEL[k]);
        char *txt = run_capture(args, &rc);
        if ((k == 0) != (strstr(txt, WORKED) != NULL) || (k > 0 && strstr(txt, "1.54")))
            fail_msg("%s:\n%s", args, txt);
        free(txt);
    }
}

/* --feedback: verdict tells no expected value or derivation number, hint
 * the formula with the student's numbers but not its value, full all. */
static void test_feedback_levels(void **state)
{
    (void)state;
    static const char *const SHEETS[] = {"slip", "slip-and-mistake", "garbage", "swapped"};
    graded_lesson g;
    gl_load(&g, "lessons/sauppe-sgd-step.lesson");
    for (size_t k = 0; k < sizeof SHEETS / sizeof SHEETS[0]; k++) {
        char sheet[256], out[64] = "/tmp/nntrace-test-fb-XXXXXX", cmd[1024];
        snprintf(sheet, sizeof sheet, "tests/grade/sauppe-sgd-step/%s.txt", SHEETS[k]);
        char *text = NULL, why[256];
        size_t len;
        if (grade_read_file(sheet, &text, &len, why, sizeof why)) fail_msg("%s: %s", sheet, why);
        grade_answers a;
        grade_report rep;
        assert_int_equal(grade_parse_answers(&a, text, len, g.l, g.ix, &g.plan), 0);
        assert_int_equal(grade_sheet(&rep, g.r.tr, &g.plan, &a, &g.o), 0);
        int fd = mkstemp(out);
        assert_true(fd >= 0);
        close(fd);
        /* the Gradescope default, and --feedback verdict in the text report */
        snprintf(cmd, sizeof cmd, "%s check lessons/sauppe-sgd-step.lesson %s --quiet --gradescope %s "
                 "--visibility after_published --stdout-visibility hidden 2>/dev/null", bin(), sheet, out);
        run_cmd(cmd);
        char *json = slurp(out, NULL);
        if (!json) fail_msg("no results.json for %s", sheet);
        double score, sum, max_sum;
        assert_int_equal(check_gradescope(out, &score, &sum, &max_sum), (int)g.plan.n);
        assert_non_null(strstr(json, "\"visibility\": \"after_published\""));
        assert_non_null(strstr(json, "\"stdout_visibility\": \"hidden\""));
        assert_no_expected_value(json, &g, &rep, &a, text, len, sheet);
        free(json);
        snprintf(cmd, sizeof cmd, "check lessons/sauppe-sgd-step.lesson %s --feedback verdict --no-color", sheet);
        int rc;
        char *txt = run_capture(cmd, &rc);
        assert_no_expected_value(txt, &g, &rep, &a, text, len, cmd);
        free(txt);
        /* hint: the formula with the student's numbers, never its value */
        snprintf(cmd, sizeof cmd, "check lessons/sauppe-sgd-step.lesson %s --feedback hint --no-color", sheet);
        txt = run_capture(cmd, &rc);
        for (size_t q = 0; q < g.plan.n; q++) {
            const grade_item *it = &rep.items[q];
            if (it->res.verdict != JUDGE_WRONG) continue;
            if (it->hint[0] && !strstr(txt, it->hint)) fail_msg("%s: hint '%s' missing", cmd, it->hint);
            if (strstr(it->hint, "= ") == NULL) fail_msg("hint '%s' has no formula", it->hint);
        }
        assert_null(shows_expected(txt));
        free(txt);
        /* --reveal: the full feedback as unscored tests shown later, for
         * the quantities not answered correctly */
        snprintf(cmd, sizeof cmd, "%s check lessons/sauppe-sgd-step.lesson %s --quiet --gradescope %s "
                 "--reveal after_due_date 2>/dev/null", bin(), sheet, out);
        run_cmd(cmd);
        assert_int_equal(check_gradescope(out, &score, &sum, &max_sum), (int)g.plan.n);
        assert_close(sum, rep.score, 1e-9, 0);
        json = slurp(out, NULL);
        if ((rep.count[JUDGE_CORRECT] < rep.n) != (strstr(json, "(worked answer)") != NULL))
            fail_msg("%s: %zu of %zu correct, worked answers: %s", sheet, rep.count[JUDGE_CORRECT], rep.n, json);
        if (rep.count[JUDGE_CORRECT] < rep.n) assert_non_null(strstr(json, "\"visibility\": \"after_due_date\""));
        if (rep.count[JUDGE_WRONG]) assert_non_null(shows_expected(json));
        free(json);
        unlink(out);
        free(text);
        grade_report_free(&rep);
        grade_answers_free(&a);
    }
    /* the hint never shows the engine's value of an asked operand left blank */
    int rc;
    char *txt = run_capture("check lessons/sauppe-sgd-step.lesson tests/grade/sauppe-sgd-step/blank.txt "
                            "--feedback hint --no-color", &rc);
    assert_null(strstr(txt, "0.5474"));
    free(txt);
    /* nor the engine's value of an operand the sheet does not ask: g'(in_3)
     * (0.2478) would give a_3 away; it stays a name */
    char ask[] = "/tmp/nntrace-test-hint-XXXXXX";
    int fd = mkstemp(ask);
    assert_true(fd >= 0);
    const char *sheet = "in_3 = 1\na_3 = 0.1\nerr_3 = 0.2\nJ = 0.3\ndelta_3 = 0.4\n";
    assert_int_equal(write(fd, sheet, strlen(sheet)), (long)strlen(sheet));
    close(fd);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "check lessons/sauppe-sgd-step.lesson %s --ask 'in_3 a_3 err_3 J delta_3' "
             "--feedback hint --no-color", ask);
    txt = run_capture(cmd, &rc);
    if (!strstr(txt, "delta_3 = -2*err_3*g'(in_3) = -2*0.2*g'(in_3)") || strstr(txt, "0.2478"))
        fail_msg("%s:\n%s", cmd, txt);
    free(txt);
    unlink(ask);
    /* --visibility hidden hides the top-level output too (Gradescope shows
     * it at once): no first mistake, no counts, no answer named */
    char gs[] = "/tmp/nntrace-test-hidden-XXXXXX";
    fd = mkstemp(gs);
    assert_true(fd >= 0);
    close(fd);
    static const char *const VIS[] = {"hidden", "after_published", "visible"};
    for (size_t v = 0; v < sizeof VIS / sizeof VIS[0]; v++) {
        snprintf(cmd, sizeof cmd, "%s check lessons/sauppe-sgd-step.lesson tests/grade/sauppe-sgd-step/"
                 "slip-and-mistake.txt --quiet --gradescope %s --visibility %s 2>/dev/null", bin(), gs, VIS[v]);
        run_cmd(cmd);
        char *json = slurp(gs, NULL);
        assert_non_null(json);
        char *o = strstr(json, "\"output\": \""), *end = o ? strstr(o, "\",\n") : NULL;
        if (!o || !end) fail_msg("no top-level output in\n%s", json);
        *end = '\0';
        int shown = strstr(o, "first mistake") || strstr(o, "score:") || strstr(o, "a_3");
        if (v < 2 && (shown || !strstr(o, "received and graded") || !strstr(end + 1, "\"visibility\": \"")))
            fail_msg("--visibility %s: top-level %s", VIS[v], o);
        if (v == 2 && !shown) fail_msg("--visibility visible: top-level %s", o);
        free(json);
    }
    unlink(gs);
    /* full (the terminal default) still says everything */
    txt = run_capture("check lessons/sauppe-sgd-step.lesson tests/grade/sauppe-sgd-step/slip.txt --no-color", &rc);
    assert_non_null(strstr(txt, "expected"));
    free(txt);
    txt = run_capture("check lessons/sauppe-sgd-step.lesson tests/grade/sauppe-sgd-step/slip.txt --feedback most", &rc);
    assert_int_equal(rc, 2);
    free(txt);
    txt = run_capture("check lessons/sauppe-sgd-step.lesson tests/grade/sauppe-sgd-step/slip.txt --reveal later", &rc);
    assert_int_equal(rc, 2);
    free(txt);
    gl_free(&g);
}

/* The sheet gives every number its asked quantities are computed from: a
 * constant of a later step (another example's input or target, the
 * weights after steps the trace does not show) is listed with its step,
 * unless it keeps the value listed before. Before, only the first step's
 * were listed: perceptron-and asked in_3^(1) of the second example,
 * x = (0, 1), with only x = (0, 0) on the sheet, and xor-mlp asked
 * in_3^(2000)[1] without the weights it reads, which only a hint gave
 * away: '(-3.0307)*1 + 6.7499*0 + 6.7498*0'. The hint substitutes what the
 * sheet gives, and no more (grade_sheet_givens decides both). */
static void test_sheet_gives_what_it_asks(void **state)
{
    (void)state;
    int rc;
    char *txt = run_capture("template lessons/perceptron-and.lesson", &rc);
    assert_int_equal(rc, 0);
    static const char *const PERCEPTRON[] = {"#   x_1 = 0\n#   x_2 = 0\n#   y_3 = 0\n#   x_2^(1) = 1\n#   x_1^(2) = 1\n",
                                             "#   y_3^(3) = 1\n", "#   w_0,3^(20) = -3\n",
                                             "#   (^(t): at step t; a number not listed for a step is the one listed before)\n"};
    for (size_t k = 0; k < sizeof PERCEPTRON / sizeof PERCEPTRON[0]; k++)
        if (!strstr(txt, PERCEPTRON[k])) fail_msg("no '%s' in\n%s", PERCEPTRON[k], txt);
    assert_null(strstr(txt, "x_1^(1) ="));          /* x_1 keeps its value: not listed again */
    free(txt);
    txt = run_capture("template lessons/xor-mlp.lesson --ask 'in_3^(2000)[1]'", &rc);
    assert_int_equal(rc, 0);
    if (!strstr(txt, "#   w_0,3^(2000) = -3.030739131941\n#   w_1,3^(2000) = 6.749858301235\n"))
        fail_msg("xor-mlp sheet:\n%s", txt);
    assert_null(strstr(txt, "w_0,4^(2000)"));        /* in_3 reads no weight into neuron 4 */
    free(txt);
    /* a constant the sheet asks for itself is not given away */
    txt = run_capture("template lessons/xor-mlp.lesson --ask 'in_3^(2000)[1] w_0,3^(2000)'", &rc);
    if (strstr(txt, "w_0,3^(2000) = -3") || !strstr(txt, "\nw_0,3^(2000) = \n")) fail_msg("asked:\n%s", txt);
    free(txt);
    txt = run_capture("template lessons/sauppe-sgd-step.lesson", &rc);   /* one example: as before */
    if (!strstr(txt, "#   y_3 = 1\n#   learning rate alpha = 0.5\n") || strstr(txt, "(^(t)"))
        fail_msg("sauppe-sgd-step sheet:\n%s", txt);
    free(txt);
    /* the hint substitutes the numbers the sheet gives */
    static const char XOR[] = "in_3^(2000)[1] = 5\n";
    txt = check_text(XOR, sizeof XOR - 1, "lessons/xor-mlp.lesson --ask 'in_3^(2000)[1]' --feedback hint", &rc);
    if (!strstr(txt, "in_3^(2000)[1] = w_0,3^(2000)*a_0 + w_1,3^(2000)*a_1[1] + w_2,3^(2000)*a_2[1] = "
                     "(-3.0307)*1 + 6.7499*0 + 6.7498*0\n"))
        fail_msg("xor-mlp hint:\n%s", txt);
    free(txt);
    static const char P[] = "in_3^(1) = 5\n";
    txt = check_text(P, sizeof P - 1, "lessons/perceptron-and.lesson --ask 'in_3^(1)' --feedback hint", &rc);
    if (!strstr(txt, "*0 + ") || !strstr(txt, "*1\n")) fail_msg("perceptron-and hint:\n%s", txt);
    free(txt);
}

/* Relative and significant-figure tolerances, on the CLI and for a tiny
 * gradient where half a unit of 4 decimals means nothing. */
static void test_tolerances(void **state)
{
    (void)state;
    judge_rule rel = {.digits = 4, .rel = 0.01}, sig = {.digits = 4, .sigfigs = 3};
    double r = 0.000438568;
    assert_true(judge_match(&rel, 0.000440, r));
    assert_false(judge_match(&rel, 0.000450, r));
    assert_true(judge_match(&sig, 0.000439, r));
    assert_false(judge_match(&sig, 0.000437, r));
    assert_true(judge_match(&sig, -1.234e5, -123449.0));
    double t, rl;
    assert_int_equal(grade_parse_tolerance("1%", &t, &rl), 0);
    assert_close(rl, 0.01, 0, 0);
    assert_close(t, 0, 0, 0);
    assert_int_equal(grade_parse_tolerance("0.001", &t, &rl), 0);
    assert_close(t, 0.001, 0, 0);
    assert_int_equal(grade_parse_tolerance("-1%", &t, &rl), -1);
    assert_int_equal(grade_parse_tolerance("%", &t, &rl), -1);
    assert_int_equal(grade_parse_tolerance("100%", &t, &rl), -1);

    /* dJ/dw_1,3 = -0.0897: -0.0900 is 0.33% off (outside half a unit) */
    char path[] = "/tmp/nntrace-test-tol-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *sheet = "dJ/dw_1,3 = -0.0900\n";
    assert_int_equal(write(fd, sheet, strlen(sheet)), (long)strlen(sheet));
    close(fd);
    static const struct { const char *opt, *verdict; } CASES[] = {
        {"", "wrong"}, {"--tolerance 0.5%", "correct"}, {"--tolerance 0.2%", "wrong"},
        {"--sigfigs 2", "correct"}, {"--sigfigs 3", "wrong"}, {"--tolerance 0.001", "correct"},
    };
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        char args[512], want[64];
        int rc;
        snprintf(args, sizeof args, "check lessons/sauppe-sgd-step.lesson %s --ask dJ/dw_1,3 --no-color %s",
                 path, CASES[k].opt);
        char *out = run_capture(args, &rc);
        snprintf(want, sizeof want, "%-14s %-12s %s", "dJ/dw_1,3", "-0.0900", CASES[k].verdict);   /* as written */
        if (!strstr(out, want)) fail_msg("%s: no '%s' in\n%s", args, want, out);
        free(out);
    }
    unlink(path);
}

/* Carried-forward credit: the forms a lecture computes a quantity by, the
 * set penalty and the depth cap. */
static void test_ecf_rules(void **state)
{
    (void)state;
    char path[] = "/tmp/nntrace-test-ecf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    /* a_3 slipped; delta_3 worked from y, a_3 and g' (err_3 and g' not asked):
     * -2 (1 - 0.5574) (0.5574 (1 - 0.5574)) = -0.2184 */
    const char *sheet = "a_3 = 0.5574\ndelta_3 = -0.2184\n";
    assert_int_equal(write(fd, sheet, strlen(sheet)), (long)strlen(sheet));
    close(fd);
    int rc;
    char args[512];
    snprintf(args, sizeof args, "check lessons/sauppe-sgd-step.lesson %s --ask 'a_3 delta_3' --no-color", path);
    char *out = run_capture(args, &rc);
    if (!strstr(out, "delta_3        -0.2184      carried forward")) fail_msg("%s:\n%s", args, out);
    free(out);
    unlink(path);

    /* on the exact lesson, the student rounds the g'(in_3) the sheet does not
     * ask to 4 decimals, as it says to: a_3 = 0.5515 slipped, g' =
     * 0.5515 (1 - 0.5515) = 0.2473, delta_3 = -2 (0.4485) (0.2473) = -0.2218
     * (unrounded g' gives -0.22187); the carry names the answer it follows
     * from, not the unasked g' */
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    sheet = "a_3 = 0.5515\ndelta_3 = -0.2218\n";
    assert_int_equal(write(fd, sheet, strlen(sheet)), (long)strlen(sheet));
    close(fd);
    snprintf(args, sizeof args, "check tests/grade/sgd-exact/lesson.lesson %s --ask 'a_3 delta_3' --no-color "
             "--feedback verdict", path);
    out = run_capture(args, &rc);
    if (!strstr(out, "delta_3        -0.2218      carried forward") || !strstr(out, "follows from your a_3 = 0.5515"))
        fail_msg("%s:\n%s", args, out);
    free(out);
    unlink(path);

    /* the honest slip: full credit by default, the set share otherwise, and
     * nothing beyond the depth cap (a_3 -> err_3 -> J is 2 carries) */
    static const struct { const char *opt, *score; } CASES[] = {
        {"", "score: 15 / 16"}, {"--ecf 0.75", "score: 11.5 / 16"}, {"--ecf none", "score: 1 / 16"},
        {"--ecf-depth 1", "carried 2 steps from the first mistake; credit stops after 1"},
        {"--ecf-depth 0", "score: 1 / 16"}, {"--ecf-depth 0", "carried answers earn nothing here (ecf-depth 0)"},
    };
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        snprintf(args, sizeof args, "check lessons/sauppe-sgd-step.lesson tests/grade/sauppe-sgd-step/slip.txt "
                 "--no-color --feedback full %s", CASES[k].opt);
        out = run_capture(args, &rc);
        if (!strstr(out, CASES[k].score)) fail_msg("%s: no '%s' in\n%s", args, CASES[k].score, out);
        free(out);
    }
    /* the lesson key ecf-depth 0 means the same */
    out = run_capture("check tests/grade/sgd-ecf0/lesson.lesson tests/grade/sauppe-sgd-step/slip.txt", &rc);
    if (!strstr(out, "score: 1 / 16")) fail_msg("ecf-depth 0 in a lesson:\n%s", out);
    free(out);
    out = run_capture("check lessons/sauppe-sgd-step.lesson tests/grade/sauppe-sgd-step/slip.txt --ecf 1.5", &rc);
    assert_int_equal(rc, 2);
    free(out);
}

/* An answer written but not readable (54.74%) is missing, and its
 * Gradescope test says which line and why, not "no answer". */
/* A problem line echoes the student's own text as esc_visible shows it:
 * printable UTF-8 as written (a pasted Unicode minus is a minus, not
 * '???'), a tab, an invisible character or a broken byte as a visible
 * escape, the same in the text report and in results.json (which stays
 * valid JSON and valid UTF-8). */
static void test_echo_visible(void **state)
{
    (void)state;
    char o[64];
    static const struct { const char *in, *want; } cases[] = {
        {"a_3 =\t0.5", "a_3 =<U+0009>0.5"},
        {"in_3 = \xE2\x88\x92" "0.2", "in_3 = \xE2\x88\x92" "0.2"},          /* U+2212 kept */
        {"a\xC2\xA0" "b", "a<U+00A0>b"},                                       /* a no-break space */
        {"0.5\xE2\x80\xAE" "4", "0.5<U+202E>4"},                               /* right-to-left override */
        {"x\xE2\x80\x8By", "x<U+200B>y"},                                      /* zero-width space */
        {"\x1b[2J\x7f\xC2\x9B", "<U+001B>[2J<U+007F><U+009B>"},                /* C0, DEL, C1 */
        {"0.4\xFF", "0.4<0xFF>"},
        {"\xED\xA0\x80", "<0xED><0xA0><0x80>"},                                 /* a surrogate */
        {"\xC3\xA9t\xC3\xA9 \xCE\x94\xE2\x82\x83 \xF0\x9F\x98\x80",
         "\xC3\xA9t\xC3\xA9 \xCE\x94\xE2\x82\x83 \xF0\x9F\x98\x80"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        assert_int_equal(esc_visible(o, sizeof o, cases[k].in, strlen(cases[k].in), 40), strlen(cases[k].want));
        assert_string_equal(o, cases[k].want);
    }
    /* a sequence cut off by n is broken bytes; at most max characters, then "..." */
    esc_visible(o, sizeof o, "\xE2\x88\x92", 2, 40);
    assert_string_equal(o, "<0xE2><0x88>");
    esc_visible(o, sizeof o, "\xE2\x88\x92\xE2\x88\x92\xE2\x88\x92", 9, 2);
    assert_string_equal(o, "\xE2\x88\x92\xE2\x88\x92...");
    /* a small buffer is never cut inside a character or an escape */
    char small[12];
    esc_visible(small, sizeof small, "\t\t\t", 3, 40);
    assert_string_equal(small, "<U+0009>...");
    esc_visible(small, 6, "ab\xE2\x88\x92", 5, 40);
    assert_string_equal(small, "ab...");
    /* every 1- and 2-byte pattern: printable UTF-8 out, no control byte */
    for (unsigned a = 0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++) {
            char in[2] = {(char)a, (char)b};
            esc_visible(o, sizeof o, in, 2, 40);
            for (const unsigned char *c = (const unsigned char *)o; *c; c += esc_utf8_len(c)) {
                int len;
                long cp = esc_utf8_cp(c, &len);
                if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) fail_msg("%02x %02x gave byte %02x", a, b, *c);
            }
        }

    char dir[] = "/tmp/nntrace-test-echo-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], args[1024];
    snprintf(path, sizeof path, "%s/s.txt", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("in_3 = \xE2\x88\x92" "0.2\xE2\x88\x92\na_3 =\t0.5474 x\nerr_3 = 0.4\xFF\n", f);
    assert_int_equal(fclose(f), 0);
    int rc;
    snprintf(args, sizeof args, "check lessons/sauppe-sgd-step.lesson %s --no-color --gradescope %s/r.json", path, dir);
    char *out = run_capture(args, &rc);
    assert_int_equal(rc, 1);
    static const char *const want[] = {
        "line 1: 'in_3 = \xE2\x88\x92" "0.2\xE2\x88\x92': not a number",
        "line 2: 'a_3 =<U+0009>0.5474 x': not a number",
        "line 3: 'err_3 = 0.4<0xFF>': not a number",
    };
    snprintf(path, sizeof path, "%s/r.json", dir);
    double score, sum, max;
    check_gradescope(path, &score, &sum, &max);
    char *json = slurp(path, NULL);
    assert_non_null(json);
    for (const unsigned char *c = (const unsigned char *)json; *c; c += esc_utf8_len(c))
        if (!esc_utf8_len(c)) fail_msg("results.json is not UTF-8 at byte %02x", *c);
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        if (!strstr(out, want[k])) fail_msg("no \"%s\" in the report:\n%s", want[k], out);
        if (!strstr(json, want[k])) fail_msg("no \"%s\" in results.json:\n%s", want[k], json);
    }
    free(json);
    free(out);
    snprintf(args, sizeof args, "rm -rf %s", dir);
    assert_int_equal(system(args), 0);
}

/* ------------------------------------------------------------------------
 * The gradebook
 * ---------------------------------------------------------------------- */

/* `nntrace check` ARGS in dir (cd'ed into): the output, *rc its status;
 * *book the gradebook book.csv parsed. */
static char *gradebook_run(const char *dir, const char *args, int *rc, csv *book)
{
    char cmd[2048], path[512];
    snprintf(path, sizeof path, "%s/book.csv", dir);
    unlink(path);
    snprintf(cmd, sizeof cmd, "check tests/grade/variants/hw.lesson %s --gradebook %s --quiet", args, path);
    char *out = run_capture(cmd, rc);
    char *text = slurp(path, NULL);
    if (!text) fail_msg("no gradebook for %s:\n%s", args, out);
    csv_parse(book, text);
    free(text);
    return out;
}

/* The row of the gradebook whose student is id, or fail. */
static uint32_t book_find(const csv *b, const char *id)
{
    uint32_t found = 0, n = 0;
    for (uint32_t r = 1; r < b->nrow; r++)
        if (!strcmp(csv_at(b, r, 0), id)) { found = r; n++; }
    if (n != 1) fail_msg("%u gradebook rows for %s", n, id);
    return found;
}

/* One gradebook row per student, as an import needs: a student who handed
 * in two sheets (a resubmission) gets one row, its score blank and every
 * sheet listed with its score and file time, the newest marked; with
 * --roster every student on it has a row in its order (blank and "no sheet
 * handed in" when none came), then the sheets of anyone else; a name with
 * a comma and quotes is one field; an id with a leading zero is written as
 * it is, with a note that a spreadsheet would change it. */
static void test_gradebook(void **state)
{
    (void)state;
    char dir[] = "/tmp/nntrace-test-book-XXXXXX", cmd[4096], args[2048];
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s; V=$OLDPWD/tests/grade/variants; mkdir a b c d\n"
             "cp $V/ada.txt a/answers.txt; touch -d '2026-01-02 03:04:05' a/answers.txt\n"
             "sed 's/^a_3 = .*/a_3 = 0.1/' $V/ada.txt > b/answers.txt; touch -d '2026-01-03 08:00:00' b/answers.txt\n"
             "cp $V/cy.txt c/answers.txt\n"
             "grep -v '^# student:' $V/cy.txt > 'd/Doe, Jane \"JD\".txt'\n"
             "printf 'Name,Email Address\\n\"Doe, Jane\",cy@example.edu\\nBob,Bob@Example.edu\\nAda,ada@example.edu\\n'"
             " > roster.csv\n"
             "printf 'Name,SID\\nZed,00123\\nYu,4567\\n' > sids.csv\n"
             "printf 'Student,ID,SIS User ID,SIS Login ID,Section,HW (1)\\n    Points Possible,,,,,11\\n"
             "\"Lovelace, Ada\",101,00123,ada@example.edu,S1,\\n"
             "Cy,102,00124,cy@example.edu,S1,\\n' > canvas.csv\n", dir);
    assert_int_equal(system(cmd), 0);
    int rc;
    csv b;

    /* with a roster */
    snprintf(args, sizeof args, "%s/a/answers.txt %s/b/answers.txt %s/c/answers.txt '%s/d/Doe, Jane \"JD\".txt' "
             "--roster %s/roster.csv --column 'email address'", dir, dir, dir, dir, dir);
    char *out = gradebook_run(dir, args, &rc, &b);
    assert_int_equal(rc, 1);
    assert_int_equal(b.nrow, 5);
    assert_int_equal(b.row0[1], 3);                             /* three columns */
    assert_string_equal(csv_at(&b, 0, 0), "student");
    assert_string_equal(csv_at(&b, 0, 1), "score");
    assert_string_equal(csv_at(&b, 0, 2), "problem");
    assert_string_equal(csv_at(&b, 1, 0), "cy@example.edu");   /* the roster's order */
    assert_string_equal(csv_at(&b, 1, 1), "11");
    assert_string_equal(csv_at(&b, 2, 0), "bob@example.edu");
    assert_string_equal(csv_at(&b, 2, 1), "");
    assert_string_equal(csv_at(&b, 2, 2), "no sheet handed in");
    assert_string_equal(csv_at(&b, 3, 0), "ada@example.edu");
    assert_string_equal(csv_at(&b, 3, 1), "");                  /* two sheets: which counts is not guessed */
    char want[1024];
    snprintf(want, sizeof want, "no score: 2 sheets claim this student (a resubmission, or a copy?): "
             "%s/a/answers.txt 11/11, changed 2026-01-02 03:04:05; %s/b/answers.txt 10/11, changed "
             "2026-01-03 08:00:00, the newest; grade again with only the sheet that counts", dir, dir);
    assert_string_equal(csv_at(&b, 3, 2), want);
    snprintf(want, sizeof want, "%s/d/Doe, Jane \"JD\".txt", dir);
    assert_string_equal(csv_at(&b, 4, 0), want);                 /* names no student: by its file */
    assert_string_equal(csv_at(&b, 4, 1), "11");
    static const char anon[] = "not on the roster; the sheet names no student";
    if (strncmp(csv_at(&b, 4, 2), anon, sizeof anon - 1)) fail_msg("%s", csv_at(&b, 4, 2));
    csv_free(&b);
    free(out);

    /* without one: a row per student all the same, in the order of the sheets */
    snprintf(args, sizeof args, "%s/b/answers.txt %s/c/answers.txt %s/a/answers.txt", dir, dir, dir);
    snprintf(cmd, sizeof cmd, "touch -d '2026-01-02 03:04:05' %s/b/answers.txt", dir);   /* a tie: no newest */
    assert_int_equal(system(cmd), 0);
    out = gradebook_run(dir, args, &rc, &b);
    assert_int_equal(rc, 1);
    assert_int_equal(b.nrow, 3);
    assert_int_equal(book_find(&b, "ada@example.edu"), 1);
    assert_int_equal(book_find(&b, "cy@example.edu"), 2);
    assert_string_equal(csv_at(&b, 1, 1), "");
    if (!strstr(csv_at(&b, 1, 2), "2 sheets claim") || strstr(csv_at(&b, 1, 2), "newest"))
        fail_msg("%s", csv_at(&b, 1, 2));
    csv_free(&b);
    free(out);

    /* an id of digits with a leading zero: as written, and a note */
    snprintf(args, sizeof args, "%s/c/answers.txt --student 00123 --roster %s/sids.csv", dir, dir);
    out = gradebook_run(dir, args, &rc, &b);
    assert_string_equal(csv_at(&b, 1, 0), "00123");
    assert_string_equal(csv_at(&b, 2, 0), "4567");
    assert_string_equal(csv_at(&b, 2, 1), "");
    if (!strstr(out, "reads an id such as 00123 as a number")) fail_msg("%s", out);
    csv_free(&b);
    free(out);

    /* Canvas's gradebook export as the roster: its Points Possible row is no student */
    snprintf(args, sizeof args, "%s/c/answers.txt --roster %s/canvas.csv --column 'SIS Login ID'", dir, dir);
    out = gradebook_run(dir, args, &rc, &b);
    assert_int_equal(b.nrow, 3);
    assert_string_equal(csv_at(&b, 1, 0), "ada@example.edu");
    assert_string_equal(csv_at(&b, 2, 0), "cy@example.edu");
    assert_string_equal(csv_at(&b, 2, 1), "11");
    csv_free(&b);
    free(out);

    /* the roster is read as variants reads it and is never overwritten */
    static const struct { const char *args, *want; } bad[] = {
        {"--roster D/roster.csv", "--roster names the students of the gradebook; give --gradebook FILE too"},
        {"--gradebook D/g.csv --column SID", "--column names a column of the roster; give --roster FILE too"},
        {"--gradebook D/roster.csv --roster D/roster.csv", "roster.csv"},
        {"--gradebook D/g.csv --roster D/sids.csv --column Mail", "sids.csv:1: no column 'Mail' in the header"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char a2[1024] = "", *w = a2;
        for (const char *c = bad[k].args; *c; c++)            /* D: the scratch directory */
            w += *c == 'D' && c[1] == '/' ? sprintf(w, "%s", dir) : sprintf(w, "%c", *c);
        snprintf(cmd, sizeof cmd, "check tests/grade/variants/hw.lesson %s/c/answers.txt %s --quiet", dir, a2);
        out = run_capture(cmd, &rc);
        assert_int_equal(rc, 2);
        if (!strstr(out, bad[k].want)) fail_msg("no '%s' for %s:\n%s", bad[k].want, a2, out);
        free(out);
    }
    snprintf(cmd, sizeof cmd, "%s/roster.csv", dir);
    char *roster = slurp(cmd, NULL);
    assert_non_null(roster);
    if (strncmp(roster, "Name,Email Address\n", 19)) fail_msg("the roster was overwritten:\n%s", roster);
    free(roster);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_refused_answer_test_output(void **state)
{
    (void)state;
    char dir[] = "/tmp/nntrace-test-refused-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[1024], args[1024];
    snprintf(cmd, sizeof cmd, "printf 'in_3 = 0.19\\na_3 = 54.74%%%%\\n' > %s/s.txt", dir);
    assert_int_equal(system(cmd), 0);
    int rc;
    snprintf(args, sizeof args, "check lessons/sauppe-sgd-step.lesson %s/s.txt --quiet --gradescope %s/r.json",
             dir, dir);
    char *out = run_capture(args, &rc);
    free(out);
    snprintf(args, sizeof args, "%s/r.json", dir);
    size_t n;
    char *json = slurp(args, &n);
    assert_non_null(json);
    if (!strstr(json, "\"missing: your answer for a_3 on line 2 could not be read: a trailing % is not a number"))
        fail_msg("%s", json);
    if (!strstr(json, "\"missing: no answer for err_3\\n\"")) fail_msg("%s", json);
    free(json);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* A net input whose weights cancel (-0.9 + 0.8 + 0.1, as a variant's
 * draw can give) is 0, and a student's 0 for it is correct. */
static void test_cancelling_sum(void **state)
{
    (void)state;
    char dir[] = "/tmp/nntrace-test-cancel-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && printf 'title t\ninput 1 2\nlayer logistic 3\nweight w_0,3 = -0.9\n"
             "weight w_1,3 = 0.8\nweight w_2,3 = 0.1\nexample 1 1\nsteps 0\n' > c.lesson && "
             "printf 'in_3 = 0\na_3 = 0.5\n' > s.txt", dir);
    assert_int_equal(system(cmd), 0);
    int rc;
    char args[1024];
    snprintf(args, sizeof args, "run %s/c.lesson", dir);
    char *out = run_capture(args, &rc);
    if (!strstr(out, "= 0\n") || strstr(out, "e-17")) fail_msg("%s:\n%s", args, out);
    free(out);
    snprintf(args, sizeof args, "check %s/c.lesson %s/s.txt --no-color", dir, dir);
    out = run_capture(args, &rc);
    if (rc != 0 || !strstr(out, "score: 2 / 2")) fail_msg("%s (exit %d):\n%s", args, rc, out);
    free(out);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* The grading keys of a lesson: parsed, and bad values refused with a line. */
static void test_lesson_keys(void **state)
{
    (void)state;
    static const char *BASE =
        "title keys\ninput 1 2\nlayer logistic 3\nweight w_0,3 = 0.1\nweight w_1,3 = 0.1\nweight w_2,3 = 0.1\n"
        "loss sse\nrate 0.5\nsteps 1\nexample 0.4 0.5 -> 1\n";
    char text[2048], err[512];
    snprintf(text, sizeof text, "%sask a_3 delta_*\nask w_*^(1)\necf none\ntolerance 0.001\n"
             "points delta_3 = 3\npoints w_*^(1) = 0.5\n", BASE);
    lesson *l = lesson_parse(text, strlen(text), "keys", err, sizeof err);
    if (!l) fail_msg("%s", err);
    assert_string_equal(l->ask, "a_3 delta_* w_*^(1)");
    assert_int_equal(l->ecf, LESSON_ECF_NONE);
    assert_close(l->tolerance, 0.001, 0, 0);
    assert_int_equal(l->n_points, 2);
    assert_string_equal(l->points[1].pattern, "w_*^(1)");
    assert_close(l->points[0].points, 3, 0, 0);
    grade_opts o;
    grade_opts_lesson(&o, l, NULL);
    assert_close(o.ecf_credit, 0, 0, 0);
    assert_close(o.rule.tol, 0.001, 0, 0);
    assert_int_equal(o.rule.digits, 4);                 /* digits' default */
    lesson_free(l);
    /* answer-decimals: the decimals answers are judged to, not the display */
    snprintf(text, sizeof text, "%sdigits 9\nanswer-decimals 3\n", BASE);
    if (!(l = lesson_parse(text, strlen(text), "keys", err, sizeof err))) fail_msg("%s", err);
    assert_int_equal(l->digits, 9);
    assert_int_equal(lesson_answer_digits(l), 3);
    grade_opts_lesson(&o, l, NULL);
    assert_int_equal(o.rule.digits, 3);
    assert_int_equal(o.digits, 9);
    lesson_free(l);
    static const struct { const char *add, *msg; } BAD[] = {
        {"ecf most\n", "keys:11: 'ecf' takes full, half, none or a share"},
        /* a near miss of a choice gets a "did you mean" */
        {"ecf halve\n", "keys:11: 'ecf' takes full, half, none or a share from 0 to 1, not 'halve'; did you mean half?"},
        {"feedback ful\n", "keys:11: 'feedback' takes verdict, hint or full; did you mean full?"},
        {"feedback verdikt\n", "keys:11: 'feedback' takes verdict, hint or full; did you mean verdict?"},
        {"trace al\n", "keys:11: 'trace' takes all, none or step numbers; did you mean all?"},
        {"init xaiver 3\n", "keys:11: expected 'init uniform LOW HIGH SEED', 'init xavier SEED', "
                            "'init xavier-normal SEED' or 'init he SEED'; did you mean xavier?"},
        {"init-layer 1 hee 3\n", "keys:11: unknown initialisation 'hee' (known: xavier, xavier-normal, he); "
                                 "did you mean he?"},
        {"ecf full\necf half\n", "keys:12: duplicate 'ecf'"},
        {"tolerance -1\n", "keys:11: 'tolerance' must be positive"},
        {"tolerance nan\n", "keys:11:"},
        {"points a_3 = -2\n", "keys:11: points must be from 0"},
        {"points a_3\n", "keys:11: expected 'points"},
        {"ask\n", "keys:11: 'ask' needs"},
        {"answer-decimals 13\n", "keys:11: 13 is out of range"},
        {"answer-decimals 2\nanswer-decimals 3\n", "keys:12: duplicate 'answer-decimals'"},
    };
    for (size_t k = 0; k < sizeof BAD / sizeof BAD[0]; k++) {
        snprintf(text, sizeof text, "%s%s", BASE, BAD[k].add);
        l = lesson_parse(text, strlen(text), "keys", err, sizeof err);
        if (l) fail_msg("accepted: %s", BAD[k].add);
        if (strncmp(err, BAD[k].msg, strlen(BAD[k].msg))) fail_msg("'%s', expected '%s...'", err, BAD[k].msg);
    }
}

/* A student id as it is compared: blanks of any kind and line ends around it
 * trimmed (a roster cell's no-break space from a spreadsheet too), ASCII
 * letters lower-cased, the inside left alone. */
static void test_id_normalise(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } IDS[] = {
        {" Ada@Example.EDU\r\n", "ada@example.edu"},
        {"\xC2\xA0" "ada@example.edu\xC2\xA0", "ada@example.edu"},
        {"\xE2\x80\x89\t ada \xE3\x80\x80", "ada"},
        {"a\xC2\xA0" "b", "a\xC2\xA0" "b"},
        {"\xC2\xA0 \xC2\xA0", ""},
        {"Zo\xC3\xAB", "zo\xC3\xAB"},
    };
    for (size_t k = 0; k < sizeof IDS / sizeof IDS[0]; k++) {
        char id[64];
        snprintf(id, sizeof id, "%s", IDS[k].in);
        grade_id_normalise(id);
        assert_string_equal(id, IDS[k].out);
    }
}

/* The report's columns line up by what a terminal shows: an answer pasted
 * with a Unicode minus (3 bytes, one column) keeps its verdict in line. */
static void test_report_columns(void **state)
{
    (void)state;
    char cmd[1024];
    int st;
    snprintf(cmd, sizeof cmd, "%s check --no-color lessons/sauppe-forward.lesson "
             "tests/grade/sauppe-forward/pasted-blanks.txt", bin());
    char *out = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "\xE2\x88\x92" "1 "));
    long col = -1;
    int rows = 0;
    for (char *p = out; *p;) {
        size_t n = strcspn(p, "\n");
        char *v = strstr(p, "correct");
        if (v && v < p + n && p[0] == ' ') {
            long c = 0;
            for (char *q = p; q < v; q++) c += ((unsigned char)*q & 0xC0) != 0x80;
            if (col >= 0 && c != col) fail_msg("a verdict at column %ld, another at %ld:\n%s", c, col, out);
            col = c;
            rows++;
        }
        p += n + (p[n] == '\n');
    }
    assert_int_equal(rows, 6);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob),
        cmocka_unit_test(test_id_normalise),
        cmocka_unit_test(test_report_columns),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_sheet_in_another_notation),
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_fabricated_sheets),
        cmocka_unit_test(test_feedback_levels),
        cmocka_unit_test(test_sheet_gives_what_it_asks),
        cmocka_unit_test(test_worked_answers),
        cmocka_unit_test(test_tolerances),
        cmocka_unit_test(test_ecf_rules),
        cmocka_unit_test(test_huge_and_special_files),
        cmocka_unit_test(test_million_lines),
        cmocka_unit_test(test_check_help),
        cmocka_unit_test(test_hand_run_keeps_lesson_names),
        cmocka_unit_test(test_ties_and_written_answers),
        cmocka_unit_test(test_template_and_usage),
        cmocka_unit_test(test_lesson_keys),
        cmocka_unit_test(test_cancelling_sum),
        cmocka_unit_test(test_refused_answer_test_output),
        cmocka_unit_test(test_echo_visible),
        cmocka_unit_test(test_gradebook),
    };
    return cmocka_run_group_tests_name("grade", tests, NULL, NULL);
}
