/*
 * Startup recovery of session commits (session-liveness.md section 12, "redo recovery"): every
 * archive whose phase 2 is owed (its .pending.json marker, written in the phase-1 transaction)
 * gets its task back if a crash came before the task was made, and its job queued again (merged
 * with one still pending), so leases the previous process held, jobs a volatile queue lost and
 * jobs of a queue copied without its items all come back. Nothing runs inline: the jobs obey
 * the provider's deadlines on the session runners, and /ready counts them until they end.
 */
#ifndef SKALD_SESSION_RECOVER_H
#define SKALD_SESSION_RECOVER_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/app.h"
#include "store/store.h"

/* Run by background recovery after the session engine started. *found gets the number of
 * archives owing phase 2. Returns 0, or -1 with err. */
int session_recover(struct app *app, struct store *st, uint64_t *found, char *err, size_t err_cap);

#endif
