/*
 * test_msg - the streaming RFC 5322 splitter: a table of messages (good and
 * hostile) with the events each must give, fed whole and in every chunk
 * size from 1 byte up; the header-size and field-count limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

struct log {
    struct au_buf ev; /* F[name|raw] E . */
    struct au_buf body;
    int ends;
};

static void on_field(void *arg, struct au_slice name, struct au_slice raw)
{
    struct log *l = arg;
    au_buf_printf(&l->ev, "F[%.*s|%.*s]", (int)name.len, name.ptr, (int)raw.len, raw.ptr);
}
static void on_end_headers(void *arg)
{
    au_buf_puts(&((struct log *)arg)->ev, "E");
}
static void on_body(void *arg, const char *p, size_t n)
{
    assert_true(n > 0);
    au_buf_append(&((struct log *)arg)->body, p, n);
}
static void on_end(void *arg)
{
    struct log *l = arg;
    l->ends++;
    au_buf_puts(&l->ev, ".");
}

static int run(const char *msg, size_t len, size_t chunk, struct log *l)
{
    au_buf_init(&l->ev, AU_BUF_NOLIMIT);
    au_buf_init(&l->body, AU_BUF_NOLIMIT);
    l->ends = 0;
    struct au_msg_sink sink = {on_field, on_end_headers, on_body, on_end, l};
    struct au_msg *m = au_msg_new(&sink);
    int rc = 0;
    if (chunk == 0)
        chunk = len ? len : 1;
    for (size_t o = 0; o < len && rc == 0; o += chunk)
        rc = au_msg_feed(m, msg + o, len - o < chunk ? len - o : chunk);
    if (rc == 0)
        rc = au_msg_finish(m);
    au_msg_free(m);
    return rc;
}

static void free_log(struct log *l)
{
    au_buf_free(&l->ev);
    au_buf_free(&l->body);
}

static const struct {
    const char *name, *msg, *events, *body;
} cases[] = {
    {"plain", "A: 1\r\nB: 2\r\n\r\nbody\r\n", "F[A|A: 1\r\n]F[B|B: 2\r\n]E.", "body\r\n"},
    {"folded", "A: 1\r\n 2\r\n\t3\r\nB: x\r\n\r\n", "F[A|A: 1\r\n 2\r\n\t3\r\n]F[B|B: x\r\n]E.",
     ""},
    {"no body", "A: 1\r\n\r\n", "F[A|A: 1\r\n]E.", ""},
    {"no empty line", "A: 1\r\nB: 2\r\n", "F[A|A: 1\r\n]F[B|B: 2\r\n]E.", ""},
    {"no final line end", "A: 1", "F[A|A: 1]E.", ""},
    {"folded last line without end", "A: 1\r\n 2", "F[A|A: 1\r\n 2]E.", ""},
    {"bare LF", "A: 1\nB: 2\n 3\n\nbody\n", "F[A|A: 1\n]F[B|B: 2\n 3\n]E.", "body\n"},
    {"empty message", "", "E.", ""},
    {"starts with the empty line", "\r\nbody", "E.", "body"},
    {"continuation first", " x\r\nA: 1\r\n\r\n", "F[| x\r\n]F[A|A: 1\r\n]E.", ""},
    {"line without colon", "garbage\r\nA: 1\r\n\r\n", "F[|garbage\r\n]F[A|A: 1\r\n]E.", ""},
    {"WSP before colon", "Subject \t: x\r\n\r\n", "F[Subject|Subject \t: x\r\n]E.", ""},
    {"CR inside value", "A: 1\r2\r\n\r\nb", "F[A|A: 1\r2\r\n]E.", "b"},
    {"CR CR LF is not empty", "A: 1\r\n\r\r\nx", "F[A|A: 1\r\n]F[|\r\r\n]F[|x]E.", ""},
    {"body keeps everything", "A: b\r\n\r\n\r\n.\r\n\r\n \r\n", "F[A|A: b\r\n]E.",
     "\r\n.\r\n\r\n \r\n"},
    {"empty name", ": v\r\n\r\n", "F[|: v\r\n]E.", ""},
    {"NUL in field", "A: \0x\r\n\r\n", NULL, ""},
};

static void test_table(void **state)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *msg = cases[i].msg;
        size_t len = strlen(msg);
        if (cases[i].events == NULL)
            len = 8; /* the NUL case: "A: \0x\r\n" */
        struct log whole;
        assert_int_equal(run(msg, len, 0, &whole), 0);
        if (cases[i].events) {
            if (strcmp(whole.ev.data, cases[i].events) != 0)
                fail_msg("%s: got %s", cases[i].name, whole.ev.data);
        } else {
            assert_int_equal(whole.ev.len, strlen("F[A|A: ") + 5 + 2 + 1);
        }
        assert_int_equal(whole.body.len, strlen(cases[i].body));
        assert_memory_equal(whole.body.data ? whole.body.data : "", cases[i].body,
                            strlen(cases[i].body));
        assert_int_equal(whole.ends, 1);
        for (size_t chunk = 1; chunk <= len; chunk++) {
            struct log part;
            assert_int_equal(run(msg, len, chunk, &part), 0);
            assert_int_equal(part.ev.len, whole.ev.len);
            assert_memory_equal(part.ev.data, whole.ev.data, whole.ev.len);
            assert_int_equal(part.body.len, whole.body.len);
            if (part.body.len)
                assert_memory_equal(part.body.data, whole.body.data, whole.body.len);
            free_log(&part);
        }
        free_log(&whole);
    }
}

static void test_header_limit(void **state)
{
    /* One field just under the limit, with the empty line: fits. */
    size_t n = AU_MSG_HEADER_MAX;
    char *m = malloc(n + 16);
    memcpy(m, "X: ", 3);
    memset(m + 3, 'a', n - 3 - 4);
    memcpy(m + n - 4, "\r\n\r\n", 4);
    memcpy(m + n, "body", 4);
    struct log l;
    assert_int_equal(run(m, n + 4, 0, &l), 0);
    assert_int_equal(l.body.len, 4);
    free_log(&l);
    /* One byte more in the header block: the error state, no end_headers. */
    memcpy(m, "X: a", 4);
    memset(m + 4, 'a', n - 4 - 3);
    memcpy(m + n - 3, "\r\n\r\n", 4);
    struct au_msg_sink sink = {0};
    struct au_msg *msg = au_msg_new(&sink);
    assert_int_equal(au_msg_feed(msg, m, n + 1), -1);
    assert_int_equal(au_msg_error(msg), AU_MSG_TOO_BIG);
    assert_int_equal(au_msg_feed(msg, "more", 4), -1);
    assert_int_equal(au_msg_finish(msg), -1);
    /* reset makes it usable again */
    au_msg_reset(msg);
    assert_int_equal(au_msg_feed(msg, "A: 1\r\n\r\n", 8), 0);
    assert_int_equal(au_msg_error(msg), AU_MSG_OK);
    au_msg_free(msg);
    /* A line that never ends, byte by byte. */
    msg = au_msg_new(&sink);
    int rc = 0;
    size_t fed = 0;
    while (rc == 0 && fed < n + 10) {
        rc = au_msg_feed(msg, "z", 1);
        fed++;
    }
    assert_int_equal(rc, -1);
    assert_int_equal(fed, n + 1);
    assert_int_equal(au_msg_error(msg), AU_MSG_TOO_BIG);
    au_msg_free(msg);
    free(m);
}

static void test_field_limit(void **state)
{
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    for (int i = 0; i < AU_MSG_FIELDS_MAX; i++)
        au_buf_puts(&b, "A: 1\r\n");
    struct log l;
    au_buf_puts(&b, "\r\n");
    assert_int_equal(run(b.data, b.len, 0, &l), 0);
    free_log(&l);
    au_buf_truncate(&b, b.len - 2);
    au_buf_puts(&b, "B: 2\r\n\r\n");
    struct au_msg_sink sink = {0};
    struct au_msg *m = au_msg_new(&sink);
    assert_int_equal(au_msg_feed(m, b.data, b.len), -1);
    assert_int_equal(au_msg_error(m), AU_MSG_TOO_MANY);
    assert_int_equal(au_msg_field_count(m), AU_MSG_FIELDS_MAX);
    au_msg_free(m);
    au_buf_free(&b);
}

static void test_field_name(void **state)
{
    struct au_slice n = au_msg_field_name(au_slice_cstr("DKIM-Signature : v=1"));
    assert_true(au_slice_eq(n, "DKIM-Signature"));
    n = au_msg_field_name(au_slice_cstr("no colon here"));
    assert_int_equal(n.len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_header_limit),
        cmocka_unit_test(test_field_limit),
        cmocka_unit_test(test_field_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
