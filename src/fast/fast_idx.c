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

/* An IDX file whose header has been read and checked, open on its payload. */
typedef struct {
    gzFile g;
    uint32_t dims[3];
    uint64_t payload;      /* bytes the header promises after itself */
} idx_head;

static void idx_head_close(idx_head *h)
{
    if (h->g)
        gzclose(h->g);
    h->g = NULL;
}

/* Steps 1 to 4: open path, read and check its header against the file.
 * Nothing is allocated but zlib's stream state. */
static fast_status idx_open_head(idx_head *h, const char *path, int ndim, char *err, size_t errlen)
{
    fast_status st = FAST_OK;
    FILE *f = NULL;
    unsigned char hdr[16], magic2[2];
    uint64_t filesize, hdrsize, itemsize;
    int gz;
    struct stat sb;

    memset(h, 0, sizeof *h);
    h->dims[0] = h->dims[1] = h->dims[2] = 1;
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
    if (gz && filesize < 18) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: truncated gzip file (%llu bytes)", path,
                       (unsigned long long)filesize);
        goto cleanup;
    }
    fclose(f);
    f = NULL;

    /* 2. Header. zlib reads raw files transparently, and a gzip file of
     * several members (concatenated streams) as one. */
    h->g = gzopen(path, "rb");
    if (!h->g) {
        st = fast_fail(FAST_ERR_IO, err, errlen, "%s: %s", path,
                       errno ? strerror(errno) : "cannot open");
        goto cleanup;
    }
    hdrsize = 4 + 4 * (uint64_t)ndim;
    if (gz_read_all(h->g, hdr, hdrsize) != hdrsize) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                       "%s: too short for an IDX header (%s)", path, gz_errtext(h->g));
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
        h->dims[d] = be32(hdr + 4 + 4 * d);
    if (h->dims[0] == 0 || h->dims[1] == 0 || h->dims[2] == 0) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: IDX header has a zero size (%u x %u x %u)",
                       path, h->dims[0], h->dims[1], h->dims[2]);
        goto cleanup;
    }

    /* 3. The promised payload, in 64 bits without overflow. */
    itemsize = (uint64_t)h->dims[1] * h->dims[2];            /* < 2^64 */
    if (h->dims[0] > UINT64_MAX / itemsize) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: IDX sizes overflow", path);
        goto cleanup;
    }
    h->payload = (uint64_t)h->dims[0] * itemsize;

    /* 4. Can the file hold exactly that? Checked before any allocation. A
     * gzip file's ISIZE trailer describes only its last member, so a
     * compressed claim is bounded by deflate's ratio here, and the reading
     * (idx_read_body) grows its buffer only as data really arrives. */
    if (!gz) {
        if (filesize != hdrsize + h->payload) {
            st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                           "%s: header promises %u items of %llu bytes (%llu bytes of data) "
                           "but the file has %llu bytes after the %llu-byte header",
                           path, h->dims[0], (unsigned long long)itemsize,
                           (unsigned long long)h->payload,
                           (unsigned long long)(filesize - hdrsize), (unsigned long long)hdrsize);
            goto cleanup;
        }
    } else if (h->payload / IDX_MAX_DEFLATE_RATIO > filesize) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                       "%s: header promises %u items (%llu bytes uncompressed), more than "
                       "%llu compressed bytes can hold", path, h->dims[0],
                       (unsigned long long)(hdrsize + h->payload), (unsigned long long)filesize);
        goto cleanup;
    }
    if (h->payload > (uint64_t)SIZE_MAX) {
        st = fast_fail(FAST_ERR_NOMEM, err, errlen, "%s: too large for this machine", path);
        goto cleanup;
    }

cleanup:
    if (f)
        fclose(f);
    if (st != FAST_OK)
        idx_head_close(h);
    return st;
}

/* The first chunk of a payload read; it doubles as data arrives, so a
 * stream that lies about its size costs memory only for what it holds. */
#define IDX_FIRST_CHUNK (64u << 20)

/* Step 5: read h's payload into out; the stream must end exactly there.
 * Closes h. */
static fast_status idx_read_body(fast_idx *out, idx_head *h, const char *path, char *err, size_t errlen)
{
    fast_status st = FAST_OK;
    uint64_t have = 0, cap = 0;
    memset(out, 0, sizeof *out);
    while (have < h->payload) {
        if (have == cap) {
            uint64_t next = cap ? 2 * cap : IDX_FIRST_CHUNK;
            if (next > h->payload)
                next = h->payload;
            unsigned char *p = realloc(out->data, (size_t)next);
            if (!p) {
                st = fast_fail(FAST_ERR_NOMEM, err, errlen, "%s: cannot allocate %llu bytes", path,
                               (unsigned long long)next);
                goto cleanup;
            }
            out->data = p;
            cap = next;
        }
        size_t got = gz_read_all(h->g, out->data + have, cap - have);
        have += got;
        if (have < cap) {
            st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: truncated data (%s)", path,
                           gz_errtext(h->g));
            goto cleanup;
        }
    }
    {
        unsigned char extra;
        int got = gzread(h->g, &extra, 1);
        if (got != 0) {
            st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: %s after the %u items", path,
                           got > 0 ? "trailing bytes" : gz_errtext(h->g), h->dims[0]);
            goto cleanup;
        }
    }
    out->count = h->dims[0];
    out->rows = h->dims[1];
    out->cols = h->dims[2];

cleanup:
    if (h->g && gzclose(h->g) != Z_OK && st == FAST_OK)
        st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: gzip stream error on close", path);
    h->g = NULL;
    if (st != FAST_OK) {
        free(out->data);
        memset(out, 0, sizeof *out);
    }
    return st;
}

fast_status fast_idx_read(fast_idx *out, const char *path, int ndim,
                          char *err, size_t errlen)
{
    idx_head h;
    memset(out, 0, sizeof *out);
    fast_status st = idx_open_head(&h, path, ndim, err, errlen);
    if (st != FAST_OK)
        return st;
    return idx_read_body(out, &h, path, err, errlen);
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

void fast_set_paths(const char *dir, const char *prefix, char *ipath, char *lpath, size_t n)
{
    char base[64];
    snprintf(base, sizeof base, "%s-images-idx3-ubyte", prefix);
    find_file(ipath, n, dir, base);
    snprintf(base, sizeof base, "%s-labels-idx1-ubyte", prefix);
    find_file(lpath, n, dir, base);
}

fast_status fast_set_load(fast_set *out, const char *dir, const char *prefix,
                          int n_classes, char *err, size_t errlen)
{
    char ipath[4096], lpath[4096];
    idx_head ih, lh;
    fast_status st;

    memset(out, 0, sizeof *out);
    fast_set_paths(dir, prefix, ipath, lpath, sizeof ipath);
    /* both headers, and their counts agreeing, before any payload */
    if ((st = idx_open_head(&ih, ipath, 3, err, errlen)) != FAST_OK)
        return st;
    if ((st = idx_open_head(&lh, lpath, 1, err, errlen)) != FAST_OK) {
        idx_head_close(&ih);
        return st;
    }
    if (lh.dims[0] != ih.dims[0]) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                       "%s: %u labels but the images file %s has %u images", lpath,
                       lh.dims[0], ipath, ih.dims[0]);
        idx_head_close(&ih);
        idx_head_close(&lh);
        return st;
    }
    st = idx_read_body(&out->images, &ih, ipath, err, errlen);
    if (st != FAST_OK) {
        idx_head_close(&lh);
        goto cleanup;
    }
    if ((st = idx_read_body(&out->labels, &lh, lpath, err, errlen)) != FAST_OK)
        goto cleanup;
    for (uint32_t n = 0; n < out->labels.count; n++) {
        if (out->labels.data[n] >= n_classes) {
            st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                           "%s: label %u of item %u is not below the %d classes", lpath,
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
