/* Rerank contract: one finite score per document, the matching document first, an empty call
 * allowed, deadline and cancel honoured. */
#include <stdio.h>
#include <math.h>

#include "check/check_session.h"
#include "core/clock.h"

static const char *const docs[] = {
    "The weather in the mountains was cold and windy all week.",
    "Sourdough bread needs flour, water, salt and a lively starter.",
    "A recipe for banana bread with walnuts and brown sugar.",
};

/* One of eight threads: 20 calls, the matching document always first. */
static int check_rerank_thread(void *arg, int index)
{
    struct plugin_instance *inst = arg;
    const struct skald_rerank_ops *ops = plugin_instance_ops(inst, rerank);
    atomic_int never = 0;
    char err[256];
    (void)index;
    for (int k = 0; k < 20; k++) {
        float sc[3];
        struct skald_call_ctx ctx = {sizeof ctx, 0, 0, &never, err, sizeof err};
        if (ops->score(inst->handle, &ctx, "banana bread recipe", docs, 3, sc) != SKALD_OK ||
            !(sc[2] > sc[0] && sc[2] > sc[1]))
            return 1;
    }
    return 0;
}

void check_rerank(struct check_session *s, struct plugin_instance *inst)
{
    struct check_report *r = &s->report;
    const struct skald_rerank_ops *ops = plugin_instance_ops(inst, rerank);
    float scores[3] = {NAN, NAN, NAN};
    struct skald_call_ctx ctx = check_ctx(s, CHECK_CTX_LIVE);
    int rc = ops->score(inst->handle, &ctx, "banana bread recipe", docs, 3, scores);
    if (check_result(r, rc == SKALD_OK, "score three documents", "%s: %s", check_status_name(rc),
                     s->err)) {
        check_result(r, isfinite(scores[0]) && isfinite(scores[1]) && isfinite(scores[2]),
                     "every document gets a finite score", "scores %g %g %g", scores[0],
                     scores[1], scores[2]);
        check_result(r, scores[2] > scores[0] && scores[2] > scores[1],
                     "the matching document scores highest", "scores %g %g %g", scores[0],
                     scores[1], scores[2]);
    }
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->score(inst->handle, &ctx, "anything", docs, 0, scores);
    check_result(r, rc == SKALD_OK, "zero documents is fine", "%s: %s", check_status_name(rc),
                 s->err);
    int failed = check_threads(8, check_rerank_thread, inst);
    check_result(r, failed == 0, "eight threads scoring at once agree", "%d of 8 threads failed",
                 failed);
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    ctx.deadline_ns = clock_monotonic_ns() + 50 * 1000000LL;
    rc = ops->score(inst->handle, &ctx, "banana", docs, 3, scores);
    int64_t late_ms = (clock_monotonic_ns() - ctx.deadline_ns) / 1000000;
    check_result(r, (rc == SKALD_OK || rc == SKALD_ETIMEDOUT) && late_ms <= 100,
                 "a call returns within 100 ms of its deadline", "%s, %lld ms after the deadline",
                 check_status_name(rc), (long long)late_ms);

    ctx = check_ctx(s, CHECK_CTX_EXPIRED);
    rc = ops->score(inst->handle, &ctx, "banana", docs, 3, scores);
    check_result(r, rc == SKALD_ETIMEDOUT, "expired deadline gives SKALD_ETIMEDOUT", "got %s",
                 check_status_name(rc));
    check_result(r, rc == SKALD_OK || s->err[0] != '\0', "an error comes with a message",
                 "empty error message");
    ctx = check_ctx(s, CHECK_CTX_CANCELLED);
    rc = ops->score(inst->handle, &ctx, "banana", docs, 3, scores);
    check_result(r, rc == SKALD_ECANCELLED, "cancelled call gives SKALD_ECANCELLED", "got %s",
                 check_status_name(rc));
}
