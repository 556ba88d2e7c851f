/*
 * server - the receiver on libuv (see server.h).
 *
 * Public: server_config_defaults, server_run.
 *
 * Threads: the main thread parses nothing, binds the listening sockets (so
 * a bad --listen fails at start, and port 0 resolves to one port for all
 * workers), starts one worker per core, and waits for SIGINT/SIGTERM.  Each
 * worker owns a uv_loop, its listeners and its connections; nothing of a
 * connection is ever touched by another thread.  Shared across workers:
 * the connection counters (atomic / mutex), the Maildir (thread-safe) and
 * the log (its own writer thread).
 *
 * Ownership (libuv's law): a connection is freed in the close callback of
 * its last handle, and never while a Maildir write for it is in the
 * threadpool; callbacks never run inside the call that started the work.
 *
 * Before SMTP (--proxy-protocol): the PROXY header (smtpd/proxy.c) is read
 * into its own buffer before the banner; its source address becomes the
 * client's, and bytes after it go to the session.  A malformed header, or
 * none within the idle timeout, closes the connection without a word.
 * Then --client-ip-map replaces a NATed address by its public one.
 *
 * STARTTLS (RFC 3207): the session answers 220 and takes no more input; the
 * 220 is written in plaintext and the connection switches at once to TLS
 * (smtpd/tls.c over memory BIOs): from then on every byte read is
 * ciphertext fed to the engine, the plaintext it yields goes to the session,
 * and the session's replies are encrypted before uv_write.  Nothing read
 * before the switch can reach the session after it (the session refuses
 * STARTTLS with pipelined input).  A failed handshake, a renegotiation
 * attempt or a peer that vanishes frees the engine with the connection.
 *
 * Limits: SERVER_* in server.h, SESSION_* in session.h; each has its reply.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "assess.h"
#include "dnsq.h"
#include "evlog.h"
#include "ip.h"
#include "psl_load.h"
#include "maildir.h"
#include "proxy.h"
#include "received.h"
#include "sid.h"
#include "tls.h"
#include "xalloc.h"

#define IPTABLE_BUCKETS 4096
/* The trace fields prepended to a message: Received, Received-SPF and an
 * Authentication-Results with up to AU_AR_CLAUSES_MAX clauses fit easily;
 * 8 KiB did not with many DKIM signatures. */
#define HEADER_BLOCK_MAX 65536
/* Ciphertext read from the socket at once (one TLS record is at most 16 KiB + 256). */
#define CONN_TLS_READ 17408

struct cidr {
    struct au_ip net;
    unsigned prefix;
};

struct ipmap {
    struct cidr from;
    char to[INET6_ADDRSTRLEN];
};

struct ipcount {
    struct ipcount *next;
    char ip[INET6_ADDRSTRLEN];
    unsigned n;
};

struct server {
    struct server_config *cfg;
    struct cidr xclient[SERVER_CIDRS_MAX];
    size_t nxclient;
    struct maildir *md;       /* NULL: --maildir none */
    struct maildir *rejected; /* --keep-rejected: MAILDIR/.Rejected */
    struct au_dns_stub *stub; /* --zone/--dns-fault: answers every loop, read-only */
    const psl_ctx_t *psl;
    const struct au_policy_profile *profile;
    struct evlog *log;
    atomic_uint conns;
    pthread_mutex_t iplock;
    struct ipcount *ipt[IPTABLE_BUCKETS];
    struct worker *workers;
    unsigned nworkers;
    int *fds;                 /* nworkers * nlisten listening sockets */
    struct session_ops ops;
    bool own_stub;
    unsigned ports[SERVER_LISTEN_MAX];   /* the bound ports, port 0 resolved */
    struct tls_ctx *tls;      /* NULL: no STARTTLS */
    struct ipmap map[SERVER_IP_MAP_MAX];
    size_t nmap;
};

struct conn;

struct worker {
    struct server *srv;
    unsigned index;
    uv_loop_t loop;
    uv_thread_t thread;
    uv_tcp_t *listeners;
    size_t nlisteners;
    uv_async_t stop;
    uv_timer_t grace;
    bool stopping;
    struct conn *conns;       /* doubly linked */
    uint64_t accepted;
    struct dnsq *dnsq;
};

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    struct worker *w;
    struct session *s;
    struct conn *prev, *next;
    int handles;              /* open handles: freed when 0 and no work */
    bool closing;
    bool reading;
    bool counted_ip;
    uv_write_t wreq;
    struct au_buf wbuf;
    bool writing;
    uv_work_t work;           /* Maildir delivery in the threadpool */
    bool work_pending;
    struct au_buf hdr;        /* trace fields prepended to the message */
    int store_rc;
    char *stored;             /* the file (MAILDIR_PATH_MAX bytes, made on first use) */
    time_t received_at;
    struct maildir *store_md; /* where this message goes */
    /* The checks (auth/assess.h): iprev per connection, the rest per message. */
    struct au_iprev *iprev;
    struct dnsq_run *iprev_run;
    struct au_assess *assess;
    struct au_dkim_verify *dkim;   /* reused by each message: parsed keys are kept */
    struct dnsq_run *spf_run, *dkim_run, *dmarc_run;
    bool dmarc_started;
    bool header_limit;        /* the header block broke a limit: 552 5.3.4 */
    bool eod_started;         /* the end of data is being judged */
    char counted[INET6_ADDRSTRLEN];   /* the address counted by ip_acquire */
    /* --proxy-protocol: the header's bytes until it is complete. */
    bool proxy_wait;
    struct au_buf pbuf;
    /* STARTTLS: the engine once the 220 is written; cbuf receives ciphertext. */
    struct tls_conn *tls;
    char *cbuf;
    bool tls_up;              /* handshake completed, session told */
    bool tls_failed;          /* handshake or record failure: close after the alert */
    bool tls_shut;            /* close_notify queued */
};

static void conn_pump(struct conn *c);
static void conn_flush(struct conn *c);
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

void server_config_defaults(struct server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen[0] = "127.0.0.1:2525";
    cfg->nlisten = 1;
    cfg->maildir = "./mail";
    cfg->profile = "gmail";
    cfg->accept_domains[0] = "gmail.com";
    cfg->accept_domains[1] = "googlemail.com";
    cfg->xclient_from[0] = "127.0.0.0/8";
    cfg->xclient_from[1] = "::1/128";
    cfg->nxclient_from = 2;
    session_config_defaults(&cfg->session);
    cfg->idle_timeout_ms = SERVER_IDLE_TIMEOUT_MS_DEFAULT;
    cfg->conns_max = SERVER_CONNS_MAX_DEFAULT;
    cfg->conns_per_ip_max = SERVER_CONNS_PER_IP_MAX_DEFAULT;
    cfg->shutdown_grace_ms = SERVER_SHUTDOWN_GRACE_MS_DEFAULT;
}

/* --- addresses ------------------------------------------------------------ */

static int parse_cidr(const char *s, struct cidr *out)
{
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (au_ip_parse(s, n, &out->net) < 0)
        return -1;
    unsigned max = out->net.family == AU_IP_V4 ? 32 : 128;
    out->prefix = max;
    if (slash) {
        char *end;
        unsigned long p = strtoul(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end != '\0' || p > max)
            return -1;
        out->prefix = (unsigned)p;
    }
    return 0;
}

/* Splits "ADDR:PORT" / "[V6]:PORT" into a socket address. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *port;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (close == NULL || close[1] != ':' || (size_t)(close - spec - 1) >= sizeof host)
            return -1;
        memcpy(host, spec + 1, (size_t)(close - spec - 1));
        host[close - spec - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(spec, ':');
        if (colon == NULL || (size_t)(colon - spec) >= sizeof host)
            return -1;
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = '\0';
        port = colon + 1;
    }
    char *end;
    unsigned long p = strtoul(port, &end, 10);
    if (*port == '\0' || *end != '\0' || p > 65535)
        return -1;
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)p);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)p);
        return 0;
    }
    return -1;
}

static void format_addr(const struct sockaddr_storage *ss, char *ip, size_t iplen, unsigned *port)
{
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &v6->sin6_addr, ip, (socklen_t)iplen);
        *port = ntohs(v6->sin6_port);
        /* An IPv4 client on a dual-stack socket is an IPv4 client. */
        if (strncmp(ip, "::ffff:", 7) == 0 && strchr(ip + 7, '.'))
            memmove(ip, ip + 7, strlen(ip + 7) + 1);
    } else {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &v4->sin_addr, ip, (socklen_t)iplen);
        *port = ntohs(v4->sin_port);
    }
}

static bool xclient_allowed(const struct server *srv, const char *ip)
{
    struct au_ip a;
    if (au_ip_parse(ip, strlen(ip), &a) < 0)
        return false;
    for (size_t i = 0; i < srv->nxclient; i++)
        if (au_ip_match(&a, &srv->xclient[i].net, srv->xclient[i].prefix))
            return true;
    return false;
}

/* --- connection counting --------------------------------------------------- */

static unsigned ip_hash(const char *ip)
{
    unsigned h = 5381;
    for (; *ip; ip++)
        h = h * 33 + (unsigned char)*ip;
    return h % IPTABLE_BUCKETS;
}

/* Counts a connection from ip. Returns false (not counted) at the limit. */
static bool ip_acquire(struct server *srv, const char *ip)
{
    unsigned h = ip_hash(ip);
    bool ok = true;
    pthread_mutex_lock(&srv->iplock);
    struct ipcount *e = srv->ipt[h];
    while (e && strcmp(e->ip, ip) != 0)
        e = e->next;
    if (e == NULL) {
        e = au_xcalloc(1, sizeof *e);
        snprintf(e->ip, sizeof e->ip, "%s", ip);
        e->next = srv->ipt[h];
        srv->ipt[h] = e;
    }
    if (e->n >= srv->cfg->conns_per_ip_max)
        ok = false;
    else
        e->n++;
    pthread_mutex_unlock(&srv->iplock);
    return ok;
}

static void ip_release(struct server *srv, const char *ip)
{
    unsigned h = ip_hash(ip);
    pthread_mutex_lock(&srv->iplock);
    struct ipcount **pp = &srv->ipt[h];
    while (*pp && strcmp((*pp)->ip, ip) != 0)
        pp = &(*pp)->next;
    if (*pp && --(*pp)->n == 0) {
        struct ipcount *dead = *pp;
        *pp = dead->next;
        free(dead);
    }
    pthread_mutex_unlock(&srv->iplock);
}

/* --- the log ----------------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void log_txn(struct conn *c, const char *end, int code, const char *enhanced,
                    const char *const *lines, size_t nlines, const char *stored)
{
    struct server *srv = c->w->srv;
    const struct session_txn *t = session_txn(c->s);
    struct event_txn e = {
        .time_ms = now_ms(),
        .sid = session_id(c->s),
        .profile = srv->cfg->profile,
        .client = session_client(c->s),
        .tls_version = c->tls_up ? tls_conn_version(c->tls) : NULL,
        .tls_cipher = c->tls_up ? tls_conn_cipher(c->tls) : NULL,
        .txn = t,
        .end = end,
        .code = code,
        .enhanced = enhanced,
        .lines = lines,
        .nlines = nlines,
        .stored = stored,
        .assess = c->assess,
        .iprev = c->iprev_run ? NULL : c->iprev,
        .message_id = c->assess ? au_assess_message_id(c->assess) : NULL,
    };
    evlog_write(srv->log, event_json(&e));
}

static void log_txn_reply(struct conn *c, const char *end, enum smtp_reply_id id, const char *arg,
                          const char *stored)
{
    const struct smtp_reply_def *d = smtp_reply_def(id);
    struct smtp_reply_text rt;
    smtp_reply_render(id, arg, &rt);
    log_txn(c, end, d->code, d->enhanced, rt.lines, rt.n, stored);
}

static const char *end_name(enum session_txn_end how)
{
    switch (how) {
    case SESSION_END_RSET:
        return "rset";
    case SESSION_END_QUIT:
        return "quit";
    case SESSION_END_EHLO:
        return "ehlo";
    case SESSION_END_TIMEOUT:
        return "timeout";
    case SESSION_END_SIZE:
        return "size";
    default:
        return "disconnect";
    }
}

/* --- the checks ------------------------------------------------------------------ */

static bool try_decide(struct conn *c);

static void checks_done(struct conn *c)
{
    if (try_decide(c))
        conn_pump(c);
}

static void iprev_done(void *arg)
{
    struct conn *c = arg;
    c->iprev_run = NULL;
    checks_done(c);
}

static void spf_done(void *arg)
{
    struct conn *c = arg;
    c->spf_run = NULL;
    checks_done(c);
}

static void dkim_done(void *arg)
{
    struct conn *c = arg;
    c->dkim_run = NULL;
    checks_done(c);
}

static void dmarc_done(void *arg)
{
    struct conn *c = arg;
    c->dmarc_run = NULL;
    checks_done(c);
}

/* iprev belongs to the connection: at connect, and again when XCLIENT or a
 * PROXY header changes who the client is. */
static void start_iprev(struct conn *c)
{
    if (c->iprev_run)
        dnsq_run_cancel(c->iprev_run);
    c->iprev_run = NULL;
    au_iprev_free(c->iprev);
    c->iprev = NULL;
    const char *t = session_client(c->s)->ip;
    struct au_ip ip;
    if (au_ip_parse(t, strlen(t), &ip) < 0)
        return;
    c->iprev = au_iprev_new(&ip);
    c->iprev_run = dnsq_run_start(c->w->dnsq, au_iprev_step, c->iprev, iprev_done, c);
}

/* Drops the message's checks (end of a transaction, or of the connection). */
static void txn_checks_free(struct conn *c)
{
    struct dnsq_run **runs[] = {&c->spf_run, &c->dkim_run, &c->dmarc_run};
    for (size_t i = 0; i < 3; i++) {
        if (*runs[i])
            dnsq_run_cancel(*runs[i]);
        *runs[i] = NULL;
    }
    au_assess_free(c->assess);
    c->assess = NULL;
    c->dmarc_started = false;
    c->header_limit = false;
    c->eod_started = false;
}

static void on_mail(void *arg, struct session *s)
{
    struct conn *c = arg;
    struct server *srv = c->w->srv;
    txn_checks_free(c);
    const struct session_client *cl = session_client(s);
    struct au_assess_params p = {
        .helo = cl->helo,
        .mail_from = session_txn(s)->from.addr,
        .now = (int64_t)time(NULL),
        .receiver = srv->cfg->session.hostname,
        .psl = srv->psl,
        .profile = srv->profile,
        .tls = c->tls_up && !c->tls_failed,
    };
    if (au_ip_parse(cl->ip, strlen(cl->ip), &p.ip) < 0)
        return;   /* no address (cannot happen with a socket): no checks */
    if (c->dkim == NULL) {
        struct au_dkim_config dc;
        au_dkim_config_default(&dc);
        c->dkim = au_dkim_verify_new(&dc, p.now);
    }
    p.dkim_verifier = c->dkim;
    c->assess = au_assess_new(&p);
    c->spf_run = dnsq_run_start(c->w->dnsq, au_spf_step, au_assess_spf(c->assess), spf_done, c);
}

/* DKIM key and DMARC record lookups start at the end of the header block,
 * while the body still streams. */
static void start_message_checks(struct conn *c)
{
    struct au_dkim_verify *dk = au_assess_dkim(c->assess);
    if (dk && c->dkim_run == NULL && !au_dkim_verify_done(dk))
        c->dkim_run = dnsq_run_start(c->w->dnsq, au_dkim_verify_step, dk, dkim_done, c);
    struct au_dmarc *dm = au_assess_dmarc(c->assess);
    if (dm && !c->dmarc_started) {
        c->dmarc_started = true;
        c->dmarc_run = dnsq_run_start(c->w->dnsq, au_dmarc_step, dm, dmarc_done, c);
    }
}

static void on_data(void *arg, struct session *s, size_t from, size_t to)
{
    struct conn *c = arg;
    if (c->assess == NULL || c->header_limit)
        return;
    bool before = au_assess_headers_done(c->assess);
    const struct session_txn *t = session_txn(s);
    if (au_assess_data(c->assess, t->msg.data + from, to - from) < 0)
        c->header_limit = true;
    if (!before && au_assess_headers_done(c->assess))
        start_message_checks(c);
}

static void on_client_changed(void *arg, struct session *s)
{
    start_iprev(arg);
}

static void on_txn_end(void *arg, struct session *s, enum session_txn_end how)
{
    struct conn *c = arg;
    const struct session_txn *t = session_txn(s);
    if (how == SESSION_END_SIZE)
        log_txn_reply(c, "size", R_SIZE, NULL, NULL);
    else if (t->nrcpt == 0 && t->nrefused > 0)
        log_txn_reply(c, end_name(how), t->last_refusal, NULL, NULL);
    else
        log_txn(c, end_name(how), 0, NULL, NULL, 0, NULL);
    txn_checks_free(c);
}

/* --- writing ------------------------------------------------------------------- */

/* Closes the worker's own handles, so that its loop ends. */
static void worker_finish(struct worker *w)
{
    if (uv_is_closing((uv_handle_t *)&w->stop))
        return;
    uv_close((uv_handle_t *)&w->stop, NULL);
    uv_close((uv_handle_t *)&w->grace, NULL);
    dnsq_free(w->dnsq);
    w->dnsq = NULL;
}

static void conn_free(struct conn *c)
{
    struct worker *w = c->w;
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->counted_ip)
        ip_release(w->srv, c->counted);
    atomic_fetch_sub(&w->srv->conns, 1);
    txn_checks_free(c);
    au_iprev_free(c->iprev);
    au_dkim_verify_free(c->dkim);
    free(c->stored);
    session_free(c->s);
    au_buf_free(&c->wbuf);
    au_buf_free(&c->hdr);
    au_buf_free(&c->pbuf);
    tls_conn_free(c->tls);
    free(c->cbuf);
    free(c);
    if (w->stopping && w->conns == NULL)
        worker_finish(w);
}

static void on_close(uv_handle_t *h)
{
    struct conn *c = h->data;
    if (--c->handles == 0 && !c->work_pending)
        conn_free(c);
}

static void conn_close(struct conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->iprev_run)
        dnsq_run_cancel(c->iprev_run);
    c->iprev_run = NULL;
    if (!c->work_pending)
        txn_checks_free(c);
    uv_close((uv_handle_t *)&c->tcp, on_close);
    uv_close((uv_handle_t *)&c->timer, on_close);
}

static void on_write(uv_write_t *req, int status)
{
    struct conn *c = req->data;
    c->writing = false;
    au_buf_reset(&c->wbuf);
    if (c->wbuf.cap > SESSION_IDLE_KEEP)
        au_buf_free(&c->wbuf);   /* an idle session keeps little (session_trim) */
    if (status < 0) {
        session_abort(c->s);
        conn_close(c);
        return;
    }
    conn_flush(c);
}

/* True when the connection wants bytes from the socket now. */
static bool conn_can_read(struct conn *c)
{
    size_t len;
    if (c->proxy_wait)
        return true;
    if (c->tls && !c->tls_up)
        return !c->tls_failed;   /* the handshake needs the peer's bytes */
    if (c->tls_failed)
        return false;
    return session_read_space(c->s, &len) != NULL;
}

static void conn_read_start(struct conn *c)
{
    if (c->closing || c->reading || session_closing(c->s) || !conn_can_read(c))
        return;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    c->reading = true;
}

/* The handshake or a record failed: the session ends; what the engine has
 * queued (an alert) is still sent, then the socket closes. */
static void conn_tls_fail(struct conn *c)
{
    c->tls_failed = true;
    session_abort(c->s);
}

/* The 220 to STARTTLS has been handed to uv_write: every byte from now on,
 * both ways, is TLS. */
static void conn_starttls(struct conn *c)
{
    c->tls = tls_conn_new(c->w->srv->tls);
    c->cbuf = au_xmalloc(CONN_TLS_READ);
    conn_read_start(c);
}

/* Starts writing c->wbuf. */
static void conn_write(struct conn *c)
{
    uv_buf_t b = uv_buf_init(c->wbuf.data, (unsigned)c->wbuf.len);
    c->wreq.data = c;
    c->writing = true;
    int rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
    if (rc < 0) {
        c->writing = false;
        session_abort(c->s);
        conn_close(c);
    }
}

/* TLS: encrypts what the session has said and writes what the engine has
 * queued; closes once a closing session (or a failed engine) is drained. */
static void conn_flush_tls(struct conn *c)
{
    struct au_buf *out = session_output(c->s);
    if (out->len > 0) {
        /* Before the handshake is done nothing can be said to the peer (an
         * idle timeout, a shutdown): the reply is dropped and we close. */
        if (c->tls_failed || !c->tls_up || tls_conn_write(c->tls, out->data, out->len) != TLS_OK) {
            if (!c->tls_failed)
                conn_tls_fail(c);
        }
        au_buf_reset(out);
    }
    if (session_closing(c->s) && c->tls_up && !c->tls_failed && !c->tls_shut) {
        c->tls_shut = true;
        tls_conn_shutdown(c->tls);
    }
    const unsigned char *p;
    size_t n;
    tls_conn_pending_out(c->tls, &p, &n);
    if (n == 0) {
        if (session_closing(c->s) || c->tls_failed)
            conn_close(c);
        return;
    }
    /* Copied: the engine's pointer lives only until its next call. */
    au_buf_reset(&c->wbuf);
    au_buf_append(&c->wbuf, p, n);
    tls_conn_consume_out(c->tls, n);
    conn_write(c);
}

/* Writes what the session has said; closes once a closing session is heard. */
static void conn_flush(struct conn *c)
{
    if (c->closing || c->writing)
        return;
    if (c->tls) {
        conn_flush_tls(c);
        return;
    }
    struct au_buf *out = session_output(c->s);
    if (out->len == 0) {
        if (session_closing(c->s))
            conn_close(c);
        else if (session_tls_pending(c->s))
            conn_starttls(c);
        return;
    }
    struct au_buf tmp = c->wbuf;
    c->wbuf = *out;
    *out = tmp;
    au_buf_reset(out);
    conn_write(c);
    /* The 220 is queued in plaintext ahead of anything TLS will write. */
    if (!c->closing && session_tls_pending(c->s))
        conn_starttls(c);
}

/* --- delivery -------------------------------------------------------------------- */

static void store_work(uv_work_t *req)
{
    struct conn *c = req->data;
    const struct session_txn *t = session_txn(c->s);
    struct iovec iov[2] = {
        {c->hdr.data, c->hdr.len},
        {t->msg.data ? t->msg.data : "", t->msg.len},
    };
    c->store_rc = maildir_deliver(c->store_md, iov, 2, c->stored, MAILDIR_PATH_MAX);
}

/* How the message came, for the log's "end". */
static const char *content_end_word(const struct conn *c)
{
    return session_txn(c->s)->bdat ? "bdat" : "data";
}

/* Answers the end of data with a protocol reply (no verdict), logs it, and
 * forgets the message. */
static void eod_protocol_reply(struct conn *c, enum smtp_reply_id id)
{
    log_txn_reply(c, content_end_word(c), id, NULL, NULL);
    session_eod_done_id(c->s, id, NULL);
    txn_checks_free(c);
}

/* Gives the verdict (stored or not), logs it, and forgets the message. */
static void finish_eod(struct conn *c)
{
    const struct au_policy_verdict *v = au_assess_verdict(c->assess);
    const struct au_reply *r = &v->reply;
    const char *enhanced = r->enhanced[0] ? r->enhanced : NULL;
    const char *const *lines = (const char *const *)r->lines;
    bool stored = c->store_md != NULL && c->store_rc == 0;
    if (c->store_md != NULL && c->store_rc < 0) {
        fprintf(stderr, "authsink: cannot store a message in %s: %s\n",
                maildir_path(c->store_md), strerror(-c->store_rc));
        if (v->accept) {
            /* Nothing acknowledged is lost: no 250 without the file. */
            eod_protocol_reply(c, R_STORE_FAILED);
            return;
        }
    }
    /* Queued for the log before the reply is written; the log's thread writes it
     * moments later (a reader waits for it, or for the server to stop). */
    log_txn(c, content_end_word(c), r->code, enhanced, lines, r->n, stored ? c->stored : NULL);
    /* RFC 5321 4.2.2: 421 closes the channel. */
    session_eod_done(c->s, r->code, enhanced, lines, r->n, r->code == 421);
    txn_checks_free(c);
}

static void store_done(uv_work_t *req, int status)
{
    struct conn *c = req->data;
    c->work_pending = false;
    if (status == UV_ECANCELED)
        c->store_rc = -ECANCELED;
    if (c->closing) {
        /* The peer left while we were writing: the message is stored (or
         * not), but nobody is there to hear it. */
        if (c->handles == 0)
            conn_free(c);
        return;
    }
    finish_eod(c);
    uv_timer_again(&c->timer);
    conn_pump(c);
}

/* The trace fields on top of a stored message (REFERENCE.md 5.5 order). */
static void trace_fields(struct conn *c)
{
    struct server *srv = c->w->srv;
    const struct session_client *cl = session_client(c->s);
    const struct session_txn *t = session_txn(c->s);
    au_buf_reset(&c->hdr);
    au_buf_printf(&c->hdr, "Return-Path: <%s>\r\n", t->from.addr);
    const char *rdns = cl->name;
    if (rdns[0] == '\0' && c->iprev && au_iprev_outcome(c->iprev)->confirmed)
        rdns = au_iprev_outcome(c->iprev)->confirmed;
    struct received_info ri = {
        .helo = cl->helo,
        .rdns = rdns,
        .ip = cl->ip,
        .by = srv->cfg->session.hostname,
        .sid = session_id(c->s),
        .rcpt = t->nrcpt == 1 ? t->rcpt[0] : NULL,
        /* RFC 3848 2 */
        .protocol = c->tls_up ? (cl->esmtp ? "ESMTPS" : "SMTPS") : (cl->esmtp ? "ESMTP" : "SMTP"),
    };
    if (c->tls_up) {
        ri.tls_version = tls_conn_version_gmail(c->tls);
        ri.tls_cipher = tls_conn_cipher(c->tls);
        ri.tls_bits = tls_conn_bits(c->tls, NULL);
    }
    received_header(&c->hdr, &ri, c->received_at);
    au_assess_trace_headers(c->assess, srv->cfg->session.hostname, &c->hdr);
}

/* Once every check is in: the verdict, then storing (accepted mail, or
 * refused mail with --keep-rejected). Returns true when the session got its
 * reply now (the caller goes on with its input), false while waiting. */
static bool try_decide(struct conn *c)
{
    if (!c->eod_started || c->work_pending || c->closing)
        return false;
    if (c->iprev_run || c->spf_run || c->dkim_run || c->dmarc_run)
        return false;
    struct au_dkim_verify *dk = au_assess_dkim(c->assess);
    if (dk && !au_dkim_verify_done(dk)) {
        /* Its run ended before the end of the body: one more step (auth/dkim.h). */
        c->dkim_run = dnsq_run_start(c->w->dnsq, au_dkim_verify_step, dk, dkim_done, c);
        return false;
    }
    struct server *srv = c->w->srv;
    au_assess_decide(c->assess, c->iprev);
    const struct au_policy_verdict *v = au_assess_verdict(c->assess);
    c->received_at = time(NULL);
    c->store_md = v->accept ? srv->md : srv->rejected;
    if (c->store_md == NULL) {
        finish_eod(c);
        return true;
    }
    trace_fields(c);
    if (c->stored == NULL)
        c->stored = au_xmalloc(MAILDIR_PATH_MAX);   /* kept for the next messages */
    c->work.data = c;
    c->work_pending = true;
    int rc = uv_queue_work(&c->w->loop, &c->work, store_work, store_done);
    if (rc < 0) {
        c->work_pending = false;
        c->store_rc = rc;
        finish_eod(c);
        return true;
    }
    return false;
}

/* End of data: the message is complete; wait for its checks. Returns true
 * when the session got its reply at once. */
static bool start_eod(struct conn *c)
{
    c->eod_started = true;
    uv_timer_stop(&c->timer);
    if (c->assess == NULL || c->header_limit) {
        eod_protocol_reply(c, R_SIZE);   /* the caller restarts the idle timer */
        return true;
    }
    au_assess_end(c->assess);
    start_message_checks(c);
    return try_decide(c);
}


/* --- reading --------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct conn *c = h->data;
    size_t len = 0;
    char *p;
    if (c->proxy_wait)
        p = au_buf_space(&c->pbuf, PROXY_MAX_HEADER - c->pbuf.len, &len);
    else if (c->tls) {
        p = conn_can_read(c) ? c->cbuf : NULL;
        len = CONN_TLS_READ;
    } else
        p = session_read_space(c->s, &len);
    *buf = uv_buf_init(p, p ? (unsigned)len : 0);
}

/* Moves the plaintext the TLS engine holds into the session's input, as far
 * as it has room. Returns the bytes moved. */
static size_t tls_pull(struct conn *c)
{
    size_t got = 0;
    if (c->tls == NULL || !c->tls_up || c->tls_failed)
        return 0;
    for (;;) {
        size_t len;
        char *p = session_read_space(c->s, &len);
        if (p == NULL)
            break;
        int r = tls_conn_read(c->tls, p, len > INT_MAX ? INT_MAX : len);
        if (r > 0) {
            session_read_commit(c->s, (size_t)r);
            got += (size_t)r;
            continue;
        }
        if (r != TLS_WANT)
            conn_tls_fail(c);   /* an alert, close_notify, or a renegotiation attempt */
        break;
    }
    return got;
}

static void admit(struct conn *c, struct session_client *cl);

/* --proxy-protocol: the header is complete (n bytes of c->pbuf). */
static void proxy_done(struct conn *c, const struct proxy_result *r, size_t n)
{
    c->proxy_wait = false;
    struct session_client cl = *session_client(c->s);
    /* LOCAL (the proxy's own health check) and UNKNOWN keep the socket's address. */
    if (r->command == PROXY_CMD_PROXY && r->has_addr) {
        format_addr(&r->src, cl.ip, sizeof cl.ip, &cl.port);
        cl.source = SESSION_SRC_PROXY;
    }
    /* Whatever came after the header is the client's first SMTP bytes. */
    size_t rest = c->pbuf.len - n, len = 0;
    char *p = rest ? session_read_space(c->s, &len) : NULL;
    if (p && len >= rest) {
        memcpy(p, c->pbuf.data + n, rest);
        session_read_commit(c->s, rest);
    }
    au_buf_free(&c->pbuf);
    admit(c, &cl);
}

static void on_read_proxy(struct conn *c, size_t nread)
{
    au_buf_commit(&c->pbuf, nread);
    struct proxy_result r;
    int n = proxy_parse((const uint8_t *)c->pbuf.data, c->pbuf.len, &r);
    if (n == PROXY_NEED_MORE)
        return;
    if (n < 0) {
        /* Not a proxy we know, or not a proxy: no banner, no reply. */
        session_abort(c->s);
        conn_close(c);
        return;
    }
    proxy_done(c, &r, (size_t)n);
}

static void on_read_tls(struct conn *c, const char *data, size_t nread)
{
    int r = tls_conn_feed(c->tls, data, nread);
    if (!c->tls_up && r == TLS_OK && tls_conn_handshake_done(c->tls)) {
        c->tls_up = true;
        session_tls_started(c->s);
    }
    if (r != TLS_OK)
        conn_tls_fail(c);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = st->data;
    if (nread == UV_ENOBUFS) {
        /* Input full while a verdict is awaited: stop until it is consumed. */
        uv_read_stop(st);
        c->reading = false;
        return;
    }
    if (nread < 0) {
        session_abort(c->s);
        conn_close(c);
        return;
    }
    if (nread == 0)
        return;
    if (!c->eod_started)
        uv_timer_again(&c->timer);
    if (c->proxy_wait) {
        on_read_proxy(c, (size_t)nread);
        return;
    }
    if (c->tls)
        on_read_tls(c, buf->base, (size_t)nread);
    else
        session_read_commit(c->s, (size_t)nread);
    conn_pump(c);
}

/* Runs the session over its input until it needs something, then writes. */
static void conn_pump(struct conn *c)
{
    if (c->closing)
        return;
    for (;;) {
        size_t got = tls_pull(c);
        session_process(c->s);
        if (session_waiting(c->s) && !c->eod_started) {
            if (start_eod(c)) {
                uv_timer_again(&c->timer);
                continue;   /* answered at once: go on with the input */
            }
        }
        /* The engine may hold more plaintext than the session had room for. */
        if (got > 0 && !session_closing(c->s) && !session_waiting(c->s))
            continue;
        break;
    }
    conn_flush(c);
    session_trim(c->s);
    conn_read_start(c);
}

static void on_timeout(uv_timer_t *t)
{
    struct conn *c = t->data;
    if (c->work_pending || c->eod_started)
        return;   /* judging the message: our time, not the client's */
    if (c->proxy_wait) {
        conn_close(c);   /* no PROXY header in time: nothing to say */
        return;
    }
    session_refuse(c->s, R_TIMEOUT, SESSION_END_TIMEOUT);
    conn_flush(c);
}

/* --- accepting ------------------------------------------------------------------- */

static void on_connection(uv_stream_t *listener, int status)
{
    struct worker *w = listener->data;
    struct server *srv = w->srv;
    if (status < 0 || w->stopping)
        return;
    struct conn *c = au_xcalloc(1, sizeof *c);
    c->w = w;
    uv_tcp_init(&w->loop, &c->tcp);
    uv_timer_init(&w->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->handles = 2;
    au_buf_init(&c->wbuf, AU_BUF_NOLIMIT);
    au_buf_init(&c->hdr, HEADER_BLOCK_MAX);
    atomic_fetch_add(&srv->conns, 1);
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;

    struct session_client cl;
    memset(&cl, 0, sizeof cl);
    cl.source = SESSION_SRC_SOCKET;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) == 0) {
        struct sockaddr_storage ss;
        int len = sizeof ss;
        if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
            format_addr(&ss, cl.ip, sizeof cl.ip, &cl.port);
    }
    char sid[SESSION_ID_MAX];
    sid_make(sid, sizeof sid, ++w->accepted);
    c->s = session_new(&srv->cfg->session, &srv->ops, c, sid, &cl);
    uv_tcp_nodelay(&c->tcp, 1);

    if (atomic_load(&srv->conns) > srv->cfg->conns_max) {
        session_refuse(c->s, R_BUSY, SESSION_END_DISCONNECT);
        conn_flush(c);
        return;
    }
    uv_timer_start(&c->timer, on_timeout, srv->cfg->idle_timeout_ms, srv->cfg->idle_timeout_ms);
    if (srv->cfg->proxy_protocol) {
        /* Who the client is comes first, before any banner. */
        c->proxy_wait = true;
        au_buf_init(&c->pbuf, PROXY_MAX_HEADER);
        conn_read_start(c);
        return;
    }
    admit(c, &cl);
}

/* The client is known (socket or PROXY header): the NAT map, the per-address
 * limit, iprev, the banner. */
static void admit(struct conn *c, struct session_client *cl)
{
    struct server *srv = c->w->srv;
    /* XCLIENT is granted to the peer as it is, before any mapping. */
    cl->xclient_ok = xclient_allowed(srv, cl->ip);
    struct au_ip a;
    if (au_ip_parse(cl->ip, strlen(cl->ip), &a) == 0)
        for (size_t i = 0; i < srv->nmap; i++)
            if (au_ip_match(&a, &srv->map[i].from.net, srv->map[i].from.prefix)) {
                snprintf(cl->ip, sizeof cl->ip, "%s", srv->map[i].to);
                cl->source = SESSION_SRC_MAP;
                break;
            }
    session_set_client(c->s, cl);
    if (!ip_acquire(srv, cl->ip)) {
        session_refuse(c->s, R_TRY_LATER, SESSION_END_DISCONNECT);
        conn_flush(c);
        return;
    }
    snprintf(c->counted, sizeof c->counted, "%s", cl->ip);
    c->counted_ip = true;
    start_iprev(c);
    session_start(c->s);
    conn_pump(c);
}

/* --- workers and shutdown -------------------------------------------------------- */

static void on_grace(uv_timer_t *t)
{
    struct worker *w = t->data;
    for (struct conn *c = w->conns; c; c = c->next) {
        if (c->proxy_wait) {
            conn_close(c);
            continue;
        }
        session_refuse(c->s, R_SHUTDOWN, SESSION_END_DISCONNECT);
        conn_flush(c);
        conn_close(c);
    }
}

static void on_stop(uv_async_t *a)
{
    struct worker *w = a->data;
    if (w->stopping)
        return;
    w->stopping = true;
    for (size_t i = 0; i < w->nlisteners; i++)
        uv_close((uv_handle_t *)&w->listeners[i], NULL);
    if (w->conns == NULL) {
        worker_finish(w);
        return;
    }
    uv_timer_start(&w->grace, on_grace, w->srv->cfg->shutdown_grace_ms, 0);
    for (struct conn *c = w->conns, *next; c; c = next) {
        next = c->next;
        if (c->proxy_wait) {
            conn_close(c);   /* not a client yet: nothing to finish */
            continue;
        }
        session_drain(c->s);
        conn_flush(c);
    }
}

static void worker_main(void *arg)
{
    struct worker *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
    uv_loop_close(&w->loop);
}

static int worker_init(struct worker *w, struct server *srv, unsigned index)
{
    w->srv = srv;
    w->index = index;
    uv_loop_init(&w->loop);
    uv_async_init(&w->loop, &w->stop, on_stop);
    w->stop.data = w;
    uv_timer_init(&w->loop, &w->grace);
    w->grace.data = w;
    w->dnsq = dnsq_new(&w->loop, srv->stub, &srv->cfg->dns);
    if (w->dnsq == NULL)
        return -1;
    w->nlisteners = srv->cfg->nlisten;
    w->listeners = au_xcalloc(w->nlisteners, sizeof *w->listeners);
    for (size_t i = 0; i < w->nlisteners; i++) {
        uv_tcp_t *l = &w->listeners[i];
        uv_tcp_init(&w->loop, l);
        l->data = w;
        int rc = uv_tcp_open(l, srv->fds[index * w->nlisteners + i]);
        if (rc == 0)
            rc = uv_listen((uv_stream_t *)l, SERVER_BACKLOG, on_connection);
        if (rc < 0) {
            fprintf(stderr, "authsink: cannot listen on %s: %s\n", srv->cfg->listen[i],
                    uv_strerror(rc));
            return -1;
        }
    }
    return 0;
}

/* Binds one socket per worker and address, all on the same port. */
static int bind_all(struct server *srv)
{
    struct server_config *cfg = srv->cfg;
    srv->fds = au_xcalloc(srv->nworkers * cfg->nlisten, sizeof *srv->fds);
    for (size_t i = 0; i < srv->nworkers * cfg->nlisten; i++)
        srv->fds[i] = -1;
    for (size_t i = 0; i < cfg->nlisten; i++) {
        struct sockaddr_storage ss;
        if (parse_listen(cfg->listen[i], &ss) < 0) {
            fprintf(stderr, "authsink: --listen %s: expected ADDR:PORT or [ADDR]:PORT\n",
                    cfg->listen[i]);
            return -1;
        }
        for (unsigned w = 0; w < srv->nworkers; w++) {
            int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            int one = 1;
            if (fd < 0) {
                fprintf(stderr, "authsink: socket: %s\n", strerror(errno));
                return -1;
            }
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
            if (ss.ss_family == AF_INET6)
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
            socklen_t sl = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                    : sizeof(struct sockaddr_in);
            if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
                fprintf(stderr, "authsink: cannot listen on %s: %s\n", cfg->listen[i],
                        strerror(errno));
                close(fd);
                return -1;
            }
            /* Port 0 picks a port once; the other workers share it. */
            getsockname(fd, (struct sockaddr *)&ss, &sl);
            srv->fds[w * cfg->nlisten + i] = fd;
        }
        char ip[INET6_ADDRSTRLEN];
        unsigned port;
        format_addr(&ss, ip, sizeof ip, &port);
        srv->ports[i] = port;
        if (!cfg->quiet)
            fprintf(stderr, ss.ss_family == AF_INET6 ? "authsink: listening on [%s]:%u\n"
                                                     : "authsink: listening on %s:%u\n",
                    ip, port);
    }
    return 0;
}

/* The names tls_ctx_new_self_signed gives its files (smtpd/tls.c). */
#define SELF_SIGNED_CERT "authsink-tls-cert.pem"
#define SELF_SIGNED_KEY "authsink-tls-key.pem"
/* A self-signed pair (valid TLS_SELF_SIGNED_DAYS) is reused while younger than this. */
#define SELF_SIGNED_REUSE_DAYS 300

/* out (PATH_MAX bytes) = a "/" b; false when it does not fit. */
static bool path_join(char *out, const char *a, const char *b)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", a, b);
    return n >= 0 && n < PATH_MAX;
}

/* A self-signed pair for the host name, made once per user and host name in
 * BASE/authsink-tls-UID/HOSTNAME (BASE: $XDG_RUNTIME_DIR, $TMPDIR or /tmp)
 * and reused by later starts, so that neither many short runs (tests) nor
 * killed ones leave pairs behind. A lock file serializes concurrent starts. */
static struct tls_ctx *tls_self_signed(const char *hostname, char *err, size_t errlen)
{
    for (const char *p = hostname; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '.' || *p == ':') || (p == hostname && *p == '.')) {
            snprintf(err, errlen, "cannot make a certificate for \"%s\": not a host name",
                     hostname);
            return NULL;
        }
    const char *base = getenv("XDG_RUNTIME_DIR");
    if (base == NULL || *base == '\0')
        base = getenv("TMPDIR");
    if (base == NULL || *base == '\0')
        base = "/tmp";
    char parent[PATH_MAX], dir[PATH_MAX], lock[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
    int n = snprintf(parent, sizeof parent, "%s/authsink-tls-%u", base, (unsigned)getuid());
    if (n < 0 || (size_t)n >= sizeof parent || !path_join(dir, parent, hostname) ||
        !path_join(lock, parent, "lock") || !path_join(cert, dir, SELF_SIGNED_CERT) ||
        !path_join(key, dir, SELF_SIGNED_KEY)) {
        snprintf(err, errlen, "%s: path too long", base);
        return NULL;
    }
    struct stat st;
    if (mkdir(parent, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", parent, strerror(errno));
        return NULL;
    }
    /* In a shared /tmp the name could have been taken by someone else. */
    if (lstat(parent, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        (st.st_mode & 077) != 0) {
        snprintf(err, errlen, "%s is not a private directory of this user", parent);
        return NULL;
    }
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        snprintf(err, errlen, "cannot lock %s: %s", lock, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    struct tls_ctx *ctx = NULL;
    if (stat(cert, &st) == 0 && time(NULL) - st.st_mtime < SELF_SIGNED_REUSE_DAYS * 86400L)
        ctx = tls_ctx_new(cert, key, err, errlen);
    if (ctx == NULL)
        ctx = tls_ctx_new_self_signed(hostname, dir, TLS_KEY_RSA2048, err, errlen);
    close(fd);   /* releases the lock */
    return ctx;
}

/* The STARTTLS identity: the given pair, or the self-signed one. */
static int tls_setup(struct server *srv)
{
    struct server_config *cfg = srv->cfg;
    char err[TLS_ERR_MAX];
    if (cfg->no_tls) {
        cfg->session.starttls = false;
        return 0;
    }
    if (cfg->tls_cert || cfg->tls_key) {
        if (cfg->tls_cert == NULL || cfg->tls_key == NULL) {
            fprintf(stderr, "authsink: --tls-cert and --tls-key go together\n");
            return -1;
        }
        srv->tls = tls_ctx_new(cfg->tls_cert, cfg->tls_key, err, sizeof err);
    } else {
        srv->tls = tls_self_signed(cfg->session.hostname, err, sizeof err);
        if (srv->tls && !cfg->quiet)
            fprintf(stderr, "authsink: STARTTLS with a self-signed certificate: %s (key %s)\n",
                    tls_ctx_cert_file(srv->tls), tls_ctx_key_file(srv->tls));
    }
    if (srv->tls == NULL) {
        fprintf(stderr, "authsink: TLS: %s\n", err);
        return -1;
    }
    cfg->session.starttls = true;
    return 0;
}

/* --client-ip-map FROM=TO entries. */
static int map_setup(struct server *srv)
{
    struct server_config *cfg = srv->cfg;
    for (size_t i = 0; i < cfg->nclient_ip_map; i++) {
        const char *spec = cfg->client_ip_map[i];
        const char *eq = strchr(spec, '=');
        char from[INET6_ADDRSTRLEN + 8];
        struct au_ip to;
        struct ipmap *m = &srv->map[srv->nmap];
        if (eq == NULL || (size_t)(eq - spec) >= sizeof from ||
            strlen(eq + 1) >= sizeof m->to) {
            fprintf(stderr, "authsink: --client-ip-map %s: expected FROM=TO\n", spec);
            return -1;
        }
        memcpy(from, spec, (size_t)(eq - spec));
        from[eq - spec] = '\0';
        if (parse_cidr(from, &m->from) < 0 || au_ip_parse(eq + 1, strlen(eq + 1), &to) < 0) {
            fprintf(stderr, "authsink: --client-ip-map %s: FROM must be an address or CIDR, "
                            "TO an address\n", spec);
            return -1;
        }
        snprintf(m->to, sizeof m->to, "%s", eq + 1);
        srv->nmap++;
    }
    return 0;
}

/* Frees what server_start made, whatever it got to. */
static void server_free(struct server *srv)
{
    if (srv->workers)
        for (unsigned i = 0; i < srv->nworkers; i++)
            free(srv->workers[i].listeners);
    free(srv->workers);
    free(srv->fds);
    for (size_t i = 0; i < IPTABLE_BUCKETS; i++)
        while (srv->ipt[i]) {
            struct ipcount *next = srv->ipt[i]->next;
            free(srv->ipt[i]);
            srv->ipt[i] = next;
        }
    pthread_mutex_destroy(&srv->iplock);
    evlog_close(srv->log);
    maildir_close(srv->md);
    maildir_close(srv->rejected);
    if (srv->own_stub)
        au_dns_stub_free(srv->stub);
    tls_ctx_free(srv->tls);
    free(srv);
}

int server_config_check(struct server_config *cfg)
{
    struct server *srv = au_xcalloc(1, sizeof *srv);
    srv->cfg = cfg;
    int rc = 0;
    for (size_t i = 0; i < cfg->nxclient_from && rc == 0; i++) {
        struct cidr c;
        if (parse_cidr(cfg->xclient_from[i], &c) < 0) {
            fprintf(stderr, "authsink: --xclient-from %s: not an address or CIDR\n",
                    cfg->xclient_from[i]);
            rc = -1;
        }
    }
    for (size_t i = 0; i < cfg->nlisten && rc == 0; i++) {
        struct sockaddr_storage ss;
        if (parse_listen(cfg->listen[i], &ss) < 0) {
            fprintf(stderr, "authsink: --listen %s: expected ADDR:PORT or [ADDR]:PORT\n",
                    cfg->listen[i]);
            rc = -1;
        }
    }
    if (rc == 0 && map_setup(srv) < 0)
        rc = -1;
    free(srv);
    return rc;
}

struct server *server_start(struct server_config *cfg)
{
    struct server *srv = au_xcalloc(1, sizeof *srv);
    srv->cfg = cfg;
    pthread_mutex_init(&srv->iplock, NULL);
    atomic_init(&srv->conns, 0);
    cfg->session.accept_domains = cfg->accept_domains;
    for (size_t i = 0; i < cfg->nxclient_from; i++) {
        if (parse_cidr(cfg->xclient_from[i], &srv->xclient[srv->nxclient]) < 0) {
            fprintf(stderr, "authsink: --xclient-from %s: not an address or CIDR\n",
                    cfg->xclient_from[i]);
            goto fail;
        }
        srv->nxclient++;
    }
    if (map_setup(srv) < 0)
        goto fail;
    srv->profile = au_policy_profile_find(cfg->profile);
    if (srv->profile == NULL) {
        fprintf(stderr, "authsink: --profile: unknown profile '%s'\n", cfg->profile);
        goto fail;
    }
    srv->psl = psl_load_default();
    if (srv->psl == NULL)
        goto fail;
    if (cfg->stub) {
        srv->stub = (struct au_dns_stub *)cfg->stub;
    } else if (dns_opts_is_stub(&cfg->dns)) {
        srv->stub = dns_opts_build_stub(&cfg->dns);
        srv->own_stub = true;
        if (srv->stub == NULL)
            goto fail;
    }
    char err[512];
    if (strcmp(cfg->maildir, "none") != 0) {
        srv->md = maildir_open(cfg->maildir, err, sizeof err);
        if (srv->md == NULL) {
            fprintf(stderr, "authsink: --maildir: %s\n", err);
            goto fail;
        }
        if (cfg->keep_rejected) {
            char dir[MAILDIR_PATH_MAX];
            snprintf(dir, sizeof dir, "%s/.Rejected", cfg->maildir);
            srv->rejected = maildir_open(dir, err, sizeof err);
            if (srv->rejected == NULL) {
                fprintf(stderr, "authsink: --keep-rejected: %s\n", err);
                goto fail;
            }
        }
    }
    srv->nworkers = cfg->workers ? cfg->workers : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (srv->nworkers == 0)
        srv->nworkers = 1;
    if (bind_all(srv) < 0)
        goto fail;
    if (tls_setup(srv) < 0)
        goto fail;
    srv->log = evlog_open(cfg->log, err, sizeof err);
    if (srv->log == NULL) {
        fprintf(stderr, "authsink: --log: %s\n", err);
        goto fail;
    }
    /* No eod callback: the connection notices session_waiting() once
     * session_process has returned, so that the verdict never re-enters the
     * session from inside its own call. */
    srv->ops.txn_end = on_txn_end;
    srv->ops.mail = on_mail;
    srv->ops.data = on_data;
    srv->ops.client_changed = on_client_changed;
    signal(SIGPIPE, SIG_IGN);

    srv->workers = au_xcalloc(srv->nworkers, sizeof *srv->workers);
    for (unsigned i = 0; i < srv->nworkers; i++)
        if (worker_init(&srv->workers[i], srv, i) < 0)
            goto fail;   /* XXX: the loops of the workers made so far are not closed */
    for (unsigned i = 0; i < srv->nworkers; i++)
        uv_thread_create(&srv->workers[i].thread, worker_main, &srv->workers[i]);
    if (!cfg->quiet)
        fprintf(stderr, "authsink: serving (%u workers, profile %s, mail %s)\n",
                srv->nworkers, cfg->profile, cfg->maildir);
    return srv;
fail:
    server_free(srv);
    return NULL;
}

unsigned server_port(const struct server *srv, size_t i)
{
    return i < srv->cfg->nlisten ? srv->ports[i] : 0;
}

void server_stop(struct server *srv)
{
    for (unsigned i = 0; i < srv->nworkers; i++)
        uv_async_send(&srv->workers[i].stop);
    for (unsigned i = 0; i < srv->nworkers; i++)
        uv_thread_join(&srv->workers[i].thread);
    server_free(srv);
}

static uv_signal_t g_sigint, g_sigterm;

static void on_signal(uv_signal_t *sig, int signum)
{
    uv_close((uv_handle_t *)&g_sigint, NULL);
    uv_close((uv_handle_t *)&g_sigterm, NULL);
}

int server_run(struct server_config *cfg)
{
    /* Signals are handled by the main thread's loop; workers never see them. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    struct server *srv = server_start(cfg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (srv == NULL)
        return 1;
    uv_loop_t main_loop;
    uv_loop_init(&main_loop);
    uv_signal_init(&main_loop, &g_sigint);
    uv_signal_init(&main_loop, &g_sigterm);
    uv_signal_start(&g_sigint, on_signal, SIGINT);
    uv_signal_start(&g_sigterm, on_signal, SIGTERM);
    uv_run(&main_loop, UV_RUN_DEFAULT);
    uv_loop_close(&main_loop);
    server_stop(srv);
    fprintf(stderr, "authsink: stopped\n");
    return 0;
}
