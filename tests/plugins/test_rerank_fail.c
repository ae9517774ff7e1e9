/*
 * test_rerank_fail: a test-only reranker for the retriever's fallback tests. Every call waits
 * delay_ms (honouring the call's deadline and cancel flag), then fails as an unreachable backend
 * or an open breaker would (fail = on, the default), or scores each document by how often the
 * query's first word appears in it. Keys: delay_ms (0), fail (on).
 */
#include <stdlib.h>
#include <string.h>

#include <skald/plugin.h>

#include "plugin_util.h"

struct test_rerank_fail {
    const struct skald_host *host; /* borrowed */
    uint64_t delay_ms;
    int fail;
};

static int rerank_fail_create(const struct skald_host *host, void **instance, char *err,
                              size_t err_cap)
{
    static const char *const keys[] = {"delay_ms", "fail", NULL};
    uint64_t delay_ms;
    int fail;
    int rc = plugin_config_check_keys(host, keys, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "delay_ms", 0, 0, 3600000, &delay_ms, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_bool(host, "fail", 1, &fail, err, err_cap);
    if (rc != SKALD_OK)
        return rc;
    struct test_rerank_fail *t = calloc(1, sizeof *t);
    if (!t)
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    t->host = host;
    t->delay_ms = delay_ms;
    t->fail = fail;
    *instance = t;
    return SKALD_OK;
}

static void rerank_fail_destroy(void *instance)
{
    free(instance);
}

static int rerank_fail_score(void *instance, const struct skald_call_ctx *ctx, const char *query,
                             const char *const *docs, size_t n, float *scores)
{
    struct test_rerank_fail *t = instance;
    int rc = plugin_call_sleep_until(t->host, ctx,
                                     t->host->now_monotonic_ns() + (int64_t)t->delay_ms * 1000000);
    if (rc != SKALD_OK)
        return rc;
    if (t->fail)
        return plugin_call_fail(ctx, SKALD_EUNAVAILABLE, "test_rerank_fail: breaker open");
    char word[64];
    size_t wlen = strcspn(query, " ");
    if (wlen >= sizeof word)
        wlen = sizeof word - 1;
    memcpy(word, query, wlen);
    word[wlen] = '\0';
    for (size_t i = 0; i < n; i++) {
        scores[i] = 0;
        for (const char *p = docs[i]; wlen && (p = strstr(p, word)) != NULL; p += wlen)
            scores[i] += 1;
    }
    return SKALD_OK;
}

static const struct skald_rerank_ops rerank_fail_ops = {
    sizeof(struct skald_rerank_ops), rerank_fail_create, rerank_fail_destroy, rerank_fail_score,
};

SKALD_PLUGIN_DEFINE(SKALD_KIND_RERANK, "test_rerank_fail", "1.0.0",
                    "test-only reranker that fails (or is slow) on demand", &rerank_fail_ops)
