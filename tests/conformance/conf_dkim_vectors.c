/*
 * conf_dkim_vectors - DKIM verification over the dkimpy test data and the
 * RFC 8463 Appendix A example, as their READMEs in shared/conformance say:
 *   dkim-dkimpy: the 5 pre-signed messages (6 signatures) give the listed
 *   results; the 4 bad key records make a good signature fail;
 *   dkimpy's key files (PKCS#1, PKCS#8, raw Ed25519 seeds) sign, and their
 *   records (SPKI or bare PKCS#1 p=, raw Ed25519) verify;
 *   dkim-rfc8463-example: both signatures pass.
 * Usage: conf_dkim_vectors CONFORMANCE_DIR.  Prints counts; exit 1 on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dkim_fixture.h"
#include "dkim_sign.h"

#define NOW 1700000000 /* 2023-11-14: after every t= here, no x= to pass */

static const char *root;
static int passed, failed;

static char *load(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    size_t n;
    char *raw = fx_read(path, &n);
    if (raw == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    char *m = fx_crlf(raw, n, len);
    free(raw);
    return m;
}

static char *load_txt(const char *rel)
{
    size_t n;
    char *t = load(rel, &n);
    while (n > 0 && (t[n - 1] == '\r' || t[n - 1] == '\n'))
        t[--n] = '\0';
    return t;
}

static void check(const char *what, bool ok, const char *detail)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    }
}

/* Verifies msg and compares each signature's result with want[]. */
static void expect(const char *name, const char *msg, size_t len, struct fx_dns *dns,
                   const enum au_result *want, size_t nwant)
{
    struct au_dkim_verify *v = au_dkim_verify_new(NULL, NOW);
    fx_run(v, msg, len, 0, dns);
    char what[256];
    snprintf(what, sizeof what, "%s: %zu signatures", name, nwant);
    check(what, au_dkim_verify_done(v) && au_dkim_verify_count(v) == nwant, NULL);
    for (size_t i = 0; i < nwant && i < au_dkim_verify_count(v); i++) {
        const struct au_dkim_sig_result *r = au_dkim_verify_result(v, i);
        snprintf(what, sizeof what, "%s sig %zu (s=%s) want %s got %s", name, i, r->selector,
                 au_result_name(want[i]), au_result_name(r->result));
        check(what, r->result == want[i], r->reason);
    }
    au_dkim_verify_free(v);
}

static void dkimpy(void)
{
    const char *d = "dkim-dkimpy/files/dkim/tests/data";
    char rel[512];
    size_t len;
    char *test_txt, *m;
    snprintf(rel, sizeof rel, "%s/test.txt", d);
    test_txt = load_txt(rel);

    struct fx_dns dns = {0};
    fx_dns_add(&dns, "brisbane._domainkey.football.example.com", FX_TXT,
               "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    fx_dns_add(&dns, "test._domainkey.football.example.com", FX_TXT, test_txt);
    snprintf(rel, sizeof rel, "%s/eximtest.dns", d);
    char *exim = load_txt(rel);
    fx_dns_add(&dns, "sed._domainkey.test.ex", FX_TXT, exim);
    fx_dns_add(&dns, "20120113._domainkey.gmail.com", FX_TXT,
               "k=rsa; "
               "p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1Kd87/"
               "UeJjenpabgbFwh+eBCsSTrqmwIYYvywlbhbqoo2DymndFkbjOVIPIldNs/"
               "m40KF+yzMn1skyoxcTUGCQs8g3FgD2Ap3ZB5DekAo5wMmk4wimDO+U8QzI3SD07y2+"
               "07wlNWwIt8svnxgdxGkVbbhzY8i+RQ9DpSVpPbF7ykQxtKXkv/"
               "ahW3KjViiAH+ghvvIhkx4xYSIc9oSwVmAl5OctMEeWUwg8Istjqz8BZeTWbf41fbNhte7Y+"
               "YqZOwq1Sd0DbvYAD9NOZK9vlfuac0598HY+"
               "vtSBczUiKERHv1yRbcaQtZFh5wtiRrN04BLUTD21MycBX5jYchHjPY/wIDAQAB");
    fx_dns_add(&dns, "test._domainkey.legitimate.com(.attacker.com", FX_TXT, test_txt);

    static const enum au_result two_pass[] = {AU_RESULT_PASS, AU_RESULT_PASS};
    static const enum au_result one_pass[] = {AU_RESULT_PASS};
    static const enum au_result one_perm[] = {AU_RESULT_PERMERROR};
    snprintf(rel, sizeof rel, "%s/rfc6376.signed.msg", d);
    m = load(rel, &len);
    expect("dkimpy rfc6376.signed.msg", m, len, &dns, two_pass, 2);
    free(m);
    snprintf(rel, sizeof rel, "%s/rfc6376.signed.rsa.msg", d);
    m = load(rel, &len);
    expect("dkimpy rfc6376.signed.rsa.msg", m, len, &dns, one_pass, 1);
    free(m);
    snprintf(rel, sizeof rel, "%s/ed25519test2.msg", d);
    m = load(rel, &len);
    expect("dkimpy ed25519test2.msg", m, len, &dns, one_pass, 1);
    free(m);
    snprintf(rel, sizeof rel, "%s/test2.message", d);
    m = load(rel, &len);
    expect("dkimpy test2.message", m, len, &dns, one_pass, 1);
    free(m);
    /* d= is not a domain name: a syntax error, permerror (RFC 6376 3.5). */
    snprintf(rel, sizeof rel, "%s/test.message.baddomain", d);
    m = load(rel, &len);
    expect("dkimpy test.message.baddomain", m, len, &dns, one_perm, 1);
    free(m);

    /* Bad key records: sign test.message with test.private (whose record is
     * test.txt), check it passes, then swap in each bad record. */
    snprintf(rel, sizeof rel, "%s/test.private", d);
    size_t klen;
    char *pem = load(rel, &klen);
    char err[200];
    EVP_PKEY *key = au_dkim_sign_load_key(pem, klen, err, sizeof err);
    check("dkimpy test.private loads", key != NULL, err);
    snprintf(rel, sizeof rel, "%s/test.message", d);
    m = load(rel, &len);
    struct au_dkim_sign_opts o;
    au_dkim_sign_opts_init(&o);
    o.domain = "example.com";
    o.selector = "test";
    o.now = NOW - 10;
    struct au_buf signed_msg;
    au_buf_init(&signed_msg, AU_BUF_NOLIMIT);
    int rc = key ? au_dkim_sign(m, len, key, &o, &signed_msg, err, sizeof err) : -1;
    check("dkimpy test.message signs", rc == 0, err);
    au_buf_append(&signed_msg, m, len);
    static const struct {
        const char *file;
        enum au_result want;
    } keys[] = {
        {"test.txt", AU_RESULT_PASS},
        {"badversion.txt", AU_RESULT_PERMERROR},  /* v=DKIM1: (colon): syntax */
        {"badk.txt", AU_RESULT_PERMERROR},        /* k=ed25519-sha256: unknown key type */
        {"test_bad.txt", AU_RESULT_PERMERROR},    /* corrupted key data */
        {"test_tlsrpt.txt", AU_RESULT_PERMERROR}, /* s=tlsrpt: not for email */
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        struct fx_dns kd = {0};
        snprintf(rel, sizeof rel, "%s/%s", d, keys[i].file);
        char *rec = load_txt(rel);
        fx_dns_add(&kd, "test._domainkey.example.com", FX_TXT, rec);
        char name[128];
        snprintf(name, sizeof name, "dkimpy key record %s", keys[i].file);
        expect(name, signed_msg.data, signed_msg.len, &kd, &keys[i].want, 1);
        fx_dns_free(&kd);
        free(rec);
    }
    au_buf_free(&signed_msg);
    EVP_PKEY_free(key);
    free(pem);
    free(m);
    fx_dns_free(&dns);
    free(test_txt);
    free(exim);
}

/* dkimpy's key files in every format, with their published records: our
 * signer reads the private key, our verifier the record (SPKI or bare
 * PKCS#1 in p=, raw Ed25519), and the pair must pass. */
static void key_formats(void)
{
    static const struct {
        const char *key, *record; /* files; record NULL: the RFC 8463 brisbane key */
    } t[] = {
        {"ed25519test.key", "ed25519test.dns"},
        {"rfc8032_7_1.key", NULL},
        {"2048_testkey.key", "2048_testkey_wo_markers.pub.txt"},
        {"2048_testkey.key", "2048_testkey_wo_markers.pub.rsa.txt"},
        {"2048_testkey_PKCS8.key", "2048_testkey_PKCS8.key.pub.txt"},
        {"1024_testkey.key", "1024_testkey_wo_markers.pub.txt"},
        {"1024_testkey.key", "1024_testkey_wo_markers.pub.rsa.txt"},
        {"test.private", "test.txt"},
    };
    const char *d = "dkim-dkimpy/files/dkim/tests/data";
    char rel[512];
    size_t len, klen;
    snprintf(rel, sizeof rel, "%s/test.message", d);
    char *m = load(rel, &len);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char what[256], err[200] = "";
        snprintf(what, sizeof what, "key %s with record %s", t[i].key,
                 t[i].record ? t[i].record : "brisbane (RFC 8463)");
        snprintf(rel, sizeof rel, "%s/%s", d, t[i].key);
        char *ktext = load(rel, &klen);
        EVP_PKEY *key = au_dkim_sign_load_key(ktext, klen, err, sizeof err);
        free(ktext);
        if (key == NULL) {
            check(what, false, err);
            continue;
        }
        char *rec;
        if (t[i].record) {
            snprintf(rel, sizeof rel, "%s/%s", d, t[i].record);
            rec = load_txt(rel);
        } else {
            rec = au_xstrdup("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
        }
        struct au_dkim_sign_opts o;
        au_dkim_sign_opts_init(&o);
        o.domain = "example.com";
        o.selector = "fmt";
        o.now = NOW - 10;
        struct au_buf sm;
        au_buf_init(&sm, AU_BUF_NOLIMIT);
        int rc = au_dkim_sign(m, len, key, &o, &sm, err, sizeof err);
        au_buf_append(&sm, m, len);
        struct fx_dns dns = {0};
        fx_dns_add(&dns, "fmt._domainkey.example.com", FX_TXT, rec);
        struct au_dkim_verify *v = au_dkim_verify_new(NULL, NOW);
        fx_run(v, sm.data, sm.len, 0, &dns);
        const struct au_dkim_sig_result *r =
            au_dkim_verify_count(v) ? au_dkim_verify_result(v, 0) : NULL;
        check(what, rc == 0 && r && r->result == AU_RESULT_PASS, rc ? err : r ? r->reason : "none");
        au_dkim_verify_free(v);
        fx_dns_free(&dns);
        au_buf_free(&sm);
        free(rec);
        EVP_PKEY_free(key);
    }
    free(m);
}

static void rfc8463(void)
{
    struct fx_dns dns = {0};
    fx_dns_add(&dns, "brisbane._domainkey.football.example.com", FX_TXT,
               "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    fx_dns_add(&dns, "test._domainkey.football.example.com", FX_TXT,
               "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
               "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
               "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
               "Ip3G+2kryOTIKT+l/K4w3QIDAQAB");
    size_t len;
    char *m = load("dkim-rfc8463-example/files/test/dkim/ec/fixtures/signed.eml", &len);
    static const enum au_result want[] = {AU_RESULT_PASS, AU_RESULT_PASS};
    /* Any chunking gives the same answer. */
    static const size_t chunks[] = {0, 1, 7, 64};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        struct au_dkim_verify *v = au_dkim_verify_new(NULL, NOW);
        fx_run(v, m, len, chunks[c], &dns);
        char what[128];
        snprintf(what, sizeof what, "rfc8463 chunk %zu: 2 signatures pass", chunks[c]);
        bool ok = au_dkim_verify_count(v) == 2;
        for (size_t i = 0; ok && i < 2; i++)
            ok = au_dkim_verify_result(v, i)->result == want[i];
        check(what, ok, ok ? NULL : au_dkim_verify_result(v, 0)->reason);
        au_dkim_verify_free(v);
    }
    free(m);
    fx_dns_free(&dns);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: conf_dkim_vectors CONFORMANCE_DIR\n");
        return 2;
    }
    root = argv[1];
    dkimpy();
    key_formats();
    rfc8463();
    printf("conf_dkim_vectors: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
