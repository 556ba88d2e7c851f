/*
 * cmd_dkim - `authsink dkim keygen|sign|verify` (spec/cli.md).
 *
 * Public: cmd_dkim.
 *
 * The file and clock side of auth/dkim.c and auth/dkim_sign.c: read the
 * message and the key, write the key files, read the clock, look keys up
 * through the DNS options (smtpd/dns_opts.h).  Messages with bare LF line
 * ends are taken as CRLF (a file edited on Unix); sign prints the message
 * back with the line ends it came with.
 *
 * Limits: CLI_MESSAGE_MAX bytes of message (cli_util.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "cmd.h"
#include "dkim.h"
#include "dkim_sign.h"
#include "dns_opts.h"
#include "msg.h"
#include "spf_json.h"
#include "verdict_json.h"
#include "xalloc.h"

#define DKIM_BENCH_SIZE_DEFAULT 10240 /* bytes of the benchmark message */
#define DKIM_BENCH_SECONDS_DEFAULT 3
#define DKIM_BENCH_SECONDS_MAX 600
#define DKIM_BENCH_TXT_STRINGS 16 /* 16 * AU_DKIM_TXT_CHUNK: a 16384-bit RSA record */

/* Writes data to PREFIX.EXT (prefix and ext joined).  A private file is
 * created 0600, never readable by others even for a moment. */
static int write_file(const char *prefix, const char *ext, const struct au_buf *data, bool private)
{
    struct au_buf path;
    au_buf_init(&path, AU_BUF_NOLIMIT);
    au_buf_printf(&path, "%s%s", prefix, ext);
    int rc = -1;
    int fd = open(path.data, O_WRONLY | O_CREAT | O_TRUNC, private ? 0600 : 0666);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "wb");
    if (f == NULL) {
        fprintf(stderr, "authsink: %s: %s\n", path.data, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out;
    }
    if (private)
        fchmod(fd, 0600); /* O_CREAT's mode is not applied to a file already there */
    bool ok = fwrite(data->data, 1, data->len, f) == data->len;
    ok = (fclose(f) == 0) && ok;
    if (!ok)
        fprintf(stderr, "authsink: %s: write error\n", path.data);
    else
        rc = 0;
out:
    au_buf_free(&path);
    return rc;
}

/* --algorithm of keygen and bench: the key type. Returns 0, or -1 when alg
 * names neither. */
static int parse_key_type(const char *alg, enum au_dkim_key_type *type)
{
    if (strcasecmp(alg, "rsa-sha256") == 0 || strcasecmp(alg, "rsa") == 0)
        *type = AU_DKIM_KEY_RSA;
    else if (strcasecmp(alg, "ed25519-sha256") == 0 || strcasecmp(alg, "ed25519") == 0)
        *type = AU_DKIM_KEY_ED25519;
    else
        return -1;
    return 0;
}

/* --bits of keygen and bench. Returns 0, or -1 with the message printed. */
static int parse_bits(const char *arg, unsigned long *bits)
{
    char *end;
    *bits = strtoul(arg, &end, 10);
    if (*end || *bits < AU_DKIM_SIGN_RSA_MIN_BITS || *bits > AU_DKIM_RSA_MAX_BITS) {
        fprintf(stderr, "authsink: --bits must be %d..%d\n", AU_DKIM_SIGN_RSA_MIN_BITS,
                AU_DKIM_RSA_MAX_BITS);
        return -1;
    }
    return 0;
}

static const char keygen_help[] =
    "usage: authsink dkim keygen --selector S --domain D --out PREFIX\n"
    "                            [--algorithm rsa-sha256|ed25519-sha256] [--bits N]\n\n"
    "Makes a DKIM key pair: PREFIX.pem (the private key, PKCS#8 PEM, mode 0600) and\n"
    "PREFIX.txt (the zone-file line to publish at S._domainkey.D, the record split\n"
    "into 255-byte strings).\n\n"
    "  --algorithm A   rsa-sha256 (default) or ed25519-sha256\n"
    "  --bits N        RSA key size, default 2048 (512..16384; under 1024 Gmail\n"
    "                  ignores the signature)\n"
    "  --selector S    the selector (s=)\n"
    "  --domain D      the signing domain (d=)\n"
    "  --out PREFIX    where to write PREFIX.pem and PREFIX.txt\n";

static int keygen(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"algorithm", required_argument, NULL, 'a'},
        {"bits", required_argument, NULL, 'b'},
        {"selector", required_argument, NULL, 's'},
        {"domain", required_argument, NULL, 'd'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *alg = "rsa-sha256", *sel = NULL, *dom = NULL, *out = NULL;
    unsigned long bits = AU_DKIM_SIGN_RSA_BITS;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            alg = optarg;
            break;
        case 'b':
            if (parse_bits(optarg, &bits) < 0)
                return 2;
            break;
        case 's':
            sel = optarg;
            break;
        case 'd':
            dom = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            return cli_usage(0, keygen_help, NULL);
        default:
            return cli_usage(2, keygen_help, NULL);
        }
    }
    if (sel == NULL || dom == NULL || out == NULL || optind != argc)
        return cli_usage(2, keygen_help, NULL);
    enum au_dkim_key_type type;
    if (parse_key_type(alg, &type) < 0) {
        fprintf(stderr, "authsink: unknown algorithm '%s'\n", alg);
        return 2;
    }
    EVP_PKEY *key = au_dkim_sign_keygen(type, (unsigned)bits);
    if (key == NULL) {
        fprintf(stderr, "authsink: key generation failed\n");
        return 1;
    }
    struct au_buf pem, rec, zone;
    au_buf_init(&pem, AU_BUF_NOLIMIT);
    au_buf_init(&rec, AU_BUF_NOLIMIT);
    au_buf_init(&zone, AU_BUF_NOLIMIT);
    int rc = 1;
    if (au_dkim_sign_pem(key, &pem) == 0 && au_dkim_sign_record(key, &rec) == 0 &&
        au_dkim_sign_zone_line(sel, dom, au_buf_slice(&rec), &zone) == 0) {
        if (write_file(out, ".pem", &pem, true) == 0 && write_file(out, ".txt", &zone, false) == 0)
            rc = 0;
    } else {
        fprintf(stderr, "authsink: cannot encode the key\n");
    }
    au_buf_free(&pem);
    au_buf_free(&rec);
    au_buf_free(&zone);
    EVP_PKEY_free(key);
    return rc;
}

static const char sign_help[] =
    "usage: authsink dkim sign --key PEM --domain D --selector S [options] [MESSAGE]\n\n"
    "Prints MESSAGE (a file, or standard input when absent or -) with a\n"
    "DKIM-Signature field on top.  The algorithm follows the key: rsa-sha256 for\n"
    "RSA, ed25519-sha256 for Ed25519.\n\n"
    "  --key FILE              private key: PEM (PKCS#1 or PKCS#8) or a base64 Ed25519 seed\n"
    "  --domain D              d=\n"
    "  --selector S            s=\n"
    "  --canonicalization H/B  simple or relaxed for header/body; default relaxed/relaxed\n"
    "  --headers h1,h2,...     h= exactly (repeat a name to oversign); default: From,\n"
    "                          Subject, Date, To, Cc, Message-ID, MIME and list fields present\n"
    "  --identity I            i= (an address or @domain within D)\n"
    "  --body-length[=N]       l=: N bytes of canonicalized body, or all of it\n"
    "  --expire T              x=: epoch seconds, RFC 3339, or +SECONDS from now\n"
    "  --now T                 sign as if at T (t=); default: the clock\n"
    "  --no-timestamp          no t= tag\n"
    "  --rsa-sha1              sign with rsa-sha1 (for tests: Gmail does not accept it)\n";

static int sign(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"key", required_argument, NULL, 'k'},
        {"domain", required_argument, NULL, 'd'},
        {"selector", required_argument, NULL, 's'},
        {"canonicalization", required_argument, NULL, 'c'},
        {"headers", required_argument, NULL, 'H'},
        {"identity", required_argument, NULL, 'i'},
        {"body-length", optional_argument, NULL, 'l'},
        {"expire", required_argument, NULL, 'x'},
        {"now", required_argument, NULL, 'n'},
        {"no-timestamp", no_argument, NULL, 'T'},
        {"rsa-sha1", no_argument, NULL, '1'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct au_dkim_sign_opts o;
    au_dkim_sign_opts_init(&o);
    o.now = (int64_t)time(NULL);
    const char *keyfile = NULL, *expire = NULL, *headers_arg = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            keyfile = optarg;
            break;
        case 'd':
            o.domain = optarg;
            break;
        case 's':
            o.selector = optarg;
            break;
        case 'c': {
            const char *slash = strchr(optarg, '/');
            struct au_slice h =
                slash ? au_slice_make(optarg, (size_t)(slash - optarg)) : au_slice_cstr(optarg);
            struct au_slice b = slash ? au_slice_cstr(slash + 1) : au_slice_cstr("simple");
            int hc = au_dkim_canon_parse(h), bc = au_dkim_canon_parse(b);
            if (hc < 0 || bc < 0) {
                fprintf(stderr, "authsink: bad --canonicalization '%s'\n", optarg);
                return 2;
            }
            o.hc = (enum au_dkim_canon)hc;
            o.bc = (enum au_dkim_canon)bc;
            break;
        }
        case 'H':
            headers_arg = optarg;
            break;
        case 'i':
            o.identity = optarg;
            break;
        case 'l':
            if (optarg == NULL) {
                o.length = AU_DKIM_SIGN_L_BODY;
            } else {
                char *end;
                long long n = strtoll(optarg, &end, 10);
                if (*end || n < 0) {
                    fprintf(stderr, "authsink: bad --body-length '%s'\n", optarg);
                    return 2;
                }
                o.length = n;
            }
            break;
        case 'x':
            expire = optarg;
            break;
        case 'n':
            if (cli_parse_time(optarg, &o.now) < 0) {
                fprintf(stderr, "authsink: bad --now '%s'\n", optarg);
                return 2;
            }
            break;
        case 'T':
            o.timestamp = false;
            break;
        case '1':
            o.alg = AU_DKIM_RSA_SHA1;
            break;
        case 'h':
            return cli_usage(0, sign_help, NULL);
        default:
            return cli_usage(2, sign_help, NULL);
        }
    }
    if (keyfile == NULL || o.domain == NULL || o.selector == NULL || argc - optind > 1)
        return cli_usage(2, sign_help, NULL);
    if (expire) {
        int64_t t;
        if (expire[0] == '+' && cli_parse_time(expire + 1, &t) == 0)
            o.expire = o.now + t;
        else if (cli_parse_time(expire, &t) == 0)
            o.expire = t;
        else {
            fprintf(stderr, "authsink: bad --expire '%s'\n", expire);
            return 2;
        }
    }
    /* h= takes the names colon-separated; the option, comma-separated. */
    char *headers = NULL;
    if (headers_arg != NULL) {
        headers = au_xstrdup(headers_arg);
        for (char *p = headers; *p; p++)
            if (*p == ',')
                *p = ':';
    }
    o.headers = headers;
    size_t klen, len, clen;
    char *ktext = cli_read_all(keyfile, &klen);
    if (ktext == NULL) {
        free(headers);
        return 1;
    }
    char err[256];
    EVP_PKEY *key = au_dkim_sign_load_key(ktext, klen, err, sizeof err);
    free(ktext);
    if (key == NULL) {
        fprintf(stderr, "authsink: %s: %s\n", keyfile, err);
        free(headers);
        return 1;
    }
    char *raw = cli_read_all(argc > optind ? argv[optind] : NULL, &len);
    if (raw == NULL) {
        EVP_PKEY_free(key);
        free(headers);
        return 1;
    }
    bool bare;
    char *msg = cli_to_crlf(raw, len, &clen, &bare);
    struct au_buf out;
    au_buf_init(&out, AU_BUF_NOLIMIT);
    int rc = au_dkim_sign(msg, clen, key, &o, &out, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "authsink: cannot sign: %s\n", err);
    } else {
        /* The field with the line ends the message came with. */
        if (bare)
            cli_print_lf(out.data, out.len);
        else
            fwrite(out.data, 1, out.len, stdout);
        fwrite(raw, 1, len, stdout);
        if (fflush(stdout) != 0) {
            fprintf(stderr, "authsink: write error\n");
            rc = -1;
        }
    }
    au_buf_free(&out);
    free(msg);
    free(raw);
    free(headers);
    EVP_PKEY_free(key);
    return rc < 0 ? 1 : 0;
}

static const char verify_help_head[] =
    "usage: authsink dkim verify [MESSAGE] [--now T] [--json] [profile] [DNS options]\n\n"
    "Verifies every DKIM-Signature of MESSAGE (a file, or standard input when absent\n"
    "or -) as the receiver would, and prints one line per signature, top to bottom:\n"
    "RESULT d=DOMAIN s=SELECTOR a=ALGORITHM: REASON.  Exit status 0 when at least\n"
    "one signature passes, 1 when none does (or there is none), 2 on a usage error.\n\n"
    "  --now T               verify as if at T (epoch seconds or RFC 3339), for x=\n"
    "  --json                print a JSON array of {result, domain, selector, algorithm,\n"
    "                        identity, headers, reason, key_bits, testing, ar}\n"
    "  --allow-rsa-sha1      let rsa-sha1 signatures pass (Gmail: no)\n"
    "  --min-rsa-bits N      shorter RSA keys give 'policy' (default 1024, as Gmail)\n"
    "  --max-signatures N    signatures evaluated (default 10)\n";

static int verify(int argc, char **argv)
{
    enum { O_NOW = 1, O_JSON, O_SHA1, O_BITS, O_MAX, O_HELP };
    static const struct option longopts[] = {
        {"now", required_argument, NULL, O_NOW},
        {"json", no_argument, NULL, O_JSON},
        {"allow-rsa-sha1", no_argument, NULL, O_SHA1},
        {"min-rsa-bits", required_argument, NULL, O_BITS},
        {"max-signatures", required_argument, NULL, O_MAX},
        {"help", no_argument, NULL, O_HELP},
        DNS_OPTS_LONG,
        {0},
    };
    struct dns_opts dopts;
    dns_opts_init(&dopts);
    struct au_dkim_config cfg;
    au_dkim_config_default(&cfg);
    int64_t now = (int64_t)time(NULL);
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int r = dns_opts_handle(&dopts, c, optarg);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        char *end;
        switch (c) {
        case O_NOW:
            if (cli_parse_time(optarg, &now) < 0) {
                fprintf(stderr, "authsink: bad --now '%s'\n", optarg);
                return 2;
            }
            break;
        case O_JSON:
            json = true;
            break;
        case O_SHA1:
            cfg.allow_rsa_sha1 = true;
            break;
        case O_BITS:
            cfg.min_rsa_bits = (unsigned)strtoul(optarg, &end, 10);
            if (*end) {
                fprintf(stderr, "authsink: bad --min-rsa-bits '%s'\n", optarg);
                return 2;
            }
            break;
        case O_MAX:
            cfg.max_signatures = strtoul(optarg, &end, 10);
            if (*end || cfg.max_signatures == 0 ||
                cfg.max_signatures > AU_DKIM_SIGNATURES_HARD_MAX) {
                fprintf(stderr, "authsink: --max-signatures must be 1..%d\n",
                        AU_DKIM_SIGNATURES_HARD_MAX);
                return 2;
            }
            break;
        case O_HELP:
            return cli_usage(0, verify_help_head, dns_opts_help);
        default:
            return cli_usage(2, verify_help_head, dns_opts_help);
        }
    }
    if (argc - optind > 1)
        return cli_usage(2, verify_help_head, NULL);
    size_t len, clen;
    char *raw = cli_read_all(argc > optind ? argv[optind] : NULL, &len);
    if (raw == NULL)
        return 1;
    bool bare;
    char *msg = cli_to_crlf(raw, len, &clen, &bare);
    free(raw);
    struct dns_sync *dns = dns_sync_new(&dopts);
    if (dns == NULL) {
        free(msg);
        return 1;
    }
    struct au_dkim_verify *v = au_dkim_verify_new(&cfg, now);
    struct au_msg_sink sink;
    au_dkim_verify_sink(v, &sink);
    struct au_msg *m = au_msg_new(&sink);
    int rc = 1;
    if (au_msg_feed(m, msg, clen) < 0 || au_msg_finish(m) < 0) {
        fprintf(stderr,
                "authsink: the message header is larger than %d bytes or has more than %d fields\n",
                AU_MSG_HEADER_MAX, AU_MSG_FIELDS_MAX);
        goto out;
    }
    dns_sync_run(dns, au_dkim_verify_step, v);
    au_dkim_verify_step(v, &(struct au_dns_batch){0});
    json_t *arr = json ? json_array() : NULL;
    struct au_buf ar;
    au_buf_init(&ar, AU_BUF_NOLIMIT);
    for (size_t i = 0; i < au_dkim_verify_count(v); i++) {
        const struct au_dkim_sig_result *r = au_dkim_verify_result(v, i);
        if (r == NULL)
            continue;
        if (r->result == AU_RESULT_PASS)
            rc = 0;
        au_buf_reset(&ar);
        au_dkim_ar_clause(r, &ar);
        if (json) {
            /* The object of the transaction log, made UTF-8 as JSON must be
             * (json_pack would fail on a d= from a peer and drop the signature). */
            json_t *o = verdict_json_dkim_sig(r);
            json_object_set_new(o, "testing", json_boolean(r->testing));
            json_object_set_new(o, "ar", spf_json_str(ar.data ? ar.data : ""));
            json_array_append_new(arr, o);
        } else {
            printf("%s d=%s s=%s a=%s%s%s\n", au_result_name(r->result), r->domain, r->selector,
                   r->algorithm, r->reason[0] ? ": " : "", r->reason);
        }
    }
    if (json) {
        char *s = json_dumps(arr, JSON_COMPACT);
        puts(s ? s : "[]");
        free(s);
        json_decref(arr);
    } else if (au_dkim_verify_count(v) == 0) {
        printf("none: no DKIM-Signature\n");
    }
    if (au_dkim_verify_ignored(v) > 0 && !json)
        printf("(%zu more signatures not evaluated: the limit is %zu)\n", au_dkim_verify_ignored(v),
               cfg.max_signatures);
    au_buf_free(&ar);
out:
    au_msg_free(m);
    au_dkim_verify_free(v);
    dns_sync_free(dns);
    free(msg);
    return rc;
}

static const char bench_help[] =
    "usage: authsink dkim bench [--algorithm rsa-sha256|ed25519-sha256] [--bits N]\n"
    "                           [--size BYTES] [--seconds S]\n\n"
    "Measures verification speed in this process: makes a key, signs one message of\n"
    "about BYTES bytes (default 10240), then verifies it again and again for S seconds\n"
    "(default 3) of CPU time with one reused verifier and the key record answered from\n"
    "memory (no DNS), and prints \"ALGORITHM BITS SIZE: N verifications/s\" per CPU\n"
    "second (as `openssl speed` counts by default).\n";

static struct au_dns_answer *bench_answer;

static struct au_dns_answer *bench_lookup(void *ctx, const struct au_dns_query *q)
{
    return au_dns_answer_ref(bench_answer);
}

static double now_s(void)
{
    struct timespec ts;
    /* CPU time, as `openssl speed` measures by default: figures stay
     * comparable on a loaded machine. */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bench(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"algorithm", required_argument, NULL, 'a'},
        {"bits", required_argument, NULL, 'b'},
        {"size", required_argument, NULL, 's'},
        {"seconds", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *alg = "rsa-sha256";
    unsigned long bits = AU_DKIM_SIGN_RSA_BITS, size = DKIM_BENCH_SIZE_DEFAULT;
    double seconds = DKIM_BENCH_SECONDS_DEFAULT;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            alg = optarg;
            break;
        case 'b':
            if (parse_bits(optarg, &bits) < 0)
                return 2;
            break;
        case 's':
            size = strtoul(optarg, NULL, 10);
            break;
        case 't':
            seconds = strtod(optarg, NULL);
            break;
        case 'h':
            return cli_usage(0, bench_help, NULL);
        default:
            return cli_usage(2, bench_help, NULL);
        }
    }
    enum au_dkim_key_type type;
    if (parse_key_type(alg, &type) < 0 || size > CLI_MESSAGE_MAX || seconds <= 0 ||
        seconds > DKIM_BENCH_SECONDS_MAX)
        return cli_usage(2, bench_help, NULL);
    bool ed = type == AU_DKIM_KEY_ED25519;
    EVP_PKEY *key = au_dkim_sign_keygen(type, (unsigned)bits);
    if (key == NULL) {
        fprintf(stderr, "authsink: key generation failed\n");
        return 1;
    }
    struct au_buf msg, rec;
    au_buf_init(&msg, AU_BUF_NOLIMIT);
    au_buf_init(&rec, AU_BUF_NOLIMIT);
    au_buf_puts(&msg,
                "From: Bench <bench@example.com>\r\nTo: you@example.org\r\n"
                "Subject: DKIM verification benchmark\r\nDate: Tue, 25 Nov 2025 10:00:00 +0000\r\n"
                "Message-ID: <bench@example.com>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
    while (msg.len < size)
        au_buf_puts(&msg, "The quick brown fox jumps over the lazy dog, again and again.  \r\n");
    struct au_dkim_sign_opts o;
    au_dkim_sign_opts_init(&o);
    o.domain = "example.com";
    o.selector = "bench";
    o.now = 1764000000;
    struct au_buf sm;
    au_buf_init(&sm, AU_BUF_NOLIMIT);
    char err[200];
    if (au_dkim_sign(msg.data, msg.len, key, &o, &sm, err, sizeof err) != 0 ||
        au_dkim_sign_record(key, &rec) != 0) {
        fprintf(stderr, "authsink: %s\n", err);
        au_buf_free(&msg);
        au_buf_free(&rec);
        au_buf_free(&sm);
        EVP_PKEY_free(key);
        return 1;
    }
    au_buf_append(&sm, msg.data, msg.len);
    struct au_dns_builder *b = au_dns_builder_new();
    struct au_slice parts[DKIM_BENCH_TXT_STRINGS];
    size_t np = 0;
    for (size_t i = 0; i < rec.len && np < DKIM_BENCH_TXT_STRINGS; i += AU_DKIM_TXT_CHUNK)
        parts[np++] = au_slice_make(
            rec.data + i, rec.len - i < AU_DKIM_TXT_CHUNK ? rec.len - i : AU_DKIM_TXT_CHUNK);
    au_dns_builder_add_txt(b, AU_DNS_TXT, 300, parts, np);
    bench_answer = au_dns_builder_finish(b);

    struct au_dkim_verify *v = au_dkim_verify_new(NULL, o.now);
    struct au_msg_sink sink;
    au_dkim_verify_sink(v, &sink);
    struct au_msg *m = au_msg_new(&sink);
    unsigned long n = 0;
    int rc = 0;
    double t0 = now_s(), t1 = t0;
    while (t1 - t0 < seconds) {
        for (int k = 0; k < 64; k++) {
            au_dkim_verify_reset(v, o.now);
            au_msg_reset(m);
            au_msg_feed(m, sm.data, sm.len);
            au_msg_finish(m);
            au_dns_run(au_dkim_verify_step, v, bench_lookup, NULL);
            const struct au_dkim_sig_result *r = au_dkim_verify_result(v, 0);
            if (r == NULL || r->result != AU_RESULT_PASS) {
                fprintf(stderr, "authsink: the benchmark message did not verify: %s\n",
                        r ? r->reason : "no result");
                rc = 1;
                goto out;
            }
            n++;
        }
        t1 = now_s();
    }
    printf("%s %d %zu: %.0f verifications/s\n", ed ? "ed25519-sha256" : "rsa-sha256",
           EVP_PKEY_get_bits(key), sm.len, n / (t1 - t0));
out:
    au_msg_free(m);
    au_dkim_verify_free(v);
    au_dns_answer_unref(bench_answer);
    au_buf_free(&msg);
    au_buf_free(&rec);
    au_buf_free(&sm);
    EVP_PKEY_free(key);
    return rc;
}

static const char dkim_help[] =
    "usage: authsink dkim keygen|sign|verify [OPTIONS]\n\n"
    "  keygen   make a key pair and the TXT record to publish\n"
    "  sign     add a DKIM-Signature to a message\n"
    "  verify   check a message's DKIM signatures as the receiver does\n"
    "  bench    measure verifications per second (no DNS)\n\n"
    "Run 'authsink dkim COMMAND --help' for a command's options.\n";

int cmd_dkim(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(2, dkim_help, NULL);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        return cli_usage(0, dkim_help, NULL);
    }
    if (strcmp(argv[1], "keygen") == 0)
        return keygen(argc - 1, argv + 1);
    if (strcmp(argv[1], "sign") == 0)
        return sign(argc - 1, argv + 1);
    if (strcmp(argv[1], "verify") == 0)
        return verify(argc - 1, argv + 1);
    if (strcmp(argv[1], "bench") == 0)
        return bench(argc - 1, argv + 1);
    fprintf(stderr, "authsink: unknown dkim command '%s'\n", argv[1]);
    return cli_usage(2, dkim_help, NULL);
}
