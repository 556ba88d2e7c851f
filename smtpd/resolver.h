/*
 * resolver - real DNS on libuv: a stub resolver that asks recursive servers
 * (those of /etc/resolv.conf, or --resolver), one per event loop.
 *
 * UDP with EDNS0 (1232 bytes), TCP when an answer is truncated; a fresh
 * socket (kernel-chosen random source port) and a random id for every
 * attempt, and only an answer whose id, question name, type and class match
 * is taken; attempts rotate over the servers until the query's time runs
 * out.  Answers are cached by (name, type) for their TTL, negative ones too
 * (RFC 2308); identical queries in flight share one exchange.
 *
 * Callbacks run on a later loop turn, never inside the call that asked.
 */
#ifndef SMTPD_RESOLVER_H
#define SMTPD_RESOLVER_H

#include <stddef.h>
#include <sys/socket.h>
#include <uv.h>

#include "dns.h"

#define RESOLVER_SERVERS_MAX 3        /* as MAXNS in resolv.conf(5) */
#define RESOLVER_TRIES_PER_SERVER 2
#define RESOLVER_ATTEMPT_MIN_MS 200   /* no attempt waits less than this */
#define RESOLVER_CACHE_MAX 10000      /* entries; the oldest go first */
#define RESOLVER_DNS_PORT 53
#define RESOLVER_RESOLV_CONF "/etc/resolv.conf"
#define RESOLVER_RESOLV_CONF_MAX 65536   /* bytes of resolv.conf read */

struct resolver_config {
    struct sockaddr_storage server[RESOLVER_SERVERS_MAX];
    size_t nservers;
    unsigned timeout_ms;   /* the whole query's budget, over all attempts */
    int cache;             /* non-zero: cache answers */
    size_t cache_max;      /* entries, at most RESOLVER_CACHE_MAX */
};

/* Parses "ADDR", "ADDR:PORT", "[V6]" or "[V6]:PORT" (a bare IPv6 address
 * has no port) into sa. Returns 0, or -1 when it is not such an address. */
int resolver_parse_addr(const char *text, struct sockaddr_storage *sa);

/* Adds the "nameserver" lines of resolv.conf text (len bytes) to c, up to
 * RESOLVER_SERVERS_MAX. Returns how many were added. */
size_t resolver_parse_resolv_conf(struct resolver_config *c, const char *text, size_t len);

/* Fills c: the server (ADDR[:PORT]) if not NULL, else the nameservers of
 * /etc/resolv.conf, else 127.0.0.1 (resolv.conf(5)); the timeout; the cache
 * on.  Returns 0, or -1 with a message in err for a bad server address. */
int resolver_config_init(struct resolver_config *c, const char *server, unsigned timeout_ms,
                         char *err, size_t errlen);

struct resolver;
struct resolver_req;
typedef void (*resolver_cb)(void *arg, struct au_dns_answer *answer /* owned by cb */);

/* Returns a resolver on loop (never NULL). c is copied. */
struct resolver *resolver_new(uv_loop_t *loop, const struct resolver_config *c);
/* Stops everything: queries are dropped without their callbacks, handles
 * closed; the memory goes in the close callbacks, so run the loop after.
 * NULL is a no-op. */
void resolver_free(struct resolver *r);

/* Looks q up; cb(arg, answer) runs on a later loop turn with a new
 * reference (never NULL). Returns the request, valid until cb runs. */
struct resolver_req *resolver_query(struct resolver *r, const struct au_dns_query *q,
                                    resolver_cb cb, void *arg);
/* cb of req will not run. req must not have completed. */
void resolver_cancel(struct resolver_req *req);

/* Turns the cache on or off (off also empties it). */
void resolver_set_cache(struct resolver *r, int on);

struct resolver_stats {
    unsigned long queries;     /* resolver_query calls */
    unsigned long cache_hits;
    unsigned long merged;      /* joined an exchange already in flight */
    unsigned long sent_udp;
    unsigned long sent_tcp;
    unsigned long ignored;     /* datagrams that did not answer our query */
};
void resolver_get_stats(const struct resolver *r, struct resolver_stats *st);

#endif
