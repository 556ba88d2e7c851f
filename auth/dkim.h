/*
 * dkim - DKIM verification, streaming (RFC 6376, RFC 8463, RFC 8301), and
 * the Authentication-Results clause Gmail writes for one signature.
 *
 * Use (the receiver feeds it from the auth/msg.h splitter):
 *
 *     struct au_dkim_verify *v = au_dkim_verify_new(&cfg, now);
 *     au_dkim_verify_field(v, name, raw);      // every header field, in order
 *     au_dkim_verify_end_headers(v);           // key lookups may start now
 *     au_dkim_verify_body(v, p, n);            // body bytes, any chunking
 *     au_dkim_verify_end_body(v);
 *     // drive au_dkim_verify_step (auth/dns.h contract) until AU_STEP_DONE
 *     for (i = 0; i < au_dkim_verify_count(v); i++) au_dkim_verify_result(v, i);
 *     au_dkim_verify_reset(v, next_now);       // next message, storage kept
 *
 * The step may be driven from end_headers on, while the body streams, so
 * keys arrive early.  It returns AU_STEP_NEED_DNS while it has keys to ask
 * for.  It returns AU_STEP_DONE when it has nothing to ask; the results are
 * final once au_dkim_verify_done() is true, which needs end_body and every
 * key.  A driver started at end_headers that finishes before end_body is
 * simply stepped once more after end_body (that step asks for nothing).
 */
#ifndef AU_DKIM_H
#define AU_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dns.h"
#include "result.h"

#define AU_DKIM_MAX_SIGNATURES 10      /* signatures evaluated per message (default) */
#define AU_DKIM_MIN_RSA_BITS 1024      /* RFC 8301 3.2; Gmail's published rule */
#define AU_DKIM_RSA_MAX_BITS 16384     /* larger keys are refused (OpenSSL's own limit) */
#define AU_DKIM_HEADERS_MAX (2u << 20) /* header bytes kept for h= (beyond: permerror) */
#define AU_DKIM_REASON_MAX 256
#define AU_DKIM_SIGNATURES_HARD_MAX 1000 /* what max_signatures may be set to */

/* Profile settings.  au_dkim_config_default gives Gmail's behaviour. */
struct au_dkim_config {
    unsigned min_rsa_bits;  /* RSA keys shorter give result policy; default 1024 */
    bool allow_rsa_sha1;    /* rsa-sha1 may pass; default false (policy) */
    size_t max_signatures;  /* evaluated in order, the rest ignored; default 10 */
    bool draft_versions;    /* accept pre-RFC signatures (no v=, v=0.5); default false */
    const char *field_name; /* the signature field; default "DKIM-Signature" */
};

void au_dkim_config_default(struct au_dkim_config *cfg);

/* The outcome for one signature.  Strings are never NULL ("" when unknown)
 * and live until the verifier is reset or freed. */
struct au_dkim_sig_result {
    enum au_result result;
    const char *domain;    /* d= */
    const char *selector;  /* s= */
    const char *algorithm; /* a= as written */
    const char *identity;  /* i= decoded, or "@" d= */
    const char *b;         /* b= without whitespace */
    const char *headers;   /* h= as signed, without whitespace */
    const char *reason;    /* what went wrong, for a person; "" on pass */
    unsigned key_bits;     /* 0 when no key was used */
    bool testing;          /* the key says t=y */
};

struct au_dkim_verify;

/* A verifier for one message at time now (epoch seconds, for t=/x=).
 * cfg is copied; NULL means the defaults. */
struct au_dkim_verify *au_dkim_verify_new(const struct au_dkim_config *cfg, int64_t now);
/* Prepares for the next message at time now; storage is kept. */
void au_dkim_verify_reset(struct au_dkim_verify *v, int64_t now);
/* NULL is a no-op.  Answers held are released. */
void au_dkim_verify_free(struct au_dkim_verify *v);

/* One header field: name trimmed, raw the whole field with its line end
 * (auth/msg.h gives both).  Slices are copied. */
void au_dkim_verify_field(struct au_dkim_verify *v, struct au_slice name, struct au_slice raw);
void au_dkim_verify_end_headers(struct au_dkim_verify *v);
void au_dkim_verify_body(struct au_dkim_verify *v, const char *p, size_t n);
void au_dkim_verify_end_body(struct au_dkim_verify *v);

struct au_msg_sink;
/* Fills sink so that an auth/msg.h splitter feeds v directly: fields,
 * end_headers, body, and the splitter's end as end_body.  For a receiver
 * that fans the message out to several checks, the four functions above
 * are the same thing. */
void au_dkim_verify_sink(struct au_dkim_verify *v, struct au_msg_sink *sink);

/* The au_step_fn of the check (v is a struct au_dkim_verify *). */
enum au_step au_dkim_verify_step(void *v, struct au_dns_batch *batch);
/* True once every result is final. */
bool au_dkim_verify_done(const struct au_dkim_verify *v);

/* Signatures evaluated (at most max_signatures), top to bottom. */
size_t au_dkim_verify_count(const struct au_dkim_verify *v);
/* Signature fields seen beyond max_signatures (not evaluated). */
size_t au_dkim_verify_ignored(const struct au_dkim_verify *v);
/* The result of signature i (< count); valid after done. */
const struct au_dkim_sig_result *au_dkim_verify_result(const struct au_dkim_verify *v, size_t i);

/*
 * Appends Gmail's Authentication-Results clause for one signature (no
 * trailing ';'), e.g. "dkim=pass header.i=@example.com header.s=s1
 * header.b=abcdEFGH" (REFERENCE.md 5.3).  Returns 0, or -1 when out's max
 * is crossed.
 */
int au_dkim_ar_clause(const struct au_dkim_sig_result *r, struct au_buf *out);

#endif
