/*
 * test_session - the SMTP session state machine, without sockets.
 *
 * A table of conversations (most of them hostile) fed to the session, each
 * with the reply codes it must produce, in order; every case runs twice:
 * with all input in one piece (a fully pipelined client) and byte by byte.
 * Then the T-1 transcript of REFERENCE.md, line for line with the id
 * substituted, and the content the session hands over (dot-unstuffing,
 * size limit without buffering the excess).
 * Expected codes come from RFC 5321/1870/3030/6531 and REFERENCE.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

#define SID "a640c23a62f3a-a8d25d9970csi572004166b.1002"

struct harness {
    struct session_config cfg;
    struct session_ops ops;
    struct session *s;
    struct au_buf wire;       /* everything the session said */
    struct au_buf content;    /* the last message handed over */
    int eods;
    int txn_ends;
};

static void h_eod(void *arg, struct session *s)
{
    struct harness *h = arg;
    h->eods++;
    const struct session_txn *t = session_txn(s);
    au_buf_reset(&h->content);
    au_buf_append(&h->content, t->msg.data ? t->msg.data : "", t->msg.len);
}

static void h_txn_end(void *arg, struct session *s, enum session_txn_end how)
{
    struct harness *h = arg;
    h->txn_ends++;
}

static void h_init(struct harness *h, uint64_t size_max, bool xclient_ok)
{
    memset(h, 0, sizeof *h);
    session_config_defaults(&h->cfg);
    if (size_max)
        h->cfg.size_max = size_max;
    h->ops.eod = h_eod;
    h->ops.txn_end = h_txn_end;
    au_buf_init(&h->wire, AU_BUF_NOLIMIT);
    au_buf_init(&h->content, AU_BUF_NOLIMIT);
    struct session_client c;
    memset(&c, 0, sizeof c);
    strcpy(c.ip, "102.219.153.221");
    c.xclient_ok = xclient_ok;
    h->s = session_new(&h->cfg, &h->ops, h, SID, &c);
    session_start(h->s);
}

static void h_collect(struct harness *h)
{
    struct au_buf *out = session_output(h->s);
    au_buf_append(&h->wire, out->data ? out->data : "", out->len);
    au_buf_reset(out);
}

/* Feeds bytes like the server does: read, process, answer a waiting verdict. */
static void h_feed(struct harness *h, const char *p, size_t n, size_t piece)
{
    size_t off = 0;
    while (off < n && !session_closing(h->s)) {
        size_t room;
        char *dst = session_read_space(h->s, &room);
        assert_non_null(dst);
        size_t k = n - off < piece ? n - off : piece;
        if (k > room)
            k = room;
        memcpy(dst, p + off, k);
        session_read_commit(h->s, k);
        off += k;
        for (;;) {
            session_process(h->s);
            if (!session_waiting(h->s))
                break;
            session_eod_done_id(h->s, R_EOD_OK, "1734897414");
        }
        h_collect(h);
    }
}

static void h_free(struct harness *h)
{
    session_free(h->s);
    au_buf_free(&h->wire);
    au_buf_free(&h->content);
}

/* The codes of the replies on the wire, space-separated ("220 250 ..."). */
static void reply_codes(const struct au_buf *wire, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    const char *p = wire->data ? wire->data : "";
    const char *end = p + wire->len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            break;
        if (eol - p >= 4 && p[3] == ' ')
            n += (size_t)snprintf(out + n, cap - n, "%s%.3s", n ? " " : "", p);
        p = eol + 1;
    }
}

struct case_ {
    const char *name;
    const char *input;
    size_t len;         /* 0: strlen(input) */
    const char *codes;  /* expected reply codes */
    bool closes;
    bool xclient_ok;
    uint64_t size_max;
};

#define E "EHLO client.example\r\n"
#define MF "MAIL FROM:<a@example.com>\r\n"
#define RT "RCPT TO:<alice@gmail.com>\r\n"
#define OKTXN E MF RT "DATA\r\n" "Subject: x\r\n\r\nbody\r\n.\r\n"

static char *long_line(size_t n)
{
    char *p = malloc(n + 3);
    memset(p, 'A', n);
    memcpy(p + n, "\r\n", 3);
    return p;
}

static const struct case_ cases[] = {
    {"plain transaction", OKTXN "QUIT\r\n", 0, "220 250 250 250 354 250 221", true},
    {"HELO instead of EHLO", "HELO c\r\n" MF RT "DATA\r\n.\r\n", 0, "220 250 250 250 354 250"},
    {"bare LF ends commands", "EHLO c\nNOOP\n", 0, "220 250 250"},
    {"NUL inside a verb", "NO\0OP\r\n", 7, "220 502"},
    {"NUL inside MAIL", E "MAIL FROM:<a\0b@x.com>\r\n", sizeof(E) - 1 + 23, "220 250 555"},
    {"bare CR inside a command", "NOOP\rX\r\n", 0, "220 502"},
    {"8-bit verb", "N\xc3\x96OP\r\n", 0, "220 502"},
    {"8-bit in EHLO argument closes", "EHLO h\xc3\xa9llo\r\nNOOP\r\n", 0, "220 501", true},
    {"empty EHLO closes", "EHLO\r\nNOOP\r\n", 0, "220 501", true},
    {"EHLO with angle brackets closes", "EHLO <x>\r\n", 0, "220 501", true},
    {"MAIL before EHLO", MF, 0, "220 503"},
    {"RCPT before MAIL", E RT, 0, "220 250 503"},
    {"DATA before RCPT", E MF "DATA\r\n", 0, "220 250 250 503"},
    {"DATA before MAIL", E "DATA\r\n", 0, "220 250 503"},
    {"nested MAIL", E MF MF, 0, "220 250 250 503"},
    {"MAIL without brackets", E "MAIL FROM:a@example.com\r\n", 0, "220 250 555"},
    {"MAIL missing closing bracket", E "MAIL FROM:<a@example.com\r\n", 0, "220 250 555"},
    {"MAIL with junk after the path", E "MAIL FROM:<a@example.com>x\r\n", 0, "220 250 555"},
    {"MAIL without FROM:", E "MAIL <a@example.com>\r\n", 0, "220 250 555"},
    {"null sender", E "MAIL FROM:<>\r\n", 0, "220 250 250"},
    {"space after colon tolerated", E "MAIL FROM: <a@example.com>\r\n", 0, "220 250 250"},
    {"huge SIZE overflows", E "MAIL FROM:<a@example.com> SIZE=999999999999999999999999\r\n", 0,
     "220 250 552"},
    {"SIZE just over the limit", E "MAIL FROM:<a@example.com> SIZE=157286401\r\n", 0,
     "220 250 552"},
    {"SIZE at the limit", E "MAIL FROM:<a@example.com> SIZE=157286400\r\n", 0, "220 250 250"},
    {"SIZE not a number", E "MAIL FROM:<a@example.com> SIZE=12ab\r\n", 0, "220 250 555"},
    {"SIZE empty", E "MAIL FROM:<a@example.com> SIZE=\r\n", 0, "220 250 555"},
    {"SIZE twice, different values", E "MAIL FROM:<a@example.com> SIZE=1 SIZE=2\r\n", 0,
     "220 250 555"},
    {"BODY twice, different values", E "MAIL FROM:<a@example.com> BODY=7BIT BODY=8BITMIME\r\n",
     0, "220 250 555"},
    {"SMTPUTF8 twice (Python's smtplib)",
     E "MAIL FROM:<a@example.com> SMTPUTF8 BODY=8BITMIME SMTPUTF8\r\n", 0, "220 250 250"},
    {"BODY=BINARYMIME not offered", E "MAIL FROM:<a@example.com> BODY=BINARYMIME\r\n", 0,
     "220 250 555"},
    {"BODY=8BITMIME", E "MAIL FROM:<a@example.com> BODY=8BITMIME\r\n", 0, "220 250 250"},
    {"unknown MAIL parameter", E "MAIL FROM:<a@example.com> FOO=bar\r\n", 0, "220 250 555"},
    {"SMTPUTF8 with a value", E "MAIL FROM:<a@example.com> SMTPUTF8=yes\r\n", 0, "220 250 555"},
    {"RCPT to a domain not accepted", E MF "RCPT TO:<bob@example.org>\r\n", 0,
     "220 250 250 550"},
    {"RCPT parameter (no DSN offered)", E MF "RCPT TO:<alice@gmail.com> NOTIFY=NEVER\r\n", 0,
     "220 250 250 555"},
    {"UTF-8 recipient without SMTPUTF8", E MF "RCPT TO:<j\xc3\xb6rg@gmail.com>\r\n", 0,
     "220 250 250 553"},
    {"UTF-8 recipient with SMTPUTF8",
     E "MAIL FROM:<a@example.com> SMTPUTF8\r\nRCPT TO:<j\xc3\xb6rg@gmail.com>\r\n", 0,
     "220 250 250 250"},
    {"UTF-8 sender without SMTPUTF8", E "MAIL FROM:<j\xc3\xb6rg@example.com>\r\n", 0,
     "220 250 553"},
    {"local part of 65 octets", E MF
     "RCPT TO:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@gmail.com>\r\n", 0,
     "220 250 250 553"},
    {"empty domain label", E MF "RCPT TO:<bob@gmail..com>\r\n", 0, "220 250 250 553"},
    {"leading dot in local part", E MF "RCPT TO:<.bob@gmail.com>\r\n", 0, "220 250 250 553"},
    {"no domain", E MF "RCPT TO:<bob>\r\n", 0, "220 250 250 553"},
    {"Postmaster without domain", E MF "RCPT TO:<Postmaster>\r\n", 0, "220 250 250 250"},
    {"source route ignored", E MF "RCPT TO:<@relay.example:alice@gmail.com>\r\n", 0,
     "220 250 250 250"},
    {"quoted local part with '>'", E MF "RCPT TO:<\"a>b\"@gmail.com>\r\n", 0,
     "220 250 250 250"},
    {"address literal domain", E "MAIL FROM:<a@[192.0.2.1]>\r\n", 0, "220 250 250"},
    {"bad address literal", E "MAIL FROM:<a@[300.1.1.1]>\r\n", 0, "220 250 553"},
    {"unknown verbs until goodbye",
     "XYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\nXYZZY\r\n"
     "NOOP\r\n",
     0, "220 502 502 502 502 502 502 502 502 502 502", true},
    {"an HTTP request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0, "220 502 502 502"},
    {"pipelined garbage after a transaction", OKTXN "\x01\x02\x03\r\n\xff\xfe\r\nNOOP\r\n", 0,
     "220 250 250 250 354 250 502 502 250"},
    {"STARTTLS without a TLS context is not offered", E "STARTTLS\r\n", 0, "220 250 502"},
    {"AUTH not offered on the MX", E "AUTH PLAIN AGFiAGM=\r\n", 0, "220 250 502"},
    {"RSET with an argument", "RSET x\r\n", 0, "220 501"},
    {"VRFY without argument", "VRFY\r\n", 0, "220 501"},
    {"VRFY, HELP, NOOP", "VRFY bob\r\nHELP\r\nNOOP x\r\n", 0, "220 252 214 250"},
    {"DATA with an argument", E MF RT "DATA x\r\n", 0, "220 250 250 250 501"},
    {"lone dot ends an empty message", E MF RT "DATA\r\n.\r\n", 0, "220 250 250 250 354 250"},
    {"bare LF dot does not end DATA", E MF RT "DATA\r\nx\n.\nNOOP\r\n.\r\n", 0,
     "220 250 250 250 354 250"},
    {"message over the size limit", E MF RT "DATA\r\n"
     "0123456789012345678901234567890123456789012345678901234567890123456789\r\n.\r\nNOOP\r\n",
     0, "220 250 250 250 354 552 250", false, false, 32},
    {"BDAT 0 LAST", E MF RT "BDAT 0 LAST\r\n", 0, "220 250 250 250 250"},
    {"BDAT chunks with a literal dot line", E MF RT "BDAT 7\r\nab\r\n.\r\nBDAT 3 LAST\r\nxyz", 0,
     "220 250 250 250 250 250"},
    {"BDAT before MAIL reads and refuses the chunk", E "BDAT 6\r\nNOOP\r\nNOOP\r\n", 0,
     "220 250 503 250"},
    {"BDAT without a size", E MF RT "BDAT LAST\r\n", 0, "220 250 250 250 501"},
    {"BDAT size overflow", E MF RT "BDAT 999999999999999999999999\r\n", 0, "220 250 250 250 501"},
    {"DATA after BDAT", E MF RT "BDAT 2\r\nabDATA\r\n", 0, "220 250 250 250 250 503"},
    {"BDAT over the size limit", E MF RT "BDAT 40 LAST\r\n"
     "0123456789012345678901234567890123456789NOOP\r\n", 0, "220 250 250 250 552 250", false,
     false, 32},
    {"XCLIENT from a client not allowed", "XCLIENT ADDR=192.0.2.1\r\n", 0, "220 550"},
    {"XCLIENT inside a transaction", E MF "XCLIENT ADDR=192.0.2.1\r\n", 0, "220 250 250 503",
     false, true},
    {"XCLIENT with a bad address", "XCLIENT ADDR=not-an-ip\r\n", 0, "220 501", false, true},
    {"XCLIENT with bad xtext", "XCLIENT NAME=a+ZZ\r\n", 0, "220 501", false, true},
    {"XCLIENT with an unknown attribute", "XCLIENT COLOR=blue\r\n", 0, "220 501", false, true},
    {"XCLIENT then EHLO is required again", E "XCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\n" MF,
     0, "220 250 220 503", false, true},
    {"XCLIENT IPv6", "XCLIENT ADDR=IPV6:2001:db8::1 PORT=40123\r\n" E MF, 0, "220 220 250 250",
     false, true},
};

static void run_case(const struct case_ *c, size_t piece)
{
    struct harness h;
    h_init(&h, c->size_max, c->xclient_ok);
    size_t len = c->len ? c->len : strlen(c->input);
    h_feed(&h, c->input, len, piece);
    char got[1024];
    reply_codes(&h.wire, got, sizeof got);
    if (strcmp(got, c->codes) != 0 || session_closing(h.s) != c->closes) {
        print_error("case '%s' (pieces of %zu): expected '%s'%s, got '%s'%s\n--- wire:\n%s\n",
                    c->name, piece, c->codes, c->closes ? " and close" : "", got,
                    session_closing(h.s) ? " and close" : "", h.wire.data);
        h_free(&h);
        fail();
    }
    h_free(&h);
}

static void test_table_whole(void **state)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i], (size_t)-1);
}

static void test_table_bytewise(void **state)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i], 1);
}

static void test_overlong_lines(void **state)
{
    struct harness h;
    h_init(&h, 0, false);
    char *l = long_line(3000);
    h_feed(&h, l, strlen(l), (size_t)-1);
    h_feed(&h, "NOOP\r\n", 6, (size_t)-1);
    char got[256];
    reply_codes(&h.wire, got, sizeof got);
    assert_string_equal(got, "220 500 250");
    free(l);
    h_free(&h);

    /* A line that never ends is thrown away as it comes, never held. */
    h_init(&h, 0, false);
    char *big = malloc(200000);
    memset(big, 'B', 200000);
    h_feed(&h, big, 200000, 4096);
    h_feed(&h, "\r\nNOOP\r\n", 8, (size_t)-1);
    reply_codes(&h.wire, got, sizeof got);
    assert_string_equal(got, "220 500 250");
    free(big);
    h_free(&h);

    /* The boundary: line_max bytes with CRLF pass, one more does not. */
    h_init(&h, 0, false);
    char line[SESSION_LINE_MAX_DEFAULT + 2];
    memcpy(line, "NOOP ", 5);
    memset(line + 5, 'x', SESSION_LINE_MAX_DEFAULT - 7);
    memcpy(line + SESSION_LINE_MAX_DEFAULT - 2, "\r\n", 2);
    h_feed(&h, line, SESSION_LINE_MAX_DEFAULT, (size_t)-1);
    memcpy(line + SESSION_LINE_MAX_DEFAULT - 2, "x\r\n", 3);
    h_feed(&h, line, SESSION_LINE_MAX_DEFAULT + 1, (size_t)-1);
    reply_codes(&h.wire, got, sizeof got);
    assert_string_equal(got, "220 250 500");
    h_free(&h);
}

static void test_too_many_recipients(void **state)
{
    struct harness h;
    h_init(&h, 0, false);
    h_feed(&h, E MF, strlen(E MF), (size_t)-1);
    for (int i = 0; i < SESSION_RCPT_MAX_DEFAULT + 1; i++)
        h_feed(&h, RT, strlen(RT), (size_t)-1);
    const char *last = strrchr(h.wire.data, '\n');
    (void)last;
    char got[4096];
    reply_codes(&h.wire, got, sizeof got);
    assert_non_null(strstr(got, "250 250 452"));
    assert_int_equal(session_txn(h.s)->nrcpt, SESSION_RCPT_MAX_DEFAULT);
    h_free(&h);
}

static void test_dot_unstuffing(void **state)
{
    struct harness h;
    h_init(&h, 0, false);
    const char *in = E MF RT "DATA\r\n..leading\r\n\r\n..\r\nlast\r\n.\r\n";
    h_feed(&h, in, strlen(in), 3);
    assert_int_equal(h.eods, 1);
    assert_int_equal(h.content.len, strlen(".leading\r\n\r\n.\r\nlast\r\n"));
    assert_memory_equal(h.content.data, ".leading\r\n\r\n.\r\nlast\r\n", h.content.len);
    h_free(&h);
}

static void test_size_limit_holds_nothing_more(void **state)
{
    struct harness h;
    h_init(&h, 1024, false);
    h_feed(&h, E MF RT "DATA\r\n", strlen(E MF RT "DATA\r\n"), (size_t)-1);
    char chunk[1000];
    memset(chunk, 'z', sizeof chunk);
    chunk[998] = '\r';
    chunk[999] = '\n';
    for (int i = 0; i < 50; i++) {
        h_feed(&h, chunk, sizeof chunk, (size_t)-1);
        assert_true(session_txn(h.s)->msg.len <= 1024);
        assert_true(session_txn(h.s)->msg.cap <= 1025);
    }
    h_feed(&h, ".\r\n", 3, (size_t)-1);
    assert_int_equal(h.eods, 0);
    assert_int_equal(h.txn_ends, 1);
    assert_non_null(strstr(h.wire.data, "552-5.3.4 Your message exceeded Google's message size"));
    h_free(&h);
}

/* Feeds whole, with no verdicts: for the STARTTLS tests, where the input
 * may be refused (session_read_space NULL) once STARTTLS is answered. */
static void h_feed_all(struct harness *h, const char *p)
{
    size_t room, n = strlen(p);
    char *dst = session_read_space(h->s, &room);
    assert_non_null(dst);
    assert_true(room >= n);
    memcpy(dst, p, n);
    session_read_commit(h->s, n);
    session_process(h->s);
    h_collect(h);
}

static int mails;
static void h_mail(void *arg, struct session *s)
{
    mails++;
}

/* REFERENCE.md T-1 with STARTTLS offered (a TLS context exists): the plaintext
 * list names STARTTLS, 220 2.0.0 without trailer, and the EHLO after the
 * handshake (RFC 3207 4.2: the session starts over) no longer offers it. */
static void test_t1_starttls_transcript(void **state)
{
    struct harness h;
    h_init(&h, 0, false);
    h.cfg.starttls = true;
    const char *in = "EHLO Bettys-MacBook-Pro-2.local\r\nSTARTTLS\r\n";
    h_feed(&h, in, strlen(in), 5);
    assert_true(session_tls_pending(h.s));
    size_t room;
    assert_null(session_read_space(h.s, &room));   /* no input until TLS is up */
    const char *want1 = "220 mx.google.com ESMTP " SID " - gsmtp\r\n"
                        "250-mx.google.com at your service, [102.219.153.221]\r\n"
                        "250-SIZE 157286400\r\n"
                        "250-8BITMIME\r\n"
                        "250-STARTTLS\r\n"
                        "250-ENHANCEDSTATUSCODES\r\n"
                        "250-PIPELINING\r\n"
                        "250-CHUNKING\r\n"
                        "250 SMTPUTF8\r\n"
                        "220 2.0.0 Ready to start TLS\r\n";
    assert_string_equal(h.wire.data, want1);
    au_buf_reset(&h.wire);
    session_tls_started(h.s);
    assert_false(session_tls_pending(h.s));
    assert_true(session_tls_active(h.s));
    assert_string_equal(session_client(h.s)->helo, "");
    in = "EHLO Bettys-MacBook-Pro-2.local\r\n"
         "MAIL FROM:<bahdcoder@kb.openmailer.org>\r\n"
         "RCPT TO:<bahdcoder@gmail.com>\r\n"
         "DATA\r\n"
         "Subject: hi\r\n\r\nhello\r\n.\r\n"
         "STARTTLS\r\n"
         "QUIT\r\n";
    h_feed(&h, in, strlen(in), 5);
    const char *want2 = "250-mx.google.com at your service, [102.219.153.221]\r\n"
                        "250-SIZE 157286400\r\n"
                        "250-8BITMIME\r\n"
                        "250-ENHANCEDSTATUSCODES\r\n"
                        "250-PIPELINING\r\n"
                        "250-CHUNKING\r\n"
                        "250 SMTPUTF8\r\n"
                        "250 2.1.0 OK " SID " - gsmtp\r\n"
                        "250 2.1.5 OK " SID " - gsmtp\r\n"
                        "354 Go ahead " SID " - gsmtp\r\n"
                        "250 2.0.0 OK  1734897414 " SID " - gsmtp\r\n"
                        "502 5.5.1 Unimplemented command. " SID " - gsmtp\r\n"
                        "221 2.0.0 closing connection " SID " - gsmtp\r\n";
    assert_string_equal(h.wire.data, want2);
    h_free(&h);
}

/* CVE-2011-0411 class: commands sent in plaintext after STARTTLS, in the same
 * read, must never be executed (neither now nor after a handshake). A
 * receiver that kept its plaintext buffer would answer the injected MAIL
 * with 250 2.1.0 once TLS is up; this one answers STARTTLS with 523 5.7.10
 * (REFERENCE.md 1.1) and closes, the injected bytes discarded. */
static void test_starttls_injection(void **state)
{
    static const char *const tails[] = {
        "MAIL FROM:<evil@example.com>\r\n",
        "RSET\r\n",
        "MA",                      /* a partial line is still pipelined input */
        "\r\n",
        "\x16\x03\x01\x00\xc8",   /* even a ClientHello sent too early */
    };
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        struct harness h;
        h_init(&h, 0, false);
        h.cfg.starttls = true;
        mails = 0;
        h.ops.mail = h_mail;
        h_feed_all(&h, E);
        char in[128];
        snprintf(in, sizeof in, "STARTTLS\r\n%s", tails[i]);
        h_feed_all(&h, in);
        char got[256];
        reply_codes(&h.wire, got, sizeof got);
        assert_string_equal(got, "220 250 523");
        assert_non_null(strstr(h.wire.data, "523-5.7.10 SMTP protocol violation, no commands "
                                             "allowed to pipeline after\r\n"));
        assert_true(session_closing(h.s));
        assert_false(session_tls_pending(h.s));
        /* Even an owner that went on would find nothing left to run. */
        session_tls_started(h.s);
        session_process(h.s);
        h_collect(&h);
        reply_codes(&h.wire, got, sizeof got);
        assert_string_equal(got, "220 250 523");
        assert_int_equal(mails, 0);
        assert_false(session_in_txn(h.s));
        h_free(&h);
    }
}

static void test_starttls_refusals(void **state)
{
    static const struct {
        const char *in;
        const char *codes;
        const char *text;
    } t[] = {
        {E "STARTTLS now\r\n", "220 250 501", "501 5.7.11 Syntax error (no parameters allowed)."},
        {E MF "STARTTLS\r\n", "220 250 250 503", "503 5.5.1 Mail transaction in progress."},
        /* RFC 3207 does not require EHLO first; Gmail's reference has STARTTLS at ANY phase. */
        {"STARTTLS\r\n", "220 220", "220 2.0.0 Ready to start TLS\r\n"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct harness h;
        h_init(&h, 0, false);
        h.cfg.starttls = true;
        h_feed_all(&h, t[i].in);
        char got[256];
        reply_codes(&h.wire, got, sizeof got);
        assert_string_equal(got, t[i].codes);
        assert_non_null(strstr(h.wire.data, t[i].text));
        assert_false(session_closing(h.s));
        h_free(&h);
    }
}

/* REFERENCE.md T-1, this session's replies line for line (the id is T-1's). */
static void test_t1_transcript(void **state)
{
    struct harness h;
    h_init(&h, 0, false);
    const char *in = "EHLO Bettys-MacBook-Pro-2.local\r\n"
                     "MAIL FROM:<bahdcoder@kb.openmailer.org>\r\n"
                     "RCPT TO:<bahdcoder@gmail.com>\r\n"
                     "DATA\r\n"
                     "Subject: hi\r\n\r\nhello\r\n.\r\n"
                     "QUIT\r\n";
    h_feed(&h, in, strlen(in), 5);
    const char *want = "220 mx.google.com ESMTP " SID " - gsmtp\r\n"
                       "250-mx.google.com at your service, [102.219.153.221]\r\n"
                       "250-SIZE 157286400\r\n"
                       "250-8BITMIME\r\n"
                       "250-ENHANCEDSTATUSCODES\r\n"
                       "250-PIPELINING\r\n"
                       "250-CHUNKING\r\n"
                       "250 SMTPUTF8\r\n"
                       "250 2.1.0 OK " SID " - gsmtp\r\n"
                       "250 2.1.5 OK " SID " - gsmtp\r\n"
                       "354 Go ahead " SID " - gsmtp\r\n"
                       "250 2.0.0 OK  1734897414 " SID " - gsmtp\r\n"
                       "221 2.0.0 closing connection " SID " - gsmtp\r\n";
    assert_string_equal(h.wire.data, want);
    h_free(&h);
}

static void test_gmail_texts(void **state)
{
    struct harness h;
    h_init(&h, 0, false);
    const char *in = E MF "RCPT TO:<bob@example.org>\r\nRSET\r\nHELP\r\n";
    h_feed(&h, in, strlen(in), (size_t)-1);
    /* REFERENCE.md 1.4, NoSuchUser, as on the wire. */
    assert_non_null(strstr(
        h.wire.data,
        "550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n"
        "550-5.1.1 double-checking the recipient's email address for typos or\r\n"
        "550-5.1.1 unnecessary spaces. Learn more at\r\n"
        "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser " SID " - gsmtp\r\n"));
    assert_non_null(strstr(h.wire.data, "250 2.1.5 Flushed " SID " - gsmtp\r\n"));
    assert_non_null(
        strstr(h.wire.data,
               "214 2.0.0  https://www.google.com/search?btnI&q=RFC+5321 " SID " - gsmtp\r\n"));
    assert_int_equal(h.txn_ends, 1);
    h_free(&h);
}

static void test_xclient_identity(void **state)
{
    struct harness h;
    h_init(&h, 0, true);
    const char *in = "XCLIENT ADDR=203.0.113.5 NAME=out.example.com HELO=out.example.com\r\n"
                     "EHLO out.example.com\r\n";
    h_feed(&h, in, strlen(in), (size_t)-1);
    const struct session_client *c = session_client(h.s);
    assert_string_equal(c->ip, "203.0.113.5");
    assert_string_equal(c->name, "out.example.com");
    assert_int_equal(c->source, SESSION_SRC_XCLIENT);
    assert_non_null(strstr(h.wire.data, "250-mx.google.com at your service, [203.0.113.5]"));
    h_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_whole),
        cmocka_unit_test(test_table_bytewise),
        cmocka_unit_test(test_overlong_lines),
        cmocka_unit_test(test_too_many_recipients),
        cmocka_unit_test(test_dot_unstuffing),
        cmocka_unit_test(test_size_limit_holds_nothing_more),
        cmocka_unit_test(test_t1_transcript),
        cmocka_unit_test(test_t1_starttls_transcript),
        cmocka_unit_test(test_starttls_injection),
        cmocka_unit_test(test_starttls_refusals),
        cmocka_unit_test(test_gmail_texts),
        cmocka_unit_test(test_xclient_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
