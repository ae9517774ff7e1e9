/* VLM contract: a completion arrives through the sink as non-empty text, a sink that stops the
 * output ends the call with SKALD_ECANCELLED, deadline and cancel honoured. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check_session.h"
#include "core/clock.h"

struct check_vlm_sink {
    size_t bytes;
    size_t calls;
    int stop; /* return non-zero on the first piece */
};

static int check_vlm_collect(void *arg, const char *text, size_t len)
{
    struct check_vlm_sink *k = arg;
    (void)text;
    k->bytes += len;
    k->calls++;
    return k->stop;
}

static const struct skald_vlm_message check_vlm_msg = {
    "user",
    "Write a one-sentence abstract of this document.\n<document>\n# Tides\n\nTides are the rise "
    "and fall of sea levels caused by the Moon and the Sun. They happen twice a day.\n"
    "</document>",
    NULL, 0};

/* One of eight threads: 5 completions, each non-empty. */
static int check_vlm_thread(void *arg, int index)
{
    struct plugin_instance *inst = arg;
    const struct skald_vlm_ops *ops = plugin_instance_ops(inst, vlm);
    struct skald_vlm_request req = {sizeof req, 64, -1.0, "You summarise documents.",
                                    &check_vlm_msg, 1};
    atomic_int never = 0;
    char err[256];
    (void)index;
    for (int k = 0; k < 5; k++) {
        struct check_vlm_sink sink = {0, 0, 0};
        struct skald_call_ctx ctx = {sizeof ctx, 0, 0, &never, err, sizeof err};
        if (ops->complete(inst->handle, &ctx, &req, check_vlm_collect, &sink) != SKALD_OK ||
            sink.bytes == 0)
            return 1;
    }
    return 0;
}

void check_vlm(struct check_session *s, struct plugin_instance *inst)
{
    struct check_report *r = &s->report;
    const struct skald_vlm_ops *ops = plugin_instance_ops(inst, vlm);
    struct skald_vlm_request req = {sizeof req, 64, -1.0, "You summarise documents.",
                                    &check_vlm_msg, 1};

    struct check_vlm_sink sink = {0, 0, 0};
    struct skald_call_ctx ctx = check_ctx(s, CHECK_CTX_LIVE);
    int rc = ops->complete(inst->handle, &ctx, &req, check_vlm_collect, &sink);
    if (check_result(r, rc == SKALD_OK, "complete a request", "%s: %s", check_status_name(rc),
                     s->err))
        check_result(r, sink.bytes > 0, "the answer is not empty", "%zu bytes in %zu pieces",
                     sink.bytes, sink.calls);

    struct check_vlm_sink stopper = {0, 0, 1};
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->complete(inst->handle, &ctx, &req, check_vlm_collect, &stopper);
    check_result(r, rc == SKALD_ECANCELLED && stopper.calls == 1,
                 "a sink that stops ends the call with SKALD_ECANCELLED",
                 "got %s after %zu pieces", check_status_name(rc), stopper.calls);

    int failed = check_threads(8, check_vlm_thread, inst);
    check_result(r, failed == 0, "eight threads completing at once", "%d of 8 threads failed",
                 failed);
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    ctx.deadline_ns = clock_monotonic_ns() + 50 * 1000000LL;
    rc = ops->complete(inst->handle, &ctx, &req, check_vlm_collect, &sink);
    int64_t late_ms = (clock_monotonic_ns() - ctx.deadline_ns) / 1000000;
    check_result(r, (rc == SKALD_OK || rc == SKALD_ETIMEDOUT) && late_ms <= 100,
                 "a call returns within 100 ms of its deadline", "%s, %lld ms after the deadline",
                 check_status_name(rc), (long long)late_ms);

    ctx = check_ctx(s, CHECK_CTX_EXPIRED);
    sink.calls = 0;
    rc = ops->complete(inst->handle, &ctx, &req, check_vlm_collect, &sink);
    check_result(r, rc == SKALD_ETIMEDOUT, "expired deadline gives SKALD_ETIMEDOUT", "got %s",
                 check_status_name(rc));
    check_result(r, rc == SKALD_OK || s->err[0] != '\0', "an error comes with a message",
                 "empty error message");
    check_result(r, sink.calls == 0, "no output after an error", "%zu pieces given", sink.calls);
    ctx = check_ctx(s, CHECK_CTX_CANCELLED);
    rc = ops->complete(inst->handle, &ctx, &req, check_vlm_collect, &sink);
    check_result(r, rc == SKALD_ECANCELLED, "cancelled call gives SKALD_ECANCELLED", "got %s",
                 check_status_name(rc));
}
