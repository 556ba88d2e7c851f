/*
 * dmarc - DMARC evaluation (RFC 7489) as a resumable check.
 *
 * Public: au_dmarc_new, au_dmarc_free, au_dmarc_step, au_dmarc_discovered,
 * au_dmarc_evaluate, au_dmarc_outcome, au_dmarc_ar_clause.
 *
 * Policy discovery (RFC 7489 6.6.3): TXT at _dmarc.<From domain>; records not
 * starting with v=DMARC1 are dropped; if none is left, TXT at
 * _dmarc.<Organizational Domain> (auth/orgdomain.c, libpsl) when that differs.
 * Several DMARC records at the name found, or none at all: no DMARC
 * processing (result none).  The record is parsed by auth/dmarc_record.c.
 * A temporary DNS failure stops discovery with temperror (the RFC allows
 * either that or carrying on as if there were no record; Gmail defers, so we
 * must know).  A malformed answer is treated like a temporary failure.
 *
 * Alignment (3.1): DKIM d= and the SPF domain (MAIL FROM, or HELO for the
 * null sender, as the caller gives it) against the From domain: strict is
 * equality, relaxed is equal Organizational Domains.  DMARC passes when one
 * aligned identifier passes.
 *
 * The policy (6.3): p, or sp when the record was found at the Organizational
 * Domain and the From domain is below it.  pct is recorded but not sampled:
 * every message is treated as selected (DECISIONS.md rule 3).
 *
 * Limits: AU_DMARC_IDS_MAX DKIM signatures are aligned; AU_DMARC_RECORD_MAX
 * bytes per record (longer ones are permerror).
 */
#include "dmarc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orgdomain.h"
#include "xalloc.h"

#define TXT_JOIN_MAX 65536   /* bytes of one joined TXT record (its wire limit) */
#define EXPLANATION_MAX 8192 /* bytes of the explanation */
#define TRAIL_MAX 1024       /* bytes of the discovery trail */

enum state {
    ST_START,
    ST_WAIT_FROM,
    ST_WAIT_ORG,
    ST_DONE,
};

struct au_dmarc {
    const psl_ctx_t *psl;
    char *from; /* normalized From domain, or NULL */
    char *org;  /* its Organizational Domain, or NULL */
    enum state st;
    enum au_dmarc_discovery disc;
    const char *record_domain; /* from or org, when a record was seen */
    char *record_text;
    struct au_dmarc_record rec;
    struct au_buf trail; /* "_dmarc.x: NXDOMAIN; ..." */

    struct au_dmarc_outcome out;
    struct au_dmarc_row *rows;
    char **row_domains;
    size_t nrows;
    struct au_buf expl;
};

struct au_dmarc *au_dmarc_new(const psl_ctx_t *psl, const char *from_domain)
{
    struct au_dmarc *d = au_xcalloc(1, sizeof *d);
    d->psl = psl;
    d->from = au_orgdomain_normalize(from_domain);
    if (d->from != NULL)
        d->org = au_orgdomain_get(psl, d->from);
    au_dmarc_record_clear(&d->rec);
    au_buf_init(&d->trail, TRAIL_MAX);
    au_buf_init(&d->expl, EXPLANATION_MAX);
    return d;
}

static void free_rows(struct au_dmarc *d)
{
    for (size_t i = 0; i < d->nrows; i++)
        free(d->row_domains[i]);
    free(d->row_domains);
    free(d->rows);
    d->row_domains = NULL;
    d->rows = NULL;
    d->nrows = 0;
}

void au_dmarc_free(struct au_dmarc *d)
{
    if (d == NULL)
        return;
    free(d->from);
    free(d->org);
    free(d->record_text);
    au_dmarc_record_clear(&d->rec);
    au_buf_free(&d->trail);
    au_buf_free(&d->expl);
    free_rows(d);
    free(d);
}

bool au_dmarc_discovered(const struct au_dmarc *d)
{
    return d->st == ST_DONE;
}

/* Appends a note to the discovery trail; a full trail just stops growing. */
static void trail(struct au_dmarc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trail(struct au_dmarc *d, const char *fmt, ...)
{
    va_list ap;
    if (d->trail.len > 0)
        (void)au_buf_puts(&d->trail, "; ");
    va_start(ap, fmt);
    (void)au_buf_vprintf(&d->trail, fmt, ap);
    va_end(ap);
}

static const char *trail_str(const struct au_dmarc *d)
{
    return au_buf_slice(&d->trail).ptr;
}

/* Reads one _dmarc answer into d->rec / d->record_text.  Returns how it ended. */
static enum au_dmarc_discovery take_answer(struct au_dmarc *d, const struct au_dns_answer *a,
                                           const char *domain)
{
    switch (a->status) {
    case AU_DNS_TEMPFAIL:
    case AU_DNS_MALFORMED:
        trail(d, "_dmarc.%s: temporary DNS failure (%s)", domain, a->detail);
        return AU_DMARC_DNS_TEMPFAIL;
    case AU_DNS_NXDOMAIN:
    case AU_DNS_NODATA:
        trail(d, "_dmarc.%s: %s", domain, a->status == AU_DNS_NXDOMAIN ? "NXDOMAIN" : "no TXT");
        return AU_DMARC_NO_RECORD;
    case AU_DNS_RECORDS:
        break;
    }

    struct au_buf txt;
    au_buf_init(&txt, TXT_JOIN_MAX);
    size_t found = 0;
    enum au_dmarc_parse first = AU_DMARC_PARSE_NOT_DMARC;
    for (size_t i = 0; i < a->count; i++) {
        const struct au_dns_rr *rr = &a->rr[i];
        if (rr->type != AU_DNS_TXT || au_dns_txt_join(rr, &txt) < 0)
            continue;
        struct au_dmarc_record rec;
        enum au_dmarc_parse r = au_dmarc_record_parse(au_buf_slice(&txt), &rec);
        if (r == AU_DMARC_PARSE_NOT_DMARC) {
            au_dmarc_record_clear(&rec);
            continue;
        }
        if (++found == 1) {
            first = r;
            au_dmarc_record_clear(&d->rec);
            d->rec = rec;
            free(d->record_text);
            d->record_text = au_xstrndup(txt.data, txt.len);
        } else {
            au_dmarc_record_clear(&rec);
        }
    }
    au_buf_free(&txt);

    if (found == 0) {
        trail(d, "_dmarc.%s: no v=DMARC1 record", domain);
        return AU_DMARC_NO_RECORD;
    }
    d->record_domain = domain;
    if (found > 1) {
        trail(d, "_dmarc.%s: %zu DMARC records (RFC 7489 6.6.3: no DMARC processing)", domain,
              found);
        return AU_DMARC_MULTIPLE;
    }
    switch (first) {
    case AU_DMARC_PARSE_OK:
        trail(d, "_dmarc.%s: record found", domain);
        return AU_DMARC_FOUND;
    case AU_DMARC_PARSE_NO_POLICY:
        trail(d, "_dmarc.%s: %s", domain, d->rec.error);
        return AU_DMARC_NO_POLICY;
    case AU_DMARC_PARSE_SYNTAX:
    case AU_DMARC_PARSE_NOT_DMARC:
        break;
    }
    trail(d, "_dmarc.%s: invalid record: %s", domain, d->rec.error);
    return AU_DMARC_INVALID;
}

/* Asks for TXT _dmarc.<domain>; a name too long to exist counts as no record. */
static bool ask(struct au_dmarc *d, struct au_dns_batch *b, const char *domain)
{
    char name[AU_DNS_NAME_MAX + 16];
    int n = snprintf(name, sizeof name, "_dmarc.%s", domain);
    if (n < 0 || (size_t)n > AU_DNS_NAME_MAX || au_dns_batch_add(b, name, AU_DNS_TXT) < 0) {
        trail(d, "_dmarc.%s: name too long for DNS, no record", domain);
        return false;
    }
    return true;
}

/* Takes the one answer the previous step asked for. */
static enum au_dmarc_discovery take_batch(struct au_dmarc *d, struct au_dns_batch *b,
                                          const char *domain)
{
    if (b->n != 1 || b->a[0] == NULL)
        abort(); /* the driver broke the contract of dns.h */
    enum au_dmarc_discovery r = take_answer(d, b->a[0], domain);
    au_dns_answer_unref(b->a[0]);
    b->a[0] = NULL;
    b->n = 0;
    return r;
}

static enum au_step finish(struct au_dmarc *d, enum au_dmarc_discovery disc)
{
    d->disc = disc;
    d->st = ST_DONE;
    return AU_STEP_DONE;
}

/* After the From domain's answer: the Organizational Domain, if different. */
static enum au_step try_org(struct au_dmarc *d, struct au_dns_batch *b)
{
    if (d->org == NULL || strcmp(d->org, d->from) == 0)
        return finish(d, AU_DMARC_NO_RECORD);
    if (!ask(d, b, d->org))
        return finish(d, AU_DMARC_NO_RECORD);
    d->st = ST_WAIT_ORG;
    return AU_STEP_NEED_DNS;
}

enum au_step au_dmarc_step(void *check, struct au_dns_batch *b)
{
    struct au_dmarc *d = check;
    enum au_dmarc_discovery r;

    switch (d->st) {
    case ST_START:
        if (d->from == NULL)
            return finish(d, AU_DMARC_BAD_FROM);
        if (!ask(d, b, d->from))
            return try_org(d, b);
        d->st = ST_WAIT_FROM;
        return AU_STEP_NEED_DNS;
    case ST_WAIT_FROM:
        r = take_batch(d, b, d->from);
        if (r == AU_DMARC_NO_RECORD)
            return try_org(d, b);
        return finish(d, r);
    case ST_WAIT_ORG:
        return finish(d, take_batch(d, b, d->org));
    case ST_DONE:
        break;
    }
    return AU_STEP_DONE;
}

/* Fills row->aligned and row->why for an identifier domain. */
static void align(struct au_dmarc *d, struct au_dmarc_row *row, enum au_dmarc_align mode,
                  const char *tag)
{
    char *id = row->domain[0] ? au_orgdomain_normalize(row->domain) : NULL;
    row->aligned = false;
    if (id == NULL) {
        snprintf(row->why, sizeof row->why, "no usable domain");
    } else if (strcmp(id, d->from) == 0) {
        row->aligned = true;
        snprintf(row->why, sizeof row->why, "%s is the From domain", id);
    } else if (mode == AU_DMARC_ALIGN_STRICT) {
        snprintf(row->why, sizeof row->why, "strict alignment (%s=s): %s is not %s", tag, id,
                 d->from);
    } else {
        char *org = au_orgdomain_get(d->psl, id);
        if (org != NULL && d->org != NULL && strcmp(org, d->org) == 0) {
            row->aligned = true;
            snprintf(row->why, sizeof row->why,
                     "relaxed alignment: %s and %s share the organizational domain %s", id, d->from,
                     org);
        } else {
            snprintf(row->why, sizeof row->why,
                     "relaxed alignment: organizational domain %s is not %s", org ? org : id,
                     d->org ? d->org : d->from);
        }
        free(org);
    }
    free(id);
    row->passes = row->aligned && row->result == AU_RESULT_PASS;
}

static void add_row(struct au_dmarc *d, enum au_dmarc_method m, enum au_result res,
                    const char *domain)
{
    struct au_dmarc_row *row = &d->rows[d->nrows];
    memset(row, 0, sizeof *row);
    d->row_domains[d->nrows] = au_xstrdup(domain ? domain : "");
    row->method = m;
    row->domain = d->row_domains[d->nrows];
    row->result = res;
    d->nrows++;
    if (m == AU_DMARC_METHOD_SPF)
        align(d, row, d->rec.aspf, "aspf");
    else
        align(d, row, d->rec.adkim, "adkim");
}

/* Builds the alignment table (once); returns whether an aligned identifier
 * passes, and in *temp whether an aligned one failed temporarily. */
static bool table(struct au_dmarc *d, const struct au_dmarc_ids *ids, bool *temp)
{
    if (d->rows == NULL) {
        size_t ndkim = ids && ids->dkim ? ids->dkim_count : 0;
        if (ndkim > AU_DMARC_IDS_MAX)
            ndkim = AU_DMARC_IDS_MAX;
        d->rows = au_xcalloc(ndkim + 1, sizeof *d->rows);
        d->row_domains = au_xcalloc(ndkim + 1, sizeof *d->row_domains);
        add_row(d, AU_DMARC_METHOD_SPF, ids ? ids->spf : AU_RESULT_NONE,
                ids ? ids->spf_domain : NULL);
        for (size_t i = 0; i < ndkim; i++)
            add_row(d, AU_DMARC_METHOD_DKIM, ids->dkim[i].result, ids->dkim[i].domain);
    }
    bool pass = false;
    *temp = false;
    for (size_t i = 0; i < d->nrows; i++) {
        pass = pass || d->rows[i].passes;
        *temp = *temp || (d->rows[i].aligned && d->rows[i].result == AU_RESULT_TEMPERROR);
    }
    return pass;
}

static void explain(struct au_dmarc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void explain(struct au_dmarc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)au_buf_vprintf(&d->expl, fmt, ap);
    va_end(ap);
}

/* The alignment table in words: "SPF example.com pass, aligned (why)". */
static void explain_rows(struct au_dmarc *d)
{
    if (d->nrows == 0)
        return;
    explain(d, " Identifiers:");
    for (size_t i = 0; i < d->nrows; i++) {
        const struct au_dmarc_row *r = &d->rows[i];
        explain(d, "%s %s%s %s, %s (%s)", i ? ";" : "",
                r->method == AU_DMARC_METHOD_SPF ? "SPF " : "DKIM d=",
                r->domain[0] ? r->domain : "(none)", au_result_name(r->result),
                r->aligned ? "aligned" : "not aligned", r->why);
    }
    explain(d, ".");
}

void au_dmarc_evaluate(struct au_dmarc *d, const struct au_dmarc_ids *ids)
{
    if (d->st != ST_DONE)
        abort(); /* evaluate before discovery: a caller bug */

    free_rows(d);
    au_buf_reset(&d->expl);
    struct au_dmarc_outcome *o = &d->out;
    memset(o, 0, sizeof *o);
    o->discovery = d->disc;
    o->from_domain = d->from;
    o->org_domain = d->org;
    o->policy = AU_DMARC_POLICY_UNSET;
    o->disposition = AU_DMARC_POLICY_NONE;

    const char *from = d->from ? d->from : "(none)";
    switch (d->disc) {
    case AU_DMARC_BAD_FROM:
        o->result = AU_RESULT_PERMERROR;
        explain(d, "DMARC permerror: the message has no usable From domain.");
        break;
    case AU_DMARC_DNS_TEMPFAIL:
        o->result = AU_RESULT_TEMPERROR;
        o->dns_temperror = true;
        o->unsettled = true;
        explain(d, "DMARC temperror for %s: the policy lookup failed temporarily (%s).", from,
                trail_str(d));
        break;
    case AU_DMARC_NO_RECORD:
    case AU_DMARC_MULTIPLE:
    case AU_DMARC_NO_POLICY:
        o->result = AU_RESULT_NONE;
        explain(d, "DMARC none for %s: no policy applies (%s).", from, trail_str(d));
        break;
    case AU_DMARC_INVALID:
        o->result = AU_RESULT_PERMERROR;
        explain(d, "DMARC permerror for %s (%s).", from, trail_str(d));
        break;
    case AU_DMARC_FOUND:
        break;
    }
    if (d->disc == AU_DMARC_INVALID || d->disc == AU_DMARC_NO_POLICY ||
        d->disc == AU_DMARC_MULTIPLE) {
        o->record_domain = d->record_domain;
        o->record_text = d->record_text;
    }
    o->record = d->rec;
    if (d->disc == AU_DMARC_DNS_TEMPFAIL && d->from && d->org) {
        /* The policy is unknown, but alignment needs no DNS (relaxed by
         * default): an aligned pass settles DMARC whatever the record says
         * (DECISIONS.md rule 3), so only then is the message not deferred. */
        bool temp = false;
        if (table(d, ids, &temp)) {
            o->unsettled = false;
            explain(d, " An aligned identifier passes, so DMARC cannot fail.");
        }
        o->rows = d->nrows;
        o->row = d->rows;
    }
    if (d->disc != AU_DMARC_FOUND) {
        o->explanation = au_buf_slice(&d->expl).ptr;
        return;
    }

    o->record_found = true;
    o->record_domain = d->record_domain;
    o->record_text = d->record_text;
    o->subdomain = d->record_domain == d->org && strcmp(d->from, d->org) != 0;
    o->policy = o->subdomain && d->rec.sp != AU_DMARC_POLICY_UNSET ? d->rec.sp : d->rec.p;

    bool temp = false;
    bool pass = table(d, ids, &temp);
    o->rows = d->nrows;
    o->row = d->rows;
    if (pass) {
        o->result = AU_RESULT_PASS;
    } else if (temp) {
        /* An aligned identifier might still pass once DNS answers: not settled. */
        o->result = AU_RESULT_TEMPERROR;
        o->unsettled = true;
    } else {
        o->result = AU_RESULT_FAIL;
        o->disposition = o->policy;
    }

    explain(d, "DMARC %s for %s: record at _dmarc.%s%s (p=%s", au_result_name(o->result), d->from,
            d->record_domain, o->subdomain ? ", the organizational domain" : "",
            au_dmarc_policy_name(d->rec.p));
    if (d->rec.sp != AU_DMARC_POLICY_UNSET)
        explain(d, " sp=%s", au_dmarc_policy_name(d->rec.sp));
    explain(d, " adkim=%s aspf=%s pct=%u)%s.", d->rec.adkim == AU_DMARC_ALIGN_STRICT ? "s" : "r",
            d->rec.aspf == AU_DMARC_ALIGN_STRICT ? "s" : "r", d->rec.pct,
            d->rec.p_implied ? "; p is taken as none: the record has no valid p but a valid rua "
                               "(RFC 7489 6.6.3)"
                             : "");
    if (o->result == AU_RESULT_PASS)
        explain(d, " An aligned identifier passed.");
    else if (o->result == AU_RESULT_TEMPERROR)
        explain(d, " Nothing aligned passed, but an aligned identifier had a temporary DNS "
                   "error.");
    else
        explain(d, " No aligned identifier passed: the %s policy %s applies%s.",
                o->subdomain && d->rec.sp != AU_DMARC_POLICY_UNSET ? "subdomain" : "domain's",
                au_dmarc_policy_name(o->policy),
                d->rec.pct < 100 ? " (pct is recorded, not sampled: every message is treated "
                                   "as selected)"
                                 : "");
    explain_rows(d);
    o->explanation = au_buf_slice(&d->expl).ptr;
}

const struct au_dmarc_outcome *au_dmarc_outcome(const struct au_dmarc *d)
{
    return &d->out;
}

int au_dmarc_ar_clause(const struct au_dmarc *d, struct au_buf *out)
{
    return au_dmarc_ar_clause_dis(d, d->out.disposition, out);
}

int au_dmarc_ar_clause_dis(const struct au_dmarc *d, enum au_dmarc_policy dis,
                           struct au_buf *out)
{
    const struct au_dmarc_outcome *o = &d->out;
    size_t mark = out->len;
    int rc = 0;

    switch (d->disc) {
    case AU_DMARC_NO_RECORD:
    case AU_DMARC_MULTIPLE:
    case AU_DMARC_NO_POLICY:
        /* DECISION: Gmail's A-R headers for domains without a DMARC record
         * carry no dmarc clause at all (REFERENCE.md 5.3, "dmarc absent",
         * UNCONFIRMED); we write none either.  The JSON event and the
         * explanation still say "none". */
        return 0;
    case AU_DMARC_BAD_FROM:
        /* DECISION: Gmail's rendering of permerror is unconfirmed; without a
         * usable domain there is no header.from to give. */
        return au_buf_puts(out, "dmarc=permerror");
    case AU_DMARC_DNS_TEMPFAIL:
    case AU_DMARC_INVALID:
        /* DECISION: temperror/permerror without a policy to show: the result
         * and header.from only (REFERENCE.md 5.3: rendering UNCONFIRMED). */
        return au_buf_printf(out, "dmarc=%s header.from=%s", au_result_name(o->result), d->from);
    case AU_DMARC_FOUND:
        break;
    }
    /* sp= shows the subdomain policy in effect: p when sp is absent, as in
     * Gmail's stamps (p=REJECT sp=REJECT for oracle.com). */
    enum au_dmarc_policy sp = d->rec.sp != AU_DMARC_POLICY_UNSET ? d->rec.sp : d->rec.p;
    rc = au_buf_printf(out, "dmarc=%s (p=%s sp=%s dis=%s) header.from=%s",
                       au_result_name(o->result), au_dmarc_policy_upper(d->rec.p),
                       au_dmarc_policy_upper(sp), au_dmarc_policy_upper(dis), d->from);
    if (rc < 0)
        au_buf_truncate(out, mark);
    return rc;
}
