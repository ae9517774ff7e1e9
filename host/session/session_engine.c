#include "session/session_engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "session/session_phase2.h"
#include "session/task_cancel.h"

#define ENGINE_HELD_MAX 64          /* leased jobs held at once (queued on lanes or running) */
#define ENGINE_LEASE_MS 60000       /* renewed while held, so only a dead process lets one lapse */
#define ENGINE_RENEW_MARGIN_MS 30000
#define ENGINE_POLL_MS 200          /* the dispatcher looks at the queue at least this often */
#define ENGINE_RECLAIM_NS (5LL * 1000000000LL)
#define ENGINE_RUNNERS_MAX 256      /* runner threads ever started, replacements included */
#define ENGINE_RECOVERED_MAX 4096   /* recovered archives tracked for /ready */
#define ENGINE_QUEUE_CALL_NS (30LL * 1000000000LL)
#define ENGINE_LANE_FULL_MS 1000    /* a job whose lane is full goes back this long */

struct runner {
    struct session_engine *e;
    int slot;
    pthread_t thread;
    atomic_int abandoned; /* its call never returned; a replacement took its place */
};

struct session_engine {
    struct app *app;
    struct store *store;
    struct session_lanes *lanes;
    atomic_int stopping;
    pthread_t dispatcher, watchdog;
    pthread_mutex_t lock;           /* wake, runners, recovered */
    pthread_cond_t wake;            /* CLOCK_MONOTONIC */
    unsigned wake_seq;
    struct runner *runners[ENGINE_RUNNERS_MAX];
    unsigned n_runners;
    atomic_uint running;            /* runner threads not yet returned */
    atomic_ullong lease_seq;
    char (*recovered)[AUTH_ID_MAX + VIKING_URI_MAX + 2];
    size_t n_recovered;
    atomic_ullong recovery_pending;
    atomic_int recovery_scanned;
};

struct session_lanes *session_engine_lanes(struct session_engine *e)
{
    return e->lanes;
}

struct store *session_engine_store(struct session_engine *e)
{
    return e->store;
}

struct app *session_engine_app(struct session_engine *e)
{
    return e->app;
}

void session_engine_wake(struct session_engine *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->lock);
    e->wake_seq++;
    pthread_cond_broadcast(&e->wake);
    pthread_mutex_unlock(&e->lock);
}

/* Waits until woken, stopping, or ms passed. */
static void engine_nap(struct session_engine *e, unsigned seen_seq, int64_t ms)
{
    struct timespec ts = clock_timespec_at(clock_monotonic_ns() + ms * 1000000);
    pthread_mutex_lock(&e->lock);
    while (e->wake_seq == seen_seq && !atomic_load(&e->stopping))
        if (pthread_cond_timedwait(&e->wake, &e->lock, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&e->lock);
}

static unsigned engine_seq(struct session_engine *e)
{
    pthread_mutex_lock(&e->lock);
    unsigned seq = e->wake_seq;
    pthread_mutex_unlock(&e->lock);
    return seq;
}

static void queue_ctx(struct skald_call_ctx *ctx, atomic_int *never, char *err, size_t err_cap)
{
    *ctx = (struct skald_call_ctx){sizeof *ctx, 0, clock_monotonic_ns() + ENGINE_QUEUE_CALL_NS,
                                   never, err, err_cap};
    err[0] = '\0';
}

/* ---- Recovery bookkeeping ---- */

static void recovery_key(char *out, size_t cap, const char *account, const char *archive_uri)
{
    snprintf(out, cap, "%s|%s", account, archive_uri);
}

void session_engine_recovery_add(struct session_engine *e, const char *account,
                                 const char *archive_uri)
{
    pthread_mutex_lock(&e->lock);
    if (e->n_recovered < ENGINE_RECOVERED_MAX) {
        recovery_key(e->recovered[e->n_recovered], sizeof e->recovered[0], account, archive_uri);
        e->n_recovered++;
        atomic_fetch_add(&e->recovery_pending, 1);
    }
    pthread_mutex_unlock(&e->lock);
}

void session_engine_recovery_scanned(struct session_engine *e)
{
    atomic_store(&e->recovery_scanned, 1);
}

static void recovery_ended(struct session_engine *e, const struct session_job *j)
{
    char key[sizeof e->recovered[0]];
    recovery_key(key, sizeof key, j->account, j->archive_uri);
    pthread_mutex_lock(&e->lock);
    for (size_t i = 0; i < e->n_recovered; i++)
        if (strcmp(e->recovered[i], key) == 0) {
            memmove(e->recovered[i], e->recovered[e->n_recovered - 1], sizeof e->recovered[0]);
            e->n_recovered--;
            atomic_fetch_sub(&e->recovery_pending, 1);
            break;
        }
    pthread_mutex_unlock(&e->lock);
}

const char *session_engine_recovery_state(struct app *app, uint64_t *pending)
{
    *pending = 0;
    /* Shutdown frees the engine; shutting_down is raised long before. */
    if (atomic_load(&app->shutting_down))
        return "stopping";
    struct session_engine *e = atomic_load(&app->sessions);
    *pending = e ? atomic_load(&e->recovery_pending) : 0;
    return e && atomic_load(&e->recovery_scanned) && *pending == 0 ? "ok" : "pending";
}

/* ---- Settling a job in the queue ---- */

/* Acks, or nacks for a retry after delay_ms. Logs what fails: an unsettled lease lapses and the
 * job comes back anyway. */
static void engine_settle(struct generation *gen, const struct session_item *it, int ack,
                          int64_t delay_ms, const char *error)
{
    struct plugin_instance *q = gen->backends[BACKEND_QUEUE]->inst;
    const struct skald_queue_ops *ops = plugin_instance_ops(q, queue);
    char err[512];
    atomic_int never = 0;
    struct skald_call_ctx ctx;
    queue_ctx(&ctx, &never, err, sizeof err);
    int rc = ack ? ops->ack(q->handle, &ctx, &it->id, 1, it->owner, NULL)
                 : ops->nack(q->handle, &ctx, it->id, it->owner, delay_ms, error, 0);
    if (rc != SKALD_OK && rc != SKALD_ENOTFOUND)
        log_warn("sessions: %s of job %lld (%s): %s", ack ? "ack" : "nack", (long long)it->id,
                 it->job.archive_uri, err);
}

/* ---- Runners ---- */

static int engine_spawn_runner(struct session_engine *e);

static void engine_force(void *arg, uint64_t seq)
{
    struct session_engine *e = arg;
    struct session_item *item = NULL;
    int abandoned = -1;
    if (!session_lanes_force_release(e->lanes, seq, "task cancelled; its call ignored the cancel",
                                     &item, &abandoned))
        return;
    struct generation *gen = runtime_acquire(&e->app->runtime);
    char err[256];
    if (item && session_phase2_cancelled(e->store, &item->job, err, sizeof err) != STORE_OK)
        log_warn("sessions: recording the cancel of %s: %s", item->job.archive_uri, err);
    if (item && gen)
        engine_settle(gen, item, 1, 0, NULL);
    if (item)
        recovery_ended(e, &item->job);
    if (gen)
        runtime_release(&e->app->runtime, gen);
    free(item);
    pthread_mutex_lock(&e->lock);
    if (abandoned >= 0 && (unsigned)abandoned < e->n_runners)
        atomic_store(&e->runners[abandoned]->abandoned, 1);
    pthread_mutex_unlock(&e->lock);
    if (abandoned >= 0 && engine_spawn_runner(e) != 0)
        log_error("sessions: cannot start a runner to replace one stuck in a call");
}

static void runner_run(struct runner *r, struct session_run *run)
{
    struct session_engine *e = r->e;
    struct generation *gen = runtime_acquire(&e->app->runtime);
    if (!gen) {
        session_lanes_finish(e->lanes, run); /* its lease lapses; the job comes back */
        return;
    }
    struct session_job job = run->item->job;
    uint64_t token = task_cancel_watch(job.task_id, &run->cancel, engine_force, e, run->seq);
    struct phase2_env env = {e->app, gen, e->store, e->lanes, run, &job, &e->stopping};
    int64_t delay = 0;
    char err[1024] = "";
    enum phase2_result res = session_phase2_run(&env, &delay, err, sizeof err);
    /* Released before the watch goes, so a cancel that returns finds the lane free. */
    int current = session_lanes_finish(e->lanes, run);
    task_cancel_unwatch(token);
    if (current && run->item && res != PHASE2_SHUTDOWN) {
        int ack = res != PHASE2_RETRY;
        engine_settle(gen, run->item, ack, delay, err);
        if (ack)
            recovery_ended(e, &job);
    } else if (!current) {
        log_info("sessions: late result of %s dropped: its lane was released meanwhile",
                 job.archive_uri);
    }
    runtime_release(&e->app->runtime, gen);
}

static void *runner_main(void *arg)
{
    struct runner *r = arg;
    struct session_engine *e = r->e;
    pid_t tid = gettid();
    while (!atomic_load(&e->stopping) && !atomic_load(&r->abandoned)) {
        struct session_run *run = session_lanes_claim(e->lanes, r->slot, tid,
                                                      ENGINE_POLL_MS * 1000000LL);
        if (!run)
            continue;
        runner_run(r, run);
        session_run_free(run);
    }
    atomic_fetch_sub(&e->running, 1);
    return NULL;
}

static int engine_spawn_runner(struct session_engine *e)
{
    pthread_mutex_lock(&e->lock);
    if (e->n_runners == ENGINE_RUNNERS_MAX || atomic_load(&e->stopping)) {
        pthread_mutex_unlock(&e->lock);
        return -1;
    }
    struct runner *r = calloc(1, sizeof *r);
    if (!r) {
        pthread_mutex_unlock(&e->lock);
        return -1;
    }
    r->e = e;
    r->slot = (int)e->n_runners;
    atomic_fetch_add(&e->running, 1);
    int rc = pthread_create(&r->thread, NULL, runner_main, r);
    if (rc != 0) {
        atomic_fetch_sub(&e->running, 1);
        free(r);
        pthread_mutex_unlock(&e->lock);
        return -1;
    }
    e->runners[e->n_runners++] = r;
    pthread_mutex_unlock(&e->lock);
    return 0;
}

/* ---- Dispatcher: leasing, renewing, reclaiming ---- */

struct lease_one {
    struct session_item *item;
    char bad[128];
};

static int lease_visit(void *arg, const struct skald_queue_item *qi)
{
    struct lease_one *one = arg;
    struct session_item *it = calloc(1, sizeof *it);
    if (!it)
        return 1;
    it->id = qi->id;
    it->attempts = qi->attempts;
    it->lease_until_ms = qi->lease_until_ms ? qi->lease_until_ms : clock_wall_ms() + ENGINE_LEASE_MS;
    if (session_job_decode(qi->payload, qi->payload_len, &it->job, one->bad, sizeof one->bad) != 0)
        it->job.archive_uri[0] = '\0';
    one->item = it;
    return 1;
}

/* Leases one job into its lane. Returns 1 when one was leased, 0 when none is due, -1 on error. */
static int dispatcher_lease_one(struct session_engine *e, struct generation *gen)
{
    struct plugin_instance *q = gen->backends[BACKEND_QUEUE]->inst;
    const struct skald_queue_ops *ops = plugin_instance_ops(q, queue);
    char owner[128], err[512];
    snprintf(owner, sizeof owner, "%ssession:%llu;", e->app->lease_owner_prefix,
             (unsigned long long)atomic_fetch_add(&e->lease_seq, 1) + 1);
    atomic_int never = 0;
    struct skald_call_ctx ctx;
    queue_ctx(&ctx, &never, err, sizeof err);
    struct lease_one one = {0};
    size_t n = 0;
    int rc = ops->lease(q->handle, &ctx, SESSION_JOB_TOPIC, 1, ENGINE_LEASE_MS, owner, lease_visit,
                        &one, &n);
    if (rc != SKALD_OK) {
        log_warn("sessions: leasing phase-2 jobs: %s", err);
        free(one.item);
        return -1;
    }
    if (!one.item)
        return 0;
    snprintf(one.item->owner, sizeof one.item->owner, "%s", owner);
    if (!one.item->job.archive_uri[0]) {
        log_error("sessions: queue item %lld parked: %s", (long long)one.item->id, one.bad);
        queue_ctx(&ctx, &never, err, sizeof err);
        ops->nack(q->handle, &ctx, one.item->id, owner, 0, one.bad, 1);
        free(one.item);
        return 1;
    }
    int pushed = session_lanes_push(e->lanes, one.item);
    if (pushed != 0) {
        /* Not a failure: the job waits in the queue for its lane (attempts are counted in the
         * archive's marker, not by leases). */
        engine_settle(gen, one.item, 0, ENGINE_LANE_FULL_MS, pushed > 0 ? NULL : "out of memory");
        free(one.item);
        return pushed > 0 ? 1 : -1;
    }
    return 1;
}

static void dispatcher_renew(struct session_engine *e, struct generation *gen)
{
    struct session_item_ref refs[ENGINE_HELD_MAX];
    int64_t now = clock_wall_ms();
    size_t n = session_lanes_due(e->lanes, now, ENGINE_RENEW_MARGIN_MS, refs, ENGINE_HELD_MAX);
    struct plugin_instance *q = gen->backends[BACKEND_QUEUE]->inst;
    for (size_t i = 0; i < n; i++) {
        char err[512];
        atomic_int never = 0;
        struct skald_call_ctx ctx;
        queue_ctx(&ctx, &never, err, sizeof err);
        int rc = plugin_instance_ops(q, queue)->extend(q->handle, &ctx, refs[i].id, refs[i].owner,
                                                       ENGINE_LEASE_MS);
        if (rc == SKALD_OK)
            session_lanes_renewed(e->lanes, refs[i].seq, now + ENGINE_LEASE_MS, 0);
        else if (rc == SKALD_ENOTFOUND) {
            log_warn("sessions: lease of job %lld was lost; its work is no longer this process's",
                     (long long)refs[i].id);
            session_lanes_renewed(e->lanes, refs[i].seq, 0, 1);
        } else {
            log_warn("sessions: renewing the lease of job %lld: %s", (long long)refs[i].id, err);
        }
    }
}

struct reclaim_scan {
    struct session_engine *e;
    const char *own_prefix;
    char owners[32][128];
    size_t n;
    int64_t last_id;
    uint64_t leased;
};

static int reclaim_stats_visit(void *arg, const struct skald_queue_topic_stats *s)
{
    struct reclaim_scan *r = arg;
    if (strcmp(s->topic, SESSION_JOB_TOPIC) == 0)
        r->leased = s->leased;
    return 0;
}

static int reclaim_item_visit(void *arg, const struct skald_queue_item *qi)
{
    struct reclaim_scan *r = arg;
    r->last_id = qi->id;
    if (qi->state != SKALD_QUEUE_LEASED || !qi->owner || strcmp(qi->topic, SESSION_JOB_TOPIC) != 0 ||
        strncmp(qi->owner, r->own_prefix, strlen(r->own_prefix)) == 0)
        return 0;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->owners[i], qi->owner) == 0)
            return 0;
    if (r->n < sizeof r->owners / sizeof r->owners[0])
        snprintf(r->owners[r->n++], sizeof r->owners[0], "%s", qi->owner);
    return 0;
}

/* Leases of the session topic whose owner is another process (gone: we hold the data-dir lock)
 * go back to pending at once instead of waiting for them to lapse. */
static void dispatcher_reclaim(struct session_engine *e, struct generation *gen)
{
    struct plugin_instance *q = gen->backends[BACKEND_QUEUE]->inst;
    const struct skald_queue_ops *ops = plugin_instance_ops(q, queue);
    char err[512];
    atomic_int never = 0;
    struct skald_call_ctx ctx;
    struct reclaim_scan r = {.e = e, .own_prefix = e->app->lease_owner_prefix};
    queue_ctx(&ctx, &never, err, sizeof err);
    if (ops->stats(q->handle, &ctx, reclaim_stats_visit, &r) != SKALD_OK ||
        r.leased <= session_lanes_held(e->lanes))
        return;
    for (;;) {
        int64_t before = r.last_id;
        queue_ctx(&ctx, &never, err, sizeof err);
        if (ops->export_items(q->handle, &ctx, r.last_id, 1000, reclaim_item_visit, &r) != SKALD_OK ||
            r.last_id == before || atomic_load(&e->stopping))
            break;
    }
    for (size_t i = 0; i < r.n; i++) {
        uint64_t released = 0;
        queue_ctx(&ctx, &never, err, sizeof err);
        if (ops->release(q->handle, &ctx, r.owners[i], &released) == SKALD_OK && released)
            log_warn("sessions: %llu phase-2 jobs leased by %s, whose process is gone, reclaimed",
                     (unsigned long long)released, r.owners[i]);
    }
}

static void *dispatcher_main(void *arg)
{
    struct session_engine *e = arg;
    int64_t next_reclaim = 0;
    while (!atomic_load(&e->stopping)) {
        unsigned seq = engine_seq(e);
        struct generation *gen = runtime_acquire(&e->app->runtime);
        if (gen) {
            while (!atomic_load(&e->stopping) && session_lanes_held(e->lanes) < ENGINE_HELD_MAX &&
                   dispatcher_lease_one(e, gen) == 1)
                ;
            dispatcher_renew(e, gen);
            if (clock_monotonic_ns() >= next_reclaim) {
                dispatcher_reclaim(e, gen);
                next_reclaim = clock_monotonic_ns() + ENGINE_RECLAIM_NS;
            }
            runtime_release(&e->app->runtime, gen);
        }
        engine_nap(e, seq, ENGINE_POLL_MS);
    }
    return NULL;
}

/* ---- Watchdog ---- */

/* Sleeps ms, waking early only to stop: commits wake the dispatcher, not the watchdog. */
static void watchdog_sleep(struct session_engine *e, unsigned ms)
{
    int64_t until = clock_monotonic_ns() + (int64_t)ms * 1000000;
    while (!atomic_load(&e->stopping) && clock_monotonic_ns() < until)
        clock_sleep_ns(until - clock_monotonic_ns() < 50000000LL ? until - clock_monotonic_ns()
                                                                  : 50000000LL);
}

static void *watchdog_main(void *arg)
{
    struct session_engine *e = arg;
    struct lanes_tick *tick = malloc(sizeof *tick);
    if (!tick) {
        log_error("sessions: no memory for the lane watchdog; lanes are not watched");
        return NULL;
    }
    while (!atomic_load(&e->stopping)) {
        struct generation *gen = runtime_acquire(&e->app->runtime);
        unsigned interval = gen ? gen->config->sessions.watch_interval_ms : 1000;
        if (gen) {
            session_lanes_examine(e->lanes, &gen->config->sessions, clock_monotonic_ns(), tick);
            for (size_t i = 0; i < tick->n_retry; i++) {
                struct session_item *it = tick->retry[i];
                char err[256];
                int failures = tick->failed[i] ? session_phase2_failures(e->store, &it->job, 1, err,
                                                                         sizeof err)
                                               : 0;
                if (failures < 0)
                    log_warn("sessions: counting a failure of %s: %s", it->job.archive_uri, err);
                engine_settle(gen, it, 0, session_phase2_retry_delay_ms(failures > 0 ? failures : 1),
                              tick->why[i]);
                free(it);
            }
            runtime_release(&e->app->runtime, gen);
        }
        for (size_t i = 0; gen && i < tick->n_abandoned; i++) {
            pthread_mutex_lock(&e->lock);
            if ((unsigned)tick->abandoned[i] < e->n_runners)
                atomic_store(&e->runners[tick->abandoned[i]]->abandoned, 1);
            pthread_mutex_unlock(&e->lock);
            if (engine_spawn_runner(e) != 0)
                log_error("sessions: cannot start a runner to replace one stuck in a call");
        }
        watchdog_sleep(e, interval);
    }
    free(tick);
    return NULL;
}

/* ---- Start and stop ---- */

int session_engine_start(struct app *app, struct store *st, char *err, size_t err_cap)
{
    struct generation *gen = runtime_acquire(&app->runtime);
    if (!gen) {
        snprintf(err, err_cap, "no plugins loaded");
        return -1;
    }
    unsigned slots = gen->config->sessions.max_extractions;
    runtime_release(&app->runtime, gen);
    struct session_engine *e = calloc(1, sizeof *e);
    if (!e || !(e->recovered = calloc(ENGINE_RECOVERED_MAX, sizeof *e->recovered)) ||
        !(e->lanes = session_lanes_new(slots))) {
        if (e)
            free(e->recovered);
        free(e);
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    e->app = app;
    e->store = st;
    const char *what = "cannot make a condition variable";
    int rc = clock_cond_init(&e->wake);
    if (rc == 0) {
        pthread_mutex_init(&e->lock, NULL);
        what = "cannot start the session threads";
        rc = pthread_create(&e->dispatcher, NULL, dispatcher_main, e);
        if (rc == 0 && (rc = pthread_create(&e->watchdog, NULL, watchdog_main, e)) != 0) {
            atomic_store(&e->stopping, 1);
            session_engine_wake(e);
            pthread_join(e->dispatcher, NULL);
        }
    }
    if (rc != 0) {
        snprintf(err, err_cap, "%s: %s", what, strerror(rc));
        session_lanes_free(e->lanes);
        free(e->recovered);
        free(e);
        return -1;
    }
    atomic_store(&app->sessions, e);
    for (unsigned i = 0; i < slots; i++)
        if (engine_spawn_runner(e) != 0)
            log_error("sessions: cannot start runner %u of %u", i + 1, slots);
    return 0;
}

unsigned session_engine_stop(struct app *app, int64_t deadline_ns, int64_t grace_ns,
                             int workers_stuck)
{
    struct session_engine *e = atomic_load(&app->sessions);
    if (!e)
        return 0;
    atomic_store(&e->stopping, 1);
    session_lanes_stop(e->lanes);
    session_engine_wake(e);
    pthread_join(e->dispatcher, NULL);
    pthread_join(e->watchdog, NULL);
    while (atomic_load(&e->running) > 0 && clock_monotonic_ns() < deadline_ns)
        clock_sleep_ns(5 * 1000000LL);
    if (atomic_load(&e->running) > 0) {
        session_lanes_cancel_all(e->lanes);
        int64_t until = clock_monotonic_ns() + grace_ns;
        while (atomic_load(&e->running) > 0 && clock_monotonic_ns() < until)
            clock_sleep_ns(5 * 1000000LL);
    }
    unsigned stuck = atomic_load(&e->running);
    pthread_mutex_lock(&e->lock);
    for (unsigned i = 0; i < e->n_runners; i++) {
        if (stuck)
            pthread_detach(e->runners[i]->thread);
        else
            pthread_join(e->runners[i]->thread, NULL);
    }
    pthread_mutex_unlock(&e->lock);
    if (stuck || workers_stuck)
        return stuck; /* threads inside a call that ignores its deadline keep e; left for exit */
    atomic_store(&app->sessions, NULL);
    for (unsigned i = 0; i < e->n_runners; i++)
        free(e->runners[i]);
    session_lanes_free(e->lanes);
    pthread_mutex_destroy(&e->lock);
    pthread_cond_destroy(&e->wake);
    free(e->recovered);
    free(e);
    return 0;
}

/* ---- Debug ---- */

static void *orphan_main(void *arg)
{
    *(pid_t *)arg = gettid();
    return NULL;
}

int session_engine_orphan_lane(struct session_engine *e, const char *account,
                               const char *session_uri)
{
    pid_t tid = 0;
    pthread_t t;
    if (pthread_create(&t, NULL, orphan_main, &tid) != 0)
        return -1;
    pthread_join(t, NULL);
    return session_lanes_orphan(e->lanes, account, session_uri, tid);
}
