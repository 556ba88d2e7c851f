/*
 * test_addr - the RFC 5322 address-list parser, domain and msg-id checks.
 *
 * Expected values come from the grammar of RFC 5322 sections 3.4, 3.6.4 and
 * 4.4 and from its Appendix A examples (A.1.1, A.1.2, A.1.3, A.5, A.6.1,
 * A.6.3), not from the parser's output.  Hostile rows: unterminated quotes,
 * comments and literals, nesting past the limit, NULs, bare specials,
 * nested groups, huge lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

struct row {
    const char *in;
    enum au_addr_status st;
    size_t count;
    const char *local;   /* of the first address; NULL: not checked */
    const char *domain;
    const char *display;
};

static const struct row rows[] = {
    /* A.1.1 */
    {"John Doe <jdoe@machine.example>", AU_ADDR_OK, 1, "jdoe", "machine.example", "John Doe"},
    {"Mary Smith <mary@example.net>", AU_ADDR_OK, 1, "mary", "example.net", "Mary Smith"},
    /* A.1.2 */
    {"\"Joe Q. Public\" <john.q.public@example.com>", AU_ADDR_OK, 1, "john.q.public",
     "example.com", "\"Joe Q. Public\""},
    {"Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>", AU_ADDR_OK, 3, "mary",
     "x.test", NULL},
    {"<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>", AU_ADDR_OK, 2,
     "boss", "nil.test", ""},
    /* A.1.3 groups */
    {"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;", AU_ADDR_OK, 3, "c",
     "a.test", "Ed Jones"},
    {"Undisclosed recipients:;", AU_ADDR_OK, 0, NULL, NULL, NULL},
    /* A.5 white space and comments */
    {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", AU_ADDR_OK, 1,
     "pete", "silly.test", "Pete"},
    {"(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;", AU_ADDR_OK, 0, NULL,
     NULL, NULL},
    /* A.6.1 obsolete: phrase with a dot, route, empty elements */
    {"Joe Q. Public <john.q.public@example.com>", AU_ADDR_OK, 1, "john.q.public",
     "example.com", "Joe Q. Public"},
    {"<@machine.tld:mary@example.net>, , jdoe@test  . example", AU_ADDR_OK, 2, "mary",
     "example.net", NULL},
    {"<@a.test,@b.test:x@c.test>", AU_ADDR_OK, 1, "x", "c.test", NULL},
    /* A.6.3 folding and CFWS around dots */
    {"John Doe <jdoe@machine(comment).  example>", AU_ADDR_OK, 1, "jdoe",
     "machine(comment).  example", NULL},
    {"Mary Smith\r\n  \r\n <mary@example.net>", AU_ADDR_OK, 1, "mary", "example.net",
     "Mary Smith"},
    /* quoted local parts, literals, UTF-8, encoded words */
    {"\"very.(),:;<>[]\\\".VERY.\\\"very@\\\\ \\\"very\\\".unusual\"@strange.example.com",
     AU_ADDR_OK, 1, NULL, "strange.example.com", NULL},
    {"user@[192.0.2.1]", AU_ADDR_OK, 1, "user", "[192.0.2.1]", NULL},
    {"=?utf-8?q?J=C3=B6rg?= <joerg@example.de>", AU_ADDR_OK, 1, "joerg", "example.de",
     "=?utf-8?q?J=C3=B6rg?="},
    {"J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc" "cher.example>", AU_ADDR_OK, 1, "j\xc3\xb6rg",
     "b\xc3\xbc" "cher.example", NULL},
    {"", AU_ADDR_OK, 0, NULL, NULL, NULL},
    {"   (only a comment)  ", AU_ADDR_OK, 0, NULL, NULL, NULL},
    {",,,", AU_ADDR_OK, 0, NULL, NULL, NULL},
    /* hostile */
    {"just a name", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"jdoe", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"@example.com", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"jdoe@", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"jdoe@example.", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {".jdoe@example.com", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"jdoe.@example.com", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"j..doe@example.com", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"john doe@example.com", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"<>", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"<jdoe@example.com", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"jdoe@example.com>", AU_ADDR_SYNTAX, 1, NULL, NULL, NULL},
    {"<<jdoe@example.com>>", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"\"unterminated <jdoe@example.com>", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"(unterminated <jdoe@example.com>", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"a@b.c (x))", AU_ADDR_SYNTAX, 1, NULL, NULL, NULL},
    {"jdoe@[192.0.2.1", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"jdoe@[a[b]", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"\"trailing backslash\\", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"G1: G2: a@b.c;;", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"G: a@b.c", AU_ADDR_SYNTAX, 1, NULL, NULL, NULL},
    {": a@b.c;", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"a@b.c; d@e.f", AU_ADDR_SYNTAX, 1, NULL, NULL, NULL},
    {"a@b.c d@e.f", AU_ADDR_SYNTAX, 1, NULL, NULL, NULL},
    {"Name <a@b.c> <d@e.f>", AU_ADDR_SYNTAX, 1, NULL, NULL, NULL},
    {". <a@b.c>", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"a\\b@c.d", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"<@:a@b.c>", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
    {"<@x.y a@b.c>", AU_ADDR_SYNTAX, 0, NULL, NULL, NULL},
};

static void check_row(const struct row *r, size_t len)
{
    struct au_addr_list l;
    enum au_addr_status st = au_addr_parse_list(au_slice_make(r->in, len), &l);
    if (st != r->st || l.count != r->count)
        fail_msg("%s: status %d count %zu, want %d %zu", r->in, st, l.count, r->st, r->count);
    if (r->local)
        assert_true(au_slice_eq(l.addr[0].local, r->local));
    if (r->domain)
        assert_true(au_slice_eq(l.addr[0].domain, r->domain));
    if (r->display)
        assert_true(au_slice_eq(l.addr[0].display, r->display));
}

static void test_table(void **state)
{
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        check_row(&rows[i], strlen(rows[i].in));
}

/* Every prefix of every row, copied to an exact-size heap block so ASan sees
 * any read past the end (picohttpparser's guard-page idea). */
static void test_prefixes_in_bounds(void **state)
{
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        size_t n = strlen(rows[i].in);
        for (size_t k = 0; k <= n; k++) {
            char *p = malloc(k ? k : 1);
            memcpy(p, rows[i].in, k);
            struct au_addr_list l;
            au_addr_parse_list(au_slice_make(p, k), &l);
            au_addr_msgid_valid(au_slice_make(p, k));
            au_addr_domain_valid(au_slice_make(p, k));
            free(p);
        }
    }
}

static void test_group_members_and_limit(void **state)
{
    struct au_addr_list l;
    const char *g = "Team: a@x.test, b@x.test;, c@y.test";
    assert_int_equal(au_addr_parse_list(au_slice_cstr(g), &l), AU_ADDR_OK);
    assert_int_equal(l.count, 3);
    assert_int_equal(l.groups, 1);
    assert_true(l.addr[0].in_group && l.addr[1].in_group && !l.addr[2].in_group);

    /* 1000 addresses: all counted, AU_ADDR_MAX kept. */
    char *big = malloc(1000 * 12 + 1);
    size_t n = 0;
    for (int i = 0; i < 1000; i++)
        n += (size_t)sprintf(big + n, "%sa%03d@b.cd", i ? "," : "", i);
    assert_int_equal(au_addr_parse_list(au_slice_make(big, n), &l), AU_ADDR_OK);
    assert_int_equal(l.count, 1000);
    assert_true(au_slice_eq(l.addr[AU_ADDR_MAX - 1].local, "a015"));
    free(big);
}

static void test_comment_depth(void **state)
{
    char in[200];
    struct au_addr_list l;
    /* AU_ADDR_COMMENT_DEPTH levels pass, one more fails. */
    for (int extra = 0; extra <= 1; extra++) {
        int d = AU_ADDR_COMMENT_DEPTH + extra;
        size_t n = 0;
        n += (size_t)sprintf(in + n, "a@b.cd ");
        for (int i = 0; i < d; i++)
            in[n++] = '(';
        for (int i = 0; i < d; i++)
            in[n++] = ')';
        assert_int_equal(au_addr_parse_list(au_slice_make(in, n), &l),
                         extra ? AU_ADDR_SYNTAX : AU_ADDR_OK);
    }
    /* A NUL anywhere is refused, even inside a comment or quotes. */
    assert_int_equal(au_addr_parse_list(au_slice_make("a@b.cd (x\0y)", 12), &l), AU_ADDR_SYNTAX);
    assert_int_equal(au_addr_parse_list(au_slice_make("\"x\0\"<a@b.cd>", 12), &l),
                     AU_ADDR_SYNTAX);
    assert_int_equal(au_addr_parse_list(au_slice_make("a@b\0.cd", 7), &l), AU_ADDR_SYNTAX);
}

struct vrow {
    const char *in;
    bool ok;
};

static void test_domain_valid(void **state)
{
    char l63[64], l64[65], d254[300];
    memset(l63, 'a', 63);
    l63[63] = 0;
    memset(l64, 'a', 64);
    l64[64] = 0;
    /* 4 * (62 + 1) = 252 bytes ending in a dot */
    size_t n = 0;
    for (int i = 0; i < 4; i++)
        n += (size_t)sprintf(d254 + n, "%.62s.", l63);
    char d253[400], d254b[400];
    snprintf(d253, sizeof d253, "%sa", d254);   /* 253 bytes: the maximum */
    snprintf(d254b, sizeof d254b, "%saa", d254); /* 254 bytes: one too many */
    char l63d[80], l64d[80];
    sprintf(l63d, "%s.com", l63);
    sprintf(l64d, "%s.com", l64);
    const struct vrow v[] = {
        {"example.com", true},     {"a.b", true},          {"xn--bcher-kva.example", true},
        {"b\xc3\xbc" "cher.de", true}, {"a-b.c-d.example", true}, {"123.example", true},
        {l63d, true},              {d253, true},           {"EXAMPLE.COM", true},
        {"", false},               {"localhost", false},   {"example.com.", false},
        {".example.com", false},   {"a..b", false},        {"-a.com", false},
        {"a-.com", false},         {"a_b.com", false},     {"192.0.2.1", false},
        {"[192.0.2.1]", false},    {"a b.com", false},     {l64d, false},
        {d254b, false},             {"exa mple.com", false}, {"example.com\r\n", false},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        if (au_addr_domain_valid(au_slice_cstr(v[i].in)) != v[i].ok)
            fail_msg("domain %s: want %d", v[i].in, v[i].ok);
}

static void test_msgid_valid(void **state)
{
    const struct vrow v[] = {
        {"<1234@local.machine.example>", true},          /* A.1.1 */
        {" <5678.21-Nov-1997@example.com>", true},       /* A.1.1 */
        {"<testabcd.1234@silly.example>", true},         /* A.1.2 */
        {"<abcd.1234@local.machine.test>\r\n", true},
        {"(comment) <a@b> (trailing)", true},
        {"<a@[192.0.2.1]>", true},
        {"<\"quoted left\"@example.com>", true},
        {"<62614f88.1c69fb81.88268.bedaSMTPIN_ADDED_MISSING@mx.google.com>", true},
        {"", false},
        {"   ", false},
        {"<>", false},
        {"<@example.com>", false},
        {"<abc@>", false},
        {"abc@example.com", false},
        {"<abc@example.com", false},
        {"<abc example@example.com>", false},
        {"< abc@example.com>", false},
        {"<abc@example.com >", false},
        {"<a..b@example.com>", false},
        {"<.a@example.com>", false},
        {"<a@example.com.>", false},
        {"<a@b> <c@d>", false},
        {"<a@b>x", false},
        {"<a@[x y]>", false},
        {"<a@[x>", false},
        {"<a@b@c>", false},
        {"<a@b> (unterminated", false},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        if (au_addr_msgid_valid(au_slice_cstr(v[i].in)) != v[i].ok)
            fail_msg("msg-id %s: want %d", v[i].in, v[i].ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_prefixes_in_bounds),
        cmocka_unit_test(test_group_members_and_limit),
        cmocka_unit_test(test_comment_depth),
        cmocka_unit_test(test_domain_valid),
        cmocka_unit_test(test_msgid_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
