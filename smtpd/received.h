/*
 * received - the trace fields the receiver prepends to accepted mail, in
 * Gmail's forms (REFERENCE.md 5.1), and the clock formats they use.
 */
#ifndef SMTPD_RECEIVED_H
#define SMTPD_RECEIVED_H

#include <stdint.h>
#include <time.h>

#include "buf.h"

/* What a Received field says about the hop. */
struct received_info {
    const char *helo;       /* the EHLO/HELO name; "" when none */
    const char *rdns;       /* the client's verified name; "" when none */
    const char *ip;         /* the client address */
    const char *by;         /* our host name */
    const char *sid;        /* the session id */
    const char *rcpt;       /* the single recipient, or NULL (several) */
    const char *protocol;   /* "SMTP", "ESMTP", "ESMTPS" (RFC 3848) */
    const char *tls_version;   /* Gmail's form, "TLS1_3"; NULL without TLS */
    const char *tls_cipher;
    int tls_bits;
};

/* Appends "Received: from ..." with CRLF line ends, folded as Gmail folds it.
 * now is the time of receipt. */
void received_header(struct au_buf *out, const struct received_info *ri, time_t now);

/* The US Pacific offset in seconds (-28800 or -25200) at t, DST rules of the
 * Energy Policy Act of 2005 (second Sunday of March, first Sunday of November). */
int received_pacific_offset(time_t t);

/* "Tue, 20 Mar 2020 17:18:19 -0700 (PDT)" for t in Pacific time. */
void received_date(char *out, size_t cap, time_t t);

/* "2026-11-26T08:00:00.123Z" (RFC 3339, UTC, milliseconds). */
void received_iso8601(char *out, size_t cap, int64_t unix_ms);

#endif
