/* Embedding contract: sizes, finite and repeatable vectors, batches up to max_batch, deadline and
 * cancel honoured with a message. */
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/check_session.h"
#include "core/clock.h"

static int check_vectors_finite(const float *v, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

struct check_embed_shared {
    struct plugin_instance *inst;
    const float *expected; /* the vector of CHECK_EMBED_TEXT */
    uint32_t dims;
};

#define CHECK_EMBED_TEXT "check text number 0 about skald"

/* One of eight threads: 20 calls, each must give the same vector as the single-threaded one. */
static int check_embed_thread(void *arg, int index)
{
    struct check_embed_shared *sh = arg;
    const struct skald_embedding_ops *ops = plugin_instance_ops(sh->inst, embedding);
    atomic_int never = 0;
    char err[256];
    float *v = calloc(sh->dims, sizeof *v);
    const char *text = CHECK_EMBED_TEXT;
    int bad = v == NULL;
    (void)index;
    for (int k = 0; k < 20 && !bad; k++) {
        struct skald_call_ctx ctx = {sizeof ctx, 0, 0, &never, err, sizeof err};
        if (ops->embed(sh->inst->handle, &ctx, &text, 1, v) != SKALD_OK)
            bad = 1;
        for (uint32_t d = 0; d < sh->dims && !bad; d++)
            if (fabsf(v[d] - sh->expected[d]) > 1e-3f)
                bad = 1;
    }
    free(v);
    return bad;
}

void check_embedding(struct check_session *s, struct plugin_instance *inst)
{
    struct check_report *r = &s->report;
    const struct skald_embedding_ops *ops = plugin_instance_ops(inst, embedding);
    uint32_t dims = ops->dimensions(inst->handle);
    uint32_t batch = ops->max_batch(inst->handle);
    check_result(r, dims > 0, "dimensions > 0", "dimensions() returned 0");
    check_result(r, batch > 0, "max_batch > 0", "max_batch() returned 0");
    if (dims == 0 || batch == 0)
        return;
    check_result(r, ops->dimensions(inst->handle) == dims, "dimensions constant",
                 "dimensions() changed between calls");

    size_t n = batch < 64 ? batch : 64;
    float *a = calloc(n * dims, sizeof *a);
    float *b = calloc(n * dims, sizeof *b);
    const char **texts = calloc(n, sizeof *texts);
    char(*bufs)[48] = calloc(n, sizeof *bufs);
    if (!a || !b || !texts || !bufs) {
        check_result(r, 0, "embedding buffers", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(bufs[i], sizeof bufs[i], "check text number %zu about skald", i);
        texts[i] = bufs[i];
    }
    struct skald_call_ctx ctx = check_ctx(s, CHECK_CTX_LIVE);
    int rc = ops->embed(inst->handle, &ctx, texts, 1, a);
    if (!check_result(r, rc == SKALD_OK, "embed one text", "%s: %s", check_status_name(rc), s->err))
        goto out;
    check_result(r, check_vectors_finite(a, dims), "vector values are finite", "NaN or inf found");
    double norm = 0;
    for (uint32_t d = 0; d < dims; d++)
        norm += (double)a[d] * a[d];
    check_result(r, norm > 0, "vector of a text is not all zero", "all %u values are 0", dims);

    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->embed(inst->handle, &ctx, texts, n, b);
    if (check_result(r, rc == SKALD_OK, "embed a batch", "%zu texts: %s: %s", n,
                     check_status_name(rc), s->err)) {
        check_result(r, check_vectors_finite(b, n * dims), "batch values are finite",
                     "NaN or inf found");
        /* Providers differ in the last bits between calls; compare with a tolerance. */
        double diff = 0;
        for (uint32_t d = 0; d < dims; d++)
            diff += fabs((double)a[d] - b[d]);
        check_result(r, diff < 1e-3 * dims, "same text, same vector alone or in a batch",
                     "sum of differences %g", diff);
    }

    struct check_embed_shared shared = {inst, a, dims};
    int failed = check_threads(8, check_embed_thread, &shared);
    check_result(r, failed == 0, "eight threads embedding at once get the same vectors",
                 "%d of 8 threads failed", failed);

    ctx = check_ctx(s, CHECK_CTX_LIVE);
    ctx.deadline_ns = clock_monotonic_ns() + 50 * 1000000LL;
    rc = ops->embed(inst->handle, &ctx, texts, 1, b);
    int64_t late_ms = (clock_monotonic_ns() - ctx.deadline_ns) / 1000000;
    check_result(r, (rc == SKALD_OK || rc == SKALD_ETIMEDOUT) && late_ms <= 100,
                 "a call returns within 100 ms of its deadline", "%s, %lld ms after the deadline",
                 check_status_name(rc), (long long)late_ms);

    ctx = check_ctx(s, CHECK_CTX_EXPIRED);
    rc = ops->embed(inst->handle, &ctx, texts, 1, a);
    check_result(r, rc == SKALD_ETIMEDOUT, "expired deadline gives SKALD_ETIMEDOUT", "got %s",
                 check_status_name(rc));
    check_result(r, rc == SKALD_OK || s->err[0] != '\0', "an error comes with a message",
                 "empty error message");
    ctx = check_ctx(s, CHECK_CTX_CANCELLED);
    rc = ops->embed(inst->handle, &ctx, texts, 1, a);
    check_result(r, rc == SKALD_ECANCELLED, "cancelled call gives SKALD_ECANCELLED", "got %s",
                 check_status_name(rc));
out:
    free(a);
    free(b);
    free(texts);
    free(bufs);
}
