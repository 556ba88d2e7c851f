/*
 * smtp_parse - the syntax of SMTP command arguments (RFC 5321 section 4.1.2,
 * RFC 1869/1870 parameters, RFC 6152, RFC 6531, Postfix XCLIENT).
 *
 * Pure functions over slices: no state, no allocation beyond what a result
 * says it owns.  The session decides what each outcome means on the wire.
 */
#ifndef SMTPD_SMTP_PARSE_H
#define SMTPD_SMTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SMTP_LOCAL_MAX 64     /* RFC 5321 4.5.3.1.1 */
#define SMTP_DOMAIN_MAX 255   /* RFC 5321 4.5.3.1.2 */
#define SMTP_PATH_MAX 256     /* RFC 5321 4.5.3.1.3, brackets included */
#define SMTP_SIZE_DIGITS_MAX 20

enum smtp_parse_rc {
    SMTP_OK = 0,
    SMTP_ESYNTAX,    /* not a path / parameter list at all: 555 5.5.2 */
    SMTP_EADDRESS,   /* a path, but not a valid RFC 5321 mailbox: 553 */
    SMTP_EPARAM,     /* unknown, duplicated or malformed parameter: 555 5.5.2 */
};

enum smtp_body {
    SMTP_BODY_NONE = 0,
    SMTP_BODY_7BIT,
    SMTP_BODY_8BITMIME,
};

struct smtp_path {
    char addr[SMTP_PATH_MAX + 1];   /* the mailbox without brackets; "" for <> */
    size_t at;                      /* index of the '@' in addr; 0 when none */
    bool null;                      /* <> */
    bool utf8;                      /* contains bytes >= 0x80 */
};

struct smtp_mail_params {
    uint64_t size;         /* SIZE= value; 0 when absent */
    bool size_given;
    bool size_overflow;    /* SIZE= larger than any uint64: surely over the limit */
    enum smtp_body body;
    bool smtputf8;
};

/*
 * Parses the argument of MAIL ("FROM:<path> params") or RCPT ("TO:<path>
 * params"): keyword is "FROM:" or "TO:".  Spaces after the colon are
 * tolerated (RFC 5321 does not allow them; many clients send them).
 * params_out receives the parameter text (may be empty).  The path is
 * validated as RFC 5321 Mailbox (dot-string or quoted local part, domain or
 * address literal); 8-bit bytes are allowed only when utf8_ok (the MAIL of
 * this transaction had SMTPUTF8) or the parameters carry SMTPUTF8.
 */
enum smtp_parse_rc smtp_parse_path(struct au_slice arg, const char *keyword, bool allow_null,
                                   bool utf8_ok, struct smtp_path *path,
                                   struct au_slice *params_out);

/* Scans MAIL parameters for SMTPUTF8 only (needed before validating the path). */
bool smtp_params_have_smtputf8(struct au_slice params);

/* Parses MAIL parameters (SIZE, BODY, SMTPUTF8). */
enum smtp_parse_rc smtp_parse_mail_params(struct au_slice params, struct smtp_mail_params *out);

/* Validates an EHLO/HELO argument: a domain or an address literal; we accept
 * what Gmail accepts in practice, any printable ASCII word. Returns true if ok. */
bool smtp_helo_valid(struct au_slice arg);

/* Validates a domain (RFC 5321 Domain: dot-separated let-dig [ldh-str] labels),
 * 8-bit bytes allowed when utf8. */
bool smtp_domain_valid(const char *p, size_t n, bool utf8);

/* Decodes xtext (RFC 3461 section 4; XCLIENT values) into out (reset first).
 * Returns 0, or -1 on a malformed +XX escape or out's limit. */
int smtp_xtext_decode(struct au_slice in, struct au_buf *out);

/* Parses "BDAT size [LAST]". Returns 0, or -1 on bad syntax. */
int smtp_parse_bdat(struct au_slice arg, uint64_t *size, bool *last);

#endif
