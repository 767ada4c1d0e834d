/*
 * gsmeta.h - who submitted: Gradescope's /autograder/submission_metadata.json.
 *
 * The file is JSON written by Gradescope; nntrace needs two things from it:
 * the assignment's id (assignment.id) and the submitting student's id, as
 * one field of the first entry of users[] (email, id, sid or name). The
 * reader is a small strict JSON parser that keeps only those, with limits
 * (1 MiB, nesting 64) so a damaged file is an error, never a crash.
 */
#ifndef NNTRACE_GSMETA_H
#define NNTRACE_GSMETA_H

#include <stddef.h>

#define GSMETA_MAX_BYTES (1u << 20)
#define GSMETA_ID_MAX    256

typedef struct {
    char assignment[GSMETA_ID_MAX];   /* assignment.id as text, "" when absent */
    char student[GSMETA_ID_MAX];      /* users[0].<field> as text */
} gsmeta;

/* Read path, taking users[0].field (e.g. "email") as the student. Returns 0,
 * or -1 with a reason in err (not JSON, no users, no such field). */
int gsmeta_read(const char *path, const char *field, gsmeta *out, char *err, size_t errsize);

/* The same over text[0..len) (for tests). */
int gsmeta_parse(const char *text, size_t len, const char *field, gsmeta *out, char *err, size_t errsize);

#endif
