/*
 * The systemd watchdog: a thread that sends WATCHDOG=1 every half period, but only after checking
 * that the daemon really works: the HTTP server answered a /health probe over its own listening
 * socket, and the worker pool ran the probe task queued at the previous ping. A wedged server or
 * a pool whose every thread has been stuck for a whole half period misses its ping, and systemd
 * restarts the service once a full period passes without one.
 */
#ifndef SKALD_DAEMON_WATCHDOG_H
#define SKALD_DAEMON_WATCHDOG_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/app.h"

struct watchdog;

/* Starts pinging every period_usec / 2 (period_usec > 0). Returns NULL with err on failure. */
struct watchdog *watchdog_start(struct app *app, uint64_t period_usec, char *err, size_t err_cap);
/* Stops the thread (at shutdown: systemd's stop timeout takes over). NULL is a no-op. */
void watchdog_stop(struct watchdog *w);

#endif
