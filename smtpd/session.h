/*
 * session - one SMTP conversation as a sans-I/O state machine.
 *
 * The session never touches a socket, a file or the clock.  Its owner (the
 * server, a unit test, the fuzzer) follows this loop:
 *
 *     session_start(s);                      // banner into the output
 *     for (;;) {
 *         write session_output(s) to the peer, then au_buf_reset it;
 *         if (session_closing(s)) close;
 *         p = session_read_space(s, &n);     // NULL: input full, stop reading
 *         read up to n bytes into p; session_read_commit(s, got);
 *         session_process(s);                // answers every complete command
 *         if (session_waiting(s)) {          // end of data: a verdict is wanted
 *             ...later: session_eod_done(s, ...); session_process(s);
 *         }
 *     }
 *
 * Replies of pipelined commands accumulate in the output until process
 * returns, so a pipelined group is answered in one write (RFC 2920).
 * Everything a peer can send becomes a reply; nothing aborts.
 */
#ifndef SMTPD_SESSION_H
#define SMTPD_SESSION_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "smtp_parse.h"
#include "smtp_reply.h"

#define SESSION_LINE_MAX_DEFAULT 2048          /* command line, CRLF included */
#define SESSION_RCPT_MAX_DEFAULT 100           /* REFERENCE.md 7: often cited, UNCONFIRMED */
#define SESSION_SIZE_MAX_DEFAULT 157286400ULL  /* the MX's SIZE (150 MiB) */
#define SESSION_JUNK_MAX_DEFAULT 10            /* bad commands before "goodbye" */
#define SESSION_IN_MAX 65536                   /* unprocessed input held at most */
#define SESSION_IDLE_KEEP 1024                 /* buffer bytes an idle session keeps */
#define SESSION_SHOWN_MAX 128                  /* bytes of a peer's text quoted in a reply */
#define SESSION_XCLIENT_NAME_SHOWN 40          /* of a bad XCLIENT attribute's name */
#define SESSION_ID_MAX 64
#define SESSION_NAME_MAX 255

struct session_config {
    const char *hostname;            /* banner and EHLO name: "mx.google.com" */
    size_t line_max;
    unsigned rcpt_max;
    uint64_t size_max;
    unsigned junk_max;
    const char *const *accept_domains;   /* NULL-terminated; "*" accepts all */
    bool starttls;                   /* STARTTLS can be offered */
    bool advertise_xclient;          /* name XCLIENT in EHLO to clients allowed it */
};

/* Sets every limit to its named default. */
void session_config_defaults(struct session_config *cfg);

enum session_source {
    SESSION_SRC_SOCKET,
    SESSION_SRC_XCLIENT,
    SESSION_SRC_PROXY,
    SESSION_SRC_MAP,
};

const char *session_source_name(enum session_source src);

struct session_client {
    char ip[INET6_ADDRSTRLEN];
    unsigned port;
    enum session_source source;
    char name[SESSION_NAME_MAX + 1];   /* rDNS name (XCLIENT NAME); "" when unknown */
    char helo[SESSION_NAME_MAX + 1];   /* "" before EHLO/HELO */
    bool esmtp;                        /* EHLO rather than HELO */
    bool xclient_ok;                   /* may use XCLIENT */
};

/* How a transaction ended without an end-of-data verdict. */
enum session_txn_end {
    SESSION_END_RSET,
    SESSION_END_QUIT,
    SESSION_END_EHLO,
    SESSION_END_DISCONNECT,
    SESSION_END_TIMEOUT,
    SESSION_END_SIZE,        /* BDAT chunk crossed the size limit */
};

struct session_txn {
    struct smtp_path from;
    struct smtp_mail_params params;
    char (*rcpt)[SMTP_PATH_MAX + 1];   /* accepted recipients */
    unsigned nrcpt;
    unsigned rcpt_cap;
    unsigned nrefused;
    enum smtp_reply_id last_refusal;   /* valid when nrefused > 0 */
    struct au_buf msg;                 /* the content, dot-unstuffed, up to size_max */
    uint64_t size;                     /* content bytes seen, also beyond the limit */
    bool too_big;
    bool bdat;                         /* content came by BDAT */
    bool active;                       /* MAIL accepted */
};

struct session;

struct session_ops {
    /* MAIL was accepted (start SPF). May be NULL. */
    void (*mail)(void *arg, struct session *s);
    /* The client identity changed (XCLIENT): restart what depends on it. May be NULL. */
    void (*client_changed)(void *arg, struct session *s);
    /* Content bytes [from, to) were appended to txn->msg. May be NULL. */
    void (*data)(void *arg, struct session *s, size_t from, size_t to);
    /* The message is complete: decide, then call session_eod_done later.
     * May be NULL: session_waiting() says the same once process returns. */
    void (*eod)(void *arg, struct session *s);
    /* A transaction (MAIL given) ended without a verdict. May be NULL. */
    void (*txn_end)(void *arg, struct session *s, enum session_txn_end how);
};

/* Creates a session. cfg, ops and arg are borrowed and must outlive it. sid is
 * the session's trace id; client is copied. */
struct session *session_new(const struct session_config *cfg, const struct session_ops *ops,
                            void *arg, const char *sid, const struct session_client *client);
/* NULL is a no-op. Does not call txn_end: call session_abort first for that. */
void session_free(struct session *s);

/* Writes the banner. */
void session_start(struct session *s);
/* Writes reply id and closes (connection limits, idle timeout, shutdown). A
 * transaction in progress is reported through txn_end with how. */
void session_refuse(struct session *s, enum smtp_reply_id id, enum session_txn_end how);
/* The peer went away: report a transaction in progress through txn_end. */
void session_abort(struct session *s);
/* Stop after the transaction in progress (or now, when there is none). */
void session_drain(struct session *s);

/* Space to read into, at least 1 byte; NULL when the input is full. */
char *session_read_space(struct session *s, size_t *len);
void session_read_commit(struct session *s, size_t n);
/* Consumes complete commands and data; stops when waiting or closing. */
void session_process(struct session *s);

/* The verdict for the message of the waiting transaction: the reply (lines laid
 * out by the caller, as au_reply_format takes them), whether to close after it.
 * Resets the transaction. */
void session_eod_done(struct session *s, int code, const char *enhanced,
                      const char *const *lines, size_t n, bool close);
/* The same, with a protocol reply (R_EOD_OK takes the epoch as arg). */
void session_eod_done_id(struct session *s, enum smtp_reply_id id, const char *arg);

/* STARTTLS (RFC 3207): once STARTTLS got its 220, the session takes no input
 * (session_read_space returns NULL) until the owner has sent the output in
 * plaintext, switched the connection to TLS and called session_tls_started.
 * Nothing the client sent before the handshake survives: STARTTLS with
 * pipelined input gets 523 5.7.10 and closes instead. */
bool session_tls_pending(const struct session *s);
/* The handshake completed: the session starts over without a banner, as RFC
 * 3207 4.2 asks (the EHLO name is forgotten; EHLO no longer offers STARTTLS). */
void session_tls_started(struct session *s);
/* True once session_tls_started was called. */
bool session_tls_active(const struct session *s);
/* Replaces the client's identity before the banner (a PROXY header, a
 * --client-ip-map entry); client is copied. */
void session_set_client(struct session *s, const struct session_client *client);

/* Releases buffers that hold nothing, so that an idle session costs little
 * (10 000 idle sessions in well under 100 MB); they grow again on use. */
void session_trim(struct session *s);

struct au_buf *session_output(struct session *s);
bool session_closing(const struct session *s);
bool session_waiting(const struct session *s);
/* True while a transaction (MAIL given) is open or a verdict is awaited. */
bool session_in_txn(const struct session *s);
const char *session_id(const struct session *s);
const struct session_client *session_client(const struct session *s);
const struct session_txn *session_txn(const struct session *s);

#endif
