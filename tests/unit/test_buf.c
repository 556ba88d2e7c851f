/*
 * test_buf - the growable buffer: limits, growth, NUL spare, consume.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "buf.h"

static void test_limit_is_hard(void **state)
{
    struct au_buf b;
    au_buf_init(&b, 8);
    assert_int_equal(au_buf_append(&b, "12345678", 8), 0);
    assert_int_equal(au_buf_append(&b, "9", 1), -1);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    assert_true(b.cap <= 9);
    au_buf_free(&b);
}

static void test_printf_and_consume(void **state)
{
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(au_buf_printf(&b, "%04d", i), 0);
    assert_int_equal(b.len, 4000);
    au_buf_consume(&b, 3996);
    assert_string_equal(b.data, "0999");
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(au_buf_printf(&b, "%s", big), 0);
    assert_int_equal(b.len, 4 + 599);
    assert_int_equal(b.data[b.len], 0);
    au_buf_free(&b);
}

static void test_embedded_nul_and_slices(void **state)
{
    struct au_buf b;
    au_buf_init(&b, 100);
    assert_int_equal(au_buf_append(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, 3);
    struct au_slice s = au_slice_trim(au_slice_cstr("  MAIL \t"));
    assert_true(au_slice_eq_ci(s, "mail"));
    assert_false(au_slice_eq(s, "mail"));
    assert_true(au_slice_prefix_ci(au_slice_cstr("FROM:<x>"), "from:"));
    au_buf_free(&b);
}

static void test_space_commit(void **state)
{
    struct au_buf b;
    au_buf_init(&b, 10);
    size_t avail = 0;
    char *p = au_buf_space(&b, 4, &avail);
    assert_non_null(p);
    assert_true(avail >= 4 && avail <= 10);
    memcpy(p, "abcd", 4);
    au_buf_commit(&b, 4);
    assert_string_equal(b.data, "abcd");
    assert_null(au_buf_space(&b, 7, &avail));
    au_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_is_hard),
        cmocka_unit_test(test_printf_and_consume),
        cmocka_unit_test(test_embedded_nul_and_slices),
        cmocka_unit_test(test_space_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
