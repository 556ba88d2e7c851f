/*
 * test_scenario_run - the runner's reply-line parser (scenario_run_reply_line)
 * over a table of good and hostile lines, and whole-reply walks.
 *
 * Expected values come from RFC 5321 4.2 (Reply-line = *( Reply-code "-"
 * [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF; codes 2yz..5yz)
 * and RFC 3463 (class.subject.detail, subject and detail 1-3 digits).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scenario_run.h"

struct line_case {
    const char *in;
    int rc;
    int code;
    int last;
    const char *enhanced;
    const char *text; /* the text after the codes */
};

static const struct line_case cases[] = {
    /* well-formed */
    {"250 2.1.0 OK id - gsmtp\r\n", 1, 250, 1, "2.1.0", "OK id - gsmtp"},
    {"550-5.7.26 Your email has been blocked\r\n", 1, 550, 0, "5.7.26",
     "Your email has been blocked"},
    {"550-5.7.26 \r\n", 1, 550, 0, "5.7.26", ""},
    {"550-5.7.26  Authentication results:\r\n", 1, 550, 0, "5.7.26", " Authentication results:"},
    {"220 mx.google.com ESMTP x - gsmtp\r\n", 1, 220, 1, "", "mx.google.com ESMTP x - gsmtp"},
    {"250-SIZE 157286400\r\n", 1, 250, 0, "", "SIZE 157286400"},
    {"354 Go ahead\n", 1, 354, 1, "", "Go ahead"}, /* bare LF tolerated */
    {"250\r\n", 1, 250, 1, "", ""},                /* code alone (RFC 5321 4.2) */
    {"250-\r\n", 1, 250, 0, "", ""},
    {"421 4.7.0 Try again later\r\n", 1, 421, 1, "4.7.0", "Try again later"},
    {"550 5.1.1\r\n", 1, 550, 1, "5.1.1", ""},
    {"599 5.999.999 x\r\n", 1, 599, 1, "5.999.999", "x"},
    {"200 x\r\nrest", 1, 200, 1, "", "x"},
    /* enhanced codes that are not: kept as text */
    {"550 4.7.1 class differs\r\n", 1, 550, 1, "", "4.7.1 class differs"},
    {"550 5.7. short\r\n", 1, 550, 1, "", "5.7. short"},
    {"550 5..1 empty\r\n", 1, 550, 1, "", "5..1 empty"},
    {"550 5.7.1234 long detail\r\n", 1, 550, 1, "", "5.7.1234 long detail"},
    {"550 5.7.26x\r\n", 1, 550, 1, "", "5.7.26x"},
    {"550 5.7.2.6 four\r\n", 1, 550, 1, "", "5.7.2.6 four"},
    {"550 55.7.1 wide class\r\n", 1, 550, 1, "", "55.7.1 wide class"},
    /* incomplete: wait for more */
    {"", 0, 0, 0, "", ""},
    {"25", 0, 0, 0, "", ""},
    {"250 OK", 0, 0, 0, "", ""},
    {"250 OK\r", 0, 0, 0, "", ""},
    /* not reply lines */
    {"\r\n", -1, 0, 0, "", ""},
    {"25\r\n", -1, 0, 0, "", ""},
    {"2500 x\r\n", -1, 0, 0, "", ""},
    {"250x\r\n", -1, 0, 0, "", ""},
    {"abc def\r\n", -1, 0, 0, "", ""},
    {"150 too low\r\n", -1, 0, 0, "", ""},
    {"650 too high\r\n", -1, 0, 0, "", ""},
    {" 250 leading space\r\n", -1, 0, 0, "", ""},
    {"2a0 x\r\n", -1, 0, 0, "", ""},
    {"+OK pop3\r\n", -1, 0, 0, "", ""},
    {"HTTP/1.1 200 OK\r\n", -1, 0, 0, "", ""},
};

static void test_lines(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct line_case *c = &cases[i];
        struct scenario_run_line ln;
        size_t len = strlen(c->in);
        /* Exactly len bytes, no NUL after them, so a read past the end is caught. */
        char *copy = malloc(len ? len : 1);
        memcpy(copy, c->in, len);
        int rc = scenario_run_reply_line(copy, len, &ln);
        if (rc != c->rc)
            fail_msg("case %zu \"%s\": rc %d, want %d", i, c->in, rc, c->rc);
        if (rc == 1) {
            assert_int_equal(ln.code, c->code);
            assert_int_equal(ln.last, c->last);
            assert_string_equal(ln.enhanced, c->enhanced);
            assert_true(ln.text <= ln.len);
            assert_true(ln.len < ln.used);
            assert_int_equal(ln.len - ln.text, strlen(c->text));
            assert_memory_equal(copy + ln.text, c->text, strlen(c->text));
        }
        free(copy);
    }
}

static void test_nul_in_line(void **state)
{
    (void)state;
    static const char in[] = "250 a\0b\r\n";
    struct scenario_run_line ln;
    assert_int_equal(scenario_run_reply_line(in, sizeof in - 1, &ln), 1);
    assert_int_equal(ln.used, sizeof in - 1);
    assert_int_equal(ln.len, 7);
}

static void test_long_line(void **state)
{
    (void)state;
    struct scenario_run_line ln;
    size_t n = SCENARIO_RUN_LINE_MAX + 10;
    char *p = malloc(n);
    memset(p, 'x', n);
    memcpy(p, "250 ", 4);
    /* No LF within the limit: an error, not an endless wait. */
    assert_int_equal(scenario_run_reply_line(p, n, &ln), -1);
    /* Just under the limit and still no LF: wait for more. */
    assert_int_equal(scenario_run_reply_line(p, SCENARIO_RUN_LINE_MAX - 1, &ln), 0);
    /* A LF at the last allowed byte is a line. */
    p[SCENARIO_RUN_LINE_MAX - 1] = '\n';
    assert_int_equal(scenario_run_reply_line(p, n, &ln), 1);
    assert_int_equal(ln.used, SCENARIO_RUN_LINE_MAX);
    free(p);
}

/* A whole multi-line reply walked line by line ends at the line with a space. */
static void test_whole_reply(void **state)
{
    (void)state;
    static const char r[] =
        "550-5.7.26 Unauthenticated email from example.com is not accepted due to\r\n"
        "550-5.7.26 domain's DMARC policy.\r\n"
        "550 5.7.26  https://support.google.com/mail/?p=DmarcRejection id - gsmtp\r\n"
        "221 2.0.0 bye\r\n";
    size_t off = 0, lines = 0;
    struct scenario_run_line ln;
    do {
        assert_int_equal(scenario_run_reply_line(r + off, sizeof r - 1 - off, &ln), 1);
        assert_int_equal(ln.code, 550);
        assert_string_equal(ln.enhanced, "5.7.26");
        off += ln.used;
        lines++;
    } while (!ln.last);
    assert_int_equal(lines, 3);
    assert_int_equal(scenario_run_reply_line(r + off, sizeof r - 1 - off, &ln), 1);
    assert_int_equal(ln.code, 221);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_nul_in_line),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_whole_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
