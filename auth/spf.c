/*
 * spf - check_host() of RFC 7208 as a resumable evaluator (see spf.h).
 *
 * Public: au_spf_new, au_spf_free, au_spf_step, au_spf_result,
 * au_spf_result_name, au_spf_domain, au_spf_sender, au_spf_ip,
 * au_spf_identity, au_spf_explanation, au_spf_problem, au_spf_record,
 * au_spf_lookups, au_spf_void_lookups, au_spf_dns_queries,
 * au_spf_trace_count, au_spf_trace_at, au_spf_trace_truncated,
 * au_spf_decided, au_spf_trace_kind_name, au_spf_outcome_name,
 * au_spf_received_spf, au_spf_ar_clause, au_spf_gmail_comment.
 *
 * RFC 7208: 2.3 (HELO identity), 2.4 (MAIL FROM, postmaster@HELO for the
 * null sender), 4.3 (initial checks: malformed or single-label domain is
 * none), 4.4 (TXT only; SPF type 99 is never asked), 4.5 (record
 * selection), 4.6 (syntax first, then terms left to right; modifiers after
 * mechanisms), 4.6.4 (limits: 10 DNS terms, 2 void lookups, 10 MX names,
 * 10 PTR names), 4.7 (default neutral), 5 (DNS errors: temperror, except
 * ptr and exp; NXDOMAIN is an empty answer), 5.1-5.7 (mechanisms), 6.1
 * (redirect; none becomes permerror), 6.2 (exp, only for a fail decided in
 * the top record or its redirects, never inside include; any problem gives
 * the default), 7 (macros, via spf_macro), 7.3 (names over 253 bytes lose
 * labels from the left), 9.1 and RFC 8601 2.7.2 (header texts).
 * Limits: the AU_SPF_* macros in spf.h.
 *
 * Shape.  The evaluation is a stack of frames, one per record being
 * evaluated: frame 0 is the top record (a redirect replaces its record,
 * which is what 6.1 means by "the result of check_host() with the new
 * domain"), and each include pushes a frame.  A state machine runs the
 * frames; a state that needs DNS fills the batch and returns, the next step
 * resumes in the matching *_WAIT state.  Temperror and permerror end the
 * whole evaluation at once (include and redirect propagate them).
 *
 * %{p} needs DNS too: before a macro string that uses it is expanded, the
 * validated names are fetched once (PTR, then the addresses of up to ten
 * names) and the state that needed them resumes.
 */
#include "spf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spf_macro.h"
#include "spf_record.h"
#include "xalloc.h"

enum state {
    S_INIT,
    S_FETCH,
    S_FETCH_WAIT,
    S_TERMS,
    S_A_WAIT,
    S_EXISTS_WAIT,
    S_MX_WAIT,
    S_MX_ADDR_WAIT,
    S_PTR_WAIT,
    S_PTR_ADDR_WAIT,
    S_EXP_START,
    S_EXP_WAIT,
    S_EXP_TEXT,
    S_P_START,
    S_P_PTR_WAIT,
    S_P_ADDR_WAIT,
    S_DONE,
};

enum run { R_CONTINUE, R_NEED_DNS, R_DONE };

struct frame {
    char domain[AU_DNS_NAME_MAX + 1];
    struct au_spf_record *rec;
    size_t term;       /* the term being (or next to be) evaluated */
    bool via_redirect; /* reached by redirect=: "none" becomes permerror */
};

struct au_spf {
    /* inputs */
    struct au_ip ip;
    char *mail_from, *helo, *receiver, *default_exp;
    uint64_t now;
    enum au_spf_identity identity;
    char *sender, *local, *sender_domain;
    char *domain0; /* the first <domain>, as given */

    /* outputs */
    enum au_result result;
    char *problem;
    char *explanation;
    char *record0;
    unsigned lookups, voids, queries;

    /* machine */
    enum state state, resume;
    struct frame frames[AU_SPF_DEPTH_MAX];
    unsigned depth; /* frames in use */
    char target[AU_DNS_NAME_MAX + 1];
    struct au_buf ex; /* macro expansions */
    char *exp_text;   /* the TXT of exp= waiting for %{p} */
    char *names[AU_SPF_MX_NAMES_MAX > AU_SPF_PTR_NAMES_MAX ? AU_SPF_MX_NAMES_MAX
                                                           : AU_SPF_PTR_NAMES_MAX];
    size_t nnames;
    struct au_dns_answer *ans[AU_DNS_BATCH_MAX];
    size_t nans;

    /* %{p} */
    bool p_resolved;
    char *p_valid[AU_SPF_PTR_NAMES_MAX];
    size_t np_valid;
    char *p_value;

    /* trace */
    struct au_spf_trace *trace;
    size_t ntrace, trace_cap;
    bool trace_truncated;
    long decided;
};

/* ---- small helpers ---- */

static char *xstrdup0(const char *s)
{
    return au_xstrdup(s ? s : "");
}

static void set_str(char **slot, const char *s)
{
    free(*slot);
    *slot = s ? au_xstrdup(s) : NULL;
}

static char *vformat(const char *fmt, va_list ap)
{
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    au_buf_vprintf(&b, fmt, ap);
    return au_buf_detach(&b);
}

static struct frame *top(struct au_spf *s)
{
    return &s->frames[s->depth - 1];
}

static enum au_result qualifier_result(char q)
{
    switch (q) {
    case '-':
        return AU_RESULT_FAIL;
    case '~':
        return AU_RESULT_SOFTFAIL;
    case '?':
        return AU_RESULT_NEUTRAL;
    default:
        return AU_RESULT_PASS;
    }
}

/* Appends a trace entry that takes ownership of text and detail (both freed
 * when the trace is full). Returns its index or -1 when the trace is full. */
static long trace_push(struct au_spf *s, enum au_spf_trace_kind kind, char *text,
                       enum au_spf_outcome outcome, enum au_result result, char *detail)
{
    if (s->ntrace >= AU_SPF_TRACE_MAX) {
        s->trace_truncated = true;
        free(text);
        free(detail);
        return -1;
    }
    if (s->ntrace == s->trace_cap) {
        s->trace_cap = s->trace_cap ? s->trace_cap * 2 : 16;
        s->trace = au_xrealloc(s->trace, s->trace_cap * sizeof *s->trace);
    }
    struct au_spf_trace *t = &s->trace[s->ntrace];
    t->kind = kind;
    t->depth = s->depth ? s->depth - 1 : 0;
    t->domain = xstrdup0(s->depth ? top(s)->domain : s->domain0);
    t->text = text;
    t->outcome = outcome;
    t->result = result;
    t->mech = -1;
    t->qualifier = 0;
    t->detail = detail;
    return (long)s->ntrace++;
}

/* Appends a trace entry with a copy of text (NULL: none) and a formatted
 * detail. Returns its index or -1 when the trace is full. */
static long trace_add(struct au_spf *s, enum au_spf_trace_kind kind, const char *text,
                      enum au_spf_outcome outcome, enum au_result result, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static long trace_add(struct au_spf *s, enum au_spf_trace_kind kind, const char *text,
                      enum au_spf_outcome outcome, enum au_result result, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *detail = vformat(fmt, ap);
    va_end(ap);
    return trace_push(s, kind, text ? au_xstrdup(text) : NULL, outcome, result, detail);
}

static void drop_answers(struct au_spf *s)
{
    for (size_t i = 0; i < s->nans; i++)
        au_dns_answer_unref(s->ans[i]);
    s->nans = 0;
}

static void clear_names(struct au_spf *s)
{
    for (size_t i = 0; i < s->nnames; i++)
        free(s->names[i]);
    s->nnames = 0;
}

static int ask(struct au_spf *s, struct au_dns_batch *b, const char *name, uint16_t type)
{
    if (au_dns_batch_add(b, name, type) < 0)
        return -1;
    s->queries++;
    return 0;
}

/* The address record type of the client's family. */
static uint16_t addr_type(const struct au_spf *s)
{
    return s->ip.family == AU_IP_V4 ? AU_DNS_A : AU_DNS_AAAA;
}

/* Asks for the client-family addresses of every name in s->names. */
static void ask_names(struct au_spf *s, struct au_dns_batch *b)
{
    for (size_t i = 0; i < s->nnames; i++)
        ask(s, b, s->names[i], addr_type(s));
}

/* Asks for the PTR names of the client's address (5.5 and %{p}). */
static void ask_ptr(struct au_spf *s, struct au_dns_batch *b)
{
    char rev[AU_IP_REVERSE_MAX];
    ask(s, b, au_ip_reverse_name(&s->ip, rev), AU_DNS_PTR);
}

/* Ends the evaluation with r (an error ends it from any depth). */
static enum run finish(struct au_spf *s, enum au_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum run finish(struct au_spf *s, enum au_result r, const char *fmt, ...)
{
    s->result = r;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        free(s->problem);
        s->problem = vformat(fmt, ap);
        va_end(ap);
    }
    s->state = S_DONE;
    return R_DONE;
}

/* The current term of the top frame: past the mechanisms, the redirect. */
static const struct au_spf_term *cur_term(struct au_spf *s)
{
    struct frame *f = top(s);
    if (f->term >= f->rec->nterms)
        return &f->rec->terms[f->rec->redirect];
    return &f->rec->terms[f->term];
}

/* Records the current term's outcome in the trace. */
static long trace_term(struct au_spf *s, enum au_spf_outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static long trace_term(struct au_spf *s, enum au_spf_outcome o, const char *fmt, ...)
{
    const struct au_spf_term *t = cur_term(s);
    va_list ap;
    va_start(ap, fmt);
    char *detail = vformat(fmt, ap);
    va_end(ap);
    enum au_result r = o == AU_SPF_OUT_MATCH ? qualifier_result(t->qualifier) : AU_RESULT_NONE;
    long i = trace_push(s, AU_SPF_TRACE_TERM, au_slice_dup(t->text), o, r, detail);
    if (i >= 0 && t->type == AU_SPF_TERM_MECH) {
        s->trace[i].mech = (int)t->mech;
        s->trace[i].qualifier = t->qualifier;
    }
    if (o == AU_SPF_OUT_ERROR || (o == AU_SPF_OUT_MATCH && s->depth == 1))
        s->decided = i;
    return i;
}

/* ---- names ---- */

/* Makes a query name from an expansion (7.3): drops one trailing dot, removes
 * labels from the left while longer than AU_DNS_NAME_MAX, and refuses empty
 * or over-long labels.  The result is in presentation form (dns.h): bytes
 * that are not printable become \DDD and the specials ( ) ; \ are escaped,
 * as ldns writes them.  Returns 0 or -1. */
static int make_name(const char *p, size_t n, char *out)
{
    if (n && p[n - 1] == '.')
        n--;
    while (n > AU_DNS_NAME_MAX) {
        const char *dot = memchr(p, '.', n);
        if (!dot)
            return -1;
        n -= (size_t)(dot + 1 - p);
        p = dot + 1;
    }
    if (n == 0)
        return -1;
    size_t label = 0, o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '.') {
            if (label == 0)
                return -1;
            label = 0;
        } else if (++label > AU_DNS_LABEL_MAX) {
            return -1;
        }
        char esc[5];
        size_t k;
        if (c <= 0x20 || c >= 0x7f)
            k = (size_t)snprintf(esc, sizeof esc, "\\%03u", c);
        else if (c == '(' || c == ')' || c == ';' || c == '\\')
            k = (size_t)snprintf(esc, sizeof esc, "\\%c", c);
        else {
            esc[0] = (char)c;
            k = 1;
        }
        if (o + k > AU_DNS_NAME_MAX)
            return -1; /* escapes made it longer than a query name may be */
        memcpy(out + o, esc, k);
        o += k;
    }
    if (label == 0)
        return -1;
    out[o] = '\0';
    return 0;
}

/* RFC 7208 4.3: false when the <domain> d is malformed or has a single
 * label; else true, with its query name in out (AU_DNS_NAME_MAX + 1 bytes). */
static bool domain_ok(const char *d, char *out)
{
    size_t n = strlen(d);
    if (d[0] == '[')
        return false; /* an address literal is not a domain name */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)d[i] <= 0x20 || (unsigned char)d[i] >= 0x7f)
            return false;
    if (n && d[n - 1] == '.')
        n--;
    if (n > AU_DNS_NAME_MAX || make_name(d, n, out) < 0)
        return false;
    return strchr(out, '.') != NULL;
}

/* True when name equals domain or is a subdomain of it (ASCII case ignored). */
static bool name_within(const char *name, const char *domain)
{
    size_t n = strlen(name), d = strlen(domain);
    if (n && name[n - 1] == '.')
        n--;
    if (d && domain[d - 1] == '.')
        d--;
    if (n < d || strncasecmp(name + n - d, domain, d) != 0)
        return false;
    return n == d || name[n - d - 1] == '.';
}

/* The %{p} value for the current domain (7.3): the domain itself if validated,
 * else a validated subdomain, else any validated name, else "unknown". */
static const char *p_value(struct au_spf *s, const char *domain)
{
    const char *pick = NULL;
    for (size_t i = 0; i < s->np_valid && !pick; i++)
        if (strcasecmp(s->p_valid[i], domain) == 0)
            pick = s->p_valid[i];
    for (size_t i = 0; i < s->np_valid && !pick; i++)
        if (name_within(s->p_valid[i], domain))
            pick = s->p_valid[i];
    if (!pick && s->np_valid)
        pick = s->p_valid[0];
    set_str(&s->p_value, pick ? pick : "unknown");
    return s->p_value;
}

/* Expands spec into s->ex for the current domain. Returns 0, or -2 when too long. */
static int expand(struct au_spf *s, struct au_slice spec, enum au_spf_macro_mode mode,
                  const char *domain, size_t max)
{
    struct au_spf_macro_vars v = {
        .sender = s->sender,
        .local = s->local,
        .sender_domain = s->sender_domain,
        .domain = domain,
        .ip = &s->ip,
        .helo = s->helo,
        .validated = s->p_resolved ? p_value(s, domain) : "unknown",
        .receiver = s->receiver,
        .now = s->now,
    };
    au_buf_free(&s->ex);
    au_buf_init(&s->ex, max);
    int r = au_spf_macro_expand(spec, mode, &v, &s->ex);
    return r == -2 ? -2 : r < 0 ? -1 : 0;
}

/* Whether the (syntactically valid) spec needs %{p} that is not resolved yet:
 * then the caller yields to S_P_START and is resumed in state back. */
static bool need_p(struct au_spf *s, struct au_slice spec, enum state back)
{
    if (s->p_resolved || !au_spf_macro_uses_p(spec))
        return false;
    s->resume = back;
    s->state = S_P_START;
    return true;
}

/* ---- frames ---- */

static void push_frame(struct au_spf *s, const char *domain, bool via_redirect)
{
    struct frame *f = &s->frames[s->depth++];
    memset(f, 0, sizeof *f);
    snprintf(f->domain, sizeof f->domain, "%s", domain);
    f->via_redirect = via_redirect;
}

static enum run frame_done(struct au_spf *s, enum au_result r, const char *why);

/* A mechanism of the top frame matched. */
static enum run matched(struct au_spf *s)
{
    return frame_done(s, qualifier_result(cur_term(s)->qualifier), "a mechanism matched");
}

/* A mechanism of the top frame did not match: go on with the next term. */
static enum run next_term(struct au_spf *s)
{
    top(s)->term++;
    s->state = S_TERMS;
    return R_CONTINUE;
}

/* check_host() of the top frame returned r (not an error: those finish). */
static enum run frame_done(struct au_spf *s, enum au_result r, const char *why)
{
    struct frame *f = top(s);
    trace_add(s, AU_SPF_TRACE_RESULT, NULL, AU_SPF_OUT_NONE, r, "%s", why);
    if (s->depth > 1) {
        /* The result of an include (5.2): pass matches; fail, softfail and
         * neutral do not; none was turned into permerror before. */
        au_spf_record_free(f->rec);
        f->rec = NULL;
        s->depth--;
        if (r == AU_RESULT_PASS) {
            trace_term(s, AU_SPF_OUT_MATCH, "included record passed");
            return matched(s);
        }
        trace_term(s, AU_SPF_OUT_NO_MATCH, "included record returned %s", au_result_name(r));
        return next_term(s);
    }
    s->result = r;
    if (r == AU_RESULT_FAIL) {
        s->state = S_EXP_START;
        return R_CONTINUE;
    }
    s->state = S_DONE;
    return R_DONE;
}

/* The top frame's domain has no SPF record. */
static enum run frame_none(struct au_spf *s, const char *why)
{
    struct frame *f = top(s);
    /* 6.1: none after a redirect is a permerror; an include (5.2) turns it
     * into one in the including frame, traced there. */
    bool redirected = s->depth == 1 && f->via_redirect;
    trace_add(s, AU_SPF_TRACE_RESULT, NULL, AU_SPF_OUT_NONE,
              redirected ? AU_RESULT_PERMERROR : AU_RESULT_NONE, "%s", why);
    if (s->depth > 1) {
        s->depth--;
        trace_term(s, AU_SPF_OUT_ERROR, "included domain %s has no SPF record", f->domain);
        return finish(s, AU_RESULT_PERMERROR, "include:%s: no SPF record (%s)", f->domain, why);
    }
    if (redirected)
        return finish(s, AU_RESULT_PERMERROR, "redirect=%s: no SPF record (%s)", f->domain, why);
    return finish(s, AU_RESULT_NONE, "%s", why);
}

/* ---- states ---- */

static enum run st_init(struct au_spf *s)
{
    push_frame(s, "", false);
    snprintf(top(s)->domain, sizeof top(s)->domain, "%.*s", AU_DNS_NAME_MAX, s->domain0);
    char name[AU_DNS_NAME_MAX + 1];
    if (strlen(s->domain0) > AU_DNS_NAME_MAX + 1 || !domain_ok(s->domain0, name)) {
        trace_add(s, AU_SPF_TRACE_RESULT, NULL, AU_SPF_OUT_NONE, AU_RESULT_NONE,
                  "not a valid multi-label domain name");
        return finish(s, AU_RESULT_NONE, "%s is not a valid multi-label domain name", s->domain0);
    }
    snprintf(top(s)->domain, sizeof top(s)->domain, "%s", name);
    s->state = S_FETCH;
    return R_CONTINUE;
}

static enum run st_fetch(struct au_spf *s, struct au_dns_batch *b)
{
    ask(s, b, top(s)->domain, AU_DNS_TXT);
    s->state = S_FETCH_WAIT;
    return R_NEED_DNS;
}

static enum run st_fetch_wait(struct au_spf *s)
{
    struct frame *f = top(s);
    struct au_dns_answer *a = s->ans[0];
    if (au_dns_failed(a)) {
        trace_add(s, AU_SPF_TRACE_RECORD, NULL, AU_SPF_OUT_ERROR, AU_RESULT_TEMPERROR,
                  "TXT lookup failed: %s", a->detail);
        return finish(s, AU_RESULT_TEMPERROR, "DNS error looking up TXT of %s: %s", f->domain,
                      a->detail);
    }
    if (a->status != AU_DNS_RECORDS) {
        const char *st = au_dns_status_name(a->status);
        trace_add(s, AU_SPF_TRACE_RECORD, NULL, AU_SPF_OUT_NONE, AU_RESULT_NONE, "TXT: %s", st);
        char why[64];
        snprintf(why, sizeof why, "no TXT record (%s)", st);
        return frame_none(s, why);
    }
    struct au_buf txt, spf;
    au_buf_init(&txt, AU_SPF_RECORD_MAX + 1);
    au_buf_init(&spf, AU_BUF_NOLIMIT);
    size_t nspf = 0, ntxt = 0;
    for (size_t i = 0; i < a->count; i++) {
        if (a->rr[i].type != AU_DNS_TXT)
            continue;
        ntxt++;
        if (au_dns_txt_join(&a->rr[i], &txt) < 0)
            continue; /* longer than any record we accept: not ours to judge */
        if (au_spf_record_is_spf(au_buf_slice(&txt))) {
            if (nspf++ == 0)
                au_buf_append(&spf, txt.data, txt.len);
        }
    }
    au_buf_free(&txt);
    if (nspf == 0) {
        au_buf_free(&spf);
        trace_add(s, AU_SPF_TRACE_RECORD, NULL, AU_SPF_OUT_NONE, AU_RESULT_NONE,
                  "%zu TXT record(s), none is v=spf1", ntxt);
        return frame_none(s, "no SPF record");
    }
    if (nspf > 1) {
        au_buf_free(&spf);
        trace_add(s, AU_SPF_TRACE_RECORD, NULL, AU_SPF_OUT_ERROR, AU_RESULT_PERMERROR,
                  "%zu SPF records", nspf);
        return finish(s, AU_RESULT_PERMERROR, "%s has %zu SPF records", f->domain, nspf);
    }
    size_t len = spf.len; /* the record may hold a NUL: the length is the truth */
    char *text = au_buf_detach(&spf);
    if (s->depth == 1 && !s->record0)
        s->record0 = au_xstrdup(text);
    char err[200];
    f->rec = au_spf_record_parse(text, len, err, sizeof err);
    if (!f->rec) {
        trace_add(s, AU_SPF_TRACE_RECORD, text, AU_SPF_OUT_ERROR, AU_RESULT_PERMERROR,
                  "syntax error: %s", err);
        free(text);
        return finish(s, AU_RESULT_PERMERROR, "syntax error in SPF record of %s: %s", f->domain,
                      err);
    }
    trace_add(s, AU_SPF_TRACE_RECORD, text, AU_SPF_OUT_NONE, AU_RESULT_NONE, "%zu term(s)",
              f->rec->nterms);
    free(text);
    f->term = 0;
    s->state = S_TERMS;
    return R_CONTINUE;
}

/* Counts a DNS-querying term (4.6.4). Returns false when over the limit. */
static bool count_lookup(struct au_spf *s)
{
    return ++s->lookups <= AU_SPF_LOOKUP_MAX;
}

/* Counts a void lookup; returns false when over the limit. */
static bool count_void(struct au_spf *s)
{
    return ++s->voids <= AU_SPF_VOID_MAX;
}

static enum run over_lookups(struct au_spf *s)
{
    trace_term(s, AU_SPF_OUT_ERROR, "more than %d DNS-querying terms", AU_SPF_LOOKUP_MAX);
    return finish(s, AU_RESULT_PERMERROR, "more than %d DNS-querying terms (RFC 7208 4.6.4)",
                  AU_SPF_LOOKUP_MAX);
}

static enum run over_voids(struct au_spf *s, const char *name)
{
    trace_term(s, AU_SPF_OUT_ERROR, "%s: void lookup %u, over the limit of %d", name, s->voids,
               AU_SPF_VOID_MAX);
    return finish(s, AU_RESULT_PERMERROR, "more than %d void lookups (RFC 7208 4.6.4)",
                  AU_SPF_VOID_MAX);
}

/* The term's query of type for name (NULL: the client's reverse name) came
 * back empty: a void lookup (4.6.4), and the term does not match. */
static enum run void_lookup(struct au_spf *s, uint16_t type, const char *name,
                            const struct au_dns_answer *a)
{
    const char *tn = au_dns_type_name(type);
    if (!count_void(s))
        return over_voids(s, name ? name : tn);
    trace_term(s, AU_SPF_OUT_NO_MATCH, "%s%s%s: %s (void lookup %u)", tn, name ? " " : "",
               name ? name : "", au_dns_status_name(a->status), s->voids);
    return next_term(s);
}

static enum run temperror_at(struct au_spf *s, const char *name, uint16_t type,
                             const struct au_dns_answer *a)
{
    trace_term(s, AU_SPF_OUT_ERROR, "%s %s: %s", au_dns_type_name(type), name, a->detail);
    return finish(s, AU_RESULT_TEMPERROR, "DNS error looking up %s %s: %s", au_dns_type_name(type),
                  name, a->detail);
}

/* The prefix length that applies to the client: the term's CIDR length of
 * the client's family, or the whole address when the term gave none (5.3-5.6). */
static unsigned client_prefix(const struct au_spf *s, int c4, int c6)
{
    if (s->ip.family == AU_IP_V4)
        return c4 < 0 ? 32u : (unsigned)c4;
    return c6 < 0 ? 128u : (unsigned)c6;
}

/* True when one of the address records in a matches the client within the
 * term's CIDR lengths. */
static bool addr_match(const struct au_spf *s, const struct au_dns_answer *a, int c4, int c6)
{
    if (a->status != AU_DNS_RECORDS)
        return false;
    uint16_t type = addr_type(s);
    unsigned prefix = client_prefix(s, c4, c6);
    for (size_t i = 0; i < a->count; i++) {
        const struct au_dns_rr *rr = &a->rr[i];
        if (rr->type != type)
            continue;
        struct au_ip net = {.family = s->ip.family};
        if (type == AU_DNS_A)
            memcpy(net.addr, rr->u.a, 4);
        else
            memcpy(net.addr, rr->u.aaaa, 16);
        if (au_ip_match(&s->ip, &net, prefix))
            return true;
    }
    return false;
}

/* Expands the domain-spec spec for domain into s->target as a query name.
 * Returns 0, 1 when the expansion is no usable DNS name, or -1 when it is
 * longer than AU_SPF_EXPAND_MAX. */
static int expand_name(struct au_spf *s, struct au_slice spec, const char *domain)
{
    if (expand(s, spec, AU_SPF_MACRO_DOMAIN, domain, AU_SPF_EXPAND_MAX) < 0)
        return -1;
    return make_name(au_buf_slice(&s->ex).ptr, s->ex.len, s->target) < 0 ? 1 : 0;
}

/* Expands a term's target into s->target (the current domain when absent).
 * Returns 0, 1 when the name is not a usable DNS name, or -1 after finishing
 * with permerror (expansion too long). */
static int term_target(struct au_spf *s, struct au_slice spec)
{
    struct frame *f = top(s);
    if (spec.len == 0) {
        snprintf(s->target, sizeof s->target, "%s", f->domain);
        return 0;
    }
    int r = expand_name(s, spec, f->domain);
    if (r < 0) {
        trace_term(s, AU_SPF_OUT_ERROR, "macro expansion longer than %d bytes", AU_SPF_EXPAND_MAX);
        finish(s, AU_RESULT_PERMERROR, "macro expansion longer than %d bytes", AU_SPF_EXPAND_MAX);
    }
    return r;
}

static enum run st_redirect(struct au_spf *s)
{
    struct frame *f = top(s);
    const struct au_spf_term *t = &f->rec->terms[f->rec->redirect];
    if (need_p(s, t->spec, S_TERMS))
        return R_CONTINUE;
    if (!count_lookup(s))
        return over_lookups(s);
    int r = term_target(s, t->spec);
    if (r < 0)
        return R_DONE;
    char *text = au_slice_dup(t->text);
    if (r > 0) {
        trace_add(s, AU_SPF_TRACE_TERM, text, AU_SPF_OUT_ERROR, AU_RESULT_PERMERROR,
                  "target is not a valid domain name");
        s->decided = (long)s->ntrace - 1;
        free(text);
        return finish(s, AU_RESULT_PERMERROR, "redirect to an invalid domain name");
    }
    trace_add(s, AU_SPF_TRACE_TERM, text, AU_SPF_OUT_NONE, AU_RESULT_NONE, "redirect to %s",
              s->target);
    free(text);
    au_spf_record_free(f->rec);
    f->rec = NULL;
    snprintf(f->domain, sizeof f->domain, "%s", s->target);
    f->via_redirect = true;
    f->term = 0;
    s->state = S_FETCH;
    return R_CONTINUE;
}

static enum run st_terms(struct au_spf *s, struct au_dns_batch *b)
{
    struct frame *f = top(s);
    while (f->term < f->rec->nterms) {
        const struct au_spf_term *t = &f->rec->terms[f->term];
        if (t->type != AU_SPF_TERM_MECH) {
            f->term++;
            continue;
        }
        switch (t->mech) {
        case AU_SPF_MECH_ALL:
            trace_term(s, AU_SPF_OUT_MATCH, "all matches");
            return matched(s);
        case AU_SPF_MECH_IP4:
        case AU_SPF_MECH_IP6: {
            /* A network of the other family never matches, whatever the prefix. */
            bool ok = au_ip_match(&s->ip, &t->ip, client_prefix(s, t->cidr4, t->cidr6));
            char ipb[AU_IP_STR_MAX];
            if (ok) {
                trace_term(s, AU_SPF_OUT_MATCH, "%s is in the network", au_ip_format(&s->ip, ipb));
                return matched(s);
            }
            trace_term(s, AU_SPF_OUT_NO_MATCH, "%s is not in the network",
                       au_ip_format(&s->ip, ipb));
            f->term++;
            continue;
        }
        default:
            break;
        }
        /* The rest query DNS: %{p} first, then count, then expand. */
        if (need_p(s, t->spec, S_TERMS))
            return R_CONTINUE;
        if (!count_lookup(s))
            return over_lookups(s);
        int r = term_target(s, t->spec);
        if (r < 0)
            return R_DONE;
        if (r > 0 && t->mech != AU_SPF_MECH_INCLUDE) {
            /* Not a usable DNS name: like a name that does not exist (RFC 7208 is
             * silent; 4.3 treats a malformed <domain> as non-existent). */
            trace_term(s, AU_SPF_OUT_NO_MATCH, "target is not a valid domain name");
            f->term++;
            continue;
        }
        switch (t->mech) {
        case AU_SPF_MECH_INCLUDE:
            if (r > 0) {
                trace_term(s, AU_SPF_OUT_ERROR, "target is not a valid domain name");
                return finish(s, AU_RESULT_PERMERROR, "include of an invalid domain name");
            }
            if (s->depth >= AU_SPF_DEPTH_MAX) /* cannot happen below the lookup limit */
                return over_lookups(s);
            trace_term(s, AU_SPF_OUT_NONE, "evaluating the record of %s", s->target);
            push_frame(s, s->target, false);
            s->state = S_FETCH;
            return R_CONTINUE;
        case AU_SPF_MECH_A:
            ask(s, b, s->target, addr_type(s));
            s->state = S_A_WAIT;
            return R_NEED_DNS;
        case AU_SPF_MECH_EXISTS:
            ask(s, b, s->target, AU_DNS_A);
            s->state = S_EXISTS_WAIT;
            return R_NEED_DNS;
        case AU_SPF_MECH_MX:
            ask(s, b, s->target, AU_DNS_MX);
            s->state = S_MX_WAIT;
            return R_NEED_DNS;
        case AU_SPF_MECH_PTR:
            ask_ptr(s, b);
            s->state = S_PTR_WAIT;
            return R_NEED_DNS;
        default:
            abort(); /* all, ip4 and ip6 were handled above */
        }
    }
    if (f->rec->redirect >= 0)
        return st_redirect(s);
    return frame_done(s, AU_RESULT_NEUTRAL, "no mechanism matched: default neutral (4.7)");
}

static enum run st_a_wait(struct au_spf *s, bool exists)
{
    const struct au_spf_term *t = cur_term(s);
    struct au_dns_answer *a = s->ans[0];
    uint16_t type = exists ? AU_DNS_A : addr_type(s);
    if (au_dns_failed(a))
        return temperror_at(s, s->target, type, a);
    if (a->status != AU_DNS_RECORDS)
        return void_lookup(s, type, s->target, a);
    bool ok;
    if (exists) {
        ok = false;
        for (size_t i = 0; i < a->count; i++)
            ok = ok || a->rr[i].type == AU_DNS_A;
    } else {
        ok = addr_match(s, a, t->cidr4, t->cidr6);
    }
    trace_term(s, ok ? AU_SPF_OUT_MATCH : AU_SPF_OUT_NO_MATCH, "%s %s: %zu record(s)%s",
               au_dns_type_name(type), s->target, a->count,
               exists ? ""
               : ok   ? ", the client is among them"
                      : ", the client is not among them");
    return ok ? matched(s) : next_term(s);
}

static enum run st_mx_wait(struct au_spf *s, struct au_dns_batch *b)
{
    struct au_dns_answer *a = s->ans[0];
    if (au_dns_failed(a))
        return temperror_at(s, s->target, AU_DNS_MX, a);
    if (a->status != AU_DNS_RECORDS)
        return void_lookup(s, AU_DNS_MX, s->target, a);
    size_t n = 0;
    for (size_t i = 0; i < a->count; i++)
        if (a->rr[i].type == AU_DNS_MX && a->rr[i].u.mx.host[0])
            n++;
    if (n > AU_SPF_MX_NAMES_MAX) {
        trace_term(s, AU_SPF_OUT_ERROR, "MX %s: %zu names, more than %d", s->target, n,
                   AU_SPF_MX_NAMES_MAX);
        return finish(s, AU_RESULT_PERMERROR, "%s has more than %d MX names (RFC 7208 4.6.4)",
                      s->target, AU_SPF_MX_NAMES_MAX);
    }
    if (n == 0) {
        trace_term(s, AU_SPF_OUT_NO_MATCH, "MX %s: no mail exchanger (null MX)", s->target);
        return next_term(s);
    }
    clear_names(s);
    for (size_t i = 0; i < a->count; i++) {
        const char *host = a->rr[i].u.mx.host;
        /* A name too long to ask for (escapes can make one) has no address. */
        if (a->rr[i].type == AU_DNS_MX && host[0] && strlen(host) <= AU_DNS_NAME_MAX)
            s->names[s->nnames++] = au_xstrdup(host);
    }
    if (s->nnames == 0) {
        trace_term(s, AU_SPF_OUT_NO_MATCH, "MX %s: no usable mail exchanger name", s->target);
        return next_term(s);
    }
    ask_names(s, b);
    s->state = S_MX_ADDR_WAIT;
    return R_NEED_DNS;
}

static enum run st_mx_addr_wait(struct au_spf *s)
{
    const struct au_spf_term *t = cur_term(s);
    for (size_t i = 0; i < s->nans; i++) {
        struct au_dns_answer *a = s->ans[i];
        if (au_dns_failed(a))
            return temperror_at(s, s->names[i], addr_type(s), a);
    }
    for (size_t i = 0; i < s->nans; i++)
        if (addr_match(s, s->ans[i], t->cidr4, t->cidr6)) {
            trace_term(s, AU_SPF_OUT_MATCH, "MX %s: %s has the client's address", s->target,
                       s->names[i]);
            return matched(s);
        }
    trace_term(s, AU_SPF_OUT_NO_MATCH,
               "MX %s: none of %zu mail exchanger(s) has the client's address", s->target,
               s->nnames);
    return next_term(s);
}

/* Collects up to AU_SPF_PTR_NAMES_MAX PTR names from a into s->names,
 * keeping those within domain (NULL: all). */
static void collect_ptr(struct au_spf *s, const struct au_dns_answer *a, const char *domain)
{
    clear_names(s);
    size_t seen = 0;
    for (size_t i = 0; i < a->count && seen < AU_SPF_PTR_NAMES_MAX; i++) {
        if (a->rr[i].type != AU_DNS_PTR)
            continue;
        seen++; /* 4.6.4: names beyond the first ten are ignored */
        /* Names from DNS are already in presentation form: copy, do not escape. */
        const char *n = a->rr[i].u.name;
        size_t len = strlen(n);
        if (len && n[len - 1] == '.')
            len--;
        if (len == 0 || len > AU_DNS_NAME_MAX)
            continue;
        if (domain && !name_within(n, domain)) /* it ignores one trailing dot too */
            continue;
        s->names[s->nnames++] = au_xstrndup(n, len);
    }
}

static enum run st_ptr_wait(struct au_spf *s, struct au_dns_batch *b)
{
    struct au_dns_answer *a = s->ans[0];
    if (au_dns_failed(a)) {
        /* 5.5: a DNS error on the PTR lookup makes ptr not match. */
        trace_term(s, AU_SPF_OUT_NO_MATCH, "PTR lookup failed (%s): no match", a->detail);
        return next_term(s);
    }
    if (a->status != AU_DNS_RECORDS)
        return void_lookup(s, AU_DNS_PTR, NULL, a);
    collect_ptr(s, a, s->target);
    if (s->nnames == 0) {
        trace_term(s, AU_SPF_OUT_NO_MATCH, "no PTR name within %s", s->target);
        return next_term(s);
    }
    ask_names(s, b);
    s->state = S_PTR_ADDR_WAIT;
    return R_NEED_DNS;
}

static enum run st_ptr_addr_wait(struct au_spf *s)
{
    for (size_t i = 0; i < s->nans; i++)
        /* 5.5: a DNS error skips that name; the exact address must be there. */
        if (addr_match(s, s->ans[i], -1, -1)) {
            trace_term(s, AU_SPF_OUT_MATCH, "validated PTR name %s is within %s", s->names[i],
                       s->target);
            return matched(s);
        }
    trace_term(s, AU_SPF_OUT_NO_MATCH, "no validated PTR name within %s", s->target);
    return next_term(s);
}

/* ---- %{p} ---- */

static enum run st_p_start(struct au_spf *s, struct au_dns_batch *b)
{
    ask_ptr(s, b);
    s->state = S_P_PTR_WAIT;
    return R_NEED_DNS;
}

static enum run p_resolved(struct au_spf *s, const char *detail)
{
    s->p_resolved = true;
    trace_add(s, AU_SPF_TRACE_MACRO_P, NULL, AU_SPF_OUT_NONE, AU_RESULT_NONE, "%s", detail);
    s->state = s->resume;
    return R_CONTINUE;
}

static enum run st_p_ptr_wait(struct au_spf *s, struct au_dns_batch *b)
{
    struct au_dns_answer *a = s->ans[0];
    if (a->status != AU_DNS_RECORDS) {
        char d[96];
        snprintf(d, sizeof d, "%%{p}: PTR %s, p is \"unknown\"",
                 a->status == AU_DNS_TEMPFAIL ? a->detail : au_dns_status_name(a->status));
        return p_resolved(s, d);
    }
    collect_ptr(s, a, NULL);
    if (s->nnames == 0)
        return p_resolved(s, "%{p}: no usable PTR name, p is \"unknown\"");
    ask_names(s, b);
    s->state = S_P_ADDR_WAIT;
    return R_NEED_DNS;
}

static enum run st_p_addr_wait(struct au_spf *s)
{
    for (size_t i = 0; i < s->nans; i++)
        if (addr_match(s, s->ans[i], -1, -1))
            s->p_valid[s->np_valid++] = au_xstrdup(s->names[i]);
    char d[AU_DNS_NAME_MAX + 64];
    snprintf(d, sizeof d, "%%{p}: %zu validated name(s)%s%s", s->np_valid,
             s->np_valid ? ", first " : "", s->np_valid ? s->p_valid[0] : "");
    return p_resolved(s, d);
}

/* ---- exp= ---- */

static enum run use_default_exp(struct au_spf *s, const char *why)
{
    struct au_slice d = au_slice_cstr(s->default_exp);
    const char *dom = s->frames[0].domain;
    if (expand(s, d, AU_SPF_MACRO_EXP, dom, AU_SPF_EXPLANATION_MAX) == 0)
        set_str(&s->explanation, au_buf_slice(&s->ex).ptr);
    else
        set_str(&s->explanation, "");
    trace_add(s, AU_SPF_TRACE_EXP, NULL, AU_SPF_OUT_NONE, AU_RESULT_NONE, "default explanation: %s",
              why);
    s->state = S_DONE;
    return R_DONE;
}

static enum run st_exp_start(struct au_spf *s, struct au_dns_batch *b)
{
    struct frame *f = &s->frames[0];
    if (f->rec->exp < 0)
        return use_default_exp(s, "no exp=");
    struct au_slice spec = f->rec->terms[f->rec->exp].spec;
    if (need_p(s, spec, S_EXP_START))
        return R_CONTINUE;
    if (expand_name(s, spec, f->domain) != 0)
        return use_default_exp(s, "exp= does not expand to a domain name");
    ask(s, b, s->target, AU_DNS_TXT);
    s->state = S_EXP_WAIT;
    return R_NEED_DNS;
}

static enum run exp_text(struct au_spf *s)
{
    struct au_slice text = au_slice_cstr(s->exp_text);
    if (need_p(s, text, S_EXP_TEXT))
        return R_CONTINUE;
    if (expand(s, text, AU_SPF_MACRO_EXP, s->frames[0].domain, AU_SPF_EXPLANATION_MAX) < 0)
        return use_default_exp(s, "explanation longer than the limit");
    set_str(&s->explanation, au_buf_slice(&s->ex).ptr);
    trace_add(s, AU_SPF_TRACE_EXP, s->exp_text, AU_SPF_OUT_NONE, AU_RESULT_NONE, "TXT %s",
              s->target);
    s->state = S_DONE;
    return R_DONE;
}

static enum run st_exp_wait(struct au_spf *s)
{
    struct au_dns_answer *a = s->ans[0];
    if (a->status != AU_DNS_RECORDS)
        return use_default_exp(s, a->status == AU_DNS_TEMPFAIL ? a->detail
                                                               : au_dns_status_name(a->status));
    const struct au_dns_rr *rr = NULL;
    size_t n = 0;
    for (size_t i = 0; i < a->count; i++)
        if (a->rr[i].type == AU_DNS_TXT) {
            rr = &a->rr[i];
            n++;
        }
    if (n != 1)
        return use_default_exp(s, n ? "more than one TXT record" : "no TXT record");
    struct au_buf t;
    au_buf_init(&t, AU_SPF_EXPLANATION_MAX);
    if (au_dns_txt_join(rr, &t) < 0) {
        au_buf_free(&t);
        return use_default_exp(s, "explanation longer than the limit");
    }
    if (au_spf_macro_check(au_buf_slice(&t), AU_SPF_MACRO_EXP, NULL, 0) < 0 ||
        memchr(au_buf_slice(&t).ptr, '\0', t.len)) {
        au_buf_free(&t);
        return use_default_exp(s, "syntax error in the explanation text");
    }
    free(s->exp_text);
    s->exp_text = au_buf_detach(&t);
    return exp_text(s);
}

/* ---- driver ---- */

static enum run run_state(struct au_spf *s, struct au_dns_batch *b)
{
    switch (s->state) {
    case S_INIT:
        return st_init(s);
    case S_FETCH:
        return st_fetch(s, b);
    case S_FETCH_WAIT:
        return st_fetch_wait(s);
    case S_TERMS:
        return st_terms(s, b);
    case S_A_WAIT:
        return st_a_wait(s, false);
    case S_EXISTS_WAIT:
        return st_a_wait(s, true);
    case S_MX_WAIT:
        return st_mx_wait(s, b);
    case S_MX_ADDR_WAIT:
        return st_mx_addr_wait(s);
    case S_PTR_WAIT:
        return st_ptr_wait(s, b);
    case S_PTR_ADDR_WAIT:
        return st_ptr_addr_wait(s);
    case S_EXP_START:
        return st_exp_start(s, b);
    case S_EXP_WAIT:
        return st_exp_wait(s);
    case S_EXP_TEXT:
        return exp_text(s);
    case S_P_START:
        return st_p_start(s, b);
    case S_P_PTR_WAIT:
        return st_p_ptr_wait(s, b);
    case S_P_ADDR_WAIT:
        return st_p_addr_wait(s);
    case S_DONE:
        return R_DONE;
    }
    return R_DONE;
}

enum au_step au_spf_step(void *check, struct au_dns_batch *b)
{
    struct au_spf *s = check;
    /* Rule 2: take every answer, then empty the batch. */
    drop_answers(s);
    for (size_t i = 0; i < b->n; i++)
        s->ans[s->nans++] = b->a[i];
    b->n = 0;
    enum run r;
    bool first = true;
    do {
        /* Answers belong to the first (waiting) state only. */
        if (!first)
            drop_answers(s);
        first = false;
        r = run_state(s, b);
    } while (r == R_CONTINUE);
    if (r == R_NEED_DNS) {
        for (size_t i = 0; i < b->n; i++)
            b->a[i] = NULL;
        drop_answers(s);
        return AU_STEP_NEED_DNS;
    }
    drop_answers(s);
    b->n = 0;
    return AU_STEP_DONE;
}

/* ---- lifecycle and accessors ---- */

struct au_spf *au_spf_new(const struct au_spf_params *p)
{
    struct au_spf *s = au_xcalloc(1, sizeof *s);
    s->ip = p->ip;
    au_ip_unmap(&s->ip);
    s->mail_from = xstrdup0(p->mail_from);
    s->helo = xstrdup0(p->helo);
    s->receiver = xstrdup0(p->receiver ? p->receiver : AU_SPF_RECEIVER_DEFAULT);
    s->default_exp =
        xstrdup0(p->default_explanation ? p->default_explanation : AU_SPF_DEFAULT_EXPLANATION);
    s->now = p->now;
    s->identity = p->identity;
    if (s->mail_from[0] == '\0')
        s->identity = AU_SPF_ID_HELO; /* 2.4: the null sender checks postmaster@HELO */
    const char *who = s->identity == AU_SPF_ID_HELO ? NULL : s->mail_from;
    if (who) {
        const char *at = strrchr(who, '@');
        s->local = at ? au_xstrndup(who, (size_t)(at - who)) : au_xstrdup("");
        s->sender_domain = au_xstrdup(at ? at + 1 : who);
    } else {
        s->local = au_xstrdup("postmaster");
        s->sender_domain = au_xstrdup(s->helo);
    }
    if (s->local[0] == '\0') { /* 4.3: no local-part: "postmaster" */
        free(s->local);
        s->local = au_xstrdup("postmaster");
    }
    size_t n = strlen(s->local) + strlen(s->sender_domain) + 2;
    s->sender = au_xmalloc(n);
    snprintf(s->sender, n, "%s@%s", s->local, s->sender_domain);
    s->domain0 = au_xstrdup(s->sender_domain);
    au_buf_init(&s->ex, AU_SPF_EXPAND_MAX);
    s->decided = -1;
    s->state = S_INIT;
    return s;
}

void au_spf_free(struct au_spf *s)
{
    if (!s)
        return;
    drop_answers(s);
    clear_names(s);
    for (unsigned i = 0; i < s->depth; i++)
        au_spf_record_free(s->frames[i].rec);
    for (size_t i = 0; i < s->np_valid; i++)
        free(s->p_valid[i]);
    for (size_t i = 0; i < s->ntrace; i++) {
        free((char *)s->trace[i].domain);
        free((char *)s->trace[i].text);
        free((char *)s->trace[i].detail);
    }
    free(s->trace);
    au_buf_free(&s->ex);
    free(s->mail_from);
    free(s->helo);
    free(s->receiver);
    free(s->default_exp);
    free(s->sender);
    free(s->local);
    free(s->sender_domain);
    free(s->domain0);
    free(s->problem);
    free(s->explanation);
    free(s->record0);
    free(s->exp_text);
    free(s->p_value);
    free(s);
}

enum au_result au_spf_result(const struct au_spf *s)
{
    return s->result;
}
const char *au_spf_result_name(enum au_result r)
{
    return au_result_name(r);
}
const char *au_spf_domain(const struct au_spf *s)
{
    return s->domain0;
}
const char *au_spf_sender(const struct au_spf *s)
{
    return s->sender;
}
const struct au_ip *au_spf_ip(const struct au_spf *s)
{
    return &s->ip;
}
enum au_spf_identity au_spf_identity(const struct au_spf *s)
{
    return s->identity;
}
const char *au_spf_problem(const struct au_spf *s)
{
    return s->problem;
}
const char *au_spf_record(const struct au_spf *s)
{
    return s->record0;
}
unsigned au_spf_lookups(const struct au_spf *s)
{
    return s->lookups;
}
unsigned au_spf_void_lookups(const struct au_spf *s)
{
    return s->voids;
}
unsigned au_spf_dns_queries(const struct au_spf *s)
{
    return s->queries;
}
size_t au_spf_trace_count(const struct au_spf *s)
{
    return s->ntrace;
}
bool au_spf_trace_truncated(const struct au_spf *s)
{
    return s->trace_truncated;
}

const char *au_spf_explanation(const struct au_spf *s)
{
    return s->state == S_DONE && s->result == AU_RESULT_FAIL ? s->explanation : NULL;
}

const struct au_spf_trace *au_spf_trace_at(const struct au_spf *s, size_t i)
{
    return i < s->ntrace ? &s->trace[i] : NULL;
}

const struct au_spf_trace *au_spf_decided(const struct au_spf *s)
{
    return s->decided >= 0 ? &s->trace[s->decided] : NULL;
}

const char *au_spf_trace_kind_name(enum au_spf_trace_kind k)
{
    switch (k) {
    case AU_SPF_TRACE_RECORD:
        return "record";
    case AU_SPF_TRACE_TERM:
        return "term";
    case AU_SPF_TRACE_RESULT:
        return "result";
    case AU_SPF_TRACE_EXP:
        return "exp";
    case AU_SPF_TRACE_MACRO_P:
        return "macro-p";
    }
    return "?";
}

const char *au_spf_outcome_name(enum au_spf_outcome o)
{
    switch (o) {
    case AU_SPF_OUT_NONE:
        return "";
    case AU_SPF_OUT_MATCH:
        return "match";
    case AU_SPF_OUT_NO_MATCH:
        return "no-match";
    case AU_SPF_OUT_ERROR:
        return "error";
    }
    return "?";
}

/* ---- Gmail's header texts (REFERENCE.md 5.2, 5.3) ---- */

/* Appends s lowercased, with characters that would break a comment replaced. */
static int put_comment_text(struct au_buf *out, const char *s, bool lower)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f || c == '(' || c == ')' || c == '\\')
            c = '_';
        else if (lower && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        if (au_buf_putc(out, (char)c) < 0)
            return -1;
    }
    return 0;
}

int au_spf_gmail_comment(const struct au_spf *s, struct au_buf *out)
{
    char ip[AU_IP_STR_MAX];
    au_ip_format(&s->ip, ip);
    /* The MAIL FROM identity names the address; the HELO identity the name
     * (UNCONFIRMED: Gmail's wording for HELO checks is not in REFERENCE.md). */
    const char *who = s->identity == AU_SPF_ID_HELO ? s->helo : s->mail_from;
    int r = au_buf_puts(out, "google.com: ");
    switch (s->result) {
    case AU_RESULT_PASS:
        r |= au_buf_puts(out, "domain of ");
        r |= put_comment_text(out, who, true);
        r |= au_buf_printf(out, " designates %s as permitted sender", ip);
        break;
    case AU_RESULT_FAIL:
    case AU_RESULT_SOFTFAIL:
        r |= au_buf_puts(out, s->result == AU_RESULT_SOFTFAIL ? "domain of transitioning "
                                                              : "domain of ");
        r |= put_comment_text(out, who, true);
        r |= au_buf_printf(out, " does not designate %s as permitted sender", ip);
        break;
    case AU_RESULT_NEUTRAL:
        r |= au_buf_printf(out, "%s is neither permitted nor denied by domain of ", ip);
        r |= put_comment_text(out, who, true);
        break;
    case AU_RESULT_TEMPERROR:
        r |= au_buf_puts(out, "error in processing during lookup of ");
        r |= put_comment_text(out, who, true);
        r |= au_buf_puts(out, ": DNS error");
        break;
    case AU_RESULT_PERMERROR:
        r |= au_buf_puts(out, "permanent error in processing during lookup of ");
        r |= put_comment_text(out, who, true);
        r |= au_buf_puts(out, ": ");
        r |= put_comment_text(out, s->problem ? s->problem : "invalid SPF record", false);
        break;
    default:
        r |= put_comment_text(out, who, true);
        r |= au_buf_puts(out, " does not designate permitted sender hosts");
        break;
    }
    return r ? -1 : 0;
}

int au_spf_received_spf(const struct au_spf *s, struct au_buf *out)
{
    char ip[AU_IP_STR_MAX];
    int r = au_buf_printf(out, "Received-SPF: %s (", au_result_name(s->result));
    r |= au_spf_gmail_comment(s, out);
    r |= au_buf_printf(out, ") client-ip=%s;", au_ip_format(&s->ip, ip));
    return r ? -1 : 0;
}

/* RFC 8601 pvalue: as is when it is a plain token-ish address, else quoted. */
static int put_pvalue(struct au_buf *out, const char *v)
{
    bool quote = *v == '\0';
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || strchr("=;()\"\\,<>[]:", c))
            quote = true;
    }
    if (!quote)
        return au_buf_puts(out, v);
    int r = au_buf_putc(out, '"');
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            r |= au_buf_putc(out, '\\');
        r |= au_buf_putc(out, (char)(c < 0x20 || c == 0x7f ? '_' : c));
    }
    r |= au_buf_putc(out, '"');
    return r;
}

int au_spf_ar_clause(const struct au_spf *s, struct au_buf *out)
{
    int r = au_buf_printf(out, "spf=%s (", au_result_name(s->result));
    r |= au_spf_gmail_comment(s, out);
    if (s->identity == AU_SPF_ID_HELO) {
        r |= au_buf_puts(out, ") smtp.helo=");
        r |= put_pvalue(out, s->helo);
    } else {
        r |= au_buf_puts(out, ") smtp.mailfrom=");
        r |= put_pvalue(out, s->mail_from);
    }
    return r ? -1 : 0;
}
