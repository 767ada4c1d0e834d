/*
 * test_oom.c - allocation-failure injection.
 *
 * This binary is linked with -Wl,--wrap=malloc,calloc,realloc (see the
 * Makefile), so every allocation made by nntrace's own code goes through
 * the wrappers below. For every n, the n-th allocation fails; each pipeline
 * must then return a clean error (never crash), and under `make test-asan`
 * LeakSanitizer proves nothing leaked on any of those paths.
 *
 * The countdown is the one piece of global mutable state in the project,
 * and it lives only in this test binary.
 */
#include "testutil.h"

#include <dirent.h>
#include <unistd.h>

#include "engine.h"
#include "grade.h"
#include "lesson.h"
#include "names.h"
#include "text.h"
#include "xlsx.h"
#include "xlsx_exercise.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static long countdown;   /* fail the allocation when it reaches 0; <0 never */
static long count;       /* allocations seen */

/* The test's own bookkeeping (slurp, opendir) is not nntrace's: pause. */
static long paused_countdown, paused_count;
static void countdown_pause(void) { paused_countdown = countdown; paused_count = count; countdown = -1; }
static void countdown_resume(void) { countdown = paused_countdown; count = paused_count; }


static int should_fail(void)
{
    count++;
    return countdown >= 0 && countdown-- == 0;
}
void *__wrap_malloc(size_t n) { return should_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return should_fail() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return should_fail() ? NULL : __real_realloc(p, n); }

/* Load, run and print a lesson into *out (caller frees). 0 when all of it
 * worked, 1 when it failed with an out-of-memory message. Anything else
 * fails the test. open_memstream's own buffer is libc's, not wrapped. */
static int lesson_pipeline(const char *path, char **out)
{
    char err[1024];
    size_t len;
    *out = NULL;
    lesson *l = lesson_load(path, err, sizeof err);
    if (!l) {
        if (!strstr(err, "out of memory")) fail_msg("load failed without saying why: %s", err);
        return 1;
    }
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    engine_result r;
    int rc = 0;
    if (engine_run(l, &o, &r, err, sizeof err)) {
        if (!strstr(err, "out of memory")) fail_msg("run failed without saying why: %s", err);
        lesson_free(l);
        return 1;
    }
    FILE *mem = open_memstream(out, &len);
    assert_non_null(mem);
    text_opts to = {.digits = l->digits, .unicode = 1, .passes = ~0u};
    if (text_print_trace(mem, l, &r, &to) || text_print_json(mem, l, &r, l->digits, l->notation) ||
        text_print_csv(mem, l, &r, l->digits, l->notation))
        rc = 1;
    if (text_check_expectations(mem, l, &r, 0) < 0) rc = 1;
    assert_int_equal(fclose(mem), 0);
    engine_result_free(&r);
    lesson_free(l);
    return rc;
}

/* Fail each allocation in turn: every run either reports the failure or,
 * where the code has a fallback (the name index falls back to a linear
 * search), prints exactly what the run without failures printed. */
static void every_failure_point(const char *what, int (*pipeline)(const char *, char **), const char *arg)
{
    char *want, *got;
    countdown = -1;
    count = 0;
    assert_int_equal(pipeline(arg, &want), 0);
    long total = count;
    assert_true(total > 5);
    long reported = 0;
    for (long n = 0; n < total; n++) {
        countdown = n;
        int rc = pipeline(arg, &got);
        countdown = -1;
        if (rc == 1) reported++;
        else if (!got || strcmp(got, want) != 0)
            fail_msg("%s: allocation %ld of %ld failed, no error was reported, and the output changed",
                     what, n + 1, total);
        free(got);
    }
    free(want);
    assert_true(reported > total / 2);
    print_message("%s: %ld allocation failure points, %ld reported as errors, the rest without effect\n",
                  what, total, reported);
}

/* Write lecture 002's workbook (the arg is the lesson; exercise: as an
 * exercise workbook, xlsx_exercise.h) to a scratch directory; *out gets the file's bytes as hex-free text: its length and a
 * checksum, enough to tell "the same file" apart. On failure the directory
 * must hold no file at all (atomic output). */
static int xlsx_book(const char *path, int exercise, char **out)
{
    char err[1024], dir[] = "/tmp/nntrace-oom-XXXXXX", file[64];
    *out = NULL;
    countdown_pause();
    assert_non_null(mkdtemp(dir));
    countdown_resume();
    snprintf(file, sizeof file, "%s/w.xlsx", dir);
    lesson *l = lesson_load(path, err, sizeof err);
    int rc = 1;
    if (l) {
        engine_opts o = {.round = ENGINE_ROUND_LESSON};
        engine_result r;
        if (engine_run(l, &o, &r, err, sizeof err) == 0) {
            xlsx_opts xo = {.digits = -1, .created = 1700000000, .notation = -1};
            xlsx_ex *ex = exercise ? xlsx_ex_new(l, r.tr, l->notation, NULL, err, sizeof err) : NULL;
            if (exercise && !ex && !err[0]) fail_msg("xlsx_ex_new failed without a message");
            if (!exercise || (xo.exercise = ex)) {
                xlsx_status st = xlsx_write(file, l, &r, &xo, NULL, err, sizeof err);
                if (st == XLSX_OK) rc = 0;
                else if (!err[0]) fail_msg("xlsx_write failed (%s) without a message", xlsx_strerror(st));
            }
            xlsx_ex_free(ex);
            engine_result_free(&r);
        }
        lesson_free(l);
    }
    countdown_pause();
    size_t len = 0;
    char *bytes = slurp(file, &len);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d));) entries += e->d_name[0] != '.' || strlen(e->d_name) > 2;
    closedir(d);
    if (rc && entries) fail_msg("a failed xlsx write left %d file(s) in %s", entries, dir);
    if (rc == 0) {
        unsigned long h = 5381;
        for (size_t k = 0; k < len; k++) h = h * 33 + (unsigned char)bytes[k];
        *out = malloc(64);
        snprintf(*out, 64, "%zu bytes, hash %lx", len, h);
    }
    free(bytes);
    if (bytes) unlink(file);
    rmdir(dir);
    countdown_resume();
    return rc;
}

static int xlsx_pipeline(const char *path, char **out) { return xlsx_book(path, 0, out); }
static int exercise_pipeline(const char *path, char **out) { return xlsx_book(path, 1, out); }

/* Grade a hand-made sheet with a slip carried forward (07-2a) and render
 * every report. */
static int grade_pipeline(const char *sheet, char **out)
{
    char err[1024], *text = NULL;
    size_t len;
    int rc = 1;
    *out = NULL;
    lesson *l = lesson_load("lessons/sauppe-sgd-step.lesson", err, sizeof err);
    if (!l) return 1;
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    engine_result r;
    if (engine_run(l, &eo, &r, err, sizeof err)) { lesson_free(l); return 1; }
    names_index *ix = names_index_new(l, r.tr, NOTATION_VA);
    grade_plan plan;
    if (ix && grade_plan_lesson(&plan, l, r.tr, ix, NULL, 0, err, sizeof err) == 0) {
        grade_opts go;
        grade_opts_lesson(&go, l, r.tr);
        char why[256];
        if (grade_read_file(sheet, &text, &len, why, sizeof why) == 0) {
            grade_answers ans;
            if (grade_parse_answers(&ans, text, len, l, ix, &plan) == 0) {
                grade_report rep;
                if (grade_sheet(&rep, r.tr, &plan, &ans, &go) == 0) {
                    strbuf b = {0};
                    grade_text(&b, l, "sheet", r.tr, &plan, &ans, &rep, &go, 0);
                    grade_gs_opts gso = {.reveal = "after_due_date"};
                    grade_gradescope(&b, l, "sheet", r.tr, &plan, &ans, &rep, &go, &gso);
                    grade_json(&b, "sheet", &plan, &ans, &rep, &go);
                    grade_csv_header(&b, &plan);
                    grade_csv_row(&b, "sheet", NULL, &plan, &ans, &rep);
                    if (!b.failed) { *out = b.s; b.s = NULL; rc = 0; }
                    sb_free(&b);
                    grade_report_free(&rep);
                }
                grade_answers_free(&ans);
            }
            free(text);
        }
        grade_plan_free(&plan);
    }
    names_index_free(ix);
    engine_result_free(&r);
    lesson_free(l);
    return rc;
}

static void test_lesson_run_sgd(void **state)
{
    (void)state;
    every_failure_point("run sauppe-sgd-step", lesson_pipeline, "lessons/sauppe-sgd-step.lesson");
}

static void test_lesson_run_forward(void **state)
{
    (void)state;
    every_failure_point("run sauppe-forward", lesson_pipeline, "lessons/sauppe-forward.lesson");
}

static void test_xlsx_export(void **state)
{
    (void)state;
    every_failure_point("xlsx mazur-2-2-2", xlsx_pipeline, "lessons/mazur-2-2-2.lesson");
}

/* The exercise workbook of an exact lesson (xlsx_exercise.c: the asked set, the
 * Answers sheet with the values from the shown operands, the check formulas). */
static void test_xlsx_exercise(void **state)
{
    (void)state;
    every_failure_point("xlsx --exercise bce-3layer", exercise_pipeline, "lessons/bce-3layer.lesson");
}

static void test_grading(void **state)
{
    (void)state;
    every_failure_point("check sauppe-sgd-step slip", grade_pipeline,
                        "tests/grade/sauppe-sgd-step/slip-and-mistake.txt");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lesson_run_sgd),
        cmocka_unit_test(test_lesson_run_forward),
        cmocka_unit_test(test_xlsx_export),
        cmocka_unit_test(test_xlsx_exercise),
        cmocka_unit_test(test_grading),
    };
    return cmocka_run_group_tests_name("oom", tests, NULL, NULL);
}
