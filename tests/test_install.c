/*
 * test_install.c - `make install` into a staged prefix (DESTDIR), used as a
 * student would: from another directory with a clean environment, the
 * manual pages rendered without warnings and naming every command and
 * option, bash completion of commands and lesson names; then `make
 * uninstall` leaves nothing behind.
 *
 * The install uses the binary under test: BUILD is the directory of
 * $NNTRACE_BIN, so nothing is rebuilt.
 */
#include "testutil.h"

#include <sys/stat.h>

#include "lesson_keys.h"

static char tmp[64], stage[128], prefix[160];
static char makevars[1024];

static int setup(void **state)
{
    (void)state;
    if (tmpdir_make(tmp, "install")) return -1;
    snprintf(stage, sizeof stage, "%s/stage", tmp);
    snprintf(prefix, sizeof prefix, "%s/usr", stage);
    char build[512];
    snprintf(build, sizeof build, "%s", bin());
    char *slash = strrchr(build, '/');
    if (slash) *slash = '\0';
    else snprintf(build, sizeof build, ".");
    snprintf(makevars, sizeof makevars, "DESTDIR=%s PREFIX=/usr BUILD=%s", stage, build);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "env -u MAKEFLAGS -u MAKELEVEL make -s install %s >%s/install.log 2>&1 "
             "&& mkdir %s/elsewhere", makevars, tmp, tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return tmpdir_remove(tmp);
}

static int exists(const char *rel)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", prefix, rel);
    return stat(p, &st) == 0;
}

static void test_files(void **state)
{
    (void)state;
    const char *files[] = {
        "bin/nntrace", "share/nntrace/lessons/sauppe-forward.lesson", "share/man/man1/nntrace.1",
        "share/man/man5/nntrace-lesson.5", "share/bash-completion/completions/nntrace",
        "share/doc/nntrace/README.md", "share/doc/nntrace/docs/grading.md",
    };
    for (size_t k = 0; k < sizeof files / sizeof *files; k++)
        if (!exists(files[k])) fail_msg("not installed: %s/%s", prefix, files[k]);
    int st;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "test -x %s/bin/nntrace && ls lessons/*.lesson | wc -l && ls %s/share/nntrace/lessons | wc -l",
             prefix, prefix);
    char *out = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    int a = 0, b = 0;
    assert_int_equal(sscanf(out, "%d %d", &a, &b), 2);
    assert_int_equal(a, b);                                  /* every lesson of the clone */
    assert_true(a > 10);
    free(out);
}

/* A student's first commands, in another directory, clean environment. */
static void test_run_by_name(void **state)
{
    (void)state;
    int st;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd %s/elsewhere && env -i %s/bin/nntrace run sauppe-forward", tmp, prefix);
    char *out = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2 = 5*1 + 1*3 + (-2)*4 = 0"));
    assert_non_null(strstr(out, "6 of 6 expectations hold"));
    free(out);
    snprintf(cmd, sizeof cmd, "cd %s/elsewhere && env -i %s/bin/nntrace list", tmp, prefix);
    out = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "sauppe-forward"));
    assert_non_null(strstr(out, "mazur-2-2-2"));
    free(out);
    snprintf(cmd, sizeof cmd, "cd %s/elsewhere && env -i %s/bin/nntrace run sauppe-froward", tmp, prefix);
    out = run_sh(cmd, &st);
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "HINT: did you mean sauppe-forward?"));
    free(out);
}

/* GNU directory variables that do not keep bindir and datadir under one
 * prefix: the installed binary still finds its lessons, where make install
 * put them, from any directory with a clean environment; uninstall with the
 * same variables leaves no file. */
static void test_any_bindir(void **state)
{
    (void)state;
    char build[512], vars[2048], cmd[8192];
    const char *b = strstr(makevars, "BUILD=");
    assert_non_null(b);
    snprintf(build, sizeof build, "%s", b);
    snprintf(vars, sizeof vars, "PREFIX=%s/gnu bindir=%s/gnu/lib/nntrace/bin datadir=%s/gnu/data %s",
             tmp, tmp, tmp, build);
    int st;
    snprintf(cmd, sizeof cmd, "env -u MAKEFLAGS -u MAKELEVEL make -s install %s >%s/install-gnu.log 2>&1 "
             "|| cat %s/install-gnu.log", vars, tmp, tmp);
    char *out = run_sh(cmd, &st);
    if (st != 0 || out[0]) fail_msg("make install %s:\n%s", vars, out);
    free(out);
    snprintf(cmd, sizeof cmd, "cd %s/elsewhere && env -i %s/gnu/lib/nntrace/bin/nntrace run sauppe-forward", tmp, tmp);
    out = run_sh(cmd, &st);
    if (st != 0 || !strstr(out, "6 of 6 expectations hold")) fail_msg("%s:\n%s", cmd, out);
    free(out);
    snprintf(cmd, sizeof cmd, "cd %s/elsewhere && env -i %s/gnu/lib/nntrace/bin/nntrace run no-such-lesson", tmp, tmp);
    out = run_sh(cmd, &st);
    assert_int_equal(st, 2);
    char want[512];
    snprintf(want, sizeof want, "%s/gnu/data/nntrace/lessons (where make install put them)", tmp);
    if (!strstr(out, want)) fail_msg("want '%s' in:\n%s", want, out);
    free(out);
    snprintf(cmd, sizeof cmd, "env -u MAKEFLAGS -u MAKELEVEL make -s uninstall %s >/dev/null 2>&1; "
             "find %s/gnu -type f", vars, tmp);
    out = run_sh(cmd, &st);
    if (out[0]) fail_msg("left after make uninstall:\n%s", out);
    free(out);
}

/* Both pages render without a warning from mandoc, groff and man. */
static void test_man_renders(void **state)
{
    (void)state;
    const char *pages[] = {"share/man/man1/nntrace.1", "share/man/man5/nntrace-lesson.5"};
    for (size_t k = 0; k < 2; k++) {
        int st;
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "mandoc -T lint -W warning %s/%s", prefix, pages[k]);
        char *out = run_sh(cmd, &st);
        if (st != 0 || out[0]) fail_msg("mandoc -T lint %s: %s", pages[k], out);
        free(out);
        for (int ascii = 0; ascii < 2; ascii++) {     /* a UTF-8 terminal, and plain ASCII */
            snprintf(cmd, sizeof cmd, "groff -ww -z -T%s -man %s/%s", ascii ? "ascii" : "utf8", prefix, pages[k]);
            out = run_sh(cmd, &st);
            if (st != 0 || out[0]) fail_msg("groff -ww -T%s %s: %s", ascii ? "ascii" : "utf8", pages[k], out);
            free(out);
        }
        snprintf(cmd, sizeof cmd, "MANWIDTH=80 man -l %s/%s 2>&1 >/dev/null", prefix, pages[k]);
        out = run_sh(cmd, &st);
        if (st != 0 || out[0]) fail_msg("man -l %s: %s", pages[k], out);
        free(out);
        snprintf(cmd, sizeof cmd, "MANWIDTH=80 man -l %s/%s | grep -c .", prefix, pages[k]);
        out = run_sh(cmd, &st);
        assert_true(atoi(out) > 100);
        free(out);
    }
    /* in the C locale man renders ASCII: a subscript is a digit, not dropped */
    int st;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "LC_ALL=C MANWIDTH=80 man -l %s/share/man/man1/nntrace.1 2>&1", prefix);
    char *out = run_sh(cmd, &st);
    if (!strstr(out, "(in_3, delta_3) instead of in3, ")) fail_msg("man in the C locale:\n%s", out);
    free(out);
}

/* The section of the page source for `nntrace CMD`, with "\-" as "-". */
static char *man_section(const char *page, const char *cmd)
{
    char head[128];
    snprintf(head, sizeof head, ".SS \"nntrace %s", cmd);
    const char *s = strstr(page, head);
    if (!s) return NULL;
    const char *e = strstr(s + 1, "\n.S");
    size_t n = e ? (size_t)(e - s) : strlen(s);
    char *sec = malloc(n + 1), *d = sec;
    assert_non_null(sec);
    for (size_t k = 0; k < n; k++) {
        if (s[k] == '\\' && s[k + 1] == '-') continue;
        *d++ = s[k];
    }
    *d = '\0';
    return sec;
}

/* Every command of `nntrace --help` has a section in the installed
 * nntrace(1), and every option its `--help` names appears in that section
 * (make writes the sections from the same --help: this checks that step). */
static void test_man_covers_help(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/share/man/man1/nntrace.1", prefix);
    char *page = slurp(path, NULL);
    assert_non_null(page);
    int st;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s --help | awk '/^  [a-z]/ { print $1 }'", bin());
    char *cmds = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    int n_cmds = 0;
    for (char *c = strtok(cmds, "\n"); c; c = strtok(NULL, "\n"), n_cmds++) {
        char *sec = man_section(page, c);
        if (!sec) fail_msg("nntrace(1) has no section .SS \"nntrace %s ...\"", c);
        snprintf(cmd, sizeof cmd, "%s %s --help | grep -o -- '--[a-z][a-z-]*\\|^ *-[a-z]\\b' | tr -d ' ' | sort -u",
                 bin(), c);
        char *opts = run_sh(cmd, &st);
        char *save = NULL;
        for (char *o = strtok_r(opts, "\n", &save); o; o = strtok_r(NULL, "\n", &save)) {
            if (!strcmp(o, "--help")) continue;
            char word[80];
            snprintf(word, sizeof word, "%s", o);
            /* the option as a whole word of the section */
            int found = 0;
            for (const char *p = sec; (p = strstr(p, word)); p++) {
                char after = p[strlen(word)];
                if (!(after == '-' || (after >= 'a' && after <= 'z'))) { found = 1; break; }
            }
            if (!found) fail_msg("nntrace(1), section nntrace %s: option %s of `nntrace %s --help` is missing", c, o, c);
        }
        free(opts);
        free(sec);
    }
    assert_true(n_cmds >= 10);
    free(cmds);
    free(page);
}

/* nntrace-lesson(5) describes every key of the parser's table. */
static void test_man_covers_keys(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/share/man/man5/nntrace-lesson.5", prefix);
    char *page = slurp(path, NULL);
    assert_non_null(page);
    for (int k = 0; k < KEY_COUNT; k++) {
        char tag[64];
        const char *key = LESSON_KEYS[k].key;
        size_t n = 0;
        for (const char *c = key; *c && n + 3 < sizeof tag; c++) {   /* as roff writes it: "-" is "\-" */
            if (*c == '-') tag[n++] = '\\';
            tag[n++] = *c;
        }
        tag[n] = '\0';
        char want[96];
        snprintf(want, sizeof want, "\n\\fB%s", tag);
        if (!strstr(page, want)) fail_msg("nntrace-lesson(5) does not describe the key '%s'", key);
    }
    free(page);
}

/* bash completion, as bash itself runs it. */
static void test_completion(void **state)
{
    (void)state;
    int st;
    char cmd[4096];
    const char *comp = "share/bash-completion/completions/nntrace";
    snprintf(cmd, sizeof cmd, "cd %s/elsewhere && env -i PATH=%s/bin:/usr/bin:/bin bash -c '"
             "source %s/%s; COMP_WORDS=(nntrace \"\"); COMP_CWORD=1; _nntrace; echo \"${COMPREPLY[*]}\"; "
             "COMP_WORDS=(nntrace run sauppe-f); COMP_CWORD=2; _nntrace; echo \"${COMPREPLY[*]}\"; "
             "COMP_WORDS=(nntrace step mazur); COMP_CWORD=2; _nntrace; echo \"${COMPREPLY[*]}\"; "
             "COMP_WORDS=(nntrace run --no); COMP_CWORD=2; _nntrace; echo \"${COMPREPLY[*]}\"; "
             "COMP_WORDS=(nntrace run --notation \"\"); COMP_CWORD=3; _nntrace; echo \"${COMPREPLY[*]}\"; "
             "COMP_WORDS=(nntrace check --ecf \"\"); COMP_CWORD=3; _nntrace; echo \"${COMPREPLY[*]}\"; "
             "COMP_WORDS=(nntrace mnist --adapt o); COMP_CWORD=3; _nntrace; echo \"${COMPREPLY[*]}\"; "
             "complete -p nntrace'", tmp, prefix, prefix, comp);
    char *out = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    char *line = strtok(out, "\n");
    assert_non_null(line);
    const char *cmds[] = {"run", "gradcheck", "list", "step", "quiz", "xlsx", "dot", "template", "check", "mnist"};
    for (size_t k = 0; k < sizeof cmds / sizeof *cmds; k++)
        if (!strstr(line, cmds[k])) fail_msg("completion of commands lacks %s: %s", cmds[k], line);
    assert_non_null(line = strtok(NULL, "\n"));
    assert_string_equal(line, "sauppe-forward");
    assert_non_null(line = strtok(NULL, "\n"));
    assert_string_equal(line, "mazur-2-2-2 mazur-2-2-2-10000");
    assert_non_null(line = strtok(NULL, "\n"));
    assert_string_equal(line, "--no-color --notation");
    assert_non_null(line = strtok(NULL, "\n"));
    assert_string_equal(line, "va layer netout bar");
    assert_non_null(line = strtok(NULL, "\n"));
    assert_string_equal(line, "full half none");       /* from --ecf full|half|none|X */
    assert_non_null(line = strtok(NULL, "\n"));
    assert_string_equal(line, "on off");
    assert_non_null(line = strtok(NULL, "\n"));
    assert_string_equal(line, "complete -F _nntrace nntrace");
    free(out);
}

/* `make` (and so `make run`) builds the manual pages with the program:
 * `sudo make install` after it only copies, and writes nothing as root
 * into the build directory (which `make clean` could then not remove). */
static void test_all_builds_man(void **state)
{
    (void)state;
    int st;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "env -u MAKEFLAGS -u MAKELEVEL make -n -W %s all %s | grep -c scripts/manpage.sh",
             bin(), makevars);
    char *out = run_sh(cmd, &st);
    if (atoi(out) != 2) fail_msg("make all does not build both manual pages:\n%s", out);
    free(out);
}

/* Last: uninstall leaves no file and no nntrace directory. */
static void test_uninstall(void **state)
{
    (void)state;
    int st;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "env -u MAKEFLAGS -u MAKELEVEL make -s uninstall %s >/dev/null 2>&1; "
             "find %s -type f; find %s -name '*nntrace*'", makevars, stage, stage);
    char *out = run_sh(cmd, &st);
    if (out[0]) fail_msg("left after make uninstall:\n%s", out);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_run_by_name),
        cmocka_unit_test(test_any_bindir),
        cmocka_unit_test(test_man_renders),
        cmocka_unit_test(test_man_covers_help),
        cmocka_unit_test(test_man_covers_keys),
        cmocka_unit_test(test_completion),
        cmocka_unit_test(test_all_builds_man),
        cmocka_unit_test(test_uninstall),
    };
    return cmocka_run_group_tests_name("install", tests, setup, teardown);
}
