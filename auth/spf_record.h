/*
 * spf_record - parsing one SPF record (RFC 7208 sections 4.5, 4.6, 5, 6,
 * 7.1 and 12) into terms, with every syntax error found up front.
 */
#ifndef AU_SPF_RECORD_H
#define AU_SPF_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "ip.h"

/* Bytes of record text accepted: the most a TXT RDATA can hold. */
#define AU_SPF_RECORD_MAX 65535

enum au_spf_mech {
    AU_SPF_MECH_ALL,
    AU_SPF_MECH_INCLUDE,
    AU_SPF_MECH_A,
    AU_SPF_MECH_MX,
    AU_SPF_MECH_PTR,
    AU_SPF_MECH_IP4,
    AU_SPF_MECH_IP6,
    AU_SPF_MECH_EXISTS,
};

enum au_spf_term_type {
    AU_SPF_TERM_MECH,
    AU_SPF_TERM_REDIRECT,
    AU_SPF_TERM_EXP,
    AU_SPF_TERM_UNKNOWN, /* an unknown modifier: checked, then ignored (6) */
};

struct au_spf_term {
    enum au_spf_term_type type;
    enum au_spf_mech mech; /* when type == AU_SPF_TERM_MECH */
    char qualifier;        /* '+', '-', '~' or '?' ('+' when not written) */
    struct au_slice text;  /* the whole term as written */
    struct au_slice name;  /* mechanism or modifier name as written */
    struct au_slice spec;  /* domain-spec, or modifier value; len 0 when absent */
    int cidr4, cidr6;      /* prefix lengths, -1 when absent */
    struct au_ip ip;       /* ip4 / ip6 network */
};

struct au_spf_record {
    char *text; /* owned copy; every slice points into it */
    size_t len;
    struct au_spf_term *terms; /* in record order, modifiers included */
    size_t nterms;
    int redirect, exp; /* index of that modifier in terms, or -1 */
};

/* True when txt is an SPF version 1 record: "v=spf1" (any case) followed by
 * a space or the end (RFC 7208 4.5). */
bool au_spf_record_is_spf(struct au_slice txt);

/* Parses a record (beginning with the version). Returns a new record, or NULL
 * with a message in err (errlen bytes, NUL-terminated) on any syntax error:
 * check_host() then returns permerror. */
struct au_spf_record *au_spf_record_parse(const char *text, size_t len, char *err, size_t errlen);
/* NULL is a no-op. */
void au_spf_record_free(struct au_spf_record *rec);

/* The name of a mechanism ("all", "include", ...). */
const char *au_spf_mech_name(enum au_spf_mech m);

/* Checks a domain-spec: a valid macro-string (domain letters only) ending in
 * a macro-expand or in "." toplabel ["."] (RFC 7208 7.1). Returns 0 or -1 with
 * a message in err. */
int au_spf_record_check_domain_spec(struct au_slice spec, char *err, size_t errlen);

#endif
