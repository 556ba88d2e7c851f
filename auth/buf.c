/*
 * buf - the one growable byte buffer, and slices (see buf.h).
 *
 * Public: au_buf_{init,free,reset,reserve,append,puts,putc,printf,vprintf,
 * consume,truncate,space,commit,detach}, au_slice_{cstr,eq,eq_ci,prefix_ci,
 * trim,dup}.
 * Limits: each buffer's own max; capacity never exceeds max + 1.
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

#define AU_BUF_MIN_CAP 64

void au_buf_init(struct au_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void au_buf_free(struct au_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void au_buf_reset(struct au_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int au_buf_reserve(struct au_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : AU_BUF_MIN_CAP;
    while (cap < need)
        cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
    /* Never hold more than the content may ever need. */
    if (b->max != AU_BUF_NOLIMIT && cap > b->max + 1)
        cap = b->max + 1;
    if (cap < need)
        cap = need;
    b->data = au_xrealloc(b->data, cap);
    b->cap = cap;
    b->data[b->len] = '\0';
    return 0;
}

int au_buf_append(struct au_buf *b, const void *p, size_t n)
{
    if (au_buf_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int au_buf_puts(struct au_buf *b, const char *s)
{
    return au_buf_append(b, s, strlen(s));
}

int au_buf_putc(struct au_buf *b, char c)
{
    return au_buf_append(b, &c, 1);
}

int au_buf_vprintf(struct au_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, cp);
    va_end(cp);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return au_buf_append(b, small, (size_t)n);
    if (au_buf_reserve(b, (size_t)n) < 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int au_buf_printf(struct au_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = au_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void au_buf_consume(struct au_buf *b, size_t n)
{
    if (n >= b->len) {
        au_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

void au_buf_truncate(struct au_buf *b, size_t n)
{
    if (n < b->len) {
        b->len = n;
        b->data[n] = '\0';
    }
}

char *au_buf_space(struct au_buf *b, size_t want, size_t *avail)
{
    if (au_buf_reserve(b, want) < 0)
        return NULL;
    size_t room = b->cap - b->len - 1;
    if (b->max - b->len < room)
        room = b->max - b->len;
    *avail = room;
    return b->data + b->len;
}

void au_buf_commit(struct au_buf *b, size_t n)
{
    b->len += n;
    b->data[b->len] = '\0';
}

char *au_buf_detach(struct au_buf *b)
{
    char *p = b->data ? b->data : au_xstrdup("");
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

struct au_slice au_slice_cstr(const char *s)
{
    return au_slice_make(s, strlen(s));
}

bool au_slice_eq(struct au_slice s, const char *cstr)
{
    size_t n = strlen(cstr);
    return s.len == n && memcmp(s.ptr, cstr, n) == 0;
}

bool au_slice_eq_ci(struct au_slice s, const char *cstr)
{
    size_t n = strlen(cstr);
    return s.len == n && strncasecmp(s.ptr, cstr, n) == 0;
}

bool au_slice_prefix_ci(struct au_slice s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && strncasecmp(s.ptr, prefix, n) == 0;
}

struct au_slice au_slice_trim(struct au_slice s)
{
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
        s.ptr++;
        s.len--;
    }
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}

char *au_slice_dup(struct au_slice s)
{
    return au_xstrndup(s.ptr, s.len);
}
