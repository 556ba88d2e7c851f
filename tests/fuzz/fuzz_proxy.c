/*
 * fuzz_proxy - libFuzzer target for the PROXY protocol parser (smtpd/proxy.c).
 *
 * Beyond "no crash, no over-read" it checks the contract: a header length
 * never exceeds the input or PROXY_MAX_HEADER, "need more" is never the
 * answer once PROXY_MAX_HEADER bytes are present, an accepted header is also
 * accepted (with the same length) when more bytes follow, and every shorter
 * prefix of an accepted header is "need more".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

/* Re-parse every prefix only for inputs up to this size (quadratic cost). */
#define FUZZ_PROXY_PREFIX_MAX 300

static int parse_copy(const uint8_t *data, size_t n, struct proxy_result *r)
{
    /* An exact-size heap copy so ASan sees any read past n. */
    uint8_t *copy = malloc(n ? n : 1);
    if (copy == NULL)
        abort();
    memcpy(copy, data, n);
    int got = proxy_parse(copy, n, r);
    free(copy);
    return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proxy_result r;
    int got = parse_copy(data, size, &r);
    if (got == PROXY_ERROR && r.reason == NULL)
        abort();
    if (got == PROXY_NEED_MORE && size >= PROXY_MAX_HEADER)
        abort();
    if (got > 0) {
        if ((size_t)got > size || got > PROXY_MAX_HEADER)
            abort();
        if (r.version == 1 && (data[got - 2] != '\r' || data[got - 1] != '\n'))
            abort();
        if (r.has_addr && r.src.ss_family != r.dst.ss_family)
            abort();
        if (size <= FUZZ_PROXY_PREFIX_MAX) {
            for (size_t k = 0; k < (size_t)got; k++) {
                struct proxy_result p;
                if (parse_copy(data, k, &p) != PROXY_NEED_MORE)
                    abort();
            }
        }
    }
    return 0;
}
