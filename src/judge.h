/*
 * judge.h - is a student's number for one quantity right? (shared by the
 * grader, `nntrace check`, and the quiz, `nntrace quiz`)
 *
 * A student answers quantities of a trace (trace.h) one at a time. Each
 * answer gets one of four verdicts:
 *
 *   correct  the number matches the engine's value to the tolerance (below),
 *            or every operand the student gave was judged correct and the
 *            number matches the operation applied to those answers (a student
 *            who carries hand-rounded intermediates is right);
 *   carried  (error carried forward, ECF) not correct, but some operand the
 *            student gave was not correct and the number matches the
 *            quantity's operation applied to the student's OWN operand
 *            answers (operands not given: the values the engine used);
 *   wrong    neither;
 *   missing  no answer.
 *
 * The ECF value is computed by eval_apply (eval.h) over the quantity's own
 * op_spec and operand ids in the trace: no formula is written here.
 *
 * Tolerance rule, exactly. Let r be a reference value (the engine's value,
 * or the ECF value) and D the lesson's display decimals (lesson.digits):
 *   tol(r) = the stated tolerance, when the lesson or caller states one
 *            (judge_rule.tol > 0); otherwise half a unit of r's last
 *            displayed digit, as text_num shows r:
 *              |r| >= 0.5e-D : tol = 0.5 * 10^-D
 *              0 < |r| < 0.5e-D (shown as d.ddde-N with D significant
 *                        digits): tol = 0.5 * 10^(floor(log10|r|) - (D-1))
 *              r == 0    : tol = 0.5 * 10^-D
 *   and an answer s matches r when |s - r| <= tol(r) * (1 + 1e-9)
 *   (JUDGE_MATCH_SLACK). The rule steps are tried in this order (absolute,
 *   relative, significant figures, decimals) by judge_tolerance and by
 *   judge_match_formula alike.
 * A tie (exactly half a unit off, as 0.2121 or 0.2122 for 0.21215) matches.
 * The references r for "correct" are: the engine's value; the value of the
 * same quantity in the hand-rounded trace judge_rule.hand (when given); and
 * the operation over the student's own operands when they were all correct.
 * So with D = 4, 0.5474, .5474, 5.474e-1 and 0.54736 all match 0.54735762;
 * 0.547 and 0.55 do not (they carry fewer digits than the lesson prints);
 * and the lecture's hand-carried w_0,3^(1) = 0.2122 (exact value 0.2121454)
 * is correct through the hand-rounded trace.
 *
 * Order: a verdict depends on the verdicts of the operands, and operand ids
 * are smaller than the quantity's id (trace.h), so judge answers in id
 * order (the grader does; the quiz asks in trace order).
 *
 * Ownership: a judge_sheet is owned by its creator (judge_sheet_free); the
 * trace it was made for must outlive it and must not change.
 */
#ifndef NNTRACE_JUDGE_H
#define NNTRACE_JUDGE_H

#include <stddef.h>

#include "base/strbuf.h"
#include "trace.h"

/* ------------------------------------------------------------------------
 * A student's number
 * ---------------------------------------------------------------------- */

typedef enum {
    JNUM_OK = 0,
    JNUM_EMPTY,       /* nothing but blanks: an unanswered line */
    JNUM_SYNTAX,      /* not a decimal number (letters, two dots, hex, ...) */
    JNUM_PERCENT,     /* a trailing '%': not a number here */
    JNUM_NONFINITE,   /* nan, inf, infinity (any case, any sign) */
    JNUM_RANGE,       /* finite in writing but too large for a double (1e999) */
    JNUM_COMMA,       /* more than one separator (1,234.5 or 1,2,3) */
    JNUM_ZERO_DIV,    /* a fraction over 0 */
    JNUM_TINY,        /* nonzero in writing but nearer 0 than a double holds (1e-400) */
    JNUM_LONG,        /* more characters than a number written by hand has */
} judge_num_status;

/* The decimals of an exact answer (a fraction): never "too few". */
#define JUDGE_EXACT_DECIMALS 1000

/* Parse a student's number from s[0 .. len) (need not be NUL-terminated;
 * NUL bytes inside are a syntax error). Blanks (space, tab) around it are
 * ignored. Accepted, as students write them:
 *   [sign] digits [sep digits] [(e|E) [sign] digits]
 * with at least one digit before or after the separator, where sign is +,
 * - or the Unicode minus U+2212 and sep is a point or a decimal comma
 * (0.5474 .5474 0,5474 5.474e-1 +3 7. -0 −0.2), and fractions of two such
 * numbers, a/b (1/2, -3/4, 0.5/2). A comma is always decimal: there are no
 * thousands separators, so 1,234.5 and 1,2,3 are refused. Also refused:
 * 54.74%, nan, inf, 0x1p-1, 1e999, 1/0.
 * On JNUM_OK stores the value in *value (-0 as 0) and, if decimals is not
 * NULL, the decimals written counting the exponent (5.474e-1 -> 4,
 * 12e2 -> 0; a fraction is exact: JUDGE_EXACT_DECIMALS) in *decimals.
 * Never reads beyond len. */
judge_num_status judge_parse_number(const char *s, size_t len, double *value, int *decimals);

/* The forms of a number every message lists (judge_num_strerror's
 * JNUM_SYNTAX, the quiz's help, the answer sheet's header), in one place. */
#define JUDGE_NUMBER_FORMS "0.5474, 0,5474, 5.474e-1 or 1/2"

/* A short English reason for a status ("a trailing % is not a number"). */
const char *judge_num_strerror(judge_num_status st);

/* ------------------------------------------------------------------------
 * Verdicts
 * ---------------------------------------------------------------------- */

typedef enum {
    JUDGE_MISSING = 0,
    JUDGE_CORRECT,
    JUDGE_CARRIED,
    JUDGE_WRONG,
    JUDGE_SHORT,      /* right only to the fewer decimals the student wrote */
    JUDGE_DEGENERATE, /* follows from a degenerate answer (a zero or a copy) */
    JUDGE_NVERDICTS
} judge_verdict;

/* "missing", "correct", "carried forward", "wrong", "too few decimals",
 * "carried from a degenerate answer". */
const char *judge_verdict_name(judge_verdict v);
/* One letter for a class table: M C E W S D. */
char judge_verdict_letter(judge_verdict v);

/* How answers are matched. */
typedef struct {
    int    digits;    /* the lesson's display decimals D (lesson.digits) */
    double tol;       /* absolute tolerance; <= 0: rel */
    const trace *hand;  /* optional (NULL): the same lesson run in hand-rounding
                           mode with D decimals, i.e. engine_run with
                           engine_opts.round = lesson.digits and the same
                           trace_all, when the lesson itself does not round.
                           Its value for the same id also counts as correct
                           (a student carrying the printed digits is right).
                           Ignored unless it has the same quantities. */
    double rel;       /* relative tolerance (0.01 = 1% of |r|); <= 0: sigfigs */
    int    sigfigs;   /* half a unit of the sigfigs-th significant digit of r;
                         <= 0: the half-unit rule of digits above */
    int    ecf_depth; /* with ecf_depth_set: a carried answer more than this
                         many carries from the first wrong one is judged too
                         deep (no credit); 0: no carried answer earns credit */
    int    ecf_depth_set;  /* 0 (a zero-initialised rule): no limit */
} judge_rule;

/* Can an answer written with `decimals` decimals be "too few decimals"
 * under rule? Only under the half-unit rule (no tol, rel or sigfigs), with
 * fewer decimals than rule->digits but at least one and at least
 * digits - 1: a whole number never is, and the first digits of a value
 * cannot be found one at a time (0.3, 0.31, 0.306, ...). */
int judge_short_allowed(const judge_rule *rule, int decimals);

/* The tolerance tol(r): tol when set, else rel * |r| when set (r != 0),
 * else half a unit of r's sigfigs-th significant digit when set, else the
 * half-unit rule of digits above. */
double judge_tolerance(const judge_rule *rule, double r);

/* The factor on tol(r) that lets a tie (exactly half a unit off) match. */
#define JUDGE_MATCH_SLACK (1 + 1e-9)

/* Does s match r under the rule? NaN or inf never match. */
int judge_match(const judge_rule *rule, double s, double r);

/* judge_match as a spreadsheet condition (English function names, commas):
 * appends to b "ABS(s-r)<=(tol(r))*1.000000001" with s and r the given
 * cell references (or expressions) and tol(r) the same rules in the same
 * order as judge_tolerance, e.g. for digits 4:
 *   ABS(D5-X3)<=(IF(OR(ABS(X3)=0,ABS(X3)>=0.5*10^-4),0.5*10^-4,
 *                   0.5*10^(INT(LOG10(ABS(X3))+1E-12)-3)))*1.000000001
 * The caller makes sure s is a number (ISNUMBER) before it is evaluated. */
void judge_match_formula(strbuf *b, const judge_rule *rule, const char *s, const char *r);

/* The answers a student has given so far, by quantity id. */
typedef struct {
    size_t         n;         /* == the trace's n when made */
    double        *value;     /* [n] the student's number (valid when given) */
    unsigned char *given;     /* [n] 1 when answered */
    unsigned char *verdict;   /* [n] judge_verdict, JUDGE_MISSING if not given */
    uint16_t      *depth;     /* [n] carries from the first wrong answer (0: not carried) */
    /* derived, kept by judge_answer: the student's world, i.e. each
     * quantity's value from the student's answers (an answer where one was
     * given, else its operation over its operands' world values), valid for
     * ids < world_upto; and each quantity's earlier iteration (or -1) */
    double        *world;     /* [n] */
    double        *hworld;    /* [n] the same, each value not given rounded to the
                                 rule's digits, as a student carrying the printed
                                 digits has it (rule.hand set; else world) */
    long          *origin;    /* [n] the first answer given and not correct that the
                                 world value follows from, or -1 */
    unsigned char *taint;     /* [n] 1 when the world value follows from a degenerate answer */
    size_t         world_upto;
    long          *err_of;    /* [n] for an activation a_j: the err_j = y_j - a_j that reads it, or -1 */
    long          *earlier;   /* [n] the same quantity at iteration t - 1, or -1 */
} judge_sheet;

/* An empty sheet for trace tr; NULL when out of memory. */
judge_sheet *judge_sheet_new(const trace *tr);
void judge_sheet_free(judge_sheet *s);    /* NULL is a no-op */

/* Why a carried-forward answer is degenerate: it follows only because an
 * operand the student got wrong is 0 where the true value is not (a zero
 * delta or gradient that leaves every weight unchanged), because it copies
 * an operand or the same quantity of the previous iteration whose true value
 * differs, because an operand is itself degenerate, or because some operand
 * makes no difference to it although it changes the true value (the
 * operation with that operand set to 0 gives the same answer: a made-up
 * number so large that the given values are lost to rounding). */
typedef enum { JDEG_NONE, JDEG_ZERO, JDEG_COPY, JDEG_FROM, JDEG_IGNORED } judge_degenerate;

/* The outcome of judging one answer. */
typedef struct {
    judge_verdict verdict;
    double truth;        /* the engine's value of the quantity */
    double ecf;          /* the operation over the student's own operand
                            answers (operands not given: the engine's
                            operand values); equals the engine's value when
                            no operand was given; NaN for given constants
                            (weights, inputs) which have no operation */
    int    ecf_differs;  /* 1 when some operand the student gave was not
                            judged correct (so ecf is the student's chain) */
    unsigned first_bad;  /* id of the first such operand (when ecf_differs) */
    double hand;         /* the hand-rounded trace's value, NaN without one */
    double tol;          /* tol(truth) */
    int    decimals;     /* SHORT, or few_decimals: the decimals the student wrote */
    int    few_decimals; /* WRONG, written with fewer decimals than the rule's
                            digits (half-unit rule): say how many are asked */
    int    depth;        /* CARRIED: carries from the first wrong answer */
    int    too_deep;     /* CARRIED beyond judge_rule.ecf_depth: no credit */
    judge_degenerate why;/* DEGENERATE: why */
    unsigned why_id;     /* DEGENERATE: the zero operand, or the copied quantity */
} judge_result;

/* judge_answer for an answer written with `decimals` decimals (as
 * judge_parse_number counts them; < 0 unknown). An answer that is not
 * correct but matches a reference to half a unit of its own last written
 * digit, with decimals that judge_short_allowed allows, is SHORT ("right to
 * 3 decimals; 4 asked"); any other wrong answer with fewer decimals than
 * asked is WRONG with few_decimals set. */
int judge_answer_d(const trace *tr, judge_sheet *sheet, size_t id, double value, int decimals,
                   const judge_rule *rule, judge_result *res);

/* Judge the answer `value` for quantity id of tr (id < tr->n == sheet->n),
 * given the answers and verdicts already recorded in sheet for its operands.
 * Does not record it: call judge_record for that. Returns 0, or -1 when out
 * of memory or id is out of range (then *res is the MISSING verdict). */
int judge_answer(const trace *tr, judge_sheet *sheet, size_t id, double value,
                 const judge_rule *rule, judge_result *res);

/* The ECF value alone: quantity id's operation over the sheet's answers for
 * its operands, the engine's operand values where none was given. NaN for
 * constants or out of memory. *differs (may be NULL) as in judge_result. */
double judge_ecf_value(const trace *tr, const judge_sheet *sheet, size_t id, int *differs,
                       unsigned *first_bad);

/* The operand values judge_ecf_value uses for quantity id: the sheet's
 * answer where one was given, else the engine's operand value; into
 * vals[tr->q[id].nops]. For the derivation line with the student's numbers
 * substituted: text_formula(b, tr, &tr->q[id], vals, digits). */
void judge_operand_values(const trace *tr, const judge_sheet *sheet, size_t id, double *vals);

/* Record an answer and its verdict so later quantities see it. */
void judge_record(judge_sheet *sheet, size_t id, double value, judge_verdict v);
/* The same, with the carry depth of a judge_answer result. */
void judge_record_result(judge_sheet *sheet, size_t id, double value, const judge_result *res);

/* Both: judge the answer, record it, and return the verdict in *res. */
int judge_and_record(const trace *tr, judge_sheet *sheet, size_t id, double value,
                     const judge_rule *rule, judge_result *res);

#endif
