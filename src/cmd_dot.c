/*
 * cmd_dot.c - `nntrace dot`: the network of a lesson as Graphviz DOT,
 * labelled with the values of one step of its trace (netdraw.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "netdraw.h"
#include "outfile.h"

static void dot_help(FILE *f)
{
    fprintf(f,
        "usage: nntrace dot LESSON [options] | dot -Tsvg > net.svg\n\n"
        "Write the lesson's network as Graphviz DOT: neurons labelled with in_j and a_j\n"
        "(and Delta_j on the backward pass), arcs with w_ij (and dJ/dw_ij) in a box on\n"
        "the arc, layers left to right in lesson order, the bias neuron 0 as a dashed\n"
        "box with dashed arcs; frozen arcs of one value from one neuron into one layer\n"
        "(a shared bias) share one box. The targets y_j and the loss J are nodes\n"
        "right of the outputs.\n\n"
        "options:\n"
        "  --step N                 the step whose values are shown (default 1; with\n"
        "                           final-forward, steps+1 is the forward pass after training)\n"
        "  --pass forward|backward  forward: in_j, a_j, w_ij; backward adds Delta_j and\n"
        "                           dJ/dw_ij (default forward)\n"
        "  --example E              the example of a mini-batch (default the first)\n"
        "  --digits N               decimals shown (default: the lesson's)\n"
        "  --exact                  exact arithmetic, even if the lesson rounds by hand\n"
        CLI_HELP_CHAIN("                 ", "                           ")
        "  --no-edge-labels         arcs without their w_ij (and dJ/dw_ij) labels\n"
        "  --ascii                  ASCII names (in_3, delta_3) instead of in\xe2\x82\x83, \xce\x94\xe2\x82\x83\n"
        "  --notation " NOTATION_CHOICES "\n"
        "                           names of the lecture (default: the lesson's notation)\n"
        "  -o FILE                  write FILE (atomically) instead of standard output\n\n"
        "exit status: 0 written, 2 bad usage, bad lesson, or a step/pass not in the trace\n");
}

int cmd_dot(int argc, char **argv)
{
    const char *path = NULL, *v = NULL, *outpath = NULL;
    netdraw_dot_opts o = {.step = 1, .digits = -1, .unicode = 1, .notation = -1};
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    int rc;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) { dot_help(stdout); return 0; }
        if ((rc = cli_opt(argc, argv, &k, "--step", 1, &v))) {
            if (rc < 0 || cli_int("dot", "--step", v, 1, LESSON_MAX_STEPS + 1, &o.step)) return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "--pass", 1, &v))) {
            if (rc < 0) return EXIT_USAGE;
            if (!strcmp(v, "forward")) o.backward = 0;
            else if (!strcmp(v, "backward")) o.backward = 1;
            else {
                fprintf(stderr, "nntrace dot: --pass takes forward or backward, not '%s'\n", v);
                return EXIT_USAGE;
            }
        } else if ((rc = cli_opt(argc, argv, &k, "--example", 1, &v))) {
            if (rc < 0 || cli_int("dot", "--example", v, 1, LESSON_MAX_EXAMPLES, &o.example)) return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "--digits", 1, &v))) {
            if (rc < 0 || cli_int("dot", "--digits", v, 0, 12, &o.digits)) return EXIT_USAGE;
        } else if ((rc = cli_opt(argc, argv, &k, "-o", 1, &v))) {
            if (rc < 0) return EXIT_USAGE;
            outpath = v;
        } else if ((rc = cli_opt(argc, argv, &k, "--notation", 1, &v))) {
            if (rc < 0 || cli_notation("dot", v, &o.notation)) return EXIT_USAGE;
        } else if (!strcmp(argv[k], "--exact")) { eo.round = -1;
        } else if (!strcmp(argv[k], "--chain")) { eo.chain = 1;
        } else if (!strcmp(argv[k], "--ascii")) { o.unicode = 0;
        } else if (!strcmp(argv[k], "--no-edge-labels")) { o.no_edge_labels = 1;
        } else if (cli_lesson_arg_help("dot", argv[k], &path, dot_help)) {
            return EXIT_USAGE;
        }
    }
    if (cli_need_lesson("dot", path, "nntrace dot sauppe-forward | dot -Tsvg > net.svg")) return EXIT_USAGE;
    if (cli_not_input("dot", outpath, path)) return EXIT_USAGE;
    lesson *l = cli_lesson_for("dot", path);
    if (!l) return EXIT_USAGE;
    if (o.digits < 0) o.digits = l->digits;
    /* the step asked for is traced even if the lesson traces only a few:
     * add it to the lesson's own list (NULL means 1, the last, and all up
     * to ENGINE_DEFAULT_TRACED, which the new list keeps) */
    if (o.step <= l->steps && !engine_traced(l, NULL, o.step)) {
        int n = l->trace_steps ? l->n_trace_steps : 2;
        int *ts = realloc(l->trace_steps, (size_t)(n + 1) * sizeof *ts);
        if (!ts) { fprintf(stderr, "nntrace dot: out of memory\n"); lesson_free(l); return EXIT_USAGE; }
        if (!l->trace_steps) { ts[0] = 1; ts[1] = l->steps; }
        ts[n] = o.step;
        l->trace_steps = ts;
        l->n_trace_steps = n + 1;
    }
    engine_result r;
    char err[768];
    strbuf b = {0};
    int status = EXIT_USAGE;
    if (cli_engine_run(l, &eo, &r)) {
        lesson_free(l);
        return EXIT_USAGE;
    }
    if (netdraw_dot(&b, l, r.tr, &o, err, sizeof err)) {
        fprintf(stderr, "nntrace dot: %s\n", err);
        goto done;
    }
    if (outpath) {
        outfile of;
        if (outfile_open(&of, outpath, 1, err, sizeof err)) {
            fprintf(stderr, "nntrace dot: %s\n", err);
            goto done;
        }
        if (fwrite(b.s, 1, b.len, of.f) != b.len) {
            fprintf(stderr, "nntrace dot: cannot write '%s'\n", outpath);
            outfile_abort(&of);
            goto done;
        }
        if (outfile_commit(&of, err, sizeof err)) {
            fprintf(stderr, "nntrace dot: %s\n", err);
            goto done;
        }
    } else if (fwrite(b.s, 1, b.len, stdout) != b.len || fflush(stdout) != 0) {
        fprintf(stderr, "nntrace dot: cannot write the output\n");
        goto done;
    }
    status = 0;

done:
    sb_free(&b);
    engine_result_free(&r);
    lesson_free(l);
    return status;
}
