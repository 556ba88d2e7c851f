/*
 * spf_json - the SPF JSON object (see spf_json.h).
 *
 * Public: spf_json_object, spf_json_str.
 * Field names are stable once published (spec/cli.md: fields may be added,
 * never renamed).  Strings from DNS may hold any byte; jansson needs UTF-8,
 * so text that is not valid UTF-8 has its bytes >= 0x80 replaced by '?'.
 */
#include "spf_json.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

json_t *spf_json_str(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    char *t = au_xstrdup(s);
    for (char *p = t; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(t);
    free(t);
    return j ? j : json_null();
}

static json_t *entry(const struct au_spf_trace *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "depth", json_integer(t->depth));
    json_object_set_new(o, "kind", json_string(au_spf_trace_kind_name(t->kind)));
    json_object_set_new(o, "domain", spf_json_str(t->domain));
    json_object_set_new(o, "text", spf_json_str(t->text));
    json_object_set_new(
        o, "outcome",
        t->outcome == AU_SPF_OUT_NONE ? json_null() : json_string(au_spf_outcome_name(t->outcome)));
    bool has_result = t->kind == AU_SPF_TRACE_RESULT || t->outcome == AU_SPF_OUT_MATCH;
    json_object_set_new(o, "result",
                        has_result ? json_string(au_result_name(t->result)) : json_null());
    json_object_set_new(o, "detail", spf_json_str(t->detail));
    if (t->mech >= 0) {
        char q[2] = {t->qualifier, '\0'};
        json_object_set_new(o, "mechanism",
                            json_string(au_spf_mech_name((enum au_spf_mech)t->mech)));
        json_object_set_new(o, "qualifier", json_string(q));
    }
    return o;
}

json_t *spf_json_object(const struct au_spf *spf, bool with_trace)
{
    char ip[AU_IP_STR_MAX];
    json_t *o = json_object();
    json_object_set_new(o, "result", json_string(au_result_name(au_spf_result(spf))));
    json_object_set_new(o, "domain", spf_json_str(au_spf_domain(spf)));
    json_object_set_new(o, "ip", json_string(au_ip_format(au_spf_ip(spf), ip)));
    json_object_set_new(o, "explanation", spf_json_str(au_spf_explanation(spf)));
    json_object_set_new(o, "lookups", json_integer(au_spf_lookups(spf)));
    json_object_set_new(o, "void_lookups", json_integer(au_spf_void_lookups(spf)));
    json_object_set_new(o, "dns_queries", json_integer(au_spf_dns_queries(spf)));
    json_object_set_new(o, "identity",
                        json_string(au_spf_identity(spf) == AU_SPF_ID_HELO ? "helo" : "mailfrom"));
    json_object_set_new(o, "sender", spf_json_str(au_spf_sender(spf)));
    json_object_set_new(o, "record", spf_json_str(au_spf_record(spf)));
    json_object_set_new(o, "problem", spf_json_str(au_spf_problem(spf)));
    const struct au_spf_trace *d = au_spf_decided(spf);
    json_object_set_new(o, "decided", d ? entry(d) : json_null());
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    json_t *h = json_object();
    au_spf_received_spf(spf, &b);
    json_object_set_new(h, "received_spf", spf_json_str(b.data ? b.data : ""));
    au_buf_reset(&b);
    au_spf_ar_clause(spf, &b);
    json_object_set_new(h, "authentication_results", spf_json_str(b.data ? b.data : ""));
    au_buf_free(&b);
    json_object_set_new(o, "headers", h);
    if (with_trace) {
        json_t *a = json_array();
        for (size_t i = 0; i < au_spf_trace_count(spf); i++)
            json_array_append_new(a, entry(au_spf_trace_at(spf, i)));
        json_object_set_new(o, "trace", a);
        json_object_set_new(o, "trace_truncated", json_boolean(au_spf_trace_truncated(spf)));
    }
    return o;
}
