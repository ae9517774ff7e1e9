/*
 * The session engine: the threads that run commit phase 2 and watch the lanes. A dispatcher
 * leases jobs of the `session` topic (one unique lease owner per lease, renewed while held),
 * queues each on its session's lane and reclaims leases whose owner process is gone; runner
 * threads (as many as [sessions] max_extractions, the cap on model-bound work) claim lanes with
 * work and run phase 2; a watchdog classifies busy lanes every watch_interval_ms and releases
 * stuck ones, cancels stalled work past the abort threshold and replaces runner threads a
 * plugin never gave back. None of them is a request worker or the HTTP thread.
 */
#ifndef SKALD_SESSION_ENGINE_H
#define SKALD_SESSION_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/app.h"
#include "session/session_lanes.h"
#include "store/store.h"

struct session_engine;

/* Starts the engine on the open store and publishes it as app->sessions. Called by background
 * recovery once plugins and the store exist. Returns 0, or -1 with err. */
int session_engine_start(struct app *app, struct store *st, char *err, size_t err_cap);
/* Shutdown, after the request workers stopped: stops leasing, lets runs finish until deadline_ns,
 * then cancels their calls and waits grace_ns more. Runs cut off keep their leases (the caller
 * returns them to pending). The engine is freed unless a thread may still use it: one of its own
 * stuck in a call, or a request worker (workers_stuck). Returns the number of its threads still
 * stuck (left detached). No-op without an engine. */
unsigned session_engine_stop(struct app *app, int64_t deadline_ns, int64_t grace_ns,
                             int workers_stuck);

/* New jobs were queued: lease them now. NULL is ignored. */
void session_engine_wake(struct session_engine *e);
struct session_lanes *session_engine_lanes(struct session_engine *e);
struct store *session_engine_store(struct session_engine *e);
struct app *session_engine_app(struct session_engine *e);

/* Startup recovery's bookkeeping for /ready: archives found owing phase 2, each counted until it
 * ends (done, failed for good, cancelled). */
void session_engine_recovery_add(struct session_engine *e, const char *account,
                                 const char *archive_uri);
void session_engine_recovery_scanned(struct session_engine *e);
/* For /ready, on the HTTP thread (atomics only): "pending" while the scan runs or a recovered
 * phase 2 has not ended, else "ok"; *pending gets how many have not ended. "pending" too before
 * the engine exists, "stopping" once shutdown began. */
const char *session_engine_recovery_state(struct app *app, uint64_t *pending);

/* Debug: makes the session's lane look held by an owner thread that has exited. */
int session_engine_orphan_lane(struct session_engine *e, const char *account,
                               const char *session_uri);

#endif
