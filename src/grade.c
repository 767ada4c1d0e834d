/*
 * grade.c - answer sheets: the asked set, the untrusted sheet parser, the
 * grading loop over judge.h, and the reports (text, Gradescope, JSON, CSV,
 * template).
 *
 * A sheet is parsed line by line over (pointer, length) slices of the text,
 * so NUL bytes and missing final newlines need no special pass (lines end
 * in LF, CR LF or a lone CR, textline.h);
 * each answer is matched to its plan slot by binary search over the plan's
 * increasing ids after an O(1) names_index lookup, so a 10^6-line sheet is
 * linear. Grading walks the plan in id order, which is the trace's
 * evaluation order, so every operand is judged before its quantity.
 */
#include "grade.h"
#include "textline.h"

#include "base/blank.h"
#include "base/escape.h"
#include "base/numfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Patterns and the plan
 * ---------------------------------------------------------------------- */

int grade_glob(const char *p, const char *s)
{
    const char *star = NULL, *mark = NULL;
    while (*s) {
        if (*p == '*') { star = p++; mark = s; continue; }
        if (*p == '?' || *p == *s) { p++; s++; continue; }
        if (!star) return 0;
        p = star + 1;
        s = ++mark;
    }
    while (*p == '*') p++;
    return *p == '\0';
}

int grade_split_patterns(const char *list, char *buf, size_t bufsize, const char **out, int max)
{
    size_t len = strlen(list);
    if (len + 1 > bufsize) return -1;
    memcpy(buf, list, len + 1);
    int n = 0;
    for (char *c = buf; *c;) {
        while (*c && strchr(" \t;\n", *c)) *c++ = '\0';
        if (!*c) break;
        if (n == max) return -1;
        out[n++] = c;
        /* a separator inside braces is part of the name:
         * \frac{\partial E_{total}}{\partial w_5} is one pattern */
        for (int depth = 0; *c && (depth > 0 || !strchr(" \t;\n", *c)); c++)
            depth += *c == '{' ? 1 : *c == '}' && depth > 0 ? -1 : 0;
    }
    return n;
}

static int has_glob(const char *s) { return strchr(s, '*') || strchr(s, '?'); }

void grade_plan_free(grade_plan *plan)
{
    if (!plan) return;
    free(plan->ids);
    free(plan->points);
    free(plan->names);
    free(plan->shown);
    memset(plan, 0, sizeof *plan);
}

/* Slot of quantity id in the plan, or -1 (ids are increasing). */
static long plan_slot(const grade_plan *plan, size_t id)
{
    size_t lo = 0, hi = plan->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (plan->ids[mid] == id) return (long)mid;
        if (plan->ids[mid] < id) lo = mid + 1; else hi = mid;
    }
    return -1;
}

int grade_plan_make(grade_plan *plan, const lesson *l, const trace *tr, names_index *ix,
                    const char *const *patterns, size_t n_patterns,
                    const grade_points *pts, size_t n_pts, char *err, size_t errsize)
{
    memset(plan, 0, sizeof *plan);
    size_t n = tr->n;
    unsigned char *asked = calloc(n + 1, 1);
    char name[96], shown[192];
    if (!asked) { snprintf(err, errsize, "out of memory"); return -1; }
    for (size_t p = 0; p < n_patterns; p++) {
        size_t hits = 0;
        if (has_glob(patterns[p])) {
            for (size_t id = 0; id < n; id++) {
                if (tr->q[id].spec.op == OP_CONST) continue;
                trace_name(&tr->q[id], name, sizeof name);
                if (names_index_get(ix, name) != (long)id) continue;
                names_render(l, names_index_notation(ix), NAMES_ASCII, &tr->q[id], shown, sizeof shown);
                if (grade_glob(patterns[p], name) || grade_glob(patterns[p], shown)) {
                    asked[id] = 1;
                    hits++;
                }
            }
            if (!hits) {
                snprintf(err, errsize, "'%s' matches no computed quantity of this lesson's trace "
                         "(patterns match canonical names and the names the trace shows)", patterns[p]);
                free(asked);
                return -1;
            }
        } else {
            long id = names_resolve(ix, patterns[p], err, errsize);
            if (id < 0) { free(asked); return -1; }
            asked[id] = 1;
        }
    }
    if (n_patterns == 0)
        for (size_t id = 0; id < n; id++) {
            if (tr->q[id].spec.op == OP_CONST) continue;
            trace_name(&tr->q[id], name, sizeof name);
            if (names_index_get(ix, name) == (long)id) asked[id] = 1;
        }
    size_t count = 0;
    for (size_t id = 0; id < n; id++) count += asked[id];
    plan->ids = malloc((count + 1) * sizeof *plan->ids);
    plan->points = malloc((count + 1) * sizeof *plan->points);
    plan->names = malloc((count + 1) * sizeof *plan->names);
    plan->shown = malloc((count + 1) * sizeof *plan->shown);
    plan->l = l;
    plan->notation = names_index_notation(ix);
    if (!plan->ids || !plan->points || !plan->names || !plan->shown) {
        free(asked);
        grade_plan_free(plan);
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    for (size_t id = 0; id < n; id++) {
        if (!asked[id]) continue;
        size_t k = plan->n++;
        plan->ids[k] = id;
        trace_name(&tr->q[id], plan->names[k], sizeof plan->names[k]);
        names_render(l, plan->notation, NAMES_ASCII, &tr->q[id], plan->shown[k], sizeof plan->shown[k]);
        if (names_resolve(ix, plan->shown[k], NULL, 0) != (long)id)
            snprintf(plan->shown[k], sizeof plan->shown[k], "%s", plan->names[k]);
        plan->points[k] = 1.0;
        for (size_t r = 0; r < n_pts; r++) {
            int m = 0;
            if (has_glob(pts[r].pattern)) {
                names_render(l, names_index_notation(ix), NAMES_ASCII, &tr->q[id], shown, sizeof shown);
                m = grade_glob(pts[r].pattern, plan->names[k]) || grade_glob(pts[r].pattern, shown);
            } else {
                m = names_resolve(ix, pts[r].pattern, NULL, 0) == (long)id;
            }
            if (m) plan->points[k] = pts[r].points;
        }
    }
    free(asked);
    if (plan->n == 0) {
        snprintf(err, errsize, "nothing to ask: the trace has no computed quantities");
        grade_plan_free(plan);
        return -1;
    }
    return 0;
}

int grade_plan_lesson(grade_plan *plan, const lesson *l, const trace *tr, names_index *ix,
                      const char *const *patterns, size_t n_patterns, char *err, size_t errsize)
{
    char buf[4096];
    const char *own[GRADE_MAX_PATTERNS];
    memset(plan, 0, sizeof *plan);
    if (n_patterns == 0 && l->ask) {
        int n = grade_split_patterns(l->ask, buf, sizeof buf, own, GRADE_MAX_PATTERNS);
        if (n < 0) { snprintf(err, errsize, "the lesson's 'ask' list is too long"); return -1; }
        patterns = own;
        n_patterns = (size_t)n;
    }
    grade_points *pts = calloc((size_t)l->n_points + 1, sizeof *pts);
    if (!pts) { snprintf(err, errsize, "out of memory"); return -1; }
    for (int k = 0; k < l->n_points; k++) {
        pts[k].pattern = l->points[k].pattern;
        pts[k].points = l->points[k].points;
    }
    int rc = grade_plan_make(plan, l, tr, ix, patterns, n_patterns, pts, (size_t)l->n_points, err, errsize);
    free(pts);
    return rc;
}

/* ------------------------------------------------------------------------
 * Reading a sheet
 * ---------------------------------------------------------------------- */

/* Is s[0..n) UTF-32 or UTF-16 (what some editors save as "Unicode")? 32
 * or 16 for a byte-order mark, or NUL bytes in three of every four (every
 * other) places of the first bytes; else 0. */
static int wide_text(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n >= 4 && ((u[0] == 0xFF && u[1] == 0xFE && !u[2] && !u[3]) ||
                   (!u[0] && !u[1] && u[2] == 0xFE && u[3] == 0xFF)))
        return 32;
    if (n >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) return 16;
    if (n < 4) return 0;
    size_t m4 = n < 64 ? n & ~(size_t)3 : 64, nul[4] = {0};
    for (size_t k = 0; k < m4; k++) nul[k % 4] += !u[k];
    const size_t q = m4 / 4;
    if ((nul[0] == 0 && nul[1] == q && nul[2] == q && nul[3] == q) ||
        (nul[0] == q && nul[1] == q && nul[2] == q && nul[3] == 0))
        return 32;
    size_t m = n < 64 ? n & ~(size_t)1 : 64, odd = 0, even = 0;
    for (size_t k = 0; k < m; k += 2) { even += !u[k]; odd += !u[k + 1]; }
    return (odd == m / 2 && even == 0) || (even == m / 2 && odd == 0) ? 16 : 0;
}

/* Files a student uploads by mistake instead of the text sheet, by the
 * bytes they start with. */
static const struct { const char *magic; size_t n; const char *what; } NOT_TEXT[] = {
    {"%PDF-", 5, "a PDF document"},
    {"PK\x03\x04", 4, "a Word, Pages or other zipped document"},
    {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8, "an old Word (.doc) document"},
    {"{\\rtf", 5, "an RTF document (TextEdit's and WordPad's default)"},
    {"\x89PNG", 4, "a PNG image"},
    {"\xFF\xD8\xFF", 3, "a JPEG image"},
};

/* What document s[0..n) is when it is one of NOT_TEXT, else NULL. */
static const char *not_text(const char *s, size_t n)
{
    for (size_t k = 0; k < sizeof NOT_TEXT / sizeof NOT_TEXT[0]; k++)
        if (n >= NOT_TEXT[k].n && !memcmp(s, NOT_TEXT[k].magic, NOT_TEXT[k].n)) return NOT_TEXT[k].what;
    return NULL;
}

int grade_read_file(const char *path, char **text, size_t *len, char *why, size_t whysize)
{
    return grade_read_file_max(path, GRADE_MAX_BYTES, "an answer sheet", text, len, why, whysize);
}

int grade_read_file_max(const char *path, size_t max, const char *what, char **text, size_t *len, char *why,
                        size_t whysize)
{
    *text = NULL;
    *len = 0;
    /* never through a symbolic link (it could name any file the grader can
     * read), never blocking (a FIFO, /proc/kmsg): only a regular file */
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW) : STDIN_FILENO;
    if (fd < 0 && errno == ELOOP) {
        snprintf(why, whysize, "a symbolic link; %s must be a regular file", what);
        return -1;
    }
    if (fd < 0) { snprintf(why, whysize, "cannot open: %s", strerror(errno)); return -1; }
    struct stat st;
    int rc = -1;
    char *buf = NULL;
    if (fstat(fd, &st) != 0) { snprintf(why, whysize, "cannot read: %s", strerror(errno)); goto done; }
    if (fd != STDIN_FILENO && !S_ISREG(st.st_mode)) {
        snprintf(why, whysize, "not a regular file");
        goto done;
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0 && (unsigned long long)st.st_size > max) {
        snprintf(why, whysize, "%lld bytes: larger than the %zu-byte limit for %s; not read",
                 (long long)st.st_size, max, what);
        goto done;
    }
    if (fd != STDIN_FILENO) {
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    /* room for the size fstat gave and one byte more (a file that grew
     * shows as longer), growing up to max + 1 bytes read */
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 2 : 65536, n = 0;
    if (cap > max + 2) cap = max + 2;
    buf = malloc(cap);
    if (!buf) { snprintf(why, whysize, "out of memory"); goto done; }
    while (n < max + 1) {
        if (n + 1 >= cap) {
            size_t more = cap > (max + 2) / 2 ? max + 2 : 2 * cap;
            char *grown = realloc(buf, more);
            if (!grown) { snprintf(why, whysize, "out of memory"); goto done; }
            buf = grown;
            cap = more;
        }
        ssize_t got = read(fd, buf + n, cap - 1 - n);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) { snprintf(why, whysize, "cannot read: %s", strerror(errno)); goto done; }
        if (got == 0) break;
        n += (size_t)got;
    }
    if (n > max) {
        snprintf(why, whysize, "larger than the %zu-byte limit for %s; not graded", max, what);
        goto done;
    }
    int wide = wide_text(buf, n);
    if (wide) {
        snprintf(why, whysize, "looks like UTF-%d text (a byte-order mark or NUL bytes beside each "
                 "letter); save it as UTF-8 (plain text) and try again", wide);
        goto done;
    }
    const char *doc = not_text(buf, n);
    if (doc) {
        snprintf(why, whysize, "this is %s, not the text answer sheet; fill in the sheet in a plain-text "
                 "editor and upload it as plain text (UTF-8)", doc);
        goto done;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    buf = NULL;
    rc = 0;
done:
    free(buf);
    if (fd != STDIN_FILENO) close(fd);
    return rc;
}

void grade_safe_name(char *out, size_t size, const char *path)
{
    esc_visible(out, size, path, strlen(path), (size_t)-1);
}

/* ------------------------------------------------------------------------
 * Parsing a sheet
 * ---------------------------------------------------------------------- */

void grade_answers_free(grade_answers *a)
{
    if (!a) return;
    free(a->line);
    free(a->refused);
    free(a->refused_why);
    free(a->value);
    free(a->given);
    free(a->decimals);
    free(a->written);
    free(a->problems);
    memset(a, 0, sizeof *a);
}

static int answers_alloc(grade_answers *a, const grade_plan *plan)
{
    memset(a, 0, sizeof *a);
    a->line = calloc(plan->n + 1, sizeof *a->line);
    a->refused = calloc(plan->n + 1, sizeof *a->refused);
    a->refused_why = calloc(plan->n + 1, sizeof *a->refused_why);
    a->value = calloc(plan->n + 1, sizeof *a->value);
    a->given = calloc(plan->n + 1, 1);
    a->decimals = calloc(plan->n + 1, sizeof *a->decimals);
    a->written = calloc(plan->n + 1, sizeof *a->written);
    a->problems = calloc(GRADE_MAX_SHOWN, sizeof *a->problems);
    if (!a->line || !a->refused || !a->refused_why || !a->value || !a->given || !a->decimals || !a->written || !a->problems) {
        grade_answers_free(a);
        return -1;
    }
    return 0;
}

int grade_answers_unreadable(grade_answers *out, const grade_plan *plan, const char *why)
{
    if (answers_alloc(out, plan)) return -1;
    out->unreadable = 1;
    snprintf(out->why, sizeof out->why, "%s", why);
    return 0;
}

/* How much of a bad line a report repeats. A sheet may be a link or a copy
 * of any file the grader can read (a lesson's expect lines, a password
 * file), and its report reaches the student, so a line that is not in the
 * sheet's syntax is shown only as a short excerpt, a line naming no
 * quantity only by its name, and only a line about a real quantity of the
 * lesson in full (up to ECHO_SHEET characters), as esc_visible shows
 * untrusted text: printable characters as written, a tab or an invisible
 * character as <U+0009>, a broken byte as <0xFF>. */
enum { ECHO_NONE = 0, ECHO_FOREIGN = 12, ECHO_NAME = 24, ECHO_SHEET = 40 };

/* Record a bad line: an excerpt of s[0..n) (at most max bytes, see above)
 * and the message fmt with arg. */
static void problem(grade_answers *a, long line, const char *s, size_t n, size_t max, const char *fmt,
                    const char *arg)
{
    a->n_problems_total++;
    if (a->n_problems >= GRADE_MAX_SHOWN) return;
    grade_problem *p = &a->problems[a->n_problems++];
    char e[192], m[sizeof p->msg - sizeof e - 8];
    if (!max) n = 0;
    esc_visible(e, sizeof e, s, n, max);
    snprintf(m, sizeof m, fmt, arg);
    p->line = line;
    if (n) snprintf(p->msg, sizeof p->msg, "'%s': %s", e, m);
    else snprintf(p->msg, sizeof p->msg, "%s", m);
}

/* One line s[0..n) (no newline). A blank is a space, a tab or a Unicode
 * blank (base/blank.h: a no-break space pasted from a PDF), wherever the
 * line's words may be set apart: at its ends, before the '=' and around the
 * number. */
static void parse_line(grade_answers *a, long ln, const char *s, size_t n, const lesson *l,
                       names_index *ix, const grade_plan *plan)
{
    const char *line = s;
    size_t full = n;
    if (n > GRADE_MAX_LINE) {
        char msg[96];
        snprintf(msg, sizeof msg, "a line of %zu bytes (at most %d are read)", n, GRADE_MAX_LINE);
        problem(a, ln, line, 0, ECHO_NONE, "%s", msg);
        return;
    }
    if (memchr(s, '\0', n)) { problem(a, ln, line, full, ECHO_NONE, "%s", "holds a NUL byte"); return; }
    const char *hash = memchr(s, '#', n);
    if (hash) n = (size_t)(hash - s);
    size_t a0 = 0;
    blank_trim(s, &a0, &n);
    s += a0;
    n -= a0;
    if (!n) return;
    if (memchr(s, ';', n)) {
        problem(a, ln, s, n, ECHO_FOREIGN, "%s", "one answer a line: ';' joins two here; put each on its own line");
        return;
    }
    /* "name = number", "name: number", or a spreadsheet's two cells pasted
     * as "name<TAB>number" */
    const char *eq = memchr(s, '=', n), *colon = memchr(s, ':', n), *tab = memchr(s, '\t', n);
    const char *sep = eq ? eq : colon ? colon : tab;
    if (!sep) { problem(a, ln, s, n, ECHO_FOREIGN, "%s", "expected 'name = number'"); return; }
    const char *val = sep + 1;
    if (eq)   /* a copied derivation: the number after the last '=' */
        for (const char *c = s + n - 1; c > eq; c--) if (*c == '=') { val = c + 1; break; }
    size_t nlen = (size_t)(sep - s);
    for (size_t k; nlen && (k = blank_before(s, nlen));) nlen -= k;
    if (!nlen) { problem(a, ln, s, n, ECHO_FOREIGN, "%s", "no name before '='"); return; }
    char name[256], why[320];
    long id = -1;
    (void)l;
    /* a name may hold blanks (w_1, 3; LaTeX's \partial J) and be long
     * (LaTeX); one that names nothing and has blanks or is longer than a
     * name is not the sheet's own syntax (a line of some other file): an
     * excerpt, no did-you-mean */
    int foreign = nlen > ECHO_NAME || memchr(s, ' ', nlen) || memchr(s, '\t', nlen);
    if (nlen < sizeof name) {
        memcpy(name, s, nlen);
        name[nlen] = '\0';
        /* a did-you-mean costs a scan of every name: only for problems shown */
        int shown = !foreign && a->n_problems < GRADE_MAX_SHOWN;
        id = names_resolve(ix, name, shown ? why : NULL, sizeof why);
        if (id < 0 && !foreign) { problem(a, ln, line, 0, ECHO_NONE, "%s", shown ? why : ""); return; }
    }
    if (id < 0) {
        problem(a, ln, s, n, ECHO_FOREIGN, "%s", "no quantity of this lesson has this name");
        return;
    }
    long slot = plan_slot(plan, (size_t)id);
    if (slot < 0) { problem(a, ln, line, full, ECHO_SHEET, "%s", "not asked on this sheet; ignored"); return; }
    double v;
    int decimals;
    judge_num_status st = judge_parse_number(val, (size_t)(s + n - val), &v, &decimals);
    if (st == JNUM_EMPTY) return;                  /* left blank: missing */
    if (st != JNUM_OK) {
        problem(a, ln, line, full, ECHO_SHEET, "%s", judge_num_strerror(st));
        if (!a->refused[slot]) { a->refused[slot] = ln; a->refused_why[slot] = judge_num_strerror(st); }
        return;
    }
    if (a->given[slot]) {
        char msg[96];
        snprintf(msg, sizeof msg, "%s given again (first on line %ld); the first answer counts",
                 plan->shown[slot], a->line[slot]);
        problem(a, ln, line, full, ECHO_SHEET, "%s", msg);
        return;
    }
    a->given[slot] = 1;
    a->value[slot] = v;
    a->decimals[slot] = decimals;
    a->line[slot] = ln;
    /* the text as written, for the reports: blanks trimmed, cut with "..." */
    char w[GRADE_WRITTEN];
    size_t v0 = 0, wn = (size_t)(s + n - val);
    blank_trim(val, &v0, &wn);
    wn -= v0;
    if (wn >= sizeof w) { memcpy(w, val + v0, sizeof w - 4); memcpy(w + sizeof w - 4, "...", 4); }
    else { memcpy(w, val + v0, wn); w[wn] = '\0'; }
    grade_safe_name(a->written[slot], sizeof a->written[slot], w);
}

/* Is the sheet's line text[start, start + n) the header line key ("#
 * student:", "# notation:") with something after it? Then [*a, *b) is
 * that value, its blanks trimmed. */
static int header_value(const char *text, size_t start, size_t n, const char *key, size_t *a, size_t *b)
{
    size_t kl = strlen(key);
    if (n <= kl || memcmp(text + start, key, kl)) return 0;
    *a = start + kl;
    *b = start + n;
    blank_trim(text, a, b);
    return 1;
}

int grade_parse_answers(grade_answers *out, const char *text, size_t len, const lesson *l,
                        names_index *ix, const grade_plan *plan)
{
    if (answers_alloc(out, plan)) return -1;
    size_t p = 0;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) p = 3;     /* UTF-8 BOM */
    long ln = 0;
    size_t start, n;
    size_t a = p, b = len;
    while (a < b) {     /* blanks, tabs and line ends only: an empty upload */
        size_t k = blank_at(text + a, b - a);
        if (!k && (text[a] == '\n' || text[a] == '\r')) k = 1;
        if (!k) break;
        a += k;
    }
    if (a == b) out->empty = len == 0 ? "0 bytes" : "only blank lines";
    /* a sheet in another notation says so ("# notation: layer", as template
     * writes it): a name two notations give different quantities (err_2) is
     * read in the sheet's */
    int before = -1;
    long hl = 0;
    for (size_t q = p; textline_next(text, len, &q, &start, &n);) {
        size_t va, vb;
        hl++;
        if (!header_value(text, start, n, GRADE_NOTATION_KEY, &va, &vb)) continue;
        char word[16] = "";
        if (vb - va < sizeof word) {
            memcpy(word, text + va, vb - va);
            word[vb - va] = '\0';
        }
        int nt = lesson_notation_parse(word);
        if (nt >= 0) before = names_index_prefer(ix, nt);
        else problem(out, hl, text + start, n, ECHO_SHEET, "%s",
                     "names no notation (" NOTATION_CHOICES "); the sheet is read in the lesson's");
        break;
    }
    while (textline_next(text, len, &p, &start, &n))
        parse_line(out, ++ln, text + start, n, l, ix, plan);
    if (before >= 0) names_index_prefer(ix, before);
    out->n_lines = ln;
    return 0;
}

/* ------------------------------------------------------------------------
 * Grading
 * ---------------------------------------------------------------------- */

void grade_report_free(grade_report *rep)
{
    if (!rep) return;
    free(rep->items);
    memset(rep, 0, sizeof *rep);
}

/* "name = symbolic = numbers = value" with the sheet's numbers substituted,
 * or, for a hint, "name = symbolic = numbers" without the value, where the
 * numbers are only the student's own answers and the givens the sheet
 * gives (gives[], grade_sheet_givens): an operand the sheet does not answer
 * (blank, or not asked) or give stays its name, since its
 * value would give away the engine's numbers (g'(in_3) shows a_3); with no
 * number to substitute, "name = symbolic". Names are in the plan's
 * notation. Returns 0, or -1 out of memory. */
static int derivation(char *out, size_t size, const trace *tr, const judge_sheet *sheet, size_t id,
                      double value, int digits, const grade_plan *plan, const unsigned char *gives, int hint)
{
    const quantity *q = &tr->q[id];
    out[0] = '\0';
    if (q->spec.op == OP_CONST) return 0;
    double stack[64], *vals = q->nops <= 64 ? stack : malloc(q->nops * sizeof *vals);
    if (!vals) return -1;
    judge_operand_values(tr, sheet, id, vals);
    int substitute = !hint;
    for (uint32_t k = 0; hint && k < q->nops; k++) {
        uint32_t op = tr->ops[q->first + k];
        if (sheet->given[op] || gives[op]) substitute = 1;
        else vals[k] = NAN;                   /* not the student's number nor a given: its name */
    }
    strbuf b = {0};
    char name[192], num[64];
    text_qname(plan->l, plan->notation, q, name, sizeof name);
    sb_printf(&b, "%s = ", name);
    text_formula_n(&b, tr, q, NULL, digits, plan->l, plan->notation);
    if (substitute) {
        sb_printf(&b, " = ");
        text_formula_some(&b, tr, q, vals, digits, plan->l, plan->notation);
    }
    if (!hint) {
        text_num(value, digits, num, sizeof num);
        sb_printf(&b, " = %s", num);
    }
    if (vals != stack) free(vals);
    int rc = b.failed || !b.s ? -1 : 0;
    if (rc == 0) {
        if (b.len < size) memcpy(out, b.s, b.len + 1);
        else { memcpy(out, b.s, size - 4); memcpy(out + size - 4, "...", 4); }
    }
    sb_free(&b);
    return rc;
}

void grade_opts_lesson(grade_opts *o, const lesson *l, const trace *hand)
{
    *o = (grade_opts){
        .rule = {.digits = lesson_answer_digits(l), .tol = l->tolerance, .rel = l->tolerance_rel,
                 .sigfigs = l->sigfigs, .ecf_depth = l->ecf_depth, .ecf_depth_set = l->ecf_depth >= 0,
                 .hand = hand},
        .ecf_credit = l->ecf_credit >= 0 ? l->ecf_credit : 1.0,
        .short_credit = l->short_credit >= 0 ? l->short_credit : 0.5,
        .feedback = GRADE_FB_FULL,
        .digits = l->digits,
    };
}

static const char *const FEEDBACK[] = {
    [GRADE_FB_VERDICT] = "verdict",
    [GRADE_FB_HINT]    = "hint",
    [GRADE_FB_FULL]    = "full",
};
_Static_assert(sizeof FEEDBACK / sizeof FEEDBACK[0] == GRADE_FB_N, "one name per feedback level");

static const char *const VISIBILITY[] = {"visible", "hidden", "after_due_date", "after_published"};

/* The index of s in names[n], or -1. */
static int lookup(const char *const *names, int n, const char *s)
{
    for (int k = 0; k < n; k++) if (!strcmp(names[k], s)) return k;
    return -1;
}

int grade_feedback_parse(const char *s)
{
    return lookup(FEEDBACK, GRADE_FB_N, s);
}

const char *grade_feedback_name(grade_feedback f)
{
    return (unsigned)f < GRADE_FB_N ? FEEDBACK[f] : "?";
}

int grade_parse_tolerance(const char *s, double *abs_tol, double *rel_tol)
{
    size_t n = strlen(s);
    double x;
    int pct = n > 1 && s[n - 1] == '%';
    if (judge_parse_number(s, pct ? n - 1 : n, &x, NULL) != JNUM_OK || !(x > 0)) return -1;
    if (pct && x >= 100) return -1;
    *abs_tol = pct ? 0 : x;
    *rel_tol = pct ? x / 100 : 0;
    return 0;
}

int grade_visibility_ok(const char *s)
{
    return lookup(VISIBILITY, (int)(sizeof VISIBILITY / sizeof VISIBILITY[0]), s) >= 0;
}

int grade_sheet(grade_report *rep, const trace *tr, const grade_plan *plan,
                const grade_answers *ans, const grade_opts *o)
{
    memset(rep, 0, sizeof *rep);
    rep->first_mistake = -1;
    rep->items = calloc(plan->n + 1, sizeof *rep->items);
    judge_sheet *sheet = judge_sheet_new(tr);
    judge_sheet *none = judge_sheet_new(tr);   /* no answer: every operand the engine's */
    unsigned char *gives = malloc(tr->n + 1);
    if (!rep->items || !sheet || !none || !gives || grade_sheet_givens(tr, plan, gives)) {
        judge_sheet_free(sheet);
        judge_sheet_free(none);
        free(gives);
        grade_report_free(rep);
        return -1;
    }
    rep->n = plan->n;
    for (size_t k = 0; k < plan->n; k++) {
        grade_item *it = &rep->items[k];
        size_t id = plan->ids[k];
        rep->max_score += plan->points[k];
        if (ans->given[k]) {
            if (judge_answer_d(tr, sheet, id, ans->value[k], ans->decimals[k], &o->rule, &it->res)) {
                judge_sheet_free(sheet);
                judge_sheet_free(none);
                free(gives);
                grade_report_free(rep);
                return -1;
            }
            judge_record_result(sheet, id, ans->value[k], &it->res);
        } else {
            judge_answer(tr, sheet, id, 0.0, &o->rule, &it->res);
            it->res.verdict = JUDGE_MISSING;
        }
        judge_verdict v = it->res.verdict;
        it->score = v == JUDGE_CORRECT ? plan->points[k]
                  : v == JUDGE_CARRIED ? (it->res.too_deep ? 0.0 : plan->points[k] * o->ecf_credit)
                  : v == JUDGE_SHORT   ? plan->points[k] * o->short_credit : 0.0;
        rep->score += it->score;
        rep->count[v]++;
        if (v == JUDGE_WRONG && rep->first_mistake < 0) rep->first_mistake = (long)k;
        double shown = isnan(it->res.ecf) ? it->res.truth : it->res.ecf;
        if (v != JUDGE_CORRECT &&
            (derivation(it->derivation, sizeof it->derivation, tr, sheet, id, shown, o->digits, plan, gives, 0) ||
             derivation(it->hint, sizeof it->hint, tr, sheet, id, shown, o->digits, plan, gives, 1) ||
             derivation(it->worked, sizeof it->worked, tr, none, id, it->res.truth, o->digits, plan, gives, 0))) {
            judge_sheet_free(sheet);
            judge_sheet_free(none);
            free(gives);
            grade_report_free(rep);
            return -1;
        }
        if (v != JUDGE_CORRECT && !it->worked[0]) {     /* a given: its value */
            char name[192], value[64];
            text_qname(plan->l, plan->notation, &tr->q[id], name, sizeof name);
            text_num(it->res.truth, o->digits, value, sizeof value);
            snprintf(it->worked, sizeof it->worked, "%s = %s", name, value);
        }
    }
    judge_sheet_free(sheet);
    judge_sheet_free(none);
    free(gives);
    return 0;
}

/* ------------------------------------------------------------------------
 * Reports
 * ---------------------------------------------------------------------- */

/* A reference value as the lecture prints it (text_num rounds as a calculator does). */
static void num(char *buf, size_t size, double v, int digits) { text_num(v, digits, buf, size); }

/* A student's answer in slot k as they wrote it (0.30 stays 0.30). */
static void student_num(char *buf, size_t size, const grade_answers *ans, size_t k)
{
    snprintf(buf, size, "%s", ans->written[k]);
}

static const char *const COLOR[] = {
    [JUDGE_MISSING] = "\033[2m", [JUDGE_CORRECT] = "\033[32m", [JUDGE_CARRIED] = "\033[33m",
    [JUDGE_WRONG] = "\033[31m", [JUDGE_SHORT] = "\033[33m", [JUDGE_DEGENERATE] = "\033[31m",
};
_Static_assert(sizeof COLOR / sizeof COLOR[0] == JUDGE_NVERDICTS, "one colour per verdict");

/* The bad lines, and the sheet-level problem. */
static void problems_text(strbuf *b, const grade_answers *ans)
{
    if (ans->unreadable) sb_printf(b, "the answer sheet was not graded: %s\n", ans->why);
    if (ans->note[0]) sb_printf(b, "note: %s\n", ans->note);
    if (ans->flag[0]) sb_printf(b, "warning: %s\n", ans->flag);
    if (ans->empty)
        sb_printf(b, "the answer sheet is empty (%s): there is no answer to grade; write your answers in it, "
                  "save it and hand it in again\n", ans->empty);
    if (!ans->n_problems_total) return;
    sb_printf(b, "lines not graded (%zu):\n", ans->n_problems_total);
    for (size_t k = 0; k < ans->n_problems; k++)
        sb_printf(b, "  line %ld: %s\n", ans->problems[k].line, ans->problems[k].msg);
    if (ans->n_problems_total > ans->n_problems)
        sb_printf(b, "  ... and %zu more\n", ans->n_problems_total - ans->n_problems);
}

static void summary(strbuf *b, const grade_report *rep)
{
    char s[64], m[64];
    num(s, sizeof s, rep->score, 4);
    num(m, sizeof m, rep->max_score, 4);
    sb_printf(b, "score: %s / %s (%.1f%%): %zu correct, %zu carried forward, ", s, m,
              rep->max_score > 0 ? 100.0 * rep->score / rep->max_score : 0.0,
              rep->count[JUDGE_CORRECT], rep->count[JUDGE_CARRIED]);
    if (rep->count[JUDGE_SHORT]) sb_printf(b, "%zu with too few decimals, ", rep->count[JUDGE_SHORT]);
    if (rep->count[JUDGE_DEGENERATE])
        sb_printf(b, "%zu carried from a degenerate answer, ", rep->count[JUDGE_DEGENERATE]);
    sb_printf(b, "%zu wrong, %zu missing\n", rep->count[JUDGE_WRONG], rep->count[JUDGE_MISSING]);
}

static void first_mistake_text(strbuf *b, const grade_plan *plan, const grade_answers *ans,
                               const grade_report *rep, const grade_opts *o)
{
    if (rep->first_mistake < 0) {
        if (ans->empty) return;                  /* problems_text said so */
        if (rep->count[JUDGE_MISSING] == rep->n) sb_printf(b, "no answers to grade\n");
        else if (rep->count[JUDGE_CORRECT] == rep->n) sb_printf(b, "every answer is correct\n");
        else sb_printf(b, "no wrong answer%s\n", rep->count[JUDGE_MISSING] ? "; some are missing" : "");
        return;
    }
    size_t k = (size_t)rep->first_mistake;
    const grade_item *it = &rep->items[k];
    char got[64], want[64];
    student_num(got, sizeof got, ans, k);
    sb_printf(b, "first mistake: %s (line %ld): you wrote %s", plan->shown[k], ans->line[k], got);
    if (o->feedback == GRADE_FB_FULL) {
        num(want, sizeof want, it->res.truth, o->digits);
        sb_printf(b, ", the value is %s\n", want);
        if (it->derivation[0]) sb_printf(b, "  %s\n", it->derivation);
    } else {
        sb_printf(b, "\n");
        if (o->feedback == GRADE_FB_HINT && it->hint[0]) sb_printf(b, "  %s\n", it->hint);
    }
}

/* Does item_detail at o's level show it->worked, the derivation with the
 * lesson's numbers? At full: for a missing answer (labelled "worked
 * answer: "), and for a wrong one whose derivation from the student's own
 * answers is that same line. The report and Gradescope's worked-answer
 * tests ask this one question, so neither shows the line twice. */
static int detail_shows_worked(const grade_item *it, const grade_opts *o)
{
    if (o->feedback != GRADE_FB_FULL || !it->worked[0]) return 0;
    return it->res.verdict == JUDGE_MISSING ||
           (it->res.verdict == JUDGE_WRONG && !strcmp(it->derivation, it->worked));
}

/* One item's detail lines (after its row), without colour, at the
 * feedback level of o: nothing the level does not allow. */
static void item_detail(strbuf *b, const trace *tr, const grade_plan *plan, const grade_answers *ans,
                        const grade_report *rep, size_t k, const grade_opts *o, const char *indent)
{
    const grade_item *it = &rep->items[k];
    int full = o->feedback == GRADE_FB_FULL;
    char want[64], ecf[64], from[64];
    num(want, sizeof want, it->res.truth, o->digits);
    switch (it->res.verdict) {
    case JUDGE_WRONG:
        if (it->res.few_decimals)     /* what was written only: no answer leaks */
            sb_printf(b, "%s%d decimals are asked; this answer has %d\n", indent, o->rule.digits, it->res.decimals);
        if (full) {
            sb_printf(b, "%sexpected %s", indent, want);
            if (it->res.ecf_differs && isfinite(it->res.ecf)) {
                num(ecf, sizeof ecf, it->res.ecf, o->digits);
                sb_printf(b, "; from your own earlier answers: %s", ecf);
            }
            sb_printf(b, "\n");
            if (it->derivation[0]) sb_printf(b, "%s%s\n", indent, it->derivation);
        } else if (o->feedback == GRADE_FB_HINT && it->hint[0]) {
            sb_printf(b, "%s%s\n", indent, it->hint);
        }
        break;
    case JUDGE_CARRIED: {
        long bad = plan_slot(plan, it->res.first_bad);
        char name[192];
        text_qname(plan->l, plan->notation, &tr->q[it->res.first_bad], name, sizeof name);
        if (bad >= 0) student_num(from, sizeof from, ans, (size_t)bad);
        else snprintf(from, sizeof from, "?");
        sb_printf(b, "%sfollows from your %s = %s", indent, name, from);
        if (full) sb_printf(b, " (the value is %s)", want);
        sb_printf(b, "\n");
        if (it->res.too_deep && o->rule.ecf_depth == 0)
            sb_printf(b, "%sno credit: carried answers earn nothing here (ecf-depth 0)\n", indent);
        else if (it->res.too_deep)
            sb_printf(b, "%scarried %d steps from the first mistake; credit stops after %d\n", indent,
                      it->res.depth, o->rule.ecf_depth);
        break;
    }
    case JUDGE_DEGENERATE: {
        static const char *const WHY[] = {
            [JDEG_NONE] = "", [JDEG_ZERO] = "your %s = 0 where the value is not 0 (a step left out?)",
            [JDEG_COPY] = "it repeats %s, whose value differs from this one",
            [JDEG_FROM] = "it follows from %s, itself carried from a degenerate answer",
            [JDEG_IGNORED] = ("it comes out the same with %s = 0, which changes the true value "
                              "(a number so large that the others are lost in it?)"),
        };
        char name[192];
        text_qname(plan->l, plan->notation, &tr->q[it->res.why_id], name, sizeof name);
        sb_printf(b, "%sno credit: ", indent);
        sb_printf(b, WHY[it->res.why], name);
        sb_printf(b, "\n");
        break;
    }
    case JUDGE_SHORT:
        sb_printf(b, "%sright to %d decimal%s; %d asked", indent, it->res.decimals,
                  it->res.decimals == 1 ? "" : "s", o->rule.digits);
        if (full) sb_printf(b, " (the value is %s)", want);
        sb_printf(b, "\n");
        break;
    case JUDGE_MISSING:       /* nothing written: the line the lesson's numbers give */
        if (!detail_shows_worked(it, o)) break;
        sb_printf(b, "%sworked answer: %s\n", indent, it->worked);
        if (it->res.ecf_differs && isfinite(it->res.ecf)) {
            num(ecf, sizeof ecf, it->res.ecf, o->digits);
            sb_printf(b, "%sfrom your own earlier answers: %s\n", indent, ecf);
        }
        break;
    default:
        break;
    }
}

void grade_text(strbuf *b, const lesson *l, const char *sheet_name, const trace *tr,
                const grade_plan *plan, const grade_answers *ans, const grade_report *rep,
                const grade_opts *o, int color)
{
    char base[256];
    lesson_basename(l->path, base, sizeof base);
    sb_printf(b, "%s: %s\nanswers: %s\n", base, l->title ? l->title : "", sheet_name);
    problems_text(b, ans);
    first_mistake_text(b, plan, ans, rep, o);
    sb_printf(b, "\n");
    for (size_t k = 0; k < plan->n; k++) {
        const grade_item *it = &rep->items[k];
        judge_verdict v = it->res.verdict;
        char got[64] = "", pts[32], max[32], line[24] = "";
        if (ans->given[k]) student_num(got, sizeof got, ans, k);
        if (ans->line[k]) snprintf(line, sizeof line, "%ld", ans->line[k]);
        num(pts, sizeof pts, it->score, 4);
        num(max, sizeof max, plan->points[k], 4);
        const size_t gw = esc_cols(got, strlen(got));   /* padded by columns: a pasted minus is 3 bytes */
        sb_printf(b, "%5s  %-14s %s%*s %s%-16s%s %s/%s\n", line, plan->shown[k], got, gw < 12 ? (int)(12 - gw) : 0, "",
                  color ? COLOR[v] : "", judge_verdict_name(v), color ? "\033[0m" : "", pts, max);
        item_detail(b, tr, plan, ans, rep, k, o, "       ");
    }
    sb_printf(b, "\n");
    summary(b, rep);
}

void grade_json_str(strbuf *b, const char *s) { esc_json(b, s); }

static void json_num(strbuf *b, double v)
{
    char e[40];
    num_shortest(v, e, sizeof e);
    sb_printf(b, "%s", isfinite(v) ? e : "null");
}

static void json_score(strbuf *b, double v) { sb_printf(b, "%.10g", v); }

/* The text of one quantity's test at o's feedback level. */
static void gs_test_output(strbuf *t, const trace *tr, const grade_plan *plan, const grade_answers *ans,
                           const grade_report *rep, size_t k, const grade_opts *o)
{
    const grade_item *it = &rep->items[k];
    char got[64];
    t->len = 0;
    if (t->s) t->s[0] = '\0';
    if (ans->given[k]) {
        student_num(got, sizeof got, ans, k);
        sb_printf(t, "%s: you wrote %s (line %ld)\n", judge_verdict_name(it->res.verdict), got, ans->line[k]);
    } else if (ans->refused[k]) {     /* the student did write one: say why it was not read */
        sb_printf(t, "missing: your answer for %s on line %ld could not be read: %s\n", plan->shown[k],
                  ans->refused[k], ans->refused_why[k]);
    } else {
        sb_printf(t, "missing: no answer for %s\n", plan->shown[k]);
    }
    item_detail(t, tr, plan, ans, rep, k, o, "");
}

/* How Gradescope renders our strings: "text", as written in a fixed-width
 * block. Its default for the top-level output, "simple_format", is HTML
 * with line breaks: runs of blanks collapse (the report's indented
 * derivations and aligned columns), and a name echoed as '<U+0430>_3'
 * would be taken for a tag and dropped. Test names and outputs default to
 * "text" already; saying so keeps them so. */
#define GS_FORMAT "text"

static void gs_test(strbuf *b, int first, const char *name, const grade_item *it, double max_score,
                    int scored, const strbuf *t, const char *visibility)
{
    sb_printf(b, "%s\n    {\"name\": ", first ? "" : ",");
    grade_json_str(b, name);
    if (scored) {
        sb_printf(b, ", \"score\": ");
        json_score(b, it->score);
        sb_printf(b, ", \"max_score\": ");
        json_score(b, max_score);
        sb_printf(b, ", \"status\": \"%s\"", it->score >= max_score ? "passed" : "failed");
    }
    sb_printf(b, ", \"output\": ");
    grade_json_str(b, t->s ? t->s : "");
    sb_printf(b, ", \"output_format\": \"%s\", \"visibility\": \"%s\"}", GS_FORMAT, visibility);
}

void grade_gradescope(strbuf *b, const lesson *l, const char *sheet_name, const trace *tr,
                      const grade_plan *plan, const grade_answers *ans, const grade_report *rep,
                      const grade_opts *o, const grade_gs_opts *gso)
{
    strbuf out = {0}, t = {0};
    char base[256];
    const char *vis = gso && gso->visibility ? gso->visibility : "visible";
    /* Gradescope shows the top-level output to the student at once, whatever
     * the tests' visibility: with tests not visible it says only what is
     * safe (the sheet was read, the lines it could not read), never which
     * answer is wrong or how many; the top-level visibility is set too */
    int hidden = strcmp(vis, "visible") != 0;
    lesson_basename(l->path, base, sizeof base);
    sb_printf(&out, "%s: %s\n", base, l->title ? l->title : "");
    if (hidden) {
        grade_answers safe = *ans;
        safe.flag[0] = '\0';
        problems_text(&out, &safe);
        if (!ans->unreadable && !ans->empty)
            sb_printf(&out, "your answer sheet was received and graded; the results are not shown yet\n");
    } else {
        problems_text(&out, ans);
        first_mistake_text(&out, plan, ans, rep, o);
        summary(&out, rep);
    }
    (void)sheet_name;
    sb_printf(b, "{\n  \"score\": ");
    json_score(b, rep->score);
    sb_printf(b, ",\n  \"output\": ");
    grade_json_str(b, out.s ? out.s : "");
    sb_printf(b, ",\n  \"output_format\": \"%s\", \"test_output_format\": \"%s\", \"test_name_format\": \"%s\"",
              GS_FORMAT, GS_FORMAT, GS_FORMAT);
    if (hidden) sb_printf(b, ",\n  \"visibility\": \"%s\"", vis);
    if (gso && gso->stdout_visibility) sb_printf(b, ",\n  \"stdout_visibility\": \"%s\"", gso->stdout_visibility);
    sb_printf(b, ",\n  \"tests\": [");
    for (size_t k = 0; k < plan->n; k++) {
        gs_test_output(&t, tr, plan, ans, rep, k, o);
        gs_test(b, k == 0, plan->shown[k], &rep->items[k], plan->points[k], 1, &t, vis);
    }
    if (gso && gso->reveal) {
        /* the worked answers, unscored, shown later: for each quantity not
         * answered correctly, the full feedback on the student's answer and
         * the derivation with the lesson's numbers (unless that feedback
         * just showed it); a correct answer has nothing more to show */
        grade_opts full = *o;
        full.feedback = GRADE_FB_FULL;
        for (size_t k = 0; k < plan->n; k++) {
            const grade_item *it = &rep->items[k];
            if (it->res.verdict == JUDGE_CORRECT) continue;
            char name[256];
            snprintf(name, sizeof name, "%s (worked answer)", plan->shown[k]);
            gs_test_output(&t, tr, plan, ans, rep, k, &full);
            if (!detail_shows_worked(it, &full)) sb_printf(&t, "worked answer: %s\n", it->worked);
            gs_test(b, 0, name, it, plan->points[k], 0, &t, gso->reveal);
        }
    }
    sb_printf(b, "\n  ]\n}\n");
    if (out.failed || t.failed) b->failed = 1;
    sb_free(&out);
    sb_free(&t);
}

void grade_json(strbuf *b, const char *sheet_name, const grade_plan *plan,
                const grade_answers *ans, const grade_report *rep, const grade_opts *o)
{
    (void)o;
    sb_printf(b, "{\"sheet\": ");
    grade_json_str(b, sheet_name);
    sb_printf(b, ", \"graded\": %s", ans->unreadable ? "false" : "true");
    if (ans->unreadable) { sb_printf(b, ", \"reason\": "); grade_json_str(b, ans->why); }
    sb_printf(b, ", \"score\": ");
    json_score(b, rep->score);
    sb_printf(b, ", \"max_score\": ");
    json_score(b, rep->max_score);
    sb_printf(b, ", \"first_mistake\": ");
    if (rep->first_mistake >= 0) grade_json_str(b, plan->names[rep->first_mistake]);
    else sb_printf(b, "null");
    sb_printf(b, ", \"counts\": {\"correct\": %zu, \"carried\": %zu, \"wrong\": %zu, \"missing\": %zu}",
              rep->count[JUDGE_CORRECT], rep->count[JUDGE_CARRIED], rep->count[JUDGE_WRONG],
              rep->count[JUDGE_MISSING]);
    sb_printf(b, ", \"flag\": ");
    grade_json_str(b, ans->flag);
    sb_printf(b, ", \"bad_lines\": %zu, \"problems\": [", ans->n_problems_total);
    for (size_t k = 0; k < ans->n_problems; k++) {
        sb_printf(b, "%s{\"line\": %ld, \"message\": ", k ? ", " : "", ans->problems[k].line);
        grade_json_str(b, ans->problems[k].msg);
        sb_printf(b, "}");
    }
    sb_printf(b, "], \"answers\": [");
    for (size_t k = 0; k < plan->n; k++) {
        const grade_item *it = &rep->items[k];
        sb_printf(b, "%s\n  {\"name\": ", k ? "," : "");
        grade_json_str(b, plan->names[k]);
        sb_printf(b, ", \"display\": ");
        grade_json_str(b, plan->shown[k]);
        sb_printf(b, ", \"line\": ");
        if (ans->line[k]) sb_printf(b, "%ld", ans->line[k]); else sb_printf(b, "null");
        sb_printf(b, ", \"answer\": ");
        if (ans->given[k]) json_num(b, ans->value[k]); else sb_printf(b, "null");
        sb_printf(b, ", \"verdict\": \"%s\", \"score\": ",
                  it->res.verdict == JUDGE_CARRIED ? "carried" : judge_verdict_name(it->res.verdict));
        json_score(b, it->score);
        sb_printf(b, ", \"points\": ");
        json_score(b, plan->points[k]);
        sb_printf(b, ", \"expected\": ");
        json_num(b, it->res.truth);
        sb_printf(b, ", \"ecf\": ");
        json_num(b, it->res.ecf_differs ? it->res.ecf : NAN);
        sb_printf(b, ", \"derivation\": ");
        grade_json_str(b, it->derivation);
        sb_printf(b, "}");
    }
    sb_printf(b, "\n]}");
}


void grade_csv_header(strbuf *b, const grade_plan *plan)
{
    sb_printf(b, "sheet,student,variant,score,max_score,percent,correct,carried,wrong,missing,bad_lines,first_mistake,problem");
    for (size_t k = 0; k < plan->n; k++) { sb_printf(b, ","); esc_csv(b, plan->names[k]); }
    for (size_t k = 0; k < plan->n; k++) {
        char h[128];
        snprintf(h, sizeof h, "%s verdict", plan->names[k]);
        sb_printf(b, ",");
        esc_csv(b, h);
        snprintf(h, sizeof h, "%s answer", plan->names[k]);
        sb_printf(b, ",");
        esc_csv(b, h);
    }
    sb_printf(b, "\n");
}

void grade_problem_text(char *out, size_t size, const grade_answers *ans)
{
    snprintf(out, size, "%s%s%s%s", ans->unreadable ? "not graded: " : "", ans->unreadable ? ans->why : "",
             ans->unreadable && ans->flag[0] ? "; " : "", ans->flag);
}

void grade_problem_cell(strbuf *b, const grade_answers *ans)
{
    char cell[GRADE_PROBLEM_SIZE];
    grade_problem_text(cell, sizeof cell, ans);
    esc_csv(b, cell);
}

void grade_csv_row(strbuf *b, const char *sheet_name, const grade_who *who, const grade_plan *plan,
                   const grade_answers *ans, const grade_report *rep)
{
    esc_csv(b, sheet_name);
    sb_printf(b, ",");
    esc_csv(b, who ? who->student : "");
    sb_printf(b, ",");
    esc_csv(b, who ? who->code : "");
    sb_printf(b, ",%.10g,%.10g,%.1f,%zu,%zu,%zu,%zu,%zu,", rep->score, rep->max_score,
              rep->max_score > 0 ? 100.0 * rep->score / rep->max_score : 0.0,
              rep->count[JUDGE_CORRECT], rep->count[JUDGE_CARRIED], rep->count[JUDGE_WRONG],
              rep->count[JUDGE_MISSING], ans->n_problems_total + (ans->unreadable ? 1u : 0u));
    if (rep->first_mistake >= 0) esc_csv(b, plan->names[rep->first_mistake]);
    sb_printf(b, ",");
    grade_problem_cell(b, ans);
    for (size_t k = 0; k < plan->n; k++) sb_printf(b, ",%.10g", rep->items[k].score);
    for (size_t k = 0; k < plan->n; k++) {
        char num[40] = "";
        if (ans->given[k]) num_shortest(ans->value[k], num, sizeof num);
        sb_printf(b, ",%c,%s", judge_verdict_letter(rep->items[k].res.verdict), num);
    }
    sb_printf(b, "\n");
}

void grade_id_normalise(char *id)
{
    size_t a = 0, n = strlen(id), k;
    /* blanks of any kind (a spreadsheet's no-break space too) and line ends */
    while (a < n && ((k = blank_at(id + a, n - a)) || strchr("\r\n\v\f", id[a]))) a += k ? k : 1;
    while (n > a && ((k = blank_before(id + a, n - a)) || strchr("\r\n\v\f", id[n - 1]))) n -= k ? k : 1;
    for (k = a; k < n; k++) {
        char c = id[k];
        id[k - a] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    id[n - a] = '\0';
}

int grade_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f) return 0;
    return 1;
}

void grade_sheet_who(const char *text, size_t len, grade_who *who)
{
    static const struct { const char *key; size_t off, size; } KEYS[] = {
        {"# student:", offsetof(grade_who, student), sizeof who->student},
        {"# assignment:", offsetof(grade_who, assignment), sizeof who->assignment},
        {"# variant:", offsetof(grade_who, code), sizeof who->code},
    };
    memset(who, 0, sizeof *who);
    size_t pos = len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3) ? 3 : 0, p, n;
    long ln = 0;
    while (textline_next(text, len, &pos, &p, &n)) {
        ln++;
        for (size_t k = 0; k < sizeof KEYS / sizeof KEYS[0]; k++) {
            size_t a, b;
            if (!header_value(text, p, n, KEYS[k].key, &a, &b)) continue;
            char *dst = (char *)who + KEYS[k].off;
            size_t m = b - a < KEYS[k].size - 1 ? b - a : KEYS[k].size - 1;
            for (size_t i = 0; i < m; i++) {   /* printable ASCII only: it is echoed */
                unsigned char c = (unsigned char)text[a + i];
                dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
            }
            dst[m] = '\0';
            if (KEYS[k].off == offsetof(grade_who, code)) who->code_line = ln;
        }
    }
    grade_id_normalise(who->student);
}

int grade_is_given(const quantity *q) { return q->spec.op == OP_CONST && q->t == 0 && q->kind != Q_BIAS; }

/* Two constants under one name but for the step (kind, neurons, example)? */
static int same_name(const quantity *a, const quantity *b)
{
    return a->kind == b->kind && a->i == b->i && a->j == b->j && a->e == b->e;
}

static size_t name_hash(const quantity *q)
{
    uint64_t k = (uint64_t)q->kind;
    k = k * 1000003u + (uint32_t)q->i;
    k = k * 1000003u + (uint32_t)q->j;
    k = k * 1000003u + (uint32_t)q->e;
    return (size_t)(k ^ (k >> 29));
}

int grade_sheet_givens(const trace *tr, const grade_plan *plan, unsigned char *gives)
{
    size_t n = tr->n, cap = 16, consts = 0;
    unsigned char *need = calloc(n + 1, 1);
    if (!need) return -1;
    /* what the asked quantities are computed from (operands precede) */
    for (size_t k = 0; k < plan->n; k++) need[plan->ids[k]] = 1;
    for (size_t id = n; id-- > 0;) {
        const quantity *q = &tr->q[id];
        if (!need[id]) continue;
        for (uint32_t m = 0; m < q->nops; m++) need[tr->ops[q->first + m]] = 1;
    }
    for (size_t id = 0; id < n; id++) consts += tr->q[id].spec.op == OP_CONST;
    while (cap < 2 * consts + 2) cap *= 2;
    long *last = malloc(cap * sizeof *last);   /* by name: the last constant listed or known */
    if (!last) { free(need); return -1; }
    for (size_t h = 0; h < cap; h++) last[h] = -1;
    for (size_t id = 0; id < n; id++) {
        const quantity *q = &tr->q[id];
        gives[id] = GRADE_GIVEN_NOT;
        if (q->spec.op != OP_CONST) continue;
        if (q->kind == Q_BIAS) { gives[id] = GRADE_GIVEN_KNOWN; continue; }
        const int given = grade_is_given(q);
        if (!given && (!need[id] || plan_slot(plan, id) >= 0)) continue;   /* asked: not given away */
        size_t h = name_hash(q) & (cap - 1);
        while (last[h] >= 0 && !same_name(&tr->q[last[h]], q)) h = (h + 1) & (cap - 1);
        gives[id] = !given && last[h] >= 0 && tr->q[last[h]].value == q->value ? GRADE_GIVEN_KNOWN
                                                                              : GRADE_GIVEN_LISTED;
        last[h] = (long)id;
    }
    free(last);
    free(need);
    return 0;
}

void grade_template(strbuf *b, const lesson *l, const trace *tr, const grade_plan *plan,
                    const grade_who *who, const char *named)
{
    char base[256];
    lesson_basename(l->path, base, sizeof base);
    sb_printf(b, "# nntrace answer sheet: %s\n", base);
    if (l->title) sb_printf(b, "# %s\n", l->title);
    if (l->source) sb_printf(b, "# source: %s\n", l->source);
    if (who && who->student[0]) sb_printf(b, "# student: %s\n", who->student);
    if (who && who->assignment[0]) sb_printf(b, "# assignment: %s\n", who->assignment);
    if (who && who->code[0]) sb_printf(b, "# variant: %s\n", who->code);
    if (plan->notation != l->notation)   /* read back in it (grade_parse_answers) */
        sb_printf(b, GRADE_NOTATION_KEY " %s\n", LESSON_NOTATIONS[plan->notation]);
    /* the problem statement: every given number, the rate and the rounding */
    unsigned char *gives = malloc(tr->n + 1);
    if (!gives || grade_sheet_givens(tr, plan, gives)) {
        free(gives);
        b->failed = 1;
        return;
    }
    sb_printf(b, "#\n# given:\n");
    int later = 0;
    for (size_t id = 0; id < tr->n; id++) {
        const quantity *q = &tr->q[id];
        if (gives[id] != GRADE_GIVEN_LISTED) continue;
        char name[192], num[64];
        if (!names_given_as(l, plan->notation, NAMES_ASCII, q, name, sizeof name))
            names_render(l, plan->notation, NAMES_ASCII, q, name, sizeof name);
        text_num(q->value, 12, num, sizeof num);
        /* a later step's input or target, whose names carry no step: the
         * canonical name, which does (x_2^(1)) */
        if (q->t > 0 && !strstr(name, "^(")) trace_name(q, name, sizeof name);
        sb_printf(b, "#   %s = %s\n", name, num);
        later |= q->t > 0;
    }
    free(gives);
    if (later)
        sb_printf(b, "#   (^(t): at step t; a number not listed for a step is the one listed before)\n");
    if (l->steps > 0 && l->has_loss && !l->no_update) {   /* `update no`: no step is taken */
        char num[64];
        text_num(l->rate, 12, num, sizeof num);
        sb_printf(b, "#   learning rate alpha = %s\n", num);
    }
    if (l->round >= 0)
        sb_printf(b, "#   round every intermediate to %d decimals before using it, as on a calculator\n", l->round);
    /* a sheet with chain-rule factors the lesson does not ask for itself (--chain) is checked with them */
    const int chain = !l->chain && trace_has_kind(tr, Q_DJDA);
    sb_printf(b, "#\n# Write each number after its '=' (" JUDGE_NUMBER_FORMS "), carrying\n"
                 "# %d decimals as the lecture does. Lines starting with '#' are ignored.\n"
                 "# Check it with: nntrace check %s%s THIS_FILE\n",
              lesson_answer_digits(l), chain ? "--chain " : "", named ? named : l->path);
    for (size_t k = 0; k < plan->n; k++) sb_printf(b, "%s = \n", plan->shown[k]);
}
