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

/* ------------------------------------------------------------------------
 * Choosing the questions
 * ---------------------------------------------------------------------- */

int quiz_select(const lesson *l, const trace *tr, const char *patterns, size_t **ids, size_t *n,
                char *err, size_t errsize)
{
    size_t plen = patterns ? strlen(patterns) : 0;
    char *buf = malloc(plen + 1);
    const char **pats = malloc(GRADE_MAX_PATTERNS * sizeof *pats);
    names_index *ix = names_index_new(tr);
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
    if (grade_plan_make(&plan, l, tr, ix, pats, (size_t)np, NULL, 0, err, errsize)) goto cleanup;
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

quiz_session *quiz_new(const lesson *l, const trace *tr, const trace *hand, const size_t *ids,
                       size_t n, const step_style *st)
{
    quiz_session *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->l = l;
    q->tr = tr;
    q->st = *st;
    q->prev = -1;
    q->rule.digits = l->digits;
    q->rule.tol = 0;
    q->rule.hand = hand;
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

void quiz_help(strbuf *out)
{
    sb_printf(out,
        "answer with a number (0.5474, .5474, 5.474e-1), to the lesson's decimals or more;\n"
        "an empty answer asks for the next hint; q quits (the score so far); ? this help.\n"
        "hints: 1st miss the formula, 2nd the formula with your numbers, 3rd the value.\n");
}

void quiz_question(quiz_session *q, strbuf *out)
{
    if (quiz_over(q)) return;
    const quantity *x = &q->tr->q[q->ask[q->cur]];
    if (q->misses == 0)
        step_context(out, q->l, x, q->prev >= 0 ? &q->tr->q[q->prev] : NULL, &q->st);
    step_name(out, q->tr, x, &q->st);
    sb_printf(out, "? ");
}

static void say(strbuf *out, const quiz_session *q, const char *ansi, const char *text)
{
    sb_printf(out, "    ");
    step_put(out, &q->st, text, ansi);
    sb_printf(out, "\n");
}

/* The operands of x as the student has them: their accepted answers where
 * they gave one, the trace's values elsewhere. */
static int student_operands(const quiz_session *q, const quantity *x, double *vals)
{
    for (uint32_t k = 0; k < x->nops; k++) {
        uint32_t op = q->tr->ops[x->first + k];
        vals[k] = q->sheet->given[op] ? q->sheet->value[op] : trace_operand_value(q->tr, op);
    }
    return 0;
}

static void advance(quiz_session *q)
{
    q->prev = (long)q->ask[q->cur];
    q->cur++;
    q->misses = 0;
    q->has_last = 0;
}

/* Count a miss, keeping the student's number; returns the misses so far. */
static int record_miss(quiz_session *q, int have, double v)
{
    if (have) { q->has_last = 1; q->last = v; }
    return ++q->misses;
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
    if (len == 1 && s[0] == '?') { quiz_help(out); return 0; }

    double v = 0;
    judge_num_status ns = judge_parse_number(s, len, &v, NULL);
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

    char name[96], num[64];
    trace_name(x, name, sizeof name);
    strbuf m = {0};
    if (ns == JNUM_OK && (res.verdict == JUDGE_CORRECT || res.verdict == JUDGE_CARRIED)) {
        judge_record(q->sheet, id, v, res.verdict);
        if (res.verdict == JUDGE_CARRIED) {
            char bad[96], tv[64];
            trace_name(&q->tr->q[res.first_bad], bad, sizeof bad);
            text_num(res.truth, q->rule.digits, tv, sizeof tv);
            sb_printf(&m, "right, by error carried forward: it follows from your %s "
                          "(the trace has %s = %s)", bad, name, tv);
            q->carried++;
        } else {
            sb_printf(&m, "right");
            if (q->misses == 0) q->first_try++; else q->after_hint++;
        }
        say(out, q, "32", m.s ? m.s : "");
        advance(q);
    } else if (record_miss(q, ns == JNUM_OK, v) < 3) {
        double stack[64], *vals = x->nops <= 64 ? stack : malloc(x->nops * sizeof *vals);
        if (!vals) return -1;
        if (ns == JNUM_OK) {
            text_num(v, q->rule.digits + 2, num, sizeof num);
            sb_printf(&m, "not %s. ", num);
        }
        if (x->spec.op == OP_CONST) {     /* asked by name: a given number */
            sb_printf(&m, "hint: it is given in the lesson (nntrace run shows it)");
            say(out, q, "33", m.s ? m.s : "");
        } else {
            sb_printf(&m, q->misses == 1 ? "hint, the formula:" : "hint, with your numbers:");
            say(out, q, "33", m.s ? m.s : "");
            if (q->misses == 2) student_operands(q, x, vals);
            step_formula(out, q->tr, x, q->misses == 1 ? NULL : vals, 0, &q->st);
        }
        if (vals != stack) free(vals);
    } else {
        strbuf line = {0};
        text_line(&line, q->tr, x, q->st.digits);
        say(out, q, "31", "the answer:");
        sb_printf(out, "  ");
        step_put(out, &q->st, line.s ? line.s : "", NULL);
        sb_printf(out, "\n");
        if (line.failed) m.failed = 1;
        sb_free(&line);
        if (q->has_last) judge_record(q->sheet, id, q->last, JUDGE_WRONG);
        q->given++;
        advance(q);
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
    sb_printf(out, " (%d at the first try, %d after a hint, %d by error carried forward; "
                   "%d given after three misses)", q->first_try, q->after_hint, q->carried, q->given);
    if (q->quit) sb_printf(out, "; stopped after %zu of %zu questions", asked, q->n_ask);
    sb_printf(out, "\n");
    if (m.failed) out->failed = 1;
    sb_free(&m);
}
