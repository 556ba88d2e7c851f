/*
 * scenario - the scenario file loader (spec/scenarios.md, format 1).
 *
 * Public functions: scenario_load, scenario_load_string, scenario_free,
 * scenario_zone_pos, scenario_key_name, scenario_collect,
 * scenario_collect_free; the table scenario_profiles.
 *
 * The file is parsed with yamlx (strict YAML, positions), then walked once,
 * top to bottom, checking every key, type and value and building struct
 * scenario.  The first problem stops the load with "FILE:LINE:COLUMN: what"
 * at the offending key or value.  Files the scenario names (dns.files,
 * message.file, keys' private_key_file) are read here, relative to the
 * scenario's directory, so that a runner never starts a scenario that cannot
 * run; a private key is parsed with OpenSSL to prove it is one.  When the
 * stub DNS can parse zone text, dns.zone and dns.files are parsed here too
 * and their errors reported at the zone's line.
 *
 * RFCs: reply codes RFC 5321 4.2, enhanced codes RFC 3463 2, result words
 * RFC 8601 2.7, DKIM canonicalization names RFC 6376 3.5 (c=, a single word
 * is the header algorithm with simple for the body), t= and l= sizes RFC 6376
 * 3.5, field names RFC 5322 3.6.8.
 *
 * Limits: the SCENARIO_*_MAX of scenario.h.
 */
#include "scenario.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "dns.h"
#include "ip.h"
#include "xalloc.h"
#include "yamlx.h"

#define SCENARIO_NAME_MAX 1000   /* the scenario line */

const char *const scenario_profiles[] = {"gmail", "gmail-bulk", "gmail-tempfail", "observe",
                                         NULL};

/* Every allocation of a scenario, freed together. */
struct scenario_arena {
    void **p;
    size_t n, cap;
};

struct loader {
    struct yamlx_doc *d;
    struct scenario *s;
    struct au_buf tmp;   /* file contents being read */
    struct au_buf why;   /* why a read failed */
};

static void *salloc(struct loader *L, size_t n, size_t size)
{
    struct scenario_arena *a = L->s->arena;
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 64;
        a->p = au_xrealloc(a->p, a->cap * sizeof *a->p);
    }
    void *p = au_xcalloc(n ? n : 1, size);
    a->p[a->n++] = p;
    return p;
}

static char *sdupn(struct loader *L, const char *s, size_t len)
{
    char *p = salloc(L, len + 1, 1);
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

static char *sdup(struct loader *L, const char *s)
{
    return sdupn(L, s, strlen(s));
}

static struct scenario_pos pos_of(const struct yamlx_node *n)
{
    struct scenario_pos p = {n ? n->line : 1, n ? n->col : 1};
    return p;
}

static const char *show(const char *s, char *buf)
{
    return yamlx_show(s, strlen(s), buf, YAMLX_SHOW_MAX);
}

/* ---- value checks ---- */

/* A DNS name in presentation form: labels of 1..63 bytes of letters, digits,
 * '-' and '_', at most AU_DNS_NAME_MAX bytes; NULL when fine, else why. */
static const char *dns_name_error(const char *s)
{
    size_t len = strlen(s);
    if (len == 0)
        return "is empty";
    if (len > AU_DNS_NAME_MAX)
        return "is longer than 253 bytes";
    if (s[len - 1] == '.')
        return "ends with a dot";
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = s[i];
        if (c == '.' || c == 0) {
            if (label == 0)
                return "has an empty label";
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || (c == '*' && i == 0 && (s[1] == '.' || s[1] == 0))))
            return "has a character other than letters, digits, '-', '_' and '.'";
        if (++label > AU_DNS_LABEL_MAX)
            return "has a label longer than 63 bytes";
    }
    return NULL;
}

/* RFC 5322 3.6.8: ftext is printable US-ASCII but ':'. */
static bool field_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 33 || (unsigned char)*s > 126 || *s == ':')
            return false;
    return true;
}

static bool has_crlf(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

/* An envelope address as the runner writes it inside <>: local@domain, no
 * spaces, controls or angle brackets. */
static bool mailbox_ok(const char *s)
{
    const char *at = strrchr(s, '@');
    if (!at || at == s || at[1] == 0)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 32 || (unsigned char)*s >= 127 || *s == '<' || *s == '>')
            return false;
    return true;
}

/* "CODE" or "CODE ENHANCED" (RFC 5321 4.2, RFC 3463 2). */
static int parse_reply(struct loader *L, const struct yamlx_node *n, const char *what,
                       struct scenario_reply *out)
{
    const char *s;
    char b[YAMLX_SHOW_MAX];
    if (yamlx_str(L->d, n, what, &s) != 0)
        return -1;
    memset(out, 0, sizeof *out);
    if (!(s[0] >= '2' && s[0] <= '5' && s[1] >= '0' && s[1] <= '5' && s[2] >= '0' &&
          s[2] <= '9' && (s[3] == 0 || s[3] == ' ')))
        return yamlx_fail(L->d, n,
                          "%s: '%s' is not a reply: expected \"CODE\" or \"CODE ENHANCED\" "
                          "such as \"550 5.7.26\"",
                          what, show(s, b));
    out->code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
    if (s[3] == 0)
        return 0;
    const char *e = s + 4;
    /* class "." subject "." detail; subject and detail 1*3DIGIT */
    int parts[3] = {0, 0, 0};
    const char *p = e;
    bool ok = true;
    for (int i = 0; i < 3 && ok; i++) {
        size_t digits = 0;
        while (*p >= '0' && *p <= '9') {
            p++;
            digits++;
        }
        parts[i] = (int)digits;
        if (i < 2) {
            if (*p != '.')
                ok = false;
            else
                p++;
        }
    }
    ok = ok && *p == 0 && parts[0] == 1 && (e[0] == '2' || e[0] == '4' || e[0] == '5') &&
         parts[1] >= 1 && parts[1] <= 3 && parts[2] >= 1 && parts[2] <= 3;
    if (!ok)
        return yamlx_fail(L->d, n,
                          "%s: '%s' is not an enhanced status code (class.subject.detail, "
                          "such as 5.7.26)",
                          what, show(e, b));
    if (e[0] != s[0])
        return yamlx_fail(L->d, n, "%s: enhanced code %s does not match the class of reply %d",
                          what, show(e, b), out->code);
    snprintf(out->enhanced, sizeof out->enhanced, "%s", e);
    return 0;
}

/* ---- reading the files a scenario names ---- */

static char *resolve(struct loader *L, const char *name)
{
    if (name[0] == '/')
        return sdup(L, name);
    size_t dl = strlen(L->s->dir), nl = strlen(name);
    char *p = salloc(L, dl + nl + 2, 1);
    memcpy(p, L->s->dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, name, nl);
    return p;
}

/* Reads the file named by the string node n ("what" for messages); on
 * success the contents are in L->tmp and the name and path are set. */
static int read_named(struct loader *L, const struct yamlx_node *n, const char *what,
                      char **name, char **path)
{
    const char *s;
    char b[YAMLX_SHOW_MAX];
    if (yamlx_str(L->d, n, what, &s) != 0)
        return -1;
    if (!*s)
        return yamlx_fail(L->d, n, "%s: empty file name", what);
    *name = sdup(L, s);
    *path = resolve(L, s);
    if (yamlx_read_file(*path, SCENARIO_DATA_FILE_MAX, &L->tmp, &L->why) != 0)
        return yamlx_fail(L->d, n, "%s: cannot read '%s': %s", what, show(s, b), L->why.data);
    return 0;
}

/* ---- dns ---- */

static int check_zones(struct loader *L);

static int load_faults(struct loader *L, const struct yamlx_node *seq)
{
    static const char *const fault_keys[] = {"name", "type", "fault", NULL};
    static const char *const kinds[] = {"timeout", "servfail", "refused", "nxdomain", NULL};
    static const enum au_dns_fault kind_value[] = {AU_DNS_FAULT_TIMEOUT, AU_DNS_FAULT_SERVFAIL,
                                                   AU_DNS_FAULT_REFUSED, AU_DNS_FAULT_NXDOMAIN};
    struct scenario *s = L->s;
    char b[YAMLX_SHOW_MAX];
    if (yamlx_seq(L->d, seq, "dns.faults", SCENARIO_FAULTS_MAX) != 0)
        return -1;
    s->faults = salloc(L, seq->n, sizeof *s->faults);
    for (size_t i = 0; i < seq->n; i++) {
        const struct yamlx_node *f = seq->item[i];
        struct scenario_fault *out = &s->faults[i];
        const char *name, *type;
        int kind;
        if (yamlx_map(L->d, f, "a dns fault", fault_keys) != 0 ||
            yamlx_require(L->d, f, "a dns fault", "name") != 0 ||
            yamlx_require(L->d, f, "a dns fault", "type") != 0 ||
            yamlx_require(L->d, f, "a dns fault", "fault") != 0)
            return -1;
        const struct yamlx_node *nn = yamlx_get(f, "name"), *tn = yamlx_get(f, "type");
        if (yamlx_str(L->d, nn, "fault name", &name) != 0)
            return -1;
        out->name = sdup(L, name);
        size_t nl = strlen(out->name);
        if (nl > 1 && out->name[nl - 1] == '.')   /* a fully qualified name is fine */
            out->name[nl - 1] = 0;
        const char *why = dns_name_error(out->name);
        if (why)
            return yamlx_fail(L->d, nn, "fault name '%s' %s", show(name, b), why);
        if (yamlx_str(L->d, tn, "fault type", &type) != 0)
            return -1;
        int t = au_dns_type_parse(type);
        if (t <= 0)
            return yamlx_fail(L->d, tn,
                              "fault type: unknown DNS type '%s' (A, AAAA, CNAME, MX, NS, PTR, "
                              "SOA, SPF, TXT or ANY)",
                              show(type, b));
        out->type = (uint16_t)t;
        if (yamlx_enum(L->d, yamlx_get(f, "fault"), "fault", kinds, &kind) != 0)
            return -1;
        out->fault = kind_value[kind];
        out->pos = pos_of(f);
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(s->faults[j].name, out->name) == 0 && s->faults[j].type == out->type)
                return yamlx_fail(L->d, f, "a second fault for %s/%s (the first is at line %d)",
                                  show(out->name, b), au_dns_type_name(out->type),
                                  s->faults[j].pos.line);
    }
    s->nfaults = seq->n;
    return 0;
}

static int load_dns(struct loader *L, const struct yamlx_node *dns)
{
    static const char *const dns_keys[] = {"zone", "files", "faults", NULL};
    struct scenario *s = L->s;
    if (yamlx_map(L->d, dns, "dns", dns_keys) != 0)
        return -1;
    const struct yamlx_node *zone = yamlx_get(dns, "zone");
    if (zone) {
        const char *text;
        if (yamlx_str(L->d, zone, "dns.zone", &text) != 0)
            return -1;
        s->zone = sdupn(L, text, zone->len);
        s->zone_len = zone->len;
        s->zone_pos = pos_of(zone);
        s->zone_lines_exact = zone->style == YAMLX_LITERAL;
    }
    const struct yamlx_node *files = yamlx_get(dns, "files");
    if (files) {
        if (yamlx_seq(L->d, files, "dns.files", SCENARIO_ZONE_FILES_MAX) != 0)
            return -1;
        s->files = salloc(L, files->n, sizeof *s->files);
        for (size_t i = 0; i < files->n; i++) {
            struct scenario_zone_file *zf = &s->files[i];
            if (read_named(L, files->item[i], "zone file", &zf->name, &zf->path) != 0)
                return -1;
            zf->text = sdupn(L, L->tmp.data, L->tmp.len);
            zf->len = L->tmp.len;
            zf->pos = pos_of(files->item[i]);
        }
        s->nfiles = files->n;
    }
    const struct yamlx_node *faults = yamlx_get(dns, "faults");
    if (faults && load_faults(L, faults) != 0)
        return -1;
    return check_zones(L);
}

/* ---- keys ---- */

/* OpenSSL must never prompt for a pass phrase: an encrypted key is an error. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static int check_pem(struct loader *L, const struct yamlx_node *n, struct scenario_key *k)
{
    char b[YAMLX_SHOW_MAX];
    BIO *bio = BIO_new_mem_buf(k->private_key_pem, (int)k->private_key_len);
    EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
    BIO_free(bio);
    ERR_clear_error();
    if (!pkey)
        return yamlx_fail(L->d, n,
                          "private_key_file: '%s' holds no PEM private key (or it is encrypted)",
                          show(k->private_key_file, b));
    int id = EVP_PKEY_get_base_id(pkey);
    EVP_PKEY_free(pkey);
    if (k->algorithm == SCENARIO_ALG_RSA_SHA256 && id != EVP_PKEY_RSA)
        return yamlx_fail(L->d, n, "private_key_file: '%s' is not an RSA key (algorithm rsa-sha256)",
                          show(k->private_key_file, b));
    if (k->algorithm == SCENARIO_ALG_ED25519_SHA256 && id != EVP_PKEY_ED25519)
        return yamlx_fail(L->d, n,
                          "private_key_file: '%s' is not an Ed25519 key (algorithm "
                          "ed25519-sha256)",
                          show(k->private_key_file, b));
    return 0;
}

const char *scenario_key_name(const struct scenario_key *k, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", k->domain, k->selector);
    return buf;
}

static int load_key(struct loader *L, const struct yamlx_node *m, struct scenario_key *k)
{
    static const char *const key_keys[] = {"domain", "selector", "algorithm", "bits", "publish",
                                           "private_key_file", "record", NULL};
    static const char *const algs[] = {"rsa-sha256", "ed25519-sha256", NULL};
    char b[YAMLX_SHOW_MAX];
    const char *str, *why;
    int alg;
    if (yamlx_map(L->d, m, "a key", key_keys) != 0 ||
        yamlx_require(L->d, m, "a key", "domain") != 0 ||
        yamlx_require(L->d, m, "a key", "selector") != 0 ||
        yamlx_require(L->d, m, "a key", "algorithm") != 0)
        return -1;
    k->pos = pos_of(m);
    const struct yamlx_node *n = yamlx_get(m, "domain");
    if (yamlx_str(L->d, n, "key domain", &str) != 0)
        return -1;
    if ((why = dns_name_error(str)) != NULL)
        return yamlx_fail(L->d, n, "key domain '%s' %s", show(str, b), why);
    k->domain = sdup(L, str);
    n = yamlx_get(m, "selector");
    if (yamlx_str(L->d, n, "key selector", &str) != 0)
        return -1;
    if ((why = dns_name_error(str)) != NULL)
        return yamlx_fail(L->d, n, "key selector '%s' %s", show(str, b), why);
    if (strlen(str) + strlen("._domainkey.") + strlen(k->domain) > AU_DNS_NAME_MAX)
        return yamlx_fail(L->d, n, "key selector: %s._domainkey.%s is longer than 253 bytes",
                          show(str, b), k->domain);
    k->selector = sdup(L, str);
    if (yamlx_enum(L->d, yamlx_get(m, "algorithm"), "algorithm", algs, &alg) != 0)
        return -1;
    k->algorithm = (enum scenario_alg)alg;

    k->publish = true;
    if ((n = yamlx_get(m, "publish")) && yamlx_bool(L->d, n, "publish", &k->publish) != 0)
        return -1;

    const struct yamlx_node *pkf = yamlx_get(m, "private_key_file");
    if ((n = yamlx_get(m, "bits")) != NULL) {
        long long bits;
        if (k->algorithm != SCENARIO_ALG_RSA_SHA256)
            return yamlx_fail(L->d, yamlx_get_key(m, "bits"),
                              "bits: only rsa-sha256 keys have a size to choose");
        if (pkf)
            return yamlx_fail(L->d, yamlx_get_key(m, "bits"),
                              "bits: cannot be given with private_key_file (the file's key "
                              "has its size)");
        if (yamlx_int(L->d, n, "bits", SCENARIO_RSA_BITS_MIN, SCENARIO_RSA_BITS_MAX, &bits) != 0)
            return -1;
        k->bits = (unsigned)bits;
    } else if (k->algorithm == SCENARIO_ALG_RSA_SHA256 && !pkf) {
        k->bits = SCENARIO_RSA_BITS_DEFAULT;
    }

    if (pkf) {
        char *path;
        if (read_named(L, pkf, "private_key_file", &k->private_key_file, &path) != 0)
            return -1;
        k->private_key_pem = sdupn(L, L->tmp.data, L->tmp.len);
        k->private_key_len = L->tmp.len;
        if (check_pem(L, pkf, k) != 0)
            return -1;
    }
    if ((n = yamlx_get(m, "record")) != NULL) {
        if (!k->publish)
            return yamlx_fail(L->d, yamlx_get_key(m, "record"),
                              "record: a key with publish: false publishes no record");
        if (yamlx_str(L->d, n, "record", &str) != 0)
            return -1;
        if (!*str || has_crlf(str))
            return yamlx_fail(L->d, n, "record: expected one line of TXT text");
        k->record = sdup(L, str);
    }
    return 0;
}

static int load_keys(struct loader *L, const struct yamlx_node *seq)
{
    struct scenario *s = L->s;
    char b[YAMLX_SHOW_MAX];
    if (yamlx_seq(L->d, seq, "keys", SCENARIO_KEYS_MAX) != 0)
        return -1;
    s->keys = salloc(L, seq->n, sizeof *s->keys);
    for (size_t i = 0; i < seq->n; i++) {
        if (load_key(L, seq->item[i], &s->keys[i]) != 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(s->keys[j].domain, s->keys[i].domain) == 0 &&
                strcasecmp(s->keys[j].selector, s->keys[i].selector) == 0)
                return yamlx_fail(L->d, seq->item[i],
                                  "a second key %s/%s (the first is at line %d)",
                                  show(s->keys[i].domain, b), s->keys[i].selector,
                                  s->keys[j].pos.line);
    }
    s->nkeys = seq->n;
    return 0;
}

/* ---- conversations ---- */

/* A "Name: value" header from a key node and a value node. */
static int load_header(struct loader *L, const struct yamlx_node *kn, const struct yamlx_node *vn,
                       const char *what, struct scenario_header *out)
{
    const char *name, *value;
    char b[YAMLX_SHOW_MAX];
    if (yamlx_str(L->d, kn, what, &name) != 0)
        return -1;
    if (!field_name_ok(name))
        return yamlx_fail(L->d, kn, "%s: '%s' is not a header field name (RFC 5322 3.6.8)", what,
                          show(name, b));
    if (yamlx_str(L->d, vn, what, &value) != 0)
        return -1;
    if (has_crlf(value))
        return yamlx_fail(L->d, vn, "%s: a header value may not contain CR or LF", what);
    out->name = sdup(L, name);
    out->value = sdup(L, value);
    return 0;
}

/* A sequence of single-pair mappings: "- Name: value". */
static int load_header_list(struct loader *L, const struct yamlx_node *seq, const char *what,
                            struct scenario_header **out, size_t *nout)
{
    if (yamlx_seq(L->d, seq, what, SCENARIO_HEADERS_MAX) != 0)
        return -1;
    *out = salloc(L, seq->n, sizeof **out);
    for (size_t i = 0; i < seq->n; i++) {
        const struct yamlx_node *k, *v;
        if (yamlx_pair(L->d, seq->item[i], what, &k, &v) != 0 ||
            load_header(L, k, v, what, &(*out)[i]) != 0)
            return -1;
    }
    *nout = seq->n;
    return 0;
}

/* A mapping of Name: value, names unique ignoring case. */
static int load_header_map(struct loader *L, const struct yamlx_node *m, const char *what,
                           struct scenario_header **out, size_t *nout)
{
    char b[YAMLX_SHOW_MAX];
    if (!m || m->kind != YAMLX_MAP)
        return yamlx_fail(L->d, m, "%s: expected a mapping of header names to text, found %s",
                          what, yamlx_describe(m));
    if (m->n > SCENARIO_HEADERS_MAX)
        return yamlx_fail(L->d, m, "%s: more than %d headers", what, SCENARIO_HEADERS_MAX);
    *out = salloc(L, m->n, sizeof **out);
    for (size_t i = 0; i < m->n; i++) {
        if (load_header(L, m->item[2 * i], m->item[2 * i + 1], what, &(*out)[i]) != 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcasecmp((*out)[j].name, (*out)[i].name) == 0)
                return yamlx_fail(L->d, m->item[2 * i], "%s: '%s' is given twice", what,
                                  show((*out)[i].name, b));
    }
    *nout = m->n;
    return 0;
}

/* A sequence of header field names. */
static int load_name_list(struct loader *L, const struct yamlx_node *seq, const char *what,
                          char ***out, size_t *nout)
{
    char b[YAMLX_SHOW_MAX];
    if (yamlx_strseq(L->d, seq, what, SCENARIO_HEADERS_MAX) != 0)
        return -1;
    *out = salloc(L, seq->n, sizeof **out);
    for (size_t i = 0; i < seq->n; i++) {
        const char *name = seq->item[i]->str;
        if (!field_name_ok(name))
            return yamlx_fail(L->d, seq->item[i],
                              "%s: '%s' is not a header field name (RFC 5322 3.6.8)", what,
                              show(name, b));
        (*out)[i] = sdup(L, name);
    }
    *nout = seq->n;
    return 0;
}

static int load_client(struct loader *L, const struct yamlx_node *m, struct scenario_client *c)
{
    static const char *const client_keys[] = {"ip", "helo", "tls", NULL};
    char b[YAMLX_SHOW_MAX];
    const char *str;
    if (yamlx_map(L->d, m, "client", client_keys) != 0 ||
        yamlx_require(L->d, m, "client", "ip") != 0)
        return -1;
    const struct yamlx_node *n = yamlx_get(m, "ip");
    if (yamlx_str(L->d, n, "client.ip", &str) != 0)
        return -1;
    /* auth/ip's rules, the ones the runner's PTR lookup and the receiver apply. */
    struct au_ip addr;
    if (au_ip_parse(str, n->len, &addr) < 0)
        return yamlx_fail(L->d, n, "client.ip: '%s' is not an IPv4 or IPv6 address",
                          show(str, b));
    c->family = addr.family == AU_IP_V4 ? AF_INET : AF_INET6;
    c->ip = sdup(L, str);
    if ((n = yamlx_get(m, "helo")) != NULL) {
        if (yamlx_str(L->d, n, "client.helo", &str) != 0)
            return -1;
        bool ok = *str != 0;
        for (const char *p = str; *p && ok; p++)
            ok = (unsigned char)*p > 32 && (unsigned char)*p < 127;
        if (!ok)
            return yamlx_fail(L->d, n, "client.helo: '%s' is not a HELO name (one word)",
                              show(str, b));
        c->helo = sdup(L, str);
    }
    if ((n = yamlx_get(m, "tls")) != NULL && yamlx_bool(L->d, n, "client.tls", &c->tls) != 0)
        return -1;
    return 0;
}

static int load_raw(struct loader *L, const struct yamlx_node *seq,
                    struct scenario_conversation *c)
{
    static const char noeol[] = "\\noeol";
    char b[YAMLX_SHOW_MAX];
    if (yamlx_seq(L->d, seq, "raw", SCENARIO_RAW_MAX) != 0)
        return -1;
    if (seq->n == 0)
        return yamlx_fail(L->d, seq, "raw: expected at least one item");
    c->raw = salloc(L, seq->n, sizeof *c->raw);
    for (size_t i = 0; i < seq->n; i++) {
        const struct yamlx_node *k, *v;
        struct scenario_raw *r = &c->raw[i];
        if (yamlx_pair(L->d, seq->item[i], "a raw item", &k, &v) != 0)
            return -1;
        r->pos = pos_of(seq->item[i]);
        if (strcmp(k->str, "send") == 0) {
            const char *text;
            if (yamlx_str(L->d, v, "send", &text) != 0)
                return -1;
            size_t len = strlen(text), ml = sizeof noeol - 1;
            r->kind = SCENARIO_RAW_SEND;
            r->eol = true;
            if (len >= ml && memcmp(text + len - ml, noeol, ml) == 0) {
                r->eol = false;
                len -= ml;
            }
            r->send = sdupn(L, text, len);
            r->send_len = len;
        } else if (strcmp(k->str, "expect") == 0) {
            r->kind = SCENARIO_RAW_EXPECT;
            if (parse_reply(L, v, "expect", &r->expect) != 0)
                return -1;
        } else {
            return yamlx_fail(L->d, k, "a raw item: unknown key '%s' (allowed: send, expect)",
                              yamlx_show(k->str, k->len, b, sizeof b));
        }
    }
    c->nraw = seq->n;
    return 0;
}

static int load_message(struct loader *L, const struct yamlx_node *m, struct scenario_message *msg)
{
    static const char *const message_keys[] = {"headers", "auto_headers", "body", "file", NULL};
    static const char *const excluded[] = {"headers", "body", "auto_headers"};
    const struct yamlx_node *n;
    const char *str;
    if (yamlx_map(L->d, m, "message", message_keys) != 0)
        return -1;
    msg->auto_headers = true;
    if ((n = yamlx_get(m, "file")) != NULL) {
        for (size_t i = 0; i < sizeof excluded / sizeof excluded[0]; i++)
            if (yamlx_get(m, excluded[i]))
                return yamlx_fail(L->d, yamlx_get_key(m, excluded[i]),
                                  "message: '%s' cannot be given with 'file' (the file is the "
                                  "whole message, used as is)",
                                  excluded[i]);
        char *path;
        if (read_named(L, n, "message.file", &msg->file, &path) != 0)
            return -1;
        if (L->tmp.len == 0)
            return yamlx_fail(L->d, n, "message.file: '%s' is empty", msg->file);
        msg->file_text = sdupn(L, L->tmp.data, L->tmp.len);
        msg->file_len = L->tmp.len;
        msg->auto_headers = false;
        return 0;
    }
    if ((n = yamlx_get(m, "headers")) != NULL &&
        load_header_list(L, n, "message.headers", &msg->headers, &msg->nheaders) != 0)
        return -1;
    if ((n = yamlx_get(m, "auto_headers")) != NULL &&
        yamlx_bool(L->d, n, "message.auto_headers", &msg->auto_headers) != 0)
        return -1;
    if ((n = yamlx_get(m, "body")) != NULL) {
        if (yamlx_str(L->d, n, "message.body", &str) != 0)
            return -1;
        msg->body = sdup(L, str);
    }
    return 0;
}

/* c= of RFC 6376 3.5: "header/body", or one word for the header with simple
 * for the body. */
static int load_canon(struct loader *L, const struct yamlx_node *n, struct scenario_sign *sg)
{
    static const char *const words[] = {"simple", "relaxed"};
    char b[YAMLX_SHOW_MAX];
    const char *str;
    if (yamlx_str(L->d, n, "canonicalization", &str) != 0)
        return -1;
    const char *slash = strchr(str, '/');
    size_t hl = slash ? (size_t)(slash - str) : strlen(str);
    int h = -1, bd = slash ? -1 : SCENARIO_CANON_SIMPLE;
    for (int i = 0; i < 2; i++) {
        if (strlen(words[i]) == hl && memcmp(str, words[i], hl) == 0)
            h = i;
        if (slash && strcmp(slash + 1, words[i]) == 0)
            bd = i;
    }
    if (h < 0 || bd < 0)
        return yamlx_fail(L->d, n,
                          "canonicalization: unknown value '%s' (expected simple/simple, "
                          "simple/relaxed, relaxed/simple, relaxed/relaxed, simple or relaxed)",
                          show(str, b));
    sg->header_canon = (enum scenario_canon)h;
    sg->body_canon = (enum scenario_canon)bd;
    return 0;
}

static int find_key(struct loader *L, const struct yamlx_node *n, size_t *out)
{
    const struct scenario *s = L->s;
    char b[YAMLX_SHOW_MAX], list[256], kn[AU_DNS_NAME_MAX * 2 + 2];
    const char *str;
    if (yamlx_str(L->d, n, "sign.key", &str) != 0)
        return -1;
    const char *slash = strchr(str, '/');
    if (slash) {
        size_t dl = (size_t)(slash - str);
        for (size_t i = 0; i < s->nkeys; i++)
            if (strlen(s->keys[i].domain) == dl && strncasecmp(s->keys[i].domain, str, dl) == 0 &&
                strcasecmp(s->keys[i].selector, slash + 1) == 0) {
                *out = i;
                return 0;
            }
    }
    size_t o = 0;
    list[0] = 0;
    for (size_t i = 0; i < s->nkeys && o < sizeof list; i++) {
        int r = snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "",
                         scenario_key_name(&s->keys[i], kn, sizeof kn));
        if (r < 0)
            break;
        o += (size_t)r;
    }
    if (!slash)
        return yamlx_fail(L->d, n, "sign.key: '%s' is not \"domain/selector\"", show(str, b));
    return yamlx_fail(L->d, n, "sign.key: no key '%s' in this file (keys: %s)", show(str, b),
                      s->nkeys ? list : "none");
}

static int load_sign(struct loader *L, const struct yamlx_node *m, struct scenario_sign *sg)
{
    static const char *const sign_keys[] = {"key",      "canonicalization", "headers",
                                            "identity", "body_length",      "expire_in",
                                            "timestamp", NULL};
    const struct yamlx_node *n;
    const char *str;
    char b[YAMLX_SHOW_MAX];
    if (yamlx_map(L->d, m, "a signature", sign_keys) != 0 ||
        yamlx_require(L->d, m, "a signature", "key") != 0)
        return -1;
    sg->pos = pos_of(m);
    if (find_key(L, yamlx_get(m, "key"), &sg->key) != 0)
        return -1;
    sg->header_canon = sg->body_canon = SCENARIO_CANON_RELAXED;
    if ((n = yamlx_get(m, "canonicalization")) != NULL && load_canon(L, n, sg) != 0)
        return -1;
    if ((n = yamlx_get(m, "headers")) != NULL) {
        if (load_name_list(L, n, "sign.headers", &sg->headers, &sg->nheaders) != 0)
            return -1;
        if (sg->nheaders == 0)
            return yamlx_fail(L->d, n, "sign.headers: expected at least one header name");
    }
    if ((n = yamlx_get(m, "identity")) != NULL) {
        if (yamlx_str(L->d, n, "sign.identity", &str) != 0)
            return -1;
        const char *at = strchr(str, '@');
        if (!at || at[1] == 0 || strpbrk(str, " \t\r\n;"))
            return yamlx_fail(L->d, n, "sign.identity: '%s' is not [local]@domain (RFC 6376 i=)",
                              show(str, b));
        sg->identity = sdup(L, str);
    }
    if ((n = yamlx_get(m, "body_length")) != NULL) {
        if (yamlx_int(L->d, n, "sign.body_length", 0, SCENARIO_DKIM_TIME_MAX, &sg->body_length))
            return -1;
        sg->has_body_length = true;
    }
    if ((n = yamlx_get(m, "expire_in")) != NULL) {
        if (yamlx_int(L->d, n, "sign.expire_in", -SCENARIO_EXPIRE_MAX, SCENARIO_EXPIRE_MAX,
                      &sg->expire_in))
            return -1;
        sg->has_expire_in = true;
    }
    if ((n = yamlx_get(m, "timestamp")) != NULL) {
        if (yamlx_int(L->d, n, "sign.timestamp", 0, SCENARIO_DKIM_TIME_MAX, &sg->timestamp))
            return -1;
        sg->has_timestamp = true;
    }
    return 0;
}

static int load_tamper(struct loader *L, const struct yamlx_node *m, struct scenario_tamper *t)
{
    static const char *const tamper_keys[] = {"body_append", "header_set", "header_add",
                                              "header_remove", NULL};
    const struct yamlx_node *n;
    const char *str;
    if (yamlx_map(L->d, m, "tamper", tamper_keys) != 0)
        return -1;
    if ((n = yamlx_get(m, "body_append")) != NULL) {
        if (yamlx_str(L->d, n, "tamper.body_append", &str) != 0)
            return -1;
        t->body_append = sdup(L, str);
    }
    if ((n = yamlx_get(m, "header_set")) != NULL &&
        load_header_map(L, n, "tamper.header_set", &t->set, &t->nset) != 0)
        return -1;
    if ((n = yamlx_get(m, "header_add")) != NULL &&
        load_header_list(L, n, "tamper.header_add", &t->add, &t->nadd) != 0)
        return -1;
    if ((n = yamlx_get(m, "header_remove")) != NULL &&
        load_name_list(L, n, "tamper.header_remove", &t->remove, &t->nremove) != 0)
        return -1;
    return 0;
}

/* A result word from a list, as enum au_result. */
static int load_result(struct loader *L, const struct yamlx_node *n, const char *what,
                       const char *const *words, int *out)
{
    int i;
    if (yamlx_enum(L->d, n, what, words, &i) != 0)
        return -1;
    *out = au_result_parse(words[i]);
    if (*out < 0)   /* every word listed is an RFC 8601 word */
        abort();
    return 0;
}

static int load_expect(struct loader *L, const struct yamlx_node *m,
                       struct scenario_conversation *c)
{
    static const char *const expect_keys[] = {"at",   "reply", "text",  "spf",     "dkim",
                                              "dmarc", "iprev", "rcpt", "headers", NULL};
    static const char *const ats[] = {"connect", "helo", "mail", "rcpt", "data", NULL};
    static const char *const spf_words[] = {"pass",    "fail",      "softfail", "neutral",
                                            "none",    "temperror", "permerror", NULL};
    static const char *const dkim_words[] = {"pass",      "fail",      "neutral", "none",
                                             "policy",    "temperror", "permerror", NULL};
    static const char *const dmarc_words[] = {"pass", "fail", "none", "temperror", "permerror",
                                              NULL};
    static const char *const iprev_words[] = {"pass", "fail", "temperror", "permerror", NULL};
    struct scenario_expect *e = &c->expect;
    const struct yamlx_node *n;
    const char *str;
    int at;
    if (yamlx_map(L->d, m, "expect", expect_keys) != 0 ||
        yamlx_require(L->d, m, "expect", "at") != 0 ||
        yamlx_require(L->d, m, "expect", "reply") != 0)
        return -1;
    if (yamlx_enum(L->d, yamlx_get(m, "at"), "expect.at", ats, &at) != 0)
        return -1;
    e->at = (enum scenario_at)at;
    n = yamlx_get(m, "reply");
    if (parse_reply(L, n, "expect.reply", &e->reply) != 0)
        return -1;
    if (e->at != SCENARIO_AT_DATA && e->reply.code < 400)
        return yamlx_fail(L->d, n,
                          "expect.reply: at '%s' the answer is a refusal, so the reply must be "
                          "4xx or 5xx",
                          ats[at]);
    if ((n = yamlx_get(m, "text")) != NULL) {
        if (yamlx_str(L->d, n, "expect.text", &str) != 0)
            return -1;
        if (!*str)
            return yamlx_fail(L->d, n, "expect.text: empty text matches anything");
        e->text = sdup(L, str);
    }
    e->spf = e->dmarc = e->iprev = -1;
    if ((n = yamlx_get(m, "spf")) && load_result(L, n, "expect.spf", spf_words, &e->spf))
        return -1;
    if ((n = yamlx_get(m, "dmarc")) && load_result(L, n, "expect.dmarc", dmarc_words, &e->dmarc))
        return -1;
    if ((n = yamlx_get(m, "iprev")) && load_result(L, n, "expect.iprev", iprev_words, &e->iprev))
        return -1;
    if ((n = yamlx_get(m, "dkim")) != NULL) {
        /* One word is a list of one. */
        e->has_dkim = true;
        bool seq = n->kind == YAMLX_SEQ;
        if (seq && yamlx_seq(L->d, n, "expect.dkim", SCENARIO_HEADERS_MAX) != 0)
            return -1;
        size_t count = seq ? n->n : 1;
        e->dkim = salloc(L, count, sizeof *e->dkim);
        for (size_t i = 0; i < count; i++) {
            int r;
            if (load_result(L, seq ? n->item[i] : n, "expect.dkim", dkim_words, &r) != 0)
                return -1;
            e->dkim[i] = (enum au_result)r;
        }
        e->ndkim = count;
    }
    if ((n = yamlx_get(m, "rcpt")) != NULL) {
        if (yamlx_seq(L->d, n, "expect.rcpt", SCENARIO_RCPT_MAX) != 0)
            return -1;
        if (n->n != c->nrcpt_to)
            return yamlx_fail(L->d, n, "expect.rcpt: %zu replies for %zu rcpt_to address%s", n->n,
                              c->nrcpt_to, c->nrcpt_to == 1 ? "" : "es");
        e->rcpt = salloc(L, n->n, sizeof *e->rcpt);
        for (size_t i = 0; i < n->n; i++)
            if (parse_reply(L, n->item[i], "expect.rcpt", &e->rcpt[i]) != 0)
                return -1;
        e->nrcpt = n->n;
    }
    if ((n = yamlx_get(m, "headers")) != NULL) {
        if (e->reply.code / 100 != 2)
            return yamlx_fail(L->d, yamlx_get_key(m, "headers"),
                              "expect.headers: only an accepted message (a 2xx reply) has "
                              "stored headers");
        if (load_header_map(L, n, "expect.headers", &e->headers, &e->nheaders) != 0)
            return -1;
    }
    return 0;
}

static int load_conversation(struct loader *L, const struct yamlx_node *m,
                             struct scenario_conversation *c)
{
    static const char *const conv_keys[] = {"client",  "raw",  "mail_from", "rcpt_to", "message",
                                            "sign",    "tamper", "expect",  NULL};
    static const char *const not_raw[] = {"mail_from", "rcpt_to", "message",
                                          "sign",      "tamper",  "expect"};
    const struct yamlx_node *n;
    const char *str;
    char b[YAMLX_SHOW_MAX];
    if (yamlx_map(L->d, m, "a conversation", conv_keys) != 0)
        return -1;
    c->pos = pos_of(m);
    if ((n = yamlx_get(m, "client")) != NULL) {
        c->has_client = true;
        if (load_client(L, n, &c->client) != 0)
            return -1;
    }
    if ((n = yamlx_get(m, "raw")) != NULL) {
        for (size_t i = 0; i < sizeof not_raw / sizeof not_raw[0]; i++)
            if (yamlx_get(m, not_raw[i]))
                return yamlx_fail(L->d, yamlx_get_key(m, not_raw[i]),
                                  "'%s' cannot be used in a raw conversation (only client and "
                                  "raw)",
                                  not_raw[i]);
        c->raw_mode = true;
        return load_raw(L, n, c);
    }
    if (yamlx_require(L->d, m, "a conversation", "mail_from") != 0 ||
        yamlx_require(L->d, m, "a conversation", "rcpt_to") != 0 ||
        yamlx_require(L->d, m, "a conversation", "expect") != 0)
        return -1;
    n = yamlx_get(m, "mail_from");
    if (yamlx_str(L->d, n, "mail_from", &str) != 0)
        return -1;
    if (*str && !mailbox_ok(str))
        return yamlx_fail(L->d, n,
                          "mail_from: '%s' is not an address (local@domain, or \"\" for the null "
                          "sender)",
                          show(str, b));
    c->mail_from = sdup(L, str);
    n = yamlx_get(m, "rcpt_to");
    if (yamlx_strseq(L->d, n, "rcpt_to", SCENARIO_RCPT_MAX) != 0)
        return -1;
    if (n->n == 0)
        return yamlx_fail(L->d, n, "rcpt_to: expected at least one address");
    c->rcpt_to = salloc(L, n->n, sizeof *c->rcpt_to);
    for (size_t i = 0; i < n->n; i++) {
        if (!mailbox_ok(n->item[i]->str))
            return yamlx_fail(L->d, n->item[i], "rcpt_to: '%s' is not an address (local@domain)",
                              yamlx_show(n->item[i]->str, n->item[i]->len, b, sizeof b));
        c->rcpt_to[i] = sdup(L, n->item[i]->str);
    }
    c->nrcpt_to = n->n;
    if ((n = yamlx_get(m, "message")) != NULL) {
        c->has_message = true;
        if (load_message(L, n, &c->message) != 0)
            return -1;
    } else {
        c->message.auto_headers = true;
    }
    if ((n = yamlx_get(m, "sign")) != NULL) {
        if (yamlx_seq(L->d, n, "sign", SCENARIO_SIGN_MAX) != 0)
            return -1;
        c->sign = salloc(L, n->n, sizeof *c->sign);
        for (size_t i = 0; i < n->n; i++)
            if (load_sign(L, n->item[i], &c->sign[i]) != 0)
                return -1;
        c->nsign = n->n;
    }
    if ((n = yamlx_get(m, "tamper")) != NULL) {
        c->has_tamper = true;
        if (load_tamper(L, n, &c->tamper) != 0)
            return -1;
    }
    if (load_expect(L, yamlx_get(m, "expect"), c) != 0)
        return -1;
    if (c->expect.at == SCENARIO_AT_DATA && !c->has_message)
        return yamlx_fail(L->d, m,
                          "a conversation: missing required key 'message' (expect.at is data)");
    return 0;
}

/* ---- zones ---- */

/* Parses the zone text and files with the stub DNS, so that a zone error
 * stops the load with a position in the scenario file.  The stub's message
 * is "SOURCE:LINE: what". */
static int check_zones(struct loader *L)
{
    struct scenario *s = L->s;
    char err[512];
    int rc = 0;
    struct au_dns_stub *stub = au_dns_stub_new();
    if (s->zone && au_dns_stub_add_zone(stub, s->zone, s->zone_len, NULL, "dns.zone", err,
                                        sizeof err) != 0) {
        int line = 0;
        const char *rest = err;
        if (strncmp(err, "dns.zone:", 9) == 0) {
            char *end;
            long v = strtol(err + 9, &end, 10);
            if (end != err + 9 && *end == ':' && v >= 0 && v < 1000000) {
                line = (int)v;
                rest = end + 1;
                while (*rest == ' ')
                    rest++;
            }
        }
        struct scenario_pos p = scenario_zone_pos(s, line > 0 ? line : 1);
        if (line > 0)
            rc = yamlx_fail_at(L->d, p.line, p.col, "dns.zone line %d: %s", line, rest);
        else
            rc = yamlx_fail_at(L->d, p.line, p.col, "dns.zone: %s", rest);
    }
    for (size_t i = 0; rc == 0 && i < s->nfiles; i++) {
        const struct scenario_zone_file *zf = &s->files[i];
        if (au_dns_stub_add_zone(stub, zf->text, zf->len, NULL, zf->name, err, sizeof err) != 0)
            rc = yamlx_fail_at(L->d, zf->pos.line, zf->pos.col, "zone file %s", err);
    }
    au_dns_stub_free(stub);
    return rc;
}

struct scenario_pos scenario_zone_pos(const struct scenario *s, int zone_line)
{
    struct scenario_pos p = s->zone_pos;
    if (s->zone_lines_exact && zone_line > 1)
        p.line += zone_line - 1;
    return p;
}

/* ---- the file ---- */

static int load_root(struct loader *L)
{
    static const char *const top_keys[] = {"scenario", "profile", "dns", "keys", "conversations",
                                           NULL};
    struct scenario *s = L->s;
    const struct yamlx_node *root = yamlx_root(L->d), *n;
    const char *str;
    int profile;
    if (yamlx_map(L->d, root, "a scenario file", top_keys) != 0 ||
        yamlx_require(L->d, root, "a scenario file", "scenario") != 0 ||
        yamlx_require(L->d, root, "a scenario file", "conversations") != 0)
        return -1;
    n = yamlx_get(root, "scenario");
    if (yamlx_str(L->d, n, "scenario", &str) != 0)
        return -1;
    if (!*str || has_crlf(str) || strlen(str) > SCENARIO_NAME_MAX)
        return yamlx_fail(L->d, n, "scenario: expected one line (at most %d bytes) saying what "
                                   "the case shows",
                          SCENARIO_NAME_MAX);
    s->name = sdup(L, str);
    s->profile = scenario_profiles[0];
    if ((n = yamlx_get(root, "profile")) != NULL) {
        if (yamlx_enum(L->d, n, "profile", scenario_profiles, &profile) != 0)
            return -1;
        s->profile = scenario_profiles[profile];
    }
    if ((n = yamlx_get(root, "dns")) != NULL && load_dns(L, n) != 0)
        return -1;
    if ((n = yamlx_get(root, "keys")) != NULL && load_keys(L, n) != 0)
        return -1;
    n = yamlx_get(root, "conversations");
    if (yamlx_seq(L->d, n, "conversations", SCENARIO_CONVERSATIONS_MAX) != 0)
        return -1;
    if (n->n == 0)
        return yamlx_fail(L->d, n, "conversations: expected at least one conversation");
    s->conv = salloc(L, n->n, sizeof *s->conv);
    for (size_t i = 0; i < n->n; i++)
        if (load_conversation(L, n->item[i], &s->conv[i]) != 0)
            return -1;
    s->nconv = n->n;
    return 0;
}

void scenario_free(struct scenario *s)
{
    if (!s)
        return;
    if (s->arena) {
        for (size_t i = 0; i < s->arena->n; i++)
            free(s->arena->p[i]);
        free(s->arena->p);
        free(s->arena);
    }
    free(s);
}

static struct scenario *load(const char *text, size_t len, const char *name, const char *dir,
                             struct au_buf *err)
{
    struct loader L;
    memset(&L, 0, sizeof L);
    au_buf_init(&L.tmp, AU_BUF_NOLIMIT);
    au_buf_init(&L.why, AU_BUF_NOLIMIT);
    L.s = au_xcalloc(1, sizeof *L.s);
    L.s->arena = au_xcalloc(1, sizeof *L.s->arena);
    L.s->path = sdup(&L, name);
    L.s->dir = sdup(&L, dir && *dir ? dir : ".");
    au_buf_reset(err);
    L.d = yamlx_parse(text, len, name, err);
    int rc = L.d ? load_root(&L) : -1;
    yamlx_free(L.d);
    au_buf_free(&L.tmp);
    au_buf_free(&L.why);
    if (rc != 0) {
        scenario_free(L.s);
        return NULL;
    }
    return L.s;
}

struct scenario *scenario_load_string(const char *text, size_t len, const char *name,
                                      const char *dir, struct au_buf *err)
{
    return load(text, len, name ? name : "<scenario>", dir, err);
}

struct scenario *scenario_load(const char *path, struct au_buf *err)
{
    struct au_buf text, why;
    au_buf_init(&text, AU_BUF_NOLIMIT);
    au_buf_init(&why, AU_BUF_NOLIMIT);
    struct scenario *s = NULL;
    if (yamlx_read_file(path, SCENARIO_FILE_MAX, &text, &why) != 0) {
        au_buf_reset(err);
        au_buf_printf(err, "%s:1:1: cannot read the scenario: %s", path, why.data);
    } else {
        const char *slash = strrchr(path, '/');
        char *dir = slash ? au_xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
                          : au_xstrdup(".");
        s = load(text.data, text.len, path, dir, err);
        free(dir);
    }
    au_buf_free(&text);
    au_buf_free(&why);
    return s;
}

/* ---- collecting files ---- */

struct strvec {
    char **v;
    size_t n, cap;
};

static void strvec_push(struct strvec *sv, char *s)
{
    if (sv->n == sv->cap) {
        sv->cap = sv->cap ? 2 * sv->cap : 16;
        sv->v = au_xrealloc(sv->v, sv->cap * sizeof *sv->v);
    }
    sv->v[sv->n++] = s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_yaml(const char *name)
{
    size_t l = strlen(name);
    return l > 5 && strcmp(name + l - 5, ".yaml") == 0;
}

/* Appends every *.yaml below dir to sv (unsorted). */
static int walk(const char *dir, int depth, struct strvec *sv, struct au_buf *err)
{
    if (depth > SCENARIO_COLLECT_DEPTH_MAX) {
        au_buf_printf(err, "%s: folders nested deeper than %d levels", dir,
                      SCENARIO_COLLECT_DEPTH_MAX);
        return -1;
    }
    DIR *dp = opendir(dir);
    if (!dp) {
        au_buf_printf(err, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        size_t dl = strlen(dir);
        char *path = au_xmalloc(dl + strlen(de->d_name) + 2);
        sprintf(path, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", de->d_name);
        struct stat st;
        if (stat(path, &st) != 0) {
            /* a dangling link that is not a scenario does not matter */
            if (is_yaml(de->d_name)) {
                au_buf_printf(err, "%s: %s", path, strerror(errno));
                rc = -1;
            }
            free(path);
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(path, depth + 1, sv, err);
            free(path);
        } else if (S_ISREG(st.st_mode) && is_yaml(de->d_name)) {
            strvec_push(sv, path);
        } else {
            free(path);
        }
    }
    closedir(dp);
    return rc;
}

void scenario_collect_free(char **files, size_t nfiles)
{
    for (size_t i = 0; i < nfiles; i++)
        free(files[i]);
    free(files);
}

int scenario_collect(const char *const *paths, size_t n, char ***files, size_t *nfiles,
                     struct au_buf *err)
{
    struct strvec sv = {0};
    au_buf_reset(err);
    *files = NULL;
    *nfiles = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            au_buf_printf(err, "%s: %s", paths[i], strerror(errno));
            scenario_collect_free(sv.v, sv.n);
            return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
            strvec_push(&sv, au_xstrdup(paths[i]));
            continue;
        }
        size_t start = sv.n;
        if (walk(paths[i], 0, &sv, err) != 0) {
            scenario_collect_free(sv.v, sv.n);
            return -1;
        }
        qsort(sv.v + start, sv.n - start, sizeof *sv.v, cmp_str);
    }
    *files = sv.v;
    *nfiles = sv.n;
    return 0;
}
