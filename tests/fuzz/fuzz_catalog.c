/*
 * fuzz_catalog - libFuzzer target for the reply layout: the first byte picks
 * a catalogue entry, the rest, cut at NUL bytes into the values ip, domain,
 * from_domain and header, is put into it.  Invariants: at least one line and fewer
 * than AU_REPLY_LINES_MAX (nothing silently dropped), no CR or LF in a
 * line, no line past AU_REPLY_LINE_MAX, and in a reply without fixed lines
 * no line past AU_CATALOG_WRAP except a URL line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int id = data[0] % AU_CAT__COUNT;
    data++;
    size--;
    char *p = malloc(size + 1);
    memcpy(p, data, size);
    p[size] = 0;
    const char *vals[4] = {"", "", "", ""};
    size_t k = 0;
    vals[k++] = p;
    for (size_t i = 0; i < size && k < 4; i++)
        if (p[i] == 0)
            vals[k++] = p + i + 1;
    struct au_catalog_values v = {vals[0], vals[1], vals[2], vals[3], (long long)size};

    {
        const struct au_catalog_entry *e = au_catalog_get(id);
        bool fixed = false;
        for (const char *const *l = e->text; *l; l++)
            fixed |= (*l)[0] == '=';
        struct au_reply r = {0};
        au_catalog_render(id, &v, &r);
        if (r.n < 1 || r.n >= AU_REPLY_LINES_MAX)
            abort();
        for (size_t i = 0; i < r.n; i++) {
            size_t len = strlen(r.lines[i]);
            if (strpbrk(r.lines[i], "\r\n") || len > AU_REPLY_LINE_MAX)
                abort();
            if (!fixed && len > AU_CATALOG_WRAP && strncmp(r.lines[i], " http", 5) != 0)
                abort();
        }
        au_reply_clear(&r);
    }
    free(p);
    return 0;
}
