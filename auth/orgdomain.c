/*
 * orgdomain - Organizational Domains (RFC 7489 section 3.2) over libpsl.
 *
 * Public: au_orgdomain_normalize, au_orgdomain_registrable, au_orgdomain_get,
 * au_orgdomain_same.
 *
 * RFC 7489 3.2 says: find the longest public suffix of the name and add one
 * label.  That is libpsl's "registrable domain", with the whole list (ICANN
 * and private sections), as OpenDMARC and the public suffix tests use it.
 * The list is the caller's (Debian's, loaded by smtpd/psl_load.c): never one
 * of our own.
 *
 * Limits: names of at most AU_ORGDOMAIN_NAME_MAX bytes, labels of at most
 * AU_ORGDOMAIN_LABEL_MAX bytes (RFC 1035 2.3.4); anything longer is unusable.
 */
#include "orgdomain.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define AU_ORGDOMAIN_NAME_MAX 253
#define AU_ORGDOMAIN_LABEL_MAX 63

/* Checks the label structure; bytes >= 0x80 are left to libpsl's UTF-8 handling. */
static bool shape_ok(const char *s, size_t n)
{
    if (n == 0 || n > AU_ORGDOMAIN_NAME_MAX)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
            continue;
        }
        /* Spaces, controls and the characters that cannot be in a host name
         * or would confuse a header (RFC 5321 4.1.2 is stricter still; the
         * underscore stays because DNS allows it in TXT owner names). */
        if (c <= 0x20 || c == 0x7f || strchr("\"(),/:;<>@[\\]", c) != NULL)
            return false;
        if (++label > AU_ORGDOMAIN_LABEL_MAX)
            return false;
    }
    return label > 0;
}

/* Well-formed UTF-8 (RFC 3629): no overlongs, surrogates or code points
 * past U+10FFFF.  libpsl's lowercasing does not promise to refuse them. */
static bool utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        unsigned lo = 0x80, hi = 0xbf;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0)
                lo = 0xa0;
            else if (c == 0xed)
                hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k < len; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                return false;
        i += len;
    }
    return true;
}

char *au_orgdomain_normalize(const char *domain)
{
    if (domain == NULL)
        return NULL;
    size_t n = strlen(domain);
    if (n > 0 && domain[n - 1] == '.')
        n--;
    if (!shape_ok(domain, n))
        return NULL;

    bool ascii = true;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)domain[i] >= 0x80)
            ascii = false;

    if (ascii) {
        char *out = au_xstrndup(domain, n);
        for (size_t i = 0; i < n; i++)
            if (out[i] >= 'A' && out[i] <= 'Z')
                out[i] = (char)(out[i] - 'A' + 'a');
        return out;
    }

    /* Unicode lowercasing is libpsl's: the list's IDN rules are matched in
     * lowercase UTF-8 or in punycode. */
    if (!utf8_ok((const unsigned char *)domain, n))
        return NULL;
    char *copy = au_xstrndup(domain, n);
    char *lower = NULL;
    psl_error_t rc = psl_str_to_utf8lower(copy, "utf-8", NULL, &lower);
    free(copy);
    if (rc != PSL_SUCCESS || lower == NULL) {
        psl_free_string(lower);
        return NULL;
    }
    char *out = NULL;
    if (shape_ok(lower, strlen(lower)))
        out = au_xstrdup(lower);
    psl_free_string(lower);
    return out;
}

/* The registrable domain of an already normalized name, or NULL. */
static char *registrable_of(const psl_ctx_t *psl, const char *norm)
{
    /* The result points into norm (a suffix of it). */
    const char *reg = psl_registrable_domain(psl, norm);
    return reg ? au_xstrdup(reg) : NULL;
}

char *au_orgdomain_registrable(const psl_ctx_t *psl, const char *domain)
{
    if (psl == NULL)
        return NULL;
    char *norm = au_orgdomain_normalize(domain);
    if (norm == NULL)
        return NULL;
    char *out = registrable_of(psl, norm);
    free(norm);
    return out;
}

char *au_orgdomain_get(const psl_ctx_t *psl, const char *domain)
{
    char *norm = au_orgdomain_normalize(domain);
    if (norm == NULL || psl == NULL)
        return norm;
    char *reg = registrable_of(psl, norm);
    if (reg != NULL) {
        free(norm);
        return reg;
    }
    /* DECISION: a name that is itself a public suffix (or a bare TLD) has no
     * "x+1th label" in RFC 7489 3.2; we take the name itself as its own
     * Organizational Domain, so that such a domain aligns with itself and
     * discovery does not query the same _dmarc name twice.  (DMARCbis'
     * tree walk would treat it as a public suffix domain; RFC 7489 is silent.) */
    return norm;
}

bool au_orgdomain_same(const psl_ctx_t *psl, const char *a, const char *b)
{
    char *oa = au_orgdomain_get(psl, a);
    char *ob = au_orgdomain_get(psl, b);
    bool same = oa != NULL && ob != NULL && strcmp(oa, ob) == 0;
    free(oa);
    free(ob);
    return same;
}
