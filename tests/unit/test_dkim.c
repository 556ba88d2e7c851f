/*
 * test_dkim - DKIM: the tag-list, signature and key-record parsers (tables
 * of good and hostile input), base64, canonicalization (RFC 6376 3.4.5's
 * example and the well-known empty-body hashes), the verifier end to end
 * (sign, verify, tamper), the profile settings, the limits (1 MB header,
 * 10 000 signatures, l= beyond the body, 16384-bit keys), the step contract,
 * and Gmail's A-R clause against REFERENCE.md's literal examples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include "../dkim_fixture.h"
#include "dkim_canon.h"
#include "dkim_sign.h"
#include "dkim_tag.h"

#define NOW 1764000000

static EVP_PKEY *rsa2048, *rsa768, *ed;

static int setup(void **state)
{
    rsa2048 = au_dkim_sign_keygen(AU_DKIM_KEY_RSA, 2048);
    rsa768 = au_dkim_sign_keygen(AU_DKIM_KEY_RSA, 768);
    ed = au_dkim_sign_keygen(AU_DKIM_KEY_ED25519, 0);
    return rsa2048 && rsa768 && ed ? 0 : -1;
}

static int teardown(void **state)
{
    EVP_PKEY_free(rsa2048);
    EVP_PKEY_free(rsa768);
    EVP_PKEY_free(ed);
    return 0;
}

/* ---------------------------------------------------------------- tags */

static void test_tag_list(void **state)
{
    static const struct {
        const char *text;
        int ok;
        size_t n;
    } t[] = {
        {"a=1", 1, 1},      {"a=1;", 1, 1},     {" a = 1 ; b=2 ;\r\n\t c=x y ", 1, 3},
        {"a=", 1, 1},                           /* empty value is allowed */
        {"", 0, 0},                             /* no tag at all */
        {";", 0, 0},        {"a=1;;b=2", 0, 0}, /* empty tag-spec inside */
        {"a=1; a=2", 0, 0},                     /* duplicate */
        {"1a=2", 0, 0},                         /* name must start with ALPHA */
        {"a-b=2", 0, 0},    {"a_b9=2", 1, 1},   {"=2", 0, 0},
        {"novalue", 0, 0},  {"a=\x01", 0, 0}, /* control character */
        {"a=1\x7f", 0, 0},  {"a=b=c", 1, 1},  /* '=' may appear in a value (base64 padding) */
        {"A=1; a=2", 1, 2},                   /* tag names are case-sensitive */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct au_dkim_tag tags[8];
        size_t n = 99;
        char err[100] = "";
        int rc = au_dkim_tag_parse(au_slice_cstr(t[i].text), tags, 8, &n, err, sizeof err);
        if ((rc == 0) != t[i].ok)
            fail_msg("case %zu '%s': rc %d (%s)", i, t[i].text, rc, err);
        if (rc == 0)
            assert_int_equal(n, t[i].n);
        else
            assert_true(err[0] != '\0');
    }
    /* More tags than room. */
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    for (int i = 0; i < 10000; i++)
        au_buf_printf(&b, "t%d=%d;", i, i);
    struct au_dkim_tag tags[AU_DKIM_TAGS_MAX];
    size_t n;
    char err[100];
    assert_int_equal(
        au_dkim_tag_parse(au_buf_slice(&b), tags, AU_DKIM_TAGS_MAX, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "more than"));
    au_buf_free(&b);
}

static void test_base64(void **state)
{
    uint8_t out[64];
    assert_int_equal(au_dkim_tag_base64(au_slice_cstr("TWFu"), out, sizeof out), 3);
    assert_memory_equal(out, "Man", 3);
    assert_int_equal(au_dkim_tag_base64(au_slice_cstr("TW Fu\r\n\tTWE="), out, sizeof out), 5);
    assert_memory_equal(out, "ManMa", 5);
    assert_int_equal(au_dkim_tag_base64(au_slice_cstr("TQ=="), out, sizeof out), 1);
    assert_int_equal(au_dkim_tag_base64(au_slice_cstr(""), out, sizeof out), 0);
    assert_int_equal(au_dkim_tag_base64(au_slice_cstr("TWF"), out, sizeof out), -1); /* length */
    assert_int_equal(au_dkim_tag_base64(au_slice_cstr("TQ=a"), out, sizeof out),
                     -1); /* data after pad */
    assert_int_equal(au_dkim_tag_base64(au_slice_cstr("T==="), out, sizeof out), -1);
    assert_int_equal(au_dkim_tag_base64(au_slice_cstr("TW!u"), out, sizeof out), -1);
    assert_int_equal(au_dkim_tag_base64(au_slice_cstr("TWFuTWFu"), out, 5), -1); /* too long */
    assert_int_equal(au_dkim_tag_base64(au_slice_make("TW\0u", 4), out, sizeof out), -1);
    /* Every byte value as the last of "QUJ?", against RFC 4648's alphabet:
     * "QUJ" holds "AB" and the top two bits of the third byte (01). */
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int c = 0; c < 256; c++) {
        char in[4] = {'Q', 'U', 'J', (char)c};
        const char *pos = c ? memchr(alphabet, c, 64) : NULL;
        long n = au_dkim_tag_base64(au_slice_make(in, 4), out, sizeof out);
        if (pos) {
            if (n != 3 || memcmp(out, "AB", 2) != 0 || out[2] != 0x40 + (pos - alphabet))
                fail_msg("byte %d decoded wrong", c);
        } else if (c == '=') {
            if (n != 2 || memcmp(out, "AB", 2) != 0)
                fail_msg("padding decoded wrong");
        } else if (n != -1) {
            fail_msg("byte %d accepted", c); /* FWS leaves 3 characters: also wrong */
        }
    }
}

/* A syntactically valid signature value; cases replace one piece of it. */
#define BH32 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
#define GOOD "v=1; a=rsa-sha256; d=example.com; s=s1; h=from:to; bh=" BH32 "; b=AAAA"

static void test_sig_tags(void **state)
{
    static const struct {
        const char *text;
        const char *err; /* NULL: parses */
    } t[] = {
        {GOOD, NULL},
        {"a=rsa-sha256; d=example.com; s=s1; h=from; bh=" BH32 "; b=AAAA",
         "missing required tag v="},
        {"v=2; a=rsa-sha256; d=example.com; s=s1; h=from; bh=" BH32 "; b=AAAA",
         "unsupported version"},
        {"v=1; d=example.com; s=s1; h=from; bh=" BH32 "; b=AAAA", "missing required tag a="},
        {"v=1; a=rsa-sha256; d=example.com; s=s1; h=from; bh=" BH32, "missing required tag b="},
        {"v=1; a=rsa-sha256; d=example.com; s=s1; h=from; b=AAAA", "missing required tag bh="},
        {"v=1; a=rsa-sha256; s=s1; h=from; bh=" BH32 "; b=AAAA", "missing required tag d="},
        {"v=1; a=rsa-sha256; d=example.com; s=s1; bh=" BH32 "; b=AAAA", "missing required tag h="},
        {"v=1; a=rsa-sha256; d=example.com; h=from; bh=" BH32 "; b=AAAA",
         "missing required tag s="},
        {"v=1; a=rsa-md5; d=example.com; s=s1; h=from; bh=" BH32 "; b=AAAA",
         "unsupported algorithm"},
        {"v=1; a=ed25519-sha256; d=example.com; s=s1; h=from; bh=" BH32 "; b=AAAA", NULL},
        {"v=1; a=rsa-sha1; d=example.com; s=s1; h=from; bh=" BH32 "; b=AAAA", "bh= has 32 bytes"},
        {"v=1; a=rsa-sha256; d=example..com; s=s1; h=from; bh=" BH32 "; b=AAAA",
         "d= is not a domain"},
        {"v=1; a=rsa-sha256; d=legitimate.com(.attacker.com; s=s1; h=from; bh=" BH32 "; b=AAAA",
         "d= is not a domain"},
        {"v=1; a=rsa-sha256; d=com; s=s1; h=from; bh=" BH32 "; b=AAAA", "d= is not a domain"},
        {"v=1; a=rsa-sha256; d=-x.com; s=s1; h=from; bh=" BH32 "; b=AAAA", "d= is not a domain"},
        {"v=1; a=rsa-sha256; d=example.com; s=a b; h=from; bh=" BH32 "; b=AAAA", "s= is not"},
        {"v=1; a=rsa-sha256; d=example.com; s=s_1.x; h=from; bh=" BH32 "; b=AAAA", NULL},
        {"v=1; a=rsa-sha256; d=example.com; s=s1; h=to:subject; bh=" BH32 "; b=AAAA",
         "From not signed"},
        {"v=1; a=rsa-sha256; d=example.com; s=s1; h=FROM; bh=" BH32 "; b=AAAA", NULL},
        {"v=1; a=rsa-sha256; d=example.com; s=s1; h=from::to; bh=" BH32 "; b=AAAA",
         "empty name in h="},
        {"v=1; a=rsa-sha256; d=example.com; s=s1; h=from : to : from; bh=" BH32 "; b=AAAA", NULL},
        {GOOD "; i=@example.com", NULL},
        {GOOD "; i=user@sub.example.com", NULL},
        {GOOD "; i=user=40x@example.com", NULL}, /* dkim-quoted-printable */
        {GOOD "; i=user@example.org", "i= domain"},
        {GOOD "; i=user@badexample.com", "i= domain"},
        {GOOD "; i=example.com", "i= has no '@'"},
        {GOOD "; i=a=4@example.com", "bad i= value"},
        {GOOD "; i=a=@example.com", "bad i= value"},
        {GOOD "; i=a=0@example.com", "bad i= value"}, /* NUL */
        {GOOD "; t=100; x=200", NULL},
        {GOOD "; t=200; x=100", "x= is not after t="},
        {GOOD "; t=200; x=200", "x= is not after t="},
        {GOOD "; t=12a", "bad t="},
        {GOOD "; x=-1", "bad x="},
        {GOOD "; l=0", NULL},
        {GOOD "; l=123", NULL},
        {GOOD "; l=99999999999999999999999999999999", NULL}, /* saturates: cannot match */
        {GOOD "; l=", "bad l="},
        {GOOD "; l=1e3", "bad l="},
        {GOOD "; c=relaxed", NULL},
        {GOOD "; c=relaxed/relaxed", NULL},
        {GOOD "; c=simple/relaxed", NULL},
        {GOOD "; c=relaxed/", "unsupported canonicalization"},
        {GOOD "; c=future", "unsupported canonicalization"},
        {GOOD "; q=dns/txt", NULL},
        {GOOD "; q=DNS/TXT:http/x", NULL},
        {GOOD "; q=http", "unsupported query method"},
        {GOOD "; q=dns/special", "unsupported query method"},
        {GOOD "; z=From:foo|To:bar", NULL},
        {GOOD "; unknown=tag", NULL}, /* unknown tags are ignored */
        {"v=1; a=rsa-sha256; d=example.com; s=s1; h=from; bh=" BH32 "; b=", "b= is empty"},
        {"v=1; a=rsa-sha256; d=example.com; s=s1; h=from; bh=" BH32 "; b=@@@@", "b= is not base64"},
        {"v=1; a=rsa-sha256; d=example.com; s=s1; h=from; bh=" BH32 "; b=AAA", "b= is not base64"},
        {"v=1; a=rsa-sha256; d=example.com; s=s1; h=from; bh=AAAA; b=AAAA", "bh= has 3 bytes"},
        {"v=1; a=rsa-sha256; d=example.com; s=s1; h=from; bh=%%%%; b=AAAA", "bh= is not base64"},
        {GOOD "; v=1", "duplicate tag"},
        {GOOD ";; x=1", "empty tag"},
    };
    static struct au_dkim_sig sig;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char err[200] = "";
        int rc = au_dkim_tag_sig_parse(au_slice_cstr(t[i].text), NULL, &sig, err, sizeof err);
        if (t[i].err == NULL && rc != 0)
            fail_msg("case %zu '%s': %s", i, t[i].text, err);
        if (t[i].err && (rc == 0 || strstr(err, t[i].err) == NULL))
            fail_msg("case %zu '%s': want '%s', got rc %d '%s'", i, t[i].text, t[i].err, rc, err);
    }
    /* The slices and derived values of a good one. */
    char err[200];
    assert_int_equal(
        au_dkim_tag_sig_parse(au_slice_cstr(GOOD "; i=joe@example.com; l=5; c=relaxed"), NULL, &sig,
                              err, sizeof err),
        0);
    assert_true(au_slice_eq(sig.d, "example.com"));
    assert_string_equal(sig.identity, "joe@example.com");
    assert_int_equal(sig.l, 5);
    assert_int_equal(sig.hc, AU_DKIM_CANON_RELAXED);
    assert_int_equal(sig.bc, AU_DKIM_CANON_SIMPLE);
    assert_int_equal(sig.nh, 2);
    assert_int_equal(sig.b_len, 3);
    /* An oversized b= (a signature past 16384 bits) is refused, not copied. */
    struct au_buf big;
    au_buf_init(&big, AU_BUF_NOLIMIT);
    au_buf_puts(&big, "v=1; a=rsa-sha256; d=example.com; s=s1; h=from; bh=" BH32 "; b=");
    for (int i = 0; i < (AU_DKIM_SIG_BYTES_MAX / 3 + 1) * 4; i++)
        au_buf_putc(&big, 'A');
    assert_int_equal(au_dkim_tag_sig_parse(au_buf_slice(&big), NULL, &sig, err, sizeof err), -1);
    /* A 1 MB h= list. */
    au_buf_reset(&big);
    au_buf_puts(&big, "v=1; a=rsa-sha256; d=example.com; s=s1; bh=" BH32 "; b=AAAA; h=from");
    while (big.len < (1 << 20))
        au_buf_puts(&big, ":x-very-long-field-name");
    assert_int_equal(au_dkim_tag_sig_parse(au_buf_slice(&big), NULL, &sig, err, sizeof err), -1);
    assert_non_null(strstr(err, "names in h="));
    au_buf_free(&big);
    /* Draft versions only when asked. */
    struct au_dkim_sig_opts draft = {.draft_versions = true};
    const char *old = "v=0.5; a=rsa-sha256; d=example.com; s=s1; h=from; bh=" BH32 "; b=AAAA";
    assert_int_equal(au_dkim_tag_sig_parse(au_slice_cstr(old), NULL, &sig, err, sizeof err), -1);
    assert_int_equal(au_dkim_tag_sig_parse(au_slice_cstr(old), &draft, &sig, err, sizeof err), 0);
}

static void test_key_tags(void **state)
{
    static const struct {
        const char *text;
        int ok;
        int k, revoked, email, testing, strict, sha1, sha256;
    } t[] = {
        {"v=DKIM1; k=rsa; p=AAAA", 1, AU_DKIM_KEY_RSA, 0, 1, 0, 0, 1, 1},
        {"p=AAAA", 1, AU_DKIM_KEY_RSA, 0, 1, 0, 0, 1, 1},
        {"v=DKIM1; p=", 1, AU_DKIM_KEY_RSA, 1, 1, 0, 0, 1, 1},
        {"k=ed25519; p=AAAA", 1, AU_DKIM_KEY_ED25519, 0, 1, 0, 0, 1, 1},
        {"k=ED25519; p=AAAA", 1, AU_DKIM_KEY_ED25519, 0, 1, 0, 0, 1, 1},
        {"h=sha256; p=AAAA", 1, AU_DKIM_KEY_RSA, 0, 1, 0, 0, 0, 1},
        {"h=sha1:md5; p=AAAA", 1, AU_DKIM_KEY_RSA, 0, 1, 0, 0, 1, 0},
        {"h=bad; p=AAAA", 1, AU_DKIM_KEY_RSA, 0, 1, 0, 0, 0, 0},
        {"s=email; p=AAAA", 1, AU_DKIM_KEY_RSA, 0, 1, 0, 0, 1, 1},
        {"s=*; p=AAAA", 1, AU_DKIM_KEY_RSA, 0, 1, 0, 0, 1, 1},
        {"s=chat; p=AAAA", 1, AU_DKIM_KEY_RSA, 0, 0, 0, 0, 1, 1},
        {"s=tlsrpt; p=AAAA", 1, AU_DKIM_KEY_RSA, 0, 0, 0, 0, 1, 1},
        {"s=chat:email; p=AAAA", 1, AU_DKIM_KEY_RSA, 0, 1, 0, 0, 1, 1},
        {"t=y; p=AAAA", 1, AU_DKIM_KEY_RSA, 0, 1, 1, 0, 1, 1},
        {"t=y:s:future; p=AAAA", 1, AU_DKIM_KEY_RSA, 0, 1, 1, 1, 1, 1},
        {"n=notes with spaces; g=*; p=AAAA", 1, AU_DKIM_KEY_RSA, 0, 1, 0, 0, 1, 1},
        {"v=DKIM2; p=AAAA", 0, 0, 0, 0, 0, 0, 0, 0},
        {"k=rsa; v=DKIM1; p=AAAA", 0, 0, 0, 0, 0, 0, 0, 0}, /* v= must come first */
        {"v=DKIM1: k=rsa; p=AAAA", 0, 0, 0, 0, 0, 0, 0, 0}, /* dkimpy's badversion */
        {"k=dsa; p=AAAA", 0, 0, 0, 0, 0, 0, 0, 0},
        {"k=ed25519-sha256; p=AAAA", 0, 0, 0, 0, 0, 0, 0, 0},
        {"v=DKIM1; k=rsa", 0, 0, 0, 0, 0, 0, 0, 0}, /* no p= */
        {"k=rsa; t; p=AAAA", 0, 0, 0, 0, 0, 0, 0, 0},
        {"", 0, 0, 0, 0, 0, 0, 0, 0},
        {"p=AAAA; p=BBBB", 0, 0, 0, 0, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct au_dkim_key_rec k;
        char err[200] = "";
        int rc = au_dkim_tag_key_parse(au_slice_cstr(t[i].text), &k, err, sizeof err);
        if ((rc == 0) != t[i].ok)
            fail_msg("case %zu '%s': rc %d %s", i, t[i].text, rc, err);
        if (rc != 0)
            continue;
        assert_int_equal(k.k, t[i].k);
        assert_int_equal(k.revoked, t[i].revoked);
        assert_int_equal(k.email, t[i].email);
        assert_int_equal(k.testing, t[i].testing);
        assert_int_equal(k.strict, t[i].strict);
        assert_int_equal(k.h_sha1, t[i].sha1);
        assert_int_equal(k.h_sha256, t[i].sha256);
    }
}

/* -------------------------------------------------------- canonicalization */

struct sink {
    struct au_buf b;
};

static void to_buf(void *arg, const void *p, size_t n)
{
    au_buf_append(&((struct sink *)arg)->b, p, n);
}

static void canon_body(enum au_dkim_canon c, const char *in, size_t len, uint64_t limit,
                       size_t chunk, struct au_buf *out, uint64_t *total)
{
    struct sink s;
    au_buf_init(&s.b, AU_BUF_NOLIMIT);
    struct au_dkim_body_canon *bc = malloc(sizeof *bc);
    au_dkim_body_canon_init(bc, c, limit, to_buf, &s);
    if (chunk == 0)
        chunk = len ? len : 1;
    for (size_t o = 0; o < len; o += chunk)
        au_dkim_body_canon_feed(bc, in + o, len - o < chunk ? len - o : chunk);
    au_dkim_body_canon_finish(bc);
    if (total)
        *total = bc->total;
    free(bc);
    *out = s.b;
}

static void test_canon_rfc_example(void **state)
{
    /* RFC 6376 section 3.4.6, the example. */
    struct au_buf out;
    au_buf_init(&out, AU_BUF_NOLIMIT);
    assert_int_equal(
        au_dkim_canon_header(AU_DKIM_CANON_RELAXED, au_slice_cstr("A: X\r\n"), false, &out), 0);
    assert_int_equal(au_dkim_canon_header(AU_DKIM_CANON_RELAXED,
                                          au_slice_cstr("B : Y\t\r\n\tZ  \r\n"), false, &out),
                     0);
    assert_string_equal(out.data, "a:X\r\nb:Y Z\r\n");
    au_buf_reset(&out);
    au_dkim_canon_header(AU_DKIM_CANON_SIMPLE, au_slice_cstr("B : Y\t\r\n\tZ  \r\n"), false, &out);
    assert_string_equal(out.data, "B : Y\t\r\n\tZ  \r\n");
    au_buf_reset(&out);
    /* The signature field itself: no final CRLF in either form. */
    au_dkim_canon_header(AU_DKIM_CANON_SIMPLE, au_slice_cstr("DKIM-Signature: b=\r\n"), true, &out);
    assert_string_equal(out.data, "DKIM-Signature: b=");
    au_buf_reset(&out);
    au_dkim_canon_header(AU_DKIM_CANON_RELAXED, au_slice_cstr("DKIM-Signature: a=1;\r\n b=\r\n"),
                         true, &out);
    assert_string_equal(out.data, "dkim-signature:a=1; b=");
    au_buf_free(&out);

    const char *body = " C \r\nD \t E\r\n\r\n\r\n";
    size_t len = strlen(body);
    for (size_t chunk = 0; chunk <= len; chunk++) {
        struct au_buf r, s;
        canon_body(AU_DKIM_CANON_RELAXED, body, len, AU_DKIM_NO_LIMIT, chunk, &r, NULL);
        canon_body(AU_DKIM_CANON_SIMPLE, body, len, AU_DKIM_NO_LIMIT, chunk, &s, NULL);
        assert_string_equal(r.data, " C\r\nD E\r\n");
        assert_string_equal(s.data, " C \r\nD \t E\r\n");
        au_buf_free(&r);
        au_buf_free(&s);
    }
}

static void test_canon_header_cases(void **state)
{
    /* RFC 6376 3.4.2: name lowercased, unfolded, WSP runs one SP, WSP at the
     * end and around the colon gone; values longer than a vector register so
     * that runs of content are crossed at every offset. */
    static const struct {
        const char *in;
        bool is_sig;
        const char *relaxed;
    } t[] = {
        {"Subject:  Hello   world \r\n", false, "subject:Hello world\r\n"},
        {"Subject: The quick brown fox jumps over the lazy dog\r\n", false,
         "subject:The quick brown fox jumps over the lazy dog\r\n"},
        {"Subject: The quick brown fox\r\n jumps over\tthe  lazy dog\t \r\n", false,
         "subject:The quick brown fox jumps over the lazy dog\r\n"},
        {"X:a\r\n\tb", false, "x:a b\r\n"},
        {"X: 0123456789abcdef0123456789abcdef  \r\n", false,
         "x:0123456789abcdef0123456789abcdef\r\n"},
        {"X: 0123456789abcdef0123456789abcdef\x01 y\r\n", false,
         "x:0123456789abcdef0123456789abcdef\x01 y\r\n"},
        {"X:\r\n \r\n", false, "x:\r\n"},
        {"DKIM-Signature: v=1; a=rsa-sha256;\r\n\tb=abcdefghijklmnopqrstuvwxyz\r\n def \r\n", true,
         "dkim-signature:v=1; a=rsa-sha256; b=abcdefghijklmnopqrstuvwxyz def"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct au_buf out;
        au_buf_init(&out, AU_BUF_NOLIMIT);
        /* An exact-size copy, so that a read past the end is caught. */
        size_t len = strlen(t[i].in);
        char *raw = malloc(len);
        memcpy(raw, t[i].in, len);
        assert_int_equal(
            au_dkim_canon_header(AU_DKIM_CANON_RELAXED, au_slice_make(raw, len), t[i].is_sig, &out),
            0);
        if (strcmp(out.data, t[i].relaxed) != 0)
            fail_msg("case %zu: \"%s\"", i, out.data);
        free(raw);
        au_buf_free(&out);
    }
}

static void b64_sha256(const char *p, size_t n, char out[45])
{
    unsigned char d[32];
    SHA256((const unsigned char *)p, n, d);
    EVP_EncodeBlock((unsigned char *)out, d, 32);
}

static void test_canon_body_cases(void **state)
{
    static const struct {
        const char *in, *simple, *relaxed;
    } t[] = {
        {"", "\r\n", ""},
        {"\r\n", "\r\n", ""},
        {"\r\n\r\n\r\n", "\r\n", ""},
        {"abc", "abc\r\n", "abc\r\n"},
        {"abc\r\n", "abc\r\n", "abc\r\n"},
        {"  \r\n \t \r\n", "  \r\n \t \r\n", ""},
        {"a  b\t\tc  \r\n", "a  b\t\tc  \r\n", "a b c\r\n"},
        {"a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n"},
        {"a\rb\nc\r\n", "a\rb\nc\r\n", "a\rb\nc\r\n"}, /* bare CR and LF are content */
        {"a\r", "a\r\r\n", "a\r\r\n"},
        {"a \r", "a \r\r\n", "a \r\r\n"},
        {"\r\n x", "\r\n x\r\n", "\r\n x\r\n"},
        /* A line of nothing but WSP is empty once relaxed, so it is trailing. */
        {"x\r\n\t\r\n", "x\r\n\t\r\n", "x\r\n"},
        {"x\r\n \r\n\r\n", "x\r\n \r\n", "x\r\n"},
        {"a \r\nb", "a \r\nb\r\n", "a\r\nb\r\n"},
        {"a\r\n b\r\n", "a\r\n b\r\n", "a\r\n b\r\n"},
        /* Lines longer than a machine word, WSP at every place in it. */
        {"The quick brown fox  jumps\tover the lazy dog  \r\n\r\n",
         "The quick brown fox  jumps\tover the lazy dog  \r\n",
         "The quick brown fox jumps over the lazy dog\r\n"},
        {"0123456789abcdef \r\n \t\r\n", "0123456789abcdef \r\n \t\r\n", "0123456789abcdef\r\n"},
        {"01234567\r\n89abcdef\r\n\t0123456789\r\nabc",
         "01234567\r\n89abcdef\r\n\t0123456789\r\nabc\r\n",
         "01234567\r\n89abcdef\r\n 0123456789\r\nabc\r\n"},
        {"0123456 \r0123456 \n0123456\r\r\n", "0123456 \r0123456 \n0123456\r\r\n",
         "0123456 \r0123456 \n0123456\r\r\n"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t len = strlen(t[i].in);
        for (size_t chunk = 0; chunk <= (len ? len : 1); chunk++) {
            struct au_buf s, r;
            canon_body(AU_DKIM_CANON_SIMPLE, t[i].in, len, AU_DKIM_NO_LIMIT, chunk, &s, NULL);
            canon_body(AU_DKIM_CANON_RELAXED, t[i].in, len, AU_DKIM_NO_LIMIT, chunk, &r, NULL);
            if (strcmp(s.data ? s.data : "", t[i].simple) != 0 ||
                strcmp(r.data ? r.data : "", t[i].relaxed) != 0)
                fail_msg("case %zu chunk %zu", i, chunk);
            au_buf_free(&s);
            au_buf_free(&r);
        }
    }
    /* The empty-body hashes every DKIM implementation knows. */
    struct au_buf s, r;
    char h[45];
    canon_body(AU_DKIM_CANON_SIMPLE, "", 0, AU_DKIM_NO_LIMIT, 0, &s, NULL);
    b64_sha256(s.data, s.len, h);
    assert_string_equal(h, "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
    canon_body(AU_DKIM_CANON_RELAXED, "", 0, AU_DKIM_NO_LIMIT, 0, &r, NULL);
    b64_sha256(r.data ? r.data : "", r.len, h);
    assert_string_equal(h, BH32);
    au_buf_free(&s);
    au_buf_free(&r);
    /* l= cuts what is hashed but not what is counted. */
    uint64_t total;
    canon_body(AU_DKIM_CANON_SIMPLE, "hello\r\nworld\r\n", 14, 3, 1, &s, &total);
    assert_int_equal(s.len, 3);
    assert_memory_equal(s.data, "hel", 3);
    assert_int_equal(total, 14);
    au_buf_free(&s);
    canon_body(AU_DKIM_CANON_SIMPLE, "x", 1, 0, 0, &s, &total);
    assert_int_equal(s.len, 0);
    assert_int_equal(total, 3);
    au_buf_free(&s);
}

static void test_signed_header_selection(void **state)
{
    /* RFC 6376 5.4.2: bottom-up, one instance per use, absent names add nothing. */
    struct au_dkim_field f[] = {
        {au_slice_cstr("Received"), au_slice_cstr("Received: 1\r\n")},
        {au_slice_cstr("From"), au_slice_cstr("From: a\r\n")},
        {au_slice_cstr("Received"), au_slice_cstr("Received: 2\r\n")},
        {au_slice_cstr("Subject"), au_slice_cstr("Subject: s\r\n")},
    };
    struct au_slice h[] = {au_slice_cstr("received"), au_slice_cstr("from"),
                           au_slice_cstr("RECEIVED"), au_slice_cstr("received"),
                           au_slice_cstr("x-absent"), au_slice_cstr("from")};
    struct au_buf out;
    au_buf_init(&out, AU_BUF_NOLIMIT);
    assert_int_equal(au_dkim_canon_signed_headers(AU_DKIM_CANON_SIMPLE, f, 4, h, 6, SIZE_MAX, &out),
                     0);
    assert_string_equal(out.data, "Received: 2\r\nFrom: a\r\nReceived: 1\r\n");
    au_buf_reset(&out);
    assert_int_equal(au_dkim_canon_signed_headers(AU_DKIM_CANON_RELAXED, f, 4, h, 2, 2, &out), 0);
    assert_string_equal(out.data, "received:1\r\nfrom:a\r\n");
    au_buf_free(&out);
}

/* ------------------------------------------------------- end to end */

static const char MSG[] = "Received: from x by y; Tue, 1 Jan 2030 00:00:00 +0000\r\n"
                          "From: Joe <joe@example.com>\r\n"
                          "To: Sam <sam@example.org>\r\n"
                          "Subject:  Is  dinner\r\n"
                          " ready?\r\n"
                          "Date: Tue, 1 Jan 2030 00:00:00 +0000\r\n"
                          "Message-ID: <1@example.com>\r\n"
                          "\r\n"
                          "Hi.\r\n"
                          "\r\n"
                          "We lost the game.  Are you hungry yet?\r\n"
                          "\r\n"
                          "Joe.\r\n"
                          "\r\n";

static void record_of(EVP_PKEY *k, struct au_buf *out)
{
    au_buf_init(out, AU_BUF_NOLIMIT);
    assert_int_equal(au_dkim_sign_record(k, out), 0);
}

/* Signs msg with key, applies edit (may be NULL), verifies; returns the
 * result of the first signature and copies its reason. */
static enum au_result roundtrip(EVP_PKEY *key, const struct au_dkim_sign_opts *o0, const char *msg,
                                char *(*edit)(const char *signed_msg),
                                const struct au_dkim_config *cfg, int64_t now, char *reason,
                                size_t rlen)
{
    struct au_dkim_sign_opts o = *o0;
    struct au_buf sm;
    au_buf_init(&sm, AU_BUF_NOLIMIT);
    char err[200] = "";
    if (au_dkim_sign(msg, strlen(msg), key, &o, &sm, err, sizeof err) != 0)
        fail_msg("sign: %s", err);
    au_buf_puts(&sm, msg);
    char *text = edit ? edit(sm.data) : au_xstrdup(sm.data);
    struct au_buf rec;
    record_of(key, &rec);
    struct fx_dns dns = {0};
    char name[300];
    snprintf(name, sizeof name, "%s._domainkey.%s", o.selector, o.domain);
    fx_dns_add(&dns, name, FX_TXT, rec.data);
    struct au_dkim_verify *v = au_dkim_verify_new(cfg, now);
    fx_run(v, text, strlen(text), 0, &dns);
    assert_true(au_dkim_verify_done(v));
    assert_int_equal(au_dkim_verify_count(v), 1);
    const struct au_dkim_sig_result *r = au_dkim_verify_result(v, 0);
    enum au_result res = r->result;
    if (reason)
        snprintf(reason, rlen, "%s", r->reason);
    au_dkim_verify_free(v);
    fx_dns_free(&dns);
    au_buf_free(&rec);
    au_buf_free(&sm);
    free(text);
    return res;
}

static char *replace(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    assert_non_null(p);
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    au_buf_append(&b, s, (size_t)(p - s));
    au_buf_puts(&b, to);
    au_buf_puts(&b, p + strlen(from));
    return au_buf_detach(&b);
}

static char *edit_body(const char *s)
{
    return replace(s, "lost the game", "won the game");
}
static char *edit_subject(const char *s)
{
    return replace(s, "Is  dinner", "Is lunch");
}
static char *edit_body_ws(const char *s)
{
    return replace(s, "Are you hungry", "Are  you \thungry");
}
static char *edit_header_ws(const char *s)
{
    return replace(s, "Subject:  Is  dinner", "Subject: Is dinner");
}
static char *edit_add_from(const char *s)
{
    return replace(s, "To: Sam", "From: Eve <eve@evil.example>\r\nTo: Sam");
}
static char *edit_add_cc(const char *s)
{
    return replace(s, "To: Sam", "Cc: extra@example.org\r\nTo: Sam");
}
static char *edit_append(const char *s)
{
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    au_buf_puts(&b, s);
    au_buf_puts(&b, "Appended text.\r\n");
    return au_buf_detach(&b);
}
static char *edit_trailing_lines(const char *s)
{
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    au_buf_puts(&b, s);
    au_buf_puts(&b, "\r\n\r\n\r\n");
    return au_buf_detach(&b);
}

static void test_roundtrip_and_tamper(void **state)
{
    struct au_dkim_sign_opts o;
    au_dkim_sign_opts_init(&o);
    o.domain = "example.com";
    o.selector = "s1";
    o.now = NOW - 100;
    char reason[AU_DKIM_REASON_MAX];
    EVP_PKEY *keys[] = {rsa2048, ed};
    for (int k = 0; k < 2; k++) {
        for (int hc = 0; hc < 2; hc++)
            for (int bc = 0; bc < 2; bc++) {
                o.hc = (enum au_dkim_canon)hc;
                o.bc = (enum au_dkim_canon)bc;
                assert_int_equal(
                    roundtrip(keys[k], &o, MSG, NULL, NULL, NOW, reason, sizeof reason),
                    AU_RESULT_PASS);
                assert_int_equal(
                    roundtrip(keys[k], &o, MSG, edit_body, NULL, NOW, reason, sizeof reason),
                    AU_RESULT_NEUTRAL);
                assert_non_null(strstr(reason, "body hash mismatch (signed bh="));
                assert_int_equal(
                    roundtrip(keys[k], &o, MSG, edit_subject, NULL, NOW, reason, sizeof reason),
                    AU_RESULT_FAIL);
                assert_string_equal(reason, "signature does not verify");
                assert_int_equal(roundtrip(keys[k], &o, MSG, edit_body_ws, NULL, NOW, NULL, 0),
                                 bc == AU_DKIM_CANON_RELAXED ? AU_RESULT_PASS : AU_RESULT_NEUTRAL);
                assert_int_equal(roundtrip(keys[k], &o, MSG, edit_header_ws, NULL, NOW, NULL, 0),
                                 hc == AU_DKIM_CANON_RELAXED ? AU_RESULT_PASS : AU_RESULT_FAIL);
                /* Trailing empty lines are ignored by both body forms. */
                assert_int_equal(
                    roundtrip(keys[k], &o, MSG, edit_trailing_lines, NULL, NOW, NULL, 0),
                    AU_RESULT_PASS);
                /* A field not signed may be added. */
                assert_int_equal(roundtrip(keys[k], &o, MSG, edit_add_cc, NULL, NOW, NULL, 0),
                                 AU_RESULT_PASS);
            }
    }
    /* l=: appended text passes under l=, fails without. */
    o.hc = o.bc = AU_DKIM_CANON_RELAXED;
    o.length = AU_DKIM_SIGN_L_BODY;
    assert_int_equal(roundtrip(rsa2048, &o, MSG, edit_append, NULL, NOW, NULL, 0), AU_RESULT_PASS);
    o.length = AU_DKIM_SIGN_L_NONE;
    assert_int_equal(roundtrip(rsa2048, &o, MSG, edit_append, NULL, NOW, NULL, 0),
                     AU_RESULT_NEUTRAL);
    /* Oversigning From: a second From added later breaks the signature. */
    o.headers = "from:from:to:subject";
    assert_int_equal(roundtrip(rsa2048, &o, MSG, NULL, NULL, NOW, NULL, 0), AU_RESULT_PASS);
    assert_int_equal(roundtrip(rsa2048, &o, MSG, edit_add_from, NULL, NOW, NULL, 0),
                     AU_RESULT_FAIL);
    o.headers = "from:to:subject";
    assert_int_equal(roundtrip(rsa2048, &o, MSG, edit_add_from, NULL, NOW, NULL, 0),
                     AU_RESULT_FAIL);
    /* h= naming absent fields (signing their absence) still passes. */
    o.headers = "from:reply-to:x-absent:subject";
    assert_int_equal(roundtrip(rsa2048, &o, MSG, NULL, NULL, NOW, NULL, 0), AU_RESULT_PASS);
    o.headers = NULL;
    /* i= within d=, and x=. */
    o.identity = "joe@mail.example.com";
    o.expire = NOW + 10;
    assert_int_equal(roundtrip(ed, &o, MSG, NULL, NULL, NOW, NULL, 0), AU_RESULT_PASS);
    assert_int_equal(roundtrip(ed, &o, MSG, NULL, NULL, NOW + 11, reason, sizeof reason),
                     AU_RESULT_PERMERROR);
    assert_non_null(strstr(reason, "signature expired at 2025-11-24T16:00:10Z"));
}

static void test_profile_settings(void **state)
{
    struct au_dkim_sign_opts o;
    au_dkim_sign_opts_init(&o);
    o.domain = "example.com";
    o.selector = "s1";
    o.now = NOW;
    char reason[AU_DKIM_REASON_MAX];
    /* Gmail: keys under 1024 bits are no valid signature. */
    assert_int_equal(roundtrip(rsa768, &o, MSG, NULL, NULL, NOW, reason, sizeof reason),
                     AU_RESULT_POLICY);
    assert_string_equal(reason, "key too short (768 bits)");
    struct au_dkim_config cfg;
    au_dkim_config_default(&cfg);
    cfg.min_rsa_bits = 512;
    assert_int_equal(roundtrip(rsa768, &o, MSG, NULL, &cfg, NOW, NULL, 0), AU_RESULT_PASS);
    /* rsa-sha1: policy by default (RFC 8301), a setting allows it. */
    o.alg = AU_DKIM_RSA_SHA1;
    assert_int_equal(roundtrip(rsa2048, &o, MSG, NULL, NULL, NOW, reason, sizeof reason),
                     AU_RESULT_POLICY);
    assert_non_null(strstr(reason, "rsa-sha1"));
    au_dkim_config_default(&cfg);
    cfg.allow_rsa_sha1 = true;
    assert_int_equal(roundtrip(rsa2048, &o, MSG, NULL, &cfg, NOW, NULL, 0), AU_RESULT_PASS);
    assert_int_equal(roundtrip(rsa2048, &o, MSG, edit_body, &cfg, NOW, NULL, 0), AU_RESULT_NEUTRAL);
}

/* Verifies text against the given records. */
static struct au_dkim_verify *verify_with(const char *text, size_t len, struct fx_dns *dns,
                                          const struct au_dkim_config *cfg)
{
    struct au_dkim_verify *v = au_dkim_verify_new(cfg, NOW);
    assert_int_equal(fx_run(v, text, len, 0, dns), 0);
    assert_true(au_dkim_verify_done(v));
    return v;
}

static char *signed_msg(EVP_PKEY *key, const char *sel, const char *msg)
{
    struct au_dkim_sign_opts o;
    au_dkim_sign_opts_init(&o);
    o.domain = "example.com";
    o.selector = sel;
    o.now = NOW;
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    char err[200];
    assert_int_equal(au_dkim_sign(msg, strlen(msg), key, &o, &b, err, sizeof err), 0);
    au_buf_puts(&b, msg);
    return au_buf_detach(&b);
}

static void test_key_problems(void **state)
{
    char *m = signed_msg(rsa2048, "s1", MSG);
    struct au_buf rec;
    record_of(rsa2048, &rec);
    static const struct {
        enum fx_kind kind;
        const char *value; /* NULL: the right record */
        enum au_result want;
        const char *reason;
    } t[] = {
        {FX_TXT, NULL, AU_RESULT_PASS, ""},
        {FX_NXDOMAIN, "", AU_RESULT_PERMERROR, "no key at s1._domainkey.example.com"},
        {FX_TIMEOUT, "", AU_RESULT_TEMPERROR,
         "key lookup at s1._domainkey.example.com failed (timeout)"},
        {FX_SERVFAIL, "", AU_RESULT_TEMPERROR, "(SERVFAIL)"},
        {FX_TXT, "v=DKIM1; k=rsa; p=", AU_RESULT_PERMERROR, "key revoked"},
        {FX_TXT, "v=DKIM1; k=rsa; p=!!!!", AU_RESULT_PERMERROR, "not base64"},
        {FX_TXT, "v=DKIM1; k=rsa; p=AAAA", AU_RESULT_PERMERROR, "not an RSA public key"},
        {FX_TXT, "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
         AU_RESULT_PERMERROR, "does not match"},
        {FX_TXT, "", AU_RESULT_PERMERROR, "bad key record"},
        {FX_TXT, "v=spf1 -all", AU_RESULT_PERMERROR, "bad key record"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct fx_dns dns = {0};
        fx_dns_add(&dns, "s1._domainkey.example.com", t[i].kind,
                   t[i].value ? t[i].value : rec.data);
        struct au_dkim_verify *v = verify_with(m, strlen(m), &dns, NULL);
        const struct au_dkim_sig_result *r = au_dkim_verify_result(v, 0);
        if (r->result != t[i].want || strstr(r->reason, t[i].reason) == NULL)
            fail_msg("case %zu: %s %s", i, au_result_name(r->result), r->reason);
        au_dkim_verify_free(v);
        fx_dns_free(&dns);
    }
    /* Key flags: s= not email; t=s with a subdomain identity; h= without sha256. */
    const char *p = strstr(rec.data, "p=");
    char flagged[4096];
    static const struct {
        const char *prefix;
        const char *reason;
    } f[] = {{"v=DKIM1; s=tlsrpt; ", "not for email"},
             {"v=DKIM1; h=sha1; ", "does not allow sha256"}};
    for (size_t i = 0; i < 2; i++) {
        snprintf(flagged, sizeof flagged, "%s%s", f[i].prefix, p);
        struct fx_dns dns = {0};
        fx_dns_add(&dns, "s1._domainkey.example.com", FX_TXT, flagged);
        struct au_dkim_verify *v = verify_with(m, strlen(m), &dns, NULL);
        assert_int_equal(au_dkim_verify_result(v, 0)->result, AU_RESULT_PERMERROR);
        assert_non_null(strstr(au_dkim_verify_result(v, 0)->reason, f[i].reason));
        au_dkim_verify_free(v);
        fx_dns_free(&dns);
    }
    /* Several records at the name: the first that is a key record is used. */
    {
        struct fx_dns two = {0};
        fx_dns_add(&two, "s1._domainkey.example.com", FX_TXT, "v=spf1 -all");
        fx_dns_add(&two, "s1._domainkey.example.com", FX_TXT, rec.data);
        struct au_dkim_verify *v2 = verify_with(m, strlen(m), &two, NULL);
        assert_int_equal(au_dkim_verify_result(v2, 0)->result, AU_RESULT_PASS);
        au_dkim_verify_free(v2);
        fx_dns_free(&two);
    }
    /* t=y: passes, reported as test mode. */
    snprintf(flagged, sizeof flagged, "v=DKIM1; t=y; %s", p);
    struct fx_dns dns = {0};
    fx_dns_add(&dns, "s1._domainkey.example.com", FX_TXT, flagged);
    struct au_dkim_verify *v = verify_with(m, strlen(m), &dns, NULL);
    assert_int_equal(au_dkim_verify_result(v, 0)->result, AU_RESULT_PASS);
    assert_true(au_dkim_verify_result(v, 0)->testing);
    assert_int_equal(au_dkim_verify_result(v, 0)->key_bits, 2048);
    au_dkim_verify_free(v);
    fx_dns_free(&dns);
    au_buf_free(&rec);
    free(m);
}

static void test_multiple_signatures_and_limits(void **state)
{
    /* ed25519 on top of rsa; the same key name twice is looked up once. */
    char *m1 = signed_msg(rsa2048, "s1", MSG);
    char *m2 = signed_msg(ed, "s2", m1);
    char *m3 = signed_msg(rsa2048, "s1", m2);
    struct au_buf r1, r2;
    record_of(rsa2048, &r1);
    record_of(ed, &r2);
    struct fx_dns dns = {0};
    fx_dns_add(&dns, "s1._domainkey.example.com", FX_TXT, r1.data);
    fx_dns_add(&dns, "s2._domainkey.example.com", FX_TXT, r2.data);
    struct au_dkim_verify *v = verify_with(m3, strlen(m3), &dns, NULL);
    assert_int_equal(au_dkim_verify_count(v), 3);
    assert_int_equal(dns.queries, 2);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(au_dkim_verify_result(v, i)->result, AU_RESULT_PASS);
    assert_string_equal(au_dkim_verify_result(v, 1)->algorithm, "ed25519-sha256");
    assert_string_equal(au_dkim_verify_result(v, 1)->selector, "s2");
    /* Reuse the verifier for the next message: same answers. */
    au_dkim_verify_reset(v, NOW);
    dns.queries = 0;
    fx_run(v, m1, strlen(m1), 3, &dns);
    assert_int_equal(au_dkim_verify_count(v), 1);
    assert_int_equal(au_dkim_verify_result(v, 0)->result, AU_RESULT_PASS);
    au_dkim_verify_free(v);

    /* 10 000 signatures: the first 10 are evaluated, the rest only counted. */
    const char *sig_field = strstr(m1, "DKIM-Signature:");
    size_t flen = (size_t)(strstr(m1, "Received:") - sig_field);
    /* Fed to the verifier directly: 10 000 fields is past the splitter's
     * own field limit, and the verifier must not depend on it. */
    v = au_dkim_verify_new(NULL, NOW);
    for (int i = 0; i < 10000; i++) {
        /* Ten good ones on top, then short broken ones. */
        struct au_slice raw = i < AU_DKIM_MAX_SIGNATURES
                                  ? au_slice_make(sig_field, flen)
                                  : au_slice_cstr("DKIM-Signature: v=1; x\r\n");
        au_dkim_verify_field(v, au_slice_make(raw.ptr, 14), raw);
    }
    dns.queries = 0;
    assert_int_equal(fx_run(v, MSG, strlen(MSG), 0, &dns), 0);
    assert_true(au_dkim_verify_done(v));
    assert_int_equal(au_dkim_verify_count(v), AU_DKIM_MAX_SIGNATURES);
    assert_int_equal(au_dkim_verify_ignored(v), 10000 - AU_DKIM_MAX_SIGNATURES);
    assert_int_equal(dns.queries, 1);
    for (size_t i = 0; i < AU_DKIM_MAX_SIGNATURES; i++)
        assert_int_equal(au_dkim_verify_result(v, i)->result, AU_RESULT_PASS);
    au_dkim_verify_free(v);
    struct au_buf big;

    /* A 1 MB header field signed and verified. */
    au_buf_init(&big, AU_BUF_NOLIMIT);
    au_buf_puts(&big, "X-Big: ");
    while (big.len < (1 << 20) - 2000) {
        au_buf_puts(&big, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        au_buf_puts(&big, "\r\n ");
    }
    au_buf_puts(&big, "end\r\n");
    au_buf_puts(&big, MSG);
    struct au_dkim_sign_opts o;
    au_dkim_sign_opts_init(&o);
    o.domain = "example.com";
    o.selector = "s1";
    o.headers = "from:x-big";
    o.now = NOW;
    struct au_buf sm;
    au_buf_init(&sm, AU_BUF_NOLIMIT);
    char err[200];
    assert_int_equal(au_dkim_sign(big.data, big.len, rsa2048, &o, &sm, err, sizeof err), 0);
    au_buf_append(&sm, big.data, big.len);
    v = verify_with(sm.data, sm.len, &dns, NULL);
    assert_int_equal(au_dkim_verify_result(v, 0)->result, AU_RESULT_PASS);
    au_dkim_verify_free(v);
    au_buf_free(&sm);
    au_buf_free(&big);

    fx_dns_free(&dns);
    au_buf_free(&r1);
    au_buf_free(&r2);
    free(m1);
    free(m2);
    free(m3);
}

static void test_hostile_signatures(void **state)
{
    struct au_buf rec;
    record_of(rsa2048, &rec);
    struct fx_dns dns = {0};
    fx_dns_add(&dns, "s1._domainkey.example.com", FX_TXT, rec.data);
    static const struct {
        const char *field;
        enum au_result want;
        const char *reason;
    } t[] = {
        /* l= beyond the body: the body cannot match what was signed. */
        {"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; h=from; l=999999; bh=" BH32
         "; b=AAAA\r\n",
         AU_RESULT_NEUTRAL, "l=999999 is beyond the body"},
        {"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; h=from; bh=" BH32
         "; b=!!garbage!!\r\n",
         AU_RESULT_PERMERROR, "b= is not base64"},
        {"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; h=to; bh=" BH32 "; b=AAAA\r\n",
         AU_RESULT_PERMERROR, "From not signed"},
        {"DKIM-Signature: garbage\r\n", AU_RESULT_PERMERROR, "tag without '='"},
        {"DKIM-Signature:\r\n", AU_RESULT_PERMERROR, "empty tag"},
        {"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; h=from; bh=" BH32 "; b=AAAA\r\n",
         AU_RESULT_NEUTRAL, "body hash mismatch"},
        {"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=nokey; h=from; bh=" BH32
         "; b=AAAA\r\n",
         AU_RESULT_PERMERROR, "no key at nokey._domainkey.example.com"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct au_buf m;
        au_buf_init(&m, AU_BUF_NOLIMIT);
        au_buf_puts(&m, t[i].field);
        au_buf_puts(&m, MSG);
        struct au_dkim_verify *v = verify_with(m.data, m.len, &dns, NULL);
        assert_int_equal(au_dkim_verify_count(v), 1);
        const struct au_dkim_sig_result *r = au_dkim_verify_result(v, 0);
        if (r->result != t[i].want || strstr(r->reason, t[i].reason) == NULL)
            fail_msg("case %zu: %s '%s'", i, au_result_name(r->result), r->reason);
        au_dkim_verify_free(v);
        au_buf_free(&m);
    }
    fx_dns_free(&dns);
    au_buf_free(&rec);
}

/* An RSA public key of bits bits (n odd, top bit set; not a real product
 * of primes: only the verifier's handling of the size is tested). */
static char *huge_rsa_record(int bits)
{
    BIGNUM *n = BN_new(), *e = BN_new();
    BN_rand(n, bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD);
    BN_set_word(e, 65537);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pk = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
    struct au_buf rec;
    record_of(pk, &rec);
    EVP_PKEY_free(pk);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return au_buf_detach(&rec);
}

static void test_huge_keys(void **state)
{
    char *m = signed_msg(rsa2048, "s1", MSG);
    static const struct {
        int bits;
        const char *reason;
    } t[] = {{16384, "signature does not verify"}, {16392, "key too long (16392 bits"}};
    for (size_t i = 0; i < 2; i++) {
        char *rec = huge_rsa_record(t[i].bits);
        struct fx_dns dns = {0};
        fx_dns_add(&dns, "s1._domainkey.example.com", FX_TXT, rec);
        struct au_dkim_verify *v = verify_with(m, strlen(m), &dns, NULL);
        const struct au_dkim_sig_result *r = au_dkim_verify_result(v, 0);
        assert_true(r->result == AU_RESULT_FAIL || r->result == AU_RESULT_PERMERROR);
        if (strstr(r->reason, t[i].reason) == NULL)
            fail_msg("%d bits: %s", t[i].bits, r->reason);
        au_dkim_verify_free(v);
        fx_dns_free(&dns);
        free(rec);
    }
    free(m);
}

static void test_step_contract(void **state)
{
    /* Keys asked at end of headers, answered while the body streams;
     * results final only after end_body. */
    char *m = signed_msg(ed, "s2", MSG);
    struct au_buf rec;
    record_of(ed, &rec);
    struct fx_dns dns = {0};
    fx_dns_add(&dns, "s2._domainkey.example.com", FX_TXT, rec.data);
    struct au_dkim_verify *v = au_dkim_verify_new(NULL, NOW);
    struct au_msg_sink sink = {fx_sink_field, fx_sink_end_headers, fx_sink_body, NULL, v};
    struct au_msg *msg = au_msg_new(&sink);
    const char *body = strstr(m, "\r\n\r\n") + 4;
    assert_int_equal(au_msg_feed(msg, m, (size_t)(body - m)), 0);
    struct au_dns_batch batch = {0};
    assert_int_equal(au_dkim_verify_step(v, &batch), AU_STEP_NEED_DNS);
    assert_int_equal(batch.n, 1);
    assert_string_equal(batch.q[0].name, "s2._domainkey.example.com");
    assert_int_equal(batch.q[0].type, AU_DNS_TXT);
    batch.a[0] = fx_dns_lookup(&dns, &batch.q[0]);
    assert_int_equal(au_dkim_verify_step(v, &batch), AU_STEP_DONE);
    assert_int_equal(batch.n, 0);
    assert_false(au_dkim_verify_done(v));
    assert_null(au_dkim_verify_result(v, 0));
    assert_int_equal(au_msg_feed(msg, body, strlen(body)), 0);
    au_dkim_verify_end_body(v);
    assert_true(au_dkim_verify_done(v));
    assert_int_equal(au_dkim_verify_step(v, &batch), AU_STEP_DONE);
    assert_int_equal(au_dkim_verify_result(v, 0)->result, AU_RESULT_PASS);
    au_msg_free(msg);
    au_dkim_verify_free(v);
    /* Freed with answers never taken: the driver clears its batch. */
    v = au_dkim_verify_new(NULL, NOW);
    fx_run(v, "", 0, 0, &dns); /* no signature: done, nothing asked */
    assert_true(au_dkim_verify_done(v));
    assert_int_equal(au_dkim_verify_count(v), 0);
    au_dkim_verify_free(v);
    au_dkim_verify_free(NULL);
    fx_dns_free(&dns);
    au_buf_free(&rec);
    free(m);
}

static void test_many_keys_and_overflow(void **state)
{
    /* 20 signatures from 20 selectors: more keys than one batch holds
     * (AU_DNS_BATCH_MAX), so the step asks twice. */
    struct au_buf rec;
    record_of(ed, &rec);
    struct fx_dns dns = {0};
    char *m = au_xstrdup(MSG);
    for (int i = 0; i < 20; i++) {
        char sel[16], name[64];
        snprintf(sel, sizeof sel, "k%d", i);
        snprintf(name, sizeof name, "k%d._domainkey.example.com", i);
        fx_dns_add(&dns, name, FX_TXT, rec.data);
        char *next = signed_msg(ed, sel, m);
        free(m);
        m = next;
    }
    struct au_dkim_config cfg;
    au_dkim_config_default(&cfg);
    cfg.max_signatures = 20;
    struct au_dkim_verify *v = au_dkim_verify_new(&cfg, NOW);
    struct au_msg_sink sink;
    au_dkim_verify_sink(v, &sink);
    struct au_msg *msg = au_msg_new(&sink);
    assert_int_equal(au_msg_feed(msg, m, strlen(m)), 0);
    assert_int_equal(au_msg_finish(msg), 0);
    au_msg_free(msg);
    struct au_dns_batch batch = {0};
    int steps = 0;
    while (au_dkim_verify_step(v, &batch) == AU_STEP_NEED_DNS) {
        assert_true(batch.n > 0 && batch.n <= AU_DNS_BATCH_MAX);
        for (size_t i = 0; i < batch.n; i++)
            batch.a[i] = fx_dns_lookup(&dns, &batch.q[i]);
        steps++;
    }
    assert_int_equal(steps, 2);
    assert_int_equal(dns.queries, 20);
    assert_int_equal(au_dkim_verify_count(v), 20);
    for (size_t i = 0; i < 20; i++)
        assert_int_equal(au_dkim_verify_result(v, i)->result, AU_RESULT_PASS);
    au_dkim_verify_free(v);

    /* Header fields past AU_DKIM_HEADERS_MAX (fed directly, past the
     * splitter's own limit): the signature cannot be checked. */
    v = au_dkim_verify_new(NULL, NOW);
    const char *sig = strstr(m, "DKIM-Signature:");
    size_t flen = (size_t)(strstr(sig + 1, "DKIM-Signature:") - sig);
    au_dkim_verify_field(v, au_slice_make(sig, 14), au_slice_make(sig, flen));
    struct au_buf big;
    au_buf_init(&big, AU_BUF_NOLIMIT);
    au_buf_puts(&big, "X-Filler: ");
    while (big.len < 64 * 1024)
        au_buf_puts(&big, "0123456789abcdef");
    au_buf_puts(&big, "\r\n");
    for (int i = 0; i < 40; i++)
        au_dkim_verify_field(v, au_slice_make(big.data, 8), au_buf_slice(&big));
    assert_int_equal(fx_run(v, MSG, strlen(MSG), 0, &dns), 0);
    assert_true(au_dkim_verify_done(v));
    assert_int_equal(au_dkim_verify_result(v, 0)->result, AU_RESULT_PERMERROR);
    assert_non_null(strstr(au_dkim_verify_result(v, 0)->reason, "header block larger than"));
    au_dkim_verify_free(v);
    au_buf_free(&big);
    fx_dns_free(&dns);
    au_buf_free(&rec);
    free(m);
}

/* ------------------------------------------------------- A-R clause */

static void test_ar_clause(void **state)
{
    /* REFERENCE.md 5.3, literal examples. */
    static const struct {
        enum au_result r;
        bool testing;
        const char *d, *s, *b, *reason, *want;
    } t[] = {
        {AU_RESULT_PASS, false, "messagingengine.com", "fm2", "brPSfUHtXYZ", "",
         "dkim=pass header.i=@messagingengine.com header.s=fm2 header.b=brPSfUHt"},
        {AU_RESULT_PASS, true, "armlinux.org.uk", "pandora-2019", "an6X8ydO+rest", "",
         "dkim=pass (test mode) header.i=@armlinux.org.uk header.s=pandora-2019 header.b=an6X8ydO"},
        {AU_RESULT_FAIL, false, "gmail.com", "20251104", "SidoWJ6fmore",
         "signature does not verify",
         "dkim=fail header.i=@gmail.com header.s=20251104 header.b=SidoWJ6f"},
        {AU_RESULT_PERMERROR, false, "slint.fr", "default", "ShHl5lJ/abc",
         "no key at default._domainkey.slint.fr",
         "dkim=permerror (no key for signature) header.i=@slint.fr header.s=default "
         "header.b=\"ShHl5lJ/\""},
        {AU_RESULT_NEUTRAL, false, "example.com", "s1", "p+ejBgzwzz", "body hash mismatch",
         "dkim=neutral (body hash did not verify) header.i=@example.com header.s=s1 "
         "header.b=p+ejBgzw"},
        {AU_RESULT_TEMPERROR, false, "example.com", "s1", "abcdefgh", "key lookup failed",
         "dkim=temperror (no key for signature) header.i=@example.com header.s=s1 "
         "header.b=abcdefgh"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct au_dkim_sig_result r = {
            .result = t[i].r,
            .domain = t[i].d,
            .selector = t[i].s,
            .algorithm = "rsa-sha256",
            .identity = "",
            .b = t[i].b,
            .headers = "from",
            .reason = t[i].reason,
            .testing = t[i].testing,
        };
        struct au_buf out;
        au_buf_init(&out, AU_BUF_NOLIMIT);
        assert_int_equal(au_dkim_ar_clause(&r, &out), 0);
        assert_string_equal(out.data, t[i].want);
        au_buf_free(&out);
    }
}

static void test_keygen_record(void **state)
{
    struct au_buf rec, zone;
    record_of(rsa2048, &rec);
    assert_true(strncmp(rec.data, "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
                        60) == 0);
    au_buf_init(&zone, AU_BUF_NOLIMIT);
    assert_int_equal(au_dkim_sign_zone_line("s1", "example.com", au_buf_slice(&rec), &zone), 0);
    assert_true(strncmp(zone.data,
                        "s1._domainkey.example.com. 3600 IN TXT ( \"v=DKIM1; k=rsa; p=", 59) == 0);
    /* Strings of at most 255 bytes: the 2048-bit record needs two. */
    size_t strings = 0;
    for (const char *p = zone.data; (p = strchr(p, '"')) != NULL; p++, strings++)
        ;
    assert_int_equal(strings, 4);
    au_buf_free(&rec);
    au_buf_free(&zone);
    record_of(ed, &rec);
    assert_true(strncmp(rec.data, "v=DKIM1; k=ed25519; p=", 22) == 0);
    assert_int_equal(strlen(rec.data), 22 + 44);
    au_buf_free(&rec);
    /* Loading: PEM round trip, a raw seed, and garbage. */
    au_buf_init(&rec, AU_BUF_NOLIMIT);
    assert_int_equal(au_dkim_sign_pem(ed, &rec), 0);
    char err[100];
    EVP_PKEY *k = au_dkim_sign_load_key(rec.data, rec.len, err, sizeof err);
    assert_non_null(k);
    assert_int_equal(EVP_PKEY_eq(k, ed), 1);
    EVP_PKEY_free(k);
    const char *seed = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="; /* RFC 8463 A.1 */
    k = au_dkim_sign_load_key(seed, strlen(seed), err, sizeof err);
    assert_non_null(k);
    struct au_buf r2;
    record_of(k, &r2);
    assert_string_equal(r2.data,
                        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    au_buf_free(&r2);
    EVP_PKEY_free(k);
    assert_null(au_dkim_sign_load_key("garbage", 7, err, sizeof err));
    assert_null(au_dkim_sign_keygen(AU_DKIM_KEY_RSA, 100));
    au_buf_free(&rec);
    /* Signing refuses a message without From. */
    struct au_dkim_sign_opts o;
    au_dkim_sign_opts_init(&o);
    o.domain = "example.com";
    o.selector = "s1";
    struct au_buf out;
    au_buf_init(&out, AU_BUF_NOLIMIT);
    assert_int_equal(au_dkim_sign("To: x\r\n\r\nbody\r\n", 16, ed, &o, &out, err, sizeof err), -1);
    assert_non_null(strstr(err, "no From"));
    o.headers = "to:subject";
    assert_int_equal(au_dkim_sign(MSG, strlen(MSG), ed, &o, &out, err, sizeof err), -1);
    o.headers = NULL;
    o.domain = "bad domain";
    assert_int_equal(au_dkim_sign(MSG, strlen(MSG), ed, &o, &out, err, sizeof err), -1);
    o.domain = "example.com";
    o.alg = AU_DKIM_RSA_SHA256;
    assert_int_equal(au_dkim_sign(MSG, strlen(MSG), ed, &o, &out, err, sizeof err), -1);
    /* Folded at 78 columns. */
    o.alg = AU_DKIM_ALG_NONE;
    assert_int_equal(au_dkim_sign(MSG, strlen(MSG), rsa2048, &o, &out, err, sizeof err), 0);
    const char *line = out.data;
    while (*line) {
        const char *e = strstr(line, "\r\n");
        assert_non_null(e);
        assert_true(e - line <= AU_DKIM_SIGN_WIDTH + 8);
        line = e + 2;
    }
    au_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tag_list),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_sig_tags),
        cmocka_unit_test(test_key_tags),
        cmocka_unit_test(test_canon_rfc_example),
        cmocka_unit_test(test_canon_body_cases),
        cmocka_unit_test(test_canon_header_cases),
        cmocka_unit_test(test_signed_header_selection),
        cmocka_unit_test(test_roundtrip_and_tamper),
        cmocka_unit_test(test_profile_settings),
        cmocka_unit_test(test_key_problems),
        cmocka_unit_test(test_multiple_signatures_and_limits),
        cmocka_unit_test(test_hostile_signatures),
        cmocka_unit_test(test_huge_keys),
        cmocka_unit_test(test_step_contract),
        cmocka_unit_test(test_many_keys_and_overflow),
        cmocka_unit_test(test_ar_clause),
        cmocka_unit_test(test_keygen_record),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
