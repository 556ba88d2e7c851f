/*
 * dns_stub - a stubbed DNS world from zone text, answering like an
 * authoritative server (see dns_stub.h for the rules).
 *
 * Public: au_dns_stub_{new,free,add_zone,add_fault,add_fault_spec,lookup,
 * lookup_fn}.
 *
 * RFCs: 1035 section 5 (master files, via ldns), 2308 (negative TTL: the
 * SOA's minimum, capped by the SOA's own TTL), 4592 (wildcards: closest
 * encloser, a name that exists blocks synthesis, empty non-terminals exist),
 * 1034 section 3.6.2 (CNAME chains), 6604 (the status of a chain is that of
 * its last name).
 *
 * Storage: a hash table of nodes keyed by the lowercased name.  Every owner
 * is a node, and so is every ancestor between it and its zone apex (those
 * are the empty non-terminals).  The apex is the owner of the text's SOA, or
 * else the initial origin given to au_dns_stub_add_zone, or else (absolute
 * names with no origin) the owner's last two labels: names above the apex do
 * not exist here, as a real authoritative server is not asked about them.
 *
 * Limits: AU_DNS_STUB_CNAME_MAX links per chain; names as AU_DNS_NAME_MAX;
 * STUB_RDATA_MAX bytes of data per record; STUB_ENTRY_MAX characters of
 * text per entry.
 * Zone text is bounded by the caller (a file it chose to read).
 *
 * XXX: $INCLUDE is refused: this module reads no files.
 */
#include "dns_stub.h"
#include "dns_wire.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "xalloc.h"

#define STUB_HASH_MIN 64       /* initial buckets; doubled at 50% load */
#define STUB_RDATA_MAX 65535   /* RDLENGTH is 16 bits (RFC 1035 section 3.2.1) */
/* ldns reads one entry into a buffer of LDNS_MAX_PACKETLEN and silently
 * drops what does not fit; a longer entry is refused before it gets there. */
#define STUB_ENTRY_MAX 61440
/* A limit's value as text, for the messages that name it. */
#define STUB_STR_(x) #x
#define STUB_STR(x) STUB_STR_(x)

struct stub_rr {
    uint16_t type;
    uint32_t ttl;
    uint8_t addr[16];
    uint16_t pref;
    char *name;               /* PTR, CNAME, NS target; MX host */
    size_t nstr;              /* TXT, SPF */
    struct au_slice *str;     /* each ptr owned */
};

struct stub_node {
    char *key;                /* lowercased, no trailing dot */
    struct stub_rr *rr;
    size_t nrr, caprr;
    uint32_t neg_ttl;         /* negative TTL of its zone (RFC 2308) */
};

struct stub_fault {
    char *name;               /* lowercased */
    uint16_t type;
    enum au_dns_fault kind;
};

struct au_dns_stub {
    struct stub_node **slot;  /* open addressing, linear probing */
    size_t nslot, nnode;
    struct stub_fault *fault;
    size_t nfault, capfault;
};

/* ---- names ---- */

/* Keys are lowercased once, by norm_name; the hash takes them as they are. */
static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Copies name into out lowercased, without one trailing dot. Returns 0, or -1
 * when it is too long or has an empty label. */
static int norm_name(const char *name, char out[AU_DNS_NAME_MAX + 1])
{
    size_t len = strlen(name);
    if (len > 0 && name[len - 1] == '.' && !(len >= 2 && name[len - 2] == '\\'))
        len--;
    if (len > AU_DNS_NAME_MAX)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '.' && (i == 0 || name[i - 1] == '.'))
            return -1;
        out[i] = (char)tolower((unsigned char)name[i]);
    }
    out[len] = '\0';
    return 0;
}

/* The parent of a presentation name ("" for a single label, NULL for the
 * root).  Escaped dots ("\.") do not separate labels. */
static const char *parent_of(const char *name)
{
    if (*name == '\0')
        return NULL;
    for (const char *p = name; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            continue;
        }
        if (*p == '.')
            return p + 1;
    }
    return "";
}

static int is_ancestor_or_self(const char *anc, const char *name)
{
    for (const char *p = name; p; p = parent_of(p))
        if (strcmp(p, anc) == 0)
            return 1;
    return 0;
}

/* ---- the node table ---- */

static struct stub_node *find_node(const struct au_dns_stub *s, const char *key)
{
    if (s->nslot == 0)
        return NULL;
    size_t mask = s->nslot - 1;
    for (size_t i = hash_name(key) & mask;; i = (i + 1) & mask) {
        struct stub_node *n = s->slot[i];
        if (n == NULL)
            return NULL;
        if (strcmp(n->key, key) == 0)
            return n;
    }
}

static void place(struct stub_node **slot, size_t nslot, struct stub_node *n)
{
    size_t mask = nslot - 1;
    size_t i = hash_name(n->key) & mask;
    while (slot[i])
        i = (i + 1) & mask;
    slot[i] = n;
}

static struct stub_node *get_node(struct au_dns_stub *s, const char *key)
{
    struct stub_node *n = find_node(s, key);
    if (n)
        return n;
    if ((s->nnode + 1) * 2 > s->nslot) {
        size_t nslot = s->nslot ? s->nslot * 2 : STUB_HASH_MIN;
        struct stub_node **slot = au_xcalloc(nslot, sizeof *slot);
        for (size_t i = 0; i < s->nslot; i++)
            if (s->slot[i])
                place(slot, nslot, s->slot[i]);
        free(s->slot);
        s->slot = slot;
        s->nslot = nslot;
    }
    n = au_xcalloc(1, sizeof *n);
    n->key = au_xstrdup(key);
    n->neg_ttl = AU_DNS_STUB_DEFAULT_TTL;
    place(s->slot, s->nslot, n);
    s->nnode++;
    return n;
}

static void free_rr(struct stub_rr *r)
{
    free(r->name);
    for (size_t i = 0; i < r->nstr; i++)
        free((void *)r->str[i].ptr);
    free(r->str);
}

struct au_dns_stub *au_dns_stub_new(void)
{
    return au_xcalloc(1, sizeof(struct au_dns_stub));
}

void au_dns_stub_free(struct au_dns_stub *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nslot; i++) {
        struct stub_node *n = s->slot[i];
        if (n == NULL)
            continue;
        for (size_t j = 0; j < n->nrr; j++)
            free_rr(&n->rr[j]);
        free(n->rr);
        free(n->key);
        free(n);
    }
    free(s->slot);
    for (size_t i = 0; i < s->nfault; i++)
        free(s->fault[i].name);
    free(s->fault);
    free(s);
}

/* ---- zone text ---- */

/* ldns forgives a quote or a parenthesis left open at the end of the text
 * (it reads on into the next records); an authoritative server refuses the
 * zone, and so do we.  Returns 0, or the line of the fault with *why set. */
static int check_quotes_and_parens(const char *text, size_t len, const char **why)
{
    int line = 1, quote = 0, depth = 0, open_line = 0;
    size_t entry_start = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (i - entry_start > STUB_ENTRY_MAX) {
            *why = "entry longer than " STUB_STR(STUB_ENTRY_MAX) " characters";
            return line;
        }
        if (c == '\n' && depth == 0 && !quote)
            entry_start = i;
        if (c == '\\' && i + 1 < len) {
            if (text[++i] == '\n')
                line++;
            continue;
        }
        if (quote) {
            if (c == '"')
                quote = 0;
            else if (c == '\n') {
                *why = "unterminated quoted string";
                return line;
            }
            continue;
        }
        if (c == '\n')
            line++;
        else if (c == '"')
            quote = 1;
        else if (c == ';')
            while (i + 1 < len && text[i + 1] != '\n')
                i++;
        else if (c == '(') {
            if (depth++ == 0)
                open_line = line;
        } else if (c == ')' && --depth < 0) {
            *why = "unbalanced ')'";
            return line;
        }
    }
    if (quote) {
        *why = "unterminated quoted string";
        return line;
    }
    if (depth > 0) {
        *why = "unterminated '('";
        return open_line;
    }
    return 0;
}

/* The line an entry starting at byte pos begins on: ldns skips blank lines
 * and comments before it, and its own counter ends wherever the entry did. */
static int entry_line(const char *text, size_t len, size_t pos)
{
    while (pos < len) {
        if (text[pos] == ';') {
            while (pos < len && text[pos] != '\n')
                pos++;
        } else if (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\r' ||
                   text[pos] == '\n')
            pos++;
        else
            break;
    }
    int line = 1;
    for (size_t i = 0; i < pos && i < len; i++)
        line += text[i] == '\n';
    return line;
}

/* A record parsed from the text, kept until the whole text is known good. */
struct parsed {
    char key[AU_DNS_NAME_MAX + 1];
    struct stub_rr rr;   /* type 0: the owner exists, nothing to answer */
};

struct parse_state {
    struct parsed *p;
    size_t n, cap;
    char apex[AU_DNS_NAME_MAX + 1];
    int have_soa;
    uint32_t neg_ttl;
};

static int convert_rr(const ldns_rr *lr, struct stub_rr *r, const char **why)
{
    memset(r, 0, sizeof *r);
    r->ttl = ldns_rr_ttl(lr);
    ldns_rr_type t = ldns_rr_get_type(lr);
    char name[AU_DNS_NAME_MAX + 1];
    const ldns_rdf *f0 = ldns_rr_rd_count(lr) > 0 ? ldns_rr_rdf(lr, 0) : NULL;
    size_t rdlen = 0;
    for (size_t i = 0; i < ldns_rr_rd_count(lr); i++)
        rdlen += ldns_rdf_size(ldns_rr_rdf(lr, i));
    if (rdlen > STUB_RDATA_MAX) {
        *why = "record data longer than " STUB_STR(STUB_RDATA_MAX) " bytes";
        return -1;
    }
    switch (t) {
    case LDNS_RR_TYPE_A:
        if (f0 == NULL || ldns_rdf_size(f0) != 4)
            goto bad;
        memcpy(r->addr, ldns_rdf_data(f0), 4);
        break;
    case LDNS_RR_TYPE_AAAA:
        if (f0 == NULL || ldns_rdf_size(f0) != 16)
            goto bad;
        memcpy(r->addr, ldns_rdf_data(f0), 16);
        break;
    case LDNS_RR_TYPE_PTR:
    case LDNS_RR_TYPE_CNAME:
    case LDNS_RR_TYPE_NS:
        if (au_dns_wire_name(f0, name) < 0)
            goto bad;
        r->name = au_xstrdup(name);
        break;
    case LDNS_RR_TYPE_MX:
        if (ldns_rr_rd_count(lr) != 2 || ldns_rdf_size(f0) != 2 ||
            au_dns_wire_name(ldns_rr_rdf(lr, 1), name) < 0)
            goto bad;
        r->pref = ldns_rdf2native_int16(f0);
        r->name = au_xstrdup(name);
        break;
    case LDNS_RR_TYPE_TXT:
    case LDNS_RR_TYPE_SPF:
        r->nstr = ldns_rr_rd_count(lr);
        r->str = au_xcalloc(r->nstr, sizeof *r->str);
        for (size_t i = 0; i < r->nstr; i++) {
            struct au_slice v;
            if (au_dns_wire_string(ldns_rr_rdf(lr, i), &v) < 0) {
                free_rr(r);
                goto bad;
            }
            r->str[i] = au_slice_make(au_xstrndup(v.ptr, v.len), v.len);
        }
        break;
    case 0:
        *why = "unknown record type";
        return -1;
    default:
        /* Other types (SOA, SRV, CAA, ...) make their owner exist but are
         * never answered: the answer type has no room for them. */
        r->type = 0;
        return 0;
    }
    r->type = (uint16_t)t;
    return 0;
bad:
    *why = "malformed record data";
    return -1;
}

static void parsed_push(struct parse_state *ps, const char *key, const struct stub_rr *rr)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 32;
        ps->p = au_xrealloc(ps->p, ps->cap * sizeof *ps->p);
    }
    struct parsed *p = &ps->p[ps->n++];
    memcpy(p->key, key, strlen(key) + 1);
    p->rr = *rr;
}

static void parsed_free(struct parse_state *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        free_rr(&ps->p[i].rr);
    free(ps->p);
}

/* The apex a record's empty non-terminals stop at, when the text has neither
 * SOA nor origin: the owner's last two labels. */
static const char *default_apex(const char *key)
{
    for (const char *a = key;;) {
        const char *p = parent_of(a);
        if (p == NULL || *p == '\0')
            return a;   /* a has one label */
        const char *pp = parent_of(p);
        if (pp == NULL || *pp == '\0')
            return a;   /* a has two labels */
        a = p;
    }
}

static void merge(struct au_dns_stub *s, struct parse_state *ps, const char *origin_key)
{
    const char *apex = ps->have_soa ? ps->apex : origin_key;
    for (size_t i = 0; i < ps->n; i++) {
        struct parsed *p = &ps->p[i];
        struct stub_node *n = get_node(s, p->key);
        if (ps->have_soa)
            n->neg_ttl = ps->neg_ttl;
        if (p->rr.type != 0) {
            if (n->nrr == n->caprr) {
                n->caprr = n->caprr ? n->caprr * 2 : 4;
                n->rr = au_xrealloc(n->rr, n->caprr * sizeof *n->rr);
            }
            n->rr[n->nrr++] = p->rr;
            memset(&p->rr, 0, sizeof p->rr);
        }
        /* Empty non-terminals up to the apex (inclusive) exist too. */
        const char *stop = apex;
        if (*stop == '\0' || !is_ancestor_or_self(stop, p->key))
            stop = default_apex(p->key);
        for (const char *a = parent_of(p->key); a && is_ancestor_or_self(stop, a);
             a = parent_of(a)) {
            struct stub_node *an = get_node(s, a);
            if (ps->have_soa)
                an->neg_ttl = ps->neg_ttl;
        }
    }
}

int au_dns_stub_add_zone(struct au_dns_stub *s, const char *text, size_t len,
                         const char *origin, const char *source, char *err, size_t errlen)
{
    if (source == NULL)
        source = "<zone>";
    if (origin == NULL)
        origin = "";
    char origin_key[AU_DNS_NAME_MAX + 1];
    if (norm_name(origin, origin_key) < 0) {
        snprintf(err, errlen, "%s:0: bad origin '%s'", source, origin);
        return -1;
    }

    /* A copy ending in a newline: ldns counts lines by newlines, and an
     * entry cut off at the end of the text then reports its own line. */
    char *copy = au_xmalloc(len + 2);
    if (len)
        memcpy(copy, text, len);
    copy[len] = '\n';
    copy[len + 1] = '\0';
    if (memchr(copy, '\0', len) != NULL) {
        snprintf(err, errlen, "%s:0: NUL byte in zone text", source);
        free(copy);
        return -1;
    }
    const char *why = NULL;
    int bad_line = check_quotes_and_parens(copy, len, &why);
    if (bad_line) {
        snprintf(err, errlen, "%s:%d: %s", source, bad_line, why);
        free(copy);
        return -1;
    }
    FILE *fp = fmemopen(copy, len + 1, "r");
    if (fp == NULL) {
        snprintf(err, errlen, "%s:0: cannot open zone text", source);
        free(copy);
        return -1;
    }

    char absolute[AU_DNS_NAME_MAX + 2];
    snprintf(absolute, sizeof absolute, "%s.", origin_key);
    ldns_rdf *ldns_origin = ldns_dname_new_frm_str(*origin_key ? absolute : ".");
    ldns_rdf *prev = NULL;
    uint32_t ttl = AU_DNS_STUB_DEFAULT_TTL;
    int line = 1;
    int rc = 0;
    struct parse_state ps;
    memset(&ps, 0, sizeof ps);
    if (ldns_origin == NULL) {
        snprintf(err, errlen, "%s:0: bad origin '%s'", source, origin);
        rc = -1;
    }

    while (rc == 0 && !feof(fp)) {
        ldns_rr *lr = NULL;
        long start = ftell(fp);
        ldns_status st = ldns_rr_new_frm_fp_l(&lr, fp, &ttl, &ldns_origin, &prev, &line);
        int at = entry_line(copy, len, start > 0 ? (size_t)start : 0);
        if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
            st == LDNS_STATUS_SYNTAX_ORIGIN)
            continue;
        if (st == LDNS_STATUS_SYNTAX_INCLUDE) {
            snprintf(err, errlen, "%s:%d: $INCLUDE is not supported", source, at);
            rc = -1;
            break;
        }
        if (st != LDNS_STATUS_OK) {
            snprintf(err, errlen, "%s:%d: %s", source, at, ldns_get_errorstr_by_id(st));
            ldns_rr_free(lr);
            rc = -1;
            break;
        }
        why = NULL;
        char key[AU_DNS_NAME_MAX + 1], owner[AU_DNS_NAME_MAX + 1];
        struct stub_rr r;
        if (ldns_rr_get_class(lr) != LDNS_RR_CLASS_IN)
            why = "only class IN is supported";
        else if (au_dns_wire_name(ldns_rr_owner(lr), owner) < 0 || norm_name(owner, key) < 0)
            why = "bad owner name";
        else if (convert_rr(lr, &r, &why) == 0) {
            if (ldns_rr_get_type(lr) == LDNS_RR_TYPE_SOA && !ps.have_soa) {
                /* RFC 2308 section 5: the negative TTL is the SOA's
                 * minimum field, but no more than the SOA's own TTL. */
                ps.have_soa = 1;
                memcpy(ps.apex, key, sizeof key);
                uint32_t min = ldns_rr_rd_count(lr) == 7
                                   ? ldns_rdf2native_int32(ldns_rr_rdf(lr, 6))
                                   : AU_DNS_STUB_DEFAULT_TTL;
                ps.neg_ttl = min < ldns_rr_ttl(lr) ? min : ldns_rr_ttl(lr);
            }
            parsed_push(&ps, key, &r);
        }
        ldns_rr_free(lr);
        if (why) {
            snprintf(err, errlen, "%s:%d: %s", source, at, why);
            rc = -1;
        }
    }
    fclose(fp);
    free(copy);
    ldns_rdf_deep_free(ldns_origin);
    ldns_rdf_deep_free(prev);
    if (rc == 0)
        merge(s, &ps, origin_key);
    parsed_free(&ps);
    return rc;
}

/* ---- faults ---- */

int au_dns_stub_add_fault(struct au_dns_stub *s, const char *name, uint16_t type,
                          enum au_dns_fault kind)
{
    char key[AU_DNS_NAME_MAX + 1];
    if (norm_name(name, key) < 0)
        return -1;
    if (s->nfault == s->capfault) {
        s->capfault = s->capfault ? s->capfault * 2 : 8;
        s->fault = au_xrealloc(s->fault, s->capfault * sizeof *s->fault);
    }
    s->fault[s->nfault].name = au_xstrdup(key);
    s->fault[s->nfault].type = type;
    s->fault[s->nfault].kind = kind;
    s->nfault++;
    return 0;
}

/* Each fault: its name in a fault spec, and the answer it gives. */
static const struct {
    const char *name;
    enum au_dns_status status;
    const char *detail;
} faults[] = {
    [AU_DNS_FAULT_TIMEOUT] = {"timeout", AU_DNS_TEMPFAIL, "timeout"},
    [AU_DNS_FAULT_SERVFAIL] = {"servfail", AU_DNS_TEMPFAIL, "SERVFAIL"},
    [AU_DNS_FAULT_REFUSED] = {"refused", AU_DNS_TEMPFAIL, "REFUSED"},
    [AU_DNS_FAULT_NXDOMAIN] = {"nxdomain", AU_DNS_NXDOMAIN, "NXDOMAIN"},
};
#define NFAULTS (sizeof faults / sizeof faults[0])

int au_dns_stub_add_fault_spec(struct au_dns_stub *s, const char *spec, char *err,
                               size_t errlen)
{
    const char *eq = strrchr(spec, '=');
    const char *slash = eq ? memrchr(spec, '/', (size_t)(eq - spec)) : NULL;
    if (eq == NULL || slash == NULL) {
        snprintf(err, errlen, "bad DNS fault '%s': expected NAME/TYPE=KIND", spec);
        return -1;
    }
    char name[AU_DNS_NAME_MAX + 2], type[16];
    size_t nlen = (size_t)(slash - spec), tlen = (size_t)(eq - slash - 1);
    if (nlen == 0 || nlen >= sizeof name || tlen == 0 || tlen >= sizeof type) {
        snprintf(err, errlen, "bad DNS fault '%s': expected NAME/TYPE=KIND", spec);
        return -1;
    }
    memcpy(name, spec, nlen);
    name[nlen] = '\0';
    memcpy(type, slash + 1, tlen);
    type[tlen] = '\0';
    int t = au_dns_type_parse(type);
    if (t < 0) {
        snprintf(err, errlen, "bad DNS fault '%s': unknown type '%s'", spec, type);
        return -1;
    }
    int kind = -1;
    for (size_t i = 0; i < NFAULTS; i++)
        if (strcasecmp(eq + 1, faults[i].name) == 0)
            kind = (int)i;
    if (kind < 0) {
        snprintf(err, errlen,
                 "bad DNS fault '%s': unknown kind '%s' (timeout, servfail, refused, nxdomain)",
                 spec, eq + 1);
        return -1;
    }
    if (au_dns_stub_add_fault(s, name, (uint16_t)t, (enum au_dns_fault)kind) < 0) {
        snprintf(err, errlen, "bad DNS fault '%s': bad name", spec);
        return -1;
    }
    return 0;
}

static struct au_dns_answer *fault_answer(const struct au_dns_stub *s, const char *key,
                                          uint16_t type)
{
    for (size_t i = 0; i < s->nfault; i++) {
        const struct stub_fault *f = &s->fault[i];
        if ((f->type == type || f->type == AU_DNS_ANY) && strcmp(f->name, key) == 0 &&
            (size_t)f->kind < NFAULTS)
            return au_dns_answer_status(faults[f->kind].status, 0, faults[f->kind].detail);
    }
    return NULL;
}

/* ---- lookup ---- */

/* The node that answers key: the node itself when it exists, else the
 * wildcard child of the closest encloser (RFC 4592 section 3.3.1), else NULL
 * (NXDOMAIN).  *nxttl gets the negative TTL of the closest encloser. */
static const struct stub_node *resolve(const struct au_dns_stub *s, const char *key,
                                       uint32_t *nxttl)
{
    const struct stub_node *n = find_node(s, key);
    *nxttl = AU_DNS_STUB_DEFAULT_TTL;
    if (n)
        return n;
    for (const char *enc = parent_of(key); enc; enc = parent_of(enc)) {
        const struct stub_node *ce = find_node(s, enc);
        if (ce == NULL)
            continue;
        *nxttl = ce->neg_ttl;
        char wild[AU_DNS_NAME_MAX + 3];
        snprintf(wild, sizeof wild, *enc ? "*.%s" : "*", enc);
        return find_node(s, wild);
    }
    return NULL;
}

static void add_rr(struct au_dns_builder *b, const struct stub_rr *r)
{
    switch (r->type) {
    case AU_DNS_A:
        au_dns_builder_add_a(b, r->ttl, r->addr);
        break;
    case AU_DNS_AAAA:
        au_dns_builder_add_aaaa(b, r->ttl, r->addr);
        break;
    case AU_DNS_MX:
        au_dns_builder_add_mx(b, r->ttl, r->pref, r->name);
        break;
    case AU_DNS_TXT:
    case AU_DNS_SPF:
        au_dns_builder_add_txt(b, r->type, r->ttl, r->str, r->nstr);
        break;
    default:
        au_dns_builder_add_name(b, r->type, r->ttl, r->name);
        break;
    }
}

static int answerable(uint16_t type)
{
    switch (type) {
    case AU_DNS_A:
    case AU_DNS_AAAA:
    case AU_DNS_MX:
    case AU_DNS_TXT:
    case AU_DNS_SPF:
    case AU_DNS_PTR:
    case AU_DNS_CNAME:
    case AU_DNS_NS:
        return 1;
    }
    return 0;
}

struct au_dns_answer *au_dns_stub_lookup(const struct au_dns_stub *s,
                                         const struct au_dns_query *q)
{
    char key[AU_DNS_NAME_MAX + 1];
    if (norm_name(q->name, key) < 0)
        return au_dns_answer_status(AU_DNS_MALFORMED, 0, "bad name");
    if (!answerable(q->type)) {
        struct au_dns_answer *f = fault_answer(s, key, q->type);
        return f ? f : au_dns_answer_status(AU_DNS_MALFORMED, 0, "unsupported type");
    }

    const char *last_cname = NULL;
    char target[AU_DNS_NAME_MAX + 1];
    for (int links = 0;; links++) {
        struct au_dns_answer *f = fault_answer(s, key, q->type);
        if (f)
            return f;
        uint32_t nxttl;
        const struct stub_node *n = resolve(s, key, &nxttl);
        if (n == NULL) {
            if (last_cname == NULL)
                return au_dns_answer_status(AU_DNS_NXDOMAIN, nxttl, "NXDOMAIN");
            /* Keep the chain's end visible: an answer with the target. */
            struct au_dns_builder *b = au_dns_builder_new();
            au_dns_builder_set_cname(b, last_cname);
            struct au_dns_answer *a = au_dns_builder_finish(b);
            a->status = AU_DNS_NXDOMAIN;
            a->ttl = nxttl;
            return a;
        }
        struct au_dns_builder *b = au_dns_builder_new();
        if (last_cname)
            au_dns_builder_set_cname(b, last_cname);
        const struct stub_rr *cname = NULL;
        for (size_t i = 0; i < n->nrr; i++) {
            if (n->rr[i].type == q->type)
                add_rr(b, &n->rr[i]);
            else if (n->rr[i].type == AU_DNS_CNAME)
                cname = &n->rr[i];
        }
        struct au_dns_answer *a = au_dns_builder_finish(b);
        if (a->status == AU_DNS_RECORDS || cname == NULL) {
            if (a->status == AU_DNS_NODATA)
                a->ttl = n->neg_ttl;
            return a;
        }
        au_dns_answer_unref(a);
        if (links >= AU_DNS_STUB_CNAME_MAX || norm_name(cname->name, target) < 0)
            return au_dns_answer_status(AU_DNS_TEMPFAIL, 0, "CNAME loop");
        memcpy(key, target, sizeof key);
        last_cname = cname->name;
    }
}

struct au_dns_answer *au_dns_stub_lookup_fn(void *ctx, const struct au_dns_query *q)
{
    return au_dns_stub_lookup(ctx, q);
}
