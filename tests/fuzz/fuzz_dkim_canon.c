/*
 * fuzz_dkim_canon - libFuzzer target for DKIM canonicalization (RFC 6376
 * 3.4).  Invariants: any chunking gives the same canonical body; relaxed
 * output never holds WSP before CRLF nor two WSP in a row; both forms end
 * in CRLF when not empty; l= cuts exactly; a relaxed header is lowercase
 * up to its colon and ends in CRLF.  The streaming body canonicalizer is
 * also checked against a model written from RFC 6376 3.4.3 and 3.4.4 the
 * slow, obvious way: split on CRLF, reduce each line, drop empty lines at
 * the end, put CRLF back after each.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_canon.h"

static void out_fn(void *arg, const void *p, size_t n)
{
    au_buf_append(arg, p, n);
}

static void body(enum au_dkim_canon c, const char *p, size_t n, size_t chunk, uint64_t limit,
                 struct au_buf *out, uint64_t *total)
{
    static struct au_dkim_body_canon bc;
    au_buf_init(out, AU_BUF_NOLIMIT);
    au_dkim_body_canon_init(&bc, c, limit, out_fn, out);
    for (size_t o = 0; o < n; o += chunk)
        au_dkim_body_canon_feed(&bc, p + o, n - o < chunk ? n - o : chunk);
    au_dkim_body_canon_finish(&bc);
    *total = bc.total;
}

/* The model: lines are what CRLF separates (a bare CR or LF is content);
 * relaxed turns each WSP run into one SP and drops WSP at the end of each
 * line; both drop empty lines at the end; simple makes an empty body one
 * CRLF. */
static void model(enum au_dkim_canon c, const char *p, size_t n, struct au_buf *out)
{
    au_buf_init(out, AU_BUF_NOLIMIT);
    size_t keep = 0; /* out's length after the last non-empty line */
    size_t start = 0;
    for (;;) {
        size_t end = start;
        while (end < n && !(p[end] == '\r' && end + 1 < n && p[end + 1] == '\n'))
            end++;
        size_t line = out->len;
        for (size_t i = start; i < end; i++) {
            bool wsp = p[i] == ' ' || p[i] == '\t';
            if (c == AU_DKIM_CANON_SIMPLE || !wsp) {
                au_buf_putc(out, p[i]);
                continue;
            }
            while (i + 1 < end && (p[i + 1] == ' ' || p[i + 1] == '\t'))
                i++;
            if (i + 1 < end)
                au_buf_putc(out, ' ');
        }
        bool empty = out->len == line;
        au_buf_append(out, "\r\n", 2);
        if (!empty)
            keep = out->len;
        if (end >= n)
            break;
        start = end + 2;
    }
    au_buf_truncate(out, keep);
    if (c == AU_DKIM_CANON_SIMPLE && keep == 0)
        au_buf_append(out, "\r\n", 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t chunk = (size_t)(data[0] % 13) + 1;
    uint64_t limit = data[1];
    char *p = malloc(size - 2 ? size - 2 : 1);
    memcpy(p, data + 2, size - 2);
    size_t n = size - 2;
    for (int c = 0; c < 2; c++) {
        struct au_buf whole, part, cut;
        uint64_t t1, t2, t3;
        body((enum au_dkim_canon)c, p, n, n ? n : 1, AU_DKIM_NO_LIMIT, &whole, &t1);
        body((enum au_dkim_canon)c, p, n, chunk, AU_DKIM_NO_LIMIT, &part, &t2);
        body((enum au_dkim_canon)c, p, n, chunk, limit, &cut, &t3);
        if (whole.len != part.len || t1 != whole.len || t2 != t1 || t3 != t1 ||
            (whole.len && memcmp(whole.data, part.data, whole.len) != 0))
            abort();
        struct au_buf ref;
        model((enum au_dkim_canon)c, p, n, &ref);
        if (ref.len != whole.len || (ref.len && memcmp(ref.data, whole.data, ref.len) != 0))
            abort();
        au_buf_free(&ref);
        if (cut.len != (limit < whole.len ? limit : whole.len) ||
            (cut.len && memcmp(cut.data, whole.data, cut.len) != 0))
            abort();
        if (whole.len && (whole.len < 2 || memcmp(whole.data + whole.len - 2, "\r\n", 2) != 0))
            abort();
        if (c == AU_DKIM_CANON_SIMPLE && whole.len == 0)
            abort();
        if (c == AU_DKIM_CANON_RELAXED)
            for (size_t i = 0; i + 1 < whole.len; i++) {
                char a = whole.data[i], b = whole.data[i + 1];
                if ((a == ' ' || a == '\t') && (b == ' ' || b == '\t'))
                    abort();
                if (a == '\t' ||
                    ((a == ' ') && b == '\r' && i + 2 < whole.len && whole.data[i + 2] == '\n'))
                    abort();
            }
        au_buf_free(&whole);
        au_buf_free(&part);
        au_buf_free(&cut);
    }
    struct au_buf h;
    au_buf_init(&h, AU_BUF_NOLIMIT);
    if (au_dkim_canon_header(AU_DKIM_CANON_RELAXED, au_slice_make(p, n), false, &h) != 0)
        abort();
    const char *colon = memchr(h.data, ':', h.len);
    if (colon == NULL || h.len < 3 || memcmp(h.data + h.len - 2, "\r\n", 2) != 0)
        abort();
    for (const char *q = h.data; q < colon; q++)
        if (*q >= 'A' && *q <= 'Z')
            abort();
    au_buf_reset(&h);
    au_dkim_canon_header(AU_DKIM_CANON_SIMPLE, au_slice_make(p, n), false, &h);
    if (h.len != n || (n && memcmp(h.data, p, n) != 0))
        abort();
    au_buf_free(&h);
    free(p);
    return 0;
}
