/*
 * smtp_reply - the protocol replies of the receiver, as data.
 *
 * Each entry is one reply of Gmail's MX (REFERENCE.md sections 1.1, 1.4, 7):
 * code, enhanced code, its lines laid out as on the wire, whether the
 * session closes after it, and where the words come from.  Policy verdicts
 * (5.7.x) live in the policy catalogue; both are written through
 * au_reply_format, the one layout function.
 *
 * A line may hold one "%s", filled from the caller's argument (an address,
 * a host name, a number), so that no reply text is built anywhere else.
 */
#ifndef SMTPD_SMTP_REPLY_H
#define SMTPD_SMTP_REPLY_H

#include <stdbool.h>

#include "buf.h"

enum smtp_reply_id {
    R_BANNER,              /* 220 <host> ESMTP <id> - gsmtp */
    R_HELO,                /* 250 <host> at your service */
    R_MAIL_OK,
    R_RCPT_OK,
    R_DATA_GO,
    R_EOD_OK,              /* arg: the epoch seconds */
    R_BDAT_OK,
    R_QUIT,
    R_RSET,
    R_NOOP,
    R_HELP,
    R_VRFY,
    R_UNRECOGNIZED,
    R_TOO_MANY_UNRECOGNIZED,
    R_UNIMPLEMENTED,
    R_HELO_FIRST,
    R_MAIL_FIRST,
    R_RCPT_FIRST,
    R_NESTED_MAIL,
    R_NO_DATA_AFTER_BDAT,
    R_SYNTAX,
    R_SYNTAX_GOODBYE,
    R_ARGS,
    R_LINE_TOO_LONG,
    R_HELO_EMPTY,
    R_HELO_INVALID,        /* arg: the argument */
    R_SENDER_INVALID,      /* arg: the address */
    R_RCPT_INVALID,        /* arg: the address */
    R_NO_SUCH_USER,
    R_TOO_MANY_RCPTS,
    R_SIZE,
    R_TIMEOUT,
    R_BUSY,
    R_TRY_LATER,
    R_XCLIENT_DENIED,
    R_XCLIENT_IN_TXN,
    R_XCLIENT_SYNTAX,
    R_STORE_FAILED,
    R_SHUTDOWN,
    R_STARTTLS_READY,      /* 220 2.0.0 Ready to start TLS (no trailer) */
    R_STARTTLS_PIPELINED,  /* 523 5.7.10: commands pipelined after STARTTLS */
    R_STARTTLS_PARAMS,     /* 501 5.7.11: STARTTLS with an argument */
    R_STARTTLS_IN_TXN,     /* 503 5.5.1: STARTTLS inside a mail transaction */
    R__COUNT
};

struct smtp_reply_def {
    int code;
    const char *enhanced;     /* NULL: none */
    const char *lines[6];     /* NULL-terminated: at most SMTP_REPLY_LINES_MAX - 1 */
    bool trailer;             /* " <id> - gsmtp" on the last line */
    bool close;               /* the session ends after this reply */
    const char *source;       /* where the words come from */
};

#define SMTP_REPLY_LINES_MAX 6

/* A reply's lines with its argument filled in. */
struct smtp_reply_text {
    char text[SMTP_REPLY_LINES_MAX][512];
    const char *lines[SMTP_REPLY_LINES_MAX];
    size_t n;
};

/* Fills out with the lines of reply id, "%s" replaced by arg (NULL: ""). */
void smtp_reply_render(enum smtp_reply_id id, const char *arg, struct smtp_reply_text *out);

/* The definition of a reply. */
const struct smtp_reply_def *smtp_reply_def(enum smtp_reply_id id);

/* Appends reply id to out, "%s" in its lines replaced by arg (NULL: ""),
 * the trailer with session id sid where the definition asks for one. */
void smtp_reply_write(struct au_buf *out, enum smtp_reply_id id, const char *arg,
                      const char *sid);

#endif
