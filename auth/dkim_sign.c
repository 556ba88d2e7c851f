/*
 * dkim_sign - DKIM signing and key generation, in memory.
 *
 * Public: au_dkim_sign_opts_init, au_dkim_sign, au_dkim_sign_keygen,
 * au_dkim_sign_pem, au_dkim_sign_record, au_dkim_sign_zone_line,
 * au_dkim_sign_load_key.
 *
 * RFC 6376 section 5 (signer actions) with the canonicalization and field
 * selection of dkim_canon.c, so that what we sign is hashed by the very
 * code that verifies; RFC 8463 for ed25519-sha256 (Ed25519 over the
 * SHA-256 of the header data).  The field is folded at AU_DKIM_SIGN_WIDTH
 * columns; b= is folded last, after the hash, which is allowed because its
 * value and the whitespace in it are removed before hashing.
 *
 * Limits: the message goes through auth/msg.c (AU_MSG_HEADER_MAX); h= at
 * most AU_DKIM_HNAMES_MAX names; TAG_PIECE_MAX bytes per short tag,
 * RECORD_DER_MAX bytes of public key for the record.
 */
#include "dkim_sign.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dkim.h"
#include "msg.h"
#include "xalloc.h"

/* Bytes of one formatted "tag=value;" piece.  XXX a longer piece (only a
 * selector or i= of hundreds of bytes can make one) is cut here silently;
 * d= is bounded by au_dkim_tag_domain_ok; h= and b= are folded, not pieces. */
#define TAG_PIECE_MAX 600
/* Bytes of a public key's DER for the record: an SPKI of AU_DKIM_RSA_MAX_BITS
 * is about 2100 bytes, so this leaves room to spare. */
#define RECORD_DER_MAX 8192

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void au_dkim_sign_opts_init(struct au_dkim_sign_opts *o)
{
    memset(o, 0, sizeof *o);
    o->alg = AU_DKIM_ALG_NONE;
    o->hc = o->bc = AU_DKIM_CANON_RELAXED;
    o->length = AU_DKIM_SIGN_L_NONE;
    o->timestamp = true;
}

/* The base64 of n bytes as a new NUL-terminated string (free with free()). */
static char *b64_new(const void *p, size_t n)
{
    char *out = au_xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    return out;
}

/* What the splitter hands us while signing. */
struct collect {
    struct au_buf hdr;
    struct {
        size_t off, len, noff, nlen;
    } * f;
    size_t nf, cap;
    struct au_dkim_body_canon bc;
    EVP_MD_CTX *md;
};

static void on_field(void *arg, struct au_slice name, struct au_slice raw)
{
    struct collect *c = arg;
    size_t off = c->hdr.len;
    if (au_buf_append(&c->hdr, raw.ptr, raw.len) < 0)
        return;
    if (c->nf == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 32;
        c->f = au_xrealloc(c->f, c->cap * sizeof *c->f);
    }
    c->f[c->nf].off = off;
    c->f[c->nf].len = raw.len;
    c->f[c->nf].noff = off + (size_t)(name.ptr - raw.ptr);
    c->f[c->nf].nlen = name.len;
    c->nf++;
}

static void on_body(void *arg, const char *p, size_t n)
{
    struct collect *c = arg;
    au_dkim_body_canon_feed(&c->bc, p, n);
}

static void digest_out(void *arg, const void *p, size_t n)
{
    EVP_DigestUpdate((EVP_MD_CTX *)arg, p, n);
}

/* Appends text to the field, folding before it when the line would pass
 * the width.  *col is the current column. */
static void put_piece(struct au_buf *out, size_t *col, const char *text, size_t n, bool space)
{
    if (*col + (space ? 1 : 0) + n > AU_DKIM_SIGN_WIDTH && *col > 1) {
        au_buf_puts(out, "\r\n\t");
        *col = 1;
    } else if (space) {
        au_buf_putc(out, ' ');
        (*col)++;
    }
    au_buf_append(out, text, n);
    *col += n;
}

/* Appends a long value in pieces that fold anywhere (base64) or after
 * colons (h=), starting on the current line. */
static void put_folded(struct au_buf *out, size_t *col, const char *val, bool at_colons)
{
    size_t n = strlen(val), i = 0;
    while (i < n) {
        size_t room = *col < AU_DKIM_SIGN_WIDTH ? AU_DKIM_SIGN_WIDTH - *col : 0;
        size_t k = n - i;
        if (k > room) {
            k = room;
            if (at_colons) {
                while (k > 0 && val[i + k - 1] != ':')
                    k--;
            }
            if (k == 0) {
                if (*col > 1) {
                    au_buf_puts(out, "\r\n\t");
                    *col = 1;
                    continue;
                }
                k = n - i; /* a single name longer than a line */
            }
        }
        au_buf_append(out, val + i, k);
        *col += k;
        i += k;
        if (i < n) {
            au_buf_puts(out, "\r\n\t");
            *col = 1;
        }
    }
}

/* Appends "tag=" and the long value, then ";" unless it is the last tag. */
static void put_long(struct au_buf *out, size_t *col, const char *tag, const char *val,
                     bool at_colons, bool last)
{
    char head[16];
    snprintf(head, sizeof head, "%s=", tag);
    put_piece(out, col, head, strlen(head), true);
    put_folded(out, col, val, at_colons);
    if (!last) {
        au_buf_putc(out, ';');
        (*col)++;
    }
}

static void put_tag(struct au_buf *out, size_t *col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void put_tag(struct au_buf *out, size_t *col, const char *fmt, ...)
{
    char piece[TAG_PIECE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(piece, sizeof piece, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof piece)
        n = (int)strlen(piece);
    put_piece(out, col, piece, (size_t)n,
              *col > 0 && out->len > 0 && out->data[out->len - 1] != ' ');
}

/* True when field i is named name (nlen bytes), case ignored. */
static bool field_is(const struct collect *c, size_t i, const char *name, size_t nlen)
{
    return c->f[i].nlen == nlen && strncasecmp(c->hdr.data + c->f[i].noff, name, nlen) == 0;
}

static bool field_present(const struct collect *c, const char *name, size_t nlen)
{
    for (size_t i = 0; i < c->nf; i++)
        if (field_is(c, i, name, nlen))
            return true;
    return false;
}

/* Signs the header hash dg: Ed25519 over it (RFC 8463), or RSA PKCS#1 v1.5
 * naming md, the hash that made it.  Returns 0, or -1. */
static int sign_digest(EVP_PKEY *key, enum au_dkim_alg alg, const EVP_MD *md, const uint8_t *dg,
                       size_t dlen, uint8_t *sig, size_t *slen)
{
    int ok;
    if (alg == AU_DKIM_ED25519_SHA256) {
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        ok = m && EVP_DigestSignInit_ex(m, NULL, NULL, NULL, NULL, key, NULL) == 1 &&
             EVP_DigestSign(m, sig, slen, dg, dlen) == 1;
        EVP_MD_CTX_free(m);
    } else {
        EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        ok = pc && EVP_PKEY_sign_init(pc) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(pc, md) == 1 &&
             EVP_PKEY_sign(pc, sig, slen, dg, dlen) == 1;
        EVP_PKEY_CTX_free(pc);
    }
    ERR_clear_error();
    return ok ? 0 : -1;
}

int au_dkim_sign(const char *msg, size_t len, EVP_PKEY *key, const struct au_dkim_sign_opts *o,
                 struct au_buf *out, char *err, size_t errlen)
{
    int id = EVP_PKEY_get_base_id(key);
    enum au_dkim_alg alg = o->alg;
    if (alg == AU_DKIM_ALG_NONE)
        alg = id == EVP_PKEY_ED25519 ? AU_DKIM_ED25519_SHA256 : AU_DKIM_RSA_SHA256;
    if ((alg == AU_DKIM_ED25519_SHA256) != (id == EVP_PKEY_ED25519) ||
        (id != EVP_PKEY_ED25519 && id != EVP_PKEY_RSA)) {
        seterr(err, errlen, "the key does not fit %s", au_dkim_tag_alg_name(alg));
        return -1;
    }
    if (o->domain == NULL || !au_dkim_tag_domain_ok(au_slice_cstr(o->domain))) {
        seterr(err, errlen, "bad signing domain");
        return -1;
    }
    if (o->selector == NULL || o->selector[0] == '\0' || strpbrk(o->selector, " ;=\t\r\n")) {
        seterr(err, errlen, "bad selector");
        return -1;
    }
    if (o->identity && (strpbrk(o->identity, " ;\t\r\n") || strchr(o->identity, '@') == NULL)) {
        seterr(err, errlen, "bad identity (i=)");
        return -1;
    }
    const EVP_MD *md = alg == AU_DKIM_RSA_SHA1 ? EVP_sha1() : EVP_sha256();

    struct collect c;
    memset(&c, 0, sizeof c);
    au_buf_init(&c.hdr, AU_BUF_NOLIMIT);
    c.md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c.md, md, NULL);
    uint64_t limit = o->length >= 0 ? (uint64_t)o->length : AU_DKIM_NO_LIMIT;
    au_dkim_body_canon_init(&c.bc, o->bc, limit, digest_out, c.md);
    struct au_msg_sink sink = {.field = on_field, .body = on_body, .arg = &c};
    struct au_msg *m = au_msg_new(&sink);
    int rc = -1;
    struct au_buf hlist, field, hashed;
    au_buf_init(&hlist, AU_BUF_NOLIMIT);
    au_buf_init(&field, AU_BUF_NOLIMIT);
    au_buf_init(&hashed, AU_BUF_NOLIMIT);
    struct au_dkim_field *views = NULL;

    if (au_msg_feed(m, msg, len) < 0 || au_msg_finish(m) < 0) {
        seterr(err, errlen, "the message header is too large");
        goto out;
    }
    au_dkim_body_canon_finish(&c.bc);
    uint8_t bh[EVP_MAX_MD_SIZE];
    unsigned bhlen = 0;
    EVP_DigestFinal_ex(c.md, bh, &bhlen);
    if (o->length >= 0 && (uint64_t)o->length > c.bc.total) {
        seterr(err, errlen, "l=%" PRId64 " is longer than the body (%" PRIu64 " bytes)", o->length,
               c.bc.total);
        goto out;
    }
    if (!field_present(&c, "from", 4)) {
        seterr(err, errlen, "the message has no From field");
        goto out;
    }

    /* h=: as given, or the default names present, each as often as it occurs. */
    if (o->headers) {
        au_buf_puts(&hlist, o->headers);
    } else {
        const char *p = AU_DKIM_SIGN_DEFAULT_HEADERS;
        while (*p) {
            size_t n = strcspn(p, ":");
            for (size_t i = 0; i < c.nf; i++)
                if (field_is(&c, i, p, n)) {
                    if (hlist.len)
                        au_buf_putc(&hlist, ':');
                    au_buf_append(&hlist, p, n);
                }
            p += n + (p[n] == ':');
        }
    }
    struct au_slice hnames[AU_DKIM_HNAMES_MAX];
    size_t nh = 0;
    bool from = false;
    {
        const char *p = au_buf_slice(&hlist).ptr;
        while (*p) {
            size_t n = strcspn(p, ":");
            if (n == 0 || nh == AU_DKIM_HNAMES_MAX) {
                seterr(err, errlen, "bad header list");
                goto out;
            }
            hnames[nh++] = au_slice_make(p, n);
            if (n == 4 && strncasecmp(p, "from", 4) == 0)
                from = true;
            p += n + (p[n] == ':');
        }
    }
    if (!from) {
        seterr(err, errlen, "the header list must include From");
        goto out;
    }

    /* The field up to "b=", folded. */
    char bh64[EVP_MAX_MD_SIZE * 2];
    EVP_EncodeBlock((unsigned char *)bh64, bh, (int)bhlen);
    size_t col = 0;
    au_buf_puts(&field, "DKIM-Signature:");
    col = field.len;
    put_tag(&field, &col, "v=1;");
    put_tag(&field, &col, "a=%s;", au_dkim_tag_alg_name(alg));
    put_tag(&field, &col, "c=%s/%s;", au_dkim_canon_name(o->hc), au_dkim_canon_name(o->bc));
    put_tag(&field, &col, "d=%s;", o->domain);
    put_tag(&field, &col, "s=%s;", o->selector);
    if (o->identity)
        put_tag(&field, &col, "i=%s;", o->identity);
    if (o->timestamp)
        put_tag(&field, &col, "t=%" PRId64 ";", o->now);
    if (o->expire > 0)
        put_tag(&field, &col, "x=%" PRId64 ";", o->expire);
    if (o->length == AU_DKIM_SIGN_L_BODY)
        put_tag(&field, &col, "l=%" PRIu64 ";", c.bc.total);
    else if (o->length >= 0)
        put_tag(&field, &col, "l=%" PRId64 ";", o->length);
    put_long(&field, &col, "h", hlist.data, true, false);
    put_tag(&field, &col, "bh=%s;", bh64); /* kept whole: some verifiers dislike FWS in bh= */
    put_piece(&field, &col, "b=", 2, true);

    /* The header hash, by the verifier's own code. */
    views = au_xcalloc(c.nf ? c.nf : 1, sizeof *views);
    for (size_t i = 0; i < c.nf; i++) {
        views[i].name = au_slice_make(c.hdr.data + c.f[i].noff, c.f[i].nlen);
        views[i].raw = au_slice_make(c.hdr.data + c.f[i].off, c.f[i].len);
    }
    au_dkim_canon_signed_headers(o->hc, views, c.nf, hnames, nh, SIZE_MAX, &hashed);
    au_dkim_canon_header(o->hc, au_buf_slice(&field), true, &hashed);
    uint8_t dg[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    EVP_Digest(hashed.data, hashed.len, dg, &dlen, md, NULL);
    uint8_t sig[AU_DKIM_SIG_BYTES_MAX];
    size_t slen = sizeof sig;
    if ((size_t)EVP_PKEY_get_size(key) > sizeof sig ||
        sign_digest(key, alg, md, dg, dlen, sig, &slen) < 0) {
        seterr(err, errlen, "signing failed");
        goto out;
    }
    char *b64 = b64_new(sig, slen);
    /* b= continues on the current line, then folds every line. */
    put_folded(&field, &col, b64, false);
    free(b64);
    au_buf_puts(&field, "\r\n");
    if (au_buf_append(out, field.data, field.len) < 0) {
        seterr(err, errlen, "output too large");
        goto out;
    }
    rc = 0;
out:
    free(views);
    au_msg_free(m);
    au_buf_free(&hlist);
    au_buf_free(&field);
    au_buf_free(&hashed);
    au_buf_free(&c.hdr);
    free(c.f);
    EVP_MD_CTX_free(c.md);
    return rc;
}

EVP_PKEY *au_dkim_sign_keygen(enum au_dkim_key_type type, unsigned bits)
{
    EVP_PKEY *k;
    if (type == AU_DKIM_KEY_ED25519)
        k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    else if (bits < AU_DKIM_SIGN_RSA_MIN_BITS || bits > AU_DKIM_RSA_MAX_BITS)
        return NULL;
    else
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    ERR_clear_error();
    return k;
}

static int bio_to_buf(BIO *bio, struct au_buf *out)
{
    char *p;
    long n = BIO_get_mem_data(bio, &p);
    int rc = n >= 0 ? au_buf_append(out, p, (size_t)n) : -1;
    BIO_free(bio);
    return rc;
}

int au_dkim_sign_pem(EVP_PKEY *key, struct au_buf *out)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
        BIO_free(bio);
        ERR_clear_error();
        return -1;
    }
    return bio_to_buf(bio, out);
}

int au_dkim_sign_record(EVP_PKEY *key, struct au_buf *out)
{
    unsigned char raw[RECORD_DER_MAX];
    size_t n = 0;
    const char *k;
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
        n = sizeof raw;
        if (!EVP_PKEY_get_raw_public_key(key, raw, &n))
            return -1;
        k = "ed25519";
    } else {
        int len = i2d_PUBKEY(key, NULL);
        if (len <= 0 || (size_t)len > sizeof raw)
            return -1;
        unsigned char *pp = raw;
        i2d_PUBKEY(key, &pp);
        n = (size_t)len;
        k = "rsa";
    }
    char *b64 = b64_new(raw, n);
    int rc = au_buf_printf(out, "v=DKIM1; k=%s; p=%s", k, b64);
    free(b64);
    return rc;
}

int au_dkim_sign_zone_line(const char *selector, const char *domain, struct au_slice record,
                           struct au_buf *out)
{
    int rc = au_buf_printf(out, "%s._domainkey.%s. 3600 IN TXT (", selector, domain);
    for (size_t i = 0; i < record.len; i += AU_DKIM_TXT_CHUNK) {
        size_t k = record.len - i < AU_DKIM_TXT_CHUNK ? record.len - i : AU_DKIM_TXT_CHUNK;
        rc |= au_buf_puts(out, " \"");
        for (size_t j = 0; j < k; j++) {
            char ch = record.ptr[i + j];
            if (ch == '"' || ch == '\\')
                rc |= au_buf_putc(out, '\\');
            rc |= au_buf_putc(out, ch);
        }
        rc |= au_buf_putc(out, '"');
    }
    rc |= au_buf_puts(out, " )\n");
    return rc ? -1 : 0;
}

EVP_PKEY *au_dkim_sign_load_key(const char *text, size_t len, char *err, size_t errlen)
{
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    ERR_clear_error();
    if (k)
        return k;
    /* A bare base64 Ed25519 seed of 32 bytes. */
    uint8_t seed[64];
    long n = au_dkim_tag_base64(au_slice_make(text, len), seed, sizeof seed);
    if (n == 32) {
        k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
        ERR_clear_error();
        if (k)
            return k;
    }
    seterr(err, errlen, "not a PEM private key nor a base64 Ed25519 seed");
    return NULL;
}
