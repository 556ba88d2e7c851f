/*
 * iprev - forward-confirmed reverse DNS of the client address (RFC 8601
 * section 3): PTR of the address, then A/AAAA of each name must contain it.
 *
 * Use:
 *     struct au_iprev *v = au_iprev_new(&client_ip);
 *     au_dns_run(au_iprev_step, v, lookup, ctx);    // or any driver (dns.h)
 *     const struct au_iprev_outcome *o = au_iprev_outcome(v);
 *     au_iprev_free(v);
 */
#ifndef AU_IPREV_H
#define AU_IPREV_H

#include <stdbool.h>
#include <stddef.h>

#include "dns.h"
#include "ip.h"
#include "result.h"

#define AU_IPREV_NAMES_MAX 10 /* PTR names forward-checked (as SPF's ptr limit) */

struct au_iprev;

/* One PTR name and what its forward lookup said. */
struct au_iprev_name {
    const char *name;           /* as the PTR record gave it, no trailing dot */
    enum au_dns_status forward; /* status of its A (IPv4) or AAAA (IPv6) lookup */
    bool confirmed;             /* the forward answer contains the client address */
};

struct au_iprev_outcome {
    enum au_result result;    /* pass, fail, temperror, permerror; none before done */
    const char *ip;           /* the client address as text */
    const char *reverse_name; /* "4.3.2.1.in-addr.arpa" / "...ip6.arpa" */
    size_t ptr_total;         /* PTR records published (may exceed the names checked) */
    size_t names;             /* PTR names forward-checked, at most AU_IPREV_NAMES_MAX */
    const struct au_iprev_name *name;
    const char *confirmed;   /* the first confirmed name, or NULL */
    const char *explanation; /* a sentence, never NULL */
};

/*
 * Starts iprev for ip (copied; an IPv4-mapped IPv6 address is checked as
 * IPv4).  Returns a check for au_iprev_step; never NULL.
 */
struct au_iprev *au_iprev_new(const struct au_ip *ip);
/* Frees v. NULL is a no-op. */
void au_iprev_free(struct au_iprev *v);
/* The step function (dns.h contract): PTR, then A/AAAA of up to 10 names at once. */
enum au_step au_iprev_step(void *v, struct au_dns_batch *batch);
/* The outcome; complete once step returned AU_STEP_DONE. Valid until _free. */
const struct au_iprev_outcome *au_iprev_outcome(const struct au_iprev *v);

#endif
