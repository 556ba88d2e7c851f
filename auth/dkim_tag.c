/*
 * dkim_tag - DKIM tag lists, signatures and key records.
 *
 * Public: au_dkim_tag_parse, au_dkim_tag_base64, au_dkim_tag_alg,
 * au_dkim_tag_alg_name, au_dkim_tag_alg_hash, au_dkim_tag_sig_parse,
 * au_dkim_tag_key_parse, au_dkim_tag_domain_ok.
 *
 * RFC 6376 sections 3.2 (tag=value lists), 3.5 (the DKIM-Signature tags),
 * 3.6.1 (key records), 2.11 (dkim-quoted-printable, for i=); RFC 8463 for
 * ed25519; RFC 8301 names rsa-sha1 (whether it is accepted is policy, in
 * dkim.c).
 *
 * Everything peer-controlled is bounded: AU_DKIM_TAGS_MAX tags,
 * AU_DKIM_SIG_BYTES_MAX bytes of b=, AU_DKIM_HNAMES_MAX names in h=,
 * AU_DKIM_IDENTITY_MAX bytes of i=.  Errors are reasons, never aborts.
 */
#include "dkim_tag.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static bool is_fws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static struct au_slice trim_fws(struct au_slice s)
{
    while (s.len > 0 && is_fws(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && is_fws(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

int au_dkim_tag_parse(struct au_slice text, struct au_dkim_tag *tags, size_t max, size_t *n,
                      char *err, size_t errlen)
{
    size_t pos = 0, count = 0;
    *n = 0;
    while (pos <= text.len) {
        const char *semi = pos < text.len ? memchr(text.ptr + pos, ';', text.len - pos) : NULL;
        size_t end = semi ? (size_t)(semi - text.ptr) : text.len;
        struct au_slice spec = trim_fws(au_slice_make(text.ptr + pos, end - pos));
        if (spec.len == 0) {
            /* Only the last spec may be empty (a trailing ';'), RFC 6376 3.2. */
            if (end < text.len || count == 0) {
                seterr(err, errlen, "empty tag in tag list");
                return -1;
            }
            break;
        }
        const char *eq = memchr(spec.ptr, '=', spec.len);
        if (eq == NULL) {
            seterr(err, errlen, "tag without '=': %.*s", (int)(spec.len > 20 ? 20 : spec.len),
                   spec.ptr);
            return -1;
        }
        struct au_slice name = trim_fws(au_slice_make(spec.ptr, (size_t)(eq - spec.ptr)));
        if (name.len == 0 || !is_alpha(name.ptr[0])) {
            seterr(err, errlen, "bad tag name");
            return -1;
        }
        for (size_t i = 1; i < name.len; i++)
            if (!is_alpha(name.ptr[i]) && !is_digit(name.ptr[i]) && name.ptr[i] != '_') {
                seterr(err, errlen, "bad tag name");
                return -1;
            }
        size_t voff = (size_t)(eq + 1 - text.ptr);
        struct au_slice value = trim_fws(au_slice_make(eq + 1, text.ptr + end - (eq + 1)));
        for (size_t i = 0; i < value.len; i++) {
            unsigned char ch = (unsigned char)value.ptr[i];
            if ((ch < 0x21 && !is_fws((char)ch)) || ch == 0x7f) {
                seterr(err, errlen, "control character in tag %.*s=", (int)name.len, name.ptr);
                return -1;
            }
        }
        for (size_t i = 0; i < count; i++)
            if (tags[i].name.len == name.len && memcmp(tags[i].name.ptr, name.ptr, name.len) == 0) {
                seterr(err, errlen, "duplicate tag %.*s=", (int)name.len, name.ptr);
                return -1;
            }
        if (count >= max) {
            seterr(err, errlen, "more than %zu tags", max);
            return -1;
        }
        tags[count].name = name;
        tags[count].value = value;
        tags[count].voff = voff;
        tags[count].vend = end;
        count++;
        pos = end + 1;
    }
    *n = count;
    return 0;
}

/* What each byte is to base64 (RFC 4648 section 4): its 6-bit value, or
 * one of the codes below.  A table, because b= and bh= are decoded for
 * every message and their characters are random: tests on ranges would
 * mispredict at almost every byte. */
#define B64_PAD 64  /* '=' */
#define B64_FWS 65  /* folding white space, ignored (RFC 6376 3.5 b=, bh=) */
#define B64_BAD 255 /* anything else */
#define B64_ROW_BAD B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD
/* clang-format off */
static const unsigned char b64_class[256] = {
    /* 0x00 */ B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD,
    /* 0x08 */ B64_BAD, B64_FWS, B64_FWS, B64_BAD, B64_BAD, B64_FWS, B64_BAD, B64_BAD,
    /* 0x10 */ B64_ROW_BAD, B64_ROW_BAD,
    /* ' ' */ B64_FWS, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD,
    /* '(' */ B64_BAD, B64_BAD, B64_BAD, 62, B64_BAD, B64_BAD, B64_BAD, 63,
    /* '0' */ 52, 53, 54, 55, 56, 57, 58, 59,
    /* '8' */ 60, 61, B64_BAD, B64_BAD, B64_BAD, B64_PAD, B64_BAD, B64_BAD,
    /* '@' */ B64_BAD, 0, 1, 2, 3, 4, 5, 6,
    /* 'H' */ 7, 8, 9, 10, 11, 12, 13, 14,
    /* 'P' */ 15, 16, 17, 18, 19, 20, 21, 22,
    /* 'X' */ 23, 24, 25, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD,
    /* '`' */ B64_BAD, 26, 27, 28, 29, 30, 31, 32,
    /* 'h' */ 33, 34, 35, 36, 37, 38, 39, 40,
    /* 'p' */ 41, 42, 43, 44, 45, 46, 47, 48,
    /* 'x' */ 49, 50, 51, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD,
    /* 0x80 */ B64_ROW_BAD, B64_ROW_BAD, B64_ROW_BAD, B64_ROW_BAD,
    B64_ROW_BAD, B64_ROW_BAD, B64_ROW_BAD, B64_ROW_BAD,
    B64_ROW_BAD, B64_ROW_BAD, B64_ROW_BAD, B64_ROW_BAD,
    B64_ROW_BAD, B64_ROW_BAD, B64_ROW_BAD, B64_ROW_BAD,
};
/* clang-format on */

long au_dkim_tag_base64(struct au_slice s, uint8_t *out, size_t max)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    uint32_t acc = 0;
    size_t nchars = 0, pad = 0, o = 0;
    for (size_t i = 0; i < s.len; i++) {
        /* The common case first: a whole quantum of four data characters
         * (data values are below 64, the codes are not, so neither is an OR
         * with a code in it). */
        while (nchars % 4 == 0 && pad == 0 && i + 4 <= s.len) {
            unsigned a = b64_class[p[i]], b = b64_class[p[i + 1]], c = b64_class[p[i + 2]],
                     d = b64_class[p[i + 3]];
            if ((a | b | c | d) >= 64)
                break;
            if (o + 3 > max)
                return -1;
            uint32_t q = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
            out[o++] = (uint8_t)(q >> 16);
            out[o++] = (uint8_t)(q >> 8);
            out[o++] = (uint8_t)q;
            nchars += 4;
            i += 4;
        }
        if (i == s.len)
            break;
        unsigned v = b64_class[p[i]];
        if (v < 64) {
            if (pad > 0)
                return -1; /* data after padding */
            acc = (acc << 6) | v;
            nchars++;
            if (nchars % 4 == 0) {
                if (o + 3 > max)
                    return -1;
                out[o++] = (uint8_t)(acc >> 16);
                out[o++] = (uint8_t)(acc >> 8);
                out[o++] = (uint8_t)acc;
                acc = 0;
            }
            continue;
        }
        if (v == B64_FWS)
            continue;
        if (v != B64_PAD)
            return -1; /* a bad character */
        pad++;
        if (pad > 2)
            return -1;
        nchars++;
    }
    if (nchars % 4 != 0)
        return -1;
    if (pad > 0) {
        /* The last quantum held pad '=' in place of data. */
        size_t keep = 3 - pad;
        uint32_t q = acc << (6 * pad);
        if (o + keep > max)
            return -1;
        out[o++] = (uint8_t)(q >> 16);
        if (keep == 2)
            out[o++] = (uint8_t)(q >> 8);
    }
    return (long)o;
}

enum au_dkim_alg au_dkim_tag_alg(struct au_slice s)
{
    if (au_slice_eq_ci(s, "rsa-sha256"))
        return AU_DKIM_RSA_SHA256;
    if (au_slice_eq_ci(s, "rsa-sha1"))
        return AU_DKIM_RSA_SHA1;
    if (au_slice_eq_ci(s, "ed25519-sha256"))
        return AU_DKIM_ED25519_SHA256;
    return AU_DKIM_ALG_NONE;
}

const char *au_dkim_tag_alg_name(enum au_dkim_alg a)
{
    switch (a) {
    case AU_DKIM_RSA_SHA256:
        return "rsa-sha256";
    case AU_DKIM_RSA_SHA1:
        return "rsa-sha1";
    case AU_DKIM_ED25519_SHA256:
        return "ed25519-sha256";
    default:
        return "";
    }
}

enum au_dkim_hash au_dkim_tag_alg_hash(enum au_dkim_alg a)
{
    return a == AU_DKIM_RSA_SHA1 ? AU_DKIM_SHA1 : AU_DKIM_SHA256;
}

static bool label_ok(const char *p, size_t n, bool underscore)
{
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (is_alpha(c) || is_digit(c))
            continue;
        if (c == '-' && i > 0 && i + 1 < n)
            continue;
        if (c == '_' && underscore)
            continue;
        return false;
    }
    return true;
}

static bool name_ok(struct au_slice s, size_t min_labels, bool underscore)
{
    if (s.len == 0 || s.len > 253)
        return false;
    size_t labels = 0, start = 0;
    for (size_t i = 0; i <= s.len; i++) {
        if (i == s.len || s.ptr[i] == '.') {
            if (!label_ok(s.ptr + start, i - start, underscore))
                return false;
            labels++;
            start = i + 1;
        }
    }
    return labels >= min_labels;
}

bool au_dkim_tag_domain_ok(struct au_slice s)
{
    return name_ok(s, 2, false);
}

/* The tag called name, or NULL.  Inline, so that name's length is known at
 * compile time and the comparison of a tag name or two bytes needs no call:
 * a signature is looked up this way a dozen times per message. */
static inline const struct au_dkim_tag *find(const struct au_dkim_tag *t, size_t n,
                                             const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (t[i].name.len == len && memcmp(t[i].name.ptr, name, len) == 0)
            return &t[i];
    return NULL;
}

/* Parses 1*digits (at most maxdig) into *out. */
static bool parse_uint(struct au_slice s, size_t maxdig, uint64_t *out)
{
    if (s.len == 0 || s.len > maxdig)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (!is_digit(s.ptr[i]))
            return false;
        v = v * 10 + (uint64_t)(s.ptr[i] - '0');
    }
    *out = v;
    return true;
}

static int hexval(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* dkim-quoted-printable (RFC 6376 2.11): =XX escapes, FWS ignored. */
static bool qp_decode(struct au_slice s, char *out, size_t max)
{
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (is_fws(c))
            continue;
        if (c == '=') {
            if (i + 2 >= s.len)
                return false;
            int h = hexval(s.ptr[i + 1]), l = hexval(s.ptr[i + 2]);
            if (h < 0 || l < 0)
                return false;
            c = (char)(h * 16 + l);
            i += 2;
        }
        if (c == '\0' || o + 1 >= max)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

static bool domain_within(const char *sub, size_t sublen, struct au_slice d, bool exact)
{
    if (sublen == d.len)
        return strncasecmp(sub, d.ptr, d.len) == 0;
    if (exact || sublen < d.len + 1)
        return false;
    const char *tail = sub + sublen - d.len;
    return tail[-1] == '.' && strncasecmp(tail, d.ptr, d.len) == 0;
}

#define REQUIRE(tag)                                                                               \
    do {                                                                                           \
        if (sig->tag.ptr == NULL) {                                                                \
            seterr(err, errlen, "missing required tag " #tag "=");                                 \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

int au_dkim_tag_sig_parse(struct au_slice text, const struct au_dkim_sig_opts *opts,
                          struct au_dkim_sig *sig, char *err, size_t errlen)
{
    static const struct au_dkim_sig_opts defaults = {0};
    if (opts == NULL)
        opts = &defaults;
    struct au_dkim_tag tags[AU_DKIM_TAGS_MAX];
    size_t n;
    memset(sig, 0, offsetof(struct au_dkim_sig, bh_raw));
    sig->l = AU_DKIM_NO_LIMIT;
    sig->identity[0] = '\0';
    sig->nh = 0;
    if (au_dkim_tag_parse(text, tags, AU_DKIM_TAGS_MAX, &n, err, errlen) < 0)
        return -1;
    const struct au_dkim_tag *t;
#define TAKE(field, name)                                                                          \
    if ((t = find(tags, n, name)) != NULL)                                                         \
    sig->field = t->value
    TAKE(v, "v");
    TAKE(a, "a");
    TAKE(d, "d");
    TAKE(s, "s");
    TAKE(h, "h");
    TAKE(i, "i");
    TAKE(bh, "bh");
    TAKE(c, "c");
    TAKE(q, "q");
    TAKE(z, "z");
#undef TAKE
    if ((t = find(tags, n, "b")) != NULL) {
        sig->b = t->value;
        sig->b_voff = t->voff;
        sig->b_vend = t->vend;
    }

    /* v= (3.5: "MUST be 1"; drafts had none, or 0.5). */
    if (!opts->arc) {
        if (sig->v.ptr == NULL) {
            if (!opts->draft_versions) {
                seterr(err, errlen, "missing required tag v=");
                return -1;
            }
        } else if (!au_slice_eq(sig->v, "1") &&
                   !(opts->draft_versions && au_slice_eq(sig->v, "0.5"))) {
            seterr(err, errlen, "unsupported version v=%.*s",
                   (int)(sig->v.len > 16 ? 16 : sig->v.len), sig->v.ptr);
            return -1;
        }
    }
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(bh);
    REQUIRE(d);
    REQUIRE(h);
    REQUIRE(s);

    sig->alg = au_dkim_tag_alg(sig->a);
    if (sig->alg == AU_DKIM_ALG_NONE) {
        seterr(err, errlen, "unsupported algorithm a=%.*s",
               (int)(sig->a.len > 32 ? 32 : sig->a.len), sig->a.ptr);
        return -1;
    }
    if (!au_dkim_tag_domain_ok(sig->d)) {
        seterr(err, errlen, "d= is not a domain name");
        return -1;
    }
    if (!name_ok(sig->s, 1, true) || sig->s.len + sizeof "._domainkey." + sig->d.len > 254) {
        seterr(err, errlen, "s= is not a valid selector");
        return -1;
    }

    /* c= */
    sig->hc = sig->bc = AU_DKIM_CANON_SIMPLE;
    if (sig->c.ptr) {
        const char *slash = memchr(sig->c.ptr, '/', sig->c.len);
        struct au_slice hs = sig->c, bs = au_slice_make("simple", 6);
        if (slash) {
            hs = au_slice_make(sig->c.ptr, (size_t)(slash - sig->c.ptr));
            bs = au_slice_make(slash + 1, sig->c.len - hs.len - 1);
        }
        int hc = au_dkim_canon_parse(hs), bc = au_dkim_canon_parse(bs);
        if (hc < 0 || bc < 0) {
            seterr(err, errlen, "unsupported canonicalization c=%.*s",
                   (int)(sig->c.len > 32 ? 32 : sig->c.len), sig->c.ptr);
            return -1;
        }
        sig->hc = (enum au_dkim_canon)hc;
        sig->bc = (enum au_dkim_canon)bc;
    }

    /* q=: a colon list; dns/txt must be one of the methods. */
    if (sig->q.ptr) {
        bool dns = false;
        size_t start = 0;
        for (size_t k = 0; k <= sig->q.len; k++)
            if (k == sig->q.len || sig->q.ptr[k] == ':') {
                struct au_slice m = trim_fws(au_slice_make(sig->q.ptr + start, k - start));
                if (au_slice_eq_ci(m, "dns/txt") ||
                    (opts->draft_versions && au_slice_eq_ci(m, "dns")))
                    dns = true;
                start = k + 1;
            }
        if (!dns) {
            seterr(err, errlen, "unsupported query method q=%.*s",
                   (int)(sig->q.len > 32 ? 32 : sig->q.len), sig->q.ptr);
            return -1;
        }
    }

    /* h=: field names, From among them (3.5: "MUST NOT be empty"). */
    {
        bool from = false;
        size_t start = 0;
        for (size_t k = 0; k <= sig->h.len; k++)
            if (k == sig->h.len || sig->h.ptr[k] == ':') {
                struct au_slice nm = trim_fws(au_slice_make(sig->h.ptr + start, k - start));
                if (nm.len == 0) {
                    seterr(err, errlen, "empty name in h=");
                    return -1;
                }
                for (size_t j = 0; j < nm.len; j++) {
                    unsigned char ch = (unsigned char)nm.ptr[j];
                    if (ch < 33 || ch > 126) {
                        seterr(err, errlen, "bad field name in h=");
                        return -1;
                    }
                }
                if (sig->nh >= AU_DKIM_HNAMES_MAX) {
                    seterr(err, errlen, "more than %d names in h=", AU_DKIM_HNAMES_MAX);
                    return -1;
                }
                sig->hnames[sig->nh++] = nm;
                if (au_slice_eq_ci(nm, "from"))
                    from = true;
                start = k + 1;
            }
        if (!from) {
            seterr(err, errlen, "From not signed");
            return -1;
        }
    }

    /* l=, t=, x= (3.5: l= up to 76 digits; past 2^64 it cannot match a body). */
    if ((t = find(tags, n, "l")) != NULL) {
        struct au_slice lv = t->value;
        while (lv.len > 1 && lv.ptr[0] == '0') {
            lv.ptr++;
            lv.len--;
        }
        if (!parse_uint(lv, 19, &sig->l)) {
            bool digits = lv.len > 0 && lv.len <= 76;
            for (size_t k = 0; k < lv.len && digits; k++)
                digits = is_digit(lv.ptr[k]);
            if (!digits) {
                seterr(err, errlen, "bad l= value");
                return -1;
            }
            sig->l = AU_DKIM_NO_LIMIT - 1;
        }
    }
    uint64_t u;
    if ((t = find(tags, n, "t")) != NULL) {
        if (!parse_uint(t->value, 18, &u)) {
            seterr(err, errlen, "bad t= value");
            return -1;
        }
        sig->has_t = true;
        sig->t = (int64_t)u;
    }
    if ((t = find(tags, n, "x")) != NULL) {
        if (!parse_uint(t->value, 18, &u)) {
            seterr(err, errlen, "bad x= value");
            return -1;
        }
        sig->has_x = true;
        sig->x = (int64_t)u;
    }
    if (sig->has_t && sig->has_x && sig->x <= sig->t) {
        seterr(err, errlen, "x= is not after t=");
        return -1;
    }

    /* bh= and b= */
    long len = au_dkim_tag_base64(sig->bh, sig->bh_raw, sizeof sig->bh_raw);
    size_t want = au_dkim_tag_alg_hash(sig->alg) == AU_DKIM_SHA1 ? 20 : 32;
    if (len < 0) {
        seterr(err, errlen, "bh= is not base64");
        return -1;
    }
    if ((size_t)len != want) {
        seterr(err, errlen, "bh= has %ld bytes, %s needs %zu", len, au_dkim_tag_alg_name(sig->alg),
               want);
        return -1;
    }
    sig->bh_len = (size_t)len;
    len = au_dkim_tag_base64(sig->b, sig->b_raw, sizeof sig->b_raw);
    if (len < 0) {
        seterr(err, errlen, "b= is not base64 (or longer than %d bytes)", AU_DKIM_SIG_BYTES_MAX);
        return -1;
    }
    if (len == 0) {
        seterr(err, errlen, "b= is empty");
        return -1;
    }
    sig->b_len = (size_t)len;

    /* i=: within d= (3.5). For ARC the tag is the instance number. */
    if (!opts->arc && sig->i.ptr) {
        if (!qp_decode(sig->i, sig->identity, sizeof sig->identity)) {
            seterr(err, errlen, "bad i= value");
            return -1;
        }
        const char *at = strrchr(sig->identity, '@');
        if (at == NULL) {
            seterr(err, errlen, "i= has no '@'");
            return -1;
        }
        if (!domain_within(at + 1, strlen(at + 1), sig->d, false)) {
            seterr(err, errlen, "i= domain is not d= or a subdomain of it");
            return -1;
        }
    } else {
        snprintf(sig->identity, sizeof sig->identity, "@%.*s", (int)sig->d.len, sig->d.ptr);
    }
    return 0;
}

int au_dkim_tag_key_parse(struct au_slice text, struct au_dkim_key_rec *key, char *err,
                          size_t errlen)
{
    struct au_dkim_tag tags[AU_DKIM_TAGS_MAX];
    size_t n;
    memset(key, 0, sizeof *key);
    key->h_sha1 = key->h_sha256 = true;
    key->email = true;
    if (au_dkim_tag_parse(text, tags, AU_DKIM_TAGS_MAX, &n, err, errlen) < 0)
        return -1;
    const struct au_dkim_tag *t;
    for (size_t i = 0; i < n; i++)
        if (au_slice_eq(tags[i].name, "v")) {
            if (i != 0) {
                seterr(err, errlen, "v= is not the first tag");
                return -1;
            }
            if (!au_slice_eq(tags[i].value, "DKIM1")) {
                seterr(err, errlen, "unsupported key record version v=%.*s",
                       (int)(tags[i].value.len > 16 ? 16 : tags[i].value.len), tags[i].value.ptr);
                return -1;
            }
        }
    if ((t = find(tags, n, "k")) != NULL) {
        if (au_slice_eq_ci(t->value, "rsa"))
            key->k = AU_DKIM_KEY_RSA;
        else if (au_slice_eq_ci(t->value, "ed25519"))
            key->k = AU_DKIM_KEY_ED25519;
        else {
            seterr(err, errlen, "unsupported key type k=%.*s",
                   (int)(t->value.len > 32 ? 32 : t->value.len), t->value.ptr);
            return -1;
        }
    }
    if ((t = find(tags, n, "h")) != NULL) {
        key->h_sha1 = key->h_sha256 = false;
        size_t start = 0;
        for (size_t k = 0; k <= t->value.len; k++)
            if (k == t->value.len || t->value.ptr[k] == ':') {
                struct au_slice h = trim_fws(au_slice_make(t->value.ptr + start, k - start));
                if (au_slice_eq_ci(h, "sha1"))
                    key->h_sha1 = true;
                else if (au_slice_eq_ci(h, "sha256"))
                    key->h_sha256 = true;
                start = k + 1;
            }
    }
    if ((t = find(tags, n, "s")) != NULL) {
        key->email = false;
        size_t start = 0;
        for (size_t k = 0; k <= t->value.len; k++)
            if (k == t->value.len || t->value.ptr[k] == ':') {
                struct au_slice s = trim_fws(au_slice_make(t->value.ptr + start, k - start));
                if (au_slice_eq(s, "*") || au_slice_eq_ci(s, "email"))
                    key->email = true;
                start = k + 1;
            }
    }
    if ((t = find(tags, n, "t")) != NULL) {
        size_t start = 0;
        for (size_t k = 0; k <= t->value.len; k++)
            if (k == t->value.len || t->value.ptr[k] == ':') {
                struct au_slice f = trim_fws(au_slice_make(t->value.ptr + start, k - start));
                if (au_slice_eq_ci(f, "y"))
                    key->testing = true;
                else if (au_slice_eq_ci(f, "s"))
                    key->strict = true;
                start = k + 1;
            }
    }
    if ((t = find(tags, n, "p")) == NULL) {
        seterr(err, errlen, "key record has no p=");
        return -1;
    }
    key->p = t->value;
    key->revoked = t->value.len == 0;
    return 0;
}

bool au_dkim_tag_identity_exact(const char *identity, struct au_slice d)
{
    const char *at = strrchr(identity, '@');
    const char *dom = at ? at + 1 : identity;
    return domain_within(dom, strlen(dom), d, true);
}
