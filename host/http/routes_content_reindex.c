/*
 * POST /api/v1/content/reindex. Every run is an admin_reindex task whose resource is the URI, so
 * a second run on the same URI by the same user is refused (409) while one is going.
 * vectors_only and semantic_and_vectors queue the subtree's jobs for the task and, with wait,
 * park the request until they ran; prune_orphans does its work at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "http/api_call.h"
#include "http/reindex_prune.h"
#include "http/routes_content_change.h"
#include "http/task_view.h"
#include "http/waiters.h"
#include "pipeline/pipeline.h"
#include "pipeline/rescan.h"
#include "pipeline/task_track.h"

#define REINDEX_TASK_TYPE "admin_reindex"
#define REINDEX_RUNNING_MAX 8

static const char *const reindex_fields[] = {"uri",       "mode",     "wait", "dry_run",
                                             "recursive", "tags",     "tag_mode", NULL};

enum reindex_mode { REINDEX_VECTORS = 0, REINDEX_SEMANTIC = 1, REINDEX_PRUNE = 2 };
static const char *const reindex_mode_names[] = {"vectors_only", "semantic_and_vectors",
                                                 "prune_orphans"};

/* One run: what its result reports. Also the waiter's argument. */
struct reindex_run {
    char account[AUTH_ID_MAX + 1];
    char task_id[TASK_VIEW_ID_LEN + 1];
    char uri[VIKING_URI_MAX + 1];
    enum reindex_mode mode;
    const char *object_type;
    uint64_t scanned;
    int64_t started_ns;
    json_t *warnings; /* owned array of strings */
};

static void reindex_run_free(void *arg)
{
    struct reindex_run *r = arg;
    if (!r)
        return;
    json_decref(r->warnings);
    free(r);
}

/* The object type OpenViking reports for a target; NULL for a session (never reindexed). */
static const char *reindex_object_type(const char *uri)
{
    if (strcmp(uri, "viking://") == 0)
        return "global_namespace";
    if (reindex_prune_is_session(uri))
        return NULL;
    static const char user[] = "viking://user";
    if (strcmp(uri, user) == 0 ||
        (strncmp(uri, user, sizeof user - 1) == 0 && !strchr(uri + sizeof user, '/')))
        return "user_namespace";
    const char *type = viking_uri_context_type(uri);
    if (strcmp(type, "skill") == 0)
        return strcmp(viking_uri_name(uri), "skills") == 0 ? "skill_namespace" : "skill";
    return strcmp(type, "memory") == 0 ? "memory" : "resource";
}

static json_t *reindex_result(const struct reindex_run *r, const char *status, uint64_t rebuilt,
                              uint64_t deleted, uint64_t would_delete, uint64_t failed)
{
    json_int_t ms = (json_int_t)((clock_monotonic_ns() - r->started_ns) / 1000000);
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:i, s:I, s:I, s:O}", "uri", r->uri,
                     "mode", reindex_mode_names[r->mode], "status", status, "object_type",
                     r->object_type, "scanned_records", (json_int_t)r->scanned, "rebuilt_records",
                     (json_int_t)rebuilt, "deleted_records", (json_int_t)deleted,
                     "would_delete_records", (json_int_t)would_delete, "unsupported_records", 0,
                     "failed_records", (json_int_t)failed, "duration_ms", ms, "warnings",
                     r->warnings);
}

/* The result so far as JSON text (malloc'd; NULL when out of memory), stored on the task so that
 * whoever settles it (the pipeline, for a run nobody waits on) reports this shape. */
static char *reindex_result_text(const struct reindex_run *r, const char *status)
{
    json_t *result = reindex_result(r, status, 0, 0, 0, 0);
    char *text = result ? json_dumps(result, JSON_COMPACT) : NULL;
    json_decref(result);
    return text;
}

struct reindex_busy {
    uint64_t n;
};

static int reindex_busy_visit(void *arg, const struct skald_queue_topic_stats *s)
{
    struct reindex_busy *b = arg;
    if (strcmp(s->topic, JOB_TOPIC_SEMANTIC) == 0 || strcmp(s->topic, JOB_TOPIC_EMBEDDING) == 0)
        b->n += s->pending + s->leased;
    return 0;
}

/* Whether the pipeline has nothing queued or running: jobs of a run that the queue merged into
 * identical ones of another task never count on this run's task, and have run once this holds. */
static int reindex_queue_idle(struct app *app)
{
    struct generation *gen = runtime_acquire(&app->runtime);
    if (!gen)
        return 0;
    struct plugin_instance *q = gen->backends[BACKEND_QUEUE]->inst;
    char err[256];
    atomic_int never = 0;
    struct skald_call_ctx ctx = {sizeof ctx, 0, clock_monotonic_ns() + 5000000000LL, &never, err,
                                 sizeof err};
    struct reindex_busy busy = {0};
    int rc = plugin_instance_ops(q, queue)->stats(q->handle, &ctx, reindex_busy_visit, &busy);
    runtime_release(&app->runtime, gen);
    return rc == SKALD_OK && busy.n == 0;
}

/* Settles a rebuild task whose work is over. Returns 1 (over; *t filled, the caller clears it),
 * 0 (still running) or -1 (err set). */
static int reindex_settle(struct app *app, struct store *st, const char *account,
                          const char *task_id, struct store_task *t, char *err, size_t err_cap)
{
    /* The queue first: the pipeline counts a job on its task before acking it, so counters read
     * after an idle queue include every job. */
    int idle = reindex_queue_idle(app);
    memset(t, 0, sizeof *t);
    if (store_task_get(st, account, NULL, task_id, t, err, err_cap) != STORE_OK)
        return -1;
    if (task_is_terminal(t->status))
        return 1;
    if (t->jobs_done + t->jobs_failed < t->jobs_total && !idle) {
        store_task_clear(t);
        return 0;
    }
    if (store_task_update(st, task_id, "completed", "done", NULL, NULL, err, err_cap) != STORE_OK) {
        store_task_clear(t);
        return -1;
    }
    return 1;
}

/* Settles r's task if its work is over and builds the result. 1, 0 or -1 as reindex_settle. */
static int reindex_poll(struct app *app, struct store *st, struct reindex_run *r,
                        json_t **result, char *err, size_t err_cap)
{
    struct store_task t;
    int over = reindex_settle(app, st, r->account, r->task_id, &t, err, err_cap);
    if (over != 1)
        return over;
    *result = reindex_result(r, "completed", t.jobs_done, 0, 0, t.jobs_failed);
    store_task_clear(&t);
    char *text = *result ? json_dumps(*result, JSON_COMPACT) : NULL;
    if (!text) {
        json_decref(*result);
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    int rc = store_task_update(st, r->task_id, NULL, NULL, text, NULL, err, err_cap);
    free(text);
    if (rc != STORE_OK) {
        json_decref(*result);
        return -1;
    }
    return 1;
}

static int reindex_wait_check(void *arg, struct app *app, struct http_reply *reply)
{
    struct reindex_run *r = arg;
    struct store *st = atomic_load(&app->store);
    json_t *result = NULL;
    char err[512];
    int over = st ? reindex_poll(app, st, r, &result, err, sizeof err) : 0;
    if (over == 0)
        return 0;
    if (over < 0)
        http_reply_error(reply, "INTERNAL", NULL, "reindex of %s: %s", r->uri, err);
    else
        http_reply_ok(reply, result);
    return 1;
}

static void reindex_wait_timeout(void *arg, struct http_reply *reply)
{
    struct reindex_run *r = arg;
    http_reply_error(reply, "DEADLINE_EXCEEDED", json_pack("{s:s, s:s}", "operation", "reindex",
                                                           "task_id", r->task_id),
                     "reindex of %s did not finish in time; its task goes on", r->uri);
}

struct reindex_running {
    char ids[REINDEX_RUNNING_MAX][sizeof ((struct store_task *)0)->task_id];
    size_t n;
};

static int reindex_running_visit(void *arg, const struct store_task *t)
{
    struct reindex_running *r = arg;
    snprintf(r->ids[r->n++], sizeof r->ids[0], "%s", t->task_id);
    return r->n == REINDEX_RUNNING_MAX;
}

/* 409 when the caller already runs a reindex of uri. 0, or -1 after the reply. */
static int reindex_check_conflict(struct api_call *c, const char *uri)
{
    struct reindex_running running = {0};
    char err[512];
    int rc = store_task_list(c->store, c->who.account, c->who.user, REINDEX_TASK_TYPE, "running",
                             uri, REINDEX_RUNNING_MAX, reindex_running_visit, &running, err,
                             sizeof err);
    for (size_t i = 0; rc == STORE_OK && i < running.n; i++) {
        struct store_task t;
        int over = reindex_settle(c->req->app, c->store, c->who.account, running.ids[i], &t, err,
                                  sizeof err);
        if (over == 1)
            store_task_clear(&t);
        if (over < 0)
            rc = STORE_EIO;
        if (over == 0) {
            http_reply_error(c->reply, "CONFLICT",
                             json_pack("{s:s, s:s, s:s}", "uri", uri, "conflict_type",
                                       "reindex_running", "task_id", running.ids[i]),
                             "URI %s already has a reindex in progress", uri);
            return -1;
        }
    }
    if (rc != STORE_OK) {
        api_store_error(c, rc, uri, err);
        return -1;
    }
    return 0;
}

static int reindex_task_create(struct api_call *c, struct reindex_run *r)
{
    char err[512];
    struct store_task t = {0};
    if (task_view_new_id(r->task_id, sizeof r->task_id) != 0) {
        http_reply_error(c->reply, "INTERNAL", NULL, "no random source for a task id");
        return -1;
    }
    memcpy(t.task_id, r->task_id, sizeof r->task_id);
    t.account = c->who.account;
    t.user = c->who.user;
    t.task_type = REINDEX_TASK_TYPE;
    t.status = "running";
    t.stage = "scanning";
    t.resource_id = r->uri;
    char *text = reindex_result_text(r, "running");
    t.result_json = text;
    int rc = text ? store_task_create(c->store, &t, err, sizeof err) : STORE_ENOMEM;
    free(text);
    if (rc == STORE_ENOMEM)
        snprintf(err, sizeof err, "out of memory");
    if (rc != STORE_OK) {
        api_store_error(c, rc, r->uri, err);
        return -1;
    }
    return 0;
}

/* Ends r's task as failed and answers with the error. */
static void reindex_fail(struct api_call *c, struct reindex_run *r, const char *code,
                         const char *what)
{
    char err[256];
    char *text = reindex_result_text(r, "failed");
    int rc = store_task_update(c->store, r->task_id, "failed", "done", text, what, err, sizeof err);
    free(text);
    if (rc != STORE_OK)
        snprintf(err, sizeof err, "(the task could not be marked failed either)");
    http_reply_error(c->reply, code, json_pack("{s:s}", "task_id", r->task_id), "reindex of %s: %s",
                     r->uri, what);
}

static void reindex_prune_run(struct api_call *c, struct reindex_run *r, int dry_run, int wait)
{
    struct skald_call_ctx ctx;
    char err[512], cerr[512];
    struct reindex_prune_result p;
    http_request_call_ctx(c->req, c->gen, &ctx, cerr, sizeof cerr);
    int rc = reindex_prune(c->gen, c->store, &ctx, c->who.account, r->uri, dry_run, &p, err,
                           sizeof err);
    if (rc != SKALD_OK) {
        reindex_fail(c, r, http_error_code_for_plugin(rc), err);
        return;
    }
    r->scanned = p.scanned;
    if (p.failed)
        json_array_append_new(r->warnings,
                              json_sprintf("%llu records were kept: their node could not be read",
                                           (unsigned long long)p.failed));
    json_t *result = reindex_result(r, "completed", 0, p.deleted, dry_run ? p.orphans : 0, p.failed);
    char *text = result ? json_dumps(result, JSON_COMPACT) : NULL;
    snprintf(err, sizeof err, "out of memory");
    rc = text ? store_task_update(c->store, r->task_id, "completed", "done", text, NULL, err,
                                  sizeof err)
              : STORE_ENOMEM;
    free(text);
    if (rc != STORE_OK) {
        json_decref(result);
        http_reply_error(c->reply, "INTERNAL", NULL, "recording the reindex of %s: %s", r->uri, err);
        return;
    }
    if (wait) {
        http_reply_ok(c->reply, result);
        return;
    }
    json_decref(result);
    http_reply_ok(c->reply, json_pack("{s:s, s:s, s:s, s:s, s:s}", "uri", r->uri, "mode",
                                      reindex_mode_names[r->mode], "object_type", r->object_type,
                                      "status", "accepted", "task_id", r->task_id));
}

/* Queues the rebuild jobs of r for its task. Returns a skald status with err set. */
static int reindex_queue(struct api_call *c, struct reindex_run *r, int subtree, int is_dir,
                         char *err, size_t err_cap)
{
    if (!subtree || !is_dir) {
        r->scanned = 1;
        struct job j;
        enum job_kind kind = is_dir && r->mode == REINDEX_SEMANTIC ? JOB_SEMANTIC : JOB_EMBED;
        if (job_make(&j, kind, c->who.account, r->uri, NULL) != 0) {
            snprintf(err, err_cap, "URI too long");
            return SKALD_EINVAL;
        }
        /* PENDING first, as a rescan does, so the task does not read finished before the job ran. */
        struct store_state_update u = {c->who.account, r->uri, kind == JOB_SEMANTIC ? 0 : 1,
                                       STORE_PROC_PENDING, NULL};
        if (store_set_states(c->store, &u, 1, NULL, err, err_cap) != STORE_OK)
            return SKALD_EIO;
        return pipeline_submit(c->req->app, c->gen, c->store, &j, 1, r->task_id, err, err_cap);
    }
    /* The root holds no rows of its own: its subtrees are the scopes'. */
    static const char *const scopes[] = {"viking://resources", "viking://user", "viking://agent"};
    const char *one[] = {r->uri};
    int whole = strcmp(r->uri, "viking://") == 0;
    const char *const *roots = whole ? scopes : one;
    size_t n_roots = whole ? 3 : 1;
    int64_t deadline = clock_monotonic_ns() +
                       (int64_t)c->gen->config->server.call_timeout_s * 1000000000LL;
    for (size_t i = 0; i < n_roots; i++) {
        struct rescan_result res;
        int rc = pipeline_rescan(c->req->app, c->gen, c->store, c->who.account, roots[i],
                                 r->mode == REINDEX_SEMANTIC ? RESCAN_ALL : RESCAN_VECTORS,
                                 r->task_id, deadline, &res, err, err_cap);
        r->scanned += res.scanned;
        if (rc == SKALD_ETIMEDOUT) {
            json_array_append_new(r->warnings, json_string(err));
            break;
        }
        if (rc != SKALD_OK)
            return rc;
    }
    return SKALD_OK;
}

static void reindex_rebuild(struct api_call *c, struct reindex_run *run, int subtree, int is_dir,
                            int wait)
{
    char err[512];
    /* A placeholder job keeps the task from looking finished while its jobs are being queued. */
    int rc = store_task_progress(c->store, run->task_id, 1, 0, 0, err, sizeof err) == STORE_OK
                 ? reindex_queue(c, run, subtree, is_dir, err, sizeof err)
                 : SKALD_EIO;
    if (rc == SKALD_OK && store_task_progress(c->store, run->task_id, -1, 0, 0, err, sizeof err) !=
                              STORE_OK)
        rc = SKALD_EIO;
    if (rc != SKALD_OK) {
        reindex_fail(c, run, http_error_code_for_plugin(rc), err);
        return;
    }
    char *text = reindex_result_text(run, "running");
    store_task_update(c->store, run->task_id, NULL, "processing", text, NULL, err, sizeof err);
    free(text);
    json_t *result = NULL;
    int over = reindex_poll(c->req->app, c->store, run, &result, err, sizeof err);
    if (over < 0) {
        http_reply_error(c->reply, "INTERNAL", NULL, "reindex of %s: %s", run->uri, err);
        return;
    }
    if (!wait) {
        json_decref(result);
        http_reply_ok(c->reply, json_pack("{s:s, s:s, s:s, s:s, s:s}", "uri", run->uri, "mode",
                                          reindex_mode_names[run->mode], "object_type",
                                          run->object_type, "status", "accepted", "task_id",
                                          run->task_id));
        return;
    }
    if (over == 1) {
        http_reply_ok(c->reply, result);
        return;
    }
    struct reindex_run *parked = malloc(sizeof *parked);
    struct waiters *w = c->req->app->waiters;
    if (!parked || !w) {
        free(parked);
        http_reply_error(c->reply, w ? "INTERNAL" : "UNAVAILABLE",
                         json_pack("{s:s}", "task_id", run->task_id),
                         "cannot wait for reindex task %s; it goes on", run->task_id);
        return;
    }
    *parked = *run;
    run->warnings = NULL; /* the parked copy owns them now */
    struct waiter_spec spec = {reindex_wait_check, reindex_wait_timeout, reindex_run_free, parked,
                               0};
    if (waiters_add(w, c->req, &spec) != 0)
        http_reply_error(c->reply, "UNAVAILABLE", NULL, "server is shutting down");
}

/* The body, checked; -1 after the reply. */
static int reindex_parse(struct api_call *c, json_t *body, struct reindex_run *r, int *wait,
                         int *dry_run, int *recursive, json_t **tags, const char **tag_mode)
{
    const char *raw, *mode;
    if (api_field_string(c, body, "uri", 1, &raw) != 0 ||
        api_field_string(c, body, "mode", 0, &mode) != 0 ||
        api_field_bool(c, body, "wait", 1, wait) != 0 ||
        api_field_bool(c, body, "dry_run", 0, dry_run) != 0 ||
        api_field_bool(c, body, "recursive", 1, recursive) != 0 ||
        api_field_tags(c, body, "tags", tags) != 0 ||
        api_field_string(c, body, "tag_mode", 0, tag_mode) != 0)
        return -1;
    mode = mode ? mode : reindex_mode_names[REINDEX_VECTORS];
    size_t m = 0;
    while (m < 3 && strcmp(mode, reindex_mode_names[m]) != 0)
        m++;
    if (m == 3) {
        api_invalid(c, "body.mode",
                    "'%s' is not one of 'vectors_only', 'semantic_and_vectors', 'prune_orphans'",
                    mode);
        return -1;
    }
    r->mode = (enum reindex_mode)m;
    *tag_mode = *tag_mode ? *tag_mode : "replace";
    if (strcmp(*tag_mode, "replace") != 0 && strcmp(*tag_mode, "append") != 0) {
        api_invalid(c, "body.tag_mode", "'%s' is not one of 'replace', 'append'", *tag_mode);
        return -1;
    }
    if (*dry_run && r->mode != REINDEX_PRUNE) {
        http_reply_error(c->reply, "INVALID_ARGUMENT", json_pack("{s:s}", "mode", mode),
                         "dry_run is only supported for prune_orphans reindex mode");
        return -1;
    }
    if (api_uri(c, "body.uri", raw, r->uri) != 0)
        return -1;
    r->object_type = reindex_object_type(r->uri);
    if (!r->object_type) {
        http_reply_error(c->reply, "UNSUPPORTED_URI", json_pack("{s:s}", "uri", r->uri),
                         "Unsupported reindex URI: %s (sessions are never reindexed)", r->uri);
        return -1;
    }
    char own[VIKING_URI_MAX + 1];
    snprintf(own, sizeof own, "viking://user/%s", c->who.user);
    if (c->who.role == AUTH_ROLE_USER && !viking_uri_is_under(r->uri, own)) {
        http_reply_error(c->reply, "PERMISSION_DENIED", json_pack("{s:s}", "uri", r->uri),
                         "a user may only reindex its own namespace %s", own);
        return -1;
    }
    return 0;
}

void routes_content_reindex(struct http_request *req, struct generation *gen,
                            struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = api_body(&c, reindex_fields);
    if (!body)
        return;
    struct reindex_run run = {.started_ns = clock_monotonic_ns(), .warnings = json_array()};
    snprintf(run.account, sizeof run.account, "%s", c.who.account);
    int wait, dry_run, recursive, is_dir = 1;
    json_t *tags;
    const char *tag_mode;
    char err[512];
    if (!run.warnings) {
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
        goto done;
    }
    if (reindex_parse(&c, body, &run, &wait, &dry_run, &recursive, &tags, &tag_mode) != 0)
        goto done;
    if (run.mode != REINDEX_PRUNE) {
        struct store_node n = {0};
        int rc = store_get(c.store, c.who.account, run.uri, 0, &n, err, sizeof err);
        is_dir = n.kind == STORE_DIR;
        store_node_clear(&n);
        if (rc != STORE_OK) {
            api_store_error(&c, rc, run.uri, err);
            goto done;
        }
    }
    if (reindex_check_conflict(&c, run.uri) != 0)
        goto done;
    if (tags && run.mode != REINDEX_PRUNE) {
        char *text = json_dumps(tags, JSON_COMPACT);
        snprintf(err, sizeof err, "out of memory");
        int rc = text ? store_set_tags(c.store, c.who.account, run.uri, text,
                                       strcmp(tag_mode, "append") == 0, recursive, err, sizeof err)
                      : STORE_ENOMEM;
        free(text);
        if (rc != STORE_OK) {
            api_store_error(&c, rc, run.uri, err);
            goto done;
        }
    }
    if (reindex_task_create(&c, &run) != 0)
        goto done;
    if (run.mode == REINDEX_PRUNE)
        reindex_prune_run(&c, &run, dry_run, wait);
    else
        reindex_rebuild(&c, &run, recursive, is_dir, wait);
done:
    json_decref(run.warnings);
    json_decref(body);
}
