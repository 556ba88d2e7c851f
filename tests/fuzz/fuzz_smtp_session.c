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
#include <string.h>

#include "session.h"

static void on_eod(void *arg, struct session *s)
{
}

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
    struct session_ops ops = {.eod = on_eod};
    struct session_client cl;
    memset(&cl, 0, sizeof cl);
    strcpy(cl.ip, "192.0.2.1");
    cl.xclient_ok = flags & 0x40;
    struct session *s = session_new(&cfg, &ops, NULL, "fuzz", &cl);
    session_start(s);
    size_t piece = (flags & 0x3f) ? (flags & 0x3f) : size;
    size_t off = 0;
    while (off < size && !session_closing(s)) {
        size_t room;
        char *dst = session_read_space(s, &room);
        if (dst == NULL)
            break;
        size_t k = size - off < piece ? size - off : piece;
        if (k > room)
            k = room;
        memcpy(dst, data + off, k);
        session_read_commit(s, k);
        off += k;
        session_process(s);
        while (session_waiting(s)) {
            session_eod_done_id(s, R_EOD_OK, "0");
            session_process(s);
        }
        au_buf_reset(session_output(s));
    }
    session_abort(s);
    session_free(s);
    return 0;
}
