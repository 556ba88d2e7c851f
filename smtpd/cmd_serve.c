/*
 * cmd_serve - `authsink serve`: the receiver (spec/cli.md).
 *
 * Settings come from defaults, then --config FILE (YAML, the same names as
 * the flags without their dashes), then the flags: flags win.  A flag that
 * may repeat replaces the config file's list rather than adding to it.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dns_opts.h"
#include "server.h"
#include "yamlx.h"

enum {
    OPT_LISTEN = 256,
    OPT_PROFILE,
    OPT_HOSTNAME,
    OPT_MAILDIR,
    OPT_LOG,
    OPT_ACCEPT,
    OPT_XCLIENT,
    OPT_CONFIG,
    OPT_LINE_MAX,
    OPT_RCPT_MAX,
    OPT_SIZE_MAX,
    OPT_BAD_MAX,
    OPT_IDLE,
    OPT_CONNS,
    OPT_CONNS_IP,
    OPT_WORKERS,
    OPT_GRACE,
    OPT_KEEP,
    OPT_ADV_XCLIENT,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_PROXY,
    OPT_IP_MAP,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option longopts[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"hostname", required_argument, NULL, OPT_HOSTNAME},
    {"maildir", required_argument, NULL, OPT_MAILDIR},
    {"log", required_argument, NULL, OPT_LOG},
    {"accept-domain", required_argument, NULL, OPT_ACCEPT},
    {"xclient-from", required_argument, NULL, OPT_XCLIENT},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"line-max", required_argument, NULL, OPT_LINE_MAX},
    {"rcpt-max", required_argument, NULL, OPT_RCPT_MAX},
    {"size-max", required_argument, NULL, OPT_SIZE_MAX},
    {"bad-commands-max", required_argument, NULL, OPT_BAD_MAX},
    {"idle-timeout", required_argument, NULL, OPT_IDLE},
    {"connections-max", required_argument, NULL, OPT_CONNS},
    {"connections-per-ip-max", required_argument, NULL, OPT_CONNS_IP},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"shutdown-grace", required_argument, NULL, OPT_GRACE},
    {"keep-rejected", no_argument, NULL, OPT_KEEP},
    {"advertise-xclient", no_argument, NULL, OPT_ADV_XCLIENT},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"proxy-protocol", no_argument, NULL, OPT_PROXY},
    {"client-ip-map", required_argument, NULL, OPT_IP_MAP},
    DNS_OPTS_LONG,
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static const char *const known_profiles[] = {"gmail", "gmail-bulk", "gmail-tempfail", "observe",
                                             NULL};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: authsink serve [OPTIONS]\n"
            "\n"
            "Runs the receiver until SIGINT/SIGTERM; then it stops accepting, finishes the\n"
            "transactions in flight and exits 0. It answers like Gmail's MX\n"
            "(gmail-smtp-in.l.google.com): banner, EHLO capabilities, replies and codes.\n"
            "\n"
            "  --listen ADDR:PORT        where to listen; repeatable; IPv6 as [::1]:2525\n"
            "                            (default 127.0.0.1:2525; port 0 picks a free one)\n"
            "  --profile NAME            policy profile: gmail, gmail-bulk, gmail-tempfail,\n"
            "                            observe (default gmail)\n"
            "  --hostname NAME           name in the banner and trace headers (mx.google.com)\n"
            "  --maildir DIR             accepted mail goes to DIR/new (default ./mail);\n"
            "                            'none' stores nothing (load tests)\n"
            "  --log FILE                one JSON object per transaction (default: stdout)\n"
            "  --accept-domain DOMAIN    repeatable or comma-separated; RCPT to other domains\n"
            "                            gets 550 5.1.1 (default gmail.com,googlemail.com;\n"
            "                            '*' accepts every domain)\n"
            "  --xclient-from CIDR       repeatable or comma-separated: who may use XCLIENT\n"
            "                            (default 127.0.0.0/8,::1/128)\n"
            "  --config FILE             the same settings as YAML (keys as the flags without\n"
            "                            '--'); flags win\n"
            "  --keep-rejected           also store refused mail, in MAILDIR/.Rejected/new\n"
            "  --advertise-xclient       name XCLIENT in EHLO to clients in --xclient-from\n"
            "                            (Gmail does not; swaks needs it for --xclient)\n"
            "  --tls-cert FILE           STARTTLS certificate chain (PEM), with --tls-key\n"
            "  --tls-key FILE            its private key (PEM). Without both, a self-signed\n"
            "                            pair for --hostname is used, made once in\n"
            "                            $XDG_RUNTIME_DIR (else $TMPDIR, else /tmp)/\n"
            "                            authsink-tls-UID/HOSTNAME/ and reused; its paths are\n"
            "                            printed at start. TLS 1.2 and 1.3 only\n"
            "  --proxy-protocol          every connection starts with a PROXY v1 or v2 header\n"
            "                            (HAProxy send-proxy / send-proxy-v2); its source is\n"
            "                            the client; a bad or missing header closes the\n"
            "                            connection\n"
            "  --client-ip-map FROM=TO   repeatable or comma-separated: a client at FROM (an\n"
            "                            address or CIDR) is judged as TO, e.g. a staging MTA\n"
            "                            behind NAT as its public address\n"
            "\n"
            "DNS (without --zone, real DNS is asked):\n%s"
            "\n"
            "limits (each with its own reply):\n"
            "  --line-max N              command line bytes, CRLF included (default %d)\n"
            "                            -> 500 5.5.2\n"
            "  --rcpt-max N              recipients per message (default %d) -> 452 4.5.3\n"
            "  --size-max N              message bytes (default %llu) -> 552 5.3.4\n"
            "  --bad-commands-max N      unknown or malformed commands before the session is\n"
            "                            closed (default %d) -> 502 5.5.1 / 555 5.5.2 goodbye\n"
            "  --idle-timeout SECONDS    (default %d) -> 451 4.4.2\n"
            "  --connections-max N       in total (default %d) -> 421 4.4.5\n"
            "  --connections-per-ip-max N  per client address (default %d) -> 421 4.7.0\n"
            "  --workers N               event loops (default: one per core)\n"
            "  --shutdown-grace SECONDS  time given to transactions in flight at stop\n"
            "                            (default %d)\n"
            "\n"
            "  --help                    this text\n"
            "  --version                 the version\n",
            dns_opts_help, SESSION_LINE_MAX_DEFAULT, SESSION_RCPT_MAX_DEFAULT,
            (unsigned long long)SESSION_SIZE_MAX_DEFAULT, SESSION_JUNK_MAX_DEFAULT,
            SERVER_IDLE_TIMEOUT_MS_DEFAULT / 1000, SERVER_CONNS_MAX_DEFAULT,
            SERVER_CONNS_PER_IP_MAX_DEFAULT, SERVER_SHUTDOWN_GRACE_MS_DEFAULT / 1000);
}

/* Parses a decimal number in [min, max]; prints and returns -1 when it is not. */
static int number(const char *opt, const char *s, unsigned long long min, unsigned long long max,
                  unsigned long long *out)
{
    char *end;
    if (*s == '\0' || *s == '-') {
        fprintf(stderr, "authsink: --%s: '%s' is not a number\n", opt, s);
        return -1;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0') {
        fprintf(stderr, "authsink: --%s: '%s' is not a number\n", opt, s);
        return -1;
    }
    if (v < min || v > max) {
        fprintf(stderr, "authsink: --%s: %s is out of range (%llu to %llu)\n", opt, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* Appends the comma-separated items of value to a NULL-terminated list.
 * Values point into storage that lives as long as the process. */
static int add_items(const char *opt, const char *value, const char **list, size_t *n,
                     size_t max)
{
    char *copy = strdup(value);
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (*tok == '\0')
            continue;
        if (*n >= max) {
            fprintf(stderr, "authsink: --%s: at most %zu values\n", opt, max);
            return -1;
        }
        list[(*n)++] = tok;
    }
    return 0;
}

struct lists {
    size_t nlisten, naccept, nxclient, nmap;
    bool listen_set, accept_set, xclient_set, map_set;
};

/* Applies one setting by its name (flag or config key). Returns 0 or -1. */
static int apply(struct server_config *cfg, struct lists *l, int opt, const char *name,
                 const char *v)
{
    unsigned long long n;
    int r = dns_opts_handle(&cfg->dns, opt, v);
    if (r != 0)
        return r < 0 ? -1 : 0;
    bool *flag = opt == OPT_KEEP ? &cfg->keep_rejected
                 : opt == OPT_ADV_XCLIENT ? &cfg->session.advertise_xclient
                 : opt == OPT_PROXY       ? &cfg->proxy_protocol
                                          : NULL;
    if (flag) {
        if (v == NULL || strcmp(v, "true") == 0) {
            *flag = true;
            return 0;
        }
        if (strcmp(v, "false") == 0) {
            *flag = false;
            return 0;
        }
        fprintf(stderr, "authsink: %s: expected true or false, not '%s'\n", name, v);
        return -1;
    }
    switch (opt) {
    case OPT_LISTEN:
        if (!l->listen_set) {
            l->listen_set = true;
            l->nlisten = 0;
        }
        if (add_items(name, v, cfg->listen, &l->nlisten, SERVER_LISTEN_MAX) < 0)
            return -1;
        cfg->nlisten = l->nlisten;
        return 0;
    case OPT_PROFILE:
        for (const char *const *p = known_profiles; *p; p++)
            if (strcmp(*p, v) == 0) {
                cfg->profile = *p;
                return 0;
            }
        fprintf(stderr, "authsink: --profile: unknown profile '%s' (gmail, gmail-bulk, "
                        "gmail-tempfail, observe)\n", v);
        return -1;
    case OPT_HOSTNAME:
        if (*v == '\0' || strlen(v) > SESSION_NAME_MAX || strpbrk(v, " \t\r\n")) {
            fprintf(stderr, "authsink: --hostname: '%s' is not a host name\n", v);
            return -1;
        }
        cfg->session.hostname = v;
        return 0;
    case OPT_MAILDIR:
        cfg->maildir = v;
        return 0;
    case OPT_LOG:
        cfg->log = v;
        return 0;
    case OPT_ACCEPT:
        if (!l->accept_set) {
            l->accept_set = true;
            l->naccept = 0;
        }
        if (add_items(name, v, cfg->accept_domains, &l->naccept, SERVER_DOMAINS_MAX) < 0)
            return -1;
        cfg->accept_domains[l->naccept] = NULL;
        return 0;
    case OPT_XCLIENT:
        if (!l->xclient_set) {
            l->xclient_set = true;
            l->nxclient = 0;
        }
        if (add_items(name, v, cfg->xclient_from, &l->nxclient, SERVER_CIDRS_MAX) < 0)
            return -1;
        cfg->nxclient_from = l->nxclient;
        return 0;
    case OPT_TLS_CERT:
        cfg->tls_cert = v;
        return 0;
    case OPT_TLS_KEY:
        cfg->tls_key = v;
        return 0;
    case OPT_IP_MAP:
        if (!l->map_set) {
            l->map_set = true;
            l->nmap = 0;
        }
        if (add_items(name, v, cfg->client_ip_map, &l->nmap, SERVER_IP_MAP_MAX) < 0)
            return -1;
        for (size_t i = 0; i < l->nmap; i++)
            if (strchr(cfg->client_ip_map[i], '=') == NULL) {
                fprintf(stderr, "authsink: --%s %s: expected FROM=TO\n", name,
                        cfg->client_ip_map[i]);
                return -1;
            }
        cfg->nclient_ip_map = l->nmap;
        return 0;
    case OPT_LINE_MAX:
        if (number(name, v, 512, 65536, &n) < 0)   /* RFC 5321 4.5.3.1.4: at least 512 */
            return -1;
        cfg->session.line_max = (size_t)n;
        return 0;
    case OPT_RCPT_MAX:
        if (number(name, v, 1, 100000, &n) < 0)
            return -1;
        cfg->session.rcpt_max = (unsigned)n;
        return 0;
    case OPT_SIZE_MAX:
        if (number(name, v, 1024, 1ULL << 40, &n) < 0)
            return -1;
        cfg->session.size_max = n;
        return 0;
    case OPT_BAD_MAX:
        if (number(name, v, 1, 100000, &n) < 0)
            return -1;
        cfg->session.junk_max = (unsigned)n;
        return 0;
    case OPT_IDLE:
        if (number(name, v, 1, 86400, &n) < 0)
            return -1;
        cfg->idle_timeout_ms = (unsigned)n * 1000;
        return 0;
    case OPT_CONNS:
        if (number(name, v, 1, 1000000, &n) < 0)
            return -1;
        cfg->conns_max = (unsigned)n;
        return 0;
    case OPT_CONNS_IP:
        if (number(name, v, 1, 1000000, &n) < 0)
            return -1;
        cfg->conns_per_ip_max = (unsigned)n;
        return 0;
    case OPT_WORKERS:
        if (number(name, v, 1, 256, &n) < 0)
            return -1;
        cfg->workers = (unsigned)n;
        return 0;
    case OPT_GRACE:
        if (number(name, v, 0, 3600, &n) < 0)
            return -1;
        cfg->shutdown_grace_ms = (unsigned)n * 1000;
        return 0;
    }
    return -1;
}

static bool config_key(const struct option *o)
{
    return o->val != OPT_CONFIG && o->val != OPT_HELP && o->val != OPT_VERSION;
}

static int option_id(const char *name)
{
    for (const struct option *o = longopts; o->name; o++)
        if (strcmp(o->name, name) == 0 && config_key(o))
            return o->val;
    return -1;
}

/* Loads --config FILE. The document is kept for the process's life: the
 * settings point into it. */
static int load_config(struct server_config *cfg, struct lists *l, const char *path)
{
    static struct au_buf err;
    static struct yamlx_doc *d;   /* kept: the settings point into it */
    au_buf_init(&err, 4096);
    d = yamlx_load(path, &err);
    if (d == NULL) {
        fprintf(stderr, "authsink: %s\n", err.data);
        au_buf_free(&err);
        return -1;
    }
    const struct yamlx_node *root = yamlx_root(d);
    const char *allowed[sizeof longopts / sizeof longopts[0]];
    size_t na = 0;
    for (const struct option *o = longopts; o->name; o++)
        if (config_key(o))
            allowed[na++] = o->name;
    allowed[na] = NULL;
    if (yamlx_is_null(root))
        return 0;
    if (yamlx_map(d, root, "the configuration", allowed) < 0)
        goto fail;
    for (size_t i = 0; i < root->n; i++) {
        const struct yamlx_node *k = root->item[2 * i], *v = root->item[2 * i + 1];
        int opt = option_id(k->str);
        bool list = opt == OPT_LISTEN || opt == OPT_ACCEPT || opt == OPT_XCLIENT || opt == OPT_IP_MAP ||
                    opt == DNS_OPT_ZONE || opt == DNS_OPT_FAULT;
        if (list && v->kind == YAMLX_SEQ) {
            if (yamlx_strseq(d, v, k->str, 64) < 0)
                goto fail;
            for (size_t j = 0; j < v->n; j++)
                if (apply(cfg, l, opt, k->str, v->item[j]->str) < 0)
                    goto where;
            continue;
        }
        const char *s;
        if (yamlx_str(d, v, k->str, &s) < 0)
            goto fail;
        if (apply(cfg, l, opt, k->str, s) < 0)
            goto where;
    }
    /* Flags given later replace the file's lists. */
    l->listen_set = l->accept_set = l->xclient_set = l->map_set = false;
    return 0;
where:
    fprintf(stderr, "authsink: (in %s)\n", path);
    yamlx_free(d);
    return -1;
fail:
    fprintf(stderr, "authsink: %s\n", err.data);
    yamlx_free(d);
    au_buf_free(&err);
    return -1;
}

int cmd_serve(int argc, char **argv)
{
    static struct server_config cfg;
    server_config_defaults(&cfg);
    struct lists l = {.nlisten = 1, .naccept = 2, .nxclient = 2};
    dns_opts_init(&cfg.dns);

    /* First pass: --help, --version and --config, so that flags win over it. */
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == OPT_HELP) {
            usage(stdout);
            return 0;
        }
        if (c == OPT_VERSION) {
            printf("authsink %s\n", AUTHSINK_VERSION);
            return 0;
        }
        if (c == OPT_CONFIG && load_config(&cfg, &l, optarg) < 0)
            return 2;
    }
    opterr = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == '?') {
            fprintf(stderr, "authsink: run 'authsink serve --help' for the options\n");
            return 2;
        }
        if (c == OPT_CONFIG)
            continue;
        const char *name = NULL;
        for (const struct option *o = longopts; o->name; o++)
            if (o->val == c)
                name = o->name;
        if (apply(&cfg, &l, c, name, optarg) < 0)
            return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "authsink: serve takes no arguments ('%s')\n", argv[optind]);
        return 2;
    }
    if ((cfg.tls_cert == NULL) != (cfg.tls_key == NULL)) {
        fprintf(stderr, "authsink: --tls-cert and --tls-key go together\n");
        return 2;
    }
    if (server_config_check(&cfg) < 0)
        return 2;
    return server_run(&cfg);
}
