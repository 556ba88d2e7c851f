/*
 * dkim - streaming DKIM verification and Gmail's A-R clause.
 *
 * Public: au_dkim_config_default, au_dkim_verify_{new,reset,free,field,
 * end_headers,body,end_body,sink,step,done,count,ignored,result},
 * au_dkim_ar_clause.
 *
 * RFC 6376 section 6 (verifier actions), 3.5 and 3.6 through dkim_tag.c,
 * 3.4 through dkim_canon.c, 3.7 (hashes); RFC 8463 (ed25519-sha256: Ed25519
 * over the SHA-256 of the header data); RFC 8301 (rsa-sha1 and short keys,
 * as profile settings with Gmail's choices as defaults, DECISIONS.md).
 *
 * How a message flows: header fields are copied into one buffer (h= may
 * name any of them, so all are kept until end of headers).  At end of
 * headers each signature (up to max_signatures) is parsed, checked, and
 * its header hash computed right away; then the headers are no longer
 * needed.  Signatures sharing canonicalization, hash and l= share one body
 * hasher, and signatures sharing a key name share one lookup and one parsed
 * key.  Results are settled when both the body and every key are in.
 *
 * Result words (DECISIONS.md "DKIM"): parse errors, missing or revoked keys,
 * expired signatures: permerror; DNS trouble: temperror; rsa-sha1 or a key
 * under min_rsa_bits: policy; body hash mismatch: neutral; bad signature:
 * fail.
 *
 * Storage (buffers, digest contexts, signature slots) is kept across
 * au_dkim_verify_reset, and so are parsed keys: a key answer is parsed once
 * and kept with ready verification contexts while the driver's cache hands
 * back the same answer (answers are immutable and reference-counted, so the
 * answer's address names it; KEY_CACHE_EXTRA entries beyond one message's
 * worth).  A verifier reused per session thus allocates per message only
 * what OpenSSL does inside an Ed25519 verification.
 *
 * Limits: max_signatures (AU_DKIM_MAX_SIGNATURES by default, at most
 * AU_DKIM_SIGNATURES_HARD_MAX), AU_DKIM_HEADERS_MAX bytes of header fields,
 * AU_DKIM_RSA_MAX_BITS, and the tag limits of dkim_tag.h.
 */
#include "dkim.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dkim_canon.h"
#include "dkim_tag.h"
#include "msg.h"
#include "xalloc.h"

#define KEY_DER_MAX 4096  /* decoded p=: a 16384-bit SPKI is about 2100 bytes */
#define KEY_CACHE_EXTRA 8 /* parsed keys kept beyond one message's worth */
/* Text of a body hash in base64: AU_DKIM_HASH_MAX bytes (bh=) or the
 * largest digest OpenSSL makes, whichever is longer, and the NUL. */
#define HASH_B64_MAX                                                                               \
    (4 * (((AU_DKIM_HASH_MAX > EVP_MAX_MD_SIZE ? AU_DKIM_HASH_MAX : EVP_MAX_MD_SIZE) + 2) / 3) + 1)
/* How a policy result for a short key begins; the A-R comment tells it
 * from rsa-sha1 by this prefix. */
#define REASON_SHORT_KEY "key too short"

struct field_ref {
    size_t off, len, name_off, name_len;
};

/* A key answer parsed once: kept across messages while the same answer
 * (an immutable, reference-counted object, so its address is its identity)
 * comes back from the driver's cache, with verification contexts ready. */
struct key_entry {
    struct au_dns_answer *ans; /* a reference; NULL when the entry is free */
    char name[AU_DNS_NAME_MAX + 1];
    enum au_result err; /* AU_RESULT_NONE when the key is usable */
    char reason[AU_DKIM_REASON_MAX];
    struct au_dkim_key_rec rec; /* rec.p is not kept */
    EVP_PKEY *pkey;
    unsigned bits;
    EVP_PKEY_CTX *rsa[2]; /* verify contexts by enum au_dkim_hash, made on first use */
    EVP_MD_CTX *ed;       /* an initialized Ed25519 template, copied per use */
    uint64_t used;        /* serial of the last message that used it */
};

struct key_slot {
    char name[AU_DNS_NAME_MAX + 1];
    bool asked, have;
    enum au_result err; /* AU_RESULT_NONE when the key is usable */
    char reason[AU_DKIM_REASON_MAX];
    struct au_dkim_key_rec rec;
    unsigned bits;
    struct key_entry *entry; /* the parsed key, when err is NONE */
};

struct body_slot {
    enum au_dkim_canon canon;
    enum au_dkim_hash hash;
    uint64_t limit;
    EVP_MD_CTX *md;
    struct au_dkim_body_canon bc;
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned dlen;
};

struct sig_slot {
    size_t field;
    struct au_dkim_sig sig;
    bool parsed;
    enum au_result result; /* AU_RESULT_NONE while undecided */
    char reason[AU_DKIM_REASON_MAX];
    int key, body;
    uint8_t hdigest[EVP_MAX_MD_SIZE];
    unsigned hdlen;
    struct au_buf text; /* the result's strings */
    struct au_dkim_sig_result res;
};

struct au_dkim_verify {
    struct au_dkim_config cfg;
    int64_t now;
    struct au_buf hdr;
    struct field_ref *fields;
    size_t nfields, capfields;
    struct au_dkim_field *views;
    size_t capviews;
    bool hdr_overflow;
    struct sig_slot *sigs; /* cfg.max_signatures slots */
    size_t nsigs, ignored;
    struct key_slot *keys;
    size_t nkeys;
    struct key_entry *cache; /* max_signatures + KEY_CACHE_EXTRA entries */
    size_t ncache;
    uint64_t serial; /* messages begun */
    EVP_MD_CTX *edwork;
    EVP_MD_CTX *hctx; /* header hashes, reused */
    struct body_slot *bodies;
    size_t nbodies;
    size_t pending[AU_DNS_BATCH_MAX];
    size_t npending;
    bool headers_done, body_done, final;
    struct au_buf scratch, scratch2;
    EVP_MD *sha256, *sha1;
};

static void seterr(char *dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seterr(char *dst, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, AU_DKIM_REASON_MAX, fmt, ap);
    va_end(ap);
}

void au_dkim_config_default(struct au_dkim_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->min_rsa_bits = AU_DKIM_MIN_RSA_BITS;
    cfg->allow_rsa_sha1 = false;
    cfg->max_signatures = AU_DKIM_MAX_SIGNATURES;
    cfg->draft_versions = false;
    cfg->field_name = "DKIM-Signature";
}

struct au_dkim_verify *au_dkim_verify_new(const struct au_dkim_config *cfg, int64_t now)
{
    struct au_dkim_verify *v = au_xcalloc(1, sizeof *v);
    if (cfg)
        v->cfg = *cfg;
    else
        au_dkim_config_default(&v->cfg);
    if (v->cfg.field_name == NULL)
        v->cfg.field_name = "DKIM-Signature";
    if (v->cfg.max_signatures > AU_DKIM_SIGNATURES_HARD_MAX)
        v->cfg.max_signatures = AU_DKIM_SIGNATURES_HARD_MAX;
    size_t m = v->cfg.max_signatures ? v->cfg.max_signatures : 1;
    v->sigs = au_xcalloc(m, sizeof *v->sigs);
    v->keys = au_xcalloc(m, sizeof *v->keys);
    v->ncache = m + KEY_CACHE_EXTRA;
    v->cache = au_xcalloc(v->ncache, sizeof *v->cache);
    v->edwork = EVP_MD_CTX_new();
    v->hctx = EVP_MD_CTX_new();
    v->serial = 1;
    v->bodies = au_xcalloc(m, sizeof *v->bodies);
    for (size_t i = 0; i < m; i++)
        au_buf_init(&v->sigs[i].text, AU_BUF_NOLIMIT);
    au_buf_init(&v->hdr, AU_DKIM_HEADERS_MAX);
    au_buf_init(&v->scratch, AU_BUF_NOLIMIT);
    au_buf_init(&v->scratch2, AU_BUF_NOLIMIT);
    v->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    v->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    if (v->sha256 == NULL || v->sha1 == NULL || v->hctx == NULL || v->edwork == NULL) {
        fprintf(stderr, "authsink: OpenSSL has no SHA-256 or SHA-1\n");
        exit(1);
    }
    v->now = now;
    return v;
}

static void entry_clear(struct key_entry *e)
{
    au_dns_answer_unref(e->ans);
    e->ans = NULL;
    EVP_PKEY_free(e->pkey);
    e->pkey = NULL;
    for (int i = 0; i < 2; i++) {
        EVP_PKEY_CTX_free(e->rsa[i]);
        e->rsa[i] = NULL;
    }
    EVP_MD_CTX_free(e->ed);
    e->ed = NULL;
}

static void release_keys(struct au_dkim_verify *v)
{
    v->nkeys = 0;
    v->serial++;
}

void au_dkim_verify_reset(struct au_dkim_verify *v, int64_t now)
{
    release_keys(v);
    au_buf_reset(&v->hdr);
    v->nfields = 0;
    v->hdr_overflow = false;
    v->nsigs = v->ignored = 0;
    v->nbodies = 0;
    v->npending = 0;
    v->headers_done = v->body_done = v->final = false;
    v->now = now;
}

void au_dkim_verify_free(struct au_dkim_verify *v)
{
    if (v == NULL)
        return;
    release_keys(v);
    for (size_t i = 0; i < v->ncache; i++)
        entry_clear(&v->cache[i]);
    free(v->cache);
    EVP_MD_CTX_free(v->edwork);
    EVP_MD_CTX_free(v->hctx);
    size_t m = v->cfg.max_signatures ? v->cfg.max_signatures : 1;
    for (size_t i = 0; i < m; i++) {
        au_buf_free(&v->sigs[i].text);
        EVP_MD_CTX_free(v->bodies[i].md);
    }
    free(v->sigs);
    free(v->keys);
    free(v->bodies);
    free(v->fields);
    free(v->views);
    au_buf_free(&v->hdr);
    au_buf_free(&v->scratch);
    au_buf_free(&v->scratch2);
    EVP_MD_free(v->sha256);
    EVP_MD_free(v->sha1);
    free(v);
}

void au_dkim_verify_field(struct au_dkim_verify *v, struct au_slice name, struct au_slice raw)
{
    if (v->headers_done || v->hdr_overflow)
        return;
    size_t name_off = 0;
    if (name.len > 0 && name.ptr >= raw.ptr && name.ptr + name.len <= raw.ptr + raw.len)
        name_off = (size_t)(name.ptr - raw.ptr);
    else
        name = au_slice_make(raw.ptr, 0); /* a name outside raw: treat as nameless */
    size_t off = v->hdr.len;
    if (au_buf_append(&v->hdr, raw.ptr, raw.len) < 0) {
        v->hdr_overflow = true;
        return;
    }
    if (v->nfields == v->capfields) {
        v->capfields = v->capfields ? v->capfields * 2 : 64;
        v->fields = au_xrealloc(v->fields, v->capfields * sizeof *v->fields);
    }
    v->fields[v->nfields] = (struct field_ref){off, raw.len, off + name_off, name.len};
    if (au_slice_eq_ci(name, v->cfg.field_name)) {
        if (v->nsigs < v->cfg.max_signatures) {
            struct sig_slot *s = &v->sigs[v->nsigs++];
            s->field = v->nfields;
            s->parsed = false;
            s->result = AU_RESULT_NONE;
            s->reason[0] = '\0';
            s->key = s->body = -1;
            s->hdlen = 0;
        } else {
            v->ignored++;
        }
    }
    v->nfields++;
}

static const EVP_MD *md_of(struct au_dkim_verify *v, enum au_dkim_hash h)
{
    return h == AU_DKIM_SHA1 ? v->sha1 : v->sha256;
}

static void body_out(void *arg, const void *p, size_t n)
{
    EVP_DigestUpdate((EVP_MD_CTX *)arg, p, n);
}

static int body_slot_for(struct au_dkim_verify *v, const struct au_dkim_sig *sig)
{
    enum au_dkim_hash h = au_dkim_tag_alg_hash(sig->alg);
    for (size_t i = 0; i < v->nbodies; i++) {
        struct body_slot *b = &v->bodies[i];
        if (b->canon == sig->bc && b->hash == h && b->limit == sig->l)
            return (int)i;
    }
    struct body_slot *b = &v->bodies[v->nbodies];
    b->canon = sig->bc;
    b->hash = h;
    b->limit = sig->l;
    if (b->md == NULL)
        b->md = EVP_MD_CTX_new();
    if (b->md == NULL || !EVP_DigestInit_ex2(b->md, md_of(v, h), NULL)) {
        fprintf(stderr, "authsink: OpenSSL digest setup failed\n");
        exit(1);
    }
    au_dkim_body_canon_init(&b->bc, b->canon, b->limit, body_out, b->md);
    b->dlen = 0;
    return (int)v->nbodies++;
}

static int key_slot_for(struct au_dkim_verify *v, const struct au_dkim_sig *sig)
{
    char name[AU_DNS_NAME_MAX + 2];
    int len = snprintf(name, sizeof name, "%.*s._domainkey.%.*s", (int)sig->s.len, sig->s.ptr,
                       (int)sig->d.len, sig->d.ptr);
    if (len < 0 || (size_t)len > AU_DNS_NAME_MAX)
        return -1;
    for (size_t i = 0; i < v->nkeys; i++)
        if (strcasecmp(v->keys[i].name, name) == 0)
            return (int)i;
    struct key_slot *k = &v->keys[v->nkeys];
    memcpy(k->name, name, (size_t)len + 1);
    k->asked = k->have = false;
    k->err = AU_RESULT_NONE;
    k->reason[0] = '\0';
    k->entry = NULL;
    k->bits = 0;
    return (int)v->nkeys++;
}

static void format_time(int64_t t, char *out, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, n, "%" PRId64, t);
}

/* Parses the signature, applies the checks that need no key, and hashes
 * the headers it signs. */
static void prepare_sig(struct au_dkim_verify *v, struct sig_slot *s)
{
    const struct field_ref *fr = &v->fields[s->field];
    const char *raw = v->hdr.data + fr->off;
    const char *colon = memchr(raw, ':', fr->len);
    if (colon == NULL) {
        s->result = AU_RESULT_PERMERROR;
        seterr(s->reason, "signature field without a colon");
        return;
    }
    size_t text_off = (size_t)(colon + 1 - raw);
    struct au_slice text = au_slice_make(colon + 1, fr->len - text_off);
    struct au_dkim_sig_opts opts = {
        .draft_versions = v->cfg.draft_versions,
        .arc = strcasecmp(v->cfg.field_name, "DKIM-Signature") != 0,
    };
    char err[AU_DKIM_ERR_MAX];
    int rc = au_dkim_tag_sig_parse(text, &opts, &s->sig, err, sizeof err);
    s->parsed = true;
    if (rc < 0) {
        s->result = AU_RESULT_PERMERROR;
        seterr(s->reason, "%s", err);
        return;
    }
    if (v->hdr_overflow) {
        s->result = AU_RESULT_PERMERROR;
        seterr(s->reason, "header block larger than %u bytes", AU_DKIM_HEADERS_MAX);
        return;
    }
    if (s->sig.alg == AU_DKIM_RSA_SHA1 && !v->cfg.allow_rsa_sha1) {
        s->result = AU_RESULT_POLICY;
        seterr(s->reason, "rsa-sha1 is not accepted (RFC 8301)");
        return;
    }
    if (s->sig.has_x && v->now > s->sig.x) {
        char when[40];
        format_time(s->sig.x, when, sizeof when);
        s->result = AU_RESULT_PERMERROR;
        seterr(s->reason, "signature expired at %s", when);
        return;
    }

    /* The header hash (RFC 6376 3.7): the signed fields, then this field
     * with b='s value removed and without its final line end. */
    au_buf_reset(&v->scratch);
    au_dkim_canon_signed_headers(s->sig.hc, v->views, v->nfields, s->sig.hnames, s->sig.nh,
                                 s->field, &v->scratch);
    au_buf_reset(&v->scratch2);
    au_buf_append(&v->scratch2, raw, text_off + s->sig.b_voff);
    au_buf_append(&v->scratch2, raw + text_off + s->sig.b_vend, fr->len - text_off - s->sig.b_vend);
    au_dkim_canon_header(s->sig.hc, au_buf_slice(&v->scratch2), true, &v->scratch);
    if (!EVP_DigestInit_ex2(v->hctx, md_of(v, au_dkim_tag_alg_hash(s->sig.alg)), NULL) ||
        !EVP_DigestUpdate(v->hctx, v->scratch.data, v->scratch.len) ||
        !EVP_DigestFinal_ex(v->hctx, s->hdigest, &s->hdlen)) {
        fprintf(stderr, "authsink: OpenSSL digest failed\n");
        exit(1);
    }

    s->key = key_slot_for(v, &s->sig);
    if (s->key < 0) {
        s->result = AU_RESULT_PERMERROR;
        seterr(s->reason, "key name %.*s._domainkey.%.*s is too long", (int)s->sig.s.len,
               s->sig.s.ptr, (int)s->sig.d.len, s->sig.d.ptr);
        return;
    }
    s->body = body_slot_for(v, &s->sig);
}

void au_dkim_verify_end_headers(struct au_dkim_verify *v)
{
    if (v->headers_done)
        return;
    v->headers_done = true;
    if (v->capviews < v->nfields) {
        v->capviews = v->nfields;
        v->views = au_xrealloc(v->views, v->capviews * sizeof *v->views);
    }
    for (size_t i = 0; i < v->nfields; i++) {
        const struct field_ref *f = &v->fields[i];
        v->views[i].name = au_slice_make(v->hdr.data + f->name_off, f->name_len);
        v->views[i].raw = au_slice_make(v->hdr.data + f->off, f->len);
    }
    for (size_t i = 0; i < v->nsigs; i++)
        prepare_sig(v, &v->sigs[i]);
}

void au_dkim_verify_body(struct au_dkim_verify *v, const char *p, size_t n)
{
    if (!v->headers_done)
        au_dkim_verify_end_headers(v);
    if (v->body_done)
        return;
    for (size_t i = 0; i < v->nbodies; i++)
        au_dkim_body_canon_feed(&v->bodies[i].bc, p, n);
}

static bool verify_sig(struct au_dkim_verify *v, struct sig_slot *s, struct key_entry *e)
{
    bool ok = false;
    if (s->sig.alg == AU_DKIM_ED25519_SHA256) {
        /* Initializing fetches the algorithm; copying a ready context does not. */
        if (e->ed == NULL) {
            e->ed = EVP_MD_CTX_new();
            if (e->ed &&
                EVP_DigestVerifyInit_ex(e->ed, NULL, NULL, NULL, NULL, e->pkey, NULL) != 1) {
                EVP_MD_CTX_free(e->ed);
                e->ed = NULL;
            }
        }
        ok = e->ed && v->edwork && EVP_MD_CTX_copy_ex(v->edwork, e->ed) == 1 &&
             EVP_DigestVerify(v->edwork, s->sig.b_raw, s->sig.b_len, s->hdigest, s->hdlen) == 1;
    } else {
        enum au_dkim_hash h = au_dkim_tag_alg_hash(s->sig.alg);
        if (e->rsa[h] == NULL) {
            EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, e->pkey, NULL);
            if (pc && EVP_PKEY_verify_init(pc) == 1 &&
                EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
                EVP_PKEY_CTX_set_signature_md(pc, md_of(v, h)) == 1)
                e->rsa[h] = pc;
            else
                EVP_PKEY_CTX_free(pc);
        }
        ok = e->rsa[h] &&
             EVP_PKEY_verify(e->rsa[h], s->sig.b_raw, s->sig.b_len, s->hdigest, s->hdlen) == 1;
    }
    ERR_clear_error();
    return ok;
}

static void b64_encode(const uint8_t *p, size_t n, char *out, size_t outlen)
{
    if (outlen < 4 * ((n + 2) / 3) + 1) {
        if (outlen)
            out[0] = '\0';
        return;
    }
    EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

static void settle(struct au_dkim_verify *v, struct sig_slot *s)
{
    if (s->result != AU_RESULT_NONE)
        return;
    const struct key_slot *k = &v->keys[s->key];
    const struct body_slot *b = &v->bodies[s->body];
    const struct au_dkim_sig *sig = &s->sig;
    if (k->err != AU_RESULT_NONE) {
        s->result = k->err;
        seterr(s->reason, "%s", k->reason);
        return;
    }
    bool ed = sig->alg == AU_DKIM_ED25519_SHA256;
    if ((ed && k->rec.k != AU_DKIM_KEY_ED25519) || (!ed && k->rec.k != AU_DKIM_KEY_RSA)) {
        s->result = AU_RESULT_PERMERROR;
        seterr(s->reason, "key type k=%s does not match a=%s",
               k->rec.k == AU_DKIM_KEY_ED25519 ? "ed25519" : "rsa", au_dkim_tag_alg_name(sig->alg));
        return;
    }
    enum au_dkim_hash h = au_dkim_tag_alg_hash(sig->alg);
    if ((h == AU_DKIM_SHA1 && !k->rec.h_sha1) || (h == AU_DKIM_SHA256 && !k->rec.h_sha256)) {
        s->result = AU_RESULT_PERMERROR;
        seterr(s->reason, "key record h= does not allow %s", h == AU_DKIM_SHA1 ? "sha1" : "sha256");
        return;
    }
    if (!k->rec.email) {
        s->result = AU_RESULT_PERMERROR;
        seterr(s->reason, "key at %s is not for email (s= service type)", k->name);
        return;
    }
    if (k->rec.strict && !au_dkim_tag_identity_exact(sig->identity, sig->d)) {
        s->result = AU_RESULT_PERMERROR;
        seterr(s->reason, "key flag t=s needs i= in d= itself, not a subdomain");
        return;
    }
    if (!ed && k->bits < v->cfg.min_rsa_bits) {
        s->result = AU_RESULT_POLICY;
        seterr(s->reason, REASON_SHORT_KEY " (%u bits)", k->bits);
        return;
    }
    if (sig->l != AU_DKIM_NO_LIMIT && sig->l > b->bc.total) {
        s->result = AU_RESULT_NEUTRAL;
        seterr(s->reason,
               "body hash did not verify: l=%" PRIu64 " is beyond the body (%" PRIu64
               " bytes canonicalized)",
               sig->l, b->bc.total);
        return;
    }
    if (b->dlen != sig->bh_len || memcmp(b->digest, sig->bh_raw, b->dlen) != 0) {
        char want[HASH_B64_MAX], got[HASH_B64_MAX];
        b64_encode(sig->bh_raw, sig->bh_len, want, sizeof want);
        b64_encode(b->digest, b->dlen, got, sizeof got);
        s->result = AU_RESULT_NEUTRAL;
        seterr(s->reason, "body hash mismatch (signed bh=%s, computed %s)", want, got);
        return;
    }
    if (!verify_sig(v, s, k->entry)) {
        s->result = AU_RESULT_FAIL;
        seterr(s->reason, "signature does not verify");
        return;
    }
    s->result = AU_RESULT_PASS;
    s->reason[0] = '\0';
}

/* Appends s and a NUL, FWS dropped with strip_ws.  The space is taken once
 * and the bytes written without a branch per byte: b= is a few hundred
 * bytes, and every message builds its results. */
static void put_str(struct au_buf *b, struct au_slice s, bool strip_ws)
{
    size_t avail;
    char *w = au_buf_space(b, s.len + 1, &avail);
    if (w == NULL)
        return; /* the result buffers have no limit */
    char *start = w;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        *w = c;
        w += !(strip_ws && (c == ' ' || c == '\t' || c == '\r' || c == '\n'));
    }
    *w++ = '\0';
    au_buf_commit(b, (size_t)(w - start));
}

/* Builds the result's strings; pointers are set once the buffer stops growing. */
static void build_result(struct au_dkim_verify *v, struct sig_slot *s)
{
    struct au_buf *t = &s->text;
    au_buf_reset(t);
    const struct au_dkim_sig *sig = &s->sig;
    bool have = s->parsed;
    struct au_slice none = au_slice_make("", 0);
    size_t o[6];
    o[0] = t->len;
    put_str(t, have ? sig->d : none, false);
    o[1] = t->len;
    put_str(t, have ? sig->s : none, false);
    o[2] = t->len;
    put_str(t, have ? sig->a : none, true);
    o[3] = t->len;
    put_str(t, have && sig->identity[0] ? au_slice_cstr(sig->identity) : none, false);
    o[4] = t->len;
    put_str(t, have ? sig->b : none, true);
    o[5] = t->len;
    put_str(t, have ? sig->h : none, true);
    struct au_dkim_sig_result *r = &s->res;
    r->result = s->result;
    r->domain = t->data + o[0];
    r->selector = t->data + o[1];
    r->algorithm = t->data + o[2];
    r->identity = t->data + o[3];
    r->b = t->data + o[4];
    r->headers = t->data + o[5];
    r->reason = s->reason;
    r->key_bits = 0;
    r->testing = false;
    if (s->key >= 0 && v->keys[s->key].have && v->keys[s->key].err == AU_RESULT_NONE) {
        r->key_bits = v->keys[s->key].bits;
        r->testing = v->keys[s->key].rec.testing;
    }
}

static bool keys_in(const struct au_dkim_verify *v)
{
    for (size_t i = 0; i < v->nkeys; i++)
        if (!v->keys[i].have)
            return false;
    return true;
}

static void maybe_finalize(struct au_dkim_verify *v)
{
    if (v->final || !v->headers_done || !v->body_done || !keys_in(v))
        return;
    for (size_t i = 0; i < v->nsigs; i++) {
        settle(v, &v->sigs[i]);
        build_result(v, &v->sigs[i]);
    }
    v->final = true;
}

void au_dkim_verify_end_body(struct au_dkim_verify *v)
{
    if (!v->headers_done)
        au_dkim_verify_end_headers(v);
    if (v->body_done)
        return;
    for (size_t i = 0; i < v->nbodies; i++) {
        struct body_slot *b = &v->bodies[i];
        au_dkim_body_canon_finish(&b->bc);
        if (!EVP_DigestFinal_ex(b->md, b->digest, &b->dlen)) {
            fprintf(stderr, "authsink: OpenSSL digest failed\n");
            exit(1);
        }
    }
    v->body_done = true;
    maybe_finalize(v);
}

static void sink_field(void *arg, struct au_slice name, struct au_slice raw)
{
    au_dkim_verify_field(arg, name, raw);
}

static void sink_end_headers(void *arg)
{
    au_dkim_verify_end_headers(arg);
}

static void sink_body(void *arg, const char *p, size_t n)
{
    au_dkim_verify_body(arg, p, n);
}

static void sink_end(void *arg)
{
    au_dkim_verify_end_body(arg);
}

void au_dkim_verify_sink(struct au_dkim_verify *v, struct au_msg_sink *sink)
{
    sink->field = sink_field;
    sink->end_headers = sink_end_headers;
    sink->body = sink_body;
    sink->end = sink_end;
    sink->arg = v;
}

/* Turns a key answer into a usable key or a reason. */
static void parse_key(struct au_dkim_verify *v, struct key_entry *k, const struct au_dns_answer *a)
{
    switch (a->status) {
    case AU_DNS_RECORDS:
        break;
    case AU_DNS_NXDOMAIN:
    case AU_DNS_NODATA:
        k->err = AU_RESULT_PERMERROR;
        seterr(k->reason, "no key at %s", k->name);
        return;
    default:
        k->err = AU_RESULT_TEMPERROR;
        seterr(k->reason, "key lookup at %s failed (%s)", k->name,
               a->detail && a->detail[0] ? a->detail : au_dns_status_name(a->status));
        return;
    }
    /* RFC 6376 3.6.2.2 leaves several records at the name undefined; the
     * first that parses as a key record is used, the others ignored. */
    size_t ntxt = 0;
    bool parsed = false;
    char err[AU_DKIM_ERR_MAX], first_err[AU_DKIM_ERR_MAX] = "";
    for (size_t i = 0; i < a->count && !parsed; i++) {
        if (a->rr[i].type != AU_DNS_TXT)
            continue;
        ntxt++;
        au_dns_txt_join(&a->rr[i], &v->scratch);
        if (au_dkim_tag_key_parse(au_buf_slice(&v->scratch), &k->rec, err, sizeof err) == 0)
            parsed = true;
        else if (first_err[0] == '\0')
            memcpy(first_err, err, sizeof err);
    }
    if (ntxt == 0) {
        k->err = AU_RESULT_PERMERROR;
        seterr(k->reason, "no key at %s", k->name);
        return;
    }
    if (!parsed) {
        k->err = AU_RESULT_PERMERROR;
        seterr(k->reason, "bad key record at %s: %s", k->name, first_err);
        return;
    }
    if (k->rec.revoked) {
        k->err = AU_RESULT_PERMERROR;
        seterr(k->reason, "key revoked (empty p= at %s)", k->name);
        return;
    }
    uint8_t der[KEY_DER_MAX];
    long n = au_dkim_tag_base64(k->rec.p, der, sizeof der);
    k->rec.p = au_slice_make("", 0);
    if (n <= 0) {
        k->err = AU_RESULT_PERMERROR;
        seterr(k->reason, "key data at %s is not base64 (or too long)", k->name);
        return;
    }
    if (k->rec.k == AU_DKIM_KEY_ED25519) {
        if (n != 32 ||
            (k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, 32)) == NULL) {
            ERR_clear_error();
            k->err = AU_RESULT_PERMERROR;
            seterr(k->reason, "key data at %s is not an Ed25519 public key", k->name);
            return;
        }
        k->bits = 256;
        return;
    }
    const unsigned char *pp = der;
    EVP_PKEY *pk = d2i_PUBKEY(NULL, &pp, n);
    if (pk && EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
        EVP_PKEY_free(pk);
        pk = NULL;
    }
    if (pk == NULL) {
        /* Some publish the bare PKCS#1 RSAPublicKey; accept it as others do. */
        pp = der;
        pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &pp, n);
    }
    ERR_clear_error();
    if (pk == NULL) {
        k->err = AU_RESULT_PERMERROR;
        seterr(k->reason, "key data at %s is not an RSA public key", k->name);
        return;
    }
    k->pkey = pk;
    k->bits = (unsigned)EVP_PKEY_get_bits(pk);
    if (k->bits > AU_DKIM_RSA_MAX_BITS) {
        k->err = AU_RESULT_PERMERROR;
        seterr(k->reason, "key too long (%u bits, at most %u)", k->bits, AU_DKIM_RSA_MAX_BITS);
    }
}

/* Finds the answer among the parsed keys, or parses it into a free or
 * least recently used entry that this message does not use. */
static void take_key(struct au_dkim_verify *v, struct key_slot *k, struct au_dns_answer *a)
{
    k->have = true;
    struct key_entry *e = NULL, *victim = NULL;
    for (size_t i = 0; i < v->ncache && e == NULL; i++) {
        struct key_entry *c = &v->cache[i];
        if (c->ans == a && strcasecmp(c->name, k->name) == 0)
            e = c;
        else if (c->used != v->serial && (victim == NULL || c->ans == NULL ||
                                          (victim->ans != NULL && c->used < victim->used)))
            victim = c;
    }
    if (e == NULL) {
        if (victim == NULL)
            abort(); /* more keys in one message than slots: a broken invariant */
        entry_clear(victim);
        e = victim;
        memcpy(e->name, k->name, sizeof e->name);
        e->err = AU_RESULT_NONE;
        e->reason[0] = '\0';
        e->bits = 0;
        parse_key(v, e, a);
        e->ans = au_dns_answer_ref(a);
    }
    e->used = v->serial;
    k->err = e->err;
    memcpy(k->reason, e->reason, sizeof k->reason);
    k->rec = e->rec;
    k->bits = e->bits;
    k->entry = e->err == AU_RESULT_NONE ? e : NULL;
}

enum au_step au_dkim_verify_step(void *check, struct au_dns_batch *batch)
{
    struct au_dkim_verify *v = check;
    for (size_t i = 0; i < batch->n; i++) {
        if (i < v->npending)
            take_key(v, &v->keys[v->pending[i]], batch->a[i]);
        au_dns_answer_unref(batch->a[i]);
        batch->a[i] = NULL;
    }
    batch->n = 0;
    v->npending = 0;
    if (!v->headers_done)
        return AU_STEP_DONE;
    for (size_t i = 0; i < v->nkeys && batch->n < AU_DNS_BATCH_MAX; i++) {
        struct key_slot *k = &v->keys[i];
        if (k->asked)
            continue;
        k->asked = true;
        if (au_dns_batch_add(batch, k->name, AU_DNS_TXT) < 0) {
            k->have = true;
            k->err = AU_RESULT_PERMERROR;
            seterr(k->reason, "key name %s cannot be looked up", k->name);
            continue;
        }
        v->pending[v->npending++] = i;
    }
    if (batch->n > 0)
        return AU_STEP_NEED_DNS;
    maybe_finalize(v);
    return AU_STEP_DONE;
}

bool au_dkim_verify_done(const struct au_dkim_verify *v)
{
    return v->final;
}

size_t au_dkim_verify_count(const struct au_dkim_verify *v)
{
    return v->nsigs;
}

size_t au_dkim_verify_ignored(const struct au_dkim_verify *v)
{
    return v->ignored;
}

const struct au_dkim_sig_result *au_dkim_verify_result(const struct au_dkim_verify *v, size_t i)
{
    if (i >= v->nsigs || !v->final)
        return NULL;
    return &v->sigs[i].res;
}

int au_dkim_ar_clause(const struct au_dkim_sig_result *r, struct au_buf *out)
{
    const char *comment = NULL;
    switch (r->result) {
    case AU_RESULT_PASS:
        comment = r->testing ? "test mode" : NULL;
        break;
    case AU_RESULT_NEUTRAL:
        comment = "body hash did not verify";
        break;
    case AU_RESULT_TEMPERROR:
    case AU_RESULT_PERMERROR:
        comment = "no key for signature";
        break;
    case AU_RESULT_POLICY:
        /* XXX Gmail's wording for weak keys and rsa-sha1 is unconfirmed. */
        comment = strncmp(r->reason, REASON_SHORT_KEY, sizeof REASON_SHORT_KEY - 1) == 0
                      ? "weak key"
                      : "weak algorithm";
        break;
    default:
        break;
    }
    int rc = au_buf_printf(out, "dkim=%s", au_result_name(r->result));
    if (comment)
        rc |= au_buf_printf(out, " (%s)", comment);
    if (r->domain[0])
        rc |= au_buf_printf(out, " header.i=@%s", r->domain);
    if (r->selector[0])
        rc |= au_buf_printf(out, " header.s=%s", r->selector);
    if (r->b[0]) {
        char b8[9];
        snprintf(b8, sizeof b8, "%s", r->b);
        rc |= au_buf_printf(out, strchr(b8, '/') ? " header.b=\"%s\"" : " header.b=%s", b8);
    }
    return rc ? -1 : 0;
}
