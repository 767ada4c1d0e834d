/*
 * test_step.c - `nntrace step`: the session state machine on the lecture's
 * worked examples, a piped session, and key-by-key sessions on a
 * pseudo-terminal.
 *
 * Expected lines come from lecture 001, 07-2c ("Example: Making Predictions
 * Using Forward Propagation"): in_3 = 5*1 + 1*3 - 2*4 = 0, a_3 = 0.5,
 * in_4 = -1, a_4 ~ 0.27, in_5 = -1*1 + 4*0.5 + 2*0.27 = 1.54, a_5 ~ 0.82;
 * and 07-2a (one SGD step): in_3 = 0.1 + (0.1)(0.4) + (0.1)(0.5) = 0.19,
 * y - g(in_3) = 1 - 0.5474 = 0.4526.
 */
#define _XOPEN_SOURCE 700
#include "testutil.h"
#include "step_pty.h"

#include <dirent.h>

#include "engine.h"
#include "base/escape.h"
#include "lesson.h"
#include "netdraw.h"
#include "step.h"

typedef struct {
    lesson *l;
    engine_result r;
    step_session *s;
    strbuf out;
} fx;

static fx *fx_open(const char *path)
{
    char err[512];
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->l = lesson_load(path, err, sizeof err);
    if (!f->l) fail_msg("%s", err);
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    assert_int_equal(engine_run(f->l, &eo, &f->r, err, sizeof err), 0);
    step_style st = {.digits = f->l->digits, .l = f->l, .notation = NOTATION_VA};
    f->s = step_new(f->l, f->r.tr, &st);
    assert_non_null(f->s);
    return f;
}

static void fx_close(fx *f)
{
    step_free(f->s);
    engine_result_free(&f->r);
    lesson_free(f->l);
    sb_free(&f->out);
    free(f);
}

/* Run one command and return what it put on the screen. */
static const char *cmd(fx *f, step_cmd c, const char *name)
{
    f->out.len = 0;
    if (f->out.s) f->out.s[0] = '\0';
    step_do(f->s, c, name, &f->out);
    assert_false(f->out.failed);
    return f->out.s ? f->out.s : "";
}

#define assert_has(hay, needle) do { \
        if (!strstr((hay), (needle))) fail_msg("expected \"%s\" in:\n%s", (needle), (hay)); \
    } while (0)
#define assert_hasnt(hay, needle) do { \
        if (strstr((hay), (needle))) fail_msg("did not expect \"%s\" in:\n%s", (needle), (hay)); \
    } while (0)

/* ------------------------------------------------------------------------
 * The session
 * ---------------------------------------------------------------------- */

static void test_opening_shows_title_network_given(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/sauppe-forward.lesson");
    step_opening(f->s, &f->out);
    const char *o = f->out.s;
    assert_has(o, "sauppe-forward: Forward propagation through a 2-2-1 network");
    assert_has(o, "source: CS 457/557 Lecture 07-2c");
    /* the drawing: layers as columns, arcs by source, the bias noted, each
     * neuron named as the trace names it (001: a_1 = x_1) */
    assert_has(o, "  bias a_0 = 1\n");
    assert_has(o, "  a_1 = x_1      a_0, a_1, a_2 -> a_3   a_0, a_3, a_4 -> a_5\n");
    assert_has(o, "  a_2 = x_2      a_0, a_1, a_2 -> a_4\n");
    assert_has(o, "layer 1: logistic");
    /* the given weights of the slide, then the first quantity only */
    assert_has(o, "\ngiven\n  a_0 = 1\n  w_0,3 = 5\n  w_1,3 = 1\n  w_2,3 = -2\n");
    assert_has(o, "forward pass\n forward\n  a_1 = x_1 = 3\n");     /* 001: a_1 = x_1 = 3 */
    assert_hasnt(o, "x_2 = 4");
    fx_close(f);
    /* in Unicode the lesson's notes read as the trace: 07-2a's Delta_3 is
     * the trace's Δ₃, whole, not Delta₃ beside ∂J/∂w */
    f = fx_open("lessons/sauppe-sgd-step.lesson");
    step_free(f->s);
    step_style st = {.digits = f->l->digits, .l = f->l, .notation = NOTATION_VA, .unicode = 1};
    f->s = step_new(f->l, f->r.tr, &st);
    assert_non_null(f->s);
    step_opening(f->s, &f->out);
    assert_has(f->out.s, "note: Update w <- w - \u03b1\u00b7\u2202J/\u2202w with \u2202J/\u2202w = "
                         "\u0394\u2083 a_i and \u0394\u2083 = -2 (y - a\u2083) g'(in\u2083),\n");
    fx_close(f);
}

static void test_next_reveals_symbolic_then_numbers_then_value(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/sauppe-forward.lesson");
    step_opening(f->s, &f->out);
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "  a_2 = x_2 = 4\n");
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "  in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2\n");
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "       = 5*1 + 1*3 + (-2)*4\n");
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "       = 0\n");
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "  a_3 = g(in_3) = 1/(1+exp(-in_3))\n");
    cmd(f, STEP_NEXT, NULL);
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "      = 0.5\n");
    /* the slide carries a_4 ~ 0.27 into in_5 = 1.54 */
    assert_has(cmd(f, STEP_GOTO, "in_5"), "  in_5 = w_0,5*a_0 + w_3,5*a_3 + w_4,5*a_4\n");
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "       = (-1)*1 + 4*0.5 + 2*0.27\n");
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "       = 1.54\n");
    cmd(f, STEP_NEXT, NULL);
    cmd(f, STEP_NEXT, NULL);
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "      ~ 0.82\n");
    assert_true(step_at_end(f->s));
    assert_has(cmd(f, STEP_NEXT, NULL), "(end of the trace");
    fx_close(f);
}

static void test_back_goes_one_stage_and_rewinds(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/sauppe-forward.lesson");
    step_opening(f->s, &f->out);
    for (int k = 0; k < 4; k++) cmd(f, STEP_NEXT, NULL);      /* in_3 = ... = 0 */
    f->out.len = 0;
    assert_int_equal(step_do(f->s, STEP_BACK, NULL, &f->out), STEP_REDRAWS);
    /* no copy of the lines: one line saying where, and the screen redrawn */
    assert_string_equal(f->out.s, "(back to in_3, line 2 of 3)\n");
    f->out.len = 0;
    step_screen(f->s, &f->out, 40, 200);
    const char *o = f->out.s;
    assert_has(o, "sauppe-forward: Forward propagation");            /* from the start */
    const char *end = "forward pass\n forward\n  a_1 = x_1 = 3\n  a_2 = x_2 = 4\n"
                      "  in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2\n       = 5*1 + 1*3 + (-2)*4\n";
    assert_has(o, end);
    assert_string_equal(o + strlen(o) - strlen(end), end);          /* the screen ends there */
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "       = 0\n");
    /* back over an item boundary lands on the last stage of the one before */
    cmd(f, STEP_NEXT, NULL);                                    /* a_3 symbolic */
    assert_string_equal(cmd(f, STEP_BACK, NULL), "(back to in_3, line 3 of 3)\n");
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "  a_3 = g(in_3) = 1/(1+exp(-in_3))\n");
    /* a small screen: the last rows - 1 rows, a long line counted as the
     * rows it wraps to (in_3's symbolic line is 43 columns: 3 rows of 20) */
    f->out.len = 0;
    step_screen(f->s, &f->out, 6, 20);
    assert_string_equal(f->out.s, "       = 5*1 + 1*3 + (-2)*4\n       = 0\n"
                                  "  a_3 = g(in_3) = 1/(1+exp(-in_3))\n");
    f->out.len = 0;
    step_screen(f->s, &f->out, 6, 200);
    assert_string_equal(f->out.s, "  a_2 = x_2 = 4\n  in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2\n"
                                  "       = 5*1 + 1*3 + (-2)*4\n       = 0\n"
                                  "  a_3 = g(in_3) = 1/(1+exp(-in_3))\n");
    /* and not before the start */
    cmd(f, STEP_RESTART, NULL);
    for (int k = 0; k < 3; k++) cmd(f, STEP_BACK, NULL);
    assert_has(cmd(f, STEP_BACK, NULL), "(at the start)");
    fx_close(f);
}

/* g NAME: its lines for a pipe, and a redraw for a terminal, whose screen
 * is then the trace up to the quantity, every line before it there; a
 * name it does not know gets suggestions as they are typed, in ASCII
 * even in the Unicode style (with the Unicode form after each). */
static void test_goto_redraws_the_trace_up_to_there(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/sauppe-sgd-step.lesson");
    step_opening(f->s, &f->out);
    f->out.len = 0;
    assert_int_equal(step_do(f->s, STEP_GOTO, "w_1,3^(1)", &f->out), STEP_REDRAWS);
    assert_has(f->out.s, "  w_1,3^(1) = w_1,3 - alpha*dJ/dw_1,3\n");
    f->out.len = 0;
    step_screen(f->s, &f->out, 200, 200);
    const char *o = f->out.s;
    /* 07-2a: the loss, the backward pass and w_0,3's update come first */
    assert_has(o, " backward\n");
    assert_has(o, "  w_0,3^(1) = w_0,3 - alpha*dJ/dw_0,3\n");
    const char *end = "  w_1,3^(1) = w_1,3 - alpha*dJ/dw_1,3\n";
    assert_string_equal(o + strlen(o) - strlen(end), end);
    step_free(f->s);
    step_style st = {.digits = f->l->digits, .unicode = 1, .l = f->l, .notation = NOTATION_VA};
    f->s = step_new(f->l, f->r.tr, &st);
    assert_non_null(f->s);
    f->out.len = 0;
    assert_int_equal(step_do(f->s, STEP_GOTO, "a3", &f->out), STEP_BAD);
    assert_has(f->out.s, "did you mean a_3 (a\u2083)?");
    fx_close(f);
}

/* On a terminal (a width set) formulas are broken at their operators to
 * fit, as run breaks them; from a pipe (no width) never. */
static void test_formulas_fit_the_terminal(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/mazur-2-2-2.lesson");
    step_opening(f->s, &f->out);
    cmd(f, STEP_GOTO, "net_o1");
    const char *o = cmd(f, STEP_NEXT, NULL);
    assert_string_equal(o, "        = 0.6*1 + 0.4*0.593269992 + 0.45*0.596884378\n");
    step_set_width(f->s, 40);
    cmd(f, STEP_BACK, NULL);
    o = cmd(f, STEP_NEXT, NULL);
    /* Mazur: net_o1 = 0.4*0.593269992 + 0.45*0.596884378 + 0.6*1 */
    assert_string_equal(o, "        = 0.6*1 + 0.4*0.593269992\n"
                           "        + 0.45*0.596884378\n");
    f->out.len = 0;
    step_screen(f->s, &f->out, 200, 40);
    /* every line of the trace (the opening's prose and drawing aside) */
    const char *trace = strstr(f->out.s, "\n forward\n");
    assert_non_null(trace);
    for (const char *line = trace + 1; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0))
        if (strcspn(line, "\n") > 40) fail_msg("wider than 40 columns: %.*s", (int)strcspn(line, "\n"), line);
    fx_close(f);
    /* and the opening's prose is broken at its spaces, under its text */
    f = fx_open("lessons/sauppe-forward.lesson");
    step_set_width(f->s, 60);
    step_opening(f->s, &f->out);
    assert_has(f->out.s, "source: CS 457/557 Lecture 07-2c, \"Example: Making\n"
                         "        Predictions Using Forward Propagation\"\n");
    assert_has(f->out.s, "note: The slide rounds a_4 = 0.2689 to 0.27 before using it,\n"
                         "      so in_5 = 1.54, not 1.5379.\n");
    assert_has(f->out.s, "hand-rounded: every operand is rounded to 2 decimals before\n"
                         "              use, as on a calculator\n");
    assert_has(f->out.s, "network: each layer; beside each neuron, the neurons its\n"
                         "         arcs come from\n");
    fx_close(f);
}

/* A note on a terminal (a name g cannot go to, the end) is broken at its
 * spaces within the width, its words all there; it was cut mid-word by
 * the terminal ("...of this le\nsson's trace..."). */
static void test_notes_fit_the_terminal(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/sauppe-multiclass-regression.lesson");
    step_set_width(f->s, 40);
    step_opening(f->s, &f->out);
    const char *o = cmd(f, STEP_GOTO, "in_3^(1)");
    assert_has(o, "did you mean in_3?");
    assert_has(o, "('in_3^(1)' names no quantity of this\n lesson's trace at this iteration ^(t)\n");
    for (const char *line = o; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0))
        if (strcspn(line, "\n") > 40) fail_msg("wider than 40 columns: %.*s", (int)strcspn(line, "\n"), line);
    step_set_width(f->s, 0);                       /* from a pipe: one line, as before */
    o = cmd(f, STEP_GOTO, "in_3^(1)");
    assert_has(o, "names no quantity of this lesson's trace at this iteration");
    fx_close(f);
}

/* Columns of a line that could have been broken (a blank after its
 * indent and its leading operator), else 0: a single long word (a web
 * address) or a continuation "= 1/(1+exp(-z^[1]_1^(1)[1]))" cannot be. */
static size_t breakable_cols(const char *line, size_t n)
{
    size_t lead = strspn(line, " ");
    if (lead + 1 < n && strchr("=+-~", line[lead]) && line[lead + 1] == ' ') lead += 2;
    if (lead >= n || !memchr(line + lead, ' ', n - lead)) return 0;
    return esc_cols(line, n);
}

/* On a 40-column terminal every line of every lesson's screen, stepped to
 * the end in every notation, in ASCII and Unicode, fits: formulas,
 * and the headings too (init-and-normalise's " input normalisation
 * (z-score over the 4 examples)", 07-2a's "forward pass with the weights
 * after step 1 (t = 1)"), broken at their spaces as run breaks them. */
static void test_every_lesson_fits_40_columns(void **state)
{
    (void)state;
    DIR *d = opendir("lessons");
    assert_non_null(d);
    int n_lessons = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 8 || strcmp(e->d_name + len - 7, ".lesson")) continue;
        char path[512], err[512];
        snprintf(path, sizeof path, "lessons/%s", e->d_name);
        lesson *l = lesson_load(path, err, sizeof err);
        if (!l) fail_msg("%s", err);
        engine_opts eo = {.round = ENGINE_ROUND_LESSON};
        engine_result r;
        assert_int_equal(engine_run(l, &eo, &r, err, sizeof err), 0);
        for (int nt = 0; nt < NOTATION_COUNT; nt++) {
            step_style st = {.digits = l->digits, .l = l, .notation = nt, .unicode = nt % 2, .width = 40};
            step_session *s = step_new(l, r.tr, &st);
            assert_non_null(s);
            strbuf out = {0};
            step_opening(s, &out);
            for (size_t guard = 0; !step_at_end(s) && guard < 100000; guard++) step_do(s, STEP_NEXT, NULL, &out);
            out.len = 0;
            step_screen(s, &out, 1000000, 40);
            assert_false(out.failed);
            for (const char *line = out.s; *line;) {
                size_t n = strcspn(line, "\n");
                if (breakable_cols(line, n) > 40)
                    fail_msg("%s (%s): wider than 40 columns: %.*s", path, lesson_notation_name(nt), (int)n, line);
                line += n + (line[n] == '\n');
            }
            sb_free(&out);
            step_free(s);
        }
        engine_result_free(&r);
        lesson_free(l);
        n_lessons++;
    }
    closedir(d);
    assert_true(n_lessons >= 20);
}

/* The drawing names every neuron as the lesson's trace does, in its own
 * notation, and tags none with a number the notation does not write:
 * Mazur's (002) i1, out_h1 (not "(3 h1)"), the layer notation's x_1 and
 * a^[1]_1 (000), the bars' y_2 (004). In Unicode the arrows of a column
 * stay in line; on a terminal too narrow for the columns, the layers are
 * put one below the other, no line wider than the terminal. */
static void test_drawing_names_neurons_as_the_trace(void **state)
{
    (void)state;
    static const struct { const char *path; const char *rows[3]; } CASE[] = {
        {"lessons/mazur-2-2-2.lesson", {"\n  i1  ", "a_0, i1, i2 -> out_h1   a_0, out_h1, out_h2 -> out_o1\n",
                                        "a_0, i1, i2 -> out_h2   a_0, out_h1, out_h2 -> out_o2\n"}},
        {"lessons/bce-3layer.lesson", {"\n  x_1  ", "a_0, x_1 -> a^[1]_1   a_0, a^[1]_1 -> a^[2]_1", "-> a^[3]_1\n"}},
        {"lessons/csc413-logistic-least-squares.lesson", {"\n  x_1  ", "a_0, x_1 -> y_2\n", "bias a_0 = 1"}},
    };
    char err[512];
    for (size_t k = 0; k < sizeof CASE / sizeof CASE[0]; k++) {
        lesson *l = lesson_load(CASE[k].path, err, sizeof err);
        if (!l) fail_msg("%s", err);
        strbuf b = {0};
        assert_int_equal(netdraw_terminal(&b, l, l->notation, 0, 0), 0);
        for (int r = 0; r < 3; r++) assert_has(b.s, CASE[k].rows[r]);
        for (const char *p = b.s; (p = strchr(p, '(')); p++)      /* no "(3)", "(3 h1)" */
            if (p[1] >= '0' && p[1] <= '9') fail_msg("a neuron number in:\n%s", b.s);
        sb_free(&b);
        lesson_free(l);
    }

    lesson *l = lesson_load("lessons/mazur-2-2-2.lesson", err, sizeof err);
    if (!l) fail_msg("%s", err);
    strbuf b = {0};
    assert_int_equal(netdraw_terminal(&b, l, l->notation, 1, 0), 0);
    assert_has(b.s, "  bias a\u2080 = 1\n");
    /* the arrows of each column at one display column on every row */
    size_t at[2][2] = {{0}}, rows = 0;
    for (const char *line = b.s; *line; line += strcspn(line, "\n") + 1) {
        const char *a = strstr(line, "\u2500\u25b6"), *nl = line + strcspn(line, "\n");
        if (!a || a > nl) continue;
        const char *a2 = strstr(a + 1, "\u2500\u25b6");
        size_t c1 = esc_cols(line, (size_t)(a - line)), c2 = a2 && a2 < nl ? esc_cols(line, (size_t)(a2 - line)) : 0;
        assert_true(rows < 2);
        at[rows][0] = c1;
        at[rows++][1] = c2;
    }
    assert_int_equal(rows, 2);
    assert_int_equal(at[0][0], at[1][0]);
    assert_int_equal(at[0][1], at[1][1]);
    sb_free(&b);

    /* 40 columns: stacked, every line within them */
    assert_int_equal(netdraw_terminal(&b, l, l->notation, 0, 40), 0);
    assert_has(b.s, "\n  layer 1: logistic\n    a_0, i1, i2 -> out_h1\n    a_0, i1, i2 -> out_h2\n"
                    "  output layer 2: logistic\n    a_0, out_h1, out_h2 -> out_o1\n");
    for (const char *line = b.s; *line; line += strcspn(line, "\n") + 1)
        if (strcspn(line, "\n") > 40) fail_msg("wider than 40 columns: %.*s", (int)strcspn(line, "\n"), line);
    sb_free(&b);
    lesson_free(l);
}

/* Numbers substituted that are the value itself are not a stage of their
 * own: an identity neuron's a_3 = g(in_3) = (-1) is g(in_3), then -1. */
static void test_value_said_once(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/batchnorm-forward.lesson");
    step_opening(f->s, &f->out);
    assert_has(cmd(f, STEP_GOTO, "a_3[1]"), "  a_3[1] = g(in_3[1])\n");
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "         = -1\n");
    assert_hasnt(cmd(f, STEP_NEXT, NULL), "= -1");               /* the next quantity */
    fx_close(f);
}

/* Past the end, the end is said once (until the position moves). */
static void test_end_is_said_once(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/sauppe-forward.lesson");
    step_opening(f->s, &f->out);
    while (!step_at_end(f->s)) cmd(f, STEP_NEXT, NULL);
    assert_has(cmd(f, STEP_NEXT, NULL), "(end of the trace");
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "");
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "");
    cmd(f, STEP_BACK, NULL);
    cmd(f, STEP_NEXT, NULL);
    assert_has(cmd(f, STEP_NEXT, NULL), "(end of the trace");
    fx_close(f);
}

/* Columns of the first n bytes of s (UTF-8 characters). */
static size_t step_width_n(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

/* The help names every key of the table, and the table drives the keys. */
static void test_help_lists_every_key(void **state)
{
    (void)state;
    strbuf h = {0};
    step_help(&h, 0);
    /* within an 80-column terminal, each row's text broken at a space */
    for (const char *line = h.s; *line; line += strcspn(line, "\n") + 1)
        assert_true(step_width_n(line, strcspn(line, "\n")) <= 79);
    for (size_t k = 0; k < STEP_N_KEYS; k++) {
        assert_has(h.s, STEP_KEYS[k].shown);
        char words[256];
        snprintf(words, sizeof words, "%s", STEP_KEYS[k].what);
        for (char *w = strtok(words, " "); w; w = strtok(NULL, " ")) assert_has(h.s, w);
        int known;
        for (const char *c = STEP_KEYS[k].bytes; *c; c++) {
            assert_int_equal(step_key_cmd((unsigned char)*c, 0, &known), STEP_KEYS[k].cmd);
            assert_true(known);
        }
        for (const char *c = STEP_KEYS[k].arrows; *c; c++) {
            assert_int_equal(step_key_cmd((unsigned char)*c, 1, &known), STEP_KEYS[k].cmd);
            assert_true(known);
        }
    }
    const char *names[] = {"Enter", "Right", "Down", "Left", "Up", "Ctrl-L", "Ctrl-Z", "Ctrl-C",
                           "Ctrl-D", "g NAME", "?"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) assert_has(h.s, names[k]);
    /* on a narrower terminal within its width, every word still there;
     * below 56 columns each row's text under its keys */
    static const int widths[] = {60, 40};
    for (size_t n = 0; n < 2; n++) {
        strbuf t = {0};
        step_help(&t, widths[n]);
        for (const char *line = t.s; *line; line += strcspn(line, "\n") + 1)
            if (step_width_n(line, strcspn(line, "\n")) > (size_t)widths[n] - 1)
                fail_msg("wider than %d columns: %.*s", widths[n] - 1, (int)strcspn(line, "\n"), line);
        for (size_t k = 0; k < STEP_N_KEYS; k++) {
            char words[256];
            snprintf(words, sizeof words, "%s", STEP_KEYS[k].what);
            for (char *w = strtok(words, " "); w; w = strtok(NULL, " ")) assert_has(t.s, w);
        }
        sb_free(&t);
    }
    strbuf t = {0};
    step_help(&t, 40);
    assert_has(t.s, "\n  g NAME\n      go to a quantity:");
    sb_free(&t);
    int known;
    step_key_cmd('z', 0, &known);
    assert_false(known);
    step_key_cmd('z', 1, &known);
    assert_false(known);
    sb_free(&h);
}

static void test_goto_accepts_labels_and_aliases(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/mazur-2-2-2.lesson");
    step_opening(f->s, &f->out);
    /* a_3 is a_h1 by the lesson's label (va shows the labels); full context is shown */
    const char *o = cmd(f, STEP_GOTO, "a_3");
    assert_has(o, "step 1 (t = 0)\n forward\n  a_h1 = g(in_h1)");
    /* dJ/dw5 is the gradient of the alias w5 = w_3,5 */
    o = cmd(f, STEP_GOTO, "dJ/dw5");
    assert_has(o, " gradients\n  dJ/dw_h1,o1 = delta_o1*din_o1/dw_h1,o1\n");    /* the lesson shows its chain factors */
    /* Mazur's dE/dw5 = 0.082167041 */
    cmd(f, STEP_NEXT, NULL);
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "              = 0.082167041\n");
    assert_has(cmd(f, STEP_GOTO, "nonsense"), "('nonsense' names no quantity of this lesson)");
    assert_has(cmd(f, STEP_GOTO, "a_h3"), "('a_h3' names no quantity of this lesson; did you mean a_h1?)");
    assert_has(cmd(f, STEP_GOTO, ""), "(go to which quantity?");
    fx_close(f);
}

static void test_pass_jumps_to_the_next_pass(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/sauppe-sgd-step.lesson");
    step_opening(f->s, &f->out);
    assert_string_equal(cmd(f, STEP_PASS, NULL), "\nstep 1 (t = 0)\n loss\n  y_3 = 1\n");
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "  err_3 = y_3 - a_3\n");
    /* the slide: (y - g(in_3)) = (1 - 0.5474) = 0.4526 */
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "        = 1 - 0.5474\n");
    assert_string_equal(cmd(f, STEP_NEXT, NULL), "        = 0.4526\n");
    assert_has(cmd(f, STEP_PASS, NULL), " backward\n  g'(in_3) = a_3*(1-a_3)\n");
    assert_has(cmd(f, STEP_PASS, NULL), " gradients\n");
    assert_has(cmd(f, STEP_PASS, NULL), " update (alpha = 0.5)\n  w_0,3^(1) = w_0,3 - alpha*dJ/dw_0,3\n");
    assert_has(cmd(f, STEP_PASS, NULL), "forward pass with the weights after step 1 (t = 1)\n forward\n");
    fx_close(f);
}

static void test_help_and_quit(void **state)
{
    (void)state;
    fx *f = fx_open("lessons/sauppe-forward.lesson");
    step_opening(f->s, &f->out);
    assert_has(cmd(f, STEP_HELP, NULL), "g NAME");
    f->out.len = 0;
    assert_int_equal(step_do(f->s, STEP_QUIT, NULL, &f->out), 1);
    assert_int_equal(step_do(f->s, STEP_NEXT, NULL, &f->out), 0);
    fx_close(f);
}

/* Every lesson can be stepped from start to end. */
static void test_every_lesson_steps_to_the_end(void **state)
{
    (void)state;
    const char *ls[] = {"lessons/sauppe-forward.lesson", "lessons/sauppe-sgd-step.lesson",
                        "lessons/mazur-2-2-2.lesson"};
    for (size_t k = 0; k < sizeof ls / sizeof *ls; k++) {
        fx *f = fx_open(ls[k]);
        step_opening(f->s, &f->out);
        size_t guard = 0;
        while (!step_at_end(f->s) && guard++ < 100000) cmd(f, STEP_NEXT, NULL);
        assert_true(step_at_end(f->s));
        fx_close(f);
    }
}

/* ------------------------------------------------------------------------
 * The binary: piped input, then a pseudo-terminal
 * ---------------------------------------------------------------------- */



static void test_piped_session_has_no_prompts(void **state)
{
    (void)state;
    int st;
    char *o = run_piped("\n\nn\nn\nb\ng a_5\nq\n", "step lessons/sauppe-forward.lesson", &st);
    assert_int_equal(st, 0);
    /* b on a pipe: one line saying where, no copies */
    assert_has(o, "  a_2 = x_2 = 4\n  in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2\n       = 5*1 + 1*3 + (-2)*4\n"
                  "       = 0\n(back to in_3, line 2 of 3)\n\n");
    assert_has(o, "\nforward pass\n forward\n  a_5 = g(in_5) = 1/(1+exp(-in_5))\n");
    /* no prompt, no escape sequence, no carriage return */
    assert_hasnt(o, "\033");
    assert_hasnt(o, "\r");
    assert_hasnt(o, "Enter next  b back");
    free(o);
    /* end of input quits cleanly too */
    o = run_piped("n\n", "step lessons/sauppe-sgd-step.lesson", &st);
    assert_int_equal(st, 0);
    assert_has(o, "x_2 = 0.5\n");
    free(o);
    o = run_piped("", "step lessons/no-such.lesson", &st);
    assert_int_equal(st, 2);
    free(o);
    o = run_piped("", "step", &st);
    assert_int_equal(st, 2);
    free(o);
}

/* A script with bad commands: each is told on stderr with its line and what
 * was wrong (a did-you-mean for a name), the rest still runs, and the exit
 * status is 2. (On a terminal the same keys only get a note: the pty tests.) */
static void test_piped_bad_commands_exit_2(void **state)
{
    (void)state;
    int st;
    char *o = run_piped("n\ng zzz\nx\ng a_h3\ng\ng a_5\nq\n", "step lessons/sauppe-forward.lesson", &st);
    assert_int_equal(st, 2);
    assert_has(o, "stdin:2: 'zzz' names no quantity of this lesson\n");
    assert_has(o, "stdin:3: key 'x' means nothing here: ? for help\n");
    assert_has(o, "stdin:5: go to which quantity? g NAME, e.g. g in_3\n");
    assert_has(o, "a_5 = g(in_5)");                          /* went on after them */
    assert_hasnt(o, "(key 'x'");                              /* said once, where it belongs */
    free(o);
    /* a word is not a command: its line is skipped whole, said once */
    o = run_piped("next\nnn\n", "step lessons/sauppe-forward.lesson", &st);
    assert_int_equal(st, 2);
    assert_has(o, "stdin:1: 'next': key 'e' means nothing here: ? for help; the line was skipped");
    assert_hasnt(o, "key 'x'");
    assert_hasnt(o, "stdin:1: key");
    assert_has(o, "  a_2 = x_2 = 4\n  in_3 = w_0,3*a_0");       /* line 2: two steps only */
    assert_hasnt(o, "= 5*1 + 1*3");
    free(o);
    o = run_piped("g a_h3\n", "step lessons/mazur-2-2-2.lesson", &st);
    assert_int_equal(st, 2);
    assert_has(o, "stdin:1: 'a_h3' names no quantity of this lesson; did you mean a_h1");
    free(o);
}

static void test_pty_keys_act_at_once(void **state)
{
    (void)state;
    pty_session *p = malloc(sizeof *p);
    assert_non_null(p);
    char *argv[] = {"nntrace", "step", "lessons/sauppe-forward.lesson", NULL};
    assert_int_equal(pty_start(p, bin(), argv, NULL), 0);
    assert_true(pty_expect(p, "a_1 = x_1 = 3", PTY_WAIT_MS));
    assert_true(pty_expect(p, "[1/", PTY_WAIT_MS));                  /* the prompt, on a terminal */
    /* colour on a terminal: the name in cyan */
    assert_non_null(strstr(p->raw, "\033[36ma_1\033[0m"));
    pty_mark(p);
    pty_send(p, "n");                                          /* one key, no Enter */
    assert_true(pty_expect(p, "x_2 = 4", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "\r");                                         /* Enter */
    assert_true(pty_expect(p, "in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, " ");
    assert_true(pty_expect(p, "= 5*1 + 1*3 + (-2)*4", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "g");
    assert_true(pty_expect(p, "go to: ", PTY_WAIT_MS));
    pty_send(p, "a_4\n");
    assert_true(pty_expect(p, "a_4 = g(in_4)", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "\033[C");                                     /* right arrow: next */
    assert_true(pty_expect(p, "= 1/(1+exp(-(-1)))", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "?");
    assert_true(pty_expect(p, "g NAME", PTY_WAIT_MS));
    pty_send(p, "q");
    assert_int_equal(pty_finish(p, PTY_WAIT_MS), 0);
    free(p);
}

/* Keys that arrive together, as a paste or a fast typist sends them: `g`,
 * the name and Enter in one write go to the name; the name is echoed and
 * Backspace edits it. An escape sequence (Home, PgUp, Delete, F1) is one
 * key: one message each, never one per byte. */
/* A dumb terminal (TERM=dumb: Emacs's shell, an IDE's run pane) takes no
 * cursor controls: step writes none (no erasable prompt, no clearing
 * redraw) and says where b went, as from a pipe; keys still act at once.
 * The quiz the same, with a resize while an answer is typed. Before, a
 * dumb terminal showed ^[[K and ^[[H^[[2J among the lines. */
static void test_pty_dumb_terminal(void **state)
{
    (void)state;
    pty_session *p = malloc(sizeof *p);
    assert_non_null(p);
    const char *dumb[] = {"TERM=dumb", NULL};
    char *argv[] = {"nntrace", "step", "lessons/sauppe-forward.lesson", NULL};
    assert_int_equal(pty_start(p, bin(), argv, dumb), 0);
    assert_true(pty_expect(p, "a_1 = x_1 = 3", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "nn");
    assert_true(pty_expect(p, "in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "b");
    assert_true(pty_expect(p, "(back to x_2)", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "\014");                                       /* Ctrl-L */
    (void)ioctl(p->master, TIOCSWINSZ, &(struct winsize){30, 60, 0, 0});
    pty_send(p, "n");
    assert_true(pty_expect(p, "in_3 = w_0,3*a_0", PTY_WAIT_MS));
    pty_send(p, "q");
    assert_int_equal(pty_finish(p, PTY_WAIT_MS), 0);
    if (strchr(p->raw, '\033')) fail_msg("escape bytes on a dumb terminal:\n%s", p->raw);
    char *qargv[] = {"nntrace", "quiz", "lessons/sauppe-forward.lesson", "--ask", "in_3 a_3", NULL};
    assert_int_equal(pty_start(p, bin(), qargv, dumb), 0);
    assert_true(pty_expect(p, "in_3 = ? ", PTY_WAIT_MS));
    pty_send(p, "0.");
    (void)ioctl(p->master, TIOCSWINSZ, &(struct winsize){30, 60, 0, 0});
    kill(p->pid, SIGWINCH);
    assert_true(pty_expect(p, "in_3 = ? 0.", PTY_WAIT_MS));
    pty_send(p, "0\r");
    assert_true(pty_expect(p, "right", PTY_WAIT_MS));
    pty_send(p, "q\r");
    int qs = pty_finish(p, PTY_WAIT_MS);
    if (qs != 1) fail_msg("quiz ended with %d, not 1:\n%s", qs, p->raw);
    if (strchr(p->raw, '\033')) fail_msg("escape bytes on a dumb terminal:\n%s", p->raw);
    free(p);
}

/* On a 40-column terminal a key that means nothing is said within the
 * width, broken at a space: "(that key means nothing here: ? for help)"
 * is 41 columns. */
static void test_pty_bad_key_note_fits(void **state)
{
    (void)state;
    pty_session *p = malloc(sizeof *p);
    assert_non_null(p);
    char *argv[] = {"nntrace", "step", "lessons/sauppe-forward.lesson", NULL};
    assert_int_equal(pty_start_size(p, bin(), argv, NULL, 30, 40), 0);
    assert_true(pty_expect(p, "a_1 = x_1 = 3", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "\033OP");                                    /* F1 */
    assert_true(pty_expect(p, "(that key means nothing here: ? for\n help)\n", PTY_WAIT_MS));
    pty_send(p, "q");
    assert_int_equal(pty_finish(p, PTY_WAIT_MS), 0);
    free(p);
}

/* `nntrace step L | head -c 1`: head gone, the next key's output meets a
 * broken pipe; the terminal is restored before nntrace ends by SIGPIPE,
 * silently. Before, SIGPIPE killed it in key mode, and a shell that does
 * not reset the terminal (sh, a script) was left without echo or lines.
 * The quiz the same. */
static void test_pty_broken_pipe_restores(void **state)
{
    (void)state;
    static const char *const CMDS[] = {"step lessons/sauppe-forward.lesson", "quiz lessons/sauppe-forward.lesson"};
    for (size_t k = 0; k < sizeof CMDS / sizeof CMDS[0]; k++) {
        pty_session *p = malloc(sizeof *p);
        assert_non_null(p);
        char shcmd[2048];
        snprintf(shcmd, sizeof shcmd,
                 "%s %s 2>err.$$ | head -c 1; echo; echo \"[$(cat err.$$)]\"; rm -f err.$$; "
                 "stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' +; echo @@",
                 bin(), CMDS[k]);
        char *argv[] = {"sh", "-c", shcmd, NULL};
        assert_int_equal(pty_start(p, "/bin/sh", argv, NULL), 0);
        assert_true(pty_expect(p, "s", PTY_WAIT_MS));          /* head's one byte, then it ends */
        int done = 0;
        for (int tries = 0; tries < 20 && !done; tries++) {
            pty_send(p, k == 0 ? "n" : "1\r");                 /* output into the broken pipe */
            done = pty_expect(p, "@@", 500);
        }
        assert_true(done);
        assert_int_equal(pty_finish(p, PTY_WAIT_MS), 0);
        if (!strstr(p->screen, "icanon+echo+@@") || !strstr(p->screen, "[]"))
            fail_msg("%s | head: the terminal after (want icanon+echo+, no message):\n%s", CMDS[k], p->screen);
        free(p);
    }
}

static void test_pty_keys_together(void **state)
{
    (void)state;
    pty_session *p = malloc(sizeof *p);
    assert_non_null(p);
    char *argv[] = {"nntrace", "step", "lessons/sauppe-forward.lesson", NULL};
    assert_int_equal(pty_start(p, bin(), argv, NULL), 0);
    assert_true(pty_expect(p, "[1/", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "gin_3\r");                                    /* one write, CR as a terminal sends */
    assert_true(pty_expect(p, "go to: in_3\n", PTY_WAIT_MS));
    assert_true(pty_expect(p, "in_3 = w_0,3*a_0 + w_1,3*a_1 + w_2,3*a_2", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "ga_44\177\r");                                /* a typo, Backspace, Enter */
    assert_true(pty_expect(p, "a_4 = g(in_4)", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "\033[H\033[5~\033[3~\033OP\033[1;5C?");        /* Home, PgUp, Delete, F1, Ctrl-Right */
    assert_true(pty_expect(p, "g NAME", PTY_WAIT_MS));
    const char *m = p->screen + p->mark, *at = m;
    int n = 0;
    while ((at = strstr(at, "(that key means nothing here")) != NULL) { n++; at++; }
    if (n != 5 || strstr(m, "key '"))
        fail_msg("expected five messages and no key-by-byte ones:\n%s", m);
    pty_send(p, "q");
    assert_int_equal(pty_finish(p, PTY_WAIT_MS), 0);
    free(p);
}

static void test_pty_no_color_and_ctrl_c(void **state)
{
    (void)state;
    pty_session *p = malloc(sizeof *p);
    assert_non_null(p);
    char *argv[] = {"nntrace", "step", "lessons/sauppe-sgd-step.lesson", NULL};
    const char *env[] = {"NO_COLOR=1", NULL};
    assert_int_equal(pty_start(p, bin(), argv, env), 0);
    assert_true(pty_expect(p, "x_1 = 0.4", PTY_WAIT_MS));
    pty_mark(p);
    pty_send(p, "p");
    assert_true(pty_expect(p, " loss", PTY_WAIT_MS));
    assert_null(strstr(p->raw, "\033[36m"));                   /* NO_COLOR: no colour */
    assert_null(strstr(p->raw, "\033[1m"));
    pty_send(p, "\003");                                       /* Ctrl-C quits, cleanly */
    assert_int_equal(pty_finish(p, PTY_WAIT_MS), 0);
    free(p);
}

/* Wait for the child to end while reading its output; its raw wait status. */
static int pty_reap(pty_session *p, int *wst)
{
    struct timespec nap = {0, 10 * 1000000L};
    for (int k = 0; k < PTY_WAIT_MS / 10; k++) {
        if (waitpid(p->pid, wst, WNOHANG) == p->pid) {
            while (pty_pump(p, 10) > 0) {}
            return 0;
        }
        if (pty_pump(p, 10) <= 0) nanosleep(&nap, NULL);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, wst, 0);
    return -1;
}

/* The terminal modes of the pty's slave side, as the next program finds them. */
static void assert_cooked(pty_session *p)
{
    struct termios t;
    assert_int_equal(tcgetattr(p->master, &t), 0);
    assert_true(t.c_lflag & ICANON);
    assert_true(t.c_lflag & ECHO);
    assert_true(t.c_lflag & ISIG);
    assert_true(t.c_iflag & ICRNL);
}

static void assert_raw(pty_session *p)
{
    struct termios t;
    assert_int_equal(tcgetattr(p->master, &t), 0);
    assert_false(t.c_lflag & ICANON);
    assert_false(t.c_lflag & ECHO);
}

/* b, Ctrl-L and a resize clear the screen and redraw it at the position,
 * with the prompt cut to the new width; SIGTERM leaves the terminal in
 * its modes of before, the prompt erased, and ends by the signal. */
static void test_pty_rewind_resize_sigterm(void **state)
{
    (void)state;
    pty_session *p = malloc(sizeof *p);
    assert_non_null(p);
    char *argv[] = {"nntrace", "step", "lessons/sauppe-forward.lesson", NULL};
    assert_int_equal(pty_start(p, bin(), argv, NULL), 0);
    assert_true(pty_expect(p, "[1/8]", PTY_WAIT_MS));
    assert_raw(p);
    pty_send(p, "nnnn");
    assert_true(pty_expect(p, "= 0\n", PTY_WAIT_MS));
    assert_true(pty_expect(p, "[3/8]", PTY_WAIT_MS));
    /* b: the screen is cleared and drawn again up to in_3's second line */
    size_t raw0 = p->rawlen;
    pty_mark(p);
    pty_send(p, "b");
    assert_true(pty_expect(p, "= 5*1 + 1*3 + (-2)*4\n[3/8]", PTY_WAIT_MS));
    assert_non_null(strstr(p->raw + raw0, "\033[H\033[2J"));
    assert_null(strstr(p->screen + p->mark, "= 0\n"));
    /* a resize: the same, and the prompt fits the 30 columns, keys left
     * out whole, never cut inside a word */
    struct winsize ws = {12, 30, 0, 0};
    raw0 = p->rawlen;
    pty_mark(p);
    assert_int_equal(ioctl(p->master, TIOCSWINSZ, &ws), 0);
    assert_true(pty_expect(p, "[3/8] Enter next  ? help", PTY_WAIT_MS));
    assert_non_null(strstr(p->raw + raw0, "\033[H\033[2J"));
    assert_null(strstr(p->screen + p->mark, "b back"));            /* 29 columns at most */
    assert_true(pty_expect(p, "= 5*1 + 1*3 + (-2)*4\n", PTY_WAIT_MS));
    assert_null(strstr(p->screen + p->mark, "sauppe-forward:"));   /* 11 rows: the end only */
    /* 60 columns: all but restart */
    struct winsize ws60 = {20, 60, 0, 0};
    pty_mark(p);
    assert_int_equal(ioctl(p->master, TIOCSWINSZ, &ws60), 0);
    assert_true(pty_expect(p, "[3/8] Enter next  b back  g go to  p pass  q quit  ? help", PTY_WAIT_MS));
    /* Ctrl-L redraws too */
    raw0 = p->rawlen;
    pty_mark(p);
    pty_send(p, "\f");
    assert_true(pty_expect(p, "= 5*1 + 1*3 + (-2)*4\n[3/8]", PTY_WAIT_MS));
    assert_non_null(strstr(p->raw + raw0, "\033[H\033[2J"));
    /* SIGTERM: terminal restored, prompt erased, killed by the signal */
    raw0 = p->rawlen;
    assert_int_equal(kill(p->pid, SIGTERM), 0);
    int wst = 0;
    assert_int_equal(pty_reap(p, &wst), 0);
    assert_true(WIFSIGNALED(wst));
    assert_int_equal(WTERMSIG(wst), SIGTERM);
    assert_non_null(strstr(p->raw + raw0, "\r\033[K"));
    assert_cooked(p);
    close(p->master);
    free(p);
}

/* SIGHUP and SIGINT (sent, not typed) restore the terminal as well. */
static void test_pty_hup_int(void **state)
{
    (void)state;
    const int sigs[] = {SIGHUP, SIGINT};
    for (size_t k = 0; k < 2; k++) {
        pty_session *p = malloc(sizeof *p);
        assert_non_null(p);
        char *argv[] = {"nntrace", "step", "lessons/sauppe-sgd-step.lesson", NULL};
        assert_int_equal(pty_start(p, bin(), argv, NULL), 0);
        assert_true(pty_expect(p, "[1/", PTY_WAIT_MS));
        assert_raw(p);
        assert_int_equal(kill(p->pid, sigs[k]), 0);
        int wst = 0;
        assert_int_equal(pty_reap(p, &wst), 0);
        assert_true(WIFSIGNALED(wst));
        assert_int_equal(WTERMSIG(wst), sigs[k]);
        assert_cooked(p);
        close(p->master);
        free(p);
    }
}

/* Ctrl-Z and fg under a real job-control shell in tmux: stopped with the
 * terminal in its ordinary modes, back in key mode with the screen drawn
 * again after fg; then resized in tmux and redrawn. */
/* A tmux server on a private socket for a session test: T runs tmux, W
 * waits until the pane shows a text, N until it no longer does. Skips
 * without tmux. tmux_body's script runs after the server has a session
 * "s" of an 80x24 bash in a C locale; it gets the top directory and the
 * absolute binary as %1$s and %2$s. Returns what the script printed
 * (caller frees) and its status. */
static char *tmux_session(const char *body_fmt, int *status)
{
    int st;
    char *o = run_sh("command -v tmux >/dev/null 2>&1 && echo yes", &st);
    int have = o && strstr(o, "yes");
    free(o);
    if (!have) { fprintf(stderr, "tmux not installed: skipped (scripts/deps.sh installs it)\n"); skip(); }
    static char cmd[16384], body[8192];
    char sock[64], cwd[2048];
    snprintf(sock, sizeof sock, "nntrace-test-%ld", (long)getpid());
    assert_non_null(getcwd(cwd, sizeof cwd));
    const char *b = bin();
    char babs[2048];
    if (strlen(cwd) + strlen(b) + 2 > sizeof babs) skip();
    if (b[0] == '/') memcpy(babs, b, strlen(b) + 1);
    else { memcpy(babs, cwd, strlen(cwd)); babs[strlen(cwd)] = '/'; memcpy(babs + strlen(cwd) + 1, b, strlen(b) + 1); }
#define TMUX_SH(body) snprintf(cmd, sizeof cmd, \
        "T() { tmux -L %s \"$@\"; }; W() { for i in $(seq 300); do T capture-pane -p -t s | grep -qF -- \"$1\" && return 0; sleep 0.1; done; echo TIMEOUT \"$1\"; T capture-pane -p -t s; return 1; }; " \
        "N() { for i in $(seq 300); do T capture-pane -p -t s | grep -qF -- \"$1\" || return 0; sleep 0.1; done; echo STILL \"$1\"; T capture-pane -p -t s; return 1; }; %s", sock, body)
    TMUX_SH("T new-session -d -s s -x 80 -y 24 'env -i PATH=/usr/bin:/bin TERM=xterm LC_ALL=C PS1=\"$ \" bash --norc --noprofile -i'");
    free(run_sh(cmd, &st));
    assert_int_equal(st, 0);
    snprintf(body, sizeof body, body_fmt, cwd, babs);
    TMUX_SH(body);
#undef TMUX_SH
    return run_sh(cmd, status);
}

static void test_tmux_suspend_and_resume(void **state)
{
    (void)state;
    int st;
    char *o = tmux_session(
             "T send-keys -t s 'cd %1$s && %2$s step lessons/sauppe-forward.lesson' Enter && W '[1/8]' && "
             "T send-keys -t s n n n && W '= 5*1 + 1*3' && "
             "T send-keys -t s C-z && W 'Stopped' && "
             "T send-keys -t s 'stty -a | tr \" \" \"\\n\" | grep -x -e icanon -e echo -e isig | sort | tr \"\\n\" +' Enter && "
             "W 'echo+icanon+isig+' && "
             "T send-keys -t s fg Enter && W '[3/8]' && "
             "T resize-window -t s -x 50 -y 10 && sleep 0.5 && W '[3/8] Enter next' && "
             "T send-keys -t s n n && W '[4/8]' && P1=$(T capture-pane -p -t s) && "
             /* at g's prompt too: fg and a resize draw the step screen
              * again (the shell's lines gone), then the prompt and what
              * was typed */
             "T send-keys -t s g i n _ && W 'go to: in_' && "
             "T send-keys -t s C-z && W 'Stopped' && T send-keys -t s fg Enter && "
             "N 'Stopped' && W 'go to: in_' && "
             "T resize-window -t s -x 60 -y 12 && sleep 0.5 && W 'go to: in_' && "
             "T send-keys -t s 5 Enter && W 'in_5 = w_0,5*a_0' && "
             "T send-keys -t s q && "
             "T send-keys -t s 'stty -a | tr \" \" \"\\n\" | grep -x -e icanon -e echo | sort | tr \"\\n\" +; echo @@' Enter && "
             "W 'echo+icanon+@@'; rc=$?; echo \"$P1\"; T capture-pane -p -t s; T kill-server; exit $rc", &st);
    /* after fg and the resize the screen is the step screen again, and the
     * shell's terminal modes are right after q (checked by W above) */
    int ok = st == 0 && o && strstr(o, "= 0\n  a_3 = g(in_3) = 1/(1+exp(-in_3))\n") &&
             strstr(o, "      ~ 0.27\n  in_5 = w_0,5*a_0 + w_3,5*a_3 + w_4,5*a_4\n");
    if (!ok) fprintf(stderr, "tmux session (status %d):\n%s\n", st, o ? o : "");
    free(o);
    assert_true(ok);
}

/* Ctrl-Z stops the whole pipeline, as the terminal's own Ctrl-Z does, so
 * `nntrace step L | cat` gives the shell back (and fg goes on): stopping
 * only nntrace left cat running, the shell waiting, and the terminal
 * taking no key. The quiz the same. */
static void test_tmux_suspend_in_a_pipeline(void **state)
{
    (void)state;
    int st;
    char *o = tmux_session(
             "T send-keys -t s 'cd %1$s && %2$s step lessons/sauppe-forward.lesson | cat' Enter && "
             "W 'a_1 = x_1 = 3' && T send-keys -t s n n && W '  in_3 = w_0,3*a_0' && "
             "T send-keys -t s C-z && W 'Stopped' && "
             "T send-keys -t s 'echo @@$((6*7))' Enter && W '@@42' && "
             "T send-keys -t s fg Enter && sleep 0.5 && T send-keys -t s n && W '= 5*1 + 1*3' && "
             "T send-keys -t s q && T send-keys -t s clear Enter && N '= 5*1 + 1*3' && "
             "T send-keys -t s '%2$s quiz lessons/sauppe-forward.lesson | cat' Enter && "
             "W 'in_3 = ?' && T send-keys -t s 0 && sleep 0.2 && "
             "T send-keys -t s C-z && W 'Stopped' && "
             "T send-keys -t s 'echo @@$((6*8))' Enter && W '@@48' && "
             "T send-keys -t s fg Enter && sleep 0.5 && T send-keys -t s Enter && W 'right' && "
             "T send-keys -t s q Enter && W 'score: 1 of 1 right' && "
             "T send-keys -t s 'echo @@done' Enter && W '@@done'; rc=$?; T capture-pane -p -t s; T kill-server; exit $rc",
             &st);
    if (st != 0) fprintf(stderr, "tmux session (status %d):\n%s\n", st, o ? o : "");
    free(o);
    assert_int_equal(st, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opening_shows_title_network_given),
        cmocka_unit_test(test_drawing_names_neurons_as_the_trace),
        cmocka_unit_test(test_next_reveals_symbolic_then_numbers_then_value),
        cmocka_unit_test(test_back_goes_one_stage_and_rewinds),
        cmocka_unit_test(test_goto_redraws_the_trace_up_to_there),
        cmocka_unit_test(test_formulas_fit_the_terminal),
        cmocka_unit_test(test_notes_fit_the_terminal),
        cmocka_unit_test(test_every_lesson_fits_40_columns),
        cmocka_unit_test(test_value_said_once),
        cmocka_unit_test(test_end_is_said_once),
        cmocka_unit_test(test_help_lists_every_key),
        cmocka_unit_test(test_goto_accepts_labels_and_aliases),
        cmocka_unit_test(test_pass_jumps_to_the_next_pass),
        cmocka_unit_test(test_help_and_quit),
        cmocka_unit_test(test_every_lesson_steps_to_the_end),
        cmocka_unit_test(test_piped_session_has_no_prompts),
        cmocka_unit_test(test_piped_bad_commands_exit_2),
        cmocka_unit_test(test_pty_keys_act_at_once),
        cmocka_unit_test(test_pty_keys_together),
        cmocka_unit_test(test_pty_broken_pipe_restores),
        cmocka_unit_test(test_pty_bad_key_note_fits),
        cmocka_unit_test(test_pty_dumb_terminal),
        cmocka_unit_test(test_pty_no_color_and_ctrl_c),
        cmocka_unit_test(test_pty_rewind_resize_sigterm),
        cmocka_unit_test(test_pty_hup_int),
        cmocka_unit_test(test_tmux_suspend_and_resume),
        cmocka_unit_test(test_tmux_suspend_in_a_pipeline),
    };
    return cmocka_run_group_tests_name("step", tests, NULL, NULL);
}
