/*
 * test_proxy - the PROXY protocol v1/v2 parser against a table of valid and
 * hostile headers.
 *
 * Expected values come from HAProxy's proxy-protocol.txt (the examples and
 * the worst-case line lengths of section 2.1) and from headers captured off
 * the wire from HAProxy 2.6 itself (send-proxy, send-proxy-v2 with
 * proxy-v2-options crc32c,unique-id, and a check-send-proxy health check),
 * so the CRC32C values are HAProxy's, not ours.
 *
 * Every case is also fed in every prefix, each copied into a buffer of exactly
 * that size (ASan turns any read past len into a failure): a valid header must
 * answer "need more" to every strict prefix, and a bad one must never turn
 * from error back to "need more".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

#define OK_REST 0 /* header length = whole input minus trailing bytes */

struct pcase {
    const char *name;
    const char *text; /* v1 input (text), or NULL */
    const char *hex;  /* v2 input as hex (spaces ignored), or NULL */
    int want;         /* > 0 header length, PROXY_NEED_MORE or PROXY_ERROR */
    int error_at;     /* for errors: the byte count at which the error is decided (0: unchecked) */
    int version;
    enum proxy_command cmd;
    enum proxy_family fam;
    bool has_addr;
    const char *src;
    unsigned sport;
    const char *dst;
    unsigned dport;
    unsigned tlvs;
    bool crc;
};

#define SIG "0d0a0d0a000d0a515549540a "

static const struct pcase cases[] = {
    /* ---- valid version 1 ---- */
    {"haproxy v1 TCP4", "PROXY TCP4 127.0.0.1 127.0.0.1 33080 22001\r\nEHLO x\r\n", NULL, 44, 0, 1,
     PROXY_CMD_PROXY, PROXY_FAM_INET, true, "127.0.0.1", 33080, "127.0.0.1", 22001, 0, false},
    {"haproxy v1 TCP6", "PROXY TCP6 ::1 ::1 39296 22011\r\nEHLO x\r\n", NULL, 32, 0, 1,
     PROXY_CMD_PROXY, PROXY_FAM_INET6, true, "::1", 39296, "::1", 22011, 0, false},
    {"spec example", "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n", NULL,
     47, 0, 1, PROXY_CMD_PROXY, PROXY_FAM_INET, true, "192.168.0.1", 56324, "192.168.0.11", 443, 0,
     false},
    {"v1 TCP4 longest (56)", "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n", NULL, 56,
     0, 1, PROXY_CMD_PROXY, PROXY_FAM_INET, true, "255.255.255.255", 65535, "255.255.255.255",
     65535, 0, false},
    {"v1 TCP4 zeros", "PROXY TCP4 0.0.0.0 10.0.0.1 0 25\r\n", NULL, 34, 0, 1, PROXY_CMD_PROXY,
     PROXY_FAM_INET, true, "0.0.0.0", 0, "10.0.0.1", 25, 0, false},
    {"v1 TCP6 longest (104)",
     "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
     "65535 65535\r\n",
     NULL, 104, 0, 1, PROXY_CMD_PROXY, PROXY_FAM_INET6, true,
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
     65535, 0, false},
    {"v1 TCP6 upper case hex", "PROXY TCP6 2001:DB8::1 2001:db8::2 1025 587\r\n", NULL, 45, 0, 1,
     PROXY_CMD_PROXY, PROXY_FAM_INET6, true, "2001:db8::1", 1025, "2001:db8::2", 587, 0, false},
    {"v1 UNKNOWN short", "PROXY UNKNOWN\r\nEHLO", NULL, 15, 0, 1, PROXY_CMD_PROXY, PROXY_FAM_UNSPEC,
     false, NULL, 0, NULL, 0, 0, false},
    {"v1 UNKNOWN worst case (107)",
     "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
     "65535 65535\r\n",
     NULL, 107, 0, 1, PROXY_CMD_PROXY, PROXY_FAM_UNSPEC, false, NULL, 0, NULL, 0, 0, false},
    {"v1 UNKNOWN with garbage ignored", "PROXY UNKNOWN whatever \x01\xff here\r\n", NULL, 32, 0, 1,
     PROXY_CMD_PROXY, PROXY_FAM_UNSPEC, false, NULL, 0, NULL, 0, 0, false},

    /* ---- valid version 2 (captured from HAProxy 2.6) ---- */
    {"haproxy v2 TCP4", NULL, SIG "21 11 000c 7f000001 7f000001 9d34 55f2 45484c4f", 28, 0, 2,
     PROXY_CMD_PROXY, PROXY_FAM_INET, true, "127.0.0.1", 40244, "127.0.0.1", 22002, 0, false},
    {"haproxy v2 TCP6", NULL,
     SIG "21 21 0024 00000000000000000000000000000001 00000000000000000000000000000001 add4 55fc "
         "45484c4f",
     52, 0, 2, PROXY_CMD_PROXY, PROXY_FAM_INET6, true, "::1", 44500, "::1", 22012, 0, false},
    {"haproxy v2 TCP4 crc32c+unique-id", NULL,
     SIG "21 11 001c 7f000001 7f000001 81be 55f3 03 0004 2f0d5b0d 05 0006 616263313233 45484c4f",
     44, 0, 2, PROXY_CMD_PROXY, PROXY_FAM_INET, true, "127.0.0.1", 33214, "127.0.0.1", 22003, 2,
     true},
    {"haproxy v2 TCP6 crc32c+unique-id", NULL,
     SIG "21 21 0034 00000000000000000000000000000001 00000000000000000000000000000001 ba0e 55fd "
         "03 0004 b0ec3b4b 05 0006 616263313233 45484c4f",
     68, 0, 2, PROXY_CMD_PROXY, PROXY_FAM_INET6, true, "::1", 47630, "::1", 22013, 2, true},
    {"haproxy v2 LOCAL health check", NULL, SIG "20 00 0007 03 0004 a9b87e8f", 23, 0, 2,
     PROXY_CMD_LOCAL, PROXY_FAM_UNSPEC, false, NULL, 0, NULL, 0, 1, true},

    /* ---- valid version 2 (hand-built per section 2.2) ---- */
    {"v2 LOCAL with an address: ignored", NULL, SIG "20 11 000c c0000201 c0000202 1234 0019", 28, 0,
     2, PROXY_CMD_LOCAL, PROXY_FAM_UNSPEC, false, NULL, 0, NULL, 0, 0, false},
    {"v2 LOCAL with an unknown family: ignored", NULL, SIG "20 ff 0000", 16, 0, 2, PROXY_CMD_LOCAL,
     PROXY_FAM_UNSPEC, false, NULL, 0, NULL, 0, 0, false},
    {"v2 PROXY AF_UNSPEC", NULL, SIG "21 00 0000", 16, 0, 2, PROXY_CMD_PROXY, PROXY_FAM_UNSPEC,
     false, NULL, 0, NULL, 0, 0, false},
    {"v2 UDP over IPv4", NULL, SIG "21 12 000c c6336407 cb007101 0035 0400", 28, 0, 2,
     PROXY_CMD_PROXY, PROXY_FAM_INET, true, "198.51.100.7", 53, "203.0.113.1", 1024, 0, false},
    {"v2 TCP4 with NOOP and empty TLV", NULL,
     SIG "21 11 0013 c0000201 c0000202 c350 0019 04 0001 00 e0 0000", 35, 0, 2, PROXY_CMD_PROXY,
     PROXY_FAM_INET, true, "192.0.2.1", 50000, "192.0.2.2", 25, 2, false},
    {"v2 TCP4 with SSL TLV (sub-TLVs skipped)", NULL,
     SIG "21 11 0019 c0000201 c0000202 c350 0019 20 000a 01 00000000 21 0002 3133", 41, 0, 2,
     PROXY_CMD_PROXY, PROXY_FAM_INET, true, "192.0.2.1", 50000, "192.0.2.2", 25, 1, false},

    /* ---- not a PROXY header at all ---- */
    {.name = "EHLO instead of a header",
     .text = "EHLO mail.example.com\r\n",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 1},
    {.name = "HTTP request",
     .text = "GET / HTTP/1.1\r\n",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 1},
    {.name = "NUL byte", .text = NULL, .hex = "00", .want = PROXY_ERROR, .error_at = 1},
    {.name = "TLS ClientHello", .text = NULL, .hex = "160301", .want = PROXY_ERROR, .error_at = 1},

    /* ---- need more ---- */
    {.name = "empty", .text = "", .hex = NULL, .want = PROXY_NEED_MORE},
    {.name = "v1 prefix", .text = "PROX", .hex = NULL, .want = PROXY_NEED_MORE},
    {.name = "v1 cut in an address",
     .text = "PROXY TCP4 192.168.",
     .hex = NULL,
     .want = PROXY_NEED_MORE},
    {.name = "v1 cut after CR",
     .text = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r",
     .hex = NULL,
     .want = PROXY_NEED_MORE},
    {.name = "v2 signature prefix", .text = NULL, .hex = "0d0a0d0a00", .want = PROXY_NEED_MORE},
    {.name = "v2 cut in the addresses",
     .text = NULL,
     .hex = SIG "21 11 000c 7f000001 7f",
     .want = PROXY_NEED_MORE},

    /* ---- malformed version 1 ---- */
    {.name = "v1 bad signature",
     .text = "PROXZ TCP4",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 5},
    {.name = "v1 lower case",
     .text = "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 1},
    {.name = "v1 no space", .text = "PROXYTCP4", .hex = NULL, .want = PROXY_ERROR, .error_at = 6},
    {.name = "v1 two spaces",
     .text = "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 7},
    {.name = "v1 TCP5",
     .text = "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 10},
    {.name = "v1 tcp4 lower case",
     .text = "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 7},
    {.name = "v1 UDP4",
     .text = "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 8},
    {.name = "v1 protocol word then CRLF",
     .text = "PROXY TCP4\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 IPv6 in TCP4",
     .text = "PROXY TCP4 2001:db8::1 2001:db8::2 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 IPv4 in TCP6",
     .text = "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 IPv4 leading zero",
     .text = "PROXY TCP4 192.168.000.1 5.6.7.8 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 IPv4 octal-looking",
     .text = "PROXY TCP4 010.1.1.1 5.6.7.8 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 IPv4 octet 256",
     .text = "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 IPv4 three parts",
     .text = "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 IPv4 five parts",
     .text = "PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 IPv4 empty part",
     .text = "PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 IPv4 too long",
     .text = "PROXY TCP4 1111.2222.3333.4444 5.6.7.8 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 IPv6 two double colons",
     .text = "PROXY TCP6 1::2::3 ::1 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 IPv6 zone id",
     .text = "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 19},
    {.name = "v1 port 65536",
     .text = "PROXY TCP4 1.2.3.4 5.6.7.8 65536 25\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 port 99999",
     .text = "PROXY TCP4 1.2.3.4 5.6.7.8 25 99999\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 port six digits",
     .text = "PROXY TCP4 1.2.3.4 5.6.7.8 100000 25\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 port leading zero",
     .text = "PROXY TCP4 1.2.3.4 5.6.7.8 025 25\r\n",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 29},
    {.name = "v1 port sign",
     .text = "PROXY TCP4 1.2.3.4 5.6.7.8 +25 25\r\n",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 28},
    {.name = "v1 port negative",
     .text = "PROXY TCP4 1.2.3.4 5.6.7.8 -1 25\r\n",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 28},
    {.name = "v1 missing destination port",
     .text = "PROXY TCP4 1.2.3.4 5.6.7.8 25\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 extra field",
     .text = "PROXY TCP4 1.2.3.4 5.6.7.8 25 25 25\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 space before CRLF",
     .text = "PROXY TCP4 1.2.3.4 5.6.7.8 25 25 \r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 tab separator",
     .text = "PROXY TCP4\t1.2.3.4 5.6.7.8 25 25\r\n",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 11},
    {.name = "v1 LF only",
     .text = "PROXY TCP4 1.2.3.4 5.6.7.8 25 25\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 CR without LF",
     .text = "PROXY TCP4 1.2.3.4 5.6.7.8 25 25\rX",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 UNKNOWN LF only",
     .text = "PROXY UNKNOWN\n",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 14},
    {.name = "v1 UNKNOWN CR without LF",
     .text = "PROXY UNKNOWN junk\r\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},
    {.name = "v1 UNKNOWNX",
     .text = "PROXY UNKNOWNX\r\n",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 14},
    {.name = "v1 NUL in line",
     .text = "PROXY TCP4 1.2.3.4\0 5.6.7.8 25 25\r\n",
     .hex = NULL,
     .want = PROXY_ERROR},

    /* ---- malformed version 2 ---- */
    {.name = "v2 bad signature byte 5",
     .text = NULL,
     .hex = "0d0a0d0a010d0a515549540a 21 11 000c",
     .want = PROXY_ERROR,
     .error_at = 5},
    {.name = "v2 CRLF then SMTP",
     .text = "\r\nEHLO x\r\n",
     .hex = NULL,
     .want = PROXY_ERROR,
     .error_at = 3},
    {.name = "v2 version 1",
     .text = NULL,
     .hex = SIG "11 11 000c c0000201 c0000202 1234 0019",
     .want = PROXY_ERROR,
     .error_at = 13},
    {.name = "v2 version 3",
     .text = NULL,
     .hex = SIG "31 11 000c c0000201 c0000202 1234 0019",
     .want = PROXY_ERROR,
     .error_at = 13},
    {.name = "v2 command 2",
     .text = NULL,
     .hex = SIG "22 11 000c c0000201 c0000202 1234 0019",
     .want = PROXY_ERROR,
     .error_at = 13},
    {.name = "v2 command 15",
     .text = NULL,
     .hex = SIG "2f 11 000c c0000201 c0000202 1234 0019",
     .want = PROXY_ERROR,
     .error_at = 13},
    {.name = "v2 family 4",
     .text = NULL,
     .hex = SIG "21 41 000c c0000201 c0000202 1234 0019",
     .want = PROXY_ERROR,
     .error_at = 14},
    {.name = "v2 transport 3",
     .text = NULL,
     .hex = SIG "21 13 000c c0000201 c0000202 1234 0019",
     .want = PROXY_ERROR,
     .error_at = 14},
    {.name = "v2 length 65535",
     .text = NULL,
     .hex = SIG "21 11 ffff c0000201",
     .want = PROXY_ERROR,
     .error_at = 16},
    {.name = "v2 length beyond the limit",
     .text = NULL,
     .hex = SIG "21 11 07f1",
     .want = PROXY_ERROR,
     .error_at = 16},
    {.name = "v2 length too short for TCP4",
     .text = NULL,
     .hex = SIG "21 11 0008 c0000201 c0000202",
     .want = PROXY_ERROR,
     .error_at = 16},
    {.name = "v2 length too short for TCP6",
     .text = NULL,
     .hex = SIG "21 21 000c c0000201 c0000202 1234 0019",
     .want = PROXY_ERROR,
     .error_at = 16},
    {.name = "v2 length too short for UNIX",
     .text = NULL,
     .hex = SIG "21 31 0024",
     .want = PROXY_ERROR,
     .error_at = 16},
    {.name = "v2 TLV longer than the header",
     .text = NULL,
     .hex = SIG "21 11 0010 c0000201 c0000202 1234 0019 05 0010 41",
     .want = PROXY_ERROR},
    {.name = "v2 TLV header cut",
     .text = NULL,
     .hex = SIG "21 11 000e c0000201 c0000202 1234 0019 05 00",
     .want = PROXY_ERROR},
    {.name = "v2 CRC32C mismatch (port changed)",
     .text = NULL,
     .hex = SIG "21 11 001c 7f000001 7f000001 81bf 55f3 03 0004 2f0d5b0d 05 0006 616263313233",
     .want = PROXY_ERROR},
    {.name = "v2 CRC32C mismatch (LOCAL)",
     .text = NULL,
     .hex = SIG "20 00 0007 03 0004 a9b87e8e",
     .want = PROXY_ERROR},
    {.name = "v2 CRC32C of the wrong length",
     .text = NULL,
     .hex = SIG "21 11 0012 c0000201 c0000202 1234 0019 03 0003 000000",
     .want = PROXY_ERROR},
};

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        int v;
        if (*p >= '0' && *p <= '9')
            v = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            v = *p - 'a' + 10;
        else if (*p == ' ')
            continue;
        else
            fail_msg("bad hex in table: %s", hex);
        if (hi < 0) {
            hi = v;
        } else {
            assert_true(n < cap);
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    assert_int_equal(hi, -1);
    return n;
}

/* The case's input, and its length (text cases may hold NULs, so sizes come
 * from the literal; the table stores pointers, so strlen is used except for
 * the one case with an embedded NUL, handled by its own length). */
static size_t input(const struct pcase *c, uint8_t *buf, size_t cap)
{
    if (c->hex)
        return unhex(c->hex, buf, cap);
    size_t n = strlen(c->text);
    if (strcmp(c->name, "v1 NUL in line") == 0)
        n = sizeof("PROXY TCP4 1.2.3.4\0 5.6.7.8 25 25\r\n") - 1;
    assert_true(n <= cap);
    memcpy(buf, c->text, n);
    return n;
}

/* Parses exactly n bytes from a heap copy of that size, so ASan catches any
 * read past the end. */
static int parse_exact(const uint8_t *p, size_t n, struct proxy_result *r)
{
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, p, n);
    memset(r, 0xA5, sizeof *r);
    r->reason = NULL;
    int got = proxy_parse(copy, n, r);
    free(copy);
    return got;
}

static void check_result(const struct pcase *c, const struct proxy_result *r)
{
    char a[64];
    assert_int_equal(r->version, c->version);
    assert_int_equal(r->command, c->cmd);
    assert_int_equal(r->family, c->fam);
    assert_int_equal(r->has_addr, c->has_addr);
    if (c->has_addr) {
        assert_string_equal(proxy_addr_str(&r->src, a, sizeof a), c->src);
        assert_int_equal(proxy_addr_port(&r->src), c->sport);
        assert_string_equal(proxy_addr_str(&r->dst, a, sizeof a), c->dst);
        assert_int_equal(proxy_addr_port(&r->dst), c->dport);
    }
    assert_int_equal(r->tlv_count, c->tlvs);
    assert_int_equal(r->crc_verified, c->crc);
}

static void test_table(void **state)
{
    uint8_t buf[512];
    size_t ncases = sizeof cases / sizeof cases[0];
    assert_true(ncases >= 30);
    for (size_t i = 0; i < ncases; i++) {
        const struct pcase *c = &cases[i];
        size_t n = input(c, buf, sizeof buf);
        struct proxy_result r;
        int got = parse_exact(buf, n, &r);
        if (got != c->want)
            fail_msg("%s: got %d want %d (%s)", c->name, got, c->want, r.reason ? r.reason : "-");
        if (got == PROXY_ERROR)
            assert_non_null(r.reason);
        if (got > 0)
            check_result(c, &r);
    }
}

/* Every strict prefix of a valid header is "need more"; the error of a bad
 * one is decided at the expected byte and stays an error from there on. */
static void test_prefixes(void **state)
{
    uint8_t buf[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct pcase *c = &cases[i];
        size_t n = input(c, buf, sizeof buf);
        struct proxy_result r;
        if (c->want > 0) {
            for (size_t k = 0; k < (size_t)c->want; k++) {
                int got = parse_exact(buf, k, &r);
                if (got != PROXY_NEED_MORE)
                    fail_msg("%s: prefix %zu gave %d (%s)", c->name, k, got,
                             r.reason ? r.reason : "-");
            }
            /* Trailing SMTP bytes never change the answer. */
            for (size_t k = (size_t)c->want; k <= n; k++)
                assert_int_equal(parse_exact(buf, k, &r), c->want);
        } else if (c->want == PROXY_ERROR) {
            bool seen = false;
            for (size_t k = 0; k <= n; k++) {
                int got = parse_exact(buf, k, &r);
                if (seen && got != PROXY_ERROR)
                    fail_msg("%s: error at a shorter prefix but %d at %zu", c->name, got, k);
                if (got == PROXY_ERROR && !seen) {
                    seen = true;
                    if (c->error_at && k != (size_t)c->error_at)
                        fail_msg("%s: error decided at %zu bytes, expected %d", c->name, k,
                                 c->error_at);
                }
                if (got > 0)
                    fail_msg("%s: prefix %zu accepted", c->name, k);
            }
            assert_true(seen);
        }
    }
}

/* Section 2.1: no CRLF within 107 bytes is an error at byte 107, not before. */
static void test_v1_line_limit(void **state)
{
    uint8_t line[PROXY_V1_MAX_LINE + 8];
    memcpy(line, "PROXY UNKNOWN ", 14);
    memset(line + 14, 'a', sizeof line - 14);
    struct proxy_result r;
    assert_int_equal(parse_exact(line, PROXY_V1_MAX_LINE - 1, &r), PROXY_NEED_MORE);
    assert_int_equal(parse_exact(line, PROXY_V1_MAX_LINE, &r), PROXY_ERROR);
    assert_non_null(r.reason);
    /* CRLF as bytes 106-107 is still fine... */
    line[PROXY_V1_MAX_LINE - 2] = '\r';
    line[PROXY_V1_MAX_LINE - 1] = '\n';
    assert_int_equal(parse_exact(line, PROXY_V1_MAX_LINE + 8, &r), PROXY_V1_MAX_LINE);
    /* ...but as bytes 107-108 it is one byte too late. */
    line[PROXY_V1_MAX_LINE - 2] = 'a';
    line[PROXY_V1_MAX_LINE - 1] = '\r';
    line[PROXY_V1_MAX_LINE] = '\n';
    assert_int_equal(parse_exact(line, PROXY_V1_MAX_LINE + 8, &r), PROXY_ERROR);
}

static size_t v2_build(uint8_t *p, uint8_t vc, uint8_t fam, size_t body_len)
{
    static const uint8_t sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    memcpy(p, sig, 12);
    p[12] = vc;
    p[13] = fam;
    p[14] = (uint8_t)(body_len >> 8);
    p[15] = (uint8_t)body_len;
    return 16;
}

/* The largest header accepted is exactly PROXY_MAX_HEADER bytes, and at that
 * many bytes the answer is never "need more". */
static void test_v2_max_header(void **state)
{
    uint8_t *p = calloc(1, PROXY_MAX_HEADER + 1);
    assert_non_null(p);
    size_t body = PROXY_MAX_HEADER - 16;
    size_t off = v2_build(p, 0x21, 0x11, body);
    memcpy(p + off, "\xc0\x00\x02\x01\xc0\x00\x02\x02\x30\x39\x00\x19", 12);
    off += 12;
    size_t tlv = body - 12 - 3; /* one NOOP TLV pads the rest */
    p[off] = 0x04;
    p[off + 1] = (uint8_t)(tlv >> 8);
    p[off + 2] = (uint8_t)tlv;
    struct proxy_result r;
    assert_int_equal(parse_exact(p, PROXY_MAX_HEADER, &r), PROXY_MAX_HEADER);
    assert_int_equal(r.tlv_count, 1);
    assert_int_equal(proxy_addr_port(&r.src), 12345);
    assert_int_equal(parse_exact(p, PROXY_MAX_HEADER - 1, &r), PROXY_NEED_MORE);
    /* One byte more announced: refused as soon as the length is known. */
    v2_build(p, 0x21, 0x11, body + 1);
    assert_int_equal(parse_exact(p, 16, &r), PROXY_ERROR);
    free(p);
}

/* AF_UNIX addresses (2 x 108 bytes) are skipped: no address, socket's kept. */
static void test_v2_unix(void **state)
{
    uint8_t p[16 + 216 + 5];
    memset(p, 0, sizeof p);
    v2_build(p, 0x21, 0x31, 216 + 5);
    memcpy(p + 16, "/run/haproxy.sock", 17);
    memcpy(p + 16 + 216, "\x05\x00\x02id", 5);
    struct proxy_result r;
    assert_int_equal(parse_exact(p, sizeof p, &r), (int)sizeof p);
    assert_int_equal(r.family, PROXY_FAM_UNIX);
    assert_false(r.has_addr);
    assert_int_equal(r.tlv_count, 1);
    for (size_t k = 0; k < sizeof p; k++)
        assert_int_equal(parse_exact(p, k, &r), PROXY_NEED_MORE);
}

/* Random bytes behind a valid signature never crash and never over-read. */
static void test_v2_random_bodies(void **state)
{
    uint8_t p[16 + 64];
    uint32_t x = 2463534242u; /* xorshift32, fixed seed: reproducible */
    for (int round = 0; round < 20000; round++) {
        size_t body = 0;
        for (size_t i = 0; i < sizeof p; i++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            p[i] = (uint8_t)x;
        }
        body = x % 65;
        v2_build(p, (uint8_t)(0x20 | (x >> 8 & 1)), p[13], body);
        struct proxy_result r;
        int got = parse_exact(p, 16 + body, &r);
        assert_true(got == PROXY_ERROR || got == (int)(16 + body));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),         cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_v1_line_limit), cmocka_unit_test(test_v2_max_header),
        cmocka_unit_test(test_v2_unix),       cmocka_unit_test(test_v2_random_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
