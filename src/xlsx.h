/*
 * xlsx.h - a lesson's trace as a workbook of live formulas (libxlsxwriter).
 *
 * Layout. Sheet "Settings" holds what an instructor may edit: learning rate
 * alpha and weight decay lambda, the bias a_0, the initial weights w_ij^(0)
 * and the examples (x and y), each editable cell filled yellow. Then, when
 * the lesson trains for two steps or more, sheet "Summary" with J per step as
 * plain numbers and a line chart of it. Then one sheet per traced iteration t
 * ("Step k" for k = t + 1; "After step N" for the forward pass that follows
 * the last step; "Forward" for a lesson that only predicts), one row per
 * quantity in trace order: pass, canonical name, symbolic formula as text,
 * substituted form (a formula whose value is the text of the operands'
 * current values, "0.35*1 + 0.15*0.05", from hidden text cells beside each
 * value: xlsx_text_formula), value, note. The value cell holds a formula over its operands' value cells
 * (xlsx_formula: the formula renderer, formula.h, in its spreadsheet syntax) together with the
 * engine's value as the cached result, so a spreadsheet program shows the
 * engine's numbers at once and recomputes them when a given is edited.
 *
 * Invariant: every quantity of the trace has exactly one value cell; its
 * formula refers only to cells of quantities earlier in the trace, to the
 * Settings cells of alpha and lambda, or (inputs, targets) to the examples
 * table. Constants that no Settings cell holds (weights carried across
 * untraced steps) are plain numbers, filled as editable.
 *
 * Output is atomic (outfile.h): libxlsxwriter creates the file only in
 * workbook_close, on a temporary path beside the target, renamed into place
 * when complete.
 */
#ifndef NNTRACE_XLSX_H
#define NNTRACE_XLSX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "engine.h"
#include "lesson.h"
#include "text.h"
#include "trace.h"

#define XLSX_MAX_FORMULA 8192   /* characters in one formula (Excel's limit) */
#define XLSX_MAX_SHEETS  1000   /* step sheets plus Settings and Summary */
#define XLSX_MAX_WORD    16     /* --sheet-word: "After <word> 10000000" fits 31 */
/* One cell reference, 'sheet'!$XFD$1048576 (a sheet name's 31 characters,
 * every quote doubled); the engine's rounding of one in units of the last
 * decimal (xlsx.c round_units); and an operand reference, rounded
 * (round_formula): each holds the reference once. */
#define XLSX_PLAIN_REF_MAX   80
#define XLSX_ROUND_UNITS_MAX (XLSX_PLAIN_REF_MAX + 48)
#define XLSX_REF_MAX         (XLSX_PLAIN_REF_MAX + 48)
/* Live training: the Training sheet holds at most this many quantity cells
 * (a row of formulas per step; steps beyond are the engine's fixed values).
 * Measured (docs/spreadsheets.md): see there. */
#define XLSX_LIVE_CELLS  100000L

typedef enum {
    XLSX_OK = 0,
    XLSX_ERR_OUTPUT,       /* the output path cannot be written */
    XLSX_ERR_TOO_LARGE,    /* rows, columns, sheets or a formula beyond the limits */
    XLSX_ERR_SHEET_NAME,   /* a sheet name breaks the 31-character / []:*?/\ rules */
    XLSX_ERR_MEMORY,
    XLSX_ERR_LIBRARY,      /* libxlsxwriter refused a write (its text in err) */
    XLSX_ERR_FORMULA,      /* an operation with no formula (programmer error) */
} xlsx_status;

const char *xlsx_strerror(xlsx_status s);

typedef struct xlsx_ex xlsx_ex;   /* an exercise (xlsx_exercise.h) */

typedef struct {
    int         digits;      /* decimals of the number format; -1 = the lesson's */
    const char *sheet_word;  /* step sheets are "<word> k"; NULL = "Step" */
    int         no_cache;    /* test only: formulas without the cached value, so
                                only a recalculating reader can show numbers */
    time_t      created;     /* document creation time; 0 = now */
    int         notation;    /* names of NOTATION_* (names.h); -1 = the lesson's */
    xlsx_ex    *exercise;    /* NULL, or the blanks of an exercise workbook (borrowed;
                                its trace must be the run's) */
} xlsx_opts;

/* Where a value lives: sheet index in workbook order (0 = Settings), row and
 * column, 0-based. */
typedef struct { uint32_t sheet, row, col; } xlsx_cell;

/* What the writer reports of its layout (for tests and the CLI message). */
typedef struct {
    xlsx_cell *cells;        /* in: NULL, or room for r->tr->n; out: each quantity's value cell
                                (an exercise's blank: its true formula's cell on Answers) */
    int        n_sheets;     /* out */
    int        summary;      /* out: index of the Summary sheet, or -1 */
    uint32_t   summary_row;  /* out: row of step 1's J on Summary (column 1) */
    xlsx_cell  alpha, lambda;/* out: the Settings cells of alpha and lambda */
    size_t     unlinked;     /* out: inputs, targets, bias or w^(0) written as plain numbers
                                because no Settings cell matched them (0 when all is well) */
    xlsx_cell  examples;     /* out: Settings cell of example 1's first input; example e's
                                k-th input is row + e - 1, col + k - 1, targets follow */
    uint32_t   subst_col;    /* out: the substituted column of the step sheets: a quantity
                                there shows its operands' values as text in this column */
    int        text_digits;  /* out: decimals of the numbers in that text */
    int        live;         /* out: steps 1..live recompute on the Training sheet (0: none) */
    int        training;     /* out: index of the Training sheet, or -1 */
} xlsx_layout;

/* Write the workbook of lesson l's run r to path. layout may be NULL.
 * Returns XLSX_OK, or a status with a message (path, quantity, limit) in err.
 * On failure no file is left at path and an existing file there is kept. */
xlsx_status xlsx_write(const char *path, const lesson *l, const engine_result *r,
                       const xlsx_opts *o, xlsx_layout *layout, char *err, size_t errsize);

/* ------------------------------------------------------------------------
 * The Excel form of an operation: the formula renderer (formula.h) in SYN_XLSX
 * ---------------------------------------------------------------------- */

/* Append to b the formula (with its leading '=') that computes operation s
 * from the n operand cells refs[k] (A1 references, already wrapped in the
 * engine's rounding in hand-rounded mode), the same operand layout as eval_apply. alpha and
 * lambda (OP_UPDATE, OP_PERCEPTRON) are taken from the cells p1ref / p2ref
 * when those are not NULL, else written as numbers; lambda's term is left out
 * when s->p2 is 0. notes (EVAL_NOTE_LOG_GUARD) selects the
 * clamped logarithm the evaluator used. Returns 0, or -1 when the operation
 * or its operand count has no formula. */
int xlsx_formula(strbuf *b, const op_spec *s, unsigned notes, const char *const *refs, size_t n,
                 const char *p1ref, const char *p2ref);

/* The substituted column. A value cell's text is in two hidden cells beside
 * it: bare ("-0.5") and as a non-bare operand ("(-0.5)"). */
typedef struct { const char *bare, *paren; } xlsx_textref;

/* Append to b a formula (with its leading '=') whose value is the text of
 * operation s with its operands' current values, as the text trace writes
 * its middle part ("0.1*1 + 0.1*0.4"): operand k is the text cell pair
 * ops[k], alpha / lambda the pairs alpha / lambda (NULL: the number). Into
 * text the same text for the operand values values[k] written to `digits`
 * decimals (the cached result). At most XLSX_MAX_FORMULA characters: a longer
 * sum keeps its leading terms and ends " + ..." (*cut set to 1). Returns 0,
 * or -1 as xlsx_formula. */
int xlsx_text_formula(strbuf *b, strbuf *text, const op_spec *s, unsigned notes, const xlsx_textref *ops,
                      const double *values, size_t n, const xlsx_textref *alpha, const xlsx_textref *lambda,
                      int digits, int *cut);

/* Append to b the formula (with '=') of the text of the number in cell ref
 * to `digits` decimals without trailing zeros, as text_num writes it: FIXED()
 * with as many decimals as needed, so the text is right in every locale and
 * in gnumeric, whose number-to-text conversion shows 0.01 as
 * 0.0099999999999999999998. With tiny set, a non-zero value that rounds to
 * 0 there is in e-notation as text_num writes it (4.54e-05 at 3 decimals),
 * for exact arithmetic; unset, it is "0", as the hand-rounded operand is. */
void xlsx_value_text(strbuf *b, const char *ref, int digits, int tiny);
/* The least value xlsx_value_text writes in e-notation: a smaller one is
 * taken for the reading program's rounding noise about an exact 0 (the
 * engine's in_4[2] of cse575-vectorised-bce is 0, gnumeric's -2.7e-20, as
 * it sums in long double), far below any value a lesson computes. */
#define XLSX_TINY_MIN 1e-12

#endif
