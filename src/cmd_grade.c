/*
 * cmd_grade.c - `nntrace template` (an answer sheet to fill in) and
 * `nntrace check` (grade sheets: text for the student, Gradescope
 * results.json, JSON, a class CSV).
 *
 * Both build the lesson's trace once, resolve the asked set into a plan
 * (grade.h), and for check also the hand-rounded trace the judge accepts
 * (judge.h). Everything is written through outfile.h, so a failed run never
 * leaves half a results.json behind.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/escape.h"
#include "cli.h"
#include "grade.h"
#include "gsmeta.h"
#include "variant.h"
#include "outfile.h"

/* ------------------------------------------------------------------------
 * Shared set-up
 * ---------------------------------------------------------------------- */

typedef struct {
    lesson *l;
    engine_result exact, hand;
    int has_exact, has_hand;
    names_index *ix;
    grade_plan plan;
    char patbuf[4096];
    const char *pats[GRADE_MAX_PATTERNS];
    int n_pats;
    int notation;      /* --notation, -1 = the lesson's */
    int chain;         /* --chain: the chain-rule factors, whatever the lesson says */
    const char *path;  /* the lesson as named on the command line */
    int has_seed;      /* loaded as the variant of seed */
    uint64_t seed;
} grade_ctx;

static void ctx_free(grade_ctx *c)
{
    grade_plan_free(&c->plan);
    names_index_free(c->ix);
    if (c->has_exact) engine_result_free(&c->exact);
    if (c->has_hand) engine_result_free(&c->hand);
    lesson_free(c->l);
    c->l = NULL;
    c->ix = NULL;
    c->has_exact = c->has_hand = 0;
}

/* Append the patterns of list to the context's patterns. */
static int add_patterns(const char *cmd, grade_ctx *c, const char *list)
{
    size_t used = 0;
    if (c->n_pats) used = (size_t)(c->pats[c->n_pats - 1] - c->patbuf) + strlen(c->pats[c->n_pats - 1]) + 1;
    int n = grade_split_patterns(list, c->patbuf + used, sizeof c->patbuf - used, c->pats + c->n_pats,
                                 GRADE_MAX_PATTERNS - c->n_pats);
    if (n < 0) {
        fprintf(stderr, "nntrace %s: too many or too long --ask patterns (at most %d)\n", cmd, GRADE_MAX_PATTERNS);
        return -1;
    }
    c->n_pats += n;
    return 0;
}

/* Load, run, index and plan. Returns 0 or EXIT_USAGE (message printed). */
static int ctx_load(const char *cmd, grade_ctx *c, const char *path, int want_hand, const uint64_t *seed)
{
    char err[768];
    c->path = path;
    if (!(c->l = cli_lesson(path))) return EXIT_USAGE;
    c->has_seed = seed != NULL;
    if (seed) {
        c->seed = *seed;
        if (variant_apply(c->l, *seed, err, sizeof err)) {
            fprintf(stderr, "nntrace %s: %s: %s\n", cmd, path, err);
            return EXIT_USAGE;
        }
    }
    engine_opts eo = {.round = ENGINE_ROUND_LESSON, .chain = c->chain};
    if (engine_run(c->l, &eo, &c->exact, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return EXIT_USAGE;
    }
    c->has_exact = 1;
    if (want_hand && c->l->round < 0) {
        engine_opts ho = {.round = lesson_answer_digits(c->l), .chain = c->chain};
        if (engine_run(c->l, &ho, &c->hand, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return EXIT_USAGE;
        }
        c->has_hand = 1;
    }
    if (!(c->ix = names_index_new(c->l, c->exact.tr, c->notation >= 0 ? c->notation : c->l->notation))) {
        fprintf(stderr, "nntrace %s: out of memory\n", cmd);
        return EXIT_USAGE;
    }
    int rc = grade_plan_lesson(&c->plan, c->l, c->exact.tr, c->ix, c->pats, (size_t)c->n_pats,
                               err, sizeof err);
    if (rc) {
        fprintf(stderr, "nntrace %s: %s: %s\nHINT: nntrace run %s lists every quantity by name\n",
                cmd, path, err, path);
        return EXIT_USAGE;
    }
    return 0;
}

/* A share of the points: a number in [0, 1]. Returns 0, or -1. */
static int share(const char *s, double *out)
{
    double x;
    if (judge_parse_number(s, strlen(s), &x, NULL) != JNUM_OK || x < 0 || x > 1) return -1;
    *out = x;
    return 0;
}

/* A Gradescope visibility value for opt. Returns 0, or -1 (message printed). */
static int visibility_arg(const char *opt, const char *v, const char **out)
{
    if (!grade_visibility_ok(v)) {
        fprintf(stderr, "nntrace check: %s takes visible, hidden, after_due_date or after_published, "
                        "not '%s'\n", opt, v);
        return -1;
    }
    *out = v;
    return 0;
}

/* The variant of who: from the student (and assignment) when given, else
 * from the code. Returns 1 and *seed (who->code filled in) for a variant,
 * 0 for the lesson's own numbers, -1 for a bad code (message printed). */
static int who_seed(const char *cmd, const lesson *l, grade_who *who, uint64_t *seed)
{
    if (who->student[0]) {
        if (!l->n_vary) return 0;
        *seed = variant_seed(l, who->assignment, who->student);
        variant_code(*seed, who->code);
        return 1;
    }
    if (!who->code[0]) return 0;
    if (variant_code_parse(who->code, seed)) {
        fprintf(stderr, "nntrace %s: '%s' is not a variant code (8 letters and digits, as K7Q2-M9XA)\n",
                cmd, who->code);
        return -1;
    }
    variant_code(*seed, who->code);
    return 1;
}

/* A --student/--assignment/--variant value: printable ASCII that fits. */
static int who_arg(const char *cmd, const char *opt, const char *v, char *dst, size_t size)
{
    size_t n = strlen(v);
    int ok = n > 0 && n < size;
    for (size_t k = 0; ok && k < n; k++) ok = (unsigned char)v[k] >= 0x20 && (unsigned char)v[k] < 0x7f;
    if (!ok) {
        fprintf(stderr, "nntrace %s: %s takes printable text of 1 to %zu characters\n", cmd, opt, size - 1);
        return -1;
    }
    memcpy(dst, v, n + 1);
    return 0;
}

/* ------------------------------------------------------------------------
 * template
 * ---------------------------------------------------------------------- */

static void template_help(FILE *f)
{
    fprintf(f,
        "usage: nntrace template LESSON [--ask PATTERNS] [-o FILE]\n\n"
        "Print an answer sheet for the lesson: one line \"name = \" per asked quantity,\n"
        "in the order they are computed. A student fills in the numbers and hands it\n"
        "to `nntrace check`.\n\n"
        "options:\n"
        "  --ask PATTERNS   the quantities asked: names in any notation (in_3, out_h1,\n"
        "                   z^[1]_1, zbar_3, a₃, Δ₃), lesson labels or aliases, or\n"
        "                   patterns with * and ? over canonical or shown names\n"
        "                   ('in_* delta_*', 'w_*^(1)'); separate with spaces or ';',\n"
        "                   quote them for the shell; may be repeated.\n"
        "                   Default: the lesson's `ask` list, else every computed\n"
        "                   quantity of the trace.\n"
        "  --notation " NOTATION_CHOICES "\n"
        "                   the names the sheet is written in (default: the\n"
        "                   lesson's notation); any notation is read back\n"
        CLI_HELP_CHAIN("         ", "                   ")
        "  -o FILE          write the sheet to FILE (atomically) instead of stdout\n\n"
        "exit status: 0 written, 2 bad usage or bad lesson\n");
}

/* Load the lesson (as who's variant, if any) and write its sheet to out (NULL:
 * standard output). Returns 0 or EXIT_USAGE (message printed). */
static int template_sheet(const char *cmd, grade_ctx *c, const char *path, grade_who *who, const char *out)
{
    uint64_t seed;
    lesson *probe = cli_lesson(path);
    if (!probe) return EXIT_USAGE;
    if ((who->student[0] || who->code[0]) && !probe->n_vary) {
        fprintf(stderr, "nntrace %s: %s has no 'vary' lines, so every student gets the same numbers\n"
                        "HINT: add e.g. 'vary w_*,* uniform -1 1 step 0.1' (see nntrace keys)\n", cmd, path);
        lesson_free(probe);
        return EXIT_USAGE;
    }
    int has = who_seed(cmd, probe, who, &seed);
    lesson_free(probe);
    if (has < 0) return EXIT_USAGE;
    int status = ctx_load(cmd, c, path, 0, has ? &seed : NULL);
    if (status) return status;
    strbuf b = {0};
    grade_template(&b, c->l, c->exact.tr, &c->plan, who);
    if (out) {
        status = cli_write(cmd, out, &b) ? EXIT_USAGE : 0;
    } else if (b.failed || fputs(b.s, stdout) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "nntrace %s: cannot write the sheet\n", cmd);
        status = EXIT_USAGE;
    }
    sb_free(&b);
    return status;
}

int cmd_template(int argc, char **argv)
{
    grade_ctx c;
    memset(&c, 0, sizeof c);
    c.notation = -1;
    const char *path = NULL, *out = NULL, *v;
    grade_who who = {0};
    int rc;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) { template_help(stdout); return 0; }
        if ((rc = cli_opt(argc, argv, &k, "--ask", 1, &v))) {
            if (rc < 0 || add_patterns("template", &c, v)) return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "--notation", 1, &v))) {
            if (rc < 0 || cli_notation("template", v, &c.notation)) return EXIT_USAGE;
        } else if (!strcmp(argv[k], "--chain")) {
            c.chain = 1;
        } else if ((rc = cli_opt(argc, argv, &k, "--student", 1, &v))) {
            if (rc < 0 || who_arg("template", "--student", v, who.student, sizeof who.student)) return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "--assignment", 1, &v))) {
            if (rc < 0 || who_arg("template", "--assignment", v, who.assignment, sizeof who.assignment))
                return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "--variant", 1, &v))) {
            if (rc < 0 || who_arg("template", "--variant", v, who.code, sizeof who.code)) return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "-o", 1, &v))) {
            if (rc < 0) return EXIT_USAGE;
            out = v;
        } else if (cli_lesson_arg("template", argv[k], &path)) {
            return EXIT_USAGE;
        }
    }
    if (cli_need_lesson("template", path, "nntrace template lessons/sauppe-sgd-step.lesson")) return EXIT_USAGE;
    if (cli_not_input("template", out, path)) return EXIT_USAGE;
    int status = template_sheet("template", &c, path, &who, out);
    ctx_free(&c);
    return status;
}

/* ------------------------------------------------------------------------
 * check
 * ---------------------------------------------------------------------- */

static void check_help(FILE *f)
{
    fprintf(f,
        "usage: nntrace check LESSON ANSWERS... [options]\n\n"
        "Grade answer sheets (lines \"name = number\", see `nntrace template`). Each\n"
        "answer is correct (the engine's value to half a unit of the lesson's last\n"
        "printed digit, or what carrying the printed digits gives), carried forward\n"
        "(wrong, but what the operation gives on your own earlier answers), wrong, or\n"
        "missing. The report names the first mistake and, for every wrong answer, the\n"
        "expected value, the value from your own answers, and the derivation line with\n"
        "your numbers substituted.\n\n"
        "options:\n"
        "  --ask PATTERNS        the asked quantities (as for `nntrace template`;\n"
        "                        default: the lesson's `ask`, else every computed one)\n"
        "  --ecf full|half|none|X  credit for a carried-forward answer, or the\n"
        "                        share X in [0, 1] (default: the lesson's `ecf`, else full)\n"
        "  --tolerance X         absolute tolerance instead of half a unit of the\n"
        "                        lesson's printed digits; X%% is relative (1%% of the\n"
        "                        value) (default: lesson's `tolerance`)\n"
        "  --sigfigs N           right to N significant figures (default: lesson's `sigfigs`)\n"
        "  --ecf-depth N         a carried answer more than N carries from the first\n"
        "                        mistake earns nothing (default: lesson's, else no limit)\n"
        "  --short-credit X      share of the points for an answer right only to the\n"
        "                        fewer decimals written (default: lesson's, else 0)\n"
        "  --feedback verdict|hint|full  what the report tells: verdicts only; also the\n"
        "                        formula with the student's own numbers; also expected\n"
        "                        values and derivations (default: full, but verdict for\n"
        "                        --gradescope; the lesson's `feedback` overrides both)\n"
        "  --gradescope FILE     write Gradescope's results.json (one sheet only)\n"
        "  --visibility V        of the scored tests in results.json: visible, hidden,\n"
        "                        after_due_date, after_published (default visible)\n"
        "  --stdout-visibility V of the autograder's printed output (same values)\n"
        "  --reveal V            add the full feedback as unscored tests with\n"
        "                        visibility V (e.g. after_due_date)\n"
        "  --json                the grades as JSON on stdout instead of text\n"
        "  --csv FILE            one row per sheet, one column per quantity\n"
        "  --quiet               no text report (with --gradescope or --csv)\n"
        "  --notation " NOTATION_CHOICES "\n"
        "                        the names of the report (default: the lesson's\n"
        "                        notation); a sheet may use any notation's names\n"
        CLI_HELP_CHAIN("              ", "                        ")
        "  --color | --no-color  colour (default: on a terminal unless NO_COLOR)\n\n"
        "An answer sheet is read only up to %u bytes and never executed.\n"
        "exit status: 0 every sheet has full marks, 1 otherwise, 2 bad usage, a bad\n"
        "lesson or a sheet that cannot be opened\n", GRADE_MAX_BYTES);
}

int cmd_check(int argc, char **argv)
{
    grade_ctx c;
    memset(&c, 0, sizeof c);
    c.notation = -1;
    const char *lpath = NULL, *gs = NULL, *csv = NULL, *v;
    const char **sheets = calloc((size_t)argc + 1, sizeof *sheets);
    int n_sheets = 0, json = 0, quiet = 0, color = -1, rc, feedback = -1, sigfigs = 0, ecf_depth = -1;
    double ecf = 1.0, tol = 0.0, rel = 0.0, short_credit = -1;
    int ecf_set = 0;
    grade_gs_opts gso = {0};
    grade_who who = {0};
    const char *metadata = NULL, *field = "email", *gradebook = NULL;
    if (!sheets) { fprintf(stderr, "nntrace check: out of memory\n"); return EXIT_USAGE; }
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) { check_help(stdout); free(sheets); return 0; }
        if ((rc = cli_opt(argc, argv, &k, "--ask", 1, &v))) {
            if (rc < 0 || add_patterns("check", &c, v)) goto usage;
        } else if ((rc = cli_opt(argc, argv, &k, "--notation", 1, &v))) {
            if (rc < 0 || cli_notation("check", v, &c.notation)) goto usage;
        } else if (!strcmp(argv[k], "--chain")) {
            c.chain = 1;
        } else if ((rc = cli_opt(argc, argv, &k, "--ecf", 1, &v))) {
            if (rc < 0) goto usage;
            if (!strcmp(v, "full")) ecf = 1.0;
            else if (!strcmp(v, "half")) ecf = 0.5;
            else if (!strcmp(v, "none")) ecf = 0.0;
            else if (share(v, &ecf)) {
                fprintf(stderr, "nntrace check: --ecf takes full, half, none or a share from 0 to 1, not '%s'\n", v);
                goto usage;
            }
            ecf_set = 1;
        } else if ((rc = cli_opt(argc, argv, &k, "--short-credit", 1, &v))) {
            if (rc < 0) goto usage;
            if (share(v, &short_credit)) {
                fprintf(stderr, "nntrace check: --short-credit takes a share from 0 to 1, not '%s'\n", v);
                goto usage;
            }
        } else if ((rc = cli_opt(argc, argv, &k, "--tolerance", 1, &v))) {
            if (rc < 0) goto usage;
            if (grade_parse_tolerance(v, &tol, &rel)) {
                fprintf(stderr, "nntrace check: --tolerance takes a positive number or a percentage "
                                "(0.001, 1%%), not '%s'\n", v);
                goto usage;
            }
        } else if ((rc = cli_opt(argc, argv, &k, "--student", 1, &v))) {
            if (rc < 0 || who_arg("check", "--student", v, who.student, sizeof who.student)) goto usage;
        } else if ((rc = cli_opt(argc, argv, &k, "--assignment", 1, &v))) {
            if (rc < 0 || who_arg("check", "--assignment", v, who.assignment, sizeof who.assignment)) goto usage;
        } else if ((rc = cli_opt(argc, argv, &k, "--metadata", 1, &v))) {
            if (rc < 0) goto usage;
            metadata = v;
        } else if ((rc = cli_opt(argc, argv, &k, "--student-field", 1, &v))) {
            if (rc < 0) goto usage;
            field = v;
        } else if ((rc = cli_opt(argc, argv, &k, "--gradebook", 1, &v))) {
            if (rc < 0) goto usage;
            gradebook = v;
        } else if ((rc = cli_opt(argc, argv, &k, "--ecf-depth", 1, &v))) {
            if (rc < 0 || cli_int("check", "--ecf-depth", v, 0, 1000000, &ecf_depth)) goto usage;
        } else if ((rc = cli_opt(argc, argv, &k, "--sigfigs", 1, &v))) {
            if (rc < 0 || cli_int("check", "--sigfigs", v, 1, 15, &sigfigs)) goto usage;
        } else if ((rc = cli_opt(argc, argv, &k, "--feedback", 1, &v))) {
            if (rc < 0) goto usage;
            if ((feedback = grade_feedback_parse(v)) < 0) {
                fprintf(stderr, "nntrace check: --feedback takes verdict, hint or full, not '%s'\n", v);
                goto usage;
            }
        } else if ((rc = cli_opt(argc, argv, &k, "--visibility", 1, &v))) {
            if (rc < 0 || visibility_arg("--visibility", v, &gso.visibility)) goto usage;
        } else if ((rc = cli_opt(argc, argv, &k, "--stdout-visibility", 1, &v))) {
            if (rc < 0 || visibility_arg("--stdout-visibility", v, &gso.stdout_visibility)) goto usage;
        } else if ((rc = cli_opt(argc, argv, &k, "--reveal", 1, &v))) {
            if (rc < 0 || visibility_arg("--reveal", v, &gso.reveal)) goto usage;
        } else if ((rc = cli_opt(argc, argv, &k, "--gradescope", 1, &v))) {
            if (rc < 0) goto usage;
            gs = v;
        } else if ((rc = cli_opt(argc, argv, &k, "--csv", 1, &v))) {
            if (rc < 0) goto usage;
            csv = v;
        } else if (!strcmp(argv[k], "--json")) { json = 1;
        } else if (!strcmp(argv[k], "--quiet")) { quiet = 1;
        } else if (!strcmp(argv[k], "--color")) { color = 1;
        } else if (!strcmp(argv[k], "--no-color")) { color = 0;
        } else if (argv[k][0] == '-' && argv[k][1]) {
            fprintf(stderr, "nntrace check: unknown option '%s'\nHINT: nntrace check --help\n", argv[k]);
            goto usage;
        } else if (!lpath) {
            lpath = argv[k];
        } else {
            sheets[n_sheets++] = argv[k];
        }
    }
    if (!lpath || !n_sheets) {
        fprintf(stderr, "nntrace check: needs a lesson and at least one answer sheet\n"
                        "HINT: nntrace check lessons/sauppe-sgd-step.lesson answers.txt\n");
        goto usage;
    }
    if (gs && n_sheets != 1) {
        fprintf(stderr, "nntrace check: --gradescope grades one sheet, not %d\n", n_sheets);
        goto usage;
    }
    for (int s = -1; s < n_sheets; s++)     /* -1: the lesson */
        if (cli_not_input("check", gs, s < 0 ? lpath : sheets[s]) || cli_not_input("check", csv, s < 0 ? lpath : sheets[s]))
            goto usage;
    if (metadata) {
        gsmeta meta;
        char err[512];
        if (gsmeta_read(metadata, field, &meta, err, sizeof err)) {
            fprintf(stderr, "nntrace check: %s\n", err);
            goto usage;
        }
        snprintf(who.student, sizeof who.student, "%s", meta.student);
        if (!who.assignment[0]) snprintf(who.assignment, sizeof who.assignment, "%s", meta.assignment);
    }
    int status = ctx_load("check", &c, lpath, 1, NULL);
    if (status) { ctx_free(&c); free(sheets); return status; }

    grade_opts o;
    if (color < 0) color = cli_color(stdout);
    strbuf out = {0}, csvb = {0}, gsb = {0}, book = {0};
    int any_short = 0, cannot_open = 0, failed = 0;
    if (csv) grade_csv_header(&csvb, &c.plan);
    if (gradebook) sb_printf(&book, "student,score\n");
    if (json) sb_printf(&out, "{\"lesson\": ");
    if (json) { grade_json_str(&out, c.l->path); sb_printf(&out, ", \"sheets\": [\n"); }
    for (int s = 0; s < n_sheets && !failed; s++) {
        char *text = NULL, why[512], shown[160];
        size_t len = 0;
        grade_answers ans;
        grade_report rep;
        grade_who sw = {0}, as = who;
        struct stat st;
        int readable = 0;
        grade_safe_name(shown, sizeof shown, sheets[s]);   /* for the terminal and the CSV */
        if (strcmp(sheets[s], "-") && stat(sheets[s], &st) != 0) {
            char base[256];
            lesson_basename(shown, base, sizeof base);
            snprintf(why, sizeof why, "cannot open %s: %s%s%s%s", shown, strerror(errno),
                     errno == ENOENT ? "; upload your answer sheet as '" : "", errno == ENOENT ? base : "",
                     errno == ENOENT ? "'" : "");
            fprintf(stderr, "nntrace check: %s\n", why);
            cannot_open = 1;
        } else if (!grade_read_file(sheets[s], &text, &len, why, sizeof why)) {
            readable = 1;
            grade_sheet_who(text, len, &sw);
        }
        /* whose variant: the one named by --student/--metadata, else the sheet's own */
        if (!as.student[0]) as = sw;
        uint64_t seed = 0;
        int has = who_seed("check", c.l, &as, &seed);
        if (has < 0) { free(text); failed = 2; break; }
        if (has != c.has_seed || (has && seed != c.seed)) {   /* another variant: rebuild */
            ctx_free(&c);
            if ((status = ctx_load("check", &c, lpath, 1, has ? &seed : NULL))) { free(text); failed = 2; break; }
        }
        grade_opts_lesson(&o, c.l, c.has_hand ? c.hand.tr : NULL);
        if (ecf_set) o.ecf_credit = ecf;
        if (short_credit >= 0) o.short_credit = short_credit;
        if (ecf_depth >= 0) o.rule.ecf_depth = ecf_depth;
        if (tol > 0 || rel > 0 || sigfigs > 0) { o.rule.tol = tol; o.rule.rel = rel; o.rule.sigfigs = sigfigs; }
        /* what the student is told: never the expected values on Gradescope
         * unless someone asked for them */
        if (feedback >= 0) o.feedback = (grade_feedback)feedback;
        else if (c.l->feedback >= 0) o.feedback = (grade_feedback)c.l->feedback;
        else if (gs) o.feedback = GRADE_FB_VERDICT;

        if (!readable) rc = grade_answers_unreadable(&ans, &c.plan, why);
        else rc = grade_parse_answers(&ans, text, len, c.l, c.ix, &c.plan);
        free(text);
        if (rc) { failed = 1; break; }
        if (has && sw.code[0] && strcmp(sw.code, as.code))
            snprintf(ans.note, sizeof ans.note, "this sheet is variant %s, not %s's (%s): graded against %s",
                     sw.code, as.student, as.code, as.code);
        else if (has)
            snprintf(ans.note, sizeof ans.note, "variant %s%s%s", as.code, as.student[0] ? " of " : "", as.student);
        else if (c.l->n_vary)
            snprintf(ans.note, sizeof ans.note, "no student or variant given: graded against the lesson's own numbers");
        if (grade_sheet(&rep, c.exact.tr, &c.plan, &ans, &o)) { grade_answers_free(&ans); failed = 1; break; }
        if (rep.score < rep.max_score || ans.unreadable) any_short = 1;
        if (json) {
            if (s) sb_printf(&out, ",\n");
            grade_json(&out, sheets[s], &c.plan, &ans, &rep, &o);
        } else if (!quiet) {
            if (s) sb_printf(&out, "\n");
            grade_text(&out, c.l, shown, c.exact.tr, &c.plan, &ans, &rep, &o, color);
        }
        if (csv) grade_csv_row(&csvb, shown, &as, &c.plan, &ans, &rep);
        if (gradebook) {
            esc_csv(&book, as.student[0] ? as.student : shown);
            sb_printf(&book, ",%.10g\n", rep.score);
        }
        if (gs) grade_gradescope(&gsb, c.l, sheets[s], c.exact.tr, &c.plan, &ans, &rep, &o, &gso);
        grade_report_free(&rep);
        grade_answers_free(&ans);
        /* print as we go, so a class of sheets streams */
        if (!json && out.len) {
            if (out.failed || fputs(out.s, stdout) < 0) failed = 1;
            out.len = 0;
            out.s[0] = '\0';
        }
    }
    if (json && !failed) sb_printf(&out, "\n]}\n");
    if (failed == 2) {
        status = EXIT_USAGE;           /* a bad variant, message printed */
    } else if (failed || out.failed || csvb.failed || gsb.failed || book.failed) {
        fprintf(stderr, "nntrace check: out of memory or cannot write the report\n");
        status = EXIT_USAGE;
    } else {
        if (out.len && fputs(out.s, stdout) < 0) status = EXIT_USAGE;
        if (fflush(stdout) != 0) status = EXIT_USAGE;
        if (status) fprintf(stderr, "nntrace check: cannot write the report\n");
        if (!status && gs && cli_write("check", gs, &gsb)) status = EXIT_USAGE;
        if (!status && csv && cli_write("check", csv, &csvb)) status = EXIT_USAGE;
        if (!status && gradebook && cli_write("check", gradebook, &book)) status = EXIT_USAGE;
        if (!status) status = cannot_open ? EXIT_USAGE : any_short ? EXIT_CHECK : 0;
    }
    sb_free(&out);
    sb_free(&csvb);
    sb_free(&gsb);
    sb_free(&book);
    ctx_free(&c);
    free(sheets);
    return status;
usage:
    ctx_free(&c);
    free(sheets);
    return EXIT_USAGE;
}

/* ------------------------------------------------------------------------
 * variants: one problem sheet per student of a roster, and the answer key
 * ---------------------------------------------------------------------- */

static void variants_help(FILE *f)
{
    fprintf(f,
        "usage: nntrace variants LESSON --roster ROSTER.csv -o DIR [options]\n\n"
        "Write each student of the roster their own problem sheet: the lesson with\n"
        "the givens its `vary` lines name drawn from the student's id (and the\n"
        "assignment id), so `nntrace check` regrades the same numbers later.\n\n"
        "  DIR/ID.txt          the student's sheet (`nntrace template --student ID`)\n"
        "  DIR/sheets.txt      every sheet, one per printed page (form feeds)\n"
        "  DIR/answer-key.csv  student, variant, and each asked quantity's value\n\n"
        "options:\n"
        "  --roster FILE     CSV with a header row; the id column is --column, else the\n"
        "                    first of email, sid, id, student, login, else the first\n"
        "  --column NAME     the roster column holding the student id\n"
        "  --assignment A    the assignment id (as Gradescope's metadata gives it)\n"
        "  --ask PATTERNS    the asked quantities (default: the lesson's `ask`)\n\n"
        "exit status: 0 written, 2 bad usage, a bad lesson or roster\n");
}

/* Split one CSV line into at most max fields (quotes "" honoured), in place.
 * Returns the number of fields. */
static int csv_split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        char *w = p;
        f[n++] = w;
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p) break;
                if (*p == '"' && p[1] == '"') { *w++ = '"'; p += 2; continue; }
                if (*p == '"') { p++; break; }
                *w++ = *p++;
            }
            while (*p && *p != ',') p++;
        } else {
            while (*p && *p != ',') *w++ = *p++;
        }
        int more = *p == ',';
        if (*p) p++;
        *w = '\0';
        if (!more) break;
    }
    return n;
}

/* A student id as a file name: letters, digits, '.', '-', '_' and '@' kept,
 * anything else '_'; never empty, never starting with '.'. */
static void id_file_name(const char *id, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = id; *p && n + 5 < size; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '@' || (c == '.' && n > 0);
        out[n++] = ok ? c : '_';
    }
    if (!n) out[n++] = '_';
    snprintf(out + n, size - n, ".txt");
}

int cmd_variants(int argc, char **argv)
{
    grade_ctx c;
    memset(&c, 0, sizeof c);
    c.notation = -1;
    const char *path = NULL, *dir = NULL, *roster = NULL, *column = NULL, *v;
    char assignment[256] = "";
    int rc;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) { variants_help(stdout); return 0; }
        if ((rc = cli_opt(argc, argv, &k, "--ask", 1, &v))) {
            if (rc < 0 || add_patterns("variants", &c, v)) return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "--roster", 1, &v))) {
            if (rc < 0) return EXIT_USAGE;
            roster = v;
        } else if ((rc = cli_opt(argc, argv, &k, "--column", 1, &v))) {
            if (rc < 0) return EXIT_USAGE;
            column = v;
        } else if ((rc = cli_opt(argc, argv, &k, "--assignment", 1, &v))) {
            if (rc < 0 || who_arg("variants", "--assignment", v, assignment, sizeof assignment)) return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "-o", 1, &v))) {
            if (rc < 0) return EXIT_USAGE;
            dir = v;
        } else if (cli_lesson_arg("variants", argv[k], &path)) {
            return EXIT_USAGE;
        }
    }
    if (cli_need_lesson("variants", path, "nntrace variants LESSON --roster roster.csv -o sheets")) return EXIT_USAGE;
    if (!roster || !dir) {
        fprintf(stderr, "nntrace variants: needs --roster FILE.csv and -o DIR\n"
                        "HINT: nntrace variants %s --roster roster.csv -o sheets\n", path);
        return EXIT_USAGE;
    }
    char *text = NULL, why[256];
    size_t len = 0;
    if (grade_read_file(roster, &text, &len, why, sizeof why)) {
        fprintf(stderr, "nntrace variants: %s: %s\n", roster, why);
        return EXIT_USAGE;
    }
    if (memchr(text, '\0', len)) {
        fprintf(stderr, "nntrace variants: %s: not a text file (a NUL byte)\n", roster);
        free(text);
        return EXIT_USAGE;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "nntrace variants: cannot make %s: %s\n", dir, strerror(errno));
        free(text);
        return EXIT_USAGE;
    }
    strbuf all = {0}, key = {0};
    int status = 0, idcol = -1, n_students = 0;
    long ln = 0;
    for (char *line = text, *next; line && !status; line = next) {
        next = strpbrk(line, "\r\n");
        if (next) { int crlf = next[0] == '\r' && next[1] == '\n'; *next = '\0'; next += 1 + crlf; }
        ln++;
        if (!*line) continue;
        char *f[64];
        int nf = csv_split(line, f, 64);
        if (idcol < 0) {              /* the header */
            static const char *const IDS[] = {"email", "sid", "id", "student", "login"};
            for (size_t w = 0; w < sizeof IDS / sizeof IDS[0] && idcol < 0 && !column; w++)
                for (int k = 0; k < nf; k++) if (!strcasecmp(f[k], IDS[w])) { idcol = k; break; }
            for (int k = 0; column && k < nf; k++) if (!strcasecmp(f[k], column)) idcol = k;
            if (column && idcol < 0) {
                fprintf(stderr, "nntrace variants: %s:1: no column '%s' in the header\n", roster, column);
                status = EXIT_USAGE;
            }
            if (idcol < 0) idcol = 0;
            continue;
        }
        grade_who who = {0};
        if (idcol >= nf || !f[idcol][0] ||
            who_arg("variants", "a roster id", f[idcol], who.student, sizeof who.student)) {
            fprintf(stderr, "nntrace variants: %s:%ld: no student id in column %d\n", roster, ln, idcol + 1);
            status = EXIT_USAGE;
            break;
        }
        snprintf(who.assignment, sizeof who.assignment, "%s", assignment);
        ctx_free(&c);
        char name[300], file[4096];
        id_file_name(who.student, name, sizeof name);
        snprintf(file, sizeof file, "%s/%s", dir, name);
        if ((status = template_sheet("variants", &c, path, &who, file))) break;
        if (!key.len) {
            sb_printf(&key, "student,variant");
            for (size_t q = 0; q < c.plan.n; q++) { sb_printf(&key, ","); esc_csv(&key, c.plan.names[q]); }
            sb_printf(&key, "\n");
        }
        esc_csv(&key, who.student);
        sb_printf(&key, ",%s", who.code);
        for (size_t q = 0; q < c.plan.n; q++) {
            char num[64];
            text_num(c.exact.tr->q[c.plan.ids[q]].value, lesson_answer_digits(c.l), num, sizeof num);
            sb_printf(&key, ",%s", num);
        }
        sb_printf(&key, "\n");
        if (n_students++) sb_printf(&all, "\f\n");
        grade_template(&all, c.l, c.exact.tr, &c.plan, &who);
    }
    free(text);
    if (!status && !n_students) {
        fprintf(stderr, "nntrace variants: %s has no students (a header row, then one row per student)\n", roster);
        status = EXIT_USAGE;
    }
    if (!status) {
        char file[4096];
        snprintf(file, sizeof file, "%s/sheets.txt", dir);
        if (cli_write("variants", file, &all)) status = EXIT_USAGE;
        snprintf(file, sizeof file, "%s/answer-key.csv", dir);
        if (!status && cli_write("variants", file, &key)) status = EXIT_USAGE;
        if (!status) printf("wrote %d sheet%s, %s/sheets.txt and %s/answer-key.csv\n", n_students, n_students == 1 ? "" : "s", dir, dir);
    }
    sb_free(&all);
    sb_free(&key);
    ctx_free(&c);
    return status;
}
