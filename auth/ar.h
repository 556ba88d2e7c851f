/*
 * ar - the Authentication-Results header field in Gmail's layout
 * (RFC 8601; REFERENCE.md section 5.3).
 *
 * The clause texts ("dkim=pass header.i=@d header.s=s header.b=abcdefgh",
 * "spf=...", "dmarc=...") come from the DKIM, SPF and DMARC modules; this
 * module only assembles them: "Authentication-Results: mx.google.com;",
 * then one method per line, each continuation line indented with 7 spaces,
 * clauses separated by ";", in Gmail's order dkim (one per signature, top
 * to bottom) -> arc -> spf -> dmarc -> dara.
 */
#ifndef AU_AR_H
#define AU_AR_H

#include <stddef.h>

#include "buf.h"

#define AU_AR_INDENT "       " /* 7 spaces, as Gmail folds */
#define AU_AR_CLAUSES_MAX 64   /* clauses in one field; DKIM clauses past it are left out */

struct au_ar {
    const char *authserv_id; /* "mx.google.com"; NULL: that */
    const char *const *dkim; /* dkim_count clauses, header order */
    size_t dkim_count;
    const char *arc; /* each NULL when absent */
    const char *spf;
    const char *dmarc;
    const char *dara;
};

/* Appends the whole field, name to final CRLF, to out. Without any clause
 * the field reads "Authentication-Results: <id>; none" (RFC 8601 2.2). CR,
 * LF and other control bytes inside a clause become spaces, so a clause can
 * never end the field. At most AU_AR_CLAUSES_MAX clauses. Returns 0, or -1 when out's maximum was
 * crossed (out then holds a truncated field: reset it). */
int au_ar_format(struct au_buf *out, const struct au_ar *ar);

#endif
