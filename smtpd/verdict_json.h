/*
 * verdict_json - the results of a message as JSON (spec/cli.md): the same
 * objects in the transaction log and in `authsink check --json`, so one
 * parser reads both.
 */
#ifndef SMTPD_VERDICT_JSON_H
#define SMTPD_VERDICT_JSON_H

#include <jansson.h>

#include "assess.h"
#include "iprev.h"
#include "reply.h"

/* [{"result","domain","selector","algorithm","identity","reason",...}], one per signature. */
json_t *verdict_json_dkim(const struct au_dkim_verify *v);
/* One signature's object of that array (authsink dkim verify --json adds to it). */
json_t *verdict_json_dkim_sig(const struct au_dkim_sig_result *r);
/* {"result","domain","policy","alignment":{"spf","dkim"},...}; null without a From domain. */
json_t *verdict_json_dmarc(const struct au_dmarc *d);
/* {"result","ptr":[...],"confirmed","explanation"}; null when not checked. */
json_t *verdict_json_iprev(const struct au_iprev *v);
/* {"code","enhanced","text":[...]} */
json_t *verdict_json_reply(const struct au_reply *r);
/* {"profile","rule","accepted","disposition","explanation"[,"observed_rule"]} */
json_t *verdict_json_policy(const struct au_policy_verdict *v);
/* Adds "spf","dkim","dmarc","iprev","verdict" of an assessment to object o,
 * and "headers" (the trace fields, unfolded one per item) when with_headers. */
void verdict_json_add(json_t *o, const struct au_assess *a, const struct au_iprev *iprev,
                      const char *authserv_id, bool with_headers);

#endif
