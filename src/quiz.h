/*
 * quiz.h - `nntrace quiz` as a state machine: ask for quantities of a trace
 * in derivation order and judge the answers as the grader does (judge.h).
 *
 * For each asked quantity: a right answer moves on; the first miss shows the
 * symbolic formula as a hint, the second the formula with the student's own
 * numbers substituted (their accepted answers where they gave them, the
 * trace's values elsewhere), the third gives the whole line with its value
 * and moves on. A number that does not parse is not a miss; an empty answer
 * is (it asks for the next hint). A wrong number within ten tolerances of a
 * reference is told so, naming the tolerance.
 *
 * Judging: judge_answer with the rule the caller passes, as `nntrace check`
 * judges (grade_opts_lesson: the lesson's answer decimals and tolerance, and
 * the hand-rounded trace), overridden by the student's --decimals and
 * --tolerance. Accepted answers are recorded in the judge sheet so later
 * quantities see them. A value the quiz gives away is never recorded: the
 * trace's own value stands for it from then on, in the hints, in the
 * carried-forward judging and in the next given answer, and the quiz says
 * once "continuing from in_3 = 0.19". So the sheet holds only accepted
 * answers; should it hold a student's own wrong number (a sheet filled
 * before the session), an answer that follows from it is "accepted:
 * follows from your in_3 = 0.2", counted as carried forward, never "right".
 *
 * Ownership: quiz_new borrows the lesson, the trace and rule.hand (all must
 * outlive the session) and owns its sheet and question list.
 */
#ifndef NNTRACE_QUIZ_H
#define NNTRACE_QUIZ_H

#include <stddef.h>

#include "judge.h"
#include "lesson.h"
#include "step.h"
#include "text.h"
#include "trace.h"

typedef struct {
    const lesson *l;
    const trace  *tr;
    judge_sheet  *sheet;       /* owned */
    judge_rule    rule;
    size_t       *ask;         /* owned: quantity ids, in trace order */
    size_t        n_ask;
    size_t        cur;         /* index into ask; == n_ask when over */
    int           misses;      /* on the current question */
    long          prev;        /* quantity asked before, for headings; -1 */
    size_t        headed;      /* the question whose headings are shown; -1 none */
    int           first_try, after_hint, carried, given;   /* the score */
    int           quit;        /* the student stopped early */
    step_style    st;
} quiz_session;

/* Which quantities to ask, exactly as `nntrace template` and `nntrace check`
 * choose them (grade.h: grade_split_patterns, grade_plan_make): patterns
 * separated by blanks or ';', each a name in any notation or script
 * (names.h: out_h1, a₃, w5^(1), a_h1), or a glob with * and ? over
 * canonical names or the names of `notation` (in_*, delta_*, out_*);
 * NULL or "": the lesson's `ask` list, else every computed quantity
 * (grade_plan_lesson). Fills a new array *ids (caller
 * frees), increasing, and *n. Returns 0, or -1 with a message in err (a
 * pattern that matches nothing, with "did you mean"; out of memory). */
int quiz_select(const lesson *l, const trace *tr, int notation, const char *patterns, size_t **ids,
                size_t *n, char *err, size_t errsize);

/* A session over the given question ids (copied); NULL when out of memory.
 * rule: how answers are judged (copied; its hand trace is borrowed), as
 * grade_opts_lesson makes it, with the student's --decimals/--tolerance. */
quiz_session *quiz_new(const lesson *l, const trace *tr, const judge_rule *rule, const size_t *ids,
                       size_t n, const step_style *st);
void quiz_free(quiz_session *q);    /* NULL is a no-op */

/* Is the quiz over (every question asked, or quit)? */
int quiz_over(const quiz_session *q);

/* The current question: its headings and "  in_3 = ? " (no newline: the
 * answer follows on the same line). Nothing when the quiz is over. */
void quiz_question(quiz_session *q, strbuf *out);

/* Take the student's answer text to the current question; append the
 * verdict and any hint or given value. "q" or "quit" stops the quiz; "?"
 * shows the help. Returns 0, or -1 when out of memory. */
int quiz_answer(quiz_session *q, const char *text, strbuf *out);

/* The score: right answers of questions asked, and how they came. */
void quiz_score(const quiz_session *q, strbuf *out);

/* How a quiz is answered, broken at spaces to the terminal (80 columns from a pipe). */
void quiz_help(const quiz_session *q, strbuf *out);

#endif
