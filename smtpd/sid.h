/*
 * sid - session trace ids shaped like Gmail's (REFERENCE.md 2.4): one per
 * connection, e.g. "a640c23a62f3a-a8d25d9970csi572004166b.1002".
 */
#ifndef SMTPD_SID_H
#define SMTPD_SID_H

#include <stddef.h>
#include <stdint.h>

#define SID_LEN_MAX 48

/* Writes a fresh id into out (cap >= SID_LEN_MAX). seq, the connection's
 * number on its worker, becomes the part after the dot. */
void sid_make(char *out, size_t cap, uint64_t seq);

#endif
