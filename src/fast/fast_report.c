/*
 * fast_report.c - write the run (fast_report.h) as an .xlsx workbook.
 *
 * libxlsxwriter idioms (STYLE.md): formats made once and named by role,
 * every write's lxw_error checked (the first failure is kept, with its
 * text), chart series over number cells only, one workbook_close.
 */
#include "fast_report.h"
#include "../outfile.h"
#include "fast_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

typedef struct {
    lxw_error rc;            /* first error, LXW_NO_ERROR while all is well */
} xl_state;

static void keep(xl_state *s, lxw_error rc)
{
    if (s->rc == LXW_NO_ERROR && rc != LXW_NO_ERROR)
        s->rc = rc;
}

static void num(xl_state *s, lxw_worksheet *ws, int r, int c, double v, lxw_format *f)
{
    keep(s, worksheet_write_number(ws, (lxw_row_t)r, (lxw_col_t)c, v, f));
}

static void str(xl_state *s, lxw_worksheet *ws, int r, int c, const char *v, lxw_format *f)
{
    keep(s, worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)c, v, f));
}

fast_status fast_report_xlsx(const fast_report *r, const char *path, char *err, size_t errlen)
{
    xl_state s = {LXW_NO_ERROR};
    outfile of;
    char oerr[512];
    lxw_workbook *wb;
    lxw_worksheet *run, *ep, *cf;
    lxw_format *head, *val, *pct;
    char buf[64];
    int row = 0, C = r->n_classes;

    if (outfile_open(&of, path, 0, oerr, sizeof oerr))      /* the temporary, or - */
        return fast_fail(FAST_ERR_IO, err, errlen, "%s", oerr);
    wb = workbook_new(of.tmp);
    if (!wb) {
        outfile_abort(&of);
        return fast_fail(FAST_ERR_NOMEM, err, errlen, "%s: cannot create workbook", path);
    }
    run = workbook_add_worksheet(wb, "run");
    ep = workbook_add_worksheet(wb, "epochs");
    cf = workbook_add_worksheet(wb, "confusion");
    head = workbook_add_format(wb);
    val = workbook_add_format(wb);
    pct = workbook_add_format(wb);
    if (!run || !ep || !cf || !head || !val || !pct) {
        workbook_close(wb);
        outfile_abort(&of);
        return fast_fail(FAST_ERR_XLSX, err, errlen, "%s: cannot add sheets", path);
    }
    format_set_bold(head);
    format_set_bg_color(head, LXW_COLOR_SILVER);
    format_set_num_format(val, "0.000000");
    format_set_num_format(pct, "0.00%");

    /* run */
    str(&s, run, row, 0, "setting", head); str(&s, run, row++, 1, "value", head);
    str(&s, run, row, 0, "data", NULL); str(&s, run, row++, 1, r->data, NULL);
    str(&s, run, row, 0, "layers", NULL); str(&s, run, row++, 1, r->layers, NULL);
    str(&s, run, row, 0, "activation", NULL); str(&s, run, row++, 1, r->act, NULL);
    str(&s, run, row, 0, "loss", NULL); str(&s, run, row++, 1, r->loss, NULL);
    str(&s, run, row, 0, "batch", NULL); num(&s, run, row++, 1, r->batch, NULL);
    str(&s, run, row, 0, "rate", NULL); num(&s, run, row++, 1, r->rate, NULL);
    str(&s, run, row, 0, "decay", NULL); num(&s, run, row++, 1, r->decay, NULL);
    str(&s, run, row, 0, "momentum", NULL); num(&s, run, row++, 1, r->momentum, NULL);
    snprintf(buf, sizeof buf, "%llu", r->seed);
    str(&s, run, row, 0, "seed", NULL); str(&s, run, row++, 1, buf, NULL);
    str(&s, run, row, 0, "threads", NULL); num(&s, run, row++, 1, r->threads, NULL);
    str(&s, run, row, 0, "epochs", NULL); num(&s, run, row++, 1, r->epochs, NULL);
    str(&s, run, row, 0, "test accuracy", NULL); num(&s, run, row++, 1, r->test_accuracy, pct);
    keep(&s, worksheet_set_column(run, 0, 0, 16, NULL));
    keep(&s, worksheet_set_column(run, 1, 1, 24, NULL));

    /* epochs */
    static const char *cols[] = {"epoch", "epoch_s", "samples_per_s", "train_loss",
                                 "test_loss", "test_accuracy"};
    for (int c = 0; c < 6; c++)
        str(&s, ep, 0, c, cols[c], head);
    for (int e = 0; e < r->epochs; e++) {
        const fast_epoch_row *x = &r->rows[e];
        num(&s, ep, e + 1, 0, e + 1, NULL);
        num(&s, ep, e + 1, 1, x->epoch_s, val);
        num(&s, ep, e + 1, 2, x->samples_per_s, NULL);
        num(&s, ep, e + 1, 3, x->train_loss, val);
        num(&s, ep, e + 1, 4, x->test_loss, val);
        num(&s, ep, e + 1, 5, x->test_accuracy, pct);
    }
    keep(&s, worksheet_set_column(ep, 0, 5, 14, NULL));
    worksheet_freeze_panes(ep, 1, 0);
    if (r->epochs > 0) {
        lxw_chart *ch = workbook_add_chart(wb, LXW_CHART_SCATTER_STRAIGHT_WITH_MARKERS);
        if (!ch) {
            keep(&s, LXW_ERROR_MEMORY_MALLOC_FAILED);
        } else {
            static const char *names[] = {"train loss", "test loss", "test accuracy"};
            for (int k = 0; k < 3; k++) {
                lxw_chart_series *se = chart_add_series(ch, NULL, NULL);
                if (!se) {
                    keep(&s, LXW_ERROR_MEMORY_MALLOC_FAILED);
                    break;
                }
                chart_series_set_categories(se, "epochs", 1, 0, (lxw_row_t)r->epochs, 0);
                chart_series_set_values(se, "epochs", 1, (lxw_col_t)(3 + k),
                                        (lxw_row_t)r->epochs, (lxw_col_t)(3 + k));
                chart_series_set_name(se, names[k]);
            }
            chart_title_set_name(ch, "MNIST training");
            chart_axis_set_name(ch->x_axis, "epoch");
            keep(&s, worksheet_insert_chart(ep, 1, 7, ch));
        }
    }

    /* confusion */
    if (r->confusion) {
        str(&s, cf, 0, 0, "true \\ predicted", head);
        for (int j = 0; j < C; j++)
            num(&s, cf, 0, 1 + j, j, head);
        str(&s, cf, 0, C + 1, "accuracy", head);
        for (int i = 0; i < C; i++) {
            long tot = 0;
            num(&s, cf, 1 + i, 0, i, head);
            for (int j = 0; j < C; j++) {
                num(&s, cf, 1 + i, 1 + j, (double)r->confusion[i * C + j], NULL);
                tot += r->confusion[i * C + j];
            }
            num(&s, cf, 1 + i, C + 1, tot ? (double)r->confusion[i * C + i] / (double)tot : 0,
                pct);
        }
        /* a colour scale over the counts: white (0) to green (the largest) */
        lxw_conditional_format scale;
        memset(&scale, 0, sizeof scale);
        scale.type = LXW_CONDITIONAL_2_COLOR_SCALE;
        scale.min_color = 0xFFFFFF;
        scale.max_color = 0x63BE7B;
        keep(&s, worksheet_conditional_format_range(cf, 1, 1, (lxw_row_t)C, (lxw_col_t)C, &scale));
    }

    lxw_error rc = workbook_close(wb);        /* frees wb whatever happens */
    if (s.rc == LXW_NO_ERROR)
        s.rc = rc;
    if (s.rc != LXW_NO_ERROR) {
        outfile_abort(&of);
        return fast_fail(FAST_ERR_XLSX, err, errlen, "%s: %s", path, lxw_strerror(s.rc));
    }
    if (outfile_commit(&of, oerr, sizeof oerr))
        return fast_fail(FAST_ERR_IO, err, errlen, "%s", oerr);
    return FAST_OK;
}
