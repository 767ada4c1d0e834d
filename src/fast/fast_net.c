/*
 * fast_net.c - dense float32 layers: arena, init, forward, loss, backward.
 *
 * Layout, formulas and the threading contract are in fast_net.h. Each
 * forward/backward is a handful of fast_gemm calls with fused epilogues:
 *
 *   forward  l:  a^[l] = g(a^[l-1] . wt[l] + b^[l])       M=B, N=ld[l], K=n_{l-1}
 *                (one product per panel of wt[l], fast_net.h)
 *   backward l:  dz^[l-1] = (dz^[l] . W^[l]) * g'(a^[l-1]) M=B, N=ld[l-1], K=n_l
 *                wt[l] -= alpha * (a^[l-1])T . dz^[l]      M=n_{l-1}, N=ld[l], K=B
 *                b^[l] -= alpha * sum_n dz^[l]_n
 */
#include "fast_net.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"

const char *const FAST_LOSS_NAMES[FAST_LOSS_COUNT] = {"softmax-ce", "sse", "mse"};

/* ---------------------------------------------------------------- rng */

uint64_t fast_rng_seed(uint64_t seed)
{
    const uint64_t z = rng_mix(seed);
    return z ? z : 0x9E3779B97F4A7C15ull;
}

uint64_t fast_rng_next(uint64_t *rng)
{
    return rng_next(rng);
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

/* Each bias vector b^[l] (and its velocity) starts a 4 KB page and fills
 * it: the threads that keep layer 1's blocks each step their block's part
 * of b^[1] every batch, and with the two halves 64 bytes apart on one page
 * each core's prefetchers kept pulling the other's lines (on its own page,
 * the 2-thread epoch was 1.2 ms faster, 12 alternating pairs, 11 faster;
 * every array on a page of its own was no faster, and slower on 1 thread). */
#define ARENA_PAGE 4096

static int by_block(const fast_net *net, int l);

/* Floats of layer l's velocity: in wt[l]'s layout, or in w[l]'s where the
 * step runs untransposed (step_untransposed). */
static size_t velocity_floats(const fast_net *net, int l)
{
    return by_block(net, l - 1) ? (size_t)net->size[l] * net->ld[l - 1]
                                : (size_t)net->size[l - 1] * net->ld[l];
}

/* Walk the arena layout: with base == NULL only counts bytes. */
static size_t arena_layout(fast_net *net, char *base)
{
    size_t off = pad_to(sizeof(fast_net), 64);
    const int L = net->n_layers;
    const size_t B = (size_t)net->batch;
#define TAKE_AT(ptr, nfloats, align)                                  \
    do {                                                              \
        off = pad_to(off, (align));                                   \
        if (base) (ptr) = (float *)(void *)(base + off);              \
        off += pad_to((size_t)(nfloats) * sizeof(float), (align));    \
    } while (0)
#define TAKE(ptr, nfloats) TAKE_AT(ptr, nfloats, 64)
    for (int l = 1; l <= L; l++) {
        size_t nw = (size_t)net->size[l - 1] * net->ld[l];
        TAKE(net->wt[l], nw);
        TAKE_AT(net->b[l], net->ld[l], ARENA_PAGE);
        if (net->has_velocity) {
            TAKE(net->vwt[l], velocity_floats(net, l));
            TAKE_AT(net->vb[l], net->ld[l], ARENA_PAGE);
        }
        TAKE(net->dz[l], B * net->ld[l]);
        if (l >= 2)
            TAKE(net->w[l], (size_t)net->size[l] * net->ld[l - 1]);
    }
    for (int l = 0; l <= L; l++)
        TAKE(net->a[l], B * net->ld[l]);
    if (L >= 2) {
        TAKE(net->parts[0], (size_t)fast_col_blocks(net) * B * net->ld[2]);
        TAKE(net->parts[1], (size_t)fast_col_blocks(net) * B * net->ld[2]);
        net->part = net->parts[0];
    }
    TAKE(net->loss_n, B);
    TAKE(net->in_tab, 256);
#undef TAKE
#undef TAKE_AT
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
    net = aligned_alloc(ARENA_PAGE, pad_to(bytes, ARENA_PAGE));
    if (!net)
        return NULL;
    memset(net, 0, bytes);                 /* padding and weights start at 0 */
    *net = tmp;
    net->bytes = bytes;
    arena_layout(net, (char *)net);
    for (int v = 0; v < 256; v++)
        net->in_tab[v] = (float)v * (1.0f / 255.0f);
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
            memset(net->vwt[l], 0, sizeof(float) * velocity_floats(net, l));
            memset(net->vb[l], 0, sizeof(float) * (size_t)net->ld[l]);
        }
    }
}

/* ---------------------------------------------------------------- units */

/* rows [*r0, *r1) of row block k */
static void block_rows(int nb, int k, int *r0, int *r1)
{
    *r0 = k * FAST_MR;
    *r1 = nb - *r0 < FAST_MR ? nb : *r0 + FAST_MR;
}

void fast_block_input(fast_net *net, const uint8_t *images, size_t pixels,
                      const uint32_t *idx, size_t first, int nb, int k)
{
    const int ld0 = net->ld[0], n0 = net->size[0];
    const float *tab = net->in_tab;
    int r0, r1;
    block_rows(nb, k, &r0, &r1);
    for (int n = r0; n < r1; n++) {
        size_t sample = idx ? idx[first + (size_t)n] : first + (size_t)n;
        const uint8_t *src = images + sample * pixels;
        float *dst = net->a[0] + (size_t)n * ld0;
        for (int i = 0; i < n0; i++)
            dst[i] = tab[src[i]];
        for (int i = n0; i < ld0; i++)
            dst[i] = 0.0f;
    }
}

void fast_prefetch_rows(const uint8_t *const *rows, size_t pixels, int r0, int r1)
{
    for (int n = r0; n < r1; n++) {
        const uint8_t *src = rows[n];
        for (size_t o = 0; o < pixels; o += 64)
            __builtin_prefetch(src + o, 0, 2);
        __builtin_prefetch(src + pixels - 1, 0, 2);
    }
}

/* Layer 1's activations and deltas (a[1], dz[1]) are stored by column
 * block when L >= 2: block b, columns 64b .. 64b+w-1 (w = its panel's
 * width), is a (batch, w) matrix of its own at 64*b*batch floats. The
 * threads that own two blocks then never write into the same rows. With
 * plain rows (512 bytes for 128 neurons, each block's 256 bytes in one
 * half) the hardware prefetcher of one core kept pulling lines of the
 * other's half, and a 64 x 16 product reading a block of a^[1] took 3.1 us
 * per call on 2 threads against 1.0 us with the blocks apart (a 2-thread
 * test program on the README's machine). When L == 1, layer 1 is the
 * output, read by rows: plain rows. */
static int by_block(const fast_net *net, int l) { return l == 1 && net->n_layers >= 2; }

/* Column j of a matrix whose columns are layer l's neurons and which has
 * `rows` rows (a[l] and dz[l]: the batch; w[l+1]: n_{l+1}): a pointer p and
 * row length *ld with element (n, j + c) at p[n * *ld + c], for c up to the
 * end of j's panel. The one place that knows the block layout. */
static float *block_col(const fast_net *net, int l, float *m, size_t rows, int j, size_t *ld)
{
    if (!by_block(net, l)) {
        *ld = (size_t)net->ld[l];
        return m + j;
    }
    const int p0 = j - j % FAST_PANEL;
    *ld = (size_t)fast_panel_width(net, l, p0);
    return m + (size_t)p0 * rows + (size_t)(j - p0);
}

/* a[l] or dz[l] (m) from column j, as block_col. */
static float *col_at(const fast_net *net, int l, float *m, int j, size_t *ld)
{
    return block_col(net, l, m, (size_t)net->batch, j, ld);
}

/* W^[l] untransposed (w[l], the delta's copy) from column i (a neuron of
 * layer l-1), as block_col: w[2] is stored by the column blocks of layer 1
 * like a[1], for the same reason (each block's thread refreshes its columns
 * every batch). */
static float *w_at(const fast_net *net, int l, int i, size_t *ld)
{
    return block_col(net, l - 1, net->w[l], (size_t)net->size[l], i, ld);
}

float fast_a(const fast_net *net, int l, int n, int j)
{
    size_t ld;
    const float *p = col_at(net, l, net->a[l], j, &ld);
    return p[(size_t)n * ld];
}

/* a^[l] (or a^[0]) read by rows, as fast_gemm_src's A. */
static fast_src by_rows(const fast_net *net, int l, const float *a)
{
    assert(!by_block(net, l));
    return (fast_src){.f = a, .ars = (size_t)net->ld[l], .acs = 1};
}

/* The batch's images as layer 1's input: a^[0]_{n,i} = in_tab[rows[n][i]];
 * trans: read as (a^[0])T, for the weight gradient. */
static fast_src images_in(const fast_net *net, const uint8_t *const *rows, int trans)
{
    return (fast_src){.rows = rows, .tab = net->in_tab, .trans = trans};
}

/* Rows [r0, r1) and columns [j0, j1) of z^[l] = a^[l-1] W^[l]T + b^[l] (a^[l-1] read from in),
 * a^[l] = g(z^[l]) (for softmax-ce the output layer keeps z: softmax_rows). */
static void layer_forward(fast_net *net, int l, const fast_src *in, int r0, int r1, int j0, int j1)
{
    const int nin = net->size[l - 1];
    fast_epi e = {0};
    e.kind = FAST_EPI_BIAS_ACT;
    e.act = (l == net->n_layers && net->loss == FAST_LOSS_SOFTMAX_CE) ? FAST_ACT_NONE : net->act;
    for (int p0 = j0 - j0 % FAST_PANEL; p0 < j1; p0 += FAST_PANEL) {   /* panel by panel */
        const int pw = fast_panel_width(net, l, p0);
        const int lo = j0 > p0 ? j0 - p0 : 0, hi = j1 < p0 + pw ? j1 - p0 : pw;
        size_t ldc;
        float *c = col_at(net, l, net->a[l], p0, &ldc);
        e.n_real = net->size[l] - p0;
        e.bias = net->b[l] + p0;
        fast_gemm_src(c, ldc, in, net->wt[l] + (size_t)p0 * nin, (size_t)pw, nin, &e, r0, r1,
                      lo, hi);
    }
}

/* softmax-ce: a_j = exp(z_j - max z) / sum_k exp(z_k - max z), rows [r0, r1) */
static void softmax_rows(fast_net *net, int r0, int r1)
{
    const int L = net->n_layers, nL = net->size[L], ldL = net->ld[L];
    if (net->loss != FAST_LOSS_SOFTMAX_CE)
        return;
    fast_softmax_rows(net->a[L] + (size_t)r0 * ldL, (size_t)ldL, r1 - r0, nL);
}

/* Layer 2's product is summed by the column blocks of layer 1 (FAST_PANEL
 * neurons each): part[b] = a^[1][:, block b] W^[2]T[block b, :] for rows
 * [r0, r1), with b^[2] added to part[0], then z^[2] = part[0] + part[1] +
 * ... in block order (second_sum). So the thread that computed a block of
 * a^[1] can also compute its share of z^[2], and a^[1] never leaves its
 * cache; only block 0's unit, which also steps b^[2], reads b^[2], so the
 * sum needs nothing that a block unit writes but the parts. Every path
 * (team, omp batch functions, evaluation) sums in the same order. */
static float *part(const fast_net *net, int b)
{
    return net->part + (size_t)b * (size_t)net->batch * (size_t)net->ld[2];
}

int fast_col_blocks(const fast_net *net) { return (net->ld[1] + FAST_PANEL - 1) / FAST_PANEL; }

/* A view's own memory: a^[2] and dz^[2] (batch, ld[2]) each, then J_n,
 * each from a 64-byte line. */
static size_t view_rows_floats(const fast_net *net)
{
    return pad_to((size_t)net->batch * (size_t)net->ld[2], 16);
}

size_t fast_view_floats(const fast_net *net)
{
    return 2 * view_rows_floats(net) + pad_to((size_t)net->batch, 16);
}

void fast_net_view(const fast_net *net, fast_net *view, float *own)
{
    assert(net->n_layers == 2);
    const size_t rows = view_rows_floats(net);
    *view = *net;
    view->a[2] = own;
    view->dz[2] = own + rows;
    view->loss_n = own + 2 * rows;
}

void fast_view_parts(fast_net *view, int buf)
{
    assert(buf == 0 || buf == 1);
    view->part = view->parts[buf];
}

/* The columns [*j0, *j1) of layer 1 in block b. */
static void col_range(const fast_net *net, int b, int *j0, int *j1)
{
    *j0 = b * FAST_PANEL;
    *j1 = net->ld[1] - *j0 < FAST_PANEL ? net->ld[1] : *j0 + FAST_PANEL;
}

static void second_part(fast_net *net, int b, int r0, int r1)
{
    const int n1 = net->size[1], ld2 = net->ld[2];
    int i0, i1;
    col_range(net, b, &i0, &i1);
    if (i1 > n1)
        i1 = n1;                               /* padding columns of a^[1] are 0 anyway */
    fast_epi e = {0};
    e.kind = b == 0 ? FAST_EPI_BIAS_ACT : FAST_EPI_STORE;
    e.act = FAST_ACT_NONE;
    size_t lda;
    const float *a1 = col_at(net, 1, net->a[1], i0, &lda);
    for (int p0 = 0; p0 < ld2; p0 += FAST_PANEL) {
        const int pw = fast_panel_width(net, 2, p0);
        e.n_real = net->size[2] - p0;
        e.bias = net->b[2] + p0;
        fast_gemm_block(part(net, b) + p0, (size_t)ld2, a1, lda, 1,
                        net->wt[2] + (size_t)p0 * n1 + (size_t)i0 * pw, (size_t)pw, i1 - i0,
                        &e, r0, r1, 0, pw);
    }
}

static void second_sum(fast_net *net, int r0, int r1)
{
    const int nblk = fast_col_blocks(net), n2 = net->size[2], ld2 = net->ld[2];
    const fast_act act = (net->n_layers == 2 && net->loss == FAST_LOSS_SOFTMAX_CE)
                             ? FAST_ACT_NONE : net->act;
    for (int n = r0; n < r1; n++) {      /* whole padded rows, for the vector units */
        float *restrict a = net->a[2] + (size_t)n * ld2;
        const size_t row = (size_t)n * ld2;
        const float *restrict p0 = part(net, 0) + row;
        for (int j = 0; j < ld2; j++)
            a[j] = p0[j];
        for (int b = 1; b < nblk; b++) {
            const float *restrict p = part(net, b) + row;
            for (int j = 0; j < ld2; j++)
                a[j] += p[j];
        }
        if (act != FAST_ACT_NONE)
            for (int j = 0; j < n2; j++)
                a[j] = fast_act_apply(act, a[j]);
        for (int j = n2; j < ld2; j++)
            a[j] = 0.0f;
    }
}

/* z^[l] = a^[l-1] W^[l]T + b^[l];  a^[l] = g(z^[l]);  shapes (B, n_l). */
void fast_block_forward(fast_net *net, int nb, int k)
{
    int r0, r1;
    block_rows(nb, k, &r0, &r1);
    const fast_src in = by_rows(net, 0, net->a[0]);
    layer_forward(net, 1, &in, r0, r1, 0, net->ld[1]);
    if (net->n_layers >= 2)
        for (int b = 0; b < fast_col_blocks(net); b++)
            second_part(net, b, r0, r1);
    fast_block_rest(net, nb, k);
}

void fast_col_first(fast_net *net, const uint8_t *const *rows, int nb, int b)
{
    int j0, j1;
    col_range(net, b, &j0, &j1);
    const fast_src in = images_in(net, rows, 0);
    layer_forward(net, 1, &in, 0, nb, j0, j1);
    if (net->n_layers >= 2)
        second_part(net, b, 0, nb);
}

void fast_block_rest(fast_net *net, int nb, int k)
{
    int r0, r1;
    block_rows(nb, k, &r0, &r1);
    if (net->n_layers >= 2)
        second_sum(net, r0, r1);
    for (int l = 3; l <= net->n_layers; l++) {
        const fast_src in = by_rows(net, l - 1, net->a[l - 1]);
        layer_forward(net, l, &in, r0, r1, 0, net->ld[l]);
    }
    softmax_rows(net, r0, r1);
}

/* softmax-ce: J_n = -ln a_{n,y}; dJ/dz_nj = (a_nj - [j==y]) / B
 * sse:        J_n = sum_j (y_nj - a_nj)^2; dJ/dz_nj = -2 (y_nj - a_nj) g'(a_nj) / B
 * mse:        sse's J_n and dJ/dz_nj times 1/n_L (the mean over the outputs) */
void fast_block_loss(fast_net *net, const uint8_t *labels, const uint32_t *idx,
                     size_t first, int nb, int k)
{
    const int L = net->n_layers, nL = net->size[L], ldL = net->ld[L];
    const float inv_b = 1.0f / (float)nb;
    const float inv_n = net->loss == FAST_LOSS_MSE ? 1.0f / (float)nL : 1.0f;
    int r0, r1;
    block_rows(nb, k, &r0, &r1);
    for (int n = r0; n < r1; n++) {
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
                dz[j] = -2.0f * err * fast_act_deriv(net->act, a[j]) * inv_b * inv_n;
            }
            J *= inv_n;
        }
        for (int j = nL; j < ldL; j++)
            dz[j] = 0.0f;
        net->loss_n[n] = J;
    }
}

/* forward: a^[l] = g(z^[l]), z^[l] = a^[l-1] W^[l]T + b
 * so dz^[l-1] = (dz^[l] W^[l]) * g'(z^[l-1]), g' read from a^[l-1];
 * rows [r0, r1), columns [j0, j1) of dz^[l-1] (the sum over the neurons of
 * layer l runs in the same order for any block) */
static void layer_delta(fast_net *net, int l, int r0, int r1, int j0, int j1)
{
    fast_epi e = {0};
    e.kind = FAST_EPI_DACT;
    e.act = net->act;
    for (int p0 = j0 - j0 % FAST_PANEL; p0 < j1; p0 += FAST_PANEL) {   /* panel by panel */
        const int pw = fast_panel_width(net, l - 1, p0);
        const int lo = j0 > p0 ? j0 - p0 : 0, hi = j1 < p0 + pw ? j1 - p0 : pw;
        size_t ldc, lda;
        float *c = col_at(net, l - 1, net->dz[l - 1], p0, &ldc);
        e.a = col_at(net, l - 1, net->a[l - 1], p0, &lda);
        size_t ldb;
        const float *w = w_at(net, l, p0, &ldb);
        e.n_real = net->size[l - 1] - p0;
        fast_gemm_block(c, ldc, net->dz[l], (size_t)net->ld[l], 1, w, ldb, net->size[l], &e,
                        r0, r1, lo, hi);
    }
}

void fast_block_delta(fast_net *net, int nb, int k, int lo)
{
    int r0, r1;
    block_rows(nb, k, &r0, &r1);
    for (int l = net->n_layers; l >= lo && l >= 2; l--)
        layer_delta(net, l, r0, r1, 0, net->ld[l - 1]);
}

/* An update unit is UNIT_ROWS rows of wt[l] (inputs i) by FAST_PANEL
 * columns (neurons j, one panel), numbered layer by layer, column block
 * major. */
#define UNIT_ROWS (16 * FAST_MR)

/* Rows of wt[l] per update unit: a block of layer 1 for layer 2, so that
 * a unit's rows of a^[1] are one matrix. */
static int unit_rows(const fast_net *net, int l) { return by_block(net, l - 1) ? FAST_PANEL : UNIT_ROWS; }

int fast_layer_units(const fast_net *net, int l)
{
    const int rows = unit_rows(net, l);
    return (net->size[l - 1] + rows - 1) / rows * ((net->ld[l] + FAST_PANEL - 1) / FAST_PANEL);
}

int fast_update_units(const fast_net *net)
{
    int total = 0;
    for (int l = 1; l <= net->n_layers; l++)
        total += fast_layer_units(net, l);
    return total;
}

/* Rows [m0, m1) and columns [j0, j1) (within one panel) of layer l's step;
 * a^[l-1] from net->a, or for l == 1 from the images `rows` when given. */
static void update_rect(fast_net *net, int l, const uint8_t *const *rows, int nb, int m0,
                        int m1, int j0, int j1, fast_grads *g, float alpha, float lambda,
                        float mu);

void fast_update_unit(fast_net *net, int nb, int u, fast_grads *g, float alpha, float lambda,
                      float mu)
{
    int l = 1, nu;
    while ((nu = fast_layer_units(net, l)) <= u) {
        u -= nu;
        l++;
    }
    const int nin = net->size[l - 1], ldout = net->ld[l], rows = unit_rows(net, l);
    const int nrow = (nin + rows - 1) / rows;
    const int m0 = (u % nrow) * rows, j0 = (u / nrow) * FAST_PANEL;
    update_rect(net, l, NULL, nb, m0,
                nin - m0 < rows ? nin : m0 + rows, j0,
                ldout - j0 < FAST_PANEL ? ldout : j0 + FAST_PANEL, g, alpha, lambda, mu);
}

/* A block's W^[1] is stepped in COL_CHUNKS chunks of rows (fast_train.c
 * brings a third of the next batch's images into the cache before each):
 * on 2 threads, 784-128-10 was 0.9 ms per epoch faster in three chunks of
 * 264 rows than in nine of 96 (12 alternating pairs, 9 faster; one thread
 * 0.9 ms), and slower again in one. Chunks are whole register tiles. */
#define COL_CHUNKS 3

static int col_chunk_rows(const fast_net *net)
{
    const int rows = (net->size[0] + COL_CHUNKS - 1) / COL_CHUNKS;
    return (rows + FAST_MR - 1) / FAST_MR * FAST_MR;
}

int fast_col_chunks(const fast_net *net)
{
    const int rows = col_chunk_rows(net);
    return (net->size[0] + rows - 1) / rows;
}

void fast_col_delta(fast_net *net, int nb, int b, float alpha, float lambda, float mu)
{
    if (net->n_layers < 2)
        return;
    int j0, j1;
    col_range(net, b, &j0, &j1);
    const int n1 = net->size[1];
    layer_delta(net, 2, 0, nb, j0, j1);        /* dz^[1] of the block, with W^[2] before the step */
    for (int p0 = 0; p0 < net->ld[2]; p0 += FAST_PANEL)         /* W^[2]'s columns of the block */
        update_rect(net, 2, NULL, nb, j0, j1 < n1 ? j1 : n1, p0,
                    p0 + fast_panel_width(net, 2, p0), NULL, alpha, lambda, mu);
}

void fast_col_backward(fast_net *net, const uint8_t *const *rows, int nb, int b, int chunk,
                       float alpha, float lambda, float mu)
{
    int j0, j1;
    col_range(net, b, &j0, &j1);
    const int n0 = net->size[0], cr = col_chunk_rows(net), m0 = chunk * cr;
    update_rect(net, 1, rows, nb, m0, n0 - m0 < cr ? n0 : m0 + cr,
                j0, j1, NULL, alpha, lambda, mu);
}

/* W^[l]'s inputs m0..m1-1 (one block of w[l]'s columns) by neurons
 * j0..j1-1 (one panel of wt[l]; those below n_l) copied from wt[l] into
 * the delta's copy w[l], or with to_wt the other way. */
static void copy_w(fast_net *net, int l, int m0, int m1, int j0, int j1, int to_wt)
{
    size_t ldw;
    float *w = w_at(net, l, m0, &ldw);
    const size_t pw = (size_t)fast_panel_width(net, l, j0);
    for (int j = j0; j < j1 && j < net->size[l]; j++) {
        float *wt = fast_w(net, l, j, m0), *row = w + (size_t)j * ldw;
        for (int i = 0; i < m1 - m0; i++) {
            if (to_wt)
                wt[(size_t)i * pw] = row[i];
            else
                row[i] = wt[(size_t)i * pw];
        }
    }
}

/* The SGD step of W^[l] where a^[l-1] is stored by column blocks (l == 2,
 * L >= 2), for rows m0..m1-1 of W^[l]T (one block of layer l-1) and columns
 * j0..j1-1 (one panel): computed untransposed, W^[l] = epi(dz^[l]T a^[l-1])
 * into w[l]'s block, neurons j as rows (10 at 784-128-10) and the block's
 * FAST_PANEL inputs as columns, so the kernel's tiles are its widest (24
 * accumulators, not 6 for 16 columns of W^[l]T); each dJ/dW sums the same
 * products over the batch in the same order, so the weights are those of
 * the transposed step to the last bit. Then wt[l] from w[l]. The velocity
 * of this layer is in w[l]'s layout. (784-128-10: a block's dz^[1] and
 * W^[2] step took 1.49 us per batch, not 1.87, in a warm loop on one CPU.) */
static void step_untransposed(fast_net *net, int l, int nb, int m0, int m1, int j0, int j1,
                              fast_epi *e)
{
    const int nout = net->size[l], jr = j1 < nout ? j1 : nout;
    size_t ldw, lda, ldd = (size_t)net->ld[l];
    float *w = w_at(net, l, m0, &ldw);
    const float *a = col_at(net, l - 1, net->a[l - 1], m0, &lda);
    const int width = (int)pad_to((size_t)(m1 - m0), FAST_PAD);
    e->vel = net->has_velocity ? net->vwt[l] + (w - net->w[l]) : NULL;
    fast_gemm_block(w, ldw, net->dz[l], 1, ldd, a, lda, nb, e, j0, jr, 0, width);
    copy_w(net, l, m0, m1, j0, j1, 1);
}

static void update_rect(fast_net *net, int l, const uint8_t *const *rows, int nb, int m0,
                        int m1, int j0, int j1, fast_grads *g, float alpha, float lambda,
                        float mu)
{
    const float *in = net->a[l - 1];
    const int nin = net->size[l - 1], nout = net->size[l];
    size_t acs = (size_t)net->ld[l - 1], lddz;
    /* A = (a^[l-1])T, read from row m0's column; dz^[l] from column j0 */
    if (by_block(net, l - 1)) {                /* l == 2: in is a[1] */
        assert(m0 / FAST_PANEL == (m1 - 1) / FAST_PANEL);   /* one block of a^[1] */
        in = col_at(net, l - 1, net->a[l - 1], m0, &acs) - m0;
    }
    const float *dz = col_at(net, l, net->dz[l], j0, &lddz);
    const fast_src a = rows ? images_in(net, rows, 1) : (fast_src){.f = in, .ars = 1, .acs = acs};

    /* dJ/dW^[l]T = (a^[l-1])T dz^[l]   (n_{l-1}, ld[l]), summed over the batch;
     * columns j0..j1-1 are one whole panel of wt[l] */
    const size_t panel = (size_t)j0 * nin;
    fast_epi e = {0};
    if (g) {
        e.kind = FAST_EPI_STORE;
        fast_gemm_src(g->dwt[l] + j0, (size_t)net->ld[l], &a, dz, lddz, nb, &e, m0, m1, 0,
                      j1 - j0);
    } else {
        e.kind = FAST_EPI_SGD;
        e.lr = alpha;
        e.keep = 1.0f - 2.0f * alpha * lambda;
        e.mu = mu;
        if (by_block(net, l - 1)) {
            step_untransposed(net, l, nb, m0, m1, j0, j1, &e);
        } else {
            e.vel = net->has_velocity ? net->vwt[l] + panel : NULL;
            fast_gemm_src(net->wt[l] + panel, (size_t)(j1 - j0), &a, dz, lddz, nb, &e, m0, m1,
                          0, j1 - j0);
            if (l >= 2)                    /* keep w[l] = W^[l] for the next delta */
                copy_w(net, l, m0, m1, j0, j1, 0);
        }
    }

    /* dJ/db^[l]_j = sum_n dz^[l]_nj, by the unit of the first rows, FAST_PAD
     * columns at a time so the sum over n runs down rows in vector lanes */
    if (m0 != 0)
        return;
    for (int jb = j0; jb < j1 && jb < nout; jb += FAST_PAD) {
        const int jn = nout - jb < FAST_PAD ? nout - jb : FAST_PAD;
        float s[FAST_PAD] = {0};
        for (int n = 0; n < nb; n++) {
            const float *row = dz + (size_t)n * lddz + (jb - j0);
            for (int jj = 0; jj < FAST_PAD; jj++)   /* padding columns are 0 */
                s[jj] += row[jj];
        }
        for (int jj = 0; jj < jn; jj++) {
            const int j = jb + jj;
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

void fast_net_sync_w(fast_net *net)
{
    for (int l = 2; l <= net->n_layers; l++) {
        const int nin = net->size[l - 1], nout = net->size[l], ldin = net->ld[l - 1];
        for (int i = 0; i < ldin; i++) {
            size_t ldw;
            float *w = w_at(net, l, i, &ldw);
            for (int j = 0; j < nout; j++)
                w[(size_t)j * ldw] = i < nin ? *fast_w(net, l, j, i) : 0.0f;
        }
    }
}

/* ---------------------------------------------------------------- batches */

void fast_input_u8(fast_net *net, const uint8_t *images, size_t pixels,
                   const uint32_t *idx, size_t first, int nb)
{
#pragma omp for schedule(static)
    for (int k = 0; k < fast_row_blocks(nb); k++)
        fast_block_input(net, images, pixels, idx, first, nb, k);
}

void fast_forward(fast_net *net, int nb)
{
#pragma omp for schedule(static)
    for (int k = 0; k < fast_row_blocks(nb); k++)
        fast_block_forward(net, nb, k);
}

void fast_loss_grad(fast_net *net, const uint8_t *labels, const uint32_t *idx,
                    size_t first, int nb)
{
#pragma omp for schedule(static)
    for (int k = 0; k < fast_row_blocks(nb); k++)
        fast_block_loss(net, labels, idx, first, nb, k);
}

void fast_backward(fast_net *net, int nb, fast_grads *g, float alpha, float lambda, float mu)
{
#pragma omp single
    fast_net_sync_w(net);
#pragma omp for schedule(static)
    for (int k = 0; k < fast_row_blocks(nb); k++)
        fast_block_delta(net, nb, k, 2);
#pragma omp for schedule(static)
    for (int u = 0; u < fast_update_units(net); u++)
        fast_update_unit(net, nb, u, g, alpha, lambda, mu);
}
