/*
 * scenario_run - the scenario runner (see scenario_run.h).
 *
 * Public: scenario_run, scenario_result_init, scenario_result_free,
 * scenario_run_cleanup, scenario_run_reply_line.
 *
 * One run: the world (a DNS stub from the zone texts, files and faults, and
 * one TXT record per published key; keys made fresh or read from PEM), the
 * receiver (server_start on 127.0.0.1:0 with that stub, a temporary Maildir
 * and log), then each conversation on its own connection:
 *   message conversations: greeting, EHLO, XCLIENT ADDR/NAME (when client:
 *   is given) and EHLO again, STARTTLS and EHLO (client.tls), MAIL, RCPT
 *   for each recipient, DATA with the message built from the scenario
 *   (headers in order, Date and Message-ID added, body), signed with our
 *   DKIM signer in order (the last signature on top), then tampered with;
 *   raw conversations: items sent byte for byte (consecutive sends in one
 *   write) and each expect matched against the next whole reply.
 * After the last conversation the receiver is stopped (its log is then
 * complete) and result expectations are checked against the log's event
 * for each conversation's session id (the token before " - gsmtp").
 *
 * Matching rules (spec/scenarios.md): a reply matches "CODE" or "CODE
 * ENHANCED" when those are equal; text: is a substring of the reply's text,
 * which is every line's words after the codes joined with one space, runs of
 * white space counted as one space, so that a phrase may span lines; header
 * expectations are substrings of the stored field's unfolded value, white
 * space runs again counted as one space.
 *
 * RFCs: 5321 (the client side: dot-stuffing 4.5.2, replies 4.2), 3207
 * (STARTTLS; the certificate is not verified: a test receiver's is
 * self-signed), Postfix XCLIENT_README (XCLIENT), 6376 (signing through
 * auth/dkim_sign).  Limits: SCENARIO_RUN_* in scenario_run.h; a message at
 * most CLI_MESSAGE_MAX bytes.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "scenario_run.h"

#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "dkim_sign.h"
#include "dns_stub.h"
#include "ip.h"
#include "server.h"
#include "xalloc.h"

#define RUN_HELO_DEFAULT "client.invalid"
#define RUN_MSGID_DOMAIN_DEFAULT "scenario.invalid"
#define RUN_LOG_POLL_MS 50
#define RUN_SHOWN_MAX 400 /* bytes of a sent line quoted in a diagnostic */
/* The headers signed when sign.headers is absent (spec/scenarios.md). */
static const char *const default_signed[] = {"from", "to", "subject", "date", "message-id"};

static const char *const at_names[] = {"connect", "helo", "mail", "rcpt", "data"};

/* ---- diagnostics ---- */

static void diag(struct scenario_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void diag(struct scenario_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)au_buf_vprintf(&r->diag, fmt, ap);
    va_end(ap);
    if (r->diag.len == 0 || r->diag.data[r->diag.len - 1] != '\n')
        (void)au_buf_putc(&r->diag, '\n');
}

/* Appends p line by line to out, each line after prefix and without its CR
 * LF; a line longer than max bytes is cut there, its length said. */
static void put_lines(struct au_buf *out, const char *prefix, const char *p, size_t n, size_t max)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (p + i)) : n - i;
        size_t shown = len > 0 && p[i + len - 1] == '\r' ? len - 1 : len;
        if (shown > max)
            (void)au_buf_printf(out, "%s%.*s... (%zu bytes)\n", prefix, (int)max, p + i, shown);
        else
            (void)au_buf_printf(out, "%s%.*s\n", prefix, (int)shown, p + i);
        i += len + (nl ? 1 : 0);
    }
}

/* Adds text line by line, each line indented, none cut. */
static void diag_block(struct scenario_result *r, const char *indent, const char *text, size_t len)
{
    put_lines(&r->diag, indent, text, len, SIZE_MAX);
}

void scenario_result_init(struct scenario_result *r)
{
    r->passed = false;
    au_buf_init(&r->diag, SCENARIO_RUN_DIAG_MAX);
    r->seconds = 0;
}

void scenario_result_free(struct scenario_result *r)
{
    au_buf_free(&r->diag);
}

/* ---- the connection ---- */

struct conn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    struct au_buf in;
    struct au_buf transcript; /* "C: " / "S: " lines */
    bool verbose;
};

/* One reply as it came. */
struct got {
    bool ok;           /* a whole reply came */
    const char *error; /* else why not */
    int code;
    char enhanced[16];
    struct au_buf raw;   /* the lines, CRLF ends kept */
    struct au_buf words; /* the text after the codes, one space between */
};

static void got_init(struct got *g)
{
    memset(g, 0, sizeof *g);
    au_buf_init(&g->raw, SCENARIO_RUN_REPLY_MAX);
    au_buf_init(&g->words, SCENARIO_RUN_REPLY_MAX);
}

static void got_free(struct got *g)
{
    au_buf_free(&g->raw);
    au_buf_free(&g->words);
}

static void got_copy(struct got *dst, const struct got *src)
{
    dst->ok = src->ok;
    dst->error = src->error;
    dst->code = src->code;
    memcpy(dst->enhanced, src->enhanced, sizeof dst->enhanced);
    au_buf_reset(&dst->raw);
    au_buf_reset(&dst->words);
    (void)au_buf_append(&dst->raw, src->raw.data ? src->raw.data : "", src->raw.len);
    (void)au_buf_append(&dst->words, src->words.data ? src->words.data : "", src->words.len);
}

static void conn_init(struct conn *c, bool verbose)
{
    c->fd = -1;
    c->ctx = NULL;
    c->ssl = NULL;
    au_buf_init(&c->in, SCENARIO_RUN_REPLY_MAX + SCENARIO_RUN_LINE_MAX);
    au_buf_init(&c->transcript, SCENARIO_RUN_DIAG_MAX);
    c->verbose = verbose;
}

static void conn_close(struct conn *c)
{
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->ctx) {
        SSL_CTX_free(c->ctx);
        c->ctx = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    au_buf_free(&c->in);
    au_buf_free(&c->transcript);
}

static void transcript(struct conn *c, const char *who, const char *p, size_t n)
{
    if (c->verbose)
        put_lines(&c->transcript, who, p, n, RUN_SHOWN_MAX);
}

/* Connects to host:port with the I/O timeouts set. Returns 0 or -1 with why. */
static int conn_open(struct conn *c, const char *host, const char *port, char *why, size_t wl)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(why, wl, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int err = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        struct timeval tv = {SCENARIO_RUN_IO_TIMEOUT_S, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            c->fd = fd;
            freeaddrinfo(res);
            return 0;
        }
        err = errno;
        close(fd);
    }
    freeaddrinfo(res);
    snprintf(why, wl, "cannot connect to %s:%s: %s", host, port, strerror(err));
    return -1;
}

/* Writes all n bytes. Returns 0 or -1. */
static int conn_write(struct conn *c, const char *p, size_t n)
{
    transcript(c, "C: ", p, n);
    while (n > 0) {
        ssize_t w;
        if (c->ssl) {
            int k = SSL_write(c->ssl, p, n > 1 << 30 ? 1 << 30 : (int)n);
            w = k > 0 ? k : -1;
        } else {
            w = send(c->fd, p, n, MSG_NOSIGNAL);
        }
        if (w < 0 && errno == EINTR && c->ssl == NULL)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads more input. Returns bytes read, 0 at end of stream, -1 on error/timeout. */
static ssize_t conn_fill(struct conn *c)
{
    size_t avail;
    char *p = au_buf_space(&c->in, SCENARIO_RUN_LINE_MAX, &avail);
    if (p == NULL)
        return -1;
    ssize_t n;
    if (c->ssl) {
        int k = SSL_read(c->ssl, p, avail > 1 << 30 ? 1 << 30 : (int)avail);
        n = k > 0 ? k : (SSL_get_error(c->ssl, k) == SSL_ERROR_ZERO_RETURN ? 0 : -1);
    } else {
        do
            n = recv(c->fd, p, avail, 0);
        while (n < 0 && errno == EINTR);
    }
    if (n > 0)
        au_buf_commit(&c->in, (size_t)n);
    return n;
}

/* Appends a line's text to words, each run of white space one space. */
static void add_words(struct au_buf *words, const char *text, size_t n)
{
    bool space = words->len > 0;
    for (size_t i = 0; i < n; i++) {
        char ch = text[i];
        if (ch == ' ' || ch == '\t') {
            space = words->len > 0;
            continue;
        }
        if (space)
            (void)au_buf_putc(words, ' ');
        space = false;
        (void)au_buf_putc(words, ch);
    }
}

int scenario_run_reply_line(const char *p, size_t len, struct scenario_run_line *out)
{
    memset(out, 0, sizeof *out);
    size_t scan = len < SCENARIO_RUN_LINE_MAX ? len : SCENARIO_RUN_LINE_MAX;
    const char *nl = memchr(p, '\n', scan);
    if (nl == NULL)
        return len >= SCENARIO_RUN_LINE_MAX ? -1 : 0;
    size_t n = (size_t)(nl - p);
    out->used = n + 1;
    if (n > 0 && p[n - 1] == '\r')
        n--;
    out->len = n;
    /* RFC 5321 4.2: Reply-code [ SP / "-" textstring ] CRLF, code 2yz..5yz. */
    bool digits = n >= 3 && p[0] >= '2' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' &&
                  p[2] >= '0' && p[2] <= '9';
    if (!digits || (n > 3 && p[3] != ' ' && p[3] != '-'))
        return -1;
    out->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    out->last = n == 3 || p[3] == ' ';
    out->text = n > 4 ? 4 : n;
    /* An enhanced code (RFC 3463): class "." subject "." detail, then SP or
     * the end of the line; class is 2, 4 or 5 and agrees with the code's. */
    size_t i = 4, j = 4, dots = 0, run = 0;
    bool ok = n > 4;
    for (; ok && j < n && p[j] != ' '; j++) {
        if (p[j] == '.') {
            ok = run > 0 && ++dots <= 2;
            run = 0;
        } else {
            ok = p[j] >= '0' && p[j] <= '9' && ++run <= 3;
        }
    }
    if (ok && dots == 2 && run > 0 && j - i < sizeof out->enhanced && j - i >= 5 && p[i] == p[0] &&
        p[i + 1] == '.') {
        memcpy(out->enhanced, p + i, j - i);
        out->enhanced[j - i] = '\0';
        out->text = j < n ? j + 1 : j;
    }
    return 1;
}

/* Reads one whole reply (every line up to the one with a space after the code). */
static void read_reply(struct conn *c, struct got *g)
{
    g->ok = false;
    g->error = NULL;
    g->code = 0;
    g->enhanced[0] = '\0';
    au_buf_reset(&g->raw);
    au_buf_reset(&g->words);
    bool first = true;
    for (;;) {
        struct scenario_run_line ln;
        int rc = c->in.len ? scenario_run_reply_line(c->in.data, c->in.len, &ln) : 0;
        if (rc == 0) {
            ssize_t n = conn_fill(c);
            if (n == 0) {
                g->error = g->raw.len ? "the connection closed in the middle of a reply"
                                      : "the connection was closed (no reply)";
                return;
            }
            if (n < 0) {
                g->error = (errno == EAGAIN || errno == EWOULDBLOCK)
                               ? "no reply within the I/O timeout"
                               : "the connection failed while reading a reply";
                return;
            }
            continue;
        }
        if (rc < 0) {
            size_t shown = c->in.len < RUN_SHOWN_MAX ? c->in.len : RUN_SHOWN_MAX;
            const char *nl = memchr(c->in.data, '\n', shown);
            if (nl)
                shown = (size_t)(nl - c->in.data) + 1;
            transcript(c, "S: ", c->in.data, shown);
            (void)au_buf_append(&g->raw, c->in.data, shown);
            g->error = c->in.len >= SCENARIO_RUN_LINE_MAX && !nl
                           ? "a reply line longer than the runner accepts"
                           : "a line that is not an SMTP reply";
            au_buf_reset(&c->in);
            return;
        }
        const char *line = c->in.data;
        transcript(c, "S: ", line, ln.len);
        if (au_buf_append(&g->raw, line, ln.used) < 0) {
            g->error = "a reply longer than the runner accepts";
            return;
        }
        if (first) {
            g->code = ln.code;
            memcpy(g->enhanced, ln.enhanced, sizeof g->enhanced);
            first = false;
        }
        add_words(&g->words, line + ln.text, ln.len - ln.text);
        au_buf_consume(&c->in, ln.used);
        if (ln.last) {
            g->ok = true;
            return;
        }
    }
}

/* Sends one command (fmt and its arguments, CRLF included) and reads its
 * reply into g; a failed write shows as the reply that does not come. */
static void command(struct conn *c, struct got *g, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void command(struct conn *c, struct got *g, const char *fmt, ...)
{
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    va_list ap;
    va_start(ap, fmt);
    (void)au_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    (void)conn_write(c, b.data, b.len);
    au_buf_free(&b);
    read_reply(c, g);
}

/* True when g is no reply, or a refusal (4yz, 5yz). */
static bool refused(const struct got *g)
{
    return !g->ok || g->code >= 400;
}

/* The STARTTLS handshake over the connected socket. Returns 0 or -1 with why. */
static int conn_starttls(struct conn *c, char *why, size_t wl)
{
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (c->ctx == NULL) {
        snprintf(why, wl, "OpenSSL could not make a TLS context");
        return -1;
    }
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    c->ssl = SSL_new(c->ctx);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
        snprintf(why, wl, "OpenSSL could not make a TLS session");
        return -1;
    }
    if (c->in.len > 0) {
        snprintf(why, wl, "the receiver sent bytes after 220 to STARTTLS");
        return -1;
    }
    if (SSL_connect(c->ssl) != 1) {
        unsigned long e = ERR_get_error();
        char es[256];
        ERR_error_string_n(e, es, sizeof es);
        snprintf(why, wl, "the TLS handshake failed: %s", e ? es : "connection closed");
        SSL_free(c->ssl);
        c->ssl = NULL;
        return -1;
    }
    if (c->verbose)
        (void)au_buf_printf(&c->transcript, "   (TLS: %s, %s)\n", SSL_get_version(c->ssl),
                            SSL_get_cipher_name(c->ssl));
    return 0;
}

/* ---- matching ---- */

static bool reply_matches(const struct scenario_reply *want, const struct got *g)
{
    if (!g->ok || g->code != want->code)
        return false;
    return want->enhanced[0] == '\0' || strcmp(want->enhanced, g->enhanced) == 0;
}

/* "CODE ENHANCED", or "CODE" when there is no enhanced code. */
static void code_text(int code, const char *enhanced, char *buf, size_t size)
{
    if (enhanced[0])
        snprintf(buf, size, "%d %s", code, enhanced);
    else
        snprintf(buf, size, "%d", code);
}

static void reply_text(const struct scenario_reply *r, char *buf, size_t size)
{
    code_text(r->code, r->enhanced, buf, size);
}

static void got_text(const struct got *g, char *buf, size_t size)
{
    if (!g->ok)
        snprintf(buf, size, "no reply: %s", g->error ? g->error : "nothing read");
    else
        code_text(g->code, g->enhanced, buf, size);
}

/* Copies s with every run of white space (CR and LF included) made one space. */
static char *squeeze(const char *s, size_t n)
{
    char *out = au_xmalloc(n + 1);
    size_t o = 0;
    bool space = false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
            space = o > 0;
            continue;
        }
        if (space)
            out[o++] = ' ';
        space = false;
        out[o++] = ch;
    }
    out[o] = '\0';
    return out;
}

/* The session id: the word before " - gsmtp" on a reply's last line. */
static void session_id_of(const struct got *g, char *id, size_t size)
{
    if (!g->ok || g->raw.len == 0)
        return;
    const char *end = g->raw.data + g->raw.len;
    while (end > g->raw.data && (end[-1] == '\n' || end[-1] == '\r'))
        end--;
    static const char trailer[] = " - gsmtp";
    size_t tl = sizeof trailer - 1;
    if ((size_t)(end - g->raw.data) < tl || memcmp(end - tl, trailer, tl) != 0)
        return;
    const char *e = end - tl, *b = e;
    while (b > g->raw.data && b[-1] != ' ' && b[-1] != '\n')
        b--;
    if (e > b && (size_t)(e - b) < size) {
        memcpy(id, b, (size_t)(e - b));
        id[e - b] = '\0';
    }
}

/* ---- the message ---- */

/* A message as header fields (each whole, CRLF and folds included) and a body. */
struct msg {
    char **field;
    size_t n, cap;
    struct au_buf body;
};

static void msg_init(struct msg *m)
{
    m->field = NULL;
    m->n = m->cap = 0;
    au_buf_init(&m->body, CLI_MESSAGE_MAX);
}

static void msg_free(struct msg *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->field[i]);
    free(m->field);
    au_buf_free(&m->body);
}

static void msg_insert(struct msg *m, size_t at, char *field)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 16;
        m->field = au_xrealloc(m->field, m->cap * sizeof *m->field);
    }
    memmove(m->field + at + 1, m->field + at, (m->n - at) * sizeof *m->field);
    m->field[at] = field;
    m->n++;
}

static void msg_remove(struct msg *m, size_t at)
{
    free(m->field[at]);
    memmove(m->field + at, m->field + at + 1, (m->n - at - 1) * sizeof *m->field);
    m->n--;
}

/* Appends text with every bare LF made CRLF (cli_to_crlf's rule). */
static void put_crlf(struct au_buf *out, const char *p, size_t n)
{
    size_t len;
    bool bare;
    char *crlf = cli_to_crlf(p, n, &len, &bare);
    (void)au_buf_append(out, crlf, len);
    free(crlf);
}

/* Field name equals name (ASCII case ignored). */
static bool field_is(const char *field, const char *name)
{
    size_t nl = strlen(name);
    return strncasecmp(field, name, nl) == 0 &&
           (field[nl] == ':' || field[nl] == ' ' || field[nl] == '\t');
}

static ssize_t msg_find(const struct msg *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (field_is(m->field[i], name))
            return (ssize_t)i;
    return -1;
}

static char *make_field(const char *name, const char *value)
{
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    (void)au_buf_printf(&b, "%s: %s\r\n", name, value);
    return au_buf_detach(&b);
}

/* Splits a whole message (CRLF made of bare LFs) into fields and body. */
static void msg_parse(struct msg *m, const char *text, size_t len)
{
    size_t alen;
    bool bare;
    char *all = cli_to_crlf(text, len, &alen, &bare);
    const char *p = all, *end = p + alen;
    while (p < end) {
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
            p += 2;
            break;
        }
        /* A field: this line and every line that starts with white space. */
        const char *q = p;
        do {
            const char *nl = memchr(q, '\n', (size_t)(end - q));
            q = nl ? nl + 1 : end;
        } while (q < end && (*q == ' ' || *q == '\t'));
        /* A continuation line with no field before it stays a "field" of its own,
         * so that a message file is sent exactly as written. */
        msg_insert(m, m->n, au_xstrndup(p, (size_t)(q - p)));
        p = q;
    }
    (void)au_buf_append(&m->body, p, (size_t)(end - p));
    free(all);
}

static void msg_render(const struct msg *m, struct au_buf *out)
{
    for (size_t i = 0; i < m->n; i++) {
        size_t n = strlen(m->field[i]);
        (void)au_buf_append(out, m->field[i], n);
        if (n < 2 || m->field[i][n - 1] != '\n')
            (void)au_buf_puts(out, "\r\n");
    }
    (void)au_buf_puts(out, "\r\n");
    (void)au_buf_append(out, m->body.data ? m->body.data : "", m->body.len);
}

/* The domain of the first address in From, for a Message-ID. */
static void from_domain(const struct msg *m, char *buf, size_t size)
{
    snprintf(buf, size, "%s", RUN_MSGID_DOMAIN_DEFAULT);
    ssize_t i = msg_find(m, "From");
    if (i < 0)
        return;
    const char *at = strchr(m->field[i], '@');
    if (at == NULL)
        return;
    size_t n = strcspn(at + 1, "> \t\r\n,;\"()");
    if (n > 0 && n < size) {
        memcpy(buf, at + 1, n);
        buf[n] = '\0';
    }
}

static void add_auto_headers(struct msg *m, time_t now)
{
    static unsigned long counter;
    if (msg_find(m, "Date") < 0) {
        struct tm tm;
        char date[64];
        gmtime_r(&now, &tm);
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
        msg_insert(m, m->n, make_field("Date", date));
    }
    if (msg_find(m, "Message-ID") < 0) {
        char dom[256], id[400];
        from_domain(m, dom, sizeof dom);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(id, sizeof id, "<%llx.%lx.%lu@%s>", (unsigned long long)ts.tv_sec,
                 (unsigned long)ts.tv_nsec, ++counter, dom);
        msg_insert(m, m->n, make_field("Message-ID", id));
    }
}

/* ---- the world ---- */

struct world {
    const struct scenario *s;
    struct au_dns_stub *stub;
    EVP_PKEY **keys; /* one per scenario key */
    char dir[64];    /* the temporary folder, or "" */
    char maildir[128], log[128];
    struct server_config cfg;
    struct server *srv;
    char host[256], port[16];
    const char *logpath; /* where events are read from, or NULL */
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    /* Best effort: a file left behind in /tmp must not fail the scenario. */
    (void)remove(path);
    return 0;
}

static void world_free(struct world *w)
{
    if (w->srv)
        server_stop(w->srv);
    w->srv = NULL;
    if (w->keys) {
        for (size_t i = 0; i < w->s->nkeys; i++)
            EVP_PKEY_free(w->keys[i]);
        free(w->keys);
    }
    w->keys = NULL;
    au_dns_stub_free(w->stub);
    w->stub = NULL;
    if (w->dir[0])
        nftw(w->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    w->dir[0] = '\0';
}

/*
 * Keys made at run time come from a pool kept for the whole process: the
 * n-th key of a kind (algorithm and size) in a scenario is the pool's n-th
 * of that kind, made on first use.  RSA key generation costs up to a second
 * and a key's bits have no bearing on any outcome, so scenarios share keys
 * but never state: each publishes its own records in its own stub, and two
 * keys of one scenario are always different keys.
 */
struct key_pool {
    enum scenario_alg alg;
    unsigned bits;
    EVP_PKEY **keys;
    size_t n;
};
static struct key_pool *pools;
static size_t npools;

/* The index-th pooled key of that kind, or NULL when OpenSSL cannot make it.
 * Returns a new reference. */
static EVP_PKEY *pool_key(enum scenario_alg alg, unsigned bits, size_t index)
{
    struct key_pool *p = NULL;
    for (size_t i = 0; i < npools && p == NULL; i++)
        if (pools[i].alg == alg && pools[i].bits == bits)
            p = &pools[i];
    if (p == NULL) {
        pools = au_xrealloc(pools, (npools + 1) * sizeof *pools);
        p = &pools[npools++];
        *p = (struct key_pool){.alg = alg, .bits = bits};
    }
    while (p->n <= index) {
        bool ed = alg == SCENARIO_ALG_ED25519_SHA256;
        EVP_PKEY *k =
            au_dkim_sign_keygen(ed ? AU_DKIM_KEY_ED25519 : AU_DKIM_KEY_RSA, ed ? 0 : bits);
        if (k == NULL)
            return NULL;
        p->keys = au_xrealloc(p->keys, (p->n + 1) * sizeof *p->keys);
        p->keys[p->n++] = k;
    }
    EVP_PKEY_up_ref(p->keys[index]);
    return p->keys[index];
}

void scenario_run_cleanup(void)
{
    for (size_t i = 0; i < npools; i++) {
        for (size_t j = 0; j < pools[i].n; j++)
            EVP_PKEY_free(pools[i].keys[j]);
        free(pools[i].keys);
    }
    free(pools);
    pools = NULL;
    npools = 0;
}

/* Builds the stub and the keys. Returns 0 or -1 with a diagnostic. */
static int world_build(struct world *w, struct scenario_result *r)
{
    const struct scenario *s = w->s;
    char err[512];
    w->stub = au_dns_stub_new();
    if (s->zone &&
        au_dns_stub_add_zone(w->stub, s->zone, s->zone_len, "", s->path, err, sizeof err) < 0) {
        diag(r, "the zone could not be loaded: %s", err);
        return -1;
    }
    for (size_t i = 0; i < s->nfiles; i++)
        if (au_dns_stub_add_zone(w->stub, s->files[i].text, s->files[i].len, "", s->files[i].path,
                                 err, sizeof err) < 0) {
            diag(r, "a zone file could not be loaded: %s", err);
            return -1;
        }
    for (size_t i = 0; i < s->nfaults; i++)
        if (au_dns_stub_add_fault(w->stub, s->faults[i].name, s->faults[i].type,
                                  s->faults[i].fault) < 0) {
            diag(r, "line %d: the fault for %s could not be set", s->faults[i].pos.line,
                 s->faults[i].name);
            return -1;
        }
    w->keys = au_xcalloc(s->nkeys ? s->nkeys : 1, sizeof *w->keys);
    for (size_t i = 0; i < s->nkeys; i++) {
        const struct scenario_key *k = &s->keys[i];
        char name[600];
        scenario_key_name(k, name, sizeof name);
        if (k->private_key_pem) {
            w->keys[i] =
                au_dkim_sign_load_key(k->private_key_pem, k->private_key_len, err, sizeof err);
        } else {
            size_t index = 0; /* earlier keys of this scenario of the same kind */
            for (size_t j = 0; j < i; j++)
                index += !s->keys[j].private_key_pem && s->keys[j].algorithm == k->algorithm &&
                         s->keys[j].bits == k->bits;
            w->keys[i] = pool_key(k->algorithm, k->bits, index);
            snprintf(err, sizeof err, "OpenSSL could not make it");
        }
        if (w->keys[i] == NULL) {
            diag(r, "line %d: key %s: %s", k->pos.line, name, err);
            return -1;
        }
        if (!k->publish)
            continue;
        struct au_buf rec, zone;
        au_buf_init(&rec, AU_BUF_NOLIMIT);
        au_buf_init(&zone, AU_BUF_NOLIMIT);
        int rc = k->record ? au_buf_puts(&rec, k->record) : au_dkim_sign_record(w->keys[i], &rec);
        if (rc == 0)
            rc = au_dkim_sign_zone_line(k->selector, k->domain, au_buf_slice(&rec), &zone);
        if (rc == 0)
            rc = au_dns_stub_add_zone(w->stub, zone.data, zone.len, "", name, err, sizeof err);
        else
            snprintf(err, sizeof err, "the record could not be made");
        au_buf_free(&rec);
        au_buf_free(&zone);
        if (rc < 0) {
            diag(r, "line %d: key %s could not be published: %s", k->pos.line, name, err);
            return -1;
        }
    }
    return 0;
}

/* Starts the in-process receiver, or takes the target. Returns 0 or -1. */
static int world_receiver(struct world *w, const struct scenario_run_opts *o,
                          struct scenario_result *r)
{
    if (o->target) {
        const char *colon = strrchr(o->target, ':');
        const char *h = o->target;
        size_t hl = colon ? (size_t)(colon - h) : 0;
        if (hl > 1 && h[0] == '[' && h[hl - 1] == ']') {
            h++;
            hl -= 2;
        }
        if (colon == NULL || hl == 0 || hl >= sizeof w->host || colon[1] == '\0' ||
            strlen(colon + 1) >= sizeof w->port) {
            diag(r, "--target %s is not HOST:PORT", o->target);
            return -1;
        }
        memcpy(w->host, h, hl);
        w->host[hl] = '\0';
        snprintf(w->port, sizeof w->port, "%s", colon + 1);
        w->logpath = o->target_log;
        return 0;
    }
    snprintf(w->dir, sizeof w->dir, "/tmp/authsink-scenario-XXXXXX");
    if (mkdtemp(w->dir) == NULL) {
        diag(r, "cannot make a temporary folder: %s", strerror(errno));
        w->dir[0] = '\0';
        return -1;
    }
    snprintf(w->maildir, sizeof w->maildir, "%s/mail", w->dir);
    snprintf(w->log, sizeof w->log, "%s/log.jsonl", w->dir);
    server_config_defaults(&w->cfg);
    w->cfg.listen[0] = "127.0.0.1:0";
    w->cfg.nlisten = 1;
    w->cfg.stub = w->stub;
    w->cfg.profile = w->s->profile;
    w->cfg.maildir = w->maildir;
    w->cfg.log = w->log;
    w->cfg.quiet = true;
    w->cfg.workers = 1;
    w->srv = server_start(&w->cfg);
    if (w->srv == NULL) {
        diag(r, "the receiver could not be started (the reason is on standard error)");
        return -1;
    }
    snprintf(w->host, sizeof w->host, "127.0.0.1");
    snprintf(w->port, sizeof w->port, "%u", server_port(w->srv, 0));
    w->logpath = w->log;
    return 0;
}

/* The name the stub's PTR gives for ip, or NULL; *confirmed when that name's
 * A/AAAA records hold ip (forward-confirmed, as XCLIENT NAME means). */
static char *ptr_name(const struct world *w, const char *ip, bool *confirmed)
{
    *confirmed = false;
    struct au_ip a;
    if (au_ip_parse(ip, strlen(ip), &a) < 0)
        return NULL;
    struct au_dns_query q = {.type = AU_DNS_PTR};
    char rev[AU_IP_REVERSE_MAX];
    snprintf(q.name, sizeof q.name, "%s", au_ip_reverse_name(&a, rev));
    struct au_dns_answer *ans = au_dns_stub_lookup(w->stub, &q);
    char *name = NULL;
    for (size_t i = 0; ans->status == AU_DNS_RECORDS && i < ans->count && !name; i++)
        if (ans->rr[i].type == AU_DNS_PTR && ans->rr[i].u.name[0])
            name = au_xstrdup(ans->rr[i].u.name);
    au_dns_answer_unref(ans);
    if (name == NULL)
        return NULL;
    struct au_dns_query f = {.type = a.family == AU_IP_V4 ? AU_DNS_A : AU_DNS_AAAA};
    snprintf(f.name, sizeof f.name, "%s", name);
    ans = au_dns_stub_lookup(w->stub, &f);
    for (size_t i = 0; ans->status == AU_DNS_RECORDS && i < ans->count; i++) {
        const struct au_dns_rr *rr = &ans->rr[i];
        if (rr->type == AU_DNS_A && a.family == AU_IP_V4 && memcmp(rr->u.a, a.addr, 4) == 0)
            *confirmed = true;
        if (rr->type == AU_DNS_AAAA && a.family == AU_IP_V6 && memcmp(rr->u.aaaa, a.addr, 16) == 0)
            *confirmed = true;
    }
    au_dns_answer_unref(ans);
    return name;
}

/* ---- one conversation ---- */

/* What a message conversation needs checked once the log is complete. */
struct pending {
    size_t conv;
    char sid[SESSION_ID_MAX + 1];
    struct got final; /* the reply the results belong to */
};

struct run {
    struct world *w;
    const struct scenario_run_opts *o;
    struct scenario_result *r;
    bool failed;
    struct pending *pend;
    size_t npend;
};

/* Starts a failure report of conversation i. */
static void conv_fail(struct run *run, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void conv_fail(struct run *run, size_t i, const char *fmt, ...)
{
    const struct scenario_conversation *c = &run->w->s->conv[i];
    run->failed = true;
    (void)au_buf_printf(&run->r->diag, "conversation %zu (line %d): ", i + 1, c->pos.line);
    va_list ap;
    va_start(ap, fmt);
    (void)au_buf_vprintf(&run->r->diag, fmt, ap);
    va_end(ap);
    (void)au_buf_putc(&run->r->diag, '\n');
}

static void show_reply(struct run *run, const struct got *g)
{
    if (g->ok || g->raw.len) {
        diag(run->r, "  reply:");
        diag_block(run->r, "    ", g->raw.data ? g->raw.data : "", g->raw.len);
    }
}

/* The lines under a failure whose reply was not the one expected. */
static void show_mismatch(struct run *run, const struct scenario_reply *want, const struct got *g)
{
    char w[32], got[200];
    reply_text(want, w, sizeof w);
    got_text(g, got, sizeof got);
    diag(run->r, "  expected: %s", w);
    diag(run->r, "  got:      %s", got);
    show_reply(run, g);
}

/* True when EHLO's reply g names STARTTLS on a line of its own (RFC 3207 4). */
static bool offers_starttls(const struct got *g)
{
    const char *p = g->raw.data ? g->raw.data : "", *end = p + g->raw.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        if (eol - p >= 12 && strncasecmp(p + 4, "STARTTLS", 8) == 0 &&
            (p + 12 == eol || p[12] == '\r' || p[12] == ' '))
            return true;
        p = nl ? nl + 1 : end;
    }
    return false;
}

/* Greeting, EHLO, XCLIENT and EHLO again, STARTTLS and EHLO. With
 * xclient_only (raw conversations) it stops after XCLIENT's 220, or after the
 * TLS handshake when client.tls asks for one.  Returns 0 when the
 * conversation may go on; 1 when a refusal ended it (in *g, at *at); -1 on a
 * failure already reported. */
static int conv_open(struct run *run, size_t i, struct conn *k, struct got *g, enum scenario_at *at,
                     bool xclient_only)
{
    const struct scenario_conversation *c = &run->w->s->conv[i];
    char why[512];
    if (conn_open(k, run->w->host, run->w->port, why, sizeof why) < 0) {
        conv_fail(run, i, "%s", why);
        return -1;
    }
    const char *ip = c->has_client ? c->client.ip : NULL;
    bool confirmed = false;
    char *ptr = ip ? ptr_name(run->w, ip, &confirmed) : NULL;
    const char *helo = c->has_client && c->client.helo ? c->client.helo
                       : ptr                           ? ptr
                                                       : RUN_HELO_DEFAULT;
    int rc = 0;
    *at = SCENARIO_AT_CONNECT;
    read_reply(k, g);
    if (refused(g)) {
        rc = 1;
        goto out;
    }
    if (!c->has_client && xclient_only)
        goto out;
    *at = SCENARIO_AT_HELO;
    command(k, g, "EHLO %s\r\n", helo);
    if (refused(g)) {
        rc = 1;
        goto out;
    }
    if (c->has_client) {
        command(k, g, "XCLIENT ADDR=%s%s NAME=%s\r\n", c->client.family == AF_INET6 ? "IPV6:" : "",
                ip, confirmed ? ptr : "[UNAVAILABLE]");
        if (!g->ok || g->code != 220) {
            conv_fail(run, i,
                      "the receiver refused XCLIENT, so the client address %s could "
                      "not be set (with --target, the receiver must allow XCLIENT from this host)",
                      ip);
            show_reply(run, g);
            rc = -1;
            goto out;
        }
        /* Raw items start here, or after STARTTLS (which needs an EHLO first). */
        if (xclient_only && !c->client.tls)
            goto out;
        command(k, g, "EHLO %s\r\n", helo);
        if (refused(g)) {
            rc = 1;
            goto out;
        }
    }
    if (c->has_client && c->client.tls) {
        if (!offers_starttls(g)) {
            conv_fail(run, i, "client.tls is true but the receiver did not offer STARTTLS");
            show_reply(run, g);
            rc = -1;
            goto out;
        }
        command(k, g, "STARTTLS\r\n");
        if (!g->ok || g->code != 220) {
            conv_fail(run, i, "STARTTLS was refused");
            show_reply(run, g);
            rc = -1;
            goto out;
        }
        if (conn_starttls(k, why, sizeof why) < 0) {
            conv_fail(run, i, "%s", why);
            rc = -1;
            goto out;
        }
        if (xclient_only)
            goto out; /* the raw items begin with their own EHLO (RFC 3207 4.2) */
        command(k, g, "EHLO %s\r\n", helo);
        if (refused(g)) {
            rc = 1;
            goto out;
        }
    }
out:
    free(ptr);
    return rc;
}

/* The message of conversation c, signed and tampered, CRLF line ends. Returns
 * 0, or -1 with a diagnostic. */
static int build_message(struct run *run, size_t ci, struct au_buf *out)
{
    const struct scenario_conversation *c = &run->w->s->conv[ci];
    const struct scenario_message *sm = &c->message;
    struct msg m;
    msg_init(&m);
    time_t now = time(NULL);
    if (sm->file_text) {
        msg_parse(&m, sm->file_text, sm->file_len);
    } else {
        for (size_t i = 0; i < sm->nheaders; i++)
            msg_insert(&m, m.n, make_field(sm->headers[i].name, sm->headers[i].value));
        if (sm->body)
            put_crlf(&m.body, sm->body, strlen(sm->body));
    }
    if (sm->auto_headers)
        add_auto_headers(&m, now);
    int rc = 0;
    for (size_t i = 0; i < c->nsign && rc == 0; i++) {
        const struct scenario_sign *sg = &c->sign[i];
        const struct scenario_key *k = &run->w->s->keys[sg->key];
        struct au_dkim_sign_opts o;
        au_dkim_sign_opts_init(&o);
        o.domain = k->domain;
        o.selector = k->selector;
        o.hc = sg->header_canon == SCENARIO_CANON_SIMPLE ? AU_DKIM_CANON_SIMPLE
                                                         : AU_DKIM_CANON_RELAXED;
        o.bc =
            sg->body_canon == SCENARIO_CANON_SIMPLE ? AU_DKIM_CANON_SIMPLE : AU_DKIM_CANON_RELAXED;
        struct au_buf h;
        au_buf_init(&h, AU_BUF_NOLIMIT);
        if (sg->headers) {
            for (size_t j = 0; j < sg->nheaders; j++)
                (void)au_buf_printf(&h, "%s%s", j ? ":" : "", sg->headers[j]);
        } else {
            for (size_t j = 0; j < sizeof default_signed / sizeof default_signed[0]; j++)
                if (msg_find(&m, default_signed[j]) >= 0)
                    (void)au_buf_printf(&h, "%s%s", h.len ? ":" : "", default_signed[j]);
        }
        o.headers = h.len ? h.data : "from";
        o.identity = sg->identity;
        o.length = sg->has_body_length ? sg->body_length : AU_DKIM_SIGN_L_NONE;
        o.now = sg->has_timestamp ? sg->timestamp : (int64_t)now;
        o.timestamp = true;
        o.expire = sg->has_expire_in ? o.now + sg->expire_in : 0;
        if (sg->has_expire_in && o.expire <= 0)
            o.expire = 1; /* x= is a positive number of seconds (RFC 6376 3.5) */
        struct au_buf whole, sig;
        au_buf_init(&whole, AU_BUF_NOLIMIT);
        au_buf_init(&sig, AU_BUF_NOLIMIT);
        msg_render(&m, &whole);
        char err[256];
        if (au_dkim_sign(whole.data, whole.len, run->w->keys[sg->key], &o, &sig, err, sizeof err) <
            0) {
            char name[600];
            conv_fail(run, ci, "signing with %s (line %d) failed: %s",
                      scenario_key_name(k, name, sizeof name), sg->pos.line, err);
            rc = -1;
        } else {
            msg_insert(&m, 0, au_buf_detach(&sig));
        }
        au_buf_free(&whole);
        au_buf_free(&sig);
        au_buf_free(&h);
    }
    if (rc == 0 && c->has_tamper) {
        const struct scenario_tamper *t = &c->tamper;
        if (t->body_append)
            put_crlf(&m.body, t->body_append, strlen(t->body_append));
        for (size_t i = 0; i < t->nset; i++) {
            ssize_t at = msg_find(&m, t->set[i].name);
            char *f = make_field(t->set[i].name, t->set[i].value);
            if (at >= 0) {
                free(m.field[at]);
                m.field[at] = f;
            } else {
                msg_insert(&m, m.n, f);
            }
        }
        for (size_t i = 0; i < t->nadd; i++)
            msg_insert(&m, m.n, make_field(t->add[i].name, t->add[i].value));
        for (size_t i = 0; i < t->nremove; i++)
            for (ssize_t at; (at = msg_find(&m, t->remove[i])) >= 0;)
                msg_remove(&m, (size_t)at);
    }
    if (rc == 0)
        msg_render(&m, out);
    msg_free(&m);
    return rc;
}

/* Sends the message dot-stuffed (RFC 5321 4.5.2) with the final dot. */
static int send_data(struct conn *k, const struct au_buf *msg)
{
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    const char *p = msg->data ? msg->data : "";
    size_t n = msg->len;
    bool bol = true;
    for (size_t i = 0; i < n; i++) {
        if (bol && p[i] == '.')
            (void)au_buf_putc(&b, '.');
        (void)au_buf_putc(&b, p[i]);
        bol = p[i] == '\n';
    }
    if (!bol)
        (void)au_buf_puts(&b, "\r\n");
    (void)au_buf_puts(&b, ".\r\n");
    bool v = k->verbose;
    if (v)
        (void)au_buf_printf(&k->transcript, "C: (the message, %zu bytes, and the dot)\n", n);
    k->verbose = false;
    int rc = conn_write(k, b.data, b.len);
    k->verbose = v;
    au_buf_free(&b);
    return rc;
}

static void expected_text(const struct scenario_expect *e, char *buf, size_t size)
{
    char r[32];
    reply_text(&e->reply, r, sizeof r);
    snprintf(buf, size, "%s at %s", r, at_names[e->at]);
}

/* Checks the final answer of conversation i (at the stage at) against its
 * expectation, and keeps what its result expectations need for when the
 * receiver's log is complete. */
static void check_final(struct run *run, size_t i, enum scenario_at at, const struct got *final,
                        const char *sid)
{
    const struct scenario_expect *e = &run->w->s->conv[i].expect;
    bool text_ok = true;
    if (e->text) {
        char *want = squeeze(e->text, strlen(e->text));
        text_ok = final->words.data && strstr(final->words.data, want) != NULL;
        free(want);
    }
    if (at != e->at || !reply_matches(&e->reply, final) || !text_ok) {
        char want[160], got[200];
        expected_text(e, want, sizeof want);
        got_text(final, got, sizeof got);
        conv_fail(run, i, "the final answer is not the one expected");
        diag(run->r, "  expected: %s%s%s%s", want, e->text ? ", text containing \"" : "",
             e->text ? e->text : "", e->text ? "\"" : "");
        diag(run->r, "  got:      %s at %s%s", got, at_names[at],
             text_ok ? "" : ", and the text does not contain the expected words");
        show_reply(run, final);
    }
    bool results = e->spf >= 0 || e->dmarc >= 0 || e->iprev >= 0 || e->has_dkim || e->nheaders > 0;
    if (results) {
        run->pend = au_xrealloc(run->pend, (run->npend + 1) * sizeof *run->pend);
        struct pending *p = &run->pend[run->npend++];
        p->conv = i;
        snprintf(p->sid, sizeof p->sid, "%s", sid);
        got_init(&p->final);
        got_copy(&p->final, final);
    }
}

static void run_message(struct run *run, size_t i)
{
    const struct scenario_conversation *c = &run->w->s->conv[i];
    const struct scenario_expect *e = &c->expect;
    struct conn k;
    conn_init(&k, run->o->verbose);
    struct got g, first_refusal, final;
    got_init(&g);
    got_init(&first_refusal);
    got_init(&final);
    enum scenario_at at = SCENARIO_AT_CONNECT;
    bool rcpt_refused = false;
    bool failed_before = run->failed;
    run->failed = false;
    size_t accepted = 0;
    char sid[SESSION_ID_MAX + 1] = "";

    int rc = conv_open(run, i, &k, &g, &at, false);
    if (rc < 0)
        goto done;
    session_id_of(&g, sid, sizeof sid);
    if (rc == 1) {
        got_copy(&final, &g);
        goto compare;
    }
    at = SCENARIO_AT_MAIL;
    command(&k, &g, "MAIL FROM:<%s>\r\n", c->mail_from);
    session_id_of(&g, sid, sizeof sid);
    if (refused(&g)) {
        got_copy(&final, &g);
        goto compare;
    }
    at = SCENARIO_AT_RCPT;
    for (size_t j = 0; j < c->nrcpt_to; j++) {
        command(&k, &g, "RCPT TO:<%s>\r\n", c->rcpt_to[j]);
        session_id_of(&g, sid, sizeof sid);
        if (e->rcpt && j < e->nrcpt && !reply_matches(&e->rcpt[j], &g)) {
            conv_fail(run, i, "RCPT TO:<%s>", c->rcpt_to[j]);
            show_mismatch(run, &e->rcpt[j], &g);
        }
        if (!g.ok) {
            got_copy(&final, &g);
            goto compare;
        }
        if (g.code >= 400) {
            if (!rcpt_refused)
                got_copy(&first_refusal, &g);
            rcpt_refused = true;
        } else {
            accepted++;
        }
    }
    if (accepted == 0) {
        got_copy(&final, &first_refusal);
        goto compare;
    }
    at = SCENARIO_AT_DATA;
    command(&k, &g, "DATA\r\n");
    session_id_of(&g, sid, sizeof sid);
    if (!g.ok || g.code != 354) {
        got_copy(&final, &g);
        goto compare;
    }
    struct au_buf msg;
    au_buf_init(&msg, AU_BUF_NOLIMIT);
    if (build_message(run, i, &msg) < 0) {
        au_buf_free(&msg);
        goto done;
    }
    int wr = send_data(&k, &msg);
    au_buf_free(&msg);
    read_reply(&k, &g);
    if (wr < 0 && !g.ok)
        g.error = "the connection failed while sending the message";
    session_id_of(&g, sid, sizeof sid);
    got_copy(&final, &g);
    if (e->at == SCENARIO_AT_RCPT && rcpt_refused) {
        got_copy(&final, &first_refusal);
        at = SCENARIO_AT_RCPT;
    }

compare:
    check_final(run, i, at, &final, sid);
    if (k.fd >= 0 && final.ok && final.code != 421)
        command(&k, &g, "QUIT\r\n");

done:
    if (run->o->verbose || run->failed) {
        if (k.transcript.len) {
            diag(run->r, "conversation %zu transcript:", i + 1);
            diag_block(run->r, "  ", k.transcript.data, k.transcript.len);
        }
    }
    run->failed = run->failed || failed_before;
    got_free(&g);
    got_free(&first_refusal);
    got_free(&final);
    conn_close(&k);
}

static void run_raw(struct run *run, size_t i)
{
    const struct scenario_conversation *c = &run->w->s->conv[i];
    struct conn k;
    conn_init(&k, run->o->verbose);
    struct got g;
    got_init(&g);
    bool failed_before = run->failed;
    run->failed = false;
    enum scenario_at at;
    if (c->has_client) {
        int rc = conv_open(run, i, &k, &g, &at, true);
        if (rc != 0) {
            if (rc == 1) {
                char got[200];
                got_text(&g, got, sizeof got);
                conv_fail(run, i,
                          "the receiver refused the set-up (greeting, EHLO) before "
                          "the raw items: %s",
                          got);
                show_reply(run, &g);
            }
            goto done;
        }
    } else {
        char why[512];
        if (conn_open(&k, run->w->host, run->w->port, why, sizeof why) < 0) {
            conv_fail(run, i, "%s", why);
            goto done;
        }
    }
    struct au_buf out;
    au_buf_init(&out, AU_BUF_NOLIMIT);
    for (size_t j = 0; j < c->nraw; j++) {
        const struct scenario_raw *it = &c->raw[j];
        if (it->kind == SCENARIO_RAW_SEND) {
            (void)au_buf_append(&out, it->send, it->send_len);
            if (it->eol)
                (void)au_buf_puts(&out, "\r\n");
            if (j + 1 < c->nraw && c->raw[j + 1].kind == SCENARIO_RAW_SEND)
                continue;
            if (conn_write(&k, out.data, out.len) < 0) {
                /* The receiver may have closed on purpose: the next expect says. */
            }
            au_buf_reset(&out);
            continue;
        }
        read_reply(&k, &g);
        if (!reply_matches(&it->expect, &g)) {
            conv_fail(run, i, "raw item %zu (line %d)", j + 1, it->pos.line);
            show_mismatch(run, &it->expect, &g);
            break; /* what follows depends on this answer */
        }
    }
    au_buf_free(&out);
done:
    if ((run->o->verbose || run->failed) && k.transcript.len) {
        diag(run->r, "conversation %zu transcript:", i + 1);
        diag_block(run->r, "  ", k.transcript.data, k.transcript.len);
    }
    run->failed = run->failed || failed_before;
    got_free(&g);
    conn_close(&k);
}

/* ---- results from the receiver's log ---- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The last event of session sid in the log, or NULL. */
static json_t *find_event(const char *path, const char *sid)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    json_t *found = NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (strstr(line, sid) == NULL)
            continue;
        json_t *j = json_loadb(line, (size_t)n, 0, NULL);
        const char *s = j ? json_string_value(json_object_get(j, "session")) : NULL;
        if (s && strcmp(s, sid) == 0) {
            json_decref(found);
            found = j;
        } else {
            json_decref(j);
        }
    }
    free(line);
    fclose(f);
    return found;
}

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void check_result(struct run *run, size_t ci, const char *what, int want, json_t *obj)
{
    if (want < 0)
        return;
    const char *got = obj ? jstr(obj, "result") : "";
    if (strcmp(got, au_result_name((enum au_result)want)) == 0)
        return;
    conv_fail(run, ci, "%s result", what);
    diag(run->r, "  expected: %s=%s", what, au_result_name((enum au_result)want));
    diag(run->r, "  got:      %s=%s", what, got[0] ? got : "(not in the receiver's event)");
    const char *why = obj ? jstr(obj, "explanation") : "";
    if (!why[0] && obj)
        why = jstr(obj, "reason");
    if (why[0])
        diag(run->r, "  why:      %s", why);
    if (obj) {
        char *dump = json_dumps(obj, JSON_COMPACT);
        if (dump)
            diag(run->r, "  event:    %s", dump);
        free(dump);
    }
}

/* Finds "Name:" fields in the stored message's header and checks each
 * expected substring. */
static void check_headers(struct run *run, size_t ci, const char *stored)
{
    const struct scenario_expect *e = &run->w->s->conv[ci].expect;
    FILE *f = stored ? fopen(stored, "rb") : NULL;
    if (f == NULL) {
        conv_fail(run, ci, "headers cannot be checked: %s",
                  stored ? "the stored message cannot "
                           "be read"
                         : "the receiver stored no message (it was not accepted)");
        if (stored)
            diag(run->r, "  file: %s (%s)", stored, strerror(errno));
        return;
    }
    struct au_buf text;
    au_buf_init(&text, CLI_MESSAGE_MAX);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (au_buf_append(&text, chunk, n) < 0)
            break;
    fclose(f);
    struct msg m;
    msg_init(&m);
    msg_parse(&m, text.data ? text.data : "", text.len);
    for (size_t h = 0; h < e->nheaders; h++) {
        const char *name = e->headers[h].name;
        char *want = squeeze(e->headers[h].value, strlen(e->headers[h].value));
        bool found = false, present = false;
        for (size_t i = 0; i < m.n && !found; i++) {
            if (!field_is(m.field[i], name))
                continue;
            present = true;
            char *have = squeeze(m.field[i], strlen(m.field[i]));
            found = strstr(have, want) != NULL;
            free(have);
        }
        if (!found) {
            conv_fail(run, ci, "header %s", name);
            diag(run->r, "  expected: %s containing \"%s\"", name, e->headers[h].value);
            diag(run->r, "  got:      %s",
                 present ? "fields of that name without those words" : "no field of that name");
            for (size_t i = 0; i < m.n; i++)
                if (field_is(m.field[i], name))
                    diag_block(run->r, "    ", m.field[i], strlen(m.field[i]));
        }
        free(want);
    }
    msg_free(&m);
    au_buf_free(&text);
}

static void check_pending(struct run *run)
{
    for (size_t p = 0; p < run->npend; p++) {
        struct pending *pd = &run->pend[p];
        size_t ci = pd->conv;
        const struct scenario_expect *e = &run->w->s->conv[ci].expect;
        if (run->w->logpath == NULL) {
            conv_fail(run, ci,
                      "results (spf, dkim, dmarc, iprev, headers) cannot be checked "
                      "against --target without --target-log FILE (the receiver's --log)");
            continue;
        }
        if (pd->sid[0] == '\0') {
            conv_fail(run, ci,
                      "results cannot be checked: no reply carried a session id "
                      "(\"<id> - gsmtp\")");
            show_reply(run, &pd->final);
            continue;
        }
        json_t *ev = find_event(run->w->logpath, pd->sid);
        for (long long end = now_ms() + SCENARIO_RUN_LOG_WAIT_MS;
             ev == NULL && run->w->srv == NULL && run->o->target && now_ms() < end;) {
            struct timespec ts = {0, RUN_LOG_POLL_MS * 1000000L};
            nanosleep(&ts, NULL);
            ev = find_event(run->w->logpath, pd->sid);
        }
        if (ev == NULL) {
            conv_fail(run, ci,
                      "results cannot be checked: the receiver's log %s has no event "
                      "for session %s",
                      run->w->logpath, pd->sid);
            continue;
        }
        check_result(run, ci, "spf", e->spf, json_object_get(ev, "spf"));
        check_result(run, ci, "dmarc", e->dmarc, json_object_get(ev, "dmarc"));
        check_result(run, ci, "iprev", e->iprev, json_object_get(ev, "iprev"));
        if (e->has_dkim) {
            json_t *arr = json_object_get(ev, "dkim");
            size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
            bool same = n == e->ndkim;
            for (size_t j = 0; same && j < n; j++)
                same =
                    strcmp(jstr(json_array_get(arr, j), "result"), au_result_name(e->dkim[j])) == 0;
            if (!same) {
                struct au_buf want, got;
                au_buf_init(&want, AU_BUF_NOLIMIT);
                au_buf_init(&got, AU_BUF_NOLIMIT);
                for (size_t j = 0; j < e->ndkim; j++)
                    (void)au_buf_printf(&want, "%s%s", j ? ", " : "", au_result_name(e->dkim[j]));
                for (size_t j = 0; j < n; j++) {
                    json_t *o = json_array_get(arr, j);
                    const char *why = jstr(o, "reason");
                    (void)au_buf_printf(&got, "%s%s (d=%s s=%s%s%s)", j ? ", " : "",
                                        jstr(o, "result"), jstr(o, "domain"), jstr(o, "selector"),
                                        why[0] ? ": " : "", why);
                }
                conv_fail(run, ci, "dkim results (one per signature, top to bottom)");
                diag(run->r, "  expected: [%s]", want.data ? want.data : "");
                diag(run->r, "  got:      [%s]", got.data ? got.data : "");
                au_buf_free(&want);
                au_buf_free(&got);
            }
        }
        if (e->nheaders > 0)
            check_headers(run, ci, json_string_value(json_object_get(ev, "stored")));
        json_decref(ev);
    }
}

/* ---- the scenario ---- */

void scenario_run(const struct scenario *s, const struct scenario_run_opts *opts,
                  struct scenario_result *r)
{
    long long t0 = now_ms();
    au_buf_reset(&r->diag);
    struct world w;
    memset(&w, 0, sizeof w);
    w.s = s;
    struct run run = {.w = &w, .o = opts, .r = r};
    if (world_build(&w, r) < 0 || world_receiver(&w, opts, r) < 0) {
        run.failed = true;
        goto out;
    }
    for (size_t i = 0; i < s->nconv; i++) {
        if (s->conv[i].raw_mode)
            run_raw(&run, i);
        else
            run_message(&run, i);
    }
    /* Stopping the receiver completes its log; results are read after. */
    if (w.srv) {
        server_stop(w.srv);
        w.srv = NULL;
    }
    check_pending(&run);
out:
    for (size_t p = 0; p < run.npend; p++)
        got_free(&run.pend[p].final);
    free(run.pend);
    world_free(&w);
    r->passed = !run.failed;
    r->seconds = (double)(now_ms() - t0) / 1000.0;
}
