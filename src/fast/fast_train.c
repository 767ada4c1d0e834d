/*
 * fast_train.c - epoch loop and evaluation for the fast path.
 *
 * Both run as fast_team jobs, one step per batch. Training has three phases
 * per batch:
 *
 *   0  first units: a^[1] by blocks of neurons (columns of W^[1]) for all
 *      rows of the batch; the team's ranges follow the column blocks
 *   1  row blocks: layers 2..L, loss, deltas dz^[L-1] .. dz^[1]
 *   2  update units, W^[1] by the same column blocks as phase 0
 *
 * so with the quiet machine's one thread per range, each thread reads and
 * writes only its own columns of W^[1] (the largest matrix by far) and only
 * small matrices (a^[1], dz^[1]) pass between the threads' caches. The
 * batch's input a^[0], which phases 0 and 2 read whole on every thread, is
 * not passed at all: each thread converts the batch's images into its own
 * copy before its first unit that reads them, and prefetches the next
 * batch's images into its own cache at its first update unit. (Converting
 * 64 images twice costs less than moving them between the caches.)
 * Evaluation has one phase, the row blocks without deltas, which convert
 * their own rows. The per-sample losses are summed, in sample order, by the
 * `after` hook of the row-block phase, which also reports progress.
 */
#include "fast_train.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

double fast_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int fast_argmax(const float *a, int n)
{
    int best = 0;
    for (int j = 1; j < n; j++)
        if (a[j] > a[best])
            best = j;
    return best;
}

/* Fisher-Yates over the index array (the images stay where they are). */
static void shuffle(uint32_t *idx, uint32_t n, uint64_t *rng)
{
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(fast_rng_next(rng) % ((uint64_t)i + 1));
        uint32_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

static fast_status check_shapes(const fast_net *net, const fast_set *s)
{
    if ((size_t)s->images.rows * s->images.cols != (size_t)net->size[0] ||
        s->images.count == 0 || s->labels.count != s->images.count)
        return FAST_ERR_ARG;
    return FAST_OK;
}

/* A thread's copy of the batch input (training): a^[0] of batch `step`,
 * and the batch whose images it last prefetched. One cache line each. */
typedef struct {
    _Alignas(64) float *a0;
    long step, prefetched;
    int pf_row;                        /* the next row of `prefetched` to prefetch */
} thread_input;

/* One epoch's or one evaluation's job context. */
typedef struct {
    fast_net *net;
    const fast_set *set;
    const uint32_t *idx;               /* sample order; NULL = as stored */
    int B;                             /* batch */
    int train;                         /* 1: two phases with the update */
    float rate, decay, momentum;
    thread_input *in;                  /* training: one per thread */
    int threads;
    /* row-block phase results, summed by `after` */
    double loss_sum;
    long correct;
    long *confusion;                   /* NULL or n_L x n_L */
    /* progress */
    fast_progress_fn cb;
    void *cb_ctx;
    int epoch;
    double t0, last;
} batch_job;

static size_t batch_first(const batch_job *j, long step) { return (size_t)step * (size_t)j->B; }

static int batch_rows(const batch_job *j, long step)
{
    const size_t first = batch_first(j, step), count = j->set->images.count;
    return (int)(count - first < (size_t)j->B ? count - first : (size_t)j->B);
}

/* Training phases (evaluation has only PH_ROWS, as phase 0). */
enum { PH_FIRST, PH_ROWS, PH_UPDATE, PHASES };

static int job_phase(const batch_job *j, int phase) { return j->train ? phase : PH_ROWS; }

static int job_count(void *ctx, long step, int phase)
{
    const batch_job *j = ctx;
    const int nb = batch_rows(j, step);
    switch (job_phase(j, phase)) {
    case PH_FIRST:  return fast_first_units(j->net, nb);
    case PH_UPDATE: return fast_update_units(j->net);
    default:        return fast_row_blocks(nb);
    }
}

static int job_split(void *ctx, long step, int phase, int r, int ranges)
{
    const batch_job *j = ctx;
    const int nb = batch_rows(j, step);
    switch (job_phase(j, phase)) {
    case PH_FIRST:  return fast_first_range(j->net, nb, r, ranges);
    case PH_UPDATE: return fast_update_range(j->net, r, ranges);
    default:        return fast_row_blocks(nb) * r / ranges;
    }
}

/* Thread t's copy of the input of batch `step`, converted on first use. */
static const float *thread_a0(const batch_job *j, int t, long step)
{
    thread_input *in = &j->in[t];
    if (in->step != step) {
        const int nb = batch_rows(j, step);
        for (int k = 0; k < fast_row_blocks(nb); k++)
            fast_block_input(j->net, in->a0, j->set->images.data, (size_t)j->net->size[0],
                             j->idx, batch_first(j, step), nb, k);
        in->step = step;
    }
    return in->a0;
}

/* Bring the next few images of batch `step` into thread t's cache: its
 * share of the batch per update unit, so the prefetches spread over the
 * update phase instead of filling the miss buffers at once. */
static void thread_prefetch(const batch_job *j, int t, long step, int threads)
{
    thread_input *in = &j->in[t];
    const size_t first = batch_first(j, step);
    if (first >= j->set->images.count)
        return;
    if (in->prefetched != step) {
        in->prefetched = step;
        in->pf_row = 0;
    }
    const int nb = batch_rows(j, step), units = fast_update_units(j->net);
    const int per = (nb * threads + units - 1) / units;
    const size_t pixels = (size_t)j->net->size[0];
    for (int n = in->pf_row; n < nb && n < in->pf_row + per; n++) {
        const uint8_t *src = j->set->images.data + (size_t)j->idx[first + (size_t)n] * pixels;
        for (size_t o = 0; o < pixels; o += 64)
            __builtin_prefetch(src + o, 0, 2);
        __builtin_prefetch(src + pixels - 1, 0, 2);
    }
    in->pf_row += per;
}

static void job_unit(void *ctx, long step, int phase, int u, int thread)
{
    batch_job *j = ctx;
    fast_net *net = j->net;
    const size_t first = batch_first(j, step), pixels = (size_t)net->size[0];
    const int nb = batch_rows(j, step);

    switch (job_phase(j, phase)) {
    case PH_FIRST:
        fast_first_unit(net, thread_a0(j, thread, step), nb, u);
        return;
    case PH_UPDATE:
        thread_prefetch(j, thread, step + 1, j->threads);
        fast_update_unit(net, thread_a0(j, thread, step), nb, u, NULL, j->rate, j->decay,
                         j->momentum);
        return;
    default:
        break;
    }
    if (!j->train) {
        fast_block_input(net, net->a[0], j->set->images.data, pixels, j->idx, first, nb, u);
        fast_block_forward(net, nb, u);
        fast_block_loss(net, j->set->labels.data, j->idx, first, nb, u);
        return;
    }
    fast_block_rest(net, nb, u);
    fast_block_loss(net, j->set->labels.data, j->idx, first, nb, u);
    fast_block_delta(net, nb, u);
}

static void job_after(void *ctx, long step, int phase)
{
    batch_job *j = ctx;
    const fast_net *net = j->net;
    const size_t first = batch_first(j, step);
    const int nb = batch_rows(j, step), L = net->n_layers;
    const int nL = net->size[L], ldL = net->ld[L];

    if (job_phase(j, phase) != PH_ROWS)
        return;
    for (int n = 0; n < nb; n++) {
        j->loss_sum += net->loss_n[n];
        if (!j->train) {
            const size_t s = first + (size_t)n;
            int y = j->set->labels.data[s];
            int p = fast_argmax(net->a[L] + (size_t)n * ldL, nL);
            j->correct += p == y;
            if (j->confusion)
                j->confusion[(size_t)y * (size_t)nL + (size_t)p]++;
        }
    }
    double now = fast_now();
    if (j->cb && (now - j->last >= 0.1 || first + (size_t)nb == j->set->images.count)) {
        fast_progress p;
        p.epoch = j->epoch;
        p.done = (long)(first + (size_t)nb);
        p.total = (long)j->set->images.count;
        p.elapsed_s = now - j->t0;
        p.loss = j->loss_sum / (double)p.done;
        j->cb(j->cb_ctx, &p);
        j->last = now;
    }
}

static fast_status run_batches(batch_job *j, int threads, fast_adapt *adapt)
{
    const fast_job job = {
        .count = job_count, .unit = job_unit, .split = job_split, .after = job_after,
        .ctx = j, .steps = ((long)j->set->images.count + j->B - 1) / j->B,
        .phases = j->train ? PHASES : 1,
    };
    return fast_team_run(&job, threads, adapt);
}

fast_status fast_train_epoch(fast_net *net, const fast_set *train, uint32_t *idx,
                             uint64_t *rng, const fast_train_cfg *cfg, int epoch,
                             fast_progress_fn cb, void *ctx,
                             double *train_loss, double *epoch_s)
{
    const uint32_t count = train->images.count;
    batch_job j = {
        .net = net, .set = train, .idx = idx, .B = cfg->batch, .train = 1,
        .rate = cfg->rate, .decay = cfg->decay, .momentum = cfg->momentum,
        .cb = cb, .cb_ctx = ctx, .epoch = epoch,
    };
    fast_status st;

    if (check_shapes(net, train) != FAST_OK || cfg->batch < 1 || cfg->batch > net->batch ||
        cfg->threads < 1 || cfg->threads > FAST_TEAM_MAX ||
        (cfg->momentum != 0.0f && !net->has_velocity))
        return FAST_ERR_ARG;

    const size_t in_bytes = sizeof(float) * (size_t)cfg->batch * (size_t)net->ld[0];
    thread_input in[FAST_TEAM_MAX];
    float *in_all = aligned_alloc(64, in_bytes * (size_t)cfg->threads);
    if (!in_all)
        return FAST_ERR_NOMEM;
    for (int t = 0; t < cfg->threads; t++)
        in[t] = (thread_input){.a0 = in_all + in_bytes / sizeof(float) * (size_t)t,
                               .step = -1, .prefetched = -1};
    j.in = in;
    j.threads = cfg->threads;

    j.t0 = fast_now();
    j.last = j.t0;
    shuffle(idx, count, rng);
    fast_net_sync_w(net);              /* the weights may have been written directly */
    st = run_batches(&j, cfg->threads, cfg->adapt);
    *epoch_s = fast_now() - j.t0;
    free(in_all);
    *train_loss = j.loss_sum / (double)count;
    return st;
}

fast_status fast_evaluate(fast_net *net, const fast_set *set, int threads,
                          double *loss, double *accuracy, long *confusion)
{
    const uint32_t count = set->images.count;
    const int nL = net->size[net->n_layers];
    batch_job j = {.net = net, .set = set, .B = net->batch, .confusion = confusion};
    fast_status st;

    if (check_shapes(net, set) != FAST_OK || threads < 1 || threads > FAST_TEAM_MAX)
        return FAST_ERR_ARG;
    if (confusion)
        memset(confusion, 0, sizeof(long) * (size_t)nL * (size_t)nL);
    st = run_batches(&j, threads, NULL);
    *loss = j.loss_sum / (double)count;
    *accuracy = (double)j.correct / (double)count;
    return st;
}
