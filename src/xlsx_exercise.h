/*
 * xlsx_exercise.h - exercise workbooks: `nntrace xlsx LESSON --exercise`.
 *
 * The same workbook as xlsx.h writes, except that the value cell of every
 * asked quantity is a blank yellow cell the student fills in, with a check
 * cell beside it (column after the note) that reads "✓ right" or
 * "✗ wrong" and turns green or red by conditional formatting; an empty
 * blank leaves its check cell empty and uncoloured. The true formula of each
 * asked quantity moves to the sheet "Answers", hidden and protected, and
 * every later formula refers to that cell: downstream quantities compute
 * from the true values, so one wrong blank never cascades (no carried error
 * in the workbook; `nntrace check` grades with error carried forward).
 *
 * What is asked: --ask PATTERNS, else the lesson's `ask`, else the
 * lesson's expectations that name a computed quantity of the trace (the
 * lecture's printed numbers), else every computed quantity; resolved by
 * quiz_select (quiz.h), the one place `quiz`, `template` and `check` use.
 * Givens and values that are not finite are never blanks.
 *
 * The check is judge_match of judge.h as a live formula: the student's
 * number s against the Answers cell r, |s - r| <= tol(r) * (1 + 1e-9), with
 * tol from the lesson's grading keys (`tolerance`, `tolerance X%`,
 * `sigfigs`, `answer-decimals`, else half a unit of `digits`), written by
 * judge_match_formula. In an exact lesson the sheet shows every operand
 * rounded to its display decimals, so a second reference r' counts as well
 * (as the grader also accepts the operation over the student's own right
 * operands): the same operation over the operands rounded as shown, beside
 * r on Answers; s is right when it matches r or r', each to its own
 * tolerance. (A hand-rounded lesson's formulas already round.) A reference
 * below XLSX_TINY_MIN counts as 0: the reading program's noise about a
 * value the engine cancels to 0 exactly. So edits on Settings recompute
 * the answers and the checks follow.
 *
 * Protection: the step sheets with blanks are protected without a password
 * (the blanks and other yellow cells stay editable; the check formulas are
 * hidden); the Answers sheet is hidden and protected. libxlsxwriter 1.1.4
 * cannot protect the workbook structure or make a sheet "very hidden", so a
 * student can unhide Answers through the spreadsheet's menu: this is
 * practice, not an exam.
 *
 * Ownership: an xlsx_ex is owned by its creator (xlsx_ex_free); the trace
 * must outlive it. xlsx_write borrows it through xlsx_opts.exercise.
 */
#ifndef NNTRACE_XLSX_EXERCISE_H
#define NNTRACE_XLSX_EXERCISE_H

#include <stddef.h>
#include <stdint.h>

#include <xlsxwriter.h>

#include "lesson.h"
#include "trace.h"
#include "xlsx.h"

#define XLSX_EX_SHEET  "Answers"     /* the hidden sheet of answer formulas */
#define XLSX_EX_RIGHT  "\xe2\x9c\x93 right"   /* ✓ right: text of a check cell */
#define XLSX_EX_WRONG  "\xe2\x9c\x97 wrong"   /* ✗ wrong */
#define XLSX_EX_NOTE_LINES 4

typedef struct xlsx_ex xlsx_ex;

/* The exercise of lesson l's trace tr (names in `notation`): which
 * quantities are blanks and how they are checked. patterns: the --ask list
 * (as `nntrace template --ask`), or NULL. Returns NULL with a message in
 * err (a pattern that matches nothing, nothing to ask, out of memory). */
xlsx_ex *xlsx_ex_new(const lesson *l, const trace *tr, int notation, const char *patterns,
                     char *err, size_t errsize);
void xlsx_ex_free(xlsx_ex *ex);    /* NULL is a no-op */

/* Is quantity id a blank? How many blanks are there? */
int xlsx_ex_asked(const xlsx_ex *ex, size_t id);
size_t xlsx_ex_count(const xlsx_ex *ex);

/* ------------------------------------------------------------------------
 * Writing (xlsx.c calls these; each returns a libxlsxwriter status)
 * ---------------------------------------------------------------------- */

/* Line k of the note that tells the student what to do (Settings writes
 * them, bold and wrapped), or NULL past the last; ex may be NULL. */
const char *xlsx_ex_note(const xlsx_ex *ex, int k);

/* Start the workbook's exercise: answers is the sheet XLSX_EX_SHEET, index
 * `sheet` in the workbook; blank is the format of yellow editable cells
 * (unlocked), header the column header format; answer values go in column
 * value_col of answers. Writes its title and headers, hides and protects
 * it, and makes the check formats. */
lxw_error xlsx_ex_begin(xlsx_ex *ex, lxw_workbook *wb, lxw_worksheet *answers, int sheet,
                        lxw_format *blank, lxw_format *header, lxw_col_t value_col);

/* The Answers row that takes the next asked quantity's formula. */
uint32_t xlsx_ex_answer_row(xlsx_ex *ex);

/* Asked quantity id (shown as qname) sits on step sheet ws (index sheet,
 * named sheet_name) in row `row`: write its blank at value_col, its check
 * at check_col against answer_ref (the reference, from this sheet, to its
 * Answers cell in row answer_row) and, unless NULL, shown_ref (the same
 * operation over the operands rounded as the sheet shows them: Answers,
 * the column after the value), its labels on Answers; protect ws the first
 * time. */
lxw_error xlsx_ex_blank(xlsx_ex *ex, lxw_worksheet *ws, int sheet, const char *sheet_name, size_t id,
                        const char *qname, uint32_t row, lxw_col_t value_col, lxw_col_t check_col,
                        uint32_t answer_row, const char *answer_ref, const char *shown_ref);

/* Where the blank and the check cell of asked quantity id were written
 * (after xlsx_write); 0, or -1 when id is no blank. */
int xlsx_ex_cells(const xlsx_ex *ex, size_t id, xlsx_cell *blank, xlsx_cell *check);

/* The Answers sheet's index in the workbook (after xlsx_write), or -1. */
int xlsx_ex_sheet(const xlsx_ex *ex);

#endif
