/*
 * The processing pipeline: a few threads of its own (never the HTTP thread, never the request
 * worker pool, so a slow model cannot starve requests) that lease jobs from the queue plugin, run
 * them on the backends of the generation current at that moment, store the results, and only
 * then ack. A job that fails is retried with a growing delay, then parked as dead with its error
 * on the node and its task. Leases expire, so the items of a thread or process that died come back.
 */
#ifndef SKALD_PIPELINE_PIPELINE_H
#define SKALD_PIPELINE_PIPELINE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/app.h"
#include "pipeline/job.h"
#include "store/store.h"

/* Attempts before a job that keeps failing is parked as dead. Failures of an unavailable or slow
 * backend do not count: those jobs are retried, a minute apart at most, until it is back. */
#define PIPELINE_MAX_ATTEMPTS 5

struct pipeline;

/* Starts n threads. They wait until the store is open and a generation is published. */
int pipeline_start(struct app *app, unsigned n_threads, struct pipeline **out, char *err,
                   size_t err_cap);
/* New jobs were enqueued: wake idle threads now instead of at their next poll. */
void pipeline_wake(struct pipeline *p);
/* Shutdown: stop leasing, let the current jobs finish until deadline_ns, then cancel their backend
 * calls and wait up to grace_ns more. Jobs cut off stay leased by this process; the caller returns
 * its leases to pending. Returns the number of threads still stuck in a call (left detached). */
unsigned pipeline_stop(struct pipeline *p, int64_t deadline_ns, int64_t grace_ns);

/* Jobs of one kind this process has finished since it started. */
struct pipeline_counts {
    uint64_t processed; /* done and acked */
    uint64_t requeued;  /* failed, put back for a retry */
    uint64_t dead;      /* failed for good */
};
/* Zeros when p is NULL (before the pipeline starts). Any thread. */
void pipeline_counts(struct pipeline *p, enum job_kind kind, struct pipeline_counts *out);

/* Enqueues jobs (all for task_id, or none when NULL), counts them on the task, wakes the
 * pipeline. Safe from any worker thread. Returns a skald status with err set. */
int pipeline_submit(struct app *app, struct generation *gen, struct store *st,
                    struct job *jobs, size_t n, const char *task_id, char *err, size_t err_cap);

#endif
