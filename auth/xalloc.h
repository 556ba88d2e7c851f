/*
 * xalloc - allocation that never returns NULL.
 *
 * Out of memory is not a condition a peer can cause in a way we could answer
 * sensibly (every peer-controlled size is bounded by a named limit first), so
 * the house rule is: print a clear message and exit.  Every allocation in
 * authsink goes through these, which keeps NULL checks out of the logic.
 */
#ifndef AU_XALLOC_H
#define AU_XALLOC_H

#include <stddef.h>

/* Returns n bytes (n may be 0); exits with a message when memory runs out. */
void *au_xmalloc(size_t n);
/* Returns n zeroed elements of size sz; exits on overflow or when memory runs out. */
void *au_xcalloc(size_t n, size_t sz);
/* Resizes p (may be NULL) to n bytes; exits when memory runs out. */
void *au_xrealloc(void *p, size_t n);
/* Returns a NUL-terminated copy of s; exits when memory runs out. */
char *au_xstrdup(const char *s);
/* Returns a NUL-terminated copy of the n bytes at s; exits when memory runs out. */
char *au_xstrndup(const char *s, size_t n);

#endif
