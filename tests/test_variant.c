/*
 * test_variant.c - a student's own numbers: seeds, codes, `vary` lines, the
 * draw over a class of 1,000 students (well spread, teachable, regenerated
 * identically), the search's bounds (a draw stops at its first rejected
 * value; all draws share a work budget), the Gradescope metadata reader,
 * and the commands that use them (template --student, check with a sheet
 * for another student, variants --roster).
 */
#include "testutil.h"
#include "csvread.h"

#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "gsmeta.h"
#include "lesson.h"
#include "variant.h"

static lesson *load(const char *path)
{
    char err[512];
    lesson *l = lesson_load(path, err, sizeof err);
    if (!l) fail_msg("%s", err);
    return l;
}

static void add_vary(lesson *l, const char *line)
{
    char buf[256], *tok[32], err[256];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *t = strtok(buf, " "); t && n < 32; t = strtok(NULL, " ")) tok[n++] = t;
    lesson_vary *v = realloc(l->vary, (size_t)(l->n_vary + 1) * sizeof *v);
    assert_non_null(v);
    l->vary = v;
    if (variant_parse_vary(&l->vary[l->n_vary], tok, n, err, sizeof err)) fail_msg("%s: %s", line, err);
    l->n_vary++;
}

static void test_codes(void **state)
{
    (void)state;
    lesson *l = load("lessons/sauppe-sgd-step.lesson");
    uint64_t a = variant_seed(l, "hw3", "ada@example.edu"), b = variant_seed(l, "hw3", "bob@example.edu");
    uint64_t c = variant_seed(l, "hw4", "ada@example.edu");
    assert_true(a != b && a != c);
    assert_int_equal(a, variant_seed(l, "hw3", "ada@example.edu"));
    assert_true(a <= VARIANT_SEED_MASK);
    char code[VARIANT_CODE_SIZE];
    uint64_t back;
    for (uint64_t s = 0; s < 2000; s++) {
        uint64_t seed = (s * UINT64_C(0x9E3779B97F4A7C15)) & VARIANT_SEED_MASK;
        variant_code(seed, code);
        assert_int_equal(strlen(code), 11);
        assert_true(code[4] == '-' && code[9] == '-');
        assert_int_equal(variant_code_parse(code, &back), 0);
        assert_int_equal(back, seed);
        /* self-checking: every one-character typo and every swap of two
         * different neighbours is refused, never another student's code */
        static const char B32[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        for (int at = 0; at < 11; at++) {
            if (code[at] == '-') continue;
            char typo[VARIANT_CODE_SIZE];
            for (int c = 0; c < 32; c++) {
                if (B32[c] == code[at]) continue;
                memcpy(typo, code, sizeof typo);
                typo[at] = B32[c];
                if (variant_code_parse(typo, &back) != VARIANT_CODE_MISMATCH) fail_msg("typo %s of %s accepted", typo, code);
            }
            int next = at + 1 < 11 && code[at + 1] == '-' ? at + 2 : at + 1;
            if (next >= 11 || code[next] == code[at]) continue;
            memcpy(typo, code, sizeof typo);
            typo[at] = code[next];
            typo[next] = code[at];
            if (variant_code_parse(typo, &back) != VARIANT_CODE_MISMATCH) fail_msg("swap %s of %s accepted", typo, code);
        }
    }
    for (char *p = code; *p; p++) if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    assert_int_equal(variant_code_parse(code, &back), 0);   /* lower case is read too */
    assert_int_equal(variant_code_parse("8MW8GCZQ8", &back), 0);   /* and without dashes */
    assert_int_equal(variant_code_parse("8MW8-GCZQ", &back), VARIANT_CODE_NO_CHECK);
    assert_int_equal(variant_code_parse("AAAA-AAAA-A", &back), VARIANT_CODE_MISMATCH);  /* invented */
    assert_int_equal(variant_code_parse("8MW8-GCQZ-8", &back), VARIANT_CODE_MISMATCH);
    assert_non_null(strstr(variant_code_strerror(VARIANT_CODE_MISMATCH), "check character"));
    static const char *const BAD[] = {"", "ABCD", "ABCD-EFGH-JK", "ABCD-EF0H-J", "ABCDEFGHJK", "AB-CDEFGH-J",
                                      "ABCD EFGH J", "ABCD--EFGH-J", "ABCD-EFGH-J-"};
    for (size_t k = 0; k < sizeof BAD / sizeof BAD[0]; k++)
        if (variant_code_parse(BAD[k], &back) != VARIANT_CODE_BAD) fail_msg("'%s' not refused as a code", BAD[k]);
    lesson_free(l);
}

static void test_vary_lines(void **state)
{
    (void)state;
    static const struct { const char *line, *err; } BAD[] = {
        {"w_*", "expected"}, {"w_* uniform 1 0 step 0.1", "LO <= HI"}, {"w_* uniform -1 1 step 0", "0 < S"},
        {"w_* uniform -1 1 0.1", "expected"}, {"w_* normal 0 1", "unknown distribution"},
        {"x_1 choice 0.2 x", "not a number"},
        {"x_1 choice 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", "at most 16"},
    };
    for (size_t k = 0; k < sizeof BAD / sizeof BAD[0]; k++) {
        char buf[256], *tok[32], err[256] = "";
        int n = 0;
        snprintf(buf, sizeof buf, "%s", BAD[k].line);
        for (char *t = strtok(buf, " "); t && n < 32; t = strtok(NULL, " ")) tok[n++] = t;
        lesson_vary v;
        if (!variant_parse_vary(&v, tok, n, err, sizeof err)) fail_msg("accepted: vary %s", BAD[k].line);
        if (!strstr(err, BAD[k].err)) fail_msg("vary %s: '%s', expected '%s'", BAD[k].line, err, BAD[k].err);
    }
}

/* 1,000 students of one lesson: every variant regenerates identically, is
 * teachable, and the draws spread over the grid. */
static void test_thousand_students(void **state)
{
    (void)state;
    lesson *base = load("lessons/sauppe-sgd-step.lesson");
    int counts[21] = {0}, x1[3] = {0}, distinct = 0;
    double prev_w = NAN;
    for (int s = 0; s < 1000; s++) {
        char id[32], err[512];
        snprintf(id, sizeof id, "student%04d", s);
        double w[2][3], x[2];
        for (int again = 0; again < 2; again++) {
            lesson *l = load("lessons/sauppe-sgd-step.lesson");
            add_vary(l, "w_*,* uniform -1 1 step 0.1");
            add_vary(l, "x_1 choice 0.2 0.4 0.6");
            uint64_t seed = variant_seed(l, "hw1", id);
            if (variant_apply(l, seed, err, sizeof err)) fail_msg("%s: %s", id, err);
            for (int a = 0; a < 3; a++) w[again][a] = l->arcs[a].w;
            x[again] = l->ex_x[0];
            if (!again) {
                /* teachable: every |in_j| <= 4, none on a rounding tie */
                engine_result r;
                engine_opts o = {.round = ENGINE_ROUND_LESSON};
                if (engine_run(l, &o, &r, err, sizeof err)) fail_msg("%s", err);
                for (size_t q = 0; q < r.tr->n; q++)
                    if (r.tr->q[q].kind == Q_IN && fabs(r.tr->q[q].value) > 4) fail_msg("%s: |in| > 4", id);
                engine_result_free(&r);
                assert_int_equal(l->n_expects, 0);    /* the lecture's values are not this variant's */
            }
            lesson_free(l);
        }
        for (int a = 0; a < 3; a++) {
            assert_true(w[0][a] == w[1][a]);                 /* regenerated identically */
            double k = (w[0][a] + 1) / 0.1;
            assert_true(fabs(k - round(k)) < 1e-9 && k > -0.5 && k < 20.5);   /* on the grid */
            counts[(int)round(k)]++;
        }
        assert_true(x[0] == x[1]);
        assert_true(x[0] == 0.2 || x[0] == 0.4 || x[0] == 0.6);
        x1[x[0] == 0.2 ? 0 : x[0] == 0.4 ? 1 : 2]++;
        if (w[0][0] != prev_w) distinct++;
        prev_w = w[0][0];
    }
    /* 3,000 weights over 21 grid points: each expected ~143; a fair draw
     * stays within 70..220 (more than 6 standard deviations) */
    for (int k = 0; k < 21; k++)
        if (counts[k] < 70 || counts[k] > 220) fail_msg("grid point %d drawn %d times of 3000", k, counts[k]);
    for (int k = 0; k < 3; k++)
        if (x1[k] < 250 || x1[k] > 420) fail_msg("x_1 choice %d drawn %d times of 1000", k, x1[k]);
    assert_true(distinct > 900);
    lesson_free(base);
}

/* A range that cannot be teachable is an error, not a hang. */
static void test_unsatisfiable(void **state)
{
    (void)state;
    lesson *l = load("lessons/sauppe-sgd-step.lesson");
    add_vary(l, "w_*,* choice 9");
    char err[512];
    assert_int_equal(variant_apply(l, 12345, err, sizeof err), VARIANT_ERR_UNTEACHABLE);
    assert_non_null(strstr(err, "no teachable variant"));
    lesson_free(l);
    l = load("lessons/sauppe-sgd-step.lesson");
    assert_int_equal(variant_apply(l, 1, err, sizeof err), VARIANT_ERR_NO_VARY);
    assert_non_null(strstr(err, "no 'vary' lines"));
    lesson_free(l);
}

/* hw.lesson's network, lines 1-10; a test adds steps, trace and vary lines
 * from line 11 on. */
static const char HW[] =
    "title t\ninput 1 2\nlayer logistic 3\nweight w_0,3 = 0.1\nweight w_1,3 = 0.1\nweight w_2,3 = 0.1\n"
    "loss sse\nrate 0.5\nexample 0.4 0.5 -> 1\ndigits 4\n";

static lesson *hw_with(const char *extra)
{
    char text[1024], err[512];
    snprintf(text, sizeof text, "%s%s", HW, extra);
    lesson *l = lesson_parse(text, strlen(text), "t", err, sizeof err);
    if (!l) fail_msg("%s", err);
    return l;
}

/* A draw is run only up to its first rejected value: 1000 draws of a
 * 2000-step lesson traced in full, every one rejected in step 1, fit in a
 * budget that ~26 draws run to their end would spend. */
static void test_search_stops_at_first_rejected_value(void **state)
{
    (void)state;
    lesson *l = hw_with("steps 2000\ntrace all\nvary w_*,* choice 9\nvary x_1 choice 0.2 0.4 0.6\nvary-limit 3\n");
    char err[1024];
    variant_status st = variant_apply_budget(l, 12345, 1e6, err, sizeof err);
    if (st != VARIANT_ERR_UNTEACHABLE) fail_msg("status %d: %s", st, err);
    static const char WANT[] = "t:13: no teachable variant (|in_j| <= 3, no kink, no rounding tie) in 1000 draws; "
                               "the last value rejected: in_3 = ";
    if (strncmp(err, WANT, strlen(WANT))) fail_msg("'%s', expected '%s...'", err, WANT);
    assert_non_null(strstr(err, "(beyond the limit on |in_j|)"));
    assert_string_equal(variant_hint(st), "widen the 'vary' ranges or raise 'vary-limit'");
    lesson_free(l);
}

/* Draws rejected late (in_3 passes 4 near step 1100 of 1500, traced) stop
 * the search when the work of all draws reaches the budget, with a message
 * that names the line, the work and the last rejected value, and a hint. */
static void test_search_budget(void **state)
{
    (void)state;
    lesson *l = hw_with("steps 1500\ntrace all\nvary x_1 choice 0.2 0.4 0.6\nvary-limit 4\n");
    char err[1024];
    variant_status st = variant_apply_budget(l, 7, 1e6, err, sizeof err);
    if (st != VARIANT_ERR_BUDGET) fail_msg("status %d: %s", st, err);
    static const char *const WANT[] = {
        "t:13: no teachable variant (|in_j| <= 4, no kink, no rounding tie) in the ",
        " draws the search can afford: together they ran ", " operations (steps x batch 1 x (arcs 3 + neurons 1)) and traced ",
        " quantities, the limit of the sum being 1e+06; the last value rejected: in_3^(", "(beyond the limit on |in_j|)",
    };
    for (size_t k = 0; k < sizeof WANT / sizeof WANT[0]; k++)
        if (!strstr(err, WANT[k])) fail_msg("no '%s' in '%s'", WANT[k], err);
    int draws = atoi(err + strlen(WANT[0]));
    assert_in_range(draws, 20, 80);          /* each draw ~2e4 of the 1e6 */
    assert_non_null(strstr(variant_hint(st), "fewer 'steps'"));
    lesson_free(l);
}

/* The budget leaves room for every draw of a 2000-step lesson: xor-mlp
 * with its weights varied needs 794 draws for this student, and gets the
 * variant it always got. */
static void test_budget_room_for_xor_mlp(void **state)
{
    (void)state;
    size_t n = 0;
    char *base = slurp("lessons/xor-mlp.lesson", &n), err[1024];
    assert_non_null(base);
    char *text = malloc(n + 64);
    assert_non_null(text);
    int len = snprintf(text, n + 64, "%s\nvary w_*,* uniform -1 1 step 0.1\n", base);
    lesson *l = lesson_parse(text, (size_t)len, "xor-mlp-varied", err, sizeof err);
    if (!l) fail_msg("%s", err);
    variant_status st = variant_apply(l, variant_seed(l, "hw9", "student3@example.edu"), err, sizeof err);
    if (st != VARIANT_OK) fail_msg("status %d: %s", st, err);
    static const struct { int i, j; double w; } W[] = {
        {0, 3, 0.3}, {1, 3, 0.2}, {2, 3, -0.6}, {0, 4, 0.6}, {1, 4, -0.2}, {2, 4, -0.2},
        {0, 5, -0.4}, {3, 5, 0.2}, {4, 5, -0.2},
    };
    for (size_t k = 0; k < sizeof W / sizeof W[0]; k++)
        assert_close(l->arcs[lesson_arc_index(l, W[k].i, W[k].j)].w, W[k].w, 0, 0);
    lesson_free(l);
    free(text);
    free(base);
}

/* The command says it with the file and line, a HINT and exit 2, at once
 * (it ran 53 s before each draw stopped at its first rejected value), word
 * for word as the README shows it. */
static void test_unteachable_command(void **state)
{
    (void)state;
    int rc;
    char *out = run_piped("", "template tests/grade/variants/unteachable.lesson --student ada", &rc);
    char *readme = slurp("README.md", NULL);
    assert_non_null(readme);
    for (char *line = out, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        char shown[1024];
        snprintf(shown, sizeof shown, "\n    %.*s\n", (int)(nl - line), line);
        if (!strstr(readme, shown)) fail_msg("README.md does not show the line%s", shown);
    }
    free(readme);
    static const char *const WANT[] = {
        "nntrace template: tests/grade/variants/unteachable.lesson:20: no teachable variant (|in_j| <= 3, "
        "no kink, no rounding tie) in 1000 draws; the last value rejected: in_3 = ",
        "\nHINT: widen the 'vary' ranges or raise 'vary-limit'\n",
    };
    if (rc != 2) fail_msg("exit %d:\n%s", rc, out);
    for (size_t k = 0; k < sizeof WANT / sizeof WANT[0]; k++)
        if (!strstr(out, WANT[k])) fail_msg("no '%s' in:\n%s", WANT[k], out);
    free(out);
}

static void test_metadata(void **state)
{
    (void)state;
    const char *J =
        "{\"id\": 123456, \"created_at\": \"2018-07-01T14:22:32.365935-07:00\",\n"
        " \"assignment\": {\"due_date\": \"2018-07-31T23:00:00.000000-07:00\", \"group_size\": 4,\n"
        "   \"group_submission\": true, \"id\": 25828, \"course_id\": 1234, \"late_due_date\": null,\n"
        "   \"title\": \"Programming \\\"Assignment\\\" 1\", \"total_points\": \"20.0\"},\n"
        " \"submission_method\": \"upload\",\n"
        " \"users\": [{\"email\": \"student@example.com\", \"id\": 1234, \"name\": \"Student User\"},\n"
        "           {\"email\": \"partner@example.com\", \"id\": 1235, \"name\": \"P\"}],\n"
        " \"previous_submissions\": [{\"submission_time\": \"2017-04-06T14:24:48\", \"score\": 0.0,\n"
        "   \"results\": {\"tests\": [{\"id\": 9}]}}]}\n";
    gsmeta m;
    char err[256];
    assert_int_equal(gsmeta_parse(J, strlen(J), "email", &m, err, sizeof err), 0);
    assert_string_equal(m.student, "student@example.com");
    assert_string_equal(m.assignment, "25828");
    assert_int_equal(gsmeta_parse(J, strlen(J), "id", &m, err, sizeof err), 0);
    assert_string_equal(m.student, "1234");
    assert_int_equal(m.n_users, 2);     /* a group: every member, in order */
    assert_string_equal(m.users[1], "1235");
    assert_int_equal(gsmeta_parse(J, strlen(J), "email", &m, err, sizeof err), 0);
    assert_string_equal(m.users[1], "partner@example.com");
    static const struct { const char *json, *msg; } GROUP[] = {
        {"{\"users\": [{\"email\": \"a\"}, {\"id\": 3, \"name\": \"P\"}]}",
         "no users[1].email (users[1] has: id, name; --student-field NAME picks one)"},
        {"{\"users\": [{\"email\": \"a@x\"}, {\"email\": \" A@X\"}]}", "users[0] and users[1] are both a@x"},
        {"{\"users\": [{\"email\": \"a\"}, {\"email\": \"\"}]}", "users[1].email is blank"},
        {"{\"users\": [{\"email\": \"a\"}, {\"email\": null}]}", "users[1].email is blank"},
        {"{\"users\": []}", "no users[0].email (no users)"},
    };
    for (size_t k = 0; k < sizeof GROUP / sizeof GROUP[0]; k++) {
        if (!gsmeta_parse(GROUP[k].json, strlen(GROUP[k].json), "email", &m, err, sizeof err))
            fail_msg("accepted: %s", GROUP[k].json);
        if (strcmp(err, GROUP[k].msg)) fail_msg("%s: '%s', expected '%s'", GROUP[k].json, err, GROUP[k].msg);
    }
    {   /* more members than a group holds: an error, not a cut list */
        char big[4096];
        size_t n = (size_t)snprintf(big, sizeof big, "{\"users\": [");
        for (int k = 0; k <= GSMETA_MAX_USERS; k++)
            n += (size_t)snprintf(big + n, sizeof big - n, "%s{\"email\": \"s%d\"}", k ? ", " : "", k);
        snprintf(big + n, sizeof big - n, "]}");
        assert_int_equal(gsmeta_parse(big, strlen(big), "email", &m, err, sizeof err), -1);
        assert_non_null(strstr(err, "more than"));
    }
    assert_int_equal(gsmeta_parse(J, strlen(J), "sid", &m, err, sizeof err), -1);
    assert_non_null(strstr(err, "users[0].sid"));
    assert_non_null(strstr(err, "users[0] has: email, id, name; --student-field NAME picks one"));
    static const char *const BAD[] = {"", "{", "[]", "{\"users\": [{\"email\": \"a\"}]", "{\"users\": [{\"email\": \"a\"}]} x",
                                      "{\"users\": [{\"email\": \"a\x01\"}]}", "{\"users\": {\"email\": \"a\"}}"};
    for (size_t k = 0; k < sizeof BAD / sizeof BAD[0]; k++)
        if (!gsmeta_parse(BAD[k], strlen(BAD[k]), "email", &m, err, sizeof err)) fail_msg("accepted: %s", BAD[k]);
    char deep[200];
    memset(deep, '[', sizeof deep);
    assert_int_equal(gsmeta_parse(deep, sizeof deep, "email", &m, err, sizeof err), -1);
    /* a numeric id is its number however JSON writes it; a string id is as written */
    static const struct { const char *json, *id; } IDS[] = {
        {"{\"assignment\": {\"id\": 25828.0}, \"users\": [{\"email\": \"a\"}]}", "25828"},
        {"{\"assignment\": {\"id\": 2.5828e4}, \"users\": [{\"email\": \"a\"}]}", "25828"},
        {"{\"assignment\": {\"id\": \"25828.0\"}, \"users\": [{\"email\": \"a\"}]}", "25828.0"},
        {"{\"assignment\": {\"id\": 0.5}, \"users\": [{\"email\": \"a\"}]}", "0.5"},
        {"{\"users\": [{\"email\": \"a\"}]}", ""},
    };
    for (size_t k = 0; k < sizeof IDS / sizeof IDS[0]; k++) {
        assert_int_equal(gsmeta_parse(IDS[k].json, strlen(IDS[k].json), "email", &m, err, sizeof err), 0);
        assert_string_equal(m.assignment, IDS[k].id);
    }
    /* a \u escape of an ASCII character is that character (as a roster
     * writes it); any other character is not printable ASCII, which no
     * roster or sheet id can hold, so it is an error (once read as '?') */
    static const struct { const char *name, *student; } NAMES[] = {
        {"a\\u0026B\\u003C", "a&b<"},
        {"tab\\there", "tab here"},
    };
    for (size_t k = 0; k < sizeof NAMES / sizeof NAMES[0]; k++) {
        char json[128];
        snprintf(json, sizeof json, "{\"users\": [{\"name\": \"%s\"}]}", NAMES[k].name);
        assert_int_equal(gsmeta_parse(json, strlen(json), "name", &m, err, sizeof err), 0);
        assert_string_equal(m.student, NAMES[k].student);
    }
    static const char *const BADU[] = {"\\u0000", "\\u00g1", "\\u12", "a\\", "\\x41",
                                       "Zo\\u00eb", "Zo\xC3\xAB", "\\u001b[2J", "\\ud83d\\ude00"};
    for (size_t k = 0; k < sizeof BADU / sizeof BADU[0]; k++) {
        char json[128];
        snprintf(json, sizeof json, "{\"users\": [{\"name\": \"%s\"}]}", BADU[k]);
        if (!gsmeta_parse(json, strlen(json), "name", &m, err, sizeof err)) fail_msg("accepted: %s", json);
    }
    static const char ZOE[] = "{\"assignment\": {\"id\": \"7\"}, \"users\": [{\"name\": \"Zo\\u00eb\"}]}";
    assert_int_equal(gsmeta_parse(ZOE, sizeof ZOE - 1, "name", &m, err, sizeof err), -1);
    assert_string_equal(err, "users[0].name holds a character that is not printable ASCII, which no roster or "
                             "sheet id can hold");
    static const char AID[] = "{\"assignment\": {\"id\": \"7\\u00e9\"}, \"users\": [{\"name\": \"z\"}]}";
    assert_int_equal(gsmeta_parse(AID, sizeof AID - 1, "name", &m, err, sizeof err), -1);
    assert_non_null(strstr(err, "assignment.id holds a character"));
    static const char NUL_ESC[] = "{\"users\": [{\"name\": \"a\\\0\"}]}";
    assert_int_equal(gsmeta_parse(NUL_ESC, sizeof NUL_ESC - 1, "name", &m, err, sizeof err), -1);
    /* an id longer than gsmeta holds is refused, not cut short (two long
     * addresses that start alike would be one student) */
    char json[600];
    int n = snprintf(json, sizeof json, "{\"users\": [{\"email\": \"");
    for (int k = 0; k < 300; k++) json[n++] = 'x';
    snprintf(json + n, sizeof json - (size_t)n, "\"}]}");
    assert_int_equal(gsmeta_parse(json, strlen(json), "email", &m, err, sizeof err), -1);
    assert_string_equal(err, "users[0].email is longer than 255 bytes");
}

/* Gradescope's metadata carries previous_submissions[], each with the whole
 * results.json of that submission, so it grows with every resubmission:
 * 40 of them of 30 kB each (a shipped lesson's sheet with worked answers)
 * are past a sheet's 1 MiB, and the student who resubmitted that often
 * must still be graded (before, the metadata was refused as "larger than
 * the 1048576-byte limit for an answer sheet" and every later submission
 * scored 0); a file past GSMETA_MAX_BYTES is refused by its size, naming
 * the metadata, before anything is read. */
static void test_metadata_resubmitted(void **state)
{
    (void)state;
    char dir[64], path[512], err[512];
    assert_int_equal(tmpdir_make(dir, "gsmeta"), 0);
    snprintf(path, sizeof path, "%s/submission_metadata.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"id\": 7, \"assignment\": {\"id\": 25828, \"title\": \"HW3\"},\n"
               " \"users\": [{\"email\": \"Bob@Example.edu\", \"id\": 2, \"name\": \"Bob\"}],\n"
               " \"previous_submissions\": [");
    for (int s = 0; s < 40; s++) {
        fprintf(f, "%s{\"submission_time\": \"2026-12-01T10:00:00-08:00\", \"score\": 5.0, \"results\": "
                   "{\"score\": 5, \"output\": \"score: 5 / 11\\n\", \"tests\": [", s ? ", " : "");
        for (int t = 0; t < 100; t++)
            fprintf(f, "%s{\"name\": \"w_%d,3^(1) (worked answer)\", \"output\": \"%0240d\\n\", "
                       "\"visibility\": \"after_due_date\"}", t ? ", " : "", t, t);
        fprintf(f, "]}}");
    }
    fprintf(f, "]}\n");
    assert_int_equal(fclose(f), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 1000000);
    gsmeta m;
    if (gsmeta_read(path, "email", &m, err, sizeof err)) fail_msg("%s", err);
    assert_string_equal(m.student, "bob@example.edu");
    assert_string_equal(m.assignment, "25828");
    /* past the limit: refused by its size (a sparse file: nothing is read) */
    assert_int_equal(truncate(path, (off_t)GSMETA_MAX_BYTES + 1), 0);
    assert_int_equal(gsmeta_read(path, "email", &m, err, sizeof err), -1);
    if (!strstr(err, "limit for Gradescope's submission metadata; not read")) fail_msg("%s", err);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(tmpdir_remove(dir), 0);
}

/* The commands end to end: a roster's sheets and key, a student's filled
 * sheet graded from its header, from --student and from Gradescope's
 * metadata, and the same sheet submitted as another student. */
static void test_class_end_to_end(void **state)
{
    (void)state;
    char dir[64], cmd[8192], nt[4096];
    assert_int_equal(tmpdir_make(dir, "variants"), 0);
    bin_abs(nt);
    const char *L = "tests/grade/variants/hw.lesson";
    snprintf(cmd, sizeof cmd,
             "set -e; D=%s; NT=%s; L=%s\n"
             "printf 'Name,Email\\nAda,ada@example.edu\\n\"Bob, Jr.\",bob@example.edu\\nCy,cy@example.edu\\n' > $D/roster.csv\n"
             "$NT variants $L --roster $D/roster.csv -o $D/out --assignment hw3\n"
             "test -s $D/out/ada@example.edu.txt && test -s $D/out/bob@example.edu.txt\n"
             "echo pages=$(tr -cd '\\f' < $D/out/sheets.txt | wc -c)\n"
             "echo keylines=$(wc -l < $D/out/answer-key.csv)\n"
             "$NT template $L --student ada@example.edu --assignment hw3 | cmp - $D/out/ada@example.edu.txt && echo same-sheet\n"
             /* after the student, the variant and the 4 drawn givens */
             "grep '^ada@' $D/out/answer-key.csv | cut -d, -f7- | tr , '\\n' > $D/vals\n"
             "grep -v '^#' $D/out/ada@example.edu.txt | sed 's/ = $//' > $D/names\n"
             "{ grep '^#' $D/out/ada@example.edu.txt; paste -d= $D/names $D/vals; } > $D/ada-filled.txt\n"
             "$NT check $L $D/ada-filled.txt --no-color > $D/own.txt && echo own-ok\n"
             "grep -c 'correct' $D/own.txt || true\n"
             "printf '{\"assignment\": {\"id\": \"hw3\"}, \"users\": [{\"email\": \"ada@example.edu\", \"id\": 7}]}' > $D/meta.json\n"
             "$NT check $L $D/ada-filled.txt --metadata $D/meta.json --gradescope $D/results.json --quiet && echo meta-ok\n"
             "grep -o '\"score\": [0-9.]*' $D/results.json | head -1\n"
             "$NT check $L $D/ada-filled.txt --student bob@example.edu --assignment hw3 --no-color > $D/bob.txt || echo bob-exit=$?\n"
             "grep 'warning:' $D/bob.txt\n"
             "grep score: $D/bob.txt\n"
             "printf '{\"users\": [{\"email\": \"ada@example.edu\"}]}' > $D/noid.json\n"
             "$NT check $L $D/ada-filled.txt --metadata $D/noid.json --quiet 2>&1 || echo noid-exit=$?\n",
             dir, nt, L);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, out);
    static const char *const WANT[] = {
        "wrote 3 sheets", "pages=2", "keylines=4", "same-sheet", "own-ok", "meta-ok", "\"score\": 11",
        "bob-exit=1", "warning: this sheet is variant", "not bob@example.edu's",
        "noid.json: no assignment.id, and tests/grade/variants/hw.lesson's numbers vary by assignment",
        "noid-exit=2",
    };
    for (size_t k = 0; k < sizeof WANT / sizeof WANT[0]; k++)
        if (!strstr(out, WANT[k])) fail_msg("no '%s' in:\n%s", WANT[k], out);
    if (strstr(out, "score: 11 / 11")) fail_msg("another student's sheet scored full marks:\n%s", out);
    free(out);

    /* bad use: a variant for a lesson without `vary`, a bad code, a bad roster */
    static const struct { const char *args, *msg; } BAD[] = {
        {"template lessons/sauppe-sgd-step.lesson --student ada", "has no 'vary' lines"},
        {"template tests/grade/variants/hw.lesson --variant NOT-ACODE", "is not a variant code"},
        {"variants tests/grade/variants/hw.lesson --roster /nonexistent.csv -o /tmp/x", "/nonexistent.csv"},
        {"variants tests/grade/variants/hw.lesson -o /tmp/x", "needs --roster"},
        {"check tests/grade/variants/hw.lesson /nonexistent/answers.txt", "upload your answer sheet as 'answers.txt'"},
    };
    for (size_t k = 0; k < sizeof BAD / sizeof BAD[0]; k++) {
        out = run_piped("", BAD[k].args, &rc);
        if (rc != 2 || !strstr(out, BAD[k].msg)) fail_msg("%s: exit %d\n%s", BAD[k].args, rc, out);
        free(out);
    }
    tmpdir_remove(dir);
}

/* The header and the row of student id (NULL: the second row) of an
 * answer-key.csv, as "NAME=VALUE;" for each column after the variant. */
static void key_columns(const char *file, const char *id, char *out, size_t size)
{
    char *text = slurp(file, NULL);
    if (!text) fail_msg("no %s", file);
    csv c;
    csv_parse(&c, text);
    free(text);
    uint32_t r = 1;
    while (id && r < c.nrow && strcmp(csv_at(&c, r, 0), id)) r++;
    if (r >= c.nrow) fail_msg("%s: no row for %s", file, id ? id : "a student");
    assert_string_equal(csv_at(&c, 0, 0), "student");
    assert_string_equal(csv_at(&c, 0, 1), "variant");
    size_t n = 0;
    out[0] = '\0';
    for (uint32_t k = 2; csv_at(&c, 0, k); k++) {
        if (!csv_at(&c, r, k)) fail_msg("%s: row %u is shorter than the header", file, r);
        n += (size_t)snprintf(out + n, size - n, "%s=%s;", csv_at(&c, 0, k), csv_at(&c, r, k));
        assert_true(n < size);
    }
    if (csv_at(&c, r, (uint32_t)(c.row0[1] - c.row0[0]))) fail_msg("%s: row %u is longer than the header", file, r);
    csv_free(&c);
}

/* answer-key.csv: after the student and the variant, the givens the `vary`
 * lines drew for the student, as their sheet states them, then the asked
 * values; a given not drawn (x_2, y_3, the rate of hw.lesson) has no
 * column, nor a drawn one the sheet asks for (it is an asked column). */
static void test_answer_key_givens(void **state)
{
    (void)state;
    char dir[64], cmd[8192], nt[4096], file[256], cols[4096];
    assert_int_equal(tmpdir_make(dir, "key"), 0);
    bin_abs(nt);
    snprintf(cmd, sizeof cmd,
             "set -e; D=%s; NT=%s\n"
             "printf 'email\\nada@example.edu\\nbob@example.edu\\n' > $D/roster.csv\n"
             "$NT variants tests/grade/variants/hw.lesson --roster $D/roster.csv -o $D/hw --assignment 25828\n"
             "$NT variants tests/grade/variants/hw.lesson --roster $D/roster.csv -o $D/ask --assignment 25828 "
             "--ask 'in_3 w_0,3'\n"
             /* a mini-batch: an input and a target of each example, and the rate */
             "{ cat lessons/sauppe-minibatch.lesson; echo 'vary x_1 choice 0.2 0.4'; echo 'vary rate choice 0.1 0.5'; "
             "echo 'vary y_3 choice 0 1'; } > $D/mb.lesson\n"
             "$NT variants $D/mb.lesson --roster $D/roster.csv -o $D/mb --ask 'w_0,3^(1)'\n",
             dir, nt);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, out);
    free(out);
    /* Ada's numbers, as her sheet in the README states them */
    snprintf(file, sizeof file, "%s/hw/answer-key.csv", dir);
    key_columns(file, "ada@example.edu", cols, sizeof cols);
    assert_string_equal(cols, "w_0,3=-0.7;w_1,3=-0.8;w_2,3=0.4;x_1=0.4;in_3=-0.82;a_3=0.3058;err_3=0.6942;"
                              "J=0.482;delta_3=-0.2947;dJ/dw_0,3=-0.2947;dJ/dw_1,3=-0.1179;dJ/dw_2,3=-0.1474;"
                              "w_0,3^(1)=-0.5526;w_1,3^(1)=-0.7411;w_2,3^(1)=0.4737;");
    /* Bob's as his sheet states them */
    key_columns(file, "bob@example.edu", cols, sizeof cols);
    snprintf(file, sizeof file, "%s/hw/bob@example.edu.txt", dir);
    char *sheet = slurp(file, NULL);
    assert_non_null(sheet);
    for (char *c = cols, *semi; (semi = strchr(c, ';')) && strncmp(c, "in_3=", 5); c = semi + 1) {
        char line[128], *eq = strchr(c, '=');
        snprintf(line, sizeof line, "#   %.*s = %.*s\n", (int)(eq - c), c, (int)(semi - eq - 1), eq + 1);
        if (!strstr(sheet, line)) fail_msg("the key's '%.*s' is not on Bob's sheet:\n%s", (int)(semi - c), c, sheet);
    }
    free(sheet);
    snprintf(file, sizeof file, "%s/ask/answer-key.csv", dir);
    key_columns(file, "ada@example.edu", cols, sizeof cols);
    assert_string_equal(cols, "w_1,3=-0.8;w_2,3=0.4;x_1=0.4;w_0,3=-0.7;in_3=-0.82;");
    snprintf(file, sizeof file, "%s/mb/answer-key.csv", dir);
    key_columns(file, NULL, cols, sizeof cols);
    if (!strstr(cols, "x_1[1]=") || !strstr(cols, "y_3[1]=") || !strstr(cols, "x_1[3]=") || !strstr(cols, "alpha=0.") ||
        strstr(cols, "x_2") || strstr(cols, "w_0,3=") || !strstr(cols, "w_0,3^(1)="))
        fail_msg("%s: %s", file, cols);
    tmpdir_remove(dir);
}

/* Run a shell script (script: a format of two %s, the scratch directory D
 * and the binary NT) and fail unless its output holds every want[n]; and,
 * when not NULL, none of it holds unwanted. */
static void expect_script(const char *tag, const char *script, const char *const *want, size_t n,
                          const char *unwanted)
{
    char dir[64], cmd[8192], nt[4096];
    assert_int_equal(tmpdir_make(dir, tag), 0);
    bin_abs(nt);
    snprintf(cmd, sizeof cmd, script, dir, nt);
    int rc;
    char *out = run_sh(cmd, &rc);
    for (size_t k = 0; k < n; k++)
        if (!strstr(out, want[k])) fail_msg("no '%s' in:\n%s", want[k], out);
    if (unwanted && strstr(out, unwanted)) fail_msg("'%s' in:\n%s", unwanted, out);
    free(out);
    tmpdir_remove(dir);
}

/* A class with one bad sheet and one copied sheet: the bad sheet is named
 * with its line, gets a "not graded" row, every other sheet is graded and
 * written, and the run ends with exit 2; the copy (another student's sheet,
 * headers and all) is flagged in the report and the CSV, and the gradebook
 * has one row for the student, its score left to the instructor. */
static void test_class_bad_and_copied_sheets(void **state)
{
    (void)state;
    static const char SCRIPT[] =
             "D=%s; NT=%s; V=tests/grade/variants; L=$V/hw.lesson\n"
             "$NT check $L $V/cy.txt $V/bad-variant.txt $V/ada.txt --csv $D/v.csv --gradebook $D/g.csv --quiet"
             " 2>$D/err; echo bad-exit=$?\n"
             "cat $D/err; cat $D/g.csv; cut -d, -f1-4 $D/v.csv\n"
             "mkdir -p $D/ada $D/bob; cp $V/ada.txt $D/ada/answers.txt; cp $V/ada.txt $D/bob/answers.txt\n"
             "$NT check $L $D/ada/answers.txt $D/bob/answers.txt --csv $D/c.csv --gradebook $D/gb.csv > $D/out;"
             " echo copy-exit=$?\n"
             "grep -c '^warning: another sheet claims ada@example.edu too' $D/out\n"
             "grep -c 'another sheet claims' $D/c.csv; grep -c '^ada@example.edu,,\"no score: 2 sheets claim' $D/gb.csv\n"
             "printf '{\"assignment\": {\"id\": 25828}, \"users\": [{\"email\": \"bob@example.edu\"}]}' > $D/bob.json\n"
             "$NT check $L $D/bob/answers.txt --metadata $D/bob.json --gradescope $D/r.json --quiet; echo meta-exit=$?\n"
             "grep -o 'warning: [^\\\\]*' $D/r.json\n"
             "$NT check lessons/sauppe-sgd-step.lesson $V/novary-variant.txt; echo novary-exit=$?\n"
             "$NT check $L - --quiet --csv $D/in.csv < $V/ada.txt; echo stdin-exit=$?\n";
    static const char *const WANT[] = {
        "bad-exit=2", "bad-variant.txt:1: '!!!' is not a variant code",
        "cy@example.edu,11,\n", "bad-variant.txt,0,\"not graded: line 1: '!!!' is not a variant code",
        "ada@example.edu,11,\n", "bad-variant.txt,,,0\n", "ada.txt,ada@example.edu,8MW8-GCZQ-8,11\n",
        "copy-exit=1", "\n2\n2\n1\n", "meta-exit=1", "but bob@example.edu submitted it",
        "this sheet is variant 8MW8-GCZQ-8, not bob@example.edu's",
        "'# variant: ABCD-EFGH' (line 1) is ignored", "novary-exit=0", "stdin-exit=0",
    };
    expect_script("class", SCRIPT, WANT, sizeof WANT / sizeof WANT[0], NULL);
}

/* The assignment given by staff (--assignment, --metadata) wins over a
 * sheet's "# assignment:" line: bob's sheet of assignment 1, filled in
 * right, is graded as assignment 25828 and flagged, never 11/11. */
static void test_assignment_given_wins(void **state)
{
    (void)state;
    static const char SCRIPT[] =
             "D=%s; NT=%s; V=tests/grade/variants; L=$V/hw.lesson\n"
             "printf '# student: bob@example.edu\\n# assignment: 1\\nin_3 = 0.75\\na_3 = 0.6792\\n"
             "err_3 = 0.3208\\nJ = 0.1029\\ndelta_3 = -0.1398\\ndJ/dw_0,3 = -0.1398\\ndJ/dw_1,3 = -0.028\\n"
             "dJ/dw_2,3 = -0.0699\\nw_0,3^(1) = 0.7699\\nw_1,3^(1) = 1.014\\nw_2,3^(1) = -0.265\\n' > $D/bob.txt\n"
             "$NT check $L $D/bob.txt --assignment 1 --quiet; echo own-exit=$?\n"
             "$NT check $L $D/bob.txt --assignment 25828 --quiet --csv $D/g.csv; echo other-exit=$?\n"
             "cut -d, -f2,4 $D/g.csv; grep -c 'header names assignment 1, but it is graded as assignment 25828' $D/g.csv\n"
             "printf '{\"assignment\": {\"id\": 25828}, \"users\": [{\"email\": \"bob@example.edu\"}]}' > $D/m.json\n"
             "$NT check $L $D/bob.txt --metadata $D/m.json --gradescope $D/r.json --quiet; echo meta-exit=$?\n"
             "grep -o 'warning: [^\\\\]*' $D/r.json\n";
    static const char *const WANT[] = {
        "own-exit=0", "other-exit=1", "bob@example.edu,", "\n1\n", "meta-exit=1",
        "warning: the sheet's header names assignment 1, but it is graded as assignment 25828",
    };
    expect_script("assign", SCRIPT, WANT, sizeof WANT / sizeof WANT[0], "bob@example.edu,11\n");
}

/* A class graded by the sheets' own headers (no --student): a sheet that
 * names no student is flagged, two sheets of one variant code are both
 * flagged, and a code with a typo or made up is refused with its line,
 * never graded against some other numbers. */
static void test_class_headers_checked(void **state)
{
    (void)state;
    static const char SCRIPT[] =
             "D=%s; NT=%s; V=tests/grade/variants; L=$V/hw.lesson\n"
             "grep -v '^# student:' $V/ada.txt > $D/anon.txt; grep -v '^# student:' $V/ada.txt > $D/anon2.txt\n"
             "$NT check $L $D/anon.txt $V/cy.txt $D/anon2.txt --csv $D/c.csv > $D/out; echo anon-exit=$?\n"
             "grep -c '^warning: the sheet names no student' $D/out\n"
             "grep -c 'another sheet is variant 8MW8-GCZQ-8 too' $D/c.csv\n"
             "grep '^.*cy.txt,' $D/c.csv | cut -d, -f1-4,13\n"
             "grep -v '^# ' $V/ada.txt > $D/bare.txt\n"
             "$NT check $L $D/bare.txt --csv $D/b.csv --quiet; echo bare-exit=$?; grep -c 'names no student' $D/b.csv\n"
             "for code in 8MW8-GCQZ-8 AAAA-AAAA-A 8MW8-GCZQ; do sed \"s/^# variant: .*/# variant: $code/\" $D/anon.txt"
             " > $D/typo.txt; $NT check $L $D/typo.txt --quiet; echo typo-exit=$?; done\n";
    static const char *const WANT[] = {
        "anon-exit=1", "\n2\n2\n", "cy.txt,cy@example.edu,8XDJ-NMY5-V,11,\n", "bare-exit=1", "\n1\n",
        "typo.txt:5: '8MW8-GCQZ-8' fails its check character (a typo?", "typo-exit=2",
        "typo.txt:5: 'AAAA-AAAA-A' fails its check character",
        "typo.txt:5: '8MW8-GCZQ' has no check character",
    };
    expect_script("headers", SCRIPT, WANT, sizeof WANT / sizeof WANT[0], "typo-exit=0");
}

/* Student ids are normalised wherever they are read (a roster row with
 * blanks and capitals is the student of the lower-case metadata); a bad
 * roster (two rows of one student, a header without an id column, ';' for
 * ',', a 300-character id, two ids that are one file name, an id that is
 * the combined file's name) is an error naming the file and line, and
 * nothing is written; no output of check may overwrite an input or
 * another output. */
static void test_ids_and_rosters(void **state)
{
    (void)state;
    static const char SCRIPT[] =
             "D=%s; NT=%s; V=tests/grade/variants; L=$V/hw.lesson\n"
             "printf 'Name,Email\\nAda Lovelace, Ada@Example.edu \\n' > $D/case.csv\n"
             "$NT variants $L --roster $D/case.csv -o $D/s --assignment 25828; echo case-exit=$?\n"
             "grep -h '^# student\\|^# variant' $D/s/*.txt\n"
             "printf '{\"assignment\": {\"id\": 25828}, \"users\": [{\"email\": \"ada@example.edu\"}]}' > $D/m.json\n"
             "$NT check $L $D/s/ada@example.edu.txt --metadata $D/m.json --quiet --csv $D/c.csv; echo meta-exit=$?\n"
             "grep -c 'this sheet is variant' $D/c.csv\n"
             "$NT template $L --student ' ADA@example.EDU' --assignment 25828 | grep '^# variant'\n"
             "printf 'email\\nada@example.edu\\nADA@example.edu\\n' > $D/dup.csv\n"
             "printf 'Full Name,Email Address\\nAda,ada@example.edu\\n' > $D/addr.csv\n"
             "printf 'Email;Name\\nada@example.edu;Ada\\n' > $D/semi.csv\n"
             "printf 'email\\nbob@example.edu\\n%%0300d\\n' 0 > $D/long.csv\n"
             "printf 'email\\na/b\\na_b\\n' > $D/clash.csv\n"
             "printf 'email\\nada@example.edu\\nsheets\\n' > $D/all.csv\n"
             "for r in dup addr semi long clash all; do $NT variants $L --roster $D/$r.csv -o $D/out-$r; echo $r-exit=$?;"
             " test -e $D/out-$r && echo $r-wrote-something; done\n"
             "cp $V/ada.txt $D/a.txt; cp $L $D/hw.lesson\n"
             "$NT check $D/hw.lesson $D/a.txt --gradebook $D/a.txt; echo gb-sheet=$?\n"
             "$NT check $D/hw.lesson $D/a.txt --gradebook $D/hw.lesson; echo gb-lesson=$?\n"
             "$NT check $D/hw.lesson $D/a.txt --csv $D/x.csv --gradebook $D/x.csv; echo gb-csv=$?\n"
             "cmp -s $D/a.txt $V/ada.txt && cmp -s $D/hw.lesson $L && echo inputs-kept\n";
    static const char *const WANT[] = {
        "case-exit=0", "# student: ada@example.edu\n# variant: 8MW8-GCZQ-8", "meta-exit=1",
        "\n0\n", "# variant: 8MW8-GCZQ-8\n",
        "dup.csv:3: ada@example.edu is already on line 2", "dup-exit=2",
        "addr.csv:1: no student id column", "'Full Name', 'Email Address'", "did you mean --column 'Email Address'?",
        "addr-exit=2", "semi.csv:1:", "separated by ';'", "semi-exit=2",
        "long.csv:3: a student id of 300 characters; at most 255", "long-exit=2",
        "clash.csv:2 and 3: students 'a/b' and 'a_b' would both be written as a_b.txt", "clash-exit=2",
        "all.csv:3: student 'sheets' would be written as sheets.txt", "all-exit=2",
        "gb-sheet=2", "gb-lesson=2", "--csv and --gradebook both name", "gb-csv=2", "inputs-kept",
    };
    expect_script("roster", SCRIPT, WANT, sizeof WANT / sizeof WANT[0], "wrote-something");
}

/* The grading and variant keys of a lesson. */
static void test_lesson_keys(void **state)
{
    (void)state;
    lesson *l = load("tests/grade/variants/hw.lesson");
    assert_int_equal(l->n_vary, 2);
    assert_int_equal(l->vary[1].kind, VARY_CHOICE);
    assert_int_equal(l->vary[1].n_choice, 3);
    assert_close(l->vary_limit, 3, 0, 0);
    assert_close(l->short_credit, 0.25, 0, 0);
    lesson_free(l);
    char text[512], err[512];
    snprintf(text, sizeof text, "title t\nloss sse\ninput 1\nlayer identity 2\nnobias 2\necf-depth 2\necf 0.6\nsigfigs 3\ntolerance 1%%\n"
             "weight w_1,2 = 1\nexample 1 -> 1\n");
    l = lesson_parse(text, strlen(text), "t", err, sizeof err);
    if (!l) fail_msg("%s", err);
    assert_int_equal(l->ecf_depth, 2);
    assert_close(l->ecf_credit, 0.6, 0, 0);
    assert_int_equal(l->sigfigs, 3);
    assert_close(l->tolerance_rel, 0.01, 0, 1e-15);
    lesson_free(l);
    static const struct { const char *add, *msg; } BAD[] = {
        {"vary w_* normal 0 1\n", "t:3: 'vary w_*': unknown distribution"},
        {"vary-limit 0\n", "t:3: 'vary-limit' must be positive"},
        {"feedback some\n", "t:3: 'feedback' takes verdict, hint or full"},
        {"short-credit 2\n", "t:3: 'short-credit' takes a share"},
        {"tolerance 150%\n", "t:3: 'tolerance' must be positive"},
        {"sigfigs 0\n", "t:3:"},
    };
    for (size_t k = 0; k < sizeof BAD / sizeof BAD[0]; k++) {
        char text[512], err[512];
        snprintf(text, sizeof text, "input 1\nlayer identity 2\n%sweight w_1,2 = 1\nexample 1 -> 1\n", BAD[k].add);
        lesson *b = lesson_parse(text, strlen(text), "t", err, sizeof err);
        if (b) { lesson_free(b); fail_msg("accepted: %s", BAD[k].add); }
        if (strncmp(err, BAD[k].msg, strlen(BAD[k].msg))) fail_msg("'%s', expected '%s'", err, BAD[k].msg);
    }
}

/* Every `vary` line must draw a given, or it would be silently ignored (or,
 * alone, fail later with no line): each error names the line. */
static void test_vary_names_a_given(void **state)
{
    (void)state;
    static const char HEAD[] =
        "title t\ninput 1 2\nlayer logistic 3 4\nlayer logistic 5\ntie b1 = w_0,3 w_0,4\nweight b1 = 0.3\n"
        "init uniform -1 1 1\nloss sse\nrate 0.5\nexample 0.5 1 -> 1\n";
    static const struct { const char *add, *msg; } BAD[] = {
        /* a tie is one given, varied by its NAME, like 'weight b1 = V' */
        {"vary w_0,3 choice 0.7 0.9\n",
         "t:11: 'vary w_0,3' names w_0,3, an arc of tie 'b1' (line 5), which is one given: vary b1"},
        {"vary w_1,9 choice 1 2\n",
         "t:11: 'vary w_1,9' names no given of this lesson (a weight w_i,j, alias or tie, an input x_k, "
         "a target y_k or the rate); did you mean w_1,3, w_1,4 or w_2,3?"},
        {"vary x_1 choice 1 2\nvary x1 choice 1 2\n", "t:12: 'vary x1' names no given"},
        /* the first line naming a given draws it: a later one draws nothing */
        {"vary w_*,* uniform -1 1 step 0.1\nvary w_1,4 choice 1 2\n",
         "t:12: 'vary w_1,4' draws nothing: every given it names is drawn by line 11 ('vary w_*,*'), "
         "the first line naming it"},
        /* a lesson that does not train uses no rate */
        {"steps 0\nvary rate choice 0.1 0.2\n",
         "t:12: 'vary rate' draws nothing: the lesson trains no step ('steps 0'), so it never uses its rate"},
        {"update no\nvary rate choice 0.1 0.2\n",
         "t:12: 'vary rate' draws nothing: the lesson updates no weight ('update no'), so it never uses its rate"},
    };
    for (size_t k = 0; k < sizeof BAD / sizeof BAD[0]; k++) {
        char text[1024], err[512];
        snprintf(text, sizeof text, "%s%s", HEAD, BAD[k].add);
        lesson *b = lesson_parse(text, strlen(text), "t", err, sizeof err);
        if (b) { lesson_free(b); fail_msg("accepted: %s", BAD[k].add); }
        if (strncmp(err, BAD[k].msg, strlen(BAD[k].msg))) fail_msg("'%s', expected '%s'", err, BAD[k].msg);
    }
    /* the tie's name, an arc's w_i,j and the rate of a training lesson are givens */
    char text[1024], err[512];
    snprintf(text, sizeof text, "%svary b1 choice 0.1 0.2\nvary w_1,3 choice 1 2\nvary rate choice 0.1 1\n", HEAD);
    lesson *l = lesson_parse(text, strlen(text), "t", err, sizeof err);
    if (!l) fail_msg("%s", err);
    lesson_free(l);
}

/* A sheet copied from the lesson's own worked example (the lecture's
 * numbers, `nntrace run` of the lesson) earns carried credit against any
 * variant: every answer after in_3 follows from its in_3 = 0.19. It is
 * flagged with both scores (exit 1, in the Gradescope output too); a
 * sheet of the student's own numbers is not. */
static void test_own_numbers_flagged(void **state)
{
    (void)state;
    char dir[64], cmd[8192], nt[4096];
    assert_int_equal(tmpdir_make(dir, "own"), 0);
    bin_abs(nt);
    snprintf(cmd, sizeof cmd,
             "D=%s; NT=%s; L=tests/grade/variants/hw.lesson\n"
             "$NT run $L > $D/run.txt\n"
             "$NT check $L $D/run.txt --student bob@example.edu --assignment 25828 --no-color "
             "--feedback verdict --gradescope $D/r.json; echo exit=$?\n"
             "grep -c 'fit the lesson' $D/r.json\n"
             "$NT check $L tests/grade/variants/ada.txt --assignment 25828 --no-color; echo own-exit=$?\n",
             dir, nt);
    int rc;
    char *out = run_sh(cmd, &rc);
    static const char *const WANT[] = {
        "warning: the answers fit the lesson's own numbers (its worked example, no variant) better than variant "
        "LC6N-T8BD-6: 11/11 against 6/11",
        "score: 6 / 11", "exit=1\n1\n", "score: 11 / 11", "own-exit=0"};
    for (size_t k = 0; k < sizeof WANT / sizeof WANT[0]; k++)
        if (!strstr(out, WANT[k])) fail_msg("no '%s' in:\n%s", WANT[k], out);
    if (strstr(strstr(out, "exit=1"), "fit the lesson")) fail_msg("own sheet flagged:\n%s", out);
    free(out);
    tmpdir_remove(dir);
}

/* scripts/gradescope/run_autograder in a scratch /autograder: the student
 * named by the metadata is graded against their own variant, the visible
 * tests carry verdicts only, the worked answers come after the due date;
 * one file uploaded under another name is graded, and with two the results
 * say what to upload. */
static void test_gradescope_script(void **state)
{
    (void)state;
    char dir[64], cmd[8192], nt[4096];
    assert_int_equal(tmpdir_make(dir, "autograder"), 0);
    bin_abs(nt);
    snprintf(cmd, sizeof cmd,
             "set -e; AG=%s; NT=%s\n"
             "mkdir -p $AG/source/build $AG/submission\n"
             "ln -s $NT $AG/source/build/nntrace\n"
             "cp tests/grade/variants/hw.lesson $AG/source/assignment.lesson\n"
             "printf '{\"assignment\": {\"id\": 25828}, \"users\": [{\"email\": \"ada@example.edu\", \"id\": 1}]}' "
             "> $AG/submission_metadata.json\n"
             "$NT template $AG/source/assignment.lesson --student ada@example.edu --assignment 25828 "
             "| sed 's/^in_3 = $/in_3 = 7/' > $AG/submission/answers.txt\n"
             "AUTOGRADER=$AG bash scripts/gradescope/run_autograder\n"
             "cat $AG/results/results.json\n"
             "mv $AG/submission/answers.txt $AG/submission/Answers.TXT\n"
             "AUTOGRADER=$AG bash scripts/gradescope/run_autograder\n"
             "grep -o 'wrong: you wrote 7' $AG/results/results.json | sed 's/^/renamed: /'\n"
             "echo x > $AG/submission/notes.md\n"
             "AUTOGRADER=$AG bash scripts/gradescope/run_autograder\n"
             "grep -o 'upload your answer sheet as [^ ]*' $AG/results/results.json\n"
             /* the sheet uploaded alone under the name `variants` gave it: graded */
             "rm $AG/submission/*\n"
             "$NT template $AG/source/assignment.lesson --student ada@example.edu --assignment 25828 "
             "| sed 's/^a_3 = $/a_3 = 8/' > $AG/submission/ada@example.edu.txt\n"
             "AUTOGRADER=$AG bash scripts/gradescope/run_autograder\n"
             "grep -o 'wrong: you wrote 8' $AG/results/results.json\n"
             /* a zipped folder, which Gradescope unpacks: its answers.txt, or its one file */
             "rm $AG/submission/*; mkdir $AG/submission/hw3\n"
             "$NT template $AG/source/assignment.lesson --student ada@example.edu --assignment 25828 "
             "| sed 's/^a_3 = $/a_3 = 9/' > $AG/submission/hw3/answers.txt\n"
             "AUTOGRADER=$AG bash scripts/gradescope/run_autograder\n"
             "grep -o 'wrong: you wrote 9' $AG/results/results.json | sed 's/^/folder: /'\n"
             "mv $AG/submission/hw3/answers.txt $AG/submission/hw3/mine.txt\n"
             "AUTOGRADER=$AG bash scripts/gradescope/run_autograder\n"
             "grep -o 'wrong: you wrote 9' $AG/results/results.json | sed 's/^/folder-file: /'\n"
             "rm -r $AG/submission/hw3; ln -s $AG/source $AG/submission/src\n"  /* a link: not followed */
             "AUTOGRADER=$AG bash scripts/gradescope/run_autograder\n"
             "grep -o 'upload your answer sheet as [^ ]*' $AG/results/results.json | sed 's/^/link: /'\n"
             /* a PDF uploaded by mistake: told so, not graded line by line */
             "rm $AG/submission/*; printf '%%%%PDF-1.4\\n1 0 obj\\n' > $AG/submission/answers.pdf\n"
             "AUTOGRADER=$AG bash scripts/gradescope/run_autograder\n"
             "grep -o 'this is a PDF document, not the text answer sheet' $AG/results/results.json\n"
             "grep -c 'lines not graded' $AG/results/results.json || true\n"
             /* an empty upload: results.json says the file is empty, also
              * when the scored tests are hidden until grades are published */
             "rm $AG/submission/*; : > $AG/submission/answers.txt\n"
             "AUTOGRADER=$AG bash scripts/gradescope/run_autograder\n"
             "grep -o '\"output\": \"[^\"]*the answer sheet is empty (0 bytes)' $AG/results/results.json "
             "| sed 's/.*\\\\n/empty: /'\n"
             "$NT check $AG/source/assignment.lesson $AG/submission/answers.txt --quiet "
             "--metadata $AG/submission_metadata.json --gradescope $AG/hidden.json --visibility hidden || true\n"
             "grep -o 'empty (0 bytes)[^\"]*' $AG/hidden.json | sed 's/^/hidden: /'\n"
             "grep -c 'received and graded' $AG/hidden.json || true\n",
             dir, nt);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, out);
    static const char *const WANT[] = {
        "\"score\": 0", "variant ", "of ada@example.edu", "wrong: you wrote 7", "(worked answer)",
        "\"visibility\": \"after_due_date\"", "renamed: wrong: you wrote 7",
        "upload your answer sheet as 'answers.txt'",
        "wrong: you wrote 8", "folder: wrong: you wrote 9", "folder-file: wrong: you wrote 9",
        "link: upload your answer sheet as 'answers.txt'", "this is a PDF document, not the text answer sheet\n0\n",
        "empty: the answer sheet is empty (0 bytes)",
        "hidden: empty (0 bytes): there is no answer to grade; write your answers in it, save it and "
        "hand it in again\\n\n0\n",
    };
    for (size_t k = 0; k < sizeof WANT / sizeof WANT[0]; k++)
        if (!strstr(out, WANT[k])) fail_msg("no '%s' in:\n%s", WANT[k], out);
    free(out);
    tmpdir_remove(dir);
}

/* A group submission: Gradescope's metadata lists every member in users[]
 * (its documented format: email, id, name), each member has their own
 * variant, one sheet comes in. It is graded against the member its header
 * names; a sheet naming no member, against the member whose variant fits
 * best, flagged with each member's score; a header naming one member on
 * another's answers is flagged. The staff see the warnings in
 * run_autograder's stdout even when the students' view hides them. */
static void test_group_submission(void **state)
{
    (void)state;
    char dir[64], cmd[8192], nt[4096];
    assert_int_equal(tmpdir_make(dir, "group"), 0);
    bin_abs(nt);
    snprintf(cmd, sizeof cmd,
             "set -e; AG=%s; NT=%s; L=tests/grade/variants/hw.lesson\n"
             "mkdir -p $AG/source/build $AG/submission $AG/s\n"
             "ln -s $NT $AG/source/build/nntrace\n"
             "cp $L $AG/source/assignment.lesson\n"
             "printf 'email\\nada@example.edu\\nbob@example.edu\\ncy@example.edu\\n' > $AG/roster.csv\n"
             "$NT variants $L --roster $AG/roster.csv -o $AG/s --assignment 25828 > /dev/null\n"
             /* each student's sheet filled with their own key row */
             "for st in ada bob cy; do\n"
             "  grep \"^$st@\" $AG/s/answer-key.csv | cut -d, -f7- | tr , '\\n' > $AG/vals\n"
             "  grep -v '^#' $AG/s/$st@example.edu.txt | sed 's/ = $//' > $AG/names\n"
             "  { grep '^#' $AG/s/$st@example.edu.txt; paste -d= $AG/names $AG/vals; } > $AG/$st.txt\n"
             "done\n"
             "printf '{\"id\": 1, \"assignment\": {\"group_size\": 3, \"group_submission\": true, \"id\": 25828, "
             "\"title\": \"hw\"}, \"submission_method\": \"upload\", \"users\": [{\"email\": \"ada@example.edu\", "
             "\"id\": 11, \"name\": \"Ada\"}, {\"email\": \"Bob@Example.edu\", \"id\": 12, \"name\": \"Bob\"}, "
             "{\"email\": \"cy@example.edu\", \"id\": 13, \"name\": \"Cy\"}], \"previous_submissions\": []}' "
             "> $AG/submission_metadata.json\n"
             "run() { cp $1 $AG/submission/answers.txt; AUTOGRADER=$AG bash scripts/gradescope/run_autograder "
             "> $AG/stdout; echo \"== $2 $(grep -o '\"score\": [0-9.]*' $AG/results/results.json | head -1)\"; "
             "grep -o '^\\(note\\|warning\\): .*' $AG/stdout; }\n"
             "run $AG/bob.txt named\n"
             "grep -v '^# student:' $AG/bob.txt > $AG/nohead.txt; run $AG/nohead.txt nohead\n"
             "grep -c 'each member' $AG/results/results.json\n"
             "sed 's/^# student: .*/# student: bob@example.edu/' $AG/cy.txt > $AG/mixed.txt; run $AG/mixed.txt mixed\n"
             /* the students' view hidden: no warning there, the staff's stdout has it */
             "cp $AG/nohead.txt $AG/submission/answers.txt\n"
             "$NT check $AG/source/assignment.lesson $AG/submission/answers.txt --metadata "
             "$AG/submission_metadata.json --gradescope $AG/hidden.json --visibility hidden > $AG/stdout || true\n"
             "echo hidden-warnings=$(grep -c 'each member' $AG/hidden.json || true) "
             "staff-warnings=$(grep -c 'each member' $AG/stdout || true)\n",
             dir, nt);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, out);
    static const char *const WANT[] = {
        "== named \"score\": 11\nnote: a group submission of ada@example.edu, bob@example.edu, cy@example.edu, "
        "graded against the member the sheet's header names; variant ",
        " of bob@example.edu\n== nohead \"score\": 11\nnote: a group submission of ada@example.edu, bob@example.edu, "
        "cy@example.edu, graded against the member whose variant fits the answers best; variant ",
        " of bob@example.edu\nwarning: the sheet names no student (no '# student:' line); each member's variant "
        "scores it: ada@example.edu ",
        "/11, bob@example.edu 11/11, cy@example.edu ",
        "\n1\n== mixed ",
        "warning: the answers fit the variant of cy@example.edu better than that of bob@example.edu, whom the "
        "sheet's header names; each member's variant scores it: ",
        "cy@example.edu 11/11; this sheet is variant ",
        "hidden-warnings=0 staff-warnings=1",
    };
    for (size_t k = 0; k < sizeof WANT / sizeof WANT[0]; k++)
        if (!strstr(out, WANT[k])) fail_msg("no '%s' in:\n%s", WANT[k], out);
    if (strstr(out, "== mixed \"score\": 11")) fail_msg("a header naming bob on cy's answers scored 11:\n%s", out);
    free(out);
    tmpdir_remove(dir);
}

/* scripts/gradescope/make-zip: the zip Gradescope unpacks into
 * /autograder/source has setup.sh, run_autograder and the lesson as
 * assignment.lesson at its top, beside the sources; its run_autograder
 * grades a submission; a lesson that is missing or broken writes no zip. */
static void test_gradescope_zip(void **state)
{
    (void)state;
    char dir[64], cmd[8192], nt[4096];
    assert_int_equal(tmpdir_make(dir, "gszip"), 0);
    bin_abs(nt);
    snprintf(cmd, sizeof cmd,
             "set -e; AG=%s; NT=%s\n"
             "scripts/gradescope/make-zip tests/grade/variants/hw.lesson $AG/ag.zip\n"
             "mkdir -p $AG/source $AG/submission\n"
             "(cd $AG/source && unzip -q ../ag.zip)\n"
             "test -x $AG/source/setup.sh && test -x $AG/source/run_autograder && test -f $AG/source/Makefile\n"
             "cmp tests/grade/variants/hw.lesson $AG/source/assignment.lesson && echo lesson-ok\n"
             "mkdir -p $AG/source/build && ln -s $NT $AG/source/build/nntrace\n"
             "printf '{\"assignment\": {\"id\": 25828}, \"users\": [{\"email\": \"ada@example.edu\"}]}' "
             "> $AG/submission_metadata.json\n"
             "$NT template tests/grade/variants/hw.lesson --student ada@example.edu --assignment 25828 "
             "| sed 's/^in_3 = $/in_3 = 7/' > $AG/submission/answers.txt\n"
             "AUTOGRADER=$AG $AG/source/run_autograder\n"
             "grep -o 'wrong: you wrote 7' $AG/results/results.json\n"
             "scripts/gradescope/make-zip $AG/none.lesson $AG/x.zip 2>&1 || echo exit=$?\n"
             "printf 'title x\\n' > $AG/bad.lesson\n"
             "scripts/gradescope/make-zip $AG/bad.lesson $AG/x.zip 2>&1 || echo exit=$?\n"
             "test ! -e $AG/x.zip && echo no-zip\n",
             dir, nt);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("exit %d:\n%s", rc, out);
    static const char *const WANT[] = {
        "wrote ", "note: the lesson has 'vary' lines", "lesson-ok", "wrong: you wrote 7",
        "none.lesson: no such lesson file\nexit=2", "missing 'input' line", "not a usable lesson", "no-zip",
    };
    for (size_t k = 0; k < sizeof WANT / sizeof WANT[0]; k++)
        if (!strstr(out, WANT[k])) fail_msg("no '%s' in:\n%s", WANT[k], out);
    free(out);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_vary_lines),
        cmocka_unit_test(test_thousand_students),
        cmocka_unit_test(test_unsatisfiable),
        cmocka_unit_test(test_search_stops_at_first_rejected_value),
        cmocka_unit_test(test_search_budget),
        cmocka_unit_test(test_budget_room_for_xor_mlp),
        cmocka_unit_test(test_unteachable_command),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_metadata_resubmitted),
        cmocka_unit_test(test_own_numbers_flagged),
        cmocka_unit_test(test_class_end_to_end),
        cmocka_unit_test(test_answer_key_givens),
        cmocka_unit_test(test_class_bad_and_copied_sheets),
        cmocka_unit_test(test_ids_and_rosters),
        cmocka_unit_test(test_assignment_given_wins),
        cmocka_unit_test(test_class_headers_checked),
        cmocka_unit_test(test_lesson_keys),
        cmocka_unit_test(test_vary_names_a_given),
        cmocka_unit_test(test_gradescope_script),
        cmocka_unit_test(test_group_submission),
        cmocka_unit_test(test_gradescope_zip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
