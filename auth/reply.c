/*
 * reply - SMTP reply layout (see reply.h).
 *
 * Public: au_reply_format, au_reply_write, au_reply_add_line, au_reply_clear.
 * RFC 5321 section 4.2 (multi-line replies),
 * RFC 2034 (enhanced codes on every line), REFERENCE.md section 2.1.
 */
#include "reply.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void au_reply_format(struct au_buf *out, int code, const char *enhanced,
                     const char *const *lines, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++) {
        int last = i + 1 == n;
        const char *text = lines[i];
        size_t len = strlen(text);
        if (len > AU_REPLY_LINE_MAX)
            len = AU_REPLY_LINE_MAX;
        au_buf_printf(out, "%03d%c", code, last ? ' ' : '-');
        if (enhanced)
            au_buf_printf(out, "%s ", enhanced);
        au_buf_append(out, text, len);
        if (last && id)
            au_buf_printf(out, " %s - gsmtp", id);
        au_buf_append(out, "\r\n", 2);
    }
}

void au_reply_add_line(struct au_reply *r, const char *text, size_t len)
{
    if (r->n >= AU_REPLY_LINES_MAX)
        return;
    r->lines[r->n++] = au_xstrndup(text, len);
}

void au_reply_clear(struct au_reply *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->lines[i]);
    r->n = 0;
}

void au_reply_write(struct au_buf *out, const struct au_reply *r, const char *id)
{
    au_reply_format(out, r->code, r->enhanced[0] ? r->enhanced : NULL,
                    (const char *const *)r->lines, r->n, id);
}
