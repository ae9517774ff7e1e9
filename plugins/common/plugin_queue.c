#include "plugin_queue.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "plugin_util.h"

/* How often a call waiting for the queue's lock looks at its deadline and cancel flag. */
#define PLUGIN_QUEUE_LOCK_POLL_NS (20 * 1000000L)

int plugin_queue_topic_valid(const char *topic)
{
    if (!topic)
        return 0;
    size_t len = 0;
    for (const char *c = topic; *c; c++, len++) {
        int ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                 (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-';
        if (!ok || len >= 64)
            return 0;
    }
    return len > 0;
}

int plugin_queue_check_new(const struct skald_call_ctx *ctx, const struct skald_host *host,
                           const struct skald_queue_new_item *items, size_t n)
{
    int rc = skald_call_check(ctx, host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (!plugin_queue_topic_valid(items[i].topic))
            return plugin_call_fail(ctx, SKALD_EINVAL, "item %zu: invalid topic", i);
        if (!items[i].payload && items[i].payload_len)
            return plugin_call_fail(ctx, SKALD_EINVAL, "item %zu: payload is NULL", i);
    }
    return SKALD_OK;
}

int plugin_queue_check_import(const struct skald_call_ctx *ctx, const struct skald_host *host,
                              const struct skald_queue_import_item *items, size_t n)
{
    int rc = skald_call_check(ctx, host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (!plugin_queue_topic_valid(items[i].topic))
            return plugin_call_fail(ctx, SKALD_EINVAL, "import item %zu: invalid topic", i);
        if (!items[i].payload && items[i].payload_len)
            return plugin_call_fail(ctx, SKALD_EINVAL, "import item %zu: payload is NULL", i);
        if ((unsigned)items[i].state > SKALD_QUEUE_DEAD)
            return plugin_call_fail(ctx, SKALD_EINVAL, "import item %zu: unknown state %d", i,
                                    (int)items[i].state);
    }
    return SKALD_OK;
}

int plugin_queue_check_lease(const struct skald_call_ctx *ctx, const struct skald_host *host,
                             const char *topic, const char *owner, int64_t lease_ms)
{
    int rc = skald_call_check(ctx, host->now_monotonic_ns());
    if (rc != SKALD_OK)
        return rc;
    if (!plugin_queue_topic_valid(topic))
        return plugin_call_fail(ctx, SKALD_EINVAL, "lease: invalid topic");
    if (!owner || lease_ms <= 0)
        return plugin_call_fail(ctx, SKALD_EINVAL, "lease: owner and a positive lease_ms needed");
    return SKALD_OK;
}

int plugin_queue_lock(pthread_mutex_t *lock, const struct skald_host *host,
                      const struct skald_call_ctx *ctx)
{
    for (;;) {
        int rc = skald_call_check(ctx, host->now_monotonic_ns());
        if (rc != SKALD_OK)
            return rc;
        /* pthread_mutex_timedlock measures CLOCK_REALTIME. */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += PLUGIN_QUEUE_LOCK_POLL_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        int lrc = pthread_mutex_timedlock(lock, &until);
        if (lrc == 0)
            return SKALD_OK;
        if (lrc != ETIMEDOUT)
            return plugin_call_fail(ctx, SKALD_EINTERNAL, "queue lock: %s", strerror(lrc));
    }
}
