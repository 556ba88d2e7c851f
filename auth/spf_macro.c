/*
 * spf_macro - SPF macro strings: syntax check and expansion (see spf_macro.h).
 *
 * Public: au_spf_macro_check, au_spf_macro_uses_p, au_spf_macro_expand.
 * RFC 7208 section 7.1 (grammar: macro-string, explain-string, %%, %_, %-,
 * %{letter digits r delimiters}), 7.2 (letters; c r t only in exp text),
 * 7.3 (splitting, reversal, right-hand parts, URL escaping of uppercase
 * letters), 7.4 (i of IPv6 as dotted nibbles).
 * Limits: AU_SPF_MACRO_DIGITS_MAX; the output is bounded by the caller's
 * au_buf maximum (a 1 MB expansion is stopped there, never built).
 *
 * One walker does both jobs: with no output buffer it only checks syntax,
 * so the grammar lives in one place.
 */
#include "spf_macro.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static bool is_delim(char c)
{
    return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}

/* RFC 7208 7.1: a macro-literal (VCHAR but "%"), plus SP in explain-string. */
static bool literal_ok(unsigned char c, enum au_spf_macro_mode mode)
{
    return (c >= 0x21 && c <= 0x7e && c != '%') || (c == ' ' && mode == AU_SPF_MACRO_EXP);
}

static bool letter_known(char c, enum au_spf_macro_mode mode)
{
    switch (c | 0x20) {
    case 's':
    case 'l':
    case 'o':
    case 'd':
    case 'i':
    case 'p':
    case 'v':
    case 'h':
        return true;
    case 'c':
    case 'r':
    case 't':
        return mode != AU_SPF_MACRO_DOMAIN;
    default:
        return false;
    }
}

static void seterr(char *err, size_t errlen, const char *msg, size_t at)
{
    if (err && errlen)
        snprintf(err, errlen, "%s at offset %zu", msg, at);
}

/* The value of a letter, written into tmp when it is computed. */
static const char *letter_value(char c, const struct au_spf_macro_vars *v, char *tmp, size_t tmplen)
{
    switch (c | 0x20) {
    case 's':
        return v->sender ? v->sender : "";
    case 'l':
        return v->local ? v->local : "";
    case 'o':
        return v->sender_domain ? v->sender_domain : "";
    case 'd':
        return v->domain ? v->domain : "";
    case 'h':
        return v->helo ? v->helo : "";
    case 'p':
        return v->validated ? v->validated : "unknown";
    case 'r':
        return v->receiver && *v->receiver ? v->receiver : "unknown";
    case 't':
        snprintf(tmp, tmplen, "%llu", (unsigned long long)v->now);
        return tmp;
    case 'v':
        return v->ip && v->ip->family == AU_IP_V6 ? "ip6" : "in-addr";
    case 'c':
        if (!v->ip)
            return "";
        return au_ip_format(v->ip, tmp);
    case 'i':
        if (!v->ip)
            return "";
        if (v->ip->family == AU_IP_V4)
            return au_ip_format(v->ip, tmp);
        /* RFC 7208 7.3: IPv6 as 32 dot-separated nibbles, most significant first. */
        static const char hex[] = "0123456789abcdef";
        char *p = tmp;
        for (int k = 0; k < 16; k++) {
            *p++ = hex[v->ip->addr[k] >> 4];
            *p++ = '.';
            *p++ = hex[v->ip->addr[k] & 0xf];
            *p++ = k < 15 ? '.' : '\0';
        }
        return tmp;
    }
    return "";
}

static int put(struct au_buf *out, const char *p, size_t n)
{
    return au_buf_append(out, p, n) == 0 ? 0 : -2;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* Appends a part, URL-escaped when the letter was uppercase (RFC 7208 7.3). */
static int put_part(struct au_buf *out, const char *p, size_t n, bool escape)
{
    if (!escape)
        return put(out, p, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (unreserved(c)) {
            if (put(out, p + i, 1))
                return -2;
        } else {
            char e[4];
            snprintf(e, sizeof e, "%%%02X", c);
            if (put(out, e, 3))
                return -2;
        }
    }
    return 0;
}

/* Expands one %{...} given its letter, digits, reversal and delimiter set. */
static int expand_one(char letter, unsigned digits, bool reverse, const char *delims,
                      size_t ndelims, const struct au_spf_macro_vars *v, struct au_buf *out)
{
    char tmp[80];
    const char *val = letter_value(letter, v, tmp, sizeof tmp);
    size_t len = strlen(val);
    bool escape = letter >= 'A' && letter <= 'Z';
    if (ndelims == 0) {
        delims = ".";
        ndelims = 1;
    }
    /* Split once into parts: a value with k delimiters has k + 1 parts. */
    size_t nparts = 1;
    for (size_t i = 0; i < len; i++)
        if (memchr(delims, val[i], ndelims))
            nparts++;
    size_t *start = au_xcalloc(nparts + 1, sizeof *start);
    size_t k = 1;
    for (size_t i = 0; i < len; i++)
        if (memchr(delims, val[i], ndelims))
            start[k++] = i + 1;
    start[nparts] = len + 1; /* a virtual delimiter after the end */
    /* Parts are taken in order (reversed or not); only the rightmost keep survive. */
    size_t keep = digits && digits < nparts ? digits : nparts;
    int r = 0;
    for (size_t idx = nparts - keep; idx < nparts && r == 0; idx++) {
        size_t pi = reverse ? nparts - 1 - idx : idx;
        if (idx > nparts - keep && put(out, ".", 1)) {
            r = -2;
            break;
        }
        r = put_part(out, val + start[pi], start[pi + 1] - 1 - start[pi], escape);
    }
    free(start);
    return r;
}

/* Walks s; out == NULL checks only. */
static int walk(struct au_slice s, enum au_spf_macro_mode mode, const struct au_spf_macro_vars *v,
                struct au_buf *out, char *err, size_t errlen)
{
    const char *p = s.ptr;
    size_t n = s.len;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)p[i];
        if (c != '%') {
            if (!literal_ok(c, mode)) {
                seterr(err, errlen, c >= 0x80 ? "non-ASCII byte" : "invalid character", i);
                return -1;
            }
            size_t j = i + 1;
            while (j < n && literal_ok((unsigned char)p[j], mode))
                j++;
            if (out && put(out, p + i, j - i))
                return -2;
            i = j;
            continue;
        }
        if (i + 1 >= n) {
            seterr(err, errlen, "'%' at end of macro string", i);
            return -1;
        }
        char d = p[i + 1];
        if (d == '%' || d == '_' || d == '-') {
            const char *rep = d == '%' ? "%" : d == '_' ? " " : "%20";
            if (out && put(out, rep, strlen(rep)))
                return -2;
            i += 2;
            continue;
        }
        if (d != '{') {
            seterr(err, errlen, "'%' not followed by '{', '%', '_' or '-'", i);
            return -1;
        }
        size_t j = i + 2;
        if (j >= n || !letter_known(p[j], mode)) {
            seterr(err, errlen,
                   j < n && letter_known(p[j], AU_SPF_MACRO_EXP)
                       ? "macro letter allowed only in exp text"
                       : "unknown macro letter",
                   j);
            return -1;
        }
        char letter = p[j++];
        unsigned digits = 0;
        bool have_digits = false;
        while (j < n && p[j] >= '0' && p[j] <= '9') {
            have_digits = true;
            digits = digits * 10 + (unsigned)(p[j++] - '0');
            if (digits > AU_SPF_MACRO_DIGITS_MAX)
                digits = AU_SPF_MACRO_DIGITS_MAX;
        }
        if (have_digits && digits == 0) {
            seterr(err, errlen, "macro transformer digits must be nonzero", j);
            return -1;
        }
        bool reverse = false;
        if (j < n && (p[j] == 'r' || p[j] == 'R')) {
            reverse = true;
            j++;
        }
        size_t dstart = j;
        while (j < n && is_delim(p[j]))
            j++;
        if (j >= n || p[j] != '}') {
            seterr(err, errlen, "unterminated or malformed macro", i);
            return -1;
        }
        if (out) {
            int r = expand_one(letter, digits, reverse, p + dstart, j - dstart, v, out);
            if (r)
                return r;
        }
        i = j + 1;
    }
    return 0;
}

int au_spf_macro_check(struct au_slice s, enum au_spf_macro_mode mode, char *err, size_t errlen)
{
    return walk(s, mode, NULL, NULL, err, errlen);
}

bool au_spf_macro_uses_p(struct au_slice s)
{
    for (size_t i = 0; i + 2 < s.len; i++) {
        if (s.ptr[i] != '%')
            continue;
        if (s.ptr[i + 1] == '{' && (s.ptr[i + 2] | 0x20) == 'p')
            return true;
        i++; /* skip the escaped character of %%, %_, %- (and the '{') */
    }
    return false;
}

int au_spf_macro_expand(struct au_slice s, enum au_spf_macro_mode mode,
                        const struct au_spf_macro_vars *v, struct au_buf *out)
{
    return walk(s, mode, v, out, NULL, 0);
}
