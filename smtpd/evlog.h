/*
 * evlog - the transaction log (--log): JSON Lines written in order by one
 * writer thread, so event loops never block on the file and lines from
 * several loops never interleave.
 */
#ifndef SMTPD_EVLOG_H
#define SMTPD_EVLOG_H

#include <stdint.h>

#include "assess.h"
#include "iprev.h"
#include "session.h"

struct evlog;

/* Opens path for appending ("-" or NULL: standard output). NULL with err on failure. */
struct evlog *evlog_open(const char *path, char *err, size_t errlen);
/* Queues one line (without its newline); takes ownership of line (malloc'd). */
void evlog_write(struct evlog *log, char *line);
/* Writes everything queued, stops the writer, closes. NULL is a no-op. */
void evlog_close(struct evlog *log);

/* One transaction, as the log and `check --json` show it (spec/cli.md). */
struct event_txn {
    int64_t time_ms;
    const char *sid;
    const char *profile;
    const struct session_client *client;
    const char *tls_version;         /* OpenSSL's name, "TLSv1.3"; NULL without TLS */
    const char *tls_cipher;
    const struct session_txn *txn;   /* envelope and size */
    const char *message_id;          /* NULL when unknown */
    const char *end;                 /* "data", "bdat", "rset", "quit", ... */
    int code;                        /* the final reply; 0 when there was none */
    const char *enhanced;
    const char *const *lines;
    size_t nlines;
    const char *stored;              /* the Maildir file, or NULL */
    const struct au_assess *assess;  /* the message's checks, or NULL */
    const struct au_iprev *iprev;    /* the connection's iprev (done), or NULL */
};

/* The event as one line of JSON (malloc'd, no newline). */
char *event_json(const struct event_txn *e);

#endif
