/*
 * yamlx - strict YAML on libfyaml, with FILE:LINE:COLUMN errors.
 *
 * Public functions: yamlx_parse, yamlx_load, yamlx_free, yamlx_root,
 * yamlx_file, yamlx_failed, yamlx_fail, yamlx_fail_at, yamlx_describe,
 * yamlx_show, yamlx_is_null, yamlx_map, yamlx_get, yamlx_get_key,
 * yamlx_require, yamlx_str, yamlx_bool, yamlx_int, yamlx_enum, yamlx_seq,
 * yamlx_strseq, yamlx_pair, yamlx_read_file.
 *
 * The tree is built from libfyaml's event stream rather than its document
 * API: the installed libfyaml (0.7.12) gives positions for events but has no
 * public call for the position of a sequence or mapping node, and errors at a
 * mapping ("missing required key") need one.  Building our own small tree
 * also puts the strict rules (no aliases, no tags, unique keys) in one place.
 *
 * Syntax errors come from libfyaml's diagnostics, collected rather than
 * printed (fy_diag_set_collect_errors), and are reported with the first
 * error's line and column, which libfyaml gives 1-based.  Columns count
 * characters, not bytes, as libfyaml's do.  The text is checked to be UTF-8
 * of printable characters before libfyaml sees it (check_text).
 *
 * Limits: YAMLX_FILE_MAX bytes per file, YAMLX_DEPTH_MAX levels of nesting.
 */
#include "yamlx.h"

#include <errno.h>
#include <fcntl.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

struct yamlx_doc {
    char *file;
    struct au_buf *err;
    bool failed;
    const char *text;   /* the source, only while parsing */
    size_t text_len;
    struct yamlx_node *root;
};

static void node_free(struct yamlx_node *n)
{
    if (!n)
        return;
    size_t count = n->kind == YAMLX_MAP ? 2 * n->n : n->n;
    for (size_t i = 0; i < count; i++)
        node_free(n->item[i]);
    free(n->item);
    free(n->str);
    free(n);
}

void yamlx_free(struct yamlx_doc *d)
{
    if (!d)
        return;
    node_free(d->root);
    free(d->file);
    free(d);
}

const struct yamlx_node *yamlx_root(const struct yamlx_doc *d)
{
    return d->root;
}

const char *yamlx_file(const struct yamlx_doc *d)
{
    return d->file;
}

bool yamlx_failed(const struct yamlx_doc *d)
{
    return d->failed;
}

const char *yamlx_show(const char *s, size_t len, char *buf, size_t size)
{
    if (size < 4) {
        if (size)
            buf[0] = 0;
        return buf;
    }
    /* all of it when it fits, else as much as leaves room for "..." */
    size_t keep = len < size ? len : size - 4;
    for (size_t i = 0; i < keep; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (keep < len) {
        memcpy(buf + keep, "...", 3);
        keep += 3;
    }
    buf[keep] = 0;
    return buf;
}

static int vfail_at(struct yamlx_doc *d, int line, int col, const char *fmt, va_list ap)
{
    if (d->failed)
        return -1;
    d->failed = true;
    au_buf_reset(d->err);
    au_buf_printf(d->err, "%s:%d:%d: ", d->file, line, col);
    au_buf_vprintf(d->err, fmt, ap);
    return -1;
}

int yamlx_fail_at(struct yamlx_doc *d, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(d, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

int yamlx_fail(struct yamlx_doc *d, const struct yamlx_node *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(d, n ? n->line : 1, n ? n->col : 1, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- scalar types (YAML 1.2 core schema, strictly) ---- */

bool yamlx_is_null(const struct yamlx_node *n)
{
    if (!n || n->kind != YAMLX_SCALAR || n->style != YAMLX_PLAIN)
        return false;
    return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
           strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

/* 1 for true, 0 for false, -1 when the scalar is no bool. */
static int bool_value(const struct yamlx_node *n)
{
    static const char *const yes[] = {"true", "True", "TRUE"};
    static const char *const no[] = {"false", "False", "FALSE"};
    if (n->kind != YAMLX_SCALAR || n->style != YAMLX_PLAIN)
        return -1;
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(n->str, yes[i]) == 0)
            return 1;
        if (strcmp(n->str, no[i]) == 0)
            return 0;
    }
    return -1;
}

static bool is_integer(const struct yamlx_node *n)
{
    if (n->kind != YAMLX_SCALAR || n->style != YAMLX_PLAIN || n->len == 0)
        return false;
    size_t i = (n->str[0] == '-' || n->str[0] == '+') ? 1 : 0;
    if (i == n->len)
        return false;
    for (; i < n->len; i++)
        if (n->str[i] < '0' || n->str[i] > '9')
            return false;
    return true;
}

const char *yamlx_describe(const struct yamlx_node *n)
{
    if (!n)
        return "nothing";
    switch (n->kind) {
    case YAMLX_SEQ:
        return "a sequence";
    case YAMLX_MAP:
        return "a mapping";
    case YAMLX_SCALAR:
        break;
    }
    if (yamlx_is_null(n))
        return "null";
    if (bool_value(n) >= 0)
        return "a boolean";
    if (is_integer(n))
        return "a number";
    return "a string";
}

/* ---- building the tree from events ---- */

static void set_pos(struct yamlx_doc *d, struct yamlx_node *n, const struct fy_mark *m, int line,
                    int col)
{
    if (!m) {   /* an empty scalar has no mark: it sits where the last event ended */
        n->line = line;
        n->col = col;
        return;
    }
    n->line = m->line + 1;
    n->col = m->column + 1;
    /* A quoted scalar's mark is its first character inside the quotes;
     * point at the opening quote. */
    if (n->kind == YAMLX_SCALAR && n->style == YAMLX_QUOTED && n->col > 1 &&
        m->input_pos > 0 && m->input_pos <= d->text_len &&
        (d->text[m->input_pos - 1] == '"' || d->text[m->input_pos - 1] == '\''))
        n->col--;
    /* A block scalar's mark is the start of its first content line; point at
     * the first character of the content instead. */
    if (n->kind == YAMLX_SCALAR && (n->style == YAMLX_LITERAL || n->style == YAMLX_FOLDED) &&
        m->input_pos <= d->text_len) {
        size_t p = m->input_pos;
        while (p < d->text_len && d->text[p] == ' ') {
            p++;
            n->col++;
        }
    }
}

/* A container being filled while the events stream in.  A mapping's pair
 * count lags while a key waits for its value, so the frame counts slots. */
struct slotframe {
    struct yamlx_node *node;
    size_t used;
    size_t cap;
};

static void push_slot(struct slotframe *f, struct yamlx_node *child)
{
    if (f->used == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 8;
        f->node->item = au_xrealloc(f->node->item, f->cap * sizeof *f->node->item);
    }
    f->node->item[f->used++] = child;
    if (f->node->kind == YAMLX_SEQ)
        f->node->n = f->used;
    else
        f->node->n = f->used / 2;
}

static int cmp_keys(const void *a, const void *b)
{
    const struct yamlx_node *const *x = a, *const *y = b;
    size_t n = (*x)->len < (*y)->len ? (*x)->len : (*y)->len;
    int c = memcmp((*x)->str, (*y)->str, n);
    if (c)
        return c;
    if ((*x)->len != (*y)->len)
        return (*x)->len < (*y)->len ? -1 : 1;
    /* equal keys: the earlier in the file first, so the later is reported */
    if ((*x)->line != (*y)->line)
        return (*x)->line < (*y)->line ? -1 : 1;
    return (*x)->col < (*y)->col ? -1 : ((*x)->col > (*y)->col);
}

/* Finds duplicate keys in a finished mapping. */
static int check_unique(struct yamlx_doc *d, const struct yamlx_node *m)
{
    if (m->n < 2)
        return 0;
    const struct yamlx_node **k = au_xcalloc(m->n, sizeof *k);
    for (size_t i = 0; i < m->n; i++)
        k[i] = m->item[2 * i];
    qsort(k, m->n, sizeof *k, cmp_keys);
    const struct yamlx_node *first = NULL, *dup = NULL;
    for (size_t i = 1; i < m->n; i++) {
        if (k[i]->len == k[i - 1]->len && memcmp(k[i]->str, k[i - 1]->str, k[i]->len) == 0) {
            /* report the duplicate that comes first in the file */
            if (!dup || k[i]->line < dup->line ||
                (k[i]->line == dup->line && k[i]->col < dup->col)) {
                dup = k[i];
                size_t j = i;
                while (j > 0 && k[j - 1]->len == k[i]->len &&
                       memcmp(k[j - 1]->str, k[i]->str, k[i]->len) == 0)
                    j--;
                first = k[j];
            }
        }
    }
    free(k);
    if (!dup)
        return 0;
    char show[YAMLX_SHOW_MAX];
    return yamlx_fail(d, dup, "duplicate key '%s' (first at line %d, column %d)",
                      yamlx_show(dup->str, dup->len, show, sizeof show), first->line, first->col);
}

static void diag_quiet(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    (void)buf;
    (void)len;
    (void)user;
}

/* Turns libfyaml's first collected error into ours. */
static void syntax_error(struct yamlx_doc *d, struct fy_diag *diag, int line, int col)
{
    void *it = NULL;
    struct fy_diag_error *e;
    while ((e = fy_diag_errors_iterate(diag, &it)) != NULL) {
        if (e->type < FYET_ERROR)
            continue;
        const char *msg = e->msg ? e->msg : "syntax error";
        char show[200];
        yamlx_show(msg, strlen(msg), show, sizeof show);
        yamlx_fail_at(d, e->line > 0 ? e->line : line, e->column > 0 ? e->column : col,
                      "YAML syntax error: %s", show);
        return;
    }
    yamlx_fail_at(d, line, col, "YAML syntax error");
}

/* The position of an anchor or tag token: libfyaml's mark of an anchor is
 * its name, after the '&'; point at the indicator itself. */
static void token_pos(const struct yamlx_doc *d, struct fy_token *t, char indicator, int *line,
                      int *col)
{
    const struct fy_mark *m = fy_token_start_mark(t);
    if (!m)
        return;
    *line = m->line + 1;
    *col = m->column + 1;
    if (m->input_pos > 0 && m->input_pos <= d->text_len && *col > 1 &&
        d->text[m->input_pos - 1] == indicator &&
        (m->input_pos == d->text_len || d->text[m->input_pos] != indicator))
        (*col)--;
}

static int build(struct yamlx_doc *d, struct fy_parser *fyp, struct fy_diag *diag)
{
    struct slotframe stack[YAMLX_DEPTH_MAX];
    size_t depth = 0;
    int docs = 0;
    int line = 1, col = 1;   /* where the last event ended, 1-based */
    struct fy_event *ev;

    while ((ev = fy_parser_parse(fyp)) != NULL) {
        const struct fy_mark *m = fy_event_start_mark(ev);
        int at_line = m ? m->line + 1 : line, at_col = m ? m->column + 1 : col;
        struct fy_token *anchor = NULL, *tag = NULL;
        struct yamlx_node *n = NULL;
        int rc = 0;

        switch (ev->type) {
        case FYET_DOCUMENT_START:
            if (++docs > 1)
                rc = yamlx_fail_at(d, at_line, at_col,
                                   "only one YAML document is allowed in a file");
            break;
        case FYET_ALIAS:
            /* the mark is the alias's name, after the '*' */
            if (m && at_col > 1 && m->input_pos > 0 && m->input_pos <= d->text_len &&
                d->text[m->input_pos - 1] == '*')
                at_col--;
            rc = yamlx_fail_at(d, at_line, at_col, "aliases (*name) are not supported");
            break;
        case FYET_SCALAR:
            anchor = ev->scalar.anchor;
            tag = ev->scalar.tag;
            n = au_xcalloc(1, sizeof *n);
            n->kind = YAMLX_SCALAR;
            switch (fy_token_scalar_style(ev->scalar.value)) {
            case FYSS_SINGLE_QUOTED:
            case FYSS_DOUBLE_QUOTED:
                n->style = YAMLX_QUOTED;
                break;
            case FYSS_LITERAL:
                n->style = YAMLX_LITERAL;
                break;
            case FYSS_FOLDED:
                n->style = YAMLX_FOLDED;
                break;
            default:
                n->style = YAMLX_PLAIN;
                break;
            }
            {
                size_t len = 0;
                const char *t = fy_token_get_text(ev->scalar.value, &len);
                if (!t)
                    len = 0;
                n->str = au_xmalloc(len + 1);
                if (len)
                    memcpy(n->str, t, len);
                n->str[len] = 0;
                n->len = len;
            }
            break;
        case FYET_SEQUENCE_START:
            anchor = ev->sequence_start.anchor;
            tag = ev->sequence_start.tag;
            n = au_xcalloc(1, sizeof *n);
            n->kind = YAMLX_SEQ;
            break;
        case FYET_MAPPING_START:
            anchor = ev->mapping_start.anchor;
            tag = ev->mapping_start.tag;
            n = au_xcalloc(1, sizeof *n);
            n->kind = YAMLX_MAP;
            break;
        case FYET_SEQUENCE_END:
        case FYET_MAPPING_END:
            if (depth > 0) {
                struct yamlx_node *done = stack[--depth].node;
                if (done->kind == YAMLX_MAP)
                    rc = check_unique(d, done);
            }
            break;
        default:
            break;
        }

        if (n) {
            set_pos(d, n, m, line, col);
            if (anchor || tag) {
                int tl = at_line, tc = at_col;
                token_pos(d, anchor ? anchor : tag, anchor ? '&' : '!', &tl, &tc);
                rc = yamlx_fail_at(d, tl, tc,
                                   anchor ? "anchors (&name) are not supported"
                                          : "tags (!name) are not supported");
                node_free(n);
                n = NULL;
            }
        }
        if (n) {
            if (depth == 0) {
                if (d->root) {   /* cannot happen with one document; be safe */
                    node_free(n);
                    rc = yamlx_fail_at(d, at_line, at_col, "unexpected content");
                } else {
                    d->root = n;
                }
            } else {
                struct slotframe *f = &stack[depth - 1];
                if (f->node->kind == YAMLX_MAP && f->used % 2 == 0) {
                    if (n->kind != YAMLX_SCALAR)
                        rc = yamlx_fail(d, n, "a mapping key must be a scalar, not %s",
                                        yamlx_describe(n));
                    else if (yamlx_is_null(n))
                        rc = yamlx_fail(d, n, "a mapping key must not be empty");
                }
                push_slot(f, n);   /* the parent owns it now, even on error */
            }
            if (rc == 0 && n->kind != YAMLX_SCALAR) {
                if (depth == YAMLX_DEPTH_MAX) {
                    rc = yamlx_fail(d, n, "nested deeper than %d levels", YAMLX_DEPTH_MAX);
                } else {
                    stack[depth].node = n;
                    stack[depth].used = 0;
                    stack[depth].cap = 0;
                    depth++;
                }
            }
        }

        const struct fy_mark *e = fy_event_end_mark(ev);
        if (e) {
            line = e->line + 1;
            col = e->column + 1;
        }
        fy_parser_event_free(fyp, ev);
        if (rc)
            break;
    }
    if (!d->failed && fy_parser_get_stream_error(fyp))
        syntax_error(d, diag, line, col);
    if (d->failed) {
        /* A mapping cut off after a key counts only whole pairs: free the
         * key waiting for its value, which node_free cannot see. */
        for (size_t i = 0; i < depth; i++)
            if (stack[i].node->kind == YAMLX_MAP && stack[i].used % 2 == 1)
                node_free(stack[i].node->item[stack[i].used - 1]);
        return -1;
    }
    if (!d->root) {   /* an empty file: a null document */
        d->root = au_xcalloc(1, sizeof *d->root);
        d->root->kind = YAMLX_SCALAR;
        d->root->style = YAMLX_PLAIN;
        d->root->str = au_xstrdup("");
        d->root->line = d->root->col = 1;
    }
    return 0;
}

/*
 * YAML 1.2 (5.1, 5.2) wants UTF-8 of printable characters: TAB, LF, CR and
 * everything from U+0020 on but DEL, the C1 controls other than NEL, the
 * surrogates and U+FFFE/U+FFFF.  Checking this before libfyaml sees the text
 * gives a clear message, and also keeps libfyaml 0.7.12 from looping forever
 * on an invalid byte inside a directive.  Returns 0, or -1 with the error.
 */
static int check_text(struct yamlx_doc *d, const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    int line = 1, col = 1;
    size_t i = 0;
    if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        i = 3;   /* a byte order mark */
    while (i < len) {
        unsigned c = p[i];
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                                : (c & 0xF8) == 0xF0 ? 4 : 0;
        unsigned long cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
        bool ok = n > 0 && i + n <= len;
        for (size_t k = 1; ok && k < n; k++) {
            ok = (p[i + k] & 0xC0) == 0x80;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        /* no overlong forms, no surrogates, nothing past U+10FFFF */
        if (ok && ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
                   (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF))
            ok = false;
        if (!ok)
            return yamlx_fail_at(d, line, col, "not valid UTF-8 (byte 0x%02X)", c);
        if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F ||
            (cp >= 0x80 && cp <= 0x9F && cp != 0x85) || cp == 0xFFFE || cp == 0xFFFF)
            return yamlx_fail_at(d, line, col, "control character U+%04lX is not allowed in YAML",
                                 cp);
        if (cp == '\n') {
            line++;
            col = 1;
        } else if (cp != '\r') {
            col++;
        }
        i += n;
    }
    return 0;
}

struct yamlx_doc *yamlx_parse(const char *text, size_t len, const char *file,
                              struct au_buf *err)
{
    struct yamlx_doc *d = au_xcalloc(1, sizeof *d);
    d->file = au_xstrdup(file ? file : "<yaml>");
    d->err = err;
    d->text = text;
    d->text_len = len;
    if (check_text(d, text, len) != 0) {
        yamlx_free(d);
        return NULL;
    }

    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = diag_quiet;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (!diag) {
        fprintf(stderr, "authsink: out of memory\n");
        exit(1);
    }
    fy_diag_set_collect_errors(diag, true);

    struct fy_parse_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE;
    cfg.diag = diag;
    struct fy_parser *fyp = fy_parser_create(&cfg);
    int rc = -1;
    if (!fyp) {
        yamlx_fail_at(d, 1, 1, "cannot create a YAML parser");
    } else if (fy_parser_set_string(fyp, len ? text : "", len) != 0) {
        yamlx_fail_at(d, 1, 1, "cannot start the YAML parser");
    } else {
        rc = build(d, fyp, diag);
    }
    fy_parser_destroy(fyp);
    fy_diag_destroy(diag);
    d->text = NULL;
    d->text_len = 0;
    if (rc != 0) {
        yamlx_free(d);
        return NULL;
    }
    return d;
}

int yamlx_read_file(const char *path, size_t max, struct au_buf *out, struct au_buf *why)
{
    au_buf_reset(out);
    au_buf_reset(why);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        au_buf_puts(why, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        au_buf_puts(why, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        au_buf_puts(why, S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
        close(fd);
        return -1;
    }
    if ((unsigned long long)st.st_size > max) {
        au_buf_printf(why, "larger than %zu bytes", max);
        close(fd);
        return -1;
    }
    for (;;) {
        size_t avail = 0;
        char *p = au_buf_space(out, 4096, &avail);
        if (!p || out->len + 1 > max + 1) {
            au_buf_printf(why, "larger than %zu bytes", max);
            close(fd);
            return -1;
        }
        ssize_t r = read(fd, p, avail);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            au_buf_puts(why, strerror(errno));
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        au_buf_commit(out, (size_t)r);
        if (out->len > max) {
            au_buf_printf(why, "larger than %zu bytes", max);
            close(fd);
            return -1;
        }
    }
    close(fd);
    if (!out->data)   /* an empty file: still a NUL-terminated text */
        au_buf_puts(out, "");
    return 0;
}

struct yamlx_doc *yamlx_load(const char *path, struct au_buf *err)
{
    struct au_buf text, why;
    au_buf_init(&text, AU_BUF_NOLIMIT);
    au_buf_init(&why, AU_BUF_NOLIMIT);
    struct yamlx_doc *d = NULL;
    if (yamlx_read_file(path, YAMLX_FILE_MAX, &text, &why) != 0) {
        au_buf_reset(err);
        au_buf_printf(err, "%s:1:1: cannot read: %s", path, why.data ? why.data : "");
    } else {
        d = yamlx_parse(text.data, text.len, path, err);
    }
    au_buf_free(&text);
    au_buf_free(&why);
    return d;
}

/* ---- getters ---- */

/* True when the scalar n's text is word exactly (n->str may hold a NUL). */
static bool text_is(const struct yamlx_node *n, const char *word)
{
    return au_slice_eq(au_slice_make(n->str, n->len), word);
}

/* The pair index of key in mapping m, or -1 when absent (or m is no mapping). */
static long key_index(const struct yamlx_node *m, const char *key)
{
    if (!m || m->kind != YAMLX_MAP)
        return -1;
    for (size_t i = 0; i < m->n; i++)
        if (text_is(m->item[2 * i], key))
            return (long)i;
    return -1;
}

/* "a, b, c" of a NULL-terminated list, into buf. */
static const char *list_words(const char *const *w, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; w[i]; i++) {
        int r = snprintf(buf + o, size - o, "%s%s", i ? ", " : "", w[i]);
        if (r < 0 || (size_t)r >= size - o)
            break;
        o += (size_t)r;
    }
    return buf;
}

int yamlx_map(struct yamlx_doc *d, const struct yamlx_node *n, const char *what,
              const char *const *allowed)
{
    if (!n || n->kind != YAMLX_MAP)
        return yamlx_fail(d, n, "%s: expected a mapping, found %s", what, yamlx_describe(n));
    for (size_t i = 0; i < n->n; i++) {
        const struct yamlx_node *k = n->item[2 * i];
        bool ok = false;
        for (size_t j = 0; allowed && allowed[j] && !ok; j++)
            ok = text_is(k, allowed[j]);
        if (!ok) {
            char show[YAMLX_SHOW_MAX], words[512];
            return yamlx_fail(d, k, "unknown key '%s' in %s (allowed: %s)",
                              yamlx_show(k->str, k->len, show, sizeof show), what,
                              list_words(allowed, words, sizeof words));
        }
    }
    return 0;
}

const struct yamlx_node *yamlx_get_key(const struct yamlx_node *m, const char *key)
{
    long i = key_index(m, key);
    return i < 0 ? NULL : m->item[2 * i];
}

const struct yamlx_node *yamlx_get(const struct yamlx_node *m, const char *key)
{
    long i = key_index(m, key);
    return i < 0 ? NULL : m->item[2 * i + 1];
}

int yamlx_require(struct yamlx_doc *d, const struct yamlx_node *m, const char *what,
                  const char *key)
{
    if (yamlx_get(m, key))
        return 0;
    return yamlx_fail(d, m, "%s: missing required key '%s'", what, key);
}

int yamlx_str(struct yamlx_doc *d, const struct yamlx_node *n, const char *what,
              const char **out)
{
    if (!n || n->kind != YAMLX_SCALAR || yamlx_is_null(n))
        return yamlx_fail(d, n, "%s: expected a string, found %s", what, yamlx_describe(n));
    if (memchr(n->str, 0, n->len))
        return yamlx_fail(d, n, "%s: NUL bytes are not allowed", what);
    *out = n->str;
    return 0;
}

int yamlx_bool(struct yamlx_doc *d, const struct yamlx_node *n, const char *what, bool *out)
{
    int v = n ? bool_value(n) : -1;
    if (v < 0) {
        if (n && n->kind == YAMLX_SCALAR && !yamlx_is_null(n)) {
            char show[YAMLX_SHOW_MAX];
            return yamlx_fail(d, n, "%s: expected true or false, found '%s'", what,
                              yamlx_show(n->str, n->len, show, sizeof show));
        }
        return yamlx_fail(d, n, "%s: expected true or false, found %s", what,
                          yamlx_describe(n));
    }
    *out = v == 1;
    return 0;
}

int yamlx_int(struct yamlx_doc *d, const struct yamlx_node *n, const char *what,
              long long min, long long max, long long *out)
{
    if (!n || !is_integer(n)) {
        if (n && n->kind == YAMLX_SCALAR && !yamlx_is_null(n)) {
            char show[YAMLX_SHOW_MAX];
            return yamlx_fail(d, n, "%s: expected an integer, found '%s'", what,
                              yamlx_show(n->str, n->len, show, sizeof show));
        }
        return yamlx_fail(d, n, "%s: expected an integer, found %s", what, yamlx_describe(n));
    }
    errno = 0;
    char *end = NULL;
    long long v = strtoll(n->str, &end, 10);
    if (errno == ERANGE || v < min || v > max) {
        char show[YAMLX_SHOW_MAX];
        return yamlx_fail(d, n, "%s: %s is out of range (%lld to %lld)", what,
                          yamlx_show(n->str, n->len, show, sizeof show), min, max);
    }
    *out = v;
    return 0;
}

int yamlx_enum(struct yamlx_doc *d, const struct yamlx_node *n, const char *what,
               const char *const *names, int *out)
{
    char words[512];
    if (!n || n->kind != YAMLX_SCALAR || yamlx_is_null(n))
        return yamlx_fail(d, n, "%s: expected one of %s; found %s", what,
                          list_words(names, words, sizeof words), yamlx_describe(n));
    for (int i = 0; names[i]; i++) {
        if (text_is(n, names[i])) {
            *out = i;
            return 0;
        }
    }
    char show[YAMLX_SHOW_MAX];
    return yamlx_fail(d, n, "%s: unknown value '%s' (expected one of %s)", what,
                      yamlx_show(n->str, n->len, show, sizeof show),
                      list_words(names, words, sizeof words));
}

int yamlx_seq(struct yamlx_doc *d, const struct yamlx_node *n, const char *what, size_t max)
{
    if (!n || n->kind != YAMLX_SEQ)
        return yamlx_fail(d, n, "%s: expected a sequence, found %s", what, yamlx_describe(n));
    if (n->n > max)
        return yamlx_fail(d, n, "%s: more than %zu items", what, max);
    return 0;
}

int yamlx_strseq(struct yamlx_doc *d, const struct yamlx_node *n, const char *what,
                 size_t max)
{
    if (yamlx_seq(d, n, what, max) != 0)
        return -1;
    for (size_t i = 0; i < n->n; i++) {
        const char *s;
        if (yamlx_str(d, n->item[i], what, &s) != 0)
            return -1;
    }
    return 0;
}

int yamlx_pair(struct yamlx_doc *d, const struct yamlx_node *n, const char *what,
               const struct yamlx_node **key, const struct yamlx_node **value)
{
    if (!n || n->kind != YAMLX_MAP)
        return yamlx_fail(d, n, "%s: expected a single 'name: value' mapping, found %s", what,
                          yamlx_describe(n));
    if (n->n != 1)
        return yamlx_fail(d, n, "%s: expected exactly one 'name: value' pair, found %zu", what,
                          n->n);
    *key = n->item[0];
    *value = n->item[1];
    return 0;
}
