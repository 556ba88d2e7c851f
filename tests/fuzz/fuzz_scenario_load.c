/*
 * fuzz_scenario_load - libFuzzer target for the scenario loader and its
 * strict YAML layer (smtpd/scenario.c, smtpd/yamlx.c).
 *
 * Arbitrary bytes are loaded as a scenario file named "fuzz.yaml" whose
 * relative paths point into a folder that does not exist.  Invariants: the
 * load either succeeds with a consistent scenario (at least one
 * conversation, key indexes in range, one expected reply per recipient when
 * given) or fails with a message "fuzz.yaml:LINE:COLUMN: text", LINE and
 * COLUMN positive.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

static void check_error(const char *e)
{
    static const char prefix[] = "fuzz.yaml:";
    if (strncmp(e, prefix, sizeof prefix - 1) != 0)
        abort();
    const char *p = e + sizeof prefix - 1;
    for (int field = 0; field < 2; field++) {
        if (*p < '1' || *p > '9')
            abort();
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p++ != ':')
            abort();
    }
    if (*p != ' ' || p[1] == 0)
        abort();
}

static void check_scenario(const struct scenario *s)
{
    if (!s->name[0] || s->nconv == 0 || !s->profile)
        abort();
    for (size_t i = 0; i < s->nconv; i++) {
        const struct scenario_conversation *c = &s->conv[i];
        if (c->raw_mode) {
            if (c->nraw == 0)
                abort();
            continue;
        }
        if (c->nrcpt_to == 0 || (c->expect.nrcpt && c->expect.nrcpt != c->nrcpt_to))
            abort();
        for (size_t j = 0; j < c->nsign; j++)
            if (c->sign[j].key >= s->nkeys)
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so ASan sees any read past the end. */
    char *p = malloc(size ? size : 1);
    if (size)
        memcpy(p, data, size);
    struct au_buf err;
    au_buf_init(&err, AU_BUF_NOLIMIT);
    struct scenario *s =
        scenario_load_string(p, size, "fuzz.yaml", "/nonexistent-authsink-fuzz", &err);
    if (s)
        check_scenario(s);
    else
        check_error(err.data ? err.data : "");
    scenario_free(s);
    au_buf_free(&err);
    free(p);
    return 0;
}
