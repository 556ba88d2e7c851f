/*
 * evlog - ordered JSON Lines log on a writer thread (see evlog.h).
 *
 * Public: evlog_open, evlog_write, evlog_close, event_json.
 * The queue is a singly linked list under a mutex; the writer takes the
 * whole list at once and writes it with one flush, which keeps the cost per
 * line small at load.
 */
#include "evlog.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "received.h"
#include "spf_json.h"
#include "verdict_json.h"
#include "xalloc.h"

struct line {
    struct line *next;
    char *text;
};

struct evlog {
    FILE *f;
    bool own;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct line *head, **tail;
    bool stop;
};

static void *writer(void *arg)
{
    struct evlog *log = arg;
    pthread_mutex_lock(&log->mu);
    for (;;) {
        while (log->head == NULL && !log->stop)
            pthread_cond_wait(&log->cv, &log->mu);
        struct line *batch = log->head;
        log->head = NULL;
        log->tail = &log->head;
        bool stop = log->stop;
        pthread_mutex_unlock(&log->mu);
        while (batch) {
            struct line *next = batch->next;
            fputs(batch->text, log->f);
            fputc('\n', log->f);
            free(batch->text);
            free(batch);
            batch = next;
        }
        fflush(log->f);
        pthread_mutex_lock(&log->mu);
        if (stop && log->head == NULL)
            break;
    }
    pthread_mutex_unlock(&log->mu);
    return NULL;
}

struct evlog *evlog_open(const char *path, char *err, size_t errlen)
{
    FILE *f = stdout;
    bool own = false;
    if (path && strcmp(path, "-") != 0) {
        f = fopen(path, "a");
        if (f == NULL) {
            snprintf(err, errlen, "cannot open log %s: %s", path, strerror(errno));
            return NULL;
        }
        own = true;
    }
    struct evlog *log = au_xcalloc(1, sizeof *log);
    log->f = f;
    log->own = own;
    log->tail = &log->head;
    pthread_mutex_init(&log->mu, NULL);
    pthread_cond_init(&log->cv, NULL);
    if (pthread_create(&log->thread, NULL, writer, log) != 0) {
        snprintf(err, errlen, "cannot start the log writer");
        if (own)
            fclose(f);
        free(log);
        return NULL;
    }
    return log;
}

void evlog_write(struct evlog *log, char *line)
{
    struct line *l = au_xmalloc(sizeof *l);
    l->next = NULL;
    l->text = line;
    pthread_mutex_lock(&log->mu);
    *log->tail = l;
    log->tail = &l->next;
    pthread_cond_signal(&log->cv);
    pthread_mutex_unlock(&log->mu);
}

void evlog_close(struct evlog *log)
{
    if (log == NULL)
        return;
    pthread_mutex_lock(&log->mu);
    log->stop = true;
    pthread_cond_signal(&log->cv);
    pthread_mutex_unlock(&log->mu);
    pthread_join(log->thread, NULL);
    if (log->own)
        fclose(log->f);
    else
        fflush(log->f);
    pthread_mutex_destroy(&log->mu);
    pthread_cond_destroy(&log->cv);
    free(log);
}

char *event_json(const struct event_txn *e)
{
    char when[40];
    received_iso8601(when, sizeof when, e->time_ms);
    json_t *o = json_object();
    json_object_set_new(o, "time", json_string(when));
    json_object_set_new(o, "session", json_string(e->sid));
    json_object_set_new(o, "profile", json_string(e->profile));

    json_t *c = json_object();
    json_object_set_new(c, "ip", json_string(e->client->ip));
    json_object_set_new(c, "source", json_string(session_source_name(e->client->source)));
    json_object_set_new(c, "port", json_integer(e->client->port));
    json_object_set_new(c, "helo", spf_json_str(e->client->helo));
    json_object_set_new(c, "name", e->client->name[0] ? spf_json_str(e->client->name) : json_null());
    json_object_set_new(o, "client", c);

    if (e->tls_version) {
        json_t *t = json_object();
        json_object_set_new(t, "version", json_string(e->tls_version));
        json_object_set_new(t, "cipher", spf_json_str(e->tls_cipher));
        json_object_set_new(o, "tls", t);
    } else {
        json_object_set_new(o, "tls", json_null());
    }

    const struct session_txn *t = e->txn;
    json_object_set_new(o, "mail_from", spf_json_str(t->from.addr));
    json_t *r = json_array();
    for (unsigned i = 0; i < t->nrcpt; i++)
        json_array_append_new(r, spf_json_str(t->rcpt[i]));
    json_object_set_new(o, "rcpt", r);
    json_object_set_new(o, "size", json_integer((json_int_t)t->size));
    json_object_set_new(o, "message_id", spf_json_str(e->message_id));
    json_object_set_new(o, "end", json_string(e->end));
    if (e->assess && au_assess_verdict(e->assess)) {
        verdict_json_add(o, e->assess, e->iprev, NULL, false);
    } else {
        json_object_set_new(o, "spf", json_null());
        json_object_set_new(o, "dkim", json_array());
        json_object_set_new(o, "dmarc", json_null());
        json_object_set_new(o, "iprev", verdict_json_iprev(e->iprev));
    }

    if (e->code) {
        json_t *rep = json_object();
        json_object_set_new(rep, "code", json_integer(e->code));
        json_object_set_new(rep, "enhanced", spf_json_str(e->enhanced));
        json_t *text = json_array();
        for (size_t i = 0; i < e->nlines; i++)
            json_array_append_new(text, spf_json_str(e->lines[i]));
        json_object_set_new(rep, "text", text);
        json_object_set_new(o, "reply", rep);
    } else {
        json_object_set_new(o, "reply", json_null());
    }
    json_object_set_new(o, "stored", spf_json_str(e->stored));
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (s == NULL)
        s = au_xstrdup("{}");
    return s;
}
