/*
 * fuzz_addr - libFuzzer target for the RFC 5322 address-list parser, the
 * msg-id check and the domain check, with the invariants a caller relies
 * on: every returned slice lies inside the input, no more addresses are
 * stored than AU_ADDR_MAX, and a returned domain that the domain check
 * accepts has no CFWS in it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static void inside(struct au_slice s, const char *p, size_t n)
{
    if (s.len == 0)
        return;
    if (s.ptr < p || s.ptr + s.len > p + n)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so ASan sees any read past the end. */
    char *p = malloc(size ? size : 1);
    memcpy(p, data, size);
    struct au_slice in = au_slice_make(p, size);

    struct au_addr_list l;
    enum au_addr_status st = au_addr_parse_list(in, &l);
    if (st != AU_ADDR_OK && st != AU_ADDR_SYNTAX)
        abort();
    size_t kept = l.count < AU_ADDR_MAX ? l.count : AU_ADDR_MAX;
    for (size_t i = 0; i < kept; i++) {
        inside(l.addr[i].display, p, size);
        inside(l.addr[i].local, p, size);
        inside(l.addr[i].domain, p, size);
        if (st == AU_ADDR_OK && (l.addr[i].local.len == 0 || l.addr[i].domain.len == 0))
            abort();
        if (au_addr_domain_valid(l.addr[i].domain) &&
            memchr(l.addr[i].domain.ptr, ' ', l.addr[i].domain.len))
            abort();
    }
    au_addr_msgid_valid(in);
    au_addr_domain_valid(in);
    free(p);
    return 0;
}
