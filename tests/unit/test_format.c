/*
 * test_format - the message-format checks over whole header blocks, fed
 * through the message splitter (msg.h) exactly as the receiver does.
 *
 * Expected findings follow RFC 5322 section 3.6 (the table of field counts:
 * From and Date exactly once; Sender, Reply-To, To, Cc, Bcc, Message-ID,
 * In-Reply-To, References, Subject at most once), 3.6.2 and 3.6.4, and the
 * Gmail refusals of REFERENCE.md 1.3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "format.h"
#include "msg.h"

#define B(r) AU_FORMAT_BIT(AU_FORMAT_##r)
#define OKHDR "Date: Thu, 26 Nov 2026 08:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n"

struct row {
    const char *name;
    const char *msg;
    unsigned rules;
    const char *duplicate;
    const char *from_domain;
};

static const struct row rows[] = {
    {"compliant", "From: Alice <alice@example.com>\r\nTo: bob@gmail.com\r\n" OKHDR
                  "Subject: hi\r\n\r\nbody\r\n", 0, NULL, "example.com"},
    {"no headers at all", "\r\nbody\r\n", B(FROM_MISSING) | B(MSGID_MISSING), NULL, ""},
    {"from missing", "To: bob@gmail.com\r\n" OKHDR "\r\n", B(FROM_MISSING), NULL, ""},
    {"two From fields", "From: a@example.com\r\nFrom: b@example.com\r\n" OKHDR "\r\n",
     B(FROM_MULTIPLE), NULL, "example.com"},
    {"From lowercase twice", "from: a@example.com\r\nFROM: a@example.com\r\n" OKHDR "\r\n",
     B(FROM_MULTIPLE), NULL, "example.com"},
    {"two addresses", "From: a@example.com, b@example.org\r\n" OKHDR "\r\n",
     B(FROM_ADDRESSES), NULL, ""},
    {"group of two", "From: Team: a@example.com, b@example.org;\r\n" OKHDR "\r\n",
     B(FROM_ADDRESSES), NULL, ""},
    {"folded list", "From: a@example.com,\r\n b@example.org\r\n" OKHDR "\r\n",
     B(FROM_ADDRESSES), NULL, ""},
    {"empty From", "From:\r\n" OKHDR "\r\n", B(FROM_INVALID), NULL, ""},
    {"empty group", "From: undisclosed-recipients:;\r\n" OKHDR "\r\n", B(FROM_INVALID), NULL,
     ""},
    {"display name only", "From: Alice\r\n" OKHDR "\r\n", B(FROM_INVALID), NULL, ""},
    {"bad domain", "From: a@localhost\r\n" OKHDR "\r\n", B(FROM_INVALID), NULL, ""},
    {"literal domain", "From: a@[192.0.2.1]\r\n" OKHDR "\r\n", B(FROM_INVALID), NULL, ""},
    {"underscore domain", "From: a@ex_ample.com\r\n" OKHDR "\r\n", B(FROM_INVALID), NULL, ""},
    {"unterminated quote", "From: \"Alice <a@example.com>\r\n" OKHDR "\r\n", B(FROM_INVALID),
     NULL, ""},
    {"folded From ok", "From: \"Alice\r\n Smith\" (the\r\n\tboss) <a@example.com>\r\n" OKHDR
                       "\r\n", 0, NULL, "example.com"},
    {"encoded word", "From: =?utf-8?b?w4FsaWNl?= <a@example.com>\r\n" OKHDR "\r\n", 0, NULL,
     "example.com"},
    {"message-id missing", "From: a@example.com\r\nDate: x\r\n\r\n", B(MSGID_MISSING), NULL,
     "example.com"},
    {"message-id empty", "From: a@example.com\r\nMessage-ID:\r\n\r\n", B(MSGID_INVALID), NULL,
     "example.com"},
    {"message-id no brackets", "From: a@example.com\r\nMessage-ID: 1@example.com\r\n\r\n",
     B(MSGID_INVALID), NULL, "example.com"},
    {"message-id no at", "From: a@example.com\r\nMessage-Id: <12345>\r\n\r\n",
     B(MSGID_INVALID), NULL, "example.com"},
    {"message-id two", "From: a@example.com\r\nMessage-ID: <1@x> <2@x>\r\n\r\n",
     B(MSGID_INVALID), NULL, "example.com"},
    {"message-id folded", "From: a@example.com\r\nMessage-ID:\r\n <1@example.com>\r\n\r\n", 0,
     NULL, "example.com"},
    {"Cc twice", "From: a@example.com\r\nCc: x@y.z\r\n" OKHDR "Cc: w@y.z\r\n\r\n", B(DUPLICATE),
     "Cc", "example.com"},
    {"Subject twice, case", "From: a@example.com\r\nsubject: a\r\n" OKHDR "SUBJECT: b\r\n\r\n",
     B(DUPLICATE), "Subject", "example.com"},
    {"first duplicate wins", "From: a@example.com\r\nTo: a@b.c\r\nSubject: a\r\n" OKHDR
                             "Subject: b\r\nTo: d@e.f\r\n\r\n",
     B(DUPLICATE), "Subject", "example.com"},
    {"two Message-IDs", "From: a@example.com\r\n" OKHDR "Message-ID: <2@example.com>\r\n\r\n",
     B(DUPLICATE), "Message-ID", "example.com"},
    {"two Dates", "From: a@example.com\r\n" OKHDR "Date: x\r\n\r\n", B(DUPLICATE), "Date",
     "example.com"},
    {"each single field", "From: a@example.com\r\n" OKHDR "Sender: s@x.y\r\nSender: s@x.y\r\n\r\n",
     B(DUPLICATE), "Sender", "example.com"},
    {"Reply-To twice", "From: a@example.com\r\n" OKHDR "Reply-To: a@x.y\r\nReply-To: b@x.y\r\n\r\n",
     B(DUPLICATE), "Reply-To", "example.com"},
    {"Bcc, In-Reply-To, References", "From: a@example.com\r\n" OKHDR
                                     "References: <a@b>\r\nReferences: <c@d>\r\nBcc:\r\nBcc:\r\n\r\n",
     B(DUPLICATE), "References", "example.com"},
    {"repeatable fields are fine", "From: a@example.com\r\n" OKHDR
                                   "Received: x\r\nReceived: y\r\nComments: a\r\nComments: b\r\n"
                                   "Keywords: a\r\nKeywords: b\r\nResent-From: a@b.c\r\n"
                                   "Resent-From: d@e.f\r\nX-Cc: 1\r\nX-Cc: 2\r\n\r\n",
     0, NULL, "example.com"},
    {"everything wrong", "From: a@example.com, b@example.com\r\nFrom: c@example.com\r\n"
                         "Cc: a@b.c\r\nCc: d@e.f\r\n\r\n",
     B(FROM_MULTIPLE) | B(FROM_ADDRESSES) | B(MSGID_MISSING) | B(DUPLICATE), "Cc", ""},
    {"name with space before colon", "From : a@example.com\r\n" OKHDR "\r\n", 0, NULL,
     "example.com"},
    {"bare LF lines", "From: a@example.com\nMessage-ID: <1@example.com>\nDate: x\n\n", 0, NULL,
     "example.com"},
    {"headers without body", "From: a@example.com\r\n" OKHDR, 0, NULL, "example.com"},
    {"NUL in From", "From: a@exa\0mple.com\r\n" OKHDR "\r\n", B(FROM_INVALID), NULL, ""},
};

static void field(void *arg, struct au_slice name, struct au_slice raw)
{
    au_format_field(arg, name, raw);
}

static void test_table(void **state)
{
    struct au_format *f = au_format_new();
    struct au_msg_sink sink = {.field = field, .arg = f};
    struct au_msg *m = au_msg_new(&sink);
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const struct row *r = &rows[i];
        /* The NUL row needs its real length. */
        size_t len = strlen(r->msg);
        if (!strcmp(r->name, "NUL in From"))
            len += 1 + strlen(r->msg + len + 1);
        au_format_reset(f);
        au_msg_reset(m);
        /* One byte at a time: the checker must not care how fields arrive. */
        for (size_t k = 0; k < len; k++)
            au_msg_feed(m, r->msg + k, 1);
        au_msg_finish(m);
        const struct au_format_result *res = au_format_finish(f);
        if (res->rules != r->rules)
            fail_msg("%s: rules %#x, want %#x", r->name, res->rules, r->rules);
        if (r->duplicate)
            assert_string_equal(res->duplicate, r->duplicate);
        else
            assert_null(res->duplicate);
        assert_string_equal(res->from_domain, r->from_domain);
    }
    au_msg_free(m);
    au_format_free(f);
}

/* Fields given directly, value only (no "Name:"), as a caller without
 * msg.c might. */
static void test_value_only(void **state)
{
    struct au_format *f = au_format_new();
    au_format_field(f, au_slice_cstr("From"), au_slice_cstr(" x@example.net"));
    au_format_field(f, au_slice_cstr("Message-ID"), au_slice_cstr(" <1@x.y>"));
    const struct au_format_result *res = au_format_finish(f);
    assert_int_equal(res->rules, 0);
    assert_true(res->date_missing);
    assert_string_equal(res->from_domain, "example.net");
    assert_int_equal(res->from_fields, 1);
    assert_int_equal(res->from_addresses, 1);
    /* finish twice gives the same answer */
    assert_int_equal(au_format_finish(f)->rules, 0);
    au_format_free(f);
    au_format_free(NULL);
}

static void test_rule_names(void **state)
{
    assert_string_equal(au_format_rule_name(AU_FORMAT_DUPLICATE), "duplicate");
    assert_string_equal(au_format_rule_name(AU_FORMAT__COUNT), "?");
    for (int i = 0; i < AU_FORMAT__COUNT; i++)
        assert_string_not_equal(au_format_rule_name(i), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_value_only),
        cmocka_unit_test(test_rule_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
