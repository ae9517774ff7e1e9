/*
 * test_embed_slow: a test-only embedding plugin that takes as long as it is told to, for the
 * host's deadline, cancel and shutdown tests. Keys: dims (8), delay_ms (0: each embed call waits
 * this long, honouring deadline and cancel), hang (off; on = never returns, ignoring both, to prove
 * the host can still exit). Vectors are deterministic: element d of text i is (len(text)+d) / 100.
 */
#include <stdlib.h>
#include <time.h>

#include <skald/plugin.h>

#include "plugin_util.h"

struct test_embed_slow {
    const struct skald_host *host; /* borrowed */
    uint32_t dims;
    uint64_t delay_ms;
    int hang;
};

static int test_embed_slow_create(const struct skald_host *host, void **instance, char *err,
                                  size_t err_cap)
{
    static const char *const keys[] = {"dims", "delay_ms", "hang", NULL};
    uint64_t dims, delay_ms;
    int hang;
    int rc = plugin_config_check_keys(host, keys, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "dims", 8, 1, 4096, &dims, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "delay_ms", 0, 0, 3600000, &delay_ms, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_bool(host, "hang", 0, &hang, err, err_cap);
    if (rc != SKALD_OK)
        return rc;
    struct test_embed_slow *t = calloc(1, sizeof *t);
    if (!t)
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    t->host = host;
    t->dims = (uint32_t)dims;
    t->delay_ms = delay_ms;
    t->hang = hang;
    *instance = t;
    return SKALD_OK;
}

static void test_embed_slow_destroy(void *instance)
{
    free(instance);
}

static uint32_t test_embed_slow_dimensions(void *instance)
{
    return ((struct test_embed_slow *)instance)->dims;
}

static uint32_t test_embed_slow_max_batch(void *instance)
{
    (void)instance;
    return 64;
}

static void test_embed_slow_nap(void)
{
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

static int test_embed_slow_embed(void *instance, const struct skald_call_ctx *ctx,
                                 const char *const *texts, size_t n, float *out)
{
    struct test_embed_slow *t = instance;
    if (t->hang)
        for (;;)
            test_embed_slow_nap();
    int rc = plugin_call_sleep_until(t->host, ctx,
                                     t->host->now_monotonic_ns() + (int64_t)t->delay_ms * 1000000);
    if (rc != SKALD_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        while (texts[i][len])
            len++;
        for (uint32_t d = 0; d < t->dims; d++)
            out[i * t->dims + d] = (float)(len + d) / 100.0f;
    }
    return SKALD_OK;
}

static const struct skald_embedding_ops test_embed_slow_ops = {
    sizeof(struct skald_embedding_ops), test_embed_slow_create,     test_embed_slow_destroy,
    test_embed_slow_dimensions,         test_embed_slow_max_batch, test_embed_slow_embed,
};

SKALD_PLUGIN_DEFINE(SKALD_KIND_EMBEDDING, "test_embed_slow", "1.0.0",
                    "test-only embedder with a configurable delay or hang", &test_embed_slow_ops)
