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

#include "engine.h"
#include "lesson.h"
#include "text.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static long countdown;   /* fail the allocation when it reaches 0; <0 never */
static long count;       /* allocations seen */

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
    engine_opts o = {ENGINE_ROUND_LESSON, 0};
    engine_result r;
    int rc = 0;
    if (engine_run(l, &o, &r, err, sizeof err)) {
        if (!strstr(err, "out of memory")) fail_msg("run failed without saying why: %s", err);
        lesson_free(l);
        return 1;
    }
    FILE *mem = open_memstream(out, &len);
    assert_non_null(mem);
    text_opts to = {l->digits, 1, 0, ~0u};
    if (text_print_trace(mem, l, &r, &to) || text_print_json(mem, l, &r, l->digits) ||
        text_print_csv(mem, l, &r, l->digits))
        rc = 1;
    text_check_expectations(mem, l, &r, 0);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lesson_run_sgd),
        cmocka_unit_test(test_lesson_run_forward),
    };
    return cmocka_run_group_tests_name("oom", tests, NULL, NULL);
}
