/*
 * resolve.c - the names a lesson writes for its own quantities, checked once.
 *
 * A lesson names quantities in its `expect NAME = VALUE` (or `expect A = B`)
 * lines, its `ask PATTERN...` lines and its `points PATTERN = W` lines. Those names mean something only
 * against the trace, so engine_run checks them here, right after it built
 * the trace: every command that runs a lesson (run, step, quiz, template,
 * check, xlsx, tex, dot) stops on a misspelt name with its file and line and
 * the names module's "did you mean", never reports it as a failed
 * expectation or drops it. Expectations resolve in the lesson's notation
 * (names_resolve); an ask or points pattern is judged by the grader's own plan
 * (grade_plan_make), so it is accepted here exactly when `check` accepts it
 * (except a glob of a lesson that traces no step, `trace none`: there is
 * nothing it could match, and a command that asks says so itself).
 */
#include "resolve.h"

#include <stdio.h>
#include <string.h>

#include "grade.h"
#include "names.h"

/* Report a bad name of line `line`: 1, or -1 when the index ran out of memory. */
static int bad(const lesson *l, const names_index *ix, int line, const char *why, char *err, size_t errsize)
{
    if (names_index_failed(ix)) return -1;
    snprintf(err, errsize, "%s:%d: %s", l->path, line, why);
    return 1;
}

/* The line of the pattern that starts `offset` bytes into l->ask. The
 * lesson keeps a line per token of its `ask` lines, joined by single
 * blanks; a pattern can span tokens (a LaTeX name with blanks in braces),
 * so its line is that of the token it starts in. */
static int ask_line(const lesson *l, size_t offset)
{
    int t = 0;
    for (size_t i = 0; i < offset && l->ask[i]; i++) t += l->ask[i] == ' ';
    return t < l->n_ask_lines ? l->ask_lines[t] : 0;
}

int lesson_names_check(const lesson *l, const trace *tr, char *err, size_t errsize)
{
    if (l->n_expects == 0 && !l->ask && l->n_points == 0) return 0;
    names_index *ix = names_index_new(l, tr, l->notation);
    if (!ix) return -1;
    int rc = 0;
    char why[512];
    for (int k = 0; k < l->n_expects && !rc; k++) {
        const lesson_expect *e = &l->expects[k];
        for (int side = 0; side < 1 + (e->same[0] != '\0') && !rc; side++)
            if (names_resolve(ix, side ? e->same : e->name, why, sizeof why) < 0)
                rc = bad(l, ix, e->line, why, err, errsize);
    }
    char buf[4096];
    const char *pats[GRADE_MAX_PATTERNS];
    int np = l->ask ? grade_split_patterns(l->ask, buf, sizeof buf, pats, GRADE_MAX_PATTERNS) : 0;
    if (np < 0 && !rc) {
        snprintf(err, errsize, "%s:%d: 'ask' lists at most %d patterns", l->path,
                 l->n_ask_lines ? l->ask_lines[0] : 0, GRADE_MAX_PATTERNS);
        rc = 1;
    }
    /* does the lesson trace a step? ('trace none' does not: a glob has
     * nothing to match, though it may under --all-steps) */
    int traced = l->steps == 0 || !l->trace_steps || l->trace_all;
    for (int k = 0; k < l->n_trace_steps && !traced; k++) traced = l->trace_steps[k] <= l->steps;
    for (int k = 0; k < np && !rc; k++) {
        if (!traced && strpbrk(pats[k], "*?")) continue;
        grade_plan plan = {0};
        if (grade_plan_make(&plan, l, tr, ix, &pats[k], 1, NULL, 0, why, sizeof why))
            rc = bad(l, ix, ask_line(l, (size_t)(pats[k] - buf)), why, err, errsize);
        grade_plan_free(&plan);
    }
    /* a points line's name or pattern, as an ask pattern: one that names
     * nothing would leave its answers at the default worth in silence */
    for (int k = 0; k < l->n_points && !rc; k++) {
        const char *pat = l->points[k].pattern;
        if (!traced && strpbrk(pat, "*?")) continue;
        grade_plan plan = {0};
        if (grade_plan_make(&plan, l, tr, ix, &pat, 1, NULL, 0, why, sizeof why))
            rc = bad(l, ix, l->points[k].line, why, err, errsize);
        grade_plan_free(&plan);
    }
    names_index_free(ix);
    return rc;
}
