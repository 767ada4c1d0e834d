/*
 * cmd_step.c - `nntrace step` and `nntrace quiz`: the terminal side of the
 * step-through session (step.h) and of the quiz (quiz.h).
 *
 * Input comes in one of two ways, chosen once:
 *   - stdin is a terminal: `step` reads single keys (termios, no canonical
 *     mode, no echo, no signals: Ctrl-C and Ctrl-D quit, Ctrl-Z suspends);
 *     an escape sequence (an arrow, Home, F1) is one key; `g` reads a name
 *     in the same mode, echoing it, so keys typed ahead belong to it. A
 *     prompt with the position, cut to the terminal's width, is shown on
 *     the last line and erased before output. `b`, Ctrl-L, a resize (SIGWINCH) and a resume
 *     (SIGCONT) clear the screen and redraw it (step_screen). The terminal
 *     is restored on every way out: q, end of input, an error, and the
 *     signals SIGTERM, SIGINT, SIGHUP and SIGQUIT (restored, then the
 *     signal is raised again with its default action); SIGTSTP restores it
 *     before stopping and SIGCONT sets it up again.
 *   - stdin is not a terminal (a pipe, a file): lines. An empty line is
 *     Enter; "g NAME" goes to NAME; any other line is a sequence of keys
 *     ("nnb"). No prompt is ever written, so a scripted session's output is
 *     the screen's lines and nothing else. End of input quits. A bad
 *     command is said on stderr as "stdin:LINE: why" and the exit status
 *     is then 2 (on a terminal it is only a note on the screen).
 * The quiz reads lines: on a terminal with the same line reader as `g`
 * (tty_line: Ctrl-Z suspends, and fg writes the question and the partial
 * answer again; Ctrl-C and Ctrl-D stop with the score so far), on a pipe
 * with line_in, writing each answer after its question, so the output
 * reads as the terminal session would.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "base/escape.h"
#include "cli.h"
#include "grade.h"
#include "outfile.h"
#include "quiz.h"
#include "step.h"
#include "text.h"

/* ------------------------------------------------------------------------
 * Options shared by step and quiz
 * ---------------------------------------------------------------------- */

typedef struct {
    const char *cmd, *path, *transcript;   /* cmd: "step" or "quiz" */
    strbuf ask;        /* every --ask, joined by blanks (caller frees) */
    int digits, ascii, color;
    int decimals;      /* quiz: --decimals, -1 = the lesson's answer decimals */
    double tol;        /* quiz: --tolerance, 0 = the lesson's */
    int notation;      /* --notation, -1 = the lesson's */
    engine_opts eo;
} view_opts;

/* The options of step and quiz: one enum, a table each. */
enum view_opt {
    VIEW_ASK = 1, VIEW_TRANSCRIPT, VIEW_DECIMALS, VIEW_TOLERANCE, VIEW_DIGITS, VIEW_EXACT, VIEW_ROUNDED,
    VIEW_ALL_STEPS, VIEW_CHAIN, VIEW_NOTATION, VIEW_ASCII, VIEW_UNICODE, VIEW_COLOR, VIEW_NO_COLOR,
};

/* the rows both end with */
#define VIEW_OPTS_DISPLAY \
    {.id = VIEW_ALL_STEPS, .name = "--all-steps", .help = "trace every step, whatever the lesson says"}, \
    CLI_OPT_CHAIN(VIEW_CHAIN), \
    {.id = VIEW_NOTATION, .name = "--notation", .kind = CLIOPT_NOTATION, \
     .help = "names of the lecture (default: the lesson's notation);\n" \
             "names in any notation are understood"}, \
    CLI_OPT_SYMBOLS(VIEW_ASCII, VIEW_UNICODE), \
    CLI_OPT_COLOR(VIEW_COLOR, VIEW_NO_COLOR)

static const cliopt STEP_OPTS[] = {
    CLI_OPT_DIGITS(VIEW_DIGITS),
    CLI_OPT_EXACT(VIEW_EXACT),
    CLI_OPT_ROUNDED(VIEW_ROUNDED),
    VIEW_OPTS_DISPLAY,
};

static const cliopt QUIZ_OPTS[] = {
    {.id = VIEW_ASK, .name = "--ask", .meta = "PATTERNS", .kind = CLIOPT_STRING,
     .help = "which quantities, as for `nntrace template`: names\n"
             "in any notation, lesson labels or aliases, or\n"
             "patterns with * and ? ('in_* a_*', 'delta_*',\n"
             "'out_*', 'w_*^(1)'), separated by blanks or ';'; may\n"
             "be repeated (default: every quantity with a formula)"},
    {.id = VIEW_TRANSCRIPT, .name = "--transcript", .meta = "FILE", .kind = CLIOPT_STRING,
     .help = "save the session (questions, answers, verdicts, score)"},
    {.id = VIEW_DECIMALS, .name = "--decimals", .meta = "N", .kind = CLIOPT_INT, .lo = 0, .hi = 12,
     .help = "decimals your answers are judged to: right within half\n"
             "a unit of the Nth decimal (default: the lesson's\n"
             "`answer-decimals`, else its `digits`)"},
    {.id = VIEW_TOLERANCE, .name = "--tolerance", .meta = "X", .kind = CLIOPT_POSITIVE,
     .help = "right within X instead (default: the lesson's\n"
             "`tolerance`, else half a unit as above)"},
    CLI_OPT_DIGITS(VIEW_DIGITS),
    {.id = VIEW_EXACT, .name = "--exact", .help = "arithmetic of the trace (default: the lesson's)"},
    {.id = VIEW_ROUNDED, .name = "--rounded", .meta = "N", .kind = CLIOPT_INT, .lo = 0, .hi = 12, .with_prev = 1},
    VIEW_OPTS_DISPLAY,
};

static int step_usage(FILE *f)
{
    if (fputs("usage: nntrace step LESSON [options]\n\n"
              "Show the lesson's title, source and network, then reveal its trace one\n"
              "quantity at a time in the lecture's order: the symbolic form, then the\n"
              "numbers substituted, then the value.\n\n"
              "keys: Enter/n next, b back, g NAME go to a quantity, p next pass, r restart,\n"
              "      q quit, ? help. On a terminal each key acts at once; from a pipe each\n"
              "      line holds keys as typed (\"nnb\" is n, n, b; an empty line is Enter)\n"
              "      or is \"g NAME\" (\"g in_3\" goes to in_3).\n\n"
              "options:\n", f) < 0 || cliopt_help(f, &CLI_STEP))
        return -1;
    return fputs("\nexit status: 0 done, 2 bad usage, a bad lesson, or a bad command from a pipe\n"
                 "(said on stderr as stdin:LINE: what was wrong; the script goes on)\n", f) < 0 ? -1 : 0;
}

static int quiz_usage(FILE *f)
{
    if (fputs("usage: nntrace quiz LESSON [--ask PATTERNS] [--transcript FILE] [options]\n\n"
              "Ask for each chosen quantity of the lesson's trace in the lecture's order.\n"
              "A right answer moves on. The first miss shows the formula as a hint, the\n"
              "second the formula with your own numbers, the third gives the value. An\n"
              "answer that follows from your own earlier (wrong) answers is accepted as\n"
              "error carried forward, judged exactly as `nntrace check` judges. A score at\n"
              "the end. Answer q (or Ctrl-C) to stop, ? for help, nothing for the next hint;\n"
              "Ctrl-Z suspends, and fg asks the question again with what you had typed.\n\n"
              "options:\n", f) < 0 || cliopt_help(f, &CLI_QUIZ))
        return -1;
    return fputs("\nexit status: 0 every answer right in the end, 1 some value had to be given\n"
                 "or the quiz was stopped, 2 bad usage or bad lesson\n", f) < 0 ? -1 : 0;
}

const cliopt_cmd CLI_STEP = {.name = "step", .opts = STEP_OPTS, .n_opts = CLIOPT_COUNT(STEP_OPTS), .col = 25,
                             .help = step_usage};
const cliopt_cmd CLI_QUIZ = {.name = "quiz", .opts = QUIZ_OPTS, .n_opts = CLIOPT_COUNT(QUIZ_OPTS), .col = 25,
                             .help = quiz_usage};

/* Parse the options of cli (CLI_STEP or CLI_QUIZ); returns -1 done (help
 * printed: exit 0), 0 ok, or EXIT_USAGE. */
static int parse_view_opts(int argc, char **argv, const cliopt_cmd *cli, view_opts *o)
{
    const char *cmd = cli->name;
    *o = (view_opts){.cmd = cmd, .digits = -1, .ascii = -1, .color = -1, .decimals = -1, .notation = -1,
                     .eo = {.round = ENGINE_ROUND_LESSON}};
    cliopt_parser p = CLIOPT_PARSER(cli, argc, argv);
    cliopt_value val;
    for (int id; (id = cliopt_next(&p, &val)) != CLIOPT_END;) {
        if (id == CLIOPT_HELP) return -1;
        if (id == CLIOPT_BAD) return EXIT_USAGE;
        if (id == CLIOPT_ARG) {
            if (cli_one_lesson(cmd, val.s, &o->path)) return EXIT_USAGE;
            continue;
        }
        switch ((enum view_opt)id) {
        case VIEW_DIGITS: o->digits = (int)val.n; break;
        case VIEW_ROUNDED: o->eo.round = (int)val.n; break;
        case VIEW_ASK: sb_printf(&o->ask, "%s%s", o->ask.len ? " " : "", val.s); break;
        case VIEW_DECIMALS: o->decimals = (int)val.n; break;
        case VIEW_TOLERANCE: o->tol = val.x; break;
        case VIEW_TRANSCRIPT: o->transcript = val.s; break;
        case VIEW_NOTATION: o->notation = (int)val.n; break;
        case VIEW_EXACT: o->eo.round = -1; break;
        case VIEW_ALL_STEPS: o->eo.trace_all = 1; break;
        case VIEW_CHAIN: o->eo.chain = 1; break;
        case VIEW_ASCII: o->ascii = 1; break;
        case VIEW_UNICODE: o->ascii = 0; break;
        case VIEW_COLOR: o->color = 1; break;
        case VIEW_NO_COLOR: o->color = 0; break;
        }
    }
    char hint[64];
    snprintf(hint, sizeof hint, "nntrace %s sauppe-forward", cmd);
    if (cli_need_lesson(cmd, o->path, hint) || cli_not_input(cmd, o->transcript, o->path)) return EXIT_USAGE;
    return 0;
}

/* Write b to stdout and empty it. Returns 0, or -1 on a write error. */
static int flush_out(strbuf *b)
{
    /* the handlers are installed without SA_RESTART (signals_on), so a
     * resize or a stop that comes while the terminal takes the output
     * interrupts the write (EINTR): written again from where it stopped,
     * not "cannot write the output" with exit 2 */
    int rc = b->failed ? -1 : 0;
    while (fflush(stdout) != 0)             /* what printf left in stdio's buffer first */
        if (errno == EINTR) clearerr(stdout);
        else { rc = -1; break; }
    for (size_t done = 0; rc == 0 && done < b->len;) {
        ssize_t w = write(STDOUT_FILENO, b->s + done, b->len - done);
        if (w > 0) done += (size_t)w;
        else if (w < 0 && errno == EINTR) continue;
        else rc = -1;
    }
    b->len = 0;
    if (b->s) b->s[0] = '\0';
    return rc;
}

/* ------------------------------------------------------------------------
 * Keys
 * ---------------------------------------------------------------------- */

/* A line of input (a command of step, an answer of quiz) is read up to
 * this many bytes; the rest of a longer line is read and dropped, so no
 * line costs more memory, and none more time than reading it. */
#define INPUT_LINE_MAX 4096

/* One line of stdin into buf (at most size - 1 bytes, NUL-terminated,
 * without its end: LF, CR LF or CR). Returns its stored length, or -1 at
 * the end of input. */
static long line_in(char *buf, size_t size)
{
    size_t n = 0;
    int c, any = 0;
    while ((c = getc_unlocked(stdin)) != EOF) {
        any = 1;
        if (c == '\n') break;
        if (c == '\r') {
            if ((c = getc_unlocked(stdin)) != '\n' && c != EOF) ungetc(c, stdin);
            break;
        }
        if (n + 1 < size) buf[n++] = (char)c;
    }
    buf[n] = '\0';
    return any ? (long)n : -1;
}

typedef struct {
    int raw;                  /* the terminal is in key mode */
    struct termios saved;     /* its settings before */
    char text[INPUT_LINE_MAX]; /* line mode: the current line */
    const char *pend;         /* line mode: keys left on the current line */
    long line;                /* line mode: the number of the current line */
    int prompt_shown;         /* a prompt is on the last line now */
    int dumb;                 /* key mode on a terminal without cursor controls
                                 (TERM=dumb): a line is written again below */
    /* key mode: draws the screen again before tty_line writes its prompt
     * and the partial line again (after fg or a resize); NULL: nothing */
    int (*redraw)(void *ctx);
    void *redraw_ctx;
} keyin;

/* Signals, while the terminal is in key mode. A handler can only tell the
 * loop through file-scope flags (the one piece of mutable state here,
 * written by handlers, read and cleared by the loop): the handlers are
 * installed without SA_RESTART, so a blocked read returns EINTR and the
 * loop acts on the flag at once. */
static volatile sig_atomic_t sig_end;       /* SIGTERM, SIGINT, SIGHUP, SIGQUIT, and SIGPIPE
                                               (`nntrace step L | head`: the reader gone) */
static volatile sig_atomic_t sig_stop;      /* SIGTSTP */
static volatile sig_atomic_t sig_redraw;    /* SIGWINCH, SIGCONT */

static void on_signal(int sig)
{
    if (sig == SIGTSTP) sig_stop = 1;
    else if (sig == SIGWINCH || sig == SIGCONT) sig_redraw = 1;
    else sig_end = sig;
}

static const int HANDLED[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGWINCH, SIGCONT};
#define N_HANDLED (sizeof HANDLED / sizeof HANDLED[0])

static void signals_on(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;                         /* no SA_RESTART: reads return EINTR */
    sig_end = sig_stop = sig_redraw = 0;
    for (size_t k = 0; k < N_HANDLED; k++) (void)sigaction(HANDLED[k], &sa, &old[k]);
}

static void signals_off(const struct sigaction *old)
{
    for (size_t k = 0; k < N_HANDLED; k++) (void)sigaction(HANDLED[k], &old[k], NULL);
}

static int raw_on(keyin *k)
{
    struct termios t = k->saved;
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
    t.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    return tcsetattr(STDIN_FILENO, TCSANOW, &t);   /* keep keys typed ahead */
}

static void raw_off(keyin *k)
{
    if (k->raw) (void)tcsetattr(STDIN_FILENO, TCSANOW, &k->saved);
}

/* The terminal's size (24 x 80 when it does not say). */
static void term_size(int *rows, int *cols)
{
    struct winsize ws;
    *rows = 24;
    *cols = 80;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
        *rows = ws.ws_row;
        *cols = ws.ws_col;
    }
}

/* Erase the prompt line, if one is shown. */
static void prompt_off(keyin *k)
{
    if (!k->prompt_shown) return;
    fputs("\r\033[K", stdout);
    fflush(stdout);
    k->prompt_shown = 0;
}

/* One byte from stdin; -1 at end of input or on an error, -2 when a
 * signal flag is set (in key mode). */
static int byte_in(void)
{
    unsigned char c;
    for (;;) {
        if (sig_end || sig_stop || sig_redraw) return -2;
        ssize_t n = read(STDIN_FILENO, &c, 1);
        if (n == 1) return c;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}

/* Ctrl-Z (group set) or a SIGTSTP: the terminal as it was, stop; on `fg`
 * (SIGCONT) key mode again. The caller redraws. Ctrl-Z stops the whole
 * process group, as the terminal's own Ctrl-Z does outside key mode, so
 * `nntrace step L | cat` stops with its cat and the shell takes over; a
 * SIGTSTP sent to nntrace alone stops nntrace alone. */
static void suspend(keyin *k, int group)
{
    struct sigaction dfl, old;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    prompt_off(k);
    fflush(stdout);
    raw_off(k);
    (void)sigaction(SIGTSTP, &dfl, &old);
    if (!group || kill(0, SIGTSTP)) (void)raise(SIGTSTP);   /* stops here until SIGCONT */
    (void)sigaction(SIGTSTP, &old, NULL);
    (void)raw_on(k);
    sig_redraw = 0;
}

/* How long the rest of an escape sequence may take to arrive after ESC. */
#define ESC_WAIT_MS 50
/* Longest escape sequence read as one key; a longer one is cut there. */
#define ESC_MAX 16

/* One key from the terminal (key mode): a byte, or a whole escape sequence
 * (ESC [ or ESC O, parameter and intermediate bytes, a final byte), so a
 * Home, PgUp, Delete or F1 is one key and never several. Returns the byte
 * with *seq 0 (a lone ESC is 27); for a sequence *seq is 1 and the result
 * is the final byte of a plain arrow-like key (ESC [ C, ESC O C) or 0 for
 * any other. -1 at end of input, -2 when a signal flag is set. */
static int key_in(int *seq)
{
    *seq = 0;
    int c = byte_in();
    if (c != 27) return c;
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    if (poll(&p, 1, ESC_WAIT_MS) != 1) return 27;
    int intro = byte_in();
    if (intro < 0) return intro;
    *seq = 1;
    if (intro != '[' && intro != 'O') return 0;          /* ESC x (Alt-x): one key */
    int params = 0;
    for (int n = 0; n < ESC_MAX && poll(&p, 1, ESC_WAIT_MS) == 1; n++) {
        if ((c = byte_in()) < 0) return c;
        if (c >= 0x40 && c <= 0x7e) return params ? 0 : c;   /* the final byte */
        params = 1;
    }
    return 0;
}

/* A line typed on the terminal in key mode (step's g NAME, a quiz answer),
 * after prompt, which this writes. Keys that arrived together (a paste, a
 * fast typist) all count: each byte is echoed and kept, Backspace erases a
 * character (a whole UTF-8 sequence), Ctrl-U or Esc the line, Enter (CR
 * or LF) ends it, Ctrl-C and Ctrl-D quit. Other
 * escape sequences and control bytes are ignored. Ctrl-Z (or SIGTSTP)
 * suspends; after fg (SIGCONT), and on a resize, k->redraw draws the
 * screen again (step's screen; the quiz has none) and the prompt and what
 * was typed are written again. Returns 0, -1 to quit (or at the end of
 * input, or when the redraw could not be written), -2 when an ending
 * signal came (sig_end). */
static int tty_line(keyin *k, const char *prompt, char *buf, size_t size)
{
    size_t n = 0;
    int c, seq;
    fputs(prompt, stdout);
    fflush(stdout);
    for (;;) {
        c = key_in(&seq);
        if ((c == -2 && !sig_end) || (!seq && c == 26)) {   /* Ctrl-Z, a stop, a resume, a resize */
            if (sig_stop || c == 26) { suspend(k, !sig_stop); sig_stop = 0; }
            sig_redraw = 0;
            if (k->redraw && k->redraw(k->redraw_ctx)) { c = -1; break; }
            printf("%s%s%.*s", k->dumb ? "\n" : "\r\033[K", prompt, (int)n, buf);
            fflush(stdout);
            continue;
        }
        if (c < 0 || (!seq && (c == 3 || c == 4))) break;
        if (seq) continue;
        if (c == '\r' || c == '\n') break;
        if (c == 127 || c == 8) {                     /* Backspace */
            if (!n) continue;
            while (n > 0 && ((unsigned char)buf[--n] & 0xc0) == 0x80) {}
            fputs("\b \b", stdout);
        } else if (c == 21 || c == 27) {              /* Ctrl-U, Esc */
            for (; n > 0; n--) if (((unsigned char)buf[n - 1] & 0xc0) != 0x80) fputs("\b \b", stdout);
        } else if (c >= 32 && n + 1 < size) {
            buf[n++] = (char)c;
            putchar(c);
        }
        fflush(stdout);
    }
    buf[n] = '\0';
    fputs("\n", stdout);
    fflush(stdout);
    if (c == -2) return -2;
    return c < 0 || c == 3 || c == 4 ? -1 : 0;
}

/* The command a pending signal asks for, if any (key mode only). */
static int signal_cmd(step_cmd *cmd)
{
    if (sig_end) { *cmd = STEP_QUIT; return 1; }
    if (sig_stop) { *cmd = STEP_SUSPEND; return 1; }     /* cleared by the suspend */
    if (sig_redraw) { sig_redraw = 0; *cmd = STEP_REDRAW; return 1; }
    return 0;
}

/* The next command. name (size bytes) receives a STEP_GOTO's name. In
 * terminal mode prompt is written first and erased after the key.
 * Returns 1 with *cmd set, 0 for a key that means nothing (*bad set). */
static int next_cmd(keyin *k, strbuf *prompt, step_cmd *cmd, char *name, size_t size, int *bad)
{
    int known;
    *bad = 0;
    name[0] = '\0';
    if (k->raw) {
        if (signal_cmd(cmd)) return 1;
        if (prompt->len) { fputs(prompt->s, stdout); fflush(stdout); k->prompt_shown = 1; }
        int seq, c = key_in(&seq);
        prompt_off(k);
        if (c == -2 && signal_cmd(cmd)) return 1;
        if (c < 0) { *cmd = STEP_QUIT; return 1; }
        if (seq) {                                   /* arrows: ESC [ A-D; others mean nothing */
            *cmd = step_key_cmd(c, 1, &known);
            if (!known) *bad = 27;
            return known;
        }
        if (c == 'g') {
            int rc = tty_line(k, "go to: ", name, size);
            if (rc == -2 && signal_cmd(cmd)) return 1;
            if (rc) { *cmd = STEP_QUIT; return 1; }
            *cmd = STEP_GOTO;
            return 1;
        }
        *cmd = step_key_cmd(c, 0, &known);
        if (!known) *bad = c;
        return known;
    }
    int c;
    do {                                     /* blanks between keys mean nothing */
        while (!k->pend || !*k->pend) {
            if (k->pend) { k->pend = NULL; continue; }   /* a finished line */
            if (line_in(k->text, sizeof k->text) < 0) { *cmd = STEP_QUIT; return 1; }
            k->line++;
            const char *s = k->text + strspn(k->text, " \t");
            if (!*s) { *cmd = STEP_NEXT; return 1; }     /* an empty line is Enter */
            if (*s == 'g') {
                snprintf(name, size, "%s", s + 1 + strspn(s + 1, " \t"));
                *cmd = STEP_GOTO;
                return 1;
            }
            for (const char *q = s; *q; q++) {   /* a line with a bad key is skipped whole */
                if (*q == ' ' || *q == '\t') continue;
                (void)step_key_cmd((unsigned char)*q, 0, &known);
                if (!known) { *bad = (unsigned char)*q; return 0; }
            }
            k->pend = s;
        }
        c = (unsigned char)*k->pend++;
    } while (c == ' ' || c == '\t');
    *cmd = step_key_cmd(c, 0, &known);
    if (!known) *bad = c;
    return known;
}

/* ------------------------------------------------------------------------
 * step
 * ---------------------------------------------------------------------- */

/* The screen drawn again at the session's position: cleared, then the
 * trace up to there (step_screen) for the terminal's size. */
static void screen_again(step_session *s, strbuf *out)
{
    int rows, cols;
    out->len = 0;
    if (out->s) out->s[0] = '\0';
    term_size(&rows, &cols);
    step_set_width(s, cols);
    sb_printf(out, "\033[H\033[2J");
    step_screen(s, out, rows, cols);
}

/* keyin's redraw for step: the screen, written at once; 0, or -1 when it
 * could not be written. */
typedef struct { step_session *s; strbuf *out; } screen_ctx;
static int screen_redraw(void *ctx)
{
    screen_ctx *c = ctx;
    screen_again(c->s, c->out);
    return flush_out(c->out);
}

/* The style of step and quiz on standard output, from the options and the
 * lesson (formulas unbroken until a terminal's width is known). */
static step_style view_style(const view_opts *o, const lesson *l)
{
    return (step_style){.digits = o->digits >= 0 ? o->digits : l->digits,
                        .unicode = o->ascii >= 0 ? !o->ascii : cli_unicode(stdout),
                        .color = o->color >= 0 ? o->color : cli_color(stdout),
                        .l = l,
                        .notation = o->notation >= 0 ? o->notation : l->notation};
}

/* Load and run the lesson of o; 0, or EXIT_USAGE after a message. */
static int load_run(const view_opts *o, lesson **l, engine_result *r)
{
    char err[768];
    if (!(*l = cli_lesson_for(o->cmd, o->path))) return EXIT_USAGE;
    if (engine_run(*l, &o->eo, r, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        lesson_free(*l);
        *l = NULL;
        return EXIT_USAGE;
    }
    return 0;
}

/* The keys the prompt names, in its order; on a narrow terminal the
 * higher ranks are left out first, so it never ends inside a word. */
static const struct { const char *text; int rank; } PROMPT_KEYS[] = {
    {"Enter next", 1}, {"b back", 4}, {"g go to", 5}, {"p pass", 6},
    {"r restart", 7}, {"q quit", 3}, {"? help", 2},
};
#define N_PROMPT_KEYS (sizeof PROMPT_KEYS / sizeof PROMPT_KEYS[0])

/* "[pos/n] Enter next  b back ..." in p: the keys of the lowest ranks that
 * fit in room columns (at least Enter). Returns its length. */
static int prompt_line(char *p, size_t size, size_t pos, size_t n, int room)
{
    int len = 0;
    for (int most = (int)N_PROMPT_KEYS; most >= 1; most--) {
        len = snprintf(p, size, "[%zu/%zu]", pos, n);
        for (size_t k = 0; k < N_PROMPT_KEYS && len >= 0 && (size_t)len < size; k++)
            if (PROMPT_KEYS[k].rank <= most)
                len += snprintf(p + len, size - (size_t)len, "%s%s", k ? "  " : " ", PROMPT_KEYS[k].text);
        if (len < 0 || (size_t)len >= size) len = (int)strlen(p);
        if (len <= room) break;
    }
    return len;
}

int cmd_step(int argc, char **argv)
{
    view_opts o;
    int rc = parse_view_opts(argc, argv, &CLI_STEP, &o);
    if (rc) return rc < 0 ? 0 : rc;
    lesson *l;
    engine_result r;
    if ((rc = load_run(&o, &l, &r))) return rc;
    step_style st = view_style(&o, l);
    step_session *s = step_new(l, r.tr, &st);
    keyin k;
    memset(&k, 0, sizeof k);
    strbuf out = {0}, prompt = {0};
    int status = 0, bad_input = 0;     /* bad_input: a script had a bad command */
    if (!s) { fprintf(stderr, "nntrace step: out of memory\n"); status = EXIT_USAGE; goto done; }
    if (isatty(STDIN_FILENO)) {
        if (tcgetattr(STDIN_FILENO, &k.saved) || raw_on(&k)) {
            fprintf(stderr, "nntrace step: cannot set up the terminal: %s\n", strerror(errno));
            status = EXIT_USAGE;
            goto done;
        }
        k.raw = 1;
        k.dumb = !cli_cursor(stdin);
    }
    /* on a terminal formulas fit it; where it takes cursor controls, a
     * prompt line, and b, g, a resize, Ctrl-L and fg redraw the screen
     * (on a dumb one b says where it went, as from a pipe) */
    const int on_screen = k.raw && isatty(STDOUT_FILENO);
    const int show_prompt = on_screen && cli_cursor(stdout);
    screen_ctx redraw = {s, &out};
    if (show_prompt) {
        k.redraw = screen_redraw;
        k.redraw_ctx = &redraw;
    }
    struct sigaction old[N_HANDLED];
    if (k.raw) signals_on(old);
    if (on_screen) {
        int rows, cols;
        term_size(&rows, &cols);
        step_set_width(s, cols);
    }
    step_opening(s, &out);
    for (int quit = 0; !quit;) {
        if (flush_out(&out)) { status = EXIT_USAGE; break; }
        int rows, cols;
        term_size(&rows, &cols);
        if (on_screen) step_set_width(s, cols);     /* a terminal: formulas fit it */
        prompt.len = 0;
        if (prompt.s) prompt.s[0] = '\0';
        if (show_prompt) {
            size_t pos, n;
            step_progress(s, &pos, &n);
            char p[160];
            int w = prompt_line(p, sizeof p, pos, n, cols - 1);
            if (w > cols - 1) w = cols - 1 > 0 ? cols - 1 : 0;    /* one row: erased whole */
            sb_printf(&prompt, "%s%.*s%s", st.color ? "\033[2m" : "", w, p, st.color ? "\033[0m" : "");
        }
        step_cmd c;
        char name[128];
        int bad;
        if (!next_cmd(&k, &prompt, &c, name, sizeof name, &bad)) {
            char why[64];
            if (bad >= 32 && bad < 127) snprintf(why, sizeof why, "key '%c' means nothing here: ? for help", bad);
            else snprintf(why, sizeof why, "that key means nothing here: ? for help");
            if (!k.raw) {                           /* a script: where, what, and exit 2 */
                const char *line = k.text + strspn(k.text, " \t");
                if (strlen(line) > 1)               /* "next": skipped, not n and 3 bad keys */
                    fprintf(stderr, "stdin:%ld: '%.40s': %s; the line was skipped (a line holds "
                            "keys as typed, nnb is n, n, b; or g NAME)\n", k.line, line, why);
                else
                    fprintf(stderr, "stdin:%ld: %s\n", k.line, why);
                bad_input = 1;
            } else if (bad >= 32 || bad == 27) {     /* a printable key, or an escape sequence */
                char note[80];                      /* broken at its spaces, as step's notes */
                snprintf(note, sizeof note, "%s)", why);
                step_prose(&out, &s->st, "(", note, NULL);
            }
            continue;
        }
        if (c == STEP_SUSPEND) {
            if (!k.raw) continue;                  /* a pipe has nothing to suspend */
            suspend(&k, !sig_stop);                /* Ctrl-Z: with the pipeline */
            sig_stop = 0;
            c = STEP_REDRAW;
        }
        size_t before = out.len;
        int what = step_do(s, c, name, &out);
        quit = what == STEP_QUITS;
        if (what == STEP_BAD && !k.raw) {          /* a script: the message where it belongs */
            out.len = before;
            if (out.s) out.s[before] = '\0';
            fprintf(stderr, "stdin:%ld: %s\n", k.line, s->err);
            bad_input = 1;
        }
        if (what == STEP_REDRAWS && show_prompt)
            screen_again(s, &out);       /* rewind: the screen at the position */
    }
    if (status) {
        if (sig_end != SIGPIPE)              /* a reader gone: silent, as SIGPIPE is */
            fprintf(stderr, "nntrace step: cannot write the output\n");
    } else if (bad_input) {
        status = EXIT_USAGE;
    }
    if (k.raw) {
        prompt_off(&k);
        raw_off(&k);
        signals_off(old);
        k.raw = 0;
        if (sig_end) {                       /* the terminal is right: now die of it */
            int sig = sig_end;
            fflush(stdout);
            step_free(s);
            engine_result_free(&r);
            lesson_free(l);
            sb_free(&out);
            sb_free(&prompt);
            signal(sig, SIG_DFL);
            raise(sig);
            return 128 + sig;
        }
    }

done:
    raw_off(&k);
    sb_free(&out);
    sb_free(&prompt);
    step_free(s);
    engine_result_free(&r);
    lesson_free(l);
    return status;
}

/* ------------------------------------------------------------------------
 * quiz
 * ---------------------------------------------------------------------- */

/* Append text without terminal escapes (the transcript is plain; a lone
 * ESC, as a piped answer may hold, is dropped too). */
static void plain(strbuf *t, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    while (len > 0) {
        size_t n = esc_term_len(s, len);
        if (n == 0) {
            n = strcspn(s, "\033");
            sb_printf(t, "%.*s", (int)n, s);
        }
        s += n;
        len -= n;
    }
}

int cmd_quiz(int argc, char **argv)
{
    view_opts o;
    int rc = parse_view_opts(argc, argv, &CLI_QUIZ, &o);
    if (!rc && o.ask.failed) { fprintf(stderr, "nntrace quiz: out of memory\n"); rc = EXIT_USAGE; }
    if (rc) { sb_free(&o.ask); return rc < 0 ? 0 : rc; }
    lesson *l;
    engine_result r, hand;
    memset(&hand, 0, sizeof hand);
    if ((rc = load_run(&o, &l, &r))) { sb_free(&o.ask); return rc; }
    int status = EXIT_USAGE, have_out = 0;
    keyin k;
    struct sigaction old[N_HANDLED];
    memset(&k, 0, sizeof k);
    strbuf ask = {0};                          /* the question's line, on a terminal */
    char err[768];
    size_t *ids = NULL, n = 0;
    quiz_session *q = NULL;
    strbuf out = {0}, tr = {0};
    char line[INPUT_LINE_MAX];
    outfile of;
    memset(&of, 0, sizeof of);

    /* judged as the grader judges: the asked decimals and tolerance (the
     * student's, else the lesson's), and the hand-rounded reference to the
     * asked decimals when the trace itself is exact */
    int dec = o.decimals >= 0 ? o.decimals : lesson_answer_digits(l);
    if (r.tr->round < 0) {
        engine_opts he = o.eo;
        he.round = dec;
        he.names_checked = 1;      /* checked on the lesson's own trace, r */
        if (engine_run(l, &he, &hand, err, sizeof err)) { fprintf(stderr, "%s\n", err); goto done; }
    }
    if (quiz_select(l, r.tr, o.notation >= 0 ? o.notation : l->notation, o.ask.s, &ids, &n,
                    err, sizeof err)) {
        fprintf(stderr, "nntrace quiz: %s: %s\n", o.path, err);
        goto done;
    }
    if (o.transcript) {
        if (outfile_open(&of, o.transcript, 1, err, sizeof err)) {
            fprintf(stderr, "nntrace quiz: %s\n", err);
            goto done;
        }
        have_out = 1;
    }
    step_style st = view_style(&o, l);
    grade_opts go;
    grade_opts_lesson(&go, l, hand.tr);
    go.rule.digits = dec;
    if (o.tol > 0) go.rule.tol = o.tol;
    else if (o.decimals >= 0) go.rule.tol = 0;     /* --decimals alone: half a unit */
    int tty = isatty(STDIN_FILENO), rows, cols;
    const int on_screen = tty && isatty(STDOUT_FILENO);   /* prose and formulas fit the terminal */
    if (on_screen) {
        term_size(&rows, &cols);
        st.width = cols;
    }
    if (!(q = quiz_new(l, r.tr, &go.rule, ids, n, &st))) { fprintf(stderr, "nntrace quiz: out of memory\n"); goto done; }

    char base[256];
    strbuf t = {0};
    lesson_basename(l->path, base, sizeof base);
    snprintf(line, sizeof line, "%s: ", base);
    step_prose(&out, &st, line, l->title, NULL);
    if (l->source) step_prose(&out, &st, "source: ", l->source, NULL);
    if (r.tr->round >= 0) step_round_note(&out, &st, r.tr->round);
    if (go.rule.tol > 0)
        sb_printf(&t, "%zu question%s; answers within %.10g are right. ", n, n == 1 ? "" : "s", go.rule.tol);
    else
        sb_printf(&t, "%zu question%s; answer to %d decimals or more. ", n, n == 1 ? "" : "s", dec);
    sb_printf(&t, "Nothing for a hint, q to stop, ? for help.");
    step_prose(&out, &st, "", t.s ? t.s : "", NULL);
    if (t.failed) out.failed = 1;
    sb_free(&t);
    int werr = 0;
    if (tty) {                               /* answers read in key mode: tty_line */
        if (tcgetattr(STDIN_FILENO, &k.saved) || raw_on(&k)) {
            fprintf(stderr, "nntrace quiz: cannot set up the terminal: %s\n", strerror(errno));
            goto done;
        }
        k.raw = 1;
        k.dumb = !cli_cursor(stdin);
        signals_on(old);
    }
    while (!quiz_over(q) && !werr) {
        if (on_screen) {                     /* resized meanwhile: the new width */
            term_size(&rows, &cols);
            q->st.width = cols;
        }
        quiz_question(q, &out);
        plain(&tr, out.s);
        ask.len = 0;
        if (tty && out.s) {                  /* the question's own line: tty_line writes it */
            const char *nl = strrchr(out.s, '\n');
            size_t keep = nl ? (size_t)(nl - out.s) + 1 : 0;
            sb_printf(&ask, "%s", out.s + keep);
            out.len = keep;
            out.s[keep] = '\0';
        }
        if (ask.failed) { fprintf(stderr, "nntrace quiz: out of memory\n"); goto done; }
        if (flush_out(&out)) { werr = 1; break; }
        if (tty ? tty_line(&k, ask.s ? ask.s : "", line, sizeof line) : line_in(line, sizeof line) < 0 ? -1 : 0) {
            sb_printf(tty ? &tr : &out, "\n");              /* stopped: tty_line ended the line */
            plain(&tr, out.s);
            if (flush_out(&out)) werr = 1;
            q->quit = 1;
            break;
        }
        if (tty) sb_printf(&tr, "%s\n", line);    /* the terminal echoed it */
        else {                                    /* a pipe did not: show it, escapes left out */
            plain(&out, line);
            sb_printf(&out, "\n");
        }
        if (quiz_answer(q, line, &out)) { fprintf(stderr, "nntrace quiz: out of memory\n"); goto done; }
        plain(&tr, out.s);
        if (flush_out(&out)) werr = 1;
    }
    quiz_score(q, &out);
    plain(&tr, out.s);
    if (werr || flush_out(&out)) {
        if (sig_end != SIGPIPE) fprintf(stderr, "nntrace quiz: cannot write the output\n");
        goto done;
    }
    if (have_out) {
        if (tr.failed || fwrite(tr.s ? tr.s : "", 1, tr.len, of.f) != tr.len) {
            fprintf(stderr, "nntrace quiz: cannot write '%s'\n", o.transcript);
            goto done;
        }
        have_out = 0;
        if (outfile_commit(&of, err, sizeof err)) { fprintf(stderr, "nntrace quiz: %s\n", err); goto done; }
    }
    status = (q->given || q->quit) ? EXIT_CHECK : 0;

done:
    if (k.raw) {                             /* the terminal as it was; a signal's end now */
        raw_off(&k);
        signals_off(old);
        if (sig_end) {
            fflush(stdout);
            signal(sig_end, SIG_DFL);
            raise(sig_end);
            status = 128 + sig_end;
        }
    }
    if (have_out) outfile_abort(&of);
    sb_free(&ask);
    sb_free(&out);
    sb_free(&tr);
    sb_free(&o.ask);
    quiz_free(q);
    free(ids);
    if (hand.tr) engine_result_free(&hand);
    engine_result_free(&r);
    lesson_free(l);
    return status;
}
