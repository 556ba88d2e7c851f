/*
 * conf_dkim_arc_canon - the ValiMail ARC signing suite (shared/conformance/
 * arc-valimail-sign) used as relaxed-canonicalization vectors for DKIM: an
 * ARC-Message-Signature is a DKIM signature with another field name (RFC
 * 8617 4.1.2), so for each of the 17 cases (but no_additional_sig, which
 * expects no signature at all):
 *   1. our relaxed body hash equals the AMS bh=;
 *   2. our header canonicalization and RSA signing, over the fields h=
 *      names plus the AMS itself with b= emptied, reproduce the AMS b=
 *      byte for byte (RSA PKCS#1 v1.5 is deterministic);
 *   3. our verifier, set to the ARC-Message-Signature field, passes it.
 * The AMS text is put in the header as the suite's README says (its lines
 * folded with CRLF SP; relaxed canonicalization makes the layout moot).
 * Usage: conf_dkim_arc_canon CONFORMANCE_DIR.  Exit 1 on failure.
 */
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "../dkim_fixture.h"
#include "dkim_canon.h"
#include "dkim_sign.h"
#include "dkim_tag.h"

static int passed, failed, cases, skipped;

static void check(bool ok, const char *name, const char *what, const char *detail)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL %s: %s%s%s\n", name, what, detail ? ": " : "", detail ? detail : "");
}

static char *scalar(struct fy_node *map, const char *key)
{
    size_t len;
    const char *s = fy_node_mapping_lookup_scalar_by_simple_key(map, &len, key, FY_NT);
    return s ? au_xstrndup(s, len) : NULL;
}

struct fields {
    struct au_buf hdr;
    struct au_dkim_field f[256];
    size_t off[256], noff[256], len[256], nlen[256];
    size_t n;
    struct au_dkim_body_canon bc;
    EVP_MD_CTX *md;
};

static void on_field(void *arg, struct au_slice name, struct au_slice raw)
{
    struct fields *F = arg;
    if (F->n >= 256)
        return;
    F->off[F->n] = F->hdr.len;
    F->noff[F->n] = F->hdr.len + (size_t)(name.ptr - raw.ptr);
    F->len[F->n] = raw.len;
    F->nlen[F->n] = name.len;
    au_buf_append(&F->hdr, raw.ptr, raw.len);
    F->n++;
}

static void md_out(void *arg, const void *p, size_t n)
{
    EVP_DigestUpdate(arg, p, n);
}

static void on_body(void *arg, const char *p, size_t n)
{
    au_dkim_body_canon_feed(&((struct fields *)arg)->bc, p, n);
}

static void run_case(const char *name, struct fy_node *t, EVP_PKEY *key, struct fx_dns *dns)
{
    cases++;
    char *message = scalar(t, "message"), *ams = scalar(t, "AMS");
    if (message == NULL || ams == NULL) {
        check(false, name, "case has message and AMS", NULL);
        free(message);
        free(ams);
        return;
    }
    if (strspn(ams, " \n") == strlen(ams)) {
        /* The case expects no new signature (no_additional_sig): no vector. */
        skipped++;
        free(message);
        free(ams);
        return;
    }
    size_t mlen;
    char *msg = fx_crlf(message, strlen(message), &mlen);

    /* The AMS field: lines folded with CRLF SP, no final empty fold. */
    struct au_buf field;
    au_buf_init(&field, AU_BUF_NOLIMIT);
    au_buf_puts(&field, "ARC-Message-Signature: ");
    size_t alen = strlen(ams);
    while (alen > 0 && (ams[alen - 1] == '\n' || ams[alen - 1] == ' '))
        alen--;
    for (size_t i = 0; i < alen; i++) {
        if (ams[i] == '\n')
            au_buf_puts(&field, "\r\n ");
        else
            au_buf_putc(&field, ams[i]);
    }
    au_buf_puts(&field, "\r\n");
    const char *colon = strchr(field.data, ':');
    struct au_slice text = au_slice_make(colon + 1, field.len - (size_t)(colon + 1 - field.data));
    static struct au_dkim_sig sig;
    struct au_dkim_sig_opts arc = {.arc = true};
    char err[200] = "";
    if (au_dkim_tag_sig_parse(text, &arc, &sig, err, sizeof err) != 0) {
        check(false, name, "AMS parses", err);
        goto out;
    }
    check(sig.hc == AU_DKIM_CANON_RELAXED && sig.bc == AU_DKIM_CANON_RELAXED, name,
          "AMS is relaxed/relaxed", NULL);

    /* 1. body hash */
    struct fields *F = calloc(1, sizeof *F);
    au_buf_init(&F->hdr, AU_BUF_NOLIMIT);
    F->md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(F->md, EVP_sha256(), NULL);
    au_dkim_body_canon_init(&F->bc, AU_DKIM_CANON_RELAXED, sig.l, md_out, F->md);
    struct au_msg_sink sink = {.field = on_field, .body = on_body, .arg = F};
    struct au_msg *m = au_msg_new(&sink);
    au_msg_feed(m, msg, mlen);
    au_msg_finish(m);
    au_msg_free(m);
    au_dkim_body_canon_finish(&F->bc);
    uint8_t bh[32];
    unsigned bhlen;
    EVP_DigestFinal_ex(F->md, bh, &bhlen);
    char got[64], want[64];
    EVP_EncodeBlock((unsigned char *)got, bh, 32);
    EVP_EncodeBlock((unsigned char *)want, sig.bh_raw, (int)sig.bh_len);
    char detail[200];
    snprintf(detail, sizeof detail, "want bh=%s, got %s", want, got);
    check(sig.bh_len == 32 && memcmp(bh, sig.bh_raw, 32) == 0, name, "body hash", detail);

    /* 2. header hash and signature, reproduced */
    for (size_t i = 0; i < F->n; i++) {
        F->f[i].raw = au_slice_make(F->hdr.data + F->off[i], F->len[i]);
        F->f[i].name = au_slice_make(F->hdr.data + F->noff[i], F->nlen[i]);
    }
    struct au_buf hashed, stripped;
    au_buf_init(&hashed, AU_BUF_NOLIMIT);
    au_buf_init(&stripped, AU_BUF_NOLIMIT);
    au_dkim_canon_signed_headers(AU_DKIM_CANON_RELAXED, F->f, F->n, sig.hnames, sig.nh, SIZE_MAX,
                                 &hashed);
    size_t toff = (size_t)(text.ptr - field.data);
    au_buf_append(&stripped, field.data, toff + sig.b_voff);
    au_buf_append(&stripped, field.data + toff + sig.b_vend, field.len - toff - sig.b_vend);
    au_dkim_canon_header(AU_DKIM_CANON_RELAXED, au_buf_slice(&stripped), true, &hashed);
    uint8_t dg[32], out[512];
    unsigned dlen;
    EVP_Digest(hashed.data, hashed.len, dg, &dlen, EVP_sha256(), NULL);
    size_t olen = sizeof out;
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    bool signed_ok = pc && EVP_PKEY_sign_init(pc) == 1 &&
                     EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
                     EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1 &&
                     EVP_PKEY_sign(pc, out, &olen, dg, dlen) == 1;
    EVP_PKEY_CTX_free(pc);
    check(signed_ok && olen == sig.b_len && memcmp(out, sig.b_raw, olen) == 0, name,
          "our canonical header data signed gives the AMS b=", NULL);

    /* 3. the verifier, on the ARC-Message-Signature field */
    struct au_dkim_config cfg;
    au_dkim_config_default(&cfg);
    cfg.field_name = "ARC-Message-Signature";
    struct au_buf whole;
    au_buf_init(&whole, AU_BUF_NOLIMIT);
    au_buf_append(&whole, field.data, field.len);
    au_buf_append(&whole, msg, mlen);
    struct au_dkim_verify *v = au_dkim_verify_new(&cfg, 1700000000);
    fx_run(v, whole.data, whole.len, 0, dns);
    const struct au_dkim_sig_result *r =
        au_dkim_verify_count(v) ? au_dkim_verify_result(v, 0) : NULL;
    check(r && r->result == AU_RESULT_PASS, name, "verifier passes the AMS",
          r ? r->reason : "none");
    au_dkim_verify_free(v);
    au_buf_free(&whole);
    au_buf_free(&hashed);
    au_buf_free(&stripped);
    au_buf_free(&F->hdr);
    EVP_MD_CTX_free(F->md);
    free(F);
out:
    au_buf_free(&field);
    free(msg);
    free(message);
    free(ams);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: conf_dkim_arc_canon CONFORMANCE_DIR\n");
        return 2;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/arc-valimail-sign/files/tests/arc-draft-sign-tests.yml",
             argv[1]);
    struct fy_parse_cfg pcfg = {0};
    struct fy_parser *fyp = fy_parser_create(&pcfg);
    if (fyp == NULL || fy_parser_set_input_file(fyp, path) != 0) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    struct fy_document *fyd;
    while ((fyd = fy_parse_load_document(fyp)) != NULL) {
        struct fy_node *root = fy_document_root(fyd);
        char *pem = scalar(root, "privatekey");
        char err[200] = "";
        EVP_PKEY *key = pem ? au_dkim_sign_load_key(pem, strlen(pem), err, sizeof err) : NULL;
        check(key != NULL, "scenario", "private key loads", err);
        struct fx_dns dns = {0};
        struct fy_node *txt = fy_node_mapping_lookup_by_string(root, "txt-records", FY_NT);
        void *it = NULL;
        struct fy_node_pair *pair;
        while (txt && (pair = fy_node_mapping_iterate(txt, &it)) != NULL) {
            size_t kl, vl;
            const char *k = fy_node_get_scalar(fy_node_pair_key(pair), &kl);
            const char *val = fy_node_get_scalar(fy_node_pair_value(pair), &vl);
            char *name = au_xstrndup(k, kl), *rec = au_xmalloc(vl + 1);
            size_t o = 0;
            for (size_t i = 0; i < vl; i++)
                if (val[i] != '\n')
                    rec[o++] = val[i];
            rec[o] = '\0';
            fx_dns_add(&dns, name, FX_TXT, rec);
            free(name);
            free(rec);
        }
        struct fy_node *tests = fy_node_mapping_lookup_by_string(root, "tests", FY_NT);
        it = NULL;
        while (key && tests && (pair = fy_node_mapping_iterate(tests, &it)) != NULL) {
            size_t kl;
            const char *k = fy_node_get_scalar(fy_node_pair_key(pair), &kl);
            char *name = au_xstrndup(k, kl);
            run_case(name, fy_node_pair_value(pair), key, &dns);
            free(name);
        }
        fx_dns_free(&dns);
        EVP_PKEY_free(key);
        free(pem);
        fy_parse_document_destroy(fyp, fyd);
    }
    fy_parser_destroy(fyp);
    printf(
        "conf_dkim_arc_canon: %d cases (%d without an AMS to check), %d checks passed, %d failed\n",
        cases, skipped, passed, failed);
    return failed || cases != 17 || skipped > 1 ? 1 : 0;
}
