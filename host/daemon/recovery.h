/*
 * Startup recovery, run in the background after /health is up so it can never delay it: the
 * context store is opened, queue leases left by a previous process (which is gone: we hold the
 * data-dir lock) go back to pending, and nodes left unfinished get their jobs queued again.
 * /ready reports its progress.
 */
#ifndef SKALD_DAEMON_RECOVERY_H
#define SKALD_DAEMON_RECOVERY_H

#include "daemon/app.h"

/* Queues recovery on the worker pool; app->recovery moves to RUNNING, then DONE or FAILED. */
void recovery_schedule(struct app *app);

/* At shutdown: returns the items this process still holds leased to pending at once, so nothing
 * waits for a lease to expire after a restart. Control thread only. */
void recovery_release_own_leases(struct app *app);

#endif
