/*
 * test_scenario_load - the strict scenario loader (spec/scenarios.md) and
 * its YAML helper.
 *
 * A table of broken files, each written to a temporary folder and loaded
 * with scenario_load, asserts the exact "FILE:LINE:COLUMN: " of the error
 * (positions counted by hand from the text, 1-based) and a substring of the
 * message.  The complete example of scenarios.md (tests/scenario-load/
 * example.yaml, a verbatim copy) must load with every value as written.
 * scenario_collect is checked on a small tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dns.h"
#include "scenario.h"
#include "yamlx.h"

static char tmpdir[256];

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void write_key(const char *name, EVP_PKEY *k)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    EVP_PKEY_free(k);
}

static int setup(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/authsink-scenario-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    write_file("good.zone", "a.example. 300 IN A 192.0.2.1\n");
    write_file("bad.zone", "a.example. 300 IN A 192.0.2.1\nb.example. 300 IN A 192.0.2.999\n");
    write_file("msg.eml", "From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n");
    write_file("empty.eml", "");
    write_file("garbage.pem", "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n"
                              "-----END PRIVATE KEY-----\n");
    write_key("ed.pem", EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
    write_key("rsa.pem", EVP_RSA_gen(1024));
    return 0;
}

static int teardown(void **state)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

struct broken {
    const char *yaml;
    int line, col;
    const char *msg;
};

/* The raw conversation that makes a minimal valid file. */
#define CONV "conversations:\n  - raw: [{expect: \"220\"}]\n"
/* A key and a message conversation around a sign/expect/message fragment. */
#define KEYS "keys:\n  - {domain: example.com, selector: s1, algorithm: ed25519-sha256}\n"

static const struct broken broken[] = {
    /* YAML itself */
    {"scenario: \"gm\\qail\"\n" CONV, 1, 14, "YAML syntax error: invalid escape"},
    {"", 1, 1, "a scenario file: expected a mapping, found null"},
    {"- scenario: x\n", 1, 1, "expected a mapping, found a sequence"},
    {"scenario: a\nscenario: b\n" CONV, 2, 1, "duplicate key 'scenario' (first at line 1, column 1)"},
    {"scenario: t\n" CONV "---\nscenario: u\n", 4, 1, "only one YAML document"},
    {"scenario: &n t\n" CONV, 1, 11, "anchors (&name) are not supported"},
    {"scenario: !!str t\n" CONV, 1, 11, "tags (!name) are not supported"},
    {"scenario: t\nconversations:\n  - raw: [{expect: \"220\"}]\n  - raw: *r\n", 4, 10,
     "aliases (*name) are not supported"},
    {"scenario: t\n[x]: 1\n" CONV, 2, 1, "a mapping key must be a scalar"},
    {"scenario: t\nprofile: gm\xa5il\n" CONV, 2, 12, "not valid UTF-8 (byte 0xA5)"},
    {"%a\xa5\n", 1, 3, "not valid UTF-8"},   /* libfyaml 0.7.12 would loop forever on this */
    {"scenario: \xc3\xa9t\xc3\xa9\x01\n" CONV, 1, 14, "control character U+0001"},
    /* 68 bytes of the key and "...": YAMLX_SHOW_MAX (72) with the NUL */
    {"scenario: t\nkey_that_is_much_longer_than_the_seventy_two_bytes_a_message_shows_of_a_"
     "value: 1\n" CONV,
     2, 1,
     "unknown key 'key_that_is_much_longer_than_the_seventy_two_bytes_a_message_shows_o...' "
     "in a scenario file"},
    /* top level */
    {"scenario: t\ncolour: red\n" CONV, 2, 1,
     "unknown key 'colour' in a scenario file (allowed: scenario, profile, dns, keys, "
     "conversations)"},
    {CONV, 1, 1, "a scenario file: missing required key 'scenario'"},
    {"scenario: t\n", 1, 1, "missing required key 'conversations'"},
    {"scenario: |\n  two\n  lines\n" CONV, 2, 3, "scenario: expected one line"},
    {"scenario: t\nprofile: yahoo\n" CONV, 2, 10,
     "profile: unknown value 'yahoo' (expected one of gmail, gmail-bulk, gmail-tempfail, "
     "observe)"},
    {"scenario: t\nconversations: []\n", 2, 16, "expected at least one conversation"},
    {"scenario: t\nconversations: {a: 1}\n", 2, 16, "conversations: expected a sequence"},
    /* dns */
    {"scenario: t\ndns:\n  zones: x\n" CONV, 3, 3, "unknown key 'zones' in dns"},
    {"scenario: t\ndns:\n  files: [good.zone, missing.zone]\n" CONV, 3, 22,
     "zone file: cannot read 'missing.zone': No such file or directory"},
    {"scenario: t\ndns:\n  zone: |\n    a.example. 300 IN A 192.0.2.1\n"
     "    b.example. 300 IN A 999.0.0.1\n" CONV,
     5, 5, "dns.zone line 2:"},
    {"scenario: t\ndns:\n  files: [bad.zone]\n" CONV, 3, 11, "zone file bad.zone:2:"},
    {"scenario: t\ndns:\n  faults:\n    - {name: a.example, type: TXX, fault: timeout}\n" CONV,
     4, 31, "unknown DNS type 'TXX'"},
    {"scenario: t\ndns:\n  faults:\n    - {name: a.example, type: TXT, fault: slow}\n" CONV, 4,
     43, "fault: unknown value 'slow' (expected one of timeout, servfail, refused, nxdomain)"},
    {"scenario: t\ndns:\n  faults:\n    - {name: a.example, fault: timeout}\n" CONV, 4, 7,
     "a dns fault: missing required key 'type'"},
    {"scenario: t\ndns:\n  faults:\n    - {name: a..example, type: A, fault: timeout}\n" CONV, 4,
     14, "fault name 'a..example' has an empty label"},
    {"scenario: t\ndns:\n  faults:\n    - {name: a.example.., type: A, fault: timeout}\n" CONV,
     4, 14, "fault name 'a.example..' ends with a dot"},
    /* keys */
    {"scenario: t\nkeys:\n  - {domain: example.com., selector: s1, algorithm: rsa-sha256}\n"
     CONV,
     3, 14, "key domain 'example.com.' ends with a dot"},
    {"scenario: t\nkeys:\n  - {domain: example.com, selector: \"s 1\", algorithm: rsa-sha256}\n"
     CONV,
     3, 37, "key selector 's 1' has a character other than"},
    {"scenario: t\nkeys:\n  - {domain: example.com, selector: s1, algorithm: rsa-sha1}\n" CONV,
     3, 52, "algorithm: unknown value 'rsa-sha1' (expected one of rsa-sha256, ed25519-sha256)"},
    {"scenario: t\nkeys:\n  - domain: example.com\n    selector: s1\n    algorithm: rsa-sha256\n"
     "    bits: 100000\n" CONV,
     6, 11, "bits: 100000 is out of range (512 to 8192)"},
    {"scenario: t\nkeys:\n  - domain: example.com\n    selector: s1\n"
     "    algorithm: ed25519-sha256\n    bits: 256\n" CONV,
     6, 5, "only rsa-sha256 keys"},
    {"scenario: t\nkeys:\n  - domain: example.com\n    selector: s1\n    algorithm: rsa-sha256\n"
     "    bits: \"2048\"\n" CONV,
     6, 11, "bits: expected an integer, found '2048'"},
    {"scenario: t\nkeys:\n  - domain: example.com\n    selector: s1\n    algorithm: rsa-sha256\n"
     "    publish: yes\n" CONV,
     6, 14, "publish: expected true or false, found 'yes'"},
    {"scenario: t\nkeys:\n  - domain: example.com\n    selector: s1\n    algorithm: rsa-sha256\n"
     "    private_key_file: nokey.pem\n" CONV,
     6, 23, "cannot read 'nokey.pem': No such file or directory"},
    {"scenario: t\nkeys:\n  - domain: example.com\n    selector: s1\n    algorithm: rsa-sha256\n"
     "    private_key_file: garbage.pem\n" CONV,
     6, 23, "holds no PEM private key"},
    {"scenario: t\nkeys:\n  - domain: example.com\n    selector: s1\n    algorithm: rsa-sha256\n"
     "    private_key_file: ed.pem\n" CONV,
     6, 23, "'ed.pem' is not an RSA key"},
    {"scenario: t\nkeys:\n  - domain: example.com\n    selector: s1\n"
     "    algorithm: ed25519-sha256\n    private_key_file: rsa.pem\n" CONV,
     6, 23, "'rsa.pem' is not an Ed25519 key"},
    {"scenario: t\nkeys:\n  - domain: example.com\n    selector: s1\n    algorithm: rsa-sha256\n"
     "    publish: false\n    record: \"v=DKIM1; p=\"\n" CONV,
     7, 5, "a key with publish: false publishes no record"},
    {"scenario: t\nkeys:\n  - {domain: example.com, selector: s1, algorithm: ed25519-sha256}\n"
     "  - {domain: Example.COM, selector: s1, algorithm: rsa-sha256}\n" CONV,
     4, 5, "a second key Example.COM/s1 (the first is at line 3)"},
    {"scenario: t\nkeys:\n  - {domain: example.com, selector: s1}\n" CONV, 3, 5,
     "a key: missing required key 'algorithm'"},
    /* conversations: client and raw */
    {"scenario: t\nconversations:\n  - client: {ip: 203.0.113.300}\n    raw: [{send: QUIT}]\n", 3,
     18, "client.ip: '203.0.113.300' is not an IPv4 or IPv6 address"},
    {"scenario: t\nconversations:\n  - client: {ip: \"2001:db8::1\", tls: 1}\n"
     "    raw: [{send: QUIT}]\n",
     3, 38, "client.tls: expected true or false, found '1'"},
    {"scenario: t\nconversations:\n  - raw: [{expect: \"99\"}]\n", 3, 20,
     "expect: '99' is not a reply"},
    {"scenario: t\nconversations:\n  - raw: [{expect: \"550 5.7\"}]\n", 3, 20,
     "is not an enhanced status code"},
    {"scenario: t\nconversations:\n  - raw: [{sned: EHLO x}]\n", 3, 12,
     "a raw item: unknown key 'sned' (allowed: send, expect)"},
    {"scenario: t\nconversations:\n  - raw: [{send: QUIT, expect: \"221\"}]\n", 3, 11,
     "expected exactly one 'name: value' pair, found 2"},
    {"scenario: t\nconversations:\n  - raw: []\n", 3, 10, "raw: expected at least one item"},
    {"scenario: t\nconversations:\n  - raw: [{send: QUIT}]\n    mail_from: a@example.com\n", 4, 5,
     "'mail_from' cannot be used in a raw conversation"},
    /* message conversations */
    {"scenario: t\nconversations:\n  - mail_from: a@example.com\n    rcpt_to: [b@gmail.com]\n", 3,
     5, "a conversation: missing required key 'expect'"},
    {"scenario: t\nconversations:\n  - mail_from: not-an-address\n    rcpt_to: [b@gmail.com]\n"
     "    expect: {at: mail, reply: \"550\"}\n",
     3, 16, "mail_from: 'not-an-address' is not an address"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: []\n"
     "    expect: {at: mail, reply: \"550\"}\n",
     4, 14, "rcpt_to: expected at least one address"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    expect: {at: data, reply: 250 2.0.0}\n",
     3, 5, "missing required key 'message' (expect.at is data)"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    expect: {at: rcpt, reply: 250 2.1.5}\n",
     5, 31, "at 'rcpt' the answer is a refusal, so the reply must be 4xx or 5xx"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    expect: {at: quit, reply: \"550\"}\n",
     5, 18, "expect.at: unknown value 'quit' (expected one of connect, helo, mail, rcpt, data)"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    expect: {at: mail, reply: 550 4.7.1}\n",
     5, 31, "enhanced code 4.7.1 does not match the class of reply 550"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message: {body: hi}\n    expect: {at: data, reply: \"550\", spf: softpass}\n",
     6, 43, "expect.spf: unknown value 'softpass'"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message: {body: hi}\n    expect: {at: data, reply: \"550\", dkim: [pass, good]}\n",
     6, 51, "expect.dkim: unknown value 'good'"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message: {body: hi}\n    expect: {at: data, reply: \"550\", iprev: softfail}\n",
     6, 45, "expect.iprev: unknown value 'softfail' (expected one of pass, fail, temperror, "
            "permerror)"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com, c@gmail.com]\n"
     "    expect: {at: rcpt, reply: \"550\", rcpt: [\"550\"]}\n",
     5, 44, "expect.rcpt: 1 replies for 2 rcpt_to addresses"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message: {body: hi}\n    expect:\n      at: data\n      reply: 550 5.7.26\n"
     "      headers: {Subject: x}\n",
     9, 7, "expect.headers: only an accepted message (a 2xx reply) has stored headers"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message:\n      file: msg.eml\n      body: hi\n    expect: {at: data, reply: \"250\"}\n",
     7, 7, "message: 'body' cannot be given with 'file'"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message: {file: nomsg.eml}\n    expect: {at: data, reply: \"250\"}\n",
     5, 21, "message.file: cannot read 'nomsg.eml': No such file or directory"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message: {file: empty.eml}\n    expect: {at: data, reply: \"250\"}\n",
     5, 21, "message.file: 'empty.eml' is empty"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message:\n      headers:\n        - {From: a@example.com, To: b@gmail.com}\n"
     "    expect: {at: data, reply: \"250\"}\n",
     7, 11, "message.headers: expected exactly one 'name: value' pair, found 2"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message:\n      headers:\n        - \"Bad Name\": x\n"
     "    expect: {at: data, reply: \"250\"}\n",
     7, 11, "'Bad Name' is not a header field name"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message:\n      auto_headers: no\n    expect: {at: data, reply: \"250\"}\n",
     6, 21, "message.auto_headers: expected true or false, found 'no'"},
    /* sign and tamper */
    {"scenario: t\n" KEYS "conversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message: {body: hi}\n    sign:\n      - key: example.com/s9\n"
     "    expect: {at: data, reply: \"250\"}\n",
     9, 14, "sign.key: no key 'example.com/s9' in this file (keys: example.com/s1)"},
    {"scenario: t\n" KEYS "conversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message: {body: hi}\n    sign:\n      - key: example.com/s1\n"
     "        canonicalization: relaxed/fuzzy\n    expect: {at: data, reply: \"250\"}\n",
     10, 27, "canonicalization: unknown value 'relaxed/fuzzy'"},
    {"scenario: t\n" KEYS "conversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message: {body: hi}\n    sign:\n      - key: example.com/s1\n"
     "        timestamp: 1000000000000\n    expect: {at: data, reply: \"250\"}\n",
     10, 20, "sign.timestamp: 1000000000000 is out of range (0 to 999999999999)"},
    {"scenario: t\n" KEYS "conversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message: {body: hi}\n    sign:\n      - key: example.com/s1\n        l: 10\n"
     "    expect: {at: data, reply: \"250\"}\n",
     10, 9, "unknown key 'l' in a signature"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message: {body: hi}\n    tamper: {header_set: {Subject: a, subject: b}}\n"
     "    expect: {at: data, reply: \"250\"}\n",
     6, 39, "tamper.header_set: 'subject' is given twice"},
    {"scenario: t\nconversations:\n  - mail_from: \"\"\n    rcpt_to: [b@gmail.com]\n"
     "    message: {body: hi}\n    tamper: {header_remove: To}\n"
     "    expect: {at: data, reply: \"250\"}\n",
     6, 29, "tamper.header_remove: expected a sequence, found a string"},
};

static void test_broken_files(void **state)
{
    struct au_buf err;
    au_buf_init(&err, AU_BUF_NOLIMIT);
    int bad = 0;
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        char name[64], path[512], want[600];
        snprintf(name, sizeof name, "broken%02zu.yaml", i);
        write_file(name, broken[i].yaml);
        snprintf(path, sizeof path, "%s/%s", tmpdir, name);
        struct scenario *s = scenario_load(path, &err);
        if (s) {
            print_error("case %zu loaded but must not:\n%s\n", i, broken[i].yaml);
            scenario_free(s);
            bad++;
            continue;
        }
        snprintf(want, sizeof want, "%s:%d:%d: ", path, broken[i].line, broken[i].col);
        if (strncmp(err.data, want, strlen(want)) != 0 || !strstr(err.data, broken[i].msg)) {
            print_error("case %zu: want %s...%s\n      got %s\n", i, want, broken[i].msg,
                        err.data);
            bad++;
        }
    }
    au_buf_free(&err);
    assert_int_equal(bad, 0);
}

static void test_unreadable_scenario(void **state)
{
    struct au_buf err;
    au_buf_init(&err, AU_BUF_NOLIMIT);
    char path[512];
    snprintf(path, sizeof path, "%s/none.yaml", tmpdir);
    assert_null(scenario_load(path, &err));
    assert_non_null(strstr(err.data, ":1:1: cannot read the scenario: No such file"));
    /* a folder is not a scenario file */
    assert_null(scenario_load(tmpdir, &err));
    assert_non_null(strstr(err.data, "is a directory"));
    au_buf_free(&err);
}

static void test_example(void **state)
{
    const char *src = getenv("AUTHSINK_SOURCE");
    assert_non_null(src);
    char path[512];
    snprintf(path, sizeof path, "%s/tests/scenario-load/example.yaml", src);
    struct au_buf err;
    au_buf_init(&err, AU_BUF_NOLIMIT);
    struct scenario *s = scenario_load(path, &err);
    if (!s)
        print_error("%s\n", err.data);
    assert_non_null(s);

    assert_string_equal(s->name,
                        "SPF ~all from an unlisted IP and no DKIM is rejected as unauthenticated");
    assert_string_equal(s->profile, "gmail");
    assert_non_null(s->zone);
    assert_non_null(strstr(s->zone, "example.com.            300 IN TXT \"v=spf1 ip4:192.0.2.10 "
                                    "~all\"\n"));
    assert_non_null(strstr(s->zone, "5.113.0.203.in-addr.arpa. 300 IN PTR out.example.com.\n"));
    assert_int_equal(s->zone_pos.line, 5);   /* the first line of the | block */
    assert_int_equal(s->zone_pos.col, 5);
    assert_true(s->zone_lines_exact);
    assert_int_equal(scenario_zone_pos(s, 3).line, 7);   /* mail.example.com. A */

    assert_int_equal(s->nfiles, 1);
    assert_string_equal(s->files[0].name, "common.zone");
    assert_non_null(strstr(s->files[0].text, "$ORIGIN example.net."));
    assert_int_equal(s->nfaults, 1);
    assert_string_equal(s->faults[0].name, "slow.example.com");
    assert_int_equal(s->faults[0].type, AU_DNS_TXT);
    assert_int_equal(s->faults[0].fault, AU_DNS_FAULT_TIMEOUT);

    assert_int_equal(s->nkeys, 3);
    assert_string_equal(s->keys[0].domain, "example.com");
    assert_string_equal(s->keys[0].selector, "s1");
    assert_int_equal(s->keys[0].algorithm, SCENARIO_ALG_RSA_SHA256);
    assert_int_equal(s->keys[0].bits, 2048);
    assert_true(s->keys[0].publish);
    assert_null(s->keys[0].private_key_file);
    assert_null(s->keys[0].record);
    assert_string_equal(s->keys[1].selector, "ed1");
    assert_int_equal(s->keys[1].algorithm, SCENARIO_ALG_ED25519_SHA256);
    assert_int_equal(s->keys[1].bits, 0);
    assert_true(s->keys[1].publish);
    assert_string_equal(s->keys[2].selector, "gone");
    assert_int_equal(s->keys[2].bits, 2048);   /* the default (spec: bits defaults to 2048) */
    assert_false(s->keys[2].publish);

    assert_int_equal(s->nconv, 1);
    const struct scenario_conversation *c = &s->conv[0];
    assert_true(c->has_client);
    assert_string_equal(c->client.ip, "203.0.113.5");
    assert_int_equal(c->client.family, AF_INET);
    assert_string_equal(c->client.helo, "out.example.com");
    assert_false(c->client.tls);
    assert_false(c->raw_mode);
    assert_string_equal(c->mail_from, "bounce@example.com");
    assert_int_equal(c->nrcpt_to, 1);
    assert_string_equal(c->rcpt_to[0], "alice@gmail.com");
    assert_true(c->has_message);
    assert_int_equal(c->message.nheaders, 3);
    assert_string_equal(c->message.headers[0].name, "From");
    assert_string_equal(c->message.headers[0].value, "News <news@example.com>");
    assert_string_equal(c->message.headers[1].name, "To");
    assert_string_equal(c->message.headers[1].value, "alice@gmail.com");
    assert_string_equal(c->message.headers[2].name, "Subject");
    assert_string_equal(c->message.headers[2].value, "Hello");
    assert_true(c->message.auto_headers);
    assert_string_equal(c->message.body, "Hello there.\n");
    assert_null(c->message.file);

    assert_int_equal(c->nsign, 1);
    assert_int_equal(c->sign[0].key, 0);
    assert_int_equal(c->sign[0].header_canon, SCENARIO_CANON_RELAXED);
    assert_int_equal(c->sign[0].body_canon, SCENARIO_CANON_RELAXED);
    assert_int_equal(c->sign[0].nheaders, 5);
    const char *h[] = {"from", "to", "subject", "date", "message-id"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(c->sign[0].headers[i], h[i]);
    assert_null(c->sign[0].identity);
    assert_false(c->sign[0].has_body_length);
    assert_false(c->sign[0].has_expire_in);
    assert_false(c->sign[0].has_timestamp);

    assert_true(c->has_tamper);
    assert_string_equal(c->tamper.body_append, "one more line\n");
    assert_int_equal(c->tamper.nset, 0);
    assert_int_equal(c->tamper.nadd, 0);
    assert_int_equal(c->tamper.nremove, 0);

    assert_int_equal(c->expect.at, SCENARIO_AT_DATA);
    assert_int_equal(c->expect.reply.code, 550);
    assert_string_equal(c->expect.reply.enhanced, "5.7.26");
    assert_string_equal(c->expect.text, "sender is unauthenticated");
    assert_int_equal(c->expect.spf, AU_RESULT_SOFTFAIL);
    assert_false(c->expect.has_dkim);
    assert_int_equal(c->expect.dmarc, AU_RESULT_FAIL);
    assert_int_equal(c->expect.iprev, AU_RESULT_PASS);
    assert_int_equal(c->expect.nrcpt, 0);
    assert_int_equal(c->expect.nheaders, 0);
    scenario_free(s);
    scenario_free(NULL);
    au_buf_free(&err);
}

/* The keys of the spec written out that the example leaves in comments. */
static void test_every_key(void **state)
{
    write_file("full.yaml",
               "scenario: every optional key\n"
               "profile: gmail-tempfail\n"
               "keys:\n"
               "  - {domain: example.org, selector: \"2024\", algorithm: rsa-sha256, bits: 1024,\n"
               "     record: \"v=DKIM1; k=rsa; p=\"}\n"
               "  - {domain: example.org, selector: ed, algorithm: ed25519-sha256,\n"
               "     private_key_file: ed.pem}\n"
               "conversations:\n"
               "  - client: {ip: \"2001:db8::25\", tls: true}\n"
               "    mail_from: \"\"\n"
               "    rcpt_to: [a@gmail.com, b@gmail.com]\n"
               "    message: {file: msg.eml}\n"
               "    sign:\n"
               "      - key: example.org/2024\n"
               "        canonicalization: simple\n"
               "        headers: [from, from]\n"
               "        identity: \"@example.org\"\n"
               "        body_length: 0\n"
               "        expire_in: -60\n"
               "        timestamp: 1764144000\n"
               "      - {key: EXAMPLE.org/ed, canonicalization: relaxed/simple}\n"
               "    tamper:\n"
               "      header_set: {Subject: Changed}\n"
               "      header_add: [{X-Extra: 1}]\n"
               "      header_remove: [To]\n"
               "    expect:\n"
               "      at: data\n"
               "      reply: \"250\"\n"
               "      dkim: [pass, fail]\n"
               "      rcpt: [\"250\", 550 5.1.1]\n"
               "      headers:\n"
               "        Authentication-Results: \"spf=softfail (google.com: domain of\"\n"
               "  - raw:\n"
               "      - {expect: \"220\"}\n"
               "      - {send: \"EHLO x\"}\n"
               "      - {send: \"MAIL FROM:<>\\\\noeol\"}\n"
               "      - {expect: 250}\n");
    char path[512];
    snprintf(path, sizeof path, "%s/full.yaml", tmpdir);
    struct au_buf err;
    au_buf_init(&err, AU_BUF_NOLIMIT);
    struct scenario *s = scenario_load(path, &err);
    if (!s)
        print_error("%s\n", err.data);
    assert_non_null(s);
    assert_string_equal(s->profile, "gmail-tempfail");
    assert_string_equal(s->keys[0].selector, "2024");
    assert_int_equal(s->keys[0].bits, 1024);
    assert_string_equal(s->keys[0].record, "v=DKIM1; k=rsa; p=");
    assert_string_equal(s->keys[1].private_key_file, "ed.pem");
    assert_non_null(strstr(s->keys[1].private_key_pem, "BEGIN PRIVATE KEY"));
    assert_int_equal(s->keys[1].bits, 0);
    const struct scenario_conversation *c = &s->conv[0];
    assert_int_equal(c->client.family, AF_INET6);
    assert_null(c->client.helo);
    assert_true(c->client.tls);
    assert_string_equal(c->mail_from, "");
    assert_false(c->message.auto_headers);
    assert_int_equal(c->message.file_len, strlen("From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n"));
    /* c=simple is simple/simple: "If only one algorithm is named, that algorithm is used
     * for the header and "simple" is used for the body" (RFC 6376 3.5) */
    assert_int_equal(c->sign[0].header_canon, SCENARIO_CANON_SIMPLE);
    assert_int_equal(c->sign[0].body_canon, SCENARIO_CANON_SIMPLE);
    assert_int_equal(c->sign[0].nheaders, 2);
    assert_string_equal(c->sign[0].identity, "@example.org");
    assert_true(c->sign[0].has_body_length);
    assert_int_equal(c->sign[0].body_length, 0);
    assert_int_equal(c->sign[0].expire_in, -60);
    assert_int_equal(c->sign[0].timestamp, 1764144000);
    assert_int_equal(c->sign[1].key, 1);
    assert_int_equal(c->sign[1].header_canon, SCENARIO_CANON_RELAXED);
    assert_int_equal(c->sign[1].body_canon, SCENARIO_CANON_SIMPLE);
    assert_string_equal(c->tamper.set[0].name, "Subject");
    assert_string_equal(c->tamper.set[0].value, "Changed");
    assert_string_equal(c->tamper.add[0].name, "X-Extra");
    assert_string_equal(c->tamper.add[0].value, "1");
    assert_string_equal(c->tamper.remove[0], "To");
    assert_int_equal(c->expect.reply.code, 250);
    assert_string_equal(c->expect.reply.enhanced, "");
    assert_int_equal(c->expect.spf, -1);
    assert_int_equal(c->expect.ndkim, 2);
    assert_int_equal(c->expect.dkim[1], AU_RESULT_FAIL);
    assert_int_equal(c->expect.nrcpt, 2);
    assert_int_equal(c->expect.rcpt[1].code, 550);
    assert_string_equal(c->expect.rcpt[1].enhanced, "5.1.1");
    assert_string_equal(c->expect.headers[0].name, "Authentication-Results");
    c = &s->conv[1];
    assert_true(c->raw_mode);
    assert_false(c->has_client);
    assert_int_equal(c->nraw, 4);
    assert_int_equal(c->raw[0].kind, SCENARIO_RAW_EXPECT);
    assert_int_equal(c->raw[0].expect.code, 220);
    assert_string_equal(c->raw[1].send, "EHLO x");
    assert_true(c->raw[1].eol);
    assert_string_equal(c->raw[2].send, "MAIL FROM:<>");
    assert_false(c->raw[2].eol);
    assert_int_equal(c->raw[3].expect.code, 250);
    scenario_free(s);
    au_buf_free(&err);
}

/* Relative paths in a scenario are read from the scenario's own folder,
 * whatever the current directory. */
static void test_relative_paths(void **state)
{
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(tmpdir), 0);
    assert_int_equal(mkdir("rel", 0700), 0);
    write_file("rel/s.yaml", "scenario: t\ndns: {files: [../good.zone]}\n" CONV);
    write_file("top.yaml", "scenario: t\ndns: {files: [good.zone]}\n" CONV);
    write_file("rel/bad.yaml", "scenario: t\ndns: {files: [good.zone]}\n" CONV);
    struct au_buf err;
    au_buf_init(&err, AU_BUF_NOLIMIT);
    struct scenario *s = scenario_load("rel/s.yaml", &err);
    assert_non_null(s);
    assert_string_equal(s->dir, "rel");
    assert_string_equal(s->files[0].path, "rel/../good.zone");
    assert_string_equal(s->files[0].text, "a.example. 300 IN A 192.0.2.1\n");
    scenario_free(s);
    s = scenario_load("top.yaml", &err);
    assert_non_null(s);
    assert_string_equal(s->dir, ".");
    scenario_free(s);
    /* good.zone is beside top.yaml, not beside rel/bad.yaml */
    assert_null(scenario_load("rel/bad.yaml", &err));
    assert_string_equal(err.data, "rel/bad.yaml:2:15: zone file: cannot read 'good.zone': No "
                                  "such file or directory");
    au_buf_free(&err);
    assert_int_equal(chdir(cwd), 0);
}

static void mkdirs(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    assert_int_equal(mkdir(path, 0700), 0);
}

static void test_collect(void **state)
{
    mkdirs("tree");
    mkdirs("tree/sub");
    mkdirs("tree/a");
    mkdirs("tree/.hidden");
    write_file("tree/b.yaml", "");
    write_file("tree/a-b.yaml", "");
    write_file("tree/a/x.yaml", "");
    write_file("tree/sub/c.yaml", "");
    write_file("tree/sub/zone.zone", "");
    write_file("tree/old.yml", "");
    write_file("tree/.hidden/h.yaml", "");
    write_file("one.txt", "");
    char tree[512], one[512];
    snprintf(tree, sizeof tree, "%s/tree", tmpdir);
    snprintf(one, sizeof one, "%s/one.txt", tmpdir);
    const char *paths[] = {one, tree};
    char **files;
    size_t n;
    struct au_buf err;
    au_buf_init(&err, AU_BUF_NOLIMIT);
    assert_int_equal(scenario_collect(paths, 2, &files, &n, &err), 0);
    /* a file is taken as given, first; the folder's *.yaml sorted bytewise
     * ('-' is 0x2d, before '/' 0x2f) */
    const char *want[] = {"one.txt", "tree/a-b.yaml", "tree/a/x.yaml", "tree/b.yaml",
                          "tree/sub/c.yaml"};
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", tmpdir, want[i]);
        assert_string_equal(files[i], p);
    }
    scenario_collect_free(files, n);

    char missing[512];
    snprintf(missing, sizeof missing, "%s/nothing-here", tmpdir);
    const char *bad[] = {tree, missing};
    assert_int_equal(scenario_collect(bad, 2, &files, &n, &err), -1);
    assert_null(files);
    assert_int_equal(n, 0);
    char want_err[600];
    snprintf(want_err, sizeof want_err, "%s: No such file or directory", missing);
    assert_string_equal(err.data, want_err);
    au_buf_free(&err);
}

/* yamlx's reading of the core schema, and positions of block scalars. */
static void test_yamlx_types(void **state)
{
    struct au_buf err;
    au_buf_init(&err, AU_BUF_NOLIMIT);
    const char *text = "a: true\nb: \"true\"\nc: -12\nd: '12'\ne: ~\nf:\ng: |\n    x\n";
    struct yamlx_doc *d = yamlx_parse(text, strlen(text), "t.yaml", &err);
    assert_non_null(d);
    const struct yamlx_node *r = yamlx_root(d);
    bool b;
    long long v;
    const char *s;
    assert_int_equal(yamlx_bool(d, yamlx_get(r, "a"), "a", &b), 0);
    assert_true(b);
    assert_int_equal(yamlx_int(d, yamlx_get(r, "c"), "c", -100, 100, &v), 0);
    assert_int_equal(v, -12);
    assert_int_equal(yamlx_str(d, yamlx_get(r, "d"), "d", &s), 0);
    assert_string_equal(s, "12");
    assert_true(yamlx_is_null(yamlx_get(r, "e")));
    assert_true(yamlx_is_null(yamlx_get(r, "f")));
    const struct yamlx_node *g = yamlx_get(r, "g");
    assert_int_equal(g->line, 8);
    assert_int_equal(g->col, 5);
    assert_int_equal(yamlx_int(d, yamlx_get(r, "d"), "d", 0, 100, &v), -1);
    assert_string_equal(err.data, "t.yaml:4:4: d: expected an integer, found '12'");
    /* only the first error is kept */
    assert_int_equal(yamlx_bool(d, yamlx_get(r, "b"), "b", &b), -1);
    assert_string_equal(err.data, "t.yaml:4:4: d: expected an integer, found '12'");
    yamlx_free(d);
    yamlx_free(NULL);

    d = yamlx_parse("x: 1\n", 5, "u.yaml", &err);
    assert_int_equal(yamlx_bool(d, yamlx_get(yamlx_root(d), "x"), "x", &b), -1);
    assert_string_equal(err.data, "u.yaml:1:4: x: expected true or false, found '1'");
    yamlx_free(d);
    au_buf_free(&err);
}

/* Hostile YAML for yamlx_parse itself: the position and message of the
 * error, or NULL for a text that must parse. */
static const struct {
    const char *text;
    size_t len;   /* 0: strlen */
    const char *want;
} hostile[] = {
    {"a: {b: 1, b: 2}\n", 0, "t.yaml:1:11: duplicate key 'b' (first at line 1, column 5)"},
    {"a:\n  b: 1\n  c: [1]\n  b: 2\n", 0, "t.yaml:4:3: duplicate key 'b' (first at line 2, "
                                          "column 3)"},
    {"? [a]\n: 1\n", 0, "t.yaml:1:3: a mapping key must be a scalar, not a sequence"},
    {"{[a]: 1}\n", 0, "t.yaml:1:2: a mapping key must be a scalar, not a sequence"},
    {"a: 1\n---\nb: 2\n", 0, "t.yaml:2:1: only one YAML document is allowed in a file"},
    {"a: !t x\n", 0, "t.yaml:1:4: tags (!name) are not supported"},
    {"a: &x [1]\n", 0, "t.yaml:1:4: anchors (&name) are not supported"},
    {"a: \x7f\n", 0, "t.yaml:1:4: control character U+007F is not allowed in YAML"},
    {"a: \xc2\x85\n", 0, NULL},   /* NEL is printable in YAML */
    {"a: \xc2\x80\n", 0, "t.yaml:1:4: control character U+0080"},
    {"a: \xc0\xaf\n", 0, "t.yaml:1:4: not valid UTF-8 (byte 0xC0)"},       /* overlong '/' */
    {"a: \xed\xa0\x80\n", 0, "t.yaml:1:4: not valid UTF-8 (byte 0xED)"},   /* a surrogate */
    {"a: \xf4\x90\x80\x80\n", 0, "t.yaml:1:4: not valid UTF-8 (byte 0xF4)"}, /* > U+10FFFF */
    {"a: \xe2\x82\n", 0, "t.yaml:1:4: not valid UTF-8 (byte 0xE2)"},         /* cut short */
    {"a:\n  - \xe2\x82\xac\xe2\x82\xac x\x01", 0, "t.yaml:2:9: control character U+0001"},
    {"a: 1\0b: 2\n", 10, "t.yaml:1:5: control character U+0000"},
    {"\xef\xbb\xbf" "a: [\n", 0, "t.yaml:2:1: YAML syntax error"},
    {"", 0, NULL},
    {"# nothing but a comment\n", 0, NULL},
    {"a: 'it''s'\r\nb: \"\\u00e9\"\r\n", 0, NULL},
};

static void test_yamlx_hostile(void **state)
{
    struct au_buf err;
    au_buf_init(&err, AU_BUF_NOLIMIT);
    int bad = 0;
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        size_t len = hostile[i].len ? hostile[i].len : strlen(hostile[i].text);
        au_buf_reset(&err);
        struct yamlx_doc *d = yamlx_parse(hostile[i].text, len, "t.yaml", &err);
        bool ok = hostile[i].want
                      ? !d && err.data && strncmp(err.data, hostile[i].want,
                                                  strlen(hostile[i].want)) == 0
                      : d != NULL;
        if (!ok) {
            print_error("hostile %zu: want %s\n           got %s\n", i,
                        hostile[i].want ? hostile[i].want : "(parsed)",
                        d ? "(parsed)" : err.data);
            bad++;
        }
        yamlx_free(d);
    }
    /* nesting: 64 levels parse, the 65th is refused where it opens */
    char deep[200];
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = 0;
    struct yamlx_doc *d = yamlx_parse(deep + 1, 128, "t.yaml", &err);
    assert_non_null(d);
    yamlx_free(d);
    assert_null(yamlx_parse(deep, 130, "t.yaml", &err));
    assert_string_equal(err.data, "t.yaml:1:65: nested deeper than 64 levels");
    /* the quoted scalars above: values and positions */
    const char *t = "a: 'it''s'\nb: \"x\\0y\"\n";
    d = yamlx_parse(t, strlen(t), "t.yaml", &err);
    assert_non_null(d);
    const struct yamlx_node *a = yamlx_get(yamlx_root(d), "a");
    assert_string_equal(a->str, "it's");
    assert_int_equal(a->col, 4);
    const char *s;
    assert_int_equal(yamlx_str(d, yamlx_get(yamlx_root(d), "b"), "b", &s), -1);
    assert_string_equal(err.data, "t.yaml:2:4: b: NUL bytes are not allowed");
    yamlx_free(d);
    au_buf_free(&err);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broken_files),   cmocka_unit_test(test_unreadable_scenario),
        cmocka_unit_test(test_example),        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_collect),        cmocka_unit_test(test_yamlx_types),
        cmocka_unit_test(test_yamlx_hostile),  cmocka_unit_test(test_relative_paths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
