/*
 * fuzz_smtp_session - arbitrary bytes into the SMTP session state machine.
 *
 * The first byte picks the piece size the input is fed in (1..64 or all)
 * and whether XCLIENT is allowed and the size limit small, so that the
 * fuzzer reaches chunk boundaries, BDAT, XCLIENT and the size paths.  Every
 * end of data is answered, as the server would, after process returns.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_session_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t flags = data[0];
    data++;
    size--;
    struct session_config cfg;
    session_config_defaults(&cfg);
    if (flags & 0x80)
        cfg.size_max = 256;
    cfg.junk_max = 1000;
    cfg.line_max = 512;
    size_t piece = (flags & 0x3f) ? (flags & 0x3f) : size;
    fuzz_session_feed(&cfg, flags & 0x40, data, size, piece, NULL);
    return 0;
}
