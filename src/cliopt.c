/*
 * cliopt.c - a command's options from its one table (cliopt.h): parsing,
 * the options part of --help, "did you mean", and the shared value checks.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cliopt.h"
#include "judge.h"
#include "lesson.h"
#include "suggest.h"

/* Does arg name the option `name`? 1: exactly; 2: "name=VALUE" (only where
 * a value is taken); 0: no. */
static int name_match(const char *name, const char *arg, int takes_value)
{
    if (!name) return 0;
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) return 0;
    if (arg[n] == '\0') return 1;
    return takes_value && arg[n] == '=' ? 2 : 0;
}

static int takes_value(const cliopt *o)
{
    return o->kind != CLIOPT_FLAG && o->kind != CLIOPT_OWN;
}

/* Options that exclude each other, in every command that takes them (an
 * option's name means the same everywhere, cli.h): giving two of a group
 * is bad usage, never "the last wins". Giving one of them twice is fine. */
static const char *const ONE_OF[][2] = {
    {"--exact", "--rounded"},      /* exact arithmetic, or every operand rounded */
    {"--beamer", "--fragment"},    /* a whole deck, or the equations alone */
    {"--golden", "--unicode"},     /* the golden form is ASCII, */
    {"--golden", "--color"},       /* without colour */
    {"--golden", "--width"},       /* and without wrapping */
};
_Static_assert(CLIOPT_COUNT(ONE_OF) <= CLIOPT_GROUPS, "cliopt_parser.given holds every one-of group");

/* The row of c named exactly `name` (its name or alias), or NULL. */
static const cliopt *row_named(const cliopt_cmd *c, const char *name)
{
    for (size_t k = 0; k < c->n_opts; k++)
        if (!strcmp(c->opts[k].name, name) || (c->opts[k].alias && !strcmp(c->opts[k].alias, name)))
            return &c->opts[k];
    return NULL;
}

/* Row o, named by argument a, given: -1 (said) when another option of one
 * of its one-of groups was given before, else 0 (and o noted). */
static int one_of(cliopt_parser *p, const cliopt *o, const char *a)
{
    for (size_t g = 0; g < CLIOPT_COUNT(ONE_OF); g++) {
        size_t m;
        for (m = 0; m < 2 && row_named(p->cmd, ONE_OF[g][m]) != o; m++) {}
        if (m == 2) continue;
        if (p->given[g] && p->given[g] != o) {
            char both[2][128];
            for (int r = 0; r < 2; r++) {
                const cliopt *q = row_named(p->cmd, ONE_OF[g][r]);
                snprintf(both[r], sizeof both[r], "%s%s%s", ONE_OF[g][r], q && q->meta ? " " : "",
                         q && q->meta ? q->meta : "");
            }
            fprintf(stderr, "nntrace %s: %s and %s exclude each other: give %s or %s, not both\n",
                    p->cmd->name, p->given_as[g], a, both[0], both[1]);
            return -1;
        }
        p->given[g] = o;
        p->given_as[g] = a;
    }
    return 0;
}

/* The row arg names, and how (name_match); NULL if none. */
static const cliopt *find(const cliopt_cmd *c, const char *arg, int *how)
{
    for (size_t k = 0; k < c->n_opts; k++) {
        const cliopt *o = &c->opts[k];
        int m = name_match(o->name, arg, takes_value(o));
        if (!m) m = name_match(o->alias, arg, takes_value(o));
        if (m) {
            if (how) *how = m;
            return o;
        }
    }
    return NULL;
}

const cliopt *cliopt_find(const cliopt_cmd *c, const char *arg)
{
    return find(c, arg, NULL);
}

void cliopt_unknown(const cliopt_cmd *c, const char *arg)
{
    enum { MAX_NAMES = 128 };
    const char *names[MAX_NAMES];
    size_t n = 0;
    names[n++] = "--help";
    for (size_t k = 0; k < c->n_opts && n + 2 <= MAX_NAMES; k++) {
        if (strcmp(c->opts[k].name, "--help")) names[n++] = c->opts[k].name;
        if (c->opts[k].alias) names[n++] = c->opts[k].alias;
    }
    char word[256], near[256];
    snprintf(word, sizeof word, "%.*s", (int)strcspn(arg, "="), arg);
    suggest(word, names, n, near, sizeof near);
    fprintf(stderr, "nntrace %s: unknown option '%s'\n", c->name, arg);
    if (near[0]) fprintf(stderr, "HINT: did you mean %s? (nntrace %s --help lists the options)\n", near, c->name);
    else fprintf(stderr, "HINT: nntrace %s --help\n", c->name);
}

/* The choices of a CLIOPT_CHOICE row as "a|b|c" into buf. */
static void choice_list(const cliopt *o, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < o->n_choices && used < size; k++) {
        int w = snprintf(buf + used, size - used, "%s%s", k ? "|" : "", o->choices[k]);
        if (w < 0) return;
        used += (size_t)w;
    }
}

/* Check the value s of row o as its kind says, into *v. Returns 0, or -1
 * after the kind's message. */
static int check_value(const cliopt_cmd *c, const cliopt *o, const char *s, cliopt_value *v)
{
    int i;
    v->s = s;
    if (!*s) {
        fprintf(stderr, "nntrace %s: %s takes %s, not an empty value\n", c->name, o->name,
                o->meta ? o->meta : "a value");
        return -1;
    }
    switch (o->kind) {
    case CLIOPT_FLAG:
    case CLIOPT_OWN:
    case CLIOPT_STRING:
        return 0;
    case CLIOPT_INT:
        if (cli_int(c->name, o->name, s, o->lo, o->hi, &i)) return -1;
        v->n = i;
        return 0;
    case CLIOPT_NUMBER:
        return cli_number(c->name, o->name, s, o->min, o->max, &v->x);
    case CLIOPT_POSITIVE:
        return cli_positive(c->name, o->name, s, &v->x);
    case CLIOPT_CHOICE:
        if ((i = cli_choice(c->name, o->name, s, o->choices, o->n_choices)) < 0) return -1;
        v->n = i;
        return 0;
    case CLIOPT_NOTATION:
        if (cli_notation(c->name, s, &i)) return -1;
        v->n = i;
        return 0;
    }
    return -1;
}

int cliopt_next(cliopt_parser *p, cliopt_value *v)
{
    *v = (cliopt_value){0};
    if (p->k >= p->argc) return CLIOPT_END;
    const char *a = p->argv[p->k++];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
        if (p->cmd->help(stdout) < 0) {
            fprintf(stderr, "nntrace %s: cannot write the help\n", p->cmd->name);
            return CLIOPT_BAD;
        }
        return CLIOPT_HELP;
    }
    if (a[0] != '-' || !a[1] || (p->cmd->dash_digit_args && a[1] >= '0' && a[1] <= '9')) {
        /* "-" alone is standard input */
        v->s = a;
        return CLIOPT_ARG;
    }
    int how = 0;
    const cliopt *o = find(p->cmd, a, &how);
    if (!o) {
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(a, "="), a);
        const cliopt *flag = a[strlen(name)] == '=' ? find(p->cmd, name, NULL) : NULL;
        if (flag) fprintf(stderr, "nntrace %s: %s takes no value ('%s')\n", p->cmd->name, name, a);
        else cliopt_unknown(p->cmd, a);
        return CLIOPT_BAD;
    }
    const char *s = NULL;
    if (how == 2) {
        s = strchr(a, '=') + 1;
    } else if (takes_value(o)) {
        if (p->k >= p->argc) {
            fprintf(stderr, "nntrace %s: option %s needs a value\n", p->cmd->name, a);
            return CLIOPT_BAD;
        }
        s = p->argv[p->k++];
    }
    if (s && check_value(p->cmd, o, s, v)) return CLIOPT_BAD;
    if (one_of(p, o, a)) return CLIOPT_BAD;
    return o->id;
}

const char *cliopt_take(cliopt_parser *p)
{
    return p->k < p->argc ? p->argv[p->k++] : NULL;
}

int cliopt_left(const cliopt_parser *p)
{
    return p->k < p->argc ? p->argc - p->k : 0;
}

/* The lead of row k's help line ("  -o, --output FILE", "  --ascii | --unicode")
 * into b; returns the index of the last row it names. */
static size_t lead(const cliopt_cmd *c, size_t k, char *b, size_t size)
{
    size_t used = 0, last = k;
    b[0] = '\0';
    for (size_t r = k; r < c->n_opts && (r == k || c->opts[r].with_prev); r++) {
        const cliopt *o = &c->opts[r];
        char meta[256] = "";
        if (o->meta) snprintf(meta, sizeof meta, "%s", o->meta);
        else if (o->kind == CLIOPT_CHOICE) choice_list(o, meta, sizeof meta);
        else if (o->kind == CLIOPT_NOTATION) snprintf(meta, sizeof meta, "%s", NOTATION_CHOICES);
        int w = snprintf(b + used, size - used, "%s%s%s%s%s%s", r == k ? "  " : " | ",
                         o->alias ? o->alias : "", o->alias ? ", " : "", o->name, meta[0] ? " " : "", meta);
        last = r;
        if (w < 0 || (size_t)w >= size - used) break;
        used += (size_t)w;
    }
    return last;
}

int cliopt_help(FILE *f, const cliopt_cmd *c)
{
    for (size_t k = 0; k < c->n_opts; k++) {
        char head[512];
        size_t last = lead(c, k, head, sizeof head);
        const char *h = c->opts[k].help ? c->opts[k].help : "";
        size_t hl = strlen(head), first = strcspn(h, "\n");
        int rc;
        if (hl < (size_t)c->col)
            rc = fprintf(f, "%-*s%.*s\n", c->col, head, (int)first, h);
        else if (hl + 2 + first <= CLIOPT_WIDTH)
            rc = fprintf(f, "%s  %.*s\n", head, (int)first, h);
        else
            rc = fprintf(f, "%s\n%*s%.*s\n", head, c->col, "", (int)first, h);
        if (rc < 0) return -1;
        for (const char *l = h + first; *l == '\n'; l += strcspn(l, "\n")) {
            l++;
            if (fprintf(f, "%*s%.*s\n", c->col, "", (int)strcspn(l, "\n"), l) < 0) return -1;
        }
        k = last;
    }
    return 0;
}

/* The value of row o as cliopt_list writes it into b ("" for a flag). */
static void list_value(const cliopt *o, char *b, size_t size)
{
    b[0] = '\0';
    if (o->kind == CLIOPT_CHOICE) choice_list(o, b, size);
    else if (o->kind == CLIOPT_NOTATION) snprintf(b, size, "%s", NOTATION_CHOICES);
    else if (o->kind != CLIOPT_FLAG) snprintf(b, size, "%s", o->meta ? o->meta : "VALUE");
}

int cliopt_list(FILE *f, const cliopt_cmd *c)
{
    int help = 0;
    for (size_t k = 0; k < c->n_opts; k++) {
        const cliopt *o = &c->opts[k];
        char value[256];
        list_value(o, value, sizeof value);
        const char *names[2] = {o->alias, o->name};
        for (int n = 0; n < 2; n++)
            if (names[n] && fprintf(f, "%s%s%s\n", names[n], value[0] ? " " : "", value) < 0) return -1;
        if (o->id == CLIOPT_HELP) help = 1;
    }
    return !help && fputs("--help\n", f) < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * The value checks
 * ---------------------------------------------------------------------- */

int cli_int(const char *cmd, const char *opt, const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "nntrace %s: %s takes a whole number from %d to %d, not '%s'\n", cmd, opt, lo, hi, s);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int cli_number(const char *cmd, const char *opt, const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v) || v < min || v > max) {
        fprintf(stderr, "nntrace %s: %s takes a number from %g to %g, not '%s'\n", cmd, opt, min, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_positive(const char *cmd, const char *opt, const char *s, double *out)
{
    double t;
    if (judge_parse_number(s, strlen(s), &t, NULL) != JNUM_OK || !(t > 0)) {
        fprintf(stderr, "nntrace %s: %s takes a positive number, not '%s'\n", cmd, opt, s);
        return -1;
    }
    *out = t;
    return 0;
}

int cli_notation(const char *cmd, const char *s, int *out)
{
    if ((*out = lesson_notation_parse(s)) >= 0) return 0;
    cli_bad_choice(cmd, "--notation", s, NOTATION_CHOICES, LESSON_NOTATIONS, NOTATION_COUNT);
    return -1;
}

int cli_choice(const char *cmd, const char *opt, const char *v, const char *const *choices, size_t n)
{
    char list[256] = "";
    for (size_t k = 0; k < n; k++) {
        if (!strcmp(v, choices[k])) return (int)k;
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", k ? "|" : "", choices[k]);
    }
    cli_bad_choice(cmd, opt, v, list, choices, n);
    return -1;
}

void cli_bad_choice(const char *cmd, const char *opt, const char *v, const char *list,
                    const char *const *choices, size_t n)
{
    char near[128];
    fprintf(stderr, "nntrace %s: %s takes one of %s, not '%s'\n", cmd, opt, list, v);
    if (suggest(v, choices, n, near, sizeof near)) fprintf(stderr, "HINT: did you mean %s?\n", near);
}
