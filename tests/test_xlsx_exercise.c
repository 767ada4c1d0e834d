/*
 * test_xlsx_exercise.c - exercise workbooks (xlsx_exercise.h), used as a
 * student uses them.
 *
 * Several lessons (a lecture file without `ask`, whose blanks are its
 * expectations; an assignment with `ask`; lessons with `tolerance X%`,
 * `sigfigs` and an absolute tolerance; one without expectations, where every
 * computed quantity is blank) are written as exercises. Their blanks are
 * filled the honest way, in the sheet XML inside the file (a number where
 * the empty cell was), with right values that are not exact (0.9 of the
 * tolerance off), wrong values just outside (1.1 of the tolerance off),
 * exact values and nothing. LibreOffice and gnumeric recalculate them and
 * export every sheet: each check cell must read right / wrong / nothing as
 * planned, and every quantity, blanks or not, must still equal the engine's
 * value (later rows read the true values, so wrong blanks do not cascade).
 * The file itself must hold the blanks empty and yellow, the conditional
 * formats, and the Answers sheet hidden and protected; a rendered page must
 * show green, red and yellow. Separately, the check formula of every
 * tolerance rule (judge_match_formula) is evaluated by both programs against
 * judge_match over values around each tolerance. Missing LibreOffice or
 * gnumeric fails the tests: they never skip.
 */
#include "testutil.h"
#include "csvread.h"

#include <xlsxwriter.h>

#include "engine.h"
#include "eval.h"
#include "grade.h"
#include "judge.h"
#include "lesson.h"
#include "trace.h"
#include "xlsx.h"
#include "xlsx_exercise.h"

#define RTOL 1e-9
#define ATOL 1e-12

static char g_dir[64];

/* LibreOffice runs with HOME=g_dir/home, whose profile says "recalculate
 * every formula on load" (OOXMLRecalcMode 0 = always): by default it keeps
 * the cached values of an .xlsx, and a test of recalculation must not read
 * cached numbers back. */
static int group_setup(void **state)
{
    (void)state;
    if (tmpdir_make(g_dir, "exercise")) return -1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/home/.config/libreoffice/4/user && cat > "
             "%s/home/.config/libreoffice/4/user/registrymodifications.xcu <<'EOF'\n"
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<oor:items xmlns:oor=\"http://openoffice.org/2001/registry\" "
             "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
             "<item oor:path=\"/org.openoffice.Office.Calc/Formula/Load\"><prop oor:name=\"OOXMLRecalcMode\" "
             "oor:op=\"fuse\"><value>0</value></prop></item>\n"
             "</oor:items>\n"
             "EOF\n", g_dir, g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    return tmpdir_remove(g_dir);
}

static void need_tools(void)
{
    if (system("command -v soffice >/dev/null 2>&1 && command -v ssconvert >/dev/null 2>&1 && "
               "command -v zip >/dev/null 2>&1 && command -v unzip >/dev/null 2>&1 && "
               "command -v pdftoppm >/dev/null 2>&1") != 0)
        fail_msg("soffice, ssconvert, zip, unzip and pdftoppm are needed (scripts/deps.sh installs them)");
}

static void sh(const char *cmd)
{
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("exit %d: %s\n%s", rc, cmd, out);
    free(out);
}

/* ------------------------------------------------------------------------
 * The lessons
 * ---------------------------------------------------------------------- */

#define SGD_NET "title   one SGD step (lecture 07-2a's network)\n" \
                "input   1 2\nlayer   logistic 3\n" \
                "weight  w_0,3 = 0.1\nweight  w_1,3 = 0.1\nweight  w_2,3 = 0.1\n" \
                "loss    sse\nrate    0.5\nsteps   1\nfinal-forward yes\n" \
                "example 0.4 0.5 -> 1\ndigits  4\n"

typedef struct {
    const char *name;
    const char *path;      /* a lesson file, or NULL: text */
    const char *text;
    const char *ask;       /* --ask, or NULL */
    size_t      min_blanks;/* at least this many blanks */
    int         all;       /* 1: every computed quantity must be a blank */
    double      rate;      /* > 0: every blank filled with its exact value, then alpha
                              edited to this on Settings: the checks must follow */
} ex_case;

static const ex_case CASES[] = {
    {.name = "sgd", .path = "lessons/sauppe-sgd-step.lesson", .min_blanks = 9},       /* expectations */
    {.name = "asked", .path = "tests/grade/sgd-asked/lesson.lesson", .min_blanks = 10}, /* `ask` */
    {.name = "mazur", .path = "lessons/mazur-2-2-2.lesson", .min_blanks = 10},        /* answer-decimals 4 */
    {.name = "softmax", .path = "lessons/softmax-3class.lesson", .min_blanks = 1},
    {.name = "rel", .text = SGD_NET "tolerance 1%\n", .min_blanks = 16, .all = 1},   /* no expect: all */
    {.name = "sigfigs", .text = SGD_NET "sigfigs 3\nask in_* delta_3 dJ/dw_*\n", .min_blanks = 6},
    {.name = "abs", .text = SGD_NET "tolerance 0.001\n", .ask = "a_3 J w_*^(1)", .min_blanks = 5},
    {.name = "alpha", .path = "lessons/sauppe-sgd-step.lesson", .min_blanks = 9, .rate = 0.7},
    /* exact, 4 decimals shown: some values from the shown operands fall
     * outside the tolerance of the exact value, and count as right */
    {.name = "shown", .path = "lessons/sauppe-multiclass-regression.lesson", .ask = "*", .min_blanks = 20},
    /* a true value the engine cancels to 0 exactly, which gnumeric computes
     * as -2.7e-20 (long double): filled near (0.000045) and, the fourth
     * blank of the plan, with 0 itself, both right (gnumeric judged them
     * against a tolerance of 3 significant digits of -2.7e-20: wrong) */
    {.name = "cancel", .path = "lessons/cse575-vectorised-bce.lesson", .ask = "in_4[2]", .min_blanks = 1},
    {.name = "cancel0", .path = "lessons/cse575-vectorised-bce.lesson",
     .ask = "dJ/dw_5,8[1] dJ/dw_6,8[1] dJ/dw_7,8[1] in_4[2]", .min_blanks = 4},
};
#define N_CASES (sizeof CASES / sizeof CASES[0])

/* What a blank was filled with, and what its check must read. */
typedef enum { FILL_NEAR, FILL_OUTSIDE, FILL_EMPTY, FILL_EXACT, FILL_SHOWN, FILL_N } fill_kind;

/* The second reference of an exact lesson's check: quantity id's operation
 * over its operands rounded to the d decimals the sheet shows (NaN for a
 * hand-rounded trace, whose formulas round already). */
static double shown_value(const trace *tr, size_t id, int d)
{
    const quantity *q = &tr->q[id];
    if (tr->round >= 0) return NAN;
    double *v = malloc((q->nops ? q->nops : 1) * sizeof *v);
    assert_non_null(v);
    for (size_t k = 0; k < q->nops; k++) v[k] = round_dp(tr->q[tr->ops[q->first + k]].value, d);
    unsigned notes = 0;
    double s = eval_apply(&q->spec, v, q->nops, &notes);
    free(v);
    return s;
}

typedef struct {
    lesson       *l;
    engine_result r;
    xlsx_ex      *ex;
    xlsx_cell    *cells;        /* [tr->n] value cells (blanks: on Answers) */
    int           n_sheets;
    char          names[16][64];/* sheet names, workbook order */
    fill_kind    *fill;         /* [tr->n] for blanks */
    const char  **want;         /* [tr->n] what each blank's check must read */
    engine_result edited;       /* rate case: the run with the edited alpha */
    const trace  *truth;        /* the values the recalculated book must show */
} ex_book;

static void book_free(ex_book *b)
{
    xlsx_ex_free(b->ex);
    engine_result_free(&b->r);
    lesson_free(b->l);
    free(b->cells);
    free(b->fill);
    free(b->want);
    if (b->edited.tr) engine_result_free(&b->edited);
    memset(b, 0, sizeof *b);
}

/* The sheet names of an xlsx (workbook.xml order) and whether the sheet
 * named `hidden` is the one hidden sheet. */
static int sheet_names(const char *xlsx, char names[16][64], int *hidden_ok, const char *hidden)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "unzip -p '%s' xl/workbook.xml", xlsx);
    int rc;
    char *wb = run_sh(cmd, &rc);
    if (rc) fail_msg("%s: no workbook.xml:\n%s", xlsx, wb);
    int n = 0, n_hidden = 0;
    *hidden_ok = 0;
    for (char *p = wb; (p = strstr(p, "<sheet ")) && n < 16; p++) {
        char *e = strchr(p, '>'), *nm = strstr(p, "name=\"");
        assert_non_null(e);
        assert_true(nm && nm < e);
        nm += 6;
        size_t len = strcspn(nm, "\"");
        snprintf(names[n], 64, "%.*s", (int)len, nm);
        char *st = strstr(p, "state=\"hidden\"");
        if (st && st < e) {
            n_hidden++;
            if (!strcmp(names[n], hidden)) *hidden_ok = 1;
        }
        n++;
    }
    if (n_hidden != 1) *hidden_ok = 0;
    free(wb);
    return n;
}

/* The fill of style index s of an xlsx's styles.xml: its fgColor rgb, or "". */
static void style_fill(const char *styles, int s, char *rgb, size_t size)
{
    rgb[0] = '\0';
    const char *xfs = strstr(styles, "<cellXfs");
    assert_non_null(xfs);
    const char *x = xfs;
    for (int k = 0; k <= s; k++) { x = strstr(x + 1, "<xf "); assert_non_null(x); }
    const char *fid = strstr(x, "fillId=\"");
    assert_non_null(fid);
    int f = atoi(fid + 8);
    const char *fills = strstr(styles, "<fills");
    assert_non_null(fills);
    const char *fp = fills;
    for (int k = 0; k <= f; k++) { fp = strstr(fp + 1, "<fill>"); assert_non_null(fp); }
    const char *end = strstr(fp, "</fill>"), *c = strstr(fp, "fgColor rgb=\"");
    if (c && c < end) snprintf(rgb, size, "%.8s", c + 13);
}

/* The blank's XML in a sheet: `<c r="D5" s="9"/>`, empty; its style index. */
static int blank_style(const char *sheet_xml, const char *a1)
{
    char pat[48];
    snprintf(pat, sizeof pat, "<c r=\"%s\" ", a1);
    const char *p = strstr(sheet_xml, pat);
    if (!p) fail_msg("no cell %s in the sheet", a1);
    const char *close = strchr(p, '>');
    assert_non_null(close);
    if (close[-1] != '/') fail_msg("the blank %s is not empty: %.80s", a1, p);
    const char *s = strstr(p, "s=\"");
    assert_true(s && s < close);
    return atoi(s + 3);
}

/* Make cell a1 of the sheet XML text (reallocated) the number v, as a
 * person typing it does: an empty cell (<c r="D5" s="9"/>) or a number cell
 * (<c r="C16" s="4"><v>0.5</v></c>) becomes <c r="D5" s="9"><v>v</v></c>. */
static char *set_number(char *xml, const char *a1, double v)
{
    char pat[48], cell[128];
    snprintf(pat, sizeof pat, "<c r=\"%s\" ", a1);
    char *p = strstr(xml, pat);
    if (!p) fail_msg("no cell %s in the sheet", a1);
    char *gt = strchr(p, '>'), *st = strstr(p, " s=\"");
    assert_non_null(gt);
    int style = st && st < gt ? atoi(st + 4) : 0;
    char *end = gt[-1] == '/' ? gt + 1 : strstr(gt, "</c>") + 4;
    assert_true(end > gt);
    snprintf(cell, sizeof cell, "<c r=\"%s\" s=\"%d\"><v>%.17g</v></c>", a1, style, v);
    size_t head = (size_t)(p - xml), tail = strlen(end);
    char *out = malloc(head + strlen(cell) + tail + 1);
    assert_non_null(out);
    memcpy(out, xml, head);
    strcpy(out + head, cell);
    strcat(out, end);
    free(xml);
    return out;
}

/* Write case c as an exercise, check the file as written, fill its blanks
 * (the plan cycles through the four fills) and zip it as NAME-filled.xlsx. */
static void make_book(const ex_case *c, ex_book *b)
{
    char err[768], path[256], cmd[1024];
    memset(b, 0, sizeof *b);
    if (c->path) b->l = lesson_load(c->path, err, sizeof err);
    else b->l = lesson_parse(c->text, strlen(c->text), c->name, err, sizeof err);
    if (!b->l) fail_msg("%s: %s", c->name, err);
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    if (engine_run(b->l, &eo, &b->r, err, sizeof err)) fail_msg("%s: %s", c->name, err);
    const trace *tr = b->r.tr;
    b->ex = xlsx_ex_new(b->l, tr, b->l->notation, c->ask, err, sizeof err);
    if (!b->ex) fail_msg("%s: xlsx_ex_new: %s", c->name, err);
    size_t nb = xlsx_ex_count(b->ex);
    if (nb < c->min_blanks) fail_msg("%s: %zu blanks, expected at least %zu", c->name, nb, c->min_blanks);
    b->cells = calloc(tr->n, sizeof *b->cells);
    b->fill = calloc(tr->n, sizeof *b->fill);
    b->want = calloc(tr->n, sizeof *b->want);
    assert_non_null(b->cells);
    assert_non_null(b->fill);
    assert_non_null(b->want);
    b->truth = tr;
    if (c->rate > 0) {                       /* the engine with the edited alpha */
        double rate = b->l->rate;
        b->l->rate = c->rate;
        if (engine_run(b->l, &eo, &b->edited, err, sizeof err)) fail_msg("%s: %s", c->name, err);
        b->l->rate = rate;
        assert_int_equal(b->edited.tr->n, tr->n);
        b->truth = b->edited.tr;
    }
    xlsx_opts o = {.digits = -1, .created = 1700000000, .notation = -1, .exercise = b->ex};
    xlsx_layout lay = {.cells = b->cells};
    char alpha[LXW_MAX_CELL_NAME_LENGTH];
    snprintf(path, sizeof path, "%s/%s.xlsx", g_dir, c->name);
    xlsx_status st = xlsx_write(path, b->l, &b->r, &o, &lay, err, sizeof err);
    if (st != XLSX_OK) fail_msg("%s: xlsx_write: %s", c->name, err);
    b->n_sheets = lay.n_sheets;
    lxw_rowcol_to_cell(alpha, lay.alpha.row, (lxw_col_t)lay.alpha.col);
    assert_int_equal(lay.alpha.sheet, 0);

    /* the file as written: Answers hidden (the only hidden sheet), protected */
    int hidden_ok;
    int ns = sheet_names(path, b->names, &hidden_ok, XLSX_EX_SHEET);
    assert_int_equal(ns, b->n_sheets);
    if (!hidden_ok) fail_msg("%s: the sheet %s is not the one hidden sheet", c->name, XLSX_EX_SHEET);
    int ans = xlsx_ex_sheet(b->ex);
    assert_true(ans > 0);
    assert_string_equal(b->names[ans], XLSX_EX_SHEET);
    snprintf(cmd, sizeof cmd, "cd %s && rm -rf %s.d && mkdir %s.d && cd %s.d && unzip -q ../%s.xlsx",
             g_dir, c->name, c->name, c->name, c->name);
    sh(cmd);
    snprintf(path, sizeof path, "%s/%s.d/xl/styles.xml", g_dir, c->name);
    char *styles = slurp(path, NULL);
    assert_non_null(styles);
    char *xml[16] = {0};
    for (int s = 0; s < ns; s++) {
        snprintf(path, sizeof path, "%s/%s.d/xl/worksheets/sheet%d.xml", g_dir, c->name, s + 1);
        xml[s] = slurp(path, NULL);
        assert_non_null(xml[s]);
    }
    if (!strstr(xml[ans], "<sheetProtection sheet=\"1\""))
        fail_msg("%s: the Answers sheet is not protected", c->name);
    if (!strstr(styles, "FFC6EFCE") || !strstr(styles, "FFFFC7CE"))
        fail_msg("%s: no green and red formats for the check cells in styles.xml", c->name);

    /* each blank: empty and yellow, on a protected sheet, with two
     * conditional formats on its check cell; then the fill of the plan */
    size_t k = 0, on_sheet[16] = {0};
    for (size_t id = 0; id < tr->n; id++) {
        if (c->all && tr->q[id].spec.op != OP_CONST && isfinite(tr->q[id].value) && !xlsx_ex_asked(b->ex, id)) {
            char nm[96];
            trace_name(&tr->q[id], nm, sizeof nm);
            fail_msg("%s: %s is no blank, though nothing is asked or expected (all computed ones are)", c->name, nm);
        }
        if (!xlsx_ex_asked(b->ex, id)) continue;
        xlsx_cell bl, ck;
        assert_int_equal(xlsx_ex_cells(b->ex, id, &bl, &ck), 0);
        assert_int_equal(b->cells[id].sheet, (uint32_t)ans);
        assert_true(bl.sheet != (uint32_t)ans && bl.sheet < (uint32_t)ns);
        assert_int_equal(ck.row, bl.row);
        char a1[LXW_MAX_CELL_NAME_LENGTH], c1[LXW_MAX_CELL_NAME_LENGTH], rgb[16];
        lxw_rowcol_to_cell(a1, bl.row, (lxw_col_t)bl.col);
        lxw_rowcol_to_cell(c1, ck.row, (lxw_col_t)ck.col);
        style_fill(styles, blank_style(xml[bl.sheet], a1), rgb, sizeof rgb);
        if (strcmp(rgb, "FFFFF2CC")) fail_msg("%s: blank %s is filled '%s', not yellow FFFFF2CC", c->name, a1, rgb);
        char cf[64];
        snprintf(cf, sizeof cf, "<conditionalFormatting sqref=\"%s\">", c1);
        const char *cfp = strstr(xml[bl.sheet], cf);
        if (!cfp) fail_msg("%s: no conditional format on the check cell %s", c->name, c1);
        const char *cfe = strstr(cfp, "</conditionalFormatting>");
        int rules = 0;
        for (const char *q = cfp; (q = strstr(q + 1, "<cfRule")) && q < cfe;) rules++;
        assert_int_equal(rules, 2);
        if (!strstr(xml[bl.sheet], "<sheetProtection sheet=\"1\""))
            fail_msg("%s: sheet %s has blanks but is not protected", c->name, b->names[bl.sheet]);
        on_sheet[bl.sheet]++;

        grade_opts go;                          /* the lesson's rule, as the grader has it */
        grade_opts_lesson(&go, b->l, NULL);
        double r = tr->q[id].value, tol = judge_tolerance(&go.rule, r), sh = shown_value(tr, id, b->l->digits);
        int far = isfinite(sh) && !judge_match(&go.rule, sh, r);     /* shown and exact disagree */
        fill_kind f = c->rate > 0 ? FILL_EXACT : far ? FILL_SHOWN : (fill_kind)(k % FILL_SHOWN);
        k++;
        b->fill[id] = f;
        /* outside: 1.1 tolerances off, away from the shown value */
        double sgn = isfinite(sh) && sh != r ? (sh > r ? -1 : 1) : k % 2 ? 1 : -1, v = r;
        if (f == FILL_NEAR) v = r + sgn * 0.9 * tol;
        else if (f == FILL_OUTSIDE) v = r + sgn * 1.1 * tol;
        else if (f == FILL_SHOWN) v = sh;
        if (f != FILL_EMPTY) xml[bl.sheet] = set_number(xml[bl.sheet], a1, v);
        /* what the check must say: right to the (possibly edited) truth or
         * to its value from the shown operands, as judge_match says */
        double t = b->truth->q[id].value, ts = shown_value(b->truth, id, b->l->digits);
        int right = judge_match(&go.rule, v, t) || (isfinite(ts) && judge_match(&go.rule, v, ts));
        b->want[id] = f == FILL_EMPTY ? "" : right ? XLSX_EX_RIGHT : XLSX_EX_WRONG;
        if (c->rate == 0 && f != FILL_EMPTY && right != (f != FILL_OUTSIDE))
            fail_msg("%s: the fill plan is off for blank %zu (fill %d)", c->name, id, (int)f);
    }
    assert_int_equal(k, nb);
    if (c->rate > 0) xml[0] = set_number(xml[0], alpha, c->rate);
    for (int s = 0; s < ns; s++) {
        snprintf(path, sizeof path, "%s/%s.d/xl/worksheets/sheet%d.xml", g_dir, c->name, s + 1);
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        assert_int_equal(fputs(xml[s], fp) >= 0, 1);
        assert_int_equal(fclose(fp), 0);
        free(xml[s]);
    }
    free(styles);
    snprintf(cmd, sizeof cmd, "cd %s/%s.d && rm -f ../%s-filled.xlsx && zip -q -X -r ../%s-filled.xlsx "
             "'[Content_Types].xml' _rels docProps xl", g_dir, c->name, c->name, c->name);
    sh(cmd);
}

/* One recalculated sheet of book b: LibreOffice names it NAME-filled-SHEET.csv,
 * gnumeric NAME-K.csv. */
static void read_sheet(const char *dir, const char *name, const ex_book *b, int s, int lo, csv *out)
{
    char path[512];
    if (lo) snprintf(path, sizeof path, "%s/%s-filled-%s.csv", dir, name, b->names[s]);
    else snprintf(path, sizeof path, "%s/%s-%d.csv", dir, name, s);
    char *text = slurp(path, NULL);
    if (!text) fail_msg("no %s", path);
    csv_parse(out, text);
    free(text);
}

/* After recalculation by one program: the checks read as planned, and every
 * quantity equals the engine's value. */
static void verify(const ex_case *c, const ex_book *b, const char *dir, int lo)
{
    const char *who = lo ? "LibreOffice" : "gnumeric";
    csv sheet[16];
    for (int s = 0; s < b->n_sheets; s++) read_sheet(dir, c->name, b, s, lo, &sheet[s]);
    const trace *tr = b->truth;
    size_t seen[FILL_N] = {0}, values = 0, right = 0, shown = 0;
    for (size_t id = 0; id < tr->n; id++) {
        const quantity *q = &tr->q[id];
        char name[96];
        trace_name(q, name, sizeof name);
        if (xlsx_ex_asked(b->ex, id)) {
            xlsx_cell ck;
            assert_int_equal(xlsx_ex_cells(b->ex, id, NULL, &ck), 0);
            const char *t = csv_at(&sheet[ck.sheet], ck.row, ck.col);
            const char *want = b->want[id];
            right += !strcmp(want, XLSX_EX_RIGHT);
            if (!t || strcmp(t, want))
                fail_msg("%s, %s: the check of %s (filled %d) reads '%s', expected '%s'", c->name, who, name,
                         (int)b->fill[id], t ? t : "(none)", want);
            seen[b->fill[id]]++;
            /* the second reference beside the answer, recalculated */
            double sh = shown_value(tr, id, b->l->digits);
            xlsx_cell sc = {b->cells[id].sheet, b->cells[id].row, b->cells[id].col + 1};
            const char *st = csv_at(&sheet[sc.sheet], sc.row, sc.col);
            char *e2;
            double sv = st ? strtod(st, &e2) : NAN;
            if (isfinite(sh) && (!st || !*st || *e2 || !(fabs(sv - sh) <= ATOL + RTOL * fabs(sh))))
                fail_msg("%s, %s: %s from the shown operands reads '%s' on Answers, expected %.17g", c->name, who,
                         name, st ? st : "(none)", sh);
            if (!isfinite(sh) && st && *st) fail_msg("%s, %s: %s has a shown value '%s' in a hand-rounded lesson",
                                                   c->name, who, name, st);
            shown += isfinite(sh);
        }
        if (!isfinite(q->value)) continue;
        xlsx_cell vc = b->cells[id];
        const char *t = csv_at(&sheet[vc.sheet], vc.row, vc.col);
        char *end;
        double v = t ? strtod(t, &end) : NAN;
        if (!t || !*t || *end || !(fabs(v - q->value) <= ATOL + RTOL * fabs(q->value)))
            fail_msg("%s, %s: %s reads '%s' in sheet %s, the engine has %.17g (the blanks must not change it)",
                     c->name, who, name, t ? t : "(none)", b->names[vc.sheet], q->value);
        values++;
    }
    for (int s = 0; s < b->n_sheets; s++) csv_free(&sheet[s]);
    assert_true(values > 0);
    size_t nb = xlsx_ex_count(b->ex);
    if (c->rate > 0 && (right == 0 || right == nb))     /* the edit turned some checks, not all */
        fail_msg("%s: %zu of %zu checks right after editing alpha", c->name, right, nb);
    for (int f = 0; c->rate == 0 && f < FILL_SHOWN; f++)
        if (nb >= 8 && seen[f] == 0) fail_msg("%s: fill %d unused", c->name, f);
    if (!strcmp(c->name, "shown") && seen[FILL_SHOWN] == 0)
        fail_msg("%s: no blank whose value from the shown operands is outside the exact one's tolerance", c->name);
    if (lo) print_message("%s: %zu blanks (%zu with a value from the shown operands, %zu filled with it outside "
                          "the exact value's tolerance), %zu values\n", c->name, nb, shown, seen[FILL_SHOWN], values);
}

/* Count the pixels of one colour in a binary PPM (P6, maxval 255). */
static size_t ppm_count(const char *path, unsigned rgb)
{
    size_t len;
    char *s = slurp(path, &len);
    assert_non_null(s);
    int w, h, maxv, off = 0;
    if (sscanf(s, "P6 %d %d %d%n", &w, &h, &maxv, &off) != 3 || maxv != 255) fail_msg("%s: not a P6 PPM", path);
    const unsigned char *p = (const unsigned char *)s + off + 1;
    size_t n = 0, px = (size_t)w * (size_t)h;
    assert_true((size_t)(off + 1) + 3 * px <= len);
    for (size_t k = 0; k < px; k++, p += 3)
        if ((unsigned)(p[0] << 16 | p[1] << 8 | p[2]) == rgb) n++;
    free(s);
    return n;
}

static void test_filled_books_recalculate(void **state)
{
    (void)state;
    need_tools();
    ex_book books[N_CASES];
    for (size_t k = 0; k < N_CASES; k++) make_book(&CASES[k], &books[k]);
    char cmd[8192];
    /* LibreOffice: every sheet of every filled book as CSV, raw values, in
     * one run; the first book also as PDF for the picture */
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir -p lo gn && HOME=%s/home timeout 900 soffice --headless --convert-to "
             "'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1' --outdir lo "
             "*-filled.xlsx > lo/log 2>&1 && HOME=%s/home timeout 300 soffice --headless --convert-to pdf --outdir lo "
             "%s-filled.xlsx >> lo/log 2>&1 && for f in *-filled.xlsx; do b=${f%%-filled.xlsx}; "
             "ssconvert --recalc -S -T Gnumeric_stf:stf_assistant -O 'format=raw separator=,' $f \"gn/$b-%%n.csv\" "
             ">> gn/log 2>&1 || exit 1; done", g_dir, g_dir, g_dir, CASES[0].name);
    sh(cmd);
    char lo[128], gn[128];
    snprintf(lo, sizeof lo, "%s/lo", g_dir);
    snprintf(gn, sizeof gn, "%s/gn", g_dir);
    for (size_t k = 0; k < N_CASES; k++) {
        verify(&CASES[k], &books[k], lo, 1);
        verify(&CASES[k], &books[k], gn, 0);
    }
    /* the picture: the first step sheet (the first page with a check
     * column: Settings prints at full size, on two pages when it is long;
     * the hidden Answers sheet does not print) shows the green and the red
     * of the checks and the yellow of the blanks */
    snprintf(cmd, sizeof cmd, "cd %s/lo && pdfinfo %s-filled.pdf | awk '/^Pages/ {print $2}'", g_dir, CASES[0].name);
    int rc;
    char *out = run_sh(cmd, &rc);
    int pages = atoi(out), visible = books[0].n_sheets - 1;     /* Answers does not print */
    if (rc || pages < visible || pages > 2 * visible)
        fail_msg("the filled %s prints on %d pages, expected %d to %d (at most 2 per visible sheet)",
                 CASES[0].name, pages, visible, 2 * visible);
    free(out);
    snprintf(cmd, sizeof cmd, "cd %s/lo && p=1; until pdftotext -f $p -l $p %s-filled.pdf - | grep -q 'fill in yellow'; "
             "do p=$((p + 1)); [ $p -le %d ] || exit 3; done; pdftoppm -r 60 -f $p -l $p %s-filled.pdf page && ls page*.ppm",
             g_dir, CASES[0].name, pages, CASES[0].name);
    out = run_sh(cmd, &rc);
    if (rc) fail_msg("pdftoppm: %s", out);
    char ppm[256];
    snprintf(ppm, sizeof ppm, "%s/lo/%.*s", g_dir, (int)strcspn(out, "\n"), out);
    free(out);
    size_t green = ppm_count(ppm, 0xC6EFCE), red = ppm_count(ppm, 0xFFC7CE), yellow = ppm_count(ppm, 0xFFF2CC);
    if (green < 50 || red < 50 || yellow < 50)
        fail_msg("the printed step sheet shows %zu green, %zu red and %zu yellow pixels (each >= 50 expected)",
                 green, red, yellow);
    for (size_t k = 0; k < N_CASES; k++) book_free(&books[k]);
}

/* ------------------------------------------------------------------------
 * The check formula of each tolerance rule against judge_match
 * ---------------------------------------------------------------------- */

static void test_match_formula_agrees(void **state)
{
    (void)state;
    need_tools();
    static const judge_rule RULES[] = {
        {.digits = 4}, {.digits = 0}, {.digits = 1}, {.digits = 9},
        {.digits = 4, .tol = 0.001}, {.digits = 4, .rel = 0.01}, {.digits = 2, .rel = 0.05},
        {.digits = 4, .sigfigs = 3}, {.digits = 2, .sigfigs = 1},
    };
    static const double R[] = {0, 1e-7, -3.2e-5, 0.00049, 0.0123, 0.19, 0.5474, -0.2243, 1.5, 12.5,
                               -1234.5678, 0.0478, 7e-10};
    static const double F[] = {0, 0.5, 0.95, -0.95, 1.05, -1.05, 3, -20};
    size_t nr = sizeof RULES / sizeof RULES[0], n = sizeof R / sizeof R[0], nf = sizeof F / sizeof F[0];
    char path[256], cmd[2048];
    snprintf(path, sizeof path, "%s/rules.xlsx", g_dir);
    lxw_workbook *wb = workbook_new(path);
    assert_non_null(wb);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "rules");
    assert_non_null(ws);
    unsigned char *want = malloc(nr * n * nf);
    assert_non_null(want);
    uint32_t row = 0;
    for (size_t a = 0; a < nr; a++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < nf; j++, row++) {
                double r = R[i], s = r + F[j] * judge_tolerance(&RULES[a], r);
                want[row] = (unsigned char)judge_match(&RULES[a], s, r);
                strbuf f = {0};
                char sa[16], ra[16];
                lxw_rowcol_to_cell(sa, row, 0);
                lxw_rowcol_to_cell(ra, row, 1);
                sb_printf(&f, "=IF(");
                judge_match_formula(&f, &RULES[a], sa, ra);
                sb_printf(&f, ",1,0)");
                assert_false(f.failed);
                assert_int_equal(worksheet_write_number(ws, row, 0, s, NULL), LXW_NO_ERROR);
                assert_int_equal(worksheet_write_number(ws, row, 1, r, NULL), LXW_NO_ERROR);
                assert_int_equal(worksheet_write_formula(ws, row, 2, f.s, NULL), LXW_NO_ERROR);
                sb_free(&f);
            }
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    snprintf(cmd, sizeof cmd, "cd %s && mkdir -p rules && HOME=%s/home timeout 300 soffice --headless --convert-to "
             "'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1' --outdir rules "
             "rules.xlsx > rules/log 2>&1 && ssconvert --recalc -T Gnumeric_stf:stf_assistant "
             "-O 'format=raw separator=,' rules.xlsx rules/gn.csv >> rules/log 2>&1", g_dir, g_dir);
    sh(cmd);
    const char *files[] = {"rules-rules.csv", "gn.csv"};
    for (int p = 0; p < 2; p++) {
        snprintf(path, sizeof path, "%s/rules/%s", g_dir, files[p]);
        char *text = slurp(path, NULL);
        if (!text) fail_msg("no %s", path);
        csv c;
        csv_parse(&c, text);
        free(text);
        assert_int_equal(c.nrow, row);
        size_t bad = 0, ones = 0;
        for (uint32_t k = 0; k < row; k++) {
            const char *t = csv_at(&c, k, 2);
            int got = t && !strcmp(t, "1");
            ones += got;
            if (got != want[k] && bad++ < 5)
                printf("%s row %u: s=%s r=%s gives %s, judge_match %d (rule %u)\n", files[p], k + 1,
                       csv_at(&c, k, 0), csv_at(&c, k, 1), t ? t : "?", want[k], k / (unsigned)(n * nf));
        }
        csv_free(&c);
        if (bad) fail_msg("%s: %zu of %u rows disagree with judge_match", files[p], bad, row);
        assert_true(ones > row / 4 && ones < row);       /* both outcomes are exercised */
    }
    free(want);
}

/* ------------------------------------------------------------------------
 * The command line
 * ---------------------------------------------------------------------- */

static void test_cli(void **state)
{
    (void)state;
    char args[512], out[256];
    int rc;
    snprintf(out, sizeof out, "%s/cli.xlsx", g_dir);
    snprintf(args, sizeof args, "xlsx lessons/sauppe-forward.lesson --exercise -o %s", out);
    char *o = run_piped("", args, &rc);
    assert_int_equal(rc, 0);
    if (!strstr(o, "blank")) fail_msg("no word of the blanks: %s", o);
    free(o);
    struct { const char *args, *msg; } bad[] = {
        {"--ask in_3", "--exercise"},                          /* --ask alone */
        {"--exercise --ask nosuch_9", "nosuch_9"},             /* nothing matches */
        {"--exercise --ask w_1,3", "no blank"},                /* only a given */
        {"--exercise --ask in_3 --ask a_3", "one --ask"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        snprintf(args, sizeof args, "xlsx lessons/sauppe-forward.lesson %s -o %s/bad.xlsx", bad[k].args, g_dir);
        o = run_piped("", args, &rc);
        if (rc != 2 || !strstr(o, bad[k].msg))
            fail_msg("nntrace %s: exit %d, expected 2 and '%s' in:\n%s", args, rc, bad[k].msg, o);
        free(o);
        snprintf(args, sizeof args, "%s/bad.xlsx", g_dir);
        assert_int_equal(access(args, F_OK), -1);
    }
    o = run_piped("", "xlsx --help", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(o, "--exercise"));
    free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_match_formula_agrees),
        cmocka_unit_test(test_filled_books_recalculate),
    };
    return cmocka_run_group_tests_name("xlsx_exercise", tests, group_setup, group_teardown);
}
