/*
 * formula.h - the one formula renderer: an operation of the trace written
 * in a syntax.
 *
 * Syntaxes (eval.h): SYN_ASCII "w_1,3*a_1 + ...", SYN_UNICODE the same with
 * "·", SYN_XLSX a spreadsheet formula without the leading '=' (Excel
 * functions, IF, cell references), SYN_LATEX math mode ("\cdot", "\frac",
 * "e^{...}"). Each operation's row (ops.c), each activation's row
 * (act_table.c) and each loss's row (loss_table.c) says how it is written;
 * this module only knows the syntaxes. Operands come through the caller:
 * either values[] (the substituted form, numbers written in the syntax) or
 * the operand callback (a name in the current notation, or a cell reference).
 *
 * The text trace, step, quiz, the grader and the spreadsheet all render
 * through fr_render; the evaluator (eval_apply) reads the same rows.
 */
#ifndef NNTRACE_FORMULA_H
#define NNTRACE_FORMULA_H

#include <stddef.h>

#include "eval.h"
#include "text.h"

typedef enum { FR_ALPHA, FR_LAMBDA } fr_param;

typedef struct fr_ctx fr_ctx;
struct fr_ctx {
    syntax        syn;
    /* operand k (0 <= k < n): append its name or cell to out. bare is 1 when
     * the form puts it alone in parentheses already. NULL: use values. */
    void        (*operand)(strbuf *out, const fr_ctx *c, size_t k, int bare);
    const double *values;     /* operand values, when operand is NULL */
    int           digits;     /* decimals of numbers (not SYN_XLSX: exact) */
    int           symbolic;   /* operands are names: a_j = g(in_j), alpha and lambda by name */
    int           expand_g;   /* with symbolic: g(in_j) = <the activation's own form> */
    /* alpha / lambda as a cell (SYN_XLSX): append it and return 1, or
     * return 0 for the number. NULL: the number (or the symbol when symbolic). */
    int         (*param)(strbuf *out, const fr_ctx *c, fr_param p);
    void         *user;       /* the caller's context */
};

/* Append operation s over n operands (notes: the quantity's EVAL_NOTE_*,
 * which select the guarded log the evaluator used) to out. Returns 0, or -1
 * when the operation has no formula (OP_CONST) or n does not fit it. */
int fr_render(strbuf *out, const fr_ctx *c, const op_spec *s, unsigned notes, size_t n);

/* The substituted form as a live spreadsheet formula: operation s written in
 * text syntax c->syn (SYN_ASCII or SYN_UNICODE) as a formula (no leading '=')
 * whose value is that text, e.g. "0.1*1 + 0.1*0.4" from
 *     IF(ROUND(D3,9)<0,"("&ROUND(D3,9)&")",ROUND(D3,9))&"*"&...
 * Literal pieces become quoted strings joined with &; operand k becomes the
 * text expression c->operand writes (its `bare` as fr_render passes it), and
 * alpha / lambda the one c->param writes (it returns 0 for the number). The
 * same render writes into text the text the formula shows for the operand
 * values c->values[] (c->digits decimals): the cached result.
 * Bounded: a formula longer than max_len characters keeps the leading terms
 * of its sum that fit, then " + ..." and the parentheses still open
 * (e.g. "0.1*1 + 0.2*0.4 + ...)"), in both outputs; *cut is then 1.
 * Returns 0, or -1 as fr_render or when not even one term fits. */
int fr_render_text(strbuf *formula, strbuf *text, const fr_ctx *c, const op_spec *s, unsigned notes, size_t n,
                   size_t max_len, int *cut);

/* Which of the n operands of operation s its formula reads: reads[k] = 1
 * or 0 (as fr_render writes it: g'(in_3) = a_3*(1-a_3) reads a_3 only).
 * Returns 0, or -1 as fr_render. */
int fr_reads(const op_spec *s, unsigned notes, size_t n, unsigned char *reads);

/* Activation f's g (dg = 0) or g' (dg = 1) in syntax syn over the argument
 * text x (and activation text a): "1/(1+exp(-x))". For help and settings. */
void fr_act_form(strbuf *out, syntax syn, act_fn f, int dg, const char *x, const char *a, int digits);

/* A number in syntax syn: exact shortest form for SYN_XLSX, else `digits`
 * decimals as the lecture prints them; negative values parenthesised unless
 * bare. */
void fr_number(strbuf *out, syntax syn, double v, int digits, int bare);

/* A number already written (text_num, text_num_within) as fr_number
 * writes one: parenthesised when negative unless bare. */
void fr_numeral(strbuf *out, const char *num, int bare);

/* ------------------------------------------------------------------------
 * For the rows (ops.c, loss_table.c): the renderer's state and primitives.
 * ---------------------------------------------------------------------- */

typedef struct fr {
    strbuf        *out;
    const fr_ctx  *c;
    const op_spec *s;
    unsigned       notes;
    size_t         n;
    int            marked;    /* fr_render_text: operands and cell parameters between marks */
} fr;

typedef enum { FN_EXP, FN_LN, FN_SQRT, FN_MIN, FN_MAX, FN_STEP, FN_COUNT } fr_fn;

void fr_op(fr *f, size_t k);               /* operand k */
void fr_op_bare(fr *f, size_t k);          /* operand k, the form parenthesises it */
void fr_num(fr *f, double v);              /* a number written in the syntax */
void fr_lit(fr *f, const char *s);         /* text the same in every syntax */
void fr_bin(fr *f, char op);               /* '+', '-', '*', '/' with the syntax's spacing */
void fr_open(fr *f, fr_fn fn);             /* "exp(", "EXP(", "e^{" */
void fr_close(fr *f, fr_fn fn);            /* ")", ")", "}" */
void fr_frac_open(fr *f, int paren_num);   /* "(" or "" / "\frac{" */
void fr_frac_mid(fr *f, int paren_num, int paren_den);   /* ")/(" / "}{" */
void fr_frac_close(fr *f, int paren_den);  /* ")" / "}" */
void fr_param_sym(fr *f, fr_param p, double v);   /* alpha: symbol, cell or number */
void fr_ln_op(fr *f, size_t k, int one_minus);    /* ln(a) or ln(1 - a), guarded as evaluated */
/* a or 1 - a, in a workbook MAX(a,1E-12) when the evaluator clamped it
 * (EVAL_NOTE_LOG_GUARD): a log's argument, or a cross-entropy's divisor */
void fr_guarded_op(fr *f, size_t k, int one_minus);
/* An activation template (act_row.g_form / dg_form) over operand arg (and act). */
void fr_template(fr *f, const char *tpl, size_t arg, size_t act, double param);
/* The sum of products of operand pairs (k, k+1) for k = from, from+2, ... */
void fr_sumprod(fr *f, size_t from);
/* Operands from..to-1 joined by sep ("+" or ","). */
void fr_list(fr *f, size_t from, size_t to, char sep);

#endif
