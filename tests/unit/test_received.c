/*
 * test_received - Gmail's Received field and the clocks it uses.
 * Expected values: US DST law (second Sunday of March 2:00 PST, first Sunday
 * of November 2:00 PDT; 2026: March 8 and November 1), RFC 5322 3.3 date
 * syntax, REFERENCE.md 5.1 layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "received.h"

static void test_pacific_dst_edges(void **state)
{
    /* 2026-03-08 09:59:59 UTC is 01:59:59 PST; one second later 03:00 PDT. */
    assert_int_equal(received_pacific_offset(1772963999), -8 * 3600);
    assert_int_equal(received_pacific_offset(1772964000), -7 * 3600);
    /* 2026-11-01 08:59:59 UTC is 01:59:59 PDT; one second later 01:00 PST. */
    assert_int_equal(received_pacific_offset(1793523599), -7 * 3600);
    assert_int_equal(received_pacific_offset(1793523600), -8 * 3600);
    /* 2019-05-20 05:41:24 UTC: the REFERENCE.md example, 22:41:24 -0700 (PDT). */
    char d[64];
    received_date(d, sizeof d, 1558330884);
    assert_string_equal(d, "Sun, 19 May 2019 22:41:24 -0700 (PDT)");
}

static void test_iso8601(void **state)
{
    char s[40];
    received_iso8601(s, sizeof s, 1795687484760LL);
    assert_string_equal(s, "2026-11-26T10:04:44.760Z");
}

static void test_header_layout(void **state)
{
    struct au_buf b;
    au_buf_init(&b, 4096);
    struct received_info ri = {
        .helo = "new4-smtp.messagingengine.com",
        .rdns = "new4-smtp.messagingengine.com",
        .ip = "66.111.4.230",
        .by = "mx.google.com",
        .sid = "t39si2121458qvc.158",
        .rcpt = "linux-mm@kvack.org",
        .protocol = "ESMTPS",
        .tls_version = "TLS1_2",
        .tls_cipher = "ECDHE-RSA-AES128-GCM-SHA256",
        .tls_bits = 128,
    };
    received_header(&b, &ri, 1558330884);
    /* REFERENCE.md 5.1, the 2019 example, byte for byte. */
    assert_string_equal(
        b.data,
        "Received: from new4-smtp.messagingengine.com (new4-smtp.messagingengine.com. "
        "[66.111.4.230])\r\n"
        "        by mx.google.com with ESMTPS id t39si2121458qvc.158.2019.05.19.22.41.24\r\n"
        "        for <linux-mm@kvack.org>\r\n"
        "        (version=TLS1_2 cipher=ECDHE-RSA-AES128-GCM-SHA256 bits=128/128);\r\n"
        "        Sun, 19 May 2019 22:41:24 -0700 (PDT)\r\n");
    au_buf_reset(&b);
    struct received_info plain = {.helo = "hostname.example.local", .rdns = "",
                                  .ip = "198.51.100.0", .by = "mx.example.net",
                                  .sid = "012-3456789abcdef.0f", .rcpt = "bob@example.net",
                                  .protocol = "ESMTP"};
    received_header(&b, &plain, 1584749899);
    /* REFERENCE.md 5.1, the plaintext Workspace example (its anonymised date says
     * "Tue"; 2020-03-20 was a Friday). */
    assert_string_equal(b.data,
                        "Received: from hostname.example.local ([198.51.100.0])\r\n"
                        "        by mx.example.net with ESMTP id "
                        "012-3456789abcdef.0f.2020.03.20.17.18.19\r\n"
                        "        for <bob@example.net>;\r\n"
                        "        Fri, 20 Mar 2020 17:18:19 -0700 (PDT)\r\n");
    au_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pacific_dst_edges),
        cmocka_unit_test(test_iso8601),
        cmocka_unit_test(test_header_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
