#include "http/index_wait.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "http/waiters.h"
#include "pipeline/index_sync.h"
#include "pipeline/pipeline.h"

static int index_wait_has_sidecars(const char *dir)
{
    return strcmp(dir, "viking://") != 0 && strcmp(dir, "viking://resources") != 0 &&
           strcmp(dir, "viking://user") != 0 && strcmp(dir, "viking://agent") != 0;
}

int index_wait_refresh_parent(struct api_call *c, const char *uri, char *parent, size_t parent_cap)
{
    char dir[VIKING_URI_MAX + 1], err[512];
    if (viking_uri_parent(uri, dir, sizeof dir) != 0 || !index_wait_has_sidecars(dir))
        return 0;
    int rc = store_set_state(c->store, c->who.account, dir, INDEX_WAIT_SEMANTIC, STORE_PROC_PENDING,
                             NULL, err, sizeof err);
    if (rc == STORE_ENOTFOUND)
        return 0;
    if (rc != STORE_OK) {
        api_store_error(c, rc, dir, err);
        return -1;
    }
    rc = index_refresh_parent(c->req->app, c->gen, c->store, c->who.account, uri, NULL, err,
                              sizeof err);
    if (rc != SKALD_OK) {
        http_reply_error(c->reply, http_error_code_for_plugin(rc), NULL,
                         "queueing the refresh of %s: %s", dir, err);
        return -1;
    }
    if (parent)
        snprintf(parent, parent_cap, "%s", dir);
    return 1;
}

int index_wait_embed(struct api_call *c, const char *uri)
{
    struct job j;
    char err[512];
    if (job_make(&j, JOB_EMBED, c->who.account, uri, NULL) != 0) {
        http_reply_error(c->reply, "INVALID_ARGUMENT", NULL, "URI too long: %s", uri);
        return -1;
    }
    int rc = pipeline_submit(c->req->app, c->gen, c->store, &j, 1, NULL, err, sizeof err);
    if (rc != SKALD_OK) {
        http_reply_error(c->reply, http_error_code_for_plugin(rc), NULL,
                         "queueing the vectors of %s: %s", uri, err);
        return -1;
    }
    return 0;
}

struct index_wait {
    char account[AUTH_ID_MAX + 1];
    struct index_wait_target *targets;
    enum store_proc_state *states;
    size_t n;
    json_t *result;
    index_wait_done_fn done;
    char operation[64];
    double timeout_s;
};

static void index_wait_free(void *arg)
{
    struct index_wait *w = arg;
    if (!w)
        return;
    json_decref(w->result);
    free(w->targets);
    free(w->states);
    free(w);
}

static int index_wait_check(void *arg, struct app *app, struct http_reply *reply)
{
    struct index_wait *w = arg;
    struct store *st = atomic_load(&app->store);
    if (!st)
        return 0;
    for (size_t i = 0; i < w->n; i++) {
        struct store_node node = {0};
        char err[256];
        int rc = store_get(st, w->account, w->targets[i].uri, 0, &node, err, sizeof err);
        if (rc != STORE_OK && rc != STORE_ENOTFOUND) {
            http_reply_error(reply, "INTERNAL", NULL, "storage failed on %s: %s",
                             w->targets[i].uri, err);
            return 1;
        }
        w->states[i] = rc == STORE_ENOTFOUND ? STORE_PROC_NONE
                       : w->targets[i].which == INDEX_WAIT_SEMANTIC ? node.semantic
                                                                    : node.vectors;
        store_node_clear(&node);
        if (w->states[i] == STORE_PROC_PENDING)
            return 0;
    }
    w->done(w->result, w->states, w->n);
    http_reply_ok(reply, json_incref(w->result));
    return 1;
}

static void index_wait_timeout(void *arg, struct http_reply *reply)
{
    struct index_wait *w = arg;
    http_reply_error(reply, "DEADLINE_EXCEEDED",
                     json_pack("{s:s, s:f}", "operation", w->operation, "timeout", w->timeout_s),
                     "%s did not finish within %g s; the work goes on", w->operation, w->timeout_s);
}

int index_wait_park(struct api_call *c, const struct index_wait_target *targets, size_t n,
                    json_t *result, index_wait_done_fn done, const char *operation,
                    double timeout_s)
{
    struct waiters *waiters = c->req->app->waiters;
    struct index_wait *w = calloc(1, sizeof *w);
    if (w) {
        w->targets = calloc(n ? n : 1, sizeof *w->targets);
        w->states = calloc(n ? n : 1, sizeof *w->states);
    }
    if (!w || !w->targets || !w->states || !waiters) {
        if (w)
            w->result = result;
        else
            json_decref(result);
        index_wait_free(w);
        http_reply_error(c->reply, waiters ? "INTERNAL" : "UNAVAILABLE", NULL,
                         waiters ? "out of memory" : "waiting is not available yet");
        return -1;
    }
    snprintf(w->account, sizeof w->account, "%s", c->who.account);
    memcpy(w->targets, targets, n * sizeof *targets);
    w->n = n;
    w->result = result;
    w->done = done;
    snprintf(w->operation, sizeof w->operation, "%s", operation);
    w->timeout_s = timeout_s;
    /* Past about 30 years a limit is no limit. */
    int64_t deadline = timeout_s < 0 || timeout_s > 1e9
                           ? 0
                           : clock_monotonic_ns() + (int64_t)(timeout_s * 1e9);
    struct waiter_spec spec = {index_wait_check, index_wait_timeout, index_wait_free, w, deadline};
    if (waiters_add(waiters, c->req, &spec) != 0) {
        http_reply_error(c->reply, "UNAVAILABLE", NULL, "server is shutting down");
        return -1;
    }
    return 0;
}
