/*
 * ar - Authentication-Results assembly (see ar.h).
 *
 * Public: au_ar_format.  RFC 8601 section 2.2 (the field's grammar),
 * REFERENCE.md 5.3 (Gmail's layout and order).  No limits of its own: the
 * caller's buffer maximum bounds the field; AU_AR_CLAUSES_MAX clauses.
 */
#include "ar.h"

#include <stdbool.h>

static int put_clause(struct au_buf *out, const char *clause, bool last)
{
    int rc = au_buf_puts(out, "\r\n" AU_AR_INDENT);
    for (const char *p = clause; *p; p++) {
        unsigned char c = (unsigned char)*p;
        rc |= au_buf_putc(out, (c < 0x20 && c != '\t') || c == 0x7f ? ' ' : (char)c);
    }
    if (!last)
        rc |= au_buf_putc(out, ';');
    return rc;
}

int au_ar_format(struct au_buf *out, const struct au_ar *ar)
{
    const char *rest[] = {ar->arc, ar->spf, ar->dmarc, ar->dara};
    const size_t nrest = sizeof rest / sizeof *rest;
    const char *list[AU_AR_CLAUSES_MAX];
    size_t n = 0;
    for (size_t i = 0; i < ar->dkim_count; i++)
        if (ar->dkim[i] && n < AU_AR_CLAUSES_MAX - nrest) /* room for the rest */
            list[n++] = ar->dkim[i];
    for (size_t i = 0; i < nrest; i++)
        if (rest[i])
            list[n++] = rest[i];

    int rc = au_buf_printf(out, "Authentication-Results: %s;",
                           ar->authserv_id ? ar->authserv_id : "mx.google.com");
    if (n == 0)
        rc |= au_buf_puts(out, " none");
    for (size_t i = 0; i < n; i++)
        rc |= put_clause(out, list[i], i + 1 == n);
    rc |= au_buf_puts(out, "\r\n");
    return rc ? -1 : 0;
}
