/*
 * test_base.c - the base layer: strbuf, JSON and CSV escaping, exact and
 * shortest number formatting.
 */
#include "testutil.h"

#include <math.h>
#include <stdint.h>

#include "base/escape.h"
#include "base/numfmt.h"
#include "base/strbuf.h"

static void test_strbuf(void **state)
{
    (void)state;
    strbuf b = {0};
    for (int k = 0; k < 1000; k++) sb_printf(&b, "%d,", k % 10);
    assert_false(b.failed);
    assert_int_equal(b.len, 2000);
    assert_int_equal(strlen(b.s), 2000);
    assert_memory_equal(b.s, "0,1,2,", 6);
    sb_free(&b);
    assert_null(b.s);
    assert_int_equal(b.len, 0);
}

/* s through an escaper, as a string (static buffer). */
static char *escaped(void (*esc)(strbuf *, const char *), const char *s)
{
    static char out[256];
    strbuf b = {0};
    esc(&b, s);
    assert_false(b.failed);
    snprintf(out, sizeof out, "%s", b.s);
    sb_free(&b);
    return out;
}

static char *json(const char *s) { return escaped(esc_json, s); }
static char *csv(const char *s) { return escaped(esc_csv, s); }

/* JSON output is valid UTF-8 whatever the input bytes. */
static void test_json(void **state)
{
    (void)state;
    assert_string_equal(json("a\"b\\c"), "\"a\\\"b\\\\c\"");
    assert_string_equal(json("x\n\t\r\x01\x7f"), "\"x\\n\\t\\r\\u0001\\u007f\"");
    assert_string_equal(json("Δ₃ ∂E/∂w5 😀"), "\"Δ₃ ∂E/∂w5 😀\"");     /* 2-, 3- and 4-byte forms */
    assert_string_equal(json("\xED\xA0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  /* U+D800, a surrogate */
    assert_string_equal(json("\xED\xBF\xBF"), "\"\\ufffd\\ufffd\\ufffd\"");  /* U+DFFF */
    assert_string_equal(json("\xC0\xAF"), "\"\\ufffd\\ufffd\"");              /* overlong '/' */
    assert_string_equal(json("\xE0\x80\xAF"), "\"\\ufffd\\ufffd\\ufffd\"");  /* overlong, 3 bytes */
    assert_string_equal(json("\xF4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  /* > U+10FFFF */
    assert_string_equal(json("\xE2\x82"), "\"\\ufffd\\ufffd\"");              /* cut short */
    assert_string_equal(json("\x80x"), "\"\\ufffdx\"");                       /* stray continuation */
    assert_string_equal(json("\xED\x9F\xBF"), "\"\xED\x9F\xBF\"");           /* U+D7FF is fine */
    assert_string_equal(json("\xF4\x8F\xBF\xBF"), "\"\xF4\x8F\xBF\xBF\"");   /* U+10FFFF is fine */
    /* every 1-, 2- and 3-byte pattern: the output validates */
    unsigned char in[4] = {0};
    for (unsigned a = 1; a < 256; a++)
        for (unsigned b = 0; b < 256; b += 3) {
            in[0] = (unsigned char)a; in[1] = (unsigned char)b; in[2] = 0;
            const unsigned char *o = (const unsigned char *)json((const char *)in);
            for (; *o; o += esc_utf8_len(o))
                if (!esc_utf8_len(o)) fail_msg("invalid UTF-8 out of esc_json for %02x %02x", a, b);
        }
}

/* A field a spreadsheet would run as a formula is quoted and defused. */
static void test_csv(void **state)
{
    (void)state;
    assert_string_equal(csv("in_3"), "in_3");
    assert_string_equal(csv("a,b"), "\"a,b\"");
    assert_string_equal(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_string_equal(csv("line\nbreak"), "\"line\nbreak\"");
    assert_string_equal(csv("-2*err_3*g'(in_3)"), "\"'-2*err_3*g'(in_3)\"");
    assert_string_equal(csv("=1+1"), "\"'=1+1\"");
    assert_string_equal(csv("+1"), "\"'+1\"");
    assert_string_equal(csv("@SUM(A1)"), "\"'@SUM(A1)\"");
    assert_string_equal(csv("\t=1"), "\"'\t=1\"");
    assert_string_equal(csv("\r=1"), "\"'\r=1\"");
    assert_string_equal(csv("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
}

/* `run --format csv` goes through esc_csv: no formula is left bare. */
/* Terminal escapes are stepped over whole, and a lone ESC by itself. */
static void test_term_escapes(void **state)
{
    (void)state;
    static const struct { const char *s; size_t len; } cases[] = {
        {"x", 0}, {"\033[1;32mok", 7}, {"\033[0m", 4}, {"\033", 1}, {"\033x", 1},
        {"\033\033[m", 1}, {"\033[12", 4},           /* cut short: the rest of the text */
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++)
        assert_int_equal(esc_term_len(cases[k].s, strlen(cases[k].s)), cases[k].len);
    assert_int_equal(esc_term_len("\033[1m", 2), 2);   /* len bounds it */
    assert_int_equal(esc_term_len("", 0), 0);
}

static void test_run_csv_defused(void **state)
{
    (void)state;
    int st;
    char *out = run_piped("", "run --format csv lessons/sauppe-sgd-step.lesson", &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "\"'-2*err_3*g'(in_3)\""));
    assert_null(strstr(out, ",-2*err_3"));
    free(out);
}

static void test_shortest(void **state)
{
    (void)state;
    static const double V[] = {0.1, 0.19, 0.5473576181430894, 1e-05, 2e70, 5e-324, -0.0, 1.0 / 3,
                               1.7976931348623157e308, 123456789012345680.0, 0.30000000000000004,
                               150, 1.6e2, 2.5e-6, 1.0e16 + 2, 99999999999999984.0, 1e-7};
    char buf[NUM_SHORTEST_MAX];
    for (size_t k = 0; k < sizeof V / sizeof V[0]; k++) {
        assert_int_equal(num_shortest(V[k], buf, sizeof buf), 0);
        double back = strtod(buf, NULL);
        if (memcmp(&back, &V[k], sizeof back)) fail_msg("%.17g printed as %s reads back as %.17g", V[k], buf, back);
        /* no form with fewer significant digits reads back */
        char shorter[400];
        char d[40];
        int n = 0;
        for (const char *c = buf; *c && *c != 'e' && n < 39; c++)
            if (*c >= '0' && *c <= '9') d[n++] = *c;
        d[n] = '\0';
        const char *first = d + strspn(d, "0");          /* 0.00001 and 150: one and two digits */
        while (n > 0 && d[n - 1] == '0') d[--n] = '\0';
        int digits = (int)strlen(first);
        if (digits > 1) {
            snprintf(shorter, sizeof shorter, "%.*g", digits - 1, V[k]);
            if (strtod(shorter, NULL) == V[k]) fail_msg("%s has fewer digits than %s", shorter, buf);
        }
        /* a plain decimal from 1e-6 to 1e17, as a person writes it */
        double a = fabs(V[k]);
        if (a >= 1e-6 && a < 1e17 && strchr(buf, 'e')) fail_msg("%.17g printed as %s", V[k], buf);
    }
    /* many doubles of every magnitude around the plain range read back */
    uint64_t r = 88172645463325252u;
    for (int k = 0; k < 200000; k++) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        double v = ldexp((double)(r >> 11), -53) * pow(10.0, (double)(k % 27) - 8.0);
        if (k & 1) v = -v;
        num_shortest(v, buf, sizeof buf);
        if (strtod(buf, NULL) != v) fail_msg("%.17g printed as %s", v, buf);
        if (fabs(v) >= 1e-6 && fabs(v) < 1e17 && strchr(buf, 'e')) fail_msg("%.17g printed as %s", v, buf);
    }
    static const struct { double v; const char *s; } PLAIN[] = {
        {150, "150"}, {-1600, "-1600"}, {1e-05, "0.00001"}, {1.5e-06, "0.0000015"}, {1e16, "10000000000000000"},
        {123456789012345680.0, "1.2345678901234568e+17"}, {9.5e-07, "9.5e-07"}, {0.0, "0"},
    };
    for (size_t k = 0; k < sizeof PLAIN / sizeof PLAIN[0]; k++) {
        num_shortest(PLAIN[k].v, buf, sizeof buf);
        assert_string_equal(buf, PLAIN[k].s);
    }
    num_shortest(0.1, buf, sizeof buf);
    assert_string_equal(buf, "0.1");
    num_shortest(2e70, buf, sizeof buf);
    assert_string_equal(buf, "2e+70");
    num_shortest(5e-324, buf, sizeof buf);
    assert_string_equal(buf, "5e-324");
    num_shortest(NAN, buf, sizeof buf);
    assert_string_equal(buf, "nan");
    num_shortest(-INFINITY, buf, sizeof buf);
    assert_string_equal(buf, "-inf");
    char tiny[3];
    assert_int_equal(num_shortest(0.125, tiny, sizeof tiny), -1);     /* never cut short */
    assert_string_equal(tiny, "");
}

static void test_exact(void **state)
{
    (void)state;
    char buf[NUM_EXACT_MAX];
    num_exact(0.1, buf, sizeof buf);
    assert_string_equal(buf, "0.1000000000000000055511151231257827021181583404541015625");
    num_exact(0.5, buf, sizeof buf);
    assert_string_equal(buf, "0.5");
    num_exact(-3, buf, sizeof buf);
    assert_string_equal(buf, "-3");
    num_exact(0, buf, sizeof buf);
    assert_string_equal(buf, "0");
    num_exact(2e70, buf, sizeof buf);     /* 71 digits, none cut */
    assert_string_equal(buf, "20000000000000001450628727630584702523167488192930439110364203109580800");
    num_exact(5e-324, buf, sizeof buf);   /* the smallest denormal: 1076 characters */
    assert_int_equal(strlen(buf), 1076);
    assert_memory_equal(buf, "0.0000000000000000000000000000", 30);
    assert_string_equal(buf + strlen(buf) - 10, "3447265625");
    num_exact(1.7976931348623157e308, buf, sizeof buf);
    assert_int_equal(strlen(buf), 309);
    assert_memory_equal(buf, "17976931348623157081", 20);
    assert_int_equal(num_exact(0.1, buf, 10), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strbuf),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_term_escapes),
        cmocka_unit_test(test_run_csv_defused),
        cmocka_unit_test(test_shortest),
        cmocka_unit_test(test_exact),
    };
    return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
