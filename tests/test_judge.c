/*
 * test_judge.c - the shared judge: student numbers, tolerance, verdicts.
 *
 * The fixture is lecture 001's example 07-2a (one SGD step on a logistic
 * neuron, x = (0.4, 0.5), y = 1, alpha = 0.5, all weights 0.1). Expected
 * numbers are the lecture's (a_3 = 0.5474, g' = 0.2478, w_0,3^(1) = 0.2122,
 * in_3^(1) = 0.34821, a_3^(1) = 0.5862) or worked by hand from them; the
 * slip a_3 = 0.5574 is carried by hand:
 *   err_3 = 1 - 0.5574 = 0.4426, g' = 0.5574 * 0.4426 = 0.2467,
 *   delta_3 = -2 * 0.4426 * 0.2467 = -0.2184, w_0,3^(1) = 0.1 + 0.5*0.2184 = 0.2092.
 */
#include "testutil.h"

#include "engine.h"
#include "judge.h"
#include "lesson.h"
#include "names.h"
#include "random_lesson.h"

static const char *LESSON_072A =
    "title 07-2a\n"
    "input 1 2\n"
    "layer logistic 3\n"
    "weight w_0,3 = 0.1\nweight w_1,3 = 0.1\nweight w_2,3 = 0.1\n"
    "loss sse\nrate 0.5\nsteps 1\nfinal-forward yes\n"
    "example 0.4 0.5 -> 1\n"
    "digits 4\n";

typedef struct {
    lesson *l;
    engine_result exact, hand;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char err[512];
    if (!f) return -1;
    f->l = lesson_parse(LESSON_072A, strlen(LESSON_072A), "07-2a", err, sizeof err);
    if (!f->l) { fprintf(stderr, "%s\n", err); return -1; }
    engine_opts ex = {.round = -1}, hd = {.round = 4};
    if (engine_run(f->l, &ex, &f->exact, err, sizeof err)) return -1;
    if (engine_run(f->l, &hd, &f->hand, err, sizeof err)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (!f) return 0;
    engine_result_free(&f->exact);
    engine_result_free(&f->hand);
    lesson_free(f->l);
    free(f);
    return 0;
}

static size_t id_of(const fixture *f, const char *name)
{
    long id = names_find(f->l, f->exact.tr, NULL, name);
    if (id < 0) fail_msg("no quantity %s", name);
    return (size_t)id;
}

/* ------------------------------------------------------------------------ */

static void test_parse_accepts(void **state)
{
    (void)state;
    static const struct { const char *s; double v; int dec; } OK[] = {
        {"0.5474", 0.5474, 4}, {".5474", 0.5474, 4}, {"5.474e-1", 0.5474, 4},
        {"5.474E-01", 0.5474, 4}, {"-0", 0.0, 0}, {"  -0.2243\t", -0.2243, 4},
        {"+3", 3.0, 0}, {"7.", 7.0, 0}, {"12e2", 1200.0, 0},
        /* as students write them: decimal comma, Unicode minus, fractions */
        {"0,19", 0.19, 2}, {"-0,2243", -0.2243, 4}, {"\xE2\x88\x92" "0.2243", -0.2243, 4},
        {"5,474e\xE2\x88\x92" "1", 0.5474, 4}, {"1/2", 0.5, JUDGE_EXACT_DECIMALS},
        {"-3/4", -0.75, JUDGE_EXACT_DECIMALS}, {"0.5/2", 0.25, JUDGE_EXACT_DECIMALS},
        {"+1/3", 1.0 / 3, JUDGE_EXACT_DECIMALS}, {"0/5", 0.0, JUDGE_EXACT_DECIMALS},
        /* pasted from a PDF: Unicode blanks around it are blanks */
        {"\xC2\xA0" "1.0", 1.0, 1}, {"\xE2\x80\x89" "0.27" "\xE3\x80\x80" " ", 0.27, 2},
        {" \xE2\x80\xAF" "\xE2\x88\x92" "0.5" "\xE2\x80\x8B", -0.5, 1},
    };
    for (size_t k = 0; k < sizeof OK / sizeof OK[0]; k++) {
        double v = -99;
        int dec = -1;
        judge_num_status st = judge_parse_number(OK[k].s, strlen(OK[k].s), &v, &dec);
        if (st != JNUM_OK) fail_msg("'%s' rejected: %s", OK[k].s, judge_num_strerror(st));
        assert_close(v, OK[k].v, 1e-15, 1e-12);
        assert_int_equal(dec, OK[k].dec);
        assert_false(signbit(v) && v == 0);   /* -0 is 0 */
    }
}

static void test_parse_rejects(void **state)
{
    (void)state;
    static const struct { const char *s; judge_num_status st; } BAD[] = {
        {"", JNUM_EMPTY}, {"   ", JNUM_EMPTY}, {"54.74%", JNUM_PERCENT}, {"0.5474 %", JNUM_PERCENT},
        {"nan", JNUM_NONFINITE}, {"-NaN", JNUM_NONFINITE}, {"inf", JNUM_NONFINITE},
        {"-Infinity", JNUM_NONFINITE}, {"0x1p-1", JNUM_SYNTAX}, {"0x10", JNUM_SYNTAX},
        {"1e999", JNUM_RANGE}, {"-1e999", JNUM_RANGE}, {"1,234.5", JNUM_COMMA}, {"1.2.3", JNUM_SYNTAX},
        {"1,2,3", JNUM_COMMA}, {"1/0", JNUM_ZERO_DIV}, {"1/", JNUM_SYNTAX}, {"/2", JNUM_SYNTAX},
        {"1/-2", JNUM_SYNTAX}, {"1/2/3", JNUM_SYNTAX}, {"\xE2\x88", JNUM_SYNTAX},
        {".", JNUM_SYNTAX}, {"-", JNUM_SYNTAX}, {"1e", JNUM_SYNTAX}, {"1e+", JNUM_SYNTAX},
        {"0.5 0.6", JNUM_SYNTAX}, {"e5", JNUM_SYNTAX}, {"--1", JNUM_SYNTAX},
        {"1e-400", JNUM_TINY}, {"-1e-400", JNUM_TINY}, {"1/1e-400", JNUM_TINY},   /* never silently 0 */
        {"1e-300/1e300", JNUM_TINY}, {"-1e-200/1e200", JNUM_TINY},               /* a quotient too */
        {"\xC2\xA0", JNUM_EMPTY}, {"1\xC2\xA0" "234", JNUM_SYNTAX},   /* a blank inside is no blank to skip */
        {"\xC2", JNUM_SYNTAX}, {"0.5\xC2", JNUM_SYNTAX},                  /* half a no-break space */
    };
    for (size_t k = 0; k < sizeof BAD / sizeof BAD[0]; k++) {
        double v = 0;
        judge_num_status st = judge_parse_number(BAD[k].s, strlen(BAD[k].s), &v, NULL);
        if (st != BAD[k].st) fail_msg("'%s': status %d, expected %d", BAD[k].s, (int)st, (int)BAD[k].st);
    }
    /* a NUL byte inside, and the length is respected (no read past len) */
    double v = 0;
    assert_int_equal(judge_parse_number("0.5\0" "1", 5, &v, NULL), JNUM_SYNTAX);
    assert_int_equal(judge_parse_number("0.51234", 3, &v, NULL), JNUM_OK);
    assert_close(v, 0.5, 0, 0);
    char big[1000];
    memset(big, '1', sizeof big);
    assert_int_equal(judge_parse_number(big, sizeof big, &v, NULL), JNUM_LONG);
    assert_non_null(strstr(judge_num_strerror(JNUM_LONG), "too many digits"));
    assert_non_null(strstr(judge_num_strerror(JNUM_TINY), "out of range"));
}

static void test_tolerance(void **state)
{
    (void)state;
    judge_rule r = {.digits = 4};
    assert_close(judge_tolerance(&r, 0.5474), 0.00005, 1e-18, 0);
    assert_close(judge_tolerance(&r, 0), 0.00005, 1e-18, 0);
    /* 3.2e-6 is shown as 3.200e-06: half a unit of the 4th significant digit */
    assert_close(judge_tolerance(&r, 3.2e-6), 0.5e-9, 1e-22, 0);
    assert_true(judge_match(&r, 0.5474, 0.54735762));
    assert_true(judge_match(&r, 0.54736, 0.54735762));
    assert_false(judge_match(&r, 0.547, 0.54735762));
    assert_false(judge_match(&r, 0.55, 0.54735762));
    assert_true(judge_match(&r, 0.2122, 0.21215));     /* a tie matches */
    assert_true(judge_match(&r, 0.2121, 0.21215));
    assert_false(judge_match(&r, 0.2123, 0.21215));
    assert_false(judge_match(&r, NAN, 0.1));
    assert_false(judge_match(&r, 0.0, 3.2e-6));        /* 0 is not 3.2e-6 */
    judge_rule stated = {.digits = 4, .tol = 0.01};
    assert_true(judge_match(&stated, 0.55, 0.5474));
}

/* The lecture's own numbers on the exact trace, with the hand trace given:
 * all correct, although the exact w_0,3^(1) is 0.2121454 and in_3^(1) is
 * 0.348125 (the lecture carried 4 decimals). */
static void test_lecture_numbers_correct(void **state)
{
    fixture *f = *state;
    const trace *tr = f->exact.tr;
    judge_rule rule = {.digits = 4, .hand = f->hand.tr};
    judge_sheet *s = judge_sheet_new(tr);
    assert_non_null(s);
    static const struct { const char *n; double v; } SHEET[] = {
        {"in_3", 0.19}, {"a_3", 0.5474}, {"err_3", 0.4526}, {"g'(in_3)", 0.2478},
        {"w_0,3^(1)", 0.2122}, {"w_1,3^(1)", 0.1449}, {"w_2,3^(1)", 0.1561},
        {"in_3^(1)", 0.34821}, {"a_3^(1)", 0.5862},
    };
    for (size_t k = 0; k < sizeof SHEET / sizeof SHEET[0]; k++) {
        judge_result res;
        assert_int_equal(judge_and_record(tr, s, id_of(f, SHEET[k].n), SHEET[k].v, &rule, &res), 0);
        if (res.verdict != JUDGE_CORRECT)
            fail_msg("%s = %g: %s (truth %.9g)", SHEET[k].n, SHEET[k].v, judge_verdict_name(res.verdict), res.truth);
    }
    /* without the hand trace, the hand-carried 0.2122 is not the exact value */
    judge_rule strict = {.digits = 4};
    judge_sheet *s2 = judge_sheet_new(tr);
    judge_result res;
    assert_non_null(s2);
    assert_int_equal(judge_answer(tr, s2, id_of(f, "w_0,3^(1)"), 0.2122, &strict, &res), 0);
    assert_int_equal(res.verdict, JUDGE_WRONG);
    assert_close(res.truth, 0.21214543447989842, 1e-12, 0);
    judge_sheet_free(s2);
    judge_sheet_free(s);
}

/* a_3 = 0.5574 (a slip), then carried by hand consistently. */
static void test_slip_carried_forward(void **state)
{
    fixture *f = *state;
    const trace *tr = f->hand.tr;        /* the lesson's hand-rounded mode */
    judge_rule rule = {.digits = 4};
    judge_sheet *s = judge_sheet_new(tr);
    assert_non_null(s);
    static const struct { const char *n; double v; judge_verdict want; } SHEET[] = {
        {"in_3", 0.19, JUDGE_CORRECT},
        {"a_3", 0.5574, JUDGE_WRONG},
        {"err_3", 0.4426, JUDGE_CARRIED},
        {"g'(in_3)", 0.2467, JUDGE_CARRIED},
        {"delta_3", -0.2184, JUDGE_CARRIED},
        {"dJ/dw_0,3", -0.2184, JUDGE_CARRIED},
        {"w_0,3^(1)", 0.2092, JUDGE_CARRIED},
        {"w_1,3^(1)", 0.3, JUDGE_WRONG},     /* no dJ/dw_1,3 given: true operands; 0.3 is nothing */
    };
    for (size_t k = 0; k < sizeof SHEET / sizeof SHEET[0]; k++) {
        judge_result res;
        assert_int_equal(judge_and_record(tr, s, id_of(f, SHEET[k].n), SHEET[k].v, &rule, &res), 0);
        if (res.verdict != SHEET[k].want)
            fail_msg("%s = %g: %s, expected %s (truth %.9g, ecf %.9g)", SHEET[k].n, SHEET[k].v,
                     judge_verdict_name(res.verdict), judge_verdict_name(SHEET[k].want), res.truth, res.ecf);
        if (!strcmp(SHEET[k].n, "err_3")) {
            assert_close(res.ecf, 0.4426, 1e-12, 0);
            assert_close(res.truth, 0.4526, 1e-12, 0);
            assert_int_equal(res.ecf_differs, 1);
            assert_int_equal(res.first_bad, id_of(f, "a_3"));
        }
        if (!strcmp(SHEET[k].n, "delta_3")) assert_close(res.ecf, -2 * 0.4426 * 0.2467, 1e-12, 0);
    }
    judge_sheet_free(s);
}

/* A slip and an independent later mistake: the later line is wrong, not
 * carried, and the lines after it carry from it. */
static void test_slip_and_independent_mistake(void **state)
{
    fixture *f = *state;
    const trace *tr = f->hand.tr;
    judge_rule rule = {.digits = 4};
    judge_sheet *s = judge_sheet_new(tr);
    judge_result res;
    assert_non_null(s);
    judge_and_record(tr, s, id_of(f, "a_3"), 0.5574, &rule, &res);
    assert_int_equal(res.verdict, JUDGE_WRONG);
    /* err_3 should be 0.4426 from the slip; 0.4326 is a new arithmetic error */
    judge_and_record(tr, s, id_of(f, "err_3"), 0.4326, &rule, &res);
    assert_int_equal(res.verdict, JUDGE_WRONG);
    assert_close(res.ecf, 0.4426, 1e-12, 0);
    /* delta_3 from the student's own err_3 = 0.4326 and true g' 0.2478:
     * -2 * 0.4326 * 0.2478 = -0.21439656 */
    judge_and_record(tr, s, id_of(f, "delta_3"), -0.2144, &rule, &res);
    assert_int_equal(res.verdict, JUDGE_CARRIED);
    /* the right value after a mistake is still correct */
    judge_and_record(tr, s, id_of(f, "g'(in_3)"), 0.2478, &rule, &res);
    assert_int_equal(res.verdict, JUDGE_CORRECT);
    judge_sheet_free(s);
}

/* A made-up number so large that the given operands are lost to rounding
 * earns no carried credit: w_0,3^(1) = w_0,3 - alpha * 1e20 is -5e19
 * whatever w_0,3 is, so it never used w_0,3 (degenerate, naming it); the
 * gradient 1e20 = delta_3 * a_0 does use its operands and is carried. */
static void test_absorbed_operand_degenerate(void **state)
{
    fixture *f = *state;
    const trace *tr = f->exact.tr;
    judge_rule rule = {.digits = 4, .hand = f->hand.tr};
    judge_sheet *s = judge_sheet_new(tr);
    assert_non_null(s);
    static const struct { const char *n; double v; judge_verdict want; } SHEET[] = {
        {"delta_3", 1e20, JUDGE_WRONG},
        {"dJ/dw_0,3", 1e20, JUDGE_CARRIED},
        {"dJ/dw_1,3", 4e19, JUDGE_CARRIED},
        {"w_0,3^(1)", -5e19, JUDGE_DEGENERATE},
        {"w_1,3^(1)", -2e19, JUDGE_DEGENERATE},
    };
    for (size_t k = 0; k < sizeof SHEET / sizeof SHEET[0]; k++) {
        judge_result res;
        assert_int_equal(judge_and_record(tr, s, id_of(f, SHEET[k].n), SHEET[k].v, &rule, &res), 0);
        if (res.verdict != SHEET[k].want)
            fail_msg("%s = %g: %s, expected %s", SHEET[k].n, SHEET[k].v, judge_verdict_name(res.verdict),
                     judge_verdict_name(SHEET[k].want));
        if (!strcmp(SHEET[k].n, "w_0,3^(1)")) {
            assert_int_equal(res.why, JDEG_IGNORED);
            assert_int_equal(res.why_id, id_of(f, "w_0,3"));
        }
    }
    judge_sheet_free(s);
}

/* Every honest carry on every shipped lesson keeps its credit: one answer
 * slipped (each of the first computed quantities in turn), every later one
 * worked from the student's own answers, and no carried answer may be
 * judged degenerate for an operand that makes no difference to it. */
static void honest_slips(lesson *l, const char *path, void *ctx)
{
    size_t *checked = ctx;
    if (l->steps > 2) l->steps = 2, l->n_expects = 0;
    engine_opts ex = {.round = -1};
    engine_result r;
    char err[512];
    if (engine_run(l, &ex, &r, err, sizeof err)) fail_msg("%s: %s", path, err);
    const trace *tr = r.tr;
    judge_rule rule = {.digits = l->digits};
    size_t n = tr->n < 400 ? tr->n : 400, slips = 0;
    for (size_t slip = 0; slip < n && slips < 40; slip++) {
        if (tr->q[slip].spec.op == OP_CONST) continue;
        slips++;
        judge_sheet *s = judge_sheet_new(tr);
        assert_non_null(s);
        for (size_t id = slip; id < n; id++) {
            const quantity *q = &tr->q[id];
            if (q->spec.op == OP_CONST) continue;
            double v = id == slip ? q->value * 1.1 + 0.05 : judge_ecf_value(tr, s, id, NULL, NULL);
            judge_result res;
            assert_int_equal(judge_and_record(tr, s, id, v, &rule, &res), 0);
            if (res.verdict == JUDGE_CARRIED) (*checked)++;
            if (res.verdict == JUDGE_DEGENERATE && res.why == JDEG_IGNORED)
                fail_msg("%s: slip in quantity %zu: the honest carry %.17g for quantity %zu judged to ignore "
                         "operand %u", path, slip, v, id, res.why_id);
        }
        judge_sheet_free(s);
    }
    engine_result_free(&r);
}

static void test_honest_carries_every_lesson(void **state)
{
    (void)state;
    size_t checked = 0;
    int n = each_lesson(honest_slips, &checked);
    printf("  %d lessons: %zu honest carried answers, none judged to ignore an operand\n", n, checked);
    assert_true(n >= 10);
    assert_true(checked >= 1000);
}

static void test_constants_and_range(void **state)
{
    fixture *f = *state;
    const trace *tr = f->exact.tr;
    judge_rule rule = {.digits = 4};
    judge_sheet *s = judge_sheet_new(tr);
    judge_result res;
    assert_non_null(s);
    assert_int_equal(judge_answer(tr, s, id_of(f, "w_0,3"), 0.1, &rule, &res), 0);
    assert_int_equal(res.verdict, JUDGE_CORRECT);
    assert_true(isnan(res.ecf));
    assert_int_equal(judge_answer(tr, s, id_of(f, "w_0,3"), 0.2, &rule, &res), 0);
    assert_int_equal(res.verdict, JUDGE_WRONG);
    assert_int_equal(judge_answer(tr, s, tr->n + 5, 0.2, &rule, &res), -1);
    assert_int_equal(res.verdict, JUDGE_MISSING);
    assert_string_equal(judge_verdict_name(JUDGE_CARRIED), "carried forward");
    judge_sheet_free(s);
    judge_sheet_free(NULL);
}

/* "Too few decimals" is neither lenient nor an oracle: with 4 decimals
 * asked, a whole number or 1 or 2 decimals is wrong (saying how many are
 * asked), whatever its digits; 3 decimals right to the third is short. */
static void test_short_needs_digits_minus_one(void **state)
{
    fixture *f = *state;
    const trace *tr = f->exact.tr;
    judge_rule rule = {.digits = 4};
    static const struct { const char *n; double v; int dec; judge_verdict want; int few; } CASES[] = {
        {"a_3", 1, 0, JUDGE_WRONG, 1},          /* a whole number, 0.5474 */
        {"err_3", 0, 0, JUDGE_WRONG, 1},        /* 0.4526 */
        {"a_3", 0.5, 1, JUDGE_WRONG, 1},        /* the first digit alone */
        {"a_3", 0.55, 2, JUDGE_WRONG, 1},
        {"a_3", 0.56, 2, JUDGE_WRONG, 1},       /* the same message: no oracle */
        {"a_3", 0.547, 3, JUDGE_SHORT, 0},
        {"a_3", 0.548, 3, JUDGE_WRONG, 1},
        {"a_3", 0.5474, 4, JUDGE_CORRECT, 0},
    };
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        judge_sheet *s = judge_sheet_new(tr);
        judge_result res;
        assert_non_null(s);
        assert_int_equal(judge_answer_d(tr, s, id_of(f, CASES[k].n), CASES[k].v, CASES[k].dec, &rule, &res), 0);
        if (res.verdict != CASES[k].want || res.few_decimals != CASES[k].few)
            fail_msg("%s = %g (%d decimals): %s, few %d", CASES[k].n, CASES[k].v, CASES[k].dec,
                     judge_verdict_name(res.verdict), res.few_decimals);
        judge_sheet_free(s);
    }
    assert_false(judge_short_allowed(&rule, 0));
    assert_false(judge_short_allowed(&rule, 2));
    assert_true(judge_short_allowed(&rule, 3));
    assert_false(judge_short_allowed(&rule, 4));
    judge_rule two = {.digits = 2}, stated = {.digits = 4, .tol = 0.01};
    assert_true(judge_short_allowed(&two, 1));
    assert_false(judge_short_allowed(&stated, 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_tolerance),
        cmocka_unit_test(test_lecture_numbers_correct),
        cmocka_unit_test(test_slip_carried_forward),
        cmocka_unit_test(test_slip_and_independent_mistake),
        cmocka_unit_test(test_absorbed_operand_degenerate),
        cmocka_unit_test(test_constants_and_range),
        cmocka_unit_test(test_short_needs_digits_minus_one),
        cmocka_unit_test(test_honest_carries_every_lesson),
    };
    return cmocka_run_group_tests_name("judge", tests, setup, teardown);
}
