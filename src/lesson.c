/*
 * lesson.c - the lesson file parser: pass 1 (lines into directives) and the
 * entry points. Pass 2, the network, is lesson_net.c; what they share is
 * lesson_impl.h.
 *
 * Parsing is two passes. The first reads lines into directives (keeping each
 * line number) and checks what a single line can tell: known key, number
 * syntax, no duplicates of one-off keys. Each key is a row of LESSON_KEYS
 * with its own parse function (lesson_keys.c). The second builds the network from
 * all of them (labels and aliases may be used before they are declared) and
 * checks what only the whole file can tell: every arc forward, every arc with
 * a weight, examples of the right width.
 *
 * Every error is "path:line: message" in the caller's buffer; nothing exits.
 */
#include "lesson.h"
#include "lesson_impl.h"
#include "textline.h"
#include "base/blank.h"
#include "base/escape.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */


int lp_fail(perr *pe, int line, const char *fmt, ...)
{
    if (pe->failed) return -1;
    pe->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0) snprintf(pe->err, pe->errsize, "%s:%d: %s", pe->path, line, msg);
    else snprintf(pe->err, pe->errsize, "%s: %s", pe->path, msg);
    return -1;
}

char *lp_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int lp_int_or_fail(perr *pe, int line, const char *tok, long lo, long hi, long *v)
{
    char *end;
    errno = 0;
    long x = strtol(tok, &end, 10);
    if (*tok == '\0' || *end != '\0' || errno) {
        char hint[160];
        lp_number_hint(tok, 1, hint, sizeof hint);
        return lp_fail(pe, line, "'%s' is not a whole number%s", tok, hint);
    }
    if (x < lo || x > hi)
        return lp_fail(pe, line, "%ld is out of range (%ld to %ld)", x, lo, hi);
    *v = x;
    return 0;
}

int lp_id_or_fail(perr *pe, int line, const char *tok, long lo, long *v)
{
    if (isalpha((unsigned char)tok[0]) && !lesson_key_find(tok))   /* a key: lp_int_or_fail says so */
        return lp_fail(pe, line, "'%s' is not a neuron id: neurons are numbered (1 to %d), and a lecture's "
                       "name for one is a label ('label ID %s')", tok, LESSON_MAX_ID, tok);
    return lp_int_or_fail(pe, line, tok, lo, LESSON_MAX_ID, v);
}

/* Growable array push: *arr has *n elements, room for *cap. */
int lp_push(void **arr, int *n, int *cap, const void *elem, size_t size)
{
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 16;
        void *p = realloc(*arr, (size_t)c * size);
        if (!p) return -1;
        *arr = p;
        *cap = c;
    }
    memcpy((char *)*arr + (size_t)*n * size, elem, size);
    (*n)++;
    return 0;
}
/* ------------------------------------------------------------------------
 * Pass 1: lines into directives
 * ---------------------------------------------------------------------- */


static void pass1_free(pass1 *p)
{
    free(p->weights); free(p->aliases); free(p->labels); free(p->freezes); free(p->nobias);
    free(p->ties);
    for (int k = 0; k < p->n_in_toks; k++) free(p->in_toks[k]);
    free(p->in_toks); free(p->layers); free(p->lneurons); free(p->neuron_line);
    free(p->ex); free(p->ex_line); free(p->ex_nx); free(p->ex_ny);
    free(p->linit);
}

/* Split a line into tokens in place; returns the count. `rest` is the text
 * after the first token (trimmed), for free-text keys. */
static int tokenize(char *s, char **toks, char **rest)
{
    int nt = 0;
    *rest = s + strlen(s);
    while (*s && nt < MAX_TOKS) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        toks[nt++] = s;
        while (*s && *s != ' ' && *s != '\t') s++;
        if (*s) *s++ = '\0';
        if (nt == 1) {
            while (*s == ' ' || *s == '\t') s++;
            *rest = s;
        }
    }
    return nt;
}

/* The first Unicode blank (base/blank.h) in the words of a line (line[0..n),
 * its words toks[from..nt) cut in place): they look like a space but do not
 * separate words, so a line holding one is named at its character rather
 * than read as an odd word ('= 0.5'): an error naming it and its column (in
 * characters), or 0. */
static int unicode_blank(perr *pe, int lineno, const char *line, char *const *toks, int from, int nt)
{
    for (int t = from; t < nt; t++)
        for (const char *c = toks[t]; *c; c++) {
            const char *name;
            if (!blank_unicode(c, strlen(c), &name)) continue;
            size_t col = 1 + esc_cols(line, (size_t)(c - line));
            return lp_fail(pe, lineno, "%s at column %zu ('%s'): write a plain space", name, col, toks[t]);
        }
    return 0;
}

static int pass_lines(perr *pe, lesson *l, pass1 *p, const char *text, size_t len)
{
    char *buf = malloc(LESSON_MAX_LINE + 1);
    char **toks = malloc(MAX_TOKS * sizeof *toks);
    char *freetext = malloc(LESSON_MAX_LINE + 1);
    if (!buf || !toks || !freetext) {
        free(buf); free(toks); free(freetext);
        return lp_fail(pe, 0, "out of memory");
    }
    int line = 0, rc = 0;
    size_t pos = 0;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) pos = 3;   /* UTF-8 BOM */
    size_t start, n;
    while (rc == 0 && textline_next(text, len, &pos, &start, &n)) {
        line++;
        if (n > LESSON_MAX_LINE) { rc = lp_fail(pe, line, "line longer than %d characters", LESSON_MAX_LINE); break; }
        for (size_t k = 0; k < n; k++) {
            unsigned char c = (unsigned char)text[start + k];
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                rc = lp_fail(pe, line, "binary byte 0x%02x at column %zu: not a text file", c, k + 1);
                break;
            }
        }
        if (rc) break;
        memcpy(buf, text + start, n);
        buf[n] = '\0';
        char *hash = strchr(buf, '#');
        if (hash) *hash = '\0';
        size_t m = strlen(buf);
        while (m && (buf[m - 1] == ' ' || buf[m - 1] == '\t')) buf[--m] = '\0';
        char *rest;
        memcpy(freetext, buf, m + 1);     /* tokenize cuts buf; keep the free text */
        int nt = tokenize(buf, toks, &rest);
        if (nt == 0) continue;
        if (nt == MAX_TOKS) { rc = lp_fail(pe, line, "more than %d words on one line", MAX_TOKS - 1); break; }
        const lesson_keydef *def = lesson_key_find(toks[0]);
        if ((rc = unicode_blank(pe, line, buf, toks, 0, def && def->free_text ? 1 : nt))) break;
        lesson_keyline k = {.pe = pe, .l = l, .p = p, .line = line,
                            .rest = freetext + (rest - buf), .toks = toks, .nt = nt};
        rc = lp_directive(&k);
    }
    free(buf); free(toks); free(freetext);
    if (rc == 0 && line == 0) return lp_fail(pe, 0, "empty lesson (no lines)");
    return rc;
}

/* ------------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------- */

lesson *lesson_parse(const char *text, size_t len, const char *path, char *err, size_t errsize)
{
    perr pe = {path, err, errsize, 0};
    if (errsize) err[0] = '\0';
    if (len > LESSON_MAX_BYTES) {
        lp_fail(&pe, 0, "lesson is larger than %u bytes", LESSON_MAX_BYTES);
        return NULL;
    }
    lesson *l = calloc(1, sizeof *l);
    pass1 p;
    memset(&p, 0, sizeof p);
    if (!l || !(l->path = lp_strdup(path))) {
        free(l);
        lp_fail(&pe, 0, "out of memory");
        return NULL;
    }
    l->digits = 4;
    l->round = -1;
    l->answer_digits = -1;
    l->feedback = -1;
    l->short_credit = -1;
    l->ecf_credit = -1;
    l->ecf_depth = -1;
    l->batch = 1;
    int rc = pass_lines(&pe, l, &p, text, len);
    if (!rc) rc = lp_build_network(&pe, l, &p);
    if (!rc) rc = lp_check_setup(&pe, l, &p);
    pass1_free(&p);
    if (rc) {
        lesson_free(l);
        return NULL;
    }
    return l;
}

lesson *lesson_load(const char *path, char *err, size_t errsize)
{
    /* O_NONBLOCK: a FIFO named x.lesson must not block the open; only a
     * regular file is read */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errsize, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        if (fstat(fd, &st) != 0) snprintf(err, errsize, "%s: cannot read: %s", path, strerror(e));
        else if (S_ISDIR(st.st_mode)) snprintf(err, errsize, "%s: cannot read (is it a directory?)", path);
        else snprintf(err, errsize, "%s: not a regular file (a lesson is a text file)", path);
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        snprintf(err, errsize, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    char *buf = malloc(LESSON_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errsize, "%s: out of memory", path);
        return NULL;
    }
    size_t n = fread(buf, 1, LESSON_MAX_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    lesson *l = NULL;
    if (bad) snprintf(err, errsize, "%s: cannot read: %s", path, strerror(errno));
    else l = lesson_parse(buf, n, path, err, errsize);
    free(buf);
    return l;
}

void lesson_free(lesson *l)
{
    if (!l) return;
    free(l->path); free(l->title); free(l->source); free(l->notes);
    free(l->layer_of); free(l->labels); free(l->inputs); free(l->layers); free(l->neurons);
    free(l->arcs); free(l->arc_in); free(l->arc_out); free(l->out_idx);
    free(l->trace_steps); free(l->report_steps);
    free(l->ex_x); free(l->ex_y); free(l->expects);
    free(l->ask); free(l->ask_lines); free(l->points); free(l->vary); free(l->ties); free(l->tie_arcs);
    free(l);
}

const char *const LESSON_NOTATIONS[NOTATION_COUNT + 1] = {
    [NOTATION_VA] = "va", [NOTATION_LAYER] = "layer", [NOTATION_NETOUT] = "netout", [NOTATION_BAR] = "bar",
    [NOTATION_COUNT] = NULL,
};

int lesson_notation_parse(const char *s)
{
    for (int k = 0; k < NOTATION_COUNT; k++) if (!strcmp(s, LESSON_NOTATIONS[k])) return k;
    return -1;
}

const char *lesson_notation_name(int notation)
{
    return notation >= 0 && notation < NOTATION_COUNT ? LESSON_NOTATIONS[notation] : "?";
}

int lesson_answer_digits(const lesson *l)
{
    return l->answer_digits >= 0 ? l->answer_digits : l->digits;
}

void lesson_basename(const char *path, char *buf, size_t size)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 7 && !strcmp(b + n - 7, ".lesson")) n -= 7;
    if (n >= size) n = size - 1;
    memcpy(buf, b, n);
    buf[n] = '\0';
}

int lesson_note_paragraph(const char **p, char **out)
{
    *out = NULL;
    const char *s = *p;
    while (s && *s == '\n') s++;                   /* the empty lines before it */
    if (!s || !*s) return 0;
    char *o = malloc(strlen(s) + 1);
    if (!o) return -1;
    size_t n = 0;
    for (;;) {
        size_t len = strcspn(s, "\n");
        if (n) o[n++] = ' ';
        memcpy(o + n, s, len);
        n += len;
        s += len;
        if (*s) s++;
        if (!*s || *s == '\n') break;              /* the end, or an empty line: a new paragraph */
    }
    o[n] = '\0';
    *p = s;
    *out = o;
    return 1;
}
