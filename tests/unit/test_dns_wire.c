/*
 * test_dns_wire - the packet codec (auth/dns_wire.c).  The messages here are
 * written by hand, byte by byte, from RFC 1035 section 4.1 and RFC 6891
 * section 6.1.2, not produced by the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "dns_wire.h"

#define QNAME_EXAMPLE_COM 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0
#define PTR_QNAME 0xc0, 12   /* compression pointer to the question's name */

static void test_query_to_wire(void **state)
{
    struct au_dns_query q = {.type = AU_DNS_TXT, .name = "Example.com"};
    uint8_t out[AU_DNS_WIRE_QUERY_MAX];
    int n = au_dns_query_to_wire(&q, 0xbeef, 1, out, sizeof out);
    static const uint8_t expect[] = {
        0xbe, 0xef,        /* id */
        0x01, 0x00,        /* QR=0 opcode QUERY, RD=1 */
        0, 1, 0, 0, 0, 0, 0, 1, /* QD=1 AN=0 NS=0 AR=1 */
        7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
        0, 16, 0, 1,       /* TXT IN */
        0,                 /* OPT: root owner */
        0, 41,             /* type OPT */
        0x04, 0xd0,        /* class = UDP payload 1232 */
        0, 0, 0, 0,        /* extended RCODE, version 0, DO=0 */
        0, 0,              /* RDLEN 0 */
    };
    assert_int_equal(n, sizeof expect);
    assert_memory_equal(out, expect, sizeof expect);

    /* Without EDNS: no additional record. */
    n = au_dns_query_to_wire(&q, 1, 0, out, sizeof out);
    assert_int_equal(n, 12 + 13 + 4);
    assert_int_equal(out[11], 0);

    /* The root, a trailing dot, and names that are not names. */
    struct au_dns_query root = {.type = AU_DNS_NS, .name = ""};
    assert_int_equal(au_dns_query_to_wire(&root, 1, 0, out, sizeof out), 12 + 1 + 4);
    struct au_dns_query dot = {.type = AU_DNS_A, .name = "example.com."};
    assert_int_equal(au_dns_query_to_wire(&dot, 1, 0, out, sizeof out), 12 + 13 + 4);
    struct au_dns_query bad = {.type = AU_DNS_A, .name = "a..b"};
    assert_int_equal(au_dns_query_to_wire(&bad, 1, 0, out, sizeof out), -1);
    struct au_dns_query lead = {.type = AU_DNS_A, .name = ".a"};
    assert_int_equal(au_dns_query_to_wire(&lead, 1, 0, out, sizeof out), -1);
    struct au_dns_query longlabel = {.type = AU_DNS_A};
    memset(longlabel.name, 'a', 64);
    assert_int_equal(au_dns_query_to_wire(&longlabel, 1, 0, out, sizeof out), -1);
    assert_int_equal(au_dns_query_to_wire(&q, 1, 1, out, 20), -1);
}

struct wcase {
    const char *what;
    const uint8_t *pkt;
    size_t len;
    uint16_t qtype;
    enum au_dns_status status;
    size_t count;
    const char *detail;   /* NULL: unchecked */
    const char *cname;    /* NULL: must be NULL */
    uint32_t ttl;
};

/* Response header: id 0x1234, QR RD RA, and the RCODE. */
#define HDR(rcode, an, ns) 0x12, 0x34, 0x81, 0x80 | (rcode), 0, 1, 0, an, 0, ns, 0, 0

static const uint8_t a_two[] = {
    HDR(0, 2, 0), QNAME_EXAMPLE_COM, 0, 1, 0, 1,
    PTR_QNAME, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 1,     /* 3600 */
    PTR_QNAME, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 2,     /* 300 */
};
/* example.com CNAME www.example.com (TTL 60); www A 192.0.2.9 */
static const uint8_t cname_chain[] = {
    HDR(0, 2, 0), QNAME_EXAMPLE_COM, 0, 1, 0, 1,
    PTR_QNAME, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, 'w', 'w', 'w', PTR_QNAME,
    0xc0, 41, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 9,
};
/* NXDOMAIN, authority SOA with TTL 900 and minimum 300. */
static const uint8_t nxdomain[] = {
    HDR(3, 0, 1), QNAME_EXAMPLE_COM, 0, 1, 0, 1,
    PTR_QNAME, 0, 6, 0, 1, 0, 0, 0x03, 0x84, 0, 30,
    2, 'n', 's', PTR_QNAME, 2, 'h', 'm', PTR_QNAME,
    0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0x01, 0x2c,
};
/* NODATA: NOERROR, no answer, SOA TTL 100 < minimum 300. */
static const uint8_t nodata[] = {
    HDR(0, 0, 1), QNAME_EXAMPLE_COM, 0, 1, 0, 1,
    PTR_QNAME, 0, 6, 0, 1, 0, 0, 0, 100, 0, 30,
    2, 'n', 's', PTR_QNAME, 2, 'h', 'm', PTR_QNAME,
    0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0x01, 0x2c,
};
static const uint8_t servfail[] = {HDR(2, 0, 0), QNAME_EXAMPLE_COM, 0, 1, 0, 1};
static const uint8_t refused[] = {HDR(5, 0, 0), QNAME_EXAMPLE_COM, 0, 1, 0, 1};
static const uint8_t rcode9[] = {HDR(9, 0, 0), QNAME_EXAMPLE_COM, 0, 1, 0, 1};
static const uint8_t truncated[] = {0x12, 0x34, 0x83, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
                                    QNAME_EXAMPLE_COM, 0, 16, 0, 1};
/* Two TXT strings, "v=spf1 " and "-all", one record. */
static const uint8_t txt[] = {
    HDR(0, 1, 0), QNAME_EXAMPLE_COM, 0, 16, 0, 1,
    PTR_QNAME, 0, 16, 0, 1, 0, 0, 0, 30, 0, 13,
    7, 'v', '=', 's', 'p', 'f', '1', ' ', 4, '-', 'a', 'l', 'l',
};
static const uint8_t mx_null[] = {
    HDR(0, 1, 0), QNAME_EXAMPLE_COM, 0, 15, 0, 1,
    PTR_QNAME, 0, 15, 0, 1, 0, 0, 0, 30, 0, 3, 0, 0, 0,
};
/* A loop: example.com CNAME example.com. */
static const uint8_t loop[] = {
    HDR(0, 1, 0), QNAME_EXAMPLE_COM, 0, 1, 0, 1,
    PTR_QNAME, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, PTR_QNAME,
};
/* An answer for another name only: NODATA for ours, not its records. */
static const uint8_t other_owner[] = {
    HDR(0, 1, 0), QNAME_EXAMPLE_COM, 0, 1, 0, 1,
    3, 'w', 'w', 'w', PTR_QNAME, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1,
};
/* An A record with 3 bytes of data.  (One with 5 is read by ldns as its
 * first 4: see XXX in dns_wire.c.) */
static const uint8_t bad_a[] = {
    HDR(0, 1, 0), QNAME_EXAMPLE_COM, 0, 1, 0, 1,
    PTR_QNAME, 0, 1, 0, 1, 0, 0, 0, 60, 0, 3, 192, 0, 2,
};
static const uint8_t cut[] = {HDR(0, 1, 0), QNAME_EXAMPLE_COM, 0, 1, 0, 1, PTR_QNAME, 0, 1};
static const uint8_t query_not_answer[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                           QNAME_EXAMPLE_COM, 0, 1, 0, 1};
static const uint8_t other_question[] = {HDR(0, 0, 0), 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
static const uint8_t pointer_loop[] = {HDR(0, 1, 0), QNAME_EXAMPLE_COM, 0, 1, 0, 1,
                                       0xc0, 29, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4};

#define W(p) p, sizeof p
static const struct wcase wcases[] = {
    {"two A records, ttl is the minimum", W(a_two), AU_DNS_A, AU_DNS_RECORDS, 2, "", NULL, 300},
    {"CNAME followed", W(cname_chain), AU_DNS_A, AU_DNS_RECORDS, 1, NULL, "www.example.com", 60},
    {"NXDOMAIN, SOA minimum", W(nxdomain), AU_DNS_A, AU_DNS_NXDOMAIN, 0, "NXDOMAIN", NULL, 300},
    {"NODATA, SOA TTL caps", W(nodata), AU_DNS_A, AU_DNS_NODATA, 0, NULL, NULL, 100},
    {"SERVFAIL", W(servfail), AU_DNS_A, AU_DNS_TEMPFAIL, 0, "SERVFAIL", NULL, 0},
    {"REFUSED", W(refused), AU_DNS_A, AU_DNS_TEMPFAIL, 0, "REFUSED", NULL, 0},
    {"odd RCODE", W(rcode9), AU_DNS_A, AU_DNS_TEMPFAIL, 0, "RCODE 9", NULL, 0},
    {"truncated", W(truncated), AU_DNS_TXT, AU_DNS_TEMPFAIL, 0, "truncated", NULL, 0},
    {"TXT strings apart", W(txt), AU_DNS_TXT, AU_DNS_RECORDS, 1, NULL, NULL, 30},
    {"null MX", W(mx_null), AU_DNS_MX, AU_DNS_RECORDS, 1, NULL, NULL, 30},
    {"CNAME loop", W(loop), AU_DNS_A, AU_DNS_TEMPFAIL, 0, "CNAME loop", NULL, 0},
    {"CNAME asked", W(loop), AU_DNS_CNAME, AU_DNS_MALFORMED, 0, "question mismatch", NULL, 0},
    {"records of another owner", W(other_owner), AU_DNS_A, AU_DNS_NODATA, 0, NULL, NULL, 0},
    {"bad A length", W(bad_a), AU_DNS_A, AU_DNS_MALFORMED, 0, NULL, NULL, 0},
    {"cut short", W(cut), AU_DNS_A, AU_DNS_MALFORMED, 0, "unparsable answer", NULL, 0},
    {"a query, not an answer", W(query_not_answer), AU_DNS_A, AU_DNS_MALFORMED, 0,
     "not an answer", NULL, 0},
    {"other question", W(other_question), AU_DNS_A, AU_DNS_MALFORMED, 0, "question mismatch",
     NULL, 0},
    {"type mismatch", W(a_two), AU_DNS_AAAA, AU_DNS_MALFORMED, 0, "question mismatch", NULL, 0},
    {"compression pointer loop", W(pointer_loop), AU_DNS_A, AU_DNS_MALFORMED, 0, NULL, NULL, 0},
    {"empty", (const uint8_t *)"", 0, AU_DNS_A, AU_DNS_MALFORMED, 0, NULL, NULL, 0},
};

static void test_from_wire(void **state)
{
    for (size_t i = 0; i < sizeof wcases / sizeof wcases[0]; i++) {
        const struct wcase *c = &wcases[i];
        struct au_dns_query q = {.type = c->qtype, .name = "example.com"};
        struct au_dns_answer *a = au_dns_answer_from_wire(c->pkt, c->len, &q);
        print_message("%-35s %-9s %s cname=%s ttl=%u n=%zu\n", c->what,
                      au_dns_status_name(a->status), a->detail, a->cname ? a->cname : "-",
                      a->ttl, a->count);
        assert_int_equal(a->status, c->status);
        assert_int_equal(a->count, c->count);
        if (c->detail)
            assert_string_equal(a->detail, c->detail);
        if (c->cname)
            assert_string_equal(a->cname, c->cname);
        else
            assert_null(a->cname);
        assert_int_equal(a->ttl, c->ttl);
        au_dns_answer_unref(a);
    }

    struct au_dns_query q = {.type = AU_DNS_A, .name = "EXAMPLE.com"};
    struct au_dns_answer *a = au_dns_answer_from_wire(W(a_two), &q);
    assert_int_equal(a->rr[0].u.a[3], 1);
    assert_int_equal(a->rr[1].u.a[3], 2);
    au_dns_answer_unref(a);
    a = au_dns_answer_from_wire(W(cname_chain), &q);
    assert_int_equal(a->rr[0].type, AU_DNS_A);
    assert_int_equal(a->rr[0].u.a[3], 9);
    au_dns_answer_unref(a);
    q.type = AU_DNS_TXT;
    a = au_dns_answer_from_wire(W(txt), &q);
    assert_int_equal(a->rr[0].u.txt.count, 2);
    assert_int_equal(a->rr[0].u.txt.str[0].len, 7);
    assert_memory_equal(a->rr[0].u.txt.str[1].ptr, "-all", 4);
    au_dns_answer_unref(a);
    q.type = AU_DNS_MX;
    a = au_dns_answer_from_wire(W(mx_null), &q);
    assert_int_equal(a->rr[0].u.mx.pref, 0);
    assert_string_equal(a->rr[0].u.mx.host, "");
    au_dns_answer_unref(a);
}

static void test_answers_gate(void **state)
{
    struct au_dns_query q = {.type = AU_DNS_A, .name = "example.com"};
    uint8_t query[AU_DNS_WIRE_QUERY_MAX];
    int n = au_dns_query_to_wire(&q, 0x1234, 1, query, sizeof query);
    assert_true(n > 0);
    uint8_t resp[sizeof a_two];
    memcpy(resp, a_two, sizeof resp);
    assert_true(au_dns_wire_answers(query, (size_t)n, resp, sizeof resp));
    resp[14] = 'X';   /* 0x20 case change of the name is still the same name */
    assert_true(au_dns_wire_answers(query, (size_t)n, resp, sizeof resp));
    resp[14] = 'z';
    assert_false(au_dns_wire_answers(query, (size_t)n, resp, sizeof resp));
    memcpy(resp, a_two, sizeof resp);
    resp[1] = 0x35;   /* id */
    assert_false(au_dns_wire_answers(query, (size_t)n, resp, sizeof resp));
    memcpy(resp, a_two, sizeof resp);
    resp[2] &= 0x7f;  /* QR clear */
    assert_false(au_dns_wire_answers(query, (size_t)n, resp, sizeof resp));
    memcpy(resp, a_two, sizeof resp);
    resp[26] = 28;    /* QTYPE AAAA */
    assert_false(au_dns_wire_answers(query, (size_t)n, resp, sizeof resp));
    memcpy(resp, a_two, sizeof resp);
    resp[28] = 3;     /* QCLASS CH */
    assert_false(au_dns_wire_answers(query, (size_t)n, resp, sizeof resp));
    assert_false(au_dns_wire_answers(query, (size_t)n, a_two, 20));
    assert_false(au_dns_wire_answers(query, (size_t)n, other_question, sizeof other_question));
    assert_false(au_dns_wire_answers(query, 5, a_two, sizeof a_two));
    assert_true(au_dns_wire_truncated(truncated, sizeof truncated));
    assert_false(au_dns_wire_truncated(a_two, sizeof a_two));
    assert_false(au_dns_wire_truncated(a_two, 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_to_wire),
        cmocka_unit_test(test_from_wire),
        cmocka_unit_test(test_answers_gate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
