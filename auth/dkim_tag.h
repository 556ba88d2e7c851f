/*
 * dkim_tag - DKIM tag=value lists (RFC 6376 section 3.2): the generic
 * parser, the DKIM-Signature tags (3.5) and the key record tags (3.6.1).
 * No crypto here: values are checked for syntax and relations only.
 */
#ifndef AU_DKIM_TAG_H
#define AU_DKIM_TAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dkim_canon.h"

#define AU_DKIM_TAGS_MAX 64        /* tags in one list */
#define AU_DKIM_SIG_BYTES_MAX 2048 /* b= decoded: a 16384-bit RSA signature */
#define AU_DKIM_HASH_MAX 64        /* bh= decoded, any digest we know */
#define AU_DKIM_IDENTITY_MAX 512   /* i= decoded */
#define AU_DKIM_HNAMES_MAX 256     /* names in h= */
#define AU_DKIM_ERR_MAX 160        /* reason strings */

struct au_dkim_tag {
    struct au_slice name;
    struct au_slice value; /* without surrounding whitespace */
    size_t voff, vend;     /* the value's span in the text: after '=', up to ';' or the end */
};

/*
 * Splits text into tags.  Returns 0 with *n tags, or -1 with a reason in
 * err (syntax error, duplicate tag, more than max tags).
 */
int au_dkim_tag_parse(struct au_slice text, struct au_dkim_tag *tags, size_t max, size_t *n,
                      char *err, size_t errlen);

/* Decodes base64 with embedded whitespace (FWS). Returns the decoded length,
 * or -1 on bad characters, bad padding, or more than max bytes. */
long au_dkim_tag_base64(struct au_slice s, uint8_t *out, size_t max);

enum au_dkim_alg {
    AU_DKIM_ALG_NONE = 0,
    AU_DKIM_RSA_SHA256,
    AU_DKIM_RSA_SHA1,
    AU_DKIM_ED25519_SHA256,
};

enum au_dkim_hash { AU_DKIM_SHA256 = 0, AU_DKIM_SHA1 = 1 };

/* The algorithm named by a= (case-insensitive), or AU_DKIM_ALG_NONE. */
enum au_dkim_alg au_dkim_tag_alg(struct au_slice s);
const char *au_dkim_tag_alg_name(enum au_dkim_alg a);
enum au_dkim_hash au_dkim_tag_alg_hash(enum au_dkim_alg a);

/* A parsed DKIM-Signature.  Slices point into the parsed text. */
struct au_dkim_sig {
    struct au_slice v, a, d, s, h, i, b, bh, c, q, z; /* as found (ptr NULL: absent) */
    enum au_dkim_alg alg;
    enum au_dkim_canon hc, bc;
    uint64_t l; /* AU_DKIM_NO_LIMIT when absent */
    bool has_t, has_x;
    int64_t t, x;
    size_t b_voff, b_vend; /* b='s value span in the text (for hashing) */
    size_t bh_len, b_len;
    uint8_t bh_raw[AU_DKIM_HASH_MAX];
    uint8_t b_raw[AU_DKIM_SIG_BYTES_MAX];
    char identity[AU_DKIM_IDENTITY_MAX]; /* i= decoded, or "@" d */
    size_t nh;
    struct au_slice hnames[AU_DKIM_HNAMES_MAX]; /* h= entries, trimmed */
};

/* Options for parsing a signature. */
struct au_dkim_sig_opts {
    bool draft_versions; /* accept a missing v= or v=0.5 (legacy corpora only) */
    bool arc;            /* an ARC-Message-Signature: no v=, i= is the instance */
};

/*
 * Parses the value of a DKIM-Signature field (text after the colon) into sig
 * and checks every tag of RFC 6376 3.5: required tags, syntax, i= within d=,
 * From in h=, x= after t=.  Returns 0, or -1 with a reason in err; on error
 * the slices found so far are still set (for reporting d=, s=, a=).
 */
int au_dkim_tag_sig_parse(struct au_slice text, const struct au_dkim_sig_opts *opts,
                          struct au_dkim_sig *sig, char *err, size_t errlen);

enum au_dkim_key_type { AU_DKIM_KEY_RSA = 0, AU_DKIM_KEY_ED25519 = 1 };

/* A parsed key record.  p points into the parsed text. */
struct au_dkim_key_rec {
    enum au_dkim_key_type k;
    bool revoked;          /* p= is empty */
    bool h_sha1, h_sha256; /* hashes allowed (both when h= is absent) */
    bool email;            /* s= allows email ("*" or "email", or absent) */
    bool testing, strict;  /* t=y, t=s */
    struct au_slice p;
};

/*
 * Parses a key record (the TXT strings joined) per RFC 6376 3.6.1.
 * Returns 0, or -1 with a reason in err (syntax, v= not first or not
 * DKIM1, unknown k=, no p=).  A revoked key parses (revoked = true).
 */
int au_dkim_tag_key_parse(struct au_slice text, struct au_dkim_key_rec *key, char *err,
                          size_t errlen);

/* True when the domain of identity (after its last '@') is d exactly
 * (key flag t=s, RFC 6376 3.6.1). */
bool au_dkim_tag_identity_exact(const char *identity, struct au_slice d);

/* True when s is a domain name as d= needs it (RFC 6376 3.5, RFC 5321
 * sub-domains, at least two labels). */
bool au_dkim_tag_domain_ok(struct au_slice s);

#endif
