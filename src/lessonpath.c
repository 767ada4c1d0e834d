/*
 * lessonpath.c - the lesson path and the lookup of LESSON arguments.
 *
 * lessonpath holds the directories in search order, each with why it is
 * there. Lookup never opens a lesson: it only stats names, so a FIFO or a
 * device named x.lesson cannot block it (lesson_load refuses such files).
 */
#include "lessonpath.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suggest.h"

#define EXT ".lesson"
#define EXT_LEN 7

/* Where `make install` put the lessons: scripts/setlessondir.sh writes the
 * directory over this slot in the installed binary (a NUL-terminated
 * path); an uninstalled binary still holds the marker. volatile, so the
 * compiler reads the bytes from the file instead of folding the marker. */
#define LESSONDIR_MARKER "@@NNTRACE_LESSONDIR_SLOT@@"
#define LESSONDIR_SLOT_SIZE 4096          /* the size setlessondir.sh checks against */
static const volatile char LESSONDIR_SLOT[LESSONDIR_SLOT_SIZE] = LESSONDIR_MARKER;

/* The directory of LESSONDIR_SLOT into buf; 0 when none was written. */
static size_t lessondir_installed(char *buf, size_t size)
{
    size_t n = 0;
    if (LESSONDIR_SLOT[0] != '/') return 0;   /* the marker, or nothing */
    while (n + 1 < size && n < LESSONDIR_SLOT_SIZE && LESSONDIR_SLOT[n]) {
        buf[n] = LESSONDIR_SLOT[n];
        n++;
    }
    buf[n] = '\0';
    return n < LESSONDIR_SLOT_SIZE ? n : 0;
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* ------------------------------------------------------------------------
 * The path
 * ---------------------------------------------------------------------- */

/* Append dir (len bytes) unless it is a directory already on the path. */
static int add_dir(lessonpath *lp, const char *dir, size_t len, const char *from)
{
    char *d = malloc(len + 1);
    if (!d) return -1;
    memcpy(d, dir, len);
    d[len] = '\0';
    struct stat st, other;
    if (stat(d, &st) == 0)
        for (int k = 0; k < lp->n; k++)
            if (stat(lp->dirs[k], &other) == 0 && other.st_dev == st.st_dev && other.st_ino == st.st_ino) {
                free(d);
                return 0;
            }
    char **dirs = realloc(lp->dirs, (size_t)(lp->n + 1) * sizeof *dirs);
    if (!dirs) { free(d); return -1; }
    lp->dirs = dirs;
    const char **fr = realloc(lp->from, (size_t)(lp->n + 1) * sizeof *fr);
    if (!fr) { free(d); return -1; }
    lp->from = fr;
    lp->dirs[lp->n] = d;
    lp->from[lp->n++] = from;
    return 0;
}

int lessonpath_init(lessonpath *lp)
{
    memset(lp, 0, sizeof *lp);
    const char *env = getenv("NNTRACE_PATH");
    for (const char *s = env; s && *s;) {
        size_t len = strcspn(s, ":");
        if (len && add_dir(lp, s, len, "NNTRACE_PATH")) goto oom;
        s += len + (s[len] == ':');
    }
    if (add_dir(lp, "lessons", 7, "current directory")) goto oom;

    /* the binary is PREFIX/bin/nntrace (installed) or CLONE/build/nntrace */
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';                         /* BINDIR */
        slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';                                /* PREFIX or CLONE */
            char dir[4096 + 32];
            struct stat st;
            snprintf(dir, sizeof dir, "%s/share/nntrace/lessons", exe);
            if (add_dir(lp, dir, strlen(dir), "installed with the binary")) goto oom;
            snprintf(dir, sizeof dir, "%s/lessons", exe);
            if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && add_dir(lp, dir, strlen(dir), "beside the binary's build directory"))
                goto oom;
        }
    }
    char inst[LESSONDIR_SLOT_SIZE];
    size_t n_inst = lessondir_installed(inst, sizeof inst);
    if (n_inst && add_dir(lp, inst, n_inst, "where make install put them")) goto oom;
    return 0;
oom:
    lessonpath_free(lp);
    return -1;
}

void lessonpath_free(lessonpath *lp)
{
    for (int k = 0; k < lp->n; k++) free(lp->dirs[k]);
    free(lp->dirs);
    free(lp->from);
    memset(lp, 0, sizeof *lp);
}

void lessonpath_describe(const lessonpath *lp, char *buf, size_t size)
{
    size_t used = 0;
    if (size) buf[0] = '\0';
    for (int k = 0; k < lp->n && used < size; k++) {
        struct stat st;
        const char *state = stat(lp->dirs[k], &st) ? ", missing" : S_ISDIR(st.st_mode) ? "" : ", not a directory";
        int w = snprintf(buf + used, size - used, "%s%s (%s%s)", k ? "; " : "", lp->dirs[k], lp->from[k], state);
        if (w < 0) break;
        used += (size_t)w;
    }
}

/* ------------------------------------------------------------------------
 * Scanning directories
 * ---------------------------------------------------------------------- */

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const lessonpath_entry *)a)->name, ((const lessonpath_entry *)b)->name);
}

void lessonpath_entries_free(lessonpath_entry *list, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        free(list[k].name);
        free(list[k].file);
    }
    free(list);
}

int lessonpath_scan_dir(const char *dir, lessonpath_entry **list, size_t *n, size_t *cap)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    size_t first = *n;
    int rc = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len <= EXT_LEN || strcmp(e->d_name + len - EXT_LEN, EXT)) continue;
        if (*n == *cap) {
            size_t nc = *cap ? 2 * *cap : 32;
            lessonpath_entry *nl = realloc(*list, nc * sizeof *nl);
            if (!nl) { rc = -2; break; }
            *list = nl;
            *cap = nc;
        }
        size_t sz = strlen(dir) + len + 2;
        lessonpath_entry en = {malloc(len - EXT_LEN + 1), malloc(sz)};
        if (!en.name || !en.file) { free(en.name); free(en.file); rc = -2; break; }
        memcpy(en.name, e->d_name, len - EXT_LEN);
        en.name[len - EXT_LEN] = '\0';
        snprintf(en.file, sz, "%s/%s", dir, e->d_name);
        (*list)[(*n)++] = en;
    }
    closedir(d);
    if (*n > first) qsort(*list + first, *n - first, sizeof **list, cmp_entry);
    return rc;
}

int lessonpath_scan(const lessonpath *lp, lessonpath_entry **list, size_t *n)
{
    lessonpath_entry *all = NULL, *one = NULL;
    size_t na = 0, ca = 0;
    *list = NULL;
    *n = 0;
    for (int k = 0; k < lp->n; k++) {
        size_t no = 0, co = 0;
        int rc = lessonpath_scan_dir(lp->dirs[k], &one, &no, &co);
        if (rc == -2) { lessonpath_entries_free(one, no); lessonpath_entries_free(all, na); return -1; }
        for (size_t m = 0; m < no; m++) {
            int seen = 0;
            for (size_t a = 0; a < na && !seen; a++) seen = !strcmp(all[a].name, one[m].name);
            if (!seen && na == ca) {
                size_t nc = ca ? 2 * ca : 32;
                lessonpath_entry *nl = realloc(all, nc * sizeof *nl);
                if (!nl) { lessonpath_entries_free(one, no); lessonpath_entries_free(all, na); return -1; }
                all = nl;
                ca = nc;
            }
            if (seen) {
                free(one[m].name);
                free(one[m].file);
            } else {
                all[na++] = one[m];
            }
        }
        free(one);
        one = NULL;
    }
    *list = all;
    *n = na;
    return 0;
}

/* ------------------------------------------------------------------------
 * Lookup
 * ---------------------------------------------------------------------- */

/* The lesson name an argument stands for: its last component without
 * ".lesson", into word. */
static void arg_name(const char *arg, char *word, size_t size)
{
    const char *slash = strrchr(arg, '/');
    snprintf(word, size, "%s", slash ? slash + 1 : arg);
    size_t len = strlen(word);
    if (len > EXT_LEN && !strcmp(word + len - EXT_LEN, EXT)) word[len - EXT_LEN] = '\0';
}

/* "did you mean" over the names on the path (and, for a path argument, over
 * the lesson files beside it), into hint. *exact is set when the argument
 * is a path whose base name is itself a lesson on the path (hint: that
 * name), as when `lessons/x.lesson` is typed outside a clone. */
static void nearest(const lessonpath *lp, const char *arg, char *hint, size_t size, int *exact)
{
    hint[0] = '\0';
    *exact = 0;
    lessonpath_entry *list = NULL;
    size_t n = 0, cap = 0;
    char word[256];
    arg_name(arg, word, sizeof word);
    if (lessonpath_scan(lp, &list, &n)) return;
    const char *slash = strrchr(arg, '/');
    for (size_t k = 0; slash && k < n && !*exact; k++)
        if (!strcmp(list[k].name, word)) {
            snprintf(hint, size, "%s", word);
            *exact = 1;
        }
    const char **names = malloc((n + 1) * sizeof *names);
    if (names && !*exact) {
        for (size_t k = 0; k < n; k++) names[k] = list[k].name;
        suggest(word, names, n, hint, size);
    }
    free(names);
    lessonpath_entries_free(list, n);
    if (*exact || !slash) return;
    list = NULL;                                  /* files in the argument's own directory */
    n = cap = 0;
    char dir[4096], near[512];
    int w = snprintf(dir, sizeof dir, "%.*s", (int)(slash - arg), arg);
    if (w >= 0 && (size_t)w < sizeof dir && lessonpath_scan_dir(slash == arg ? "/" : dir, &list, &n, &cap) == 0) {
        const char **files = malloc((n + 1) * sizeof *files);
        if (files) {
            for (size_t k = 0; k < n; k++) files[k] = list[k].file;
            if (suggest(arg, files, n, near, sizeof near)) snprintf(hint, size, "%s", near);
            free(files);
        }
    }
    lessonpath_entries_free(list, n);
}

char *lessonpath_find(const lessonpath *lp, const char *arg, const char *cmd, char *err, size_t errsize)
{
    struct stat st;
    char hint[512], where[1024];
    if (stat(arg, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            char *f = dupstr(arg);
            if (!f) snprintf(err, errsize, "%s: out of memory", arg);
            return f;
        }
        snprintf(err, errsize, "%s: is a directory, not a lesson file\nHINT: nntrace list %s shows its lessons",
                 arg, arg);
        return NULL;
    }
    int e = errno;
    if (e != ENOENT && e != ENOTDIR) {            /* say why, as opening it would */
        snprintf(err, errsize, "%s: cannot open: %s", arg, strerror(e));
        return NULL;
    }
    if (!strchr(arg, '/') && *arg) {
        size_t len = strlen(arg);
        int has_ext = len > EXT_LEN && !strcmp(arg + len - EXT_LEN, EXT);
        for (int k = 0; k < lp->n; k++) {
            char file[8192];
            int w = snprintf(file, sizeof file, "%s/%s%s", lp->dirs[k], arg, has_ext ? "" : EXT);
            if (w < 0 || (size_t)w >= sizeof file) continue;
            if (stat(file, &st) == 0 && !S_ISDIR(st.st_mode)) {
                char *f = dupstr(file);
                if (!f) snprintf(err, errsize, "%s: out of memory", arg);
                return f;
            }
        }
    }
    int exact;
    nearest(lp, arg, hint, sizeof hint, &exact);
    lessonpath_describe(lp, where, sizeof where);
    if (strchr(arg, '/'))
        snprintf(err, errsize, "%s: cannot open: %s", arg, strerror(e));
    else
        snprintf(err, errsize, "%s: no such lesson: not a file here, and not a lesson name on the path", arg);
    size_t used = strlen(err);
    if (exact && cmd)
        snprintf(err + used, errsize - used, "\nHINT: did you mean `nntrace %s %s`?", cmd, hint);
    else if (exact)
        snprintf(err + used, errsize - used, "\nHINT: did you mean %s (the lesson by its name)?", hint);
    else if (hint[0])
        snprintf(err + used, errsize - used, "\nHINT: did you mean %s?", hint);
    else
        snprintf(err + used, errsize - used, "\nHINT: `nntrace list` shows the lessons on the path: %s", where);
    return NULL;
}
