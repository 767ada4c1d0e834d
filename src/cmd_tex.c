/*
 * cmd_tex.c - `nntrace tex LESSON`: the derivation as a LaTeX document, a
 * Beamer deck (--beamer) or the equations alone (--fragment).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tex.h"

static void tex_help(FILE *f)
{
    fprintf(f,
        "usage: nntrace tex LESSON [--beamer | --fragment] [options] [-o FILE.tex]\n\n"
        "Write the lesson's derivation as LaTeX: every quantity as name = formula =\n"
        "numbers = value in aligned equations, grouped by step and pass as the text\n"
        "trace is, in the lesson's notation. Compile with pdflatex; only amsmath,\n"
        "geometry, beamer and tikz are used.\n\n"
        "options:\n"
        "  --beamer         a Beamer deck: a frame per pass (long passes split), each\n"
        "                   line revealed in three steps (formula, numbers, value), and\n"
        "                   the network drawn with its values, forward and backward\n"
        "  --fragment       only the equations, to paste into your own document\n"
        "  --notation N     va, layer, netout or bar (default: the lesson's)\n"
        "  --digits N       decimals shown (default: the lesson's)\n"
        "  --all-steps      every step, whatever the lesson traces\n"
        CLI_HELP_CHAIN("         ", "                   ")
        "  -o FILE          write to FILE (atomically) instead of standard output\n\n"
        "exit status: 0 written, 2 bad usage or bad lesson\n");
}

int cmd_tex(int argc, char **argv)
{
    const char *path = NULL, *out = NULL, *v;
    tex_opts o = {.notation = -1, .digits = -1};
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    int rc;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) { tex_help(stdout); return 0; }
        if (!strcmp(argv[k], "--beamer")) { o.beamer = 1; continue; }
        if (!strcmp(argv[k], "--fragment")) { o.fragment = 1; continue; }
        if (!strcmp(argv[k], "--all-steps")) { eo.trace_all = 1; continue; }
        if (!strcmp(argv[k], "--chain")) { eo.chain = 1; continue; }
        if ((rc = cli_opt(argc, argv, &k, "--notation", 1, &v))) {
            if (rc < 0 || cli_notation("tex", v, &o.notation)) return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "--digits", 1, &v))) {
            if (rc < 0 || cli_int("tex", "--digits", v, 0, 12, &o.digits)) return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "-o", 1, &v))) {
            if (rc < 0) return EXIT_USAGE;
            out = v;
        } else if (cli_lesson_arg_help("tex", argv[k], &path, tex_help)) {
            return EXIT_USAGE;
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
