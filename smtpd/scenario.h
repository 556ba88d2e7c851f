/*
 * scenario - scenario files (spec/scenarios.md, format 1), loaded strictly.
 *
 * scenario_load reads one file and returns everything it says, resolved and
 * validated: referenced zone, message and key files are read (relative to the
 * scenario's directory), key references are resolved to indexes, result words
 * to enum au_result, reply codes to numbers.  Any problem is one message
 * "FILE:LINE:COLUMN: what" and no scenario: a runner never starts one it
 * could not fully load (exit status 2).
 *
 * Where the spec is silent the loader is strict; the rules it adds:
 *  - a conversation is either raw (raw:, with an optional client:) or a
 *    message conversation (mail_from:, rcpt_to: and expect: required); the
 *    two sets of keys do not mix;
 *  - expect.at and expect.reply are required; a reply at connect, helo, mail
 *    or rcpt must be a refusal (4xx or 5xx), and expect.headers needs 2xx;
 *  - message: is required when expect.at is data; message.file excludes
 *    headers, body and auto_headers;
 *  - expect.rcpt has one entry per rcpt_to address;
 *  - keys: algorithm is required; bits only for rsa-sha256 and not with
 *    private_key_file, whose key type must match the algorithm; a record
 *    with publish: false is refused; (domain, selector) is unique;
 *  - sign.key must name a key of this file as "domain/selector";
 *  - strings may not contain NUL; header names are RFC 5322 field names and
 *    header values may not contain CR or LF.
 */
#ifndef SMTPD_SCENARIO_H
#define SMTPD_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dns_stub.h"
#include "result.h"

#define SCENARIO_FILE_MAX (1u << 20)        /* a scenario file */
#define SCENARIO_DATA_FILE_MAX (16u << 20)  /* a zone, message or key file */
#define SCENARIO_ZONE_FILES_MAX 64
#define SCENARIO_FAULTS_MAX 256
#define SCENARIO_KEYS_MAX 64
#define SCENARIO_CONVERSATIONS_MAX 256
#define SCENARIO_RCPT_MAX 100
#define SCENARIO_HEADERS_MAX 256            /* per list: message, tamper, expect */
#define SCENARIO_SIGN_MAX 16                /* signatures added to one message */
#define SCENARIO_RAW_MAX 4096               /* raw items in one conversation */
#define SCENARIO_RSA_BITS_MIN 512           /* below RFC 8301's 1024 on purpose: tests of short keys */
#define SCENARIO_RSA_BITS_MAX 8192
#define SCENARIO_RSA_BITS_DEFAULT 2048
#define SCENARIO_DKIM_TIME_MAX 999999999999LL   /* t= and l= are 1*12DIGIT (RFC 6376 3.5) */
#define SCENARIO_EXPIRE_MAX (10LL * 366 * 86400) /* |expire_in| at most ten years */
#define SCENARIO_COLLECT_DEPTH_MAX 32       /* folder nesting scenario_collect follows */

/* A 1-based position in the scenario file. */
struct scenario_pos {
    int line, col;
};

/* The profiles a scenario may name (ARCHITECTURE.md, principle 5). */
extern const char *const scenario_profiles[];   /* NULL-terminated */

struct scenario_zone_file {
    char *name;        /* as written in dns.files */
    char *path;        /* resolved against the scenario's directory */
    char *text;        /* the file's contents, NUL-terminated */
    size_t len;
    struct scenario_pos pos;   /* of the item in dns.files */
};

struct scenario_fault {
    char *name;        /* without a trailing dot */
    uint16_t type;     /* enum au_dns_type; AU_DNS_ANY for every type */
    enum au_dns_fault fault;
    struct scenario_pos pos;
};

enum scenario_alg {
    SCENARIO_ALG_RSA_SHA256,
    SCENARIO_ALG_ED25519_SHA256,
};

struct scenario_key {
    char *domain;
    char *selector;
    enum scenario_alg algorithm;
    unsigned bits;            /* RSA keys made at run time; 0 otherwise */
    bool publish;             /* default true */
    char *private_key_file;   /* as written, or NULL: make a key at run time */
    char *private_key_pem;    /* that file's contents (a parsable private key), or NULL */
    size_t private_key_len;
    char *record;             /* the exact TXT text to publish, or NULL: build it */
    struct scenario_pos pos;
};

/* One header field as given: "Name: value" without the line ending. */
struct scenario_header {
    char *name;
    char *value;
};

enum scenario_canon {
    SCENARIO_CANON_SIMPLE,
    SCENARIO_CANON_RELAXED,
};

struct scenario_sign {
    size_t key;                      /* index into scenario.keys */
    enum scenario_canon header_canon, body_canon;   /* default relaxed/relaxed */
    char **headers;                  /* h= as given (lowercase not forced), or NULL: */
    size_t nheaders;                 /*   those present of from, to, subject, date, message-id */
    char *identity;                  /* i=, or NULL */
    bool has_body_length;
    long long body_length;           /* l= */
    bool has_expire_in;
    long long expire_in;             /* x= is the signing time plus this (may be negative) */
    bool has_timestamp;
    long long timestamp;             /* t= in epoch seconds, instead of the signing time */
    struct scenario_pos pos;
};

struct scenario_tamper {
    char *body_append;               /* or NULL */
    struct scenario_header *set;     /* header_set, in file order */
    size_t nset;
    struct scenario_header *add;     /* header_add */
    size_t nadd;
    char **remove;                   /* header_remove: field names */
    size_t nremove;
};

/* A reply to match: the code, and the enhanced code when given. */
struct scenario_reply {
    int code;            /* 200..599 */
    char enhanced[16];   /* "5.7.26", or "" when not given */
};

enum scenario_raw_kind {
    SCENARIO_RAW_SEND,
    SCENARIO_RAW_EXPECT,
};

struct scenario_raw {
    enum scenario_raw_kind kind;
    char *send;          /* SEND: the text, the \noeol marker removed */
    size_t send_len;
    bool eol;            /* SEND: add CRLF (false when the text ended with \noeol) */
    struct scenario_reply expect;   /* EXPECT */
    struct scenario_pos pos;
};

enum scenario_at {
    SCENARIO_AT_CONNECT,
    SCENARIO_AT_HELO,
    SCENARIO_AT_MAIL,
    SCENARIO_AT_RCPT,
    SCENARIO_AT_DATA,
};

struct scenario_expect {
    enum scenario_at at;
    struct scenario_reply reply;
    char *text;                      /* substring of the whole reply text, or NULL */
    int spf, dmarc, iprev;           /* enum au_result, or -1 when not given */
    bool has_dkim;                   /* dkim given: one result per signature, maybe none */
    enum au_result *dkim;
    size_t ndkim;
    struct scenario_reply *rcpt;     /* one per rcpt_to, or NULL */
    size_t nrcpt;
    struct scenario_header *headers; /* name: substring of the stored headers */
    size_t nheaders;
};

struct scenario_client {
    char *ip;            /* as written, validated */
    int family;          /* AF_INET or AF_INET6 */
    char *helo;          /* or NULL: the PTR name of ip, else "client.invalid" */
    bool tls;
};

struct scenario_message {
    struct scenario_header *headers;
    size_t nheaders;
    bool auto_headers;   /* add Date and Message-ID where absent (default true; false with file) */
    char *body;          /* as given (LF line ends), or NULL */
    char *file;          /* message.file as written, or NULL */
    char *file_text;     /* its contents, used as is */
    size_t file_len;
};

struct scenario_conversation {
    bool has_client;
    struct scenario_client client;
    bool raw_mode;
    struct scenario_raw *raw;
    size_t nraw;
    /* message conversations (raw_mode false): */
    char *mail_from;     /* "" for the null sender */
    char **rcpt_to;
    size_t nrcpt_to;
    bool has_message;
    struct scenario_message message;
    struct scenario_sign *sign;     /* applied in order: the last is on top */
    size_t nsign;
    bool has_tamper;
    struct scenario_tamper tamper;
    struct scenario_expect expect;
    struct scenario_pos pos;
};

struct scenario {
    char *path;          /* as given to scenario_load */
    char *dir;           /* the directory relative paths are read from */
    char *name;          /* the scenario line */
    const char *profile; /* one of scenario_profiles; default "gmail" */
    char *zone;          /* dns.zone text, or NULL */
    size_t zone_len;
    struct scenario_pos zone_pos;   /* the zone text's first line */
    bool zone_lines_exact;          /* a | block: zone line N is at zone_pos.line + N - 1 */
    struct scenario_zone_file *files;
    size_t nfiles;
    struct scenario_fault *faults;
    size_t nfaults;
    struct scenario_key *keys;
    size_t nkeys;
    struct scenario_conversation *conv;
    size_t nconv;
    struct scenario_arena *arena;   /* owns every string and array above */
};

/*
 * Loads the scenario file at path.  Returns the scenario (free with
 * scenario_free), or NULL with "FILE:LINE:COLUMN: message" in err (reset
 * first).  FILE is path as given.
 */
struct scenario *scenario_load(const char *path, struct au_buf *err);
/*
 * The same over len bytes of text; name stands for the file in messages and
 * dir is where relative paths are read from.
 */
struct scenario *scenario_load_string(const char *text, size_t len, const char *name,
                                      const char *dir, struct au_buf *err);
/* NULL is a no-op. */
void scenario_free(struct scenario *s);

/* The scenario-file position of line zone_line (1-based) of dns.zone: exact
 * for a | block, else the zone's own position. */
struct scenario_pos scenario_zone_pos(const struct scenario *s, int zone_line);

/* The name of a key as sign.key writes it: "domain/selector", into buf. */
const char *scenario_key_name(const struct scenario_key *k, char *buf, size_t size);

/*
 * Expands paths into the scenario files to run: a file is taken as is, a
 * folder gives every *.yaml below it (names starting with '.' skipped),
 * sorted bytewise, in the order of the paths.  Returns 0 with *files (n
 * strings; free with scenario_collect_free), or -1 with "PATH: why" in err.
 */
int scenario_collect(const char *const *paths, size_t n, char ***files, size_t *nfiles,
                     struct au_buf *err);
void scenario_collect_free(char **files, size_t nfiles);

#endif
