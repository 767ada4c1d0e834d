/*
 * test_lessonpath.c - lessons by name: the lesson path ($NNTRACE_PATH,
 * ./lessons, the lessons installed beside the binary), "did you mean" for
 * misspelt names and paths, `list` from any directory, a relocated binary,
 * and a FIFO named *.lesson that must not block anything.
 */
#include "testutil.h"

#include <sys/stat.h>

#include "lessonpath.h"
#include "suggest.h"

static char tmp[64];

static int setup(void **state)
{
    (void)state;
    return tmpdir_make(tmp, "lpath");
}

static int teardown(void **state)
{
    (void)state;
    return tmpdir_remove(tmp);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

static const char *MINI = "title Mini\nsource made up\ninput 1\nlayer identity 2\n"
                          "weight w_0,2 = 1\nweight w_1,2 = 2\nexample 3\nexpect in_2 = 7\n";

static void test_distance(void **state)
{
    (void)state;
    assert_int_equal(suggest_distance("sauppe-froward", "sauppe-forward"), 1);   /* a swap is one edit */
    assert_int_equal(suggest_distance("kitten", "sitting"), 3);
    assert_int_equal(suggest_distance("", "abc"), 3);
    assert_int_equal(suggest_distance("abc", "abc"), 0);
    assert_int_equal(suggest_distance("ReLU", "relu"), 0);                       /* letters ignore case */
    assert_int_equal(suggest_distance("ca", "abc"), 3);                          /* OSA, not Damerau */
}

static void test_suggest(void **state)
{
    (void)state;
    const char *names[] = {"sauppe-forward", "sauppe-sgd-step", "mazur-2-2-2", "mazur-2-2-2-10000", "xor-mlp"};
    char buf[256];
    assert_int_equal(suggest("sauppe-froward", names, 5, buf, sizeof buf), 1);
    assert_string_equal(buf, "sauppe-forward");
    assert_int_equal(suggest("zzzzzzzz", names, 5, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    assert_int_equal(suggest("mazur", names, 5, buf, sizeof buf), 2);           /* no near one: the prefix */
    assert_string_equal(buf, "mazur-2-2-2 or mazur-2-2-2-10000");
    assert_int_equal(suggest("xor-mlp", names, 5, buf, sizeof buf), 0);         /* itself is no suggestion */
    assert_int_equal(suggest("xor-mpl", names, 5, buf, sizeof buf), 1);
    char tiny[8];
    suggest("sauppe-froward", names, 5, tiny, sizeof tiny);                     /* never overflows */
    assert_true(strlen(tiny) < sizeof tiny);
}

static void test_find(void **state)
{
    (void)state;
    char a[128], b[128], file[256], err[2048];
    snprintf(a, sizeof a, "%s/a", tmp);
    snprintf(b, sizeof b, "%s/b", tmp);
    assert_int_equal(mkdir(a, 0755), 0);
    assert_int_equal(mkdir(b, 0755), 0);
    snprintf(file, sizeof file, "%s/mini.lesson", b);
    write_file(file, MINI);
    snprintf(file, sizeof file, "%s/sauppe-forward.lesson", a);                 /* hides ./lessons' one */
    write_file(file, MINI);
    char env[300];
    snprintf(env, sizeof env, "%s::%s", a, b);                                   /* an empty part is skipped */
    assert_int_equal(setenv("NNTRACE_PATH", env, 1), 0);
    lessonpath lp;
    assert_int_equal(lessonpath_init(&lp), 0);
    assert_true(lp.n >= 3);
    assert_string_equal(lp.dirs[0], a);
    assert_string_equal(lp.dirs[1], b);
    assert_string_equal(lp.dirs[2], "lessons");

    char *f = lessonpath_find(&lp, "mini", NULL, err, sizeof err);
    assert_non_null(f);
    snprintf(file, sizeof file, "%s/mini.lesson", b);
    assert_string_equal(f, file);
    free(f);
    assert_non_null(f = lessonpath_find(&lp, "mini.lesson", NULL, err, sizeof err));
    assert_string_equal(f, file);
    free(f);
    assert_non_null(f = lessonpath_find(&lp, "sauppe-forward", NULL, err, sizeof err));
    snprintf(file, sizeof file, "%s/sauppe-forward.lesson", a);
    assert_string_equal(f, file);                                                /* the first directory wins */
    free(f);
    assert_non_null(f = lessonpath_find(&lp, "sauppe-sgd-step", NULL, err, sizeof err));
    assert_string_equal(f, "lessons/sauppe-sgd-step.lesson");
    free(f);
    assert_non_null(f = lessonpath_find(&lp, "lessons/xor-mlp.lesson", NULL, err, sizeof err));   /* a path */
    assert_string_equal(f, "lessons/xor-mlp.lesson");
    free(f);

    /* misspelt: the nearest names on the path, or the files beside a path */
    assert_null(lessonpath_find(&lp, "sauppe-froward", NULL, err, sizeof err));
    assert_string_equal(err, "sauppe-froward: no such lesson: not a file here, and not a lesson name on the path\n"
                             "HINT: did you mean sauppe-forward?");
    assert_null(lessonpath_find(&lp, "minni", NULL, err, sizeof err));
    assert_non_null(strstr(err, "HINT: did you mean mini?"));
    assert_null(lessonpath_find(&lp, "lessons/sauppe-froward.lesson", NULL, err, sizeof err));
    assert_string_equal(err, "lessons/sauppe-froward.lesson: cannot open: No such file or directory\n"
                             "HINT: did you mean lessons/sauppe-forward.lesson?");
    assert_null(lessonpath_find(&lp, "nowhere/sauppe-froward", NULL, err, sizeof err));  /* no such directory */
    assert_non_null(strstr(err, "HINT: did you mean sauppe-forward?"));
    assert_null(lessonpath_find(&lp, "qqqqqqqqqq", NULL, err, sizeof err));            /* nothing near: where it looked */
    assert_non_null(strstr(err, "HINT: `nntrace list` shows the lessons on the path: "));
    assert_non_null(strstr(err, a));
    assert_non_null(strstr(err, "(NNTRACE_PATH)"));
    assert_non_null(strstr(err, "lessons (current directory)"));
    assert_non_null(strstr(err, "/share/nntrace/lessons (installed with the binary"));
    assert_null(lessonpath_find(&lp, "lessons", NULL, err, sizeof err));
    assert_string_equal(err, "lessons: is a directory, not a lesson file\nHINT: nntrace list lessons shows its lessons");

    /* the names on the path, each once */
    lessonpath_entry *list;
    size_t n;
    assert_int_equal(lessonpath_scan(&lp, &list, &n), 0);
    int forward = 0, mini = 0;
    for (size_t k = 0; k < n; k++) {
        forward += !strcmp(list[k].name, "sauppe-forward");
        mini += !strcmp(list[k].name, "mini");
    }
    assert_int_equal(forward, 1);
    assert_int_equal(mini, 1);
    assert_string_equal(list[0].name, "sauppe-forward");                         /* path order first */
    lessonpath_entries_free(list, n);
    lessonpath_free(&lp);
    assert_int_equal(unsetenv("NNTRACE_PATH"), 0);
}

/* Every command takes a name; the hint for a missing file is about the file. */
static void test_cli_names(void **state)
{
    (void)state;
    char b[4096], cmd[16384];
    int st;
    bin_abs(b);
    const char *cmds[] = {"run", "gradcheck", "dot", "template", "xlsx -o /dev/null", "step", "quiz"};
    for (size_t k = 0; k < sizeof cmds / sizeof *cmds; k++) {
        snprintf(cmd, sizeof cmd, "cd %s && NNTRACE_PATH=%s/lessons %s %s sauppe-froward </dev/null",
                 tmp, getenv("PWD") ? getenv("PWD") : ".", b, cmds[k]);
        char *out = run_sh(cmd, &st);
        assert_int_equal(st, 2);
        if (!strstr(out, "HINT: did you mean sauppe-forward?") || strstr(out, "lesson format"))
            fail_msg("nntrace %s: %s", cmds[k], out);
        free(out);
    }
    /* a clone's path typed elsewhere: the lesson by its name, not a neighbour
     * (mazur-2-2-2-10000 begins with mazur-2-2-2) nor nothing */
    const char *paths[][2] = {{"run lessons/mazur-2-2-2.lesson", "`nntrace run mazur-2-2-2`"},
                              {"step lessons/sauppe-sgd-step.lesson", "`nntrace step sauppe-sgd-step`"},
                              {"dot lessons/mazur-2-2-2", "`nntrace dot mazur-2-2-2`"}};
    for (size_t k = 0; k < sizeof paths / sizeof *paths; k++) {
        snprintf(cmd, sizeof cmd, "cd %s && NNTRACE_PATH=%s/lessons %s %s </dev/null",
                 tmp, getenv("PWD") ? getenv("PWD") : ".", b, paths[k][0]);
        char *out = run_sh(cmd, &st);
        assert_int_equal(st, 2);
        char want[128];
        snprintf(want, sizeof want, "HINT: did you mean %s?\n", paths[k][1]);
        if (!strstr(out, want)) fail_msg("nntrace %s: want '%s' in:\n%s", paths[k][0], want, out);
        free(out);
    }
    /* no lesson at all: the hint names a lesson that works from anywhere */
    const char *bare[] = {"run", "step", "quiz", "dot", "gradcheck", "xlsx -o x.xlsx"};
    for (size_t k = 0; k < sizeof bare / sizeof *bare; k++) {
        snprintf(cmd, sizeof cmd, "cd %s && %s %s </dev/null", tmp, b, bare[k]);
        char *out = run_sh(cmd, &st);
        assert_int_equal(st, 2);
        if (!strstr(out, "which lesson?\nHINT: nntrace ") || strstr(out, "lessons/"))
            fail_msg("nntrace %s: %s", bare[k], out);
        free(out);
    }
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(cmd, sizeof cmd, "cd %s && env -i NNTRACE_PATH=%s/lessons %s run --golden sauppe-forward", tmp, cwd, b);
    char *out = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "6 of 6 expectations hold"));
    free(out);
    snprintf(cmd, sizeof cmd, "cd %s && env -i NNTRACE_PATH=%s/lessons %s template sauppe-forward.lesson", tmp, cwd, b);
    out = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    free(out);
    /* a bad lesson still gets the format hint */
    snprintf(cmd, sizeof cmd, "%s/bad.lesson", tmp);
    write_file(cmd, "title T\ninput 1\nlayer logistic 2\nweight w_0,2 = x\n");
    snprintf(cmd, sizeof cmd, "%s run %s/bad.lesson", b, tmp);
    out = run_sh(cmd, &st);
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "bad.lesson:4: 'x' is not a number"));
    assert_non_null(strstr(out, "HINT: the lesson format is described in man 5 nntrace-lesson"));
    free(out);
}

/* A binary copied elsewhere finds PREFIX/share/nntrace/lessons from its own
 * place, whatever the directory and the environment. */
static void test_relocated(void **state)
{
    (void)state;
    char b[4096], cmd[16384], cwd[4096];
    int st;
    bin_abs(b);
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(cmd, sizeof cmd, "mkdir -p %s/r/bin %s/r/share/nntrace/lessons %s/elsewhere && cp %s %s/r/bin/nntrace",
             tmp, tmp, tmp, b, tmp);
    char *out = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    free(out);

    /* nothing installed yet: an empty list says where it looked, exit 1 */
    snprintf(cmd, sizeof cmd, "cd %s/elsewhere && env -i %s/r/bin/nntrace list", tmp, tmp);
    out = run_sh(cmd, &st);
    assert_int_equal(st, 1);
    char want[512];
    snprintf(want, sizeof want, "nntrace list: no lessons found; looked in lessons (current directory, missing); "
             "%s/r/share/nntrace/lessons (installed with the binary)", tmp);
    if (!strstr(out, want)) fail_msg("got: %s\nwant: %s", out, want);
    free(out);

    snprintf(cmd, sizeof cmd, "cp %s/lessons/*.lesson %s/r/share/nntrace/lessons/", cwd, tmp);
    out = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    free(out);
    snprintf(cmd, sizeof cmd, "cd %s/elsewhere && env -i %s/r/bin/nntrace run sauppe-forward", tmp, tmp);
    out = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2 = 5*1 + 1*3 + (-2)*4 = 0"));
    assert_null(strchr(out, '\033'));
    free(out);
    snprintf(cmd, sizeof cmd, "cd / && env -i %s/r/bin/nntrace list", tmp);
    out = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "mazur-2-2-2"));
    assert_non_null(strstr(out, "CS 457/557 Lecture 07-2a"));
    free(out);
    snprintf(cmd, sizeof cmd, "cd / && env -i %s/r/bin/nntrace list --names", tmp);
    out = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "\nsauppe-forward\n"));
    assert_null(strstr(out, "CS 457"));
    free(out);
}

/* `list DIR` with a FIFO named *.lesson: no hang, the FIFO reported. */
static void test_fifo(void **state)
{
    (void)state;
    char b[4096], cmd[16384], dir[128];
    int st;
    bin_abs(b);
    snprintf(dir, sizeof dir, "%s/fifo", tmp);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(cmd, sizeof cmd, "%s/pipe.lesson", dir);
    assert_int_equal(mkfifo(cmd, 0644), 0);
    snprintf(cmd, sizeof cmd, "%s/mini.lesson", dir);
    write_file(cmd, MINI);
    snprintf(cmd, sizeof cmd, "timeout 30 %s list %s", b, dir);
    char *out = run_sh(cmd, &st);
    assert_int_equal(st, 1);                                                     /* one does not load */
    assert_non_null(strstr(out, "mini                             Mini"));
    assert_non_null(strstr(out, "pipe.lesson: not a regular file"));
    free(out);
    snprintf(cmd, sizeof cmd, "timeout 30 %s run %s/pipe.lesson", b, dir);
    out = run_sh(cmd, &st);
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "pipe.lesson: not a regular file"));
    free(out);
    /* an empty directory and a missing one */
    snprintf(cmd, sizeof cmd, "mkdir %s/empty && %s list %s/empty", tmp, b, tmp);
    out = run_sh(cmd, &st);
    assert_int_equal(st, 1);
    assert_non_null(strstr(out, "no *.lesson files in"));
    free(out);
    snprintf(cmd, sizeof cmd, "%s list %s/missing", b, tmp);
    out = run_sh(cmd, &st);
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "cannot open directory"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_cli_names),
        cmocka_unit_test(test_relocated),
        cmocka_unit_test(test_fifo),
    };
    return cmocka_run_group_tests_name("lessonpath", tests, setup, teardown);
}
