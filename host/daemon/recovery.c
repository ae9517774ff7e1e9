#include "daemon/recovery.h"

#include <stdio.h>

#include "core/clock.h"
#include "core/log.h"

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

static void recovery_task(void *arg)
{
    struct app *app = arg;
    char err[512];
    uint64_t released = 0;
    if (release_leases(app, "", &released, err, sizeof err) != 0) {
        log_error("recovery: releasing stale queue leases failed: %s", err);
        atomic_store(&app->recovery, RECOVERY_FAILED);
        return;
    }
    if (released)
        log_info("recovery: %llu queue items leased by a previous process are pending again",
                 (unsigned long long)released);
    atomic_store(&app->recovery, RECOVERY_DONE);
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
