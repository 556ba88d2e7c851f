/*
 * test_spf_record - the SPF record parser: what it accepts (with the parts
 * it finds) and a table of hostile records that must be refused (RFC 7208
 * sections 4.5, 4.6.1, 5, 6, 7.1), including 10 000 terms, invalid CIDR
 * lengths, NUL and non-ASCII bytes, oversize records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "spf_record.h"

static struct au_spf_record *parse(const char *s, char *err, size_t errlen)
{
    return au_spf_record_parse(s, strlen(s), err, errlen);
}

static void test_is_spf(void **state)
{
    assert_true(au_spf_record_is_spf(au_slice_cstr("v=spf1")));
    assert_true(au_spf_record_is_spf(au_slice_cstr("V=SpF1 -all")));
    assert_false(au_spf_record_is_spf(au_slice_cstr("v=spf10")));
    assert_false(au_spf_record_is_spf(au_slice_cstr("v=spf1mx")));
    assert_false(au_spf_record_is_spf(au_slice_cstr(" v=spf1")));
    assert_false(au_spf_record_is_spf(au_slice_cstr("v=spf")));
    assert_false(au_spf_record_is_spf(au_slice_cstr("spf2.0/pra")));
}

static void test_good_records(void **state)
{
    char err[200];
    struct au_spf_record *r =
        parse("v=spf1  +a mx/24//64 -ptr:Example.COM ~ip4:192.0.2.0/24 ?ip6:2001:db8::/32 "
              "include:_spf.%{d2} exists:%{ir}.%{v}.x.example a:foo:bar/baz.example.com/30 "
              "redirect=r.example exp=e.%{d} moo.cow-far_out=man:dog/cat all ",
              err, sizeof err);
    assert_non_null(r);
    assert_int_equal(r->nterms, 12);
    const struct au_spf_term *t = r->terms;
    assert_int_equal(t[0].mech, AU_SPF_MECH_A);
    assert_int_equal(t[0].qualifier, '+');
    assert_int_equal(t[0].spec.len, 0);
    assert_int_equal(t[1].mech, AU_SPF_MECH_MX);
    assert_int_equal(t[1].cidr4, 24);
    assert_int_equal(t[1].cidr6, 64);
    assert_int_equal(t[2].mech, AU_SPF_MECH_PTR);
    assert_int_equal(t[2].qualifier, '-');
    assert_true(au_slice_eq(t[2].spec, "Example.COM"));
    assert_int_equal(t[3].mech, AU_SPF_MECH_IP4);
    assert_int_equal(t[3].cidr4, 24);
    assert_int_equal(t[3].qualifier, '~');
    assert_int_equal(t[4].mech, AU_SPF_MECH_IP6);
    assert_int_equal(t[4].cidr6, 32);
    assert_int_equal(t[5].mech, AU_SPF_MECH_INCLUDE);
    assert_true(au_slice_eq(t[5].spec, "_spf.%{d2}"));
    assert_int_equal(t[6].mech, AU_SPF_MECH_EXISTS);
    /* A domain-spec may hold ':' and '/'; only a trailing /digits is a CIDR. */
    assert_int_equal(t[7].mech, AU_SPF_MECH_A);
    assert_true(au_slice_eq(t[7].spec, "foo:bar/baz.example.com"));
    assert_int_equal(t[7].cidr4, 30);
    assert_int_equal(t[8].type, AU_SPF_TERM_REDIRECT);
    assert_int_equal(r->redirect, 8);
    assert_int_equal(t[9].type, AU_SPF_TERM_EXP);
    assert_int_equal(r->exp, 9);
    assert_int_equal(t[10].type, AU_SPF_TERM_UNKNOWN);
    assert_true(au_slice_eq(t[10].name, "moo.cow-far_out"));
    assert_int_equal(t[11].mech, AU_SPF_MECH_ALL);
    au_spf_record_free(r);
    /* The version alone is a record with no terms (4.7: neutral). */
    r = parse("v=spf1", err, sizeof err);
    assert_non_null(r);
    assert_int_equal(r->nterms, 0);
    au_spf_record_free(r);
    au_spf_record_free(NULL);
}

/* Records check_host() must answer with permerror, each with the rule it breaks. */
static void test_hostile_records(void **state)
{
    static const char *const bad[] = {
        "v=spf1 moo",                         /* unknown mechanism (4.6.1) */
        "v=spf1 ip4:1.2.3.4 -all moo",        /* ... anywhere (4.6) */
        "v=spf1 moo.cow/far_out=man:dog/cat", /* '/' before '=': a mechanism */
        "v=spf1 moo.cow:far_out=man:dog/cat",
        "v=spf1 redirect:t2.example.com", /* redirect is a modifier */
        "v=spf1 1up=foo",                 /* modifier name starts with ALPHA */
        "v=spf1 =all",
        "v=spf1 -redirect=x.example.com", /* no qualifier on modifiers */
        "v=spf1 -all.",
        "v=spf1 -all:foobar",
        "v=spf1 -all/8",
        "v=spf1 ptr/0",
        "v=spf1 ptr:",
        "v=spf1 a:",
        "v=spf1 a/33", /* 5.6: CIDR out of range */
        "v=spf1 a//129",
        "v=spf1 a/24/64",
        "v=spf1 a/032",     /* leading zero */
        "v=spf1 a:foo-bar", /* 7.1: needs "." toplabel */
        "v=spf1 a:museum.",
        "v=spf1 a:111.222.33.44", /* numeric toplabel */
        "v=spf1 a:abc.123",
        "v=spf1 a:example.-com",
        "v=spf1 a:example.com:8080",
        "v=spf1 a:%{a}.example.com", /* unknown macro letter */
        "v=spf1 a:%{r}.example.com", /* exp-only letter */
        "v=spf1 exists:%(ir).sbl.example.com",
        "v=spf1 exists:foo%.sbl.example.com",
        "v=spf1 exists",
        "v=spf1 exists:",
        "v=spf1 exists:mail.example.com/24",
        "v=spf1 include",
        "v=spf1 include:",
        "v=spf1 include:ip5.example.com/24",
        "v=spf1 ip4",
        "v=spf1 ip4:",
        "v=spf1 ip4:1.2.3",
        "v=spf1 ip4:1.2.3.4:8080",
        "v=spf1 ip4:1.2.3.4/33",
        "v=spf1 ip4:1.2.3.4/032",
        "v=spf1 ip4:1.2.3.4//32",
        "v=spf1 ip4:01.2.3.4",
        "v=spf1 ip6",
        "v=spf1 ip6::CAFE::BABE",
        "v=spf1 ip6:::1.1.1.1/129",
        "v=spf1 ip6:::1.1.1.1//33",
        "v=spf1 ip6:2001:db8::/",
        "v=spf1 exp=", /* 6.2 erratum: empty exp is permerror */
        "v=spf1 exp=-all",
        "v=spf1 redirect=",
        "v=spf1 redirect=-all ?all",
        "v=spf1 exp=a.example.com exp=b.example.com",
        "v=spf1 redirect=a.example.com redirect=a.example.com",
        "v=spf1 foo=%abc",                     /* unknown modifier: macro-string */
        "v=spf1 a:ctrl.example.com\rptr -all", /* only SP separates terms */
        "v=spf1 ip4:192.0.2.5\n include:x.example",
        "v=spf1\ta",
        "v=spf1 a:\xEF\xBB\xBFgarbage.example.net -all", /* non-ASCII */
        "v=spf1 \x80"
        "a:example.net -all",
        "v=spf1 a:example.net \x96"
        "all",
        "v=spf1 a:%{d0}.example.com",
        "v=spf10",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[200] = "";
        struct au_spf_record *r = parse(bad[i], err, sizeof err);
        if (r)
            fail_msg("accepted: %s", bad[i]);
        assert_true(err[0] != '\0');
    }
    /* A NUL byte inside the record (the suite's a-null / mx-null). */
    char err[200];
    assert_null(au_spf_record_parse("v=spf1 a:foo.example.com\0", 25, err, sizeof err));
}

static void test_ten_thousand_terms(void **state)
{
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    /* Short terms, so that 10 000 of them fit in one TXT record. */
    static const char *const cycle[] = {" a", " mx", " ptr", " -all", " x=y", " +a/24", " ~mx//64"};
    au_buf_puts(&b, "v=spf1");
    for (int i = 0; i < 10000; i++)
        au_buf_puts(&b, cycle[i % 7]);
    assert_true(b.len <= AU_SPF_RECORD_MAX);
    char err[200];
    struct au_spf_record *r = au_spf_record_parse(b.data, b.len, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(r->nterms, 10000);
    assert_int_equal(r->terms[9999].mech, AU_SPF_MECH_ALL); /* 9999 % 7 == 3: " -all" */
    assert_int_equal(r->terms[9999].qualifier, '-');
    assert_int_equal(r->terms[9998].cidr4, -1);
    assert_int_equal(r->terms[9998].cidr6, -1);
    au_spf_record_free(r);
    /* One bad term at the very end spoils the whole record. */
    au_buf_puts(&b, " ip4:10.0.0.0/40");
    assert_null(au_spf_record_parse(b.data, b.len, err, sizeof err));
    /* More than a TXT record can carry is refused outright. */
    while (b.len <= AU_SPF_RECORD_MAX)
        au_buf_puts(&b, " a a a a a a a a a a a a a a a a a a a a");
    assert_null(au_spf_record_parse(b.data, b.len, err, sizeof err));
    assert_non_null(strstr(err, "longer"));
    au_buf_free(&b);
}

static void test_domain_spec(void **state)
{
    char err[128];
    static const struct {
        const char *spec;
        int ok;
    } t[] = {
        {"example.com", 1}, {"example.com.", 1},
        {"%{d}", 1},        {"%{d}.", 0},
        {"x.%{d}", 1},      {"%{d}com", 0},
        {"%{d}.com", 1},    {"foo.example.xn--zckzah", 1},
        {"a.123-456", 1},   {"a.-abc", 0},
        {"a.abc-", 0},      {"mail.example...com", 1},
        {"a..", 0},         {".", 0},
        {"%%", 1},          {"%-", 1},
        {"%_", 1},          {"", 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int r = au_spf_record_check_domain_spec(au_slice_cstr(t[i].spec), err, sizeof err);
        if (r != (t[i].ok ? 0 : -1))
            fail_msg("domain-spec '%s': got %d", t[i].spec, r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_spf),          cmocka_unit_test(test_good_records),
        cmocka_unit_test(test_hostile_records), cmocka_unit_test(test_ten_thousand_terms),
        cmocka_unit_test(test_domain_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
