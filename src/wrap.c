/*
 * wrap.c - breaking trace lines at operator boundaries (wrap.h).
 *
 * Greedy: walk the line keeping the last break point seen since the current
 * line began; when the next character would pass the width, break there.
 */
#include "wrap.h"

#include "base/escape.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Where a line may break, best first: before the blank of a spaced " = "
 * or " ~ " (1); before another spaced operator (" + ", " - ") or after
 * ", " (2); after a product's '*' or middle dot, or any break inside
 * parentheses, so that (0 - 1) stays whole (3). 0: no break at k. */
enum { BREAK_EQ = 1, BREAK_OP, BREAK_LAST, BREAK_KINDS };

static int break_at(const char *s, size_t k, int depth)
{
    if (k == 0) return 0;
    if (s[k] == ' ' && (s[k - 1] == ',' || (s[k + 1] && strchr("=+-~", s[k + 1]) && s[k + 2] == ' ')))
        return depth > 0 ? BREAK_LAST : strchr("=~", s[k + 1]) ? BREAK_EQ : BREAK_OP;
    if (s[k - 1] == '*' || (k >= 2 && (unsigned char)s[k - 2] == 0xC2 && (unsigned char)s[k - 1] == 0xB7))
        return ((unsigned char)s[k] & 0xC0) != 0x80 ? BREAK_LAST : 0;
    return 0;
}

/* The parenthesis depth after s[k]. */
static int depth_after(const char *s, size_t k, int depth)
{
    return depth + (s[k] == '(') - (s[k] == ')' && depth > 0);
}

/* The break to take in the line that began at start in column first:
 * the last " = " when it leaves the line at least half full, else the
 * last operator, else the last " = ", else any; 0: none. */
static size_t pick_break(const char *s, size_t start, size_t first, size_t width, const size_t *best)
{
    const size_t eq = best[BREAK_EQ] > start ? best[BREAK_EQ] : 0;
    if (eq && first + esc_cols(s + start, eq - start) >= first + (width - first) / 2) return eq;
    if (best[BREAK_OP] > start) return best[BREAK_OP];
    if (eq) return eq;
    return best[BREAK_LAST] > start ? best[BREAK_LAST] : 0;
}

void wrap_line(strbuf *out, const char *s, size_t lead, size_t width)
{
    size_t n = strlen(s);
    if (width == 0 || lead + esc_cols(s, n) <= width) { sb_printf(out, "%s", s); return; }
    const char *eq = strstr(s, " = ");
    size_t hang = eq ? esc_cols(s, (size_t)(eq - s)) + 1 : 4;
    if (lead + hang > width / 2) hang = 4;
    /* best[kind]: the last break of each kind in this line, 0 none; depth:
     * parentheses open before s[k], start_depth before s[start]; first: the
     * column the line began in */
    size_t start = 0, col = lead, first = lead, best[BREAK_KINDS] = {0};
    int depth = 0, start_depth = 0;
    for (size_t k = 0; k < n; k++) {
        int b = k > start ? break_at(s, k, depth) : 0;
        if (b) best[b] = k;
        depth = depth_after(s, k, depth);
        if (((unsigned char)s[k] & 0xC0) != 0x80) col++;
        /* over the width: break at the best point of this line, again if
         * what is carried over is still too wide */
        size_t at;
        while (col > width && (at = pick_break(s, start, first, width, best))) {
            size_t resume = at + (s[at] == ' ');   /* the blank at a break is dropped */
            sb_printf(out, "%.*s\n%*s", (int)(at - start), s + start, (int)(lead + hang), "");
            for (size_t m = start; m < resume; m++) start_depth = depth_after(s, m, start_depth);
            start = resume;
            first = lead + hang;
            col = first + esc_cols(s + start, k + 1 - start);
            for (int kind = 0; kind < BREAK_KINDS; kind++) best[kind] = 0;
            int d = start_depth;
            for (size_t m = start; m <= k; m++) {    /* breaks already passed */
                if (m > start && (b = break_at(s, m, d))) best[b] = m;
                d = depth_after(s, m, d);
            }
        }
    }
    sb_printf(out, "%s", s + start);
}

void wrap_words(strbuf *out, const char *text, size_t first, size_t indent, size_t width)
{
    size_t col = first;
    int line_empty = 1;                      /* nothing of text on this line yet */
    for (const char *w = text + strspn(text, " "); *w; w += strspn(w, " ")) {
        const size_t len = strcspn(w, " "), wc = esc_cols(w, len);
        if (width && !line_empty && col + 1 + wc > width) {
            sb_printf(out, "\n%*s", (int)indent, "");
            col = indent;
            line_empty = 1;
        }
        if (!line_empty) { sb_printf(out, " "); col++; }
        sb_printf(out, "%.*s", (int)len, w);
        col += wc;
        line_empty = 0;
        w += len;
    }
}

/* Lines after the first of a label's text go under the text, unless the
 * label takes more than half the width (a long lesson name on a narrow
 * terminal): then they go LABEL_INDENT columns in, and when the text's
 * first word would not fit after the label either, it starts the next line
 * ("sauppe-multiclass-regression:\n    Regression: an identity ..."). */
#define LABEL_INDENT 4

void wrap_labelled(strbuf *out, const char *label, const char *text, size_t width)
{
    size_t hang = esc_cols(label, strlen(label));
    if (!width) { sb_printf(out, "%s%s", label, text); return; }
    const size_t indent = hang > width / 2 ? LABEL_INDENT : hang;
    const char *w = text + strspn(text, " ");
    if (*w && indent < hang && hang + esc_cols(w, strcspn(w, " ")) > width) {
        size_t len = strlen(label);
        while (len > 0 && label[len - 1] == ' ') len--;   /* no blank left at the line's end */
        sb_printf(out, "%.*s\n%*s", (int)len, label, (int)indent, "");
        hang = indent;
    } else {
        sb_printf(out, "%s", label);
    }
    wrap_words(out, text, hang, indent, width);
}

int wrap_width(int fd, int given)
{
    if (given >= 0) return given;
    struct winsize ws;
    if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    char *end;
    long v = c && *c ? strtol(c, &end, 10) : 0;
    return v > 0 && v < 100000 && c && !*end ? (int)v : 0;
}
