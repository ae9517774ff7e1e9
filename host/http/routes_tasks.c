/*
 * Tasks (OpenViking section 2.8): GET /api/v1/tasks/{id}, POST /api/v1/tasks/{id}/cancel and
 * GET /api/v1/tasks. Records belong to (account, user); anyone else's task does not exist. An
 * unfinished add_resource task is settled from its nodes' states when read, so a task whose jobs
 * ran before a crash (or were merged with others) still ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/api_call.h"
#include "http/router.h"
#include "http/task_view.h"
#include "http/waiters.h"
#include "pipeline/task_track.h"
#include "session/task_cancel.h"

#define TASKS_LIST_DEFAULT 50
#define TASKS_LIST_MAX 200

static void tasks_not_found(struct api_call *c, const char *id)
{
    http_reply_error(c->reply, "NOT_FOUND", json_pack("{s:s, s:s}", "type", "task", "resource", id),
                     "Task not found or expired: %s", id);
}

/* Reads the caller's task, settling it first when its work may be over. */
static int tasks_read(struct api_call *c, const char *id, struct store_task *out)
{
    char err[512];
    int rc = store_task_get(c->store, c->who.account, c->who.user, id, out, err, sizeof err);
    if (rc == STORE_OK && !task_is_terminal(out->status) && out->resource_id) {
        int terminal = 0;
        if (task_track_settle(c->store, c->who.account, id, 0, &terminal, err, sizeof err) !=
            STORE_OK) {
            http_reply_error(c->reply, "INTERNAL", NULL, "settling task %s: %s", id, err);
            store_task_clear(out);
            return -1;
        }
        if (terminal) {
            store_task_clear(out);
            rc = store_task_get(c->store, c->who.account, c->who.user, id, out, err, sizeof err);
        }
    }
    if (rc == STORE_ENOTFOUND) {
        tasks_not_found(c, id);
        return -1;
    }
    if (rc != STORE_OK) {
        http_reply_error(c->reply, "INTERNAL", NULL, "reading task %s: %s", id, err);
        return -1;
    }
    return 0;
}

static void tasks_reply(struct api_call *c, const struct store_task *t)
{
    json_t *view = task_view_json(t);
    if (!view)
        http_reply_error(c->reply, "INTERNAL", NULL, "out of memory");
    else
        http_reply_ok(c->reply, view);
}

static void tasks_get(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    const char *id = http_request_param(req, 0);
    struct store_task t = {0};
    if (tasks_read(&c, id, &t) != 0)
        return;
    tasks_reply(&c, &t);
    store_task_clear(&t);
}

static int tasks_cancellable(const char *type)
{
    return strcmp(type, "add_resource") == 0 || strcmp(type, "session_commit") == 0 ||
           strcmp(type, "admin_reindex") == 0;
}

/* Marks the task cancelled and cancels its backend calls in flight. Its stored content stays and
 * its queued pipeline jobs still run (they only make what is stored consistent); a commit's
 * phase 2 ends cancelled. */
static void tasks_cancel(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    if (c.who.role == AUTH_ROLE_ROOT && auth_table_mode(gen->config->auth) == AUTH_MODE_API_KEY) {
        http_reply_error(reply, "PERMISSION_DENIED", NULL,
                         "the root key has no tasks of its own; cancel with the owner's key");
        return;
    }
    const char *id = http_request_param(req, 0);
    struct store_task t = {0};
    if (tasks_read(&c, id, &t) != 0)
        return;
    char err[512];
    if (!tasks_cancellable(t.task_type)) {
        http_reply_error(reply, "FAILED_PRECONDITION",
                         json_pack("{s:s, s:s}", "task_id", id, "task_type", t.task_type),
                         "tasks of type %s cannot be cancelled", t.task_type);
    } else if (task_is_terminal(t.status)) {
        http_reply_error(reply, "FAILED_PRECONDITION",
                         json_pack("{s:s, s:s}", "task_id", id, "status", t.status),
                         "task %s already ended: %s", id, t.status);
    } else if (store_task_update(c.store, id, "cancelled", "cancelled", NULL,
                                 "cancelled by the user", err, sizeof err) != STORE_OK) {
        http_reply_error(reply, "INTERNAL", NULL, "cancelling task %s: %s", id, err);
    } else {
        task_cancel_run(id); /* its calls in flight end within 2 s, freeing lane and worker */
        store_task_clear(&t);
        waiters_poke(req->app->waiters);
        if (tasks_read(&c, id, &t) != 0)
            return;
        tasks_reply(&c, &t);
    }
    store_task_clear(&t);
}

struct tasks_page {
    struct store_task *items;
    size_t n, cap;
    int oom;
};

static int tasks_collect(void *arg, const struct store_task *task)
{
    struct tasks_page *p = arg;
    if (p->n == p->cap) {
        p->oom = 1;
        return 1;
    }
    struct store_task *t = &p->items[p->n];
    memset(t, 0, sizeof *t);
    memcpy(t->task_id, task->task_id, sizeof t->task_id);
    t->created_ms = task->created_ms;
    t->updated_ms = task->updated_ms;
    t->jobs_total = task->jobs_total;
    t->jobs_done = task->jobs_done;
    t->jobs_failed = task->jobs_failed;
#define TASKS_DUP(f) (task->f && !(t->f = strdup(task->f)))
    if (TASKS_DUP(account) || TASKS_DUP(user) || TASKS_DUP(task_type) || TASKS_DUP(status) ||
        TASKS_DUP(stage) || TASKS_DUP(resource_id) || TASKS_DUP(result_json) || TASKS_DUP(error)) {
        store_task_clear(t);
        p->oom = 1;
        return 1;
    }
#undef TASKS_DUP
    p->n++;
    return 0;
}

struct tasks_ids {
    char ids[TASKS_LIST_MAX][40];
    size_t n;
};

static int tasks_collect_id(void *arg, const struct store_task *task)
{
    struct tasks_ids *t = arg;
    snprintf(t->ids[t->n++], sizeof t->ids[0], "%s", task->task_id);
    return t->n == TASKS_LIST_MAX;
}

/* Most open tasks settled for one listing: a bound on its work after a restart left thousands. */
#define TASKS_SETTLE_MAX 20000

/* Settles the caller's open tasks before a listing filters on status: a task whose work is over
 * but that nobody read since still says running in the store. Pages through the newest open
 * tasks until a page settles none. */
static int tasks_settle_open(struct api_call *c)
{
    static const char *const open_states[] = {"pending", "running"};
    struct tasks_ids *t = malloc(sizeof *t);
    char err[512];
    int rc = t ? STORE_OK : STORE_ENOMEM;
    size_t settled = 0;
    for (size_t s = 0; rc == STORE_OK && s < 2 && settled < TASKS_SETTLE_MAX;) {
        t->n = 0;
        rc = store_task_list(c->store, c->who.account, c->who.user, NULL, open_states[s], NULL,
                             TASKS_LIST_MAX, tasks_collect_id, t, err, sizeof err);
        size_t ended = 0;
        for (size_t i = 0; rc == STORE_OK && i < t->n; i++) {
            int terminal = 0;
            rc = task_track_settle(c->store, c->who.account, t->ids[i], 0, &terminal, err,
                                   sizeof err);
            ended += terminal;
        }
        settled += ended;
        if (ended == 0)
            s++;
    }
    free(t);
    if (rc != STORE_OK)
        http_reply_error(c->reply, "INTERNAL", NULL, "settling tasks: %s",
                         rc == STORE_ENOMEM ? "out of memory" : err);
    return rc == STORE_OK ? 0 : -1;
}

static void tasks_list(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    long long limit;
    if (api_query_int(&c, "limit", TASKS_LIST_DEFAULT, 1, TASKS_LIST_MAX, &limit) != 0)
        return;
    const char *type = http_request_query(req, "task_type");
    const char *status = http_request_query(req, "status");
    const char *resource = http_request_query(req, "resource_id");
    if (tasks_settle_open(&c) != 0)
        return;
    char resource_canon[VIKING_URI_MAX + 1];
    char reason[128];
    /* Task resource ids are canonical URIs; accept what a client copied with a trailing '/'. */
    if (resource && *resource &&
        viking_uri_canonicalize(resource, &c.who, resource_canon, sizeof resource_canon, reason,
                                sizeof reason) == 0)
        resource = resource_canon;
    struct tasks_page page = {calloc((size_t)limit, sizeof(struct store_task)), 0, (size_t)limit,
                              0};
    char err[512];
    json_t *out = json_array();
    if (!page.items || !out) {
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
        goto done;
    }
    int rc =
        store_task_list(c.store, c.who.account, c.who.user, type && *type ? type : NULL,
                        status && *status ? status : NULL, resource && *resource ? resource : NULL,
                        (unsigned)limit, tasks_collect, &page, err, sizeof err);
    if (rc != STORE_OK || page.oom) {
        http_reply_error(reply, "INTERNAL", NULL, "listing tasks: %s",
                         page.oom ? "out of memory" : err);
        goto done;
    }
    for (size_t i = 0; i < page.n; i++) {
        json_t *view = task_view_json(&page.items[i]);
        if (!view || json_array_append_new(out, view) != 0) {
            http_reply_error(reply, "INTERNAL", NULL, "out of memory");
            goto done;
        }
    }
    http_reply_ok(reply, out);
    out = NULL;
done:
    json_decref(out);
    for (size_t i = 0; i < page.n; i++)
        store_task_clear(&page.items[i]);
    free(page.items);
}

const struct route routes_tasks[] = {
    {"GET", "/api/v1/tasks", 0, NULL, tasks_list},
    {"GET", "/api/v1/tasks/*", 0, NULL, tasks_get},
    {"POST", "/api/v1/tasks/*/cancel", 0, NULL, tasks_cancel},
    {NULL, NULL, 0, NULL, NULL},
};
