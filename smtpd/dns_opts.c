/*
 * dns_opts - the DNS options of the subcommands, the backends they select,
 * and the synchronous driver of the CLI (see dns_opts.h, spec/cli.md).
 *
 * Public: dns_opts_help, dns_opts_{init,handle,is_stub,build_stub},
 * dns_sync_{new,run,lookup,free}.
 *
 * This is where zone files are read (auth/ reads none).  The synchronous
 * driver answers from the stub directly, or runs the libuv resolver on a
 * private loop until the answers it waits for are in; a batch's queries go
 * out together.
 *
 * Limits: DNS_OPTS_MAX zone files and faults; DNS_ZONE_FILE_MAX bytes per
 * zone file; DNS_TIMEOUT_MAX_S seconds of --dns-timeout.
 */
#include "dns_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli_util.h"
#include "resolver.h"
#include "xalloc.h"

#define DNS_ZONE_FILE_MAX (64u << 20)
#define DNS_TIMEOUT_MAX_S 3600

const char dns_opts_help[] =
    "DNS options:\n"
    "  --zone FILE              answer DNS from this RFC 1035 zone file only (repeatable);\n"
    "                           every other name is NXDOMAIN\n"
    "  --dns-fault NAME/TYPE=KIND\n"
    "                           with the stub, answer NAME/TYPE with KIND: timeout, servfail,\n"
    "                           refused or nxdomain; TYPE may be ANY (repeatable); a stub\n"
    "                           timeout fails at once\n"
    "  --resolver ADDR[:PORT]   real DNS through this server instead of those in\n"
    "                           /etc/resolv.conf ([V6]:PORT for IPv6 with a port)\n"
    "  --dns-timeout SECONDS    per query, real DNS (default 5)\n";

void dns_opts_init(struct dns_opts *o)
{
    memset(o, 0, sizeof *o);
    o->timeout_ms = DNS_TIMEOUT_DEFAULT_MS;
}

int dns_opts_handle(struct dns_opts *o, int opt, const char *arg)
{
    char err[256];
    switch (opt) {
    case DNS_OPT_ZONE:
        if (o->nzones >= DNS_OPTS_MAX) {
            fprintf(stderr, "authsink: too many --zone options (at most %d)\n", DNS_OPTS_MAX);
            return -1;
        }
        o->zones[o->nzones++] = arg;
        return 1;
    case DNS_OPT_FAULT: {
        if (o->nfaults >= DNS_OPTS_MAX) {
            fprintf(stderr, "authsink: too many --dns-fault options (at most %d)\n",
                    DNS_OPTS_MAX);
            return -1;
        }
        /* Checked now, so that a typo is a usage error. */
        struct au_dns_stub *probe = au_dns_stub_new();
        int rc = au_dns_stub_add_fault_spec(probe, arg, err, sizeof err);
        au_dns_stub_free(probe);
        if (rc < 0) {
            fprintf(stderr, "authsink: %s\n", err);
            return -1;
        }
        o->faults[o->nfaults++] = arg;
        return 1;
    }
    case DNS_OPT_RESOLVER: {
        struct sockaddr_storage sa;
        if (resolver_parse_addr(arg, &sa) < 0) {
            fprintf(stderr, "authsink: bad --resolver '%s' (ADDR[:PORT], [V6]:PORT)\n", arg);
            return -1;
        }
        o->resolver = arg;
        return 1;
    }
    case DNS_OPT_TIMEOUT: {
        char *end;
        errno = 0;
        double s = strtod(arg, &end);
        if (errno || end == arg || *end || !(s > 0) || s > DNS_TIMEOUT_MAX_S) {
            fprintf(stderr, "authsink: bad --dns-timeout '%s' (seconds, more than 0, at most %d)\n",
                    arg, DNS_TIMEOUT_MAX_S);
            return -1;
        }
        o->timeout_ms = (unsigned)(s * 1000 + 0.5);
        if (o->timeout_ms == 0)
            o->timeout_ms = 1;
        return 1;
    }
    }
    return 0;
}

int dns_opts_is_stub(const struct dns_opts *o)
{
    return o->nzones > 0 || o->nfaults > 0;
}

struct au_dns_stub *dns_opts_build_stub(const struct dns_opts *o)
{
    struct au_dns_stub *stub = au_dns_stub_new();
    char err[512];
    for (size_t i = 0; i < o->nzones; i++) {
        size_t len = 0;
        char *text = cli_read_file(o->zones[i], DNS_ZONE_FILE_MAX, &len);
        if (text == NULL)
            goto fail;   /* the reason is printed */
        int rc = au_dns_stub_add_zone(stub, text, len, NULL, o->zones[i], err, sizeof err);
        free(text);
        if (rc < 0)
            goto fail_err;
    }
    for (size_t i = 0; i < o->nfaults; i++)
        if (au_dns_stub_add_fault_spec(stub, o->faults[i], err, sizeof err) < 0)
            goto fail_err;
    return stub;
fail_err:
    fprintf(stderr, "authsink: %s\n", err);
fail:
    au_dns_stub_free(stub);
    return NULL;
}

/* ---- the synchronous driver ---- */

struct dns_sync {
    struct au_dns_stub *stub;   /* the stub, or NULL for real DNS */
    uv_loop_t loop;
    struct resolver *resolver;
};

struct dns_sync *dns_sync_new(const struct dns_opts *o)
{
    struct dns_sync *s = au_xcalloc(1, sizeof *s);
    if (dns_opts_is_stub(o)) {
        s->stub = dns_opts_build_stub(o);
        if (s->stub == NULL) {
            free(s);
            return NULL;
        }
        return s;
    }
    struct resolver_config c;
    char err[256];
    if (resolver_config_init(&c, o->resolver, o->timeout_ms ? o->timeout_ms
                                                            : DNS_TIMEOUT_DEFAULT_MS,
                             err, sizeof err) < 0) {
        fprintf(stderr, "authsink: %s\n", err);
        free(s);
        return NULL;
    }
    int rc = uv_loop_init(&s->loop);
    if (rc < 0) {
        fprintf(stderr, "authsink: event loop: %s\n", uv_strerror(rc));
        free(s);
        return NULL;
    }
    s->resolver = resolver_new(&s->loop, &c);
    return s;
}

static void sync_answer(void *arg, struct au_dns_answer *a)
{
    *(struct au_dns_answer **)arg = a;
}

/* Asks every query of the batch at once and runs the loop until all the
 * answers are in. */
static void sync_batch(struct dns_sync *s, struct au_dns_batch *batch)
{
    for (size_t i = 0; i < batch->n; i++) {
        batch->a[i] = NULL;
        resolver_query(s->resolver, &batch->q[i], sync_answer, &batch->a[i]);
    }
    for (;;) {
        size_t missing = 0;
        for (size_t i = 0; i < batch->n; i++)
            missing += batch->a[i] == NULL;
        if (missing == 0)
            return;
        uv_run(&s->loop, UV_RUN_ONCE);
    }
}

void dns_sync_run(struct dns_sync *s, au_step_fn step, void *check)
{
    if (s->stub) {
        au_dns_run(step, check, au_dns_stub_lookup_fn, s->stub);
        return;
    }
    struct au_dns_batch batch;
    memset(&batch, 0, sizeof batch);
    while (step(check, &batch) == AU_STEP_NEED_DNS) {
        if (batch.n == 0 || batch.n > AU_DNS_BATCH_MAX)
            abort();   /* the check broke rule 3 of the contract in dns.h */
        sync_batch(s, &batch);
    }
}

struct au_dns_answer *dns_sync_lookup(struct dns_sync *s, const struct au_dns_query *q)
{
    if (s->stub)
        return au_dns_stub_lookup(s->stub, q);
    struct au_dns_batch batch;
    memset(&batch, 0, sizeof batch);
    batch.n = 1;
    batch.q[0] = *q;
    sync_batch(s, &batch);
    return batch.a[0];
}

void dns_sync_free(struct dns_sync *s)
{
    if (s == NULL)
        return;
    if (s->stub) {
        au_dns_stub_free(s->stub);
    } else {
        resolver_free(s->resolver);
        uv_run(&s->loop, UV_RUN_DEFAULT);   /* the close callbacks */
        uv_loop_close(&s->loop);
    }
    free(s);
}
