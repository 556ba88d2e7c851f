/*
 * cli_util - what the subcommands share: reading a message as a file or from
 * standard input, line ends made CRLF as on the wire, reading a time, and
 * printing the usage.
 */
#ifndef SMTPD_CLI_UTIL_H
#define SMTPD_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of a message read by a subcommand: the receiver's own SIZE (150 MiB,
 * session.h), so that check can judge whatever serve would take. */
#define CLI_MESSAGE_MAX 157286400u

/* Reads all of path (NULL or "-": standard input), at most CLI_MESSAGE_MAX
 * bytes. Returns a malloc'd buffer (NUL after len bytes), or NULL with the
 * reason printed. */
char *cli_read_all(const char *path, size_t *len);
/* Reads all of the file path (taken as named: "-" is a file), at most max
 * bytes. Returns as cli_read_all. */
char *cli_read_file(const char *path, size_t max, size_t *len);
/* A copy of p where every bare LF is CRLF; *had_bare_lf tells whether any was. */
char *cli_to_crlf(const char *p, size_t len, size_t *outlen, bool *had_bare_lf);
/* Writes p to standard output with every CR left out: CRLF line ends become
 * LF again, for a terminal or a file edited on Unix. */
void cli_print_lf(const char *p, size_t len);
/* Epoch seconds, or RFC 3339 ("2026-11-26T08:00:00Z", "...+01:00").
 * Returns 0, or -1 when s is neither. */
int cli_parse_time(const char *s, int64_t *out);
/* Prints help, then more (NULL: nothing), on standard output when status is
 * 0 (--help) and on standard error otherwise (a usage error). Returns status,
 * so that a getopt switch ends in `return cli_usage(2, help, NULL);`. */
int cli_usage(int status, const char *help, const char *more);

#endif
