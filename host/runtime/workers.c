#include "runtime/workers.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

struct workers_task {
    workers_task_fn fn;
    void *arg;
    struct workers_task *next;
};

struct workers {
    pthread_mutex_t lock;
    pthread_cond_t wake;      /* a task was queued, or stopping */
    pthread_cond_t idle;      /* a task finished or a thread exited */
    struct workers_task *head, *tail;
    size_t backlog;           /* queued + running */
    unsigned n_threads;
    unsigned n_exited;
    int stopping;
    pthread_t *threads;
    int *exited;              /* per thread, set when its loop returned */
};

struct workers_thread_arg {
    struct workers *w;
    unsigned index;
};

static void *workers_main(void *p)
{
    struct workers_thread_arg *ta = p;
    struct workers *w = ta->w;
    unsigned index = ta->index;
    free(ta);
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->wake, &w->lock);
        if (!w->head)
            break;
        struct workers_task *t = w->head;
        w->head = t->next;
        if (!w->head)
            w->tail = NULL;
        pthread_mutex_unlock(&w->lock);
        t->fn(t->arg);
        free(t);
        pthread_mutex_lock(&w->lock);
        w->backlog--;
        pthread_cond_broadcast(&w->idle);
    }
    w->exited[index] = 1;
    w->n_exited++;
    pthread_cond_broadcast(&w->idle);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

struct workers *workers_start(unsigned n, char *err, size_t err_cap)
{
    struct workers *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    w->threads = calloc(n, sizeof *w->threads);
    w->exited = calloc(n, sizeof *w->exited);
    if (!w->threads || !w->exited) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    int crc = clock_cond_init(&w->idle);
    if (crc != 0) {
        snprintf(err, err_cap, "cannot make a condition variable: %s", strerror(crc));
        goto fail;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    for (unsigned i = 0; i < n; i++) {
        struct workers_thread_arg *ta = malloc(sizeof *ta);
        int rc = ta ? 0 : ENOMEM;
        if (ta) {
            ta->w = w;
            ta->index = i;
            rc = pthread_create(&w->threads[i], NULL, workers_main, ta);
            if (rc != 0)
                free(ta);
        }
        if (rc != 0) {
            snprintf(err, err_cap, "cannot start worker thread: %s", strerror(rc));
            workers_stop(w, clock_monotonic_ns());
            return NULL;
        }
        w->n_threads++;
    }
    return w;
fail:
    free(w->threads);
    free(w->exited);
    free(w);
    return NULL;
}

int workers_submit(struct workers *w, workers_task_fn fn, void *arg)
{
    struct workers_task *t = malloc(sizeof *t);
    if (!t)
        return -1;
    t->fn = fn;
    t->arg = arg;
    t->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        free(t);
        return -1;
    }
    if (w->tail)
        w->tail->next = t;
    else
        w->head = t;
    w->tail = t;
    w->backlog++;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

size_t workers_backlog(struct workers *w)
{
    pthread_mutex_lock(&w->lock);
    size_t n = w->backlog;
    pthread_mutex_unlock(&w->lock);
    return n;
}

unsigned workers_stop(struct workers *w, long long deadline_ns)
{
    struct timespec ts = clock_timespec_at(deadline_ns);
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_broadcast(&w->wake);
    while (w->n_exited < w->n_threads) {
        if (pthread_cond_timedwait(&w->idle, &w->lock, &ts) == ETIMEDOUT)
            break;
    }
    unsigned stuck = w->n_threads - w->n_exited;
    pthread_mutex_unlock(&w->lock);
    if (stuck > 0) {
        for (unsigned i = 0; i < w->n_threads; i++)
            if (w->exited[i])
                pthread_join(w->threads[i], NULL);
            else
                pthread_detach(w->threads[i]);
        return stuck;
    }
    for (unsigned i = 0; i < w->n_threads; i++)
        pthread_join(w->threads[i], NULL);
    for (struct workers_task *t = w->head; t;) {
        struct workers_task *next = t->next;
        free(t);
        t = next;
    }
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->idle);
    free(w->threads);
    free(w->exited);
    free(w);
    return 0;
}
