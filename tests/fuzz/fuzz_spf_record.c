/*
 * fuzz_spf_record - libFuzzer target for the SPF record parser and the whole
 * check_host() evaluator: the input is parsed as a record, and then served
 * as the TXT record of every domain (prefixed with "v=spf1 " unless it has
 * a version), with addresses, MX and PTR names answered from a small fixed
 * world, so that include, redirect, macros, %{p} and exp= all run.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"
#include "spf_record.h"

struct input {
    const char *text;
    size_t len;
};

static struct au_dns_answer *lookup(void *ctx, const struct au_dns_query *q)
{
    const struct input *in = ctx;
    size_t h = strlen(q->name);
    /* Some names fail or do not exist, so the error paths run too. */
    if (h % 13 == 5)
        return au_dns_answer_status(AU_DNS_TEMPFAIL, 60, "timeout");
    if (h % 13 == 7)
        return au_dns_answer_status(AU_DNS_NXDOMAIN, 60, "NXDOMAIN");
    struct au_dns_builder *b = au_dns_builder_new();
    switch (q->type) {
    case AU_DNS_TXT: {
        struct au_slice parts[300];
        size_t n = 0;
        for (size_t off = 0; off < in->len && n < 300; off += 255, n++)
            parts[n] = au_slice_make(in->text + off, in->len - off > 255 ? 255 : in->len - off);
        au_dns_builder_add_txt(b, AU_DNS_TXT, 60, parts, n);
        break;
    }
    case AU_DNS_A: {
        uint8_t a[4] = {192, 0, 2, (uint8_t)(h % 4)};
        au_dns_builder_add_a(b, 60, a);
        break;
    }
    case AU_DNS_AAAA: {
        uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
        a[15] = (uint8_t)(h % 4);
        au_dns_builder_add_aaaa(b, 60, a);
        break;
    }
    case AU_DNS_MX:
    case AU_DNS_PTR: {
        /* Two fixed names and one made of the input's first bytes (any length). */
        char odd[400];
        size_t n = in->len < sizeof odd - 1 ? in->len : sizeof odd - 1;
        memcpy(odd, in->text, n);
        odd[n] = '\0';
        if (q->type == AU_DNS_MX) {
            au_dns_builder_add_mx(b, 60, 10, "mx1.example.com");
            au_dns_builder_add_mx(b, 60, 20, "mx2.example.com");
            au_dns_builder_add_mx(b, 60, 30, odd);
        } else {
            au_dns_builder_add_name(b, AU_DNS_PTR, 60, "mail.example.com");
            au_dns_builder_add_name(b, AU_DNS_PTR, 60, "other.example.org");
            au_dns_builder_add_name(b, AU_DNS_PTR, 60, odd);
        }
        break;
    }
    }
    return au_dns_builder_finish(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 70000)
        return 0;
    char err[256];
    struct au_spf_record *rec = au_spf_record_parse((const char *)data, size, err, sizeof err);
    au_spf_record_free(rec);

    /* The same bytes as the record of every domain in a check_host() run. */
    char *text = malloc(size + 8);
    size_t len = 0;
    if (!au_spf_record_is_spf(au_slice_make((const char *)data, size))) {
        memcpy(text, "v=spf1 ", 7);
        len = 7;
    }
    memcpy(text + len, data, size);
    len += size;
    struct input in = {text, len};
    struct au_spf_params p;
    memset(&p, 0, sizeof p);
    au_ip_parse4("192.0.2.1", 9, &p.ip);
    p.mail_from = size % 3 == 0 ? "" : "strong-bad@email.example.com";
    p.helo = "mail.example.com";
    p.now = 1764144000;
    if (size % 2)
        au_ip_parse6("2001:db8::1", 11, &p.ip);
    struct au_spf *spf = au_spf_new(&p);
    au_dns_run(au_spf_step, spf, lookup, &in);
    struct au_buf out;
    au_buf_init(&out, AU_BUF_NOLIMIT);
    au_spf_received_spf(spf, &out);
    au_spf_ar_clause(spf, &out);
    au_buf_free(&out);
    for (size_t i = 0; i < au_spf_trace_count(spf); i++)
        (void)strlen(au_spf_trace_at(spf, i)->detail);
    au_spf_free(spf);
    free(text);
    return 0;
}
