/*
 * lesson_keys.c - the lesson keys: one table row and one parse function each.
 *
 * LESSON_KEYS[] below is the whole list. ADDING A KEY is one row in it and
 * one small parse function: add its KEY_ enumerator (lesson_keys.h, in the
 * order `nntrace keys` prints), write `static int key_NAME(lesson_keyline *k)`
 * that reads k->toks[1 .. k->nt) into the lesson (or pass1 for what pass 2
 * needs), and give the row its usage and one-line help; then run
 * `nntrace keys --markdown` and paste the table into the README (a test
 * checks it). The dispatcher has already checked that the key may appear
 * (once-only keys) and that the word count is within the row's arity, so a
 * parse function only checks values.
 *
 * Every error is lp_fail(pe, line, ...): "path:line: message".
 */
#include "lesson_impl.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"
#include "judge.h"
#include "names.h"
#include "suggest.h"
#include "variant.h"

/* ------------------------------------------------------------------------
 * Value helpers
 * ---------------------------------------------------------------------- */

/* Strict decimal: [+-]digits[.digits][(e|E)[+-]digits], or [+-].digits.
 * Returns 0 and the value, -1 for not a number, -2 for not finite, -3 for
 * nonzero in writing but nearer 0 than a double holds (1e-400, not
 * silently 0). */
static int parse_number(const char *s, double *v, int *decimals)
{
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    int intd = 0, fracd = 0;
    while (isdigit((unsigned char)*p)) { p++; intd++; }
    if (*p == '.') { p++; while (isdigit((unsigned char)*p)) { p++; fracd++; } }
    int exp = 0;
    if (intd + fracd > 0 && (*p == 'e' || *p == 'E')) {
        p++;
        int sign = 1, expd = 0;
        if (*p == '+' || *p == '-') { if (*p == '-') sign = -1; p++; }
        while (isdigit((unsigned char)*p)) { if (exp < 10000) exp = exp * 10 + (*p - '0'); p++; expd++; }
        if (!expd) return -1;
        exp *= sign;
    }
    if (*p != '\0' || intd + fracd == 0) {
        const char *q = s + (*s == '+' || *s == '-');
        if (!strncmp(q, "nan", 3) || !strncmp(q, "NaN", 3) || !strncmp(q, "NAN", 3) ||
            !strncmp(q, "inf", 3) || !strncmp(q, "Inf", 3) || !strncmp(q, "INF", 3))
            return -2;
        return -1;
    }
    errno = 0;
    double x = strtod(s, NULL);
    if (!isfinite(x)) return -2;
    if (errno == ERANGE && fabs(x) < 1.0) return -3;
    *v = x;
    if (decimals) { int d = fracd - exp; *decimals = d > 0 ? d : 0; }
    return 0;
}

void lp_number_hint(const char *tok, int whole, char *buf, size_t size)
{
    buf[0] = '\0';
    if (lesson_key_find(tok)) {
        snprintf(buf, size, "; '%s' is a key: each key starts a line of its own", tok);
        return;
    }
    /* ~0.5 or ≈0.5, as a lecture prints a rounded value: the number is
     * meant, and a value is read to its last digit already */
    static const char *const ABOUT[] = {"~", "\xE2\x89\x88"};
    for (size_t a = 0; a < sizeof ABOUT / sizeof *ABOUT; a++) {
        size_t al = strlen(ABOUT[a]);
        double x;
        if (!strncmp(tok, ABOUT[a], al) && !parse_number(tok + al, &x, NULL)) {
            snprintf(buf, size, "; did you mean %s? (a value is read to its last digit: no '%s' needed)",
                     tok + al, ABOUT[a]);
            return;
        }
    }
    /* a whole number with its thousands grouped (002's 10,000 steps;
     * 10'000, 10_000): the digits run together, not a decimal comma's 10.0 */
    if (whole && isdigit((unsigned char)tok[0])) {
        char digits[32];
        size_t d = 0, run = 0, groups = 0;
        int ok = 1;
        for (const char *c = tok; *c && ok; c++) {
            if (isdigit((unsigned char)*c)) { if (d + 1 < sizeof digits) digits[d++] = *c; run++; continue; }
            ok = strchr(",'_", *c) && run >= 1 && (groups ? run == 3 : run <= 3) && c[1];
            groups++;
            run = 0;
        }
        if (ok && groups && run == 3 && d + 1 < sizeof digits) {
            digits[d] = '\0';
            snprintf(buf, size, "; did you mean %s?", digits);
            return;
        }
    }
    /* A number as an answer sheet may write it (judge_parse_number: a
     * decimal comma, the Unicode minus, a fraction, a percentage) is one
     * the author meant: say it the lesson's way. */
    size_t n = strlen(tok);
    int pct = n > 1 && tok[n - 1] == '%';
    double v;
    int dec;
    if (judge_parse_number(tok, pct ? n - 1 : n, &v, &dec) != JNUM_OK) return;
    if (pct) { v /= 100.0; dec += 2; }
    if (whole) {
        if (v == floor(v) && fabs(v) < 1e15) snprintf(buf, size, "; did you mean %.0f?", v);
    } else if (dec >= JUDGE_EXACT_DECIMALS) snprintf(buf, size, "; did you mean %.15g?", v);
    else snprintf(buf, size, "; did you mean %.*f?", dec, v);
}

static int number_or_fail(perr *pe, int line, const char *tok, double *v, int *dec)
{
    int rc = parse_number(tok, v, dec);
    if (rc == -2) return lp_fail(pe, line, "'%s' is not a finite number", tok);
    if (rc == -3) return lp_fail(pe, line, "'%s' is nearer 0 than a number can be; write 0 if you mean 0", tok);
    if (rc) {
        char hint[160];
        lp_number_hint(tok, 0, hint, sizeof hint);
        return lp_fail(pe, line, "'%s' is not a number%s", tok, hint);
    }
    return 0;
}

/* The row's word-count message, also used where a bad value gets the same. */
static int bad_args(lesson_keyline *k)
{
    if (k->def->arity_error) return lp_fail(k->pe, k->line, "%s", k->def->arity_error);
    return lp_fail(k->pe, k->line, "expected '%s'", k->def->usage);
}

static int oom(lesson_keyline *k)
{
    return lp_fail(k->pe, k->line, "out of memory");
}

static int copy_name(perr *pe, int line, char *dst, size_t size, const char *src)
{
    if (strlen(src) >= size) return lp_fail(pe, line, "name '%.40s...' is too long", src);
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

/* "NAME = VALUE" (weight, expect, points), the '=' a word of its own:
 * afterwards toks[1] is the name and toks[2] the value. There is one way
 * to write it; a line that means it another way (`weight w_1,3 0.5`, the
 * '=' left out; `w_1,3=0.5`, `w_1,3= 0.5`, `w_1,3 =0.5`, run into a word;
 * `w_1,3 : 0.5`, another sign) gets that way as a "did you mean". */
static int drop_equals(lesson_keyline *k)
{
    if (k->nt == 4 && !strcmp(k->toks[2], "=")) { k->toks[2] = k->toks[3]; k->nt = 3; return 0; }
    static const char *const NOT_EQUALS[] = {":", "==", ":=", "<-", "~", "~=", "\xE2\x89\x88", "\xE2\x89\x83",
                                             ">=", "<=", "\xE2\x89\xA5", "\xE2\x89\xA4"};
    for (size_t c = 0; k->nt == 4 && c < sizeof NOT_EQUALS / sizeof *NOT_EQUALS; c++)
        if (!strcmp(k->toks[2], NOT_EQUALS[c]))
            return lp_fail(k->pe, k->line, "expected '%s', with '=' (not '%s'); did you mean '%s %s = %s'?",
                           k->def->usage, k->toks[2], k->def->key, k->toks[1], k->toks[3]);
    if (k->nt != 2 && k->nt != 3) return bad_args(k);
    char joined[256];
    int n = snprintf(joined, sizeof joined, "%s%s", k->toks[1], k->nt == 3 ? k->toks[2] : "");
    if (n < 0 || (size_t)n >= sizeof joined) return bad_args(k);
    const char *eq = strchr(joined, '=');
    const char *name = joined, *value;
    int name_len;
    if (eq) {                                   /* one '=' inside: run into a word */
        if (eq == joined || !eq[1] || strchr(eq + 1, '=')) return bad_args(k);
        name_len = (int)(eq - joined);
        value = eq + 1;
    } else {                                    /* two words: the '=' left out */
        if (k->nt != 3) return bad_args(k);
        name = k->toks[1];
        name_len = (int)strlen(name);
        value = k->toks[2];
    }
    return lp_fail(k->pe, k->line, "expected '%s'%s; did you mean '%s %.*s = %s'?", k->def->usage,
                   eq ? ", the '=' a word of its own" : "", k->def->key, name_len, name, value);
}

/* The index of toks[1] in a NULL-terminated list of choices, or bad_args
 * with the nearest choices as a "did you mean". */
/* bad_args for a misspelt word, with the nearest of cands[0..n) as a
 * "did you mean" when there is one. */
static int bad_word(lesson_keyline *k, const char *word, const char *const *cands, size_t n)
{
    char near[128];
    if (!suggest(word, cands, n, near, sizeof near)) return bad_args(k);
    return lp_fail(k->pe, k->line, "%s; did you mean %s?",
                   k->def->arity_error ? k->def->arity_error : k->def->usage, near);
}

static int choice(lesson_keyline *k, const char *const *choices, int *out)
{
    size_t n = 0;
    for (; choices[n]; n++)
        if (!strcmp(k->toks[1], choices[n])) { *out = (int)n; return 0; }
    return bad_word(k, k->toks[1], choices, n);
}

static int whole(lesson_keyline *k, int tok, long lo, long hi, long *v)
{
    return lp_int_or_fail(k->pe, k->line, k->toks[tok], lo, hi, v);
}

static int seed_of(lesson_keyline *k, int tok, unsigned long long *seed)
{
    long v;
    if (whole(k, tok, 0, 2147483647L, &v)) return -1;
    *seed = (unsigned long long)v;
    return 0;
}

static int int_list(lesson_keyline *k, int **out, int *n, long lo, long hi)
{
    *out = malloc((size_t)(k->nt - 1) * sizeof **out);
    if (!*out) return oom(k);
    for (int t = 1; t < k->nt; t++) {
        long v = 0;
        if (whole(k, t, lo, hi, &v)) return -1;
        (*out)[t - 1] = (int)v;
    }
    *n = k->nt - 1;
    return 0;
}

/* Append one raw name line (weight, alias, label, freeze, nobias). */
static int push_raw(lesson_keyline *k, raw **arr, int *n, int *cap, const raw *r)
{
    return lp_push((void **)arr, n, cap, r, sizeof *r) ? oom(k) : 0;
}

/* ------------------------------------------------------------------------
 * Parse functions, one per key (in table order)
 * ---------------------------------------------------------------------- */

static int key_title(lesson_keyline *k)
{
    return (k->l->title = lp_strdup(k->rest)) ? 0 : oom(k);
}

static int key_source(lesson_keyline *k)
{
    return (k->l->source = lp_strdup(k->rest)) ? 0 : oom(k);
}

static int key_note(lesson_keyline *k)
{
    lesson *l = k->l;
    size_t old = l->notes ? strlen(l->notes) : 0;
    if (!k->rest || (!*k->rest && !old)) return 0;     /* a paragraph break before any text */
    char *n = realloc(l->notes, old + strlen(k->rest) + 2);
    if (!n) return oom(k);
    if (old) n[old++] = '\n';
    memcpy(n + old, k->rest, strlen(k->rest) + 1);
    l->notes = n;
    return 0;
}

static int key_input(lesson_keyline *k)
{
    pass1 *p = k->p;
    p->in_toks = calloc((size_t)k->nt, sizeof *p->in_toks);
    if (!p->in_toks) return oom(k);
    for (int t = 1; t < k->nt; t++)
        if (!(p->in_toks[p->n_in_toks++] = lp_strdup(k->toks[t]))) return oom(k);
    p->in_line = k->line;
    return 0;
}

static int key_layer(lesson_keyline *k)
{
    pass1 *p = k->p;
    if (k->nt < 3) return lp_fail(k->pe, k->line, "layer with no neurons");
    if (p->n_layers >= LESSON_MAX_LAYERS)
        return lp_fail(k->pe, k->line, "more than %d layers", LESSON_MAX_LAYERS);
    act_fn act;
    char known[256], near[128];
    if (act_parse(k->toks[1], &act)) {
        char why[256];
        if (act_param_problem(k->toks[1], why, sizeof why))
            return lp_fail(k->pe, k->line, "activation '%s': %s", k->toks[1], why);
        if (isdigit((unsigned char)k->toks[1][0])) {     /* a neuron id where the activation goes */
            act_fn last;
            if (!act_parse(k->toks[k->nt - 1], &last)) {
                char ids[160] = "";
                size_t n = 0;
                for (int t = 1; t < k->nt - 1; t++) {      /* room kept for " ..." */
                    if (strlen(k->toks[t]) + 1 + 5 > sizeof ids - n) { memcpy(ids + n, " ...", 5); break; }
                    n += (size_t)snprintf(ids + n, sizeof ids - n, " %s", k->toks[t]);
                }
                return lp_fail(k->pe, k->line, "a layer line names its activation first: did you mean "
                               "'layer %s%s'?", k->toks[k->nt - 1], ids);
            }
            return lp_fail(k->pe, k->line, "'%s' is not an activation: a layer line is 'layer ACT ID...', "
                           "the activation first", k->toks[1]);
        }
        act_known(known, sizeof known);
        int n = act_suggest(k->toks[1], near, sizeof near);
        return lp_fail(k->pe, k->line, "unknown activation '%s' (known: %s)%s%s%s", k->toks[1], known,
                       n ? "; did you mean " : "", near, n ? "?" : "");
    }
    layer_line ly = {.line = k->line, .act = act, .first = p->n_lneurons, .count = k->nt - 2};
    if (lp_push((void **)&p->layers, &p->n_layers, &p->c_layers, &ly, sizeof ly)) return oom(k);
    for (int t = 2; t < k->nt; t++) {
        long v = 0;
        if (lp_id_or_fail(k->pe, k->line, k->toks[t], 1, &v)) return -1;
        int32_t id = (int32_t)v;
        if (lp_push((void **)&p->lneurons, &p->n_lneurons, &p->c_lneurons, &id, sizeof id) ||
            lp_push((void **)&p->neuron_line, &p->n_nl, &p->c_nl, &k->line, sizeof k->line))
            return oom(k);
    }
    return 0;
}

static int is_identifier(const char *nm)
{
    if (!isalpha((unsigned char)nm[0])) return 0;
    for (const char *c = nm; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_') return 0;
    return 1;
}

/* A new name (a label, an alias, a tie) must be an identifier in ASCII; a
 * Greek letter or a subscript gets the spelling names are read in (α1 ->
 * alpha1, h₁ -> h_1) as a "did you mean". It must not be shaped like a
 * quantity's name (names_given_problem: in_3, a_0, x_1, J). */
static int identifier(lesson_keyline *k, const char *nm)
{
    char why[512];
    if (is_identifier(nm)) {
        if (!names_given_problem(nm, k->def->key, why, sizeof why)) return 0;
        return lp_fail(k->pe, k->line, "%s", why);
    }
    for (const char *c = nm; *c; c++)
        if ((unsigned char)*c >= 0x80) {
            char ascii[LESSON_NAME_MAX];
            int near = !names_ascii_spelling(nm, ascii, sizeof ascii) && is_identifier(ascii);
            return lp_fail(k->pe, k->line, "name '%s' must be ASCII: letters a-z and A-Z, digits and '_'%s%s%s",
                           nm, near ? "; did you mean " : "", near ? ascii : "", near ? "?" : "");
        }
    if (!isalpha((unsigned char)nm[0]))
        return lp_fail(k->pe, k->line, "name '%s' must start with a letter", nm);
    return lp_fail(k->pe, k->line, "name '%s' may hold only letters, digits and '_'", nm);
}

/* label NEURON NAME and alias NAME w_i,j: the new name is word new_name. */
static int name_pair(lesson_keyline *k, raw *r, int new_name)
{
    r->line = k->line;
    if (copy_name(k->pe, k->line, r->a, LESSON_NAME_MAX, k->toks[1]) ||
        copy_name(k->pe, k->line, r->b, LESSON_NAME_MAX, k->toks[2])) return -1;
    return identifier(k, new_name == 1 ? r->a : r->b);
}

/* Is s a whole number's digits? */
static int all_digits(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s);
}

static int key_label(lesson_keyline *k)
{
    raw r = {0};
    if (all_digits(k->toks[2]) && is_identifier(k->toks[1]))      /* label h1 3 */
        return lp_fail(k->pe, k->line, "expected 'label NEURON NAME', the neuron first; did you mean 'label %s %s'?",
                       k->toks[2], k->toks[1]);
    if (name_pair(k, &r, 2)) return -1;
    return push_raw(k, &k->p->labels, &k->p->n_labels, &k->p->c_labels, &r);
}

static int key_weight(lesson_keyline *k)
{
    raw r = {.line = k->line, .has_v = 1};
    if (drop_equals(k)) return -1;
    if (copy_name(k->pe, k->line, r.a, sizeof r.a, k->toks[1]) ||
        number_or_fail(k->pe, k->line, k->toks[2], &r.v, NULL)) return -1;
    if (k->p->n_weights >= LESSON_MAX_ARCS)
        return lp_fail(k->pe, k->line, "more than %d weights", LESSON_MAX_ARCS);
    return push_raw(k, &k->p->weights, &k->p->n_weights, &k->p->c_weights, &r);
}

static int key_alias(lesson_keyline *k)
{
    raw r = {0};
    if (!strncmp(k->toks[1], "w_", 2) && strchr(k->toks[1], ',') && is_identifier(k->toks[2]))   /* alias w_1,3 w5 */
        return lp_fail(k->pe, k->line, "expected 'alias NAME w_i,j', the new name first; did you mean "
                       "'alias %s %s'?", k->toks[2], k->toks[1]);
    if (name_pair(k, &r, 1)) return -1;
    return push_raw(k, &k->p->aliases, &k->p->n_aliases, &k->p->c_aliases, &r);
}

/* tie NAME = W1 W2 ...: one raw line per weight (a = NAME, b = the weight);
 * pass 2 resolves them (lesson_net.c). */
static int key_tie(lesson_keyline *k)
{
    if (strcmp(k->toks[2], "=")) return bad_args(k);
    if (k->nt == 4)
        return lp_fail(k->pe, k->line, "tie '%s' names one weight (%s); a tie makes two or more weights "
                       "one parameter: list the others, or use 'alias %s %s' to name one weight",
                       k->toks[1], k->toks[3], k->toks[1], k->toks[3]);
    raw r = {.line = k->line};
    if (copy_name(k->pe, k->line, r.a, LESSON_NAME_MAX, k->toks[1]) || identifier(k, r.a)) return -1;
    for (int t = 3; t < k->nt; t++) {
        if (!strcmp(k->toks[t], r.a))
            return lp_fail(k->pe, k->line, "tie '%s' lists its own name; list the weights it ties", r.a);
        if (copy_name(k->pe, k->line, r.b, sizeof r.b, k->toks[t]) ||
            push_raw(k, &k->p->ties, &k->p->n_ties, &k->p->c_ties, &r))
            return -1;
    }
    return 0;
}

static int key_arcs(lesson_keyline *k)
{
    static const char *const ARCS[] = {"full", "listed", NULL};
    return choice(k, ARCS, &k->p->arcs_listed);
}

/* freeze NAME... and nobias ID...: one raw line per name. */
static int name_list(lesson_keyline *k, raw **arr, int *n, int *cap)
{
    for (int t = 1; t < k->nt; t++) {
        raw f = {.line = k->line};
        if (copy_name(k->pe, k->line, f.a, sizeof f.a, k->toks[t]) || push_raw(k, arr, n, cap, &f))
            return -1;
    }
    return 0;
}

static int key_nobias(lesson_keyline *k)
{
    return name_list(k, &k->p->nobias, &k->p->n_nobias, &k->p->c_nobias);
}

static int key_freeze(lesson_keyline *k)
{
    return name_list(k, &k->p->freezes, &k->p->n_freezes, &k->p->c_freezes);
}

/* The initialisations `init KIND SEED` and `init-layer L KIND SEED` name,
 * in the order of init_kind after INIT_UNIFORM. */
static const char *const INIT_KINDS[] = {"xavier", "he", "xavier-normal", NULL};
static const init_kind INIT_KIND_OF[] = {INIT_XAVIER, INIT_HE, INIT_XAVIER_NORMAL};
_Static_assert(sizeof INIT_KINDS / sizeof INIT_KINDS[0] == sizeof INIT_KIND_OF / sizeof INIT_KIND_OF[0] + 1,
               "one init_kind per initialisation name");

static init_kind init_kind_of(const char *s)
{
    for (int c = 0; INIT_KINDS[c]; c++) if (!strcmp(s, INIT_KINDS[c])) return INIT_KIND_OF[c];
    return INIT_NONE;
}

static int key_init(lesson_keyline *k)
{
    pass1 *p = k->p;
    p->init_line = k->line;
    if (k->nt == 5 && !strcmp(k->toks[1], "uniform")) {
        p->init = INIT_UNIFORM;
        if (number_or_fail(k->pe, k->line, k->toks[2], &p->init_lo, NULL) ||
            number_or_fail(k->pe, k->line, k->toks[3], &p->init_hi, NULL) ||
            seed_of(k, 4, &p->seed)) return -1;
        if (p->init_lo >= p->init_hi) return lp_fail(k->pe, k->line, "init uniform needs LOW < HIGH");
        return 0;
    }
    if (k->nt != 3 || (p->init = init_kind_of(k->toks[1])) == INIT_NONE) {
        static const char *const ALL[] = {"uniform", "xavier", "he", "xavier-normal"};
        if (isalpha((unsigned char)k->toks[1][0]) && strcmp(k->toks[1], "uniform"))
            return bad_word(k, k->toks[1], ALL, sizeof ALL / sizeof *ALL);
        return bad_args(k);
    }
    return seed_of(k, 2, &p->seed);
}

static int key_init_layer(lesson_keyline *k)
{
    pass1 *p = k->p;
    long layer;
    init_layer_line li = {.line = k->line};
    if (whole(k, 1, 1, LESSON_MAX_LAYERS, &layer) || seed_of(k, 3, &li.seed)) return -1;
    li.layer = (int)layer;
    if ((li.kind = init_kind_of(k->toks[2])) == INIT_NONE) {
        char near[96];
        int n = suggest(k->toks[2], INIT_KINDS, sizeof INIT_KINDS / sizeof *INIT_KINDS - 1, near, sizeof near);
        return lp_fail(k->pe, k->line, "unknown initialisation '%s' (known: xavier, xavier-normal, he)%s%s%s",
                       k->toks[2], n ? "; did you mean " : "", n ? near : "", n ? "?" : "");
    }
    for (int m = 0; m < p->n_linit; m++)
        if (p->linit[m].layer == li.layer)
            return lp_fail(k->pe, k->line, "layer %d already has an 'init-layer' (line %d)",
                           li.layer, p->linit[m].line);
    return lp_push((void **)&p->linit, &p->n_linit, &p->c_linit, &li, sizeof li) ? oom(k) : 0;
}

static int key_loss(lesson_keyline *k)
{
    char known[128], near[128];
    if (loss_parse(k->toks[1], &k->l->loss)) {
        loss_known(known, sizeof known);
        int n = loss_suggest(k->toks[1], near, sizeof near);
        return lp_fail(k->pe, k->line, "unknown loss '%s' (known: %s)%s%s%s", k->toks[1], known,
                       n ? "; did you mean " : "", near, n ? "?" : "");
    }
    k->l->has_loss = 1;
    return 0;
}

/* rate A and decay L: one number, not negative. */
static int non_negative(lesson_keyline *k, double *out)
{
    double d;
    if (number_or_fail(k->pe, k->line, k->toks[1], &d, NULL)) return -1;
    if (d < 0) return lp_fail(k->pe, k->line, "'%s' must not be negative", k->def->key);
    *out = d;
    return 0;
}

static int key_rate(lesson_keyline *k) { return non_negative(k, &k->l->rate); }
static int key_decay(lesson_keyline *k) { return non_negative(k, &k->l->decay); }

/* One whole number in [lo, hi] into *out. */
static int one_int(lesson_keyline *k, long lo, long hi, int *out)
{
    long v;
    if (whole(k, 1, lo, hi, &v)) return -1;
    *out = (int)v;
    return 0;
}

static int key_batch(lesson_keyline *k) { return one_int(k, 1, LESSON_MAX_EXAMPLES, &k->l->batch); }
static int key_steps(lesson_keyline *k) { return one_int(k, 0, LESSON_MAX_STEPS, &k->l->steps); }
static int key_epochs(lesson_keyline *k) { return one_int(k, 1, 100000, &k->l->epochs); }
static int key_digits(lesson_keyline *k) { return one_int(k, 0, 12, &k->l->digits); }
static int key_round(lesson_keyline *k) { return one_int(k, 0, 12, &k->l->round); }
static int key_answer_decimals(lesson_keyline *k) { return one_int(k, 0, 12, &k->l->answer_digits); }

static int key_rule(lesson_keyline *k)
{
    static const char *const RULES[] = {[RULE_BACKPROP] = "backprop", [RULE_PERCEPTRON] = "perceptron", NULL};
    return choice(k, RULES, &k->l->rule);
}

static int key_trace(lesson_keyline *k)
{
    lesson *l = k->l;
    if (k->nt == 2 && !strcmp(k->toks[1], "all")) { l->trace_all = 1; return 0; }
    if (k->nt == 2 && !strcmp(k->toks[1], "none"))
        return (l->trace_steps = malloc(sizeof *l->trace_steps)) ? 0 : oom(k);
    static const char *const WORDS[] = {"all", "none"};
    char near[32];
    if (k->nt == 2 && isalpha((unsigned char)k->toks[1][0]) && suggest(k->toks[1], WORDS, 2, near, sizeof near))
        return lp_fail(k->pe, k->line, "'trace' takes all, none or step numbers; did you mean %s?", near);
    return int_list(k, &l->trace_steps, &l->n_trace_steps, 1, LESSON_MAX_STEPS);
}

static int key_report(lesson_keyline *k)
{
    return int_list(k, &k->l->report_steps, &k->l->n_report_steps, 1, LESSON_MAX_STEPS);
}

static int key_final_forward(lesson_keyline *k)
{
    static const char *const NO_YES[] = {"no", "yes", NULL};
    return choice(k, NO_YES, &k->l->final_forward);
}

static int key_chain(lesson_keyline *k)
{
    static const char *const NO_YES[] = {"no", "yes", NULL};
    return choice(k, NO_YES, &k->l->chain);
}

static int key_update(lesson_keyline *k)
{
    static const char *const YES_NO[] = {"yes", "no", NULL};
    return choice(k, YES_NO, &k->l->no_update);
}

/* A word of an example line that is meant as its arrow but is not the
 * word '->': another arrow ('=>', '-->', '>', the Unicode arrows U+2192, U+21D2, U+27F6), or '->'
 * run into a number ('->1', '0.5->'). */
static int arrow_like(const char *w)
{
    static const char *const ARROWS[] = {"=>", "-->", ">", "\xE2\x86\x92" /* U+2192 */,
                                         "\xE2\x87\x92" /* U+21D2 */, "\xE2\x9F\xB6" /* U+27F6 */};
    for (size_t a = 0; a < sizeof ARROWS / sizeof *ARROWS; a++)
        if (!strcmp(w, ARROWS[a])) return 1;
    size_t n = strlen(w);
    return strstr(w, "->") != NULL || (n >= 3 && !strcmp(w + n - 3, "\xE2\x86\x92")) ||
           !strncmp(w, "\xE2\x86\x92", 3);
}

/* An example in the lecture's vector notation, (0.4, 0.5) or [0.05 0.05
 * 0.9]: when every value then reads as a number, the line written with
 * blanks as a "did you mean". Returns -1 through lp_fail, or 0 for none. */
static int example_vector_hint(lesson_keyline *k)
{
    int vec = 0;
    for (int t = 1; t < k->nt; t++) {
        size_t len = strlen(k->toks[t]);
        if (strpbrk(k->toks[t], "()[]") || (len > 1 && k->toks[t][len - 1] == ',')) vec = 1;
    }
    if (!vec) return 0;
    char out[512] = "example", word[128];
    size_t n = strlen(out);
    for (int t = 1; t < k->nt; t++) {
        const char *s = k->toks[t];
        while (*s) {
            size_t w = 0;
            while (*s && strchr("()[],", *s)) s++;
            while (*s && !strchr("()[],", *s) && w + 1 < sizeof word) word[w++] = *s++;
            word[w] = '\0';
            if (!w) continue;
            double d;
            if (strcmp(word, "->") && strcmp(word, "class") && parse_number(word, &d, NULL)) return 0;
            if (n + w + 2 > sizeof out) return 0;
            out[n++] = ' ';
            memcpy(out + n, word, w + 1);
            n += w;
        }
    }
    return lp_fail(k->pe, k->line, "an example lists its values separated by blanks, without the lecture's "
                   "brackets and commas; did you mean '%s'?", out);
}

static int key_example(lesson_keyline *k)
{
    pass1 *p = k->p;
    int line = k->line;
    if (example_vector_hint(k)) return -1;
    if (p->n_exl >= LESSON_MAX_EXAMPLES)
        return lp_fail(k->pe, line, "more than %d examples", LESSON_MAX_EXAMPLES);
    int nx = 0, ny = -1;
    for (int t = 1; t < k->nt; t++) {
        if (!strcmp(k->toks[t], "->")) {
            if (ny >= 0) return lp_fail(k->pe, line, "more than one '->' in example");
            ny = 0;
            continue;
        }
        if (ny == 0 && !strcmp(k->toks[t], "class")) {   /* -> class K: a label, one-hot in pass 2 */
            long c;
            if (t + 2 != k->nt)
                return lp_fail(k->pe, line, "'-> class' takes one class number (example X... -> class K)");
            if (lp_int_or_fail(k->pe, line, k->toks[t + 1], 0, LESSON_MAX_ID, &c)) return -1;
            ny = LESSON_CLASS_TARGET(c);
            break;
        }
        double d;
        if (arrow_like(k->toks[t]) && parse_number(k->toks[t], &d, NULL))
            return lp_fail(k->pe, line, "'%s' is not a number; the targets follow the word '->', "
                           "blanks either side (example X... -> Y...)", k->toks[t]);
        if (number_or_fail(k->pe, line, k->toks[t], &d, NULL)) return -1;
        if (lp_push((void **)&p->ex, &p->n_ex, &p->c_ex, &d, sizeof d)) return oom(k);
        if (ny >= 0) ny++; else nx++;
    }
    if (nx == 0) return lp_fail(k->pe, line, "example has no input values");
    if (lp_push((void **)&p->ex_line, &p->n_exl, &p->c_exl, &line, sizeof line) ||
        lp_push((void **)&p->ex_nx, &p->n_exn, &p->c_exn, &nx, sizeof nx) ||
        lp_push((void **)&p->ex_ny, &p->n_exn2, &p->c_exn2, &ny, sizeof ny))
        return oom(k);
    return 0;
}

static int key_expect(lesson_keyline *k)
{
    lesson *l = k->l;
    lesson_expect e = {.line = k->line};
    double d;
    if (drop_equals(k)) return -1;
    if (copy_name(k->pe, k->line, e.name, sizeof e.name, k->toks[1])) return -1;
    const char *v = k->toks[2];
    if (isalpha((unsigned char)v[0]) && parse_number(v, &d, NULL) == -1) {
        if (copy_name(k->pe, k->line, e.same, sizeof e.same, v)) return -1;   /* a fact: A equals B */
    } else if (number_or_fail(k->pe, k->line, v, &e.value, &e.decimals)) {
        return -1;
    }
    lesson_expect *ne = realloc(l->expects, (size_t)(l->n_expects + 1) * sizeof *ne);  /* few */
    if (!ne) return oom(k);
    l->expects = ne;
    l->expects[l->n_expects++] = e;
    return 0;
}

static int key_notation(lesson_keyline *k)
{
    return choice(k, LESSON_NOTATIONS, &k->l->notation);
}

static int key_dropout(lesson_keyline *k)
{
    lesson *l = k->l;
    long layer;
    double d;
    if (whole(k, 1, 1, LESSON_MAX_LAYERS, &layer) ||
        number_or_fail(k->pe, k->line, k->toks[2], &d, NULL) ||
        seed_of(k, 3, &l->dropout_seed)) return -1;
    if (!(d >= 0 && d < 1))
        return lp_fail(k->pe, k->line, "dropout probability must be at least 0 and below 1");
    l->dropout_layer = (int)layer;
    l->dropout_p = d;
    return 0;
}

static int key_batchnorm(lesson_keyline *k)
{
    lesson *l = k->l;
    long layer;
    if (whole(k, 1, 1, LESSON_MAX_LAYERS, &layer) ||
        number_or_fail(k->pe, k->line, k->toks[2], &l->bn_gamma, NULL) ||
        number_or_fail(k->pe, k->line, k->toks[3], &l->bn_beta, NULL)) return -1;
    l->bn_layer = (int)layer;
    return 0;
}

static int key_normalise(lesson_keyline *k)
{
    static const char *const NORMS[] = {"zscore", "minmax", NULL};
    int c = 0;
    if (choice(k, NORMS, &c)) return -1;
    k->l->normalise = c == 0 ? LESSON_NORM_ZSCORE : LESSON_NORM_MINMAX;
    return 0;
}

static int key_ask(lesson_keyline *k)
{
    lesson *l = k->l;
    size_t old = l->ask ? strlen(l->ask) : 0, add = 0;
    for (int t = 1; t < k->nt; t++) add += strlen(k->toks[t]) + 1;
    if (old + add > 4000) return lp_fail(k->pe, k->line, "'ask' lists are at most 4000 characters");
    char *a = realloc(l->ask, old + add + 1);
    if (!a) return oom(k);
    l->ask = a;
    int *lines = realloc(l->ask_lines, (size_t)(l->n_ask_lines + k->nt - 1) * sizeof *lines);
    if (!lines) return oom(k);
    l->ask_lines = lines;
    for (int t = 1; t < k->nt; t++) lines[l->n_ask_lines++] = k->line;
    for (int t = 1; t < k->nt; t++) {
        if (old) a[old++] = ' ';
        memcpy(a + old, k->toks[t], strlen(k->toks[t]));
        old += strlen(k->toks[t]);
    }
    a[old] = '\0';
    return 0;
}

static int key_points(lesson_keyline *k)
{
    lesson *l = k->l;
    lesson_points pt = {.line = k->line};
    if (drop_equals(k)) return -1;
    if (copy_name(k->pe, k->line, pt.pattern, sizeof pt.pattern, k->toks[1]) ||
        number_or_fail(k->pe, k->line, k->toks[2], &pt.points, NULL)) return -1;
    if (pt.points < 0 || pt.points > 1e6) return lp_fail(k->pe, k->line, "points must be from 0 to 1000000");
    if (l->n_points >= 10000) return lp_fail(k->pe, k->line, "more than 10000 'points' lines");
    lesson_points *np = realloc(l->points, (size_t)(l->n_points + 1) * sizeof *np);
    if (!np) return oom(k);
    l->points = np;
    l->points[l->n_points++] = pt;
    return 0;
}

static int key_ecf(lesson_keyline *k)
{
    static const char *const ECF[] = {"full", "half", "none", NULL};
    static const int ECF_OF[] = {LESSON_ECF_FULL, LESSON_ECF_HALF, LESSON_ECF_NONE};
    static const double SHARE[] = {1.0, 0.5, 0.0};
    for (int c = 0; ECF[c]; c++)
        if (!strcmp(k->toks[1], ECF[c])) { k->l->ecf = ECF_OF[c]; k->l->ecf_credit = SHARE[c]; return 0; }
    double d;
    if (parse_number(k->toks[1], &d, NULL) == 0 && d >= 0 && d <= 1) { k->l->ecf_credit = d; return 0; }
    char near[64];
    if (isalpha((unsigned char)k->toks[1][0]) && suggest(k->toks[1], ECF, 3, near, sizeof near))
        return lp_fail(k->pe, k->line, "'ecf' takes full, half, none or a share from 0 to 1, not '%s'; "
                       "did you mean %s?", k->toks[1], near);
    return lp_fail(k->pe, k->line, "'ecf' takes full, half, none or a share from 0 to 1, not '%s'", k->toks[1]);
}

static int key_tolerance(lesson_keyline *k)
{
    double abs_tol, rel_tol;
    if (grade_parse_tolerance(k->toks[1], &abs_tol, &rel_tol))
        return lp_fail(k->pe, k->line, "'tolerance' must be positive: a number (0.001) or a percentage "
                       "below 100 (1%%), not '%s'", k->toks[1]);
    k->l->tolerance = abs_tol;
    k->l->tolerance_rel = rel_tol;
    return 0;
}

static int key_sigfigs(lesson_keyline *k) { return one_int(k, 1, 15, &k->l->sigfigs); }
static int key_ecf_depth(lesson_keyline *k) { return one_int(k, 0, 1000000, &k->l->ecf_depth); }

static int key_short_credit(lesson_keyline *k)
{
    double d;
    if (parse_number(k->toks[1], &d, NULL) || d < 0 || d > 1)
        return lp_fail(k->pe, k->line, "'short-credit' takes a share from 0 to 1, not '%s'", k->toks[1]);
    k->l->short_credit = d;
    return 0;
}

static int key_feedback(lesson_keyline *k)
{
    const char *names[GRADE_FB_N + 1];
    for (int f = 0; f < GRADE_FB_N; f++) names[f] = grade_feedback_name((grade_feedback)f);
    names[GRADE_FB_N] = NULL;
    return choice(k, names, &k->l->feedback);
}

static int key_vary(lesson_keyline *k)
{
    char err[256];
    lesson_vary v;
    if (variant_parse_vary(&v, k->toks + 1, k->nt - 1, err, sizeof err))
        return lp_fail(k->pe, k->line, "%s", err);
    v.line = k->line;
    lesson_vary *grown = realloc(k->l->vary, (size_t)(k->l->n_vary + 1) * sizeof *grown);
    if (!grown) return lp_fail(k->pe, k->line, "out of memory");
    k->l->vary = grown;
    k->l->vary[k->l->n_vary++] = v;
    return 0;
}

static int key_vary_limit(lesson_keyline *k)
{
    double d;
    if (number_or_fail(k->pe, k->line, k->toks[1], &d, NULL)) return -1;
    if (!(d > 0)) return lp_fail(k->pe, k->line, "'vary-limit' must be positive");
    k->l->vary_limit = d;
    return 0;
}

/* ------------------------------------------------------------------------
 * The table. One row per key; see the file header for adding one.
 * ---------------------------------------------------------------------- */

#define ANY KEY_ARGS_ANY

const lesson_keydef LESSON_KEYS[] = {
    [KEY_TITLE] = {.key = "title", .once = 1, .free_text = 1, .min_args = 1, .max_args = ANY, .parse = key_title,
        .usage = "title TEXT", .help = "what the lesson shows (required)",
        .arity_error = "'title' needs text"},
    [KEY_SOURCE] = {.key = "source", .once = 1, .free_text = 1, .min_args = 1, .max_args = ANY, .parse = key_source,
        .usage = "source TEXT", .help = "where it comes from: the lecture and slide",
        .arity_error = "'source' needs text"},
    [KEY_NOTE] = {.key = "note", .once = 0, .free_text = 1, .min_args = 0, .max_args = ANY, .parse = key_note,
        .usage = "note TEXT", .help = "free text shown by `list` and the views; repeatable; the lines "
                                      "make paragraphs, and a `note` line with no text starts a new one"},
    [KEY_INPUT] = {.key = "input", .once = 1, .min_args = 1, .max_args = ANY, .parse = key_input,
        .usage = "input ID...", .help = "input neurons, in example order (ids 1..9999; 0 is the bias; required)",
        .arity_error = "'input' needs at least one neuron"},
    [KEY_LAYER] = {.key = "layer", .also = "hidden output activation", .once = 0, .min_args = 1, .max_args = ANY, .parse = key_layer,
        .usage = "layer ACT ID...",
        .help = "a processing layer, in order (the last is the output layer); ACT is an activation "
                "(`nntrace --help` lists them; softmax: output layer only, two or more neurons); prelu's slope is fixed as in lecture 002's "
                "table (not trained), so it computes what leaky-relu with that slope does",
        .arity_error = "'layer' needs an activation and its neurons"},
    [KEY_LABEL] = {.key = "label", .once = 0, .min_args = 2, .max_args = 2, .parse = key_label,
        .usage = "label NEURON NAME",
        .help = "a lecture's name for a neuron (`label 3 h1`); then `h1` works wherever an id does; "
                "not a quantity's name nor begun like one (`in_3`, `x_1`, `J`)"},
    [KEY_WEIGHT] = {.key = "weight", .also = "bias w", .once = 0, .min_args = 1, .max_args = 3, .parse = key_weight,
        .usage = "weight NAME = VALUE", .help = "a weight; NAME is `w_i,j` (ids or labels) or an alias"},
    [KEY_ALIAS] = {.key = "alias", .once = 0, .min_args = 2, .max_args = 2, .parse = key_alias,
        .usage = "alias NAME w_i,j", .help = "a lecture's name for a weight (`alias w5 w_h1,o1`)"},
    [KEY_TIE] = {.key = "tie", .once = 0, .min_args = 3, .max_args = ANY, .parse = key_tie,
        .usage = "tie NAME = W1 W2...",
        .help = "tied weights: the arcs W1 W2... (`w_i,j` or aliases) are ONE parameter NAME (lecture 002's "
                "shared bias: `tie b1 = w_0,h1 w_0,h2`): one value (`weight NAME = V`), its gradient the sum of "
                "the arcs' gradients, one update; freezing any of its names freezes it",
        .arity_error = "expected 'tie NAME = W1 W2...' (two or more weights)"},
    [KEY_ARCS] = {.key = "arcs", .once = 1, .min_args = 1, .max_args = 1, .parse = key_arcs,
        .usage = "arcs full|listed",
        .help = "full (default): every neuron of a layer feeds every neuron of the next, plus bias arcs, "
                "plus any listed skip arcs; listed: bias arcs and listed weights only",
        .arity_error = "'arcs' takes full or listed"},
    [KEY_NOBIAS] = {.key = "nobias", .once = 0, .min_args = 1, .max_args = ANY, .parse = key_nobias,
        .usage = "nobias ID...",
        .help = "no bias arc into these neurons (every processing neuron needs at least one incoming arc)",
        .arity_error = "'nobias' needs at least one name"},
    [KEY_INIT] = {.key = "init", .also = "seed random initialisation initialization", .once = 1, .min_args = 2, .max_args = 4, .parse = key_init,
        .usage = "init uniform LO HI SEED | init xavier|xavier-normal|he SEED",
        .help = "seeded weights for arcs without a `weight` line (Xavier/He draw non-bias weights, "
                "biases start at 0)",
        .arity_error = "expected 'init uniform LOW HIGH SEED', 'init xavier SEED', "
                       "'init xavier-normal SEED' or 'init he SEED'"},
    [KEY_INIT_LAYER] = {.key = "init-layer", .once = 0, .min_args = 3, .max_args = 3, .parse = key_init_layer,
        .usage = "init-layer LAYER xavier|xavier-normal|he SEED",
        .help = "a seeded initialisation for one layer (its own stream; biases 0)"},
    [KEY_FREEZE] = {.key = "freeze", .also = "fixed frozen", .once = 0, .min_args = 1, .max_args = ANY, .parse = key_freeze,
        .usage = "freeze NAME...", .help = "weights that are never updated",
        .arity_error = "'freeze' needs at least one name"},
    [KEY_LOSS] = {.key = "loss", .also = "cost error objective", .once = 1, .min_args = 1, .max_args = 1, .parse = key_loss,
        .usage = "loss KIND", .help = "KIND is a loss (`nntrace --help` lists them)"},
    [KEY_RATE] = {.key = "rate", .also = "alpha eta lr learning-rate learning_rate step-size", .once = 1, .min_args = 1, .max_args = 1, .parse = key_rate,
        .usage = "rate A", .help = "learning rate alpha",
        .arity_error = "'rate' takes one number"},
    [KEY_DECAY] = {.key = "decay", .also = "lambda weight-decay l2 regularisation regularization", .once = 1, .min_args = 1, .max_args = 1, .parse = key_decay,
        .usage = "decay L", .help = "weight decay: w <- w - alpha dJ/dw - 2 alpha lambda w",
        .arity_error = "'decay' takes one number"},
    [KEY_BATCH] = {.key = "batch", .also = "minibatch mini-batch batch-size", .once = 1, .min_args = 1, .max_args = 1, .parse = key_batch,
        .usage = "batch B", .help = "mini-batch size: dJ/dw is the mean of dJ/dw[e]",
        .arity_error = "'batch' takes one whole number"},
    [KEY_STEPS] = {.key = "steps", .also = "iterations iteration iters", .once = 1, .min_args = 1, .max_args = 1, .parse = key_steps,
        .usage = "steps N",
        .help = "training steps (default 1 with a rate, else 0); step k uses examples (k-1)B .. kB-1 cycling",
        .arity_error = "'steps' takes one whole number"},
    [KEY_RULE] = {.key = "rule", .once = 1, .min_args = 1, .max_args = 1, .parse = key_rule,
        .usage = "rule backprop|perceptron",
        .help = "perceptron: threshold units trained by w <- w + alpha (y - h) x, stopping after an "
                "epoch without mistakes (every view names a traced or reported step after that as not run)",
        .arity_error = "'rule' takes backprop or perceptron"},
    [KEY_EPOCHS] = {.key = "epochs", .once = 1, .min_args = 1, .max_args = 1, .parse = key_epochs,
        .usage = "epochs N", .help = "the epoch limit of `rule perceptron`",
        .arity_error = "'epochs' takes one whole number"},
    [KEY_TRACE] = {.key = "trace", .once = 1, .min_args = 1, .max_args = ANY, .parse = key_trace,
        .usage = "trace all|none|K...",
        .help = "which steps the trace shows (default: all when N <= 20, else the first and last; "
                "`all` traces every step however many); the others are run, not shown",
        .arity_error = "'trace' needs at least one value"},
    [KEY_REPORT] = {.key = "report", .once = 1, .min_args = 1, .max_args = ANY, .parse = key_report,
        .usage = "report K...", .help = "print J at these steps (for long runs)",
        .arity_error = "'report' needs at least one value"},
    [KEY_FINAL_FORWARD] = {.key = "final-forward", .once = 1, .min_args = 1, .max_args = 1,
        .parse = key_final_forward, .usage = "final-forward yes|no",
        .help = "yes: a forward pass over every example with the final weights",
        .arity_error = "'final-forward' takes yes or no"},
    [KEY_UPDATE] = {.key = "update", .once = 1, .min_args = 1, .max_args = 1,
        .parse = key_update, .usage = "update yes|no",
        .help = "no: a backward-only lesson: each step is forward, loss, backward and gradients, and "
                "the weights are not updated (no 'rate' needed; steps default to 1)",
        .arity_error = "'update' takes yes or no"},
    [KEY_EXAMPLE] = {.key = "example", .also = "x target targets data sample", .once = 0, .min_args = 0, .max_args = ANY, .parse = key_example,
        .usage = "example X... [-> Y... | -> class K]",
        .help = "one example: x values, then the targets (optional when steps 0); `-> class K` is the "
                "one-hot target of class K (1..n, one output neuron per class; 0 or 1 for one output)"},
    [KEY_DIGITS] = {.key = "digits", .also = "decimals precision places", .once = 1, .min_args = 1, .max_args = 1, .parse = key_digits,
        .usage = "digits N", .help = "decimals shown (default 4)",
        .arity_error = "'digits' takes one whole number"},
    [KEY_ROUND] = {.key = "round", .once = 1, .min_args = 1, .max_args = 1, .parse = key_round,
        .usage = "round N", .help = "hand rounding of every operand to N decimals (default: exact)",
        .arity_error = "'round' takes one whole number"},
    [KEY_EXPECT] = {.key = "expect", .once = 0, .min_args = 1, .max_args = 3, .parse = key_expect,
        .usage = "expect NAME = VALUE",
        .help = "a value the lecture printed, checked to half a unit of its last digit; `expect NAME = NAME` "
                "is a fact the slide argues: both print the same to `digits`. `run` names each quantity of "
                "the check as its trace does (in the lesson's notation, or `--notation`'s), with the lesson's "
                "spelling after it where that differs"},
    [KEY_NOTATION] = {.key = "notation", .once = 1, .min_args = 1, .max_args = 1, .parse = key_notation,
        .usage = "notation " NOTATION_CHOICES, .help = "the default names of the text trace",
        .arity_error = "'notation' takes one of " NOTATION_CHOICES},
    [KEY_CHAIN] = {.key = "chain", .once = 1, .min_args = 1, .max_args = 1, .parse = key_chain,
        .usage = "chain yes|no",
        .help = "yes: the backward pass shows every chain-rule factor: dJ/da_j of each neuron (a hidden "
                "one as the sum of its outputs' terms), g'(in_j), din_j/dw_ij = a_i, and Delta_j and "
                "dJ/dw_ij as their products (as `--chain`)",
        .arity_error = "'chain' takes yes or no"},
    [KEY_DROPOUT] = {.key = "dropout", .once = 1, .min_args = 3, .max_args = 3, .parse = key_dropout,
        .usage = "dropout LAYER P SEED",
        .help = "a seeded dropout mask on hidden layer LAYER with rescaling 1/(1-P)",
        .arity_error = "expected 'dropout LAYER P SEED' (P the probability of a drop)"},
    [KEY_BATCHNORM] = {.key = "batchnorm", .once = 1, .min_args = 3, .max_args = 3, .parse = key_batchnorm,
        .usage = "batchnorm LAYER GAMMA BETA",
        .help = "batch-normalised outputs of layer LAYER over the examples (forward only)"},
    [KEY_NORMALISE] = {.key = "normalise", .once = 1, .min_args = 1, .max_args = 1, .parse = key_normalise,
        .usage = "normalise zscore|minmax", .help = "traced normalisation of the inputs before the first step",
        .arity_error = "'normalise' takes zscore or minmax"},
    [KEY_ASK] = {.key = "ask", .once = 0, .min_args = 1, .max_args = ANY, .parse = key_ask,
        .usage = "ask PATTERN...", .help = "what `template`, `check` and `quiz` ask (default: everything)",
        .arity_error = "'ask' needs at least one name or pattern"},
    [KEY_POINTS] = {.key = "points", .once = 0, .min_args = 1, .max_args = 3, .parse = key_points,
        .usage = "points NAME-OR-PATTERN = NUMBER", .help = "what an answer is worth in `check` (default 1)"},
    [KEY_ECF] = {.key = "ecf", .once = 1, .min_args = 1, .max_args = 1, .parse = key_ecf,
        .usage = "ecf full|half|none|SHARE",
        .help = "credit for an answer right from a wrong earlier one (a share from 0 to 1)",
        .arity_error = "'ecf' takes full, half, none or a share from 0 to 1"},
    [KEY_TOLERANCE] = {.key = "tolerance", .once = 1, .min_args = 1, .max_args = 1, .parse = key_tolerance,
        .usage = "tolerance X|X%",
        .help = "absolute (or, with %, relative) tolerance of `check` (default: half a unit of the last decimal)",
        .arity_error = "'tolerance' takes one number"},
    [KEY_ANSWER_DECIMALS] = {.key = "answer-decimals", .once = 1, .min_args = 1, .max_args = 1,
        .parse = key_answer_decimals, .usage = "answer-decimals N",
        .help = "the decimals `quiz` and `check` ask answers to (default: `digits`)",
        .arity_error = "'answer-decimals' takes one whole number"},
    [KEY_SIGFIGS] = {.key = "sigfigs", .once = 1, .min_args = 1, .max_args = 1, .parse = key_sigfigs,
        .usage = "sigfigs N", .help = "`check` answers right to N significant figures",
        .arity_error = "'sigfigs' takes one whole number"},
    [KEY_SHORT_CREDIT] = {.key = "short-credit", .once = 1, .min_args = 1, .max_args = 1,
        .parse = key_short_credit, .usage = "short-credit SHARE",
        .help = "credit for an answer right only to fewer decimals than asked (default 0.5)",
        .arity_error = "'short-credit' takes a share from 0 to 1"},
    [KEY_ECF_DEPTH] = {.key = "ecf-depth", .once = 1, .min_args = 1, .max_args = 1, .parse = key_ecf_depth,
        .usage = "ecf-depth N", .help = "carried-forward answers more than N steps from the mistake earn nothing (0: no carried credit)",
        .arity_error = "'ecf-depth' takes one whole number"},
    [KEY_FEEDBACK] = {.key = "feedback", .once = 1, .min_args = 1, .max_args = 1, .parse = key_feedback,
        .usage = "feedback verdict|hint|full",
        .help = "what `check` tells the student (default: full; verdict for --gradescope)",
        .arity_error = "'feedback' takes verdict, hint or full"},
    [KEY_VARY] = {.key = "vary", .once = 0, .min_args = 3, .max_args = 2 + LESSON_VARY_CHOICES,
        .parse = key_vary, .usage = "vary PATTERN uniform LO HI step S | vary PATTERN choice V...",
        .help = "givens drawn per student (`template --student`, `variants`): weights, x_k, y_k or rate"},
    [KEY_VARY_LIMIT] = {.key = "vary-limit", .once = 1, .min_args = 1, .max_args = 1, .parse = key_vary_limit,
        .usage = "vary-limit X", .help = "every variant keeps |in_j| <= X (default 4 when a layer saturates)",
        .arity_error = "'vary-limit' takes one number"},
};

_Static_assert(sizeof LESSON_KEYS / sizeof LESSON_KEYS[0] == KEY_COUNT, "one LESSON_KEYS row per lesson_key");

/* ------------------------------------------------------------------------
 * Lookup and dispatch
 * ---------------------------------------------------------------------- */

const lesson_keydef *lesson_key_find(const char *key)
{
    for (int k = 0; k < KEY_COUNT; k++)
        if (LESSON_KEYS[k].key && !strcmp(LESSON_KEYS[k].key, key)) return &LESSON_KEYS[k];
    return NULL;
}

int lp_directive(lesson_keyline *k)
{
    const char *key = k->toks[0];
    const lesson_keydef *def = lesson_key_find(key);
    if (!def) {
        const char *names[KEY_COUNT];
        char near[256];
        for (int n = 0; n < KEY_COUNT; n++) names[n] = LESSON_KEYS[n].key;
        if (suggest(key, names, KEY_COUNT, near, sizeof near))
            return lp_fail(k->pe, k->line, "unknown key '%s'; did you mean %s?", key, near);
        for (int n = 0; n < KEY_COUNT; n++)            /* a lecture's word for a key: alpha, eta, lambda */
            for (const char *w = LESSON_KEYS[n].also; w && *w; w += strcspn(w, " "), w += *w == ' ') {
                size_t len = strcspn(w, " ");
                if (len == strlen(key) && !strncmp(w, key, len)) {
                    const char *h = LESSON_KEYS[n].help;        /* its first clause */
                    size_t hl = strcspn(h, ";(");
                    while (hl && h[hl - 1] == ' ') hl--;
                    return lp_fail(k->pe, k->line, "unknown key '%s'; did you mean '%s' (%.*s)?", key,
                                   LESSON_KEYS[n].usage, (int)hl, h);
                }
            }
        return lp_fail(k->pe, k->line, "unknown key '%s'", key);
    }
    k->def = def;
    int *seen = &k->p->seen[def - LESSON_KEYS];
    if (def->once && *seen)
        return lp_fail(k->pe, k->line, "duplicate '%s' (first given on line %d)", key, *seen);
    if (!*seen) *seen = k->line;
    int args = k->nt - 1;
    if (args < def->min_args || (def->max_args != KEY_ARGS_ANY && args > def->max_args))
        return bad_args(k);
    return def->parse(k);
}

/* ------------------------------------------------------------------------
 * The key table for people: `nntrace keys` and the README
 * ---------------------------------------------------------------------- */

/* s with every '|' written as '\|' (a Markdown table cell). */
static int md_cell(FILE *f, const char *s)
{
    for (; *s; s++)
        if ((*s == '|' && fputc('\\', f) == EOF) || fputc(*s, f) == EOF) return -1;
    return 0;
}

/* s word-wrapped to 78 columns, each line indented by `indent` spaces. */
static int wrapped(FILE *f, const char *s, int indent)
{
    int bad = 0;
    while (*s && !bad) {
        int width = 78 - indent, n = (int)strlen(s);
        if (n > width) {
            n = width;
            while (n > 0 && s[n] != ' ') n--;
            if (n == 0) n = width;
        }
        bad = fprintf(f, "%*s%.*s\n", indent, "", n, s) < 0;
        s += n;
        while (*s == ' ') s++;
    }
    return bad ? -1 : 0;
}

int lesson_keys_print(FILE *f, int markdown)
{
    int bad = 0;
    if (markdown) {
        bad |= fputs("| key | once | meaning |\n| --- | --- | --- |\n", f) == EOF;
        for (int k = 0; k < KEY_COUNT; k++) {
            const lesson_keydef *d = &LESSON_KEYS[k];
            bad |= fputs("| `", f) == EOF || md_cell(f, d->usage) ||
                   fprintf(f, "` | %s | ", d->once ? "once" : "") < 0 ||
                   md_cell(f, d->help) || fputs(" |\n", f) == EOF;
        }
    } else {
        bad |= fputs("Lesson keys: one per line, in any order; '#' starts a comment.\n"
                     "(once) keys may appear once; the others repeat.\n\n", f) == EOF;
        for (int k = 0; k < KEY_COUNT; k++) {
            const lesson_keydef *d = &LESSON_KEYS[k];
            bad |= fprintf(f, "  %s%s\n", d->usage, d->once ? "   (once)" : "") < 0 || wrapped(f, d->help, 6);
        }
    }
    return bad ? -1 : 0;
}
