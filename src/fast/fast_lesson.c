/*
 * fast_lesson.c - write a fast_net as a lesson (see fast_lesson.h).
 */
#include "fast_lesson.h"
#include "fast_model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} text;

static void put(text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    if (t->oom)
        return;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = 1;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)n + 256;
        char *nb = realloc(t->buf, cap);
        if (!nb) {
            t->oom = 1;
            return;
        }
        t->buf = nb;
        t->cap = cap;
    }
}

static const char *act_word(fast_act a) { return act_name(fast_act_kind(a)); }

fast_status fast_export_lesson(const fast_net *net, const uint8_t *image, int label, int k,
                               double rate, const char *title_note, const char *path,
                               char *err, size_t errlen)
{
    const int L = net->n_layers, n0 = net->size[0];
    fast_status st = FAST_OK;
    text t = {NULL, 0, 0, 0};
    int *keep = NULL, *order = NULL, *id0 = NULL;
    double *score = NULL;
    int ids = k;

    if (k < 1 || k > n0)
        return fast_fail(FAST_ERR_ARG, err, errlen, "export: %d inputs kept, the network has %d",
                         k, n0);
    for (int l = 1; l <= L; l++)
        ids += net->size[l];
    if (ids > 9999)
        return fast_fail(FAST_ERR_ARG, err, errlen,
                         "export: %d neurons, a lesson allows ids up to 9999; export a smaller "
                         "network such as --layers 784-16-10", ids);
    keep = calloc((size_t)n0, sizeof *keep);
    order = malloc(sizeof *order * (size_t)n0);
    score = calloc((size_t)n0, sizeof *score);
    id0 = malloc(sizeof *id0 * (size_t)(L + 1));
    if (!keep || !order || !score || !id0) {
        st = fast_fail(FAST_ERR_NOMEM, err, errlen, "export: out of memory");
        goto cleanup;
    }

    /* the k inputs with the largest sum_j |W^[1]_ji| (ties: lower index) */
    for (int i = 0; i < n0; i++) {
        order[i] = i;
        for (int j = 0; j < net->size[1]; j++)
            score[i] += fabs((double)*fast_w(net, 1, j, i));
    }
    for (int a = 0; a < k; a++) {        /* partial selection sort: k is small */
        int best = a;
        for (int b = a + 1; b < n0; b++)
            if (score[order[b]] > score[order[best]])
                best = b;
        int tmp = order[a];
        order[a] = order[best];
        order[best] = tmp;
    }
    for (int a = 0; a < k; a++)          /* keep them in pixel order */
        keep[order[a]] = 1;
    for (int i = 0, a = 0; i < n0; i++)
        if (keep[i])
            order[a++] = i;

    id0[0] = 1;
    id0[1] = 1 + k;
    for (int l = 2; l <= L; l++)
        id0[l] = id0[l - 1] + net->size[l - 1];

    put(&t, "# Written by `nntrace mnist --export-lesson`: a trained fast-path network,\n"
            "# pruned to %d of its %d inputs. The dropped inputs' contribution for this\n"
            "# example is folded into the first layer's biases, so for this example the\n"
            "# forward pass is the full network's.\n", k, n0);
    put(&t, "title   Trained MNIST network (%d", n0);
    for (int l = 1; l <= L; l++)
        put(&t, "-%d", net->size[l]);
    put(&t, ") pruned to %d inputs\n", k);
    put(&t, "source  nntrace mnist (fast path), exported\n");
    if (title_note)
        put(&t, "note    %s\n", title_note);
    put(&t, "note    Inputs are pixel/255 of the example image; the label is class %d.\n\n",
        label);
    put(&t, "input  ");
    for (int a = 0; a < k; a++)
        put(&t, " %d", 1 + a);
    put(&t, "\n");
    for (int a = 0; a < k; a++)
        put(&t, "label   %d px%d\n", 1 + a, order[a]);
    for (int l = 1; l <= L; l++) {
        const char *act = l == L && net->loss == FAST_LOSS_SOFTMAX_CE ? "softmax"
                                                                      : act_word(net->act);
        put(&t, "layer   %s", act);
        for (int j = 0; j < net->size[l]; j++)
            put(&t, " %d", id0[l] + j);
        put(&t, "\n");
    }
    for (int j = 0; j < net->size[L]; j++)
        put(&t, "label   %d d%d\n", id0[L] + j, j);
    for (int l = 1; l <= L; l++)
        for (int j = 0; j < net->size[l]; j++) {
            double b = net->b[l][j];
            if (l == 1)                  /* fold the dropped pixels of this example */
                for (int i = 0; i < n0; i++)
                    if (!keep[i])
                        b += (double)*fast_w(net, 1, j, i) * (double)((float)image[i] * (1.0f / 255.0f));
            put(&t, "weight  w_0,%d = %.9g\n", id0[l] + j, b);
            for (int i = 0; i < (l == 1 ? k : net->size[l - 1]); i++) {
                int src = l == 1 ? order[i] : i;
                put(&t, "weight  w_%d,%d = %.9g\n", id0[l - 1] + i, id0[l] + j,
                    (double)*fast_w(net, l, j, src));
            }
        }
    put(&t, "loss    %s\nrate    %.9g\nsteps   1\ndigits  4\n",
        fast_loss_name(net->loss), rate);
    put(&t, "example");
    for (int a = 0; a < k; a++)
        put(&t, " %.9g", (double)((float)image[order[a]] * (1.0f / 255.0f)));
    put(&t, " ->");
    for (int j = 0; j < net->size[L]; j++)
        put(&t, " %d", j == label);
    put(&t, "\n");

    if (t.oom) {
        st = fast_fail(FAST_ERR_NOMEM, err, errlen, "export: out of memory");
        goto cleanup;
    }
    if (t.len > FAST_LESSON_MAX_BYTES) {
        st = fast_fail(FAST_ERR_ARG, err, errlen,
                       "export: the lesson would be %zu bytes, over the 1 MiB lesson limit; "
                       "keep fewer inputs or export a smaller network (--layers 784-16-10)",
                       t.len);
        goto cleanup;
    }
    st = fast_write_atomic(path, t.buf, t.len, err, errlen);

cleanup:
    free(t.buf);
    free(keep);
    free(order);
    free(score);
    free(id0);
    return st;
}
