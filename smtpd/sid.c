/*
 * sid - Gmail-shaped session ids (see sid.h).
 *
 * Public: sid_make.  The shape is "<13 hex>-<11 hex>si<9 digits><letter>.<seq>",
 * which matches the newer ids of REFERENCE.md 2.4.  The randomness comes from
 * OpenSSL's RAND_bytes: ids must not be guessable across sessions only
 * because users grep logs by them; they protect nothing.
 */
#include "sid.h"

#include <openssl/rand.h>
#include <stdio.h>

void sid_make(char *out, size_t cap, uint64_t seq)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[20];
    if (RAND_bytes(r, sizeof r) != 1) {
        for (size_t i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)(seq * 131 + i * 17);
    }
    char a[14], b[12];
    for (int i = 0; i < 13; i++)
        a[i] = hex[(r[i / 2] >> ((i & 1) * 4)) & 15];
    a[13] = '\0';
    for (int i = 0; i < 11; i++)
        b[i] = hex[(r[7 + i / 2] >> ((i & 1) * 4)) & 15];
    b[11] = '\0';
    unsigned long digits = ((unsigned long)r[13] << 24 | (unsigned long)r[14] << 16 |
                            (unsigned long)r[15] << 8 | r[16]) % 900000000UL + 100000000UL;
    char letter = (char)('a' + r[17] % 26);
    snprintf(out, cap, "%s-%ssi%lu%c.%llu", a, b, digits, letter,
             (unsigned long long)(seq % 10000));
}
