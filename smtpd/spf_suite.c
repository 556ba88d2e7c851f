/*
 * spf_suite - the openspf RFC 7208 test suite as stub worlds and cases
 * (see spf_suite.h).
 *
 * Public: spf_suite_load, spf_suite_free, spf_suite_eval, spf_suite_result_ok.
 * Conventions of the suite's harness (its README): an "SPF:" entry is also
 * served as TXT unless the name has a "TXT:" entry of its own ("TXT: NONE"
 * means no TXT at all); a bare TIMEOUT makes every query type without
 * listed records time out; a name absent from zonedata is NXDOMAIN; a list
 * of results means any of them.  The zonedata becomes RFC 1035 zone text
 * for au_dns_stub_add_zone: every name absolute, every byte outside
 * letters, digits, '-', '_' and '.' written as \DDD, so names with spaces
 * and TXT strings with any byte survive unchanged.
 * Limits: SPF_SUITE_RESULTS_MAX results per test.
 */
#include "spf_suite.h"

#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

#define SPF_SUITE_TTL 300 /* the TTL of every record (the suite gives none) */

/* Types a bare TIMEOUT affects when no record of them is listed. */
static const uint16_t timeout_types[] = {AU_DNS_A,   AU_DNS_AAAA, AU_DNS_MX,
                                         AU_DNS_PTR, AU_DNS_TXT,  AU_DNS_SPF};

static char *scalar_dup(struct fy_node *n)
{
    size_t len = 0;
    const char *s = n && fy_node_get_type(n) == FYNT_SCALAR ? fy_node_get_scalar(n, &len) : NULL;
    return s ? au_xstrndup(s, len) : au_xstrdup("");
}

static struct fy_node *get(struct fy_node *map, const char *key)
{
    return map && fy_node_get_type(map) == FYNT_MAPPING
               ? fy_node_mapping_lookup_by_string(map, key, FY_NT)
               : NULL;
}

/* Appends a name as absolute zone text, escaping every unusual byte. */
static void put_name(struct au_buf *z, const char *s, size_t len)
{
    if (len == 0 || (len == 1 && s[0] == '.')) {
        au_buf_putc(z, '.');
        return;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '*')
            au_buf_putc(z, (char)c);
        else
            au_buf_printf(z, "\\%03u", c);
    }
    if (s[len - 1] != '.')
        au_buf_putc(z, '.');
}

/* Starts a zone line: the owner, the TTL, the class and the type. */
static void put_owner(struct au_buf *z, const char *name, size_t nlen, const char *type)
{
    put_name(z, name, nlen);
    au_buf_printf(z, " %d IN %s ", SPF_SUITE_TTL, type);
}

static void put_string(struct au_buf *z, const char *s, size_t len)
{
    au_buf_putc(z, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            au_buf_printf(z, "\\%03u", c);
        else
            au_buf_putc(z, (char)c);
    }
    au_buf_putc(z, '"');
}

/* Appends the character-strings of a TXT/SPF value (a scalar or a list). */
static void put_txt(struct au_buf *z, struct fy_node *v)
{
    if (fy_node_get_type(v) == FYNT_SCALAR) {
        size_t len;
        const char *s = fy_node_get_scalar(v, &len);
        put_string(z, s ? s : "", s ? len : 0);
        return;
    }
    void *it = NULL;
    struct fy_node *item;
    size_t n = 0;
    while ((item = fy_node_sequence_iterate(v, &it)) != NULL) {
        size_t len;
        const char *s = fy_node_get_scalar(item, &len);
        au_buf_putc(z, ' ');
        put_string(z, s ? s : "", s ? len : 0);
        n++;
    }
    if (n == 0)
        put_string(z, "", 0); /* zone text cannot say "no strings"; one empty string */
}

struct name_info {
    bool has[256]; /* types with records listed (by type & 0xff, enough here) */
    bool timeout;
};

static int type_index(uint16_t t)
{
    return t & 0xff;
}

/* Converts one name's entries to zone lines; records faults to add. */
static int convert_name(struct au_buf *z, const char *name, size_t nlen, struct fy_node *items,
                        struct name_info *ni, char *err, size_t errlen)
{
    bool explicit_txt = false;
    void *it = NULL;
    struct fy_node *e;
    /* First pass: does the name list TXT entries of its own? */
    while ((e = fy_node_sequence_iterate(items, &it)) != NULL)
        if (get(e, "TXT"))
            explicit_txt = true;
    it = NULL;
    while ((e = fy_node_sequence_iterate(items, &it)) != NULL) {
        if (fy_node_get_type(e) == FYNT_SCALAR) {
            size_t len;
            const char *s = fy_node_get_scalar(e, &len);
            if (s && len == 7 && memcmp(s, "TIMEOUT", 7) == 0) {
                ni->timeout = true;
                continue;
            }
            snprintf(err, errlen, "zonedata %.*s: unknown item", (int)nlen, name);
            return -1;
        }
        void *mit = NULL;
        struct fy_node_pair *pair = fy_node_mapping_iterate(e, &mit);
        if (!pair)
            continue;
        char *type = scalar_dup(fy_node_pair_key(pair));
        struct fy_node *v = fy_node_pair_value(pair);
        int rc = 0;
        if (strcmp(type, "TXT") == 0 || strcmp(type, "SPF") == 0) {
            size_t len = 0;
            const char *s = fy_node_get_type(v) == FYNT_SCALAR ? fy_node_get_scalar(v, &len) : NULL;
            if (s && len == 4 && memcmp(s, "NONE", 4) == 0) {
                free(type);
                continue;
            }
            bool spf = strcmp(type, "SPF") == 0;
            for (int pass = 0; pass < 2; pass++) {
                /* An SPF entry is served as type SPF, and as TXT unless TXT is explicit. */
                const char *as = pass == 0 ? type : "TXT";
                if (pass == 1 && (!spf || explicit_txt))
                    break;
                put_owner(z, name, nlen, as);
                put_txt(z, v);
                au_buf_putc(z, '\n');
                ni->has[type_index(pass == 0 && spf ? AU_DNS_SPF : AU_DNS_TXT)] = true;
            }
        } else if (strcmp(type, "MX") == 0) {
            void *sit = NULL;
            struct fy_node *pref = fy_node_sequence_iterate(v, &sit);
            struct fy_node *host = fy_node_sequence_iterate(v, &sit);
            char *p = scalar_dup(pref), *h = scalar_dup(host);
            put_owner(z, name, nlen, "MX");
            au_buf_printf(z, "%s ", p);
            put_name(z, h, strlen(h));
            au_buf_putc(z, '\n');
            free(p);
            free(h);
            ni->has[type_index(AU_DNS_MX)] = true;
        } else if (strcmp(type, "A") == 0 || strcmp(type, "AAAA") == 0) {
            char *a = scalar_dup(v);
            put_owner(z, name, nlen, type);
            au_buf_printf(z, "%s\n", a);
            free(a);
            ni->has[type_index(type[1] ? AU_DNS_AAAA : AU_DNS_A)] = true;
        } else if (strcmp(type, "PTR") == 0 || strcmp(type, "CNAME") == 0) {
            char *t = scalar_dup(v);
            put_owner(z, name, nlen, type);
            put_name(z, t, strlen(t));
            au_buf_putc(z, '\n');
            free(t);
            ni->has[type_index(type[0] == 'P' ? AU_DNS_PTR : AU_DNS_CNAME)] = true;
        } else {
            snprintf(err, errlen, "zonedata %.*s: unknown type %s", (int)nlen, name, type);
            rc = -1;
        }
        free(type);
        if (rc)
            return rc;
    }
    return 0;
}

/* Builds the stub of one scenario: all its names as one zone text, then the
 * timeouts. */
static struct au_dns_stub *build_stub(struct fy_node *zonedata, char *err, size_t errlen)
{
    struct au_dns_stub *stub = au_dns_stub_new();
    struct au_buf z;
    au_buf_init(&z, AU_BUF_NOLIMIT);
    struct {
        char name[AU_DNS_NAME_MAX + 1];
        struct name_info ni;
    } *timeouts = NULL;
    size_t ntimeouts = 0;
    void *it = NULL;
    struct fy_node_pair *pair;
    while (zonedata && (pair = fy_node_mapping_iterate(zonedata, &it)) != NULL) {
        size_t nlen;
        const char *name = fy_node_get_scalar(fy_node_pair_key(pair), &nlen);
        struct name_info ni;
        memset(&ni, 0, sizeof ni);
        if (convert_name(&z, name, nlen, fy_node_pair_value(pair), &ni, err, errlen) < 0)
            goto fail;
        if (ni.timeout) {
            timeouts = au_xrealloc(timeouts, (ntimeouts + 1) * sizeof *timeouts);
            snprintf(timeouts[ntimeouts].name, sizeof timeouts[ntimeouts].name, "%.*s", (int)nlen,
                     name);
            timeouts[ntimeouts++].ni = ni;
        }
    }
    char zerr[256];
    if (z.len && au_dns_stub_add_zone(stub, z.data, z.len, "", "<suite>", zerr, sizeof zerr) < 0) {
        snprintf(err, errlen, "zonedata: %s", zerr);
        goto fail;
    }
    for (size_t k = 0; k < ntimeouts; k++)
        for (size_t i = 0; i < sizeof timeout_types / sizeof timeout_types[0]; i++)
            if (!timeouts[k].ni.has[type_index(timeout_types[i])])
                au_dns_stub_add_fault(stub, timeouts[k].name, timeout_types[i],
                                      AU_DNS_FAULT_TIMEOUT);
    free(timeouts);
    au_buf_free(&z);
    return stub;
fail:
    free(timeouts);
    au_buf_free(&z);
    au_dns_stub_free(stub);
    return NULL;
}

static int add_cases(struct spf_suite *s, struct fy_node *tests, const char *scenario,
                     const struct au_dns_stub *stub, size_t *cap)
{
    void *it = NULL;
    struct fy_node_pair *pair;
    while (tests && (pair = fy_node_mapping_iterate(tests, &it)) != NULL) {
        if (s->ncases == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            s->cases = au_xrealloc(s->cases, *cap * sizeof *s->cases);
        }
        struct spf_suite_case *c = &s->cases[s->ncases++];
        memset(c, 0, sizeof *c);
        struct fy_node *t = fy_node_pair_value(pair);
        c->scenario = scenario;
        c->name = scalar_dup(fy_node_pair_key(pair));
        c->spec = scalar_dup(get(t, "spec"));
        c->helo = scalar_dup(get(t, "helo"));
        c->host = scalar_dup(get(t, "host"));
        c->mailfrom = scalar_dup(get(t, "mailfrom"));
        struct fy_node *exp = get(t, "explanation");
        c->explanation = exp ? scalar_dup(exp) : NULL;
        c->stub = stub;
        struct fy_node *res = get(t, "result");
        static const char *const words[] = {"none",     "neutral",   "pass",     "fail",
                                            "softfail", "temperror", "permerror"};
        void *rit = NULL;
        struct fy_node *r = res && fy_node_get_type(res) == FYNT_SEQUENCE
                                ? fy_node_sequence_iterate(res, &rit)
                                : res;
        while (r && c->nresults < SPF_SUITE_RESULTS_MAX) {
            char *w = scalar_dup(r);
            for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
                if (strcasecmp(w, words[i]) == 0)
                    c->results[c->nresults++] = words[i];
            free(w);
            r = fy_node_get_type(res) == FYNT_SEQUENCE ? fy_node_sequence_iterate(res, &rit) : NULL;
        }
    }
    return 0;
}

/* Reads the file at path (at most SPF_SUITE_FILE_MAX bytes). */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return NULL;
    }
    struct au_buf b;
    au_buf_init(&b, SPF_SUITE_FILE_MAX);
    char chunk[65536];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = au_buf_append(&b, chunk, n);
    bool bad = ferror(f) || rc < 0;
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: %s", path, rc < 0 ? "file too large" : "read error");
        au_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return au_buf_detach(&b);
}

/*
 * libfyaml 0.7.12 reads an empty block scalar ("description: >-" followed by
 * a line no more indented than its key) as if the following keys were its
 * content, which swallows the test "ip6-bad1".  YAML 1.2 (8.1.1.1) and
 * PyYAML, which the suite was written for, read it as empty.  Rewrite such
 * a header as an empty quoted string before parsing.
 */
static void fix_empty_block_scalars(char *text, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t eol = i;
        while (eol < len && text[eol] != '\n')
            eol++;
        size_t ind = i;
        while (ind < eol && text[ind] == ' ')
            ind++;
        size_t e = eol;
        while (e > ind && (text[e - 1] == ' ' || text[e - 1] == '\r'))
            e--;
        bool four = e - ind > 4 &&
                    (memcmp(text + e - 4, ": >-", 4) == 0 || memcmp(text + e - 4, ": |-", 4) == 0);
        bool three = !four && e - ind > 3 &&
                     (memcmp(text + e - 3, ": >", 3) == 0 || memcmp(text + e - 3, ": |", 3) == 0);
        if (four || three) {
            size_t next = eol + 1, nind = next;
            while (nind < len && text[nind] == ' ')
                nind++;
            bool empty =
                next >= len || (nind < len && text[nind] != '\n' && nind - next <= ind - i);
            if (empty && four)
                memcpy(text + e - 4, ": ''", 4);
            else if (empty)
                memcpy(text + e - 3, ": ~", 3);
        }
        i = eol + 1;
    }
}

struct spf_suite *spf_suite_load(const char *path, char *err, size_t errlen)
{
    size_t len = 0;
    char *text = read_file(path, &len, err, errlen);
    if (!text)
        return NULL;
    fix_empty_block_scalars(text, len);
    struct fy_parse_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = FYPCF_QUIET;
    struct fy_parser *fyp = fy_parser_create(&cfg);
    if (!fyp || fy_parser_set_string(fyp, text, len) != 0) {
        snprintf(err, errlen, "%s: cannot parse", path);
        fy_parser_destroy(fyp);
        free(text);
        return NULL;
    }
    struct spf_suite *s = au_xcalloc(1, sizeof *s);
    size_t cap = 0;
    struct fy_document *fyd;
    while ((fyd = fy_parse_load_document(fyp)) != NULL) {
        struct fy_node *root = fy_document_root(fyd);
        s->stubs = au_xrealloc(s->stubs, (s->nscenarios + 1) * sizeof *s->stubs);
        s->scenarios = au_xrealloc(s->scenarios, (s->nscenarios + 1) * sizeof *s->scenarios);
        char *desc = scalar_dup(get(root, "description"));
        struct au_dns_stub *stub = build_stub(get(root, "zonedata"), err, errlen);
        if (!stub) {
            free(desc);
            fy_parse_document_destroy(fyp, fyd);
            fy_parser_destroy(fyp);
            free(text);
            spf_suite_free(s);
            return NULL;
        }
        s->stubs[s->nscenarios] = stub;
        s->scenarios[s->nscenarios++] = desc;
        add_cases(s, get(root, "tests"), desc, stub, &cap);
        fy_parse_document_destroy(fyp, fyd);
    }
    fy_parser_destroy(fyp);
    free(text);
    if (s->ncases == 0) {
        snprintf(err, errlen, "%s: no test cases", path);
        spf_suite_free(s);
        return NULL;
    }
    return s;
}

void spf_suite_free(struct spf_suite *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ncases; i++) {
        struct spf_suite_case *c = &s->cases[i];
        free(c->name);
        free(c->spec);
        free(c->helo);
        free(c->host);
        free(c->mailfrom);
        free(c->explanation);
    }
    for (size_t i = 0; i < s->nscenarios; i++) {
        au_dns_stub_free(s->stubs[i]);
        free(s->scenarios[i]);
    }
    free(s->cases);
    free(s->stubs);
    free(s->scenarios);
    free(s);
}

struct au_spf *spf_suite_eval(const struct spf_suite_case *c)
{
    struct au_spf_params p;
    memset(&p, 0, sizeof p);
    if (au_ip_parse(c->host, strlen(c->host), &p.ip) < 0)
        return NULL;
    p.mail_from = c->mailfrom;
    p.helo = c->helo;
    p.identity = AU_SPF_ID_MAILFROM;
    p.now = 1700000000;
    p.default_explanation = "DEFAULT";
    struct au_spf *spf = au_spf_new(&p);
    au_dns_run(au_spf_step, spf, au_dns_stub_lookup_fn, (void *)c->stub);
    return spf;
}

bool spf_suite_result_ok(const struct spf_suite_case *c, const struct au_spf *spf)
{
    const char *got = au_spf_result_name(au_spf_result(spf));
    for (size_t i = 0; i < c->nresults; i++)
        if (strcmp(c->results[i], got) == 0)
            return true;
    return false;
}
