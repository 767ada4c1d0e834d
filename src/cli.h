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

#include "cliopt.h"
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
int cmd_keys(int argc, char **argv);       /* cmd_new.c */

/* Rows that several commands share, the same row (and words) in every
 * command that takes them: ID (and ID2, the paired option), the command's
 * ids of them. */
#define CLI_OPT_DIGITS(ID) \
    {.id = (ID), .name = "--digits", .meta = "N", .kind = CLIOPT_INT, .lo = 0, .hi = 12, \
     .help = "decimals shown (default: the lesson's)"}
#define CLI_OPT_EXACT(ID) \
    {.id = (ID), .name = "--exact", .help = "exact arithmetic, even if the lesson rounds by hand"}
#define CLI_OPT_ROUNDED(ID) \
    {.id = (ID), .name = "--rounded", .meta = "N", .kind = CLIOPT_INT, .lo = 0, .hi = 12, \
     .help = "round every operand to N decimals before use"}
#define CLI_OPT_SYMBOLS(ID, ID2) \
    {.id = (ID), .name = "--ascii", .help = "symbols (default: Unicode on a UTF-8 terminal)"}, \
    {.id = (ID2), .name = "--unicode", .with_prev = 1}
#define CLI_OPT_COLOR(ID, ID2) \
    {.id = (ID), .name = "--color", .help = "colour (default: on a terminal unless NO_COLOR)"}, \
    {.id = (ID2), .name = "--no-color", .with_prev = 1}
#define CLI_OPT_CHAIN(ID) \
    {.id = (ID), .name = "--chain", \
     .help = "every chain-rule factor of the backward pass:\n" \
             "dJ/da_j (dE_total/dout_h1) and a hidden neuron's\n" \
             "terms (dE_o1/dout_h1), g'(in_j), din_j/dw_ij\n" \
             "(default: the lesson's `chain`)"}

/* The option table of every command (cliopt.h), for the tests to go through. */
extern const cliopt_cmd CLI_RUN, CLI_GRADCHECK, CLI_LIST, CLI_XLSX, CLI_TEMPLATE, CLI_CHECK,
    CLI_VARIANTS, CLI_TEX, CLI_STEP, CLI_QUIZ, CLI_DOT, CLI_NEW, CLI_KEYS;
extern const cliopt_cmd *const CLI_COMMANDS[];
extern const size_t CLI_N_COMMANDS;

/* Load a lesson, printing "file:line: message" and a hint on failure.
 * Returns NULL on failure (the caller exits 2). cmd, the subcommand (or
 * NULL), words the hint for a lesson path typed where only its name is
 * known: "did you mean `nntrace CMD NAME`?". cli_lesson(p) is
 * cli_lesson_for(NULL, p). */
lesson *cli_lesson_for(const char *cmd, const char *path);
lesson *cli_lesson(const char *path);

/* A terminal that takes cursor controls and colour: f is one and TERM is
 * not "dumb" (Emacs's shell, an IDE's run pane). */
int cli_cursor(FILE *f);
/* Colour on stdout/stderr: cli_cursor, and NO_COLOR unset or empty. */
int cli_color(FILE *f);
/* Unicode output: a terminal whose locale says UTF-8. */
int cli_unicode(FILE *f);

/* A lesson argument of cmd into *path: 0, or -1 (printed) for a second one. */
int cli_one_lesson(const char *cmd, const char *arg, const char **path);

/* After the options: -1 (printed, with the hint) when no lesson was named,
 * or an empty one. */
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

#endif
