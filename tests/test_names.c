/*
 * test_names.c - the naming module (names.h): every name a view prints is
 * read back, in every notation and script, by every place a person types a
 * name; near misses get "did you mean", ambiguous names both readings.
 *
 * The round trip runs over every lesson in lessons/, the four notations and
 * ASCII and Unicode (and LaTeX, for `nntrace tex`), with the chain-rule
 * factors (--chain) in every trace: the names are taken from
 * the text trace itself (the left side of each quantity line), so a change
 * to how the trace writes a name is caught here too.
 */
#include "testutil.h"

#include <ctype.h>
#include <dirent.h>

#include "engine.h"
#include "grade.h"
#include "lesson.h"
#include "names.h"
#include "quiz.h"
#include "step.h"
#include "text.h"

typedef struct {
    lesson *l;
    engine_result r;
} fx;

static fx *fx_load(const char *path)
{
    char err[768];
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    if (!(f->l = lesson_load(path, err, sizeof err))) fail_msg("%s", err);
    /* with the chain-rule factors, so their names are read back too */
    engine_opts eo = {.round = ENGINE_ROUND_LESSON, .chain = 1};
    if (engine_run(f->l, &eo, &f->r, err, sizeof err)) fail_msg("%s", err);
    return f;
}

static void fx_free(fx *f)
{
    engine_result_free(&f->r);
    lesson_free(f->l);
    free(f);
}

/* The lessons/ files, sorted; *n of them (caller frees each and the array). */
static char **lesson_files(size_t *n)
{
    DIR *d = opendir("lessons");
    assert_non_null(d);
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 8 || strcmp(e->d_name + len - 7, ".lesson")) continue;
        if (*n == cap) { cap = cap ? 2 * cap : 32; v = realloc(v, cap * sizeof *v); assert_non_null(v); }
        v[*n] = malloc(len + 16);
        assert_non_null(v[*n]);
        snprintf(v[(*n)++], len + 16, "lessons/%s", e->d_name);
    }
    closedir(d);
    for (size_t a = 0; a < *n; a++)          /* a stable order for messages */
        for (size_t b = a + 1; b < *n; b++)
            if (strcmp(v[a], v[b]) > 0) { char *t = v[a]; v[a] = v[b]; v[b] = t; }
    assert_true(*n >= 20);
    return v;
}

/* The names on the left of the trace's quantity lines ("  name = ..."), in
 * order, one per quantity line (NUL-separated in the returned buffer). */
static char *printed_names(const fx *f, int notation, int unicode, size_t *count)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    assert_non_null(m);
    text_opts o = {.digits = f->l->digits, .unicode = unicode, .passes = ~0u};
    assert_int_equal(text_print_trace_n(m, f->l, &f->r, &o, notation), 0);
    assert_int_equal(fclose(m), 0);
    char *out = calloc(len + 1, 1);
    assert_non_null(out);
    size_t w = 0;
    *count = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (line[0] == ' ' && line[1] == ' ' && line[2] != ' ' && line[2] != '\0' && strstr(line, " = ") &&
            strncmp(line, "  step ", 7) && strncmp(line, "  epoch ", 8)) {
            char *eq = strstr(line + 2, " = ");
            memcpy(out + w, line + 2, (size_t)(eq - line - 2));
            w += (size_t)(eq - line - 2);
            out[w++] = '\0';
            (*count)++;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return out;
}

/* The quantity ids whose text-trace line is printed, in order (the trace
 * prints every quantity once, in array order). */
static void check_resolves(names_index *ix, const fx *f, int notation, names_script script,
                           const char *typed, size_t id, const char *where)
{
    char why[512], want[512], got[512];
    long r = names_resolve(ix, typed, why, sizeof why);
    if (r < 0) fail_msg("%s: '%s' (quantity %zu) is refused: %s", where, typed, id, why);
    /* the same quantity, or one shown under the very same name (an input
     * or target of a later step, shown without an iteration mark) */
    names_render(f->l, notation, script, &f->r.tr->q[id], want, sizeof want);
    names_render(f->l, notation, script, &f->r.tr->q[r], got, sizeof got);
    if ((size_t)r != id && strcmp(want, got))
        fail_msg("%s: '%s' (quantity %zu) resolves to quantity %ld, shown as '%s'", where, typed, id, r, got);
}

/* Every name the trace prints, in every notation, ASCII and Unicode, and
 * every LaTeX name, is read back by the shared resolver; the names printed
 * are exactly names_render's. */
static void test_every_printed_name_reads_back(void **state)
{
    (void)state;
    size_t nl;
    char **files = lesson_files(&nl);
    size_t total = 0;
    for (size_t k = 0; k < nl; k++) {
        fx *f = fx_load(files[k]);
        const trace *tr = f->r.tr;
        for (int n = 0; n < NOTATION_COUNT; n++) {
            names_index *ix = names_index_new(f->l, tr, n);
            assert_non_null(ix);
            for (int u = 0; u < 2; u++) {
                size_t count;
                char *names = printed_names(f, n, u, &count);
                if (count != tr->n) fail_msg("%s: %zu quantity lines for %zu quantities", files[k], count, tr->n);
                const char *p = names;
                char where[256], want[512];
                for (size_t id = 0; id < tr->n; id++, p += strlen(p) + 1) {
                    snprintf(where, sizeof where, "%s, %s, %s", files[k], lesson_notation_name(n),
                             u ? "Unicode" : "ASCII");
                    names_render(f->l, n, u ? NAMES_UNICODE : NAMES_ASCII, &tr->q[id], want, sizeof want);
                    if (strcmp(p, want)) fail_msg("%s: the trace prints '%s', names_render says '%s'", where, p, want);
                    check_resolves(ix, f, n, u ? NAMES_UNICODE : NAMES_ASCII, p, id, where);
                    total++;
                    if (u) continue;
                    /* the LaTeX form, and the source name of a given value (x_1 of a_1 = x_1) */
                    names_render(f->l, n, NAMES_LATEX, &tr->q[id], want, sizeof want);
                    snprintf(where, sizeof where, "%s, %s, LaTeX", files[k], lesson_notation_name(n));
                    check_resolves(ix, f, n, NAMES_LATEX, want, id, where);
                    if (names_given_as(f->l, n, NAMES_ASCII, &tr->q[id], want, sizeof want) > 0)
                        check_resolves(ix, f, n, NAMES_ASCII, want, id, where);
                }
                free(names);
            }
            names_index_free(ix);
        }
        fx_free(f);
        free(files[k]);
    }
    free(files);
    print_message("%zu printed names read back\n", total);
}

/* Is word a name the lesson gives (a label, an alias, a tie), or one made
 * of one (a tie's gradient b1bar in the bar notation)? */
static int given_by_lesson(const lesson *l, const char *word)
{
    char bar[LESSON_NAME_MAX + 8];
    for (int j = 0; j <= l->max_id; j++)
        if (l->labels[j][0] && !strcmp(l->labels[j], word)) return 1;
    for (int a = 0; a < l->n_arcs; a++)
        if (l->arcs[a].alias[0] && !strcmp(l->arcs[a].alias, word)) return 1;
    for (int t = 0; t < l->n_ties; t++) {
        snprintf(bar, sizeof bar, "%sbar", l->ties[t].name);
        if (!strcmp(l->ties[t].name, word) || !strcmp(bar, word)) return 1;
    }
    return 0;
}

/* names_given_problem knows every stem a trace prints: in every name of
 * every lesson's trace, in every notation (with the chain-rule factors),
 * each word before a '_' that starts the name or follows its '/' or '('
 * (a_ of a_h1, dE_ and dout_ of dE_total/dout_h1) refuses a label that
 * begins with it, and a name that is one whole word (J, L) is refused as a
 * label unless the lesson gave it (x1, w5, b1). So no label can print as,
 * or inside, a second quantity's name, whatever a new notation adds. */
static void test_labels_cannot_look_like_names(void **state)
{
    (void)state;
    size_t nl;
    char **files = lesson_files(&nl);
    size_t stems = 0;
    for (size_t k = 0; k < nl; k++) {
        fx *f = fx_load(files[k]);
        for (int n = 0; n < NOTATION_COUNT; n++) {
            size_t count;
            char *names = printed_names(f, n, 0, &count);
            const char *p = names;
            for (size_t q = 0; q < count; q++, p += strlen(p) + 1) {
                for (size_t at = 0; p[at]; at++) {
                    if (at > 0 && p[at - 1] != '/' && p[at - 1] != '(') continue;
                    size_t w = at;
                    while (isalnum((unsigned char)p[w])) w++;
                    if (w == at) continue;
                    char word[64], why[512];
                    snprintf(word, sizeof word, "%.*s%s", (int)(w - at), p + at, p[w] == '_' ? "_1" : "");
                    if (p[w] == '_' || (at == 0 && !p[w] && !given_by_lesson(f->l, word))) {
                        if (!names_given_problem(word, "label", why, sizeof why))
                            fail_msg("%s, %s: '%s' prints, and a label '%s' is taken", files[k],
                                     lesson_notation_name(n), p, word);
                        stems++;
                    }
                }
            }
            free(names);
        }
        fx_free(f);
        free(files[k]);
    }
    free(files);
    /* and names that are not shaped like a quantity's are labels */
    static const char *const FINE[] = {"h1", "o2", "x1", "y", "i_1", "h_1", "hidden", "b1", "w5", "in3", "out"};
    char why[512];
    for (size_t k = 0; k < sizeof FINE / sizeof *FINE; k++)
        if (names_given_problem(FINE[k], "label", why, sizeof why)) fail_msg("label '%s' refused: %s", FINE[k], why);
    print_message("%zu stems checked\n", stems);
}

/* The Unicode names are text_unicode's, letter for letter: a name looks
 * the same in a Unicode trace and in a message. */
static void test_unicode_matches_the_trace(void **state)
{
    (void)state;
    /* mazur: every neuron labelled; some-labels: w_0,h1 beside w_0,4 */
    const char *paths[] = {"lessons/mazur-2-2-2.lesson", "tests/names/some-labels.lesson"};
    for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
        fx *f = fx_load(paths[p]);
        for (int n = 0; n < NOTATION_COUNT; n++)
            for (size_t id = 0; id < f->r.tr->n; id++) {
                char a[256], u[512];
                strbuf t = {0};
                names_render(f->l, n, NAMES_ASCII, &f->r.tr->q[id], a, sizeof a);
                names_render(f->l, n, NAMES_UNICODE, &f->r.tr->q[id], u, sizeof u);
                text_unicode(&t, a, n);
                assert_non_null(t.s);
                if (strcmp(t.s, u)) fail_msg("'%s': names says '%s', the trace '%s'", a, u, t.s);
                sb_free(&t);
            }
        fx_free(f);
    }
    /* a subscript with a label stays as written, whole: not w₀,h1 */
    strbuf t = {0};
    text_unicode(&t, "in_h1 = w_0,h1*a_0 + w_1,3*a_1 + w_h1,out + a_3^(2)", NOTATION_VA);
    assert_non_null(t.s);
    assert_string_equal(t.s, "in_h1 = w_0,h1\u00b7a\u2080 + w\u2081,\u2083\u00b7a\u2081 + w_h1,out + "
                             "a\u2083\u207d\u00b2\u207e");
    sb_free(&t);
}

/* Where people type names: template/check --ask and points (grade_plan_make),
 * check sheets (grade_parse_answers, graded to full marks), quiz --ask
 * (quiz_select) and step's g (step_do), each with every computed quantity's
 * printed name in every notation and script. */
static void test_every_input_place_accepts_them(void **state)
{
    (void)state;
    size_t nl;
    char **files = lesson_files(&nl);
    for (size_t k = 0; k < nl; k++) {
        fx *f = fx_load(files[k]);
        const trace *tr = f->r.tr;
        char err[768];
        for (int n = 0; n < NOTATION_COUNT; n++) {
            names_index *ix = names_index_new(f->l, tr, n);
            assert_non_null(ix);
            step_style st = {.digits = f->l->digits, .l = f->l, .notation = n};
            step_session *s = step_new(f->l, tr, &st);
            assert_non_null(s);
            for (int u = 0; u < 3; u++) {
                names_script sc = (names_script)u;
                strbuf sheet = {0};
                size_t quizzed = 0;
                for (size_t id = 0; id < tr->n; id++) {
                    const quantity *q = &tr->q[id];
                    char name[512], canon[128];
                    names_render(f->l, n, sc, q, name, sizeof name);
                    trace_name(q, canon, sizeof canon);
                    /* step's g: the session lands on the item holding it */
                    strbuf out = {0};
                    step_do(s, STEP_GOTO, name, &out);
                    const step_item *it = &s->items[s->cur];
                    if (strstr(out.s ? out.s : "", "names no quantity") || strstr(out.s ? out.s : "", "ambiguous"))
                        fail_msg("%s %s: g %s: %s", files[k], lesson_notation_name(n), name, out.s);
                    int here = 0;
                    for (size_t m = it->first; m < it->first + it->count; m++) {
                        char other[512];
                        names_render(f->l, n, sc, &tr->q[m], other, sizeof other);
                        if (m == id || !strcmp(other, name)) here = 1;
                    }
                    if (!here) fail_msg("%s %s: g %s went elsewhere", files[k], lesson_notation_name(n), name);
                    sb_free(&out);
                    if (q->spec.op == OP_CONST || names_index_get(ix, canon) != (long)id) continue;
                    /* template / check --ask NAME */
                    const char *pat[1] = {name};
                    grade_plan plan;
                    if (grade_plan_make(&plan, f->l, tr, ix, pat, 1, NULL, 0, err, sizeof err))
                        fail_msg("%s %s: --ask '%s': %s", files[k], lesson_notation_name(n), name, err);
                    assert_int_equal(plan.n, 1);
                    assert_int_equal(plan.ids[0], id);
                    grade_plan_free(&plan);
                    /* quiz --ask NAME (its own index: a sample per lesson) */
                    if (quizzed < 3 && u != NAMES_LATEX) {
                        size_t *ids, cnt;
                        if (quiz_select(f->l, tr, n, name, &ids, &cnt, err, sizeof err))
                            fail_msg("%s %s: quiz --ask '%s': %s", files[k], lesson_notation_name(n), name, err);
                        assert_int_equal(cnt, 1);
                        assert_int_equal(ids[0], id);
                        free(ids);
                        quizzed++;
                    }
                    char v[64];
                    snprintf(v, sizeof v, "%.17g", q->value);
                    sb_printf(&sheet, "%s = %s\n", name, v);
                }
                /* a check sheet of every computed quantity, named in this
                 * notation and script, with the trace's values: full marks */
                grade_plan plan;
                if (grade_plan_lesson(&plan, f->l, tr, ix, NULL, 0, err, sizeof err) == 0) {
                    grade_answers ans;
                    assert_int_equal(grade_parse_answers(&ans, sheet.s ? sheet.s : "", sheet.len, f->l, ix, &plan), 0);
                    if (ans.n_problems_total)
                        fail_msg("%s %s %d: line %ld: %s", files[k], lesson_notation_name(n), u,
                                 ans.problems[0].line, ans.problems[0].msg);
                    for (size_t m = 0; m < plan.n; m++)
                        if (!ans.given[m]) fail_msg("%s: %s not read from the sheet", files[k], plan.shown[m]);
                    grade_answers_free(&ans);
                    grade_plan_free(&plan);
                }
                sb_free(&sheet);
            }
            step_free(s);
            names_index_free(ix);
        }
        fx_free(f);
        free(files[k]);
    }
    free(files);
}

/* The forms people write by hand, against the lecture lessons. */
static void test_hand_written_forms(void **state)
{
    (void)state;
    static const struct { const char *lesson; int notation; const char *typed, *canonical; } F[] = {
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "out_h1", "a_3"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "dE_total/dw5", "dJ/dw_3,5"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "∂E/∂w5", "dJ/dw_3,5"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "dE/dw5", "dJ/dw_3,5"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "\\frac{\\partial E_{total}}{\\partial w_5}", "dJ/dw_3,5"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "\\mathrm{out}_{h1}", "a_3"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "w5^(1)", "w_3,5^(1)"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "w5⁽¹⁾", "w_3,5^(1)"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "a_h1", "a_3"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "E_total", "J"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "delta_o1", "delta_5"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "Δ_o1", "delta_5"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "z^[1]_1", "in_3"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "z^{[1]}_{1}", "in_3"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "W^[2]_1,1^(1)", "w_3,5^(1)"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "zbar_5", "delta_5"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "z̄₅", "delta_5"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "\\bar{z}_{5}", "delta_5"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "  out_h1  ", "a_3"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "a₃", "a_3"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "Δ₃", "delta_3"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "\\Delta_3", "delta_3"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "Delta_3", "delta_3"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "∂J/∂w₁,₃", "dJ/dw_1,3"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "w₁,₃⁽¹⁾", "w_1,3^(1)"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "w_{1,3}^{(1)}", "w_1,3^(1)"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "w_1, 3^(1)", "w_1,3^(1)"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "a_3^(0)", "a_3"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "a_1", "x_1"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "x_1", "x_1"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "g'(in₃)", "g'(in_3)"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "\\sigma'(z_{3})", "g'(in_3)"},
        /* an activation as the lectures write it, g of its net input (001's g(in_3) ~ 0.5474,
         * 004's sigma(z)), and as a formula writes its operand, marks inside: g(in_3^(1)) */
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "g(in_3)", "a_3"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "g(in₃)", "a_3"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "σ(in_3)", "a_3"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "g(in_3^(1))", "a_3^(1)"},
        {"lessons/sauppe-sgd-step.lesson", NOTATION_VA, "g(in_3)^(1)", "a_3^(1)"},
        {"lessons/sauppe-symmetry.lesson", NOTATION_VA, "g'(in_3^(1))", "g'(in_3)^(1)"},
        {"lessons/csc413-logistic-least-squares.lesson", NOTATION_BAR, "sigma(z_2)", "a_2"},
        {"lessons/mazur-2-2-2.lesson", NOTATION_NETOUT, "g(net_h1)", "a_3"},
        {"lessons/sauppe-minibatch.lesson", NOTATION_VA, "g(in_3[2])", "a_3[2]"},
        {"lessons/sauppe-minibatch.lesson", NOTATION_VA, "a_3[2]", "a_3[2]"},
        {"lessons/sauppe-minibatch.lesson", NOTATION_VA, "a₃[2]", "a_3[2]"},
    };
    for (size_t k = 0; k < sizeof F / sizeof F[0]; k++) {
        fx *f = fx_load(F[k].lesson);
        names_index *ix = names_index_new(f->l, f->r.tr, F[k].notation);
        char why[512], c[128];
        long id = names_resolve(ix, F[k].typed, why, sizeof why);
        if (id < 0) fail_msg("%s: '%s': %s", F[k].lesson, F[k].typed, why);
        trace_name(&f->r.tr->q[id], c, sizeof c);
        if (strcmp(c, F[k].canonical)) fail_msg("'%s' is %s, not %s", F[k].typed, c, F[k].canonical);
        names_index_free(ix);
        fx_free(f);
    }
}

/* LaTeX forms for slides (`nntrace tex`). */
static void test_latex(void **state)
{
    (void)state;
    fx *f = fx_load("lessons/mazur-2-2-2.lesson");
    static const struct { const char *canonical; int notation; const char *tex; } T[] = {
        {"delta_3", NOTATION_VA, "\\Delta_{h1}"},              /* va with the lesson's labels */
        {"a_3", NOTATION_VA, "a_{h1}"},
        {"w_1,3^(1)", NOTATION_VA, "w_{i1,h1}^{(1)}"},
        {"dJ/dw_3,5", NOTATION_VA, "\\frac{\\partial J}{\\partial w_{h1,o1}}"},
        {"dJ/dw_3,5", NOTATION_NETOUT, "\\frac{\\partial E_{total}}{\\partial w_{5}}"},
        {"a_3", NOTATION_NETOUT, "\\mathrm{out}_{h1}"},
        {"delta_5", NOTATION_NETOUT, "\\delta_{o1}"},
        {"g'(in_4)", NOTATION_NETOUT, "\\frac{\\partial \\mathrm{out}_{h2}}{\\partial \\mathrm{net}_{h2}}"},
        {"in_3", NOTATION_LAYER, "z^{[1]}_{1}"},
        {"w_3,5^(1)", NOTATION_LAYER, "{W^{[2]}_{1,1}}^{(1)}"},
        {"delta_5", NOTATION_BAR, "\\bar{z}_{5}"},
        {"g'(in_4)", NOTATION_BAR, "\\sigma'(z_{4})"},
        {"in_3", NOTATION_VA, "\\mathrm{in}_{h1}"},
        {"J", NOTATION_LAYER, "L"},
    };
    for (size_t k = 0; k < sizeof T / sizeof T[0]; k++) {
        long id = trace_find(f->r.tr, T[k].canonical);
        assert_true(id >= 0);
        char got[512];
        names_render(f->l, T[k].notation, NAMES_LATEX, &f->r.tr->q[id], got, sizeof got);
        if (strcmp(got, T[k].tex)) fail_msg("%s in %s: '%s', expected '%s'", T[k].canonical,
                                            lesson_notation_name(T[k].notation), got, T[k].tex);
    }
    fx_free(f);
    /* 001's own numbers, as the issue writes them */
    f = fx_load("lessons/sauppe-sgd-step.lesson");
    static const struct { const char *canonical, *tex; } V[] = {
        {"delta_3", "\\Delta_{3}"}, {"a_3", "a_{3}"}, {"w_1,3^(1)", "w_{1,3}^{(1)}"},
        {"dJ/dw_1,3", "\\frac{\\partial J}{\\partial w_{1,3}}"}, {"in_3", "\\mathrm{in}_{3}"},
    };
    for (size_t k = 0; k < sizeof V / sizeof V[0]; k++) {
        char got[512];
        names_render(f->l, NOTATION_VA, NAMES_LATEX, &f->r.tr->q[trace_find(f->r.tr, V[k].canonical)], got, sizeof got);
        if (strcmp(got, V[k].tex)) fail_msg("%s: '%s', expected '%s'", V[k].canonical, got, V[k].tex);
    }
    /* too small a buffer: cut, NUL-terminated, the length it needs */
    char small[6];
    long id = trace_find(f->r.tr, "dJ/dw_1,3");
    int need = names_render(f->l, NOTATION_VA, NAMES_LATEX, &f->r.tr->q[id], small, sizeof small);
    assert_int_equal(need, (int)strlen("\\frac{\\partial J}{\\partial w_{1,3}}"));
    assert_int_equal(strlen(small), 5);
    fx_free(f);
}

/* Unknown names: did you mean, in the message the issue gives; names that
 * mean different quantities in two notations: both readings. */
static void test_messages(void **state)
{
    (void)state;
    fx *f = fx_load("lessons/sauppe-sgd-step.lesson");
    names_index *ix = names_index_new(f->l, f->r.tr, NOTATION_VA);
    char why[512];
    assert_true(names_resolve(ix, "a3", why, sizeof why) < 0);
    assert_string_equal(why, "'a3' names no quantity of this lesson; did you mean a_3 (a₃)?");
    assert_true(names_resolve(ix, "delta3^(1)", why, sizeof why) < 0);
    assert_string_equal(why, "'delta3^(1)' names no quantity of this lesson; did you mean delta_3^(1) (Δ₃⁽¹⁾)?");
    assert_true(names_resolve(ix, "nonsense", why, sizeof why) < 0);
    assert_string_equal(why, "'nonsense' names no quantity of this lesson");
    /* 001's symbolic iteration w_{0,3}^{(t+1)}: the number it stands for */
    assert_true(names_resolve(ix, "w_{0,3}^{(t+1)}", why, sizeof why) < 0);
    assert_string_equal(why, "'w_{0,3}^{(t+1)}' names no quantity: an iteration is a number here (^(1) after the "
                        "first update, none before it); did you mean w_0,3^(1) (w₀,₃⁽¹⁾)?");
    assert_true(names_resolve(ix, "in_3^(t)", why, sizeof why) < 0);
    assert_string_equal(why, "'in_3^(t)' names no quantity: an iteration is a number here (^(1) after the "
                        "first update, none before it); did you mean in_3 (in₃)?");
    /* look-alikes and invisible characters: never echoed as they are (they
     * would read as a_3), shown as code points, with a did-you-mean after
     * folding them; a look-alike is never read as the name it imitates */
    static const struct { const char *typed, *shown, *mean; } LOOK[] = {
        {"\xD0\xB0_3", "'<U+0430>_3'", "did you mean a_3 (a₃)?"},                 /* Cyrillic a */
        {"a_3\xE2\x80\xAE", "'a_3<U+202E>'", "did you mean a_3 (a₃)?"},          /* right-to-left override */
        {"a_3\xE2\x80\x8B", "'a_3<U+200B>'", "did you mean a_3 (a₃)?"},          /* zero-width space */
        {"a_\xEF\xBC\x93", "'a_<U+FF13>'", "did you mean a_3 (a₃)?"},            /* fullwidth 3 */
        {"\xCE\xBF_3", "'<U+03BF>_3'", NULL},                                      /* Greek o: o_3 is nothing */
        {"w_1,3^(\xEF\xBC\x91)", "'w_1,3^(<U+FF11>)'", "did you mean w_1,3^(1) (w₁,₃⁽¹⁾)?"},
        {"i\xD0\xBF_3", "'i<U+043F>_3'", NULL},                                    /* Cyrillic pe: no look-alike */
    };
    for (size_t k = 0; k < sizeof LOOK / sizeof LOOK[0]; k++) {
        if (names_resolve(ix, LOOK[k].typed, why, sizeof why) >= 0) fail_msg("'%s' read as a name", LOOK[k].typed);
        if (!strstr(why, LOOK[k].shown) || (LOOK[k].mean && !strstr(why, LOOK[k].mean)))
            fail_msg("'%s': %s", LOOK[k].typed, why);
        for (const unsigned char *c = (const unsigned char *)why; *c; c++)   /* no invisible character */
            if (*c == 0xE2 && c[1] == 0x80 && (c[2] == 0xAE || c[2] == 0x8B)) fail_msg("invisible in: %s", why);
    }
    /* the notation's own characters are still echoed as they are */
    assert_true(names_resolve(ix, "Δ_9", why, sizeof why) < 0);
    assert_non_null(strstr(why, "'Δ_9'"));
    /* a trace with the chain-rule factors: no hint for a name that is none */
    assert_true(names_resolve(ix, "dJ/dq_3", why, sizeof why) < 0);
    assert_null(strstr(why, "--chain"));
    /* one without them: a name with '/' says how to get them */
    {
        char err[768];
        engine_opts eo = {.round = ENGINE_ROUND_LESSON};
        engine_result r;
        if (engine_run(f->l, &eo, &r, err, sizeof err)) fail_msg("%s", err);
        names_index *plain = names_index_new(f->l, r.tr, NOTATION_VA);
        assert_non_null(plain);
        assert_true(names_resolve(plain, "dJ/da_3", why, sizeof why) < 0);
        assert_non_null(strstr(why, "'dJ/da_3' names no quantity of this lesson (the chain-rule factors"));
        assert_non_null(strstr(why, "only with --chain or the lesson's 'chain yes')"));
        assert_true(names_resolve(plain, "nonsense", why, sizeof why) < 0);
        assert_string_equal(why, "'nonsense' names no quantity of this lesson");
        names_index_free(plain);
        engine_result_free(&r);
    }
    assert_true(names_resolve(ix, "a_3^(7)", why, sizeof why) < 0);
    assert_string_equal(why, "'a_3^(7)' names no quantity of this lesson's trace at this iteration ^(t) "
                             "or example [e]; did you mean a_3, a_3^(1)?");
    {   /* the iterations nearest the one typed, and an update named as its weight */
        fx *x = fx_load("lessons/xor-mlp.lesson");      /* step 1 traced, 2000 steps, final forward */
        names_index *xi = names_index_new(x->l, x->r.tr, NOTATION_VA);
        assert_non_null(xi);
        assert_true(names_resolve(xi, "a_5^(2500)[1]", why, sizeof why) < 0);
        assert_non_null(strstr(why, "; did you mean a_5^(2000)[1], a_5^(2000)[2], a_5^(2000)[3], ...?"));
        assert_true(names_resolve(xi, "w_1,3^(1500)", why, sizeof why) < 0);
        assert_non_null(strstr(why, "; did you mean w_1,3, w_1,3^(1), w_1,3^(2000)?"));
        assert_true(names_resolve(xi, "a", why, sizeof why) < 0);     /* more than four names begin so */
        assert_string_equal(why, "'a' names no quantity of this lesson; did you mean a_0, a_1, a_2, a_3, ...?");
        names_index_free(xi);
        fx_free(x);
    }
    {   /* a bare stem, as the lecture writes a one-neuron model's z: the names it begins */
        fx *x = fx_load("lessons/csc413-logistic-least-squares.lesson");   /* neuron 2, bar notation */
        names_index *xi = names_index_new(x->l, x->r.tr, x->l->notation);
        assert_non_null(xi);
        assert_true(names_resolve(xi, "z", why, sizeof why) < 0);
        assert_string_equal(why, "'z' names no quantity of this lesson; did you mean z_2 (z\u2082)?");
        assert_true(names_resolve(xi, "zbar^(1)", why, sizeof why) < 0);   /* one step: no ^(1) offered */
        assert_string_equal(why, "'zbar^(1)' names no quantity of this lesson; did you mean zbar_2 (zbar\u2082)?");
        names_index_free(xi);
        fx_free(x);
    }
    assert_true(names_resolve(ix, "a", why, sizeof why) < 0);              /* several: up to four */
    assert_non_null(strstr(why, "'a' names no quantity of this lesson; did you mean a_0, a_1, a_2, a_3?"));
    assert_true(names_resolve(ix, "in", why, sizeof why) < 0);
    assert_string_equal(why, "'in' names no quantity of this lesson; did you mean in_3 (in₃)?");
    assert_true(names_resolve(ix, "a_\x1b]0;x\x07", why, sizeof why) < 0);   /* no raw bytes echoed */
    assert_null(strchr(why, '\x1b'));
    assert_true(names_resolve(ix, "", why, sizeof why) < 0);
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_true(names_resolve(ix, big, why, sizeof why) < 0);
    assert_non_null(strstr(why, "too long"));
    names_index_free(ix);
    fx_free(f);

    /* a quantity of a mini-batch named without its example: the ones there are */
    f = fx_load("lessons/sauppe-minibatch.lesson");
    ix = names_index_new(f->l, f->r.tr, NOTATION_VA);
    assert_true(names_resolve(ix, "a_3", why, sizeof why) < 0);
    assert_non_null(strstr(why, "did you mean a_3[1], a_3[2], a_3[3]"));
    names_index_free(ix);
    fx_free(f);

    f = fx_load("lessons/mazur-2-2-2.lesson");
    ix = names_index_new(f->l, f->r.tr, NOTATION_NETOUT);
    /* y_5: the target in va, the output activation in bar */
    assert_true(names_resolve(ix, "y_5", why, sizeof why) < 0);
    assert_string_equal(why, "'y_5' is ambiguous in this lesson: out_o1 (y_5 in the bar notation) or "
                             "target_o1 (y_5 in the va notation); write the name you mean");
    assert_true(names_resolve(ix, "out_h3", why, sizeof why) < 0);
    /* of the names one edit away, the nearest neuron (h2, not h1) */
    assert_string_equal(why, "'out_h3' names no quantity of this lesson; did you mean out_h2?");
    names_index_free(ix);
    /* in the bar notation itself, y_5 is the activation: the active notation wins */
    ix = names_index_new(f->l, f->r.tr, NOTATION_BAR);
    long id = names_resolve(ix, "y_5", why, sizeof why);
    assert_int_equal(id, trace_find(f->r.tr, "a_5"));
    names_index_free(ix);
    ix = names_index_new(f->l, f->r.tr, NOTATION_VA);
    assert_int_equal(names_resolve(ix, "y_5", why, sizeof why), trace_find(f->r.tr, "y_5"));
    names_index_free(ix);
    fx_free(f);
}

/* End to end, through the binary: a Unicode check sheet, template --ask in
 * another notation, quiz --ask, step's g, and the messages with "line N". */
static void test_cli(void **state)
{
    (void)state;
    int st;
    char sheet[] = "/tmp/nntrace-names-XXXXXX", cmd[1024];
    int fd = mkstemp(sheet);
    assert_true(fd >= 0);
    const char *text = "in₃ = 0.19\na₃ = 0.5474\nΔ₃ = -0.2243\na3 = 0.5\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    snprintf(cmd, sizeof cmd, "%s check --no-color --ask 'in_3 a_3 delta_3' lessons/sauppe-sgd-step.lesson %s",
             bin(), sheet);
    char *out = run_sh(cmd, &st);
    assert_int_equal(st, 0);
    if (!strstr(out, "line 4: 'a3' names no quantity of this lesson; did you mean a_3 (a₃)?"))
        fail_msg("no did-you-mean in:\n%s", out);
    free(out);
    unlink(sheet);

    out = run_piped("", "template --notation netout --ask 'net_h1 ∂E/∂w5 z^[2]_1' lessons/mazur-2-2-2.lesson", &st);
    assert_int_equal(st, 0);
    if (!strstr(out, "\nnet_h1 = \nnet_o1 = \ndE_total/dw5 = \n")) fail_msg("template:\n%s", out);
    free(out);
    out = run_piped("", "template --notation bar --ask 'dE/dw5' lessons/mazur-2-2-2.lesson", &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "\nwbar_3,5 = \n"));
    free(out);
    out = run_piped("", "template --ask y_5 lessons/mazur-2-2-2.lesson", &st);
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "'y_5' is ambiguous in this lesson: out_o1 (y_5 in the bar notation) or target_o1"));
    free(out);

    out = run_piped("0.5474\nq\n", "quiz --no-color --ascii --ask 'a₃' lessons/sauppe-sgd-step.lesson", &st);
    if (!strstr(out, "a_3 = ?")) fail_msg("quiz:\n%s", out);
    assert_non_null(strstr(out, "right"));
    free(out);
    out = run_piped("", "quiz --ask 'a3' lessons/sauppe-sgd-step.lesson", &st);
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "'a3' names no quantity of this lesson; did you mean a_3 (a₃)?"));
    free(out);

    out = run_piped("g ∂E/∂w5\nq\n", "step --no-color --ascii lessons/mazur-2-2-2.lesson", &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "  dE_total/dw5 = delta_o1*dnet_o1/dw5"));   /* the lesson shows its chain factors */
    free(out);
    out = run_piped("g z^[2]_1\nq\n", "step --no-color --ascii --notation layer lessons/mazur-2-2-2.lesson", &st);
    assert_non_null(strstr(out, "  z^[2]_1 = b2*a_0 + W^[2]_1,1*a^[1]_1 + W^[2]_1,2*a^[1]_2"));
    free(out);

    /* run: JSON keeps the canonical name and adds the shown one */
    out = run_piped("", "run --format json --notation bar lessons/csc413-logistic-least-squares.lesson", &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "\"name\": \"delta_2\", \"display\": \"zbar_2\""));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_printed_name_reads_back),
        cmocka_unit_test(test_unicode_matches_the_trace),
        cmocka_unit_test(test_labels_cannot_look_like_names),
        cmocka_unit_test(test_every_input_place_accepts_them),
        cmocka_unit_test(test_hand_written_forms),
        cmocka_unit_test(test_latex),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
