/*
 * dmarc - DMARC (RFC 7489): policy discovery, identifier alignment, result,
 * the policy that applies, and Gmail's Authentication-Results clause.
 *
 * Use:
 *     struct au_dmarc *d = au_dmarc_new(psl, from_domain);
 *     au_dns_run(au_dmarc_step, d, lookup, ctx);     // or any driver (dns.h)
 *     ... once SPF and DKIM are done ...
 *     au_dmarc_evaluate(d, &ids);
 *     const struct au_dmarc_outcome *o = au_dmarc_outcome(d);
 *     au_dmarc_free(d);
 * Discovery needs only the From domain, so it can run beside SPF and DKIM.
 */
#ifndef AU_DMARC_H
#define AU_DMARC_H

#include <libpsl.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "dmarc_record.h"
#include "dns.h"
#include "result.h"

#define AU_DMARC_IDS_MAX 64  /* DKIM signatures looked at for alignment */
#define AU_DMARC_WHY_MAX 640 /* bytes of one alignment row's reason */

struct au_dmarc;

/* One DKIM signature's outcome, as the DKIM verifier reported it. */
struct au_dmarc_dkim {
    enum au_result result;
    const char *domain; /* the d= tag; NULL or "" when the signature had none */
};

/* The authenticated identifiers DMARC aligns with the From domain. */
struct au_dmarc_ids {
    enum au_result spf;     /* SPF's result for spf_domain */
    const char *spf_domain; /* the MAIL FROM domain, or the HELO name for the null
                               sender (RFC 7489 3.1.2); NULL when unknown */
    size_t dkim_count;
    const struct au_dmarc_dkim *dkim;
};

/* How policy discovery ended (RFC 7489 6.6.3). */
enum au_dmarc_discovery {
    AU_DMARC_NO_RECORD,    /* no DMARC record at the From nor the Organizational Domain */
    AU_DMARC_FOUND,        /* one usable record (p given, or implied by rua) */
    AU_DMARC_MULTIPLE,     /* several DMARC records at one name: not applied (step 5) */
    AU_DMARC_NO_POLICY,    /* a record without a usable p and without rua (step 6) */
    AU_DMARC_INVALID,      /* a syntactically incorrect record (11.2: permerror) */
    AU_DMARC_DNS_TEMPFAIL, /* a _dmarc lookup failed temporarily */
    AU_DMARC_BAD_FROM,     /* no usable From domain */
};

enum au_dmarc_method {
    AU_DMARC_METHOD_SPF,
    AU_DMARC_METHOD_DKIM,
};

/* One row of the alignment table. */
struct au_dmarc_row {
    enum au_dmarc_method method;
    const char *domain;         /* the identifier's domain as given ("" if none) */
    enum au_result result;      /* SPF's or the signature's result */
    bool aligned;               /* the domain aligns with From (mode of adkim/aspf) */
    bool passes;                /* aligned and result pass: DMARC passes with it */
    char why[AU_DMARC_WHY_MAX]; /* in words */
};

struct au_dmarc_outcome {
    enum au_result result;             /* pass, fail, none, temperror, permerror */
    enum au_dmarc_discovery discovery; /* how policy discovery ended */
    const char *from_domain;           /* normalized (lowercase), or NULL when unusable */
    const char *org_domain;            /* the From domain's Organizational Domain, or NULL */
    bool record_found;                 /* a usable record was found (pass/fail possible) */
    const char *record_domain;         /* where: the From or the Organizational Domain */
    const char *record_text;           /* the record as published (joined), or NULL */
    struct au_dmarc_record record;     /* its tags (defaults when not found); its strings
                                          belong to the check */
    bool subdomain;                    /* From is below the record's domain: sp applies */
    enum au_dmarc_policy policy;       /* the policy that applies (p or sp); UNSET w/o record */
    enum au_dmarc_policy disposition;  /* what a failure asks for: policy on fail, else
                                          NONE; pct is recorded, never sampled */
    bool dns_temperror;                /* the _dmarc lookup failed temporarily */
    bool unsettled;                    /* nothing aligned passed, and a lookup (the _dmarc
                                          record, an aligned DKIM key, or SPF) failed
                                          temporarily: the result could change later */
    size_t rows;
    const struct au_dmarc_row *row; /* the alignment table: SPF first, then DKIM */
    const char *explanation;        /* a sentence or two, never NULL */
};

/*
 * Starts DMARC for the From domain (copied; NULL or unusable gives permerror).
 * psl is the public suffix list (smtpd/psl_load.h) and must outlive d.
 * Returns a check for au_dmarc_step; never NULL.
 */
struct au_dmarc *au_dmarc_new(const psl_ctx_t *psl, const char *from_domain);
/* Frees d and its outcome. NULL is a no-op. */
void au_dmarc_free(struct au_dmarc *d);
/* The step function (dns.h contract): TXT _dmarc.<from>, then _dmarc.<org>. */
enum au_step au_dmarc_step(void *d, struct au_dns_batch *batch);
/* True once discovery is done (step returned AU_STEP_DONE). */
bool au_dmarc_discovered(const struct au_dmarc *d);

/*
 * Evaluates alignment against ids (copied) and settles the result, policy,
 * table and explanation.  Call after discovery is done (an invariant: abort
 * otherwise); may be called again with other ids.
 */
void au_dmarc_evaluate(struct au_dmarc *d, const struct au_dmarc_ids *ids);
/* The outcome; valid after au_dmarc_evaluate, until the next one or _free. */
const struct au_dmarc_outcome *au_dmarc_outcome(const struct au_dmarc *d);

/*
 * Appends Gmail's Authentication-Results clause to out, e.g.
 * "dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=kernel.org" (REFERENCE
 * 5.3).  Appends nothing and returns 0 when there is no record (see dmarc.c,
 * DECISION).  Call after au_dmarc_evaluate.  Returns 0, or -1 (out unchanged)
 * when out's max is crossed.
 */
int au_dmarc_ar_clause(const struct au_dmarc *d, struct au_buf *out);
/* The same with the disposition the receiver applied (dis=), which may be
 * milder than the policy asks: delivered mail never says dis=REJECT
 * (REFERENCE.md 6). */
int au_dmarc_ar_clause_dis(const struct au_dmarc *d, enum au_dmarc_policy dis,
                           struct au_buf *out);

#endif
