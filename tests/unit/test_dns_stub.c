/*
 * test_dns_stub - the stubbed DNS world (auth/dns_stub.c): one table of
 * lookup rules over a zone, the RFC 4592 section 2.2.1 wildcard examples,
 * faults, and hostile zone texts that must give errors, never crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_stub.h"

static const char zone_example_com[] =
    "$ORIGIN example.com.\n"
    "$TTL 3600\n"
    "@        IN SOA ns1 hostmaster ( 1 7200 3600\n"
    "                                 1209600 600 )\n"
    "@        NS   ns1\n"
    "ns1      A    192.0.2.53\n"
    "www      A    192.0.2.1\n"
    "         A    192.0.2.2\n"
    "         AAAA 2001:db8::1\n"
    "mail  60 MX   10 mx1\n"
    "         MX   20 mx2.example.net.\n"
    "null     MX   0 .\n"
    "@        TXT  \"v=spf1 \" \"ip4:192.0.2.0/24 -all\" ; two strings\n"
    "spf99    SPF  \"v=spf1 -all\"\n"
    "alias    CNAME www\n"
    "a1       CNAME a2\n"
    "a2       CNAME a3.example.com.\n"
    "a3       A    192.0.2.3\n"
    "dangling CNAME nowhere\n"
    "loop1    CNAME loop2\n"
    "loop2    CNAME loop1\n"
    "c0 CNAME c1\nc1 CNAME c2\nc2 CNAME c3\nc3 CNAME c4\nc4 CNAME c5\n"
    "c5 CNAME c6\nc6 CNAME c7\nc7 CNAME c8\nc8 CNAME c9\nc9 A 192.0.2.9\n"
    "x.y.ent  A    192.0.2.4\n"
    "*.wild   TXT  \"wild\"\n"
    "exists.wild A 192.0.2.5\n"
    "deep.ent2.wild A 192.0.2.6\n"
    "wcname   CNAME x.wild\n"
    "1.2.0.192.in-addr.arpa. PTR www\n";

/* RFC 4592 section 2.2.1, SOA and SRV data filled in. */
static const char zone_rfc4592[] =
    "$ORIGIN example.\n"
    "example.                 3600 IN  SOA   ns.example.com. h.example.com. 1 2 3 4 5\n"
    "example.                 3600     NS    ns.example.com.\n"
    "example.                 3600     NS    ns.example.net.\n"
    "*.example.               3600     TXT   \"this is a wildcard\"\n"
    "*.example.               3600     MX    10 host1.example.\n"
    "sub.*.example.           3600     TXT   \"this is not a wildcard\"\n"
    "host1.example.           3600     A     192.0.2.1\n"
    "_ssh._tcp.host1.example. 3600     SRV   0 0 22 host1.example.\n"
    "_ssh._tcp.host2.example. 3600     SRV   0 0 22 host2.example.\n";

static const char *faults[] = {
    "www.example.com/TXT=timeout",      "ns1.example.com/ANY=servfail",
    "www.example.com/SPF=refused",      "gone.example.com/A=nxdomain",
    "WWW.EXAMPLE.COM./PTR=servfail",
};

static struct au_dns_stub *make_stub(void)
{
    struct au_dns_stub *s = au_dns_stub_new();
    char err[256];
    assert_int_equal(au_dns_stub_add_zone(s, zone_example_com, strlen(zone_example_com), "",
                                          "example.zone", err, sizeof err),
                     0);
    assert_int_equal(au_dns_stub_add_zone(s, zone_rfc4592, strlen(zone_rfc4592), NULL,
                                          "rfc4592.zone", err, sizeof err),
                     0);
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        assert_int_equal(au_dns_stub_add_fault_spec(s, faults[i], err, sizeof err), 0);
    return s;
}

/* One record as text: A/AAAA in presentation form, MX "pref host", names as
 * they are, TXT strings each in quotes. */
static void render(const struct au_dns_rr *r, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    switch (r->type) {
    case AU_DNS_A:
        snprintf(out, len, "%u.%u.%u.%u", r->u.a[0], r->u.a[1], r->u.a[2], r->u.a[3]);
        break;
    case AU_DNS_AAAA:
        snprintf(out, len, "%02x%02x..%02x", r->u.aaaa[0], r->u.aaaa[1], r->u.aaaa[15]);
        break;
    case AU_DNS_MX:
        snprintf(out, len, "%u %s", r->u.mx.pref, r->u.mx.host);
        break;
    case AU_DNS_TXT:
    case AU_DNS_SPF:
        for (size_t i = 0; i < r->u.txt.count; i++)
            n += (size_t)snprintf(out + n, len - n, "%s\"%.*s\"", i ? " " : "",
                                  (int)r->u.txt.str[i].len, r->u.txt.str[i].ptr);
        break;
    default:
        snprintf(out, len, "%s", r->u.name);
    }
}

struct rule {
    const char *what;
    const char *name;
    uint16_t type;
    enum au_dns_status status;
    size_t count;
    const char *first;    /* first record rendered, or NULL */
    const char *detail;   /* or NULL: not checked */
    const char *cname;    /* or NULL: must be NULL */
    uint32_t ttl;         /* or 0: not checked */
};

static const struct rule rules[] = {
    {"plain A, two records", "www.example.com", AU_DNS_A, AU_DNS_RECORDS, 2, "192.0.2.1",
     "", NULL, 3600},
    {"AAAA", "www.example.com", AU_DNS_AAAA, AU_DNS_RECORDS, 1, "2001..01", NULL, NULL, 0},
    {"MX, explicit TTL is the minimum", "mail.example.com", AU_DNS_MX, AU_DNS_RECORDS, 2,
     "10 mx1.example.com", NULL, NULL, 60},
    {"null MX (RFC 7505)", "null.example.com", AU_DNS_MX, AU_DNS_RECORDS, 1, "0 ", NULL,
     NULL, 0},
    {"NS at the apex", "example.com", AU_DNS_NS, AU_DNS_RECORDS, 1, "ns1.example.com", NULL,
     NULL, 0},
    {"multi-string TXT kept apart", "example.com", AU_DNS_TXT, AU_DNS_RECORDS, 1,
     "\"v=spf1 \" \"ip4:192.0.2.0/24 -all\"", NULL, NULL, 0},
    {"SPF type 99", "spf99.example.com", AU_DNS_SPF, AU_DNS_RECORDS, 1, "\"v=spf1 -all\"",
     NULL, NULL, 0},
    {"SPF type 99 is not TXT", "spf99.example.com", AU_DNS_TXT, AU_DNS_NODATA, 0, NULL, NULL,
     NULL, 600},
    {"PTR outside the SOA's zone", "1.2.0.192.in-addr.arpa", AU_DNS_PTR, AU_DNS_RECORDS, 1,
     "www.example.com", NULL, NULL, 0},
    {"CNAME followed", "alias.example.com", AU_DNS_A, AU_DNS_RECORDS, 2, "192.0.2.1", NULL,
     "www.example.com", 0},
    {"CNAME asked for itself", "alias.example.com", AU_DNS_CNAME, AU_DNS_RECORDS, 1,
     "www.example.com", NULL, NULL, 0},
    {"CNAME chain of two", "a1.example.com", AU_DNS_A, AU_DNS_RECORDS, 1, "192.0.2.3", NULL,
     "a3.example.com", 0},
    {"CNAME then NODATA", "a1.example.com", AU_DNS_MX, AU_DNS_NODATA, 0, NULL, NULL,
     "a3.example.com", 0},
    {"dangling CNAME is NXDOMAIN (RFC 6604)", "dangling.example.com", AU_DNS_A,
     AU_DNS_NXDOMAIN, 0, NULL, NULL, "nowhere.example.com", 600},
    {"CNAME loop", "loop1.example.com", AU_DNS_TXT, AU_DNS_TEMPFAIL, 0, NULL, "CNAME loop",
     NULL, 0},
    {"chain of 8 links is followed", "c1.example.com", AU_DNS_A, AU_DNS_RECORDS, 1,
     "192.0.2.9", NULL, "c9.example.com", 0},
    {"chain of 9 links is too long", "c0.example.com", AU_DNS_A, AU_DNS_TEMPFAIL, 0, NULL,
     "CNAME loop", NULL, 0},
    {"NXDOMAIN, negative TTL from the SOA", "nope.example.com", AU_DNS_A, AU_DNS_NXDOMAIN, 0,
     NULL, NULL, NULL, 600},
    {"NODATA: other types only", "www.example.com", AU_DNS_MX, AU_DNS_NODATA, 0, NULL, NULL,
     NULL, 600},
    {"empty non-terminal is NODATA", "y.ent.example.com", AU_DNS_A, AU_DNS_NODATA, 0, NULL,
     NULL, NULL, 0},
    {"ENT's parent too", "ent.example.com", AU_DNS_TXT, AU_DNS_NODATA, 0, NULL, NULL, NULL, 0},
    {"below a leaf is NXDOMAIN", "z.x.y.ent.example.com", AU_DNS_A, AU_DNS_NXDOMAIN, 0, NULL,
     NULL, NULL, 0},
    {"unrelated name", "example.org", AU_DNS_A, AU_DNS_NXDOMAIN, 0, NULL, NULL, NULL, 0},
    {"wildcard answers", "anything.wild.example.com", AU_DNS_TXT, AU_DNS_RECORDS, 1,
     "\"wild\"", NULL, NULL, 0},
    {"wildcard, deeper", "a.b.wild.example.com", AU_DNS_TXT, AU_DNS_RECORDS, 1, "\"wild\"",
     NULL, NULL, 0},
    {"wildcard, other type is NODATA", "anything.wild.example.com", AU_DNS_A, AU_DNS_NODATA, 0,
     NULL, NULL, NULL, 0},
    {"wildcard blocked: the name exists", "exists.wild.example.com", AU_DNS_TXT,
     AU_DNS_NODATA, 0, NULL, NULL, NULL, 0},
    {"wildcard blocked: an ENT exists", "ent2.wild.example.com", AU_DNS_TXT, AU_DNS_NODATA, 0,
     NULL, NULL, NULL, 0},
    {"wildcard not applied below an ENT", "other.ent2.wild.example.com", AU_DNS_TXT,
     AU_DNS_NXDOMAIN, 0, NULL, NULL, NULL, 0},
    {"CNAME into a wildcard", "wcname.example.com", AU_DNS_TXT, AU_DNS_RECORDS, 1, "\"wild\"",
     NULL, "x.wild.example.com", 0},
    {"case-insensitive", "WwW.ExAmPlE.CoM", AU_DNS_A, AU_DNS_RECORDS, 2, "192.0.2.1", NULL,
     NULL, 0},
    {"trailing dot", "www.example.com.", AU_DNS_A, AU_DNS_RECORDS, 2, "192.0.2.1", NULL, NULL,
     0},
    {"fault timeout by type", "www.example.com", AU_DNS_TXT, AU_DNS_TEMPFAIL, 0, NULL,
     "timeout", NULL, 0},
    {"fault refused by type", "www.example.com", AU_DNS_SPF, AU_DNS_TEMPFAIL, 0, NULL,
     "REFUSED", NULL, 0},
    {"fault ANY covers every type", "ns1.example.com", AU_DNS_TXT, AU_DNS_TEMPFAIL, 0, NULL,
     "SERVFAIL", NULL, 0},
    {"fault ANY covers A", "ns1.example.com", AU_DNS_A, AU_DNS_TEMPFAIL, 0, NULL, "SERVFAIL",
     NULL, 0},
    {"fault nxdomain on a name not in any zone", "gone.example.com", AU_DNS_A,
     AU_DNS_NXDOMAIN, 0, NULL, NULL, NULL, 0},
    {"fault names are case-insensitive", "www.example.com", AU_DNS_PTR, AU_DNS_TEMPFAIL, 0,
     NULL, "SERVFAIL", NULL, 0},
    {"fault on a CNAME target", "alias.example.com", AU_DNS_TXT, AU_DNS_TEMPFAIL, 0, NULL,
     "timeout", NULL, 0},
    {"bad name", "a..example.com", AU_DNS_A, AU_DNS_MALFORMED, 0, NULL, NULL, NULL, 0},
    {"unsupported type", "www.example.com", AU_DNS_SOA, AU_DNS_MALFORMED, 0, NULL, NULL, NULL,
     0},

    /* RFC 4592 section 2.2.1: synthesized. */
    {"4592: host3 MX", "host3.example", AU_DNS_MX, AU_DNS_RECORDS, 1, "10 host1.example", NULL,
     NULL, 0},
    {"4592: host3 A is NODATA", "host3.example", AU_DNS_A, AU_DNS_NODATA, 0, NULL, NULL, NULL,
     5},
    {"4592: foo.bar TXT", "foo.bar.example", AU_DNS_TXT, AU_DNS_RECORDS, 1,
     "\"this is a wildcard\"", NULL, NULL, 0},
    /* RFC 4592 section 2.2.1: not synthesized. */
    {"4592: host1 MX, name exists", "host1.example", AU_DNS_MX, AU_DNS_NODATA, 0, NULL, NULL,
     NULL, 0},
    {"4592: sub.*.example MX, name exists", "sub.*.example", AU_DNS_MX, AU_DNS_NODATA, 0, NULL,
     NULL, NULL, 0},
    {"4592: _telnet._tcp.host1, encloser has no wildcard", "_telnet._tcp.host1.example",
     AU_DNS_TXT, AU_DNS_NXDOMAIN, 0, NULL, NULL, NULL, 5},
    {"4592: ghost.*.example, encloser *.example", "ghost.*.example", AU_DNS_MX,
     AU_DNS_NXDOMAIN, 0, NULL, NULL, NULL, 0},
    {"4592: _tcp.host1 is an ENT", "_tcp.host1.example", AU_DNS_TXT, AU_DNS_NODATA, 0, NULL,
     NULL, NULL, 0},
    {"4592: SRV owner exists with other types", "_ssh._tcp.host2.example", AU_DNS_TXT,
     AU_DNS_NODATA, 0, NULL, NULL, NULL, 0},
};

static void test_rules(void **state)
{
    struct au_dns_stub *s = make_stub();
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const struct rule *r = &rules[i];
        struct au_dns_query q = {.type = r->type};
        snprintf(q.name, sizeof q.name, "%s", r->name);
        struct au_dns_answer *a = au_dns_stub_lookup(s, &q);
        char got[512] = "";
        if (a->count)
            render(&a->rr[0], got, sizeof got);
        print_message("%-45s %-9s %s [%s] cname=%s ttl=%u\n", r->what,
                      au_dns_status_name(a->status), a->detail, got,
                      a->cname ? a->cname : "-", a->ttl);
        assert_int_equal(a->status, r->status);
        assert_int_equal(a->count, r->count);
        assert_non_null(a->detail);
        if (r->first)
            assert_string_equal(got, r->first);
        if (r->detail)
            assert_string_equal(a->detail, r->detail);
        if (r->cname)
            assert_string_equal(a->cname, r->cname);
        else
            assert_null(a->cname);
        if (r->ttl)
            assert_int_equal(a->ttl, r->ttl);
        for (size_t j = 0; j < a->count; j++)
            assert_int_equal(a->rr[j].type, r->type);
        au_dns_answer_unref(a);
    }
    au_dns_stub_free(s);
}

static void test_lookup_fn_and_empty_stub(void **state)
{
    struct au_dns_stub *s = au_dns_stub_new();
    struct au_dns_query q = {.type = AU_DNS_A, .name = "example.com"};
    struct au_dns_answer *a = au_dns_stub_lookup_fn(s, &q);
    assert_int_equal(a->status, AU_DNS_NXDOMAIN);
    au_dns_answer_unref(a);
    au_dns_stub_free(s);
    au_dns_stub_free(NULL);
}

/* Relative names without $ORIGIN take the origin given by the caller. */
static void test_origin_argument(void **state)
{
    struct au_dns_stub *s = au_dns_stub_new();
    char err[256];
    const char *z = "www A 192.0.2.7\n@ TXT \"apex\"";   /* no final newline */
    assert_int_equal(au_dns_stub_add_zone(s, z, strlen(z), "example.net.", "z", err,
                                          sizeof err),
                     0);
    struct au_dns_query q = {.type = AU_DNS_A, .name = "www.example.net"};
    struct au_dns_answer *a = au_dns_stub_lookup(s, &q);
    assert_int_equal(a->status, AU_DNS_RECORDS);
    assert_int_equal(a->ttl, AU_DNS_STUB_DEFAULT_TTL);
    au_dns_answer_unref(a);
    q.type = AU_DNS_TXT;
    snprintf(q.name, sizeof q.name, "example.net");
    a = au_dns_stub_lookup(s, &q);
    assert_int_equal(a->status, AU_DNS_RECORDS);
    au_dns_answer_unref(a);
    /* No SOA, so nothing above the origin exists. */
    snprintf(q.name, sizeof q.name, "net");
    a = au_dns_stub_lookup(s, &q);
    assert_int_equal(a->status, AU_DNS_NXDOMAIN);
    au_dns_answer_unref(a);
    au_dns_stub_free(s);
}

struct hostile {
    const char *what;
    const char *text;     /* NULL: built by the test */
    const char *err;      /* expected prefix of the message */
};

static void test_hostile_zones(void **state)
{
    /* One string of 300 bytes (the limit is 255, RFC 1035 section 3.3). */
    char long_string[400];
    snprintf(long_string, sizeof long_string, "x TXT \"%0300d\"\n", 0);
    /* 300 strings of 255 bytes: more than the 65535 bytes of RDATA. */
    size_t hugelen = 300 * 260 + 64;
    char *huge = malloc(hugelen);
    size_t n = (size_t)snprintf(huge, hugelen, "x TXT");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(huge + n, hugelen - n, " \"%0255d\"", i);
    snprintf(huge + n, hugelen - n, "\n");

    const struct hostile table[] = {
        {"garbage", "this is not a zone file\n", "h.zone:1: "},
        {"garbage on line 3", "a A 192.0.2.1\n\n%%%% ##\n", "h.zone:3: "},
        {"bad address", "a A 192.0.2.300\n", "h.zone:1: "},
        {"bad $ORIGIN", "$ORIGIN bad..name.\na A 192.0.2.1\n", "h.zone:1: "},
        {"$INCLUDE refused", "$INCLUDE /etc/passwd\n", "h.zone:1: $INCLUDE"},
        {"class CH", "a CH TXT \"x\"\n", "h.zone:1: only class IN"},
        {"unterminated quote", "a TXT \"abc\n", "h.zone:1: unterminated quoted"},
        {"quote across lines", "a TXT \"abc\nb A 192.0.2.1\n", "h.zone:1: unterminated quoted"},
        {"unterminated paren", "a A 192.0.2.1\nb TXT ( \"abc\"\nc A 192.0.2.2\n",
         "h.zone:2: unterminated '('"},
        {"unbalanced paren", "a A 192.0.2.1 )\n", "h.zone:1: unbalanced ')'"},
        {"unknown type", "a FOO 1\n", "h.zone:1: "},
        {"label too long", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa A 1.2.3.4\n",
         "h.zone:1: "},
        {"string over 255", long_string, "h.zone:1: "},
        {"RDATA over 65535", huge, "h.zone:1: "},
        {"MX without host", "a MX 10\n", "h.zone:1: "},
        {"record after a good one", "good A 192.0.2.1\nbad A x\n", "h.zone:2: "},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        struct au_dns_stub *s = au_dns_stub_new();
        char err[128] = "unset";
        int rc = au_dns_stub_add_zone(s, table[i].text, strlen(table[i].text), "h.example",
                                      "h.zone", err, sizeof err);
        print_message("%-25s -> %d %s\n", table[i].what, rc, err);
        if (rc != -1 || strncmp(err, table[i].err, strlen(table[i].err)) != 0)
            free(huge);   /* keep ASan's report about the stub, not the test */
        assert_int_equal(rc, -1);
        assert_true(strncmp(err, table[i].err, strlen(table[i].err)) == 0);
        /* Nothing of a failed text is added. */
        struct au_dns_query q = {.type = AU_DNS_A, .name = "good.h.example"};
        struct au_dns_answer *a = au_dns_stub_lookup(s, &q);
        assert_int_equal(a->status, AU_DNS_NXDOMAIN);
        au_dns_answer_unref(a);
        au_dns_stub_free(s);
    }
    free(huge);

    /* Just under the entry limit: 230 strings of 255 bytes, kept whole. */
    hugelen = 230 * 260 + 64;
    huge = malloc(hugelen);
    n = (size_t)snprintf(huge, hugelen, "big TXT (");
    for (int i = 0; i < 230; i++)
        n += (size_t)snprintf(huge + n, hugelen - n, "\"%0255d\"%s", i, i % 10 ? " " : "\n");
    snprintf(huge + n, hugelen - n, ")\n");
    struct au_dns_stub *big = au_dns_stub_new();
    char bigerr[128];
    assert_int_equal(au_dns_stub_add_zone(big, huge, strlen(huge), "h.example", "big", bigerr,
                                          sizeof bigerr),
                     0);
    struct au_dns_query bq = {.type = AU_DNS_TXT, .name = "big.h.example"};
    struct au_dns_answer *ba = au_dns_stub_lookup(big, &bq);
    assert_int_equal(ba->status, AU_DNS_RECORDS);
    assert_int_equal(ba->rr[0].u.txt.count, 230);
    assert_int_equal(ba->rr[0].u.txt.str[229].len, 255);
    assert_int_equal(ba->rr[0].u.txt.str[229].ptr[254], '9');
    au_dns_answer_unref(ba);
    au_dns_stub_free(big);
    free(huge);

    /* Embedded NUL: the length is the truth. */
    struct au_dns_stub *s = au_dns_stub_new();
    char err[128];
    assert_int_equal(au_dns_stub_add_zone(s, "a A 1.2.3.4\0x", 13, NULL, "n", err, sizeof err),
                     -1);
    /* Tiny error buffer: truncated, still terminated. */
    char small[8];
    assert_int_equal(au_dns_stub_add_zone(s, "junk", 4, NULL, "long-source-name", small,
                                          sizeof small),
                     -1);
    assert_int_equal(strlen(small), sizeof small - 1);
    /* Empty text is a valid, empty zone. */
    assert_int_equal(au_dns_stub_add_zone(s, "", 0, NULL, "e", err, sizeof err), 0);
    au_dns_stub_free(s);
}

static void test_fault_specs(void **state)
{
    static const struct {
        const char *spec;
        int rc;
    } table[] = {
        {"a.example/A=timeout", 0},   {"a.example/any=SERVFAIL", 0},
        {"a.example./TXT=refused", 0}, {"x/y/MX=nxdomain", 0},
        {"a.example/A", -1},          {"a.example=timeout", -1},
        {"/A=timeout", -1},           {"a.example/=timeout", -1},
        {"a.example/BOGUS=timeout", -1}, {"a.example/A=slow", -1},
        {"a..example/A=timeout", -1}, {"", -1},
        {"=", -1},                    {"/=", -1},
    };
    struct au_dns_stub *s = au_dns_stub_new();
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        char err[128] = "";
        int rc = au_dns_stub_add_fault_spec(s, table[i].spec, err, sizeof err);
        print_message("%-28s -> %d %s\n", table[i].spec, rc, err);
        assert_int_equal(rc, table[i].rc);
        if (rc < 0)
            assert_true(strlen(err) > 0);
    }
    char name[300];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    assert_int_equal(au_dns_stub_add_fault(s, name, AU_DNS_A, AU_DNS_FAULT_TIMEOUT), -1);
    au_dns_stub_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_lookup_fn_and_empty_stub),
        cmocka_unit_test(test_origin_argument),
        cmocka_unit_test(test_hostile_zones),
        cmocka_unit_test(test_fault_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
