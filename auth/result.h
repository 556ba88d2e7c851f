/*
 * result - the result words every check reports (RFC 8601 section 2.7).
 *
 * SPF uses none..permerror (RFC 7208 section 2.6), DKIM adds policy, DMARC
 * and iprev use a subset.  One enum keeps the JSON, the headers and the
 * policy tables speaking the same words.
 */
#ifndef AU_RESULT_H
#define AU_RESULT_H

enum au_result {
    AU_RESULT_NONE = 0,
    AU_RESULT_PASS,
    AU_RESULT_FAIL,
    AU_RESULT_SOFTFAIL,
    AU_RESULT_NEUTRAL,
    AU_RESULT_TEMPERROR,
    AU_RESULT_PERMERROR,
    AU_RESULT_POLICY,
};

/* The RFC 8601 word: "none", "pass", ... Never NULL. */
const char *au_result_name(enum au_result r);
/* The result for a word (case-insensitive); -1 when unknown. */
int au_result_parse(const char *word);

#endif
