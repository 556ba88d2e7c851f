/*
 * dnsq - asynchronous DNS for the receiver, on libuv: one per event loop.
 *
 * A dnsq answers queries from the stub (shared, read-only, across loops) or
 * from real DNS through the resolver (smtpd/resolver.c) with its cache.
 * Either way answers arrive on a later loop turn, never inside the call that
 * asked (libuv's rule), so a check behaves the same against both.
 *
 * On top of it, a check runner drives an au_step_fn check (auth/dns.h) to
 * completion: step, issue the batch's queries, wait for all answers, step
 * again; then call done.  Cancelling a run (a session closing) drops its
 * queries: late answers are unref'd and never reach the check, and done is
 * never called.
 */
#ifndef SMTPD_DNSQ_H
#define SMTPD_DNSQ_H

#include <uv.h>

#include "dns.h"
#include "dns_opts.h"

struct dnsq;

/* Creates the DNS service of one loop. stub, when not NULL, is borrowed (it
 * must outlive the dnsq) and answers everything; else real DNS per opts.
 * Returns NULL with a message printed on error. */
struct dnsq *dnsq_new(uv_loop_t *loop, const struct au_dns_stub *stub,
                      const struct dns_opts *opts);
/* Closes handles and frees; pending lookups are cancelled. Call before the
 * loop's last uv_run; the memory is released in close callbacks. */
void dnsq_free(struct dnsq *q);

typedef void (*dnsq_answer_cb)(void *arg, struct au_dns_answer *answer /* owned by cb */);
struct dnsq_req;
/* Looks q up; cb runs on a later loop turn with a new reference (never NULL). */
struct dnsq_req *dnsq_lookup(struct dnsq *d, const struct au_dns_query *q, dnsq_answer_cb cb,
                             void *arg);
/* The callback of req will not run. req must not have completed yet. */
void dnsq_cancel(struct dnsq_req *req);

typedef void (*dnsq_done_cb)(void *arg);
struct dnsq_run;
/* Starts driving check with step; done(arg) runs on a later loop turn once
 * step returned AU_STEP_DONE. The run frees itself after done. */
struct dnsq_run *dnsq_run_start(struct dnsq *d, au_step_fn step, void *check, dnsq_done_cb done,
                                void *arg);
/* Stops a run before done: queries cancelled, answers released, done never
 * called. The check itself is the caller's to free afterwards. */
void dnsq_run_cancel(struct dnsq_run *run);

/* The resolver of a real-DNS dnsq, for tuning (the benchmark turns its
 * cache off: resolver_set_cache); NULL over the stub. */
struct resolver;
struct resolver *dnsq_resolver(struct dnsq *d);

#endif
