/*
 * cliopt.h - the options of a command, from one table: parsing, the
 * options part of its --help, and the "did you mean" for an unknown one.
 *
 * Each command writes its options once, as a const table of cliopt rows
 * (designated initialisers), and a cliopt_cmd naming it:
 *
 *     enum { RUN_FORMAT = 1, RUN_DIGITS, RUN_EXACT, ... } ;
 *     static const cliopt RUN_OPTS[] = {
 *         {.id = RUN_FORMAT, .name = "--format", .kind = CLIOPT_CHOICE,
 *          .choices = RUN_FORMATS, .n_choices = 3, .help = "output form (default text)"},
 *         {.id = RUN_DIGITS, .name = "--digits", .meta = "N", .kind = CLIOPT_INT,
 *          .lo = 0, .hi = 12, .help = "decimals shown (default: the lesson's)"},
 *         {.id = RUN_EXACT, .name = "--exact", .help = "exact arithmetic, ..."},
 *         ...
 *     };
 *
 * cliopt_next reads the arguments one at a time: an option's value is
 * checked as its row's kind says (with the shared messages: cli_int,
 * cli_choice, ...), and its id returned for the command's switch to store.
 * Switching on the command's enum type without a default makes the compiler
 * (-Wswitch, in -Wall) name every option of the table the switch forgets.
 *
 * Every option takes its value as `--opt VALUE` or `--opt=VALUE`, never an
 * empty one; -h and --help print the command's help; an unknown option is
 * answered with the nearest names of the table; options that exclude each
 * other (--exact and --rounded: the one-of groups of cliopt.c, by name, in
 * every command that takes them) are refused together, never "last wins";
 * a misused option exits 2 (EXIT_USAGE).
 */
#ifndef NNTRACE_CLIOPT_H
#define NNTRACE_CLIOPT_H

#include <stddef.h>
#include <stdio.h>

/* How an option's value is read and checked. */
typedef enum {
    CLIOPT_FLAG,       /* no value */
    CLIOPT_STRING,     /* any text, in value.s (the switch may check it further) */
    CLIOPT_INT,        /* a whole number in [lo, hi] (cli_int), in value.n */
    CLIOPT_NUMBER,     /* a finite number in [min, max] (cli_number), in value.x */
    CLIOPT_POSITIVE,   /* a positive number (cli_positive), in value.x */
    CLIOPT_CHOICE,     /* one of choices (cli_choice): its index in value.n; the help
                          shows them as a|b|c unless meta says otherwise */
    CLIOPT_NOTATION,   /* va|layer|netout|bar (cli_notation): NOTATION_* in value.n */
    CLIOPT_OWN,        /* no value here: the switch reads its own arguments
                          with cliopt_take (meta says which, for the help) */
} cliopt_kind;

/* One option: one row of a command's table. */
typedef struct {
    int id;                         /* what cliopt_next returns: > 0, the command's enum */
    const char *name;               /* "--digits" (or "-o") */
    const char *alias;              /* another name taken the same, shown first ("-o, --output") */
    const char *meta;               /* the value in the help ("N", "FILE"); a meta
                                       with FILE in it is a file, "DIR" a directory
                                       (for cliopt_list, the shell completion) */
    const char *help;               /* its help, lines joined by '\n', no final '\n' */
    cliopt_kind kind;
    int lo, hi;                     /* CLIOPT_INT */
    double min, max;                /* CLIOPT_NUMBER */
    const char *const *choices;     /* CLIOPT_CHOICE */
    size_t n_choices;
    int with_prev;                  /* shown on the line of the row before, after " | "
                                       ("--ascii | --unicode"); that row's help is for both */
} cliopt;

/* A command: its name and table, the help's text column, and its help. */
typedef struct {
    const char *name;               /* "run": "nntrace run: ..." */
    const cliopt *opts;
    size_t n_opts;
    int col;                        /* the column the options' help text starts in */
    int (*help)(FILE *f);           /* the whole --help (its options: cliopt_help); <0: not written */
    int dash_digit_args;            /* an argument "-" and a digit is an argument, not an option */
} cliopt_cmd;

#define CLIOPT_COUNT(TABLE) (sizeof (TABLE) / sizeof (TABLE)[0])

/* The columns every --help fits in: an 80-column terminal's, less one. */
#define CLIOPT_WIDTH 79

/* What cliopt_next returns besides an option's id. */
enum {
    CLIOPT_END = 0,     /* no more arguments */
    CLIOPT_ARG = -1,    /* an argument that is no option, in value.s */
    CLIOPT_HELP = -2,   /* -h or --help: the help is printed (exit 0); also the id of a
                           row that only shows --help in the table */
    CLIOPT_BAD = -3,    /* bad usage, said on stderr (exit 2) */
};

typedef struct {
    const char *s;      /* the value as given (an argument: the argument) */
    long n;             /* CLIOPT_INT, CLIOPT_CHOICE, CLIOPT_NOTATION */
    double x;           /* CLIOPT_NUMBER, CLIOPT_POSITIVE */
} cliopt_value;

/* The most one-of groups (cliopt.c) a parser keeps track of. */
#define CLIOPT_GROUPS 8

typedef struct {
    const cliopt_cmd *cmd;
    int argc;
    char **argv;
    int k;              /* the next argument read */
    const cliopt *given[CLIOPT_GROUPS];   /* the row given of each one-of group, or NULL */
    const char *given_as[CLIOPT_GROUPS];  /* ... and the argument that named it */
} cliopt_parser;

/* The parser of argv (argv[0], the command's name, is skipped). */
#define CLIOPT_PARSER(CMD, ARGC, ARGV) {.cmd = (CMD), .argc = (ARGC), .argv = (ARGV), .k = 1}

/* The next argument: an option's id (its value in *v), CLIOPT_ARG,
 * CLIOPT_HELP, CLIOPT_BAD or CLIOPT_END. */
int cliopt_next(cliopt_parser *p, cliopt_value *v);
/* The next argument for a CLIOPT_OWN option (advancing), or NULL. */
const char *cliopt_take(cliopt_parser *p);
/* How many arguments are left for a CLIOPT_OWN option. */
int cliopt_left(const cliopt_parser *p);

/* The row of the table named arg (an option as typed, "--digits=3" too), or NULL. */
const cliopt *cliopt_find(const cliopt_cmd *c, const char *arg);

/* The options part of the help: a line "  --name META" (aliases and
 * with_prev rows on it) per option, its help from the command's column;
 * a name too long for the column is followed by two blanks and the help
 * when that line fits in CLIOPT_WIDTH columns, else the help starts on
 * the next. A row's help lines are shown as written: each must fit in
 * CLIOPT_WIDTH from the column (test_cli holds every --help to it).
 * Returns 0, or -1 when f could not take it. */
int cliopt_help(FILE *f, const cliopt_cmd *c);

/* For scripts (the bash completion): each name of each option of c on a
 * line of its own, followed by its value when it takes one: the choices
 * as a|b|c for a choice or --notation, else the meta ("N", "FILE");
 * --help too. Returns 0, or -1 when f could not take it. */
int cliopt_list(FILE *f, const cliopt_cmd *c);

/* "nntrace CMD: unknown option 'ARG'" and a hint: the nearest names of the
 * table (and --help), else to read --help. */
void cliopt_unknown(const cliopt_cmd *c, const char *arg);

/* ---- the value checks, shared by every command (messages name cmd and opt) */

/* A whole number from lo to hi; prints and returns -1 if bad. */
int cli_int(const char *cmd, const char *opt, const char *s, int lo, int hi, int *out);
/* A finite number from min to max; prints and returns -1 if bad. */
int cli_number(const char *cmd, const char *opt, const char *s, double min, double max, double *out);
/* A positive number (a tolerance); prints and returns -1 if bad. */
int cli_positive(const char *cmd, const char *opt, const char *s, double *out);
/* A --notation value (va, layer, netout, bar) into NOTATION_*; prints and
 * returns -1 if bad. */
int cli_notation(const char *cmd, const char *s, int *out);
/* The value v of option opt of cmd, one of choices[n]: its index, or -1
 * after cli_bad_choice. */
int cli_choice(const char *cmd, const char *opt, const char *v, const char *const *choices, size_t n);
/* "nntrace CMD: OPT takes one of LIST, not 'V'" and "HINT: did you mean"
 * the nearest of choices[n], on stderr. */
void cli_bad_choice(const char *cmd, const char *opt, const char *v, const char *list,
                    const char *const *choices, size_t n);

#endif
