/*
 * resolver - real DNS on libuv (see resolver.h).
 *
 * Public: resolver_{parse_addr,parse_resolv_conf,config_init,new,free,
 * query,cancel,set_cache,get_stats}.
 *
 * RFCs: 1035 section 4.2 (UDP, and TCP with a two-byte length), 7766
 * section 5 (TCP after TC), 6891 (EDNS0; the 1232-byte payload of DNS flag
 * day 2020), 5452 (random id and source port; id, name, type and class must
 * match, and the answer must come from the server asked), 2308 (negative
 * caching), 1035 section 7.4 (cache by TTL).
 *
 * Shape: an exchange ("rquery") per distinct (type, name) in flight, with
 * the requests waiting on it.  An attempt opens a fresh UDP socket bound to
 * port 0 (the kernel picks a random source port) and connected to the
 * server (so the kernel drops other senders, and "port unreachable" fails
 * the attempt at once), sends, and arms the query's timer for its share of
 * the time; a truncated answer moves the same attempt to TCP.  A failing
 * attempt (timeout, network error, and with more than one server
 * SERVFAIL/REFUSED/garbage) moves to the next server.
 * Finished exchanges put their requests on the ready list, which an idle
 * handle delivers: every callback runs from there, on a later loop turn.
 *
 * Ownership (libuv's law): an exchange lives until its timer's close
 * callback, each socket until its own; the resolver until the last handle
 * it opened is closed.  Sockets detached from their exchange ignore late
 * events.
 *
 * Limits: RESOLVER_SERVERS_MAX servers; RESOLVER_TRIES_PER_SERVER tries
 * each within the query's timeout, none shorter than RESOLVER_ATTEMPT_MIN_MS;
 * RESOLVER_CACHE_MAX cache entries; AU_DNS_WIRE_MAX bytes per answer.
 *
 * XXX: cached answers keep the TTLs they arrived with (answers are
 * immutable); entries still expire on time.
 */
#include "resolver.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/rand.h>

#include "buf.h"
#include "dns_wire.h"
#include "xalloc.h"

#define RESOLVER_CACHE_BUCKETS 16384   /* power of two */
#define RESOLVER_UDP_BUF 65536
#define RESOLVER_KEY_MAX (8 + AU_DNS_NAME_MAX + 1)
#define RESOLVER_CONF_LINE_MAX 255 /* bytes of a resolv.conf line read; the rest is ignored */

#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

struct link {
    struct link *next, *prev;
};

static void list_init(struct link *h)
{
    h->next = h->prev = h;
}

static int list_empty(const struct link *h)
{
    return h->next == h;
}

static void list_push(struct link *h, struct link *n)
{
    n->prev = h->prev;
    n->next = h;
    h->prev->next = n;
    h->prev = n;
}

static void list_del(struct link *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = n;
}

/* Moves every element of from to the end of to. */
static void list_splice(struct link *to, struct link *from)
{
    if (list_empty(from))
        return;
    from->next->prev = to->prev;
    to->prev->next = from->next;
    from->prev->next = to;
    to->prev = from->prev;
    list_init(from);
}

struct rquery;

struct resolver_req {
    struct link link;               /* in its exchange's waiters, or ready */
    struct resolver *r;
    struct rquery *rq;              /* NULL once ready */
    struct au_dns_answer *answer;   /* once ready */
    resolver_cb cb;
    void *arg;
};

struct udp_io {
    uv_udp_t h;
    struct resolver *r;
    struct rquery *rq;   /* NULL once detached */
};

struct tcp_io {
    uv_tcp_t h;
    uv_connect_t connect;
    uv_write_t write;
    struct resolver *r;
    struct rquery *rq;   /* NULL once detached */
    uint8_t out[2 + AU_DNS_WIRE_QUERY_MAX];
    size_t outlen;
    struct au_buf in;
};

struct rquery {
    struct link link;   /* in r->inflight */
    struct resolver *r;
    char key[RESOLVER_KEY_MAX];
    struct au_dns_query q;
    struct link waiters;
    uint8_t wire[AU_DNS_WIRE_QUERY_MAX];
    size_t wirelen;
    unsigned attempt, max_attempts, attempt_ms;
    const struct sockaddr *server;
    struct udp_io *udp;
    struct tcp_io *tcp;
    uv_timer_t timer;
    struct au_dns_answer *last;   /* the latest failure, reported if all fail */
};

struct centry {
    struct centry *hnext;
    struct link age;   /* in r->ages, oldest first */
    char *key;
    struct au_dns_answer *answer;
    uint64_t expires;  /* uv_now() milliseconds */
};

struct resolver {
    uv_loop_t *loop;
    struct resolver_config c;
    struct link inflight;
    struct link ready;
    uv_idle_t idle;
    struct centry **bucket;
    size_t ncache;
    struct link ages;
    int handles;   /* open handles; the memory goes with the last */
    int freeing;
    struct resolver_stats st;
    char rbuf[RESOLVER_UDP_BUF];
};

/* ---- configuration ---- */

/* A bare IPv4 or IPv6 address with port into sa. Returns 0 or -1. */
static int ip_port_addr(const char *host, int port, struct sockaddr_storage *sa)
{
    if (strchr(host, ':'))
        return uv_ip6_addr(host, port, (struct sockaddr_in6 *)sa) == 0 ? 0 : -1;
    return uv_ip4_addr(host, port, (struct sockaddr_in *)sa) == 0 ? 0 : -1;
}

int resolver_parse_addr(const char *text, struct sockaddr_storage *sa)
{
    char host[INET6_ADDRSTRLEN + 16];
    const char *port = NULL;
    memset(sa, 0, sizeof *sa);
    if (text[0] == '[') {
        const char *end = strchr(text, ']');
        if (end == NULL || (size_t)(end - text - 1) >= sizeof host)
            return -1;
        memcpy(host, text + 1, (size_t)(end - text - 1));
        host[end - text - 1] = '\0';
        if (end[1] == ':')
            port = end + 2;
        else if (end[1] != '\0')
            return -1;
    } else {
        const char *colon = strchr(text, ':');
        size_t n = strlen(text);
        if (colon && strchr(colon + 1, ':') == NULL) {
            n = (size_t)(colon - text);   /* v4:port */
            port = colon + 1;
        }
        if (n >= sizeof host)
            return -1;
        memcpy(host, text, n);
        host[n] = '\0';
    }
    unsigned long p = RESOLVER_DNS_PORT;
    if (port) {
        char *end;
        if (!isdigit((unsigned char)*port))
            return -1;
        errno = 0;
        p = strtoul(port, &end, 10);
        if (errno || *end || p == 0 || p > 65535)
            return -1;
    }
    return ip_port_addr(host, (int)p, sa);
}

size_t resolver_parse_resolv_conf(struct resolver_config *c, const char *text, size_t len)
{
    size_t added = 0, i = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && text[i] != '\n')
            i++;
        char line[RESOLVER_CONF_LINE_MAX + 1];
        size_t n = i - start < RESOLVER_CONF_LINE_MAX ? i - start : RESOLVER_CONF_LINE_MAX;
        memcpy(line, text + start, n);
        line[n] = '\0';
        i++;
        char word[32], addr[64];
        if (sscanf(line, " %31s %63s", word, addr) != 2 || strcmp(word, "nameserver") != 0)
            continue;
        if (c->nservers >= RESOLVER_SERVERS_MAX)
            break;
        /* resolv.conf gives bare addresses: a port is not part of its syntax. */
        struct sockaddr_storage sa;
        if (ip_port_addr(addr, RESOLVER_DNS_PORT, &sa) < 0)
            continue;
        c->server[c->nservers++] = sa;
        added++;
    }
    return added;
}

int resolver_config_init(struct resolver_config *c, const char *server, unsigned timeout_ms,
                         char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->timeout_ms = timeout_ms;
    c->cache = 1;
    c->cache_max = RESOLVER_CACHE_MAX;
    if (server) {
        if (resolver_parse_addr(server, &c->server[0]) < 0) {
            snprintf(err, errlen, "bad resolver address '%s' (ADDR[:PORT], [V6]:PORT)", server);
            return -1;
        }
        c->nservers = 1;
        return 0;
    }
    /* Read once at startup, before any loop runs: blocking is harmless. */
    FILE *f = fopen(RESOLVER_RESOLV_CONF, "r");
    if (f) {
        char *text = au_xmalloc(RESOLVER_RESOLV_CONF_MAX);
        size_t n = fread(text, 1, RESOLVER_RESOLV_CONF_MAX, f);
        fclose(f);
        resolver_parse_resolv_conf(c, text, n);
        free(text);
    }
    if (c->nservers == 0) {
        uv_ip4_addr("127.0.0.1", RESOLVER_DNS_PORT, (struct sockaddr_in *)&c->server[0]);
        c->nservers = 1;
    }
    return 0;
}

/* ---- the cache ---- */

static size_t bucket_of(const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *key; key++) {
        h ^= (unsigned char)*key;
        h *= 1099511628211ULL;
    }
    return (size_t)(h & (RESOLVER_CACHE_BUCKETS - 1));
}

static void centry_remove(struct resolver *r, struct centry *e)
{
    struct centry **pp = &r->bucket[bucket_of(e->key)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    list_del(&e->age);
    au_dns_answer_unref(e->answer);
    free(e->key);
    free(e);
    r->ncache--;
}

static void cache_clear(struct resolver *r)
{
    while (!list_empty(&r->ages))
        centry_remove(r, container_of(r->ages.next, struct centry, age));
}

static struct au_dns_answer *cache_get(struct resolver *r, const char *key)
{
    if (r->bucket == NULL)
        return NULL;
    for (struct centry *e = r->bucket[bucket_of(key)]; e; e = e->hnext) {
        if (strcmp(e->key, key) != 0)
            continue;
        if (e->expires <= uv_now(r->loop)) {
            centry_remove(r, e);
            return NULL;
        }
        return au_dns_answer_ref(e->answer);
    }
    return NULL;
}

static void cache_put(struct resolver *r, const char *key, struct au_dns_answer *a)
{
    /* Failures are not cached: the next query should try again. */
    if (!r->c.cache || a->ttl == 0 || r->c.cache_max == 0 ||
        (a->status != AU_DNS_RECORDS && a->status != AU_DNS_NXDOMAIN &&
         a->status != AU_DNS_NODATA))
        return;
    if (r->bucket == NULL)
        r->bucket = au_xcalloc(RESOLVER_CACHE_BUCKETS, sizeof *r->bucket);
    for (struct centry *e = r->bucket[bucket_of(key)]; e; e = e->hnext)
        if (strcmp(e->key, key) == 0) {
            centry_remove(r, e);
            break;
        }
    while (r->ncache >= r->c.cache_max)
        centry_remove(r, container_of(r->ages.next, struct centry, age));
    struct centry *e = au_xcalloc(1, sizeof *e);
    e->key = au_xstrdup(key);
    e->answer = au_dns_answer_ref(a);
    e->expires = uv_now(r->loop) + (uint64_t)a->ttl * 1000;
    size_t b = bucket_of(key);
    e->hnext = r->bucket[b];
    r->bucket[b] = e;
    list_push(&r->ages, &e->age);
    r->ncache++;
}

/* ---- handles and their lifetimes ---- */

static void maybe_free(struct resolver *r)
{
    if (r->freeing && r->handles == 0) {
        cache_clear(r);
        free(r->bucket);
        free(r);
    }
}

static void udp_closed(uv_handle_t *h)
{
    struct udp_io *io = container_of((uv_udp_t *)h, struct udp_io, h);
    struct resolver *r = io->r;
    free(io);
    r->handles--;
    maybe_free(r);
}

static void tcp_closed(uv_handle_t *h)
{
    struct tcp_io *io = container_of((uv_tcp_t *)h, struct tcp_io, h);
    struct resolver *r = io->r;
    au_buf_free(&io->in);
    free(io);
    r->handles--;
    maybe_free(r);
}

static void rquery_closed(uv_handle_t *h)
{
    struct rquery *rq = container_of((uv_timer_t *)h, struct rquery, timer);
    struct resolver *r = rq->r;
    free(rq);
    r->handles--;
    maybe_free(r);
}

static void idle_closed(uv_handle_t *h)
{
    struct resolver *r = container_of((uv_idle_t *)h, struct resolver, idle);
    r->handles--;
    maybe_free(r);
}

/* Closes the exchange's sockets; their late events are ignored. */
static void stop_io(struct rquery *rq)
{
    if (rq->udp) {
        uv_udp_recv_stop(&rq->udp->h);
        rq->udp->rq = NULL;
        uv_close((uv_handle_t *)&rq->udp->h, udp_closed);
        rq->udp = NULL;
    }
    if (rq->tcp) {
        rq->tcp->rq = NULL;
        uv_close((uv_handle_t *)&rq->tcp->h, tcp_closed);
        rq->tcp = NULL;
    }
    uv_timer_stop(&rq->timer);
}

/* ---- delivery ---- */

static void on_idle(uv_idle_t *h)
{
    struct resolver *r = container_of(h, struct resolver, idle);
    /* Only what is ready now: answers that become ready during these
     * callbacks (cache hits asked for by them) wait for the next turn. */
    struct link now;
    list_init(&now);
    list_splice(&now, &r->ready);
    while (!list_empty(&now)) {
        struct resolver_req *req = container_of(now.next, struct resolver_req, link);
        list_del(&req->link);
        if (!r->freeing)
            req->cb(req->arg, req->answer);
        else
            au_dns_answer_unref(req->answer);
        free(req);
    }
    if (list_empty(&r->ready) && !r->freeing)
        uv_idle_stop(&r->idle);
}

static void make_ready(struct resolver *r, struct resolver_req *req, struct au_dns_answer *a)
{
    req->rq = NULL;
    req->answer = a;
    list_push(&r->ready, &req->link);
    uv_idle_start(&r->idle, on_idle);
}

/* Ends an exchange with answer a (taken): every waiter becomes ready. */
static void complete(struct rquery *rq, struct au_dns_answer *a)
{
    struct resolver *r = rq->r;
    stop_io(rq);
    list_del(&rq->link);
    cache_put(r, rq->key, a);
    while (!list_empty(&rq->waiters)) {
        struct resolver_req *req = container_of(rq->waiters.next, struct resolver_req, link);
        list_del(&req->link);
        make_ready(r, req, au_dns_answer_ref(a));
    }
    au_dns_answer_unref(a);
    au_dns_answer_unref(rq->last);
    rq->last = NULL;
    uv_close((uv_handle_t *)&rq->timer, rquery_closed);
}

/* ---- attempts ---- */

static void start_attempt(struct rquery *rq);
static void on_timeout(uv_timer_t *t);

/* Keeps a (taken) as the failure to report if every attempt fails. */
static void set_last(struct rquery *rq, struct au_dns_answer *a)
{
    au_dns_answer_unref(rq->last);
    rq->last = a;
}

static void attempt_failed(struct rquery *rq, const char *detail)
{
    set_last(rq, au_dns_answer_status(AU_DNS_TEMPFAIL, 0, detail));
    start_attempt(rq);
}

/* An answer that matched our query arrived (over UDP or TCP). */
static void got_answer(struct rquery *rq, struct au_dns_answer *a)
{
    /* Another server may do better than this one's failure. */
    if (au_dns_failed(a) && rq->r->c.nservers > 1 && rq->attempt < rq->max_attempts) {
        set_last(rq, a);
        start_attempt(rq);
        return;
    }
    complete(rq, a);
}

static int same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return 0;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return 0;
}

static void tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct tcp_io *io = container_of((uv_tcp_t *)h, struct tcp_io, h);
    size_t avail = 0;
    char *p = au_buf_space(&io->in, 4096, &avail);
    if (p == NULL)   /* the length cap: libuv reports UV_ENOBUFS */
        p = au_buf_space(&io->in, AU_DNS_WIRE_MAX + 2 - io->in.len, &avail);
    *buf = uv_buf_init(p, p ? (unsigned)avail : 0);
}

static void tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct tcp_io *io = container_of((uv_tcp_t *)s, struct tcp_io, h);
    struct rquery *rq = io->rq;
    if (rq == NULL)
        return;
    if (nread < 0) {
        attempt_failed(rq, nread == UV_EOF ? "TCP connection closed" : "TCP read error");
        return;
    }
    au_buf_commit(&io->in, (size_t)nread);
    if (io->in.len < 2)
        return;
    const uint8_t *d = (const uint8_t *)io->in.data;
    size_t mlen = (size_t)d[0] << 8 | d[1];
    if (io->in.len < 2 + mlen)
        return;
    if (!au_dns_wire_answers(rq->wire, rq->wirelen, d + 2, mlen)) {
        rq->r->st.ignored++;
        attempt_failed(rq, "TCP answer does not match the query");
        return;
    }
    got_answer(rq, au_dns_answer_from_wire(d + 2, mlen, &rq->q));
}

static void tcp_written(uv_write_t *w, int status)
{
    struct tcp_io *io = container_of(w, struct tcp_io, write);
    if (io->rq && status < 0)
        attempt_failed(io->rq, "TCP write error");
}

static void tcp_connected(uv_connect_t *c, int status)
{
    struct tcp_io *io = container_of(c, struct tcp_io, connect);
    if (io->rq == NULL)
        return;
    if (status < 0) {
        attempt_failed(io->rq, "TCP connect failed");
        return;
    }
    uv_buf_t b = uv_buf_init((char *)io->out, (unsigned)io->outlen);
    int rc = uv_write(&io->write, (uv_stream_t *)&io->h, &b, 1, tcp_written);
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&io->h, tcp_alloc, tcp_read);
    if (rc < 0)
        attempt_failed(io->rq, "TCP write error");
}

/* The answer was truncated: the same attempt asks again over TCP. */
static void start_tcp(struct rquery *rq)
{
    struct resolver *r = rq->r;
    stop_io(rq);
    struct tcp_io *io = au_xcalloc(1, sizeof *io);
    io->r = r;
    io->rq = rq;
    au_buf_init(&io->in, AU_DNS_WIRE_MAX + 2);
    io->out[0] = (uint8_t)(rq->wirelen >> 8);
    io->out[1] = (uint8_t)rq->wirelen;
    memcpy(io->out + 2, rq->wire, rq->wirelen);
    io->outlen = rq->wirelen + 2;
    uv_tcp_init(r->loop, &io->h);
    r->handles++;
    rq->tcp = io;
    r->st.sent_tcp++;
    uv_timer_start(&rq->timer, on_timeout, rq->attempt_ms, 0);
    if (uv_tcp_connect(&io->connect, &io->h, rq->server, tcp_connected) < 0)
        attempt_failed(rq, "TCP connect failed");
}

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct udp_io *io = container_of((uv_udp_t *)h, struct udp_io, h);
    *buf = uv_buf_init(io->r->rbuf, sizeof io->r->rbuf);
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                     const struct sockaddr *addr, unsigned flags)
{
    struct udp_io *io = container_of(h, struct udp_io, h);
    struct rquery *rq = io->rq;
    if (rq == NULL)
        return;
    if (nread < 0) {
        attempt_failed(rq, nread == UV_ECONNREFUSED ? "connection refused" : "network error");
        return;
    }
    if (nread == 0 || addr == NULL)
        return;
    const uint8_t *d = (const uint8_t *)buf->base;
    if ((flags & UV_UDP_PARTIAL) || !same_addr(addr, rq->server) ||
        !au_dns_wire_answers(rq->wire, rq->wirelen, d, (size_t)nread)) {
        rq->r->st.ignored++;
        return;
    }
    if (au_dns_wire_truncated(d, (size_t)nread)) {
        start_tcp(rq);
        return;
    }
    got_answer(rq, au_dns_answer_from_wire(d, (size_t)nread, &rq->q));
}

static void on_timeout(uv_timer_t *t)
{
    attempt_failed(container_of(t, struct rquery, timer), "timeout");
}

static uint16_t random_id(void)
{
    uint8_t b[2];
    if (RAND_bytes(b, sizeof b) != 1 && getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        abort();   /* no randomness at all: ids would be guessable */
    return (uint16_t)(b[0] << 8 | b[1]);
}

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, &in6addr_loopback,
                      sizeof in6addr_loopback) == 0;
    return 0;
}

static void start_attempt(struct rquery *rq)
{
    struct resolver *r = rq->r;
    for (;;) {
        stop_io(rq);
        if (rq->attempt >= rq->max_attempts) {
            struct au_dns_answer *a = rq->last;
            rq->last = NULL;
            complete(rq, a ? a : au_dns_answer_status(AU_DNS_TEMPFAIL, 0, "timeout"));
            return;
        }
        rq->server = (const struct sockaddr *)&r->c.server[rq->attempt % r->c.nservers];
        rq->attempt++;
        uint16_t id = random_id();
        rq->wire[0] = (uint8_t)(id >> 8);
        rq->wire[1] = (uint8_t)id;

        struct udp_io *io = au_xcalloc(1, sizeof *io);
        io->r = r;
        io->rq = rq;
        uv_udp_init(r->loop, &io->h);
        r->handles++;
        rq->udp = io;
        /* Port 0: a fresh kernel-chosen (random) port per attempt.  A
         * loopback server gets a socket on loopback only. */
        struct sockaddr_storage local;
        int v6 = rq->server->sa_family == AF_INET6;
        int lo = is_loopback(rq->server);
        if (v6)
            uv_ip6_addr(lo ? "::1" : "::", 0, (struct sockaddr_in6 *)&local);
        else
            uv_ip4_addr(lo ? "127.0.0.1" : "0.0.0.0", 0, (struct sockaddr_in *)&local);
        uv_buf_t b = uv_buf_init((char *)rq->wire, (unsigned)rq->wirelen);
        /* Connected: the kernel drops datagrams from other addresses, and
         * an ICMP "port unreachable" comes back as an error at once. */
        int rc = uv_udp_bind(&io->h, (const struct sockaddr *)&local, 0);
        if (rc == 0)
            rc = uv_udp_connect(&io->h, rq->server);
        if (rc == 0)
            rc = uv_udp_recv_start(&io->h, udp_alloc, udp_recv);
        if (rc == 0) {
            rc = uv_udp_try_send(&io->h, &b, 1, NULL);
            if (rc > 0)
                rc = 0;
        }
        if (rc == 0) {
            r->st.sent_udp++;
            uv_timer_start(&rq->timer, on_timeout, rq->attempt_ms, 0);
            return;
        }
        set_last(rq, au_dns_answer_status(AU_DNS_TEMPFAIL, 0, "network error"));
    }
}

/* ---- the public face ---- */

struct resolver *resolver_new(uv_loop_t *loop, const struct resolver_config *c)
{
    struct resolver *r = au_xcalloc(1, sizeof *r);
    r->loop = loop;
    r->c = *c;
    if (r->c.cache_max > RESOLVER_CACHE_MAX)
        r->c.cache_max = RESOLVER_CACHE_MAX;
    if (r->c.nservers == 0)
        abort();   /* resolver_config_init always gives one */
    list_init(&r->inflight);
    list_init(&r->ready);
    list_init(&r->ages);
    uv_idle_init(loop, &r->idle);
    r->handles++;
    return r;
}

void resolver_free(struct resolver *r)
{
    if (r == NULL)
        return;
    r->freeing = 1;
    while (!list_empty(&r->inflight)) {
        struct rquery *rq = container_of(r->inflight.next, struct rquery, link);
        while (!list_empty(&rq->waiters)) {
            struct resolver_req *req = container_of(rq->waiters.next, struct resolver_req, link);
            list_del(&req->link);
            free(req);
        }
        stop_io(rq);
        list_del(&rq->link);
        au_dns_answer_unref(rq->last);
        rq->last = NULL;
        uv_close((uv_handle_t *)&rq->timer, rquery_closed);
    }
    while (!list_empty(&r->ready)) {
        struct resolver_req *req = container_of(r->ready.next, struct resolver_req, link);
        list_del(&req->link);
        au_dns_answer_unref(req->answer);
        free(req);
    }
    cache_clear(r);
    uv_close((uv_handle_t *)&r->idle, idle_closed);
}

static void make_key(const struct au_dns_query *q, char key[RESOLVER_KEY_MAX])
{
    int n = snprintf(key, RESOLVER_KEY_MAX, "%u/", q->type);
    size_t len = strnlen(q->name, AU_DNS_NAME_MAX + 1);
    if (len > 0 && q->name[len - 1] == '.')
        len--;
    for (size_t i = 0; i < len && (size_t)n + i + 1 < RESOLVER_KEY_MAX; i++)
        key[n + (int)i] = (char)tolower((unsigned char)q->name[i]);
    key[(size_t)n + len] = '\0';
}

struct resolver_req *resolver_query(struct resolver *r, const struct au_dns_query *q,
                                    resolver_cb cb, void *arg)
{
    struct resolver_req *req = au_xcalloc(1, sizeof *req);
    req->r = r;
    req->cb = cb;
    req->arg = arg;
    list_init(&req->link);
    r->st.queries++;

    char key[RESOLVER_KEY_MAX];
    make_key(q, key);
    struct au_dns_answer *hit = cache_get(r, key);
    if (hit) {
        r->st.cache_hits++;
        make_ready(r, req, hit);
        return req;
    }
    for (struct link *l = r->inflight.next; l != &r->inflight; l = l->next) {
        struct rquery *rq = container_of(l, struct rquery, link);
        if (strcmp(rq->key, key) == 0) {
            r->st.merged++;
            req->rq = rq;
            list_push(&rq->waiters, &req->link);
            return req;
        }
    }
    /* The message is built once; each attempt writes a fresh id into it. */
    uint8_t wire[AU_DNS_WIRE_QUERY_MAX];
    int n = au_dns_query_to_wire(q, 0, 1, wire, sizeof wire);
    if (n < 0) {
        make_ready(r, req, au_dns_answer_status(AU_DNS_MALFORMED, 0, "bad name"));
        return req;
    }
    struct rquery *rq = au_xcalloc(1, sizeof *rq);
    rq->r = r;
    memcpy(rq->wire, wire, (size_t)n);
    rq->wirelen = (size_t)n;
    memcpy(rq->key, key, sizeof key);
    rq->q = *q;
    list_init(&rq->waiters);
    list_push(&r->inflight, &rq->link);
    uv_timer_init(r->loop, &rq->timer);
    r->handles++;
    rq->max_attempts = (unsigned)(r->c.nservers * RESOLVER_TRIES_PER_SERVER);
    rq->attempt_ms = r->c.timeout_ms / rq->max_attempts;
    if (rq->attempt_ms < RESOLVER_ATTEMPT_MIN_MS)
        rq->attempt_ms = RESOLVER_ATTEMPT_MIN_MS;
    req->rq = rq;
    list_push(&rq->waiters, &req->link);
    start_attempt(rq);
    return req;
}

void resolver_cancel(struct resolver_req *req)
{
    /* The exchange, if any, goes on: its answer still fills the cache. */
    list_del(&req->link);
    au_dns_answer_unref(req->answer);
    free(req);
}

void resolver_set_cache(struct resolver *r, int on)
{
    r->c.cache = on;
    if (!on)
        cache_clear(r);
}

void resolver_get_stats(const struct resolver *r, struct resolver_stats *st)
{
    *st = r->st;
}
