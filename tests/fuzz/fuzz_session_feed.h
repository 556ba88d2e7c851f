/*
 * fuzz_session_feed - what the session fuzz targets share: a session for a
 * client at 192.0.2.1 fed arbitrary bytes the way the server feeds it.
 *
 * Every end of data is answered 250 (R_EOD_OK) once process returns, as the
 * server would; after each piece the target's step (may be NULL) sees the
 * session with its output, which is then emptied.  Feeding stops at the end
 * of the input, when the session closes, or when it takes no more input.
 */
#ifndef FUZZ_SESSION_FEED_H
#define FUZZ_SESSION_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "session.h"

static void fuzz_session_on_eod(void *arg, struct session *s)
{
    (void)arg;
    (void)s;
}

/* Runs one session over data in pieces of at most piece bytes (piece > 0). */
static void fuzz_session_feed(const struct session_config *cfg, bool xclient_ok,
                              const uint8_t *data, size_t size, size_t piece,
                              void (*step)(struct session *s))
{
    struct session_ops ops = {.eod = fuzz_session_on_eod};
    struct session_client cl;
    memset(&cl, 0, sizeof cl);
    strcpy(cl.ip, "192.0.2.1");
    cl.xclient_ok = xclient_ok;
    struct session *s = session_new(cfg, &ops, NULL, "fuzz", &cl);
    session_start(s);
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
        if (step)
            step(s);
        au_buf_reset(session_output(s));
    }
    session_abort(s);
    session_free(s);
}

#endif
