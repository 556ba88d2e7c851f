/*
 * fuzz_dkim_verify - libFuzzer target for the whole DKIM verifier: a
 * message through the splitter, signatures parsed and hashed, key records
 * answered from a fixed set (chosen by the first byte), results built.
 * The verifiers are reused across inputs (reset per message).
 * Invariants: the run ends done, at most max_signatures results, every
 * string non-NULL, a pass only with a usable key, and the A-R clause
 * renders for every result.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../dkim_fixture.h"

static const char *const records[] = {
    "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    "v=DKIM1; k=rsa; "
    "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/"
    "J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/"
    "8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
    "v=DKIM1; p=",
    "garbage",
};

static struct au_dns_answer *lookup(void *ctx, const struct au_dns_query *q)
{
    unsigned sel = *(unsigned *)ctx;
    if (sel % 6 == 4)
        return au_dns_answer_status(AU_DNS_TEMPFAIL, 0, "timeout");
    if (sel % 6 == 5)
        return au_dns_answer_status(AU_DNS_NXDOMAIN, 0, "NXDOMAIN");
    struct au_dns_builder *b = au_dns_builder_new();
    const char *r = records[sel % 6 % 4];
    struct au_slice s = au_slice_cstr(r);
    au_dns_builder_add_txt(b, AU_DNS_TXT, 300, &s, 1);
    return au_dns_builder_finish(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned sel = data[0];
    size_t chunk = (size_t)(data[1] % 9) + 1;
    char *p = malloc(size - 2 ? size - 2 : 1);
    memcpy(p, data + 2, size - 2);
    size_t n = size - 2;
    /* Two verifiers live across inputs and are reset per message, as a
     * session reuses one: the key cache and kept storage are exercised. */
    static struct au_dkim_verify *kept[2];
    struct au_dkim_config cfg;
    au_dkim_config_default(&cfg);
    cfg.allow_rsa_sha1 = sel & 0x80;
    struct au_dkim_verify **slot = &kept[cfg.allow_rsa_sha1 ? 1 : 0];
    if (*slot == NULL)
        *slot = au_dkim_verify_new(&cfg, 1700000000);
    struct au_dkim_verify *v = *slot;
    au_dkim_verify_reset(v, 1700000000);
    struct au_msg_sink sink = {fx_sink_field, fx_sink_end_headers, fx_sink_body, fx_sink_end, v};
    struct au_msg *m = au_msg_new(&sink);
    int rc = 0;
    for (size_t o = 0; o < n && rc == 0; o += chunk)
        rc = au_msg_feed(m, p + o, n - o < chunk ? n - o : chunk);
    if (rc == 0)
        rc = au_msg_finish(m);
    au_msg_free(m);
    if (rc == 0) {
        au_dns_run(au_dkim_verify_step, v, lookup, &sel);
        if (!au_dkim_verify_done(v) || au_dkim_verify_count(v) > cfg.max_signatures)
            abort();
        struct au_buf ar;
        au_buf_init(&ar, AU_BUF_NOLIMIT);
        for (size_t i = 0; i < au_dkim_verify_count(v); i++) {
            const struct au_dkim_sig_result *r = au_dkim_verify_result(v, i);
            if (!r || !r->domain || !r->selector || !r->algorithm || !r->identity || !r->b ||
                !r->headers || !r->reason)
                abort();
            if (r->result == AU_RESULT_PASS && (r->key_bits == 0 || r->reason[0]))
                abort();
            if (r->result != AU_RESULT_PASS && r->reason[0] == '\0')
                abort();
            if (au_dkim_ar_clause(r, &ar) != 0)
                abort();
        }
        au_buf_free(&ar);
    }
    free(p);
    return 0;
}
