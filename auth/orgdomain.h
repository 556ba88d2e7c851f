/*
 * orgdomain - the Organizational Domain of RFC 7489 section 3.2, through
 * libpsl and the public suffix list the caller loaded (smtpd/psl_load.c loads
 * Debian's).  auth/ reads no files, so the list is always an input.
 */
#ifndef AU_ORGDOMAIN_H
#define AU_ORGDOMAIN_H

#include <libpsl.h>
#include <stdbool.h>

/*
 * Normalizes a DNS domain for comparison: drops one trailing dot, lowercases
 * (ASCII; UTF-8 labels through libpsl), and checks the shape (1..63-byte
 * labels, at most 253 bytes, no empty label, no space or control byte).
 * Returns a new string (free with free()) or NULL when the name is unusable.
 */
char *au_orgdomain_normalize(const char *domain);

/*
 * The registrable domain (public suffix plus one label) of domain, normalized.
 * Returns a new string (free with free()), or NULL when the domain is itself
 * a public suffix, has no label before one, or is not a usable name.
 */
char *au_orgdomain_registrable(const psl_ctx_t *psl, const char *domain);

/*
 * The Organizational Domain used by DMARC: the registrable domain, or the
 * normalized domain itself when it is a public suffix (see orgdomain.c).
 * Returns a new string (free with free()), or NULL only for an unusable name.
 */
char *au_orgdomain_get(const psl_ctx_t *psl, const char *domain);

/*
 * True when a and b have the same Organizational Domain (DMARC relaxed
 * alignment, RFC 7489 section 3.1).  False when either is unusable.
 */
bool au_orgdomain_same(const psl_ctx_t *psl, const char *a, const char *b);

#endif
