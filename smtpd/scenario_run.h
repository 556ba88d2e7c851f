/*
 * scenario_run - runs one loaded scenario (spec/scenarios.md) against a
 * receiver over real SMTP on TCP, and says whether every expectation held.
 *
 * The receiver is started in this process on an ephemeral loopback port,
 * answering DNS from the scenario's stub world (zone text, zone files,
 * faults, the published halves of the scenario's keys), or it is a running
 * receiver given as --target HOST:PORT.  Each conversation is one new
 * connection; replies are checked as they come, result expectations (spf,
 * dkim, dmarc, iprev) against the receiver's JSON event for the transaction
 * once the receiver has written it, header expectations against the stored
 * message.  Scenarios share nothing: each has its own receiver, DNS stub,
 * keys and temporary folder.
 */
#ifndef SMTPD_SCENARIO_RUN_H
#define SMTPD_SCENARIO_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "scenario.h"

#define SCENARIO_RUN_IO_TIMEOUT_S 30        /* a read or write on the SMTP connection */
#define SCENARIO_RUN_REPLY_MAX (64u * 1024) /* bytes of one reply, all its lines */
#define SCENARIO_RUN_LINE_MAX 4096          /* bytes of one reply line, CRLF included */
#define SCENARIO_RUN_LOG_WAIT_MS 10000      /* --target-log: wait this long for the event */
#define SCENARIO_RUN_DIAG_MAX (1u << 20)    /* bytes of one scenario's diagnostic */

struct scenario_run_opts {
    const char *target;     /* "HOST:PORT" of a running receiver, or NULL: start one */
    const char *target_log; /* with target: its --log file, or NULL (results unchecked) */
    bool verbose;           /* the diagnostic also gets every conversation's transcript */
};

struct scenario_result {
    bool passed;
    struct au_buf diag; /* lines ending in "\n", without TAP's "# " */
    double seconds;
};

/* Prepares r for scenario_run; scenario_result_free releases it. */
void scenario_result_init(struct scenario_result *r);
void scenario_result_free(struct scenario_result *r);

/*
 * Runs s and fills r: passed, and in diag what was expected, what came and
 * the receiver's whole reply for each failed expectation (every line, even
 * when passed, with opts->verbose).  Problems of the world or the receiver
 * (a key OpenSSL cannot make, a connection refused) are failures of this
 * scenario only.
 */
void scenario_run(const struct scenario *s, const struct scenario_run_opts *opts,
                  struct scenario_result *r);

/* One line of an SMTP reply, as scenario_run_reply_line parses it. */
struct scenario_run_line {
    size_t used;       /* bytes of the line, LF included */
    size_t len;        /* bytes before CRLF (or a bare LF) */
    int code;          /* 200..599 */
    bool last;         /* a space (or nothing) after the code: the reply's last line */
    char enhanced[16]; /* "5.7.26" when the text starts with an enhanced code, else "" */
    size_t text;       /* offset of the text after the code(s) and one space */
};

/*
 * Parses the reply line at the start of p (len bytes; need not be
 * NUL-terminated).  Returns 1 with *out filled, 0 when no whole line is there
 * yet, -1 when the line is not "NNN", "NNN-text" or "NNN text" with NNN in
 * 200..599, or when no LF comes within SCENARIO_RUN_LINE_MAX bytes.
 */
int scenario_run_reply_line(const char *p, size_t len, struct scenario_run_line *out);

/* Frees the keys kept between scenarios (see scenario_run.c); call once at the end. */
void scenario_run_cleanup(void);

#endif
