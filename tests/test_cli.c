/*
 * test_cli.c - the binary's exit statuses and messages: 0 ok, 1 a check
 * failed, 2 bad usage or bad input; --help and --version everywhere.
 */
#include "testutil.h"

#include "cli.h"
#include "fast/fast_cli.h"
#include "judge.h"

#include <sys/wait.h>
#include <unistd.h>


/* Exit status of `nntrace ARGS`, with stdout+stderr captured into out. */
static int nt(char *out, size_t size, const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "NO_COLOR=1 %s %s 2>&1", bin(), args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    while (fgetc(p) != EOF) {}
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char tmpdir[64];

static int make_tmp(void **state)
{
    (void)state;
    return tmpdir_make(tmpdir, "cli");
}

static int rm_tmp(void **state)
{
    (void)state;
    return tmpdir_remove(tmpdir);
}

static const char *write_lesson(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Bad usage: each args is exit status 2 with want in what it says. */
typedef struct { const char *args, *want; } usage_case;
static void expect_usage(const usage_case *cases, size_t n)
{
    static char out[16384];
    for (size_t k = 0; k < n; k++) {
        int st = nt(out, sizeof out, cases[k].args);
        if (st != 2 || !strstr(out, cases[k].want))
            fail_msg("nntrace %s: exit %d, want \"%s\" in:\n%s", cases[k].args, st, cases[k].want, out);
    }
}

/* `nntrace help CMD` prints exactly `nntrace CMD --help`, for every command
 * the general help lists. */
static void test_help_command(void **state)
{
    (void)state;
    static char gen[8192], a[16384], b[16384];
    assert_int_equal(nt(gen, sizeof gen, "--help"), 0);
    int seen = 0;
    for (char *line = strstr(gen, "\n  "); line; line = strstr(line + 1, "\n  ")) {
        char cmd[32], args[64];
        if (sscanf(line + 3, "%31[a-z]", cmd) != 1) continue;
        snprintf(args, sizeof args, "help %s", cmd);
        assert_int_equal(nt(a, sizeof a, args), 0);
        snprintf(args, sizeof args, "%s --help", cmd);
        assert_int_equal(nt(b, sizeof b, args), 0);
        if (strcmp(a, b)) fail_msg("nntrace help %s differs from nntrace %s --help", cmd, cmd);
        assert_non_null(strstr(a, "usage"));
        seen++;
    }
    assert_true(seen >= 10);
    assert_int_equal(nt(a, sizeof a, "help"), 0);
    assert_string_equal(a, gen);
    assert_int_equal(nt(a, sizeof a, "help frobnicate"), 2);
    assert_non_null(strstr(a, "unknown topic 'frobnicate'"));
}

/* Every help fits an 80-column terminal: nntrace --help, and each topic of
 * `nntrace help --help` (every command, help itself, lesson), each line at
 * most 79 characters. */
static void test_help_fits_80_columns(void **state)
{
    (void)state;
    static char topics[4096], out[1 << 16];
    assert_int_equal(nt(topics, sizeof topics, "help --help"), 0);
    char *t = strstr(topics, "topics: "), *end = t ? strstr(t, "\n\n") : NULL;
    assert_non_null(end);
    *end = '\0';
    char args[256] = "--help";
    int seen = 0;
    for (char *save = NULL, *w = strtok_r(t + strlen("topics: "), " \n", &save);; w = strtok_r(NULL, " \n", &save)) {
        assert_int_equal(nt(out, sizeof out, args), 0);
        for (const char *line = out; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
            size_t cols = 0, n = strcspn(line, "\n");
            for (size_t i = 0; i < n; i++) cols += ((unsigned char)line[i] & 0xC0) != 0x80;
            if (cols > 79) fail_msg("nntrace %s: a line of %zu columns:\n%.*s", args, cols, (int)n, line);
        }
        if (!w) break;
        snprintf(args, sizeof args, "help %s", w);
        seen++;
    }
    assert_true(seen >= 16);
}

/* README's table of commands has a row for each command of nntrace --help. */
static void test_readme_lists_every_command(void **state)
{
    (void)state;
    static char gen[8192];
    assert_int_equal(nt(gen, sizeof gen, "--help"), 0);
    char *readme = slurp("README.md", NULL);
    assert_non_null(readme);
    int seen = 0;
    for (char *line = strstr(gen, "\n  "); line; line = strstr(line + 1, "\n  ")) {
        if (line[3] < 'a' || line[3] > 'z') continue;
        char row[64];
        snprintf(row, sizeof row, "\n| `nntrace %.*s", (int)strcspn(line + 3, " "), line + 3);
        if (!strstr(readme, row)) fail_msg("README.md's table of commands has no row '%s ...'", row + 1);
        seen++;
    }
    assert_true(seen >= 15);
    free(readme);
}

/* help is a command of --help with its own help; its did-you-mean goes
 * over every topic, and a second topic is bad usage. The --help lines keep
 * two blanks between a command's usage and its description, all of these
 * in one column. */
static void test_help_topics(void **state)
{
    (void)state;
    static char gen[8192], a[8192], b[8192];
    assert_int_equal(nt(gen, sizeof gen, "--help"), 0);
    assert_non_null(strstr(gen, "\n  help [COMMAND|lesson]  "));
    int col = -1;
    for (char *line = strstr(gen, "\n  "); line; line = strstr(line + 1, "\n  ")) {
        if (line[3] < 'a' || line[3] > 'z') continue;
        const char *two = strstr(line + 3, "  ");
        assert_non_null(two);
        int c = (int)(two - line) + 1 + (int)strspn(two, " ");
        if (col < 0) col = c;
        if (c != col) fail_msg("nntrace --help: the description at column %d, not %d:%.80s", c, col, line);
    }
    assert_int_equal(nt(a, sizeof a, "help --help"), 0);
    assert_non_null(strstr(a, "usage: nntrace help [COMMAND|lesson]"));
    assert_non_null(strstr(a, " variants mnist help lesson\n"));
    assert_int_equal(nt(b, sizeof b, "help help"), 0);
    assert_string_equal(a, b);
    assert_int_equal(nt(b, sizeof b, "help -h"), 0);
    assert_string_equal(a, b);
    static const usage_case cases[] = {
        {"help lesosn", "nntrace help: unknown topic 'lesosn'\nHINT: did you mean nntrace help lesson?"},
        {"help hlep", "HINT: did you mean nntrace help help?"},
        {"help run extra", "nntrace help: one topic at a time: 'run', then 'extra'\nHINT: nntrace help run\n"},
        {"help lesson run", "one topic at a time: 'lesson', then 'run'"},
        {"help --bogus", "nntrace help: unknown option '--bogus'"},
        {"--options", "nntrace: --options takes one command"},
        {"--options rnu", "unknown command 'rnu'\nHINT: did you mean nntrace run?"},
    };
    expect_usage(cases, sizeof cases / sizeof *cases);
}

/* Options that exclude each other are refused together, naming both, in
 * every command that takes them; one of them twice is fine. An option's
 * value is never empty. */
static void test_one_of_and_empty(void **state)
{
    (void)state;
    static const usage_case cases[] = {
        {"run --exact --rounded 3 sauppe-forward",
         "nntrace run: --exact and --rounded exclude each other: give --exact or --rounded N, not both\n"},
        {"run --rounded=3 --exact sauppe-forward", "nntrace run: --rounded=3 and --exact exclude each other"},
        {"step --rounded 2 --exact sauppe-forward", "nntrace step: --rounded and --exact exclude each other"},
        {"quiz --exact --rounded 2 sauppe-forward", "nntrace quiz: --exact and --rounded exclude each other"},
        {"xlsx --exact --rounded 2 -o x.xlsx sauppe-forward", "nntrace xlsx: --exact and --rounded"},
        {"tex --beamer --fragment sauppe-forward", "nntrace tex: --beamer and --fragment exclude each other"},
        {"run --golden --width 80 sauppe-forward", "--golden and --width exclude each other"},
        {"run --unicode --golden sauppe-forward", "--unicode and --golden exclude each other"},
        {"quiz --ask '' sauppe-forward", "nntrace quiz: --ask takes PATTERNS, not an empty value\n"},
        {"template --ask= sauppe-forward", "nntrace template: --ask takes PATTERNS, not an empty value\n"},
        {"run -o '' sauppe-forward", "nntrace run: -o takes FILE, not an empty value\n"},
        /* nor a lesson ("'': no such lesson" began with ": ") */
        {"run ''", "nntrace run: the lesson is an empty word: give a lesson's name or file\n"
                   "HINT: nntrace run sauppe-forward\n"},
        {"step '' --ascii", "nntrace step: the lesson is an empty word"},
        /* a forward pass asked for its backward pass: said, not an empty trace with exit 0 */
        {"run --passes backward,update sauppe-forward",
         "nntrace run: sauppe-forward: --passes asks only for passes the trace does not have\n"
         "HINT: its passes are given,forward\n"},
        {"quiz --ascii ''", "nntrace quiz: the lesson is an empty word"},
        {"check '' answers.txt", "nntrace check: the lesson is an empty word"},
    };
    expect_usage(cases, sizeof cases / sizeof *cases);
    static char ok[65536];
    assert_int_equal(nt(ok, sizeof ok, "run --rounded 3 --rounded 2 sauppe-forward"), 0);
    assert_int_equal(nt(ok, sizeof ok, "run --exact --exact --digits 2 sauppe-forward"), 0);
}

/* `nntrace --options CMD` lists every name of every row of the command's
 * table, with its value exactly when it takes one (the choices of a
 * choice or --notation, whatever the help's meta). */
static void test_options_listing(void **state)
{
    (void)state;
    static char out[8192];
    char args[128], line[512];
    for (size_t c = 0; c < CLI_N_COMMANDS; c++) {
        const cliopt_cmd *cmd = CLI_COMMANDS[c];
        snprintf(args, sizeof args, "--options %s", cmd->name);
        out[0] = '\n';                                /* every line between two newlines */
        assert_int_equal(nt(out + 1, sizeof out - 1, args), 0);
        if (out[1] != '-') fail_msg("nntrace %s: %s", args, out);
        assert_non_null(strstr(out, "\n--help\n"));
        for (size_t k = 0; k < cmd->n_opts; k++) {
            const cliopt *o = &cmd->opts[k];
            int value = o->kind != CLIOPT_FLAG;
            snprintf(line, sizeof line, "\n%s%s", o->name, value ? " " : "\n");
            if (!strstr(out, line))
                fail_msg("nntrace %s lacks \"%s\" %s:\n%s", args, o->name, value ? "with a value" : "alone", out);
        }
    }
    assert_int_equal(nt(out, sizeof out, "--options tex"), 0);
    assert_non_null(strstr(out, "\n--notation va|layer|netout|bar\n"));
    assert_non_null(strstr(out, "\n-o FILE\n"));
    assert_int_equal(nt(out, sizeof out, "--options xlsx"), 0);
    assert_non_null(strstr(out, "-o FILE\n--output FILE\n"));
    assert_int_equal(nt(out, sizeof out, "--options help"), 0);
    assert_string_equal(out, "-h\n--help\n");
}

/* bash completion (completion/nntrace.bash) as bash runs it: commands and
 * help topics, lesson names for every command whose usage starts with
 * LESSON, also after an option's value, and an option's choices. The
 * words are split as bash splits them: "--digits=3" is "--digits", "="
 * and "3" (COMP_WORDBREAKS has '='). compopt is recorded: file names are
 * completed as files (a directory gets its '/', no space after it). */
static void test_completion(void **state)
{
    (void)state;
    static const struct { const char *words, *want, *opts; } cases[] = {
        {"he", "help", ""},
        {"help l", "list lesson", ""},
        {"help ''", "run gradcheck list step quiz xlsx dot template check new keys tex variants mnist help lesson", ""},
        {"tex sauppe-f", "sauppe-forward", ""},
        {"variants sauppe-f", "sauppe-forward", ""},
        {"run --digits 3 sauppe-f", "sauppe-forward", ""},
        {"run --digits = 3 sauppe-f", "sauppe-forward", ""},
        {"run --format = json --digits = 3 sauppe-sg", "sauppe-sgd-step", ""},
        {"run --notation = l", "layer", ""},
        {"run --notation =", "va layer netout bar", ""},
        {"run --notation=l", "--notation=layer", ""},     /* '=' taken out of COMP_WORDBREAKS */
        {"run --digits = 3 --no", "--no-color --notation", ""},
        {"quiz --ask in_3 sauppe-sgd", "sauppe-sgd-step", ""},
        {"dot --step 1 sauppe-f", "sauppe-forward", ""},
        {"run -o x.txt sauppe-f", "sauppe-forward", ""},
        {"run sauppe-forward sauppe-f", "", ""},
        {"tex --notation ''", "va layer netout bar", ""},
        {"run --notation l", "layer", ""},
        {"dot --pass ''", "forward backward", ""},
        {"check --ecf ''", "full half none", ""},
        {"run --digits ''", "", ""},
        {"run --no", "--no-color --notation", ""},
        {"tex --b", "--beamer", ""},
        {"check sauppe-forward Makef", "Makefile", " -o filenames"},
        {"check sauppe-forward a.txt Makef", "Makefile", " -o filenames"},
        {"check sauppe-forward tes", "tests", " -o filenames"},
        {"run -o tes", "tests", " -o filenames"},
        {"xlsx sauppe-forward --output = tes", "tests", " -o filenames"},
        {"list complet", "completion", " -o filenames"},
        {"run complet", "completion", " -o filenames -o nospace"},
        {"new ''", "", ""},
    };
    char abs[4096], script[16384];
    bin_abs(abs);
    size_t used = (size_t)snprintf(script, sizeof script, "source completion/nntrace.bash; "
                                   "compopt() { local IFS=' '; opts+=\" $*\"; }; "
                                   "c() { opts=; COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); _nntrace; "
                                   "echo \"[${COMPREPLY[*]}]$opts\"; }; ");
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++)
        used += (size_t)snprintf(script + used, sizeof script - used, "c %s %s; ", abs, cases[k].words);
    assert_true(used < sizeof script);
    char *qs = malloc(2 * used + 64), *d = qs;       /* the script in single quotes for sh */
    assert_non_null(qs);
    d += sprintf(d, "bash -c '");
    for (const char *c = script; *c; c++) {
        if (*c == '\'') { memcpy(d, "'\\''", 4); d += 4; }
        else *d++ = *c;
    }
    strcpy(d, "'");
    int st;
    char *out = run_sh(qs, &st);
    free(qs);
    assert_int_equal(st, 0);
    char *save = NULL, *line = strtok_r(out, "\n", &save);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char want[512];
        snprintf(want, sizeof want, "[%s]%s", cases[k].want, cases[k].opts);
        if (!line || strcmp(line, want))
            fail_msg("completion of nntrace %s: want %s, got %s", cases[k].words, want, line ? line : "nothing");
        line = strtok_r(NULL, "\n", &save);
    }
    free(out);
}

/* The quiz's help lists the forms of a number its not-a-number message
 * lists (one list, judge.h). */
static void test_quiz_number_forms(void **state)
{
    (void)state;
    int st;
    char *out = run_piped("?\nabc\nq\n", "quiz --ask in_3 sauppe-sgd-step", &st);
    const char *help = strstr(out, "answer with a number (");
    const char *bad = strstr(out, "not a number (write ");
    assert_non_null(help);
    assert_non_null(bad);
    help += strlen("answer with a number (");
    bad += strlen("not a number (write ");
    size_t n = strcspn(help, ")");
    if (n != strcspn(bad, ")") || strncmp(help, bad, n))
        fail_msg("quiz: the help's forms \"%.*s\" are not the error's \"%.*s\"", (int)n, help,
                 (int)strcspn(bad, ")"), bad);
    assert_int_equal(strncmp(help, JUDGE_NUMBER_FORMS, n), 0);
    free(out);
}

static void test_help_version_usage(void **state)
{
    (void)state;
    char out[8192], args[512];
    assert_int_equal(nt(out, sizeof out, "--help"), 0);
    assert_non_null(strstr(out, "gradcheck"));
    assert_int_equal(nt(out, sizeof out, "--version"), 0);
    assert_non_null(strstr(out, "nntrace 0."));
    assert_int_equal(nt(out, sizeof out, ""), 2);
    assert_int_equal(nt(out, sizeof out, "frobnicate"), 2);
    assert_non_null(strstr(out, "unknown command 'frobnicate'"));
    const char *cmds[] = {"run", "gradcheck", "list"};
    for (size_t k = 0; k < 3; k++) {
        snprintf(args, sizeof args, "%s --help", cmds[k]);
        assert_int_equal(nt(out, sizeof out, args), 0);
        assert_non_null(strstr(out, "usage: nntrace"));
    }
    assert_int_equal(nt(out, sizeof out, "run"), 2);
    assert_int_equal(nt(out, sizeof out, "run --bogus lessons/sauppe-forward.lesson"), 2);
    assert_int_equal(nt(out, sizeof out, "run --digits 99 lessons/sauppe-forward.lesson"), 2);
    assert_int_equal(nt(out, sizeof out, "run --format xml lessons/sauppe-forward.lesson"), 2);
}

static void test_run_exit_codes(void **state)
{
    (void)state;
    char out[65536], args[512];
    assert_int_equal(nt(out, sizeof out, "run lessons/sauppe-sgd-step.lesson"), 0);
    assert_non_null(strstr(out, "in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2 = 0.1*1 + 0.1*0.4 + 0.1*0.5 = 0.19"));
    assert_int_equal(nt(out, sizeof out, "run lessons/sauppe-forward.lesson"), 0);
    assert_non_null(strstr(out, "in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2 = 5*1 + 1*3 + (-2)*4 = 0"));
    /* a missing file and a bad lesson: file:line and exit 2 */
    assert_int_equal(nt(out, sizeof out, "run /nonexistent.lesson"), 2);
    assert_non_null(strstr(out, "/nonexistent.lesson: cannot open"));
    const char *bad = write_lesson("bad.lesson", "title T\ninput 1 2\nlayer logistic 3\nweight w_0,3 = x\n");
    snprintf(args, sizeof args, "run %s", bad);
    assert_int_equal(nt(out, sizeof out, args), 2);
    assert_non_null(strstr(out, "bad.lesson:4: 'x' is not a number"));
    /* a lesson whose expectation is wrong: exit 1 and FAIL shown */
    const char *wrong = write_lesson("wrong.lesson",
        "title T\ninput 1 2\nlayer logistic 3\nweight w_0,3 = 0.1\nweight w_1,3 = 0.1\n"
        "weight w_2,3 = 0.1\nexample 0.4 0.5\nexpect in_3 = 0.20\nexpect a_3 = 0.5474\n");
    snprintf(args, sizeof args, "run %s", wrong);
    assert_int_equal(nt(out, sizeof out, args), 1);
    assert_non_null(strstr(out, "FAIL in_3 = 0.2 (trace: 0.19)"));
    assert_non_null(strstr(out, "1 of 2 expectations hold"));
    /* exact mode on a hand-rounded lesson does not claim the lecture's values */
    assert_int_equal(nt(out, sizeof out, "run --exact lessons/sauppe-forward.lesson"), 0);
    assert_non_null(strstr(out, "a_4 = g(in_4) = 1/(1+exp(-(-1))) = 0.27"));
    assert_non_null(strstr(out, "expectations not checked"));
    assert_int_equal(nt(out, sizeof out, "run --exact --digits 4 lessons/sauppe-forward.lesson"), 0);
    assert_non_null(strstr(out, "= (-1)*1 + 4*0.5 + 2*0.2689 = 1.5379"));
}

static void test_formats_and_passes(void **state)
{
    (void)state;
    char out[65536];
    assert_int_equal(nt(out, sizeof out, "run --format json lessons/sauppe-sgd-step.lesson"), 0);
    assert_non_null(strstr(out, "\"name\": \"in_3\", \"display\": \"in_3\", \"kind\": \"in\", \"pass\": \"forward\", \"j\": 3"));
    assert_non_null(strstr(out, "\"operands\": [\"w_0,3\", \"a_0\", \"w_1,3\", \"x_1\", \"w_2,3\", \"x_2\"]"));
    assert_int_equal(nt(out, sizeof out, "run --format csv lessons/sauppe-sgd-step.lesson"), 0);
    assert_non_null(strstr(out, "id,name,display,kind,pass,j,i,step,example,formula,substituted,value,carried,notes,operands\n"));
    assert_non_null(strstr(out, ",\"w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2\",0.1*1 + 0.1*0.4 + 0.1*0.5,0.19,0.19,,"));
    assert_int_equal(nt(out, sizeof out, "run --passes backward lessons/sauppe-sgd-step.lesson"), 0);
    assert_non_null(strstr(out, "delta_3 = -2*err_3*g'(in_3)"));
    assert_null(strstr(out, "in_3 = w_0,3"));
    /* --passes also filters the expectations to the passes shown */
    assert_non_null(strstr(out, "  ok   g'(in_3) = 0.2478"));
    assert_null(strstr(out, "ok   in_3 = 0.19"));
    assert_non_null(strstr(out, "1 of 1 expectations hold (8 more in passes not shown"));
    assert_int_equal(nt(out, sizeof out, "run lessons/sauppe-sgd-step.lesson"), 0);
    assert_non_null(strstr(out, "9 of 9 expectations hold\n"));
    /* colour: a name in cyan exactly, headings bold, never cyan */
    assert_int_equal(nt(out, sizeof out, "run --color lessons/sauppe-sgd-step.lesson"), 0);
    assert_non_null(strstr(out, "\033[1mstep 1 (t = 0)\033[0m\n"));
    assert_non_null(strstr(out, "\n \033[1mupdate (alpha = 0.5)\033[0m\n"));
    assert_non_null(strstr(out, "  \033[36min_3\033[0m = w_0,3*a_0"));
    assert_null(strstr(out, "\033[36mstep"));
    assert_null(strstr(out, "\033[36mupdate"));
    assert_int_equal(nt(out, sizeof out, "run --unicode --no-color lessons/sauppe-sgd-step.lesson"), 0);
    assert_non_null(strstr(out, "Δ₃ = -2·err₃·g'(in₃)"));
    assert_non_null(strstr(out, "w₀,₃⁽¹⁾ = w₀,₃ - α·∂J/∂w₀,₃"));
}

static void test_output_file_is_atomic(void **state)
{
    (void)state;
    char out[65536], args[512], path[300];
    snprintf(path, sizeof path, "%s/trace.txt", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs("precious\n", f) >= 0);
    assert_int_equal(fclose(f), 0);
    /* a bad lesson leaves the existing file alone */
    snprintf(args, sizeof args, "run -o %s /nonexistent.lesson", path);
    assert_int_equal(nt(out, sizeof out, args), 2);
    char *kept = slurp(path, NULL);
    assert_string_equal(kept, "precious\n");
    free(kept);
    snprintf(args, sizeof args, "run --golden -o %s lessons/sauppe-sgd-step.lesson", path);
    assert_int_equal(nt(out, sizeof out, args), 0);
    char *got = slurp(path, NULL), *want = slurp("traces/sauppe-sgd-step.txt", NULL);
    assert_non_null(got);
    assert_non_null(want);
    assert_string_equal(got, want);
    free(got);
    free(want);
    snprintf(args, sizeof args, "run -o %s lessons/sauppe-sgd-step.lesson", tmpdir);
    assert_int_equal(nt(out, sizeof out, args), 2);
    assert_non_null(strstr(out, "is a directory"));
    assert_int_equal(nt(out, sizeof out, "run -o /nonexistent/dir/t.txt lessons/sauppe-sgd-step.lesson"), 2);
    assert_non_null(strstr(out, "cannot write in /nonexistent/dir"));
}

static void test_gradcheck_and_list(void **state)
{
    (void)state;
    char out[65536], args[512];
    assert_int_equal(nt(out, sizeof out, "gradcheck lessons/sauppe-sgd-step.lesson"), 0);
    assert_non_null(strstr(out, "0 wrong"));
    /* a valid lesson with nothing to check is a note, not bad input */
    assert_int_equal(nt(out, sizeof out, "gradcheck lessons/sauppe-forward.lesson"), 0);  /* no targets */
    assert_non_null(strstr(out, "nothing to check: the examples have no targets"));
    assert_int_equal(nt(out, sizeof out, "gradcheck lessons/perceptron-and.lesson"), 0);
    assert_non_null(strstr(out, "nothing to check: the perceptron rule uses no gradient"));
    assert_int_equal(nt(out, sizeof out, "gradcheck lessons/mazur-2-2-2.lesson"), 0);
    assert_non_null(strstr(out, "\ndE_total/dw1 "));        /* named as its trace names it */
    /* J ~ 1e4 with gradients ~1e-3: central differences with h = 1e-6 carry
     * round-off of about 1e-16 J / h = 1e-6, which a fixed 1e-8 floor called
     * wrong; the noise floor of gradcheck.h does not */
    snprintf(args, sizeof args, "gradcheck %s", write_lesson("bigJ.lesson",
             "title big J, small gradient\ninput 1\nlayer logistic 2\nlayer identity 3\n"
             "weight w_0,2 = 0\nweight w_1,2 = -12\nweight w_0,3 = 0\nweight w_2,3 = 1\n"
             "loss sse\nrate 0.1\nexample 1 -> 100\n"));
    if (nt(out, sizeof out, args) != 0) fail_msg("gradcheck false alarm:\n%s", out);
    assert_non_null(strstr(out, "0 wrong"));
    assert_int_equal(nt(out, sizeof out, "list"), 0);
    assert_non_null(strstr(out, "sauppe-forward"));
    assert_non_null(strstr(out, "CS 457/557 Lecture 07-2a"));
    snprintf(args, sizeof args, "list %s/none", tmpdir);
    assert_int_equal(nt(out, sizeof out, args), 2);
}

/* `--` ends the options: a class folder named "-ada" is graded, not
 * taken for an option; without `--` it is an unknown option. */
static void test_double_dash(void **state)
{
    (void)state;
    char dir[64], cmd[16384], nt[4096], cwd[2048];
    assert_int_equal(tmpdir_make(dir, "dd"), 0);
    bin_abs(nt);
    assert_non_null(getcwd(cwd, sizeof cwd));   /* the lesson by path: any build finds it */
    snprintf(cmd, sizeof cmd, "cd %s && mkdir -- -ada && printf 'in_3 = 0.19\\n' > -ada/answers.txt && "
             "%s check %s/lessons/sauppe-sgd-step.lesson --ask in_3 --no-color -- -ada/answers.txt; echo rc=$?; "
             "%s check %s/lessons/sauppe-sgd-step.lesson --ask in_3 -ada/answers.txt; echo rc=$?",
             dir, nt, cwd, nt, cwd);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (!strstr(out, "answers: ./-ada/answers.txt") || !strstr(out, "rc=0") ||
        !strstr(out, "unknown option '-ada/answers.txt'") || !strstr(out, "rc=2"))
        fail_msg("%s", out);
    free(out);
    tmpdir_remove(dir);
}

/* A mistyped command, option or option value gets the nearest ones, from
 * the command table, the command's --help and the value's table. */
static void test_did_you_mean(void **state)
{
    (void)state;
    static const usage_case cases[] = {
        {"rnu", "nntrace: unknown command 'rnu'\nHINT: did you mean nntrace run?"},
        {"--hlep", "nntrace: unknown option '--hlep'\nHINT: did you mean nntrace --help?"},
        {"--verison", "nntrace: unknown option '--verison'\nHINT: did you mean nntrace --version?"},
        {"--option run", "nntrace: unknown option '--option'\nHINT: a command comes first"},
        {"--digits 3 run", "nntrace: unknown option '--digits'\nHINT: a command comes first"},
        {"help qiz", "nntrace help: unknown topic 'qiz'\nHINT: did you mean nntrace help quiz?"},
        {"run --exat sauppe-forward", "unknown option '--exat'\nHINT: did you mean --exact?"},
        {"run --digit 3 sauppe-forward", "unknown option '--digit'\nHINT: did you mean --digits?"},
        {"run --colour=yes sauppe-forward", "unknown option '--colour=yes'\nHINT: did you mean --color?"},
        {"run --passes forwrd sauppe-forward", "not 'forwrd'\nHINT: did you mean forward?"},
        {"run --passes given,backwrd sauppe-forward", "not 'backwrd'\nHINT: did you mean backward?"},
        {"run --format jsn sauppe-forward", "--format takes one of text|json|csv, not 'jsn'\nHINT: did you mean json?"},
        {"step --digit 3 sauppe-forward", "nntrace step: unknown option '--digit'\nHINT: did you mean --digits?"},
        {"quiz --tolerence 0.1 sauppe-forward", "HINT: did you mean --tolerance?"},
        {"gradcheck --tl 1 sauppe-forward", "HINT: did you mean --tol?"},
        {"dot --stp 1 sauppe-forward", "HINT: did you mean --step?"},
        {"run --zzzzzzzz sauppe-forward", "unknown option '--zzzzzzzz'\nHINT: nntrace run --help\n"},
        {"check --quiett sauppe-sgd-step x.txt", "nntrace check: unknown option '--quiett'\nHINT: did you mean --quiet?"},
        {"variants --rooster r.csv sauppe-sgd-step", "HINT: did you mean --roster?"},
        {"template --aks a_3 sauppe-sgd-step", "HINT: did you mean --ask?"},
        {"template", "nntrace template: which lesson?\nHINT: nntrace template sauppe-sgd-step\n"},
    };
    expect_usage(cases, sizeof cases / sizeof *cases);
}

/* `nntrace mnist` answers a mistyped option and a bad value of a choice as
 * every other command does: the nearest, from its option table. */
static void test_mnist_did_you_mean(void **state)
{
    (void)state;
    static const usage_case cases[] = {
        {"mnist --epoch 2", "nntrace mnist: unknown option '--epoch'\nHINT: did you mean --epochs? "
                            "(nntrace mnist --help lists the options)\n"},
        {"mnist --trace-sampel 3", "HINT: did you mean --trace-sample?"},
        {"mnist --epoch=2", "unknown option '--epoch=2'\nHINT: did you mean --epochs?"},
        {"mnist --act rellu", "nntrace mnist: --act takes one of relu|logistic|tanh, not 'rellu'\n"
                              "HINT: did you mean relu?\n"},
        {"mnist --act=tahn", "not 'tahn'\nHINT: did you mean tanh?"},
        {"mnist --loss softmax", "nntrace mnist: --loss takes one of softmax-ce|sse|mse, not 'softmax'\n"
                                 "HINT: did you mean softmax-ce?\n"},
        {"mnist --adapt onn", "nntrace mnist: --adapt takes one of on|off, not 'onn'\nHINT: did you mean on?\n"},
        {"mnist --adapt yes", "nntrace mnist: --adapt takes one of on|off, not 'yes'\n"},
        {"mnist --epochs", "nntrace mnist: option --epochs needs a value\n"},
        {"mnist --zzzzzzzz", "nntrace mnist: unknown option '--zzzzzzzz'\nHINT: nntrace mnist --help\n"},
        /* no data where it looks: where `make data` puts it, for an installed nntrace too */
        {"mnist --data /nonexistent/mnist --epochs 1",
         "nntrace mnist: /nonexistent/mnist/train-images-idx3-ubyte: No such file or directory\n"
         "HINT: `make data` in nntrace's source directory fetches MNIST into its data/mnist: run there, "
         "or pass --data SOURCE/data/mnist"},
    };
    expect_usage(cases, sizeof cases / sizeof *cases);
}

/* A value every check of row o accepts (the switch's own checks too). */
static const char *sample_value(const cliopt *o, char *buf, size_t size)
{
    static const struct { const char *name, *value; } special[] = {
        {"--feedback", "full"}, {"--visibility", "visible"}, {"--stdout-visibility", "visible"},
        {"--reveal", "visible"}, {"--passes", "forward"}, {"--act", "relu"}, {"--init", "he 1"},
    };
    for (size_t k = 0; k < sizeof special / sizeof *special; k++)
        if (!strcmp(o->name, special[k].name)) return special[k].value;
    switch (o->kind) {
    case CLIOPT_FLAG: return NULL;
    case CLIOPT_INT: snprintf(buf, size, "%d", o->lo); return buf;
    case CLIOPT_NUMBER: snprintf(buf, size, "%.17g", o->min); return buf;
    case CLIOPT_CHOICE: return o->choices[o->n_choices - 1];
    case CLIOPT_NOTATION: return LESSON_NOTATIONS[NOTATION_COUNT - 1];
    default: return "1";
    }
}

/* Every row of every command's table: its name unique in the table, its
 * help there, and cliopt_next takes it (and its value, both as `--opt V`
 * and `--opt=V`) as that row; a value option without its value is bad. */
static void test_option_tables_parse(void **state)
{
    (void)state;
    assert_true(CLI_N_COMMANDS >= 13);
    for (size_t c = 0; c < CLI_N_COMMANDS; c++) {
        const cliopt_cmd *cmd = CLI_COMMANDS[c];
        assert_non_null(cmd->name);
        assert_non_null(cmd->help);
        assert_true(cmd->n_opts > 0 && cmd->col > 4);
        for (size_t k = 0; k < cmd->n_opts; k++) {
            const cliopt *o = &cmd->opts[k];
            if (o->id <= 0 && o->id != CLIOPT_HELP) fail_msg("%s %s: id %d", cmd->name, o->name, o->id);
            if (o->name[0] != '-') fail_msg("%s: '%s' is no option name", cmd->name, o->name);
            if (!o->with_prev && (!o->help || !o->help[0])) fail_msg("%s %s: no help", cmd->name, o->name);
            if (o->with_prev && k == 0) fail_msg("%s %s: with_prev on the first row", cmd->name, o->name);
            if (o->kind == CLIOPT_CHOICE && (!o->choices || !o->n_choices))
                fail_msg("%s %s: a choice without choices", cmd->name, o->name);
            for (size_t m = 0; m < cmd->n_opts; m++) {
                const cliopt *q = &cmd->opts[m];
                if (m != k && (!strcmp(o->name, q->name) || (q->alias && !strcmp(o->name, q->alias))))
                    fail_msg("%s: %s twice in the table", cmd->name, o->name);
                if (m != k && o->id == q->id) fail_msg("%s: %s and %s share an id", cmd->name, o->name, q->name);
            }
            if (o->id == CLIOPT_HELP) continue;      /* it would print the help */
            const char *names[2] = {o->name, o->alias};
            for (int n = 0; n < 2 && names[n]; n++) {
                char buf[64], eq[256], name[64];
                const char *v = sample_value(o, buf, sizeof buf);
                snprintf(name, sizeof name, "%s", names[n]);
                int value = o->kind != CLIOPT_FLAG && o->kind != CLIOPT_OWN;
                snprintf(eq, sizeof eq, "%s=%s", names[n], v ? v : "");
                char argv0[32], arg1[256];
                snprintf(argv0, sizeof argv0, "%s", cmd->name);
                for (int form = 0; form < 1 + value; form++) {
                    snprintf(arg1, sizeof arg1, "%s", form ? eq : name);
                    char *argv[] = {argv0, arg1, (char *)(form || !v ? NULL : v), NULL};
                    int argc = form || !value ? 2 : 3;
                    cliopt_parser p = CLIOPT_PARSER(cmd, argc, argv);
                    cliopt_value val;
                    int id = cliopt_next(&p, &val);
                    if (id != o->id) fail_msg("nntrace %s %s%s%s: parsed as %d, not %d", cmd->name, arg1,
                                              argc == 3 ? " " : "", argc == 3 ? v : "", id, o->id);
                    if (value && strcmp(val.s, v)) fail_msg("%s %s: value '%s'", cmd->name, arg1, val.s);
                    if (o->kind != CLIOPT_OWN) assert_int_equal(cliopt_next(&p, &val), CLIOPT_END);
                }
                if (value) {                          /* the value missing */
                    char *argv[] = {argv0, name, NULL};
                    cliopt_parser p = CLIOPT_PARSER(cmd, 2, argv);
                    cliopt_value val;
                    int fd = dup(2);                  /* its message is not this test's output */
                    FILE *devnull = fopen("/dev/null", "w");
                    assert_true(fd >= 0 && devnull);
                    assert_true(fflush(stderr) == 0 && dup2(fileno(devnull), 2) >= 0);
                    int id = cliopt_next(&p, &val);
                    assert_true(fflush(stderr) == 0 && dup2(fd, 2) >= 0);
                    assert_int_equal(close(fd), 0);
                    assert_int_equal(fclose(devnull), 0);
                    if (id != CLIOPT_BAD) fail_msg("nntrace %s %s without a value: %d", cmd->name, name, id);
                }
            }
        }
    }
}

/* The binary: every option of every table is taken by its command (an
 * unknown option after it is the first complaint), and shown in its --help,
 * each line of its help at the command's column. */
static void test_option_tables_binary(void **state)
{
    (void)state;
    static char help[16384], out[4096];
    char args[1024], buf[64], line[512];
    for (size_t c = 0; c < CLI_N_COMMANDS; c++) {
        const cliopt_cmd *cmd = CLI_COMMANDS[c];
        snprintf(args, sizeof args, "%s --help", cmd->name);
        assert_int_equal(nt(help, sizeof help, args), 0);
        for (size_t k = 0; k < cmd->n_opts; k++) {
            const cliopt *o = &cmd->opts[k];
            const char *names[2] = {o->name, o->alias};
            for (int n = 0; n < 2 && names[n]; n++) {
                snprintf(line, sizeof line, " %s", names[n]);
                if (!strstr(help, line)) fail_msg("nntrace %s --help does not show %s", cmd->name, names[n]);
                if (o->id == CLIOPT_HELP) continue;
                const char *v = sample_value(o, buf, sizeof buf);
                snprintf(args, sizeof args, "%s %s %s --no-such-option-zz", cmd->name, names[n], v ? v : "");
                int st = nt(out, sizeof out, args);
                if (st != 2 || !strstr(out, "unknown option '--no-such-option-zz'"))
                    fail_msg("nntrace %s: exit %d, the option %s not taken:\n%s", args, st, names[n], out);
            }
            /* each further line of its help starts at the column */
            for (const char *h = o->help ? strchr(o->help, '\n') : NULL; h; h = strchr(h + 1, '\n')) {
                snprintf(line, sizeof line, "\n%*s%.*s\n", cmd->col, "", (int)strcspn(h + 1, "\n"), h + 1);
                if (!strstr(help, line)) fail_msg("nntrace %s --help: the line%snot at column %d:\n%s",
                                                  cmd->name, line, cmd->col, help);
            }
        }
    }
}

/* An unknown option one letter short of a real one gets it suggested, for
 * every option of every command. */
static void test_option_tables_suggest(void **state)
{
    (void)state;
    static char out[4096];
    char args[512], typo[64];
    for (size_t c = 0; c < CLI_N_COMMANDS; c++) {
        const cliopt_cmd *cmd = CLI_COMMANDS[c];
        for (size_t k = 0; k < cmd->n_opts; k++) {
            const char *name = cmd->opts[k].name;
            if (strlen(name) < 4) continue;
            snprintf(typo, sizeof typo, "%.*s", (int)strlen(name) - 1, name);
            if (cliopt_find(cmd, typo)) continue;
            snprintf(args, sizeof args, "%s %s", cmd->name, typo);
            int st = nt(out, sizeof out, args);
            char want[256];
            snprintf(want, sizeof want, "nntrace %s: unknown option '%s'\nHINT: did you mean ", cmd->name, typo);
            const char *hint = strstr(out, want);
            const char *end = hint ? strstr(hint, "? (nntrace") : NULL;
            const char *at = hint ? strstr(hint, name) : NULL;
            if (st != 2 || !end || !at || at > end)
                fail_msg("nntrace %s: exit %d, want %s suggested:\n%s", args, st, name, out);
        }
    }
}

/* The README's recorded sessions for students are real output: each line of
 * the block [b, e) (less its indent; but a "..." line) is a line of what
 * `nntrace args` prints, in the same order, and with `whole` the next one
 * unless a "..." line stands between (a block that says it picks lines:
 * only in order); blanks at the end of a line (which editors take away) do
 * not count. */
enum { PICKED, WHOLE };
static void block_is_output(const char *intro, const char *b, const char *e, size_t indent, int whole,
                            const char *input, const char *args)
{
    int st;
    char *got = run_piped(input, args, &st);
    char *out = malloc(strlen(got) + 2);                  /* "\n" first: every line between two */
    assert_non_null(out);
    size_t n = 0;
    out[n++] = '\n';
    for (const char *g = got; *g; g++) {                  /* without the blanks that end a line */
        if (*g == '\n') while (n > 0 && out[n - 1] == ' ') n--;
        out[n++] = *g;
    }
    out[n] = '\0';
    free(got);
    const char *pos = out;
    int gap = 1;
    for (const char *l = b; l < e;) {
        const char *nl = strchr(l, '\n');
        size_t len = (size_t)(nl - l);
        char line[1024];
        if (len >= indent) l += indent, len -= indent;
        while (len > 0 && l[len - 1] == ' ') len--;
        snprintf(line, sizeof line, "\n%.*s\n", (int)len, l);
        l = nl + 1;
        if (!strcmp(line, "\n...\n") || !strcmp(line, "\n  ...\n")) { gap = 1; continue; }
        const char *f = strstr(pos, line);
        if (!f) fail_msg("README.md, the block after \"%s\": the line%sis not in the output of "
                         "`nntrace %s` (or not in this order):\n%s", intro, line, args, out);
        if (whole && !gap && f != pos)
            fail_msg("README.md, the block after \"%s\": before the line%sthe output has more:\n%.*s",
                     intro, line, (int)(f - pos), pos);
        gap = 0;
        pos = f + strlen(line) - 1;
    }
    free(out);
}

/* The fenced block after `intro`. */
static void readme_block_is_output(const char *readme, const char *intro, int whole, const char *input,
                                   const char *args)
{
    const char *at = strstr(readme, intro);
    if (!at) fail_msg("README.md no longer has \"%s\"", intro);
    const char *b = strstr(at, "```\n"), *e = b ? strstr(b + 4, "```") : NULL;
    assert_non_null(e);
    block_is_output(intro, b + 4, e, 0, whole, input, args);
}

/* An indented block "    $ shown" and the lines under it, indented as it
 * is, up to the first line that is not. */
static void readme_indented_is_output(const char *readme, const char *shown, const char *args)
{
    char intro[512];
    snprintf(intro, sizeof intro, "\n    $ %s\n", shown);
    const char *at = strstr(readme, intro);
    if (!at) fail_msg("README.md no longer has \"%s\"", intro);
    const char *b = at + strlen(intro), *e = b;
    while (!strncmp(e, "    ", 4) && strchr(e, '\n')) e = strchr(e, '\n') + 1;
    assert_true(e > b);
    block_is_output(shown, b, e, 4, WHOLE, "", args);
}

static void test_readme_sessions(void **state)
{
    (void)state;
    char *readme = slurp("README.md", NULL);
    assert_non_null(readme);
    readme_block_is_output(readme, "`make run` prints lecture 07-2c", WHOLE, "", "run lessons/sauppe-forward.lesson");
    readme_block_is_output(readme, "$ printf '\\nn\\nn\\nn\\nn\\np\\nq\\n' | nntrace step", WHOLE,
                           "\nn\nn\nn\nn\np\nq\n", "step lessons/sauppe-sgd-step.lesson");
    readme_block_is_output(readme, "$ printf '0.2\\n\\n\\n0.5498", WHOLE, "0.2\n\n\n0.5498\n0.55\n0.5474\n0.4526\n",
                           "quiz lessons/sauppe-sgd-step.lesson --ask 'in_3 a_3 err_3'");
    readme_block_is_output(readme, "`?` lists the keys:", WHOLE, "?\nq\n", "step lessons/sauppe-sgd-step.lesson");
    readme_block_is_output(readme, "build/nntrace run mazur-2-2-2 --passes backward,gradients", WHOLE, "",
                           "run mazur-2-2-2 --passes backward,gradients");
    readme_block_is_output(readme, "The lecture 07-2a step, as the lecture writes it", PICKED, "", "run sauppe-sgd-step");
    readme_block_is_output(readme, "Lecture 07-2a's\ng'(in_3), hand-rounded:", WHOLE, "", "run --format json sauppe-sgd-step");
    readme_indented_is_output(readme, "nntrace run sauppe-froward", "run sauppe-froward");
    readme_indented_is_output(readme, "build/nntrace check lessons/sauppe-sgd-step.lesson "
                              "tests/grade/sauppe-sgd-step/degenerate.txt",
                              "check lessons/sauppe-sgd-step.lesson tests/grade/sauppe-sgd-step/degenerate.txt");
    readme_indented_is_output(readme, "build/nntrace template tests/grade/variants/hw.lesson "
                              "--student ada@example.edu --assignment 25828",
                              "template tests/grade/variants/hw.lesson --student ada@example.edu --assignment 25828");
    free(readme);
}

/* template: the check line names the lesson as it was given (a name stays
 * a name), and a sheet check could not read (over its 1 MiB) is refused
 * before it is written, with how to make it smaller. */
static void test_template_named_and_bounded(void **state)
{
    (void)state;
    static char out[1 << 16];
    assert_int_equal(nt(out, sizeof out, "template sauppe-sgd-step"), 0);
    assert_non_null(strstr(out, "# Check it with: nntrace check sauppe-sgd-step THIS_FILE\n"));
    assert_non_null(strstr(out, "#   learning rate alpha = 0.5\n"));
    /* `update no` takes no step: no learning rate among the givens */
    assert_int_equal(nt(out, sizeof out, "template csc413-mlp-backprop"), 0);
    assert_null(strstr(out, "learning rate"));
    char cmd[1024], path[256];
    snprintf(path, sizeof path, "%s/big.lesson", tmpdir);
    /* 10-20-5, 100 steps, every step traced: about 1.3 MB of answer lines */
    snprintf(cmd, sizeof cmd, "%s new 10-20-5 --init xavier 1 | sed 's/^steps .*/steps 100/' > %s && "
             "echo 'trace all' >> %s", bin(), path, path);
    int st;
    free(run_sh(cmd, &st));
    assert_int_equal(st, 0);
    snprintf(cmd, sizeof cmd, "template %s", path);
    assert_int_equal(nt(out, sizeof out, cmd), 2);
    assert_non_null(strstr(out, "its answer sheet would be"));
    assert_non_null(strstr(out, "over the 1048576-byte limit of an answer sheet that check reads"));
    assert_non_null(strstr(out, "HINT: ask fewer quantities"));
    snprintf(cmd, sizeof cmd, "template %s --ask 'in_*' > /dev/null", path);
    assert_int_equal(nt(out, sizeof out, cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template_named_and_bounded),
        cmocka_unit_test(test_help_version_usage),
        cmocka_unit_test(test_help_fits_80_columns),
        cmocka_unit_test(test_readme_lists_every_command),
        cmocka_unit_test(test_run_exit_codes),
        cmocka_unit_test(test_formats_and_passes),
        cmocka_unit_test(test_help_command),
        cmocka_unit_test(test_help_topics),
        cmocka_unit_test(test_one_of_and_empty),
        cmocka_unit_test(test_options_listing),
        cmocka_unit_test(test_completion),
        cmocka_unit_test(test_quiz_number_forms),
        cmocka_unit_test(test_output_file_is_atomic),
        cmocka_unit_test(test_gradcheck_and_list),
        cmocka_unit_test(test_double_dash),
        cmocka_unit_test(test_readme_sessions),
        cmocka_unit_test(test_did_you_mean),
        cmocka_unit_test(test_mnist_did_you_mean),
        cmocka_unit_test(test_option_tables_parse),
        cmocka_unit_test(test_option_tables_binary),
        cmocka_unit_test(test_option_tables_suggest),
    };
    return cmocka_run_group_tests_name("cli", tests, make_tmp, rm_tmp);
}
