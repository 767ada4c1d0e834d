/*
 * fuzz_idx.c - libFuzzer harness: the IDX reader on raw and gzip bytes.
 *
 * The reader takes a path, so each input is written to a file in /dev/shm
 * (or /tmp) named after the process, then read as labels (ndim 1) and as
 * images (ndim 3). Whatever the bytes, the reader must return a status and
 * never allocate what the file cannot hold.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "fast/fast_idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[512];
    snprintf(path, sizeof path, "%s/nntrace-fuzz-idx-%ld",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    size_t wrote = fwrite(data, 1, size, f);
    if (fclose(f) != 0 || wrote != size) return 0;
    for (int ndim = 1; ndim <= 3; ndim += 2) {
        fast_idx x;
        if (fast_idx_read(&x, path, ndim, err, sizeof err) == 0) {
            size_t n = (size_t)x.count * x.rows * x.cols;
            volatile unsigned sum = 0;            /* touch every byte it claims */
            for (size_t k = 0; k < n; k++) sum += x.data[k];
            (void)sum;
        }
        fast_idx_free(&x);
    }
    return 0;
}
