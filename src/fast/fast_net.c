/*
 * fast_net.c - dense float32 layers: arena, init, forward, loss, backward.
 *
 * Layout, formulas and the threading contract are in fast_net.h. Each
 * forward/backward is a handful of fast_gemm calls with fused epilogues:
 *
 *   forward  l:  a^[l] = g(a^[l-1] . wt[l] + b^[l])       M=B, N=ld[l], K=n_{l-1}
 *   backward l:  dz^[l-1] = (dz^[l] . W^[l]) * g'(a^[l-1]) M=B, N=ld[l-1], K=n_l
 *                wt[l] -= alpha * (a^[l-1])T . dz^[l]      M=n_{l-1}, N=ld[l], K=B
 *                b^[l] -= alpha * sum_n dz^[l]_n
 */
#include "fast_net.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- rng */

uint64_t fast_rng_seed(uint64_t seed)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;          /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return z ? z : 0x9E3779B97F4A7C15ull;
}

uint64_t fast_rng_next(uint64_t *rng)
{
    uint64_t x = *rng;                                   /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* uniform in [-1, 1) with 24 random bits */
static float rng_sym(uint64_t *rng)
{
    return (float)(fast_rng_next(rng) >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

/* ---------------------------------------------------------------- layers */

fast_status fast_parse_layers(const char *text, int *sizes, int *n_sizes,
                              char *err, size_t errlen)
{
    const char *p = text;
    int n = 0;
    *n_sizes = 0;
    while (1) {
        char *end;
        long v;
        if (*p < '0' || *p > '9')
            return fast_fail(FAST_ERR_ARG, err, errlen,
                             "--layers '%s': expected sizes like 784-128-10", text);
        errno = 0;
        v = strtol(p, &end, 10);
        if (errno || v < 1 || v > FAST_MAX_SIZE)
            return fast_fail(FAST_ERR_ARG, err, errlen,
                             "--layers '%s': each size must be 1..%d", text, FAST_MAX_SIZE);
        if (n == FAST_MAX_LAYERS + 1)
            return fast_fail(FAST_ERR_ARG, err, errlen,
                             "--layers '%s': at most %d layers of weights", text,
                             FAST_MAX_LAYERS);
        sizes[n++] = (int)v;
        if (*end == '\0')
            break;
        if (*end != '-')
            return fast_fail(FAST_ERR_ARG, err, errlen,
                             "--layers '%s': expected sizes like 784-128-10", text);
        p = end + 1;
    }
    if (n < 2)
        return fast_fail(FAST_ERR_ARG, err, errlen,
                         "--layers '%s': need at least inputs and outputs", text);
    *n_sizes = n;
    return FAST_OK;
}

/* ---------------------------------------------------------------- arena */

static size_t pad_to(size_t n, size_t m) { return (n + m - 1) / m * m; }

/* Walk the arena layout: with base == NULL only counts bytes. */
static size_t arena_layout(fast_net *net, char *base)
{
    size_t off = pad_to(sizeof(fast_net), 64);
    const int L = net->n_layers;
    const size_t B = (size_t)net->batch;
    size_t scr = 0;
#define TAKE(ptr, nfloats)                                            \
    do {                                                              \
        if (base) (ptr) = (float *)(void *)(base + off);              \
        off += pad_to((size_t)(nfloats) * sizeof(float), 64);         \
    } while (0)
    for (int l = 1; l <= L; l++) {
        size_t nw = (size_t)net->size[l - 1] * net->ld[l];
        TAKE(net->wt[l], nw);
        TAKE(net->b[l], net->ld[l]);
        if (net->has_velocity) {
            TAKE(net->vwt[l], nw);
            TAKE(net->vb[l], net->ld[l]);
        }
        TAKE(net->dz[l], B * net->ld[l]);
        if ((size_t)net->size[l] * net->ld[l - 1] > scr)
            scr = (size_t)net->size[l] * net->ld[l - 1];
    }
    for (int l = 0; l <= L; l++)
        TAKE(net->a[l], B * net->ld[l]);
    TAKE(net->wscr, scr);
    TAKE(net->loss_n, B);
#undef TAKE
    return off;
}

fast_net *fast_net_new(const int *sizes, int n_sizes, fast_act act, fast_loss loss,
                       int batch, int with_velocity)
{
    fast_net tmp, *net;
    size_t bytes;

    if (n_sizes < 2 || n_sizes > FAST_MAX_LAYERS + 1 || batch < 1 || batch > 1 << 20)
        return NULL;
    memset(&tmp, 0, sizeof tmp);
    tmp.n_layers = n_sizes - 1;
    for (int l = 0; l < n_sizes; l++) {
        if (sizes[l] < 1 || sizes[l] > FAST_MAX_SIZE)
            return NULL;
        tmp.size[l] = sizes[l];
        tmp.ld[l] = (int)pad_to((size_t)sizes[l], FAST_PAD);
    }
    tmp.batch = batch;
    tmp.act = act;
    tmp.loss = loss;
    tmp.has_velocity = with_velocity != 0;
    bytes = arena_layout(&tmp, NULL);
    net = aligned_alloc(64, pad_to(bytes, 64));
    if (!net)
        return NULL;
    memset(net, 0, bytes);                 /* padding and weights start at 0 */
    *net = tmp;
    net->bytes = bytes;
    arena_layout(net, (char *)net);
    return net;
}

void fast_net_free(fast_net *net)
{
    free(net);
}

void fast_net_init(fast_net *net, uint64_t *rng)
{
    for (int l = 1; l <= net->n_layers; l++) {
        int nin = net->size[l - 1], nout = net->size[l];
        /* He uniform sqrt(6/n_in) for relu; Xavier uniform sqrt(6/(n_in+n_out)) */
        fast_act g = (l == net->n_layers && net->loss == FAST_LOSS_SOFTMAX_CE)
                         ? FAST_ACT_NONE : net->act;
        float r = g == FAST_ACT_RELU ? sqrtf(6.0f / (float)nin)
                                     : sqrtf(6.0f / (float)(nin + nout));
        for (int j = 0; j < nout; j++)          /* row of W^[l] by row: seed order */
            for (int i = 0; i < nin; i++)
                *fast_w(net, l, j, i) = r * rng_sym(rng);
        memset(net->b[l], 0, sizeof(float) * (size_t)net->ld[l]);
        if (net->has_velocity) {
            memset(net->vwt[l], 0, sizeof(float) * (size_t)nin * net->ld[l]);
            memset(net->vb[l], 0, sizeof(float) * (size_t)net->ld[l]);
        }
    }
}

/* ---------------------------------------------------------------- forward */

void fast_input_u8(fast_net *net, const uint8_t *images, size_t pixels,
                   const uint32_t *idx, size_t first, int nb)
{
    const int ld0 = net->ld[0], n0 = net->size[0];
    const float s = 1.0f / 255.0f;
#pragma omp for schedule(static)
    for (int n = 0; n < nb; n++) {
        size_t sample = idx ? idx[first + (size_t)n] : first + (size_t)n;
        const uint8_t *src = images + sample * pixels;
        float *dst = net->a[0] + (size_t)n * ld0;
        for (int i = 0; i < n0; i++)
            dst[i] = (float)src[i] * s;
        for (int i = n0; i < ld0; i++)
            dst[i] = 0.0f;
    }
}

void fast_prefetch_u8(const fast_net *net, const uint8_t *images, size_t pixels,
                      const uint32_t *idx, size_t first, int nb)
{
    (void)net;
#pragma omp for schedule(static) nowait
    for (int n = 0; n < nb; n++) {
        size_t sample = idx ? idx[first + (size_t)n] : first + (size_t)n;
        const uint8_t *src = images + sample * pixels;
        for (size_t o = 0; o < pixels; o += 64)
            __builtin_prefetch(src + o, 0, 3);
        __builtin_prefetch(src + pixels - 1, 0, 3);
    }
}

/* z^[l] = a^[l-1] W^[l]T + b^[l];  a^[l] = g(z^[l]);  shapes (B, n_l).
 * For softmax-ce the output layer stores z, then softmax per row. */
void fast_forward(fast_net *net, int nb)
{
    const int L = net->n_layers;
    for (int l = 1; l <= L; l++) {
        fast_epi e = {0};
        e.kind = FAST_EPI_BIAS_ACT;
        e.act = (l == L && net->loss == FAST_LOSS_SOFTMAX_CE) ? FAST_ACT_NONE : net->act;
        e.n_real = net->size[l];
        e.bias = net->b[l];
        fast_gemm(net->a[l], (size_t)net->ld[l], net->a[l - 1], (size_t)net->ld[l - 1], 1,
                  net->wt[l], (size_t)net->ld[l], nb, net->ld[l], net->size[l - 1], &e);
    }
    if (net->loss == FAST_LOSS_SOFTMAX_CE) {
        /* a_j = exp(z_j - max z) / sum_k exp(z_k - max z), per row */
        const int nL = net->size[L], ldL = net->ld[L];
        /* nowait: row n is only used again by fast_loss_grad's loop over the
         * same rows with the same static schedule, so by the same thread */
#pragma omp for schedule(static) nowait
        for (int n = 0; n < nb; n++) {
            float *a = net->a[L] + (size_t)n * ldL, mx = a[0], sum = 0.0f;
            for (int j = 1; j < nL; j++)
                mx = a[j] > mx ? a[j] : mx;
            for (int j = 0; j < nL; j++) {
                a[j] = expf(a[j] - mx);
                sum += a[j];
            }
            for (int j = 0; j < nL; j++)
                a[j] /= sum;
        }
    }
}

/* ---------------------------------------------------------------- loss */

/* softmax-ce: J_n = -ln a_{n,y}; dJ/dz_nj = (a_nj - [j==y]) / B
 * sse:        J_n = sum_j (y_nj - a_nj)^2; dJ/dz_nj = -2 (y_nj - a_nj) g'(a_nj) / B */
void fast_loss_grad(fast_net *net, const uint8_t *labels, const uint32_t *idx,
                    size_t first, int nb)
{
    const int L = net->n_layers, nL = net->size[L], ldL = net->ld[L];
    const float inv_b = 1.0f / (float)nb;
#pragma omp for schedule(static)
    for (int n = 0; n < nb; n++) {
        const float *a = net->a[L] + (size_t)n * ldL;
        float *dz = net->dz[L] + (size_t)n * ldL;
        const int y = labels[idx ? idx[first + (size_t)n] : first + (size_t)n];
        float J = 0.0f;
        if (net->loss == FAST_LOSS_SOFTMAX_CE) {
            float p = a[y];
            J = -logf(p > 1e-30f ? p : 1e-30f);
            for (int j = 0; j < nL; j++)
                dz[j] = (a[j] - (j == y ? 1.0f : 0.0f)) * inv_b;
        } else {
            for (int j = 0; j < nL; j++) {
                float err = (j == y ? 1.0f : 0.0f) - a[j];
                J += err * err;
                dz[j] = -2.0f * err * fast_act_deriv(net->act, a[j]) * inv_b;
            }
        }
        for (int j = nL; j < ldL; j++)
            dz[j] = 0.0f;
        net->loss_n[n] = J;
    }
}

/* ---------------------------------------------------------------- backward */

void fast_backward(fast_net *net, int nb, fast_grads *g, float alpha, float lambda, float mu)
{
    for (int l = net->n_layers; l >= 1; l--) {
        const int nin = net->size[l - 1], nout = net->size[l];
        const int ldin = net->ld[l - 1], ldout = net->ld[l];
        const float *dz = net->dz[l];

        if (l > 1) {
            /* scratch = W^[l] (n_l, ld[l-1]) from wt[l], before the update */
            float *w = net->wscr;
#pragma omp for schedule(static)
            for (int j = 0; j < nout; j++) {
                for (int i = 0; i < nin; i++)
                    w[(size_t)j * ldin + i] = net->wt[l][(size_t)i * ldout + j];
                for (int i = nin; i < ldin; i++)
                    w[(size_t)j * ldin + i] = 0.0f;
            }
            /* forward: a^[l] = g(z^[l]), z^[l] = a^[l-1] W^[l]T + b
             * so dz^[l-1] = (dz^[l] W^[l]) * g'(z^[l-1]), g' read from a^[l-1] */
            fast_epi e = {0};
            e.kind = FAST_EPI_DACT;
            e.act = net->act;
            e.n_real = nin;
            e.a = net->a[l - 1];
            e.nowait = 1;          /* the weight gradient below touches other buffers */
            fast_gemm(net->dz[l - 1], (size_t)ldin, dz, (size_t)ldout, 1, w, (size_t)ldin,
                      nb, ldin, nout, &e);
        }

        /* dJ/dW^[l]T = (a^[l-1])T dz^[l]   (n_{l-1}, ld[l]), summed over the batch */
        fast_epi e = {0};
        e.nowait = 1;              /* the bias loop below reads only dz^[l]; its barrier ends the layer */
        if (g) {
            e.kind = FAST_EPI_STORE;
            fast_gemm(g->dwt[l], (size_t)ldout, net->a[l - 1], 1, (size_t)ldin, dz,
                      (size_t)ldout, nin, ldout, nb, &e);
        } else {
            e.kind = FAST_EPI_SGD;
            e.lr = alpha;
            e.keep = 1.0f - 2.0f * alpha * lambda;
            e.mu = mu;
            e.vel = net->has_velocity ? net->vwt[l] : NULL;
            fast_gemm(net->wt[l], (size_t)ldout, net->a[l - 1], 1, (size_t)ldin, dz,
                      (size_t)ldout, nin, ldout, nb, &e);
        }

        /* dJ/db^[l]_j = sum_n dz^[l]_nj, FAST_PAD columns at a time so the
         * sum over n runs down contiguous rows in vector lanes */
        const int nblk = (nout + FAST_PAD - 1) / FAST_PAD;
#pragma omp for schedule(static)
        for (int blk = 0; blk < nblk; blk++) {
            const int j0 = blk * FAST_PAD;
            const int jn = nout - j0 < FAST_PAD ? nout - j0 : FAST_PAD;
            float s[FAST_PAD] = {0};
            for (int n = 0; n < nb; n++) {
                const float *row = dz + (size_t)n * ldout + j0;
                for (int jj = 0; jj < FAST_PAD; jj++)   /* padding columns are 0 */
                    s[jj] += row[jj];
            }
            for (int jj = 0; jj < jn; jj++) {
                const int j = j0 + jj;
                if (g) {
                    g->db[l][j] = s[jj];
                } else if (mu != 0.0f && net->has_velocity) {
                    float *vb = &net->vb[l][j];
                    *vb = mu * *vb - alpha * s[jj] - 2.0f * alpha * lambda * net->b[l][j];
                    net->b[l][j] += *vb;
                } else {
                    net->b[l][j] = (1.0f - 2.0f * alpha * lambda) * net->b[l][j] - alpha * s[jj];
                }
            }
        }
    }
}
