/*
 * test_idx.c - the IDX reader (src/fast/fast_idx.c), raw and gzip.
 *
 * Every file is written by the test itself into a fresh temporary directory:
 * small good files (raw and gzip) and a corpus of malformed ones, including a
 * header that claims 2^32-1 images in a file of a few bytes, which must be
 * refused before anything is allocated. No download is needed.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>

#include "fast/fast_idx.h"

static char tmpdir[64];

/* ---------------------------------------------------------------- helpers */

static void path_of(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
}

static void write_raw(const char *name, const unsigned char *p, size_t n)
{
    char path[256];
    path_of(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void write_gz(const char *name, const unsigned char *p, size_t n)
{
    char path[256];
    path_of(path, sizeof path, name);
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    if (n > 0)
        assert_int_equal(gzwrite(g, p, (unsigned)n), (int)n);
    assert_int_equal(gzclose(g), Z_OK);
}

static size_t put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);  p[3] = (unsigned char)v;
    return 4;
}

/* An images file: count images of rows x cols, pixel k = (k * 7) & 255. */
static size_t make_images(unsigned char *buf, uint32_t count, uint32_t rows, uint32_t cols)
{
    size_t o = 0;
    buf[o++] = 0; buf[o++] = 0; buf[o++] = 8; buf[o++] = 3;
    o += put_be32(buf + o, count);
    o += put_be32(buf + o, rows);
    o += put_be32(buf + o, cols);
    for (size_t k = 0; k < (size_t)count * rows * cols; k++)
        buf[o++] = (unsigned char)((k * 7) & 255);
    return o;
}

static size_t make_labels(unsigned char *buf, uint32_t count, int modulo)
{
    size_t o = 0;
    buf[o++] = 0; buf[o++] = 0; buf[o++] = 8; buf[o++] = 1;
    o += put_be32(buf + o, count);
    for (uint32_t k = 0; k < count; k++)
        buf[o++] = (unsigned char)(k % (uint32_t)modulo);
    return o;
}

/* Read name and expect status want; on failure the message names the file. */
static void expect_read(const char *name, int ndim, fast_status want)
{
    char path[256], err[512] = "";
    fast_idx x;
    path_of(path, sizeof path, name);
    fast_status st = fast_idx_read(&x, path, ndim, err, sizeof err);
    if (st != want)
        fail_msg("%s: status %d (%s), expected %d; message: %s", name, st,
                 fast_strerror(st), want, err);
    if (st != FAST_OK) {
        assert_null(x.data);
        assert_non_null(strstr(err, name));   /* the message names the file */
    }
    fast_idx_free(&x);
}

static int setup(void **state)
{
    (void)state;
    return tmpdir_make(tmpdir, "idx");
}

static int teardown(void **state)
{
    (void)state;
    return tmpdir_remove(tmpdir);
}

/* ---------------------------------------------------------------- good files */

static void check_images(const fast_idx *x, uint32_t count, uint32_t rows, uint32_t cols)
{
    assert_int_equal(x->count, count);
    assert_int_equal(x->rows, rows);
    assert_int_equal(x->cols, cols);
    for (size_t k = 0; k < (size_t)count * rows * cols; k++)
        assert_int_equal(x->data[k], (k * 7) & 255);
}

static void test_read_raw_and_gzip(void **state)
{
    (void)state;
    unsigned char buf[4096];
    char path[256], err[256];
    fast_idx x;
    size_t n = make_images(buf, 5, 3, 4);

    write_raw("img.raw", buf, n);
    write_gz("img.gz", buf, n);
    path_of(path, sizeof path, "img.raw");
    assert_int_equal(fast_idx_read(&x, path, 3, err, sizeof err), FAST_OK);
    check_images(&x, 5, 3, 4);
    fast_idx_free(&x);
    assert_null(x.data);
    fast_idx_free(&x);                       /* twice is harmless */
    fast_idx_free(NULL);

    path_of(path, sizeof path, "img.gz");
    assert_int_equal(fast_idx_read(&x, path, 3, err, sizeof err), FAST_OK);
    check_images(&x, 5, 3, 4);
    fast_idx_free(&x);

    n = make_labels(buf, 7, 10);
    write_gz("lab.gz", buf, n);
    path_of(path, sizeof path, "lab.gz");
    assert_int_equal(fast_idx_read(&x, path, 1, err, sizeof err), FAST_OK);
    assert_int_equal(x.count, 7);
    assert_int_equal(x.rows, 1);
    assert_int_equal(x.data[6], 6);
    fast_idx_free(&x);
}

/* A set from a folder of raw files and from a folder of .gz files (the
 * Fashion-MNIST Debian package layout). */
static void test_set_load_both_layouts(void **state)
{
    (void)state;
    unsigned char img[8192], lab[256];
    char err[512];
    size_t ni = make_images(img, 20, 6, 5), nl = make_labels(lab, 20, 10);
    fast_set s;

    assert_int_equal(mkdir(strcat(strcpy((char[96]){0}, tmpdir), "/raw"), 0700), 0);
    assert_int_equal(mkdir(strcat(strcpy((char[96]){0}, tmpdir), "/gz"), 0700), 0);
    write_raw("raw/train-images-idx3-ubyte", img, ni);
    write_raw("raw/train-labels-idx1-ubyte", lab, nl);
    write_gz("gz/train-images-idx3-ubyte.gz", img, ni);
    write_gz("gz/train-labels-idx1-ubyte.gz", lab, nl);

    char dir[128];
    path_of(dir, sizeof dir, "raw");
    assert_int_equal(fast_set_load(&s, dir, "train", 10, err, sizeof err), FAST_OK);
    check_images(&s.images, 20, 6, 5);
    assert_int_equal(s.labels.data[13], 3);
    fast_set_free(&s);

    path_of(dir, sizeof dir, "gz");
    assert_int_equal(fast_set_load(&s, dir, "train", 10, err, sizeof err), FAST_OK);
    check_images(&s.images, 20, 6, 5);
    fast_set_free(&s);

    /* labels >= classes are bad input, not a crash later */
    assert_int_equal(fast_set_load(&s, dir, "train", 5, err, sizeof err), FAST_ERR_FORMAT);
    assert_non_null(strstr(err, "label 5"));
    assert_null(s.images.data);

    /* the test set is missing: an I/O error naming the file */
    assert_int_equal(fast_set_load(&s, dir, "t10k", 10, err, sizeof err), FAST_ERR_IO);
    assert_non_null(strstr(err, "t10k-images-idx3-ubyte"));
}

static void test_count_mismatch(void **state)
{
    (void)state;
    unsigned char img[4096], lab[256];
    char err[512], dir[128];
    fast_set s;
    assert_int_equal(mkdir(strcat(strcpy((char[96]){0}, tmpdir), "/mis"), 0700), 0);
    write_raw("mis/t10k-images-idx3-ubyte", img, make_images(img, 4, 2, 2));
    write_raw("mis/t10k-labels-idx1-ubyte", lab, make_labels(lab, 5, 10));
    path_of(dir, sizeof dir, "mis");
    assert_int_equal(fast_set_load(&s, dir, "t10k", 10, err, sizeof err), FAST_ERR_FORMAT);
    assert_non_null(strstr(err, "5 labels"));
}

/* The images file's payload is damaged and the labels disagree on the
 * count: the counts are compared from the headers, before the images are
 * read (a lying .gz images file once cost gigabytes before the labels file
 * was even opened). */
static void test_counts_checked_before_payload(void **state)
{
    (void)state;
    unsigned char img[4096], lab[256];
    char err[512], dir[128];
    fast_set s;
    size_t ni = make_images(img, 40, 4, 4);
    assert_int_equal(mkdir(strcat(strcpy((char[96]){0}, tmpdir), "/early"), 0700), 0);
    write_gz("early/train-images-idx3-ubyte.gz", img, ni - 100);        /* truncated payload */
    write_raw("early/train-labels-idx1-ubyte", lab, make_labels(lab, 7, 10));
    path_of(dir, sizeof dir, "early");
    assert_int_equal(fast_set_load(&s, dir, "train", 10, err, sizeof err), FAST_ERR_FORMAT);
    if (!strstr(err, "7 labels") || !strstr(err, "40 images"))
        fail_msg("expected the count mismatch before any payload, got: %s", err);
    assert_null(s.images.data);
}

/* A gzip file of several members (as `cat a.gz b.gz` or pigz makes) is one
 * stream: accepted, all its bytes read; its last member's ISIZE is not the
 * whole size. */
static void test_multi_member_gzip(void **state)
{
    (void)state;
    unsigned char img[8192], lab[256];
    char path[256], err[512], dir[128];
    size_t ni = make_images(img, 30, 5, 5), nl = make_labels(lab, 30, 10);
    assert_int_equal(mkdir(strcat(strcpy((char[96]){0}, tmpdir), "/multi"), 0700), 0);
    path_of(path, sizeof path, "multi/train-images-idx3-ubyte.gz");
    for (int part = 0; part < 3; part++) {       /* three members, appended */
        gzFile g = gzopen(path, part ? "ab" : "wb");
        assert_non_null(g);
        size_t from = ni * (size_t)part / 3, to = ni * (size_t)(part + 1) / 3;
        assert_int_equal(gzwrite(g, img + from, (unsigned)(to - from)), (int)(to - from));
        assert_int_equal(gzclose(g), Z_OK);
    }
    write_gz("multi/train-labels-idx1-ubyte.gz", lab, nl);
    fast_idx x;
    fast_status st = fast_idx_read(&x, path, 3, err, sizeof err);
    if (st != FAST_OK) fail_msg("multi-member gzip refused: %s", err);
    check_images(&x, 30, 5, 5);
    fast_idx_free(&x);
    fast_set s;
    path_of(dir, sizeof dir, "multi");
    assert_int_equal(fast_set_load(&s, dir, "train", 10, err, sizeof err), FAST_OK);
    check_images(&s.images, 30, 5, 5);
    fast_set_free(&s);
}

/* ---------------------------------------------------------------- malformed */

static void test_malformed_corpus(void **state)
{
    (void)state;
    unsigned char buf[4096], bad[4096];
    size_t n = make_images(buf, 3, 2, 2);   /* 16 + 12 bytes */

    write_raw("empty", buf, 0);
    expect_read("empty", 3, FAST_ERR_FORMAT);
    write_gz("empty.gz", buf, 0);
    expect_read("empty.gz", 3, FAST_ERR_FORMAT);

    write_raw("short-header", buf, 10);
    expect_read("short-header", 3, FAST_ERR_FORMAT);

    memcpy(bad, buf, n); bad[0] = 1;
    write_raw("bad-magic", bad, n);
    expect_read("bad-magic", 3, FAST_ERR_FORMAT);

    memcpy(bad, buf, n); bad[2] = 0x0D;      /* float data */
    write_raw("bad-type", bad, n);
    expect_read("bad-type", 3, FAST_ERR_FORMAT);

    expect_read("img-as-labels", 1, FAST_ERR_IO);   /* does not exist */
    write_raw("img-as-labels", buf, n);
    expect_read("img-as-labels", 1, FAST_ERR_FORMAT);  /* ndim 3, wanted 1 */

    memcpy(bad, buf, n); put_be32(bad + 8, 0);
    write_raw("zero-rows", bad, n);
    expect_read("zero-rows", 3, FAST_ERR_FORMAT);

    write_raw("truncated", buf, n - 1);
    expect_read("truncated", 3, FAST_ERR_FORMAT);
    memcpy(bad, buf, n); bad[n] = 9;
    write_raw("trailing", bad, n + 1);
    expect_read("trailing", 3, FAST_ERR_FORMAT);

    /* 2^32-1 images of 28x28 in a 28-byte file: refused before allocating
     * (an allocation of ~3 TB would fail or, worse, succeed lazily). */
    memcpy(bad, buf, n); put_be32(bad + 4, 0xffffffffu);
    put_be32(bad + 8, 28); put_be32(bad + 12, 28);
    write_raw("huge-count", bad, n);
    expect_read("huge-count", 3, FAST_ERR_FORMAT);
    write_gz("huge-count.gz", bad, n);
    expect_read("huge-count.gz", 3, FAST_ERR_FORMAT);
    /* all three sizes at the maximum: the product overflows 64 bits */
    put_be32(bad + 8, 0xffffffffu); put_be32(bad + 12, 0xffffffffu);
    write_raw("overflow", bad, n);
    expect_read("overflow", 3, FAST_ERR_FORMAT);

    /* gzip whose stream is shorter than the header says */
    write_gz("truncated.gz", buf, n - 3);
    expect_read("truncated.gz", 3, FAST_ERR_FORMAT);
    memcpy(bad, buf, n); bad[n] = 9;
    write_gz("trailing.gz", bad, n + 1);
    expect_read("trailing.gz", 3, FAST_ERR_FORMAT);

    /* gzip file cut in the middle of the compressed stream */
    {
        char path[256];
        unsigned char big[20000], gzb[30000];
        size_t nb = make_images(big, 50, 20, 19);
        write_gz("cut.gz", big, nb);
        path_of(path, sizeof path, "cut.gz");
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        size_t ng = fread(gzb, 1, sizeof gzb, f);
        fclose(f);
        assert_true(ng > 40);
        write_raw("cut.gz", gzb, ng / 2);
        expect_read("cut.gz", 3, FAST_ERR_FORMAT);
        /* corrupt the middle of the stream but keep the trailer */
        gzb[ng / 2] ^= 0x55;
        gzb[ng / 2 + 1] ^= 0xAA;
        write_raw("corrupt.gz", gzb, ng);
        expect_read("corrupt.gz", 3, FAST_ERR_FORMAT);
        /* a bare gzip magic and nothing else */
        write_raw("magic-only.gz", gzb, 2);
        expect_read("magic-only.gz", 3, FAST_ERR_FORMAT);
    }

    /* a directory is not a file */
    {
        char err[256];
        fast_idx x;
        assert_int_equal(fast_idx_read(&x, tmpdir, 3, err, sizeof err), FAST_ERR_IO);
        assert_null(x.data);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_raw_and_gzip),
        cmocka_unit_test(test_set_load_both_layouts),
        cmocka_unit_test(test_count_mismatch),
        cmocka_unit_test(test_counts_checked_before_payload),
        cmocka_unit_test(test_multi_member_gzip),
        cmocka_unit_test(test_malformed_corpus),
    };
    return cmocka_run_group_tests_name("idx", tests, setup, teardown);
}
