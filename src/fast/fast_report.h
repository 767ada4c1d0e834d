/*
 * fast_report.h - the MNIST run as a spreadsheet (libxlsxwriter).
 *
 * Sheets: "run" (configuration and final numbers), "epochs" (one row per
 * epoch with a line chart of loss and accuracy) and "confusion" (counts,
 * row = true class, column = predicted, plus per-class accuracy). Written to
 * a temporary file in the target folder and renamed into place.
 */
#ifndef NNTRACE_FAST_REPORT_H
#define NNTRACE_FAST_REPORT_H

#include "fast.h"

typedef struct {
    double epoch_s, samples_per_s, train_loss, test_loss, test_accuracy;
} fast_epoch_row;

typedef struct {
    const char *layers, *act, *loss, *data;   /* as given on the command line */
    int batch, threads, epochs;
    double rate, decay, momentum;
    unsigned long long seed;
    int n_classes;
    const fast_epoch_row *rows;               /* epochs rows */
    const long *confusion;                    /* n_classes^2 or NULL */
    double test_accuracy;
} fast_report;

fast_status fast_report_xlsx(const fast_report *r, const char *path, char *err, size_t errlen);

#endif
