/*
 * dkim_fixture - helpers shared by the DKIM tests (unit, conformance, fuzz):
 * reading fixture files, LF to CRLF, an in-memory table of TXT answers,
 * and running a message through auth/msg.c into the verifier.
 * Header-only (static functions) so each test stays one program.
 */
#ifndef DKIM_FIXTURE_H
#define DKIM_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim.h"
#include "dns.h"
#include "msg.h"
#include "xalloc.h"

#define FX_DNS_MAX 256

enum fx_kind { FX_TXT, FX_NXDOMAIN, FX_TIMEOUT, FX_SERVFAIL, FX_EMPTY };

struct fx_dns {
    size_t n;
    struct {
        char *name;
        enum fx_kind kind;
        char *value;
    } e[FX_DNS_MAX];
    size_t queries; /* lookups answered */
};

static inline char *fx_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        au_buf_append(&b, tmp, n);
    fclose(f);
    *len = b.len;
    return au_buf_detach(&b);
}

/* Bare LF becomes CRLF; CRLF stays. */
static inline char *fx_crlf(const char *p, size_t len, size_t *outlen)
{
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
            au_buf_putc(&b, '\r');
        au_buf_putc(&b, p[i]);
    }
    *outlen = b.len;
    return au_buf_detach(&b);
}

static inline void fx_dns_add(struct fx_dns *d, const char *name, enum fx_kind kind,
                              const char *value)
{
    if (d->n >= FX_DNS_MAX)
        abort();
    d->e[d->n].name = au_xstrdup(name);
    d->e[d->n].kind = kind;
    d->e[d->n].value = au_xstrdup(value ? value : "");
    d->n++;
}

static inline void fx_dns_free(struct fx_dns *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->e[i].name);
        free(d->e[i].value);
    }
    d->n = 0;
}

/* Each TXT value split into 255-byte strings, as a zone would hold it;
 * several entries for one name make several records. */
static inline struct au_dns_answer *fx_dns_lookup(void *ctx, const struct au_dns_query *q)
{
    struct fx_dns *d = ctx;
    d->queries++;
    struct au_dns_builder *b = NULL;
    for (size_t i = 0; i < d->n; i++) {
        if (strcasecmp(d->e[i].name, q->name) != 0)
            continue;
        switch (d->e[i].kind) {
        case FX_NXDOMAIN:
            return au_dns_answer_status(AU_DNS_NXDOMAIN, 300, "NXDOMAIN");
        case FX_TIMEOUT:
            return au_dns_answer_status(AU_DNS_TEMPFAIL, 0, "timeout");
        case FX_SERVFAIL:
            return au_dns_answer_status(AU_DNS_TEMPFAIL, 0, "SERVFAIL");
        default: {
            if (q->type != AU_DNS_TXT)
                return au_dns_answer_status(AU_DNS_NODATA, 300, "");
            if (b == NULL)
                b = au_dns_builder_new();
            const char *v = d->e[i].value;
            size_t len = strlen(v), ns = 0;
            struct au_slice s[64];
            for (size_t o = 0; o < len && ns < 64; o += 255)
                s[ns++] = au_slice_make(v + o, len - o < 255 ? len - o : 255);
            if (ns == 0)
                s[ns++] = au_slice_make("", 0);
            au_dns_builder_add_txt(b, AU_DNS_TXT, 300, s, ns);
        }
        }
    }
    if (b)
        return au_dns_builder_finish(b);
    return au_dns_answer_status(AU_DNS_NXDOMAIN, 300, "NXDOMAIN");
}

static inline void fx_sink_field(void *arg, struct au_slice name, struct au_slice raw)
{
    au_dkim_verify_field(arg, name, raw);
}
static inline void fx_sink_end_headers(void *arg)
{
    au_dkim_verify_end_headers(arg);
}
static inline void fx_sink_body(void *arg, const char *p, size_t n)
{
    au_dkim_verify_body(arg, p, n);
}
static inline void fx_sink_end(void *arg)
{
    au_dkim_verify_end_body(arg);
}

/* Feeds msg in chunks of chunk bytes (0: all at once) into v through the
 * splitter, then drives the DNS step to the end. Returns the splitter's error. */
static inline int fx_run(struct au_dkim_verify *v, const char *msg, size_t len, size_t chunk,
                         struct fx_dns *dns)
{
    struct au_msg_sink sink = {fx_sink_field, fx_sink_end_headers, fx_sink_body, fx_sink_end, v};
    struct au_msg *m = au_msg_new(&sink);
    if (chunk == 0)
        chunk = len ? len : 1;
    int rc = 0;
    for (size_t o = 0; o < len && rc == 0; o += chunk)
        rc = au_msg_feed(m, msg + o, len - o < chunk ? len - o : chunk);
    if (rc == 0)
        rc = au_msg_finish(m);
    au_msg_free(m);
    if (rc == 0)
        au_dns_run(au_dkim_verify_step, v, fx_dns_lookup, dns);
    return rc;
}

#endif
