/*
 * test_quiz.c - `nntrace quiz`: judgement of right, hand-rounded,
 * carried-forward and wrong answers, the hint ladder, the score, the
 * transcript, piped and pseudo-terminal sessions.
 *
 * Numbers from lecture 001, 07-2a (one SGD step on a logistic neuron):
 * in_3 = 0.19, g(in_3) ~ 0.5474, y - g(in_3) = 0.4526, and the slide's
 * hand-carried w_0,3^(1) ~ 0.2122 (the exact value is 0.2121454...).
 * For error carried forward: a student's in_3 = 0.2 gives
 * a_3 = 1/(1+e^-0.2) = 0.549834 and then err_3 = 1 - 0.5498 = 0.4502.
 */
#define _XOPEN_SOURCE 700
#include "testutil.h"
#include "step_pty.h"

#include "engine.h"
#include "grade.h"
#include "lesson.h"
#include "quiz.h"

typedef struct {
    lesson *l;
    engine_result r, hand;
    int has_hand;
    size_t *ids, n;
    quiz_session *q;
    strbuf out;
} fx;

/* A quiz on path over patterns; round: ENGINE_ROUND_LESSON or -1 (exact,
 * with the grader's hand-rounded reference). */
static fx *fx_open(const char *path, const char *patterns, int round)
{
    char err[512];
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->l = lesson_load(path, err, sizeof err);
    if (!f->l) fail_msg("%s", err);
    engine_opts eo = {.round = round};
    assert_int_equal(engine_run(f->l, &eo, &f->r, err, sizeof err), 0);
    if (f->r.tr->round < 0) {
        engine_opts ho = {.round = lesson_answer_digits(f->l)};
        assert_int_equal(engine_run(f->l, &ho, &f->hand, err, sizeof err), 0);
        f->has_hand = 1;
    }
    if (quiz_select(f->l, f->r.tr, f->l->notation, patterns, &f->ids, &f->n, err, sizeof err)) fail_msg("%s", err);
    step_style st = {.digits = f->l->digits, .l = f->l, .notation = f->l->notation};
    grade_opts go;
    grade_opts_lesson(&go, f->l, f->has_hand ? f->hand.tr : NULL);
    f->q = quiz_new(f->l, f->r.tr, &go.rule, f->ids, f->n, &st);
    assert_non_null(f->q);
    return f;
}

static void fx_close(fx *f)
{
    quiz_free(f->q);
    free(f->ids);
    if (f->has_hand) engine_result_free(&f->hand);
    engine_result_free(&f->r);
    lesson_free(f->l);
    sb_free(&f->out);
    free(f);
}

static const char *answer(fx *f, const char *text)
{
    f->out.len = 0;
    if (f->out.s) f->out.s[0] = '\0';
    assert_int_equal(quiz_answer(f->q, text, &f->out), 0);
    return f->out.s ? f->out.s : "";
}

static const char *question(fx *f)
{
    f->out.len = 0;
    if (f->out.s) f->out.s[0] = '\0';
    quiz_question(f->q, &f->out);
    return f->out.s ? f->out.s : "";
}

#define assert_has(hay, needle) do { \
        if (!strstr((hay), (needle))) fail_msg("expected \"%s\" in:\n%s", (needle), (hay)); \
    } while (0)

static void test_select_like_the_grader(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/sauppe-sgd-step.lesson", "in_* a_*", ENGINE_ROUND_LESSON);
    /* in_3, a_3, then after the update in_3^(1), a_3^(1): trace order */
    assert_int_equal(f->n, 4);
    char name[96];
    const char *want[] = {"in_3", "a_3", "in_3^(1)", "a_3^(1)"};
    for (size_t k = 0; k < 4; k++) {
        trace_name(&f->r.tr->q[f->ids[k]], name, sizeof name);
        assert_string_equal(name, want[k]);
    }
    fx_close(f);
    size_t *ids = NULL, n = 0;
    char err[512];
    lesson *l = lesson_load("lessons/sauppe-sgd-step.lesson", err, sizeof err);
    engine_result r;
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    assert_int_equal(engine_run(l, &eo, &r, err, sizeof err), 0);
    assert_int_equal(quiz_select(l, r.tr, l->notation, "nosuch_*", &ids, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "nosuch_*"));
    assert_int_equal(quiz_select(l, r.tr, l->notation, NULL, &ids, &n, err, sizeof err), 0);
    assert_int_equal(n, 16);          /* every quantity with a formula (nntrace run) */
    free(ids);
    engine_result_free(&r);
    lesson_free(l);
    /* a lesson with `ask`: the quiz asks what template and check ask */
    l = lesson_load("tests/grade/sgd-asked/lesson.lesson", err, sizeof err);
    assert_non_null(l);
    assert_int_equal(engine_run(l, &eo, &r, err, sizeof err), 0);
    assert_int_equal(quiz_select(l, r.tr, l->notation, NULL, &ids, &n, err, sizeof err), 0);
    const char *asked[] = {"a_3", "err_3", "g'(in_3)", "delta_3", "dJ/dw_0,3", "dJ/dw_1,3", "dJ/dw_2,3",
                           "w_0,3^(1)", "w_1,3^(1)", "w_2,3^(1)"};
    assert_int_equal(n, sizeof asked / sizeof asked[0]);
    for (size_t k = 0; k < n; k++) {
        trace_name(&r.tr->q[ids[k]], name, sizeof name);
        assert_string_equal(name, asked[k]);
    }
    free(ids);
    engine_result_free(&r);
    lesson_free(l);
}

static void test_right_answers_move_on(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/sauppe-sgd-step.lesson", "in_3 a_3 err_3", ENGINE_ROUND_LESSON);
    assert_has(question(f), "step 1 (t = 0)\n forward\n  in_3 = ? ");
    assert_has(answer(f, "0.19"), "    right\n");
    assert_string_equal(question(f), "  a_3 = ? ");
    assert_has(answer(f, " .5474 "), "    right\n");           /* 07-2a: ~ 0.5474 */
    assert_has(question(f), " loss\n  err_3 = ? ");
    assert_has(answer(f, "4.526e-1"), "    right\n");           /* 0.4526 */
    assert_true(quiz_over(f->q));
    f->out.len = 0;
    quiz_score(f->q, &f->out);
    assert_has(f->out.s, "score: 3 of 3 right (3 at the first try, 0 after a hint, 0 by error carried forward; 0 given");
    fx_close(f);
}

static void test_hand_rounded_answer_is_right(void **state)
{
    (void)state;
    /* exact arithmetic: w_0,3^(1) = 0.2121454...; the slide carried its
     * 4-decimal numbers and printed 0.2122, which the grader accepts */
    fx *f = fx_open("lessons/sauppe-sgd-step.lesson", "w_0,3^(1)", -1);
    assert_close(f->r.tr->q[f->ids[0]].value, 0.2121454, 5e-7, 0);
    question(f);
    assert_has(answer(f, "0.2122"), "    right\n");
    fx_close(f);
    f = fx_open("lessons/sauppe-sgd-step.lesson", "w_0,3^(1)", -1);
    question(f);
    assert_has(answer(f, "0.2121"), "    right\n");               /* the exact value, to 4 */
    fx_close(f);
    f = fx_open("lessons/sauppe-sgd-step.lesson", "w_0,3^(1)", -1);
    question(f);
    assert_has(answer(f, "0.212"), "not 0.212");                  /* fewer digits than printed */
    fx_close(f);
}

static void test_wrong_answers_climb_the_hint_ladder(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/sauppe-sgd-step.lesson", "in_3 a_3", ENGINE_ROUND_LESSON);
    question(f);
    answer(f, "0.19");
    question(f);
    /* not a number: no miss */
    assert_has(answer(f, "abc"), "try again");
    assert_int_equal(f->q->misses, 0);
    /* 1st miss: the formula */
    const char *o = answer(f, "0.5");
    assert_has(o, "not 0.5. hint, the formula:\n  a_3 = g(in_3) = 1/(1+exp(-in_3))\n");
    assert_string_equal(question(f), "  a_3 = ? ");
    /* 2nd miss: with the student's own numbers (their in_3 = 0.19) */
    o = answer(f, "0.6");
    assert_has(o, "not 0.6. hint, with your numbers:\n  a_3 = 1/(1+exp(-0.19))\n");
    /* 3rd miss: the value, and the quiz moves on */
    o = answer(f, "");
    assert_has(o, "the answer:\n  a_3 = g(in_3) = 1/(1+exp(-0.19)) ~ 0.5474\n");
    assert_true(quiz_over(f->q));
    f->out.len = 0;
    quiz_score(f->q, &f->out);
    assert_has(f->out.s, "score: 1 of 2 right (1 at the first try, 0 after a hint, 0 by error carried forward; 1 given");
    fx_close(f);
}

static void test_error_carried_forward(void **state)
{
    (void)state;
    /* after a given-away in_3 = 0.19, everything continues from 0.19: an
     * a_3 that follows from the discarded 0.2 (1/(1+e^-0.2) = 0.5498) is
     * not accepted, and the next hint substitutes 0.19 */
    fx *f = fx_open("lessons/sauppe-sgd-step.lesson", "in_3 a_3 err_3", ENGINE_ROUND_LESSON);
    question(f);
    answer(f, "0.2");                       /* wrong: 0.19 */
    /* the second hint substitutes the student's numbers: the weights and
     * inputs are the lesson's (they gave none) */
    assert_has(answer(f, "0.2"), "  in_3 = 0.1*1 + 0.1*0.4 + 0.1*0.5\n");
    const char *o = answer(f, "0.2");
    assert_has(o, "not 0.2. the answer:\n  in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2 = 0.1*1 + 0.1*0.4 + 0.1*0.5 = 0.19\n");
    assert_has(o, "    continuing from in_3 = 0.19\n");
    question(f);
    o = answer(f, "0.5498");
    assert_has(o, "not 0.5498. hint, the formula:");
    assert_null(strstr(o, "carried"));
    assert_null(strstr(o, "continuing"));              /* said once */
    o = answer(f, "0.5498");
    assert_has(o, "  a_3 = 1/(1+exp(-0.19))\n");
    assert_null(strstr(o, "0.2"));
    assert_has(answer(f, "0.5474"), "    right\n");    /* the right value is right */
    question(f);
    assert_has(answer(f, "0.4526"), "    right\n");
    f->out.len = 0;
    quiz_score(f->q, &f->out);
    assert_has(f->out.s, "score: 2 of 3 right (1 at the first try, 1 after a hint, 0 by error carried forward; 1 given");
    fx_close(f);

    /* the next given answer uses the given value too */
    f = fx_open("lessons/sauppe-sgd-step.lesson", "in_3 a_3", ENGINE_ROUND_LESSON);
    question(f);
    answer(f, "0.2"); answer(f, "0.2"); answer(f, "0.2");
    question(f);
    answer(f, "0.6"); answer(f, "0.6");
    assert_has(answer(f, "0.6"), "the answer:\n  a_3 = g(in_3) = 1/(1+exp(-0.19)) ~ 0.5474\n");
    fx_close(f);

    /* a student's own number still in the sheet (never one the quiz gave
     * away): what follows from it is accepted as carried forward, naming
     * that number, and never announced as right */
    f = fx_open("lessons/sauppe-sgd-step.lesson", "a_3 err_3", ENGINE_ROUND_LESSON);
    size_t in3 = f->ids[0] - 1;
    char nm[96];
    trace_name(&f->r.tr->q[in3], nm, sizeof nm);
    assert_string_equal(nm, "in_3");
    judge_record(f->q->sheet, in3, 0.2, JUDGE_WRONG);
    question(f);
    o = answer(f, "0.5498");
    assert_has(o, "    accepted: follows from your in_3 = 0.2 (the trace has a_3 = 0.5474)\n");
    assert_null(strstr(o, "right"));
    question(f);
    o = answer(f, "0.4502");                 /* 1 - 0.5498, from their a_3 */
    assert_has(o, "    accepted: follows from your a_3 = 0.5498 (the trace has err_3 = 0.4526)\n");
    f->out.len = 0;
    quiz_score(f->q, &f->out);
    assert_has(f->out.s, "score: 2 of 2 right (0 at the first try, 0 after a hint, 2 by error carried forward");
    fx_close(f);
}

static void test_tolerance_and_decimals(void **state)
{
    (void)state;
    /* fewer decimals than asked: told so, with the tolerance */
    fx *f = fx_open("lessons/sauppe-sgd-step.lesson", "in_3 a_3", ENGINE_ROUND_LESSON);
    question(f);
    answer(f, "0.19");
    question(f);
    assert_has(answer(f, "0.55"), "not 0.55: right to the 2 decimals written, but answers are judged to 4 (within 0.00005)");
    /* close but outside: named */
    assert_has(answer(f, "0.5476"), "not 0.5476: close, but outside the tolerance of 0.00005 (4 decimals)");
    fx_close(f);
    /* far off: no such remark */
    f = fx_open("lessons/sauppe-sgd-step.lesson", "in_3", ENGINE_ROUND_LESSON);
    question(f);
    assert_has(answer(f, "0.5"), "not 0.5. hint");
    fx_close(f);

    /* Mazur's lesson prints 9 decimals and asks for 4 (answer-decimals):
     * 0.5933 for out_h1 = 0.593269992 is right, and so is what a student
     * carrying 4 decimals gets for out_o1 (0.75136507) */
    f = fx_open("lessons/mazur-2-2-2.lesson", "in_3 a_3 a_5", ENGINE_ROUND_LESSON);
    assert_int_equal(f->l->digits, 9);
    assert_int_equal(lesson_answer_digits(f->l), 4);
    question(f);
    assert_has(answer(f, "0.3775"), "    right\n");
    question(f);
    assert_has(answer(f, "0.5933"), "    right\n");
    question(f);
    assert_has(answer(f, "0.7514"), "    right\n");
    fx_close(f);

    /* through the binary: --tolerance and --decimals */
    int st;
    char *o = run_piped("0.19\n0.55\n", "quiz lessons/sauppe-sgd-step.lesson --ask 'in_3 a_3' --tolerance 0.01", &st);
    assert_int_equal(st, 0);
    assert_has(o, "2 questions; answers within 0.01 are right.");
    assert_has(o, "  a_3 = ? 0.55\n    right\n");
    free(o);
    o = run_piped("0.19\n0.56\n", "quiz lessons/sauppe-sgd-step.lesson --ask 'in_3 a_3' --tolerance 0.01", &st);
    assert_has(o, "not 0.56: close, but outside the tolerance of 0.01.");
    free(o);
    o = run_piped("0.19\n0.55\n", "quiz lessons/sauppe-sgd-step.lesson --ask 'in_3 a_3' --decimals 2", &st);
    assert_int_equal(st, 0);
    assert_has(o, "answer to 2 decimals or more.");
    assert_has(o, "  a_3 = ? 0.55\n    right\n");
    free(o);
    o = run_piped("0.3775\n0.593269992\n", "quiz lessons/mazur-2-2-2.lesson --ask 'in_3 a_3' --decimals 9", &st);
    assert_int_equal(st, 0);
    free(o);
    o = run_piped("0.3775\n0.5933\n", "quiz lessons/mazur-2-2-2.lesson --ask 'in_3 a_3' --decimals 9", &st);
    assert_has(o, "not 0.5933: right to the 4 decimals written, but answers are judged to 9 (within 0.0000000005)");
    free(o);
    o = run_piped("", "quiz lessons/sauppe-sgd-step.lesson --tolerance -1", &st);
    assert_int_equal(st, 2);
    free(o);
    o = run_piped("", "quiz lessons/sauppe-sgd-step.lesson --decimals x", &st);
    assert_int_equal(st, 2);
    free(o);
}

/* The student's session of the report, exactly: in_3 given away, then a_3
 * hinted and given away from 0.19, never from the discarded 0.2. */
static void test_piped_session_continues_from_given_value(void **state)
{
    (void)state;
    int st;
    char *o = run_piped("0.2\n\n\n0.1\n\n\nq\n", "quiz lessons/sauppe-sgd-step.lesson --ask 'in_3 a_3'", &st);
    assert_int_equal(st, 1);
    assert_has(o,
        "  in_3 = ? \n"
        "    the answer:\n"
        "  in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2 = 0.1*1 + 0.1*0.4 + 0.1*0.5 = 0.19\n"
        "    continuing from in_3 = 0.19\n"
        "  a_3 = ? 0.1\n"
        "    not 0.1. hint, the formula:\n"
        "  a_3 = g(in_3) = 1/(1+exp(-in_3))\n"
        "  a_3 = ? \n"
        "    hint, with your numbers:\n"
        "  a_3 = 1/(1+exp(-0.19))\n"
        "  a_3 = ? \n"
        "    the answer:\n"
        "  a_3 = g(in_3) = 1/(1+exp(-0.19)) ~ 0.5474\n\n"
        "score: 0 of 2 right");
    assert_null(strstr(o, "exp(-0.2)"));
    assert_null(strstr(o, "carried forward:"));
    /* said once per given value: not after the last question */
    const char *c = strstr(o, "continuing from");
    assert_non_null(c);
    assert_null(strstr(c + 1, "continuing from"));
    free(o);
}

static void test_quit_stops_with_the_score_so_far(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/sauppe-sgd-step.lesson", NULL, ENGINE_ROUND_LESSON);
    question(f);
    answer(f, "0.19");
    question(f);
    answer(f, "q");
    assert_true(quiz_over(f->q));
    f->out.len = 0;
    quiz_score(f->q, &f->out);
    assert_has(f->out.s, "score: 1 of 1 right");
    assert_has(f->out.s, "stopped after 1 of 16 questions");
    fx_close(f);
}

/* ------------------------------------------------------------------------
 * The binary
 * ---------------------------------------------------------------------- */



/* Answers that are not numbers (and ?) at the first question of a pass do
 * not bring the headings back: they are shown once per question. */
static void test_headings_once_per_question(void **state)
{
    (void)state;
    int st;
    char *o = run_piped("abc\nxyz\n?\n0.19\nq\n", "quiz lessons/sauppe-sgd-step.lesson --ask 'in_3 a_3'", &st);
    const char *first = strstr(o, "step 1 (t = 0)\n forward\n");
    const char *after = first ? first + strlen("step 1 (t = 0)\n forward\n") : NULL;
    if (!first || strstr(after, "step 1 (t = 0)") || strstr(after, " forward\n"))
        fail_msg("the headings once, not after each retry:\n%s", o);
    assert_has(o, "  in_3 = ? xyz\n");
    assert_has(o, "  a_3 = ? q\n");
    free(o);
}

/* A piped answer with an ESC in it (a lone one, or before other keys)
 * is read, echoed and judged like any other; the echo once spun forever
 * stripping an escape it could not step over. */
static void test_piped_escape_in_answer(void **state)
{
    (void)state;
    static const char *const inputs[] = {"\033\n", "a\033\nq\n", "\033x\nq\n", "\033\033\nq\n", "0.19\033[\n"};
    for (size_t k = 0; k < sizeof inputs / sizeof *inputs; k++) {
        int st;
        char *o = run_piped(inputs[k], "quiz lessons/sauppe-sgd-step.lesson --ask 'in_3 a_3'", &st);
        if (st != 1 || !strstr(o, "score:")) fail_msg("input %zu: exit %d (124: it hung)\n%s", k, st, o);
        if (strchr(o, '\033')) fail_msg("input %zu: an escape in the piped output\n%s", k, o);
        free(o);
    }
}

static void test_piped_quiz_and_transcript(void **state)
{
    (void)state;
    int st;
    char tpath[] = "/tmp/nntrace-quiz-tr-XXXXXX";
    int fd = mkstemp(tpath);
    assert_true(fd >= 0);
    close(fd);
    char args[256];
    snprintf(args, sizeof args, "quiz lessons/sauppe-sgd-step.lesson --ask 'in_3 a_3' --transcript %s", tpath);
    char *o = run_piped("0.19\n0.5\n0.5474\n", args, &st);
    assert_int_equal(st, 0);                 /* every answer right in the end */
    /* the answers appear after their questions, as on a terminal */
    assert_has(o, "step 1 (t = 0)\n forward\n  in_3 = ? 0.19\n    right\n  a_3 = ? 0.5\n");
    assert_has(o, "  a_3 = ? 0.5474\n    right\n");
    assert_has(o, "score: 2 of 2 right (1 at the first try, 1 after a hint");
    assert_null(strstr(o, "\033"));
    char *t = slurp(tpath, NULL);
    assert_non_null(t);
    assert_string_equal(t, o);               /* the transcript is the session */
    free(t);
    free(o);
    unlink(tpath);

    /* given away or stopped: exit 1; bad pattern, bad transcript path: 2 */
    o = run_piped("\n\n\n", "quiz lessons/sauppe-sgd-step.lesson --ask in_3", &st);
    assert_int_equal(st, 1);
    assert_has(o, "the answer:\n  in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2 = 0.1*1 + 0.1*0.4 + 0.1*0.5 = 0.19\n");
    free(o);
    o = run_piped("", "quiz lessons/sauppe-sgd-step.lesson", &st);
    assert_int_equal(st, 1);
    assert_has(o, "stopped after 0 of 16 questions");
    free(o);
    o = run_piped("", "quiz lessons/sauppe-sgd-step.lesson --ask 'zz*'", &st);
    assert_int_equal(st, 2);
    free(o);
    o = run_piped("0.19\n", "quiz lessons/sauppe-sgd-step.lesson --ask in_3 --transcript /nonexistent/dir/t.txt", &st);
    assert_int_equal(st, 2);
    assert_null(strstr(o, "in_3 = ?"));    /* refused before the first question */
    free(o);
}

static void test_pty_quiz(void **state)
{
    (void)state;
    pty_session *p = malloc(sizeof *p);
    assert_non_null(p);
    char *argv[] = {"nntrace", "quiz", "lessons/sauppe-forward.lesson", "--ask", "in_5 a_5", NULL};
    assert_int_equal(pty_start(p, bin(), argv, NULL), 0);
    assert_true(pty_expect(p, "in_5 = ? ", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "1.5\n");                                      /* 07-2c: 1.54 */
    assert_true(pty_expect(p, "hint, the formula:", PTY_WAIT_MS));
    assert_true(pty_expect(p, "in_5 = w_0,5*a_0 + w_3,5*a_3 + w_4,5*a_4", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "1.54\n");
    assert_true(pty_expect(p, "right", PTY_WAIT_MS));
    assert_true(pty_expect(p, "a_5 = ? ", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "0.82\n");                                     /* 07-2c: ~ 0.82 */
    assert_true(pty_expect(p, "score: 2 of 2 right", PTY_WAIT_MS));
    assert_non_null(strstr(p->raw, "\033[32m"));               /* "right" in green */
    assert_int_equal(pty_finish(p, PTY_WAIT_MS), 0);
    free(p);
}

/* On a 60-column terminal the quiz's prose is broken at its spaces, each
 * line's rest under its text, never inside a word. */
static void test_pty_quiz_narrow(void **state)
{
    (void)state;
    pty_session *p = malloc(sizeof *p);
    assert_non_null(p);
    char *argv[] = {"nntrace", "quiz", "lessons/sauppe-sgd-step.lesson", "--ask", "a_3", NULL};
    assert_int_equal(pty_start_size(p, bin(), argv, NULL, 20, 60), 0);
    assert_true(pty_expect(p, "a_3 = ? ", PTY_WAIT_MS));
    assert_non_null(strstr(p->screen, "source: CS 457/557 Lecture 07-2a, \"Training a Simple Neural\n"
                                      "        Network: Example SGD Iteration\"\n"));
    assert_non_null(strstr(p->screen, "hand-rounded: every operand is rounded to 4 decimals before\n"
                                      "              use, as on a calculator\n"));
    pty_mark(p);
    pty_send(p, "0.55\n");
    assert_true(pty_expect(p, "    not 0.55: right to the 2 decimals written, but answers\n"
                              "    are judged to 4 (within 0.00005). hint, the formula:\n", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "0.5474\n");
    assert_true(pty_expect(p, "score: 1 of 1 right (0 at the first try, 1 after a hint, 0\n"
                              "       by error carried forward; 0 given after three misses)\n", PTY_WAIT_MS));
    assert_int_equal(pty_finish(p, PTY_WAIT_MS), 0);
    free(p);
}

/* The quiz of sauppe-sgd-step on in_3 and a_3 on a terminal, at its first
 * question (caller frees). */
static pty_session *start_in3_a3(void)
{
    pty_session *p = malloc(sizeof *p);
    assert_non_null(p);
    char *argv[] = {"nntrace", "quiz", "lessons/sauppe-sgd-step.lesson", "--ask", "in_3 a_3", NULL};
    assert_int_equal(pty_start(p, bin(), argv, NULL), 0);
    assert_true(pty_expect(p, "in_3 = ? ", PTY_WAIT_MS));
    return p;
}

/* A stop and a resume in the middle of an answer: after fg (SIGCONT) and
 * after Ctrl-Z the question is written again with what was typed, and the
 * answer goes on from there. (Started by setsid, the session has no job
 * control, so the Ctrl-Z's stop is discarded by the kernel and the redraw
 * comes at once; SIGSTOP stops it for real.) */
static void test_pty_resume_reprints_the_question(void **state)
{
    (void)state;
    pty_session *p = start_in3_a3();
    pty_send(p, "0.1");
    assert_true(pty_expect(p, "in_3 = ? 0.1", PTY_WAIT_MS));
    pty_mark(p);
    assert_int_equal(kill(p->pid, SIGSTOP), 0);
    struct timespec nap = {0, 200 * 1000000L};
    nanosleep(&nap, NULL);
    assert_int_equal(kill(p->pid, SIGCONT), 0);                /* what fg sends */
    assert_true(pty_expect(p, "  in_3 = ? 0.1", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "\032");                                        /* Ctrl-Z */
    assert_true(pty_expect(p, "  in_3 = ? 0.1", PTY_WAIT_MS));
    pty_send(p, "9\r");
    assert_true(pty_expect(p, "right", PTY_WAIT_MS));
    assert_true(pty_expect(p, "a_3 = ? ", PTY_WAIT_MS));
    pty_send(p, "\003");                                        /* Ctrl-C: the score so far */
    assert_true(pty_expect(p, "score: 1 of 1 right", PTY_WAIT_MS));
    assert_int_equal(pty_finish(p, PTY_WAIT_MS), 1);
    free(p);
}

/* The report's session on a terminal: in_3 given away, then a_3 hinted and
 * given away from 0.19, never from the discarded 0.2. */
static void test_pty_continues_from_given_value(void **state)
{
    (void)state;
    pty_session *p = start_in3_a3();
    pty_send(p, "0.2\n");
    assert_true(pty_expect(p, "hint, the formula:", PTY_WAIT_MS));
    pty_send(p, "\n");
    assert_true(pty_expect(p, "hint, with your numbers:", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "\n");
    assert_true(pty_expect(p, "= 0.1*1 + 0.1*0.4 + 0.1*0.5 = 0.19", PTY_WAIT_MS));
    assert_true(pty_expect(p, "continuing from in_3 = 0.19", PTY_WAIT_MS));
    assert_true(pty_expect(p, "a_3 = ? ", PTY_WAIT_MS));
    pty_send(p, "0.1\n");
    assert_true(pty_expect(p, "hint, the formula:", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "\n");
    assert_true(pty_expect(p, "a_3 = 1/(1+exp(-0.19))", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "\n");
    assert_true(pty_expect(p, "a_3 = g(in_3) = 1/(1+exp(-0.19)) ~ 0.5474", PTY_WAIT_MS));
    assert_true(pty_expect(p, "score: 0 of 2 right", PTY_WAIT_MS));
    assert_null(strstr(p->screen, "exp(-0.2)"));
    assert_null(strstr(p->screen, "carried forward:"));
    assert_int_equal(pty_finish(p, PTY_WAIT_MS), 1);        /* values were given away */
    free(p);
}

/* The ? help: from a pipe the lines an 80-column terminal shows, and on a
 * narrow terminal broken at its spaces to its width. */
static void test_help_fits(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/sauppe-forward.lesson", "in_3", ENGINE_ROUND_LESSON);
    const char *out = answer(f, "?");
    assert_non_null(strstr(out, "q quits (the score so far);\n? this help.\n"));
    quiz_free(f->q);
    step_style st = {.digits = f->l->digits, .l = f->l, .notation = f->l->notation, .width = 40};
    grade_opts go;
    grade_opts_lesson(&go, f->l, NULL);
    f->q = quiz_new(f->l, f->r.tr, &go.rule, f->ids, f->n, &st);
    assert_non_null(f->q);
    out = answer(f, "?");
    for (const char *p = out; *p;) {
        size_t n = strcspn(p, "\n");
        if (n > 40) fail_msg("a line of %zu columns at 40:\n%s", n, out);
        p += n + (p[n] == '\n');
    }
    assert_non_null(strstr(out, "hints: 1st miss the formula, 2nd the\nformula"));
    fx_close(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_like_the_grader),
        cmocka_unit_test(test_help_fits),
        cmocka_unit_test(test_right_answers_move_on),
        cmocka_unit_test(test_hand_rounded_answer_is_right),
        cmocka_unit_test(test_wrong_answers_climb_the_hint_ladder),
        cmocka_unit_test(test_error_carried_forward),
        cmocka_unit_test(test_tolerance_and_decimals),
        cmocka_unit_test(test_piped_session_continues_from_given_value),
        cmocka_unit_test(test_quit_stops_with_the_score_so_far),
        cmocka_unit_test(test_piped_escape_in_answer),
        cmocka_unit_test(test_piped_quiz_and_transcript),
        cmocka_unit_test(test_headings_once_per_question),
        cmocka_unit_test(test_pty_quiz),
        cmocka_unit_test(test_pty_quiz_narrow),
        cmocka_unit_test(test_pty_resume_reprints_the_question),
        cmocka_unit_test(test_pty_continues_from_given_value),
    };
    return cmocka_run_group_tests_name("quiz", tests, NULL, NULL);
}
