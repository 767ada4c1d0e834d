/*
 * main.c - nntrace: every number of a neural-network derivation, visible.
 *
 * Dispatches to the subcommands (cli.h). The table below is the whole list,
 * each command with its option table; `nntrace --help` prints it, `nntrace
 * help TOPIC` answers for each of its commands and the topics after it, and
 * `nntrace --options COMMAND` lists a command's options for scripts (the
 * bash completion reads these two, so it never drifts from the binary).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eval.h"
#include "fast/fast_cli.h"
#include "lesson_keys.h"
#include "suggest.h"
#include "wrap.h"

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const cliopt_cmd *opts;         /* its option table (cliopt.h) */
    const char *usage, *what;       /* the usage's first word after the name says what the
                                       first operand is: LESSON, [DIR], ... (the completion
                                       reads it) */
} command;

static int cmd_help(int argc, char **argv);
extern const cliopt_cmd CLI_HELP;

static const command COMMANDS[] = {
    {"run", cmd_run, &CLI_RUN, "run LESSON [options]", "the trace, then its expectations checked"},
    {"gradcheck", cmd_gradcheck, &CLI_GRADCHECK, "gradcheck LESSON [--tol X]",
     "backprop against central differences"},
    {"list", cmd_list, &CLI_LIST, "list [DIR]", "the lessons, their titles and sources"},
    {"step", cmd_step, &CLI_STEP, "step LESSON", "reveal the trace one quantity at a time"},
    {"quiz", cmd_quiz, &CLI_QUIZ, "quiz LESSON [--ask PATTERNS]", "ask for each quantity, with hints"},
    {"xlsx", cmd_xlsx, &CLI_XLSX, "xlsx LESSON -o FILE.xlsx", "a spreadsheet of live formulas"},
    {"dot", cmd_dot, &CLI_DOT, "dot LESSON [--step N]", "the network as Graphviz DOT"},
    {"template", cmd_template, &CLI_TEMPLATE, "template LESSON [--ask PATTERNS]", "an answer sheet to fill in"},
    {"check", cmd_check, &CLI_CHECK, "check LESSON ANSWERS... [options]", "grade hand calculations"},
    {"new", cmd_new, &CLI_NEW, "new SHAPE [options]", "a complete lesson to start from"},
    {"keys", cmd_keys, &CLI_KEYS, "keys [--markdown]", "the keys of a lesson file"},
    {"tex", cmd_tex, &CLI_TEX, "tex LESSON [--beamer|--fragment]", "the derivation as LaTeX or a Beamer deck"},
    {"variants", cmd_variants, &CLI_VARIANTS, "variants LESSON --roster CSV -o DIR",
     "a problem sheet per student, and the key"},
    {"mnist", fast_mnist_main, &FAST_MNIST_CLI, "mnist [options]", "train the fast path on MNIST"},
    {"help", cmd_help, &CLI_HELP, "help [COMMAND|lesson]", "a command's options, or the lesson keys"},
};
#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

/* The topics of `nntrace help TOPIC` besides the commands (each is the
 * command's --help): the command each runs, without arguments. */
static const struct { const char *name, *cmd; } HELP_TOPICS[] = {
    {"lesson", "keys"},
};
#define N_HELP_TOPICS (sizeof HELP_TOPICS / sizeof HELP_TOPICS[0])

/* The row of the command `name`, or NULL. */
static const command *command_named(const char *name)
{
    for (size_t k = 0; k < N_COMMANDS; k++)
        if (!strcmp(name, COMMANDS[k].name)) return &COMMANDS[k];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "nntrace %s - every number of a neural-network derivation, visible\n\n"
               "usage: nntrace COMMAND [options]   (nntrace help COMMAND for its options)\n\n",
            NNTRACE_VERSION);
    int width = 0;                  /* the widest usage: every description in one column */
    for (size_t k = 0; k < N_COMMANDS; k++)
        if ((int)strlen(COMMANDS[k].usage) > width) width = (int)strlen(COMMANDS[k].usage);
    strbuf b = {0};                 /* each description broken to 79 columns, under itself */
    for (size_t k = 0; k < N_COMMANDS; k++) {
        sb_printf(&b, "  %-*s  ", width, COMMANDS[k].usage);
        wrap_words(&b, COMMANDS[k].what, (size_t)width + 4, (size_t)width + 4, CLIOPT_WIDTH);
        sb_printf(&b, "\n");
    }
    char acts[512], losses[256];
    act_known(acts, sizeof acts);
    loss_known(losses, sizeof losses);
    sb_printf(&b, "\nlesson activations (%d, any case):\n    ", ACT_COUNT);
    wrap_words(&b, acts, 4, 4, CLIOPT_WIDTH);
    fprintf(f, "%s\nlesson losses (%d): %s\n", b.s ? b.s : "", LOSS_COUNT, losses);
    sb_free(&b);
    fprintf(f, "\nexit status: 0 ok, 1 a check or grade failed, 2 bad usage or bad input\n");
}

/* The command's status, unless standard output could not take everything
 * (a full disk, a closed pipe): then 2, with a message, whatever the
 * command printed. Every command's output passes here, so none can report
 * success for output that was lost. */
static int finish(int status)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout)) return status;
    if (status != EXIT_USAGE)               /* else the command has said why */
        fprintf(stderr, "nntrace: cannot write to standard output%s%s\n", errno ? ": " : "",
                errno ? strerror(errno) : "");
    return EXIT_USAGE;
}

/* "nntrace: unknown command 'X'" (after `prefix`, "" or "help"), with the
 * nearest commands of the table (and, after help, the other topics). */
static int unknown_command(const char *prefix, const char *name)
{
    const char *names[N_COMMANDS + N_HELP_TOPICS];
    size_t n = 0;
    char near[128];
    for (size_t k = 0; k < N_COMMANDS; k++) names[n++] = COMMANDS[k].name;
    for (size_t k = 0; *prefix && k < N_HELP_TOPICS; k++) names[n++] = HELP_TOPICS[k].name;
    fprintf(stderr, "nntrace%s%s: unknown %s '%s'\n", *prefix ? " " : "", prefix, *prefix ? "topic" : "command",
            name);
    if (suggest(name, names, n, near, sizeof near))
        fprintf(stderr, "HINT: did you mean nntrace %s%s%s? (nntrace %s lists the %s)\n",
                *prefix ? prefix : "", *prefix ? " " : "", near, *prefix ? "help --help" : "--help",
                *prefix ? "topics" : "commands");
    else
        fprintf(stderr, "HINT: nntrace %s lists the %s\n", *prefix ? "help --help" : "--help",
                *prefix ? "topics" : "commands");
    return EXIT_USAGE;
}

/* ------------------------------------------------------------------------
 * help: the commands, a command's --help, or a topic's command
 * ---------------------------------------------------------------------- */

static const cliopt HELP_OPTS[] = {
    {.id = CLIOPT_HELP, .name = "--help", .alias = "-h", .help = "this text"},
};

static int help_help(FILE *f)
{
    if (fputs("usage: nntrace help [COMMAND|lesson]\n\n"
              "Alone, the commands (as nntrace --help). With a command, its usage and\n"
              "options (as nntrace COMMAND --help). help lesson: the keys of a lesson file\n"
              "(as nntrace keys).\n\ntopics: ", f) < 0)
        return -1;
    strbuf names = {0}, b = {0};
    for (size_t k = 0; k < N_COMMANDS; k++) sb_printf(&names, " %s", COMMANDS[k].name);
    for (size_t k = 0; k < N_HELP_TOPICS; k++) sb_printf(&names, " %s", HELP_TOPICS[k].name);
    if (!names.failed) wrap_words(&b, names.s, 8, 8, CLIOPT_WIDTH);
    int rc = names.failed || b.failed ? -1 : fputs(b.s, f);
    sb_free(&names);
    sb_free(&b);
    if (rc < 0 || fputs("\n\noptions:\n", f) < 0 || cliopt_help(f, &CLI_HELP)) return -1;
    return fputs("\nexit status: 0 written, 2 an unknown topic or bad usage\n", f) < 0 ? -1 : 0;
}

const cliopt_cmd CLI_HELP = {.name = "help", .opts = HELP_OPTS, .n_opts = CLIOPT_COUNT(HELP_OPTS), .col = 14,
                             .help = help_help};

static int cmd_help(int argc, char **argv)
{
    const char *topic = NULL;
    cliopt_parser p = CLIOPT_PARSER(&CLI_HELP, argc, argv);
    cliopt_value val;
    for (int id; (id = cliopt_next(&p, &val)) != CLIOPT_END;) {
        if (id == CLIOPT_HELP) return 0;
        if (id == CLIOPT_BAD) return EXIT_USAGE;
        if (id == CLIOPT_ARG && topic) {
            fprintf(stderr, "nntrace help: one topic at a time: '%s', then '%s'\nHINT: nntrace help %s\n",
                    topic, val.s, topic);
            return EXIT_USAGE;
        }
        topic = val.s;
    }
    if (!topic) {
        usage(stdout);
        return 0;
    }
    const command *c = command_named(topic);
    if (c) {                                   /* help included: help --help */
        char *hargv[] = {(char *)c->name, "--help", NULL};
        return c->fn(2, hargv);
    }
    for (size_t k = 0; k < N_HELP_TOPICS; k++)
        if (!strcmp(topic, HELP_TOPICS[k].name)) {
            c = command_named(HELP_TOPICS[k].cmd);
            char *targv[] = {(char *)c->name, NULL};
            return c->fn(1, targv);
        }
    return unknown_command("help", topic);
}

/* nntrace --options COMMAND: its options, for scripts (cliopt_list). */
static int list_options(int argc, char **argv)
{
    const command *c = argc == 3 ? command_named(argv[2]) : NULL;
    if (argc != 3) {
        fprintf(stderr, "nntrace: --options takes one command\nHINT: nntrace --options run\n");
        return EXIT_USAGE;
    }
    if (!c) return unknown_command("", argv[2]);
    return cliopt_list(stdout, c->opts) ? EXIT_USAGE : 0;
}

static int dispatch(int argc, char **argv);
static int run_command(int (*fn)(int, char **), int argc, char **argv);

int main(int argc, char **argv)
{
    return finish(dispatch(argc, argv));
}

static int top_help(int argc, char **argv)
{
    (void)argc, (void)argv;
    usage(stdout);
    return 0;
}

static int top_version(int argc, char **argv)
{
    (void)argc, (void)argv;
    printf("nntrace %s\n", NNTRACE_VERSION);
    return 0;
}

/* The options of nntrace itself, before any command; a hidden one is for
 * scripts and never suggested. */
static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    int hidden;
} TOP_OPTIONS[] = {
    {.name = "--help", .fn = top_help},
    {.name = "-h", .fn = top_help},
    {.name = "--version", .fn = top_version},
    {.name = "--options", .fn = list_options, .hidden = 1},
};
#define N_TOP_OPTIONS (sizeof TOP_OPTIONS / sizeof TOP_OPTIONS[0])

/* "nntrace: unknown option 'X'", with the nearest options of nntrace. */
static int unknown_option(const char *name)
{
    const char *names[N_TOP_OPTIONS];
    size_t n = 0;
    char near[128];
    for (size_t k = 0; k < N_TOP_OPTIONS; k++)
        if (!TOP_OPTIONS[k].hidden) names[n++] = TOP_OPTIONS[k].name;
    fprintf(stderr, "nntrace: unknown option '%s'\n", name);
    if (suggest(name, names, n, near, sizeof near))
        fprintf(stderr, "HINT: did you mean nntrace %s? (nntrace --help lists the commands)\n", near);
    else
        fprintf(stderr, "HINT: a command comes first: nntrace --help lists them\n");
    return EXIT_USAGE;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    for (size_t k = 0; k < N_TOP_OPTIONS; k++)
        if (!strcmp(argv[1], TOP_OPTIONS[k].name)) return TOP_OPTIONS[k].fn(argc, argv);
    const command *c = command_named(argv[1]);
    if (c) return run_command(c->fn, argc - 1, argv + 1);
    return argv[1][0] == '-' && argv[1][1] ? unknown_option(argv[1]) : unknown_command("", argv[1]);
}

/* `--` ends the options of every command: it is dropped, and each later
 * operand that begins with '-' (a student's folder "-ada/answers.txt") is
 * passed as "./-ada/answers.txt", the same path, which no option parser
 * takes for an option. "-" alone (standard input) stays as it is. */
static int run_command(int (*fn)(int, char **), int argc, char **argv)
{
    int dd = 0;
    while (dd < argc && strcmp(argv[dd], "--")) dd++;
    if (dd == argc) return fn(argc, argv);
    char **v = calloc((size_t)argc + 1, sizeof *v);
    if (!v) { fprintf(stderr, "nntrace: out of memory\n"); return EXIT_USAGE; }
    int n = 0, status = EXIT_USAGE;
    for (int k = 0; k < argc; k++) {
        if (k == dd) continue;
        if (k > dd && argv[k][0] == '-' && argv[k][1]) {
            size_t len = strlen(argv[k]) + 3;
            if (!(v[n] = malloc(len))) { fprintf(stderr, "nntrace: out of memory\n"); goto cleanup; }
            snprintf(v[n++], len, "./%s", argv[k]);
        } else {
            v[n++] = argv[k];
        }
    }
    status = fn(n, v);
cleanup:
    for (int k = 0, m = 0; k < argc && m < n; k++) {   /* free only the copies */
        if (k == dd) continue;
        if (v[m] != argv[k]) free(v[m]);
        m++;
    }
    free(v);
    return status;
}
