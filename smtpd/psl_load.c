/*
 * psl_load - the public suffix list for DMARC's organizational domain.
 *
 * Public: psl_load_default, psl_load_path.
 *
 * RFC 7489 section 3.2 needs a public suffix list.  We use Debian's (package
 * publicsuffix, PSL_LOAD_DEBIAN_LIST) so that an update of the list is an
 * apt upgrade, not a release of ours.  When that file is missing we fall back
 * to psl_latest(NULL): libpsl's own choice between its distribution file and
 * its built-in copy, both made from the same upstream list.
 */
#include "psl_load.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static psl_ctx_t *default_ctx;

psl_ctx_t *psl_load_path(const char *path)
{
    errno = 0;
    psl_ctx_t *ctx = psl_load_file(path);
    if (ctx == NULL)
        fprintf(stderr, "authsink: cannot load the public suffix list %s%s%s\n", path,
                errno ? ": " : "", errno ? strerror(errno) : "");
    return ctx;
}

static void load_default(void)
{
    default_ctx = psl_load_file(PSL_LOAD_DEBIAN_LIST);
    if (default_ctx != NULL)
        return;
    default_ctx = psl_latest(NULL);
    if (default_ctx == NULL)
        fprintf(stderr,
                "authsink: cannot load the public suffix list (%s, or libpsl's own); "
                "install the publicsuffix package\n",
                PSL_LOAD_DEBIAN_LIST);
}

const psl_ctx_t *psl_load_default(void)
{
    pthread_once(&default_once, load_default);
    return default_ctx;
}
