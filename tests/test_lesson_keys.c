/*
 * test_lesson_keys.c - the lesson key table: every row is complete and
 * enforced by the parser, unknown keys get "did you mean", and the README's
 * key table and `nntrace keys` are the table's own rows.
 */
#include "testutil.h"

#include "lesson.h"
#include "lesson_keys.h"

/* A valid lesson (07-2a's network) that a line can be put in front of. */
#define BASE "title T\ninput 1 2\nlayer logistic 3\n" \
             "weight w_0,3 = 0.1\nweight w_1,3 = 0.1\nweight w_2,3 = 0.1\n" \
             "loss sse\nrate 0.5\nexample 0.4 0.5 -> 1\n"

/* Parse text; return the error (static buffer) or fail if it parsed. */
static const char *error_of(const char *text)
{
    static char err[1024];
    lesson *l = lesson_parse(text, strlen(text), "t.lesson", err, sizeof err);
    if (l) {
        lesson_free(l);
        fail_msg("lesson parsed, expected an error:\n%s", text);
    }
    return err;
}

static char *keys_text(int markdown)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(lesson_keys_print(f, markdown), 0);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void test_rows_complete(void **state)
{
    (void)state;
    for (int k = 0; k < KEY_COUNT; k++) {
        const lesson_keydef *d = &LESSON_KEYS[k];
        if (!d->key || !d->parse || !d->usage || !d->help)
            fail_msg("LESSON_KEYS row %d is incomplete (a KEY_ enumerator without its row?)", k);
        size_t n = strlen(d->key);
        if (strncmp(d->usage, d->key, n) || (d->usage[n] != ' ' && d->usage[n] != '\0'))
            fail_msg("usage '%s' does not start with its key '%s'", d->usage, d->key);
        if (d->min_args < 0 || (d->max_args != KEY_ARGS_ANY && d->max_args < d->min_args))
            fail_msg("key '%s': bad arity %d..%d", d->key, d->min_args, d->max_args);
        assert_ptr_equal(lesson_key_find(d->key), d);
        for (int m = 0; m < k; m++)
            if (!strcmp(LESSON_KEYS[m].key, d->key)) fail_msg("key '%s' twice", d->key);
    }
    assert_null(lesson_key_find("nosuchkey"));
}

/* The row's word-count message, as the parser must print it at line 1. */
static void arity_message(const lesson_keydef *d, char *buf, size_t size)
{
    if (d->arity_error) snprintf(buf, size, "t.lesson:1: %s", d->arity_error);
    else snprintf(buf, size, "t.lesson:1: expected '%s'", d->usage);
}

/* Too few and too many words are refused with the row's message, for every
 * key, before any other check of the line. */
static void test_arity_enforced(void **state)
{
    (void)state;
    char text[4096], want[512];
    for (int k = 0; k < KEY_COUNT; k++) {
        const lesson_keydef *d = &LESSON_KEYS[k];
        arity_message(d, want, sizeof want);
        if (d->min_args > 0) {
            snprintf(text, sizeof text, "%s\n" BASE, d->key);
            const char *got = error_of(text);
            if (strcmp(got, want)) fail_msg("'%s' with no words:\n  got:  %s\n  want: %s", d->key, got, want);
        }
        if (d->max_args != KEY_ARGS_ANY) {
            int n = snprintf(text, sizeof text, "%s", d->key);
            for (int w = 0; w <= d->max_args; w++) n += snprintf(text + n, sizeof text - (size_t)n, " 1");
            snprintf(text + n, sizeof text - (size_t)n, "\n" BASE);
            const char *got = error_of(text);
            if (strcmp(got, want))
                fail_msg("'%s' with %d words:\n  got:  %s\n  want: %s", d->key, d->max_args + 1, got, want);
        }
    }
}

/* A once-only key given twice names the first line; a repeatable one parses. */
static void test_once(void **state)
{
    (void)state;
    assert_string_equal(error_of(BASE "digits 2\ndigits 3\n"),
                        "t.lesson:11: duplicate 'digits' (first given on line 10)");
    assert_string_equal(error_of("note a\n" BASE "note b\ntitle U\n"),
                        "t.lesson:12: duplicate 'title' (first given on line 2)");
    char err[512];
    lesson *l = lesson_parse("note a\n" BASE "note b\n", strlen("note a\n" BASE "note b\n"), "t.lesson",
                             err, sizeof err);
    if (!l) fail_msg("%s", err);
    assert_string_equal(l->notes, "a\nb");
    lesson_free(l);
}

static void test_did_you_mean(void **state)
{
    (void)state;
    assert_string_equal(error_of(BASE "wieght w_1,3 = 1\n"),
                        "t.lesson:10: unknown key 'wieght'; did you mean weight?");
    assert_string_equal(error_of(BASE "normalize zscore\n"),
                        "t.lesson:10: unknown key 'normalize'; did you mean normalise?");
    assert_string_equal(error_of(BASE "exmaple 1 2 -> 0\n"),
                        "t.lesson:10: unknown key 'exmaple'; did you mean example?");
    assert_string_equal(error_of(BASE "finalforward yes\n"),
                        "t.lesson:10: unknown key 'finalforward'; did you mean final-forward?");
    /* far from every key: no guess */
    assert_string_equal(error_of(BASE "foo 1\n"), "t.lesson:10: unknown key 'foo'");
    assert_string_equal(error_of(BASE "momentum 0.9\n"), "t.lesson:10: unknown key 'momentum'");
    /* a lecture's own word for a key (001's alpha, 003's eta, lambda, iterations) */
    assert_string_equal(error_of(BASE "alpha 0.5\n"),
                        "t.lesson:10: unknown key 'alpha'; did you mean 'rate A' (learning rate alpha)?");
    assert_string_equal(error_of(BASE "eta 0.5\n"),
                        "t.lesson:10: unknown key 'eta'; did you mean 'rate A' (learning rate alpha)?");
    assert_string_equal(error_of(BASE "lambda 0.1\n"), "t.lesson:10: unknown key 'lambda'; did you mean "
                        "'decay L' (weight decay: w <- w - alpha dJ/dw - 2 alpha lambda w)?");
    assert_string_equal(error_of(BASE "iterations 3\n"),
                        "t.lesson:10: unknown key 'iterations'; did you mean 'steps N' (training steps)?");
    assert_string_equal(error_of(BASE "bias 3 = 0.1\n"),
                        "t.lesson:10: unknown key 'bias'; did you mean 'weight NAME = VALUE' (a weight)?");
}

/* Every row's `also` words are words of one key only, none a key itself,
 * each one reached as its row's "did you mean". */
static void test_also_words(void **state)
{
    (void)state;
    for (int n = 0; n < KEY_COUNT; n++)
        for (const char *w = LESSON_KEYS[n].also; w && *w; w += strcspn(w, " "), w += *w == ' ') {
            char word[64], text[512], want[256];
            snprintf(word, sizeof word, "%.*s", (int)strcspn(w, " "), w);
            if (lesson_key_find(word)) fail_msg("'%s' is a key and an also-word of '%s'", word, LESSON_KEYS[n].key);
            snprintf(text, sizeof text, "%s%s 1\n", BASE, word);
            const char *err = error_of(text);
            snprintf(want, sizeof want, "did you mean '%s' (", LESSON_KEYS[n].usage);
            if (!strstr(err, want) && !strstr(err, "did you mean"))
                fail_msg("'%s' (also-word of '%s') gets: %s", word, LESSON_KEYS[n].key, err);
            if (!strstr(err, want)) {              /* an edit-distance guess won: it must be this key */
                snprintf(want, sizeof want, "did you mean %s?", LESSON_KEYS[n].key);
                if (!strstr(err, want)) fail_msg("'%s' (also-word of '%s') gets: %s", word, LESSON_KEYS[n].key, err);
            }
        }
}

/* The README's table is exactly `nntrace keys --markdown`. */
static void test_readme_table(void **state)
{
    (void)state;
    static const char BEGIN[] = "<!-- lesson keys: generated by `nntrace keys --markdown`; "
                                "a test keeps it in sync -->\n";
    static const char END[] = "<!-- end of lesson keys -->\n";
    char *readme = slurp("README.md", NULL);
    assert_non_null(readme);
    char *a = strstr(readme, BEGIN), *b = a ? strstr(a, END) : NULL;
    if (!a || !b) fail_msg("README.md lacks the generated lesson key table (markers %s ... %s)", BEGIN, END);
    a += strlen(BEGIN);
    *b = '\0';
    char *want = keys_text(1);
    if (strcmp(a, want))
        fail_msg("README.md's lesson key table differs from the table in src/lesson_keys.c;\n"
                 "regenerate it with `build/nntrace keys --markdown` between the markers");
    free(want);
    free(readme);
}

/* `nntrace keys` and `nntrace help lesson` print the table's rows. */
static void test_cli(void **state)
{
    (void)state;
    int st;
    char *keys = run_piped("", "keys", &st);
    assert_int_equal(st, 0);
    char *want = keys_text(0);
    assert_string_equal(keys, want);
    char *help = run_piped("", "help lesson", &st);
    assert_int_equal(st, 0);
    assert_string_equal(help, want);
    for (int k = 0; k < KEY_COUNT; k++)
        if (!strstr(keys, LESSON_KEYS[k].usage)) fail_msg("`nntrace keys` lacks '%s'", LESSON_KEYS[k].usage);
    char *md = run_piped("", "keys --markdown", &st);
    assert_int_equal(st, 0);
    char *mdwant = keys_text(1);
    assert_string_equal(md, mdwant);
    char *bad = run_piped("", "keys --bogus", &st);
    assert_int_equal(st, 2);
    assert_non_null(strstr(bad, "unknown option '--bogus'"));
    char *near = run_piped("", "keys --markdwon", &st);
    assert_int_equal(st, 2);
    assert_non_null(strstr(near, "did you mean --markdown?"));
    free(keys); free(want); free(help); free(md); free(mdwant); free(bad); free(near);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_complete),
        cmocka_unit_test(test_arity_enforced),
        cmocka_unit_test(test_once),
        cmocka_unit_test(test_did_you_mean),
        cmocka_unit_test(test_also_words),
        cmocka_unit_test(test_readme_table),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests_name("lesson_keys", tests, NULL, NULL);
}
