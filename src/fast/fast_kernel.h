/*
 * fast_kernel.h - the fast path's one matrix kernel: C = epi(A . B).
 *
 *   C[m, j] = epi( sum_k A[m*ars + k*acs] * B[k*ldb + j] ),  m < M, j < N
 *
 * A is read through two strides, so the same kernel reads A or A^T without
 * packing: the forward pass uses A = a^[l-1] (ars = row length, acs = 1) and
 * the weight gradient uses A = (a^[l-1])^T (ars = 1, acs = row length). B and
 * C are row-major with N a multiple of FAST_PAD (16) floats; rows of B and C
 * start 64-byte aligned when their base and ld are (the arena guarantees it).
 *
 * Register blocking: MR rows x NR columns of C live in vector registers while
 * k runs over all of K (AVX-512: 6 x 64 floats = 24 zmm accumulators; the
 * compiler vectorises the GNU vector-extension code for whatever ISA the
 * build targets, so PORTABLE=1 builds the same code for baseline x86-64).
 * The epilogue (bias + activation, activation derivative, or the SGD update
 * written straight into the weights) is fused after the k loop, so dW never
 * goes to memory during training.
 *
 * Threads: fast_gemm contains an orphaned `omp for` over its tiles (panel
 * major, static schedule). Called inside an `omp parallel` region it splits
 * the tiles among the team and ends with the loop's barrier; called outside
 * one it runs on the calling thread. Every element of C is computed by one
 * thread in a fixed order, so results do not depend on the thread count.
 */
#ifndef NNTRACE_FAST_KERNEL_H
#define NNTRACE_FAST_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "../eval.h"

/* Row lengths of B and C are padded to a multiple of this many floats. */
#define FAST_PAD 16
/* Rows of C one micro-kernel call computes (the register block's height). */
#define FAST_MR 6

typedef enum { FAST_ACT_RELU, FAST_ACT_LOGISTIC, FAST_ACT_TANH, FAST_ACT_NONE } fast_act;

typedef enum {
    FAST_EPI_STORE,    /* C = acc */
    FAST_EPI_BIAS_ACT, /* C = g(acc + bias[j]) for j < n_real, 0 beyond */
    FAST_EPI_DACT,     /* C = acc * g'(a[m, j]) for j < n_real, 0 beyond; g' read from a = g(z) */
    FAST_EPI_SGD       /* C is W^T: C = keep*C - lr*acc, or with momentum mu:
                          v = mu*v - lr*acc - (1-keep)*C; C += v */
} fast_epi_kind;

typedef struct {
    fast_epi_kind kind;
    fast_act act;          /* BIAS_ACT, DACT */
    int n_real;            /* BIAS_ACT, DACT: real columns (rest is padding) */
    const float *bias;     /* BIAS_ACT: N floats */
    const float *a;        /* DACT: activations, same shape and ldc as C */
    float lr, keep, mu;    /* SGD */
    float *vel;            /* SGD with mu != 0: velocity, same shape and ldc as C */
    int nowait;            /* no barrier at the end: the caller knows nothing reads C
                              before its next barrier */
} fast_epi;

/* C = epi(A . B) as above. N % FAST_PAD == 0, M, K >= 1. Orphaned omp for
 * (with its barrier unless epi->nowait). */
void fast_gemm(float *C, size_t ldc, const float *A, size_t ars, size_t acs,
               const float *B, size_t ldb, int M, int N, int K, const fast_epi *epi);

/* The block of C = epi(A . B) at rows m0 <= m < m1, columns j0 <= j < j1
 * (j0 and j1 multiples of FAST_PAD), on the calling thread, no omp. Each
 * element gets the same value as from fast_gemm: the sum over k runs in the
 * same order whatever the block. */
void fast_gemm_block(float *C, size_t ldc, const float *A, size_t ars, size_t acs,
                     const float *B, size_t ldb, int K, const fast_epi *epi,
                     int m0, int m1, int j0, int j1);

/* The A operand of fast_gemm_src: floats through two strides, as above,
 * or bytes through a table of 256 values (the training images, which layer
 * 1 reads as they are stored): A[m, k] = tab[rows[m][k]], or with trans
 * (A = the batch transposed, for the weight gradient) tab[rows[k][m]]. */
typedef struct {
    const float *f;
    size_t ars, acs;
    const uint8_t *const *rows;    /* bytes when not NULL */
    const float *tab;
    int trans;
} fast_src;

/* fast_gemm_block with A read from src. */
void fast_gemm_src(float *C, size_t ldc, const fast_src *A, const float *B, size_t ldb,
                   int K, const fast_epi *epi, int m0, int m1, int j0, int j1);

/* Plain triple loop in double, the reference for the tests:
 * C[m, j] = sum_k A[m*ars + k*acs] * B[k*ldb + j] (no epilogue). */
void fast_gemm_naive(double *C, size_t ldc, const float *A, size_t ars, size_t acs,
                     const float *B, size_t ldb, int M, int N, int K);

/* FMA throughput probe: iters rounds of independent vector FMAs on the
 * calling thread; *flops = floating-point operations done. The result only
 * keeps the compiler from deleting the work. */
float fast_fma_spin(long iters, double *flops);

/* The softmax of `rows` rows of n values in place (row r at a + r*lda, lda
 * a multiple of FAST_PAD), a_j = e^(z_j - max z) / sum_k e^(z_k - max z),
 * vectorised: e^x within 2 ulp of expf, the sums in a fixed order; the
 * lanes after n are only ever written with 0. */
void fast_softmax_rows(float *a, size_t lda, int rows, int n);

/* g(z) and g'(from a = g(z)) for one value. */
float fast_act_apply(fast_act act, float z);
float fast_act_deriv(fast_act act, float a);

/* The fast kernels are activations of the scalar table (eval.h): their
 * names, parsing and "known" list come from its rows. */
act_kind fast_act_kind(fast_act act);
/* The kernel of activation k: 0, or -1 when the fast path has none. */
int fast_act_of(act_kind k, fast_act *act);
/* "relu, logistic or tanh": the activations with a fast kernel. */
void fast_act_known(char *buf, size_t size);

#endif
