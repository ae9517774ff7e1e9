/*
 * Session lanes (session-liveness.md section 12): one lane per session serialises its work. A
 * write lock orders message writes, commit phase 1 and the final step of phase 2 (short storage
 * work); a run slot lets one phase 2 at a time hold the lane, in lease order, while a global
 * count of model slots caps the model-bound work of all sessions. Other sessions never wait on a
 * busy lane. Each lane keeps a generation: a release (normal or forced) bumps it, and a run whose
 * generation is no longer the lane's has its results dropped.
 *
 * The registry is thread-safe; its lock is never held across a store, queue or model call.
 */
#ifndef SKALD_SESSION_LANES_H
#define SKALD_SESSION_LANES_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "session/session_job.h"
#include "session/session_liveness.h"

/* A leased phase-2 job this process holds. */
struct session_item {
    int64_t id;
    char owner[128];        /* unique per lease, so a stale ack or nack is refused */
    uint32_t attempts;      /* leases so far, this one included */
    int64_t lease_until_ms; /* wall clock */
    uint64_t seq;           /* lease order */
    struct session_job job;
    struct session_item *next;
};

struct session_lane;

/* A phase 2 holding a lane. The runner owns it and frees it with session_run_free; the fields
 * below `cancel` are guarded by the registry lock. */
struct session_run {
    struct session_lane *lane;
    struct session_item *item; /* NULL once the item was taken over (lease lost, lane released) */
    uint64_t seq;
    uint64_t generation;       /* the lane's when claimed */
    int runner;                /* runner slot; -1 for none */
    pid_t tid;                 /* owner thread */
    atomic_int cancel;         /* the cancel flag of this run's backend calls */
    int released;              /* the lane was released under the run: its results are dropped */
    int abort_requested;
    int64_t abort_ns;
    int committing;            /* in its final store step: not to be released */
    int slot_held;             /* counts against the model slots */
    enum lane_work kind;
    int64_t started_ns, progress_ns;
    char progress_reason[64];
};

struct session_lanes;

struct session_lanes *session_lanes_new(unsigned slots);
/* Frees the registry and what it holds (at shutdown, once no thread uses it). */
void session_lanes_free(struct session_lanes *l);
/* Wakes every waiting runner for good. */
void session_lanes_stop(struct session_lanes *l);
/* Shutdown past its deadline: raises the cancel flag of every run. */
void session_lanes_cancel_all(struct session_lanes *l);

/* A reference to the lane of a session (created when missing); NULL when out of memory. */
struct session_lane *session_lanes_get(struct session_lanes *l, const char *account,
                                       const char *session_uri);
void session_lanes_put(struct session_lanes *l, struct session_lane *lane);

/* The lane's write lock, for short storage work; the wait counts as the lane's activity. */
void session_lane_write_begin(struct session_lanes *l, struct session_lane *lane);
void session_lane_write_end(struct session_lanes *l, struct session_lane *lane);

/* Jobs one lane holds queued behind its run: more wait in the queue, so one session with many
 * commits behind a slow phase 2 never fills what this process holds and starves the others. */
#define SESSION_LANE_QUEUE_MAX 2

/* Queues a leased item on its session's lane (taking it over). 1 when the lane already holds
 * SESSION_LANE_QUEUE_MAX queued jobs, -1 when out of memory (the caller keeps the item). */
int session_lanes_push(struct session_lanes *l, struct session_item *item);
/* Items held (queued or running). */
size_t session_lanes_held(struct session_lanes *l);

/* For a runner: waits up to wait_ns for a lane with queued work and a free model slot, and
 * claims it. NULL when none (or stopping). */
struct session_run *session_lanes_claim(struct session_lanes *l, int runner, pid_t tid,
                                        int64_t wait_ns);
/* The run's semantic progress (never a bare lease renewal). */
void session_lanes_progress(struct session_lanes *l, struct session_run *run, enum lane_work kind,
                            const char *reason);
/* Whether the run still holds its lane (its generation is the lane's). */
int session_lanes_current(struct session_lanes *l, struct session_run *run);
/* Enters the final store step: 1 when still current (the run is then not released until
 * session_lanes_finish), 0 when the lane was released under it. */
int session_lanes_commit_begin(struct session_lanes *l, struct session_run *run);
/* The runner is done: returns 1 when the run still held the lane (released now; the caller
 * settles run->item), 0 when someone else released it and settled the item. */
int session_lanes_finish(struct session_lanes *l, struct session_run *run);
void session_run_free(struct session_run *run);

/* Lease renewals: copies of held items whose lease ends before now + margin. */
struct session_item_ref {
    uint64_t seq;
    int64_t id;
    char owner[128];
};
size_t session_lanes_due(struct session_lanes *l, int64_t now_ms, int64_t margin_ms,
                         struct session_item_ref *out, size_t cap);
/* A renewal's outcome: the new lease end, or lost (the item is dropped: a queued one is freed,
 * a running one is no longer acked by its run). */
void session_lanes_renewed(struct session_lanes *l, uint64_t seq, int64_t until_ms, int lost);

/* One watchdog tick: classifies every busy lane, logs with back-off, counts, and acts in memory
 * (releases, cancels). Items taken from released runs come back for a retry, and runner slots
 * whose thread is stuck for good come back to be replaced. */
struct lanes_tick {
    struct session_item *retry[64];
    char why[64][128];
    int failed[64]; /* the release counts as a failed attempt (its call ignored the cancel) */
    size_t n_retry;
    int abandoned[64];
    size_t n_abandoned;
};
void session_lanes_examine(struct session_lanes *l, const struct session_config *cfg,
                           int64_t now_ns, struct lanes_tick *out);

/* Task cancel of a call that ignored its flag: releases the lane of run `seq` if it still holds
 * it; *item gets its item to settle, *abandoned its runner slot to replace (-1: none). Returns 1
 * when released. */
int session_lanes_force_release(struct session_lanes *l, uint64_t seq, const char *why,
                                struct session_item **item, int *abandoned);

/* Debug: makes the lane look held by the thread tid, which no longer exists (a dead owner).
 * -1 when the lane is busy or out of memory. */
int session_lanes_orphan(struct session_lanes *l, const char *account, const char *session_uri,
                         pid_t tid);

/* Model slots for work outside the lanes (a synchronous extract): waits up to wait_ns. */
int session_lanes_slot_acquire(struct session_lanes *l, int64_t wait_ns);
void session_lanes_slot_release(struct session_lanes *l);

/* GET /api/v1/observer/lock: the busy lanes (state, age, work kind, last progress, owner,
 * queue depth, generation, classification), the slots and the counters. */
json_t *session_lanes_snapshot(struct session_lanes *l, const struct session_config *cfg,
                               int64_t now_ns);
/* For GET /metrics: the lanes by state (idle; busy and not flagged; or the watchdog's last
 * classification), the classification and recovery counters, the model slots. */
enum lanes_state {
    LANES_IDLE,
    LANES_BUSY,
    LANES_LONG_RUNNING,
    LANES_STALLED,
    LANES_STUCK,
    LANES_STATES
};
struct session_lanes_stats {
    uint64_t by_state[LANES_STATES];
    uint64_t long_running, stalled, stuck; /* classifications, every tick */
    uint64_t released;                     /* stuck lanes released (requested and done at once) */
    uint64_t aborted;                      /* stalled calls cancelled: abort recoveries requested */
    uint64_t abort_drained;                /* ... whose run then returned by itself */
    uint64_t abort_forced;                 /* ... whose lane was released past abort_settle_ms */
    unsigned slots_busy, slots_max;
};
void session_lanes_stats(struct session_lanes *l, struct session_lanes_stats *out);
const char *session_lanes_state_name(enum lanes_state s);

/* Lanes classified stuck or stalled on the last tick (for is_healthy). */
unsigned session_lanes_troubled(struct session_lanes *l);

#endif
