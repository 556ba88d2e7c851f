/*
 * dkim_canon - DKIM canonicalization (RFC 6376 section 3.4): header fields
 * one at a time, the body as a stream.
 */
#ifndef AU_DKIM_CANON_H
#define AU_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define AU_DKIM_CANON_STAGE 4096 /* body bytes gathered before each output call */
#define AU_DKIM_NO_LIMIT UINT64_MAX

enum au_dkim_canon {
    AU_DKIM_CANON_SIMPLE = 0,
    AU_DKIM_CANON_RELAXED = 1,
};

/*
 * Appends the canonical form of one raw header field (name, colon, value,
 * folding, final line end) to out.  With is_sig, the field is the signature
 * being hashed: its final line end is not included (RFC 6376 3.7).
 * Returns 0, or -1 when out's max is crossed.
 */
int au_dkim_canon_header(enum au_dkim_canon c, struct au_slice raw, bool is_sig,
                         struct au_buf *out);

/* A header field as the splitter gives it: name trimmed, raw whole. */
struct au_dkim_field {
    struct au_slice name;
    struct au_slice raw;
};

/*
 * Appends the canonical forms of the fields h= selects (RFC 6376 5.4.2):
 * for each name, the last instance not yet used, from the bottom up; names
 * with no instance left contribute nothing.  Field index skip (the
 * signature itself; SIZE_MAX for none) is never selected.
 * Returns 0, or -1 when out's max is crossed.
 */
int au_dkim_canon_signed_headers(enum au_dkim_canon c, const struct au_dkim_field *f, size_t nf,
                                 const struct au_slice *hnames, size_t nh, size_t skip,
                                 struct au_buf *out);

typedef void (*au_dkim_canon_out_fn)(void *arg, const void *p, size_t n);

/* A body canonicalizer: bytes in (any chunking), canonical bytes out, cut
 * at limit bytes (l=), with the full canonical length counted. */
struct au_dkim_body_canon {
    enum au_dkim_canon canon;
    uint64_t limit;        /* AU_DKIM_NO_LIMIT when no l= */
    uint64_t emitted;      /* bytes handed to out (never more than limit) */
    uint64_t total;        /* canonical body length, uncut */
    uint64_t crlf_pending; /* line ends held back: they may be trailing */
    bool cr_pending;       /* a CR at the end of the last chunk */
    bool wsp_pending;      /* relaxed: WSP seen, not yet written */
    bool any;              /* some content byte was written */
    au_dkim_canon_out_fn out;
    void *arg;
    size_t staged;
    char stage[AU_DKIM_CANON_STAGE];
};

/* Prepares c; out(arg, p, n) receives the canonical bytes. */
void au_dkim_body_canon_init(struct au_dkim_body_canon *c, enum au_dkim_canon canon, uint64_t limit,
                             au_dkim_canon_out_fn out, void *arg);
/* Feeds n body bytes. */
void au_dkim_body_canon_feed(struct au_dkim_body_canon *c, const char *p, size_t n);
/* Ends the body: trailing empty lines dropped, the final CRLF rules applied,
 * everything flushed to out. */
void au_dkim_body_canon_finish(struct au_dkim_body_canon *c);

/* Parses "simple", "relaxed" (case-insensitive). Returns the value or -1. */
int au_dkim_canon_parse(struct au_slice s);
/* "simple" or "relaxed". */
const char *au_dkim_canon_name(enum au_dkim_canon c);

#endif
