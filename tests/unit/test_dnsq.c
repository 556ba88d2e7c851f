/*
 * test_dnsq - asynchronous DNS over the stub (smtpd/dnsq.c): answers and
 * done callbacks never run inside the call that asked, cancel means the
 * callback never runs, many runs at once, nothing leaks (ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsq.h"

static const char zone[] = "$ORIGIN example.com.\n"
                           "@ SOA ns h 1 2 3 4 60\n"
                           "a A 192.0.2.1\n"
                           "b A 192.0.2.2\n"
                           "c CNAME a\n"
                           "t TXT \"v=spf1 \" \"-all\"\n";

static struct au_dns_stub *make_stub(void)
{
    struct au_dns_stub *s = au_dns_stub_new();
    char err[128];
    assert_int_equal(au_dns_stub_add_zone(s, zone, strlen(zone), NULL, "t", err, sizeof err), 0);
    assert_int_equal(au_dns_stub_add_fault_spec(s, "b.example.com/A=timeout", err, sizeof err),
                     0);
    return s;
}

/* A toy check: looks up a.example.com, b, c, x in rounds of `width`
 * queries, `rounds` times, counting statuses. */
struct toy {
    int rounds, width, round;
    int records, tempfail, nxdomain;
    int steps;
    int done;
    int in_start;   /* set while dnsq_run_start runs */
    int done_inside_start;
};

static const char *const names[] = {"a.example.com", "b.example.com", "c.example.com",
                                    "x.example.com"};

static enum au_step toy_step(void *arg, struct au_dns_batch *batch)
{
    struct toy *t = arg;
    t->steps++;
    for (size_t i = 0; i < batch->n; i++) {
        assert_non_null(batch->a[i]);
        switch (batch->a[i]->status) {
        case AU_DNS_RECORDS:
            t->records++;
            break;
        case AU_DNS_TEMPFAIL:
            t->tempfail++;
            break;
        case AU_DNS_NXDOMAIN:
            t->nxdomain++;
            break;
        default:
            fail();
        }
        au_dns_answer_unref(batch->a[i]);
        batch->a[i] = NULL;
    }
    batch->n = 0;
    if (t->round == t->rounds)
        return AU_STEP_DONE;
    t->round++;
    for (int i = 0; i < t->width; i++)
        assert_int_equal(au_dns_batch_add(batch, names[i % 4], AU_DNS_A), 0);
    return AU_STEP_NEED_DNS;
}

static void toy_done(void *arg)
{
    struct toy *t = arg;
    if (t->in_start)
        t->done_inside_start = 1;
    t->done++;
}

struct fixture {
    uv_loop_t loop;
    struct au_dns_stub *stub;
    struct dnsq *d;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    f->stub = make_stub();
    f->d = dnsq_new(&f->loop, f->stub, NULL);
    assert_non_null(f->d);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    dnsq_free(f->d);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);   /* every handle closed */
    au_dns_stub_free(f->stub);
    free(f);
    return 0;
}

static void test_run_done_later(void **state)
{
    struct fixture *f = *state;
    struct toy t = {.rounds = 3, .width = 4};
    t.in_start = 1;
    struct dnsq_run *run = dnsq_run_start(f->d, toy_step, &t, toy_done, &t);
    t.in_start = 0;
    assert_non_null(run);
    assert_int_equal(t.steps, 0);
    assert_int_equal(t.done, 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(t.done, 1);
    assert_int_equal(t.done_inside_start, 0);
    assert_int_equal(t.steps, 4);
    assert_int_equal(t.records, 6);    /* a and c (via CNAME), 3 rounds */
    assert_int_equal(t.tempfail, 3);   /* b: timeout fault */
    assert_int_equal(t.nxdomain, 3);
}

/* A check that needs no DNS at all is still done on a later turn. */
static void test_run_without_dns(void **state)
{
    struct fixture *f = *state;
    struct toy t = {.rounds = 0, .width = 1};
    t.in_start = 1;
    dnsq_run_start(f->d, toy_step, &t, toy_done, &t);
    t.in_start = 0;
    assert_int_equal(t.done, 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(t.done, 1);
    assert_int_equal(t.done_inside_start, 0);
}

static void test_run_cancel(void **state)
{
    struct fixture *f = *state;
    /* Cancelled before its first step. */
    struct toy t1 = {.rounds = 2, .width = 3};
    struct dnsq_run *r1 = dnsq_run_start(f->d, toy_step, &t1, toy_done, &t1);
    dnsq_run_cancel(r1);
    /* Cancelled with answers half in: step once, then cancel. */
    struct toy t2 = {.rounds = 2, .width = 3};
    struct dnsq_run *r2 = dnsq_run_start(f->d, toy_step, &t2, toy_done, &t2);
    uv_run(&f->loop, UV_RUN_NOWAIT);   /* first step: queries issued */
    assert_int_equal(t2.steps, 1);
    dnsq_run_cancel(r2);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(t1.steps, 0);
    assert_int_equal(t1.done, 0);
    assert_int_equal(t2.steps, 1);
    assert_int_equal(t2.done, 0);
}

#define MANY 500

static void test_many_runs(void **state)
{
    struct fixture *f = *state;
    struct toy *t = calloc(MANY, sizeof *t);
    struct dnsq_run *runs[MANY];
    for (int i = 0; i < MANY; i++) {
        t[i].rounds = 1 + i % 5;
        t[i].width = 1 + i % AU_DNS_BATCH_MAX;
        runs[i] = dnsq_run_start(f->d, toy_step, &t[i], toy_done, &t[i]);
    }
    /* Cancel every seventh after one turn. */
    uv_run(&f->loop, UV_RUN_NOWAIT);
    for (int i = 0; i < MANY; i += 7)
        dnsq_run_cancel(runs[i]);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    for (int i = 0; i < MANY; i++) {
        if (i % 7 == 0) {
            assert_int_equal(t[i].done, 0);
            continue;
        }
        assert_int_equal(t[i].done, 1);
        assert_int_equal(t[i].steps, t[i].rounds + 1);
        int answers = t[i].records + t[i].tempfail + t[i].nxdomain;
        assert_int_equal(answers, t[i].rounds * t[i].width);
    }
    free(t);
}

struct lookup_probe {
    int called;
    int inside;
    enum au_dns_status status;
};

static int in_lookup;

static void probe_cb(void *arg, struct au_dns_answer *a)
{
    struct lookup_probe *p = arg;
    p->called++;
    p->inside |= in_lookup;
    p->status = a->status;
    au_dns_answer_unref(a);
}

static void test_lookup_and_cancel(void **state)
{
    struct fixture *f = *state;
    struct lookup_probe p1 = {0}, p2 = {0};
    struct au_dns_query q = {.type = AU_DNS_TXT, .name = "t.example.com"};
    in_lookup = 1;
    dnsq_lookup(f->d, &q, probe_cb, &p1);
    struct dnsq_req *r2 = dnsq_lookup(f->d, &q, probe_cb, &p2);
    in_lookup = 0;
    assert_int_equal(p1.called, 0);
    dnsq_cancel(r2);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(p1.called, 1);
    assert_int_equal(p1.inside, 0);
    assert_int_equal(p1.status, AU_DNS_RECORDS);
    assert_int_equal(p2.called, 0);
}

/* Freeing the dnsq with work pending drops it: no callback, no leak. */
static void test_free_with_pending(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct au_dns_stub *stub = make_stub();
    struct dnsq *d = dnsq_new(&loop, stub, NULL);
    struct lookup_probe p = {0};
    struct au_dns_query q = {.type = AU_DNS_A, .name = "a.example.com"};
    dnsq_lookup(d, &q, probe_cb, &p);
    struct toy t1 = {.rounds = 2, .width = 2}, t2 = {.rounds = 3, .width = 2};
    dnsq_run_start(d, toy_step, &t1, toy_done, &t1);
    dnsq_run_start(d, toy_step, &t2, toy_done, &t2);
    uv_run(&loop, UV_RUN_NOWAIT);   /* both runs have queries out */
    dnsq_lookup(d, &q, probe_cb, &p);
    dnsq_free(d);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(t1.done + t2.done, 0);
    au_dns_stub_free(stub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_run_done_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_without_dns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookup_and_cancel, setup, teardown),
        cmocka_unit_test(test_free_with_pending),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
