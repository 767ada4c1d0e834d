/*
 * fast_idx.h - IDX file reader (MNIST / Fashion-MNIST), raw or gzip.
 *
 * An IDX file is a 4-byte magic 00 00 08 <ndim> (08 = unsigned byte data),
 * ndim big-endian uint32 sizes, then prod(sizes) bytes. MNIST images have
 * ndim 3 (count, rows, cols), labels ndim 1 (count). The reader accepts a
 * raw file or the same bytes gzip-compressed (detected by the 1f 8b magic),
 * and validates everything before it trusts it: the magic and type byte, the
 * dimension count, that the sizes' product fits, and that the payload the
 * header promises is exactly what the file holds. It never allocates more
 * than the file can hold: a raw file's size must match exactly; a gzip
 * file's claimed size must be within deflate's maximum ratio of its
 * compressed size, its buffer grows only as data arrives, and the final read
 * must end exactly at end of stream. A gzip file may have several members
 * (concatenated streams). A set's images and labels headers are compared
 * before either payload is read.
 */
#ifndef NNTRACE_FAST_IDX_H
#define NNTRACE_FAST_IDX_H

#include <stdint.h>
#include "fast.h"

/* One IDX array of unsigned bytes. For labels rows == cols == 1. */
typedef struct {
    uint8_t *data;      /* count*rows*cols bytes, owned; free with fast_idx_free */
    uint32_t count;     /* number of items (images or labels) */
    uint32_t rows, cols;
} fast_idx;

/* Read path into out (zeroed first). ndim must be 1 (labels) or 3 (images).
 * On error out->data is NULL and err says what is wrong with which file. */
fast_status fast_idx_read(fast_idx *out, const char *path, int ndim,
                          char *err, size_t errlen);

/* Free the data of x; x may be NULL or already freed. */
void fast_idx_free(fast_idx *x);

/* A labelled image set: images (count, rows, cols) and labels (count). */
typedef struct {
    fast_idx images, labels;
} fast_set;

/* Load "<dir>/<prefix>-images-idx3-ubyte" and "<prefix>-labels-idx1-ubyte"
 * (each raw or with ".gz"), check the counts agree and every label is below
 * n_classes. prefix is "train" or "t10k". */
fast_status fast_set_load(fast_set *out, const char *dir, const char *prefix,
                          int n_classes, char *err, size_t errlen);

void fast_set_free(fast_set *s);

/* The files fast_set_load reads for dir and prefix: the first existing of
 * each name, raw or ".gz" (the raw name when neither exists), into ipath
 * (images) and lpath (labels), each of n bytes. */
void fast_set_paths(const char *dir, const char *prefix, char *ipath, char *lpath, size_t n);

#endif
