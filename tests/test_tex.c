/*
 * test_tex.c - `nntrace tex`: every lesson's document and deck compile with
 * pdflatex without errors and with at most TEX_MAX_OVERFULL overfull boxes,
 * and the PDF's text holds every value the lesson expects; escaping of
 * LaTeX's special characters; --fragment is equations only.
 */
#include "testutil.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>

#include "lesson.h"
#include "tex.h"

/* Overfull boxes allowed (distinct equations; a deck repeats one on each
 * of its overlay pages): a long sum breaks at its '+' terms, so a document
 * has none; a deck may have one wide fraction (batch norm's variance over
 * 4 examples is 29pt too wide on a slide), never by more than TEX_MAX_PT. */
#define TEX_MAX_OVERFULL 0
#define DECK_MAX_OVERFULL 1
#define TEX_MAX_PT 40.0

static char dir[64];

static int setup(void **state) { (void)state; return tmpdir_make(dir, "tex"); }
static int teardown(void **state) { (void)state; return tmpdir_remove(dir); }

/* Compile lessons/NAME.lesson with flags; returns pdftotext's text (caller
 * frees) and the number of overfull boxes. */
static char *compile(const char *name, const char *flags, int *overfull)
{
    char cmd[16384], nt[4096], base[300], cwd[2048];
    if (!getcwd(cwd, sizeof cwd)) fail_msg("getcwd");
    snprintf(base, sizeof base, "%s%s", name, flags[0] ? "-deck" : "");   /* no stale .aux between kinds */
    bin_abs(nt);
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s; %s tex %s/lessons/%s.lesson %s -o %s.tex\n"
             "pdflatex -interaction=nonstopmode -halt-on-error %s.tex > %s.console 2>&1 || "
             "{ grep -A5 '^!' %s.log; exit 3; }\n"
             "echo overfull=$(grep '^Overfull' %s.log | sort -u | wc -l)\n"
             "echo widest=$(grep -o '^Overfull .hbox ([0-9.]*' %s.log | grep -o '[0-9.]*$' | sort -n | tail -1)\n"
             "pdftotext -layout %s.pdf -\n",
             dir, nt, cwd, name, flags, base, base, base, base, base, base, base);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("%s %s: exit %d\n%s", name, flags, rc, out);
    char *o = strstr(out, "overfull=");
    assert_non_null(o);
    *overfull = atoi(o + 9);
    char *w = strstr(out, "widest=");
    if (w && w[7] != '\n' && atof(w + 7) > TEX_MAX_PT)
        fail_msg("%s %s: an overfull box %.1fpt too wide (at most %.0f)", name, flags, atof(w + 7), TEX_MAX_PT);
    return out;
}

/* Is a number that shows v to `decimals` decimals in text? Each number of
 * the text (digits with a point) is read; its sign is not, since the PDF's
 * minus is a glyph of its own. */
static int printed(const char *text, double v, int decimals)
{
    double tol = 0.5 * pow(10.0, -decimals) * (1 + 1e-9);
    for (const char *p = text; *p; p++) {
        if (!isdigit((unsigned char)*p) || (p > text && (isdigit((unsigned char)p[-1]) || p[-1] == '.'))) continue;
        char *end;
        double x = strtod(p, &end);
        if (fabs(x - fabs(v)) <= tol) return 1;
        p = end - 1;
    }
    return 0;
}

static void each_lesson(const char *flags, int max_overfull)
{
    DIR *d = opendir("lessons");
    assert_non_null(d);
    int n = 0;
    /* NNTRACE_TEX_SUBSET=N: every N-th lesson only (the sanitizer run; the
     * LaTeX compiles are the same whatever build made them) */
    const char *sub = getenv("NNTRACE_TEX_SUBSET");
    int every = sub && atoi(sub) > 1 ? atoi(sub) : 1, seen = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 8 || strcmp(e->d_name + len - 7, ".lesson")) continue;
        char name[256], path[512], err[512];
        if (seen++ % every) { n++; continue; }
        snprintf(name, sizeof name, "%.*s", (int)(len - 7), e->d_name);
        snprintf(path, sizeof path, "lessons/%s", e->d_name);
        int overfull;
        char *text = compile(name, flags, &overfull);
        if (overfull > max_overfull) fail_msg("%s %s: %d overfull boxes (at most %d)", name, flags, overfull, max_overfull);
        /* every value the lecture printed is in the PDF */
        lesson *l = lesson_load(path, err, sizeof err);
        if (!l) fail_msg("%s", err);
        for (int k = 0; k < l->n_expects; k++) {
            const lesson_expect *x = &l->expects[k];
            if (x->same[0]) continue;
            if (!printed(text, x->value, x->decimals))
                fail_msg("%s %s: the expected %s = %.*f is not in the PDF", name, flags, x->name, x->decimals, x->value);
        }
        lesson_free(l);
        free(text);
        n++;
    }
    closedir(d);
    assert_true(n >= 20);
}

static void test_documents(void **state) { (void)state; each_lesson("", TEX_MAX_OVERFULL); }
static void test_decks(void **state) { (void)state; each_lesson("--beamer", DECK_MAX_OVERFULL); }

static void test_escape_and_fragment(void **state)
{
    (void)state;
    strbuf b = {0};
    tex_escape(&b, "a_b & 50% #1 $x$ {y} ~ ^ \\");
    assert_string_equal(b.s, "a\\_b \\& 50\\% \\#1 \\$x\\$ \\{y\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}");
    sb_free(&b);
    int rc;
    char *out = run_piped("", "tex lessons/sauppe-forward.lesson --fragment", &rc);
    assert_int_equal(rc, 0);
    assert_null(strstr(out, "\\documentclass"));
    assert_null(strstr(out, "\\begin{document}"));
    assert_non_null(strstr(out, "\\begin{align*}"));
    free(out);
    out = run_piped("", "tex mazur-2-2-2 --notation netout", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "\\mathrm{net}"));
    free(out);
    out = run_piped("", "tex", &rc);
    assert_int_equal(rc, 2);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_and_fragment),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_decks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
