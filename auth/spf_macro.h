/*
 * spf_macro - SPF macro strings (RFC 7208 section 7): syntax check and
 * expansion.  No I/O; the caller supplies every value, %{p} included.
 */
#ifndef AU_SPF_MACRO_H
#define AU_SPF_MACRO_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "ip.h"

/* Digits in a transformer are read up to this value; more labels than exist
 * means "all labels" (RFC 7208 7.3), so a larger number changes nothing. */
#define AU_SPF_MACRO_DIGITS_MAX 255

enum au_spf_macro_mode {
    AU_SPF_MACRO_DOMAIN,   /* domain-spec: no SP; letters s l o d i p v h */
    AU_SPF_MACRO_EXP,      /* explain-string (TXT of exp=): SP allowed; c r t too */
    AU_SPF_MACRO_MODIFIER, /* unknown-modifier value: macro-string, every letter */
};

/* The values a macro may expand to (RFC 7208 7.3). Strings are C strings. */
struct au_spf_macro_vars {
    const char *sender;        /* s: <sender> (local-part@domain) */
    const char *local;         /* l: local-part of <sender> */
    const char *sender_domain; /* o: domain of <sender> */
    const char *domain;        /* d: current <domain> */
    const struct au_ip *ip;    /* i, c, v: the client (already unmapped) */
    const char *helo;          /* h: HELO/EHLO as given */
    const char *validated;     /* p: validated domain name, or "unknown" */
    const char *receiver;      /* r: the receiving host's name */
    uint64_t now;              /* t: seconds since the epoch */
};

/* Checks s against the grammar of mode. Returns 0, or -1 with a message in err
 * (errlen bytes, NUL-terminated; err may be NULL). */
int au_spf_macro_check(struct au_slice s, enum au_spf_macro_mode mode, char *err, size_t errlen);

/* True when s (syntactically valid) uses the p letter, which needs DNS. */
bool au_spf_macro_uses_p(struct au_slice s);

/* Appends the expansion of s to out. Returns 0; -1 when s breaks the grammar
 * of mode; -2 when out's maximum would be crossed (out is then left with a
 * partial expansion). */
int au_spf_macro_expand(struct au_slice s, enum au_spf_macro_mode mode,
                        const struct au_spf_macro_vars *v, struct au_buf *out);

#endif
