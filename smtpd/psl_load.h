/*
 * psl_load - loads the public suffix list for the organizational domain
 * (auth/orgdomain.h): Debian's list from the publicsuffix package, never a
 * list of our own (ARCHITECTURE.md, dependencies).
 */
#ifndef SMTPD_PSL_LOAD_H
#define SMTPD_PSL_LOAD_H

#include <libpsl.h>

#define PSL_LOAD_DEBIAN_LIST "/usr/share/publicsuffix/public_suffix_list.dat"

/*
 * The process-wide list: Debian's file, else libpsl's newest (its
 * distribution DAFSA or built-in copy).  Loaded once (thread-safe), shared,
 * never freed.  Returns NULL after printing "authsink: ..." when none loads.
 */
const psl_ctx_t *psl_load_default(void);

/*
 * Loads the list in the file at path (public_suffix_list.dat format).
 * Returns a context the caller frees with psl_free(), or NULL after printing
 * "authsink: ..." on stderr.
 */
psl_ctx_t *psl_load_path(const char *path);

#endif
