/*
 * main - the authsink command line: one binary, subcommands (spec/cli.md).
 *
 * Each subcommand lives in its own cmd_*.c and has the signature of
 * cmd_fn.  Exit status: 0 success, 1 failure, 2 usage error; errors are
 * printed as "authsink: what went wrong".
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const struct cmd commands[] = {
    {"serve", cmd_serve, "run the receiver"},
    {"check", cmd_check, "judge one message as the receiver would, without SMTP"},
    {"dkim", cmd_dkim, "make keys, sign, verify DKIM signatures"},
    {"dns", cmd_dns, "look names up through the stub or real DNS; benchmark it"},
    {"spf", cmd_spf, "evaluate SPF (RFC 7208) for an address, MAIL FROM and HELO"},
    {"scenario", cmd_scenario, "run scenario files against the receiver (TAP output)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: authsink COMMAND [OPTIONS]\n\n"
               "authsink is a test SMTP receiver that decides like Gmail's inbound MX.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'authsink COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("authsink %s\n", AUTHSINK_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "authsink: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
