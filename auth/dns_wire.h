/*
 * dns_wire - the DNS packet codec of the real backend: a query to wire form,
 * and an answer from wire form to a struct au_dns_answer.  Pure: no I/O, no
 * clock, no randomness (the caller gives the id).  ldns does the packets.
 */
#ifndef AU_DNS_WIRE_H
#define AU_DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"

struct ldns_struct_rdf;

#define AU_DNS_WIRE_EDNS_SIZE 1232   /* our EDNS0 UDP payload (DNS flag day 2020) */
#define AU_DNS_WIRE_QUERY_MAX 512    /* a query always fits in this */
#define AU_DNS_WIRE_MAX 65535        /* the largest message (TCP length prefix) */
#define AU_DNS_WIRE_CNAME_MAX 8      /* links followed in an answer; as the stub */

/*
 * Writes a recursive query for q (class IN, RD set, EDNS0 with a payload of
 * AU_DNS_WIRE_EDNS_SIZE when edns is non-zero) with the given id into out.
 * Returns the length, or -1 when q's name is not a valid name or out is too
 * small (AU_DNS_WIRE_QUERY_MAX always suffices).
 */
int au_dns_query_to_wire(const struct au_dns_query *q, uint16_t id, int edns, uint8_t *out,
                         size_t outlen);

/*
 * True when resp answers query: same id, QR set, one question with the same
 * name (ASCII case ignored), type and class.  Both are wire messages; query
 * is one au_dns_query_to_wire wrote.  This is the anti-spoofing gate: a
 * reply that fails it is ignored, and the wait goes on.
 */
int au_dns_wire_answers(const uint8_t *query, size_t qlen, const uint8_t *resp, size_t rlen);

/* True when the message has the TC bit (retry over TCP). */
int au_dns_wire_truncated(const uint8_t *resp, size_t rlen);

/*
 * Converts an answer for q.  Never returns NULL: a message that is not a
 * well-formed answer to q is MALFORMED; TC is TEMPFAIL "truncated"; RCODE
 * SERVFAIL/REFUSED/... are TEMPFAIL with the RCODE's name as detail;
 * NXDOMAIN and NODATA carry the negative TTL of the authority SOA (RFC 2308
 * section 5), 0 without one.  CNAMEs from q's name are followed inside the
 * answer section (AU_DNS_WIRE_CNAME_MAX links; more is TEMPFAIL "CNAME
 * loop"), and the answer's ttl is the minimum over the chain and records.
 */
struct au_dns_answer *au_dns_answer_from_wire(const uint8_t *pkt, size_t len,
                                              const struct au_dns_query *q);

/* A dname rdf of ldns in presentation form without the trailing dot, into out.
 * Returns 0, or -1 when it is no dname or longer than AU_DNS_NAME_MAX. */
int au_dns_wire_name(const struct ldns_struct_rdf *rdf, char out[AU_DNS_NAME_MAX + 1]);

/* A character-string rdf of ldns (RFC 1035 3.3) as a slice of its bytes
 * after the length byte, valid while rdf lives.  Returns 0, or -1 when it is
 * no string or its length byte disagrees with its size. */
int au_dns_wire_string(const struct ldns_struct_rdf *rdf, struct au_slice *out);

#endif
