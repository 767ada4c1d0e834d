/*
 * test_xlsx.c - the spreadsheet view, checked by a real spreadsheet engine.
 *
 * The real check: every lesson in lessons/ (whatever is there when the test
 * runs) is written with the test-only switch that leaves the cached values
 * out, gnumeric's ssconvert recalculates the workbook and exports every
 * sheet as CSV, and every quantity's value cell must equal the engine's value
 * within 1e-9 relative (1e-12 absolute near 0). So every number compared was
 * computed by the spreadsheet from the formulas xlsx_formula wrote. The same
 * is done for synthetic lessons covering every activation and loss, for the
 * operations the engine does not produce yet, and after editing givens with
 * ssconvert --set (the edited sheet must match the engine rerun with the
 * edited lesson). If ssconvert is missing the tests FAIL: they never skip.
 */
#include "testutil.h"
#include "csvread.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "engine.h"
#include "lesson.h"
#include "trace.h"
#include "xlsx.h"

#define RTOL 1e-9
#define ATOL 1e-12

/* ------------------------------------------------------------------------
 * Temporary directory, ssconvert, CSV
 * ---------------------------------------------------------------------- */

typedef struct { char dir[64]; } tmpdir;

static void tmp_make(tmpdir *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/nntrace-xlsx-XXXXXX");
    if (!mkdtemp(t->dir)) fail_msg("mkdtemp failed");
}

static void tmp_remove(tmpdir *t)
{
    DIR *d = opendir(t->dir);
    if (!d) return;
    char p[512];
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", t->dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(t->dir);
}

static void need_ssconvert(void)
{
    if (system("command -v ssconvert >/dev/null 2>&1") != 0)
        fail_msg("ssconvert (gnumeric) is not installed, so the spreadsheet recalculation check cannot run.\n"
                 "HINT: apt-get install gnumeric (.ci/run installs it through NNTRACE_EXTRA_PKGS)");
}

typedef struct { csv *sheet; int n; } book;

static void book_free(book *b)
{
    for (int k = 0; k < b->n; k++) csv_free(&b->sheet[k]);
    free(b->sheet);
    b->n = 0;
}

/* Convert xlsx (n_sheets sheets) to CSV with gnumeric, recalculating when
 * asked, after the --set edits in `sets` (may be ""). */
static void convert(const tmpdir *t, const char *xlsx, int n_sheets, int recalc, const char *sets, book *b)
{
    char cmd[4096], path[512], log[512];
    snprintf(log, sizeof log, "%s/ssconvert.log", t->dir);
    snprintf(cmd, sizeof cmd, "ssconvert %s %s -S -T Gnumeric_stf:stf_assistant -O 'format=raw separator=,' "
             "'%s' '%s/sheet_%%n.csv' >'%s' 2>&1", recalc ? "--recalc" : "", sets, xlsx, t->dir, log);
    int rc = system(cmd);
    if (rc != 0) {
        char *l = slurp(log, NULL);
        fail_msg("ssconvert failed (status %d): %s\n%s", rc, cmd, l ? l : "");
    }
    b->n = n_sheets;
    b->sheet = calloc((size_t)n_sheets, sizeof *b->sheet);
    assert_non_null(b->sheet);
    for (int k = 0; k < n_sheets; k++) {
        snprintf(path, sizeof path, "%s/sheet_%d.csv", t->dir, k);
        char *s = slurp(path, NULL);
        if (!s) fail_msg("ssconvert wrote no %s for %s", path, xlsx);
        csv_parse(&b->sheet[k], s);
        free(s);
        unlink(path);
    }
}

/* The same with LibreOffice: a private profile that recalculates every
 * formula on load (OOXMLRecalcMode 0: "always"), every sheet to CSV at
 * full precision ("as shown" off), read in workbook order. */
static void convert_lo(const tmpdir *t, const char *xlsx, book *b)
{
    char cmd[4096], path[1024];
    snprintf(path, sizeof path, "%s/lo/user", t->dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/lo/user/registrymodifications.xcu", t->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<oor:items xmlns:oor=\"http://openoffice.org/2001/registry\" "
          "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
          "<item oor:path=\"/org.openoffice.Office.Calc/Formula/Load\"><prop oor:name=\"OOXMLRecalcMode\" "
          "oor:op=\"fuse\"><value>0</value></prop></item>\n</oor:items>\n", f);
    assert_int_equal(fclose(f), 0);
    const char *base = strrchr(xlsx, '/') ? strrchr(xlsx, '/') + 1 : xlsx;
    snprintf(cmd, sizeof cmd, "cd '%s' && HOME='%s' timeout 600 soffice -env:UserInstallation=file://%s/lo --headless "
             "--convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1' "
             "'%s' && unzip -p '%s' xl/workbook.xml", t->dir, t->dir, t->dir, xlsx, xlsx);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("soffice failed (status %d): %s\n%s", rc, cmd, out);
    b->n = 0;
    b->sheet = NULL;
    for (const char *p = out; (p = strstr(p, "<sheet name=\""));) {
        p += 13;
        const char *e = strchr(p, '"');
        assert_non_null(e);
        snprintf(path, sizeof path, "%s/%.*s-%.*s.csv", t->dir, (int)(strlen(base) - 5), base, (int)(e - p), p);
        char *txt = slurp(path, NULL);
        if (!txt) fail_msg("soffice wrote no %s for %s", path, xlsx);
        b->sheet = realloc(b->sheet, (size_t)(b->n + 1) * sizeof *b->sheet);
        assert_non_null(b->sheet);
        memset(&b->sheet[b->n], 0, sizeof b->sheet[b->n]);
        csv_parse(&b->sheet[b->n++], txt);
        free(txt);
        unlink(path);
        p = e;
    }
    free(out);
    snprintf(cmd, sizeof cmd, "rm -rf '%s/lo'", t->dir);
    assert_int_equal(system(cmd), 0);
}

static double book_num(const book *b, xlsx_cell c, int *ok)
{
    *ok = 0;
    if ((int)c.sheet >= b->n) return NAN;
    const char *s = csv_at(&b->sheet[c.sheet], c.row, c.col);
    if (!s || !*s) return NAN;
    char *end;
    double v = strtod(s, &end);
    *ok = *end == '\0';
    return v;
}

/* ------------------------------------------------------------------------
 * Writing and comparing
 * ---------------------------------------------------------------------- */

static lesson *load_text(const char *text)
{
    char err[512];
    lesson *l = lesson_parse(text, strlen(text), "synthetic.lesson", err, sizeof err);
    if (!l) fail_msg("synthetic lesson does not parse: %s", err);
    return l;
}

static void run(const lesson *l, engine_result *r)
{
    char err[512];
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    if (engine_run(l, &eo, r, err, sizeof err)) fail_msg("engine_run: %s", err);
}

/* A lesson text, parsed and run. */
static lesson *run_text(const char *text, engine_result *r)
{
    lesson *l = load_text(text);
    run(l, r);
    return l;
}

/* A lesson file, loaded and run. */
static lesson *load_run(const char *file, engine_result *r)
{
    char err[768];
    lesson *l = lesson_load(file, err, sizeof err);
    if (!l) fail_msg("%s", err);
    run(l, r);
    return l;
}

static void write_book(const char *path, const lesson *l, const engine_result *r, int no_cache, xlsx_layout *lay)
{
    char err[768];
    xlsx_opts o = {.digits = -1, .no_cache = no_cache, .created = 1700000000, .notation = -1};
    memset(lay, 0, sizeof *lay);
    lay->cells = calloc(r->tr->n ? r->tr->n : 1, sizeof *lay->cells);
    assert_non_null(lay->cells);
    xlsx_status st = xlsx_write(path, l, r, &o, lay, err, sizeof err);
    if (st != XLSX_OK) fail_msg("xlsx_write(%s): %s: %s", l->path, xlsx_strerror(st), err);
}

/* Is got the bounded form of the substituted text want: its leading terms
 * (want's text up to one of its " + "), " + ..." and the parentheses open? */
static int is_cut(const char *got, const char *want)
{
    const char *e = strstr(got, " + ...");
    if (!e || strncmp(got, want, (size_t)(e - got)) || strncmp(want + (e - got), " + ", 3)) return 0;
    int depth = 0;
    for (const char *p = got; p < e; p++) depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
    for (e += 6; *e == ')'; e++) depth--;
    return *e == '\0' && depth == 0;
}

static size_t n_cut;   /* substituted texts compare() found in their bounded form */

/* No cell of any sheet shows a spreadsheet error (#VALUE!, #NAME?, ...,
 * LibreOffice's Err:nnn) or ### after recalculation. */
static void no_error_cells(const char *what, const book *b)
{
    static const char *const ERR[] = {"#VALUE!", "#NAME?", "#REF!", "#DIV/0!", "#N/A", "#NUM!", "#NULL!", "Err:", "###"};
    for (int k = 0; k < b->n; k++)
        for (size_t f = 0; f < b->sheet[k].nfield; f++)
            for (size_t e = 0; e < sizeof ERR / sizeof ERR[0]; e++)
                if (strstr(b->sheet[k].field[f], ERR[e]))
                    fail_msg("%s: sheet %d shows '%s'", what, k + 1, b->sheet[k].field[f]);
}

/* Every quantity's cell, its substituted text (the text trace's middle
 * part), and Summary's J against the run r. Returns the number of cells
 * compared. */
static size_t compare(const char *what, const book *b, const xlsx_layout *lay, const engine_result *r)
{
    size_t n = 0;
    const trace *tr = r->tr;
    for (size_t id = 0; id < tr->n; id++) {
        const quantity *q = &tr->q[id];
        char name[96];
        trace_name(q, name, sizeof name);
        int ok;
        double v = book_num(b, lay->cells[id], &ok);
        if (!ok)
            fail_msg("%s: %s (sheet %u row %u col %u) is not a number in the recalculated sheet",
                     what, name, lay->cells[id].sheet, lay->cells[id].row + 1, lay->cells[id].col + 1);
        if (!(fabs(v - q->value) <= ATOL + RTOL * fabs(q->value)))
            fail_msg("%s: %s: spreadsheet %.17g, engine %.17g (diff %.3g)", what, name, v, q->value,
                     fabs(v - q->value));
        n++;
        if (q->spec.op != OP_CONST && lay->cells[id].sheet > 0) {  /* the substituted column */
            strbuf want = {0};
            double *vals = malloc((q->nops ? q->nops : 1) * sizeof *vals);
            assert_non_null(vals);
            text_operand_values(tr, q, vals);
            text_formula_n(&want, tr, q, vals, lay->text_digits, NULL, NOTATION_VA);   /* the text trace's */
            free(vals);
            assert_false(want.failed);
            const char *got = csv_at(&b->sheet[lay->cells[id].sheet], lay->cells[id].row, lay->subst_col);
            if (got && strcmp(got, want.s) && is_cut(got, want.s)) n_cut++;
            else if (!got || strcmp(got, want.s))
                fail_msg("%s: %s: substituted column shows '%s', the text trace '%s'", what, name,
                         got ? got : "(nothing)", want.s);
            sb_free(&want);
            n++;
        }
    }
    if (lay->summary >= 0) {
        for (int k = 0; k < r->steps; k++) {
            int ok;
            xlsx_cell c = {(uint32_t)lay->summary, lay->summary_row + (uint32_t)k, 1};
            double v = book_num(b, c, &ok);
            if (!ok || !(fabs(v - r->loss[k]) <= ATOL + RTOL * fabs(r->loss[k])))
                fail_msg("%s: Summary J of step %d: %.17g, engine %.17g", what, k + 1, v, r->loss[k]);
            n++;
        }
    }
    return n;
}

/* The program that recalculates a workbook in recalc_in. */
typedef enum { BY_GNUMERIC, BY_LIBREOFFICE } reader;

/* Write l without cached values, recalculate with the reader, compare all;
 * the cells compared. */
static size_t recalc_in(reader by, const tmpdir *t, const char *what, const lesson *l, const engine_result *r)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.xlsx", t->dir, by == BY_GNUMERIC ? "book" : "lo");
    xlsx_layout lay;
    write_book(path, l, r, 1, &lay);
    book b = {0};
    if (by == BY_GNUMERIC) {
        convert(t, path, lay.n_sheets, 1, "", &b);
    } else {
        convert_lo(t, path, &b);
        assert_int_equal(b.n, lay.n_sheets);
    }
    size_t n = compare(what, &b, &lay, r);
    no_error_cells(what, &b);
    if (by == BY_GNUMERIC && lay.unlinked)  /* an input or weight copied as a number would not follow an edit */
        fail_msg("%s: %zu inputs, targets or initial weights are plain numbers, not references to Settings",
                 what, lay.unlinked);
    book_free(&b);
    free(lay.cells);
    unlink(path);
    return n;
}

static size_t recalc_check(const tmpdir *t, const char *what, const lesson *l, const engine_result *r)
{
    return recalc_in(BY_GNUMERIC, t, what, l, r);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* ------------------------------------------------------------------------
 * The real check, every lesson
 * ---------------------------------------------------------------------- */

static void test_every_lesson_recalculates(void **state)
{
    (void)state;
    need_ssconvert();
    DIR *d = opendir("lessons");
    assert_non_null(d);
    char *names[1024];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 1024;) {
        size_t len = strlen(e->d_name);
        if (len > 7 && !strcmp(e->d_name + len - 7, ".lesson")) {
            names[n] = malloc(len + 16);
            assert_non_null(names[n]);
            snprintf(names[n++], len + 16, "lessons/%s", e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    assert_true(n >= 2);
    tmpdir t;
    tmp_make(&t);
    size_t cells = 0;
    for (size_t k = 0; k < n; k++) {
        char err[768];
        lesson *l = lesson_load(names[k], err, sizeof err);
        if (!l) fail_msg("%s", err);
        engine_result r;
        run(l, &r);
        size_t c = recalc_check(&t, names[k], l, &r);
        assert_true(c >= r.tr->n);
        printf("  %-48s %5zu cells recalculated by gnumeric, all within %.0e\n", names[k], c, RTOL);
        cells += c;
        engine_result_free(&r);
        lesson_free(l);
        free(names[k]);
    }
    printf("  %zu lessons, %zu cells\n", n, cells);
    tmp_remove(&t);
}

/* The same check with LibreOffice as the recalculating reader, on an exact
 * and a hand-rounded lesson: the values, and the substituted column's text
 * (a gnumeric or LibreOffice number-to-text conversion would show 0.01 as
 * 0.0099999999999999999998 or 0.01 by program; the text cells use FIXED). */
static void test_libreoffice_recalculates(void **state)
{
    (void)state;
    const char *files[] = {"lessons/mazur-2-2-2.lesson", "lessons/sauppe-sgd-step.lesson"};
    tmpdir t;
    tmp_make(&t);
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        engine_result r;
        lesson *l = load_run(files[k], &r);
        size_t c = recalc_in(BY_LIBREOFFICE, &t, files[k], l, &r);
        printf("  %-48s %5zu cells recalculated by LibreOffice, all within %.0e\n", files[k], c, RTOL);
        engine_result_free(&r);
        lesson_free(l);
    }
    tmp_remove(&t);
}

/* A neuron with 300 inputs: its substituted text would need a formula
 * longer than Excel's 8192 characters, so it shows its leading terms and
 * " + ..." (compare() checks that form against the text trace). */
static void test_substituted_bounded(void **state)
{
    (void)state;
    need_ssconvert();
    size_t cap = 32768, n = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    n += (size_t)snprintf(s + n, cap - n, "title wide\ninput");
    for (int k = 1; k <= 300; k++) n += (size_t)snprintf(s + n, cap - n, " %d", k);
    n += (size_t)snprintf(s + n, cap - n, "\nlayer logistic 301\ninit uniform -1 1 1\nexample");
    for (int k = 1; k <= 300; k++) n += (size_t)snprintf(s + n, cap - n, " 0.%d", k % 10);
    n += (size_t)snprintf(s + n, cap - n, " -> 1\nloss sse\nrate 0.5\nsteps 1\ndigits 4\n");
    lesson *l = load_text(s);
    free(s);
    engine_result r;
    run(l, &r);
    tmpdir t;
    tmp_make(&t);
    n_cut = 0;
    assert_true(recalc_check(&t, "300 inputs", l, &r) >= r.tr->n);
    assert_int_equal(n_cut, 1);      /* in_301; its 300 updates and the rest are whole */
    tmp_remove(&t);
    engine_result_free(&r);
    lesson_free(l);
}

/* ------------------------------------------------------------------------
 * Every activation and loss, and operations the engine does not make yet
 * ---------------------------------------------------------------------- */

/* Every activation row in the hidden layer, with every loss row that takes
 * any output activation (sse, half-sse, mse); with the chain-rule factors,
 * so every loss row's dJ/da_j is a live formula too. */
static void test_every_activation_and_loss(void **state)
{
    (void)state;
    need_ssconvert();
    tmpdir t;
    tmp_make(&t);
    char text[2048], what[128], act[64];
    for (int a = 0; a < ACT_COUNT; a++) {
        if (!ACT_ROWS[a].g) continue;                      /* softmax: below */
        act_fn f = {(act_kind)a, ACT_ROWS[a].param_name ? 0.7 : ACT_ROWS[a].param};
        act_label(f, act, sizeof act);
        for (int k = 0; k < LOSS_COUNT; k++) {
            if (LOSS_ROWS[k].needs_out != ACT_COUNT) continue;    /* bce, softmax-ce: below */
            int half = k == LOSS_HALF_SSE;
            snprintf(text, sizeof text,
                     "title act %s\ninput 1 2\nlayer %s 3 4\nlayer %s 5\ninit uniform -1 1 %d\n"
                     "loss %s\nrate 0.3\nsteps 2\nexample 0.3 -0.8 -> 0.7\nexample -0.5 0.9 -> 0.2\ndigits 4\n"
                     "chain yes\n",
                     act, act, half ? "identity" : "logistic", 11 + a, LOSS_ROWS[k].name);
            lesson *l = load_text(text);
            engine_result r;
            run(l, &r);
            snprintf(what, sizeof what, "hidden %s, %s", act, LOSS_ROWS[k].name);
            assert_true(recalc_check(&t, what, l, &r) >= r.tr->n);
            engine_result_free(&r);
            lesson_free(l);
        }
    }
    /* bce on a logistic output, softmax-ce on a softmax output, a batch of 2 */
    const char *const tails[] = {
        "layer tanh 3 4\nlayer logistic 5\nloss bce\nexample 0.3 -0.8 -> 1\nexample -0.5 0.9 -> 0\n",
        "layer relu 3 4\nlayer softmax 5 6 7\nloss softmax-ce\nexample 0.3 -0.8 -> 0 1 0\nexample -0.5 0.9 -> 0 0 1\n",
    };
    for (size_t k = 0; k < 2; k++) {
        snprintf(text, sizeof text, "title loss\ninput 1 2\n%sinit uniform -1 1 5\nrate 0.5\nbatch 2\nsteps 3\n"
                 "decay 0.01\ndigits 4\nchain yes\n", tails[k]);
        lesson *l = load_text(text);
        engine_result r;
        run(l, &r);
        assert_true(recalc_check(&t, k ? "softmax-ce" : "bce", l, &r) >= r.tr->n);
        engine_result_free(&r);
        lesson_free(l);
    }
    tmp_remove(&t);
}

/* Append a quantity of operation op over operands ids to r's trace. */
static void add_q(engine_result *r, q_kind k, op_kind op, double p1, double p2, const uint32_t *ids, size_t n)
{
    quantity q;
    memset(&q, 0, sizeof q);
    q.kind = k; q.pass = PASS_FORWARD; q.i = -1; q.j = 90 + (int)r->tr->n % 9;
    q.t = r->tr->q[r->tr->n - 1].t;
    q.spec.op = op; q.spec.p1 = p1; q.spec.p2 = p2;
    assert_true(trace_add(r->tr, &q, ids, n) >= 0);
}

static void test_ops_outside_engine(void **state)
{
    (void)state;
    need_ssconvert();
    tmpdir t;
    tmp_make(&t);
    for (int rounded = 0; rounded < 2; rounded++) {
        char text[512];
        snprintf(text, sizeof text, "title ops\ninput 1 2\nlayer tanh 3 4\nlayer logistic 5\ninit uniform -1 1 3\n"
                 "loss sse\nrate 0.4\nsteps 1\nexample 0.3 -0.8 -> 1\ndigits 4\n%s", rounded ? "round 3\n" : "");
        lesson *l = load_text(text);
        engine_result r;
        run(l, &r);
        long in3 = trace_find(r.tr, "in_3"), in4 = trace_find(r.tr, "in_4"), a5 = trace_find(r.tr, "a_5");
        long y5 = trace_find(r.tr, "y_5"), w = trace_find(r.tr, "w_1,3"), x1 = trace_find(r.tr, "x_1");
        assert_true(in3 >= 0 && in4 >= 0 && a5 >= 0 && y5 >= 0 && w >= 0 && x1 >= 0);
        uint32_t v3[3] = {(uint32_t)in3, (uint32_t)in4, (uint32_t)a5};
        uint32_t perc[4] = {(uint32_t)w, (uint32_t)y5, (uint32_t)a5, (uint32_t)x1};
        add_q(&r, Q_MEAN, OP_MEAN, 0, 0, v3, 3);
        uint32_t mu = (uint32_t)(r.tr->n - 1);
        uint32_t var_ops[4] = {(uint32_t)in3, (uint32_t)in4, (uint32_t)a5, mu};
        add_q(&r, Q_VAR, OP_VAR, 0, 0, var_ops, 4);
        uint32_t var = (uint32_t)(r.tr->n - 1);
        uint32_t zs[3] = {(uint32_t)in3, mu, var};
        add_q(&r, Q_IN, OP_NORMALISE, 0, 0, zs, 3);                 /* z-score (sd passed as var) */
        add_q(&r, Q_IN, OP_NORMALISE, 1, 0, v3, 3);                 /* min-max */
        add_q(&r, Q_IN, OP_BN, 1.5, -0.25, zs, 3);
        add_q(&r, Q_UPDATE, OP_PERCEPTRON, 0.4, 0, perc, 4);       /* alpha from Settings */
        add_q(&r, Q_UPDATE, OP_PERCEPTRON, 0.125, 0, perc, 4);     /* alpha as a number */
        add_q(&r, Q_ACT, OP_STEPSUM, 0, 0, v3 + 1, 1);
        add_q(&r, Q_MASK, OP_SCALE, -2.5, 0, v3, 1);
        add_q(&r, Q_UPDATE, OP_UPDATE, 0.75, 0.125, perc, 2);      /* decay not in the lesson */
        assert_true(recalc_check(&t, rounded ? "extra ops, rounded" : "extra ops", l, &r) >= r.tr->n);
        engine_result_free(&r);
        lesson_free(l);
    }
    tmp_remove(&t);
}

/* ------------------------------------------------------------------------
 * The formulas themselves
 * ---------------------------------------------------------------------- */

static void expect_formula(const op_spec *s, unsigned notes, const char *const *refs, size_t n,
                           const char *p1, const char *p2, const char *want)
{
    strbuf b = {0};
    assert_int_equal(xlsx_formula(&b, s, notes, refs, n, p1, p2), 0);
    assert_false(b.failed);
    assert_string_equal(b.s, want);
    sb_free(&b);
}

static void test_formula_text(void **state)
{
    (void)state;
    const char *r[] = {"B3", "B4", "B5", "B6", "B7", "B8"};
    op_spec s;
    memset(&s, 0, sizeof s);
    /* 001: in_j = sum_i w_ij a_i; a_j = 1/(1+e^-in_j); g' = a(1-a); Delta = -2 (y-a) g' */
    s.op = OP_WSUM;
    expect_formula(&s, 0, r, 6, NULL, NULL, "=B3*B4+B5*B6+B7*B8");
    s.op = OP_ACT; s.act.kind = ACT_LOGISTIC;
    expect_formula(&s, 0, r, 1, NULL, NULL, "=1/(1+EXP(-B3))");
    s.op = OP_DACT;
    expect_formula(&s, 0, r, 2, NULL, NULL, "=B4*(1-B4)");
    s.op = OP_DELTA_OUT; s.loss = LOSS_SSE;
    expect_formula(&s, 0, r, 2, NULL, NULL, "=-2*B3*B4");
    s.op = OP_LOSS;
    expect_formula(&s, 0, r, 4, NULL, NULL, "=(B3-B4)^2+(B5-B6)^2");
    s.op = OP_DELTA_HID;
    expect_formula(&s, 0, r, 5, NULL, NULL, "=B3*(B4*B5+B6*B7)");
    /* w <- w - alpha dJ/dw - 2 alpha lambda w, alpha and lambda from cells */
    s.op = OP_UPDATE; s.p1 = 0.5; s.p2 = 0.01;
    expect_formula(&s, 0, r, 2, "$C$9", "$C$10", "=B3-$C$9*B4-2*$C$9*$C$10*B3");
    s.p2 = 0;
    expect_formula(&s, 0, r, 2, NULL, NULL, "=B3-0.5*B4");
    /* 002 table: leaky ReLU slope; ELU derivative g + alpha = alpha e^x, written as the latter (no cancellation) */
    s.op = OP_ACT; s.act.kind = ACT_LEAKY_RELU; s.act.param = -0.01;
    expect_formula(&s, 0, r, 1, NULL, NULL, "=IF(B3>=0,B3,(-0.01)*B3)");
    s.op = OP_DACT; s.act.kind = ACT_ELU; s.act.param = 1;
    expect_formula(&s, 0, r, 2, NULL, NULL, "=IF(B3>=0,1,1*EXP(B3))");
    /* softmax over the layer; cross-entropy with the evaluator's log guard */
    s.op = OP_ACT; s.act.kind = ACT_SOFTMAX;
    expect_formula(&s, 0, r, 4, NULL, NULL, "=EXP(B3)/(EXP(B4)+EXP(B5)+EXP(B6))");
    s.op = OP_LOSS; s.loss = LOSS_BCE;
    expect_formula(&s, EVAL_NOTE_LOG_GUARD, r, 2, NULL, NULL,
                   "=-(B3*LN(MAX(B4,1E-12))+(1-B3)*LN(MAX(1-B4,1E-12)))");
    /* what has no formula */
    strbuf b = {0};
    s.op = OP_CONST;
    assert_int_equal(xlsx_formula(&b, &s, 0, r, 0, NULL, NULL), -1);
    s.op = OP_WSUM;
    assert_int_equal(xlsx_formula(&b, &s, 0, r, 3, NULL, NULL), -1);
    sb_free(&b);
}

/* The substituted column's formula: text pieces quoted, operands the text
 * cells (bare where the form parenthesises them itself), alpha from its
 * cell; a sum too long for one cell keeps its leading terms. */
static void test_text_formula(void **state)
{
    (void)state;
    static const xlsx_textref t[] = {{"H3", "I3"}, {"H4", "I4"}, {"H5", "I5"}, {"H6", "I6"}, {"H7", "I7"}};
    const double v[] = {0.25, -0.5, 1, 2, 3};
    op_spec s = {.op = OP_WSUM};
    strbuf f = {0}, x = {0};
    int cut = -1;
    assert_int_equal(xlsx_text_formula(&f, &x, &s, 0, t, v, 4, NULL, NULL, 4, &cut), 0);
    assert_string_equal(f.s, "=I3&\"*\"&I4&\" + \"&I5&\"*\"&I6");
    assert_string_equal(x.s, "0.25*(-0.5) + 1*2");
    assert_int_equal(cut, 0);
    f.len = x.len = 0;
    s = (op_spec){.op = OP_ACT, .act = {.kind = ACT_LOGISTIC}};
    assert_int_equal(xlsx_text_formula(&f, &x, &s, 0, t + 1, v + 1, 1, NULL, NULL, 4, &cut), 0);
    assert_string_equal(f.s, "=\"1/(1+exp(-\"&I4&\"))\"");
    assert_string_equal(x.s, "1/(1+exp(-(-0.5)))");
    f.len = x.len = 0;
    xlsx_textref alpha = {"'Settings'!$G$9", "'Settings'!$H$9"};
    s = (op_spec){.op = OP_UPDATE, .p1 = 0.5};
    assert_int_equal(xlsx_text_formula(&f, &x, &s, 0, t, v, 2, &alpha, NULL, 4, &cut), 0);
    assert_string_equal(f.s, "=I3&\" - \"&'Settings'!$H$9&\"*\"&I4");
    assert_string_equal(x.s, "0.25 - 0.5*(-0.5)");
    f.len = x.len = 0;
    s = (op_spec){.op = OP_ACT, .act = {.kind = ACT_IDENTITY}};       /* a lone operand is still text */
    assert_int_equal(xlsx_text_formula(&f, &x, &s, 0, t, v, 1, NULL, NULL, 4, &cut), 0);
    assert_string_equal(f.s, "=I3&\"\"");
    /* 2,001 operands: delta_hid = g'*(w*d + ...) kept within Excel's 8192 characters */
    enum { N = 2001 };
    xlsx_textref *many = malloc(N * sizeof *many);
    double *vals = malloc(N * sizeof *vals);
    char (*names)[16] = malloc(N * sizeof *names);
    assert_true(many && vals && names);
    for (int k = 0; k < N; k++) {
        snprintf(names[k], sizeof names[k], "I%d", k + 3);
        many[k] = (xlsx_textref){names[k], names[k]};
        vals[k] = k;
    }
    s = (op_spec){.op = OP_DELTA_HID};
    f.len = x.len = 0;
    assert_int_equal(xlsx_text_formula(&f, &x, &s, 0, many, vals, N, NULL, NULL, 4, &cut), 0);
    assert_int_equal(cut, 1);
    assert_true(f.len <= XLSX_MAX_FORMULA && f.len > XLSX_MAX_FORMULA - 200);
    assert_true(strncmp(x.s, "0*(1*2 + 3*4 + ", 15) == 0);
    assert_string_equal(x.s + x.len - 7, " + ...)");
    assert_string_equal(f.s + f.len - 9, "\" + ...)\"");
    free(many); free(vals); free(names);
    /* the text cell: FIXED with as many decimals as the rounded value needs */
    f.len = 0;
    xlsx_value_text(&f, "D5", 2, 0);
    /* (rounded as the engine rounds: m the units of the last decimal) */
#define M "ROUND(ABS(D5)*(1+2^-46)*1E2,0)"
    assert_string_equal(f.s, "=IF(" M "=0,\"0\",FIXED(ROUND(D5*(1+2^-46),2),2"
                             "-(MOD(" M ",1E1)=0)-(MOD(" M ",1E2)=0),TRUE))");
#undef M
    sb_free(&f);
    sb_free(&x);
}

/* ------------------------------------------------------------------------
 * Hand rounding, cached values, edits
 * ---------------------------------------------------------------------- */

static double value_of(const book *b, const xlsx_layout *lay, const engine_result *r, const char *name)
{
    long id = trace_find(r->tr, name);
    if (id < 0) fail_msg("no %s in the trace", name);
    int ok;
    double v = book_num(b, lay->cells[id], &ok);
    if (!ok) fail_msg("%s is not a number in the sheet", name);
    return v;
}

/* One cell of a workbook file, read through gnumeric without recalculation. */
static double book_num_file(const char *path, const tmpdir *t, int n_sheets, xlsx_cell c, int *ok)
{
    book b = {0};
    convert(t, path, n_sheets, 0, "", &b);
    double v = book_num(&b, c, ok);
    book_free(&b);
    if (!*ok) fail_msg("no number at sheet %u row %u col %u", c.sheet, c.row + 1, c.col + 1);
    return v;
}

/* Lecture 001, 07-2c: the slide carries a_4 ~ 0.27 into in_5 = 1.54 (exact
 * arithmetic gives 1.5379); 07-2a: in_3 = 0.34821 after one step with
 * weights carried at 4 decimals. The recalculated sheet must show both. */
static void test_hand_rounded_reproduces_slide(void **state)
{
    (void)state;
    need_ssconvert();
    tmpdir t;
    tmp_make(&t);
    const char *files[] = {"lessons/sauppe-forward.lesson", "lessons/sauppe-sgd-step.lesson"};
    const char *names[] = {"in_5", "in_3^(1)"};
    const double slide[] = {1.54, 0.34821};
    for (int k = 0; k < 2; k++) {
        char path[512];
        engine_result r;
        lesson *l = load_run(files[k], &r);
        snprintf(path, sizeof path, "%s/slide.xlsx", t.dir);
        xlsx_layout lay;
        write_book(path, l, &r, 1, &lay);
        book b = {0};
        convert(&t, path, lay.n_sheets, 1, "", &b);
        assert_close(value_of(&b, &lay, &r, names[k]), slide[k], 1e-12, 1e-12);
        book_free(&b);
        free(lay.cells);
        engine_result_free(&r);
        lesson_free(l);
    }
    tmp_remove(&t);
}

/* Ties: the engine rounds a value that is a decimal tie up to representation
 * error as the tie (round_dp): -0.15 - 0.5*(-0.459) = 0.07949999999999999
 * gives 0.08. gnumeric computes in long double, where the same sum is
 * 0.079499999999999999988 and ROUND(...,3) gives 0.079; the sheet's rounding
 * formula must give 0.08 in gnumeric and LibreOffice alike: the one-step
 * lesson (the tie read by the final forward pass), and twelve steps whose
 * ties carry into every later step. */
static void test_hand_rounded_ties(void **state)
{
    (void)state;
    need_ssconvert();
    static const char *const LESSONS[] = {
        "title tie\ninput 1\nlayer identity 2\nweight w_0,2 = -0.15\nweight w_1,2 = 0\nloss half-sse\n"
        "rate 0.5\nfinal-forward yes\nexample 0 -> 0.309\ndigits 3\nround 3\n",
        "title ties\ninput 1\nlayer identity 2\nweight w_0,2 = -0.15\nweight w_1,2 = 0.3\nloss half-sse\n"
        "rate 0.5\nsteps 12\nfinal-forward yes\nexample 1 -> 0.309\nexample 0 -> 0.1\ndigits 3\nround 3\n",
    };
    tmpdir t;
    tmp_make(&t);
    for (size_t k = 0; k < sizeof LESSONS / sizeof LESSONS[0]; k++) {
        const char *what = k ? "twelve steps of ties" : "one tie";
        engine_result r;
        lesson *l = run_text(LESSONS[k], &r);
        long id = trace_find(r.tr, "w_0,2^(1)");
        assert_true(id >= 0);
        if (k == 0) assert_close(round_dp(r.tr->q[id].value, 3), 0.08, 1e-15, 0);   /* the tie, as the engine rounds it */
        size_t c = recalc_check(&t, what, l, &r), lc = recalc_in(BY_LIBREOFFICE, &t, what, l, &r);
        printf("  %-22s %5zu cells recalculated by gnumeric, %5zu by LibreOffice\n", what, c, lc);
        engine_result_free(&r);
        lesson_free(l);
    }
    tmp_remove(&t);
}

/* A non-zero value that rounds to 0 at the lesson's digits: the text trace
 * writes it in e-notation (text_num: 1.00e-04*1 + (-4.54e-05)*1 +
 * 3.00e-12*1), and so must the substituted column, recalculated by
 * gnumeric and LibreOffice: a mantissa that rounds up to 10 (9.996e-05),
 * a negative one, the least shown (XLSX_TINY_MIN), at 3 decimals and at 1
 * (where the mantissa keeps one decimal). It showed "0*1 + 0*1 + 0*1".
 * (A program's noise about an exact 0 shows "0": cse575's in_4[2] in
 * test_every_lesson_recalculates.) */
static void test_tiny_values_in_e_notation(void **state)
{
    (void)state;
    need_ssconvert();
    static const char *const LESSONS[] = {
        "title tiny\ninput 1 2\nlayer identity 3\nweight w_0,3 = 0.00009996\nweight w_1,3 = -0.0000454\n"
        "weight w_2,3 = 3e-12\nloss half-sse\nrate 0.5\nexample 1 1 -> 0.3\ndigits 3\n",
        "title tiny\ninput 1 2\nlayer identity 3\nweight w_0,3 = 0.0096\nweight w_1,3 = -0.00454\n"
        "weight w_2,3 = 3e-12\nloss half-sse\nrate 0.5\nexample 1 1 -> 0.3\ndigits 1\n",
    };
    tmpdir t;
    tmp_make(&t);
    for (size_t k = 0; k < sizeof LESSONS / sizeof LESSONS[0]; k++) {
        const char *what = k ? "tiny values, 1 decimal" : "tiny values, 3 decimals";
        engine_result r;
        lesson *l = run_text(LESSONS[k], &r);
        long id = trace_find(r.tr, "in_3");
        assert_true(id >= 0);
        strbuf want = {0};
        text_line_n(&want, r.tr, &r.tr->q[id], l->digits, l, NOTATION_VA);
        assert_non_null(strstr(want.s, k ? "= 9.6e-03*1 + (-4.5e-03)*1 + 3.0e-12*1 = 5.1e-03"
                                         : "= 1.00e-04*1 + (-4.54e-05)*1 + 3.00e-12*1 = 5.46e-05"));
        sb_free(&want);
        size_t c = recalc_check(&t, what, l, &r), lc = recalc_in(BY_LIBREOFFICE, &t, what, l, &r);
        printf("  %-24s %5zu cells recalculated by gnumeric, %5zu by LibreOffice\n", what, c, lc);
        engine_result_free(&r);
        lesson_free(l);
    }
    tmp_remove(&t);
}

/* Cached values are the engine's (a reader that does not recalculate shows
 * them); with the test switch there are none, so the recalculation check
 * above cannot be passing on cached numbers. */
static void test_cached_values(void **state)
{
    (void)state;
    need_ssconvert();
    tmpdir t;
    tmp_make(&t);
    char err[768], path[512];
    lesson *l = lesson_load("lessons/sauppe-sgd-step.lesson", err, sizeof err);
    if (!l) fail_msg("%s", err);
    engine_result r;
    run(l, &r);
    snprintf(path, sizeof path, "%s/cached.xlsx", t.dir);
    for (int no_cache = 0; no_cache < 2; no_cache++) {
        xlsx_layout lay;
        write_book(path, l, &r, no_cache, &lay);
        book b = {0};
        convert(&t, path, lay.n_sheets, 0, "", &b);
        double a3 = value_of(&b, &lay, &r, "a_3");
        if (no_cache) assert_close(a3, 0.0, 0, 0);
        else assert_close(a3, 0.5473576181430893, 1e-15, 0);    /* 1/(1+e^-0.19), 16 digits cached */
        if (!no_cache) assert_true(compare("cached", &b, &lay, &r) >= r.tr->n);
        book_free(&b);
        free(lay.cells);
    }
    engine_result_free(&r);
    lesson_free(l);
    tmp_remove(&t);
}

/* Edit givens the way an instructor would (a weight, an input, alpha,
 * lambda) and recalculate: every cell must equal the engine's run of the
 * lesson edited the same way. */
#define EDIT_NET "input 1 2\nlayer tanh 3 4\nlayer logistic 5\n" \
    "weight w_0,3 = 0.1\nweight w_1,3 = -0.2\nweight w_2,3 = 0.3\n" \
    "weight w_0,4 = 0.4\nweight w_1,4 = 0.5\nweight w_2,4 = -0.6\n" \
    "weight w_0,5 = 0.7\nweight w_3,5 = -0.8\nweight w_4,5 = 0.9\n"
static const char EDIT_LESSON[] =
    "title edit\n" EDIT_NET
    "loss sse\nrate 0.3\ndecay 0.01\nbatch 2\nsteps 3\n"
    "example 0.3 -0.8 -> 1\nexample -0.5 0.9 -> 0\ndigits 4\n";

static void test_edit_recomputes(void **state)
{
    (void)state;
    need_ssconvert();
    tmpdir t;
    tmp_make(&t);
    engine_result r;
    lesson *l = run_text(EDIT_LESSON, &r);
    char path[512];
    snprintf(path, sizeof path, "%s/edit.xlsx", t.dir);
    xlsx_layout lay;
    write_book(path, l, &r, 0, &lay);
    long w13 = trace_find(r.tr, "w_1,3"), x2 = trace_find(r.tr, "x_2[2]");
    assert_true(w13 >= 0 && x2 >= 0);
    /* x_2 of example 2 on Settings; the step sheet's x_2[2] is a formula over it */
    xlsx_cell cx = {0, lay.examples.row + 1, lay.examples.col + 1};
    int ok;
    assert_close(book_num_file(path, &t, lay.n_sheets, cx, &ok), 0.9, 0, 0);
    char sets[1024], c_w[LXW_MAX_CELL_NAME_LENGTH], c_x[LXW_MAX_CELL_NAME_LENGTH];
    char c_a[LXW_MAX_CELL_NAME_LENGTH], c_l[LXW_MAX_CELL_NAME_LENGTH];
    xlsx_cell cw = lay.cells[w13];
    assert_int_equal(cw.sheet, 0);      /* the given weights live on Settings */
    assert_int_not_equal(lay.cells[x2].sheet, 0);
    lxw_rowcol_to_cell(c_w, cw.row, (lxw_col_t)cw.col);
    lxw_rowcol_to_cell(c_x, cx.row, (lxw_col_t)cx.col);
    lxw_rowcol_to_cell(c_a, lay.alpha.row, (lxw_col_t)lay.alpha.col);
    lxw_rowcol_to_cell(c_l, lay.lambda.row, (lxw_col_t)lay.lambda.col);
    snprintf(sets, sizeof sets, "--set \"'Settings'!%s=1.25\" --set \"'Settings'!%s=-0.4\" "
             "--set \"'Settings'!%s=0.8\" --set \"'Settings'!%s=0.05\"", c_w, c_x, c_a, c_l);
    book b = {0};
    convert(&t, path, lay.n_sheets, 1, sets, &b);

    lesson *e = load_text(EDIT_LESSON);          /* the same edits, in the lesson */
    e->arcs[lesson_arc_index(e, 1, 3)].w = 1.25;
    e->ex_x[1 * e->n_in + 1] = -0.4;
    e->rate = 0.8;
    e->decay = 0.05;
    engine_result re;
    run(e, &re);
    assert_int_equal(re.tr->n, r.tr->n);
    assert_true(fabs(re.tr->q[r.tr->n - 1].value - r.tr->q[r.tr->n - 1].value) > 1e-6);   /* it did change */
    assert_true(compare("edited", &b, &lay, &re) >= r.tr->n + (size_t)re.steps);   /* the Summary is live */
    book_free(&b);
    free(lay.cells);
    engine_result_free(&re);
    engine_result_free(&r);
    lesson_free(e);
    lesson_free(l);
    tmp_remove(&t);
}

/* A tie (`tie b = w_0,3 w_0,4`) is ONE editable cell on Settings that both
 * net inputs read: editing it and recalculating gives the engine's run of
 * the lesson with both arcs changed (one value), through the training steps. */
static const char TIED_LESSON[] =
    "title tied\ninput 1 2\nlayer tanh 3 4\nlayer logistic 5\n"
    "tie b = w_0,3 w_0,4\nweight b = 0.1\nweight w_1,3 = -0.2\nweight w_2,3 = 0.3\n"
    "weight w_1,4 = 0.5\nweight w_2,4 = -0.6\n"
    "weight w_0,5 = 0.7\nweight w_3,5 = -0.8\nweight w_4,5 = 0.9\n"
    "loss sse\nrate 0.3\nbatch 2\nsteps 3\n"
    "example 0.3 -0.8 -> 1\nexample -0.5 0.9 -> 0\ndigits 4\n";

static void test_tied_one_cell(void **state)
{
    (void)state;
    need_ssconvert();
    tmpdir t;
    tmp_make(&t);
    lesson *l = load_text(TIED_LESSON);
    engine_result r;
    run(l, &r);
    char path[512];
    snprintf(path, sizeof path, "%s/tied.xlsx", t.dir);
    xlsx_layout lay;
    write_book(path, l, &r, 0, &lay);
    long b = trace_find(r.tr, "b"), in3 = trace_find(r.tr, "in_3[1]"), in4 = trace_find(r.tr, "in_4[1]");
    assert_true(b >= 0 && in3 >= 0 && in4 >= 0);
    xlsx_cell cb = lay.cells[b];
    assert_int_equal(cb.sheet, 0);                  /* the given b lives on Settings */
    /* Settings names b once, and no tied arc has a row of its own */
    book raw = {0};
    convert(&t, path, lay.n_sheets, 0, "", &raw);
    int rows_b = 0, rows_arc = 0;
    for (size_t f = 0; f < raw.sheet[0].nfield; f++) {
        rows_b += !strcmp(raw.sheet[0].field[f], "b");
        rows_arc += !strcmp(raw.sheet[0].field[f], "w_0,3") || !strcmp(raw.sheet[0].field[f], "w_0,4");
    }
    assert_int_equal(rows_b, 1);
    assert_int_equal(rows_arc, 0);
    assert_string_equal(csv_at(&raw.sheet[0], cb.row, 0), "b");
    book_free(&raw);
    char sets[512], c_b[LXW_MAX_CELL_NAME_LENGTH];
    lxw_rowcol_to_cell(c_b, cb.row, (lxw_col_t)cb.col);
    snprintf(sets, sizeof sets, "--set \"'Settings'!%s=-0.45\"", c_b);
    book e = {0};
    convert(&t, path, lay.n_sheets, 1, sets, &e);
    lesson *x = load_text(TIED_LESSON);             /* the same edit in the lesson: both arcs */
    x->arcs[lesson_arc_index(x, 0, 3)].w = -0.45;
    x->arcs[lesson_arc_index(x, 0, 4)].w = -0.45;
    engine_result rx;
    run(x, &rx);
    assert_int_equal(rx.tr->n, r.tr->n);
    int ok;
    /* both net inputs of step 1 followed the one edit */
    double v3 = book_num(&e, lay.cells[in3], &ok), v4 = book_num(&e, lay.cells[in4], &ok);
    assert_close(v3, rx.tr->q[in3].value, ATOL, RTOL);
    assert_close(v4, rx.tr->q[in4].value, ATOL, RTOL);
    assert_true(fabs(v3 - r.tr->q[in3].value) > 0.5 && fabs(v4 - r.tr->q[in4].value) > 0.5);
    assert_true(compare("tie edited", &e, &lay, &rx) >= r.tr->n + (size_t)rx.steps);   /* the Summary is live */
    book_free(&e);
    free(lay.cells);
    engine_result_free(&rx);
    engine_result_free(&r);
    lesson_free(x);
    lesson_free(l);
    tmp_remove(&t);
}

/* Training stays live: a lesson whose steps 2..30 are not traced (the
 * "After step 30" sheet shows the final weights), alpha edited on Settings
 * as an instructor would, then recalculated by LibreOffice (the edit made
 * in the file's XML) and by gnumeric (ssconvert --set): every quantity, its
 * substituted text, the Training rows' J read by the Summary and its chart,
 * and the final weights carried into the last sheet must equal the engine's
 * run of the lesson with the new rate. */
static const char LIVE_LESSON[] =
    "title live\n" EDIT_NET
    "loss bce\nrate 0.3\ndecay 0.01\nbatch 2\nsteps 30\ntrace 1\nfinal-forward yes\n"
    "example 0.3 -0.8 -> 1\nexample -0.5 0.9 -> 0\nexample 0.6 0.1 -> 1\ndigits 4\n";

static void test_training_live_after_alpha_edit(void **state)
{
    (void)state;
    need_ssconvert();
    tmpdir t;
    tmp_make(&t);
    engine_result r;
    lesson *l = run_text(LIVE_LESSON, &r);
    char path[512], cmd[2048], a1[LXW_MAX_CELL_NAME_LENGTH];
    snprintf(path, sizeof path, "%s/live.xlsx", t.dir);
    xlsx_layout lay;
    write_book(path, l, &r, 0, &lay);
    assert_int_equal(lay.live, 30);                   /* every step live */
    assert_true(lay.training > 0);
    long carried = trace_find(r.tr, "w_1,3^(30)");
    assert_true(carried >= 0 && r.tr->q[carried].why == GIVEN_CARRIED);

    lesson *e = load_text(LIVE_LESSON);               /* the engine at the edited rate */
    e->rate = 0.8;
    engine_result re;
    run(e, &re);
    assert_true(fabs(re.loss[29] - r.loss[29]) > 1e-4);        /* the edit matters at step 30 */
    engine_result final = re;
    final.steps = 30;

    lxw_rowcol_to_cell(a1, lay.alpha.row, (lxw_col_t)lay.alpha.col);
    /* LibreOffice: alpha's value rewritten in the Settings sheet's XML */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && python3 -c \"\nimport re, zipfile\nz = zipfile.ZipFile('live.xlsx')\n"
             "o = zipfile.ZipFile('edited.xlsx', 'w', zipfile.ZIP_DEFLATED)\nn = 0\n"
             "for i in z.infolist():\n    d = z.read(i.filename)\n"
             "    if i.filename == 'xl/worksheets/sheet1.xml':\n"
             "        d, n = re.subn(rb'(<c r=\\\"%s\\\"[^>]*><v>)[^<]*', rb'\\g<1>0.8', d)\n"
             "    o.writestr(i, d)\no.close()\nprint('edited', n)\n\"", t.dir, a1);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0 || !strstr(out, "edited 1")) fail_msg("editing alpha in the XML: %s", out);
    free(out);
    snprintf(path, sizeof path, "%s/edited.xlsx", t.dir);
    book b = {0};
    convert_lo(&t, path, &b);
    size_t n = compare("LibreOffice, alpha 0.8", &b, &lay, &final);
    no_error_cells("LibreOffice, alpha 0.8", &b);
    assert_int_equal(b.n, lay.n_sheets);
    book_free(&b);
    /* gnumeric: the same edit with --set */
    snprintf(path, sizeof path, "%s/live.xlsx", t.dir);
    snprintf(cmd, sizeof cmd, "--set \"'Settings'!%s=0.8\"", a1);
    convert(&t, path, lay.n_sheets, 1, cmd, &b);
    n += compare("gnumeric, alpha 0.8", &b, &lay, &final);
    no_error_cells("gnumeric, alpha 0.8", &b);
    book_free(&b);
    printf("  %zu cells after editing alpha, LibreOffice and gnumeric, all within %.0e of the engine at the new rate\n",
           n, RTOL);
    free(lay.cells);
    engine_result_free(&re);
    engine_result_free(&r);
    lesson_free(e);
    lesson_free(l);
    tmp_remove(&t);
}

/* Beyond XLSX_LIVE_CELLS the steps are the engine's fixed values, and the
 * Settings sheet and the chart say so in bold / in the title. */
static void test_live_limit_stated(void **state)
{
    (void)state;
    tmpdir t;
    tmp_make(&t);
    engine_result r;
    lesson *l = load_run("lessons/mazur-2-2-2-10000.lesson", &r);
    char path[512], cmd[1024];
    snprintf(path, sizeof path, "%s/long.xlsx", t.dir);
    xlsx_layout lay;
    write_book(path, l, &r, 0, &lay);
    assert_true(lay.live > 1000 && lay.live < r.steps);
    snprintf(cmd, sizeof cmd, "cd '%s' && unzip -p long.xlsx xl/sharedStrings.xml xl/charts/chart1.xml", t.dir);
    int rc;
    char *out = run_sh(cmd, &rc);
    char want[256];
    snprintf(want, sizeof want, "Steps 1 to %d are live", lay.live);
    if (!strstr(out, want)) fail_msg("no note '%s' on Settings", want);
    snprintf(want, sizeof want, "Loss per step (live to step %d; later: fixed engine values)", lay.live);
    if (!strstr(out, want)) fail_msg("no chart title '%s'", want);
    free(out);
    free(lay.cells);
    engine_result_free(&r);
    lesson_free(l);
    tmp_remove(&t);
}

/* ------------------------------------------------------------------------
 * Bad output, atomicity, the command line
 * ---------------------------------------------------------------------- */

/* A neuron with 800 inputs needs a formula longer than Excel's 8192. */
static lesson *too_wide_lesson(void)
{
    size_t cap = 32768, n = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    n += (size_t)snprintf(s + n, cap - n, "title wide\ninput");
    for (int k = 1; k <= 800; k++) n += (size_t)snprintf(s + n, cap - n, " %d", k);
    n += (size_t)snprintf(s + n, cap - n, "\nlayer logistic 801\ninit uniform -1 1 1\nexample");
    for (int k = 1; k <= 800; k++) n += (size_t)snprintf(s + n, cap - n, " 0.5");
    n += (size_t)snprintf(s + n, cap - n, "\nsteps 0\n");
    lesson *l = load_text(s);
    free(s);
    return l;
}

static int dir_has_temp(const char *dir)
{
    DIR *d = opendir(dir);
    int found = 0;
    for (struct dirent *e; d && (e = readdir(d));) if (strstr(e->d_name, ".tmp-")) found = 1;
    if (d) closedir(d);
    return found;
}

static void test_failed_write_keeps_existing_file(void **state)
{
    (void)state;
    tmpdir t;
    tmp_make(&t);
    char path[512], err[768];
    snprintf(path, sizeof path, "%s/precious.xlsx", t.dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("the instructor's old workbook", f);
    assert_int_equal(fclose(f), 0);

    lesson *l = too_wide_lesson();
    engine_result r;
    run(l, &r);
    xlsx_opts o = {.digits = -1, .notation = -1};
    xlsx_status st = xlsx_write(path, l, &r, &o, NULL, err, sizeof err);
    assert_int_equal(st, XLSX_ERR_TOO_LARGE);
    assert_non_null(strstr(err, "8192"));
    assert_non_null(strstr(err, "in_801"));
    char *s = slurp(path, NULL);
    assert_non_null(s);
    assert_string_equal(s, "the instructor's old workbook");
    free(s);
    assert_false(dir_has_temp(t.dir));

    /* a bad sheet word: refused before anything is written */
    o.sheet_word = "Step/";
    assert_int_equal(xlsx_write(path, l, &r, &o, NULL, err, sizeof err), XLSX_ERR_SHEET_NAME);
    o.sheet_word = "it's";                   /* gnumeric misreads 'it''s 1'!A1 */
    assert_int_equal(xlsx_write(path, l, &r, &o, NULL, err, sizeof err), XLSX_ERR_SHEET_NAME);
    o.sheet_word = "Iteration-number-x";     /* 18 > 16 characters */
    assert_int_equal(xlsx_write(path, l, &r, &o, NULL, err, sizeof err), XLSX_ERR_SHEET_NAME);
    assert_non_null(strstr(err, "31"));
    s = slurp(path, NULL);
    assert_string_equal(s, "the instructor's old workbook");
    free(s);

    /* a directory as the output, and a directory that does not exist */
    o.sheet_word = NULL;
    assert_int_equal(xlsx_write(t.dir, l, &r, &o, NULL, err, sizeof err), XLSX_ERR_OUTPUT);
    assert_non_null(strstr(err, "directory"));
    snprintf(path, sizeof path, "%s/no/such/dir/x.xlsx", t.dir);
    assert_int_equal(xlsx_write(path, l, &r, &o, NULL, err, sizeof err), XLSX_ERR_OUTPUT);
    engine_result_free(&r);
    lesson_free(l);
    tmp_remove(&t);
}

/* Byte-identical output for a fixed creation time, and a zip container. */
static void test_reproducible(void **state)
{
    (void)state;
    tmpdir t;
    tmp_make(&t);
    char err[768], p1[512], p2[512];
    lesson *l = lesson_load("lessons/sauppe-sgd-step.lesson", err, sizeof err);
    if (!l) fail_msg("%s", err);
    engine_result r;
    run(l, &r);
    snprintf(p1, sizeof p1, "%s/a.xlsx", t.dir);
    snprintf(p2, sizeof p2, "%s/b.xlsx", t.dir);
    xlsx_opts o = {.digits = -1, .created = 1700000000, .notation = -1};
    assert_int_equal(xlsx_write(p1, l, &r, &o, NULL, err, sizeof err), XLSX_OK);
    assert_int_equal(xlsx_write(p2, l, &r, &o, NULL, err, sizeof err), XLSX_OK);
    size_t n1, n2;
    char *a = slurp(p1, &n1), *b = slurp(p2, &n2);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(n1 > 1000);
    assert_memory_equal(a, "PK\x03\x04", 4);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(a);
    free(b);
    engine_result_free(&r);
    lesson_free(l);
    tmp_remove(&t);
}

static int cli(const char *args, const char *log)
{
    const char *bin = getenv("NNTRACE_BIN");
    if (!bin) bin = "build/nntrace";
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s xlsx %s >'%s' 2>&1", bin, args, log);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_cli(void **state)
{
    (void)state;
    tmpdir t;
    tmp_make(&t);
    char args[1024], log[512], out[512];
    snprintf(log, sizeof log, "%s/cli.log", t.dir);
    snprintf(out, sizeof out, "%s/sgd.xlsx", t.dir);
    const char *L = "lessons/sauppe-sgd-step.lesson";

    snprintf(args, sizeof args, "%s -o '%s'", L, out);
    assert_int_equal(cli(args, log), 0);
    char *s = slurp(out, NULL);
    assert_non_null(s);
    assert_memory_equal(s, "PK\x03\x04", 4);
    free(s);
    assert_false(dir_has_temp(t.dir));

    char sub[600];
    snprintf(sub, sizeof sub, "%s/sub.xlsx", t.dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(args, sizeof args, "%s -o '%s'", L, sub);               /* a directory */
    assert_int_equal(cli(args, log), 2);
    s = slurp(log, NULL);
    assert_non_null(strstr(s, "is a directory"));
    free(s);
    assert_int_equal(rmdir(sub), 0);
    /* a name that does not end in .xlsx is refused, and nothing is written */
    snprintf(sub, sizeof sub, "%s/x.csv", t.dir);
    snprintf(args, sizeof args, "%s -o '%s'", L, sub);
    assert_int_equal(cli(args, log), 2);
    s = slurp(log, NULL);
    assert_non_null(strstr(s, "must end in .xlsx"));
    assert_non_null(strstr(s, "x.xlsx"));
    free(s);
    assert_int_equal(access(sub, F_OK), -1);
    snprintf(args, sizeof args, "%s -o '%s/UP.XLSX'", L, t.dir);      /* any case */
    assert_int_equal(cli(args, log), 0);
    snprintf(args, sizeof args, "%s -o '%s/missing/x.xlsx'", L, t.dir);
    assert_int_equal(cli(args, log), 2);
    snprintf(args, sizeof args, "%s -o '%s' --sheet-word 'a:b'", L, out);
    assert_int_equal(cli(args, log), 2);
    s = slurp(log, NULL);
    assert_non_null(strstr(s, "sheet"));
    free(s);
    snprintf(args, sizeof args, "%s", L);                             /* no -o */
    assert_int_equal(cli(args, log), 2);
    snprintf(args, sizeof args, "lessons/no-such.lesson -o '%s'", out);
    assert_int_equal(cli(args, log), 2);
    snprintf(args, sizeof args, "%s -o '%s' --bogus", L, out);
    assert_int_equal(cli(args, log), 2);
    snprintf(args, sizeof args, "--help");
    assert_int_equal(cli(args, log), 0);
    tmp_remove(&t);
}

/* The live Training rows run the lesson cut to its first steps, so a name of
 * a later step in its `points` line (as in its `expect` and `ask` lines) is
 * not looked for there: `points w_0,3^(3) = 3` once made `xlsx` stop with
 * "the live training rows: ...: 'w_0,3^(3)' names no quantity" (exit 2)
 * where `run`, `check` and `xlsx --exercise` took the lesson. */
static void test_points_of_a_later_step(void **state)
{
    (void)state;
    tmpdir t;
    tmp_make(&t);
    char path[512], args[1024], log[512];
    snprintf(path, sizeof path, "%s/later.lesson", t.dir);
    snprintf(log, sizeof log, "%s/later.log", t.dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("title points of step 3\ninput 1 2\nlayer logistic 3\nweight w_0,3 = 0.1\n"
          "weight w_1,3 = 0.1\nweight w_2,3 = 0.1\nloss sse\nrate 0.5\nsteps 3\n"
          "example 0.4 0.5 -> 1\npoints w_0,3^(3) = 3\nask w_*^(3)\n", f);
    assert_int_equal(fclose(f), 0);
    snprintf(args, sizeof args, "'%s' -o '%s/later.xlsx'", path, t.dir);
    int rc = cli(args, log);
    char *s = slurp(log, NULL);
    assert_non_null(s);
    if (rc != 0) fail_msg("xlsx of a lesson with points on step 3: exit %d\n%s", rc, s);
    free(s);
    tmp_remove(&t);
}

/* A step sheet's note column, at most: 40 characters (1.15 units each, and
 * 2; xlsx.c's NOTE_CHARS), stored as 48.71 with the cell padding. xor-mlp's "weight after step 2000: the engine's
 * fixed value (beyond the live steps); edit it here" once made it 71.7 wide
 * and its After Step 2000 page print at two thirds of the size of Step 1. */
#define NOTE_W_MAX 48.75

/* Printing, as an instructor does it: every lesson's workbook converted to
 * PDF by LibreOffice in one run. Every sheet has the page set-up (A4
 * landscape, fit to one page wide); no step sheet's note column is wider
 * than NOTE_W_MAX (a longer note wraps in it); a workbook prints on at most two pages
 * per sheet, and one more for Settings (whose tables each keep to a page) (the Summary: its chart and the first 30 steps on one page, so
 * xor-mlp's 2,000 steps and mazur-2-2-2-10000's 10,000 no longer print 68
 * and 310 pages); no cell prints as ### (a column too narrow for its format);
 * no table of Settings is split from its header row: no page begins with
 * one of its rows (a setting, a_0 or a weight, an example, the second line
 * of a wrapped meaning, printed far from the left margin) or ends with a
 * header (42 of the 52 printed workbooks, plain and exercise, split one). */
static void test_print_layout(void **state)
{
    (void)state;
    char dir[64], cmd[2 * 4096 + 2048 + 4096], nt[4096], cwd[2048];
    assert_int_equal(tmpdir_make(dir, "print"), 0);
    bin_abs(nt);
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s\n"
             "for l in %s/lessons/*.lesson; do %s xlsx $l -o $(basename $l .lesson).xlsx > /dev/null; done\n"
             "for f in *.xlsx; do unzip -p $f 'xl/worksheets/sheet*.xml' > $f.xml; "
             "  s=$(unzip -l $f | grep -c 'worksheets/sheet'); "
             "  p=$(grep -o '<pageSetup[^>]*orientation=\"landscape\"' $f.xml | wc -l); "
             "  w=$(grep -o '<pageSetUpPr fitToPage=\"1\"/>' $f.xml | wc -l); "
             "  n=$(grep -o '<col min=\"6\" max=\"6\" width=\"[0-9.]*\"' $f.xml | grep -o '[0-9.]*\"$' | tr -d '\"' "
             "| sort -n | tail -1); "
             "  echo \"setup $f sheets=$s landscape=$p fit=$w note=${n:-0}\"; done\n"
             "HOME=%s timeout 900 soffice --headless --convert-to pdf *.xlsx > soffice.log 2>&1\n"
             "for f in *.xlsx; do b=${f%%.xlsx}; s=$(unzip -l $f | grep -c 'worksheets/sheet'); "
             "  echo \"pages $b $(pdfinfo $b.pdf | awk '/^Pages/ {print $2}') sheets=$s hashes=$(pdftotext $b.pdf - | grep -c '###' || true)\"; done\n"
             "for f in *.pdf; do n=$(pdfinfo $f | awk '/^Pages/ {print $2}'); for p in $(seq 1 $n); do "
             "  pdftotext -layout -f $p -l $p $f p.txt; a=$(grep -v '^ *$' p.txt | head -1); z=$(grep -v '^ *$' p.txt | tail -1); "
             "  if [ $p -gt 1 ] && printf '%%s\\n' \"$a\" | grep -Eq '^(learning rate|weight decay|loss  |layer [0-9]|activations|"
             "batch size|steps  |rounding|not run|a_0 |w_[0-9]+,[0-9]+ | +[0-9]+ +-?[0-9]|                    )'; "
             "  then echo \"split $f page $p begins: $a\"; fi; "
             "  if printf '%%s\\n' \"$z\" | grep -Eq '^(setting|quantity|example) '; then echo \"split $f page $p ends: $z\"; fi; "
             "done; done\n",
             dir, cwd, nt, dir);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, out);
    int books = 0;
    for (char *ln = strtok(out, "\n"); ln; ln = strtok(NULL, "\n")) {
        char name[256];
        int sheets, a, b;
        double note_w;
        if (sscanf(ln, "setup %255s sheets=%d landscape=%d fit=%d note=%lf", name, &sheets, &a, &b, &note_w) == 5) {
            if (a != sheets || b != sheets) fail_msg("%s: page set-up on %d and %d of %d sheets", name, a, b, sheets);
            if (note_w > NOTE_W_MAX)        /* a long note wraps, never widening the page */
                fail_msg("%s: a step sheet's note column is %.1f wide (at most %.1f)", name, note_w, NOTE_W_MAX);
        } else if (sscanf(ln, "pages %255s %d sheets=%d hashes=%d", name, &a, &sheets, &b) == 4) {
            if (a < 1 || a > 2 * sheets + 1)      /* Settings may take a third page to keep its tables whole */
                fail_msg("%s prints on %d pages (at most %d: 2 per sheet, 3 for Settings)", name, a, 2 * sheets + 1);
            if (b) fail_msg("%s: %d cells print as ###", name, b);
            books++;
        } else if (!strncmp(ln, "split ", 6)) {
            fail_msg("a Settings table is split from its header: %s", ln + 6);
        }
    }
    assert_true(books >= 20);
    free(out);
    tmpdir_remove(dir);
}

/* A wrapped text's row fits it in both programs: the text is broken into
 * lines by nntrace (at a newline, each short enough for the narrower
 * program), so LibreOffice and gnumeric both print the lines the row's
 * height was counted for. Left to break a step sheet's note themselves,
 * both fit it in two lines of a row sized for three, and LibreOffice a
 * Settings meaning in one of a row sized for two: an empty line under each. */
static void test_wrapped_rows_fit(void **state)
{
    (void)state;
    char dir[64], cmd[8192], nt[4096], cwd[2048];
    assert_int_equal(tmpdir_make(dir, "wrap"), 0);
    bin_abs(nt);
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s\n"
             "%s xlsx %s/lessons/mazur-2-2-2-10000.lesson -o m.xlsx > /dev/null\n"
             "HOME=%s timeout 600 soffice --headless --convert-to pdf m.xlsx > soffice.log 2>&1\n"
             "pdftotext -layout m.pdf lo.txt\n"
             "ssconvert --export-type=Gnumeric_pdf:pdf_assistant m.xlsx g.pdf > /dev/null 2>&1\n"
             "pdftotext -layout g.pdf gn.txt\n"
             "unzip -p m.xlsx xl/sharedStrings.xml > strings.xml\n",
             dir, nt, cwd, dir);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, out);
    free(out);
    char path[128];
    snprintf(path, sizeof path, "%s/strings.xml", dir);
    char *xml = slurp(path, NULL);
    assert_non_null(xml);
    /* the note in three lines of at most 40 characters (its 48-unit column, 0.85 a unit) */
    if (!strstr(xml, "weight after step 10000: the engine's\nfixed value (beyond the live steps);\nedit it here"))
        fail_msg("the After Step note is not broken into its lines:\n%.2000s", xml);
    free(xml);
    for (const char *f = "lo.txt\0gn.txt\0"; *f; f += strlen(f) + 1) {
        snprintf(path, sizeof path, "%s/%s", dir, f);
        char *txt = slurp(path, NULL);
        assert_non_null(txt);
        /* each line of the note on a printed line of its own, no more on it */
        const char *lines[] = {"weight after step 10000: the engine's\n", "fixed value (beyond the live steps);\n",
                               "edit it here\n"};
        for (size_t k = 0; k < 3; k++) {
            const char *at = strstr(txt, lines[k]);
            if (!at || (at > txt && at[-1] != ' ' && at[-1] != '\n'))
                fail_msg("%s: the note's line \"%.*s\" is not a printed line of its own:\n%s", f,
                         (int)strlen(lines[k]) - 1, lines[k], txt);
        }
        free(txt);
    }
    tmpdir_remove(dir);
}

/* A formula longer than its column holds (cse575's z^[2]_1^(1)[1], 105
 * characters in the layer notation: b^[2]_1^(1)*a_0 + W^[2]_1,1^(1)*...)
 * is printed whole by LibreOffice and gnumeric, in the plain workbook (where
 * the substituted column cut it off after "a^[1]_3^(") and in the exercise
 * (where it ran over the blank yellow value cell): every term of every
 * such formula is on the printout, each line of it under the formula
 * heading, none running into the next column. */
static void test_long_formula_wraps(void **state)
{
    (void)state;
    char dir[64], cmd[2 * 4096 + 2 * 2048 + 1024], nt[4096], cwd[2048];
    assert_int_equal(tmpdir_make(dir, "longf"), 0);
    bin_abs(nt);
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s\n"
             "%s xlsx %s/lessons/cse575-vectorised-bce.lesson -o c.xlsx > /dev/null\n"
             "%s xlsx %s/lessons/cse575-vectorised-bce.lesson --exercise -o e.xlsx > /dev/null\n"
             "HOME=%s timeout 600 soffice --headless --convert-to pdf c.xlsx e.xlsx > soffice.log 2>&1\n"
             "pdftotext -layout c.pdf c.txt; pdftotext -layout e.pdf e.txt\n"
             "ssconvert --export-type=Gnumeric_pdf:pdf_assistant c.xlsx g.pdf > /dev/null 2>&1\n"
             "pdftotext -layout g.pdf g.txt\n",
             dir, nt, cwd, nt, cwd, dir);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, out);
    free(out);
    engine_result r;
    lesson *l = load_run("lessons/cse575-vectorised-bce.lesson", &r);
    size_t longest = 0, terms = 0;
    for (const char *f = "c.txt\0e.txt\0g.txt\0"; *f; f += strlen(f) + 1) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", dir, f);
        char *txt = slurp(path, NULL);
        assert_non_null(txt);
        for (size_t id = 0; id < r.tr->n; id++) {
            const quantity *q = &r.tr->q[id];
            if (q->spec.op == OP_CONST) continue;
            strbuf sym = {0};
            text_formula_x(&sym, r.tr, q, NULL, l->digits, l, l->notation, 1);
            assert_false(sym.failed);
            if (sym.len > longest) longest = sym.len;
            if (sym.len > 80) {     /* wider than the formula column: each term printed whole */
                for (char *t = strtok(sym.s, " "); t; t = strtok(NULL, " ")) {
                    if (!strcmp(t, "+")) continue;
                    char term[160];
                    snprintf(term, sizeof term, "%s ", t);      /* then a space, not the next column's text */
                    const char *at = strstr(txt, term);
                    if (!at) snprintf(term, sizeof term, "%s\n", t), at = strstr(txt, term);
                    if (!at) fail_msg("%s: the term %s of a long formula is not printed whole:\n%s", f, t, txt);
                    terms++;
                }
            }
            sb_free(&sym);
        }
        free(txt);
    }
    assert_true(longest > 100);
    assert_true(terms >= 3 * 5);
    engine_result_free(&r);
    lesson_free(l);
    tmpdir_remove(dir);
}

/* Settings shows alpha and lambda whole, as the text trace states them
 * ("update (alpha = 0.001, lambda = 0.0005)"), whatever the digits: at
 * --digits 2 both read 0.00, on screen (gnumeric's displayed text) and on
 * LibreOffice's printout, as if the lesson did not train. */
static void test_rate_shown_whole(void **state)
{
    (void)state;
    char dir[64], cmd[3 * 4096 + 2048], nt[4096];
    assert_int_equal(tmpdir_make(dir, "rate"), 0);
    bin_abs(nt);
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s\n"
             "printf 'title small rate\\ninput 1\\nlayer logistic 2\\nweight w_0,2 = 0.1\\nweight w_1,2 = 0.2\\n"
             "loss sse\\nrate 0.001\\ndecay 0.0005\\nexample 0.5 -> 1\\ndigits 4\\n' > s.lesson\n"
             "%s xlsx s.lesson --digits 2 -o s.xlsx > /dev/null 2>&1\n"
             "ssconvert -S -T Gnumeric_stf:stf_assistant -O 'format=preserve separator=,' s.xlsx 's_%%n.csv' "
             "> /dev/null 2>&1\n"
             "HOME=%s timeout 600 soffice --headless --convert-to pdf s.xlsx > soffice.log 2>&1\n"
             "pdftotext -layout s.pdf s.txt\n"
             "grep -h '^\"learning rate\"\\|^\"weight decay\"' s_0.csv | cut -d, -f3\n"
             "grep -h '^ *learning rate\\|^ *weight decay' s.txt | awk '{print $4}'\n",
             dir, nt, dir);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, out);
    if (strcmp(out, "0.001\n0.0005\n0.001\n0.0005\n"))
        fail_msg("alpha and lambda on Settings (gnumeric shown, LibreOffice printed) are not 0.001 and 0.0005:\n%s", out);
    free(out);
    tmpdir_remove(dir);
}

/* Printed as a person reads it. LibreOffice prints the Settings sheet of
 * an exercise (a long bold note) and of a lesson with a Training sheet
 * (its table of settings on page 1 or, whole, on page 2) at full size (the text as high as on a plain sheet: a sentence wider than
 * the columns once shrank the page to half), every row's cells level with
 * each other (a label beside the top line of its wrapped meaning, not the
 * bottom one); perceptron-and's Settings say
 * the perceptron rule the engine used and the 24 steps it ran (not 80), its
 * Training page shows its whole title and heads the columns with the names
 * every row shares (w_0,3^(k), and J of step k beside the example's J);
 * gnumeric prints the longest quantity name of softmax-3class whole; an
 * exercise's blanks show the asked decimals (mazur: 4, its digits 9). */
static void test_print_as_read(void **state)
{
    (void)state;
    char dir[64], cmd[6 * 4096 + 1024], nt[4096], cwd[2048];
    assert_int_equal(tmpdir_make(dir, "read"), 0);
    bin_abs(nt);
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s\n"
             "L=%s/lessons\n"
             "%s xlsx $L/softmax-3class.lesson --exercise -o sx.xlsx; %s xlsx $L/perceptron-and.lesson -o pa.xlsx\n"
             "%s xlsx $L/softmax-3class.lesson -o sm.xlsx; %s xlsx $L/mazur-2-2-2.lesson --exercise -o mz.xlsx\n"
             "HOME=%s timeout 600 soffice --headless --convert-to pdf sx.xlsx pa.xlsx > soffice.log 2>&1\n"
             "for b in sx pa; do echo \"height $b $(pdftotext -f 1 -l 2 -bbox $b.pdf - | grep -m1 '>learning<' | "
             "sed 's/.*yMin=\"\\([0-9.]*\\)\".*yMax=\"\\([0-9.]*\\)\".*/\\1 \\2/' | awk '{print $2 - $1}')\"; done\n"
             "y() { pdftotext -f 1 -l 2 -bbox pa.pdf - | grep -m1 \">$1<\" | sed 's/.*yMin=\"\\([0-9.]*\\)\".*/\\1/'; }\n"
             "echo \"level $(y learning) $(y update:) $(y activations) $(y identity,)\"\n"
             "pdftotext -layout pa.pdf pa.txt\n"
             "x() { pdftotext -bbox pa.pdf - | grep -m1 \">$1<\" | sed 's/.*xMax=\"\\([0-9.]*\\)\".*/\\1/'; }\n"
             "echo \"title-right $(x 'quantities)') table-right $(x 'w_2,3^(k)')\"\n"
             "ssconvert sm.xlsx sm.pdf > /dev/null 2>&1; pdftotext -layout sm.pdf sm.txt\n"
             "unzip -p mz.xlsx xl/styles.xml | grep -o 'formatCode=\"[^\"]*\"' > mzfmt.txt\n",
             dir, cwd, nt, nt, nt, nt, dir);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, out);
    for (const char *b = "sx\0pa\0"; *b; b += 3) {
        char key[16];
        snprintf(key, sizeof key, "height %s ", b);
        const char *h = strstr(out, key);
        if (!h || atof(h + strlen(key)) < 13.0)
            fail_msg("%s: Settings printed smaller than full size (text %.1f pt high, full size 14)\n%s", b,
                     h ? atof(h + strlen(key)) : 0.0, out);
    }
    double yl = 0, yu = 0, ya = 0, yi = 0;          /* a Settings row's cells sit level: all top-aligned */
    const char *lv = strstr(out, "level ");
    if (!lv || sscanf(lv, "level %lf %lf %lf %lf", &yl, &yu, &ya, &yi) != 4 || fabs(yl - yu) > 1 || fabs(ya - yi) > 1)
        fail_msg("perceptron-and's Settings: a meaning is not level with its row's label (learning rate at %.1f pt, "
                 "its update rule at %.1f; activations at %.1f, their list at %.1f)\n%s", yl, yu, ya, yi, out);
    double tr = 0, tb = 0;                          /* the title ends within the printed table */
    const char *trp = strstr(out, "title-right ");
    if (!trp || sscanf(trp, "title-right %lf table-right %lf", &tr, &tb) != 2 || tr > tb + 1)
        fail_msg("perceptron-and's Training title runs past its printed columns (to %.0f pt, the table to %.0f)\n%s",
                 tr, tb, out);
    free(out);
    char path[128];
    snprintf(path, sizeof path, "%s/pa.txt", dir);
    char *pa = slurp(path, NULL);
    assert_non_null(pa);
    /* Settings (its first two pages): the rule and the steps the engine ran */
    if (!strstr(pa, "update: w_0,3^(1) = w_0,3 + alpha*(y_3 -") || strstr(pa, "alpha*dJ/dw"))
        fail_msg("perceptron-and's Settings do not state the perceptron rule:\n%s", pa);
    if (!strstr(pa, "stopped after 6 of")) fail_msg("no 'stopped after 6 of' (epochs) in\n%s", pa);
    const char *st = strstr(pa, "\nsteps ");           /* a row's line, or the first of a page */
    if (!st) st = strstr(pa, "\fsteps ");
    if (!st || atoi(st + 7 + strspn(st + 7, " ")) != 24) fail_msg("no 'steps 24' row in\n%s", pa);
    /* the Training page */
    char *tp = strstr(pa, "Training: steps");
    assert_non_null(tp);
    char *ff = strchr(tp, '\f');
    if (ff) *ff = '\0';
    const char *has[] = {"Training: steps 1 to 24 of 24", "w_0,3^(k)", "J of step k"};
    for (size_t k = 0; k < sizeof has / sizeof *has; k++)
        if (!strstr(tp, has[k])) fail_msg("Training page: no \"%s\" in\n%s", has[k], tp);
    if (strstr(tp, "w_0,3^(1)")) fail_msg("Training page: every row's header says w_0,3^(1):\n%s", tp);
    free(pa);
    struct { const char *file, *has; } want[] = {
        {"sm.txt", "W^[1]_1,1^(1) "},                 /* whole, a space before the next column */
        {"mzfmt.txt", "formatCode=\"0.0000\""},
    };
    for (size_t k = 0; k < sizeof want / sizeof *want; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, want[k].file);
        char *txt = slurp(path, NULL);
        assert_non_null(txt);
        if (!strstr(txt, want[k].has)) fail_msg("%s: no \"%s\" in\n%s", want[k].file, want[k].has, txt);
        free(txt);
    }
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formula_text),
        cmocka_unit_test(test_text_formula),
        cmocka_unit_test(test_every_lesson_recalculates),
        cmocka_unit_test(test_libreoffice_recalculates),
        cmocka_unit_test(test_substituted_bounded),
        cmocka_unit_test(test_every_activation_and_loss),
        cmocka_unit_test(test_ops_outside_engine),
        cmocka_unit_test(test_hand_rounded_reproduces_slide),
        cmocka_unit_test(test_hand_rounded_ties),
        cmocka_unit_test(test_tiny_values_in_e_notation),
        cmocka_unit_test(test_cached_values),
        cmocka_unit_test(test_edit_recomputes),
        cmocka_unit_test(test_tied_one_cell),
        cmocka_unit_test(test_training_live_after_alpha_edit),
        cmocka_unit_test(test_live_limit_stated),
        cmocka_unit_test(test_failed_write_keeps_existing_file),
        cmocka_unit_test(test_wrapped_rows_fit),
        cmocka_unit_test(test_long_formula_wraps),
        cmocka_unit_test(test_rate_shown_whole),
        cmocka_unit_test(test_reproducible),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_points_of_a_later_step),
        cmocka_unit_test(test_print_layout),
        cmocka_unit_test(test_print_as_read),
    };
    return cmocka_run_group_tests_name("xlsx", tests, NULL, NULL);
}
