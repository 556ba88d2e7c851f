/*
 * buf - the one growable byte buffer, and slices.
 *
 * struct au_buf owns its bytes: length, capacity, and a hard maximum that an
 * append may never cross (the maximum is how a peer-controlled size stays
 * bounded: a command line, a header block, a message).  There is always one
 * spare byte after the data holding a NUL, so a buffer of text can be handed
 * to C string functions, but the length is the truth: data may contain NULs.
 *
 * struct au_slice is a view {ptr, len} into someone else's bytes.  It is never
 * assumed to be NUL-terminated and never freed.
 *
 * Growth is geometric; storage is kept across au_buf_reset so that a
 * session's buffers are allocated once and reused for every transaction.
 */
#ifndef AU_BUF_H
#define AU_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define AU_BUF_NOLIMIT ((size_t)-1)

struct au_buf {
    char *data;  /* NULL until the first append; then len+1 bytes valid */
    size_t len;  /* bytes of content */
    size_t cap;  /* bytes allocated, the spare NUL included */
    size_t max;  /* content may never exceed this */
};

struct au_slice {
    const char *ptr;
    size_t len;
};

/* Prepares an empty buffer whose content may grow up to max bytes. No allocation. */
void au_buf_init(struct au_buf *b, size_t max);
/* Releases the storage; the buffer is empty and may be reused. */
void au_buf_free(struct au_buf *b);
/* Empties the buffer, keeping its storage. */
void au_buf_reset(struct au_buf *b);

/* Makes room for extra more bytes. Returns 0, or -1 when len + extra > max. */
int au_buf_reserve(struct au_buf *b, size_t extra);
/* Appends n bytes. Returns 0, or -1 (buffer unchanged) when max would be crossed. */
int au_buf_append(struct au_buf *b, const void *p, size_t n);
/* Appends a C string. Returns as au_buf_append. */
int au_buf_puts(struct au_buf *b, const char *s);
/* Appends one byte. Returns as au_buf_append. */
int au_buf_putc(struct au_buf *b, char c);
/* Appends formatted text. Returns 0, or -1 (buffer unchanged) when max would be crossed. */
int au_buf_printf(struct au_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int au_buf_vprintf(struct au_buf *b, const char *fmt, va_list ap);
/* Removes the first n bytes (n <= len), moving the rest to the front. */
void au_buf_consume(struct au_buf *b, size_t n);
/* Sets the length to n (n <= len) and restores the spare NUL. */
void au_buf_truncate(struct au_buf *b, size_t n);
/* Writable space after the content, at least want bytes (grown if needed and
 * allowed). Returns NULL when max forbids it. Follow with au_buf_commit. */
char *au_buf_space(struct au_buf *b, size_t want, size_t *avail);
/* Accounts n bytes written into the space returned by au_buf_space. */
void au_buf_commit(struct au_buf *b, size_t n);
/* Hands the storage to the caller (NUL-terminated, never NULL) and empties b. */
char *au_buf_detach(struct au_buf *b);

static inline struct au_slice au_buf_slice(const struct au_buf *b)
{
    struct au_slice s = {b->data ? b->data : "", b->len};
    return s;
}

static inline struct au_slice au_slice_make(const char *p, size_t n)
{
    struct au_slice s = {p, n};
    return s;
}

/* A slice of a C string. */
struct au_slice au_slice_cstr(const char *s);
/* True when the slice equals the C string exactly. */
bool au_slice_eq(struct au_slice s, const char *cstr);
/* True when the slice equals the C string, ASCII case ignored. */
bool au_slice_eq_ci(struct au_slice s, const char *cstr);
/* True when the slice begins with prefix, ASCII case ignored. */
bool au_slice_prefix_ci(struct au_slice s, const char *prefix);
/* The slice without leading and trailing SP and HTAB. */
struct au_slice au_slice_trim(struct au_slice s);
/* Copies the slice into a new NUL-terminated string (caller frees). */
char *au_slice_dup(struct au_slice s);

#endif
