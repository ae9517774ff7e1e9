/*
 * Telling a slow session lane from a stalled or a stuck one (session-liveness.md sections 4, 8
 * and 12): a pure function over what the watchdog sees of a lane, and the doubling back-off of
 * repeated log lines. No locks, no clocks: unit-tested on its own.
 */
#ifndef SKALD_SESSION_LIVENESS_H
#define SKALD_SESSION_LIVENESS_H

#include <stddef.h>
#include <stdint.h>

/* What a lane's active work is doing. */
enum lane_work {
    LANE_WORK_NONE = 0,
    LANE_WORK_STORAGE_IO,      /* reading or writing the store */
    LANE_WORK_VLM_CALL,        /* a model call */
    LANE_WORK_EMBED_CALL,      /* an embedding call */
    LANE_WORK_DEPENDENCY_WAIT  /* waiting on a lock or for a model slot */
};
const char *liveness_work_name(enum lane_work w);

enum liveness_class { LIVENESS_IDLE = 0, LIVENESS_LONG_RUNNING, LIVENESS_STALLED, LIVENESS_STUCK };
const char *liveness_class_name(enum liveness_class c);

enum liveness_action {
    LIVENESS_OBSERVE = 0, /* log and count only */
    LIVENESS_RELEASE,     /* stuck: release the lane at once (generation + 1, pump its queue) */
    LIVENESS_ABORT        /* stalled past abort: cancel the call, retry the job, release */
};

struct liveness_view {
    int has_run;             /* a phase-2 run holds the lane */
    int owner_live;          /* its owner thread still exists */
    enum lane_work kind;     /* what the run is doing */
    int64_t age_ms;          /* since the lane's last activity */
    int64_t progress_age_ms; /* since the run's last progress */
    size_t queue_depth;      /* jobs waiting on this lane */
    int capacity_free;       /* a model slot is free, so queued work could start */
    int writer_busy;         /* a phase-1 or message write holds the lane's write lock */
    int64_t writer_age_ms;   /* for how long */
};

struct liveness_verdict {
    enum liveness_class cls;
    enum liveness_action action;
    const char *reason;      /* static */
};

/* First matching row wins (adapted from the reference table, row numbers there):
 *  - run whose owner is gone → stuck, release (8: nothing owns the lane; certain, so no warn gate)
 *  - idle lane with queued jobs, a slot free, quiet past warn → stuck, release (1)
 *  - run past abort without progress → stalled, abort (4 for a model call: owned model calls stay
 *    long_running until abort, the provider deadline being the primary bound; 5 otherwise)
 *  - run past warn without progress → long_running for a model call (4), stalled otherwise (5)
 *  - run busy past warn → long_running (6)
 *  - write lock held past warn → stalled, observe only (storage cannot be cancelled)
 *  - queued jobs waiting for a model slot past warn → long_running
 *  - else idle (nothing to report). */
struct liveness_verdict liveness_classify(const struct liveness_view *v, int64_t warn_ms,
                                          int64_t abort_ms);

/* Whether a repeated diagnostic at age_ms should be logged: the first once age >= warn, the next
 * once age >= max(previous + warn, 2 x previous). *last is the age last logged (0: none); an age
 * below it means the lane moved on, which starts over. */
int liveness_should_log(int64_t age_ms, int64_t warn_ms, int64_t *last);

#endif
