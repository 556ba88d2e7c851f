/*
 * spf_json - an SPF evaluation as the "spf" JSON object of spec/cli.md
 * (authsink spf --json, authsink check --json, the transaction log).
 */
#ifndef SMTPD_SPF_JSON_H
#define SMTPD_SPF_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "spf.h"

/*
 * Returns a new object: {"result", "domain", "ip", "explanation" (null unless
 * fail), "lookups", "void_lookups", "dns_queries", "identity" ("mailfrom" or
 * "helo"), "sender", "record" (null when none), "problem" (null or why),
 * "decided" (null or a trace entry), "headers": {"received_spf",
 * "authentication_results"}} and, when with_trace, "trace": [entries] and
 * "trace_truncated".  A trace entry is {"depth", "kind", "domain", "text"
 * (null or the record/term), "outcome" (null, "match", "no-match", "error"),
 * "result" (RESULT entries and matching terms), "detail", and for a
 * mechanism "mechanism" ("all", "ip4", ...) and "qualifier" ("+", "-", "~", "?")}.
 */
json_t *spf_json_object(const struct au_spf *spf, bool with_trace);
/* A new JSON string of s, or null when s is NULL.  Text that is not UTF-8
 * (bytes from a peer or DNS) has its bytes >= 0x80 made '?', as JSON must be
 * UTF-8.  Shared with verdict_json. */
json_t *spf_json_str(const char *s);

#endif
