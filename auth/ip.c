/*
 * ip - IP address parse, format, CIDR match and reverse names (see ip.h).
 *
 * Public: au_ip_parse, au_ip_parse4, au_ip_parse6, au_ip_unmap, au_ip_format,
 * au_ip_match, au_ip_reverse_name, au_ip_equal.
 * RFCs: 7208 section 5.6 (ip4-network without leading zeros), 4291 section
 * 2.2 (IPv6 text), 5952 (IPv6 output form), 1035 section 3.5 and 3596
 * section 2.5 (reverse names).
 * Limits: text longer than AU_IP_STR_MAX - 1 bytes is never an address.
 *
 * IPv6 text is parsed by inet_pton, which is pure computation; IPv4 is parsed
 * here because the SPF grammar forbids leading zeros and inet_pton's rules
 * for them differ between C libraries.
 */
#include "ip.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

int au_ip_parse4(const char *s, size_t len, struct au_ip *out)
{
    uint8_t a[4];
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || s[i] != '.')
                return -1;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3)
            v = v * 10 + (unsigned)(s[i++] - '0');
        size_t n = i - start;
        if (n == 0 || v > 255 || (n > 1 && s[start] == '0'))
            return -1;
        a[part] = (uint8_t)v;
    }
    if (i != len)
        return -1;
    memset(out, 0, sizeof *out);
    out->family = AU_IP_V4;
    memcpy(out->addr, a, 4);
    return 0;
}

int au_ip_parse6(const char *s, size_t len, struct au_ip *out)
{
    char tmp[AU_IP_STR_MAX];
    if (len == 0 || len >= sizeof tmp || memchr(s, '\0', len))
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    struct au_ip ip = {.family = AU_IP_V6};
    if (inet_pton(AF_INET6, tmp, ip.addr) != 1)
        return -1;
    *out = ip;
    return 0;
}

int au_ip_parse(const char *s, size_t len, struct au_ip *out)
{
    if (memchr(s, ':', len))
        return au_ip_parse6(s, len, out);
    return au_ip_parse4(s, len, out);
}

void au_ip_unmap(struct au_ip *ip)
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (ip->family == AU_IP_V6 && memcmp(ip->addr, prefix, 12) == 0) {
        memmove(ip->addr, ip->addr + 12, 4);
        memset(ip->addr + 4, 0, 12);
        ip->family = AU_IP_V4;
    }
}

char *au_ip_format(const struct au_ip *ip, char *buf)
{
    if (ip->family == AU_IP_V4) {
        snprintf(buf, AU_IP_STR_MAX, "%u.%u.%u.%u", ip->addr[0], ip->addr[1], ip->addr[2],
                 ip->addr[3]);
        return buf;
    }
    /* RFC 5952 4.2: compress the longest run (first if tied) of two or more zero groups. */
    unsigned g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)ip->addr[2 * i] << 8 | ip->addr[2 * i + 1];
    int best = -1, bestlen = 1;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > bestlen) {
            best = i;
            bestlen = j - i;
        }
        i = j;
    }
    char *p = buf;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            *p++ = ':';
            if (i == 0)
                *p++ = ':';
            i += bestlen - 1;
            continue;
        }
        p += sprintf(p, "%x", g[i]);
        if (i < 7)
            *p++ = ':';
    }
    *p = '\0';
    return buf;
}

bool au_ip_match(const struct au_ip *ip, const struct au_ip *net, unsigned prefix)
{
    if (ip->family != net->family)
        return false;
    unsigned bits = ip->family == AU_IP_V4 ? 32 : 128;
    if (prefix > bits)
        prefix = bits;
    unsigned full = prefix / 8, rest = prefix % 8;
    if (memcmp(ip->addr, net->addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (ip->addr[full] & mask) == (net->addr[full] & mask);
}

char *au_ip_reverse_name(const struct au_ip *ip, char *buf)
{
    if (ip->family == AU_IP_V4) {
        snprintf(buf, AU_IP_REVERSE_MAX, "%u.%u.%u.%u.in-addr.arpa", ip->addr[3], ip->addr[2],
                 ip->addr[1], ip->addr[0]);
        return buf;
    }
    static const char hex[] = "0123456789abcdef";
    char *p = buf;
    for (int i = 15; i >= 0; i--) {
        *p++ = hex[ip->addr[i] & 0xf];
        *p++ = '.';
        *p++ = hex[ip->addr[i] >> 4];
        *p++ = '.';
    }
    strcpy(p, "ip6.arpa");
    return buf;
}

bool au_ip_equal(const struct au_ip *a, const struct au_ip *b)
{
    size_t n = a->family == AU_IP_V4 ? 4 : 16;
    return a->family == b->family && memcmp(a->addr, b->addr, n) == 0;
}
