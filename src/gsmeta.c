/*
 * gsmeta.c - the two fields nntrace reads from Gradescope's submission
 * metadata, by a strict recursive-descent JSON parser that records a scalar
 * only when its path is assignment.id or users[k].<field>. See gsmeta.h.
 */
#include "gsmeta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"

typedef struct {
    const char *s, *end;
    int depth, bad;
    const char *field;
    gsmeta *out;
    int user;          /* the users[] entry being parsed */
    int n_users;       /* entries of users[] seen */
    unsigned char had[GSMETA_MAX_USERS];   /* users[k] has the field */
    unsigned char got[GSMETA_MAX_USERS];   /* ... and it is not blank or null */
    int assignment_number;   /* assignment.id was a JSON number, not a string */
    char keys[256];    /* the keys of the first user without the field, for the message */
    int keys_of;       /* whose keys (-1: none yet) */
    int too_long;      /* AT_ASSIGNMENT_ID or AT_USER_FIELD: longer than gsmeta holds */
    int too_long_user;
} jp;

/* Where the value being parsed sits. */
enum { AT_OTHER, AT_TOP, AT_ASSIGNMENT, AT_ASSIGNMENT_ID, AT_USERS, AT_USER, AT_USER_FIELD };

static void ws(jp *p) { while (p->s < p->end && strchr(" \t\r\n", *p->s)) p->s++; }

static int eat(jp *p, char c)
{
    ws(p);
    if (p->s < p->end && *p->s == c) { p->s++; return 1; }
    return 0;
}

/* The character of a \uXXXX escape (p->s just after the u): an ASCII one
 * as itself, any other as DEL, which no id may hold (grade_printable); -1
 * when malformed or U+0000. */
static int unicode_escape(jp *p)
{
    long u = 0;
    if (p->end - p->s < 4) return -1;
    for (int k = 0; k < 4; k++) {
        int c = (unsigned char)*p->s++, d = c >= '0' && c <= '9' ? c - '0'
                                         : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        u = u * 16 + d;
    }
    return u == 0 ? -1 : u < 0x7f ? (int)u : 0x7f;
}

/* A string into buf: \uXXXX as its character (so "a\u0026b" is "a&b", as
 * a roster writes it), \n \t \r \b \f as a space; *whole = 0 when it
 * did not fit. */
static void str(jp *p, char *buf, size_t size, int *whole)
{
    size_t n = 0;
    *whole = 1;
    if (!eat(p, '"')) { p->bad = 1; return; }
    while (p->s < p->end && *p->s != '"') {
        char c = *p->s++;
        if ((unsigned char)c < 0x20) { p->bad = 1; return; }
        if (c == '\\') {
            if (p->s >= p->end) { p->bad = 1; return; }
            c = *p->s++;
            if (c == 'u') {
                int u = unicode_escape(p);
                if (u < 0) { p->bad = 1; return; }
                c = (char)u;
            } else if (c && strchr("ntrbf", c)) {
                c = ' ';
            } else if (!c || !strchr("\"\\/", c)) {
                p->bad = 1;
                return;
            }
        }
        if (n + 1 < size) buf[n++] = c;
        else *whole = 0;
    }
    if (!eat(p, '"')) p->bad = 1;
    if (size) buf[n] = '\0';
}

static void value(jp *p, int at);

static void object(jp *p, int at)
{
    char key[128];
    if (++p->depth > 64) { p->bad = 1; return; }
    if (eat(p, '}')) { p->depth--; return; }
    do {
        int whole;
        str(p, key, sizeof key, &whole);
        if (p->bad || !eat(p, ':')) { p->bad = 1; return; }
        int inner = AT_OTHER;
        if (at == AT_TOP && !strcmp(key, "assignment")) inner = AT_ASSIGNMENT;
        else if (at == AT_TOP && !strcmp(key, "users")) inner = AT_USERS;
        else if (at == AT_ASSIGNMENT && !strcmp(key, "id")) inner = AT_ASSIGNMENT_ID;
        else if (at == AT_USER && !strcmp(key, p->field)) inner = AT_USER_FIELD;
        if (at == AT_USER && p->keys_of == p->user) {
            size_t n = strlen(p->keys);
            snprintf(p->keys + n, sizeof p->keys - n, "%s%s", n ? ", " : "", key);
        }
        value(p, inner);
    } while (!p->bad && eat(p, ','));
    if (!p->bad && !eat(p, '}')) p->bad = 1;
    p->depth--;
}

static void array(jp *p, int at)
{
    if (++p->depth > 64) { p->bad = 1; return; }
    if (eat(p, ']')) { p->depth--; return; }
    do {
        if (at == AT_USERS) {
            if (p->n_users == GSMETA_MAX_USERS) { p->n_users++; p->bad = 1; return; }
            p->user = p->n_users++;
            ws(p);      /* the keys of users[0], or of the first user with no field, for the message */
            if (p->keys_of < 0 || (p->keys_of < p->user && p->got[p->keys_of])) {
                p->keys_of = p->user;
                p->keys[0] = '\0';
            }
        }
        value(p, at == AT_USERS ? AT_USER : AT_OTHER);
    } while (!p->bad && eat(p, ','));
    if (!p->bad && !eat(p, ']')) p->bad = 1;
    p->depth--;
}

/* A scalar's text (string contents, or a number/true/false/null as written);
 * 0 when it was longer than buf holds. */
static int scalar(jp *p, char *buf, size_t size)
{
    int whole = 1;
    ws(p);
    if (p->s < p->end && *p->s == '"') { str(p, buf, size, &whole); return whole; }
    const char *a = p->s;
    while (p->s < p->end && (strchr("+-.eE", *p->s) || (*p->s >= '0' && *p->s <= '9') ||
                             (*p->s >= 'a' && *p->s <= 'z')))
        p->s++;
    size_t n = (size_t)(p->s - a);
    if (!n) { p->bad = 1; return 0; }
    if (n >= size) { n = size - 1; whole = 0; }
    memcpy(buf, a, n);
    buf[n] = '\0';
    return whole;
}

static void value(jp *p, int at)
{
    char tmp[GSMETA_ID_MAX];
    if (eat(p, '{')) { object(p, at); return; }
    if (eat(p, '[')) { array(p, at); return; }
    if (at == AT_ASSIGNMENT_ID) {
        ws(p);
        p->assignment_number = p->s < p->end && *p->s != '"';
        if (!scalar(p, p->out->assignment, sizeof p->out->assignment)) p->too_long = at;
        return;
    }
    if (at == AT_USER_FIELD) {
        char *id = p->out->users[p->user];
        if (!scalar(p, id, sizeof p->out->users[0]) && !p->too_long) {
            p->too_long = at;
            p->too_long_user = p->user;
        }
        p->had[p->user] = 1;
        p->got[p->user] = !p->bad && strcmp(id, "null") && id[0];
        return;
    }
    (void)scalar(p, tmp, sizeof tmp);
}

/* An assignment id JSON wrote as a number is that number, however written:
 * 25828.0 and 2.5828e4 are 25828 (the id picks every student's numbers). */
static void assignment_number(char *id, size_t size)
{
    if (!id[0]) return;
    char *end;
    errno = 0;
    double v = strtod(id, &end);
    if (*end || errno || v != v || v < 0 || v > 9007199254740992.0 || v != (double)(long long)v) return;
    snprintf(id, size, "%lld", (long long)v);
}

int gsmeta_parse(const char *text, size_t len, const char *field, gsmeta *out, char *err, size_t errsize)
{
    memset(out, 0, sizeof *out);
    jp p = {.s = text, .end = text + len, .field = field, .out = out, .keys_of = -1};
    ws(&p);
    if (!eat(&p, '{')) p.bad = 1;
    else object(&p, AT_TOP);
    ws(&p);
    if (p.n_users > GSMETA_MAX_USERS) {
        snprintf(err, errsize, "more than %d users (group members)", GSMETA_MAX_USERS);
        return -1;
    }
    if (p.bad || p.s != p.end) {
        snprintf(err, errsize, "not valid JSON (near byte %ld)", (long)(p.s - text));
        return -1;
    }
    if (p.too_long == AT_ASSIGNMENT_ID) {
        snprintf(err, errsize, "assignment.id is longer than %d bytes", GSMETA_ID_MAX - 1);
        return -1;
    }
    if (p.too_long) {
        snprintf(err, errsize, "users[%d].%s is longer than %d bytes", p.too_long_user, field, GSMETA_ID_MAX - 1);
        return -1;
    }
    if (!p.n_users) {
        snprintf(err, errsize, "no users[0].%s (no users)", field);
        return -1;
    }
    for (int k = 0; k < p.n_users; k++) {
        if (!p.got[k]) {
            if (p.had[k])
                snprintf(err, errsize, "users[%d].%s is blank", k, field);
            else if (p.keys_of == k && p.keys[0])
                snprintf(err, errsize, "no users[%d].%s (users[%d] has: %s; --student-field NAME picks one)", k,
                         field, k, p.keys);
            else
                snprintf(err, errsize, "no users[%d].%s", k, field);
            return -1;
        }
        grade_id_normalise(out->users[k]);
        if (!out->users[k][0]) {
            snprintf(err, errsize, "users[%d].%s is blank", k, field);
            return -1;
        }
        if (!grade_printable(out->users[k])) {
            snprintf(err, errsize, "users[%d].%s holds a character that is not printable ASCII, which no roster or "
                     "sheet id can hold", k, field);
            return -1;
        }
        for (int m = 0; m < k; m++)
            if (!strcmp(out->users[m], out->users[k])) {
                snprintf(err, errsize, "users[%d] and users[%d] are both %s", m, k, out->users[k]);
                return -1;
            }
    }
    out->n_users = p.n_users;
    memcpy(out->student, out->users[0], sizeof out->student);
    if (!strcmp(out->assignment, "null")) out->assignment[0] = '\0';
    if (p.assignment_number) assignment_number(out->assignment, sizeof out->assignment);
    if (!grade_printable(out->assignment)) {
        snprintf(err, errsize, "assignment.id holds a character that is not printable ASCII, which no roster or "
                 "sheet id can hold");
        return -1;
    }
    return 0;
}

int gsmeta_read(const char *path, const char *field, gsmeta *out, char *err, size_t errsize)
{
    char *text = NULL, why[256];
    size_t len = 0;
    if (grade_read_file_max(path, GSMETA_MAX_BYTES, "Gradescope's submission metadata", &text, &len, why,
                            sizeof why)) {
        snprintf(err, errsize, "%s: %s", path, why);
        return -1;
    }
    char why2[256];
    int rc = gsmeta_parse(text, len, field, out, why2, sizeof why2);
    if (rc) snprintf(err, errsize, "%s: %s (Gradescope's submission metadata)", path, why2);
    free(text);
    return rc;
}
