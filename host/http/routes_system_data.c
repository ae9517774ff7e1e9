/*
 * POST /api/v1/system/wait (park until the pipeline's queues are drained) and
 * POST /api/v1/system/consistency (the vector records a subtree should have against those the
 * vector plugin holds).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "http/api_call.h"
#include "http/queue_view.h"
#include "http/router.h"
#include "http/waiters.h"
#include "pipeline/job.h"

/* Missing and orphan records listed in a consistency answer; the counts are always complete. */
#define CONSISTENCY_MAX_LISTED 1000

struct wait_arg {
    char account[AUTH_ID_MAX + 1];
    double timeout_s;
};

/* On the waiter thread: done once neither queue has an item pending or leased, and startup
 * recovery has queued what a previous run left unfinished (it may still be scanning when
 * storage is already open). */
static int wait_check(void *arg, struct app *app, struct http_reply *reply)
{
    struct wait_arg *w = arg;
    if (atomic_load(&app->recovery) == RECOVERY_RUNNING)
        return 0;
    struct generation *gen = runtime_acquire(&app->runtime);
    if (!gen)
        return 0;
    struct queue_view v;
    char err[512];
    int done = 0;
    if (queue_view_collect(app, gen, NULL, &v, err, sizeof err) == SKALD_OK &&
        queue_view_idle(&v)) {
        queue_view_free(&v);
        done = 1;
        if (queue_view_collect(app, gen, w->account, &v, err, sizeof err) != SKALD_OK) {
            http_reply_error(reply, "INTERNAL", NULL, "reading the queues: %s", err);
        } else {
            json_t *status = queue_view_status(&v);
            if (status)
                http_reply_ok(reply, status);
            else
                http_reply_error(reply, "INTERNAL", NULL, "out of memory");
        }
    }
    queue_view_free(&v);
    runtime_release(&app->runtime, gen);
    return done;
}

static void wait_timeout(void *arg, struct http_reply *reply)
{
    struct wait_arg *w = arg;
    http_reply_error(reply, "DEADLINE_EXCEEDED",
                     json_pack("{s:s, s:f}", "operation", "system.wait", "timeout", w->timeout_s),
                     "queues still busy after %.3g s; the work goes on", w->timeout_s);
}

static void system_wait(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = api_body(&c, NULL);
    if (!body)
        return;
    double timeout = 0;
    int has_timeout =
        json_object_get(body, "timeout") && !json_is_null(json_object_get(body, "timeout"));
    int rc = api_field_number(&c, body, "timeout", 0, &timeout);
    json_decref(body);
    if (rc != 0)
        return;
    if (has_timeout && (!isfinite(timeout) || timeout < 0 || timeout > 1e6)) {
        api_invalid(&c, "body.timeout", "must be a number of seconds from 0 to 1000000");
        return;
    }
    struct wait_arg *w = calloc(1, sizeof *w);
    if (!w) {
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
        return;
    }
    snprintf(w->account, sizeof w->account, "%s", c.who.account);
    w->timeout_s = timeout;
    struct waiter_spec spec = {wait_check, wait_timeout, free, w,
                               has_timeout ? clock_monotonic_ns() + (int64_t)(timeout * 1e9) : 0};
    if (!req->app->waiters || waiters_add(req->app->waiters, req, &spec) != 0) {
        if (!req->app->waiters)
            free(w);
        http_reply_error(reply, "UNAVAILABLE", NULL, "the server is shutting down");
    }
}

/* ---- consistency ---- */

struct expected {
    char *key; /* vector record id */
    char *uri; /* the node */
    int level;
    int seen;
};

struct consistency {
    struct api_call *c;
    struct expected *items;
    size_t n, cap;
    int oom;
    const char *root;
    uint64_t orphans;
    json_t *orphan_list;
};

static int consistency_add(struct consistency *s, const char *uri, int level)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        struct expected *grown = realloc(s->items, cap * sizeof *grown);
        if (!grown)
            return -1;
        s->items = grown;
        s->cap = cap;
    }
    char key[VIKING_URI_MAX + 2 * AUTH_ID_MAX + 8];
    if (job_vector_id(s->c->who.account, level, uri, key, sizeof key) != 0)
        return 0;
    struct expected *e = &s->items[s->n];
    e->key = strdup(key);
    e->uri = strdup(uri);
    e->level = level;
    e->seen = 0;
    if (!e->key || !e->uri) {
        free(e->key);
        free(e->uri);
        return -1;
    }
    s->n++;
    return 0;
}

/* A directory expects its L0 and L1 records when those sidecars exist; a file its L2. */
static int consistency_node(void *arg, const struct store_node *node)
{
    struct consistency *s = arg;
    int bad = 0;
    if (node->kind == STORE_DIR) {
        if (node->l0)
            bad |= consistency_add(s, node->uri, 0);
        if (node->l1)
            bad |= consistency_add(s, node->uri, 1);
    } else {
        bad |= consistency_add(s, node->uri, 2);
    }
    if (bad)
        s->oom = 1;
    return bad;
}

static int expected_cmp(const void *a, const void *b)
{
    return strcmp(((const struct expected *)a)->key, ((const struct expected *)b)->key);
}

static int consistency_record(void *arg, const struct skald_vector_hit *hit)
{
    struct consistency *s = arg;
    if (!viking_uri_is_under(hit->uri, s->root))
        return 0;
    struct expected probe = {(char *)hit->id, NULL, 0, 0};
    struct expected *e =
        s->n ? bsearch(&probe, s->items, s->n, sizeof *s->items, expected_cmp) : NULL;
    if (e) {
        e->seen = 1;
        return 0;
    }
    s->orphans++;
    if (json_array_size(s->orphan_list) < CONSISTENCY_MAX_LISTED)
        json_array_append_new(s->orphan_list,
                              json_pack("{s:s, s:s}", "uri", hit->uri, "key", hit->id));
    return 0;
}

static const char *consistency_display(const struct expected *e, char *buf, size_t cap)
{
    if (e->level == 2)
        return e->uri;
    snprintf(buf, cap, "%s/%s", e->uri, e->level == 0 ? ".abstract.md" : ".overview.md");
    return buf;
}

static void system_consistency(struct http_request *req, struct generation *gen,
                               struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = api_body(&c, NULL);
    if (!body)
        return;
    const char *raw;
    char uri[VIKING_URI_MAX + 1];
    int rc = api_field_string(&c, body, "uri", 1, &raw);
    if (rc == 0)
        rc = api_uri(&c, "body.uri", raw, uri);
    json_decref(body);
    if (rc != 0)
        return;
    char err[512];
    struct store_node root = {0};
    int src = store_get(c.store, c.who.account, uri, 0, &root, err, sizeof err);
    if (src == STORE_OK && root.kind != STORE_DIR)
        src = STORE_ENOTDIR;
    struct consistency s = {.c = &c, .root = uri, .orphan_list = json_array()};
    json_t *missing = json_array();
    if (src != STORE_OK) {
        api_store_error(&c, src, uri, err);
        goto done;
    }
    if (!s.orphan_list || !missing || consistency_node(&s, &root) != 0) {
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
        goto done;
    }
    src = store_walk(c.store, c.who.account, uri, 0, 0, consistency_node, &s, err, sizeof err);
    if (src != STORE_OK || s.oom) {
        http_reply_error(reply, "INTERNAL", NULL, "walking %s: %s", uri,
                         s.oom ? "out of memory" : err);
        goto done;
    }
    qsort(s.items, s.n, sizeof *s.items, expected_cmp);
    struct plugin_instance *vec = gen->backends[BACKEND_VECTOR]->inst;
    struct skald_call_ctx ctx;
    http_request_call_ctx(req, gen, &ctx, err, sizeof err);
    const char *prefixes[1] = {uri};
    struct skald_vector_filter filter = {c.who.account, strcmp(uri, "viking://") ? prefixes : NULL,
                                         strcmp(uri, "viking://") ? 1 : 0};
    int vrc =
        plugin_instance_ops(vec, vector)->list(vec->handle, &ctx, &filter, consistency_record, &s);
    if (vrc != SKALD_OK) {
        http_reply_error(reply, http_error_code_for_plugin(vrc), NULL, "listing vector records: %s",
                         err);
        goto done;
    }
    uint64_t n_missing = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.items[i].seen)
            continue;
        if (n_missing++ >= CONSISTENCY_MAX_LISTED)
            continue;
        char display[VIKING_URI_MAX + 16];
        json_array_append_new(missing,
                              json_pack("{s:s, s:s, s:i, s:s}", "uri", s.items[i].uri, "path",
                                        consistency_display(&s.items[i], display, sizeof display),
                                        "level", s.items[i].level, "key", s.items[i].key));
    }
    json_t *result =
        json_pack("{s:b, s:s, s:I, s:I, s:O, s:b, s:I, s:O, s:b}", "ok",
                  n_missing == 0 && s.orphans == 0, "uri", uri, "expected_count", (json_int_t)s.n,
                  "missing_record_count", (json_int_t)n_missing, "missing_records", missing,
                  "missing_records_truncated", n_missing > CONSISTENCY_MAX_LISTED,
                  "orphan_record_count", (json_int_t)s.orphans, "orphan_records", s.orphan_list,
                  "orphan_records_truncated", s.orphans > CONSISTENCY_MAX_LISTED);
    if (result)
        http_reply_ok(reply, result);
    else
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
done:
    json_decref(missing);
    json_decref(s.orphan_list);
    for (size_t i = 0; i < s.n; i++) {
        free(s.items[i].key);
        free(s.items[i].uri);
    }
    free(s.items);
    store_node_clear(&root);
}

const struct route routes_system_data[] = {
    {"POST", "/api/v1/system/wait", 0, NULL, system_wait},
    {"POST", "/api/v1/system/consistency", 0, NULL, system_consistency},
    {NULL, NULL, 0, NULL, NULL},
};
