/*
 * dns_opts - the DNS options shared by every subcommand that looks up names
 * (spec/cli.md: --zone, --dns-fault, --resolver, --dns-timeout), and the
 * backends they select: the stub (zone files) or real DNS.
 *
 * Usage in a subcommand built on getopt_long:
 *
 *     static const struct option longopts[] = { ..., DNS_OPTS_LONG, {0} };
 *     struct dns_opts dopts; dns_opts_init(&dopts);
 *     while ((c = getopt_long(...)) != -1) {
 *         int r = dns_opts_handle(&dopts, c, optarg);
 *         if (r < 0) return 2;          // message already printed
 *         if (r > 0) continue;
 *         switch (c) { ... }
 *     }
 */
#ifndef SMTPD_DNS_OPTS_H
#define SMTPD_DNS_OPTS_H

#include <stddef.h>

#include "dns.h"
#include "dns_stub.h"

#define DNS_OPT_BASE 1000
#define DNS_OPT_ZONE (DNS_OPT_BASE + 0)
#define DNS_OPT_FAULT (DNS_OPT_BASE + 1)
#define DNS_OPT_RESOLVER (DNS_OPT_BASE + 2)
#define DNS_OPT_TIMEOUT (DNS_OPT_BASE + 3)

#define DNS_OPTS_LONG                                                                          \
    {"zone", required_argument, NULL, DNS_OPT_ZONE},                                           \
        {"dns-fault", required_argument, NULL, DNS_OPT_FAULT},                                 \
        {"resolver", required_argument, NULL, DNS_OPT_RESOLVER},                               \
        {"dns-timeout", required_argument, NULL, DNS_OPT_TIMEOUT}

#define DNS_TIMEOUT_DEFAULT_MS 5000
#define DNS_OPTS_MAX 64   /* zone files, and faults, per command line */

/* The --help text for the DNS options (several lines, ends with a newline). */
extern const char dns_opts_help[];

struct dns_opts {
    const char *zones[DNS_OPTS_MAX];   /* file paths, as given */
    size_t nzones;
    const char *faults[DNS_OPTS_MAX];  /* "NAME/TYPE=KIND", as given */
    size_t nfaults;
    const char *resolver;              /* "ADDR[:PORT]" or NULL: /etc/resolv.conf */
    unsigned timeout_ms;
};

void dns_opts_init(struct dns_opts *o);
/* Handles getopt_long's result opt with its argument. Returns 1 when it was a
 * DNS option, 0 when not, -1 on a bad value (message printed to stderr). */
int dns_opts_handle(struct dns_opts *o, int opt, const char *arg);
/* True when the options select the stub (any --zone or --dns-fault). */
int dns_opts_is_stub(const struct dns_opts *o);
/* Builds the stub from the zone files and faults. Returns NULL with a message
 * printed ("authsink: FILE:LINE: ...") when a file cannot be read or parsed. */
struct au_dns_stub *dns_opts_build_stub(const struct dns_opts *o);

/*
 * A synchronous driver for the CLI commands (check, spf, dkim verify): the
 * same backends, run to completion.  Real DNS runs a private libuv loop.
 */
struct dns_sync;
/* Returns NULL with a message printed on error. */
struct dns_sync *dns_sync_new(const struct dns_opts *o);
/* Runs the check to completion (au_dns_run semantics). */
void dns_sync_run(struct dns_sync *s, au_step_fn step, void *check);
/* Answers one query (a new reference). */
struct au_dns_answer *dns_sync_lookup(struct dns_sync *s, const struct au_dns_query *q);
void dns_sync_free(struct dns_sync *s);

#endif
