/*
 * cmd_tex.c - `nntrace tex LESSON`: the derivation as a LaTeX document, a
 * Beamer deck (--beamer) or the equations alone (--fragment).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tex.h"

enum tex_opt { TEX_BEAMER = 1, TEX_FRAGMENT, TEX_NOTATION, TEX_DIGITS, TEX_ALL_STEPS, TEX_CHAIN, TEX_OUT };

static const cliopt TEX_OPTS[] = {
    {.id = TEX_BEAMER, .name = "--beamer",
     .help = "a Beamer deck: a frame per pass (long passes split), each\n"
             "line revealed in three steps (formula, numbers, value), and\n"
             "the network drawn with its values, forward and backward"},
    {.id = TEX_FRAGMENT, .name = "--fragment", .help = "only the equations, to paste into your own document"},
    {.id = TEX_NOTATION, .name = "--notation", .meta = "N", .kind = CLIOPT_NOTATION,
     .help = "va, layer, netout or bar (default: the lesson's)"},
    CLI_OPT_DIGITS(TEX_DIGITS),
    {.id = TEX_ALL_STEPS, .name = "--all-steps", .help = "every step, whatever the lesson traces"},
    CLI_OPT_CHAIN(TEX_CHAIN),
    {.id = TEX_OUT, .name = "-o", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "write to FILE (atomically) instead of standard output"},
};

static int tex_help(FILE *f)
{
    if (fputs("usage: nntrace tex LESSON [--beamer | --fragment] [options] [-o FILE.tex]\n\n"
              "Write the lesson's derivation as LaTeX: every quantity as name = formula =\n"
              "numbers = value in aligned equations, grouped by step and pass as the text\n"
              "trace is, in the lesson's notation. Compile with pdflatex; only amsmath,\n"
              "geometry, beamer and tikz are used.\n\n"
              "options:\n", f) < 0 || cliopt_help(f, &CLI_TEX))
        return -1;
    return fputs("\nexit status: 0 written, 2 bad usage or bad lesson\n", f) < 0 ? -1 : 0;
}

const cliopt_cmd CLI_TEX = {.name = "tex", .opts = TEX_OPTS, .n_opts = CLIOPT_COUNT(TEX_OPTS), .col = 19,
                            .help = tex_help};

int cmd_tex(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    tex_opts o = {.notation = -1, .digits = -1};
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    cliopt_parser p = CLIOPT_PARSER(&CLI_TEX, argc, argv);
    cliopt_value val;
    for (int id; (id = cliopt_next(&p, &val)) != CLIOPT_END;) {
        if (id == CLIOPT_HELP) return 0;
        if (id == CLIOPT_BAD) return EXIT_USAGE;
        if (id == CLIOPT_ARG) {
            if (cli_one_lesson("tex", val.s, &path)) return EXIT_USAGE;
            continue;
        }
        switch ((enum tex_opt)id) {
        case TEX_BEAMER: o.beamer = 1; break;
        case TEX_FRAGMENT: o.fragment = 1; break;
        case TEX_ALL_STEPS: eo.trace_all = 1; break;
        case TEX_CHAIN: eo.chain = 1; break;
        case TEX_NOTATION: o.notation = (int)val.n; break;
        case TEX_DIGITS: o.digits = (int)val.n; break;
        case TEX_OUT: out = val.s; break;
        }
    }
    if (cli_need_lesson("tex", path, "nntrace tex mazur-2-2-2 --beamer -o mazur.tex")) return EXIT_USAGE;
    if (cli_not_input("tex", out, path)) return EXIT_USAGE;
    lesson *l = cli_lesson_for("tex", path);
    if (!l) return EXIT_USAGE;
    engine_result r;
    if (cli_engine_run(l, &eo, &r)) {
        lesson_free(l);
        return EXIT_USAGE;
    }
    strbuf b = {0};
    int status = tex_write(&b, l, &r, &o) ? EXIT_USAGE : 0;
    if (status) {
        fprintf(stderr, "nntrace tex: out of memory\n");
    } else if (cli_write("tex", out ? out : "-", &b)) {
        status = EXIT_USAGE;
    }
    sb_free(&b);
    engine_result_free(&r);
    lesson_free(l);
    return status;
}
