/*
 * cmd_check - `authsink check [MESSAGE]`: one message judged exactly as
 * `serve` judges it at the end of DATA, without a network conversation
 * (spec/cli.md).  The checks are the receiver's own (auth/assess), driven
 * to completion by the synchronous DNS driver.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "assess.h"
#include "cli_util.h"
#include "cmd.h"
#include "dns_opts.h"
#include "psl_load.h"
#include "reply.h"
#include "session.h"
#include "sid.h"
#include "verdict_json.h"
#include "xalloc.h"

#define CHECK_HOSTNAME "mx.google.com"

enum {
    OPT_IP = 256,
    OPT_HELO,
    OPT_MAIL_FROM,
    OPT_TLS,
    OPT_PROFILE,
    OPT_NOW,
    OPT_JSON,
    OPT_HELP,
};

static const struct option longopts[] = {
    {"ip", required_argument, NULL, OPT_IP},
    {"helo", required_argument, NULL, OPT_HELO},
    {"mail-from", required_argument, NULL, OPT_MAIL_FROM},
    {"tls", no_argument, NULL, OPT_TLS},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"now", required_argument, NULL, OPT_NOW},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, OPT_HELP},
    DNS_OPTS_LONG,
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: authsink check --ip ADDR [OPTIONS] [MESSAGE]\n"
            "\n"
            "Judges one message exactly as 'authsink serve' would at the end of DATA, and\n"
            "prints the reply it would give and the trace headers it would add. MESSAGE is\n"
            "a file, or standard input when absent or '-'. Lines may end in LF or CRLF.\n"
            "\n"
            "  --ip ADDR          the sending client's address (required)\n"
            "  --helo NAME        the EHLO name (default: the PTR name of --ip, else unknown)\n"
            "  --mail-from ADDR   the envelope sender (default: the address in From:);\n"
            "                     '' for the null sender <>\n"
            "  --tls              the message came over TLS\n"
            "  --profile NAME     gmail, gmail-bulk, gmail-tempfail, observe (default gmail)\n"
            "  --now TIME         judge as if at TIME (epoch seconds or RFC 3339), for DKIM\n"
            "                     t= and x=; default: the clock\n"
            "  --json             one JSON object: reply, spf, dkim, dmarc, iprev, headers\n"
            "\n"
            "DNS (without --zone, real DNS is asked):\n%s"
            "\n"
            "Exit status: 0 when the message was judged (accepted or refused: the verdict\n"
            "is data), 1 when it could not be, 2 on a usage error.\n",
            dns_opts_help);
}

/* Reads the message, line ends made CRLF as on the wire, at most the size
 * serve accepts. Returns it (caller frees) or NULL with the reason printed. */
static char *read_message(const char *path, size_t *len)
{
    size_t rawlen;
    bool bare;
    char *raw = cli_read_all(path, &rawlen);
    if (raw == NULL)
        return NULL;
    char *msg = cli_to_crlf(raw, rawlen, len, &bare);
    free(raw);
    if (*len > SESSION_SIZE_MAX_DEFAULT) {
        fprintf(stderr, "authsink: the message is larger than %zu bytes\n",
                (size_t)SESSION_SIZE_MAX_DEFAULT);
        free(msg);
        return NULL;
    }
    return msg;
}

/* The address in the first From field, for the default envelope sender. */
struct from_finder {
    char addr[512];
    bool seen;
};

static void from_field(void *arg, struct au_slice name, struct au_slice raw)
{
    struct from_finder *ff = arg;
    if (ff->seen || !au_slice_eq_ci(name, "From"))
        return;
    ff->seen = true;
    const char *colon = memchr(raw.ptr, ':', raw.len);
    if (colon == NULL)
        return;
    struct au_slice body = au_slice_make(colon + 1, raw.len - (size_t)(colon + 1 - raw.ptr));
    struct au_addr_list *list = au_xcalloc(1, sizeof *list);
    if (au_addr_parse_list(body, list) == AU_ADDR_OK && list->count > 0)
        snprintf(ff->addr, sizeof ff->addr, "%.*s@%.*s", (int)list->addr[0].local.len,
                 list->addr[0].local.ptr, (int)list->addr[0].domain.len,
                 list->addr[0].domain.ptr);
    free(list);
}

static void find_from(const char *msg, size_t len, struct from_finder *ff)
{
    struct au_msg_sink sink = {.field = from_field, .arg = ff};
    struct au_msg *m = au_msg_new(&sink);
    au_msg_feed(m, msg, len);
    au_msg_finish(m);
    au_msg_free(m);
}

int cmd_check(int argc, char **argv)
{
    struct dns_opts dopts;
    dns_opts_init(&dopts);
    const char *ip_text = NULL, *helo = NULL, *mail_from = NULL, *profile_name = "gmail";
    bool tls = false, json = false;
    int64_t now = (int64_t)time(NULL);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int r = dns_opts_handle(&dopts, c, optarg);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        switch (c) {
        case OPT_IP:
            ip_text = optarg;
            break;
        case OPT_HELO:
            helo = optarg;
            break;
        case OPT_MAIL_FROM:
            mail_from = optarg;
            break;
        case OPT_TLS:
            tls = true;
            break;
        case OPT_PROFILE:
            profile_name = optarg;
            break;
        case OPT_NOW:
            if (cli_parse_time(optarg, &now) < 0) {
                fprintf(stderr, "authsink: --now: '%s' is neither epoch seconds nor RFC 3339\n",
                        optarg);
                return 2;
            }
            break;
        case OPT_JSON:
            json = true;
            break;
        case OPT_HELP:
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "authsink: run 'authsink check --help' for the options\n");
            return 2;
        }
    }
    if (ip_text == NULL) {
        fprintf(stderr, "authsink: check needs --ip ADDR (the sending client's address)\n");
        return 2;
    }
    if (argc - optind > 1) {
        fprintf(stderr, "authsink: check takes one MESSAGE\n");
        return 2;
    }
    struct au_ip ip;
    if (au_ip_parse(ip_text, strlen(ip_text), &ip) < 0) {
        fprintf(stderr, "authsink: --ip: '%s' is not an IPv4 or IPv6 address\n", ip_text);
        return 2;
    }
    const struct au_policy_profile *profile = au_policy_profile_find(profile_name);
    if (profile == NULL) {
        fprintf(stderr, "authsink: --profile: unknown profile '%s' (gmail, gmail-bulk, "
                        "gmail-tempfail, observe)\n", profile_name);
        return 2;
    }
    size_t len;
    char *msg = read_message(optind < argc ? argv[optind] : NULL, &len);
    if (msg == NULL)
        return 1;
    const psl_ctx_t *psl = psl_load_default();
    if (psl == NULL) {
        free(msg);
        return 1;
    }
    struct dns_sync *dns = dns_sync_new(&dopts);
    if (dns == NULL) {
        free(msg);
        return 1;
    }

    /* The order of the receiver: iprev at connect, SPF at MAIL, the rest with
     * the content. */
    struct au_iprev *iprev = au_iprev_new(&ip);
    dns_sync_run(dns, au_iprev_step, iprev);
    const struct au_iprev_outcome *io = au_iprev_outcome(iprev);
    char helo_buf[256];
    if (helo == NULL) {
        snprintf(helo_buf, sizeof helo_buf, "%s", io->names > 0 ? io->name[0].name : "unknown");
        helo = helo_buf;
    }
    struct from_finder ff = {0};
    if (mail_from == NULL) {
        find_from(msg, len, &ff);
        mail_from = ff.addr;
    }
    struct au_assess_params p = {
        .ip = ip,
        .helo = helo,
        .mail_from = mail_from,
        .tls = tls,
        .now = now,
        .receiver = CHECK_HOSTNAME,
        .psl = psl,
        .profile = profile,
    };
    struct au_assess *a = au_assess_new(&p);
    dns_sync_run(dns, au_spf_step, au_assess_spf(a));
    int too_big = au_assess_data(a, msg, len);
    au_assess_end(a);
    dns_sync_run(dns, au_dkim_verify_step, au_assess_dkim(a));
    if (au_assess_dmarc(a))
        dns_sync_run(dns, au_dmarc_step, au_assess_dmarc(a));
    au_assess_decide(a, iprev);
    const struct au_policy_verdict *v = au_assess_verdict(a);
    if (too_big < 0)
        fprintf(stderr, "authsink: the header block breaks a limit; the receiver would answer "
                        "552 5.3.4\n");

    char sid[SID_LEN_MAX];
    sid_make(sid, sizeof sid, 1);
    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "reply", verdict_json_reply(&v->reply));
        verdict_json_add(o, a, iprev, CHECK_HOSTNAME, true);
        json_object_set_new(o, "helo", json_string(helo));
        json_object_set_new(o, "mail_from", json_string(mail_from));
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
        json_decref(o);
    } else {
        struct au_buf out;
        au_buf_init(&out, AU_BUF_NOLIMIT);
        au_reply_write(&out, &v->reply, sid);
        au_buf_puts(&out, "\r\n");
        au_assess_trace_headers(a, CHECK_HOSTNAME, &out);
        cli_print_lf(out.data, out.len); /* plain line ends for a terminal */
        printf("\n# %s: %s\n", v->rule ? v->rule : "accepted", v->explanation);
        au_buf_free(&out);
    }
    au_assess_free(a);
    au_iprev_free(iprev);
    dns_sync_free(dns);
    free(msg);
    return 0;
}
