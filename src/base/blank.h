/*
 * blank.h - what counts as a blank in text a person typed (base layer).
 *
 * A word processor or a PDF puts Unicode blanks where a space belongs: a
 * no-break space (U+00A0), a thin space (U+2009), an ideographic space
 * (U+3000), a zero-width space (U+200B), ... They look like a space (or like
 * nothing) but are not the ASCII space a parser splits on. This one table
 * names them: a lesson refuses one, naming it and its column (it is written
 * by an instructor, who can fix it); an answer sheet reads one as a blank
 * (it is pasted by a student from a PDF).
 */
#ifndef NNTRACE_BASE_BLANK_H
#define NNTRACE_BASE_BLANK_H

#include <stddef.h>

/* The Unicode blank that starts s[0..n): its length in bytes and, when name
 * is not NULL, its description in *name ("a no-break space (U+00A0)", a
 * static string); 0 when s does not start with one. ASCII space and tab are
 * not Unicode blanks. */
size_t blank_unicode(const char *s, size_t n, const char **name);

/* The blank (space, tab or Unicode blank) that starts s[0..n), or that ends
 * it: its length in bytes, or 0. */
size_t blank_at(const char *s, size_t n);
size_t blank_before(const char *s, size_t n);

/* Narrow s[*a..*b) to leave out the blanks at both of its ends. */
void blank_trim(const char *s, size_t *a, size_t *b);

#endif
