/*
 * test_dmarc - DMARC record parser (hostile table), policy discovery over a
 * stub zone, relaxed and strict alignment, p vs sp, temperror paths, and
 * the Authentication-Results clause.  Expected values come from RFC 7489
 * (sections cited per case) and REFERENCE.md 5.3 for Gmail's clause form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dmarc.h"
#include "dmarc_record.h"
#include "dns_stub.h"
#include "orgdomain.h"
#include "psl_load.h"

/* ---------------------------------------------------------------- parser */

struct parse_case {
    const char *text;
    enum au_dmarc_parse want;
    enum au_dmarc_policy p, sp; /* checked when want is OK */
    unsigned pct;
    enum au_dmarc_align adkim, aspf;
    bool implied;
};

#define OK_(t, p_, sp_, pct_, ad, as)                                                              \
    {                                                                                              \
        t, AU_DMARC_PARSE_OK, AU_DMARC_POLICY_##p_, AU_DMARC_POLICY_##sp_, pct_,                   \
            AU_DMARC_ALIGN_##ad, AU_DMARC_ALIGN_##as, false                                        \
    }
#define BAD(t, w)                                                                                  \
    {                                                                                              \
        t, AU_DMARC_PARSE_##w, 0, 0, 0, 0, 0, false                                                \
    }

static const struct parse_case parse_table[] = {
    /* 6.3: the tags and their defaults (pct 100, adkim/aspf relaxed). */
    OK_("v=DMARC1; p=reject", REJECT, UNSET, 100, RELAXED, RELAXED),
    OK_("v=DMARC1;p=quarantine;sp=none;pct=25;adkim=s;aspf=s;fo=1:d;ri=3600;"
        "rua=mailto:a@example.com;ruf=mailto:f@example.com;rf=afrf",
        QUARANTINE, NONE, 25, STRICT, STRICT),
    /* 6.4: quoted ABNF strings are case-insensitive, WSP around '=' and ';'. */
    OK_("V = DMARC1 ;\tP = Reject ; ADKIM=S", REJECT, UNSET, 100, STRICT, RELAXED),
    OK_("v=DMARC1; p=none;", NONE, UNSET, 100, RELAXED, RELAXED),
    OK_("v=DMARC1;; p=none ;;", NONE, UNSET, 100, RELAXED, RELAXED),
    OK_("v=DMARC1; p=none; pct=0", NONE, UNSET, 0, RELAXED, RELAXED),
    OK_("v=DMARC1; p=none; pct=100", NONE, UNSET, 100, RELAXED, RELAXED),
    OK_("v=DMARC1; p=none; fo=0:1:d:s", NONE, UNSET, 100, RELAXED, RELAXED),
    /* 6.3: unknown tags MUST be ignored (np= and psd= are DMARCbis). */
    OK_("v=DMARC1; p=none; np=reject; psd=y; x_y=1; foo=", NONE, UNSET, 100, RELAXED, RELAXED),
    /* 6.6.3 steps 2 and 4: not starting with v=DMARC1 -> not a DMARC record. */
    BAD("", NOT_DMARC),
    BAD("v=spf1 -all", NOT_DMARC),
    BAD("v=DMARC2; p=reject", NOT_DMARC),
    BAD("v=dmarc1; p=reject", NOT_DMARC), /* %x44.4d.41.52.43.31: exact */
    BAD("p=reject; v=DMARC1", NOT_DMARC), /* v MUST be first (6.3) */
    BAD("v=DMARC1 p=reject", NOT_DMARC),
    BAD("v=DMARC10; p=reject", NOT_DMARC),
    BAD("vv=DMARC1; p=reject", NOT_DMARC),
    BAD("\xef\xbb\xbfv=DMARC1; p=reject", NOT_DMARC),
    /* 6.6.3 step 6: no valid p (or an invalid sp) and no valid rua -> none. */
    BAD("v=DMARC1", NO_POLICY),
    BAD("v=DMARC1;", NO_POLICY),
    BAD("v=DMARC1; sp=reject", NO_POLICY),
    BAD("v=DMARC1; p=bogus", NO_POLICY),
    BAD("v=DMARC1; p=", NO_POLICY),
    BAD("v=DMARC1; p=reject; sp=bogus", NO_POLICY),
    BAD("v=DMARC1; p=bogus; rua=not-a-uri", NO_POLICY),
    BAD("v=DMARC1; p=bogus; rua=mailto:a@example.com!x", NO_POLICY),
    /* 11.2: syntactically incorrect records -> permerror. */
    BAD("v=DMARC1; p=none; reject", SYNTAX),   /* the authheaders "bad" record */
    BAD("v=DMARC1; p=none; p=reject", SYNTAX), /* duplicate (RFC 6376 3.2) */
    BAD("v=DMARC1; p=none; P=reject", SYNTAX),
    BAD("v=DMARC1; p=none; v=DMARC1", SYNTAX),
    BAD("v=DMARC1; p=none; foo=1; foo=2", SYNTAX),
    BAD("v=DMARC1; p=none; pct=101", SYNTAX),
    BAD("v=DMARC1; p=none; pct=1000", SYNTAX),
    BAD("v=DMARC1; p=none; pct=-1", SYNTAX),
    BAD("v=DMARC1; p=none; pct=", SYNTAX),
    BAD("v=DMARC1; p=none; pct=5x", SYNTAX),
    BAD("v=DMARC1; p=none; adkim=x", SYNTAX),
    BAD("v=DMARC1; p=none; aspf=", SYNTAX),
    BAD("v=DMARC1; p=none; fo=2", SYNTAX),
    BAD("v=DMARC1; p=none; fo=0::1", SYNTAX),
    BAD("v=DMARC1; p=none; ri=12h", SYNTAX),
    BAD("v=DMARC1; p=none; rf=af rf", SYNTAX),
    BAD("v=DMARC1; p=none; =x", SYNTAX),
    BAD("v=DMARC1; p=none; 1a=x", SYNTAX),
    BAD("v=DMARC1; p=none; a b=x", SYNTAX),
    BAD("v=DMARC1; p=none; x=caf\xc3\xa9", SYNTAX), /* non-ASCII */
    BAD("v=DMARC1; p=none\r\n", SYNTAX),            /* control bytes */
    BAD("v=DMARC1; p=\x80reject", SYNTAX),
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_table / sizeof parse_table[0]; i++) {
        const struct parse_case *c = &parse_table[i];
        struct au_dmarc_record rec;
        enum au_dmarc_parse r = au_dmarc_record_parse(au_slice_cstr(c->text), &rec);
        if (r != c->want)
            fail_msg("case %zu \"%s\": got %s (%s), want %s", i, c->text, au_dmarc_parse_name(r),
                     rec.error, au_dmarc_parse_name(c->want));
        if (r == AU_DMARC_PARSE_OK) {
            assert_int_equal(rec.p, c->p);
            assert_int_equal(rec.sp, c->sp);
            assert_int_equal(rec.pct, c->pct);
            assert_int_equal(rec.adkim, c->adkim);
            assert_int_equal(rec.aspf, c->aspf);
            assert_false(rec.p_implied);
        } else {
            assert_true(rec.error[0] != '\0');
        }
        au_dmarc_record_clear(&rec);
    }
}

static void test_parse_details(void **state)
{
    (void)state;
    struct au_dmarc_record rec;

    /* 6.6.3 step 6: a valid rua turns a missing/invalid p into p=none. */
    assert_int_equal(
        au_dmarc_record_parse(au_slice_cstr("v=DMARC1; rua=mailto:d@example.com!10m, bad"), &rec),
        AU_DMARC_PARSE_OK);
    assert_int_equal(rec.p, AU_DMARC_POLICY_NONE);
    assert_true(rec.p_implied);
    assert_int_equal(rec.rua_count, 1);
    assert_string_equal(rec.rua, "mailto:d@example.com!10m, bad");
    au_dmarc_record_clear(&rec);

    assert_int_equal(au_dmarc_record_parse(
                         au_slice_cstr("v=DMARC1; p=reject; sp=x; rua=mailto:a@b.example"), &rec),
                     AU_DMARC_PARSE_OK);
    assert_int_equal(rec.p, AU_DMARC_POLICY_NONE);
    assert_int_equal(rec.sp, AU_DMARC_POLICY_UNSET);
    au_dmarc_record_clear(&rec);

    /* Defaults (6.3): fo=0, rf=afrf, ri=86400. */
    assert_int_equal(au_dmarc_record_parse(au_slice_cstr("v=DMARC1; p=none"), &rec),
                     AU_DMARC_PARSE_OK);
    assert_string_equal(rec.fo, "0");
    assert_string_equal(rec.rf, "afrf");
    assert_int_equal(rec.ri, 86400);
    assert_null(rec.rua);
    au_dmarc_record_clear(&rec);

    assert_int_equal(au_dmarc_record_parse(
                         au_slice_cstr("v=DMARC1; p=none; fo = 1 : d; ri=99999999999999999"), &rec),
                     AU_DMARC_PARSE_OK);
    assert_string_equal(rec.fo, "1:d");
    assert_int_equal(rec.ri, UINT32_MAX);
    au_dmarc_record_clear(&rec);

    /* A NUL inside the record is a control byte, not its end. */
    static const char nul[] = "v=DMARC1; p=none\0; p=reject";
    assert_int_equal(au_dmarc_record_parse(au_slice_make(nul, sizeof nul - 1), &rec),
                     AU_DMARC_PARSE_SYNTAX);
    au_dmarc_record_clear(&rec);
}

static void test_parse_huge(void **state)
{
    (void)state;
    struct au_dmarc_record rec;
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);

    /* Longer than the limit: permerror, not a crash or a silent cut. */
    au_buf_puts(&b, "v=DMARC1; p=reject; x=");
    while (b.len <= AU_DMARC_RECORD_MAX)
        au_buf_putc(&b, 'a');
    assert_int_equal(au_dmarc_record_parse(au_buf_slice(&b), &rec), AU_DMARC_PARSE_SYNTAX);
    au_dmarc_record_clear(&rec);

    /* Too many tags. */
    au_buf_reset(&b);
    au_buf_puts(&b, "v=DMARC1; p=reject");
    for (int i = 0; i < AU_DMARC_TAGS_MAX + 5; i++)
        au_buf_printf(&b, "; t%d=1", i);
    assert_int_equal(au_dmarc_record_parse(au_buf_slice(&b), &rec), AU_DMARC_PARSE_SYNTAX);
    au_dmarc_record_clear(&rec);

    /* A long rua list within the limit is fine. */
    au_buf_reset(&b);
    au_buf_puts(&b, "v=DMARC1; p=quarantine; rua=");
    for (int i = 0; i < 100; i++)
        au_buf_printf(&b, "%smailto:r%d@example.com", i ? "," : "", i);
    assert_int_equal(au_dmarc_record_parse(au_buf_slice(&b), &rec), AU_DMARC_PARSE_OK);
    assert_int_equal(rec.rua_count, 100);
    au_dmarc_record_clear(&rec);

    /* A huge non-DMARC TXT is simply not a DMARC record. */
    au_buf_reset(&b);
    while (b.len < 3 * AU_DMARC_RECORD_MAX)
        au_buf_puts(&b, "google-site-verification=abc;");
    assert_int_equal(au_dmarc_record_parse(au_buf_slice(&b), &rec), AU_DMARC_PARSE_NOT_DMARC);
    au_dmarc_record_clear(&rec);
    au_buf_free(&b);
}

/* ------------------------------------------------------------- discovery */

static const char zone[] =
    "$ORIGIN .\n"
    "$TTL 300\n"
    "_dmarc.example.com.        TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.example.net.        TXT \"v=DMARC1; p=none; sp=quarantine; adkim=s; aspf=s\"\n"
    "_dmarc.example.org.        TXT \"v=DMARC1; p=quarantine; pct=20\"\n"
    "_dmarc.multi.example.org.  TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.multi.example.org.  TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.mixed.example.org.  TXT \"v=spf1 -all\"\n"
    "_dmarc.mixed.example.org.  TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.mixed.example.org.  TXT \"hello\"\n"
    "_dmarc.split.example.com.  TXT \"v=DMARC1; \" \"p=quar\" \"antine\"\n"
    "_dmarc.bad.example.com.    TXT \"v=DMARC1; p=none; reject\"\n"
    "_dmarc.nop.example.org.    TXT \"v=DMARC1; sp=quarantine\"\n"
    "_dmarc.spfonly.example.com. TXT \"v=spf1 -all\"\n"
    "_dmarc.co.uk.              TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.cname.example.com.  CNAME _dmarc.example.net.\n";

static const char *const zone_faults[] = {
    "_dmarc.tempfail.example.com/TXT=timeout",
    "_dmarc.example.info/TXT=servfail",
    "_dmarc.refused.example.info/TXT=refused",
};

struct world {
    const psl_ctx_t *psl;
    struct au_dns_stub *stub;
    int queries;
    char asked[8][AU_DNS_NAME_MAX + 1];
};

static struct au_dns_answer *counting_lookup(void *ctx, const struct au_dns_query *q)
{
    struct world *w = ctx;
    if (w->queries < 8)
        snprintf(w->asked[w->queries], sizeof w->asked[0], "%s", q->name);
    w->queries++;
    assert_int_equal(q->type, AU_DNS_TXT);
    return au_dns_stub_lookup(w->stub, q);
}

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    w->psl = psl_load_default();
    assert_non_null(w->psl);
    w->stub = au_dns_stub_new();
    char err[256];
    if (au_dns_stub_add_zone(w->stub, zone, strlen(zone), "", "<zone>", err, sizeof err) != 0)
        fail_msg("zone: %s", err);
    for (size_t i = 0; i < sizeof zone_faults / sizeof zone_faults[0]; i++)
        assert_int_equal(au_dns_stub_add_fault_spec(w->stub, zone_faults[i], err, sizeof err), 0);
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

/* Runs discovery for from and evaluates with ids. */
static struct au_dmarc *run(struct world *w, const char *from, const struct au_dmarc_ids *ids)
{
    w->queries = 0;
    struct au_dmarc *d = au_dmarc_new(w->psl, from);
    au_dns_run(au_dmarc_step, d, counting_lookup, w);
    assert_true(au_dmarc_discovered(d));
    au_dmarc_evaluate(d, ids);
    return d;
}

static void assert_clause(struct au_dmarc *d, const char *want)
{
    struct au_buf b;
    au_buf_init(&b, 1024);
    assert_int_equal(au_dmarc_ar_clause(d, &b), 0);
    assert_string_equal(b.data ? b.data : "", want);
    au_buf_free(&b);
}

#define DKIM1(res, dom)                                                                            \
    {                                                                                              \
        (res), (dom)                                                                               \
    }

static void test_pass_dkim_identical(void **state)
{
    struct world *w = *state;
    struct au_dmarc_dkim k[] = {DKIM1(AU_RESULT_PASS, "example.com")};
    struct au_dmarc_ids ids = {AU_RESULT_NONE, NULL, 1, k};
    struct au_dmarc *d = run(w, "example.com", &ids);
    const struct au_dmarc_outcome *o = au_dmarc_outcome(d);
    assert_int_equal(o->result, AU_RESULT_PASS);
    assert_int_equal(w->queries, 1);
    assert_string_equal(w->asked[0], "_dmarc.example.com");
    assert_true(o->record_found);
    assert_int_equal(o->discovery, AU_DMARC_FOUND);
    assert_string_equal(o->record_domain, "example.com");
    assert_int_equal(o->policy, AU_DMARC_POLICY_REJECT);
    assert_int_equal(o->disposition, AU_DMARC_POLICY_NONE);
    assert_false(o->subdomain);
    assert_int_equal(o->rows, 2);
    assert_int_equal(o->row[0].method, AU_DMARC_METHOD_SPF);
    assert_false(o->row[0].passes);
    assert_int_equal(o->row[1].method, AU_DMARC_METHOD_DKIM);
    assert_true(o->row[1].aligned);
    assert_true(o->row[1].passes);
    /* Gmail's form, REFERENCE.md 5.3 (oracle.com example). */
    assert_clause(d, "dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com");
    assert_non_null(strstr(o->explanation, "pass"));
    au_dmarc_free(d);
}

static void test_relaxed_alignment(void **state)
{
    struct world *w = *state;
    /* 3.1.1: relaxed, d=mail.example.com aligns with example.com. */
    struct au_dmarc_dkim k[] = {DKIM1(AU_RESULT_PASS, "mail.example.com")};
    struct au_dmarc_ids ids = {AU_RESULT_FAIL, "example.com", 1, k};
    struct au_dmarc *d = run(w, "Example.COM", &ids);
    const struct au_dmarc_outcome *o = au_dmarc_outcome(d);
    assert_int_equal(o->result, AU_RESULT_PASS);
    assert_string_equal(o->from_domain, "example.com");
    assert_true(o->row[0].aligned); /* SPF aligned but failed */
    assert_false(o->row[0].passes);
    assert_true(o->row[1].passes);
    au_dmarc_free(d);

    /* 3.1.2: SPF alone, relaxed: bounce.example.com for sub.example.com;
     * sub.example.com has no record, the org domain's p=reject applies
     * (no sp: p is used for subdomains, 6.3). */
    struct au_dmarc_ids spf = {AU_RESULT_PASS, "bounce.example.com", 0, NULL};
    d = run(w, "sub.example.com", &spf);
    o = au_dmarc_outcome(d);
    assert_int_equal(w->queries, 2);
    assert_string_equal(w->asked[0], "_dmarc.sub.example.com");
    assert_string_equal(w->asked[1], "_dmarc.example.com");
    assert_int_equal(o->result, AU_RESULT_PASS);
    assert_true(o->subdomain);
    assert_int_equal(o->policy, AU_DMARC_POLICY_REJECT);
    au_dmarc_free(d);

    /* Another organizational domain never aligns, even relaxed. */
    struct au_dmarc_dkim other[] = {DKIM1(AU_RESULT_PASS, "example.com.evil.test"),
                                    DKIM1(AU_RESULT_PASS, "com")};
    struct au_dmarc_ids ids2 = {AU_RESULT_PASS, "evil-example.com", 2, other};
    d = run(w, "example.com", &ids2);
    o = au_dmarc_outcome(d);
    assert_int_equal(o->result, AU_RESULT_FAIL);
    assert_int_equal(o->disposition, AU_DMARC_POLICY_REJECT);
    for (size_t i = 0; i < o->rows; i++)
        assert_false(o->row[i].aligned);
    assert_clause(d, "dmarc=fail (p=REJECT sp=REJECT dis=REJECT) header.from=example.com");
    au_dmarc_free(d);
}

static void test_strict_alignment(void **state)
{
    struct world *w = *state;
    /* example.net: adkim=s aspf=s; a subdomain's identifiers do not align. */
    struct au_dmarc_dkim k[] = {DKIM1(AU_RESULT_PASS, "mail.example.net")};
    struct au_dmarc_ids ids = {AU_RESULT_PASS, "bounce.example.net", 1, k};
    struct au_dmarc *d = run(w, "example.net", &ids);
    const struct au_dmarc_outcome *o = au_dmarc_outcome(d);
    assert_int_equal(o->result, AU_RESULT_FAIL);
    assert_false(o->row[0].aligned);
    assert_false(o->row[1].aligned);
    assert_non_null(strstr(o->row[1].why, "strict"));
    assert_int_equal(o->policy, AU_DMARC_POLICY_NONE);
    assert_clause(d, "dmarc=fail (p=NONE sp=QUARANTINE dis=NONE) header.from=example.net");
    au_dmarc_free(d);

    struct au_dmarc_ids exact = {AU_RESULT_PASS, "EXAMPLE.NET.", 0, NULL};
    d = run(w, "example.net", &exact);
    assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_PASS);
    au_dmarc_free(d);
}

static void test_sp_for_subdomain(void **state)
{
    struct world *w = *state;
    /* 6.3 sp: applies to subdomains of the domain queried, found at the org. */
    struct au_dmarc_dkim k[] = {DKIM1(AU_RESULT_PASS, "example.net")};
    struct au_dmarc_ids ids = {AU_RESULT_NONE, NULL, 1, k};
    struct au_dmarc *d = run(w, "sub.example.net", &ids);
    const struct au_dmarc_outcome *o = au_dmarc_outcome(d);
    assert_int_equal(w->queries, 2);
    assert_string_equal(o->record_domain, "example.net");
    assert_true(o->subdomain);
    assert_int_equal(o->result, AU_RESULT_FAIL); /* adkim=s */
    assert_int_equal(o->policy, AU_DMARC_POLICY_QUARANTINE);
    assert_int_equal(o->disposition, AU_DMARC_POLICY_QUARANTINE);
    assert_clause(d,
                  "dmarc=fail (p=NONE sp=QUARANTINE dis=QUARANTINE) header.from=sub.example.net");
    au_dmarc_free(d);

    /* The record at the From domain itself: p, never sp. */
    d = run(w, "example.net", &ids);
    o = au_dmarc_outcome(d);
    assert_false(o->subdomain);
    assert_int_equal(o->policy, AU_DMARC_POLICY_NONE);
    assert_int_equal(o->result, AU_RESULT_PASS);
    au_dmarc_free(d);

    /* A deeper subdomain still ends at the org domain's record. */
    d = run(w, "a.b.c.example.net", &ids);
    o = au_dmarc_outcome(d);
    assert_int_equal(w->queries, 2);
    assert_string_equal(w->asked[1], "_dmarc.example.net");
    assert_int_equal(o->policy, AU_DMARC_POLICY_QUARANTINE);
    au_dmarc_free(d);
}

static void test_pct_recorded(void **state)
{
    struct world *w = *state;
    struct au_dmarc_ids ids = {AU_RESULT_FAIL, "example.org", 0, NULL};
    struct au_dmarc *d = run(w, "example.org", &ids);
    const struct au_dmarc_outcome *o = au_dmarc_outcome(d);
    assert_int_equal(o->result, AU_RESULT_FAIL);
    assert_int_equal(o->record.pct, 20);
    /* DECISIONS.md rule 3: every message is treated as selected. */
    assert_int_equal(o->disposition, AU_DMARC_POLICY_QUARANTINE);
    assert_non_null(strstr(o->explanation, "not sampled"));
    assert_clause(d,
                  "dmarc=fail (p=QUARANTINE sp=QUARANTINE dis=QUARANTINE) header.from=example.org");
    au_dmarc_free(d);
}

static void test_record_selection(void **state)
{
    struct world *w = *state;
    struct au_dmarc_ids ids = {AU_RESULT_PASS, "example.org", 0, NULL};

    /* 6.6.3 step 5: two DMARC records: no DMARC processing, no org fallback. */
    struct au_dmarc *d = run(w, "multi.example.org", &ids);
    assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_NONE);
    assert_int_equal(au_dmarc_outcome(d)->discovery, AU_DMARC_MULTIPLE);
    assert_false(au_dmarc_outcome(d)->record_found);
    assert_int_equal(w->queries, 1);
    assert_clause(d, "");
    au_dmarc_free(d);

    /* Steps 2 and 4: other TXT records beside the DMARC one are dropped. */
    d = run(w, "mixed.example.org", &ids);
    assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_PASS);
    assert_string_equal(au_dmarc_outcome(d)->record_domain, "mixed.example.org");
    assert_int_equal(au_dmarc_outcome(d)->policy, AU_DMARC_POLICY_NONE);
    au_dmarc_free(d);

    /* Only a non-DMARC TXT: as if none, so the org domain is asked. */
    struct au_dmarc_ids com = {AU_RESULT_FAIL, "x.test", 0, NULL};
    d = run(w, "spfonly.example.com", &com);
    assert_int_equal(w->queries, 2);
    assert_int_equal(au_dmarc_outcome(d)->policy, AU_DMARC_POLICY_REJECT);
    au_dmarc_free(d);

    /* Character-strings are joined with nothing (6.6.3, dns.h). */
    d = run(w, "split.example.com", &com);
    assert_int_equal(au_dmarc_outcome(d)->policy, AU_DMARC_POLICY_QUARANTINE);
    assert_string_equal(au_dmarc_outcome(d)->record_text, "v=DMARC1; p=quarantine");
    au_dmarc_free(d);

    /* A CNAME at _dmarc is followed by DNS: the target's record is used. */
    d = run(w, "cname.example.com", &com);
    assert_int_equal(au_dmarc_outcome(d)->policy, AU_DMARC_POLICY_NONE);
    assert_string_equal(au_dmarc_outcome(d)->record_domain, "cname.example.com");
    au_dmarc_free(d);

    /* 11.2: a syntactically incorrect record: permerror, no org fallback. */
    d = run(w, "bad.example.com", &ids);
    assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_PERMERROR);
    assert_int_equal(au_dmarc_outcome(d)->discovery, AU_DMARC_INVALID);
    assert_int_equal(w->queries, 1);
    assert_clause(d, "dmarc=permerror header.from=bad.example.com");
    au_dmarc_free(d);

    /* 6.6.3 step 6: no p and no rua: DMARC does not apply (none), and the
     * org domain's record (example.org) is not consulted. */
    d = run(w, "nop.example.org", &ids);
    assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_NONE);
    assert_int_equal(au_dmarc_outcome(d)->discovery, AU_DMARC_NO_POLICY);
    assert_int_equal(w->queries, 1);
    au_dmarc_free(d);

    /* No record anywhere. */
    d = run(w, "x.nothing.test", &ids);
    assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_NONE);
    assert_int_equal(au_dmarc_outcome(d)->discovery, AU_DMARC_NO_RECORD);
    assert_int_equal(w->queries, 2);
    assert_string_equal(w->asked[1], "_dmarc.nothing.test");
    assert_int_equal(au_dmarc_outcome(d)->policy, AU_DMARC_POLICY_UNSET);
    assert_int_equal(au_dmarc_outcome(d)->disposition, AU_DMARC_POLICY_NONE);
    assert_clause(d, ""); /* DECISION: no clause without a record */
    au_dmarc_free(d);

    /* A public suffix as From domain is its own organizational domain:
     * one query, and it aligns with itself. */
    struct au_dmarc_ids cou = {AU_RESULT_PASS, "co.uk", 0, NULL};
    d = run(w, "co.uk", &cou);
    assert_int_equal(w->queries, 1);
    assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_PASS);
    au_dmarc_free(d);
}

static void test_temperror(void **state)
{
    struct world *w = *state;
    struct au_dmarc_ids ids = {AU_RESULT_PASS, "tempfail.example.com", 0, NULL};
    struct au_dmarc_ids nopass = {AU_RESULT_FAIL, "tempfail.example.com", 0, NULL};

    /* The From domain's lookup times out and nothing aligned passes:
     * temperror, not settled (DECISIONS.md rule 3 defers). */
    struct au_dmarc *d = run(w, "tempfail.example.com", &nopass);
    const struct au_dmarc_outcome *o = au_dmarc_outcome(d);
    assert_int_equal(o->result, AU_RESULT_TEMPERROR);
    assert_true(o->dns_temperror);
    assert_true(o->unsettled);
    assert_int_equal(o->discovery, AU_DMARC_DNS_TEMPFAIL);
    assert_int_equal(w->queries, 1);
    assert_clause(d, "dmarc=temperror header.from=tempfail.example.com");
    au_dmarc_free(d);

    /* The same timeout with an aligned SPF pass: settled, whatever the
     * record would have said (rule 3: "and nothing aligned passed"). */
    d = run(w, "tempfail.example.com", &ids);
    o = au_dmarc_outcome(d);
    assert_int_equal(o->result, AU_RESULT_TEMPERROR);
    assert_true(o->dns_temperror);
    assert_false(o->unsettled);
    assert_int_equal(o->rows, 1);
    assert_true(o->row[0].passes);
    au_dmarc_free(d);

    /* The org domain's lookup fails (SERVFAIL, REFUSED). */
    d = run(w, "a.example.info", &ids);
    assert_int_equal(w->queries, 2);
    assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_TEMPERROR);
    assert_true(au_dmarc_outcome(d)->dns_temperror);
    au_dmarc_free(d);
    d = run(w, "refused.example.info", &ids);
    assert_int_equal(w->queries, 1);
    assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_TEMPERROR);
    au_dmarc_free(d);

    /* Record found, nothing passes, an aligned DKIM key lookup failed
     * temporarily: not settled (DECISIONS.md rule 3 defers on it). */
    struct au_dmarc_dkim k[] = {DKIM1(AU_RESULT_TEMPERROR, "example.com"),
                                DKIM1(AU_RESULT_PASS, "other.test")};
    struct au_dmarc_ids tk = {AU_RESULT_FAIL, "example.com", 2, k};
    d = run(w, "example.com", &tk);
    o = au_dmarc_outcome(d);
    assert_int_equal(o->result, AU_RESULT_TEMPERROR);
    assert_true(o->unsettled);
    assert_false(o->dns_temperror);
    assert_int_equal(o->disposition, AU_DMARC_POLICY_NONE);
    au_dmarc_free(d);

    /* SPF temperror for an aligned domain, likewise. */
    struct au_dmarc_ids ts = {AU_RESULT_TEMPERROR, "example.com", 0, NULL};
    d = run(w, "example.com", &ts);
    assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_TEMPERROR);
    au_dmarc_free(d);

    /* A temporary error of an unaligned identifier cannot change the result. */
    struct au_dmarc_dkim u[] = {DKIM1(AU_RESULT_TEMPERROR, "other.test")};
    struct au_dmarc_ids tu = {AU_RESULT_FAIL, "example.com", 1, u};
    d = run(w, "example.com", &tu);
    assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_FAIL);
    assert_false(au_dmarc_outcome(d)->unsettled);
    au_dmarc_free(d);

    /* An aligned pass settles it even if another identifier had trouble. */
    struct au_dmarc_dkim p[] = {DKIM1(AU_RESULT_TEMPERROR, "example.com"),
                                DKIM1(AU_RESULT_PASS, "s.example.com")};
    struct au_dmarc_ids tp = {AU_RESULT_TEMPERROR, "example.com", 2, p};
    d = run(w, "example.com", &tp);
    assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_PASS);
    assert_false(au_dmarc_outcome(d)->unsettled);
    au_dmarc_free(d);
}

static void test_bad_from(void **state)
{
    struct world *w = *state;
    static const char *const bad[] = {"",
                                      "exa mple.com",
                                      "a..b.com",
                                      ".example.com",
                                      "example.com..",
                                      "<x@example.com>",
                                      "caf\xff.com"};
    struct au_dmarc_ids ids = {AU_RESULT_PASS, "example.com", 0, NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct au_dmarc *d = run(w, bad[i], &ids);
        assert_int_equal(w->queries, 0);
        assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_PERMERROR);
        assert_null(au_dmarc_outcome(d)->from_domain);
        assert_int_equal(au_dmarc_outcome(d)->discovery, AU_DMARC_BAD_FROM);
        assert_clause(d, "dmarc=permerror");
        au_dmarc_free(d);
    }
    struct au_dmarc *d = run(w, NULL, &ids);
    assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_PERMERROR);
    au_dmarc_free(d);

    /* A From domain so long that _dmarc.<it> cannot be a DNS name: only the
     * org domain is asked. */
    char longname[AU_DNS_NAME_MAX + 1];
    snprintf(longname, sizeof longname, "%s.%s.%s.%s.example.com",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
             "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
             "dddddddddddddddddddddddddddddddddddddddddddddddddd");
    d = run(w, longname, &ids);
    assert_int_equal(w->queries, 1);
    assert_string_equal(w->asked[0], "_dmarc.example.com");
    assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_PASS);
    au_dmarc_free(d);
}

static void test_step_contract(void **state)
{
    struct world *w = *state;
    struct au_dns_batch b = {0};
    struct au_dmarc *d = au_dmarc_new(w->psl, "sub.example.com");
    assert_int_equal(au_dmarc_step(d, &b), AU_STEP_NEED_DNS);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.q[0].type, AU_DNS_TXT);
    assert_string_equal(b.q[0].name, "_dmarc.sub.example.com");
    assert_false(au_dmarc_discovered(d));
    b.a[0] = au_dns_answer_status(AU_DNS_NXDOMAIN, 60, "NXDOMAIN");
    assert_int_equal(au_dmarc_step(d, &b), AU_STEP_NEED_DNS);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.q[0].name, "_dmarc.example.com");
    /* The driver abandons the check mid-batch: nothing leaks. */
    b.a[0] = au_dns_answer_status(AU_DNS_TEMPFAIL, 0, "timeout");
    au_dns_batch_clear(&b);
    au_dmarc_free(d);

    d = au_dmarc_new(w->psl, "example.com");
    b.n = 0;
    assert_int_equal(au_dmarc_step(d, &b), AU_STEP_NEED_DNS);
    b.a[0] = au_dns_answer_status(AU_DNS_NODATA, 60, "no data");
    assert_int_equal(au_dmarc_step(d, &b), AU_STEP_DONE);
    assert_int_equal(b.n, 0);
    assert_int_equal(au_dmarc_step(d, &b), AU_STEP_DONE);
    assert_int_equal(b.n, 0);
    au_dmarc_evaluate(d, NULL);
    assert_int_equal(au_dmarc_outcome(d)->result, AU_RESULT_NONE);
    au_dmarc_free(d);
    au_dmarc_free(NULL);
}

static void test_orgdomain(void **state)
{
    struct world *w = *state;
    char *s = au_orgdomain_get(w->psl, "Mail.Example.CO.UK.");
    assert_string_equal(s, "example.co.uk");
    free(s);
    s = au_orgdomain_get(w->psl, "co.uk");
    assert_string_equal(s, "co.uk");
    free(s);
    assert_null(au_orgdomain_registrable(w->psl, "co.uk"));
    assert_null(au_orgdomain_get(w->psl, "a..uk"));
    assert_null(au_orgdomain_get(w->psl, NULL));
    assert_true(au_orgdomain_same(w->psl, "a.example.com", "B.EXAMPLE.COM"));
    assert_false(au_orgdomain_same(w->psl, "a.example.com", "example.net"));
    assert_false(au_orgdomain_same(w->psl, "x.co.uk", "y.co.uk"));
    char label64[80];
    memset(label64, 'a', 64);
    strcpy(label64 + 64, ".com");
    assert_null(au_orgdomain_normalize(label64));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),       cmocka_unit_test(test_parse_details),
        cmocka_unit_test(test_parse_huge),        cmocka_unit_test(test_pass_dkim_identical),
        cmocka_unit_test(test_relaxed_alignment), cmocka_unit_test(test_strict_alignment),
        cmocka_unit_test(test_sp_for_subdomain),  cmocka_unit_test(test_pct_recorded),
        cmocka_unit_test(test_record_selection),  cmocka_unit_test(test_temperror),
        cmocka_unit_test(test_bad_from),          cmocka_unit_test(test_step_contract),
        cmocka_unit_test(test_orgdomain),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
