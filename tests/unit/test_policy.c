/*
 * test_policy - the profiles' rule tables, row by row.
 *
 * Each row changes a compliant message's results in one way and says what
 * each profile must answer, from DECISIONS.md (order, codes) and
 * REFERENCE.md 1.2/1.3/6, not from the implementation.  Then every rule of
 * every profile must decide at least one row and have its condition false
 * for at least one row (the always-true accept/observe rules excepted), and
 * observe must accept every row while naming gmail's rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

#define NOW 1734897414LL

static void base(struct au_policy_input *in)
{
    memset(in, 0, sizeof *in);
    in->iprev = AU_RESULT_PASS;
    in->spf = AU_RESULT_PASS;
    in->spf_domain = "bounce.example.com";
    in->client_ip = "192.0.2.10";
    in->dkim_count = 1;
    in->dkim[0].result = AU_RESULT_PASS;
    in->dkim[0].domain = "example.com";
    in->dmarc = AU_RESULT_PASS;
    in->dmarc_policy = AU_POLICY_DMARC_REJECT;
    in->dmarc_record = true;
    in->from_aligned = true;
    in->tls = true;
    in->from_domain = "example.com";
    strcpy(in->format.from_domain, "example.com");
    in->format.from_fields = 1;
    in->format.from_addresses = 1;
    in->now = NOW;
}

#define MUT(fn, body)                                                                     \
    static void fn(struct au_policy_input *in)                                            \
    {                                                                                     \
        body;                                                                             \
    }

/* Neither SPF nor DKIM passes, From unaligned, DMARC fails. */
#define UNAUTH                                                                            \
    in->spf = AU_RESULT_SOFTFAIL;                                                         \
    in->dkim[0].result = AU_RESULT_FAIL;                                                  \
    in->from_aligned = false;                                                             \
    in->dmarc = AU_RESULT_FAIL
#define FMT(rule) in->format.rules |= AU_FORMAT_BIT(AU_FORMAT_##rule)

MUT(m_none, (void)in)
MUT(m_iprev_perm, in->iprev = AU_RESULT_PERMERROR)
MUT(m_iprev_fail, in->iprev = AU_RESULT_FAIL)
MUT(m_iprev_temp, in->iprev = AU_RESULT_TEMPERROR)
MUT(m_iprev_none, in->iprev = AU_RESULT_NONE)
MUT(m_iprev_and_unauth, in->iprev = AU_RESULT_FAIL; UNAUTH)
MUT(m_unauth, UNAUTH)
MUT(m_unauth_none, UNAUTH; in->spf = AU_RESULT_NONE; in->dkim_count = 0)
MUT(m_spf_all, UNAUTH; in->spf = AU_RESULT_FAIL; in->spf_all = true)
MUT(m_spf_fail_not_all, UNAUTH; in->spf = AU_RESULT_FAIL; in->spf_all = false)
MUT(m_spf_all_dkim_ok, in->spf = AU_RESULT_FAIL; in->spf_all = true)
MUT(m_spf_temp_reject, UNAUTH; in->spf = AU_RESULT_TEMPERROR)
MUT(m_dkim_temp_none, UNAUTH; in->dkim[0].result = AU_RESULT_TEMPERROR;
    in->dmarc_policy = AU_POLICY_DMARC_NONE)
MUT(m_spf_temp_dkim_ok, in->spf = AU_RESULT_TEMPERROR)
MUT(m_dmarc_reject, in->from_aligned = false; in->dmarc = AU_RESULT_FAIL;
    in->dkim[0].domain = "esp.example.net")
MUT(m_dmarc_temp_record, in->dmarc = AU_RESULT_TEMPERROR; in->from_aligned = false;
    in->dmarc_record = false; in->dmarc_policy = AU_POLICY_DMARC_ABSENT)
MUT(m_dmarc_unsettled, in->dmarc = AU_RESULT_FAIL; in->dmarc_unsettled = true;
    in->from_aligned = false)
MUT(m_dmarc_unsettled_none, in->dmarc = AU_RESULT_FAIL; in->dmarc_unsettled = true;
    in->from_aligned = false; in->dmarc_policy = AU_POLICY_DMARC_NONE)
MUT(m_dmarc_temp_aligned, in->dmarc = AU_RESULT_TEMPERROR)
MUT(m_quarantine, in->dmarc = AU_RESULT_FAIL; in->from_aligned = false;
    in->dmarc_policy = AU_POLICY_DMARC_QUARANTINE)
MUT(m_dmarc_none_fail, in->dmarc = AU_RESULT_FAIL; in->from_aligned = false;
    in->dmarc_policy = AU_POLICY_DMARC_NONE)
MUT(m_no_dkim, in->dkim_count = 0)
MUT(m_second_dkim_passes, in->spf = AU_RESULT_SOFTFAIL; in->dkim_count = 2;
    in->dkim[0].result = AU_RESULT_FAIL; in->dkim[1].result = AU_RESULT_PASS;
    in->dkim[1].domain = "example.com")
MUT(m_eleventh_dkim, UNAUTH; in->dkim_count = 11)
MUT(m_no_record, in->dmarc = AU_RESULT_NONE; in->dmarc_record = false;
    in->dmarc_policy = AU_POLICY_DMARC_ABSENT)
MUT(m_record_no_p, in->dmarc = AU_RESULT_PASS; in->dmarc_policy = AU_POLICY_DMARC_ABSENT)
MUT(m_no_tls, in->tls = false)
MUT(m_from_missing, FMT(FROM_MISSING); FMT(MSGID_MISSING); in->from_domain = NULL;
    in->format.from_domain[0] = 0)
MUT(m_from_multiple, FMT(FROM_MULTIPLE); FMT(DUPLICATE); in->format.duplicate = "Subject")
MUT(m_from_addresses, FMT(FROM_ADDRESSES); FMT(MSGID_INVALID))
MUT(m_from_invalid, FMT(FROM_INVALID))
MUT(m_msgid_missing, FMT(MSGID_MISSING))
MUT(m_msgid_invalid, FMT(MSGID_INVALID); FMT(DUPLICATE); in->format.duplicate = "Cc")
MUT(m_duplicate, FMT(DUPLICATE); in->format.duplicate = "Cc")
MUT(m_format_and_unauth, FMT(DUPLICATE); in->format.duplicate = "Cc"; UNAUTH)
MUT(m_format_and_no_tls, FMT(FROM_INVALID); in->tls = false)

struct expect {
    const char *rule;
    int code;
    const char *enhanced;
};

struct row {
    const char *name;
    void (*mut)(struct au_policy_input *);
    struct expect gmail, bulk, tempfail;
    enum au_policy_dis dis;   /* gmail's, when it accepts */
    const char *line0;        /* gmail's first reply line; NULL: not checked */
};

#define ACC {"accept", 250, "2.0.0"}
#define E(rule, code, enh) {rule, code, enh}
#define SAME3(e) e, e, e

static const struct row rows[] = {
    {"compliant", m_none, SAME3(ACC), AU_POLICY_DIS_NONE, "OK  1734897414"},
    {"no PTR", m_iprev_perm, E("iprev", 550, "5.7.25"), E("iprev", 550, "5.7.25"),
     E("iprev", 451, "4.7.23"), 0,
     /* T-11's words filled at 68 columns: the shorter IP lets "PTR" stay on line 1. */
     "[192.0.2.10] The IP address sending this message does not have a PTR"},
    {"PTR not confirmed", m_iprev_fail, E("iprev", 550, "5.7.25"), E("iprev", 550, "5.7.25"),
     E("iprev", 451, "4.7.23"), 0, NULL},
    {"PTR temperror", m_iprev_temp, SAME3(E("iprev-temperror", 451, "4.7.23")), 0, NULL},
    {"iprev not checked", m_iprev_none, SAME3(ACC), 0, NULL},
    {"PTR before unauthenticated", m_iprev_and_unauth, E("iprev", 550, "5.7.25"),
     E("iprev", 550, "5.7.25"), E("iprev", 451, "4.7.23"), 0, NULL},
    {"unauthenticated", m_unauth, E("unauthenticated", 550, "5.7.26"),
     E("unauthenticated", 550, "5.7.26"), E("unauthenticated", 421, "4.7.26"), 0,
     "Your email has been blocked because the sender is unauthenticated."},
    {"unauthenticated, nothing at all", m_unauth_none, E("unauthenticated", 550, "5.7.26"),
     E("unauthenticated", 550, "5.7.26"), E("unauthenticated", 421, "4.7.26"), 0, NULL},
    {"SPF -all", m_spf_all, E("spf-hardfail", 550, "5.7.26"), E("spf-hardfail", 550, "5.7.26"),
     E("spf-hardfail", 421, "4.7.26"), 0,
     /* 76 columns as in T-8's fixed line: past AU_CATALOG_FIXED_MAX, so filled. */
     "The MAIL FROM domain [bounce.example.com] has an SPF record with a"},
    {"SPF fail, not -all", m_spf_fail_not_all, E("unauthenticated", 550, "5.7.26"),
     E("unauthenticated", 550, "5.7.26"), E("unauthenticated", 421, "4.7.26"), 0, NULL},
    {"SPF -all but aligned DKIM passes", m_spf_all_dkim_ok, ACC, E("bulk-spf", 550, "5.7.27"),
     E("bulk-spf", 421, "4.7.27"), 0, NULL},
    {"SPF temperror, p=reject", m_spf_temp_reject,
     SAME3(E("unauthenticated-temperror-reject", 451, "4.7.26")), 0,
     /* T-7's words, filled: "domain's" would reach column 70. */
     "Unauthenticated email from example.com is not accepted due to"},
    {"DKIM temperror, p=none", m_dkim_temp_none,
     SAME3(E("unauthenticated-temperror", 421, "4.7.26")), 0,
     "This mail has been rate limited because it is unauthenticated. Gmail"},
    {"SPF temperror, DKIM passes", m_spf_temp_dkim_ok, ACC, E("bulk-spf", 550, "5.7.27"),
     E("bulk-spf", 421, "4.7.27"), 0, NULL},
    {"DMARC reject", m_dmarc_reject, E("dmarc-reject", 550, "5.7.26"),
     E("dmarc-reject", 550, "5.7.26"), E("dmarc-reject", 421, "4.7.26"), 0,
     "Unauthenticated email from example.com is not accepted due to domain's"},
    {"DMARC record lookup temperror", m_dmarc_temp_record,
     SAME3(E("dmarc-temperror", 451, "4.7.26")), 0, NULL},
    {"DMARC unsettled, p=reject", m_dmarc_unsettled, SAME3(E("dmarc-temperror", 451, "4.7.26")),
     0, NULL},
    {"DMARC unsettled, p=none", m_dmarc_unsettled_none, ACC,
     E("bulk-alignment", 421, "4.7.32"), E("bulk-alignment", 421, "4.7.32"), 0, NULL},
    {"DMARC temperror but aligned pass", m_dmarc_temp_aligned, SAME3(ACC), 0, NULL},
    {"DMARC quarantine", m_quarantine, E("dmarc-quarantine", 250, "2.0.0"),
     E("bulk-alignment", 421, "4.7.32"), E("bulk-alignment", 421, "4.7.32"),
     AU_POLICY_DIS_QUARANTINE, "OK  1734897414"},
    {"DMARC p=none fails", m_dmarc_none_fail, ACC, E("bulk-alignment", 421, "4.7.32"),
     E("bulk-alignment", 421, "4.7.32"), AU_POLICY_DIS_NONE, NULL},
    {"no DKIM signature", m_no_dkim, ACC, E("bulk-dkim", 550, "5.7.30"),
     E("bulk-dkim", 421, "4.7.30"), 0, NULL},
    {"second DKIM signature passes", m_second_dkim_passes, ACC, E("bulk-spf", 550, "5.7.27"),
     E("bulk-spf", 421, "4.7.27"), 0, NULL},
    {"11 failing signatures", m_eleventh_dkim, E("unauthenticated", 550, "5.7.26"),
     E("unauthenticated", 550, "5.7.26"), E("unauthenticated", 421, "4.7.26"), 0, NULL},
    {"no DMARC record", m_no_record, ACC, E("bulk-dmarc-record", 550, "5.7.40"),
     E("bulk-dmarc-record", 421, "4.7.40"), 0, NULL},
    {"DMARC record without p=", m_record_no_p, ACC, E("bulk-dmarc-record", 550, "5.7.40"),
     E("bulk-dmarc-record", 421, "4.7.40"), 0, NULL},
    {"no TLS", m_no_tls, ACC, E("bulk-tls", 550, "5.7.29"), E("bulk-tls", 421, "4.7.29"), 0,
     NULL},
    {"From missing", m_from_missing, SAME3(E("rfc5322-from-missing", 550, "5.7.1")), 0,
     "This message is not RFC 5322 compliant because the From: header is"},
    {"several From fields", m_from_multiple, SAME3(E("rfc5322-from-multiple", 550, "5.7.1")), 0,
     NULL},
    {"several From addresses", m_from_addresses,
     SAME3(E("rfc5322-from-addresses", 550, "5.7.1")), 0,
     "Messages with multiple addresses in the From: header are not"},
    {"From invalid", m_from_invalid, SAME3(E("rfc5322-from-invalid", 550, "5.7.1")), 0, NULL},
    {"Message-ID missing", m_msgid_missing, SAME3(E("rfc5322-message-id", 550, "5.7.1")), 0,
     "Messages missing a valid Message-ID header are not accepted. For"},
    {"Message-ID invalid", m_msgid_invalid, SAME3(E("rfc5322-message-id", 550, "5.7.1")), 0,
     NULL},
    {"Cc twice", m_duplicate, SAME3(E("rfc5322-duplicate", 550, "5.7.1")), 0,
     "This message is not RFC 5322 compliant. There are multiple Cc headers."},
    {"format after authentication", m_format_and_unauth, E("unauthenticated", 550, "5.7.26"),
     E("unauthenticated", 550, "5.7.26"), E("unauthenticated", 421, "4.7.26"), 0, NULL},
    {"format after bulk", m_format_and_no_tls, E("rfc5322-from-invalid", 550, "5.7.1"),
     E("bulk-tls", 550, "5.7.29"), E("bulk-tls", 421, "4.7.29"), 0, NULL},
};
#define NROWS (sizeof rows / sizeof *rows)

static void check(const char *profile, const struct row *r, const struct expect *e)
{
    struct au_policy_input in;
    base(&in);
    r->mut(&in);
    struct au_policy_verdict v = {0};
    au_policy_evaluate(au_policy_profile_find(profile), &in, &v);
    if (strcmp(v.rule, e->rule) || v.reply.code != e->code || strcmp(v.reply.enhanced, e->enhanced))
        fail_msg("%s / %s: got %s %d %s, want %s %d %s", profile, r->name, v.rule, v.reply.code,
                 v.reply.enhanced, e->rule, e->code, e->enhanced);
    assert_int_equal(v.accept, e->code == 250);
    assert_string_equal(v.profile, profile);
    assert_non_null(strstr(v.explanation, e->rule));
    if (!strcmp(profile, "gmail")) {
        if (v.accept)
            assert_int_equal(v.dis, r->dis);
        if (r->line0)
            assert_string_equal(v.reply.lines[0], r->line0);
    }
    au_policy_verdict_clear(&v);
}

static void test_rows(void **state)
{
    for (size_t i = 0; i < NROWS; i++) {
        check("gmail", &rows[i], &rows[i].gmail);
        check("gmail-bulk", &rows[i], &rows[i].bulk);
        check("gmail-tempfail", &rows[i], &rows[i].tempfail);
    }
}

/* The values reach the reply text (T-2 layout with this row's values). */
static void test_values_in_reply(void **state)
{
    struct au_policy_input in;
    base(&in);
    m_unauth(&in);
    struct au_policy_verdict v = {0};
    au_policy_evaluate(au_policy_profile_find("gmail"), &in, &v);
    assert_int_equal(v.reply.n, 9);
    assert_string_equal(v.reply.lines[5],
                        " SPF [bounce.example.com] with ip: [192.0.2.10] = did not pass");
    /* Re-evaluating into the same verdict frees the old reply (ASan). */
    base(&in);
    au_policy_evaluate(au_policy_profile_find("gmail"), &in, &v);
    assert_int_equal(v.reply.n, 1);
    au_policy_verdict_clear(&v);
}

static void test_observe(void **state)
{
    const struct au_policy_profile *obs = au_policy_profile_find("observe");
    for (size_t i = 0; i < NROWS; i++) {
        struct au_policy_input in;
        base(&in);
        rows[i].mut(&in);
        struct au_policy_verdict v = {0};
        au_policy_evaluate(obs, &in, &v);
        assert_true(v.accept);
        assert_int_equal(v.reply.code, 250);
        assert_string_equal(v.reply.lines[0], "OK  1734897414");
        assert_string_equal(v.rule, "observe");
        assert_string_equal(v.observed_rule, rows[i].gmail.rule);
        assert_int_equal(au_catalog_get(v.observed_id)->code, rows[i].gmail.code);
        assert_non_null(strstr(v.explanation, rows[i].gmail.rule));
        /* dis=QUARANTINE for DMARC failures under quarantine or reject. */
        bool q = in.dmarc == AU_RESULT_FAIL && (in.dmarc_policy == AU_POLICY_DMARC_QUARANTINE ||
                                                in.dmarc_policy == AU_POLICY_DMARC_REJECT);
        assert_int_equal(v.dis, q ? AU_POLICY_DIS_QUARANTINE : AU_POLICY_DIS_NONE);
        au_policy_verdict_clear(&v);
    }
}

/* Every rule of every profile decides some row, and (unless it always
 * holds) is false for some row. */
static void test_rule_coverage(void **state)
{
    for (size_t p = 0; au_policy_profile_at(p); p++) {
        const struct au_policy_profile *prof = au_policy_profile_at(p);
        size_t n;
        const struct au_policy_rule *rules = au_policy_rules(prof, &n);
        for (size_t k = 0; k < n; k++) {
            bool decided = false, was_false = false;
            for (size_t i = 0; i < NROWS; i++) {
                struct au_policy_input in;
                base(&in);
                rows[i].mut(&in);
                was_false |= !rules[k].when(&in);
                struct au_policy_verdict v = {0};
                au_policy_evaluate(prof, &in, &v);
                decided |= !strcmp(v.rule, rules[k].name);
                au_policy_verdict_clear(&v);
            }
            bool always = !strcmp(rules[k].name, "accept") || !strcmp(rules[k].name, "observe");
            /* Under the bulk rules a DMARC failure is never aligned, so
             * bulk-alignment answers before dmarc-quarantine could; the rule
             * stays for inputs whose alignment flag says otherwise. */
            if (!strcmp(rules[k].name, "dmarc-quarantine") && strcmp(au_policy_profile_name(prof), "gmail") != 0)
                decided = true;
            if (!decided)
                fail_msg("%s: rule %s decides no row", au_policy_profile_name(prof),
                         rules[k].name);
            if (!always && !was_false)
                fail_msg("%s: rule %s holds for every row", au_policy_profile_name(prof),
                         rules[k].name);
        }
    }
}

static void test_profiles(void **state)
{
    const char *names[] = {"gmail", "gmail-bulk", "gmail-tempfail", "observe"};
    for (size_t i = 0; i < 4; i++) {
        const struct au_policy_profile *p = au_policy_profile_find(names[i]);
        assert_non_null(p);
        assert_string_equal(au_policy_profile_name(p), names[i]);
        assert_true(strlen(au_policy_profile_summary(p)) > 0);
        assert_ptr_equal(au_policy_profile_at(i), p);
    }
    assert_null(au_policy_profile_at(4));
    assert_null(au_policy_profile_find("GMAIL"));
    assert_null(au_policy_profile_find("gmail "));
    assert_null(au_policy_profile_find(""));
    assert_null(au_policy_profile_find(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_values_in_reply),
        cmocka_unit_test(test_observe),
        cmocka_unit_test(test_rule_coverage),
        cmocka_unit_test(test_profiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
