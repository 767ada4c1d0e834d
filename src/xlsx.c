/*
 * xlsx.c - the workbook of a lesson's run (layout in xlsx.h).
 *
 * One pass over the trace in order: each quantity gets its value cell, and
 * since operands come before the quantities that use them, every reference
 * a formula needs is known when the formula is written. The formulas come
 * from the formula renderer (formula.h); this file only places cells, formats
 * and sheets. Every libxlsxwriter call that can fail is checked; on the first
 * failure the writer records a status and stops writing, closes the workbook
 * exactly once (workbook_close frees everything) and removes the temporary
 * file, so the target is either the complete new workbook or untouched.
 */
#include "xlsx.h"


#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "formula.h"
#include "names.h"
#include "outfile.h"
#include "walk.h"
#include "xlsx_exercise.h"

/* Step sheet columns. */
enum { COL_PASS, COL_NAME, COL_FORMULA, COL_SUBST, COL_VALUE, COL_NOTE, COL_COUNT };
#define COL_CHECK (COL_NOTE + 1)   /* exercise workbooks: the check cell of a blank */
/* Hidden, beside each value cell's row: its value as the substituted column
 * shows it (text_cells), bare and parenthesised when negative. On step
 * sheets in these columns, on Settings in x->set_text_col and the next.
 * Not in exercise workbooks (they would show the asked values). */
enum { COL_TEXT = COL_CHECK + 1 };
#define HEAD_ROWS 2           /* title row, column header row */
#define SUMMARY_PRINT_ROWS 30 /* steps of the Summary table on its printed page */
#define SET_VALUE_COL 2       /* Settings: the value column (C) */
/* Settings' columns: name, symbol, value, meaning (text wraps in them). */
#define SET_COLS 4
/* The meaning column: wide enough for an update rule or g(x), g'(x) on one
 * line (put_wrapped), unless the examples table already reaches past it,
 * where it keeps the narrower width so the page is no wider than before
 * (a wider page prints smaller: x->meaning_w). */
#define SET_MEANING_W     54.0
#define SET_MEANING_W_MIN 36.0
#define LIVE_NOTE_ROWS 4      /* Settings: the note on what is live, its two sentences (put_lines) */
/* A step sheet's note column holds this many characters a line; a longer
 * note wraps in it (put_wrapped), so that it never widens the printed page
 * ("fit to one page wide" shrinks every row's text for one long note). */
#define NOTE_CHARS 40
/* A step sheet's formula column holds this many characters a line (its
 * width, text_width, stops there); a longer formula (a neuron with many
 * inputs, long layer names: b^[2]_1^(1)*a_0 + W^[2]_1,1^(1)*a^[1]_1^(1)[1]
 * + ...) wraps in it (put_wrapped) rather than run under the next column. */
#define FORMULA_CHARS 76

/* Fill colours, one per pass; yellow marks what may be edited. */
#define RGB_EDIT     0xFFF2CC
#define RGB_HEADER   0xD9D9D9
static const lxw_color_t PASS_RGB[] = {
    [PASS_GIVEN] = 0xFFF2CC, [PASS_FORWARD] = 0xDDEBF7, [PASS_LOSS] = 0xE4DFEC,
    [PASS_BACKWARD] = 0xFCE4D6, [PASS_GRADIENT] = 0xF8CBAD, [PASS_UPDATE] = 0xE2EFDA,
};
static const char *const PASS_WHAT[] = {
    [PASS_GIVEN] = "given: an input you may edit",
    [PASS_FORWARD] = "forward pass: in_j and a_j",
    [PASS_LOSS] = "loss: targets, errors, J",
    [PASS_BACKWARD] = "backward pass: g'(in_j) and delta_j",
    [PASS_GRADIENT] = "gradients dJ/dw_ij",
    [PASS_UPDATE] = "updated weights w^(t+1)",
};
_Static_assert(sizeof PASS_RGB / sizeof PASS_RGB[0] == PASS_COUNT, "one colour per pass");
_Static_assert(sizeof PASS_WHAT / sizeof PASS_WHAT[0] == PASS_COUNT, "one legend line per pass");

typedef struct {
    lxw_format *title, *header, *text, *wrap, *edit, *fixed;
    lxw_format *edit_whole;         /* edit, showing the number whole (alpha, lambda) */
    lxw_format *para, *bold;        /* long text: wrapped (put_wrapped); bold */
    lxw_format *title_wrap;         /* a title that wraps (put_wrapped) */
    lxw_format *blank;              /* an exercise's blank: edit, to the asked decimals */
    lxw_format *label[PASS_COUNT], *value[PASS_COUNT];
    lxw_format *label_wrap[PASS_COUNT];     /* a pass's label that wraps (a long formula) */
} fmts;

typedef struct {
    const lesson        *l;
    const engine_result *r;
    const trace         *tr;
    const xlsx_opts     *o;
    lxw_workbook        *wb;
    fmts                 f;
    int                  digits;
    int                  notation;     /* names (NOTATION_*) */
    char                 numfmt[24];
    xlsx_cell           *cell;        /* [tr->n] value cell of each quantity */
    lxw_worksheet      **ws;          /* [n_sheets] */
    char               (*quoted)[2 * LXW_SHEETNAME_MAX + 3];   /* 'name' for references */
    int                  n_sheets, cap_sheets;
    xlsx_cell            alpha, lambda, bias;
    int                  ans;         /* exercise: index of the Answers sheet, else -1 */
    xlsx_cell           *w0;          /* [n_arcs] initial weights on Settings */
    uint32_t             ex_row;      /* Settings row of example 1 */
    int                 *in_col, *out_col;   /* [max_id+1]: example-table column, -1 */
    size_t               wsubst;      /* longest substituted text on the current step sheet */
    int                  text_digits; /* decimals of the substituted column */
    int                  subst;       /* 1: the substituted column and its text cells (not in exercises) */
    /* live training (training_sheet): steps 1..live recomputed on sheet
     * "Training", a row of formulas each, from the run `full` of those steps
     * with every step traced; tcell the Training cell of each of its quantities */
    int                  live, tr_sheet;
    engine_result        full;
    int                  have_full;
    xlsx_cell           *tcell;
    uint32_t            *upd_col;     /* [n_arcs]: Training column of w^(t+1) in row t, 0 = none */
    uint32_t             live_note_row;   /* Settings: the LIVE_NOTE_ROWS rows of the bold note on what is live */
    uint32_t             set_text_col;/* Settings: the hidden text cells of alpha, lambda, a_0, w^(0) */
    double               set_width;   /* Settings: its text columns' widths summed (put_lines) */
    double               meaning_w;   /* Settings: the meaning column's width (SET_MEANING_W) */
    xlsx_layout          lay;
    xlsx_status          st;
    char                *err;
    size_t               errsize;
} xw;

const char *xlsx_strerror(xlsx_status s)
{
    switch (s) {
    case XLSX_OK:             return "ok";
    case XLSX_ERR_OUTPUT:     return "cannot write the output file";
    case XLSX_ERR_TOO_LARGE:  return "the lesson is too large for a spreadsheet";
    case XLSX_ERR_SHEET_NAME: return "bad sheet name";
    case XLSX_ERR_MEMORY:     return "out of memory";
    case XLSX_ERR_LIBRARY:    return "libxlsxwriter failed";
    case XLSX_ERR_FORMULA:    return "an operation has no spreadsheet formula";
    }
    return "?";
}

/* Record the first failure; later ones keep the first message. Returns -1. */
static int fail(xw *x, xlsx_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int fail(xw *x, xlsx_status st, const char *fmt, ...)
{
    if (x->st != XLSX_OK) return -1;
    x->st = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, x->errsize, fmt, ap);
    va_end(ap);
    return -1;
}

/* Check one libxlsxwriter status (what: the write, for the message). */
static int chk(xw *x, lxw_error e, const char *what)
{
    if (e == LXW_NO_ERROR) return 0;
    return fail(x, e == LXW_ERROR_MEMORY_MALLOC_FAILED ? XLSX_ERR_MEMORY : XLSX_ERR_LIBRARY,
                "libxlsxwriter: %s: %s", what, lxw_strerror(e));
}

/* ------------------------------------------------------------------------
 * Formats, made once per workbook and never changed after use
 * ---------------------------------------------------------------------- */

/* The number format of `digits` decimals: "0.0000", "0". */
static void number_format(int digits, char *buf, size_t size)
{
    if (digits > 15) digits = 15;
    snprintf(buf, size, digits > 0 ? "0.%.*s" : "0", digits, "000000000000000");
}

/* A format, top-aligned like every format of the workbook: a row with a
 * wrapped cell is several lines tall, and its other cells must sit level
 * with that cell's first line, not with its last (a label beside the
 * previous row's text). */
static lxw_format *fmt_new(xw *x, lxw_color_t fill, int number)
{
    lxw_format *f = workbook_add_format(x->wb);
    if (!f) { fail(x, XLSX_ERR_MEMORY, "out of memory (format)"); return NULL; }
    format_set_align(f, LXW_ALIGN_VERTICAL_TOP);
    if (fill) { format_set_pattern(f, LXW_PATTERN_SOLID); format_set_bg_color(f, fill); }
    if (number) format_set_num_format(f, x->numfmt);
    return f;
}

static int fmts_init(xw *x)
{
    fmts *f = &x->f;
    if (!(f->title = fmt_new(x, 0, 0)) || !(f->header = fmt_new(x, RGB_HEADER, 0)) ||
        !(f->text = fmt_new(x, 0, 0)) || !(f->wrap = fmt_new(x, 0, 0)) ||
        !(f->edit = fmt_new(x, RGB_EDIT, 1)) || !(f->edit_whole = fmt_new(x, RGB_EDIT, 0)) ||
        !(f->fixed = fmt_new(x, 0, 1)) ||
        !(f->para = fmt_new(x, 0, 0)) || !(f->bold = fmt_new(x, 0, 0)) || !(f->title_wrap = fmt_new(x, 0, 0)) || !(f->blank = fmt_new(x, RGB_EDIT, 0)))
        return -1;
    format_set_text_wrap(f->para);
    format_set_bold(f->bold);
    format_set_bold(f->title_wrap);
    format_set_font_size(f->title_wrap, 14);
    format_set_text_wrap(f->title_wrap);
    char asked[24];                     /* a blank shows what the student typed, to the asked decimals */
    number_format(lesson_answer_digits(x->l), asked, sizeof asked);
    format_set_num_format(f->blank, asked);
    format_set_border(f->blank, LXW_BORDER_THIN);
    format_set_unlocked(f->blank);
    format_set_bold(f->blank);
    format_set_bold(f->title);
    format_set_font_size(f->title, 14);
    format_set_bold(f->header);
    format_set_bottom(f->header, LXW_BORDER_THIN);
    format_set_text_wrap(f->wrap);
    format_set_border(f->edit, LXW_BORDER_THIN);
    format_set_unlocked(f->edit);      /* editable on a protected (exercise) sheet too */
    format_set_bold(f->edit);
    /* alpha and lambda as the text trace states them ("update (alpha =
     * 0.001, lambda = 0.0005)"), not to the digits, where 0.001 showed as
     * 0.00 (--digits 2) and a decay of 0.00001 as 0.0000 */
    format_set_num_format(f->edit_whole, "General");
    format_set_border(f->edit_whole, LXW_BORDER_THIN);
    format_set_unlocked(f->edit_whole);
    format_set_bold(f->edit_whole);
    for (int p = 0; p < PASS_COUNT; p++) {
        if (!(f->label[p] = fmt_new(x, PASS_RGB[p], 0)) || !(f->value[p] = fmt_new(x, PASS_RGB[p], 1)) ||
            !(f->label_wrap[p] = fmt_new(x, PASS_RGB[p], 0)))
            return -1;
        format_set_text_wrap(f->label_wrap[p]);
        if (p == PASS_GIVEN) { format_set_border(f->value[p], LXW_BORDER_THIN); format_set_bold(f->value[p]); }
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Sheets and references
 * ---------------------------------------------------------------------- */

static lxw_worksheet *sheet_add(xw *x, const char *name)
{
    lxw_error e = workbook_validate_sheet_name(x->wb, name);
    if (e != LXW_NO_ERROR) {
        fail(x, XLSX_ERR_SHEET_NAME, "sheet name '%s': %s (at most %d characters, none of []:*?/\\, "
             "no ' at either end, unique)", name, lxw_strerror(e), LXW_SHEETNAME_MAX);
        return NULL;
    }
    if (x->n_sheets >= XLSX_MAX_SHEETS) {
        fail(x, XLSX_ERR_TOO_LARGE, "more than %d sheets (one per traced step); trace fewer steps "
             "with the lesson's 'trace' line", XLSX_MAX_SHEETS);
        return NULL;
    }
    if (x->n_sheets == x->cap_sheets) {
        int cap = x->cap_sheets ? 2 * x->cap_sheets : 8;
        lxw_worksheet **ws = realloc(x->ws, (size_t)cap * sizeof *ws);
        if (ws) x->ws = ws;
        void *q = ws ? realloc(x->quoted, (size_t)cap * sizeof *x->quoted) : NULL;
        if (!q) { fail(x, XLSX_ERR_MEMORY, "out of memory (sheets)"); return NULL; }
        x->quoted = q;
        x->cap_sheets = cap;
    }
    lxw_worksheet *ws = workbook_add_worksheet(x->wb, name);
    if (!ws) { fail(x, XLSX_ERR_LIBRARY, "libxlsxwriter: cannot add sheet '%s'", name); return NULL; }
    /* page set-up, the same on every sheet: A4 landscape, one page wide
     * (never shrunk to fit one page tall: a long Settings sheet goes on to
     * a second page at full size), narrow margins, the title and column
     * header rows repeated on every printed page of a step sheet */
    worksheet_set_landscape(ws);
    worksheet_set_paper(ws, 9);
    worksheet_set_margins(ws, 0.4, 0.4, 0.5, 0.5);
    worksheet_fit_to_pages(ws, 1, 0);
    if (x->n_sheets > 0 && chk(x, worksheet_repeat_rows(ws, 0, HEAD_ROWS - 1), "repeated header rows")) return NULL;
    char *qn = x->quoted[x->n_sheets], *p = qn;        /* 'it''s' quoting */
    *p++ = '\'';
    for (const char *c = name; *c; c++) { if (*c == '\'') *p++ = '\''; *p++ = *c; }
    *p++ = '\'';
    *p = '\0';
    x->ws[x->n_sheets++] = ws;
    return ws;
}

/* ------------------------------------------------------------------------
 * The engine's rounding as a formula (the one place that writes it)
 * ---------------------------------------------------------------------- */

/* Into buf the units of ref rounded to d >= 0 decimals as round_dp rounds
 * (eval.h): ROUND(ABS(ref)*(1+2^-46)*1Ed,0), so that SIGN(ref)*units/1Ed
 * is round_dp(ref, d).
 *
 * Not ROUND(ref,d) alone: the engine rounds a value that is a decimal tie
 * up to representation error (0.0795 computed as 0.07949999999999999) as
 * the tie, while each program's ROUND decides such a value on its own
 * arithmetic: gnumeric computes in long double, where -0.15-0.5*(-0.459)
 * is 0.079499999999999999988 and ROUND(...,3) is 0.079; LibreOffice and
 * Excel, in double with their own snapping, 0.08. Scaling by 1+2^-46 moves
 * every value up by the engine's slack (64 ulps of s = |ref|*10^d, for
 * s >= 1) in double and long double alike, so a value within the slack
 * below a tie passes it in all three programs, as in the engine, and no
 * value that is not within it moves past one. The one gap: a tie below one
 * unit (s = 0.5, 0.00005 at 4 decimals) gets half the slack. The short
 * form keeps a formula readable on a slide and far below Excel's 8192
 * characters (the exact transcription, INT(ABS(x)*1Ed+0.5+2^-46*MAX(1,...)),
 * made a 3-operand in_3 five times as long). */
static void round_units(char *buf, size_t size, const char *ref, int d)
{
    snprintf(buf, size, "ROUND(ABS(%s)*(1+2^-%d)*1E%d,0)", ref, ROUND_DP_SLACK_LOG2, d);
}

/* The formula of round_dp(ref, d), d >= 0 (no leading '='), into buf:
 * ROUND(ref*(1+2^-46),d), the same rule as round_units (ROUND rounds half
 * away from zero in every program, as round_dp does); one function call,
 * so it stands as one operand wherever ref could (a/x, x^2). */
static void round_formula(char *buf, size_t size, const char *ref, int d)
{
    snprintf(buf, size, "ROUND(%s*(1+2^-%d),%d)", ref, ROUND_DP_SLACK_LOG2, d);
}

/* A reference to cell c from sheet `from`: "D5" on the same sheet, else
 * "'Settings'!$C$9"; in hand-rounded mode wrapped in round_formula when
 * `rounded`, which is how trace_operand_value passes operands on. */
static void cell_ref_d(const xw *x, int from, xlsx_cell c, int d, char *buf, size_t size);
static void cell_ref(const xw *x, int from, xlsx_cell c, int rounded, char *buf, size_t size)
{
    cell_ref_d(x, from, c, rounded ? x->tr->round : -1, buf, size);
}

/* The same, wrapped in round_formula(ref, d) when d >= 0. */
static void cell_ref_d(const xw *x, int from, xlsx_cell c, int d, char *buf, size_t size)
{
    char a1[LXW_MAX_CELL_NAME_LENGTH], full[XLSX_PLAIN_REF_MAX];
    if ((int)c.sheet == from) {
        lxw_rowcol_to_cell(a1, c.row, (lxw_col_t)c.col);
        snprintf(full, sizeof full, "%s", a1);
    } else {
        lxw_rowcol_to_cell_abs(a1, c.row, (lxw_col_t)c.col, 1, 1);
        snprintf(full, sizeof full, "%s!%s", x->quoted[c.sheet], a1);
    }
    if (d >= 0) round_formula(buf, size, full, d);
    else snprintf(buf, size, "%s", full);
}

/* ------------------------------------------------------------------------
 * Text cells: a value as the substituted column shows it
 * ---------------------------------------------------------------------- */

void xlsx_value_text(strbuf *b, const char *ref, int digits, int tiny)
{
    /* m: the value's units of the last decimal, rounded as the engine
     * rounds (round_units); r: the rounded value; then FIXED with as many
     * decimals as r needs (its trailing zeros cut) */
    char m[XLSX_ROUND_UNITS_MAX], r[XLSX_REF_MAX];
    round_units(m, sizeof m, ref, digits);
    round_formula(r, sizeof r, ref, digits);
    sb_printf(b, "=IF(%s=0,", m);
    if (tiny) {
        /* text_num's "%.{p}e": the exponent e = floor(log10|v|), one more
         * when the mantissa rounds up to 10 (9.996e-05 at p = 2 is
         * 1.00e-04); the mantissa by FIXED (the locale's decimal sign, as
         * every other number of the column), the exponent signed, two
         * digits at least; below XLSX_TINY_MIN "0", the program's own
         * rounding noise around a sum the engine cancels to 0 exactly */
        const int p = digits > 1 ? digits - 1 : 1;
        strbuf e = {0};
        sb_printf(&e, "(INT(LOG10(ABS(%s)))+(ROUND(ABS(%s)/10^INT(LOG10(ABS(%s))),%d)>=10))", ref, ref, ref, p);
        if (e.failed) { b->failed = 1; return; }
        sb_printf(b, "IF(ABS(%s)<%.0E,\"0\",FIXED(%s/10^%s,%d,TRUE)&\"e\"&IF(%s<0,\"-\",\"+\")&TEXT(ABS(%s),\"00\"))",
                  ref, XLSX_TINY_MIN, ref, e.s, p, e.s, e.s);
        sb_free(&e);
    } else {
        sb_printf(b, "\"0\"");
    }
    sb_printf(b, ",FIXED(%s,%d", r, digits);
    for (int k = 1; k <= digits; k++) sb_printf(b, "-(MOD(%s,1E%d)=0)", m, k);   /* its trailing zeros */
    sb_printf(b, ",TRUE))");
}

/* A formula cell whose value is a text, with `cached` as that text: not
 * cached when the value it stands for is not finite (the formula shows an
 * error then) or the test switch no_cache is set (as put_formula). */
static int put_formula_text(xw *x, lxw_worksheet *ws, uint32_t row, uint32_t col, const char *f,
                            lxw_format *fmt, const char *cached, int finite, const char *what)
{
    return chk(x, (x->o && x->o->no_cache) || !finite
                  ? worksheet_write_formula(ws, row, (lxw_col_t)col, f, fmt)
                  : worksheet_write_formula_str(ws, row, (lxw_col_t)col, f, fmt, cached), what);
}

/* The hidden text cells of value cell c (value v) in columns tcol, tcol + 1:
 * the text of the value as the substituted column shows it, bare and in
 * parentheses when negative; cached with the text the engine's value gives. */
static int text_cells(xw *x, lxw_worksheet *ws, xlsx_cell c, uint32_t tcol, double v)
{
    char ref[LXW_MAX_CELL_NAME_LENGTH], bare[LXW_MAX_CELL_NAME_LENGTH], num[64], paren[80];
    strbuf f = {0};
    lxw_rowcol_to_cell(ref, c.row, (lxw_col_t)c.col);
    lxw_rowcol_to_cell(bare, c.row, (lxw_col_t)tcol);
    const int tiny = x->tr->round < 0;     /* exact: a tiny value in e-notation, as the text trace */
    xlsx_value_text(&f, ref, x->text_digits, tiny);
    double r = isfinite(v) && !tiny ? round_dp(v, x->text_digits) : v;
    if (tiny && fabs(r) < XLSX_TINY_MIN) r = 0;          /* as the formula shows it */
    text_num(r, x->text_digits, num, sizeof num);
    snprintf(paren, sizeof paren, num[0] == '-' ? "(%s)" : "%s", num);
    const int finite = isfinite(v) != 0;
    int rc = f.failed ? fail(x, XLSX_ERR_MEMORY, "out of memory (text cell)")
           : put_formula_text(x, ws, c.row, tcol, f.s, NULL, num, finite, "text cell");
    f.len = 0;
    sb_printf(&f, "=IF(LEFT(%s)=\"-\",\"(\"&%s&\")\",%s)", bare, bare, bare);
    if (!rc) rc = f.failed ? fail(x, XLSX_ERR_MEMORY, "out of memory (text cell)")
                : put_formula_text(x, ws, c.row, tcol + 1, f.s, NULL, paren, finite, "text cell");
    sb_free(&f);
    return rc;
}

/* The references from sheet `from` to the text cells of value cell c. */
static void text_ref(const xw *x, int from, xlsx_cell c, char (*refs)[XLSX_REF_MAX], xlsx_textref *t)
{
    xlsx_cell tc = {c.sheet, c.row, c.sheet == 0 ? x->set_text_col : COL_TEXT};
    cell_ref(x, from, tc, 0, refs[0], XLSX_REF_MAX);
    tc.col++;
    cell_ref(x, from, tc, 0, refs[1], XLSX_REF_MAX);
    t->bare = refs[0];
    t->paren = refs[1];
}

/* ------------------------------------------------------------------------
 * Settings: alpha, lambda, the bias, w^(0), the examples
 * ---------------------------------------------------------------------- */

static int put_str(xw *x, lxw_worksheet *ws, uint32_t row, int col, const char *s, lxw_format *f)
{
    return chk(x, worksheet_write_string(ws, row, (lxw_col_t)col, s, f), "write text");
}

/* A formula cell with the engine's value v cached: not when v is not finite
 * (no spreadsheet reads <v>inf</v>) or the test switch no_cache is set. */
static int put_formula(xw *x, lxw_worksheet *ws, uint32_t row, uint32_t col, const char *f, lxw_format *fmt, double v)
{
    return chk(x, (x->o && x->o->no_cache) || !isfinite(v)
                  ? worksheet_write_formula(ws, row, (lxw_col_t)col, f, fmt)
                  : worksheet_write_formula_num(ws, row, (lxw_col_t)col, f, fmt, v), "write formula");
}

/* A number cell; a value that is not finite (an overflow) has no number
 * cell in a workbook (libxlsxwriter would write <v>INF</v>, which no
 * spreadsheet reads), so it is written as the text "inf" or "nan". */
static int put_num(xw *x, lxw_worksheet *ws, uint32_t row, int col, double v, lxw_format *f)
{
    if (!isfinite(v))
        return chk(x, worksheet_write_string(ws, row, (lxw_col_t)col, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf", f),
                   "write text");
    return chk(x, worksheet_write_number(ws, row, (lxw_col_t)col, v, f), "write number");
}

/* Long texts, so that none runs past the printed columns (a sentence
 * wider than the columns makes "fit to one page wide" shrink the page to
 * it). TEXT_PER_UNIT: characters a unit of column width holds (units of
 * the default font's '0'; gnumeric sets about 0.95 of them a unit, bold
 * 0.8, LibreOffice 1.2), so a line fits in both. */
#define TEXT_PER_UNIT 0.95
#define TEXT_PER_UNIT_BOLD 0.8
/* A wrapped cell (put_wrapped) is broken into lines by the program itself,
 * gnumeric at as few as 0.85 characters a unit (43 characters of
 * "each update also subtracts 2*alpha*lambda*w" wrap in 48 units), so its
 * row's height counts lines of that many. */
#define TEXT_PER_UNIT_WRAP 0.85

/* The length of the first line of s in lines of `per` characters: up to
 * its last space that fits (or `per` characters of a longer word). */
static size_t wrap_at(const char *s, size_t per)
{
    size_t n = strlen(s), cut = 0;
    if (n <= per) return n;
    for (size_t k = 1; k <= per; k++) if (s[k] == ' ') cut = k;
    return cut ? cut : per;
}

static size_t chars_per_line(const xw *x, double width, const lxw_format *f)
{
    size_t per = (size_t)(width * (f == x->f.bold || f == x->f.title ? TEXT_PER_UNIT_BOLD
                                   : f == x->f.para ? TEXT_PER_UNIT_WRAP : TEXT_PER_UNIT));
    return per < 8 ? 8 : per;
}

/* A paragraph in column col, a line a row from *row on (*row ends past
 * them), each line short enough for columns of `width` summed, the last
 * row taking the rest when more than max_rows would be needed (0: no
 * limit). f: a text format (x->f.text, x->f.bold, x->f.title). */
static int put_lines(xw *x, lxw_worksheet *ws, uint32_t *row, int col, double width, const char *s,
                     lxw_format *f, int max_rows)
{
    size_t per = chars_per_line(x, width, f);
    char line[1024];
    for (int k = 0; *s; k++) {
        size_t n = max_rows && k == max_rows - 1 ? strlen(s) : wrap_at(s, per < sizeof line ? per : sizeof line - 1);
        snprintf(line, sizeof line, "%.*s", (int)n, s);
        if (put_str(x, ws, (*row)++, col, line, f)) return -1;
        for (s += n; *s == ' '; s++) {}
    }
    return 0;
}

/* Text in one wrapped cell of columns first..last (merged when more than
 * one; width their widths summed), broken into lines by us, each short
 * enough for the narrowest program (TEXT_PER_UNIT_WRAP), at a newline, and
 * its row exactly as high as those lines: neither spreadsheet sizes a row
 * to a wrapped cell it reads, and left to break the text itself
 * LibreOffice (and gnumeric, for most texts) fits more a line than the
 * height counted, leaving an empty line under it. f: x->f.para, or
 * x->f.title_wrap (14 pt). */
static int put_wrapped_n(xw *x, lxw_worksheet *ws, uint32_t row, int first, int last, double width, const char *s,
                         lxw_format *f, size_t *n_lines);
static int put_wrapped(xw *x, lxw_worksheet *ws, uint32_t row, int first, int last, double width, const char *s,
                       lxw_format *f)
{
    return put_wrapped_n(x, ws, row, first, last, width, s, f, NULL);
}

/* The row height of `lines` lines of wrapped text (put_wrapped). */
static int wrapped_height(xw *x, lxw_worksheet *ws, uint32_t row, size_t lines, int big)
{
    double line = big ? 19.0 : 15.0;
    return chk(x, worksheet_set_row(ws, row, line * (double)(lines ? lines : 1) + 2, NULL), "row height");
}

/* put_wrapped; with n_lines set, the row's height is left to the caller
 * (wrapped_height), which learns the lines in *n_lines: a row with two
 * wrapped cells is as high as the taller one. f may also be a pass's
 * x->f.label_wrap (a step sheet's long formula). */
static int put_wrapped_n(xw *x, lxw_worksheet *ws, uint32_t row, int first, int last, double width, const char *s,
                         lxw_format *f, size_t *n_lines)
{
    int big = f == x->f.title_wrap;
    size_t per = chars_per_line(x, big ? width * 11 / 14 : width, big ? x->f.title : x->f.para), lines = 0;
    strbuf b = {0};
    for (const char *p = s; *p; lines++) {
        size_t n = wrap_at(p, per);
        sb_printf(&b, "%s%.*s", lines ? "\n" : "", (int)n, p);
        for (p += n; *p == ' '; p++) {}
    }
    if (b.failed) { sb_free(&b); return fail(x, XLSX_ERR_MEMORY, "out of memory"); }
    const char *text = b.s ? b.s : "";
    int rc = first < last
        ? chk(x, worksheet_merge_range(ws, row, (lxw_col_t)first, row, (lxw_col_t)last, text, f), "merged text")
        : put_str(x, ws, row, first, text, f);
    sb_free(&b);
    if (rc) return -1;
    if (n_lines) { *n_lines = lines; return 0; }
    return lines > 1 || big ? wrapped_height(x, ws, row, lines, big) : 0;
}

/* The meaning of alpha on Settings: the engine's own update rule, as the
 * text trace writes the first update of the run ("update: w_0,3^(1) =
 * w_0,3 + alpha*(y_3 - a_3)*a_0", the perceptron rule; "... - alpha*dJ/dw_0,3",
 * backprop), in the workbook's notation. */
static int update_rule(xw *x, lxw_worksheet *ws, uint32_t row)
{
    const quantity *q = NULL;
    for (size_t id = 0; id < x->tr->n && !q; id++)
        if (x->tr->q[id].kind == Q_UPDATE) q = &x->tr->q[id];
    strbuf b = {0};
    if (!q) {
        sb_printf(&b, "no update: the lesson does not train");
    } else {
        char name[192];
        text_qname(x->l, x->notation, q, name, sizeof name);
        sb_printf(&b, "update: %s = ", name);
        text_formula_x(&b, x->tr, q, NULL, x->digits, x->l, x->notation, 0);
    }
    int rc = b.failed ? fail(x, XLSX_ERR_MEMORY, "out of memory") : put_wrapped(x, ws, row, 3, 3, x->meaning_w, b.s, x->f.para);
    sb_free(&b);
    return rc;
}


/* Settings prints at full size on as many pages as it needs. A block of
 * rows (the legend, the table of settings, of weights, of examples) that
 * would run past the end of a page but fits on one starts a new page, so
 * that no table is split from its header row (LibreOffice and Excel take
 * the breaks; gnumeric prints the sheet as before). The page: A4 landscape
 * less the top and bottom margins (sheet_add: 8.27 in - 2 * 0.5 in), where
 * LibreOffice puts rows of their set height (put_wrapped), else 15 pt, as
 * many as fit; a block keeps SET_SLACK_PT to spare. */
#define SET_PAGE_PT  ((8.27 - 2 * 0.5) * 72)
#define SET_SLACK_PT 8.0
#define SET_BLOCKS   4

static double settings_row_pt(lxw_worksheet *ws, uint32_t r)
{
    lxw_row *rw = lxw_worksheet_find_row(ws, (lxw_row_t)r);
    return rw && rw->height > 0 ? rw->height : LXW_DEF_ROW_HEIGHT;
}

/* block[k] = {first row, one past the last}; rows 0 .. n_rows - 1. */
static int settings_breaks(xw *x, lxw_worksheet *ws, uint32_t n_rows, uint32_t block[SET_BLOCKS][2])
{
    lxw_row_t breaks[SET_BLOCKS + 1] = {0};
    int nb = 0;
    double pos = 0;
    for (uint32_t r = 0; r < n_rows; r++) {
        for (int k = 0; k < SET_BLOCKS; k++) {
            if (block[k][0] != r || r == 0) continue;
            double h = 0;
            for (uint32_t b = block[k][0]; b < block[k][1]; b++) h += settings_row_pt(ws, b);
            if (pos > 0 && pos + h > SET_PAGE_PT - SET_SLACK_PT && h <= SET_PAGE_PT - SET_SLACK_PT) {
                breaks[nb++] = (lxw_row_t)r;
                pos = 0;
            }
        }
        double h = settings_row_pt(ws, r);
        if (pos + h > SET_PAGE_PT) pos = 0;            /* the program's own break */
        pos += h;
    }
    return nb ? chk(x, worksheet_set_h_pagebreaks(ws, breaks), "page breaks") : 0;
}

static int settings_sheet(xw *x)
{
    const lesson *l = x->l;
    int rc;
    lxw_worksheet *ws = sheet_add(x, "Settings");
    if (!ws) return -1;
    char buf[256];
    {                               /* the hidden text cells: right of the examples table */
        int n_y;
        lesson_outputs(l, &n_y);
        long c = 2L + l->n_in + (l->ex_y ? n_y : 0);
        x->set_text_col = (uint32_t)(c > 5 ? c : 5);
        if (x->set_text_col + 1 >= LXW_COL_MAX)
            return fail(x, XLSX_ERR_TOO_LARGE, "%d inputs and %d outputs do not fit in the %d columns of a sheet",
                        l->n_in, n_y, LXW_COL_MAX);
        lxw_row_col_options hide = {.hidden = 1};
        if (chk(x, worksheet_set_column_opt(ws, (lxw_col_t)x->set_text_col, (lxw_col_t)x->set_text_col + 1, 12,
                                            NULL, &hide), "hidden columns"))
            return -1;
    }
    /* the columns first: long texts wrap in them (put_lines, put_wrapped) */
    int n_out;
    const int32_t *out = lesson_outputs(l, &n_out);
    if (!l->ex_y) n_out = 0;
    double num_w = x->digits + 9 > 14 ? x->digits + 9 : 14;   /* "-0.990000000" and some room */
    double past = (double)(l->n_in + n_out - (SET_COLS - 1)) * num_w;   /* examples' columns right of meaning */
    x->meaning_w = past > 0 ? fmax(SET_MEANING_W_MIN, SET_MEANING_W - past) : SET_MEANING_W;
    const double set_w[SET_COLS] = {16, 15 > num_w ? 15 : num_w, num_w, x->meaning_w};
    x->set_width = 0;
    for (int c = 0; c < SET_COLS; c++) {
        x->set_width += set_w[c];
        if (chk(x, worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, set_w[c], NULL), "column width")) return -1;
    }
    if (l->n_in + n_out >= SET_COLS &&
        chk(x, worksheet_set_column(ws, SET_COLS, (lxw_col_t)(l->n_in + n_out), num_w, NULL), "column width"))
        return -1;
    uint32_t row = 0, block[SET_BLOCKS][2];
    if (chk(x, worksheet_set_row(ws, row, 20, NULL), "row height") ||
        put_str(x, ws, row++, 0, l->title ? l->title : "(untitled lesson)", x->f.title)) return -1;
    if (l->source && put_lines(x, ws, &row, 0, x->set_width, l->source, x->f.text, 0)) return -1;
    char *para;
    for (const char *n = l->notes; (rc = lesson_note_paragraph(&n, &para)) > 0;) {   /* the notes, as paragraphs */
        rc = put_lines(x, ws, &row, 0, x->set_width, para, x->f.text, 0);
        free(para);
        if (rc) return -1;
    }
    if (rc < 0) return fail(x, XLSX_ERR_MEMORY, "out of memory (notes)");
    row++;
    const char *exn;
    for (int k = 0; x->o && (exn = xlsx_ex_note(x->o->exercise, k)); k++)   /* what the student does */
        if (put_lines(x, ws, &row, 0, x->set_width, exn, x->f.bold, 0)) return -1;
    if (x->r->steps >= 2 && l->ex_y) {            /* what recomputes: summary_sheet writes it */
        x->live_note_row = row;
        row += LIVE_NOTE_ROWS;
    }
    block[0][0] = row;                              /* the legend */
    if (put_lines(x, ws, &row, 0, x->set_width, "Yellow cells are the givens: edit one and every "
                 "formula that depends on it recomputes. Each traced step has its own sheet; rows are coloured by "
                 "pass:", x->f.text, 0))
        return -1;
    for (int p = 0; p < PASS_COUNT; p++)
        if (put_str(x, ws, row, 0, trace_pass_name((q_pass)p), x->f.label[p]) ||
            put_str(x, ws, row++, 1, PASS_WHAT[p], x->f.text))
            return -1;
    block[0][1] = row;
    row++;

    block[1][0] = row;                              /* the settings */
    const char *heads[] = {"setting", "symbol", "value", "meaning"};
    for (int c = 0; c < 4; c++) if (put_str(x, ws, row, c, heads[c], x->f.header)) return -1;
    row++;
    x->alpha = (xlsx_cell){0, row, SET_VALUE_COL};
    if (put_str(x, ws, row, 0, "learning rate", x->f.text) || put_str(x, ws, row, 1, "alpha", x->f.text) ||
        put_num(x, ws, row, SET_VALUE_COL, l->rate, x->f.edit_whole) || (x->subst && text_cells(x, ws, x->alpha, x->set_text_col, l->rate)) ||
        update_rule(x, ws, row++))
        return -1;
    x->lambda = (xlsx_cell){0, row, SET_VALUE_COL};
    if (put_str(x, ws, row, 0, "weight decay", x->f.text) || put_str(x, ws, row, 1, "lambda", x->f.text) ||
        put_num(x, ws, row, SET_VALUE_COL, l->decay, x->f.edit_whole) || (x->subst && text_cells(x, ws, x->lambda, x->set_text_col, l->decay)) ||
        put_wrapped(x, ws, row++, 3, 3, x->meaning_w, l->decay != 0 ? "each update also subtracts 2*alpha*lambda*w"
                    : "0: no decay term in the update formulas", x->f.para))
        return -1;
    if (put_str(x, ws, row, 0, "loss", x->f.text) ||
        put_str(x, ws, row++, SET_VALUE_COL, l->has_loss ? loss_name(l->loss) : "none", x->f.text))
        return -1;
    for (int ly = 0; ly < l->n_layers; ly++) {
        char what[64];
        snprintf(buf, sizeof buf, ly == l->n_layers - 1 ? "layer %d (output)" : "layer %d", ly + 1);
        const lesson_layer *L = &l->layers[ly];
        act_label(L->act, what, sizeof what);
        strbuf g = {0};
        if (L->act.kind == ACT_SOFTMAX) sb_printf(&g, "g(in_j) = exp(in_j)/sum_k exp(in_k) over the layer");
        else {
            sb_printf(&g, "g(x) = ");
            fr_act_form(&g, SYN_ASCII, L->act, 0, "x", "g(x)", 12);
            sb_printf(&g, ", g'(x) = ");
            fr_act_form(&g, SYN_ASCII, L->act, 1, "x", "g(x)", 12);
        }
        if (g.failed) { sb_free(&g); return fail(x, XLSX_ERR_MEMORY, "out of memory"); }
        int bad = put_str(x, ws, row, 0, buf, x->f.text) || put_str(x, ws, row, SET_VALUE_COL, what, x->f.text) ||
                  put_wrapped(x, ws, row++, 3, 3, x->meaning_w, g.s, x->f.para);
        sb_free(&g);
        if (bad) return -1;
    }
    {                                  /* what a layer may use: every row of the activation table */
        char acts[512], n[32];
        act_known(acts, sizeof acts);
        snprintf(n, sizeof n, "%d known", ACT_COUNT);
        if (put_str(x, ws, row, 0, "activations", x->f.text) || put_str(x, ws, row, SET_VALUE_COL, n, x->f.text) ||
            put_wrapped(x, ws, row++, 3, 3, x->meaning_w, acts, x->f.para))
            return -1;
    }
    /* the steps the engine ran (the perceptron rule stops after an epoch without mistakes) */
    if (l->rule == RULE_PERCEPTRON)
        snprintf(buf, sizeof buf, "%s after %d of at most %d epochs (%d steps)",
                 x->r->converged ? "no mistake in an epoch: stopped" : "the epoch limit: stopped", x->r->n_epochs,
                 l->epochs, l->steps);
    if (put_str(x, ws, row, 0, "batch size", x->f.text) || put_num(x, ws, row++, SET_VALUE_COL, l->batch, x->f.text) ||
        put_str(x, ws, row, 0, "steps", x->f.text) || put_num(x, ws, row, SET_VALUE_COL, x->r->steps, x->f.text) ||
        (l->rule == RULE_PERCEPTRON && put_wrapped(x, ws, row, 3, 3, x->meaning_w, buf, x->f.para)))
        return -1;
    row++;
    char why[512];
    if (walk_not_run(l, x->tr, why, sizeof why)) {   /* traced steps after a perceptron stopped: no sheet */
        if (put_str(x, ws, row, 0, "not run", x->f.text) || put_wrapped(x, ws, row, 3, 3, x->meaning_w, why, x->f.para))
            return -1;
        row++;
    }
    if (x->tr->round >= 0) snprintf(buf, sizeof buf, "every operand rounded to %d decimals before use, "
                                    "as on a calculator (half away from zero)", x->tr->round);
    else snprintf(buf, sizeof buf, "exact arithmetic");
    if (put_str(x, ws, row, 0, "rounding", x->f.text) ||
        put_lines(x, ws, &row, SET_VALUE_COL, set_w[SET_VALUE_COL] + x->meaning_w, buf, x->f.text, 0))
        return -1;
    block[1][1] = row;
    row++;

    /* the bias and the initial weights */
    block[2][0] = row;
    const char *wheads[] = {"quantity", "lecture name", "value", "note"};
    for (int c = 0; c < 4; c++) if (put_str(x, ws, row, c, wheads[c], x->f.header)) return -1;
    row++;
    x->bias = (xlsx_cell){0, row, SET_VALUE_COL};
    if (put_str(x, ws, row, 0, "a_0", x->f.text) || put_str(x, ws, row, 1, "bias", x->f.text) ||
        put_num(x, ws, row, SET_VALUE_COL, 1.0, x->f.fixed) || (x->subst && text_cells(x, ws, x->bias, x->set_text_col, 1.0)) ||
        put_str(x, ws, row++, 3, "the bias neuron: always 1", x->f.text))
        return -1;
    for (int a = 0; a < l->n_arcs; a++) {
        if (row >= LXW_ROW_MAX) return fail(x, XLSX_ERR_TOO_LARGE, "%d weights do not fit on one sheet", l->n_arcs);
        const lesson_arc *A = &l->arcs[a];
        const lesson_tie *T = A->tie ? &l->ties[A->tie - 1] : NULL;
        if (T && T->first != a) {            /* a tie is one parameter: one cell, its first arc's row */
            x->w0[a] = x->w0[T->first];
            continue;
        }
        x->w0[a] = (xlsx_cell){0, row, SET_VALUE_COL};
        /* the lecture's name: the notation's (names.h), else the lesson's alias */
        quantity wq = {.kind = Q_WEIGHT, .pass = PASS_GIVEN, .i = A->i, .j = A->j, .tie = T ? T->name : NULL};
        char shown[192], note[160];
        trace_name(&wq, buf, sizeof buf);
        names_render(l, x->notation, NAMES_ASCII, &wq, shown, sizeof shown);
        const char *lect = strcmp(shown, buf) ? shown : T ? "" : A->alias;
        if (T) snprintf(note, sizeof note, "tied: one value for its %d arcs%s", T->count,
                        A->frozen ? "; frozen: never updated" : "");
        else snprintf(note, sizeof note, "%s", A->frozen ? "frozen: never updated" : "");
        if (put_str(x, ws, row, 0, buf, x->f.text) || (lect[0] && put_str(x, ws, row, 1, lect, x->f.text)) ||
            put_num(x, ws, row, SET_VALUE_COL, A->w, x->f.edit) ||
            (x->subst && text_cells(x, ws, x->w0[a], x->set_text_col, A->w)) ||
            (note[0] && put_str(x, ws, row, 3, note, x->f.text)))
            return -1;
        row++;
    }
    block[2][1] = row;
    row++;

    /* the examples: one row each, x then y by neuron id */
    block[3][0] = row;
    if (1 + (long)l->n_in + n_out > LXW_COL_MAX)
        return fail(x, XLSX_ERR_TOO_LARGE, "%d inputs and %d outputs do not fit in the %d columns of a sheet",
                    l->n_in, n_out, LXW_COL_MAX);
    if ((long)row + 1 + l->n_examples >= LXW_ROW_MAX)
        return fail(x, XLSX_ERR_TOO_LARGE, "%d examples do not fit on one sheet", l->n_examples);
    if (put_str(x, ws, row, 0, "example", x->f.header)) return -1;
    for (int k = 0; k < l->n_in; k++) {
        x->in_col[l->inputs[k]] = 1 + k;
        quantity xq = {.kind = Q_INPUT, .pass = PASS_GIVEN, .i = -1, .j = l->inputs[k]};
        names_render(l, x->notation, NAMES_ASCII, &xq, buf, sizeof buf);
        if (put_str(x, ws, row, 1 + k, buf, x->f.header)) return -1;
    }
    for (int k = 0; k < n_out; k++) {
        x->out_col[out[k]] = 1 + l->n_in + k;
        quantity yq = {.kind = Q_TARGET, .pass = PASS_GIVEN, .i = -1, .j = out[k]};
        names_render(l, x->notation, NAMES_ASCII, &yq, buf, sizeof buf);
        if (put_str(x, ws, row, 1 + l->n_in + k, buf, x->f.header)) return -1;
    }
    x->ex_row = ++row;
    for (int e = 0; e < l->n_examples; e++, row++) {
        if (put_num(x, ws, row, 0, e + 1, x->f.text)) return -1;
        for (int k = 0; k < l->n_in; k++)
            if (put_num(x, ws, row, 1 + k, l->ex_x[(size_t)e * l->n_in + k], x->f.edit)) return -1;
        for (int k = 0; k < n_out; k++)
            if (put_num(x, ws, row, 1 + l->n_in + k, l->ex_y[(size_t)e * n_out + k], x->f.edit)) return -1;
    }
    block[3][1] = row;
    return settings_breaks(x, ws, row, block);
}

/* ------------------------------------------------------------------------
 * Step sheets: one row per quantity
 * ---------------------------------------------------------------------- */

/* The Settings cell that holds constant q, if any (*c set, returns 1). */
static int settings_cell(const xw *x, const quantity *q, xlsx_cell *c)
{
    const lesson *l = x->l;
    if (q->why == GIVEN_BIAS) { *c = x->bias; return q->value == 1.0; }
    if (q->why == GIVEN_LESSON && q->kind == Q_WEIGHT) {
        int a = lesson_arc_index(l, q->i, q->j);
        if (a < 0 || l->arcs[a].w != q->value) return 0;
        *c = x->w0[a];
        return 1;
    }
    return 0;
}

/* The examples-table cell an input / target constant q copies, if any: the
 * engine's provenance names the lesson example (quantity.ex); the value
 * must be that example's. */
static int example_cell(const xw *x, const quantity *q, xlsx_cell *c)
{
    const lesson *l = x->l;
    int e = q->ex - 1, col = -1;
    if (q->why != GIVEN_EXAMPLE || e < 0 || e >= l->n_examples || q->j < 0 || q->j > l->max_id) return 0;
    double v;
    if (q->kind == Q_INPUT && (col = x->in_col[q->j]) > 0) {
        v = l->ex_x[(size_t)e * l->n_in + (size_t)(col - 1)];
    } else if (q->kind == Q_TARGET && l->ex_y && (col = x->out_col[q->j]) > 0) {
        v = l->ex_y[(size_t)e * (size_t)l->n_out + (size_t)(col - 1 - l->n_in)];
    } else {
        return 0;
    }
    if (v != q->value) return 0;
    *c = (xlsx_cell){0, x->ex_row + (uint32_t)e, (uint32_t)col};
    return 1;
}

static void sheet_name_for(const xw *x, int t, char *buf, size_t size)
{
    const char *w = x->o && x->o->sheet_word ? x->o->sheet_word : "Step";
    if (t < x->l->steps) snprintf(buf, size, "%s %d", w, t + 1);
    else if (x->l->steps == 0) snprintf(buf, size, "Forward");
    else snprintf(buf, size, "After %s %d", w, x->l->steps);
}

/* The renderer's callbacks: operand k is refs[k]; alpha and lambda are the
 * Settings cells p1ref / p2ref when given. */
typedef struct { const char *const *refs; const char *p1ref, *p2ref; } xl_refs;

static void xl_operand(strbuf *out, const fr_ctx *c, size_t k, int bare)
{
    (void)bare;
    sb_printf(out, "%s", ((const xl_refs *)c->user)->refs[k]);
}

static int xl_param(strbuf *out, const fr_ctx *c, fr_param p)
{
    const xl_refs *r = c->user;
    const char *ref = p == FR_ALPHA ? r->p1ref : r->p2ref;
    if (ref) sb_printf(out, "%s", ref);
    return ref != NULL;
}

/* For the substituted column: operand k is the text cell ops[k], alpha and
 * lambda the text cells alpha / lambda when not NULL. */
typedef struct { const xlsx_textref *ops, *alpha, *lambda; } xl_texts;

static void xl_operand_text(strbuf *out, const fr_ctx *c, size_t k, int bare)
{
    const xlsx_textref *t = &((const xl_texts *)c->user)->ops[k];
    sb_printf(out, "%s", bare ? t->bare : t->paren);
}

static int xl_param_text(strbuf *out, const fr_ctx *c, fr_param p)
{
    const xl_texts *r = c->user;
    const xlsx_textref *t = p == FR_ALPHA ? r->alpha : r->lambda;
    if (t) sb_printf(out, "%s", t->paren);
    return t != NULL;
}

int xlsx_formula(strbuf *b, const op_spec *s, unsigned notes, const char *const *refs, size_t n,
                 const char *p1ref, const char *p2ref)
{
    xl_refs r = {.refs = refs, .p1ref = p1ref, .p2ref = p2ref};
    fr_ctx c = {.syn = SYN_XLSX, .operand = xl_operand, .param = xl_param, .user = &r};
    sb_printf(b, "=");
    return fr_render(b, &c, s, notes, n);
}

/* Does q's formula take alpha (and lambda) from their Settings cells? */
static void params_of(const xw *x, const quantity *q, int *uses_alpha, int *uses_lambda)
{
    *uses_alpha = (q->spec.op == OP_UPDATE || q->spec.op == OP_PERCEPTRON) && q->spec.p1 == x->l->rate;
    *uses_lambda = *uses_alpha && q->spec.op == OP_UPDATE && x->l->decay != 0 && q->spec.p2 == x->l->decay;
}

int xlsx_text_formula(strbuf *b, strbuf *text, const op_spec *s, unsigned notes, const xlsx_textref *ops,
                      const double *values, size_t n, const xlsx_textref *alpha, const xlsx_textref *lambda,
                      int digits, int *cut)
{
    xl_texts r = {ops, alpha, lambda};
    fr_ctx c = {.syn = SYN_ASCII, .operand = xl_operand_text, .values = values, .digits = digits,
                .param = xl_param_text, .user = &r};
    sb_printf(b, "=");
    return fr_render_text(b, text, &c, s, notes, n, XLSX_MAX_FORMULA - 1, cut);
}

/* The Training cell that holds carried weight q (w^(t) after step t, a
 * step that was run but not traced), if step t is live (*c set, returns 1). */
static int live_weight_cell(const xw *x, const quantity *q, xlsx_cell *c)
{
    if (!x->live || q->why != GIVEN_CARRIED || q->kind != Q_WEIGHT || q->t < 1 || q->t > x->live) return 0;
    int a = lesson_arc_index(x->l, q->i, q->j);
    if (a < 0 || !x->upd_col[a]) return 0;
    *c = (xlsx_cell){(uint32_t)x->tr_sheet, HEAD_ROWS + (uint32_t)q->t - 1, x->upd_col[a]};
    return 1;
}

/* The substituted cell of quantity q on sheet `sheet`: a formula showing
 * its operands' current values as text (their text cells), cached with the
 * text the engine's values give. uses_alpha / uses_lambda as in its value
 * formula. Returns 0, -1 after fail(), or 1 when the operation has no text
 * formula. */
static int write_subst(xw *x, lxw_worksheet *ws, int sheet, uint32_t row, const quantity *q, int uses_alpha,
                       int uses_lambda, lxw_format *fmt)
{
    const trace *tr = x->tr;
    int d = x->text_digits, cut = 0;
    size_t n = q->nops;
    double *vals = malloc((n ? n : 1) * sizeof *vals);
    char (*refs)[XLSX_REF_MAX] = malloc((2 * n + 4) * sizeof *refs);
    xlsx_textref *t = malloc((n + 2) * sizeof *t);
    if (!vals || !refs || !t) {
        free(vals); free(refs); free(t);
        return fail(x, XLSX_ERR_MEMORY, "out of memory (substituted formula)");
    }
    text_operand_values(tr, q, vals);
    int finite = 1;
    for (size_t k = 0; k < n; k++) {
        finite &= isfinite(vals[k]) != 0;
        if (x->tr->round >= 0 && isfinite(vals[k])) vals[k] = round_dp(vals[k], d);   /* exact: text_num rounds */
        else if (fabs(vals[k]) < XLSX_TINY_MIN) vals[k] = 0;                           /* as its text cell shows it */
        text_ref(x, sheet, x->cell[tr->ops[q->first + k]], refs + 2 * k, t + k);
    }
    if (uses_alpha) text_ref(x, sheet, x->alpha, refs + 2 * n, t + n);
    if (uses_lambda) text_ref(x, sheet, x->lambda, refs + 2 * n + 2, t + n + 1);
    strbuf fo = {0}, tx = {0};
    int rc = xlsx_text_formula(&fo, &tx, &q->spec, q->notes, t, vals, n, uses_alpha ? t + n : NULL,
                               uses_lambda ? t + n + 1 : NULL, d, &cut);
    free(vals); free(refs); free(t);
    if (!rc && (fo.failed || tx.failed)) rc = fail(x, XLSX_ERR_MEMORY, "out of memory (substituted formula)");
    else if (!rc)
        rc = put_formula_text(x, ws, row, COL_SUBST, fo.s, fmt, tx.s, finite, "write formula");
    else rc = 1;
    if (!rc && tx.len > x->wsubst) x->wsubst = tx.len;
    sb_free(&fo);
    sb_free(&tx);
    return rc;
}

/* fail() for quantity q (called name) whose operation has no spreadsheet formula. */
static int no_formula(xw *x, const char *name, const quantity *q)
{
    return fail(x, XLSX_ERR_FORMULA, "%s: operation %d with %zu operands has no spreadsheet formula",
                name, (int)q->spec.op, (size_t)q->nops);
}

/* q's formula into f (emptied first): its operation over its operands'
 * cells in cells[] (each as ROUND(ref,d) when d >= 0) and over alpha's and
 * lambda's cells as it uses them (*ua, *ul), referred to from `sheet`.
 * 0, or -1 after fail(). */
static int value_formula(xw *x, int sheet, const trace *tr, const xlsx_cell *cells, const quantity *q,
                         int d, const char *name, strbuf *f, int *ua, int *ul)
{
    size_t n = q->nops;
    char (*refs)[XLSX_REF_MAX] = malloc((n ? n : 1) * sizeof *refs);
    const char **rp = malloc((n ? n : 1) * sizeof *rp);
    if (!refs || !rp) { free(refs); free(rp); return fail(x, XLSX_ERR_MEMORY, "out of memory (formula)"); }
    for (size_t k = 0; k < n; k++) {
        cell_ref_d(x, sheet, cells[tr->ops[q->first + k]], d, refs[k], sizeof refs[k]);
        rp[k] = refs[k];
    }
    char ar[XLSX_REF_MAX], lr[XLSX_REF_MAX];
    params_of(x, q, ua, ul);
    if (*ua) cell_ref(x, sheet, x->alpha, 0, ar, sizeof ar);
    if (*ul) cell_ref(x, sheet, x->lambda, 0, lr, sizeof lr);
    f->len = 0;
    if (f->s) f->s[0] = '\0';
    int rc = xlsx_formula(f, &q->spec, q->notes, rp, n, *ua ? ar : NULL, *ul ? lr : NULL);
    free(refs);
    free(rp);
    if (rc) return no_formula(x, name, q);
    if (f->failed) return fail(x, XLSX_ERR_MEMORY, "out of memory (formula)");
    return 0;
}

/* The value cell of quantity id: its formula with the cached value. */
static int write_value(xw *x, lxw_worksheet *ws, int sheet, uint32_t row, uint32_t col, const trace *tr,
                       const xlsx_cell *cells, size_t id, strbuf *f, lxw_format *fmt)
{
    const quantity *q = &tr->q[id];
    int subst = x->subst && cells == x->cell;    /* the step sheets show the substituted form */
    char name[96];
    trace_name(q, name, sizeof name);
    f->len = 0;
    if (f->s) f->s[0] = '\0';
    xlsx_cell c;
    if (q->spec.op == OP_CONST) {
        if (!settings_cell(x, q, &c) && !example_cell(x, q, &c) && !live_weight_cell(x, q, &c)) {   /* its own */
            if (q->kind == Q_INPUT || q->kind == Q_TARGET || q->kind == Q_BIAS || (q->kind == Q_WEIGHT && q->t == 0))
                x->lay.unlinked++;
            return put_num(x, ws, row, (int)col, q->value, cells == x->cell ? x->f.edit : fmt);
        }
        char ref[XLSX_REF_MAX];
        cell_ref(x, sheet, c, 0, ref, sizeof ref);
        sb_printf(f, "=%s", ref);
    } else {
        int uses_alpha, uses_lambda;
        if (value_formula(x, sheet, tr, cells, q, x->tr->round, name, f, &uses_alpha, &uses_lambda)) return -1;
        int rc = subst ? write_subst(x, ws, sheet, row, q, uses_alpha, uses_lambda, fmt) : 0;
        if (rc < 0) return -1;
        if (rc) return no_formula(x, name, q);
    }
    if (f->failed) return fail(x, XLSX_ERR_MEMORY, "out of memory (formula)");
    if (f->len > XLSX_MAX_FORMULA)
        return fail(x, XLSX_ERR_TOO_LARGE, "the formula of %s has %zu characters; a spreadsheet formula holds "
                    "at most %d (too many operands for a cell formula)", name, f->len, XLSX_MAX_FORMULA);
    return put_formula(x, ws, row, col, f->s, fmt, q->value);
}

/* An exercise of an exact lesson: quantity id's operation over its operands
 * rounded to the decimals the sheet shows them with, written at `at` on
 * Answers with that value cached (eval_apply over the rounded values), as
 * a second reference for the check: what a student who computes from the
 * shown numbers gets. Returns 1 written, 0 not (a formula over Excel's
 * length: the check then has the true value alone), -1 failed. */
static int shown_value(xw *x, size_t id, xlsx_cell at)
{
    const trace *tr = x->tr;
    const quantity *q = &tr->q[id];
    size_t n = q->nops;
    double *v = malloc((n ? n : 1) * sizeof *v);
    strbuf f = {0};
    char name[96];
    int ua, ul, rc = -1;
    trace_name(q, name, sizeof name);
    if (!v) { fail(x, XLSX_ERR_MEMORY, "out of memory (formula)"); goto done; }
    for (size_t k = 0; k < n; k++) v[k] = round_dp(tr->q[tr->ops[q->first + k]].value, x->digits);
    if (value_formula(x, at.sheet, tr, x->cell, q, x->digits, name, &f, &ua, &ul)) goto done;
    unsigned notes = 0;
    double shown = eval_apply(&q->spec, v, n, &notes);
    rc = 0;
    if (f.len <= XLSX_MAX_FORMULA && isfinite(shown))
        rc = put_formula(x, x->ws[at.sheet], at.row, at.col, f.s, x->f.fixed, shown) ? -1 : 1;
done:
    free(v);
    sb_free(&f);
    return rc;
}

/* An exercise's blank for quantity id in row `row` of step sheet ws; its
 * formula is already on the Answers sheet at x->cell[id]. */
static int exercise_blank(xw *x, lxw_worksheet *ws, int sheet, const char *sheet_name, uint32_t row, size_t id,
                          const char *qname)
{
    char ref[XLSX_REF_MAX], shown[XLSX_REF_MAX];
    xlsx_cell at = {(uint32_t)x->ans, x->cell[id].row, COL_VALUE + 1};
    int has_shown = x->tr->round < 0 ? shown_value(x, id, at) : 0;
    if (has_shown < 0) return -1;
    cell_ref(x, sheet, x->cell[id], 0, ref, sizeof ref);
    cell_ref(x, sheet, at, 0, shown, sizeof shown);
    return chk(x, xlsx_ex_blank(x->o->exercise, ws, sheet, sheet_name, id, qname, row, COL_VALUE, COL_CHECK,
                                x->cell[id].row, ref, has_shown ? shown : NULL), "exercise blank");
}

/* Column width for texts of at most n characters (names, formulas, notes):
 * proportional fonts need a little more than one unit per character
 * (gnumeric's more than LibreOffice's: W^[1]_1,1^(1) needs 16); very long
 * ones wrap past. */
static double text_width(size_t n)
{
    double w = 1.15 * (double)n + 2;
    return w < 90 ? w : 90;
}
_Static_assert(115 * FORMULA_CHARS + 200 <= 9000, "a formula line of FORMULA_CHARS fits text_width's widest column");

/* ------------------------------------------------------------------------
 * Training: every step live, a row of formulas each
 * ---------------------------------------------------------------------- */

/* Does full-run quantity q have a Training column (not a Settings cell)? */
static int has_column(const xw *x, const quantity *q, xlsx_cell *c)
{
    return !(q->spec.op == OP_CONST && (settings_cell(x, q, c) || example_cell(x, q, c)));
}

/* The quantities of iteration t in the full run from *at on (the trace is in
 * iteration order): their ids into ids[], the count returned, *at moved on. */
static size_t step_ids(const trace *tr, int t, size_t *at, size_t *ids)
{
    size_t n = 0;
    for (; *at < tr->n && tr->q[*at].t == t; (*at)++)
        if (tr->q[*at].pass != PASS_GIVEN) ids[n++] = *at;
    return n;
}

/* The lesson cut to its first `steps` steps, every one traced, nothing more. */
static lesson live_lesson(const lesson *l, int steps)
{
    lesson c = *l;               /* a shallow copy: borrowed arrays, never freed */
    c.steps = steps;
    c.final_forward = 0;
    c.trace_all = 1;
    c.trace_steps = NULL;
    c.n_trace_steps = 0;
    c.report_steps = NULL;
    c.n_report_steps = 0;
    c.chain = 0;
    c.n_expects = 0;             /* the live rows' run checks no names: its later steps are cut */
    c.ask = NULL;
    c.n_ask_lines = 0;
    c.points = NULL;
    c.n_points = 0;
    return c;
}

/* The Training sheet's header of q's column (q of step 1): its name for
 * every row, "in_3" (in row k: in_3 of step k), "w_0,3^(k)" for the weight
 * the row's update makes. Same return as snprintf. */
static int training_head(const quantity *q, char *buf, size_t size)
{
    quantity c = *q;
    if (q->kind != Q_UPDATE) return trace_name(&c, buf, size);
    c.kind = Q_WEIGHT;                     /* w_0,3, then the step's iteration */
    c.t = 0;
    int n = trace_name(&c, buf, size);
    return n < 0 || (size_t)n >= size ? n : n + snprintf(buf + n, size - (size_t)n, "^(k)");
}

/* Sheet "Training": row k is step k (k <= x->live): its J (the batch mean)
 * and every quantity of the step, each a formula over the row above (the
 * weights w^(k-1)), Settings (alpha, lambda, examples, w^(0)) and the row
 * itself; the engine's values cached. live = the steps that fit
 * XLSX_LIVE_CELLS; 0 (no sheet) when the run has givens no Settings cell
 * holds (normalised inputs) or steps of different shapes. */
static int training_sheet(xw *x)
{
    const lesson *l = x->l;
    const engine_result *r = x->r;
    if (x->o && x->o->exercise) return 0;       /* its rows would show the asked values */
    char err[512];
    engine_opts eo = {.round = x->tr->round, .trace_all = 1};
    lesson one = live_lesson(l, 1);
    engine_result probe;
    if (engine_run(&one, &eo, &probe, err, sizeof err) != ENG_OK)
        return fail(x, XLSX_ERR_MEMORY, "the live training rows: %s", err);
    size_t per_step = 0, at = 0;
    for (size_t id = 0; id < probe.tr->n; id++) {
        const quantity *q = &probe.tr->q[id];
        xlsx_cell c;
        if (q->pass == PASS_GIVEN && has_column(x, q, &c)) { per_step = 0; break; }   /* not on Settings */
        per_step += q->pass != PASS_GIVEN && has_column(x, q, &c);
    }
    engine_result_free(&probe);
    if (per_step == 0 || per_step + 2 > LXW_COL_MAX) return 0;
    long fit = XLSX_LIVE_CELLS / (long)per_step;
    int L = r->steps < fit ? r->steps : (int)fit;
    if (L < 1) return 0;
    lesson cut = live_lesson(l, L);
    if (engine_run(&cut, &eo, &x->full, err, sizeof err) != ENG_OK)
        return fail(x, XLSX_ERR_MEMORY, "the live training rows: %s", err);
    x->have_full = 1;
    const trace *ft = x->full.tr;
    x->tcell = calloc(ft->n ? ft->n : 1, sizeof *x->tcell);
    x->upd_col = calloc(l->n_arcs ? (size_t)l->n_arcs : 1, sizeof *x->upd_col);
    size_t *ids = malloc(ft->n * sizeof *ids), *tmpl = malloc(ft->n * sizeof *tmpl);
    strbuf f = {0}, jf = {0};
    int rc = -1;
    if (!x->tcell || !x->upd_col || !ids || !tmpl) { fail(x, XLSX_ERR_MEMORY, "out of memory (Training)"); goto done; }
    lxw_worksheet *ws = sheet_add(x, "Training");
    if (!ws) goto done;
    x->tr_sheet = x->n_sheets - 1;
    for (at = 0; at < ft->n && ft->q[at].pass == PASS_GIVEN; at++)     /* a_0, w^(0): Settings cells */
        (void)has_column(x, &ft->q[at], &x->tcell[at]);
    char name[96];
    if (put_str(x, ws, 1, 0, "step k", x->f.header) ||
        put_str(x, ws, 1, 1, l->batch > 1 ? "J (batch mean)" : "J of step k", x->f.header))
        goto done;
    size_t n_tmpl = 0;
    uint32_t n_cols = 0;                          /* quantity columns of a row */
    int t;
    for (t = 0; t < L; t++) {
        size_t n = step_ids(ft, t, &at, ids);
        uint32_t row = HEAD_ROWS + (uint32_t)t, col = 2;
        if (t == 0) memcpy(tmpl, ids, (n_tmpl = n) * sizeof *ids);
        int same = n == n_tmpl;                     /* the same shape as step 1, column by column */
        for (size_t k = 0; same && k < n; k++) {
            const quantity *p = &ft->q[tmpl[k]], *q = &ft->q[ids[k]];
            same = p->kind == q->kind && p->i == q->i && p->j == q->j && p->spec.op == q->spec.op;
        }
        if (!same) break;
        jf.len = 0;
        if (jf.s) jf.s[0] = '\0';
        int n_j = 0;
        if (put_num(x, ws, row, 0, t + 1, NULL)) goto done;
        for (size_t k = 0; k < n; k++) {
            const quantity *q = &ft->q[ids[k]];
            if (!has_column(x, q, &x->tcell[ids[k]])) continue;
            x->tcell[ids[k]] = (xlsx_cell){(uint32_t)x->tr_sheet, row, col};
            if (t == 0 && (training_head(q, name, sizeof name) < 0 || put_str(x, ws, 1, (int)col, name, x->f.header)))
                goto done;
            if (write_value(x, ws, x->tr_sheet, row, col, ft, x->tcell, ids[k], &f, x->f.fixed)) goto done;
            if (q->kind == Q_UPDATE && t == 0) {
                int a = lesson_arc_index(l, q->i, q->j);
                if (a >= 0) x->upd_col[a] = col;
            }
            if (q->kind == Q_LOSS) {                  /* J: the mean over the batch, in the engine's order */
                char ref[LXW_MAX_CELL_NAME_LENGTH];
                lxw_rowcol_to_cell(ref, row, (lxw_col_t)col);
                sb_printf(&jf, "%s%s", n_j++ ? "+" : "=(", ref);
            }
            col++;
        }
        if (n_j == 0) break;
        if (t == 0) n_cols = col - 2;
        sb_printf(&jf, ")/%d", n_j);
        if (jf.failed) { fail(x, XLSX_ERR_MEMORY, "out of memory (Training)"); goto done; }
        if (put_formula(x, ws, row, 1, jf.s, x->f.fixed, r->loss[t])) goto done;
    }
    x->live = t;
    char title[300];
    int shown = (int)(n_cols < 10 ? n_cols : 10);
    snprintf(title, sizeof title, "Training: steps 1 to %d of %d, each row from the one above "
             "(printed: %d steps, J, %d of %u quantities)", t, r->steps,
             t < SUMMARY_PRINT_ROWS ? t : SUMMARY_PRINT_ROWS, shown, (unsigned)n_cols);
    double w = x->digits + 9 > 12 ? x->digits + 9 : 12;
    double w0 = text_width(strlen("step k"));   /* the title wraps within the printed columns */
    if (put_wrapped(x, ws, 0, 0, 1 + shown, w0 + w * (1 + shown), title, x->f.title_wrap)) goto done;
    lxw_row_t plast = (lxw_row_t)(HEAD_ROWS + (t < SUMMARY_PRINT_ROWS ? t : SUMMARY_PRINT_ROWS) - 1);
    worksheet_freeze_panes(ws, HEAD_ROWS, 2);
    worksheet_fit_to_pages(ws, 1, 1);
    if (chk(x, worksheet_set_column(ws, 0, 0, w0, NULL), "width") ||
        chk(x, worksheet_set_column(ws, 1, (lxw_col_t)(n_cols + 1), w, NULL), "width") ||
        chk(x, worksheet_print_area(ws, 0, 0, plast, (lxw_col_t)(1 + shown)), "print area"))
        goto done;
    rc = 0;
done:
    free(ids);
    free(tmpl);
    sb_free(&f);
    sb_free(&jf);
    return rc;
}

/* ------------------------------------------------------------------------
 * Summary: J per step (live up to x->live), and a scatter chart of it
 * ---------------------------------------------------------------------- */

static int summary_sheet(xw *x)
{
    const engine_result *r = x->r;
    lxw_worksheet *ws = sheet_add(x, "Summary");
    if (!ws) return -1;
    int sheet = x->n_sheets - 1;
    if ((long)r->steps + HEAD_ROWS > LXW_ROW_MAX)
        return fail(x, XLSX_ERR_TOO_LARGE, "%d steps do not fit on the Summary sheet (at most %d rows)",
                    r->steps, LXW_ROW_MAX - HEAD_ROWS);
    if (training_sheet(x)) return -1;
    /* what is live, on Settings a sentence a row (so the page stays narrow),
     * in the chart's title and in the Summary's */
    char line[2][300] = {"", ""}, chart_title[200], sum_title[160];
    if (x->live >= r->steps) {
        snprintf(line[0], sizeof line[0], "Every step is live: the Training sheet has a row of formulas per step "
                 "(1 to %d); edit alpha, a weight or an example and the steps, J, the chart and the final weights "
                 "recompute.", r->steps);
        snprintf(chart_title, sizeof chart_title, "Loss per step (live)");
        snprintf(sum_title, sizeof sum_title, "Loss J per step (live: read from the Training sheet)");
    } else if (x->live > 0) {
        snprintf(line[0], sizeof line[0], "Steps 1 to %d are live (the Training sheet, a row of formulas per step).",
                 x->live);
        snprintf(line[1], sizeof line[1], "Steps %d to %d are the engine's FIXED values from the givens as written: "
                 "J after step %d and the weights carried past it do not follow an edit.", x->live + 1, r->steps,
                 x->live);
        snprintf(chart_title, sizeof chart_title, "Loss per step (live to step %d; later: fixed engine values)",
                 x->live);
        snprintf(sum_title, sizeof sum_title, "Loss J per step (steps 1 to %d live, from the Training sheet; "
                 "later steps: the engine's fixed values)", x->live);
    } else {
        snprintf(line[0], sizeof line[0], "The steps between traced ones are the engine's FIXED values from the "
                 "givens as written (this lesson's steps are not written as live rows): J on Summary and the "
                 "weights carried between step sheets do not follow an edit.");
        snprintf(chart_title, sizeof chart_title, "Loss per step (fixed engine values)");
        snprintf(sum_title, sizeof sum_title, "Loss J per step (the engine's fixed values)");
    }
    _Static_assert(sizeof line / sizeof line[0] <= LIVE_NOTE_ROWS, "the note's rows are reserved on Settings");
    uint32_t note_row = x->live_note_row;
    for (uint32_t k = 0; k < 2 && line[k][0] && note_row < x->live_note_row + LIVE_NOTE_ROWS; k++)
        if (put_lines(x, x->ws[0], &note_row, 0, x->set_width, line[k], x->f.bold,
                      (int)(x->live_note_row + LIVE_NOTE_ROWS - note_row)))
            return -1;
    if (
        put_str(x, ws, 0, 0, sum_title, x->f.title) ||
        put_str(x, ws, 1, 0, "step", x->f.header) ||
        put_str(x, ws, 1, 1, x->l->batch > 1 ? "J (batch mean)" : "J", x->f.header))
        return -1;
    for (int k = 0; k < r->steps; k++) {
        uint32_t row = (uint32_t)(HEAD_ROWS + k);
        if (put_num(x, ws, row, 0, k + 1, NULL)) return -1;
        if (k < x->live) {
            char ref[XLSX_REF_MAX], fm[XLSX_REF_MAX + 2];
            cell_ref(x, sheet, (xlsx_cell){(uint32_t)x->tr_sheet, row, 1}, 0, ref, sizeof ref);
            snprintf(fm, sizeof fm, "=%s", ref);
            if (put_formula(x, ws, row, 1, fm, x->f.fixed, r->loss[k])) return -1;
        } else if (put_num(x, ws, row, 1, r->loss[k], x->f.fixed)) {
            return -1;
        }
    }
    /* a scatter chart: a numeric step axis from 1, so its labels never run together */
    lxw_chart *chart = workbook_add_chart(x->wb, LXW_CHART_SCATTER_STRAIGHT);
    if (!chart) return fail(x, XLSX_ERR_MEMORY, "out of memory (chart)");
    lxw_chart_series *s = chart_add_series(chart, NULL, NULL);
    if (!s) return fail(x, XLSX_ERR_MEMORY, "out of memory (chart series)");
    lxw_row_t last = (lxw_row_t)(HEAD_ROWS + r->steps - 1);
    chart_series_set_categories(s, "Summary", HEAD_ROWS, 0, last, 0);
    chart_series_set_values(s, "Summary", HEAD_ROWS, 1, last, 1);   /* live cells up to x->live */
    chart_series_set_name(s, "J");
    chart_title_set_name(chart, chart_title);
    chart_axis_set_name(chart->x_axis, "step");
    chart_axis_set_name(chart->y_axis, "J");
    chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
    chart_axis_set_min(chart->x_axis, 1);
    chart_axis_set_max(chart->x_axis, r->steps > 1 ? r->steps : 2);
    /* printed: the chart and the first SUMMARY_PRINT_ROWS steps, on one page */
    lxw_row_t print_last = (lxw_row_t)(HEAD_ROWS + (r->steps < SUMMARY_PRINT_ROWS ? r->steps : SUMMARY_PRINT_ROWS) - 1);
    if (print_last < 17) print_last = 17;                       /* the chart's own rows */
    worksheet_fit_to_pages(ws, 1, 1);
    if (r->steps > SUMMARY_PRINT_ROWS) {
        char note[160];
        snprintf(note, sizeof note, "printed: the chart and the first %d of the %d steps", SUMMARY_PRINT_ROWS,
                 r->steps);
        if (put_str(x, ws, 18, 3, note, x->f.title)) return -1;
    }
    if (chk(x, worksheet_print_area(ws, 0, 0, print_last, 11), "print area") ||
        chk(x, worksheet_insert_chart(ws, 1, 3, chart), "insert chart") ||
        chk(x, worksheet_set_column(ws, 0, 0, 10, NULL), "column width") ||
        chk(x, worksheet_set_column(ws, 1, 1, x->digits + 9 > 16 ? x->digits + 9 : 16, NULL), "column width"))
        return -1;
    worksheet_set_landscape(ws);
    worksheet_freeze_panes(ws, HEAD_ROWS, 0);
    x->lay.summary = sheet;
    x->lay.summary_row = HEAD_ROWS;
    return 0;
}


/* The widths of a step sheet's text columns, from their longest texts. */
static int step_widths(xw *x, lxw_worksheet *ws, size_t wname, size_t wform, size_t wnote)
{
    size_t wsub = x->wsubst > 14 ? x->wsubst : 14;
    lxw_row_col_options hide = {.hidden = 1};       /* exercises: no substituted column */
    x->wsubst = 0;
    return chk(x, worksheet_set_column(ws, COL_NAME, COL_NAME, text_width(wname), NULL), "width") ||
           chk(x, worksheet_set_column(ws, COL_FORMULA, COL_FORMULA, text_width(wform), NULL), "width") ||
           chk(x, worksheet_set_column_opt(ws, COL_SUBST, COL_SUBST, text_width(wsub), NULL,
                                           x->subst ? NULL : &hide), "width") ||
           chk(x, worksheet_set_column(ws, COL_NOTE, COL_NOTE, text_width(wnote), NULL), "width");
}

static int step_sheets(xw *x)
{
    const trace *tr = x->tr;
    const lesson *l = x->l;
    strbuf f = {0}, sym = {0};
    lxw_worksheet *ws = NULL;
    int sheet = -1, cur_t = -1, rc = -1;
    uint32_t row = 0;
    size_t wname = 10, wform = 16, wnote = 6;
    char name[96], title[240], note[160];
    walker w;
    walk_start(&w, l, tr, 0);
    lxw_row_col_options hide = {.hidden = 1};
    int new_sheet = 1;
    for (walk_item it; walk_next(&w, &it);) {            /* a sheet per iteration t */
        size_t id = it.id;
        const quantity *q = it.q;
        xlsx_cell c;
        new_sheet |= (it.events & WALK_ITER) != 0;
        if (q->spec.op == OP_CONST && settings_cell(x, q, &c)) { x->cell[id] = c; continue; }
        if (new_sheet) {
            new_sheet = 0;
            if (ws && q->t < cur_t) { fail(x, XLSX_ERR_FORMULA, "the trace is not in iteration order"); goto done; }
            if (ws) {
                if (step_widths(x, ws, wname, wform, wnote)) goto done;
                wname = 10; wform = 16; wnote = 6;
            }
            cur_t = q->t;
            sheet_name_for(x, cur_t, name, sizeof name);
            if (!(ws = sheet_add(x, name))) goto done;
            sheet = x->n_sheets - 1;
            if (cur_t < l->steps)
                snprintf(title, sizeof title, "%s (t = %d): forward, loss, backward, gradients and update", name, cur_t);
            else
                snprintf(title, sizeof title, "%s (t = %d): forward pass with the weights w^(%d)", name, cur_t, cur_t);
            static const char *const heads[COL_COUNT] = {
                [COL_PASS] = "pass", [COL_NAME] = "quantity", [COL_FORMULA] = "formula",
                [COL_SUBST] = "substituted", [COL_VALUE] = "value", [COL_NOTE] = "note",
            };
            if (put_str(x, ws, 0, 0, title, x->f.title)) goto done;
            for (int k = 0; k < COL_COUNT; k++) if (put_str(x, ws, 1, k, heads[k], x->f.header)) goto done;
            worksheet_freeze_panes(ws, HEAD_ROWS, 0);
            worksheet_fit_to_pages(ws, 1, 0);          /* printed: one page wide, headers on each */
            if (chk(x, worksheet_repeat_rows(ws, 0, HEAD_ROWS - 1), "repeat header rows") ||
                chk(x, worksheet_set_column(ws, COL_PASS, COL_PASS, 11, NULL), "width") ||
                chk(x, worksheet_set_column(ws, COL_VALUE, COL_VALUE, x->digits + 9 > 14 ? x->digits + 9 : 14, NULL), "width") ||
                chk(x, worksheet_set_row(ws, 0, 20, NULL), "row height") ||
                chk(x, worksheet_set_column_opt(ws, COL_TEXT, COL_TEXT + 1, 12, NULL, &hide), "hidden columns"))
                goto done;
            row = HEAD_ROWS;
        }
        if (row >= LXW_ROW_MAX) {
            fail(x, XLSX_ERR_TOO_LARGE, "sheet '%s' would need more than %d rows (one per quantity)", name, LXW_ROW_MAX);
            goto done;
        }
        int asked = x->ans >= 0 && xlsx_ex_asked(x->o->exercise, id);   /* an exercise's blank */
        x->cell[id] = asked ? (xlsx_cell){(uint32_t)x->ans, xlsx_ex_answer_row(x->o->exercise), COL_VALUE}
                            : (xlsx_cell){(uint32_t)sheet, row, COL_VALUE};
        int p = (unsigned)q->pass < PASS_COUNT ? (int)q->pass : PASS_FORWARD;
        char qname[192];
        text_qname(x->l, x->notation, q, qname, sizeof qname);
        sym.len = 0;
        if (sym.s) sym.s[0] = '\0';
        note[0] = '\0';
        if (q->spec.op != OP_CONST) {
            text_formula_x(&sym, tr, q, NULL, x->digits, x->l, x->notation, 1);   /* g(in_3) = 1/(1+exp(-in_3)) */
            for (int k = 0; it.notes[k]; k++)            /* the walker's notes, "; " between */
                snprintf(note + strlen(note), sizeof note - strlen(note), "%s%s", k ? "; " : "", it.notes[k]);
        } else if (example_cell(x, q, &c)) {
            sb_printf(&sym, "example %d on Settings", q->ex);
        } else if (live_weight_cell(x, q, &c)) {
            sb_printf(&sym, "Training, step %d", q->t);
        } else {
            sb_printf(&sym, "given");
            if (q->why == GIVEN_CARRIED && live_weight_cell(x, q, &c))
                snprintf(note, sizeof note, "weight after step %d: row %d of the Training sheet (live)", q->t,
                         HEAD_ROWS + q->t);
            else if (q->why == GIVEN_CARRIED)
                snprintf(note, sizeof note, "weight after step %d: the engine's fixed value (beyond the live "
                         "steps); edit it here", q->t);
            else if (q->why == GIVEN_DRAW)
                snprintf(note, sizeof note, "the seeded dropout draw");
        }
        if (sym.failed) { fail(x, XLSX_ERR_MEMORY, "out of memory (formula text)"); goto done; }
        size_t form_lines = 1, note_lines = 1;         /* a long formula or note wraps: the row as high as both */
        if (put_str(x, ws, row, COL_PASS, trace_pass_name(q->pass), x->f.label[p]) ||
            put_str(x, ws, row, COL_NAME, qname, x->f.label[p]) ||
            (sym.len > FORMULA_CHARS
                 ? put_wrapped_n(x, ws, row, COL_FORMULA, COL_FORMULA, text_width(FORMULA_CHARS), sym.s,
                                 x->f.label_wrap[p], &form_lines)
                 : put_str(x, ws, row, COL_FORMULA, sym.s, x->f.label[p])) ||
            (x->subst && q->spec.op == OP_CONST &&
             chk(x, worksheet_write_blank(ws, row, COL_SUBST, x->f.label[p]), "write blank")) ||
            (asked ? write_value(x, x->ws[x->ans], x->ans, x->cell[id].row, COL_VALUE, tr, x->cell, id, &f,
                                 x->f.value[p]) ||
                     exercise_blank(x, ws, sheet, name, row, id, qname)
                   : write_value(x, ws, sheet, row, COL_VALUE, tr, x->cell, id, &f, x->f.value[p])) ||
            (x->subst && text_cells(x, ws, x->cell[id], COL_TEXT, q->value)) ||
            (note[0] && (strlen(note) > NOTE_CHARS
                         ? put_wrapped_n(x, ws, row, COL_NOTE, COL_NOTE, text_width(NOTE_CHARS), note, x->f.para,
                                         &note_lines)
                         : put_str(x, ws, row, COL_NOTE, note, x->f.text))) ||
            ((form_lines > 1 || note_lines > 1) &&
             wrapped_height(x, ws, row, form_lines > note_lines ? form_lines : note_lines, 0)))
            goto done;
        if (strlen(qname) > wname) wname = strlen(qname);
        if (sym.len > wform) wform = sym.len < FORMULA_CHARS ? sym.len : FORMULA_CHARS;
        if (strlen(note) > wnote) wnote = strlen(note) < NOTE_CHARS ? strlen(note) : NOTE_CHARS;
        row++;
    }
    if (ws && step_widths(x, ws, wname, wform, wnote)) goto done;
    rc = 0;
done:
    sb_free(&f);
    sb_free(&sym);
    return rc;
}

/* ------------------------------------------------------------------------
 * The whole workbook
 * ---------------------------------------------------------------------- */

/* Options that can be judged before any file is touched. */
static int check_opts(xw *x)
{
    const char *w = x->o ? x->o->sheet_word : NULL;
    if (!w) return 0;
    size_t n = strlen(w);
    if (n == 0 || n > XLSX_MAX_WORD)
        return fail(x, XLSX_ERR_SHEET_NAME, "sheet word '%s' has %zu characters; it takes 1 to %d, so that "
                    "\"After %s N\" stays within the %d characters of a sheet name", w, n, XLSX_MAX_WORD, w,
                    LXW_SHEETNAME_MAX);
    /* Excel forbids []:*?/\ and a leading or trailing '; an inner ' is legal
     * in Excel but gnumeric misreads the doubled '' in references, so no '. */
    if (strpbrk(w, "[]:*?/\\'"))
        return fail(x, XLSX_ERR_SHEET_NAME, "sheet word '%s': a sheet name here may not contain any of "
                    "[]:*?/\\'", w);
    return 0;   /* "<word> k" never equals Settings, Summary or Forward */
}

/* An exercise's hidden sheet of answer formulas, before the step sheets
 * (whose later formulas refer to it). */
static int answers_sheet(xw *x)
{
    if (!x->o || !x->o->exercise) return 0;
    lxw_worksheet *ws = sheet_add(x, XLSX_EX_SHEET);
    if (!ws) return -1;
    x->ans = x->n_sheets - 1;
    return chk(x, xlsx_ex_begin(x->o->exercise, x->wb, ws, x->ans, x->f.blank, x->f.header, COL_VALUE),
               "exercise answers sheet");
}

static void xw_free(xw *x)
{
    free(x->cell); free(x->ws); free(x->quoted); free(x->w0); free(x->in_col); free(x->out_col);
    free(x->tcell); free(x->upd_col);
    if (x->have_full) engine_result_free(&x->full);
}

xlsx_status xlsx_write(const char *path, const lesson *l, const engine_result *r,
                       const xlsx_opts *o, xlsx_layout *layout, char *err, size_t errsize)
{
    xw x;
    memset(&x, 0, sizeof x);
    x.l = l; x.r = r; x.tr = r->tr; x.o = o; x.err = err; x.errsize = errsize;
    x.lay.summary = -1;
    x.ans = -1;
    if (errsize) err[0] = '\0';
    x.digits = o && o->digits >= 0 ? o->digits : l->digits;
    x.notation = o && o->notation >= 0 ? o->notation : l->notation;
    if (x.digits > 15) x.digits = 15;
    x.text_digits = x.tr->round >= 0 ? x.tr->round : x.digits;
    x.subst = !(o && o->exercise);
    number_format(x.digits, x.numfmt, sizeof x.numfmt);
    size_t nid = (size_t)l->max_id + 1;
    x.cell = calloc(x.tr->n ? x.tr->n : 1, sizeof *x.cell);
    x.w0 = calloc(l->n_arcs ? (size_t)l->n_arcs : 1, sizeof *x.w0);
    x.in_col = malloc(nid * sizeof *x.in_col);
    x.out_col = malloc(nid * sizeof *x.out_col);
    if (!x.cell || !x.w0 || !x.in_col || !x.out_col) {
        xw_free(&x);
        snprintf(err, errsize, "out of memory");
        return XLSX_ERR_MEMORY;
    }
    for (size_t k = 0; k < nid; k++) x.in_col[k] = x.out_col[k] = -1;
    if (check_opts(&x)) { xw_free(&x); return x.st; }

    outfile of;
    char oerr[512];
    if (outfile_open(&of, path, 0, oerr, sizeof oerr)) {
        xw_free(&x);
        snprintf(err, errsize, "%s", oerr);
        return XLSX_ERR_OUTPUT;
    }
    x.wb = workbook_new(of.tmp);
    if (!x.wb) {
        outfile_abort(&of);
        xw_free(&x);
        snprintf(err, errsize, "out of memory (workbook)");
        return XLSX_ERR_MEMORY;
    }
    lxw_doc_properties props;
    memset(&props, 0, sizeof props);
    props.title = l->title;
    props.subject = l->source;
    props.author = "nntrace " "(every number of a neural-network derivation, visible)";
    props.comments = "Value cells hold live formulas over their operands' cells, with the engine's values cached.";
    props.created = o ? o->created : 0;
    if (!chk(&x, workbook_set_properties(x.wb, &props), "document properties") && !fmts_init(&x) &&
        !settings_sheet(&x) && !(r->steps >= 2 && l->ex_y && summary_sheet(&x)) && !answers_sheet(&x))
        step_sheets(&x);
    lxw_error ce = workbook_close(x.wb);       /* frees the workbook, whatever happened */
    x.wb = NULL;
    if (x.st == XLSX_OK && ce != LXW_NO_ERROR)
        fail(&x, XLSX_ERR_OUTPUT, "%s: %s", path, lxw_strerror(ce));
    if (x.st == XLSX_OK && outfile_commit(&of, oerr, sizeof oerr))
        fail(&x, XLSX_ERR_OUTPUT, "%s", oerr);
    outfile_abort(&of);
    if (x.st == XLSX_OK && layout) {
        if (layout->cells) memcpy(layout->cells, x.cell, x.tr->n * sizeof *x.cell);
        layout->n_sheets = x.n_sheets;
        layout->summary = x.lay.summary;
        layout->summary_row = x.lay.summary_row;
        layout->unlinked = x.lay.unlinked;
        layout->alpha = x.alpha;
        layout->lambda = x.lambda;
        layout->examples = (xlsx_cell){0, x.ex_row, 1};
        layout->subst_col = COL_SUBST;
        layout->live = x.live;
        layout->training = x.live ? x.tr_sheet : -1;
        layout->text_digits = x.text_digits;
    }
    xw_free(&x);
    return x.st;
}
