/*
 * fuzz_tls - libFuzzer target for the TLS engine's input side (smtpd/tls.c):
 * arbitrary ciphertext, delivered in chunks whose sizes the input chooses,
 * into a fresh server connection, which is then freed in whatever state it
 * reached. Catches crashes, over-reads and leaks in feed/read/free, and
 * checks that a failed connection stays failed with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tls.h"

#define FUZZ_TLS_READ_BUF 4096

static struct tls_ctx *ctx;
static char dir[64];

static void cleanup(void)
{
    tls_ctx_free(ctx);
    char path[128];
    snprintf(path, sizeof path, "%s/authsink-tls-cert.pem", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/authsink-tls-key.pem", dir);
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[TLS_ERR_MAX];
    snprintf(dir, sizeof dir, "/tmp/authsink-fuzz-tls-XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
    ctx = tls_ctx_new_self_signed("fuzz.authsink.test", dir, TLS_KEY_EC_P256, err, sizeof err);
    if (ctx == NULL) {
        fprintf(stderr, "fuzz_tls: %s\n", err);
        abort();
    }
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tls_conn *c = tls_conn_new(ctx);
    unsigned char plain[FUZZ_TLS_READ_BUF];
    size_t off = 0;
    bool failed = false;
    while (off < size) {
        /* The first byte of each step says how many of the next bytes to feed. */
        size_t n = (size_t)data[off++] + 1;
        if (n > size - off)
            n = size - off;
        int r = tls_conn_feed(c, data + off, n);
        off += n;
        while (r == TLS_OK && (r = tls_conn_read(c, plain, sizeof plain)) > 0)
            r = TLS_OK;
        if (r == TLS_ERR) {
            if (tls_conn_error(c)[0] == '\0')
                abort();
            failed = true;
        } else if (failed) {
            abort(); /* an error must be sticky */
        }
        const unsigned char *out;
        size_t len;
        tls_conn_pending_out(c, &out, &len);
        tls_conn_consume_out(c, len);
    }
    tls_conn_free(c);
    return 0;
}
