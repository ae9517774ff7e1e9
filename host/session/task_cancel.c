#include "session/task_cancel.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

struct cancel_watch {
    uint64_t token;
    char task_id[40];
    atomic_int *flag;
    task_cancel_force_fn force;
    void *arg;
    uint64_t seq;
    struct cancel_watch *next;
};

/* Watches hashed by token: the pipeline adds and drops one per job, thousands a second, while a
 * cancel (rare) looks through them all. */
#define CANCEL_BUCKETS 256

static pthread_mutex_t cancel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cancel_watch *cancel_watches[CANCEL_BUCKETS];
static uint64_t cancel_next_token;

uint64_t task_cancel_watch(const char *task_id, atomic_int *flag, task_cancel_force_fn force,
                           void *arg, uint64_t seq)
{
    if (!task_id || !*task_id || strlen(task_id) >= sizeof ((struct cancel_watch *)0)->task_id)
        return 0;
    struct cancel_watch *w = calloc(1, sizeof *w);
    if (!w)
        return 0;
    snprintf(w->task_id, sizeof w->task_id, "%s", task_id);
    w->flag = flag;
    w->force = force;
    w->arg = arg;
    w->seq = seq;
    pthread_mutex_lock(&cancel_lock);
    w->token = ++cancel_next_token;
    w->next = cancel_watches[w->token % CANCEL_BUCKETS];
    cancel_watches[w->token % CANCEL_BUCKETS] = w;
    pthread_mutex_unlock(&cancel_lock);
    return w->token;
}

void task_cancel_unwatch(uint64_t token)
{
    if (!token)
        return;
    pthread_mutex_lock(&cancel_lock);
    for (struct cancel_watch **pp = &cancel_watches[token % CANCEL_BUCKETS]; *pp;
         pp = &(*pp)->next)
        if ((*pp)->token == token) {
            struct cancel_watch *w = *pp;
            *pp = w->next;
            free(w);
            break;
        }
    pthread_mutex_unlock(&cancel_lock);
}

/* Watches of task_id still registered, raising their flags when raise is set. */
static unsigned cancel_pending(const char *task_id, int raise)
{
    unsigned n = 0;
    pthread_mutex_lock(&cancel_lock);
    for (size_t b = 0; b < CANCEL_BUCKETS; b++)
        for (struct cancel_watch *w = cancel_watches[b]; w; w = w->next)
            if (strcmp(w->task_id, task_id) == 0) {
                if (raise)
                    atomic_store(w->flag, 1);
                n++;
            }
    pthread_mutex_unlock(&cancel_lock);
    return n;
}

unsigned task_cancel_run(const char *task_id)
{
    unsigned cancelled = cancel_pending(task_id, 1);
    int64_t until = clock_monotonic_ns() + (int64_t)TASK_CANCEL_SETTLE_MS * 1000000;
    while (cancel_pending(task_id, 0) > 0 && clock_monotonic_ns() < until)
        clock_sleep_ns(10 * 1000000LL);
    /* Calls still in: their owners free what they hold; the watch goes with the force. */
    for (;;) {
        struct cancel_watch found = {0};
        pthread_mutex_lock(&cancel_lock);
        for (size_t b = 0; b < CANCEL_BUCKETS && !found.token; b++)
            for (struct cancel_watch **pp = &cancel_watches[b]; *pp; pp = &(*pp)->next)
                if (strcmp((*pp)->task_id, task_id) == 0) {
                    struct cancel_watch *w = *pp;
                    found = *w;
                    *pp = w->next;
                    free(w);
                    break;
                }
        pthread_mutex_unlock(&cancel_lock);
        if (!found.token)
            break;
        if (found.force)
            found.force(found.arg, found.seq);
    }
    return cancelled;
}
