/*
 * server - the receiver on libuv: one event loop per worker thread, each
 * with its own SO_REUSEPORT listeners, so the kernel spreads connections
 * over the cores (ARCHITECTURE.md principle 2).
 */
#ifndef SMTPD_SERVER_H
#define SMTPD_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "dns_opts.h"
#include "session.h"

#define SERVER_LISTEN_MAX 16
#define SERVER_DOMAINS_MAX 64
#define SERVER_CIDRS_MAX 64
#define SERVER_IDLE_TIMEOUT_MS_DEFAULT 300000   /* RFC 5321 4.5.3.2.7: 5 minutes */
#define SERVER_CONNS_MAX_DEFAULT 20000
#define SERVER_CONNS_PER_IP_MAX_DEFAULT 10000
#define SERVER_SHUTDOWN_GRACE_MS_DEFAULT 30000
#define SERVER_BACKLOG 1024
#define SERVER_IP_MAP_MAX 64

struct server_config {
    const char *listen[SERVER_LISTEN_MAX];   /* "127.0.0.1:2525", "[::1]:2525" */
    size_t nlisten;
    const char *maildir;                     /* "none": store nothing */
    const char *log;                         /* NULL or "-": standard output */
    const char *profile;
    const char *accept_domains[SERVER_DOMAINS_MAX + 1];   /* NULL-terminated */
    const char *xclient_from[SERVER_CIDRS_MAX];           /* CIDRs */
    size_t nxclient_from;
    struct session_config session;
    unsigned idle_timeout_ms;
    unsigned conns_max;
    unsigned conns_per_ip_max;
    unsigned workers;                        /* 0: one per core */
    unsigned shutdown_grace_ms;
    bool keep_rejected;                      /* refused mail to MAILDIR/.Rejected */
    struct dns_opts dns;                     /* --zone, --dns-fault, --resolver, ... */
    const struct au_dns_stub *stub;          /* when set: answers DNS (borrowed), dns ignored */
    bool quiet;                              /* no "listening"/"serving" lines (in-process use) */
    /* STARTTLS (RFC 3207): both NULL uses a self-signed pair for the host
     * name, made once per user in $XDG_RUNTIME_DIR, $TMPDIR or /tmp under
     * authsink-tls-UID/HOSTNAME and reused (paths printed unless quiet).
     * no_tls: STARTTLS is neither offered nor set up. */
    const char *tls_cert;
    const char *tls_key;
    bool no_tls;
    bool proxy_protocol;                     /* a PROXY v1/v2 header precedes SMTP */
    const char *client_ip_map[SERVER_IP_MAP_MAX];   /* "FROM=TO": FROM an address or CIDR */
    size_t nclient_ip_map;
};

/* Fills every setting with its default (spec/cli.md). */
void server_config_defaults(struct server_config *cfg);

/* Runs the receiver until SIGINT or SIGTERM, then drains and returns the
 * exit status (0; 1 when it could not start, with the reason printed). */
int server_run(struct server_config *cfg);

/*
 * The receiver inside another program (the scenario runner): start binds
 * and starts the workers and returns at once (NULL, reason printed, when it
 * could not start); cfg must outlive the server.  server_port gives the
 * port listener i is bound to (port 0 resolved).  stop drains as SIGTERM
 * does, waits for the workers, and frees everything.
 */
struct server;
/* Checks what can be checked without starting (addresses, CIDRs, maps).
 * Returns 0, or -1 with the reason printed: a usage error. */
int server_config_check(struct server_config *cfg);
struct server *server_start(struct server_config *cfg);
unsigned server_port(const struct server *srv, size_t i);
void server_stop(struct server *srv);

#endif
