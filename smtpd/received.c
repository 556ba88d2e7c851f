/*
 * received - Gmail-form trace fields and clock formats (see received.h).
 *
 * Public: received_header, received_pacific_offset, received_date,
 * received_iso8601.  RFC 5321 4.4 (trace information), RFC 5322 3.3 (date),
 * RFC 3848 (protocol words), REFERENCE.md 5.1 (Gmail's layout: eight-space
 * continuation lines, "name. [ip]" with the trailing dot, Pacific time).
 */
#include "received.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Seconds since the epoch at 00:00 UTC of the n-th Sunday of month (1-12). */
static time_t nth_sunday(int year, int month, int n)
{
    struct tm tm = {0};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = 1;
    time_t first = timegm(&tm);
    struct tm w;
    gmtime_r(&first, &w);
    int day = 1 + (7 - w.tm_wday) % 7 + 7 * (n - 1);
    return first + (time_t)(day - 1) * 86400;
}

int received_pacific_offset(time_t t)
{
    struct tm u;
    gmtime_r(&t, &u);
    int year = u.tm_year + 1900;
    /* 2:00 PST is 10:00 UTC; 2:00 PDT is 09:00 UTC. */
    time_t start = nth_sunday(year, 3, 2) + 10 * 3600;
    time_t end = nth_sunday(year, 11, 1) + 9 * 3600;
    return t >= start && t < end ? -7 * 3600 : -8 * 3600;
}

static void pacific_tm(time_t t, struct tm *out, int *offset)
{
    *offset = received_pacific_offset(t);
    time_t local = t + *offset;
    gmtime_r(&local, out);
}

void received_date(char *out, size_t cap, time_t t)
{
    struct tm tm;
    int off;
    pacific_tm(t, &tm, &off);
    bool dst = off == -7 * 3600;
    size_t n = strftime(out, cap, "%a, %d %b %Y %H:%M:%S", &tm);
    snprintf(out + n, cap - n, " %s (%s)", dst ? "-0700" : "-0800", dst ? "PDT" : "PST");
}

void received_iso8601(char *out, size_t cap, int64_t unix_ms)
{
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%s.%03dZ", base, (int)(unix_ms % 1000));
}

void received_header(struct au_buf *out, const struct received_info *ri, time_t now)
{
    struct tm tm;
    int off;
    pacific_tm(now, &tm, &off);
    char stamp[32], date[64];
    strftime(stamp, sizeof stamp, "%Y.%m.%d.%H.%M.%S", &tm);
    received_date(date, sizeof date, now);

    const char *helo = ri->helo && ri->helo[0] ? ri->helo : "unknown";
    if (ri->rdns && ri->rdns[0])
        au_buf_printf(out, "Received: from %s (%s. [%s])\r\n", helo, ri->rdns, ri->ip);
    else
        au_buf_printf(out, "Received: from %s ([%s])\r\n", helo, ri->ip);
    au_buf_printf(out, "        by %s with %s id %s.%s", ri->by, ri->protocol, ri->sid, stamp);
    if (ri->rcpt)
        au_buf_printf(out, "\r\n        for <%s>", ri->rcpt);
    if (ri->tls_version)
        au_buf_printf(out, "\r\n        (version=%s cipher=%s bits=%d/%d)", ri->tls_version,
                      ri->tls_cipher ? ri->tls_cipher : "unknown", ri->tls_bits, ri->tls_bits);
    au_buf_printf(out, ";\r\n        %s\r\n", date);
}
