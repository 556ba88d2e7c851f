/*
 * maildir - delivery into a Maildir without loss (ARCHITECTURE.md principle 8).
 *
 * A message is written to DIR/tmp/NAME, fsynced, renamed to DIR/new/NAME,
 * and the new/ directory is fsynced, before the caller may say 250.  The
 * functions here block: the receiver calls maildir_deliver from libuv's
 * threadpool (uv_queue_work), never on an event loop.
 */
#ifndef SMTPD_MAILDIR_H
#define SMTPD_MAILDIR_H

#include <stddef.h>
#include <sys/uio.h>

#define MAILDIR_NAME_MAX 255
#define MAILDIR_PATH_MAX 4096
#define MAILDIR_IOV_MAX 16    /* pieces of one message for maildir_deliver */

struct maildir;

/* Opens (creating where missing) DIR and its tmp/, new/ and cur/. Returns NULL
 * with the reason in err. */
struct maildir *maildir_open(const char *dir, char *err, size_t errlen);
/* NULL is a no-op. */
void maildir_close(struct maildir *md);
const char *maildir_path(const struct maildir *md);

/* Writes the iov parts as one message. Thread-safe. On success returns 0 and
 * the path of the file in new/ (relative to the working directory as the
 * Maildir was given) in path; on failure -errno, the tmp file removed. */
int maildir_deliver(struct maildir *md, const struct iovec *iov, int iovcnt, char *path,
                    size_t pathlen);

#endif
