/*
 * POST /api/v1/resources/temp_upload (a multipart file into the upload store) and
 * POST /api/v1/resources (an upload or a public URL, parsed into an import tree, stored under a
 * planned root with an add_resource task; wait=true parks the request until the task ends).
 */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "http/api_call.h"
#include "http/queue_view.h"
#include "http/resource_add.h"
#include "http/router.h"
#include "http/task_view.h"
#include "http/waiters.h"
#include "ingest/document_import.h"
#include "ingest/ingest_status.h"
#include "ingest/multipart.h"
#include "ingest/upload_store.h"
#include "ingest/url_fetch.h"
#include "pipeline/task_track.h"

/* ---- temp_upload ---- */

#define UPLOAD_SWEEP_EVERY_NS (60LL * 1000000000LL)

/* When this process last swept the upload folder (CLOCK_MONOTONIC; 0 = never). */
static _Atomic int64_t upload_last_sweep_ns;

static void temp_upload(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    char err[512];
    const char *data_dir = req->app->boot.data_dir;
    /* Big (32 parts of names and types): not for a worker's stack. */
    struct multipart_form *form = malloc(sizeof *form);
    if (!form) {
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
        return;
    }
    struct multipart_temp_upload up;
    const char *ctype = http_request_header(req, "Content-Type");
    int rc = multipart_parse(ctype ? ctype : "", req->body, req->body_len, form, err, sizeof err);
    if (rc == INGEST_OK)
        rc = multipart_temp_upload(form, &up, err, sizeof err);
    if (rc != INGEST_OK) {
        http_reply_error(reply, ingest_status_code(rc), NULL, "Invalid upload: %s", err);
        goto done;
    }
    /* Expired uploads go when new ones come, as upstream, but at most once a minute: a sweep
     * reads the whole folder. A failed sweep is no reason to refuse this upload. */
    int64_t now = clock_monotonic_ns(), last = atomic_load(&upload_last_sweep_ns);
    if ((last == 0 || now - last >= UPLOAD_SWEEP_EVERY_NS) &&
        atomic_compare_exchange_strong(&upload_last_sweep_ns, &last, now))
        upload_store_sweep(data_dir, UPLOAD_TTL_DEFAULT_S, NULL, err, sizeof err);
    char id[UPLOAD_ID_MAX];
    rc = upload_store_save(data_dir, up.file->has_filename ? up.file->filename : NULL,
                           up.file->data, up.file->len, atomic_load(&req->app->max_body), id,
                           sizeof id, err, sizeof err);
    if (rc != INGEST_OK) {
        http_reply_error(reply, ingest_status_code(rc), NULL, "upload not saved: %s", err);
        goto done;
    }
    http_reply_ok(reply, json_pack("{s:s}", "temp_file_id", id));
done:
    free(form);
}

/* ---- add resource ---- */

static const char *const add_fields[] = {
    "path", "temp_file_id", "to", "parent", "create_parent", "reason", "instruction", "wait",
    "timeout", "strict", "source_name", "ignore_dirs", "include", "exclude",
    "directly_upload_media", "preserve_structure", "args", "watch_interval", "processing_mode",
    "tags", "tag_mode", "add_type", "telemetry", NULL};

struct add_params {
    const char *path, *temp_file_id, *to_raw, *parent_raw, *source_name;
    int create_parent, wait, strict, vectors_only, no_split, tags_append;
    double timeout;
    int has_timeout;
    json_t *tags;
    char to[VIKING_URI_MAX + 1], parent[VIKING_URI_MAX + 1];
};

/* Segments of a canonical URI after "viking://", into seg (at most max). */
static size_t uri_segments(const char *uri, char seg[][VIKING_SEGMENT_MAX + 1], size_t max)
{
    const char *p = uri + strlen("viking://");
    size_t n = 0;
    while (*p && n < max) {
        size_t len = strcspn(p, "/");
        snprintf(seg[n++], VIKING_SEGMENT_MAX + 1, "%.*s", (int)len, p);
        p += len;
        if (*p == '/')
            p++;
    }
    return n;
}

/* Where resources may be imported: under viking://resources, a user's resources folder, or a
 * user's peer's. With container_ok, the folder itself counts (a `parent`); else the URI must lie
 * strictly below it (a `to`). */
static int resource_target_ok(const char *uri, int container_ok)
{
    char seg[7][VIKING_SEGMENT_MAX + 1];
    size_t n = uri_segments(uri, seg, 7);
    size_t folder = 0; /* segments up to and including the resources folder */
    if (n >= 1 && strcmp(seg[0], "resources") == 0)
        folder = 1;
    else if (n >= 3 && strcmp(seg[0], "user") == 0 && strcmp(seg[2], "resources") == 0)
        folder = 3;
    else if (n >= 5 && strcmp(seg[0], "user") == 0 && strcmp(seg[2], "peers") == 0 &&
             strcmp(seg[4], "resources") == 0)
        folder = 5;
    if (!folder)
        return 0;
    return container_ok ? 1 : n > folder;
}

static int add_parse(struct api_call *c, json_t *body, struct add_params *p)
{
    const char *mode = NULL, *tag_mode = NULL, *add_type = NULL;
    double watch = 0;
    if (api_field_string(c, body, "path", 0, &p->path) ||
        api_field_string(c, body, "temp_file_id", 0, &p->temp_file_id) ||
        api_field_string(c, body, "to", 0, &p->to_raw) ||
        api_field_string(c, body, "parent", 0, &p->parent_raw) ||
        api_field_string(c, body, "source_name", 0, &p->source_name) ||
        api_field_bool(c, body, "create_parent", 0, &p->create_parent) ||
        api_field_bool(c, body, "wait", 0, &p->wait) ||
        api_field_bool(c, body, "strict", 0, &p->strict) ||
        api_field_number(c, body, "timeout", 0, &p->timeout) ||
        api_field_number(c, body, "watch_interval", 0, &watch) ||
        api_field_string(c, body, "processing_mode", 0, &mode) ||
        api_field_string(c, body, "tag_mode", 0, &tag_mode) ||
        api_field_string(c, body, "add_type", 0, &add_type) ||
        api_field_tags(c, body, "tags", &p->tags))
        return -1;
    static const char *const strings[] = {"reason",  "instruction", "ignore_dirs",
                                          "include", "exclude",     NULL};
    static const char *const bools[] = {"directly_upload_media", "preserve_structure", NULL};
    for (size_t i = 0; strings[i]; i++) {
        const char *ignored;
        if (api_field_string(c, body, strings[i], 0, &ignored) != 0)
            return -1;
    }
    for (size_t i = 0; bools[i]; i++) {
        int ignored;
        if (api_field_bool(c, body, bools[i], 0, &ignored) != 0)
            return -1;
    }
    json_t *tv = json_object_get(body, "timeout");
    p->has_timeout = tv && !json_is_null(tv);
    if (p->has_timeout && (!isfinite(p->timeout) || p->timeout < 0 || p->timeout > 1e6)) {
        api_invalid(c, "body.timeout", "must be a number of seconds from 0 to 1000000");
        return -1;
    }
    if (!p->path == !p->temp_file_id || (p->path && !*p->path) ||
        (p->temp_file_id && !*p->temp_file_id)) {
        api_invalid(c, "body", "exactly one of 'path' and 'temp_file_id' is required");
        return -1;
    }
    if (p->to_raw && p->parent_raw) {
        api_invalid(c, "body", "'to' and 'parent' cannot be used together");
        return -1;
    }
    if (mode && strcmp(mode, "semantic_and_vectors") != 0 && strcmp(mode, "vectors_only") != 0) {
        api_invalid(c, "body.processing_mode", "must be 'semantic_and_vectors' or 'vectors_only'");
        return -1;
    }
    p->vectors_only = mode && strcmp(mode, "vectors_only") == 0;
    if (tag_mode && strcmp(tag_mode, "replace") != 0 && strcmp(tag_mode, "append") != 0) {
        api_invalid(c, "body.tag_mode", "must be 'replace' or 'append'");
        return -1;
    }
    p->tags_append = tag_mode && strcmp(tag_mode, "append") == 0;
    json_t *args = json_object_get(body, "args");
    if (args && !json_is_null(args)) {
        json_t *pm = json_is_object(args) ? json_object_get(args, "parse_mode") : NULL;
        const char *pms = json_string_value(pm);
        if (!json_is_object(args) ||
            (pm && !json_is_null(pm) &&
             (!pms || (strcmp(pms, "default") != 0 && strcmp(pms, "no_split") != 0)))) {
            api_invalid(c, "body.args", "must be an object; parse_mode is 'default' or 'no_split'");
            return -1;
        }
        p->no_split = pms && strcmp(pms, "no_split") == 0;
    }
    if (watch > 0 && p->temp_file_id) {
        api_invalid(c, "body.watch_interval", "a watch needs a remote 'path', not an upload");
        return -1;
    }
    if (watch > 0 || add_type) {
        http_reply_error(c->reply, "UNIMPLEMENTED", NULL, "%s is not supported by this server",
                         add_type ? "add_type" : "watch_interval");
        return -1;
    }
    if (p->to_raw) {
        if (api_uri(c, "body.to", p->to_raw, p->to) != 0)
            return -1;
        if (!resource_target_ok(p->to, 0)) {
            api_invalid(c, "body.to",
                        "'%s' is not a resource target (viking://resources/..., "
                        "viking://user/{id}/resources/...)",
                        p->to);
            return -1;
        }
    }
    if (api_uri(c, "body.parent", p->parent_raw ? p->parent_raw : "viking://resources",
                p->parent) != 0)
        return -1;
    if (!resource_target_ok(p->parent, 1)) {
        api_invalid(c, "body.parent",
                    "'%s' is not a resource folder (viking://resources[/...], "
                    "viking://user/{id}/resources[/...])",
                    p->parent);
        return -1;
    }
    return 0;
}

/* The upload or the URL into tree; -1 with the reply written. */
static int add_source(struct api_call *c, const struct add_params *p, struct import_tree *tree)
{
    struct document_import_opts opts = {0};
    opts.markdown.no_split = p->no_split;
    opts.strict = p->strict;
    char err[1024];
    uint64_t max = atomic_load(&c->req->app->max_body);
    int rc;
    if (p->temp_file_id) {
        char path[PATH_MAX];
        rc = upload_store_resolve(c->req->app->boot.data_dir, p->temp_file_id, UPLOAD_TTL_DEFAULT_S,
                                  path, sizeof path, err, sizeof err);
        if (rc != INGEST_OK) {
            http_reply_error(c->reply, ingest_status_code(rc),
                             json_pack("{s:s}", "temp_file_id", p->temp_file_id),
                             "Invalid temp_file_id: %s", err);
            return -1;
        }
        /* Without a source_name the resource is named after the uploaded file, as upstream;
         * an upload without a kept name (made before names were kept) keeps the id's name. */
        const char *source_name = p->source_name;
        char original[UPLOAD_NAME_MAX];
        if (!source_name || !source_name[0]) {
            rc = upload_store_original_name(c->req->app->boot.data_dir, p->temp_file_id,
                                            original, sizeof original, err, sizeof err);
            if (rc == INGEST_OK) {
                source_name = original;
            } else if (rc != INGEST_ENOTFOUND) {
                http_reply_error(c->reply, ingest_status_code(rc), NULL,
                                 "upload name unreadable: %s", err);
                return -1;
            }
        }
        rc = document_import_path(path, source_name, max, &opts, tree, err, sizeof err);
    } else {
        if (strncmp(p->path, "http://", 7) != 0 && strncmp(p->path, "https://", 8) != 0) {
            api_invalid(c, "body.path",
                        "only http(s) URLs can be imported by path; upload local "
                        "files with temp_upload");
            return -1;
        }
        if (url_fetch_check_url(p->path, err, sizeof err) != INGEST_OK) {
            api_invalid(c, "body.path", "%s", err);
            return -1;
        }
        struct url_fetch_opts fo = url_fetch_opts_default();
        fo.max_bytes = max;
        fo.cancel = &c->req->cancel;
        struct url_fetch_result fetched;
        rc = url_fetch(p->path, &fo, &fetched, err, sizeof err);
        if (rc == INGEST_OK) {
            rc = document_import(fetched.file_name, p->source_name, fetched.content_type,
                                 fetched.body, fetched.len, &opts, tree, err, sizeof err);
            url_fetch_result_free(&fetched);
        }
    }
    if (rc != INGEST_OK) {
        http_reply_error(c->reply, ingest_status_code(rc), NULL, "Cannot import %s: %s",
                         p->temp_file_id ? p->temp_file_id : p->path, err);
        return -1;
    }
    return 0;
}

/* The answer's common part (OpenViking section 2.3). */
static json_t *add_result(const struct add_params *p, const struct import_tree *tree,
                          const struct resource_add_out *out)
{
    json_t *warnings = json_array();
    for (size_t i = 0; warnings && i < tree->warning_count; i++)
        json_array_append_new(warnings, json_string(tree->warnings[i]));
    return json_pack("{s:s, s:s, s:s, s:s, s:{}, s:[], s:o*}", "status", "success", "root_uri",
                     out->root_uri, "temp_uri", "", "source_path",
                     p->temp_file_id ? p->temp_file_id : p->path, "meta", "errors", "warnings",
                     warnings);
}

struct add_wait {
    char account[AUTH_ID_MAX + 1], user[AUTH_ID_MAX + 1];
    char task_id[40];
    double timeout_s;
    json_t *result; /* owned: the answer, finished when the task ends */
};

static void add_wait_free(void *arg)
{
    struct add_wait *w = arg;
    json_decref(w->result);
    free(w);
}

/* On the waiter thread: done when the task has ended (settled from its nodes first). */
static int add_wait_check(void *arg, struct app *app, struct http_reply *reply)
{
    struct add_wait *w = arg;
    struct store *st = atomic_load(&app->store);
    struct store_task t = {0};
    char err[512];
    int terminal = 0;
    int rc = st ? task_track_settle(st, w->account, w->task_id, 0, &terminal, err, sizeof err)
                : STORE_EIO;
    if (rc == STORE_OK && terminal)
        rc = store_task_get(st, w->account, w->user, w->task_id, &t, err, sizeof err);
    if (rc == STORE_ENOTFOUND) {
        http_reply_error(reply, "NOT_FOUND",
                         json_pack("{s:s, s:s}", "type", "task", "resource", w->task_id),
                         "Task not found or expired: %s", w->task_id);
        return 1;
    }
    /* A store hiccup is retried at the next check; the deadline still applies. */
    if (rc != STORE_OK || !terminal)
        return 0;
    if (strcmp(t.status, "completed") == 0) {
        struct generation *gen = runtime_acquire(&app->runtime);
        struct queue_view v;
        json_t *status = NULL;
        if (gen && queue_view_collect(app, gen, w->account, &v, err, sizeof err) == SKALD_OK)
            status = queue_view_status(&v);
        if (gen) {
            queue_view_free(&v);
            runtime_release(&app->runtime, gen);
        }
        json_object_set_new(w->result, "queue_status", status ? status : json_object());
        http_reply_ok(reply, json_incref(w->result));
    } else if (strcmp(t.status, "cancelled") == 0) {
        http_reply_error(reply, "ABORTED", json_pack("{s:s}", "task_id", w->task_id),
                         "task %s was cancelled", w->task_id);
    } else {
        http_reply_error(reply, "PROCESSING_ERROR", json_pack("{s:s}", "task_id", w->task_id), "%s",
                         t.error ? t.error : "processing failed");
    }
    store_task_clear(&t);
    return 1;
}

static void add_wait_timeout(void *arg, struct http_reply *reply)
{
    struct add_wait *w = arg;
    http_reply_error(reply, "DEADLINE_EXCEEDED",
                     json_pack("{s:s, s:f, s:s}", "operation", "add_resource", "timeout",
                               w->timeout_s, "task_id", w->task_id),
                     "resource not processed within %.3g s; the work goes on (task %s)",
                     w->timeout_s, w->task_id);
}

static void add_wait_park(struct api_call *c, const struct add_params *p,
                          const struct resource_add_out *out, json_t *result)
{
    struct add_wait *w = calloc(1, sizeof *w);
    if (!w) {
        json_decref(result);
        http_reply_error(c->reply, "INTERNAL", NULL, "out of memory");
        return;
    }
    snprintf(w->account, sizeof w->account, "%s", c->who.account);
    snprintf(w->user, sizeof w->user, "%s", c->who.user);
    snprintf(w->task_id, sizeof w->task_id, "%s", out->task_id);
    w->timeout_s = p->timeout;
    w->result = result;
    json_object_set_new(result, "context_count", json_integer((json_int_t)out->context_count));
    struct waiter_spec spec = {add_wait_check, add_wait_timeout, add_wait_free, w,
                               p->has_timeout ? clock_monotonic_ns() + (int64_t)(p->timeout * 1e9)
                                              : 0};
    struct waiters *ws = c->req->app->waiters;
    if (!ws) {
        add_wait_free(w);
        http_reply_error(c->reply, "UNAVAILABLE", NULL, "the server is shutting down");
    } else if (waiters_add(ws, c->req, &spec) != 0) {
        http_reply_error(c->reply, "UNAVAILABLE", NULL, "the server is shutting down");
    }
}

static void add_resource(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = api_body(&c, add_fields);
    if (!body)
        return;
    struct add_params p = {0};
    struct import_tree tree;
    import_tree_init(&tree);
    if (add_parse(&c, body, &p) != 0 || add_source(&c, &p, &tree) != 0)
        goto done;
    char *tags = p.tags ? json_dumps(p.tags, JSON_COMPACT) : NULL;
    struct resource_add_req r = {p.to_raw ? p.to : NULL, p.parent, p.create_parent,
                                 p.vectors_only,         tags,     p.tags_append};
    struct resource_add_out out;
    int rc = p.tags && !tags ? -1 : resource_add_store(&c, &r, &tree, &out);
    free(tags);
    if (p.tags && !tags)
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
    if (rc != 0)
        goto done;
    json_t *result = add_result(&p, &tree, &out);
    if (!result) {
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
    } else if (p.wait) {
        add_wait_park(&c, &p, &out, result);
    } else {
        json_object_set_new(result, "task_id", json_string(out.task_id));
        http_reply_ok(reply, result);
    }
done:
    import_tree_free(&tree);
    json_decref(body);
}

const struct route routes_resources[] = {
    {"POST", "/api/v1/resources/temp_upload", 0, NULL, temp_upload},
    {"POST", "/api/v1/resources", 0, NULL, add_resource},
    {NULL, NULL, 0, NULL, NULL},
};
