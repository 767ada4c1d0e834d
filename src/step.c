/*
 * step.c - the step-through session (step.h): items, position, and the
 * lines each command puts on the screen.
 *
 * Invariant: 0 <= cur < n_items and 1 <= stage <= items[cur].stages.
 * items[] partitions the trace in order, so the item of a quantity id is
 * found by binary search over items[].first.
 */
#include "step.h"

#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "netdraw.h"
#include "text.h"
#include "walk.h"
#include "wrap.h"

/* ------------------------------------------------------------------------
 * Styled text
 * ---------------------------------------------------------------------- */

void step_put(strbuf *out, const step_style *st, const char *ascii, const char *ansi)
{
    if (st->color && ansi) sb_printf(out, "\033[%sm", ansi);
    if (st->unicode) text_unicode(out, ascii, st->notation);
    else sb_printf(out, "%s", ascii);
    if (st->color && ansi) sb_printf(out, "\033[0m");
}

size_t step_width(const char *s) { return esc_cols(s, strlen(s)); }

/* Width of ASCII text once put in the style. */
static size_t styled_width(const step_style *st, const char *ascii)
{
    if (!st->unicode) return strlen(ascii);
    strbuf u = {0};
    text_unicode(&u, ascii, st->notation);
    size_t w = u.s ? step_width(u.s) : strlen(ascii);
    sb_free(&u);
    return w;
}

size_t step_name(strbuf *out, const trace *tr, const quantity *q, const step_style *st)
{
    char name[192];
    (void)tr;
    text_qname(st->l, st->notation, q, name, sizeof name);
    sb_printf(out, "  ");
    step_put(out, st, name, "36");
    sb_printf(out, " = ");
    return 2 + styled_width(st, name);
}

void step_formula(strbuf *out, const trace *tr, const quantity *q, const double *vals,
                  size_t indent, const step_style *st)
{
    strbuf f = {0};
    int d = vals && tr->round >= 0 ? tr->round : st->digits;
    /* symbolic: g(in_3) = 1/(1+exp(-in_3)), the activation's own form by name */
    text_formula_x(&f, tr, q, vals, d, st->l, st->notation, 1);
    if (st->width > 0 && !f.failed) {
        /* the whole line, then broken to the width as run breaks it (wrap.h),
         * then the name coloured: the escapes take no columns */
        strbuf line = {0}, u = {0}, w = {0};
        char name[192] = "";
        if (indent == 0) text_qname(st->l, st->notation, q, name, sizeof name);
        if (indent == 0) sb_printf(&line, "  %s = %s", name, f.s ? f.s : "");
        else sb_printf(&line, "%*s = %s", (int)indent, "", f.s ? f.s : "");
        const char *plain = line.s ? line.s : "";
        if (st->unicode) {
            text_unicode(&u, plain, st->notation);
            plain = u.s ? u.s : "";
        }
        wrap_line(&w, plain, 0, (size_t)st->width);
        const char *text = w.s ? w.s : "", *eq = strstr(text, " = ");
        if (indent == 0 && st->color && eq)
            sb_printf(out, "  \033[36m%.*s\033[0m%s\n", (int)(eq - text - 2), text + 2, eq);
        else
            sb_printf(out, "%s\n", text);
        if (line.failed || u.failed || w.failed) out->failed = 1;
        sb_free(&line);
        sb_free(&u);
        sb_free(&w);
        sb_free(&f);
        return;
    }
    if (indent == 0) step_name(out, tr, q, st);
    else sb_printf(out, "%*s = ", (int)indent, "");
    step_put(out, st, f.s ? f.s : "", NULL);
    sb_printf(out, "\n");
    if (f.failed) out->failed = 1;
    sb_free(&f);
}

/* ------------------------------------------------------------------------
 * Headings
 * ---------------------------------------------------------------------- */

/* A heading line, in bold, after indent blanks: on a terminal broken at its
 * spaces, the lines after the first two columns further in, as run breaks
 * it ("forward pass with the weights after step 1\n  (t = 1)"). */
static void heading(strbuf *out, const step_style *st, size_t indent, const char *text)
{
    strbuf t = {0};
    wrap_words(&t, text, indent, indent + 2, st->width > 0 ? (size_t)st->width : 0);
    sb_printf(out, "%*s", (int)indent, "");
    step_put(out, st, t.s ? t.s : "", "1");
    sb_printf(out, "\n");
    if (t.failed) out->failed = 1;
    sb_free(&t);
}

void step_context(strbuf *out, const lesson *l, const trace *tr, size_t id, const quantity *prev,
                  const step_style *st)
{
    walker w;
    walk_item it;
    walk_start(&w, l, tr, 0);
    walk_at(&w, id, prev, &it);
    if (it.step_heading) {
        sb_printf(out, "\n");
        heading(out, st, 0, it.step_heading);
    }
    if (it.intro) heading(out, st, 1, it.intro);             /* " input normalisation (...)" */
    if (it.pass_heading) heading(out, st, 1, it.pass_heading);   /* " forward" */
}

/* ------------------------------------------------------------------------
 * Items
 * ---------------------------------------------------------------------- */

step_session *step_new(const lesson *l, const trace *tr, const step_style *st)
{
    step_session *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->l = l;
    s->tr = tr;
    s->st = *st;
    s->shown = -1;
    s->items = malloc((tr->n ? tr->n : 1) * sizeof *s->items);
    s->ix = names_index_new(l, tr, st->notation);
    if (!s->items || !s->ix) { step_free(s); return NULL; }
    for (size_t id = 0; id < tr->n; id++) {
        const quantity *q = &tr->q[id];
        step_item *last = s->n_items ? &s->items[s->n_items - 1] : NULL;
        if (q->pass == PASS_GIVEN && last && tr->q[last->first].pass == PASS_GIVEN &&
            tr->q[last->first].t == q->t) {
            last->count++;
            continue;
        }
        /* symbolic, numbers, value; without the numbers when they are the
         * value (din_3/dw_1,3 = a_1 = -0.3); a constant (g'(in_j) = 1) in one */
        int stages = q->pass == PASS_GIVEN || text_is_constant(tr, q, st->digits, st->l, st->notation) ? 1
                   : text_sub_says_value(tr, q, st->digits, st->l, st->notation) ? 2 : 3;
        step_item it = {id, 1, stages};
        s->items[s->n_items++] = it;
    }
    s->start = s->n_items > 1 && tr->q[0].pass == PASS_GIVEN ? 1 : 0;
    s->cur = s->start;
    s->stage = 1;
    return s;
}

void step_free(step_session *s)
{
    if (!s) return;
    names_index_free(s->ix);
    free(s->items);
    free(s);
}

void step_progress(const step_session *s, size_t *k, size_t *n)
{
    *k = s->cur >= s->start ? s->cur - s->start + 1 : 0;   /* the given block is 0 */
    *n = s->n_items - s->start;
}

int step_at_end(const step_session *s)
{
    return s->n_items == 0 || (s->cur + 1 == s->n_items && s->stage == s->items[s->cur].stages);
}

static size_t item_of(const step_session *s, size_t id)
{
    size_t lo = 0, hi = s->n_items;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->items[mid].first <= id) lo = mid; else hi = mid;
    }
    return lo;
}

/* "  w_1,3 = 0.15  (w1)": a constant's line, with the lecture's alias. */
static void const_line(strbuf *out, const step_session *s, const quantity *q)
{
    char val[160];
    text_value(s->tr, q, s->st.digits, val, sizeof val);
    char src[96], name[192];
    step_name(out, s->tr, q, &s->st);
    if (names_given_as(s->st.l, s->st.notation, NAMES_ASCII, q, src, sizeof src) > 0) {
        step_put(out, &s->st, src, NULL);      /* 001: a_1 = x_1 = 3 */
        sb_printf(out, " = ");
    }
    step_put(out, &s->st, val, "1");
    if (q->kind == Q_WEIGHT && !q->tie) {      /* the lecture's alias, unless it is the name shown */
        int a = lesson_arc_index(s->l, q->i, q->j);
        text_qname(s->st.l, s->st.notation, q, name, sizeof name);
        if (a >= 0 && s->l->arcs[a].alias[0] && strcmp(name, s->l->arcs[a].alias))
            sb_printf(out, "  (%s)", s->l->arcs[a].alias);
    }
    sb_printf(out, "\n");
}

/* The line of stage k (1-based) of item it. */
static void stage_line(strbuf *out, const step_session *s, size_t it, int k)
{
    const step_item *I = &s->items[it];
    const trace *tr = s->tr;
    const quantity *q = &tr->q[I->first];
    if (I->stages == 1) {
        for (size_t m = 0; m < I->count; m++) {     /* inside the block: the walker's intro lines */
            if (m > 0) step_context(out, s->l, tr, I->first + m, &tr->q[I->first + m - 1], &s->st);
            const_line(out, s, &tr->q[I->first + m]);
        }
        return;
    }
    char name[192];
    text_qname(s->st.l, s->st.notation, q, name, sizeof name);
    size_t indent = 2 + styled_width(&s->st, name);
    if (k == 1) { step_formula(out, tr, q, NULL, 0, &s->st); return; }
    if (k == 2 && I->stages == 3) {
        double stack[64], *vals = q->nops <= 64 ? stack : malloc(q->nops * sizeof *vals);
        if (!vals) { out->failed = 1; return; }
        text_operand_values(tr, q, vals);
        step_formula(out, tr, q, vals, indent, &s->st);
        if (vals != stack) free(vals);
        return;
    }
    char val[160];
    text_value(tr, q, s->st.digits, val, sizeof val);
    if (s->st.width > 0) {
        /* under a long name "= -0.08972 ~ -0.0897" may not fit: broken as
         * step_formula breaks its lines, the value bold after its "= " */
        strbuf line = {0}, w = {0};
        sb_printf(&line, "%*s%s%s", (int)indent, "", val[0] == '~' ? " " : " = ", val);
        wrap_line(&w, line.s ? line.s : "", 0, (size_t)s->st.width);
        const char *text = w.s ? w.s : "";
        size_t lead = indent + (val[0] == '~' ? 1 : 3);
        if (strlen(text) < lead) lead = strlen(text);
        sb_printf(out, "%.*s", (int)lead, text);
        step_put(out, &s->st, text + lead, "1");
        if (line.failed || w.failed) out->failed = 1;
        sb_free(&line);
        sb_free(&w);
    } else {
        sb_printf(out, "%*s%s", (int)indent, "", val[0] == '~' ? " " : " = ");
        step_put(out, &s->st, val, "1");
    }
    sb_printf(out, "\n");
    const char *notes[EVAL_MAX_NOTES + 1];
    walk_notes(q, notes);
    for (int n = 0; notes[n]; n++) sb_printf(out, "%*s(%s)\n", (int)indent + 3, "", notes[n]);
}

/* Show item it up to stage upto, with its headings (all of them when
 * full_context, else those that differ from the item shown last). */
static void show(step_session *s, size_t it, int upto, int full_context, strbuf *out)
{
    const quantity *prev = NULL;
    if (!full_context && s->shown >= 0) {
        const step_item *P = &s->items[s->shown];
        prev = &s->tr->q[P->first + P->count - 1];
    }
    step_context(out, s->l, s->tr, s->items[it].first, prev, &s->st);
    for (int k = 1; k <= upto; k++) stage_line(out, s, it, k);
    s->shown = (long)it;
}

/* A note in parentheses: on a terminal broken at its spaces, the lines
 * after the first under its text, not cut mid-word by the terminal. */
static void message(strbuf *out, const step_style *st, const char *text)
{
    strbuf t = {0};
    wrap_words(&t, text, 0, 1, st->width > 0 ? (size_t)st->width : 0);
    step_put(out, st, t.s ? t.s : "", "2");
    sb_printf(out, "\n");
    if (t.failed) out->failed = 1;
    sb_free(&t);
}

/* ------------------------------------------------------------------------
 * Commands
 * ---------------------------------------------------------------------- */

const step_key STEP_KEYS[] = {
    {.cmd = STEP_NEXT,    .bytes = "\r\n nj", .arrows = "CB", .shown = "Enter, n, space, j, Right, Down",
     .what = "next: the symbolic form, then the numbers, then the value"},
    {.cmd = STEP_BACK,    .bytes = "bk",      .arrows = "DA", .shown = "b, k, Left, Up",
     .what = "back one stage (the screen is redrawn there)"},
    {.cmd = STEP_GOTO,    .bytes = "g",       .arrows = "",   .shown = "g NAME",
     .what = "go to a quantity: in_3, a_h1, w5, delta_4, dJ/dw_1,3, w_1,3^(1)"},
    {.cmd = STEP_PASS,    .bytes = "p",       .arrows = "",   .shown = "p",
     .what = "next pass (forward, loss, backward, gradients, update)"},
    {.cmd = STEP_RESTART, .bytes = "r",       .arrows = "",   .shown = "r",
     .what = "restart"},
    {.cmd = STEP_REDRAW,  .bytes = "\f",      .arrows = "",   .shown = "Ctrl-L",
     .what = "redraw the screen"},
    {.cmd = STEP_SUSPEND, .bytes = "\032",    .arrows = "",   .shown = "Ctrl-Z",
     .what = "suspend to the shell (fg comes back here)"},
    {.cmd = STEP_QUIT,    .bytes = "q\003\004", .arrows = "", .shown = "q, Ctrl-C, Ctrl-D",
     .what = "quit"},
    {.cmd = STEP_HELP,    .bytes = "?h",      .arrows = "",   .shown = "?, h",
     .what = "this help"},
};
const size_t STEP_N_KEYS = sizeof STEP_KEYS / sizeof STEP_KEYS[0];

step_cmd step_key_cmd(int c, int arrow, int *known)
{
    *known = 0;
    if (c <= 0 || c > 255) return STEP_HELP;
    for (size_t k = 0; k < STEP_N_KEYS; k++)
        if (strchr(arrow ? STEP_KEYS[k].arrows : STEP_KEYS[k].bytes, c)) {
            *known = 1;
            return STEP_KEYS[k].cmd;
        }
    return STEP_HELP;
}

/* The help's columns: keys, then what they do, within HELP_WIDTH columns
 * (an 80-column terminal; each row's text is broken at its spaces and goes
 * on under the second column), or a narrower terminal's width. Narrower
 * than HELP_NARROW, each row's text is on the lines under its keys. */
#define HELP_KEYS 32
#define HELP_WIDTH 79
#define HELP_NARROW (2 + HELP_KEYS + 1 + 20)
#define HELP_UNDER 6

void step_help(strbuf *out, int width)
{
    const size_t w = width > 0 && width - 1 < HELP_WIDTH ? (size_t)width - 1 : HELP_WIDTH;
    const int beside = w >= HELP_NARROW;
    const size_t col = beside ? 2 + HELP_KEYS + 1 : HELP_UNDER;
    sb_printf(out, "keys:\n");
    for (size_t k = 0; k < STEP_N_KEYS; k++) {
        if (beside) sb_printf(out, "  %-*s ", HELP_KEYS, STEP_KEYS[k].shown);
        else sb_printf(out, "  %s\n%*s", STEP_KEYS[k].shown, HELP_UNDER, "");
        wrap_words(out, STEP_KEYS[k].what, col, col, w);
        sb_printf(out, "\n");
    }
}

void step_prose(strbuf *out, const step_style *st, const char *label, const char *text,
                const char *ansi)
{
    strbuf t = {0};
    wrap_labelled(&t, label, text, st->width > 0 ? (size_t)st->width : 0);
    step_put(out, st, t.s ? t.s : "", ansi);
    sb_printf(out, "\n");
    if (t.failed) out->failed = 1;
    sb_free(&t);
}

void step_round_note(strbuf *out, const step_style *st, int round)
{
    strbuf t = {0};
    text_round_note(&t, round, st->width > 0 ? (size_t)st->width : 0);
    step_put(out, st, t.s ? t.s : "", NULL);
    sb_printf(out, "\n");
    if (t.failed) out->failed = 1;
    sb_free(&t);
}

/* Title, source, notes, rounding, the network and the keys line. */
static void opening_text(const step_session *s, strbuf *out)
{
    const lesson *l = s->l;
    char base[256], line[LESSON_MAX_LINE + 1];
    lesson_basename(l->path, base, sizeof base);
    snprintf(line, sizeof line, "%s: ", base);
    step_prose(out, &s->st, line, l->title, "1");
    if (l->source) step_prose(out, &s->st, "source: ", l->source, NULL);
    for (const char *n = l->notes; n && *n;) {
        size_t len = strcspn(n, "\n");
        snprintf(line, sizeof line, "%.*s", (int)len, n);
        step_prose(out, &s->st, "note: ", line, NULL);
        n += len + (n[len] == '\n');
    }
    if (s->tr->round >= 0) step_round_note(out, &s->st, s->tr->round);
    sb_printf(out, "\n");
    if (netdraw_terminal(out, l, s->st.notation, s->st.unicode, s->st.width)) out->failed = 1;
    sb_printf(out, "\n");
    step_prose(out, &s->st, "keys: ", "Enter next, b back, g NAME go to, p next pass, r restart, q quit, ? help", "2");
}

void step_opening(step_session *s, strbuf *out)
{
    opening_text(s, out);
    s->cur = s->start;
    s->stage = 1;
    s->shown = -1;
    s->end_said = 0;
    if (s->n_items == 0) return;
    if (s->start == 1) show(s, 0, 1, 1, out);
    show(s, s->cur, 1, 0, out);
}

/* Terminal rows that a line of display width w takes, cols wide. */
static size_t rows_of(size_t w, int cols)
{
    return cols > 0 && w > (size_t)cols ? (w + (size_t)cols - 1) / (size_t)cols : 1;
}

/* Display width of a line with colour codes in it. */
static size_t line_width(const char *s, size_t len)
{
    size_t w = 0;
    for (size_t k = 0; k < len;) {
        size_t n = esc_term_len(s + k, len - k);
        if (n == 0) w += esc_cols(s + k++, 1);
        k += n;
    }
    return w;
}

void step_set_width(step_session *s, int width) { s->st.width = width > 0 ? width : 0; }

void step_screen(step_session *s, strbuf *out, int rows, int cols)
{
    if (rows < 2) rows = 2;
    strbuf b = {0};
    if (s->n_items == 0) {
        opening_text(s, &b);
    } else {
        /* every item takes a row at least, so rows items back are enough */
        size_t k0 = s->cur >= (size_t)rows ? s->cur - (size_t)rows + 1 : 0;
        if (k0 == 0) opening_text(s, &b);
        s->shown = -1;
        for (size_t it = k0; it <= s->cur; it++)
            show(s, it, it == s->cur ? s->stage : s->items[it].stages, it == k0, &b);
    }
    /* the last rows - 1 terminal rows of it (the prompt takes the last) */
    size_t want = (size_t)rows - 1, used = 0, from = b.len;
    while (from > 0) {
        size_t end = from - 1;                  /* at the '\n' ending the line */
        size_t st = end;
        while (st > 0 && b.s[st - 1] != '\n') st--;
        size_t r = rows_of(line_width(b.s + st, end - st), cols);
        if (used + r > want) break;
        used += r;
        from = st;
    }
    if (b.s) sb_printf(out, "%s", b.s + from);
    if (b.failed) out->failed = 1;
    sb_free(&b);
}

int step_do(step_session *s, step_cmd c, const char *name, strbuf *out)
{
    s->err[0] = '\0';
    if (s->n_items == 0 && c != STEP_QUIT && c != STEP_HELP && c != STEP_REDRAW && c != STEP_SUSPEND) {
        message(out, &s->st, "(the trace is empty)");
        return 0;
    }
    switch (c) {
    case STEP_NEXT:
        if (s->stage < s->items[s->cur].stages) {
            s->stage++;
            if (s->shown == (long)s->cur) stage_line(out, s, s->cur, s->stage);
            else show(s, s->cur, s->stage, 1, out);
        } else if (s->cur + 1 < s->n_items) {
            s->cur++;
            s->stage = 1;
            show(s, s->cur, 1, 0, out);
        } else if (!s->end_said) {
            char why[512];
            if (walk_not_run(s->l, s->tr, why, sizeof why)) {   /* traced steps after a perceptron stopped */
                sb_printf(out, "\n");
                step_put(out, &s->st, why, "1");
                sb_printf(out, "\n");
            }
            message(out, &s->st, "(end of the trace: b back, r restart, q quit)");
            s->end_said = 1;
        }
        return STEP_GO_ON;
    case STEP_BACK: {
        if (s->stage > 1) {
            s->stage--;
        } else if (s->cur > 0) {
            s->cur--;
            s->stage = s->items[s->cur].stages;
        } else {
            message(out, &s->st, "(at the start)");
            return STEP_GO_ON;
        }
        s->end_said = 0;
        char name[96];
        strbuf m = {0};
        trace_name(&s->tr->q[s->items[s->cur].first], name, sizeof name);
        sb_printf(&m, "(back to %s", name);
        if (s->items[s->cur].stages > 1) sb_printf(&m, ", line %d of %d", s->stage, s->items[s->cur].stages);
        sb_printf(&m, ")");
        message(out, &s->st, m.s ? m.s : "(back)");
        if (m.failed) out->failed = 1;
        sb_free(&m);
        return STEP_REDRAWS;
    }
    case STEP_GOTO: {
        while (name && (*name == ' ' || *name == '\t')) name++;
        long id = -1;
        if (!name || !*name)
            snprintf(s->err, sizeof s->err, "go to which quantity? g NAME, e.g. g in_3");
        else
            id = names_resolve(s->ix, name, s->err, sizeof s->err);
        if (id < 0) {
            /* as written: the names it suggests are there to be typed
             * (their Unicode form follows each in parentheses) */
            step_style typed = s->st;
            typed.unicode = 0;
            strbuf m = {0};
            sb_printf(&m, "(%s)", s->err);
            message(out, &typed, m.s ? m.s : "(no such quantity)");
            sb_free(&m);
            return STEP_BAD;
        }
        s->cur = item_of(s, (size_t)id);
        s->stage = 1;
        s->end_said = 0;
        show(s, s->cur, 1, 1, out);
        return STEP_REDRAWS;        /* a terminal shows the trace up to there */
    }
    case STEP_PASS: {
        const quantity *q = &s->tr->q[s->items[s->cur].first];
        for (size_t it = s->cur + 1; it < s->n_items; it++) {
            const quantity *r = &s->tr->q[s->items[it].first];
            if (r->pass != q->pass || r->t != q->t || r->e != q->e) {
                s->cur = it;
                s->stage = 1;
                s->end_said = 0;
                show(s, it, 1, 1, out);
                return 0;
            }
        }
        message(out, &s->st, "(this is the last pass: b back, r restart, q quit)");
        return 0;
    }
    case STEP_RESTART:
        sb_printf(out, "\n");
        step_opening(s, out);
        return 0;
    case STEP_HELP:
        step_help(out, s->st.width);
        return 0;
    case STEP_QUIT:
        return STEP_QUITS;
    case STEP_REDRAW:
        return STEP_REDRAWS;
    case STEP_SUSPEND:
        return STEP_GO_ON;
    }
    return STEP_GO_ON;
}
