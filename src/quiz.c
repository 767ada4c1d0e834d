/*
 * quiz.c - the quiz session (quiz.h): choosing questions, judging answers
 * with judge.h, hints from text.h, the score.
 *
 * Invariant: cur <= n_ask; misses < 3 while cur < n_ask; ask[] ascending, so
 * every operand of ask[cur] that was asked was asked (and settled) before.
 */
#include "quiz.h"

#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

/* ------------------------------------------------------------------------
 * Choosing the questions
 * ---------------------------------------------------------------------- */

/* Does pattern p select quantity q (canonical name `name`)? */
static int selects(const lesson *l, const char *p, const quantity *q, const char *name)
{
    char canon[96];
    if (!strcmp(p, name)) return 1;
    for (int k = 0; k < PASS_COUNT; k++)
        if (!strcmp(p, trace_pass_name((q_pass)k))) return q->pass == (q_pass)k;
    if (!names_canonical(l, p, canon, sizeof canon) && !strcmp(canon, name)) return 1;
    return fnmatch(p, name, 0) == 0;
}

/* Split patterns into NUL-separated tokens in buf; returns the count. */
static int split_patterns(const char *s, char *buf, char **tok, int max)
{
    int n = 0;
    char *w = buf;
    while (*s && n < max) {
        s += strspn(s, " \t;,");
        if (!*s) break;
        tok[n++] = w;
        int comma = 0;
        const char *start = s;
        for (; *s && !strchr(" \t;", *s); s++) {
            if (*s == ',') {
                /* part of an arc pair when the token is a weight name with no
                 * comma yet and the next piece has no '_' (a new name has) */
                int weight = !strncmp(start, "w_", 2) || !strncmp(start, "dJ/dw_", 6);
                size_t next = strcspn(s + 1, " \t;,");
                if (!weight || comma || memchr(s + 1, '_', next)) break;
                comma = 1;
            }
            *w++ = *s;
        }
        *w++ = '\0';
    }
    return n;
}

int quiz_select(const lesson *l, const trace *tr, const char *patterns, size_t **ids, size_t *n,
                char *err, size_t errsize)
{
    size_t plen = patterns ? strlen(patterns) : 0;
    char *buf = malloc(plen + 1);
    char **tok = malloc((plen / 2 + 2) * sizeof *tok);
    unsigned char *hit = NULL;
    int ntok = 0, rc = -1;
    *ids = malloc((tr->n ? tr->n : 1) * sizeof **ids);
    *n = 0;
    if (!buf || !tok || !*ids) { snprintf(err, errsize, "out of memory"); goto cleanup; }
    if (patterns) ntok = split_patterns(patterns, buf, tok, (int)(plen / 2 + 2));
    if (!(hit = calloc((size_t)ntok + 1, 1))) { snprintf(err, errsize, "out of memory"); goto cleanup; }
    char name[96];
    for (size_t id = 0; id < tr->n; id++) {
        const quantity *q = &tr->q[id];
        if (q->spec.op == OP_CONST) continue;       /* given numbers are not questions */
        trace_name(q, name, sizeof name);
        int take = ntok == 0;
        for (int k = 0; k < ntok; k++)
            if (selects(l, tok[k], q, name)) { hit[k] = 1; take = 1; }
        if (take) (*ids)[(*n)++] = id;
    }
    for (int k = 0; k < ntok; k++)
        if (!hit[k]) {
            snprintf(err, errsize, "--ask: '%s' matches no quantity with a formula in this trace "
                     "(names look like in_3, a_h1, delta_3, dJ/dw_1,3, w_1,3^(1); globs like in_*)", tok[k]);
            goto cleanup;
        }
    if (*n == 0) { snprintf(err, errsize, "this lesson's trace has no quantity to ask"); goto cleanup; }
    rc = 0;

cleanup:
    if (rc) { free(*ids); *ids = NULL; *n = 0; }
    free(buf);
    free(tok);
    free(hit);
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
        sb_printf(&m, q->misses == 1 ? "hint, the formula:" : "hint, with your numbers:");
        say(out, q, "33", m.s ? m.s : "");
        if (q->misses == 2) student_operands(q, x, vals);
        step_formula(out, q->tr, x, q->misses == 1 ? NULL : vals, 0, &q->st);
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
