/*
 * csvread.h - a CSV file as spreadsheet programs export it (quoted fields,
 * "" inside quotes, CRLF or LF), for the tests that read recalculated
 * workbooks back (test_xlsx, test_xlsx_exercise). Failures are cmocka
 * assertions.
 */
#ifndef NNTRACE_TEST_CSVREAD_H
#define NNTRACE_TEST_CSVREAD_H

#include "testutil.h"

/* One sheet as CSV: fields in reading order, and where each row starts. */
typedef struct {
    char  **field;  size_t nfield;
    size_t *row0;   size_t nrow;      /* row r has fields row0[r] .. row0[r+1) */
} csv;

static inline void csv_free(csv *c)
{
    for (size_t k = 0; k < c->nfield; k++) free(c->field[k]);
    free(c->field);
    free(c->row0);
    memset(c, 0, sizeof *c);
}

static inline void csv_parse(csv *c, const char *s)
{
    size_t capf = 64, capr = 16;
    memset(c, 0, sizeof *c);
    c->field = malloc(capf * sizeof *c->field);
    c->row0 = malloc(capr * sizeof *c->row0);
    assert_non_null(c->field);
    assert_non_null(c->row0);
    c->row0[c->nrow++] = 0;
    size_t len = strlen(s);
    char *buf = malloc(len + 1);
    assert_non_null(buf);
    const char *p = s;
    while (*p) {
        size_t n = 0;
        if (*p == '"') {
            for (p++; *p && !(p[0] == '"' && p[1] != '"'); p++) {
                if (p[0] == '"') p++;             /* "" inside quotes */
                buf[n++] = *p;
            }
            if (*p == '"') p++;
        } else {
            while (*p && *p != ',' && *p != '\n' && *p != '\r') buf[n++] = *p++;
        }
        buf[n] = '\0';
        if (c->nfield == capf) { capf *= 2; c->field = realloc(c->field, capf * sizeof *c->field); assert_non_null(c->field); }
        c->field[c->nfield] = strdup(buf);
        assert_non_null(c->field[c->nfield]);
        c->nfield++;
        if (*p == ',') { p++; continue; }
        if (*p == '\r') p++;
        if (*p == '\n') p++;
        if (c->nrow + 1 >= capr) { capr *= 2; c->row0 = realloc(c->row0, capr * sizeof *c->row0); assert_non_null(c->row0); }
        c->row0[c->nrow++] = c->nfield;
    }
    c->nrow--;                                    /* the last entry closes the last row */
    free(buf);
}

static inline const char *csv_at(const csv *c, uint32_t row, uint32_t col)
{
    if (row >= c->nrow) return NULL;
    size_t a = c->row0[row], b = c->row0[row + 1];
    return a + col < b ? c->field[a + col] : NULL;
}

#endif
