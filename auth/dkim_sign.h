/*
 * dkim_sign - DKIM signing (RFC 6376 section 5, RFC 8463) and key
 * generation, in memory: the caller reads and writes the files.
 */
#ifndef AU_DKIM_SIGN_H
#define AU_DKIM_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "buf.h"
#include "dkim_canon.h"
#include "dkim_tag.h"

#define AU_DKIM_SIGN_WIDTH 78         /* fold the signature field at this column */
#define AU_DKIM_SIGN_RSA_BITS 2048    /* keygen default */
#define AU_DKIM_SIGN_RSA_MIN_BITS 512 /* keygen refuses less (tests need short keys) */
#define AU_DKIM_SIGN_L_NONE (-1)      /* no l= */
#define AU_DKIM_SIGN_L_BODY (-2)      /* l= the whole canonicalized body */
#define AU_DKIM_TXT_CHUNK 255         /* bytes per TXT character-string */

/* The headers signed when none are named, each as often as it occurs. */
#define AU_DKIM_SIGN_DEFAULT_HEADERS                                                               \
    "from:sender:reply-to:subject:date:message-id:to:cc:mime-version:content-type:"                \
    "content-transfer-encoding:in-reply-to:references:list-id:list-unsubscribe:"                   \
    "list-unsubscribe-post"

struct au_dkim_sign_opts {
    const char *domain;   /* d= (required) */
    const char *selector; /* s= (required) */
    enum au_dkim_alg alg; /* AU_DKIM_ALG_NONE: from the key (rsa-sha256 / ed25519-sha256) */
    enum au_dkim_canon hc, bc;
    const char *headers;  /* h= exactly (colon list), or NULL: the default set present */
    const char *identity; /* i=, or NULL */
    int64_t length;       /* l=: a byte count, AU_DKIM_SIGN_L_NONE or AU_DKIM_SIGN_L_BODY */
    bool timestamp;       /* t= now */
    int64_t expire;       /* x= (epoch seconds), 0 for none */
    int64_t now;
};

/* Fills o with defaults: relaxed/relaxed, algorithm from the key, no l=, t= on. */
void au_dkim_sign_opts_init(struct au_dkim_sign_opts *o);

/*
 * Signs the message (len bytes, CRLF line ends) with key and appends the
 * whole field "DKIM-Signature: ...\r\n", folded, to out.  Returns 0, or -1
 * with a reason in err (no From field, bad option, key/algorithm mismatch).
 */
int au_dkim_sign(const char *msg, size_t len, EVP_PKEY *key, const struct au_dkim_sign_opts *o,
                 struct au_buf *out, char *err, size_t errlen);

/* A new key: RSA of bits (AU_DKIM_SIGN_RSA_MIN_BITS..AU_DKIM_RSA_MAX_BITS) or
 * Ed25519. Returns NULL when OpenSSL fails or bits are out of range. */
EVP_PKEY *au_dkim_sign_keygen(enum au_dkim_key_type type, unsigned bits);
/* Appends the private key as PKCS#8 PEM. Returns 0 or -1. */
int au_dkim_sign_pem(EVP_PKEY *key, struct au_buf *out);
/* Appends the key record "v=DKIM1; k=rsa; p=..." for key. Returns 0 or -1. */
int au_dkim_sign_record(EVP_PKEY *key, struct au_buf *out);
/* Appends the zone line "S._domainkey.D. 3600 IN TXT ( "..." "..." )\n",
 * the record split into AU_DKIM_TXT_CHUNK-byte strings. Returns 0 or -1. */
int au_dkim_sign_zone_line(const char *selector, const char *domain, struct au_slice record,
                           struct au_buf *out);
/* Reads a private key: PEM (PKCS#1 or PKCS#8), or a bare base64 Ed25519
 * seed (dkimpy's format). Returns NULL with a reason in err. */
EVP_PKEY *au_dkim_sign_load_key(const char *text, size_t len, char *err, size_t errlen);

#endif
