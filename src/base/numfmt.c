/*
 * numfmt.c - shortest round-trip and exact decimal forms of a double.
 *
 * Shortest: %.{p}g for p = 1, 2, ... 17 until strtod gives v back (17
 * significant digits always do, IEEE 754 binary64).
 * Exact: glibc's printf prints the exact decimal expansion for any
 * precision, so %.{1074}f... would do but is long; the exact expansion of
 * v = m 2^e has at most 767 significant digits, and %.{p}e with p = 766
 * gives all of them; the trailing zeros are then cut and the exponent
 * folded back into a plain decimal.
 */
#include "numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nonfinite(double v, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
    if (n < 0 || (size_t)n >= size) { if (size) buf[0] = '\0'; return -1; }
    return 0;
}

/* The e-notation number in s ([-]d[.ddd]e+XX, at most 17 digits) as a
 * plain decimal with the same digits: 1.5e+02 is 150, 9.5e-06 0.0000095. */
static void plain(char *s, size_t size, int exp10)
{
    char digits[24], out[48];
    size_t nd = 0, o = 0;
    const int neg = s[0] == '-';
    for (const char *c = s + neg; *c && *c != 'e' && nd < sizeof digits - 1; c++)
        if (*c >= '0' && *c <= '9') digits[nd++] = *c;
    if (neg) out[o++] = '-';
    if (exp10 < 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int z = 0; z < -exp10 - 1; z++) out[o++] = '0';
        for (size_t k = 0; k < nd; k++) out[o++] = digits[k];
    } else {
        for (int k = 0; k <= exp10; k++) out[o++] = (size_t)k < nd ? digits[k] : '0';
        if ((size_t)exp10 + 1 < nd) {
            out[o++] = '.';
            for (size_t k = (size_t)exp10 + 1; k < nd; k++) out[o++] = digits[k];
        }
    }
    out[o] = '\0';
    if (o < size) memcpy(s, out, o + 1);
}

int num_shortest(double v, char *buf, size_t size)
{
    if (!isfinite(v)) return nonfinite(v, buf, size);
    char tmp[NUM_SHORTEST_MAX];
    int p = 1;
    for (; p < 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*g", p, v);
        if (strtod(tmp, NULL) == v) break;
    }
    snprintf(tmp, sizeof tmp, "%.*g", p, v);
    /* %g writes 150 as 1.5e+02 when two digits do; between 1e-6 and 1e17
     * the same digits as a plain decimal read better (and still back) */
    const char *e = strchr(tmp, 'e');
    const int exp10 = e ? atoi(e + 1) : 0;
    if (e && exp10 >= -6 && exp10 < 17) plain(tmp, sizeof tmp, exp10);
    if (strlen(tmp) >= size) { if (size) buf[0] = '\0'; return -1; }
    memcpy(buf, tmp, strlen(tmp) + 1);
    return 0;
}

int num_exact(double v, char *buf, size_t size)
{
    if (!isfinite(v)) return nonfinite(v, buf, size);
    char sci[800];
    snprintf(sci, sizeof sci, "%.766e", v);     /* d.ddd...e+XX, exact digits */
    char *e = strchr(sci, 'e');
    int exp10 = atoi(e + 1);
    *e = '\0';
    const char *p = sci;
    int neg = *p == '-';
    if (neg) p++;
    char digits[800];
    size_t nd = 0;
    for (; *p; p++) if (*p != '.') digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0') nd--;   /* exact: the expansion ends */
    /* value = 0.d1 d2 ... dn x 10^(exp10 + 1) */
    char out[NUM_EXACT_MAX];
    size_t o = 0;
    if (neg && !(nd == 1 && digits[0] == '0')) out[o++] = '-';
    int point = exp10 + 1;                          /* digits before the decimal point */
    if (point <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int k = 0; k < -point; k++) out[o++] = '0';
        for (size_t k = 0; k < nd; k++) out[o++] = digits[k];
    } else {
        for (int k = 0; k < point; k++) out[o++] = (size_t)k < nd ? digits[k] : '0';
        if ((size_t)point < nd) {
            out[o++] = '.';
            for (size_t k = (size_t)point; k < nd; k++) out[o++] = digits[k];
        }
    }
    out[o] = '\0';
    if (o >= size) { if (size) buf[0] = '\0'; return -1; }
    memcpy(buf, out, o + 1);
    return 0;
}
