/*
 * test_ar - Authentication-Results assembly against Gmail's own fields.
 *
 * The expected fields are the real examples of REFERENCE.md 5.3 (2019
 * direct delivery, [GH-idx:22586305559]; 2025 with arc and dara,
 * [GH-idx:55263776487]) with CRLF line ends as in a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ar.h"

static void test_2019(void **state)
{
    const char *dkim[] = {"dkim=pass header.i=@messagingengine.com header.s=fm2 header.b=brPSfUHt"};
    struct au_ar ar = {
        .authserv_id = "mx.google.com",
        .dkim = dkim,
        .dkim_count = 1,
        .spf = "spf=softfail (google.com: domain of transitioning tobin@kernel.org does not "
               "designate 66.111.4.230 as permitted sender) smtp.mailfrom=tobin@kernel.org",
        .dmarc = "dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=kernel.org",
    };
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    assert_int_equal(au_ar_format(&b, &ar), 0);
    assert_string_equal(
        b.data,
        "Authentication-Results: mx.google.com;\r\n"
        "       dkim=pass header.i=@messagingengine.com header.s=fm2 header.b=brPSfUHt;\r\n"
        "       spf=softfail (google.com: domain of transitioning tobin@kernel.org does not "
        "designate 66.111.4.230 as permitted sender) smtp.mailfrom=tobin@kernel.org;\r\n"
        "       dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=kernel.org\r\n");
    au_buf_free(&b);
}

static void test_2025_arc_dara(void **state)
{
    const char *dkim[] = {"dkim=fail header.i=@gmail.com header.s=20251104 header.b=SidoWJ6f"};
    struct au_ar ar = {
        .dkim = dkim, /* authserv_id NULL: mx.google.com */
        .dkim_count = 1,
        .dara = "dara=neutral header.i=@github.com",
        .dmarc = "dmarc=fail (p=NONE sp=QUARANTINE dis=NONE) header.from=gmail.com",
        .spf = "spf=softfail (google.com: domain of transitioning ruizariasedgarmanuel@gmail.com "
               "does not designate 2a01:111:f403:c110::3 as permitted sender) "
               "smtp.mailfrom=ruizariasedgarmanuel@gmail.com",
        .arc = "arc=fail (signature failed)",
    };
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    assert_int_equal(au_ar_format(&b, &ar), 0);
    assert_string_equal(
        b.data,
        "Authentication-Results: mx.google.com;\r\n"
        "       dkim=fail header.i=@gmail.com header.s=20251104 header.b=SidoWJ6f;\r\n"
        "       arc=fail (signature failed);\r\n"
        "       spf=softfail (google.com: domain of transitioning ruizariasedgarmanuel@gmail.com "
        "does not designate 2a01:111:f403:c110::3 as permitted sender) "
        "smtp.mailfrom=ruizariasedgarmanuel@gmail.com;\r\n"
        "       dmarc=fail (p=NONE sp=QUARANTINE dis=NONE) header.from=gmail.com;\r\n"
        "       dara=neutral header.i=@github.com\r\n");
    au_buf_free(&b);
}

static void test_several_dkim_no_dmarc(void **state)
{
    const char *dkim[] = {"dkim=pass header.i=@a.example header.s=s1 header.b=AAAAAAAA",
                          "dkim=neutral (body hash did not verify) header.i=@b.example "
                          "header.s=s2 header.b=\"Trk/qX+6\""};
    struct au_ar ar = {.dkim = dkim, .dkim_count = 2,
                       .spf = "spf=none (google.com: a.example does not designate permitted "
                              "sender hosts) smtp.mailfrom=x@a.example"};
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    assert_int_equal(au_ar_format(&b, &ar), 0);
    assert_string_equal(b.data,
                        "Authentication-Results: mx.google.com;\r\n"
                        "       dkim=pass header.i=@a.example header.s=s1 header.b=AAAAAAAA;\r\n"
                        "       dkim=neutral (body hash did not verify) header.i=@b.example "
                        "header.s=s2 header.b=\"Trk/qX+6\";\r\n"
                        "       spf=none (google.com: a.example does not designate permitted "
                        "sender hosts) smtp.mailfrom=x@a.example\r\n");
    au_buf_free(&b);
}

static void test_none_and_hostile(void **state)
{
    struct au_ar ar = {0};
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    assert_int_equal(au_ar_format(&b, &ar), 0);
    /* RFC 8601 2.2: no-result */
    assert_string_equal(b.data, "Authentication-Results: mx.google.com; none\r\n");

    /* A clause carrying peer bytes cannot end the field or add one. */
    au_buf_reset(&b);
    ar.spf = "spf=pass smtp.mailfrom=a@b\r\nX-Evil: 1\n\0";
    assert_int_equal(au_ar_format(&b, &ar), 0);
    assert_string_equal(b.data, "Authentication-Results: mx.google.com;\r\n"
                                "       spf=pass smtp.mailfrom=a@b  X-Evil: 1 \r\n");

    /* More DKIM clauses than fit: capped, still one well-formed field. */
    const char *many[100];
    for (int i = 0; i < 100; i++)
        many[i] = "dkim=fail";
    struct au_ar big = {.dkim = many, .dkim_count = 100, .spf = "spf=pass"};
    au_buf_reset(&b);
    assert_int_equal(au_ar_format(&b, &big), 0);
    size_t lines = 0;
    for (size_t i = 0; i < b.len; i++)
        lines += b.data[i] == '\n';
    assert_int_equal(lines, AU_AR_CLAUSES_MAX - 4 + 1 + 1);
    assert_non_null(strstr(b.data, "dkim=fail;\r\n       spf=pass\r\n"));

    /* A buffer too small says so. */
    struct au_buf small;
    au_buf_init(&small, 30);
    assert_int_equal(au_ar_format(&small, &big), -1);
    assert_true(small.len <= 30);
    au_buf_free(&small);
    au_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_2019),
        cmocka_unit_test(test_2025_arc_dara),
        cmocka_unit_test(test_several_dkim_no_dmarc),
        cmocka_unit_test(test_none_and_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
