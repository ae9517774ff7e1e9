#include "pipeline/pipeline.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "http/waiters.h"
#include "pipeline/pipeline_env.h"
#include "pipeline/task_track.h"
#include "session/task_cancel.h"

/* Jobs leased at once: semantic jobs run one by one (each is several model calls), embed jobs
 * are batched into embedding calls of max_batch texts and one vector upsert; 128 jobs (a
 * directory has two texts, a file one) fill several calls of up to 64 texts, not one and a bit. */
#define PIPELINE_SEMANTIC_LEASE 1
#define PIPELINE_EMBED_LEASE 128
/* At most this many calls' worth of embed jobs per lease: enough to amortise the lease, store
 * commit and ack, few enough that a max_batch 1 provider does not hold 128 jobs for 128 calls. */
#define PIPELINE_EMBED_CALLS_PER_LEASE 8
/* An idle thread looks at the queue this often even when nobody wakes it (items whose
 * not_before has come, leases that expired elsewhere). */
#define PIPELINE_IDLE_POLL_MS 200
/* How long a thread keeps to its own topic before it serves the other once. */
#define PIPELINE_SLICE_MS 100

struct pipeline;

struct pipeline_thread_arg {
    struct pipeline *p;
    unsigned index;
    atomic_int cancel; /* the cancel flag of this thread's calls */
};

struct pipeline {
    struct app *app;
    pthread_t *threads;
    struct pipeline_thread_arg *args; /* one per thread */
    unsigned n_threads;
    atomic_int stopping;
    atomic_int cancel;       /* cancels backend calls in flight; raised past the stop deadline */
    atomic_uint running;     /* threads not yet returned */
    pthread_mutex_t lock;
    pthread_cond_t wake;     /* CLOCK_MONOTONIC */
    unsigned wake_seq;       /* guarded by lock */
    char owner[96];          /* lease owner of this process's pipeline */
    atomic_ullong processed[2], requeued[2], dead[2]; /* by enum job_kind */
};

void pipeline_counts(struct pipeline *p, enum job_kind kind, struct pipeline_counts *out)
{
    int k = kind == JOB_EMBED ? 1 : 0;
    out->processed = p ? atomic_load(&p->processed[k]) : 0;
    out->requeued = p ? atomic_load(&p->requeued[k]) : 0;
    out->dead = p ? atomic_load(&p->dead[k]) : 0;
}

void pipeline_env_ctx(const struct pipeline_env *env, struct skald_call_ctx *ctx, char *err,
                      size_t err_cap)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->struct_size = sizeof *ctx;
    ctx->deadline_ns = clock_monotonic_ns() +
                       (int64_t)env->gen->config->server.call_timeout_s * 1000000000LL;
    ctx->cancel = env->cancel;
    ctx->err = err;
    ctx->err_cap = err_cap;
    err[0] = '\0';
}

struct plugin_instance *pipeline_env_backend(const struct pipeline_env *env, enum backend_slot s)
{
    return env->gen->backends[s] ? env->gen->backends[s]->inst : NULL;
}

void pipeline_wake(struct pipeline *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->wake_seq++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

int pipeline_submit(struct app *app, struct generation *gen, struct store *st, struct job *jobs,
                    size_t n, const char *task_id, char *err, size_t err_cap)
{
    if (n == 0)
        return SKALD_OK;
    for (size_t i = 0; i < n; i++)
        snprintf(jobs[i].task_id, sizeof jobs[i].task_id, "%s", task_id ? task_id : "");
    /* Counted before they exist, so the task never looks finished while they are queued. */
    if (task_id && store_task_progress(st, task_id, (int)n, 0, 0, err, err_cap) != STORE_OK)
        return SKALD_EIO;
    atomic_int never = 0;
    struct skald_call_ctx ctx = {sizeof ctx, 0,
                                 clock_monotonic_ns() +
                                     (int64_t)gen->config->server.call_timeout_s * 1000000000LL,
                                 &never, err, err_cap};
    err[0] = '\0';
    int rc = job_enqueue(gen->backends[BACKEND_QUEUE]->inst, &ctx, jobs, n);
    if (rc == SKALD_OK)
        pipeline_wake(app->pipeline);
    return rc;
}

/* A leased item and the job it carries. */
struct leased_job {
    int64_t id;
    uint32_t attempts;
    int valid;           /* 0: the payload is not a job; it is parked as dead */
    struct job job;
    char decode_error[128];
};

struct lease_batch {
    struct leased_job *items;
    size_t n, cap;
};

static int lease_visit(void *arg, const struct skald_queue_item *item)
{
    struct lease_batch *b = arg;
    if (b->n == b->cap)
        return 1;
    struct leased_job *lj = &b->items[b->n++];
    memset(lj, 0, sizeof *lj);
    lj->id = item->id;
    lj->attempts = item->attempts;
    lj->valid = job_decode(item->payload, item->payload_len, &lj->job, lj->decode_error,
                           sizeof lj->decode_error) == 0;
    return 0;
}

/* Retry delay after the attempt-th failure: 1 s, 2 s, 4 s, ... up to a minute. */
static int64_t pipeline_retry_delay_ms(uint32_t attempts)
{
    int64_t ms = 1000LL << (attempts < 6 ? attempts : 6);
    return ms > 60000 ? 60000 : ms;
}

static void pipeline_task_report(const struct pipeline_env *env, const struct job *j, int failed)
{
    if (!j->task_id[0])
        return;
    char err[256];
    /* The node states decide, not the counters: a job merged with an identical one that another
     * task queued (a shared parent's refresh) counts on that task only. */
    if (store_task_progress(env->store, j->task_id, 0, failed ? 0 : 1, failed ? 1 : 0, err,
                            sizeof err) != STORE_OK ||
        task_track_settle(env->store, j->account, j->task_id, 0, NULL, err, sizeof err) != STORE_OK)
        log_warn("pipeline: task %s: %s", j->task_id, err);
    waiters_poke(env->app->waiters);
}

/* Records how one job ended: ack on success; on failure a retry later, or, after the last
 * attempt (or for an error retrying cannot fix), dead with the error on the node and task. */
static void pipeline_outcome(struct pipeline *p, const struct pipeline_env *env,
                             struct plugin_instance *queue, const struct leased_job *lj, int rc,
                             const char *error)
{
    const struct skald_queue_ops *q = plugin_instance_ops(queue, queue);
    char err[512];
    atomic_int never = 0;
    struct skald_call_ctx ctx = {sizeof ctx, 0, clock_monotonic_ns() + 30000000000LL, &never, err,
                                 sizeof err};
    int k = lj->valid && lj->job.kind == JOB_EMBED ? 1 : 0;
    if (rc == SKALD_OK) {
        atomic_fetch_add(&p->processed[k], 1);
        /* Counted before the ack: a reindex that sees the queue idle must see its count too. */
        pipeline_task_report(env, &lj->job, 0);
        if (q->ack(queue->handle, &ctx, &lj->id, 1, p->owner, NULL) != SKALD_OK)
            log_warn("pipeline: ack of job %lld: %s", (long long)lj->id, err);
        return;
    }
    if (rc == SKALD_ECANCELLED && atomic_load(&p->cancel))
        return; /* shutdown: the lease goes back to pending with this process's others */
    /* A backend that is down, overloaded or slow (its breaker open, a deadline passed) says
     * nothing about the document: such jobs wait for it however long the outage lasts, at most a
     * minute apart. Only failures of the job itself count toward parking it as dead. */
    int backend_down = rc == SKALD_EUNAVAILABLE || rc == SKALD_ETIMEDOUT || rc == SKALD_ECANCELLED;
    int final = !lj->valid || rc == SKALD_EINVAL ||
                (!backend_down && lj->attempts >= PIPELINE_MAX_ATTEMPTS);
    if (!final) {
        int64_t delay = pipeline_retry_delay_ms(lj->attempts);
        log_warn("pipeline: %s %s (attempt %u): %s; retry in %lld ms",
                 lj->job.kind == JOB_EMBED ? "embedding" : "semantic", lj->job.uri, lj->attempts,
                 error, (long long)delay);
        atomic_fetch_add(&p->requeued[k], 1);
        if (q->nack(queue->handle, &ctx, lj->id, p->owner, delay, error, 0) != SKALD_OK)
            log_warn("pipeline: nack of job %lld: %s", (long long)lj->id, err);
        return;
    }
    log_error("pipeline: %s %s failed for good after %u attempts: %s",
              lj->valid ? (lj->job.kind == JOB_EMBED ? "embedding" : "semantic") : "job",
              lj->valid ? lj->job.uri : "?", lj->attempts, error);
    if (lj->valid) {
        char serr[256];
        int src = lj->job.kind == JOB_SEMANTIC
                      ? semantic_job_give_up(env, &lj->job, error, serr, sizeof serr)
                      : (store_set_state(env->store, lj->job.account, lj->job.uri, 1,
                                         STORE_PROC_FAILED, error, serr, sizeof serr) == STORE_OK
                             ? SKALD_OK
                             : SKALD_EIO);
        if (src != SKALD_OK)
            log_warn("pipeline: recording the failure of %s: %s", lj->job.uri, serr);
    }
    atomic_fetch_add(&p->dead[k], 1);
    if (lj->valid)
        pipeline_task_report(env, &lj->job, 1);
    if (q->nack(queue->handle, &ctx, lj->id, p->owner, 0, error, 1) != SKALD_OK)
        log_warn("pipeline: parking job %lld: %s", (long long)lj->id, err);
}

/* A whole batch was embedded and stored: its nodes marked done, its jobs counted on their tasks
 * and those tasks settled, all in one store commit, then one ack call for every valid job. A
 * payload that was no job is parked as dead on its own. */
static void pipeline_ack_batch(struct pipeline *p, const struct pipeline_env *env,
                               struct plugin_instance *queue, const struct leased_job *items,
                               size_t n, const struct job *jobs, size_t n_jobs)
{
    int64_t ids[PIPELINE_EMBED_LEASE];
    size_t n_ids = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i].valid)
            ids[n_ids++] = items[i].id;
        else
            pipeline_outcome(p, env, queue, &items[i], SKALD_EINVAL, items[i].decode_error);
    }
    struct store_task_delta deltas[PIPELINE_EMBED_LEASE];
    const struct job *settle[PIPELINE_EMBED_LEASE];
    size_t n_deltas = 0, n_settle = 0;
    for (size_t i = 0; i < n_jobs; i++) {
        const struct job *j = &jobs[i];
        if (!j->task_id[0])
            continue;
        deltas[n_deltas++] = (struct store_task_delta){j->task_id, 0, 1, 0};
        size_t k = 0;
        while (k < n_settle && strcmp(settle[k]->task_id, j->task_id) != 0)
            k++;
        if (k == n_settle)
            settle[n_settle++] = j;
    }
    /* States, counts and settles in one commit, all before the ack: a reindex that sees the
     * queue idle must see these counts too. */
    char err[512], end_err[512];
    int rc = store_batch_begin(env->store, err, sizeof err) == STORE_OK ? SKALD_OK : SKALD_EIO;
    if (rc == SKALD_OK) {
        rc = embed_jobs_done(env, jobs, n_jobs, err, sizeof err);
        if (rc == SKALD_OK && n_deltas &&
            store_task_progress_many(env->store, deltas, n_deltas, err, sizeof err) != STORE_OK)
            rc = SKALD_EIO;
        for (size_t k = 0; rc == SKALD_OK && k < n_settle; k++)
            if (task_track_settle(env->store, settle[k]->account, settle[k]->task_id, 0, NULL,
                                  end_err, sizeof end_err) != STORE_OK)
                log_warn("pipeline: task %s: %s", settle[k]->task_id, end_err);
        if (store_batch_end(env->store, rc == SKALD_OK ? STORE_OK : STORE_EIO, end_err,
                            sizeof end_err) != STORE_OK && rc == SKALD_OK) {
            snprintf(err, sizeof err, "%s", end_err);
            rc = SKALD_EIO;
        }
    }
    if (rc != SKALD_OK) {
        for (size_t i = 0; i < n; i++)
            if (items[i].valid)
                pipeline_outcome(p, env, queue, &items[i], rc, err);
        return;
    }
    char qerr[512];
    atomic_int never = 0;
    struct skald_call_ctx ctx = {sizeof ctx, 0, clock_monotonic_ns() + 30000000000LL, &never, qerr,
                                 sizeof qerr};
    atomic_fetch_add(&p->processed[1], n_ids);
    if (n_ids && plugin_instance_ops(queue, queue)->ack(queue->handle, &ctx, ids, n_ids, p->owner,
                                                        NULL) != SKALD_OK)
        log_warn("pipeline: ack of %zu embedding jobs: %s", n_ids, qerr);
    if (n_settle)
        waiters_poke(env->app->waiters);
}

static size_t pipeline_lease(struct pipeline *p, const struct pipeline_env *env,
                             struct plugin_instance *queue, const char *topic,
                             struct lease_batch *b)
{
    char err[512];
    struct skald_call_ctx ctx;
    pipeline_env_ctx(env, &ctx, err, sizeof err);
    /* Long enough for every job of the batch to use its whole call deadline. */
    int64_t lease_ms = (int64_t)env->gen->config->server.call_timeout_s * 1000 * 4 + 60000;
    size_t n = 0;
    b->n = 0;
    if (plugin_instance_ops(queue, queue)->lease(queue->handle, &ctx, topic, (uint32_t)b->cap,
                                                lease_ms, p->owner, lease_visit, b, &n) != SKALD_OK) {
        log_warn("pipeline: leasing %s jobs: %s", topic, err);
        return 0;
    }
    return b->n;
}

/* A job's calls answer to its thread's flag: clear when the job starts (unless the pipeline is
 * stopping) and raised by a cancel of the job's task (host/session/task_cancel.h). */
static uint64_t pipeline_job_watch(struct pipeline *p, const struct pipeline_env *env,
                                   const struct leased_job *lj)
{
    atomic_store(env->cancel, 0);
    if (atomic_load(&p->cancel))
        atomic_store(env->cancel, 1);
    return lj->valid && lj->job.task_id[0]
               ? task_cancel_watch(lj->job.task_id, env->cancel, NULL, NULL, 0)
               : 0;
}

static size_t pipeline_run_semantic(struct pipeline *p, const struct pipeline_env *env,
                                    struct plugin_instance *queue)
{
    struct leased_job items[PIPELINE_SEMANTIC_LEASE];
    struct lease_batch b = {items, 0, PIPELINE_SEMANTIC_LEASE};
    size_t n = pipeline_lease(p, env, queue, JOB_TOPIC_SEMANTIC, &b);
    for (size_t i = 0; i < n; i++) {
        char err[512] = "";
        uint64_t watch = pipeline_job_watch(p, env, &items[i]);
        int rc = items[i].valid ? semantic_job_run(env, &items[i].job, err, sizeof err) : SKALD_EINVAL;
        task_cancel_unwatch(watch);
        pipeline_outcome(p, env, queue, &items[i], rc, items[i].valid ? err : items[i].decode_error);
    }
    return n;
}

static size_t pipeline_embed_batch(struct pipeline *p, const struct pipeline_env *env,
                                   struct plugin_instance *queue, struct leased_job *items,
                                   const struct job *jobs, size_t n, size_t n_jobs)
{
    char err[512] = "";
    int rc = n_jobs ? embed_jobs_run(env, jobs, n_jobs, err, sizeof err) : SKALD_OK;
    int transient = rc == SKALD_EUNAVAILABLE || rc == SKALD_ETIMEDOUT || rc == SKALD_ECANCELLED;
    if (rc != SKALD_OK && !transient && n_jobs > 1) {
        /* Something in the batch is refused: run the jobs one by one so only the culprit fails. */
        for (size_t i = 0; i < n; i++) {
            char one_err[512] = "";
            int one = items[i].valid ? embed_jobs_run(env, &items[i].job, 1, one_err, sizeof one_err)
                                     : SKALD_EINVAL;
            if (one == SKALD_OK)
                one = embed_jobs_done(env, &items[i].job, 1, one_err, sizeof one_err);
            pipeline_outcome(p, env, queue, &items[i], one,
                             items[i].valid ? one_err : items[i].decode_error);
        }
        return n;
    }
    if (rc == SKALD_OK) {
        pipeline_ack_batch(p, env, queue, items, n, jobs, n_jobs);
        return n;
    }
    for (size_t i = 0; i < n; i++)
        pipeline_outcome(p, env, queue, &items[i], items[i].valid ? rc : SKALD_EINVAL,
                         items[i].valid ? err : items[i].decode_error);
    return n;
}

static size_t pipeline_run_embed(struct pipeline *p, const struct pipeline_env *env,
                                 struct plugin_instance *queue)
{
    /* ~300 KB of batch state, taken per batch: an idle daemon keeps none of it resident. */
    struct embed_batch_mem {
        struct leased_job items[PIPELINE_EMBED_LEASE];
        struct job jobs[PIPELINE_EMBED_LEASE];
        uint64_t watches[PIPELINE_EMBED_LEASE];
    } *m = malloc(sizeof *m);
    if (!m) {
        log_warn("pipeline: out of memory for an embedding batch");
        return 0;
    }
    struct leased_job *items = m->items;
    struct job *jobs = m->jobs;
    uint64_t *watches = m->watches;
    struct plugin_instance *emb = pipeline_env_backend(env, BACKEND_EMBEDDING);
    size_t cap = emb ? (size_t)plugin_instance_ops(emb, embedding)->max_batch(emb->handle) *
                           PIPELINE_EMBED_CALLS_PER_LEASE
                     : PIPELINE_EMBED_LEASE;
    struct lease_batch b = {items, 0, cap < PIPELINE_EMBED_LEASE ? cap : PIPELINE_EMBED_LEASE};
    size_t n = pipeline_lease(p, env, queue, JOB_TOPIC_EMBEDDING, &b);
    size_t n_jobs = 0;
    /* One call embeds the whole batch: a cancel of any of its tasks cancels it (the others are
     * retried). */
    for (size_t i = 0; i < n; i++) {
        watches[i] = pipeline_job_watch(p, env, &items[i]);
        if (items[i].valid)
            jobs[n_jobs++] = items[i].job;
    }
    size_t handled = pipeline_embed_batch(p, env, queue, items, jobs, n, n_jobs);
    for (size_t i = 0; i < n; i++)
        task_cancel_unwatch(watches[i]);
    free(m);
    return handled;
}

static void pipeline_idle(struct pipeline *p, unsigned seen_seq)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += PIPELINE_IDLE_POLL_MS * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->lock);
    while (p->wake_seq == seen_seq && !atomic_load(&p->stopping))
        if (pthread_cond_timedwait(&p->wake, &p->lock, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&p->lock);
}

/* One thread's turn: its own topic while it finds work (up to a time slice), the other topic
 * only when its own had nothing. Half the threads lean to semantic jobs, half to embedding, so
 * each topic always has threads, summaries keep feeding the embedder while its calls wait on
 * the provider (a hanging embedder never stops summaries), and embedding batches fill up instead
 * of leaving one by one. */
static size_t pipeline_turn(struct pipeline *p, const struct pipeline_env *env,
                            struct plugin_instance *queue, int embed_first)
{
    size_t done = 0, n;
    int64_t until = clock_monotonic_ns() + PIPELINE_SLICE_MS * 1000000LL;
    do {
        n = embed_first ? pipeline_run_embed(p, env, queue) : pipeline_run_semantic(p, env, queue);
        done += n;
    } while (n > 0 && !atomic_load(&p->stopping) && clock_monotonic_ns() < until);
    if (done == 0 && !atomic_load(&p->stopping))
        done += embed_first ? pipeline_run_semantic(p, env, queue) : pipeline_run_embed(p, env, queue);
    return done;
}

static void *pipeline_thread(void *arg)
{
    struct pipeline_thread_arg *ta = arg;
    struct pipeline *p = ta->p;
    struct app *app = p->app;
    while (!atomic_load(&p->stopping)) {
        pthread_mutex_lock(&p->lock);
        unsigned seq = p->wake_seq;
        pthread_mutex_unlock(&p->lock);
        /* Nothing is leased before recovery has re-queued unfinished work: the queue merges a
         * re-queued job only into a pending twin, so a job leased meanwhile would run twice. */
        int recovering = atomic_load(&app->recovery) == RECOVERY_RUNNING;
        struct store *st = recovering ? NULL : atomic_load(&app->store);
        struct generation *gen = st ? runtime_acquire(&app->runtime) : NULL;
        size_t done = 0;
        if (gen) {
            struct pipeline_env env = {app, gen, st, &ta->cancel};
            struct plugin_instance *queue = gen->backends[BACKEND_QUEUE]->inst;
            done = pipeline_turn(p, &env, queue, ta->index % 2 == 1);
            runtime_release(&app->runtime, gen);
        }
        if (done == 0)
            pipeline_idle(p, seq);
    }
    atomic_fetch_sub(&p->running, 1);
    return NULL;
}

int pipeline_start(struct app *app, unsigned n_threads, struct pipeline **out, char *err,
                   size_t err_cap)
{
    struct pipeline *p = calloc(1, sizeof *p);
    pthread_t *threads = calloc(n_threads, sizeof *threads);
    struct pipeline_thread_arg *args = calloc(n_threads, sizeof *args);
    if (!p || !threads || !args) {
        free(p);
        free(threads);
        free(args);
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    p->app = app;
    p->threads = threads;
    p->args = args;
    snprintf(p->owner, sizeof p->owner, "%spipeline", app->lease_owner_prefix);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, &ca);
    pthread_condattr_destroy(&ca);
    for (unsigned i = 0; i < n_threads; i++) {
        p->args[i] = (struct pipeline_thread_arg){.p = p, .index = i};
        int rc = pthread_create(&p->threads[i], NULL, pipeline_thread, &p->args[i]);
        if (rc != 0) {
            snprintf(err, err_cap, "cannot start pipeline thread: %s", strerror(rc));
            pipeline_stop(p, clock_monotonic_ns(), 0);
            return -1;
        }
        p->n_threads++;
        atomic_fetch_add(&p->running, 1);
    }
    *out = p;
    return 0;
}

static void pipeline_wait_running(struct pipeline *p, int64_t until_ns)
{
    while (atomic_load(&p->running) > 0 && clock_monotonic_ns() < until_ns)
        clock_sleep_ns(5 * 1000000LL);
}

unsigned pipeline_stop(struct pipeline *p, int64_t deadline_ns, int64_t grace_ns)
{
    atomic_store(&p->stopping, 1);
    pipeline_wake(p);
    pipeline_wait_running(p, deadline_ns);
    if (atomic_load(&p->running) > 0) {
        atomic_store(&p->cancel, 1);
        for (unsigned i = 0; i < p->n_threads; i++)
            atomic_store(&p->args[i].cancel, 1);
        pipeline_wait_running(p, clock_monotonic_ns() + grace_ns);
    }
    unsigned stuck = atomic_load(&p->running);
    if (stuck) {
        /* Threads inside a call that ignores its deadline keep p; leave it for the exit. */
        for (unsigned i = 0; i < p->n_threads; i++)
            pthread_detach(p->threads[i]);
        return stuck;
    }
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p->threads);
    free(p->args);
    free(p);
    return 0;
}
