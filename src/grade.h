/*
 * grade.h - grading a student's answer sheet for a lesson.
 *
 * A sheet is untrusted text, one answer a line:
 *
 *     # comments and blank lines are ignored
 *     in_3 = 0.19
 *     a_3  = 0.5474          # a trailing comment is ignored
 *     a_4 = g(in_4) = 0.27   # a copied derivation: the text after the last '='
 *     err_3 : 0.4526         # ':' works as '=' too
 *     J<TAB>0.482              # two cells pasted from a spreadsheet, too
 *     delta_3 =              # blank: missing
 *
 * Names are canonical or any form names_canonical accepts (labels, aliases,
 * "Delta_3", "^(0)"). A UTF-8 BOM and CRLF line ends are accepted. Every
 * other line is a problem with its line number (not a number, unknown name,
 * not asked, given twice: the first answer counts, NUL byte, too long), and
 * the rest of the sheet is graded. The file is never read beyond
 * GRADE_MAX_BYTES, nothing in it is executed or used as a path, and a
 * line's text is echoed only through esc_visible (printable characters as
 * written, a tab, an invisible character or a broken byte as <U+0009> or
 * <0xFF>; at most 40 characters; an unknown name through names.h, which
 * shows every character outside the notation's alphabet as <U+XXXX>).
 *
 * A grade plan fixes the asked quantities (in trace order) and their points;
 * grading judges each asked answer in trace order with judge.h, so swapped
 * lines grade the same as ordered ones.
 *
 * Ownership: every struct here owns its arrays; free with its _free
 * function. A plan and a report borrow the trace they were made for.
 */
#ifndef NNTRACE_GRADE_H
#define NNTRACE_GRADE_H

#include <stddef.h>
#include <stdio.h>

#include "judge.h"
#include "lesson.h"
#include "names.h"
#include "text.h"
#include "trace.h"

#define GRADE_MAX_BYTES    (1u << 20)   /* an answer sheet is at most 1 MiB */
#define GRADE_MAX_LINE     1000         /* longer lines are reported, not read */
#define GRADE_MAX_SHOWN    20           /* problems listed one by one per sheet */
#define GRADE_MAX_PATTERNS 256
#define GRADE_WRITTEN      48           /* bytes of an answer's text kept for reports */

/* ------------------------------------------------------------------------
 * The plan: what is asked, for how many points
 * ---------------------------------------------------------------------- */

/* Whose sheet: the student, the assignment and the variant code ("" when
 * not known); code_line: the sheet's line of "# variant:" (0: none). */
typedef struct {
    char student[256], assignment[256], code[16];
    long code_line;
} grade_who;

/* A student id as nntrace compares and hashes it, in place: blanks (a
 * no-break space too: base/blank.h) and line ends around it trimmed, ASCII
 * letters lower-cased. Every id read (a
 * roster row, Gradescope's metadata, a sheet's "# student:" line,
 * --student) goes through this one function, so " Ada@Example.edu" and
 * "ada@example.edu" are one student with one variant. */
void grade_id_normalise(char *id);

/* 1 when every byte of s is printable ASCII, as every id is (a student id,
 * an assignment id, a variant code, wherever read): ids are echoed in
 * results and file names, and a roster's id must be what a student types. */
int grade_printable(const char *s);

/* A points rule: quantities matching pattern are worth points. */
typedef struct { const char *pattern; double points; } grade_points;

typedef struct {
    size_t  n;
    size_t *ids;       /* [n] asked quantity ids, increasing */
    double *points;    /* [n] */
    char  (*names)[96];/* [n] canonical names (JSON, CSV) */
    char  (*shown)[192];/* [n] names in the plan's notation (what people read and write);
                           the canonical name where that would name another quantity */
    const lesson *l;   /* borrowed: the lesson and notation of shown[] */
    int notation;
} grade_plan;

/* Does the glob pattern (with '*' any run, '?' any one character) match
 * name? Other characters match themselves. */
int grade_glob(const char *pattern, const char *name);

/* Split a pattern list ("in_* delta_*", also ';'-separated; a blank inside
 * braces, as in a LaTeX name, does not separate) into at most max patterns,
 * copying into buf; returns the count, or -1 when too many or too long. */
int grade_split_patterns(const char *list, char *buf, size_t bufsize, const char **out, int max);

/* Resolve the asked set. patterns[] (n_patterns; 0 = every computed
 * quantity, i.e. every non-constant one) are canonical names, lesson forms
 * (labels, aliases), or globs over canonical names; globs match computed
 * quantities only, a plain name may ask for a given one (w_0,3). Each
 * quantity counts once, the first of equal names. Points default to 1; the
 * last matching points rule wins. Returns 0, or -1 with a message (a
 * pattern that matches nothing, an unknown name, out of memory). */
int grade_plan_make(grade_plan *plan, const lesson *l, const trace *tr, names_index *ix,
                    const char *const *patterns, size_t n_patterns,
                    const grade_points *pts, size_t n_pts, char *err, size_t errsize);
void grade_plan_free(grade_plan *plan);

/* The plan as the lesson states it: patterns[] when n_patterns > 0 (e.g.
 * from --ask), else the lesson's `ask` list, else every computed quantity;
 * points from the lesson's `points` lines. Same contract as above. */
int grade_plan_lesson(grade_plan *plan, const lesson *l, const trace *tr, names_index *ix,
                      const char *const *patterns, size_t n_patterns, char *err, size_t errsize);

/* ------------------------------------------------------------------------
 * A sheet
 * ---------------------------------------------------------------------- */

typedef struct { long line; char msg[512]; } grade_problem;

typedef struct {
    long    *line;        /* [plan n] line of the answer, 0 = none */
    long    *refused;     /* [plan n] when not given: the line of an answer to it that
                             could not be read (54.74%, nan), 0 = none */
    const char **refused_why;  /* [plan n] then: why (judge_num_strerror) */
    double  *value;       /* [plan n] */
    unsigned char *given; /* [plan n] */
    int     *decimals;    /* [plan n] decimals written (judge_parse_number) */
    char   (*written)[GRADE_WRITTEN];  /* [plan n] the answer as the student wrote it
                           (0.30 stays 0.30), safe to show (grade_safe_name), cut */
    grade_problem *problems;   /* the first GRADE_MAX_SHOWN */
    size_t  n_problems, n_problems_total;
    long    n_lines;
    int     unreadable;   /* the whole file was refused (size, not a file) */
    const char *empty;    /* the sheet holds nothing: "0 bytes" or "only blank lines"
                             (a static string), else NULL */
    char    note[512];    /* a sheet-level note (the variant it was graded against), or "" */
    char    flag[768];    /* a doubt about whose work this is (two sheets claim one
                             student, a variant not the student's), or "" */
    char    why[256];     /* then: why */
} grade_answers;

/* Read an answers file (path, or "-" for stdin) into *text (NUL-terminated,
 * caller frees) without reading beyond GRADE_MAX_BYTES + 1 bytes, refusing
 * symbolic links and non-regular files before reading (opened without
 * following a link and without blocking). Returns 0, or -1 with a reason. */
int grade_read_file(const char *path, char **text, size_t *len, char *why, size_t whysize);

/* The same for any untrusted input of at most max bytes; what names the
 * kind of file in the message about its size ("an answer sheet"). The
 * buffer grows with what is read, so a large limit costs a small file
 * nothing (Gradescope's metadata, which carries the results of every
 * earlier submission, may be far larger than a sheet: gsmeta.h). */
int grade_read_file_max(const char *path, size_t max, const char *what, char **text, size_t *len, char *why,
                        size_t whysize);

/* A sheet's path as a terminal or a CSV cell may show it, through
 * esc_visible: a control or invisible character is <U+XXXX> and a byte of
 * invalid UTF-8 <0xXX>, so a file name cannot send escape sequences or
 * turn the text around; "..." when cut to fit size. */
void grade_safe_name(char *out, size_t size, const char *path);

/* The header line of a sheet written in another notation than its
 * lesson's: "# notation: layer" (template writes it; check reads the
 * sheet's names in that notation first). */
#define GRADE_NOTATION_KEY "# notation:"

/* Parse sheet text (len bytes, may hold NULs) against a plan. Returns 0,
 * or -1 out of memory. */
int grade_parse_answers(grade_answers *out, const char *text, size_t len, const lesson *l,
                        names_index *ix, const grade_plan *plan);
/* An answers record for a sheet that could not be read at all. */
int grade_answers_unreadable(grade_answers *out, const grade_plan *plan, const char *why);
void grade_answers_free(grade_answers *a);

/* ------------------------------------------------------------------------
 * Grading and reports
 * ---------------------------------------------------------------------- */

/* How much a report tells the student about a quantity:
 *   verdict  right / carried forward / too few decimals / wrong / missing,
 *            and the first mistake by name: no expected value, no number
 *            the student did not write;
 *   hint     also the formula, with the student's own numbers and the
 *            givens the sheet shows substituted (never the value it
 *            gives; an operand the sheet does not answer or show stays
 *            its name);
 *   full     also the expected value, the value from the student's own
 *            answers and the whole derivation. */
typedef enum { GRADE_FB_VERDICT, GRADE_FB_HINT, GRADE_FB_FULL, GRADE_FB_N } grade_feedback;

/* "verdict", "hint", "full" -> the level, or -1. */
int grade_feedback_parse(const char *s);
const char *grade_feedback_name(grade_feedback f);
/* A tolerance as written: "0.001" (absolute) or "1%" (relative, stored as
 * 0.01 in *rel_tol); the other is set to 0. Returns 0, or -1. */
int grade_parse_tolerance(const char *s, double *abs_tol, double *rel_tol);
/* Is s one of Gradescope's visibility values (visible, hidden,
 * after_due_date, after_published)? */
int grade_visibility_ok(const char *s);

typedef struct {
    judge_rule rule;
    double ecf_credit;    /* share of the points a carried-forward answer earns */
    double short_credit;  /* share of the points a too-few-decimals answer earns */
    grade_feedback feedback;
    int    digits;        /* decimals in reports */
} grade_opts;

/* What Gradescope's results.json shows, and when. */
typedef struct {
    const char *visibility;        /* of the scored tests (NULL: visible) */
    const char *stdout_visibility; /* of run_autograder's output (NULL: unset) */
    const char *reveal;            /* NULL, or the visibility of a second,
                                      unscored test, the worked answer, per
                                      quantity not answered correctly
                                      (e.g. after_due_date) */
} grade_gs_opts;

typedef struct {
    judge_result res;     /* verdict, truth, ecf, hand */
    double score;
    char   derivation[512];   /* "name = symbolic = your numbers = value" */
    char   hint[512];         /* "name = symbolic = your numbers", no value */
    char   worked[512];       /* "name = symbolic = the lesson's numbers = value"
                                 (or "name = value" for a given); "" when correct */
} grade_item;

typedef struct {
    size_t n;
    grade_item *items;    /* [plan n] */
    double score, max_score;
    long   first_mistake; /* index of the first wrong answer in trace order, -1 */
    size_t count[JUDGE_NVERDICTS];   /* by judge_verdict */
} grade_report;

/* Options as the lesson states them: its digits, `tolerance` and `ecf`
 * (default full credit), with hand (may be NULL) as the hand-rounded trace
 * (judge_rule.hand). */
void grade_opts_lesson(grade_opts *o, const lesson *l, const trace *hand);

/* Grade answers against the plan. Returns 0, or -1 out of memory. */
int grade_sheet(grade_report *rep, const trace *tr, const grade_plan *plan,
                const grade_answers *ans, const grade_opts *o);
void grade_report_free(grade_report *rep);

/* The student's report as plain text (colour: ANSI). Appends to b. */
void grade_text(strbuf *b, const lesson *l, const char *sheet_name, const trace *tr,
                const grade_plan *plan, const grade_answers *ans, const grade_report *rep,
                const grade_opts *o, int color);

/* Gradescope's results.json: top level score, output, tests; each test
 * name, score, max_score, status, output, visibility. Appends to b. */
void grade_gradescope(strbuf *b, const lesson *l, const char *sheet_name, const trace *tr,
                      const grade_plan *plan, const grade_answers *ans, const grade_report *rep,
                      const grade_opts *o, const grade_gs_opts *gso);

/* One sheet as a JSON object (for --json). Appends to b. */
void grade_json(strbuf *b, const char *sheet_name, const grade_plan *plan,
                const grade_answers *ans, const grade_report *rep, const grade_opts *o);

/* CSV for a class: the header, then one row per sheet: the sheet, the
 * student and variant (who, may be NULL), the score and counts, the first
 * mistake, the problem cell (grade_problem_cell), then per
 * asked quantity its points, its verdict letter (judge_verdict_letter) and
 * the answer given. */
void grade_csv_header(strbuf *b, const grade_plan *plan);
/* The CSV cell "problem" of a sheet (the class CSV and the gradebook):
 * "not graded: WHY" for a sheet that could not be graded, and its flag
 * (two sheets claim one student, a variant not the student's); "" when
 * neither. grade_problem_text writes it to out (size bytes, cut to fit;
 * GRADE_PROBLEM_SIZE holds it whole), grade_problem_cell appends it to b,
 * escaped. */
#define GRADE_PROBLEM_SIZE (sizeof ((grade_answers *)0)->why + sizeof ((grade_answers *)0)->flag + 32)
void grade_problem_text(char *out, size_t size, const grade_answers *ans);
void grade_problem_cell(strbuf *b, const grade_answers *ans);
void grade_csv_row(strbuf *b, const char *sheet_name, const grade_who *who, const grade_plan *plan,
                   const grade_answers *ans, const grade_report *rep);

/* The who-lines of a sheet's header ("# student: ID", "# assignment: A",
 * "# variant: CODE"), sanitised to printable ASCII; absent ones "". */
void grade_sheet_who(const char *text, size_t len, grade_who *who);

/* Is q a given number of the problem statement, as a sheet's header and
 * the answer key list them (a constant of the first iteration other than
 * the bias: a weight w^(0), an input, a target)? 1 or 0. */
int grade_is_given(const quantity *q);

/* Which constants a sheet for plan gives the student, into gives[tr->n]:
 * GRADE_GIVEN_LISTED for each one its "given:" lines list (every
 * grade_is_given one, and each constant of a later step that an asked
 * quantity is computed from, unless it has the value last listed under
 * its name: another example's input or target, the weights after steps
 * the trace does not show), GRADE_GIVEN_KNOWN for one the student knows
 * without a line (a_0 = 1, or a later step's constant with the value last
 * listed under its name), GRADE_GIVEN_NOT for the rest. The template lists
 * them; a hint substitutes only them. Returns 0, or -1 out of memory. */
enum { GRADE_GIVEN_NOT = 0, GRADE_GIVEN_LISTED, GRADE_GIVEN_KNOWN };
int grade_sheet_givens(const trace *tr, const grade_plan *plan, unsigned char *gives);

/* The answer template: a comment header (who, the problem's given numbers,
 * rate and rounding, how to check it: the lesson as the user named it,
 * `named`, or NULL for its path), then "name = " per asked quantity. who
 * may be NULL. */
void grade_template(strbuf *b, const lesson *l, const trace *tr, const grade_plan *plan,
                    const grade_who *who, const char *named);

/* JSON string literal of s (escaped, control bytes as \u00XX, invalid
 * UTF-8 bytes as U+FFFD). */
void grade_json_str(strbuf *b, const char *s);

#endif
