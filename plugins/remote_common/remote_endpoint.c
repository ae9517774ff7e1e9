#include "remote_endpoint.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct remote_owner {
    const void *owner;
    uint32_t limit;
};

struct remote_endpoint {
    struct remote_endpoint *next; /* registry list, guarded by the registry lock */
    char *key;                    /* owned */
    int refs;                     /* guarded by the registry lock */
    pthread_mutex_t lock;         /* guards everything below */
    pthread_cond_t slot_freed;    /* on CLOCK_MONOTONIC */
    uint32_t in_flight, limit, waiting;
    struct remote_owner *owners; /* registration order; the last one's limit applies; owned */
    size_t n_owners;
    struct remote_breaker breaker;
    int64_t pause_until_ns;
    char last_failure[256];
    double latency_ms[REMOTE_LATENCY_WINDOW];
    size_t latency_count, latency_next;
};

/* One registry per loaded plugin library (each .so links its own copy of this file); the library
 * stays loaded while any instance of it exists, old generations included. */
static pthread_mutex_t remote_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct remote_endpoint *remote_registry;

static void remote_endpoint_free(struct remote_endpoint *e)
{
    pthread_mutex_destroy(&e->lock);
    pthread_cond_destroy(&e->slot_freed);
    free(e->owners);
    free(e->key);
    free(e);
}

static struct remote_endpoint *remote_endpoint_new(const char *key)
{
    struct remote_endpoint *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->key = strdup(key);
    pthread_condattr_t attr;
    int ok = e->key && pthread_condattr_init(&attr) == 0;
    if (ok) {
        ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
             pthread_cond_init(&e->slot_freed, &attr) == 0;
        pthread_condattr_destroy(&attr);
    }
    if (ok && pthread_mutex_init(&e->lock, NULL) != 0) {
        pthread_cond_destroy(&e->slot_freed);
        ok = 0;
    }
    if (!ok) {
        free(e->key);
        free(e);
        return NULL;
    }
    return e;
}

struct remote_endpoint *remote_endpoint_acquire(const char *key, const void *owner, uint32_t limit)
{
    pthread_mutex_lock(&remote_registry_lock);
    struct remote_endpoint *e = remote_registry;
    while (e && strcmp(e->key, key) != 0)
        e = e->next;
    int fresh = e == NULL;
    if (fresh)
        e = remote_endpoint_new(key);
    if (!e) {
        pthread_mutex_unlock(&remote_registry_lock);
        return NULL;
    }
    pthread_mutex_lock(&e->lock);
    struct remote_owner *o = realloc(e->owners, (e->n_owners + 1) * sizeof *o);
    if (o) {
        e->owners = o;
        o[e->n_owners++] = (struct remote_owner){owner, limit};
        e->limit = limit;
        /* A raised limit lets waiting calls go at once. */
        pthread_cond_broadcast(&e->slot_freed);
    }
    pthread_mutex_unlock(&e->lock);
    if (!o) {
        if (fresh)
            remote_endpoint_free(e);
        pthread_mutex_unlock(&remote_registry_lock);
        return NULL;
    }
    e->refs++;
    if (fresh) {
        e->next = remote_registry;
        remote_registry = e;
    }
    pthread_mutex_unlock(&remote_registry_lock);
    return e;
}

void remote_endpoint_release(struct remote_endpoint *e, const void *owner)
{
    pthread_mutex_lock(&remote_registry_lock);
    pthread_mutex_lock(&e->lock);
    for (size_t i = 0; i < e->n_owners; i++) {
        if (e->owners[i].owner == owner) {
            memmove(&e->owners[i], &e->owners[i + 1], (e->n_owners - i - 1) * sizeof *e->owners);
            e->n_owners--;
            break;
        }
    }
    if (e->n_owners > 0)
        e->limit = e->owners[e->n_owners - 1].limit;
    pthread_cond_broadcast(&e->slot_freed);
    pthread_mutex_unlock(&e->lock);
    if (--e->refs == 0) {
        struct remote_endpoint **p = &remote_registry;
        while (*p != e)
            p = &(*p)->next;
        *p = e->next;
        remote_endpoint_free(e);
    }
    pthread_mutex_unlock(&remote_registry_lock);
}

static void remote_timespec_in(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_nsec += ms * 1000000L;
    while (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

int remote_endpoint_enter(struct remote_endpoint *e, const struct remote_call *call)
{
    int rc = SKALD_OK;
    pthread_mutex_lock(&e->lock);
    e->waiting++;
    while (e->in_flight >= e->limit) {
        rc = remote_call_check(call);
        if (rc != SKALD_OK)
            break;
        struct timespec ts;
        remote_timespec_in(&ts, REMOTE_CALL_SLICE_MS);
        pthread_cond_timedwait(&e->slot_freed, &e->lock, &ts);
    }
    e->waiting--;
    if (rc == SKALD_OK)
        e->in_flight++;
    pthread_mutex_unlock(&e->lock);
    return rc;
}

void remote_endpoint_leave(struct remote_endpoint *e, double latency_ms)
{
    pthread_mutex_lock(&e->lock);
    e->in_flight--;
    e->latency_ms[e->latency_next] = latency_ms;
    e->latency_next = (e->latency_next + 1) % REMOTE_LATENCY_WINDOW;
    if (e->latency_count < REMOTE_LATENCY_WINDOW)
        e->latency_count++;
    pthread_cond_signal(&e->slot_freed);
    pthread_mutex_unlock(&e->lock);
}

int remote_endpoint_wait_pause(struct remote_endpoint *e, const struct remote_call *call,
                               int64_t *pause_ms)
{
    *pause_ms = 0;
    for (;;) {
        pthread_mutex_lock(&e->lock);
        int64_t until = e->pause_until_ns;
        pthread_mutex_unlock(&e->lock);
        int64_t now = call->now_ns();
        if (until <= now)
            return SKALD_OK;
        if (until > call->end_ns) {
            *pause_ms = (until - now + 999999) / 1000000;
            return REMOTE_ENDPOINT_PAUSE_TOO_LONG;
        }
        /* Another call may extend the pause meanwhile: look again once this one is over. */
        int rc = remote_call_sleep_until(call, until);
        if (rc != SKALD_OK)
            return rc;
    }
}

void remote_endpoint_pause(struct remote_endpoint *e, int64_t until_ns)
{
    pthread_mutex_lock(&e->lock);
    if (until_ns > e->pause_until_ns)
        e->pause_until_ns = until_ns;
    pthread_mutex_unlock(&e->lock);
}

enum remote_admit remote_endpoint_admit(struct remote_endpoint *e, int64_t now_ns,
                                        int64_t *retry_in_ms)
{
    pthread_mutex_lock(&e->lock);
    enum remote_admit a = remote_breaker_admit(&e->breaker, now_ns, retry_in_ms);
    pthread_mutex_unlock(&e->lock);
    return a;
}

enum remote_breaker_state remote_endpoint_record(struct remote_endpoint *e,
                                                 enum remote_outcome outcome, int probe,
                                                 uint32_t threshold, int64_t cooldown_ms,
                                                 int64_t now_ns)
{
    pthread_mutex_lock(&e->lock);
    enum remote_breaker_state before =
        remote_breaker_record(&e->breaker, outcome, probe, threshold, cooldown_ms, now_ns);
    pthread_mutex_unlock(&e->lock);
    return before;
}

void remote_endpoint_note_failure(struct remote_endpoint *e, const char *message)
{
    pthread_mutex_lock(&e->lock);
    snprintf(e->last_failure, sizeof e->last_failure, "%s", message);
    pthread_mutex_unlock(&e->lock);
}

void remote_endpoint_last_failure(struct remote_endpoint *e, char *out, size_t cap)
{
    pthread_mutex_lock(&e->lock);
    snprintf(out, cap, "%s", e->last_failure);
    pthread_mutex_unlock(&e->lock);
}

static int remote_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void remote_endpoint_stats(struct remote_endpoint *e, struct remote_endpoint_stats *out)
{
    double sorted[REMOTE_LATENCY_WINDOW];
    pthread_mutex_lock(&e->lock);
    out->in_flight = e->in_flight;
    out->limit = e->limit;
    out->waiting = e->waiting;
    out->breaker = e->breaker.state;
    out->consecutive_failures = e->breaker.consecutive_failures;
    size_t n = e->latency_count;
    memcpy(sorted, e->latency_ms, n * sizeof *sorted);
    pthread_mutex_unlock(&e->lock);
    out->p50_ms = out->p99_ms = 0;
    if (n == 0)
        return;
    qsort(sorted, n, sizeof *sorted, remote_cmp_double);
    /* Nearest-rank percentiles. */
    out->p50_ms = sorted[(n * 50 + 99) / 100 - 1];
    out->p99_ms = sorted[(n * 99 + 99) / 100 - 1];
}
