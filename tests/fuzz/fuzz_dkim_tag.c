/*
 * fuzz_dkim_tag - libFuzzer target for the DKIM tag-list parser, the
 * DKIM-Signature parser and the key-record parser (RFC 6376 3.2, 3.5,
 * 3.6.1).  Invariants: tags' slices and value spans lie inside the input;
 * a parsed signature has the required tags, From in h=, a digest-sized
 * bh=, a non-empty b= within its bound, and i= inside d=.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim_tag.h"

static void inside(struct au_slice s, const char *p, size_t n)
{
    if (s.len && (s.ptr < p || s.ptr + s.len > p + n))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *p = malloc(size ? size : 1);
    memcpy(p, data, size);
    struct au_slice in = au_slice_make(p, size);
    char err[AU_DKIM_ERR_MAX];

    struct au_dkim_tag tags[AU_DKIM_TAGS_MAX];
    size_t n;
    if (au_dkim_tag_parse(in, tags, AU_DKIM_TAGS_MAX, &n, err, sizeof err) == 0) {
        if (n == 0 || n > AU_DKIM_TAGS_MAX)
            abort();
        for (size_t i = 0; i < n; i++) {
            inside(tags[i].name, p, size);
            inside(tags[i].value, p, size);
            if (tags[i].voff > tags[i].vend || tags[i].vend > size)
                abort();
        }
    }

    static struct au_dkim_sig sig;
    struct au_dkim_sig_opts opts = {.draft_versions = size > 0 && (data[0] & 1)};
    if (au_dkim_tag_sig_parse(in, &opts, &sig, err, sizeof err) == 0) {
        if (sig.alg == AU_DKIM_ALG_NONE || sig.b_len == 0 || sig.b_len > AU_DKIM_SIG_BYTES_MAX)
            abort();
        if (sig.bh_len != (sig.alg == AU_DKIM_RSA_SHA1 ? 20u : 32u))
            abort();
        if (!au_dkim_tag_domain_ok(sig.d) || sig.nh == 0 || sig.nh > AU_DKIM_HNAMES_MAX)
            abort();
        int from = 0;
        for (size_t i = 0; i < sig.nh; i++) {
            inside(sig.hnames[i], p, size);
            from |= sig.hnames[i].len == 4 && strncasecmp(sig.hnames[i].ptr, "from", 4) == 0;
        }
        if (!from || sig.b_voff > sig.b_vend || sig.b_vend > size)
            abort();
        if (strchr(sig.identity, '@') == NULL)
            abort();
        if (sig.has_t && sig.has_x && sig.x <= sig.t)
            abort();
    }

    struct au_dkim_key_rec key;
    if (au_dkim_tag_key_parse(in, &key, err, sizeof err) == 0) {
        inside(key.p, p, size);
        if (key.revoked != (key.p.len == 0))
            abort();
    }

    uint8_t out[512];
    long len = au_dkim_tag_base64(in, out, sizeof out);
    if (len > (long)sizeof out)
        abort();
    free(p);
    return 0;
}
