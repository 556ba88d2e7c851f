/*
 * catalog - Gmail's policy replies as data (ARCHITECTURE.md principle 5).
 *
 * One entry per reply the policy profiles can give: id, code, enhanced code,
 * the template of its text, where the words come from (a transcript T-n of
 * REFERENCE.md section 3, a wire fragment, or Google's doc text), and a
 * DECISION / UNCONFIRMED note where the evidence left a choice.  Codes get
 * renamed by Google over time; this table is the one place to change them.
 *
 * au_catalog_render lays an entry out as Gmail does (the layout rule is
 * written down in catalog.c) and returns a struct au_reply, which the
 * receiver writes with au_reply_write (the one reply choke point) and logs
 * as {"code","enhanced","text"}.
 */
#ifndef AU_CATALOG_H
#define AU_CATALOG_H

#include "reply.h"

#define AU_CATALOG_WRAP 68       /* columns of text per reply line (REFERENCE.md 2.3) */
#define AU_CATALOG_VALUE_MAX 255 /* bytes of one substituted value (a domain) */
#define AU_CATALOG_FIXED_MAX 74  /* longest pre-wrapped line kept as is (T-8's first) */

enum au_catalog_id {
    AU_CAT_ACCEPTED = 0,           /* 250 2.0.0 OK  <epoch> */
    AU_CAT_PTR,                    /* 550 5.7.25, T-11 */
    AU_CAT_PTR_TEMP,               /* 451 4.7.23, doc text */
    AU_CAT_UNAUTH,                 /* 550 5.7.26, T-2 */
    AU_CAT_UNAUTH_TEMP,            /* 421 4.7.26, T-4 */
    AU_CAT_SPF_HARDFAIL,           /* 550 5.7.26, T-8 */
    AU_CAT_DMARC_REJECT,           /* 550 5.7.26, T-5 */
    AU_CAT_DMARC_REJECT_TEMP,      /* 421 4.7.26, T-5 words (gmail-tempfail) */
    AU_CAT_DMARC_DNS_TEMP,         /* 451 4.7.26, T-7 */
    AU_CAT_BULK_SPF,               /* 550 5.7.27 */
    AU_CAT_BULK_SPF_TEMP,          /* 421 4.7.27 */
    AU_CAT_BULK_DKIM,              /* 550 5.7.30 */
    AU_CAT_BULK_DKIM_TEMP,         /* 421 4.7.30 */
    AU_CAT_BULK_DMARC_RECORD,      /* 550 5.7.40 */
    AU_CAT_BULK_DMARC_RECORD_TEMP, /* 421 4.7.40 (the FAQ says 4.7.31) */
    AU_CAT_BULK_ALIGN,             /* 421 4.7.32, T-12 */
    AU_CAT_BULK_ALIGN_BLOCKED,     /* 421 5.7.32, doc text */
    AU_CAT_BULK_TLS,               /* 550 5.7.29 */
    AU_CAT_BULK_TLS_TEMP,          /* 421 4.7.29 */
    AU_CAT_RFC_DUPLICATE,          /* 550 5.7.1 multiple <header> headers (2023 wire) */
    AU_CAT_RFC_FROM_MISSING,       /* 550 5.7.1 */
    AU_CAT_RFC_FROM_MULTIPLE,      /* 550 5.7.1 several From fields */
    AU_CAT_RFC_FROM_ADDRESSES,     /* 550 5.7.1 several addresses in From */
    AU_CAT_RFC_FROM_INVALID,       /* 550 5.7.1 From without a valid address */
    AU_CAT_RFC_MESSAGE_ID,         /* 550 5.7.1 Message-ID missing or invalid */
    AU_CAT__COUNT
};

/*
 * A template is a NULL-terminated array of lines; the first character of a
 * line says how it is laid out:
 *   '~'  a paragraph, filled to AU_CATALOG_WRAP columns (rule in catalog.c);
 *   '='  a fixed line: values substituted, not re-wrapped while every line
 *        of the run stays within AU_CATALOG_FIXED_MAX (else the run is filled);
 *   ""   an empty line (on the wire "550-5.7.26 ", the one-space blank).
 * Placeholders: {ip} {domain} {from_domain} {header} {epoch}.
 */
struct au_catalog_entry {
    enum au_catalog_id id;
    const char *name; /* stable short name for logs: "unauthenticated" */
    int code;
    const char *enhanced;
    const char *const *text; /* the template */
    const char *source;      /* T-n, wire fragment or doc text, with reference tags */
    const char *note;        /* DECISION / UNCONFIRMED remarks; NULL when none */
};

/* The values a template may use. NULL strings are rendered empty. */
struct au_catalog_values {
    const char *ip;          /* the client IP */
    const char *domain;      /* the MAIL FROM domain (SPF identity) */
    const char *from_domain; /* the RFC5322.From domain */
    const char *header;      /* a header field name ("Cc") */
    long long epoch;         /* seconds, for the 250 of an accepted message */
};

/* The entry for id, never NULL; an id out of range is a bug and aborts. */
const struct au_catalog_entry *au_catalog_get(enum au_catalog_id id);
/* The entry's short name, or "?" for an id out of range. */
const char *au_catalog_name(enum au_catalog_id id);
/* Renders entry id with values v into out: code, enhanced code and lines (at
 * least one). out must be zero-initialised before its first use; lines it
 * held are freed first. Release with au_reply_clear. */
void au_catalog_render(enum au_catalog_id id, const struct au_catalog_values *v,
                       struct au_reply *out);

#endif
