/*
 * conf_dmarc_authheaders - the DMARC cases of ValiMail's authentication-
 * headers suite (conformance/dmarc-authheaders) against auth/dmarc.
 *
 * What is compared: the dmarc= result, the header.from domain and the
 * policy (policy.dmarc=) of each case's expected Authentication-Results
 * header; the suite's README says comments differ between implementations.
 *
 * Inputs taken from the suite rather than computed here:
 *  - DNS: the suite's fake-DNS table (a string is a TXT answer, null or a
 *    missing name is NXDOMAIN), answered through the dns.h step contract;
 *  - the SPF and DKIM results DMARC consumes: SPF and DKIM verification are
 *    other modules, so each case's dkim=/spf= clauses (from the expected
 *    header, which repeats the "prev" results) are given to the evaluator;
 *  - the From domain: the RFC 5322 From parser is another module; a small
 *    extractor here takes the domain of each address of the From field.
 *    A From with several domains is evaluated per domain and fails if any
 *    fails (RFC 7489 6.6.1 allows that; Gmail refuses such mail earlier).
 *
 * Two cases expect DMARCbis behaviour (README "RFC 7489 vs DMARCbis"); we
 * implement RFC 7489 and check those against the RFC 7489 outcome the README
 * states: test_authenticate_dmarc_np1 (np= is not in RFC 7489: sp=quarantine
 * applies) and test_authenticate_dmarc_psdsub (no tree walk: _dmarc.example.gov
 * is empty and example.gov is its own organizational domain under the public
 * suffix gov, so no record: none).
 *
 * usage: conf_dmarc_authheaders CONFORMANCE_DIR
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc.h"
#include "psl_load.h"
#include "xalloc.h"

#define FROM_DOMAINS_MAX 8
#define DKIM_MAX 8

static json_t *dns_table;

static struct au_dns_answer *table_lookup(void *ctx, const struct au_dns_query *q)
{
    (void)ctx;
    json_t *v = json_object_get(dns_table, q->name);
    if (v == NULL || json_is_null(v) || q->type != AU_DNS_TXT)
        return au_dns_answer_status(AU_DNS_NXDOMAIN, 300, "NXDOMAIN");
    const char *s = json_string_value(v);
    if (s == NULL)
        return au_dns_answer_status(AU_DNS_NXDOMAIN, 300, "NXDOMAIN");
    struct au_dns_builder *b = au_dns_builder_new();
    struct au_slice str = au_slice_cstr(s);
    au_dns_builder_add_txt(b, AU_DNS_TXT, 300, &str, 1);
    return au_dns_builder_finish(b);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        au_buf_append(&b, chunk, n);
    fclose(f);
    return au_buf_detach(&b);
}

/* The unfolded value of the first From field, or NULL. */
static char *from_field(const char *msg)
{
    const char *p = msg;
    while (*p && !(*p == '\r' || *p == '\n')) { /* headers end at an empty line */
        if (strncasecmp(p, "From:", 5) == 0) {
            struct au_buf v;
            au_buf_init(&v, AU_BUF_NOLIMIT);
            const char *s = p + 5;
            for (;;) {
                const char *eol = s + strcspn(s, "\r\n");
                au_buf_append(&v, s, (size_t)(eol - s));
                s = eol;
                if (*s == '\r')
                    s++;
                if (*s == '\n')
                    s++;
                if (*s != ' ' && *s != '\t')
                    break;
            }
            return au_buf_detach(&v);
        }
        p += strcspn(p, "\n");
        if (*p == '\n')
            p++;
    }
    return NULL;
}

/* Domains of the addresses in a From value: split on commas outside quotes
 * and angle brackets; the address is inside <> or the whole part. */
static size_t from_domains(const char *v, char *out[FROM_DOMAINS_MAX])
{
    size_t n = 0;
    const char *start = v;
    bool quoted = false;
    int angle = 0;
    for (const char *p = v;; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (!quoted && *p == '<')
            angle++;
        else if (!quoted && *p == '>' && angle > 0)
            angle--;
        if (*p == '\0' || (*p == ',' && !quoted && angle == 0)) {
            char *part = au_xstrndup(start, (size_t)(p - start));
            char *addr = part;
            char *lt = strrchr(part, '<');
            if (lt != NULL) {
                addr = lt + 1;
                addr[strcspn(addr, ">")] = '\0';
            }
            char *at = strrchr(addr, '@');
            if (at != NULL && n < FROM_DOMAINS_MAX) {
                char *dom = at + 1;
                dom[strcspn(dom, " \t>")] = '\0';
                out[n++] = au_xstrdup(dom);
            }
            free(part);
            if (*p == '\0')
                break;
            start = p + 1;
        }
    }
    return n;
}

/* The value of "name=" in a clause (up to a space or ';'), copied into out. */
static bool clause_get(const char *clause, size_t len, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl <= len; i++) {
        if ((i == 0 || clause[i - 1] == ' ') && strncmp(clause + i, name, nl) == 0) {
            size_t j = i + nl, k = 0;
            while (j < len && clause[j] != ' ' && clause[j] != ';' && k + 1 < outlen)
                out[k++] = clause[j++];
            out[k] = '\0';
            return true;
        }
    }
    return false;
}

struct expected {
    char dmarc[32], from[256], policy[32];
    bool has_dmarc;
    struct au_dmarc_ids ids;
    struct au_dmarc_dkim dkim[DKIM_MAX];
    char dkim_dom[DKIM_MAX][256];
    char spf_dom[256];
};

/* The ';' ending a clause, skipping comments (they may hold ';'); or NULL. */
static const char *clause_end(const char *p)
{
    int depth = 0;
    bool quoted = false;
    for (; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (!quoted && *p == '(')
            depth++;
        else if (!quoted && *p == ')' && depth > 0)
            depth--;
        else if (!quoted && depth == 0 && *p == ';')
            return p;
    }
    return NULL;
}

static void parse_expected(const char *hdr, struct expected *e)
{
    memset(e, 0, sizeof *e);
    e->ids.spf = AU_RESULT_NONE;
    e->ids.dkim = e->dkim;
    const char *p = strchr(hdr, ';');
    while (p != NULL) {
        p++;
        while (*p == ' ')
            p++;
        const char *end = clause_end(p);
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char res[32];
        if (strncmp(p, "dkim=", 5) == 0 && e->ids.dkim_count < DKIM_MAX) {
            size_t i = e->ids.dkim_count++;
            clause_get(p, len, "dkim=", res, sizeof res);
            e->dkim[i].result = (enum au_result)au_result_parse(res);
            clause_get(p, len, "header.d=", e->dkim_dom[i], sizeof e->dkim_dom[i]);
            e->dkim[i].domain = e->dkim_dom[i];
        } else if (strncmp(p, "spf=", 4) == 0) {
            clause_get(p, len, "spf=", res, sizeof res);
            e->ids.spf = (enum au_result)au_result_parse(res);
            char mf[256];
            clause_get(p, len, "smtp.mailfrom=", mf, sizeof mf);
            const char *at = strrchr(mf, '@');
            snprintf(e->spf_dom, sizeof e->spf_dom, "%s", at ? at + 1 : mf);
            e->ids.spf_domain = e->spf_dom;
        } else if (strncmp(p, "dmarc=", 6) == 0) {
            e->has_dmarc = true;
            clause_get(p, len, "dmarc=", e->dmarc, sizeof e->dmarc);
            clause_get(p, len, "header.from=", e->from, sizeof e->from);
            if (!clause_get(p, len, "policy.dmarc=", e->policy, sizeof e->policy))
                strcpy(e->policy, "none");
        }
        p = end;
    }
}

/* RFC 7489 outcomes for the two DMARCbis cases (see the top of this file). */
static const struct {
    const char *test, *dmarc, *from, *policy, *why;
} rfc7489_cases[] = {
    {"test_authenticate_dmarc_np1", "fail", "sub.example.biz", "quarantine",
     "np= is DMARCbis; RFC 7489 applies sp=quarantine"},
    {"test_authenticate_dmarc_psdsub", "none", "example.gov", "none",
     "the PSD tree walk is DMARCbis; RFC 7489 finds no record"},
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: conf_dmarc_authheaders CONFORMANCE_DIR\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/dmarc-authheaders/expected-results.json", argv[1]);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (root == NULL) {
        fprintf(stderr, "conf_dmarc_authheaders: %s: %s\n", path, jerr.text);
        return 1;
    }
    dns_table = json_object_get(root, "dns");
    const psl_ctx_t *psl = psl_load_default();
    if (psl == NULL)
        return 1;

    int run = 0, passed = 0, skipped = 0, rfc7489 = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), i, c)
    {
        const char *test = json_string_value(json_object_get(c, "upstream_test"));
        json_t *opt = json_object_get(c, "options");
        if (json_is_false(json_object_get(opt, "dmarc"))) {
            printf("skip %s: no DMARC in this case\n", test);
            skipped++;
            continue;
        }
        struct expected e;
        parse_expected(json_string_value(json_object_get(c, "expected_header")), &e);
        const char *why = NULL;
        for (size_t k = 0; k < sizeof rfc7489_cases / sizeof rfc7489_cases[0]; k++) {
            if (strcmp(test, rfc7489_cases[k].test) == 0) {
                snprintf(e.dmarc, sizeof e.dmarc, "%s", rfc7489_cases[k].dmarc);
                snprintf(e.from, sizeof e.from, "%s", rfc7489_cases[k].from);
                snprintf(e.policy, sizeof e.policy, "%s", rfc7489_cases[k].policy);
                e.has_dmarc = true;
                why = rfc7489_cases[k].why;
                rfc7489++;
            }
        }

        snprintf(path, sizeof path, "%s/dmarc-authheaders/files/%s", argv[1],
                 json_string_value(json_object_get(c, "message_file")));
        char *msg = read_file(path);
        if (msg == NULL) {
            fprintf(stderr, "conf_dmarc_authheaders: cannot read %s\n", path);
            return 1;
        }
        char *from = from_field(msg);
        char *doms[FROM_DOMAINS_MAX];
        size_t ndoms = from ? from_domains(from, doms) : 0;

        /* Evaluate each From domain; the first failing one decides, else
         * the last one (a single domain in all but the multi-From cases). */
        char got_dmarc[32] = "", got_from[256] = "none", got_policy[32] = "none";
        size_t nd = ndoms ? ndoms : 1;
        for (size_t k = 0; k < nd; k++) {
            struct au_dmarc *d = au_dmarc_new(psl, ndoms ? doms[k] : NULL);
            au_dns_run(au_dmarc_step, d, table_lookup, NULL);
            au_dmarc_evaluate(d, &e.ids);
            const struct au_dmarc_outcome *o = au_dmarc_outcome(d);
            bool decided = got_dmarc[0] != '\0' && strcmp(got_dmarc, "fail") == 0;
            if (!decided) {
                snprintf(got_dmarc, sizeof got_dmarc, "%s", au_result_name(o->result));
                snprintf(got_from, sizeof got_from, "%s", o->from_domain ? o->from_domain : "none");
                snprintf(got_policy, sizeof got_policy, "%s",
                         o->policy == AU_DMARC_POLICY_UNSET ? "none"
                                                            : au_dmarc_policy_name(o->policy));
            }
            if (getenv("VERBOSE"))
                printf("  %s: %s\n", test, o->explanation);
            au_dmarc_free(d);
        }

        run++;
        /* "dmarc=none" carries no header.from in this suite: nothing to compare. */
        bool ok = e.has_dmarc && strcmp(got_dmarc, e.dmarc) == 0 &&
                  (e.from[0] == '\0' || strcasecmp(got_from, e.from) == 0) &&
                  strcmp(got_policy, e.policy) == 0;
        if (ok)
            passed++;
        printf("%s %s: dmarc=%s header.from=%s policy=%s (want %s %s %s)%s%s%s\n",
               ok ? "ok  " : "FAIL", test, got_dmarc, got_from, got_policy, e.dmarc,
               e.from[0] ? e.from : "-", e.policy, why ? " [RFC 7489: " : "", why ? why : "",
               why ? "]" : "");
        for (size_t k = 0; k < ndoms; k++)
            free(doms[k]);
        free(from);
        free(msg);
    }
    json_decref(root);
    printf("dmarc-authheaders: %d/%d DMARC cases passed (%d checked against RFC 7489 instead "
           "of DMARCbis), %d non-DMARC cases skipped\n",
           passed, run, rfc7489, skipped);
    return passed == run && run == 11 ? 0 : 1;
}
