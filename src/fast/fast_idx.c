/*
 * fast_idx.c - IDX reader, raw or gzip (zlib), validating before allocating.
 *
 * Layout and checks are described in fast_idx.h. The order matters: header
 * first, then the arithmetic on the sizes (in uint64_t, with overflow
 * checks), then the comparison against what the file can hold, and only then
 * the allocation of the payload.
 */
#include "fast_idx.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* ---------------------------------------------------------------- status */

const char *fast_strerror(fast_status st)
{
    switch (st) {
    case FAST_OK:         return "ok";
    case FAST_ERR_NOMEM:  return "out of memory";
    case FAST_ERR_IO:     return "input/output error";
    case FAST_ERR_FORMAT: return "malformed file";
    case FAST_ERR_ARG:    return "bad argument";
    case FAST_ERR_XLSX:   return "spreadsheet error";
    }
    return "unknown status";
}

fast_status fast_fail(fast_status st, char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* ---------------------------------------------------------------- reader */

/* Deflate cannot expand data by more than about 1032:1; anything claiming a
 * larger ratio is lying about its size. */
#define IDX_MAX_DEFLATE_RATIO 1032u

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Read exactly n bytes from g; returns the count read (< n at end/error). */
static size_t gz_read_all(gzFile g, unsigned char *dst, uint64_t n)
{
    uint64_t done = 0;
    while (done < n) {
        uint64_t left = n - done;
        unsigned chunk = left > (1u << 30) ? (1u << 30) : (unsigned)left;
        int got = gzread(g, dst + done, chunk);
        if (got <= 0)
            break;
        done += (uint64_t)got;
    }
    return (size_t)done;
}

static const char *gz_errtext(gzFile g)
{
    int zerr = 0;
    const char *msg = gzerror(g, &zerr);
    if (zerr == Z_ERRNO)
        return strerror(errno);
    return (msg && *msg) ? msg : "unexpected end of file";
}

fast_status fast_idx_read(fast_idx *out, const char *path, int ndim,
                          char *err, size_t errlen)
{
    fast_status st = FAST_OK;
    FILE *f = NULL;
    gzFile g = NULL;
    unsigned char hdr[16], tail[4], magic2[2];
    uint32_t dims[3] = {1, 1, 1};
    uint64_t filesize, hdrsize, payload, itemsize;
    int gz;
    struct stat sb;

    memset(out, 0, sizeof *out);
    if (ndim != 1 && ndim != 3)
        return fast_fail(FAST_ERR_ARG, err, errlen, "%s: internal: ndim %d", path, ndim);

    /* 1. Size and compression, from the file itself. */
    f = fopen(path, "rb");
    if (!f)
        return fast_fail(FAST_ERR_IO, err, errlen, "%s: %s", path, strerror(errno));
    if (fstat(fileno(f), &sb) != 0) {
        st = fast_fail(FAST_ERR_IO, err, errlen, "%s: %s", path, strerror(errno));
        goto cleanup;
    }
    if (!S_ISREG(sb.st_mode)) {
        st = fast_fail(FAST_ERR_IO, err, errlen, "%s: not a regular file", path);
        goto cleanup;
    }
    filesize = (uint64_t)sb.st_size;
    gz = fread(magic2, 1, 2, f) == 2 && magic2[0] == 0x1f && magic2[1] == 0x8b;
    if (gz) {
        /* gzip trailer: CRC32 then ISIZE = uncompressed size mod 2^32 */
        if (filesize < 18 || fseek(f, -4L, SEEK_END) != 0 || fread(tail, 1, 4, f) != 4) {
            st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                           "%s: truncated gzip file (%llu bytes)", path,
                           (unsigned long long)filesize);
            goto cleanup;
        }
    }
    fclose(f);
    f = NULL;

    /* 2. Header. zlib reads raw files transparently. */
    g = gzopen(path, "rb");
    if (!g) {
        st = fast_fail(FAST_ERR_IO, err, errlen, "%s: %s", path,
                       errno ? strerror(errno) : "cannot open");
        goto cleanup;
    }
    hdrsize = 4 + 4 * (uint64_t)ndim;
    if (gz_read_all(g, hdr, hdrsize) != hdrsize) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                       "%s: too short for an IDX header (%s)", path, gz_errtext(g));
        goto cleanup;
    }
    if (hdr[0] != 0 || hdr[1] != 0) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                       "%s: bad magic %02x %02x %02x %02x, not an IDX file", path,
                       hdr[0], hdr[1], hdr[2], hdr[3]);
        goto cleanup;
    }
    if (hdr[2] != 0x08) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                       "%s: IDX data type 0x%02x, expected 0x08 (unsigned byte)", path, hdr[2]);
        goto cleanup;
    }
    if (hdr[3] != ndim) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                       "%s: IDX file has %d dimensions, expected %d (%s)", path, hdr[3],
                       ndim, ndim == 3 ? "images" : "labels");
        goto cleanup;
    }
    for (int d = 0; d < ndim; d++)
        dims[d] = be32(hdr + 4 + 4 * d);
    if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: IDX header has a zero size (%u x %u x %u)",
                       path, dims[0], dims[1], dims[2]);
        goto cleanup;
    }

    /* 3. The promised payload, in 64 bits without overflow. */
    itemsize = (uint64_t)dims[1] * dims[2];            /* < 2^64 */
    if (dims[0] > UINT64_MAX / itemsize) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: IDX sizes overflow", path);
        goto cleanup;
    }
    payload = (uint64_t)dims[0] * itemsize;

    /* 4. Does the file hold exactly that? Checked before any allocation. */
    if (!gz) {
        if (filesize != hdrsize + payload) {
            st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                           "%s: header promises %u items of %llu bytes (%llu bytes of data) "
                           "but the file has %llu bytes after the %llu-byte header",
                           path, dims[0], (unsigned long long)itemsize,
                           (unsigned long long)payload,
                           (unsigned long long)(filesize - hdrsize), (unsigned long long)hdrsize);
            goto cleanup;
        }
    } else {
        uint64_t total = hdrsize + payload;
        if (payload / IDX_MAX_DEFLATE_RATIO > filesize ||
            (uint32_t)(total & 0xffffffffu) != le32(tail)) {
            st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                           "%s: header promises %u items (%llu bytes uncompressed) but the "
                           "gzip stream holds %u bytes (mod 2^32)", path, dims[0],
                           (unsigned long long)total, le32(tail));
            goto cleanup;
        }
    }
    if (payload > (uint64_t)SIZE_MAX) {
        st = fast_fail(FAST_ERR_NOMEM, err, errlen, "%s: too large for this machine", path);
        goto cleanup;
    }

    /* 5. Allocate and read; the stream must end exactly here. */
    out->data = malloc((size_t)payload);
    if (!out->data) {
        st = fast_fail(FAST_ERR_NOMEM, err, errlen, "%s: cannot allocate %llu bytes", path,
                       (unsigned long long)payload);
        goto cleanup;
    }
    if (gz_read_all(g, out->data, payload) != payload) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: truncated data (%s)", path,
                       gz_errtext(g));
        goto cleanup;
    }
    {
        unsigned char extra;
        int got = gzread(g, &extra, 1);
        if (got != 0) {
            st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: %s after the %u items", path,
                           got > 0 ? "trailing bytes" : gz_errtext(g), dims[0]);
            goto cleanup;
        }
    }
    out->count = dims[0];
    out->rows = dims[1];
    out->cols = dims[2];

cleanup:
    if (f)
        fclose(f);
    if (g && gzclose(g) != Z_OK && st == FAST_OK)
        st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: gzip stream error on close", path);
    if (st != FAST_OK) {
        free(out->data);
        memset(out, 0, sizeof *out);
    }
    return st;
}

void fast_idx_free(fast_idx *x)
{
    if (!x)
        return;
    free(x->data);
    memset(x, 0, sizeof *x);
}

/* ---------------------------------------------------------------- sets */

/* Put into buf the first existing of "<dir>/<base>" and "<dir>/<base>.gz";
 * if neither exists, the raw name (so the error names it). */
static void find_file(char *buf, size_t n, const char *dir, const char *base)
{
    struct stat sb;
    int k = snprintf(buf, n, "%s/%s", dir, base);
    if (stat(buf, &sb) == 0 || k < 0 || (size_t)k + 4 > n)
        return;
    memcpy(buf + k, ".gz", 4);
    if (stat(buf, &sb) == 0)
        return;
    buf[k] = '\0';
}

fast_status fast_set_load(fast_set *out, const char *dir, const char *prefix,
                          int n_classes, char *err, size_t errlen)
{
    char path[4096], base[64];
    fast_status st;

    memset(out, 0, sizeof *out);
    snprintf(base, sizeof base, "%s-images-idx3-ubyte", prefix);
    find_file(path, sizeof path, dir, base);
    st = fast_idx_read(&out->images, path, 3, err, errlen);
    if (st != FAST_OK)
        return st;
    snprintf(base, sizeof base, "%s-labels-idx1-ubyte", prefix);
    find_file(path, sizeof path, dir, base);
    st = fast_idx_read(&out->labels, path, 1, err, errlen);
    if (st != FAST_OK)
        goto cleanup;
    if (out->labels.count != out->images.count) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                       "%s: %u labels but the images file has %u images", path,
                       out->labels.count, out->images.count);
        goto cleanup;
    }
    for (uint32_t n = 0; n < out->labels.count; n++) {
        if (out->labels.data[n] >= n_classes) {
            st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                           "%s: label %u of item %u is not below the %d classes", path,
                           out->labels.data[n], n, n_classes);
            goto cleanup;
        }
    }
    return FAST_OK;

cleanup:
    fast_set_free(out);
    return st;
}

void fast_set_free(fast_set *s)
{
    if (!s)
        return;
    fast_idx_free(&s->images);
    fast_idx_free(&s->labels);
}
