/*
 * ip - a small IP address type: parse, format, CIDR match, reverse name.
 *
 * One value type for IPv4 and IPv6 so that SPF, iprev and the receiver's
 * client-address handling agree on parsing rules and on the treatment of
 * IPv4-mapped IPv6 addresses (RFC 7208 section 5: such an address "MUST
 * still be considered an IPv4 address"; au_ip_unmap does that).
 *
 * Parsing is strict: IPv4 is the dotted quad of RFC 7208 ip4-network (four
 * decimal octets, no leading zeros); IPv6 is RFC 4291 text (with an embedded
 * dotted quad allowed).  Formatting follows RFC 5952 (lowercase, the longest
 * run of zero groups compressed).
 */
#ifndef AU_IP_H
#define AU_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AU_IP_V4 4
#define AU_IP_V6 6
#define AU_IP_STR_MAX 46     /* INET6_ADDRSTRLEN: the longest text form, NUL included */
#define AU_IP_REVERSE_MAX 74 /* "x.x.(32 nibbles)ip6.arpa" plus NUL */

struct au_ip {
    int family;       /* AU_IP_V4 or AU_IP_V6 */
    uint8_t addr[16]; /* network order; IPv4 uses the first 4 bytes */
};

/* Parses len bytes of text as an IPv4 or IPv6 address. Returns 0, or -1 when
 * the text is not exactly one address. IPv4-mapped IPv6 stays IPv6. */
int au_ip_parse(const char *s, size_t len, struct au_ip *out);
/* Parses only IPv4 (family forced) or only IPv6. Returns 0 or -1. */
int au_ip_parse4(const char *s, size_t len, struct au_ip *out);
int au_ip_parse6(const char *s, size_t len, struct au_ip *out);
/* Turns ::ffff:a.b.c.d into the IPv4 address a.b.c.d; others are unchanged. */
void au_ip_unmap(struct au_ip *ip);
/* Writes the RFC 5952 / dotted-quad text form into buf (AU_IP_STR_MAX bytes).
 * Returns buf. */
char *au_ip_format(const struct au_ip *ip, char *buf);
/* True when ip is inside net/prefix (same family; prefix clamped to the family's width). */
bool au_ip_match(const struct au_ip *ip, const struct au_ip *net, unsigned prefix);
/* Writes the reverse-lookup name without trailing dot into buf (AU_IP_REVERSE_MAX
 * bytes): "4.3.2.1.in-addr.arpa" or 32 lowercase nibbles and "ip6.arpa". Returns buf. */
char *au_ip_reverse_name(const struct au_ip *ip, char *buf);
/* True when both addresses are of the same family and equal. */
bool au_ip_equal(const struct au_ip *a, const struct au_ip *b);

#endif
