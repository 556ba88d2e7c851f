/*
 * reply - the one place an SMTP reply is laid out on the wire
 * (ARCHITECTURE.md principle 6, REFERENCE.md section 2).
 *
 * Every reply of the receiver, protocol or policy, goes through
 * au_reply_format: "CODE-ENH text" on every line but the last, "CODE ENH
 * text" on the last, and Gmail's trailer " <id> - gsmtp" on the last line
 * only.  An empty text line becomes "CODE-ENH " (the one-space blank line of
 * the transcripts); a line that should be indented (Gmail's "  Authentication
 * results:" and URL lines) carries its own leading space in the text.
 */
#ifndef AU_REPLY_H
#define AU_REPLY_H

#include <stddef.h>

#include "buf.h"

#define AU_REPLY_LINES_MAX 24
#define AU_REPLY_LINE_MAX 510   /* RFC 5321 4.5.3.1.5: 512 with CRLF */

/* Appends the reply to out. enhanced may be NULL (no enhanced code: the
 * banner, EHLO); id may be NULL (no trailer: EHLO, "Ready to start TLS").
 * n >= 1. Lines longer than AU_REPLY_LINE_MAX are cut there. */
void au_reply_format(struct au_buf *out, int code, const char *enhanced,
                     const char *const *lines, size_t n, const char *id);

/*
 * A reply as a value: what the policy catalogue renders and the receiver
 * both writes (au_reply_write) and logs as {"code","enhanced","text"}.
 * lines[i] are owned by the reply (see au_reply_clear); enhanced is "" when
 * the reply has no enhanced code.
 */
struct au_reply {
    int code;
    char enhanced[16];
    size_t n;
    char *lines[AU_REPLY_LINES_MAX];
};

/* Appends a line to the reply (an owned copy of len bytes); a no-op once AU_REPLY_LINES_MAX
 * lines are held. */
void au_reply_add_line(struct au_reply *r, const char *text, size_t len);
/* Frees the lines and empties the reply (code and enhanced kept). */
void au_reply_clear(struct au_reply *r);
/* au_reply_format of r (r->n >= 1); id as for au_reply_format. */
void au_reply_write(struct au_buf *out, const struct au_reply *r, const char *id);

#endif
