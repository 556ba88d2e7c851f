/*
 * fuzz_session_starttls - arbitrary bytes into the SMTP session with
 * STARTTLS offered, the owner's side of RFC 3207 simulated: when the session
 * has answered 220 and waits, the "handshake" completes at once and feeding
 * goes on (as the server does once TLS is up).
 *
 * Checked on every step: while STARTTLS is pending the session takes no
 * input and its output ends with the 220 (nothing may be said after it in
 * plaintext); a second STARTTLS after the switch is never answered 220.
 * The first byte picks the piece size (1..127, or all at once).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_session_feed.h"

#define READY "220 2.0.0 Ready to start TLS\r\n"

/* After each piece: when STARTTLS is pending, check the switch is clean and
 * complete the "handshake". */
static void check_switch(struct session *s)
{
    if (!session_tls_pending(s))
        return;
    struct au_buf *out = session_output(s);
    size_t room;
    if (session_tls_active(s))
        abort(); /* one STARTTLS per connection */
    if (out->len < sizeof READY - 1 ||
        memcmp(out->data + out->len - (sizeof READY - 1), READY, sizeof READY - 1) != 0)
        abort(); /* the 220 is the last thing said in plaintext */
    if (session_read_space(s, &room) != NULL)
        abort(); /* no input is taken before the handshake */
    session_tls_started(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t piece = data[0] & 0x7f ? data[0] & 0x7f : size;
    data++;
    size--;
    struct session_config cfg;
    session_config_defaults(&cfg);
    cfg.starttls = true;
    cfg.junk_max = 1000;
    fuzz_session_feed(&cfg, false, data, size, piece, check_switch);
    return 0;
}
