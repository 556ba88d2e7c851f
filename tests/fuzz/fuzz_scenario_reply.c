/*
 * fuzz_scenario_reply - libFuzzer target for the scenario runner's SMTP
 * reply-line parser (smtpd/scenario_run.c, scenario_run_reply_line).
 *
 * The input is what a receiver might send: it is walked line by line as the
 * runner reads replies.  Invariants: a parsed line consumes at least one byte
 * and no more than given and no more than SCENARIO_RUN_LINE_MAX; its LF is
 * the byte before the end of what it used; the code is 200..599; the text
 * offset lies inside the line; an enhanced code has the reply's class as its
 * first character; "need more" only happens without a LF in the first
 * SCENARIO_RUN_LINE_MAX bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    size_t off = 0;
    while (off < size) {
        struct scenario_run_line ln;
        int rc = scenario_run_reply_line(p + off, size - off, &ln);
        size_t left = size - off;
        size_t scan = left < SCENARIO_RUN_LINE_MAX ? left : SCENARIO_RUN_LINE_MAX;
        bool has_lf = memchr(p + off, '\n', scan) != NULL;
        if (rc == 0) {
            if (has_lf || left >= SCENARIO_RUN_LINE_MAX)
                abort();
            break;
        }
        if (rc < 0) {
            /* A bad line: the runner stops reading this reply. Skip past it. */
            const char *nl = memchr(p + off, '\n', left);
            if (nl == NULL)
                break;
            off = (size_t)(nl - p) + 1;
            continue;
        }
        if (rc != 1 || !has_lf || ln.used == 0 || ln.used > left ||
            ln.used > SCENARIO_RUN_LINE_MAX || p[off + ln.used - 1] != '\n' || ln.len >= ln.used ||
            ln.text > ln.len || ln.code < 200 || ln.code > 599)
            abort();
        size_t el = strnlen(ln.enhanced, sizeof ln.enhanced);
        if (el == sizeof ln.enhanced)
            abort();
        if (el > 0 && (ln.enhanced[0] != p[off] || el + 4 > ln.len))
            abort();
        off += ln.used;
    }
    return 0;
}
