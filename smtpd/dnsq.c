/*
 * dnsq - asynchronous DNS for one event loop, and the check runner (see
 * dnsq.h).
 *
 * Public: dnsq_{new,free,lookup,cancel,run_start,run_cancel,resolver}.
 *
 * Two backends behind one face.  The stub answers at once, so its answers
 * (and a run's first step) wait on a "later" list that an idle handle
 * drains on the next loop turn; real DNS goes through the resolver, which
 * already calls back on a later turn.  Either way a callback never runs
 * inside the call that asked (libuv's rule, STYLE.md).
 *
 * A run steps its check, issues the batch's queries, collects the answers
 * into the batch as they come (in any order), and steps again when the last
 * one is in; done runs from that answer's callback, or from the later list
 * when the check needed no DNS at all.
 *
 * Limits: AU_DNS_BATCH_MAX queries in flight per run.
 */
#include "dnsq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "resolver.h"
#include "xalloc.h"

#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

struct qlink {
    struct qlink *next, *prev;
};

static void ql_init(struct qlink *h)
{
    h->next = h->prev = h;
}

static int ql_empty(const struct qlink *h)
{
    return h->next == h;
}

static void ql_push(struct qlink *h, struct qlink *n)
{
    n->prev = h->prev;
    n->next = h;
    h->prev->next = n;
    h->prev = n;
}

static void ql_del(struct qlink *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = n;
}

/* Moves every element of from to the end of to. */
static void ql_splice(struct qlink *to, struct qlink *from)
{
    if (ql_empty(from))
        return;
    from->next->prev = to->prev;
    to->prev->next = from->next;
    from->prev->next = to;
    to->prev = from->prev;
    ql_init(from);
}

/* Something to do on the next loop turn. */
struct later {
    struct qlink link;
    void (*fire)(struct later *);
};

/* Stub answers never change, so each loop keeps the ones it gave: the same
 * answer object then comes back for the same question, as from the real
 * resolver's cache, and what the checks parsed from it (DKIM keys) is
 * reused.  A bounded table, oldest out. */
#define DNSQ_STUB_CACHE_BUCKETS 1024
#define DNSQ_STUB_CACHE_MAX 4096

struct stub_entry {
    struct stub_entry *next;   /* in its bucket */
    struct au_dns_query q;
    struct au_dns_answer *answer;
};

struct dnsq {
    uv_loop_t *loop;
    const struct au_dns_stub *stub;
    struct stub_entry *stub_cache[DNSQ_STUB_CACHE_BUCKETS];
    struct stub_entry *stub_ring[DNSQ_STUB_CACHE_MAX];   /* insertion order */
    size_t stub_next;                                    /* the oldest, once full */
    struct resolver *resolver;
    uv_idle_t idle;
    struct qlink pending;   /* struct later, for the next turn */
    struct qlink live;      /* requests waiting on the resolver */
    struct qlink runs;      /* runs started and not finished */
    int freeing;
};

struct dnsq_req {
    struct later later;              /* stub: the answer waits for the next turn */
    struct qlink live;               /* real DNS: in d->live */
    struct dnsq *d;
    struct resolver_req *rreq;       /* real DNS */
    struct au_dns_answer *answer;    /* stub */
    dnsq_answer_cb cb;
    void *arg;
};

struct run_slot {
    struct dnsq_run *run;
    size_t i;
};

struct dnsq_run {
    struct later later;   /* the first step waits for the next turn */
    struct qlink link;    /* in d->runs */
    struct dnsq *d;
    au_step_fn step;
    void *check;
    dnsq_done_cb done;
    void *arg;
    struct au_dns_batch batch;
    struct dnsq_req *req[AU_DNS_BATCH_MAX];
    struct run_slot slot[AU_DNS_BATCH_MAX];
    size_t outstanding;
    int started;
};

static void on_idle(uv_idle_t *h)
{
    struct dnsq *d = container_of(h, struct dnsq, idle);
    /* Take what is pending now; what the callbacks add waits a turn. */
    struct qlink now;
    ql_init(&now);
    ql_splice(&now, &d->pending);
    while (!ql_empty(&now)) {
        struct later *l = container_of(now.next, struct later, link);
        ql_del(&l->link);
        if (d->freeing)
            ql_push(&d->pending, &l->link);   /* dnsq_free releases it */
        else
            l->fire(l);
    }
    if (ql_empty(&d->pending) && !d->freeing)
        uv_idle_stop(&d->idle);
}

static void defer(struct dnsq *d, struct later *l, void (*fire)(struct later *))
{
    l->fire = fire;
    ql_push(&d->pending, &l->link);
    uv_idle_start(&d->idle, on_idle);
}

struct dnsq *dnsq_new(uv_loop_t *loop, const struct au_dns_stub *stub,
                      const struct dns_opts *opts)
{
    struct resolver *res = NULL;
    if (stub == NULL) {
        struct resolver_config c;
        char err[256];
        if (resolver_config_init(&c, opts ? opts->resolver : NULL,
                                 opts && opts->timeout_ms ? opts->timeout_ms
                                                          : DNS_TIMEOUT_DEFAULT_MS,
                                 err, sizeof err) < 0) {
            fprintf(stderr, "authsink: %s\n", err);
            return NULL;
        }
        res = resolver_new(loop, &c);
    }
    struct dnsq *d = au_xcalloc(1, sizeof *d);
    d->loop = loop;
    d->stub = stub;
    d->resolver = res;
    ql_init(&d->pending);
    ql_init(&d->live);
    ql_init(&d->runs);
    uv_idle_init(loop, &d->idle);
    return d;
}

struct resolver *dnsq_resolver(struct dnsq *d)
{
    return d->resolver;
}

/* ---- lookups ---- */

static void stub_fire(struct later *l)
{
    struct dnsq_req *req = container_of(l, struct dnsq_req, later);
    req->cb(req->arg, req->answer);
    free(req);
}

static void resolver_done(void *arg, struct au_dns_answer *a)
{
    struct dnsq_req *req = arg;
    ql_del(&req->live);
    req->cb(req->arg, a);
    free(req);
}

static unsigned stub_hash(const struct au_dns_query *q)
{
    unsigned h = q->type * 31u;
    for (const char *p = q->name; *p; p++)
        h = h * 33u + (unsigned)(unsigned char)(*p | 0x20);
    return h % DNSQ_STUB_CACHE_BUCKETS;
}

static void stub_forget(struct dnsq *d, struct stub_entry *e)
{
    struct stub_entry **pp = &d->stub_cache[stub_hash(&e->q)];
    while (*pp != e)
        pp = &(*pp)->next;
    *pp = e->next;
    au_dns_answer_unref(e->answer);
    free(e);
}

/* The stub's answer to q, the same object for the same question. */
static struct au_dns_answer *stub_answer(struct dnsq *d, const struct au_dns_query *q)
{
    unsigned h = stub_hash(q);
    for (struct stub_entry *e = d->stub_cache[h]; e; e = e->next)
        if (e->q.type == q->type && strcasecmp(e->q.name, q->name) == 0)
            return au_dns_answer_ref(e->answer);
    struct au_dns_answer *a = au_dns_stub_lookup(d->stub, q);
    struct stub_entry **slot = &d->stub_ring[d->stub_next];
    if (*slot)
        stub_forget(d, *slot);
    struct stub_entry *e = au_xcalloc(1, sizeof *e);
    e->q = *q;
    e->answer = au_dns_answer_ref(a);
    e->next = d->stub_cache[h];
    d->stub_cache[h] = e;
    *slot = e;
    d->stub_next = (d->stub_next + 1) % DNSQ_STUB_CACHE_MAX;
    return a;
}

struct dnsq_req *dnsq_lookup(struct dnsq *d, const struct au_dns_query *q, dnsq_answer_cb cb,
                             void *arg)
{
    struct dnsq_req *req = au_xcalloc(1, sizeof *req);
    req->d = d;
    req->cb = cb;
    req->arg = arg;
    ql_init(&req->later.link);
    ql_init(&req->live);
    if (d->stub) {
        req->answer = stub_answer(d, q);
        defer(d, &req->later, stub_fire);
    } else {
        ql_push(&d->live, &req->live);
        req->rreq = resolver_query(d->resolver, q, resolver_done, req);
    }
    return req;
}

void dnsq_cancel(struct dnsq_req *req)
{
    if (req->rreq) {
        resolver_cancel(req->rreq);
        ql_del(&req->live);
    } else {
        ql_del(&req->later.link);
        au_dns_answer_unref(req->answer);
    }
    free(req);
}

/* ---- check runs ---- */

static void run_answer(void *arg, struct au_dns_answer *a);

static void run_free(struct dnsq_run *run)
{
    ql_del(&run->link);
    free(run);
}

/* Steps the check: it either asks for answers, or is done. */
static void run_advance(struct dnsq_run *run)
{
    if (run->step(run->check, &run->batch) == AU_STEP_DONE) {
        dnsq_done_cb done = run->done;
        void *arg = run->arg;
        run_free(run);
        done(arg);
        return;
    }
    if (run->batch.n == 0 || run->batch.n > AU_DNS_BATCH_MAX)
        abort();   /* the check broke rule 3 of the contract in dns.h */
    size_t n = run->batch.n;
    run->outstanding = n;
    for (size_t i = 0; i < n; i++) {
        run->batch.a[i] = NULL;
        run->slot[i].run = run;
        run->slot[i].i = i;
    }
    /* Every answer comes on a later turn, so none can land (and step the
     * check) while this loop still issues the batch. */
    for (size_t i = 0; i < n; i++)
        run->req[i] = dnsq_lookup(run->d, &run->batch.q[i], run_answer, &run->slot[i]);
}

static void run_answer(void *arg, struct au_dns_answer *a)
{
    struct run_slot *slot = arg;
    struct dnsq_run *run = slot->run;
    run->req[slot->i] = NULL;
    run->batch.a[slot->i] = a;
    if (--run->outstanding == 0)
        run_advance(run);
}

static void run_first(struct later *l)
{
    struct dnsq_run *run = container_of(l, struct dnsq_run, later);
    run->started = 1;
    run_advance(run);
}

struct dnsq_run *dnsq_run_start(struct dnsq *d, au_step_fn step, void *check, dnsq_done_cb done,
                                void *arg)
{
    struct dnsq_run *run = au_xcalloc(1, sizeof *run);
    run->d = d;
    run->step = step;
    run->check = check;
    run->done = done;
    run->arg = arg;
    ql_push(&d->runs, &run->link);
    defer(d, &run->later, run_first);
    return run;
}

void dnsq_run_cancel(struct dnsq_run *run)
{
    if (!run->started) {
        ql_del(&run->later.link);
    } else {
        for (size_t i = 0; i < run->batch.n; i++)
            if (run->req[i]) {
                dnsq_cancel(run->req[i]);
                run->req[i] = NULL;
            }
        /* Answers already in the batch were placed by us (rule 5). */
        au_dns_batch_clear(&run->batch);
    }
    run_free(run);
}

static void dnsq_closed(uv_handle_t *h)
{
    free(container_of((uv_idle_t *)h, struct dnsq, idle));
}

void dnsq_free(struct dnsq *d)
{
    if (d == NULL)
        return;
    d->freeing = 1;
    /* Runs still going are dropped without done; their checks are their
     * owners' to free. */
    while (!ql_empty(&d->runs))
        dnsq_run_cancel(container_of(d->runs.next, struct dnsq_run, link));
    while (!ql_empty(&d->pending)) {
        struct later *l = container_of(d->pending.next, struct later, link);
        dnsq_cancel(container_of(l, struct dnsq_req, later));
    }
    /* The resolver drops its own requests; ours around them go here. */
    while (!ql_empty(&d->live)) {
        struct dnsq_req *req = container_of(d->live.next, struct dnsq_req, live);
        ql_del(&req->live);
        free(req);
    }
    for (size_t i = 0; i < DNSQ_STUB_CACHE_MAX; i++)
        if (d->stub_ring[i])
            stub_forget(d, d->stub_ring[i]);
    resolver_free(d->resolver);
    uv_close((uv_handle_t *)&d->idle, dnsq_closed);
}
