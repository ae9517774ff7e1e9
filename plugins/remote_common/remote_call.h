/*
 * The limits of one remote call: the host's deadline and cancel flag, and the plugin's own
 * `timeout` budget, whichever ends first. Everything that waits (a slot, a back-off, the network)
 * waits through these, in slices of REMOTE_CALL_SLICE_MS, so no call outlives its limits by more
 * than one slice.
 */
#ifndef SKALD_REMOTE_CALL_H
#define SKALD_REMOTE_CALL_H

#include <stdint.h>

#include <skald/plugin.h>

/* Longest uninterrupted wait; well under the ABI's 100 ms. */
#define REMOTE_CALL_SLICE_MS 20

/* Returned by remote_call_check when the plugin's own `timeout` ran out (not a host status). */
#define REMOTE_CALL_BUDGET_SPENT 1

struct remote_call {
    const struct skald_call_ctx *ctx; /* borrowed, the host's */
    int64_t (*now_ns)(void);          /* the host's CLOCK_MONOTONIC */
    int64_t started_ns;
    int64_t budget_end_ns; /* started + timeout */
    int64_t end_ns;        /* min(ctx deadline, budget_end_ns) */
};

void remote_call_begin(struct remote_call *call, const struct skald_call_ctx *ctx,
                       int64_t (*now_ns)(void), int64_t timeout_ms);

/* SKALD_OK while the call may go on; else SKALD_ECANCELLED, SKALD_ETIMEDOUT (the host's deadline)
 * or REMOTE_CALL_BUDGET_SPENT. Writes no message. */
int remote_call_check(const struct remote_call *call);

/* Milliseconds left before end_ns (0 when past). */
int64_t remote_call_left_ms(const struct remote_call *call);

/* Sleeps until the monotonic time until_ns, in slices, returning early with remote_call_check's
 * verdict when the call must stop. */
int remote_call_sleep_until(const struct remote_call *call, int64_t until_ns);

#endif
