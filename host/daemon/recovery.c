#include "daemon/recovery.h"

#include <stdio.h>

#include "core/clock.h"
#include "core/log.h"
#include "pipeline/pipeline.h"
#include "pipeline/rescan.h"
#include "session/session_engine.h"
#include "session/session_recover.h"
#include "store/store.h"

/* Recovery talks to backends that may be slow; it gets a deadline like any other call. */
#define RECOVERY_CALL_NS (60LL * 1000000000LL)

static int release_leases(struct app *app, const char *owner_prefix, uint64_t *released, char *err,
                          size_t err_cap)
{
    struct generation *gen = runtime_acquire(&app->runtime);
    if (!gen) {
        snprintf(err, err_cap, "no plugins loaded");
        return -1;
    }
    struct plugin_instance *q = gen->backends[BACKEND_QUEUE]->inst;
    atomic_int never = 0;
    struct skald_call_ctx ctx = {sizeof ctx, 0, clock_monotonic_ns() + RECOVERY_CALL_NS, &never, err,
                                 err_cap};
    err[0] = '\0';
    int rc = plugin_instance_ops(q, queue)->release(q->handle, &ctx, owner_prefix, released);
    runtime_release(&app->runtime, gen);
    return rc == SKALD_OK ? 0 : -1;
}

/* Re-queues the work a crash or a copied data dir left unfinished, within the recovery deadline. */
static int recovery_rescan(struct app *app, struct store *st, char *err, size_t err_cap)
{
    struct generation *gen = runtime_acquire(&app->runtime);
    if (!gen) {
        snprintf(err, err_cap, "no plugins loaded");
        return -1;
    }
    struct rescan_result r;
    int rc = pipeline_rescan(app, gen, st, NULL, NULL, RESCAN_UNFINISHED, NULL,
                             clock_monotonic_ns() + RECOVERY_CALL_NS, &r, err, err_cap);
    runtime_release(&app->runtime, gen);
    atomic_store(&app->recovery_jobs, r.semantic_jobs + r.embed_jobs);
    if (r.semantic_jobs + r.embed_jobs)
        log_info("recovery: %llu unfinished nodes queued again (%llu L0/L1, %llu vectors)",
                 (unsigned long long)(r.semantic_jobs + r.embed_jobs),
                 (unsigned long long)r.semantic_jobs, (unsigned long long)r.embed_jobs);
    return rc == SKALD_OK ? 0 : -1;
}

/* Session commits: the engine starts, and archives owing phase 2 get their jobs back (queued,
 * not run here, so a model that never answers cannot hold recovery). */
static void recovery_sessions(struct app *app, struct store *st)
{
    char err[512];
    uint64_t found = 0;
    if (session_engine_start(app, st, err, sizeof err) != 0)
        log_error("recovery: the session engine did not start: %s", err);
    else if (session_recover(app, st, &found, err, sizeof err) != 0)
        log_error("recovery: session commits: %s", err);
    if (found)
        log_info("recovery: %llu session commits owing phase 2 queued again",
                 (unsigned long long)found);
}

static void recovery_task(void *arg)
{
    struct app *app = arg;
    char err[512];
    struct store *st = NULL;
    if (store_open(app->boot.data_dir, &st, err, sizeof err) != STORE_OK) {
        log_error("recovery: cannot open the context store: %s", err);
        atomic_store(&app->recovery, RECOVERY_FAILED);
        return;
    }
    uint64_t released = 0;
    if (release_leases(app, "", &released, err, sizeof err) != 0) {
        log_error("recovery: releasing stale queue leases failed: %s", err);
        store_close(st);
        atomic_store(&app->recovery, RECOVERY_FAILED);
        return;
    }
    if (released)
        log_info("recovery: %llu queue items leased by a previous process are pending again",
                 (unsigned long long)released);
    /* Published only now: the pipeline starts leasing once it sees the store, and the release
     * above takes every owner's leases, which must not include ours. */
    atomic_store(&app->store, st);
    recovery_sessions(app, st);
    int rc = recovery_rescan(app, st, err, sizeof err);
    if (rc != 0)
        log_error("recovery: rescanning unfinished work: %s", err);
    atomic_store(&app->recovery, rc == 0 ? RECOVERY_DONE : RECOVERY_FAILED);
    /* The pipeline waits for the end of recovery before it leases anything. */
    pipeline_wake(app->pipeline);
}

void recovery_schedule(struct app *app)
{
    atomic_store(&app->recovery, RECOVERY_RUNNING);
    if (workers_submit(app->workers, recovery_task, app) != 0) {
        log_error("recovery: the worker pool is stopping");
        atomic_store(&app->recovery, RECOVERY_FAILED);
    }
}

void recovery_release_own_leases(struct app *app)
{
    char err[512];
    uint64_t released = 0;
    if (release_leases(app, app->lease_owner_prefix, &released, err, sizeof err) != 0)
        log_error("shutdown: releasing this process's queue leases failed: %s", err);
    else if (released)
        log_info("shutdown: %llu leased queue items returned to pending", (unsigned long long)released);
}
