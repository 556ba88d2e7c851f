/*
 * dmarc_record - parses a DMARC policy record (RFC 7489 sections 6.3, 6.4).
 *
 * Public: au_dmarc_record_parse, au_dmarc_record_clear, au_dmarc_policy_name,
 * au_dmarc_policy_upper, au_dmarc_parse_name.
 *
 * A record is a tag-list in DKIM's syntax (RFC 7489 6.3 adopts RFC 6376
 * 3.2): "tag=value" terms separated by ";" with optional SP/HTAB around
 * them.  What happens to a bad record is the RFC's:
 *  - not starting with v=DMARC1: not a DMARC record, discarded (6.6.3 steps 2, 4);
 *  - p missing or invalid, or sp invalid: with at least one valid rua URI the
 *    record acts as "p=none"; else no DMARC processing (6.6.3 step 6);
 *  - anything else that breaks the grammar of 6.4 (a term without "=", a bad
 *    pct/adkim/aspf/fo/rf/ri value, a duplicated tag as RFC 6376 3.2 forbids,
 *    a control or non-ASCII byte): a syntactically incorrect record, which
 *    RFC 7489 11.2 reports as permerror;
 *  - unknown tags are ignored (6.3).
 * Tag names and the policy words compare case-insensitively (they are quoted
 * strings in the ABNF); "DMARC1" is written with %x and compares exactly.
 * Empty terms (";;", a trailing ";") are skipped, as receivers commonly do.
 *
 * Limits: AU_DMARC_RECORD_MAX bytes per record, AU_DMARC_TAGS_MAX terms.
 */
#include "dmarc_record.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

#define RI_DEFAULT 86400u

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void set_error(struct au_dmarc_record *rec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(struct au_dmarc_record *rec, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rec->error, sizeof rec->error, fmt, ap);
    va_end(ap);
}

/* A slice for messages: at most 40 bytes of it, printable (checked by the caller). */
#define SHOW(s) (int)((s).len > 40 ? 40 : (s).len), (s).ptr

static void defaults(struct au_dmarc_record *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->pct = 100;
    rec->ri = RI_DEFAULT;
    strcpy(rec->fo, "0");
    strcpy(rec->rf, "afrf");
}

void au_dmarc_record_clear(struct au_dmarc_record *rec)
{
    free(rec->rua);
    free(rec->ruf);
    defaults(rec);
}

/* Each policy's word as a record spells it (compared case-insensitively)
 * and as Gmail stamps it: one table for parsing and printing. */
static const char *const policy_words[][2] = {
    [AU_DMARC_POLICY_UNSET] = {"unset", "UNSET"},
    [AU_DMARC_POLICY_NONE] = {"none", "NONE"},
    [AU_DMARC_POLICY_QUARANTINE] = {"quarantine", "QUARANTINE"},
    [AU_DMARC_POLICY_REJECT] = {"reject", "REJECT"},
};

static const char *policy_word(enum au_dmarc_policy p, bool upper)
{
    if ((unsigned)p >= sizeof policy_words / sizeof *policy_words)
        p = AU_DMARC_POLICY_UNSET;
    return policy_words[p][upper];
}

/* The policy a p= or sp= value names, or UNSET for anything else. */
static enum au_dmarc_policy parse_policy(struct au_slice v)
{
    for (unsigned p = AU_DMARC_POLICY_NONE; p <= AU_DMARC_POLICY_REJECT; p++)
        if (au_slice_eq_ci(v, policy_words[p][0]))
            return (enum au_dmarc_policy)p;
    return AU_DMARC_POLICY_UNSET;
}

/* "v" *WSP "=" *WSP "DMARC1", the whole first term. */
static bool is_version_term(struct au_slice t)
{
    t = au_slice_trim(t);
    if (t.len < 1 || (t.ptr[0] != 'v' && t.ptr[0] != 'V'))
        return false;
    struct au_slice rest = au_slice_trim(au_slice_make(t.ptr + 1, t.len - 1));
    if (rest.len < 1 || rest.ptr[0] != '=')
        return false;
    rest = au_slice_trim(au_slice_make(rest.ptr + 1, rest.len - 1));
    return au_slice_eq(rest, "DMARC1");
}

/* dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]; the URI needs a
 * scheme (RFC 3986 3.1) and something after the colon. */
static bool uri_ok(struct au_slice u)
{
    /* Strip a size limit suffix when there is one. */
    for (size_t i = u.len; i > 0; i--) {
        if (u.ptr[i - 1] != '!')
            continue;
        size_t j = i, digits = 0;
        while (j < u.len && is_digit(u.ptr[j])) {
            j++;
            digits++;
        }
        if (j < u.len && strchr("kmgtKMGT", u.ptr[j]) != NULL)
            j++;
        if (digits > 0 && j == u.len)
            u.len = i - 1;
        else
            return false; /* a "!" not followed by a size: not a dmarc-uri */
        break;
    }
    if (u.len == 0 || !is_alpha(u.ptr[0]))
        return false;
    size_t k = 1;
    while (k < u.len && (is_alpha(u.ptr[k]) || is_digit(u.ptr[k]) || u.ptr[k] == '+' ||
                         u.ptr[k] == '-' || u.ptr[k] == '.'))
        k++;
    if (k >= u.len || u.ptr[k] != ':' || k + 1 >= u.len)
        return false;
    for (size_t i = k + 1; i < u.len; i++)
        if (is_wsp(u.ptr[i]))
            return false;
    return true;
}

static unsigned count_uris(struct au_slice v)
{
    unsigned valid = 0;
    const char *p = v.ptr, *end = v.ptr + v.len;
    while (p <= end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if (uri_ok(au_slice_trim(au_slice_make(p, (size_t)(stop - p)))))
            valid++;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return valid;
}

/* A colon-separated list of words, each checked by ok(); copied to out
 * without the optional whitespace.  False when malformed or too long. */
static bool parse_colon_list(struct au_slice v, bool (*ok)(struct au_slice), char *out,
                             size_t outlen)
{
    size_t o = 0;
    const char *p = v.ptr, *end = v.ptr + v.len;
    for (;;) {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        const char *stop = colon ? colon : end;
        struct au_slice w = au_slice_trim(au_slice_make(p, (size_t)(stop - p)));
        if (!ok(w) || o + w.len + 2 > outlen)
            return false;
        if (o > 0)
            out[o++] = ':';
        memcpy(out + o, w.ptr, w.len);
        o += w.len;
        if (colon == NULL)
            break;
        p = colon + 1;
    }
    out[o] = '\0';
    return true;
}

static bool fo_word(struct au_slice w)
{
    return w.len == 1 && strchr("01dsDS", w.ptr[0]) != NULL;
}

/* Keyword = ALPHA / DIGIT / "-" (RFC 5321 4.1.2, as 6.4 names it), at least one. */
static bool rf_word(struct au_slice w)
{
    if (w.len == 0)
        return false;
    for (size_t i = 0; i < w.len; i++)
        if (!is_alpha(w.ptr[i]) && !is_digit(w.ptr[i]) && w.ptr[i] != '-')
            return false;
    return true;
}

enum au_dmarc_parse au_dmarc_record_parse(struct au_slice text, struct au_dmarc_record *rec)
{
    defaults(rec);

    const char *semi = memchr(text.ptr, ';', text.len);
    struct au_slice first = au_slice_make(text.ptr, semi ? (size_t)(semi - text.ptr) : text.len);
    if (!is_version_term(first)) {
        set_error(rec, "does not start with v=DMARC1");
        return AU_DMARC_PARSE_NOT_DMARC;
    }
    if (text.len > AU_DMARC_RECORD_MAX) {
        set_error(rec, "record longer than %d bytes", AU_DMARC_RECORD_MAX);
        return AU_DMARC_PARSE_SYNTAX;
    }
    for (size_t i = 0; i < text.len; i++) {
        unsigned char c = (unsigned char)text.ptr[i];
        if ((c < 0x20 && c != '\t') || c >= 0x7f) {
            set_error(rec, "control or non-ASCII byte 0x%02x at offset %zu", c, i);
            return AU_DMARC_PARSE_SYNTAX;
        }
    }

    struct au_slice seen[AU_DMARC_TAGS_MAX];
    size_t nseen = 0;
    bool p_bad = false, sp_bad = false, p_seen = false;
    char bad_policy[AU_DMARC_ERROR_MAX] = "";

    const char *p = semi ? semi + 1 : text.ptr + text.len;
    const char *end = text.ptr + text.len;
    while (p < end) {
        const char *next = memchr(p, ';', (size_t)(end - p));
        const char *stop = next ? next : end;
        struct au_slice term = au_slice_trim(au_slice_make(p, (size_t)(stop - p)));
        p = next ? next + 1 : end;
        if (term.len == 0)
            continue;

        size_t n = 0;
        if (!is_alpha(term.ptr[0])) {
            set_error(rec, "bad tag name in \"%.*s\"", SHOW(term));
            return AU_DMARC_PARSE_SYNTAX;
        }
        while (n < term.len &&
               (is_alpha(term.ptr[n]) || is_digit(term.ptr[n]) || term.ptr[n] == '_'))
            n++;
        struct au_slice name = au_slice_make(term.ptr, n);
        struct au_slice rest = au_slice_trim(au_slice_make(term.ptr + n, term.len - n));
        if (rest.len == 0 || rest.ptr[0] != '=') {
            set_error(rec, "term without '=': \"%.*s\"", SHOW(term));
            return AU_DMARC_PARSE_SYNTAX;
        }
        struct au_slice v = au_slice_trim(au_slice_make(rest.ptr + 1, rest.len - 1));

        if (nseen == AU_DMARC_TAGS_MAX - 1) {
            set_error(rec, "more than %d tags", AU_DMARC_TAGS_MAX);
            return AU_DMARC_PARSE_SYNTAX;
        }
        if (au_slice_eq_ci(name, "v")) {
            set_error(rec, "v= repeated after the first tag");
            return AU_DMARC_PARSE_SYNTAX;
        }
        for (size_t i = 0; i < nseen; i++) {
            if (seen[i].len == name.len && strncasecmp(seen[i].ptr, name.ptr, name.len) == 0) {
                set_error(rec, "duplicate tag %.*s", SHOW(name));
                return AU_DMARC_PARSE_SYNTAX;
            }
        }
        seen[nseen++] = name;

        if (au_slice_eq_ci(name, "p")) {
            p_seen = true;
            rec->p = parse_policy(v);
            if (rec->p == AU_DMARC_POLICY_UNSET) {
                p_bad = true;
                snprintf(bad_policy, sizeof bad_policy, "invalid p=%.*s", SHOW(v));
            }
        } else if (au_slice_eq_ci(name, "sp")) {
            rec->sp = parse_policy(v);
            if (rec->sp == AU_DMARC_POLICY_UNSET) {
                sp_bad = true;
                snprintf(bad_policy, sizeof bad_policy, "invalid sp=%.*s", SHOW(v));
            }
        } else if (au_slice_eq_ci(name, "pct")) {
            unsigned val = 0;
            bool ok = v.len >= 1 && v.len <= 3;
            for (size_t i = 0; ok && i < v.len; i++) {
                ok = is_digit(v.ptr[i]);
                val = val * 10 + (unsigned)(v.ptr[i] - '0');
            }
            if (!ok || val > 100) {
                set_error(rec, "invalid pct=%.*s", SHOW(v));
                return AU_DMARC_PARSE_SYNTAX;
            }
            rec->pct = val;
        } else if (au_slice_eq_ci(name, "adkim") || au_slice_eq_ci(name, "aspf")) {
            enum au_dmarc_align a;
            if (au_slice_eq_ci(v, "r"))
                a = AU_DMARC_ALIGN_RELAXED;
            else if (au_slice_eq_ci(v, "s"))
                a = AU_DMARC_ALIGN_STRICT;
            else {
                set_error(rec, "invalid %.*s=%.*s", SHOW(name), SHOW(v));
                return AU_DMARC_PARSE_SYNTAX;
            }
            if (au_slice_eq_ci(name, "adkim"))
                rec->adkim = a;
            else
                rec->aspf = a;
        } else if (au_slice_eq_ci(name, "fo")) {
            if (!parse_colon_list(v, fo_word, rec->fo, sizeof rec->fo)) {
                set_error(rec, "invalid fo=%.*s", SHOW(v));
                return AU_DMARC_PARSE_SYNTAX;
            }
        } else if (au_slice_eq_ci(name, "rf")) {
            if (!parse_colon_list(v, rf_word, rec->rf, sizeof rec->rf)) {
                set_error(rec, "invalid rf=%.*s", SHOW(v));
                return AU_DMARC_PARSE_SYNTAX;
            }
        } else if (au_slice_eq_ci(name, "ri")) {
            /* 1*32DIGIT; a value past 32 bits is clamped (it means "rarely"). */
            uint64_t val = 0;
            bool ok = v.len >= 1 && v.len <= 32;
            for (size_t i = 0; ok && i < v.len; i++) {
                ok = is_digit(v.ptr[i]);
                if (val < UINT32_MAX)
                    val = val * 10 + (uint64_t)(v.ptr[i] - '0');
            }
            if (!ok) {
                set_error(rec, "invalid ri=%.*s", SHOW(v));
                return AU_DMARC_PARSE_SYNTAX;
            }
            rec->ri = val > UINT32_MAX ? UINT32_MAX : (uint32_t)val;
        } else if (au_slice_eq_ci(name, "rua")) {
            /* Invalid URIs are only not reported to; the record stands. */
            rec->rua_count = count_uris(v);
            rec->rua = au_slice_dup(v);
        } else if (au_slice_eq_ci(name, "ruf")) {
            rec->ruf_count = count_uris(v);
            rec->ruf = au_slice_dup(v);
        }
        /* else: an unknown tag, ignored (RFC 7489 6.3). */
    }

    if (!p_seen || p_bad || sp_bad) {
        if (rec->rua_count > 0) {
            /* 6.6.3 step 6: act as if "v=DMARC1; p=none" had been found. */
            rec->p = AU_DMARC_POLICY_NONE;
            rec->sp = AU_DMARC_POLICY_UNSET;
            rec->p_implied = true;
            return AU_DMARC_PARSE_OK;
        }
        set_error(rec, "%s and no valid rua: no DMARC processing",
                  !p_seen ? "no p= tag" : bad_policy);
        return AU_DMARC_PARSE_NO_POLICY;
    }
    return AU_DMARC_PARSE_OK;
}

const char *au_dmarc_policy_name(enum au_dmarc_policy p)
{
    return policy_word(p, false);
}

const char *au_dmarc_policy_upper(enum au_dmarc_policy p)
{
    return policy_word(p, true);
}

const char *au_dmarc_parse_name(enum au_dmarc_parse r)
{
    switch (r) {
    case AU_DMARC_PARSE_OK:
        return "ok";
    case AU_DMARC_PARSE_NOT_DMARC:
        return "not a DMARC record";
    case AU_DMARC_PARSE_NO_POLICY:
        return "no policy";
    case AU_DMARC_PARSE_SYNTAX:
        return "syntax error";
    }
    return "?";
}
