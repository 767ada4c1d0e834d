/*
 * gsmeta.h - who submitted: Gradescope's /autograder/submission_metadata.json.
 *
 * The file is JSON written by Gradescope; nntrace needs two things from it:
 * the assignment's id (assignment.id) and who submitted: one field (email,
 * id, sid or name) of each entry of users[], which lists every member of a
 * group submission, the one who uploaded it not necessarily first. The
 * reader is a small strict JSON parser that keeps only those, with limits
 * (GSMETA_MAX_BYTES, nesting 64, GSMETA_MAX_USERS users) so a damaged file
 * is an error, never a crash.
 *
 * The file also holds previous_submissions[], each with the whole
 * results.json Gradescope kept for it, so it grows with every
 * resubmission: about 15-35 kB each for a shipped lesson's sheet with
 * worked answers (a 62-answer sheet of mazur-2-2-2 gives 33 kB). The limit
 * leaves room for some 2,000 of those; a sheet's own 1 MiB would be
 * reached after about 30, and every later submission would fail.
 */
#ifndef NNTRACE_GSMETA_H
#define NNTRACE_GSMETA_H

#include <stddef.h>

#define GSMETA_MAX_BYTES ((size_t)64 << 20)
#define GSMETA_ID_MAX    256
#define GSMETA_MAX_USERS 32    /* members of one group submission */

typedef struct {
    char assignment[GSMETA_ID_MAX];   /* assignment.id as text, "" when absent */
    char student[GSMETA_ID_MAX];      /* users[0].<field> as text (= users[0]) */
    int  n_users;                     /* >= 1 */
    char users[GSMETA_MAX_USERS][GSMETA_ID_MAX];  /* users[k].<field>, each
                                         normalised (grade_id_normalise), in order */
} gsmeta;

/* Read path, taking users[k].field (e.g. "email") as each student. Returns
 * 0, or -1 with a reason in err (not JSON, no users, a user without the
 * field, more than GSMETA_MAX_USERS, one id twice). */
int gsmeta_read(const char *path, const char *field, gsmeta *out, char *err, size_t errsize);

/* The same over text[0..len) (for tests). */
int gsmeta_parse(const char *text, size_t len, const char *field, gsmeta *out, char *err, size_t errsize);

#endif
