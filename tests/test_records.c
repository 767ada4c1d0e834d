/*
 * test_records.c - the JSON and CSV records reproduce themselves.
 *
 * For every lesson in lessons/, in the lesson's own arithmetic, exact, and
 * hand-rounded to 3 decimals: the JSON records are read back as text (name,
 * value, carried, operands), and each record's value is recomputed with the
 * one evaluator (eval_apply over the quantity's op_spec) from its listed
 * operands' `carried` values as written in the earlier records. Operand
 * slots the record does not list are filled with NaN, so a listed set that
 * misses an operand the formula needs cannot give the value. The result must
 * equal the written value bit for bit, and the written numbers must read
 * back as the engine's doubles (the shortest round-trip form). The CSV
 * carries the same columns.
 */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <dirent.h>
#include <math.h>

#include "engine.h"
#include "lesson.h"
#include "text.h"

#define MAX_OPS 4096

typedef struct {
    char   name[96];
    double value, carried;
    int    n_ops;
    char (*ops)[96];          /* operand names as listed */
    int    n_notes;
} record;

/* The text of a JSON string starting at s (just after its opening quote),
 * copied into out (at most size - 1 bytes; the records' names have no
 * escapes). Returns the position after the closing quote. */
static const char *json_string(const char *s, char *out, size_t size)
{
    size_t n = 0;
    while (*s && *s != '"') {
        if (*s == '\\' && s[1]) s++;
        if (n + 1 < size) out[n++] = *s;
        s++;
    }
    out[n] = '\0';
    return *s ? s + 1 : s;
}

static const char *field(const char *line, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\": ", key);
    const char *p = strstr(line, k);
    if (!p) fail_msg("no field %s in %s", key, line);
    return p + strlen(k);
}

static double number(const char *p)
{
    char *end;
    double v = strtod(p, &end);
    if (end == p) fail_msg("not a number: %.40s", p);
    return v;
}

/* One record line of the JSON output. */
static void parse_record(const char *line, record *r)
{
    json_string(field(line, "name") + 1, r->name, sizeof r->name);
    r->value = number(field(line, "value"));
    r->carried = number(field(line, "carried"));
    const char *p = field(line, "notes");
    assert_int_equal(*p, '[');
    r->n_notes = 0;
    for (p++; *p == '"' || *p == ',' || *p == ' ';) {
        if (*p == '"') { char tmp[256]; p = json_string(p + 1, tmp, sizeof tmp); r->n_notes++; }
        else p++;
    }
    p = field(line, "operands");
    assert_int_equal(*p, '[');
    r->n_ops = 0;
    for (p++; *p && *p != ']';) {
        if (*p == '"') {
            assert_true(r->n_ops < MAX_OPS);
            p = json_string(p + 1, r->ops[r->n_ops++], 96);
        } else {
            p++;
        }
    }
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0 || (a == 0 && b == 0);
}

/* Check one lesson in one arithmetic; returns the records checked. */
static size_t check_lesson(const char *path, int round)
{
    char err[768];
    lesson *l = lesson_load(path, err, sizeof err);
    if (!l) fail_msg("%s", err);
    engine_opts eo = {.round = round};
    engine_result r;
    if (engine_run(l, &eo, &r, err, sizeof err)) fail_msg("%s: %s", path, err);
    const trace *tr = r.tr;

    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    assert_int_equal(text_print_json(m, l, &r, l->digits, l->notation), 0);
    assert_int_equal(fclose(m), 0);

    record *recs = calloc(tr->n + 1, sizeof *recs);
    double *x = malloc(MAX_OPS * sizeof *x);
    assert_non_null(recs);
    assert_non_null(x);
    size_t n = 0, with_notes = 0;
    for (char *line = strstr(buf, "\n  {"); line; line = strstr(line + 1, "\n  {")) {
        assert_true(n < tr->n);
        char *eol = strchr(line + 1, '\n');
        if (eol) *eol = '\0';
        recs[n].ops = malloc(MAX_OPS * sizeof *recs[n].ops);
        assert_non_null(recs[n].ops);
        parse_record(line, &recs[n]);
        if (eol) *eol = '\n';
        const quantity *q = &tr->q[n];
        char name[96];
        trace_name(q, name, sizeof name);
        assert_string_equal(recs[n].name, name);
        /* the written numbers are the engine's doubles */
        if (!same_bits(recs[n].value, q->value))
            fail_msg("%s: %s value %.17g written as %.17g", path, name, q->value, recs[n].value);
        if (!same_bits(recs[n].carried, trace_operand_value(tr, (uint32_t)n)))
            fail_msg("%s: %s carried written as %.17g", path, name, recs[n].carried);
        if (tr->round < 0) assert_true(same_bits(recs[n].carried, recs[n].value));
        if (q->notes) { assert_true(recs[n].n_notes > 0); with_notes++; }
        if (q->spec.op != OP_CONST) {
            /* the value again, from the listed operands' carried values */
            assert_true(q->nops <= MAX_OPS);
            int used = 0;
            for (uint32_t k = 0; k < q->nops; k++) {
                char on[96];
                trace_name(&tr->q[tr->ops[q->first + k]], on, sizeof on);
                x[k] = NAN;
                for (int o = 0; o < recs[n].n_ops; o++) {
                    if (strcmp(recs[n].ops[o], on)) continue;
                    /* the latest earlier record of that name */
                    long src = -1;
                    for (long e = (long)n - 1; e >= 0 && src < 0; e--)
                        if (!strcmp(recs[e].name, on)) src = e;
                    if (src < 0) fail_msg("%s: %s lists %s, which no earlier record has", path, name, on);
                    x[k] = recs[src].carried;
                    used++;
                    break;
                }
            }
            assert_int_equal(used, recs[n].n_ops);     /* every listed name is an operand */
            double v = eval_apply(&q->spec, x, q->nops, NULL);
            if (!same_bits(v, recs[n].value))
                fail_msg("%s (round %d): %s recomputed from its records' operands is %.17g, written %.17g",
                         path, tr->round, name, v, recs[n].value);
            /* and each listed operand is read: changing it changes the value */
            for (uint32_t k = 0; k < q->nops; k++) {
                if (isnan(x[k])) continue;
                double keep = x[k], tries[5] = {NAN, keep + 1, keep - 1, -keep, keep * 1000 + 7};
                int changed = 0;
                for (int t = 0; t < 5 && !changed; t++) {
                    x[k] = tries[t];
                    changed = !same_bits(eval_apply(&q->spec, x, q->nops, NULL), v);
                }
                x[k] = keep;
                if (!changed) fail_msg("%s: %s lists operand %u, which its value does not depend on",
                                       path, name, (unsigned)k);
            }
        } else {
            assert_int_equal(recs[n].n_ops, 0);
        }
        n++;
    }
    assert_int_equal(n, tr->n);
    (void)with_notes;
    for (size_t k = 0; k < n; k++) free(recs[k].ops);
    free(recs);
    free(x);
    free(buf);
    engine_result_free(&r);
    lesson_free(l);
    return n;
}

static void test_every_lesson_recomputes_from_its_records(void **state)
{
    (void)state;
    DIR *d = opendir("lessons");
    assert_non_null(d);
    struct dirent *e;
    size_t lessons = 0, records = 0;
    while ((e = readdir(d))) {
        size_t nl = strlen(e->d_name);
        if (nl < 8 || strcmp(e->d_name + nl - 7, ".lesson")) continue;
        char path[512];
        snprintf(path, sizeof path, "lessons/%s", e->d_name);
        records += check_lesson(path, ENGINE_ROUND_LESSON);
        records += check_lesson(path, -1);
        records += check_lesson(path, 3);
        lessons++;
    }
    closedir(d);
    assert_true(lessons >= 20);
    fprintf(stderr, "%zu lessons, %zu records recomputed bit for bit\n", lessons, records);
}

/* The examples of the report: g'(in_3) reads a_3 only; a hand-rounded
 * lesson's a_3 is carried as 0.5474; no float noise in a given number. */
static void test_record_fields(void **state)
{
    (void)state;
    int st;
    char *o = run_piped("", "run --format json lessons/sauppe-sgd-step.lesson", &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(o, "\"name\": \"g'(in_3)\""));
    assert_non_null(strstr(o, "\"formula\": \"a_3*(1-a_3)\", \"substituted\": \"0.5474*(1-0.5474)\", "
                              "\"value\": 0.24775324, \"carried\": 0.2478, \"notes\": [], \"operands\": [\"a_3\"]}"));
    assert_non_null(strstr(o, "\"value\": 0.5473576181430894, \"carried\": 0.5474, \"notes\": [], \"operands\": [\"in_3\"]}"));
    free(o);
    /* exact: carried equals value; a kink note is in the record */
    o = run_piped("", "run --format json --exact lessons/sauppe-sgd-step.lesson", &st);
    assert_non_null(strstr(o, "\"value\": 0.5473576181430894, \"carried\": 0.5473576181430894,"));
    free(o);
    o = run_piped("", "run --format csv lessons/sauppe-sgd-step.lesson", &st);
    assert_non_null(strstr(o, "id,name,display,kind,pass,j,i,step,example,formula,substituted,value,carried,notes,operands\n"));
    assert_non_null(strstr(o, ",0.24775324,0.2478,,a_3\n"));
    free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_lesson_recomputes_from_its_records),
        cmocka_unit_test(test_record_fields),
    };
    return cmocka_run_group_tests_name("records", tests, NULL, NULL);
}
