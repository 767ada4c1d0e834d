/*
 * fast_cli.c - `nntrace mnist`: options, training loop, reports.
 *
 * The only file of src/fast that prints. Everything it calls returns a
 * status and a message; this file turns them into "nntrace mnist: ..." on
 * stderr plus a HINT, and an exit status: 0 ok, 1 a check failed (training
 * diverged), 2 bad usage or bad input.
 */
#include "fast_cli.h"
#include "fast_idx.h"
#include "fast_lesson.h"
#include "fast_model.h"
#include "fast_net.h"
#include "fast_report.h"
#include "fast_train.h"
#include "../cliopt.h"
#include "../outfile.h"

#include <errno.h>
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define PROG "nntrace mnist"

typedef struct {
    const char *data, *layers, *xlsx, *save, *load, *export_lesson;
    fast_act act;
    fast_loss loss;
    int epochs, batch, threads, json, peak, epochs_given, adapt_on;
    long trace_sample, export_inputs;
    double rate, decay, momentum, anneal;
    unsigned long long seed;
} opts;

/* ---------------------------------------------------------------- options */

enum mnist_opt {
    MNIST_DATA = 1, MNIST_LAYERS, MNIST_ACT, MNIST_LOSS, MNIST_EPOCHS, MNIST_BATCH, MNIST_RATE, MNIST_DECAY,
    MNIST_MOMENTUM, MNIST_ANNEAL, MNIST_SEED, MNIST_THREADS, MNIST_ADAPT, MNIST_XLSX, MNIST_SAVE, MNIST_LOAD,
    MNIST_JSON, MNIST_TRACE_SAMPLE, MNIST_EXPORT_LESSON, MNIST_EXPORT_INPUTS, MNIST_PEAK,
};

static const char *const ADAPT[] = {"on", "off"};       /* index 0: o->adapt_on */

static const cliopt MNIST_OPTS[] = {
    {.id = MNIST_DATA, .name = "--data", .meta = "DIR", .kind = CLIOPT_STRING,
     .help = "folder with the four IDX files, raw or .gz (default\n"
             "data/mnist; `make data` fills it;\n"
             "/usr/share/datasets/fashion-mnist works too)"},
    {.id = MNIST_LAYERS, .name = "--layers", .meta = "A-B-..-Z", .kind = CLIOPT_STRING,
     .help = "layer sizes, inputs first (default 784-128-10)"},
    {.id = MNIST_ACT, .name = "--act", .meta = "NAME", .kind = CLIOPT_STRING,
     .help = "hidden activation: relu (default), logistic, tanh"},
    {.id = MNIST_LOSS, .name = "--loss", .meta = "NAME", .kind = CLIOPT_CHOICE, .choices = FAST_LOSS_NAMES,
     .n_choices = FAST_LOSS_COUNT, .help = "softmax-ce (default), sse or mse (these two: output\n"
                                            "uses --act)"},
    {.id = MNIST_EPOCHS, .name = "--epochs", .meta = "N", .kind = CLIOPT_INT, .lo = 0, .hi = 100000,
     .help = "passes over the training set (default 5; 0 with --load)"},
    {.id = MNIST_BATCH, .name = "--batch", .meta = "B", .kind = CLIOPT_INT, .lo = 1, .hi = 65536,
     .help = "mini-batch size (default 64)"},
    {.id = MNIST_RATE, .name = "--rate", .meta = "A", .kind = CLIOPT_NUMBER, .min = 1e-12, .max = 1e6,
     .help = "learning rate alpha (default 0.7 softmax-ce, 0.1 sse,\n"
             "1 mse)"},
    {.id = MNIST_DECAY, .name = "--decay", .meta = "L", .kind = CLIOPT_NUMBER, .min = 0, .max = 1e6,
     .help = "weight decay lambda: w -= 2 alpha lambda w (default 0)"},
    {.id = MNIST_MOMENTUM, .name = "--momentum", .meta = "M", .kind = CLIOPT_NUMBER, .min = 0, .max = 0.999999,
     .help = "momentum mu in [0, 1) (default 0, plain SGD)"},
    {.id = MNIST_ANNEAL, .name = "--anneal", .meta = "F", .kind = CLIOPT_NUMBER, .min = 1e-6, .max = 1,
     .help = "multiply the rate by F after each epoch (default 0.6)"},
    {.id = MNIST_SEED, .name = "--seed", .meta = "S", .kind = CLIOPT_STRING,
     .help = "seed of initialisation and shuffling (default 1)"},
    {.id = MNIST_THREADS, .name = "--threads", .meta = "T", .kind = CLIOPT_INT, .lo = 1, .hi = FAST_TEAM_MAX,
     .help = "threads (default: all cores); two or more run one per\n"
             "core, pinned, unless OMP_PROC_BIND is set"},
    {.id = MNIST_ADAPT, .name = "--adapt", .kind = CLIOPT_CHOICE, .choices = ADAPT, .n_choices = 2,
     .help = "on: park threads while fewer are measured to be faster\n"
             "(default off: every thread takes part all the time)"},
    {.id = MNIST_XLSX, .name = "--xlsx", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "write the run (epochs, chart, confusion matrix) as a\n"
             "spreadsheet"},
    {.id = MNIST_SAVE, .name = "--save", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "save the trained model (magic, version, CRC-32)"},
    {.id = MNIST_LOAD, .name = "--load", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "start from a saved model (its layers, activation and\n"
             "loss)"},
    {.id = MNIST_JSON, .name = "--json", .help = "one JSON object per epoch on stdout (and a final one)"},
    {.id = MNIST_TRACE_SAMPLE, .name = "--trace-sample", .meta = "N", .kind = CLIOPT_INT, .lo = 0,
     .hi = 0x7fffffff, .help = "run test image N through the network and print each layer"},
    {.id = MNIST_EXPORT_LESSON, .name = "--export-lesson", .meta = "F", .kind = CLIOPT_STRING,
     .help = "write the trained network as a lesson for the scalar\n"
             "engine: the --export-inputs pixels that matter most,\n"
             "test image --trace-sample N (default 0) as its example;\n"
             "use a small network, e.g. --layers 784-16-10"},
    {.id = MNIST_EXPORT_INPUTS, .name = "--export-inputs", .meta = "K", .kind = CLIOPT_INT, .lo = 1,
     .hi = FAST_MAX_SIZE, .help = "inputs kept by --export-lesson (default 8)"},
    {.id = MNIST_PEAK, .name = "--peak",
     .help = "measure the FMA peak GFLOP/s on --threads threads and\n"
             "exit; with 2 or more, also what one wait of the team\n"
             "costs and a cache line's round trip between two of its\n"
             "CPUs"},
    {.id = CLIOPT_HELP, .name = "--help", .help = "this text"},
};

static int mnist_help(FILE *f)
{
    if (fputs("usage: nntrace mnist [options]\n"
              "Train a dense network on MNIST (or Fashion-MNIST) with the fast float32 path.\n"
              "\n", f) < 0 || cliopt_help(f, &FAST_MNIST_CLI))
        return -1;
    return fputs("\n"
                 "Same seed and thread count give bit-identical weights (any thread count does).\n"
                 "Exit status: 0 ok, 1 training diverged, 2 bad usage or input.\n", f) < 0 ? -1 : 0;
}

const cliopt_cmd FAST_MNIST_CLI = {.name = "mnist", .opts = MNIST_OPTS, .n_opts = CLIOPT_COUNT(MNIST_OPTS),
                                   .col = 22, .help = mnist_help};

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, PROG ": ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\nHINT: nntrace mnist --help lists the options.\n");
    return 2;
}

/* --act NAME: a name of the scalar table (any case) with a fast kernel, or
 * 2 after "--act takes one of relu|logistic|tanh" and the nearest. */
static int parse_act(const char *v, fast_act *out)
{
    act_fn parsed;
    if (!act_parse(v, &parsed) && !fast_act_of(parsed.kind, out))
        return 0;
    const char *names[FAST_ACT_NONE];
    char list[128] = "";
    size_t used = 0;
    for (int a = 0; a < FAST_ACT_NONE; a++) {
        names[a] = act_name(fast_act_kind((fast_act)a));
        int w = snprintf(list + used, sizeof list - used, "%s%s", a ? "|" : "", names[a]);
        if (w > 0 && (size_t)w < sizeof list - used)
            used += (size_t)w;
    }
    cli_bad_choice("mnist", "--act", v, list, names, FAST_ACT_NONE);
    return 2;
}

/* No output may be an input, which writing would destroy: not an IDX file
 * of the data, nor the loaded model (except for --save, which updates it
 * on purpose), nor another output. Returns 0, or 2 (printed). */
static int outputs_not_inputs(const opts *o)
{
    char idx[4][4096], err[8400];
    const char *outs[] = {o->save, o->xlsx, o->export_lesson};
    fast_set_paths(o->data, "train", idx[0], idx[1], sizeof idx[0]);
    fast_set_paths(o->data, "t10k", idx[2], idx[3], sizeof idx[2]);
    for (int k = 0; k < 3; k++) {
        if (!outs[k])
            continue;
        const char *in[7] = {idx[0], idx[1], idx[2], idx[3], k ? o->load : NULL,
                             k != 0 ? o->save : NULL, k != 1 ? o->xlsx : NULL};
        for (int m = 0; m < 7; m++)
            if (in[m] && outfile_not_input(outs[k], in[m], err, sizeof err)) {
                fprintf(stderr, PROG ": %s\n", err);
                return 2;
            }
    }
    return 0;
}

static int parse_opts(int argc, char **argv, opts *o)
{
    *o = (opts){
        .data = "data/mnist", .layers = "784-128-10", .act = FAST_ACT_RELU, .loss = FAST_LOSS_SOFTMAX_CE,
        .epochs = 5, .batch = 64,
#ifdef _OPENMP
        .threads = omp_get_num_procs(),
#else
        .threads = 1,          /* built without OpenMP: one thread */
#endif
        .rate = 0.0,           /* 0: the loss's default, set once the loss is known */
        .momentum = 0.0, .anneal = 0.6, .seed = 1, .trace_sample = -1, .export_inputs = 8,
    };
    cliopt_parser p = CLIOPT_PARSER(&FAST_MNIST_CLI, argc, argv);
    cliopt_value val;
    for (int id; (id = cliopt_next(&p, &val)) != CLIOPT_END;) {
        const char *v = val.s;
        if (id == CLIOPT_HELP)
            return -1;
        if (id == CLIOPT_BAD)
            return 2;
        if (id == CLIOPT_ARG)
            return usage_error("unexpected argument '%s' (mnist takes options only)%s", v, "");
        switch ((enum mnist_opt)id) {
        case MNIST_DATA: o->data = v; break;
        case MNIST_LAYERS: o->layers = v; break;
        case MNIST_ACT:
            if (parse_act(v, &o->act))
                return 2;
            break;
        case MNIST_LOSS: o->loss = (fast_loss)val.n; break;
        case MNIST_XLSX: o->xlsx = v; break;
        case MNIST_SAVE: o->save = v; break;
        case MNIST_LOAD: o->load = v; break;
        case MNIST_EXPORT_LESSON: o->export_lesson = v; break;
        case MNIST_EPOCHS: o->epochs = (int)val.n, o->epochs_given = 1; break;
        case MNIST_BATCH: o->batch = (int)val.n; break;
        case MNIST_THREADS: o->threads = (int)val.n; break;
        case MNIST_ADAPT: o->adapt_on = val.n == 0; break;
        case MNIST_TRACE_SAMPLE: o->trace_sample = val.n; break;
        case MNIST_EXPORT_INPUTS: o->export_inputs = val.n; break;
        case MNIST_SEED: {
            char *end;
            errno = 0;
            o->seed = strtoull(v, &end, 10);
            if (errno || end == v || *end || *v == '-')
                return usage_error("--seed '%s': expected a whole number >= 0%s", v, "");
            break;
        }
        case MNIST_RATE: o->rate = val.x; break;
        case MNIST_DECAY: o->decay = val.x; break;
        case MNIST_ANNEAL: o->anneal = val.x; break;
        case MNIST_MOMENTUM: o->momentum = val.x; break;
        case MNIST_JSON: o->json = 1; break;
        case MNIST_PEAK: o->peak = 1; break;
        }
    }
    if (o->load && !o->epochs_given)
        o->epochs = 0;
    return outputs_not_inputs(o);
}

/* ---------------------------------------------------------------- output */

typedef struct {
    int tty;            /* stderr is a terminal: draw a progress bar */
    int epochs;
} progress_ctx;

static void progress(void *ctx, const fast_progress *p)
{
    const progress_ctx *c = ctx;
    if (!c->tty)
        return;
    const int W = 30;
    int fill = (int)((double)W * (double)p->done / (double)p->total);
    double rate = p->elapsed_s > 0 ? (double)p->done / p->elapsed_s : 0.0;
    double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0.0;
    char bar[64];
    for (int i = 0; i < W; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[W] = '\0';
    fprintf(stderr, "\repoch %d/%d [%s] %6ld/%ld  %7.0f samples/s  loss %.4f  ETA %4.1fs ",
            p->epoch, c->epochs, bar, p->done, p->total, rate, p->loss, eta);
    if (p->done == p->total)
        fprintf(stderr, "\r%*s\r", 110, "");
    fflush(stderr);
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1.0;
    return (double)ru.ru_maxrss / 1024.0;        /* Linux: kilobytes */
}

/* best of 5 runs of about 0.1 s each of the FMA spin on `threads` threads */
static double peak_gflops(int threads)
{
    double best = 0.0;
    long iters = 1000000;
    (void)threads;             /* used only by the OpenMP pragma below */
    for (int rep = 0; rep < 6; rep++) {
        double flops_total = 0.0, t0, t1;
        float sink = 0.0f;
        t0 = fast_now();
#pragma omp parallel num_threads(threads) reduction(+ : flops_total, sink)
        {
            double fl;
            sink += fast_fma_spin(iters, &fl);
            flops_total += fl;
        }
        t1 = fast_now();
        if (sink == 12345.678f)              /* never: keeps the result live */
            fputs("", stderr);
        double g = flops_total / (t1 - t0) / 1e9;
        if (rep == 0)                        /* calibrate to ~0.1 s, discard */
            iters = (long)((double)iters * 0.1 / (t1 - t0)) + 1;
        else if (g > best)
            best = g;
    }
    return best;
}

static const char *kernel_name(fast_act a) { return act_name(fast_act_kind(a)); }

static void trace_sample(const fast_net *cnet, fast_net *net, const fast_set *test, long n)
{
    const int L = net->n_layers;
    (void)cnet;
    fast_input_u8(net, test->images.data, (size_t)net->size[0], NULL, (size_t)n, 1);
    fast_forward(net, 1);
    printf("trace of test image %ld (label %d):\n", n, test->labels.data[n]);
    for (int l = 0; l <= L; l++) {
        double mn = fast_a(net, l, 0, 0), mx = mn, sum = 0;
        int nz = 0;
        for (int j = 0; j < net->size[l]; j++) {
            const float a = fast_a(net, l, 0, j);
            mn = a < mn ? a : mn;
            mx = a > mx ? a : mx;
            sum += a;
            nz += a != 0.0f;
        }
        const char *what = l == 0 ? "input x/255" :
                           l < L ? kernel_name(net->act) :
                           net->loss == FAST_LOSS_SOFTMAX_CE ? "softmax" : kernel_name(net->act);
        printf("  a^[%d] %5d x %-10s min %8.4f  max %8.4f  mean %8.4f  nonzero %d\n", l,
               net->size[l], what, mn, mx, sum / net->size[l], nz);
    }
    int p = fast_argmax(net->a[L], net->size[L]);
    printf("  output:");
    for (int j = 0; j < net->size[L]; j++)
        printf(" %d:%.4f", j, net->a[L][j]);
    printf("\n  predicted class %d, label %d: %s\n", p, test->labels.data[n],
           p == test->labels.data[n] ? "correct" : "wrong");
}

/* ---------------------------------------------------------------- main */

int fast_mnist_main(int argc, char **argv)
{
    opts o;
    fast_set train, test;
    int rc = parse_opts(argc, argv, &o);
    if (rc < 0)
        return 0;
    if (rc)
        return rc;
    memset(&train, 0, sizeof train);
    memset(&test, 0, sizeof test);

    char err[1024] = "";
    int sizes[FAST_MAX_LAYERS + 1], n_sizes = 0, status = 0;
    fast_act act = o.act;
    fast_loss loss = o.loss;
    fast_net *net = NULL;
    uint32_t *idx = NULL;
    const uint8_t **work = NULL;       /* the epochs' workspace (fast_train_work_rows) */
    long *confusion = NULL;
    fast_epoch_row *rows = NULL;
    fast_status st;

    if (o.peak) {
        const double g = peak_gflops(o.threads);
        double wait = 0.0;             /* seconds per phase boundary of the team */
        double trip = -1.0;            /* seconds per cache-line round trip between two
                                          CPUs; < 0: no two CPUs of their own */
        if (o.threads > 1 && fast_team_wait_cost(o.threads, 20000, &wait) != FAST_OK) {
            fprintf(stderr, PROG ": --peak: cannot start a team of %d threads\n", o.threads);
            return 1;
        }
        if (o.threads > 1 && fast_team_line_trip(20000, &trip) != FAST_OK)
            trip = -1.0;
        if (o.json)
            printf("{\"threads\": %d, \"peak_gflops\": %.1f", o.threads, g);
        else
            printf("FMA peak: %.1f GFLOP/s on %d thread%s", g, o.threads, o.threads == 1 ? "" : "s");
        if (o.threads > 1)
            printf(o.json ? ", \"team_wait_us\": %.2f"
                          : "; one wait of the team (a phase boundary: one per training batch, "
                            "two with more than two layers): %.2f us", 1e6 * wait);
        if (trip >= 0.0)
            printf(o.json ? ", \"line_trip_ns\": %.0f"
                          : "; a cache line's round trip between two of its CPUs: %.0f ns",
                   1e9 * trip);
        puts(o.json ? "}" : "");
        return 0;
    }
    /* the network: loaded or new */
    if (o.load) {
        st = fast_model_load(&net, o.load, o.batch, o.momentum != 0.0, err, sizeof err);
        if (st != FAST_OK) {
            fprintf(stderr, PROG ": %s\nHINT: --load takes a file written by --save.\n", err);
            return 2;
        }
        act = net->act;
        loss = net->loss;
        n_sizes = net->n_layers + 1;
        for (int l = 0; l < n_sizes; l++)
            sizes[l] = net->size[l];
    } else {
        st = fast_parse_layers(o.layers, sizes, &n_sizes, err, sizeof err);
        if (st != FAST_OK)
            return usage_error("%s%s", err, "");
        net = fast_net_new(sizes, n_sizes, act, loss, o.batch, o.momentum != 0.0);
        if (!net) {
            fprintf(stderr, PROG ": out of memory for a %s network with batch %d\n", o.layers,
                    o.batch);
            return 2;
        }
        uint64_t init_rng = fast_rng_seed(o.seed);
        fast_net_init(net, &init_rng);
    }
    if (o.rate == 0.0)
        o.rate = loss == FAST_LOSS_SOFTMAX_CE ? 0.7 : loss == FAST_LOSS_SSE ? 0.1 : 1.0;
    const int nL = sizes[n_sizes - 1];
    if (nL > 256) {
        fprintf(stderr, PROG ": %d outputs, but IDX labels are bytes (at most 256 classes)\n",
                nL);
        status = 2;
        goto cleanup;
    }

    /* data */
    if ((o.epochs > 0 && (st = fast_set_load(&train, o.data, "train", nL, err, sizeof err)))
        || (st = fast_set_load(&test, o.data, "t10k", nL, err, sizeof err))) {
        fprintf(stderr, PROG ": %s\nHINT: `make data` in nntrace's source directory fetches MNIST into "
                "its data/mnist: run there, or pass --data SOURCE/data/mnist; or --data "
                "/usr/share/datasets/fashion-mnist (package dataset-fashion-mnist).\n", err);
        status = 2;
        goto cleanup;
    }
    if ((size_t)test.images.rows * test.images.cols != (size_t)sizes[0] ||
        (o.epochs > 0 && (size_t)train.images.rows * train.images.cols != (size_t)sizes[0])) {
        fprintf(stderr, PROG ": the images have %u x %u = %u pixels but the network has %d "
                "inputs\nHINT: the first --layers size must be %u.\n", test.images.rows,
                test.images.cols, test.images.rows * test.images.cols, sizes[0],
                test.images.rows * test.images.cols);
        status = 2;
        goto cleanup;
    }
    if (o.trace_sample >= (long)test.images.count) {
        fprintf(stderr, PROG ": --trace-sample %ld: the test set has %u images (0..%u)\n",
                o.trace_sample, test.images.count, test.images.count - 1);
        status = 2;
        goto cleanup;
    }

    confusion = calloc((size_t)nL * (size_t)nL, sizeof *confusion);
    rows = calloc((size_t)o.epochs + 1, sizeof *rows);
    if (o.epochs > 0)
        idx = malloc(sizeof *idx * train.images.count);
    if (!confusion || !rows || (o.epochs > 0 && !idx)) {
        fprintf(stderr, PROG ": out of memory\n");
        status = 2;
        goto cleanup;
    }

    if (!o.json) {
        printf(PROG ": ");
        for (int l = 0; l < n_sizes; l++)
            printf("%s%d", l ? "-" : "", sizes[l]);
        printf(" %s %s, batch %d, rate %g, anneal %g, decay %g, momentum %g, %d epochs, "
               "%d thread%s, seed %llu\n", kernel_name(act),
               fast_loss_name(loss), o.batch, o.rate, o.anneal,
               o.decay, o.momentum, o.epochs, o.threads,
               o.threads == 1 ? "" : "s", o.seed);
        printf("data: %s: %u training, %u test images (%ux%u)\n", o.data, train.images.count,
               test.images.count, test.images.rows, test.images.cols);
        fflush(stdout);
    }

    /* train */
    uint64_t rng = fast_rng_seed(o.seed ^ 0x5EED5EED5EEDull);
    fast_adapt adapt;
    memset(&adapt, 0, sizeof adapt);
    adapt.mode = o.adapt_on ? FAST_ADAPT_ON : FAST_ADAPT_OFF;
    fast_train_cfg cfg = {o.batch, fast_train_threads(net, o.threads), (float)o.rate,
                          (float)o.decay, (float)o.momentum, &adapt, NULL};
    if (o.epochs > 0) {
        work = malloc(sizeof *work * fast_train_work_rows(&train));
        if (!work) {
            fprintf(stderr, PROG ": out of memory\n");
            status = 2;
            goto cleanup;
        }
        cfg.work = work;
    }
    progress_ctx pc = {!o.json && isatty(STDERR_FILENO), o.epochs};
    for (uint32_t i = 0; o.epochs > 0 && i < train.images.count; i++)
        idx[i] = i;
    double test_loss = 0, test_acc = 0;
    for (int e = 1; e <= o.epochs; e++) {
        double tl, es, used0 = adapt.thread_steps, steps0 = adapt.steps, used;
        st = fast_train_epoch(net, &train, idx, &rng, &cfg, e, progress, &pc, &tl, &es);
        used = adapt.steps > steps0 ? (adapt.thread_steps - used0) / (adapt.steps - steps0) : 0;
        if (st == FAST_OK)
            st = fast_evaluate(net, &test, o.threads, &test_loss, &test_acc, NULL);
        if (st != FAST_OK) {
            fprintf(stderr, PROG ": internal: %s\n", fast_strerror(st));
            status = 2;
            goto cleanup;
        }
        fast_epoch_row *r = &rows[e - 1];
        r->epoch_s = es;
        r->samples_per_s = (double)train.images.count / es;
        r->train_loss = tl;
        r->test_loss = test_loss;
        r->test_accuracy = test_acc;
        if (o.json)
            printf("{\"epoch\": %d, \"epoch_s\": %.6f, \"samples_per_s\": %.1f, "
                   "\"train_loss\": %.6f, \"test_loss\": %.6f, \"test_accuracy\": %.6f, "
                   "\"threads\": %d, \"threads_mean\": %.2f, \"batch\": %d}\n", e, es,
                   r->samples_per_s, tl, test_loss, test_acc, o.threads, used, o.batch);
        else
            printf("epoch %d/%d  %.3f s  %.0f samples/s  train loss %.4f  test loss %.4f  "
                   "test accuracy %.2f%%\n", e, o.epochs, es, r->samples_per_s, tl,
                   test_loss, 100.0 * test_acc);
        fflush(stdout);
        cfg.rate *= (float)o.anneal;
        if (!isfinite(tl)) {
            fprintf(stderr, PROG ": training diverged (loss %g) in epoch %d\nHINT: lower "
                    "--rate.\n", tl, e);
            status = 1;
            goto cleanup;
        }
    }

    /* final evaluation with the confusion matrix */
    st = fast_evaluate(net, &test, o.threads, &test_loss, &test_acc, confusion);
    if (st != FAST_OK) {
        fprintf(stderr, PROG ": internal: %s\n", fast_strerror(st));
        status = 2;
        goto cleanup;
    }
    if (o.json) {
        printf("{\"final\": true, \"test_loss\": %.6f, \"test_accuracy\": %.6f, "
               "\"peak_rss_mb\": %.1f}\n", test_loss, test_acc, peak_rss_mb());
    } else {
        long correct = 0;
        for (int i = 0; i < nL; i++)
            correct += confusion[i * nL + i];
        printf("test accuracy %.2f%% (%ld/%u), test loss %.4f, peak memory %.1f MB\n",
               100.0 * test_acc, correct, test.images.count, test_loss, peak_rss_mb());
        printf("per-class accuracy:");
        for (int i = 0; i < nL; i++) {
            long tot = 0;
            for (int j = 0; j < nL; j++)
                tot += confusion[i * nL + j];
            printf(" %d:%.1f%%", i, tot ? 100.0 * (double)confusion[i * nL + i] / (double)tot
                                         : 0.0);
        }
        printf("\nconfusion matrix (rows: true class, columns: predicted):\n      ");
        for (int j = 0; j < nL; j++)
            printf("%6d", j);
        printf("\n");
        for (int i = 0; i < nL; i++) {
            printf("%6d", i);
            for (int j = 0; j < nL; j++)
                printf("%6ld", confusion[i * nL + j]);
            printf("\n");
        }
    }
    if (o.trace_sample >= 0)
        trace_sample(net, net, &test, o.trace_sample);

    if (o.save) {
        st = fast_model_save(net, o.save, err, sizeof err);
        if (st != FAST_OK) {
            fprintf(stderr, PROG ": cannot save the model: %s\n", err);
            status = 2;
            goto cleanup;
        }
        if (!o.json)
            printf("saved model to %s\n", o.save);
    }
    if (o.export_lesson) {
        long n = o.trace_sample >= 0 ? o.trace_sample : 0;
        char note[160];
        snprintf(note, sizeof note, "The example is test image %ld of %s; test accuracy of the "
                 "full network %.2f%%.", n, o.data, 100.0 * test_acc);
        if (o.export_inputs > sizes[0]) {
            fprintf(stderr, PROG ": --export-inputs %ld: the network has %d inputs\n",
                    o.export_inputs, sizes[0]);
            status = 2;
            goto cleanup;
        }
        st = fast_export_lesson(net, test.images.data + (size_t)n * (size_t)sizes[0],
                                test.labels.data[n], (int)o.export_inputs, o.rate, note,
                                o.export_lesson, err, sizeof err);
        if (st != FAST_OK) {
            fprintf(stderr, PROG ": cannot export the lesson: %s\n", err);
            status = 2;
            goto cleanup;
        }
        if (!o.json)
            printf("wrote lesson %s (test image %ld, %ld inputs)\nHINT: nntrace run %s\n",
                   o.export_lesson, n, o.export_inputs, o.export_lesson);
    }
    if (o.xlsx) {
        fast_report r = {0};
        char shape[16 * (FAST_MAX_LAYERS + 1)];
        size_t used = 0;
        for (int l = 0; l < n_sizes && used < sizeof shape; l++)
            used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%d", l ? "-" : "",
                                     sizes[l]);
        r.layers = shape;
        r.act = kernel_name(act);
        r.loss = fast_loss_name(loss);
        r.data = o.data;
        r.batch = o.batch;
        r.threads = o.threads;
        r.epochs = o.epochs;
        r.rate = o.rate;
        r.decay = o.decay;
        r.momentum = o.momentum;
        r.seed = o.seed;
        r.n_classes = nL;
        r.rows = rows;
        r.confusion = confusion;
        r.test_accuracy = test_acc;
        st = fast_report_xlsx(&r, o.xlsx, err, sizeof err);
        if (st != FAST_OK) {
            fprintf(stderr, PROG ": cannot write the spreadsheet: %s\n", err);
            status = 2;
            goto cleanup;
        }
        if (!o.json)
            printf("wrote %s\n", o.xlsx);
    }

cleanup:
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, PROG ": cannot write the output: %s\n", strerror(errno));
        if (status == 0)
            status = 2;
    }
    free(idx);
    free(work);
    free(confusion);
    free(rows);
    fast_set_free(&train);
    fast_set_free(&test);
    fast_net_free(net);
    return status;
}
