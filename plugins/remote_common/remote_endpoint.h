/*
 * What every instance of one plugin library talking to the same base_url and model shares: the
 * in-flight limit, the circuit breaker, the provider's "slow down" (a shared pause after 429 or
 * Retry-After) and recent latencies. A reload creates a new instance while the old one drains;
 * both use the same endpoint, so a lowered max_concurrent holds across the swap, calls queued on
 * the old instance keep their place, and the breaker does not forget a failing provider.
 */
#ifndef SKALD_REMOTE_ENDPOINT_H
#define SKALD_REMOTE_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "remote_breaker.h"
#include "remote_call.h"

struct remote_endpoint;

/* Finds or creates the endpoint for key and registers owner (an instance) with its in-flight
 * limit; the most recently registered owner's limit applies. NULL when out of memory. */
struct remote_endpoint *remote_endpoint_acquire(const char *key, const void *owner, uint32_t limit);
/* Unregisters owner (the limit falls back to the newest remaining owner's) and drops its
 * reference; the last one frees the endpoint. */
void remote_endpoint_release(struct remote_endpoint *e, const void *owner);

/* Waits for an in-flight slot within the call's limits. SKALD_OK: the caller holds a slot and
 * gives it back with remote_endpoint_leave. Else remote_call_check's verdict. */
int remote_endpoint_enter(struct remote_endpoint *e, const struct remote_call *call);
/* Gives back the slot and records the call's latency. */
void remote_endpoint_leave(struct remote_endpoint *e, double latency_ms);

/* Waits out the shared pause, if any. SKALD_OK when it is over; REMOTE_ENDPOINT_PAUSE_TOO_LONG
 * at once (with *pause_ms set) when it lasts past the call's end; else remote_call_check's
 * verdict. */
#define REMOTE_ENDPOINT_PAUSE_TOO_LONG 2
int remote_endpoint_wait_pause(struct remote_endpoint *e, const struct remote_call *call,
                               int64_t *pause_ms);
/* Makes every call of the endpoint hold off sending until until_ns (never shortens a pause). */
void remote_endpoint_pause(struct remote_endpoint *e, int64_t until_ns);

/* The breaker, under the endpoint's lock (see remote_breaker.h). */
enum remote_admit remote_endpoint_admit(struct remote_endpoint *e, int64_t now_ns,
                                        int64_t *retry_in_ms);
enum remote_breaker_state remote_endpoint_record(struct remote_endpoint *e,
                                                 enum remote_outcome outcome, int probe,
                                                 uint32_t threshold, int64_t cooldown_ms,
                                                 int64_t now_ns);

/* The latest failure's message (for the breaker's "why"), copied; "" when none. */
void remote_endpoint_note_failure(struct remote_endpoint *e, const char *message);
void remote_endpoint_last_failure(struct remote_endpoint *e, char *out, size_t cap);

struct remote_endpoint_stats {
    uint32_t in_flight;
    uint32_t limit;
    uint32_t waiting; /* calls waiting for a slot */
    enum remote_breaker_state breaker;
    uint32_t consecutive_failures;
    double p50_ms, p99_ms; /* over the last REMOTE_LATENCY_WINDOW calls; 0 before any */
};
#define REMOTE_LATENCY_WINDOW 512
void remote_endpoint_stats(struct remote_endpoint *e, struct remote_endpoint_stats *out);

#endif
