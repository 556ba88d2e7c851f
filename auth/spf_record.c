/*
 * spf_record - parse one SPF record into terms (see spf_record.h).
 *
 * Public: au_spf_record_is_spf, au_spf_record_parse, au_spf_record_free,
 * au_spf_mech_name, au_spf_record_check_domain_spec.
 * RFC 7208: 4.5 (version), 4.6.1 (terms separated by one or more SP, a
 * trailing SP allowed), 5.1-5.7 (mechanism grammars, dual-cidr-length,
 * ip4-network without leading zeros, CIDR ranges), 6 (redirect and exp at
 * most once each; unknown modifiers need a valid name and macro-string),
 * 7.1 (domain-spec: macro-string ending in a macro or "." toplabel), and the
 * erratum that makes "unknown-modifier" not match the names redirect and exp.
 * Limits: AU_SPF_RECORD_MAX bytes of text; terms are bounded by the text.
 *
 * The whole record is checked before any term is evaluated (4.6: a syntax
 * error anywhere is a permerror, even after a matching mechanism).
 */
#include "spf_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spf_macro.h"
#include "xalloc.h"

#define TERM_SHOW_MAX 40 /* bytes of a bad term quoted in an error message */

static const char *const mech_names[] = {
    [AU_SPF_MECH_ALL] = "all", [AU_SPF_MECH_INCLUDE] = "include", [AU_SPF_MECH_A] = "a",
    [AU_SPF_MECH_MX] = "mx",   [AU_SPF_MECH_PTR] = "ptr",         [AU_SPF_MECH_IP4] = "ip4",
    [AU_SPF_MECH_IP6] = "ip6", [AU_SPF_MECH_EXISTS] = "exists",
};

const char *au_spf_mech_name(enum au_spf_mech m)
{
    return (unsigned)m < sizeof mech_names / sizeof mech_names[0] ? mech_names[m] : "?";
}

bool au_spf_record_is_spf(struct au_slice txt)
{
    return txt.len >= 6 && au_slice_prefix_ci(txt, "v=spf1") && (txt.len == 6 || txt.ptr[6] == ' ');
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static bool is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

/* Writes "what 'term'" into err, the term shown with unprintable bytes escaped. */
static void term_err(char *err, size_t errlen, const char *what, struct au_slice t)
{
    char show[TERM_SHOW_MAX * 4 + 4];
    size_t o = 0;
    for (size_t i = 0; i < t.len && i < TERM_SHOW_MAX; i++) {
        unsigned char c = (unsigned char)t.ptr[i];
        if (c >= 0x20 && c < 0x7f)
            show[o++] = (char)c;
        else
            o += (size_t)sprintf(show + o, "\\x%02X", c);
    }
    if (t.len > TERM_SHOW_MAX)
        o += (size_t)sprintf(show + o, "...");
    show[o] = '\0';
    snprintf(err, errlen, "%s '%s'", what, show);
}

/* The last c in p[0..n), or NULL. */
static const char *last_of(const char *p, size_t n, char c)
{
    while (n-- > 0)
        if (p[n] == c)
            return p + n;
    return NULL;
}

/* RFC 7208 7.1: toplabel = ( *alphanum ALPHA *alphanum ) /
 *                          ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool toplabel_ok(const char *p, size_t n)
{
    if (n == 0 || !is_alnum(p[0]) || !is_alnum(p[n - 1]))
        return false;
    bool alpha = false, dash = false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '-')
            dash = true;
        else if (is_alpha(p[i]))
            alpha = true;
        else if (!is_digit(p[i]))
            return false;
    }
    return alpha || dash;
}

int au_spf_record_check_domain_spec(struct au_slice spec, char *err, size_t errlen)
{
    if (spec.len == 0) {
        snprintf(err, errlen, "empty domain-spec");
        return -1;
    }
    char merr[96];
    if (au_spf_macro_check(spec, AU_SPF_MACRO_DOMAIN, merr, sizeof merr) < 0) {
        snprintf(err, errlen, "%s", merr);
        return -1;
    }
    /* Find where the literal tail begins: just after the last macro-expand. */
    size_t tail = 0;
    for (size_t i = 0; i < spec.len; i++) {
        if (spec.ptr[i] != '%')
            continue;
        if (spec.ptr[i + 1] == '{') {
            const char *close = memchr(spec.ptr + i, '}', spec.len - i);
            i = (size_t)(close - spec.ptr); /* the syntax check guarantees the brace */
        } else {
            i++;
        }
        tail = i + 1;
    }
    if (tail == spec.len)
        return 0; /* domain-end = macro-expand */
    const char *p = spec.ptr + tail;
    size_t n = spec.len - tail;
    if (p[n - 1] == '.')
        n--; /* domain-end allows one trailing dot */
    const char *dot = last_of(p, n, '.');
    if (!dot || !toplabel_ok(dot + 1, (size_t)(p + n - dot - 1))) {
        snprintf(err, errlen, "domain-spec must end in a macro or '.' and a valid top label");
        return -1;
    }
    return 0;
}

/* Parses a CIDR length of the given family in p[0..n) (digits only). Returns
 * the length, or -1 (leading zero, out of range). */
static int cidr_value(const char *p, size_t n, int max)
{
    if (n == 0 || n > 3 || (n > 1 && p[0] == '0'))
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v <= max ? v : -1;
}

static bool all_digits(const char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(p[i]))
            return false;
    return true;
}

/* Splits an optional trailing "/N" (want4) and "//M" (want6) off s. Returns
 * the length of what precedes them, or -1 on a bad CIDR length. */
static long split_cidr(struct au_slice s, bool want4, bool want6, int *c4, int *c6)
{
    size_t end = s.len;
    *c4 = *c6 = -1;
    if (want6) {
        const char *slash = last_of(s.ptr, end, '/');
        if (slash && slash > s.ptr && slash[-1] == '/' &&
            all_digits(slash + 1, (size_t)(s.ptr + end - slash - 1))) {
            *c6 = cidr_value(slash + 1, (size_t)(s.ptr + end - slash - 1), 128);
            if (*c6 < 0)
                return -1;
            end = (size_t)(slash - 1 - s.ptr);
        }
    }
    if (want4) {
        const char *slash = last_of(s.ptr, end, '/');
        if (slash && all_digits(slash + 1, (size_t)(s.ptr + end - slash - 1)) &&
            !(slash > s.ptr && slash[-1] == '/' && !want6)) {
            *c4 = cidr_value(slash + 1, (size_t)(s.ptr + end - slash - 1), 32);
            if (*c4 < 0)
                return -1;
            end = (size_t)(slash - s.ptr);
        }
    }
    return (long)end;
}

static int lookup_mech(struct au_slice name, enum au_spf_mech *m)
{
    for (unsigned i = 0; i < sizeof mech_names / sizeof mech_names[0]; i++)
        if (au_slice_eq_ci(name, mech_names[i])) {
            *m = (enum au_spf_mech)i;
            return 0;
        }
    return -1;
}

/* Checks the domain-spec of term; on error writes "<why> in '<term>'" into err.
 * Returns 0 or -1. */
static int check_spec(struct au_slice spec, struct au_slice term, char *err, size_t errlen)
{
    char derr[128], what[160];
    if (au_spf_record_check_domain_spec(spec, derr, sizeof derr) == 0)
        return 0;
    snprintf(what, sizeof what, "%s in", derr);
    term_err(err, errlen, what, term);
    return -1;
}

/* Parses the part of a mechanism after its name. Returns 0 or -1 (err set). */
static int parse_mech_args(struct au_spf_term *t, struct au_slice rest, char *err, size_t errlen)
{
    switch (t->mech) {
    case AU_SPF_MECH_ALL:
        if (rest.len) {
            term_err(err, errlen, "'all' takes no argument:", t->text);
            return -1;
        }
        return 0;
    case AU_SPF_MECH_INCLUDE:
    case AU_SPF_MECH_EXISTS:
        if (rest.len == 0 || rest.ptr[0] != ':') {
            term_err(err, errlen, "mechanism needs ':' and a domain:", t->text);
            return -1;
        }
        t->spec = au_slice_make(rest.ptr + 1, rest.len - 1);
        break;
    case AU_SPF_MECH_PTR:
        if (rest.len == 0)
            return 0;
        if (rest.ptr[0] != ':') {
            term_err(err, errlen, "bad argument to ptr:", t->text);
            return -1;
        }
        t->spec = au_slice_make(rest.ptr + 1, rest.len - 1);
        break;
    case AU_SPF_MECH_A:
    case AU_SPF_MECH_MX: {
        bool has_spec = rest.len && rest.ptr[0] == ':';
        if (!has_spec && rest.len && rest.ptr[0] != '/') {
            term_err(err, errlen, "bad argument:", t->text);
            return -1;
        }
        struct au_slice s = has_spec ? au_slice_make(rest.ptr + 1, rest.len - 1) : rest;
        long end = split_cidr(s, true, true, &t->cidr4, &t->cidr6);
        if (end < 0) {
            term_err(err, errlen, "invalid CIDR length in", t->text);
            return -1;
        }
        if (!has_spec) {
            if (end != 0) {
                term_err(err, errlen, "invalid dual-cidr-length in", t->text);
                return -1;
            }
            return 0;
        }
        t->spec = au_slice_make(s.ptr, (size_t)end);
        if (t->spec.len == 0) {
            term_err(err, errlen, "empty domain-spec in", t->text);
            return -1;
        }
        break;
    }
    case AU_SPF_MECH_IP4:
    case AU_SPF_MECH_IP6: {
        bool v4 = t->mech == AU_SPF_MECH_IP4;
        if (rest.len < 2 || rest.ptr[0] != ':') {
            term_err(err, errlen, "mechanism needs ':' and an address:", t->text);
            return -1;
        }
        struct au_slice s = au_slice_make(rest.ptr + 1, rest.len - 1);
        /* ip6 addresses contain no '/', so the last '/' starts the CIDR length. */
        const char *slash = memchr(s.ptr, '/', s.len);
        size_t alen = slash ? (size_t)(slash - s.ptr) : s.len;
        if (slash) {
            int c = cidr_value(slash + 1, (size_t)(s.ptr + s.len - slash - 1), v4 ? 32 : 128);
            if (c < 0) {
                term_err(err, errlen, "invalid CIDR length in", t->text);
                return -1;
            }
            if (v4)
                t->cidr4 = c;
            else
                t->cidr6 = c;
        }
        int r = v4 ? au_ip_parse4(s.ptr, alen, &t->ip) : au_ip_parse6(s.ptr, alen, &t->ip);
        if (r < 0) {
            term_err(err, errlen, v4 ? "invalid ip4 address in" : "invalid ip6 address in",
                     t->text);
            return -1;
        }
        t->spec = au_slice_make(s.ptr, alen);
        return 0;
    }
    }
    return check_spec(t->spec, t->text, err, errlen);
}

static int parse_term(struct au_spf_record *rec, struct au_spf_term *t, char *err, size_t errlen)
{
    struct au_slice s = t->text;
    size_t i = 0;
    bool has_q = false;
    t->qualifier = '+';
    t->cidr4 = t->cidr6 = -1;
    if (s.ptr[0] == '+' || s.ptr[0] == '-' || s.ptr[0] == '~' || s.ptr[0] == '?') {
        t->qualifier = s.ptr[0];
        has_q = true;
        i = 1;
    }
    size_t nstart = i;
    if (i < s.len && is_alpha(s.ptr[i])) {
        i++;
        while (i < s.len &&
               (is_alnum(s.ptr[i]) || s.ptr[i] == '-' || s.ptr[i] == '_' || s.ptr[i] == '.'))
            i++;
    }
    t->name = au_slice_make(s.ptr + nstart, i - nstart);
    if (i < s.len && s.ptr[i] == '=') {
        if (has_q || t->name.len == 0) {
            term_err(err, errlen, "invalid modifier", s);
            return -1;
        }
        t->spec = au_slice_make(s.ptr + i + 1, s.len - i - 1);
        bool redirect = au_slice_eq_ci(t->name, "redirect");
        if (redirect || au_slice_eq_ci(t->name, "exp")) {
            int *slot = redirect ? &rec->redirect : &rec->exp;
            if (*slot >= 0) {
                term_err(err, errlen, redirect ? "redirect= given twice:" : "exp= given twice:", s);
                return -1;
            }
            if (check_spec(t->spec, s, err, errlen) < 0)
                return -1;
            t->type = redirect ? AU_SPF_TERM_REDIRECT : AU_SPF_TERM_EXP;
            *slot = (int)(t - rec->terms);
            return 0;
        }
        if (au_spf_macro_check(t->spec, AU_SPF_MACRO_MODIFIER, NULL, 0) < 0) {
            term_err(err, errlen, "invalid macro-string in modifier", s);
            return -1;
        }
        t->type = AU_SPF_TERM_UNKNOWN;
        return 0;
    }
    if (t->name.len == 0 || lookup_mech(t->name, &t->mech) < 0) {
        term_err(err, errlen, "unknown mechanism", s);
        return -1;
    }
    t->type = AU_SPF_TERM_MECH;
    return parse_mech_args(t, au_slice_make(s.ptr + i, s.len - i), err, errlen);
}

struct au_spf_record *au_spf_record_parse(const char *text, size_t len, char *err, size_t errlen)
{
    if (len > AU_SPF_RECORD_MAX) {
        snprintf(err, errlen, "record longer than %d bytes", AU_SPF_RECORD_MAX);
        return NULL;
    }
    if (!au_spf_record_is_spf(au_slice_make(text, len))) {
        snprintf(err, errlen, "not an SPF version 1 record");
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c > 0x7e) {
            snprintf(err, errlen, "%s byte 0x%02X at offset %zu",
                     c >= 0x80 ? "non-ASCII" : "control", c, i);
            return NULL;
        }
    }
    struct au_spf_record *rec = au_xcalloc(1, sizeof *rec);
    rec->text = au_xstrndup(text, len);
    rec->len = len;
    rec->redirect = rec->exp = -1;
    size_t cap = 0;
    for (size_t i = 6; i < len;) {
        if (rec->text[i] == ' ') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && rec->text[j] != ' ')
            j++;
        if (rec->nterms == cap) {
            cap = cap ? cap * 2 : 8;
            rec->terms = au_xrealloc(rec->terms, cap * sizeof *rec->terms);
        }
        struct au_spf_term *t = &rec->terms[rec->nterms++];
        memset(t, 0, sizeof *t);
        t->text = au_slice_make(rec->text + i, j - i);
        if (parse_term(rec, t, err, errlen) < 0) {
            au_spf_record_free(rec);
            return NULL;
        }
        i = j;
    }
    return rec;
}

void au_spf_record_free(struct au_spf_record *rec)
{
    if (!rec)
        return;
    free(rec->terms);
    free(rec->text);
    free(rec);
}
