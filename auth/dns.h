/*
 * dns - DNS types shared by every check, and the driver contract.
 *
 * The checks in auth/ (SPF, DKIM, DMARC, iprev) never perform DNS.  Each is a
 * resumable state machine with a step function of type au_step_fn.  A driver
 * (the synchronous one below, or the libuv one in smtpd/) runs it:
 *
 *     struct au_dns_batch batch = {0};
 *     while (step(check, &batch) == AU_STEP_NEED_DNS) {
 *         for (size_t i = 0; i < batch.n; i++)
 *             batch.a[i] = lookup(&batch.q[i]);    // any order, any time later
 *     }
 *     // read the result with the check's own accessor
 *
 * The law of the contract:
 *  1. The driver owns the batch and passes the same one to every step of a
 *     check.  It starts zeroed (n == 0).
 *  2. A step first takes every answer in a[0..n) (all non-NULL): ownership of
 *     those references passes to the check, which unrefs them when it no
 *     longer needs them.  It then sets n = 0 and advances.
 *  3. A step that returns AU_STEP_NEED_DNS has put 1..AU_DNS_BATCH_MAX queries
 *     in q[0..n) and set a[0..n) to NULL.  The driver must fill every a[i]
 *     with an answer reference (never NULL: failures are answers with status
 *     AU_DNS_TEMPFAIL) before it calls step again.  A driver that cannot
 *     answer (it is shutting down) frees the check instead.
 *  4. A step that returns AU_STEP_DONE leaves n == 0; further steps return
 *     AU_STEP_DONE again and change nothing.
 *  5. A check's _free releases any answers still in its batch only if the
 *     driver says so: the driver unrefs whatever it placed in a[] itself when
 *     it abandons a check mid-batch (au_dns_batch_clear does it).
 *
 * Names in queries and records are in presentation form, ASCII lowercase is
 * NOT forced (DNS is case-insensitive; compare with strcasecmp), without the
 * trailing dot, at most AU_DNS_NAME_MAX bytes.  The root is "".
 *
 * Answers are immutable once built and reference-counted, so a cache, several
 * waiting checks and a trace can share one without copying.  All the memory
 * of an answer (records, names, TXT strings) is owned by the answer.
 *
 * TXT records keep their character-strings apart: SPF joins them with nothing
 * (RFC 7208 section 3.3), DKIM and DMARC likewise (RFC 6376 section 3.6.2.2,
 * RFC 7489 section 6.6.3); a consumer that needs other rules has them.
 */
#ifndef AU_DNS_H
#define AU_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define AU_DNS_NAME_MAX 253   /* presentation form, no trailing dot (RFC 1035 2.3.4) */
#define AU_DNS_LABEL_MAX 63
#define AU_DNS_BATCH_MAX 16   /* queries one step may ask for at once */

enum au_dns_type {
    AU_DNS_A = 1,
    AU_DNS_NS = 2,
    AU_DNS_CNAME = 5,
    AU_DNS_SOA = 6,
    AU_DNS_PTR = 12,
    AU_DNS_MX = 15,
    AU_DNS_TXT = 16,
    AU_DNS_AAAA = 28,
    AU_DNS_SPF = 99,
    AU_DNS_ANY = 255,   /* only as a fault selector, never asked */
};

enum au_dns_status {
    AU_DNS_RECORDS,   /* one or more records of the type asked (count > 0) */
    AU_DNS_NXDOMAIN,  /* the name does not exist (RCODE 3) */
    AU_DNS_NODATA,    /* the name exists, with no records of this type */
    AU_DNS_TEMPFAIL,  /* timeout, SERVFAIL, REFUSED, network trouble */
    AU_DNS_MALFORMED, /* an answer came but could not be used */
};

struct au_dns_query {
    uint16_t type;
    char name[AU_DNS_NAME_MAX + 1];
};

struct au_dns_rr {
    uint16_t type;  /* the record's own type: a CNAME chain's target records carry theirs */
    uint32_t ttl;
    union {
        uint8_t a[4];
        uint8_t aaaa[16];
        const char *name;   /* PTR, CNAME, NS: target, no trailing dot */
        struct {
            uint16_t pref;
            const char *host;   /* no trailing dot; "" for the null MX (RFC 7505) */
        } mx;
        struct {
            size_t count;                  /* character-strings in the record */
            const struct au_slice *str;    /* each as sent; may contain any byte */
        } txt;                             /* TXT and SPF (type 99) */
    } u;
};

struct au_dns_answer {
    int refs;
    enum au_dns_status status;
    uint32_t ttl;          /* for caching: min TTL of the records, or the negative TTL */
    const char *detail;    /* why, for TEMPFAIL/MALFORMED/NXDOMAIN: "timeout", "SERVFAIL",
                              "REFUSED", "truncated", ...; never NULL */
    const char *cname;     /* the last CNAME target followed, or NULL */
    size_t count;          /* records, only when status == AU_DNS_RECORDS */
    const struct au_dns_rr *rr;
};

/* Returns a new answer without records (status != AU_DNS_RECORDS), refs = 1. */
struct au_dns_answer *au_dns_answer_status(enum au_dns_status status, uint32_t ttl,
                                           const char *detail);
/* Takes one more reference. Returns a. */
struct au_dns_answer *au_dns_answer_ref(struct au_dns_answer *a);
/* Drops one reference; the last frees the answer. NULL is a no-op. */
void au_dns_answer_unref(struct au_dns_answer *a);
/* True when a is a DNS error (TEMPFAIL or MALFORMED): no usable answer, as
 * opposed to one saying there is nothing (NXDOMAIN, NODATA). */
static inline bool au_dns_failed(const struct au_dns_answer *a)
{
    return a->status == AU_DNS_TEMPFAIL || a->status == AU_DNS_MALFORMED;
}

/*
 * Building an answer with records: start, add, finish.  The builder copies
 * every byte it is given; finish returns one allocation the answer owns.
 */
struct au_dns_builder;
struct au_dns_builder *au_dns_builder_new(void);
void au_dns_builder_add_a(struct au_dns_builder *b, uint32_t ttl, const uint8_t addr[4]);
void au_dns_builder_add_aaaa(struct au_dns_builder *b, uint32_t ttl, const uint8_t addr[16]);
void au_dns_builder_add_name(struct au_dns_builder *b, uint16_t type, uint32_t ttl,
                             const char *name);
void au_dns_builder_add_mx(struct au_dns_builder *b, uint32_t ttl, uint16_t pref,
                           const char *host);
/* TXT or SPF: count character-strings. */
void au_dns_builder_add_txt(struct au_dns_builder *b, uint16_t type, uint32_t ttl,
                            const struct au_slice *str, size_t count);
void au_dns_builder_set_cname(struct au_dns_builder *b, const char *target);
/* Returns the answer (status RECORDS if any were added, else NODATA) and frees b. */
struct au_dns_answer *au_dns_builder_finish(struct au_dns_builder *b);

/* The step contract (see the top of this file). */
enum au_step {
    AU_STEP_DONE = 0,
    AU_STEP_NEED_DNS = 1,
};

struct au_dns_batch {
    size_t n;
    struct au_dns_query q[AU_DNS_BATCH_MAX];
    struct au_dns_answer *a[AU_DNS_BATCH_MAX];
};

typedef enum au_step (*au_step_fn)(void *check, struct au_dns_batch *batch);

/* Unrefs every answer in the batch and empties it (for a driver abandoning a check). */
void au_dns_batch_clear(struct au_dns_batch *batch);
/* Adds a query to the batch. Returns 0, or -1 when the batch is full or the name too long. */
int au_dns_batch_add(struct au_dns_batch *batch, const char *name, uint16_t type);

/* A lookup function for the synchronous driver: returns a new reference, never NULL. */
typedef struct au_dns_answer *(*au_dns_lookup_fn)(void *ctx, const struct au_dns_query *q);

/* Runs a check to completion, answering each query with lookup(ctx, q). */
void au_dns_run(au_step_fn step, void *check, au_dns_lookup_fn lookup, void *ctx);

/* Type names as in zone files ("A", "TXT", "SPF", "ANY"); NULL / 0 when unknown. */
const char *au_dns_type_name(uint16_t type);
int au_dns_type_parse(const char *name);   /* case-insensitive; -1 when unknown */
const char *au_dns_status_name(enum au_dns_status status);

/* Joins a TXT record's character-strings into out (which is reset first).
 * Returns 0, or -1 when out's max is crossed. */
int au_dns_txt_join(const struct au_dns_rr *rr, struct au_buf *out);

#endif
