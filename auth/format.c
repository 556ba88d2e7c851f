/*
 * format - message-format checks (see format.h).
 *
 * Public: au_format_new, au_format_free, au_format_reset, au_format_field,
 * au_format_finish, au_format_rule_name.  RFC 5322 sections 3.6 (the table
 * of field counts), 3.6.2 (From), 3.6.4 (Message-ID); REFERENCE.md 1.3.
 * Limits: none of its own; the parsers' (addr.h) apply to each field, and
 * the message splitter bounds the header block.
 *
 * Only the first From and the first Message-ID are parsed; a second one is
 * already a finding of its own.
 */
#include "format.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* RFC 5322 3.6: the fields that may appear at most once (Date and From
 * exactly once). */
static const char *const single[] = {
    "Date", "From",       "Sender",      "Reply-To",   "To",      "Cc",
    "Bcc",  "Message-ID", "In-Reply-To", "References", "Subject",
};
#define NSINGLE (sizeof single / sizeof *single)
enum { I_DATE = 0, I_FROM = 1, I_MSGID = 7 };

struct au_format {
    size_t count[NSINGLE];
    bool msgid_valid;
    enum au_addr_status from_status;
    struct au_format_result res;
};

static const char *const rule_names[AU_FORMAT__COUNT] = {
    [AU_FORMAT_FROM_MISSING] = "from-missing",
    [AU_FORMAT_FROM_MULTIPLE] = "from-multiple",
    [AU_FORMAT_FROM_ADDRESSES] = "from-addresses",
    [AU_FORMAT_FROM_INVALID] = "from-invalid",
    [AU_FORMAT_MSGID_MISSING] = "message-id-missing",
    [AU_FORMAT_MSGID_INVALID] = "message-id-invalid",
    [AU_FORMAT_DUPLICATE] = "duplicate",
};

const char *au_format_rule_name(enum au_format_rule rule)
{
    return (unsigned)rule < AU_FORMAT__COUNT ? rule_names[rule] : "?";
}

struct au_format *au_format_new(void)
{
    struct au_format *f = au_xcalloc(1, sizeof *f);
    au_format_reset(f);
    return f;
}

void au_format_free(struct au_format *f)
{
    free(f);
}

void au_format_reset(struct au_format *f)
{
    memset(f, 0, sizeof *f);
}

/* The field body: what follows the first colon, or raw itself when it has
 * none (the caller gave the value only). */
static struct au_slice body_of(struct au_slice raw)
{
    const char *colon = raw.len ? memchr(raw.ptr, ':', raw.len) : NULL;
    if (!colon)
        return raw;
    size_t skip = (size_t)(colon - raw.ptr) + 1;
    return au_slice_make(raw.ptr + skip, raw.len - skip);
}

static void check_from(struct au_format *f, struct au_slice body)
{
    struct au_addr_list l;
    f->from_status = au_addr_parse_list(body, &l);
    f->res.from_addresses = l.count;
    if (f->from_status == AU_ADDR_OK && l.count == 1 && au_addr_domain_valid(l.addr[0].domain)) {
        memcpy(f->res.from_domain, l.addr[0].domain.ptr, l.addr[0].domain.len);
        f->res.from_domain[l.addr[0].domain.len] = '\0';
    }
}

void au_format_field(struct au_format *f, struct au_slice name, struct au_slice raw)
{
    name = au_slice_trim(name);
    for (size_t i = 0; i < NSINGLE; i++) {
        if (!au_slice_eq_ci(name, single[i]))
            continue;
        if (++f->count[i] == 2 && i != I_FROM && !f->res.duplicate)
            f->res.duplicate = single[i];
        if (f->count[i] == 1 && i == I_FROM)
            check_from(f, body_of(raw));
        if (f->count[i] == 1 && i == I_MSGID)
            f->msgid_valid = au_addr_msgid_valid(body_of(raw));
        return;
    }
}

const struct au_format_result *au_format_finish(struct au_format *f)
{
    struct au_format_result *r = &f->res;
    unsigned rules = 0;
    r->from_fields = f->count[I_FROM];
    if (r->from_fields == 0) {
        rules |= AU_FORMAT_BIT(AU_FORMAT_FROM_MISSING);
    } else {
        if (r->from_fields > 1)
            rules |= AU_FORMAT_BIT(AU_FORMAT_FROM_MULTIPLE);
        if (f->from_status != AU_ADDR_OK || r->from_addresses == 0)
            rules |= AU_FORMAT_BIT(AU_FORMAT_FROM_INVALID);
        else if (r->from_addresses > 1)
            rules |= AU_FORMAT_BIT(AU_FORMAT_FROM_ADDRESSES);
        else if (r->from_domain[0] == '\0')
            rules |= AU_FORMAT_BIT(AU_FORMAT_FROM_INVALID);
    }
    if (f->count[I_MSGID] == 0)
        rules |= AU_FORMAT_BIT(AU_FORMAT_MSGID_MISSING);
    else if (!f->msgid_valid)
        rules |= AU_FORMAT_BIT(AU_FORMAT_MSGID_INVALID);
    if (r->duplicate)
        rules |= AU_FORMAT_BIT(AU_FORMAT_DUPLICATE);
    r->date_missing = f->count[I_DATE] == 0;
    r->rules = rules;
    return r;
}
