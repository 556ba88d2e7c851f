/*
 * test_spf_macro - SPF macro expansion: the examples of RFC 7208 section
 * 7.4, URL escaping (7.3), the exp-only letters, and a table of hostile
 * macro strings (syntax errors, non-ASCII, expansions to megabytes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "spf_macro.h"

static struct au_ip ip4, ip6;

static struct au_spf_macro_vars rfc_vars(const struct au_ip *ip)
{
    /* RFC 7208 7.4: sender strong-bad@email.example.com, client 192.0.2.3 or
     * 2001:db8::cb01, validated name mx.example.org. */
    struct au_spf_macro_vars v = {
        .sender = "strong-bad@email.example.com",
        .local = "strong-bad",
        .sender_domain = "email.example.com",
        .domain = "email.example.com",
        .ip = ip,
        .helo = "mx.example.org",
        .validated = "mx.example.org",
        .receiver = "mx.google.com",
        .now = 1764144000,
    };
    return v;
}

static char *expand(const char *s, enum au_spf_macro_mode mode, const struct au_spf_macro_vars *v,
                    int *rc)
{
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    *rc = au_spf_macro_expand(au_slice_cstr(s), mode, v, &b);
    return au_buf_detach(&b);
}

static void check(const char *in, const char *want, const struct au_ip *ip)
{
    struct au_spf_macro_vars v = rfc_vars(ip);
    int rc;
    char *got = expand(in, AU_SPF_MACRO_DOMAIN, &v, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(got, want);
    free(got);
}

static int setup(void **state)
{
    au_ip_parse4("192.0.2.3", 9, &ip4);
    au_ip_parse6("2001:db8::cb01", 14, &ip6);
    return 0;
}

static void test_rfc7208_7_4(void **state)
{
    check("%{s}", "strong-bad@email.example.com", &ip4);
    check("%{o}", "email.example.com", &ip4);
    check("%{d}", "email.example.com", &ip4);
    check("%{d4}", "email.example.com", &ip4);
    check("%{d3}", "email.example.com", &ip4);
    check("%{d2}", "example.com", &ip4);
    check("%{d1}", "com", &ip4);
    check("%{dr}", "com.example.email", &ip4);
    check("%{d2r}", "example.email", &ip4);
    check("%{l}", "strong-bad", &ip4);
    check("%{l-}", "strong.bad", &ip4);
    check("%{lr}", "strong-bad", &ip4);
    check("%{lr-}", "bad.strong", &ip4);
    check("%{l1r-}", "strong", &ip4);
    check("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com", &ip4);
    check("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com", &ip4);
    check("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
          &ip4);
    check("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com", &ip4);
    check("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net", &ip4);
    check("%{ir}.%{v}._spf.%{d2}",
          "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com",
          &ip6);
}

static void test_escapes_and_letters(void **state)
{
    check("%%%_%-", "% %20", &ip4);
    check("%{p}", "mx.example.org", &ip4);
    check("%{h}", "mx.example.org", &ip4);
    check("%{i}", "192.0.2.3", &ip4);
    /* Several delimiters at once, and the "=" and "+" delimiters. */
    check("%{l2r+-}", "bad.strong", &ip4);
    /* A digit count above the number of parts means all of them. */
    check("%{d99999999999999999999}", "email.example.com", &ip4);
    struct au_spf_macro_vars v = rfc_vars(&ip6);
    int rc;
    char *got = expand("%{c} %{r} %{t} %{v}", AU_SPF_MACRO_EXP, &v, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(got, "2001:db8::cb01 mx.google.com 1764144000 ip6");
    free(got);
    /* Uppercase letters are URL-escaped (7.3): unreserved characters stay. */
    v.local = "~jack&jill=up-a_b3.c";
    got = expand("%{L}", AU_SPF_MACRO_EXP, &v, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(got, "~jack%26jill%3Dup-a_b3.c");
    free(got);
    v.helo = "JUMPIN' JUPITER";
    got = expand("%{H}", AU_SPF_MACRO_DOMAIN, &v, &rc);
    assert_string_equal(got, "JUMPIN%27%20JUPITER");
    free(got);
    /* Unknown %{p} expands to "unknown" (7.3). */
    v.validated = NULL;
    got = expand("%{p}", AU_SPF_MACRO_DOMAIN, &v, &rc);
    assert_string_equal(got, "unknown");
    free(got);
}

static void test_hostile_syntax(void **state)
{
    static const struct {
        const char *in;
        enum au_spf_macro_mode mode;
        int ok;
    } t[] = {
        {"", AU_SPF_MACRO_DOMAIN, 1},
        {"%", AU_SPF_MACRO_DOMAIN, 0},
        {"abc%", AU_SPF_MACRO_DOMAIN, 0},
        {"%{", AU_SPF_MACRO_DOMAIN, 0},
        {"%{s", AU_SPF_MACRO_DOMAIN, 0},
        {"%{}", AU_SPF_MACRO_DOMAIN, 0},
        {"%{x}", AU_SPF_MACRO_DOMAIN, 0},
        {"%{a}", AU_SPF_MACRO_DOMAIN, 0},
        {"%{s0}", AU_SPF_MACRO_DOMAIN, 0}, /* 7.3: the digit count is nonzero */
        {"%{s00}", AU_SPF_MACRO_DOMAIN, 0},
        {"%{sr2}", AU_SPF_MACRO_DOMAIN, 0}, /* digits come before r */
        {"%{s2rr}", AU_SPF_MACRO_DOMAIN, 0},
        {"%{s#}", AU_SPF_MACRO_DOMAIN, 0},
        {"%{s.-+,/_=}", AU_SPF_MACRO_DOMAIN, 1},
        {"%(ir)", AU_SPF_MACRO_DOMAIN, 0},
        {"%a", AU_SPF_MACRO_DOMAIN, 0},
        {"%{c}", AU_SPF_MACRO_DOMAIN, 0}, /* 7.2: c r t only in exp text */
        {"%{R}", AU_SPF_MACRO_DOMAIN, 0},
        {"%{t}", AU_SPF_MACRO_DOMAIN, 0},
        {"%{c}", AU_SPF_MACRO_EXP, 1},
        {"%{t}", AU_SPF_MACRO_MODIFIER, 1},
        {"a b", AU_SPF_MACRO_DOMAIN, 0}, /* SP only in explain-string */
        {"a b", AU_SPF_MACRO_EXP, 1},
        {"a\tb", AU_SPF_MACRO_EXP, 0},
        {"caf\xc3\xa9", AU_SPF_MACRO_EXP, 0}, /* non-ASCII */
        {"\x80", AU_SPF_MACRO_DOMAIN, 0},
        {"a\0b", AU_SPF_MACRO_DOMAIN, 0},
        {"\x7f", AU_SPF_MACRO_DOMAIN, 0},
        {"%%%_%-", AU_SPF_MACRO_DOMAIN, 1},
        {"%{S}%{L}%{O}%{D}%{I}%{P}%{V}%{H}", AU_SPF_MACRO_DOMAIN, 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t len = strlen(t[i].in);
        if (strcmp(t[i].in, "a") == 0)
            len = 3; /* "a\0b" */
        char err[128] = "";
        int r = au_spf_macro_check(au_slice_make(t[i].in, len), t[i].mode, err, sizeof err);
        if (t[i].ok)
            assert_int_equal(r, 0);
        else {
            assert_int_equal(r, -1);
            assert_true(err[0] != '\0');
        }
    }
}

static void test_megabyte_expansion(void **state)
{
    /* 4096 copies of %{s} with a 300-byte sender: 1.2 MB if nothing stops it. */
    size_t n = 4096;
    char *in = malloc(n * 4 + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(in + 4 * i, "%{s}", 4);
    in[n * 4] = '\0';
    char sender[301];
    memset(sender, 'x', 300);
    sender[150] = '@';
    sender[300] = '\0';
    struct au_spf_macro_vars v = rfc_vars(&ip4);
    v.sender = sender;
    struct au_buf b;
    au_buf_init(&b, 65536);
    assert_int_equal(au_spf_macro_expand(au_slice_cstr(in), AU_SPF_MACRO_DOMAIN, &v, &b), -2);
    assert_true(b.len <= 65536);
    au_buf_free(&b);
    /* Without a limit it is built exactly. */
    au_buf_init(&b, AU_BUF_NOLIMIT);
    assert_int_equal(au_spf_macro_expand(au_slice_cstr(in), AU_SPF_MACRO_DOMAIN, &v, &b), 0);
    assert_int_equal(b.len, n * 300);
    au_buf_free(&b);
    /* A value with thousands of parts, reversed and cut. */
    char parts[20001];
    for (size_t i = 0; i < 10000; i++) {
        parts[2 * i] = (char)('a' + i % 26);
        parts[2 * i + 1] = '.';
    }
    parts[19999] = '\0';
    v.domain = parts;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    assert_int_equal(au_spf_macro_expand(au_slice_cstr("%{d3r}"), AU_SPF_MACRO_DOMAIN, &v, &b), 0);
    assert_string_equal(b.data, "c.b.a");
    au_buf_free(&b);
    free(in);
}

static void test_uses_p(void **state)
{
    assert_true(au_spf_macro_uses_p(au_slice_cstr("%{p}.x")));
    assert_true(au_spf_macro_uses_p(au_slice_cstr("a.%{P2r}")));
    assert_false(au_spf_macro_uses_p(au_slice_cstr("%%{p}"))); /* a literal "%{p}" */
    assert_false(au_spf_macro_uses_p(au_slice_cstr("p.%{d}")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7208_7_4),    cmocka_unit_test(test_escapes_and_letters),
        cmocka_unit_test(test_hostile_syntax), cmocka_unit_test(test_megabyte_expansion),
        cmocka_unit_test(test_uses_p),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
