/*
 * dns - DNS answers, the answer builder, batches and the synchronous driver
 * (see dns.h for the contract every check follows).
 *
 * Public: au_dns_answer_{status,ref,unref}, au_dns_builder_{new,add_a,
 * add_aaaa,add_name,add_mx,add_txt,set_cname,finish}, au_dns_batch_{clear,
 * add}, au_dns_run, au_dns_type_{name,parse}, au_dns_status_name,
 * au_dns_txt_join.
 *
 * An answer is one allocation: the struct, then the record array, then the
 * TXT slices, then every byte (names, strings, detail, CNAME target).  That
 * keeps unref a single free and lets a cache hold thousands cheaply.
 *
 * Limits: AU_DNS_NAME_MAX for names in queries; AU_DNS_BATCH_MAX queries per
 * step.  The builder itself takes whatever it is given: its callers (zone
 * parser, wire decoder) bound sizes by the DNS format.
 */
#include "dns.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

/* A record while it is being built: bytes live in the builder's pool and
 * are referred to by offset, since the pool moves as it grows. */
struct pending_rr {
    uint16_t type;
    uint32_t ttl;
    uint8_t addr[16];
    uint16_t pref;
    size_t name_off;   /* PTR/CNAME/NS target, MX host: offset in pool */
    size_t str_first;  /* TXT: first index in strs */
    size_t str_count;
};

struct pending_str {
    size_t off;
    size_t len;
};

struct au_dns_builder {
    struct pending_rr *rr;
    size_t nrr, caprr;
    struct pending_str *strs;
    size_t nstr, capstr;
    struct au_buf pool;   /* every byte, each name NUL-terminated */
    int has_cname;
    size_t cname_off;
};

static size_t align_up(size_t n, size_t a)
{
    return (n + a - 1) / a * a;
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap * 2 : 8;
    while (c < need)
        c *= 2;
    *cap = c;
    return au_xrealloc(p, c * elem);
}

/* Answers without records carry only their detail string. */
struct au_dns_answer *au_dns_answer_status(enum au_dns_status status, uint32_t ttl,
                                           const char *detail)
{
    if (detail == NULL)
        detail = "";
    size_t dlen = strlen(detail);
    struct au_dns_answer *a = au_xmalloc(sizeof *a + dlen + 1);
    char *d = (char *)(a + 1);
    memcpy(d, detail, dlen + 1);
    a->refs = 1;
    a->status = status;
    a->ttl = ttl;
    a->detail = d;
    a->cname = NULL;
    a->count = 0;
    a->rr = NULL;
    return a;
}

struct au_dns_answer *au_dns_answer_ref(struct au_dns_answer *a)
{
    if (a->refs <= 0)
        abort();   /* a reference to a freed answer: a broken invariant */
    a->refs++;
    return a;
}

void au_dns_answer_unref(struct au_dns_answer *a)
{
    if (a == NULL)
        return;
    if (a->refs <= 0)
        abort();
    if (--a->refs == 0)
        free(a);
}

struct au_dns_builder *au_dns_builder_new(void)
{
    struct au_dns_builder *b = au_xcalloc(1, sizeof *b);
    au_buf_init(&b->pool, AU_BUF_NOLIMIT);
    return b;
}

static struct pending_rr *add_rr(struct au_dns_builder *b, uint16_t type, uint32_t ttl)
{
    b->rr = grow(b->rr, &b->caprr, b->nrr + 1, sizeof *b->rr);
    struct pending_rr *r = &b->rr[b->nrr++];
    memset(r, 0, sizeof *r);
    r->type = type;
    r->ttl = ttl;
    return r;
}

static size_t pool_str(struct au_dns_builder *b, const char *s)
{
    size_t off = b->pool.len;
    au_buf_append(&b->pool, s, strlen(s) + 1);
    return off;
}

void au_dns_builder_add_a(struct au_dns_builder *b, uint32_t ttl, const uint8_t addr[4])
{
    memcpy(add_rr(b, AU_DNS_A, ttl)->addr, addr, 4);
}

void au_dns_builder_add_aaaa(struct au_dns_builder *b, uint32_t ttl, const uint8_t addr[16])
{
    memcpy(add_rr(b, AU_DNS_AAAA, ttl)->addr, addr, 16);
}

void au_dns_builder_add_name(struct au_dns_builder *b, uint16_t type, uint32_t ttl,
                             const char *name)
{
    size_t off = pool_str(b, name);
    add_rr(b, type, ttl)->name_off = off;
}

void au_dns_builder_add_mx(struct au_dns_builder *b, uint32_t ttl, uint16_t pref,
                           const char *host)
{
    size_t off = pool_str(b, host);
    struct pending_rr *r = add_rr(b, AU_DNS_MX, ttl);
    r->pref = pref;
    r->name_off = off;
}

void au_dns_builder_add_txt(struct au_dns_builder *b, uint16_t type, uint32_t ttl,
                            const struct au_slice *str, size_t count)
{
    b->strs = grow(b->strs, &b->capstr, b->nstr + count, sizeof *b->strs);
    size_t first = b->nstr;
    for (size_t i = 0; i < count; i++) {
        struct pending_str *p = &b->strs[b->nstr++];
        p->off = b->pool.len;
        p->len = str[i].len;
        au_buf_append(&b->pool, str[i].ptr, str[i].len);
    }
    struct pending_rr *r = add_rr(b, type, ttl);
    r->str_first = first;
    r->str_count = count;
}

void au_dns_builder_set_cname(struct au_dns_builder *b, const char *target)
{
    b->cname_off = pool_str(b, target);
    b->has_cname = 1;
}

static int is_txt_type(uint16_t type)
{
    return type == AU_DNS_TXT || type == AU_DNS_SPF;
}

struct au_dns_answer *au_dns_builder_finish(struct au_dns_builder *b)
{
    size_t off_rr = align_up(sizeof(struct au_dns_answer), alignof(struct au_dns_rr));
    size_t off_str = align_up(off_rr + b->nrr * sizeof(struct au_dns_rr),
                              alignof(struct au_slice));
    size_t off_bytes = off_str + b->nstr * sizeof(struct au_slice);
    size_t total = off_bytes + b->pool.len + 1;   /* + the "" detail */

    char *mem = au_xmalloc(total);
    struct au_dns_answer *a = (struct au_dns_answer *)mem;
    struct au_dns_rr *rr = (struct au_dns_rr *)(mem + off_rr);
    struct au_slice *str = (struct au_slice *)(mem + off_str);
    char *bytes = mem + off_bytes;
    if (b->pool.len)
        memcpy(bytes, b->pool.data, b->pool.len);
    bytes[b->pool.len] = '\0';

    for (size_t i = 0; i < b->nstr; i++)
        str[i] = au_slice_make(bytes + b->strs[i].off, b->strs[i].len);

    uint32_t min_ttl = 0;
    for (size_t i = 0; i < b->nrr; i++) {
        const struct pending_rr *p = &b->rr[i];
        struct au_dns_rr *r = &rr[i];
        memset(r, 0, sizeof *r);
        r->type = p->type;
        r->ttl = p->ttl;
        if (i == 0 || p->ttl < min_ttl)
            min_ttl = p->ttl;
        if (p->type == AU_DNS_A)
            memcpy(r->u.a, p->addr, 4);
        else if (p->type == AU_DNS_AAAA)
            memcpy(r->u.aaaa, p->addr, 16);
        else if (p->type == AU_DNS_MX) {
            r->u.mx.pref = p->pref;
            r->u.mx.host = bytes + p->name_off;
        } else if (is_txt_type(p->type)) {
            r->u.txt.count = p->str_count;
            r->u.txt.str = str + p->str_first;
        } else
            r->u.name = bytes + p->name_off;
    }

    a->refs = 1;
    a->status = b->nrr ? AU_DNS_RECORDS : AU_DNS_NODATA;
    a->ttl = min_ttl;
    a->detail = bytes + b->pool.len;
    a->cname = b->has_cname ? bytes + b->cname_off : NULL;
    a->count = b->nrr;
    a->rr = b->nrr ? rr : NULL;

    free(b->rr);
    free(b->strs);
    au_buf_free(&b->pool);
    free(b);
    return a;
}

void au_dns_batch_clear(struct au_dns_batch *batch)
{
    for (size_t i = 0; i < batch->n && i < AU_DNS_BATCH_MAX; i++) {
        au_dns_answer_unref(batch->a[i]);
        batch->a[i] = NULL;
    }
    batch->n = 0;
}

int au_dns_batch_add(struct au_dns_batch *batch, const char *name, uint16_t type)
{
    if (batch->n >= AU_DNS_BATCH_MAX)
        return -1;
    size_t len = strlen(name);
    /* One trailing dot is the absolute form of the same name. */
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len > AU_DNS_NAME_MAX)
        return -1;
    struct au_dns_query *q = &batch->q[batch->n];
    memcpy(q->name, name, len);
    q->name[len] = '\0';
    q->type = type;
    batch->a[batch->n] = NULL;
    batch->n++;
    return 0;
}

void au_dns_run(au_step_fn step, void *check, au_dns_lookup_fn lookup, void *ctx)
{
    struct au_dns_batch batch;
    memset(&batch, 0, sizeof batch);
    while (step(check, &batch) == AU_STEP_NEED_DNS) {
        if (batch.n == 0 || batch.n > AU_DNS_BATCH_MAX)
            abort();   /* the check broke rule 3 of the contract */
        for (size_t i = 0; i < batch.n; i++) {
            batch.a[i] = lookup(ctx, &batch.q[i]);
            if (batch.a[i] == NULL)
                abort();   /* lookup functions never return NULL */
        }
    }
}

static const struct {
    uint16_t type;
    const char *name;
} type_names[] = {
    {AU_DNS_A, "A"},     {AU_DNS_NS, "NS"},   {AU_DNS_CNAME, "CNAME"},
    {AU_DNS_SOA, "SOA"}, {AU_DNS_PTR, "PTR"}, {AU_DNS_MX, "MX"},
    {AU_DNS_TXT, "TXT"}, {AU_DNS_AAAA, "AAAA"}, {AU_DNS_SPF, "SPF"},
    {AU_DNS_ANY, "ANY"},
};

const char *au_dns_type_name(uint16_t type)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (type_names[i].type == type)
            return type_names[i].name;
    return NULL;
}

int au_dns_type_parse(const char *name)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (strcasecmp(type_names[i].name, name) == 0)
            return type_names[i].type;
    return -1;
}

const char *au_dns_status_name(enum au_dns_status status)
{
    switch (status) {
    case AU_DNS_RECORDS:
        return "RECORDS";
    case AU_DNS_NXDOMAIN:
        return "NXDOMAIN";
    case AU_DNS_NODATA:
        return "NODATA";
    case AU_DNS_TEMPFAIL:
        return "TEMPFAIL";
    case AU_DNS_MALFORMED:
        return "MALFORMED";
    }
    return "UNKNOWN";
}

int au_dns_txt_join(const struct au_dns_rr *rr, struct au_buf *out)
{
    au_buf_reset(out);
    if (!is_txt_type(rr->type))
        return -1;
    for (size_t i = 0; i < rr->u.txt.count; i++)
        if (au_buf_append(out, rr->u.txt.str[i].ptr, rr->u.txt.str[i].len) < 0)
            return -1;
    return 0;
}
