/*
 * test_tex.c - `nntrace tex`: every lesson's document and deck compile with
 * pdflatex without errors or font warnings, with the math in one face and
 * with at most TEX_MAX_OVERFULL overfull boxes,
 * and the PDF's text holds every value the lesson expects; every
 * activation's formula rows are whole (a long sum never broken inside a
 * group); escaping of LaTeX's special characters; --fragment is equations
 * only.
 */
#include "testutil.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>

#include "engine.h"
#include "eval.h"
#include "lesson.h"
#include "tex.h"

/* Overfull boxes allowed (distinct equations; a deck repeats one on each
 * of its overlay pages): a long sum breaks at its '+' terms and a fraction
 * with a long sum over it (a batch mean, batch norm's variance) is written
 * 1/m (...) and broken, so neither a document nor a deck has one; should
 * one appear it must not be wider than TEX_MAX_PT. */
#define TEX_MAX_OVERFULL 0
#define DECK_MAX_OVERFULL 0
#define TEX_MAX_PT 40.0

static char dir[64];

static int setup(void **state) { (void)state; return tmpdir_make(dir, "tex"); }
static int teardown(void **state) { (void)state; return tmpdir_remove(dir); }

/* Compile lessons/NAME.lesson with flags; returns pdftotext's text (caller
 * frees) and the number of overfull boxes. */
static char *compile(const char *name, const char *flags, int *overfull)
{
    char cmd[16384], nt[4096], base[300], cwd[2048];
    if (!getcwd(cwd, sizeof cwd)) fail_msg("getcwd");
    snprintf(base, sizeof base, "%s%s%s", name, strstr(flags, "--beamer") ? "-deck" : "",
             strstr(flags, "--digits") ? "-digits" : "");          /* no stale .aux between kinds */
    bin_abs(nt);
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s; %s tex %s/lessons/%s.lesson %s -o %s.tex\n"
             "pdflatex -interaction=nonstopmode -halt-on-error %s.tex > %s.console 2>&1 || "
             "{ grep -A5 '^!' %s.log; exit 3; }\n"
             "if grep -A2 'Font Warning' %s.log; then exit 4; fi\n"
             "echo overfull=$(grep '^Overfull' %s.log | sort -u | wc -l)\n"
             "echo widest=$(grep -o '^Overfull .hbox ([0-9.]*' %s.log | grep -o '[0-9.]*$' | sort -n | tail -1)\n"
             "echo mixed=$(pdffonts %s.pdf | grep -c 'LMSans[0-9]*-Oblique')\n"
             "pdftotext -layout %s.pdf -\n",
             dir, nt, cwd, name, flags, base, base, base, base, base, base, base, base, base);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("%s %s: exit %d\n%s", name, flags, rc, out);
    char *o = strstr(out, "overfull=");
    assert_non_null(o);
    *overfull = atoi(o + 9);
    char *w = strstr(out, "widest=");
    if (w && w[7] != '\n' && atof(w + 7) > TEX_MAX_PT)
        fail_msg("%s %s: an overfull box %.1fpt too wide (at most %.0f)", name, flags, atof(w + 7), TEX_MAX_PT);
    /* the math in one face: letters in sans italic (beamer's default) beside
     * the roman of \mathrm{in}_{3} read as two alphabets */
    char *m = strstr(out, "mixed=");
    assert_non_null(m);
    if (atoi(m + 6)) fail_msg("%s %s: math letters set in sans italic beside roman names", name, flags);
    return out;
}

/* Is a number that shows v to `decimals` decimals in text? Each number of
 * the text (digits with a point) is read; its sign is not, since the PDF's
 * minus is a glyph of its own. */
static int printed(const char *text, double v, int decimals)
{
    double tol = 0.5 * pow(10.0, -decimals) * (1 + 1e-9);
    for (const char *p = text; *p; p++) {
        if (!isdigit((unsigned char)*p) || (p > text && (isdigit((unsigned char)p[-1]) || p[-1] == '.'))) continue;
        char *end;
        double x = strtod(p, &end);
        if (fabs(x - fabs(v)) <= tol) return 1;
        p = end - 1;
    }
    return 0;
}

/* Does a page of pdftotext's text (pages end at '\f') other than the first
 * open with a row that has lost its name to the page before: "= ...",
 * "≈ ..." or a sum's "+ ..."? Fails naming the page and its line. */
static void pages_keep_names(const char *text, const char *what)
{
    int page = 1;
    for (const char *p = strchr(text, '\f'); p; p = strchr(p, '\f')) {
        page++;
        for (p++; *p == '\n' || *p == ' '; p++) {}
        const char *eol = strchr(p, '\n');
        int len = eol ? (int)(eol - p) : (int)strlen(p);
        if (*p == '=' || *p == '+' || !strncmp(p, "\xe2\x89\x88", 3))   /* U+2248 ≈ */
            fail_msg("%s: page %d opens with a row parted from its name: %.*s", what, page, len, p);
    }
}

static void each_lesson(const char *flags, int max_overfull)
{
    DIR *d = opendir("lessons");
    assert_non_null(d);
    int n = 0;
    /* NNTRACE_TEX_SUBSET=N: every N-th lesson only (the sanitizer run; the
     * LaTeX compiles are the same whatever build made them) */
    const char *sub = getenv("NNTRACE_TEX_SUBSET");
    int every = sub && atoi(sub) > 1 ? atoi(sub) : 1, seen = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 8 || strcmp(e->d_name + len - 7, ".lesson")) continue;
        char name[256], path[512], err[512];
        if (seen++ % every) { n++; continue; }
        snprintf(name, sizeof name, "%.*s", (int)(len - 7), e->d_name);
        snprintf(path, sizeof path, "lessons/%s", e->d_name);
        int overfull;
        char *text = compile(name, flags, &overfull);
        if (overfull > max_overfull)
            fail_msg("%s %s: %d overfull boxes (at most %d)", name, flags, overfull, max_overfull);
        if (!flags[0]) pages_keep_names(text, name);     /* a document's page breaks */
        /* every value the lecture printed is in the PDF */
        lesson *l = lesson_load(path, err, sizeof err);
        if (!l) fail_msg("%s", err);
        for (int k = 0; k < l->n_expects; k++) {
            const lesson_expect *x = &l->expects[k];
            if (x->same[0]) continue;
            if (!printed(text, x->value, x->decimals))
                fail_msg("%s %s: the expected %s = %.*f is not in the PDF", name, flags, x->name, x->decimals, x->value);
        }
        lesson_free(l);
        free(text);
        n++;
    }
    closedir(d);
    assert_true(n >= 20);
}

static void test_documents(void **state) { (void)state; each_lesson("", TEX_MAX_OVERFULL); }
static void test_decks(void **state) { (void)state; each_lesson("--beamer", DECK_MAX_OVERFULL); }

static void test_escape_and_fragment(void **state)
{
    (void)state;
    strbuf b = {0};
    tex_escape(&b, "a_b & 50% #1 $x$ {y} ~ ^ \\");
    assert_string_equal(b.s, "a\\_b \\& 50\\% \\#1 \\$x\\$ \\{y\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}");
    sb_free(&b);
    /* a bar is a bar, straight quotes open and close, lines join into
     * paragraphs */
    tex_escape(&b, "1|B| \"Mini-Batch\" 'tie' it's\nnext\n\npara");
    assert_string_equal(b.s, "1\\textbar{}B\\textbar{} ``Mini-Batch'' `tie' it's next\n\npara");
    sb_free(&b);
    int rc;
    char *out = run_piped("", "tex lessons/sauppe-forward.lesson --fragment", &rc);
    assert_int_equal(rc, 0);
    assert_null(strstr(out, "\\documentclass"));
    assert_null(strstr(out, "\\begin{document}"));
    assert_non_null(strstr(out, "\\begin{align*}"));
    free(out);
    out = run_piped("", "tex mazur-2-2-2 --notation netout", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "\\mathrm{net}"));
    free(out);
    out = run_piped("", "tex", &rc);
    assert_int_equal(rc, 2);
    free(out);
}

/* Does every row of every align* block in tex keep its groups whole? A row
 * is a line; its braces (not \{ or \}) and its \begin/\end must balance, or
 * a sum was broken inside a group (a deck's \uncover{...} then closes inside
 * a cases split and pdflatex stops). Fails naming what and the row. */
static void rows_whole(const char *tex, const char *what)
{
    const char *p = strstr(tex, "\\begin{align*}");
    while (p) {
        const char *end = strstr(p, "\\end{align*}");
        assert_non_null(end);
        for (const char *row = strchr(p, '\n') + 1; row < end; row = strchr(row, '\n') + 1) {
            int braces = 0, envs = 0;
            const char *eol = strchr(row, '\n');
            for (const char *c = row; c < eol; c++) {
                if (*c == '\\') {
                    envs += !strncmp(c, "\\begin{", 7) - !strncmp(c, "\\end{", 5);
                    if (c[1] && !isalpha((unsigned char)c[1])) c++;     /* \{ \} \\ */
                    continue;
                }
                braces += (*c == '{') - (*c == '}');
            }
            if (braces || envs) fail_msg("%s: a row broken inside a group:\n%.*s", what, (int)(eol - row), row);
        }
        p = strstr(end, "\\begin{align*}");
    }
}

/* Every activation's g and g' in a document and a deck of a 2-2-1 and a
 * 2-3-2-1 network: each formula row whole (ELU's g' = a_j + alpha in its
 * second case was once broken at that '+' on a slide), and a small ELU deck
 * compiles (one pdflatex run of 34 pages, under a second). */
static void test_cases_unbroken(void **state)
{
    (void)state;
    const char *shapes[] = {"2-2-1", "2-3-2-1"}, *forms[] = {"", "--beamer"};
    char cmd[16384], nt[4096], what[128];
    bin_abs(nt);
    for (int k = 0; k < ACT_COUNT; k++) {
        const char *act = act_name((act_kind)k);
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
                /* softmax is an output layer's only, on two outputs */
                snprintf(cmd, sizeof cmd, "set -e; cd %s; %s new %s%s %s %s > act.lesson; %s tex act.lesson %s",
                         dir, nt, shapes[s], k == ACT_SOFTMAX ? "-2" : "",
                         k == ACT_SOFTMAX ? "--out" : "--act", act, nt, forms[f]);
                int rc;
                char *out = run_sh(cmd, &rc);
                snprintf(what, sizeof what, "%s %s %s", act, shapes[s], forms[f]);
                if (rc != 0) fail_msg("%s: exit %d\n%s", what, rc, out);
                rows_whole(out, what);
                free(out);
            }
        }
    }
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s; printf 'title ELU on a slide\\ninput 1\\nlayer elu 2\\nweight w_0,2 = 0.5\\n"
             "weight w_1,2 = 1\\nloss sse\\nrate 0.5\\nsteps 1\\nexample 1 -> 0\\n' > elu.lesson\n"
             "%s tex elu.lesson --beamer -o elu.tex\n"
             "pdflatex -interaction=nonstopmode -halt-on-error elu.tex > /dev/null 2>&1 || "
             "{ grep -A5 '^!' elu.log; exit 3; }\n"
             "grep -c 'a_{2} + 1 & ' elu.tex\n",
             dir, nt);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("the ELU deck: exit %d\n%s", rc, out);
    assert_int_equal(atoi(out), 1);         /* g'(in_2)'s second case, whole */
    free(out);
}

/* Text beyond ASCII that a lecture's title or notes carry is set as
 * LaTeX (Greek letters, arrows, dashes, curly quotes, sub- and superscript
 * digits; accented Latin letters as themselves), one '?' for any other
 * character; a document and a deck with it compile and show it. */
static void test_unicode_text(void **state)
{
    (void)state;
    strbuf b = {0};
    tex_escape(&b, "\xCE\xB1 \xE2\x86\x92 \xE2\x88\x82J/\xE2\x88\x82w\xE2\x82\x81 \xE2\x80\x94 "
                   "\xE2\x80\x9C\xC3\xA9\xE2\x80\x9D x\xC2\xB2 \xE2\x9C\x93 \xF0\x9F\x98\x80 \xFF");
    assert_string_equal(b.s, "$\\alpha$ $\\rightarrow$ $\\partial$J/\\allowbreak{}$\\partial$w$_{1}$ --- "
                             "``\xC3\xA9'' x$^{2}$ ? ? ?");
    sb_free(&b);
    char cmd[8192], nt[4096];
    bin_abs(nt);
    for (int deck = 0; deck < 2; deck++) {
        snprintf(cmd, sizeof cmd,
                 "set -e; cd %s; printf 'title Learning rate \xCE\xB1 \xE2\x80\x94 Schr\xC3\xB6" "dinger\xE2\x80\x99s "
                 "\xE2\x88\x82J/\xE2\x88\x82w\xE2\x82\x81\nnote \xCE\x94\xE2\x82\x83 \xE2\x89\xA5 0\ninput 1\n"
                 "layer logistic 2\nweight w_0,2 = 0.5\nweight w_1,2 = 1\nloss sse\nrate 0.5\nexample 1 -> 0\n' > uni.lesson\n"
                 "%s tex uni.lesson %s -o uni.tex\n"
                 "pdflatex -interaction=nonstopmode -halt-on-error uni.tex > /dev/null 2>&1 || "
                 "{ grep -A5 '^!' uni.log; exit 3; }\n"
                 "if grep -A2 'Font Warning\\|Unicode character' uni.log; then exit 4; fi\n"
                 "pdftotext uni.pdf - | tr '\\n' ' '\n",
                 dir, nt, deck ? "--beamer" : "");
        int rc;
        char *out = run_sh(cmd, &rc);
        if (rc != 0) fail_msg("%s: exit %d\n%s", deck ? "deck" : "document", rc, out);
        if (!strstr(out, "\xCE\xB1") || !strstr(out, "Schr\xC3\xB6" "dinger") || !strstr(out, "\xE2\x80\x94") ||
            !strstr(out, "\xE2\x88\x82") || !strstr(out, "\xE2\x89\xA5") || strchr(out, '?'))
            fail_msg("%s: the title and note are not shown as written:\n%s", deck ? "deck" : "document", out);
        free(out);
    }
}

/* A document's quantity keeps its rows on one page ("\\*" ends each row,
 * checked on every lesson's PDF by pages_keep_names), unless it is longer
 * than a page could hold: in_61 of a 60-input neuron breaks between its
 * '+' rows, but never after its first row or before its value. */
static void test_long_sum_may_break(void **state)
{
    (void)state;
    char cmd[8192], nt[4096];
    bin_abs(nt);
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s; { printf 'title wide\\ninput'; for k in $(seq 1 60); do printf ' %%d' $k; done;"
             " printf '\\nlayer logistic 61\\ninit uniform -1 1 1\\nexample'; for k in $(seq 1 60); do printf ' 0.5'; done;"
             " printf ' -> 1\\nloss sse\\nrate 0.5\\nsteps 1\\ndigits 4\\n'; } > wide.lesson\n"
             "%s tex wide.lesson\n", dir, nt);
    int rc;
    char *out = run_sh(cmd, &rc);
    if (rc != 0) fail_msg("exit %d\n%s", rc, out);
    char *in = strstr(out, "\\mathrm{in}_{61} &= ");
    assert_non_null(in);
    char *end = strstr(in, "\\end{align*}");
    assert_non_null(end);
    *end = '\0';
    int kept = 0, free_rows = 0;
    for (char *p = in; (p = strstr(p, "\\\\")); p += 2) {
        if (p[2] == '*') kept++;
        else free_rows++;
    }
    assert_true(free_rows > 0);                                      /* it may break */
    assert_int_equal(kept, 2);
    assert_true(!strncmp(strchr(in, '\n') - 3, "\\\\*\n", 4));      /* not after its name's row */
    char *last = strrchr(in, '\n');                   /* the value row's end */
    assert_non_null(last);
    *last = '\0';
    last = strrchr(in, '\n');                         /* the row before it ends here */
    assert_true(last && !strncmp(last - 3, "\\\\*\n", 4));   /* nor before its value */
    free(out);
    /* a short one is kept whole */
    out = run_piped("", "tex lessons/sauppe-forward.lesson --fragment", &rc);
    assert_int_equal(rc, 0);
    char *a = strstr(out, "\\mathrm{in}_{3} &= ");
    assert_non_null(a);
    assert_non_null(strstr(a, " \\\\*\n&= "));
    free(out);
}

/* A sum breaks where its row would be too wide as set, not as typed: the
 * slide's in_3 = w_0,3 a_0 + w_1,3 a_1 + w_2,3 a_2 (07-2a) fits one row of a
 * slide (its LaTeX source once broke it after two terms), while Mazur's
 * 0.6*1 + 0.35891648*0.593256764 + 0.408666186*0.596869409 does not (the
 * decks' overfull check holds every row within the frame). */
static void test_sum_breaks_as_set(void **state)
{
    (void)state;
    int rc;
    char *out = run_piped("", "tex sauppe-sgd-step --beamer", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "\\mathrm{in}_{3} &\\uncover<1->{{}= w_{0,3} \\cdot a_{0} + w_{1,3} \\cdot a_{1} + "
                                "w_{2,3} \\cdot a_{2}} \\\\\n"));
    free(out);
    out = run_piped("", "tex mazur-2-2-2 --beamer", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "{{}= 0.6 \\cdot 1 + 0.35891648 \\cdot 0.593256764} \\\\\n"
                                "&\\uncover<2->{{}\\quad + 0.408666186 \\cdot 0.596869409} \\\\\n"));
    free(out);
}

/* A fraction in a numerator is set at full size: the batch mean of 07-4b,
 * dJ/dw_0,3 = (dJ/dw_0,3[1] + dJ/dw_0,3[2] + dJ/dw_0,3[3])/3, once showed its
 * terms at script size (their w_{0,3} in 5 pt type on a slide); a plain
 * numerator (the logistic's 1) is written as before. */
static void test_nested_fraction_full_size(void **state)
{
    (void)state;
    int rc;
    char *out = run_piped("", "tex sauppe-minibatch --fragment", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "&= \\frac{\\displaystyle \\frac{\\partial J}{\\partial w_{0,3}}[1] + "));
    assert_non_null(strstr(out, "= \\frac{1}{1+e^{-"));
    free(out);
}

/* A batch mean or a variance over the examples at many digits: its
 * fraction's numerator, wider than a slide (xor-mlp's dJ/dw_0,3 over four
 * examples at 9 digits ran 14pt past the frame, batch norm's variance 31pt),
 * is written 1/4 times the sum in parentheses, broken at its terms, and
 * every such lesson's deck and document compiles without an overfull box;
 * a fraction that fits stays a fraction. */
static void test_wide_fraction_breaks(void **state)
{
    (void)state;
    int rc;
    char *out = run_piped("", "tex xor-mlp --beamer --digits 9", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "{{}= \\frac{1}{4}\\Bigl(0.013128424 + (-0.012305948) + (-0.013238952)} \\\\\n"
                                "&\\uncover<2->{{}\\quad + 0.011317915\\Bigr)} \\\\\n"));
    assert_non_null(strstr(out, "{{}= \\frac{0 + 0 + (-0.013238952) + 0.011317915}{4}} \\\\\n"));
    rows_whole(out, "xor-mlp --beamer --digits 9");
    free(out);
    static const char *const wide[] = {"xor-mlp", "batchnorm-forward", "sauppe-minibatch", "init-and-normalise",
                                       "cse575-vectorised-bce"};
    for (size_t k = 0; k < sizeof wide / sizeof wide[0]; k++)
        for (int deck = 0; deck < 2; deck++) {
            int overfull;
            free(compile(wide[k], deck ? "--beamer --digits 9" : "--digits 9", &overfull));
            if (overfull) fail_msg("%s%s --digits 9: %d overfull boxes", wide[k], deck ? " --beamer" : "", overfull);
        }
}

/* The notes of a deck: paragraphs, not the source's lines, over frames that
 * each hold a fair share (never a word or two). */
static void test_deck_notes(void **state)
{
    (void)state;
    int rc;
    char *out = run_piped("", "tex mazur-2-2-2 --beamer", &rc);
    assert_int_equal(rc, 0);
    char *f = strstr(out, "\\begin{frame}{Notes}");
    assert_non_null(f);
    char *end = strstr(f, "\\end{frame}");
    assert_non_null(end);
    *end = '\0';
    assert_null(strstr(f, "\\\\"));                   /* no forced line break */
    assert_non_null(strstr(f, "(the sum of the two arcs')"));
    assert_null(strstr(end + 1, "{Notes"));             /* 0.9 KiB of notes: one frame */
    free(out);
    /* a long note: frames of even length, each compiles to a full page */
    char cmd[8192], nt[4096];
    bin_abs(nt);
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s; { printf 'title Long notes\\ninput 1\\nlayer logistic 2\\nweight w_0,2 = 1\\n"
             "weight w_1,2 = 1\\nexample 1\\n'; for k in $(seq 1 40); do "
             "echo \"note Sentence $k of the notes says something about the weights, so it is long. Then\"; done;"
             " echo 'note lastword.'; } > long.lesson\n"
             "%s tex long.lesson --beamer -o long.tex\n"
             "grep -c 'begin{frame}{Notes' long.tex\n"
             "pdflatex -interaction=nonstopmode -halt-on-error long.tex > /dev/null 2>&1\n"
             "for p in 2 3 4; do pdftotext -f $p -l $p long.pdf - | wc -w; done\n"
             "pdftotext long.pdf - | grep -c lastword\n",
             dir, nt);
    out = run_sh(cmd, &rc);
    assert_int_equal(rc, 0);
    int frames = 0, words[3] = {0}, last = 0;
    assert_int_equal(sscanf(out, "%d %d %d %d %d", &frames, &words[0], &words[1], &words[2], &last), 5);
    assert_int_equal(frames, 3);
    for (int k = 0; k < 3; k++)
        if (words[k] < 100) fail_msg("notes frame %d holds %d words only\n%s", k + 1, words[k], out);
    assert_int_equal(last, 1);
    free(out);
}

/* A node of the network picture: its name ("n3", or "b0" for the bias
 * drawn before a layer) and centre (cm). */
typedef struct { char name[16]; double x, y; } pic_node;

/* The node named at s ("(n3)" or "(b1)"), or fail. */
static const pic_node *pic_find(const pic_node *nodes, int n, const char *s, const char *what)
{
    char name[16];
    if (sscanf(s, "(%15[a-z0-9])", name) != 1) fail_msg("%s: no node name at %.20s", what, s);
    for (int k = 0; k < n; k++) if (!strcmp(nodes[k].name, name)) return &nodes[k];
    fail_msg("%s: no node %s", what, name);
    return NULL;
}

/* The width (cm) of a number in the picture's \tiny math, from Latin
 * Modern's 6 pt metrics as pdflatex sets them: a digit 3.67 pt, the point
 * 2.28, the minus 5.78, a parenthesis 2.89. */
static double tiny_cm(const char *s, size_t n)
{
    double pt = 0;
    for (size_t k = 0; k < n; k++) pt += s[k] == '.' ? 2.28 : s[k] == '-' ? 5.78 : strchr("()", s[k]) ? 2.89 : 3.67;
    return pt * 2.54 / 72.27;
}

/* The network picture of a deck (its first, the forward pass), cut out of
 * the deck's text (caller frees *deck). */
static char *deck_picture(const char *lesson, char **deck)
{
    char args[128];
    int rc;
    snprintf(args, sizeof args, "tex %s --beamer", lesson);
    *deck = run_piped("", args, &rc);
    assert_int_equal(rc, 0);
    char *pic = strstr(*deck, "\\begin{tikzpicture}[x=");
    assert_non_null(pic);
    return pic;
}

/* The weights in the network picture: each in a white box centred on its
 * arc, and no two labels' boxes overlapping, recomputed from the picture's
 * own coordinates and Latin Modern's widths (pos runs from border to
 * border of the circles, of the picture's minimum size; a \tiny line is
 * 0.28 cm high with its inner sep; a sloped label's box is that of the
 * rotated rectangle); a negative weight in parentheses, as the trace
 * writes an operand (a bare minus on its arc read as the arc's line:
 * sauppe-multiclass's -3.5 read as 3.5); no arc runs through a node it does
 * not join (mazur-2-2-2's bias arc into o2 once ran through h1 and along
 * the arc h1 -> o2, its 0.6 read as a second weight of that arc). */
static void test_network_labels(void **state)
{
    (void)state;
    const char *decks[] = {"softmax-3class", "mazur-2-2-2", "xor-mlp", "sauppe-minibatch", "sauppe-vanishing",
                           "sauppe-multiclass", "cse575-vectorised-bce"};
    int negatives = 0;
    for (size_t d = 0; d < sizeof decks / sizeof *decks; d++) {
        char *out, *pic = deck_picture(decks[d], &out);
        *strstr(pic, "\\end{tikzpicture}") = '\0';
        double sx, sy, size, lx[256], ly[256], lu[256][2], hw[256], hh[256];
        static pic_node nodes[1024];
        int nn = 0;
        assert_int_equal(sscanf(pic, "\\begin{tikzpicture}[x=%lfcm, y=%lfcm", &sx, &sy), 2);
        assert_non_null(strstr(pic, "minimum size="));
        assert_int_equal(sscanf(strstr(pic, "minimum size=") + 13, "%lfmm", &size), 1);
        double r = size / 20;                     /* a circle's radius, cm */
        for (char *p = pic; (p = strstr(p, "\\node[n")) && nn < 1024; p++) {
            double x, y;
            char *at = strstr(p, ") at (");
            assert_int_equal(sscanf(strchr(p, ']') + 2, "(%15[a-z0-9])", nodes[nn].name), 1);
            assert_int_equal(sscanf(at + 6, "%lf, %lf", &x, &y), 2);
            nodes[nn].x = x * sx;
            nodes[nn++].y = y * sy;
        }
        int arcs = 0;
        for (char *p = pic; (p = strstr(p, "\\draw[->")); p++, arcs++) {
            char *from = strchr(p, ']') + 2, *to = strstr(from, " -- ") + 4;
            const pic_node *i = pic_find(nodes, nn, from, decks[d]), *j = pic_find(nodes, nn, to, decks[d]);
            double ux = j->x - i->x, uy = j->y - i->y, len2 = ux * ux + uy * uy;
            for (int k = 0; k < nn; k++) {
                const pic_node *o = &nodes[k];
                if (o == i || o == j) continue;
                double t = ((o->x - i->x) * ux + (o->y - i->y) * uy) / len2;
                t = t < 0 ? 0 : t > 1 ? 1 : t;
                double dist = hypot(i->x + t * ux - o->x, i->y + t * uy - o->y);
                if (dist < r) fail_msg("%s: the arc %s -> %s runs through %s", decks[d], i->name, j->name, o->name);
            }
        }
        assert_true(arcs >= 3);
        int n = 0;
        for (char *p = pic; (p = strstr(p, "node[pos=")); p++) {
            double pos;
            char *line = p;
            while (line > pic && line[-1] != '\n') line--;
            assert_non_null(strstr(line, "fill=white"));
            const pic_node *i = pic_find(nodes, nn, strstr(line, "\\path ") + 6, decks[d]);
            const pic_node *j = pic_find(nodes, nn, strstr(p, "} (") + 2, decks[d]);
            assert_int_equal(sscanf(p, "node[pos=%lf", &pos), 1);
            double dxy = hypot(j->x - i->x, j->y - i->y), ux = (j->x - i->x) / dxy, uy = (j->y - i->y) / dxy;
            double len = dxy - 2 * r;
            assert_null(strstr(line, "above"));
            char *v = strstr(p, "{$") + 2;
            size_t vlen = (size_t)(strstr(v, "$}") - v);
            if (v[0] == '-') fail_msg("%s: a negative weight with a bare minus on its arc: %.*s", decks[d], (int)vlen, v);
            if (v[0] == '(') {
                negatives++;
                if (v[1] != '-' || v[vlen - 1] != ')') fail_msg("%s: %.*s", decks[d], (int)vlen, v);
            }
            double w = tiny_cm(v, vlen) / 2 + 0.035, h = 0.14;
            lx[n] = i->x + r * ux + pos * len * ux;
            ly[n] = i->y + r * uy + pos * len * uy;
            lu[n][0] = ux, lu[n][1] = uy, hw[n] = w, hh[n] = h;
            for (int k = 0; k < n; k++) {           /* overlap: no axis of either separates them */
                const double ax[4][2] = {{ux, uy}, {-uy, ux}, {lu[k][0], lu[k][1]}, {-lu[k][1], lu[k][0]}};
                int apart = 0;
                for (int m = 0; m < 4 && !apart; m++) {
                    double dist = fabs((lx[k] - lx[n]) * ax[m][0] + (ly[k] - ly[n]) * ax[m][1]), rr = 0;
                    for (int q = 0; q < 2; q++) {
                        int z = q ? k : n;
                        rr += hw[z] * fabs(lu[z][0] * ax[m][0] + lu[z][1] * ax[m][1]) +
                              hh[z] * fabs(-lu[z][1] * ax[m][0] + lu[z][0] * ax[m][1]);
                    }
                    apart = dist >= rr;
                }
                if (!apart) fail_msg("%s: the labels of arcs %d and %d overlap", decks[d], k, n);
            }
            for (int k = 0; k < nn; k++)               /* nor on a circle */
                if (hypot(nodes[k].x - lx[n], nodes[k].y - ly[n]) < r + h)
                    fail_msg("%s: the label of arc %d lies on %s", decks[d], n, nodes[k].name);
            n++;
        }
        assert_int_equal(n, arcs);
        free(out);
    }
    assert_true(negatives >= 8);
}

/* Each circle of the picture holds its value under its name as the
 * lesson's trace names it (lectures 002, 000, 001): Mazur's o1 is out_o1
 * (forward) and delta_o1 (backward), his weights w1 and b1; the layer
 * notation's a^[1]_1, dz^[1]_1 and W^[1]_1,1; no neuron is numbered 3-6 in
 * a lesson whose trace does not number it, and the caption names no a_j,
 * Delta_j or w_{i,j} the trace does not write. Every value fits its circle
 * (at most as wide as the circle 2 mm below its centre, where the value's
 * line ends). */
static void test_network_names(void **state)
{
    (void)state;
    static const struct { const char *lesson, *names[6]; } WANT[] = {
        {"mazur-2-2-2", {"{$i_{1}$}", "{$\\mathrm{out}_{o1}$}", "{$\\delta_{o1}$}", "$w_{1} = 0.15$",
                         "$b_{1} = 0.35$"}},
        {"softmax-3class", {"{$x_{1}$}", "{$a^{[1]}_{1}$}", "{$dz^{[1]}_{3}$}", "$W^{[1]}_{1,1} = 0.2$"}},
        {"sauppe-multiclass", {"{$a_{1}$}", "{$a_{3}$}", "{$\\Delta_{3}$}", "$w_{0,3} = -3.5$",
                               "a negative one in parentheses"}},
        {"csc413-logistic-least-squares", {"{$y_{2}$}", "{$\\bar{z}_{2}$}", "$b_{2} = -1$"}},
        {"init-and-normalise", {"{$\\mathrm{xn}_{1}$}", "{$-1.3416$}", "Forward pass, example 1:"}},
    };
    for (size_t k = 0; k < sizeof WANT / sizeof *WANT; k++) {
        char *deck, *pic = deck_picture(WANT[k].lesson, &deck);
        for (int m = 0; m < 6 && WANT[k].names[m]; m++)
            if (!strstr(pic, WANT[k].names[m])) fail_msg("%s: no %s in\n%s", WANT[k].lesson, WANT[k].names[m], pic);
        assert_null(strstr(pic, "above=0pt of"));                  /* no number above a circle */
        assert_null(strstr(pic, "a_j"));
        assert_null(strstr(pic, "w_{i,j}"));
        double size;
        assert_int_equal(sscanf(strstr(pic, "minimum size=") + 13, "%lfmm", &size), 1);
        double room = 2 * sqrt(size * size / 400 - 0.2 * 0.2);
        for (char *p = pic; (p = strstr(p, "yshift=-")); p++) {   /* the values under the names */
            char *v = strstr(p, "{$") + 2;
            size_t vlen = (size_t)(strstr(v, "$}") - v);
            if (tiny_cm(v, vlen) > room) fail_msg("%s: %.*s is wider than its circle", WANT[k].lesson, (int)vlen, v);
        }
        free(deck);
    }
}

/* The value a circle n<j> of the picture at p holds ("" when none). */
static void pic_value(const char *pic, int j, char *v, size_t size)
{
    char key[48];
    snprintf(key, sizeof key, "yshift=-1.7mm]n%d.center) {$", j);
    const char *s = strstr(pic, key), *end = s ? strstr(s, "$}") : NULL;
    v[0] = '\0';
    if (s && end) snprintf(v, size, "%.*s", (int)(end - s - strlen(key)), s + strlen(key));
}

/* A value of the picture is as honest as the trace's: it has room for 4
 * decimals where the trace prints the lesson's digits, so a value it
 * rounds is written with all 4 (Mazur's delta_h2 = 0.009954255 as 0.0100,
 * beside delta_h1's 0.0088: "0.01" read as exact and larger by more than
 * it is), and one with fewer decimals is the value the trace prints
 * (0.05, 1). Each circle's number, read back, is its quantity's value
 * rounded to the decimals it shows; with fewer than 4 it is the value at
 * the lesson's digits. Both pictures (forward: a_j, backward: Delta_j). */
static void test_network_values_honest(void **state)
{
    (void)state;
    static const char *const CASE[] = {"mazur-2-2-2", "sauppe-saturation", "sauppe-multiclass", "softmax-3class"};
    for (size_t k = 0; k < sizeof CASE / sizeof CASE[0]; k++) {
        char path[256], err[512], *deck, *pic = deck_picture(CASE[k], &deck);
        snprintf(path, sizeof path, "lessons/%s.lesson", CASE[k]);
        lesson *l = lesson_load(path, err, sizeof err);
        if (!l) fail_msg("%s", err);
        engine_result r;
        engine_opts eo = {.round = ENGINE_ROUND_LESSON};
        assert_int_equal(engine_run(l, &eo, &r, err, sizeof err), 0);
        int checked = 0;
        char *pics[2] = {pic, strstr(pic + 1, "\\begin{tikzpicture}[x=")};
        assert_non_null(pics[1]);
        for (int backward = 0; backward < 2; backward++) {
            pic = pics[backward];
            for (size_t id = 0; id < r.tr->n; id++) {
                const quantity *q = &r.tr->q[id];
                q_kind want = backward ? Q_DELTA : Q_ACT;
                if (q->t != 0 || q->e > 1 || (q->kind != want && q->kind != Q_INPUT)) continue;
                char v[64];
                pic_value(pic, q->j, v, sizeof v);
                if (!v[0] || strstr(v, "\\cdot")) continue;   /* not this circle's, or a tiny value */
                const char *dot = strchr(v, '.');
                int d = dot ? (int)strlen(dot + 1) : 0;
                double shown = strtod(v, NULL), want_v = round_dp(q->value, d < 4 ? l->digits : d);
                if (fabs(shown - want_v) > 1e-12)
                    fail_msg("%s (%s): circle %d shows %s for %.12g (rounded to %d decimals: %.12g)", CASE[k],
                             backward ? "backward" : "forward", q->j, v, q->value, d < 4 ? l->digits : d, want_v);
                checked++;
            }
        }
        if (checked < 5) fail_msg("%s: only %d circles with their values", CASE[k], checked);
        if (!strcmp(CASE[k], "mazur-2-2-2")) {
            assert_non_null(strstr(pics[1], "{$0.0100$}"));      /* delta_h2, backward */
            assert_non_null(strstr(pics[1], "{$0.0088$}"));      /* delta_h1 */
        }
        if (!strcmp(CASE[k], "sauppe-saturation")) {   /* the slide's own 0.99995 and 0.00005, not 1.0000 */
            assert_non_null(strstr(pics[0], "{$0.99995$}"));
            assert_non_null(strstr(pics[0], "{$0.00005$}"));
        }
        engine_result_free(&r);
        lesson_free(l);
        free(deck);
    }
}

/* A value that rounds to 0 at the picture's 4 decimals is written as TeX
 * sets a power of ten, 4.5{\cdot}10^{-5}: e-notation, 4.540e-05, was set
 * "4.540e - 05" and ran out of its circle. */
static void test_network_tiny_value(void **state)
{
    (void)state;
    char *deck, *pic = deck_picture("sauppe-saturation --digits 9", &deck);
    char v[64];
    pic_value(pic, 3, v, sizeof v);          /* a_3 = sigma(-10) = 4.54e-5 */
    assert_string_equal(v, "4.5{\\cdot}10^{-5}");
    pic_value(pic, 2, v, sizeof v);          /* a_2 = 0.9999546 */
    assert_string_equal(v, "1.0000");
    assert_null(strstr(deck, "e-0"));
    free(deck);
}

/* A small network is drawn larger, text and all, to the room the largest
 * takes on a slide (10.65 cm by 6.65 cm with its circles): Mazur's 2-2-2
 * net once took 7.5 cm of the slide's width in \\tiny type. The
 * picture's extent, from its own coordinates and its scale, fills the room
 * one way and passes it neither way; a four-column chain already fills the
 * width and is not scaled. */
static void test_network_fills_the_slide(void **state)
{
    (void)state;
    static const char *const CASE[] = {"mazur-2-2-2", "sauppe-minibatch", "softmax-3class", "bce-3layer"};
    for (size_t k = 0; k < sizeof CASE / sizeof CASE[0]; k++) {
        char *deck, *pic = deck_picture(CASE[k], &deck);
        double scale = 1, sx, sy, size, x0 = 1e9, x1 = -1e9, y0 = 1e9, y1 = -1e9;
        const char *sb = strstr(deck, "\\scalebox{");
        if (sb && sb < pic) assert_int_equal(sscanf(sb, "\\scalebox{%lf}", &scale), 1);
        *strstr(pic, "\\end{tikzpicture}") = '\0';
        assert_int_equal(sscanf(pic, "\\begin{tikzpicture}[x=%lfcm, y=%lfcm", &sx, &sy), 2);
        assert_int_equal(sscanf(strstr(pic, "minimum size=") + 13, "%lfmm", &size), 1);
        for (char *p = pic; (p = strstr(p, "\\node[n")); p++) {
            double x, y;
            assert_int_equal(sscanf(strstr(p, ") at (") + 6, "%lf, %lf", &x, &y), 2);
            x0 = fmin(x0, x * sx), x1 = fmax(x1, x * sx), y0 = fmin(y0, y * sy), y1 = fmax(y1, y * sy);
        }
        double w = (x1 - x0 + size / 10) * scale, h = (y1 - y0 + size / 10) * scale;
        if (w > 10.66 || h > 6.66 || (w < 10.3 && h < 6.4))
            fail_msg("%s: the picture is %.2f by %.2f cm (scale %.2f): at most 10.65 by 6.65, and filling one of them",
                     CASE[k], w, h, scale);
        if (!strcmp(CASE[k], "bce-3layer")) assert_true(scale == 1);
        free(deck);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_and_fragment),
        cmocka_unit_test(test_cases_unbroken),
        cmocka_unit_test(test_unicode_text),
        cmocka_unit_test(test_long_sum_may_break),
        cmocka_unit_test(test_nested_fraction_full_size),
        cmocka_unit_test(test_wide_fraction_breaks),
        cmocka_unit_test(test_sum_breaks_as_set),
        cmocka_unit_test(test_deck_notes),
        cmocka_unit_test(test_network_labels),
        cmocka_unit_test(test_network_names),
        cmocka_unit_test(test_network_fills_the_slide),
        cmocka_unit_test(test_network_values_honest),
        cmocka_unit_test(test_network_tiny_value),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_decks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
