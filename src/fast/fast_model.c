/*
 * fast_model.c - model file (format in fast_model.h) and its writing
 * through outfile.h (atomic, kept mode, temporaries removed on signals).
 */
#include "fast_model.h"
#include "../outfile.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const char MAGIC[8] = {'N', 'N', 'T', 'R', 'F', 'A', 'S', 'T'};
#define MODEL_MAX_BYTES (1ull << 32)

/* ---------------------------------------------------------------- atomic */

fast_status fast_write_atomic(const char *path, const void *data, size_t len,
                              char *err, size_t errlen)
{
    outfile of;
    char oerr[512];
    if (outfile_open(&of, path, 1, oerr, sizeof oerr))
        return fast_fail(FAST_ERR_IO, err, errlen, "%s", oerr);
    if (len > 0 && fwrite(data, 1, len, of.f) != len) {
        int e = errno;
        outfile_abort(&of);
        return fast_fail(FAST_ERR_IO, err, errlen, "%s: write failed: %s", path, strerror(e));
    }
    if (outfile_commit(&of, oerr, sizeof oerr))
        return fast_fail(FAST_ERR_IO, err, errlen, "%s", oerr);
    return FAST_OK;
}

/* ---------------------------------------------------------------- encode */

static unsigned char *put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
    return p + 4;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned char *put_f32(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return put_u32(p, u);
}

static float get_f32(const unsigned char *p)
{
    uint32_t u = get_u32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Bytes of a model file for sizes[0..L]; 0 if L is out of range. */
static uint64_t model_bytes(const uint32_t *sizes, uint32_t L)
{
    uint64_t n = 8 + 4 + 4 + 4 * ((uint64_t)L + 1) + 8 + 4;
    for (uint32_t l = 1; l <= L; l++)
        n += 4 * ((uint64_t)sizes[l] * sizes[l - 1] + sizes[l]);
    return n;
}

fast_status fast_model_save(const fast_net *net, const char *path, char *err, size_t errlen)
{
    uint32_t sizes[FAST_MAX_LAYERS + 1];
    const uint32_t L = (uint32_t)net->n_layers;
    for (uint32_t l = 0; l <= L; l++)
        sizes[l] = (uint32_t)net->size[l];
    uint64_t total = model_bytes(sizes, L);
    unsigned char *buf = malloc((size_t)total), *p = buf;
    if (!buf)
        return fast_fail(FAST_ERR_NOMEM, err, errlen, "%s: out of memory", path);
    memcpy(p, MAGIC, 8);
    p += 8;
    p = put_u32(p, FAST_MODEL_VERSION);
    p = put_u32(p, L);
    for (uint32_t l = 0; l <= L; l++)
        p = put_u32(p, sizes[l]);
    p = put_u32(p, (uint32_t)net->act);
    p = put_u32(p, (uint32_t)net->loss);
    for (int l = 1; l <= net->n_layers; l++) {
        for (int j = 0; j < net->size[l]; j++)
            for (int i = 0; i < net->size[l - 1]; i++)
                p = put_f32(p, *fast_w(net, l, j, i));
        for (int j = 0; j < net->size[l]; j++)
            p = put_f32(p, net->b[l][j]);
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    size_t body = (size_t)(p - buf), off = 0;
    while (off < body) {        /* crc32 takes uInt lengths */
        uInt chunk = body - off > (1u << 30) ? (1u << 30) : (uInt)(body - off);
        crc = crc32(crc, buf + off, chunk);
        off += chunk;
    }
    p = put_u32(p, (uint32_t)crc);
    fast_status st = fast_write_atomic(path, buf, (size_t)(p - buf), err, errlen);
    free(buf);
    return st;
}

/* ---------------------------------------------------------------- decode */

fast_status fast_model_load(fast_net **out, const char *path, int batch, int with_velocity,
                            char *err, size_t errlen)
{
    fast_status st = FAST_OK;
    FILE *f = NULL;
    unsigned char *buf = NULL, hdr[16 + 4 * (FAST_MAX_LAYERS + 1) + 8];
    uint32_t L, sizes[FAST_MAX_LAYERS + 1];
    uint64_t fsize, want;
    struct stat sb;
    fast_net *net = NULL;

    *out = NULL;
    f = fopen(path, "rb");
    if (!f)
        return fast_fail(FAST_ERR_IO, err, errlen, "%s: %s", path, strerror(errno));
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = fast_fail(FAST_ERR_IO, err, errlen, "%s: not a readable regular file", path);
        goto cleanup;
    }
    fsize = (uint64_t)sb.st_size;
    if (fsize < 16 || fread(hdr, 1, 16, f) != 16 || memcmp(hdr, MAGIC, 8) != 0) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: not an nntrace fast model file", path);
        goto cleanup;
    }
    if (get_u32(hdr + 8) != FAST_MODEL_VERSION) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: model version %u, this build reads %u",
                       path, get_u32(hdr + 8), FAST_MODEL_VERSION);
        goto cleanup;
    }
    L = get_u32(hdr + 12);
    if (L < 1 || L > FAST_MAX_LAYERS) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: %u layers (1..%d allowed)", path, L,
                       FAST_MAX_LAYERS);
        goto cleanup;
    }
    if (fread(hdr + 16, 1, 4 * (L + 1) + 8, f) != 4 * (L + 1) + 8) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: truncated header", path);
        goto cleanup;
    }
    for (uint32_t l = 0; l <= L; l++) {
        sizes[l] = get_u32(hdr + 16 + 4 * l);
        if (sizes[l] < 1 || sizes[l] > FAST_MAX_SIZE) {
            st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: layer size %u out of range", path,
                           sizes[l]);
            goto cleanup;
        }
    }
    want = model_bytes(sizes, L);
    if (want != fsize || want > MODEL_MAX_BYTES) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                       "%s: header implies %llu bytes, file has %llu", path,
                       (unsigned long long)want, (unsigned long long)fsize);
        goto cleanup;
    }
    uint32_t act = get_u32(hdr + 16 + 4 * (L + 1)), loss = get_u32(hdr + 20 + 4 * (L + 1));
    if (act > FAST_ACT_TANH || loss >= FAST_LOSS_COUNT) {
        st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: unknown activation %u or loss %u",
                       path, act, loss);
        goto cleanup;
    }
    buf = malloc((size_t)fsize);
    if (!buf) {
        st = fast_fail(FAST_ERR_NOMEM, err, errlen, "%s: out of memory", path);
        goto cleanup;
    }
    rewind(f);
    if (fread(buf, 1, (size_t)fsize, f) != fsize) {
        st = fast_fail(FAST_ERR_IO, err, errlen, "%s: read error", path);
        goto cleanup;
    }
    {
        uLong crc = crc32(0L, Z_NULL, 0);
        size_t body = (size_t)fsize - 4, off = 0;
        while (off < body) {
            uInt chunk = body - off > (1u << 30) ? (1u << 30) : (uInt)(body - off);
            crc = crc32(crc, buf + off, chunk);
            off += chunk;
        }
        if ((uint32_t)crc != get_u32(buf + body)) {
            st = fast_fail(FAST_ERR_FORMAT, err, errlen,
                           "%s: checksum mismatch (file damaged)", path);
            goto cleanup;
        }
    }
    {
        int isizes[FAST_MAX_LAYERS + 1];
        for (uint32_t l = 0; l <= L; l++)
            isizes[l] = (int)sizes[l];
        net = fast_net_new(isizes, (int)L + 1, (fast_act)act, (fast_loss)loss, batch,
                           with_velocity);
        if (!net) {
            st = fast_fail(FAST_ERR_NOMEM, err, errlen, "%s: out of memory", path);
            goto cleanup;
        }
        const unsigned char *p = buf + 16 + 4 * (L + 1) + 8;
        /* a CRC only says the bytes arrived as written: a NaN or an
         * infinity written by a diverged run (or by hand) is refused too */
        for (int l = 1; l <= net->n_layers && st == FAST_OK; l++) {
            for (int j = 0; j < net->size[l] && st == FAST_OK; j++)
                for (int i = 0; i < net->size[l - 1]; i++, p += 4) {
                    float w = get_f32(p);
                    if (!isfinite(w)) {
                        st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: weight W[%d](%d,%d) is %s, "
                                       "not a finite number: the model diverged or is damaged",
                                       path, l, j, i, isnan(w) ? "NaN" : "infinite");
                        break;
                    }
                    *fast_w(net, l, j, i) = w;
                }
            for (int j = 0; j < net->size[l] && st == FAST_OK; j++, p += 4) {
                float b = get_f32(p);
                if (!isfinite(b))
                    st = fast_fail(FAST_ERR_FORMAT, err, errlen, "%s: bias b[%d](%d) is %s, not a finite "
                                   "number: the model diverged or is damaged", path, l, j,
                                   isnan(b) ? "NaN" : "infinite");
                net->b[l][j] = b;
            }
        }
        if (st != FAST_OK)
            goto cleanup;
    }
    *out = net;
    net = NULL;

cleanup:
    if (f)
        fclose(f);
    free(buf);
    fast_net_free(net);
    return st;
}
