/*
 * fuzz_spf_macro - libFuzzer target for SPF macro strings: the first byte
 * picks the grammar (domain-spec, explanation, unknown modifier), the rest
 * is checked, expanded into a bounded buffer and into an unbounded one, and
 * the three answers must agree.  Also runs the domain-spec check.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"
#include "spf_macro.h"
#include "spf_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192)
        return 0;
    enum au_spf_macro_mode mode = (enum au_spf_macro_mode)(data[0] % 3);
    struct au_slice s = au_slice_make((const char *)data + 1, size - 1);
    struct au_ip ip;
    if (data[0] & 0x80)
        au_ip_parse6("2001:db8::cb01", 14, &ip);
    else
        au_ip_parse4("192.0.2.3", 9, &ip);
    struct au_spf_macro_vars v = {
        .sender = "strong-bad@email.example.com",
        .local = "strong-bad",
        .sender_domain = "email.example.com",
        .domain = "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.example.com",
        .ip = &ip,
        .helo = "JUMPIN' JUPITER",
        .validated = (data[0] & 0x40) ? NULL : "mx.example.org",
        .receiver = "mx.google.com",
        .now = 1764144000,
    };
    char err[128];
    int c = au_spf_macro_check(s, mode, err, sizeof err);
    struct au_buf small, big;
    au_buf_init(&small, 512);
    au_buf_init(&big, AU_BUF_NOLIMIT);
    int r1 = au_spf_macro_expand(s, mode, &v, &small);
    int r2 = au_spf_macro_expand(s, mode, &v, &big);
    if ((c == 0) != (r2 == 0))
        abort(); /* check and expand disagree on the grammar */
    if (r2 == 0 && big.len <= 512 &&
        (r1 != 0 || small.len != big.len ||
         memcmp(small.data ? small.data : "", big.data ? big.data : "", big.len)))
        abort(); /* a bounded expansion that fits must be the same */
    if (r2 == 0 && big.len > 512 && r1 != -2)
        abort();
    (void)au_spf_macro_uses_p(s);
    (void)au_spf_record_check_domain_spec(s, err, sizeof err);
    au_buf_free(&small);
    au_buf_free(&big);
    return 0;
}
