/*
 * fast_lesson.h - export a trained fast_net as a lesson the scalar engine
 * can trace (README "Lesson files").
 *
 * A 784-input network is far too wide to trace by hand, so the export keeps
 * only the k inputs (pixels) with the largest sum_j |W^[1]_{j,i}| and folds
 * every dropped pixel's contribution for the exported example into the
 * first layer's biases:  b'_j = b_j + sum_{i dropped} W^[1]_{j,i} x_i.
 * For that example the lesson's forward pass therefore equals the fast
 * path's (in double instead of float32); for any other input it is the
 * pruned network. Neuron ids: inputs 1..k (labelled px<pixel>), then each
 * layer in order; the output neurons are labelled d<class>.
 */
#ifndef NNTRACE_FAST_LESSON_H
#define NNTRACE_FAST_LESSON_H

#include <stdint.h>
#include "fast_net.h"

#define FAST_LESSON_MAX_BYTES (1u << 20)   /* the lesson parser's limit */

/* Write the lesson to path atomically. image: n_0 bytes (scaled by 1/255
 * as in training), label: its class; k: inputs kept, 1..n_0; rate: the
 * lesson's alpha for its one SGD step; title_note: a line for `note`. */
fast_status fast_export_lesson(const fast_net *net, const uint8_t *image, int label, int k,
                               double rate, const char *title_note, const char *path,
                               char *err, size_t errlen);

#endif
