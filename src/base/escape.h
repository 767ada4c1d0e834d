/*
 * escape.h - JSON strings and CSV fields, escaped in one place (base layer).
 *
 * esc_json writes a JSON string literal that is always valid UTF-8: bytes
 * that are not a well-formed UTF-8 sequence (stray continuation bytes,
 * overlong forms, UTF-16 surrogates encoded as UTF-8, code points above
 * U+10FFFF) become \ufffd, and control characters \n, \t or \u00XX.
 *
 * esc_csv writes one RFC 4180 field. A field that begins with = + - @, a TAB
 * or a CR would be run as a formula by a spreadsheet program (CSV
 * injection); it is quoted and prefixed with an apostrophe, which the
 * programs show as text. Callers write numbers themselves, unescaped, so a
 * negative number stays a number.
 */
#ifndef NNTRACE_BASE_ESCAPE_H
#define NNTRACE_BASE_ESCAPE_H

#include <stddef.h>

#include "strbuf.h"

void esc_json(strbuf *b, const char *s);
void esc_csv(strbuf *b, const char *s);

/* Length of the well-formed UTF-8 sequence at s (1 to 4), or 0 when the
 * bytes there are not one. s is NUL-terminated. */
int esc_utf8_len(const unsigned char *s);

/* The code point of the well-formed UTF-8 sequence at s (esc_utf8_len
 * bytes long, which *len gets), or -1 with *len 1 when it is not one. */
long esc_utf8_cp(const unsigned char *s, int *len);

/* Text from an untrusted source (a line of an answer sheet, a file name)
 * as a report shows it, the one rule for echoing what a person wrote:
 * every printable character is kept as written (UTF-8: a Unicode minus
 * stays a minus); a character that cannot be seen or that changes what
 * follows is shown by its code point, <U+0009> for a tab: the C0 and C1
 * controls and DEL, the invisible and direction-changing format
 * characters (a soft hyphen, a zero-width space, a right-to-left override,
 * a byte order mark) and every blank other than the ASCII space (a
 * no-break space); a byte that is not part of well-formed UTF-8 is shown
 * as <0xFF>. At most max characters of s[0..n) are shown, and "..." when
 * some are left out (also when out, size bytes, is full: it is never cut
 * inside a character or an escape). The result is printable UTF-8 with no
 * control byte, safe on a terminal and in JSON and CSV after esc_json and
 * esc_csv. Returns strlen(out). */
size_t esc_visible(char *out, size_t size, const char *s, size_t n, size_t max);

/* Columns that n bytes of UTF-8 take on a terminal: one a character (a
 * continuation byte takes none; wide characters are not told apart). */
size_t esc_cols(const char *s, size_t n);

/* Length of the terminal escape at s[0 .. len) (colour and cursor codes):
 * ESC [ parameters and a final byte '@'..'~' (cut short at len), or a lone
 * ESC, 1 byte; 0 when s[0] is not ESC. A view that measures or strips
 * escapes skips this many bytes, so it always moves on. */
size_t esc_term_len(const char *s, size_t len);

#endif
