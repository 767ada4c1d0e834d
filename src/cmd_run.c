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
#include "gradcheck.h"
#include "judge.h"
#include "lessonpath.h"
#include "outfile.h"
#include "suggest.h"
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

int cli_color(FILE *f)
{
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
    return isatty(fileno(f)) && !(nc && *nc) && !(term && !strcmp(term, "dumb"));
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

int cli_opt(int argc, char **argv, int *k, const char *name, int needs_value, const char **value)
{
    size_t n = strlen(name);
    const char *a = argv[*k];
    if (strncmp(a, name, n) != 0) return 0;
    if (!needs_value) return a[n] == '\0';
    if (a[n] == '=') { *value = a + n + 1; return 1; }
    if (a[n] != '\0') return 0;
    if (*k + 1 >= argc) {
        fprintf(stderr, "nntrace %s: option %s needs a value\n", argv[0], name);
        return -1;
    }
    *value = argv[++*k];
    return 1;
}

/* The options a command's help names (its option table, as the manual
 * page is made from it too): each word of help that begins with '-' after a
 * blank, '|' or '[', cut at '=', into a NUL-separated list in b. Returns
 * how many, pointers in opts (at most max). */
static size_t help_options(const char *help, strbuf *b, const char **opts, size_t max)
{
    size_t n = 0;
    for (const char *c = help; *c; c++) {
        if (c[0] != '-' || !(c == help || c[-1] == ' ' || c[-1] == '|' || c[-1] == '[')) continue;
        size_t len = 1 + (c[1] == '-');
        if (!((c[len] >= 'a' && c[len] <= 'z') || (c[len] >= 'A' && c[len] <= 'Z'))) continue;
        while (c[len] == '-' || (c[len] >= 'a' && c[len] <= 'z') || (c[len] >= 'A' && c[len] <= 'Z') ||
               (c[len] >= '0' && c[len] <= '9'))
            len++;
        sb_printf(b, "%.*s%c", (int)len, c, '\0');
        c += len - 1;
    }
    for (size_t at = 0; !b->failed && at < b->len && n < max; at += strlen(b->s + at) + 1) {
        size_t k;
        for (k = 0; k < n && strcmp(opts[k], b->s + at); k++) {}
        if (k == n) opts[n++] = b->s + at;
    }
    return b->failed ? 0 : n;
}

void cli_unknown_option(const char *cmd, const char *arg, void (*help)(FILE *))
{
    char near[256] = "";
    char *text = NULL;
    size_t size = 0;
    FILE *m = help ? open_memstream(&text, &size) : NULL;
    if (m) {
        help(m);
        if (fclose(m) == 0 && text) {
            enum { MAX_OPTS = 64 };
            const char *opts[MAX_OPTS];
            strbuf b = {0};
            char word[256];
            snprintf(word, sizeof word, "%.*s", (int)strcspn(arg, "="), arg);
            size_t n = help_options(text, &b, opts, MAX_OPTS);
            suggest(word, opts, n, near, sizeof near);
            sb_free(&b);
        }
        free(text);
    }
    fprintf(stderr, "nntrace %s: unknown option '%s'\n", cmd, arg);
    if (near[0]) fprintf(stderr, "HINT: did you mean %s? (nntrace %s --help lists the options)\n", near, cmd);
    else fprintf(stderr, "HINT: nntrace %s --help\n", cmd);
}

int cli_lesson_arg_help(const char *cmd, const char *arg, const char **path, void (*help)(FILE *))
{
    if (arg[0] == '-' && arg[1]) {
        cli_unknown_option(cmd, arg, help);
        return -1;
    }
    if (*path) {
        fprintf(stderr, "nntrace %s: one lesson at a time ('%s' and '%s')\n", cmd, *path, arg);
        return -1;
    }
    *path = arg;
    return 0;
}

int cli_choice(const char *cmd, const char *opt, const char *v, const char *const *choices, size_t n)
{
    char list[256] = "";
    for (size_t k = 0; k < n; k++) {
        if (!strcmp(v, choices[k])) return (int)k;
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", k ? "|" : "", choices[k]);
    }
    cli_bad_choice(cmd, opt, v, list, choices, n);
    return -1;
}

void cli_bad_choice(const char *cmd, const char *opt, const char *v, const char *list,
                    const char *const *choices, size_t n)
{
    char near[128];
    fprintf(stderr, "nntrace %s: %s takes one of %s, not '%s'\n", cmd, opt, list, v);
    if (suggest(v, choices, n, near, sizeof near)) fprintf(stderr, "HINT: did you mean %s?\n", near);
}

int cli_need_lesson(const char *cmd, const char *path, const char *hint)
{
    if (path) return 0;
    fprintf(stderr, "nntrace %s: which lesson?\nHINT: %s\n", cmd, hint);
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

int cli_int(const char *cmd, const char *opt, const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) {
        fprintf(stderr, "nntrace %s: %s takes a whole number from %d to %d, not '%s'\n", cmd, opt, lo, hi, s);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int cli_positive(const char *cmd, const char *opt, const char *s, double *out)
{
    double t;
    if (judge_parse_number(s, strlen(s), &t, NULL) != JNUM_OK || !(t > 0)) {
        fprintf(stderr, "nntrace %s: %s takes a positive number, not '%s'\n", cmd, opt, s);
        return -1;
    }
    *out = t;
    return 0;
}

int cli_notation(const char *cmd, const char *s, int *out)
{
    if ((*out = lesson_notation_parse(s)) >= 0) return 0;
    cli_bad_choice(cmd, "--notation", s, NOTATION_CHOICES, LESSON_NOTATIONS, NOTATION_COUNT);
    return -1;
}

/* ------------------------------------------------------------------------
 * run
 * ---------------------------------------------------------------------- */

static void run_help(FILE *f)
{
    fprintf(f,
        "usage: nntrace run LESSON [options]\n\n"
        "Print every quantity of the lesson's forward pass, loss, backward pass,\n"
        "gradients and updates as: name = symbolic form = numbers substituted = value.\n"
        "Then check the lesson's expectations (the lecture's printed values).\n\n"
        "options:\n"
        "  --format text|json|csv   output form (default text)\n"
        "  --digits N               decimals shown (default: the lesson's)\n"
        "  --exact                  exact arithmetic, even if the lesson rounds by hand\n"
        "  --rounded N              round every operand to N decimals before use\n"
        "  --passes LIST            passes to show, comma-separated from\n"
        "                           given,forward,loss,backward,gradients,update\n"
        "  --all-steps              trace every step, whatever the lesson says\n"
        CLI_HELP_CHAIN("                 ", "                           ")
        "  --notation " NOTATION_CHOICES "\n"
        "                           names of the lecture: va in_j a_j Delta_j (001),\n"
        "                           layer z^[l] a^[l] W^[l] (000, 003), netout net/out\n"
        "                           E_total (002), bar error signals zbar wbar (004);\n"
        "                           values never change (default: the lesson's notation)\n"
        "  --ascii | --unicode      symbols (default: Unicode on a UTF-8 terminal)\n"
        "  --color | --no-color     colour (default: on a terminal unless NO_COLOR)\n"
        "  --width N                wrap long lines at their operators to N columns, never\n"
        "                           inside a number; 0: never (default: the terminal's\n"
        "                           width, else $COLUMNS, else no wrapping)\n"
        "  --golden                 the golden form: ASCII, no colour, no wrapping\n"
        "  -o FILE                  write to FILE (atomically: complete or not at all)\n\n"
        "exit status: 0 expectations hold, 1 one fails, 2 bad usage or bad lesson\n");
}

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

static const char *const RUN_FORMATS[] = {"text", "json", "csv"};

int cmd_run(int argc, char **argv)
{
    const char *path = NULL, *v = NULL, *format = "text", *outpath = NULL;
    int digits = -1, ascii = -1, color = -1, rc, notation = -1, width = -1;
    unsigned passes = ~0u;
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) { run_help(stdout); return 0; }
        if ((rc = cli_opt(argc, argv, &k, "--format", 1, &v))) {
            if (rc < 0 || cli_choice("run", "--format", v, RUN_FORMATS, 3) < 0) return EXIT_USAGE;
            format = v;
        } else if ((rc = cli_opt(argc, argv, &k, "--digits", 1, &v))) {
            if (rc < 0 || cli_int("run", "--digits", v, 0, 12, &digits)) return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "--rounded", 1, &v))) {
            if (rc < 0 || cli_int("run", "--rounded", v, 0, 12, &eo.round)) return EXIT_USAGE;
        } else if (!strcmp(argv[k], "--exact")) {
            eo.round = -1;
        } else if ((rc = cli_opt(argc, argv, &k, "--passes", 1, &v))) {
            if (rc < 0 || parse_passes(v, &passes)) return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "--notation", 1, &v))) {
            if (rc < 0 || cli_notation("run", v, &notation)) return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "-o", 1, &v))) {
            if (rc < 0) return EXIT_USAGE;
            outpath = v;
        } else if (!strcmp(argv[k], "--all-steps")) { eo.trace_all = 1;
        } else if (!strcmp(argv[k], "--chain")) { eo.chain = 1;
        } else if (!strcmp(argv[k], "--ascii")) { ascii = 1;
        } else if (!strcmp(argv[k], "--unicode")) { ascii = 0;
        } else if (!strcmp(argv[k], "--color")) { color = 1;
        } else if (!strcmp(argv[k], "--no-color")) { color = 0;
        } else if (!strcmp(argv[k], "--golden")) { ascii = 1; color = 0; width = 0;
        } else if ((rc = cli_opt(argc, argv, &k, "--width", 1, &v))) {
            if (rc < 0 || cli_int("run", "--width", v, 0, 100000, &width)) return EXIT_USAGE;
        } else if (cli_lesson_arg_help("run", argv[k], &path, run_help)) {
            return EXIT_USAGE;
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
            failed = text_check_expectations_in(out, l, &r, o.color, passes);
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

static const char *const GC_VERDICT[] = {[GC_OK] = "ok", [GC_FAIL] = "WRONG", [GC_ROUGH] = "not smooth"};
_Static_assert(sizeof GC_VERDICT / sizeof GC_VERDICT[0] == GC_NVERDICTS, "one word per gradcheck verdict");

static void gc_row(const lesson *l, const gradcheck_row *row)
{
    char name[64];
    if (row->arc < 0) snprintf(name, sizeof name, "direction d");
    else if (l->arcs[row->arc].tie) snprintf(name, sizeof name, "dJ/d%s", l->ties[l->arcs[row->arc].tie - 1].name);
    else snprintf(name, sizeof name, "dJ/dw_%d,%d", l->arcs[row->arc].i, l->arcs[row->arc].j);
    printf("%-16s %16.9g %16.9g %10.2e %10.2e  %s\n", name, row->backprop, row->numeric, row->diff,
           row->floor, GC_VERDICT[row->verdict]);
}

static void gradcheck_help(FILE *f)
{
    fprintf(f, "usage: nntrace gradcheck LESSON [--tol X]\n\n"
               "Compare backprop's dJ/dw_ij with Richardson-extrapolated central\n"
               "differences on the lesson's first batch, exact arithmetic. A gradient is\n"
               "right when |numeric - backprop| <= tol * max(|numeric|, |backprop|) + floor,\n"
               "the floor being what the differences' own truncation and round-off can\n"
               "explain; where a kink (ReLU, step at 0) lies within the step it says\n"
               "\"not smooth\" instead of judging. Large lessons check an evenly spaced\n"
               "subset one by one and every weight along one random direction.\n"
               "exit status: 0 every checked gradient right (or nothing to check: a note),\n"
               "1 one is wrong, 2 bad input\n");
}

int cmd_gradcheck(int argc, char **argv)
{
    const char *path = NULL, *v;
    gradcheck_opts go = {.tol = 1e-6};
    int rc;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) { gradcheck_help(stdout); return 0; }
        if ((rc = cli_opt(argc, argv, &k, "--tol", 1, &v))) {
            char *end;
            if (rc < 0) return EXIT_USAGE;
            go.tol = strtod(v, &end);
            if (*end || !(go.tol > 0) || !isfinite(go.tol)) {
                fprintf(stderr, "nntrace gradcheck: --tol takes a positive number, not '%s'\n", v);
                return EXIT_USAGE;
            }
        } else if (cli_lesson_arg_help("gradcheck", argv[k], &path, gradcheck_help)) {
            return EXIT_USAGE;
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

static void list_help(FILE *f)
{
    fprintf(f,
        "usage: nntrace list [--names] [DIR]\n\n"
        "The lessons on the lesson path (or in DIR) with their titles and sources.\n"
        "The lesson path is every directory of $NNTRACE_PATH (colon-separated), then\n"
        "./lessons, then the lessons installed with nntrace\n"
        "(BINDIR/../share/nntrace/lessons, then the directory make install put them\n"
        "in); a name found earlier hides the same name later. A LESSON argument of any\n"
        "command is a file, or a name on this path (nntrace run sauppe-forward).\n\n"
        "options:\n"
        "  --names    only the names, one a line, without reading the files\n\n"
        "exit status: 0 listed, 1 none found or one does not load, 2 bad usage or DIR unreadable\n");
}

/* One lesson: name, title and source, or why it does not load (1). */
static int list_one(const lessonpath_entry *e)
{
    char err[768];
    lesson *l = lesson_load(e->file, err, sizeof err);
    if (!l) { printf("%-32s (does not load: %s)\n", e->name, err); return 1; }
    printf("%-32s %s\n%-32s   %s\n", e->name, l->title, "", l->source ? l->source : "(no source)");
    lesson_free(l);
    return 0;
}

int cmd_list(int argc, char **argv)
{
    const char *dir = NULL;
    int names_only = 0, status = 0;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) { list_help(stdout); return 0; }
        if (!strcmp(argv[k], "--names")) { names_only = 1; continue; }
        if ((argv[k][0] == '-' && argv[k][1]) || dir) {
            fprintf(stderr, "nntrace list: unexpected argument '%s'\nHINT: nntrace list --help\n", argv[k]);
            return EXIT_USAGE;
        }
        dir = argv[k];
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
    for (size_t k = 0; k < n; k++) {
        if (names_only) printf("%s\n", list[k].name);
        else if (list_one(&list[k])) status = EXIT_CHECK;
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
