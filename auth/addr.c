/*
 * addr - RFC 5322 address-list parser, domain check, msg-id check.
 *
 * Public: au_addr_parse_list, au_addr_domain_valid, au_addr_msgid_valid.
 * RFC 5322 sections 3.2 (lexical tokens), 3.4 (addresses), 3.6.4 (msg-id),
 * 4.4 (obsolete addressing); RFC 6532 section 3.2 (UTF-8 in atext, qtext,
 * dtext).  Limits: AU_ADDR_MAX, AU_ADDR_COMMENT_DEPTH, AU_ADDR_DOMAIN_MAX.
 *
 * A small lexer turns the body into words (atoms, quoted strings, domain
 * literals) and the specials < > : ; @ , . with CFWS skipped between them;
 * a recursive-descent parser without recursion (groups do not nest) reads
 * the list.  Everything is bounded by the input length: one pass, no
 * backtracking, no allocation.
 */
#include "addr.h"

#include <string.h>

struct lex {
    const char *p;
    size_t n;
    size_t i;
    bool err;
};

enum tok_kind { T_END, T_ATOM, T_QSTR, T_DLIT, T_SPECIAL, T_ERR };

struct tok {
    enum tok_kind kind;
    char ch;      /* the special */
    size_t start; /* the token's bytes: [start, end) */
    size_t end;
};

static bool is_atext(unsigned char c)
{
    if (c >= 0x80)
        return true; /* RFC 6532 UTF8-non-ascii */
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool is_wsp(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* obs-NO-WS-CTL (RFC 5322 4.1), tolerated inside quoted strings and comments. */
static bool is_obs_ctl(unsigned char c)
{
    return (c >= 1 && c <= 8) || c == 11 || c == 12 || (c >= 14 && c <= 31) || c == 127;
}

/* Skips FWS and comments. Sets err on an unterminated or too deep comment. */
static void skip_cfws(struct lex *l)
{
    while (l->i < l->n) {
        unsigned char c = (unsigned char)l->p[l->i];
        if (is_wsp(c) || c == '\r' || c == '\n') {
            l->i++;
            continue;
        }
        if (c != '(')
            return;
        int depth = 0;
        while (l->i < l->n) {
            c = (unsigned char)l->p[l->i];
            if (c == '\\') {
                if (l->i + 1 >= l->n)
                    break;
                l->i += 2;
                continue;
            }
            l->i++;
            if (c == '(') {
                if (++depth > AU_ADDR_COMMENT_DEPTH) {
                    l->err = true;
                    return;
                }
            } else if (c == ')') {
                if (--depth == 0)
                    break;
            } else if (c == 0) {
                l->err = true;
                return;
            }
        }
        if (depth != 0) {
            l->err = true;
            return;
        }
    }
}

/* A quoted string or a domain literal from the opening character on. */
static bool scan_quoted(struct lex *l, char close)
{
    l->i++; /* the opening '"' or '[' */
    while (l->i < l->n) {
        unsigned char c = (unsigned char)l->p[l->i];
        if (c == (unsigned char)close) {
            l->i++;
            return true;
        }
        if (c == '\\') {
            if (l->i + 1 >= l->n)
                return false;
            l->i += 2;
            continue;
        }
        if (c == 0)
            return false;
        if (close == ']' && (c == '[' || c == '"'))
            return false; /* dtext excludes [ ] \ */
        if (c < 0x20 && !is_wsp(c) && c != '\r' && c != '\n' && !is_obs_ctl(c))
            return false;
        l->i++;
    }
    return false;
}

static struct tok next(struct lex *l)
{
    struct tok t = {T_END, 0, 0, 0};
    skip_cfws(l);
    if (l->err) {
        t.kind = T_ERR;
        return t;
    }
    t.start = l->i;
    if (l->i >= l->n) {
        t.end = l->i;
        return t;
    }
    unsigned char c = (unsigned char)l->p[l->i];
    if (is_atext(c)) {
        while (l->i < l->n && is_atext((unsigned char)l->p[l->i]))
            l->i++;
        t.kind = T_ATOM;
    } else if (c == '"' || c == '[') {
        t.kind = scan_quoted(l, c == '"' ? '"' : ']') ? (c == '"' ? T_QSTR : T_DLIT) : T_ERR;
    } else if (strchr("<>:;@,.", c)) {
        l->i++;
        t.kind = T_SPECIAL;
        t.ch = (char)c;
    } else {
        t.kind = T_ERR;
    }
    t.end = l->i;
    return t;
}

static struct tok peek(struct lex *l)
{
    size_t save = l->i;
    bool err = l->err;
    struct tok t = next(l);
    l->i = save;
    l->err = err;
    return t;
}

static bool is_special(struct tok t, char ch)
{
    return t.kind == T_SPECIAL && t.ch == ch;
}

static bool is_word(struct tok t)
{
    return t.kind == T_ATOM || t.kind == T_QSTR;
}

static struct au_slice span(const struct lex *l, size_t start, size_t end)
{
    return au_slice_make(l->p + start, end - start);
}

/*
 * A run of words and dots: a display name (obs-phrase) or a local part
 * (word *("." word)).  Reports where it lies and whether it has the shape
 * of a local part.
 */
struct phrase {
    size_t start, end;
    size_t words;
    size_t tokens; /* words and dots */
    bool local_ok; /* word *("." word) */
    bool starts_word;
};

static void read_phrase(struct lex *l, struct phrase *ph)
{
    memset(ph, 0, sizeof *ph);
    bool want_word = true;
    ph->local_ok = true;
    for (;;) {
        struct tok t = peek(l);
        if (is_word(t)) {
            if (!want_word)
                ph->local_ok = false; /* two words without a dot */
            if (ph->tokens == 0)
                ph->starts_word = true;
            ph->words++;
            want_word = false;
        } else if (is_special(t, '.')) {
            if (want_word)
                ph->local_ok = false; /* leading or doubled dot */
            want_word = true;
        } else {
            if (want_word && ph->tokens != 0)
                ph->local_ok = false; /* trailing dot */
            return;
        }
        next(l);
        if (ph->tokens++ == 0)
            ph->start = t.start;
        ph->end = t.end;
    }
}

/* domain = dot-atom / domain-literal / obs-domain (atom *("." atom)). */
static bool read_domain(struct lex *l, size_t *start, size_t *end)
{
    struct tok t = next(l);
    *start = t.start;
    if (t.kind == T_DLIT) {
        *end = t.end;
        return true;
    }
    if (t.kind != T_ATOM)
        return false;
    *end = t.end;
    while (is_special(peek(l), '.')) {
        next(l);
        t = next(l);
        if (t.kind != T_ATOM)
            return false;
        *end = t.end;
    }
    return true;
}

/* addr-spec after its local part was read: "@" domain. */
static bool read_at_domain(struct lex *l, struct au_addr *a)
{
    if (!is_special(next(l), '@'))
        return false;
    size_t ds, de;
    if (!read_domain(l, &ds, &de))
        return false;
    a->domain = span(l, ds, de);
    return true;
}

/* obs-route = obs-domain-list ":"; obs-domain-list = *(CFWS / ",") "@" domain
 * *("," [CFWS] ["@" domain]).  Called with the next token "@" or ",". */
static bool read_route(struct lex *l)
{
    while (is_special(peek(l), ','))
        next(l);
    if (!is_special(next(l), '@'))
        return false;
    size_t ds, de;
    if (!read_domain(l, &ds, &de))
        return false;
    while (is_special(peek(l), ',')) {
        next(l);
        if (is_special(peek(l), '@')) {
            next(l);
            if (!read_domain(l, &ds, &de))
                return false;
        }
    }
    return is_special(next(l), ':');
}

/* angle-addr = "<" [obs-route] addr-spec ">", the "<" already read. */
static bool read_angle(struct lex *l, struct au_addr *a)
{
    struct tok t = peek(l);
    if (is_special(t, '@') || is_special(t, ',')) {
        if (!read_route(l))
            return false;
    }
    struct phrase lp;
    read_phrase(l, &lp);
    if (lp.words == 0 || !lp.local_ok)
        return false;
    a->local = span(l, lp.start, lp.end);
    if (!read_at_domain(l, a))
        return false;
    return is_special(next(l), '>');
}

static void add(struct au_addr_list *out, const struct au_addr *a)
{
    if (out->count < AU_ADDR_MAX)
        out->addr[out->count] = *a;
    out->count++;
}

/*
 * mailbox = name-addr / addr-spec.  With allow_group, a phrase followed by
 * ":" opens a group, whose mailboxes are read here (groups do not nest).
 */
static bool read_address(struct lex *l, struct au_addr_list *out, bool allow_group, bool in_group)
{
    struct au_addr a;
    memset(&a, 0, sizeof a);
    a.display = a.local = a.domain = au_slice_make(l->p, 0); /* empty, never NULL */
    a.in_group = in_group;
    struct phrase ph;
    read_phrase(l, &ph);
    struct tok t = peek(l);

    if (is_special(t, '<')) {
        if (ph.tokens > 0 && !ph.starts_word)
            return false; /* a display name starts with a word */
        if (ph.words > 0)
            a.display = span(l, ph.start, ph.end);
        next(l);
        if (!read_angle(l, &a))
            return false;
        add(out, &a);
        return true;
    }
    if (is_special(t, '@')) {
        if (ph.words == 0 || !ph.local_ok)
            return false;
        a.local = span(l, ph.start, ph.end);
        if (!read_at_domain(l, &a))
            return false;
        add(out, &a);
        return true;
    }
    if (is_special(t, ':') && allow_group && ph.words > 0 && ph.starts_word) {
        next(l);
        out->groups++;
        /* group-list = mailbox-list / CFWS / obs-group-list; then ";". */
        for (;;) {
            t = peek(l);
            if (is_special(t, ';')) {
                next(l);
                return true;
            }
            if (is_special(t, ',')) {
                next(l); /* obs-mbox-list: empty elements */
                continue;
            }
            if (!read_address(l, out, false, true))
                return false;
            t = peek(l);
            if (is_special(t, ','))
                next(l);
            else if (!is_special(t, ';'))
                return false;
        }
    }
    return false;
}

enum au_addr_status au_addr_parse_list(struct au_slice body, struct au_addr_list *out)
{
    memset(out, 0, sizeof *out);
    struct lex l = {body.ptr ? body.ptr : "", body.len, 0, false};
    for (;;) {
        struct tok t = peek(&l);
        if (t.kind == T_END)
            return AU_ADDR_OK;
        if (t.kind == T_ERR)
            return AU_ADDR_SYNTAX;
        if (is_special(t, ',')) {
            next(&l); /* obs-addr-list: empty elements */
            continue;
        }
        if (!read_address(&l, out, true, false))
            return AU_ADDR_SYNTAX;
        t = peek(&l);
        if (t.kind == T_END)
            return AU_ADDR_OK;
        if (!is_special(t, ','))
            return AU_ADDR_SYNTAX;
        next(&l);
    }
}

bool au_addr_domain_valid(struct au_slice s)
{
    if (s.len == 0 || s.len > AU_ADDR_DOMAIN_MAX)
        return false;
    size_t labels = 0, i = 0;
    bool top_all_digits = false;
    while (i <= s.len) {
        size_t start = i;
        bool digits = true;
        while (i < s.len && s.ptr[i] != '.') {
            unsigned char c = (unsigned char)s.ptr[i];
            bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            if (!alnum && c != '-' && c < 0x80)
                return false;
            if (!(c >= '0' && c <= '9'))
                digits = false;
            i++;
        }
        size_t len = i - start;
        if (len == 0 || len > AU_ADDR_LABEL_MAX)
            return false;
        if (s.ptr[start] == '-' || s.ptr[i - 1] == '-')
            return false;
        labels++;
        top_all_digits = digits;
        i++; /* past the dot, or past the end */
    }
    return labels >= 2 && !top_all_digits;
}

/* dot-atom-text = 1*atext *("." 1*atext); returns the end, or start on failure. */
static size_t scan_dot_atom_text(const char *p, size_t n, size_t i)
{
    size_t start = i;
    for (;;) {
        size_t run = i;
        while (i < n && is_atext((unsigned char)p[i]))
            i++;
        if (i == run)
            return start;
        if (i < n && p[i] == '.' && i + 1 < n && is_atext((unsigned char)p[i + 1])) {
            i++;
            continue;
        }
        return i;
    }
}

bool au_addr_msgid_valid(struct au_slice body)
{
    struct lex l = {body.ptr ? body.ptr : "", body.len, 0, false};
    skip_cfws(&l);
    if (l.err || l.i >= l.n || l.p[l.i] != '<')
        return false;
    l.i++;
    /* id-left */
    size_t e;
    if (l.i < l.n && l.p[l.i] == '"') {
        if (!scan_quoted(&l, '"'))
            return false;
    } else {
        e = scan_dot_atom_text(l.p, l.n, l.i);
        if (e == l.i)
            return false;
        l.i = e;
    }
    if (l.i >= l.n || l.p[l.i] != '@')
        return false;
    l.i++;
    /* id-right */
    if (l.i < l.n && l.p[l.i] == '[') {
        l.i++;
        while (l.i < l.n && l.p[l.i] != ']') {
            unsigned char c = (unsigned char)l.p[l.i];
            if (!((c >= 33 && c <= 90) || (c >= 94 && c <= 126) || c >= 0x80))
                return false; /* no-fold-literal: dtext only */
            l.i++;
        }
        if (l.i >= l.n)
            return false;
        l.i++;
    } else {
        e = scan_dot_atom_text(l.p, l.n, l.i);
        if (e == l.i)
            return false;
        l.i = e;
    }
    if (l.i >= l.n || l.p[l.i] != '>')
        return false;
    l.i++;
    skip_cfws(&l);
    return !l.err && l.i == l.n;
}
