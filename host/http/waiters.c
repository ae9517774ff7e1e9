#include "http/waiters.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

#define WAITERS_POLL_MS 100

struct waiter {
    struct waiter *next;
    struct http_request *req; /* one reference held */
    struct waiter_spec spec;
};

struct waiters {
    struct app *app;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* CLOCK_MONOTONIC */
    struct waiter *list; /* guarded by lock */
    int poked;           /* guarded by lock */
    int stopping;        /* guarded by lock */
};

static void waiter_free(struct waiter *wt)
{
    if (wt->spec.free_arg)
        wt->spec.free_arg(wt->spec.arg);
    free(wt);
}

/* One pass: takes the list, checks each waiter without the lock, answers or keeps it. */
static void waiters_pass(struct waiters *w)
{
    pthread_mutex_lock(&w->lock);
    struct waiter *list = w->list;
    w->list = NULL;
    w->poked = 0;
    pthread_mutex_unlock(&w->lock);
    struct waiter *keep = NULL;
    int64_t now = clock_monotonic_ns();
    while (list) {
        struct waiter *wt = list;
        list = wt->next;
        struct http_reply reply = {0};
        int done = wt->spec.check(wt->spec.arg, w->app, &reply);
        if (!done && wt->spec.deadline_ns && now >= wt->spec.deadline_ns) {
            http_reply_clear(&reply);
            wt->spec.on_timeout(wt->spec.arg, &reply);
            done = 1;
        }
        if (done) {
            http_request_finish(wt->req, &reply);
            waiter_free(wt);
        } else {
            http_reply_clear(&reply);
            wt->next = keep;
            keep = wt;
        }
    }
    pthread_mutex_lock(&w->lock);
    while (keep) {
        struct waiter *wt = keep;
        keep = wt->next;
        wt->next = w->list;
        w->list = wt;
    }
    pthread_mutex_unlock(&w->lock);
}

static void *waiters_thread(void *arg)
{
    struct waiters *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        if (!w->poked && !w->stopping) {
            struct timespec ts =
                clock_timespec_at(clock_monotonic_ns() + WAITERS_POLL_MS * 1000000LL);
            pthread_cond_timedwait(&w->wake, &w->lock, &ts);
        }
        int stopping = w->stopping;
        int idle = w->list == NULL;
        /* A poke with nobody waiting is spent here; left set, it would keep the thread from
         * ever sleeping again. */
        if (idle)
            w->poked = 0;
        pthread_mutex_unlock(&w->lock);
        if (stopping)
            return NULL;
        if (!idle)
            waiters_pass(w);
    }
}

int waiters_start(struct app *app, struct waiters **out, char *err, size_t err_cap)
{
    struct waiters *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    w->app = app;
    int rc = clock_cond_init(&w->wake);
    if (rc != 0) {
        snprintf(err, err_cap, "cannot make a condition variable: %s", strerror(rc));
        free(w);
        return -1;
    }
    pthread_mutex_init(&w->lock, NULL);
    rc = pthread_create(&w->thread, NULL, waiters_thread, w);
    if (rc != 0) {
        snprintf(err, err_cap, "cannot start the waiter thread: %s", strerror(rc));
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        free(w);
        return -1;
    }
    *out = w;
    return 0;
}

int waiters_add(struct waiters *w, struct http_request *req, const struct waiter_spec *spec)
{
    struct waiter *wt = calloc(1, sizeof *wt);
    if (!wt) {
        if (spec->free_arg)
            spec->free_arg(spec->arg);
        return -1;
    }
    wt->spec = *spec;
    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        waiter_free(wt);
        return -1;
    }
    wt->req = req;
    http_request_defer(req);
    wt->next = w->list;
    w->list = wt;
    w->poked = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

void waiters_poke(struct waiters *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->poked = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

void waiters_stop(struct waiters *w)
{
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    while (w->list) {
        struct waiter *wt = w->list;
        w->list = wt->next;
        struct http_reply reply = {0};
        http_reply_error(&reply, "UNAVAILABLE", NULL,
                         "server shut down while waiting; the work is queued and resumes on restart");
        http_request_finish(wt->req, &reply);
        waiter_free(wt);
    }
}

void waiters_free(struct waiters *w)
{
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    free(w);
}
