/*
 * cli.h - the subcommands of the nntrace binary and what they share.
 *
 * Each cmd_* takes the argv that starts at its own name and returns the exit
 * status: 0 success, 1 a check or grade failed, 2 bad usage or bad input.
 * Only these functions (and main) print to the user and decide exit codes.
 */
#ifndef NNTRACE_CLI_H
#define NNTRACE_CLI_H

#include <stdio.h>

#include "engine.h"
#include "lesson.h"
#include "text.h"

#define NNTRACE_VERSION "0.1.0"
#define EXIT_CHECK 1
#define EXIT_USAGE 2

int cmd_run(int argc, char **argv);
int cmd_gradcheck(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_xlsx(int argc, char **argv);       /* cmd_xlsx.c */
int cmd_template(int argc, char **argv);   /* cmd_grade.c */
int cmd_check(int argc, char **argv);      /* cmd_grade.c */
int cmd_variants(int argc, char **argv);   /* cmd_grade.c */
int cmd_tex(int argc, char **argv);        /* cmd_tex.c */
int cmd_step(int argc, char **argv);       /* cmd_step.c */
int cmd_quiz(int argc, char **argv);       /* cmd_step.c */
int cmd_dot(int argc, char **argv);        /* cmd_dot.c */
int cmd_new(int argc, char **argv);        /* cmd_new.c */

/* The help of --chain, the same words in every command that takes it: PAD
 * the blanks after the option up to the command's help column, INDENT the
 * blanks of a continued line. */
#define CLI_HELP_CHAIN(PAD, INDENT) \
    "  --chain" PAD "every chain-rule factor of the backward pass:\n" \
    INDENT "dJ/da_j (dE_total/dout_h1) and a hidden neuron's terms\n" \
    INDENT "(dE_o1/dout_h1), g'(in_j), din_j/dw_ij (default: the\n" \
    INDENT "lesson's `chain`)\n"

/* Load a lesson, printing "file:line: message" and a hint on failure.
 * Returns NULL on failure (the caller exits 2). cmd, the subcommand (or
 * NULL), words the hint for a lesson path typed where only its name is
 * known: "did you mean `nntrace CMD NAME`?". cli_lesson(p) is
 * cli_lesson_for(NULL, p). */
lesson *cli_lesson_for(const char *cmd, const char *path);
lesson *cli_lesson(const char *path);

/* Colour on stdout/stderr: a terminal, and NO_COLOR unset or empty. */
int cli_color(FILE *f);
/* Unicode output: a terminal whose locale says UTF-8. */
int cli_unicode(FILE *f);

/* Is argv[*k] the option `name`? With a value (needs_value), also stores
 * the next argument (or the part after '=') in *value and advances *k.
 * Prints an error and returns -1 when the value is missing. */
int cli_opt(int argc, char **argv, int *k, const char *name, int needs_value, const char **value);

/* An argument that no option of `cmd` took: an unknown option, a second
 * lesson (both printed, -1), or the lesson path (stored in *path, 0).
 * help, the command's --help (or NULL), is the table of its options that
 * an unknown one is held against: "did you mean --digits?". */
int cli_lesson_arg_help(const char *cmd, const char *arg, const char **path, void (*help)(FILE *));

/* "nntrace CMD: unknown option 'ARG'" and a hint: the nearest options that
 * help (the command's --help, or NULL) names, else to read --help. */
void cli_unknown_option(const char *cmd, const char *arg, void (*help)(FILE *));

/* The value v of option opt of cmd, one of choices[n]: its index, or -1
 * after cli_bad_choice. */
int cli_choice(const char *cmd, const char *opt, const char *v, const char *const *choices, size_t n);
/* "nntrace CMD: OPT takes one of LIST, not 'V'" and "HINT: did you mean"
 * the nearest of choices[n], on stderr. */
void cli_bad_choice(const char *cmd, const char *opt, const char *v, const char *list,
                    const char *const *choices, size_t n);

/* After the options: -1 (printed, with the hint) when no lesson was named. */
int cli_need_lesson(const char *cmd, const char *path, const char *hint);

/* Write b to path ("-": standard output) atomically through outfile.h.
 * Returns 0, or -1 with a message naming the command. */
int cli_write(const char *cmd, const char *path, const strbuf *b);

/* -1 (printed as "nntrace CMD: ...") when the output path out is the same
 * file as the input in (a path, or a lesson name on the lesson path):
 * writing it would destroy the input. Else 0. */
int cli_not_input(const char *cmd, const char *out, const char *in);

/* engine_run for a command: progress of a long run on stderr ("step 51200
 * of 1000000, 5%", at most twice a second and only when stderr is a
 * terminal), the engine's message printed if it fails. Returns 0, or
 * EXIT_USAGE with nothing in r to free. */
int cli_engine_run(const lesson *l, engine_opts *eo, engine_result *r);

/* A non-negative whole number option value; prints and returns -1 if bad. */
int cli_int(const char *cmd, const char *opt, const char *s, int lo, int hi, int *out);

/* A positive number option value (a tolerance); prints and returns -1 if bad. */
int cli_positive(const char *cmd, const char *opt, const char *s, double *out);
/* A --notation value (va, layer, netout, bar) into NOTATION_*; prints and
 * returns -1 if bad. */
int cli_notation(const char *cmd, const char *s, int *out);

#endif
