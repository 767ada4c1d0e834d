/*
 * fast_kernel.c - register-blocked matrix kernel with fused epilogues.
 *
 * Data layout and the threading contract are in fast_kernel.h. Here: the
 * micro-kernel computes one MR x (NV*VW) tile of A.B into vector registers
 * over all of K, stores it into a small aligned tile on the stack, and the
 * epilogue writes that tile into C. Rows past M (the last row tile) read a
 * duplicate of the last valid A row and are never written back.
 *
 * FMA: ISO C forbids contracting a*b+c (gcc -std=c11 sets fp-contract=off),
 * so the multiply-add is an intrinsic behind the ISA feature macro, with the
 * plain expression as the portable fallback.
 */
#include "fast_kernel.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#if defined(__AVX512F__)
#  include <immintrin.h>
#  define VW 16
#  define NVMAX 4
#elif defined(__AVX__)
#  include <immintrin.h>
#  define VW 8
#  define NVMAX 2
#else
#  define VW 4
#  define NVMAX 2
#endif
#define MR FAST_MR
#define NR (NVMAX * VW)

typedef float vf __attribute__((vector_size(VW * sizeof(float))));
typedef int32_t vi __attribute__((vector_size(VW * sizeof(int32_t))));
typedef uint32_t vu __attribute__((vector_size(VW * sizeof(uint32_t))));

/* acc + a*b, fused where the ISA has it. */
static inline vf vfma(vf a, vf b, vf acc)
{
#if defined(__AVX512F__)
    return (vf)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)acc);
#elif defined(__FMA__) && defined(__AVX__)
    return (vf)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)acc);
#else
    return acc + a * b;
#endif
}

/* x in every lane. (Not (vf){0} + x: adding +0 is not the identity for
 * x = -0, so the compiler must keep the add; x - 0 is, and folds.) */
static inline vf vbcast(float x)
{
#if defined(__AVX512F__)
    return (vf)_mm512_set1_ps(x);
#elif defined(__AVX__)
    return (vf)_mm256_set1_ps(x);
#else
    return x - (vf){0};
#endif
}

static inline vf vload(const float *p)
{
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* g'(z) written in terms of a = g(z), for a float or a vector a (one: 1
 * of a's type): the one place of these formulas, for fast_act_deriv and
 * the kernels' epilogue in registers alike. */
#define DERIV_LOGISTIC(a, one) ((a) * ((one) - (a)))
#define DERIV_TANH(a, one) ((one) - (a) * (a))

/* t * g'(a), lane by lane: the same operations as the epilogue's (relu:
 * t where a > 0, else 0; otherwise t * fast_act_deriv(a)). */
static inline vf vdact(fast_act act, vf a, vf t)
{
    switch (act) {
    case FAST_ACT_RELU:     return (vf)((vi)t & (a > vbcast(0.0f)));
    case FAST_ACT_LOGISTIC: return t * DERIV_LOGISTIC(a, vbcast(1.0f));
    case FAST_ACT_TANH:     return t * DERIV_TANH(a, vbcast(1.0f));
    case FAST_ACT_NONE:     break;
    }
    return t;
}

/* ------------------------------------------------------------ micro-kernels */

/* Where a micro-kernel reads A's MR rows (rows past the tile's mr repeat
 * its last row): floats through two strides, A[r][k] = af[r][k*acs]; byte
 * rows, A[r][k] = tab[ab[r][k]]; or byte columns (A transposed: the images
 * are its columns), A[r][k] = tab[cols[k][co[r]]]. */
typedef struct {
    const float *af[MR];
    size_t acs;
    const uint8_t *ab[MR];
    const uint8_t *const *cols;
    int co[MR];
    const float *tab;
} a_rows;

/* One micro-kernel per way of reading A: SETUP takes A's pointers into
 * locals, STEP starts step k, BC(r) broadcasts A[r][k]. */
#define SETUP_F const float *a0 = A->af[0]; const float *a1 = A->af[1];         \
    const float *a2 = A->af[2]; const float *a3 = A->af[3];                      \
    const float *a4 = A->af[4]; const float *a5 = A->af[5]; const size_t acs = A->acs;
#define STEP_F const size_t ko = (size_t)k * acs;
#define BC_F(r) vbcast(a##r[ko])
#define SETUP_B const uint8_t *u0 = A->ab[0]; const uint8_t *u1 = A->ab[1];      \
    const uint8_t *u2 = A->ab[2]; const uint8_t *u3 = A->ab[3];                  \
    const uint8_t *u4 = A->ab[4]; const uint8_t *u5 = A->ab[5]; const float *tab = A->tab;
#define STEP_B
#define BC_B(r) vbcast(tab[u##r[k]])
#define SETUP_C const uint8_t *const *cols = A->cols; const int o0 = A->co[0];     \
    const int o1 = A->co[1]; const int o2 = A->co[2]; const int o3 = A->co[3];   \
    const int o4 = A->co[4]; const int o5 = A->co[5]; const float *tab = A->tab;
#define STEP_C const uint8_t *col = cols[k];
#define BC_C(r) vbcast(tab[col[o##r]])

/* acc[r][v] = sum_k A[r][k] * B[k*ldb + v*VW ..], r < MR, v < NV; then
 * either tile[r*NR + j] = acc (the epilogue writes C from the tile), or,
 * with reg != NULL, the epilogue is applied to C's first mr rows straight
 * from the registers, the same operations as the epilogue's, without the
 * round trip through the tile: plain SGD, C = keep*C - lr*acc, or DACT on
 * real columns only, C = acc * g'(ea) (ea: the tile's activations, ldc
 * apart). */
/* for (r < MR) for (v < NV), unrolled: the tile's indices are then
 * constants outside the k loop too, so gcc keeps acc in registers (rolled,
 * it zeroed a copy of acc on the stack at every tile and spilled acc there
 * before the SGD step). The counts are literals: _Pragma takes no macros. */
#define FOR_TILE(NV)                                                             \
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++)                         \
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)

#define DEFINE_KERNEL(NAME, NV, SETUP, STEP, BC)                                 \
static void NAME(float *restrict tile, const a_rows *A,                          \
                 const float *restrict B, size_t ldb, int K,                     \
                 const fast_epi *reg, float *restrict C, size_t ldc, int mr,     \
                 const float *ea)                                                \
{                                                                                \
    vf acc[MR][NV];                                                              \
    SETUP                                                                        \
    FOR_TILE(NV)                                                                 \
        acc[r][v] = (vf){0};                                                     \
    for (int k = 0; k < K; k++) {                                                \
        const float *b = B + (size_t)k * ldb;                                    \
        STEP                                                                     \
        vf bv[NV], ar;                                                           \
        for (int v = 0; v < NV; v++)                                             \
            bv[v] = vload(b + v * VW);                                           \
        ar = BC(0);                                                              \
        for (int v = 0; v < NV; v++) acc[0][v] = vfma(ar, bv[v], acc[0][v]);     \
        ar = BC(1);                                                              \
        for (int v = 0; v < NV; v++) acc[1][v] = vfma(ar, bv[v], acc[1][v]);     \
        ar = BC(2);                                                              \
        for (int v = 0; v < NV; v++) acc[2][v] = vfma(ar, bv[v], acc[2][v]);     \
        ar = BC(3);                                                              \
        for (int v = 0; v < NV; v++) acc[3][v] = vfma(ar, bv[v], acc[3][v]);     \
        ar = BC(4);                                                              \
        for (int v = 0; v < NV; v++) acc[4][v] = vfma(ar, bv[v], acc[4][v]);     \
        ar = BC(5);                                                              \
        for (int v = 0; v < NV; v++) acc[5][v] = vfma(ar, bv[v], acc[5][v]);     \
    }                                                                            \
    if (reg && reg->kind == FAST_EPI_SGD) {                                      \
        const vf keep = vbcast(reg->keep), lr = vbcast(reg->lr);                 \
        FOR_TILE(NV) if (r < mr) {                                               \
            float *c = C + (size_t)r * ldc + v * VW;                             \
            vf w = keep * vload(c) - lr * acc[r][v];                             \
            memcpy(c, &w, sizeof w);                                             \
        }                                                                        \
        return;                                                                  \
    }                                                                            \
    if (reg) {                                                                   \
        const fast_act act = reg->act;                                           \
        FOR_TILE(NV) if (r < mr) {                                               \
            const size_t o = (size_t)r * ldc + v * VW;                           \
            vf d = vdact(act, vload(ea + o), acc[r][v]);                         \
            memcpy(C + o, &d, sizeof d);                                         \
        }                                                                        \
        return;                                                                  \
    }                                                                            \
    FOR_TILE(NV)                                                                 \
        memcpy(tile + r * NR + v * VW, &acc[r][v], sizeof(vf));                  \
}

typedef void kernel_fn(float *restrict tile, const a_rows *A, const float *restrict B,
                       size_t ldb, int K, const fast_epi *reg, float *restrict C,
                       size_t ldc, int mr, const float *ea);

/* The three readings of A for one width NV */
#define DEFINE_KERNELS(NV)                                                       \
    DEFINE_KERNEL(kern_f##NV, NV, SETUP_F, STEP_F, BC_F)                         \
    DEFINE_KERNEL(kern_b##NV, NV, SETUP_B, STEP_B, BC_B)                         \
    DEFINE_KERNEL(kern_c##NV, NV, SETUP_C, STEP_C, BC_C)

DEFINE_KERNELS(1)
DEFINE_KERNELS(2)
#if NVMAX >= 4
DEFINE_KERNELS(3)
DEFINE_KERNELS(4)
#define KERNELS_34(X) kern_##X##3, kern_##X##4
#else
#define KERNELS_34(X) NULL, NULL
#endif

enum { READ_FLOATS, READ_BYTE_ROWS, READ_BYTE_COLS, READS };

/* KERNELS[reading][NV - 1] */
static kernel_fn *const KERNELS[READS][4] = {
    [READ_FLOATS] = {kern_f1, kern_f2, KERNELS_34(f)},
    [READ_BYTE_ROWS] = {kern_b1, kern_b2, KERNELS_34(b)},
    [READ_BYTE_COLS] = {kern_c1, kern_c2, KERNELS_34(c)},
};

/* ------------------------------------------------------------ activations */

float fast_act_apply(fast_act act, float z)
{
    switch (act) {
    case FAST_ACT_RELU:     return z > 0.0f ? z : 0.0f;
    case FAST_ACT_LOGISTIC: return 1.0f / (1.0f + expf(-z));
    case FAST_ACT_TANH:     return tanhf(z);
    case FAST_ACT_NONE:     break;
    }
    return z;
}

/* forward a = g(z); the derivative g'(z) written in terms of a. */
float fast_act_deriv(fast_act act, float a)
{
    switch (act) {
    case FAST_ACT_RELU:     return a > 0.0f ? 1.0f : 0.0f;
    case FAST_ACT_LOGISTIC: return DERIV_LOGISTIC(a, 1.0f);
    case FAST_ACT_TANH:     return DERIV_TANH(a, 1.0f);
    case FAST_ACT_NONE:     break;
    }
    return 1.0f;
}

/* e^x lane by lane, for x <= 0 (the softmax's z - max z): Cephes' expf,
 * x = k ln 2 + r with k = round(x / ln 2) and ln 2 in two parts, e^r by a
 * degree-7 polynomial in r (|r| <= ln 2 / 2), times 2^k through the
 * exponent bits; within 2 ulp of expf, and 0 below -87 (under 2^-125, where
 * 2^k would need a subnormal). NaN stays NaN. */

static inline vf vmax(vf a, vf b) { return (vf)(((vi)a & (a >= b)) | ((vi)b & ~(a >= b))); }

static inline vf vexp_neg(vf x)
{
    const vf lo = vbcast(-87.0f), magic = vbcast(12582912.0f);   /* 1.5 * 2^23 */
    const vi small = x < lo;                                        /* all ones where so */
    const vf xc = (vf)(((vi)x & ~small) | ((vi)lo & small));
    const vf k = (xc * vbcast(1.44269504088896341f) + magic) - magic;   /* round(x / ln 2) */
    const vf r = (xc - k * vbcast(0.693359375f)) - k * vbcast(-2.12194440e-4f);
    vf p = vbcast(1.9875691500e-4f);
    p = p * r + vbcast(1.3981999507e-3f);
    p = p * r + vbcast(8.3334519073e-3f);
    p = p * r + vbcast(4.1665795894e-2f);
    p = p * r + vbcast(1.6666665459e-1f);
    p = p * r + vbcast(5.0000001201e-1f);
    p = p * (r * r) + r + vbcast(1.0f);
    const vu two_k = (vu)(__builtin_convertvector(k, vi) + 127) << 23;
    return (vf)((vi)(p * (vf)two_k) & ~small);
}

/* The sum (or with take_max, the largest) of v's lanes, pairwise in a
 * fixed order. */
static inline float hreduce(vf v, int take_max)
{
#if defined(__AVX512F__)
    return take_max ? _mm512_reduce_max_ps((__m512)v) : _mm512_reduce_add_ps((__m512)v);
#else
    float t[VW];
    memcpy(t, &v, sizeof v);
    for (int w = VW / 2; w >= 1; w /= 2)
        for (int i = 0; i < w; i++)
            t[i] = take_max ? (t[i + w] > t[i] ? t[i + w] : t[i]) : t[i] + t[i + w];
    return t[0];
#endif
}

/* Rows that fit in FAST_PAD lanes (n <= FAST_PAD), `count` of them at
 * once: each row's steps (largest lane, e^x, sum, divide) wait on the one
 * before, but the rows do not wait on each other, so written side by side
 * the core overlaps their chains. 64 rows of 10, in row blocks of 6, in a
 * warm loop: 0.85 us one row at a time, 0.72 two, 0.61 a block at once. */
#define SOFTMAX_ROWS FAST_MR

/* The largest of a row's n values (lanes [0, full) whole vectors, then
 * the real lanes `tail` of the next), in every lane. */
__attribute__((always_inline))
static inline vf row_max(const float *row, int n, int full, vi tail)
{
    const vf ninf = vbcast(-INFINITY);
    vf m = ninf;
    for (int j = 0; j < full; j += VW)
        m = vmax(m, vload(row + j));
    if (full < n)
        m = vmax(m, (vf)(((vi)vload(row + full) & tail) | ((vi)ninf & ~tail)));
    return vbcast(hreduce(m, 1));
}

__attribute__((always_inline))
static inline void softmax_short(float *a, size_t lda, int count, int n, int full, vi tail)
{
    enum { NVS = (FAST_PAD + VW - 1) / VW };
    vf e[SOFTMAX_ROWS][NVS], mx[SOFTMAX_ROWS], sum[SOFTMAX_ROWS];
    for (int i = 0; i < count; i++)
        mx[i] = row_max(a + (size_t)i * lda, n, full, tail);
    for (int i = 0; i < count; i++) {
        const float *row = a + (size_t)i * lda;
        vf s = {0};
        for (int j = 0, v = 0; j < n; j += VW, v++) {
            e[i][v] = vexp_neg(vload(row + j) - mx[i]);
            if (j == full)
                e[i][v] = (vf)((vi)e[i][v] & tail);
            s += e[i][v];
        }
        sum[i] = vbcast(hreduce(s, 0));
    }
    for (int i = 0; i < count; i++)
        for (int j = 0, v = 0; j < n; j += VW, v++) {
            const vf q = e[i][v] / sum[i];
            memcpy(a + (size_t)i * lda + j, &q, sizeof q);
        }
}

void fast_softmax_rows(float *a, size_t lda, int rows, int n)
{
    const int full = n - n % VW;               /* lanes [0, full) are all real */
    vi tail;                                   /* the real lanes of [full, full + VW) */
    for (int i = 0; i < VW; i++)
        tail[i] = full + i < n ? -1 : 0;
    if (n <= FAST_PAD) {                       /* in registers */
        int r = 0;
        for (; r + SOFTMAX_ROWS <= rows; r += SOFTMAX_ROWS)
            softmax_short(a + (size_t)r * lda, lda, SOFTMAX_ROWS, n, full, tail);
        for (; r + 2 <= rows; r += 2)
            softmax_short(a + (size_t)r * lda, lda, 2, n, full, tail);
        if (r < rows)
            softmax_short(a + (size_t)r * lda, lda, 1, n, full, tail);
        return;
    }
    for (int r = 0; r < rows; r++, a += lda) {
        vf s = {0};
        const vf mx = row_max(a, n, full, tail);
        for (int j = 0; j < n; j += VW) {
            vf x = vexp_neg(vload(a + j) - mx);
            if (j == full)
                x = (vf)((vi)x & tail);
            memcpy(a + j, &x, sizeof x);
            s += x;
        }
        const vf sum = vbcast(hreduce(s, 0));
        for (int j = 0; j < n; j += VW) {
            const vf q = vload(a + j) / sum;
            memcpy(a + j, &q, sizeof q);
        }
    }
}

/* ------------------------------------------------------------ epilogues */

/* Write the mr x nr tile (row stride NR) into C at (m0, j0). */
static void epilogue(const fast_epi *e, const float *restrict tile, int mr, int nr,
                     float *restrict C, size_t ldc, int m0, int j0)
{
    for (int r = 0; r < mr; r++) {
        const float *t = tile + r * NR;
        float *c = C + (size_t)(m0 + r) * ldc + j0;
        int real = e->n_real - j0;               /* columns < real are real */
        if (real > nr)
            real = nr;
        switch (e->kind) {
        case FAST_EPI_STORE:
            for (int j = 0; j < nr; j++)
                c[j] = t[j];
            break;
        case FAST_EPI_BIAS_ACT: {
            const float *b = e->bias + j0;
            if (e->act == FAST_ACT_RELU) {
                for (int j = 0; j < real; j++) {
                    float z = t[j] + b[j];
                    c[j] = z > 0.0f ? z : 0.0f;
                }
            } else if (e->act == FAST_ACT_NONE) {
                for (int j = 0; j < real; j++)
                    c[j] = t[j] + b[j];
            } else {
                for (int j = 0; j < real; j++)
                    c[j] = fast_act_apply(e->act, t[j] + b[j]);
            }
            for (int j = real < 0 ? 0 : real; j < nr; j++)
                c[j] = 0.0f;
            break;
        }
        case FAST_EPI_DACT: {
            const float *a = e->a + (size_t)(m0 + r) * ldc + j0;
            if (e->act == FAST_ACT_RELU) {
                for (int j = 0; j < real; j++)
                    c[j] = a[j] > 0.0f ? t[j] : 0.0f;
            } else {
                for (int j = 0; j < real; j++)
                    c[j] = t[j] * fast_act_deriv(e->act, a[j]);
            }
            for (int j = real < 0 ? 0 : real; j < nr; j++)
                c[j] = 0.0f;
            break;
        }
        case FAST_EPI_SGD: {
            const float lr = e->lr, keep = e->keep;
            if (e->mu == 0.0f || !e->vel) {
                for (int j = 0; j < nr; j++)
                    c[j] = keep * c[j] - lr * t[j];
            } else {
                const float mu = e->mu, shrink = 1.0f - keep;
                float *v = e->vel + (size_t)(m0 + r) * ldc + j0;
                for (int j = 0; j < nr; j++) {
                    v[j] = mu * v[j] - lr * t[j] - shrink * c[j];
                    c[j] += v[j];
                }
            }
            break;
        }
        }
    }
}

/* ------------------------------------------------------------ driver */

/* The tile of C at rows m0..m0+mr-1, columns j0..j0+nr-1 (mr <= MR, nr <= NR). */
static void gemm_tile(float *C, size_t ldc, const fast_src *src, const float *B, size_t ldb,
                      int K, const fast_epi *epi, int m0, int mr, int j0, int nr)
{
    float tile[MR * NR] __attribute__((aligned(64)));
    a_rows A;
    const int reading = !src->rows ? READ_FLOATS : src->trans ? READ_BYTE_COLS : READ_BYTE_ROWS;

    /* plain SGD, and DACT on real columns, on whole vectors: in the
     * kernel's registers */
    const int in_regs = nr % VW == 0 &&
        ((epi->kind == FAST_EPI_SGD && (epi->mu == 0.0f || !epi->vel)) ||
         (epi->kind == FAST_EPI_DACT && epi->n_real - j0 >= nr));
    const fast_epi *reg = in_regs ? epi : NULL;
    float *c = C + (size_t)m0 * ldc + j0;
    const float *ea = epi->kind == FAST_EPI_DACT ? epi->a + (size_t)m0 * ldc + j0 : NULL;

    for (int r = 0; r < MR; r++) {
        const int m = m0 + (r < mr ? r : mr - 1);
        switch (reading) {
        case READ_FLOATS: A.af[r] = src->f + (size_t)m * src->ars; break;
        case READ_BYTE_ROWS: A.ab[r] = src->rows[m]; break;
        default: A.co[r] = m; break;                 /* READ_BYTE_COLS */
        }
    }
    A.acs = src->acs;
    A.cols = src->rows;
    A.tab = src->tab;
    assert(nr % VW == 0 && nr / VW >= 1 && nr / VW <= NVMAX);
    KERNELS[reading][nr / VW - 1](tile, &A, B + j0, ldb, K, reg, c, ldc, mr, ea);
    if (!reg)
        epilogue(epi, tile, mr, nr, C, ldc, m0, j0);
}

/* Tile t of fast_gemm's numbering: t = panel * nrt + row tile (panel major,
 * so with a static schedule a thread keeps the same columns of B). */
static void gemm_tile_t(int t, int nrt, float *C, size_t ldc, const fast_src *A,
                        const float *B, size_t ldb, int M, int N, int K, const fast_epi *epi)
{
    const int m0 = (t % nrt) * MR, j0 = (t / nrt) * NR;
    gemm_tile(C, ldc, A, B, ldb, K, epi, m0, M - m0 < MR ? M - m0 : MR,
              j0, N - j0 < NR ? N - j0 : NR);
}

void fast_gemm(float *C, size_t ldc, const float *A, size_t ars, size_t acs,
               const float *B, size_t ldb, int M, int N, int K, const fast_epi *epi)
{
    const int npan = (N + NR - 1) / NR, nrt = (M + MR - 1) / MR;
    const int ntile = npan * nrt;
    const fast_src src = {.f = A, .ars = ars, .acs = acs};

    if (epi->nowait) {
#pragma omp for schedule(static) nowait
        for (int t = 0; t < ntile; t++)
            gemm_tile_t(t, nrt, C, ldc, &src, B, ldb, M, N, K, epi);
    } else {
#pragma omp for schedule(static)
        for (int t = 0; t < ntile; t++)
            gemm_tile_t(t, nrt, C, ldc, &src, B, ldb, M, N, K, epi);
    }
}

void fast_gemm_src(float *C, size_t ldc, const fast_src *A, const float *B, size_t ldb,
                   int K, const fast_epi *epi, int m0, int m1, int j0, int j1)
{
    for (int j = j0; j < j1; j += NR)
        for (int m = m0; m < m1; m += MR)
            gemm_tile(C, ldc, A, B, ldb, K, epi, m, m1 - m < MR ? m1 - m : MR,
                      j, j1 - j < NR ? j1 - j : NR);
}

void fast_gemm_block(float *C, size_t ldc, const float *A, size_t ars, size_t acs,
                     const float *B, size_t ldb, int K, const fast_epi *epi,
                     int m0, int m1, int j0, int j1)
{
    const fast_src src = {.f = A, .ars = ars, .acs = acs};
    fast_gemm_src(C, ldc, &src, B, ldb, K, epi, m0, m1, j0, j1);
}

void fast_gemm_naive(double *C, size_t ldc, const float *A, size_t ars, size_t acs,
                     const float *B, size_t ldb, int M, int N, int K)
{
    for (int m = 0; m < M; m++)
        for (int j = 0; j < N; j++) {
            double s = 0.0;
            for (int k = 0; k < K; k++)
                s += (double)A[(size_t)m * ars + (size_t)k * acs] * B[(size_t)k * ldb + j];
            C[(size_t)m * ldc + j] = s;
        }
}

/* ------------------------------------------------------------ FMA peak */

/* 24 independent chains (> FMA latency x FMA pipes), named one by one so
 * they live in registers: an array here ends up in memory. */
#define SPIN_ACC 24
#define SPIN_ALL(OP) OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7) OP(8) OP(9) \
    OP(10) OP(11) OP(12) OP(13) OP(14) OP(15) OP(16) OP(17) OP(18) OP(19)       \
    OP(20) OP(21) OP(22) OP(23)

float fast_fma_spin(long iters, double *flops)
{
    const vf x = vbcast(0.9999999f), y = vbcast(1e-7f);
#define SPIN_DECL(r) vf c##r = vbcast((float)(r));
#define SPIN_STEP(r) c##r = vfma(c##r, x, y);    /* c = c*x + y, stays bounded */
#define SPIN_SUM(r) sum += c##r;
    SPIN_ALL(SPIN_DECL)
    for (long it = 0; it < iters; it++) {
        SPIN_ALL(SPIN_STEP)
    }
    vf sum = (vf){0};
    SPIN_ALL(SPIN_SUM)
    float s = 0.0f;
    for (int v = 0; v < VW; v++)
        s += sum[v];
    *flops = 2.0 * VW * SPIN_ACC * (double)iters;
    return s;
}

/* ------------------------------------------------------------------------
 * Which scalar activation each kernel computes (adding a kernel: one row)
 * ---------------------------------------------------------------------- */

static const act_kind KERNEL_ACT[FAST_ACT_NONE] = {
    [FAST_ACT_RELU] = ACT_RELU, [FAST_ACT_LOGISTIC] = ACT_LOGISTIC, [FAST_ACT_TANH] = ACT_TANH,
};

act_kind fast_act_kind(fast_act act) { return (unsigned)act < FAST_ACT_NONE ? KERNEL_ACT[act] : ACT_COUNT; }

int fast_act_of(act_kind k, fast_act *act)
{
    for (int a = 0; a < FAST_ACT_NONE; a++)
        if (KERNEL_ACT[a] == k) { *act = (fast_act)a; return 0; }
    return -1;
}

void fast_act_known(char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int a = 0; a < FAST_ACT_NONE && len < size; a++) {
        const char *sep = a == 0 ? "" : a == FAST_ACT_NONE - 1 ? " or " : ", ";
        int n = snprintf(buf + len, size - len, "%s%s", sep, act_name(KERNEL_ACT[a]));
        if (n < 0) return;
        len += (size_t)n;
    }
}
