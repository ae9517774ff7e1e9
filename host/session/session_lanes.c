#include "session/session_lanes.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

#define LANES_BUCKETS 256

struct session_lane {
    char account[AUTH_ID_MAX + 1];
    char session_uri[VIKING_URI_MAX + 1];
    pthread_mutex_t write_lock;
    /* Below: under the registry lock. */
    unsigned refs;
    uint64_t generation;
    int64_t last_activity_ns;
    int64_t busy_since_ns;
    struct session_item *head, *tail;
    size_t depth;
    struct session_run *run;
    unsigned writers_waiting;
    int writer_active;
    int64_t writer_since_ns;
    int64_t logged_age_ms;          /* back-off of repeated diagnostics */
    enum liveness_class last_class; /* of the last tick */
    const char *last_reason;
    struct session_lane *next;
};

struct lanes_counters {
    uint64_t long_running, stalled, stuck;    /* classifications, every tick */
    uint64_t released, aborted, force_released;
    uint64_t abort_drained, abort_forced; /* how abort recoveries ended, for /metrics */
    uint64_t late_results_dropped, leases_lost;
};

struct session_lanes {
    pthread_mutex_t lock;
    pthread_cond_t work; /* CLOCK_MONOTONIC */
    struct session_lane *buckets[LANES_BUCKETS];
    unsigned slots_max, slots_busy;
    uint64_t run_seq, item_seq;
    size_t held;
    unsigned troubled;
    int stopping;
    struct lanes_counters counters;
};

static unsigned lanes_hash(const char *account, const char *uri)
{
    uint32_t h = 2166136261u;
    for (const char *p = account; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h = (h ^ 0x1f) * 16777619u;
    for (const char *p = uri; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % LANES_BUCKETS;
}

struct session_lanes *session_lanes_new(unsigned slots)
{
    struct session_lanes *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    if (clock_cond_init(&l->work) != 0) {
        free(l);
        return NULL;
    }
    pthread_mutex_init(&l->lock, NULL);
    l->slots_max = slots ? slots : 1;
    return l;
}

static void item_list_free(struct session_item *it)
{
    while (it) {
        struct session_item *next = it->next;
        free(it);
        it = next;
    }
}

void session_lanes_free(struct session_lanes *l)
{
    if (!l)
        return;
    for (size_t b = 0; b < LANES_BUCKETS; b++)
        for (struct session_lane *lane = l->buckets[b]; lane;) {
            struct session_lane *next = lane->next;
            item_list_free(lane->head);
            if (lane->run && lane->run->runner < 0)
                free(lane->run); /* a debug orphan: no runner owns it */
            pthread_mutex_destroy(&lane->write_lock);
            free(lane);
            lane = next;
        }
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->work);
    free(l);
}

void session_lanes_stop(struct session_lanes *l)
{
    pthread_mutex_lock(&l->lock);
    l->stopping = 1;
    pthread_cond_broadcast(&l->work);
    pthread_mutex_unlock(&l->lock);
}

void session_lanes_cancel_all(struct session_lanes *l)
{
    pthread_mutex_lock(&l->lock);
    for (size_t b = 0; b < LANES_BUCKETS; b++)
        for (struct session_lane *lane = l->buckets[b]; lane; lane = lane->next)
            if (lane->run)
                atomic_store(&lane->run->cancel, 1);
    pthread_mutex_unlock(&l->lock);
}

/* Under the lock. */
static struct session_lane *lane_find(struct session_lanes *l, const char *account,
                                      const char *uri, int create)
{
    unsigned b = lanes_hash(account, uri);
    for (struct session_lane *lane = l->buckets[b]; lane; lane = lane->next)
        if (strcmp(lane->account, account) == 0 && strcmp(lane->session_uri, uri) == 0)
            return lane;
    if (!create || strlen(account) > AUTH_ID_MAX || strlen(uri) > VIKING_URI_MAX)
        return NULL;
    struct session_lane *lane = calloc(1, sizeof *lane);
    if (!lane)
        return NULL;
    strcpy(lane->account, account);
    strcpy(lane->session_uri, uri);
    pthread_mutex_init(&lane->write_lock, NULL);
    lane->last_activity_ns = clock_monotonic_ns();
    lane->next = l->buckets[b];
    l->buckets[b] = lane;
    return lane;
}

static int lane_idle(const struct session_lane *lane)
{
    return !lane->run && !lane->head && !lane->writer_active && lane->writers_waiting == 0;
}

/* Under the lock: frees a lane nobody references and nothing waits on. */
static void lane_maybe_free(struct session_lanes *l, struct session_lane *lane)
{
    if (lane->refs > 0 || !lane_idle(lane))
        return;
    struct session_lane **pp = &l->buckets[lanes_hash(lane->account, lane->session_uri)];
    while (*pp && *pp != lane)
        pp = &(*pp)->next;
    if (*pp)
        *pp = lane->next;
    pthread_mutex_destroy(&lane->write_lock);
    free(lane);
}

struct session_lane *session_lanes_get(struct session_lanes *l, const char *account,
                                       const char *session_uri)
{
    pthread_mutex_lock(&l->lock);
    struct session_lane *lane = lane_find(l, account, session_uri, 1);
    if (lane)
        lane->refs++;
    pthread_mutex_unlock(&l->lock);
    return lane;
}

void session_lanes_put(struct session_lanes *l, struct session_lane *lane)
{
    pthread_mutex_lock(&l->lock);
    lane->refs--;
    lane_maybe_free(l, lane);
    pthread_mutex_unlock(&l->lock);
}

void session_lane_write_begin(struct session_lanes *l, struct session_lane *lane)
{
    pthread_mutex_lock(&l->lock);
    lane->writers_waiting++;
    pthread_mutex_unlock(&l->lock);
    pthread_mutex_lock(&lane->write_lock);
    int64_t now = clock_monotonic_ns();
    pthread_mutex_lock(&l->lock);
    lane->writers_waiting--;
    lane->writer_active = 1;
    lane->writer_since_ns = now;
    lane->last_activity_ns = now;
    pthread_mutex_unlock(&l->lock);
}

void session_lane_write_end(struct session_lanes *l, struct session_lane *lane)
{
    pthread_mutex_lock(&l->lock);
    lane->writer_active = 0;
    lane->last_activity_ns = clock_monotonic_ns();
    pthread_mutex_unlock(&l->lock);
    pthread_mutex_unlock(&lane->write_lock);
}

int session_lanes_push(struct session_lanes *l, struct session_item *item)
{
    char uri[VIKING_URI_MAX + 1];
    /* The session is the archive's grandparent: .../sessions/{sid}/history/archive_NNN. */
    snprintf(uri, sizeof uri, "%s", item->job.archive_uri);
    for (int i = 0; i < 2; i++) {
        char *slash = strrchr(uri, '/');
        if (slash)
            *slash = '\0';
    }
    pthread_mutex_lock(&l->lock);
    struct session_lane *lane = lane_find(l, item->job.account, uri, 1);
    if (!lane || lane->depth >= SESSION_LANE_QUEUE_MAX) {
        pthread_mutex_unlock(&l->lock);
        return lane ? 1 : -1;
    }
    item->seq = ++l->item_seq;
    item->next = NULL;
    if (lane->tail)
        lane->tail->next = item;
    else
        lane->head = item;
    lane->tail = item;
    lane->depth++;
    l->held++;
    if (!lane->run)
        lane->last_activity_ns = clock_monotonic_ns();
    pthread_cond_broadcast(&l->work);
    pthread_mutex_unlock(&l->lock);
    return 0;
}

size_t session_lanes_held(struct session_lanes *l)
{
    pthread_mutex_lock(&l->lock);
    size_t n = l->held;
    pthread_mutex_unlock(&l->lock);
    return n;
}

/* Under the lock: the lane whose queued head was leased first, among lanes free to run. */
static struct session_lane *lanes_next_runnable(struct session_lanes *l)
{
    if (l->slots_busy >= l->slots_max)
        return NULL;
    struct session_lane *best = NULL;
    for (size_t b = 0; b < LANES_BUCKETS; b++)
        for (struct session_lane *lane = l->buckets[b]; lane; lane = lane->next)
            if (!lane->run && lane->head && (!best || lane->head->seq < best->head->seq))
                best = lane;
    return best;
}

struct session_run *session_lanes_claim(struct session_lanes *l, int runner, pid_t tid,
                                        int64_t wait_ns)
{
    struct session_run *run = calloc(1, sizeof *run);
    if (!run)
        return NULL;
    struct timespec until = clock_timespec_at(clock_monotonic_ns() + wait_ns);
    pthread_mutex_lock(&l->lock);
    struct session_lane *lane;
    while (!l->stopping && !(lane = lanes_next_runnable(l)))
        if (pthread_cond_timedwait(&l->work, &l->lock, &until) == ETIMEDOUT)
            break;
    lane = l->stopping ? NULL : lanes_next_runnable(l);
    if (!lane) {
        pthread_mutex_unlock(&l->lock);
        free(run);
        return NULL;
    }
    int64_t now = clock_monotonic_ns();
    run->item = lane->head;
    lane->head = run->item->next;
    if (!lane->head)
        lane->tail = NULL;
    lane->depth--;
    run->item->next = NULL;
    run->lane = lane;
    run->seq = ++l->run_seq;
    run->generation = lane->generation;
    run->runner = runner;
    run->tid = tid;
    run->slot_held = 1;
    run->kind = LANE_WORK_STORAGE_IO;
    run->started_ns = run->progress_ns = now;
    snprintf(run->progress_reason, sizeof run->progress_reason, "run:claimed");
    l->slots_busy++;
    lane->refs++;
    lane->run = run;
    lane->busy_since_ns = lane->last_activity_ns = now;
    lane->logged_age_ms = 0;
    pthread_mutex_unlock(&l->lock);
    return run;
}

void session_lanes_progress(struct session_lanes *l, struct session_run *run, enum lane_work kind,
                            const char *reason)
{
    int64_t now = clock_monotonic_ns();
    pthread_mutex_lock(&l->lock);
    if (!run->released) {
        run->kind = kind;
        run->progress_ns = now;
        snprintf(run->progress_reason, sizeof run->progress_reason, "%s", reason);
        run->lane->last_activity_ns = now;
        run->lane->logged_age_ms = 0;
    }
    pthread_mutex_unlock(&l->lock);
}

int session_lanes_current(struct session_lanes *l, struct session_run *run)
{
    pthread_mutex_lock(&l->lock);
    int current = !run->released && run->lane->run == run &&
                  run->lane->generation == run->generation;
    pthread_mutex_unlock(&l->lock);
    return current;
}

int session_lanes_commit_begin(struct session_lanes *l, struct session_run *run)
{
    pthread_mutex_lock(&l->lock);
    int current = !run->released && run->lane->run == run &&
                  run->lane->generation == run->generation;
    if (current)
        run->committing = 1;
    pthread_mutex_unlock(&l->lock);
    return current;
}

/* Under the lock: the lane no longer belongs to run. */
static void lane_detach(struct session_lanes *l, struct session_run *run)
{
    struct session_lane *lane = run->lane;
    if (lane->run == run)
        lane->run = NULL;
    lane->generation++;
    lane->last_activity_ns = clock_monotonic_ns();
    lane->logged_age_ms = 0;
    run->released = 1;
    if (run->slot_held) {
        run->slot_held = 0;
        l->slots_busy--;
    }
    pthread_cond_broadcast(&l->work);
}

int session_lanes_finish(struct session_lanes *l, struct session_run *run)
{
    pthread_mutex_lock(&l->lock);
    int current = !run->released;
    if (current && run->abort_requested)
        l->counters.abort_drained++;
    if (current)
        lane_detach(l, run);
    else
        l->counters.late_results_dropped++;
    if (run->item)
        l->held--;
    struct session_lane *lane = run->lane;
    lane->refs--;
    lane_maybe_free(l, lane);
    run->lane = NULL;
    pthread_mutex_unlock(&l->lock);
    return current;
}

void session_run_free(struct session_run *run)
{
    if (!run)
        return;
    free(run->item);
    free(run);
}

size_t session_lanes_due(struct session_lanes *l, int64_t now_ms, int64_t margin_ms,
                         struct session_item_ref *out, size_t cap)
{
    size_t n = 0;
    pthread_mutex_lock(&l->lock);
    for (size_t b = 0; b < LANES_BUCKETS && n < cap; b++)
        for (struct session_lane *lane = l->buckets[b]; lane && n < cap; lane = lane->next) {
            for (struct session_item *it = lane->head; it && n < cap; it = it->next)
                if (it->lease_until_ms - now_ms < margin_ms) {
                    out[n] = (struct session_item_ref){it->seq, it->id, ""};
                    snprintf(out[n++].owner, sizeof out[0].owner, "%s", it->owner);
                }
            struct session_item *it = lane->run ? lane->run->item : NULL;
            if (it && n < cap && it->lease_until_ms - now_ms < margin_ms) {
                out[n] = (struct session_item_ref){it->seq, it->id, ""};
                snprintf(out[n++].owner, sizeof out[0].owner, "%s", it->owner);
            }
        }
    pthread_mutex_unlock(&l->lock);
    return n;
}

void session_lanes_renewed(struct session_lanes *l, uint64_t seq, int64_t until_ms, int lost)
{
    pthread_mutex_lock(&l->lock);
    for (size_t b = 0; b < LANES_BUCKETS; b++)
        for (struct session_lane *lane = l->buckets[b]; lane; lane = lane->next) {
            struct session_item **pp = &lane->head, *prev = NULL;
            for (; *pp; prev = *pp, pp = &(*pp)->next) {
                if ((*pp)->seq != seq)
                    continue;
                struct session_item *it = *pp;
                if (!lost) {
                    it->lease_until_ms = until_ms;
                } else {
                    *pp = it->next;
                    if (lane->tail == it)
                        lane->tail = prev;
                    lane->depth--;
                    l->held--;
                    l->counters.leases_lost++;
                    free(it);
                    lane_maybe_free(l, lane);
                }
                goto done;
            }
            struct session_run *run = lane->run;
            if (run && run->item && run->item->seq == seq) {
                if (!lost) {
                    run->item->lease_until_ms = until_ms;
                } else {
                    free(run->item);
                    run->item = NULL;
                    l->held--;
                    l->counters.leases_lost++;
                }
                goto done;
            }
        }
done:
    pthread_mutex_unlock(&l->lock);
}

/* Whether the thread tid of this process still exists. */
static int thread_alive(pid_t tid)
{
    return tid > 0 && (tgkill(getpid(), tid, 0) == 0 || errno != ESRCH);
}

/* Under the lock: releases a lane held by run (stuck owner, abort or cancel settle expired).
 * The item comes back to the caller; a run without a runner thread is freed here. */
static struct session_item *lane_release(struct session_lanes *l, struct session_run *run)
{
    struct session_item *item = run->item;
    run->item = NULL;
    if (item)
        l->held--;
    lane_detach(l, run);
    if (run->runner < 0) {
        struct session_lane *lane = run->lane;
        lane->refs--;
        lane_maybe_free(l, lane);
        free(run);
    }
    return item;
}

static void tick_retry(struct lanes_tick *out, struct session_item *item, int failed,
                       const char *fmt, const char *a, const char *b)
{
    if (!item)
        return;
    if (out->n_retry == sizeof out->retry / sizeof out->retry[0]) {
        free(item); /* its lease expires and the job comes back by itself */
        return;
    }
    snprintf(out->why[out->n_retry], sizeof out->why[0], fmt, a, b);
    out->failed[out->n_retry] = failed;
    out->retry[out->n_retry++] = item;
}

static void tick_abandon(struct lanes_tick *out, int runner)
{
    if (runner >= 0 && out->n_abandoned < sizeof out->abandoned / sizeof out->abandoned[0])
        out->abandoned[out->n_abandoned++] = runner;
}

/* Under the lock: classifies one lane and acts. */
static void lane_examine(struct session_lanes *l, struct session_lane *lane,
                         const struct session_config *cfg, int64_t now, struct lanes_tick *out)
{
    struct session_run *run = lane->run;
    struct liveness_view v = {
        .has_run = run != NULL,
        .owner_live = run ? thread_alive(run->tid) : 0,
        .kind = run ? run->kind : LANE_WORK_NONE,
        .age_ms = (now - lane->last_activity_ns) / 1000000,
        .progress_age_ms = run ? (now - run->progress_ns) / 1000000 : 0,
        .queue_depth = lane->depth,
        .capacity_free = l->slots_busy < l->slots_max,
        .writer_busy = lane->writer_active,
        .writer_age_ms = lane->writer_active ? (now - lane->writer_since_ns) / 1000000 : 0,
    };
    struct liveness_verdict d = liveness_classify(&v, cfg->stuck_warn_ms, cfg->stuck_abort_ms);
    lane->last_class = d.cls;
    lane->last_reason = d.reason;
    if (d.cls == LIVENESS_IDLE)
        return;
    int64_t age = d.cls == LIVENESS_STUCK || !run ? v.age_ms : v.progress_age_ms;
    const char *cls = liveness_class_name(d.cls);
    struct log_field fields[] = {
        LOG_STR("event", d.cls == LIVENESS_LONG_RUNNING ? "session.long_running"
                         : d.cls == LIVENESS_STALLED    ? "session.stalled"
                                                        : "session.stuck"),
        LOG_STR("account", lane->account), LOG_STR("session", lane->session_uri),
        LOG_STR("classification", cls), LOG_STR("reason", d.reason),
        LOG_STR("work_kind", liveness_work_name(v.kind)), LOG_INT("age_ms", age),
        LOG_INT("last_progress_age_ms", v.progress_age_ms),
        LOG_STR("last_progress", run ? run->progress_reason : NULL),
        LOG_INT("queue_depth", (long long)lane->depth), LOG_INT("generation", lane->generation)};
    /* A stall is reported on every tick; the others back off while nothing changes. */
    if (d.cls == LIVENESS_STALLED || d.action != LIVENESS_OBSERVE ||
        liveness_should_log(age, cfg->stuck_warn_ms, &lane->logged_age_ms))
        log_fields(d.cls == LIVENESS_LONG_RUNNING && lane->depth == 0 ? LOG_LEVEL_DEBUG
                                                                        : LOG_LEVEL_WARN,
                   "session lane needs attention", fields, sizeof fields / sizeof fields[0]);
    if (d.cls == LIVENESS_LONG_RUNNING)
        l->counters.long_running++;
    else if (d.cls == LIVENESS_STALLED)
        l->counters.stalled++;
    else
        l->counters.stuck++;
    if (d.action == LIVENESS_RELEASE) {
        l->counters.released++;
        log_warn("session lane %s released (%s): generation %llu", lane->session_uri, d.reason,
                 (unsigned long long)lane->generation + 1);
        if (run) {
            int runner = run->runner;
            tick_retry(out, lane_release(l, run), 0, "lane released: %s (%s)", d.reason, cls);
            tick_abandon(out, runner);
        } else {
            lane->generation++;
            lane->last_activity_ns = now;
            pthread_cond_broadcast(&l->work);
        }
        return;
    }
    if (!run || d.action != LIVENESS_ABORT || run->committing)
        return;
    if (!run->abort_requested) {
        run->abort_requested = 1;
        run->abort_ns = now;
        atomic_store(&run->cancel, 1);
        l->counters.aborted++;
        log_warn("session lane %s: %s work silent for %lld ms, past the abort threshold: "
                 "cancelling its call",
                 lane->session_uri, liveness_work_name(run->kind), (long long)v.progress_age_ms);
        return;
    }
    if ((now - run->abort_ns) / 1000000 < (int64_t)cfg->abort_settle_ms)
        return;
    /* The call ignored its cancel: the lane is released anyway, its thread left to return. */
    l->counters.force_released++;
    l->counters.abort_forced++;
    log_warn("session lane %s: cancelled call did not return within %u ms; lane released",
             lane->session_uri, cfg->abort_settle_ms);
    int runner = run->runner;
    tick_retry(out, lane_release(l, run), 1, "%s; %s",
               "cancelled: no progress past the abort threshold", "its call ignored the cancel");
    tick_abandon(out, runner);
}

void session_lanes_examine(struct session_lanes *l, const struct session_config *cfg,
                           int64_t now_ns, struct lanes_tick *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&l->lock);
    unsigned troubled = 0;
    for (size_t b = 0; b < LANES_BUCKETS; b++)
        for (struct session_lane *lane = l->buckets[b], *next; lane; lane = next) {
            next = lane->next;
            if (lane_idle(lane)) {
                lane->last_class = LIVENESS_IDLE;
                continue;
            }
            lane->refs++;
            lane_examine(l, lane, cfg, now_ns, out);
            if (lane->last_class == LIVENESS_STUCK || lane->last_class == LIVENESS_STALLED)
                troubled++;
            lane->refs--;
            lane_maybe_free(l, lane);
        }
    l->troubled = troubled;
    pthread_mutex_unlock(&l->lock);
}

int session_lanes_force_release(struct session_lanes *l, uint64_t seq, const char *why,
                                struct session_item **item, int *abandoned)
{
    *item = NULL;
    *abandoned = -1;
    int released = 0;
    pthread_mutex_lock(&l->lock);
    for (size_t b = 0; b < LANES_BUCKETS && !released; b++)
        for (struct session_lane *lane = l->buckets[b]; lane && !released; lane = lane->next) {
            struct session_run *run = lane->run;
            if (!run || run->seq != seq || run->committing)
                continue;
            l->counters.force_released++;
            log_warn("session lane %s released: %s", lane->session_uri, why);
            *abandoned = run->runner;
            *item = lane_release(l, run);
            released = 1;
        }
    pthread_mutex_unlock(&l->lock);
    return released;
}

int session_lanes_orphan(struct session_lanes *l, const char *account, const char *session_uri,
                         pid_t tid)
{
    struct session_run *run = calloc(1, sizeof *run);
    if (!run)
        return -1;
    pthread_mutex_lock(&l->lock);
    struct session_lane *lane = lane_find(l, account, session_uri, 1);
    if (!lane || lane->run) {
        pthread_mutex_unlock(&l->lock);
        free(run);
        return -1;
    }
    int64_t now = clock_monotonic_ns();
    run->lane = lane;
    run->seq = ++l->run_seq;
    run->generation = lane->generation;
    run->runner = -1;
    run->tid = tid;
    run->kind = LANE_WORK_STORAGE_IO;
    run->started_ns = run->progress_ns = now;
    snprintf(run->progress_reason, sizeof run->progress_reason, "debug:orphaned_owner");
    lane->refs++;
    lane->run = run;
    lane->busy_since_ns = lane->last_activity_ns = now;
    pthread_mutex_unlock(&l->lock);
    return 0;
}

int session_lanes_slot_acquire(struct session_lanes *l, int64_t wait_ns)
{
    struct timespec until = clock_timespec_at(clock_monotonic_ns() + wait_ns);
    pthread_mutex_lock(&l->lock);
    while (!l->stopping && l->slots_busy >= l->slots_max)
        if (pthread_cond_timedwait(&l->work, &l->lock, &until) == ETIMEDOUT)
            break;
    int got = !l->stopping && l->slots_busy < l->slots_max;
    if (got)
        l->slots_busy++;
    pthread_mutex_unlock(&l->lock);
    return got ? 0 : -1;
}

void session_lanes_slot_release(struct session_lanes *l)
{
    pthread_mutex_lock(&l->lock);
    l->slots_busy--;
    pthread_cond_broadcast(&l->work);
    pthread_mutex_unlock(&l->lock);
}

static const char *lane_state(const struct session_lane *lane)
{
    if (lane->run || lane->writer_active)
        return "processing";
    return "waiting";
}

json_t *session_lanes_snapshot(struct session_lanes *l, const struct session_config *cfg,
                               int64_t now_ns)
{
    json_t *lanes = json_array();
    pthread_mutex_lock(&l->lock);
    for (size_t b = 0; lanes && b < LANES_BUCKETS; b++)
        for (struct session_lane *lane = l->buckets[b]; lane; lane = lane->next) {
            if (lane_idle(lane))
                continue;
            struct session_run *run = lane->run;
            int64_t since = run ? lane->busy_since_ns
                            : lane->writer_active ? lane->writer_since_ns
                                                  : lane->last_activity_ns;
            json_t *owner = run ? json_pack("{s:i, s:i, s:b}", "runner", run->runner, "tid",
                                            (int)run->tid, "alive", thread_alive(run->tid))
                                : json_null();
            json_t *item = json_pack(
                "{s:s, s:s, s:s, s:I, s:s, s:I, s:s?, s:I, s:I, s:I, s:o, s:s?, s:s?, s:s, s:s, s:b}",
                "account", lane->account, "session_uri", lane->session_uri, "state",
                lane_state(lane), "age_ms", (json_int_t)((now_ns - since) / 1000000), "work_kind",
                liveness_work_name(run ? run->kind
                                   : lane->writer_active ? LANE_WORK_STORAGE_IO
                                                         : LANE_WORK_DEPENDENCY_WAIT),
                "last_progress_age_ms",
                (json_int_t)((now_ns - (run ? run->progress_ns : lane->last_activity_ns)) / 1000000),
                "last_progress", run ? run->progress_reason : NULL, "queue_depth",
                (json_int_t)lane->depth, "generation", (json_int_t)lane->generation,
                "writers_waiting", (json_int_t)lane->writers_waiting, "owner", owner, "task_id",
                run && run->item ? run->item->job.task_id : NULL, "archive_uri",
                run && run->item ? run->item->job.archive_uri : NULL, "classification",
                liveness_class_name(lane->last_class), "reason",
                lane->last_reason ? lane->last_reason : "not_examined_yet", "abort_requested",
                run ? run->abort_requested : 0);
            if (!item || json_array_append_new(lanes, item) != 0) {
                json_decref(lanes);
                lanes = NULL;
                break;
            }
        }
    const struct lanes_counters *c = &l->counters;
    json_t *out = lanes ? json_pack(
        "{s:o, s:{s:I, s:I}, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I}}",
        "lanes", lanes, "model_slots", "busy", (json_int_t)l->slots_busy, "max",
        (json_int_t)l->slots_max, "held_jobs", (json_int_t)l->held, "counters", "long_running",
        (json_int_t)c->long_running, "stalled", (json_int_t)c->stalled, "stuck",
        (json_int_t)c->stuck, "released", (json_int_t)c->released, "aborted",
        (json_int_t)c->aborted, "force_released", (json_int_t)c->force_released,
        "late_results_dropped", (json_int_t)c->late_results_dropped, "leases_lost",
        (json_int_t)c->leases_lost, "thresholds", "watch_interval_ms",
        (json_int_t)cfg->watch_interval_ms, "stuck_warn_ms", (json_int_t)cfg->stuck_warn_ms,
        "stuck_abort_ms", (json_int_t)cfg->stuck_abort_ms, "abort_settle_ms",
        (json_int_t)cfg->abort_settle_ms) : NULL;
    pthread_mutex_unlock(&l->lock);
    return out;
}

const char *session_lanes_state_name(enum lanes_state s)
{
    static const char *const names[LANES_STATES] = {"idle", "busy", "long_running", "stalled",
                                                     "stuck"};
    return s < LANES_STATES ? names[s] : "unknown";
}

void session_lanes_stats(struct session_lanes *l, struct session_lanes_stats *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&l->lock);
    for (size_t b = 0; b < LANES_BUCKETS; b++)
        for (const struct session_lane *lane = l->buckets[b]; lane; lane = lane->next) {
            enum lanes_state s = LANES_BUSY;
            if (lane_idle(lane))
                s = LANES_IDLE;
            else if (lane->last_class == LIVENESS_LONG_RUNNING)
                s = LANES_LONG_RUNNING;
            else if (lane->last_class == LIVENESS_STALLED)
                s = LANES_STALLED;
            else if (lane->last_class == LIVENESS_STUCK)
                s = LANES_STUCK;
            out->by_state[s]++;
        }
    const struct lanes_counters *c = &l->counters;
    out->long_running = c->long_running;
    out->stalled = c->stalled;
    out->stuck = c->stuck;
    out->released = c->released;
    out->aborted = c->aborted;
    out->abort_drained = c->abort_drained;
    out->abort_forced = c->abort_forced;
    out->slots_busy = l->slots_busy;
    out->slots_max = l->slots_max;
    pthread_mutex_unlock(&l->lock);
}

unsigned session_lanes_troubled(struct session_lanes *l)
{
    pthread_mutex_lock(&l->lock);
    unsigned n = l->troubled;
    pthread_mutex_unlock(&l->lock);
    return n;
}
