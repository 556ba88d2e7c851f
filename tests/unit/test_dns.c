/*
 * test_dns - answers, the builder, batches and the synchronous driver
 * (auth/dns.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dns.h"

static void test_status_answer(void **state)
{
    struct au_dns_answer *a = au_dns_answer_status(AU_DNS_TEMPFAIL, 0, "timeout");
    assert_int_equal(a->status, AU_DNS_TEMPFAIL);
    assert_string_equal(a->detail, "timeout");
    assert_int_equal(a->count, 0);
    assert_null(a->cname);
    assert_ptr_equal(au_dns_answer_ref(a), a);
    assert_int_equal(a->refs, 2);
    au_dns_answer_unref(a);
    au_dns_answer_unref(a);
    au_dns_answer_unref(NULL);

    a = au_dns_answer_status(AU_DNS_NXDOMAIN, 60, NULL);
    assert_string_equal(a->detail, "");
    assert_int_equal(a->ttl, 60);
    au_dns_answer_unref(a);
}

static void test_builder_all_types(void **state)
{
    struct au_dns_builder *b = au_dns_builder_new();
    const uint8_t v4[4] = {192, 0, 2, 1};
    const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    au_dns_builder_add_a(b, 300, v4);
    au_dns_builder_add_aaaa(b, 200, v6);
    au_dns_builder_add_name(b, AU_DNS_PTR, 400, "host.example.com");
    au_dns_builder_add_mx(b, 500, 10, "mx.example.com");
    au_dns_builder_add_mx(b, 500, 0, "");
    /* Strings with a NUL inside, kept apart. */
    struct au_slice s[3] = {{"v=spf1 ", 7}, {"a\0b", 3}, {"", 0}};
    au_dns_builder_add_txt(b, AU_DNS_TXT, 100, s, 3);
    au_dns_builder_add_txt(b, AU_DNS_SPF, 150, s, 1);
    char target[] = "alias.example.com";
    au_dns_builder_set_cname(b, target);
    target[0] = 'X';   /* the builder copied it */
    struct au_dns_answer *a = au_dns_builder_finish(b);

    assert_int_equal(a->status, AU_DNS_RECORDS);
    assert_int_equal(a->count, 7);
    assert_int_equal(a->ttl, 100);
    assert_string_equal(a->cname, "alias.example.com");
    assert_string_equal(a->detail, "");
    assert_int_equal(a->rr[0].type, AU_DNS_A);
    assert_memory_equal(a->rr[0].u.a, v4, 4);
    assert_memory_equal(a->rr[1].u.aaaa, v6, 16);
    assert_string_equal(a->rr[2].u.name, "host.example.com");
    assert_int_equal(a->rr[3].u.mx.pref, 10);
    assert_string_equal(a->rr[3].u.mx.host, "mx.example.com");
    assert_string_equal(a->rr[4].u.mx.host, "");
    assert_int_equal(a->rr[5].u.txt.count, 3);
    assert_int_equal(a->rr[5].u.txt.str[1].len, 3);
    assert_memory_equal(a->rr[5].u.txt.str[1].ptr, "a\0b", 3);
    assert_int_equal(a->rr[5].u.txt.str[2].len, 0);
    assert_int_equal(a->rr[6].type, AU_DNS_SPF);
    assert_int_equal(a->rr[6].u.txt.count, 1);

    struct au_buf out;
    au_buf_init(&out, 100);
    assert_int_equal(au_dns_txt_join(&a->rr[5], &out), 0);
    assert_int_equal(out.len, 10);
    assert_memory_equal(out.data, "v=spf1 a\0b", 10);
    au_buf_free(&out);
    au_buf_init(&out, 5);
    assert_int_equal(au_dns_txt_join(&a->rr[5], &out), -1);
    assert_int_equal(au_dns_txt_join(&a->rr[0], &out), -1);
    au_buf_free(&out);
    au_dns_answer_unref(a);
}

static void test_builder_empty_is_nodata(void **state)
{
    struct au_dns_answer *a = au_dns_builder_finish(au_dns_builder_new());
    assert_int_equal(a->status, AU_DNS_NODATA);
    assert_int_equal(a->count, 0);
    assert_null(a->rr);
    au_dns_answer_unref(a);
}

static void test_batch_add(void **state)
{
    struct au_dns_batch batch = {0};
    char name[300];
    memset(name, 'a', sizeof name);
    name[AU_DNS_NAME_MAX] = '\0';
    assert_int_equal(au_dns_batch_add(&batch, name, AU_DNS_A), 0);
    name[AU_DNS_NAME_MAX] = '.';   /* the trailing dot does not count */
    name[AU_DNS_NAME_MAX + 1] = '\0';
    assert_int_equal(au_dns_batch_add(&batch, name, AU_DNS_A), 0);
    assert_int_equal(strlen(batch.q[1].name), AU_DNS_NAME_MAX);
    name[AU_DNS_NAME_MAX] = 'a';
    assert_int_equal(au_dns_batch_add(&batch, name, AU_DNS_A), -1);
    while (batch.n < AU_DNS_BATCH_MAX)
        assert_int_equal(au_dns_batch_add(&batch, "example.com.", AU_DNS_TXT), 0);
    assert_string_equal(batch.q[2].name, "example.com");
    assert_int_equal(au_dns_batch_add(&batch, "x", AU_DNS_A), -1);
    for (size_t i = 0; i < batch.n; i++)
        batch.a[i] = au_dns_answer_status(AU_DNS_NODATA, 0, NULL);
    au_dns_batch_clear(&batch);   /* ASan proves the answers are freed */
    assert_int_equal(batch.n, 0);
}

/* A toy check: asks for "n<i>.example" A for i in 0..rounds, two per step,
 * and counts the answers that were RECORDS. */
struct toy {
    int round, rounds, records, steps;
};

static enum au_step toy_step(void *arg, struct au_dns_batch *batch)
{
    struct toy *t = arg;
    t->steps++;
    for (size_t i = 0; i < batch->n; i++) {
        assert_non_null(batch->a[i]);
        if (batch->a[i]->status == AU_DNS_RECORDS)
            t->records++;
        au_dns_answer_unref(batch->a[i]);
        batch->a[i] = NULL;
    }
    batch->n = 0;
    if (t->round >= t->rounds)
        return AU_STEP_DONE;
    char name[32];
    snprintf(name, sizeof name, "n%d.example", t->round++);
    au_dns_batch_add(batch, name, AU_DNS_A);
    au_dns_batch_add(batch, "missing.example", AU_DNS_A);
    return AU_STEP_NEED_DNS;
}

static struct au_dns_answer *toy_lookup(void *ctx, const struct au_dns_query *q)
{
    int *calls = ctx;
    (*calls)++;
    if (strcmp(q->name, "missing.example") == 0)
        return au_dns_answer_status(AU_DNS_NXDOMAIN, 0, NULL);
    struct au_dns_builder *b = au_dns_builder_new();
    const uint8_t v4[4] = {127, 0, 0, 1};
    au_dns_builder_add_a(b, 1, v4);
    return au_dns_builder_finish(b);
}

static void test_run(void **state)
{
    struct toy t = {.rounds = 5};
    int calls = 0;
    au_dns_run(toy_step, &t, toy_lookup, &calls);
    assert_int_equal(calls, 10);
    assert_int_equal(t.records, 5);
    assert_int_equal(t.steps, 6);
}

static void test_names(void **state)
{
    static const struct {
        const char *name;
        int type;
    } table[] = {
        {"A", 1},      {"a", 1},     {"NS", 2},     {"CNAME", 5}, {"SOA", 6},
        {"ptr", 12},   {"MX", 15},   {"TXT", 16},   {"AAAA", 28}, {"spf", 99},
        {"ANY", 255},  {"SRV", -1},  {"", -1},      {"AA", -1},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        assert_int_equal(au_dns_type_parse(table[i].name), table[i].type);
        if (table[i].type > 0)
            assert_int_equal(strcasecmp(au_dns_type_name((uint16_t)table[i].type),
                                        table[i].name), 0);
    }
    assert_string_equal(au_dns_type_name(99), "SPF");
    assert_string_equal(au_dns_type_name(16), "TXT");
    assert_null(au_dns_type_name(33));
    assert_string_equal(au_dns_status_name(AU_DNS_NXDOMAIN), "NXDOMAIN");
    assert_string_equal(au_dns_status_name(AU_DNS_NODATA), "NODATA");
    assert_string_equal(au_dns_status_name(AU_DNS_TEMPFAIL), "TEMPFAIL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_answer),  cmocka_unit_test(test_builder_all_types),
        cmocka_unit_test(test_builder_empty_is_nodata), cmocka_unit_test(test_batch_add),
        cmocka_unit_test(test_run),            cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
