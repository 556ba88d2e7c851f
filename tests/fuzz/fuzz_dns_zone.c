/*
 * fuzz_dns_zone - the stub's zone text and fault parsers (auth/dns_stub.c).
 *
 * The input up to the first NUL byte (or all of it) is zone text, given with
 * the origin "fuzz.example"; after a NUL, the rest is a --dns-fault spec.
 * When the text is accepted, a few lookups run over what it built, so the
 * lookup rules (CNAME chains, wildcards, empty non-terminals) see strange
 * worlds too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_stub.h"

static const char *const names[] = {
    "fuzz.example", "a.fuzz.example", "www.fuzz.example", "x.y.fuzz.example",
    "*.fuzz.example", "example", "", "a",
};
static const uint16_t types[] = {AU_DNS_A, AU_DNS_AAAA, AU_DNS_MX, AU_DNS_TXT,
                                 AU_DNS_SPF, AU_DNS_PTR, AU_DNS_CNAME, AU_DNS_NS};

volatile size_t fuzz_dns_zone_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nul = memchr(data, '\0', size);
    size_t tlen = nul ? (size_t)(nul - text) : size;
    struct au_dns_stub *s = au_dns_stub_new();
    char err[256];
    if (nul) {
        size_t flen = size - tlen - 1;
        char *spec = malloc(flen + 1);
        memcpy(spec, nul + 1, flen);
        spec[flen] = '\0';
        au_dns_stub_add_fault_spec(s, spec, err, sizeof err);
        free(spec);
    }
    if (au_dns_stub_add_zone(s, text, tlen, "fuzz.example", "fuzz", err, sizeof err) == 0) {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            struct au_dns_query q;
            memset(&q, 0, sizeof q);
            strcpy(q.name, names[i]);
            q.type = types[i];
            struct au_dns_answer *a = au_dns_stub_lookup(s, &q);
            fuzz_dns_zone_sink += a->count + strlen(a->detail);
            au_dns_answer_unref(a);
        }
    } else {
        fuzz_dns_zone_sink += strlen(err);
    }
    au_dns_stub_free(s);
    return 0;
}
