/*
 * escape.c - JSON and CSV escaping (see escape.h). UTF-8 well-formedness is
 * the table of RFC 3629, section 4: the second byte's range depends on the
 * first (E0 A0-BF, ED 80-9F, F0 90-BF, F4 80-8F), which excludes overlong
 * forms and the surrogates D800-DFFF.
 */
#include "escape.h"

#include <stdio.h>
#include <string.h>

int esc_utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    int n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (int k = 2; k < n; k++) if ((s[k] & 0xC0) != 0x80) return 0;
    return n;
}

long esc_utf8_cp(const unsigned char *s, int *len)
{
    int n = esc_utf8_len(s);
    *len = n ? n : 1;
    if (!n) return -1;
    long cp = n == 1 ? s[0] : s[0] & (0x7F >> n);
    for (int k = 1; k < n; k++) cp = (cp << 6) | (s[k] & 0x3F);
    return cp;
}

/* The code points esc_visible shows as <U+XXXX> beyond the controls: every
 * blank but the space (Unicode's Zs) and the format characters and fillers
 * that show nothing or turn the text around (Cf, and the look-nothing
 * Hangul fillers and variation selectors). */
static const struct { long lo, hi; } INVISIBLE[] = {
    {0x00A0, 0x00A0}, {0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x061C, 0x061C}, {0x115F, 0x1160},
    {0x1680, 0x1680}, {0x17B4, 0x17B5}, {0x180B, 0x180F}, {0x2000, 0x200F}, {0x2028, 0x202F},
    {0x205F, 0x206F}, {0x3000, 0x3000}, {0x3164, 0x3164}, {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF},
    {0xFFA0, 0xFFA0}, {0xFFF9, 0xFFFB}, {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
};

static int invisible(long cp)
{
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return 1;
    for (size_t k = 0; k < sizeof INVISIBLE / sizeof INVISIBLE[0]; k++)
        if (cp >= INVISIBLE[k].lo && cp <= INVISIBLE[k].hi) return 1;
    return 0;
}

size_t esc_visible(char *out, size_t size, const char *s, size_t n, size_t max)
{
    size_t k = 0, i = 0, shown = 0;
    if (!size) return 0;
    while (i < n && shown < max) {
        char piece[16];
        size_t plen;
        int len = 1;
        long cp = -1;
        /* a sequence cut off by n is not well formed either */
        unsigned char seq[5] = {0};
        for (size_t m = 0; m < 4 && i + m < n; m++) seq[m] = (unsigned char)s[i + m];
        if (seq[0]) cp = esc_utf8_cp(seq, &len);
        if (cp < 0) {
            len = 1;
            plen = (size_t)snprintf(piece, sizeof piece, "<0x%02X>", (unsigned)(unsigned char)s[i]);
        } else if (invisible(cp)) {
            plen = (size_t)snprintf(piece, sizeof piece, "<U+%04lX>", (unsigned long)cp);
        } else {
            memcpy(piece, s + i, (size_t)len);
            plen = (size_t)len;
        }
        if (k + plen + 4 > size) break;          /* room for "..." and the NUL */
        memcpy(out + k, piece, plen);
        k += plen;
        i += (size_t)len;
        shown++;
    }
    if (i < n && k + 4 <= size) { memcpy(out + k, "...", 3); k += 3; }
    out[k] = '\0';
    return k;
}

size_t esc_cols(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t k = 0; k < n; k++) c += ((unsigned char)s[k] & 0xC0) != 0x80;
    return c;
}

void esc_json(strbuf *b, const char *s)
{
    sb_printf(b, "\"");
    for (const unsigned char *c = (const unsigned char *)s; *c;) {
        if (*c == '"' || *c == '\\') sb_printf(b, "\\%c", *c);
        else if (*c == '\n') sb_printf(b, "\\n");
        else if (*c == '\t') sb_printf(b, "\\t");
        else if (*c == '\r') sb_printf(b, "\\r");
        else if (*c < 0x20 || *c == 0x7f) sb_printf(b, "\\u%04x", *c);
        else if (*c >= 0x80) {
            int n = esc_utf8_len(c);
            if (n) { sb_printf(b, "%.*s", n, (const char *)c); c += n; continue; }
            sb_printf(b, "\\ufffd");
        } else {
            sb_printf(b, "%c", *c);
        }
        c++;
    }
    sb_printf(b, "\"");
}

void esc_csv(strbuf *b, const char *s)
{
    int formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
    if (!formula && !strpbrk(s, ",\"\n\r")) { sb_printf(b, "%s", s); return; }
    sb_printf(b, "\"%s", formula ? "'" : "");
    for (; *s; s++) sb_printf(b, *s == '"' ? "\"\"" : "%c", *s);
    sb_printf(b, "\"");
}

size_t esc_term_len(const char *s, size_t len)
{
    if (len == 0 || s[0] != '\033') return 0;
    if (len == 1 || s[1] != '[') return 1;
    size_t k = 2;
    while (k < len && !(s[k] >= '@' && s[k] <= '~')) k++;
    return k < len ? k + 1 : len;
}
