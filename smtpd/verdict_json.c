/*
 * verdict_json - results as JSON (see verdict_json.h).
 *
 * Public: verdict_json_{dkim,dkim_sig,dmarc,iprev,reply,policy,add}.  Strings that
 * come from a peer may hold bytes that are not UTF-8; they are made valid
 * (each such byte becomes '?', spf_json_str) because JSON must be UTF-8.
 */
#include "verdict_json.h"

#include <string.h>

#include "spf_json.h"

json_t *verdict_json_dkim_sig(const struct au_dkim_sig_result *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "result", json_string(au_result_name(r->result)));
    json_object_set_new(o, "domain", spf_json_str(r->domain));
    json_object_set_new(o, "selector", spf_json_str(r->selector));
    json_object_set_new(o, "algorithm", spf_json_str(r->algorithm));
    json_object_set_new(o, "identity", spf_json_str(r->identity));
    json_object_set_new(o, "headers", spf_json_str(r->headers));
    json_object_set_new(o, "key_bits", json_integer(r->key_bits));
    json_object_set_new(o, "reason", spf_json_str(r->reason));
    return o;
}

json_t *verdict_json_dkim(const struct au_dkim_verify *v)
{
    json_t *arr = json_array();
    if (v == NULL)
        return arr;
    for (size_t i = 0; i < au_dkim_verify_count(v); i++)
        json_array_append_new(arr, verdict_json_dkim_sig(au_dkim_verify_result(v, i)));
    return arr;
}

static const char *policy_name(enum au_dmarc_policy p)
{
    switch (p) {
    case AU_DMARC_POLICY_NONE:
        return "none";
    case AU_DMARC_POLICY_QUARANTINE:
        return "quarantine";
    case AU_DMARC_POLICY_REJECT:
        return "reject";
    default:
        return NULL;
    }
}

json_t *verdict_json_dmarc(const struct au_dmarc *d)
{
    if (d == NULL)
        return json_null();
    const struct au_dmarc_outcome *o = au_dmarc_outcome(d);
    json_t *j = json_object();
    json_object_set_new(j, "result", json_string(au_result_name(o->result)));
    json_object_set_new(j, "domain", spf_json_str(o->from_domain));
    json_object_set_new(j, "org_domain", spf_json_str(o->org_domain));
    json_object_set_new(j, "policy", spf_json_str(o->record_found ? policy_name(o->policy) : NULL));
    json_object_set_new(j, "record", spf_json_str(o->record_text));
    json_object_set_new(j, "record_domain", spf_json_str(o->record_domain));
    bool spf = false, dkim = false;
    json_t *rows = json_array();
    for (size_t i = 0; i < o->rows; i++) {
        const struct au_dmarc_row *r = &o->row[i];
        bool is_spf = r->method == AU_DMARC_METHOD_SPF;
        if (r->passes) {
            if (is_spf)
                spf = true;
            else
                dkim = true;
        }
        json_t *row = json_object();
        json_object_set_new(row, "method", json_string(is_spf ? "spf" : "dkim"));
        json_object_set_new(row, "domain", spf_json_str(r->domain));
        json_object_set_new(row, "result", json_string(au_result_name(r->result)));
        json_object_set_new(row, "aligned", json_boolean(r->aligned));
        json_object_set_new(row, "passes", json_boolean(r->passes));
        json_array_append_new(rows, row);
    }
    json_t *al = json_object();
    json_object_set_new(al, "spf", json_boolean(spf));
    json_object_set_new(al, "dkim", json_boolean(dkim));
    json_object_set_new(j, "alignment", al);
    json_object_set_new(j, "table", rows);
    json_object_set_new(j, "explanation", spf_json_str(o->explanation));
    return j;
}

json_t *verdict_json_iprev(const struct au_iprev *v)
{
    if (v == NULL)
        return json_null();
    const struct au_iprev_outcome *o = au_iprev_outcome(v);
    json_t *j = json_object();
    json_object_set_new(j, "result", json_string(au_result_name(o->result)));
    json_t *ptr = json_array();
    for (size_t i = 0; i < o->names; i++)
        json_array_append_new(ptr, spf_json_str(o->name[i].name));
    json_object_set_new(j, "ptr", ptr);
    json_object_set_new(j, "confirmed", spf_json_str(o->confirmed));
    json_object_set_new(j, "explanation", spf_json_str(o->explanation));
    return j;
}

json_t *verdict_json_reply(const struct au_reply *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "code", json_integer(r->code));
    json_object_set_new(j, "enhanced", r->enhanced[0] ? json_string(r->enhanced) : json_null());
    json_t *text = json_array();
    for (size_t i = 0; i < r->n; i++)
        json_array_append_new(text, spf_json_str(r->lines[i]));
    json_object_set_new(j, "text", text);
    return j;
}

json_t *verdict_json_policy(const struct au_policy_verdict *v)
{
    json_t *j = json_object();
    json_object_set_new(j, "profile", spf_json_str(v->profile));
    json_object_set_new(j, "rule", spf_json_str(v->rule));
    json_object_set_new(j, "accepted", json_boolean(v->accept));
    json_object_set_new(j, "disposition",
                        json_string(v->dis == AU_POLICY_DIS_QUARANTINE ? "quarantine" : "none"));
    json_object_set_new(j, "explanation", spf_json_str(v->explanation));
    if (v->observed_rule)
        json_object_set_new(j, "observed_rule", spf_json_str(v->observed_rule));
    return j;
}

/* The trace fields in b, CRLF lines where a line that starts with SP or HTAB
 * continues the field above: one array item per field, its folding undone. */
static json_t *unfolded_fields(const struct au_buf *b)
{
    json_t *h = json_array();
    const char *p = b->data ? b->data : "";
    struct au_buf field;
    au_buf_init(&field, AU_BUF_NOLIMIT);
    while (*p) {
        const char *eol = strstr(p, "\r\n");
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        if (n > 0 && (p[0] == ' ' || p[0] == '\t')) {
            size_t k = 0;
            while (k < n && (p[k] == ' ' || p[k] == '\t'))
                k++;
            au_buf_putc(&field, ' ');
            au_buf_append(&field, p + k, n - k);
        } else {
            if (field.len)
                json_array_append_new(h, spf_json_str(field.data));
            au_buf_reset(&field);
            au_buf_append(&field, p, n);
        }
        p += n + (eol ? 2 : 0);
    }
    if (field.len)
        json_array_append_new(h, spf_json_str(field.data));
    au_buf_free(&field);
    return h;
}

void verdict_json_add(json_t *o, const struct au_assess *a, const struct au_iprev *iprev,
                      const char *authserv_id, bool with_headers)
{
    struct au_assess *ma = (struct au_assess *)a;
    json_object_set_new(o, "spf", spf_json_object(au_assess_spf(ma), false));
    json_object_set_new(o, "dkim", verdict_json_dkim(au_assess_dkim(ma)));
    json_object_set_new(o, "dmarc", verdict_json_dmarc(au_assess_dmarc(ma)));
    json_object_set_new(o, "iprev", verdict_json_iprev(iprev));
    const struct au_policy_verdict *v = au_assess_verdict(a);
    if (v)
        json_object_set_new(o, "verdict", verdict_json_policy(v));
    if (with_headers) {
        struct au_buf b;
        au_buf_init(&b, AU_BUF_NOLIMIT);
        au_assess_trace_headers(a, authserv_id, &b);
        json_object_set_new(o, "headers", unfolded_fields(&b));
        au_buf_free(&b);
    }
}
