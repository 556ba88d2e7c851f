/*
 * assess - one message judged as Gmail would judge it (see assess.h).
 *
 * Public: au_assess_{new,free,spf,data,end,headers_done,dkim,dmarc,
 * message_id,format,decide,verdict,trace_headers}.
 *
 * The content is split by auth/msg into header fields and body; every field
 * goes to the DKIM verifier and the format checker, and the first
 * Message-ID is kept.  At the end of the header block the format findings
 * give the From domain, and the DMARC check for it is created, so that its
 * lookups run while the body still streams.  At the end, DMARC is evaluated
 * over SPF's and DKIM's results and the profile turns everything into the
 * verdict (ARCHITECTURE.md data flow).
 */
#include "assess.h"

#include <stdlib.h>
#include <string.h>

#include "ar.h"
#include "spf_record.h"
#include "xalloc.h"

#define ASSESS_MSGID_MAX 998   /* RFC 5322 2.1.1: a line's limit */
#define ASSESS_CLAUSE_MAX 4096

struct au_assess {
    struct au_assess_params p;
    char *helo, *mail_from, *receiver;
    struct au_spf *spf;
    struct au_msg *msg;
    struct au_msg_sink sink;
    struct au_dkim_verify *dkim;
    bool own_dkim;
    struct au_dkim_config dkim_cfg;
    struct au_format *format;
    struct au_format_result format_result;
    bool headers_done;
    bool ended;
    struct au_dmarc *dmarc;
    char *message_id;
    bool decided;
    struct au_policy_verdict verdict;
};

static void on_field(void *arg, struct au_slice name, struct au_slice raw)
{
    struct au_assess *a = arg;
    au_dkim_verify_field(a->dkim, name, raw);
    au_format_field(a->format, name, raw);
    if (a->message_id == NULL && au_slice_eq_ci(name, "Message-ID")) {
        /* The value: after the colon, unfolded, trimmed. */
        const char *colon = memchr(raw.ptr, ':', raw.len);
        if (colon == NULL)
            return;
        size_t n = raw.len - (size_t)(colon + 1 - raw.ptr);
        char *v = au_xmalloc(n + 1);
        size_t k = 0;
        for (const char *q = colon + 1; q < raw.ptr + raw.len && k < ASSESS_MSGID_MAX; q++)
            if (*q != '\r' && *q != '\n')
                v[k++] = *q == '\t' ? ' ' : *q;
        /* Unfolded; now trimmed in place. */
        struct au_slice t = au_slice_trim(au_slice_make(v, k));
        memmove(v, t.ptr, t.len);
        v[t.len] = '\0';
        a->message_id = v;
    }
}

static void on_end_headers(void *arg)
{
    struct au_assess *a = arg;
    a->headers_done = true;
    au_dkim_verify_end_headers(a->dkim);
    a->format_result = *au_format_finish(a->format);
    const char *from = a->format_result.from_domain;
    if (from[0] != '\0' && a->p.psl != NULL)
        a->dmarc = au_dmarc_new(a->p.psl, from);
}

static void on_body(void *arg, const char *p, size_t n)
{
    struct au_assess *a = arg;
    au_dkim_verify_body(a->dkim, p, n);
}

static void on_end(void *arg)
{
    struct au_assess *a = arg;
    au_dkim_verify_end_body(a->dkim);
}

struct au_assess *au_assess_new(const struct au_assess_params *p)
{
    struct au_assess *a = au_xcalloc(1, sizeof *a);
    a->p = *p;
    a->helo = au_xstrdup(p->helo ? p->helo : "");
    a->mail_from = au_xstrdup(p->mail_from ? p->mail_from : "");
    a->receiver = au_xstrdup(p->receiver ? p->receiver : AU_SPF_RECEIVER_DEFAULT);
    a->p.helo = a->helo;
    a->p.mail_from = a->mail_from;
    a->p.receiver = a->receiver;

    struct au_spf_params sp = {
        .ip = p->ip,
        .mail_from = a->mail_from,
        .helo = a->helo,
        .receiver = a->receiver,
        .now = (uint64_t)p->now,
        .identity = AU_SPF_ID_MAILFROM,
    };
    a->spf = au_spf_new(&sp);

    if (p->dkim)
        a->dkim_cfg = *p->dkim;
    else
        au_dkim_config_default(&a->dkim_cfg);
    if (p->dkim_verifier) {
        a->dkim = p->dkim_verifier;
        au_dkim_verify_reset(a->dkim, p->now);
    } else {
        a->dkim = au_dkim_verify_new(&a->dkim_cfg, p->now);
        a->own_dkim = true;
    }
    a->format = au_format_new();
    a->sink.field = on_field;
    a->sink.end_headers = on_end_headers;
    a->sink.body = on_body;
    a->sink.end = on_end;
    a->sink.arg = a;
    a->msg = au_msg_new(&a->sink);
    return a;
}

void au_assess_free(struct au_assess *a)
{
    if (a == NULL)
        return;
    au_spf_free(a->spf);
    au_msg_free(a->msg);
    if (a->own_dkim)
        au_dkim_verify_free(a->dkim);
    au_format_free(a->format);
    au_dmarc_free(a->dmarc);
    if (a->decided)
        au_policy_verdict_clear(&a->verdict);
    free(a->message_id);
    free(a->helo);
    free(a->mail_from);
    free(a->receiver);
    free(a);
}

struct au_spf *au_assess_spf(struct au_assess *a)
{
    return a->spf;
}

int au_assess_data(struct au_assess *a, const char *p, size_t n)
{
    return au_msg_feed(a->msg, p, n) < 0 ? -1 : 0;
}

void au_assess_end(struct au_assess *a)
{
    if (a->ended)
        return;
    a->ended = true;
    au_msg_finish(a->msg);
    /* A message without an empty line after its fields still ends its header
     * block here; the splitter says so through end_headers. */
    if (!a->headers_done)
        on_end_headers(a);
}

bool au_assess_headers_done(const struct au_assess *a)
{
    return a->headers_done;
}

struct au_dkim_verify *au_assess_dkim(struct au_assess *a)
{
    return a->headers_done ? a->dkim : NULL;
}

struct au_dmarc *au_assess_dmarc(struct au_assess *a)
{
    return a->dmarc;
}

const char *au_assess_message_id(const struct au_assess *a)
{
    return a->message_id;
}

const struct au_format_result *au_assess_format(const struct au_assess *a)
{
    return &a->format_result;
}

static enum au_policy_dmarc policy_of(enum au_dmarc_policy p)
{
    switch (p) {
    case AU_DMARC_POLICY_NONE:
        return AU_POLICY_DMARC_NONE;
    case AU_DMARC_POLICY_QUARANTINE:
        return AU_POLICY_DMARC_QUARANTINE;
    case AU_DMARC_POLICY_REJECT:
        return AU_POLICY_DMARC_REJECT;
    default:
        return AU_POLICY_DMARC_ABSENT;
    }
}

void au_assess_decide(struct au_assess *a, const struct au_iprev *iprev)
{
    if (a->decided)
        return;
    au_assess_end(a);
    struct au_policy_input in;
    memset(&in, 0, sizeof in);
    char ip[AU_IP_STR_MAX];
    au_ip_format(&a->p.ip, ip);

    in.iprev = iprev ? au_iprev_outcome(iprev)->result : AU_RESULT_NONE;
    in.spf = au_spf_result(a->spf);
    const struct au_spf_trace *d = au_spf_decided(a->spf);
    /* Gmail's hard-fail text is for a record whose deciding term is -all. */
    in.spf_all = in.spf == AU_RESULT_FAIL && d && d->mech == AU_SPF_MECH_ALL &&
                 d->qualifier == '-';
    in.spf_domain = au_spf_domain(a->spf);
    in.client_ip = ip;

    size_t nsig = au_dkim_verify_count(a->dkim);
    struct au_dmarc_dkim ids_dkim[AU_DMARC_IDS_MAX];
    size_t nids = 0;
    for (size_t i = 0; i < nsig; i++) {
        const struct au_dkim_sig_result *r = au_dkim_verify_result(a->dkim, i);
        if (in.dkim_count < AU_POLICY_DKIM_MAX) {
            in.dkim[in.dkim_count].result = r->result;
            in.dkim[in.dkim_count].domain = r->domain;
            in.dkim_count++;
        }
        if (nids < AU_DMARC_IDS_MAX) {
            ids_dkim[nids].result = r->result;
            ids_dkim[nids].domain = r->domain;
            nids++;
        }
    }

    in.dmarc = AU_RESULT_NONE;
    in.dmarc_policy = AU_POLICY_DMARC_ABSENT;
    if (a->dmarc) {
        struct au_dmarc_ids ids = {
            .spf = in.spf,
            .spf_domain = in.spf_domain,
            .dkim_count = nids,
            .dkim = ids_dkim,
        };
        au_dmarc_evaluate(a->dmarc, &ids);
        const struct au_dmarc_outcome *o = au_dmarc_outcome(a->dmarc);
        in.dmarc = o->result;
        in.dmarc_record = o->record_found;
        /* A record whose p= was only implied by rua counts as "without p="
         * (DECISIONS.md, gmail-bulk 5.7.40); its DMARC evaluation still
         * treats it as p=none. */
        in.dmarc_policy = o->record_found && !o->record.p_implied ? policy_of(o->policy)
                                                                 : AU_POLICY_DMARC_ABSENT;
        /* DECISIONS.md rule 3: defer only when nothing aligned passed. */
        in.dmarc_unsettled = o->unsettled;
        for (size_t i = 0; i < o->rows; i++)
            if (o->row[i].passes)
                in.from_aligned = true;
    }
    in.format = a->format_result;
    in.tls = a->p.tls;
    in.from_domain = a->format_result.from_domain[0] ? a->format_result.from_domain : NULL;
    in.now = a->p.now;
    au_policy_evaluate(a->p.profile, &in, &a->verdict);
    a->decided = true;
}

const struct au_policy_verdict *au_assess_verdict(const struct au_assess *a)
{
    return a->decided ? &a->verdict : NULL;
}

int au_assess_trace_headers(const struct au_assess *a, const char *authserv_id,
                            struct au_buf *out)
{
    int rc = 0;
    rc |= au_spf_received_spf(a->spf, out);
    rc |= au_buf_puts(out, "\r\n");

    size_t nsig = au_dkim_verify_count(a->dkim);
    if (nsig > AU_AR_CLAUSES_MAX)
        nsig = AU_AR_CLAUSES_MAX;
    struct au_buf *clause = au_xcalloc(nsig + 2, sizeof *clause);
    const char **dkim = au_xcalloc(nsig + 1, sizeof *dkim);
    for (size_t i = 0; i < nsig + 2; i++)
        au_buf_init(&clause[i], ASSESS_CLAUSE_MAX);
    for (size_t i = 0; i < nsig; i++) {
        au_dkim_ar_clause(au_dkim_verify_result(a->dkim, i), &clause[i]);
        dkim[i] = clause[i].data ? clause[i].data : "";
    }
    struct au_buf *spf = &clause[nsig], *dmarc = &clause[nsig + 1];
    au_spf_ar_clause(a->spf, spf);
    if (a->dmarc && a->decided) {
        /* Delivered mail carries the disposition applied (REFERENCE.md 6:
         * NONE or QUARANTINE); refused mail, shown by check, the policy's. */
        enum au_dmarc_policy dis = au_dmarc_outcome(a->dmarc)->disposition;
        if (a->verdict.accept)
            dis = a->verdict.dis == AU_POLICY_DIS_QUARANTINE ? AU_DMARC_POLICY_QUARANTINE
                                                             : AU_DMARC_POLICY_NONE;
        au_dmarc_ar_clause_dis(a->dmarc, dis, dmarc);
    }
    struct au_ar ar = {
        .authserv_id = authserv_id,
        .dkim = dkim,
        .dkim_count = nsig,
        .spf = spf->len ? spf->data : NULL,
        .dmarc = dmarc->len ? dmarc->data : NULL,
    };
    rc |= au_ar_format(out, &ar);
    for (size_t i = 0; i < nsig + 2; i++)
        au_buf_free(&clause[i]);
    free(clause);
    free(dkim);
    return rc ? -1 : 0;
}
