/*
 * assess - one message judged as Gmail would judge it: the checks that run
 * for it, fed in the order the receiver learns things, and the verdict.
 *
 * The same object serves the receiver (checks driven asynchronously on
 * libuv while the conversation goes on) and `authsink check` (driven to
 * completion synchronously), so both give the same verdict for the same
 * inputs by construction:
 *
 *     a = au_assess_new(&params);           // at MAIL FROM: SPF can start
 *     drive au_spf_step over au_assess_spf(a)
 *     au_assess_data(a, p, n) ...           // the content as it streams
 *       once au_assess_headers_done(a):  drive au_assess_dkim(a) and,
 *       when not NULL, au_assess_dmarc(a)
 *     au_assess_end(a);                     // end of data
 *     (step the DKIM check once more: see auth/dkim.h)
 *     au_assess_decide(a, iprev);           // every check done
 *     au_assess_verdict(a), au_assess_trace_headers(a, &buf)
 *
 * iprev belongs to the connection, not the message (it starts at connect
 * and again after XCLIENT), so it is passed in at the end.
 */
#ifndef AU_ASSESS_H
#define AU_ASSESS_H

#include <libpsl.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "dkim.h"
#include "dmarc.h"
#include "format.h"
#include "ip.h"
#include "iprev.h"
#include "msg.h"
#include "policy.h"
#include "spf.h"

struct au_assess_params {
    struct au_ip ip;                           /* the client, as the checks see it */
    const char *helo;                          /* EHLO/HELO name; "" when none */
    const char *mail_from;                     /* envelope sender; "" for <> */
    bool tls;
    int64_t now;                               /* epoch seconds: DKIM t=/x=, SPF %{t}, 250 */
    const char *receiver;                      /* our host name, for SPF %{r} */
    const psl_ctx_t *psl;                      /* organizational domains (DMARC) */
    const struct au_policy_profile *profile;
    const struct au_dkim_config *dkim;         /* NULL: Gmail's defaults */
    struct au_dkim_verify *dkim_verifier;      /* optional, borrowed: reset and used for
                                                  this message, so that the keys it parsed
                                                  for earlier ones are reused; NULL: own */
};

struct au_assess;

/* Creates the assessment and its SPF check. Strings are copied. */
struct au_assess *au_assess_new(const struct au_assess_params *p);
/* NULL is a no-op. */
void au_assess_free(struct au_assess *a);

/* The SPF check (always there): an au_step_fn check for au_spf_step. */
struct au_spf *au_assess_spf(struct au_assess *a);

/* Feeds message content (dot-unstuffed, any chunking). Returns 0, or -1 once
 * the header block broke a limit of auth/msg.h (then: 552 5.3.4). */
int au_assess_data(struct au_assess *a, const char *p, size_t n);
/* End of the content. */
void au_assess_end(struct au_assess *a);
/* True once the header block is complete (the DKIM and DMARC checks exist). */
bool au_assess_headers_done(const struct au_assess *a);
/* The DKIM verifier (au_dkim_verify_step), or NULL before the end of headers. */
struct au_dkim_verify *au_assess_dkim(struct au_assess *a);
/* The DMARC check (au_dmarc_step), or NULL: before the end of headers, or
 * when From gives no usable domain. */
struct au_dmarc *au_assess_dmarc(struct au_assess *a);
/* The Message-ID as written (without folding), or NULL. */
const char *au_assess_message_id(const struct au_assess *a);
/* The format findings (valid after the end of headers). */
const struct au_format_result *au_assess_format(const struct au_assess *a);

/* Evaluates DMARC and the profile once every check is done. iprev may be NULL
 * (not checked). Call once. */
void au_assess_decide(struct au_assess *a, const struct au_iprev *iprev);
/* The verdict (after decide). */
const struct au_policy_verdict *au_assess_verdict(const struct au_assess *a);
/* Appends the trace fields Gmail adds to accepted mail, in Gmail's order:
 * Received-SPF, then Authentication-Results (after decide). */
int au_assess_trace_headers(const struct au_assess *a, const char *authserv_id,
                            struct au_buf *out);

#endif
