/*
 * test_golden.c - every lesson's trace, byte for byte, against traces/, and
 * every lesson's expectations (the lecture's printed values) holding.
 *
 * Runs the real binary ($NNTRACE_BIN, default build/nntrace) so what is
 * compared is exactly what a student sees with `nntrace run --golden`.
 */
#include "testutil.h"

#include <dirent.h>
#include <sys/wait.h>


/* Run a shell command; its stdout (caller frees) and exit status. */
static char *run(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    for (size_t got; (got = fread(s + n, 1, cap - n - 1, p)) > 0;) {
        n += got;
        if (n + 1 == cap) { s = realloc(s, cap *= 2); assert_non_null(s); }
    }
    s[n] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return s;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_every_lesson_matches_its_golden(void **state)
{
    (void)state;
    DIR *d = opendir("lessons");
    assert_non_null(d);
    char *names[512];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 512;) {
        size_t len = strlen(e->d_name);
        if (len > 7 && !strcmp(e->d_name + len - 7, ".lesson")) {
            names[n] = malloc(len - 6);
            memcpy(names[n], e->d_name, len - 7);
            names[n++][len - 7] = '\0';
        }
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    assert_true(n >= 2);
    int failures = 0;
    for (int k = 0; k < n; k++) {
        char cmd[1024], path[600];
        int status;
        snprintf(cmd, sizeof cmd, "NO_COLOR=1 %s run --golden lessons/%s.lesson", bin(), names[k]);
        char *got = run(cmd, &status);
        snprintf(path, sizeof path, "traces/%s.txt", names[k]);
        char *want = slurp(path, NULL);
        if (status != 0) {
            print_error("%s: exit status %d (an expectation failed or the lesson is bad):\n%s\n",
                        names[k], status, got);
            failures++;
        }
        if (!want) {
            print_error("%s: no golden trace %s (make golden writes it; review it first)\n", names[k], path);
            failures++;
        } else if (strcmp(got, want) != 0) {
            const char *g = got, *w = want;
            int line = 1;
            while (*g && *g == *w) { if (*g == '\n') line++; g++; w++; }
            const char *gl = g, *wl = w;
            while (gl > got && gl[-1] != '\n') gl--;
            while (wl > want && wl[-1] != '\n') wl--;
            print_error("%s: trace differs from %s at line %d\n  got:  %.*s\n  want: %.*s\n"
                        "HINT: if the change is intended, run `make golden` and review the diff\n",
                        names[k], path, line, (int)strcspn(gl, "\n"), gl, (int)strcspn(wl, "\n"), wl);
            failures++;
        }
        free(got);
        free(want);
        free(names[k]);
    }
    if (failures) fail_msg("%d lesson(s) do not match their golden trace or expectations", failures);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_lesson_matches_its_golden),
    };
    return cmocka_run_group_tests_name("golden", tests, NULL, NULL);
}
