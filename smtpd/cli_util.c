/*
 * cli_util - shared pieces of the subcommands (see cli_util.h).
 *
 * Public: cli_read_all, cli_read_file, cli_to_crlf, cli_print_lf, cli_parse_time, cli_usage.
 */
#include "cli_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"

/* Reads f to its end, at most max bytes; name is for the messages. */
static char *read_stream(FILE *f, const char *name, size_t max, size_t *len)
{
    struct au_buf b;
    au_buf_init(&b, max);
    char tmp[65536];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(tmp, 1, sizeof tmp, f)) > 0)
        rc = au_buf_append(&b, tmp, n);
    if (rc < 0 || ferror(f)) {
        if (rc < 0)
            fprintf(stderr, "authsink: %s: larger than %zu bytes\n", name, max);
        else
            fprintf(stderr, "authsink: %s: %s\n", name, strerror(errno));
        au_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return au_buf_detach(&b);
}

char *cli_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "authsink: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *p = read_stream(f, path, max, len);
    fclose(f);
    return p;
}

char *cli_read_all(const char *path, size_t *len)
{
    if (path == NULL || strcmp(path, "-") == 0)
        return read_stream(stdin, path ? path : "stdin", CLI_MESSAGE_MAX, len);
    return cli_read_file(path, CLI_MESSAGE_MAX, len);
}

/* Bare LF becomes CRLF. Sets *had_bare_lf.  The text between bare LFs is
 * copied in runs: a message on the wire has none. */
char *cli_to_crlf(const char *p, size_t len, size_t *outlen, bool *had_bare_lf)
{
    struct au_buf b;
    au_buf_init(&b, AU_BUF_NOLIMIT);
    au_buf_reserve(&b, len + len / 16);
    *had_bare_lf = false;
    const char *end = p + len, *run = p, *lf = p;
    while (lf < end && (lf = memchr(lf, '\n', (size_t)(end - lf))) != NULL) {
        if (lf == p || lf[-1] != '\r') {
            au_buf_append(&b, run, (size_t)(lf - run));
            au_buf_putc(&b, '\r');
            run = lf; /* the LF starts the next run */
            *had_bare_lf = true;
        }
        lf++;
    }
    if (end > run)
        au_buf_append(&b, run, (size_t)(end - run));
    *outlen = b.len;
    return au_buf_detach(&b);
}

void cli_print_lf(const char *p, size_t len)
{
    const char *end = p + len, *cr;
    while (p < end && (cr = memchr(p, '\r', (size_t)(end - p))) != NULL) {
        fwrite(p, 1, (size_t)(cr - p), stdout);
        p = cr + 1;
    }
    if (end > p)
        fwrite(p, 1, (size_t)(end - p), stdout);
}

/* Epoch seconds, or RFC 3339 (YYYY-MM-DDTHH:MM:SS with Z or +HH:MM). */
int cli_parse_time(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s && *end == '\0' && errno == 0 && v >= 0) {
        *out = v;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int n = 0;
    if (sscanf(s, "%d-%d-%d%*1[Tt ]%d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6)
        return -1;
    const char *z = s + n;
    if (*z == '.')
        for (z++; *z >= '0' && *z <= '9'; z++)
            ;
    long off = 0;
    int oh, om;
    if (*z == 'Z' || *z == 'z')
        z++;
    else if ((*z == '+' || *z == '-') && sscanf(z + 1, "%2d:%2d", &oh, &om) == 2) {
        off = (oh * 3600L + om * 60L) * (*z == '-' ? -1 : 1);
        z += 6;
    } else
        return -1;
    if (*z != '\0')
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    *out = (int64_t)t - off;
    return 0;
}

int cli_usage(int status, const char *help, const char *more)
{
    FILE *f = status == 0 ? stdout : stderr;
    fputs(help, f);
    if (more != NULL)
        fputs(more, f);
    return status;
}
