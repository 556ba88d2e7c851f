/*
 * conf_psl - the public suffix list's own test vectors (psl-tests) against
 * auth/orgdomain: the expected "registrable domain" is RFC 7489 3.2's
 * Organizational Domain ("null": there is none).
 *
 * Run twice: with the list file bundled with the suite (the tests assume it;
 * these results decide the exit status), and with the list authsink uses in
 * production (Debian's, smtpd/psl_load.c), to show that list agrees too.
 *
 * usage: conf_psl CONFORMANCE_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orgdomain.h"
#include "psl_load.h"

#define LINE_MAX_BYTES 1024

struct counts {
    int run, passed;
};

static void run_file(const psl_ctx_t *psl, const char *tests, const char *label, struct counts *c)
{
    FILE *f = fopen(tests, "r");
    if (f == NULL) {
        fprintf(stderr, "conf_psl: cannot open %s\n", tests);
        exit(1);
    }
    char line[LINE_MAX_BYTES];
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || strncmp(line, "//", 2) == 0)
            continue;
        char *sp = strchr(line, ' ');
        if (sp == NULL) {
            fprintf(stderr, "conf_psl: bad line: %s\n", line);
            exit(1);
        }
        *sp = '\0';
        const char *input = strcmp(line, "null") == 0 ? NULL : line;
        const char *want = strcmp(sp + 1, "null") == 0 ? NULL : sp + 1;

        char *got = au_orgdomain_registrable(psl, input);
        int ok = (want == NULL && got == NULL) ||
                 (want != NULL && got != NULL && strcmp(want, got) == 0);
        c->run++;
        if (ok)
            c->passed++;
        else
            printf("FAIL [%s] %s: want %s, got %s\n", label, input ? input : "null",
                   want ? want : "null", got ? got : "null");
        free(got);
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: conf_psl CONFORMANCE_DIR\n");
        return 2;
    }
    char tests[4096], list[4096];
    snprintf(tests, sizeof tests, "%s/psl-tests/files/tests/tests.txt", argv[1]);
    snprintf(list, sizeof list, "%s/psl-tests/files/public_suffix_list.dat", argv[1]);

    psl_ctx_t *bundled = psl_load_path(list);
    if (bundled == NULL)
        return 1;
    struct counts b = {0, 0};
    run_file(bundled, tests, "bundled list", &b);
    psl_free(bundled);
    printf("psl-tests, bundled list: %d/%d passed\n", b.passed, b.run);

    const psl_ctx_t *debian = psl_load_default();
    if (debian == NULL)
        return 1;
    struct counts d = {0, 0};
    run_file(debian, tests, "Debian list", &d);
    printf("psl-tests, Debian's list (production): %d/%d passed\n", d.passed, d.run);

    /* 78 active checks, as the suite's README counts them. */
    return b.run == 78 && b.passed == b.run && d.passed == d.run ? 0 : 1;
}
