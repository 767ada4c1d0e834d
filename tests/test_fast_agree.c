/*
 * test_fast_agree.c - the fast path agrees with the scalar engine.
 *
 * STYLE rule 12: the scalar (V, A) engine is the reference. For several
 * layer sizes, every activation the fast path has (relu, logistic, tanh) and
 * every loss (softmax-ce, sse, mse), the same network is built in both paths: a
 * fast_net with seeded weights, and a lesson written from those weights (bias
 * as the arc from neuron 0, inputs 1..n_0, then the layers). Checked, float32
 * against double:
 *   - J of the batch and every dJ/dw (engine_loss_grad): each gradient within
 *     1e-5 relative, or 1e-5 of its layer's largest gradient when it is near
 *     zero (float32 sums cancel there); the printed maximum relative
 *     difference over gradients of at least 10% of that scale is < 1e-5,
 *   - the weights after one SGD step with decay (engine_run, steps 1).
 * Synthetic data only; no download.
 */
#include "testutil.h"

#include <omp.h>
#include <unistd.h>

#include "engine.h"
#include "lesson.h"
#include "fast/fast_lesson.h"
#include "fast/fast_net.h"

typedef struct {
    char *buf;
    size_t len, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        assert_true(n >= 0);
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        b->cap = b->cap * 2 + (size_t)n + 64;
        b->buf = realloc(b->buf, b->cap);
        assert_non_null(b->buf);
    }
}

static const char *act_word(fast_act a)
{
    return a == FAST_ACT_RELU ? "relu" : a == FAST_ACT_LOGISTIC ? "logistic" : "tanh";
}

/* Neuron id of neuron j (0-based) of layer l: inputs are 1..n_0, then each
 * layer follows. */
static int neuron_id(const fast_net *f, int l, int j)
{
    int id = 1;
    for (int k = 0; k < l; k++)
        id += f->size[k];
    return id + j;
}

/* The lesson text of f, with batch nb of examples x (nb, n_0) and labels. */
static char *lesson_text(const fast_net *f, const double *x, const uint8_t *lab, int nb,
                         double rate, double decay)
{
    sbuf b = {calloc(1, 256), 0, 256};
    const int L = f->n_layers;
    sb_printf(&b, "title fast path agreement\ninput");
    for (int i = 0; i < f->size[0]; i++)
        sb_printf(&b, " %d", neuron_id(f, 0, i));
    sb_printf(&b, "\n");
    for (int l = 1; l <= L; l++) {
        const char *act = (l == L && f->loss == FAST_LOSS_SOFTMAX_CE) ? "softmax" : act_word(f->act);
        sb_printf(&b, "layer %s", act);
        for (int j = 0; j < f->size[l]; j++)
            sb_printf(&b, " %d", neuron_id(f, l, j));
        sb_printf(&b, "\n");
    }
    for (int l = 1; l <= L; l++)
        for (int j = 0; j < f->size[l]; j++) {
            sb_printf(&b, "weight w_0,%d = %.17g\n", neuron_id(f, l, j), (double)f->b[l][j]);
            for (int i = 0; i < f->size[l - 1]; i++)
                sb_printf(&b, "weight w_%d,%d = %.17g\n", neuron_id(f, l - 1, i), neuron_id(f, l, j),
                          (double)*fast_w(f, l, j, i));
        }
    sb_printf(&b, "loss %s\nrate %.17g\ndecay %.17g\nbatch %d\nsteps 1\n",
              fast_loss_name(f->loss), rate, decay, nb);
    for (int n = 0; n < nb; n++) {
        sb_printf(&b, "example");
        for (int i = 0; i < f->size[0]; i++)
            sb_printf(&b, " %.17g", x[(size_t)n * f->size[0] + i]);
        sb_printf(&b, " ->");
        for (int j = 0; j < f->size[L]; j++)
            sb_printf(&b, " %d", j == lab[n]);
        sb_printf(&b, "\n");
    }
    return b.buf;
}

static const int SHAPES[][5] = {{3, 4, 3, 0, 0}, {7, 5, 3, 0, 0}, {20, 17, 9, 4, 0},
                                {5, 33, 2, 0, 0}, {9, 6, 5, 4, 3}};

static void check_one(const int *sizes, int n, fast_act act, fast_loss loss, int nb, uint64_t seed)
{
    const float alpha = 0.25f, lambda = 0.01f;
    uint64_t rng = fast_rng_seed(seed);
    fast_net *f = fast_net_new(sizes, n, act, loss, nb, 0);
    assert_non_null(f);
    fast_net_init(f, &rng);
    for (int l = 1; l < n; l++)
        for (int j = 0; j < sizes[l]; j++)
            f->b[l][j] = 0.05f * (float)((int)(fast_rng_next(&rng) % 9) - 4);
    uint8_t *img = malloc((size_t)nb * sizes[0]), *lab = malloc((size_t)nb);
    double *x = malloc(sizeof(double) * (size_t)nb * sizes[0]);
    for (int k = 0; k < nb * sizes[0]; k++) {
        img[k] = (uint8_t)(fast_rng_next(&rng) % 256);
        x[k] = (float)img[k] * (1.0f / 255.0f);
    }
    for (int k = 0; k < nb; k++)
        lab[k] = (uint8_t)(fast_rng_next(&rng) % (uint64_t)sizes[n - 1]);

    char err[512];
    char *text = lesson_text(f, x, lab, nb, alpha, lambda);
    lesson *les = lesson_parse(text, strlen(text), "agree.lesson", err, sizeof err);
    if (!les)
        fail_msg("lesson_parse: %s", err);

    /* engine: J and dJ/dw of the first batch with the lesson's weights */
    double *w = malloc(sizeof(double) * (size_t)les->n_arcs);
    double *grad = malloc(sizeof(double) * (size_t)les->n_arcs);
    for (int a = 0; a < les->n_arcs; a++)
        w[a] = les->arcs[a].w;
    double J;
    assert_int_equal(engine_loss_grad(les, w, &J, grad), 0);

    /* fast: the same batch, gradients stored */
    fast_grads g;
    memset(&g, 0, sizeof g);
    for (int l = 1; l < n; l++) {
        g.dwt[l] = calloc((size_t)sizes[l - 1] * f->ld[l], sizeof(float));
        g.db[l] = calloc((size_t)f->ld[l], sizeof(float));
    }
#pragma omp parallel num_threads(2)
    {
        fast_input_u8(f, img, (size_t)sizes[0], NULL, 0, nb);
        fast_forward(f, nb);
        fast_loss_grad(f, lab, NULL, 0, nb);
        fast_backward(f, nb, &g, 0, 0, 0);
    }
    double Jf = 0, maxrel = 0;
    for (int k = 0; k < nb; k++)
        Jf += f->loss_n[k];
    Jf /= nb;
    assert_close(Jf, J, 1e-7, 1e-5);
    for (int l = 1; l < n; l++) {
        double scale = 0;
        for (int j = 0; j < sizes[l]; j++)
            for (int i = -1; i < sizes[l - 1]; i++) {
                int a = lesson_arc_index(les, i < 0 ? 0 : neuron_id(f, l - 1, i), neuron_id(f, l, j));
                assert_true(a >= 0);
                scale = fmax(scale, fabs(grad[a]));
            }
        for (int j = 0; j < sizes[l]; j++)
            for (int i = -1; i < sizes[l - 1]; i++) {
                int a = lesson_arc_index(les, i < 0 ? 0 : neuron_id(f, l - 1, i), neuron_id(f, l, j));
                double gf = i < 0 ? g.db[l][j] : g.dwt[l][(size_t)i * f->ld[l] + j];
                assert_close(gf, grad[a], 1e-5 * scale + 1e-9, 1e-5);
                if (fabs(grad[a]) > 0.1 * scale)   /* pure relative for the sizeable ones */
                    maxrel = fmax(maxrel, fabs(gf - grad[a]) / fabs(grad[a]));
            }
        free(g.dwt[l]);
        free(g.db[l]);
    }
    if (!(maxrel < 1e-5))
        fail_msg("max relative gradient difference %.3g (sizes %d-%d.., act %d, loss %d)", maxrel, sizes[0], sizes[1], act, loss);

    /* one SGD step with decay: engine_run vs fast_backward's fused update */
    engine_opts eo = {.round = -1};
    engine_result res;
    if (engine_run(les, &eo, &res, err, sizeof err) != 0)
        fail_msg("engine_run: %s", err);
    fast_backward(f, nb, NULL, alpha, lambda, 0.0f);   /* dz^[L] is still this batch's */
    for (int l = 1; l < n; l++)
        for (int j = 0; j < sizes[l]; j++)
            for (int i = -1; i < sizes[l - 1]; i++) {
                int a = lesson_arc_index(les, i < 0 ? 0 : neuron_id(f, l - 1, i), neuron_id(f, l, j));
                double wf = i < 0 ? f->b[l][j] : *fast_w(f, l, j, i);
                assert_close(wf, res.weights[a], 1e-6, 1e-5);
            }
    engine_result_free(&res);
    lesson_free(les);
    free(text);
    free(w);
    free(grad);
    free(img);
    free(lab);
    free(x);
    fast_net_free(f);
}

static void test_agree_with_engine(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
        int n = 0;
        while (n < 5 && SHAPES[s][n]) n++;
        for (int act = FAST_ACT_RELU; act <= FAST_ACT_TANH; act++)
            for (int loss = 0; loss < FAST_LOSS_COUNT; loss++)
                check_one(SHAPES[s], n, (fast_act)act, (fast_loss)loss, 3 + (int)s, 100 + s);
    }
}

/* --export-lesson: the pruned lesson, with the dropped inputs folded into
 * the biases, gives the engine the fast path's J for its example. */
static void test_export_lesson(void **state)
{
    (void)state;
    char dir[] = "/tmp/nntrace-export-XXXXXX", path[96], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/e.lesson", dir);
    for (int act = FAST_ACT_RELU; act <= FAST_ACT_TANH; act++)
        for (int loss = 0; loss < FAST_LOSS_COUNT; loss++) {
            int sizes[] = {30, 6, 5, 4};
            uint64_t rng = fast_rng_seed(3 + (uint64_t)act);
            fast_net *f = fast_net_new(sizes, 4, (fast_act)act, (fast_loss)loss, 1, 0);
            assert_non_null(f);
            fast_net_init(f, &rng);
            uint8_t img[30], lab = 2;
            for (int i = 0; i < 30; i++)
                img[i] = (uint8_t)(fast_rng_next(&rng) % 256);
            assert_int_equal(fast_export_lesson(f, img, lab, 5, 0.1, "test", path, err, sizeof err), FAST_OK);
            lesson *les = lesson_load(path, err, sizeof err);
            if (!les)
                fail_msg("exported lesson does not parse: %s", err);
            assert_int_equal(les->n_in, 5);
            double *w = malloc(sizeof(double) * (size_t)les->n_arcs), J;
            for (int a = 0; a < les->n_arcs; a++)
                w[a] = les->arcs[a].w;
            assert_int_equal(engine_loss_grad(les, w, &J, NULL), 0);
            fast_input_u8(f, img, 30, NULL, 0, 1);
            fast_forward(f, 1);
            fast_loss_grad(f, &lab, NULL, 0, 1);
            assert_close(f->loss_n[0], J, 1e-6, 1e-5);
            free(w);
            lesson_free(les);
            /* bad requests are statuses, not crashes */
            assert_int_equal(fast_export_lesson(f, img, lab, 0, 0.1, NULL, path, err, sizeof err), FAST_ERR_ARG);
            assert_int_equal(fast_export_lesson(f, img, lab, 31, 0.1, NULL, path, err, sizeof err), FAST_ERR_ARG);
            assert_int_equal(fast_export_lesson(f, img, lab, 5, 0.1, NULL, "/nonexistent/x.lesson", err, sizeof err), FAST_ERR_IO);
            fast_net_free(f);
        }
    /* too many neurons for lesson ids */
    int big[] = {4, 9000, 1200};
    fast_net *f = fast_net_new(big, 3, FAST_ACT_RELU, FAST_LOSS_SOFTMAX_CE, 1, 0);
    uint8_t img[4] = {1, 2, 3, 4};
    assert_non_null(f);
    assert_int_equal(fast_export_lesson(f, img, 0, 2, 0.1, NULL, path, err, sizeof err), FAST_ERR_ARG);
    assert_non_null(strstr(err, "9999"));
    fast_net_free(f);
    remove(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agree_with_engine),
        cmocka_unit_test(test_export_lesson),
    };
    return cmocka_run_group_tests_name("fast_agree", tests, NULL, NULL);
}
