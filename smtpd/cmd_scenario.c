/*
 * cmd_scenario - `authsink scenario run PATH...` (spec/cli.md,
 * spec/scenarios.md "Output").
 *
 * Public: cmd_scenario.
 *
 * Every file is loaded first; when any cannot be, each problem is printed as
 * FILE:LINE:COLUMN: message and nothing runs (exit 2).  Then each scenario
 * runs on its own (scenario_run) and is reported as TAP 14 on standard
 * output: "ok N - <scenario line>" or "not ok N - ..." with a "# " block
 * saying what was expected, what came and the receiver's whole reply; the
 * last line is "N passed, N failed".  --junit FILE writes the same as JUnit
 * XML, one testcase per scenario.  Exit 0 when all passed, 1 when any failed.
 * Limits: CMD_SCENARIO_PATHS_MAX paths on the command line.
 */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "scenario.h"
#include "scenario_run.h"
#include "xalloc.h"

#define CMD_SCENARIO_PATHS_MAX 4096

static void usage(FILE *f)
{
    fprintf(f, "usage: authsink scenario run [OPTIONS] PATH...\n"
               "\n"
               "Runs scenario files (YAML, format 1; see the README's \"Write your own\n"
               "scenario\"). A PATH is a file or a folder: every *.yaml below it, sorted.\n"
               "Every file is loaded before anything runs; a file that cannot be loaded is\n"
               "reported as FILE:LINE:COLUMN: message and nothing runs.\n"
               "\n"
               "Each scenario gets its own receiver, started in this process on a loopback\n"
               "port and answering DNS only from the scenario's zones, faults and keys; each\n"
               "conversation is a real SMTP connection to it (XCLIENT sets the client\n"
               "address). Results (spf, dkim, dmarc, iprev) are read from the receiver's\n"
               "log, headers from the stored message.\n"
               "\n"
               "Output: TAP 14 on standard output, a \"# \" block under each failure with what\n"
               "was expected, what came and the receiver's whole reply, and a last line\n"
               "\"N passed, N failed\".\n"
               "\n"
               "options:\n"
               "  --target HOST:PORT   talk to a running receiver instead (it must allow\n"
               "                       XCLIENT from this host and answer DNS from the same\n"
               "                       zones; keys made at run time cannot be known to it,\n"
               "                       so give such scenarios private_key_file and record)\n"
               "  --target-log FILE    with --target: its --log file, to check results;\n"
               "                       without it, any result expectation fails\n"
               "  --junit FILE         also write JUnit XML, one testcase per scenario\n"
               "  --verbose            add each conversation's transcript to the report\n"
               "  -h, --help           this help\n"
               "\n"
               "exit status: 0 all passed, 1 any failed, 2 a usage error or a file that\n"
               "could not be loaded\n");
}

/* Writes s with XML's special characters escaped; control bytes other than
 * tab and newline become '?' (XML 1.0 cannot carry them). */
static void xml_put(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            if (ch < 0x20 && ch != '\t' && ch != '\n')
                fputc('?', f);
            else
                fputc(ch, f);
        }
    }
}

static void xml_puts(FILE *f, const char *s)
{
    xml_put(f, s, strlen(s));
}

static int write_junit(const char *path, struct scenario **sc, struct scenario_result *res,
                       size_t n, size_t failed)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += res[i].seconds;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f,
            "<testsuites name=\"authsink scenarios\" tests=\"%zu\" failures=\"%zu\" "
            "time=\"%.3f\">\n",
            n, failed, total);
    fprintf(f,
            "  <testsuite name=\"authsink scenarios\" tests=\"%zu\" failures=\"%zu\" "
            "errors=\"0\" skipped=\"0\" time=\"%.3f\">\n",
            n, failed, total);
    for (size_t i = 0; i < n; i++) {
        fputs("    <testcase classname=\"", f);
        xml_puts(f, sc[i]->path);
        fputs("\" name=\"", f);
        xml_puts(f, sc[i]->name);
        fprintf(f, "\" time=\"%.3f\"", res[i].seconds);
        if (res[i].passed) {
            fputs("/>\n", f);
            continue;
        }
        fputs(">\n      <failure message=\"", f);
        const char *d = res[i].diag.data ? res[i].diag.data : "";
        size_t first = strcspn(d, "\n");
        xml_put(f, d, first);
        fputs("\" type=\"scenario\">", f);
        xml_put(f, d, res[i].diag.len);
        fputs("</failure>\n    </testcase>\n", f);
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    return fclose(f) == 0 ? 0 : -1;
}

static int scenario_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"target", required_argument, NULL, 't'}, {"target-log", required_argument, NULL, 'l'},
        {"junit", required_argument, NULL, 'j'},  {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct scenario_run_opts o = {0};
    const char *junit = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
        switch (ch) {
        case 't':
            o.target = optarg;
            break;
        case 'l':
            o.target_log = optarg;
            break;
        case 'j':
            junit = optarg;
            break;
        case 'v':
            o.verbose = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "authsink: scenario run needs at least one PATH\n");
        usage(stderr);
        return 2;
    }
    if (o.target_log && !o.target) {
        fprintf(stderr, "authsink: --target-log goes with --target\n");
        return 2;
    }
    if (o.target && (strrchr(o.target, ':') == NULL || strrchr(o.target, ':')[1] == '\0')) {
        fprintf(stderr, "authsink: --target %s is not HOST:PORT\n", o.target);
        return 2;
    }
    size_t npaths = (size_t)(argc - optind);
    if (npaths > CMD_SCENARIO_PATHS_MAX) {
        fprintf(stderr, "authsink: more than %d paths\n", CMD_SCENARIO_PATHS_MAX);
        return 2;
    }

    struct au_buf err;
    au_buf_init(&err, AU_BUF_NOLIMIT);
    char **files = NULL;
    size_t nfiles = 0;
    if (scenario_collect((const char *const *)argv + optind, npaths, &files, &nfiles, &err) < 0) {
        fprintf(stderr, "authsink: %s\n", err.data ? err.data : "cannot list the scenarios");
        au_buf_free(&err);
        return 2;
    }
    if (nfiles == 0) {
        fprintf(stderr, "authsink: no scenario files (*.yaml) in the paths given\n");
        scenario_collect_free(files, nfiles);
        au_buf_free(&err);
        return 2;
    }
    struct scenario **sc = au_xcalloc(nfiles, sizeof *sc);
    size_t bad = 0;
    for (size_t i = 0; i < nfiles; i++) {
        au_buf_reset(&err);
        sc[i] = scenario_load(files[i], &err);
        if (sc[i] == NULL) {
            fprintf(stderr, "%s\n", err.data ? err.data : files[i]);
            bad++;
        }
    }
    int status = 0;
    if (bad > 0) {
        fprintf(stderr,
                "authsink: %zu of %zu scenario files could not be loaded; nothing was "
                "run\n",
                bad, nfiles);
        status = 2;
        goto out;
    }

    /* A receiver that closes while we write must be an answer, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    struct scenario_result *res = au_xcalloc(nfiles, sizeof *res);
    size_t failed = 0;
    printf("TAP version 14\n1..%zu\n", nfiles);
    fflush(stdout);
    for (size_t i = 0; i < nfiles; i++) {
        scenario_result_init(&res[i]);
        scenario_run(sc[i], &o, &res[i]);
        printf("%s %zu - %s\n", res[i].passed ? "ok" : "not ok", i + 1, sc[i]->name);
        if (!res[i].passed || (o.verbose && res[i].diag.len)) {
            printf("# file: %s\n", sc[i]->path);
            const char *d = res[i].diag.data ? res[i].diag.data : "";
            for (const char *p = d; *p;) {
                size_t n = strcspn(p, "\n");
                printf("# %.*s\n", (int)n, p);
                p += n + (p[n] == '\n');
            }
        }
        fflush(stdout);
        failed += !res[i].passed;
    }
    if (junit && write_junit(junit, sc, res, nfiles, failed) < 0) {
        fprintf(stderr, "authsink: cannot write %s\n", junit);
        status = 1;
    }
    printf("%zu passed, %zu failed\n", nfiles - failed, failed);
    if (failed > 0)
        status = 1;
    for (size_t i = 0; i < nfiles; i++)
        scenario_result_free(&res[i]);
    free(res);
    scenario_run_cleanup();
out:
    for (size_t i = 0; i < nfiles; i++)
        scenario_free(sc[i]);
    free(sc);
    scenario_collect_free(files, nfiles);
    au_buf_free(&err);
    return status;
}

int cmd_scenario(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        return scenario_cmd_run(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc < 2)
        fprintf(stderr, "authsink: scenario needs a subcommand: run\n");
    else
        fprintf(stderr, "authsink: scenario: unknown subcommand '%s' (there is: run)\n", argv[1]);
    usage(stderr);
    return 2;
}
