/*
 * result - RFC 8601 result words (see result.h).
 */
#include "result.h"

#include <strings.h>

static const char *const names[] = {
    [AU_RESULT_NONE] = "none",         [AU_RESULT_PASS] = "pass",
    [AU_RESULT_FAIL] = "fail",         [AU_RESULT_SOFTFAIL] = "softfail",
    [AU_RESULT_NEUTRAL] = "neutral",   [AU_RESULT_TEMPERROR] = "temperror",
    [AU_RESULT_PERMERROR] = "permerror", [AU_RESULT_POLICY] = "policy",
};

const char *au_result_name(enum au_result r)
{
    if ((unsigned)r < sizeof names / sizeof names[0])
        return names[r];
    return "none";
}

int au_result_parse(const char *word)
{
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(word, names[i]) == 0)
            return (int)i;
    return -1;
}
