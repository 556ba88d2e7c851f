/*
 * fuzz_dmarc_record - libFuzzer target for the DMARC record parser, the
 * whole DMARC check fed the input as its _dmarc TXT answer, and domain
 * normalization.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"
#include "dmarc_record.h"
#include "orgdomain.h"
#include "psl_load.h"
#include "xalloc.h"

struct input {
    const uint8_t *data;
    size_t size;
};

/* Answers every TXT query with the input, split into 255-byte strings. */
static struct au_dns_answer *lookup(void *ctx, const struct au_dns_query *q)
{
    const struct input *in = ctx;
    (void)q;
    if (in->size > 0 && in->data[0] == 'T')
        return au_dns_answer_status(AU_DNS_TEMPFAIL, 0, "timeout");
    struct au_slice parts[64];
    size_t n = 0;
    for (size_t off = 0; off < in->size && n < 64; off += 255, n++)
        parts[n] = au_slice_make((const char *)in->data + off,
                                 in->size - off > 255 ? 255 : in->size - off);
    struct au_dns_builder *b = au_dns_builder_new();
    au_dns_builder_add_txt(b, AU_DNS_TXT, 60, parts, n);
    return au_dns_builder_finish(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct au_dmarc_record rec;
    au_dmarc_record_parse(au_slice_make((const char *)data, size), &rec);
    au_dmarc_record_clear(&rec);

    /* The input as a domain name. */
    char *name = au_xstrndup((const char *)data, size < 300 ? size : 300);
    free(au_orgdomain_normalize(name));

    const psl_ctx_t *psl = psl_load_default();
    if (psl != NULL) {
        free(au_orgdomain_get(psl, name));
        struct input in = {data, size};
        struct au_dmarc *d = au_dmarc_new(psl, "mail.example.com");
        au_dns_run(au_dmarc_step, d, lookup, &in);
        struct au_dmarc_dkim k[2] = {{AU_RESULT_PASS, name}, {AU_RESULT_TEMPERROR, "example.com"}};
        struct au_dmarc_ids ids = {AU_RESULT_FAIL, name, 2, k};
        au_dmarc_evaluate(d, &ids);
        struct au_buf b;
        au_buf_init(&b, 4096);
        au_dmarc_ar_clause(d, &b);
        au_buf_free(&b);
        if (strlen(au_dmarc_outcome(d)->explanation) > 8192)
            abort();
        au_dmarc_free(d);
    }
    free(name);
    return 0;
}
