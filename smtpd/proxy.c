/*
 * proxy - the PROXY protocol header parser, versions 1 and 2 (see proxy.h).
 *
 * Public: proxy_parse, proxy_addr_str, proxy_addr_port.
 * Spec: HAProxy's proxy-protocol.txt, sections 2.1 (version 1, text) and 2.2
 * (version 2, binary, with the TLVs of 2.2.1-2.2.8; PP2_TYPE_CRC32C is
 * verified when present, every other TLV is bounds-checked and skipped).
 * Limits: PROXY_V1_MAX_LINE (107) for a version 1 line, PROXY_MAX_HEADER for
 * the whole header.
 *
 * The parser is stateless: it re-reads the accumulated bytes on every call.
 * A header is at most PROXY_MAX_HEADER bytes, so this costs nothing worth
 * a state machine, and it makes split delivery trivially correct.  Every read
 * is checked against len first; running out of bytes means "need more" unless
 * the limit has been reached, in which case it is an error.
 *
 * Strictness follows the spec's "any sequence which does not exactly match
 * the protocol must be discarded": one space between fields, no leading
 * zeroes in IPv4 numbers or ports, the family of both addresses matching the
 * protocol word, a full CRLF.  The one leniency the spec demands is v1
 * UNKNOWN, whose rest of line is ignored.
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ip.h"

/* The longest address token in a v1 line: an IPv6 address with an embedded
 * IPv4 tail ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255") is 45. */
#define PROXY_V1_MAX_ADDR 45
#define PROXY_V1_MAX_IPV4 15
#define PROXY_V1_MAX_PORT 5
#define PROXY_V1_MAX_PROTO 7 /* "UNKNOWN" */

/* v2 address block sizes (section 2.2). */
#define PROXY_V2_INET_LEN 12
#define PROXY_V2_INET6_LEN 36
#define PROXY_V2_UNIX_LEN 216
#define PROXY_V2_TLV_HDR 3

#define PP2_TYPE_CRC32C 0x03
#define PP2_CRC32C_LEN 4

static const uint8_t v2_signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                         0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

static int fail(struct proxy_result *out, const char *why)
{
    out->reason = why;
    return PROXY_ERROR;
}

/* ---- version 1 ---------------------------------------------------------- */

/* Which bytes a v1 token may hold. */
enum v1_class { V1_PROTO, V1_IPV4, V1_IPV6, V1_PORT, V1_ANY };

static bool v1_in_class(enum v1_class cls, uint8_t c)
{
    switch (cls) {
    case V1_PROTO:
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    case V1_IPV4:
        return (c >= '0' && c <= '9') || c == '.';
    case V1_IPV6:
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
               c == ':' || c == '.';
    case V1_PORT:
        return c >= '0' && c <= '9';
    case V1_ANY:
        return true;
    }
    return false;
}

/* Running out of bytes in a v1 line: an error once the line limit is reached
 * (no CRLF within 107 bytes), else a request for more. */
static int v1_short(size_t len, struct proxy_result *out)
{
    if (len >= PROXY_V1_MAX_LINE)
        return fail(out, "v1: no CRLF within 107 bytes");
    return PROXY_NEED_MORE;
}

/* Reads one token of class cls at *pos, at most max bytes, into tok (NUL
 * terminated), stopping before the byte term. Returns 1 (token read, *pos at
 * term), PROXY_NEED_MORE or PROXY_ERROR. */
static int v1_token(const uint8_t *b, size_t len, size_t *pos, enum v1_class cls, size_t max,
                    uint8_t term, char *tok, struct proxy_result *out, const char *what)
{
    size_t lim = len < PROXY_V1_MAX_LINE ? len : PROXY_V1_MAX_LINE;
    size_t n = 0;
    for (;;) {
        size_t i = *pos + n;
        if (i >= lim)
            return v1_short(len, out);
        uint8_t c = b[i];
        if (c == term && n > 0)
            break;
        if (!v1_in_class(cls, c) || n == max)
            return fail(out, what);
        /* A port with a leading zero is wrong as soon as a second digit follows. */
        if (cls == V1_PORT && n == 1 && tok[0] == '0')
            return fail(out, "v1: port with a leading zero");
        tok[n++] = (char)c;
    }
    tok[n] = '\0';
    *pos += n;
    return 1;
}

static bool v1_port(const char *s, uint16_t *port)
{
    unsigned v = 0;
    for (; *s; s++)
        v = v * 10 + (unsigned)(*s - '0');
    if (v > 65535)
        return false;
    *port = (uint16_t)v;
    return true;
}

/* An address token, parsed as auth/ip parses addresses for SPF: a strict
 * dotted quad (no leading zeroes) or IPv6 text. */
static bool v1_addr(bool v6, const char *s, struct sockaddr_storage *ss)
{
    struct au_ip ip;
    size_t n = strlen(s);
    if ((v6 ? au_ip_parse6(s, n, &ip) : au_ip_parse4(s, n, &ip)) < 0)
        return false;
    memset(ss, 0, sizeof *ss);
    if (!v6) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, ip.addr, 4);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, ip.addr, 16);
    }
    return true;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* Expects the literal bytes lit at *pos. */
static int v1_literal(const uint8_t *b, size_t len, size_t *pos, const char *lit,
                      struct proxy_result *out, const char *what)
{
    for (; *lit; lit++, (*pos)++) {
        if (*pos >= len || *pos >= PROXY_V1_MAX_LINE)
            return v1_short(len, out);
        if (b[*pos] != (uint8_t)*lit)
            return fail(out, what);
    }
    return 1;
}

/* One space, then a token as v1_token reads it. */
static int v1_field(const uint8_t *b, size_t len, size_t *pos, enum v1_class cls, size_t max,
                    uint8_t term, char *tok, struct proxy_result *out, const char *what)
{
    int r = v1_literal(b, len, pos, " ", out, "v1: expected one space");
    return r == 1 ? v1_token(b, len, pos, cls, max, term, tok, out, what) : r;
}

static int v1_parse(const uint8_t *b, size_t len, struct proxy_result *out)
{
    size_t pos = 0;
    int r;
    char proto[PROXY_V1_MAX_PROTO + 1];
    char addr[PROXY_V1_MAX_ADDR + 1];
    char port[PROXY_V1_MAX_PORT + 1];

    if ((r = v1_literal(b, len, &pos, "PROXY ", out, "v1: bad signature")) != 1)
        return r;

    /* The protocol word, checked against the three names as it arrives. */
    static const char *const names[] = {"TCP4", "TCP6", "UNKNOWN"};
    size_t n = 0;
    for (;;) {
        if (pos + n >= len || pos + n >= PROXY_V1_MAX_LINE)
            return v1_short(len, out);
        uint8_t c = b[pos + n];
        if (n > 0 && (c == ' ' || c == '\r'))
            break;
        if (n == PROXY_V1_MAX_PROTO)
            return fail(out, "v1: unknown protocol");
        proto[n++] = (char)c;
        bool prefix = false;
        for (size_t k = 0; k < 3; k++)
            prefix |= strlen(names[k]) >= n && memcmp(names[k], proto, n) == 0;
        if (!prefix)
            return fail(out, "v1: unknown protocol");
    }
    proto[n] = '\0';
    pos += n;

    memset(out, 0, sizeof *out);
    out->version = 1;
    out->command = PROXY_CMD_PROXY;

    if (strcmp(proto, "UNKNOWN") == 0) {
        /* The rest of the line is ignored, but it must still end in CRLF
         * within the limit, and a lone CR or LF is not an end of line. */
        if (b[pos] == ' ')
            pos++;
        for (;; pos++) {
            if (pos >= len || pos >= PROXY_V1_MAX_LINE)
                return v1_short(len, out);
            if (b[pos] == '\n')
                return fail(out, "v1: LF without CR");
            if (b[pos] == '\r')
                break;
        }
        if ((r = v1_literal(b, len, &pos, "\r\n", out, "v1: CR without LF")) != 1)
            return r;
        out->family = PROXY_FAM_UNSPEC;
        out->transport = PROXY_TRANSPORT_UNSPEC;
        return (int)pos;
    }
    if (strcmp(proto, "TCP4") != 0 && strcmp(proto, "TCP6") != 0)
        return fail(out, "v1: unknown protocol");
    bool v6 = proto[3] == '6';
    enum v1_class acls = v6 ? V1_IPV6 : V1_IPV4;
    size_t amax = v6 ? PROXY_V1_MAX_ADDR : PROXY_V1_MAX_IPV4;
    const char *abad = v6 ? "v1: bad IPv6 address" : "v1: bad IPv4 address";

    if ((r = v1_field(b, len, &pos, acls, amax, ' ', addr, out, abad)) != 1)
        return r;
    if (!v1_addr(v6, addr, &out->src))
        return fail(out, abad);
    if ((r = v1_field(b, len, &pos, acls, amax, ' ', addr, out, abad)) != 1)
        return r;
    if (!v1_addr(v6, addr, &out->dst))
        return fail(out, abad);

    uint16_t sport, dport;
    if ((r = v1_field(b, len, &pos, V1_PORT, PROXY_V1_MAX_PORT, ' ', port, out,
                      "v1: bad source port")) != 1)
        return r;
    if (!v1_port(port, &sport))
        return fail(out, "v1: source port above 65535");
    if ((r = v1_field(b, len, &pos, V1_PORT, PROXY_V1_MAX_PORT, '\r', port, out,
                      "v1: bad destination port")) != 1)
        return r;
    if (!v1_port(port, &dport))
        return fail(out, "v1: destination port above 65535");
    if ((r = v1_literal(b, len, &pos, "\r\n", out, "v1: CR without LF")) != 1)
        return r;

    set_port(&out->src, sport);
    set_port(&out->dst, dport);
    out->family = v6 ? PROXY_FAM_INET6 : PROXY_FAM_INET;
    out->transport = PROXY_TRANSPORT_STREAM;
    out->has_addr = true;
    return (int)pos;
}

/* ---- version 2 ---------------------------------------------------------- */

/* CRC32c (Castagnoli, reflected polynomial 0x82F63B78) as RFC 4960 appendix
 * B specifies it, over the header with the 4 checksum bytes at skip taken as
 * zero. Bitwise: the header is small and checked once per connection. */
static uint32_t crc32c_header(const uint8_t *p, size_t n, size_t skip)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        uint8_t byte = (i >= skip && i < skip + PP2_CRC32C_LEN) ? 0 : p[i];
        crc ^= byte;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* Walks the TLVs in b[off..end): each must fit; a CRC32C TLV must match. */
static int v2_tlvs(const uint8_t *b, size_t off, size_t end, struct proxy_result *out)
{
    while (off < end) {
        if (end - off < PROXY_V2_TLV_HDR)
            return fail(out, "v2: truncated TLV");
        uint8_t type = b[off];
        size_t vlen = ((size_t)b[off + 1] << 8) | b[off + 2];
        size_t voff = off + PROXY_V2_TLV_HDR;
        if (vlen > end - voff)
            return fail(out, "v2: TLV longer than the header");
        if (type == PP2_TYPE_CRC32C) {
            if (vlen != PP2_CRC32C_LEN)
                return fail(out, "v2: CRC32C TLV of the wrong length");
            uint32_t want = ((uint32_t)b[voff] << 24) | ((uint32_t)b[voff + 1] << 16) |
                            ((uint32_t)b[voff + 2] << 8) | b[voff + 3];
            if (crc32c_header(b, end, voff) != want)
                return fail(out, "v2: CRC32C mismatch");
            out->crc_verified = true;
        }
        out->tlv_count++;
        off = voff + vlen;
    }
    return 1;
}

static int v2_parse(const uint8_t *b, size_t len, struct proxy_result *out)
{
    size_t sig = len < sizeof v2_signature ? len : sizeof v2_signature;
    if (memcmp(b, v2_signature, sig) != 0)
        return fail(out, "v2: bad signature");
    if (len < 13)
        return PROXY_NEED_MORE;
    if ((b[12] >> 4) != 2)
        return fail(out, "v2: bad version");
    unsigned cmd = b[12] & 0x0F;
    if (cmd > PROXY_CMD_PROXY)
        return fail(out, "v2: bad command");
    if (len < 14)
        return PROXY_NEED_MORE;
    unsigned fam = b[13] >> 4, tr = b[13] & 0x0F;
    /* For LOCAL the family byte is ignored (section 2.2), so only PROXY
     * insists on known values. */
    if (cmd == PROXY_CMD_PROXY && fam > PROXY_FAM_UNIX)
        return fail(out, "v2: bad address family");
    if (cmd == PROXY_CMD_PROXY && tr > PROXY_TRANSPORT_DGRAM)
        return fail(out, "v2: bad transport protocol");
    if (len < PROXY_V2_FIXED)
        return PROXY_NEED_MORE;
    size_t body = ((size_t)b[14] << 8) | b[15];
    if (body > PROXY_MAX_HEADER - PROXY_V2_FIXED)
        return fail(out, "v2: header longer than the limit");

    /* The address block. Its layout is known for the combinations the spec
     * lists (0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32); TLVs follow it. For
     * any other combination (a family with an unspecified transport, or
     * anything under LOCAL, whose family byte is ignored) the rest is skipped
     * unread, except that LOCAL over AF_UNSPEC, what HAProxy's health checks
     * send, still has its TLVs (a CRC32C) checked. */
    size_t alen = 0;
    bool layout = false, addr = false;
    if (fam == PROXY_FAM_UNSPEC && tr == PROXY_TRANSPORT_UNSPEC) {
        layout = true;
    } else if (cmd == PROXY_CMD_PROXY && tr != PROXY_TRANSPORT_UNSPEC) {
        layout = true;
        if (fam == PROXY_FAM_INET)
            alen = PROXY_V2_INET_LEN, addr = true;
        else if (fam == PROXY_FAM_INET6)
            alen = PROXY_V2_INET6_LEN, addr = true;
        else if (fam == PROXY_FAM_UNIX)
            alen = PROXY_V2_UNIX_LEN;
        else
            layout = false;
    }
    if (body < alen)
        return fail(out, "v2: length too short for the address family");
    size_t total = PROXY_V2_FIXED + body;
    if (len < total)
        return PROXY_NEED_MORE;

    memset(out, 0, sizeof *out);
    out->version = 2;
    out->command = (enum proxy_command)cmd;
    if (cmd == PROXY_CMD_PROXY) {
        out->family = (enum proxy_family)fam;
        out->transport = (enum proxy_transport)tr;
    }

    const uint8_t *a = b + PROXY_V2_FIXED;
    if (addr && fam == PROXY_FAM_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)&out->src;
        struct sockaddr_in *d = (struct sockaddr_in *)&out->dst;
        s->sin_family = d->sin_family = AF_INET;
        memcpy(&s->sin_addr, a, 4);
        memcpy(&d->sin_addr, a + 4, 4);
        memcpy(&s->sin_port, a + 8, 2); /* already in network order */
        memcpy(&d->sin_port, a + 10, 2);
    } else if (addr) {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&out->src;
        struct sockaddr_in6 *d = (struct sockaddr_in6 *)&out->dst;
        s->sin6_family = d->sin6_family = AF_INET6;
        memcpy(&s->sin6_addr, a, 16);
        memcpy(&d->sin6_addr, a + 16, 16);
        memcpy(&s->sin6_port, a + 32, 2);
        memcpy(&d->sin6_port, a + 34, 2);
    }
    out->has_addr = addr;

    if (layout) {
        int r = v2_tlvs(b, PROXY_V2_FIXED + alen, total, out);
        if (r != 1)
            return r;
    }
    return (int)total;
}

int proxy_parse(const uint8_t *buf, size_t len, struct proxy_result *out)
{
    if (len == 0)
        return PROXY_NEED_MORE;
    if (buf[0] == 'P')
        return v1_parse(buf, len, out);
    if (buf[0] == 0x0D)
        return v2_parse(buf, len, out);
    return fail(out, "no PROXY protocol header");
}

const char *proxy_addr_str(const struct sockaddr_storage *addr, char *dst, size_t cap)
{
    const void *p = NULL;
    if (addr->ss_family == AF_INET)
        p = &((const struct sockaddr_in *)addr)->sin_addr;
    else if (addr->ss_family == AF_INET6)
        p = &((const struct sockaddr_in6 *)addr)->sin6_addr;
    if (p == NULL || inet_ntop(addr->ss_family, p, dst, (socklen_t)cap) == NULL)
        snprintf(dst, cap, "%s", "unknown");
    return dst;
}

unsigned proxy_addr_port(const struct sockaddr_storage *addr)
{
    if (addr->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)addr)->sin_port);
    if (addr->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
    return 0;
}
