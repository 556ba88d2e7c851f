/*
 * dmarc_record - the DMARC policy record (RFC 7489 section 6.3, grammar 6.4).
 */
#ifndef AU_DMARC_RECORD_H
#define AU_DMARC_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

#define AU_DMARC_RECORD_MAX 4096 /* bytes of one record (joined TXT strings) */
#define AU_DMARC_TAGS_MAX 64     /* tag=value terms in one record */
#define AU_DMARC_ERROR_MAX 160   /* bytes of a parse error message */

enum au_dmarc_policy {
    AU_DMARC_POLICY_UNSET = 0, /* tag absent (sp: the p policy applies) */
    AU_DMARC_POLICY_NONE,
    AU_DMARC_POLICY_QUARANTINE,
    AU_DMARC_POLICY_REJECT,
};

enum au_dmarc_align {
    AU_DMARC_ALIGN_RELAXED = 0, /* the default of adkim and aspf */
    AU_DMARC_ALIGN_STRICT,
};

enum au_dmarc_parse {
    AU_DMARC_PARSE_OK,        /* a usable policy record */
    AU_DMARC_PARSE_NOT_DMARC, /* does not start with v=DMARC1: discarded (6.6.3 steps 2, 4) */
    AU_DMARC_PARSE_NO_POLICY, /* v=DMARC1, but p missing or p/sp invalid, and no valid
                                 rua: no DMARC processing (6.6.3 step 6) -> "none" */
    AU_DMARC_PARSE_SYNTAX,    /* v=DMARC1, but the record breaks the grammar -> "permerror"
                                 (RFC 7489 section 11.2) */
};

struct au_dmarc_record {
    enum au_dmarc_policy p;  /* never UNSET when the parse is OK */
    enum au_dmarc_policy sp; /* UNSET when absent */
    bool p_implied;          /* p was missing/invalid and a valid rua made it "none"
                                (6.6.3 step 6) */
    unsigned pct;            /* 0..100, default 100 */
    enum au_dmarc_align adkim, aspf;
    uint32_t ri;                    /* default 86400 */
    char fo[16];                    /* as given ("0" by default), e.g. "1:d" */
    char rf[32];                    /* as given ("afrf" by default) */
    unsigned rua_count, ruf_count;  /* syntactically valid URIs in rua / ruf */
    char *rua, *ruf;                /* the values as given (owned), or NULL */
    char error[AU_DMARC_ERROR_MAX]; /* why, when the parse is not OK */
};

/*
 * Parses one record (the TXT strings joined).  rec is filled in every case
 * (defaults, then what was found); error[] says why when the answer is not
 * AU_DMARC_PARSE_OK.  Release the owned strings with au_dmarc_record_clear.
 */
enum au_dmarc_parse au_dmarc_record_parse(struct au_slice text, struct au_dmarc_record *rec);

/* Frees rua and ruf and resets rec to the defaults. */
void au_dmarc_record_clear(struct au_dmarc_record *rec);

/* "none", "quarantine", "reject", or "unset". Never NULL. */
const char *au_dmarc_policy_name(enum au_dmarc_policy p);
/* The same in upper case, as Gmail stamps it ("NONE"). Never NULL. */
const char *au_dmarc_policy_upper(enum au_dmarc_policy p);
/* "ok", "not a DMARC record", "no policy", "syntax error". Never NULL. */
const char *au_dmarc_parse_name(enum au_dmarc_parse r);

#endif
