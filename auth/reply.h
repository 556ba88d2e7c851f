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

#endif
