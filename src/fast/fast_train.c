/*
 * fast_train.c - epoch loop and evaluation for the fast path.
 *
 * Invariant: inside the parallel region every thread executes the same
 * sequence of orphaned `omp for` loops (fast_net.c), so their implicit
 * barriers match up; only the master thread sums the loss and reports
 * progress, between fast_loss_grad (which ends with a barrier) and the next
 * write of loss_n (behind the barriers of fast_backward).
 */
#include "fast_train.h"

#ifdef _OPENMP
#include <omp.h>
#endif
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

fast_status fast_train_epoch(fast_net *net, const fast_set *train, uint32_t *idx,
                             uint64_t *rng, const fast_train_cfg *cfg, int epoch,
                             fast_progress_fn cb, void *ctx,
                             double *train_loss, double *epoch_s)
{
    const uint32_t count = train->images.count;
    const size_t pixels = (size_t)net->size[0];
    const int B = cfg->batch;
    const long nbatch = ((long)count + B - 1) / B;
    double loss_sum = 0.0, t0, last;

    if (check_shapes(net, train) != FAST_OK || B < 1 || B > net->batch || cfg->threads < 1 ||
        (cfg->momentum != 0.0f && !net->has_velocity))
        return FAST_ERR_ARG;

    t0 = fast_now();
    last = t0;
    shuffle(idx, count, rng);

#pragma omp parallel num_threads(cfg->threads)
    for (long bi = 0; bi < nbatch; bi++) {
        const size_t first = (size_t)bi * (size_t)B;
        const int nb = (int)((size_t)count - first < (size_t)B ? (size_t)count - first
                                                               : (size_t)B);
        fast_input_u8(net, train->images.data, pixels, idx, first, nb);
        if (bi + 1 < nbatch) {     /* the next batch's images, while this one computes */
            size_t nfirst = first + (size_t)nb;
            int nnb = (int)((size_t)count - nfirst < (size_t)B ? (size_t)count - nfirst
                                                                : (size_t)B);
            fast_prefetch_u8(net, train->images.data, pixels, idx, nfirst, nnb);
        }
        fast_forward(net, nb);
        fast_loss_grad(net, train->labels.data, idx, first, nb);
#pragma omp master
        {
            for (int n = 0; n < nb; n++)
                loss_sum += net->loss_n[n];
            double now = fast_now();
            if (cb && (now - last >= 0.1 || bi == nbatch - 1)) {
                fast_progress p;
                p.epoch = epoch;
                p.done = (long)(first + (size_t)nb);
                p.total = (long)count;
                p.elapsed_s = now - t0;
                p.loss = loss_sum / (double)p.done;
                cb(ctx, &p);
                last = now;
            }
        }
        fast_backward(net, nb, NULL, cfg->rate, cfg->decay, cfg->momentum);
    }

    *epoch_s = fast_now() - t0;
    *train_loss = loss_sum / (double)count;
    return FAST_OK;
}

fast_status fast_evaluate(fast_net *net, const fast_set *set, int threads,
                          double *loss, double *accuracy, long *confusion)
{
    const uint32_t count = set->images.count;
    const int L = net->n_layers, nL = net->size[L], ldL = net->ld[L], B = net->batch;
    const long nbatch = ((long)count + B - 1) / B;
    double loss_sum = 0.0;
    long correct = 0;

    if (check_shapes(net, set) != FAST_OK || threads < 1)
        return FAST_ERR_ARG;
    if (confusion)
        memset(confusion, 0, sizeof(long) * (size_t)nL * (size_t)nL);

#pragma omp parallel num_threads(threads)
    for (long bi = 0; bi < nbatch; bi++) {
        const size_t first = (size_t)bi * (size_t)B;
        const int nb = (int)((size_t)count - first < (size_t)B ? (size_t)count - first
                                                               : (size_t)B);
        fast_input_u8(net, set->images.data, (size_t)net->size[0], NULL, first, nb);
        fast_forward(net, nb);
        fast_loss_grad(net, set->labels.data, NULL, first, nb);  /* for the loss */
#pragma omp master
        for (int n = 0; n < nb; n++) {
            int y = set->labels.data[first + (size_t)n];
            int p = fast_argmax(net->a[L] + (size_t)n * ldL, nL);
            loss_sum += net->loss_n[n];
            correct += p == y;
            if (confusion)
                confusion[(size_t)y * (size_t)nL + (size_t)p]++;
        }
#pragma omp barrier
    }
    *loss = loss_sum / (double)count;
    *accuracy = (double)correct / (double)count;
    return FAST_OK;
}
