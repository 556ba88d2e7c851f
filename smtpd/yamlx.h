/*
 * yamlx - strict YAML on libfyaml: a small tree with positions, and typed
 * getters that report "FILE:LINE:COLUMN: message".
 *
 * A file is parsed once into a tree of scalars, sequences and mappings, each
 * node carrying its 1-based line and column.  The tree is deliberately plain
 * YAML: anchors, aliases, tags and more than one document are refused, and so
 * are duplicate mapping keys, keys that are not scalars, and text that is not
 * UTF-8 of YAML's printable characters (YAML 1.2 5.1, 5.2).  Consumers then
 * walk it with the getters below, which check types and values and, on the
 * first problem, write one message into the error buffer given at parse time.
 * Every getter returns 0, or -1 once an error is recorded; only the first
 * error is kept, so a caller may simply propagate -1.
 *
 * Types (the YAML 1.2 core schema, read strictly):
 *   null    a plain "", "~", "null", "Null" or "NULL";
 *   bool    a plain true/True/TRUE/false/False/FALSE ("yes" is not a bool);
 *   integer a plain [-+]?[0-9]+ (quoted digits are a string, not a number);
 *   string  any scalar but null: plain 2024 is the string "2024" where a
 *           string is wanted (DKIM selectors are often numbers).
 */
#ifndef SMTPD_YAMLX_H
#define SMTPD_YAMLX_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define YAMLX_FILE_MAX (4u << 20)  /* the largest YAML file yamlx_load reads */
#define YAMLX_DEPTH_MAX 64         /* nesting of sequences and mappings */

enum yamlx_kind {
    YAMLX_SCALAR,
    YAMLX_SEQ,
    YAMLX_MAP,
};

enum yamlx_style {
    YAMLX_PLAIN,
    YAMLX_QUOTED,   /* single or double quoted */
    YAMLX_LITERAL,  /* | block */
    YAMLX_FOLDED,   /* > block */
};

struct yamlx_node {
    enum yamlx_kind kind;
    int line, col;            /* 1-based; a block scalar's are those of its first content line */
    enum yamlx_style style;   /* scalars */
    char *str;                /* scalars: the value, NUL-terminated */
    size_t len;               /* scalars: its length (it may hold a NUL: see yamlx_str) */
    size_t n;                 /* sequence items, or mapping pairs */
    struct yamlx_node **item; /* sequence: n items; mapping: 2n, key then value */
};

struct yamlx_doc;

/*
 * Parses len bytes of YAML; file names the text in messages.  err must
 * outlive the document: the getters write to it.  Returns the document, or
 * NULL with "FILE:LINE:COLUMN: message" in err.  An empty text is a document
 * whose root is null at 1:1.
 */
struct yamlx_doc *yamlx_parse(const char *text, size_t len, const char *file,
                              struct au_buf *err);
/* Reads the regular file at path (at most YAMLX_FILE_MAX bytes) and parses it,
 * naming it path in messages.  Returns as yamlx_parse. */
struct yamlx_doc *yamlx_load(const char *path, struct au_buf *err);
/* NULL is a no-op. Every node and string of the document goes with it. */
void yamlx_free(struct yamlx_doc *d);

/* The root node (never NULL). */
const struct yamlx_node *yamlx_root(const struct yamlx_doc *d);
/* The file name given at parse time. */
const char *yamlx_file(const struct yamlx_doc *d);
/* True once an error has been recorded. */
bool yamlx_failed(const struct yamlx_doc *d);

/* Records "FILE:LINE:COLUMN: message" at node n (only if no error is recorded
 * yet). Always returns -1. */
int yamlx_fail(struct yamlx_doc *d, const struct yamlx_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same at an explicit 1-based position. */
int yamlx_fail_at(struct yamlx_doc *d, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "null", "a string", "a sequence", "a mapping", "true"... for messages. */
const char *yamlx_describe(const struct yamlx_node *n);
/* Writes s (len bytes) into buf as printable ASCII for a message: other bytes
 * become '?', and a text longer than fits ends with "...". Returns buf. */
const char *yamlx_show(const char *s, size_t len, char *buf, size_t size);
#define YAMLX_SHOW_MAX 72  /* a good size for yamlx_show's buf */

/* True for a null scalar. */
bool yamlx_is_null(const struct yamlx_node *n);

/*
 * Checks that n is a mapping whose keys are all in allowed (a NULL-terminated
 * list).  what names the mapping in messages ("dns", "a key").  An unknown key
 * is reported at that key, with the allowed ones listed.
 */
int yamlx_map(struct yamlx_doc *d, const struct yamlx_node *n, const char *what,
              const char *const *allowed);
/* The value of key in mapping m, or NULL when absent (or m is no mapping). */
const struct yamlx_node *yamlx_get(const struct yamlx_node *m, const char *key);
/* The key node of key in mapping m, or NULL: for errors about the key itself. */
const struct yamlx_node *yamlx_get_key(const struct yamlx_node *m, const char *key);
/* Records "WHAT: missing required key 'KEY'" at m unless m has key. */
int yamlx_require(struct yamlx_doc *d, const struct yamlx_node *m, const char *what,
                  const char *key);

/* A string (any non-null scalar without NUL bytes); *out points into the
 * document. what names the value in messages. */
int yamlx_str(struct yamlx_doc *d, const struct yamlx_node *n, const char *what,
              const char **out);
int yamlx_bool(struct yamlx_doc *d, const struct yamlx_node *n, const char *what, bool *out);
/* A decimal integer in [min, max]. */
int yamlx_int(struct yamlx_doc *d, const struct yamlx_node *n, const char *what,
              long long min, long long max, long long *out);
/* One of the words in names (NULL-terminated, exact case); *out is its index. */
int yamlx_enum(struct yamlx_doc *d, const struct yamlx_node *n, const char *what,
               const char *const *names, int *out);
/* A sequence of at most max items. */
int yamlx_seq(struct yamlx_doc *d, const struct yamlx_node *n, const char *what, size_t max);
/* A sequence of at most max strings; every item checked with yamlx_str. */
int yamlx_strseq(struct yamlx_doc *d, const struct yamlx_node *n, const char *what,
                 size_t max);
/* A mapping with exactly one pair (the "- Name: value" idiom); gives its key
 * node and value node. */
int yamlx_pair(struct yamlx_doc *d, const struct yamlx_node *n, const char *what,
               const struct yamlx_node **key, const struct yamlx_node **value);

/*
 * Reads the regular file at path, at most max bytes, into out (reset first;
 * NUL-terminated).  Returns 0, or -1 with the reason ("No such file or
 * directory", "not a regular file", "larger than N bytes") in why (reset
 * first).  Never blocks on a FIFO or device.
 */
int yamlx_read_file(const char *path, size_t max, struct au_buf *out, struct au_buf *why);

#endif
