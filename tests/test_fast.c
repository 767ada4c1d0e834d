/*
 * test_fast.c - the fast path (src/fast) against a naive double reference.
 *
 * The reference below is the textbook algorithm in double precision, one
 * loop per formula of fast_net.h, checked itself by central differences
 * (with the all-zero-gradient guard). The fast float32 path must match it:
 * the kernel for every shape and epilogue, forward values, loss, gradients
 * and one SGD step (decay, momentum) within 1e-5 relative, for several layer
 * sizes (padding and multi-layer), every activation and both losses, on 1
 * and 2 threads. Then determinism, the model file, training on synthetic
 * data, and the CLI on a synthetic IDX folder written here. No timing.
 */
#include "testutil.h"   /* cmocka and assert_close (STYLE rule 13) */

#include <omp.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "fast/fast_cli.h"
#include "fast/fast_kernel.h"
#include "fast/fast_model.h"
#include "fast/fast_net.h"
#include "fast/fast_team.h"
#include "fast/fast_train.h"

/* ---------------------------------------------------------------- helpers */

static uint64_t test_rng = 42;
static double urand(void) { return (double)(fast_rng_next(&test_rng) >> 11) / 9007199254740992.0; }

/* ---------------------------------------------------------------- kernel */

static void check_gemm(int M, int N, int K, int transposed_a, int threads)
{
    size_t lda = transposed_a ? (size_t)M + 3 : (size_t)K + 5;   /* odd strides */
    size_t ars = transposed_a ? 1 : lda, acs = transposed_a ? lda : 1;
    size_t asz = transposed_a ? (size_t)K * lda : (size_t)M * lda;
    size_t ldb = (size_t)N + 16, ldc = (size_t)N + 32;
    float *A = malloc(asz * sizeof *A), *B = malloc((size_t)K * ldb * sizeof *B);
    float *C = malloc((size_t)M * ldc * sizeof *C);
    double *R = malloc((size_t)M * ldc * sizeof *R);
    assert_true(A && B && C && R);
    for (size_t i = 0; i < asz; i++) A[i] = (float)(urand() * 2 - 1);
    for (size_t i = 0; i < (size_t)K * ldb; i++) B[i] = (float)(urand() * 2 - 1);
    fast_epi e = {0};
    e.kind = FAST_EPI_STORE;
#pragma omp parallel num_threads(threads)
    fast_gemm(C, ldc, A, ars, acs, B, ldb, M, N, K, &e);
    fast_gemm_naive(R, ldc, A, ars, acs, B, ldb, M, N, K);
    double maxdiff = 0;
    for (int m = 0; m < M; m++)
        for (int j = 0; j < N; j++) {
            double d = fabs(C[(size_t)m * ldc + j] - R[(size_t)m * ldc + j]);
            maxdiff = d > maxdiff ? d : maxdiff;
            /* float sums of K products of size <= 1: error ~ K * 2^-24 */
            assert_close(C[(size_t)m * ldc + j], R[(size_t)m * ldc + j], 1e-6 * K, 1e-5);
        }
    free(A); free(B); free(C); free(R);
}

static void test_gemm_shapes(void **state)
{
    (void)state;
    static const int shapes[][3] = {{1, 16, 1}, {5, 16, 3}, {6, 64, 7}, {7, 80, 13},
                                    {13, 128, 33}, {64, 128, 784}, {784, 16, 64},
                                    {3, 48, 200}, {11, 32, 1}, {19, 112, 9}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int t = 0; t < 2; t++)
            for (int th = 1; th <= 2; th++)
                check_gemm(shapes[s][0], shapes[s][1], shapes[s][2], t, th);
}

/* A read as bytes through a table (the training images) gives the same
 * numbers, to the last bit, as the same values read as floats: by rows
 * (the forward product) and transposed (the weight gradient), with tiles
 * cut short at the bottom and every epilogue the training uses. */
static void check_gemm_bytes(int M, int N, int K, int trans)
{
    const int n_rows = trans ? K : M, len = (trans ? M : K) + 3;   /* bytes per row */
    uint8_t *bytes = malloc((size_t)n_rows * (size_t)len);
    const uint8_t **rows = malloc(sizeof *rows * (size_t)n_rows);
    float tab[256], *A = malloc(sizeof *A * (size_t)n_rows * (size_t)len);
    const size_t ldb = (size_t)N, ldc = (size_t)N;
    float *B = malloc(sizeof *B * (size_t)K * ldb);
    float *C1 = malloc(sizeof *C1 * (size_t)M * ldc), *C2 = malloc(sizeof *C2 * (size_t)M * ldc);
    assert_true(bytes && rows && A && B && C1 && C2);
    for (int v = 0; v < 256; v++)
        tab[v] = (float)v * (1.0f / 255.0f);
    for (int r = 0; r < n_rows; r++) {         /* rows in a shuffled order, as the images */
        rows[r] = bytes + (size_t)(n_rows - 1 - r) * (size_t)len;
        for (int i = 0; i < len; i++) {
            uint8_t v = (uint8_t)(fast_rng_next(&test_rng) % 256);
            bytes[(size_t)(n_rows - 1 - r) * (size_t)len + (size_t)i] = v;
            A[(size_t)r * (size_t)len + (size_t)i] = tab[v];
        }
    }
    for (size_t i = 0; i < (size_t)K * ldb; i++) B[i] = (float)(urand() * 2 - 1);
    static const fast_epi_kind kinds[] = {FAST_EPI_STORE, FAST_EPI_BIAS_ACT, FAST_EPI_SGD};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        float bias[128] = {0};
        fast_epi e = {.kind = kinds[k], .act = FAST_ACT_RELU, .n_real = N, .bias = bias,
                      .lr = 0.1f, .keep = 1.0f};
        for (int j = 0; j < N && j < 128; j++) bias[j] = (float)(urand() - 0.5);
        for (size_t i = 0; i < (size_t)M * ldc; i++) C1[i] = C2[i] = (float)urand();
        const fast_src src = {.rows = rows, .tab = tab, .trans = trans};
        fast_gemm_src(C1, ldc, &src, B, ldb, K, &e, 0, M, 0, N);
        fast_gemm_block(C2, ldc, A, trans ? 1 : (size_t)len, trans ? (size_t)len : 1, B, ldb, K,
                        &e, 0, M, 0, N);
        assert_memory_equal(C1, C2, sizeof *C1 * (size_t)M * ldc);
    }
    free(bytes); free(rows); free(A); free(B); free(C1); free(C2);
}

/* The activation-derivative epilogue (the deltas of hidden layers), which
 * whole vectors of real columns get in the kernel's registers and the rest
 * through the tile: to the last bit, C = (A.B) * g'(a) as fast_act_deriv
 * says (relu: the product where a > 0, else 0), for every activation, with
 * a = 0 exactly in places, tiles cut short at the bottom and padding
 * columns (n_real < N) that must come out 0. */
static void test_gemm_dact(void **state)
{
    (void)state;
    enum { M = 13, N = 64, K = 10 };
    static const fast_act acts[] = {FAST_ACT_RELU, FAST_ACT_LOGISTIC, FAST_ACT_TANH};
    static const int reals[] = {N, N - 5, 20};
    float A[M * K], B[K * N], act_a[M * N], C[M * N], P[M * N];
    for (int i = 0; i < M * K; i++) A[i] = (float)(urand() * 2 - 1);
    for (int i = 0; i < K * N; i++) B[i] = (float)(urand() * 2 - 1);
    for (size_t g = 0; g < sizeof acts / sizeof acts[0]; g++)
        for (size_t r = 0; r < sizeof reals / sizeof reals[0]; r++) {
            for (int i = 0; i < M * N; i++)      /* a = g(z): relu's has zeros */
                act_a[i] = i % 7 == 0 ? 0.0f : (float)urand() * (acts[g] == FAST_ACT_TANH ? 2 : 1) -
                                               (acts[g] == FAST_ACT_TANH ? 1.0f : 0.0f);
            fast_epi store = {.kind = FAST_EPI_STORE};
            fast_gemm_block(P, N, A, K, 1, B, N, K, &store, 0, M, 0, N);
            fast_epi e = {.kind = FAST_EPI_DACT, .act = acts[g], .n_real = reals[r], .a = act_a};
            for (int i = 0; i < M * N; i++) C[i] = 99.0f;
            fast_gemm_block(C, N, A, K, 1, B, N, K, &e, 0, M, 0, N);
            for (int m = 0; m < M; m++)
                for (int j = 0; j < N; j++) {
                    const float a = act_a[m * N + j], t = P[m * N + j];
                    float want = 0.0f;
                    if (j < reals[r])
                        want = acts[g] == FAST_ACT_RELU ? (a > 0.0f ? t : 0.0f)
                                                        : t * fast_act_deriv(acts[g], a);
                    assert_memory_equal(&C[m * N + j], &want, sizeof want);
                }
        }
}

/* The vectorised softmax against the formula in double: rows of every
 * width around the vector lengths (1 .. 40 outputs), values up to +-60 and
 * some far below the row's largest (e^x under 2^-125 is 0), several rows in
 * one call. Each value within 4 float ulps (2^-22 relative) or 1e-37 of the
 * softmax of the same float differences z - max z; the padding stays 0. */
static void test_softmax_rows(void **state)
{
    (void)state;
    const int widths[] = {1, 2, 3, 4, 8, 10, 15, 16, 17, 31, 33, 40};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        const int n = widths[w], ld = (n + FAST_PAD - 1) / FAST_PAD * FAST_PAD, rows = 7;
        float *a = calloc((size_t)rows * ld, sizeof *a);
        double *z = calloc((size_t)rows * ld, sizeof *z);
        assert_true(a && z);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < n; j++) {
                float v = (float)(urand() * 120 - 60);
                if (r == 3 && j % 3 == 1)
                    v = -200.0f;                   /* e^(v - max) is 0 */
                a[r * ld + j] = v;
                z[r * ld + j] = v;
            }
        fast_softmax_rows(a, (size_t)ld, rows, n);
        for (int r = 0; r < rows; r++) {
            double mx = z[r * ld], sum = 0;
            for (int j = 1; j < n; j++)
                mx = z[r * ld + j] > mx ? z[r * ld + j] : mx;
            for (int j = 0; j < n; j++)          /* z - max as float rounds it, expf too */
                sum += exp((float)(z[r * ld + j] - mx));
            for (int j = 0; j < n; j++) {
                double want = exp((float)(z[r * ld + j] - mx)) / sum;
                assert_close(a[r * ld + j], want, 1e-37, 0x1p-22);
            }
            for (int j = n; j < ld; j++)
                assert_true(a[r * ld + j] == 0.0f);
        }
        free(a);
        free(z);
    }
}

static void test_gemm_bytes(void **state)
{
    (void)state;
    static const int shapes[][3] = {{1, 16, 1}, {5, 16, 3}, {6, 64, 7}, {7, 80, 13},
                                    {13, 128, 33}, {64, 64, 784}, {100, 64, 64}, {4, 48, 32}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int t = 0; t < 2; t++)
            check_gemm_bytes(shapes[s][0], shapes[s][1], shapes[s][2], t);
}

/* ---------------------------------------------------------------- reference */

/* A double network with the same shape as a fast_net: W[l][j*n_{l-1}+i]. */
typedef struct {
    int L, size[FAST_MAX_LAYERS + 1];
    fast_act act;
    fast_loss loss;
    double *W[FAST_MAX_LAYERS + 1], *b[FAST_MAX_LAYERS + 1];
    double *dW[FAST_MAX_LAYERS + 1], *db[FAST_MAX_LAYERS + 1];
    double *a[FAST_MAX_LAYERS + 1], *d[FAST_MAX_LAYERS + 1];  /* (nb, n_l) */
} ref_net;

static double ref_g(fast_act act, double z)
{
    switch (act) {
    case FAST_ACT_RELU: return z > 0 ? z : 0;
    case FAST_ACT_LOGISTIC: return 1 / (1 + exp(-z));
    case FAST_ACT_TANH: return tanh(z);
    default: return z;
    }
}

static double ref_dg(fast_act act, double a)
{
    switch (act) {
    case FAST_ACT_RELU: return a > 0 ? 1 : 0;
    case FAST_ACT_LOGISTIC: return a * (1 - a);
    case FAST_ACT_TANH: return 1 - a * a;
    default: return 1;
    }
}

static void ref_from_fast(ref_net *r, const fast_net *f, int nb)
{
    memset(r, 0, sizeof *r);
    r->L = f->n_layers;
    r->act = f->act;
    r->loss = f->loss;
    for (int l = 0; l <= r->L; l++) {
        r->size[l] = f->size[l];
        r->a[l] = calloc((size_t)nb * f->size[l], sizeof(double));
        r->d[l] = calloc((size_t)nb * f->size[l], sizeof(double));
    }
    for (int l = 1; l <= r->L; l++) {
        size_t nw = (size_t)f->size[l] * f->size[l - 1];
        r->W[l] = malloc(nw * sizeof(double));
        r->dW[l] = calloc(nw, sizeof(double));
        r->b[l] = malloc((size_t)f->size[l] * sizeof(double));
        r->db[l] = calloc((size_t)f->size[l], sizeof(double));
        for (int j = 0; j < f->size[l]; j++) {
            r->b[l][j] = f->b[l][j];
            for (int i = 0; i < f->size[l - 1]; i++)
                r->W[l][(size_t)j * f->size[l - 1] + i] = *fast_w(f, l, j, i);
        }
    }
}

static void ref_free(ref_net *r)
{
    for (int l = 0; l <= r->L; l++) {
        free(r->a[l]); free(r->d[l]);
        free(r->W[l]); free(r->dW[l]); free(r->b[l]); free(r->db[l]);
    }
}

/* Forward + loss (batch mean J) for inputs x (nb, n_0) and labels y. */
static double ref_forward(ref_net *r, const double *x, const uint8_t *y, int nb)
{
    const int L = r->L;
    double J = 0;
    memcpy(r->a[0], x, sizeof(double) * (size_t)nb * r->size[0]);
    for (int l = 1; l <= L; l++) {
        int nin = r->size[l - 1], nout = r->size[l];
        for (int n = 0; n < nb; n++)
            for (int j = 0; j < nout; j++) {
                double z = r->b[l][j];                          /* in_j = b_j + sum_i w_ji a_i */
                for (int i = 0; i < nin; i++)
                    z += r->W[l][(size_t)j * nin + i] * r->a[l - 1][(size_t)n * nin + i];
                int softmax_out = l == L && r->loss == FAST_LOSS_SOFTMAX_CE;
                r->a[l][(size_t)n * nout + j] = softmax_out ? z : ref_g(r->act, z);
            }
    }
    int nL = r->size[L];
    for (int n = 0; n < nb; n++) {
        double *a = r->a[L] + (size_t)n * nL, Jn = 0;
        if (r->loss == FAST_LOSS_SOFTMAX_CE) {
            double mx = a[0], s = 0;
            for (int j = 1; j < nL; j++) mx = fmax(mx, a[j]);
            for (int j = 0; j < nL; j++) s += exp(a[j] - mx);
            for (int j = 0; j < nL; j++) a[j] = exp(a[j] - mx) / s;
            Jn = -log(a[y[n]]);
        } else {
            for (int j = 0; j < nL; j++) {
                double e = (j == y[n]) - a[j];
                Jn += e * e;
            }
        }
        J += Jn / nb;
    }
    return J;
}

/* Backprop after ref_forward: dW, db of J. */
static void ref_backward(ref_net *r, const uint8_t *y, int nb)
{
    const int L = r->L, nL = r->size[L];
    for (int n = 0; n < nb; n++)
        for (int j = 0; j < nL; j++) {
            double a = r->a[L][(size_t)n * nL + j], t = (j == y[n]);
            r->d[L][(size_t)n * nL + j] = r->loss == FAST_LOSS_SOFTMAX_CE
                ? (a - t) / nb : -2 * (t - a) * ref_dg(r->act, a) / nb;
        }
    for (int l = L; l >= 1; l--) {
        int nin = r->size[l - 1], nout = r->size[l];
        for (int j = 0; j < nout; j++) {
            r->db[l][j] = 0;
            for (int n = 0; n < nb; n++) r->db[l][j] += r->d[l][(size_t)n * nout + j];
            for (int i = 0; i < nin; i++) {
                double s = 0;
                for (int n = 0; n < nb; n++)
                    s += r->d[l][(size_t)n * nout + j] * r->a[l - 1][(size_t)n * nin + i];
                r->dW[l][(size_t)j * nin + i] = s;
            }
        }
        if (l > 1)  /* Delta_i = g'(in_i) sum_j w_ji Delta_j */
            for (int n = 0; n < nb; n++)
                for (int i = 0; i < nin; i++) {
                    double s = 0;
                    for (int j = 0; j < nout; j++)
                        s += r->W[l][(size_t)j * nin + i] * r->d[l][(size_t)n * nout + j];
                    r->d[l - 1][(size_t)n * nin + i] = s * ref_dg(r->act, r->a[l - 1][(size_t)n * nin + i]);
                }
    }
}

/* ---------------------------------------------------------------- fixtures */

typedef struct {
    fast_net *net;
    uint8_t *img, *lab;   /* nb images of n_0 pixels, nb labels */
    double *x;            /* img / 255 in double */
    int nb;
} problem;

static void make_problem(problem *p, const int *sizes, int n, fast_act act, fast_loss loss,
                         int nb, int velocity, uint64_t seed)
{
    uint64_t rng = fast_rng_seed(seed);
    p->nb = nb;
    p->net = fast_net_new(sizes, n, act, loss, nb, velocity);
    assert_non_null(p->net);
    fast_net_init(p->net, &rng);
    for (int l = 1; l < n; l++)          /* non-zero biases exercise db */
        for (int j = 0; j < sizes[l]; j++)
            p->net->b[l][j] = 0.1f * (float)((int)(fast_rng_next(&rng) % 11) - 5);
    p->img = malloc((size_t)nb * sizes[0]);
    p->lab = malloc((size_t)nb);
    p->x = malloc(sizeof(double) * (size_t)nb * sizes[0]);
    for (int k = 0; k < nb * sizes[0]; k++) {
        p->img[k] = (uint8_t)(fast_rng_next(&rng) % 256);
        p->x[k] = (float)p->img[k] * (1.0f / 255.0f);   /* the same float the fast path sees */
    }
    for (int k = 0; k < nb; k++)
        p->lab[k] = (uint8_t)(fast_rng_next(&rng) % (uint64_t)sizes[n - 1]);
}

static void free_problem(problem *p)
{
    fast_net_free(p->net);
    free(p->img); free(p->lab); free(p->x);
}

static const int SHAPES[][5] = {{3, 4, 3, 0, 0},   {7, 5, 3, 0, 0},  {20, 17, 9, 4, 0},
                                {33, 16, 10, 0, 0}, {5, 70, 2, 0, 0}, {9, 6, 5, 4, 3},
                                {6, 130, 7, 3, 0}};   /* 130: three column blocks of layer 1 */

static int shape_len(const int *s)
{
    int n = 0;
    while (n < 5 && s[n]) n++;
    return n;
}

/* ---------------------------------------------------------------- tests */

/* The reference is right: central differences of J against ref_backward,
 * with the guard that the gradient is not all zero. */
static void test_reference_gradcheck(void **state)
{
    (void)state;
    for (int act = FAST_ACT_RELU; act <= FAST_ACT_TANH; act++)
        for (int loss = 0; loss <= 1; loss++) {
            problem p;
            int sizes[] = {6, 5, 4, 3};
            make_problem(&p, sizes, 4, (fast_act)act, (fast_loss)loss, 3, 0, 7);
            ref_net r;
            ref_from_fast(&r, p.net, p.nb);
            ref_forward(&r, p.x, p.lab, p.nb);
            ref_backward(&r, p.lab, p.nb);
            double norm = 0;
            for (int l = 1; l <= r.L; l++)
                for (int k = 0; k < r.size[l] * r.size[l - 1]; k++) {
                    double w0 = r.W[l][k], h = 1e-6;
                    r.W[l][k] = w0 + h;
                    double Jp = ref_forward(&r, p.x, p.lab, p.nb);
                    r.W[l][k] = w0 - h;
                    double Jm = ref_forward(&r, p.x, p.lab, p.nb);
                    r.W[l][k] = w0;
                    norm += fabs(r.dW[l][k]);
                    assert_close((Jp - Jm) / (2 * h), r.dW[l][k], 1e-7, 1e-5);
                }
            assert_true(norm > 1e-3);         /* the all-zero guard */
            ref_free(&r);
            free_problem(&p);
        }
}

/* forward values, J and dJ/dW, dJ/db of the fast path against the reference */
static void test_forward_backward_agree(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++)
        for (int act = FAST_ACT_RELU; act <= FAST_ACT_TANH; act++)
            for (int loss = 0; loss <= 1; loss++)
                for (int th = 1; th <= 2; th++) {
                    problem p;
                    int n = shape_len(SHAPES[s]), nb = 5 + (int)s;
                    make_problem(&p, SHAPES[s], n, (fast_act)act, (fast_loss)loss, nb, 0, 11 + s);
                    fast_net *f = p.net;
                    ref_net r;
                    ref_from_fast(&r, f, nb);
                    double J = ref_forward(&r, p.x, p.lab, nb);
                    ref_backward(&r, p.lab, nb);

                    fast_grads g;
                    memset(&g, 0, sizeof g);
                    for (int l = 1; l < n; l++) {
                        g.dwt[l] = calloc((size_t)f->size[l - 1] * f->ld[l], sizeof(float));
                        g.db[l] = calloc((size_t)f->ld[l], sizeof(float));
                    }
#pragma omp parallel num_threads(th)
                    {
                        fast_input_u8(f, p.img, (size_t)f->size[0], NULL, 0, nb);
                        fast_forward(f, nb);
                        fast_loss_grad(f, p.lab, NULL, 0, nb);
                        fast_backward(f, nb, &g, 0, 0, 0);
                    }
                    double Jf = 0;
                    for (int k = 0; k < nb; k++) Jf += f->loss_n[k];
                    assert_close(Jf / nb, J, 1e-7, 1e-5);
                    for (int l = 1; l < n; l++) {
                        double scale = 0;  /* gradients near 0 are compared to the layer's scale */
                        for (int k = 0; k < f->size[l] * f->size[l - 1]; k++)
                            scale = fmax(scale, fabs(r.dW[l][k]));
                        for (int k = 0; k < nb * f->size[l]; k++)
                            assert_close(fast_a(f, l, k / f->size[l], k % f->size[l]),
                                         r.a[l][k], 1e-6, 1e-5);
                        for (int j = 0; j < f->size[l]; j++) {
                            assert_close(g.db[l][j], r.db[l][j], 1e-5 * scale + 1e-9, 1e-5);
                            for (int i = 0; i < f->size[l - 1]; i++)
                                assert_close(g.dwt[l][(size_t)i * f->ld[l] + j],
                                             r.dW[l][(size_t)j * f->size[l - 1] + i],
                                             1e-5 * scale + 1e-9, 1e-5);
                            for (int j2 = f->size[l]; j2 < f->ld[l]; j2++)  /* padding stays 0 */
                                assert_true(g.dwt[l][j2] == 0.0f);
                        }
                        free(g.dwt[l]);
                        free(g.db[l]);
                    }
                    ref_free(&r);
                    free_problem(&p);
                }
}

/* One SGD step (rate, decay, momentum twice) equals the reference update. */
static void test_sgd_step_agrees(void **state)
{
    (void)state;
    const float alpha = 0.3f, lambda = 0.01f, mu = 0.9f;
    for (int act = FAST_ACT_RELU; act <= FAST_ACT_TANH; act++)
        for (int loss = 0; loss <= 1; loss++)
            for (int with_mu = 0; with_mu <= 1; with_mu++) {
                problem p;
                int sizes[] = {20, 17, 9, 4};
                make_problem(&p, sizes, 4, (fast_act)act, (fast_loss)loss, 6, with_mu, 99);
                fast_net *f = p.net;
                ref_net r;
                ref_from_fast(&r, f, p.nb);
                double *vW[4] = {0}, *vb[4] = {0};
                for (int l = 1; l <= 3; l++) {
                    vW[l] = calloc((size_t)sizes[l] * sizes[l - 1], sizeof(double));
                    vb[l] = calloc((size_t)sizes[l], sizeof(double));
                }
                for (int step = 0; step < 2; step++) {
                    ref_forward(&r, p.x, p.lab, p.nb);
                    ref_backward(&r, p.lab, p.nb);
                    for (int l = 1; l <= 3; l++) {
                        for (int k = 0; k < sizes[l] * sizes[l - 1]; k++) {
                            double gr = r.dW[l][k] + 2 * lambda * r.W[l][k];
                            if (with_mu) {
                                vW[l][k] = mu * vW[l][k] - alpha * gr;
                                r.W[l][k] += vW[l][k];
                            } else
                                r.W[l][k] -= alpha * gr;
                        }
                        for (int j = 0; j < sizes[l]; j++) {
                            double gr = r.db[l][j] + 2 * lambda * r.b[l][j];
                            if (with_mu) {
                                vb[l][j] = mu * vb[l][j] - alpha * gr;
                                r.b[l][j] += vb[l][j];
                            } else
                                r.b[l][j] -= alpha * gr;
                        }
                    }
#pragma omp parallel num_threads(2)
                    {
                        fast_input_u8(f, p.img, (size_t)sizes[0], NULL, 0, p.nb);
                        fast_forward(f, p.nb);
                        fast_loss_grad(f, p.lab, NULL, 0, p.nb);
                        fast_backward(f, p.nb, NULL, alpha, lambda, with_mu ? mu : 0.0f);
                    }
                }
                for (int l = 1; l <= 3; l++) {
                    for (int j = 0; j < sizes[l]; j++) {
                        assert_close(f->b[l][j], r.b[l][j], 1e-6, 1e-5);
                        for (int i = 0; i < sizes[l - 1]; i++)
                            assert_close(*fast_w(f, l, j, i), r.W[l][(size_t)j * sizes[l - 1] + i],
                                         1e-6, 1e-5);
                    }
                    free(vW[l]);
                    free(vb[l]);
                }
                ref_free(&r);
                free_problem(&p);
            }
}

/* ---------------------------------------------------------------- training */

/* A synthetic 3-class set: class c lights up block c of 4x4 images. */
static void make_set(fast_set *s, uint32_t count, uint64_t seed)
{
    uint64_t rng = fast_rng_seed(seed);
    memset(s, 0, sizeof *s);
    s->images.count = s->labels.count = count;
    s->images.rows = s->images.cols = 4;
    s->labels.rows = s->labels.cols = 1;
    s->images.data = malloc((size_t)count * 16);
    s->labels.data = malloc(count);
    assert_true(s->images.data && s->labels.data);
    for (uint32_t n = 0; n < count; n++) {
        int c = (int)(fast_rng_next(&rng) % 3);
        s->labels.data[n] = (uint8_t)c;
        for (int k = 0; k < 16; k++) {
            int hot = k / 5 == c;
            s->images.data[n * 16 + k] = (uint8_t)(hot ? 150 + fast_rng_next(&rng) % 100
                                                       : fast_rng_next(&rng) % 90);
        }
    }
}

/* The shapes trained on synthetic data: 16-12-3 (batch 8); 16-70-40-3
 * (batch 20: two blocks of layer 1, two phases per batch, several row
 * blocks and update units per layer); 16-70-3 (batch 20: two blocks, one
 * wait per batch). */
enum { SHAPE_SMALL, SHAPE_BIG, SHAPE_WIDE, TRAIN_SHAPES };
static const struct {
    int sizes[4], n, batch;
    fast_act act;
} SHAPE[TRAIN_SHAPES] = {
    [SHAPE_SMALL] = {{16, 12, 3}, 3, 8, FAST_ACT_RELU},
    [SHAPE_BIG] = {{16, 70, 40, 3}, 4, 20, FAST_ACT_TANH},
    [SHAPE_WIDE] = {{16, 70, 3}, 3, 20, FAST_ACT_TANH},
};

/* A new network of one of the shapes above (weights zero). */
static fast_net *shape_net(int shape, int with_velocity)
{
    return fast_net_new(SHAPE[shape].sizes, SHAPE[shape].n, SHAPE[shape].act,
                        FAST_LOSS_SOFTMAX_CE, SHAPE[shape].batch, with_velocity);
}

/* Train on s with the team, one of the shapes above. */
static fast_net *train_synthetic_mode(const fast_set *s, int threads, int epochs, uint64_t seed,
                                      float mu, double *acc, int shape, fast_adapt_mode mode)
{
    const int B = SHAPE[shape].batch;
    fast_net *net = shape_net(shape, mu != 0);
    uint64_t rng = fast_rng_seed(seed);
    uint32_t *idx = malloc(sizeof *idx * s->images.count);
    fast_adapt adapt;
    assert_true(net && idx);
    memset(&adapt, 0, sizeof adapt);
    adapt.mode = mode;
    fast_net_init(net, &rng);
    for (uint32_t i = 0; i < s->images.count; i++) idx[i] = i;
    fast_train_cfg cfg = {B, threads, 0.2f, 0.0001f, mu, &adapt, NULL};
    for (int e = 1; e <= epochs; e++) {
        double tl, es;
        assert_int_equal(fast_train_epoch(net, s, idx, &rng, &cfg, e, NULL, NULL, &tl, &es), FAST_OK);
        assert_true(isfinite(tl));
    }
    if (mode == FAST_ADAPT_CYCLE && threads > 1)   /* the count really changed */
        assert_true(fast_adapt_mean(&adapt) > 1.0 && fast_adapt_mean(&adapt) < threads);
    double loss;
    long conf[9];
    assert_int_equal(fast_evaluate(net, s, threads, &loss, acc, conf), FAST_OK);
    long tot = 0;
    for (int k = 0; k < 9; k++) tot += conf[k];
    assert_int_equal(tot, s->images.count);
    free(idx);
    return net;
}

static fast_net *train_synthetic(const fast_set *s, int threads, int epochs, uint64_t seed,
                                 float mu, double *acc)
{
    return train_synthetic_mode(s, threads, epochs, seed, mu, acc, SHAPE_SMALL, FAST_ADAPT_OFF);
}

static void assert_same_weights(const fast_net *a, const fast_net *b)
{
    assert_true(a->bytes == b->bytes);
    for (int l = 1; l <= a->n_layers; l++) {
        assert_memory_equal(a->wt[l], b->wt[l], sizeof(float) * (size_t)a->size[l - 1] * a->ld[l]);
        assert_memory_equal(a->b[l], b->b[l], sizeof(float) * (size_t)a->ld[l]);
    }
}

static void test_training_learns_and_is_deterministic(void **state)
{
    (void)state;
    fast_set s;
    double a1, a2, a3;
    make_set(&s, 301, 5);                     /* 301: a last, short batch */
    fast_net *n1 = train_synthetic(&s, 1, 4, 3, 0.0f, &a1);
    fast_net *n2 = train_synthetic(&s, 2, 4, 3, 0.0f, &a2);
    fast_net *n3 = train_synthetic(&s, 2, 4, 3, 0.5f, &a3);
    assert_true(a1 > 0.95);
    assert_true(a3 > 0.95);
    /* the same seed: bit-identical weights, whatever the thread count */
    assert_same_weights(n1, n2);
    fast_net_free(n1);
    fast_net_free(n2);
    fast_net_free(n3);
    fast_set_free(&s);
}

/* Threads 1, 2, 3, every thread all the time or a count that changes every
 * step, with and without momentum, two phases per batch (16-70-40-3) and
 * one (16-70-3): the same weights to the last bit, and the same as the omp
 * batch functions (fast_forward .. fast_backward) step by step. */
static void test_team_bit_identical(void **state)
{
    (void)state;
    fast_set s;
    make_set(&s, 257, 9);
    for (int shape = SHAPE_BIG; shape <= SHAPE_WIDE; shape++)
        for (int m = 0; m <= 1; m++) {
            const float mu = m ? 0.5f : 0.0f;
            double acc;
            fast_net *ref = train_synthetic_mode(&s, 1, 3, 4, mu, &acc, shape, FAST_ADAPT_OFF);
            assert_true(acc > 0.9);
            for (int threads = 1; threads <= 3; threads++)
                for (int mode = FAST_ADAPT_OFF; mode <= FAST_ADAPT_CYCLE; mode++) {
                    double a;
                    fast_net *n = train_synthetic_mode(&s, threads, 3, 4, mu, &a, shape,
                                                       (fast_adapt_mode)mode);
                    assert_same_weights(ref, n);
                    assert_true(a == acc);
                    fast_net_free(n);
                }

            /* the same three epochs through the omp batch functions on 2 threads */
            fast_net *o = shape_net(shape, m);
            const int B = SHAPE[shape].batch;
            uint64_t rng = fast_rng_seed(4);
            uint32_t idx[257];
            assert_non_null(o);
            fast_net_init(o, &rng);
            for (uint32_t i = 0; i < 257; i++) idx[i] = i;
            for (int e = 0; e < 3; e++) {
                fast_shuffle(idx, 257, &rng);
                for (size_t first = 0; first < 257; first += (size_t)B) {
                    int nb = 257 - first < (size_t)B ? (int)(257 - first) : B;
#pragma omp parallel num_threads(2)
                    {
                        fast_input_u8(o, s.images.data, 16, idx, first, nb);
                        fast_forward(o, nb);
                        fast_loss_grad(o, s.labels.data, idx, first, nb);
                        fast_backward(o, nb, NULL, 0.2f, 0.0001f, mu);
                    }
                }
            }
            assert_same_weights(ref, o);
            fast_net_free(o);
            fast_net_free(ref);
        }
    fast_set_free(&s);
}

/* Random shapes (1 to 4 weight layers, hidden layers of 1 to 150 neurons:
 * one to three column blocks of layer 1, the last one partial), batches,
 * activations, losses, decay and momentum: fast_train_epoch on 1, 2 and 3
 * threads (3 with a thread count that changes every step) gives the same
 * weights to the last bit as the omp batch functions step by step. */
static void train_omp(fast_net *o, const fast_set *s, int B, int epochs, uint64_t seed,
                      float rate, float decay, float mu)
{
    const uint32_t count = s->images.count;
    uint64_t rng = fast_rng_seed(seed);
    uint32_t *idx = malloc(sizeof *idx * count);
    assert_non_null(idx);
    fast_net_init(o, &rng);
    for (uint32_t i = 0; i < count; i++) idx[i] = i;
    for (int e = 0; e < epochs; e++) {
        fast_shuffle(idx, count, &rng);
        for (size_t first = 0; first < count; first += (size_t)B) {
            int nb = count - first < (size_t)B ? (int)(count - first) : B;
#pragma omp parallel num_threads(2)
            {
                fast_input_u8(o, s->images.data, 16, idx, first, nb);
                fast_forward(o, nb);
                fast_loss_grad(o, s->labels.data, idx, first, nb);
                fast_backward(o, nb, NULL, rate, decay, mu);
            }
        }
    }
    free(idx);
}

static void test_team_random_shapes(void **state)
{
    (void)state;
    uint64_t rng = fast_rng_seed(2026);
    for (int trial = 0; trial < 40; trial++) {
        int sizes[5] = {16}, n = 2 + (int)(fast_rng_next(&rng) % 4);
        for (int l = 1; l < n - 1; l++)
            sizes[l] = 1 + (int)(fast_rng_next(&rng) % 150);
        sizes[n - 1] = 3;
        const fast_act act = (fast_act)(fast_rng_next(&rng) % 3);
        const fast_loss loss = (fast_loss)(fast_rng_next(&rng) % FAST_LOSS_COUNT);
        const int B = 1 + (int)(fast_rng_next(&rng) % 40);
        const uint32_t count = 30 + (uint32_t)(fast_rng_next(&rng) % 170);
        const float mu = fast_rng_next(&rng) % 2 ? 0.5f : 0.0f;
        const float decay = fast_rng_next(&rng) % 2 ? 0.001f : 0.0f;
        fast_set s;
        make_set(&s, count, 100 + (uint64_t)trial);

        fast_net *ref = fast_net_new(sizes, n, act, loss, B, mu != 0);
        assert_non_null(ref);
        train_omp(ref, &s, B, 2, 7, 0.05f, decay, mu);
        for (int threads = 1; threads <= 3; threads++) {
            fast_net *net = fast_net_new(sizes, n, act, loss, B, mu != 0);
            uint64_t r = fast_rng_seed(7);
            uint32_t *idx = malloc(sizeof *idx * count);
            fast_adapt adapt;
            assert_true(net && idx);
            memset(&adapt, 0, sizeof adapt);
            adapt.mode = threads == 3 ? FAST_ADAPT_CYCLE : FAST_ADAPT_OFF;
            fast_net_init(net, &r);
            for (uint32_t i = 0; i < count; i++) idx[i] = i;
            fast_train_cfg cfg = {B, threads, 0.05f, decay, mu, &adapt, NULL};
            for (int e = 1; e <= 2; e++) {
                double tl, es;
                assert_int_equal(fast_train_epoch(net, &s, idx, &r, &cfg, e, NULL, NULL, &tl, &es),
                                 FAST_OK);
            }
            assert_same_weights(ref, net);
            free(idx);
            fast_net_free(net);
        }
        fast_net_free(ref);
        fast_set_free(&s);
    }
}

/* The team's CPUs: one per core first, whichever way the siblings are numbered. */
static void test_pick_cpus(void **state)
{
    (void)state;
    const int cpus[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    const long adjacent[8] = {0, 0, 1, 1, 2, 2, 3, 3};     /* siblings 0-1, 2-3, ... */
    const long halves[8] = {0, 1, 2, 3, 0, 1, 2, 3};       /* siblings 0-4, 1-5, ... */
    const long unknown[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
    int out[8];
    assert_int_equal(fast_team_pick_cpus(cpus, adjacent, 8, 2, out), 2);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 2);
    assert_int_equal(fast_team_pick_cpus(cpus, halves, 8, 2, out), 2);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    assert_int_equal(fast_team_pick_cpus(cpus, adjacent, 8, 6, out), 6);   /* 4 cores, then siblings */
    const int want6[6] = {0, 2, 4, 6, 1, 3};
    assert_memory_equal(out, want6, sizeof want6);
    assert_int_equal(fast_team_pick_cpus(cpus, unknown, 8, 3, out), 3);
    assert_int_equal(out[2], 2);
    assert_int_equal(fast_team_pick_cpus(cpus + 5, adjacent + 5, 3, 4, out), 3);   /* too few */
    const int want3[3] = {5, 6, 7};
    assert_memory_equal(out, want3, sizeof want3);
}

/* The probe of --peak: a positive, finite time per phase; bad arguments refused. */
static void test_team_wait_cost(void **state)
{
    (void)state;
    for (int t = 1; t <= 3; t++) {
        double s = -1.0;
        assert_int_equal(fast_team_wait_cost(t, 200, &s), FAST_OK);
        assert_true(s > 0.0 && s < 1.0);
    }
    double s = -1.0;
    assert_int_equal(fast_team_wait_cost(2, 0, &s), FAST_ERR_ARG);
    assert_int_equal(fast_team_wait_cost(0, 10, &s), FAST_ERR_ARG);
    assert_true(s == -1.0);
}

/* The cache-line probe of --peak: with two CPUs of their own, a positive
 * time per round trip (each run of 2000 trips is bounded at 1 s, so under
 * 0.5 ms); no trips, refused. Valgrind runs one thread at a time: the
 * ping-pong would only meet its time bound there. */
static void test_team_line_trip(void **state)
{
    (void)state;
    double s = -1.0;
    assert_int_equal(fast_team_line_trip(0, &s), FAST_ERR_ARG);
    assert_true(s == -1.0);
    const char *preload = getenv("LD_PRELOAD");
    if (omp_get_num_procs() < 2 || omp_get_max_threads() < 2 ||
        (preload && strstr(preload, "vgpreload")))
        skip();
    assert_int_equal(fast_team_line_trip(2000, &s), FAST_OK);
    assert_true(s > 0.0 && s < 0.5e-3);
}

/* The idle hook: called on a thread that has run out of units and waits
 * for one that has not, with that phase's step and phase; every unit still
 * runs once; a hook that returns 0 is not called again in that wait. */
enum { IDLE_STEPS = 3, IDLE_PHASES = 2, IDLE_CAP = 50 };
typedef struct {
    _Atomic int ran[IDLE_STEPS][IDLE_PHASES][2];
    _Atomic int calls, after_cap, bad;
} idle_job;

static int two_units(void *ctx, long step, int phase)
{
    (void)ctx, (void)step, (void)phase;
    return 2;
}

static void idle_unit(void *ctx, long step, int phase, int u, int thread)
{
    idle_job *j = ctx;
    (void)thread;
    if (u == 1) {                              /* the other thread waits for this one */
        const struct timespec ms2 = {0, 2000000};
        while (nanosleep(&ms2, NULL) != 0)
            ;
    }
    atomic_fetch_add(&j->ran[step][phase][u], 1);
}

static int idle_hook(void *ctx, long step, int phase, int thread)
{
    idle_job *j = ctx;
    if (step < 0 || step >= IDLE_STEPS || phase < 0 || phase >= IDLE_PHASES || thread < 0 ||
        thread > 1)
        atomic_fetch_add(&j->bad, 1);
    const int n = atomic_fetch_add(&j->calls, 1) + 1;
    if (n > IDLE_CAP + 1)                      /* called again after it said "none" */
        atomic_fetch_add(&j->after_cap, 1);
    return n <= IDLE_CAP;
}

static void test_team_idle(void **state)
{
    (void)state;
    idle_job j = {0};
    const fast_job job = {.count = two_units, .unit = idle_unit, .idle = idle_hook,
                          .ctx = &j, .steps = IDLE_STEPS, .phases = IDLE_PHASES};
    assert_int_equal(fast_team_run(&job, 2, NULL), FAST_OK);
    for (int s = 0; s < IDLE_STEPS; s++)
        for (int p = 0; p < IDLE_PHASES; p++)
            for (int u = 0; u < 2; u++)
                assert_int_equal(atomic_load(&j.ran[s][p][u]), 1);
    assert_int_equal(atomic_load(&j.bad), 0);
    if (omp_get_max_threads() >= 2)            /* a team of two really ran */
        assert_true(atomic_load(&j.calls) >= 1);
    /* once it said "none", each later wait asks it once more, no more */
    assert_true(atomic_load(&j.after_cap) <= IDLE_STEPS * IDLE_PHASES * 2);
}

/* Which threads run when other programs keep CPUs busy: only those on free
 * CPUs, when some wait in the run queue and others do not; all otherwise. */
static void test_team_spread(void **state)
{
    (void)state;
    int keep[4];
    const double one_busy[2] = {0.5, 0.0}, other_busy[2] = {0.01, 0.45};
    assert_int_equal(fast_team_spread(one_busy, 2, keep), 1);
    assert_int_equal(keep[0], 1);
    assert_int_equal(fast_team_spread(other_busy, 2, keep), 1);
    assert_int_equal(keep[0], 0);
    const double quiet[2] = {0.0, 0.015}, both_busy[2] = {0.5, 0.6}, unclear[2] = {0.1, 0.0};
    const double *all[] = {quiet, both_busy, unclear};
    for (int c = 0; c < 3; c++) {
        assert_int_equal(fast_team_spread(all[c], 2, keep), 2);
        assert_int_equal(keep[0], 0);
        assert_int_equal(keep[1], 1);
    }
    const double three[4] = {0.3, 0.0, 0.1, 0.01};   /* one busy, two free, one between */
    assert_int_equal(fast_team_spread(three, 4, keep), 2);
    assert_int_equal(keep[0], 1);
    assert_int_equal(keep[1], 3);
    /* long spins only when every CPU is free */
    assert_int_equal(fast_team_all_free(quiet, 2), 1);
    assert_int_equal(fast_team_all_free(unclear, 2), 0);
    assert_int_equal(fast_team_all_free(one_busy, 2), 0);
    assert_int_equal(fast_team_all_free(three, 4), 0);
    const double edge[2] = {0.02, 0.0}, nan_share[2] = {0.0, NAN};
    assert_int_equal(fast_team_all_free(edge, 2), 1);
    assert_int_equal(fast_team_all_free(nan_share, 2), 0);
}

/* A thread that finishes its unit early waits for the other's. While the
 * busy-CPU check last found every CPU free it spins through such a wait
 * (2 ms at most); otherwise it sleeps after 30 us. */
typedef struct {
    double unit_s;
} slow_job;

static void slow_unit(void *ctx, long step, int phase, int u, int thread)
{
    const slow_job *j = ctx;
    (void)step, (void)phase, (void)thread;
    if (u == 1) {
        const double t0 = fast_now();
        while (fast_now() - t0 < j->unit_s)
            ;
    }
}

static void test_team_spin_free(void **state)
{
    (void)state;
    const int pinned = omp_get_num_procs() >= 2 && omp_get_max_threads() >= 2 &&
                       getenv("OMP_PROC_BIND") == NULL;
    const char *preload = getenv("LD_PRELOAD");
    if (!pinned || (preload && strstr(preload, "vgpreload")))
        skip();                            /* valgrind runs one thread at a time */
    long sleeps[2] = {0, 0};
    for (int free = 0; free <= 1; free++)
        for (int run = 0; run < 10; run++) {
            slow_job j = {.unit_s = 300e-6};
            const fast_job job = {.count = two_units, .unit = slow_unit, .ctx = &j, .steps = 40,
                                  .phases = 1};
            fast_adapt ad;
            memset(&ad, 0, sizeof ad);
            ad.mode = FAST_ADAPT_OFF;
            ad.spread = (fast_spread_state){.threads = 2, .retry_s = 0.25, .free = free};
            assert_int_equal(fast_team_run(&job, 2, &ad), FAST_OK);
            if (run == 0 || (free ? ad.sleeps < sleeps[1] : ad.sleeps > sleeps[0])) sleeps[free] = ad.sleeps;
            if (free ? sleeps[1] <= 10 : sleeps[0] >= 20) break;
        }
    /* 40 waits of about 300 us: asleep in most without the finding, in
     * few with it (a wait still ends asleep when the slow thread is
     * descheduled for 2 ms). Other programs on the machine can change the
     * count both ways: they deschedule a thread (more sleeps), and the
     * team's own check of busy CPUs may park one (fewer waits) or find a
     * CPU busy (the short spin). So the best of up to ten runs (12 ms
     * each) counts: three were too few on a machine whose two CPUs had
     * five other busy programs. A team without the finding sleeps in
     * nearly every wait of every run. */
    assert_true(sleeps[0] >= 20);
    assert_true(sleeps[1] <= 10);
}

/* What the busy-CPU check found carries over to the next job in the
 * caller's fast_adapt: while its retry time lies ahead, the job starts with
 * only the threads on free CPUs (the others parked: they run no unit);
 * after it, with every thread, trying every CPU again. */
typedef struct {
    _Atomic int by[2];
} carry_job;

static void carry_unit(void *ctx, long step, int phase, int u, int thread)
{
    carry_job *j = ctx;
    (void)step, (void)phase, (void)u;
    if (thread >= 0 && thread < 2)
        atomic_fetch_add(&j->by[thread], 1);
}

static void test_team_spread_carry(void **state)
{
    (void)state;
    const int pinned = omp_get_num_procs() >= 2 && omp_get_max_threads() >= 2 &&
                       getenv("OMP_PROC_BIND") == NULL;
    for (int later = 0; later <= 1; later++) {
        carry_job j = {0};
        const fast_job job = {.count = two_units, .unit = carry_unit, .ctx = &j, .steps = 20,
                              .phases = 1};
        fast_adapt ad;
        memset(&ad, 0, sizeof ad);
        ad.mode = FAST_ADAPT_OFF;
        ad.spread = (fast_spread_state){.threads = 2, .k = 1, .cpu = {1}, .retry_s = 0.25,
                                        .retry_at = fast_now() + (later ? -1.0 : 60.0)};
        assert_int_equal(fast_team_run(&job, 2, &ad), FAST_OK);
        assert_int_equal(atomic_load(&j.by[0]) + atomic_load(&j.by[1]), 40);
        if (pinned && !later) {                /* thread 1 stayed parked */
            assert_int_equal(atomic_load(&j.by[0]), 40);
            assert_true(ad.thread_steps == ad.steps);
            assert_int_equal(ad.spread.k, 1);
        } else {                               /* every thread took part */
            assert_true(ad.thread_steps == 2 * ad.steps);
            assert_int_equal(ad.spread.k, 0);
        }
    }
}

/* Fewer threads than asked when layer 1 has fewer blocks and dominates. */
static void test_train_threads(void **state)
{
    (void)state;
    const int shapes[][5] = {{784, 64, 10}, {784, 128, 10}, {784, 100, 10}, {16, 10, 500, 500, 3},
                             {784, 10}};
    const int n[] = {3, 3, 3, 5, 2}, asked[] = {2, 2, 4, 2, 2}, want[] = {1, 2, 2, 2, 1};
    for (int k = 0; k < 5; k++) {
        fast_net *net = fast_net_new(shapes[k], n[k], FAST_ACT_RELU, FAST_LOSS_SOFTMAX_CE, 8, 0);
        assert_non_null(net);
        assert_int_equal(fast_train_threads(net, asked[k]), want[k]);
        assert_int_equal(fast_train_threads(net, 1), 1);
        fast_net_free(net);
    }
}

static void test_bad_train_args(void **state)
{
    (void)state;
    fast_set s;
    make_set(&s, 10, 1);
    int sizes[] = {15, 3};                    /* images have 16 pixels */
    fast_net *net = fast_net_new(sizes, 2, FAST_ACT_RELU, FAST_LOSS_SSE, 4, 0);
    uint32_t idx[10];
    uint64_t rng = 1;
    double tl, es;
    fast_train_cfg cfg = {4, 1, 0.1f, 0, 0, NULL, NULL};
    assert_int_equal(fast_train_epoch(net, &s, idx, &rng, &cfg, 1, NULL, NULL, &tl, &es), FAST_ERR_ARG);
    fast_net_free(net);
    fast_net_free(NULL);
    assert_null(fast_net_new(sizes, 1, FAST_ACT_RELU, FAST_LOSS_SSE, 4, 0));
    int zero[] = {4, 0};
    assert_null(fast_net_new(zero, 2, FAST_ACT_RELU, FAST_LOSS_SSE, 4, 0));
    fast_set_free(&s);
}

static void test_parse_layers(void **state)
{
    (void)state;
    int sz[FAST_MAX_LAYERS + 1], n;
    char err[256];
    assert_int_equal(fast_parse_layers("784-128-10", sz, &n, err, sizeof err), FAST_OK);
    assert_int_equal(n, 3);
    assert_int_equal(sz[1], 128);
    static const char *bad[] = {"", "784", "784-", "-3", "784--10", "784-0-10", "784-x",
                                "1-2-3-4-5-6-7-8-9-10", "784-99999999999999999999-10",
                                "784 -10", "+5-3"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        err[0] = '\0';
        assert_int_equal(fast_parse_layers(bad[k], sz, &n, err, sizeof err), FAST_ERR_ARG);
        assert_true(strlen(err) > 0);
    }
}

/* ---------------------------------------------------------------- model file */

static char tmpdir[64];

static void test_model_roundtrip_and_damage(void **state)
{
    (void)state;
    char path[128], err[512];
    problem p;
    int sizes[] = {9, 17, 4};
    make_problem(&p, sizes, 3, FAST_ACT_TANH, FAST_LOSS_SSE, 2, 0, 5);
    snprintf(path, sizeof path, "%s/m.bin", tmpdir);
    assert_int_equal(fast_model_save(p.net, path, err, sizeof err), FAST_OK);
    fast_net *q;
    assert_int_equal(fast_model_load(&q, path, 4, 1, err, sizeof err), FAST_OK);
    assert_int_equal(q->n_layers, 2);
    assert_int_equal(q->act, FAST_ACT_TANH);
    assert_int_equal(q->loss, FAST_LOSS_SSE);
    for (int l = 1; l <= 2; l++) {
        assert_memory_equal(q->wt[l], p.net->wt[l], sizeof(float) * (size_t)sizes[l - 1] * q->ld[l]);
        assert_memory_equal(q->b[l], p.net->b[l], sizeof(float) * (size_t)q->ld[l]);
    }
    fast_net_free(q);

    /* read the file, then write damaged copies */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 100 && n < sizeof buf);
    struct { size_t len; size_t flip; unsigned char val; fast_status want; const char *msg; } cases[] = {
        {0, 0, 0, FAST_ERR_FORMAT, "not an nntrace"},
        {10, (size_t)-1, 0, FAST_ERR_FORMAT, "not an nntrace"},
        {n, 0, 'X', FAST_ERR_FORMAT, "not an nntrace"},
        {n, 8, 7, FAST_ERR_FORMAT, "version"},
        {n, 12, 200, FAST_ERR_FORMAT, "layers"},
        {n, 19, 0x7f, FAST_ERR_FORMAT, "out of range"},
        {n, 16, 10, FAST_ERR_FORMAT, "header implies"},
        {n - 1, (size_t)-1, 0, FAST_ERR_FORMAT, "header implies"},
        {n, 60, 0x55, FAST_ERR_FORMAT, "checksum"},
        {n, n - 1, 0x01, FAST_ERR_FORMAT, "checksum"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        unsigned char bad[4096];
        memcpy(bad, buf, n);
        if (cases[k].flip != (size_t)-1)
            bad[cases[k].flip] ^= cases[k].val ? cases[k].val : 0xff;
        assert_int_equal(fast_write_atomic(path, bad, cases[k].len, err, sizeof err), FAST_OK);
        q = (fast_net *)1;
        fast_status st = fast_model_load(&q, path, 4, 0, err, sizeof err);
        if (st != cases[k].want || !strstr(err, cases[k].msg))
            fail_msg("case %zu: status %d, message '%s', wanted '%s'", k, st, err, cases[k].msg);
        assert_null(q);
    }
    assert_int_equal(fast_model_load(&q, "/nonexistent/m.bin", 4, 0, err, sizeof err), FAST_ERR_IO);
    /* a save into a missing folder fails cleanly */
    assert_int_equal(fast_model_save(p.net, "/nonexistent/dir/m.bin", err, sizeof err), FAST_ERR_IO);
    free_problem(&p);
}

/* ---------------------------------------------------------------- CLI */

static void write_idx_gz(const char *name, const unsigned char *hdr, size_t nh,
                         const unsigned char *data, size_t nd)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, hdr, (unsigned)nh), (int)nh);
    assert_int_equal(gzwrite(g, data, (unsigned)nd), (int)nd);
    assert_int_equal(gzclose(g), Z_OK);
}

static void write_synthetic_idx(const char *prefix, uint32_t count, uint64_t seed)
{
    fast_set s;
    char name[96];
    make_set(&s, count, seed);
    unsigned char hi[16] = {0, 0, 8, 3, 0, 0, (unsigned char)(count >> 8), (unsigned char)count,
                            0, 0, 0, 4, 0, 0, 0, 4};
    unsigned char hl[8] = {0, 0, 8, 1, 0, 0, (unsigned char)(count >> 8), (unsigned char)count};
    snprintf(name, sizeof name, "%s-images-idx3-ubyte.gz", prefix);
    write_idx_gz(name, hi, 16, s.images.data, (size_t)count * 16);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte.gz", prefix);
    write_idx_gz(name, hl, 8, s.labels.data, count);
    fast_set_free(&s);
}

static int run_cli(const char *first, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    fflush(stdout);
    return fast_mnist_main(argc, argv);
}

static void test_cli(void **state)
{
    (void)state;
    char model[128], xlsx[128], model2[128];
    write_synthetic_idx("train", 600, 1);
    write_synthetic_idx("t10k", 90, 2);
    snprintf(model, sizeof model, "%s/cli.bin", tmpdir);
    snprintf(model2, sizeof model2, "%s/nodir/cli.bin", tmpdir);
    snprintf(xlsx, sizeof xlsx, "%s/run.xlsx", tmpdir);

    assert_int_equal(run_cli("mnist", "--help", NULL), 0);
    assert_int_equal(run_cli("mnist", "--bogus", NULL), 2);
    assert_int_equal(run_cli("mnist", "--epochs", NULL), 2);
    assert_int_equal(run_cli("mnist", "--epochs", "-1", NULL), 2);
    assert_int_equal(run_cli("mnist", "--rate", "nan", NULL), 2);
    assert_int_equal(run_cli("mnist", "--act", "swish", NULL), 2);
    assert_int_equal(run_cli("mnist", "--loss", "hinge", NULL), 2);
    assert_int_equal(run_cli("mnist", "--layers", "784-x", NULL), 2);
    assert_int_equal(run_cli("mnist", "--data", "/nonexistent", "--layers", "16-3", NULL), 2);
    /* 784 inputs for 16-pixel images */
    assert_int_equal(run_cli("mnist", "--data", tmpdir, "--epochs", "1", NULL), 2);
    /* 2 classes, but labels go to 2 */
    assert_int_equal(run_cli("mnist", "--data", tmpdir, "--layers", "16-2", NULL), 2);
    assert_int_equal(run_cli("mnist", "--data", tmpdir, "--layers", "16-3",
                             "--trace-sample", "90", NULL), 2);

    assert_int_equal(run_cli("mnist", "--data", tmpdir, "--layers", "16-8-3", "--epochs", "3",
                             "--batch", "16", "--rate", "0.3", "--threads", "2", "--json",
                             "--save", model, "--xlsx", xlsx, "--trace-sample", "5", NULL), 0);
    assert_int_equal(access(model, R_OK), 0);
    assert_int_equal(access(xlsx, R_OK), 0);
    {   /* the confusion sheet carries its colour scale (unzip from Debian's zip tools) */
        char cmd[512];
        snprintf(cmd, sizeof cmd, "unzip -p '%s' 'xl/worksheets/sheet*.xml' | grep -q '<colorScale>'", xlsx);
        assert_int_equal(system(cmd), 0);
    }
    char les[128];
    snprintf(les, sizeof les, "%s/exported.lesson", tmpdir);
    assert_int_equal(run_cli("mnist", "--data", tmpdir, "--load", model, "--export-lesson", les,
                             "--export-inputs", "4", "--trace-sample", "7", NULL), 0);
    assert_int_equal(access(les, R_OK), 0);
    assert_int_equal(run_cli("mnist", "--data", tmpdir, "--load", model, "--export-lesson", les,
                             "--export-inputs", "17", NULL), 2);
    assert_int_equal(run_cli("mnist", "--data", tmpdir, "--load", model, NULL), 0);
    assert_int_equal(run_cli("mnist", "--data", tmpdir, "--load", model, "--epochs", "1",
                             "--momentum", "0.5", "--act", "tanh", NULL), 0);
    assert_int_equal(run_cli("mnist", "--data", tmpdir, "--load", xlsx, NULL), 2);
    assert_int_equal(run_cli("mnist", "--data", tmpdir, "--layers", "16-3", "--epochs", "1",
                             "--save", model2, NULL), 2);
    /* a rate that makes sse with logistic units blow up is still no crash */
    int rc = run_cli("mnist", "--data", tmpdir, "--layers", "16-3", "--epochs", "1",
                     "--loss", "sse", "--act", "relu", "--rate", "1e5", NULL);
    assert_true(rc == 0 || rc == 1);
}

static int setup(void **state)
{
    (void)state;
    return tmpdir_make(tmpdir, "fast");
}

static int teardown(void **state)
{
    (void)state;
    return tmpdir_remove(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_shapes),
        cmocka_unit_test(test_gemm_bytes),
        cmocka_unit_test(test_softmax_rows),
        cmocka_unit_test(test_gemm_dact),
        cmocka_unit_test(test_reference_gradcheck),
        cmocka_unit_test(test_forward_backward_agree),
        cmocka_unit_test(test_sgd_step_agrees),
        cmocka_unit_test(test_training_learns_and_is_deterministic),
        cmocka_unit_test(test_team_bit_identical),
        cmocka_unit_test(test_team_random_shapes),
        cmocka_unit_test(test_pick_cpus),
        cmocka_unit_test(test_team_wait_cost),
        cmocka_unit_test(test_team_line_trip),
        cmocka_unit_test(test_team_idle),
        cmocka_unit_test(test_team_spread),
        cmocka_unit_test(test_team_spread_carry),
        cmocka_unit_test(test_team_spin_free),
        cmocka_unit_test(test_train_threads),
        cmocka_unit_test(test_bad_train_args),
        cmocka_unit_test(test_parse_layers),
        cmocka_unit_test(test_model_roundtrip_and_damage),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests_name("fast", tests, setup, teardown);
}
