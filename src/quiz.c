/*
 * quiz.c - the quiz session (quiz.h): choosing questions, judging answers
 * with judge.h, hints from text.h, the score.
 *
 * Invariant: cur <= n_ask; misses < 3 while cur < n_ask; ask[] ascending, so
 * every operand of ask[cur] that was asked was asked (and settled) before.
 */
#include "quiz.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"
#include "names.h"
#include "wrap.h"

/* ------------------------------------------------------------------------
 * Choosing the questions
 * ---------------------------------------------------------------------- */

int quiz_select(const lesson *l, const trace *tr, int notation, const char *patterns, size_t **ids,
                size_t *n, char *err, size_t errsize)
{
    size_t plen = patterns ? strlen(patterns) : 0;
    char *buf = malloc(plen + 1);
    const char **pats = malloc(GRADE_MAX_PATTERNS * sizeof *pats);
    names_index *ix = names_index_new(l, tr, notation);
    grade_plan plan;
    memset(&plan, 0, sizeof plan);
    int np = 0, rc = -1;
    *ids = NULL;
    *n = 0;
    if (!buf || !pats || !ix) { snprintf(err, errsize, "out of memory"); goto cleanup; }
    if (patterns && (np = grade_split_patterns(patterns, buf, plen + 1, pats, GRADE_MAX_PATTERNS)) < 0) {
        snprintf(err, errsize, "--ask: too many patterns (at most %d)", GRADE_MAX_PATTERNS);
        goto cleanup;
    }
    if (grade_plan_lesson(&plan, l, tr, ix, pats, (size_t)np, err, errsize)) goto cleanup;
    if (plan.n == 0) { snprintf(err, errsize, "this lesson's trace has no quantity to ask"); goto cleanup; }
    if (!(*ids = malloc(plan.n * sizeof **ids))) { snprintf(err, errsize, "out of memory"); goto cleanup; }
    memcpy(*ids, plan.ids, plan.n * sizeof **ids);
    *n = plan.n;
    rc = 0;

cleanup:
    grade_plan_free(&plan);
    names_index_free(ix);
    free(pats);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------------
 * The session
 * ---------------------------------------------------------------------- */

quiz_session *quiz_new(const lesson *l, const trace *tr, const judge_rule *rule, const size_t *ids,
                       size_t n, const step_style *st)
{
    quiz_session *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->l = l;
    q->tr = tr;
    q->st = *st;
    q->prev = -1;
    q->headed = (size_t)-1;
    q->rule = *rule;
    q->sheet = judge_sheet_new(tr);
    q->ask = malloc((n ? n : 1) * sizeof *q->ask);
    if (!q->sheet || !q->ask) { quiz_free(q); return NULL; }
    if (n) memcpy(q->ask, ids, n * sizeof *ids);
    q->n_ask = n;
    return q;
}

void quiz_free(quiz_session *q)
{
    if (!q) return;
    judge_sheet_free(q->sheet);
    free(q->ask);
    free(q);
}

int quiz_over(const quiz_session *q)
{
    return q->quit || q->cur >= q->n_ask;
}

void quiz_help(const quiz_session *q, strbuf *out)
{
    static const char *const HELP[] = {
        "answer with a number (" JUDGE_NUMBER_FORMS "), to the lesson's decimals or more; an empty "
        "answer asks for the next hint; q quits (the score so far);",
        "? this help.",
        "hints: 1st miss the formula, 2nd the formula with your numbers, 3rd the value.",
    };
    /* from a pipe as on an 80-column terminal */
    const size_t width = q->st.width > 0 ? (size_t)q->st.width : 80;
    for (size_t k = 0; k < sizeof HELP / sizeof HELP[0]; k++) {
        wrap_words(out, HELP[k], 0, 0, width);
        sb_printf(out, "\n");
    }
}

void quiz_question(quiz_session *q, strbuf *out)
{
    if (quiz_over(q)) return;
    const quantity *x = &q->tr->q[q->ask[q->cur]];
    if (q->headed != q->cur)                  /* the headings once per question */
        step_context(out, q->l, q->tr, q->ask[q->cur], q->prev >= 0 ? &q->tr->q[q->prev] : NULL, &q->st);
    q->headed = q->cur;
    step_name(out, q->tr, x, &q->st);
    sb_printf(out, "? ");
}

/* A message under the answer, indented; on a terminal broken at its
 * spaces to the width. */
static void say(strbuf *out, const quiz_session *q, const char *ansi, const char *text)
{
    step_prose(out, &q->st, "    ", text, ansi);
}

static void advance(quiz_session *q)
{
    q->prev = (long)q->ask[q->cur];
    q->cur++;
    q->misses = 0;
}

/* A student's number as they may have written it: the shortest of up to 10
 * significant digits (0.2, not 0.20000000000000001). */
static void student_num(double v, char *buf, size_t size)
{
    snprintf(buf, size, "%.10g", v);
}

/* A tolerance as a student reads it: 0.00005, not 5e-05. */
static void tol_text(double t, char *buf, size_t size)
{
    for (int k = 0; k <= 12; k++) {
        double p = pow(10.0, k);
        if (fabs(round(t * p) / p - t) <= t * 1e-9) { snprintf(buf, size, "%.*f", k, t); return; }
    }
    snprintf(buf, size, "%.3g", t);
}

/* A wrong answer near a reference (the trace's value, the hand-rounded
 * value, or what follows from the student's numbers). Appends why it is
 * not right, naming the tolerance: either it is right only to the fewer
 * decimals the student wrote (two or more: one is a guess), or it is
 * within ten tolerances. A hint, not credit: a graded sheet's short credit
 * (judge_short_allowed) needs more, so that a sheet resubmitted with one
 * digit more each time cannot find the value; the quiz shows the hint
 * ladder anyway. */
static void say_close(strbuf *m, const quiz_session *q, double v, int written,
                      const judge_result *res)
{
    const double refs[3] = {res->truth, res->hand, res->ecf};
    judge_rule fewer = q->rule;
    fewer.digits = written;
    fewer.tol = 0;
    for (int k = 0; k < 3; k++) {
        if (!isfinite(refs[k])) continue;
        double t = judge_tolerance(&q->rule, refs[k]);
        if (written >= 2 && written < q->rule.digits && q->rule.tol <= 0 &&
            judge_match(&fewer, v, refs[k])) {
            char tt[64];
            tol_text(t, tt, sizeof tt);
            sb_printf(m, ": right to the %d decimal%s written, but answers are judged to %d "
                         "(within %s)", written, written == 1 ? "" : "s", q->rule.digits, tt);
            return;
        }
    }
    for (int k = 0; k < 3; k++) {
        if (!isfinite(refs[k])) continue;
        double t = judge_tolerance(&q->rule, refs[k]);
        if (fabs(v - refs[k]) <= 10 * t) {
            char tt[64];
            tol_text(t, tt, sizeof tt);
            sb_printf(m, ": close, but outside the tolerance of %s", tt);
            if (q->rule.tol <= 0) sb_printf(m, " (%d decimals)", q->rule.digits);
            return;
        }
    }
}

int quiz_answer(quiz_session *q, const char *text, strbuf *out)
{
    if (quiz_over(q)) return 0;
    size_t id = q->ask[q->cur];
    const quantity *x = &q->tr->q[id];
    const char *s = text + strspn(text, " \t");
    size_t len = strcspn(s, "\r\n");
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    if ((len == 1 && s[0] == 'q') || (len == 4 && !strncmp(s, "quit", 4))) {
        q->quit = 1;
        return 0;
    }
    if (len == 1 && s[0] == '?') { quiz_help(q, out); return 0; }

    double v = 0;
    int written = 0;
    judge_num_status ns = judge_parse_number(s, len, &v, &written);
    judge_result res;
    memset(&res, 0, sizeof res);
    res.verdict = JUDGE_WRONG;
    if (ns != JNUM_OK && ns != JNUM_EMPTY) {
        strbuf m = {0};
        sb_printf(&m, "(%s: try again)", judge_num_strerror(ns));
        say(out, q, "33", m.s ? m.s : "");
        int failed = m.failed || out->failed;
        sb_free(&m);
        return failed ? -1 : 0;
    }
    if (ns == JNUM_OK && judge_answer(q->tr, q->sheet, id, v, &q->rule, &res)) return -1;

    char name[192], num[64];
    text_qname(q->st.l, q->st.notation, x, name, sizeof name);
    strbuf m = {0};
    if (ns == JNUM_OK && (res.verdict == JUDGE_CORRECT || res.verdict == JUDGE_CARRIED)) {
        judge_record(q->sheet, id, v, res.verdict);
        if (res.verdict == JUDGE_CARRIED) {
            /* the operand is still the student's own (a given-away value
             * is never in the sheet), so it is named with its number */
            char bad[192], bv[64], tv[64];
            text_qname(q->st.l, q->st.notation, &q->tr->q[res.first_bad], bad, sizeof bad);
            student_num(q->sheet->value[res.first_bad], bv, sizeof bv);
            text_num(res.truth, q->rule.digits, tv, sizeof tv);
            sb_printf(&m, "accepted: follows from your %s = %s (the trace has %s = %s)", bad, bv, name, tv);
            q->carried++;
        } else {
            sb_printf(&m, "right");
            if (q->misses == 0) q->first_try++; else q->after_hint++;
        }
        say(out, q, "32", m.s ? m.s : "");
        advance(q);
    } else if (++q->misses < 3) {
        double stack[64], *vals = x->nops <= 64 ? stack : malloc(x->nops * sizeof *vals);
        if (!vals) return -1;
        if (ns == JNUM_OK) {
            student_num(v, num, sizeof num);
            sb_printf(&m, "not %s", num);
            say_close(&m, q, v, written, &res);
            sb_printf(&m, ". ");
        }
        if (x->spec.op == OP_CONST) {     /* asked by name: a given number */
            sb_printf(&m, "hint: it is given in the lesson (nntrace run shows it)");
            say(out, q, "33", m.s ? m.s : "");
        } else {
            sb_printf(&m, q->misses == 1 ? "hint, the formula:" : "hint, with your numbers:");
            say(out, q, "33", m.s ? m.s : "");
            if (q->misses == 2) judge_operand_values(q->tr, q->sheet, id, vals);
            step_formula(out, q->tr, x, q->misses == 1 ? NULL : vals, 0, &q->st);
        }
        if (vals != stack) free(vals);
    } else {
        /* given away: the trace's value stands for it from now on (nothing
         * goes into the sheet), in hints, carried-forward judging and the
         * next given answer alike, and the student is told so once */
        strbuf line = {0};
        text_line_n(&line, q->tr, x, q->st.digits, q->st.l, q->st.notation);
        if (ns == JNUM_OK) {
            student_num(v, num, sizeof num);
            sb_printf(&m, "not %s. ", num);
        }
        sb_printf(&m, "the answer:");
        say(out, q, "31", m.s ? m.s : "");
        strbuf w = {0};                   /* on a terminal broken as run breaks it */
        sb_printf(&w, "  ");
        if (q->st.width > 0) wrap_line(&w, line.s ? line.s : "", 2, (size_t)q->st.width);
        else sb_printf(&w, "%s", line.s ? line.s : "");
        step_put(out, &q->st, w.s ? w.s : "", NULL);
        sb_printf(out, "\n");
        if (w.failed) m.failed = 1;
        sb_free(&w);
        if (line.failed) m.failed = 1;
        sb_free(&line);
        q->given++;
        advance(q);
        if (!quiz_over(q)) {
            m.len = 0;
            text_num(x->value, q->st.digits, num, sizeof num);
            sb_printf(&m, "continuing from %s = %s", name, num);
            say(out, q, "36", m.s ? m.s : "");
        }
    }
    int failed = m.failed || out->failed;
    sb_free(&m);
    return failed ? -1 : 0;
}

void quiz_score(const quiz_session *q, strbuf *out)
{
    int right = q->first_try + q->after_hint + q->carried;
    size_t asked = q->cur;
    sb_printf(out, "\n");
    strbuf m = {0};
    sb_printf(&m, "score: %d of %zu right", right, asked);
    step_put(out, &q->st, m.s ? m.s : "", "1");
    strbuf rest = {0}, w = {0};
    sb_printf(&rest, "(%d at the first try, %d after a hint, %d by error carried forward; "
                     "%d given after three misses)", q->first_try, q->after_hint, q->carried, q->given);
    if (q->quit) sb_printf(&rest, "; stopped after %zu of %zu questions", asked, q->n_ask);
    if (!rest.failed)                     /* on a terminal broken at its spaces, under "score" */
        wrap_words(&w, rest.s, step_width(m.s ? m.s : "") + 1, 7, q->st.width > 0 ? (size_t)q->st.width : 0);
    sb_printf(out, " %s\n", w.s ? w.s : "");
    if (m.failed || rest.failed || w.failed) out->failed = 1;
    sb_free(&m);
    sb_free(&rest);
    sb_free(&w);
}
