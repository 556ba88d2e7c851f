/*
 * spf - SPF check_host() (RFC 7208) as a resumable evaluator, with a trace
 * of everything it did, and the Received-SPF / Authentication-Results texts
 * Gmail writes.
 *
 * Use (see dns.h for the driver contract):
 *
 *     struct au_spf_params p = {.ip = ip, .mail_from = "a@b.example",
 *                               .helo = "mail.b.example", .now = now};
 *     struct au_spf *spf = au_spf_new(&p);
 *     au_dns_run(au_spf_step, spf, lookup, ctx);      // or any other driver
 *     enum au_result r = au_spf_result(spf);
 *     ...
 *     au_spf_free(spf);
 */
#ifndef AU_SPF_H
#define AU_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dns.h"
#include "ip.h"
#include "result.h"
#include "spf_record.h"

#define AU_SPF_LOOKUP_MAX 10    /* DNS-querying terms per evaluation (4.6.4) */
#define AU_SPF_VOID_MAX 2       /* void lookups per evaluation (4.6.4) */
#define AU_SPF_MX_NAMES_MAX 10  /* MX names per mx mechanism (4.6.4); more: permerror */
#define AU_SPF_PTR_NAMES_MAX 10 /* PTR names used per ptr / %{p} (4.6.4); rest ignored */
#define AU_SPF_DEPTH_MAX (AU_SPF_LOOKUP_MAX + 2) /* include nesting: bounded by the lookups */
#define AU_SPF_EXPAND_MAX 65536                  /* bytes of one macro expansion (domain-spec) */
#define AU_SPF_EXPLANATION_MAX 2048              /* bytes of an explanation; longer: the default */
#define AU_SPF_TRACE_MAX 2000 /* trace entries kept; later ones are counted, not kept */
#define AU_SPF_RECEIVER_DEFAULT "mx.google.com"
/* RFC 7208 6.2 leaves the default explanation to the receiver; this one is
 * expanded like an exp= text. */
#define AU_SPF_DEFAULT_EXPLANATION "%{o} does not designate %{c} as permitted sender"

enum au_spf_identity {
    AU_SPF_ID_MAILFROM, /* check_host(ip, domain of MAIL FROM, MAIL FROM) (2.4) */
    AU_SPF_ID_HELO,     /* check_host(ip, HELO, postmaster@HELO) (2.3) */
};

struct au_spf_params {
    struct au_ip ip;                 /* the client; IPv4-mapped IPv6 is treated as IPv4 */
    const char *mail_from;           /* envelope sender without <>; "" or NULL for <> */
    const char *helo;                /* HELO/EHLO name as given; NULL: "" */
    const char *receiver;            /* %{r}; NULL: AU_SPF_RECEIVER_DEFAULT */
    uint64_t now;                    /* %{t}: seconds since the epoch */
    enum au_spf_identity identity;   /* a null mail_from always checks postmaster@HELO */
    const char *default_explanation; /* macro text; NULL: AU_SPF_DEFAULT_EXPLANATION */
};

/* One line of the trace: what was fetched, evaluated and decided. */
enum au_spf_trace_kind {
    AU_SPF_TRACE_RECORD,  /* TXT fetched for domain: text is the SPF record or NULL */
    AU_SPF_TRACE_TERM,    /* a mechanism or modifier evaluated */
    AU_SPF_TRACE_RESULT,  /* check_host(domain) at this depth returned result */
    AU_SPF_TRACE_EXP,     /* the explanation fetched (or why the default was used) */
    AU_SPF_TRACE_MACRO_P, /* %{p} resolved (detail names the validated name) */
};

enum au_spf_outcome {
    AU_SPF_OUT_NONE, /* not a match decision (records, results, notes) */
    AU_SPF_OUT_MATCH,
    AU_SPF_OUT_NO_MATCH,
    AU_SPF_OUT_ERROR, /* the evaluation ended here with temperror/permerror */
};

struct au_spf_trace {
    enum au_spf_trace_kind kind;
    unsigned depth;     /* 0: the top record (and its redirects); +1 per include */
    const char *domain; /* the <domain> being evaluated */
    const char *text;   /* record or term text; may be NULL */
    enum au_spf_outcome outcome;
    enum au_result result; /* RESULT: the result; a matching term: its qualifier's */
    const char *detail;    /* what happened, in words; never NULL */
    int mech;              /* TERM entries of a mechanism: its enum au_spf_mech; else -1 */
    char qualifier;        /* with mech: '+', '-', '~' or '?'; else 0 */
};

struct au_spf;

/* Returns a new evaluation of p (strings are copied). Never NULL. */
struct au_spf *au_spf_new(const struct au_spf_params *p);
/* NULL is a no-op. Answers still held by the driver's batch are the driver's. */
void au_spf_free(struct au_spf *spf);
/* The step function (dns.h contract); spf is a struct au_spf. */
enum au_step au_spf_step(void *spf, struct au_dns_batch *batch);

/* The result once au_spf_step returned AU_STEP_DONE (AU_RESULT_NONE before). */
enum au_result au_spf_result(const struct au_spf *spf);
/* The RFC 7208 / 8601 word of r. Never NULL. */
const char *au_spf_result_name(enum au_result r);
/* The <domain> checked first (HELO name or MAIL FROM domain), as given. */
const char *au_spf_domain(const struct au_spf *spf);
/* The <sender> used: MAIL FROM, or postmaster@HELO. */
const char *au_spf_sender(const struct au_spf *spf);
/* The client address as evaluated (unmapped). */
const struct au_ip *au_spf_ip(const struct au_spf *spf);
/* The identity checked (HELO when MAIL FROM was null). */
enum au_spf_identity au_spf_identity(const struct au_spf *spf);
/* The explanation (6.2) when the result is fail, else NULL. */
const char *au_spf_explanation(const struct au_spf *spf);
/* Why the result is temperror/permerror (or none), in words; NULL otherwise. */
const char *au_spf_problem(const struct au_spf *spf);
/* The SPF record of the first domain, or NULL when there was none. */
const char *au_spf_record(const struct au_spf *spf);
/* DNS-querying terms counted (4.6.4), void lookups, and DNS queries asked. */
unsigned au_spf_lookups(const struct au_spf *spf);
unsigned au_spf_void_lookups(const struct au_spf *spf);
unsigned au_spf_dns_queries(const struct au_spf *spf);
/* The trace, oldest first; entries live as long as spf. */
size_t au_spf_trace_count(const struct au_spf *spf);
const struct au_spf_trace *au_spf_trace_at(const struct au_spf *spf, size_t i);
/* True when entries were dropped at AU_SPF_TRACE_MAX. */
bool au_spf_trace_truncated(const struct au_spf *spf);
/* The term that decided the result (a matching term of the top record, or the
 * term that caused an error), or NULL (default result, none, record errors). */
const struct au_spf_trace *au_spf_decided(const struct au_spf *spf);
/* A human-readable name of a trace kind / outcome ("record", "match", ...). */
const char *au_spf_trace_kind_name(enum au_spf_trace_kind k);
const char *au_spf_outcome_name(enum au_spf_outcome o);

/*
 * Gmail's texts (REFERENCE.md 5.2, 5.3), appended to out without CRLF:
 *   au_spf_received_spf: "Received-SPF: softfail (google.com: domain of
 *       transitioning a@b does not designate 192.0.2.1 as permitted sender)
 *       client-ip=192.0.2.1;"
 *   au_spf_ar_clause: "spf=softfail (google.com: ...) smtp.mailfrom=a@b"
 *       (smtp.helo=NAME for the HELO identity; the address quoted when it
 *       holds '=' or other specials).
 *   au_spf_gmail_comment: the text inside "(google.com: ...)".
 * Returns 0, or -1 when out's maximum is crossed.
 */
int au_spf_received_spf(const struct au_spf *spf, struct au_buf *out);
int au_spf_ar_clause(const struct au_spf *spf, struct au_buf *out);
int au_spf_gmail_comment(const struct au_spf *spf, struct au_buf *out);

#endif
