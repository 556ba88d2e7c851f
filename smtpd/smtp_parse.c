/*
 * smtp_parse - SMTP command argument syntax (see smtp_parse.h).
 *
 * Public: smtp_parse_path, smtp_params_have_smtputf8, smtp_parse_mail_params,
 * smtp_helo_valid, smtp_domain_valid, smtp_xtext_decode, smtp_parse_bdat.
 * RFC 5321 4.1.2 (Path, Mailbox, Domain, address-literal), 4.5.3.1 (sizes);
 * RFC 1870 (SIZE), RFC 6152 (BODY=8BITMIME), RFC 6531 (SMTPUTF8),
 * RFC 3461 4 (xtext).
 */
#include "smtp_parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

static bool is_atext(unsigned char c)
{
    if (isalnum(c))
        return true;
    return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool is_letdig(unsigned char c)
{
    return isalnum(c);
}

bool smtp_domain_valid(const char *p, size_t n, bool utf8)
{
    if (n == 0 || n > SMTP_DOMAIN_MAX)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '.') {
            /* A label may not be empty nor end with a hyphen. */
            if (label == 0 || p[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (c >= 0x80) {
            if (!utf8)
                return false;
        } else if (c == '-') {
            if (label == 0)
                return false;
        } else if (!is_letdig(c)) {
            return false;
        }
        label++;
    }
    return label > 0 && p[n - 1] != '-';
}

static bool address_literal_valid(const char *p, size_t n)
{
    /* "[" ( IPv4 / "IPv6:" IPv6 / tag ":" text ) "]" */
    if (n < 3 || p[0] != '[' || p[n - 1] != ']')
        return false;
    char tmp[64];
    size_t len = n - 2;
    if (len >= sizeof tmp)
        return false;
    memcpy(tmp, p + 1, len);
    tmp[len] = '\0';
    unsigned char bin[16];
    if (strncasecmp(tmp, "IPv6:", 5) == 0)
        return inet_pton(AF_INET6, tmp + 5, bin) == 1;
    return inet_pton(AF_INET, tmp, bin) == 1;
}

/* Validates a Mailbox: Local-part "@" ( Domain / address-literal ). */
static enum smtp_parse_rc mailbox_valid(const char *p, size_t n, bool utf8, size_t *at_out)
{
    size_t i = 0;
    if (n == 0)
        return SMTP_EADDRESS;
    if (p[0] == '"') {
        /* Quoted-string: qtextSMTP or quoted-pairSMTP. */
        i = 1;
        for (;;) {
            if (i >= n)
                return SMTP_EADDRESS;
            unsigned char c = (unsigned char)p[i];
            if (c == '"')
                break;
            if (c == '\\') {
                if (i + 1 >= n || (unsigned char)p[i + 1] < 32 ||
                    (unsigned char)p[i + 1] == 127)
                    return SMTP_EADDRESS;
                i += 2;
                continue;
            }
            if (c < 32 || c == 127 || (c >= 0x80 && !utf8))
                return SMTP_EADDRESS;
            i++;
        }
        i++;
    } else {
        /* Dot-string: atoms separated by single dots. */
        size_t atom = 0;
        while (i < n && p[i] != '@') {
            unsigned char c = (unsigned char)p[i];
            if (c == '.') {
                if (atom == 0)
                    return SMTP_EADDRESS;
                atom = 0;
            } else if (c >= 0x80) {
                if (!utf8)
                    return SMTP_EADDRESS;
                atom++;
            } else if (is_atext(c)) {
                atom++;
            } else {
                return SMTP_EADDRESS;
            }
            i++;
        }
        if (atom == 0)
            return SMTP_EADDRESS;
    }
    if (i > SMTP_LOCAL_MAX || i >= n || p[i] != '@')
        return SMTP_EADDRESS;
    *at_out = i;
    const char *d = p + i + 1;
    size_t dn = n - i - 1;
    if (dn > 0 && d[0] == '[')
        return address_literal_valid(d, dn) ? SMTP_OK : SMTP_EADDRESS;
    return smtp_domain_valid(d, dn, utf8) ? SMTP_OK : SMTP_EADDRESS;
}

enum smtp_parse_rc smtp_parse_path(struct au_slice arg, const char *keyword, bool allow_null,
                                   bool utf8_ok, struct smtp_path *path,
                                   struct au_slice *params_out)
{
    memset(path, 0, sizeof *path);
    *params_out = au_slice_make("", 0);
    if (!au_slice_prefix_ci(arg, keyword))
        return SMTP_ESYNTAX;
    const char *p = arg.ptr + strlen(keyword);
    const char *end = arg.ptr + arg.len;
    while (p < end && *p == ' ')
        p++;
    if (p >= end || *p != '<')
        return SMTP_ESYNTAX;
    /* A '>' inside a quoted local part is legal; find the real closing one. */
    const char *close = NULL;
    {
        bool quoted = false;
        for (const char *q = p + 1; q < end; q++) {
            if (quoted && *q == '\\' && q + 1 < end) {
                q++;
                continue;
            }
            if (*q == '"')
                quoted = !quoted;
            else if (*q == '>' && !quoted) {
                close = q;
                break;
            }
        }
    }
    if (close == NULL)
        return SMTP_ESYNTAX;
    const char *rest = close + 1;
    if (rest < end && *rest != ' ')
        return SMTP_ESYNTAX;
    while (rest < end && *rest == ' ')
        rest++;
    *params_out = au_slice_make(rest, (size_t)(end - rest));

    const char *a = p + 1;
    size_t an = (size_t)(close - a);
    if ((size_t)(close - p + 1) > SMTP_PATH_MAX)
        return SMTP_EADDRESS;
    /* An obsolete source route "@a,@b:" is accepted and ignored (RFC 5321 4.1.2). */
    if (an > 0 && a[0] == '@') {
        const char *colon = memchr(a, ':', an);
        if (colon == NULL)
            return SMTP_EADDRESS;
        an -= (size_t)(colon + 1 - a);
        a = colon + 1;
    }
    if (an == 0) {
        if (!allow_null)
            return SMTP_EADDRESS;
        path->null = true;
        return SMTP_OK;
    }
    bool utf8 = false;
    for (size_t i = 0; i < an; i++)
        if ((unsigned char)a[i] >= 0x80)
            utf8 = true;
    bool allow_utf8 = utf8_ok || smtp_params_have_smtputf8(*params_out);
    size_t at = 0;
    enum smtp_parse_rc rc = mailbox_valid(a, an, utf8 && allow_utf8, &at);
    if (rc != SMTP_OK)
        return rc;
    memcpy(path->addr, a, an);
    path->addr[an] = '\0';
    path->at = at;
    path->utf8 = utf8;
    return SMTP_OK;
}

/* Calls fn for each "KEY[=VALUE]" word of a parameter list. */
static bool next_param(struct au_slice *rest, struct au_slice *key, struct au_slice *val,
                       bool *has_val)
{
    while (rest->len && rest->ptr[0] == ' ') {
        rest->ptr++;
        rest->len--;
    }
    if (rest->len == 0)
        return false;
    const char *sp = memchr(rest->ptr, ' ', rest->len);
    size_t wl = sp ? (size_t)(sp - rest->ptr) : rest->len;
    const char *eq = memchr(rest->ptr, '=', wl);
    if (eq) {
        *key = au_slice_make(rest->ptr, (size_t)(eq - rest->ptr));
        *val = au_slice_make(eq + 1, wl - key->len - 1);
        *has_val = true;
    } else {
        *key = au_slice_make(rest->ptr, wl);
        *val = au_slice_make("", 0);
        *has_val = false;
    }
    rest->ptr += wl;
    rest->len -= wl;
    return true;
}

bool smtp_params_have_smtputf8(struct au_slice params)
{
    struct au_slice key, val;
    bool has_val;
    while (next_param(&params, &key, &val, &has_val))
        if (!has_val && au_slice_eq_ci(key, "SMTPUTF8"))
            return true;
    return false;
}

enum smtp_parse_rc smtp_parse_mail_params(struct au_slice params, struct smtp_mail_params *out)
{
    memset(out, 0, sizeof *out);
    struct au_slice key, val;
    bool has_val;
    while (next_param(&params, &key, &val, &has_val)) {
        if (au_slice_eq_ci(key, "SIZE")) {
            if (!has_val || val.len == 0)
                return SMTP_EPARAM;
            uint64_t v = 0;
            bool overflow = false;
            for (size_t i = 0; i < val.len; i++) {
                if (!isdigit((unsigned char)val.ptr[i]))
                    return SMTP_EPARAM;
                if (v > (UINT64_MAX - 9) / 10)
                    overflow = true;
                else
                    v = v * 10 + (uint64_t)(val.ptr[i] - '0');
            }
            /* A parameter given twice with the same value is harmless (Python's
             * smtplib repeats what send_message adds); different values are not. */
            if (out->size_given && (v != out->size || overflow != out->size_overflow))
                return SMTP_EPARAM;
            out->size = v;
            out->size_overflow = overflow;
            out->size_given = true;
        } else if (au_slice_eq_ci(key, "BODY")) {
            if (!has_val)
                return SMTP_EPARAM;
            enum smtp_body b;
            if (au_slice_eq_ci(val, "7BIT"))
                b = SMTP_BODY_7BIT;
            else if (au_slice_eq_ci(val, "8BITMIME"))
                b = SMTP_BODY_8BITMIME;
            else
                return SMTP_EPARAM;   /* BINARYMIME is not offered */
            if (out->body != SMTP_BODY_NONE && out->body != b)
                return SMTP_EPARAM;
            out->body = b;
        } else if (au_slice_eq_ci(key, "SMTPUTF8")) {
            if (has_val)
                return SMTP_EPARAM;
            out->smtputf8 = true;
        } else {
            return SMTP_EPARAM;
        }
    }
    return SMTP_OK;
}

bool smtp_helo_valid(struct au_slice arg)
{
    if (arg.len == 0 || arg.len > SMTP_DOMAIN_MAX)
        return false;
    for (size_t i = 0; i < arg.len; i++) {
        unsigned char c = (unsigned char)arg.ptr[i];
        /* Gmail takes nearly any word here (clients send "localhost",
         * "[10.0.0.1]", "my_host"); refuse only what cannot be a name. */
        if (c <= ' ' || c == 127 || c >= 0x80 || c == '<' || c == '>' || c == '@' ||
            c == '"' || c == '\\')
            return false;
    }
    return true;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int smtp_xtext_decode(struct au_slice in, struct au_buf *out)
{
    au_buf_reset(out);
    for (size_t i = 0; i < in.len; i++) {
        unsigned char c = (unsigned char)in.ptr[i];
        if (c == '+') {
            if (i + 2 >= in.len)
                return -1;
            int h = hexval((unsigned char)in.ptr[i + 1]);
            int l = hexval((unsigned char)in.ptr[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            if (au_buf_putc(out, (char)(h * 16 + l)) < 0)
                return -1;
            i += 2;
            continue;
        }
        if (c < 33 || c > 126 || c == '=')
            return -1;
        if (au_buf_putc(out, (char)c) < 0)
            return -1;
    }
    return 0;
}

int smtp_parse_bdat(struct au_slice arg, uint64_t *size, bool *last)
{
    *size = 0;
    *last = false;
    size_t i = 0;
    if (arg.len == 0 || !isdigit((unsigned char)arg.ptr[0]))
        return -1;
    size_t digits = 0;
    while (i < arg.len && isdigit((unsigned char)arg.ptr[i])) {
        if (++digits > SMTP_SIZE_DIGITS_MAX)
            return -1;
        *size = *size * 10 + (uint64_t)(arg.ptr[i] - '0');
        i++;
    }
    if (i == arg.len)
        return 0;
    if (arg.ptr[i] != ' ')
        return -1;
    while (i < arg.len && arg.ptr[i] == ' ')
        i++;
    struct au_slice rest = au_slice_make(arg.ptr + i, arg.len - i);
    if (!au_slice_eq_ci(au_slice_trim(rest), "LAST"))
        return -1;
    *last = true;
    return 0;
}
