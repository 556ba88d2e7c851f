/*
 * fuzz_dns_answer - the answer-to-record conversion (auth/dns_wire.c).
 *
 * The input is a DNS message.  It is converted for its own question (so
 * that the conversion gets past the question check and into the records),
 * and for a fixed question; the anti-spoofing gate runs against a query for
 * that question.  Every answer is read through, as a consumer would.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns_wire.h"

/* Reads the question of msg into q. Returns 0, or -1 when there is none we
 * can express (a bare reader, so the fuzzer also reaches the decoder with
 * names it has not seen before). */
static int own_question(const uint8_t *msg, size_t len, struct au_dns_query *q)
{
    size_t i = 12, o = 0;
    if (len < 12 || msg[5] == 0)
        return -1;
    for (;;) {
        if (i >= len)
            return -1;
        uint8_t l = msg[i++];
        if (l == 0)
            break;
        if (l > 63 || i + l > len || o + l + 1 > AU_DNS_NAME_MAX)
            return -1;
        if (o)
            q->name[o++] = '.';
        for (size_t j = 0; j < l; j++) {
            char c = (char)msg[i + j];
            if (c == '.' || c == '\\' || c <= ' ' || c > '~')
                return -1;   /* would need escaping */
            q->name[o++] = c;
        }
        i += l;
    }
    q->name[o] = '\0';
    if (i + 4 > len)
        return -1;
    q->type = (uint16_t)(msg[i] << 8 | msg[i + 1]);
    return 0;
}

static size_t touch(const struct au_dns_answer *a)
{
    size_t sum = strlen(a->detail) + (a->cname ? strlen(a->cname) : 0);
    for (size_t i = 0; i < a->count; i++) {
        const struct au_dns_rr *r = &a->rr[i];
        switch (r->type) {
        case AU_DNS_A:
            sum += r->u.a[3];
            break;
        case AU_DNS_AAAA:
            sum += r->u.aaaa[15];
            break;
        case AU_DNS_MX:
            sum += strlen(r->u.mx.host) + r->u.mx.pref;
            break;
        case AU_DNS_TXT:
        case AU_DNS_SPF:
            for (size_t j = 0; j < r->u.txt.count; j++)
                sum += r->u.txt.str[j].len ? (uint8_t)r->u.txt.str[j].ptr[0] : 0;
            break;
        default:
            sum += strlen(r->u.name);
        }
    }
    return sum;
}

/* Keeps the reads from being optimized away. */
volatile size_t fuzz_dns_answer_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t sink = 0;
    struct au_dns_query q;
    memset(&q, 0, sizeof q);
    if (own_question(data, size, &q) == 0) {
        struct au_dns_answer *a = au_dns_answer_from_wire(data, size, &q);
        sink += touch(a);
        au_dns_answer_unref(a);
    }
    struct au_dns_query fixed = {.type = AU_DNS_TXT, .name = "example.com"};
    struct au_dns_answer *a = au_dns_answer_from_wire(data, size, &fixed);
    sink += touch(a);
    au_dns_answer_unref(a);

    uint8_t query[AU_DNS_WIRE_QUERY_MAX];
    uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
    int n = au_dns_query_to_wire(&fixed, id, 1, query, sizeof query);
    if (n > 0)
        sink += (size_t)au_dns_wire_answers(query, (size_t)n, data, size);
    sink += (size_t)au_dns_wire_truncated(data, size);
    fuzz_dns_answer_sink += sink;
    return 0;
}
