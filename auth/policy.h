/*
 * policy - Gmail's decision at end of DATA, as ordered rule tables
 * (ARCHITECTURE.md principle 5, DECISIONS.md).
 *
 * A profile is an ordered table of rules; each rule is a condition over
 * struct au_policy_input and the catalogue reply it gives (catalog.h), or
 * an acceptance with a DMARC disposition.  The first rule whose condition
 * holds decides.  Profiles:
 *   gmail           rules for all senders, permanent refusals (today);
 *   gmail-bulk      gmail plus the bulk-sender rules;
 *   gmail-tempfail  the gmail-bulk rules answered with their 4xx forms
 *                   (the February 2024 ramp);
 *   observe         accepts everything and notes what gmail would answer.
 *
 * The input is plain values so that this module depends on no other
 * check's structures: the receiver copies the SPF, DKIM, DMARC, iprev and
 * format outcomes into it.
 */
#ifndef AU_POLICY_H
#define AU_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog.h"
#include "format.h"
#include "reply.h"
#include "result.h"

#define AU_POLICY_DKIM_MAX 10 /* DKIM signatures the rules look at */
#define AU_POLICY_WHY_MAX 512 /* bytes of a verdict's explanation */

/* The DMARC policy that applies to the From domain (p, or sp for a
 * subdomain). ABSENT: no record, or a record without a p= tag. */
enum au_policy_dmarc {
    AU_POLICY_DMARC_ABSENT = 0,
    AU_POLICY_DMARC_NONE,
    AU_POLICY_DMARC_QUARANTINE,
    AU_POLICY_DMARC_REJECT,
};

/* The dis= of Gmail's dmarc clause on accepted mail. */
enum au_policy_dis {
    AU_POLICY_DIS_NONE = 0,
    AU_POLICY_DIS_QUARANTINE,
};

struct au_policy_dkim {
    enum au_result result;
    const char *domain; /* d= */
};

struct au_policy_input {
    enum au_result iprev; /* pass; fail (PTR not forward-confirmed); permerror (no PTR);
                             temperror; none = not checked */
    enum au_result spf;
    bool spf_all;           /* SPF's deciding term was "-all" */
    const char *spf_domain; /* the MAIL FROM domain (HELO name for <>) */
    const char *client_ip;
    size_t dkim_count; /* signatures; at most AU_POLICY_DKIM_MAX are looked at */
    struct au_policy_dkim dkim[AU_POLICY_DKIM_MAX];
    enum au_result dmarc; /* pass, fail, none, temperror, permerror */
    enum au_policy_dmarc dmarc_policy;
    bool dmarc_record;              /* a DMARC record was found */
    bool dmarc_unsettled;           /* nothing aligned passed and a lookup DMARC depends on
                                       (the record, an aligned DKIM key, SPF) failed temporarily */
    bool from_aligned;              /* From aligns with a passing SPF or DKIM domain */
    struct au_format_result format; /* from au_format_finish */
    bool tls;                       /* the message came over TLS */
    const char *from_domain;        /* the RFC5322.From domain; NULL: format.from_domain */
    long long now;                  /* epoch seconds, for "250 2.0.0 OK  <epoch>" */
};

struct au_policy_profile;

/* The verdict. reply is rendered and owned (au_policy_verdict_clear). */
struct au_policy_verdict {
    bool accept;
    enum au_policy_dis dis;      /* for the dmarc clause of an accepted message */
    enum au_catalog_id reply_id; /* AU_CAT_ACCEPTED when accepted */
    struct au_reply reply;
    const char *profile;                 /* the profile's name */
    const char *rule;                    /* the rule that decided: "unauthenticated", ... */
    const char *observed_rule;           /* observe only: the rule gmail would apply; else NULL */
    enum au_catalog_id observed_id;      /* observe only: the reply gmail would give */
    char explanation[AU_POLICY_WHY_MAX]; /* in words, for the JSON log and check */
};

/* The profile called name ("gmail", "gmail-bulk", "gmail-tempfail",
 * "observe"), or NULL when there is none. */
const struct au_policy_profile *au_policy_profile_find(const char *name);
/* The i-th profile (for listing in --help), or NULL past the last. */
const struct au_policy_profile *au_policy_profile_at(size_t i);
/* A profile's name and one-line summary. */
const char *au_policy_profile_name(const struct au_policy_profile *p);
const char *au_policy_profile_summary(const struct au_policy_profile *p);

/* Evaluates in under profile p. out must be zero-initialised before its
 * first use (a previous verdict's reply is freed). */
void au_policy_evaluate(const struct au_policy_profile *p, const struct au_policy_input *in,
                        struct au_policy_verdict *out);
/* Frees the verdict's reply. */
void au_policy_verdict_clear(struct au_policy_verdict *v);

/* The rule table, for documentation and tests. */
struct au_policy_rule {
    const char *name;
    bool (*when)(const struct au_policy_input *in);
    enum au_catalog_id reply; /* AU_CAT_ACCEPTED: the rule accepts */
    enum au_policy_dis dis;   /* the disposition when it accepts */
    const char *why;          /* the explanation, in words */
};
/* The rules of p in order; *n gets their number. */
const struct au_policy_rule *au_policy_rules(const struct au_policy_profile *p, size_t *n);

#endif
