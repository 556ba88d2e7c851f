/*
 * test_tls - the sans-I/O TLS server engine against a real OpenSSL client,
 * both in memory: bytes are pumped between the client's memory BIOs and
 * tls_conn_feed / tls_conn_pending_out, no sockets.
 *
 * Expected negotiation results are external: TLS 1.3 with
 * TLS_AES_256_GCM_SHA384 bits=256/256, and TLS 1.2 with
 * ECDHE-RSA-AES128-GCM-SHA256 / ECDHE-ECDSA-AES128-GCM-SHA256 bits=128/128,
 * are what Gmail's Received headers show (shared/gmail/REFERENCE.md 5.1);
 * the version names are OpenSSL's ("TLSv1.3") and Gmail's ("TLS1_3").
 * Leaks at any state are caught by LeakSanitizer (the tests run under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"

#define HOST "mx.authsink.test"
#define PUMP_ROUNDS 200
#define GOT_MAX (512 * 1024)

struct fixture {
    char dir[64];
    struct tls_ctx *rsa; /* self-signed RSA 2048 in dir/rsa */
    struct tls_ctx *ec;  /* self-signed P-256 in dir/ec */
    char rsa_dir[96], ec_dir[96];
};

static struct fixture fx;

static void rm_dir(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/authsink-tls-cert.pem", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/authsink-tls-key.pem", dir);
    unlink(path);
    rmdir(dir);
}

static int setup(void **state)
{
    char err[TLS_ERR_MAX];
    snprintf(fx.dir, sizeof fx.dir, "/tmp/authsink-test-tls-XXXXXX");
    if (mkdtemp(fx.dir) == NULL)
        return -1;
    snprintf(fx.rsa_dir, sizeof fx.rsa_dir, "%s/rsa", fx.dir);
    snprintf(fx.ec_dir, sizeof fx.ec_dir, "%s/ec", fx.dir);
    fx.rsa = tls_ctx_new_self_signed(HOST, fx.rsa_dir, TLS_KEY_RSA2048, err, sizeof err);
    if (fx.rsa == NULL) {
        fprintf(stderr, "rsa: %s\n", err);
        return -1;
    }
    fx.ec = tls_ctx_new_self_signed(HOST, fx.ec_dir, TLS_KEY_EC_P256, err, sizeof err);
    if (fx.ec == NULL) {
        fprintf(stderr, "ec: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    tls_ctx_free(fx.rsa);
    tls_ctx_free(fx.ec);
    rm_dir(fx.rsa_dir);
    rm_dir(fx.ec_dir);
    rmdir(fx.dir);
    return 0;
}

/* ---- an OpenSSL client over memory BIOs, and the pump ------------------- */

struct pipe {
    struct tls_conn *srv;
    SSL_CTX *cctx;
    SSL *cli;
    BIO *cli_in;        /* server -> client */
    BIO *cli_out;       /* client -> server */
    unsigned char *got; /* plaintext the server read */
    size_t got_len;
    int srv_last; /* the last negative server result, 0 if none */
};

/* A client trusting the given certificate as its only anchor and checking
 * the host name, limited to [min, max] protocol versions. */
static void pipe_open(struct pipe *p, struct tls_ctx *ctx, const char *ca_file, int min, int max)
{
    memset(p, 0, sizeof *p);
    p->srv = tls_conn_new(ctx);
    p->got = malloc(GOT_MAX);
    assert_non_null(p->got);
    p->cctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(p->cctx);
    if (min < TLS1_2_VERSION) {
        /* Old protocols are below every security level OpenSSL 3 keeps on. */
        SSL_CTX_set_security_level(p->cctx, 0);
        assert_int_equal(SSL_CTX_set_cipher_list(p->cctx, "DEFAULT:@SECLEVEL=0"), 1);
    }
    assert_int_equal(SSL_CTX_set_min_proto_version(p->cctx, min), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(p->cctx, max), 1);
    if (ca_file) {
        assert_int_equal(SSL_CTX_load_verify_locations(p->cctx, ca_file, NULL), 1);
        SSL_CTX_set_verify(p->cctx, SSL_VERIFY_PEER, NULL);
    }
    p->cli = SSL_new(p->cctx);
    assert_non_null(p->cli);
    p->cli_in = BIO_new(BIO_s_mem());
    p->cli_out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(p->cli_in, -1);
    SSL_set_bio(p->cli, p->cli_in, p->cli_out);
    SSL_set_connect_state(p->cli);
    SSL_set_tlsext_host_name(p->cli, HOST);
    if (ca_file)
        assert_int_equal(SSL_set1_host(p->cli, HOST), 1);
}

static void pipe_close(struct pipe *p)
{
    tls_conn_free(p->srv);
    SSL_free(p->cli);
    SSL_CTX_free(p->cctx);
    free(p->got);
    ERR_clear_error();
}

/* Moves the client's output into the server (byte by byte when split), lets
 * the server read all the plaintext it can, and moves its output back. */
static bool pump_once(struct pipe *p, bool split)
{
    bool moved = false;
    unsigned char buf[16384];
    int n;
    while ((n = BIO_read(p->cli_out, buf, sizeof buf)) > 0) {
        moved = true;
        for (int off = 0; off < n;) {
            int step = split ? 1 : n - off;
            int r = tls_conn_feed(p->srv, buf + off, (size_t)step);
            if (r < 0)
                p->srv_last = r;
            off += step;
        }
    }
    for (;;) {
        int r = tls_conn_read(p->srv, p->got + p->got_len, GOT_MAX - p->got_len);
        if (r > 0) {
            p->got_len += (size_t)r;
            continue;
        }
        if (r < 0)
            p->srv_last = r;
        break;
    }
    const unsigned char *ptr;
    size_t len;
    tls_conn_pending_out(p->srv, &ptr, &len);
    if (len > 0) {
        assert_int_equal(BIO_write(p->cli_in, ptr, (int)len), (int)len);
        tls_conn_consume_out(p->srv, len);
        moved = true;
    }
    return moved;
}

/* Runs the client's handshake and the pump until nothing moves. */
static void pump(struct pipe *p, bool split)
{
    for (int round = 0; round < PUMP_ROUNDS; round++) {
        if (!SSL_is_init_finished(p->cli))
            SSL_do_handshake(p->cli);
        if (!pump_once(p, split))
            break;
    }
    ERR_clear_error();
}

/* Reads whatever plaintext the client has, up to cap. */
static size_t client_read(struct pipe *p, unsigned char *buf, size_t cap)
{
    size_t total = 0, got;
    while (total < cap && SSL_read_ex(p->cli, buf + total, cap - total, &got) == 1)
        total += got;
    ERR_clear_error();
    return total;
}

static void exchange(struct pipe *p)
{
    /* client -> server */
    const char *ehlo = "EHLO client.example\r\n";
    size_t w;
    assert_int_equal(SSL_write_ex(p->cli, ehlo, strlen(ehlo), &w), 1);
    pump(p, false);
    assert_int_equal(p->got_len, strlen(ehlo));
    assert_memory_equal(p->got, ehlo, strlen(ehlo));

    /* server -> client */
    const char *reply = "250-mx.google.com at your service\r\n250 SMTPUTF8\r\n";
    assert_int_equal(tls_conn_write(p->srv, reply, strlen(reply)), TLS_OK);
    pump(p, false);
    unsigned char in[256];
    assert_int_equal(client_read(p, in, sizeof in), strlen(reply));
    assert_memory_equal(in, reply, strlen(reply));

    /* A message body bigger than many records, both ways. */
    size_t big = 200 * 1024;
    unsigned char *data = malloc(big), *back = malloc(big);
    assert_non_null(data);
    assert_non_null(back);
    for (size_t i = 0; i < big; i++)
        data[i] = (unsigned char)(i * 7 + i / 251);
    p->got_len = 0;
    assert_int_equal(SSL_write_ex(p->cli, data, big, &w), 1);
    pump(p, false);
    assert_int_equal(p->got_len, big);
    assert_memory_equal(p->got, data, big);
    assert_int_equal(tls_conn_write(p->srv, data, big), TLS_OK);
    pump(p, false);
    assert_int_equal(client_read(p, back, big), big);
    assert_memory_equal(back, data, big);
    free(data);
    free(back);
}

static void assert_negotiated(struct pipe *p, const char *version, const char *gmail,
                              const char *cipher, int bits)
{
    assert_true(SSL_is_init_finished(p->cli));
    assert_int_equal(SSL_get_verify_result(p->cli), X509_V_OK);
    assert_int_equal(p->srv_last, 0);
    assert_true(tls_conn_handshake_done(p->srv));
    assert_string_equal(tls_conn_version(p->srv), version);
    assert_string_equal(tls_conn_version_gmail(p->srv), gmail);
    assert_string_equal(tls_conn_cipher(p->srv), cipher);
    int alg = 0;
    assert_int_equal(tls_conn_bits(p->srv, &alg), bits);
    assert_int_equal(alg, bits);
    assert_string_equal(tls_conn_error(p->srv), "");
}

/* ---- tests -------------------------------------------------------------- */

static void test_tls13(void **state)
{
    struct pipe p;
    pipe_open(&p, fx.rsa, tls_ctx_cert_file(fx.rsa), TLS1_2_VERSION, TLS1_3_VERSION);
    assert_false(tls_conn_handshake_done(p.srv));
    assert_null(tls_conn_version(p.srv));
    assert_null(tls_conn_cipher(p.srv));
    assert_int_equal(tls_conn_bits(p.srv, NULL), 0);
    pump(&p, false);
    assert_negotiated(&p, "TLSv1.3", "TLS1_3", "TLS_AES_256_GCM_SHA384", 256);
    exchange(&p);
    pipe_close(&p);
}

static void test_tls12_rsa(void **state)
{
    struct pipe p;
    pipe_open(&p, fx.rsa, tls_ctx_cert_file(fx.rsa), TLS1_2_VERSION, TLS1_2_VERSION);
    pump(&p, false);
    assert_negotiated(&p, "TLSv1.2", "TLS1_2", "ECDHE-RSA-AES128-GCM-SHA256", 128);
    exchange(&p);
    pipe_close(&p);
}

static void test_tls12_ec(void **state)
{
    struct pipe p;
    pipe_open(&p, fx.ec, tls_ctx_cert_file(fx.ec), TLS1_2_VERSION, TLS1_2_VERSION);
    pump(&p, false);
    assert_negotiated(&p, "TLSv1.2", "TLS1_2", "ECDHE-ECDSA-AES128-GCM-SHA256", 128);
    exchange(&p);
    pipe_close(&p);
}

/* Ciphertext arriving one byte per read (TCP may do that) still works. */
static void test_split_delivery(void **state)
{
    struct pipe p;
    pipe_open(&p, fx.ec, tls_ctx_cert_file(fx.ec), TLS1_2_VERSION, TLS1_3_VERSION);
    pump(&p, true);
    assert_negotiated(&p, "TLSv1.3", "TLS1_3", "TLS_AES_256_GCM_SHA384", 256);
    size_t w;
    assert_int_equal(SSL_write_ex(p.cli, "QUIT\r\n", 6, &w), 1);
    pump(&p, true);
    assert_int_equal(p.got_len, 6);
    assert_memory_equal(p.got, "QUIT\r\n", 6);
    pipe_close(&p);
}

/* A client speaking only TLS 1.1 gets a protocol_version alert. */
static void test_tls11_refused(void **state)
{
    struct pipe p;
    pipe_open(&p, fx.rsa, NULL, TLS1_1_VERSION, TLS1_1_VERSION);
    pump(&p, false);
    assert_int_equal(p.srv_last, TLS_ERR);
    assert_false(tls_conn_handshake_done(p.srv));
    assert_null(tls_conn_version_gmail(p.srv));
    assert_non_null(strstr(tls_conn_error(p.srv), "unsupported protocol"));
    assert_false(SSL_is_init_finished(p.cli));
    /* The failure is sticky, and the alert was delivered. */
    assert_int_equal(tls_conn_feed(p.srv, "x", 1), TLS_ERR);
    unsigned char b[8];
    assert_int_equal(tls_conn_read(p.srv, b, sizeof b), TLS_ERR);
    assert_int_equal(tls_conn_write(p.srv, "x", 1), TLS_ERR);
    pipe_close(&p);
}

/* Plaintext SMTP, HTTP or noise instead of a ClientHello: an error, no leak. */
static void test_garbage(void **state)
{
#define IN(s)                                                                                      \
    {                                                                                              \
        s, sizeof s - 1                                                                            \
    }
    static const struct {
        const char *p;
        size_t n;
    } inputs[] = {
        IN("EHLO client.example\r\nMAIL FROM:<a@b>\r\n"),
        IN("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        IN("\x16\x03\x01\x01\x2c\x01\x00\x01\x28"),     /* a ClientHello record cut short */
        IN("\x16\x03\x01\xff\xff garbage length"),      /* beyond the 2^14+2048 record limit */
        IN("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"), /* a ClientHello far too short */
        IN("\x15\x03\x03\x00\x02\x02\x28"),             /* a fatal alert first */
        IN("\x17\x03\x03\x00\x05hello"),                /* application data first */
    };
#undef IN
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        struct tls_conn *c = tls_conn_new(fx.rsa);
        int r = tls_conn_feed(c, inputs[i].p, inputs[i].n);
        unsigned char b[64];
        if (r == TLS_OK) /* a record not yet complete: the rest never comes */
            r = tls_conn_read(c, b, sizeof b);
        if (i == 2) {
            /* A record announcing 300 bytes waits for them... */
            assert_int_equal(r, TLS_WANT);
            assert_string_equal(tls_conn_error(c), "");
        } else {
            if (r != TLS_ERR)
                fail_msg("input %zu: %d", i, r);
            assert_true(tls_conn_error(c)[0] != '\0');
            assert_false(tls_conn_handshake_done(c));
        }
        tls_conn_free(c); /* ...and is freed half-read */
    }
    /* 64 KiB of noise. */
    struct tls_conn *c = tls_conn_new(fx.rsa);
    unsigned char *noise = malloc(65536);
    assert_non_null(noise);
    for (size_t i = 0; i < 65536; i++)
        noise[i] = (unsigned char)(i * 131 + 17);
    assert_int_equal(tls_conn_feed(c, noise, 65536), TLS_ERR);
    free(noise);
    tls_conn_free(c);
    ERR_clear_error();
}

/* A client that vanishes at each point of the handshake: freeing is clean. */
static void test_vanish_mid_handshake(void **state)
{
    for (int steps = 0; steps < 4; steps++) {
        struct pipe p;
        pipe_open(&p, fx.rsa, tls_ctx_cert_file(fx.rsa), TLS1_2_VERSION,
                  steps % 2 ? TLS1_2_VERSION : TLS1_3_VERSION);
        for (int k = 0; k < steps; k++) {
            SSL_do_handshake(p.cli);
            pump_once(&p, false);
        }
        if (steps < 2)
            assert_false(tls_conn_handshake_done(p.srv));
        pipe_close(&p);
    }
    /* Half a ClientHello, then nothing. */
    struct pipe p;
    pipe_open(&p, fx.rsa, NULL, TLS1_2_VERSION, TLS1_3_VERSION);
    SSL_do_handshake(p.cli);
    unsigned char buf[4096];
    int n = BIO_read(p.cli_out, buf, sizeof buf);
    assert_true(n > 10);
    assert_int_equal(tls_conn_feed(p.srv, buf, (size_t)n / 2), TLS_OK);
    unsigned char b[8];
    assert_int_equal(tls_conn_read(p.srv, b, sizeof b), TLS_WANT);
    const unsigned char *ptr;
    size_t len;
    tls_conn_pending_out(p.srv, &ptr, &len);
    assert_int_equal(len, 0);
    pipe_close(&p);
}

/* TLS 1.2 renegotiation by the client is refused and ends the connection. */
static void test_renegotiation_refused(void **state)
{
    struct pipe p;
    pipe_open(&p, fx.rsa, tls_ctx_cert_file(fx.rsa), TLS1_2_VERSION, TLS1_2_VERSION);
    pump(&p, false);
    assert_negotiated(&p, "TLSv1.2", "TLS1_2", "ECDHE-RSA-AES128-GCM-SHA256", 128);
    assert_int_equal(SSL_renegotiate(p.cli), 1);
    SSL_do_handshake(p.cli); /* sends the new ClientHello */
    pump(&p, false);
    assert_int_equal(p.srv_last, TLS_ERR);
    assert_non_null(strstr(tls_conn_error(p.srv), "renegotiation"));
    /* The client did not get a second handshake. */
    unsigned char b[16];
    size_t got = 0;
    assert_int_equal(SSL_read_ex(p.cli, b, sizeof b, &got), 0);
    assert_int_equal(SSL_renegotiate_pending(p.cli), 1);
    pipe_close(&p);
}

/* A TLS 1.3 KeyUpdate is not a renegotiation: data keeps flowing. */
static void test_tls13_key_update_allowed(void **state)
{
    struct pipe p;
    pipe_open(&p, fx.rsa, tls_ctx_cert_file(fx.rsa), TLS1_3_VERSION, TLS1_3_VERSION);
    pump(&p, false);
    assert_negotiated(&p, "TLSv1.3", "TLS1_3", "TLS_AES_256_GCM_SHA384", 256);
    assert_int_equal(SSL_key_update(p.cli, SSL_KEY_UPDATE_REQUESTED), 1);
    size_t w;
    assert_int_equal(SSL_write_ex(p.cli, "NOOP\r\n", 6, &w), 1);
    pump(&p, false);
    assert_int_equal(p.srv_last, 0);
    assert_int_equal(p.got_len, 6);
    assert_int_equal(tls_conn_write(p.srv, "250 OK\r\n", 8), TLS_OK);
    pump(&p, false);
    unsigned char in[16];
    assert_int_equal(client_read(&p, in, sizeof in), 8);
    pipe_close(&p);
}

/* close_notify both ways. */
static void test_close_notify(void **state)
{
    struct pipe p;
    pipe_open(&p, fx.ec, tls_ctx_cert_file(fx.ec), TLS1_2_VERSION, TLS1_3_VERSION);
    pump(&p, false);
    assert_true(tls_conn_handshake_done(p.srv));
    assert_int_equal(tls_conn_shutdown(p.srv), TLS_OK);
    pump(&p, false);
    unsigned char b[16];
    size_t got;
    assert_int_equal(SSL_read_ex(p.cli, b, sizeof b, &got), 0);
    assert_int_equal(SSL_get_error(p.cli, 0), SSL_ERROR_ZERO_RETURN);
    SSL_shutdown(p.cli);
    pump(&p, false);
    assert_int_equal(p.srv_last, TLS_CLOSED);
    assert_int_equal(tls_conn_read(p.srv, b, sizeof b), TLS_CLOSED);
    pipe_close(&p);
}

/* Writing before the handshake is refused; NULL frees are no-ops; a context
 * freed before its connections leaves them working. */
static void test_misc(void **state)
{
    tls_conn_free(NULL);
    tls_ctx_free(NULL);
    char err[TLS_ERR_MAX];
    struct tls_ctx *ctx =
        tls_ctx_new(tls_ctx_cert_file(fx.ec), tls_ctx_key_file(fx.ec), err, sizeof err);
    assert_non_null(ctx);
    struct pipe p;
    pipe_open(&p, ctx, tls_ctx_cert_file(fx.ec), TLS1_2_VERSION, TLS1_3_VERSION);
    assert_int_equal(tls_conn_write(p.srv, "x", 1), TLS_ERR);
    tls_ctx_free(ctx);
    pump(&p, false);
    assert_true(tls_conn_handshake_done(p.srv));
    assert_int_equal(tls_conn_write(p.srv, "y", 1), TLS_OK);
    pipe_close(&p);
}

/* The generated files: the certificate loads, CN and SAN name the host, the
 * key matches and is private to its owner. */
static void test_self_signed_files(void **state)
{
    const char *cert_path = tls_ctx_cert_file(fx.rsa);
    const char *key_path = tls_ctx_key_file(fx.rsa);
    char want[128];
    snprintf(want, sizeof want, "%s/authsink-tls-cert.pem", fx.rsa_dir);
    assert_string_equal(cert_path, want);

    FILE *f = fopen(cert_path, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    char cn[256];
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn) >
                0);
    assert_string_equal(cn, HOST);
    assert_int_equal(X509_check_host(x, HOST, 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL), 1);
    assert_int_equal(X509_check_host(x, "other.test", 0, 0, NULL), 0);
    assert_int_equal(X509_get_version(x), X509_VERSION_3);
    assert_int_equal(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 1);
    assert_true(X509_cmp_current_time(X509_get0_notBefore(x)) < 0);
    assert_true(X509_cmp_current_time(X509_get0_notAfter(x)) > 0);

    f = fopen(key_path, "r");
    assert_non_null(f);
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(key);
    assert_int_equal(EVP_PKEY_get_base_id(key), EVP_PKEY_RSA);
    assert_int_equal(EVP_PKEY_get_bits(key), 2048);
    assert_int_equal(X509_check_private_key(x, key), 1);
    struct stat st;
    assert_int_equal(stat(key_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    EVP_PKEY_free(key);
    X509_free(x);

    f = fopen(tls_ctx_key_file(fx.ec), "r");
    assert_non_null(f);
    key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(key);
    assert_int_equal(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
    EVP_PKEY_free(key);
}

/* An IP literal goes into an iPAddress SAN. */
static void test_self_signed_ip(void **state)
{
    char err[TLS_ERR_MAX], dir[128];
    snprintf(dir, sizeof dir, "%s/ip", fx.dir);
    struct tls_ctx *ctx =
        tls_ctx_new_self_signed("127.0.0.1", dir, TLS_KEY_EC_P256, err, sizeof err);
    assert_non_null(ctx);
    FILE *f = fopen(tls_ctx_cert_file(ctx), "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(x, "127.0.0.2", 0), 0);
    X509_free(x);
    tls_ctx_free(ctx);
    rm_dir(dir);
}

static void test_ctx_errors(void **state)
{
    char err[TLS_ERR_MAX] = "";
    assert_null(tls_ctx_new("/nonexistent/cert.pem", tls_ctx_key_file(fx.rsa), err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/cert.pem"));
    assert_non_null(strstr(err, "No such file or directory"));
    assert_null(tls_ctx_new(tls_ctx_cert_file(fx.rsa), "/nonexistent/key.pem", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/key.pem"));
    /* The RSA certificate with the EC key. */
    err[0] = '\0';
    assert_null(tls_ctx_new(tls_ctx_cert_file(fx.rsa), tls_ctx_key_file(fx.ec), err, sizeof err));
    assert_true(err[0] != '\0');
    /* A key file given as the certificate. */
    assert_null(tls_ctx_new(tls_ctx_key_file(fx.rsa), tls_ctx_key_file(fx.rsa), err, sizeof err));
    /* Names that could smuggle syntax into the certificate are refused. */
    char dir[128];
    snprintf(dir, sizeof dir, "%s/bad", fx.dir);
    assert_null(
        tls_ctx_new_self_signed("a.test,DNS:evil.test", dir, TLS_KEY_EC_P256, err, sizeof err));
    assert_non_null(strstr(err, "not a host name"));
    assert_null(tls_ctx_new_self_signed("", dir, TLS_KEY_EC_P256, err, sizeof err));
    assert_null(tls_ctx_new_self_signed("x.test", "/nonexistent/dir/below", TLS_KEY_EC_P256, err,
                                        sizeof err));
    assert_non_null(strstr(err, "/nonexistent/dir/below"));
    /* A zero-sized error buffer is allowed. */
    assert_null(tls_ctx_new("/nonexistent", "/nonexistent", NULL, 0));
    ERR_clear_error();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls13),
        cmocka_unit_test(test_tls12_rsa),
        cmocka_unit_test(test_tls12_ec),
        cmocka_unit_test(test_split_delivery),
        cmocka_unit_test(test_tls11_refused),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_vanish_mid_handshake),
        cmocka_unit_test(test_renegotiation_refused),
        cmocka_unit_test(test_tls13_key_update_allowed),
        cmocka_unit_test(test_close_notify),
        cmocka_unit_test(test_misc),
        cmocka_unit_test(test_self_signed_files),
        cmocka_unit_test(test_self_signed_ip),
        cmocka_unit_test(test_ctx_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
