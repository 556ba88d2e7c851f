/*
 * session - one SMTP conversation as a sans-I/O state machine (session.h).
 *
 * Public: session_{config_defaults,source_name,new,free,start,refuse,abort,
 * drain,read_space,read_commit,process,eod_done,eod_done_id,output,closing,
 * waiting,in_txn,id,client,txn}.
 *
 * RFC 5321 (commands, sequence, 4.5.3.1 limits), RFC 1869/1870 (EHLO, SIZE),
 * RFC 2920 (PIPELINING), RFC 3030 (CHUNKING: BDAT, BDAT 0 LAST), RFC 6152
 * (8BITMIME), RFC 6531 (SMTPUTF8), RFC 2034/3463 (enhanced codes), Postfix
 * XCLIENT_README (XCLIENT), RFC 3207 (STARTTLS: the SMTP side; the TLS
 * engine is smtpd/tls.c and the owner switches the connection).
 *
 * Verbs are dispatched from one table (STYLE.md rule 4).  Each handler first
 * checks order and syntax, then acts; the only verdict that waits for other
 * work is end of data, where the session parks in ST_WAIT until the owner
 * calls session_eod_done.
 *
 * Line ends: a command ends at LF, with an optional CR before it.  Message
 * content ends only at CRLF "." CRLF: a bare LF never starts a line that
 * could end the data, which keeps SMTP smuggling (CVE-2023-51766 class) out.
 *
 * STARTTLS: plaintext that follows STARTTLS in the input is never
 * processed (CVE-2011-0411 class): the command is answered 523 5.7.10 and
 * the session closes; without it, 220 is answered and no input is taken
 * until the owner reports the handshake done.
 */
#include "session.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reply.h"
#include "xalloc.h"

enum state {
    ST_GREETING,   /* no EHLO/HELO yet */
    ST_READY,      /* EHLO done, no transaction */
    ST_MAIL,       /* MAIL accepted */
    ST_RCPT,       /* at least one RCPT accepted */
    ST_DATA,       /* reading DATA content */
    ST_WAIT,       /* end of data: waiting for the verdict */
};

struct session {
    const struct session_config *cfg;
    const struct session_ops *ops;
    void *arg;
    char sid[SESSION_ID_MAX];
    struct session_client client;
    enum state state;
    struct au_buf in;
    struct au_buf out;
    struct session_txn txn;
    unsigned junk;          /* unrecognized commands and syntax errors */
    bool closing;
    bool draining;
    bool skip_line;         /* discarding the rest of an overlong line */
    bool data_bol;          /* DATA: at the start of a line after CRLF */
    bool data_prev_cr;      /* DATA: the last content byte was CR */
    uint64_t chunk_left;    /* BDAT: bytes of the current chunk still to come */
    bool chunk_active;
    bool chunk_last;
    bool chunk_discard;     /* BDAT: the chunk is read and thrown away */
    enum smtp_reply_id chunk_reply;   /* reply after a discarded chunk */
    struct au_buf scratch;  /* XCLIENT value decoding */
    size_t line_end;        /* input offset just past the command being handled */
    bool discard_input;     /* drop the rest of the input (STARTTLS violation) */
    bool tls_pending;       /* STARTTLS answered 220: no input until TLS is up */
    bool tls_active;        /* the handshake completed */
};

typedef void (*verb_fn)(struct session *s, struct au_slice arg);

enum verb_flags {
    V_GROUP_END = 1 << 0,   /* may only be last in a pipelined group (RFC 2920 3.1) */
    V_JUNK = 1 << 1,        /* counts towards junk_max */
};

struct verb {
    const char *name;
    verb_fn fn;
    unsigned flags;
};

static void do_ehlo(struct session *s, struct au_slice arg);
static void do_helo(struct session *s, struct au_slice arg);
static void do_mail(struct session *s, struct au_slice arg);
static void do_rcpt(struct session *s, struct au_slice arg);
static void do_data(struct session *s, struct au_slice arg);
static void do_bdat(struct session *s, struct au_slice arg);
static void do_rset(struct session *s, struct au_slice arg);
static void do_noop(struct session *s, struct au_slice arg);
static void do_quit(struct session *s, struct au_slice arg);
static void do_vrfy(struct session *s, struct au_slice arg);
static void do_help(struct session *s, struct au_slice arg);
static void do_xclient(struct session *s, struct au_slice arg);
static void do_starttls(struct session *s, struct au_slice arg);
static void do_unimplemented(struct session *s, struct au_slice arg);

static const struct verb verbs[] = {
    {"EHLO", do_ehlo, V_GROUP_END},
    {"HELO", do_helo, V_GROUP_END},
    {"MAIL", do_mail, 0},
    {"RCPT", do_rcpt, 0},
    {"DATA", do_data, V_GROUP_END},
    {"BDAT", do_bdat, 0},
    {"RSET", do_rset, 0},
    {"NOOP", do_noop, V_GROUP_END},
    {"QUIT", do_quit, V_GROUP_END},
    {"VRFY", do_vrfy, V_GROUP_END},
    {"HELP", do_help, V_GROUP_END},
    {"XCLIENT", do_xclient, V_GROUP_END},
    {"STARTTLS", do_starttls, V_GROUP_END},
    /* Not offered on Gmail's MX (REFERENCE.md 7). */
    {"AUTH", do_unimplemented, V_GROUP_END},
    {"EXPN", do_unimplemented, V_GROUP_END},
    {"ETRN", do_unimplemented, V_GROUP_END},
    {"TURN", do_unimplemented, V_GROUP_END},
    {"ATRN", do_unimplemented, V_GROUP_END},
    {"BURL", do_unimplemented, 0},
    {"SEND", do_unimplemented, 0},
    {"SOML", do_unimplemented, 0},
    {"SAML", do_unimplemented, 0},
};

void session_config_defaults(struct session_config *cfg)
{
    static const char *const gmail_domains[] = {"gmail.com", "googlemail.com", NULL};
    cfg->hostname = "mx.google.com";
    cfg->line_max = SESSION_LINE_MAX_DEFAULT;
    cfg->rcpt_max = SESSION_RCPT_MAX_DEFAULT;
    cfg->size_max = SESSION_SIZE_MAX_DEFAULT;
    cfg->junk_max = SESSION_JUNK_MAX_DEFAULT;
    cfg->accept_domains = gmail_domains;
    cfg->starttls = false;
    cfg->advertise_xclient = false;
}

const char *session_source_name(enum session_source src)
{
    switch (src) {
    case SESSION_SRC_XCLIENT:
        return "xclient";
    case SESSION_SRC_PROXY:
        return "proxy";
    case SESSION_SRC_MAP:
        return "map";
    default:
        return "socket";
    }
}

static void reply(struct session *s, enum smtp_reply_id id, const char *arg)
{
    smtp_reply_write(&s->out, id, arg, s->sid);
    if (smtp_reply_def(id)->close)
        s->closing = true;
}

struct session *session_new(const struct session_config *cfg, const struct session_ops *ops,
                            void *arg, const char *sid, const struct session_client *client)
{
    struct session *s = au_xcalloc(1, sizeof *s);
    s->cfg = cfg;
    s->ops = ops;
    s->arg = arg;
    snprintf(s->sid, sizeof s->sid, "%s", sid);
    s->client = *client;
    s->state = ST_GREETING;
    au_buf_init(&s->in, SESSION_IN_MAX > cfg->line_max ? SESSION_IN_MAX : cfg->line_max);
    au_buf_init(&s->out, AU_BUF_NOLIMIT);
    au_buf_init(&s->txn.msg, cfg->size_max);
    au_buf_init(&s->scratch, SESSION_NAME_MAX);
    return s;
}

void session_free(struct session *s)
{
    if (s == NULL)
        return;
    au_buf_free(&s->in);
    au_buf_free(&s->out);
    au_buf_free(&s->txn.msg);
    au_buf_free(&s->scratch);
    free(s->txn.rcpt);
    free(s);
}

/* Forgets the transaction, keeping its storage for the next one. */
static void txn_reset(struct session *s)
{
    struct session_txn *t = &s->txn;
    memset(&t->from, 0, sizeof t->from);
    memset(&t->params, 0, sizeof t->params);
    t->nrcpt = 0;
    t->nrefused = 0;
    au_buf_reset(&t->msg);
    t->size = 0;
    t->too_big = false;
    t->bdat = false;
    t->active = false;
    if (s->state != ST_GREETING)
        s->state = ST_READY;
}

/* Ends a transaction that had no verdict, telling the owner. */
static void txn_abandon(struct session *s, enum session_txn_end how)
{
    if (s->txn.active && s->ops->txn_end)
        s->ops->txn_end(s->arg, s, how);
    txn_reset(s);
}

void session_start(struct session *s)
{
    reply(s, R_BANNER, s->cfg->hostname);
}

void session_refuse(struct session *s, enum smtp_reply_id id, enum session_txn_end how)
{
    if (s->state != ST_WAIT)
        txn_abandon(s, how);
    reply(s, id, NULL);
    s->closing = true;
}

void session_abort(struct session *s)
{
    if (s->state != ST_WAIT)
        txn_abandon(s, SESSION_END_DISCONNECT);
    s->closing = true;
}

void session_drain(struct session *s)
{
    s->draining = true;
    if (!s->closing && !session_in_txn(s) && !s->chunk_active)
        reply(s, R_SHUTDOWN, NULL);
}

char *session_read_space(struct session *s, size_t *len)
{
    /* Read in pieces of a useful size; the maximum bounds what a peer can
     * make us hold while we are waiting for a verdict. */
    size_t want = s->in.max - s->in.len;
    if (want == 0 || s->tls_pending)
        return NULL;
    if (want > 16384)
        want = 16384;
    return au_buf_space(&s->in, want, len);
}

void session_read_commit(struct session *s, size_t n)
{
    au_buf_commit(&s->in, n);
}

struct au_buf *session_output(struct session *s)
{
    return &s->out;
}

bool session_closing(const struct session *s)
{
    return s->closing;
}

bool session_waiting(const struct session *s)
{
    return s->state == ST_WAIT;
}

bool session_in_txn(const struct session *s)
{
    return s->txn.active || s->state == ST_WAIT;
}

const char *session_id(const struct session *s)
{
    return s->sid;
}

const struct session_client *session_client(const struct session *s)
{
    return &s->client;
}

const struct session_txn *session_txn(const struct session *s)
{
    return &s->txn;
}

/* Counts a bad command; at the limit, says goodbye instead of final. */
static void junk(struct session *s, enum smtp_reply_id final, enum smtp_reply_id goodbye,
                 const char *arg)
{
    if (++s->junk >= s->cfg->junk_max) {
        txn_abandon(s, SESSION_END_QUIT);
        reply(s, goodbye, NULL);
        return;
    }
    reply(s, final, arg);
}

/* A peer's text as shown inside a reply: at most SESSION_SHOWN_MAX bytes,
 * control bytes (and 8-bit bytes unless keep_8bit) replaced by '?', so that
 * it can never break the reply line. out has room for cap bytes. */
static void shown(char *out, size_t cap, const char *p, size_t n, bool keep_8bit)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap && k < SESSION_SHOWN_MAX; i++) {
        unsigned char c = (unsigned char)p[i];
        out[k++] = c < 32 || c == 127 || (c >= 128 && !keep_8bit) ? '?' : (char)c;
    }
    out[k] = '\0';
}

static bool has_ctl(struct au_slice a)
{
    for (size_t i = 0; i < a.len; i++)
        if (a.ptr[i] == '\0' || a.ptr[i] == '\r' || a.ptr[i] == '\n')
            return true;
    return false;
}

/* --- content ------------------------------------------------------------ */

static void content_append(struct session *s, const char *p, size_t n)
{
    struct session_txn *t = &s->txn;
    t->size += n;
    if (t->too_big)
        return;
    if (t->size > s->cfg->size_max) {
        /* Over the limit: keep counting, hold nothing more. */
        t->too_big = true;
        au_buf_reset(&t->msg);
        return;
    }
    size_t from = t->msg.len;
    au_buf_append(&t->msg, p, n);
    if (s->ops->data)
        s->ops->data(s->arg, s, from, t->msg.len);
}

static void content_end(struct session *s)
{
    if (s->txn.too_big) {
        /* Refused without a verdict: the checks never saw the whole message. */
        if (s->ops->txn_end)
            s->ops->txn_end(s->arg, s, SESSION_END_SIZE);
        txn_reset(s);
        reply(s, R_SIZE, NULL);
        return;
    }
    s->state = ST_WAIT;
    if (s->ops->eod)
        s->ops->eod(s->arg, s);
}

/* Consumes DATA content from the input. Returns bytes consumed. */
static size_t data_scan(struct session *s, const char *p, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        if (s->data_bol) {
            if (p[pos] == '.') {
                if (pos + 1 >= len)
                    break;   /* need the next byte to decide */
                if (p[pos + 1] == '\r') {
                    if (pos + 2 >= len)
                        break;
                    if (p[pos + 2] == '\n') {
                        pos += 3;
                        content_end(s);
                        return pos;
                    }
                }
                pos++;   /* a stuffed dot: drop it (RFC 5321 4.5.2) */
            }
            s->data_bol = false;
            if (pos >= len)
                break;
        }
        const char *lf = memchr(p + pos, '\n', len - pos);
        size_t end = lf ? (size_t)(lf - p) + 1 : len;
        content_append(s, p + pos, end - pos);
        if (lf) {
            bool cr = lf > p + pos ? lf[-1] == '\r' : s->data_prev_cr;
            s->data_bol = cr;
            s->data_prev_cr = false;
        } else {
            s->data_prev_cr = p[end - 1] == '\r';
        }
        pos = end;
    }
    return pos;
}

/* Consumes BDAT chunk bytes from the input. Returns bytes consumed. */
static size_t chunk_scan(struct session *s, const char *p, size_t len)
{
    size_t n = len < s->chunk_left ? len : (size_t)s->chunk_left;
    if (!s->chunk_discard && n > 0)
        content_append(s, p, n);
    s->chunk_left -= n;
    if (s->chunk_left > 0)
        return n;
    s->chunk_active = false;
    if (s->chunk_discard) {
        reply(s, s->chunk_reply, NULL);
        if (s->draining && !session_in_txn(s))
            reply(s, R_SHUTDOWN, NULL);
        return n;
    }
    if (s->txn.too_big) {
        /* RFC 3030 2: the chunk is read, the transaction fails. */
        content_end(s);
        return n;
    }
    if (s->chunk_last)
        content_end(s);
    else
        reply(s, R_BDAT_OK, NULL);
    return n;
}

/* --- commands ------------------------------------------------------------ */

static void dispatch(struct session *s, struct au_slice line)
{
    const char *sp = memchr(line.ptr, ' ', line.len);
    struct au_slice verb = au_slice_make(line.ptr, sp ? (size_t)(sp - line.ptr) : line.len);
    struct au_slice arg = sp ? au_slice_make(sp + 1, line.len - verb.len - 1)
                             : au_slice_make("", 0);
    /* Trailing blanks are common and harmless; leading blanks before an
     * argument are tolerated as well. */
    arg = au_slice_trim(arg);
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (!au_slice_eq_ci(verb, verbs[i].name))
            continue;
        if (has_ctl(arg)) {
            bool path = verbs[i].fn == do_mail || verbs[i].fn == do_rcpt;
            junk(s, path ? R_SYNTAX : R_ARGS, R_SYNTAX_GOODBYE, NULL);
            return;
        }
        verbs[i].fn(s, arg);
        return;
    }
    junk(s, R_UNRECOGNIZED, R_TOO_MANY_UNRECOGNIZED, NULL);
}

static void ehlo_common(struct session *s, struct au_slice arg, bool esmtp)
{
    if (arg.len == 0) {
        reply(s, R_HELO_EMPTY, NULL);
        return;
    }
    if (!smtp_helo_valid(arg)) {
        char text[SESSION_SHOWN_MAX + 1];
        shown(text, sizeof text, arg.ptr, arg.len, false);
        reply(s, R_HELO_INVALID, text);
        return;
    }
    if (s->state == ST_WAIT)
        return;
    txn_abandon(s, SESSION_END_EHLO);
    memcpy(s->client.helo, arg.ptr, arg.len);
    s->client.helo[arg.len] = '\0';
    s->client.esmtp = esmtp;
    s->state = ST_READY;
}

static void do_ehlo(struct session *s, struct au_slice arg)
{
    ehlo_common(s, arg, true);
    if (s->closing)
        return;
    char first[SESSION_NAME_MAX + INET6_ADDRSTRLEN + 32];
    char size[32];
    snprintf(first, sizeof first, "%s at your service, [%s]", s->cfg->hostname, s->client.ip);
    snprintf(size, sizeof size, "SIZE %llu", (unsigned long long)s->cfg->size_max);
    const char *lines[10];
    size_t n = 0;
    lines[n++] = first;
    lines[n++] = size;
    lines[n++] = "8BITMIME";
    if (s->cfg->starttls && !s->tls_active)
        lines[n++] = "STARTTLS";
    lines[n++] = "ENHANCEDSTATUSCODES";
    lines[n++] = "PIPELINING";
    lines[n++] = "CHUNKING";
    /* Not Gmail's: only on request, for test clients (swaks) that send
     * XCLIENT only when it is advertised. */
    if (s->cfg->advertise_xclient && s->client.xclient_ok)
        lines[n++] = "XCLIENT ADDR NAME HELO PROTO PORT LOGIN DESTADDR DESTPORT";
    lines[n++] = "SMTPUTF8";
    au_reply_format(&s->out, 250, NULL, lines, n, NULL);
}

static void do_helo(struct session *s, struct au_slice arg)
{
    ehlo_common(s, arg, false);
    if (!s->closing)
        reply(s, R_HELO, s->cfg->hostname);
}

/* The address as the client wrote it, for a 553 reply, made printable. */
static void shown_path(struct au_slice arg, const char *keyword, char *out, size_t cap)
{
    const char *lt = memchr(arg.ptr, '<', arg.len);
    const char *p = lt ? lt + 1 : arg.ptr + strlen(keyword);
    const char *end = arg.ptr + arg.len;
    const char *gt = memchr(p, '>', (size_t)(end - p));
    if (gt)
        end = gt;
    shown(out, cap, p, (size_t)(end - p), true);   /* UTF-8 addresses stay readable */
}

static void do_mail(struct session *s, struct au_slice arg)
{
    if (s->state == ST_GREETING) {
        reply(s, R_HELO_FIRST, NULL);
        return;
    }
    if (s->txn.active) {
        reply(s, R_NESTED_MAIL, NULL);
        return;
    }
    struct au_slice params;
    struct smtp_path path;
    enum smtp_parse_rc rc = smtp_parse_path(arg, "FROM:", true, false, &path, &params);
    if (rc == SMTP_ESYNTAX) {
        junk(s, R_SYNTAX, R_SYNTAX_GOODBYE, NULL);
        return;
    }
    if (rc == SMTP_EADDRESS) {
        char text[SESSION_SHOWN_MAX + 1];
        shown_path(arg, "FROM:", text, sizeof text);
        reply(s, R_SENDER_INVALID, text);
        return;
    }
    struct smtp_mail_params mp;
    if (smtp_parse_mail_params(params, &mp) != SMTP_OK) {
        junk(s, R_SYNTAX, R_SYNTAX_GOODBYE, NULL);
        return;
    }
    if (mp.size_overflow || mp.size > s->cfg->size_max) {
        reply(s, R_SIZE, NULL);
        return;
    }
    s->txn.from = path;
    s->txn.params = mp;
    s->txn.active = true;
    s->state = ST_MAIL;
    reply(s, R_MAIL_OK, NULL);
    if (s->ops->mail)
        s->ops->mail(s->arg, s);
}

static bool domain_accepted(const struct session *s, const char *domain)
{
    const char *const *d = s->cfg->accept_domains;
    if (d == NULL)
        return true;
    for (; *d; d++)
        if (strcmp(*d, "*") == 0 || strcasecmp(*d, domain) == 0)
            return true;
    return false;
}

static void rcpt_refuse(struct session *s, enum smtp_reply_id id, const char *arg)
{
    s->txn.nrefused++;
    s->txn.last_refusal = id;
    reply(s, id, arg);
}

static void do_rcpt(struct session *s, struct au_slice arg)
{
    if (s->state == ST_GREETING) {
        reply(s, R_HELO_FIRST, NULL);
        return;
    }
    if (!s->txn.active) {
        reply(s, R_MAIL_FIRST, NULL);
        return;
    }
    /* RFC 5321 4.1.1.3: <Postmaster> without a domain is always a recipient. */
    struct au_slice params;
    struct smtp_path path;
    enum smtp_parse_rc rc;
    if (au_slice_eq_ci(arg, "TO:<postmaster>")) {
        memset(&path, 0, sizeof path);
        snprintf(path.addr, sizeof path.addr, "postmaster");
        params = au_slice_make("", 0);
        rc = SMTP_OK;
    } else {
        rc = smtp_parse_path(arg, "TO:", false, s->txn.params.smtputf8, &path, &params);
    }
    if (rc == SMTP_ESYNTAX) {
        junk(s, R_SYNTAX, R_SYNTAX_GOODBYE, NULL);
        return;
    }
    if (rc == SMTP_EADDRESS || (path.utf8 && !s->txn.params.smtputf8)) {
        char text[SESSION_SHOWN_MAX + 1];
        shown_path(arg, "TO:", text, sizeof text);
        rcpt_refuse(s, R_RCPT_INVALID, text);
        return;
    }
    if (params.len > 0) {
        /* No RCPT parameters are offered (no DSN on Gmail's MX). */
        junk(s, R_SYNTAX, R_SYNTAX_GOODBYE, NULL);
        return;
    }
    if (s->txn.nrcpt >= s->cfg->rcpt_max) {
        rcpt_refuse(s, R_TOO_MANY_RCPTS, NULL);
        return;
    }
    if (path.at > 0 && !domain_accepted(s, path.addr + path.at + 1)) {
        rcpt_refuse(s, R_NO_SUCH_USER, NULL);
        return;
    }
    if (s->txn.nrcpt == s->txn.rcpt_cap) {
        unsigned cap = s->txn.rcpt_cap ? s->txn.rcpt_cap * 2 : 4;
        if (cap > s->cfg->rcpt_max)
            cap = s->cfg->rcpt_max;
        s->txn.rcpt = au_xrealloc(s->txn.rcpt, cap * sizeof *s->txn.rcpt);
        s->txn.rcpt_cap = cap;
    }
    memcpy(s->txn.rcpt[s->txn.nrcpt++], path.addr, sizeof path.addr);
    s->state = ST_RCPT;
    reply(s, R_RCPT_OK, NULL);
}

static void do_data(struct session *s, struct au_slice arg)
{
    if (s->state == ST_GREETING) {
        reply(s, R_HELO_FIRST, NULL);
        return;
    }
    if (s->txn.bdat) {
        reply(s, R_NO_DATA_AFTER_BDAT, NULL);
        return;
    }
    if (!s->txn.active) {
        reply(s, R_MAIL_FIRST, NULL);
        return;
    }
    if (s->txn.nrcpt == 0) {
        reply(s, R_RCPT_FIRST, NULL);
        return;
    }
    if (arg.len > 0) {
        junk(s, R_ARGS, R_SYNTAX_GOODBYE, NULL);
        return;
    }
    s->state = ST_DATA;
    s->data_bol = true;
    s->data_prev_cr = false;
    reply(s, R_DATA_GO, NULL);
}

static void do_bdat(struct session *s, struct au_slice arg)
{
    uint64_t size;
    bool last;
    if (smtp_parse_bdat(arg, &size, &last) < 0) {
        /* The chunk size is unknown, so its bytes will arrive as commands;
         * they count as junk and end the session if there are many. */
        junk(s, R_ARGS, R_SYNTAX_GOODBYE, NULL);
        return;
    }
    s->chunk_active = true;
    s->chunk_left = size;
    s->chunk_last = last;
    s->chunk_discard = false;
    /* RFC 3030 2: a refused BDAT still has its chunk read. */
    if (s->state == ST_GREETING) {
        s->chunk_discard = true;
        s->chunk_reply = R_HELO_FIRST;
    } else if (!s->txn.active) {
        s->chunk_discard = true;
        s->chunk_reply = R_MAIL_FIRST;
    } else if (s->txn.nrcpt == 0) {
        s->chunk_discard = true;
        s->chunk_reply = R_RCPT_FIRST;
    } else {
        s->txn.bdat = true;
    }
    if (size == 0)
        chunk_scan(s, "", 0);
}

static void do_rset(struct session *s, struct au_slice arg)
{
    if (arg.len > 0) {
        junk(s, R_ARGS, R_SYNTAX_GOODBYE, NULL);
        return;
    }
    txn_abandon(s, SESSION_END_RSET);
    reply(s, R_RSET, NULL);
    if (s->draining)
        reply(s, R_SHUTDOWN, NULL);
}

static void do_noop(struct session *s, struct au_slice arg)
{
    reply(s, R_NOOP, NULL);
}

static void do_quit(struct session *s, struct au_slice arg)
{
    txn_abandon(s, SESSION_END_QUIT);
    reply(s, R_QUIT, NULL);
}

static void do_vrfy(struct session *s, struct au_slice arg)
{
    if (arg.len == 0) {
        junk(s, R_ARGS, R_SYNTAX_GOODBYE, NULL);
        return;
    }
    reply(s, R_VRFY, NULL);
}

static void do_help(struct session *s, struct au_slice arg)
{
    reply(s, R_HELP, NULL);
}

static void do_unimplemented(struct session *s, struct au_slice arg)
{
    reply(s, R_UNIMPLEMENTED, NULL);
}

static void do_starttls(struct session *s, struct au_slice arg)
{
    /* Not offered (no TLS context, or TLS already on): as any command the
     * MX does not offer. */
    if (!s->cfg->starttls || s->tls_active) {
        reply(s, R_UNIMPLEMENTED, NULL);
        return;
    }
    if (s->in.len > s->line_end) {
        /* RFC 3207 4: STARTTLS ends a pipelined group. What follows it was
         * sent in plaintext and must never be taken as coming over TLS. */
        s->discard_input = true;
        reply(s, R_STARTTLS_PIPELINED, NULL);
        s->closing = true;
        return;
    }
    if (arg.len > 0) {
        reply(s, R_STARTTLS_PARAMS, NULL);
        return;
    }
    if (session_in_txn(s)) {
        reply(s, R_STARTTLS_IN_TXN, NULL);
        return;
    }
    reply(s, R_STARTTLS_READY, NULL);
    s->tls_pending = true;
}

bool session_tls_pending(const struct session *s)
{
    return s->tls_pending;
}

bool session_tls_active(const struct session *s)
{
    return s->tls_active;
}

void session_tls_started(struct session *s)
{
    s->tls_pending = false;
    s->tls_active = true;
    /* RFC 3207 4.2: discard what the client said before TLS; a new EHLO is due. */
    s->client.helo[0] = '\0';
    s->client.esmtp = false;
    s->junk = 0;
    s->state = ST_GREETING;
    txn_reset(s);
}

void session_set_client(struct session *s, const struct session_client *client)
{
    s->client = *client;
}

/* XCLIENT attribute values that mean "no value" (Postfix XCLIENT_README). */
static bool xclient_unavailable(const char *v)
{
    return strcasecmp(v, "[UNAVAILABLE]") == 0 || strcasecmp(v, "[TEMPUNAVAIL]") == 0;
}

static void do_xclient(struct session *s, struct au_slice arg)
{
    if (!s->client.xclient_ok) {
        reply(s, R_XCLIENT_DENIED, NULL);
        return;
    }
    if (session_in_txn(s)) {
        reply(s, R_XCLIENT_IN_TXN, NULL);
        return;
    }
    if (arg.len == 0) {
        junk(s, R_ARGS, R_SYNTAX_GOODBYE, NULL);
        return;
    }
    struct session_client c = s->client;
    struct au_slice rest = arg;
    while (rest.len > 0) {
        const char *sp = memchr(rest.ptr, ' ', rest.len);
        struct au_slice word = au_slice_make(rest.ptr, sp ? (size_t)(sp - rest.ptr) : rest.len);
        rest = sp ? au_slice_trim(au_slice_make(sp + 1, rest.len - word.len - 1))
                  : au_slice_make("", 0);
        const char *eq = memchr(word.ptr, '=', word.len);
        char name[16];
        size_t nl = eq ? (size_t)(eq - word.ptr) : word.len;
        if (eq == NULL || nl == 0 || nl >= sizeof name ||
            smtp_xtext_decode(au_slice_make(eq + 1, word.len - nl - 1), &s->scratch) < 0) {
            char text[SESSION_XCLIENT_NAME_SHOWN + 1];
            shown(text, sizeof text, word.ptr, nl, false);
            reply(s, R_XCLIENT_SYNTAX, text);
            return;
        }
        memcpy(name, word.ptr, nl);
        name[nl] = '\0';
        const char *v = s->scratch.data ? s->scratch.data : "";
        bool unavailable = xclient_unavailable(v);
        if (strcasecmp(name, "ADDR") == 0) {
            unsigned char bin[16];
            const char *a = v;
            if (strncasecmp(a, "IPV6:", 5) == 0)
                a += 5;
            if (unavailable) {
                continue;
            } else if (inet_pton(AF_INET, a, bin) == 1 || inet_pton(AF_INET6, a, bin) == 1) {
                snprintf(c.ip, sizeof c.ip, "%s", a);
                c.source = SESSION_SRC_XCLIENT;
            } else {
                reply(s, R_XCLIENT_SYNTAX, "ADDR");
                return;
            }
        } else if (strcasecmp(name, "NAME") == 0) {
            snprintf(c.name, sizeof c.name, "%s", unavailable ? "" : v);
        } else if (strcasecmp(name, "HELO") == 0) {
            snprintf(c.helo, sizeof c.helo, "%s", unavailable ? "" : v);
        } else if (strcasecmp(name, "PORT") == 0) {
            char *end;
            unsigned long p = strtoul(v, &end, 10);
            if (!unavailable && (*v == '\0' || *end != '\0' || p > 65535)) {
                reply(s, R_XCLIENT_SYNTAX, "PORT");
                return;
            }
            if (!unavailable)
                c.port = (unsigned)p;
        } else if (strcasecmp(name, "PROTO") == 0) {
            if (strcasecmp(v, "ESMTP") == 0)
                c.esmtp = true;
            else if (strcasecmp(v, "SMTP") == 0)
                c.esmtp = false;
            else if (!unavailable) {
                reply(s, R_XCLIENT_SYNTAX, "PROTO");
                return;
            }
        } else if (strcasecmp(name, "LOGIN") == 0 || strcasecmp(name, "DESTADDR") == 0 ||
                   strcasecmp(name, "DESTPORT") == 0) {
            /* Accepted and ignored: nothing here depends on them. */
        } else {
            reply(s, R_XCLIENT_SYNTAX, name);
            return;
        }
    }
    s->client = c;
    /* Postfix semantics: the session restarts at the greeting. */
    s->state = ST_GREETING;
    reply(s, R_BANNER, s->cfg->hostname);
    if (s->ops->client_changed)
        s->ops->client_changed(s->arg, s);
}

void session_process(struct session *s)
{
    size_t pos = 0;
    while (!s->closing && !s->tls_pending && s->state != ST_WAIT && pos < s->in.len) {
        const char *p = s->in.data + pos;
        size_t len = s->in.len - pos;
        if (s->chunk_active) {
            pos += chunk_scan(s, p, len);
            continue;
        }
        if (s->state == ST_DATA) {
            size_t used = data_scan(s, p, len);
            if (used == 0)
                break;   /* a lone "." or ".\r" at the end: wait for more */
            pos += used;
            continue;
        }
        const char *lf = memchr(p, '\n', len);
        if (s->skip_line) {
            /* The rest of an overlong line: thrown away up to its end. */
            pos += lf ? (size_t)(lf - p) + 1 : len;
            if (lf)
                s->skip_line = false;
            continue;
        }
        if (lf == NULL) {
            if (len >= s->cfg->line_max) {
                s->skip_line = true;
                pos += len;
                junk(s, R_LINE_TOO_LONG, R_SYNTAX_GOODBYE, NULL);
            }
            break;
        }
        size_t n = (size_t)(lf - p);
        pos += n + 1;
        if (n + 1 > s->cfg->line_max) {
            junk(s, R_LINE_TOO_LONG, R_SYNTAX_GOODBYE, NULL);
            continue;
        }
        if (n > 0 && p[n - 1] == '\r')
            n--;
        s->line_end = pos;
        dispatch(s, au_slice_make(p, n));
        if (s->discard_input) {
            s->discard_input = false;
            pos = s->in.len;
        }
    }
    au_buf_consume(&s->in, pos);
}

void session_eod_done(struct session *s, int code, const char *enhanced,
                      const char *const *lines, size_t n, bool close)
{
    au_reply_format(&s->out, code, enhanced, lines, n, s->sid);
    if (close)
        s->closing = true;
    s->state = ST_READY;
    txn_reset(s);
    if (s->draining && !s->closing)
        reply(s, R_SHUTDOWN, NULL);
}

void session_eod_done_id(struct session *s, enum smtp_reply_id id, const char *arg)
{
    const struct smtp_reply_def *d = smtp_reply_def(id);
    struct smtp_reply_text rt;
    smtp_reply_render(id, arg, &rt);
    session_eod_done(s, d->code, d->enhanced, rt.lines, rt.n, d->close);
}

void session_trim(struct session *s)
{
    if (s->in.len == 0 && s->in.cap > SESSION_IDLE_KEEP)
        au_buf_free(&s->in);
    if (s->out.len == 0 && s->out.cap > SESSION_IDLE_KEEP)
        au_buf_free(&s->out);
}
