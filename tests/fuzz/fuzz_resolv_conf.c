/*
 * fuzz_resolv_conf - the resolver's text parsers (smtpd/resolver.c):
 * resolv.conf contents, and the --resolver ADDR[:PORT] syntax on each line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolver.h"

volatile size_t fuzz_resolv_conf_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct resolver_config c;
    memset(&c, 0, sizeof c);
    fuzz_resolv_conf_sink += resolver_parse_resolv_conf(&c, (const char *)data, size);
    if (c.nservers > RESOLVER_SERVERS_MAX)
        abort();
    /* Every line as an address. */
    char *copy = malloc(size + 1);
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (char *line = copy, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        struct sockaddr_storage sa;
        if (resolver_parse_addr(line, &sa) == 0)
            fuzz_resolv_conf_sink += sa.ss_family;
    }
    free(copy);
    return 0;
}
