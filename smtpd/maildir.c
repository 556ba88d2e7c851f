/*
 * maildir - crash-safe delivery (see maildir.h).
 *
 * Public: maildir_open, maildir_close, maildir_path, maildir_deliver.
 * File names follow the Maildir convention "SECONDS.MmicrosPpidQn.HOST"
 * (with a process-wide counter for uniqueness across threads).
 */
#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "xalloc.h"

struct maildir {
    char *dir;
    int newfd;                /* new/, kept open to fsync it after each rename */
    char host[HOST_NAME_MAX + 1];
    atomic_ulong counter;
};

static int mkdir_p(const char *path)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    return -1;
}

struct maildir *maildir_open(const char *dir, char *err, size_t errlen)
{
    char sub[MAILDIR_PATH_MAX];
    static const char *const parts[] = {"", "/tmp", "/new", "/cur"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(sub, sizeof sub, "%s%s", dir, parts[i]);
        if (mkdir_p(sub) < 0) {
            snprintf(err, errlen, "cannot create %s: %s", sub, strerror(errno));
            return NULL;
        }
    }
    snprintf(sub, sizeof sub, "%s/new", dir);
    int fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", sub, strerror(errno));
        return NULL;
    }
    struct maildir *md = au_xcalloc(1, sizeof *md);
    md->dir = au_xstrdup(dir);
    md->newfd = fd;
    if (gethostname(md->host, sizeof md->host) < 0)
        snprintf(md->host, sizeof md->host, "localhost");
    /* '/' and ':' have meanings in Maildir names. */
    for (char *p = md->host; *p; p++)
        if (*p == '/' || *p == ':')
            *p = '_';
    atomic_init(&md->counter, 0);
    return md;
}

void maildir_close(struct maildir *md)
{
    if (md == NULL)
        return;
    close(md->newfd);
    free(md->dir);
    free(md);
}

const char *maildir_path(const struct maildir *md)
{
    return md->dir;
}

static int write_all(int fd, const struct iovec *iov, int iovcnt)
{
    struct iovec local[MAILDIR_IOV_MAX];
    if (iovcnt > MAILDIR_IOV_MAX)
        return -EINVAL;
    memcpy(local, iov, (size_t)iovcnt * sizeof *iov);
    struct iovec *v = local;
    while (iovcnt > 0) {
        ssize_t n = writev(fd, v, iovcnt);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        while (iovcnt > 0 && (size_t)n >= v->iov_len) {
            n -= (ssize_t)v->iov_len;
            v++;
            iovcnt--;
        }
        if (iovcnt > 0) {
            v->iov_base = (char *)v->iov_base + n;
            v->iov_len -= (size_t)n;
        }
    }
    return 0;
}

int maildir_deliver(struct maildir *md, const struct iovec *iov, int iovcnt, char *path,
                    size_t pathlen)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    unsigned long q = atomic_fetch_add(&md->counter, 1);
    char name[MAILDIR_NAME_MAX + 1];
    snprintf(name, sizeof name, "%lld.M%06ldP%dQ%lu.%s", (long long)tv.tv_sec,
             (long)tv.tv_usec, (int)getpid(), q, md->host);
    char tmp[MAILDIR_PATH_MAX], dst[MAILDIR_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/tmp/%s", md->dir, name);
    snprintf(dst, sizeof dst, "%s/new/%s", md->dir, name);

    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int rc = write_all(fd, iov, iovcnt);
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, dst) < 0)
        rc = -errno;
    /* The rename is durable only once the directory is. */
    if (rc == 0 && fsync(md->newfd) < 0)
        rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        return rc;
    }
    snprintf(path, pathlen, "%s", dst);
    return 0;
}
