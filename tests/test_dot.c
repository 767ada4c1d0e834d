/*
 * test_dot.c - `nntrace dot`: the labels of the lecture's networks, the
 * layer ranks and the bias, errors, and Graphviz accepting every lesson.
 *
 * Values from lecture 001, 07-2c: in_3 = 0, a_3 = 0.5, in_4 = -1,
 * a_4 ~ 0.27, in_5 = 1.54, a_5 ~ 0.82 with w_2,3 = -2, w_0,5 = -1; and
 * Mazur's 2-2-2 example (lecture 003's step-by-step backpropagation):
 * dE/dw5 = 0.082167041, out_o1 = 0.75136507.
 */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "lesson.h"
#include "names.h"
#include "netdraw.h"
#include "text.h"

#define assert_has(hay, needle) do { \
        if (!strstr((hay), (needle))) fail_msg("expected \"%s\" in:\n%s", (needle), (hay)); \
    } while (0)

/* DOT of a lesson through the library; NULL with err on failure. */
static char *dot_of(const char *path, int step, int backward, int unicode, char *err, size_t errsize)
{
    lesson *l = lesson_load(path, err, errsize);
    if (!l) fail_msg("%s", err);
    engine_result r;
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    assert_int_equal(engine_run(l, &eo, &r, err, errsize), 0);
    netdraw_dot_opts o = {.step = step, .backward = backward, .digits = l->digits, .unicode = unicode,
                         .notation = -1};
    strbuf b = {0};
    int rc = netdraw_dot(&b, l, r.tr, &o, err, errsize);
    engine_result_free(&r);
    lesson_free(l);
    if (rc) { sb_free(&b); return NULL; }
    return b.s;
}

static void test_forward_labels_from_the_slide(void **state)
{
    (void)state;
    char err[512];
    char *d = dot_of("lessons/sauppe-forward.lesson", 1, 0, 0, err, sizeof err);
    assert_non_null(d);
    assert_has(d, "digraph \"sauppe-forward\" {");
    assert_has(d, "rankdir=LR");
    assert_has(d, "n3 [label=\"logistic\\nin_3 = 0\\na_3 = 0.5\"];");
    assert_has(d, "n4 [label=\"logistic\\nin_4 = -1\\na_4 ~ 0.27\"];");
    assert_has(d, "label=\"logistic\\nin_5 = 1.54\\na_5 ~ 0.82\"];");
    assert_has(d, "n1 [fillcolor=\"#fff4d6\", color=\"#b48a3c\", label=\"a_1 = x_1 = 3\"];");
    assert_has(d, "label=\"bias\\na_0 = 1\"];");
    /* layers: one rank each, in order; the bias a dashed box, its arcs dashed */
    assert_has(d, "{ rank=same; n0 -> n1 -> n2 [style=invis]; }");
    assert_has(d, "{ rank=same; n3 -> n4 [style=invis]; }");
    assert_has(d, "{ rank=same; n5; }");
    assert_has(d, "n0 [shape=box, style=\"rounded,dashed,filled\"");
    /* an arc's label is a box on the arc: n0 -> l6 -> n5 */
    assert_has(d, "l6 [shape=box, style=\"rounded,filled\", fillcolor=\"white\", color=\"#bbbbbb\", "
                  "fontsize=12, margin=\"0.06,0.03\", height=0.2, label=\"w_0,5 = -1\"];");
    assert_has(d, "n0 -> l6 [arrowhead=none, style=dashed, color=\"#999999\"];\n  l6 -> n5 [style=dashed, color=\"#999999\"];");
    assert_has(d, "label=\"w_2,3 = -2\"];");
    assert_has(d, "n2 -> l2 [arrowhead=none];\n  l2 -> n3;");
    /* the label boxes of a gap in one rank, between the layers */
    assert_has(d, "{ rank=same; l0 l1 l2 l3 l4 l5; }");
    assert_has(d, "{ rank=same; l6 l7 l8; }");
    assert_has(d, "ordering=out");
    assert_null(strstr(d, "delta"));            /* forward only */
    free(d);
    d = dot_of("lessons/sauppe-forward.lesson", 1, 0, 1, err, sizeof err);
    assert_has(d, "in\xe2\x82\x83 = 0");          /* in₃ */
    free(d);
}

/* Normalised inputs are what the inputs feed the network: the input nodes
 * show xn_j (lecture 07: xn_1[1] = -15/11.1803 = -1.3416), not nothing. */
static void test_normalised_inputs(void **state)
{
    (void)state;
    char err[512];
    char *d = dot_of("lessons/init-and-normalise.lesson", 1, 0, 0, err, sizeof err);
    assert_non_null(d);
    assert_has(d, "n1 [fillcolor=\"#fff4d6\", color=\"#b48a3c\", label=\"xn_1[1] = -1.3416\"];");
    assert_has(d, "label=\"xn_2[1] = -1.1832\"];");
    free(d);
}

static void test_backward_adds_deltas_and_gradients(void **state)
{
    (void)state;
    char err[512];
    char *d = dot_of("lessons/mazur-2-2-2.lesson", 1, 1, 0, err, sizeof err);
    assert_non_null(d);
    /* the lesson's net/out notation: o1 is neuron 5, w5 is w_3,5 */
    /* the lesson shows its chain-rule factors: dE_total/dout_o1 and dout_o1/dnet_o1 before
     * delta_o1, and on the arc dnet_o1/dw5 and the term dE_o1/dout_h1 that w5 carries back */
    assert_has(d, "n5 [fillcolor=\"#e6f4ea\", color=\"#3c8c50\", label=\"logistic\\nnet_o1 = 1.105905967\\nout_o1 = 0.75136507\\n"
                  "dE_total/dout_o1 = 0.74136507\\ndout_o1/dnet_o1 = 0.186815602\\ndelta_o1 = ");
    assert_has(d, "label=\"w5 = 0.4\\ndE_total/dw5 = 0.082167041\\ndnet_o1/dw5 = 0.593269992\\n"
                  "dE_o1/dout_h1 = 0.055399425\"];");
    /* the shared bias b1 (`tie b1 = w_0,h1 w_0,h2`, frozen): one box, both arcs through it */
    assert_has(d, "l0 [shape=box, style=\"rounded,filled\", fillcolor=\"white\", color=\"#bbbbbb\", "
                  "fontsize=12, margin=\"0.06,0.03\", height=0.2, label=\"b1 = 0.35\\n(frozen)\"];");
    assert_has(d, "l0 -> n3 [style=dashed");
    assert_has(d, "l0 -> n4 [style=dashed");
    assert_has(d, "label=\"b2 = 0.6\\n(frozen)\"];");
    assert_null(strstr(d, "l3 ["));              /* w_0,h2 has no box of its own */
    free(d);
    /* in the va notation too the tie is b1: one name on the one box */
    char e2[512];
    lesson *l = lesson_load("lessons/mazur-2-2-2.lesson", e2, sizeof e2);
    assert_non_null(l);
    engine_result r;
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    assert_int_equal(engine_run(l, &eo, &r, e2, sizeof e2), 0);
    netdraw_dot_opts o = {.step = 1, .backward = 1, .digits = 9, .notation = NOTATION_VA};
    strbuf b = {0};
    assert_int_equal(netdraw_dot(&b, l, r.tr, &o, e2, sizeof e2), 0);
    assert_has(b.s, "label=\"b1 = 0.35\\n(frozen)\"]");
    sb_free(&b);
    /* --no-edge-labels: straight arcs, no boxes */
    o.no_edge_labels = 1;
    assert_int_equal(netdraw_dot(&b, l, r.tr, &o, e2, sizeof e2), 0);
    assert_has(b.s, "n3 -> n5;");
    assert_has(b.s, "n0 -> n3 [style=dashed, color=\"#999999\"];");
    assert_null(strstr(b.s, " l0"));
    assert_null(strstr(b.s, "w_3,5"));
    sb_free(&b);
    engine_result_free(&r);
    lesson_free(l);
}

/* A delta is written with the letter of the lesson's notation in every
 * script, one rule (text_delta): Mazur's delta_o1 (lecture 003, net/out) is
 * δ_o1 in the Unicode picture, as in the Unicode trace and \delta_{o1} in
 * LaTeX; lecture 001's Delta_3 (va) is Δ₃. */
static void test_delta_letter_of_the_notation(void **state)
{
    (void)state;
    char err[512];
    char *d = dot_of("lessons/mazur-2-2-2.lesson", 1, 1, 1, err, sizeof err);
    assert_non_null(d);
    assert_has(d, "\u03b4_o1 = 0.138498562");
    assert_has(d, "\u03b4_h1 = 0.008771355");
    assert_null(strstr(d, "\u0394"));
    free(d);
    d = dot_of("lessons/sauppe-sgd-step.lesson", 1, 1, 1, err, sizeof err);
    assert_non_null(d);
    assert_has(d, "\\n\u0394\u2083 ~ ");       /* hand-rounded: ~ */
    free(d);
    lesson *l = lesson_load("lessons/mazur-2-2-2.lesson", err, sizeof err);
    if (!l) fail_msg("%s", err);
    strbuf u = {0};
    text_unicode(&u, "delta_o1 = dE_total/dout_o1*dout_o1/dnet_o1", l->notation);
    assert_string_equal(u.s, "\u03b4_o1 = \u2202E_total/\u2202out_o1\u00b7\u2202out_o1/\u2202net_o1");
    sb_free(&u);
    quantity q = {.kind = Q_DELTA, .pass = PASS_BACKWARD, .i = -1, .j = 5};
    char tex[128];
    names_render(l, l->notation, NAMES_LATEX, &q, tex, sizeof tex);
    assert_string_equal(tex, "\\delta_{o1}");
    lesson_free(l);
}

/* A mini-batch's backward picture shows, beside an example's gradient on
 * each arc, the batch mean the update uses (07-4b: dJ/dw_ij is the mean
 * of dJ/dw_ij[e]), named and valued as the trace writes it; once it
 * showed example 1's alone, as if the step used that. A lesson without a
 * batch has no mean. */
static void test_batch_mean_on_arcs(void **state)
{
    (void)state;
    char err[512];
    lesson *l = lesson_load("lessons/sauppe-minibatch.lesson", err, sizeof err);
    if (!l) fail_msg("%s", err);
    engine_result r;
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    assert_int_equal(engine_run(l, &eo, &r, err, sizeof err), 0);
    netdraw_dot_opts o = {.step = 1, .backward = 1, .example = 2, .digits = l->digits, .notation = -1};
    strbuf b = {0};
    assert_int_equal(netdraw_dot(&b, l, r.tr, &o, err, sizeof err), 0);
    static const char *const MEAN[] = {"dJ/dw_0,3", "dJ/dw_1,3", "dJ/dw_2,3"};
    for (size_t k = 0; k < 3; k++) {
        long id = names_find(l, r.tr, NULL, MEAN[k]);
        assert_true(id >= 0);
        char val[160], want[256], own[64];
        text_value(r.tr, &r.tr->q[id], l->digits, val, sizeof val);
        snprintf(want, sizeof want, "\\n%s%s%s (mean)\"", MEAN[k], val[0] == '~' ? " " : " = ", val);
        snprintf(own, sizeof own, "\\n%s[2] ", MEAN[k]);
        const char *at = strstr(b.s, want), *mine = strstr(b.s, own);
        if (!at || !mine || mine > at) fail_msg("expected example 2's %s, then \"%s\" in:\n%s", MEAN[k], want, b.s);
    }
    sb_free(&b);
    engine_result_free(&r);
    lesson_free(l);
    char *d = dot_of("lessons/mazur-2-2-2.lesson", 1, 1, 0, err, sizeof err);
    assert_non_null(d);
    assert_null(strstr(d, "(mean)"));
    free(d);
}

/* Neurons are named as the lesson's trace names them, never by a number
 * the notation does not use: Mazur's h1 is net_h1 and out_h1 (lecture
 * 003), not "h1 (3)"; softmax-3class's first output z^[1]_1 and a^[1]_1
 * (lecture 000's layer notation), not "(3)"; every lesson's nodes, both
 * passes, carry no "(j)" tag, and the bias is a_0 as every trace writes it. */
static void test_neurons_named_as_the_trace(void **state)
{
    (void)state;
    char err[512];
    char *d = dot_of("lessons/mazur-2-2-2.lesson", 1, 0, 0, err, sizeof err);
    assert_non_null(d);
    assert_has(d, "n3 [label=\"logistic\\nnet_h1 = 0.3775\\nout_h1 = 0.593269992\"];");
    assert_has(d, "n1 [fillcolor=\"#fff4d6\", color=\"#b48a3c\", label=\"i1 = 0.05\"];");
    free(d);
    d = dot_of("lessons/softmax-3class.lesson", 1, 1, 0, err, sizeof err);
    assert_non_null(d);
    assert_has(d, "n3 [fillcolor=\"#e6f4ea\", color=\"#3c8c50\", label=\"softmax\\nz^[1]_1 = 0\\na^[1]_1 = 0.05\\n"
                  "dz^[1]_1 = 0.05\"];");
    assert_has(d, "n1 [fillcolor=\"#fff4d6\", color=\"#b48a3c\", label=\"x_1 = 1\"];");
    free(d);
    int rc;                                       /* --notation: the names of another lecture */
    d = run_piped("", "dot lessons/mazur-2-2-2.lesson --notation layer --ascii", &rc);
    assert_int_equal(rc, 0);
    assert_has(d, "n3 [label=\"logistic\\nz^[1]_1 = 0.3775\\na^[1]_1 = 0.593269992\"];");
    free(d);
    DIR *dir = opendir("lessons");
    assert_non_null(dir);
    int checked = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        size_t len = strlen(e->d_name);
        if (len <= 7 || strcmp(e->d_name + len - 7, ".lesson")) continue;
        char path[512];
        snprintf(path, sizeof path, "lessons/%s", e->d_name);
        for (int pass = 0; pass < 2; pass++) {
            lesson *l = lesson_load(path, err, sizeof err);
            if (!l) fail_msg("%s", err);
            int max = l->max_id;
            lesson_free(l);
            d = dot_of(path, 1, pass, 0, err, sizeof err);
            if (!d) continue;                     /* no backward pass */
            for (char *line = strstr(d, "\n  n"); line; line = strstr(line + 1, "\n  n")) {   /* the neurons' nodes */
                char *eol = strchr(line + 1, '\n');
                for (int j = 0; j <= max && eol; j++) {
                    char tag[16], *at;
                    snprintf(tag, sizeof tag, "(%d)", j);
                    if ((at = strstr(line, tag)) && at < eol)
                        fail_msg("%s: a neuron tagged %s, a number its trace does not name:%.*s", path, tag,
                                 (int)(eol - line), line);
                }
            }
            assert_has(d, "label=\"bias\\na_0 = 1\"];");
            free(d);
            checked++;
        }
    }
    closedir(dir);
    assert_true(checked >= 30);
}

static void test_errors(void **state)
{
    (void)state;
    char err[512];
    /* 07-2c has no targets: no backward pass */
    assert_null(dot_of("lessons/sauppe-forward.lesson", 1, 1, 0, err, sizeof err));
    assert_has(err, "no backward pass (the examples have no targets)");
    assert_null(dot_of("lessons/sauppe-sgd-step.lesson", 7, 0, 0, err, sizeof err));
    assert_has(err, "step 7 is not in the trace (traced steps: 1, 2)");
    /* step 2 of a 1-step lesson with final-forward: the forward pass after */
    char *d = dot_of("lessons/sauppe-sgd-step.lesson", 2, 0, 0, err, sizeof err);
    assert_non_null(d);
    assert_has(d, "in_3^(1) = 0.34821 ~ 0.3482");   /* 07-2a: in_3 = 0.34821 */
    free(d);
}


static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Graphviz accepts the DOT of every lesson, forward and (when there is
 * one) backward; the CLI refuses a missing backward pass with exit 2. */
static void test_graphviz_accepts_every_lesson(void **state)
{
    (void)state;
    if (sh("command -v dot > /dev/null 2>&1") != 0) skip();
    DIR *dir = opendir("lessons");
    assert_non_null(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        size_t len = strlen(e->d_name);
        if (len <= 7 || strcmp(e->d_name + len - 7, ".lesson")) continue;
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "%s dot lessons/%s > /tmp/nntrace-dot-%d.dot && "
                 "dot -Tsvg /tmp/nntrace-dot-%d.dot > /dev/null", bin(), e->d_name, (int)getpid(), (int)getpid());
        if (sh(cmd) != 0) fail_msg("forward DOT of %s is not accepted: %s", e->d_name, cmd);
        snprintf(cmd, sizeof cmd, "%s dot lessons/%s --pass backward > /tmp/nntrace-dot-%d.dot 2>/dev/null",
                 bin(), e->d_name, (int)getpid());
        int rc = sh(cmd);
        if (rc != 0 && rc != 2) fail_msg("backward DOT of %s: exit %d", e->d_name, rc);
        snprintf(cmd, sizeof cmd, "dot -Tsvg /tmp/nntrace-dot-%d.dot > /dev/null", (int)getpid());
        if (rc == 0 && sh(cmd) != 0) fail_msg("backward DOT of %s is not accepted", e->d_name);
        n++;
    }
    closedir(dir);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/nntrace-dot-%d.dot", (int)getpid());
    unlink(tmp);
    assert_true(n >= 2);
}

/* A node of dot -Tplain's layout: its name, centre and size (inches). */
typedef struct { char name[32]; double x, y, w, h; } plain_node;

/* Is (px, py) inside node n, kept in from its border by inset inches? A
 * label box (l*), the bias (n0) and a target (y*) are boxes; the others
 * are taken as the ellipses in their boxes. */
static int inside_node(const plain_node *n, double px, double py, double inset)
{
    double rx = n->w / 2 - inset, ry = n->h / 2 - inset, dx = px - n->x, dy = py - n->y;
    if (rx <= 0 || ry <= 0) return 0;
    if (n->name[0] == 'l' || n->name[0] == 'y' || !strcmp(n->name, "n0")) return fabs(dx) < rx && fabs(dy) < ry;
    return (dx / rx) * (dx / rx) + (dy / ry) * (dy / ry) < 1;
}

/* Fail when the edge line of dot -Tplain ("edge T H n x1 y1 ... xn yn
 * ...", a B-spline of n control points) runs through a node it does not
 * join (nodes[0..nn)): an arc drawn over a label box would cross out its
 * text, a minus sign among it. */
static void edge_clear(const char *line, const plain_node *nodes, int nn, const char *what)
{
    char tail[32], head[32];
    int n, used;
    if (sscanf(line, "edge %31s %31s %d%n", tail, head, &n, &used) != 3 || n < 4 || n > 400) return;
    double px[400], py[400];
    const char *p = line + used;
    for (int k = 0; k < n; k++) {
        if (sscanf(p, "%lf %lf%n", &px[k], &py[k], &used) != 2) fail_msg("%s: cannot read %s", what, line);
        p += used;
    }
    for (int k = 0; k + 3 < n; k += 3)
        for (int s = 0; s <= 20; s++) {
            double t = s / 20.0, u = 1 - t;
            double x = u * u * u * px[k] + 3 * u * u * t * px[k + 1] + 3 * u * t * t * px[k + 2] + t * t * t * px[k + 3];
            double y = u * u * u * py[k] + 3 * u * u * t * py[k + 1] + 3 * u * t * t * py[k + 2] + t * t * t * py[k + 3];
            for (int m = 0; m < nn; m++)
                if (strcmp(nodes[m].name, tail) && strcmp(nodes[m].name, head) && inside_node(&nodes[m], x, y, 0.02))
                    fail_msg("%s: the arc %s -> %s runs through %s", what, tail, head, nodes[m].name);
        }
}

/* The picture as Graphviz lays it out (dot -Tplain): layers left to right,
 * each layer's neurons in lesson order from the top, every label box
 * between the two neurons of its arc, and no arc through a node it does not
 * join (edge_clear), for every lesson and both passes. */
static void test_layout_of_every_lesson(void **state)
{
    (void)state;
    if (sh("command -v dot > /dev/null 2>&1") != 0) skip();
    DIR *dir = opendir("lessons");
    assert_non_null(dir);
    int checked = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        size_t len = strlen(e->d_name);
        if (len <= 7 || strcmp(e->d_name + len - 7, ".lesson")) continue;
        char path[512], err[512];
        snprintf(path, sizeof path, "lessons/%s", e->d_name);
        lesson *l = lesson_load(path, err, sizeof err);
        if (!l) fail_msg("%s", err);
        for (int pass = 0; pass < 2; pass++) {
            char cmd[1024];
            snprintf(cmd, sizeof cmd, "%s dot --ascii %s %s 2>/dev/null | dot -Tplain", bin(), path,
                     pass ? "--pass backward" : "");
            FILE *p = popen(cmd, "r");
            assert_non_null(p);
            int max = l->max_id + 1, na = l->n_arcs;
            double *nx = calloc((size_t)max, sizeof *nx), *ny = calloc((size_t)max, sizeof *ny);
            double *lx = calloc((size_t)na + 1, sizeof *lx);
            int *lsrc = malloc(((size_t)na + 1) * sizeof *lsrc), *ldst = malloc(((size_t)na + 1) * sizeof *ldst);
            assert_true(nx && ny && lx && lsrc && ldst);
            for (int k = 0; k <= na; k++) lsrc[k] = ldst[k] = -1;
            char line[16384];
            int nodes = 0, nn = 0;
            plain_node *all = calloc((size_t)(max + na + 64), sizeof *all);
            assert_non_null(all);
            while (fgets(line, sizeof line, p)) {
                char a[64], b[64];
                double x, y, w, h;
                if (sscanf(line, "node %31s %lf %lf %lf %lf", all[nn].name, &all[nn].x, &all[nn].y, &all[nn].w,
                           &all[nn].h) == 5 && nn + 1 < max + na + 64)
                    nn++;
                if (!strncmp(line, "edge ", 5)) edge_clear(line, all, nn, path);
                if (sscanf(line, "node %63s %lf %lf %lf %lf", a, &x, &y, &w, &h) == 5) {
                    int id = atoi(a + 1);
                    if (a[0] == 'n' && id < max) { nx[id] = x; ny[id] = y; nodes++; }
                    else if (a[0] == 'l' && id < na) lx[id] = x;
                } else if (sscanf(line, "edge %63s %63s", a, b) == 2) {
                    if (a[0] == 'n' && b[0] == 'l' && atoi(b + 1) < na) lsrc[atoi(b + 1)] = atoi(a + 1);
                    if (a[0] == 'l' && b[0] == 'n' && atoi(a + 1) < na) ldst[atoi(a + 1)] = atoi(b + 1);
                }
            }
            int st = pclose(p);
            if (nodes > 0) {
                assert_int_equal(st, 0);
                /* layers left to right; in lesson order from the top */
                for (int ly = 0; ly < l->n_layers; ly++) {
                    const lesson_layer *L = &l->layers[ly];
                    for (int k = 0; k < L->count; k++) {
                        int j = l->neurons[L->first + k];
                        for (int m = 0; m < l->n_in; m++)
                            if (!(nx[l->inputs[m]] < nx[j])) fail_msg("%s: input %d not left of %d", path, l->inputs[m], j);
                        if (k > 0 && !(ny[l->neurons[L->first + k - 1]] > ny[j]))
                            fail_msg("%s: neuron %d not below %d", path, j, l->neurons[L->first + k - 1]);
                        if (ly > 0)
                            for (int m = 0; m < l->layers[ly - 1].count; m++)
                                if (!(nx[l->neurons[l->layers[ly - 1].first + m]] < nx[j]))
                                    fail_msg("%s: layer %d not left of neuron %d", path, ly, j);
                    }
                }
                /* a label box sits on its arc, between its two neurons */
                for (int a = 0; a < na; a++) {
                    if (lsrc[a] < 0) continue;
                    assert_true(ldst[a] >= 0);
                    if (!(nx[lsrc[a]] < lx[a] && lx[a] < nx[ldst[a]]))
                        fail_msg("%s: label l%d (x %.3g) not between n%d and n%d", path, a, lx[a], lsrc[a], ldst[a]);
                }
                checked++;
            }
            free(nx); free(ny); free(lx); free(lsrc); free(ldst); free(all);
        }
        lesson_free(l);
    }
    closedir(dir);
    assert_true(checked >= 30);
}

static void test_cli_output_file_and_usage(void **state)
{
    (void)state;
    char cmd[512], out[64];
    snprintf(out, sizeof out, "/tmp/nntrace-dot-o-%d.dot", (int)getpid());
    snprintf(cmd, sizeof cmd, "%s dot lessons/sauppe-forward.lesson --ascii -o %s", bin(), out);
    assert_int_equal(sh(cmd), 0);
    char *d = slurp(out, NULL);
    assert_non_null(d);
    assert_has(d, "a_5 ~ 0.82");
    free(d);
    unlink(out);
    /* --unicode as run and step take it (the default here) */
    snprintf(cmd, sizeof cmd, "%s dot lessons/mazur-2-2-2.lesson --pass backward --ascii --unicode -o %s", bin(), out);
    assert_int_equal(sh(cmd), 0);
    d = slurp(out, NULL);
    assert_non_null(d);
    assert_has(d, "\u03b4_o1 = 0.138498562");
    free(d);
    unlink(out);
    snprintf(cmd, sizeof cmd, "%s dot lessons/sauppe-forward.lesson --pass sideways 2>/dev/null", bin());
    assert_int_equal(sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s dot lessons/sauppe-forward.lesson --pass backward >/dev/null 2>&1", bin());
    assert_int_equal(sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s dot 2>/dev/null", bin());
    assert_int_equal(sh(cmd), 2);
    /* a failed run leaves no file */
    snprintf(cmd, sizeof cmd, "%s dot lessons/sauppe-forward.lesson --step 9 -o %s 2>/dev/null", bin(), out);
    assert_int_equal(sh(cmd), 2);
    assert_int_equal(access(out, F_OK), -1);
}

/* A target's node reads as the trace gives the target, its name and value
 * alone, in every notation: in Mazur's net/out names it once read
 * "target\ntarget_o1 = 0.01", the word twice. The name is the naming
 * module's; 0.01 and 0.99 are the post's targets (002). */
static void test_target_node_is_its_name(void **state)
{
    (void)state;
    static const int NOTATIONS[] = {NOTATION_VA, NOTATION_LAYER, NOTATION_NETOUT, NOTATION_BAR};
    char err[512];
    lesson *l = lesson_load("lessons/mazur-2-2-2.lesson", err, sizeof err);
    if (!l) fail_msg("%s", err);
    engine_result r;
    engine_opts eo = {.round = ENGINE_ROUND_LESSON};
    assert_int_equal(engine_run(l, &eo, &r, err, sizeof err), 0);
    for (size_t k = 0; k < sizeof NOTATIONS / sizeof NOTATIONS[0]; k++) {
        for (int unicode = 0; unicode < 2; unicode++) {
            netdraw_dot_opts o = {.step = 1, .backward = 1, .digits = l->digits, .unicode = unicode,
                                  .notation = NOTATIONS[k]};
            strbuf b = {0};
            assert_int_equal(netdraw_dot(&b, l, r.tr, &o, err, sizeof err), 0);
            int seen = 0;
            for (size_t id = 0; id < r.tr->n; id++) {
                const quantity *q = &r.tr->q[id];
                if (q->kind != Q_TARGET || q->t != 0) continue;      /* step 1's */
                char name[256], want[512], node[32];
                names_render(l, NOTATIONS[k], unicode ? NAMES_UNICODE : NAMES_ASCII, q, name, sizeof name);
                snprintf(want, sizeof want, "label=\"%s = %s\"]", name, q->j == 5 ? "0.01" : "0.99");
                snprintf(node, sizeof node, "  y%d [", q->j);
                const char *line = strstr(b.s, node);
                assert_non_null(line);
                const char *end = strchr(line, '\n');
                if (!strstr(line, want) || strstr(line, want) > end)
                    fail_msg("notation %d: the target node is\n%.*s\nnot %s", NOTATIONS[k], (int)(end - line), line,
                             want);
                seen++;
            }
            assert_int_equal(seen, 2);
            sb_free(&b);
        }
    }
    engine_result_free(&r);
    lesson_free(l);
}

/* The targets and the loss are nodes right of the outputs, with the loss's
 * value; a lesson without targets has neither. */
static void test_target_and_loss_nodes(void **state)
{
    (void)state;
    int rc;
    char *out = run_piped("", "dot lessons/mazur-2-2-2.lesson --pass backward --ascii", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "J [shape=doubleoctagon"));
    assert_non_null(strstr(out, "E_total = 0.298371109"));      /* Mazur's E_total */
    assert_non_null(strstr(out, "target_o1 = 0.01"));
    assert_non_null(strstr(out, "n5 -> J"));
    assert_non_null(strstr(out, "y6 -> J"));
    free(out);
    out = run_piped("", "dot lessons/sauppe-forward.lesson", &rc);
    assert_int_equal(rc, 0);
    assert_null(strstr(out, "-> J"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_labels_from_the_slide),
        cmocka_unit_test(test_normalised_inputs),
        cmocka_unit_test(test_backward_adds_deltas_and_gradients),
        cmocka_unit_test(test_neurons_named_as_the_trace),
        cmocka_unit_test(test_delta_letter_of_the_notation),
        cmocka_unit_test(test_batch_mean_on_arcs),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_graphviz_accepts_every_lesson),
        cmocka_unit_test(test_layout_of_every_lesson),
        cmocka_unit_test(test_cli_output_file_and_usage),
        cmocka_unit_test(test_target_and_loss_nodes),
        cmocka_unit_test(test_target_node_is_its_name),
    };
    return cmocka_run_group_tests_name("dot", tests, NULL, NULL);
}
