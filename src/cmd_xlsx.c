/*
 * cmd_xlsx.c - `nntrace xlsx LESSON -o FILE.xlsx`: the lesson's run as a
 * workbook of live formulas with cached values (layout in xlsx.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "outfile.h"
#include "xlsx.h"
#include "xlsx_exercise.h"

enum xlsx_opt {
    XLSX_OUT = 1, XLSX_DIGITS, XLSX_EXACT, XLSX_ROUNDED, XLSX_ALL_STEPS, XLSX_CHAIN, XLSX_NOTATION,
    XLSX_SHEET_WORD, XLSX_EXERCISE, XLSX_ASK,
};

#define XLSX_STR_(X) #X
#define XLSX_STR(X) XLSX_STR_(X)

static const cliopt XLSX_OPTS[] = {
    {.id = XLSX_OUT, .name = "--output", .alias = "-o", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "the workbook to write (required; replaced atomically)"},
    {.id = XLSX_DIGITS, .name = "--digits", .meta = "N", .kind = CLIOPT_INT, .lo = 0, .hi = 12,
     .help = "decimals shown by the number format (default: the\n"
             "lesson's)"},
    CLI_OPT_EXACT(XLSX_EXACT),
    CLI_OPT_ROUNDED(XLSX_ROUNDED),
    {.id = XLSX_ALL_STEPS, .name = "--all-steps", .help = "a sheet for every step, whatever the lesson traces"},
    CLI_OPT_CHAIN(XLSX_CHAIN),
    {.id = XLSX_NOTATION, .name = "--notation", .kind = CLIOPT_NOTATION,
     .help = "names of the lecture in the name and formula columns\n"
             "(default: the lesson's notation)"},
    {.id = XLSX_SHEET_WORD, .name = "--sheet-word", .meta = "WORD", .kind = CLIOPT_STRING,
     .help = "step sheets are named \"WORD 1\", \"WORD 2\", ...\n"
             "(default Step; at most " XLSX_STR(XLSX_MAX_WORD) " characters, none of\n"
             "[]:*?/\\')"},
    {.id = XLSX_EXERCISE, .name = "--exercise",
     .help = "an exercise: the asked quantities are blank yellow\n"
             "cells to fill in, each with a check cell that turns\n"
             "green (right, to the lesson's tolerance) or red; the\n"
             "answers are on a hidden, protected sheet"},
    {.id = XLSX_ASK, .name = "--ask", .meta = "PATTERNS", .kind = CLIOPT_STRING,
     .help = "with --exercise: the blanks (names or globs, as for\n"
             "`nntrace template`; default: the lesson's `ask`, else\n"
             "its expectations, else every computed quantity)"},
};

static int xlsx_help(FILE *f)
{
    if (fputs("usage: nntrace xlsx LESSON -o FILE.xlsx [options]\n\n"
              "Write the lesson's run as a spreadsheet: a Settings sheet with the editable\n"
              "givens (learning rate, weight decay, weights, examples: yellow cells), a\n"
              "Summary sheet with J per step and a chart when the lesson trains two steps or\n"
              "more, and one sheet per traced step with a row per quantity: pass, name,\n"
              "symbolic formula, and a value cell that holds a live formula over its\n"
              "operands' cells plus the engine's value. Edit a weight or an input and every\n"
              "cell downstream recomputes. Hand-rounded lessons round every operand as the\n"
              "engine does.\n\n"
              "options:\n", f) < 0 || cliopt_help(f, &CLI_XLSX))
        return -1;
    return fputs("\nexit status: 0 written, 2 bad usage, bad lesson or the file cannot be written\n"
                 "(an existing FILE is left as it was)\n", f) < 0 ? -1 : 0;
}

const cliopt_cmd CLI_XLSX = {.name = "xlsx", .opts = XLSX_OPTS, .n_opts = CLIOPT_COUNT(XLSX_OPTS), .col = 24,
                             .help = xlsx_help};

int cmd_xlsx(int argc, char **argv)
{
    const char *path = NULL, *out = NULL, *ask = NULL;
    int exercise = 0;
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    xlsx_opts xo = {.digits = -1, .notation = -1};
    cliopt_parser p = CLIOPT_PARSER(&CLI_XLSX, argc, argv);
    cliopt_value val;
    for (int id; (id = cliopt_next(&p, &val)) != CLIOPT_END;) {
        if (id == CLIOPT_HELP) return 0;
        if (id == CLIOPT_BAD) return EXIT_USAGE;
        if (id == CLIOPT_ARG) {
            if (cli_one_lesson("xlsx", val.s, &path)) return EXIT_USAGE;
            continue;
        }
        switch ((enum xlsx_opt)id) {
        case XLSX_OUT:
            if (out) { fprintf(stderr, "nntrace xlsx: one output file ('%s' and '%s')\n", out, val.s); return EXIT_USAGE; }
            out = val.s;
            break;
        case XLSX_DIGITS: xo.digits = (int)val.n; break;
        case XLSX_NOTATION: xo.notation = (int)val.n; break;
        case XLSX_ROUNDED: eo.round = (int)val.n; break;
        case XLSX_EXACT: eo.round = -1; break;
        case XLSX_EXERCISE: exercise = 1; break;
        case XLSX_ASK:
            if (ask) {
                fprintf(stderr, "nntrace xlsx: one --ask list ('%s' and '%s'); put every pattern in one\n", ask, val.s);
                return EXIT_USAGE;
            }
            ask = val.s;
            break;
        case XLSX_ALL_STEPS: eo.trace_all = 1; break;
        case XLSX_CHAIN: eo.chain = 1; break;
        case XLSX_SHEET_WORD: xo.sheet_word = val.s; break;
        }
    }
    if (cli_need_lesson("xlsx", path, "nntrace xlsx sauppe-sgd-step -o sgd.xlsx")) return EXIT_USAGE;
    if (!out) {
        fprintf(stderr, "nntrace xlsx: where to? -o FILE.xlsx is required\n"
                        "HINT: nntrace xlsx %s -o lesson.xlsx\n", path);
        return EXIT_USAGE;
    }
    if (ask && !exercise) {
        fprintf(stderr, "nntrace xlsx: --ask chooses the blanks of an exercise workbook\n"
                        "HINT: nntrace xlsx %s --exercise --ask '%s' -o %s\n", path, ask, out);
        return EXIT_USAGE;
    }
    if (cli_not_input("xlsx", out, path)) return EXIT_USAGE;
    lesson *l = cli_lesson_for("xlsx", path);
    if (!l) return EXIT_USAGE;
    size_t ol = strlen(out);
    if ((ol < 5 || strcasecmp(out + ol - 5, ".xlsx")) && !outfile_is_stream(out)) {
        /* an .xlsx under another name would open as nothing else */
        const char *dot = strrchr(out, '.'), *slash = strrchr(out, '/');
        int stem = dot && (!slash || dot > slash) ? (int)(dot - out) : (int)ol;
        fprintf(stderr, "nntrace xlsx: the output file must end in .xlsx, not '%s'\n"
                        "HINT: -o %.*s.xlsx\n", out, stem, out);
        lesson_free(l);
        return EXIT_USAGE;
    }
    /* "SOURCE_DATE_EPOCH" pins the document time, for reproducible files */
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        errno = 0;
        long long t = strtoll(sde, &end, 10);
        if (!*end && !errno && t > 0) xo.created = (time_t)t;
    }
    engine_result r;
    char err[768];
    if (cli_engine_run(l, &eo, &r)) {
        lesson_free(l);
        return EXIT_USAGE;
    }
    xlsx_ex *ex = NULL;
    if (exercise && !(ex = xo.exercise = xlsx_ex_new(l, r.tr, xo.notation >= 0 ? xo.notation : l->notation,
                                                     ask, err, sizeof err))) {
        fprintf(stderr, "nntrace xlsx: %s: %s\n", path, err);
        engine_result_free(&r);
        lesson_free(l);
        return EXIT_USAGE;
    }
    xlsx_layout lay;
    memset(&lay, 0, sizeof lay);
    xlsx_status st = xlsx_write(out, l, &r, &xo, &lay, err, sizeof err);
    int status = 0;
    if (st != XLSX_OK) {
        fprintf(stderr, "nntrace xlsx: %s\n", err[0] ? err : xlsx_strerror(st));
        if (st == XLSX_ERR_OUTPUT && strstr(err, "is a directory"))
            fprintf(stderr, "HINT: name a file inside it, e.g. %s/lesson.xlsx\n", out);
        else if (st == XLSX_ERR_OUTPUT && strstr(err, "cannot write in"))
            fprintf(stderr, "HINT: the directory of %s must exist and be writable; nothing was changed\n", out);
        else if (st == XLSX_ERR_TOO_LARGE)
            fprintf(stderr, "HINT: trace fewer steps (the lesson's 'trace' line) or use a smaller network\n");
        status = EXIT_USAGE;
    } else {
        fprintf(stderr, "wrote %s: %zu quantities on %d sheet%s\n", out, r.tr->n, lay.n_sheets,
                lay.n_sheets == 1 ? "" : "s");
        if (ex)
            fprintf(stderr, "exercise: %zu blank%s to fill in; the answers are on the hidden sheet %s\n",
                    xlsx_ex_count(ex), xlsx_ex_count(ex) == 1 ? "" : "s", XLSX_EX_SHEET);
        char first[160];
        size_t nonfinite = engine_nonfinite(l, &r, first, sizeof first);
        if (nonfinite) {                     /* written as text, never as a number cell */
            fprintf(stderr, "note: %zu value%s not a finite number (the first: %s): the numbers overflowed; "
                            "their cells hold the text inf or nan, and formulas over them show errors\n",
                    nonfinite, nonfinite == 1 ? " is" : "s are", first);
            status = EXIT_CHECK;
        }
    }
    xlsx_ex_free(ex);
    engine_result_free(&r);
    lesson_free(l);
    return status;
}
