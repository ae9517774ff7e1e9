#include "remote_call.h"

#include <time.h>

void remote_call_begin(struct remote_call *call, const struct skald_call_ctx *ctx,
                       int64_t (*now_ns)(void), int64_t timeout_ms)
{
    call->ctx = ctx;
    call->now_ns = now_ns;
    call->started_ns = now_ns();
    call->budget_end_ns = call->started_ns + timeout_ms * 1000000;
    call->end_ns = call->budget_end_ns;
    if (ctx->deadline_ns > 0 && ctx->deadline_ns < call->end_ns)
        call->end_ns = ctx->deadline_ns;
}

int remote_call_check(const struct remote_call *call)
{
    int64_t now = call->now_ns();
    const struct skald_call_ctx *ctx = call->ctx;
    if (ctx->cancel && atomic_load(ctx->cancel))
        return SKALD_ECANCELLED;
    if (ctx->deadline_ns > 0 && now >= ctx->deadline_ns)
        return SKALD_ETIMEDOUT;
    if (now >= call->budget_end_ns)
        return REMOTE_CALL_BUDGET_SPENT;
    return SKALD_OK;
}

int64_t remote_call_left_ms(const struct remote_call *call)
{
    int64_t left = (call->end_ns - call->now_ns()) / 1000000;
    return left > 0 ? left : 0;
}

int remote_call_sleep_until(const struct remote_call *call, int64_t until_ns)
{
    for (;;) {
        int rc = remote_call_check(call);
        int64_t now = call->now_ns();
        if (rc != SKALD_OK || now >= until_ns)
            return rc;
        int64_t slice = until_ns - now;
        if (slice > REMOTE_CALL_SLICE_MS * 1000000LL)
            slice = REMOTE_CALL_SLICE_MS * 1000000LL;
        struct timespec ts = {(time_t)(slice / 1000000000), (long)(slice % 1000000000)};
        nanosleep(&ts, NULL);
    }
}
