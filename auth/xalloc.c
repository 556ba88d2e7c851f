/*
 * xalloc - allocation that never returns NULL (see xalloc.h).
 */
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "authsink: out of memory (asked for %zu bytes)\n", n);
    exit(1);
}

void *au_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

void *au_xcalloc(size_t n, size_t sz)
{
    if (sz != 0 && n > SIZE_MAX / sz)
        oom(SIZE_MAX);
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (p == NULL)
        oom(n * sz);
    return p;
}

void *au_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom(n);
    return q;
}

char *au_xstrndup(const char *s, size_t n)
{
    char *p = au_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *au_xstrdup(const char *s)
{
    return au_xstrndup(s, strlen(s));
}
