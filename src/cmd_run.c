/*
 * cmd_run.c - `nntrace run`, `nntrace gradcheck`, `nntrace list`, and the
 * helpers every subcommand shares (lesson loading, options, colour).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fast/fast_cli.h"
#include "gradcheck.h"
#include "names.h"
#include "lessonpath.h"
#include "outfile.h"
#include "text.h"
#include "wrap.h"

/* ------------------------------------------------------------------------
 * Shared helpers
 * ---------------------------------------------------------------------- */

lesson *cli_lesson(const char *arg)
{
    return cli_lesson_for(NULL, arg);
}

lesson *cli_lesson_for(const char *cmd, const char *arg)
{
    char err[2048];
    lessonpath lp;
    if (lessonpath_init(&lp)) {
        fprintf(stderr, "nntrace: out of memory\n");
        return NULL;
    }
    char *path = lessonpath_find(&lp, arg, cmd, err, sizeof err);
    lessonpath_free(&lp);
    if (!path) {                      /* the file is missing: a hint about files */
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    lesson *l = lesson_load(path, err, sizeof err);
    if (!l) fprintf(stderr, "%s\nHINT: the lesson format is described in man 5 nntrace-lesson "
                            "and in README.md, \"Lesson files\"\n", err);
    free(path);
    return l;
}

int cli_cursor(FILE *f)
{
    const char *term = getenv("TERM");
    return isatty(fileno(f)) && !(term && !strcmp(term, "dumb"));
}

int cli_color(FILE *f)
{
    const char *nc = getenv("NO_COLOR");
    return cli_cursor(f) && !(nc && *nc);
}

int cli_unicode(FILE *f)
{
    const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    if (!isatty(fileno(f))) return 0;
    for (size_t k = 0; k < 3; k++) {
        const char *v = getenv(vars[k]);
        if (v && *v) return strstr(v, "UTF-8") || strstr(v, "utf8") || strstr(v, "UTF8") || strstr(v, "utf-8");
    }
    return 0;
}

int cli_one_lesson(const char *cmd, const char *arg, const char **path)
{
    if (*path) {
        fprintf(stderr, "nntrace %s: one lesson at a time ('%s' and '%s')\n", cmd, *path, arg);
        return -1;
    }
    *path = arg;
    return 0;
}

int cli_need_lesson(const char *cmd, const char *path, const char *hint)
{
    if (path && *path) return 0;
    if (path) fprintf(stderr, "nntrace %s: the lesson is an empty word: give a lesson's name or file\nHINT: %s\n",
                      cmd, hint);
    else fprintf(stderr, "nntrace %s: which lesson?\nHINT: %s\n", cmd, hint);
    return -1;
}

int cli_not_input(const char *cmd, const char *out, const char *in)
{
    char err[2048];
    if (!out || !in) return 0;
    lessonpath lp;
    char *file = NULL;
    if (access(in, F_OK) != 0 && !lessonpath_init(&lp)) {    /* a lesson named on the path */
        file = lessonpath_find(&lp, in, cmd, err, sizeof err);
        lessonpath_free(&lp);
    }
    int rc = outfile_not_input(out, file ? file : in, err, sizeof err);
    free(file);
    if (rc) fprintf(stderr, "nntrace %s: %s\n", cmd, err);
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    return clock_gettime(CLOCK_MONOTONIC, &ts) ? 0.0 : (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct { double start, last; int shown; } cli_progress_state;

static void cli_progress(void *ctx, long done, long all)
{
    cli_progress_state *s = ctx;
    double t = now_s();
    if (t - s->last < 0.5 || t - s->start < 1.0) return;
    s->last = t;
    s->shown = 1;
    fprintf(stderr, "\rstep %ld of %ld, %d%% ", done, all, (int)(100.0 * (double)done / (double)all));
}

int cli_engine_run(const lesson *l, engine_opts *eo, engine_result *r)
{
    cli_progress_state s = {0};
    if (isatty(STDERR_FILENO)) {
        s.start = s.last = now_s();
        eo->progress = cli_progress;
        eo->progress_ctx = &s;
    }
    char err[768];
    int erc = engine_run(l, eo, r, err, sizeof err);
    eo->progress = NULL;
    eo->progress_ctx = NULL;
    if (s.shown) fprintf(stderr, "\r%30s\r", "");
    if (erc) {
        fprintf(stderr, "%s\n", err);
        return EXIT_USAGE;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * run
 * ---------------------------------------------------------------------- */

enum run_opt {
    RUN_FORMAT = 1, RUN_DIGITS, RUN_EXACT, RUN_ROUNDED, RUN_PASSES, RUN_ALL_STEPS, RUN_CHAIN, RUN_NOTATION,
    RUN_ASCII, RUN_UNICODE, RUN_COLOR, RUN_NO_COLOR, RUN_WIDTH, RUN_GOLDEN, RUN_OUT,
};

static const char *const RUN_FORMATS[] = {"text", "json", "csv"};

static const cliopt RUN_OPTS[] = {
    {.id = RUN_FORMAT, .name = "--format", .kind = CLIOPT_CHOICE, .choices = RUN_FORMATS, .n_choices = 3,
     .help = "output form (default text)"},
    CLI_OPT_DIGITS(RUN_DIGITS),
    CLI_OPT_EXACT(RUN_EXACT),
    CLI_OPT_ROUNDED(RUN_ROUNDED),
    {.id = RUN_PASSES, .name = "--passes", .meta = "LIST", .kind = CLIOPT_STRING,
     .help = "passes to show, comma-separated from\n"
             "given,forward,loss,backward,gradients,update"},
    {.id = RUN_ALL_STEPS, .name = "--all-steps", .help = "trace every step, whatever the lesson says"},
    CLI_OPT_CHAIN(RUN_CHAIN),
    {.id = RUN_NOTATION, .name = "--notation", .kind = CLIOPT_NOTATION,
     .help = "names of the lecture: va in_j a_j Delta_j (001),\n"
             "layer z^[l] a^[l] W^[l] (000, 003), netout net/out\n"
             "E_total (002), bar error signals zbar wbar (004);\n"
             "values never change (default: the lesson's notation)"},
    CLI_OPT_SYMBOLS(RUN_ASCII, RUN_UNICODE),
    CLI_OPT_COLOR(RUN_COLOR, RUN_NO_COLOR),
    {.id = RUN_WIDTH, .name = "--width", .meta = "N", .kind = CLIOPT_INT, .lo = 0, .hi = 100000,
     .help = "wrap long lines at their operators to N columns,\n"
             "never inside a number; 0: never (default: the\n"
             "terminal's width, else $COLUMNS, else no wrapping)"},
    {.id = RUN_GOLDEN, .name = "--golden", .help = "the golden form: ASCII, no colour, no wrapping"},
    {.id = RUN_OUT, .name = "-o", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "write to FILE (atomically: complete or not at all)"},
};

static int run_help(FILE *f)
{
    if (fputs("usage: nntrace run LESSON [options]\n\n"
              "Print every quantity of the lesson's forward pass, loss, backward pass,\n"
              "gradients and updates as: name = symbolic form = numbers substituted = value.\n"
              "Then check the lesson's expectations (the lecture's printed values).\n\n"
              "options:\n", f) < 0 || cliopt_help(f, &CLI_RUN))
        return -1;
    return fputs("\nexit status: 0 expectations hold, 1 one fails, 2 bad usage or bad lesson\n", f) < 0 ? -1 : 0;
}

const cliopt_cmd CLI_RUN = {.name = "run", .opts = RUN_OPTS, .n_opts = CLIOPT_COUNT(RUN_OPTS), .col = 27,
                            .help = run_help};

/* --passes LIST into a mask of passes; -1 after a message naming the first
 * word that is no pass, with the nearest. */
static int parse_passes(const char *s, unsigned *mask)
{
    const char *names[PASS_COUNT];
    char list[256] = "", tok[256];
    for (int p = 0; p < PASS_COUNT; p++) {
        names[p] = trace_pass_name((q_pass)p);
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", p ? "|" : "", names[p]);
    }
    size_t used = strlen(list);
    snprintf(list + used, sizeof list - used, " (comma-separated)");
    *mask = 0;
    for (const char *t = s;; t += strcspn(t, ",") + 1) {
        snprintf(tok, sizeof tok, "%.*s", (int)strcspn(t, ","), t);
        int p;
        for (p = 0; p < PASS_COUNT && strcmp(tok, names[p]); p++) {}
        if (p == PASS_COUNT) {
            cli_bad_choice("run", "--passes", tok, list, names, PASS_COUNT);
            return -1;
        }
        *mask |= 1u << p;
        if (!t[strcspn(t, ",")]) break;
    }
    return 0;
}

/* The text trace's --passes asked only for passes the trace does not have
 * (backward of a forward pass): -1 after a message naming those it has;
 * an empty trace with exit 0 said nothing. Else 0. */
static int passes_missing(const char *path, const trace *tr, unsigned mask)
{
    unsigned have = 0;
    for (size_t id = 0; id < tr->n; id++) have |= 1u << tr->q[id].pass;
    if (have & mask) return 0;
    char list[256] = "";
    for (int p = 0; p < PASS_COUNT; p++)
        if (have & (1u << p)) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", used ? "," : "", trace_pass_name((q_pass)p));
        }
    fprintf(stderr, "nntrace run: %s: --passes asks only for passes the trace does not have\n"
                    "HINT: its passes are %s\n", path, list[0] ? list : "none");
    return -1;
}

int cmd_run(int argc, char **argv)
{
    const char *path = NULL, *format = "text", *outpath = NULL;
    int digits = -1, ascii = -1, color = -1, notation = -1, width = -1;
    unsigned passes = ~0u;
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    cliopt_parser p = CLIOPT_PARSER(&CLI_RUN, argc, argv);
    cliopt_value val;
    for (int id; (id = cliopt_next(&p, &val)) != CLIOPT_END;) {
        if (id == CLIOPT_HELP) return 0;
        if (id == CLIOPT_BAD) return EXIT_USAGE;
        if (id == CLIOPT_ARG) {
            if (cli_one_lesson("run", val.s, &path)) return EXIT_USAGE;
            continue;
        }
        switch ((enum run_opt)id) {
        case RUN_FORMAT: format = val.s; break;
        case RUN_DIGITS: digits = (int)val.n; break;
        case RUN_ROUNDED: eo.round = (int)val.n; break;
        case RUN_EXACT: eo.round = -1; break;
        case RUN_PASSES: if (parse_passes(val.s, &passes)) return EXIT_USAGE; break;
        case RUN_NOTATION: notation = (int)val.n; break;
        case RUN_OUT: outpath = val.s; break;
        case RUN_ALL_STEPS: eo.trace_all = 1; break;
        case RUN_CHAIN: eo.chain = 1; break;
        case RUN_ASCII: ascii = 1; break;
        case RUN_UNICODE: ascii = 0; break;
        case RUN_COLOR: color = 1; break;
        case RUN_NO_COLOR: color = 0; break;
        case RUN_GOLDEN: ascii = 1; color = 0; width = 0; break;
        case RUN_WIDTH: width = (int)val.n; break;
        }
    }
    if (cli_need_lesson("run", path, "nntrace run sauppe-forward")) return EXIT_USAGE;
    if (cli_not_input("run", outpath, path)) return EXIT_USAGE;
    lesson *l = cli_lesson_for("run", path);
    if (!l) return EXIT_USAGE;
    engine_result r;
    char err[512];
    if (cli_engine_run(l, &eo, &r)) {
        lesson_free(l);
        return EXIT_USAGE;
    }
    if (passes != ~0u && !strcmp(format, "text") && passes_missing(path, r.tr, passes)) {
        engine_result_free(&r);
        lesson_free(l);
        return EXIT_USAGE;
    }
    if (digits < 0) digits = l->digits;
    int wrc, failed = 0;
    outfile of = {0};
    FILE *out = stdout;
    if (outpath) {
        if (outfile_open(&of, outpath, 1, err, sizeof err)) {
            fprintf(stderr, "nntrace run: %s\n", err);
            engine_result_free(&r);
            lesson_free(l);
            return EXIT_USAGE;
        }
        out = of.f;
    }
    errno = 0;
    if (!strcmp(format, "json")) {
        wrc = text_print_json(out, l, &r, digits, notation >= 0 ? notation : l->notation);
    } else if (!strcmp(format, "csv")) {
        wrc = text_print_csv(out, l, &r, digits, notation >= 0 ? notation : l->notation);
    } else {
        /* a file is wrapped only when --width asks */
        text_opts o = {.digits = digits, .unicode = ascii < 0 ? cli_unicode(out) : !ascii,
                       .color = color < 0 ? cli_color(out) : color, .passes = passes,
                       .width = outpath ? (width > 0 ? width : 0) : wrap_width(STDOUT_FILENO, width)};
        wrc = text_print_trace_n(out, l, &r, &o, notation >= 0 ? notation : l->notation);
        if (!wrc && r.tr->round != l->round && l->n_expects) {
            fprintf(out, "\nexpectations not checked: the lecture's values hold in the lesson's %s mode\n",
                   l->round >= 0 ? "hand-rounded" : "exact");
        } else if (!wrc) {
            failed = text_check_expectations_in(out, l, &r, &o, notation >= 0 ? notation : l->notation);
            if (failed < 0) {
                errno = ENOMEM;
                wrc = -1;
            }
        }
    }
    char first[160];
    size_t nonfinite = engine_nonfinite(l, &r, first, sizeof first);
    if (nonfinite && !wrc) {                 /* an overflow is never silent, nor exit 0 */
        FILE *nf = strcmp(format, "json") && strcmp(format, "csv") ? out : stderr;
        if (fprintf(nf, "%snote: %zu value%s not a finite number (the first: %s): the numbers "
                    "overflowed; a smaller rate, smaller weights or fewer steps keep them finite\n",
                    nf == out ? "\n" : "nntrace run: ", nonfinite, nonfinite == 1 ? " is" : "s are", first) < 0)
            wrc = -1;
        if (!failed) failed = 1;
    }
    if (outpath) {
        if (wrc) {
            fprintf(stderr, "nntrace run: %s: write failed: %s; nothing was changed\n", outpath,
                    strerror(errno ? errno : EIO));
            outfile_abort(&of);
            failed = -1;
        } else if (outfile_commit(&of, err, sizeof err)) {
            fprintf(stderr, "nntrace run: %s\n", err);
            failed = -1;
        }
    }
    if (fflush(stdout) != 0 || (wrc && !outpath)) {
        fprintf(stderr, "nntrace run: cannot write the output: %s\n", strerror(errno ? errno : EIO));
        failed = -1;
    }
    engine_result_free(&r);
    lesson_free(l);
    return failed < 0 ? EXIT_USAGE : failed ? EXIT_CHECK : 0;
}

/* ------------------------------------------------------------------------
 * gradcheck (the method and its error floor: gradcheck.h)
 * ---------------------------------------------------------------------- */

static const char *const GC_VERDICT[] = {[GC_OK] = "ok", [GC_FAIL] = "WRONG", [GC_ROUGH] = "not smooth",
                                         [GC_GUARD] = "log guard"};
_Static_assert(sizeof GC_VERDICT / sizeof GC_VERDICT[0] == GC_NVERDICTS, "one word per gradcheck verdict");

static void gc_row(const lesson *l, const gradcheck_row *row)
{
    char name[96];
    if (row->arc < 0) {
        snprintf(name, sizeof name, "direction d");
    } else {              /* the gradient's name as the trace shows it (notation, labels) */
        const lesson_arc *A = &l->arcs[row->arc];
        quantity g = {.kind = Q_GRAD, .i = A->i, .j = A->j, .tie = A->tie ? l->ties[A->tie - 1].name : NULL};
        int n = names_render(l, l->notation, NAMES_ASCII, &g, name, sizeof name);
        if (n < 0 || (size_t)n >= sizeof name) trace_name(&g, name, sizeof name);
    }
    printf("%-16s %16.9g %16.9g %10.2e %10.2e  %s\n", name, row->backprop, row->numeric, row->diff,
           row->floor, GC_VERDICT[row->verdict]);
}

enum gradcheck_opt { GC_TOL = 1 };

static const cliopt GRADCHECK_OPTS[] = {
    {.id = GC_TOL, .name = "--tol", .meta = "X", .kind = CLIOPT_STRING,
     .help = "tol, the relative tolerance above (default 1e-6)"},
};

static int gradcheck_help(FILE *f)
{
    if (fputs("usage: nntrace gradcheck LESSON [--tol X]\n\n"
              "Compare backprop's dJ/dw_ij with Richardson-extrapolated central\n"
              "differences on the lesson's first batch, exact arithmetic. A gradient is\n"
              "right when |numeric - backprop| <= tol * max(|numeric|, |backprop|) + floor,\n"
              "the floor being what the differences' own truncation and round-off can\n"
              "explain; where a kink (ReLU, step at 0) lies within the step it says\n"
              "\"not smooth\" instead of judging, and where the loss took a log argument\n"
              "below 1e-12 as 1e-12 (a saturated output: J is flat there while backprop's\n"
              "Delta = a - y is not) \"log guard\". Large lessons check an evenly spaced\n"
              "subset one by one and every weight along one random direction.\n\n"
              "options:\n", f) < 0 || cliopt_help(f, &CLI_GRADCHECK))
        return -1;
    return fputs("\nexit status: 0 every checked gradient right (or nothing to check: a note),\n"
                 "1 one is wrong, 2 bad input\n", f) < 0 ? -1 : 0;
}

const cliopt_cmd CLI_GRADCHECK = {.name = "gradcheck", .opts = GRADCHECK_OPTS,
                                  .n_opts = CLIOPT_COUNT(GRADCHECK_OPTS), .col = 12, .help = gradcheck_help};

int cmd_gradcheck(int argc, char **argv)
{
    const char *path = NULL;
    gradcheck_opts go = {.tol = 1e-6};
    cliopt_parser p = CLIOPT_PARSER(&CLI_GRADCHECK, argc, argv);
    cliopt_value val;
    for (int id; (id = cliopt_next(&p, &val)) != CLIOPT_END;) {
        if (id == CLIOPT_HELP) return 0;
        if (id == CLIOPT_BAD) return EXIT_USAGE;
        if (id == CLIOPT_ARG) {
            if (cli_one_lesson("gradcheck", val.s, &path)) return EXIT_USAGE;
            continue;
        }
        switch ((enum gradcheck_opt)id) {
        case GC_TOL: {
            char *end;
            go.tol = strtod(val.s, &end);
            if (*end || !(go.tol > 0) || !isfinite(go.tol)) {
                fprintf(stderr, "nntrace gradcheck: --tol takes a positive number, not '%s'\n", val.s);
                return EXIT_USAGE;
            }
            break;
        }
        }
    }
    if (cli_need_lesson("gradcheck", path, "nntrace gradcheck mazur-2-2-2")) return EXIT_USAGE;
    lesson *l = cli_lesson_for("gradcheck", path);
    if (!l) return EXIT_USAGE;
    const char *why = gradcheck_nothing(l);
    if (why) {
        printf("note: %s: nothing to check: %s\n", path, why);
        lesson_free(l);
        return fflush(stdout) ? EXIT_USAGE : 0;
    }
    gradcheck_result r;
    engine_status st = gradcheck_run(l, &go, &r);
    if (st != ENG_OK) {
        fprintf(stderr, "%s: %s\n", path, engine_strerror(st));
        lesson_free(l);
        return EXIT_USAGE;
    }
    printf("%-16s %16s %16s %10s %10s\n", "weight", "backprop", "numeric", "|diff|", "floor");
    for (size_t k = 0; k < r.n_rows; k++) gc_row(l, &r.rows[k]);
    gc_row(l, &r.dir);
    if (r.n_rows < r.n_params)
        printf("checked %zu of %zu weights one by one (evenly spaced, to bound the work) "
               "and all of them along one random direction d\n", r.n_rows, r.n_params);
    printf("%d wrong, %d not smooth within the step (tolerance %.1e plus each floor)\n",
           r.n_fail, r.n_rough, go.tol);
    if (r.n_guard)
        printf("log guard: %d not judged: the loss took a log argument below %g as %g\n"
               "  (a saturated output; the trace notes it), so J is flat there while\n"
               "  backprop's Delta = a - y is not\n", r.n_guard, EVAL_LOG_GUARD, EVAL_LOG_GUARD);
    if (r.biggest == 0.0)
        printf("note: every gradient is zero here, so this check cannot tell right from wrong\n");
    int status = r.n_fail ? EXIT_CHECK : 0;
    gradcheck_result_free(&r);
    lesson_free(l);
    if (fflush(stdout) != 0) { fprintf(stderr, "nntrace gradcheck: cannot write the output\n"); return EXIT_USAGE; }
    return status;
}

/* ------------------------------------------------------------------------
 * list
 * ---------------------------------------------------------------------- */

enum list_opt { LIST_NAMES = 1 };

static const cliopt LIST_OPTS[] = {
    {.id = LIST_NAMES, .name = "--names", .help = "only the names, one a line, without reading the files"},
};

static int list_help(FILE *f)
{
    if (fputs("usage: nntrace list [--names] [DIR]\n\n"
              "The lessons on the lesson path (or in DIR) with their titles and sources.\n"
              "The lesson path is every directory of $NNTRACE_PATH (colon-separated), then\n"
              "./lessons, then the lessons installed with nntrace\n"
              "(BINDIR/../share/nntrace/lessons, then the directory make install put them\n"
              "in); a name found earlier hides the same name later. A LESSON argument of any\n"
              "command is a file, or a name on this path (nntrace run sauppe-forward).\n\n"
              "options:\n", f) < 0 || cliopt_help(f, &CLI_LIST))
        return -1;
    return fputs("\nexit status: 0 listed, 1 none found or one does not load, 2 bad usage or DIR\n"
                 "unreadable\n",
                 f) < 0 ? -1 : 0;
}

const cliopt_cmd CLI_LIST = {.name = "list", .opts = LIST_OPTS, .n_opts = CLIOPT_COUNT(LIST_OPTS), .col = 13,
                             .help = list_help};

/* One lesson: name, title and source, or why it does not load (1). */
/* One lesson's lines: its name, then its title and source in a column of
 * their own (from column 33, the source 2 further in), broken at their
 * spaces to width (0: not); below 60 columns the column starts at 4, under
 * the name. */
static int list_one(const lessonpath_entry *e, int width)
{
    char err[768];
    strbuf b = {0};
    const size_t w = width > 0 ? (size_t)width : 0, col = w && w < 60 ? 4 : 33;
    lesson *l = lesson_load(e->file, err, sizeof err);
    if (col == 4) sb_printf(&b, "%s\n    ", e->name);
    else sb_printf(&b, "%-32s ", e->name);
    if (!l) {
        sb_printf(&b, "(does not load: %s)\n", err);
    } else {
        wrap_words(&b, l->title, col, col, w);
        sb_printf(&b, "\n%*s", (int)col + 2, "");
        wrap_words(&b, l->source ? l->source : "(no source)", col + 2, col + 2, w);
        sb_printf(&b, "\n");
        lesson_free(l);
    }
    if (!b.failed) fputs(b.s, stdout);
    int rc = b.failed || !l;
    sb_free(&b);
    return rc;
}

int cmd_list(int argc, char **argv)
{
    const char *dir = NULL;
    int names_only = 0, status = 0;
    cliopt_parser p = CLIOPT_PARSER(&CLI_LIST, argc, argv);
    cliopt_value val;
    for (int id; (id = cliopt_next(&p, &val)) != CLIOPT_END;) {
        if (id == CLIOPT_HELP) return 0;
        if (id == CLIOPT_BAD) return EXIT_USAGE;
        if (id == CLIOPT_ARG) {
            if (dir) {
                fprintf(stderr, "nntrace list: unexpected argument '%s'\nHINT: nntrace list --help\n", val.s);
                return EXIT_USAGE;
            }
            dir = val.s;
            continue;
        }
        switch ((enum list_opt)id) {
        case LIST_NAMES: names_only = 1; break;
        }
    }
    lessonpath lp;
    lessonpath_entry *list = NULL;
    size_t n = 0, cap = 0;
    if (lessonpath_init(&lp)) { fprintf(stderr, "nntrace list: out of memory\n"); return EXIT_USAGE; }
    int rc = dir ? lessonpath_scan_dir(dir, &list, &n, &cap) : lessonpath_scan(&lp, &list, &n);
    if (rc == -1) {
        fprintf(stderr, "nntrace list: cannot open directory '%s': %s\n", dir, strerror(errno));
        status = EXIT_USAGE;
    } else if (rc) {
        fprintf(stderr, "nntrace list: out of memory\n");
        status = EXIT_USAGE;
    } else if (n == 0) {
        char where[2048];
        lessonpath_describe(&lp, where, sizeof where);
        if (dir) fprintf(stderr, "nntrace list: no *.lesson files in %s\n", dir);
        else fprintf(stderr, "nntrace list: no lessons found; looked in %s\n"
                             "HINT: NNTRACE_PATH=DIR adds a directory of *.lesson files\n", where);
        status = EXIT_CHECK;
    }
    const int width = wrap_width(STDOUT_FILENO, -1);
    for (size_t k = 0; k < n; k++) {
        if (names_only) printf("%s\n", list[k].name);
        else if (list_one(&list[k], width)) status = EXIT_CHECK;
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "nntrace list: cannot write the output\n");
        status = EXIT_USAGE;
    }
    lessonpath_entries_free(list, n);
    lessonpath_free(&lp);
    return status;
}

/* Write text to path atomically. Returns 0, or -1 (message printed). */
int cli_write(const char *cmd, const char *path, const strbuf *b)
{
    outfile of;
    char err[512];
    if (b->failed) { fprintf(stderr, "nntrace %s: out of memory\n", cmd); return -1; }
    if (outfile_open(&of, path, 1, err, sizeof err)) {
        fprintf(stderr, "nntrace %s: %s\n", cmd, err);
        return -1;
    }
    if (b->len && fwrite(b->s, 1, b->len, of.f) != b->len) {
        fprintf(stderr, "nntrace %s: cannot write %s\n", cmd, path);
        outfile_abort(&of);
        return -1;
    }
    if (outfile_commit(&of, err, sizeof err)) {
        fprintf(stderr, "nntrace %s: %s\n", cmd, err);
        return -1;
    }
    return 0;
}

const cliopt_cmd *const CLI_COMMANDS[] = {
    &CLI_RUN, &CLI_GRADCHECK, &CLI_LIST, &CLI_XLSX, &CLI_TEMPLATE, &CLI_CHECK, &CLI_VARIANTS,
    &CLI_TEX, &CLI_STEP, &CLI_QUIZ, &CLI_DOT, &CLI_NEW, &CLI_KEYS, &FAST_MNIST_CLI,
};
const size_t CLI_N_COMMANDS = CLIOPT_COUNT(CLI_COMMANDS);
