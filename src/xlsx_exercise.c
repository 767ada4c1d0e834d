/*
 * xlsx_exercise.c - exercise workbooks (the contract is in xlsx_exercise.h).
 *
 * Data: asked[id] marks the blanks; for each blank, once written, the sheet
 * and row of its blank and check cells (blank_sheet[id] < 0: not written).
 * The check cell holds the one condition, IF(ISNUMBER(v),
 * judge_match_formula(v, answer), FALSE), and shows its outcome as text;
 * the conditional formats colour the check cell by that text (green for
 * XLSX_EX_RIGHT, red for XLSX_EX_WRONG), so the colour and the text cannot
 * disagree, and no conditional format refers to another sheet (which Excel
 * 2007 does not allow).
 */
#include "xlsx_exercise.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"
#include "judge.h"
#include "names.h"
#include "quiz.h"

#define EX_HEAD_ROWS 2                /* Answers: title row, column header row */
#define RGB_RIGHT_FILL 0xC6EFCE       /* the spreadsheet's "good" style */
#define RGB_RIGHT_FONT 0x006100
#define RGB_WRONG_FILL 0xFFC7CE       /* "bad" */
#define RGB_WRONG_FONT 0x9C0006

struct xlsx_ex {
    const trace   *tr;
    unsigned char *asked;        /* [tr->n] */
    size_t         n_asked;
    judge_rule     rule;         /* the lesson's grading rule (no hand trace) */
    char           note[XLSX_EX_NOTE_LINES][320];
    /* while writing */
    lxw_worksheet *answers, *last;   /* last: the step sheet of the last blank */
    lxw_format    *blank, *header, *check, *right, *wrong, *note_fmt;
    int            sheet;            /* Answers' index, -1 before xlsx_ex_begin */
    uint32_t       next_row;
    int32_t       *blank_sheet;      /* [tr->n] */
    uint32_t      *blank_row;        /* [tr->n] */
    lxw_col_t      value_col, check_col;
};

/* ------------------------------------------------------------------------
 * What is asked
 * ---------------------------------------------------------------------- */

/* The lesson's expectations that name a computed quantity of tr, as a
 * pattern list (names as the lesson wrote them), into b. */
static void expectation_patterns(strbuf *b, const lesson *l, const trace *tr, int notation)
{
    names_index *ix = names_index_new(l, tr, notation);
    if (!ix) { b->failed = 1; return; }
    for (int k = 0; k < l->n_expects; k++) {
        const lesson_expect *e = &l->expects[k];
        if (e->same[0]) continue;                    /* a fact A = B, not a number */
        long id = names_resolve(ix, e->name, NULL, 0);
        if (id < 0 && names_index_failed(ix)) { b->failed = 1; break; }
        if (id >= 0 && tr->q[id].spec.op != OP_CONST) sb_printf(b, "%s%s", b->len ? " " : "", e->name);
    }
    names_index_free(ix);
}

/* How close is close enough, in words, for the note. */
static void rule_words(const judge_rule *r, char *buf, size_t size)
{
    if (r->tol > 0) snprintf(buf, size, "within %.10g of the true value", r->tol);
    else if (r->rel > 0) snprintf(buf, size, "within %.10g%% of the true value", 100 * r->rel);
    else if (r->sigfigs > 0) snprintf(buf, size, "right to %d significant figures", r->sigfigs);
    else snprintf(buf, size, "right to %d decimal%s (half a unit of the last)", r->digits, r->digits == 1 ? "" : "s");
}

xlsx_ex *xlsx_ex_new(const lesson *l, const trace *tr, int notation, const char *patterns,
                     char *err, size_t errsize)
{
    xlsx_ex *ex = calloc(1, sizeof *ex);
    strbuf exp = {0};
    size_t *ids = NULL, n = 0, nid = tr->n ? tr->n : 1;
    if (!ex || !(ex->asked = calloc(nid, 1)) || !(ex->blank_sheet = malloc(nid * sizeof *ex->blank_sheet)) ||
        !(ex->blank_row = calloc(nid, sizeof *ex->blank_row))) {
        snprintf(err, errsize, "out of memory");
        goto fail;
    }
    ex->tr = tr;
    ex->sheet = -1;
    for (size_t k = 0; k < nid; k++) ex->blank_sheet[k] = -1;
    if (!(patterns && *patterns) && !l->ask) {       /* no --ask, no `ask`: the lecture's numbers */
        expectation_patterns(&exp, l, tr, notation);
        if (exp.failed) { snprintf(err, errsize, "out of memory"); goto fail; }
        if (exp.len) patterns = exp.s;
    }
    if (quiz_select(l, tr, notation, patterns, &ids, &n, err, errsize)) goto fail;
    for (size_t k = 0; k < n; k++) {
        const quantity *q = &tr->q[ids[k]];
        if (q->spec.op == OP_CONST || !isfinite(q->value)) continue;   /* givens stay given */
        ex->asked[ids[k]] = 1;
        ex->n_asked++;
    }
    if (ex->n_asked == 0) {
        snprintf(err, errsize, "the exercise would have no blank: the asked quantities are all givens "
                 "(weights, inputs) or not finite; ask for computed ones (--ask 'in_* a_*')");
        goto fail;
    }
    grade_opts go;
    grade_opts_lesson(&go, l, NULL);
    ex->rule = go.rule;
    char words[96];
    rule_words(&ex->rule, words, sizeof words);
    snprintf(ex->note[0], sizeof ex->note[0], "EXERCISE: %zu yellow cell%s in the value column of the step "
             "sheets %s blank. Work out each quantity by hand (its formula is in the same row) and type your number.",
             ex->n_asked, ex->n_asked == 1 ? "" : "s", ex->n_asked == 1 ? "is" : "are");
    snprintf(ex->note[1], sizeof ex->note[1], "The check cell at the end of the row then shows %s (green) when "
             "your number is %s%s, %s (red) when not; it stays empty while the blank is empty.",
             XLSX_EX_RIGHT, words, tr->round < 0 ? " (exactly, or from the numbers as the sheet shows them)" : "",
             XLSX_EX_WRONG);
    snprintf(ex->note[2], sizeof ex->note[2], "Later rows compute from the true values (kept on a hidden "
             "sheet), so one wrong answer does not spoil the rest; edit a given and the checks follow.");
    free(ids);
    sb_free(&exp);
    return ex;
fail:
    free(ids);
    sb_free(&exp);
    xlsx_ex_free(ex);
    return NULL;
}

void xlsx_ex_free(xlsx_ex *ex)
{
    if (!ex) return;
    free(ex->asked);
    free(ex->blank_sheet);
    free(ex->blank_row);
    free(ex);
}

int xlsx_ex_asked(const xlsx_ex *ex, size_t id)
{
    return ex && id < ex->tr->n && ex->asked[id];
}

size_t xlsx_ex_count(const xlsx_ex *ex) { return ex ? ex->n_asked : 0; }

/* ------------------------------------------------------------------------
 * Writing
 * ---------------------------------------------------------------------- */

/* The exercise's own formats, made once per workbook. */
static lxw_error formats(xlsx_ex *ex, lxw_workbook *wb)
{
    if (ex->check) return LXW_NO_ERROR;
    if (!(ex->check = workbook_add_format(wb)) || !(ex->right = workbook_add_format(wb)) ||
        !(ex->wrong = workbook_add_format(wb)) || !(ex->note_fmt = workbook_add_format(wb)))
        return LXW_ERROR_MEMORY_MALLOC_FAILED;
    format_set_bold(ex->note_fmt);
    format_set_bold(ex->check);
    format_set_hidden(ex->check);                 /* the formula names the answer's cell */
    format_set_border(ex->check, LXW_BORDER_THIN);
    format_set_bg_color(ex->right, RGB_RIGHT_FILL);
    format_set_font_color(ex->right, RGB_RIGHT_FONT);
    format_set_bg_color(ex->wrong, RGB_WRONG_FILL);
    format_set_font_color(ex->wrong, RGB_WRONG_FONT);
    return LXW_NO_ERROR;
}

const char *xlsx_ex_note(const xlsx_ex *ex, int k)
{
    return ex && k >= 0 && k < XLSX_EX_NOTE_LINES && ex->note[k][0] ? ex->note[k] : NULL;
}

lxw_error xlsx_ex_begin(xlsx_ex *ex, lxw_workbook *wb, lxw_worksheet *answers, int sheet,
                        lxw_format *blank, lxw_format *header, lxw_col_t value_col)
{
    lxw_error e;
    ex->answers = answers;
    ex->sheet = sheet;
    ex->blank = blank;
    ex->header = header;
    ex->value_col = value_col;
    ex->next_row = EX_HEAD_ROWS;
    ex->last = NULL;
    if ((e = formats(ex, wb))) return e;

    static const char *const heads[] = {"sheet", "quantity", "blank"};
    if ((e = worksheet_write_string(answers, 0, 0, "Answers of the exercise: the true formula of each blank. "
                                    "The check cells and every later formula read these cells; do not edit.", NULL)))
        return e;
    for (lxw_col_t c = 0; c < sizeof heads / sizeof heads[0]; c++)
        if ((e = worksheet_write_string(answers, 1, c, heads[c], header))) return e;
    if ((e = worksheet_write_string(answers, 1, value_col, "value", header)) ||
        (e = worksheet_write_string(answers, 1, value_col + 1, "from the operands as shown", header)) ||
        (e = worksheet_set_column(answers, 0, 1, 16, NULL)) ||
        (e = worksheet_set_column(answers, value_col, value_col + 1, 16, NULL)))
        return e;
    worksheet_hide(answers);
    worksheet_protect(answers, NULL, NULL);
    return LXW_NO_ERROR;
}

uint32_t xlsx_ex_answer_row(xlsx_ex *ex) { return ex->next_row++; }

/* A sheet that gets its first blank: the check column's header, a short
 * reminder above it (the full note is on Settings) and its width,
 * and protection that leaves unlocked cells (the blanks) editable and lets
 * columns and rows be resized. */
static lxw_error first_blank_on(xlsx_ex *ex, lxw_worksheet *ws, lxw_col_t check_col)
{
    lxw_error e;
    lxw_protection p;
    memset(&p, 0, sizeof p);
    p.format_columns = 1;
    p.format_rows = 1;
    if ((e = worksheet_write_string(ws, 0, check_col, "fill in yellow", ex->note_fmt)) ||
        (e = worksheet_write_string(ws, 1, check_col, "check", ex->header)) ||
        (e = worksheet_set_column(ws, check_col, check_col, 15, NULL)))
        return e;
    worksheet_protect(ws, NULL, &p);
    ex->last = ws;
    return LXW_NO_ERROR;
}

lxw_error xlsx_ex_blank(xlsx_ex *ex, lxw_worksheet *ws, int sheet, const char *sheet_name, size_t id,
                        const char *qname, uint32_t row, lxw_col_t value_col, lxw_col_t check_col,
                        uint32_t answer_row, const char *answer_ref, const char *shown_ref)
{
    lxw_error e;
    if (ws != ex->last && (e = first_blank_on(ex, ws, check_col))) return e;
    char v[LXW_MAX_CELL_NAME_LENGTH], at[LXW_MAX_CELL_NAME_LENGTH];
    lxw_rowcol_to_cell_abs(v, row, value_col, 1, 1);
    lxw_rowcol_to_cell(at, row, value_col);
    /* each reference as 0 below XLSX_TINY_MIN: a true value the engine
     * cancels to 0 exactly is the program's noise there (gnumeric's
     * -2.7e-20 for cse575's z^[1]_1[2]), and the tolerance of a tiny
     * non-zero r is a few of its own significant digits, so a student's
     * right 0 was judged wrong */
    strbuf f = {0}, ra = {0}, rs = {0};
    sb_printf(&ra, "IF(ABS(%s)<%.0E,0,%s)", answer_ref, XLSX_TINY_MIN, answer_ref);
    if (shown_ref) sb_printf(&rs, "IF(ABS(%s)<%.0E,0,%s)", shown_ref, XLSX_TINY_MIN, shown_ref);
    sb_printf(&f, "=IF(ISBLANK(%s),\"\",IF(IF(ISNUMBER(%s),", v, v);
    if (ra.failed || rs.failed) {
        f.failed = 1;
    } else if (shown_ref) {                   /* either reference, each to its own tolerance */
        sb_printf(&f, "OR(");
        judge_match_formula(&f, &ex->rule, v, ra.s);
        sb_printf(&f, ",");
        judge_match_formula(&f, &ex->rule, v, rs.s);
        sb_printf(&f, ")");
    } else {
        judge_match_formula(&f, &ex->rule, v, ra.s);
    }
    sb_free(&ra);
    sb_free(&rs);
    sb_printf(&f, ",FALSE),\"%s\",\"%s\"))", XLSX_EX_RIGHT, XLSX_EX_WRONG);
    e = f.failed ? LXW_ERROR_MEMORY_MALLOC_FAILED : LXW_NO_ERROR;
    lxw_conditional_format cg, cr;
    memset(&cg, 0, sizeof cg);
    memset(&cr, 0, sizeof cr);
    cg.type = cr.type = LXW_CONDITIONAL_TYPE_CELL;
    cg.criteria = cr.criteria = LXW_CONDITIONAL_CRITERIA_EQUAL_TO;
    cg.value_string = "\"" XLSX_EX_RIGHT "\"";
    cg.format = ex->right;
    cr.value_string = "\"" XLSX_EX_WRONG "\"";
    cr.format = ex->wrong;
    if (!e) e = worksheet_write_blank(ws, row, value_col, ex->blank);
    if (!e) e = worksheet_write_formula_str(ws, row, check_col, f.s, ex->check, "");
    if (!e) e = worksheet_conditional_format_cell(ws, row, check_col, &cg);
    if (!e) e = worksheet_conditional_format_cell(ws, row, check_col, &cr);
    if (!e) e = worksheet_write_string(ex->answers, answer_row, 0, sheet_name, NULL);
    if (!e) e = worksheet_write_string(ex->answers, answer_row, 1, qname, NULL);
    if (!e) e = worksheet_write_string(ex->answers, answer_row, 2, at, NULL);
    sb_free(&f);
    if (e) return e;
    ex->blank_sheet[id] = sheet;
    ex->blank_row[id] = row;
    ex->check_col = check_col;
    return LXW_NO_ERROR;
}

int xlsx_ex_cells(const xlsx_ex *ex, size_t id, xlsx_cell *blank, xlsx_cell *check)
{
    if (!xlsx_ex_asked(ex, id) || ex->blank_sheet[id] < 0) return -1;
    if (blank) *blank = (xlsx_cell){(uint32_t)ex->blank_sheet[id], ex->blank_row[id], ex->value_col};
    if (check) *check = (xlsx_cell){(uint32_t)ex->blank_sheet[id], ex->blank_row[id], ex->check_col};
    return 0;
}

int xlsx_ex_sheet(const xlsx_ex *ex) { return ex ? ex->sheet : -1; }
