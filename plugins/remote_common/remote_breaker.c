#include "remote_breaker.h"

enum remote_admit remote_breaker_admit(struct remote_breaker *b, int64_t now_ns,
                                       int64_t *retry_in_ms)
{
    if (retry_in_ms)
        *retry_in_ms = 0;
    switch (b->state) {
    case REMOTE_BREAKER_CLOSED:
        return REMOTE_ADMIT_GO;
    case REMOTE_BREAKER_OPEN:
        if (now_ns >= b->open_until_ns) {
            b->state = REMOTE_BREAKER_HALF_OPEN;
            return REMOTE_ADMIT_PROBE;
        }
        if (retry_in_ms)
            *retry_in_ms = (b->open_until_ns - now_ns + 999999) / 1000000;
        return REMOTE_ADMIT_REJECT;
    case REMOTE_BREAKER_HALF_OPEN:
    default:
        return REMOTE_ADMIT_REJECT; /* the probe is out */
    }
}

static void remote_breaker_open(struct remote_breaker *b, int64_t cooldown_ms, int64_t now_ns)
{
    b->state = REMOTE_BREAKER_OPEN;
    b->open_until_ns = now_ns + cooldown_ms * 1000000;
}

enum remote_breaker_state remote_breaker_record(struct remote_breaker *b, enum remote_outcome outcome,
                                                int probe, uint32_t threshold, int64_t cooldown_ms,
                                                int64_t now_ns)
{
    enum remote_breaker_state before = b->state;
    if (outcome == REMOTE_OUTCOME_NEUTRAL) {
        /* A cancelled probe proved nothing: the next call probes again. */
        if (probe && b->state == REMOTE_BREAKER_HALF_OPEN) {
            b->state = REMOTE_BREAKER_OPEN;
            b->open_until_ns = now_ns;
        }
        return before;
    }
    if (outcome == REMOTE_OUTCOME_ANSWERED) {
        /* Any answer, even from a call sent before the breaker opened, shows the provider is up. */
        b->consecutive_failures = 0;
        b->state = REMOTE_BREAKER_CLOSED;
        return before;
    }
    b->consecutive_failures++;
    if ((probe && b->state == REMOTE_BREAKER_HALF_OPEN) ||
        (b->state == REMOTE_BREAKER_CLOSED && b->consecutive_failures >= threshold))
        remote_breaker_open(b, cooldown_ms, now_ns);
    return before;
}

const char *remote_breaker_state_name(enum remote_breaker_state s)
{
    switch (s) {
    case REMOTE_BREAKER_CLOSED: return "closed";
    case REMOTE_BREAKER_OPEN: return "open";
    case REMOTE_BREAKER_HALF_OPEN: return "half-open";
    default: return "unknown";
    }
}
