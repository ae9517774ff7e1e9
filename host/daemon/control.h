/*
 * The control thread (main()'s thread after startup): it alone takes signals, reloads, reaps
 * drained generations and runs the shutdown. Other threads ask it for a reload and wait.
 */
#ifndef SKALD_DAEMON_CONTROL_H
#define SKALD_DAEMON_CONTROL_H

#include <stddef.h>

#include "daemon/app.h"

/* Loads the config file again and, if the whole of it is valid and every changed plugin could be
 * created, makes it current. Returns 0, or -1 with err; on failure the serving generation is
 * untouched. Control thread only. */
int control_reload(struct app *app, char *err, size_t err_cap);

/* Asks the control thread for a reload and waits for its outcome (from a worker thread). */
int control_request_reload(struct app *app, char *err, size_t err_cap);

/* Serves signals and reload requests until SIGTERM or SIGINT. Signals must be blocked in every
 * thread. */
void control_loop(struct app *app);

/* Publishes generation-dependent settings the HTTP thread reads. */
void control_apply_server_settings(struct app *app, const struct server_config *server);

#endif
