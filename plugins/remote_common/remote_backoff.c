#include "remote_backoff.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include <curl/curl.h>

int64_t remote_backoff_ms(int64_t base_ms, uint32_t attempt, uint64_t random)
{
    int64_t wait = base_ms > 0 ? base_ms : 1;
    for (uint32_t i = 0; i < attempt && wait < REMOTE_BACKOFF_MAX_MS; i++)
        wait *= 2;
    if (wait > REMOTE_BACKOFF_MAX_MS)
        wait = REMOTE_BACKOFF_MAX_MS;
    int64_t half = wait / 2;
    return wait - half + (int64_t)(random % (uint64_t)(half + 1));
}

int64_t remote_retry_after_ms(const char *value, time_t now_wall)
{
    while (*value == ' ' || *value == '\t')
        value++;
    if (!*value)
        return -1;
    int64_t ms;
    if (isdigit((unsigned char)*value)) {
        char *end = NULL;
        errno = 0;
        double secs = strtod(value, &end);
        while (end && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
            end++;
        if (errno || !end || *end || !(secs >= 0))
            return -1;
        ms = secs * 1000.0 >= (double)REMOTE_RETRY_AFTER_MAX_MS ? REMOTE_RETRY_AFTER_MAX_MS
                                                                 : (int64_t)(secs * 1000.0 + 0.5);
    } else {
        time_t at = curl_getdate(value, NULL);
        if (at == (time_t)-1)
            return -1;
        ms = at <= now_wall ? 0 : ((int64_t)(at - now_wall)) * 1000;
    }
    return ms > REMOTE_RETRY_AFTER_MAX_MS ? REMOTE_RETRY_AFTER_MAX_MS : ms;
}

uint64_t remote_random(void)
{
    static _Thread_local uint64_t state;
    if (state == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        state = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&ts;
        if (state == 0)
            state = 0x9e3779b97f4a7c15ULL;
    }
    /* xorshift64*: plenty for spreading retries. */
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545f4914f6cdd1dULL;
}
