/*
 * blank.c - the Unicode blanks, in one table (see blank.h).
 *
 * Each is matched by its UTF-8 bytes; none is a prefix of another, and none
 * starts with an ASCII byte, so a match at any byte offset is a whole
 * character when the text is valid UTF-8.
 */
#include "blank.h"

#include <string.h>

static const struct { const char *utf8, *name; } UNICODE_BLANKS[] = {
    {"\xC2\xA0", "a no-break space (U+00A0)"},
    {"\xE2\x80\x80", "an en quad (U+2000)"},
    {"\xE2\x80\x81", "an em quad (U+2001)"},
    {"\xE2\x80\x82", "an en space (U+2002)"},
    {"\xE2\x80\x83", "an em space (U+2003)"},
    {"\xE2\x80\x84", "a three-per-em space (U+2004)"},
    {"\xE2\x80\x85", "a four-per-em space (U+2005)"},
    {"\xE2\x80\x86", "a six-per-em space (U+2006)"},
    {"\xE2\x80\x87", "a figure space (U+2007)"},
    {"\xE2\x80\x88", "a punctuation space (U+2008)"},
    {"\xE2\x80\x89", "a thin space (U+2009)"},
    {"\xE2\x80\x8A", "a hair space (U+200A)"},
    {"\xE2\x80\x8B", "a zero-width space (U+200B)"},
    {"\xE2\x80\xAF", "a narrow no-break space (U+202F)"},
    {"\xE2\x81\x9F", "a medium mathematical space (U+205F)"},
    {"\xE3\x80\x80", "an ideographic space (U+3000)"},
    {"\xEF\xBB\xBF", "a zero-width no-break space (U+FEFF)"},
};

size_t blank_unicode(const char *s, size_t n, const char **name)
{
    for (size_t b = 0; b < sizeof UNICODE_BLANKS / sizeof *UNICODE_BLANKS; b++) {
        size_t len = strlen(UNICODE_BLANKS[b].utf8);
        if (len > n || memcmp(s, UNICODE_BLANKS[b].utf8, len)) continue;
        if (name) *name = UNICODE_BLANKS[b].name;
        return len;
    }
    return 0;
}

size_t blank_at(const char *s, size_t n)
{
    if (n && (s[0] == ' ' || s[0] == '\t')) return 1;
    return blank_unicode(s, n, NULL);
}

size_t blank_before(const char *s, size_t n)
{
    if (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) return 1;
    for (size_t len = 2; len <= 3 && len <= n; len++)   /* every Unicode blank is 2 or 3 bytes */
        if (blank_unicode(s + n - len, len, NULL) == len) return len;
    return 0;
}

void blank_trim(const char *s, size_t *a, size_t *b)
{
    size_t k;
    while (*a < *b && (k = blank_at(s + *a, *b - *a))) *a += k;
    while (*b > *a && (k = blank_before(s + *a, *b - *a))) *b -= k;
}
