/*
 * The worker pool: every piece of work that can block (a backend call, SQLite, disk) runs here,
 * never on the HTTP threads. Submitting takes a mutex held only for a list append, so the HTTP
 * thread may submit.
 */
#ifndef SKALD_RUNTIME_WORKERS_H
#define SKALD_RUNTIME_WORKERS_H

#include <stddef.h>

struct workers;

typedef void (*workers_task_fn)(void *arg);

/* Starts n threads. Returns NULL with err on failure. */
struct workers *workers_start(unsigned n, char *err, size_t err_cap);

/* Queues fn(arg). Returns 0, or -1 when the pool is stopping (the caller still owns arg). */
int workers_submit(struct workers *w, workers_task_fn fn, void *arg);

/* Tasks queued and not yet finished (running included). */
size_t workers_backlog(struct workers *w);

/* Stops taking tasks, waits until `deadline_ns` (CLOCK_MONOTONIC) for queued and running tasks to
 * finish, and joins the threads that did. Returns the number of threads still stuck in a task;
 * when non-zero the pool is leaked on purpose (its threads may still touch it) and the process is
 * expected to exit. */
unsigned workers_stop(struct workers *w, long long deadline_ns);

#endif
