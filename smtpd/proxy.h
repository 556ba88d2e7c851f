/*
 * proxy - a sans-I/O parser for the PROXY protocol header, versions 1 and 2
 * (HAProxy's proxy-protocol.txt), read before the SMTP banner when the
 * listener runs with --proxy-protocol.
 *
 * The parser keeps no state: the caller accumulates the bytes received since
 * the connection was accepted and calls proxy_parse again with all of them
 * each time more arrive (picohttpparser's way).  It decides "error" as early
 * as the bytes allow, and it never asks for more than PROXY_MAX_HEADER bytes:
 * when len >= PROXY_MAX_HEADER the answer is never PROXY_NEED_MORE.
 */
#ifndef SMTPD_PROXY_H
#define SMTPD_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Version 1: the longest line the spec allows, CRLF included. */
#define PROXY_V1_MAX_LINE 107
/* Version 2: the fixed part (signature, version/command, family, length). */
#define PROXY_V2_FIXED 16
/* The largest header we accept (either version). Version 2 could announce up
 * to 16 + 65535 bytes; real proxies send addresses plus a few TLVs (unique id
 * up to 128 bytes, authority up to 255, SSL details), far below this. */
#define PROXY_MAX_HEADER 2048

/* proxy_parse results besides a positive header length. */
#define PROXY_NEED_MORE 0
#define PROXY_ERROR (-1)

enum proxy_command {
    PROXY_CMD_LOCAL = 0, /* a health check by the proxy itself: keep the socket address */
    PROXY_CMD_PROXY = 1, /* relayed on behalf of a client */
};

enum proxy_family {
    PROXY_FAM_UNSPEC = 0, /* v1 UNKNOWN, v2 AF_UNSPEC */
    PROXY_FAM_INET = 1,
    PROXY_FAM_INET6 = 2,
    PROXY_FAM_UNIX = 3,
};

enum proxy_transport {
    PROXY_TRANSPORT_UNSPEC = 0,
    PROXY_TRANSPORT_STREAM = 1,
    PROXY_TRANSPORT_DGRAM = 2,
};

struct proxy_result {
    int version;                /* 1 or 2 */
    enum proxy_command command; /* v1 is always PROXY_CMD_PROXY */
    enum proxy_family family;
    enum proxy_transport transport; /* v1 TCP4/TCP6 is STREAM */
    /* True when src and dst hold the real endpoints (INET or INET6 with ports);
     * false means "no address": use the socket's own addresses. */
    bool has_addr;
    struct sockaddr_storage src; /* the client; sockaddr_in or sockaddr_in6 */
    struct sockaddr_storage dst; /* the address the client connected to */
    unsigned tlv_count;          /* v2 TLVs seen (validated and skipped) */
    bool crc_verified;           /* v2 carried a PP2_TYPE_CRC32C TLV and it matched */
    const char *reason;          /* PROXY_ERROR: why, a static string */
};

/* Parses the PROXY header at the start of buf[0..len), the bytes received so
 * far. Returns the header's length in bytes (> 0, out filled), PROXY_NEED_MORE
 * (call again with more bytes; out->reason untouched) or PROXY_ERROR
 * (out->reason says why; close the connection). Never reads past len. */
int proxy_parse(const uint8_t *buf, size_t len, struct proxy_result *out);

/* Formats addr ("192.0.2.1", "2001:db8::1") into dst (>= 46 bytes); returns dst. */
const char *proxy_addr_str(const struct sockaddr_storage *addr, char *dst, size_t cap);
/* The port of an INET or INET6 address in host order, 0 otherwise. */
unsigned proxy_addr_port(const struct sockaddr_storage *addr);

#endif
