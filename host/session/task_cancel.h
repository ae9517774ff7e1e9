/*
 * Cancelling a task's work in flight (OpenViking section 2.8, POST /api/v1/tasks/{id}/cancel):
 * whoever runs a backend call for a task (a session phase 2, a pipeline job of add_resource or
 * admin_reindex) registers the call's cancel flag here under the task id while the call runs.
 * task_cancel_run raises those flags and waits, briefly, for the calls to return; a call that
 * ignores its flag is force-released through the callback its owner gave, so the lane and the
 * worker slot are free within TASK_CANCEL_SETTLE_MS either way. Process-wide, thread-safe.
 */
#ifndef SKALD_SESSION_TASK_CANCEL_H
#define SKALD_SESSION_TASK_CANCEL_H

#include <stdatomic.h>
#include <stdint.h>

/* How long task_cancel_run waits for cancelled calls before forcing (under the 2 s promise). */
#define TASK_CANCEL_SETTLE_MS 1500

/* Frees what a call that ignored its cancel still holds; arg and seq as registered. */
typedef void (*task_cancel_force_fn)(void *arg, uint64_t seq);

/* Registers flag (raised on cancel) for task_id until task_cancel_unwatch(token). force may be
 * NULL (nothing can be freed but the flag). Returns a token, 0 when out of memory (the call then
 * just cannot be cancelled early). */
uint64_t task_cancel_watch(const char *task_id, atomic_int *flag, task_cancel_force_fn force,
                           void *arg, uint64_t seq);
void task_cancel_unwatch(uint64_t token);

/* Raises the flags registered for task_id, waits up to TASK_CANCEL_SETTLE_MS for them to be
 * unwatched, then forces those left. Returns how many calls were cancelled. Blocks: workers only. */
unsigned task_cancel_run(const char *task_id);

#endif
