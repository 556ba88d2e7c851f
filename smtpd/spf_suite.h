/*
 * spf_suite - loads the openspf SPF test suite (rfc7208-tests.yml: several
 * YAML documents, each a scenario with tests and zonedata) into stub DNS
 * worlds and test cases.  Used by the conformance runner and by the
 * `authsink spf --bench-suite` benchmark.
 */
#ifndef SMTPD_SPF_SUITE_H
#define SMTPD_SPF_SUITE_H

#include <stdbool.h>
#include <stddef.h>

#include "dns_stub.h"
#include "spf.h"

#define SPF_SUITE_RESULTS_MAX 4 /* acceptable results listed by one test */
#define SPF_SUITE_FILE_MAX (4u << 20)

struct spf_suite_case {
    const char *scenario; /* the document's description */
    char *name;
    char *spec; /* RFC 7208 section cited, or "" */
    char *helo, *host, *mailfrom;
    const char *results[SPF_SUITE_RESULTS_MAX]; /* result words */
    size_t nresults;
    char *explanation;              /* expected explanation, or NULL */
    const struct au_dns_stub *stub; /* the scenario's world (owned by the suite) */
};

struct spf_suite {
    struct spf_suite_case *cases;
    size_t ncases;
    struct au_dns_stub **stubs;
    char **scenarios;
    size_t nscenarios;
};

/* Reads and converts the suite at path. Returns NULL with a message in err. */
struct spf_suite *spf_suite_load(const char *path, char *err, size_t errlen);
/* NULL is a no-op. */
void spf_suite_free(struct spf_suite *s);

/* Evaluates one case against its stub (the suite harness's conventions: the
 * default explanation is the text "DEFAULT"). Returns the finished
 * evaluation (caller frees), or NULL when the case's client address is not
 * an address. */
struct au_spf *spf_suite_eval(const struct spf_suite_case *c);
/* True when the evaluation's result is one of the acceptable results. */
bool spf_suite_result_ok(const struct spf_suite_case *c, const struct au_spf *spf);

#endif
