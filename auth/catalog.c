/*
 * catalog - the reply catalogue and its layout (see catalog.h).
 *
 * Public: au_catalog_get, au_catalog_name, au_catalog_render.
 * Sources: REFERENCE.md sections 1.2, 1.3, 2 and the transcripts of section
 * 3; DECISIONS.md for the choices.  Limits: AU_CATALOG_WRAP columns per
 * line, AU_CATALOG_VALUE_MAX bytes per value, AU_REPLY_LINES_MAX lines.
 *
 * THE LAYOUT RULE (reproduces T-2, T-4, T-5, T-7, T-8, T-11 and T-12 byte
 * for byte; tests/unit/test_catalog_golden.c proves it):
 *
 * Gmail uses two kinds of template, and which one a reply uses is data:
 *
 * 1. Filled paragraphs ('~'), the values substituted first:
 *    - words are separated by single spaces and placed greedily: a word goes
 *      on the current line when the line stays within 68 columns (the
 *      "550-5.7.26 " prefix not counted), else it starts the next line;
 *    - a leading space indents the paragraph's first line only: the words
 *      that wrap start at column 0 (T-4's "did not" / "pass");
 *    - a URL (a word of the template starting with http:// or https://)
 *      always stands on a line of its own, written " URL", and the words
 *      after it start a new line; a URL line followed by more text of the
 *      same paragraph keeps a trailing space (T-11, T-12: " URL " then "To
 *      learn more ...");
 *    - a substituted value is not a unit for wrapping: when column 68 falls
 *      inside a value, the value is cut there and continues on the next
 *      line (T-7: "...administrator of email.kazanexpre" / "ss.ru domain");
 *      a word holding a value that is longer than a whole line is cut at
 *      column 68 wherever that falls, so no line passes 68 columns.
 *    This is the whole rule for T-2, T-4, T-7, T-11 and T-12: every one of
 *    their lines is at most 68 columns and breaks before a word that would
 *    make it 69 or more (T-11: "...accept messages" is 65, "from" would be 70).
 *
 * 2. Fixed lines ('='), pre-wrapped templates: the line breaks are part of
 *    the template and values are put in without re-wrapping.  Gmail does
 *    this too: the 2022 "There are multiple" / "Subject headers." break and
 *    the 70-column 2023 "...multiple Cc headers." line cannot come from
 *    filling at 68.  T-5 (first lines 69 and 70 columns) and T-8 (74) are
 *    fixed templates here; their values were anonymised by sisimai after
 *    Gmail laid the lines out, so the widths Gmail wrapped were those of
 *    the original, shorter, values.  The sample's breaks are kept while
 *    every line of the run stays within AU_CATALOG_FIXED_MAX (74, the
 *    longest pre-wrapped line seen: T-8's first); a longer value turns the
 *    run into a filled paragraph (rule 1), as Gmail surely does not send
 *    100-column lines (DECISION; XXX the real threshold is unknown).
 *
 * An empty template line is the one-space blank line; au_reply_format adds
 * the code, the enhanced code, and " <id> - gsmtp" on the last line only.
 */
#include "catalog.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* clang-format off */
#define URL_SENDER_GUIDE "https://support.google.com/mail/answer/81126"
#define URL_AUTH "https://support.google.com/mail/answer/81126#authentication"
#define URL_RFC "https://support.google.com/mail/?p=RfcMessageNonCompliant"
#define URL_DMARC "https://support.google.com/mail/?p=DmarcRejection"

static const char *const t_accepted[] = {"=OK  {epoch}", NULL};

static const char *const t_ptr[] = {
    "~[{ip}] The IP address sending this message does not have a PTR record setup, or the "
    "corresponding forward DNS entry does not match the sending IP. As a policy, Gmail does "
    "not accept messages from IPs with missing PTR records. For more information, go to "
    "https://support.google.com/a?p=sender-guidelines-ip To learn more about Gmail "
    "requirements for bulk senders, visit https://support.google.com/a?p=sender-guidelines.",
    NULL};

static const char *const t_ptr_temp[] = {
    "~[{ip}] The sending IP address for this message doesn't have a PTR record, or the PTR "
    "record's forward DNS entry doesn't match the sending IP address. To protect users from "
    "spam, your email has been temporarily rate limited. To learn more about IP address "
    "requirements for sending to Gmail, visit https://support.google.com/a/answer/81126#ip",
    NULL};

#define AUTH_RESULTS_LINES                                                                  \
    "", "~ Authentication results:", "~ DKIM = did not pass",                               \
        "~ SPF [{domain}] with ip: [{ip}] = did not pass", "",                              \
        "~ For instructions on setting up authentication, go to " URL_AUTH

static const char *const t_unauth[] = {
    "~Your email has been blocked because the sender is unauthenticated. Gmail requires all "
    "senders to authenticate with either SPF or DKIM.",
    AUTH_RESULTS_LINES, NULL};

static const char *const t_unauth_temp[] = {
    "~This mail has been rate limited because it is unauthenticated. Gmail requires all "
    "senders to authenticate with either SPF or DKIM.",
    AUTH_RESULTS_LINES, NULL};

static const char *const t_spf_hardfail[] = {
    "=The MAIL FROM domain [{domain}] has an SPF record with a hard fail",
    "=policy (-all) but it fails to pass SPF checks with the ip:",
    "=[{ip}]. To best protect our users from spam and phishing,",
    "=the message has been blocked. For instructions on setting up",
    "=authentication, go to",
    "~" URL_AUTH,
    NULL};

static const char *const t_dmarc_reject[] = {
    "=Unauthenticated email from {from_domain} is not accepted due to domain's",
    "=DMARC policy. Please contact the administrator of {from_domain} domain if",
    "=this was a legitimate mail. To learn about the DMARC initiative, go",
    "=to",
    "~" URL_DMARC,
    NULL};

static const char *const t_dmarc_dns_temp[] = {
    "~Unauthenticated email from {from_domain} is not accepted due to domain's DMARC policy, "
    "but temporary DNS failures prevent authentication. Please contact the administrator of "
    "{from_domain} domain if this was a legitimate mail. To learn about the DMARC initiative, "
    "go to " URL_DMARC,
    NULL};

#define BULK_TAIL(setup_words, setup_url)                                                   \
    "", "~ " setup_words " " setup_url " To learn more about Gmail requirements for bulk "  \
        "email senders, visit " URL_SENDER_GUIDE

static const char *const t_bulk_spf[] = {
    "~This message was blocked because it didn't pass SPF authentication. Gmail requires bulk "
    "email senders to authenticate their email with SPF.",
    "", "~ Authentication results:", "~ SPF [{domain}] with ip: [{ip}] = did not pass",
    BULK_TAIL("To set up SPF for your sending domains, visit",
              "https://support.google.com/a/answer/33786"),
    NULL};

static const char *const t_bulk_spf_temp[] = {
    "~Your email has been rate limited because SPF authentication didn't pass for this "
    "message. Gmail requires all bulk email senders to authenticate their email with SPF.",
    "", "~ Authentication results:", "~ SPF [{domain}] with ip: [{ip}] = did not pass",
    BULK_TAIL("To set up SPF for your sending domains, visit",
              "https://support.google.com/a/answer/33786"),
    NULL};

static const char *const t_bulk_dkim[] = {
    "~This message was blocked because it didn't pass DKIM authentication. Gmail requires "
    "bulk email senders to authenticate their email with DKIM.",
    "", "~ Authentication results:", "~ DKIM = did not pass",
    BULK_TAIL("To set up DKIM for your sending domains, visit",
              "https://support.google.com/a/answer/174124"),
    NULL};

static const char *const t_bulk_dkim_temp[] = {
    "~Your email has been rate limited because DKIM authentication didn't pass for this "
    "message. Gmail requires all email bulk senders to authenticate their email with DKIM.",
    "", "~ Authentication results:", "~ DKIM = did not pass",
    BULK_TAIL("To set up DKIM for your sending domains, visit",
              "https://support.google.com/a/answer/174124"),
    NULL};

static const char *const t_bulk_dmarc[] = {
    "~Your message was blocked because the sending domain doesn't have a DMARC record or the "
    "DMARC record doesn't specify a DMARC policy. Gmail requires all bulk email senders to add "
    "a DMARC record to their sending domain.",
    BULK_TAIL("To set up DMARC, visit", "https://support.google.com/a/answer/2466580"),
    NULL};

static const char *const t_bulk_dmarc_temp[] = {
    "~Your email has been rate limited because the sending domain doesn't have a DMARC "
    "record, or the DMARC record doesn't specify a DMARC policy. Gmail requires all bulk email "
    "senders to add a DMARC record to their sending domain.",
    BULK_TAIL("To set up DMARC, visit", "https://support.google.com/a/answer/2466580"),
    NULL};

#define ALIGN_TAIL                                                                          \
    " To learn more about DMARC alignment, visit https://support.google.com/a?p=dmarc-alignment " \
    "To learn more about Gmail requirements for bulk senders, visit "                       \
    "https://support.google.com/a?p=sender-guidelines."

static const char *const t_bulk_align[] = {
    "~Your email has been rate limited because the From: header (RFC5322) in this message "
    "isn't aligned with either the authenticated SPF or DKIM organizational domain." ALIGN_TAIL,
    NULL};

static const char *const t_bulk_align_blocked[] = {
    "~Your email was blocked because the From: header (RFC5322) in this message isn't aligned "
    "with either the authenticated SPF or DKIM organizational domain." ALIGN_TAIL,
    NULL};

static const char *const t_bulk_tls[] = {
    "~This message was blocked because it wasn't sent over a TLS connection. Gmail requires "
    "all bulk email senders to use TLS/SSL for SMTP connections.",
    BULK_TAIL("To set up TLS for email, visit", "https://support.google.com/a/answer/100181"),
    NULL};

static const char *const t_bulk_tls_temp[] = {
    "~Your email has been rate limited because you're not using a TLS connection. Gmail "
    "requires all bulk email senders to use TLS/SSL for SMTP connections.",
    BULK_TAIL("To set up TLS for email, visit", "https://support.google.com/a/answer/100181"),
    NULL};

static const char *const t_rfc_duplicate[] = {
    "=This message is not RFC 5322 compliant. There are multiple {header} headers.",
    "=To reduce the amount of spam sent to Gmail, this message has been",
    "=blocked. Please visit",
    "~" URL_RFC,
    NULL};

#define RFC_TAIL " To reduce the amount of spam sent to Gmail, this message has been blocked. " \
                 "Please visit " URL_RFC

static const char *const t_rfc_from_missing[] = {
    "~This message is not RFC 5322 compliant because the From: header is missing." RFC_TAIL,
    NULL};

static const char *const t_rfc_from_multiple[] = {
    "~This message is not RFC 5322 compliant because it has multiple From: headers." RFC_TAIL,
    NULL};

#define RFC_REVIEW " For more information, go to " URL_RFC " and review RFC 5322 specifications."

static const char *const t_rfc_from_addresses[] = {
    "~Messages with multiple addresses in the From: header are not accepted." RFC_REVIEW, NULL};

static const char *const t_rfc_from_invalid[] = {
    "~Messages missing a valid address in the From: header, or having no From: header, are "
    "not accepted." RFC_REVIEW,
    NULL};

static const char *const t_rfc_message_id[] = {
    "~Messages missing a valid Message-ID header are not accepted." RFC_REVIEW, NULL};

#define DOC "doc text [G-ERR] 2026-02"
#define DOC_LAYOUT "UNCONFIRMED layout: doc text laid out with the wire rules (DECISIONS.md)"

static const struct au_catalog_entry entries[AU_CAT__COUNT] = {
    [AU_CAT_ACCEPTED] = {AU_CAT_ACCEPTED, "accepted", 250, "2.0.0", t_accepted,
                         "REFERENCE 1.1 [GH-idx:39892090571] (two spaces after OK)", NULL},
    [AU_CAT_PTR] = {AU_CAT_PTR, "ptr", 550, "5.7.25", t_ptr, "T-11 [GH-idx:10976018351]", NULL},
    [AU_CAT_PTR_TEMP] = {AU_CAT_PTR_TEMP, "ptr-temp", 451, "4.7.23", t_ptr_temp, DOC,
                         DOC_LAYOUT "; the doc's link title 'the IP addresses section of our "
                                    "sender guidelines' is replaced by its link (DECISION)"},
    [AU_CAT_UNAUTH] = {AU_CAT_UNAUTH, "unauthenticated", 550, "5.7.26", t_unauth,
                       "T-2 [GH-idx:53840398492]", NULL},
    [AU_CAT_UNAUTH_TEMP] = {AU_CAT_UNAUTH_TEMP, "unauthenticated-temp", 421, "4.7.26",
                            t_unauth_temp, "T-4 [GH-idx:36441095438] (Feb 2024)", NULL},
    [AU_CAT_SPF_HARDFAIL] = {AU_CAT_SPF_HARDFAIL, "spf-hardfail", 550, "5.7.26", t_spf_hardfail,
                             "T-8 [SOE:lhost-sendmail-60]",
                             "fixed lines: the sample's values are anonymised (see layout rule)"},
    [AU_CAT_DMARC_REJECT] = {AU_CAT_DMARC_REJECT, "dmarc-reject", 550, "5.7.26", t_dmarc_reject,
                             "T-5 [SOE:lhost-dragonfly-01]",
                             "fixed lines: the sample's domain is anonymised (see layout rule)"},
    [AU_CAT_DMARC_REJECT_TEMP] = {AU_CAT_DMARC_REJECT_TEMP, "dmarc-reject-temp", 421, "4.7.26",
                                  t_dmarc_reject, "T-5 words",
                                  "DECISION: no 4xx form of the p=reject reply is known; "
                                  "gmail-tempfail answers T-5's words with 421 4.7.26"},
    [AU_CAT_DMARC_DNS_TEMP] = {AU_CAT_DMARC_DNS_TEMP, "dmarc-dns-temp", 451, "4.7.26",
                               t_dmarc_dns_temp, "T-7 [GH-idx:27236434976]", NULL},
    [AU_CAT_BULK_SPF] = {AU_CAT_BULK_SPF, "bulk-spf", 550, "5.7.27", t_bulk_spf, DOC,
                         DOC_LAYOUT "; UNCONFIRMED phase; the results line takes T-2's wire "
                                    "form 'SPF [domain] with ip: [ip]' (DECISION)"},
    [AU_CAT_BULK_SPF_TEMP] = {AU_CAT_BULK_SPF_TEMP, "bulk-spf-temp", 421, "4.7.27",
                              t_bulk_spf_temp, DOC " [GH-idx:68918992194] (first line)",
                              DOC_LAYOUT "; results line as bulk-spf (DECISION)"},
    [AU_CAT_BULK_DKIM] = {AU_CAT_BULK_DKIM, "bulk-dkim", 550, "5.7.30", t_bulk_dkim, DOC,
                          DOC_LAYOUT "; 5.7.28 in the Mar-2024 doc, 5.7.30 since May 2024"},
    [AU_CAT_BULK_DKIM_TEMP] = {AU_CAT_BULK_DKIM_TEMP, "bulk-dkim-temp", 421, "4.7.30",
                               t_bulk_dkim_temp, DOC, DOC_LAYOUT},
    [AU_CAT_BULK_DMARC_RECORD] = {AU_CAT_BULK_DMARC_RECORD, "bulk-dmarc-record", 550, "5.7.40",
                                  t_bulk_dmarc, DOC,
                                  DOC_LAYOUT "; 'See Set up DMARC' becomes a visit line"},
    [AU_CAT_BULK_DMARC_RECORD_TEMP] = {AU_CAT_BULK_DMARC_RECORD_TEMP, "bulk-dmarc-record-temp",
                                       421, "4.7.40", t_bulk_dmarc_temp, DOC,
                                       "DECISION: 4.7.40 as on the error-code page (since Apr "
                                       "2025); the sender-guidelines FAQ numbers the same "
                                       "condition 4.7.31 (since Apr 2024, still Mar 2026); "
                                       "which one servers send is UNCONFIRMED. " DOC_LAYOUT},
    [AU_CAT_BULK_ALIGN] = {AU_CAT_BULK_ALIGN, "bulk-alignment", 421, "4.7.32", t_bulk_align,
                           "T-12 [GH-idx:11463335860]",
                           "UNCONFIRMED line breaks (words verbatim); DECISION: the only form "
                           "seen on the wire, used by gmail-bulk and gmail-tempfail"},
    [AU_CAT_BULK_ALIGN_BLOCKED] = {AU_CAT_BULK_ALIGN_BLOCKED, "bulk-alignment-blocked", 421,
                                   "5.7.32", t_bulk_align_blocked, DOC,
                                   "UNCONFIRMED on the wire (odd 4xx/5.x.x pairing of the doc "
                                   "page); T-12's tail; not used by any profile"},
    [AU_CAT_BULK_TLS] = {AU_CAT_BULK_TLS, "bulk-tls", 550, "5.7.29", t_bulk_tls, DOC,
                         DOC_LAYOUT "; UNCONFIRMED phase"},
    [AU_CAT_BULK_TLS_TEMP] = {AU_CAT_BULK_TLS_TEMP, "bulk-tls-temp", 421, "4.7.29",
                              t_bulk_tls_temp, DOC " (wording since Apr 2025)", DOC_LAYOUT},
    [AU_CAT_RFC_DUPLICATE] = {AU_CAT_RFC_DUPLICATE, "rfc5322-duplicate", 550, "5.7.1",
                              t_rfc_duplicate, "2023 wire [GH-idx:26328169750]",
                              "fixed lines as in the 2023 sample (its first line is 70 "
                              "columns with Cc: a pre-wrapped template)"},
    [AU_CAT_RFC_FROM_MISSING] = {AU_CAT_RFC_FROM_MISSING, "rfc5322-from-missing", 550, "5.7.1",
                                 t_rfc_from_missing, DOC " + 2023 wire tail",
                                 "DECISION: the doc sentence, then the 2023 wire's 'To reduce "
                                 "the amount of spam...' tail; " DOC_LAYOUT},
    [AU_CAT_RFC_FROM_MULTIPLE] = {AU_CAT_RFC_FROM_MULTIPLE, "rfc5322-from-multiple", 550, "5.7.1",
                                  t_rfc_from_multiple, DOC " + 2023 wire tail",
                                  "DECISION: as rfc5322-from-missing"},
    [AU_CAT_RFC_FROM_ADDRESSES] = {AU_CAT_RFC_FROM_ADDRESSES, "rfc5322-from-addresses", 550,
                                   "5.7.1", t_rfc_from_addresses, DOC,
                                   "2017-18 wire had '[ip n] Messages with multiple addresses "
                                   "in From: header are not accepted.'; the doc text is used. "
                                   DOC_LAYOUT},
    [AU_CAT_RFC_FROM_INVALID] = {AU_CAT_RFC_FROM_INVALID, "rfc5322-from-invalid", 550, "5.7.1",
                                 t_rfc_from_invalid, DOC,
                                 "also given for a From domain that is not a valid host name "
                                 "(doc: 'non-compliant domain name'). " DOC_LAYOUT},
    [AU_CAT_RFC_MESSAGE_ID] = {AU_CAT_RFC_MESSAGE_ID, "rfc5322-message-id", 550, "5.7.1",
                               t_rfc_message_id, "wire fragment [GH-idx:66629984139] + " DOC,
                               "DECISION (DECISIONS.md): refused, not repaired with an "
                               "SMTPIN_ADDED_MISSING id. " DOC_LAYOUT},
};

/* clang-format on */

const struct au_catalog_entry *au_catalog_get(enum au_catalog_id id)
{
    if ((unsigned)id >= AU_CAT__COUNT)
        abort(); /* a broken invariant: ids come from the tables, never from a peer */
    return &entries[id];
}

const char *au_catalog_name(enum au_catalog_id id)
{
    return (unsigned)id < AU_CAT__COUNT ? entries[id].name : "?";
}

/* ---- substitution ---- */

/*
 * The text of a template line with its values put in, and beside it one
 * flag byte per text byte: 'v' for a byte that came from a value, 't' for
 * the template's own.  The fill rule needs to know which is which.
 */
struct subst {
    struct au_buf text;
    struct au_buf flag;
};

static void put(struct subst *s, const char *p, size_t n, char kind)
{
    size_t avail;
    if (n == 0)
        return;
    au_buf_append(&s->text, p, n);
    char *f = au_buf_space(&s->flag, n, &avail);
    memset(f, kind, n);
    au_buf_commit(&s->flag, n);
}

static void put_value(struct subst *s, const char *v)
{
    if (!v)
        return;
    char safe[AU_CATALOG_VALUE_MAX];
    size_t n = strnlen(v, AU_CATALOG_VALUE_MAX);
    for (size_t i = 0; i < n; i++) {
        /* A value comes from the peer or DNS: keep the reply line-safe. */
        unsigned char c = (unsigned char)v[i];
        safe[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    put(s, safe, n, 'v');
}

static void substitute(struct subst *s, const char *tmpl, const struct au_catalog_values *v)
{
    static const struct au_catalog_values none;
    if (!v)
        v = &none;
    const char *p = tmpl;
    while (*p) {
        if (*p == '{') {
            const char *end = strchr(p, '}');
            size_t n = end ? (size_t)(end - p + 1) : 0;
            char num[24];
            if (n == 4 && !strncmp(p, "{ip}", 4)) {
                put_value(s, v->ip);
            } else if (n == 8 && !strncmp(p, "{domain}", 8)) {
                put_value(s, v->domain);
            } else if (n == 13 && !strncmp(p, "{from_domain}", 13)) {
                put_value(s, v->from_domain);
            } else if (n == 8 && !strncmp(p, "{header}", 8)) {
                put_value(s, v->header);
            } else if (n == 7 && !strncmp(p, "{epoch}", 7)) {
                snprintf(num, sizeof num, "%lld", v->epoch);
                put_value(s, num);
            } else {
                put(s, p, 1, 't');
                p++;
                continue;
            }
            p += n;
            continue;
        }
        put(s, p, 1, 't');
        p++;
    }
}

/* The template line tmpl alone, its values put in: s holds nothing else. */
static void substitute_line(struct subst *s, const char *tmpl, const struct au_catalog_values *v)
{
    au_buf_reset(&s->text);
    au_buf_reset(&s->flag);
    substitute(s, tmpl, v);
}

/* ---- fill ---- */

static bool is_url(const char *w, const char *f, size_t n)
{
    size_t k = 0;
    if (n > 8 && !strncmp(w, "https://", 8))
        k = 8;
    else if (n > 7 && !strncmp(w, "http://", 7))
        k = 7;
    for (size_t i = 0; i < k; i++)
        if (f[i] != 't')
            return false; /* a value never becomes a URL line */
    return k > 0;
}

static void emit(struct au_reply *r, struct au_buf *line)
{
    au_reply_add_line(r, au_buf_slice(line).ptr, line->len);
    au_buf_reset(line);
}

/* True when the break between w[k-1] and w[k] falls inside a value. */
static bool cut_in_value(const char *f, size_t n, size_t k)
{
    return k > 0 && k < n && f[k - 1] == 'v' && f[k] == 'v';
}

static void fill(struct au_reply *r, const char *t, const char *f, size_t n)
{
    struct au_buf line;
    au_buf_init(&line, AU_BUF_NOLIMIT);
    size_t i = 0;
    while (i < n && t[i] == ' ')
        i++;
    au_buf_append(&line, t, i); /* the first line's indent */
    bool has_word = false;

    while (i < n) {
        while (i < n && t[i] == ' ')
            i++;
        if (i >= n)
            break;
        size_t start = i;
        while (i < n && t[i] != ' ')
            i++;
        const char *w = t + start, *wf = f + start;
        size_t wl = i - start;
        size_t after = i;
        while (after < n && t[after] == ' ')
            after++;
        bool more = after < n;

        if (is_url(w, wf, wl)) {
            if (has_word)
                emit(r, &line);
            au_buf_reset(&line);
            au_buf_putc(&line, ' ');
            au_buf_append(&line, w, wl);
            if (more)
                au_buf_putc(&line, ' ');
            emit(r, &line);
            has_word = false;
            continue;
        }

        while (wl > 0) {
            size_t sep = has_word ? 1 : 0;
            if (line.len + sep + wl <= AU_CATALOG_WRAP) {
                if (sep)
                    au_buf_putc(&line, ' ');
                au_buf_append(&line, w, wl);
                has_word = true;
                break;
            }
            size_t room = line.len + sep < AU_CATALOG_WRAP ? AU_CATALOG_WRAP - line.len - sep : 0;
            if (room > 0 && cut_in_value(wf, wl, room)) {
                /* Column 68 falls inside a value: cut it there (T-7). */
                if (sep)
                    au_buf_putc(&line, ' ');
                au_buf_append(&line, w, room);
                emit(r, &line);
                has_word = false;
                w += room;
                wf += room;
                wl -= room;
                continue;
            }
            if (!has_word) {
                /* Alone on its line and still too long: a word holding a
                 * value is cut at the wrap column wherever that falls (a
                 * bracket or dot of the template may sit at the cut); a
                 * template word, never longer than a line, stands alone. */
                if (room > 0 && memchr(wf, 'v', wl)) {
                    au_buf_append(&line, w, room);
                    emit(r, &line);
                    w += room;
                    wf += room;
                    wl -= room;
                    continue;
                }
                au_buf_append(&line, w, wl);
                has_word = true;
                break;
            }
            emit(r, &line);
            has_word = false;
        }
    }
    if (has_word)
        emit(r, &line);
    au_buf_free(&line);
}

/* Fills what s holds into out (rule 1). */
static void fill_subst(struct au_reply *out, const struct subst *s)
{
    fill(out, au_buf_slice(&s->text).ptr, au_buf_slice(&s->flag).ptr, s->text.len);
}

/*
 * A run of fixed lines.  They are kept as they are while every one of them
 * stays within AU_CATALOG_FIXED_MAX columns once filled in; a longer value
 * (a real domain where the sample had a short one) turns the run into one
 * paragraph, filled by the rule above, rather than a line Gmail would not
 * send.
 */
static void fixed_run(struct au_reply *out, struct subst *s, const char *const *l, size_t run,
                      const struct au_catalog_values *v)
{
    bool fits = true;
    for (size_t i = 0; i < run && fits; i++) {
        substitute_line(s, l[i] + 1, v);
        fits = s->text.len <= AU_CATALOG_FIXED_MAX;
    }
    if (fits) {
        for (size_t i = 0; i < run; i++) {
            substitute_line(s, l[i] + 1, v);
            struct au_slice line = au_buf_slice(&s->text);
            au_reply_add_line(out, line.ptr, line.len);
        }
        return;
    }
    au_buf_reset(&s->text);
    au_buf_reset(&s->flag);
    for (size_t i = 0; i < run; i++) {
        if (i)
            put(s, " ", 1, 't');
        substitute(s, l[i] + 1, v);
    }
    fill_subst(out, s);
}

void au_catalog_render(enum au_catalog_id id, const struct au_catalog_values *v,
                       struct au_reply *out)
{
    const struct au_catalog_entry *e = au_catalog_get(id);
    au_reply_clear(out);
    out->code = e->code;
    snprintf(out->enhanced, sizeof out->enhanced, "%s", e->enhanced ? e->enhanced : "");

    struct subst s;
    au_buf_init(&s.text, AU_BUF_NOLIMIT);
    au_buf_init(&s.flag, AU_BUF_NOLIMIT);
    for (const char *const *l = e->text; *l; l++) {
        const char *tl = *l;
        if (tl[0] == '\0') {
            au_reply_add_line(out, "", 0);
            continue;
        }
        if (tl[0] == '=') {
            size_t run = 0;
            while (l[run] && l[run][0] == '=')
                run++;
            fixed_run(out, &s, l, run, v);
            l += run - 1;
            continue;
        }
        substitute_line(&s, tl + 1, v);
        fill_subst(out, &s);
    }
    au_buf_free(&s.text);
    au_buf_free(&s.flag);
    if (out->n == 0)
        au_reply_add_line(out, "", 0);
}
