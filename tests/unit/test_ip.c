/*
 * test_ip - the IP address helper: strict parsing, RFC 5952 formatting,
 * CIDR matching, IPv4-mapped handling, reverse names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ip.h"

static int parse(const char *s, struct au_ip *ip)
{
    return au_ip_parse(s, strlen(s), ip);
}

static void test_parse_table(void **state)
{
    static const struct {
        const char *in;
        int ok;
        const char *out; /* formatted, when ok */
    } t[] = {
        {"192.0.2.1", 1, "192.0.2.1"},
        {"0.0.0.0", 1, "0.0.0.0"},
        {"255.255.255.255", 1, "255.255.255.255"},
        {"256.1.1.1", 0, NULL},
        {"01.2.3.4", 0, NULL}, /* RFC 7208 ip4-network: no leading zeros */
        {"1.2.3", 0, NULL},
        {"1.2.3.4.5", 0, NULL},
        {"1.2.3.4 ", 0, NULL},
        {"1.2.3.4:25", 0, NULL},
        {"", 0, NULL},
        {"1..2.3", 0, NULL},
        {"2001:db8::1", 1, "2001:db8::1"},
        {"2001:DB8:0:0:0:0:0:1", 1, "2001:db8::1"},          /* RFC 5952 4.3, 4.2.1 */
        {"2001:db8:0:0:1:0:0:1", 1, "2001:db8::1:0:0:1"},    /* RFC 5952 4.2.3: first run */
        {"2001:db8:0:1:1:1:1:1", 1, "2001:db8:0:1:1:1:1:1"}, /* RFC 5952 4.2.2: not one group */
        {"::", 1, "::"},
        {"::1", 1, "::1"},
        {"CAFE:BABE::1", 1, "cafe:babe::1"},
        {"::ffff:1.2.3.4", 1, "::ffff:102:304"},
        {"::CAFE::BABE", 0, NULL},
        {":CAFE::BABE", 0, NULL},
        {"2001:db8::1%eth0", 0, NULL},
        {"1:2:3:4:5:6:7:8:9", 0, NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct au_ip ip;
        int r = parse(t[i].in, &ip);
        if (!t[i].ok) {
            assert_int_equal(r, -1);
            continue;
        }
        assert_int_equal(r, 0);
        char buf[AU_IP_STR_MAX];
        assert_string_equal(au_ip_format(&ip, buf), t[i].out);
    }
}

static void test_unmap_and_match(void **state)
{
    struct au_ip ip, net;
    assert_int_equal(parse("::FFFF:1.2.3.4", &ip), 0);
    assert_int_equal(ip.family, AU_IP_V6);
    au_ip_unmap(&ip);
    assert_int_equal(ip.family, AU_IP_V4);
    assert_int_equal(parse("1.2.3.0", &net), 0);
    assert_true(au_ip_match(&ip, &net, 24));
    assert_false(au_ip_match(&ip, &net, 32));
    assert_true(au_ip_match(&ip, &net, 0));
    assert_int_equal(parse("1.2.3.5", &net), 0);
    assert_true(au_ip_match(&ip, &net, 31));
    assert_false(au_ip_match(&ip, &net, 32));
    assert_int_equal(parse("1.2.3.7", &net), 0);
    assert_true(au_ip_match(&ip, &net, 30)); /* 1.2.3.4/30 is 1.2.3.4-7 */
    assert_false(au_ip_match(&ip, &net, 31));
    /* families never match each other, even with /0 */
    assert_int_equal(parse("::", &net), 0);
    assert_false(au_ip_match(&ip, &net, 0));
    assert_int_equal(parse("cafe:babe:8000::", &ip), 0);
    assert_int_equal(parse("cafe:babe::", &net), 0);
    assert_true(au_ip_match(&ip, &net, 32));
    assert_false(au_ip_match(&ip, &net, 33));
    assert_true(au_ip_match(&ip, &ip, 200)); /* clamped to 128 */
    assert_true(au_ip_equal(&ip, &ip));
    assert_false(au_ip_equal(&ip, &net));
}

static void test_reverse(void **state)
{
    struct au_ip ip;
    char buf[AU_IP_REVERSE_MAX];
    assert_int_equal(parse("192.0.2.3", &ip), 0);
    assert_string_equal(au_ip_reverse_name(&ip, buf), "3.2.0.192.in-addr.arpa");
    assert_int_equal(parse("2001:db8::cb01", &ip), 0);
    assert_string_equal(au_ip_reverse_name(&ip, buf),
                        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    assert_int_equal(strlen(buf) + 1 <= AU_IP_REVERSE_MAX, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_unmap_and_match),
        cmocka_unit_test(test_reverse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
