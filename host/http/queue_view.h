/*
 * The pipeline's two queues as the API shows them: `Semantic` (L0/L1) and `Embedding` (vectors),
 * each with what the queue plugin holds now (pending, leased, dead) and what this process's
 * pipeline finished since it started (processed, requeued). Used by system/wait, add_resource
 * with wait=true and the observer. Runs on workers or the waiter thread (it calls the queue
 * plugin).
 */
#ifndef SKALD_HTTP_QUEUE_VIEW_H
#define SKALD_HTTP_QUEUE_VIEW_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/app.h"

#define QUEUE_VIEW_TOPICS 2
#define QUEUE_VIEW_MAX_ERRORS 100

struct queue_view_topic {
    const char *name;        /* "Semantic", "Embedding" */
    const char *topic;       /* the queue plugin's topic */
    uint64_t pending;        /* waiting, retries included */
    uint64_t in_progress;    /* leased */
    uint64_t dead;           /* parked after their last attempt */
    uint64_t processed, requeued;
    json_t *errors;          /* [{"message"}], owned; NULL unless asked for */
};

struct queue_view {
    struct queue_view_topic topics[QUEUE_VIEW_TOPICS];
};

/* Fills v from the queue plugin of gen. With errors_account, the messages of the dead items of
 * that account are collected too (at most QUEUE_VIEW_MAX_ERRORS per queue; other accounts' are
 * never shown). Returns a skald status with err set; v is always safe to free. */
int queue_view_collect(struct app *app, struct generation *gen, const char *errors_account,
                       struct queue_view *v, char *err, size_t err_cap);
void queue_view_free(struct queue_view *v);

/* No item pending or leased in either queue (dead ones do not count: they wait for nobody). */
int queue_view_idle(const struct queue_view *v);

/* {"Semantic": {"processed","requeue_count","error_count","errors"}, "Embedding": {...}}. */
json_t *queue_view_status(const struct queue_view *v);

#endif
