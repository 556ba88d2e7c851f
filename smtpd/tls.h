/*
 * tls - a sans-I/O TLS server engine (OpenSSL 3 over memory BIOs) for
 * STARTTLS (RFC 3207), independent of libuv.
 *
 * The caller owns the socket.  Ciphertext read from it goes in with
 * tls_conn_feed; decrypted bytes come out of tls_conn_read; replies go in with
 * tls_conn_write; and whatever TLS wants sent (handshake messages, records,
 * alerts) waits in an output buffer the caller drains with
 * tls_conn_pending_out / tls_conn_consume_out.  Nothing here blocks, reads a
 * socket or knows about the event loop.
 *
 * The driving rule, after every tls_conn_feed:
 *   1. call tls_conn_read until it returns TLS_WANT or less (a client may
 *      send its first command in the same segment as its Finished);
 *   2. send everything tls_conn_pending_out shows, then consume it;
 *   3. on TLS_ERR or TLS_CLOSED, still send what is pending (an alert, a
 *      close_notify), then close the socket and tls_conn_free.
 *
 * A tls_ctx is built once at start (it may load and write files then) and
 * shared, read-only, by every connection of every loop thread.
 */
#ifndef SMTPD_TLS_H
#define SMTPD_TLS_H

#include <stdbool.h>
#include <stddef.h>

/* Room the caller should give an error message buffer. */
#define TLS_ERR_MAX 256
/* Ciphertext waiting to be sent may not grow beyond this (a peer that never
 * reads while we write is cut off rather than buffered without end). */
#define TLS_MAX_PENDING_OUT (1024 * 1024)
/* Self-signed certificates are valid this long from one hour before now. */
#define TLS_SELF_SIGNED_DAYS 365

/* tls_conn_feed / tls_conn_read / tls_conn_write results. */
#define TLS_OK 0
#define TLS_WANT 0      /* tls_conn_read: no plaintext yet, feed more */
#define TLS_ERR (-1)    /* handshake or protocol failure: tls_conn_error says why */
#define TLS_CLOSED (-2) /* the peer sent close_notify */

enum tls_key_type {
    TLS_KEY_RSA2048, /* what Gmail's Received examples show (ECDHE-RSA-...) */
    TLS_KEY_EC_P256,
};

struct tls_ctx;
struct tls_conn;

/* A server context from a PEM certificate chain and a PEM private key.
 * TLS 1.2 minimum, 1.3 maximum, renegotiation off. Returns NULL with a
 * message in err (errlen bytes, may be 0) when the files do not load or the
 * key does not match the certificate. */
struct tls_ctx *tls_ctx_new(const char *cert_file, const char *key_file, char *err, size_t errlen);
/* Generates a key (type) and a self-signed certificate for hostname (CN and
 * subjectAltName; an IP literal becomes an IP SAN), writes them as PEM into
 * dir (created 0700 if missing; key file 0600) and loads them as tls_ctx_new.
 * The paths written are tls_ctx_cert_file / tls_ctx_key_file. NULL + err on
 * failure. */
struct tls_ctx *tls_ctx_new_self_signed(const char *hostname, const char *dir,
                                        enum tls_key_type type, char *err, size_t errlen);
/* The certificate and key files the context was built from. */
const char *tls_ctx_cert_file(const struct tls_ctx *ctx);
const char *tls_ctx_key_file(const struct tls_ctx *ctx);
/* Frees the context; connections made from it keep what they need. NULL is a no-op. */
void tls_ctx_free(struct tls_ctx *ctx);

/* A server-side connection in its handshake, waiting for the ClientHello. */
struct tls_conn *tls_conn_new(struct tls_ctx *ctx);
/* Frees the connection in any state (mid-handshake, open, failed). NULL is a no-op. */
void tls_conn_free(struct tls_conn *c);

/* Takes len bytes of ciphertext from the socket and advances the handshake.
 * Returns TLS_OK, TLS_ERR (handshake failed, or already failed), or
 * TLS_CLOSED. Always accepts the bytes; follow with tls_conn_read. */
int tls_conn_feed(struct tls_conn *c, const void *data, size_t len);
/* Copies up to cap bytes of plaintext into buf. Returns the count (> 0),
 * TLS_WANT (nothing yet: feed more), TLS_ERR or TLS_CLOSED. A renegotiation
 * attempt is refused (OpenSSL answers no_renegotiation) and yields TLS_ERR. */
int tls_conn_read(struct tls_conn *c, void *buf, size_t cap);
/* Encrypts len bytes of plaintext into the output buffer. Only once the
 * handshake is done. Returns TLS_OK or TLS_ERR. */
int tls_conn_write(struct tls_conn *c, const void *data, size_t len);
/* Queues a close_notify alert (best effort). Returns TLS_OK or TLS_ERR. */
int tls_conn_shutdown(struct tls_conn *c);

/* The ciphertext waiting to be sent: *ptr, *len (0 when none). The pointer is
 * valid until the next call on c other than these two; copy the bytes before
 * handing them to an asynchronous write. */
void tls_conn_pending_out(struct tls_conn *c, const unsigned char **ptr, size_t *len);
/* Drops the first n (<= pending length) bytes of the output, once sent. */
void tls_conn_consume_out(struct tls_conn *c, size_t n);

/* True once the handshake has completed (and not failed). */
bool tls_conn_handshake_done(const struct tls_conn *c);
/* OpenSSL's protocol name, "TLSv1.3" / "TLSv1.2", for the JSON event; NULL
 * before the handshake is done. */
const char *tls_conn_version(const struct tls_conn *c);
/* Gmail's form for the Received header, "TLS1_3" / "TLS1_2"; NULL before. */
const char *tls_conn_version_gmail(const struct tls_conn *c);
/* The cipher's OpenSSL name ("TLS_AES_256_GCM_SHA384",
 * "ECDHE-RSA-AES128-GCM-SHA256"); NULL before the handshake is done. */
const char *tls_conn_cipher(const struct tls_conn *c);
/* The cipher's secret bits, and in *alg_bits (may be NULL) the algorithm's;
 * 0 before the handshake is done. Received shows "bits=<secret>/<alg>". */
int tls_conn_bits(const struct tls_conn *c, int *alg_bits);
/* Why the connection failed ("" when it has not). */
const char *tls_conn_error(const struct tls_conn *c);

#endif
