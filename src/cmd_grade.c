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
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "base/escape.h"
#include "cli.h"
#include "grade.h"
#include "gsmeta.h"
#include "variant.h"
#include "outfile.h"
#include "suggest.h"
#include "textline.h"

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
        variant_status vs = variant_apply(c->l, *seed, err, sizeof err);
        if (vs != VARIANT_OK) {
            const char *hint = variant_hint(vs);
            fprintf(stderr, "nntrace %s: %s\n%s%s%s", cmd, err, *hint ? "HINT: " : "", hint, *hint ? "\n" : "");
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
        engine_opts ho = {.round = lesson_answer_digits(c->l), .chain = c->chain, .names_checked = 1};
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
 * 0 for the lesson's own numbers (also for a lesson without `vary` lines:
 * it has one variant), -1 for a bad code (the reason in err). */
static int who_seed(const lesson *l, grade_who *who, uint64_t *seed, char *err, size_t errsize)
{
    if (!l->n_vary) return 0;
    if (who->student[0]) {
        *seed = variant_seed(l, who->assignment, who->student);
        variant_code(*seed, who->code);
        return 1;
    }
    if (!who->code[0]) return 0;
    int rc = variant_code_parse(who->code, seed);
    if (rc) {
        snprintf(err, errsize, "'%s' %s", who->code, variant_code_strerror(rc));
        return -1;
    }
    variant_code(*seed, who->code);
    return 1;
}

/* A --student/--assignment/--variant value: printable ASCII that fits. */
static int who_arg(const char *cmd, const char *opt, const char *v, char *dst, size_t size)
{
    size_t n = strlen(v);
    if (!n || n >= size || !grade_printable(v)) {
        fprintf(stderr, "nntrace %s: %s takes printable text of 1 to %zu characters\n", cmd, opt, size - 1);
        return -1;
    }
    memcpy(dst, v, n + 1);
    return 0;
}

/* --student ID into who->student, normalised (grade_id_normalise). */
static int student_arg(const char *cmd, const char *v, grade_who *who)
{
    if (who_arg(cmd, "--student", v, who->student, sizeof who->student)) return -1;
    grade_id_normalise(who->student);
    if (who->student[0]) return 0;
    fprintf(stderr, "nntrace %s: --student takes an id, not blanks\n", cmd);
    return -1;
}

/* ------------------------------------------------------------------------
 * template
 * ---------------------------------------------------------------------- */

enum template_opt { TPL_ASK = 1, TPL_NOTATION, TPL_CHAIN, TPL_STUDENT, TPL_ASSIGNMENT, TPL_VARIANT, TPL_OUT };

static const cliopt TEMPLATE_OPTS[] = {
    {.id = TPL_ASK, .name = "--ask", .meta = "PATTERNS", .kind = CLIOPT_STRING,
     .help = "the quantities asked: names in any notation (in_3, out_h1,\n"
             "z^[1]_1, zbar_3, a\xe2\x82\x83, \xce\x94\xe2\x82\x83), lesson labels or aliases, or\n"
             "patterns with * and ? over canonical or shown names\n"
             "('in_* delta_*', 'w_*^(1)'); separate with spaces or ';',\n"
             "quote them for the shell; may be repeated.\n"
             "Default: the lesson's `ask` list, else every computed\n"
             "quantity of the trace."},
    {.id = TPL_NOTATION, .name = "--notation", .kind = CLIOPT_NOTATION,
     .help = "the names the sheet is written in (default: the\n"
             "lesson's notation); any notation is read back"},
    CLI_OPT_CHAIN(TPL_CHAIN),
    {.id = TPL_STUDENT, .name = "--student", .meta = "ID", .kind = CLIOPT_STRING,
     .help = "the sheet of this student's variant of a lesson with\n"
             "`vary` lines (the id is compared without case and\n"
             "surrounding blanks)"},
    {.id = TPL_ASSIGNMENT, .name = "--assignment", .meta = "A", .kind = CLIOPT_STRING,
     .help = "the assignment id the variant is drawn for (default:\n"
             "the lesson's title)"},
    {.id = TPL_VARIANT, .name = "--variant", .meta = "CODE", .kind = CLIOPT_STRING,
     .help = "the sheet of the variant CODE (as K7Q2-M9XA-Z)"},
    {.id = TPL_OUT, .name = "-o", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "write the sheet to FILE (atomically) instead of stdout"},
};

static int template_help(FILE *f)
{
    if (fputs("usage: nntrace template LESSON [--ask PATTERNS] [-o FILE]\n\n"
              "Print an answer sheet for the lesson: one line \"name = \" per asked quantity,\n"
              "in the order they are computed. A student fills in the numbers and hands it\n"
              "to `nntrace check`.\n\n"
              "options:\n", f) < 0 || cliopt_help(f, &CLI_TEMPLATE))
        return -1;
    return fputs("\nexit status: 0 written, 2 bad usage or bad lesson\n", f) < 0 ? -1 : 0;
}

const cliopt_cmd CLI_TEMPLATE = {.name = "template", .opts = TEMPLATE_OPTS, .n_opts = CLIOPT_COUNT(TEMPLATE_OPTS),
                                 .col = 19, .help = template_help};

/* Load the lesson (as who's variant, if any) and append its sheet to b.
 * Returns 0 or EXIT_USAGE (message printed). */
static int template_render(const char *cmd, grade_ctx *c, const char *path, grade_who *who, strbuf *b)
{
    uint64_t seed;
    lesson *probe = cli_lesson(path);
    if (!probe) return EXIT_USAGE;
    if ((who->student[0] || who->code[0]) && !probe->n_vary) {
        fprintf(stderr, "nntrace %s: %s has no 'vary' lines, so every student gets the same numbers\n"
                        "HINT: %s\n", cmd, path, variant_hint(VARIANT_ERR_NO_VARY));
        lesson_free(probe);
        return EXIT_USAGE;
    }
    char err[256];
    int has = who_seed(probe, who, &seed, err, sizeof err);
    lesson_free(probe);
    if (has < 0) {
        fprintf(stderr, "nntrace %s: %s\n", cmd, err);
        return EXIT_USAGE;
    }
    int status = ctx_load(cmd, c, path, 0, has ? &seed : NULL);
    if (status) return status;
    const size_t before = b->len;
    grade_template(b, c->l, c->exact.tr, &c->plan, who, path);
    if (!b->failed && b->len - before > GRADE_MAX_BYTES) {      /* a sheet check would refuse */
        fprintf(stderr, "nntrace %s: %s: its answer sheet would be %zu bytes, over the %u-byte "
                        "limit of an answer sheet that check reads\n"
                        "HINT: ask fewer quantities (--ask, or the lesson's 'ask' key) or trace fewer "
                        "steps (the lesson's 'trace' key)\n",
                cmd, path, b->len - before, GRADE_MAX_BYTES);
        return EXIT_USAGE;
    }
    return 0;
}

/* The same, written to out (NULL: standard output). */
static int template_sheet(const char *cmd, grade_ctx *c, const char *path, grade_who *who, const char *out)
{
    strbuf b = {0};
    int status = template_render(cmd, c, path, who, &b);
    if (!status && out) {
        status = cli_write(cmd, out, &b) ? EXIT_USAGE : 0;
    } else if (!status && (b.failed || fputs(b.s, stdout) < 0 || fflush(stdout) != 0)) {
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
    const char *path = NULL, *out = NULL;
    grade_who who = {0};
    cliopt_parser p = CLIOPT_PARSER(&CLI_TEMPLATE, argc, argv);
    cliopt_value val;
    for (int id; (id = cliopt_next(&p, &val)) != CLIOPT_END;) {
        if (id == CLIOPT_HELP) return 0;
        if (id == CLIOPT_BAD) return EXIT_USAGE;
        if (id == CLIOPT_ARG) {
            if (cli_one_lesson("template", val.s, &path)) return EXIT_USAGE;
            continue;
        }
        switch ((enum template_opt)id) {
        case TPL_ASK: if (add_patterns("template", &c, val.s)) return EXIT_USAGE; break;
        case TPL_NOTATION: c.notation = (int)val.n; break;
        case TPL_CHAIN: c.chain = 1; break;
        case TPL_STUDENT: if (student_arg("template", val.s, &who)) return EXIT_USAGE; break;
        case TPL_ASSIGNMENT:
            if (who_arg("template", "--assignment", val.s, who.assignment, sizeof who.assignment)) return EXIT_USAGE;
            break;
        case TPL_VARIANT:
            if (who_arg("template", "--variant", val.s, who.code, sizeof who.code)) return EXIT_USAGE;
            break;
        case TPL_OUT: out = val.s; break;
        }
    }
    if (cli_need_lesson("template", path, "nntrace template sauppe-sgd-step")) return EXIT_USAGE;
    if (cli_not_input("template", out, path)) return EXIT_USAGE;
    int status = template_sheet("template", &c, path, &who, out);
    ctx_free(&c);
    return status;
}

/* ------------------------------------------------------------------------
 * check
 * ---------------------------------------------------------------------- */

enum check_opt {
    CHK_ASK = 1, CHK_ECF, CHK_TOLERANCE, CHK_SIGFIGS, CHK_ECF_DEPTH, CHK_SHORT_CREDIT, CHK_FEEDBACK, CHK_STUDENT,
    CHK_ASSIGNMENT, CHK_METADATA, CHK_STUDENT_FIELD, CHK_GRADESCOPE, CHK_VISIBILITY, CHK_STDOUT_VISIBILITY,
    CHK_REVEAL, CHK_JSON, CHK_CSV, CHK_GRADEBOOK, CHK_ROSTER, CHK_COLUMN, CHK_QUIET, CHK_NOTATION, CHK_CHAIN,
    CHK_COLOR, CHK_NO_COLOR,
};

static const cliopt CHECK_OPTS[] = {
    {.id = CHK_ASK, .name = "--ask", .meta = "PATTERNS", .kind = CLIOPT_STRING,
     .help = "the asked quantities (as for `nntrace template`;\n"
             "default: the lesson's `ask`, else every computed one)"},
    {.id = CHK_ECF, .name = "--ecf", .meta = "full|half|none|X", .kind = CLIOPT_STRING,
     .help = "credit for a carried-forward answer, or the\n"
             "share X in [0, 1] (default: the lesson's `ecf`, else\n"
             "full)"},
    {.id = CHK_TOLERANCE, .name = "--tolerance", .meta = "X", .kind = CLIOPT_STRING,
     .help = "absolute tolerance instead of half a unit of the\n"
             "lesson's printed digits; X% is relative (1% of the\n"
             "value) (default: lesson's `tolerance`)"},
    {.id = CHK_SIGFIGS, .name = "--sigfigs", .meta = "N", .kind = CLIOPT_INT, .lo = 1, .hi = 15,
     .help = "right to N significant figures (default: lesson's\n"
             "`sigfigs`)"},
    {.id = CHK_ECF_DEPTH, .name = "--ecf-depth", .meta = "N", .kind = CLIOPT_INT, .lo = 0, .hi = 1000000,
     .help = "a carried answer more than N carries from the first\n"
             "mistake earns nothing; 0: no carried answer earns\n"
             "credit (default: lesson's, else no limit)"},
    {.id = CHK_SHORT_CREDIT, .name = "--short-credit", .meta = "X", .kind = CLIOPT_STRING,
     .help = "share of the points for an answer right only to the\n"
             "fewer decimals written, with at least one decimal and\n"
             "one fewer than asked (default: lesson's, else 0.5)"},
    {.id = CHK_FEEDBACK, .name = "--feedback", .meta = "verdict|hint|full", .kind = CLIOPT_STRING,
     .help = "what the report tells: verdicts only; also the\n"
             "formula with the student's own numbers; also expected\n"
             "values and derivations (default: full, but verdict for\n"
             "--gradescope; the lesson's `feedback` overrides both)"},
    {.id = CHK_STUDENT, .name = "--student", .meta = "ID", .kind = CLIOPT_STRING,
     .help = "grade against this student's variant (the id is\n"
             "compared without case and surrounding blanks)"},
    {.id = CHK_ASSIGNMENT, .name = "--assignment", .meta = "A", .kind = CLIOPT_STRING,
     .help = "the assignment id of the variant (default: the\n"
             "metadata's, else the lesson's title)"},
    {.id = CHK_METADATA, .name = "--metadata", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "Gradescope's submission_metadata.json names the\n"
             "students (users[], a group's every member) and the\n"
             "assignment (assignment.id)"},
    {.id = CHK_STUDENT_FIELD, .name = "--student-field", .meta = "F", .kind = CLIOPT_STRING,
     .help = "which users[] field is the student id (default email)"},
    {.id = CHK_GRADESCOPE, .name = "--gradescope", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "write Gradescope's results.json (one sheet only)"},
    {.id = CHK_VISIBILITY, .name = "--visibility", .meta = "V", .kind = CLIOPT_STRING,
     .help = "of the scored tests in results.json: visible, hidden,\n"
             "after_due_date, after_published (default visible)"},
    {.id = CHK_STDOUT_VISIBILITY, .name = "--stdout-visibility", .meta = "V", .kind = CLIOPT_STRING,
     .help = "of the autograder's printed output (same values)"},
    {.id = CHK_REVEAL, .name = "--reveal", .meta = "V", .kind = CLIOPT_STRING,
     .help = "add a worked answer, an unscored test with visibility V\n"
             "(e.g. after_due_date), for each answer not correct"},
    {.id = CHK_JSON, .name = "--json", .help = "the grades as JSON on stdout instead of text"},
    {.id = CHK_CSV, .name = "--csv", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "one row per sheet, one column per quantity"},
    {.id = CHK_GRADEBOOK, .name = "--gradebook", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "student,score,problem for a gradebook import: one\n"
             "row per student (blank score: several sheets claim the\n"
             "student, or with --roster none was handed in)"},
    {.id = CHK_ROSTER, .name = "--roster", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "the class list (CSV, as for `nntrace variants`):\n"
             "the gradebook has a row for every student on it"},
    {.id = CHK_COLUMN, .name = "--column", .meta = "NAME", .kind = CLIOPT_STRING,
     .help = "the roster column holding the student id"},
    {.id = CHK_QUIET, .name = "--quiet", .help = "no text report (with --gradescope or --csv)"},
    {.id = CHK_NOTATION, .name = "--notation", .kind = CLIOPT_NOTATION,
     .help = "the names of the report (default: the lesson's\n"
             "notation); a sheet may use any notation's names"},
    CLI_OPT_CHAIN(CHK_CHAIN),
    CLI_OPT_COLOR(CHK_COLOR, CHK_NO_COLOR),
};

static int check_help(FILE *f)
{
    if (fputs("usage: nntrace check LESSON ANSWERS... [options]\n\n"
              "Grade answer sheets (lines \"name = number\", see `nntrace template`). Each\n"
              "answer is correct (the engine's value to half a unit of the lesson's last\n"
              "printed digit, or what carrying the printed digits gives), carried forward\n"
              "(wrong, but what the operation gives on your own earlier answers), wrong, or\n"
              "missing. The report names the first mistake and, for every wrong answer, the\n"
              "expected value, the value from your own answers, and the derivation line with\n"
              "your numbers substituted.\n\n"
              "options:\n", f) < 0 || cliopt_help(f, &CLI_CHECK))
        return -1;
    return fprintf(f,
        "\nAn answer sheet is read only up to %u bytes and never executed; a sheet's\n"
        "bad lines are reported and count as unanswered.\n"
        "exit status: 0 every sheet has full marks; 1 a sheet short of full marks, or\n"
        "flagged (two sheets claim one student, a variant not the student's, a\n"
        "student of --roster without a sheet); 2 bad usage, a bad lesson, roster or\n"
        "metadata, or a sheet that cannot be read (missing,\n"
        "not a regular file, too large, UTF-16 or UTF-32, a PDF or other document, a\n"
        "bad '# variant:' line): every other sheet is still graded and every output\n"
        "written\n", GRADE_MAX_BYTES) < 0 ? -1 : 0;
}

const cliopt_cmd CLI_CHECK = {.name = "check", .opts = CHECK_OPTS, .n_opts = CLIOPT_COUNT(CHECK_OPTS), .col = 24,
                              .help = check_help};

/* Append "; " (when dst is not empty) and the formatted text to dst, cut at
 * size - 1. */
static void note_add(char *dst, size_t size, const char *fmt, ...)
{
    size_t n = strlen(dst);
    if (n && n + 2 < size) { memcpy(dst + n, "; ", 3); n += 2; }
    if (n + 1 >= size) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst + n, size - n, fmt, ap);
    va_end(ap);
}

/* Every output option (outs[n_out], NULL when not given, named by names[])
 * against every input (the lesson, each sheet) and every other output, all
 * through the one check cli_not_input: -1 (printed) when one would
 * overwrite another. */
static int outputs_ok(const char *cmd, const char *const *outs, const char *const *names, int n_out,
                      const char *lpath, const char *const *ins, int n_in)
{
    for (int k = 0; k < n_out; k++) {
        if (!outs[k]) continue;
        for (int s = -1; s < n_in; s++)     /* -1: the lesson */
            if (cli_not_input(cmd, outs[k], s < 0 ? lpath : ins[s])) return -1;
        for (int m = 0; m < k; m++) {
            char err[64];
            if (!outs[m] || !strcmp(outs[k], "-")) continue;
            if (strcmp(outs[k], outs[m]) && !outfile_not_input(outs[k], outs[m], err, sizeof err)) continue;
            fprintf(stderr, "nntrace %s: %s and %s both name %s; give each output its own file\n",
                    cmd, names[m], names[k], outs[k]);
            return -1;
        }
    }
    return 0;
}

/* Do two "# variant:" texts name one variant? A code without its check
 * character (a sheet printed before codes had one) is compared by its 8
 * characters; it picks no variant on its own (who_seed). */
static int same_code(const char *a, const char *b)
{
    uint64_t x = 0, y = 0;
    int ra = variant_code_parse(a, &x), rb = variant_code_parse(b, &y);
    return (!ra || ra == VARIANT_CODE_NO_CHECK) && !rb && x == y;
}

/* The sheet-level note and flag of sheet s (shown: its name for people):
 * the variant it was graded against, a "# variant:" line that a lesson
 * without `vary` lines ignores; and the doubts about whose work it is:
 * another sheet claims the same student (claim[n]: whom each sheet
 * claims) or the same variant code (vcode[n]: each sheet's, canonical, ""
 * when none), it names no student on a lesson with `vary` lines, its
 * variant is not the student's, its header names someone
 * other than the submitter or another assignment than the one given
 * (given: --student, --assignment or --metadata). sw is what
 * the sheet's header says, as whom it is graded as (has: as a variant). */
static void sheet_notes(grade_answers *ans, int s, const char *const *sheets, char (*claim)[256],
                        char (*vcode)[VARIANT_CODE_SIZE], int n, const grade_who *given, const grade_who *sw,
                        const grade_who *as, int has, int varies)
{
    if (has)
        note_add(ans->note, sizeof ans->note, "variant %s%s%s", as->code, as->student[0] ? " of " : "", as->student);
    if (varies && !ans->unreadable && !as->student[0])   /* whose work, whose numbers? only the sheet says */
        note_add(ans->flag, sizeof ans->flag, "the sheet names no student (no '# student:' line): graded against %s%s",
                 has ? "variant " : "the lesson's own numbers", has ? as->code : "");
    if (!varies && sw->code[0])
        note_add(ans->note, sizeof ans->note, "the lesson has no 'vary' lines, so there is only one variant: "
                 "'# variant: %s' (line %ld) is ignored", sw->code, sw->code_line);
    if (has && as->student[0] && sw->code[0] && !same_code(sw->code, as->code))
        note_add(ans->flag, sizeof ans->flag, "this sheet is variant %s, not %s's (%s): graded against %s",
                 sw->code, as->student, as->code, as->code);
    if (given->assignment[0] && sw->assignment[0] && strcmp(given->assignment, sw->assignment))
        note_add(ans->flag, sizeof ans->flag, "the sheet's header names assignment %s, but it is graded as "
                 "assignment %s", sw->assignment, given->assignment);
    if (given->student[0] && sw->student[0] && strcmp(given->student, sw->student))
        note_add(ans->flag, sizeof ans->flag, "the sheet's header names %s, but %s submitted it: graded against "
                 "%s's variant", sw->student, given->student, given->student);
    int others = 0;
    for (int t = 0; t < n && claim[s][0]; t++) {
        if (t == s || strcmp(claim[t], claim[s])) continue;
        char name[160];
        grade_safe_name(name, sizeof name, sheets[t]);
        if (others++ == 0) note_add(ans->flag, sizeof ans->flag, "another sheet claims %s too: %s", claim[s], name);
        else if (others <= 3) note_add(ans->flag, sizeof ans->flag, "%s", name);
    }
    if (others > 3) note_add(ans->flag, sizeof ans->flag, "and %d more", others - 3);
    others = 0;       /* one variant on two sheets: a classmate's header copied (a claimed student: above) */
    for (int t = 0; t < n && vcode[s][0]; t++) {
        if (t == s || strcmp(vcode[t], vcode[s]) || (claim[s][0] && !strcmp(claim[t], claim[s]))) continue;
        char name[160];
        grade_safe_name(name, sizeof name, sheets[t]);
        if (others++ == 0) note_add(ans->flag, sizeof ans->flag, "another sheet is variant %s too: %s", vcode[s], name);
        else if (others <= 3) note_add(ans->flag, sizeof ans->flag, "%s", name);
    }
    if (others > 3) note_add(ans->flag, sizeof ans->flag, "and %d more", others - 3);
}

/* The grading options given on check's command line (unset: -1, or 0 for
 * ecf_set and the tolerances), applied over each variant's lesson. */
typedef struct {
    int ecf_set, ecf_depth, sigfigs, feedback, gradescope;
    double ecf, short_credit, tol, rel;
} check_rules;

/* The options for the lesson of c as r overrides them. What the student is
 * told: never the expected values on Gradescope unless someone asked. */
static void check_opts(grade_opts *o, const grade_ctx *c, const check_rules *r)
{
    grade_opts_lesson(o, c->l, c->has_hand ? c->hand.tr : NULL);
    if (r->ecf_set) o->ecf_credit = r->ecf;
    if (r->short_credit >= 0) o->short_credit = r->short_credit;
    if (r->ecf_depth >= 0) { o->rule.ecf_depth = r->ecf_depth; o->rule.ecf_depth_set = 1; }
    if (r->tol > 0 || r->rel > 0 || r->sigfigs > 0) { o->rule.tol = r->tol; o->rule.rel = r->rel; o->rule.sigfigs = r->sigfigs; }
    if (r->feedback >= 0) o->feedback = (grade_feedback)r->feedback;
    else if (c->l->feedback >= 0) o->feedback = (grade_feedback)c->l->feedback;
    else if (r->gradescope) o->feedback = GRADE_FB_VERDICT;
}

/* The score of a sheet against the lesson's own numbers, without a
 * variant: the lecture's worked example, as `nntrace run` prints it.
 * base (zeroed by the caller, freed with ctx_free) is loaded on first use
 * with c's notation, chain and --ask patterns. A sheet copied from the
 * worked example earns carried credit against any variant (every answer
 * after the first one that reads a drawn given follows from it), so a
 * sheet that fits the lesson's own numbers better than its variant is
 * flagged. Returns 0 with *score, 1 out of memory, or 2 when the lesson
 * cannot be run without a variant (message printed). */
static int own_numbers_score(grade_ctx *base, const grade_ctx *c, const char *lpath, const check_rules *r,
                             const char *text, size_t len, double *score)
{
    if (!base->l) {
        base->notation = c->notation;
        base->chain = c->chain;
        base->n_pats = c->n_pats;
        for (int k = 0; k < c->n_pats; k++) base->pats[k] = c->pats[k];   /* in c->patbuf, which outlives base */
        if (ctx_load("check", base, lpath, 1, NULL)) return 2;
    }
    grade_opts o;
    grade_answers ans;
    grade_report rep;
    check_opts(&o, base, r);
    if (grade_parse_answers(&ans, text, len, base->l, base->ix, &base->plan)) return 1;
    int rc = grade_sheet(&rep, base->exact.tr, &base->plan, &ans, &o);
    grade_answers_free(&ans);
    if (rc) return 1;
    *score = rep.score;
    grade_report_free(&rep);
    return 0;
}

/* A group submission (Gradescope's metadata lists several users) on a
 * lesson with `vary` lines: each member has their own numbers, and one
 * sheet comes in. It is graded against the member its "# student:" line
 * names; when that names no member, against the member whose variant fits
 * its answers best (the highest score; the first in users[] on a tie).
 * Every member's variant is graded, so nothing is chosen unseen: note says
 * whose variant and why, flag (the staff's "warning:") says when the
 * header names no member, or when another member's variant fits better
 * than the named one, with each member's score. Returns the member, or
 * -1 when a variant cannot be built (message printed; c is then empty). */
static int group_member(grade_ctx *c, const char *lpath, const gsmeta *meta, const char *assignment,
                        const char *text, size_t len, const grade_who *sw, const check_rules *r,
                        char *note, size_t note_size, char *flag, size_t flag_size)
{
    double score[GSMETA_MAX_USERS], max = 0;
    int named = -1, best = 0;
    for (int k = 0; k < meta->n_users; k++) {
        uint64_t seed = variant_seed(c->l, assignment, meta->users[k]);
        if (!c->has_seed || seed != c->seed) {
            ctx_free(c);
            if (ctx_load("check", c, lpath, 1, &seed)) return -1;
        }
        grade_opts o;
        grade_answers ans;
        grade_report rep;
        check_opts(&o, c, r);
        if (grade_parse_answers(&ans, text, len, c->l, c->ix, &c->plan)) return -1;
        if (grade_sheet(&rep, c->exact.tr, &c->plan, &ans, &o)) { grade_answers_free(&ans); return -1; }
        score[k] = rep.score;
        max = rep.max_score;
        grade_report_free(&rep);
        grade_answers_free(&ans);
        if (score[k] > score[best]) best = k;
        if (!strcmp(meta->users[k], sw->student)) named = k;
    }
    const int chosen = named >= 0 ? named : best;
    char list[1024] = "", scores[1024] = "", s[32], m[32];
    text_num(max, 4, m, sizeof m);
    for (int k = 0; k < meta->n_users; k++) {
        text_num(score[k], 4, s, sizeof s);
        size_t n = strlen(list), n2 = strlen(scores);
        snprintf(list + n, sizeof list - n, "%s%s", k ? ", " : "", meta->users[k]);
        snprintf(scores + n2, sizeof scores - n2, "%s%s %s/%s", k ? ", " : "", meta->users[k], s, m);
    }
    if (named >= 0) {
        note_add(note, note_size, "a group submission of %s, graded against the member the sheet's header "
                 "names", list);
        if (score[best] > score[named])
            note_add(flag, flag_size, "the answers fit the variant of %s better than that of %s, whom the "
                     "sheet's header names; each member's variant scores it: %s", meta->users[best],
                     meta->users[named], scores);
    } else {
        note_add(note, note_size, "a group submission of %s, graded against the member whose variant fits "
                 "the answers best", list);
        if (sw->student[0])
            note_add(flag, flag_size, "the sheet's header names %s, who is not in this group; each member's "
                     "variant scores it: %s", sw->student, scores);
        else
            note_add(flag, flag_size, "the sheet names no student (no '# student:' line); each member's "
                     "variant scores it: %s", scores);
    }
    return chosen;
}

/* One student of a roster: the normalised id and its line. */
typedef struct { char id[sizeof ((grade_who *)0)->student]; long line; } roster_row;
static int roster_read(const char *cmd, const char *file, const char *column, roster_row **rows);

/* One graded sheet as the gradebook sees it: whose it is (key: the student
 * it was graded as, named; else the sheet's name), its score, its problem
 * cell, and when the file was last changed (timed: known). */
typedef struct {
    char key[sizeof ((grade_who *)0)->student], shown[160], problem[GRADE_PROBLEM_SIZE];
    double score, max;
    struct timespec mtime;
    int named, timed;
} book_sheet;

static int book_newer(const book_sheet *a, const book_sheet *b)
{
    if (a->mtime.tv_sec != b->mtime.tv_sec) return a->mtime.tv_sec > b->mtime.tv_sec;
    return a->mtime.tv_nsec > b->mtime.tv_nsec;
}

/* One gradebook row: the student id, then the score of its one sheet
 * (idx[0], m == 1), else blank: no sheet (m == 0), or several sheets claim
 * the student (a resubmission, or a copy with the header and all), and
 * which one counts is the instructor's call: each is listed with its score
 * and file time, the newest marked. pre: what comes first in the problem
 * cell ("" or "not on the roster"). */
static void book_row(strbuf *b, const char *id, const book_sheet *sh, const int *idx, int m, const char *pre)
{
    strbuf cell = {0};
    char num[32], max[32];
    esc_csv(b, id);
    if (m == 1) sb_printf(b, ",%.10g,", sh[idx[0]].score);
    else sb_printf(b, ",,");
    sb_printf(&cell, "%s", pre);
    if (m == 0) {
        sb_printf(&cell, "%sno sheet handed in", pre[0] ? "; " : "");
    } else if (m == 1) {
        sb_printf(&cell, "%s%s", pre[0] && sh[idx[0]].problem[0] ? "; " : "", sh[idx[0]].problem);
    } else {
        int newest = -1, tie = 0;
        for (int k = 0; k < m; k++) {
            const book_sheet *x = &sh[idx[k]];
            if (!x->timed) continue;
            if (newest < 0 || book_newer(x, &sh[idx[newest]])) { newest = k; tie = 0; }
            else if (!book_newer(&sh[idx[newest]], x)) tie = 1;
        }
        sb_printf(&cell, "%sno score: %d sheets claim this student (a resubmission, or a copy?): ",
                  pre[0] ? "; " : "", m);
        for (int k = 0; k < m; k++) {
            const book_sheet *x = &sh[idx[k]];
            char when[64] = "";
            struct tm tm;
            time_t t = x->mtime.tv_sec;
            if (x->timed && localtime_r(&t, &tm) && !strftime(when, sizeof when, ", changed %Y-%m-%d %H:%M:%S", &tm))
                when[0] = '\0';
            text_num(x->score, 4, num, sizeof num);
            text_num(x->max, 4, max, sizeof max);
            sb_printf(&cell, "%s%s %s/%s%s%s", k ? "; " : "", x->shown, num, max, when,
                      k == newest && !tie ? ", the newest" : "");
        }
        sb_printf(&cell, "; grade again with only the sheet that counts");
    }
    esc_csv(b, cell.s ? cell.s : "");
    sb_printf(b, "\n");
    if (cell.failed) b->failed = 1;
    sb_free(&cell);
}

/* Would a spreadsheet opening the gradebook change this id into another
 * number? Digits with a leading zero (00123 becomes 123), more digits than
 * a spreadsheet's 15 significant ones, or digits, an e and digits (1e5 is
 * 100000). */
static int id_spreadsheet_mangles(const char *id)
{
    size_t d = strspn(id, "0123456789");
    if (!d) return 0;
    if (!id[d]) return (id[0] == '0' && d > 1) || d > 15;
    return (id[d] == 'e' || id[d] == 'E') && id[d + 1] && strspn(id + d + 1, "0123456789") == strlen(id + d + 1);
}

/* The gradebook: one row per student, never two (an import takes one
 * score per student): with a roster (rows[n_rows]), every student on it in
 * its order, then any student or unnamed sheet not on it; without one,
 * each student in the order of their first sheet, and each sheet that
 * names no student under its own name. Returns how many roster students
 * have no sheet; *mangled: the first id a spreadsheet would change, or
 * NULL. */
static int book_write(strbuf *b, const book_sheet *sh, int n, const roster_row *rows, int n_rows,
                      const char **mangled)
{
    *mangled = NULL;
    for (int r = 0; r < n_rows && !*mangled; r++)
        if (id_spreadsheet_mangles(rows[r].id)) *mangled = rows[r].id;
    for (int s = 0; s < n && !*mangled; s++)
        if (sh[s].named && id_spreadsheet_mangles(sh[s].key)) *mangled = sh[s].key;
    int *idx = calloc((size_t)n + 1, sizeof *idx), none = 0;
    char *done = calloc((size_t)n + 1, 1);
    if (!idx || !done) { free(idx); free(done); b->failed = 1; return 0; }
    sb_printf(b, "student,score,problem\n");
    for (int r = 0; r < n_rows; r++) {
        int m = 0;
        for (int s = 0; s < n; s++)
            if (sh[s].named && !strcmp(sh[s].key, rows[r].id)) { idx[m++] = s; done[s] = 1; }
        none += m == 0;
        book_row(b, rows[r].id, sh, idx, m, "");
    }
    for (int s = 0; s < n; s++) {
        if (done[s]) continue;
        int m = 0;
        for (int t = s; t < n; t++)
            if (t == s || (sh[s].named && sh[t].named && !done[t] && !strcmp(sh[t].key, sh[s].key))) {
                idx[m++] = t;
                done[t] = 1;
            }
        book_row(b, sh[s].key, sh, idx, m, n_rows ? "not on the roster" : "");
    }
    free(idx);
    free(done);
    return none;
}

int cmd_check(int argc, char **argv)
{
    grade_ctx c;
    memset(&c, 0, sizeof c);
    c.notation = -1;
    const char *lpath = NULL, *gs = NULL, *csv = NULL;
    const char **sheets = calloc((size_t)argc + 1, sizeof *sheets);
    int n_sheets = 0, json = 0, quiet = 0, color = -1, rc;
    check_rules rules = {.ecf_depth = -1, .feedback = -1, .ecf = 1.0, .short_credit = -1};
    gsmeta meta = {0};
    grade_gs_opts gso = {0};
    grade_who who = {0};
    const char *metadata = NULL, *field = "email", *gradebook = NULL, *roster = NULL, *column = NULL;
    roster_row *rows = NULL;
    book_sheet *book_sh = NULL;
    int n_rows = 0;
    if (!sheets) { fprintf(stderr, "nntrace check: out of memory\n"); return EXIT_USAGE; }
    cliopt_parser p = CLIOPT_PARSER(&CLI_CHECK, argc, argv);
    cliopt_value val;
    for (int id; (id = cliopt_next(&p, &val)) != CLIOPT_END;) {
        const char *v = val.s;
        if (id == CLIOPT_HELP) { free(sheets); return 0; }
        if (id == CLIOPT_BAD) goto usage;
        if (id == CLIOPT_ARG) {
            if (!lpath) lpath = v;
            else sheets[n_sheets++] = v;
            continue;
        }
        switch ((enum check_opt)id) {
        case CHK_ASK: if (add_patterns("check", &c, v)) goto usage; break;
        case CHK_NOTATION: c.notation = (int)val.n; break;
        case CHK_CHAIN: c.chain = 1; break;
        case CHK_ECF:
            if (!strcmp(v, "full")) rules.ecf = 1.0;
            else if (!strcmp(v, "half")) rules.ecf = 0.5;
            else if (!strcmp(v, "none")) rules.ecf = 0.0;
            else if (share(v, &rules.ecf)) {
                fprintf(stderr, "nntrace check: --ecf takes full, half, none or a share from 0 to 1, not '%s'\n", v);
                goto usage;
            }
            rules.ecf_set = 1;
            break;
        case CHK_SHORT_CREDIT:
            if (share(v, &rules.short_credit)) {
                fprintf(stderr, "nntrace check: --short-credit takes a share from 0 to 1, not '%s'\n", v);
                goto usage;
            }
            break;
        case CHK_TOLERANCE:
            if (grade_parse_tolerance(v, &rules.tol, &rules.rel)) {
                fprintf(stderr, "nntrace check: --tolerance takes a positive number or a percentage "
                                "(0.001, 1%%), not '%s'\n", v);
                goto usage;
            }
            break;
        case CHK_STUDENT: if (student_arg("check", v, &who)) goto usage; break;
        case CHK_ASSIGNMENT:
            if (who_arg("check", "--assignment", v, who.assignment, sizeof who.assignment)) goto usage;
            break;
        case CHK_METADATA: metadata = v; break;
        case CHK_STUDENT_FIELD: field = v; break;
        case CHK_GRADEBOOK: gradebook = v; break;
        case CHK_ROSTER: roster = v; break;
        case CHK_COLUMN: column = v; break;
        case CHK_ECF_DEPTH: rules.ecf_depth = (int)val.n; break;
        case CHK_SIGFIGS: rules.sigfigs = (int)val.n; break;
        case CHK_FEEDBACK:
            if ((rules.feedback = grade_feedback_parse(v)) < 0) {
                fprintf(stderr, "nntrace check: --feedback takes verdict, hint or full, not '%s'\n", v);
                goto usage;
            }
            break;
        case CHK_VISIBILITY: if (visibility_arg("--visibility", v, &gso.visibility)) goto usage; break;
        case CHK_STDOUT_VISIBILITY:
            if (visibility_arg("--stdout-visibility", v, &gso.stdout_visibility)) goto usage;
            break;
        case CHK_REVEAL: if (visibility_arg("--reveal", v, &gso.reveal)) goto usage; break;
        case CHK_GRADESCOPE: gs = v; break;
        case CHK_CSV: csv = v; break;
        case CHK_JSON: json = 1; break;
        case CHK_QUIET: quiet = 1; break;
        case CHK_COLOR: color = 1; break;
        case CHK_NO_COLOR: color = 0; break;
        }
    }
    if (!lpath || !n_sheets) {
        fprintf(stderr, "nntrace check: needs a lesson and at least one answer sheet\n"
                        "HINT: nntrace check sauppe-sgd-step answers.txt\n");
        goto usage;
    }
    if (cli_need_lesson("check", lpath, "nntrace check sauppe-sgd-step answers.txt")) goto usage;
    if (gs && n_sheets != 1) {
        fprintf(stderr, "nntrace check: --gradescope grades one sheet, not %d\n", n_sheets);
        goto usage;
    }
    /* every output against every input (the roster too) and every other output */
    const char *outs[] = {gs, csv, gradebook};
    const char *outname[] = {"--gradescope", "--csv", "--gradebook"};
    if (outputs_ok("check", outs, outname, 3, lpath, sheets, n_sheets)) goto usage;
    if ((roster || column) && !gradebook) {
        fprintf(stderr, "nntrace check: %s names the students of the gradebook; give --gradebook FILE too\n",
                roster ? "--roster" : "--column");
        goto usage;
    }
    if (column && !roster) {
        fprintf(stderr, "nntrace check: --column names a column of the roster; give --roster FILE too\n");
        goto usage;
    }
    rules.gradescope = gs != NULL;
    for (int k = 0; roster && k < 3; k++)
        if (outs[k] && cli_not_input("check", outs[k], roster)) goto usage;
    if (roster && (n_rows = roster_read("check", roster, column, &rows)) < 0) goto usage;
    if (metadata) {
        char err[768];
        if (gsmeta_read(metadata, field, &meta, err, sizeof err)) {
            fprintf(stderr, "nntrace check: %s\n", err);
            goto usage;
        }
        snprintf(who.student, sizeof who.student, "%s", meta.student);
        if (!who.assignment[0]) snprintf(who.assignment, sizeof who.assignment, "%s", meta.assignment);
    }
    int status = ctx_load("check", &c, lpath, 1, NULL);
    if (status) { ctx_free(&c); free(sheets); free(rows); return status; }
    if (metadata && c.l->n_vary && !who.assignment[0]) {   /* the id picks every student's numbers */
        fprintf(stderr, "nntrace check: %s: no assignment.id, and %s's numbers vary by assignment\n"
                        "HINT: give the assignment with --assignment ID\n", metadata, lpath);
        goto usage;
    }
    /* whom each sheet claims to be: its "# student:" line, else --student */
    char (*claim)[sizeof who.student] = calloc((size_t)n_sheets + 1, sizeof *claim);
    char (*vcode)[VARIANT_CODE_SIZE] = calloc((size_t)n_sheets + 1, sizeof *vcode);
    if (gradebook) book_sh = calloc((size_t)n_sheets + 1, sizeof *book_sh);
    if (!claim || !vcode || (gradebook && !book_sh)) {
        free(claim);
        free(vcode);
        fprintf(stderr, "nntrace check: out of memory\n");
        goto usage;
    }
    for (int s = 0; s < n_sheets; s++) {
        char *text = NULL, why[512];
        size_t len = 0;
        grade_who sw;
        snprintf(claim[s], sizeof claim[s], "%s", who.student);
        if (!strcmp(sheets[s], "-") || grade_read_file(sheets[s], &text, &len, why, sizeof why))
            continue;                       /* standard input is read once, when graded */
        grade_sheet_who(text, len, &sw);
        free(text);
        if (sw.student[0]) snprintf(claim[s], sizeof claim[s], "%s", sw.student);
        uint64_t vs;
        if (c.l->n_vary && !variant_code_parse(sw.code, &vs)) variant_code(vs, vcode[s]);
    }

    grade_opts o;
    grade_ctx base;                    /* the lesson without a variant: own_numbers_score */
    memset(&base, 0, sizeof base);
    if (color < 0) color = cli_color(stdout);
    strbuf out = {0}, csvb = {0}, gsb = {0}, book = {0};
    int any_short = 0, bad_input = 0, failed = 0;
    if (csv) grade_csv_header(&csvb, &c.plan);
    if (json) sb_printf(&out, "{\"lesson\": ");
    if (json) { grade_json_str(&out, c.l->path); sb_printf(&out, ", \"sheets\": [\n"); }
    for (int s = 0; s < n_sheets && !failed; s++) {
        char *text = NULL, why[512], shown[160], err[256];
        size_t len = 0;
        grade_answers ans;
        grade_report rep;
        grade_who sw = {0}, as = who;
        struct stat st;
        int readable = 0, timed = 0;
        grade_safe_name(shown, sizeof shown, sheets[s]);   /* for the terminal and the CSV */
        if (strcmp(sheets[s], "-") && !(timed = stat(sheets[s], &st) == 0)) {
            char base[256];
            lesson_basename(shown, base, sizeof base);
            snprintf(why, sizeof why, "cannot open %s: %s%s%s%s", shown, strerror(errno),
                     errno == ENOENT ? "; upload your answer sheet as '" : "", errno == ENOENT ? base : "",
                     errno == ENOENT ? "'" : "");
            fprintf(stderr, "nntrace check: %s\n", why);
        } else if (grade_read_file(sheets[s], &text, &len, why, sizeof why)) {
            fprintf(stderr, "nntrace check: %s: %s\n", shown, why);
        } else {
            readable = 1;
            grade_sheet_who(text, len, &sw);
            if (sw.student[0]) snprintf(claim[s], sizeof claim[s], "%s", sw.student);
        }
        /* whose variant: the one named by --student/--metadata (for a group,
         * one member's: group_member), else the sheet's own; the assignment
         * given (--assignment, --metadata) wins over the sheet's
         * "# assignment:" line, which sheet_notes flags */
        grade_who given = who;
        char gnote[sizeof ans.note] = "", gflag[sizeof ans.flag] = "";
        if (readable && meta.n_users > 1 && c.l->n_vary) {
            int k = group_member(&c, lpath, &meta, who.assignment, text, len, &sw, &rules, gnote, sizeof gnote,
                                 gflag, sizeof gflag);
            if (k < 0) { free(text); failed = 2; break; }
            snprintf(as.student, sizeof as.student, "%s", meta.users[k]);
            given.student[0] = '\0';       /* the group's flags say who submitted it */
        }
        if (!as.student[0]) {
            as = sw;
            if (who.assignment[0]) snprintf(as.assignment, sizeof as.assignment, "%s", who.assignment);
        }
        uint64_t seed = 0;
        int has = who_seed(c.l, &as, &seed, err, sizeof err);
        if (has < 0) {                 /* a bad "# variant:" line: this sheet is not graded */
            snprintf(why, sizeof why, "line %ld: %s", sw.code_line, err);
            fprintf(stderr, "nntrace check: %s:%ld: %s\n", shown, sw.code_line, err);
            readable = 0;
            has = 0;
        }
        if (!has) as.code[0] = '\0';
        if (!readable) bad_input = 1;
        if (has != c.has_seed || (has && seed != c.seed)) {   /* another variant: rebuild */
            ctx_free(&c);
            if ((status = ctx_load("check", &c, lpath, 1, has ? &seed : NULL))) { free(text); failed = 2; break; }
        }
        check_opts(&o, &c, &rules);

        if (!readable) rc = grade_answers_unreadable(&ans, &c.plan, why);
        else rc = grade_parse_answers(&ans, text, len, c.l, c.ix, &c.plan);
        double own = -1;               /* the score against the lesson's own numbers */
        int own_rc = !rc && readable && has && c.l->n_vary
                   ? own_numbers_score(&base, &c, lpath, &rules, text, len, &own) : 0;
        if (own_rc) {
            grade_answers_free(&ans);
            free(text);
            failed = own_rc;
            break;
        }
        free(text);
        if (rc) { failed = 1; break; }
        if (gnote[0]) note_add(ans.note, sizeof ans.note, "%s", gnote);
        if (gflag[0]) note_add(ans.flag, sizeof ans.flag, "%s", gflag);
        sheet_notes(&ans, s, sheets, claim, vcode, n_sheets, &given, &sw, &as, has, c.l->n_vary > 0);
        if (grade_sheet(&rep, c.exact.tr, &c.plan, &ans, &o)) { grade_answers_free(&ans); failed = 1; break; }
        if (own > rep.score) {
            char a[32], b[32], m[32];
            text_num(own, 4, a, sizeof a);
            text_num(rep.score, 4, b, sizeof b);
            text_num(rep.max_score, 4, m, sizeof m);
            note_add(ans.flag, sizeof ans.flag, "the answers fit the lesson's own numbers (its worked example, "
                     "no variant) better than variant %s: %s/%s against %s/%s", as.code, a, m, b, m);
        }
        if (rep.score < rep.max_score || ans.flag[0]) any_short = 1;
        if (json) {
            if (s) sb_printf(&out, ",\n");
            grade_json(&out, sheets[s], &c.plan, &ans, &rep, &o);
        } else if (!quiet) {
            if (s) sb_printf(&out, "\n");
            grade_text(&out, c.l, shown, c.exact.tr, &c.plan, &ans, &rep, &o, color);
        }
        if (csv) grade_csv_row(&csvb, shown, &as, &c.plan, &ans, &rep);
        if (gradebook) {                /* written at the end, one row per student */
            book_sheet *e = &book_sh[s];
            e->named = as.student[0] != '\0';
            snprintf(e->key, sizeof e->key, "%s", e->named ? as.student : shown);
            snprintf(e->shown, sizeof e->shown, "%s", shown);
            grade_problem_text(e->problem, sizeof e->problem, &ans);
            e->score = rep.score;
            e->max = rep.max_score;
            if ((e->timed = timed)) e->mtime = st.st_mtim;
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
    free(claim);
    free(vcode);
    ctx_free(&base);
    const char *mangled = NULL;
    if (gradebook && !failed && book_write(&book, book_sh, n_sheets, rows, n_rows, &mangled)) any_short = 1;
    if (json && !failed) sb_printf(&out, "\n]}\n");
    if (failed == 2) {
        status = EXIT_USAGE;           /* the lesson's variant failed, message printed */
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
        if (!status && mangled)
            fprintf(stderr, "nntrace check: note: %s keeps student ids as written, but a spreadsheet opening it "
                            "reads an id such as %s as a number and changes it; import the file as it is, or "
                            "open it with the student column as Text (see \"For autograders\" in the README)\n",
                    gradebook, mangled);
        if (!status) status = bad_input ? EXIT_USAGE : any_short ? EXIT_CHECK : 0;
    }
    sb_free(&out);
    sb_free(&csvb);
    sb_free(&gsb);
    sb_free(&book);
    ctx_free(&c);
    free(sheets);
    free(rows);
    free(book_sh);
    return status;
usage:
    ctx_free(&c);
    free(sheets);
    free(rows);
    free(book_sh);
    return EXIT_USAGE;
}

/* ------------------------------------------------------------------------
 * variants: one problem sheet per student of a roster, and the answer key
 * ---------------------------------------------------------------------- */

enum variants_opt { VAR_ROSTER = 1, VAR_COLUMN, VAR_ASSIGNMENT, VAR_ASK, VAR_OUT };

static const cliopt VARIANTS_OPTS[] = {
    {.id = VAR_ROSTER, .name = "--roster", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "CSV with a header row; the id column is --column, else the\n"
             "first of email, sid, id, student, login (none: an error\n"
             "listing the columns). Ids are compared without case and\n"
             "surrounding blanks; two rows of one id are an error.\n"
             "The whole roster is checked first: a bad one writes\n"
             "nothing."},
    {.id = VAR_COLUMN, .name = "--column", .meta = "NAME", .kind = CLIOPT_STRING,
     .help = "the roster column holding the student id"},
    {.id = VAR_ASSIGNMENT, .name = "--assignment", .meta = "A", .kind = CLIOPT_STRING,
     .help = "the assignment id (as Gradescope's metadata gives it)"},
    {.id = VAR_ASK, .name = "--ask", .meta = "PATTERNS", .kind = CLIOPT_STRING,
     .help = "the asked quantities (default: the lesson's `ask`)"},
    {.id = VAR_OUT, .name = "-o", .meta = "DIR", .kind = CLIOPT_STRING,
     .help = "the directory the sheets and the key are written in"},
};

static int variants_help(FILE *f)
{
    if (fputs("usage: nntrace variants LESSON --roster ROSTER.csv -o DIR [options]\n\n"
              "Write each student of the roster their own problem sheet: the lesson with\n"
              "the givens its `vary` lines name drawn from the student's id (and the\n"
              "assignment id), so `nntrace check` regrades the same numbers later.\n\n"
              "  DIR/ID.txt          the student's sheet (`nntrace template --student ID`)\n"
              "  DIR/sheets.txt      every sheet, one per printed page (form feeds)\n"
              "  DIR/answer-key.csv  student, variant, the drawn givens, and each asked\n"
              "                      quantity's value\n\n"
              "options:\n", f) < 0 || cliopt_help(f, &CLI_VARIANTS))
        return -1;
    return fputs("\nexit status: 0 written, 2 bad usage, a bad lesson or roster\n", f) < 0 ? -1 : 0;
}

const cliopt_cmd CLI_VARIANTS = {.name = "variants", .opts = VARIANTS_OPTS, .n_opts = CLIOPT_COUNT(VARIANTS_OPTS),
                                 .col = 20, .help = variants_help};

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


/* The files variants writes beside each student's ID.txt. */
#define VARIANTS_ALL "sheets.txt"
#define VARIANTS_KEY "answer-key.csv"

/* One row of the answer key (the header when header): the student and the
 * variant, the givens the lesson's `vary` lines drew for them (a given the
 * sheet asks for has its own column among the asked ones), alpha when
 * drawn, then each asked value; columns by canonical names, as grades.csv. */
static void key_row(strbuf *key, const grade_ctx *c, const grade_who *who, int header)
{
    const trace *tr = c->exact.tr;
    sb_printf(key, "%s", header ? "student,variant" : "");
    if (!header) { esc_csv(key, who->student); sb_printf(key, ",%s", who->code); }
    for (size_t id = 0; id < tr->n; id++) {
        char name[96], num[64];
        if (!grade_is_given(&tr->q[id]) || !variant_draws(c->l, &tr->q[id])) continue;
        size_t k = 0;
        while (k < c->plan.n && c->plan.ids[k] != id) k++;
        if (k < c->plan.n) continue;                      /* asked: its own column */
        sb_printf(key, ",");
        if (header) { trace_name(&tr->q[id], name, sizeof name); esc_csv(key, name); continue; }
        text_num(tr->q[id].value, 12, num, sizeof num);   /* as the sheet states it */
        sb_printf(key, "%s", num);
    }
    if (variant_draws_rate(c->l)) {
        char num[64];
        text_num(c->l->rate, 12, num, sizeof num);
        sb_printf(key, ",%s", header ? "alpha" : num);
    }
    for (size_t q = 0; q < c->plan.n; q++) {
        char num[64];
        sb_printf(key, ",");
        if (header) { esc_csv(key, c->plan.names[q]); continue; }
        text_num(tr->q[c->plan.ids[q]].value, lesson_answer_digits(c->l), num, sizeof num);
        sb_printf(key, "%s", num);
    }
    sb_printf(key, "\n");
}

/* A roster row's sheet file name and where it came from, for sorting. */
typedef struct { char name[300]; const roster_row *row; } roster_file;

static int file_cmp(const void *a, const void *b)
{
    const roster_file *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->row->line > y->row->line) - (x->row->line < y->row->line);
}

/* Would two students' sheets, or a sheet and the combined file, be one file
 * (a/b and a_b are both a_b.txt; a student 'sheets' is sheets.txt)? Says
 * which and returns 1; 0 when every file is its own. */
static int roster_files_clash(const char *roster, const roster_row *rows, int n)
{
    roster_file *f = malloc(((size_t)n + 1) * sizeof *f);
    if (!f) { fprintf(stderr, "nntrace variants: out of memory\n"); return 1; }
    for (int s = 0; s < n; s++) {
        id_file_name(rows[s].id, f[s].name, sizeof f[s].name);
        f[s].row = &rows[s];
    }
    qsort(f, (size_t)n, sizeof *f, file_cmp);
    int clash = 0;
    for (int s = 0; s < n && !clash; s++) {
        if (!strcmp(f[s].name, VARIANTS_ALL)) {
            fprintf(stderr, "nntrace variants: %s:%ld: student '%s' would be written as %s, the file of "
                            "all the sheets\n", roster, f[s].row->line, f[s].row->id, VARIANTS_ALL);
            clash = 1;
        } else if (s + 1 < n && !strcmp(f[s].name, f[s + 1].name)) {
            fprintf(stderr, "nntrace variants: %s:%ld and %ld: students '%s' and '%s' would both be "
                            "written as %s\nHINT: give one of them another id in the roster\n",
                    roster, f[s].row->line, f[s + 1].row->line, f[s].row->id, f[s + 1].row->id, f[s].name);
            clash = 1;
        }
    }
    free(f);
    return clash;
}

static const char *const ROSTER_IDS[] = {"email", "sid", "id", "student", "login"};

/* Rows of a course site's gradebook export that are no student: they have
 * no id, and their first cell says what they are (Canvas's second row,
 * "    Points Possible,,,,,10"; its "Muted" row of older exports). */
static const char *const ROSTER_NOT_STUDENTS[] = {"points possible", "muted"};

static int roster_not_student(const char *first)
{
    char h[64];
    snprintf(h, sizeof h, "%s", first);
    grade_id_normalise(h);
    for (size_t k = 0; k < sizeof ROSTER_NOT_STUDENTS / sizeof ROSTER_NOT_STUDENTS[0]; k++)
        if (!strcmp(h, ROSTER_NOT_STUDENTS[k])) return 1;
    return 0;
}

/* The id column of a roster's header f[nf] (line: its text, for the
 * message): --column when given, else the first of ROSTER_IDS. Returns the
 * column, or -1 (printed: the columns found, a did-you-mean, a ';'
 * separated file named as such). */
static int roster_idcol(const char *cmd, const char *file, const char *column, char **f, int nf, const char *line)
{
    for (size_t w = 0; w < (column ? 1 : sizeof ROSTER_IDS / sizeof ROSTER_IDS[0]); w++) {
        const char *want = column ? column : ROSTER_IDS[w];
        for (int k = 0; k < nf; k++) {
            char h[256];
            snprintf(h, sizeof h, "%s", f[k]);
            grade_id_normalise(h);           /* a header is compared as an id is */
            if (!strcasecmp(h, want)) return k;
        }
    }
    strbuf cols = {0};
    for (int k = 0; k < nf; k++) sb_printf(&cols, "%s'%s'", k ? ", " : "", f[k]);
    if (column) fprintf(stderr, "nntrace %s: %s:1: no column '%s' in the header; columns: %s\n", cmd, file, column,
                        cols.s ? cols.s : "");
    else
        fprintf(stderr, "nntrace %s: %s:1: no student id column in the header (one of email, sid, id, "
                        "student, login, or --column NAME); columns: %s\n", cmd, file, cols.s ? cols.s : "");
    sb_free(&cols);
    if (nf == 1 && strchr(line, ';')) {
        fprintf(stderr, "HINT: the roster is separated by ';', not ','; save it as comma-separated CSV\n");
        return -1;
    }
    /* the nearest column, compared as ids are ("Email Address" begins with "email") */
    for (size_t w = 0; w < (column ? 1 : sizeof ROSTER_IDS / sizeof ROSTER_IDS[0]); w++)
        for (int k = 0; k < nf; k++) {
            char h[256], near[256];
            const char *cand = h;
            snprintf(h, sizeof h, "%s", f[k]);
            grade_id_normalise(h);
            if (!suggest(column ? column : ROSTER_IDS[w], &cand, 1, near, sizeof near)) continue;
            fprintf(stderr, "HINT: did you mean --column '%s'?\n", f[k]);
            return -1;
        }
    return -1;
}

/* Read and check a whole roster (a header row, then one student a row):
 * every id normalised (grade_id_normalise), present, printable, short
 * enough, and on one row only. Returns the number of students and *rows
 * (caller frees), or -1 with every message printed (file:line, what is
 * wrong). */
static int roster_read(const char *cmd, const char *file, const char *column, roster_row **rows)
{
    char *text = NULL, why[256];
    size_t len = 0;
    *rows = NULL;
    if (grade_read_file(file, &text, &len, why, sizeof why)) {
        fprintf(stderr, "nntrace %s: %s: %s\n", cmd, file, why);
        return -1;
    }
    if (memchr(text, '\0', len)) {
        fprintf(stderr, "nntrace %s: %s: not a text file (a NUL byte)\n", cmd, file);
        free(text);
        return -1;
    }
    int n = 0, cap = 0, idcol = -1, bad = 0;
    roster_row *r = NULL;
    char *colname = NULL;
    size_t pos = len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3) ? 3 : 0, start, ll;
    long ln = 0;
    while (!bad && textline_next(text, len, &pos, &start, &ll)) {
        char *line = text + start, *f[64], copy[128];
        line[ll] = '\0';                    /* the line end (or the text's NUL) */
        ln++;
        if (!*line) continue;
        snprintf(copy, sizeof copy, "%s", line);
        int nf = csv_split(line, f, 64);
        if (idcol < 0) {                    /* the header */
            if ((idcol = roster_idcol(cmd, file, column, f, nf, copy)) < 0) bad = 1;
            else colname = f[idcol];
            continue;
        }
        char *id = idcol < nf ? f[idcol] : (char *)"";
        grade_id_normalise(id);
        size_t idlen = strlen(id);
        if (!idlen && roster_not_student(f[0])) continue;
        if (!idlen) {
            fprintf(stderr, "nntrace %s: %s:%ld: no student id in column %d ('%s')\n", cmd, file, ln, idcol + 1,
                    colname);
            bad = 1;
        } else if (idlen >= sizeof r->id) {
            fprintf(stderr, "nntrace %s: %s:%ld: a student id of %zu characters; at most %zu\n", cmd, file, ln,
                    idlen, sizeof r->id - 1);
            bad = 1;
        } else if (!grade_printable(id)) {
            fprintf(stderr, "nntrace %s: %s:%ld: the student id holds a character that is not printable "
                            "ASCII\n", cmd, file, ln);
            bad = 1;
        }
        for (int k = 0; !bad && k < n; k++)
            if (!strcmp(r[k].id, id)) {
                fprintf(stderr, "nntrace %s: %s:%ld: %s is already on line %ld (ids are compared without "
                                "case and surrounding blanks)\n", cmd, file, ln, id, r[k].line);
                bad = 1;
            }
        if (bad) break;
        if (n == cap) {
            roster_row *g = realloc(r, (size_t)(cap = cap ? 2 * cap : 64) * sizeof *g);
            if (!g) { fprintf(stderr, "nntrace %s: out of memory\n", cmd); bad = 1; break; }
            r = g;
        }
        memcpy(r[n].id, id, idlen + 1);
        r[n++].line = ln;
    }
    free(text);
    if (!bad && !n) {
        fprintf(stderr, "nntrace %s: %s has no students (a header row, then one row per student)\n", cmd, file);
        bad = 1;
    }
    if (bad) { free(r); return -1; }
    *rows = r;
    return n;
}

int cmd_variants(int argc, char **argv)
{
    grade_ctx c;
    memset(&c, 0, sizeof c);
    c.notation = -1;
    const char *path = NULL, *dir = NULL, *roster = NULL, *column = NULL;
    char assignment[256] = "";
    cliopt_parser p = CLIOPT_PARSER(&CLI_VARIANTS, argc, argv);
    cliopt_value val;
    for (int id; (id = cliopt_next(&p, &val)) != CLIOPT_END;) {
        if (id == CLIOPT_HELP) return 0;
        if (id == CLIOPT_BAD) return EXIT_USAGE;
        if (id == CLIOPT_ARG) {
            if (cli_one_lesson("variants", val.s, &path)) return EXIT_USAGE;
            continue;
        }
        switch ((enum variants_opt)id) {
        case VAR_ASK: if (add_patterns("variants", &c, val.s)) return EXIT_USAGE; break;
        case VAR_ROSTER: roster = val.s; break;
        case VAR_COLUMN: column = val.s; break;
        case VAR_ASSIGNMENT:
            if (who_arg("variants", "--assignment", val.s, assignment, sizeof assignment)) return EXIT_USAGE;
            break;
        case VAR_OUT: dir = val.s; break;
        }
    }
    if (cli_need_lesson("variants", path, "nntrace variants LESSON --roster roster.csv -o sheets")) return EXIT_USAGE;
    if (!roster || !dir) {
        fprintf(stderr, "nntrace variants: needs --roster FILE.csv and -o DIR\n"
                        "HINT: nntrace variants %s --roster roster.csv -o sheets\n", path);
        return EXIT_USAGE;
    }
    /* the whole roster first: nothing is written for a bad one */
    roster_row *rows = NULL;
    int n = roster_read("variants", roster, column, &rows);
    if (n < 0) return EXIT_USAGE;
    if (roster_files_clash(roster, rows, n)) {
        free(rows);
        return EXIT_USAGE;
    }
    strbuf all = {0}, key = {0};
    strbuf *sheet = calloc((size_t)n + 1, sizeof *sheet);
    int status = sheet ? 0 : EXIT_USAGE;
    if (!sheet) fprintf(stderr, "nntrace variants: out of memory\n");
    /* every sheet in memory, then every file: a failed variant writes nothing */
    for (int s = 0; s < n && !status; s++) {
        grade_who who = {0};
        snprintf(who.student, sizeof who.student, "%s", rows[s].id);
        snprintf(who.assignment, sizeof who.assignment, "%s", assignment);
        ctx_free(&c);
        if ((status = template_render("variants", &c, path, &who, &sheet[s]))) break;
        if (!key.len) key_row(&key, &c, &who, 1);
        key_row(&key, &c, &who, 0);
        if (s) sb_printf(&all, "\f\n");
        sb_printf(&all, "%s", sheet[s].s ? sheet[s].s : "");   /* the sheets, one a page */
    }
    if (!status && mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "nntrace variants: cannot make %s: %s\n", dir, strerror(errno));
        status = EXIT_USAGE;
    }
    for (int s = 0; s < n && !status; s++) {
        char name[300], file[4096];
        id_file_name(rows[s].id, name, sizeof name);
        snprintf(file, sizeof file, "%s/%s", dir, name);
        if (cli_write("variants", file, &sheet[s])) status = EXIT_USAGE;
    }
    if (!status) {
        char file[4096];
        snprintf(file, sizeof file, "%s/" VARIANTS_ALL, dir);
        if (cli_write("variants", file, &all)) status = EXIT_USAGE;
        snprintf(file, sizeof file, "%s/" VARIANTS_KEY, dir);
        if (!status && cli_write("variants", file, &key)) status = EXIT_USAGE;
        if (!status) printf("wrote %d sheet%s, %s/" VARIANTS_ALL " and %s/" VARIANTS_KEY "\n", n, n == 1 ? "" : "s", dir, dir);
    }
    for (int s = 0; sheet && s < n; s++) sb_free(&sheet[s]);
    free(sheet);
    free(rows);
    sb_free(&all);
    sb_free(&key);
    ctx_free(&c);
    return status;
}
