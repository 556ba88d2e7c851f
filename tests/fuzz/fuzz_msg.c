/*
 * fuzz_msg - libFuzzer target for the streaming RFC 5322 splitter.
 * Invariants: the first input byte picks a chunk size; feeding in chunks
 * gives exactly the events of feeding whole; every field's raw bytes are
 * a piece of the input in order, and header bytes + body bytes add up to
 * the input (nothing lost, nothing invented) unless a limit was crossed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

struct rec {
    struct au_buf all; /* every raw field, then the body */
    size_t fields, ends;
    int end_headers;
};

static void f_field(void *arg, struct au_slice name, struct au_slice raw)
{
    struct rec *r = arg;
    if (raw.len == 0 || r->end_headers)
        abort();
    if (name.len > 0 && (name.ptr < raw.ptr || name.ptr + name.len > raw.ptr + raw.len))
        abort();
    au_buf_append(&r->all, raw.ptr, raw.len);
    r->fields++;
}
static void f_end_headers(void *arg)
{
    struct rec *r = arg;
    if (r->end_headers++)
        abort();
}
static void f_body(void *arg, const char *p, size_t n)
{
    struct rec *r = arg;
    if (!r->end_headers || n == 0)
        abort();
    au_buf_append(&r->all, p, n);
}
static void f_end(void *arg)
{
    ((struct rec *)arg)->ends++;
}

static int run(const char *p, size_t n, size_t chunk, struct rec *r)
{
    au_buf_init(&r->all, AU_BUF_NOLIMIT);
    r->fields = r->ends = 0;
    r->end_headers = 0;
    struct au_msg_sink sink = {f_field, f_end_headers, f_body, f_end, r};
    struct au_msg *m = au_msg_new(&sink);
    int rc = 0;
    for (size_t o = 0; o < n && rc == 0; o += chunk)
        rc = au_msg_feed(m, p + o, n - o < chunk ? n - o : chunk);
    if (rc == 0)
        rc = au_msg_finish(m);
    au_msg_free(m);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = (size_t)(data[0] % 17) + 1;
    char *p = malloc(size - 1 ? size - 1 : 1);
    memcpy(p, data + 1, size - 1);
    size_t n = size - 1;
    struct rec whole, part;
    int rc1 = run(p, n, n ? n : 1, &whole);
    int rc2 = run(p, n, chunk, &part);
    if (rc1 != rc2 || whole.fields != part.fields || whole.all.len != part.all.len ||
        (whole.all.len && memcmp(whole.all.data, part.all.data, whole.all.len) != 0))
        abort();
    /* The bytes out are the bytes in, less the empty line that ends the header. */
    if (rc1 == 0) {
        if (whole.ends != 1 || whole.end_headers != 1)
            abort();
        if (whole.all.len != n && whole.all.len + 1 != n && whole.all.len + 2 != n)
            abort();
        if (memcmp(whole.all.data ? whole.all.data : "", p, whole.fields ? 1 : 0) != 0)
            abort();
    }
    au_buf_free(&whole.all);
    au_buf_free(&part.all);
    free(p);
    return 0;
}
