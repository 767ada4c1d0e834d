/*
 * cmd_new.c - `nntrace new SHAPE`: a complete, runnable lesson to start from.
 *
 * For a shape such as 2-3-2 (inputs first) it writes every key a first
 * lesson needs, each with the key table's own usage and help as a comment
 * (lesson_keys.h: one place for what a key means), a weight line for every
 * arc (or an `init` line with the weight lines commented out), one example
 * and the training set-up. The text is parsed by the lesson parser before it
 * is written, so what `new` prints always loads.
 *
 * Neuron ids: the inputs are 1..n_0, then each layer's neurons follow on.
 *
 * Also `nntrace keys`: the key table itself, as help lines or Markdown.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lesson_keys.h"
#include "outfile.h"
#include "text.h"
#include "wrap.h"

#define NEW_COMMENT_WIDTH 78

enum new_opt { NEW_ACT = 1, NEW_OUT, NEW_LOSS, NEW_INIT, NEW_FILE };

static const cliopt NEW_OPTS[] = {
    {.id = NEW_ACT, .name = "--act", .meta = "A", .kind = CLIOPT_STRING,
     .help = "activation of the hidden layers (default logistic)"},
    {.id = NEW_OUT, .name = "--out", .meta = "A", .kind = CLIOPT_STRING,
     .help = "activation of the output layer (default: as --act)"},
    {.id = NEW_LOSS, .name = "--loss", .meta = "L", .kind = CLIOPT_STRING,
     .help = "the loss (default sse; softmax-ce for a softmax output)"},
    {.id = NEW_INIT, .name = "--init", .meta = "KIND ARGS", .kind = CLIOPT_OWN,
     .help = "seeded weights instead of weight lines: uniform LO HI SEED,\n"
             "xavier SEED, xavier-normal SEED or he SEED (the weight\n"
             "lines are then written as comments)"},
    {.id = NEW_FILE, .name = "-o", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "write FILE (atomically) instead of standard output"},
};

static int new_help(FILE *f)
{
    char acts[512], losses[256];
    act_known(acts, sizeof acts);
    loss_known(losses, sizeof losses);
    if (fputs("usage: nntrace new SHAPE [options] [-o FILE]\n\n"
              "Print a complete lesson for a network of SHAPE, layer sizes joined by '-',\n"
              "inputs first (2-3-2: two inputs, a hidden layer of three, two outputs):\n"
              "every key a lesson needs with a comment saying what it means, a weight line\n"
              "for every arc, an example and the training set-up. It runs as it is\n"
              "(nntrace run FILE, nntrace gradcheck FILE); replace the weights and the\n"
              "example with your lecture's and add its printed values as expect lines.\n\n"
              "options:\n", f) < 0 || cliopt_help(f, &CLI_NEW))
        return -1;
    strbuf b = {0};
    sb_printf(&b, "\nactivations: ");
    wrap_words(&b, acts, 13, 4, CLIOPT_WIDTH);
    int rc = b.failed ? -1 : fprintf(f, "%s\nlosses: %s\n\nexit status: 0 written, 2 bad usage\n", b.s, losses);
    sb_free(&b);
    return rc < 0 ? -1 : 0;
}

/* a shape is never an option, but "-2-3" is a mistyped shape */
const cliopt_cmd CLI_NEW = {.name = "new", .opts = NEW_OPTS, .n_opts = CLIOPT_COUNT(NEW_OPTS), .col = 17,
                            .help = new_help, .dash_digit_args = 1};

/* "# USAGE: HELP" for key, wrapped to NEW_COMMENT_WIDTH columns. */
static void comment_key(strbuf *b, lesson_key key)
{
    const lesson_keydef *d = &LESSON_KEYS[key];
    strbuf t = {0};
    sb_printf(&t, "%s: %s", d->usage, d->help);
    if (t.failed) { b->failed = 1; sb_free(&t); return; }
    const char *s = t.s;
    while (*s) {
        size_t room = NEW_COMMENT_WIDTH - 2, n = strlen(s);
        if (n > room) {
            n = room;
            while (n > 0 && s[n] != ' ') n--;
            if (n == 0) n = strcspn(s, " ");       /* one long word */
        }
        sb_printf(b, "# %.*s\n", (int)n, s);
        s += n;
        while (*s == ' ') s++;
    }
    sb_free(&t);
}

/* A nonzero, uneven pattern, so no two neurons of a layer start equal
 * (lecture 001's 07-4a shows why equal weights stay equal). */
static double pattern(int k, int salt)
{
    static const double W[] = {0.1, -0.2, 0.3, -0.4, 0.5, -0.15, 0.25, -0.35, 0.45};
    return W[(k * 7 + salt) % (int)(sizeof W / sizeof W[0])];
}

/* Parse "2-3-2" into sizes (at most LESSON_MAX_LAYERS + 1). */
static int parse_shape(const char *s, int *sizes, int *n)
{
    *n = 0;
    long total = 0, arcs = 0;
    const char *p = s;
    for (;;) {
        char *end;
        if (*p < '0' || *p > '9') return -1;
        long v = strtol(p, &end, 10);
        if (v < 1 || v > LESSON_MAX_ID || *n > LESSON_MAX_LAYERS) return -1;
        if (*n > 0) arcs += (sizes[*n - 1] + 1) * v;
        sizes[(*n)++] = (int)v;
        total += v;
        if (total > LESSON_MAX_ID || arcs > LESSON_MAX_ARCS) return -2;
        if (*end == '\0') break;
        if (*end != '-') return -1;
        p = end + 1;
    }
    return *n >= 2 ? 0 : -1;
}

/* Is s a whole number's digits, nothing else? */
static int whole_word(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s);
}

/* An activation option's value, or a message with the nearest names. */
static int parse_act(const char *opt, const char *v, act_fn *f)
{
    if (!act_parse(v, f)) return 0;
    char near[256], known[512], why[256];
    if (act_param_problem(v, why, sizeof why)) {
        fprintf(stderr, "nntrace new: %s: activation '%s': %s\n", opt, v, why);
        return -1;
    }
    act_known(known, sizeof known);
    fprintf(stderr, "nntrace new: %s: unknown activation '%s' (known: %s)\n", opt, v, known);
    if (act_suggest(v, near, sizeof near)) fprintf(stderr, "HINT: did you mean %s?\n", near);
    return -1;
}

int cmd_new(int argc, char **argv)
{
    const char *shape = NULL, *act_s = "logistic", *out_s = NULL, *loss_s = NULL, *outpath = NULL;
    const char *init[4] = {0};
    int n_init = 0, rc;
    cliopt_parser p = CLIOPT_PARSER(&CLI_NEW, argc, argv);
    cliopt_value val;
    for (int id; (id = cliopt_next(&p, &val)) != CLIOPT_END;) {
        if (id == CLIOPT_HELP) return 0;
        if (id == CLIOPT_BAD) return EXIT_USAGE;
        if (id == CLIOPT_ARG) {
            if (shape) {
                /* 2 3 2, the sizes as words of their own: the shape is them joined by '-' */
                char joined[256];
                int n = snprintf(joined, sizeof joined, "%s-%s", shape, val.s);
                int words = whole_word(shape) && whole_word(val.s);
                for (int more; words && n > 0 && (size_t)n < sizeof joined && cliopt_left(&p) > 0 &&
                               whole_word(p.argv[p.k]); n += more)
                    more = snprintf(joined + n, sizeof joined - (size_t)n, "-%s", cliopt_take(&p));
                int sizes[LESSON_MAX_LAYERS + 1], n_sizes;
                if (words && n > 0 && (size_t)n < sizeof joined && !parse_shape(joined, sizes, &n_sizes))
                    fprintf(stderr, "nntrace new: a shape is one word, its layer sizes joined by '-'; did you mean "
                                    "%s?\n", joined);
                else
                    fprintf(stderr, "nntrace new: one shape at a time ('%s' and '%s')\n", shape, val.s);
                return EXIT_USAGE;
            }
            shape = val.s;
            continue;
        }
        switch ((enum new_opt)id) {
        case NEW_ACT: act_s = val.s; break;
        case NEW_OUT: out_s = val.s; break;
        case NEW_LOSS: loss_s = val.s; break;
        case NEW_FILE: outpath = val.s; break;
        case NEW_INIT: {
            /* KIND then its arguments: uniform LO HI SEED, or KIND SEED */
            int left = cliopt_left(&p);
            int need = left > 0 && !strcmp(p.argv[p.k], "uniform") ? 4 : 2;
            if (need > left) {
                fprintf(stderr, "nntrace new: --init takes 'uniform LO HI SEED', 'xavier SEED', "
                                "'xavier-normal SEED' or 'he SEED'\n");
                return EXIT_USAGE;
            }
            for (n_init = 0; n_init < need; n_init++) init[n_init] = cliopt_take(&p);
            break;
        }
        }
    }
    if (!shape) {
        fprintf(stderr, "nntrace new: which shape?\nHINT: nntrace new 2-3-2 > my.lesson\n");
        return EXIT_USAGE;
    }
    int sizes[LESSON_MAX_LAYERS + 1], n_sizes;
    if ((rc = parse_shape(shape, sizes, &n_sizes))) {
        if (rc == -2)
            fprintf(stderr, "nntrace new: shape '%s' is too large (at most %d neurons and %d arcs)\n",
                    shape, LESSON_MAX_ID, LESSON_MAX_ARCS);
        else {
            /* 2,3,2 or 2x3x2 (or 2×3×2) as a paper writes a shape: the sizes joined by '-' */
            char dashed[128];
            size_t n = 0;
            for (const char *c = shape; *c && n + 1 < sizeof dashed; c++) {
                if (!strncmp(c, "\xC3\x97", 2)) c++;                     /* U+00D7 multiplication sign */
                else if (!strchr(",x*/:_ ", *c)) { dashed[n++] = *c; continue; }
                dashed[n++] = '-';
            }
            dashed[n] = '\0';
            int near = strlen(shape) < sizeof dashed - 1 && !parse_shape(dashed, sizes, &n_sizes);
            fprintf(stderr, "nntrace new: SHAPE is two or more layer sizes (1 to %d) joined by '-', inputs "
                            "first, such as 2-3-2; not '%s'%s%s%s\n", LESSON_MAX_ID, shape,
                    near ? "; did you mean " : "", near ? dashed : "", near ? "?" : "");
        }
        return EXIT_USAGE;
    }
    act_fn hid, out;
    if (parse_act("--act", act_s, &hid) || parse_act("--out", out_s ? out_s : act_s, &out)) return EXIT_USAGE;
    if (hid.kind == ACT_SOFTMAX && n_sizes > 2) {
        fprintf(stderr, "nntrace new: --act softmax: softmax is for the output layer only (--out softmax)\n");
        return EXIT_USAGE;
    }
    loss_kind loss = out.kind == ACT_SOFTMAX ? LOSS_SOFTMAX_CE : LOSS_SSE;
    if (loss_s && loss_parse(loss_s, &loss)) {
        char near[256], known[256];
        loss_known(known, sizeof known);
        fprintf(stderr, "nntrace new: --loss: unknown loss '%s' (known: %s)\n", loss_s, known);
        if (loss_suggest(loss_s, near, sizeof near)) fprintf(stderr, "HINT: did you mean %s?\n", near);
        return EXIT_USAGE;
    }

    /* the lesson */
    strbuf b = {0};
    char hs[64], os[64];
    act_label(hid, hs, sizeof hs);
    act_label(out, os, sizeof os);
    sb_printf(&b, "# A %s network, written by `nntrace new %s`. It runs as it is:\n"
                  "#   nntrace run FILE; nntrace gradcheck FILE\n"
                  "# Replace the weights and the example with your lecture's and add the values it\n"
                  "# prints as expect lines. Every key: `nntrace keys`, man 5 nntrace-lesson.\n\n",
              shape, shape);
    comment_key(&b, KEY_TITLE);
    sb_printf(&b, "title   A %s network\n", shape);
    comment_key(&b, KEY_SOURCE);
    sb_printf(&b, "source  (the lecture and slide this example comes from)\n");
    comment_key(&b, KEY_NOTE);
    sb_printf(&b, "note    Written by nntrace new: weights and example are placeholders.\n\n");

    comment_key(&b, KEY_INPUT);
    sb_printf(&b, "input  ");
    for (int i = 1; i <= sizes[0]; i++) sb_printf(&b, " %d", i);
    sb_printf(&b, "\n");
    comment_key(&b, KEY_LAYER);
    int first = sizes[0] + 1;
    for (int ly = 1; ly < n_sizes; ly++) {
        sb_printf(&b, "layer   %s", ly == n_sizes - 1 ? os : hs);
        for (int j = 0; j < sizes[ly]; j++) sb_printf(&b, " %d", first + j);
        sb_printf(&b, ly == n_sizes - 1 ? "    # the output layer\n" : "\n");
        first += sizes[ly];
    }
    comment_key(&b, KEY_LABEL);
    sb_printf(&b, "# label   %d h1\n\n", sizes[0] + 1);

    if (n_init) {
        comment_key(&b, KEY_INIT);
        sb_printf(&b, "init   ");
        for (int k = 0; k < n_init; k++) sb_printf(&b, " %s", init[k]);
        sb_printf(&b, "\n");
    }
    comment_key(&b, KEY_WEIGHT);
    sb_printf(&b, "# (w_i,j is the arc from neuron i into neuron j; neuron 0 is the bias, a_0 = 1)\n");
    int prev_first = 1, cur_first = sizes[0] + 1, arc = 0;
    for (int ly = 1; ly < n_sizes; ly++) {
        for (int j = cur_first; j < cur_first + sizes[ly]; j++) {
            sb_printf(&b, "%sweight  w_0,%d = %g\n", n_init ? "# " : "", j, pattern(arc++, ly));
            for (int i = prev_first; i < prev_first + sizes[ly - 1]; i++)
                sb_printf(&b, "%sweight  w_%d,%d = %g\n", n_init ? "# " : "", i, j, pattern(arc++, ly));
        }
        prev_first = cur_first;
        cur_first += sizes[ly];
    }
    sb_printf(&b, "\n");
    comment_key(&b, KEY_LOSS);
    sb_printf(&b, "loss    %s\n", loss_name(loss));
    comment_key(&b, KEY_RATE);
    sb_printf(&b, "rate    0.5\n");
    comment_key(&b, KEY_STEPS);
    sb_printf(&b, "steps   1\n");
    comment_key(&b, KEY_FINAL_FORWARD);
    sb_printf(&b, "final-forward yes\n");
    comment_key(&b, KEY_EXAMPLE);
    sb_printf(&b, "example");
    static const double X[] = {0.5, -0.3, 0.8, 0.1, -0.6, 0.2, 0.9};
    for (int i = 0; i < sizes[0]; i++) sb_printf(&b, " %g", X[i % 7]);
    int n_out = sizes[n_sizes - 1];
    if (out.kind == ACT_SOFTMAX) {                 /* a class label: one-hot over the outputs */
        sb_printf(&b, " -> class 1");
    } else {
        sb_printf(&b, " ->");
        for (int k = 0; k < n_out; k++) sb_printf(&b, " %d", k == 0);
    }
    sb_printf(&b, "\n");
    comment_key(&b, KEY_DIGITS);
    sb_printf(&b, "digits  4\n");
    comment_key(&b, KEY_ROUND);
    sb_printf(&b, "# round   4\n");
    comment_key(&b, KEY_EXPECT);
    sb_printf(&b, "# expect  in_%d = (the value your lecture prints for it)\n", sizes[0] + 1);
    if (b.failed) {
        fprintf(stderr, "nntrace new: out of memory\n");
        sb_free(&b);
        return EXIT_USAGE;
    }

    /* it must load as it is (the parser checks the loss against the output) */
    char err[1024];
    lesson *l = lesson_parse(b.s, b.len, "new", err, sizeof err);
    if (!l) {
        const char *msg = strstr(err, ": ");
        fprintf(stderr, "nntrace new: %s\n", msg ? msg + 2 : err);
        sb_free(&b);
        return EXIT_USAGE;
    }
    lesson_free(l);
    int status = 0;
    outfile of = {0};
    FILE *f = stdout;
    if (outpath) {
        if (outfile_open(&of, outpath, 1, err, sizeof err)) {
            fprintf(stderr, "nntrace new: %s\n", err);
            sb_free(&b);
            return EXIT_USAGE;
        }
        f = of.f;
    }
    int bad = fwrite(b.s, 1, b.len, f) != b.len;
    if (outpath) {
        if (bad) outfile_abort(&of);
        else if (outfile_commit(&of, err, sizeof err)) { fprintf(stderr, "nntrace new: %s\n", err); status = EXIT_USAGE; }
    } else if (bad || fflush(stdout)) {
        fprintf(stderr, "nntrace new: cannot write the lesson\n");
        status = EXIT_USAGE;
    }
    if (bad && outpath) { fprintf(stderr, "nntrace new: cannot write %s\n", outpath); status = EXIT_USAGE; }
    sb_free(&b);
    return status;
}

/* ------------------------------------------------------------------------
 * keys (also `nntrace help lesson`)
 * ---------------------------------------------------------------------- */

enum keys_opt { KEYS_MARKDOWN = 1 };

static const cliopt KEYS_OPTS[] = {
    {.id = KEYS_MARKDOWN, .name = "--markdown", .help = "the README's table, in Markdown"},
};

static int keys_help(FILE *f)
{
    if (fputs("usage: nntrace keys [--markdown]\n\n"
              "The keys of a lesson file, one line of help each.\n\n"
              "options:\n", f) < 0 || cliopt_help(f, &CLI_KEYS))
        return -1;
    return fputs("\nexit status: 0 written, 2 bad usage\n", f) < 0 ? -1 : 0;
}

const cliopt_cmd CLI_KEYS = {.name = "keys", .opts = KEYS_OPTS, .n_opts = CLIOPT_COUNT(KEYS_OPTS), .col = 14,
                             .help = keys_help};

int cmd_keys(int argc, char **argv)
{
    int markdown = 0;
    cliopt_parser p = CLIOPT_PARSER(&CLI_KEYS, argc, argv);
    cliopt_value val;
    for (int id; (id = cliopt_next(&p, &val)) != CLIOPT_END;) {
        if (id == CLIOPT_HELP) return 0;
        if (id == CLIOPT_BAD) return EXIT_USAGE;
        if (id == CLIOPT_ARG) {
            fprintf(stderr, "nntrace keys: unexpected argument '%s'\nHINT: nntrace keys --help\n", val.s);
            return EXIT_USAGE;
        }
        switch ((enum keys_opt)id) {
        case KEYS_MARKDOWN: markdown = 1; break;
        }
    }
    if (lesson_keys_print(stdout, markdown) || fflush(stdout)) {
        fprintf(stderr, "nntrace keys: cannot write the key table\n");
        return EXIT_USAGE;
    }
    return 0;
}
