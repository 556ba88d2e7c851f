/*
 * test_spf - check_host() over a stub zone: the trace (records, terms,
 * counts, deciding term), the batch of MX address lookups, hostile records
 * (include loops, 10 000 terms, a macro expanding past a megabyte), the HELO
 * identity, and Gmail's Received-SPF / Authentication-Results texts checked
 * against the literal examples of shared/gmail/REFERENCE.md 5.2 and 5.3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "dns_stub.h"
#include "spf.h"

static const char zone[] =
    "$ORIGIN .\n"
    "$TTL 300\n"
    "kernel.org.          TXT \"v=spf1 ~all\"\n"
    "microchip.com.       TXT \"v=spf1 -all\"\n"
    "gmail.com.           TXT \"v=spf1 \" \"redirect=_spf.google.com\"\n"
    "_spf.google.com.     TXT \"v=spf1 ip4:209.85.128.0/17 ~all\"\n"
    "pass.example.        TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "neutral.example.     TXT \"v=spf1 ?all\"\n"
    "nospf.example.       A 192.0.2.1\n"
    "broken.example.      TXT \"v=spf1 ip4:192.0.2.300 -all\"\n"
    "timeout.example.     TXT \"v=spf1 -all\"\n"
    "trace.example.       TXT \"v=spf1 a:nx.trace.example ip4:192.0.2.0/24 -all\"\n"
    "mx3.example.         TXT \"v=spf1 mx -all\"\n"
    "mx3.example.         MX 10 m1.mx3.example.\n"
    "mx3.example.         MX 20 m2.mx3.example.\n"
    "mx3.example.         MX 30 m3.mx3.example.\n"
    "m1.mx3.example.      A 198.51.100.1\n"
    "m2.mx3.example.      A 198.51.100.2\n"
    "m3.mx3.example.      A 192.0.2.77\n"
    "loop-a.example.      TXT \"v=spf1 include:loop-b.example -all\"\n"
    "loop-b.example.      TXT \"v=spf1 include:loop-a.example -all\"\n"
    "self.example.        TXT \"v=spf1 redirect=self.example\"\n"
    "helo.example.        TXT \"v=spf1 a -all\"\n"
    "helo.example.        A 192.0.2.5\n"
    "ptrerr.example.      TXT \"v=spf1 ptr ?all\"\n"
    "b.example.           A 192.0.2.1\n"
    "longmx.example.      TXT \"v=spf1 mx ?all\"\n";

struct world {
    struct au_dns_stub *stub;
    const char *big_name; /* answered with big_txt instead of the stub */
    const char *big_txt;
    size_t big_len;
    size_t batch[256];
    size_t nbatch;
};

static struct au_dns_answer *lookup(struct world *w, const struct au_dns_query *q)
{
    if (w->big_name && q->type == AU_DNS_TXT && strcasecmp(q->name, w->big_name) == 0) {
        /* A TXT record of many 255-byte character-strings. */
        size_t n = (w->big_len + 254) / 255;
        struct au_slice *parts = calloc(n, sizeof *parts);
        for (size_t i = 0; i < n; i++) {
            size_t off = i * 255, len = w->big_len - off < 255 ? w->big_len - off : 255;
            parts[i] = au_slice_make(w->big_txt + off, len);
        }
        struct au_dns_builder *b = au_dns_builder_new();
        au_dns_builder_add_txt(b, AU_DNS_TXT, 300, parts, n);
        free(parts);
        return au_dns_builder_finish(b);
    }
    if (q->type == AU_DNS_MX && strcasecmp(q->name, "longmx.example") == 0) {
        /* One MX host whose name is longer than any query may be. */
        char host[301];
        memset(host, 'h', 300);
        host[300] = '\0';
        struct au_dns_builder *b = au_dns_builder_new();
        au_dns_builder_add_mx(b, 300, 10, host);
        return au_dns_builder_finish(b);
    }
    return au_dns_stub_lookup(w->stub, q);
}

/* A driver that records the size of every batch. */
static void run(struct au_spf *spf, struct world *w)
{
    struct au_dns_batch b;
    memset(&b, 0, sizeof b);
    while (au_spf_step(spf, &b) == AU_STEP_NEED_DNS) {
        assert_true(b.n >= 1 && b.n <= AU_DNS_BATCH_MAX);
        if (w->nbatch < 256)
            w->batch[w->nbatch++] = b.n;
        for (size_t i = 0; i < b.n; i++)
            b.a[i] = lookup(w, &b.q[i]);
    }
    assert_int_equal(b.n, 0);
    /* Rule 4: a finished check stays finished. */
    assert_int_equal(au_spf_step(spf, &b), AU_STEP_DONE);
}

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    w->stub = au_dns_stub_new();
    char err[256];
    if (au_dns_stub_add_zone(w->stub, zone, strlen(zone), "", "<zone>", err, sizeof err) != 0) {
        fprintf(stderr, "zone: %s\n", err);
        return -1;
    }
    au_dns_stub_add_fault(w->stub, "timeout.example", AU_DNS_TXT, AU_DNS_FAULT_TIMEOUT);
    au_dns_stub_add_fault(w->stub, "4.2.0.192.in-addr.arpa", AU_DNS_PTR, AU_DNS_FAULT_SERVFAIL);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    au_dns_stub_free(w->stub);
    free(w);
    return 0;
}

static struct au_spf *eval(struct world *w, const char *ip, const char *mail_from, const char *helo)
{
    struct au_spf_params p;
    memset(&p, 0, sizeof p);
    assert_int_equal(au_ip_parse(ip, strlen(ip), &p.ip), 0);
    p.mail_from = mail_from;
    p.helo = helo;
    p.now = 1764144000;
    w->nbatch = 0;
    struct au_spf *spf = au_spf_new(&p);
    run(spf, w);
    return spf;
}

static void expect_header(struct au_spf *spf, bool ar, const char *want)
{
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    assert_int_equal(ar ? au_spf_ar_clause(spf, &b) : au_spf_received_spf(spf, &b), 0);
    assert_string_equal(b.data, want);
    au_buf_free(&b);
}

/* REFERENCE.md 5.2 / 5.3: the literal examples. */
static void test_gmail_literals(void **state)
{
    struct world *w = *state;
    struct au_spf *spf =
        eval(w, "66.111.4.230", "tobin@kernel.org", "new4-smtp.messagingengine.com");
    assert_int_equal(au_spf_result(spf), AU_RESULT_SOFTFAIL);
    expect_header(spf, false,
                  "Received-SPF: softfail (google.com: domain of transitioning tobin@kernel.org "
                  "does not designate 66.111.4.230 as permitted sender) client-ip=66.111.4.230;");
    expect_header(spf, true,
                  "spf=softfail (google.com: domain of transitioning tobin@kernel.org does not "
                  "designate 66.111.4.230 as permitted sender) smtp.mailfrom=tobin@kernel.org");
    au_spf_free(spf);

    spf = eval(w, "68.232.153.233", "claudiu.beznea@microchip.com", "esa.microchip.iphmx.com");
    assert_int_equal(au_spf_result(spf), AU_RESULT_FAIL);
    expect_header(spf, false,
                  "Received-SPF: fail (google.com: domain of claudiu.beznea@microchip.com does "
                  "not designate 68.232.153.233 as permitted sender) client-ip=68.232.153.233;");
    au_spf_free(spf);

    spf = eval(w, "2a01:111:f403:c110::3", "ruizariasedgarmanuel@gmail.com", "x.outlook.com");
    assert_int_equal(au_spf_result(spf), AU_RESULT_SOFTFAIL);
    expect_header(
        spf, true,
        "spf=softfail (google.com: domain of transitioning ruizariasedgarmanuel@gmail.com "
        "does not designate 2a01:111:f403:c110::3 as permitted sender) "
        "smtp.mailfrom=ruizariasedgarmanuel@gmail.com");
    au_spf_free(spf);

    /* '=' in the address: quoted in the property, case kept there, lowercased in the comment. */
    spf = eval(w, "66.111.4.230", "SRS0=EH6w=D7=fygo.io=yukuai@kernel.org", "h.example");
    expect_header(spf, true,
                  "spf=softfail (google.com: domain of transitioning "
                  "srs0=eh6w=d7=fygo.io=yukuai@kernel.org does not designate 66.111.4.230 as "
                  "permitted sender) smtp.mailfrom=\"SRS0=EH6w=D7=fygo.io=yukuai@kernel.org\"");
    au_spf_free(spf);
}

/* The other results, in the shapes of the REFERENCE.md 5.3 table. */
static void test_gmail_shapes(void **state)
{
    struct world *w = *state;
    struct au_spf *spf = eval(w, "192.0.2.9", "Bounce@Pass.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_PASS);
    expect_header(spf, true,
                  "spf=pass (google.com: domain of bounce@pass.example designates 192.0.2.9 as "
                  "permitted sender) smtp.mailfrom=Bounce@Pass.example");
    au_spf_free(spf);

    spf = eval(w, "192.0.2.9", "a@neutral.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_NEUTRAL);
    expect_header(spf, true,
                  "spf=neutral (google.com: 192.0.2.9 is neither permitted nor denied by domain "
                  "of a@neutral.example) smtp.mailfrom=a@neutral.example");
    au_spf_free(spf);

    spf = eval(w, "192.0.2.9", "a@nospf.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_NONE);
    expect_header(spf, true,
                  "spf=none (google.com: a@nospf.example does not designate permitted sender "
                  "hosts) smtp.mailfrom=a@nospf.example");
    au_spf_free(spf);

    spf = eval(w, "192.0.2.9", "a@timeout.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_TEMPERROR);
    expect_header(spf, true,
                  "spf=temperror (google.com: error in processing during lookup of "
                  "a@timeout.example: DNS error) smtp.mailfrom=a@timeout.example");
    au_spf_free(spf);

    spf = eval(w, "192.0.2.9", "a@broken.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_PERMERROR);
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    au_spf_ar_clause(spf, &b);
    const char *pre = "spf=permerror (google.com: permanent error in processing during lookup "
                      "of a@broken.example: ";
    assert_true(strncmp(b.data, pre, strlen(pre)) == 0);
    assert_non_null(strstr(b.data, "ip4"));
    assert_non_null(strstr(b.data, ") smtp.mailfrom=a@broken.example"));
    au_buf_free(&b);
    au_spf_free(spf);
}

static void test_trace(void **state)
{
    struct world *w = *state;
    struct au_spf *spf = eval(w, "192.0.2.9", "x@trace.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_PASS);
    assert_int_equal(au_spf_lookups(spf), 1);
    assert_int_equal(au_spf_void_lookups(spf), 1);
    assert_int_equal(au_spf_dns_queries(spf), 2);
    assert_string_equal(au_spf_record(spf), "v=spf1 a:nx.trace.example ip4:192.0.2.0/24 -all");
    const struct au_spf_trace *t0 = au_spf_trace_at(spf, 0);
    assert_int_equal(t0->kind, AU_SPF_TRACE_RECORD);
    assert_string_equal(t0->domain, "trace.example");
    assert_int_equal(t0->mech, -1); /* a record entry */
    const struct au_spf_trace *t1 = au_spf_trace_at(spf, 1);
    assert_int_equal(t1->kind, AU_SPF_TRACE_TERM);
    assert_string_equal(t1->text, "a:nx.trace.example");
    assert_int_equal(t1->outcome, AU_SPF_OUT_NO_MATCH);
    assert_non_null(strstr(t1->detail, "void"));
    const struct au_spf_trace *d = au_spf_decided(spf);
    assert_non_null(d);
    assert_string_equal(d->text, "ip4:192.0.2.0/24");
    assert_int_equal(d->mech, AU_SPF_MECH_IP4);
    assert_int_equal(d->qualifier, '+');
    assert_int_equal(d->outcome, AU_SPF_OUT_MATCH);
    assert_int_equal(d->result, AU_RESULT_PASS);
    assert_null(au_spf_explanation(spf));
    au_spf_free(spf);

    /* A fail carries the (default) explanation. */
    spf = eval(w, "198.51.100.9", "x@trace.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_FAIL);
    assert_string_equal(au_spf_explanation(spf),
                        "trace.example does not designate 198.51.100.9 as permitted sender");
    assert_string_equal(au_spf_decided(spf)->text, "-all");
    assert_int_equal(au_spf_decided(spf)->mech, AU_SPF_MECH_ALL);
    assert_int_equal(au_spf_decided(spf)->qualifier, '-');
    au_spf_free(spf);
}

static void test_mx_batch(void **state)
{
    struct world *w = *state;
    struct au_spf *spf = eval(w, "192.0.2.77", "x@mx3.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_PASS);
    /* TXT, MX, then the three A lookups of the MX names in one batch. */
    assert_int_equal(w->nbatch, 3);
    assert_int_equal(w->batch[0], 1);
    assert_int_equal(w->batch[1], 1);
    assert_int_equal(w->batch[2], 3);
    au_spf_free(spf);
}

static void test_loops(void **state)
{
    struct world *w = *state;
    struct au_spf *spf = eval(w, "192.0.2.9", "x@loop-a.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_PERMERROR);
    assert_int_equal(au_spf_lookups(spf), AU_SPF_LOOKUP_MAX + 1);
    assert_non_null(strstr(au_spf_problem(spf), "4.6.4"));
    au_spf_free(spf);
    spf = eval(w, "192.0.2.9", "x@self.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_PERMERROR);
    assert_int_equal(au_spf_lookups(spf), AU_SPF_LOOKUP_MAX + 1);
    au_spf_free(spf);
}

static void test_hostile_records(void **state)
{
    struct world *w = *state;
    struct au_buf rec;
    au_buf_init(&rec, AU_BUF_NOLIMIT);
    /* 10 000 unknown modifiers: checked, ignored, then ?all. */
    au_buf_puts(&rec, "v=spf1");
    for (int i = 0; i < 10000; i++)
        au_buf_puts(&rec, " x=y");
    au_buf_puts(&rec, " ?all");
    w->big_name = "big.example";
    w->big_txt = rec.data;
    w->big_len = rec.len;
    struct au_spf *spf = eval(w, "192.0.2.9", "x@big.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_NEUTRAL);
    au_spf_free(spf);

    /* 5 000 "a" mechanisms: the eleventh DNS term is a permerror. */
    au_buf_reset(&rec);
    au_buf_puts(&rec, "v=spf1");
    for (int i = 0; i < 5000; i++)
        au_buf_puts(&rec, " a:b.example");
    w->big_txt = rec.data;
    w->big_len = rec.len;
    spf = eval(w, "192.0.2.9", "x@big.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_PERMERROR);
    assert_int_equal(au_spf_dns_queries(spf), 1 + AU_SPF_LOOKUP_MAX);
    au_spf_free(spf);

    /* 3 000 ip4 terms that do not match: the trace keeps its limit. */
    au_buf_reset(&rec);
    au_buf_puts(&rec, "v=spf1");
    for (int i = 0; i < 3000; i++)
        au_buf_puts(&rec, " ip4:10.0.0.1");
    w->big_txt = rec.data;
    w->big_len = rec.len;
    spf = eval(w, "192.0.2.9", "x@big.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_NEUTRAL);
    assert_true(au_spf_trace_truncated(spf));
    assert_int_equal(au_spf_trace_count(spf), AU_SPF_TRACE_MAX);
    au_spf_free(spf);

    /* A domain-spec that would expand to 1.5 MB: stopped at the named limit. */
    au_buf_reset(&rec);
    au_buf_puts(&rec, "v=spf1 a:");
    for (int i = 0; i < 15000; i++)
        au_buf_puts(&rec, "%{s}");
    au_buf_puts(&rec, ".example -all");
    w->big_txt = rec.data;
    w->big_len = rec.len;
    char sender[128];
    memset(sender, 'l', sizeof sender);
    snprintf(sender + 88, sizeof sender - 88, "@big.example");
    spf = eval(w, "192.0.2.9", sender, "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_PERMERROR);
    assert_non_null(strstr(au_spf_problem(spf), "expansion"));
    au_spf_free(spf);
    w->big_name = NULL;
    au_buf_free(&rec);
}

static void test_helo_identity_and_ptr_error(void **state)
{
    struct world *w = *state;
    /* The null sender checks postmaster@HELO (RFC 7208 2.4). */
    struct au_spf *spf = eval(w, "192.0.2.5", "", "helo.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_PASS);
    assert_int_equal(au_spf_identity(spf), AU_SPF_ID_HELO);
    assert_string_equal(au_spf_sender(spf), "postmaster@helo.example");
    assert_string_equal(au_spf_domain(spf), "helo.example");
    expect_header(spf, true,
                  "spf=pass (google.com: domain of helo.example designates 192.0.2.5 as "
                  "permitted sender) smtp.helo=helo.example");
    au_spf_free(spf);
    /* A single-label or literal HELO is none (4.3). */
    spf = eval(w, "192.0.2.5", NULL, "[192.0.2.5]");
    assert_int_equal(au_spf_result(spf), AU_RESULT_NONE);
    assert_int_equal(au_spf_dns_queries(spf), 0);
    au_spf_free(spf);
    /* 5.5: a DNS error on the PTR lookup is no match, not temperror. */
    spf = eval(w, "192.0.2.4", "x@ptrerr.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_NEUTRAL);
    au_spf_free(spf);
    /* An MX host name too long to ask for is no address, not a broken batch. */
    spf = eval(w, "192.0.2.4", "x@longmx.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_NEUTRAL);
    au_spf_free(spf);
    /* IPv4-mapped IPv6 is IPv4. */
    spf = eval(w, "::ffff:192.0.2.9", "x@pass.example", "h.example");
    assert_int_equal(au_spf_result(spf), AU_RESULT_PASS);
    assert_int_equal(au_spf_ip(spf)->family, AU_IP_V4);
    au_spf_free(spf);
    au_spf_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gmail_literals),
        cmocka_unit_test(test_gmail_shapes),
        cmocka_unit_test(test_trace),
        cmocka_unit_test(test_mx_batch),
        cmocka_unit_test(test_loops),
        cmocka_unit_test(test_hostile_records),
        cmocka_unit_test(test_helo_identity_and_ptr_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
