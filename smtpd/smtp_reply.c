/*
 * smtp_reply - the receiver's protocol replies as data (see smtp_reply.h).
 *
 * Public: smtp_reply_def, smtp_reply_write.
 * Sources are REFERENCE.md's: wire transcripts where one exists (T-1 and the
 * 1.1/1.4 tables), else Google's documented text laid out with the wire
 * rules of section 2 (URL on its own line after one space).  Entries marked
 * UNCONFIRMED are our choice where no wire sample was found.
 */
#include "smtp_reply.h"

#include <stdio.h>
#include <string.h>

#include "reply.h"

#define URL_SMTP_ERRORS " https://support.google.com/a/answer/3221692"
#define URL_HELO " https://support.google.com/mail/?p=helo"

static const struct smtp_reply_def defs[R__COUNT] = {
    [R_BANNER] = {220, NULL, {"%s ESMTP"}, true, false, "T-1"},
    [R_HELO] = {250, NULL, {"%s at your service"}, false, false, "1.1 HELO (2020 telnet)"},
    [R_MAIL_OK] = {250, "2.1.0", {"OK"}, true, false, "T-1"},
    [R_RCPT_OK] = {250, "2.1.5", {"OK"}, true, false, "T-1"},
    /* The newest raw capture has one space; older MX captures two. */
    [R_DATA_GO] = {354, NULL, {"Go ahead"}, true, false, "T-1 (2024/2026 captures)"},
    [R_EOD_OK] = {250, "2.0.0", {"OK  %s"}, true, false, "1.1 (Postfix logs 2024-2026)"},
    [R_BDAT_OK] = {250, "2.0.0", {"OK"}, true, false, "UNCONFIRMED: no BDAT sample"},
    [R_QUIT] = {221, "2.0.0", {"closing connection"}, true, true, "T-1"},
    [R_RSET] = {250, "2.1.5", {"Flushed"}, true, false, "1.1 (MX session)"},
    [R_NOOP] = {250, "2.0.0", {"OK"}, true, false, "UNCONFIRMED (reference's guess)"},
    [R_HELP] = {214, "2.0.0", {" https://www.google.com/search?btnI&q=RFC+5321"}, true, false,
                "1.1 HELP (openssl to gmail-smtp-in)"},
    [R_VRFY] = {252, "2.1.5", {"Send some mail, I'll try my best"}, true, false,
                "UNCONFIRMED (Go net/smtp fixture)"},
    [R_UNRECOGNIZED] = {502, "5.5.1", {"Unrecognized command."}, true, false, "1.1 (older wire)"},
    [R_TOO_MANY_UNRECOGNIZED] = {502, "5.5.1", {"Too many unrecognized commands, goodbye."}, true,
                                 true, "doc text"},
    [R_UNIMPLEMENTED] = {502, "5.5.1", {"Unimplemented command."}, true, false, "doc text"},
    [R_HELO_FIRST] = {503,
                      "5.5.1",
                      {"EHLO/HELO first. An email transaction protocol command was issued",
                       "out of sequence. For more information, go to", URL_HELO},
                      true,
                      false,
                      "doc text; layout UNCONFIRMED"},
    [R_MAIL_FIRST] = {503,
                      "5.5.1",
                      {"MAIL first. A mail transaction protocol command was issued out of",
                       "sequence. For more information, go to",
                       URL_SMTP_ERRORS " and review RFC 5321", "specifications."},
                      true,
                      false,
                      "by analogy with the RCPT-first wire sample; UNCONFIRMED"},
    [R_RCPT_FIRST] = {503,
                      "5.5.1",
                      {"RCPT first. A mail transaction protocol command was issued out of",
                       "sequence. For more information, go to",
                       URL_SMTP_ERRORS " and review RFC 5321", "specifications."},
                      true,
                      false,
                      "1.1 wire (rhost-google-07)"},
    [R_NESTED_MAIL] = {503, "5.5.1", {"Nested MAIL command."}, true, false, "UNCONFIRMED"},
    [R_NO_DATA_AFTER_BDAT] = {503,
                              "5.5.1",
                              {"No DATA after BDAT. An email transaction protocol command was",
                               "issued out of sequence. For more information, go to",
                               URL_SMTP_ERRORS " and review RFC 3030", "specifications."},
                              true,
                              false,
                              "doc text; layout UNCONFIRMED"},
    [R_SYNTAX] = {555,
                  "5.5.2",
                  {"Syntax error. For more information, go to", URL_SMTP_ERRORS},
                  true,
                  false,
                  "doc text; layout UNCONFIRMED"},
    [R_SYNTAX_GOODBYE] = {555,
                          "5.5.2",
                          {"Syntax error, goodbye. For more information, go to", URL_SMTP_ERRORS},
                          true,
                          true,
                          "doc text; layout UNCONFIRMED"},
    [R_ARGS] = {501,
                "5.5.4",
                {"Syntax error in parameters or arguments. For more information, go",
                 "to", URL_SMTP_ERRORS},
                true,
                false,
                "RFC 5321 501 / RFC 3463 5.5.4; UNCONFIRMED"},
    [R_LINE_TOO_LONG] = {500, "5.5.2", {"Line too long."}, true, false,
                         "RFC 5321 4.5.3.1.4; UNCONFIRMED"},
    [R_HELO_EMPTY] = {501,
                      "5.5.4",
                      {"Empty HELO/EHLO argument not allowed, closing connection.", URL_HELO},
                      true,
                      true,
                      "doc text"},
    [R_HELO_INVALID] = {501,
                        "5.5.4",
                        {"HELO/EHLO argument %s invalid, closing connection.", URL_HELO},
                        true,
                        true,
                        "doc text"},
    [R_SENDER_INVALID] = {553,
                          "5.1.7",
                          {"The sender address <%s> is not a valid RFC 5321",
                           "address. For more information, go to", URL_SMTP_ERRORS},
                          true,
                          false,
                          "doc text; layout UNCONFIRMED"},
    [R_RCPT_INVALID] = {553,
                        "5.1.3",
                        {"The recipient address <%s> is not a valid RFC 5321",
                         "address. For more information, go to", URL_SMTP_ERRORS},
                        true,
                        false,
                        "doc text; layout UNCONFIRMED"},
    [R_NO_SUCH_USER] =
        {550,
         "5.1.1",
         {"The email account that you tried to reach does not exist. Please try",
          "double-checking the recipient's email address for typos or",
          "unnecessary spaces. Learn more at", " https://support.google.com/mail/?p=NoSuchUser"},
         true,
         false,
         "1.4 wire (rfc3464-63, rhost-google-02)"},
    [R_TOO_MANY_RCPTS] = {452,
                          "4.5.3",
                          {"Your message has too many recipients. For more information regarding",
                           "Google's sending limits, go to",
                           " https://support.google.com/mail/?p=TooManyRecipientsError"},
                          true,
                          false,
                          "doc text; layout UNCONFIRMED"},
    [R_SIZE] = {552,
                "5.3.4",
                {"Your message exceeded Google's message size limits. For more",
                 "information, go to", " https://support.google.com/mail/?p=MaxSizeError"},
                true,
                false,
                "doc text and wire fragment; layout UNCONFIRMED"},
    [R_TIMEOUT] = {451, "4.4.2", {"Timeout - closing connection."}, true, true, "doc text"},
    [R_BUSY] = {421, "4.4.5", {"Server busy, try again later."}, true, true, "doc text"},
    [R_TRY_LATER] = {421, "4.7.0", {"Try again later, closing connection."}, true, true,
                     "1.1 wire (EHLO throttle)"},
    [R_XCLIENT_DENIED] = {550, "5.7.0", {"Insufficient authorization for XCLIENT."}, true,
                          false, "Postfix XCLIENT_README semantics"},
    [R_XCLIENT_IN_TXN] = {503, "5.5.1", {"Mail transaction in progress."}, true, false,
                          "Postfix XCLIENT_README semantics"},
    [R_XCLIENT_SYNTAX] = {501, "5.5.4", {"Bad XCLIENT attribute: %s"}, true, false,
                          "Postfix XCLIENT_README semantics"},
    [R_STORE_FAILED] = {451, "4.3.0", {"Mail server temporarily rejected message."}, true, false,
                        "Gmail wire (widely reported); doc: 'Email server has temporarily "
                        "rejected this message.'"},
    [R_SHUTDOWN] = {421, "4.3.0", {"Temporary System Problem. Try again later."}, true, true,
                    "doc text"},
    [R_STARTTLS_READY] = {220, "2.0.0", {"Ready to start TLS"}, false, false, "T-1 (1.1)"},
    /* The older wording was "454 4.5.0 SMTP protocol violation, no commands
     * allowed to pipeline after STARTTLS, see RFC 3207." (REFERENCE.md 1.1).
     * Whether Gmail closes afterwards is not recorded; we close, because the
     * client's idea of the session (TLS or not) no longer matches ours. */
    [R_STARTTLS_PIPELINED] = {523,
                              "5.7.10",
                              {"SMTP protocol violation, no commands allowed to pipeline after",
                               "STARTTLS. For more information, go to",
                               URL_SMTP_ERRORS " and review RFC 3207", "specifications."},
                              true,
                              true,
                              "doc text (1.1, 7); layout and closing UNCONFIRMED"},
    [R_STARTTLS_PARAMS] = {501, "5.7.11", {"Syntax error (no parameters allowed)."}, true, false,
                           "doc text (1.1)"},
    [R_STARTTLS_IN_TXN] = {503, "5.5.1", {"Mail transaction in progress."}, true, false,
                           "Postfix semantics (RFC 3207 4.2 would discard the transaction); "
                           "UNCONFIRMED for Gmail"},
};

const struct smtp_reply_def *smtp_reply_def(enum smtp_reply_id id)
{
    return &defs[id];
}

void smtp_reply_render(enum smtp_reply_id id, const char *arg, struct smtp_reply_text *out)
{
    const struct smtp_reply_def *d = &defs[id];
    out->n = 0;
    for (; out->n < SMTP_REPLY_LINES_MAX && d->lines[out->n]; out->n++) {
        const char *tmpl = d->lines[out->n];
        const char *pct = strstr(tmpl, "%s");
        char *t = out->text[out->n];
        if (pct)
            snprintf(t, sizeof out->text[0], "%.*s%s%s", (int)(pct - tmpl), tmpl,
                     arg ? arg : "", pct + 2);
        else
            snprintf(t, sizeof out->text[0], "%s", tmpl);
        out->lines[out->n] = t;
    }
}

void smtp_reply_write(struct au_buf *out, enum smtp_reply_id id, const char *arg,
                      const char *sid)
{
    const struct smtp_reply_def *d = &defs[id];
    struct smtp_reply_text rt;
    smtp_reply_render(id, arg, &rt);
    au_reply_format(out, d->code, d->enhanced, rt.lines, rt.n, d->trailer ? sid : NULL);
}
