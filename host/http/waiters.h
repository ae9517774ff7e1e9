/*
 * Requests that wait for background work (`wait=true`, POST /api/v1/system/wait) without holding
 * a worker: the request stays suspended, one waiter thread re-checks each one when poked (work
 * finished) and at least every 100 ms, and answers it when its check says done or its deadline
 * passes (504 DEADLINE_EXCEEDED; the work goes on). At shutdown every waiter is answered first.
 */
#ifndef SKALD_HTTP_WAITERS_H
#define SKALD_HTTP_WAITERS_H

#include <stdint.h>

#include "http/request.h"

struct waiters;

/* Returns 1 when the wait is over (reply filled), 0 to keep waiting. Runs on the waiter thread
 * and may use the store and backends (pin a generation if needed). */
typedef int (*waiter_check_fn)(void *arg, struct app *app, struct http_reply *reply);
/* Fills the reply when the deadline passed first. */
typedef void (*waiter_timeout_fn)(void *arg, struct http_reply *reply);

struct waiter_spec {
    waiter_check_fn check;
    waiter_timeout_fn on_timeout;
    void (*free_arg)(void *arg); /* may be NULL */
    void *arg;                   /* owned by the waiter from waiters_add on, even on failure */
    int64_t deadline_ns;         /* CLOCK_MONOTONIC; 0 = none */
};

int waiters_start(struct app *app, struct waiters **out, char *err, size_t err_cap);
/* Parks req (from its async handler, which must then return without answering). Returns 0, or
 * -1 when stopping (the caller answers). */
int waiters_add(struct waiters *w, struct http_request *req, const struct waiter_spec *spec);
/* Work finished somewhere: re-check the waiters now. Safe from any thread; NULL is ignored. */
void waiters_poke(struct waiters *w);
/* Answers every waiter with 503 UNAVAILABLE and stops the thread; later adds fail and pokes do
 * nothing. The struct stays valid for threads that may still poke it until waiters_free. */
void waiters_stop(struct waiters *w);
void waiters_free(struct waiters *w);

#endif
