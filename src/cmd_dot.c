/*
 * cmd_dot.c - `nntrace dot`: the network of a lesson as Graphviz DOT,
 * labelled with the values of one step of its trace (netdraw.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "netdraw.h"
#include "outfile.h"

enum dot_opt {
    DOT_STEP = 1, DOT_PASS, DOT_EXAMPLE, DOT_DIGITS, DOT_EXACT, DOT_CHAIN, DOT_NO_EDGE_LABELS, DOT_ASCII, DOT_UNICODE,
    DOT_NOTATION, DOT_OUT,
};

static const char *const DOT_PASSES[] = {"forward", "backward"};   /* o.backward is the index */

static const cliopt DOT_OPTS[] = {
    {.id = DOT_STEP, .name = "--step", .meta = "N", .kind = CLIOPT_INT, .lo = 1, .hi = LESSON_MAX_STEPS + 1,
     .help = "the step whose values are shown (default 1; with\n"
             "final-forward, steps+1 is the forward pass after\n"
             "training)"},
    {.id = DOT_PASS, .name = "--pass", .kind = CLIOPT_CHOICE, .choices = DOT_PASSES, .n_choices = 2,
     .help = "forward: in_j, a_j, w_ij; backward adds Delta_j and\n"
             "dJ/dw_ij (in a mini-batch the example's and the\n"
             "mean the update uses) (default forward)"},
    {.id = DOT_EXAMPLE, .name = "--example", .meta = "E", .kind = CLIOPT_INT, .lo = 1, .hi = LESSON_MAX_EXAMPLES,
     .help = "the example of a mini-batch (default the first)"},
    CLI_OPT_DIGITS(DOT_DIGITS),
    CLI_OPT_EXACT(DOT_EXACT),
    CLI_OPT_CHAIN(DOT_CHAIN),
    {.id = DOT_NO_EDGE_LABELS, .name = "--no-edge-labels",
     .help = "arcs without their w_ij (and dJ/dw_ij) labels"},
    {.id = DOT_ASCII, .name = "--ascii",
     .help = "ASCII names (in_3, delta_3) instead of in\xe2\x82\x83, \xce\x94\xe2\x82\x83\n"
             "(default: Unicode, whatever the terminal)"},
    {.id = DOT_UNICODE, .name = "--unicode", .with_prev = 1},
    {.id = DOT_NOTATION, .name = "--notation", .kind = CLIOPT_NOTATION,
     .help = "names of the lecture (default: the lesson's\n"
             "notation)"},
    {.id = DOT_OUT, .name = "-o", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "write FILE (atomically) instead of standard output"},
};

static int dot_help(FILE *f)
{
    if (fputs("usage: nntrace dot LESSON [options] | dot -Tsvg > net.svg\n\n"
              "Write the lesson's network as Graphviz DOT: neurons labelled with in_j and a_j\n"
              "(and Delta_j on the backward pass), arcs with w_ij (and dJ/dw_ij) in a box on\n"
              "the arc, every name as the lesson's trace writes it (net_h1, z^[1]_1), layers\n"
              "left to right in lesson order, the bias neuron 0 as a dashed box with dashed\n"
              "arcs; frozen arcs of one value from one neuron into one layer (a shared bias)\n"
              "share one box. The targets y_j and the loss J are nodes right of the outputs.\n\n"
              "options:\n", f) < 0 || cliopt_help(f, &CLI_DOT))
        return -1;
    return fputs("\nexit status: 0 written, 2 bad usage, bad lesson, or a step or pass not in\n"
                 "the trace\n", f) < 0 ? -1 : 0;
}

const cliopt_cmd CLI_DOT = {.name = "dot", .opts = DOT_OPTS, .n_opts = CLIOPT_COUNT(DOT_OPTS), .col = 27,
                            .help = dot_help};

int cmd_dot(int argc, char **argv)
{
    const char *path = NULL, *outpath = NULL;
    netdraw_dot_opts o = {.step = 1, .digits = -1, .unicode = 1, .notation = -1};
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    cliopt_parser p = CLIOPT_PARSER(&CLI_DOT, argc, argv);
    cliopt_value val;
    for (int id; (id = cliopt_next(&p, &val)) != CLIOPT_END;) {
        if (id == CLIOPT_HELP) return 0;
        if (id == CLIOPT_BAD) return EXIT_USAGE;
        if (id == CLIOPT_ARG) {
            if (cli_one_lesson("dot", val.s, &path)) return EXIT_USAGE;
            continue;
        }
        switch ((enum dot_opt)id) {
        case DOT_STEP: o.step = (int)val.n; break;
        case DOT_PASS: o.backward = (int)val.n; break;
        case DOT_EXAMPLE: o.example = (int)val.n; break;
        case DOT_DIGITS: o.digits = (int)val.n; break;
        case DOT_OUT: outpath = val.s; break;
        case DOT_NOTATION: o.notation = (int)val.n; break;
        case DOT_EXACT: eo.round = -1; break;
        case DOT_CHAIN: eo.chain = 1; break;
        case DOT_ASCII: o.unicode = 0; break;
        case DOT_UNICODE: o.unicode = 1; break;
        case DOT_NO_EDGE_LABELS: o.no_edge_labels = 1; break;
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
