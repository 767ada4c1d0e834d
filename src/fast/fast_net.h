/*
 * fast_net.h - dense float32 network for the fast path, batched.
 *
 * Layer letters (STYLE rule 3): l = 1..L weight layers, n a sample of the
 * batch, size[l] = n_l neurons, size[0] = inputs. W^[l] has shape
 * (n_l, n_{l-1}) but is STORED TRANSPOSED, W^[l]T of shape (n_{l-1}, ld[l]),
 * in panels of FAST_PANEL columns: panel p0 (p0 = 0, 64, ...) holds columns
 * p0 .. p0+pw-1 (pw = FAST_PANEL, less for the last panel) of every row i,
 * row after row, as one contiguous (n_{l-1}, pw) matrix:
 *
 *     wt[l][p0*n_{l-1} + i*pw + (j - p0)] = W^[l]_{j,i}   (fast_w)
 *
 * (weight from neuron i of l-1 into j), so the forward product reads a panel
 * as the B operand of fast_gemm with no packing, and a block of neurons'
 * weights is one piece of memory: the thread that updates it never shares a
 * cache line, nor a prefetched neighbour, with another thread's block.
 * Layer 1's activations and deltas (a[1], dz[1]) and the delta's copy of
 * W^[2] (w[2]) are kept by the same column blocks when L >= 2, each block a
 * matrix of its own (fast_a reads an activation), for the same reason.
 * Bias is stored as +b^[l]_j (added, not a weight on -1). Every row (of wt,
 * a, dz, b) is padded to ld[l] = n_l rounded up to FAST_PAD floats (a
 * block's rows to its width); padding columns of wt, b and dz are kept at
 * exactly 0.
 *
 *     z^[l] = a^[l-1] W^[l]T + b^[l]     a^[l] = g(z^[l])      (batch rows)
 *     output: softmax-ce: a^[L] = softmax(z^[L]),  J_n = -ln a^[L]_{n,y_n}
 *             sse:        a^[L] = g(z^[L]),        J_n = sum_j (y_nj - a_nj)^2
 *             mse:        a^[L] = g(z^[L]),        J_n = (1/n_L) sum_j (y_nj - a_nj)^2
 *     J = (1/B) sum_n J_n  (the batch mean), dz^[l] = dJ/dz^[l].
 *
 * SGD step, as the scalar engine's OP_UPDATE (weight decay lambda on every
 * weight, biases included, since a bias is the weight on a_0 = 1):
 * w <- w - alpha*dJ/dw - 2*alpha*lambda*w;  with momentum mu:
 * v <- mu*v - alpha*(dJ/dw + 2*lambda*w); w <- w + v.
 * ReLU's g' is taken from a = g(z), so g'(0) = 0 here where the lecture's
 * table (and the scalar engine) says 1; z == 0 exactly does not arise with
 * real-valued data in practice.
 *
 * Memory: one arena per network (fast_net_new): the struct, weights, biases,
 * velocities, activations, deltas and scratch in one 64-byte aligned block,
 * freed by fast_net_free. While training, fast_train_epoch adds only the
 * list of the epoch's images in order (a pointer each).
 *
 * Work units: a batch is cut into row blocks of FAST_MR rows; the input,
 * forward, loss and delta (dz^[l-1] from dz^[l]) of a row block need no
 * other row, so a block is one unit of work. The weight update is cut into
 * update units (a block of rows of wt[l] and a block of its columns), each
 * independent of the others once every row block is done. For training,
 * fast_train.c splits layer 1 and its weights by its neurons instead
 * (column blocks, below: model parallel, so W^[1], the largest matrix, never
 * moves between the cores' caches) and runs these units on a thread team
 * (fast_team.h); the batch functions below run
 * the row blocks and update units as orphaned `omp for` loops: call them inside one
 * `#pragma omp parallel` region (every thread of the team calls them with the
 * same arguments) or outside any region for one thread. Every number is
 * computed by one unit in a fixed order, so results are bit-identical for any
 * thread count and either scheduler.
 */
#ifndef NNTRACE_FAST_NET_H
#define NNTRACE_FAST_NET_H

#include <stdint.h>
#include "fast.h"
#include "fast_kernel.h"

#define FAST_MAX_LAYERS 8      /* weight layers L */
#define FAST_MAX_SIZE   65536  /* neurons in one layer */

typedef enum { FAST_LOSS_SOFTMAX_CE, FAST_LOSS_SSE, FAST_LOSS_MSE, FAST_LOSS_COUNT } fast_loss;

/* The losses' names as --loss and a lesson's `loss` write them (fast_net.c). */
extern const char *const FAST_LOSS_NAMES[FAST_LOSS_COUNT];

static inline const char *fast_loss_name(fast_loss loss)
{
    return (unsigned)loss < FAST_LOSS_COUNT ? FAST_LOSS_NAMES[loss] : "?";
}

typedef struct fast_net {
    int n_layers;                    /* L */
    int size[FAST_MAX_LAYERS + 1];   /* n_0 .. n_L */
    int ld[FAST_MAX_LAYERS + 1];     /* padded row lengths */
    int batch;                       /* rows of a[] and dz[] */
    fast_act act;                    /* g of hidden layers (and output for sse) */
    fast_loss loss;
    int has_velocity;                /* vwt/vb allocated (momentum) */
    float *wt[FAST_MAX_LAYERS + 1];  /* [1..L] (n_{l-1}, ld[l]) */
    float *b[FAST_MAX_LAYERS + 1];   /* [1..L] ld[l] */
    float *vwt[FAST_MAX_LAYERS + 1]; /* momentum velocities or NULL, in wt[l]'s layout; for
                                        l == 2 when L >= 2 in w[2]'s, as that step runs
                                        untransposed (fast_col_delta) */
    float *vb[FAST_MAX_LAYERS + 1];
    float *a[FAST_MAX_LAYERS + 1];   /* [0..L] (batch, ld[l]); a[0] = input; a[1] and
                                        dz[1] by column blocks when L >= 2 (fast_a) */
    float *dz[FAST_MAX_LAYERS + 1];  /* [1..L] (batch, ld[l]) */
    float *w[FAST_MAX_LAYERS + 1];   /* [2..L] W^[l] untransposed (n_l, ld[l-1]; w[2] by
                                        layer 1's column blocks when L >= 2), a copy of
                                        wt[l] for the backward pass (fast_net_sync_w) */
    float *part;                     /* L >= 2: fast_col_blocks (batch, ld[2]) matrices, layer
                                        2's product by blocks of layer 1's neurons (fast_col_first);
                                        one of parts[], parts[0] but in a view */
    float *parts[2];                 /* L >= 2: the two buffers for part (fast_net_view) */
    float *loss_n;                   /* (batch) per-sample loss J_n */
    float *in_tab;                   /* 256: an image's byte v is the input v / 255 */
    size_t bytes;                    /* arena size */
} fast_net;

/* Gradients for tests and checks: dwt[l] (n_{l-1}, ld[l]) row-major,
 * dwt[l][i*ld[l] + j] = dJ/dW^[l]_{j,i} (not in panels), and db[l] (ld[l]),
 * caller-owned. */
typedef struct {
    float *dwt[FAST_MAX_LAYERS + 1];
    float *db[FAST_MAX_LAYERS + 1];
} fast_grads;

/* Parse "784-128-10" into sizes[0..*n_sizes-1] (at most FAST_MAX_LAYERS+1
 * numbers, each 1..FAST_MAX_SIZE, at least two). */
fast_status fast_parse_layers(const char *text, int *sizes, int *n_sizes,
                              char *err, size_t errlen);

/* A new network with n_sizes layer sizes (validated as above), hidden
 * activation act, loss, room for batches of up to batch samples, velocity
 * buffers when with_velocity. Weights are zero: call fast_net_init or load.
 * Returns NULL on bad arguments or out of memory. Owned by the caller, free
 * with fast_net_free. */
fast_net *fast_net_new(const int *sizes, int n_sizes, fast_act act, fast_loss loss,
                       int batch, int with_velocity);

/* Free net and everything in it; NULL is a no-op. */
void fast_net_free(fast_net *net);

/* He (relu) or Xavier (logistic, tanh) uniform initialisation from *rng;
 * biases and velocities 0. */
void fast_net_init(fast_net *net, uint64_t *rng);

/* Columns of W^[l]T per panel (see the top). */
#define FAST_PANEL 64

/* Width of the panel of W^[l]T that starts at column p0. */
static inline int fast_panel_width(const fast_net *net, int l, int p0)
{
    return net->ld[l] - p0 < FAST_PANEL ? net->ld[l] - p0 : FAST_PANEL;
}

/* Weight W^[l]_{j,i} (untransposed indices) in its panel. */
static inline float *fast_w(const fast_net *net, int l, int j, int i)
{
    const int p0 = j - j % FAST_PANEL;
    return &net->wt[l][(size_t)p0 * net->size[l - 1] +
                       (size_t)i * fast_panel_width(net, l, p0) + (j - p0)];
}

/* Activation a^[l]_{n,j} (sample n of the batch, neuron j). Read a[]
 * through this: when L >= 2, layer 1's a[1] and dz[1] are stored by column
 * blocks of FAST_PANEL neurons, each block a (batch, width) matrix of its
 * own, so that two threads never write into the same rows. */
float fast_a(const fast_net *net, int l, int n, int j);

/* xorshift64* step; *rng must be non-zero (fast_rng_seed makes sure). */
uint64_t fast_rng_next(uint64_t *rng);
/* splitmix64 of seed, never 0. */
uint64_t fast_rng_seed(uint64_t seed);

/* ---- units of work (one thread each, no omp; see header comment) ---- */

/* Row blocks of a batch of nb rows: block k is rows [k*FAST_MR, ...). */
static inline int fast_row_blocks(int nb) { return (nb + FAST_MR - 1) / FAST_MR; }

/* Row block k of: fast_input_u8, fast_forward, fast_loss_grad (same
 * arguments as those, plus k). */
void fast_block_input(fast_net *net, const uint8_t *images, size_t pixels,
                      const uint32_t *idx, size_t first, int nb, int k);
void fast_block_forward(fast_net *net, int nb, int k);
/* Prefetch (into L2) the images rows[r0 .. r1-1], pixels bytes each. */
void fast_prefetch_rows(const uint8_t *const *rows, size_t pixels, int r0, int r1);

/* Model-parallel units for training (fast_train.c): layer 1 by column
 * blocks, FAST_PANEL of its neurons each (one panel of W^[1]T, the largest
 * matrix by far), so a thread that keeps a block keeps its weights in its
 * cache. Layer 2's product is summed by the same blocks: part[b] =
 * a^[1][:, block b] W^[2]T[block b, :], plus b^[2] for block 0, and z^[2]
 * = part[0] + part[1] + ... in block order (every path sums so, so results
 * do not depend on the split). Block b's forward (fast_col_first) writes
 * a^[1][:, b] and part[b] for all nb rows; its backward, after the row
 * blocks of the batch have made dz^[2] (or dz^[1] when L == 1), is
 * fast_col_delta (L >= 2: dz^[1][:, b], then the step of W^[2]'s columns
 * of the block, and b^[2] in block 0), then fast_col_backward for each of
 * the fast_col_chunks chunks of rows of W^[1]'s block, in any order.
 * So a^[1] and dz^[1] never leave the block's thread; only part, dz^[2] and
 * the small layers do. Both read a^[0] from the batch's images: rows[n] is
 * sample n's image (n_0 bytes), a^[0]_{n,i} = in_tab[rows[n][i]], exactly
 * the value fast_input_u8 writes. */
int fast_col_blocks(const fast_net *net);
void fast_col_first(fast_net *net, const uint8_t *const *rows, int nb, int b);
int fast_col_chunks(const fast_net *net);
void fast_col_delta(fast_net *net, int nb, int b, float alpha, float lambda, float mu);
void fast_col_backward(fast_net *net, const uint8_t *const *rows, int nb, int b, int chunk,
                       float alpha, float lambda, float mu);
/* Row block k of layers 2..L from part (after every block's fast_col_first
 * or, in fast_block_forward, the row block's own) and the softmax. */
void fast_block_rest(fast_net *net, int nb, int k);
void fast_block_loss(fast_net *net, const uint8_t *labels, const uint32_t *idx,
                     size_t first, int nb, int k);
/* Row block k of dz^[l-1] = (dz^[l] W^[l]) * g'(a^[l-1]) for l = L..lo
 * (lo >= 2); reads W^[l] from net->w[l] (fast_net_sync_w). */
void fast_block_delta(fast_net *net, int nb, int k, int lo);

/* A thread's view of a network with L == 2 for training with one wait per
 * batch (fast_train.c): *view is a copy of net (the same weights, biases,
 * layer 1 and parts) whose a^[2], dz^[2] and J_n are in `own`, that
 * thread's fast_view_floats floats (64-byte aligned), so every thread can
 * sum a batch's rows itself, into its own memory, while others step their
 * blocks with theirs. view->part is parts[buf]: a step writes batch s's
 * parts into one buffer while another thread may still sum batch s-1's from
 * the other. Nothing to free. */
size_t fast_view_floats(const fast_net *net);
void fast_net_view(const fast_net *net, fast_net *view, float *own);
void fast_view_parts(fast_net *view, int buf);

/* Update units of the network (the same for every batch): layer by layer,
 * fast_layer_units(l) of layer l. */
int fast_update_units(const fast_net *net);
int fast_layer_units(const fast_net *net, int l);
/* Update unit u of the backward pass (see fast_backward for g, alpha,
 * lambda, mu): its block of dJ/dW^[l] = (a^[l-1])T dz^[l], fused into the SGD
 * step or stored in g, the bias of its columns when it holds the block's
 * first rows, and (for an SGD step) its block of w[l] refreshed from wt[l].
 * Needs every row block's dz^[l] and a^[l-1]. */
void fast_update_unit(fast_net *net, int nb, int u, fast_grads *g, float alpha, float lambda,
                      float mu);

/* w[l] = W^[l] from wt[l] for every l >= 2; call after writing wt directly
 * (fast_backward and fast_train_epoch call it first). */
void fast_net_sync_w(fast_net *net);

/* ---- batch operations (orphaned omp for; see header comment) ---- */

/* a^[0] row n = images[s] / 255 for n < nb, where s = idx[first + n], or
 * s = first + n when idx is NULL; pixels = bytes per image = n_0. */
void fast_input_u8(fast_net *net, const uint8_t *images, size_t pixels,
                   const uint32_t *idx, size_t first, int nb);

/* Forward pass for the first nb rows of a^[0]. */
void fast_forward(fast_net *net, int nb);

/* Per-sample loss into loss_n[n] and dz^[L] = dJ/dz^[L] of the batch mean.
 * Row n's class (one-hot target) is labels[s], s chosen as in fast_input_u8. */
void fast_loss_grad(fast_net *net, const uint8_t *labels, const uint32_t *idx,
                    size_t first, int nb);

/* Backward from dz^[L]. With g == NULL: SGD step with rate alpha, weight
 * decay lambda, momentum mu (needs velocities when mu != 0), fused into the
 * weight-gradient kernel. With g != NULL: store dJ/dW and dJ/db in g and
 * leave the weights alone (alpha, lambda, mu ignored). */
void fast_backward(fast_net *net, int nb, fast_grads *g, float alpha, float lambda, float mu);

#endif
