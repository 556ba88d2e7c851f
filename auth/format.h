/*
 * format - the message-format (RFC 5322) checks Gmail enforces
 * (REFERENCE.md section 1.3, DECISIONS.md rule 4).
 *
 * Fed field by field as the message splitter (msg.h) reports them, so it
 * needs nothing but each field's name and raw bytes; au_format_finish then
 * says which rules the header block breaks:
 *   - From missing, several From fields, several addresses in From, a From
 *     without a valid address or with a domain that is not a host name;
 *   - Message-ID missing or not one valid msg-id (RFC 5322 3.6.4);
 *   - a single-instance field of RFC 5322 3.6 present more than once (Date,
 *     Sender, Reply-To, To, Cc, Bcc, Message-ID, In-Reply-To, References,
 *     Subject; From has its own rule).
 * A missing Date (orig-date, required by RFC 5322 3.6) is recorded but is
 * no rule: nothing in the reference shows Gmail refusing mail for it, and
 * Gmail adds no reply text for it (DECISION).
 */
#ifndef AU_FORMAT_H
#define AU_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "buf.h"

enum au_format_rule {
    AU_FORMAT_FROM_MISSING = 0,
    AU_FORMAT_FROM_MULTIPLE,  /* several From fields */
    AU_FORMAT_FROM_ADDRESSES, /* several addresses in the From field */
    AU_FORMAT_FROM_INVALID,   /* no valid address, or a domain that is no host name */
    AU_FORMAT_MSGID_MISSING,
    AU_FORMAT_MSGID_INVALID,
    AU_FORMAT_DUPLICATE, /* a single-instance field more than once */
    AU_FORMAT__COUNT
};

#define AU_FORMAT_BIT(rule) (1u << (rule))

/* What the checks found: plain values, copied freely (the policy input
 * embeds one). */
struct au_format_result {
    unsigned rules;                           /* AU_FORMAT_BIT of each rule broken; 0: compliant */
    const char *duplicate;                    /* RFC 5322's spelling of the first field seen twice
                                                 ("Cc", "Subject"), static; NULL when none */
    size_t from_fields;                       /* From fields seen */
    size_t from_addresses;                    /* mailboxes in the first From field */
    char from_domain[AU_ADDR_DOMAIN_MAX + 1]; /* its domain when it has exactly one
                                                 mailbox with a valid domain; else "" */
    bool date_missing;                        /* no Date field: recorded, not a rule */
};

struct au_format;

/* A new checker for one message. */
struct au_format *au_format_new(void);
/* NULL is a no-op. */
void au_format_free(struct au_format *f);
/* Forgets the message, for the next one. */
void au_format_reset(struct au_format *f);
/* One header field: name as msg.h reports it, raw the whole field ("Name:
 * value" with folding and line end) or only its value. */
void au_format_field(struct au_format *f, struct au_slice name, struct au_slice raw);
/* The findings once every field was given; valid until the next reset/free. */
const struct au_format_result *au_format_finish(struct au_format *f);
/* A short stable name for a rule: "from-missing", ...; "?" when unknown. */
const char *au_format_rule_name(enum au_format_rule rule);

#endif
