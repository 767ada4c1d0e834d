/*
 * fast_train.c - epoch loop and evaluation for the fast path.
 *
 * Both run as fast_team jobs. Training is model parallel in layer 1 (the
 * column blocks of fast_net.h); step s (0 .. batches, one more than there
 * are batches) has two phases:
 *
 *   0  block units, one per column block b of layer 1: the backward of
 *      batch s-1 for the block (dz^[1], W^[2]T's rows of the block, W^[1]'s
 *      block), then the forward of batch s (a^[1] and layer 2's part); and
 *      the update units of layers 3..L for batch s-1
 *   1  row blocks of batch s: layers 2..L from the parts, loss, dz^[L] ..
 *      dz^[2]
 *
 * so a block's weights, a^[1] and dz^[1] stay on the thread that keeps the
 * block (the team's ranges follow the blocks), and only the parts, dz^[2]
 * and the small layers pass between the threads' caches: two waits per
 * batch. With two layers (L == 2) a step has only phase 0: each thread that
 * runs a block unit first sums batch s-1's rows itself (layer 2 from the
 * parts, the softmax, the loss, dz^[2]) into its own view of the network
 * (fast_net_view), every thread the same numbers, so only the parts pass
 * between the caches and there is one wait per batch; the parts alternate
 * between two buffers by step. (On 2 threads: 1.1 ms per epoch faster than
 * the two phases, 16 alternating pairs, 14 faster.) The batch's input
 * a^[0], which every block reads whole, is never written down: layer 1's
 * products read the images' bytes where they are stored, through the
 * epoch's list of them in shuffled order and the network's table of byte
 * -> v / 255 (fast_src), and each thread prefetches the next batch's images,
 * a share before each chunk of its block's update, and while it waits at a
 * phase's end. The per-sample losses are summed, in sample order, by the
 * `after` hook of the row-block phase, which also reports progress; with
 * one wait, by block 0's unit of the step after, from its own view, so no
 * thread reads another's losses. Evaluation has one phase, the row blocks
 * without deltas, which convert their own rows.
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

void fast_shuffle(uint32_t *idx, uint32_t n, uint64_t *rng)
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

/* How far a thread has brought the images of batch `filling` into its
 * cache (training): rows [0, pf_row) are prefetched. Each thread writes its
 * own at every chunk of its update: a cache line each. */
typedef struct {
    _Alignas(64) long filling;
    int pf_row;
    long block_step;                   /* the last step in which it ran a block unit */
    long rows_of;                      /* one wait: the batch whose rows view holds, or -1 */
    fast_net view;                     /* one wait: the thread's view (fast_net_view) */
} thread_input;

/* One epoch's or one evaluation's job context. */
typedef struct {
    fast_net *net;
    const fast_set *set;
    const uint8_t **rows;              /* training: the images in that order */
    const uint8_t *ys;                 /* the labels in that order, read in order (through
                                          idx, perf put 63% of the loss's samples on the
                                          label's load: the images evict the 60 KB) */
    int B;                             /* batch */
    int train;                         /* 1: with the update */
    int one_wait;                      /* training with L == 2: one phase per step */
    float rate, decay, momentum;
    thread_input *in;                  /* training: one per thread */
    /* Results, summed by `after`, or with one wait by block 0's unit: on a
     * line of their own, so that adding a batch's losses does not take the
     * read-only fields above away from the other threads' caches. */
    _Alignas(64) double loss_sum;
    long correct;
    long *confusion;                   /* NULL or n_L x n_L */
    /* progress */
    fast_progress_fn cb;
    void *cb_ctx;
    int epoch;
    double t0, last;
} batch_job;

static long batches(const batch_job *j) { return ((long)j->set->images.count + j->B - 1) / j->B; }

static size_t batch_first(const batch_job *j, long step) { return (size_t)step * (size_t)j->B; }

static int batch_rows(const batch_job *j, long step)
{
    const size_t first = batch_first(j, step), count = j->set->images.count;
    return (int)(count - first < (size_t)j->B ? count - first : (size_t)j->B);
}

/* Training phases (evaluation has only PH_ROWS, as phase 0). */
enum { PH_BLOCKS, PH_ROWS, PHASES };

static int job_phase(const batch_job *j, int phase) { return j->train ? phase : PH_ROWS; }

static int job_phases(const batch_job *j) { return j->train && !j->one_wait ? PHASES : 1; }

/* Update units of layers 3..L: the last ones of fast_update_units. */
static int late_units(const fast_net *net)
{
    int n = fast_update_units(net) - fast_layer_units(net, 1);
    return net->n_layers >= 2 ? n - fast_layer_units(net, 2) : n;
}

static int job_count(void *ctx, long step, int phase)
{
    const batch_job *j = ctx;
    if (job_phase(j, phase) == PH_BLOCKS)
        return fast_col_blocks(j->net) + (step > 0 ? late_units(j->net) : 0);
    return step < batches(j) ? fast_row_blocks(batch_rows(j, step)) : 1;   /* 1: nothing to do */
}

/* Blocks are split evenly; the late update units go to the last range. */
static int job_split(void *ctx, long step, int phase, int r, int ranges)
{
    const batch_job *j = ctx;
    const int n = job_phase(j, phase) == PH_BLOCKS ? fast_col_blocks(j->net)
                                                   : job_count(ctx, step, phase);
    return n * r / ranges;
}

/* The images of batch `step`, in order (training). */
static const uint8_t *const *batch_images(const batch_job *j, long step)
{
    return j->rows + batch_first(j, step);
}

/* Bring the next `rows` images of batch `step` into thread t's cache; 0
 * when there was nothing to do (no such batch, or all of it is on its
 * way). */
static int thread_fill(const batch_job *j, int t, long step, int rows)
{
    thread_input *in = &j->in[t];
    if (step >= batches(j))
        return 0;
    if (in->filling != step) {
        in->filling = step;
        in->pf_row = 0;
    }
    const int nb = batch_rows(j, step);
    if (in->pf_row == nb)
        return 0;
    const int r1 = nb - in->pf_row < rows ? nb : in->pf_row + rows;
    fast_prefetch_rows(batch_images(j, step), (size_t)j->net->size[0], in->pf_row, r1);
    in->pf_row = r1;
    return 1;
}

/* The losses of batch `batch` are in net->loss_n (j->net's, or with one
 * wait the view of the thread that runs block 0): sum them, and report. */
static void batch_done(batch_job *j, const fast_net *net, long batch)
{
    const size_t first = batch_first(j, batch);
    const int nb = batch_rows(j, batch), L = net->n_layers;
    const int nL = net->size[L], ldL = net->ld[L];

    for (int n = 0; n < nb; n++) {
        j->loss_sum += net->loss_n[n];
        if (!j->train) {
            const size_t s = first + (size_t)n;
            int y = j->ys[s];
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

/* One wait: batch s-1's rows into thread t's view, unless it has them. */
static void view_rows(batch_job *j, long s, int t)
{
    thread_input *in = &j->in[t];
    fast_net *view = &in->view;
    const long batch = s - 1;
    const int nb = batch_rows(j, batch);
    if (in->rows_of == batch)
        return;
    fast_view_parts(view, (int)(batch & 1));
    for (int k = 0; k < fast_row_blocks(nb); k++) {
        fast_block_rest(view, nb, k);
        fast_block_loss(view, j->ys, NULL, batch_first(j, batch), nb, k);
    }
    in->rows_of = batch;
}

/* Block unit b of step s on thread t: batch s-1's backward, with batch s's
 * images brought into the cache chunk by chunk of W^[1]'s update (after the
 * block's deltas and W^[2] step, not before them: the requests held the
 * core's miss buffers, and on 2 threads the epoch was 0.58 ms slower), then
 * batch s's forward.
 * One wait: on the thread's view, after summing batch s-1's rows; block 0's
 * unit sums their losses and reports progress, and batch s's parts go to
 * the step's buffer. */
static void block_unit(batch_job *j, long s, int b, int t)
{
    fast_net *net = j->net;
    if (j->one_wait) {
        net = &j->in[t].view;
        if (s > 0) {
            view_rows(j, s, t);
            if (b == 0)
                batch_done(j, net, s - 1);
        }
        fast_view_parts(net, (int)(s & 1));
    }
    if (s > 0) {
        const int nb = batch_rows(j, s - 1), chunks = fast_col_chunks(net);
        const int rows = (batch_rows(j, s < batches(j) ? s : s - 1) + chunks - 1) / chunks;
        fast_col_delta(net, nb, b, j->rate, j->decay, j->momentum);
        for (int c = 0; c < chunks; c++) {
            (void)thread_fill(j, t, s, rows);
            fast_col_backward(net, batch_images(j, s - 1), nb, b, c, j->rate, j->decay,
                              j->momentum);
        }
    }
    if (s < batches(j))
        fast_col_first(net, batch_images(j, s), batch_rows(j, s), b);
}

/* While thread t waits for the others in step s of training: bring in a
 * few images of batch s+1, which its next forward reads, if it runs a
 * block. */
static int job_idle(void *ctx, long step, int phase, int thread)
{
    const batch_job *j = ctx;
    (void)phase;
    return j->in[thread].block_step == step && thread_fill(j, thread, step + 1, 2);
}

static void job_unit(void *ctx, long step, int phase, int u, int thread)
{
    batch_job *j = ctx;
    fast_net *net = j->net;
    const size_t first = batch_first(j, step), pixels = (size_t)net->size[0];

    if (job_phase(j, phase) == PH_BLOCKS) {
        const int nblk = fast_col_blocks(net);
        if (u < nblk) {
            block_unit(j, step, u, thread);
            j->in[thread].block_step = step;
        }
        else                           /* layers 3..L, batch step-1 */
            fast_update_unit(net, batch_rows(j, step - 1),
                             fast_update_units(net) - late_units(net) + (u - nblk), NULL,
                             j->rate, j->decay, j->momentum);
        return;
    }
    if (step >= batches(j))
        return;
    const int nb = batch_rows(j, step);
    if (!j->train) {
        fast_block_input(net, j->set->images.data, pixels, NULL, first, nb, u);
        fast_block_forward(net, nb, u);
        fast_block_loss(net, j->ys, NULL, first, nb, u);
        return;
    }
    fast_block_rest(net, nb, u);
    fast_block_loss(net, j->ys, NULL, first, nb, u);
    fast_block_delta(net, nb, u, 3);
}

static void job_after(void *ctx, long step, int phase)
{
    batch_job *j = ctx;
    if (!j->one_wait && job_phase(j, phase) == PH_ROWS && step < batches(j))
        batch_done(j, j->net, step);
}

static fast_status run_batches(batch_job *j, int threads, fast_adapt *adapt)
{
    const fast_job job = {
        .count = job_count, .unit = job_unit, .split = job_split, .after = job_after,
        .idle = j->train ? job_idle : NULL,
        .ctx = j, .steps = batches(j) + j->train,  /* training: the last backward */
        .phases = job_phases(j),
    };
    return fast_team_run(&job, threads, adapt);
}

/* The block phase has one unit per column block of layer 1; with fewer
 * blocks than threads, the others only share the row blocks and layers
 * 3..L, and when those are the smaller part of the work the extra threads
 * cost more (waits, data passed between the cores) than they bring:
 * 784-64-10 took 0.088 s per epoch on 2 threads against 0.072 s on 1. */
int fast_train_threads(const fast_net *net, int threads)
{
    const int nblk = fast_col_blocks(net);
    double blocks = (double)net->size[0] * net->size[1], rest = 0.0;
    if (net->n_layers >= 2)
        blocks += (double)net->size[1] * net->size[2];
    for (int l = 3; l <= net->n_layers; l++)
        rest += (double)net->size[l - 1] * net->size[l];
    return nblk < threads && rest < blocks ? nblk : threads;
}

size_t fast_train_work_rows(const fast_set *train) { return train->images.count; }

fast_status fast_train_epoch(fast_net *net, const fast_set *train, uint32_t *idx,
                             uint64_t *rng, const fast_train_cfg *cfg, int epoch,
                             fast_progress_fn cb, void *ctx,
                             double *train_loss, double *epoch_s)
{
    const uint32_t count = train->images.count;
    batch_job j = {
        .net = net, .set = train, .B = cfg->batch, .train = 1,
        .one_wait = net->n_layers == 2,
        .rate = cfg->rate, .decay = cfg->decay, .momentum = cfg->momentum,
        .cb = cb, .cb_ctx = ctx, .epoch = epoch,
    };
    fast_status st;

    if (check_shapes(net, train) != FAST_OK || cfg->batch < 1 || cfg->batch > net->batch ||
        cfg->threads < 1 || cfg->threads > FAST_TEAM_MAX ||
        (cfg->momentum != 0.0f && !net->has_velocity))
        return FAST_ERR_ARG;

    thread_input in[FAST_TEAM_MAX];
    const uint8_t **own = NULL, **rows = cfg->work;
    const size_t view_floats = j.one_wait ? fast_view_floats(net) : 0;
    float *views = NULL;
    uint8_t *ys = malloc(count);
    if (!rows)
        rows = own = malloc(sizeof *rows * fast_train_work_rows(train));
    if (j.one_wait)
        views = aligned_alloc(64, sizeof(float) * view_floats * (size_t)cfg->threads);
    if (!ys || !rows || (j.one_wait && !views)) {
        free(views);
        free(own);
        free(ys);
        return FAST_ERR_NOMEM;
    }
    for (int t = 0; t < cfg->threads; t++) {
        in[t] = (thread_input){.filling = -1, .block_step = -1, .rows_of = -1};
        if (j.one_wait)
            fast_net_view(net, &in[t].view, views + view_floats * (size_t)t);
    }
    j.in = in;
    j.rows = rows;

    j.t0 = fast_now();
    j.last = j.t0;
    fast_shuffle(idx, count, rng);
    for (uint32_t i = 0; i < count; i++) {
        rows[i] = train->images.data + (size_t)idx[i] * (size_t)net->size[0];
        ys[i] = train->labels.data[idx[i]];
    }
    j.ys = ys;
    fast_net_sync_w(net);              /* the weights may have been written directly */
    st = run_batches(&j, cfg->threads, cfg->adapt);
    *epoch_s = fast_now() - j.t0;
    free(views);
    free(own);
    free(ys);
    *train_loss = j.loss_sum / (double)count;
    return st;
}

fast_status fast_evaluate(fast_net *net, const fast_set *set, int threads,
                          double *loss, double *accuracy, long *confusion)
{
    const uint32_t count = set->images.count;
    const int nL = net->size[net->n_layers];
    batch_job j = {.net = net, .set = set, .ys = set->labels.data, .B = net->batch,
                   .confusion = confusion};
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
