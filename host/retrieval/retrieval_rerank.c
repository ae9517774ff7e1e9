/* The reranker inside a find, and what happens when it cannot answer: the find goes on with vector
 * scores, one log line says why (at most one a second, so an open breaker under load does not
 * flood the log) and the rerank instance's retrieval_fallbacks_total counts every occurrence. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "retrieval/retrieval_internal.h"
#include "retrieval/retrieval_score.h"
#include "uri/viking_uri.h"

#define RERANK_LOG_INTERVAL_NS 1000000000LL
/* The reranker gets at most this share of the time the request has left. */
#define RERANK_TIME_SHARE 0.5

static atomic_llong rerank_last_log_ns;
static atomic_ullong rerank_unlogged;

void retrieval_sub_ctx(const struct skald_call_ctx *parent, double fraction,
                       struct skald_call_ctx *out, char *err, size_t err_cap)
{
    *out = *parent;
    out->err = err;
    out->err_cap = err_cap;
    err[0] = '\0';
    if (parent->deadline_ns > 0) {
        int64_t now = clock_monotonic_ns();
        int64_t left = parent->deadline_ns - now;
        out->deadline_ns = left > 0 ? now + (int64_t)((double)left * fraction) : parent->deadline_ns;
    }
}

static void rerank_fallback(struct plugin_instance *inst, size_t n, int rc, const char *why)
{
    inst->host.metric_add(&inst->host, "retrieval_fallbacks_total", 1);
    int64_t now = clock_monotonic_ns();
    long long last = atomic_load(&rerank_last_log_ns);
    if (last && now - last < RERANK_LOG_INTERVAL_NS) {
        atomic_fetch_add(&rerank_unlogged, 1);
        return;
    }
    if (!atomic_compare_exchange_strong(&rerank_last_log_ns, &last, now)) {
        atomic_fetch_add(&rerank_unlogged, 1);
        return;
    }
    struct log_field fields[] = {
        LOG_STR("plugin", inst->module->name),
        LOG_INT("status", rc),
        LOG_STR("error", why),
        LOG_INT("candidates", n),
        LOG_INT("unlogged_before", atomic_exchange(&rerank_unlogged, 0)),
    };
    log_fields(LOG_LEVEL_WARN, "retrieval: reranker failed, ranking by vector scores",
               fields, sizeof fields / sizeof fields[0]);
}

int retrieval_rerank(const struct retrieval_env *env, const char *query,
                     struct retrieval_hit *hits, size_t n, char *why, size_t why_cap)
{
    struct backend *b = env->gen->backends[BACKEND_RERANK];
    if (!b) {
        snprintf(why, why_cap, "no reranker configured");
        return -1;
    }
    if (n == 0)
        return 0;
    struct plugin_instance *inst = b->inst;
    const char **docs = calloc(n, sizeof *docs);
    float *scores = calloc(n, sizeof *scores);
    int rc = SKALD_ENOMEM;
    char err[512];
    snprintf(err, sizeof err, "out of memory");
    if (docs && scores) {
        /* A record without an abstract is known to the reranker by its name. */
        for (size_t i = 0; i < n; i++) {
            retrieval_record_complete(&hits[i].rec);
            docs[i] = hits[i].rec.abstract[0] ? hits[i].rec.abstract : viking_uri_name(hits[i].rec.uri);
        }
        struct skald_call_ctx ctx;
        retrieval_sub_ctx(env->ctx, RERANK_TIME_SHARE, &ctx, err, sizeof err);
        rc = plugin_instance_ops(inst, rerank)->score(inst->handle, &ctx, query, docs, n, scores);
    }
    if (rc == SKALD_OK) {
        retrieval_score_normalize(scores, n);
        for (size_t i = 0; i < n; i++) {
            hits[i].score = retrieval_score_blend(scores[i], hits[i].vector_score);
            hits[i].reranked = 1;
        }
    } else {
        snprintf(why, why_cap, "%s", err[0] ? err : "failed");
        rerank_fallback(inst, n, rc, why);
    }
    free(docs);
    free(scores);
    return rc == SKALD_OK ? 0 : -1;
}
