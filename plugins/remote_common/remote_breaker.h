/*
 * Circuit breaker of one provider endpoint: closed (calls go out), open after `threshold`
 * consecutive failed calls (calls fail at once), half-open after the cool-down (exactly one probe
 * call goes out; its outcome closes or re-opens the breaker). Pure state, no lock: the endpoint
 * that holds it serialises access.
 */
#ifndef SKALD_REMOTE_BREAKER_H
#define SKALD_REMOTE_BREAKER_H

#include <stdint.h>

/* Values are what status shows as the `breaker_state` gauge. */
enum remote_breaker_state {
    REMOTE_BREAKER_CLOSED = 0,
    REMOTE_BREAKER_OPEN = 1,
    REMOTE_BREAKER_HALF_OPEN = 2
};

/* How a call ended, as far as the provider's health goes. */
enum remote_outcome {
    REMOTE_OUTCOME_ANSWERED = 0, /* the provider answered (even with a 4xx): it is up */
    REMOTE_OUTCOME_FAILED = 1,   /* 5xx, 429, connection error, no answer in time, bad answer */
    REMOTE_OUTCOME_NEUTRAL = 2   /* says nothing about the provider (cancelled, out of memory) */
};

enum remote_admit {
    REMOTE_ADMIT_GO = 0,
    REMOTE_ADMIT_PROBE = 1, /* the one half-open probe: its outcome must be recorded */
    REMOTE_ADMIT_REJECT = 2
};

struct remote_breaker {
    enum remote_breaker_state state;
    uint32_t consecutive_failures;
    int64_t open_until_ns; /* while OPEN: when the next call becomes the probe */
};

/* Whether a call may go out at now_ns. On REJECT, *retry_in_ms (may be NULL) says how long until
 * a probe may go (0 while a probe is out). */
enum remote_admit remote_breaker_admit(struct remote_breaker *b, int64_t now_ns,
                                       int64_t *retry_in_ms);

/* Records a call's outcome. probe: it was admitted as REMOTE_ADMIT_PROBE. Returns the state
 * before, so the caller can log a transition. */
enum remote_breaker_state remote_breaker_record(struct remote_breaker *b, enum remote_outcome outcome,
                                                int probe, uint32_t threshold, int64_t cooldown_ms,
                                                int64_t now_ns);

const char *remote_breaker_state_name(enum remote_breaker_state s);

#endif
