/*
 * iprev - forward-confirmed reverse DNS as a resumable check.
 *
 * Public: au_iprev_new, au_iprev_free, au_iprev_step, au_iprev_outcome.
 *
 * RFC 8601 section 3: look up the PTR records of the client address; for
 * each name look up the address records of the client's family; the check
 * passes when one of them is the client address.  The results:
 *  - pass: a name resolves back to the address (even if another name's
 *    lookup failed: one confirmation is enough);
 *  - permerror: no PTR data (NXDOMAIN, or no PTR records) - DECISIONS.md
 *    rule 1, as RFC 8601 defines it;
 *  - fail: PTR names exist but none resolves back (their lookups answered
 *    with other addresses, NXDOMAIN or no data);
 *  - temperror: the PTR lookup failed temporarily, or no name confirmed and
 *    at least one forward lookup failed temporarily (it might have).
 * A malformed answer counts as a temporary failure (the server misbehaved).
 *
 * Limits: AU_IPREV_NAMES_MAX PTR names are checked (the first ones in the
 * answer); the rest are counted and named in the explanation.  All forward
 * lookups go out in one batch.
 */
#include "iprev.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define EXPLANATION_MAX 2048

enum state {
    ST_START,
    ST_WAIT_PTR,
    ST_WAIT_FORWARD,
    ST_DONE,
};

struct au_iprev {
    struct au_ip ip;
    char ip_text[AU_IP_STR_MAX];
    char reverse[AU_IP_REVERSE_MAX];
    enum state st;
    char *names[AU_IPREV_NAMES_MAX];
    struct au_iprev_name name[AU_IPREV_NAMES_MAX];
    size_t asked[AU_IPREV_NAMES_MAX]; /* batch slot -> name index */
    size_t nasked;
    struct au_buf expl;
    struct au_iprev_outcome out;
};

struct au_iprev *au_iprev_new(const struct au_ip *ip)
{
    struct au_iprev *v = au_xcalloc(1, sizeof *v);
    v->ip = *ip;
    au_ip_unmap(&v->ip);
    au_ip_format(&v->ip, v->ip_text);
    au_ip_reverse_name(&v->ip, v->reverse);
    au_buf_init(&v->expl, EXPLANATION_MAX);
    v->out.result = AU_RESULT_NONE;
    v->out.ip = v->ip_text;
    v->out.reverse_name = v->reverse;
    v->out.name = v->name;
    v->out.explanation = "";
    return v;
}

void au_iprev_free(struct au_iprev *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < AU_IPREV_NAMES_MAX; i++)
        free(v->names[i]);
    au_buf_free(&v->expl);
    free(v);
}

const struct au_iprev_outcome *au_iprev_outcome(const struct au_iprev *v)
{
    return &v->out;
}

static void explain(struct au_iprev *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void explain(struct au_iprev *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)au_buf_vprintf(&v->expl, fmt, ap);
    va_end(ap);
}

/* Every path that explains ends here, so the explanation is published once,
 * when the buffer has stopped moving. */
static enum au_step finish(struct au_iprev *v, enum au_result r)
{
    v->out.explanation = au_buf_slice(&v->expl).ptr;
    v->out.result = r;
    v->st = ST_DONE;
    return AU_STEP_DONE;
}

static const char *status_words(const struct au_dns_answer *a)
{
    switch (a->status) {
    case AU_DNS_NXDOMAIN:
        return "NXDOMAIN";
    case AU_DNS_NODATA:
        return "no records";
    case AU_DNS_TEMPFAIL:
        return a->detail;
    case AU_DNS_MALFORMED:
        return "malformed answer";
    case AU_DNS_RECORDS:
        break;
    }
    return "records";
}

/* Takes the PTR answer and asks for the names' addresses. */
static enum au_step take_ptr(struct au_iprev *v, struct au_dns_batch *b)
{
    if (b->n != 1 || b->a[0] == NULL)
        abort(); /* the driver broke the contract of dns.h */
    struct au_dns_answer *a = b->a[0];
    b->a[0] = NULL;
    b->n = 0;

    enum au_dns_status st = a->status;
    if (st == AU_DNS_TEMPFAIL || st == AU_DNS_MALFORMED) {
        explain(v, "iprev temperror for %s: the PTR lookup of %s failed temporarily (%s).",
                v->ip_text, v->reverse, status_words(a));
        au_dns_answer_unref(a);
        return finish(v, AU_RESULT_TEMPERROR);
    }

    size_t n = 0;
    if (st == AU_DNS_RECORDS) {
        for (size_t i = 0; i < a->count; i++) {
            if (a->rr[i].type != AU_DNS_PTR)
                continue;
            v->out.ptr_total++;
            const char *name = a->rr[i].u.name;
            /* The root, or a name that cannot be asked, is kept (it is
             * what was published) but cannot confirm anything. */
            if (n < AU_IPREV_NAMES_MAX) {
                v->names[n] = au_xstrdup(name);
                v->name[n].name = v->names[n];
                v->name[n].forward = AU_DNS_NXDOMAIN;
                if (name[0] != '\0' &&
                    au_dns_batch_add(b, name, v->ip.family == AU_IP_V4 ? AU_DNS_A : AU_DNS_AAAA) ==
                        0)
                    v->asked[v->nasked++] = n;
                n++;
            }
        }
    }
    v->out.names = n;
    if (n == 0) {
        explain(v, "iprev permerror for %s: no PTR record at %s (%s).", v->ip_text, v->reverse,
                st == AU_DNS_RECORDS ? "no PTR records" : status_words(a));
        au_dns_answer_unref(a);
        return finish(v, AU_RESULT_PERMERROR);
    }
    au_dns_answer_unref(a);
    if (v->nasked == 0) {
        explain(v, "iprev fail for %s: no PTR name of %s can be looked up.", v->ip_text,
                v->reverse);
        return finish(v, AU_RESULT_FAIL);
    }
    v->st = ST_WAIT_FORWARD;
    return AU_STEP_NEED_DNS;
}

static bool contains(const struct au_iprev *v, const struct au_dns_answer *a)
{
    if (a->status != AU_DNS_RECORDS)
        return false;
    for (size_t i = 0; i < a->count; i++) {
        const struct au_dns_rr *rr = &a->rr[i];
        if (v->ip.family == AU_IP_V4 && rr->type == AU_DNS_A && memcmp(rr->u.a, v->ip.addr, 4) == 0)
            return true;
        if (v->ip.family == AU_IP_V6 && rr->type == AU_DNS_AAAA &&
            memcmp(rr->u.aaaa, v->ip.addr, 16) == 0)
            return true;
    }
    return false;
}

static enum au_step take_forward(struct au_iprev *v, struct au_dns_batch *b)
{
    if (b->n != v->nasked)
        abort(); /* the driver broke the contract of dns.h */
    bool temp = false;
    for (size_t i = 0; i < b->n; i++) {
        struct au_dns_answer *a = b->a[i];
        if (a == NULL)
            abort();
        struct au_iprev_name *nm = &v->name[v->asked[i]];
        nm->forward = a->status == AU_DNS_MALFORMED ? AU_DNS_TEMPFAIL : a->status;
        nm->confirmed = contains(v, a);
        if (nm->forward == AU_DNS_TEMPFAIL)
            temp = true;
        if (nm->confirmed && v->out.confirmed == NULL)
            v->out.confirmed = nm->name;
        au_dns_answer_unref(a);
        b->a[i] = NULL;
    }
    b->n = 0;

    const char *type = v->ip.family == AU_IP_V4 ? "A" : "AAAA";
    enum au_result r;
    if (v->out.confirmed != NULL) {
        r = AU_RESULT_PASS;
        explain(v, "iprev pass for %s: %s points to %s, whose %s records include it.", v->ip_text,
                v->reverse, v->out.confirmed, type);
    } else if (temp) {
        r = AU_RESULT_TEMPERROR;
        explain(v,
                "iprev temperror for %s: no PTR name confirmed the address yet, and a "
                "forward lookup failed temporarily.",
                v->ip_text);
    } else {
        r = AU_RESULT_FAIL;
        explain(v, "iprev fail for %s: no PTR name of %s has an %s record with this address.",
                v->ip_text, v->reverse, type);
    }
    explain(v, " Names:");
    for (size_t i = 0; i < v->out.names; i++) {
        const struct au_iprev_name *nm = &v->name[i];
        explain(v, "%s %s (%s)", i ? "," : "", nm->name[0] ? nm->name : "(root)",
                nm->confirmed                    ? "confirmed"
                : nm->forward == AU_DNS_RECORDS  ? "other addresses"
                : nm->forward == AU_DNS_NODATA   ? "no address records"
                : nm->forward == AU_DNS_TEMPFAIL ? "temporary DNS failure"
                                                 : "NXDOMAIN");
    }
    explain(v, ".");
    if (v->out.ptr_total > v->out.names)
        explain(v, " %zu more PTR names were not checked (limit %d).",
                v->out.ptr_total - v->out.names, AU_IPREV_NAMES_MAX);
    return finish(v, r);
}

enum au_step au_iprev_step(void *check, struct au_dns_batch *b)
{
    struct au_iprev *v = check;
    switch (v->st) {
    case ST_START:
        if (au_dns_batch_add(b, v->reverse, AU_DNS_PTR) < 0)
            abort(); /* a reverse name always fits */
        v->st = ST_WAIT_PTR;
        return AU_STEP_NEED_DNS;
    case ST_WAIT_PTR:
        return take_ptr(v, b);
    case ST_WAIT_FORWARD:
        return take_forward(v, b);
    case ST_DONE:
        break;
    }
    return AU_STEP_DONE;
}
