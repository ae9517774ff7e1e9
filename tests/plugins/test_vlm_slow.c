/*
 * test_vlm_slow: a test-only VLM for the query planner's fault tests. Every completion waits
 * delay_ms (honouring the call's deadline and cancel flag), then fails (fail = on) or answers the
 * fixed text of `answer`. Keys: delay_ms (0), fail (off), answer ("{}").
 */
#include <stdlib.h>
#include <string.h>

#include <skald/plugin.h>

#include "plugin_util.h"

struct test_vlm_slow {
    const struct skald_host *host; /* borrowed */
    uint64_t delay_ms;
    int fail;
    char *answer;
};

static int vlm_slow_create(const struct skald_host *host, void **instance, char *err,
                           size_t err_cap)
{
    static const char *const keys[] = {"delay_ms", "fail", "answer", NULL};
    uint64_t delay_ms;
    int fail;
    int rc = plugin_config_check_keys(host, keys, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "delay_ms", 0, 0, 3600000, &delay_ms, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_bool(host, "fail", 0, &fail, err, err_cap);
    if (rc != SKALD_OK)
        return rc;
    struct test_vlm_slow *t = calloc(1, sizeof *t);
    if (!t || !(t->answer = strdup(plugin_config_str(host, "answer", "{}")))) {
        free(t);
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    }
    t->host = host;
    t->delay_ms = delay_ms;
    t->fail = fail;
    *instance = t;
    return SKALD_OK;
}

static void vlm_slow_destroy(void *instance)
{
    struct test_vlm_slow *t = instance;
    free(t->answer);
    free(t);
}

static int vlm_slow_complete(void *instance, const struct skald_call_ctx *ctx,
                             const struct skald_vlm_request *req, skald_text_sink sink,
                             void *sink_arg)
{
    (void)req;
    struct test_vlm_slow *t = instance;
    int rc = plugin_call_sleep_until(t->host, ctx,
                                     t->host->now_monotonic_ns() + (int64_t)t->delay_ms * 1000000);
    if (rc != SKALD_OK)
        return rc;
    if (t->fail)
        return plugin_call_fail(ctx, SKALD_EUNAVAILABLE, "test_vlm_slow: told to fail");
    if (sink(sink_arg, t->answer, strlen(t->answer)) != 0)
        return plugin_call_fail(ctx, SKALD_ECANCELLED, "the caller stopped the output");
    return SKALD_OK;
}

static const struct skald_vlm_ops vlm_slow_ops = {
    sizeof(struct skald_vlm_ops), vlm_slow_create, vlm_slow_destroy, vlm_slow_complete,
};

SKALD_PLUGIN_DEFINE(SKALD_KIND_VLM, "test_vlm_slow", "1.0.0",
                    "test-only VLM that answers a fixed text after a delay, or fails", &vlm_slow_ops)
