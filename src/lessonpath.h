/*
 * lessonpath.h - where lessons are found: a LESSON argument is a path to a
 * file, or a name looked up on the lesson path.
 *
 * The path, in order:
 *   1. each directory of $NNTRACE_PATH (colon-separated; empty parts skipped),
 *   2. ./lessons,
 *   3. the installed lessons, found from the running binary (/proc/self/exe):
 *      BINDIR/../share/nntrace/lessons, so a relocated install still works,
 *   4. a clone's lessons when the binary is a clone's build/nntrace
 *      (BINDIR/../lessons, only when that directory exists),
 *   5. the directory `make install` put the lessons in, written into the
 *      installed binary (scripts/setlessondir.sh), so any bindir and
 *      datadir work.
 * A directory that is the same as an earlier one is kept once. A name found
 * in an earlier directory hides the same name in a later one.
 */
#ifndef NNTRACE_LESSONPATH_H
#define NNTRACE_LESSONPATH_H

#include <stddef.h>

typedef struct {
    char **dirs;          /* owned; n of them */
    const char **from;    /* why each is on the path: "NNTRACE_PATH", ... */
    int    n;
} lessonpath;

/* The path from the environment and the binary's place. Returns 0, or -1
 * out of memory (lp is then empty; lessonpath_free is still allowed). */
int lessonpath_init(lessonpath *lp);
void lessonpath_free(lessonpath *lp);

/* A lesson found on the path: its name (file name without .lesson) and file. */
typedef struct { char *name, *file; } lessonpath_entry;

/* Every *.lesson of dir, sorted by name, appended to *list (n entries, room
 * for *cap). Does not open the files. Returns 0; -1 when dir cannot be opened
 * (errno kept); -2 out of memory. */
int lessonpath_scan_dir(const char *dir, lessonpath_entry **list, size_t *n, size_t *cap);

/* Every lesson on the path, each name once (the first directory wins), in
 * path order then by name. The caller frees with lessonpath_entries_free. */
int lessonpath_scan(const lessonpath *lp, lessonpath_entry **list, size_t *n);
void lessonpath_entries_free(lessonpath_entry *list, size_t n);

/* The file for a LESSON argument: arg itself when it exists (any kind of
 * file; loading refuses what is not a regular file), else NAME.lesson in the
 * first directory of the path that has it (for an arg without '/'; a
 * trailing ".lesson" is allowed). Returns a copy the caller frees, or NULL
 * with a message in err (first line: what is wrong; then "HINT: ..." lines
 * naming the nearest lessons, or where to look). A path whose base name is
 * a lesson on the path is answered with that name, as `nntrace CMD NAME`
 * when cmd (the subcommand, or NULL) is given. */
char *lessonpath_find(const lessonpath *lp, const char *arg, const char *cmd, char *err, size_t errsize);

/* "DIR (from), DIR (from), ..." into buf: where the path looks. */
void lessonpath_describe(const lessonpath *lp, char *buf, size_t size);

#endif
