#include "session/session_liveness.h"

const char *liveness_work_name(enum lane_work w)
{
    switch (w) {
    case LANE_WORK_STORAGE_IO: return "storage_io";
    case LANE_WORK_VLM_CALL: return "vlm_call";
    case LANE_WORK_EMBED_CALL: return "embed_call";
    case LANE_WORK_DEPENDENCY_WAIT: return "dependency_wait";
    default: return "none";
    }
}

const char *liveness_class_name(enum liveness_class c)
{
    switch (c) {
    case LIVENESS_LONG_RUNNING: return "long_running";
    case LIVENESS_STALLED: return "stalled";
    case LIVENESS_STUCK: return "stuck";
    default: return "idle";
    }
}

static struct liveness_verdict verdict(enum liveness_class c, enum liveness_action a,
                                       const char *reason)
{
    return (struct liveness_verdict){c, a, reason};
}

struct liveness_verdict liveness_classify(const struct liveness_view *v, int64_t warn_ms,
                                          int64_t abort_ms)
{
    if (v->has_run && !v->owner_live)
        return verdict(LIVENESS_STUCK, LIVENESS_RELEASE, "active_work_without_live_owner");
    if (!v->has_run && v->queue_depth > 0 && v->capacity_free && !v->writer_busy &&
        v->age_ms > warn_ms)
        return verdict(LIVENESS_STUCK, LIVENESS_RELEASE, "queued_work_without_active_run");
    if (v->has_run) {
        const char *busy = v->queue_depth > 0 ? "queued_behind_active_work" : "active_work";
        if (v->progress_age_ms >= abort_ms)
            return verdict(LIVENESS_STALLED, LIVENESS_ABORT, "active_work_without_progress");
        if (v->progress_age_ms > warn_ms)
            return v->kind == LANE_WORK_VLM_CALL
                       ? verdict(LIVENESS_LONG_RUNNING, LIVENESS_OBSERVE,
                                 "active_model_call_without_progress")
                       : verdict(LIVENESS_STALLED, LIVENESS_OBSERVE, "active_work_without_progress");
        if (v->age_ms > warn_ms)
            return verdict(LIVENESS_LONG_RUNNING, LIVENESS_OBSERVE, busy);
        return verdict(LIVENESS_IDLE, LIVENESS_OBSERVE, busy);
    }
    if (v->writer_busy && v->writer_age_ms > warn_ms)
        return verdict(LIVENESS_STALLED, LIVENESS_OBSERVE, "storage_io_without_progress");
    if (v->queue_depth > 0 && !v->capacity_free && v->age_ms > warn_ms)
        return verdict(LIVENESS_LONG_RUNNING, LIVENESS_OBSERVE, "queued_behind_shared_capacity");
    return verdict(LIVENESS_IDLE, LIVENESS_OBSERVE, "idle");
}

int liveness_should_log(int64_t age_ms, int64_t warn_ms, int64_t *last)
{
    if (age_ms < *last)
        *last = 0;
    if (age_ms < warn_ms)
        return 0;
    int64_t next = *last == 0 ? warn_ms : (*last + warn_ms > 2 * *last ? *last + warn_ms : 2 * *last);
    if (age_ms < next)
        return 0;
    *last = age_ms;
    return 1;
}
