/*
 * policy - the profiles as rule tables (see policy.h).
 *
 * Public: au_policy_profile_find, au_policy_profile_at, au_policy_profile_name,
 * au_policy_profile_summary, au_policy_evaluate, au_policy_verdict_clear,
 * au_policy_rules.  Sources: DECISIONS.md (the order of rules, binding),
 * REFERENCE.md sections 1.2, 1.3, 4, 6 and 8.  Limits: AU_POLICY_DKIM_MAX
 * signatures, AU_POLICY_WHY_MAX bytes of explanation.
 *
 * Order of the gmail table (DECISIONS.md "The order of rules"):
 *   1 iprev (temperror defers with 4.7.23, fail/permerror refuse with 5.7.25)
 *   2 unauthenticated: neither SPF nor any DKIM signature passes
 *     - a temporary SPF/DKIM failure defers: 451 4.7.26 (T-7) when the From
 *       policy is reject, else 421 4.7.26 (T-4);
 *     - SPF fail decided by "-all": 550 5.7.26 (T-8);
 *     - otherwise 550 5.7.26 (T-2)
 *   3 DMARC: unsettled by a temporary failure -> 451 4.7.26 (T-7); fail with
 *     policy reject -> 550 5.7.26 (T-5)
 *   4 RFC 5322 format -> 550 5.7.1
 *   5 accepted; DMARC fail under quarantine -> dis=QUARANTINE
 * gmail-bulk adds, between 3 and 4 (DECISIONS.md: after rule 2, before rule
 * 4; REFERENCE.md 8.2 puts them after DMARC): SPF must pass (5.7.27), DKIM
 * must pass (5.7.30), a DMARC record with a policy (5.7.40), From aligned
 * (421 4.7.32), TLS (5.7.29).
 * gmail-tempfail: the gmail-bulk table (DECISIONS.md: "the same rules as
 * gmail and gmail-bulk"), each refusal in its 4xx form. DECISIONS made here:
 *   - SPF -all has no known 4xx text: it gets T-4 (421 4.7.26), the
 *     February 2024 wire reply for every unauthenticated message;
 *   - DMARC p=reject has no known 4xx form: 421 4.7.26 with T-5's words;
 *   - 5.7.1 format refusals predate the 2024 ramp (wire samples from 2016
 *     to 2023) and have no 4xx form in any source: they stay 550 5.7.1;
 *   - alignment keeps 421 4.7.32, already temporary.
 * observe: accepts everything; the explanation and observed_rule say what
 * gmail would have answered.  A DMARC failure under quarantine or reject is
 * stamped dis=QUARANTINE: dis=REJECT never appears on delivered mail, and
 * Gmail was seen quarantining p=reject failures (REFERENCE.md 6).
 */
#include "policy.h"

#include <stdio.h>
#include <string.h>

/* ---- conditions ---- */

static size_t dkim_n(const struct au_policy_input *in)
{
    return in->dkim_count < AU_POLICY_DKIM_MAX ? in->dkim_count : AU_POLICY_DKIM_MAX;
}

static bool dkim_any(const struct au_policy_input *in, enum au_result r)
{
    for (size_t i = 0; i < dkim_n(in); i++)
        if (in->dkim[i].result == r)
            return true;
    return false;
}

/* Neither SPF nor any DKIM signature passed. */
static bool c_unauth(const struct au_policy_input *in)
{
    return in->spf != AU_RESULT_PASS && !dkim_any(in, AU_RESULT_PASS);
}

/* Unauthenticated, and a lookup failed temporarily (it might have passed). */
static bool c_unauth_temp(const struct au_policy_input *in)
{
    return c_unauth(in) && (in->spf == AU_RESULT_TEMPERROR || dkim_any(in, AU_RESULT_TEMPERROR));
}

static bool c_iprev_temp(const struct au_policy_input *in)
{
    return in->iprev == AU_RESULT_TEMPERROR;
}

static bool c_iprev(const struct au_policy_input *in)
{
    return in->iprev == AU_RESULT_FAIL || in->iprev == AU_RESULT_PERMERROR;
}

static bool c_unauth_temp_reject(const struct au_policy_input *in)
{
    return c_unauth_temp(in) && in->dmarc_policy == AU_POLICY_DMARC_REJECT;
}

static bool c_spf_hardfail(const struct au_policy_input *in)
{
    return c_unauth(in) && in->spf == AU_RESULT_FAIL && in->spf_all;
}

static bool c_dmarc_temp(const struct au_policy_input *in)
{
    if (in->from_aligned)
        return false; /* an aligned pass settles DMARC whatever else failed */
    return in->dmarc == AU_RESULT_TEMPERROR ||
           (in->dmarc_unsettled && in->dmarc == AU_RESULT_FAIL &&
            in->dmarc_policy == AU_POLICY_DMARC_REJECT);
}

static bool c_dmarc_reject(const struct au_policy_input *in)
{
    return in->dmarc == AU_RESULT_FAIL && in->dmarc_policy == AU_POLICY_DMARC_REJECT;
}

static bool c_bulk_spf(const struct au_policy_input *in)
{
    return in->spf != AU_RESULT_PASS;
}

static bool c_bulk_dkim(const struct au_policy_input *in)
{
    return !dkim_any(in, AU_RESULT_PASS);
}

static bool c_bulk_dmarc_record(const struct au_policy_input *in)
{
    return !in->dmarc_record || in->dmarc_policy == AU_POLICY_DMARC_ABSENT;
}

static bool c_bulk_align(const struct au_policy_input *in)
{
    return !in->from_aligned;
}

static bool c_bulk_tls(const struct au_policy_input *in)
{
    return !in->tls;
}

static bool has(const struct au_policy_input *in, enum au_format_rule r)
{
    return (in->format.rules & AU_FORMAT_BIT(r)) != 0;
}

static bool c_from_missing(const struct au_policy_input *in)
{
    return has(in, AU_FORMAT_FROM_MISSING);
}

static bool c_from_multiple(const struct au_policy_input *in)
{
    return has(in, AU_FORMAT_FROM_MULTIPLE);
}

static bool c_from_addresses(const struct au_policy_input *in)
{
    return has(in, AU_FORMAT_FROM_ADDRESSES);
}

static bool c_from_invalid(const struct au_policy_input *in)
{
    return has(in, AU_FORMAT_FROM_INVALID);
}

static bool c_message_id(const struct au_policy_input *in)
{
    return has(in, AU_FORMAT_MSGID_MISSING) || has(in, AU_FORMAT_MSGID_INVALID);
}

static bool c_duplicate(const struct au_policy_input *in)
{
    return has(in, AU_FORMAT_DUPLICATE);
}

static bool c_quarantine(const struct au_policy_input *in)
{
    return in->dmarc == AU_RESULT_FAIL && in->dmarc_policy == AU_POLICY_DMARC_QUARANTINE;
}

static bool c_always(const struct au_policy_input *in)
{
    return true;
}

/* ---- the tables ---- */

/* clang-format off */

#define W_IPREV_TEMP "the client IP's PTR/forward lookups failed temporarily (iprev temperror)"
#define W_IPREV "the client IP has no PTR record, or no PTR name resolves back to it (iprev)"
#define W_UNAUTH_TEMP_REJECT                                                               \
    "neither SPF nor DKIM passed, a lookup failed temporarily, and the From domain's "     \
    "DMARC policy is reject: deferred (RFC 7208 8.6)"
#define W_UNAUTH_TEMP                                                                      \
    "neither SPF nor DKIM passed and a lookup failed temporarily: deferred (RFC 7208 8.6)"
#define W_SPF_HARDFAIL "neither SPF nor DKIM passed, and SPF failed on the record's -all"
#define W_UNAUTH "neither SPF nor any DKIM signature passed (unauthenticated sender)"
#define W_DMARC_TEMP                                                                       \
    "DMARC could not be settled: nothing aligned passed and a lookup failed temporarily"
#define W_DMARC_REJECT "DMARC failed and the From domain's policy is reject"
#define W_BULK_SPF "bulk senders must pass SPF"
#define W_BULK_DKIM "bulk senders must pass DKIM"
#define W_BULK_DMARC "bulk senders must publish a DMARC record with a p= policy"
#define W_BULK_ALIGN "bulk senders' From must align with a passing SPF or DKIM domain"
#define W_BULK_TLS "bulk senders must send over TLS"
#define W_FROM_MISSING "RFC 5322: the message has no From field"
#define W_FROM_MULTIPLE "RFC 5322: the message has several From fields"
#define W_FROM_ADDRESSES "RFC 5322: the From field holds several addresses"
#define W_FROM_INVALID "RFC 5322: the From field has no valid address or domain"
#define W_MSGID "RFC 5322: the Message-ID field is missing or not a valid msg-id"
#define W_DUPLICATE "RFC 5322: a field that may appear once appears more than once"
#define W_QUARANTINE "DMARC failed under a quarantine policy: accepted to spam (dis=QUARANTINE)"
#define W_ACCEPT "every rule passed"

#define R(name, cond, id, why) {name, cond, id, AU_POLICY_DIS_NONE, why}

#define RULES_HEAD(ptr_id, unauth_id, hardfail_id, reject_id)                               \
    R("iprev-temperror", c_iprev_temp, AU_CAT_PTR_TEMP, W_IPREV_TEMP),                      \
    R("iprev", c_iprev, ptr_id, W_IPREV),                                                   \
    R("unauthenticated-temperror-reject", c_unauth_temp_reject, AU_CAT_DMARC_DNS_TEMP,       \
      W_UNAUTH_TEMP_REJECT),                                                                \
    R("unauthenticated-temperror", c_unauth_temp, AU_CAT_UNAUTH_TEMP, W_UNAUTH_TEMP),       \
    R("spf-hardfail", c_spf_hardfail, hardfail_id, W_SPF_HARDFAIL),                         \
    R("unauthenticated", c_unauth, unauth_id, W_UNAUTH),                                    \
    R("dmarc-temperror", c_dmarc_temp, AU_CAT_DMARC_DNS_TEMP, W_DMARC_TEMP),                \
    R("dmarc-reject", c_dmarc_reject, reject_id, W_DMARC_REJECT)

#define RULES_BULK(spf_id, dkim_id, dmarc_id, tls_id)                                       \
    R("bulk-spf", c_bulk_spf, spf_id, W_BULK_SPF),                                          \
    R("bulk-dkim", c_bulk_dkim, dkim_id, W_BULK_DKIM),                                      \
    R("bulk-dmarc-record", c_bulk_dmarc_record, dmarc_id, W_BULK_DMARC),                    \
    R("bulk-alignment", c_bulk_align, AU_CAT_BULK_ALIGN, W_BULK_ALIGN),                     \
    R("bulk-tls", c_bulk_tls, tls_id, W_BULK_TLS)

#define RULES_TAIL                                                                          \
    R("rfc5322-from-missing", c_from_missing, AU_CAT_RFC_FROM_MISSING, W_FROM_MISSING),     \
    R("rfc5322-from-multiple", c_from_multiple, AU_CAT_RFC_FROM_MULTIPLE, W_FROM_MULTIPLE), \
    R("rfc5322-from-addresses", c_from_addresses, AU_CAT_RFC_FROM_ADDRESSES,                \
      W_FROM_ADDRESSES),                                                                    \
    R("rfc5322-from-invalid", c_from_invalid, AU_CAT_RFC_FROM_INVALID, W_FROM_INVALID),     \
    R("rfc5322-message-id", c_message_id, AU_CAT_RFC_MESSAGE_ID, W_MSGID),                  \
    R("rfc5322-duplicate", c_duplicate, AU_CAT_RFC_DUPLICATE, W_DUPLICATE),                 \
    {"dmarc-quarantine", c_quarantine, AU_CAT_ACCEPTED, AU_POLICY_DIS_QUARANTINE,           \
     W_QUARANTINE},                                                                         \
    R("accept", c_always, AU_CAT_ACCEPTED, W_ACCEPT)

static const struct au_policy_rule gmail_rules[] = {
    RULES_HEAD(AU_CAT_PTR, AU_CAT_UNAUTH, AU_CAT_SPF_HARDFAIL, AU_CAT_DMARC_REJECT),
    RULES_TAIL,
};

static const struct au_policy_rule bulk_rules[] = {
    RULES_HEAD(AU_CAT_PTR, AU_CAT_UNAUTH, AU_CAT_SPF_HARDFAIL, AU_CAT_DMARC_REJECT),
    RULES_BULK(AU_CAT_BULK_SPF, AU_CAT_BULK_DKIM, AU_CAT_BULK_DMARC_RECORD, AU_CAT_BULK_TLS),
    RULES_TAIL,
};

static const struct au_policy_rule tempfail_rules[] = {
    RULES_HEAD(AU_CAT_PTR_TEMP, AU_CAT_UNAUTH_TEMP, AU_CAT_UNAUTH_TEMP,
               AU_CAT_DMARC_REJECT_TEMP),
    RULES_BULK(AU_CAT_BULK_SPF_TEMP, AU_CAT_BULK_DKIM_TEMP, AU_CAT_BULK_DMARC_RECORD_TEMP,
               AU_CAT_BULK_TLS_TEMP),
    RULES_TAIL,
};

static const struct au_policy_rule observe_rules[] = {
    R("observe", c_always, AU_CAT_ACCEPTED, "observe accepts every message"),
};

/* clang-format on */

struct au_policy_profile {
    const char *name;
    const char *summary;
    const struct au_policy_rule *rules;
    size_t n;
    const struct au_policy_profile *observe; /* accept all, annotate with this profile */
};

#define TABLE(t) t, sizeof t / sizeof *t

static const struct au_policy_profile profiles[] = {
    {"gmail", "rules for all senders, permanent refusals (Gmail today)", TABLE(gmail_rules), NULL},
    {"gmail-bulk", "gmail plus the bulk-sender rules (SPF and DKIM, DMARC record, alignment, TLS)",
     TABLE(bulk_rules), NULL},
    {"gmail-tempfail", "the gmail-bulk rules answered with their 4xx forms (February 2024)",
     TABLE(tempfail_rules), NULL},
    {"observe", "accept every message; note what gmail would answer", TABLE(observe_rules),
     &profiles[0]},
};
#define NPROFILES (sizeof profiles / sizeof *profiles)

const struct au_policy_profile *au_policy_profile_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < NPROFILES; i++)
        if (!strcmp(profiles[i].name, name))
            return &profiles[i];
    return NULL;
}

const struct au_policy_profile *au_policy_profile_at(size_t i)
{
    return i < NPROFILES ? &profiles[i] : NULL;
}

const char *au_policy_profile_name(const struct au_policy_profile *p)
{
    return p->name;
}

const char *au_policy_profile_summary(const struct au_policy_profile *p)
{
    return p->summary;
}

const struct au_policy_rule *au_policy_rules(const struct au_policy_profile *p, size_t *n)
{
    *n = p->n;
    return p->rules;
}

void au_policy_verdict_clear(struct au_policy_verdict *v)
{
    au_reply_clear(&v->reply);
}

static const struct au_policy_rule *first_match(const struct au_policy_profile *p,
                                                const struct au_policy_input *in)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->rules[i].when(in))
            return &p->rules[i];
    return &p->rules[p->n - 1]; /* every table ends with a rule that always holds */
}

static void render(enum au_catalog_id id, const struct au_policy_input *in, struct au_reply *r)
{
    struct au_catalog_values v = {
        .ip = in->client_ip,
        .domain = in->spf_domain,
        .from_domain = in->from_domain ? in->from_domain : in->format.from_domain,
        .header = in->format.duplicate,
        .epoch = in->now,
    };
    au_catalog_render(id, &v, r);
}

void au_policy_evaluate(const struct au_policy_profile *p, const struct au_policy_input *in,
                        struct au_policy_verdict *out)
{
    struct au_reply keep = out->reply;
    memset(out, 0, sizeof *out);
    out->reply = keep;
    out->profile = p->name;

    if (p->observe) {
        const struct au_policy_rule *would = first_match(p->observe, in);
        const struct au_catalog_entry *e = au_catalog_get(would->reply);
        out->accept = true;
        out->reply_id = AU_CAT_ACCEPTED;
        out->rule = p->rules[0].name;
        out->observed_rule = would->name;
        out->observed_id = would->reply;
        bool failed =
            in->dmarc == AU_RESULT_FAIL && (in->dmarc_policy == AU_POLICY_DMARC_QUARANTINE ||
                                            in->dmarc_policy == AU_POLICY_DMARC_REJECT);
        out->dis = failed ? AU_POLICY_DIS_QUARANTINE : AU_POLICY_DIS_NONE;
        snprintf(out->explanation, sizeof out->explanation,
                 "observe: accepted; %s would answer %d %s (rule %s: %s)", p->observe->name,
                 e->code, e->enhanced, would->name, would->why);
        render(AU_CAT_ACCEPTED, in, &out->reply);
        return;
    }

    const struct au_policy_rule *r = first_match(p, in);
    out->rule = r->name;
    out->reply_id = r->reply;
    out->accept = r->reply == AU_CAT_ACCEPTED;
    out->dis = r->dis;
    const struct au_catalog_entry *e = au_catalog_get(r->reply);
    snprintf(out->explanation, sizeof out->explanation, "%s %s (%s): %s",
             out->accept ? "accepted" : "refused", e->enhanced, r->name, r->why);
    render(r->reply, in, &out->reply);
}
