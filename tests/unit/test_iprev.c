/*
 * test_iprev - iprev (RFC 8601 section 3) over a stub zone: pass, no PTR,
 * PTR without forward, forward not matching, one of several names matching,
 * the 10-name limit, CNAMEs, IPv6, IPv4-mapped addresses, DNS timeouts.
 * Expected results: RFC 8601 section 3 and DECISIONS.md rule 1 (no PTR is
 * permerror; PTR names not resolving back: fail).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns_stub.h"
#include "iprev.h"

static const char zone[] = "$ORIGIN .\n"
                           "$TTL 300\n"
                           "1.2.0.192.in-addr.arpa.   PTR mail.example.com.\n"
                           "mail.example.com.         A   192.0.2.1\n"
                           "mail.example.com.         AAAA 2001:db8::1\n"
                           "2.2.0.192.in-addr.arpa.   PTR noforward.example.com.\n"
                           "3.2.0.192.in-addr.arpa.   PTR other.example.com.\n"
                           "other.example.com.        A   192.0.2.99\n"
                           "other.example.com.        A   192.0.2.98\n"
                           "4.2.0.192.in-addr.arpa.   PTR a.example.com.\n"
                           "4.2.0.192.in-addr.arpa.   PTR b.example.com.\n"
                           "4.2.0.192.in-addr.arpa.   PTR c.example.com.\n"
                           "a.example.com.            A   192.0.2.50\n"
                           "b.example.com.            A   192.0.2.51\n"
                           "b.example.com.            A   192.0.2.4\n"
                           "5.2.0.192.in-addr.arpa.   PTR v6only.example.com.\n"
                           "v6only.example.com.       AAAA 2001:db8::5\n"
                           "7.2.0.192.in-addr.arpa.   PTR tempfwd.example.com.\n"
                           "10.2.0.192.in-addr.arpa.  TXT \"not a PTR\"\n"
                           "11.2.0.192.in-addr.arpa.  PTR tempfwd.example.com.\n"
                           "11.2.0.192.in-addr.arpa.  PTR good.example.com.\n"
                           "good.example.com.         A   192.0.2.11\n"
                           "12.2.0.192.in-addr.arpa.  PTR alias.example.com.\n"
                           "alias.example.com.        CNAME target.example.net.\n"
                           "target.example.net.       A   192.0.2.12\n"
                           "13.2.0.192.in-addr.arpa.  PTR mail.example.com.\n"
                           "14.2.0.192.in-addr.arpa.  PTR tempfwd.example.com.\n"
                           "14.2.0.192.in-addr.arpa.  PTR noforward.example.com.\n"
                           "15.2.0.192.in-addr.arpa.  PTR mail.example.com.\n"
                           "15.2.0.192.in-addr.arpa.  PTR MAIL15.EXAMPLE.COM.\n"
                           "mail15.example.com.       A   192.0.2.15\n";

static const char *const faults[] = {
    "tempfwd.example.com/A=timeout",
    "8.2.0.192.in-addr.arpa/PTR=timeout",
    "9.2.0.192.in-addr.arpa/PTR=nxdomain",
    "16.2.0.192.in-addr.arpa/PTR=servfail",
};

struct world {
    struct au_dns_stub *stub;
    int queries, forward;
};

static struct au_dns_answer *counting_lookup(void *ctx, const struct au_dns_query *q)
{
    struct world *w = ctx;
    w->queries++;
    if (q->type != AU_DNS_PTR)
        w->forward++;
    return au_dns_stub_lookup(w->stub, q);
}

static void add_zone(struct au_dns_stub *s, const char *text)
{
    char err[256];
    if (au_dns_stub_add_zone(s, text, strlen(text), "", "<zone>", err, sizeof err) != 0)
        fail_msg("zone: %s", err);
}

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    w->stub = au_dns_stub_new();
    add_zone(w->stub, zone);
    char err[256];
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        assert_int_equal(au_dns_stub_add_fault_spec(w->stub, faults[i], err, sizeof err), 0);

    /* The 10-name limit: 6.2.0.192 has 12 names, all pointing back. */
    char buf[4096];
    size_t o = 0;
    for (int i = 1; i <= 12; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o,
                              "6.2.0.192.in-addr.arpa. PTR n%d.example.org.\n"
                              "n%d.example.org. A 192.0.2.6\n",
                              i, i);
    add_zone(w->stub, buf);

    /* IPv6: the reverse name built by auth/ip, the zone by hand. */
    struct au_ip ip;
    char rev[AU_IP_REVERSE_MAX];
    assert_int_equal(au_ip_parse("2001:db8::1", 11, &ip), 0);
    snprintf(buf, sizeof buf, "%s. PTR mail.example.com.\n", au_ip_reverse_name(&ip, rev));
    add_zone(w->stub, buf);
    assert_int_equal(au_ip_parse("2001:db8::2", 11, &ip), 0);
    snprintf(buf, sizeof buf, "%s. PTR mail.example.com.\n", au_ip_reverse_name(&ip, rev));
    add_zone(w->stub, buf);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    au_dns_stub_free(w->stub);
    free(w);
    return 0;
}

static struct au_iprev *run(struct world *w, const char *addr)
{
    struct au_ip ip;
    if (au_ip_parse(addr, strlen(addr), &ip) != 0)
        fail_msg("bad address %s", addr);
    w->queries = w->forward = 0;
    struct au_iprev *v = au_iprev_new(&ip);
    au_dns_run(au_iprev_step, v, counting_lookup, w);
    assert_non_null(au_iprev_outcome(v)->explanation);
    return v;
}

struct iprev_case {
    const char *ip;
    enum au_result want;
    const char *confirmed; /* NULL: none */
    int names;
};

static const struct iprev_case table[] = {
    /* The name resolves back. */
    {"192.0.2.1", AU_RESULT_PASS, "mail.example.com", 1},
    /* PTR name without address records (NXDOMAIN): fail (RFC 8601 3). */
    {"192.0.2.2", AU_RESULT_FAIL, NULL, 1},
    /* Forward answers, but with other addresses: fail. */
    {"192.0.2.3", AU_RESULT_FAIL, NULL, 1},
    /* One of several names matches. */
    {"192.0.2.4", AU_RESULT_PASS, "b.example.com", 3},
    /* The name has only AAAA: an IPv4 client is not confirmed (NODATA). */
    {"192.0.2.5", AU_RESULT_FAIL, NULL, 1},
    /* Forward lookup times out, nothing confirmed: temperror. */
    {"192.0.2.7", AU_RESULT_TEMPERROR, NULL, 1},
    /* PTR lookup times out / SERVFAIL: temperror. */
    {"192.0.2.8", AU_RESULT_TEMPERROR, NULL, 0},
    {"192.0.2.16", AU_RESULT_TEMPERROR, NULL, 0},
    /* No PTR: NXDOMAIN, or the name exists without PTR: permerror. */
    {"192.0.2.9", AU_RESULT_PERMERROR, NULL, 0},
    {"192.0.2.10", AU_RESULT_PERMERROR, NULL, 0},
    {"198.51.100.77", AU_RESULT_PERMERROR, NULL, 0},
    /* One name confirms while another times out: pass. */
    {"192.0.2.11", AU_RESULT_PASS, "good.example.com", 2},
    /* The forward name is a CNAME: followed. */
    {"192.0.2.12", AU_RESULT_PASS, "alias.example.com", 1},
    /* The name resolves to another address only. */
    {"192.0.2.13", AU_RESULT_FAIL, NULL, 1},
    /* Timeout on one name, NXDOMAIN on the other: temperror. */
    {"192.0.2.14", AU_RESULT_TEMPERROR, NULL, 2},
    /* IPv6: AAAA confirms. */
    {"2001:db8::1", AU_RESULT_PASS, "mail.example.com", 1},
    /* IPv6 whose name's AAAA is another address: fail. */
    {"2001:db8::2", AU_RESULT_FAIL, NULL, 1},
    /* IPv6 without PTR. */
    {"2001:db8::99", AU_RESULT_PERMERROR, NULL, 0},
    /* IPv4-mapped IPv6 is checked as IPv4 (in-addr.arpa, A). */
    {"::ffff:192.0.2.1", AU_RESULT_PASS, "mail.example.com", 1},
};

static void test_table(void **state)
{
    struct world *w = *state;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const struct iprev_case *c = &table[i];
        struct au_iprev *v = run(w, c->ip);
        const struct au_iprev_outcome *o = au_iprev_outcome(v);
        if (o->result != c->want)
            fail_msg("%s: got %s, want %s (%s)", c->ip, au_result_name(o->result),
                     au_result_name(c->want), o->explanation);
        if (c->confirmed == NULL)
            assert_null(o->confirmed);
        else
            assert_string_equal(o->confirmed, c->confirmed);
        assert_int_equal(o->names, c->names);
        assert_int_equal(w->forward, c->names);
        assert_true(strlen(o->explanation) > 0);
        au_iprev_free(v);
    }
}

static void test_details(void **state)
{
    struct world *w = *state;
    struct au_iprev *v = run(w, "192.0.2.4");
    const struct au_iprev_outcome *o = au_iprev_outcome(v);
    assert_string_equal(o->ip, "192.0.2.4");
    assert_string_equal(o->reverse_name, "4.2.0.192.in-addr.arpa");
    assert_int_equal(o->ptr_total, 3);
    int confirmed = 0;
    for (size_t i = 0; i < o->names; i++) {
        if (strcmp(o->name[i].name, "c.example.com") == 0)
            assert_int_equal(o->name[i].forward, AU_DNS_NXDOMAIN);
        if (strcmp(o->name[i].name, "a.example.com") == 0) {
            assert_int_equal(o->name[i].forward, AU_DNS_RECORDS);
            assert_false(o->name[i].confirmed);
        }
        confirmed += o->name[i].confirmed;
    }
    assert_int_equal(confirmed, 1);
    assert_non_null(strstr(o->explanation, "b.example.com"));
    au_iprev_free(v);

    /* Names compare case-insensitively in DNS: MAIL15.EXAMPLE.COM works. */
    v = run(w, "192.0.2.15");
    assert_int_equal(au_iprev_outcome(v)->result, AU_RESULT_PASS);
    assert_string_equal(au_iprev_outcome(v)->confirmed, "MAIL15.EXAMPLE.COM");
    au_iprev_free(v);

    /* IPv6 reverse name is the nibble form. */
    v = run(w, "2001:db8::1");
    assert_string_equal(au_iprev_outcome(v)->reverse_name,
                        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    au_iprev_free(v);
}

static void test_names_limit(void **state)
{
    struct world *w = *state;
    struct au_iprev *v = run(w, "192.0.2.6");
    const struct au_iprev_outcome *o = au_iprev_outcome(v);
    assert_int_equal(o->result, AU_RESULT_PASS);
    assert_int_equal(o->ptr_total, 12);
    assert_int_equal(o->names, AU_IPREV_NAMES_MAX);
    assert_int_equal(w->forward, AU_IPREV_NAMES_MAX); /* one batch of ten */
    assert_int_equal(w->queries, AU_IPREV_NAMES_MAX + 1);
    assert_non_null(strstr(o->explanation, "2 more PTR names"));
    au_iprev_free(v);
}

static void test_step_contract(void **state)
{
    (void)state;
    struct au_ip ip;
    assert_int_equal(au_ip_parse("192.0.2.1", 9, &ip), 0);
    struct au_dns_batch b = {0};
    struct au_iprev *v = au_iprev_new(&ip);
    assert_int_equal(au_iprev_outcome(v)->result, AU_RESULT_NONE);
    assert_int_equal(au_iprev_step(v, &b), AU_STEP_NEED_DNS);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.q[0].type, AU_DNS_PTR);
    assert_string_equal(b.q[0].name, "1.2.0.192.in-addr.arpa");

    /* A PTR answer with two names: both forward lookups in one batch. */
    struct au_dns_builder *bl = au_dns_builder_new();
    au_dns_builder_add_name(bl, AU_DNS_PTR, 60, "x.example");
    au_dns_builder_add_name(bl, AU_DNS_PTR, 60, "y.example");
    b.a[0] = au_dns_builder_finish(bl);
    assert_int_equal(au_iprev_step(v, &b), AU_STEP_NEED_DNS);
    assert_int_equal(b.n, 2);
    assert_int_equal(b.q[0].type, AU_DNS_A);
    assert_int_equal(b.q[1].type, AU_DNS_A);

    /* Malformed forward answer, other is NODATA: counts as temporary. */
    b.a[0] = au_dns_answer_status(AU_DNS_MALFORMED, 0, "bad packet");
    b.a[1] = au_dns_answer_status(AU_DNS_NODATA, 60, "no data");
    assert_int_equal(au_iprev_step(v, &b), AU_STEP_DONE);
    assert_int_equal(b.n, 0);
    assert_int_equal(au_iprev_outcome(v)->result, AU_RESULT_TEMPERROR);
    assert_int_equal(au_iprev_step(v, &b), AU_STEP_DONE);
    au_iprev_free(v);

    /* Abandoned mid-batch: the driver clears, nothing leaks. */
    v = au_iprev_new(&ip);
    assert_int_equal(au_iprev_step(v, &b), AU_STEP_NEED_DNS);
    b.a[0] = au_dns_answer_status(AU_DNS_TEMPFAIL, 0, "timeout");
    au_dns_batch_clear(&b);
    au_iprev_free(v);
    au_iprev_free(NULL);

    /* A PTR to the root cannot confirm anything: fail, no lookup. */
    v = au_iprev_new(&ip);
    b.n = 0;
    assert_int_equal(au_iprev_step(v, &b), AU_STEP_NEED_DNS);
    bl = au_dns_builder_new();
    au_dns_builder_add_name(bl, AU_DNS_PTR, 60, "");
    b.a[0] = au_dns_builder_finish(bl);
    assert_int_equal(au_iprev_step(v, &b), AU_STEP_DONE);
    assert_int_equal(au_iprev_outcome(v)->result, AU_RESULT_FAIL);
    au_iprev_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_details),
        cmocka_unit_test(test_names_limit),
        cmocka_unit_test(test_step_contract),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
