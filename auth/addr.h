/*
 * addr - RFC 5322 address lists (the From field), domain names and msg-ids.
 *
 * The parser reads a field body as received (folding included) and returns
 * slices into it: no copy, nothing unfolded.  It follows RFC 5322 section
 * 3.4 (address-list, mailbox, name-addr, angle-addr, group, addr-spec),
 * tolerates the obsolete forms of section 4.4 that real mail still carries
 * (empty list elements, routes in angle-addr, CFWS around dots in local
 * parts and domains, phrases with dots), and RFC 6532 UTF-8 in atoms and
 * quoted strings.  Encoded words (RFC 2047) are atoms and are left alone.
 */
#ifndef AU_ADDR_H
#define AU_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define AU_ADDR_MAX 16           /* addresses returned; more are counted only */
#define AU_ADDR_COMMENT_DEPTH 32 /* nested comments "((...))" accepted */
#define AU_ADDR_DOMAIN_MAX 253   /* RFC 1035 2.3.4 (text form, no final dot) */
#define AU_ADDR_LABEL_MAX 63

enum au_addr_status {
    AU_ADDR_OK = 0,
    AU_ADDR_SYNTAX, /* not an address-list */
};

/* One mailbox.  local and domain are raw slices of the input: a quoted
 * local part keeps its quotes; obsolete forms may hold CFWS. */
struct au_addr {
    struct au_slice display; /* the phrase before "<", or empty */
    struct au_slice local;
    struct au_slice domain;
    bool in_group; /* part of a "name: ...;" group */
};

struct au_addr_list {
    size_t count;                     /* every mailbox found, groups' members included */
    size_t groups;                    /* groups found (an empty group adds no mailbox) */
    struct au_addr addr[AU_ADDR_MAX]; /* the first min(count, AU_ADDR_MAX) */
};

/* Parses an address-list (a From, To or Cc field body). Returns AU_ADDR_OK
 * and fills out, or AU_ADDR_SYNTAX (out then holds what was read before the
 * error). An empty or all-CFWS body is OK with count 0. */
enum au_addr_status au_addr_parse_list(struct au_slice body, struct au_addr_list *out);

/* True when s is a host name usable as a mail domain: dot-separated labels
 * of 1..63 letters, digits, hyphens (not first or last) or UTF-8 bytes
 * (RFC 6532), at least two labels, a top label not all digits, at most
 * AU_ADDR_DOMAIN_MAX bytes. Address literals ("[192.0.2.1]") are not. */
bool au_addr_domain_valid(struct au_slice s);

/* True when the field body is exactly one msg-id (RFC 5322 3.6.4):
 * [CFWS] "<" id-left "@" id-right ">" [CFWS], id-left a dot-atom-text or a
 * quoted string (obsolete), id-right a dot-atom-text or a no-fold-literal. */
bool au_addr_msgid_valid(struct au_slice body);

#endif
