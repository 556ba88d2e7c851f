/*
 * cmd_dns - `authsink dns`: the DNS layer from the command line.
 *
 *   authsink dns lookup NAME TYPE [DNS options] [--json]
 *       one lookup through the stub (--zone/--dns-fault) or real DNS,
 *       printed as the status and the records in zone-file form, the same
 *       for both backends (records sorted: an RRset has no order).
 *   authsink dns bench NAME TYPE [DNS options] [--count N] [--parallel P]
 *                      [--passes K] [--no-cache]
 *       N lookups per pass, P at a time, through the asynchronous path the
 *       receiver uses (dnsq); "{}" in NAME becomes the lookup's number, so
 *       a wildcard zone gives N distinct names.  Prints lookups/s per pass:
 *       with the cache on, pass 1 is cold and later ones warm.
 *
 * Public: cmd_dns.
 * Limits: DNS_BENCH_COUNT_MAX lookups per pass, DNS_BENCH_PASSES_MAX passes.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "buf.h"
#include "cli_util.h"
#include "cmd.h"
#include "dns_opts.h"
#include "dnsq.h"
#include "resolver.h"
#include "xalloc.h"

#define DNS_BENCH_COUNT_MAX 10000000
#define DNS_BENCH_PASSES_MAX 10
#define DNS_BENCH_PARALLEL_MAX 4096
#define DNS_BENCH_COUNT_DEFAULT 10000
#define DNS_BENCH_PARALLEL_DEFAULT 64

static const char dns_help[] =
    "usage: authsink dns lookup NAME TYPE [DNS options] [--json]\n"
    "       authsink dns bench NAME TYPE [DNS options] [--count N] [--parallel P]\n"
    "                          [--passes K] [--no-cache]\n"
    "\n"
    "lookup asks for NAME/TYPE (A, AAAA, MX, TXT, SPF, PTR, CNAME, NS) and prints\n"
    "the status (RECORDS, NXDOMAIN, NODATA, TEMPFAIL, MALFORMED), the CNAME target\n"
    "followed if any, the reason of a failure, then the records in zone-file form,\n"
    "sorted.  The exit status is 0 whatever the DNS status; 1 when the DNS options\n"
    "cannot be used (a zone file that does not parse).\n"
    "\n"
    "bench runs N lookups (default 10000) per pass, P at a time (default 64),\n"
    "through the receiver's asynchronous DNS and prints lookups per second; '{}'\n"
    "in NAME becomes the lookup's number.  --passes K (default 1) repeats the\n"
    "pass: with the cache on, the first pass is cold and the others warm.\n"
    "--no-cache turns the real resolver's cache off.  The cache keeps at most\n"
    "10000 answers, the oldest leaving first, so a warm pass needs N <= 10000.\n"
    "\n"
    "  --json      (lookup) print one JSON object instead\n"
    "\n";

/* Appends a TXT character-string in zone-file form: quoted, with '"' and
 * '\' escaped and bytes outside printable ASCII as \DDD (RFC 1035 5.1). */
static void put_string(struct au_buf *b, struct au_slice s)
{
    au_buf_putc(b, '"');
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c == '"' || c == '\\')
            au_buf_printf(b, "\\%c", c);
        else if (c < 0x20 || c > 0x7e)
            au_buf_printf(b, "\\%03u", c);
        else
            au_buf_putc(b, (char)c);
    }
    au_buf_putc(b, '"');
}

/* A name in zone-file form: absolute, the root as ".". */
static void put_name(struct au_buf *b, const char *name)
{
    au_buf_puts(b, name);
    au_buf_putc(b, '.');
}

/* The record's data in zone-file form. */
static void put_rdata(struct au_buf *b, const struct au_dns_rr *r)
{
    char addr[INET6_ADDRSTRLEN];
    switch (r->type) {
    case AU_DNS_A:
        inet_ntop(AF_INET, r->u.a, addr, sizeof addr);
        au_buf_puts(b, addr);
        break;
    case AU_DNS_AAAA:
        inet_ntop(AF_INET6, r->u.aaaa, addr, sizeof addr);
        au_buf_puts(b, addr);
        break;
    case AU_DNS_MX:
        au_buf_printf(b, "%u ", r->u.mx.pref);
        put_name(b, r->u.mx.host);
        break;
    case AU_DNS_TXT:
    case AU_DNS_SPF:
        for (size_t i = 0; i < r->u.txt.count; i++) {
            if (i)
                au_buf_putc(b, ' ');
            put_string(b, r->u.txt.str[i]);
        }
        break;
    default:
        put_name(b, r->u.name);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int print_answer(const struct au_dns_query *q, const struct au_dns_answer *a, int json)
{
    /* Records belong to the end of the CNAME chain. */
    const char *owner = a->cname ? a->cname : q->name;
    size_t n = a->status == AU_DNS_RECORDS ? a->count : 0;
    char **line = au_xcalloc(n ? n : 1, sizeof *line);
    char **data = au_xcalloc(n ? n : 1, sizeof *data);
    for (size_t i = 0; i < n; i++) {
        struct au_buf b;
        au_buf_init(&b, AU_BUF_NOLIMIT);
        put_rdata(&b, &a->rr[i]);
        data[i] = au_buf_detach(&b);
        au_buf_init(&b, AU_BUF_NOLIMIT);
        put_name(&b, owner);
        const char *tn = au_dns_type_name(a->rr[i].type);
        au_buf_printf(&b, "\t%u\tIN\t%s\t%s", a->rr[i].ttl, tn ? tn : "?", data[i]);
        line[i] = au_buf_detach(&b);
    }
    qsort(line, n, sizeof *line, cmp_str);
    qsort(data, n, sizeof *data, cmp_str);
    const char *tname = au_dns_type_name(q->type);
    int failed = a->status == AU_DNS_TEMPFAIL || a->status == AU_DNS_MALFORMED;
    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(q->name));
        json_object_set_new(o, "type", json_string(tname ? tname : "?"));
        json_object_set_new(o, "status", json_string(au_dns_status_name(a->status)));
        json_object_set_new(o, "detail", failed ? json_string(a->detail) : json_null());
        json_object_set_new(o, "cname", a->cname ? json_string(a->cname) : json_null());
        json_t *recs = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(recs, json_string(data[i]));
        json_object_set_new(o, "records", recs);
        char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        puts(s ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        printf("status: %s\n", au_dns_status_name(a->status));
        if (a->cname)
            printf("cname: %s.\n", a->cname);
        if (failed)
            printf("detail: %s\n", a->detail);
        for (size_t i = 0; i < n; i++)
            puts(line[i]);
    }
    for (size_t i = 0; i < n; i++) {
        free(line[i]);
        free(data[i]);
    }
    free(line);
    free(data);
    return 0;
}

/* The operands NAME TYPE left after the options, into q. Returns 0, or 2
 * (usage) with a message printed. */
static int make_query(int argc, char **argv, struct au_dns_query *q)
{
    if (argc - optind != 2)
        return cli_usage(2, dns_help, dns_opts_help);
    const char *name = argv[optind], *type = argv[optind + 1];
    /* The types an answer can carry (struct au_dns_rr). */
    int t = au_dns_type_parse(type);
    if (t < 0 || t == AU_DNS_ANY || t == AU_DNS_SOA) {
        fprintf(stderr, "authsink: unknown DNS type '%s'\n", type);
        return 2;
    }
    size_t len = strlen(name);
    if (len > 0 && name[len - 1] == '.')
        len--;   /* "." is the root, "" */
    if (len > AU_DNS_NAME_MAX) {
        fprintf(stderr, "authsink: name too long: '%s'\n", name);
        return 2;
    }
    memcpy(q->name, name, len);
    q->name[len] = '\0';
    q->type = (uint16_t)t;
    return 0;
}

static int lookup(int argc, char **argv)
{
    static const struct option longopts[] = {
        DNS_OPTS_LONG,
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct dns_opts o;
    dns_opts_init(&o);
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int r = dns_opts_handle(&o, c, optarg);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'h':
            return cli_usage(0, dns_help, dns_opts_help);
        default:
            return cli_usage(2, dns_help, dns_opts_help);
        }
    }
    struct au_dns_query q;
    int rc = make_query(argc, argv, &q);
    if (rc)
        return rc;
    struct dns_sync *s = dns_sync_new(&o);
    if (s == NULL)
        return 1;
    struct au_dns_answer *a = dns_sync_lookup(s, &q);
    rc = print_answer(&q, a, json);
    au_dns_answer_unref(a);
    dns_sync_free(s);
    return rc;
}

/* ---- bench ---- */

struct bench {
    struct dnsq *d;
    const char *pattern;
    const char *brace;   /* the "{}" in pattern, or NULL */
    uint16_t type;
    unsigned long count, issued, answered;
    unsigned long status[AU_DNS_MALFORMED + 1];
    unsigned parallel;
};

static void bench_issue(struct bench *b);

static void bench_answer(void *arg, struct au_dns_answer *a)
{
    struct bench *b = arg;
    b->answered++;
    if ((size_t)a->status <= AU_DNS_MALFORMED)
        b->status[a->status]++;
    au_dns_answer_unref(a);
    bench_issue(b);
}

static void bench_issue(struct bench *b)
{
    while (b->issued < b->count && b->issued - b->answered < b->parallel) {
        struct au_dns_query q = {.type = b->type};
        if (b->brace)
            snprintf(q.name, sizeof q.name, "%.*s%lu%s", (int)(b->brace - b->pattern), b->pattern,
                     b->issued, b->brace + 2);
        else
            snprintf(q.name, sizeof q.name, "%s", b->pattern);
        b->issued++;
        dnsq_lookup(b->d, &q, bench_answer, b);
    }
}

static int parse_count(const char *arg, unsigned long max, unsigned long *out, const char *what)
{
    char *end;
    unsigned long v = strtoul(arg, &end, 10);
    if (*arg == '\0' || *end || v == 0 || v > max) {
        fprintf(stderr, "authsink: %s must be 1..%lu\n", what, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int bench(int argc, char **argv)
{
    static const struct option longopts[] = {
        DNS_OPTS_LONG,
        {"count", required_argument, NULL, 'n'},
        {"parallel", required_argument, NULL, 'p'},
        {"passes", required_argument, NULL, 'k'},
        {"no-cache", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct dns_opts o;
    dns_opts_init(&o);
    unsigned long count = DNS_BENCH_COUNT_DEFAULT, parallel = DNS_BENCH_PARALLEL_DEFAULT,
                  passes = 1;
    int cache = 1, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int r = dns_opts_handle(&o, c, optarg);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        switch (c) {
        case 'n':
            if (parse_count(optarg, DNS_BENCH_COUNT_MAX, &count, "--count") < 0)
                return 2;
            break;
        case 'p':
            if (parse_count(optarg, DNS_BENCH_PARALLEL_MAX, &parallel, "--parallel") < 0)
                return 2;
            break;
        case 'k':
            if (parse_count(optarg, DNS_BENCH_PASSES_MAX, &passes, "--passes") < 0)
                return 2;
            break;
        case 'C':
            cache = 0;
            break;
        case 'h':
            return cli_usage(0, dns_help, dns_opts_help);
        default:
            return cli_usage(2, dns_help, dns_opts_help);
        }
    }
    struct au_dns_query probe;
    int rc = make_query(argc, argv, &probe);
    if (rc)
        return rc;

    struct au_dns_stub *stub = NULL;
    if (dns_opts_is_stub(&o)) {
        stub = dns_opts_build_stub(&o);
        if (stub == NULL)
            return 1;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct dnsq *d = dnsq_new(&loop, stub, &o);
    if (d == NULL) {
        uv_loop_close(&loop);
        au_dns_stub_free(stub);
        return 1;
    }
    if (dnsq_resolver(d))
        resolver_set_cache(dnsq_resolver(d), cache);
    printf("backend: %s%s\n", stub ? "stub" : "real", stub ? "" : cache ? ", cache on" : ", cache off");
    for (unsigned long p = 1; p <= passes; p++) {
        struct bench b = {.d = d,
                          .pattern = argv[optind],
                          .brace = strstr(argv[optind], "{}"),
                          .type = probe.type,
                          .count = count,
                          .parallel = (unsigned)parallel};
        uint64_t t0 = uv_hrtime();
        bench_issue(&b);
        while (b.answered < b.count)
            uv_run(&loop, UV_RUN_ONCE);
        double secs = (double)(uv_hrtime() - t0) / 1e9;
        printf("pass %lu: %lu lookups in %.3f s: %.0f lookups/s (records %lu, nxdomain %lu, "
               "nodata %lu, tempfail %lu, malformed %lu)\n",
               p, b.count, secs, secs > 0 ? (double)b.count / secs : 0.0,
               b.status[AU_DNS_RECORDS], b.status[AU_DNS_NXDOMAIN], b.status[AU_DNS_NODATA],
               b.status[AU_DNS_TEMPFAIL], b.status[AU_DNS_MALFORMED]);
        if (dnsq_resolver(d)) {
            struct resolver_stats st;
            resolver_get_stats(dnsq_resolver(d), &st);
            printf("  resolver so far: %lu queries, %lu cache hits, %lu merged, %lu sent over "
                   "UDP, %lu over TCP, %lu datagrams ignored\n",
                   st.queries, st.cache_hits, st.merged, st.sent_udp, st.sent_tcp, st.ignored);
        }
    }
    dnsq_free(d);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    au_dns_stub_free(stub);
    return 0;
}

int cmd_dns(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(2, dns_help, dns_opts_help);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        return cli_usage(0, dns_help, dns_opts_help);
    }
    if (strcmp(argv[1], "lookup") == 0)
        return lookup(argc - 1, argv + 1);
    if (strcmp(argv[1], "bench") == 0)
        return bench(argc - 1, argv + 1);
    fprintf(stderr, "authsink: unknown dns command '%s'\n", argv[1]);
    return cli_usage(2, dns_help, dns_opts_help);
}
