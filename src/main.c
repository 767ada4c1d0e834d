/*
 * main.c - nntrace: every number of a neural-network derivation, visible.
 *
 * Dispatches to the subcommands (cli.h). The table below is the whole list;
 * `nntrace --help` prints it.
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

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage, *what;
} command;

static const command COMMANDS[] = {
    {"run", cmd_run, "run LESSON [options]", "print the lesson's trace and check its expectations"},
    {"gradcheck", cmd_gradcheck, "gradcheck LESSON [--tol X]", "central differences against backprop for every weight"},
    {"list", cmd_list, "list [DIR]", "the lessons with their titles and sources"},
    {"step", cmd_step, "step LESSON", "reveal the trace one quantity at a time"},
    {"quiz", cmd_quiz, "quiz LESSON [--ask PATTERNS]", "ask for each quantity, with hints"},
    {"xlsx", cmd_xlsx, "xlsx LESSON -o FILE.xlsx", "a spreadsheet of live formulas"},
    {"dot", cmd_dot, "dot LESSON [--step N]", "the network as Graphviz DOT"},
    {"template", cmd_template, "template LESSON [--ask PATTERNS]", "an answer sheet to fill in"},
    {"check", cmd_check, "check LESSON ANSWERS... [options]", "grade hand calculations"},
    {"new", cmd_new, "new SHAPE [options]", "a complete lesson to start from (2-3-2: every weight)"},
    {"keys", cmd_keys, "keys [--markdown]", "the keys of a lesson file (also: help lesson)"},
    {"tex", cmd_tex, "tex LESSON [--beamer|--fragment]", "the derivation as LaTeX, or a Beamer deck"},
    {"variants", cmd_variants, "variants LESSON --roster CSV -o DIR", "a problem sheet per student, and the key"},
    {"mnist", fast_mnist_main, "mnist [options]", "train the fast path on MNIST"},
};
#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *f)
{
    fprintf(f, "nntrace %s - every number of a neural-network derivation, visible\n\n"
               "usage: nntrace COMMAND [options]   (nntrace help COMMAND for its options)\n\n",
            NNTRACE_VERSION);
    for (size_t k = 0; k < N_COMMANDS; k++)
        fprintf(f, "  %-34s %s\n", COMMANDS[k].usage, COMMANDS[k].what);
    char acts[512], losses[256];
    act_known(acts, sizeof acts);
    loss_known(losses, sizeof losses);
    fprintf(f, "\nlesson activations (%d, any case):\n   ", ACT_COUNT);
    int col = 3;
    char *save = NULL;
    for (const char *w = strtok_r(acts, " ", &save); w; w = strtok_r(NULL, " ", &save)) {   /* wrapped at 78 */
        int n = (int)strlen(w);
        if (col + 1 + n > 78) { fprintf(f, "\n   "); col = 3; }
        fprintf(f, " %s", w);
        col += 1 + n;
    }
    fprintf(f, "\nlesson losses (%d): %s\n", LOSS_COUNT, losses);
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
 * nearest commands of the table. */
static int unknown_command(const char *prefix, const char *name)
{
    const char *names[N_COMMANDS + 1];
    char near[128];
    for (size_t k = 0; k < N_COMMANDS; k++) names[k] = COMMANDS[k].name;
    names[N_COMMANDS] = "help";
    fprintf(stderr, "nntrace%s%s: unknown command '%s'\n", *prefix ? " " : "", prefix, name);
    if (suggest(name, names, N_COMMANDS + 1, near, sizeof near))
        fprintf(stderr, "HINT: did you mean nntrace %s%s%s? (nntrace --help lists the commands)\n",
                *prefix ? prefix : "", *prefix ? " " : "", near);
    else
        fprintf(stderr, "HINT: nntrace --help lists the commands\n");
    return EXIT_USAGE;
}

static int dispatch(int argc, char **argv);
static int run_command(int (*fn)(int, char **), int argc, char **argv);

int main(int argc, char **argv)
{
    return finish(dispatch(argc, argv));
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "help") && argc >= 3 && !strcmp(argv[2], "lesson"))
        return cmd_keys(argc - 2, argv + 2);
    if (!strcmp(argv[1], "help") && argc >= 3) {   /* help CMD is CMD --help */
        for (size_t k = 0; k < N_COMMANDS; k++)
            if (!strcmp(argv[2], COMMANDS[k].name)) {
                char *hargv[] = {argv[2], "--help", NULL};
                return COMMANDS[k].fn(2, hargv);
            }
        return unknown_command("help", argv[2]);
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("nntrace %s\n", NNTRACE_VERSION);
        return 0;
    }
    for (size_t k = 0; k < N_COMMANDS; k++)
        if (!strcmp(argv[1], COMMANDS[k].name)) return run_command(COMMANDS[k].fn, argc - 1, argv + 1);
    return unknown_command("", argv[1]);
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
