/* How long to wait before a retry: jittered exponential back-off, or what the provider's
 * Retry-After asks for. */
#ifndef SKALD_REMOTE_BACKOFF_H
#define SKALD_REMOTE_BACKOFF_H

#include <stdint.h>
#include <time.h>

/* Longest computed back-off. */
#define REMOTE_BACKOFF_MAX_MS 30000
/* Longest Retry-After obeyed; a provider asking for more is waited on this long. */
#define REMOTE_RETRY_AFTER_MAX_MS (600 * 1000)

/* Back-off before retry number attempt + 1 (attempt 0 = after the first try): base_ms doubled per
 * attempt, capped, with "equal jitter" (half fixed, half random) so clients that failed together
 * do not come back together. random is any 64-bit random value. */
int64_t remote_backoff_ms(int64_t base_ms, uint32_t attempt, uint64_t random);

/* A Retry-After header value (delta-seconds, possibly fractional, or an HTTP-date compared with
 * now_wall) in ms, capped at REMOTE_RETRY_AFTER_MAX_MS; -1 when it cannot be read. */
int64_t remote_retry_after_ms(const char *value, time_t now_wall);

/* A fresh random value from a per-thread generator. */
uint64_t remote_random(void);

#endif
