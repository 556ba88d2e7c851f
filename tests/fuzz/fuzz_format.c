/*
 * fuzz_format - libFuzzer target for the message-format checks fed by the
 * message splitter, as the receiver runs them.  The input is a message;
 * the first byte sets the chunk size so that field boundaries fall
 * anywhere.  Invariants: only known rule bits, a duplicate name exactly
 * when the duplicate rule is set, and a reported From domain passes the
 * domain check and comes with exactly one From address.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "msg.h"

static void field(void *arg, struct au_slice name, struct au_slice raw)
{
    au_format_field(arg, name, raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = (size_t)data[0] % 64 + 1;
    data++;
    size--;
    struct au_format *f = au_format_new();
    struct au_msg_sink sink = {.field = field, .arg = f};
    struct au_msg *m = au_msg_new(&sink);
    for (size_t i = 0; i < size; i += chunk)
        au_msg_feed(m, (const char *)data + i, size - i < chunk ? size - i : chunk);
    au_msg_finish(m);
    const struct au_format_result *r = au_format_finish(f);
    if (r->rules >> AU_FORMAT__COUNT)
        abort();
    if (!!r->duplicate != !!(r->rules & AU_FORMAT_BIT(AU_FORMAT_DUPLICATE)))
        abort();
    if (r->from_domain[0]) {
        if (!au_addr_domain_valid(au_slice_cstr(r->from_domain)) || r->from_addresses != 1)
            abort();
    }
    if ((r->rules & AU_FORMAT_BIT(AU_FORMAT_FROM_MISSING)) && r->from_fields != 0)
        abort();
    au_msg_free(m);
    au_format_free(f);
    return 0;
}
