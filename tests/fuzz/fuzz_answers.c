/*
 * fuzz_answers.c - libFuzzer harness: the answers parser plus the grader.
 *
 * Each input is a student's answer sheet for lecture 07-2a's lesson
 * (lessons/sauppe-sgd-step.lesson, read once from the working directory, so
 * run the fuzzer from the repository root). It is parsed, graded and
 * rendered as the text report, Gradescope JSON, JSON and CSV.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine.h"
#include "grade.h"
#include "lesson.h"
#include "names.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The lesson, its trace and plan: built once and kept for the process
 * (a fuzzing harness's only state). */
static struct {
    int ready;
    lesson *l;
    engine_result r;
    names_index *ix;
    grade_plan plan;
    grade_opts opts;
} fx;

static int setup(void)
{
    char err[1024];
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    fx.l = lesson_load("lessons/sauppe-sgd-step.lesson", err, sizeof err);
    if (!fx.l || engine_run(fx.l, &eo, &fx.r, err, sizeof err) || !(fx.ix = names_index_new(fx.l, fx.r.tr, fx.l->notation)) ||
        grade_plan_lesson(&fx.plan, fx.l, fx.r.tr, fx.ix, NULL, 0, err, sizeof err)) {
        fprintf(stderr, "fuzz_answers: set-up failed (run from the repository root): %s\n", err);
        abort();
    }
    grade_opts_lesson(&fx.opts, fx.l, fx.r.tr);
    fx.ready = 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fx.ready) setup();
    grade_answers ans;
    grade_report rep;
    if (grade_parse_answers(&ans, (const char *)data, size, fx.l, fx.ix, &fx.plan)) return 0;
    if (grade_sheet(&rep, fx.r.tr, &fx.plan, &ans, &fx.opts) == 0) {
        strbuf b = {0};
        grade_text(&b, fx.l, "sheet", fx.r.tr, &fx.plan, &ans, &rep, &fx.opts, 1);
        grade_gs_opts gso = {.reveal = "after_due_date"};
        grade_gradescope(&b, fx.l, "sheet", fx.r.tr, &fx.plan, &ans, &rep, &fx.opts, &gso);
        grade_json(&b, "sheet", &fx.plan, &ans, &rep, &fx.opts);
        grade_csv_header(&b, &fx.plan);
        grade_who who = {0};
        grade_sheet_who((const char *)data, size, &who);
        grade_csv_row(&b, "sheet", &who, &fx.plan, &ans, &rep);
        sb_free(&b);
        grade_report_free(&rep);
    }
    grade_answers_free(&ans);
    return 0;
}
