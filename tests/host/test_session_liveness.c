/* Session lane liveness: the classification table, the log back-off, and the lane registry the
 * watchdog acts on (claim order, generations, stuck release of a dead owner, abort of a silent
 * call, late results dropped). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "session/session_lanes.h"
#include "session/session_liveness.h"

#define WARN 1000
#define ABORT 3000

static struct liveness_verdict classify(struct liveness_view v)
{
    return liveness_classify(&v, WARN, ABORT);
}

static void table_rows(void **state)
{
    (void)state;
    struct liveness_verdict d;
    /* A run whose owner is gone: stuck at once, whatever its age. */
    d = classify((struct liveness_view){.has_run = 1, .owner_live = 0, .kind = LANE_WORK_VLM_CALL});
    assert_int_equal(d.cls, LIVENESS_STUCK);
    assert_int_equal(d.action, LIVENESS_RELEASE);
    /* Queued work, a free slot, nobody running it for longer than warn: stuck. */
    d = classify((struct liveness_view){.queue_depth = 2, .capacity_free = 1, .age_ms = WARN + 1});
    assert_int_equal(d.cls, LIVENESS_STUCK);
    assert_string_equal(d.reason, "queued_work_without_active_run");
    /* ... but waiting for a slot that is busy is only long_running. */
    d = classify((struct liveness_view){.queue_depth = 2, .capacity_free = 0, .age_ms = WARN + 1});
    assert_int_equal(d.cls, LIVENESS_LONG_RUNNING);
    /* A silent model call stays long_running until the abort threshold, then is aborted. */
    struct liveness_view call = {.has_run = 1, .owner_live = 1, .kind = LANE_WORK_VLM_CALL,
                                 .age_ms = WARN + 5, .progress_age_ms = WARN + 5};
    d = classify(call);
    assert_int_equal(d.cls, LIVENESS_LONG_RUNNING);
    assert_string_equal(d.reason, "active_model_call_without_progress");
    call.progress_age_ms = call.age_ms = ABORT;
    d = classify(call);
    assert_int_equal(d.cls, LIVENESS_STALLED);
    assert_int_equal(d.action, LIVENESS_ABORT);
    /* Other work silent past warn is stalled at once, aborted past abort. */
    struct liveness_view io = {.has_run = 1, .owner_live = 1, .kind = LANE_WORK_STORAGE_IO,
                               .age_ms = WARN + 5, .progress_age_ms = WARN + 5};
    d = classify(io);
    assert_int_equal(d.cls, LIVENESS_STALLED);
    assert_int_equal(d.action, LIVENESS_OBSERVE);
    /* Busy with progress: long_running past warn, nothing before. */
    d = classify((struct liveness_view){.has_run = 1, .owner_live = 1, .kind = LANE_WORK_VLM_CALL,
                                        .age_ms = WARN + 5, .progress_age_ms = 10});
    assert_int_equal(d.cls, LIVENESS_LONG_RUNNING);
    d = classify((struct liveness_view){.has_run = 1, .owner_live = 1, .age_ms = 10});
    assert_int_equal(d.cls, LIVENESS_IDLE);
    /* A write lock held past warn: stalled, but storage is never cut off. */
    d = classify((struct liveness_view){.writer_busy = 1, .writer_age_ms = WARN + 1});
    assert_int_equal(d.cls, LIVENESS_STALLED);
    assert_int_equal(d.action, LIVENESS_OBSERVE);
    d = classify((struct liveness_view){0});
    assert_int_equal(d.cls, LIVENESS_IDLE);
}

static void log_back_off_doubles(void **state)
{
    (void)state;
    int64_t last = 0;
    int64_t logged[8];
    size_t n = 0;
    /* A 250 ms tick from 0 to 10 s: lines at 1 s, 2 s, 4 s, 8 s (max(prev + warn, 2 x prev)). */
    for (int64_t age = 0; age <= 10000; age += 250)
        if (liveness_should_log(age, WARN, &last))
            logged[n++] = age;
    assert_int_equal(n, 4);
    assert_int_equal(logged[0], 1000);
    assert_int_equal(logged[1], 2000);
    assert_int_equal(logged[2], 4000);
    assert_int_equal(logged[3], 8000);
    /* Activity (the age goes back down) starts over. */
    assert_false(liveness_should_log(500, WARN, &last));
    assert_true(liveness_should_log(1200, WARN, &last));
}

static struct session_item *item(const char *account, const char *session, unsigned archive,
                                 const char *task)
{
    struct session_item *it = calloc(1, sizeof *it);
    assert_non_null(it);
    snprintf(it->job.account, sizeof it->job.account, "%s", account);
    snprintf(it->job.archive_uri, sizeof it->job.archive_uri,
             "viking://user/u/sessions/%s/history/archive_%03u", session, archive);
    snprintf(it->job.task_id, sizeof it->job.task_id, "%s", task);
    snprintf(it->owner, sizeof it->owner, "owner-%s-%u", session, archive);
    it->lease_until_ms = clock_wall_ms() + 60000;
    return it;
}

static void lanes_serialise_a_session_not_others(void **state)
{
    (void)state;
    struct session_lanes *l = session_lanes_new(4);
    assert_int_equal(session_lanes_push(l, item("a", "s1", 1, "t1")), 0);
    assert_int_equal(session_lanes_push(l, item("a", "s1", 2, "t2")), 0);
    assert_int_equal(session_lanes_push(l, item("a", "s2", 1, "t3")), 0);
    assert_int_equal(session_lanes_held(l), 3);
    pid_t me = gettid();
    struct session_run *r1 = session_lanes_claim(l, 0, me, 0);
    struct session_run *r2 = session_lanes_claim(l, 1, me, 0);
    assert_non_null(r1);
    assert_non_null(r2);
    /* Lease order: s1's first archive, then s2 (s1's second waits for its lane). */
    assert_string_equal(r1->item->job.task_id, "t1");
    assert_string_equal(r2->item->job.task_id, "t3");
    assert_null(session_lanes_claim(l, 2, me, 0));
    assert_true(session_lanes_current(l, r1));
    assert_int_equal(session_lanes_finish(l, r1), 1);
    session_run_free(r1);
    struct session_run *r3 = session_lanes_claim(l, 2, me, 0);
    assert_non_null(r3);
    assert_string_equal(r3->item->job.task_id, "t2");
    assert_int_equal(r3->generation, 1); /* the first run's release bumped it */
    assert_int_equal(session_lanes_finish(l, r2), 1);
    assert_int_equal(session_lanes_finish(l, r3), 1);
    session_run_free(r2);
    session_run_free(r3);
    assert_int_equal(session_lanes_held(l), 0);
    session_lanes_free(l);
}

static void a_lane_holds_few_queued_jobs(void **state)
{
    (void)state;
    struct session_lanes *l = session_lanes_new(1);
    for (unsigned i = 1; i <= SESSION_LANE_QUEUE_MAX; i++)
        assert_int_equal(session_lanes_push(l, item("a", "s1", i, "t")), 0);
    struct session_item *extra = item("a", "s1", 9, "t9");
    assert_int_equal(session_lanes_push(l, extra), 1); /* full: the caller hands it back */
    assert_int_equal(session_lanes_push(l, item("a", "s2", 1, "u1")), 0); /* others are not */
    assert_int_equal(session_lanes_held(l), SESSION_LANE_QUEUE_MAX + 1);
    free(extra);
    session_lanes_free(l);
}

static void model_slots_cap_all_sessions(void **state)
{
    (void)state;
    struct session_lanes *l = session_lanes_new(1);
    session_lanes_push(l, item("a", "s1", 1, "t1"));
    session_lanes_push(l, item("a", "s2", 1, "t2"));
    struct session_run *r1 = session_lanes_claim(l, 0, gettid(), 0);
    assert_non_null(r1);
    assert_null(session_lanes_claim(l, 1, gettid(), 0));
    assert_int_equal(session_lanes_slot_acquire(l, 0), -1);
    session_lanes_finish(l, r1);
    session_run_free(r1);
    assert_int_equal(session_lanes_slot_acquire(l, 0), 0);
    assert_null(session_lanes_claim(l, 1, gettid(), 0));
    session_lanes_slot_release(l);
    struct session_run *r2 = session_lanes_claim(l, 1, gettid(), 0);
    assert_non_null(r2);
    session_lanes_finish(l, r2);
    session_run_free(r2);
    session_lanes_free(l);
}

static void *exit_at_once(void *arg)
{
    *(pid_t *)arg = gettid();
    return NULL;
}

static const struct session_config cfg = {.watch_interval_ms = 100, .stuck_warn_ms = WARN,
                                          .stuck_abort_ms = ABORT, .abort_settle_ms = 0,
                                          .max_extractions = 2, .max_attempts = 5};

static void dead_owner_is_stuck_and_released(void **state)
{
    (void)state;
    struct session_lanes *l = session_lanes_new(2);
    session_lanes_push(l, item("a", "s1", 1, "t1"));
    pid_t gone = 0;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, exit_at_once, &gone), 0);
    pthread_join(t, NULL);
    /* A run claimed by a thread that no longer exists. */
    struct session_run *run = session_lanes_claim(l, 0, gone, 0);
    assert_non_null(run);
    struct lanes_tick *tick = calloc(1, sizeof *tick);
    session_lanes_examine(l, &cfg, clock_monotonic_ns(), tick);
    assert_int_equal(tick->n_retry, 1); /* its job goes back to the queue for a retry */
    assert_string_equal(tick->retry[0]->job.task_id, "t1");
    assert_int_equal(tick->failed[0], 0); /* not the job's fault */
    assert_int_equal(tick->n_abandoned, 1);
    assert_false(session_lanes_current(l, run));
    /* The dead run's results are dropped; the lane is free for the next job. */
    assert_int_equal(session_lanes_finish(l, run), 0);
    session_run_free(run);
    free(tick->retry[0]);
    json_t *snap = session_lanes_snapshot(l, &cfg, clock_monotonic_ns());
    json_t *counters = json_object_get(snap, "counters");
    assert_int_equal(json_integer_value(json_object_get(counters, "stuck")), 1);
    assert_int_equal(json_integer_value(json_object_get(counters, "released")), 1);
    assert_int_equal(json_integer_value(json_object_get(counters, "late_results_dropped")), 1);
    json_decref(snap);
    free(tick);
    session_lanes_free(l);
}

static void silent_call_past_abort_is_cancelled(void **state)
{
    (void)state;
    struct session_lanes *l = session_lanes_new(2);
    session_lanes_push(l, item("a", "s1", 1, "t1"));
    struct session_run *run = session_lanes_claim(l, 0, gettid(), 0);
    session_lanes_progress(l, run, LANE_WORK_VLM_CALL, "summary:started");
    struct lanes_tick *tick = calloc(1, sizeof *tick);
    int64_t now = clock_monotonic_ns();
    session_lanes_examine(l, &cfg, now + (int64_t)(WARN + 10) * 1000000, tick);
    assert_int_equal(atomic_load(&run->cancel), 0); /* long_running: left alone */
    session_lanes_examine(l, &cfg, now + (int64_t)(ABORT + 10) * 1000000, tick);
    assert_int_equal(atomic_load(&run->cancel), 1); /* cancelled through its call context */
    assert_int_equal(tick->n_retry, 0);
    assert_true(session_lanes_current(l, run)); /* its runner settles it when the call returns */
    /* A call that ignores the cancel: after the settle time (0 here) the lane is released. */
    session_lanes_examine(l, &cfg, now + (int64_t)(ABORT + 20) * 1000000, tick);
    assert_int_equal(tick->n_retry, 1);
    assert_int_equal(tick->failed[0], 1); /* counts as a failed attempt */
    assert_false(session_lanes_current(l, run));
    free(tick->retry[0]);
    assert_int_equal(session_lanes_finish(l, run), 0);
    session_run_free(run);
    free(tick);
    session_lanes_free(l);
}

static void task_cancel_and_lost_lease(void **state)
{
    (void)state;
    struct session_lanes *l = session_lanes_new(2);
    session_lanes_push(l, item("a", "s1", 1, "t1"));
    session_lanes_push(l, item("a", "s2", 1, "t2"));
    struct session_run *run = session_lanes_claim(l, 0, gettid(), 0);
    struct session_item *it = NULL;
    int abandoned = -2;
    assert_int_equal(session_lanes_force_release(l, run->seq + 100, "test", &it, &abandoned), 0);
    assert_int_equal(session_lanes_force_release(l, run->seq, "test", &it, &abandoned), 1);
    assert_non_null(it);
    assert_int_equal(abandoned, 0);
    free(it);
    assert_int_equal(session_lanes_finish(l, run), 0);
    session_run_free(run);
    /* A renewal that finds the lease gone drops the queued item. */
    struct session_item_ref refs[4];
    size_t n = session_lanes_due(l, clock_wall_ms() + 120000, 0, refs, 4);
    assert_int_equal(n, 1);
    assert_string_equal(refs[0].owner, "owner-s2-1");
    session_lanes_renewed(l, refs[0].seq, 0, 1);
    assert_int_equal(session_lanes_held(l), 0);
    session_lanes_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_rows),
        cmocka_unit_test(log_back_off_doubles),
        cmocka_unit_test(lanes_serialise_a_session_not_others),
        cmocka_unit_test(a_lane_holds_few_queued_jobs),
        cmocka_unit_test(model_slots_cap_all_sessions),
        cmocka_unit_test(dead_owner_is_stuck_and_released),
        cmocka_unit_test(silent_call_past_abort_is_cancelled),
        cmocka_unit_test(task_cancel_and_lost_lease),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
