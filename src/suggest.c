/*
 * suggest.c - "did you mean" by optimal string alignment distance.
 *
 * d[i][j] = edits from the first i characters of a to the first j of b:
 *   min(d[i-1][j] + 1, d[i][j-1] + 1, d[i-1][j-1] + (a_i != b_j),
 *       d[i-2][j-2] + 1 when a_i = b_{j-1} and a_{i-1} = b_j)
 * kept in three rows of length |b| + 1.
 */
#include "suggest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUGGEST_MAX_LEN 256     /* longer words are never near anything */

static int same(char x, char y)
{
    return tolower((unsigned char)x) == tolower((unsigned char)y);
}

size_t suggest_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > SUGGEST_MAX_LEN || nb > SUGGEST_MAX_LEN) return na > nb ? na : nb;
    size_t rows[3][SUGGEST_MAX_LEN + 1];
    size_t *pp = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= nb; j++) prev[j] = j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t d = prev[j - 1] + !same(a[i - 1], b[j - 1]);
            if (prev[j] + 1 < d) d = prev[j] + 1;
            if (cur[j - 1] + 1 < d) d = cur[j - 1] + 1;
            if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1]) && pp[j - 2] + 1 < d)
                d = pp[j - 2] + 1;
            cur[j] = d;
        }
        size_t *t = pp; pp = prev; prev = cur; cur = t;
    }
    return prev[nb];
}

int suggest(const char *word, const char *const *cands, size_t n, char *buf, size_t size)
{
    enum { MAX_SHOWN = 3 };
    size_t len = strlen(word), limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
    size_t pick[MAX_SHOWN], dist[MAX_SHOWN];
    int np = 0;
    if (size) buf[0] = '\0';
    /* the MAX_SHOWN nearest within the limit, nearest first, ties in input order */
    for (size_t k = 0; k < n; k++) {
        if (!strcmp(cands[k], word)) continue;
        size_t d = suggest_distance(word, cands[k]);
        if (d > limit) continue;
        int at = np;
        while (at > 0 && dist[at - 1] > d) at--;
        if (at >= MAX_SHOWN) continue;
        int last = np < MAX_SHOWN ? np : MAX_SHOWN - 1;
        for (int m = last; m > at; m--) { pick[m] = pick[m - 1]; dist[m] = dist[m - 1]; }
        pick[at] = k;
        dist[at] = d;
        if (np < MAX_SHOWN) np++;
    }
    /* none near: the candidates that begin with word */
    if (np == 0 && len >= 3)
        for (size_t k = 0; k < n && np < MAX_SHOWN; k++)
            if (strlen(cands[k]) > len && !strncmp(cands[k], word, len)) pick[np++] = k;
    size_t used = 0;
    for (int m = 0; m < np && size; m++) {
        const char *sep = m == 0 ? "" : m == np - 1 ? " or " : ", ";
        int w = snprintf(buf + used, size - used, "%s%s", sep, cands[pick[m]]);
        if (w < 0 || (size_t)w >= size - used) { np = m; buf[used] = '\0'; break; }
        used += (size_t)w;
    }
    return np;
}
