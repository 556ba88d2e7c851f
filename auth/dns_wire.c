/*
 * dns_wire - DNS messages to and from struct au_dns_answer (see dns_wire.h).
 *
 * Public: au_dns_query_to_wire, au_dns_wire_answers, au_dns_wire_truncated,
 * au_dns_answer_from_wire.
 *
 * RFCs: 1035 section 4 (messages), 6891 (EDNS0 OPT record), 2308 section 5
 * (negative TTL from the authority SOA), 1034 section 3.6.2 and 6604 (a
 * CNAME chain in the answer; the RCODE speaks for the chain's last name),
 * 5452 section 9.1 (accept only answers whose id and question match).
 *
 * Limits: AU_DNS_WIRE_CNAME_MAX links; names of AU_DNS_NAME_MAX bytes in
 * presentation form; messages of AU_DNS_WIRE_MAX bytes.
 *
 * XXX: ldns reads the RDATA fields a type defines and skips any bytes left
 * over within RDLENGTH (an A with 5 bytes is read as its first 4); we take
 * that leniency rather than re-parse every record ourselves.
 */
#include "dns_wire.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "xalloc.h"

#define WIRE_HEADER 12

/* The name of q as an ldns dname, or NULL when it is not a valid name. */
static ldns_rdf *query_dname(const struct au_dns_query *q)
{
    char abs[AU_DNS_NAME_MAX + 2];
    size_t len = strnlen(q->name, sizeof q->name);
    if (len > AU_DNS_NAME_MAX)
        return NULL;
    if (len == 0)
        return ldns_dname_new_frm_str(".");
    /* An empty label ("a..b", ".a") is not a name; ldns would take some. */
    if (q->name[0] == '.')
        return NULL;
    for (size_t i = 1; i < len; i++)
        if (q->name[i] == '.' && q->name[i - 1] == '.')
            return NULL;
    snprintf(abs, sizeof abs, "%s%s", q->name,
             q->name[len - 1] == '.' && !(len >= 2 && q->name[len - 2] == '\\') ? "" : ".");
    return ldns_dname_new_frm_str(abs);
}

int au_dns_query_to_wire(const struct au_dns_query *q, uint16_t id, int edns, uint8_t *out,
                         size_t outlen)
{
    ldns_rdf *name = query_dname(q);
    if (name == NULL)
        return -1;
    /* ldns_pkt_query_new takes ownership of name. */
    ldns_pkt *p = ldns_pkt_query_new(name, (ldns_rr_type)q->type, LDNS_RR_CLASS_IN, LDNS_RD);
    if (p == NULL)
        return -1;
    ldns_pkt_set_id(p, id);
    if (edns)
        ldns_pkt_set_edns_udp_size(p, AU_DNS_WIRE_EDNS_SIZE);
    uint8_t *wire = NULL;
    size_t size = 0;
    int rc = -1;
    if (ldns_pkt2wire(&wire, p, &size) == LDNS_STATUS_OK && size <= outlen) {
        memcpy(out, wire, size);
        rc = (int)size;
    }
    free(wire);
    ldns_pkt_free(p);
    return rc;
}

int au_dns_wire_truncated(const uint8_t *resp, size_t rlen)
{
    return rlen >= WIRE_HEADER && (resp[2] & 0x02) != 0;
}

int au_dns_wire_answers(const uint8_t *query, size_t qlen, const uint8_t *resp, size_t rlen)
{
    if (qlen < WIRE_HEADER || rlen < WIRE_HEADER)
        return 0;
    if (query[0] != resp[0] || query[1] != resp[1])
        return 0;   /* id */
    if ((resp[2] & 0x80) == 0 || (resp[2] & 0x78) != 0)
        return 0;   /* not a response, or not to a standard QUERY */
    if (resp[4] != 0 || resp[5] != 1)
        return 0;   /* exactly one question */
    size_t i = WIRE_HEADER;
    for (;;) {
        if (i >= qlen || i >= rlen)
            return 0;
        uint8_t l = query[i];
        if (resp[i] != l || l > AU_DNS_LABEL_MAX)
            return 0;   /* a compression pointer in a question is refused too */
        i++;
        if (l == 0)
            break;
        if (i + l > qlen || i + l > rlen)
            return 0;
        for (size_t j = 0; j < l; j++, i++)
            if (tolower(query[i]) != tolower(resp[i]))
                return 0;
    }
    /* QTYPE and QCLASS */
    if (i + 4 > qlen || i + 4 > rlen)
        return 0;
    return memcmp(query + i, resp + i, 4) == 0;
}

int au_dns_wire_name(const ldns_rdf *rdf, char out[AU_DNS_NAME_MAX + 1])
{
    if (rdf == NULL || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME)
        return -1;
    char *s = ldns_rdf2str(rdf);
    if (s == NULL)
        return -1;
    size_t len = strlen(s);
    if (len > 0 && s[len - 1] == '.')
        len--;
    int rc = -1;
    if (len <= AU_DNS_NAME_MAX) {
        memcpy(out, s, len);
        out[len] = '\0';
        rc = 0;
    }
    free(s);
    return rc;
}

int au_dns_wire_string(const ldns_rdf *rdf, struct au_slice *out)
{
    const uint8_t *d = ldns_rdf_data(rdf);
    size_t sz = ldns_rdf_size(rdf);
    if (ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_STR || sz < 1 || d[0] != sz - 1)
        return -1;
    *out = au_slice_make((const char *)d + 1, sz - 1);
    return 0;
}

/* Adds one record to b. Returns 0, or -1 when its data has the wrong shape. */
static int add_record(struct au_dns_builder *b, const ldns_rr *rr)
{
    uint16_t type = (uint16_t)ldns_rr_get_type(rr);
    uint32_t ttl = ldns_rr_ttl(rr);
    size_t n = ldns_rr_rd_count(rr);
    const ldns_rdf *f0 = n > 0 ? ldns_rr_rdf(rr, 0) : NULL;
    char name[AU_DNS_NAME_MAX + 1];
    switch (type) {
    case AU_DNS_A:
        if (n != 1 || ldns_rdf_size(f0) != 4)
            return -1;
        au_dns_builder_add_a(b, ttl, ldns_rdf_data(f0));
        return 0;
    case AU_DNS_AAAA:
        if (n != 1 || ldns_rdf_size(f0) != 16)
            return -1;
        au_dns_builder_add_aaaa(b, ttl, ldns_rdf_data(f0));
        return 0;
    case AU_DNS_MX:
        if (n != 2 || ldns_rdf_size(f0) != 2 || au_dns_wire_name(ldns_rr_rdf(rr, 1), name) < 0)
            return -1;
        au_dns_builder_add_mx(b, ttl, ldns_rdf2native_int16(f0), name);
        return 0;
    case AU_DNS_NS:
    case AU_DNS_CNAME:
    case AU_DNS_PTR:
        if (n != 1 || au_dns_wire_name(f0, name) < 0)
            return -1;
        au_dns_builder_add_name(b, type, ttl, name);
        return 0;
    case AU_DNS_TXT:
    case AU_DNS_SPF: {
        struct au_slice *str = au_xcalloc(n ? n : 1, sizeof *str);
        for (size_t i = 0; i < n; i++)
            if (au_dns_wire_string(ldns_rr_rdf(rr, i), &str[i]) < 0) {
                free(str);
                return -1;
            }
        au_dns_builder_add_txt(b, type, ttl, str, n);
        free(str);
        return 0;
    }
    }
    return -1;
}

static struct au_dns_answer *rcode_answer(ldns_pkt_rcode rcode)
{
    static const char *const names[] = {
        [LDNS_RCODE_FORMERR] = "FORMERR", [LDNS_RCODE_SERVFAIL] = "SERVFAIL",
        [LDNS_RCODE_NOTIMPL] = "NOTIMP",  [LDNS_RCODE_REFUSED] = "REFUSED",
    };
    if ((size_t)rcode < sizeof names / sizeof names[0] && names[rcode])
        return au_dns_answer_status(AU_DNS_TEMPFAIL, 0, names[rcode]);
    char detail[32];
    snprintf(detail, sizeof detail, "RCODE %d", (int)rcode);
    return au_dns_answer_status(AU_DNS_TEMPFAIL, 0, detail);
}

/* RFC 2308 section 5: the SOA's minimum, capped by the SOA record's TTL. */
static uint32_t negative_ttl(const ldns_pkt *p)
{
    const ldns_rr_list *auth = ldns_pkt_authority(p);
    for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(auth, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(rr) != 7)
            continue;
        const ldns_rdf *min = ldns_rr_rdf(rr, 6);
        if (ldns_rdf_size(min) != 4)
            continue;
        uint32_t m = ldns_rdf2native_int32(min);
        return m < ldns_rr_ttl(rr) ? m : ldns_rr_ttl(rr);
    }
    return 0;
}

static int owner_is(const ldns_rr *rr, const ldns_rdf *name)
{
    return ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
           ldns_dname_compare(ldns_rr_owner(rr), name) == 0;
}

/* Abandons the answer being built: the message says status instead. */
static struct au_dns_answer *abandon(struct au_dns_builder *b, enum au_dns_status status,
                                     const char *detail)
{
    au_dns_answer_unref(au_dns_builder_finish(b));
    return au_dns_answer_status(status, 0, detail);
}

static struct au_dns_answer *convert(const ldns_pkt *p, const struct au_dns_query *q,
                                     const ldns_rdf *qname)
{
    if (!ldns_pkt_qr(p) || ldns_pkt_get_opcode(p) != LDNS_PACKET_QUERY)
        return au_dns_answer_status(AU_DNS_MALFORMED, 0, "not an answer");
    const ldns_rr_list *question = ldns_pkt_question(p);
    if (ldns_rr_list_rr_count(question) != 1)
        return au_dns_answer_status(AU_DNS_MALFORMED, 0, "question mismatch");
    const ldns_rr *qrr = ldns_rr_list_rr(question, 0);
    if (ldns_rr_get_type(qrr) != q->type || !owner_is(qrr, qname))
        return au_dns_answer_status(AU_DNS_MALFORMED, 0, "question mismatch");
    if (ldns_pkt_tc(p))
        return au_dns_answer_status(AU_DNS_TEMPFAIL, 0, "truncated");
    ldns_pkt_rcode rcode = ldns_pkt_get_rcode(p);
    if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN)
        return rcode_answer(rcode);

    const ldns_rr_list *ans = ldns_pkt_answer(p);
    size_t nans = ldns_rr_list_rr_count(ans);
    struct au_dns_builder *b = au_dns_builder_new();
    const ldns_rdf *current = qname;
    char cname[AU_DNS_NAME_MAX + 1];
    int have_cname = 0, bad = 0;
    uint32_t chain_ttl = UINT32_MAX;
    for (int links = 0;; links++) {
        int found = 0;
        for (size_t i = 0; i < nans && !bad; i++) {
            const ldns_rr *rr = ldns_rr_list_rr(ans, i);
            if (ldns_rr_get_type(rr) == q->type && owner_is(rr, current)) {
                found = 1;
                bad = add_record(b, rr) < 0;
            }
        }
        if (bad)
            return abandon(b, AU_DNS_MALFORMED, "bad record data");
        if (found || q->type == AU_DNS_CNAME)
            break;
        const ldns_rr *link = NULL;
        for (size_t i = 0; i < nans && link == NULL; i++) {
            const ldns_rr *rr = ldns_rr_list_rr(ans, i);
            if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && owner_is(rr, current) &&
                ldns_rr_rd_count(rr) == 1)
                link = rr;
        }
        if (link == NULL)
            break;
        if (links >= AU_DNS_WIRE_CNAME_MAX)
            return abandon(b, AU_DNS_TEMPFAIL, "CNAME loop");
        if (au_dns_wire_name(ldns_rr_rdf(link, 0), cname) < 0)
            return abandon(b, AU_DNS_MALFORMED, "bad record data");
        have_cname = 1;
        if (ldns_rr_ttl(link) < chain_ttl)
            chain_ttl = ldns_rr_ttl(link);
        current = ldns_rr_rdf(link, 0);
    }
    if (have_cname)
        au_dns_builder_set_cname(b, cname);
    struct au_dns_answer *a = au_dns_builder_finish(b);
    if (rcode == LDNS_RCODE_NXDOMAIN) {
        /* RFC 6604: NXDOMAIN is about the last name of the chain; records
         * alongside it would be a server's confusion, and are dropped. */
        if (a->count == 0 && !have_cname) {
            au_dns_answer_unref(a);
            return au_dns_answer_status(AU_DNS_NXDOMAIN, negative_ttl(p), "NXDOMAIN");
        }
        a->status = AU_DNS_NXDOMAIN;
        a->count = 0;
        a->rr = NULL;
        a->ttl = negative_ttl(p);
    } else if (a->status == AU_DNS_NODATA) {
        a->ttl = negative_ttl(p);
    }
    if (chain_ttl < a->ttl)
        a->ttl = chain_ttl;
    return a;
}

struct au_dns_answer *au_dns_answer_from_wire(const uint8_t *pkt, size_t len,
                                              const struct au_dns_query *q)
{
    if (len > AU_DNS_WIRE_MAX)
        return au_dns_answer_status(AU_DNS_MALFORMED, 0, "message too long");
    ldns_rdf *qname = query_dname(q);
    if (qname == NULL)
        return au_dns_answer_status(AU_DNS_MALFORMED, 0, "bad name");
    ldns_pkt *p = NULL;
    struct au_dns_answer *a;
    if (ldns_wire2pkt(&p, pkt, len) != LDNS_STATUS_OK || p == NULL)
        a = au_dns_answer_status(AU_DNS_MALFORMED, 0, "unparsable answer");
    else
        a = convert(p, q, qname);
    ldns_pkt_free(p);
    ldns_rdf_deep_free(qname);
    return a;
}
