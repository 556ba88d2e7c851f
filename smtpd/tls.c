/*
 * tls - the STARTTLS server engine over OpenSSL memory BIOs (see tls.h).
 *
 * Public: tls_ctx_{new,new_self_signed,cert_file,key_file,free},
 * tls_conn_{new,free,feed,read,write,shutdown,pending_out,consume_out,
 * handshake_done,version,version_gmail,cipher,bits,error}.
 * RFCs: 3207 (STARTTLS: the TLS negotiation itself; the SMTP side lives in
 * the session), 8446 and 5246 (TLS 1.3 and 1.2 only, as the issue demands),
 * 5746 / OpenSSL's SSL_OP_NO_RENEGOTIATION (renegotiation is refused),
 * 5280 (the self-signed certificate: v3, CN and subjectAltName, serverAuth).
 * Limits: TLS_MAX_PENDING_OUT, TLS_ERR_MAX, TLS_SELF_SIGNED_DAYS.
 *
 * Each connection owns one SSL with two memory BIOs: rbio, into which the
 * caller's ciphertext is written, and wbio, from which OpenSSL's output is
 * moved into an au_buf after every operation.  Memory BIOs never block, so
 * OpenSSL only ever reports "want read" (feed me); "want write" cannot occur.
 *
 * OpenSSL's error queue is per thread and shared by every connection of a
 * loop, so each operation clears it first and a failure drains it into the
 * connection's own message: one client's error never shows up on another.
 *
 * Ciphers follow what Gmail's inbound MX is seen to choose (REFERENCE.md
 * 5.1): TLS 1.3 prefers TLS_AES_256_GCM_SHA384; TLS 1.2 prefers the AES-128
 * GCM ECDHE suites (ECDHE-RSA-AES128-GCM-SHA256 with an RSA key), then the
 * rest of a modern list, so the Received line reads like Gmail's.
 */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "xalloc.h"

#define TLS_CIPHERS_13 "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"
#define TLS_CIPHERS_12                                                                             \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                                   \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                                   \
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"                                         \
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:"     \
    "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA"
/* The session id context: any constant, needed for server-side session reuse. */
#define TLS_SESSION_CONTEXT "authsink"
#define TLS_SELF_SIGNED_CERT "authsink-tls-cert.pem"
#define TLS_SELF_SIGNED_KEY "authsink-tls-key.pem"
#define TLS_RSA_BITS 2048
#define TLS_SERIAL_BYTES 16
/* notBefore is this far in the past, so clients whose clock runs behind accept it. */
#define TLS_NOT_BEFORE_SLACK_SECONDS 3600
/* RFC 5280 appendix A: ub-common-name. Longer host names go only in the SAN. */
#define TLS_CN_MAX 64
#define TLS_HOSTNAME_MAX 253
/* How many bytes one BIO_write may take (it counts in int). */
#define TLS_FEED_CHUNK (1 << 20)

struct tls_ctx {
    SSL_CTX *ssl_ctx;
    char *cert_file;
    char *key_file;
};

enum tls_state {
    TLS_ST_HANDSHAKE,
    TLS_ST_OPEN,
    TLS_ST_CLOSED, /* the peer's close_notify arrived */
    TLS_ST_FAILED,
};

struct tls_conn {
    SSL *ssl;
    BIO *rbio; /* ciphertext in; owned by ssl */
    BIO *wbio; /* ciphertext out; owned by ssl */
    struct au_buf out;
    enum tls_state state;
    bool reneg; /* the client tried to renegotiate */
    char err[TLS_ERR_MAX];
};

/* ---- errors ------------------------------------------------------------- */

/* Formats "what: <OpenSSL's first queued reason>" into err and empties the
 * thread's error queue. */
static void queue_error(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    const char *reason = NULL;
    if (e && ERR_SYSTEM_ERROR(e)) /* errno from a file operation */
        reason = strerror(ERR_GET_REASON(e));
    else if (e)
        reason = ERR_reason_error_string(e);
    if (errlen > 0) {
        if (reason)
            snprintf(err, errlen, "%s: %s", what, reason);
        else if (e)
            snprintf(err, errlen, "%s: OpenSSL error %lx", what, e);
        else
            snprintf(err, errlen, "%s", what);
    }
    ERR_clear_error();
}

/* Formats a message into err, when the caller gave room for one. */
static void put_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void put_error(char *err, size_t errlen, const char *fmt, ...)
{
    if (errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- contexts ----------------------------------------------------------- */

struct tls_ctx *tls_ctx_new(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
    ERR_clear_error();
    SSL_CTX *s = SSL_CTX_new(TLS_server_method());
    if (s == NULL) {
        queue_error(err, errlen, "cannot create the TLS context");
        return NULL;
    }
    const char *what = NULL, *file = "";
    if (!SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(s, TLS1_3_VERSION))
        what = "cannot restrict the TLS versions";
    else if (!SSL_CTX_set_cipher_list(s, TLS_CIPHERS_12) ||
             !SSL_CTX_set_ciphersuites(s, TLS_CIPHERS_13))
        what = "cannot set the cipher lists";
    else if (!SSL_CTX_set_session_id_context(s, (const unsigned char *)TLS_SESSION_CONTEXT,
                                             sizeof TLS_SESSION_CONTEXT - 1))
        what = "cannot set the session id context";
    else if (SSL_CTX_use_certificate_chain_file(s, cert_file) != 1)
        what = "cannot load the certificate ", file = cert_file;
    else if (SSL_CTX_use_PrivateKey_file(s, key_file, SSL_FILETYPE_PEM) != 1)
        what = "cannot load the private key ", file = key_file;
    else if (SSL_CTX_check_private_key(s) != 1)
        what = "the private key does not match the certificate";
    if (what) {
        char head[TLS_ERR_MAX];
        snprintf(head, sizeof head, "%s%s", what, file);
        queue_error(err, errlen, head);
        SSL_CTX_free(s);
        return NULL;
    }
    SSL_CTX_set_options(s, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_NO_COMPRESSION);
    /* Idle SMTP sessions are many and quiet: give buffers back between reads. */
    SSL_CTX_set_mode(s, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_dh_auto(s, 1);

    struct tls_ctx *ctx = au_xcalloc(1, sizeof *ctx);
    ctx->ssl_ctx = s;
    ctx->cert_file = au_xstrdup(cert_file);
    ctx->key_file = au_xstrdup(key_file);
    return ctx;
}

const char *tls_ctx_cert_file(const struct tls_ctx *ctx)
{
    return ctx->cert_file;
}

const char *tls_ctx_key_file(const struct tls_ctx *ctx)
{
    return ctx->key_file;
}

void tls_ctx_free(struct tls_ctx *ctx)
{
    if (ctx == NULL)
        return;
    SSL_CTX_free(ctx->ssl_ctx); /* reference counted: live SSLs keep it */
    free(ctx->cert_file);
    free(ctx->key_file);
    free(ctx);
}

/* ---- self-signed certificates ------------------------------------------- */

/* Letters, digits, hyphens and dots, as in a host name (RFC 1123 2.1); no
 * commas or slashes that could smuggle extra names into the certificate. */
static bool hostname_ok(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > TLS_HOSTNAME_MAX || h[0] == '.' || h[0] == '-')
        return false;
    for (const char *p = h; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '.'))
            return false;
    }
    return true;
}

static bool add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &v3, nid, value);
    if (ext == NULL)
        return false;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1;
}

/* subjectAltName with one entry, built as a structure (not from a config
 * string) so that nothing in hostname is ever parsed as syntax. */
static bool add_san(X509 *x, const char *hostname)
{
    unsigned char ip[16];
    int iplen = 0;
    if (inet_pton(AF_INET, hostname, ip) == 1)
        iplen = 4;
    else if (inet_pton(AF_INET6, hostname, ip) == 1)
        iplen = 16;

    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_STRING *value = iplen ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
    bool ok = names && gn && value;
    if (ok && iplen)
        ok = ASN1_OCTET_STRING_set(value, ip, iplen) == 1;
    else if (ok)
        ok = ASN1_STRING_set(value, hostname, -1) == 1;
    if (ok) {
        GENERAL_NAME_set0_value(gn, iplen ? GEN_IPADD : GEN_DNS, value);
        value = NULL; /* now owned by gn */
        ok = sk_GENERAL_NAME_push(names, gn) > 0;
        if (ok)
            gn = NULL; /* now owned by names */
    }
    if (ok)
        ok = X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) == 1;
    ASN1_STRING_free(value);
    GENERAL_NAME_free(gn);
    GENERAL_NAMES_free(names);
    return ok;
}

static X509 *make_cert(EVP_PKEY *key, const char *hostname, enum tls_key_type type)
{
    X509 *x = X509_new();
    if (x == NULL)
        return NULL;
    unsigned char serial[TLS_SERIAL_BYTES];
    BIGNUM *bn = NULL;
    bool ok = X509_set_version(x, X509_VERSION_3) == 1 && RAND_bytes(serial, sizeof serial) == 1;
    if (ok) {
        serial[0] &= 0x7F; /* a positive INTEGER (RFC 5280 4.1.2.2) */
        serial[0] |= 0x01; /* and never zero */
        bn = BN_bin2bn(serial, sizeof serial, NULL);
        ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    }
    BN_free(bn);
    ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), -TLS_NOT_BEFORE_SLACK_SECONDS) != NULL &&
         X509_gmtime_adj(X509_getm_notAfter(x), (long)TLS_SELF_SIGNED_DAYS * 24 * 3600) != NULL &&
         X509_set_pubkey(x, key) == 1;
    X509_NAME *name = X509_get_subject_name(x);
    ok = ok &&
         X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                    (const unsigned char *)"authsink self-signed", -1, -1, 0) == 1;
    if (ok && strlen(hostname) <= TLS_CN_MAX)
        ok = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)hostname,
                                        -1, -1, 0) == 1;
    ok = ok && X509_set_issuer_name(x, name) == 1;
    ok = ok && add_ext(x, NID_basic_constraints, "critical,CA:FALSE") &&
         add_ext(x, NID_key_usage,
                 type == TLS_KEY_RSA2048 ? "critical,digitalSignature,keyEncipherment"
                                         : "critical,digitalSignature") &&
         add_ext(x, NID_ext_key_usage, "serverAuth") &&
         add_ext(x, NID_subject_key_identifier, "hash") && add_san(x, hostname);
    ok = ok && X509_sign(x, key, EVP_sha256()) > 0;
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* Writes one PEM file through a temporary name and a rename, so that a
 * reader never sees half a key. mode applies to the new file. */
static bool write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert, char *err,
                      size_t errlen)
{
    size_t n = strlen(path) + 5;
    char *tmp = au_xmalloc(n);
    snprintf(tmp, n, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        put_error(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(tmp);
        return false;
    }
    bool ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1
                  : PEM_write_X509(f, cert) == 1;
    ok = fflush(f) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        put_error(err, errlen, "cannot write %s: %s", path,
                  errno ? strerror(errno) : "PEM encoding failed");
        unlink(tmp);
    }
    free(tmp);
    return ok;
}

struct tls_ctx *tls_ctx_new_self_signed(const char *hostname, const char *dir,
                                        enum tls_key_type type, char *err, size_t errlen)
{
    if (!hostname_ok(hostname)) {
        put_error(err, errlen, "cannot make a certificate for \"%s\": not a host name", hostname);
        return NULL;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        put_error(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    ERR_clear_error();
    EVP_PKEY *key = type == TLS_KEY_EC_P256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(TLS_RSA_BITS);
    if (key == NULL) {
        queue_error(err, errlen, "cannot generate a key");
        return NULL;
    }
    X509 *cert = make_cert(key, hostname, type);
    if (cert == NULL) {
        queue_error(err, errlen, "cannot build the self-signed certificate");
        EVP_PKEY_free(key);
        return NULL;
    }
    size_t n = strlen(dir) + sizeof TLS_SELF_SIGNED_CERT + sizeof TLS_SELF_SIGNED_KEY + 2;
    char *cert_path = au_xmalloc(n), *key_path = au_xmalloc(n);
    snprintf(cert_path, n, "%s/%s", dir, TLS_SELF_SIGNED_CERT);
    snprintf(key_path, n, "%s/%s", dir, TLS_SELF_SIGNED_KEY);

    struct tls_ctx *ctx = NULL;
    errno = 0;
    if (write_pem(key_path, 0600, key, NULL, err, errlen) &&
        write_pem(cert_path, 0644, NULL, cert, err, errlen))
        ctx = tls_ctx_new(cert_path, key_path, err, errlen);
    X509_free(cert);
    EVP_PKEY_free(key);
    free(cert_path);
    free(key_path);
    return ctx;
}

/* ---- connections -------------------------------------------------------- */

/* Sees every TLS message. A renegotiation shows as a ClientHello after the
 * handshake, or as our own no_renegotiation alert (OpenSSL may refuse the
 * hello in its record layer without showing the message). */
static void on_message(int write_p, int version, int content_type, const void *buf, size_t len,
                       SSL *ssl, void *arg)
{
    struct tls_conn *c = arg;
    const unsigned char *p = buf;
    if (!write_p && content_type == SSL3_RT_HANDSHAKE && len > 0 && p[0] == SSL3_MT_CLIENT_HELLO &&
        c->state == TLS_ST_OPEN)
        c->reneg = true;
    if (write_p && content_type == SSL3_RT_ALERT && len == 2 && p[1] == SSL_AD_NO_RENEGOTIATION)
        c->reneg = true;
}

struct tls_conn *tls_conn_new(struct tls_ctx *ctx)
{
    struct tls_conn *c = au_xcalloc(1, sizeof *c);
    ERR_clear_error();
    c->ssl = SSL_new(ctx->ssl_ctx);
    c->rbio = BIO_new(BIO_s_mem());
    c->wbio = BIO_new(BIO_s_mem());
    if (c->ssl == NULL || c->rbio == NULL || c->wbio == NULL) {
        /* Only memory can run out here: the house rule for that is to exit. */
        fprintf(stderr, "authsink: out of memory (TLS connection)\n");
        exit(1);
    }
    /* An empty memory BIO reads as "retry", not as end of file. */
    BIO_set_mem_eof_return(c->rbio, -1);
    SSL_set_bio(c->ssl, c->rbio, c->wbio);
    SSL_set_accept_state(c->ssl);
    SSL_set_msg_callback(c->ssl, on_message);
    SSL_set_msg_callback_arg(c->ssl, c);
    au_buf_init(&c->out, TLS_MAX_PENDING_OUT);
    c->state = TLS_ST_HANDSHAKE;
    return c;
}

void tls_conn_free(struct tls_conn *c)
{
    if (c == NULL)
        return;
    SSL_free(c->ssl); /* frees both BIOs */
    au_buf_free(&c->out);
    free(c);
}

static int fail(struct tls_conn *c, const char *what)
{
    if (c->state != TLS_ST_FAILED)
        queue_error(c->err, sizeof c->err, what);
    else
        ERR_clear_error();
    c->state = TLS_ST_FAILED;
    return TLS_ERR;
}

/* Moves OpenSSL's output into c->out. */
static int drain_out(struct tls_conn *c)
{
    size_t pending;
    while ((pending = BIO_ctrl_pending(c->wbio)) > 0) {
        size_t avail = 0;
        char *space = au_buf_space(&c->out, pending, &avail);
        if (space == NULL) {
            ERR_clear_error();
            snprintf(c->err, sizeof c->err, "%s", "output backlog above the limit");
            c->state = TLS_ST_FAILED;
            return TLS_ERR;
        }
        size_t want = pending < avail ? pending : avail;
        if (want > INT_MAX)
            want = INT_MAX;
        int n = BIO_read(c->wbio, space, (int)want);
        if (n <= 0)
            break;
        au_buf_commit(&c->out, (size_t)n);
    }
    return TLS_OK;
}

/* Turns a failed SSL call into a result. */
static int ssl_result(struct tls_conn *c, int ret, const char *what)
{
    int e = SSL_get_error(c->ssl, ret);
    if (e == SSL_ERROR_WANT_READ) {
        ERR_clear_error();
        return TLS_WANT;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        c->state = TLS_ST_CLOSED;
        return TLS_CLOSED;
    }
    return fail(c, what);
}

static int handshake(struct tls_conn *c)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (drain_out(c) != TLS_OK)
        return TLS_ERR;
    if (r == 1) {
        c->state = TLS_ST_OPEN;
        return TLS_OK;
    }
    int res = ssl_result(c, r, "TLS handshake failed");
    if (res == TLS_CLOSED) /* close_notify before the end of the handshake */
        return fail(c, "TLS handshake failed: peer closed");
    return res;
}

static int dead(const struct tls_conn *c)
{
    return c->state == TLS_ST_FAILED ? TLS_ERR : TLS_CLOSED;
}

int tls_conn_feed(struct tls_conn *c, const void *data, size_t len)
{
    if (c->state == TLS_ST_FAILED || c->state == TLS_ST_CLOSED)
        return dead(c);
    const char *p = data;
    while (len > 0) {
        int chunk = len > TLS_FEED_CHUNK ? TLS_FEED_CHUNK : (int)len;
        if (BIO_write(c->rbio, p, chunk) != chunk) {
            fprintf(stderr, "authsink: out of memory (TLS input)\n");
            exit(1);
        }
        p += chunk;
        len -= (size_t)chunk;
    }
    if (c->state == TLS_ST_HANDSHAKE)
        return handshake(c);
    return TLS_OK;
}

int tls_conn_read(struct tls_conn *c, void *buf, size_t cap)
{
    if (c->state == TLS_ST_FAILED || c->state == TLS_ST_CLOSED)
        return dead(c);
    if (c->state == TLS_ST_HANDSHAKE) {
        int r = handshake(c);
        if (r != TLS_OK)
            return r;
        if (c->state == TLS_ST_HANDSHAKE)
            return TLS_WANT;
    }
    if (c->reneg)
        return fail(c, "client attempted renegotiation (refused)");
    if (cap == 0)
        return TLS_WANT;
    if (cap > INT_MAX)
        cap = INT_MAX;
    ERR_clear_error();
    size_t got = 0;
    int ok = SSL_read_ex(c->ssl, buf, cap, &got);
    if (drain_out(c) != TLS_OK)
        return TLS_ERR;
    if (ok == 1)
        return (int)got;
    if (c->reneg)
        return fail(c, "client attempted renegotiation (refused)");
    return ssl_result(c, ok, "TLS read failed");
}

int tls_conn_write(struct tls_conn *c, const void *data, size_t len)
{
    if (c->state != TLS_ST_OPEN) {
        if (c->state == TLS_ST_HANDSHAKE && c->err[0] == '\0')
            snprintf(c->err, sizeof c->err, "%s", "write before the handshake completed");
        return TLS_ERR;
    }
    if (len == 0)
        return TLS_OK;
    ERR_clear_error();
    size_t written = 0;
    int ok = SSL_write_ex(c->ssl, data, len, &written);
    if (drain_out(c) != TLS_OK)
        return TLS_ERR;
    if (ok != 1 || written != len)
        return fail(c, "TLS write failed");
    return TLS_OK;
}

int tls_conn_shutdown(struct tls_conn *c)
{
    if (c->state != TLS_ST_OPEN && c->state != TLS_ST_CLOSED)
        return TLS_ERR;
    ERR_clear_error();
    SSL_shutdown(c->ssl); /* 0: our close_notify is queued; we do not wait for theirs */
    ERR_clear_error();
    return drain_out(c);
}

void tls_conn_pending_out(struct tls_conn *c, const unsigned char **ptr, size_t *len)
{
    *ptr = (const unsigned char *)(c->out.data ? c->out.data : "");
    *len = c->out.len;
}

void tls_conn_consume_out(struct tls_conn *c, size_t n)
{
    if (n > c->out.len)
        n = c->out.len;
    au_buf_consume(&c->out, n);
}

bool tls_conn_handshake_done(const struct tls_conn *c)
{
    return c->state == TLS_ST_OPEN || c->state == TLS_ST_CLOSED;
}

const char *tls_conn_version(const struct tls_conn *c)
{
    return tls_conn_handshake_done(c) ? SSL_get_version(c->ssl) : NULL;
}

const char *tls_conn_version_gmail(const struct tls_conn *c)
{
    if (!tls_conn_handshake_done(c))
        return NULL;
    switch (SSL_version(c->ssl)) {
    case TLS1_3_VERSION:
        return "TLS1_3";
    case TLS1_2_VERSION:
        return "TLS1_2";
    default:
        return "UNKNOWN"; /* unreachable: the context allows 1.2 and 1.3 only */
    }
}

const char *tls_conn_cipher(const struct tls_conn *c)
{
    if (!tls_conn_handshake_done(c))
        return NULL;
    const SSL_CIPHER *cipher = SSL_get_current_cipher(c->ssl);
    return cipher ? SSL_CIPHER_get_name(cipher) : NULL;
}

int tls_conn_bits(const struct tls_conn *c, int *alg_bits)
{
    int alg = 0, secret = 0;
    const SSL_CIPHER *cipher = tls_conn_handshake_done(c) ? SSL_get_current_cipher(c->ssl) : NULL;
    if (cipher)
        secret = SSL_CIPHER_get_bits(cipher, &alg);
    if (alg_bits)
        *alg_bits = alg;
    return secret;
}

const char *tls_conn_error(const struct tls_conn *c)
{
    return c->err;
}
