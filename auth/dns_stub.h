/*
 * dns_stub - a stubbed DNS world built from zone files, answering like an
 * authoritative server (ARCHITECTURE.md principle 3).
 *
 * Zone text is RFC 1035 master format parsed by ldns ($ORIGIN, $TTL, relative
 * names, multi-string TXT; A, AAAA, MX, PTR, CNAME, NS, TXT, SPF(99)).  The
 * text is given by the caller: this module reads no files.
 *
 * Lookup semantics:
 *  - records of the type asked -> AU_DNS_RECORDS;
 *  - a CNAME at the name (and a type other than CNAME asked) is followed, up
 *    to AU_DNS_STUB_CNAME_MAX links; a loop or a longer chain is TEMPFAIL
 *    ("CNAME loop"), as a resolver gives SERVFAIL;
 *  - a name with no records but with descendants (an empty non-terminal) and
 *    a name with records of other types only -> NODATA;
 *  - otherwise a wildcard per RFC 4592 (the closest encloser's "*" child)
 *    answers; else NXDOMAIN;
 *  - faults (by exact name and type, or type ANY) replace all of this:
 *    timeout and servfail and refused -> TEMPFAIL (detail says which),
 *    nxdomain -> NXDOMAIN.  A timeout fails at once (tests stay fast).
 * Names compare case-insensitively; a trailing dot in a query is ignored.
 */
#ifndef AU_DNS_STUB_H
#define AU_DNS_STUB_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"

#define AU_DNS_STUB_CNAME_MAX 8
#define AU_DNS_STUB_DEFAULT_TTL 300

enum au_dns_fault {
    AU_DNS_FAULT_TIMEOUT,
    AU_DNS_FAULT_SERVFAIL,
    AU_DNS_FAULT_REFUSED,
    AU_DNS_FAULT_NXDOMAIN,
};

struct au_dns_stub;

struct au_dns_stub *au_dns_stub_new(void);
/* NULL is a no-op. */
void au_dns_stub_free(struct au_dns_stub *stub);

/*
 * Adds the records of zone text (len bytes, need not be NUL-terminated).
 * origin is the initial $ORIGIN ("" or NULL for the root).  source names the
 * text in error messages (a file name, or "<zone>").  Returns 0, or -1 with a
 * message "SOURCE:LINE: what" in err (errlen bytes, always NUL-terminated);
 * on error no record of this text is added.
 */
int au_dns_stub_add_zone(struct au_dns_stub *stub, const char *text, size_t len,
                         const char *origin, const char *source, char *err, size_t errlen);

/* Adds a fault for name and type (AU_DNS_ANY: every type). Returns 0 or -1 (bad name). */
int au_dns_stub_add_fault(struct au_dns_stub *stub, const char *name, uint16_t type,
                          enum au_dns_fault fault);

/* Parses "NAME/TYPE=KIND" (the --dns-fault syntax) and adds it. Returns 0, or -1
 * with a message in err. */
int au_dns_stub_add_fault_spec(struct au_dns_stub *stub, const char *spec, char *err,
                               size_t errlen);

/* Answers q. Returns a new reference, never NULL. */
struct au_dns_answer *au_dns_stub_lookup(const struct au_dns_stub *stub,
                                         const struct au_dns_query *q);

/* An au_dns_lookup_fn over a stub (ctx is the stub). */
struct au_dns_answer *au_dns_stub_lookup_fn(void *ctx, const struct au_dns_query *q);

#endif
