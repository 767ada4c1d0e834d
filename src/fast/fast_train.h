/*
 * fast_train.h - mini-batch SGD over an IDX image set, and evaluation.
 *
 * The training set stays in its uint8 form (47 MB for MNIST); each batch is
 * gathered through a shuffled index array (the data never moves) and scaled
 * to [0, 1] floats in a^[0]. One thread team (fast_team.h) per epoch runs
 * every batch; progress is reported through a callback, so this module never
 * prints.
 */
#ifndef NNTRACE_FAST_TRAIN_H
#define NNTRACE_FAST_TRAIN_H

#include <stdint.h>
#include "fast_idx.h"
#include "fast_net.h"
#include "fast_team.h"

typedef struct {
    int batch;          /* samples per step, <= net->batch */
    int threads;        /* threads, 1..FAST_TEAM_MAX */
    float rate;         /* alpha */
    float decay;        /* lambda (L2 on weights) */
    float momentum;     /* mu, needs a net with velocities when != 0 */
    fast_adapt *adapt;  /* adaptive thread count kept across epochs, or NULL */
    const uint8_t **work; /* fast_train_work_rows() entries (the epoch's images in
                           order), kept from epoch to epoch by the caller; NULL:
                           each epoch allocates its own (a fresh mapping: page
                           faults) */
} fast_train_cfg;

/* Threads that earn their keep training net: `threads`, or fewer when
 * layer 1 has fewer blocks of neurons than that (fast_net.h) and the other
 * layers are the smaller part of the work. fast_train_epoch runs exactly
 * cfg->threads; `nntrace mnist` asks this first. */
int fast_train_threads(const fast_net *net, int threads);

/* Entries of the workspace an epoch over train needs: a pointer to each
 * image, in the epoch's order (fast_train.c). */
size_t fast_train_work_rows(const fast_set *train);

typedef struct {
    int epoch;          /* 1-based */
    long done, total;   /* samples done so far in this epoch, of total */
    double elapsed_s;   /* since the epoch started */
    double loss;        /* mean training loss so far this epoch */
} fast_progress;

/* Called from one thread at a time, about every 0.1 s and once at the end. */
typedef void (*fast_progress_fn)(void *ctx, const fast_progress *p);

/* One epoch: shuffle idx (train->images.count entries, a permutation,
 * updated in place) with *rng, then one SGD step per batch. Writes the mean
 * training loss and the wall time. */
fast_status fast_train_epoch(fast_net *net, const fast_set *train, uint32_t *idx,
                             uint64_t *rng, const fast_train_cfg *cfg, int epoch,
                             fast_progress_fn cb, void *ctx,
                             double *train_loss, double *epoch_s);

/* Evaluate on set: mean loss, accuracy in [0, 1] and, if confusion is not
 * NULL, the n_L x n_L confusion counts (row = true class, column =
 * predicted), cleared first. */
fast_status fast_evaluate(fast_net *net, const fast_set *set, int threads,
                          double *loss, double *accuracy, long *confusion);

/* Index of the largest of a[0..n-1] (the first on ties). */
int fast_argmax(const float *a, int n);

/* An epoch's order: Fisher-Yates over idx[0..n-1] from *rng (the images
 * stay where they are). */
void fast_shuffle(uint32_t *idx, uint32_t n, uint64_t *rng);

/* Monotonic wall clock in seconds. */
double fast_now(void);

#endif
