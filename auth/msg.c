/*
 * msg - streaming RFC 5322 splitter (RFC 5322 sections 2.1, 2.2, 2.2.3).
 *
 * Public: au_msg_new, au_msg_free, au_msg_reset, au_msg_set_sink,
 * au_msg_feed, au_msg_finish, au_msg_error, au_msg_header_bytes,
 * au_msg_field_count, au_msg_field_name.
 *
 * The header block is gathered line by line into one buffer: a field is
 * only complete when the next line is seen not to begin with WSP, so the
 * buffer holds the pending field plus the line being read.  The empty line
 * (CRLF or bare LF) ends the headers; everything after it goes to the body
 * callback in the caller's own chunks, without copying.
 *
 * Limits: AU_MSG_HEADER_MAX bytes of header block, AU_MSG_FIELDS_MAX
 * fields.  Crossing either is an error state, never an abort.
 */
#include "msg.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

enum phase { PH_HEADERS, PH_BODY, PH_DONE };

struct au_msg {
    struct au_msg_sink sink;
    struct au_buf cur; /* pending field, then the line being read */
    size_t line_start; /* offset of the line being read in cur */
    size_t header_bytes;
    size_t fields;
    enum phase phase;
    enum au_msg_error err;
};

struct au_msg *au_msg_new(const struct au_msg_sink *sink)
{
    struct au_msg *m = au_xcalloc(1, sizeof *m);
    if (sink)
        m->sink = *sink;
    au_buf_init(&m->cur, AU_MSG_HEADER_MAX);
    return m;
}

void au_msg_free(struct au_msg *m)
{
    if (m == NULL)
        return;
    au_buf_free(&m->cur);
    free(m);
}

void au_msg_reset(struct au_msg *m)
{
    au_buf_reset(&m->cur);
    m->line_start = 0;
    m->header_bytes = 0;
    m->fields = 0;
    m->phase = PH_HEADERS;
    m->err = AU_MSG_OK;
}

void au_msg_set_sink(struct au_msg *m, const struct au_msg_sink *sink)
{
    m->sink = *sink;
}

enum au_msg_error au_msg_error(const struct au_msg *m)
{
    return m->err;
}

size_t au_msg_header_bytes(const struct au_msg *m)
{
    return m->header_bytes;
}

size_t au_msg_field_count(const struct au_msg *m)
{
    return m->fields;
}

struct au_slice au_msg_field_name(struct au_slice raw)
{
    const char *colon = memchr(raw.ptr, ':', raw.len);
    if (colon == NULL)
        return au_slice_make(raw.ptr, 0);
    return au_slice_trim(au_slice_make(raw.ptr, (size_t)(colon - raw.ptr)));
}

static void fail(struct au_msg *m, enum au_msg_error e)
{
    m->err = e;
    m->phase = PH_DONE;
}

/* Emits cur[0..n) as one field. Returns 0, or -1 when the field limit is crossed. */
static int emit_field(struct au_msg *m, size_t n)
{
    if (m->fields >= AU_MSG_FIELDS_MAX) {
        fail(m, AU_MSG_TOO_MANY);
        return -1;
    }
    m->fields++;
    struct au_slice raw = au_slice_make(m->cur.data, n);
    if (m->sink.field)
        m->sink.field(m->sink.arg, au_msg_field_name(raw), raw);
    return 0;
}

static void end_headers(struct au_msg *m)
{
    m->phase = PH_BODY;
    if (m->sink.end_headers)
        m->sink.end_headers(m->sink.arg);
}

/* A complete line sits at cur[line_start..len). Returns 0, or -1 on a limit. */
static int take_line(struct au_msg *m)
{
    const char *line = m->cur.data + m->line_start;
    size_t ll = m->cur.len - m->line_start;
    bool empty = (ll == 1 && line[0] == '\n') || (ll == 2 && line[0] == '\r' && line[1] == '\n');
    if (empty) {
        if (m->line_start > 0 && emit_field(m, m->line_start) < 0)
            return -1;
        au_buf_reset(&m->cur);
        m->line_start = 0;
        end_headers(m);
        return 0;
    }
    if ((line[0] == ' ' || line[0] == '\t') && m->line_start > 0) {
        /* A continuation: the line joins the pending field. */
        m->line_start = m->cur.len;
        return 0;
    }
    if (m->line_start > 0) {
        if (emit_field(m, m->line_start) < 0)
            return -1;
        au_buf_consume(&m->cur, m->line_start);
    }
    m->line_start = m->cur.len;
    return 0;
}

int au_msg_feed(struct au_msg *m, const char *p, size_t n)
{
    while (n > 0) {
        if (m->phase == PH_DONE)
            return m->err == AU_MSG_OK ? 0 : -1;
        if (m->phase == PH_BODY) {
            if (m->sink.body)
                m->sink.body(m->sink.arg, p, n);
            return 0;
        }
        const char *lf = memchr(p, '\n', n);
        size_t take = lf ? (size_t)(lf - p) + 1 : n;
        if (m->header_bytes + take > AU_MSG_HEADER_MAX || au_buf_append(&m->cur, p, take) < 0) {
            fail(m, AU_MSG_TOO_BIG);
            return -1;
        }
        m->header_bytes += take;
        p += take;
        n -= take;
        if (lf && take_line(m) < 0)
            return -1;
    }
    return m->err == AU_MSG_OK ? 0 : -1;
}

int au_msg_finish(struct au_msg *m)
{
    if (m->phase == PH_HEADERS) {
        /* A last line without its line end is a line all the same. */
        if (m->cur.len > m->line_start && take_line(m) < 0)
            return -1;
        if (m->phase == PH_HEADERS) {
            if (m->cur.len > 0 && emit_field(m, m->cur.len) < 0)
                return -1;
            au_buf_reset(&m->cur);
            m->line_start = 0;
            end_headers(m);
        }
    }
    if (m->phase == PH_BODY) {
        m->phase = PH_DONE;
        if (m->sink.end)
            m->sink.end(m->sink.arg);
    }
    return m->err == AU_MSG_OK ? 0 : -1;
}
