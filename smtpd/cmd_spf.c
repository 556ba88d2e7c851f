/*
 * cmd_spf - `authsink spf`: SPF alone (spec/cli.md).
 *
 * Public: cmd_spf.
 * Evaluates RFC 7208 check_host() for the MAIL FROM identity, or for the
 * HELO identity when --mail-from is empty, through the DNS options (stub
 * zones or real DNS), and prints the result word, then the explanation when
 * there is one; --json prints the spf object (smtpd/spf_json.h).
 * --bench-suite FILE --bench N runs the openspf suite file's cases N times
 * over its stub zones and prints evaluations per second (scripts/bench.d/spf.sh).
 * Limits: SPF_BENCH_MAX rounds.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_util.h"
#include "cmd.h"
#include "dns_opts.h"
#include "spf.h"
#include "spf_json.h"
#include "spf_macro.h"
#include "spf_suite.h"

#define SPF_BENCH_MAX 1000000

static const char help[] =
    "usage: authsink spf --ip ADDR [--mail-from ADDR] [--helo NAME] [options] [DNS options]\n\n"
    "Evaluates SPF (RFC 7208 check_host) for the MAIL FROM identity, or for the HELO\n"
    "identity (postmaster@HELO) when --mail-from is empty or absent, and prints the\n"
    "result (none, neutral, pass, fail, softfail, temperror, permerror) on the first\n"
    "line and, on the second, the explanation of a fail (exp= or the default) or the\n"
    "reason for a temperror or permerror.  Exit status 0 whatever the result, 1 when\n"
    "DNS cannot be set up, 2 on a usage error.\n\n"
    "  --ip ADDR             the SMTP client's address (required)\n"
    "  --mail-from ADDR      the envelope sender, without <>; empty: the null sender\n"
    "  --helo NAME           the HELO/EHLO name\n"
    "  --identity ID         mailfrom (default) or helo: which identity to check\n"
    "  --receiver NAME       the receiving host for %{r} (default mx.google.com)\n"
    "  --now T               evaluate as if at T (epoch seconds or RFC 3339), for %{t}\n"
    "  --default-explanation TEXT\n"
    "                        the explanation of a fail without a usable exp= (macros\n"
    "                        allowed; default: \"" AU_SPF_DEFAULT_EXPLANATION "\")\n"
    "  --json                print the spf JSON object (with the trace) instead\n"
    "  --trace               print the trace after the result\n"
    "  --headers             print Gmail's Received-SPF header and A-R clause after the result\n"
    "  --bench-suite FILE    benchmark: evaluate every case of an openspf suite file\n"
    "                        (rfc7208-tests.yml) over its own stub zones ...\n"
    "  --bench N             ... N times, and print evaluations per second\n\n";

static void print_trace(const struct au_spf *spf)
{
    for (size_t i = 0; i < au_spf_trace_count(spf); i++) {
        const struct au_spf_trace *t = au_spf_trace_at(spf, i);
        printf("  %*s%s %s", (int)t->depth * 2, "", au_spf_trace_kind_name(t->kind), t->domain);
        if (t->text)
            printf(" \"%s\"", t->text);
        if (t->outcome != AU_SPF_OUT_NONE)
            printf(" %s", au_spf_outcome_name(t->outcome));
        if (t->kind == AU_SPF_TRACE_RESULT || t->outcome == AU_SPF_OUT_MATCH)
            printf(" -> %s", au_result_name(t->result));
        printf(": %s\n", t->detail);
    }
    if (au_spf_trace_truncated(spf))
        printf("  (trace truncated at %d entries)\n", AU_SPF_TRACE_MAX);
    printf("  lookups %u/%d, void lookups %u/%d, DNS queries %u\n", au_spf_lookups(spf),
           AU_SPF_LOOKUP_MAX, au_spf_void_lookups(spf), AU_SPF_VOID_MAX, au_spf_dns_queries(spf));
}

static int bench(const char *file, long rounds)
{
    char err[512];
    struct spf_suite *suite = spf_suite_load(file, err, sizeof err);
    if (!suite) {
        fprintf(stderr, "authsink: %s\n", err);
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long evals = 0, ok = 0;
    for (long r = 0; r < rounds; r++)
        for (size_t i = 0; i < suite->ncases; i++) {
            struct au_spf *spf = spf_suite_eval(&suite->cases[i]);
            if (spf) {
                ok += spf_suite_result_ok(&suite->cases[i], spf);
                evals++;
            }
            au_spf_free(spf);
        }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("spf: %lu evaluations of %zu suite cases in %.3f s: %.0f evaluations/s "
           "(%lu results as expected)\n",
           evals, suite->ncases, secs, secs > 0 ? (double)evals / secs : 0.0, ok);
    spf_suite_free(suite);
    return 0;
}

int cmd_spf(int argc, char **argv)
{
    enum {
        O_IP = 1,
        O_FROM,
        O_HELO,
        O_ID,
        O_RECV,
        O_NOW,
        O_DEFEXP,
        O_JSON,
        O_TRACE,
        O_HEADERS,
        O_SUITE,
        O_BENCH,
        O_HELP
    };
    static const struct option longopts[] = {
        {"ip", required_argument, NULL, O_IP},
        {"mail-from", required_argument, NULL, O_FROM},
        {"helo", required_argument, NULL, O_HELO},
        {"identity", required_argument, NULL, O_ID},
        {"receiver", required_argument, NULL, O_RECV},
        {"now", required_argument, NULL, O_NOW},
        {"default-explanation", required_argument, NULL, O_DEFEXP},
        {"json", no_argument, NULL, O_JSON},
        {"trace", no_argument, NULL, O_TRACE},
        {"headers", no_argument, NULL, O_HEADERS},
        {"bench-suite", required_argument, NULL, O_SUITE},
        {"bench", required_argument, NULL, O_BENCH},
        {"help", no_argument, NULL, O_HELP},
        DNS_OPTS_LONG,
        {0},
    };
    struct dns_opts dopts;
    dns_opts_init(&dopts);
    struct au_spf_params p;
    memset(&p, 0, sizeof p);
    p.now = (uint64_t)time(NULL);
    p.identity = AU_SPF_ID_MAILFROM;
    const char *ip = NULL, *suite = NULL;
    long rounds = 0;
    bool json = false, trace = false, headers = false;
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
        case O_IP:
            ip = optarg;
            break;
        case O_FROM:
            p.mail_from = optarg;
            break;
        case O_HELO:
            p.helo = optarg;
            break;
        case O_ID:
            if (strcmp(optarg, "helo") == 0)
                p.identity = AU_SPF_ID_HELO;
            else if (strcmp(optarg, "mailfrom") == 0)
                p.identity = AU_SPF_ID_MAILFROM;
            else {
                fprintf(stderr, "authsink: --identity must be mailfrom or helo\n");
                return 2;
            }
            break;
        case O_RECV:
            p.receiver = optarg;
            break;
        case O_NOW: {
            int64_t t;
            if (cli_parse_time(optarg, &t) < 0) {
                fprintf(stderr, "authsink: bad --now '%s'\n", optarg);
                return 2;
            }
            p.now = (uint64_t)t;
            break;
        }
        case O_DEFEXP:
            if (au_spf_macro_check(au_slice_cstr(optarg), AU_SPF_MACRO_EXP, NULL, 0) < 0) {
                fprintf(stderr, "authsink: --default-explanation is not a valid macro string\n");
                return 2;
            }
            p.default_explanation = optarg;
            break;
        case O_JSON:
            json = true;
            break;
        case O_TRACE:
            trace = true;
            break;
        case O_HEADERS:
            headers = true;
            break;
        case O_SUITE:
            suite = optarg;
            break;
        case O_BENCH:
            rounds = strtol(optarg, &end, 10);
            if (*end || rounds < 1 || rounds > SPF_BENCH_MAX) {
                fprintf(stderr, "authsink: --bench must be 1..%d\n", SPF_BENCH_MAX);
                return 2;
            }
            break;
        case O_HELP:
            return cli_usage(0, help, dns_opts_help);
        default:
            return cli_usage(2, help, dns_opts_help);
        }
    }
    if (optind != argc) {
        fprintf(stderr, "authsink: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (suite || rounds) {
        if (!suite || !rounds) {
            fprintf(stderr, "authsink: --bench-suite and --bench go together\n");
            return 2;
        }
        return bench(suite, rounds);
    }
    if (!ip) {
        fprintf(stderr, "authsink: --ip is required\n");
        return 2;
    }
    if (au_ip_parse(ip, strlen(ip), &p.ip) < 0) {
        fprintf(stderr, "authsink: bad --ip '%s'\n", ip);
        return 2;
    }
    if ((!p.mail_from || !*p.mail_from) && (!p.helo || !*p.helo)) {
        fprintf(stderr, "authsink: give --mail-from, or --helo for the HELO identity\n");
        return 2;
    }
    struct dns_sync *dns = dns_sync_new(&dopts);
    if (!dns)
        return 1;
    struct au_spf *spf = au_spf_new(&p);
    dns_sync_run(dns, au_spf_step, spf);
    if (json) {
        json_t *o = spf_json_object(spf, true);
        char *s = json_dumps(o, JSON_INDENT(2));
        puts(s ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        printf("%s\n", au_result_name(au_spf_result(spf)));
        const char *exp = au_spf_explanation(spf);
        const char *problem = au_spf_problem(spf);
        if (exp)
            printf("%s\n", exp);
        else if (problem && au_spf_result(spf) != AU_RESULT_NONE)
            printf("%s\n", problem);
        if (headers) {
            struct au_buf b;
            au_buf_init(&b, AU_BUF_NOLIMIT);
            au_spf_received_spf(spf, &b);
            au_buf_puts(&b, "\nAuthentication-Results: mx.google.com;\n       ");
            au_spf_ar_clause(spf, &b);
            printf("%s\n", b.data);
            au_buf_free(&b);
        }
        if (trace)
            print_trace(spf);
    }
    au_spf_free(spf);
    dns_sync_free(dns);
    return 0;
}
