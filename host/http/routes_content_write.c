/* POST /api/v1/content/write: replace, append or create a file, or edit a directory's sidecar. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/fs_entry.h"
#include "http/index_wait.h"
#include "http/routes_content_change.h"

static const char *const write_fields[] = {"uri",     "content",         "mode",      "wait",
                                           "timeout", "processing_mode", "telemetry", NULL};

/* The kinds of file a create may make. */
static const char *const write_create_exts[] = {".md", ".txt", ".json", ".yaml", ".yml",
                                                ".toml", ".py", ".js", ".ts", NULL};

struct write_args {
    char uri[VIKING_URI_MAX + 1];
    const char *content;
    size_t len;
    const char *mode;
    int wait;
    double timeout_s;     /* < 0: no limit */
    int vectors_only;
};

static int write_parse(struct api_call *c, json_t *body, struct write_args *a)
{
    const char *raw, *processing;
    double timeout;
    if (api_field_string(c, body, "uri", 1, &raw) != 0 || api_uri(c, "body.uri", raw, a->uri) != 0 ||
        api_field_string(c, body, "content", 1, &a->content) != 0 ||
        api_field_string(c, body, "mode", 0, &a->mode) != 0 ||
        api_field_bool(c, body, "wait", 0, &a->wait) != 0 ||
        api_field_number(c, body, "timeout", -1, &timeout) != 0 ||
        api_field_string(c, body, "processing_mode", 0, &processing) != 0)
        return -1;
    a->len = json_string_length(json_object_get(body, "content"));
    a->mode = a->mode ? a->mode : "replace";
    if (strcmp(a->mode, "replace") != 0 && strcmp(a->mode, "append") != 0 &&
        strcmp(a->mode, "create") != 0) {
        api_invalid(c, "body.mode", "'%s' is not one of 'replace', 'append', 'create'", a->mode);
        return -1;
    }
    if (json_is_number(json_object_get(body, "timeout")) && timeout < 0) {
        api_invalid(c, "body.timeout", "must not be negative");
        return -1;
    }
    a->timeout_s = timeout;
    processing = processing ? processing : "semantic_and_vectors";
    if (strcmp(processing, "semantic_and_vectors") != 0 && strcmp(processing, "vectors_only") != 0) {
        api_invalid(c, "body.processing_mode",
                    "'%s' is not one of 'semantic_and_vectors', 'vectors_only'", processing);
        return -1;
    }
    a->vectors_only = strcmp(processing, "vectors_only") == 0;
    return 0;
}

static int write_ext_allowed(const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; write_create_exts[i]; i++) {
        size_t n = strlen(write_create_exts[i]);
        if (len > n && strcasecmp(name + len - n, write_create_exts[i]) == 0)
            return 1;
    }
    return 0;
}

static json_t *write_result(const struct write_args *a, const char *root_uri, const char *semantic,
                            const char *vectors)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:s, s:s}", "uri", a->uri, "root_uri",
                     root_uri, "context_type", viking_uri_context_type(a->uri), "mode", a->mode,
                     "written_bytes", (json_int_t)a->len, "content_updated", 1, "semantic_status",
                     semantic, "vector_status", vectors);
}

static json_t *write_queue_line(size_t processed, int failed)
{
    return json_pack("{s:I, s:i, s:i, s:[]}", "processed", (json_int_t)processed, "requeue_count",
                     0, "error_count", failed, "errors");
}

/* states: [0] the vectors of the written node, [1] (when present) its directory's semantic. */
static void write_done(json_t *result, const enum store_proc_state *states, size_t n)
{
    int vec_failed = states[0] == STORE_PROC_FAILED;
    int sem_failed = n > 1 && states[1] == STORE_PROC_FAILED;
    json_object_set_new(result, "vector_status", json_string(vec_failed ? "failed" : "complete"));
    if (n > 1)
        json_object_set_new(result, "semantic_status",
                            json_string(sem_failed ? "failed" : "complete"));
    json_object_set_new(result, "queue_status",
                        json_pack("{s:o, s:o}", "Semantic", write_queue_line(n > 1, sem_failed),
                                  "Embedding", write_queue_line(1, vec_failed)));
}

/* Answers now, or parks the request until the targets are processed. */
static void write_finish(struct api_call *c, const struct write_args *a, json_t *result,
                         const struct index_wait_target *targets, size_t n)
{
    if (!result) {
        http_reply_error(c->reply, "INTERNAL", NULL, "out of memory");
        return;
    }
    if (!a->wait) {
        http_reply_ok(c->reply, result);
        return;
    }
    index_wait_park(c, targets, n, result, write_done, "content write", a->timeout_s);
}

/* A write to dir/.abstract.md or dir/.overview.md: the directory's L0 or L1 body. */
static void write_sidecar(struct api_call *c, const struct write_args *a, int level)
{
    char dir[VIKING_URI_MAX + 1], err[512];
    if (strcmp(a->mode, "create") == 0) {
        http_reply_error(c->reply, "INVALID_ARGUMENT", json_pack("{s:s}", "uri", a->uri),
                         "%s is a sidecar: it may be edited but never created", a->uri);
        return;
    }
    if (memchr(a->content, '\0', a->len)) {
        api_invalid(c, "body.content", "a sidecar is text without NUL characters");
        return;
    }
    struct store_node n;
    if (fs_entry_get(c, a->uri, 0, &n) != 0)
        return;
    snprintf(dir, sizeof dir, "%s", n.parent_uri);
    store_node_clear(&n);
    if (fs_entry_get(c, dir, 0, &n) != 0)
        return;
    const char *old = level == 0 ? n.l0 : n.l1;
    char *body = NULL;
    int rc = STORE_ENOMEM;
    snprintf(err, sizeof err, "out of memory");
    if (asprintf(&body, "%s%s", strcmp(a->mode, "append") == 0 && old ? old : "", a->content) >= 0)
        rc = store_set_sidecars(c->store, c->who.account, dir, level == 0 ? body : NULL,
                                level == 1 ? body : NULL, n.revision, err, sizeof err);
    else
        body = NULL;
    free(body);
    store_node_clear(&n);
    if (rc == STORE_OK)
        rc = store_set_state(c->store, c->who.account, dir, INDEX_WAIT_VECTORS, STORE_PROC_PENDING,
                             NULL, err, sizeof err);
    if (rc != STORE_OK) {
        api_store_error(c, rc, dir, err);
        return;
    }
    if (index_wait_embed(c, dir) != 0)
        return;
    struct index_wait_target t = {.which = INDEX_WAIT_VECTORS};
    snprintf(t.uri, sizeof t.uri, "%s", dir);
    write_finish(c, a, write_result(a, dir, "complete", "queued"), &t, 1);
}

static void write_file(struct api_call *c, const struct write_args *a)
{
    char err[512];
    enum store_write_mode mode = strcmp(a->mode, "create") == 0   ? STORE_WRITE_CREATE
                                 : strcmp(a->mode, "append") == 0 ? STORE_WRITE_APPEND
                                                                  : STORE_WRITE_REPLACE;
    if (mode == STORE_WRITE_CREATE && !write_ext_allowed(viking_uri_name(a->uri))) {
        http_reply_error(c->reply, "INVALID_ARGUMENT", json_pack("{s:s}", "uri", a->uri),
                         "create makes only .md .txt .json .yaml .yml .toml .py .js .ts files: %s",
                         a->uri);
        return;
    }
    int rc = store_write(c->store, c->who.account, c->who.user, a->uri, mode, a->content, a->len,
                         NULL, err, sizeof err);
    if (rc != STORE_OK) {
        api_store_error(c, rc, a->uri, err);
        return;
    }
    if (index_wait_embed(c, a->uri) != 0)
        return;
    struct index_wait_target t[2] = {{.which = INDEX_WAIT_VECTORS}, {.which = INDEX_WAIT_SEMANTIC}};
    snprintf(t[0].uri, sizeof t[0].uri, "%s", a->uri);
    char dir[VIKING_URI_MAX + 1];
    if (viking_uri_parent(a->uri, dir, sizeof dir) != 0)
        snprintf(dir, sizeof dir, "viking://");
    int refreshing = 0;
    if (!a->vectors_only) {
        refreshing = index_wait_refresh_parent(c, a->uri, t[1].uri, sizeof t[1].uri);
        if (refreshing < 0)
            return;
    }
    write_finish(c, a, write_result(a, dir, refreshing ? "queued" : "skipped", "queued"), t,
                 refreshing ? 2 : 1);
}

void routes_content_write(struct http_request *req, struct generation *gen,
                          struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = api_body(&c, write_fields);
    if (!body)
        return;
    struct write_args a = {0};
    if (write_parse(&c, body, &a) == 0) {
        /* A sidecar name is the directory's L0/L1 unless a real file has that name. */
        int level = fs_entry_sidecar_level(a.uri);
        struct store_node real = {0};
        char err[256];
        if (level >= 0 &&
            store_get(c.store, c.who.account, a.uri, 0, &real, err, sizeof err) != STORE_ENOTFOUND)
            level = -1;
        store_node_clear(&real);
        if (level >= 0)
            write_sidecar(&c, &a, level);
        else
            write_file(&c, &a);
    }
    json_decref(body);
}
