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

static void xlsx_help(FILE *f)
{
    fprintf(f,
        "usage: nntrace xlsx LESSON -o FILE.xlsx [options]\n\n"
        "Write the lesson's run as a spreadsheet: a Settings sheet with the editable\n"
        "givens (learning rate, weight decay, weights, examples: yellow cells), a\n"
        "Summary sheet with J per step and a chart when the lesson trains two steps or\n"
        "more, and one sheet per traced step with a row per quantity: pass, name,\n"
        "symbolic formula, and a value cell that holds a live formula over its\n"
        "operands' cells plus the engine's value. Edit a weight or an input and every\n"
        "cell downstream recomputes. Hand-rounded lessons use ROUND() on operands.\n\n"
        "options:\n"
        "  -o, --output FILE     the workbook to write (required; replaced atomically)\n"
        "  --digits N            decimals shown by the number format (default: the lesson's)\n"
        "  --exact               exact arithmetic, even if the lesson rounds by hand\n"
        "  --rounded N           round every operand to N decimals before use\n"
        "  --all-steps           a sheet for every step, whatever the lesson traces\n"
        CLI_HELP_CHAIN("              ", "                        ")
        "  --notation " NOTATION_CHOICES "\n"
        "                        names of the lecture in the name and formula columns\n"
        "                        (default: the lesson's notation)\n"
        "  --sheet-word WORD     step sheets are named \"WORD 1\", \"WORD 2\", ... (default Step;\n"
        "                        at most %d characters, none of []:*?/\\')\n"
        "  --exercise            an exercise: the asked quantities are blank yellow cells\n"
        "                        to fill in, each with a check cell that turns green\n"
        "                        (right, to the lesson's tolerance) or red; the answers\n"
        "                        are on a hidden, protected sheet\n"
        "  --ask PATTERNS        with --exercise: the blanks (names or globs, as for\n"
        "                        `nntrace template`; default: the lesson's `ask`, else\n"
        "                        its expectations, else every computed quantity)\n\n"
        "exit status: 0 written, 2 bad usage, bad lesson or the file cannot be written\n"
        "(an existing FILE is left as it was)\n", XLSX_MAX_WORD);
}

int cmd_xlsx(int argc, char **argv)
{
    const char *path = NULL, *out = NULL, *v = NULL, *ask = NULL;
    int exercise = 0;
    int rc;
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    xlsx_opts xo = {.digits = -1, .notation = -1};
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) { xlsx_help(stdout); return 0; }
        if ((rc = cli_opt(argc, argv, &k, "--output", 1, &v)) || (rc = cli_opt(argc, argv, &k, "-o", 1, &v))) {
            if (rc < 0) return EXIT_USAGE;
            if (out) { fprintf(stderr, "nntrace xlsx: one output file ('%s' and '%s')\n", out, v); return EXIT_USAGE; }
            out = v;
        } else if ((rc = cli_opt(argc, argv, &k, "--digits", 1, &v))) {
            if (rc < 0 || cli_int("xlsx", "--digits", v, 0, 12, &xo.digits)) return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "--notation", 1, &v))) {
            if (rc < 0 || cli_notation("xlsx", v, &xo.notation)) return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "--rounded", 1, &v))) {
            if (rc < 0 || cli_int("xlsx", "--rounded", v, 0, 12, &eo.round)) return EXIT_USAGE;
        } else if (!strcmp(argv[k], "--exact")) {
            eo.round = -1;
        } else if (!strcmp(argv[k], "--exercise")) {
            exercise = 1;
        } else if ((rc = cli_opt(argc, argv, &k, "--ask", 1, &v))) {
            if (rc < 0) return EXIT_USAGE;
            if (ask) { fprintf(stderr, "nntrace xlsx: one --ask list ('%s' and '%s'); put every pattern in one\n", ask, v); return EXIT_USAGE; }
            ask = v;
        } else if (!strcmp(argv[k], "--all-steps")) {
            eo.trace_all = 1;
        } else if (!strcmp(argv[k], "--chain")) {
            eo.chain = 1;
        } else if ((rc = cli_opt(argc, argv, &k, "--sheet-word", 1, &v))) {
            if (rc < 0) return EXIT_USAGE;
            xo.sheet_word = v;
        } else if (cli_lesson_arg_help("xlsx", argv[k], &path, xlsx_help)) {
            return EXIT_USAGE;
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
