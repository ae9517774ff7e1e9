/*
 * Commit phase 2 (OpenViking section 6), one archive at a time on its session's lane: the
 * archive's L0/L1 from the VLM, memory extraction into viking://user/{uid}/memories/... with
 * dedupe against what is there, the memory diff, the session's meta, `.done` last and the task
 * completed. Idempotent: a replay after a crash finds `.done` (nothing to do) or redoes the work,
 * and the dedupe skips memories already written. Results are applied only while the run still
 * holds its lane (the lane's generation is unchanged).
 */
#ifndef SKALD_SESSION_PHASE2_H
#define SKALD_SESSION_PHASE2_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/app.h"
#include "session/session_lanes.h"
#include "store/store.h"

enum phase2_result {
    PHASE2_DONE,      /* .done is there: ack */
    PHASE2_DROPPED,   /* nothing to do (a duplicate, nothing archived, the lane was lost): ack */
    PHASE2_RETRY,     /* failed for now: nack with *retry_delay_ms */
    PHASE2_FAILED,    /* failed for good, .failed.json written and the task failed: ack */
    PHASE2_CANCELLED, /* the task was cancelled: ack */
    PHASE2_SHUTDOWN   /* cut off by shutdown: the lease goes back to pending with the others */
};

struct phase2_env {
    struct app *app;
    struct generation *gen; /* pinned by the runner */
    struct store *store;
    struct session_lanes *lanes;
    struct session_run *run;
    const struct session_job *job; /* a copy: the run's item may go if its lease is lost */
    const atomic_int *stopping;
};

enum phase2_result session_phase2_run(const struct phase2_env *env, int64_t *retry_delay_ms,
                                      char *err, size_t err_cap);

/* The terminal state of a cancelled commit: .failed.json (stage "cancelled"), the marker gone,
 * the task cancelled if it was not. */
int session_phase2_cancelled(struct store *st, const struct session_job *j, char *err,
                             size_t err_cap);

/* Delay before attempt `attempts` + 1: 1 s, 2 s, 4 s ... up to a minute. */
int64_t session_phase2_retry_delay_ms(uint32_t attempts);

/* Failed attempts of j so far, kept in its archive's .pending.json marker (durable, and not
 * inflated when a job is only handed back because its lane is full): adds `add` first. Returns
 * the count, 0 when the marker is gone, -1 on a store error (err set). */
int session_phase2_failures(struct store *st, const struct session_job *j, int add, char *err,
                            size_t err_cap);

#endif
