/*
 * msg - a streaming RFC 5322 splitter: message bytes in, header fields,
 * end of headers and body bytes out (to a sink).
 *
 * The bytes are the message as received after SMTP dot-unstuffing, in any
 * chunking down to one byte.  Lines end in CRLF; a bare LF is taken as a
 * line end too, but the raw bytes are kept as they came.  Shared by DKIM,
 * DMARC and the message-format checks, so the header block is split once.
 */
#ifndef AU_MSG_H
#define AU_MSG_H

#include <stddef.h>

#include "buf.h"

#define AU_MSG_HEADER_MAX (1024 * 1024) /* bytes of the header block, the empty line included */
#define AU_MSG_FIELDS_MAX 10000         /* header fields in one message */

enum au_msg_error {
    AU_MSG_OK = 0,
    AU_MSG_TOO_BIG,  /* the header block crossed AU_MSG_HEADER_MAX (552 5.3.4) */
    AU_MSG_TOO_MANY, /* more than AU_MSG_FIELDS_MAX fields (552 5.3.4) */
};

/*
 * The sink.  Slices are valid only during the call.  field's name is the
 * field name without surrounding whitespace (empty for a line that has no
 * colon, or a continuation line with no field before it); raw is the whole
 * field as received: name, colon, value with its folding, final line end.
 * Any callback may be NULL.
 */
struct au_msg_sink {
    void (*field)(void *arg, struct au_slice name, struct au_slice raw);
    void (*end_headers)(void *arg);
    void (*body)(void *arg, const char *p, size_t n);
    void (*end)(void *arg);
    void *arg;
};

struct au_msg;

/* Returns a new splitter feeding sink (copied). */
struct au_msg *au_msg_new(const struct au_msg_sink *sink);
/* NULL is a no-op. */
void au_msg_free(struct au_msg *m);
/* Prepares for the next message, keeping storage (and the sink). */
void au_msg_reset(struct au_msg *m);
/* Replaces the sink (for reuse with another consumer). */
void au_msg_set_sink(struct au_msg *m, const struct au_msg_sink *sink);

/* Feeds n bytes. Returns 0, or -1 once a limit was crossed (see au_msg_error):
 * from then on the sink hears nothing more for this message. */
int au_msg_feed(struct au_msg *m, const char *p, size_t n);
/* Ends the message: a last field without a line end, or a message without
 * an empty line, is flushed, end_headers is called if it was not, then end.
 * Returns 0, or -1 when a limit was crossed. */
int au_msg_finish(struct au_msg *m);
/* The error state of the current message. */
enum au_msg_error au_msg_error(const struct au_msg *m);
/* Bytes of the header block seen so far, and fields emitted. */
size_t au_msg_header_bytes(const struct au_msg *m);
size_t au_msg_field_count(const struct au_msg *m);

/* The name of a raw field: bytes before the first colon, trimmed; empty
 * when there is no colon. */
struct au_slice au_msg_field_name(struct au_slice raw);

#endif
